//! Signatures: PKCS#1 v1.5 (DigestInfo given or made), PSS (digest given or
//! made, every hash, several salt lengths), raw; checked against each other
//! and against aws-lc-rs's verifier.

use super::{digest, mechanism, pair, pss, sign, verify};
use crate::error::Ckr;
use crate::mech::rsa::hash::{Hash, SHA256};
use crate::mech::{registry, MechParam};
use aws_lc_rs::signature::{self as theirs, RsaParameters, RsaPublicKeyComponents};
use cryptoki_sys::*;

/// Each hash with its PKCS#1 and PSS signing mechanisms.
const HASHES: [(CK_MECHANISM_TYPE, CK_MECHANISM_TYPE, CK_MECHANISM_TYPE); 5] = [
    (CKM_SHA_1, CKM_SHA1_RSA_PKCS, CKM_SHA1_RSA_PKCS_PSS),
    (CKM_SHA224, CKM_SHA224_RSA_PKCS, CKM_SHA224_RSA_PKCS_PSS),
    (CKM_SHA256, CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS),
    (CKM_SHA384, CKM_SHA384_RSA_PKCS, CKM_SHA384_RSA_PKCS_PSS),
    (CKM_SHA512, CKM_SHA512_RSA_PKCS, CKM_SHA512_RSA_PKCS_PSS),
];

/// aws-lc-rs's verifier for a hash, where it has one (PKCS#1, PSS).
fn their_params(
    hash: CK_MECHANISM_TYPE,
) -> Option<(&'static RsaParameters, &'static RsaParameters)> {
    match hash {
        CKM_SHA256 => Some((
            &theirs::RSA_PKCS1_2048_8192_SHA256,
            &theirs::RSA_PSS_2048_8192_SHA256,
        )),
        CKM_SHA384 => Some((
            &theirs::RSA_PKCS1_2048_8192_SHA384,
            &theirs::RSA_PSS_2048_8192_SHA384,
        )),
        CKM_SHA512 => Some((
            &theirs::RSA_PKCS1_2048_8192_SHA512,
            &theirs::RSA_PSS_2048_8192_SHA512,
        )),
        _ => None,
    }
}

fn their_key() -> RsaPublicKeyComponents<Vec<u8>> {
    let (public, _) = pair();
    RsaPublicKeyComponents {
        n: public.get(CKA_MODULUS).unwrap().to_vec(),
        e: public.get(CKA_PUBLIC_EXPONENT).unwrap().to_vec(),
    }
}

fn message() -> Vec<u8> {
    (0..1000u32).map(|i| (i * 31 + 7) as u8).collect()
}

#[test]
fn pkcs1_hashing_and_digest_info_forms_agree() {
    let (public, private) = pair();
    let data = message();
    let raw = mechanism(CKM_RSA_PKCS, MechParam::None);
    for (hash, pkcs1, _) in HASHES {
        let m = mechanism(pkcs1, MechParam::None);
        let signature = sign(&m, private, &data, 37).unwrap();
        assert_eq!(signature.len(), 256);
        verify(&m, public, &data, &signature).unwrap();
        // PKCS#1 v1.5 is deterministic: the caller's DigestInfo gives the
        // same signature.
        let info = Hash::by_mechanism(hash)
            .unwrap()
            .digest_info(&digest(hash, &data));
        assert_eq!(sign(&raw, private, &info, 1000).unwrap(), signature);
        verify(&raw, public, &info, &signature).unwrap();
        if let Some((params, _)) = their_params(hash) {
            their_key().verify(params, &data, &signature).unwrap();
        }
        let mut tampered = signature.clone();
        tampered[100] ^= 1;
        assert_eq!(
            verify(&m, public, &data, &tampered),
            Err(Ckr::SIGNATURE_INVALID)
        );
        assert_eq!(
            verify(&m, public, &data[1..], &signature),
            Err(Ckr::SIGNATURE_INVALID)
        );
        assert_eq!(
            verify(&m, public, &data, &signature[1..]),
            Err(Ckr::SIGNATURE_LEN_RANGE)
        );
    }
    their_key()
        .verify(
            &theirs::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            &data,
            &sign(
                &mechanism(CKM_SHA1_RSA_PKCS, MechParam::None),
                private,
                &data,
                5,
            )
            .unwrap(),
        )
        .unwrap();
    // CKM_RSA_PKCS takes up to k − 11 bytes.
    assert!(sign(&raw, private, &[7; 245], 245).is_ok());
    assert_eq!(
        sign(&raw, private, &[7; 246], 246),
        Err(Ckr::DATA_LEN_RANGE)
    );
    assert_eq!(
        verify(&raw, public, &[7; 246], &[0; 256]),
        Err(Ckr::DATA_LEN_RANGE)
    );
}

