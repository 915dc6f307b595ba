//! The PKCS#11 rules of the ML-DSA mechanisms: parameters, hedging, key
//! objects, lengths, streaming long messages, the known-answer test.

use super::vectors::{signer, verifier, HASH_PARAMS};
use super::*;
use crate::mech::param_set::ParameterSet;
use crate::mech::registry;
use crate::mech::seeded::testing::{import_private, public_of, value};
use crate::mech::seeded::Scheme;

/// A key pair of `set` from a fixed seed, as C_CreateObject completes it.
fn pair(set: Set, seed: u8) -> (Attributes, Attributes) {
    let private = import_private::<Set>(Some(set.param()), Some(&[seed; 32]), None).unwrap();
    (public_of::<Set>(&private).unwrap(), private)
}

fn context(hedge: CK_HEDGE_TYPE, context: &[u8]) -> MechParam {
    MechParam::SignContext {
        hedge,
        context: context.to_vec(),
    }
}

/// C_SignInit, then the data in parts of the given sizes (cycled), then
/// C_SignFinal.
fn sign_parts(
    ty: CK_MECHANISM_TYPE,
    param: &MechParam,
    key: &Attributes,
    data: &[u8],
    parts: &[usize],
) -> Result<Vec<u8>> {
    let m = Mechanism {
        ty,
        param: param.clone(),
    };
    let mut s = registry().get(ty)?.sign(&m, key)?;
    feed(data, parts, |part| s.update(part))?;
    s.finish()
}

fn verify_parts(
    ty: CK_MECHANISM_TYPE,
    param: &MechParam,
    key: &Attributes,
    data: &[u8],
    parts: &[usize],
    sig: &[u8],
) -> Result<()> {
    let m = Mechanism {
        ty,
        param: param.clone(),
    };
    let mut v = registry().get(ty)?.verify(&m, key)?;
    feed(data, parts, |part| v.update(part))?;
    v.finish(sig)
}

fn feed(data: &[u8], parts: &[usize], mut f: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
    let mut rest = data;
    for size in parts.iter().cycle() {
        if rest.is_empty() {
            return Ok(());
        }
        let (now, later) = rest.split_at((*size).min(rest.len()));
        f(now)?;
        rest = later;
    }
    Ok(())
}

const WHOLE: &[usize] = &[usize::MAX];
const ODD: &[usize] = &[1, 4095, 65_537, 17, 100_003, 3];

fn message(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 251) as u8).collect()
}

