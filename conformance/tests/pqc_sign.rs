//! Signature mechanisms (ML-DSA, HashML-DSA, SLH-DSA, HashSLH-DSA, Falcon)
//! as PKCS#11 3.2 operations: the two-call convention on C_Sign,
//! C_Verify and C_VerifySignatureInit/…/Final, multi-part (64 MiB in 1 MiB
//! chunks, streamed in bounded memory), the CK_SIGN_ADDITIONAL_CONTEXT / CK_HASH_SIGN_ADDITIONAL_CONTEXT
//! parameters (context length, hedging, NULL parameter), and key usage.

use cryptoki_sys::*;
use pqc_common::{prehash_digest, Failures};
use qrc_conformance::pqc::{self, Family, ParamSet, SignMech};
use qrc_conformance::raw::{self, thirds, Mech};
use qrc_conformance::{call, rv_name, Fixture};

mod pqc_common;

/// Builds the mechanism for a context.
type MechFn = Box<dyn Fn(&[u8]) -> SignMech>;
/// Turns a message into the data the mechanism signs.
type DataFn = Box<dyn Fn(&[u8]) -> Vec<u8>>;

/// One signature mechanism under test: how to build it, which key set
/// signs, what data it takes, and whether it is single-part only.
struct Case {
    name: String,
    set: &'static ParamSet,
    mech: MechFn,
    /// The data to sign for a message (the digest for CKM_HASH_*).
    data: DataFn,
    multi_part: bool,
}

fn with_context(ty: CK_MECHANISM_TYPE) -> MechFn {
    Box::new(move |ctx: &[u8]| pqc::sign_mech(ty, CKH_DETERMINISTIC_REQUIRED, ctx))
}

/// Every signature mechanism, each with a key set of its family.
fn cases() -> Vec<Case> {
    let msg = |m: &[u8]| m.to_vec();
    let mut out = Vec::new();
    for (family, set, pure, hash) in [
        (Family::MlDsa, "ML-DSA-44", CKM_ML_DSA, CKM_HASH_ML_DSA),
        (
            Family::SlhDsa,
            "SLH-DSA-SHA2-128f",
            CKM_SLH_DSA,
            CKM_HASH_SLH_DSA,
        ),
    ] {
        let set = pqc::param_set(set);
        out.push(Case {
            name: format!("0x{pure:X}"),
            set,
            mech: with_context(pure),
            data: Box::new(msg),
            multi_part: true,
        });
        out.push(Case {
            name: format!("0x{hash:X} with SHA3-256"),
            set,
            mech: Box::new(move |ctx: &[u8]| {
                pqc::hash_sign_mech(hash, CKH_DETERMINISTIC_REQUIRED, ctx, CKM_SHA3_256)
            }),
            data: Box::new(|m: &[u8]| prehash_digest("SHA3-256", m)),
            multi_part: false,
        });
        for ph in &pqc::PREHASHES {
            let own = if family == Family::MlDsa {
                ph.ml_dsa
            } else {
                ph.slh_dsa
            };
            if let Some(ty) = own {
                out.push(Case {
                    name: format!("0x{ty:X} ({})", ph.name),
                    set,
                    mech: with_context(ty),
                    data: Box::new(msg),
                    multi_part: true,
                });
            }
        }
    }
    out.push(Case {
        name: "CKM_FALCON".into(),
        set: pqc::param_set("Falcon-512"),
        mech: Box::new(|_: &[u8]| pqc::sign_mech_none(pqc::CKM_FALCON)),
        data: Box::new(msg),
        multi_part: true,
    });
    out
}

