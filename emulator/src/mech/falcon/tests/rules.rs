//! The PKCS#11 behaviour of CKM_FALCON_KEY_PAIR_GEN and CKM_FALCON.

use super::{falcon, generate, key, object, sign, template, verify, PARAMETER_SET_NOT_SUPPORTED};
use crate::attr::Attributes;
use crate::error::Ckr;
use crate::mech::falcon::scheme::{Signing, SETS};
use crate::mech::{asn1, registry, MechParam, Mechanism};
use crate::vendor::{
    CKA_KEY_PARAMS, CKK_FALCON, CKM_FALCON, CKM_FALCON_KEY_PAIR_GEN, CKP_FALCON_1024,
    CKP_FALCON_512,
};
use cryptoki_sys::*;

#[test]
fn mechanisms_are_registered() {
    let gen = registry().get(CKM_FALCON_KEY_PAIR_GEN).unwrap();
    assert_eq!(
        (gen.name(), gen.info().flags),
        ("CKM_FALCON_KEY_PAIR_GEN", CKF_GENERATE_KEY_PAIR)
    );
    let sig = registry().get(CKM_FALCON).unwrap();
    let info = sig.info();
    assert_eq!(
        (sig.name(), info.flags),
        ("CKM_FALCON", CKF_SIGN | CKF_VERIFY)
    );
    assert_eq!((info.ulMinKeySize, info.ulMaxKeySize), (897, 1793));
    assert!(registry().family(CKK_FALCON).unwrap().is_some());
    let sizes: Vec<_> = SETS
        .iter()
        .map(|s| (s.pk_len, s.sk_len, s.max_sig_len))
        .collect();
    assert_eq!(sizes, [(897, 1281, 752), (1793, 2305, 1462)]);
}

#[test]
fn key_pair_template_rules() {
    let none = Attributes::new();
    assert_eq!(generate(&none, &none).err(), Some(Ckr::TEMPLATE_INCOMPLETE));
    assert_eq!(
        generate(&template(CKA_PARAMETER_SET, 3), &none).err(),
        Some(PARAMETER_SET_NOT_SUPPORTED)
    );
    let mut both = template(CKA_PARAMETER_SET, CKP_FALCON_512);
    both.set_ulong(CKA_KEY_PARAMS, CKP_FALCON_1024);
    assert_eq!(
        generate(&both, &none).err(),
        Some(Ckr::TEMPLATE_INCONSISTENT)
    );
    let public = template(CKA_PARAMETER_SET, CKP_FALCON_512);
    let private = template(CKA_KEY_PARAMS, CKP_FALCON_1024);
    assert_eq!(
        generate(&public, &private).err(),
        Some(Ckr::TEMPLATE_INCONSISTENT)
    );
    let m = Mechanism {
        ty: CKM_FALCON_KEY_PAIR_GEN,
        param: MechParam::Bytes(vec![1]),
    };
    let gen = registry().get(CKM_FALCON_KEY_PAIR_GEN).unwrap();
    assert_eq!(
        gen.generate_key_pair(&m, &public, &none).err(),
        Some(Ckr::MECHANISM_PARAM_INVALID)
    );
}

