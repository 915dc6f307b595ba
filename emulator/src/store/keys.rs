//! Key material of the store and the primitives built on it: HMAC-SHA256
//! tags, AES-256-GCM sealing, randomness.
//!
//! Two key hierarchies exist:
//! - the **token key** (random, 32 bytes) wrapped under the PINs; it
//!   encrypts secret values and authenticates private records and private
//!   index entries;
//! - the **integrity key** (random, 32 bytes) kept in clear in the meta
//!   tree; it authenticates public records, meta records and the anchor.
//!   It detects corruption and edits by anyone who does not read our meta
//!   record, not a determined attacker with write access to the store.
//!
//! Each purpose uses its own subkey, HMAC(key, purpose label).

use crate::error::{Ckr, Result};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

type HmacSha256 = Hmac<Sha256>;

/// A 32-byte secret, wiped on drop.
pub(super) type Secret = Zeroizing<[u8; 32]>;

/// Length of an AES-GCM nonce and tag.
pub(super) const NONCE_LEN: usize = 12;
pub(super) const GCM_TAG_LEN: usize = 16;

/// Fills `buf` from the OS generator.
pub(super) fn random(buf: &mut [u8]) -> Result<()> {
    OsRng.try_fill_bytes(buf).map_err(|e| {
        log::error!("token store: the OS random generator failed: {e}");
        Ckr::DEVICE_ERROR
    })
}

/// A fresh random 32-byte secret.
pub(super) fn random_secret() -> Result<Secret> {
    let mut s = Zeroizing::new([0u8; 32]);
    random(s.as_mut())?;
    Ok(s)
}

/// HMAC-SHA256 over the concatenation of `parts`.
pub(super) fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = new_mac(key);
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// Constant-time check of an HMAC-SHA256 tag.
pub(super) fn hmac_verify(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    let mut m = new_mac(key);
    for p in parts {
        m.update(p);
    }
    m.verify_slice(tag).is_ok()
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

fn subkey(key: &[u8], purpose: &str) -> Secret {
    Zeroizing::new(hmac(key, &[b"qrcpkcs11 store ", purpose.as_bytes()]))
}

/// AES-256-GCM encryption under `key` with a fresh random nonce;
/// returns nonce ‖ ciphertext ‖ tag.
pub(super) fn seal(key: &[u8; 32], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    random(&mut nonce)?;
    let ct = Aes256Gcm::new(key.into())
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| Ckr::DEVICE_ERROR)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Inverse of [`seal`]; `None` when the value was not sealed under this
/// key with this AAD.
pub(super) fn open(key: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + GCM_TAG_LEN {
        return None;
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    Aes256Gcm::new(key.into())
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .ok()
        .map(Zeroizing::new)
}

/// The token's random AES-256 key and the subkeys derived from it.
/// Opaque outside the store; obtained only from [`super::Store::login`].
#[derive(Clone)]
pub struct TokenKey {
    /// Encrypts secret attribute values.
    pub(super) enc: Secret,
    /// Authenticates private object records.
    pub(super) record_mac: Secret,
    /// Keys private index entries.
    pub(super) index: Secret,
    /// Public fingerprint, compared with the meta record so a key from a
    /// previous `init_token` is refused instead of failing integrity checks.
    pub(super) check: [u8; 32],
}

impl TokenKey {
    pub(super) fn from_secret(enc: Secret) -> TokenKey {
        TokenKey {
            record_mac: subkey(enc.as_ref(), "private record mac"),
            index: subkey(enc.as_ref(), "private index"),
            check: hmac(enc.as_ref(), &[b"qrcpkcs11 store key check"]),
            enc,
        }
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

/// Subkeys of the integrity key (see the module documentation for what
/// they can and cannot protect).
pub(super) struct IntegrityKeys {
    pub record_mac: Secret,
    pub meta_mac: Secret,
    pub index: Secret,
    pub object_set: Secret,
    pub anchor: Secret,
}

impl IntegrityKeys {
    pub fn derive(ikey: &[u8; 32]) -> IntegrityKeys {
        IntegrityKeys {
            record_mac: subkey(ikey, "public record mac"),
            meta_mac: subkey(ikey, "meta mac"),
            index: subkey(ikey, "public index"),
            object_set: subkey(ikey, "object set"),
            anchor: subkey(ikey, "anchor"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_binds_key_and_aad() {
        let k = [7u8; 32];
        let s = seal(&k, b"secret", b"aad").unwrap();
        assert_eq!(open(&k, &s, b"aad").unwrap().as_slice(), b"secret");
        assert!(open(&k, &s, b"other").is_none());
        assert!(open(&[8u8; 32], &s, b"aad").is_none());
        let mut t = s.clone();
        t[NONCE_LEN] ^= 1;
        assert!(open(&k, &t, b"aad").is_none());
    }

    #[test]
    fn hmac_verify_rejects_other_tags() {
        let tag = hmac(b"k", &[b"a", b"b"]);
        assert!(hmac_verify(b"k", &[b"ab"], &tag));
        assert!(!hmac_verify(b"k", &[b"ac"], &tag));
    }
}
