//! CKM_AES_CMAC and CKM_AES_CMAC_GENERAL: the CMAC of NIST SP 800-38B
//! (RFC 4493 for AES-128) over the RustCrypto `cmac` crate, full length (16
//! bytes) and truncated to the 1 to 16 bytes of CK_MAC_GENERAL_PARAMS. The
//! same function is the AES-CMAC PRF of the SP 800-108 KDFs ([`aes_cmac`]).

use super::aes::{aes_key, KEY_SIZES};
use super::mac::{register_pair, MacFamily, MacState};
use super::Registry;
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use aes::{Aes128, Aes192, Aes256};
use cmac::digest::KeyInit;
use cmac::{Cmac, Mac};
use cryptoki_sys::*;
use std::ops::RangeInclusive;

/// The CMAC tag length: one AES block.
pub(crate) const TAG_LEN: usize = 16;

/// A CMAC in progress under an AES key of one of the three lengths. The
/// `cmac` crate's `zeroize` feature wipes the key schedule and state on drop.
#[derive(Clone)]
enum AesCmac {
    A128(Cmac<Aes128>),
    A192(Cmac<Aes192>),
    A256(Cmac<Aes256>),
}

impl AesCmac {
    /// CKR_KEY_SIZE_RANGE for a key that is not 16, 24 or 32 bytes.
    fn new(key: &[u8]) -> Result<Self> {
        let bad = |_| Ckr::KEY_SIZE_RANGE;
        Ok(match key.len() {
            16 => AesCmac::A128(<Cmac<Aes128> as KeyInit>::new_from_slice(key).map_err(bad)?),
            24 => AesCmac::A192(<Cmac<Aes192> as KeyInit>::new_from_slice(key).map_err(bad)?),
            32 => AesCmac::A256(<Cmac<Aes256> as KeyInit>::new_from_slice(key).map_err(bad)?),
            _ => return Err(Ckr::KEY_SIZE_RANGE),
        })
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            AesCmac::A128(m) => Mac::update(m, data),
            AesCmac::A192(m) => Mac::update(m, data),
            AesCmac::A256(m) => Mac::update(m, data),
        }
    }

    /// The full tag of everything so far; a copy is finished, so the state
    /// stays usable.
    fn full_tag(&self) -> [u8; TAG_LEN] {
        match self.clone() {
            AesCmac::A128(m) => m.finalize().into_bytes().into(),
            AesCmac::A192(m) => m.finalize().into_bytes().into(),
            AesCmac::A256(m) => m.finalize().into_bytes().into(),
        }
    }
}

/// AES-CMAC of the concatenated `parts` under `key` (16, 24 or 32 bytes):
/// one PRF block of the SP 800-108 KDFs.
pub(in crate::mech) fn aes_cmac(key: &[u8], parts: &[&[u8]]) -> Result<[u8; TAG_LEN]> {
    let mut mac = AesCmac::new(key)?;
    for part in parts {
        mac.update(part);
    }
    Ok(mac.full_tag())
}

impl MacState for AesCmac {
    fn update(&mut self, data: &[u8]) {
        AesCmac::update(self, data);
    }
    fn tag(&self) -> Vec<u8> {
        self.full_tag().to_vec()
    }
}

/// AES-CMAC under an AES key object.
#[derive(Clone, Copy)]
struct CmacFamily;

impl MacFamily for CmacFamily {
    fn key_sizes(&self) -> RangeInclusive<usize> {
        KEY_SIZES
    }
    fn full_len(&self) -> usize {
        TAG_LEN
    }
    fn start(&self, key: &Attributes) -> Result<Box<dyn MacState>> {
        Ok(Box::new(AesCmac::new(aes_key(key)?)?))
    }
}

