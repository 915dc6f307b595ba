//! Wycheproof RSA vectors through the module: PKCS#1 v1.5 signatures
//! (CKM_SHA*_RSA_PKCS on the message, CKM_RSA_PKCS on the DigestInfo made
//! here), PSS signatures (CKM_SHA*_RSA_PKCS_PSS on the message,
//! CKM_RSA_PKCS_PSS on the digest, both with CK_RSA_PKCS_PSS_PARAMS), each
//! through C_Verify and C_VerifySignature, the hashing mechanisms also
//! through C_VerifySignatureUpdate on three parts,
//! PKCS#1 v1.5 and OAEP decryption (CKM_RSA_PKCS, CKM_RSA_PKCS_OAEP with
//! CK_RSA_PKCS_OAEP_PARAMS and the label), each through C_Decrypt and
//! C_UnwrapKey. Keys are imported with C_CreateObject as session objects.
//!
//! A key the module refuses to import because its public exponent is
//! below 65537 (FIPS 186-5 asks for e ≥ 65537) is a legitimate refusal: its
//! cases are skipped.

use cryptoki::object::{Attribute, KeyType, ObjectClass};
use cryptoki_sys::*;
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::rv_name;
use qrc_conformance::wycheproof::{
    destroy, run_lanes, verify_lane_names, verify_with_each, Case, Outcome, DECRYPT_REFUSALS,
    MULTI_PART, SINGLE_PART, UNWRAP_REFUSALS,
};
use sha2::Digest;
use std::collections::HashMap;

/// A big-endian integer without its leading zero bytes.
fn strip(b: &[u8]) -> Vec<u8> {
    let zeros = b.iter().take_while(|x| **x == 0).count();
    b[zeros..].to_vec()
}

/// A message digest made by the test.
type DigestFn = fn(&[u8]) -> Vec<u8>;

/// A hash of the vector files.
#[derive(Clone, Copy)]
struct Hash {
    /// The digest mechanism (CK_RSA_PKCS_*_PARAMS.hashAlg).
    ckm: CK_MECHANISM_TYPE,
    /// Its MGF1.
    mgf: CK_RSA_PKCS_MGF_TYPE,
    /// DER of DigestInfo up to the digest.
    prefix: &'static str,
    /// The digest, made here (None: SHA-1, which only OAEP uses, inside
    /// the module).
    digest: Option<DigestFn>,
}

impl Hash {
    fn digest(&self, m: &[u8]) -> Vec<u8> {
        (self.digest.expect("a SHA-2 hash"))(m)
    }
}

fn hash(name: &str) -> Hash {
    match name {
        "SHA-1" => Hash {
            ckm: CKM_SHA_1,
            mgf: CKG_MGF1_SHA1,
            prefix: "3021300906052b0e03021a05000414",
            digest: None,
        },
        "SHA-256" => Hash {
            ckm: CKM_SHA256,
            mgf: CKG_MGF1_SHA256,
            prefix: "3031300d060960864801650304020105000420",
            digest: Some(|m| sha2::Sha256::digest(m).to_vec()),
        },
        "SHA-384" => Hash {
            ckm: CKM_SHA384,
            mgf: CKG_MGF1_SHA384,
            prefix: "3041300d060960864801650304020205000430",
            digest: Some(|m| sha2::Sha384::digest(m).to_vec()),
        },
        "SHA-512" => Hash {
            ckm: CKM_SHA512,
            mgf: CKG_MGF1_SHA512,
            prefix: "3051300d060960864801650304020305000440",
            digest: Some(|m| sha2::Sha512::digest(m).to_vec()),
        },
        other => panic!("hash {other}"),
    }
}

/// The RSA public key of a group, or why its cases cannot run.
fn public_key(h: CK_SESSION_HANDLE, c: &Case) -> Result<CK_OBJECT_HANDLE, Outcome> {
    let (n, e) = (
        c.group_hex(&["publicKey", "modulus"]),
        c.group_hex(&["publicKey", "publicExponent"]),
    );
    let made = raw::create(
        h,
        vec![
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(KeyType::RSA),
            Attribute::Token(false),
            Attribute::Verify(true),
            Attribute::Encrypt(true),
            Attribute::Modulus(strip(&n)),
            Attribute::PublicExponent(strip(&e)),
        ],
    );
    import_verdict(made, &e)
}