#[test]
fn parameters() {
    let (public, private) = pair(Set::MlDsa44, 1);
    let invalid = Some(Ckr::MECHANISM_PARAM_INVALID);
    let data = b"message";
    for ty in [CKM_ML_DSA, CKM_HASH_ML_DSA_SHA256] {
        assert_eq!(
            sign_parts(
                ty,
                &context(CKH_HEDGE_PREFERRED, &[1; 256]),
                &private,
                data,
                WHOLE
            )
            .err(),
            invalid
        );
        assert_eq!(
            verify_parts(ty, &context(0, &[1; 256]), &public, data, WHOLE, &[]).err(),
            invalid
        );
        assert_eq!(
            sign_parts(ty, &context(3, b""), &private, data, WHOLE).err(),
            invalid
        );
        let hashed = MechParam::HashSignContext {
            hedge: CKH_HEDGE_PREFERRED,
            context: Vec::new(),
            hash: CKM_SHA256,
        };
        assert_eq!(
            sign_parts(ty, &hashed, &private, data, WHOLE).err(),
            invalid
        );
        assert_eq!(
            sign_parts(ty, &MechParam::Bytes(vec![]), &private, data, WHOLE).err(),
            invalid
        );
        // The hedge is not looked at on verification.
        let sig = sign_parts(
            ty,
            &context(CKH_DETERMINISTIC_REQUIRED, &[2; 255]),
            &private,
            data,
            WHOLE,
        )
        .unwrap();
        assert_eq!(
            verify_parts(ty, &context(77, &[2; 255]), &public, data, WHOLE, &sig),
            Ok(())
        );
        assert_eq!(
            sign_parts(ty, &MechParam::None, &private, data, WHOLE).map(|s| s.len()),
            Ok(2420)
        );
    }
    let digest = vec![0u8; 32];
    assert_eq!(
        sign_parts(CKM_HASH_ML_DSA, &MechParam::None, &private, &digest, WHOLE).err(),
        invalid
    );
    assert_eq!(
        sign_parts(CKM_HASH_ML_DSA, &context(0, b""), &private, &digest, WHOLE).err(),
        invalid
    );
    let with_hash = |hash| MechParam::HashSignContext {
        hedge: CKH_HEDGE_PREFERRED,
        context: Vec::new(),
        hash,
    };
    assert_eq!(
        sign_parts(
            CKM_HASH_ML_DSA,
            &with_hash(CKM_MD5),
            &private,
            &digest,
            WHOLE
        )
        .err(),
        invalid
    );
    assert_eq!(
        sign_parts(
            CKM_HASH_ML_DSA,
            &with_hash(CKM_SHA_1),
            &private,
            &digest,
            WHOLE
        )
        .err(),
        invalid
    );
    // The input of CKM_HASH_ML_DSA is a digest of the named hash's length.
    let range = Some(Ckr::DATA_LEN_RANGE);
    for (hash_ty, hash) in HASH_PARAMS {
        let param = with_hash(hash_ty);
        let n = hash.digest_len();
        let sig = sign_parts(CKM_HASH_ML_DSA, &param, &private, &vec![5; n], ODD).unwrap();
        assert_eq!(
            verify_parts(CKM_HASH_ML_DSA, &param, &public, &vec![5; n], WHOLE, &sig),
            Ok(())
        );
        assert_eq!(
            sign_parts(CKM_HASH_ML_DSA, &param, &private, &vec![5; n - 1], WHOLE).err(),
            range
        );
        assert_eq!(
            sign_parts(CKM_HASH_ML_DSA, &param, &private, &vec![5; n + 1], WHOLE).err(),
            range
        );
        assert_eq!(
            verify_parts(
                CKM_HASH_ML_DSA,
                &param,
                &public,
                &vec![5; n + 1],
                WHOLE,
                &sig
            )
            .err(),
            range
        );
        assert_eq!(
            verify_parts(
                CKM_HASH_ML_DSA,
                &param,
                &public,
                &vec![5; n - 1],
                WHOLE,
                &sig
            )
            .err(),
            range
        );
    }
}

#[test]
fn hedging() {
    let (public, private) = pair(Set::MlDsa65, 2);
    let data = b"hedged or not";
    for hedge in [CKH_HEDGE_PREFERRED, CKH_HEDGE_REQUIRED] {
        let a = sign_parts(CKM_ML_DSA, &context(hedge, b"c"), &private, data, WHOLE).unwrap();
        let b = sign_parts(CKM_ML_DSA, &context(hedge, b"c"), &private, data, WHOLE).unwrap();
        assert_ne!(a, b, "fresh randomness each time");
        for sig in [a, b] {
            assert_eq!(
                verify_parts(
                    CKM_ML_DSA,
                    &context(hedge, b"c"),
                    &public,
                    data,
                    WHOLE,
                    &sig
                ),
                Ok(())
            );
        }
    }
    let det = context(CKH_DETERMINISTIC_REQUIRED, b"c");
    let a = sign_parts(CKM_ML_DSA, &det, &private, data, WHOLE).unwrap();
    assert_eq!(
        sign_parts(CKM_ML_DSA, &det, &private, data, ODD),
        Ok(a.clone())
    );
    assert_eq!(
        Set::MlDsa65.sign(&value(&private), data, b"c", &[0; 32]),
        Ok(a)
    );
}

