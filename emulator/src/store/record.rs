//! Object records: which attribute values are sealed, and the binary
//! record that carries an object on disk.
//!
//! Record format (version 1, little-endian):
//! ```text
//! u8 version = 1 | u8 flags (bit 0: private) | u64 object id | u32 count
//! count × ( u64 attribute type | u8 sealed (0/1) | u32 len | len bytes )
//! [32] HMAC-SHA256 over everything before
//! ```
//! A sealed value is nonce ‖ AES-256-GCM ciphertext ‖ tag under the token
//! key, with AAD = format version ‖ object id ‖ attribute type, so a
//! ciphertext moved to another object or attribute does not open. The
//! record tag uses the token key's record subkey for private objects and
//! the integrity key's for public ones.

use super::codec::{split_tag, Malformed, Reader, Writer};
use super::keys::{hmac, hmac_verify, open, seal, IntegrityKeys, TokenKey};
use super::FORMAT_VERSION;
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use cryptoki_sys::*;

const RECORD_VERSION: u8 = 1;
const FLAG_PRIVATE: u8 = 1;

/// Attributes whose value is secret material on any object.
const SECRET_TYPES: [CK_ATTRIBUTE_TYPE; 7] = [
    CKA_PRIVATE_EXPONENT,
    CKA_PRIME_1,
    CKA_PRIME_2,
    CKA_EXPONENT_1,
    CKA_EXPONENT_2,
    CKA_COEFFICIENT,
    CKA_SEED,
];

/// Attributes left in clear on private objects: what a public session may
/// learn about an object it cannot see anyway.
const CLEAR_ON_PRIVATE: [CK_ATTRIBUTE_TYPE; 3] = [CKA_CLASS, CKA_TOKEN, CKA_PRIVATE];

/// Whether the object is private. An absent CKA_PRIVATE counts as private:
/// the object layer fills defaults, and failing closed keeps a forgotten
/// default from putting a label on disk in clear.
pub(super) fn is_private(attrs: &Attributes) -> Result<bool> {
    attrs.bool_or(CKA_PRIVATE, true)
}

/// Whether the value of `ty` is sealed on an object of this class and
/// privacy. An unknown class seals CKA_VALUE, again failing closed.
fn must_seal(class: Option<CK_OBJECT_CLASS>, private: bool, ty: CK_ATTRIBUTE_TYPE) -> bool {
    if private {
        return !CLEAR_ON_PRIVATE.contains(&ty);
    }
    SECRET_TYPES.contains(&ty)
        || (ty == CKA_VALUE
            && !matches!(class, Some(c) if c != CKO_SECRET_KEY && c != CKO_PRIVATE_KEY))
}

/// Whether storing `attrs` needs the token key (some value is sealed, or
/// the record is private and so authenticated under the token key).
pub fn requires_key(attrs: &Attributes) -> Result<bool> {
    let private = is_private(attrs)?;
    let class = attrs.ulong(CKA_CLASS)?;
    Ok(private || attrs.types().any(|t| must_seal(class, private, t)))
}

/// Attribute types are encoded as u64 whatever the width of CK_ULONG.
#[allow(clippy::useless_conversion)] // CK_ULONG is u64 on 64-bit targets only
fn type_code(ty: CK_ATTRIBUTE_TYPE) -> u64 {
    u64::from(ty)
}

fn aad(id: u64, ty: CK_ATTRIBUTE_TYPE) -> [u8; 20] {
    let mut a = [0u8; 20];
    a[..4].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    a[4..12].copy_from_slice(&id.to_le_bytes());
    a[12..].copy_from_slice(&type_code(ty).to_le_bytes());
    a
}

/// An encoded record ready to be written.
pub(super) struct Encoded {
    pub bytes: Vec<u8>,
    pub tag: [u8; 32],
    pub private: bool,
}

/// Encodes and seals `attrs` as object `id`. Fails with
/// `USER_NOT_LOGGED_IN` when something must be sealed or authenticated
/// under the token key and `key` is `None`.
pub(super) fn encode(
    id: u64,
    attrs: &Attributes,
    key: Option<&TokenKey>,
    ik: &IntegrityKeys,
) -> Result<Encoded> {
    let private = is_private(attrs)?;
    let class = attrs.ulong(CKA_CLASS)?;
    let count = u32::try_from(attrs.len()).map_err(|_| Ckr::ARGUMENTS_BAD)?;
    let mut w = Writer::new();
    w.u8(RECORD_VERSION)
        .u8(if private { FLAG_PRIVATE } else { 0 })
        .u64(id)
        .u32(count);
    for (ty, value) in attrs.iter() {
        w.u64(type_code(ty));
        if must_seal(class, private, ty) {
            let k = key.ok_or(Ckr::USER_NOT_LOGGED_IN)?;
            let sealed = seal(&k.enc, value, &aad(id, ty))?;
            w.u8(1).bytes(&sealed)
        } else {
            w.u8(0).bytes(value)
        }
        .map_err(|_| Ckr::ATTRIBUTE_VALUE_INVALID)?;
    }
    let mac_key = if private {
        &key.ok_or(Ckr::USER_NOT_LOGGED_IN)?.record_mac
    } else {
        &ik.record_mac
    };
    let tag = hmac(mac_key.as_ref(), &[w.as_slice()]);
    w.raw(&tag);
    Ok(Encoded {
        bytes: w.into_vec(),
        tag,
        private,
    })
}