#[test]
fn pss_round_trips_for_every_hash_and_salt() {
    let (public, private) = pair();
    let data = message();
    for (hash, _, hashing) in HASHES {
        let h = Hash::by_mechanism(hash).unwrap();
        let max_salt = 256 - h.len - 2;
        for salt in [0, h.len, max_salt] {
            let param = pss(hash, h.mgf, salt as CK_ULONG);
            let m = mechanism(hashing, param.clone());
            let signature = sign(&m, private, &data, 64).unwrap();
            verify(&m, public, &data, &signature).unwrap();
            // The digest form with the same parameter agrees.
            let given = mechanism(CKM_RSA_PKCS_PSS, param);
            let d = digest(hash, &data);
            verify(&given, public, &d, &signature).unwrap();
            assert!(verify(&given, public, &d, &sign(&given, private, &d, 7).unwrap()).is_ok());
            // Any other salt length is a different signature scheme.
            let other_salt = if salt == 0 { 1 } else { salt - 1 };
            let other = mechanism(hashing, pss(hash, h.mgf, other_salt as CK_ULONG));
            assert_eq!(
                verify(&other, public, &data, &signature),
                Err(Ckr::SIGNATURE_INVALID)
            );
            if salt > 0 {
                assert_ne!(sign(&m, private, &data, 64).unwrap(), signature);
            }
            if let (Some((_, params)), true) = (their_params(hash), salt == h.len) {
                their_key().verify(params, &data, &signature).unwrap();
            }
        }
    }
}

#[test]
fn pss_parameters_are_checked() {
    let (public, private) = pair();
    let bad = [
        // The hashing form's hash is fixed.
        (
            CKM_SHA256_RSA_PKCS_PSS,
            pss(CKM_SHA384, CKG_MGF1_SHA384, 32),
        ),
        // MGF1 must use the same hash.
        (CKM_SHA256_RSA_PKCS_PSS, pss(CKM_SHA256, CKG_MGF1_SHA1, 32)),
        (CKM_RSA_PKCS_PSS, pss(CKM_SHA256, CKG_MGF1_SHA512, 32)),
        // Salt beyond emLen − hLen − 2.
        (
            CKM_RSA_PKCS_PSS,
            pss(CKM_SHA256, CKG_MGF1_SHA256, 256 - 32 - 1),
        ),
        (
            CKM_RSA_PKCS_PSS,
            pss(CKM_SHA256, CKG_MGF1_SHA256, CK_ULONG::MAX),
        ),
        // Hashes this module does not offer for RSA.
        (CKM_RSA_PKCS_PSS, pss(CKM_SHA3_256, CKG_MGF1_SHA3_256, 32)),
        (CKM_RSA_PKCS_PSS, pss(CKM_SHA256, 0x1234, 32)),
        // No parameter, or another mechanism's.
        (CKM_SHA256_RSA_PKCS_PSS, MechParam::None),
        (CKM_RSA_PKCS_PSS, MechParam::Bytes(vec![0; 8])),
        // PKCS#1 v1.5 and raw take none.
        (CKM_RSA_PKCS, MechParam::Ulong(1)),
        (CKM_SHA256_RSA_PKCS, pss(CKM_SHA256, CKG_MGF1_SHA256, 32)),
        (CKM_RSA_X_509, MechParam::Bytes(vec![])),
    ];
    for (ty, param) in bad {
        let m = mechanism(ty, param.clone());
        let mech = registry().get(ty).unwrap();
        assert_eq!(
            mech.sign(&m, private).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID),
            "{param:?}"
        );
        assert_eq!(
            mech.verify(&m, public).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID),
            "{param:?}"
        );
    }
    // The largest salt fits.
    let m = mechanism(
        CKM_RSA_PKCS_PSS,
        pss(CKM_SHA256, CKG_MGF1_SHA256, 256 - 32 - 2),
    );
    assert!(sign(&m, private, &[1; 32], 32).is_ok());
    // The digest must have the hash's length: too long at once, too short
    // at the end.
    assert_eq!(sign(&m, private, &[1; 33], 33), Err(Ckr::DATA_LEN_RANGE));
    assert_eq!(sign(&m, private, &[1; 31], 31), Err(Ckr::DATA_LEN_RANGE));
    assert_eq!(
        verify(&m, public, &[1; 31], &[0; 256]),
        Err(Ckr::DATA_LEN_RANGE)
    );
}

