//! The DER forms of RSA keys (RFC 8017 A.1): RSAPublicKey inside a
//! SubjectPublicKeyInfo for CKA_PUBLIC_KEY_INFO, and RSAPrivateKey inside
//! PKCS#8 for C_WrapKey / C_UnwrapKey. The algorithm is rsaEncryption with
//! NULL parameters (RFC 8017 A.1, RFC 3279 §2.3.1).

use super::ffi::Numbers;
use crate::attr::Value;
use crate::error::{Ckr, Result};
use pkcs8::der::asn1::{AnyRef, BitStringRef, UintRef};
use pkcs8::der::{Decode, Encode, Header, Length, Reader, SliceReader, Tag};
use pkcs8::{AlgorithmIdentifierRef, ObjectIdentifier, PrivateKeyInfo};
use spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

/// rsaEncryption (PKCS #1).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

fn algorithm() -> AlgorithmIdentifierRef<'static> {
    AlgorithmIdentifierRef {
        oid: RSA_ENCRYPTION,
        parameters: Some(AnyRef::NULL),
    }
}

/// SEQUENCE { INTEGER … } of non-negative big-endian numbers, written once
/// into a buffer of the final size (it may hold private numbers).
fn integers(values: &[&[u8]]) -> pkcs8::der::Result<Value> {
    let mut ints = Vec::with_capacity(values.len());
    let mut body = Length::ZERO;
    for v in values {
        // An empty attribute is no number; INTEGER needs at least one byte.
        let int = UintRef::new(if v.is_empty() { &[0] } else { v })?;
        body = (body + int.encoded_len()?)?;
        ints.push(int);
    }
    let header = Header::new(Tag::Sequence, body)?;
    let total = usize::try_from((header.encoded_len()? + body)?)?;
    let mut out = Zeroizing::new(Vec::with_capacity(total));
    header.encode_to_vec(&mut out)?;
    for int in &ints {
        int.encode_to_vec(&mut out)?;
    }
    Ok(out)
}

/// CKA_PUBLIC_KEY_INFO: SubjectPublicKeyInfo of RSAPublicKey { n, e }.
pub(super) fn spki(n: &[u8], e: &[u8]) -> Result<Vec<u8>> {
    let encode = || {
        let key = integers(&[n, e])?;
        SubjectPublicKeyInfoRef {
            algorithm: algorithm(),
            subject_public_key: BitStringRef::from_bytes(&key)?,
        }
        .to_der()
    };
    encode().map_err(|_| Ckr::GENERAL_ERROR)
}

/// PKCS#8 (version 1) of RSAPrivateKey { 0, n, e, d, p, q, dp, dq, qinv }.
pub(super) fn pkcs8(numbers: &Numbers<&[u8]>) -> Result<Value> {
    let encode = || {
        let mut fields: Vec<&[u8]> = Vec::with_capacity(9);
        fields.push(&[0]);
        fields.extend_from_slice(numbers);
        let key = integers(&fields)?;
        let mut out = Zeroizing::new(Vec::new());
        PrivateKeyInfo::new(algorithm(), &key).encode_to_vec(&mut out)?;
        Ok::<_, pkcs8::der::Error>(out)
    };
    encode().map_err(|_| Ckr::GENERAL_ERROR)
}