/// What can be read without checking anything: the privacy flag (to pick
/// the MAC key) and the tag (to recognise a cached version).
#[derive(Clone, Copy)]
pub(super) struct Header {
    pub private: bool,
    pub tag: [u8; 32],
}

pub(super) fn header(raw: &[u8]) -> std::result::Result<Header, Malformed> {
    let (body, tag) = split_tag(raw)?;
    let mut r = Reader::new(body);
    if r.u8()? != RECORD_VERSION {
        return Err(Malformed);
    }
    let private = match r.u8()? {
        0 => false,
        FLAG_PRIVATE => true,
        _ => return Err(Malformed),
    };
    Ok(Header { private, tag })
}

/// A verified, decoded record.
pub(super) struct Decoded {
    pub attrs: Attributes,
    /// The record holds sealed values (left out when no key was given).
    pub sealed: bool,
}

/// Verifies and decodes record `id`. The caller has checked that a key is
/// given for a private record. With `key` `None`, sealed values are left
/// out. Any failure means the record is not what we wrote.
pub(super) fn decode(
    id: u64,
    raw: &[u8],
    key: Option<&TokenKey>,
    ik: &IntegrityKeys,
) -> std::result::Result<Decoded, Malformed> {
    let h = header(raw)?;
    let (body, tag) = split_tag(raw)?;
    let mac_key = match (h.private, key) {
        (true, Some(k)) => &k.record_mac,
        (true, None) => return Err(Malformed),
        (false, _) => &ik.record_mac,
    };
    if !hmac_verify(mac_key.as_ref(), &[body], &tag) {
        return Err(Malformed);
    }
    let mut r = Reader::new(body);
    r.raw(2)?;
    if r.u64()? != id {
        return Err(Malformed);
    }
    let count = r.u32()?;
    let mut attrs = Attributes::new();
    let mut any_sealed = false;
    let mut last: Option<CK_ATTRIBUTE_TYPE> = None;
    for _ in 0..count {
        let ty = CK_ATTRIBUTE_TYPE::try_from(r.u64()?).map_err(|_| Malformed)?;
        // We write types in strictly increasing order; anything else is an edit.
        if last.is_some_and(|l| l >= ty) {
            return Err(Malformed);
        }
        last = Some(ty);
        let sealed = r.flag()?;
        let data = r.bytes()?;
        any_sealed |= sealed;
        match (sealed, key) {
            (false, _) => attrs.set(ty, data.to_vec()),
            (true, Some(k)) => {
                let plain = open(&k.enc, data, &aad(id, ty)).ok_or(Malformed)?;
                attrs.set(ty, plain.to_vec());
            }
            (true, None) => {}
        }
    }
    r.finish()?;
    Ok(Decoded {
        attrs,
        sealed: any_sealed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::keys::random_secret;

    fn keys() -> (TokenKey, IntegrityKeys) {
        (
            TokenKey::from_secret(random_secret().unwrap()),
            IntegrityKeys::derive(&[3u8; 32]),
        )
    }

    fn secret_key_attrs(private: bool) -> Attributes {
        let mut a = Attributes::new();
        a.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
        a.set_bool(CKA_PRIVATE, private);
        a.set(CKA_LABEL, b"lbl".to_vec());
        a.set(CKA_VALUE, vec![0x42; 32]);
        a
    }

    #[test]
    fn sealing_rules() {
        assert!(must_seal(Some(CKO_SECRET_KEY), false, CKA_VALUE));
        assert!(must_seal(Some(CKO_PRIVATE_KEY), false, CKA_VALUE));
        assert!(must_seal(None, false, CKA_VALUE));
        assert!(!must_seal(Some(CKO_DATA), false, CKA_VALUE));
        assert!(!must_seal(Some(CKO_CERTIFICATE), false, CKA_LABEL));
        assert!(must_seal(Some(CKO_PUBLIC_KEY), false, 0x637));
        assert!(must_seal(Some(CKO_DATA), true, CKA_LABEL));
        assert!(!must_seal(Some(CKO_DATA), true, CKA_CLASS));
    }

    #[test]
    fn public_record_without_key_hides_sealed_values() {
        let (tk, ik) = keys();
        let a = secret_key_attrs(false);
        let e = encode(9, &a, Some(&tk), &ik).unwrap();
        assert!(!e.private);
        let full = decode(9, &e.bytes, Some(&tk), &ik).unwrap();
        assert_eq!(full.attrs, a);
        assert!(full.sealed);
        let view = decode(9, &e.bytes, None, &ik).unwrap();
        assert!(view.sealed);
        assert_eq!(view.attrs.get(CKA_LABEL), Some(&b"lbl"[..]));
        assert_eq!(view.attrs.get(CKA_VALUE), None);
        assert_eq!(
            encode(9, &a, None, &ik).err(),
            Some(Ckr::USER_NOT_LOGGED_IN)
        );
    }

    #[test]
    fn any_edit_or_wrong_id_fails() {
        let (tk, ik) = keys();
        let e = encode(5, &secret_key_attrs(true), Some(&tk), &ik).unwrap();
        assert!(e.private);
        assert!(decode(6, &e.bytes, Some(&tk), &ik).is_err());
        for i in 0..e.bytes.len() {
            let mut t = e.bytes.clone();
            t[i] ^= 0x10;
            assert!(decode(5, &t, Some(&tk), &ik).is_err(), "byte {i}");
        }
        let (other, _) = keys();
        assert!(decode(5, &e.bytes, Some(&other), &ik).is_err());
    }
}
