//! The curves this module offers and their encodings: CKA_EC_PARAMS (a DER
//! named-curve OID, or the DER PrintableString name some clients send),
//! CKA_EC_POINT (a DER OCTET STRING around the public key) and
//! SubjectPublicKeyInfo (RFC 5480 for the prime curves, RFC 8410 for
//! Ed25519 and X25519).

use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use crate::mech::asn1;
use cryptoki_sys::*;
use pkcs8::der::asn1::{AnyRef, BitStringRef, OctetStringRef, PrintableStringRef};
use pkcs8::der::{Decode, Encode, Tag, Tagged};
use pkcs8::{AlgorithmIdentifierRef, ObjectIdentifier};
use spki::SubjectPublicKeyInfoRef;

/// id-ecPublicKey (RFC 5480), the SPKI and PKCS#8 algorithm of prime-curve keys.
pub(super) const ID_EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// A curve of this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::mech) enum Curve {
    P256,
    P384,
    P521,
    Ed25519,
    X25519,
}

impl Curve {
    /// Every curve.
    pub(super) const ALL: [Curve; 5] = [
        Curve::P256,
        Curve::P384,
        Curve::P521,
        Curve::Ed25519,
        Curve::X25519,
    ];

    /// The key type whose keys live on this curve.
    pub(super) fn key_type(self) -> CK_KEY_TYPE {
        match self {
            Curve::P256 | Curve::P384 | Curve::P521 => CKK_EC,
            Curve::Ed25519 => CKK_EC_EDWARDS,
            Curve::X25519 => CKK_EC_MONTGOMERY,
        }
    }

    /// The named-curve OID (RFC 5480) or, for the RFC 8410 curves, the
    /// algorithm OID that PKCS#11 also uses as CKA_EC_PARAMS.
    pub(in crate::mech) fn oid(self) -> ObjectIdentifier {
        // Constants, parsed when compiling: every key use looks its curve up.
        const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
        const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
        const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
        const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
        const X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
        match self {
            Curve::P256 => P256,
            Curve::P384 => P384,
            Curve::P521 => P521,
            Curve::Ed25519 => ED25519,
            Curve::X25519 => X25519,
        }
    }

