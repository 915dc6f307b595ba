//! RSA key objects (big-endian numbers in CKA_MODULUS, CKA_PUBLIC_EXPONENT,
//! …) turned into aws-lc keys, and the key-size policy.
//!
//! Sizes: keys are generated with 2048–8192 bits, and everything that makes
//! something new with a key (sign, encrypt, wrap) needs that size. Legacy
//! 1024-bit keys may still be imported and used for what reads old data:
//! verify, decrypt, unwrap. Keys over 8192 bits (aws-lc-rs's bound for
//! verification) are refused everywhere.
//!
//! Private keys are built once and kept: building one costs more than the
//! signature it serves (RSA_check_key, then the Montgomery and blinding
//! set-up of its first use: about 370 µs against 240 µs for an RSA-2048
//! signature), so the [`CACHED_KEYS`] most recently used stay built. A key
//! is found by a SHA-256 fingerprint of its eight numbers; one pushed out is
//! freed, and RSA_free wipes it.

use super::ffi::{Numbers, Rsa};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use cryptoki_sys::*;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use zeroize::Zeroizing;

/// The attributes of a private key's numbers, in [`Numbers`] order.
pub(super) const PRIVATE_NUMBERS: Numbers<CK_ATTRIBUTE_TYPE> = [
    CKA_MODULUS,
    CKA_PUBLIC_EXPONENT,
    CKA_PRIVATE_EXPONENT,
    CKA_PRIME_1,
    CKA_PRIME_2,
    CKA_EXPONENT_1,
    CKA_EXPONENT_2,
    CKA_COEFFICIENT,
];

pub(super) const MIN_BITS: usize = 2048;
pub(super) const LEGACY_MIN_BITS: usize = 1024;
pub(super) const MAX_BITS: usize = 8192;

/// What an operation does with a key, which decides the sizes it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Use {
    /// Sign, encrypt, wrap: 2048–8192 bits.
    New,
    /// Verify, decrypt, unwrap: 1024–8192 bits.
    Legacy,
}

impl Use {
    fn accepts(self, bits: usize) -> bool {
        let min = match self {
            Use::New => MIN_BITS,
            Use::Legacy => LEGACY_MIN_BITS,
        };
        (min..=MAX_BITS).contains(&bits)
    }
}

/// A big-endian number without its leading zero bytes.
pub(super) fn strip(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    &bytes[zeros..]
}

/// The bit length of a big-endian number.
pub(super) fn bit_len(bytes: &[u8]) -> usize {
    let bytes = strip(bytes);
    match bytes.first() {
        Some(top) => 8 * bytes.len() - top.leading_zeros() as usize,
        None => 0,
    }
}

/// A big-endian number as exactly `k` bytes (leading zeros added or
/// dropped); `None` if it needs more.
pub(super) fn left_pad(bytes: &[u8], k: usize) -> Option<Value> {
    let bytes = strip(bytes);
    let start = k.checked_sub(bytes.len())?;
    let mut out = Zeroizing::new(vec![0u8; k]);
    out[start..].copy_from_slice(bytes);
    Some(out)
}

/// The numbers of a private key object, if all eight are there.
pub(super) fn numbers(key: &Attributes) -> Option<Numbers<&[u8]>> {
    let [n, e, d, p, q, dp, dq, qinv] = PRIVATE_NUMBERS.map(|ty| key.get(ty));
    Some([n?, e?, d?, p?, q?, dp?, dq?, qinv?])
}

/// The key object must be of `class` and CKK_RSA.
fn check_type(key: &Attributes, class: CK_OBJECT_CLASS) -> Result<()> {
    let class_ok = key.ulong(CKA_CLASS).ok().flatten() == Some(class);
    let type_ok = key.ulong(CKA_KEY_TYPE).ok().flatten() == Some(CKK_RSA);
    if class_ok && type_ok {
        Ok(())
    } else {
        Err(Ckr::KEY_TYPE_INCONSISTENT)
    }
}

/// The modulus of a stored key, within the sizes `usage` accepts. Stored
/// keys were checked when they arrived, so a missing modulus is a corrupt
/// object (CKR_GENERAL_ERROR).
fn modulus(key: &Attributes, usage: Use) -> Result<&[u8]> {
    let n = key.get(CKA_MODULUS).ok_or(Ckr::GENERAL_ERROR)?;
    if usage.accepts(bit_len(n)) {
        Ok(n)
    } else {
        Err(Ckr::KEY_SIZE_RANGE)
    }
}

/// An RSA public key object as an aws-lc key, with its modulus.
/// (Public keys are cheap to build, and not kept.)
pub(super) fn public_key(key: &Attributes, usage: Use) -> Result<(Arc<Rsa>, &[u8])> {
    check_type(key, CKO_PUBLIC_KEY)?;
    let n = modulus(key, usage)?;
    let e = key.get(CKA_PUBLIC_EXPONENT).ok_or(Ckr::GENERAL_ERROR)?;
    let rsa = Rsa::public(n, e).ok_or(Ckr::GENERAL_ERROR)?;
    Ok((Arc::new(rsa), n))
}

