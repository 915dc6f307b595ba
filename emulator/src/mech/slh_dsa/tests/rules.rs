//! The PKCS#11 behaviour of the SLH-DSA mechanisms. Most tests use
//! SLH-DSA-SHA2-128f, the fastest set.

use super::{context, fast, generate, pair, sign, verify, with_set, PARAMETER_SET_NOT_SUPPORTED};
use crate::attr::Attributes;
use crate::error::Ckr;
use crate::mech::slh_dsa::params::{Set, SETS};
use crate::mech::slh_dsa::HASHING_MECHANISMS;
use crate::mech::slh_dsa::{kat, known_answer};
use crate::mech::{registry, MechParam, Mechanism};
use cryptoki_sys::*;
use sha2::{Digest, Sha256};

/// The table agrees with the library's own names and OIDs.
#[test]
fn parameter_sets_match_the_library() {
    macro_rules! check {
        ($($ckp:ident => $p:ty),* $(,)?) => {$(
            let set = Set::by_ckp($ckp).unwrap();
            assert_eq!(set.name, <$p as slh_dsa::ParameterSet>::NAME);
            assert_eq!(set.oid.to_string(), <$p as slh_dsa::ParameterSet>::ALGORITHM_OID.to_string());
        )*};
    }
    check!(
        CKP_SLH_DSA_SHA2_128S => slh_dsa::Sha2_128s, CKP_SLH_DSA_SHAKE_128S => slh_dsa::Shake128s,
        CKP_SLH_DSA_SHA2_128F => slh_dsa::Sha2_128f, CKP_SLH_DSA_SHAKE_128F => slh_dsa::Shake128f,
        CKP_SLH_DSA_SHA2_192S => slh_dsa::Sha2_192s, CKP_SLH_DSA_SHAKE_192S => slh_dsa::Shake192s,
        CKP_SLH_DSA_SHA2_192F => slh_dsa::Sha2_192f, CKP_SLH_DSA_SHAKE_192F => slh_dsa::Shake192f,
        CKP_SLH_DSA_SHA2_256S => slh_dsa::Sha2_256s, CKP_SLH_DSA_SHAKE_256S => slh_dsa::Shake256s,
        CKP_SLH_DSA_SHA2_256F => slh_dsa::Sha2_256f, CKP_SLH_DSA_SHAKE_256F => slh_dsa::Shake256f,
    );
    let ckps: Vec<CK_ULONG> = SETS.iter().map(|s| s.ckp).collect();
    assert_eq!(ckps, (1..=12).collect::<Vec<_>>());
}

#[test]
fn mechanisms_are_registered() {
    let r = registry();
    let gen = r.get(CKM_SLH_DSA_KEY_PAIR_GEN).unwrap().info();
    assert_eq!(
        (gen.ulMinKeySize, gen.ulMaxKeySize, gen.flags),
        (32, 64, CKF_GENERATE_KEY_PAIR)
    );
    let mut signing = vec![CKM_SLH_DSA, CKM_HASH_SLH_DSA];
    signing.extend(HASHING_MECHANISMS.iter().map(|(ty, _, _)| *ty));
    assert_eq!(signing.len(), 12);
    for ty in signing {
        let m = r.get(ty).unwrap();
        assert!(
            m.name().starts_with("CKM_") && m.name().contains("SLH_DSA"),
            "{}",
            m.name()
        );
        let info = m.info();
        assert_eq!(
            (info.ulMinKeySize, info.ulMaxKeySize, info.flags),
            (32, 64, CKF_SIGN | CKF_VERIFY)
        );
    }
    assert_eq!(
        r.get(CKM_HASH_SLH_DSA_SHAKE256).unwrap().name(),
        "CKM_HASH_SLH_DSA_SHAKE256"
    );
    assert!(r.family(CKK_SLH_DSA).unwrap().is_some());
}

#[test]
fn key_pair_template_rules() {
    let none = Attributes::new();
    assert_eq!(generate(&none, &none).err(), Some(Ckr::TEMPLATE_INCOMPLETE));
    assert_eq!(
        generate(&with_set(13), &none).err(),
        Some(PARAMETER_SET_NOT_SUPPORTED)
    );
    assert_eq!(
        generate(&with_set(0), &none).err(),
        Some(PARAMETER_SET_NOT_SUPPORTED)
    );
    let public = with_set(CKP_SLH_DSA_SHA2_128F);
    assert_eq!(
        generate(&public, &with_set(CKP_SLH_DSA_SHAKE_128F)).err(),
        Some(Ckr::TEMPLATE_INCONSISTENT)
    );
    assert!(generate(&public, &with_set(CKP_SLH_DSA_SHA2_128F)).is_ok());
    let m = Mechanism {
        ty: CKM_SLH_DSA_KEY_PAIR_GEN,
        param: MechParam::Bytes(vec![0]),
    };
    let gen = registry().get(CKM_SLH_DSA_KEY_PAIR_GEN).unwrap();
    assert_eq!(
        gen.generate_key_pair(&m, &public, &none).err(),
        Some(Ckr::MECHANISM_PARAM_INVALID)
    );
}