    /// The names a PrintableString CKA_EC_PARAMS may carry (OpenSSL's short
    /// names and SEC 2's, PKCS#11 3.0's for the RFC 8410 curves).
    fn names(self) -> &'static [&'static str] {
        match self {
            Curve::P256 => &["prime256v1", "secp256r1"],
            Curve::P384 => &["secp384r1"],
            Curve::P521 => &["secp521r1"],
            Curve::Ed25519 => &["edwards25519"],
            Curve::X25519 => &["curve25519"],
        }
    }

    /// Length of the private key (CKA_VALUE): the big-endian scalar of the
    /// prime curves, the 32-byte RFC 8032 / RFC 7748 key of the others.
    pub(in crate::mech) fn private_len(self) -> usize {
        match self {
            Curve::P256 | Curve::Ed25519 | Curve::X25519 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// Length of the raw public key: the uncompressed point of the prime
    /// curves, 32 bytes for the others.
    pub(in crate::mech) fn public_len(self) -> usize {
        match self {
            Curve::P256 | Curve::P384 | Curve::P521 => 1 + 2 * self.private_len(),
            Curve::Ed25519 | Curve::X25519 => 32,
        }
    }

    /// Whether this is one of the NIST prime curves (ECDSA, cofactor ECDH).
    pub(in crate::mech) fn is_prime(self) -> bool {
        self.key_type() == CKK_EC
    }

    /// The DER OID form of CKA_EC_PARAMS.
    pub(in crate::mech) fn params_der(self) -> Result<Vec<u8>> {
        self.oid().to_der().map_err(|_| Ckr::GENERAL_ERROR)
    }

    /// The curve a CKA_EC_PARAMS value names. Malformed DER is
    /// CKR_DOMAIN_PARAMS_INVALID; a well-formed value naming another curve,
    /// or explicit parameters, CKR_CURVE_NOT_SUPPORTED.
    pub(super) fn from_params(params: &[u8]) -> Result<Curve> {
        let invalid = |_| Ckr(CKR_DOMAIN_PARAMS_INVALID);
        let any = AnyRef::from_der(params).map_err(invalid)?;
        let found = match any.tag() {
            Tag::ObjectIdentifier => {
                let oid = ObjectIdentifier::from_der(params).map_err(invalid)?;
                Curve::ALL.into_iter().find(|c| c.oid() == oid)
            }
            Tag::PrintableString => {
                let name = PrintableStringRef::from_der(params).map_err(invalid)?;
                Curve::ALL
                    .into_iter()
                    .find(|c| c.names().contains(&name.as_str()))
            }
            _ => None,
        };
        found.ok_or(Ckr(CKR_CURVE_NOT_SUPPORTED))
    }

    /// The curve of a key object, which must be of one of `key_types`.
    pub(super) fn of_key(key: &Attributes, key_types: &[CK_KEY_TYPE]) -> Result<Curve> {
        let key_type = key
            .ulong(CKA_KEY_TYPE)
            .map_err(|_| Ckr::KEY_TYPE_INCONSISTENT)?
            .ok_or(Ckr::KEY_TYPE_INCONSISTENT)?;
        if !key_types.contains(&key_type) {
            return Err(Ckr::KEY_TYPE_INCONSISTENT);
        }
        // A stored key passed these checks when it was made.
        let curve = Curve::from_params(key.get(CKA_EC_PARAMS).ok_or(Ckr::GENERAL_ERROR)?)?;
        if curve.key_type() != key_type {
            return Err(Ckr::KEY_TYPE_INCONSISTENT);
        }
        Ok(curve)
    }

    /// CKA_EC_POINT: the public key in a DER OCTET STRING.
    pub(super) fn point_der(self, public: &[u8]) -> Result<Vec<u8>> {
        OctetStringRef::new(public)
            .and_then(|o| o.to_der())
            .map_err(|_| Ckr::GENERAL_ERROR)
    }

    /// The raw public key in a CKA_EC_POINT or an ECDH public value: either
    /// the raw key itself or a DER OCTET STRING around it. Only the length of
    /// the raw form is checked here, not that the point is on the curve.
    pub(super) fn raw_point(self, encoded: &[u8]) -> Option<Vec<u8>> {
        let raw_ok = |p: &[u8]| {
            p.len() == self.public_len() && (!self.is_prime() || p.first() == Some(&0x04))
        };
        if raw_ok(encoded) {
            return Some(encoded.to_vec());
        }
        let inner = OctetStringRef::from_der(encoded).ok()?;
        raw_ok(inner.as_bytes()).then(|| inner.as_bytes().to_vec())
    }

    /// SubjectPublicKeyInfo DER of a raw public key.
    pub(super) fn spki(self, public: &[u8]) -> Result<Vec<u8>> {
        if !self.is_prime() {
            return asn1::spki(&self.oid(), public);
        }
        let curve = self.oid();
        let info = SubjectPublicKeyInfoRef {
            algorithm: AlgorithmIdentifierRef {
                oid: ID_EC_PUBLIC_KEY,
                parameters: Some(AnyRef::from(&curve)),
            },
            subject_public_key: BitStringRef::from_bytes(public).map_err(|_| Ckr::GENERAL_ERROR)?,
        };
        info.to_der().map_err(|_| Ckr::GENERAL_ERROR)
    }

    /// Bits of the curve, as CK_MECHANISM_INFO counts them.
    pub(super) fn bits(self) -> CK_ULONG {
        match self {
            Curve::P256 => 256,
            Curve::P384 => 384,
            Curve::P521 => 521,
            Curve::Ed25519 | Curve::X25519 => 255,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_in_both_forms() {
        // DER OID 1.2.840.10045.3.1.7 and PrintableString "prime256v1".
        let oid = hex::decode("06082a8648ce3d030107").unwrap();
        assert_eq!(Curve::from_params(&oid), Ok(Curve::P256));
        assert_eq!(Curve::P256.params_der().unwrap(), oid);
        for (name, curve) in [
            ("prime256v1", Curve::P256),
            ("secp256r1", Curve::P256),
            ("secp384r1", Curve::P384),
            ("secp521r1", Curve::P521),
            ("edwards25519", Curve::Ed25519),
            ("curve25519", Curve::X25519),
        ] {
            let mut der = vec![0x13, name.len() as u8];
            der.extend_from_slice(name.as_bytes());
            assert_eq!(Curve::from_params(&der), Ok(curve), "{name}");
            assert_eq!(Curve::from_params(&curve.params_der().unwrap()), Ok(curve));
        }
        // secp256k1, an unknown name, explicit parameters, NULL (implicitlyCA).
        for unsupported in ["06052b8104000a", "1309736563703235366b31", "3000", "0500"] {
            assert_eq!(
                Curve::from_params(&hex::decode(unsupported).unwrap()),
                Err(Ckr(CKR_CURVE_NOT_SUPPORTED)),
                "{unsupported}"
            );
        }
        for malformed in ["", "06", "0608", "06082a8648ce3d03010700", "1302ff"] {
            assert_eq!(
                Curve::from_params(&hex::decode(malformed).unwrap()),
                Err(Ckr(CKR_DOMAIN_PARAMS_INVALID)),
                "{malformed}"
            );
        }
    }

    #[test]
    fn points_raw_and_wrapped() {
        let mut point = vec![4u8; 65];
        point[1] = 9;
        let der = Curve::P256.point_der(&point).unwrap();
        assert_eq!(&der[..3], &[0x04, 0x41, 0x04]);
        assert_eq!(Curve::P256.raw_point(&der).as_deref(), Some(&point[..]));
        assert_eq!(Curve::P256.raw_point(&point).as_deref(), Some(&point[..]));
        // Compressed, short, or wrapped with the wrong length.
        assert_eq!(Curve::P256.raw_point(&point[..33]), None);
        assert_eq!(Curve::P256.raw_point(&der[..66]), None);
        let mut compressed = point[..33].to_vec();
        compressed[0] = 2;
        assert_eq!(Curve::P256.raw_point(&compressed), None);
        let long = Curve::P521.point_der(&[4u8; 133]).unwrap();
        assert_eq!(&long[..4], &[0x04, 0x81, 0x85, 0x04]);
        let x = [7u8; 32];
        assert_eq!(Curve::X25519.raw_point(&x).as_deref(), Some(&x[..]));
        let wrapped = Curve::X25519.point_der(&x).unwrap();
        assert_eq!(Curve::X25519.raw_point(&wrapped).as_deref(), Some(&x[..]));
    }

    #[test]
    fn spki_forms() {
        let ed = Curve::Ed25519.spki(&[0u8; 32]).unwrap();
        assert_eq!(hex::encode(&ed[..12]), "302a300506032b6570032100");
        let p = Curve::P256.spki(&[4u8; 65]).unwrap();
        // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 } BIT STRING }
        assert_eq!(
            hex::encode(&p[..27]),
            "3059301306072a8648ce3d020106082a8648ce3d03010703420004"
        );
    }
}
