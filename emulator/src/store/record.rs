//! Object records: which attribute values are sealed, and the binary
//! record that carries an object on disk.
//!
//! Record format (store format 2, little-endian):
//! ```text
//! u8 version = 1 | u8 flags (bit 0: private, bit 1: key-tagged) | u64 object id | u32 count
//! count × ( u64 attribute type | u8 sealed (0/1) | u32 len | len bytes )
//! [32] key tag: HMAC-SHA256 over everything before (key-tagged records only)
//! [32] HMAC-SHA256 over everything before
//! ```
//! A sealed value is nonce ‖ AES-256-GCM ciphertext ‖ tag under the token
//! key, with AAD = format version ‖ object id ‖ attribute type, so a
//! ciphertext moved to another object or attribute does not open. The
//! record tag uses the token key's record subkey for private objects and
//! the integrity key's for public ones.
//!
//! The integrity key lies in the store itself (public objects are read
//! before any login), so its tag detects damage, not a forger. A public
//! record that holds sealed values (the value of a public secret key) is
//! therefore key-tagged as well, under the token key's record subkey: the
//! attributes that govern a secret (CKA_SENSITIVE, CKA_EXTRACTABLE,
//! CKA_ALLOWED_MECHANISMS, …) cannot be changed on disk without the PIN,
//! and no value is unsealed from a record whose key tag fails. A value the
//! rules seal but the record holds in clear is an edit, too.

use super::codec::{split_tag, Malformed, Reader, Writer};
use super::keys::{hmac, hmac_verify, open, seal, IntegrityKeys, TokenKey};
use super::FORMAT_VERSION;
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use cryptoki_sys::*;

const RECORD_VERSION: u8 = 1;
const FLAG_PRIVATE: u8 = 1;
const FLAG_KEY_TAGGED: u8 = 2;

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
    let key_tagged = !private && attrs.types().any(|t| must_seal(class, false, t));
    let flags = match (private, key_tagged) {
        (true, _) => FLAG_PRIVATE,
        (false, true) => FLAG_KEY_TAGGED,
        (false, false) => 0,
    };
    let mut w = Writer::new();
    w.u8(RECORD_VERSION).u8(flags).u64(id).u32(count);
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
    if key_tagged {
        let k = key.ok_or(Ckr::USER_NOT_LOGGED_IN)?;
        let key_tag = hmac(k.record_mac.as_ref(), &[w.as_slice()]);
        w.raw(&key_tag);
    }
    let tag = hmac(mac_key.as_ref(), &[w.as_slice()]);
    w.raw(&tag);
    Ok(Encoded {
        bytes: w.into_vec(),
        tag,
        private,
    })
}

/// What can be read without checking anything: the privacy flag (to pick
/// the MAC key), whether a key tag is present, and the tag (to recognise a
/// cached version).
#[derive(Clone, Copy)]
pub(super) struct Header {
    pub private: bool,
    pub key_tagged: bool,
    pub tag: [u8; 32],
}

pub(super) fn header(raw: &[u8]) -> std::result::Result<Header, Malformed> {
    let (body, tag) = split_tag(raw)?;
    let mut r = Reader::new(body);
    if r.u8()? != RECORD_VERSION {
        return Err(Malformed);
    }
    let (private, key_tagged) = match r.u8()? {
        0 => (false, false),
        FLAG_PRIVATE => (true, false),
        FLAG_KEY_TAGGED => (false, true),
        _ => return Err(Malformed),
    };
    Ok(Header {
        private,
        key_tagged,
        tag,
    })
}

/// A verified, decoded record.
pub(super) struct Decoded {
    pub attrs: Attributes,
    /// The record holds sealed values (left out when no key was given).
    pub sealed: bool,
}