/// How many built private keys stay ready.
const CACHED_KEYS: usize = 16;

/// Built private keys by fingerprint, most recently used first.
struct KeyCache(Mutex<VecDeque<([u8; 32], Arc<Rsa>)>>);

/// The process's built keys.
static CACHE: KeyCache = KeyCache(Mutex::new(VecDeque::new()));

/// SHA-256 over the length-prefixed numbers: which key, not what it is.
fn fingerprint(numbers: &Numbers<&[u8]>) -> [u8; 32] {
    let mut h = Sha256::new();
    for n in numbers {
        h.update((n.len() as u64).to_be_bytes());
        h.update(n);
    }
    h.finalize().into()
}

impl KeyCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<([u8; 32], Arc<Rsa>)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The built key for these numbers, from the cache or built (outside
    /// the lock, so other operations do not wait) and added to it.
    fn get(&self, numbers: &Numbers<&[u8]>) -> Option<Arc<Rsa>> {
        let id = fingerprint(numbers);
        {
            let mut cache = self.lock();
            if let Some(i) = cache.iter().position(|(k, _)| *k == id) {
                let entry = cache.remove(i)?;
                let rsa = Arc::clone(&entry.1);
                cache.push_front(entry);
                return Some(rsa);
            }
        }
        let rsa = Arc::new(Rsa::private(numbers)?);
        let mut cache = self.lock();
        cache.push_front((id, Arc::clone(&rsa)));
        cache.truncate(CACHED_KEYS);
        Some(rsa)
    }
}

/// An RSA private key object as an aws-lc key, with its modulus.
pub(super) fn private_key(key: &Attributes, usage: Use) -> Result<(Arc<Rsa>, &[u8])> {
    check_type(key, CKO_PRIVATE_KEY)?;
    let n = modulus(key, usage)?;
    let numbers = numbers(key).ok_or(Ckr::GENERAL_ERROR)?;
    let rsa = CACHE.get(&numbers).ok_or(Ckr::GENERAL_ERROR)?;
    Ok((rsa, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_keys_are_kept_and_pushed_out() {
        let made: Vec<Numbers<Value>> = (0..2)
            .map(|_| Rsa::generate(1024, 65537).unwrap().numbers().unwrap())
            .collect();
        let numbers: Vec<Numbers<&[u8]>> = made
            .iter()
            .map(|n| n.each_ref().map(|v| v.as_slice()))
            .collect();
        let cache = KeyCache(Mutex::new(VecDeque::new()));
        let first = cache.get(&numbers[0]).unwrap();
        assert!(Arc::ptr_eq(&first, &cache.get(&numbers[0]).unwrap()));
        assert!(!Arc::ptr_eq(&first, &cache.get(&numbers[1]).unwrap()));
        assert_ne!(fingerprint(&numbers[0]), fingerprint(&numbers[1]));
        // Using the first again keeps it in front of the second …
        cache.get(&numbers[0]).unwrap();
        for i in 0..CACHED_KEYS as u8 - 1 {
            cache.lock().push_front(([i; 32], Arc::clone(&first)));
        }
        cache.lock().truncate(CACHED_KEYS);
        assert!(Arc::ptr_eq(&first, &cache.get(&numbers[0]).unwrap()));
        // … and enough other keys push it out.
        for i in 0..CACHED_KEYS as u8 {
            cache.lock().push_front(([i; 32], Arc::clone(&first)));
        }
        cache.lock().truncate(CACHED_KEYS);
        assert!(!Arc::ptr_eq(&first, &cache.get(&numbers[0]).unwrap()));
        assert_eq!(cache.lock().len(), CACHED_KEYS);
        // Inconsistent numbers are neither built nor kept.
        let mut bad = numbers[0];
        bad[2] = &[3];
        assert!(cache.get(&bad).is_none());
        assert!(cache.lock().iter().all(|(id, _)| *id != fingerprint(&bad)));
    }

    #[test]
    fn bit_lengths_ignore_leading_zeros() {
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(bit_len(&[0, 0]), 0);
        assert_eq!(bit_len(&[0, 1]), 1);
        assert_eq!(bit_len(&[0, 0x80, 0]), 16);
        assert_eq!(bit_len(&[0x01, 0x00, 0x01]), 17);
        assert_eq!(strip(&[0, 0, 5, 0]), &[5, 0]);
        assert_eq!(left_pad(&[0, 0, 5, 0], 3).unwrap().as_slice(), &[0, 5, 0]);
        assert_eq!(left_pad(&[7, 5, 0], 3).unwrap().as_slice(), &[7, 5, 0]);
        assert_eq!(left_pad(&[1, 7, 5, 0], 3), None);
        assert!(Use::Legacy.accepts(1024) && !Use::New.accepts(1024));
        assert!(Use::New.accepts(2048) && Use::New.accepts(8192));
        assert!(!Use::Legacy.accepts(8193) && !Use::Legacy.accepts(1023));
    }
}
