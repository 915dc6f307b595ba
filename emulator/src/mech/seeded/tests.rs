//! The DER forms and the rules shared by both families.

use super::testing::{encode_seed_only, import_private, import_public, object, public_of, value};
use super::*;
use crate::mech::{ml_dsa, ml_kem, registry, MechParam, Mechanism};
use pkcs8::ObjectIdentifier;

#[test]
fn choice_forms_round_trip() {
    let (seed, expanded) = ([7u8; 64], [9u8; 300]);
    let both = encode_choice(Some(&seed), &expanded).unwrap();
    assert_eq!(&both[..4], &[0x30, 0x82, 0x01, 0x72]);
    assert_eq!(&both[4..6], &[0x04, 0x40]);
    assert_eq!(
        decode_choice(&both).unwrap(),
        (Some(&seed[..]), Some(&expanded[..]))
    );
    let only = encode_choice(None, &expanded).unwrap();
    assert_eq!(&only[..4], &[0x04, 0x82, 0x01, 0x2c]);
    assert_eq!(decode_choice(&only).unwrap(), (None, Some(&expanded[..])));
    let seed_only = encode_seed_only(&seed);
    assert_eq!(&seed_only[..2], &[0x80, 0x40]);
    assert_eq!(decode_choice(&seed_only).unwrap(), (Some(&seed[..]), None));
    // Trailing bytes, a constructed [0], a wrong tag, a truncated or
    // one-element SEQUENCE are all malformed.
    for bad in [
        [&only[..], &[0]].concat(),
        [&[0xa0, 0x42], &seed_only[..]].concat(),
        vec![0x02, 0x01, 0x00],
        both[..both.len() - 1].to_vec(),
        [&[0x30, 0x42], &seed_only[..]].concat(),
        vec![],
    ] {
        assert!(
            decode_choice(&bad).is_err(),
            "{}",
            hex::encode(&bad[..bad.len().min(8)])
        );
    }
}

fn family<S: Scheme>() -> Family<S> {
    Family::<S>::new()
}

/// Import checks of C_CreateObject, for every parameter set of a family.
fn import_rules<S: Scheme>() {
    const UNKNOWN: CK_ULONG = 0x99;
    for (i, set) in S::all().iter().copied().enumerate() {
        let other = S::all()[(i + 1) % 3];
        let p = Some(set.param());
        let seed: Vec<u8> = (0..S::SEED_LEN as u8).collect();
        let key = import_private::<S>(p, Some(&seed), None).unwrap();
        let sk = value(&key);
        assert_eq!(sk.len(), set.private_len());
        assert_eq!(import_private::<S>(p, Some(&seed), Some(&sk)).unwrap(), key);
        let value_only = import_private::<S>(None, None, Some(&sk)).unwrap();
        assert_eq!(value_only.ulong(CKA_PARAMETER_SET), Ok(Some(set.param())));
        assert_eq!(
            value_only.get(CKA_PUBLIC_KEY_INFO),
            key.get(CKA_PUBLIC_KEY_INFO)
        );
        assert_eq!(value_only.get(CKA_SEED), None);

        let public = public_of::<S>(&key).unwrap();
        let pk = value(&public);
        assert_eq!(pk.len(), set.public_len());
        assert_eq!(public_of::<S>(&value_only).unwrap(), public);
        let info = asn1::spki(&set.oid(), &pk).unwrap();
        assert_eq!(public.get(CKA_PUBLIC_KEY_INFO), Some(info.as_slice()));
        assert_eq!(key.get(CKA_PUBLIC_KEY_INFO), Some(info.as_slice()));
        let imported = import_public::<S>(None, &pk).unwrap();
        assert_eq!(imported.ulong(CKA_PARAMETER_SET), Ok(Some(set.param())));
        assert_eq!(imported.get(CKA_PUBLIC_KEY_INFO), Some(info.as_slice()));

        let incomplete = Err(Ckr::TEMPLATE_INCOMPLETE);
        let invalid = Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        assert_eq!(import_private::<S>(None, Some(&seed), None), incomplete);
        assert_eq!(import_private::<S>(p, None, None), incomplete);
        assert_eq!(import_private::<S>(None, None, None), incomplete);
        assert_eq!(
            import_private::<S>(Some(UNKNOWN), Some(&seed), None),
            Err(Ckr(CKR_PARAMETER_SET_NOT_SUPPORTED))
        );
        assert_eq!(import_private::<S>(p, Some(&seed[1..]), None), invalid);
        assert_eq!(
            import_private::<S>(p, Some(&[&seed[..], &[0]].concat()), None),
            invalid
        );
        assert_eq!(import_private::<S>(p, None, Some(&sk[1..])), invalid);
        assert_eq!(import_private::<S>(None, None, Some(&sk[1..])), invalid);
        assert_eq!(
            import_private::<S>(Some(other.param()), None, Some(&sk)),
            invalid
        );
        let other_seed: Vec<u8> = seed.iter().map(|b| b ^ 1).collect();
        assert_eq!(
            import_private::<S>(p, Some(&other_seed), Some(&sk)),
            invalid
        );
        // A changed first byte breaks ML-KEM's pairwise test (dk_PKE no
        // longer matches ek) and ML-DSA's tr check (ρ changes pk).
        let mut damaged = sk.clone();
        damaged[0] ^= 1;
        assert_eq!(import_private::<S>(p, None, Some(&damaged)), invalid);

        let mut with_info = object::<S>(CKO_PRIVATE_KEY, p, Some(&seed), None);
        with_info.set(CKA_PUBLIC_KEY_INFO, info.clone());
        assert_eq!(family::<S>().complete_private(&mut with_info), Ok(()));
        with_info.set(CKA_PUBLIC_KEY_INFO, Vec::new());
        assert_eq!(family::<S>().complete_private(&mut with_info), Ok(()));
        assert_eq!(with_info.get(CKA_PUBLIC_KEY_INFO), Some(info.as_slice()));
        with_info.set(CKA_PUBLIC_KEY_INFO, [&info[..], &[0]].concat());
        assert_eq!(
            family::<S>().complete_private(&mut with_info),
            Err(Ckr::TEMPLATE_INCONSISTENT)
        );

        assert_eq!(import_public::<S>(p, &pk[1..]), invalid);
        assert_eq!(import_public::<S>(None, &pk[1..]), invalid);
        assert_eq!(import_public::<S>(Some(other.param()), &pk), invalid);
        assert_eq!(
            import_public::<S>(Some(UNKNOWN), &pk),
            Err(Ckr(CKR_PARAMETER_SET_NOT_SUPPORTED))
        );
    }
}