/// Either attribute names the set; both keys get both, the raw NIST
/// encodings and the SPKI with the oqs-provider OID; signatures verify,
/// differ from call to call, and stream.
#[test]
fn generated_pairs_sign_and_verify() {
    for (set, attr) in SETS.iter().zip([CKA_KEY_PARAMS, CKA_PARAMETER_SET]) {
        let pair = generate(&template(attr, set.ckp), &Attributes::new()).unwrap();
        for (half, len) in [(&pair.public, set.pk_len), (&pair.private, set.sk_len)] {
            assert_eq!(half.ulong(CKA_KEY_TYPE), Ok(Some(CKK_FALCON)));
            assert_eq!(half.ulong(CKA_PARAMETER_SET), Ok(Some(set.ckp)));
            assert_eq!(half.ulong(CKA_KEY_PARAMS), Ok(Some(set.ckp)));
            assert_eq!(half.get(CKA_VALUE).map(<[u8]>::len), Some(len));
        }
        let pk = pair.public.get(CKA_VALUE).unwrap();
        assert_eq!(pk[0], set.logn as u8);
        assert_eq!(
            pair.private.get(CKA_VALUE).unwrap()[0],
            0x50 + set.logn as u8
        );
        let spki = asn1::spki(&set.oid, pk).unwrap();
        assert_eq!(pair.public.get(CKA_PUBLIC_KEY_INFO), Some(&spki[..]));
        assert_eq!(pair.private.get(CKA_PUBLIC_KEY_INFO), Some(&spki[..]));
        // SEQUENCE { SEQUENCE { OID 1.3.9999.3.11 / .14 } BIT STRING }
        let oid_der: &[u8] = &[
            0x06,
            0x05,
            0x2b,
            0xce,
            0x0f,
            0x03,
            if set.logn == 9 { 0x0b } else { 0x0e },
        ];
        assert!(spki.windows(oid_der.len()).any(|w| w == oid_der));

        let (private, public) = (
            object(CKO_PRIVATE_KEY, &pair.private),
            object(CKO_PUBLIC_KEY, &pair.public),
        );
        let message = b"a message to sign, in more than one part";
        let one = sign(&private, &[message]).unwrap();
        let two = sign(&private, &[&message[..5], b"", &message[5..]]).unwrap();
        assert_ne!(one, two, "fresh nonce every time");
        for signature in [&one, &two] {
            assert_eq!(signature[0], 0x30 + set.logn as u8);
            assert!(signature.len() <= set.max_sig_len);
            assert_eq!(verify(&public, &[message], signature), Ok(()));
            assert_eq!(
                verify(&public, &[&message[..9], &message[9..]], signature),
                Ok(())
            );
        }
        assert_eq!(
            verify(&public, &[b"another message"], &one),
            Err(Ckr::SIGNATURE_INVALID)
        );
    }
}

#[test]
fn signatures_of_the_wrong_shape_are_refused() {
    let set = &SETS[0];
    let pair = generate(&template(CKA_PARAMETER_SET, set.ckp), &Attributes::new()).unwrap();
    let (private, public) = (
        object(CKO_PRIVATE_KEY, &pair.private),
        object(CKO_PUBLIC_KEY, &pair.public),
    );
    let good = sign(&private, &[b"m"]).unwrap();
    let mut long = good.clone();
    long.resize(set.max_sig_len + 1, 0);
    assert_eq!(
        verify(&public, &[b"m"], &long),
        Err(Ckr::SIGNATURE_LEN_RANGE)
    );
    assert_eq!(
        verify(&public, &[b"m"], &good[..41]),
        Err(Ckr::SIGNATURE_LEN_RANGE)
    );
    assert_eq!(verify(&public, &[b"m"], &[]), Err(Ckr::SIGNATURE_LEN_RANGE));
    // Trailing zeros (the padded format) are not the compressed format.
    let mut padded = good.clone();
    padded.push(0);
    assert_eq!(
        verify(&public, &[b"m"], &padded),
        Err(Ckr::SIGNATURE_INVALID)
    );
    for header in [0x29, 0x3a, 0x59] {
        let mut other = good.clone();
        other[0] = header;
        assert_eq!(
            verify(&public, &[b"m"], &other),
            Err(Ckr::SIGNATURE_INVALID)
        );
    }
    let mut nonce = good.clone();
    nonce[5] ^= 1;
    assert_eq!(
        verify(&public, &[b"m"], &nonce),
        Err(Ckr::SIGNATURE_INVALID)
    );
}