/// The RSA private key of a group (with its CRT values).
fn private_key(h: CK_SESSION_HANDLE, c: &Case) -> Result<CK_OBJECT_HANDLE, Outcome> {
    let v = |f: &str| strip(&c.group_hex(&["privateKey", f]));
    let made = raw::create(
        h,
        vec![
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(KeyType::RSA),
            Attribute::Token(false),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Decrypt(true),
            Attribute::Unwrap(true),
            Attribute::Modulus(v("modulus")),
            Attribute::PublicExponent(v("publicExponent")),
            Attribute::PrivateExponent(v("privateExponent")),
            Attribute::Prime1(v("prime1")),
            Attribute::Prime2(v("prime2")),
            Attribute::Exponent1(v("exponent1")),
            Attribute::Exponent2(v("exponent2")),
            Attribute::Coefficient(v("coefficient")),
        ],
    );
    import_verdict(made, &v("publicExponent"))
}

/// A refused import is a mismatch, unless the exponent is small.
fn import_verdict(
    made: Result<CK_OBJECT_HANDLE, CK_RV>,
    e: &[u8],
) -> Result<CK_OBJECT_HANDLE, Outcome> {
    let small = strip(e).len() < 3;
    made.map_err(|rv| match rv {
        CKR_ATTRIBUTE_VALUE_INVALID | CKR_KEY_SIZE_RANGE | CKR_TEMPLATE_INCONSISTENT if small => {
            Outcome::Skipped(format!(
                "key with public exponent {} refused at import with {} (FIPS 186-5: e ≥ 65537)",
                hex::encode(strip(e)),
                rv_name(rv)
            ))
        }
        _ => Outcome::Mismatch(format!(
            "C_CreateObject of the group's key: {}",
            rv_name(rv)
        )),
    })
}

/// One key per group, imported at its first case.
#[derive(Default)]
struct GroupKeys(HashMap<usize, Result<CK_OBJECT_HANDLE, Outcome>>);

impl GroupKeys {
    fn get(
        &mut self,
        c: &Case,
        make: impl FnOnce() -> Result<CK_OBJECT_HANDLE, Outcome>,
    ) -> Result<CK_OBJECT_HANDLE, Outcome> {
        self.0.entry(c.group_no).or_insert_with(make).clone()
    }
}

fn pkcs1_signature_file(file: &str, hashing: (CK_MECHANISM_TYPE, &str)) {
    let mut keys = GroupKeys::default();
    let lanes = verify_lane_names(&[
        (hashing.1, MULTI_PART),
        ("CKM_RSA_PKCS on the DigestInfo", SINGLE_PART),
    ]);
    run_lanes(file, &lanes, |h, c| {
        let key = match keys.get(c, || public_key(h, c)) {
            Ok(k) => k,
            Err(o) => return vec![o; lanes.len()],
        };
        let hs = hash(c.group_str("sha"));
        let (msg, sig) = (c.hex("msg"), c.hex("sig"));
        let mut info = hex::decode(hs.prefix).expect("DigestInfo prefix");
        info.extend(hs.digest(&msg));
        let mut out = verify_with_each(h, || Mech::new(hashing.0), MULTI_PART, key, &msg, &sig);
        out.extend(verify_with_each(
            h,
            || Mech::new(CKM_RSA_PKCS),
            SINGLE_PART,
            key,
            &info,
            &sig,
        ));
        out
    });
}

const SHA256_RSA: (CK_MECHANISM_TYPE, &str) = (CKM_SHA256_RSA_PKCS, "CKM_SHA256_RSA_PKCS");
const SHA384_RSA: (CK_MECHANISM_TYPE, &str) = (CKM_SHA384_RSA_PKCS, "CKM_SHA384_RSA_PKCS");
const SHA512_RSA: (CK_MECHANISM_TYPE, &str) = (CKM_SHA512_RSA_PKCS, "CKM_SHA512_RSA_PKCS");

#[test]
fn wycheproof_rsa_pkcs1_2048_sha256() {
    pkcs1_signature_file("rsa_signature_2048_sha256_test.json", SHA256_RSA);
}

#[test]
fn wycheproof_rsa_pkcs1_2048_sha384() {
    pkcs1_signature_file("rsa_signature_2048_sha384_test.json", SHA384_RSA);
}