/// C_Sign by hand: NULL → length; short buffer → CKR_BUFFER_TOO_SMALL and
/// the length, operation kept; then the signature; then the operation is
/// over.
fn two_call(
    h: CK_SESSION_HANDLE,
    c: &Case,
    sk: CK_OBJECT_HANDLE,
    data: &[u8],
) -> Result<Vec<u8>, String> {
    let mut m = (c.mech)(b"ctx");
    let exact = c.set.family != Family::Falcon;
    pqc::rv_is(call!(C_SignInit(h, m.ptr(), sk)), CKR_OK, "C_SignInit")?;
    let (p, n) = (data.as_ptr() as *mut u8, data.len() as CK_ULONG);
    let mut len: CK_ULONG = 0;
    pqc::rv_is(
        call!(C_Sign(h, p, n, std::ptr::null_mut(), &mut len)),
        CKR_OK,
        "C_Sign(NULL)",
    )?;
    let queried = len as usize;
    if (exact && queried != c.set.out_len) || queried < 41 || queried > c.set.out_len {
        return Err(format!(
            "length query gave {queried}, want {} (at most, for Falcon)",
            c.set.out_len
        ));
    }
    let mut short = vec![0u8; 40];
    let mut len: CK_ULONG = 40;
    pqc::rv_is(
        call!(C_Sign(h, p, n, short.as_mut_ptr(), &mut len)),
        CKR_BUFFER_TOO_SMALL,
        "C_Sign(40-byte buffer)",
    )?;
    if (len as usize) < 41 || (exact && len as usize != c.set.out_len) {
        return Err(format!("short buffer: length set to {len}"));
    }
    let mut sig = vec![0u8; queried];
    let mut len = queried as CK_ULONG;
    pqc::rv_is(
        call!(C_Sign(h, p, n, sig.as_mut_ptr(), &mut len)),
        CKR_OK,
        "C_Sign",
    )?;
    sig.truncate(len as usize);
    let mut again = vec![0u8; queried];
    let mut len = queried as CK_ULONG;
    pqc::rv_is(
        call!(C_Sign(h, p, n, again.as_mut_ptr(), &mut len)),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_Sign after the signature",
    )?;
    Ok(sig)
}

/// Every verification path accepts `sig` and rejects it with a flipped bit.
fn verifies(
    h: CK_SESSION_HANDLE,
    c: &Case,
    pk: CK_OBJECT_HANDLE,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), String> {
    let data = (c.data)(msg);
    let mut bad = sig.to_vec();
    let i = bad.len() / 2;
    bad[i] ^= 0x04;
    for (s, want, what) in [
        (sig, CKR_OK, "signature"),
        (&bad[..], CKR_SIGNATURE_INVALID, "flipped bit"),
    ] {
        let mut m = (c.mech)(b"ctx");
        pqc::rv_is(
            raw::verify(h, &mut m, pk, &data, s),
            want,
            &format!("C_Verify ({what})"),
        )?;
        pqc::rv_is(
            pqc::verify_signature(h, &mut m, pk, &data, s),
            want,
            &format!("C_VerifySignature ({what})"),
        )?;
        if c.multi_part {
            pqc::rv_is(
                raw::verify_parts(h, &mut m, pk, &thirds(&data), s),
                want,
                &format!("C_VerifyUpdate/Final ({what})"),
            )?;
            let rv = pqc::verify_signature_parts(h, &mut m, pk, &thirds(&data), s);
            pqc::rv_is(rv, want, &format!("C_VerifySignatureUpdate/Final ({what})"))?;
        }
    }
    // A signature over another context does not verify.
    if c.set.family != Family::Falcon {
        let mut other = (c.mech)(b"other ctx");
        pqc::rv_is(
            raw::verify(h, &mut other, pk, &data, sig),
            CKR_SIGNATURE_INVALID,
            "C_Verify (other context)",
        )?;
    }
    Ok(())
}

fn one_mechanism(
    h: CK_SESSION_HANDLE,
    c: &Case,
    pk: CK_OBJECT_HANDLE,
    sk: CK_OBJECT_HANDLE,
) -> Result<(), String> {
    let msg = b"two-call convention and every verification path";
    let data = (c.data)(msg);
    let sig = two_call(h, c, sk, &data)?;
    verifies(h, c, pk, msg, &sig)?;
    if c.multi_part {
        let parts = pqc::must(
            raw::sign_parts(h, &mut (c.mech)(b"ctx"), sk, &thirds(&data)),
            "C_SignUpdate/Final",
        )?;
        verifies(h, c, pk, msg, &parts)?;
        if c.set.family != Family::Falcon {
            pqc::same(
                "multi-part vs single-part deterministic signature",
                &parts,
                &sig,
            )?;
        }
    }
    Ok(())
}

#[test]
fn every_signature_mechanism_two_call_and_verify_paths() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let mut keys = std::collections::HashMap::new();
    let mut f = Failures::new();
    for c in cases() {
        let &mut (pk, sk) = keys
            .entry(c.set.name)
            .or_insert_with(|| pqc::key_pair(h, c.set));
        f.check(&c.name, one_mechanism(h, &c, pk, sk));
    }
    f.finish();
}

