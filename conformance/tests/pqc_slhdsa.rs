//! SLH-DSA vectors through the module.
//!
//! Expressible through PKCS#11: the key pair from its sk (C_CreateObject
//! with CKA_VALUE and the parameter set, CKM_PUB_KEY_FROM_PRIV_KEY for pk),
//! and the external (pure, with context) cases of the supplement:
//! deterministic ones byte for byte, hedged ones by verification. Every
//! NIST sigGen / sigVer case here uses the internal interface
//! (slh_sign_internal on a raw M) and is counted as not expressible.
//!
//! Signing the slow "s" sets costs seconds, so each parameter set signs
//! with at most [`SIGN_PER_SET`] of its keygen keys; every signature made
//! is verified, and every key is checked.

use cryptoki_sys::*;
use pqc_common::{prehash_digest, run_file};
use qrc_conformance::pqc::{self, Case, ParamSet, Scratch};
use qrc_conformance::raw::{self, Mech};
use std::collections::HashMap;

mod pqc_common;

/// Keys per parameter set that also sign (and verify) a message.
const SIGN_PER_SET: usize = 1;

/// C_Verify and C_VerifySignature both give `want`.
fn verify_both(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    pk: CK_OBJECT_HANDLE,
    data: &[u8],
    sig: &[u8],
    want: CK_RV,
    what: &str,
) -> Result<(), String> {
    pqc::rv_is(
        raw::verify(h, m, pk, data, sig),
        want,
        &format!("C_Verify ({what})"),
    )?;
    pqc::rv_is(
        pqc::verify_signature(h, m, pk, data, sig),
        want,
        &format!("C_VerifySignature ({what})"),
    )
}

/// Deterministic pure and pre-hash signatures with the key: the expected
/// length, the same bytes twice, verifying, and a flipped bit rejected;
/// CKM_HASH_SLH_DSA on the digest equals CKM_HASH_SLH_DSA_SHA256 on the
/// message.
fn sign_round_trip(
    h: CK_SESSION_HANDLE,
    set: &ParamSet,
    sk: CK_OBJECT_HANDLE,
    pk: CK_OBJECT_HANDLE,
) -> Result<(), String> {
    let msg = b"SLH-DSA through PKCS#11";
    let ctx = b"conformance";
    let mut m = pqc::sign_mech(CKM_SLH_DSA, CKH_DETERMINISTIC_REQUIRED, ctx);
    let sig = pqc::must(raw::sign(h, &mut m, sk, msg), "C_Sign(CKM_SLH_DSA)")?;
    if sig.len() != set.out_len {
        return Err(format!(
            "signature of {} bytes, want {}",
            sig.len(),
            set.out_len
        ));
    }
    verify_both(h, &mut m, pk, msg, &sig, CKR_OK, "own signature")?;
    let mut bad = sig.clone();
    bad[sig.len() / 2] ^= 1;
    verify_both(
        h,
        &mut m,
        pk,
        msg,
        &bad,
        CKR_SIGNATURE_INVALID,
        "flipped bit",
    )?;
    verify_both(
        h,
        &mut m,
        pk,
        b"another message",
        &sig,
        CKR_SIGNATURE_INVALID,
        "other message",
    )?;
    let mut hashed = pqc::sign_mech(CKM_HASH_SLH_DSA_SHA256, CKH_DETERMINISTIC_REQUIRED, ctx);
    let by_mech = pqc::must(
        raw::sign(h, &mut hashed, sk, msg),
        "C_Sign(CKM_HASH_SLH_DSA_SHA256)",
    )?;
    let mut by_digest = pqc::hash_sign_mech(
        CKM_HASH_SLH_DSA,
        CKH_DETERMINISTIC_REQUIRED,
        ctx,
        CKM_SHA256,
    );
    let digest = prehash_digest("SHA2-256", msg);
    let sig2 = pqc::must(
        raw::sign(h, &mut by_digest, sk, &digest),
        "C_Sign(CKM_HASH_SLH_DSA)",
    )?;
    pqc::same(
        "CKM_HASH_SLH_DSA(SHA-256 digest) vs CKM_HASH_SLH_DSA_SHA256(message)",
        &sig2,
        &by_mech,
    )?;
    if by_mech == sig {
        return Err("HashSLH-DSA signature equals the pure one (no pre-hash domain)".into());
    }
    verify_both(
        h,
        &mut by_digest,
        pk,
        &digest,
        &by_mech,
        CKR_OK,
        "HashSLH-DSA",
    )
}

