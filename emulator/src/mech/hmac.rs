//! HMAC with SHA-1, SHA-2 and SHA-3, full length and `_GENERAL` (truncated to
//! the length in CK_MAC_GENERAL_PARAMS).

use super::mac::{keyed, register_pair, MacFamily, MacState};
use super::secret::secret_key;
use super::Registry;
use crate::attr::Attributes;
use crate::error::Result;
use cryptoki_sys::*;
use hmac::digest::{KeyInit, OutputSizeUser};
use hmac::{Hmac, Mac};
use std::ops::RangeInclusive;

/// HMAC key lengths in bytes; the same bound as generic secret key generation.
const KEY_SIZES: RangeInclusive<usize> = 1..=512;

/// The HMAC of one hash.
#[derive(Clone, Copy)]
struct HmacFamily {
    /// The CKK_SHA*_HMAC key type that belongs to this hash.
    key_type: CK_KEY_TYPE,
    /// Full tag length in bytes.
    full_len: usize,
    new: fn(&[u8]) -> Result<Box<dyn MacState>>,
}

impl MacFamily for HmacFamily {
    fn key_sizes(&self) -> RangeInclusive<usize> {
        KEY_SIZES
    }
    fn full_len(&self) -> usize {
        self.full_len
    }
    fn start(&self, key: &Attributes) -> Result<Box<dyn MacState>> {
        let value = secret_key(key, &[CKK_GENERIC_SECRET, self.key_type], KEY_SIZES)?;
        (self.new)(value)
    }
}