#[test]
fn wycheproof_rsa_pkcs1_2048_sha512() {
    pkcs1_signature_file("rsa_signature_2048_sha512_test.json", SHA512_RSA);
}

#[test]
fn wycheproof_rsa_pkcs1_3072_sha256() {
    pkcs1_signature_file("rsa_signature_3072_sha256_test.json", SHA256_RSA);
}

#[test]
fn wycheproof_rsa_pkcs1_3072_sha384() {
    pkcs1_signature_file("rsa_signature_3072_sha384_test.json", SHA384_RSA);
}

#[test]
fn wycheproof_rsa_pkcs1_3072_sha512() {
    pkcs1_signature_file("rsa_signature_3072_sha512_test.json", SHA512_RSA);
}

#[test]
fn wycheproof_rsa_pkcs1_4096_sha256() {
    pkcs1_signature_file("rsa_signature_4096_sha256_test.json", SHA256_RSA);
}

#[test]
fn wycheproof_rsa_pkcs1_4096_sha384() {
    pkcs1_signature_file("rsa_signature_4096_sha384_test.json", SHA384_RSA);
}

#[test]
fn wycheproof_rsa_pkcs1_4096_sha512() {
    pkcs1_signature_file("rsa_signature_4096_sha512_test.json", SHA512_RSA);
}

/// CK_RSA_PKCS_PSS_PARAMS of a group.
fn pss_params(c: &Case) -> CK_RSA_PKCS_PSS_PARAMS {
    CK_RSA_PKCS_PSS_PARAMS {
        hashAlg: hash(c.group_str("sha")).ckm,
        mgf: hash(c.group_str("mgfSha")).mgf,
        sLen: c.group_u64("sLen") as CK_ULONG,
    }
}

fn pss_file(file: &str, hashing: (CK_MECHANISM_TYPE, &str)) {
    let mut keys = GroupKeys::default();
    let lanes = verify_lane_names(&[
        (hashing.1, MULTI_PART),
        ("CKM_RSA_PKCS_PSS on the digest", SINGLE_PART),
    ]);
    run_lanes(file, &lanes, |h, c| {
        assert_eq!(c.group_str("mgf"), "MGF1");
        let key = match keys.get(c, || public_key(h, c)) {
            Ok(k) => k,
            Err(o) => return vec![o; lanes.len()],
        };
        let (msg, sig) = (c.hex("msg"), c.hex("sig"));
        let digest = hash(c.group_str("sha")).digest(&msg);
        let mut out = verify_with_each(
            h,
            || Mech::with_struct(hashing.0, pss_params(c)),
            MULTI_PART,
            key,
            &msg,
            &sig,
        );
        out.extend(verify_with_each(
            h,
            || Mech::with_struct(CKM_RSA_PKCS_PSS, pss_params(c)),
            SINGLE_PART,
            key,
            &digest,
            &sig,
        ));
        out
    });
}

#[test]
fn wycheproof_rsa_pss_2048_sha256() {
    pss_file(
        "rsa_pss_2048_sha256_mgf1_32_test.json",
        (CKM_SHA256_RSA_PKCS_PSS, "CKM_SHA256_RSA_PKCS_PSS"),
    );
}

#[test]
fn wycheproof_rsa_pss_3072_sha256() {
    pss_file(
        "rsa_pss_3072_sha256_mgf1_32_test.json",
        (CKM_SHA256_RSA_PKCS_PSS, "CKM_SHA256_RSA_PKCS_PSS"),
    );
}

#[test]
fn wycheproof_rsa_pss_4096_sha512() {
    pss_file(
        "rsa_pss_4096_sha512_mgf1_64_test.json",
        (CKM_SHA512_RSA_PKCS_PSS, "CKM_SHA512_RSA_PKCS_PSS"),
    );
}

/// A mechanism with the buffer its parameter points into.
struct Param {
    mech: Mech,
    _keep: Vec<u8>,
}