/// Every set generates, and what it generates signs and verifies through
/// CKM_SLH_DSA. The SPKI is RFC 9909's: no parameters, the raw pk.
#[test]
fn every_set_generates_signs_and_verifies() {
    for set in &SETS {
        let (private, public) = pair(set);
        let (sk, pk) = (
            private.get(CKA_VALUE).unwrap(),
            public.get(CKA_VALUE).unwrap(),
        );
        assert_eq!(
            (sk.len(), pk.len(), &sk[2 * set.n..]),
            (4 * set.n, 2 * set.n, pk),
            "{}",
            set.name
        );
        for half in [&private, &public] {
            assert_eq!(half.ulong(CKA_KEY_TYPE), Ok(Some(CKK_SLH_DSA)));
            assert_eq!(half.ulong(CKA_PARAMETER_SET), Ok(Some(set.ckp)));
        }
        // SEQUENCE { SEQUENCE { OID } BIT STRING { 00 pk } }
        let spki = public.get(CKA_PUBLIC_KEY_INFO).unwrap();
        assert_eq!(spki, private.get(CKA_PUBLIC_KEY_INFO).unwrap());
        let len = 2 * set.n;
        let mut expected = vec![0x30, (len + 16) as u8, 0x30, 0x0b, 0x06, 0x09];
        expected.extend_from_slice(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03]);
        expected.push(*set.oid.as_bytes().last().unwrap());
        expected.extend_from_slice(&[0x03, (len + 1) as u8, 0x00]);
        expected.extend_from_slice(pk);
        assert_eq!(spki, expected.as_slice(), "{}", set.name);
        let param = context(CKH_HEDGE_PREFERRED, b"ctx");
        let signature = sign(CKM_SLH_DSA, &param, &private, &[b"message"]).unwrap();
        assert_eq!(signature.len(), set.sig_len, "{}", set.name);
        assert_eq!(
            verify(CKM_SLH_DSA, &param, &public, &[b"message"], &signature),
            Ok(()),
            "{}",
            set.name
        );
    }
}

#[test]
fn hedging_and_context() {
    let (private, public) = pair(fast());
    let msg: &[u8] = b"the message";
    let det = context(CKH_DETERMINISTIC_REQUIRED, b"");
    let a = sign(CKM_SLH_DSA, &det, &private, &[msg]).unwrap();
    assert_eq!(
        sign(CKM_SLH_DSA, &det, &private, &[b"the ", b"", b"message"]).unwrap(),
        a
    );
    // No parameter: hedge preferred, empty context; the token hedges.
    let hedged = sign(CKM_SLH_DSA, &MechParam::None, &private, &[msg]).unwrap();
    let required = sign(
        CKM_SLH_DSA,
        &context(CKH_HEDGE_REQUIRED, b""),
        &private,
        &[msg],
    )
    .unwrap();
    assert!(hedged != a && required != a && hedged != required);
    for signature in [&a, &hedged, &required] {
        assert_eq!(
            verify(CKM_SLH_DSA, &MechParam::None, &public, &[msg], signature),
            Ok(())
        );
        assert_eq!(
            verify(
                CKM_SLH_DSA,
                &det,
                &public,
                &[b"the mess", b"age"],
                signature
            ),
            Ok(())
        );
    }
    // The context is bound into the signature.
    let with_ctx = sign(
        CKM_SLH_DSA,
        &context(CKH_DETERMINISTIC_REQUIRED, &[7; 255]),
        &private,
        &[msg],
    )
    .unwrap();
    let verify_ctx = |ctx: &[u8]| {
        verify(
            CKM_SLH_DSA,
            &context(CKH_HEDGE_PREFERRED, ctx),
            &public,
            &[msg],
            &with_ctx,
        )
    };
    assert_eq!(verify_ctx(&[7; 255]), Ok(()));
    assert_eq!(verify_ctx(&[7; 254]), Err(Ckr::SIGNATURE_INVALID));
    assert_eq!(verify_ctx(b""), Err(Ckr::SIGNATURE_INVALID));
    // The hedge variant is ignored on verify, checked on sign.
    let odd = context(9, b"");
    assert_eq!(verify(CKM_SLH_DSA, &odd, &public, &[msg], &a), Ok(()));
    assert_eq!(
        sign(CKM_SLH_DSA, &odd, &private, &[msg]),
        Err(Ckr::MECHANISM_PARAM_INVALID)
    );
    let long = context(CKH_HEDGE_PREFERRED, &[0; 256]);
    assert_eq!(
        sign(CKM_SLH_DSA, &long, &private, &[msg]),
        Err(Ckr::MECHANISM_PARAM_INVALID)
    );
    assert_eq!(
        verify(CKM_SLH_DSA, &long, &public, &[msg], &a),
        Err(Ckr::MECHANISM_PARAM_INVALID)
    );
    let hash_param = MechParam::HashSignContext {
        hedge: CKH_HEDGE_PREFERRED,
        context: vec![],
        hash: CKM_SHA256,
    };
    assert_eq!(
        sign(CKM_SLH_DSA, &hash_param, &private, &[msg]),
        Err(Ckr::MECHANISM_PARAM_INVALID)
    );
    assert_eq!(
        sign(CKM_SLH_DSA, &MechParam::Bytes(vec![1]), &private, &[msg]),
        Err(Ckr::MECHANISM_PARAM_INVALID)
    );
}

