//! Wycheproof AES-GCM / AES-CBC-PKCS5 / AES-KW / AES-KWP / HMAC vectors
//! through the module. A `valid` case must give the expected output, an
//! `invalid` one must be rejected, an `acceptable` one must not crash.
//! Cases PKCS#11 lets a token refuse (a GCM IV length other than 96 bits
//! refused with CKR_MECHANISM_PARAM_INVALID) are counted, not failed.

use cryptoki::object::{Attribute, KeyType};
use cryptoki_sys::*;
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::rv_name;
use qrc_conformance::wycheproof::{destroy, refused_cleanly, run_file, Case, Expect, Outcome};

fn secret_key(h: CK_SESSION_HANDLE, kt: KeyType, value: &[u8]) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    raw::create(h, qrc_conformance::keys::secret_template(kt, value))
}

/// Judges a cipher case: `enc` and `dec` are the module's answers. A
/// valid case must give both outputs; otherwise the decryption decides.
fn judge(
    case: &Case,
    expected_ct: &[u8],
    msg: &[u8],
    enc: Result<Vec<u8>, CK_RV>,
    dec: Result<Vec<u8>, CK_RV>,
) -> Outcome {
    match case.result {
        Expect::Valid => match (enc, dec) {
            (Ok(c), Ok(p)) if c == expected_ct && p == msg => Outcome::Accepted,
            (Ok(c), _) if c != expected_ct => case.compare("C_Encrypt", &c, expected_ct),
            (Ok(_), Ok(p)) => case.compare("C_Decrypt", &p, msg),
            (Err(rv), _) => Outcome::Mismatch(format!("C_Encrypt: {}", rv_name(rv))),
            (_, Err(rv)) => Outcome::Mismatch(format!("C_Decrypt: {}", rv_name(rv))),
        },
        _ => match dec {
            Err(rv) => refused_cleanly("C_Decrypt", rv),
            Ok(p) => case.compare("C_Decrypt", &p, msg),
        },
    }
}

#[test]
fn wycheproof_aes_gcm() {
    run_file("aes_gcm_test.json", |h, c| {
        let (key, iv, aad, msg) = (c.hex("key"), c.hex("iv"), c.hex("aad"), c.hex("msg"));
        let mut ct = c.hex("ct");
        ct.extend(c.hex("tag"));
        let tag_bits = c.group_u64("tagSize") as CK_ULONG;
        let k = match secret_key(h, KeyType::AES, &key) {
            Ok(k) => k,
            Err(rv) => {
                return Outcome::Mismatch(format!(
                    "AES key of {} bytes refused: {}",
                    key.len(),
                    rv_name(rv)
                ))
            }
        };
        let enc = raw::encrypt(h, &mut Mech::aes_gcm(&iv, &aad, tag_bits), k, &msg);
        let dec = raw::decrypt(h, &mut Mech::aes_gcm(&iv, &aad, tag_bits), k, &ct);
        destroy(h, k);
        let odd_iv = iv.len() != 12;
        if c.result == Expect::Valid
            && odd_iv
            && enc == Err(CKR_MECHANISM_PARAM_INVALID)
            && dec == Err(CKR_MECHANISM_PARAM_INVALID)
        {
            return Outcome::Skipped(
                "IV other than 96 bits refused with CKR_MECHANISM_PARAM_INVALID (allowed)".into(),
            );
        }
        judge(c, &ct, &msg, enc, dec)
    });
}

#[test]
fn wycheproof_aes_cbc_pkcs5() {
    run_file("aes_cbc_pkcs5_test.json", |h, c| {
        let (key, iv, msg, ct) = (c.hex("key"), c.hex("iv"), c.hex("msg"), c.hex("ct"));
        let k = match secret_key(h, KeyType::AES, &key) {
            Ok(k) => k,
            Err(rv) => return Outcome::Mismatch(format!("AES key refused: {}", rv_name(rv))),
        };
        let enc = raw::encrypt(h, &mut Mech::iv(CKM_AES_CBC_PAD, &iv), k, &msg);
        let dec = raw::decrypt(h, &mut Mech::iv(CKM_AES_CBC_PAD, &iv), k, &ct);
        destroy(h, k);
        judge(c, &ct, &msg, enc, dec)
    });
}