pub(crate) fn register(r: &mut Registry) {
    register_pair(
        r,
        (CKM_AES_CMAC, "CKM_AES_CMAC"),
        (CKM_AES_CMAC_GENERAL, "CKM_AES_CMAC_GENERAL"),
        CmacFamily,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech::hmac::tests::{sign, verify};
    use crate::mech::secret::test_keys::{aes, key};
    use crate::mech::{registry, MechParam};

    /// NIST SP 800-38B appendix D (the CMAC examples of the NIST "Recommendation
    /// for Block Cipher Modes of Operation" example values), for AES-128
    /// (also RFC 4493 §4), AES-192 and AES-256: (key, message length, tag).
    /// The messages are the first 0, 16, 40 and 64 bytes of [`MESSAGE`].
    const SP800_38B: &[(&str, usize, &str)] = &[
        (
            "2b7e151628aed2a6abf7158809cf4f3c",
            0,
            "bb1d6929e95937287fa37d129b756746",
        ),
        (
            "2b7e151628aed2a6abf7158809cf4f3c",
            16,
            "070a16b46b4d4144f79bdd9dd04a287c",
        ),
        (
            "2b7e151628aed2a6abf7158809cf4f3c",
            40,
            "dfa66747de9ae63030ca32611497c827",
        ),
        (
            "2b7e151628aed2a6abf7158809cf4f3c",
            64,
            "51f0bebf7e3b9d92fc49741779363cfe",
        ),
        (
            "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
            0,
            "d17ddf46adaacde531cac483de7a9367",
        ),
        (
            "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
            16,
            "9e99a7bf31e710900662f65e617c5184",
        ),
        (
            "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
            40,
            "8a1de5be2eb31aad089a82e6ee908b0e",
        ),
        (
            "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
            64,
            "a1d5df0eed790f794d77589659f39a11",
        ),
        (
            "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
            0,
            "028962f61b7bf89efc6b551f4667d983",
        ),
        (
            "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
            16,
            "28a7023f452e8f82bd4bf28d8c37c35c",
        ),
        (
            "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
            40,
            "aaf3d8f1de5640c232f5b169b9c911e6",
        ),
        (
            "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
            64,
            "e1992190549f6ed5696a2c056c315410",
        ),
    ];

    const MESSAGE: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                           30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    #[test]
    fn sp800_38b_known_answers() {
        let message = hex::decode(MESSAGE).unwrap();
        for (k, n, tag) in SP800_38B {
            let k = aes(k);
            let msg = &message[..*n];
            let tag = hex::decode(tag).unwrap();
            for chunk in [1, 7, 16, 17, 64] {
                assert_eq!(
                    sign(CKM_AES_CMAC, MechParam::None, &k, msg, chunk).unwrap(),
                    tag,
                    "{n}-byte message in chunks of {chunk}"
                );
            }
            assert_eq!(aes_cmac(aes_key(&k).unwrap(), &[msg]).unwrap()[..], tag[..]);
            assert_eq!(verify(CKM_AES_CMAC, MechParam::None, &k, msg, &tag), Ok(()));
            for len in [1, 4, 8, 15, 16] {
                let p = MechParam::Ulong(len as CK_ULONG);
                let short = sign(CKM_AES_CMAC_GENERAL, p.clone(), &k, msg, 5).unwrap();
                assert_eq!(short, tag[..len], "_GENERAL with {len} bytes");
                assert_eq!(verify(CKM_AES_CMAC_GENERAL, p, &k, msg, &short), Ok(()));
            }
        }
    }

    #[test]
    fn rejections() {
        let message = hex::decode(MESSAGE).unwrap();
        let k = aes(SP800_38B[3].0);
        let tag = hex::decode(SP800_38B[3].2).unwrap();
        let mut bad = tag.clone();
        bad[15] ^= 1;
        assert_eq!(
            verify(CKM_AES_CMAC, MechParam::None, &k, &message, &bad),
            Err(Ckr::SIGNATURE_INVALID)
        );
        assert_eq!(
            verify(CKM_AES_CMAC, MechParam::None, &k, &message[1..], &tag),
            Err(Ckr::SIGNATURE_INVALID)
        );
        assert_eq!(
            verify(CKM_AES_CMAC, MechParam::None, &k, &message, &tag[..15]),
            Err(Ckr::SIGNATURE_LEN_RANGE)
        );
        assert_eq!(
            verify(
                CKM_AES_CMAC_GENERAL,
                MechParam::Ulong(8),
                &k,
                &message,
                &tag
            ),
            Err(Ckr::SIGNATURE_LEN_RANGE)
        );
        for p in [
            MechParam::Ulong(0),
            MechParam::Ulong(17),
            MechParam::None,
            MechParam::Bytes(vec![16]),
        ] {
            assert_eq!(
                sign(CKM_AES_CMAC_GENERAL, p, &k, b"x", 1).err(),
                Some(Ckr::MECHANISM_PARAM_INVALID)
            );
        }
        assert_eq!(
            sign(CKM_AES_CMAC, MechParam::Ulong(16), &k, b"x", 1).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
        // Only AES keys, of an AES length.
        assert_eq!(
            sign(
                CKM_AES_CMAC,
                MechParam::None,
                &key(CKK_GENERIC_SECRET, &[1; 16]),
                b"x",
                1
            )
            .err(),
            Some(Ckr::KEY_TYPE_INCONSISTENT)
        );
        assert_eq!(
            sign(
                CKM_AES_CMAC,
                MechParam::None,
                &key(CKK_AES, &[1; 20]),
                b"x",
                1
            )
            .err(),
            Some(Ckr::KEY_SIZE_RANGE)
        );
        assert_eq!(aes_cmac(&[1; 15], &[b"x"]).err(), Some(Ckr::KEY_SIZE_RANGE));
    }

    #[test]
    fn registered_for_sign_and_verify() {
        for ty in [CKM_AES_CMAC, CKM_AES_CMAC_GENERAL] {
            let m = registry().get(ty).unwrap();
            assert_eq!(m.info().flags, CKF_SIGN | CKF_VERIFY);
            assert_eq!((m.info().ulMinKeySize, m.info().ulMaxKeySize), (16, 32));
            assert!(registry().for_function(ty, CKF_ENCRYPT).is_err());
        }
    }
}
