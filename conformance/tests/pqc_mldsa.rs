//! ML-DSA vectors (ACVP, Wycheproof) through the module.
//!
//! Expressible through PKCS#11: key generation from ξ (C_CreateObject with
//! CKA_SEED), deterministic external signatures byte for byte
//! (CKH_DETERMINISTIC_REQUIRED with the context): pure (CKM_ML_DSA) and
//! pre-hash, both with the digest given (CKM_HASH_ML_DSA) and with the
//! mechanisms that hash themselves (CKM_HASH_ML_DSA_SHA256 …, single- and
//! multi-part); hedged signatures by verification only; every external
//! verification verdict through C_Verify and C_VerifySignature. The
//! internal interface (M' given, external μ) is counted as not expressible.

use cryptoki_sys::*;
use pqc_common::{prehash_digest, run_file};
use qrc_conformance::pqc::{self, Case, ParamSet, Scratch};
use qrc_conformance::raw::{self, thirds, Mech};
use serde_json::Value as Json;

mod pqc_common;

/// C_Verify and C_VerifySignature on the same input: both verdicts.
fn verdicts(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    data: &[u8],
    sig: &[u8],
) -> [(CK_RV, &'static str); 2] {
    [
        (raw::verify(h, m, key, data, sig), "C_Verify"),
        (
            pqc::verify_signature(h, m, key, data, sig),
            "C_VerifySignature",
        ),
    ]
}

/// Both verification paths accept `sig`.
fn accepts(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    data: &[u8],
    sig: &[u8],
    what: &str,
) -> Result<(), String> {
    for (rv, call) in verdicts(h, m, key, data, sig) {
        pqc::rv_is(rv, CKR_OK, &format!("{call} ({what})"))?;
    }
    Ok(())
}

/// Both verification paths reject `sig`: CKR_SIGNATURE_INVALID, or
/// CKR_SIGNATURE_LEN_RANGE when its length alone shows it.
fn rejects(
    h: CK_SESSION_HANDLE,
    set: &ParamSet,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    data: &[u8],
    sig: &[u8],
    what: &str,
) -> Result<(), String> {
    for (rv, call) in verdicts(h, m, key, data, sig) {
        let what = format!("{call} ({what})");
        if sig.len() == set.out_len || rv != CKR_SIGNATURE_LEN_RANGE {
            pqc::rv_is(rv, CKR_SIGNATURE_INVALID, &what)?;
        }
    }
    Ok(())
}

/// A private key from the case's `seed` (keyFormat seed) or `sk`.
fn private_key(sc: &mut Scratch, set: &ParamSet, c: &Json) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    let template = match c.str("keyFormat") {
        "seed" => pqc::private_template(set, None, Some(&c.hex("seed"))),
        _ => pqc::private_template(set, Some(&c.hex("sk")), None),
    };
    sc.create(template)
}

fn hedge(deterministic: bool) -> CK_HEDGE_TYPE {
    if deterministic {
        CKH_DETERMINISTIC_REQUIRED
    } else {
        CKH_HEDGE_REQUIRED
    }
}

/// Signs with `m`; deterministic signatures must equal `want`, hedged ones
/// must verify (with `m`, on `pk`), as must `want`.
#[allow(clippy::too_many_arguments)] // one call shape for single- and multi-part
fn sign_check(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    sk: CK_OBJECT_HANDLE,
    pk: CK_OBJECT_HANDLE,
    parts: &[&[u8]],
    deterministic: bool,
    want: &[u8],
    what: &str,
) -> Result<(), String> {
    let sig = if parts.len() == 1 {
        raw::sign(h, m, sk, parts[0])
    } else {
        raw::sign_parts(h, m, sk, parts)
    };
    let sig = pqc::must(sig, &format!("C_Sign ({what})"))?;
    let data = parts.concat();
    if deterministic {
        pqc::same(&format!("signature ({what})"), &sig, want)?;
    } else {
        accepts(
            h,
            m,
            pk,
            &data,
            &sig,
            &format!("own hedged signature, {what}"),
        )?;
    }
    accepts(h, m, pk, &data, want, &format!("vector signature, {what}"))
}