fn key_wrap_case(h: CK_SESSION_HANDLE, c: &Case, mech: CK_MECHANISM_TYPE) -> Outcome {
    let (key, msg, ct) = (c.hex("key"), c.hex("msg"), c.hex("ct"));
    let k = match secret_key(h, KeyType::AES, &key) {
        Ok(k) => k,
        Err(rv) => return Outcome::Mismatch(format!("AES key refused: {}", rv_name(rv))),
    };
    let enc = raw::encrypt(h, &mut Mech::new(mech), k, &msg);
    let dec = raw::decrypt(h, &mut Mech::new(mech), k, &ct);
    let template = vec![
        Attribute::Class(cryptoki::object::ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(false),
        Attribute::Extractable(true),
        Attribute::Sensitive(false),
    ];
    let unwrapped = raw::unwrap(h, &mut Mech::new(mech), k, &ct, template);
    destroy(h, k);
    let verdict = judge(c, &ct, &msg, enc, dec);
    // C_UnwrapKey must agree with C_Decrypt.
    let unwrapped = match unwrapped {
        Ok(u) => {
            let v = raw::attr(h, u, CKA_VALUE);
            destroy(h, u);
            match v {
                Ok(v) => c.compare("C_UnwrapKey", &v, &msg),
                Err(rv) => Outcome::Mismatch(format!("reading the unwrapped key: {}", rv_name(rv))),
            }
        }
        Err(rv) => refused_cleanly("C_UnwrapKey", rv),
    };
    match (verdict, unwrapped) {
        (Outcome::Accepted, Outcome::Accepted) => Outcome::Accepted,
        (Outcome::Refused(rv), Outcome::Refused(_)) => Outcome::Refused(rv),
        (Outcome::Mismatch(why), _) | (_, Outcome::Mismatch(why)) => Outcome::Mismatch(why),
        (Outcome::Accepted, _) => {
            Outcome::Mismatch("C_Decrypt accepted it, C_UnwrapKey refused".into())
        }
        (_, Outcome::Accepted) => {
            Outcome::Mismatch("C_UnwrapKey accepted it, C_Decrypt refused".into())
        }
        (v, _) => v,
    }
}

#[test]
fn wycheproof_aes_kw() {
    run_file("aes_wrap_test.json", |h, c| {
        key_wrap_case(h, c, CKM_AES_KEY_WRAP)
    });
}

#[test]
fn wycheproof_aes_kwp() {
    run_file("aes_kwp_test.json", |h, c| {
        key_wrap_case(h, c, CKM_AES_KEY_WRAP_KWP)
    });
}

fn hmac_file(file: &str, mech: CK_MECHANISM_TYPE, general: CK_MECHANISM_TYPE, full_bits: u64) {
    run_file(file, |h, c| {
        let (key, msg, tag) = (c.hex("key"), c.hex("msg"), c.hex("tag"));
        let bits = c.group_u64("tagSize");
        let m = || {
            if bits == full_bits {
                Mech::new(mech)
            } else {
                Mech::mac_general(general, bits / 8)
            }
        };
        let k = match secret_key(h, KeyType::GENERIC_SECRET, &key) {
            Ok(k) => k,
            Err(rv) => {
                return Outcome::Mismatch(format!(
                    "generic secret of {} bytes refused: {}",
                    key.len(),
                    rv_name(rv)
                ))
            }
        };
        let mac = raw::sign(h, &mut m(), k, &msg);
        let verified = raw::verify(h, &mut m(), k, &msg, &tag);
        destroy(h, k);
        match (c.result, mac) {
            (Expect::Valid, Ok(v)) if v != tag => c.compare("C_Sign", &v, &tag),
            (Expect::Valid, Err(rv)) => Outcome::Mismatch(format!("C_Sign: {}", rv_name(rv))),
            _ => Outcome::verify("C_Verify", verified),
        }
    });
}

#[test]
fn wycheproof_hmac_sha256() {
    hmac_file(
        "hmac_sha256_test.json",
        CKM_SHA256_HMAC,
        CKM_SHA256_HMAC_GENERAL,
        256,
    );
}

#[test]
fn wycheproof_hmac_sha384() {
    hmac_file(
        "hmac_sha384_test.json",
        CKM_SHA384_HMAC,
        CKM_SHA384_HMAC_GENERAL,
        384,
    );
}

#[test]
fn wycheproof_hmac_sha512() {
    hmac_file(
        "hmac_sha512_test.json",
        CKM_SHA512_HMAC,
        CKM_SHA512_HMAC_GENERAL,
        512,
    );
}

#[test]
fn wycheproof_hmac_sha3_256() {
    hmac_file(
        "hmac_sha3_256_test.json",
        CKM_SHA3_256_HMAC,
        CKM_SHA3_256_HMAC_GENERAL,
        256,
    );
}

#[test]
fn wycheproof_hmac_sha3_512() {
    hmac_file(
        "hmac_sha3_512_test.json",
        CKM_SHA3_512_HMAC,
        CKM_SHA3_512_HMAC_GENERAL,
        512,
    );
}
