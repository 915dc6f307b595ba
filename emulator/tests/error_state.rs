//! The error state (docs/security.md, "Self-tests"): once a self-test has
//! failed, random numbers, keys made from a seed on import, signing and
//! encapsulation are refused with CKR_GENERAL_ERROR. The state is
//! process-wide and permanent, so this file is a test binary of its own.

use cryptoki_sys::*;
use qrc_emulator::mech::{health, registry, rng, MechParam, Mechanism};
use qrc_emulator::{Attributes, Ckr, Result};

fn mechanism(ty: CK_MECHANISM_TYPE) -> Mechanism {
    Mechanism {
        ty,
        param: MechParam::None,
    }
}

/// An ML-KEM-768 private key given by its seed alone, completed as
/// C_CreateObject completes it.
fn import_from_seed() -> Result<()> {
    let mut key = Attributes::new();
    key.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    key.set_ulong(CKA_KEY_TYPE, CKK_ML_KEM);
    key.set_ulong(CKA_PARAMETER_SET, CKP_ML_KEM_768);
    key.set(CKA_SEED, vec![7u8; 64]);
    let family = registry().family(CKK_ML_KEM)?.ok_or(Ckr::GENERAL_ERROR)?;
    family.complete_private(&mut key)
}

/// A key pair of `ty` with the parameter set `param`.
fn key_pair(ty: CK_MECHANISM_TYPE, param: CK_ULONG) -> qrc_emulator::mech::KeyPair {
    let mut public = Attributes::new();
    public.set_ulong(CKA_PARAMETER_SET, param);
    registry()
        .get(ty)
        .and_then(|m| m.generate_key_pair(&mechanism(ty), &public, &Attributes::new()))
        .expect("key pair before the failure")
}

fn with_class(mut key: Attributes, class: CK_OBJECT_CLASS, ty: CK_KEY_TYPE) -> Attributes {
    key.set_ulong(CKA_CLASS, class);
    key.set_ulong(CKA_KEY_TYPE, ty);
    key
}

fn sign(key: &Attributes) -> Result<Vec<u8>> {
    let m = mechanism(CKM_ML_DSA);
    let mut signer = registry().get(CKM_ML_DSA)?.sign(&m, key)?;
    signer.update(b"message")?;
    signer.finish()
}

fn encapsulate(key: &Attributes) -> Result<()> {
    let m = mechanism(CKM_ML_KEM);
    registry().get(CKM_ML_KEM)?.encapsulate(&m, key).map(drop)
}

#[test]
fn a_failed_self_test_refuses_random_import_sign_and_encapsulate() {
    let dsa = key_pair(CKM_ML_DSA_KEY_PAIR_GEN, CKP_ML_DSA_65);
    let dsa_private = with_class(dsa.private, CKO_PRIVATE_KEY, CKK_ML_DSA);
    let kem = key_pair(CKM_ML_KEM_KEY_PAIR_GEN, CKP_ML_KEM_768);
    let kem_public = with_class(kem.public, CKO_PUBLIC_KEY, CKK_ML_KEM);

    // Everything works before the failure...
    assert_eq!(rng::fill(&mut [0u8; 32]), Ok(()));
    assert_eq!(rng::seed(b"extra"), Ok(()));
    assert_eq!(import_from_seed(), Ok(()));
    assert!(sign(&dsa_private).is_ok());
    assert_eq!(encapsulate(&kem_public), Ok(()));
    // A hedged signature started before the failure, finished after it.
    let m = mechanism(CKM_ML_DSA);
    let mut running = registry()
        .get(CKM_ML_DSA)
        .and_then(|mech| mech.sign(&m, &dsa_private))
        .unwrap();
    running.update(b"message").unwrap();

    health::fail("error_state test");

    // ...and nothing after it.
    let refused = Err(Ckr::GENERAL_ERROR);
    assert_eq!(rng::fill(&mut [0u8; 32]), refused);
    assert_eq!(rng::seed(b"extra"), refused);
    assert_eq!(import_from_seed(), refused);
    assert_eq!(sign(&dsa_private).map(drop), refused);
    assert_eq!(encapsulate(&kem_public), refused);
    assert_eq!(running.finish().map(drop), refused);
}