#[test]
fn mldsa_keygen_acvp() {
    run_file("mldsa-keygen.json", |h, c| {
        let set = c.set();
        let mut sc = Scratch::new(h);
        Some((|| {
            let seed = c.hex("seed");
            let sk = pqc::must(
                sc.create(pqc::private_template(set, None, Some(&seed))),
                "C_CreateObject(seed)",
            )?;
            pqc::same(
                "CKA_VALUE (sk)",
                &pqc::read(h, sk, CKA_VALUE)?,
                &c.hex("sk"),
            )?;
            pqc::same("CKA_SEED", &pqc::read(h, sk, CKA_SEED)?, &seed)?;
            let pk = pqc::must(sc.public_from(sk), "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)")?;
            pqc::same("derived pk", &pqc::read(h, pk, CKA_VALUE)?, &c.hex("pk"))
        })())
    });
}

fn siggen(h: CK_SESSION_HANDLE, c: &Json) -> Result<(), String> {
    let set = c.set();
    let mut sc = Scratch::new(h);
    let sk = pqc::must(private_key(&mut sc, set, c), "C_CreateObject(private key)")?;
    let pk = pqc::must(sc.public_from(sk), "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)")?;
    let (msg, ctx, want) = (c.hex("message"), c.hex("context"), c.hex("signature"));
    let det = c.flag("deterministic");
    let hv = hedge(det);
    if c.str("preHash") == "pure" {
        let mut m = pqc::sign_mech(CKM_ML_DSA, hv, &ctx);
        sign_check(h, &mut m, sk, pk, &[&msg], det, &want, "CKM_ML_DSA")?;
        return sign_check(
            h,
            &mut m,
            sk,
            pk,
            &thirds(&msg),
            det,
            &want,
            "CKM_ML_DSA multi-part",
        );
    }
    let ph = pqc::prehash(c.str("hashAlg"));
    let digest = prehash_digest(ph.name, &msg);
    let mut m = pqc::hash_sign_mech(CKM_HASH_ML_DSA, hv, &ctx, ph.hash);
    sign_check(
        h,
        &mut m,
        sk,
        pk,
        &[&digest],
        det,
        &want,
        &format!("CKM_HASH_ML_DSA, {}", ph.name),
    )?;
    if let Some(ty) = ph.ml_dsa {
        let mut m = pqc::sign_mech(ty, hv, &ctx);
        let what = format!("CKM_HASH_ML_DSA_{}", ph.name);
        sign_check(h, &mut m, sk, pk, &[&msg], det, &want, &what)?;
        sign_check(
            h,
            &mut m,
            sk,
            pk,
            &thirds(&msg),
            det,
            &want,
            &format!("{what} multi-part"),
        )?;
    }
    Ok(())
}

#[test]
fn mldsa_siggen_acvp() {
    run_file("mldsa-siggen.json", |h, c| {
        (c.str("interface") == "external").then(|| siggen(h, c))
    });
}