/// Parts and part size of the 64 MiB message.
const PARTS: usize = 64;
const PART: usize = 1 << 20;

/// Byte `i` of the 64 MiB message.
fn message_byte(i: usize) -> u8 {
    ((i as u32).wrapping_mul(2_654_435_761) >> 13) as u8
}

/// After `init` (its CKR must be CKR_OK), feeds the 64 MiB message to
/// `update` (named `what`) in 1 MiB parts made on the fly in one reused
/// buffer, so this process never holds the message.
fn stream_message(init: CK_RV, what: &str, update: impl Fn(*mut u8, CK_ULONG) -> CK_RV) {
    assert_eq!(init, CKR_OK, "initialising {what}: {}", rv_name(init));
    let mut part = vec![0u8; PART];
    for n in 0..PARTS {
        for (i, b) in part.iter_mut().enumerate() {
            *b = message_byte(n * PART + i);
        }
        let (data, len) = ptr_len(&part);
        let rv = update(data, len);
        assert_eq!(rv, CKR_OK, "{what} of part {n}: {}", rv_name(rv));
    }
}

fn ptr_len(data: &[u8]) -> (*mut u8, CK_ULONG) {
    (data.as_ptr() as *mut u8, data.len() as CK_ULONG)
}

/// Resets the process's peak resident set size to the current one
/// (Linux ≥ 4.0: `5` in /proc/self/clear_refs).
fn reset_peak_resident() {
    std::fs::write("/proc/self/clear_refs", "5")
        .expect("reset VmHWM through /proc/self/clear_refs");
}

/// The peak resident set size since the last reset (VmHWM), in bytes.
fn peak_resident() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    kib << 10
}

/// How far peak resident memory may grow while 64 MiB stream through one
/// operation: a module that buffered the message would need all of it.
const STREAMING_GROWTH_LIMIT: usize = 16 << 20;

/// Runs `stream` (one whole streamed operation) and asserts the peak
/// resident memory grew by less than [`STREAMING_GROWTH_LIMIT`]; returns
/// its result.
fn streams_in_bounded_memory<T>(what: &str, stream: impl FnOnce() -> T) -> T {
    reset_peak_resident();
    let before = peak_resident();
    let out = stream();
    let growth = peak_resident().saturating_sub(before);
    println!("{what}: peak resident memory grew by {} KiB", growth >> 10);
    assert!(
        growth < STREAMING_GROWTH_LIMIT,
        "{what}: peak resident memory grew by {} KiB streaming {} MiB in 1 MiB parts \
         (limit {} KiB): the message is being buffered",
        growth >> 10,
        (PARTS * PART) >> 20,
        STREAMING_GROWTH_LIMIT >> 10
    );
    out
}

#[test]
fn mldsa_multi_part_64_mib() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let set = pqc::param_set("ML-DSA-65");
    let (pk, sk) = pqc::key_pair(h, set);
    let mut m = pqc::sign_mech(CKM_ML_DSA, CKH_DETERMINISTIC_REQUIRED, b"64 MiB");
    let parts = streams_in_bounded_memory("C_SignUpdate ×64", || {
        stream_message(call!(C_SignInit(h, m.ptr(), sk)), "C_SignUpdate", |d, l| {
            call!(C_SignUpdate(h, d, l))
        });
        raw::two_call(|o, l| call!(C_SignFinal(h, o, l))).expect("C_SignFinal")
    });
    assert_eq!(parts.len(), set.out_len);
    let (sig, sig_len) = ptr_len(&parts);
    let rv = streams_in_bounded_memory("C_VerifyUpdate ×64", || {
        stream_message(
            call!(C_VerifyInit(h, m.ptr(), pk)),
            "C_VerifyUpdate",
            |d, l| call!(C_VerifyUpdate(h, d, l)),
        );
        call!(C_VerifyFinal(h, sig, sig_len))
    });
    assert_eq!(rv, CKR_OK, "C_VerifyFinal after 64 MiB");
    let rv = streams_in_bounded_memory("C_VerifySignatureUpdate ×64", || {
        stream_message(
            call!(C_VerifySignatureInit(h, m.ptr(), pk, sig, sig_len)),
            "C_VerifySignatureUpdate",
            |d, l| call!(C_VerifySignatureUpdate(h, d, l)),
        );
        call!(C_VerifySignatureFinal(h))
    });
    assert_eq!(rv, CKR_OK, "C_VerifySignatureFinal after 64 MiB");

    // Single-part calls need the whole message here.
    let big: Vec<u8> = (0..PARTS * PART).map(message_byte).collect();
    let single = raw::sign(h, &mut m, sk, &big).expect("C_Sign(64 MiB)");
    assert!(
        parts == single,
        "multi-part and single-part deterministic signatures differ"
    );
    assert_eq!(
        raw::verify(h, &mut m, pk, &big, &parts),
        CKR_OK,
        "C_Verify(64 MiB)"
    );
    let mut changed = big.clone();
    changed[40 << 20] ^= 1;
    let rv = raw::verify_parts(
        h,
        &mut m,
        pk,
        &changed.chunks(PART).collect::<Vec<_>>(),
        &parts,
    );
    assert_eq!(rv, CKR_SIGNATURE_INVALID, "one bit changed in part 40");
    let chunks: Vec<&[u8]> = big.chunks(PART).collect();
    let mut hedged = pqc::sign_mech(CKM_ML_DSA, CKH_HEDGE_REQUIRED, b"64 MiB");
    let sig = raw::sign_parts(h, &mut hedged, sk, &chunks).expect("hedged C_SignUpdate ×64");
    assert_eq!(
        raw::verify(h, &mut m, pk, &big, &sig),
        CKR_OK,
        "hedged multi-part signature"
    );
}