#[test]
fn signatures_of_the_wrong_shape() {
    let (private, public) = pair(fast());
    let signature = sign(CKM_SLH_DSA, &MechParam::None, &private, &[b"m"]).unwrap();
    let check = |sig: &[u8]| verify(CKM_SLH_DSA, &MechParam::None, &public, &[b"m"], sig);
    assert_eq!(check(&signature[1..]), Err(Ckr::SIGNATURE_LEN_RANGE));
    assert_eq!(
        check(&[signature.as_slice(), &[0]].concat()),
        Err(Ckr::SIGNATURE_LEN_RANGE)
    );
    assert_eq!(check(&[]), Err(Ckr::SIGNATURE_LEN_RANGE));
    for at in [0, 16, 5000, signature.len() - 1] {
        let mut bad = signature.clone();
        bad[at] ^= 0x80;
        assert_eq!(check(&bad), Err(Ckr::SIGNATURE_INVALID), "byte {at}");
    }
}

#[test]
fn keys_are_checked() {
    let (private, public) = pair(fast());
    let m = Mechanism {
        ty: CKM_SLH_DSA,
        param: MechParam::None,
    };
    let mech = registry().get(CKM_SLH_DSA).unwrap();
    assert_eq!(
        mech.sign(&m, &public).err(),
        Some(Ckr::KEY_TYPE_INCONSISTENT)
    );
    assert_eq!(
        mech.verify(&m, &private).err(),
        Some(Ckr::KEY_TYPE_INCONSISTENT)
    );
    let mut ml_dsa = private.clone();
    ml_dsa.set_ulong(CKA_KEY_TYPE, CKK_ML_DSA);
    assert_eq!(
        mech.sign(&m, &ml_dsa).err(),
        Some(Ckr::KEY_TYPE_INCONSISTENT)
    );
    let mut other_set = private.clone();
    other_set.set_ulong(CKA_PARAMETER_SET, CKP_SLH_DSA_SHA2_192F);
    assert_eq!(mech.sign(&m, &other_set).err(), Some(Ckr::KEY_SIZE_RANGE));
    other_set.set_ulong(CKA_PARAMETER_SET, 99);
    assert_eq!(
        mech.sign(&m, &other_set).err(),
        Some(PARAMETER_SET_NOT_SUPPORTED)
    );
}

