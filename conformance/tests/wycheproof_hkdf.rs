//! Wycheproof HKDF-SHA-256/384/512 vectors through the module, over a
//! generic secret holding the IKM, with CK_HKDF_PARAMS (an empty salt is
//! CKF_HKDF_SALT_NULL, which RFC 5869 defines as the same thing), three
//! ways:
//!
//! - CKM_HKDF_DERIVE, extract and expand, to an extractable generic secret
//!   of CKA_VALUE_LEN = size, whose CKA_VALUE is read back;
//! - CKM_HKDF_DATA, the same to a data object;
//! - CKM_HKDF_DERIVE extract-only (the PRK, a key), then expand-only from
//!   that key.
//!
//! Output sizes over 255 hash lengths are invalid and must be refused with
//! a clean CKR. A secret key longer than the token's largest generic secret
//! may be refused too (the data object lane still must give it).

use cryptoki::object::{Attribute, KeyType, ObjectClass};
use cryptoki::types::Ulong;
use cryptoki_sys::*;
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::rv_name;
use qrc_conformance::wycheproof::{
    derive, derive_value, destroy, run_lanes, Case, Expect, Outcome,
};

/// What C_DeriveKey may return for an output length HKDF cannot give.
const LENGTH_REFUSALS: &[CK_RV] = &[
    CKR_TEMPLATE_INCONSISTENT,
    CKR_ATTRIBUTE_VALUE_INVALID,
    CKR_KEY_SIZE_RANGE,
    CKR_MECHANISM_PARAM_INVALID,
];

/// CKM_HKDF_DERIVE / CKM_HKDF_DATA with CK_HKDF_PARAMS.
struct Hkdf {
    mech: Mech,
    _salt: Vec<u8>,
    _info: Vec<u8>,
}

fn nullable(v: &mut [u8]) -> *mut u8 {
    if v.is_empty() {
        std::ptr::null_mut()
    } else {
        v.as_mut_ptr()
    }
}

fn hkdf(
    ty: CK_MECHANISM_TYPE,
    prf: CK_MECHANISM_TYPE,
    steps: (bool, bool),
    salt: &[u8],
    info: &[u8],
) -> Hkdf {
    let (mut salt, mut info) = (salt.to_vec(), info.to_vec());
    let params = CK_HKDF_PARAMS {
        bExtract: steps.0 as CK_BBOOL,
        bExpand: steps.1 as CK_BBOOL,
        prfHashMechanism: prf,
        ulSaltType: if salt.is_empty() {
            CKF_HKDF_SALT_NULL
        } else {
            CKF_HKDF_SALT_DATA
        },
        pSalt: nullable(&mut salt),
        ulSaltLen: salt.len() as CK_ULONG,
        hSaltKey: CK_INVALID_HANDLE,
        pInfo: nullable(&mut info),
        ulInfoLen: info.len() as CK_ULONG,
    };
    // The buffers' heap memory stays put when the Vecs move into Hkdf.
    Hkdf {
        mech: Mech::with_struct(ty, params),
        _salt: salt,
        _info: info,
    }
}

/// An extractable session generic secret template, of `len` bytes if
/// given.
fn secret(len: Option<usize>) -> Vec<Attribute> {
    let mut t = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(false),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
        Attribute::Derive(true),
    ];
    if let Some(n) = len {
        t.push(Attribute::ValueLen(Ulong::from(n as u64)));
    }
    t
}

/// A derived value judged: the expected output, or a clean length refusal.
fn judge(c: &Case, got: Result<Result<Vec<u8>, CK_RV>, Outcome>, okm: &[u8]) -> Outcome {
    match got {
        Err(mismatch) => mismatch,
        Ok(Ok(v)) => c.compare("C_DeriveKey", &v, okm),
        Ok(Err(rv)) => Outcome::refused("C_DeriveKey", rv, LENGTH_REFUSALS),
    }
}

/// A valid secret-key output the token refused only for its length.
fn too_long_for_a_key(c: &Case, out: Outcome, size: usize) -> Outcome {
    match out {
        Outcome::Refused(rv) if c.result == Expect::Valid && size > 512 => {
            Outcome::Skipped(format!(
                "generic secret of {size} bytes (over 512) refused with {}",
                rv_name(rv)
            ))
        }
        other => other,
    }
}

fn hkdf_file(file: &str, prf: CK_MECHANISM_TYPE) {
    run_lanes(
        file,
        &[
            "CKM_HKDF_DERIVE",
            "CKM_HKDF_DATA",
            "CKM_HKDF_DERIVE extract, then expand",
        ],
        |h, c| {
            let (ikm, salt, info, okm) = (c.hex("ikm"), c.hex("salt"), c.hex("info"), c.hex("okm"));
            let size = c.u64("size") as usize;
            let mut base = secret(None);
            base.push(Attribute::Value(ikm.clone()));
            let base = match raw::create(h, base) {
                Ok(k) => k,
                Err(rv) => {
                    let o = Outcome::Mismatch(format!(
                        "C_CreateObject of a {}-byte generic secret: {}",
                        ikm.len(),
                        rv_name(rv)
                    ));
                    return vec![o.clone(), o.clone(), o];
                }
            };
            let both = (true, true);

            let mut m = hkdf(CKM_HKDF_DERIVE, prf, both, &salt, &info);
            let key = judge(
                c,
                derive_value(h, &mut m.mech, base, secret(Some(size))),
                &okm,
            );
            let key = too_long_for_a_key(c, key, size);

            let mut m = hkdf(CKM_HKDF_DATA, prf, both, &salt, &info);
            let data = vec![
                Attribute::Class(ObjectClass::DATA),
                Attribute::Token(false),
                Attribute::ValueLen(Ulong::from(size as u64)),
            ];
            let data = judge(c, derive_value(h, &mut m.mech, base, data), &okm);

            let mut m = hkdf(CKM_HKDF_DERIVE, prf, (true, false), &salt, &[]);
            let two_step = match derive(h, &mut m.mech, base, secret(None)) {
                Err(rv) => {
                    Outcome::Mismatch(format!("C_DeriveKey (extract only): {}", rv_name(rv)))
                }
                Ok(prk) => {
                    let mut m = hkdf(CKM_HKDF_DERIVE, prf, (false, true), &[], &info);
                    let out = judge(
                        c,
                        derive_value(h, &mut m.mech, prk, secret(Some(size))),
                        &okm,
                    );
                    destroy(h, prk);
                    too_long_for_a_key(c, out, size)
                }
            };
            destroy(h, base);
            vec![key, data, two_step]
        },
    );
}

#[test]
fn wycheproof_hkdf_sha256() {
    hkdf_file("hkdf_sha256_test.json", CKM_SHA256);
}

#[test]
fn wycheproof_hkdf_sha384() {
    hkdf_file("hkdf_sha384_test.json", CKM_SHA384);
}

#[test]
fn wycheproof_hkdf_sha512() {
    hkdf_file("hkdf_sha512_test.json", CKM_SHA512);
}
