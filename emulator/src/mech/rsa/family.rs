//! CKK_RSA keys arriving from outside (C_CreateObject, C_UnwrapKey),
//! leaving as PKCS#8 (C_WrapKey), and CKM_PUB_KEY_FROM_PRIV_KEY.
//!
//! A private key must come with all eight numbers (n, e, d, p, q and the
//! three CRT values), which aws-lc's RSA_check_key then checks against each
//! other. A key given only as n, e, d is refused with
//! CKR_TEMPLATE_INCOMPLETE: aws-lc could use it, but could neither check it
//! (nothing ties d to n without the primes) nor serialise it for C_WrapKey,
//! and it would lose the CRT path's fault check; every common client sends
//! the CRT form.

use super::der;
use super::ffi::Rsa;
use super::key::{bit_len, numbers, LEGACY_MIN_BITS, MAX_BITS, PRIVATE_NUMBERS};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::KeyFamily;
use cryptoki_sys::*;

pub(super) struct RsaFamily;

/// Check an imported key's size; too small or too large is a bad value.
fn check_size(n: &[u8]) -> Result<()> {
    if (LEGACY_MIN_BITS..=MAX_BITS).contains(&bit_len(n)) {
        Ok(())
    } else {
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    }
}

/// Set CKA_PUBLIC_KEY_INFO, or check the one the caller gave.
fn set_public_key_info(key: &mut Attributes, n: &[u8], e: &[u8]) -> Result<()> {
    let spki = der::spki(n, e)?;
    match key.get(CKA_PUBLIC_KEY_INFO) {
        Some(given) if !given.is_empty() && given != spki.as_slice() => {
            Err(Ckr::ATTRIBUTE_VALUE_INVALID)
        }
        _ => {
            key.set(CKA_PUBLIC_KEY_INFO, spki);
            Ok(())
        }
    }
}

/// What a public key object holds beyond its class and type.
pub(super) fn public_attributes(n: &[u8], e: &[u8]) -> Result<Attributes> {
    let mut public = Attributes::new();
    public.set(CKA_MODULUS, n.to_vec());
    public.set_ulong(CKA_MODULUS_BITS, bit_len(n) as CK_ULONG);
    public.set(CKA_PUBLIC_EXPONENT, e.to_vec());
    public.set(CKA_PUBLIC_KEY_INFO, der::spki(n, e)?);
    Ok(public)
}

impl KeyFamily for RsaFamily {
    fn key_type(&self) -> CK_KEY_TYPE {
        CKK_RSA
    }

    fn complete_private(&self, key: &mut Attributes) -> Result<()> {
        let numbers = numbers(key).ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
        let [n, e, ..] = numbers;
        check_size(n)?;
        Rsa::private(&numbers).ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)?;
        let (n, e) = (n.to_vec(), e.to_vec());
        set_public_key_info(key, &n, &e)
    }

    /// n odd and 1024–8192 bits, e odd, 3 ≤ e < 2³³ (aws-lc's bound).
    fn complete_public(&self, key: &mut Attributes) -> Result<()> {
        let n = key.get(CKA_MODULUS).ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
        let e = key
            .get(CKA_PUBLIC_EXPONENT)
            .ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
        check_size(n)?;
        Rsa::public(n, e).ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)?;
        let bits = bit_len(n) as CK_ULONG;
        let (n, e) = (n.to_vec(), e.to_vec());
        // CKA_MODULUS_BITS belongs to the token; a template may repeat it.
        match key.ulong(CKA_MODULUS_BITS)? {
            Some(given) if given != bits => return Err(Ckr::TEMPLATE_INCONSISTENT),
            _ => key.set_ulong(CKA_MODULUS_BITS, bits),
        }
        set_public_key_info(key, &n, &e)
    }

    fn public_from_private(&self, private: &Attributes) -> Result<Attributes> {
        let n = private.get(CKA_MODULUS).ok_or(Ckr::GENERAL_ERROR)?;
        let e = private.get(CKA_PUBLIC_EXPONENT).ok_or(Ckr::GENERAL_ERROR)?;
        public_attributes(n, e)
    }

    fn export_private(&self, private: &Attributes) -> Result<Value> {
        let numbers = numbers(private).ok_or(Ckr::KEY_NOT_WRAPPABLE)?;
        der::pkcs8(&numbers)
    }

    /// The numbers of a PKCS#8 RSA key, checked as on import: a key whose
    /// numbers disagree is CKR_WRAPPED_KEY_INVALID.
    fn import_private(&self, encoded: &[u8]) -> Result<Attributes> {
        let numbers = der::parse_pkcs8(encoded)?;
        let borrowed = numbers.each_ref().map(|n| n.as_slice());
        if !(LEGACY_MIN_BITS..=MAX_BITS).contains(&bit_len(borrowed[0])) {
            return Err(Ckr::WRAPPED_KEY_INVALID);
        }
        Rsa::private(&borrowed).ok_or(Ckr::WRAPPED_KEY_INVALID)?;
        let mut key = Attributes::new();
        for (ty, mut value) in PRIVATE_NUMBERS.into_iter().zip(numbers) {
            // Moved, not copied: the attribute set's zeroizing storage owns it.
            key.set(ty, std::mem::take(&mut *value));
        }
        Ok(key)
    }
}