/// CKM_HASH_SLH_DSA_<hash> over M equals CKM_HASH_SLH_DSA over PH(M), and
/// both equal slh_sign_internal over M' = 1 ‖ |ctx| ‖ ctx ‖ OID ‖ PH(M)
/// built here by hand (FIPS 205 Alg. 23); none verifies as pure SLH-DSA.
#[test]
fn hash_slh_dsa_every_hash() {
    let set = fast();
    let (private, public) = pair(set);
    let sk = private.get(CKA_VALUE).unwrap();
    let message: Vec<u8> = (0..3000u32).map(|i| (i * 31 % 251) as u8).collect();
    let ctx = b"pre-hash context";
    // The digest mechanism naming each hash, and its OID's last arc, in
    // the order of HASHING_MECHANISMS.
    let hashes: [(CK_MECHANISM_TYPE, u8); 10] = [
        (CKM_SHA224, 4),
        (CKM_SHA256, 1),
        (CKM_SHA384, 2),
        (CKM_SHA512, 3),
        (CKM_SHA3_224, 7),
        (CKM_SHA3_256, 8),
        (CKM_SHA3_384, 9),
        (CKM_SHA3_512, 10),
        (CKM_SHAKE_128_KEY_DERIVATION, 11),
        (CKM_SHAKE_256_KEY_DERIVATION, 12),
    ];
    for ((mechanism, name, prehash), (hash, arc)) in HASHING_MECHANISMS.into_iter().zip(hashes) {
        let mut h = prehash.hasher();
        h.update(&message);
        let digest = h.finish();
        assert_eq!(digest.len(), prehash.digest_len(), "{name}");
        let det = context(CKH_DETERMINISTIC_REQUIRED, ctx);
        let hashing = sign(
            mechanism,
            &det,
            &private,
            &[&message[..1000], &message[1000..]],
        )
        .unwrap();
        let given = MechParam::HashSignContext {
            hedge: CKH_DETERMINISTIC_REQUIRED,
            context: ctx.to_vec(),
            hash,
        };
        let digested = sign(CKM_HASH_SLH_DSA, &given, &private, &[&digest]).unwrap();
        let oid = [
            0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, arc,
        ];
        let by_hand = set
            .sign(sk, &[&[1, ctx.len() as u8], ctx, &oid, &digest], None)
            .unwrap();
        assert!(hashing == by_hand && digested == by_hand, "{}", name);
        let hedged = sign(mechanism, &MechParam::None, &private, &[&message]).unwrap();
        assert_eq!(
            verify(mechanism, &MechParam::None, &public, &[&message], &hedged),
            Ok(()),
            "{}",
            name
        );
        assert_eq!(
            verify(mechanism, &det, &public, &[&message], &by_hand),
            Ok(())
        );
        assert_eq!(
            verify(CKM_HASH_SLH_DSA, &given, &public, &[&digest], &hashing),
            Ok(())
        );
        assert_eq!(
            verify(mechanism, &det, &public, &[&message[1..]], &by_hand),
            Err(Ckr::SIGNATURE_INVALID)
        );
        assert_eq!(
            verify(CKM_SLH_DSA, &det, &public, &[&message], &by_hand),
            Err(Ckr::SIGNATURE_INVALID)
        );
        // The caller's digest must have the hash's length.
        let long = [digest.as_slice(), &[0]].concat();
        assert_eq!(
            sign(CKM_HASH_SLH_DSA, &given, &private, &[&long]),
            Err(Ckr::DATA_LEN_RANGE)
        );
        assert_eq!(
            sign(CKM_HASH_SLH_DSA, &given, &private, &[&digest[1..]]),
            Err(Ckr::DATA_LEN_RANGE)
        );
        assert_eq!(
            verify(CKM_HASH_SLH_DSA, &given, &public, &[&digest[1..]], &by_hand),
            Err(Ckr::DATA_LEN_RANGE)
        );
    }
    // CKM_HASH_SLH_DSA needs CK_HASH_SIGN_ADDITIONAL_CONTEXT with a known hash.
    let digest = Sha256::digest(&message);
    for param in [
        MechParam::None,
        context(CKH_HEDGE_PREFERRED, b""),
        MechParam::HashSignContext {
            hedge: CKH_HEDGE_PREFERRED,
            context: vec![],
            hash: CKM_MD5,
        },
    ] {
        assert_eq!(
            sign(CKM_HASH_SLH_DSA, &param, &private, &[&digest]),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }
    let hash_param = MechParam::HashSignContext {
        hedge: CKH_HEDGE_PREFERRED,
        context: vec![],
        hash: CKM_SHA256,
    };
    assert_eq!(
        sign(CKM_HASH_SLH_DSA_SHA256, &hash_param, &private, &[b"m"]),
        Err(Ckr::MECHANISM_PARAM_INVALID)
    );
}

/// The known answer is the vector it names, and passes.
#[test]
fn known_answer_is_the_vector() {
    let path = crate::mech::test_vectors::dir().join("slhdsa-siggen-supplement.json");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let case = file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "acvp-2025-10/tg1/tc1")
        .unwrap();
    assert_eq!(case["parameterSet"], "SLH-DSA-SHA2-128f");
    assert_eq!(
        (case["deterministic"].as_bool(), case["context"].as_str()),
        (Some(true), Some(""))
    );
    assert_eq!(case["sk"].as_str().unwrap(), kat::SK);
    assert_eq!(
        hex::decode(case["message"].as_str().unwrap()).unwrap(),
        kat::MESSAGE
    );
    let signature = hex::decode(case["signature"].as_str().unwrap()).unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&signature)),
        kat::SIGNATURE_SHA256
    );
    let start = std::time::Instant::now();
    assert_eq!(known_answer(), Ok(true));
    println!("SLH-DSA known_answer: {:?}", start.elapsed());
}