/// Verifies and decodes record `id`. The caller has checked that a key is
/// given for a private record. With `key` `None`, sealed values are left
/// out (and the key tag, which guards only them, unchecked). Any failure
/// means the record is not what we wrote.
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
    let body = match (h.key_tagged, key) {
        (false, _) => body,
        (true, key) => {
            let (body, key_tag) = split_tag(body)?;
            if key.is_some_and(|k| !hmac_verify(k.record_mac.as_ref(), &[body], &key_tag)) {
                return Err(Malformed);
            }
            body
        }
    };
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
        // Sealing follows the rules and nothing else: a value in clear that
        // they seal was put there by someone else, and a sealed value on a
        // public record is guarded by the key tag. CKA_CLASS (type 0) comes
        // first, so the class is known here.
        let class = attrs.ulong(CKA_CLASS).map_err(|_| Malformed)?;
        if sealed != must_seal(class, h.private, ty) || (sealed && !h.private && !h.key_tagged) {
            return Err(Malformed);
        }
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

    /// What a forger with write access to the store can make: any record
    /// body, tagged under the integrity key, which lies in the store.
    fn forge(body: &[u8], ik: &IntegrityKeys) -> Vec<u8> {
        let tag = hmac(ik.record_mac.as_ref(), &[body]);
        [body, &tag[..]].concat()
    }

    /// The body of an encoded public record, its key tag dropped.
    fn public_body(e: &Encoded) -> Vec<u8> {
        let (body, _) = split_tag(&e.bytes).unwrap();
        let (body, _) = split_tag(body).unwrap();
        body.to_vec()
    }

    #[test]
    fn public_record_with_sealed_values_cannot_be_forged() {
        let (tk, ik) = keys();
        let mut a = secret_key_attrs(false);
        a.set_bool(CKA_SENSITIVE, true);
        let e = encode(9, &a, Some(&tk), &ik).unwrap();
        let (body, key_tag) = split_tag(&e.bytes[..e.bytes.len() - 32]).unwrap();
        // CKA_SENSITIVE turned off, the record re-tagged under the integrity
        // key with the old key tag (or none): read without the token key it
        // looks fine, but nothing is unsealed from it.
        let sensitive_at = body
            .windows(9)
            .position(|w| w[..8] == type_code(CKA_SENSITIVE).to_le_bytes())
            .unwrap();
        let mut edited = body.to_vec();
        edited[sensitive_at + 8 + 1 + 4] = 0;
        let with_old_tag = forge(&[&edited[..], &key_tag[..]].concat(), &ik);
        assert!(decode(9, &with_old_tag, None, &ik).is_ok());
        assert!(decode(9, &with_old_tag, Some(&tk), &ik).is_err());
        let mut untagged = edited.clone();
        untagged[1] = 0;
        let untagged = forge(&untagged, &ik);
        assert!(decode(9, &untagged, Some(&tk), &ik).is_err());
        assert!(decode(9, &untagged, None, &ik).is_err());
    }

    #[test]
    fn a_value_the_rules_seal_is_never_read_in_clear() {
        let (tk, ik) = keys();
        // The forger's own key value, in clear, on a public secret key with
        // no sealed values at all (so no key tag to check).
        let mut a = secret_key_attrs(false);
        a.remove(CKA_VALUE);
        let e = encode(4, &a, None, &ik).unwrap();
        let body = &e.bytes[..e.bytes.len() - 32];
        let count = u32::from_le_bytes(body[10..14].try_into().unwrap());
        let with = |ty: CK_ATTRIBUTE_TYPE| {
            let mut w = Writer::new();
            w.raw(&body[..10]).u32(count + 1).raw(&body[14..]);
            w.u64(type_code(ty)).u8(0).bytes(&[7; 16]).unwrap();
            forge(w.as_slice(), &ik)
        };
        let forged = with(CKA_VALUE);
        assert!(decode(4, &forged, None, &ik).is_err());
        assert!(decode(4, &forged, Some(&tk), &ik).is_err());
        // The same edit with an attribute kept in clear is undetectable
        // here (the integrity key is no secret): the rule above is what
        // refused the first.
        assert!(decode(4, &with(CKA_ID), Some(&tk), &ik).is_ok());
        // And the honest record still reads.
        assert!(decode(4, &e.bytes, Some(&tk), &ik).is_ok());
        let sealed = encode(4, &secret_key_attrs(false), Some(&tk), &ik).unwrap();
        assert_eq!(public_body(&sealed)[1], FLAG_KEY_TAGGED);
    }
}
