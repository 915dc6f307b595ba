//! CKM_RSA_PKCS_KEY_PAIR_GEN: aws-lc's key generation (FIPS 186 B.3.3
//! probable primes, from aws-lc's own DRBG), then a pairwise-consistency test
//! through the same code that will serve the keys.

use super::family::public_attributes;
use super::ffi::Rsa;
use super::key::{bit_len, strip, MAX_BITS, MIN_BITS, PRIVATE_NUMBERS};
use super::rsa_info;
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use crate::mech::secret::no_param;
use crate::mech::{health, registry, KeyPair, MechParam, Mechanism, MechanismImpl};
use cryptoki_sys::*;

/// The exponent when the template names none: F4.
const DEFAULT_EXPONENT: u64 = 65537;

pub(super) struct KeyPairGen;

/// CKA_MODULUS_BITS: required; 2048–8192 and, as aws-lc generates them, a
/// multiple of 128 (3072 yes, 3000 no: CKR_ATTRIBUTE_VALUE_INVALID).
fn modulus_bits(public: &Attributes) -> Result<usize> {
    let bits = public
        .ulong(CKA_MODULUS_BITS)?
        .ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
    let bits = usize::try_from(bits).map_err(|_| Ckr::KEY_SIZE_RANGE)?;
    if !(MIN_BITS..=MAX_BITS).contains(&bits) {
        return Err(Ckr::KEY_SIZE_RANGE);
    }
    if !bits.is_multiple_of(128) {
        return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
    }
    Ok(bits)
}

/// CKA_PUBLIC_EXPONENT: optional; odd, 2¹⁶ < e < 2³² (FIPS 186-5 A.1.1
/// asks for more than 2¹⁶; aws-lc generates up to 32 bits).
fn exponent(public: &Attributes) -> Result<u64> {
    let Some(bytes) = public.get(CKA_PUBLIC_EXPONENT) else {
        return Ok(DEFAULT_EXPONENT);
    };
    let bytes = strip(bytes);
    if bytes.len() > 4 {
        return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
    }
    let e = bytes.iter().fold(0u64, |e, b| e << 8 | u64::from(*b));
    if e.is_multiple_of(2) || e <= 1 << 16 {
        return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
    }
    Ok(e)
}

/// Sign with the new private key object and verify with the new public
/// one, through the mechanism callers will use.
fn pairwise_consistent(pair: &KeyPair) -> Result<()> {
    const MESSAGE: &[u8] = b"qrcpkcs11 RSA pairwise consistency test";
    let m = Mechanism {
        ty: CKM_SHA256_RSA_PKCS,
        param: MechParam::None,
    };
    let check = || -> Result<()> {
        let mech = registry().get(m.ty)?;
        let mut signer = mech.sign(&m, &pair.private)?;
        signer.update(MESSAGE)?;
        let signature = signer.finish()?;
        let mut verifier = mech.verify(&m, &pair.public)?;
        verifier.update(MESSAGE)?;
        verifier.finish(&signature)
    };
    check().map_err(|e| {
        health::fail(&format!("RSA pairwise consistency: {e}"));
        Ckr::GENERAL_ERROR
    })
}

impl MechanismImpl for KeyPairGen {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        CKM_RSA_PKCS_KEY_PAIR_GEN
    }
    fn name(&self) -> &'static str {
        "CKM_RSA_PKCS_KEY_PAIR_GEN"
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        rsa_info(CKF_GENERATE_KEY_PAIR)
    }

    fn generate_key_pair(
        &self,
        m: &Mechanism,
        public: &Attributes,
        _private: &Attributes,
    ) -> Result<KeyPair> {
        no_param(m)?;
        let bits = modulus_bits(public)?;
        let e = exponent(public)?;
        let rsa = Rsa::generate(bits, e).ok_or(Ckr::GENERAL_ERROR)?;
        let numbers = rsa.numbers().ok_or(Ckr::GENERAL_ERROR)?;
        let [n, e_bytes, ..] = &numbers;
        if bit_len(n) != bits {
            return Err(Ckr::GENERAL_ERROR);
        }
        let mut pair = KeyPair {
            public: public_attributes(n, e_bytes)?,
            private: Attributes::new(),
        };
        // The template's own spelling of e (leading zeros and all), so the
        // object matches the template it was made from.
        if let Some(given) = public.get(CKA_PUBLIC_EXPONENT) {
            pair.public.set(CKA_PUBLIC_EXPONENT, given.to_vec());
        }
        for (half, class) in [
            (&mut pair.public, CKO_PUBLIC_KEY),
            (&mut pair.private, CKO_PRIVATE_KEY),
        ] {
            // The class is the token's to set too; here it lets the
            // pairwise test use the halves as key objects.
            half.set_ulong(CKA_CLASS, class);
            half.set_ulong(CKA_KEY_TYPE, CKK_RSA);
        }
        let spki = pair
            .public
            .get(CKA_PUBLIC_KEY_INFO)
            .unwrap_or_default()
            .to_vec();
        pair.private.set(CKA_PUBLIC_KEY_INFO, spki);
        for (ty, mut value) in PRIVATE_NUMBERS.into_iter().zip(numbers) {
            // Moved, not copied: the attribute set's zeroizing storage owns it.
            pair.private.set(ty, std::mem::take(&mut *value));
        }
        pairwise_consistent(&pair)?;
        Ok(pair)
    }
}