/// A signature that does not verify under the key's public half is not
/// released (the library's advice against faults while sampling).
#[test]
fn signatures_are_checked_before_release() {
    let set = &SETS[0];
    let (pk, sk) = set.keypair(&[1; 48]).unwrap();
    let (other_pk, _) = set.keypair(&[2; 48]).unwrap();
    let sign_with = |pk: &[u8]| {
        let mut signing = Signing::start([3; 40]);
        signing.update(b"m");
        signing.finish(set, &sk, pk, &[4; 48])
    };
    assert!(sign_with(&pk).is_ok());
    assert_eq!(sign_with(&other_pk), Err(Ckr::GENERAL_ERROR));
    // Through C_Sign: the public half comes from CKA_PUBLIC_KEY_INFO when
    // it holds one of this set, else from sk.
    let mut private = key(CKO_PRIVATE_KEY, set, &sk);
    assert!(sign(&private, &[b"m"]).is_ok());
    private.set(CKA_PUBLIC_KEY_INFO, asn1::spki(&set.oid, &pk).unwrap());
    assert!(sign(&private, &[b"m"]).is_ok());
    private.set(CKA_PUBLIC_KEY_INFO, asn1::spki(&SETS[1].oid, &pk).unwrap());
    assert!(sign(&private, &[b"m"]).is_ok());
    private.set(
        CKA_PUBLIC_KEY_INFO,
        asn1::spki(&set.oid, &other_pk).unwrap(),
    );
    assert_eq!(sign(&private, &[b"m"]), Err(Ckr::GENERAL_ERROR));
}

#[test]
fn operations_check_parameter_and_key() {
    let set = &SETS[0];
    let pair = generate(&template(CKA_PARAMETER_SET, set.ckp), &Attributes::new()).unwrap();
    let (private, public) = (
        object(CKO_PRIVATE_KEY, &pair.private),
        object(CKO_PUBLIC_KEY, &pair.public),
    );
    let mech = registry().get(CKM_FALCON).unwrap();
    let with_param = Mechanism {
        ty: CKM_FALCON,
        param: MechParam::SignContext {
            hedge: CKH_HEDGE_PREFERRED,
            context: Vec::new(),
        },
    };
    assert_eq!(
        mech.sign(&with_param, &private).err(),
        Some(Ckr::MECHANISM_PARAM_INVALID)
    );
    assert_eq!(
        mech.verify(&with_param, &public).err(),
        Some(Ckr::MECHANISM_PARAM_INVALID)
    );
    assert_eq!(
        mech.sign(&falcon(), &public).err(),
        Some(Ckr::KEY_TYPE_INCONSISTENT)
    );
    assert_eq!(
        mech.verify(&falcon(), &private).err(),
        Some(Ckr::KEY_TYPE_INCONSISTENT)
    );
    let mut other_type = private.clone();
    other_type.set_ulong(CKA_KEY_TYPE, CKK_ML_DSA);
    assert_eq!(
        mech.sign(&falcon(), &other_type).err(),
        Some(Ckr::KEY_TYPE_INCONSISTENT)
    );
    let mut short = private.clone();
    short.set(CKA_VALUE, vec![0x59; 100]);
    assert_eq!(
        mech.sign(&falcon(), &short).err(),
        Some(Ckr::KEY_SIZE_RANGE)
    );
    // Luna's attribute alone names the set of a stored key too.
    let mut luna = public.clone();
    luna.remove(CKA_PARAMETER_SET);
    let signature = sign(&private, &[b"m"]).unwrap();
    assert_eq!(verify(&luna, &[b"m"], &signature), Ok(()));
    // A 512 signature does not verify under a 1024 key.
    let big = generate(
        &template(CKA_PARAMETER_SET, CKP_FALCON_1024),
        &Attributes::new(),
    )
    .unwrap();
    assert_eq!(
        verify(&object(CKO_PUBLIC_KEY, &big.public), &[b"m"], &signature),
        Err(Ckr::SIGNATURE_INVALID)
    );
}
