//! Wycheproof AES-GCM / AES-CBC-PKCS5 / AES-KW / AES-KWP / HMAC vectors
//! through the module. A `valid` case must give the expected output, an
//! `invalid` one must be rejected, an `acceptable` one must not crash.
//! Cases PKCS#11 lets a token refuse (a GCM IV length other than 96 bits
//! refused with CKR_MECHANISM_PARAM_INVALID) are counted, not failed.

use cryptoki::object::{Attribute, KeyType};
use cryptoki_sys::*;
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::{call, rv_name, vectors_dir, Fixture};
use serde_json::Value as Json;

/// The parsed vector file.
fn load(file: &str) -> Json {
    let path = vectors_dir().join("wycheproof-classic").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One vector as the runners see it.
struct Case<'a> {
    id: u64,
    result: &'a str,
    t: &'a Json,
    group: &'a Json,
}

impl Case<'_> {
    fn hex(&self, field: &str) -> Vec<u8> {
        let s = self
            .t
            .get(field)
            .and_then(Json::as_str)
            .unwrap_or_else(|| panic!("tcId {}: no {field}", self.id));
        hex::decode(s).unwrap_or_else(|e| panic!("tcId {}: {field}: {e}", self.id))
    }
    fn group_u64(&self, field: &str) -> u64 {
        self.group
            .get(field)
            .and_then(Json::as_u64)
            .unwrap_or_else(|| panic!("group without {field}"))
    }
}

/// What one case came to.
enum Outcome {
    Pass,
    /// A case the token may legitimately refuse.
    Unsupported,
    Fail(String),
}

fn run_file(file: &str, mut run: impl FnMut(CK_SESSION_HANDLE, &Case) -> Outcome) {
    let doc = load(file);
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let (mut pass, mut unsupported, mut fails) = (0usize, 0usize, Vec::new());
    for group in doc
        .get("testGroups")
        .and_then(Json::as_array)
        .expect("testGroups")
    {
        for t in group.get("tests").and_then(Json::as_array).expect("tests") {
            let case = Case {
                id: t.get("tcId").and_then(Json::as_u64).expect("tcId"),
                result: t.get("result").and_then(Json::as_str).expect("result"),
                t,
                group,
            };
            match run(h, &case) {
                Outcome::Pass => pass += 1,
                Outcome::Unsupported => unsupported += 1,
                Outcome::Fail(why) => {
                    fails.push(format!("tcId {} ({}): {why}", case.id, case.result))
                }
            }
        }
    }
    println!(
        "{file}: {pass} passed, {unsupported} refused as unsupported, {} failed",
        fails.len()
    );
    assert!(
        fails.is_empty(),
        "{file}: {pass} passed, {unsupported} unsupported, {} failed:\n{}",
        fails.len(),
        fails
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn secret_key(h: CK_SESSION_HANDLE, kt: KeyType, value: &[u8]) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    raw::create(h, qrc_conformance::keys::secret_template(kt, value))
}

fn destroy(h: CK_SESSION_HANDLE, k: CK_OBJECT_HANDLE) {
    call!(C_DestroyObject(h, k));
}

/// Judges a cipher case: `enc` and `dec` are the module's answers.
fn judge(
    case: &Case,
    expected_ct: &[u8],
    msg: &[u8],
    enc: Result<Vec<u8>, CK_RV>,
    dec: Result<Vec<u8>, CK_RV>,
) -> Outcome {
    match case.result {
        "valid" => match (enc, dec) {
            (Ok(c), Ok(p)) if c == expected_ct && p == msg => Outcome::Pass,
            (Ok(c), _) if c != expected_ct => Outcome::Fail(format!(
                "ciphertext {} != {}",
                hex::encode(c),
                hex::encode(expected_ct)
            )),
            (Ok(_), Ok(p)) => Outcome::Fail(format!(
                "plaintext {} != {}",
                hex::encode(p),
                hex::encode(msg)
            )),
            (Err(rv), _) => Outcome::Fail(format!("encrypt: {}", rv_name(rv))),
            (_, Err(rv)) => Outcome::Fail(format!("decrypt: {}", rv_name(rv))),
        },
        "invalid" => match dec {
            Err(_) => Outcome::Pass,
            Ok(p) => Outcome::Fail(format!(
                "invalid ciphertext accepted, plaintext {}",
                hex::encode(p)
            )),
        },
        _ => Outcome::Pass,
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
                return Outcome::Fail(format!(
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
        if c.result == "valid"
            && odd_iv
            && enc == Err(CKR_MECHANISM_PARAM_INVALID)
            && dec == Err(CKR_MECHANISM_PARAM_INVALID)
        {
            return Outcome::Unsupported;
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
            Err(rv) => return Outcome::Fail(format!("AES key refused: {}", rv_name(rv))),
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
        Err(rv) => return Outcome::Fail(format!("AES key refused: {}", rv_name(rv))),
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
    match (&verdict, c.result, unwrapped) {
        (Outcome::Pass, "valid", Ok(u)) => {
            let v = raw::attr(h, u, CKA_VALUE);
            destroy(h, u);
            match v {
                Ok(v) if v == msg => Outcome::Pass,
                Ok(v) => Outcome::Fail(format!(
                    "C_UnwrapKey value {} != {}",
                    hex::encode(v),
                    hex::encode(&msg)
                )),
                Err(rv) => Outcome::Fail(format!("reading the unwrapped key: {}", rv_name(rv))),
            }
        }
        (Outcome::Pass, "valid", Err(rv)) => Outcome::Fail(format!("C_UnwrapKey: {}", rv_name(rv))),
        (Outcome::Pass, "invalid", Ok(u)) => {
            destroy(h, u);
            Outcome::Fail("C_UnwrapKey accepted an invalid wrapped key".into())
        }
        (_, _, Ok(u)) => {
            destroy(h, u);
            verdict
        }
        _ => verdict,
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
                return Outcome::Fail(format!(
                    "generic secret of {} bytes refused: {}",
                    key.len(),
                    rv_name(rv)
                ))
            }
        };
        let mac = raw::sign(h, &mut m(), k, &msg);
        let verified = raw::verify(h, &mut m(), k, &msg, &tag);
        destroy(h, k);
        match c.result {
            "valid" => match mac {
                Ok(v) if v == tag && verified == CKR_OK => Outcome::Pass,
                Ok(v) if v != tag => {
                    Outcome::Fail(format!("MAC {} != {}", hex::encode(v), hex::encode(&tag)))
                }
                Ok(_) => Outcome::Fail(format!("C_Verify of the right MAC: {}", rv_name(verified))),
                Err(rv) => Outcome::Fail(format!("C_Sign: {}", rv_name(rv))),
            },
            "invalid" if verified == CKR_OK => {
                Outcome::Fail("C_Verify accepted an invalid MAC".into())
            }
            _ => Outcome::Pass,
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
