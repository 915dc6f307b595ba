//! falcon-kat.json: every case reproduced from its seed through the NIST
//! DRBG (pk, sk and the signed message sm byte for byte), verified through
//! CKM_FALCON, and imported through the key family.

use super::drbg::KatDrbg;
use super::{key, verify};
use crate::error::Ckr;
use crate::mech::falcon::scheme::{Set, Signing, SETS};
use crate::mech::falcon::{kat as known, known_answer};
use crate::mech::registry;
use crate::mech::test_vectors::{dir, Field, Json};
use crate::vendor::CKK_FALCON;
use cryptoki_sys::*;
use sha2::{Digest, Sha256};

fn cases() -> Vec<Json> {
    let path = dir().join("falcon-kat.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file: Json = serde_json::from_str(&text).expect("JSON");
    file["cases"].arr().clone()
}

fn set_of(case: &Json) -> &'static Set {
    SETS.iter()
        .find(|s| s.name == case["parameterSet"].str())
        .expect("parameter set")
}

/// What the NIST API does for one count: keypair, then crypto_sign, all
/// randomness from the DRBG seeded with the count's seed. Returns
/// (pk, sk, detached signature, nonce).
fn reproduce(case: &Json) -> (Vec<u8>, Vec<u8>, Vec<u8>, [u8; 40]) {
    let set = set_of(case);
    let seed: [u8; 48] = case["seed"].hex().try_into().expect("48-byte seed");
    let mut drbg = KatDrbg::new(&seed);
    let (pk, sk) = set.keypair(&drbg.take()).expect("keypair");
    let nonce: [u8; 40] = drbg.take();
    let mut signing = Signing::start(nonce);
    signing.update(&case["message"].hex());
    let signature = signing.finish(set, &sk, &pk, &drbg.take()).expect("sign");
    (pk, sk.to_vec(), signature, nonce)
}

/// sm of the NIST API from a detached signature: be16(|esig|) ‖ nonce ‖ m ‖
/// esig, esig = 0x20+logn ‖ compressed s2.
fn signed_message(set: &Set, message: &[u8], detached: &[u8]) -> Vec<u8> {
    let compressed = &detached[41..];
    let esig_len = (1 + compressed.len()) as u16;
    let mut sm = esig_len.to_be_bytes().to_vec();
    sm.extend_from_slice(&detached[1..41]);
    sm.extend_from_slice(message);
    sm.push(0x20 + set.logn as u8);
    sm.extend_from_slice(compressed);
    sm
}

#[test]
fn falcon_kat_every_case() {
    let cases = cases();
    let family = registry().family(CKK_FALCON).unwrap().unwrap();
    let mut failures = Vec::new();
    for case in &cases {
        let set = set_of(case);
        let id = case["id"].str();
        let (message, kat_pk, kat_sk) = (case["message"].hex(), case["pk"].hex(), case["sk"].hex());
        let (pk, sk, detached, nonce) = reproduce(case);
        let mut ok = pk == kat_pk && sk == kat_sk;
        ok &= nonce.as_slice() == case["nonce"].hex();
        ok &= detached[0] == 0x30 + set.logn as u8;
        ok &= signed_message(set, &message, &detached) == case["sm"].hex();
        ok &= detached.len() - 40 == case["sigLen"].num() as usize;
        // The KAT's own signature, detached, through C_Verify.
        let mut kat_detached = vec![0x30 + set.logn as u8];
        kat_detached.extend_from_slice(&case["nonce"].hex());
        kat_detached.extend_from_slice(&case["esig"].hex()[1..]);
        let public = key(CKO_PUBLIC_KEY, set, &kat_pk);
        ok &= verify(&public, &[&message], &kat_detached).is_ok();
        let mut other = message.clone();
        other[0] ^= 1;
        ok &= verify(&public, &[&other], &kat_detached) == Err(Ckr::SIGNATURE_INVALID);
        let mut flipped = kat_detached.clone();
        flipped[60] ^= 0x10;
        ok &= verify(&public, &[&message], &flipped) == Err(Ckr::SIGNATURE_INVALID);
        // C_CreateObject of both halves, and the public half from the private.
        let mut private = key(CKO_PRIVATE_KEY, set, &kat_sk);
        ok &= family.complete_private(&mut private).is_ok();
        ok &= family.public_from_private(&private).unwrap().get(CKA_VALUE) == Some(&kat_pk[..]);
        ok &= family.complete_public(&mut public.clone()).is_ok();
        if !ok {
            failures.push(id.to_string());
        }
    }
    println!(
        "falcon-kat: {}/{} pass",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "failed: {failures:?}");
    assert_eq!(cases.len(), 14);
}

/// Every count's seed and message regenerate from the DRBG seeded with
/// 0x00..0x2f (seed, then 33·(count+1) message bytes, count after count).
#[test]
fn kat_seeds_come_from_the_nist_drbg() {
    let entropy: [u8; 48] = std::array::from_fn(|i| i as u8);
    let mut drbg = KatDrbg::new(&entropy);
    let mut generated = Vec::new();
    for count in 0..10 {
        let seed: [u8; 48] = drbg.take();
        let mut message = vec![0u8; 33 * (count + 1)];
        drbg.fill(&mut message);
        generated.push((seed.to_vec(), message));
    }
    for case in cases() {
        let (seed, message) = &generated[case["count"].num() as usize];
        assert_eq!(&case["seed"].hex(), seed, "{}", case["id"].str());
        assert_eq!(&case["message"].hex(), message, "{}", case["id"].str());
    }
}

/// The known-answer constants are count 2 of falcon512-KAT, and the test
/// passes.
#[test]
fn known_answer_is_the_kat() {
    let case = cases()
        .into_iter()
        .find(|c| c["id"].str() == "falcon-round3/falcon512-KAT/count2")
        .expect("count 2");
    let mut drbg = KatDrbg::new(&case["seed"].hex().try_into().unwrap());
    assert_eq!(hex::encode(drbg.take::<48>()), known::KEYGEN_SEED);
    assert_eq!(hex::encode(drbg.take::<40>()), known::NONCE);
    assert_eq!(hex::encode(drbg.take::<48>()), known::SIGN_SEED);
    assert_eq!(hex::encode(case["message"].hex()), known::MESSAGE);
    let mut detached = vec![0x39];
    detached.extend_from_slice(&case["nonce"].hex());
    detached.extend_from_slice(&case["esig"].hex()[1..]);
    let digest = Sha256::new()
        .chain_update(case["pk"].hex())
        .chain_update(case["sk"].hex())
        .chain_update(&detached)
        .finalize();
    assert_eq!(hex::encode(digest), known::OUTPUT_SHA256);
    let start = std::time::Instant::now();
    assert_eq!(known_answer(), Ok(true));
    println!("Falcon known_answer: {:?}", start.elapsed());
}