#[test]
fn ml_kem_import_rules() {
    import_rules::<ml_kem::Set>();
}

#[test]
fn ml_dsa_import_rules() {
    import_rules::<ml_dsa::Set>();
}

/// C_WrapKey / C_UnwrapKey forms, for every parameter set of a family.
fn pkcs8_rules<S: Scheme>() {
    let wrapped_invalid = Err(Ckr::WRAPPED_KEY_INVALID);
    for (i, set) in S::all().iter().copied().enumerate() {
        let other = S::all()[(i + 1) % 3];
        let seed = vec![0x5a; S::SEED_LEN];
        let key = import_private::<S>(Some(set.param()), Some(&seed), None).unwrap();
        let sk = value(&key);

        let der = family::<S>().export_private(&key).unwrap();
        let (oid, inner) = asn1::parse_pkcs8(&der).unwrap();
        assert_eq!(oid, set.oid());
        assert_eq!(inner[0], 0x30, "both: seed and expanded key");
        let unwrapped = family::<S>().import_private(&der).unwrap();
        assert_eq!(unwrapped.ulong(CKA_PARAMETER_SET), Ok(Some(set.param())));
        assert_eq!(unwrapped.get(CKA_SEED), Some(&seed[..]));
        assert_eq!(unwrapped.get(CKA_VALUE), Some(&sk[..]));
        let mut rebuilt = object::<S>(CKO_PRIVATE_KEY, None, None, None);
        rebuilt.merge(&unwrapped);
        family::<S>().complete_private(&mut rebuilt).unwrap();
        assert_eq!(rebuilt, key);

        let value_only = import_private::<S>(None, None, Some(&sk)).unwrap();
        let der = family::<S>().export_private(&value_only).unwrap();
        assert_eq!(asn1::parse_pkcs8(&der).unwrap().1[0], 0x04, "expandedKey");
        let unwrapped = family::<S>().import_private(&der).unwrap();
        assert_eq!(
            (unwrapped.get(CKA_SEED), unwrapped.get(CKA_VALUE)),
            (None, Some(&sk[..]))
        );

        let seed_only = asn1::pkcs8(&set.oid(), &encode_seed_only(&seed)).unwrap();
        let unwrapped = family::<S>().import_private(&seed_only).unwrap();
        assert_eq!(
            (unwrapped.get(CKA_SEED), unwrapped.get(CKA_VALUE)),
            (Some(&seed[..]), None)
        );
        assert_eq!(unwrapped.ulong(CKA_PARAMETER_SET), Ok(Some(set.param())));

        let short_seed = asn1::pkcs8(&set.oid(), &encode_seed_only(&seed[1..])).unwrap();
        assert_eq!(family::<S>().import_private(&short_seed), wrapped_invalid);
        let other_len = encode_choice(None, &vec![0; other.private_len()]).unwrap();
        let other_len = asn1::pkcs8(&set.oid(), &other_len).unwrap();
        assert_eq!(family::<S>().import_private(&other_len), wrapped_invalid);
        let ec = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
        let foreign = asn1::pkcs8(&ec, &encode_choice(None, &sk).unwrap()).unwrap();
        assert_eq!(family::<S>().import_private(&foreign), wrapped_invalid);
        let garbage = asn1::pkcs8(&set.oid(), &[0x04, 0x05, 1, 2]).unwrap();
        assert_eq!(family::<S>().import_private(&garbage), wrapped_invalid);
        assert_eq!(
            family::<S>().import_private(&der[..der.len() - 1]),
            wrapped_invalid
        );
    }
}