/// The first failing CKR of C_SignInit + C_Sign.
fn sign_rv(h: CK_SESSION_HANDLE, m: &mut Mech, sk: CK_OBJECT_HANDLE, data: &[u8]) -> CK_RV {
    match raw::sign(h, m, sk, data) {
        Ok(_) => CKR_OK,
        Err(rv) => rv,
    }
}

fn parameters(
    h: CK_SESSION_HANDLE,
    f: &mut Failures,
    family: Family,
    set: &str,
    pure: CK_MECHANISM_TYPE,
    hash: CK_MECHANISM_TYPE,
) {
    let set = pqc::param_set(set);
    let (pk, sk) = pqc::key_pair(h, set);
    let msg = b"parameters";
    let digest = prehash_digest("SHA2-256", msg);
    let n = set.name;
    let long = [7u8; 256];
    let max = [7u8; 255];
    for ty in [
        pure,
        if family == Family::MlDsa {
            CKM_HASH_ML_DSA_SHA256
        } else {
            CKM_HASH_SLH_DSA_SHA256
        },
    ] {
        let mut m = pqc::sign_mech(ty, CKH_DETERMINISTIC_REQUIRED, &long);
        f.check(
            &format!("{n} 0x{ty:X}: sign, 256-byte context"),
            pqc::rv_is(
                sign_rv(h, &mut m, sk, msg),
                CKR_MECHANISM_PARAM_INVALID,
                "C_SignInit",
            ),
        );
        let sig = vec![0u8; set.out_len];
        f.check(
            &format!("{n} 0x{ty:X}: verify, 256-byte context"),
            pqc::rv_is(
                raw::verify(h, &mut m, pk, msg, &sig),
                CKR_MECHANISM_PARAM_INVALID,
                "C_VerifyInit",
            ),
        );
        f.check(
            &format!("{n} 0x{ty:X}: verify-signature, 256-byte context"),
            pqc::rv_is(
                pqc::verify_signature(h, &mut m, pk, msg, &sig),
                CKR_MECHANISM_PARAM_INVALID,
                "C_VerifySignatureInit",
            ),
        );
        let mut m = pqc::sign_mech(ty, CKH_DETERMINISTIC_REQUIRED, &max);
        let r =
            pqc::must(raw::sign(h, &mut m, sk, msg), "C_Sign(255-byte context)").and_then(|sig| {
                pqc::rv_is(
                    raw::verify(h, &mut m, pk, msg, &sig),
                    CKR_OK,
                    "C_Verify(255-byte context)",
                )
            });
        f.check(&format!("{n} 0x{ty:X}: 255-byte context"), r);
        let mut bad = pqc::sign_mech(ty, 3, b"");
        f.check(
            &format!("{n} 0x{ty:X}: hedge variant 3"),
            pqc::rv_is(
                sign_rv(h, &mut bad, sk, msg),
                CKR_MECHANISM_PARAM_INVALID,
                "C_SignInit",
            ),
        );
        let mut short = Mech::with_bytes(ty, &[0; 4]);
        f.check(
            &format!("{n} 0x{ty:X}: 4-byte parameter"),
            pqc::rv_is(
                sign_rv(h, &mut short, sk, msg),
                CKR_MECHANISM_PARAM_INVALID,
                "C_SignInit",
            ),
        );
    }
    // Deterministic twice: equal. Hedged twice: different. Both verify; the
    // hedge variant does not matter to verification.
    let r = (|| {
        let mut det = pqc::sign_mech(pure, CKH_DETERMINISTIC_REQUIRED, b"c");
        let mut hedged = pqc::sign_mech(pure, CKH_HEDGE_REQUIRED, b"c");
        let d1 = pqc::must(raw::sign(h, &mut det, sk, msg), "C_Sign(deterministic)")?;
        let d2 = pqc::must(raw::sign(h, &mut det, sk, msg), "C_Sign(deterministic)")?;
        pqc::same("two deterministic signatures", &d2, &d1)?;
        let h1 = pqc::must(raw::sign(h, &mut hedged, sk, msg), "C_Sign(hedged)")?;
        let h2 = pqc::must(raw::sign(h, &mut hedged, sk, msg), "C_Sign(hedged)")?;
        if h1 == h2 || h1 == d1 {
            return Err("CKH_HEDGE_REQUIRED gave a repeated signature".into());
        }
        pqc::rv_is(
            raw::verify(h, &mut hedged, pk, msg, &d1),
            CKR_OK,
            "C_Verify(deterministic signature, hedged parameter)",
        )?;
        pqc::rv_is(
            raw::verify(h, &mut det, pk, msg, &h1),
            CKR_OK,
            "C_Verify(hedged signature, deterministic parameter)",
        )
    })();
    f.check(&format!("{n}: hedge variants"), r);
    // NULL parameter: hedge preferred (so hedged: two signatures differ,
    // and differ from the deterministic one), empty context.
    let r = (|| {
        let mut null = Mech::new(pure);
        let sig = pqc::must(raw::sign(h, &mut null, sk, msg), "C_Sign(NULL parameter)")?;
        let again = pqc::must(raw::sign(h, &mut null, sk, msg), "C_Sign(NULL parameter)")?;
        let mut det = pqc::sign_mech(pure, CKH_DETERMINISTIC_REQUIRED, b"");
        let det_sig = pqc::must(
            raw::sign(h, &mut det, sk, msg),
            "C_Sign(deterministic, empty context)",
        )?;
        if sig == again || sig == det_sig || again == det_sig {
            return Err("the NULL parameter signed deterministically: want hedged".into());
        }
        let mut empty = pqc::sign_mech(pure, CKH_HEDGE_PREFERRED, b"");
        for (s, which) in [
            (&sig, "first NULL-parameter signature"),
            (&again, "second NULL-parameter signature"),
            (&det_sig, "deterministic signature"),
        ] {
            pqc::rv_is(
                raw::verify(h, &mut empty, pk, msg, s),
                CKR_OK,
                &format!("C_Verify(empty context) of the {which}"),
            )?;
            pqc::rv_is(
                raw::verify(h, &mut null, pk, msg, s),
                CKR_OK,
                &format!("C_Verify(NULL parameter) of the {which}"),
            )?;
        }
        let mut ctx = pqc::sign_mech(pure, CKH_HEDGE_PREFERRED, b"x");
        pqc::rv_is(
            raw::verify(h, &mut ctx, pk, msg, &sig),
            CKR_SIGNATURE_INVALID,
            "C_Verify(context \"x\")",
        )
    })();
    f.check(&format!("{n}: NULL parameter"), r);
    // The hash parameter: the digest length must fit, the hash must be one.
    let mut m = pqc::hash_sign_mech(hash, CKH_DETERMINISTIC_REQUIRED, b"", CKM_SHA256);
    let rv = sign_rv(h, &mut m, sk, &digest[..31]);
    f.check(
        &format!("{n}: 31-byte SHA-256 digest"),
        if rv == CKR_DATA_LEN_RANGE || rv == CKR_DATA_INVALID {
            Ok(())
        } else {
            Err(pqc::why("want DATA_LEN_RANGE or DATA_INVALID", rv))
        },
    );
    let mut m = pqc::hash_sign_mech(hash, CKH_DETERMINISTIC_REQUIRED, b"", CKM_AES_ECB);
    f.check(
        &format!("{n}: hash CKM_AES_ECB"),
        pqc::rv_is(
            sign_rv(h, &mut m, sk, &digest),
            CKR_MECHANISM_PARAM_INVALID,
            "C_SignInit",
        ),
    );
    let mut m = pqc::sign_mech(hash, CKH_DETERMINISTIC_REQUIRED, b"");
    f.check(
        &format!("{n}: CK_SIGN_ADDITIONAL_CONTEXT given to 0x{hash:X}"),
        pqc::rv_is(
            sign_rv(h, &mut m, sk, &digest),
            CKR_MECHANISM_PARAM_INVALID,
            "C_SignInit",
        ),
    );
    let mut m = pqc::hash_sign_mech(hash, CKH_DETERMINISTIC_REQUIRED, b"", CKM_SHA256);
    let r = pqc::must(
        raw::sign(h, &mut m, sk, &digest),
        "C_Sign(CKM_HASH_*, SHA-256)",
    )
    .and_then(|sig| {
        let mut other_hash =
            pqc::hash_sign_mech(hash, CKH_DETERMINISTIC_REQUIRED, b"", CKM_SHA3_256);
        pqc::rv_is(
            raw::verify(h, &mut other_hash, pk, &digest, &sig),
            CKR_SIGNATURE_INVALID,
            "C_Verify naming another hash",
        )
    });
    f.check(&format!("{n}: the hash is bound into the signature"), r);
    call!(C_DestroyObject(h, pk));
    call!(C_DestroyObject(h, sk));
}

