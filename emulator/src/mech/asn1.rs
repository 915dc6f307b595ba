//! The DER forms of post-quantum keys: SubjectPublicKeyInfo for
//! CKA_PUBLIC_KEY_INFO, and PKCS#8 (OneAsymmetricKey) for wrapping private
//! keys. The algorithm identifiers carry no parameters (RFC 9881/9882 and the
//! SLH-DSA certificate profile).

use crate::error::{Ckr, Result};
use crate::Value;
use pkcs8::der::asn1::BitStringRef;
use pkcs8::der::{Decode, Encode};
use pkcs8::{AlgorithmIdentifierRef, ObjectIdentifier, PrivateKeyInfo};
use spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

fn algorithm(oid: &ObjectIdentifier) -> AlgorithmIdentifierRef<'_> {
    AlgorithmIdentifierRef {
        oid: *oid,
        parameters: None,
    }
}

/// SubjectPublicKeyInfo DER of a raw public key.
pub(crate) fn spki(oid: &ObjectIdentifier, public_key: &[u8]) -> Result<Vec<u8>> {
    let info = SubjectPublicKeyInfoRef {
        algorithm: algorithm(oid),
        subject_public_key: BitStringRef::from_bytes(public_key).map_err(|_| Ckr::GENERAL_ERROR)?,
    };
    info.to_der().map_err(|_| Ckr::GENERAL_ERROR)
}

/// PKCS#8 DER whose privateKey OCTET STRING holds `private_key` (already in
/// the algorithm's own private-key encoding).
pub(crate) fn pkcs8(oid: &ObjectIdentifier, private_key: &[u8]) -> Result<Value> {
    let info = PrivateKeyInfo::new(algorithm(oid), private_key);
    let mut out = Zeroizing::new(Vec::new());
    info.encode_to_vec(&mut out)
        .map_err(|_| Ckr::GENERAL_ERROR)?;
    Ok(out)
}

/// The algorithm OID and privateKey contents of PKCS#8 DER. Anything
/// malformed, or an algorithm with parameters, is CKR_WRAPPED_KEY_INVALID.
pub(crate) fn parse_pkcs8(encoded: &[u8]) -> Result<(ObjectIdentifier, Value)> {
    let info = PrivateKeyInfo::from_der(encoded).map_err(|_| Ckr::WRAPPED_KEY_INVALID)?;
    if info.algorithm.parameters.is_some() {
        return Err(Ckr::WRAPPED_KEY_INVALID);
    }
    Ok((
        info.algorithm.oid,
        Zeroizing::new(info.private_key.to_vec()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ML_DSA_44: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.17");

    #[test]
    fn pkcs8_round_trips_and_spki_has_the_oid() {
        let der = pkcs8(&ML_DSA_44, &[0x80, 2, 7, 7]).unwrap();
        let (oid, key) = parse_pkcs8(&der).unwrap();
        assert_eq!((oid, key.as_slice()), (ML_DSA_44, &[0x80, 2, 7, 7][..]));
        assert_eq!(
            parse_pkcs8(&der[..der.len() - 1]),
            Err(Ckr::WRAPPED_KEY_INVALID)
        );
        let spki = spki(&ML_DSA_44, &[1, 2, 3]).unwrap();
        // SEQUENCE { SEQUENCE { OID 2.16.840.1.101.3.4.3.17 } BIT STRING 00 01 02 03 }
        assert_eq!(
            hex::encode(spki),
            "3013300b0609608648016503040311030400010203"
        );
    }
}