#[test]
fn ml_kem_pkcs8_round_trips() {
    pkcs8_rules::<ml_kem::Set>();
}

#[test]
fn ml_dsa_pkcs8_round_trips() {
    pkcs8_rules::<ml_dsa::Set>();
}

/// C_GenerateKeyPair's template rules and what it supplies.
fn keygen_rules<S: Scheme>(ty: CK_MECHANISM_TYPE) {
    let mech = registry().get(ty).unwrap();
    let m = Mechanism {
        ty,
        param: MechParam::None,
    };
    let none = Attributes::new();
    let with_param = |p: CK_ULONG| {
        let mut t = Attributes::new();
        t.set_ulong(CKA_PARAMETER_SET, p);
        t
    };
    assert_eq!(
        mech.generate_key_pair(&m, &none, &none).err(),
        Some(Ckr::TEMPLATE_INCOMPLETE)
    );
    assert_eq!(
        mech.generate_key_pair(&m, &with_param(0x99), &none).err(),
        Some(Ckr(CKR_PARAMETER_SET_NOT_SUPPORTED))
    );
    let bad_param = Mechanism {
        ty,
        param: MechParam::Bytes(vec![1]),
    };
    let public = with_param(S::all()[0].param());
    assert_eq!(
        mech.generate_key_pair(&bad_param, &public, &none).err(),
        Some(Ckr::MECHANISM_PARAM_INVALID)
    );
    let mut wrong_type = public.clone();
    wrong_type.set_ulong(CKA_KEY_TYPE, CKK_AES);
    assert_eq!(
        mech.generate_key_pair(&m, &wrong_type, &none).err(),
        Some(Ckr::TEMPLATE_INCONSISTENT)
    );
    let mut pairs = Vec::new();
    for (i, set) in S::all().iter().copied().enumerate() {
        let public = with_param(set.param());
        let other = with_param(S::all()[(i + 1) % 3].param());
        assert_eq!(
            mech.generate_key_pair(&m, &public, &other).err(),
            Some(Ckr::TEMPLATE_INCONSISTENT)
        );
        let pair = mech.generate_key_pair(&m, &public, &public).unwrap();
        let (pk, sk) = (value(&pair.public), value(&pair.private));
        let seed = pair.private.get(CKA_SEED).unwrap();
        assert_eq!(
            (pk.len(), sk.len(), seed.len()),
            (set.public_len(), set.private_len(), S::SEED_LEN)
        );
        let info = asn1::spki(&set.oid(), &pk).unwrap();
        for half in [&pair.public, &pair.private] {
            assert_eq!(half.ulong(CKA_KEY_TYPE), Ok(Some(S::KEY_TYPE)));
            assert_eq!(half.ulong(CKA_PARAMETER_SET), Ok(Some(set.param())));
            assert_eq!(half.get(CKA_PUBLIC_KEY_INFO), Some(info.as_slice()));
        }
        let (pk2, sk2) = set.keygen(seed);
        assert_eq!((pk2, sk2.to_vec()), (pk.clone(), sk.clone()));
        assert_eq!(set.pairwise_ok(&pk, &sk), Ok(true));
        pairs.push((pk, sk));
    }
    let again = mech
        .generate_key_pair(&m, &with_param(S::all()[0].param()), &none)
        .unwrap();
    assert_ne!(value(&again.private), pairs[0].1, "a fresh seed each time");
    assert_eq!(
        S::all()[0].pairwise_ok(&value(&again.public), &pairs[0].1),
        Ok(false)
    );
}

