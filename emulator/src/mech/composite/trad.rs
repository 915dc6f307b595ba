//! The traditional half of a composite key, in the encodings the LAMPS
//! composite drafts fix: raw 32-byte X25519 and Ed25519 keys; for the NIST
//! curves the uncompressed point and an RFC 5915 ECPrivateKey with the
//! named curve present and the public key absent, and DER Ecdsa-Sig-Value
//! signatures.

use crate::attr::Value;
use crate::error::{Ckr, Result};
use crate::mech::ec::curve::Curve;
use crate::mech::ec::{ecdh, ecdsa, eddsa, keys};
use pkcs8::der::asn1::UintRef;
use pkcs8::der::{Decode, Encode, Header, Reader, SliceReader, Tag};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// One traditional component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::mech) struct Trad(pub Curve);

impl Trad {
    /// Length of the raw public key (uncompressed point, or 32 bytes).
    pub(super) fn public_len(self) -> usize {
        self.0.public_len()
    }

    /// Length of the encoded private key.
    pub(super) fn private_len(self) -> usize {
        match self.ec_private_frame() {
            Some((prefix, suffix)) => prefix.len() + self.0.private_len() + suffix.len(),
            None => self.0.private_len(),
        }
    }

    /// The bytes around the scalar in the one DER ECPrivateKey a composite
    /// key may hold: `SEQUENCE { INTEGER 1, OCTET STRING d, [0] curve }`.
    /// `None` for the RFC 7748 / RFC 8032 curves, whose key is raw.
    fn ec_private_frame(self) -> Option<(Vec<u8>, Vec<u8>)> {
        if !self.0.is_prime() {
            return None;
        }
        let oid = self.0.params_der().ok()?;
        let n = self.0.private_len();
        // All lengths are below 128 for P-256 and P-384: short-form DER.
        let mut suffix = vec![0xA0, u8::try_from(oid.len()).ok()?];
        suffix.extend_from_slice(&oid);
        let body = 3 + 2 + n + suffix.len();
        let prefix = vec![
            0x30,
            u8::try_from(body).ok()?,
            0x02,
            0x01,
            0x01,
            0x04,
            u8::try_from(n).ok()?,
        ];
        Some((prefix, suffix))
    }

    /// The encoded private key of a scalar or seed of the curve's length.
    pub(super) fn encode_private(self, d: &[u8]) -> Value {
        let mut out = Zeroizing::new(Vec::with_capacity(self.private_len()));
        match self.ec_private_frame() {
            Some((prefix, suffix)) => {
                out.extend_from_slice(&prefix);
                out.extend_from_slice(d);
                out.extend_from_slice(&suffix);
            }
            None => out.extend_from_slice(d),
        }
        out
    }

