//! The Wycheproof vector files for AES-GCM, AES-CBC-PKCS5, AES key wrap, KWP
//! and HMAC, run through the registry: every valid case must give the
//! expected output, every invalid case must be refused, an acceptable case
//! may go either way. Cases PKCS#11 cannot express (or this module does not
//! offer, such as GCM IV lengths outside the supported set) are skipped and
//! counted.

use super::secret::test_keys::{chunked, key, single, ODD_CHUNKS};
use super::test_vectors::{dir, Field, Json};
use super::{registry, MechParam, Mechanism};
use cryptoki_sys::*;

/// Per-file tallies.
#[derive(Default, Debug)]
struct Tally {
    valid: usize,
    invalid: usize,
    acceptable: usize,
    skipped: usize,
}

/// Load a file and call `case(group, test)` for each test, which returns
/// None for a skipped case, else whether the module accepted it.
fn run(file: &str, mut case: impl FnMut(&Json, &Json) -> Option<bool>) -> Tally {
    let path = dir()
        .join("wycheproof-classic")
        .join(format!("{file}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Json = serde_json::from_str(&text).expect("valid JSON");
    let mut t = Tally::default();
    for group in doc["testGroups"].arr() {
        for test in group["tests"].arr() {
            let id = test["tcId"].num();
            let result = test["result"].str();
            match (case(group, test), result) {
                (None, _) => t.skipped += 1,
                (Some(true), "valid") => t.valid += 1,
                (Some(false), "invalid") => t.invalid += 1,
                (Some(_), "acceptable") => t.acceptable += 1,
                (Some(accepted), _) => panic!("{file} tcId {id} ({result}): accepted = {accepted}"),
            }
        }
    }
    println!("{file}: {t:?}");
    assert_eq!(
        t.valid + t.invalid + t.acceptable + t.skipped,
        doc["numberOfTests"].num() as usize
    );
    assert!(t.valid > 0 && t.invalid > 0, "{file}: nothing checked");
    t
}

/// Decrypt (and, for valid cases, encrypt), single- and multi-part, and
/// report whether the ciphertext was accepted with the expected result.
fn cipher_case(
    ty: CK_MECHANISM_TYPE,
    param: MechParam,
    k: &[u8],
    msg: &[u8],
    ct: &[u8],
    valid: bool,
) -> bool {
    let k = key(CKK_AES, k);
    let dec = single(ty, &param, &k, false, ct);
    assert_eq!(dec, chunked(ty, &param, &k, false, ct, ODD_CHUNKS));
    if valid {
        assert_eq!(single(ty, &param, &k, true, msg).as_deref(), Ok(ct));
        assert_eq!(
            chunked(ty, &param, &k, true, msg, ODD_CHUNKS).as_deref(),
            Ok(ct)
        );
    }
    dec.is_ok_and(|pt| pt == msg)
}

#[test]
fn aes_gcm() {
    let t = run("aes_gcm_test", |_, test| {
        let (iv, tag) = (test["iv"].hex(), test["tag"].hex());
        let valid = test["result"].str() == "valid";
        let supported_iv = matches!(iv.len(), 8..=16 | 32 | 64 | 128);
        if !supported_iv && valid {
            return None;
        }
        let param = MechParam::Gcm {
            iv,
            aad: test["aad"].hex(),
            tag_bits: 8 * tag.len() as CK_ULONG,
        };
        let mut ct = test["ct"].hex();
        ct.extend_from_slice(&tag);
        Some(cipher_case(
            CKM_AES_GCM,
            param,
            &test["key"].hex(),
            &test["msg"].hex(),
            &ct,
            valid && supported_iv,
        ))
    });
    // Only the valid cases with IVs of 1, 2, 4, 6, 20 and 257 bytes.
    assert_eq!(t.skipped, 30, "{t:?}");
}

#[test]
fn aes_cbc_pkcs5() {
    let t = run("aes_cbc_pkcs5_test", |_, test| {
        let param = MechParam::Bytes(test["iv"].hex());
        let valid = test["result"].str() == "valid";
        Some(cipher_case(
            CKM_AES_CBC_PAD,
            param,
            &test["key"].hex(),
            &test["msg"].hex(),
            &test["ct"].hex(),
            valid,
        ))
    });
    assert_eq!(t.skipped, 0);
}

/// Unwrap (and, for valid cases, wrap) through the mechanism's wrap/unwrap
/// and its cipher form.
fn wrap_case(ty: CK_MECHANISM_TYPE, test: &Json) -> bool {
    let (kek, msg, ct) = (
        key(CKK_AES, &test["key"].hex()),
        test["msg"].hex(),
        test["ct"].hex(),
    );
    let m = Mechanism {
        ty,
        param: MechParam::None,
    };
    let mech = registry().get(ty).unwrap();
    let unwrapped = mech.unwrap(&m, &kek, &ct);
    assert_eq!(
        unwrapped.is_ok(),
        single(ty, &MechParam::None, &kek, false, &ct).is_ok()
    );
    let wrapped = mech.wrap(&m, &kek, &msg);
    match test["result"].str() {
        "valid" => assert_eq!(wrapped.as_deref(), Ok(ct.as_slice())),
        // A wrong wrapping must not be what this module produces.
        "invalid" => assert_ne!(wrapped.as_deref(), Ok(ct.as_slice())),
        _ => {}
    }
    unwrapped.is_ok_and(|v| v.as_slice() == msg)
}

#[test]
fn aes_wrap() {
    let t = run("aes_wrap_test", |_, test| {
        Some(wrap_case(CKM_AES_KEY_WRAP, test))
    });
    assert_eq!(t.skipped, 0);
}

#[test]
fn aes_kwp() {
    let t = run("aes_kwp_test", |_, test| {
        Some(wrap_case(CKM_AES_KEY_WRAP_KWP, test))
    });
    assert_eq!(t.skipped, 0);
}

#[test]
fn hmac() {
    use super::hmac::tests::{sign, verify};
    let files = [
        (
            "hmac_sha256_test",
            CKM_SHA256_HMAC,
            CKM_SHA256_HMAC_GENERAL,
            32,
        ),
        (
            "hmac_sha384_test",
            CKM_SHA384_HMAC,
            CKM_SHA384_HMAC_GENERAL,
            48,
        ),
        (
            "hmac_sha512_test",
            CKM_SHA512_HMAC,
            CKM_SHA512_HMAC_GENERAL,
            64,
        ),
        (
            "hmac_sha3_256_test",
            CKM_SHA3_256_HMAC,
            CKM_SHA3_256_HMAC_GENERAL,
            32,
        ),
        (
            "hmac_sha3_512_test",
            CKM_SHA3_512_HMAC,
            CKM_SHA3_512_HMAC_GENERAL,
            64,
        ),
    ];
    for (file, full, general, full_len) in files {
        run(file, |group, test| {
            let tag_len = group["tagSize"].num() as usize / 8;
            let (k, msg, tag) = (test["key"].hex(), test["msg"].hex(), test["tag"].hex());
            if k.is_empty() {
                // PKCS#11 has no empty key objects.
                return None;
            }
            let k = key(CKK_GENERIC_SECRET, &k);
            let (ty, param) = if tag_len == full_len {
                (full, MechParam::None)
            } else {
                (general, MechParam::Ulong(tag_len as CK_ULONG))
            };
            if test["result"].str() == "valid" {
                assert_eq!(
                    sign(ty, param.clone(), &k, &msg, 13).as_deref(),
                    Ok(tag.as_slice())
                );
            }
            Some(verify(ty, param, &k, &msg, &tag).is_ok())
        });
    }
}
