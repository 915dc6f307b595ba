//! Key derivation: CKM_HKDF_DERIVE and CKM_HKDF_DATA (RFC 5869, PKCS#11
//! 3.0), CKM_SP800_108_COUNTER_KDF and CKM_SP800_108_FEEDBACK_KDF (NIST SP
//! 800-108r1 over HMAC or AES-CMAC, with additional derived keys), the
//! PKCS#11 2.x derivations that concatenate, XOR, extract or encrypt key
//! bytes (`simple`), and the X9.63 KDF that CKM_ECDH1_DERIVE applies to its
//! secret.

mod derived;
mod hkdf;
mod simple;
mod sp800_108;
#[cfg(test)]
mod tests;
mod x963;

pub(in crate::mech) use x963::x963_kdf;

use super::{MechParam, Mechanism, Registry};
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use cryptoki_sys::*;

/// The most a derivation produces, in bytes: HKDF's limit with SHA-512
/// (255 · 64). It bounds what a template's CKA_VALUE_LEN can make the token
/// allocate; the key type's own limit applies when the key is built.
const MAX_OUTPUT: usize = 255 * 64;

/// The length of a derived value: the template's CKA_VALUE_LEN, else the
/// mechanism's `natural` length (for an AES key the longest AES key length
/// that fits in it). A zero or oversized CKA_VALUE_LEN is
/// CKR_TEMPLATE_INCONSISTENT, a missing one where nothing is natural
/// CKR_TEMPLATE_INCOMPLETE.
pub(in crate::mech) fn output_len(template: &Attributes, natural: Option<usize>) -> Result<usize> {
    if let Some(n) = template.ulong(CKA_VALUE_LEN)? {
        return usize::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_OUTPUT).contains(n))
            .ok_or(Ckr::TEMPLATE_INCONSISTENT);
    }
    let natural = natural.ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
    if template.ulong(CKA_KEY_TYPE)? == Some(CKK_AES) {
        return [32, 24, 16]
            .into_iter()
            .find(|n| *n <= natural)
            .ok_or(Ckr::TEMPLATE_INCONSISTENT);
    }
    Ok(natural)
}

pub(crate) fn register(r: &mut Registry) {
    hkdf::register(r);
    sp800_108::register(r);
    simple::register(r);
}

/// RFC 5869 test case 1 (HKDF-SHA-256), derived through CKM_HKDF_DERIVE.
const KAT_IKM: &[u8] = &[0x0b; 22];
const KAT_SALT: &str = "000102030405060708090a0b0c";
const KAT_INFO: &str = "f0f1f2f3f4f5f6f7f8f9";
const KAT_OKM: &str =
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";

/// Known-answer test run at C_Initialize.
pub(crate) fn known_answer() -> Result<bool> {
    let unhex = super::self_test::unhex;
    let mut ikm = Attributes::new();
    ikm.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    ikm.set_ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET);
    ikm.set(CKA_VALUE, KAT_IKM.to_vec());
    let mut template = Attributes::new();
    template.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    template.set_ulong(CKA_VALUE_LEN, 42);
    let m = Mechanism {
        ty: CKM_HKDF_DERIVE,
        param: MechParam::Hkdf {
            extract: true,
            expand: true,
            prf: CKM_SHA256,
            salt_type: CKF_HKDF_SALT_DATA,
            salt: unhex(KAT_SALT)?,
            salt_key: CK_INVALID_HANDLE,
            info: unhex(KAT_INFO)?,
        },
    };
    let out = super::registry()
        .get(CKM_HKDF_DERIVE)?
        .derive(&m, &ikm, &template)?;
    Ok(out.get(CKA_VALUE) == Some(&unhex(KAT_OKM)?[..]))
}