/// The numbers of a PKCS#8-wrapped two-prime RSAPrivateKey. The algorithm
/// must be rsaEncryption with NULL (or, as some encoders write, absent)
/// parameters; anything else is CKR_WRAPPED_KEY_INVALID.
pub(super) fn parse_pkcs8(encoded: &[u8]) -> Result<Numbers<Value>> {
    let info = PrivateKeyInfo::from_der(encoded).map_err(|_| Ckr::WRAPPED_KEY_INVALID)?;
    let params_ok = info.algorithm.parameters.is_none_or(|p| p == AnyRef::NULL);
    if info.algorithm.oid != RSA_ENCRYPTION || !params_ok {
        return Err(Ckr::WRAPPED_KEY_INVALID);
    }
    let parse = || {
        let mut reader = SliceReader::new(info.private_key)?;
        let numbers = reader.sequence(|r| {
            // Version 0: two primes. Multi-prime keys (version 1) are not
            // offered by PKCS#11's RSA key objects.
            if UintRef::decode(r)?.as_bytes() != [0] {
                return Err(Tag::Integer.value_error());
            }
            let mut numbers: Numbers<Value> = Default::default();
            for n in &mut numbers {
                *n = Zeroizing::new(UintRef::decode(r)?.as_bytes().to_vec());
            }
            Ok(numbers)
        })?;
        reader.finish(numbers)
    };
    parse().map_err(|_| Ckr::WRAPPED_KEY_INVALID)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spki_matches_hand_made_der() {
        // n = 0xc5 (given with a leading zero, which DER keeps because the
        // top bit is set), e = 3.
        let der = spki(&[0x00, 0xc5], &[3]).unwrap();
        // SEQUENCE { SEQUENCE { rsaEncryption, NULL },
        //            BIT STRING { SEQUENCE { INTEGER 00c5, INTEGER 3 } } }
        assert_eq!(
            hex::encode(der),
            "301b300d06092a864886f70d0101010500030a003007020200c5020103"
        );
    }

    #[test]
    fn pkcs8_round_trips_and_rejects_what_is_not_rsa() {
        let numbers: Numbers<&[u8]> = [
            &[0x00, 0xbb, 1],
            &[1, 0, 1],
            &[2],
            &[3],
            &[4],
            &[5],
            &[6],
            &[0x80],
        ];
        let der = pkcs8(&numbers).unwrap();
        let back = parse_pkcs8(&der).unwrap();
        let expected = numbers.map(|n| key_strip(n).to_vec());
        assert_eq!(back.map(|n| n.to_vec()), expected);
        // RSAPrivateKey { 0, n, … } inside PrivateKeyInfo with rsaEncryption.
        assert!(hex::encode(&der).contains("300d06092a864886f70d0101010500"));
        assert!(hex::encode(&der).contains("020100020300bb01020301000102010202"));

        assert_eq!(
            parse_pkcs8(&der[..der.len() - 1]),
            Err(Ckr::WRAPPED_KEY_INVALID)
        );
        // Another algorithm (id-ecPublicKey) with the same contents.
        let ec = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
        let inner = PrivateKeyInfo::from_der(&der).unwrap().private_key.to_vec();
        let other = PrivateKeyInfo::new(
            AlgorithmIdentifierRef {
                oid: ec,
                parameters: None,
            },
            &inner,
        )
        .to_der()
        .unwrap();
        assert_eq!(parse_pkcs8(&other), Err(Ckr::WRAPPED_KEY_INVALID));
        // Absent parameters are tolerated.
        let bare = PrivateKeyInfo::new(
            AlgorithmIdentifierRef {
                oid: RSA_ENCRYPTION,
                parameters: None,
            },
            &inner,
        )
        .to_der()
        .unwrap();
        assert!(parse_pkcs8(&bare).is_ok());
        // Version 1 (multi-prime) and a missing number are refused.
        let mut v1 = inner.clone();
        let version_at = 2 + 2; // SEQUENCE header (30 LL), then 02 01 00.
        assert_eq!(&v1[version_at - 2..=version_at], &[0x02, 0x01, 0x00]);
        v1[version_at] = 1;
        let v1 = PrivateKeyInfo::new(algorithm(), &v1).to_der().unwrap();
        assert_eq!(parse_pkcs8(&v1), Err(Ckr::WRAPPED_KEY_INVALID));
        let short = integers(&[&[0], &[1], &[2]]).unwrap();
        let short = PrivateKeyInfo::new(algorithm(), &short).to_der().unwrap();
        assert_eq!(parse_pkcs8(&short), Err(Ckr::WRAPPED_KEY_INVALID));
    }

    fn key_strip(n: &[u8]) -> &[u8] {
        super::super::key::strip(n)
    }
}