#[test]
fn slhdsa_keygen_acvp() {
    let mut signed: HashMap<&'static str, usize> = HashMap::new();
    run_file("slhdsa-keygen.json", |h, c| {
        let set = c.set();
        let mut sc = Scratch::new(h);
        let sk_bytes = c.hex("sk");
        let n = set.pk_len / 2;
        let seeds = [c.hex("skSeed"), c.hex("skPrf"), c.hex("pkSeed")].concat();
        Some((|| {
            // sk = SK.seed ‖ SK.prf ‖ PK.seed ‖ PK.root: the seeds lead it.
            pqc::same(
                "sk prefix vs skSeed‖skPrf‖pkSeed",
                &sk_bytes[..3 * n],
                &seeds,
            )?;
            let sk = pqc::must(
                sc.create(pqc::private_template(set, Some(&sk_bytes), None)),
                "C_CreateObject(sk)",
            )?;
            pqc::same("CKA_VALUE (sk)", &pqc::read(h, sk, CKA_VALUE)?, &sk_bytes)?;
            let pk = pqc::must(sc.public_from(sk), "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)")?;
            pqc::same("derived pk", &pqc::read(h, pk, CKA_VALUE)?, &c.hex("pk"))?;
            let count = signed.entry(set.name).or_default();
            if *count < SIGN_PER_SET {
                *count += 1;
                sign_round_trip(h, set, sk, pk)?;
            }
            Ok(())
        })())
    });
}

#[test]
fn slhdsa_siggen_supplement() {
    run_file("slhdsa-siggen-supplement.json", |h, c| {
        if c.str("interface") != "external" {
            return None;
        }
        let set = c.set();
        let mut sc = Scratch::new(h);
        Some((|| {
            let sk = pqc::must(
                sc.create(pqc::private_template(set, Some(&c.hex("sk")), None)),
                "C_CreateObject(sk)",
            )?;
            let pk = pqc::must(sc.public_from(sk), "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)")?;
            let (msg, ctx, want) = (c.hex("message"), c.hex("context"), c.hex("signature"));
            let det = c.flag("deterministic");
            let hedge = if det {
                CKH_DETERMINISTIC_REQUIRED
            } else {
                CKH_HEDGE_REQUIRED
            };
            let mut m = pqc::sign_mech(CKM_SLH_DSA, hedge, &ctx);
            let sig = pqc::must(raw::sign(h, &mut m, sk, &msg), "C_Sign(CKM_SLH_DSA)")?;
            if det {
                pqc::same("signature", &sig, &want)?;
            } else {
                verify_both(h, &mut m, pk, &msg, &sig, CKR_OK, "own hedged signature")?;
            }
            verify_both(h, &mut m, pk, &msg, &want, CKR_OK, "vector signature")
        })())
    });
}

#[test]
fn slhdsa_siggen_acvp_internal_only() {
    run_file("slhdsa-siggen.json", |_, c| {
        assert_eq!(
            c.str("interface"),
            "internal",
            "{}: an external case to run",
            c.id()
        );
        None
    });
}

#[test]
fn slhdsa_sigver_acvp_internal_only() {
    run_file("slhdsa-sigver.json", |_, c| {
        assert_eq!(
            c.str("interface"),
            "internal",
            "{}: an external case to run",
            c.id()
        );
        None
    });
}