#[test]
fn context_hedge_and_hash_parameters() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let mut f = Failures::new();
    parameters(
        s.handle(),
        &mut f,
        Family::MlDsa,
        "ML-DSA-65",
        CKM_ML_DSA,
        CKM_HASH_ML_DSA,
    );
    parameters(
        s.handle(),
        &mut f,
        Family::SlhDsa,
        "SLH-DSA-SHAKE-128f",
        CKM_SLH_DSA,
        CKM_HASH_SLH_DSA,
    );
    // Falcon takes no parameter.
    let set = pqc::param_set("Falcon-512");
    let (_, sk) = pqc::key_pair(s.handle(), set);
    let mut m = Mech::with_bytes(pqc::CKM_FALCON, &[0; 8]);
    f.check(
        "CKM_FALCON with a parameter",
        pqc::rv_is(
            sign_rv(s.handle(), &mut m, sk, b"x"),
            CKR_MECHANISM_PARAM_INVALID,
            "C_SignInit",
        ),
    );
    f.finish();
}

#[test]
fn key_usage_and_key_type_are_enforced() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let mut f = Failures::new();
    for set in ["ML-DSA-44", "SLH-DSA-SHA2-128f", "Falcon-512"].map(pqc::param_set) {
        let n = set.name;
        let public = vec![
            pqc::bool_attr(CKA_TOKEN, false),
            pqc::ulong_attr(CKA_PARAMETER_SET, set.ckp),
            pqc::bool_attr(CKA_VERIFY, false),
        ];
        let private = vec![
            pqc::bool_attr(CKA_TOKEN, false),
            pqc::bool_attr(CKA_SIGN, false),
        ];
        let (pk, sk) = pqc::generate_key_pair(h, set.family.keygen(), public, private)
            .expect("C_GenerateKeyPair");
        let mut m = pqc_common::plain_sign_mech(set);
        f.check(
            &format!("{n}: CKA_SIGN false"),
            pqc::rv_is(
                sign_rv(h, &mut m, sk, b"x"),
                CKR_KEY_FUNCTION_NOT_PERMITTED,
                "C_SignInit",
            ),
        );
        let sig = vec![0u8; set.out_len];
        f.check(
            &format!("{n}: CKA_VERIFY false"),
            pqc::rv_is(
                raw::verify(h, &mut m, pk, b"x", &sig),
                CKR_KEY_FUNCTION_NOT_PERMITTED,
                "C_VerifyInit",
            ),
        );
        f.check(
            &format!("{n}: CKA_VERIFY false, C_VerifySignatureInit"),
            pqc::rv_is(
                pqc::verify_signature(h, &mut m, pk, b"x", &sig),
                CKR_KEY_FUNCTION_NOT_PERMITTED,
                "C_VerifySignatureInit",
            ),
        );
    }
    // A key of another family: CKR_KEY_TYPE_INCONSISTENT.
    let (_, dsa) = pqc::key_pair(h, pqc::param_set("ML-DSA-44"));
    let (_, slh) = pqc::key_pair(h, pqc::param_set("SLH-DSA-SHA2-128f"));
    let (_, falcon) = pqc::key_pair(h, pqc::param_set("Falcon-512"));
    for (what, ty, key) in [
        ("CKM_ML_DSA with an SLH-DSA key", CKM_ML_DSA, slh),
        ("CKM_SLH_DSA with an ML-DSA key", CKM_SLH_DSA, dsa),
        ("CKM_FALCON with an ML-DSA key", pqc::CKM_FALCON, dsa),
        ("CKM_ML_DSA with a Falcon key", CKM_ML_DSA, falcon),
    ] {
        f.check(
            what,
            pqc::rv_is(
                sign_rv(h, &mut Mech::new(ty), key, b"x"),
                CKR_KEY_TYPE_INCONSISTENT,
                "C_SignInit",
            ),
        );
    }
    f.finish();
}

