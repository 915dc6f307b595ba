//! Composite ML-KEM and ML-DSA against the drafts' test vectors
//! (vectors/composite), and the property that makes a composite worth
//! having: a signature with one bad half does not verify.

use super::kem::{KemSet, SETS as KEM_SETS};
use super::sig::{SigSet, SETS as SIG_SETS};
use super::{Family, Scheme};
use crate::attr::Attributes;
use crate::error::Ckr;
use crate::mech::param_set::ParameterSet as _;
use crate::mech::{registry, KeyFamily, MechParam, Mechanism};
use crate::vendor::*;
use cryptoki_sys::*;
use serde_json::Value as Json;
use std::marker::PhantomData;

fn vectors(file: &str) -> Vec<Json> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors/composite")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Json = serde_json::from_str(&text).unwrap();
    json["tests"].as_array().unwrap().clone()
}

fn hex(case: &Json, field: &str) -> Vec<u8> {
    hex::decode(case[field].as_str().unwrap()).unwrap()
}

fn by_name<S: Scheme>(sets: &'static [S], case: &Json) -> &'static S {
    let alg = case["alg"].as_str().unwrap();
    sets.iter()
        .find(|s| s.name() == alg)
        .unwrap_or_else(|| panic!("no set {alg}"))
}

/// A private key object as C_CreateObject would complete it.
fn imported<S: Scheme>(value: &[u8]) -> Result<Attributes, Ckr> {
    let mut key = Attributes::new();
    key.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    key.set_ulong(CKA_KEY_TYPE, S::KEY_TYPE);
    key.set(CKA_VALUE, value.to_vec());
    Family::<S>(PhantomData).complete_private(&mut key)?;
    Ok(key)
}

fn public_key<S: Scheme>(set: &S, value: &[u8]) -> Attributes {
    let mut key = Attributes::new();
    key.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
    key.set_ulong(CKA_KEY_TYPE, S::KEY_TYPE);
    key.set_ulong(CKA_PARAMETER_SET, set.param());
    key.set(CKA_VALUE, value.to_vec());
    key
}

#[test]
fn kem_vectors_decapsulate_and_keys_round_trip() {
    let cases = vectors("kem.json");
    assert_eq!(cases.len(), 3);
    for case in &cases {
        let set: &KemSet = by_name(&KEM_SETS, case);
        let (pk, sk) = (hex(case, "pk"), hex(case, "sk"));
        assert_eq!(set.public_of_private(&sk).unwrap(), pk, "{}", set.name());
        assert!(set.public_ok(&pk));
        let ss = set.decapsulate(&sk, &pk, &hex(case, "ct")).unwrap();
        assert_eq!(ss.as_slice(), hex(case, "ss").as_slice(), "{}", set.name());

        // Through the key family and the registry, as the token uses them.
        let key = imported::<KemSet>(&sk).unwrap();
        assert_eq!(key.ulong(CKA_PARAMETER_SET).unwrap(), Some(set.param()));
        let family = Family::<KemSet>(PhantomData);
        assert_eq!(
            family.export_private(&key).unwrap().as_slice(),
            hex(case, "sk_pkcs8").as_slice()
        );
        let unwrapped = family.import_private(&hex(case, "sk_pkcs8")).unwrap();
        assert_eq!(unwrapped.get(CKA_VALUE).unwrap(), sk.as_slice());
        let m = Mechanism {
            ty: CKM_QRC_COMP_KEM,
            param: MechParam::None,
        };
        let kem = registry().get(CKM_QRC_COMP_KEM).unwrap();
        let got = kem.decapsulate(&m, &key, &hex(case, "ct")).unwrap();
        assert_eq!(got.as_slice(), hex(case, "ss").as_slice());
        let sent = kem.encapsulate(&m, &public_key(set, &pk)).unwrap();
        assert_eq!(sent.ciphertext.len(), set.ciphertext_len());
        assert_eq!(
            kem.decapsulate(&m, &key, &sent.ciphertext).unwrap(),
            sent.secret
        );
    }
}

#[test]
fn kem_rejects_bad_ciphertexts_and_keys() {
    let case = &vectors("kem.json")[1]; // ML-KEM-768 + P-256
    let set: &KemSet = by_name(&KEM_SETS, case);
    let (pk, sk, ct) = (hex(case, "pk"), hex(case, "sk"), hex(case, "ct"));
    assert_eq!(
        set.decapsulate(&sk, &pk, &ct[1..]),
        Err(Ckr::ENCRYPTED_DATA_LEN_RANGE)
    );
    // A traditional half that is not a point on P-256: explicit rejection.
    let mut off_curve = ct.clone();
    *off_curve.last_mut().unwrap() ^= 1;
    assert_eq!(
        set.decapsulate(&sk, &pk, &off_curve),
        Err(Ckr::ENCRYPTED_DATA_INVALID)
    );
    // A damaged ML-KEM half: implicit rejection, a different secret.
    let mut flipped = ct.clone();
    flipped[0] ^= 1;
    assert_ne!(
        set.decapsulate(&sk, &pk, &flipped).unwrap().as_slice(),
        hex(case, "ss").as_slice()
    );
    // Keys: a damaged ECPrivateKey frame and a public point off the curve.
    let mut bad_sk = sk.clone();
    bad_sk[64 + 4] = 2;
    assert_eq!(
        imported::<KemSet>(&bad_sk).err(),
        Some(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    let mut bad_pk = pk.clone();
    *bad_pk.last_mut().unwrap() ^= 1;
    assert!(!set.public_ok(&bad_pk));
    assert_eq!(
        imported::<KemSet>(&sk[..sk.len() - 1]).err(),
        Some(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
}

fn sign_param(context: &[u8]) -> Mechanism {
    Mechanism {
        ty: CKM_QRC_COMP_SIG,
        param: MechParam::SignContext {
            hedge: CKH_HEDGE_PREFERRED,
            context: context.to_vec(),
        },
    }
}

fn verify(set: &SigSet, pk: &[u8], context: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), Ckr> {
    let mut v = registry()
        .get(CKM_QRC_COMP_SIG)?
        .verify(&sign_param(context), &public_key(set, pk))?;
    // In two parts: the pre-hash streams.
    let (a, b) = msg.split_at(msg.len() / 2);
    v.update(a)?;
    v.update(b)?;
    v.finish(sig)
}

#[test]
fn sig_vectors_verify_and_keys_round_trip() {
    let cases = vectors("sig.json");
    assert_eq!(cases.len(), 3);
    for case in &cases {
        let set: &SigSet = by_name(&SIG_SETS, case);
        let (pk, sk, msg, ctx) = (
            hex(case, "pk"),
            hex(case, "sk"),
            hex(case, "msg"),
            hex(case, "ctx"),
        );
        assert_eq!(set.public_of_private(&sk).unwrap(), pk, "{}", set.name());
        assert_eq!(
            verify(set, &pk, b"", &msg, &hex(case, "sig")),
            Ok(()),
            "{}",
            set.name()
        );
        assert_eq!(
            verify(set, &pk, &ctx, &msg, &hex(case, "sig_with_ctx")),
            Ok(())
        );
        // The context is bound: each signature fails under the other's.
        assert_eq!(
            verify(set, &pk, &ctx, &msg, &hex(case, "sig")),
            Err(Ckr::SIGNATURE_INVALID)
        );
        assert_eq!(
            verify(set, &pk, b"", &msg, &hex(case, "sig_with_ctx")),
            Err(Ckr::SIGNATURE_INVALID)
        );

        let key = imported::<SigSet>(&sk).unwrap();
        let family = Family::<SigSet>(PhantomData);
        assert_eq!(
            family.export_private(&key).unwrap().as_slice(),
            hex(case, "sk_pkcs8").as_slice()
        );
        let mut s = registry()
            .get(CKM_QRC_COMP_SIG)
            .unwrap()
            .sign(&sign_param(&ctx), &key)
            .unwrap();
        s.update(&msg).unwrap();
        let ours = s.finish().unwrap();
        assert_eq!(verify(set, &pk, &ctx, &msg, &ours), Ok(()));
    }
}

/// Signatures of `msg` by a fresh key of `set`, and its public key.
fn fresh(set: &SigSet, msg: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (pk, sk) = set.generate().unwrap();
    let m_prime = |m: &[u8]| {
        use sha2::Digest;
        let ph = match set.param() {
            CKP_QRC_COMP_SIG_MLDSA44_ECDSA_P256_SHA256 => sha2::Sha256::digest(m).to_vec(),
            _ => sha2::Sha512::digest(m).to_vec(),
        };
        set.message_representative(b"", &ph)
    };
    let good = set.sign(&sk, &m_prime(msg), &[0u8; 32]).unwrap();
    let other = set
        .sign(&sk, &m_prime(b"another message"), &[0u8; 32])
        .unwrap();
    (pk, good, other)
}

#[test]
fn a_signature_with_one_bad_half_does_not_verify() {
    let msg = b"composite signatures need both halves";
    for set in SIG_SETS.iter() {
        let (pk, good, other) = fresh(set, msg);
        assert_eq!(verify(set, &pk, b"", msg, &good), Ok(()), "{}", set.name());
        let mldsa_len = match set.param() {
            CKP_QRC_COMP_SIG_MLDSA44_ECDSA_P256_SHA256 => 2420,
            CKP_QRC_COMP_SIG_MLDSA65_ED25519_SHA512 => 3309,
            _ => 4627,
        };
        // Good ML-DSA half, traditional half of another message.
        let mut bad_trad = good[..mldsa_len].to_vec();
        bad_trad.extend_from_slice(&other[mldsa_len..]);
        assert_eq!(
            verify(set, &pk, b"", msg, &bad_trad),
            Err(Ckr::SIGNATURE_INVALID),
            "{}",
            set.name()
        );
        // Good traditional half, ML-DSA half of another message.
        let mut bad_mldsa = other[..mldsa_len].to_vec();
        bad_mldsa.extend_from_slice(&good[mldsa_len..]);
        assert_eq!(
            verify(set, &pk, b"", msg, &bad_mldsa),
            Err(Ckr::SIGNATURE_INVALID),
            "{}",
            set.name()
        );
        // Each half alone, or a signature cut short, is the wrong length.
        assert_eq!(
            verify(set, &pk, b"", msg, &good[..mldsa_len]),
            Err(Ckr::SIGNATURE_LEN_RANGE)
        );
        if set.param() == CKP_QRC_COMP_SIG_MLDSA65_ED25519_SHA512 {
            assert_eq!(
                verify(set, &pk, b"", msg, &good[..good.len() - 1]),
                Err(Ckr::SIGNATURE_LEN_RANGE)
            );
        }
    }
}

/// C_GenerateKeyPair's mechanism output for the parameter set `param`.
fn generate(ty: CK_MECHANISM_TYPE, param: CK_ULONG) -> Result<crate::mech::KeyPair, Ckr> {
    let mut public = Attributes::new();
    public.set_ulong(CKA_PARAMETER_SET, param);
    let m = Mechanism {
        ty,
        param: MechParam::None,
    };
    registry()
        .get(ty)?
        .generate_key_pair(&m, &public, &Attributes::new())
}

/// Every set of `S` generates pairs of its lengths.
fn generates_every_set<S: Scheme>(sets: &[S], ty: CK_MECHANISM_TYPE) {
    for set in sets {
        let pair = generate(ty, set.param()).unwrap();
        assert_eq!(pair.public.get(CKA_VALUE).unwrap().len(), set.public_len());
        assert_eq!(
            pair.private.get(CKA_VALUE).unwrap().len(),
            set.private_len()
        );
        let (_, private) = set.generate().unwrap();
        // Sized once: a buffer that grew would have freed a block holding
        // the seed without wiping it.
        assert_eq!(private.capacity(), private.len(), "{}", set.name());
    }
}

#[test]
fn key_pairs_are_generated_for_every_set() {
    generates_every_set(&KEM_SETS, CKM_QRC_COMP_KEM_KEY_PAIR_GEN);
    generates_every_set(&SIG_SETS, CKM_QRC_COMP_SIG_KEY_PAIR_GEN);
    assert_eq!(
        generate(CKM_QRC_COMP_SIG_KEY_PAIR_GEN, 7).err(),
        Some(Ckr(CKR_PARAMETER_SET_NOT_SUPPORTED))
    );
}

#[test]
fn deterministic_signing_only_where_both_halves_are() {
    let ed = SIG_SETS
        .iter()
        .find(|s| s.param() == CKP_QRC_COMP_SIG_MLDSA65_ED25519_SHA512)
        .unwrap();
    let ec = &SIG_SETS[0];
    let m = Mechanism {
        ty: CKM_QRC_COMP_SIG,
        param: MechParam::SignContext {
            hedge: CKH_DETERMINISTIC_REQUIRED,
            context: vec![],
        },
    };
    let sign = |set: &SigSet| {
        let (_, sk) = set.generate().unwrap();
        let key = imported::<SigSet>(&sk).unwrap();
        registry()
            .get(CKM_QRC_COMP_SIG)
            .unwrap()
            .sign(&m, &key)
            .map(|mut s| {
                s.update(b"x").unwrap();
                (s.finish().unwrap(), key)
            })
    };
    let (first, key) = sign(ed).unwrap();
    let mut again = registry()
        .get(CKM_QRC_COMP_SIG)
        .unwrap()
        .sign(&m, &key)
        .unwrap();
    again.update(b"x").unwrap();
    assert_eq!(again.finish().unwrap(), first);
    assert_eq!(sign(ec).err(), Some(Ckr::MECHANISM_PARAM_INVALID));
    let long = Mechanism {
        ty: CKM_QRC_COMP_SIG,
        param: MechParam::SignContext {
            hedge: CKH_HEDGE_PREFERRED,
            context: vec![0; 256],
        },
    };
    assert_eq!(
        registry()
            .get(CKM_QRC_COMP_SIG)
            .unwrap()
            .sign(&long, &key)
            .err(),
        Some(Ckr::MECHANISM_PARAM_INVALID)
    );
}

#[test]
fn known_answers_pass() {
    assert_eq!(super::kem_known_answer(), Ok(true));
    assert_eq!(super::sig_known_answer(), Ok(true));
}