/// Register the full-length and the general mechanism of one hash.
fn add<M: Mac + KeyInit + Clone + Send + 'static>(
    r: &mut Registry,
    full: (CK_MECHANISM_TYPE, &'static str),
    general: (CK_MECHANISM_TYPE, &'static str),
    key_type: CK_KEY_TYPE,
) {
    let family = HmacFamily {
        key_type,
        full_len: <M as OutputSizeUser>::output_size(),
        new: keyed::<M>,
    };
    register_pair(r, full, general, family);
}

pub(crate) fn register(r: &mut Registry) {
    use sha2::{Sha224, Sha256, Sha384, Sha512};
    use sha3::{Sha3_224, Sha3_256, Sha3_384, Sha3_512};
    add::<Hmac<sha1::Sha1>>(
        r,
        (CKM_SHA_1_HMAC, "CKM_SHA_1_HMAC"),
        (CKM_SHA_1_HMAC_GENERAL, "CKM_SHA_1_HMAC_GENERAL"),
        CKK_SHA_1_HMAC,
    );
    add::<Hmac<Sha224>>(
        r,
        (CKM_SHA224_HMAC, "CKM_SHA224_HMAC"),
        (CKM_SHA224_HMAC_GENERAL, "CKM_SHA224_HMAC_GENERAL"),
        CKK_SHA224_HMAC,
    );
    add::<Hmac<Sha256>>(
        r,
        (CKM_SHA256_HMAC, "CKM_SHA256_HMAC"),
        (CKM_SHA256_HMAC_GENERAL, "CKM_SHA256_HMAC_GENERAL"),
        CKK_SHA256_HMAC,
    );
    add::<Hmac<Sha384>>(
        r,
        (CKM_SHA384_HMAC, "CKM_SHA384_HMAC"),
        (CKM_SHA384_HMAC_GENERAL, "CKM_SHA384_HMAC_GENERAL"),
        CKK_SHA384_HMAC,
    );
    add::<Hmac<Sha512>>(
        r,
        (CKM_SHA512_HMAC, "CKM_SHA512_HMAC"),
        (CKM_SHA512_HMAC_GENERAL, "CKM_SHA512_HMAC_GENERAL"),
        CKK_SHA512_HMAC,
    );
    add::<Hmac<Sha3_224>>(
        r,
        (CKM_SHA3_224_HMAC, "CKM_SHA3_224_HMAC"),
        (CKM_SHA3_224_HMAC_GENERAL, "CKM_SHA3_224_HMAC_GENERAL"),
        CKK_SHA3_224_HMAC,
    );
    add::<Hmac<Sha3_256>>(
        r,
        (CKM_SHA3_256_HMAC, "CKM_SHA3_256_HMAC"),
        (CKM_SHA3_256_HMAC_GENERAL, "CKM_SHA3_256_HMAC_GENERAL"),
        CKK_SHA3_256_HMAC,
    );
    add::<Hmac<Sha3_384>>(
        r,
        (CKM_SHA3_384_HMAC, "CKM_SHA3_384_HMAC"),
        (CKM_SHA3_384_HMAC_GENERAL, "CKM_SHA3_384_HMAC_GENERAL"),
        CKK_SHA3_384_HMAC,
    );
    add::<Hmac<Sha3_512>>(
        r,
        (CKM_SHA3_512_HMAC, "CKM_SHA3_512_HMAC"),
        (CKM_SHA3_512_HMAC_GENERAL, "CKM_SHA3_512_HMAC_GENERAL"),
        CKK_SHA3_512_HMAC,
    );
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::Ckr;
    use crate::mech::secret::test_keys::key;
    use crate::mech::{registry, MechParam, Mechanism};

    /// Sign through the registry, the data in chunks of `chunk` bytes.
    pub(crate) fn sign(
        ty: CK_MECHANISM_TYPE,
        param: MechParam,
        k: &Attributes,
        data: &[u8],
        chunk: usize,
    ) -> Result<Vec<u8>> {
        let mut s = registry().get(ty)?.sign(&Mechanism { ty, param }, k)?;
        for part in data.chunks(chunk.max(1)) {
            s.update(part)?;
        }
        s.finish()
    }

    /// Verify through the registry.
    pub(crate) fn verify(
        ty: CK_MECHANISM_TYPE,
        param: MechParam,
        k: &Attributes,
        data: &[u8],
        sig: &[u8],
    ) -> Result<()> {
        let mut v = registry().get(ty)?.verify(&Mechanism { ty, param }, k)?;
        v.update(data)?;
        v.finish(sig)
    }

    /// (mechanism, general mechanism, RFC 2202/4231 test case 2, test case 6).
    const RFC: &[(CK_MECHANISM_TYPE, CK_MECHANISM_TYPE, &str, &str)] = &[
        (
            CKM_SHA_1_HMAC,
            CKM_SHA_1_HMAC_GENERAL,
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            "",
        ),
        (
            CKM_SHA224_HMAC,
            CKM_SHA224_HMAC_GENERAL,
            "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
            "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e",
        ),
        (
            CKM_SHA256_HMAC,
            CKM_SHA256_HMAC_GENERAL,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
        (
            CKM_SHA384_HMAC,
            CKM_SHA384_HMAC_GENERAL,
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
             8e2240ca5e69e2c78b3239ecfab21649",
            "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6\
             0c2ef6ab4030fe8296248df163f44952",
        ),
        (
            CKM_SHA512_HMAC,
            CKM_SHA512_HMAC_GENERAL,
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
             9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352\
             6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
        ),
    ];

    #[test]
    fn rfc_known_answers() {
        let jefe = key(CKK_GENERIC_SECRET, b"Jefe");
        let data = b"what do ya want for nothing?";
        let long_key = key(CKK_GENERIC_SECRET, &[0xaa; 131]);
        let long_data = b"Test Using Larger Than Block-Size Key - Hash Key First";
        for (ty, general, tc2, tc6) in RFC {
            let tag = sign(*ty, MechParam::None, &jefe, data, 64).unwrap();
            assert_eq!(hex::encode(&tag), *tc2);
            assert_eq!(verify(*ty, MechParam::None, &jefe, data, &tag), Ok(()));
            if !tc6.is_empty() {
                assert_eq!(
                    hex::encode(sign(*ty, MechParam::None, &long_key, long_data, 5).unwrap()),
                    *tc6
                );
            }
            // General: a prefix of the full tag, for every allowed length.
            for n in 1..=tag.len() {
                let p = MechParam::Ulong(n as CK_ULONG);
                assert_eq!(sign(*general, p.clone(), &jefe, data, 3).unwrap(), tag[..n]);
                assert_eq!(verify(*general, p, &jefe, data, &tag[..n]), Ok(()));
            }
        }
    }

    /// SHA-3 HMAC against the definition, H((K ^ opad) || H((K ^ ipad) || m)),
    /// computed with the SHA-3 digests directly.
    fn reference<D: sha3::Digest>(block: usize, k: &[u8], m: &[u8]) -> Vec<u8> {
        let mut padded = vec![0u8; block];
        padded[..k.len()].copy_from_slice(k);
        let inner = D::new()
            .chain_update(padded.iter().map(|b| b ^ 0x36).collect::<Vec<_>>())
            .chain_update(m)
            .finalize();
        D::new()
            .chain_update(padded.iter().map(|b| b ^ 0x5c).collect::<Vec<_>>())
            .chain_update(inner)
            .finalize()
            .to_vec()
    }

    #[test]
    fn sha3_against_the_definition() {
        let k: Vec<u8> = (0..40u8).collect();
        let m: Vec<u8> = (0..300u32).map(|i| (i * 13) as u8).collect();
        let cases: [(CK_MECHANISM_TYPE, Vec<u8>); 4] = [
            (CKM_SHA3_224_HMAC, reference::<sha3::Sha3_224>(144, &k, &m)),
            (CKM_SHA3_256_HMAC, reference::<sha3::Sha3_256>(136, &k, &m)),
            (CKM_SHA3_384_HMAC, reference::<sha3::Sha3_384>(104, &k, &m)),
            (CKM_SHA3_512_HMAC, reference::<sha3::Sha3_512>(72, &k, &m)),
        ];
        for (ty, expected) in cases {
            assert_eq!(
                sign(ty, MechParam::None, &key(CKK_GENERIC_SECRET, &k), &m, 17).unwrap(),
                expected
            );
        }
    }

    #[test]
    fn multi_part_equals_single_part() {
        let k = key(CKK_GENERIC_SECRET, &[0x0b; 20]);
        let data: Vec<u8> = (0..500u32).map(|i| (i * 31 + 7) as u8).collect();
        let hmacs = registry().iter().filter(|m| m.name().contains("_HMAC"));
        for m in hmacs {
            let param = if m.name().ends_with("_GENERAL") {
                MechParam::Ulong(10)
            } else {
                MechParam::None
            };
            let whole = sign(m.ty(), param.clone(), &k, &data, data.len()).unwrap();
            for chunk in [1, 7, 64, 129] {
                assert_eq!(
                    sign(m.ty(), param.clone(), &k, &data, chunk).unwrap(),
                    whole,
                    "{}",
                    m.name()
                );
            }
            // The operation is reusable only through a new init; a fresh one agrees.
            assert_eq!(verify(m.ty(), param, &k, &data, &whole), Ok(()));
        }
    }

    #[test]
    fn verification_failures() {
        let k = key(CKK_SHA256_HMAC, b"Jefe");
        let tag = sign(CKM_SHA256_HMAC, MechParam::None, &k, b"msg", 1).unwrap();
        assert_eq!(
            verify(CKM_SHA256_HMAC, MechParam::None, &k, b"msg", &tag[..31]),
            Err(Ckr::SIGNATURE_LEN_RANGE)
        );
        let mut long = tag.clone();
        long.push(0);
        assert_eq!(
            verify(CKM_SHA256_HMAC, MechParam::None, &k, b"msg", &long),
            Err(Ckr::SIGNATURE_LEN_RANGE)
        );
        for i in [0, 17, 31] {
            let mut bad = tag.clone();
            bad[i] ^= 0x40;
            assert_eq!(
                verify(CKM_SHA256_HMAC, MechParam::None, &k, b"msg", &bad),
                Err(Ckr::SIGNATURE_INVALID)
            );
        }
        assert_eq!(
            verify(CKM_SHA256_HMAC, MechParam::None, &k, b"msh", &tag),
            Err(Ckr::SIGNATURE_INVALID)
        );
        let general = MechParam::Ulong(16);
        assert_eq!(
            verify(CKM_SHA256_HMAC_GENERAL, general.clone(), &k, b"msg", &tag),
            Err(Ckr::SIGNATURE_LEN_RANGE)
        );
        assert_eq!(
            verify(CKM_SHA256_HMAC_GENERAL, general, &k, b"msg", &tag[..16]),
            Ok(())
        );
    }

    #[test]
    fn keys_and_parameters_are_checked() {
        let data = b"x";
        for k in [
            key(CKK_GENERIC_SECRET, &[1; 32]),
            key(CKK_SHA384_HMAC, &[1; 32]),
        ] {
            assert!(sign(CKM_SHA384_HMAC, MechParam::None, &k, data, 1).is_ok());
        }
        // HMAC takes generic secrets or its own key type (PKCS#11 §6.24).
        for wrong in [key(CKK_SHA256_HMAC, &[1; 32]), key(CKK_AES, &[1; 32])] {
            assert_eq!(
                sign(CKM_SHA384_HMAC, MechParam::None, &wrong, data, 1),
                Err(Ckr::KEY_TYPE_INCONSISTENT)
            );
        }
        let empty = key(CKK_GENERIC_SECRET, &[]);
        assert_eq!(
            sign(CKM_SHA256_HMAC, MechParam::None, &empty, data, 1),
            Err(Ckr::KEY_SIZE_RANGE)
        );
        let huge = key(CKK_GENERIC_SECRET, &[1; 513]);
        assert_eq!(
            sign(CKM_SHA256_HMAC, MechParam::None, &huge, data, 1),
            Err(Ckr::KEY_SIZE_RANGE)
        );
        let k = key(CKK_GENERIC_SECRET, &[1; 32]);
        for bad in [
            MechParam::None,
            MechParam::Ulong(0),
            MechParam::Ulong(33),
            MechParam::Bytes(vec![16]),
        ] {
            assert_eq!(
                sign(CKM_SHA256_HMAC_GENERAL, bad, &k, data, 1),
                Err(Ckr::MECHANISM_PARAM_INVALID)
            );
        }
        assert_eq!(
            sign(CKM_SHA256_HMAC, MechParam::Ulong(32), &k, data, 1),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let m = Mechanism {
            ty: CKM_SHA256_HMAC,
            param: MechParam::None,
        };
        assert_eq!(
            registry()
                .get(CKM_SHA256_HMAC)
                .unwrap()
                .encrypt(&m, &k)
                .err(),
            Some(Ckr::MECHANISM_INVALID)
        );
    }
}