/// CKM_HASH_ML_DSA and CKM_HASH_SLH_DSA are single-part only: every
/// *Update is refused and ends the operation; a fresh single-part call
/// then works.
#[test]
fn hash_mechanisms_are_single_part_only() {
    let fx = Fixture::new();
    let mut f = Failures::new();
    for (set, ty) in [
        ("ML-DSA-44", CKM_HASH_ML_DSA),
        ("SLH-DSA-SHA2-128f", CKM_HASH_SLH_DSA),
    ] {
        // A session each: a failure must not leave an operation active for the next.
        let s = fx.user_session();
        let h = s.handle();
        let set = pqc::param_set(set);
        let (pk, sk) = pqc::key_pair(h, set);
        let digest = prehash_digest("SHA2-384", b"single part");
        let mut m = pqc::hash_sign_mech(ty, CKH_DETERMINISTIC_REQUIRED, b"", CKM_SHA384);
        let (p, n) = (digest.as_ptr() as *mut u8, digest.len() as CK_ULONG);
        let refused = |rv: CK_RV, what: &str| {
            if rv == CKR_OPERATION_NOT_INITIALIZED || rv == CKR_FUNCTION_NOT_SUPPORTED {
                Ok(())
            } else {
                Err(pqc::why(
                    &format!("{what}: want OPERATION_NOT_INITIALIZED or FUNCTION_NOT_SUPPORTED"),
                    rv,
                ))
            }
        };
        let name = format!("0x{ty:X}");
        let r = (|| {
            pqc::rv_is(call!(C_SignInit(h, m.ptr(), sk)), CKR_OK, "C_SignInit")?;
            refused(call!(C_SignUpdate(h, p, n)), "C_SignUpdate")?;
            let mut len: CK_ULONG = 0;
            let rv = call!(C_SignFinal(h, std::ptr::null_mut(), &mut len));
            pqc::rv_is(
                rv,
                CKR_OPERATION_NOT_INITIALIZED,
                "C_SignFinal after the refused update",
            )?;
            let sig = pqc::must(raw::sign(h, &mut m, sk, &digest), "C_Sign afterwards")?;
            pqc::rv_is(call!(C_VerifyInit(h, m.ptr(), pk)), CKR_OK, "C_VerifyInit")?;
            refused(call!(C_VerifyUpdate(h, p, n)), "C_VerifyUpdate")?;
            pqc::rv_is(
                raw::verify(h, &mut m, pk, &digest, &sig),
                CKR_OK,
                "C_Verify afterwards",
            )?;
            let (sp, sn) = (sig.as_ptr() as *mut u8, sig.len() as CK_ULONG);
            pqc::rv_is(
                call!(C_VerifySignatureInit(h, m.ptr(), pk, sp, sn)),
                CKR_OK,
                "C_VerifySignatureInit",
            )?;
            refused(
                call!(C_VerifySignatureUpdate(h, p, n)),
                "C_VerifySignatureUpdate",
            )?;
            pqc::rv_is(
                pqc::verify_signature(h, &mut m, pk, &digest, &sig),
                CKR_OK,
                "C_VerifySignature afterwards",
            )
        })();
        f.check(&name, r);
    }
    f.finish();
}