/// C_Decrypt and C_UnwrapKey of one ciphertext, each judged against the
/// expected message.
fn decrypt_lanes(
    h: CK_SESSION_HANDLE,
    c: &Case,
    param: impl Fn() -> Param,
    key: CK_OBJECT_HANDLE,
) -> Vec<Outcome> {
    let (msg, ct) = (c.hex("msg"), c.hex("ct"));
    let decrypted = match raw::decrypt(h, &mut param().mech, key, &ct) {
        Ok(p) => c.compare("C_Decrypt", &p, &msg),
        Err(rv) => Outcome::refused("C_Decrypt", rv, DECRYPT_REFUSALS),
    };
    let template = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(false),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
    ];
    let unwrapped = if msg.is_empty() && c.result == qrc_conformance::wycheproof::Expect::Valid {
        Outcome::Skipped("empty message: no generic secret has an empty value".into())
    } else {
        match raw::unwrap(h, &mut param().mech, key, &ct, template) {
            Ok(u) => {
                let v = raw::attr(h, u, CKA_VALUE);
                destroy(h, u);
                match v {
                    Ok(v) => c.compare("C_UnwrapKey", &v, &msg),
                    Err(rv) => Outcome::Mismatch(format!(
                        "reading CKA_VALUE of the unwrapped key: {}",
                        rv_name(rv)
                    )),
                }
            }
            // An empty value is refused as a key value, not as a ciphertext.
            Err(CKR_TEMPLATE_INCONSISTENT | CKR_ATTRIBUTE_VALUE_INVALID) if msg.is_empty() => {
                Outcome::Skipped("empty message: no generic secret has an empty value".into())
            }
            Err(rv) => Outcome::refused("C_UnwrapKey", rv, UNWRAP_REFUSALS),
        }
    };
    vec![decrypted, unwrapped]
}

#[test]
fn wycheproof_rsa_pkcs1_decrypt() {
    let mut keys = GroupKeys::default();
    run_lanes(
        "rsa_pkcs1_2048_test.json",
        &["CKM_RSA_PKCS C_Decrypt", "CKM_RSA_PKCS C_UnwrapKey"],
        |h, c| match keys.get(c, || private_key(h, c)) {
            Ok(k) => decrypt_lanes(
                h,
                c,
                || Param {
                    mech: Mech::new(CKM_RSA_PKCS),
                    _keep: Vec::new(),
                },
                k,
            ),
            Err(o) => vec![o.clone(), o],
        },
    );
}

/// CKM_RSA_PKCS_OAEP with the group's hashes and the case's label.
fn oaep(c: &Case) -> Param {
    let mut label = c.hex("label");
    let params = CK_RSA_PKCS_OAEP_PARAMS {
        hashAlg: hash(c.group_str("sha")).ckm,
        mgf: hash(c.group_str("mgfSha")).mgf,
        source: CKZ_DATA_SPECIFIED,
        pSourceData: if label.is_empty() {
            std::ptr::null_mut()
        } else {
            label.as_mut_ptr().cast()
        },
        ulSourceDataLen: label.len() as CK_ULONG,
    };
    // The label's heap buffer stays put when the Vec moves into Param.
    Param {
        mech: Mech::with_struct(CKM_RSA_PKCS_OAEP, params),
        _keep: label,
    }
}

fn oaep_file(file: &str) {
    let mut keys = GroupKeys::default();
    run_lanes(
        file,
        &[
            "CKM_RSA_PKCS_OAEP C_Decrypt",
            "CKM_RSA_PKCS_OAEP C_UnwrapKey",
        ],
        |h, c| {
            assert_eq!(c.group_str("mgf"), "MGF1");
            match keys.get(c, || private_key(h, c)) {
                Ok(k) => decrypt_lanes(h, c, || oaep(c), k),
                Err(o) => vec![o.clone(), o],
            }
        },
    );
}

#[test]
fn wycheproof_rsa_oaep_2048_sha1() {
    oaep_file("rsa_oaep_2048_sha1_mgf1sha1_test.json");
}

#[test]
fn wycheproof_rsa_oaep_2048_sha256() {
    oaep_file("rsa_oaep_2048_sha256_mgf1sha256_test.json");
}

#[test]
fn wycheproof_rsa_oaep_3072_sha256() {
    oaep_file("rsa_oaep_3072_sha256_mgf1sha256_test.json");
}

#[test]
fn wycheproof_rsa_oaep_4096_sha512() {
    oaep_file("rsa_oaep_4096_sha512_mgf1sha512_test.json");
}