    /// The scalar or seed of an encoded private key; anything but the one
    /// encoding the drafts allow is CKR_ATTRIBUTE_VALUE_INVALID.
    pub(super) fn decode_private(self, encoded: &[u8]) -> Result<Value> {
        if encoded.len() != self.private_len() {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        let Some((prefix, suffix)) = self.ec_private_frame() else {
            return Ok(Zeroizing::new(encoded.to_vec()));
        };
        let d = &encoded[prefix.len()..encoded.len() - suffix.len()];
        let frame_ok = encoded[..prefix.len()].ct_eq(&prefix)
            & encoded[prefix.len() + d.len()..].ct_eq(&suffix);
        if !bool::from(frame_ok) {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        Ok(Zeroizing::new(d.to_vec()))
    }

    /// The public key of a scalar or seed; a scalar out of range is
    /// CKR_ATTRIBUTE_VALUE_INVALID.
    pub(super) fn public_of(self, d: &[u8]) -> Result<Vec<u8>> {
        keys::public_of(self.0, d)
    }

    /// Whether a raw public key is acceptable (right length, on the curve).
    pub(super) fn public_ok(self, public: &[u8]) -> bool {
        keys::public_ok(self.0, public)
    }

    /// A fresh private scalar or seed and its public key.
    pub(super) fn generate(self) -> Result<(Value, Vec<u8>)> {
        keys::generate(self.0)
    }

    /// DH(d, peer): the X25519 output or the x-coordinate. A peer key that is
    /// not a valid point is CKR_MECHANISM_PARAM_INVALID.
    pub(super) fn agree(self, d: &[u8], peer: &[u8]) -> Result<Value> {
        if peer.len() != self.public_len() {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
        ecdh::agree(self.0, d, peer)
    }

    /// ECDSA (DER) of a digest the caller made, or pure Ed25519 of the message.
    pub(super) fn sign(self, d: &[u8], message_or_digest: &[u8]) -> Result<Vec<u8>> {
        if !self.0.is_prime() {
            return eddsa::sign_pure(d, message_or_digest);
        }
        let raw = ecdsa::sign_digest(self.0, d, message_or_digest)?;
        ecdsa_der(&raw).map_err(|_| Ckr::GENERAL_ERROR)
    }

    /// Whether `sig` verifies; a malformed signature does not.
    pub(super) fn verify(self, public: &[u8], message_or_digest: &[u8], sig: &[u8]) -> bool {
        if !self.0.is_prime() {
            return eddsa::verify_pure(public, message_or_digest, sig);
        }
        ecdsa_raw(sig, self.0.private_len()).is_some_and(|raw| {
            ecdsa::verify_digest(self.0, public, message_or_digest, &raw).unwrap_or(false)
        })
    }

    /// The signature lengths there are: 64 bytes for Ed25519; for ECDSA a
    /// SEQUENCE of two INTEGERs of one to n+1 bytes each.
    pub(super) fn signature_lens(self) -> std::ops::RangeInclusive<usize> {
        if self.0.is_prime() {
            2 + 2 * 3..=2 + 2 * (2 + self.0.private_len() + 1)
        } else {
            64..=64
        }
    }
}

/// Ecdsa-Sig-Value DER of a raw r‖s.
fn ecdsa_der(raw: &[u8]) -> pkcs8::der::Result<Vec<u8>> {
    let (r, s) = raw.split_at(raw.len() / 2);
    let (r, s) = (UintRef::new(r)?, UintRef::new(s)?);
    let mut out = Vec::new();
    Header::new(Tag::Sequence, (r.encoded_len()? + s.encoded_len()?)?)?.encode_to_vec(&mut out)?;
    r.encode_to_vec(&mut out)?;
    s.encode_to_vec(&mut out)?;
    Ok(out)
}

/// The raw r‖s (each `n` bytes) of a strictly DER Ecdsa-Sig-Value.
fn ecdsa_raw(der: &[u8], n: usize) -> Option<Vec<u8>> {
    let mut reader = SliceReader::new(der).ok()?;
    let (r, s) = reader
        .sequence(|seq| Ok((UintRef::decode(seq)?, UintRef::decode(seq)?)))
        .ok()?;
    reader.finish(()).ok()?;
    let mut out = vec![0u8; 2 * n];
    for (half, int) in out.chunks_exact_mut(n).zip([r, s]) {
        let bytes = int.as_bytes();
        if bytes.len() > n {
            return None;
        }
        half[n - bytes.len()..].copy_from_slice(bytes);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_private_keys_use_the_drafts_encoding() {
        let p256 = Trad(Curve::P256);
        assert_eq!(p256.private_len(), 51);
        let encoded = p256.encode_private(&[7u8; 32]);
        assert_eq!(
            hex::encode(&encoded[..7]),
            "30310201010420",
            "SEQUENCE, version 1, OCTET STRING of 32"
        );
        assert_eq!(hex::encode(&encoded[39..]), "a00a06082a8648ce3d030107");
        assert_eq!(
            p256.decode_private(&encoded).unwrap().as_slice(),
            &[7u8; 32]
        );
        let mut bad = encoded.to_vec();
        bad[4] = 2;
        assert_eq!(p256.decode_private(&bad), Err(Ckr::ATTRIBUTE_VALUE_INVALID));
        assert_eq!(Trad(Curve::P384).private_len(), 64);
        assert_eq!(Trad(Curve::X25519).private_len(), 32);
    }

    #[test]
    fn ecdsa_signatures_convert_strictly() {
        let mut raw = vec![0u8; 64];
        raw[31] = 1;
        raw[32] = 0x80;
        let der = ecdsa_der(&raw).unwrap();
        assert_eq!(hex::encode(&der[..5]), "3026020101");
        assert_eq!(ecdsa_raw(&der, 32).unwrap(), raw);
        let mut padded = der.clone();
        padded.push(0);
        assert!(ecdsa_raw(&padded, 32).is_none(), "trailing bytes");
        // A leading zero that is not needed is not DER.
        let loose = hex::decode("3007020200010201 01".replace(' ', "")).unwrap();
        assert!(ecdsa_raw(&loose, 32).is_none());
    }
}