#[test]
fn ml_kem_key_pair_generation() {
    keygen_rules::<ml_kem::Set>(CKM_ML_KEM_KEY_PAIR_GEN);
}

#[test]
fn ml_dsa_key_pair_generation() {
    keygen_rules::<ml_dsa::Set>(CKM_ML_DSA_KEY_PAIR_GEN);
}

#[test]
fn registered_mechanisms() {
    let expect: &[(CK_MECHANISM_TYPE, &str, CK_ULONG, CK_ULONG, CK_FLAGS)] = &[
        (
            CKM_ML_KEM_KEY_PAIR_GEN,
            "CKM_ML_KEM_KEY_PAIR_GEN",
            800,
            1568,
            CKF_GENERATE_KEY_PAIR,
        ),
        (
            CKM_ML_KEM,
            "CKM_ML_KEM",
            800,
            1568,
            CKF_ENCAPSULATE | CKF_DECAPSULATE,
        ),
        (
            CKM_ML_DSA_KEY_PAIR_GEN,
            "CKM_ML_DSA_KEY_PAIR_GEN",
            1312,
            2592,
            CKF_GENERATE_KEY_PAIR,
        ),
        (CKM_ML_DSA, "CKM_ML_DSA", 1312, 2592, CKF_SIGN | CKF_VERIFY),
        (
            CKM_HASH_ML_DSA,
            "CKM_HASH_ML_DSA",
            1312,
            2592,
            CKF_SIGN | CKF_VERIFY,
        ),
        (
            CKM_HASH_ML_DSA_SHA224,
            "CKM_HASH_ML_DSA_SHA224",
            1312,
            2592,
            CKF_SIGN | CKF_VERIFY,
        ),
        (
            CKM_HASH_ML_DSA_SHA256,
            "CKM_HASH_ML_DSA_SHA256",
            1312,
            2592,
            CKF_SIGN | CKF_VERIFY,
        ),
        (
            CKM_HASH_ML_DSA_SHA384,
            "CKM_HASH_ML_DSA_SHA384",
            1312,
            2592,
            CKF_SIGN | CKF_VERIFY,
        ),
        (
            CKM_HASH_ML_DSA_SHA512,
            "CKM_HASH_ML_DSA_SHA512",
            1312,
            2592,
            CKF_SIGN | CKF_VERIFY,
        ),
        (
            CKM_HASH_ML_DSA_SHA3_224,
            "CKM_HASH_ML_DSA_SHA3_224",
            1312,
            2592,
            CKF_SIGN | CKF_VERIFY,
        ),
        (
            CKM_HASH_ML_DSA_SHA3_256,
            "CKM_HASH_ML_DSA_SHA3_256",
            1312,
            2592,
            CKF_SIGN | CKF_VERIFY,
        ),
        (
            CKM_HASH_ML_DSA_SHA3_384,
            "CKM_HASH_ML_DSA_SHA3_384",
            1312,
            2592,
            CKF_SIGN | CKF_VERIFY,
        ),
        (
            CKM_HASH_ML_DSA_SHA3_512,
            "CKM_HASH_ML_DSA_SHA3_512",
            1312,
            2592,
            CKF_SIGN | CKF_VERIFY,
        ),
        (
            CKM_HASH_ML_DSA_SHAKE128,
            "CKM_HASH_ML_DSA_SHAKE128",
            1312,
            2592,
            CKF_SIGN | CKF_VERIFY,
        ),
        (
            CKM_HASH_ML_DSA_SHAKE256,
            "CKM_HASH_ML_DSA_SHAKE256",
            1312,
            2592,
            CKF_SIGN | CKF_VERIFY,
        ),
    ];
    for (ty, name, min, max, flags) in expect {
        let m = registry().get(*ty).unwrap();
        let info = m.info();
        assert_eq!(
            (m.name(), info.ulMinKeySize, info.ulMaxKeySize, info.flags),
            (*name, *min, *max, *flags)
        );
    }
    assert!(registry().family(CKK_ML_KEM).unwrap().is_some());
    assert!(registry().family(CKK_ML_DSA).unwrap().is_some());
}