/// Checks a verification verdict through every mechanism that expresses
/// the case (pure; or pre-hash by digest and by the self-hashing mechanism,
/// single- and multi-part).
fn verdict(
    h: CK_SESSION_HANDLE,
    c: &Json,
    pk: CK_OBJECT_HANDLE,
    ctx: &[u8],
    pre_hash: Option<&str>,
) -> Result<(), String> {
    let set = c.set();
    let (msg, sig) = (c.hex("message"), c.hex("signature"));
    let judge = |m: &mut Mech, data: &[u8], what: &str| {
        if c.valid() {
            accepts(h, m, pk, data, &sig, what)
        } else {
            rejects(h, set, m, pk, data, &sig, what)
        }
    };
    let Some(name) = pre_hash else {
        return judge(
            &mut pqc::sign_mech(CKM_ML_DSA, CKH_HEDGE_PREFERRED, ctx),
            &msg,
            "CKM_ML_DSA",
        );
    };
    let ph = pqc::prehash(name);
    let mut m = pqc::hash_sign_mech(CKM_HASH_ML_DSA, CKH_HEDGE_PREFERRED, ctx, ph.hash);
    judge(&mut m, &prehash_digest(name, &msg), "CKM_HASH_ML_DSA")?;
    if let Some(ty) = ph.ml_dsa {
        let mut m = pqc::sign_mech(ty, CKH_HEDGE_PREFERRED, ctx);
        judge(&mut m, &msg, "self-hashing mechanism")?;
        let rv = pqc::verify_signature_parts(h, &mut m, pk, &thirds(&msg), &sig);
        let want = if c.valid() {
            CKR_OK
        } else {
            CKR_SIGNATURE_INVALID
        };
        pqc::rv_is(
            rv,
            want,
            "C_VerifySignatureUpdate/Final (self-hashing mechanism)",
        )?;
    }
    Ok(())
}

#[test]
fn mldsa_sigver_acvp() {
    run_file("mldsa-sigver.json", |h, c| {
        if c.str("interface") != "external" {
            return None;
        }
        let set = c.set();
        let mut sc = Scratch::new(h);
        Some((|| {
            let pk = pqc::must(
                sc.create(pqc::public_template(set, &c.hex("pk"))),
                "C_CreateObject(pk)",
            )?;
            let pre_hash = (c.str("preHash") == "preHash").then(|| c.str("hashAlg"));
            verdict(h, c, pk, &c.hex("context"), pre_hash)
        })())
    });
}

fn wycheproof_sign(h: CK_SESSION_HANDLE, c: &Json) -> Result<(), String> {
    let set = c.set();
    let mut sc = Scratch::new(h);
    let r = private_key(&mut sc, set, c);
    if c.has_flag("IncorrectPrivateKeyLength") {
        return pqc::refused(
            r,
            CKR_ATTRIBUTE_VALUE_INVALID,
            "C_CreateObject(private key of the wrong length)",
        );
    }
    let msg = c.hex("message");
    let ctx = c.opt_hex("context").unwrap_or_default();
    if c.has_flag("InvalidPrivateKey") {
        // Refused at import, or at the latest when it signs.
        return match r {
            Err(rv) => pqc::rv_is(
                rv,
                CKR_ATTRIBUTE_VALUE_INVALID,
                "C_CreateObject(out-of-range private key)",
            ),
            Ok(sk) => match raw::sign(
                h,
                &mut pqc::sign_mech(CKM_ML_DSA, CKH_DETERMINISTIC_REQUIRED, &ctx),
                sk,
                &msg,
            ) {
                Ok(_) => {
                    Err("a private key with s1/s2 out of range was imported and signed".into())
                }
                Err(_) => Ok(()),
            },
        };
    }
    let sk = pqc::must(r, "C_CreateObject(private key)")?;
    let pk = pqc::must(sc.public_from(sk), "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)")?;
    if let Some(want_pk) = c.opt_hex("pk") {
        pqc::same("derived pk", &pqc::read(h, pk, CKA_VALUE)?, &want_pk)?;
    }
    if c.has_flag("InvalidContext") {
        let mut m = pqc::sign_mech(CKM_ML_DSA, CKH_DETERMINISTIC_REQUIRED, &ctx);
        return pqc::refused(
            raw::sign(h, &mut m, sk, &msg),
            CKR_MECHANISM_PARAM_INVALID,
            "C_SignInit(context over 255 bytes)",
        );
    }
    if !c.valid() {
        return Err("invalid case of no known kind".into());
    }
    let det = c.opt_hex("rnd").is_none();
    let mut m = pqc::sign_mech(CKM_ML_DSA, hedge(det), &ctx);
    sign_check(
        h,
        &mut m,
        sk,
        pk,
        &[&msg],
        det,
        &c.hex("signature"),
        "CKM_ML_DSA",
    )
}