#[test]
fn raw_signatures_are_the_rsa_primitive() {
    let (public, private) = pair();
    let raw = mechanism(CKM_RSA_X_509, MechParam::None);
    // A raw signature of EMSA-PKCS1-v1_5 is the PKCS#1 v1.5 signature.
    let info = SHA256.digest_info(&digest(CKM_SHA256, b"abc"));
    let mut em = vec![0x00, 0x01];
    em.resize(256 - info.len() - 1, 0xff);
    em.push(0x00);
    em.extend_from_slice(&info);
    let pkcs1 = mechanism(CKM_SHA256_RSA_PKCS, MechParam::None);
    let signature = sign(&raw, private, &em, 100).unwrap();
    assert_eq!(signature, sign(&pkcs1, private, b"abc", 1).unwrap());
    verify(&raw, public, &em, &signature).unwrap();
    // Short input is a number: left-padded with zeros.
    let short = sign(&raw, private, &[0x42; 20], 20).unwrap();
    let mut padded = vec![0; 236];
    padded.extend_from_slice(&[0x42; 20]);
    assert_eq!(sign(&raw, private, &padded, 256).unwrap(), short);
    verify(&raw, public, &[0x42; 20], &short).unwrap();
    verify(&raw, public, &padded, &short).unwrap();
    assert_eq!(
        verify(&raw, public, &[0x43; 20], &short),
        Err(Ckr::SIGNATURE_INVALID)
    );
    // n or more, and more than k bytes, are refused.
    assert_eq!(
        sign(&raw, private, &[0xff; 256], 256),
        Err(Ckr::DATA_INVALID)
    );
    assert_eq!(
        sign(&raw, private, public.get(CKA_MODULUS).unwrap(), 256),
        Err(Ckr::DATA_INVALID)
    );
    assert_eq!(
        sign(&raw, private, &[1; 257], 257),
        Err(Ckr::DATA_LEN_RANGE)
    );
}

#[test]
fn keys_of_the_wrong_kind_are_refused() {
    let (public, private) = pair();
    let m = mechanism(CKM_SHA256_RSA_PKCS, MechParam::None);
    let mech = registry().get(m.ty).unwrap();
    assert_eq!(
        mech.sign(&m, public).err(),
        Some(Ckr::KEY_TYPE_INCONSISTENT)
    );
    assert_eq!(
        mech.verify(&m, private).err(),
        Some(Ckr::KEY_TYPE_INCONSISTENT)
    );
    let aes = crate::mech::secret::test_keys::key(CKK_AES, &[0; 16]);
    assert_eq!(mech.sign(&m, &aes).err(), Some(Ckr::KEY_TYPE_INCONSISTENT));
    // Mechanisms used for what they do not do.
    assert_eq!(mech.encrypt(&m, public).err(), Some(Ckr::MECHANISM_INVALID));
    let oaep = mechanism(
        CKM_RSA_PKCS_OAEP,
        super::oaep(CKM_SHA256, CKG_MGF1_SHA256, b""),
    );
    let oaep_mech = registry().get(oaep.ty).unwrap();
    assert_eq!(
        oaep_mech.sign(&oaep, private).err(),
        Some(Ckr::MECHANISM_INVALID)
    );
    let pss_mech = registry().get(CKM_RSA_PKCS_PSS).unwrap();
    assert_eq!(
        pss_mech.decrypt(&oaep, private).err(),
        Some(Ckr::MECHANISM_INVALID)
    );
}
