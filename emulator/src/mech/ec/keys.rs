//! EC key material: reading key objects, computing and checking public keys,
//! and making new private keys from the module's generator.

use super::curve::Curve;
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::rng;
use aws_lc_rs::agreement::{self, ParsedPublicKey, UnparsedPublicKey};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use cryptoki_sys::*;
use zeroize::Zeroizing;

/// The aws-lc-rs agreement algorithm of a prime curve or X25519.
pub(super) fn agreement_alg(curve: Curve) -> &'static agreement::Algorithm {
    match curve {
        Curve::P256 => &agreement::ECDH_P256,
        Curve::P384 => &agreement::ECDH_P384,
        Curve::P521 => &agreement::ECDH_P521,
        Curve::Ed25519 | Curve::X25519 => &agreement::X25519,
    }
}

/// A private key object in use: its curve and its value at the curve's
/// length.
pub(super) struct PrivateKey {
    pub curve: Curve,
    pub value: Value,
}

/// The private key object of a signature or derivation, of one of
/// `key_types`.
pub(super) fn private_key(key: &Attributes, key_types: &[CK_KEY_TYPE]) -> Result<PrivateKey> {
    if key.ulong(CKA_CLASS).ok().flatten() != Some(CKO_PRIVATE_KEY) {
        return Err(Ckr::KEY_TYPE_INCONSISTENT);
    }
    let curve = Curve::of_key(key, key_types)?;
    let value = key.get(CKA_VALUE).ok_or(Ckr::GENERAL_ERROR)?;
    let value = fixed_len(curve, value).ok_or(Ckr::KEY_SIZE_RANGE)?;
    Ok(PrivateKey { curve, value })
}

/// The public key object of a verification: its curve and raw public key.
pub(super) fn public_key(key: &Attributes, key_types: &[CK_KEY_TYPE]) -> Result<(Curve, Vec<u8>)> {
    if key.ulong(CKA_CLASS).ok().flatten() != Some(CKO_PUBLIC_KEY) {
        return Err(Ckr::KEY_TYPE_INCONSISTENT);
    }
    let curve = Curve::of_key(key, key_types)?;
    // A stored public key was checked and stored in DER form when it was made.
    let point = key
        .get(CKA_EC_POINT)
        .and_then(|p| curve.raw_point(p))
        .ok_or(Ckr::GENERAL_ERROR)?;
    Ok((curve, point))
}

/// A private value at the curve's length. A prime-curve scalar is a
/// big-endian integer that callers may send without its leading zeros; the
/// RFC 8032 / RFC 7748 keys are byte strings of exactly 32 bytes.
pub(in crate::mech) fn fixed_len(curve: Curve, value: &[u8]) -> Option<Value> {
    let n = curve.private_len();
    if !curve.is_prime() {
        return (value.len() == n).then(|| Zeroizing::new(value.to_vec()));
    }
    let significant = &value[value.iter().take_while(|b| **b == 0).count()..];
    if significant.len() > n {
        return None;
    }
    let mut out = Zeroizing::new(vec![0u8; n]);
    out[n - significant.len()..].copy_from_slice(significant);
    Some(out)
}

/// The raw public key of a private value of the curve's length. A
/// prime-curve scalar outside [1, n−1] is CKR_ATTRIBUTE_VALUE_INVALID.
pub(in crate::mech) fn public_of(curve: Curve, private: &[u8]) -> Result<Vec<u8>> {
    let invalid = |_| Ckr::ATTRIBUTE_VALUE_INVALID;
    if curve == Curve::Ed25519 {
        let pair = Ed25519KeyPair::from_seed_unchecked(private).map_err(invalid)?;
        return Ok(pair.public_key().as_ref().to_vec());
    }
    let key =
        agreement::PrivateKey::from_private_key(agreement_alg(curve), private).map_err(invalid)?;
    let public = key.compute_public_key().map_err(|_| Ckr::GENERAL_ERROR)?;
    Ok(public.as_ref().to_vec())
}

/// Whether a raw public key of the curve's length is acceptable: a
/// prime-curve point must lie on the curve (which also excludes the point at
/// infinity). Every 32-byte string is an X25519 public key (RFC 7748), and
/// an Ed25519 key that does not decode fails every verification.
pub(in crate::mech) fn public_ok(curve: Curve, public: &[u8]) -> bool {
    if public.len() != curve.public_len() {
        return false;
    }
    if !curve.is_prime() {
        return true;
    }
    ParsedPublicKey::try_from(&UnparsedPublicKey::new(agreement_alg(curve), public)).is_ok()
}

/// A new private value and its public key. Prime-curve scalars are drawn by
/// rejection sampling (FIPS 186-5 A.4.2): candidates of the order's bit
/// length until one lies in [1, n−1].
pub(in crate::mech) fn generate(curve: Curve) -> Result<(Value, Vec<u8>)> {
    // The chance of 64 rejections in a row is below 2^-2000 on every curve.
    for _ in 0..64 {
        let mut private = Zeroizing::new(vec![0u8; curve.private_len()]);
        rng::fill(&mut private)?;
        if curve == Curve::P521 {
            // The order has 521 bits: the top byte keeps one.
            private[0] &= 0x01;
        }
        if let Ok(public) = public_of(curve, &private) {
            return Ok((private, public));
        }
    }
    Err(Ckr::GENERAL_ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_take_their_fixed_length() {
        let short = fixed_len(Curve::P256, &[0, 0, 1, 2]).unwrap();
        assert_eq!(short.len(), 32);
        assert_eq!(&short[30..], &[1, 2]);
        let mut long = vec![0u8; 40];
        long[39] = 5;
        assert_eq!(fixed_len(Curve::P256, &long).unwrap()[31], 5);
        assert!(fixed_len(Curve::P256, &[1u8; 33]).is_none());
        assert!(fixed_len(Curve::Ed25519, &[1u8; 31]).is_none());
        assert_eq!(fixed_len(Curve::X25519, &[0u8; 32]).unwrap().len(), 32);
    }

    #[test]
    fn scalar_range_is_checked() {
        // Zero, the order n of P-256, and 2^256 − 1 are not private keys.
        let n = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
        for bad in [vec![0u8; 32], hex::decode(n).unwrap(), vec![0xff; 32]] {
            assert_eq!(
                public_of(Curve::P256, &bad),
                Err(Ckr::ATTRIBUTE_VALUE_INVALID)
            );
        }
        let mut one = vec![0u8; 32];
        one[31] = 1;
        // 1·G is the generator.
        let g = public_of(Curve::P256, &one).unwrap();
        assert_eq!(
            hex::encode(&g[..33]),
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
        );
        assert!(public_ok(Curve::P256, &g));
        let mut off_curve = g.clone();
        off_curve[64] ^= 1;
        assert!(!public_ok(Curve::P256, &off_curve));
        assert!(!public_ok(Curve::P256, &g[..64]));
    }

    #[test]
    fn generated_keys_match_their_public_half() {
        for curve in Curve::ALL {
            let (private, public) = generate(curve).unwrap();
            assert_eq!(private.len(), curve.private_len());
            assert_eq!(public_of(curve, &private).unwrap(), public);
            assert!(public_ok(curve, &public));
            let (other, _) = generate(curve).unwrap();
            assert_ne!(private, other);
        }
    }
}