#[test]
fn mldsa_sign_wycheproof() {
    run_file("wycheproof-mldsa-sign.json", |h, c| {
        (!c.has_flag("Internal")).then(|| wycheproof_sign(h, c))
    });
}

#[test]
fn mldsa_verify_wycheproof() {
    run_file("wycheproof-mldsa-verify.json", |h, c| {
        let set = c.set();
        let mut sc = Scratch::new(h);
        let pk_bytes = c.hex("pk");
        let r = sc.create(pqc::public_template(set, &pk_bytes));
        Some(if c.has_flag("IncorrectPublicKeyLength") {
            pqc::refused(
                r,
                CKR_ATTRIBUTE_VALUE_INVALID,
                "C_CreateObject(pk of the wrong length)",
            )
        } else {
            (|| {
                let pk = pqc::must(r, "C_CreateObject(pk)")?;
                let ctx = c.opt_hex("context").unwrap_or_default();
                if c.has_flag("InvalidContext") {
                    let (msg, sig) = (c.hex("message"), c.hex("signature"));
                    let mut m = pqc::sign_mech(CKM_ML_DSA, CKH_HEDGE_PREFERRED, &ctx);
                    for (rv, call) in verdicts(h, &mut m, pk, &msg, &sig) {
                        pqc::rv_is(
                            rv,
                            CKR_MECHANISM_PARAM_INVALID,
                            &format!("{call} (context over 255 bytes)"),
                        )?;
                    }
                    return Ok(());
                }
                verdict(h, c, pk, &ctx, None)
            })()
        })
    });
}

/// One CCTV accumulated ML-DSA run: per iteration, ξ from the SHAKE-128
/// stream `s`, the key made from CKA_SEED, its derived public key and the
/// deterministic signature of the empty message (empty context) absorbed
/// into the accumulator, which is then compared with `expected`.
fn accumulated(h: CK_SESSION_HANDLE, c: &Json) -> Result<(), String> {
    use sha3::digest::{ExtendableOutput, Update, XofReader};
    let set = c.set();
    let iterations = c["iterations"].as_u64().expect("iterations");
    let mut seeds = sha3::Shake128::default().finalize_xof();
    let mut acc = sha3::Shake128::default();
    let mut m = pqc::sign_mech(CKM_ML_DSA, CKH_DETERMINISTIC_REQUIRED, b"");
    for i in 0..iterations {
        let mut seed = [0u8; 32];
        seeds.read(&mut seed);
        let mut sc = Scratch::new(h);
        let sk = pqc::must(
            sc.create(pqc::private_template(set, None, Some(&seed))),
            &format!("iteration {i}: C_CreateObject(seed)"),
        )?;
        let pk = pqc::must(
            sc.public_from(sk),
            &format!("iteration {i}: C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)"),
        )?;
        acc.update(&pqc::read(h, pk, CKA_VALUE)?);
        let sig = pqc::must(
            raw::sign(h, &mut m, sk, b""),
            &format!("iteration {i}: C_Sign"),
        )?;
        acc.update(&sig);
        accepts(h, &mut m, pk, b"", &sig, &format!("iteration {i}"))?;
    }
    let mut hash = [0u8; 32];
    acc.finalize_xof().read(&mut hash);
    pqc::same("accumulated hash", &hash, &c.hex("expected"))
}

/// CCTV accumulated tests. ML-DSA: key generation from ξ, deterministic
/// signing and verification, all through PKCS#11. ML-KEM needs
/// Encaps_internal with the stream's m (PKCS#11 encapsulation draws its
/// own) and its expected hashes follow the FIPS 203 draft key generation;
/// the field-operation hash tests arithmetic no API exposes: those cases
/// are not expressible.
#[test]
fn cctv_accumulated() {
    run_file("cctv-accumulated.json", |h, c| {
        (c.str("procedure") == "mldsa-accumulated").then(|| accumulated(h, c))
    });
}