#[test]
fn every_mechanism_signs_and_verifies() {
    let data = message(1000);
    for set in Set::all().iter().copied() {
        let (public, private) = pair(set, 3);
        let mut ways: Vec<(CK_MECHANISM_TYPE, MechParam, Vec<u8>)> =
            vec![(CKM_ML_DSA, context(0, b"ctx"), data.clone())];
        for (ty, _, _) in super::HASHING_MECHANISMS {
            ways.push((*ty, context(0, b"ctx"), data.clone()));
        }
        for (hash, h) in HASH_PARAMS {
            let param = MechParam::HashSignContext {
                hedge: 0,
                context: b"ctx".to_vec(),
                hash,
            };
            ways.push((CKM_HASH_ML_DSA, param, vec![9; h.digest_len()]));
        }
        for (ty, param, input) in &ways {
            let sig = sign_parts(*ty, param, &private, input, ODD).unwrap();
            assert_eq!(sig.len(), set.signature_len());
            assert_eq!(
                verify_parts(*ty, param, &public, input, WHOLE, &sig),
                Ok(())
            );
            assert_eq!(verify_parts(*ty, param, &public, input, ODD, &sig), Ok(()));
            let mut changed = sig.clone();
            changed[7] ^= 1;
            let invalid = Some(Ckr::SIGNATURE_INVALID);
            assert_eq!(
                verify_parts(*ty, param, &public, input, WHOLE, &changed).err(),
                invalid
            );
            let mut other_input = input.clone();
            other_input[0] ^= 1;
            assert_eq!(
                verify_parts(*ty, param, &public, &other_input, WHOLE, &sig).err(),
                invalid
            );
            let other_context = match param {
                MechParam::HashSignContext { hedge, hash, .. } => MechParam::HashSignContext {
                    hedge: *hedge,
                    context: b"CTX".to_vec(),
                    hash: *hash,
                },
                _ => context(0, b"CTX"),
            };
            assert_eq!(
                verify_parts(*ty, &other_context, &public, input, WHOLE, &sig).err(),
                invalid
            );
            let len_range = Err(Ckr::SIGNATURE_LEN_RANGE);
            assert_eq!(
                verify_parts(*ty, param, &public, input, WHOLE, &sig[1..]),
                len_range
            );
            assert_eq!(
                verify_parts(
                    *ty,
                    param,
                    &public,
                    input,
                    WHOLE,
                    &[&sig[..], &[0]].concat()
                ),
                len_range
            );
        }
    }
}

#[test]
fn key_objects() {
    let (public, private) = pair(Set::MlDsa87, 4);
    let inconsistent = Some(Ckr::KEY_TYPE_INCONSISTENT);
    let param = MechParam::None;
    assert_eq!(
        sign_parts(CKM_ML_DSA, &param, &public, b"m", WHOLE).err(),
        inconsistent
    );
    assert_eq!(
        verify_parts(CKM_ML_DSA, &param, &private, b"m", WHOLE, &[0; 4627]).err(),
        inconsistent
    );
    let mut kem = private.clone();
    kem.set_ulong(CKA_KEY_TYPE, CKK_ML_KEM);
    assert_eq!(
        sign_parts(CKM_ML_DSA, &param, &kem, b"m", WHOLE).err(),
        inconsistent
    );
    let mut other_set = private.clone();
    other_set.set_ulong(CKA_PARAMETER_SET, CKP_ML_DSA_44);
    assert_eq!(
        sign_parts(CKM_ML_DSA, &param, &other_set, b"m", WHOLE),
        Err(Ckr::KEY_SIZE_RANGE)
    );
    let mut unknown = public.clone();
    unknown.set_ulong(CKA_PARAMETER_SET, 9);
    assert_eq!(
        verify_parts(CKM_ML_DSA, &param, &unknown, b"m", WHOLE, &[0; 4627]),
        Err(Ckr(CKR_PARAMETER_SET_NOT_SUPPORTED))
    );
}

/// Sets every code of s1 (η = 2: three bits each) to `code` in an expanded
/// ML-DSA-44 key.
fn with_s1_code(sk: &[u8], code: u32) -> Vec<u8> {
    let mut sk = sk.to_vec();
    let v = (0..8).fold(0u32, |acc, i| acc | code << (3 * i));
    for chunk in sk[128..128 + 4 * 96].chunks_exact_mut(3) {
        chunk.copy_from_slice(&v.to_le_bytes()[..3]);
    }
    sk
}

#[test]
fn secret_vectors_out_of_range_are_refused_without_panic() {
    let (_, private) = pair(Set::MlDsa44, 5);
    let sk = value(&private);
    assert!(Set::MlDsa44.s_in_range(&sk));
    assert!(Set::MlDsa44.s_in_range(&with_s1_code(&sk, 4)));
    let bad = with_s1_code(&sk, 5);
    assert!(!Set::MlDsa44.s_in_range(&bad));
    assert_eq!(Set::MlDsa44.public_of_private(&bad), None);
    assert_eq!(
        Set::MlDsa44.sign_mu(&bad, &[0; 64], &[0; 32]),
        Err(Ckr::GENERAL_ERROR)
    );
    assert_eq!(
        import_private::<Set>(None, None, Some(&bad)),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    // η = 4: a nibble of 9 in s2.
    let (_, private) = pair(Set::MlDsa65, 5);
    let mut sk = value(&private);
    assert!(Set::MlDsa65.s_in_range(&sk));
    sk[128 + 5 * 128 + 3] = 0x90;
    assert!(!Set::MlDsa65.s_in_range(&sk));
    assert!(!Set::MlDsa65.s_in_range(&sk[..200]));
    // A changed tr does not match H(pk).
    let mut sk = value(&private);
    sk[100] ^= 1;
    assert_eq!(Set::MlDsa65.public_of_private(&sk), None);
}

/// Messages around the whole-message limit and a 3 MiB one in odd parts:
/// the μ path gives the very signature libcrux gives for the whole message.
#[test]
fn long_messages_stream_through_mu() {
    let set = Set::MlDsa65;
    let (public, private) = pair(set, 6);
    let sk = value(&private);
    let rnd = [0x42; 32];
    let param = context(CKH_HEDGE_REQUIRED, b"streaming");
    for len in [
        WHOLE_MESSAGE_LIMIT - 1,
        WHOLE_MESSAGE_LIMIT,
        WHOLE_MESSAGE_LIMIT + 1,
    ] {
        let data = message(len);
        let expected = set.sign(&sk, &data, b"streaming", &rnd).unwrap();
        for parts in [WHOLE, ODD] {
            let mut s =
                signer(CKM_ML_DSA, &param, &private, Some(rnd), WHOLE_MESSAGE_LIMIT).unwrap();
            feed(&data, parts, |part| s.update(part)).unwrap();
            assert_eq!(s.finish().unwrap(), expected, "{len} bytes");
            let mut v = verifier(CKM_ML_DSA, &param, &public, WHOLE_MESSAGE_LIMIT).unwrap();
            feed(&data, parts, |part| v.update(part)).unwrap();
            assert_eq!(v.finish(&expected), Ok(()));
        }
    }
    let data = message(3 * 1024 * 1024 + 7);
    let det = context(CKH_DETERMINISTIC_REQUIRED, b"streaming");
    let expected = set.sign(&sk, &data, b"streaming", &[0; 32]).unwrap();
    assert_eq!(
        sign_parts(CKM_ML_DSA, &det, &private, &data, ODD),
        Ok(expected.clone())
    );
    assert_eq!(
        set.verify(&value(&public), &data, b"streaming", &expected),
        Ok(())
    );
    assert_eq!(
        verify_parts(CKM_ML_DSA, &det, &public, &data, ODD, &expected),
        Ok(())
    );
    let mut changed = data.clone();
    changed[2 * 1024 * 1024] ^= 1;
    assert_eq!(
        verify_parts(CKM_ML_DSA, &det, &public, &changed, ODD, &expected),
        Err(Ckr::SIGNATURE_INVALID)
    );
}

#[test]
fn known_answer_passes() {
    assert_eq!(known_answer(), Ok(true));
}
