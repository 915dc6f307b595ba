//! CKM_AES_KEY_WRAP (RFC 3394 / SP 800-38F KW) and CKM_AES_KEY_WRAP_KWP
//! (RFC 5649 / KWP). Both work on whole inputs: as ciphers, `update` only
//! collects and `finish` wraps or unwraps.

use super::aes::{aes_key, with_aes};
use super::secret::append;
use super::{info, Cipher, MechParam, Mechanism, MechanismImpl, Registry};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use aes_kw::Kek;
use cryptoki_sys::*;

/// The RFC 3394 default initial value, the only one KW accepts.
const KW_IV: [u8; 8] = [0xA6; 8];
/// The RFC 5649 alternative initial value prefix, the only one KWP accepts.
const KWP_IV: [u8; 4] = [0xA6, 0x59, 0x59, 0xA6];
/// Semiblock size.
const SEMI: usize = 8;

/// Why a wrap or unwrap failed; each use maps it to its own return value.
#[derive(Debug, PartialEq, Eq)]
enum Fail {
    /// The input has a length the algorithm cannot take.
    Length,
    /// The integrity check of an unwrap failed.
    Integrity,
    /// Any other error, already a return value.
    Other(Ckr),
}

impl From<Ckr> for Fail {
    fn from(e: Ckr) -> Self {
        Fail::Other(e)
    }
}

/// CKM_AES_KEY_WRAP or CKM_AES_KEY_WRAP_KWP.
struct KeyWrap {
    padded: bool,
}

impl KeyWrap {
    /// The optional parameter is the initial value; only the default is supported.
    fn check_param(&self, m: &Mechanism) -> Result<()> {
        let default: &[u8] = if self.padded { &KWP_IV } else { &KW_IV };
        match &m.param {
            MechParam::None => Ok(()),
            MechParam::Bytes(iv) if iv.as_slice() == default => Ok(()),
            _ => Err(Ckr::MECHANISM_PARAM_INVALID),
        }
    }

    fn wrap_raw(&self, kek: &[u8], data: &[u8]) -> std::result::Result<Vec<u8>, Fail> {
        // SP 800-38F: KW takes at least two whole semiblocks, KWP at least one byte.
        let (semiblocks, rest) = (data.len() / SEMI, data.len() % SEMI);
        let ok = if self.padded {
            !data.is_empty()
        } else {
            semiblocks >= 2 && rest == 0
        };
        if !ok {
            return Err(Fail::Length);
        }
        let out_len = data.len().div_ceil(SEMI) * SEMI + SEMI;
        let mut out = vec![0u8; out_len];
        with_aes!(kek, A => {
            let kek = Kek::<A>::try_from(kek).map_err(|_| Ckr::KEY_SIZE_RANGE)?;
            let done = if self.padded { kek.wrap_with_padding(data, &mut out) } else { kek.wrap(data, &mut out) };
            done.map_err(|_| Fail::Length)
        })?;
        Ok(out)
    }

    fn unwrap_raw(&self, kek: &[u8], wrapped: &[u8]) -> std::result::Result<Value, Fail> {
        // KW output is at least three semiblocks, KWP at least two; shorter
        // inputs would reach corner cases of the library's unwrap.
        let min = if self.padded { 2 } else { 3 };
        let (semiblocks, rest) = (wrapped.len() / SEMI, wrapped.len() % SEMI);
        if semiblocks < min || rest != 0 {
            return Err(Fail::Length);
        }
        let mut out = Value::new(vec![0u8; wrapped.len() - SEMI]);
        let len = with_aes!(kek, A => {
            let kek = Kek::<A>::try_from(kek).map_err(|_| Ckr::KEY_SIZE_RANGE)?;
            let done = if self.padded {
                kek.unwrap_with_padding(wrapped, &mut out).map(|key| key.len())
            } else {
                kek.unwrap(wrapped, &mut out).map(|()| wrapped.len() - SEMI)
            };
            done.map_err(|e| match e {
                aes_kw::Error::IntegrityCheckFailed => Fail::Integrity,
                _ => Fail::Length,
            })
        })?;
        out.truncate(len);
        Ok(out)
    }
}

impl MechanismImpl for KeyWrap {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        if self.padded {
            CKM_AES_KEY_WRAP_KWP
        } else {
            CKM_AES_KEY_WRAP
        }
    }
    fn name(&self) -> &'static str {
        if self.padded {
            "CKM_AES_KEY_WRAP_KWP"
        } else {
            "CKM_AES_KEY_WRAP"
        }
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        info(16, 32, CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP)
    }

    fn encrypt(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Cipher>> {
        self.check_param(m)?;
        let kek = Value::new(aes_key(key)?.to_vec());
        Ok(Box::new(WrapOp {
            padded: self.padded,
            kek,
            data: Value::new(Vec::new()),
            encrypt: true,
        }))
    }

    fn decrypt(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Cipher>> {
        self.check_param(m)?;
        let kek = Value::new(aes_key(key)?.to_vec());
        Ok(Box::new(WrapOp {
            padded: self.padded,
            kek,
            data: Value::new(Vec::new()),
            encrypt: false,
        }))
    }

    fn wrap(&self, m: &Mechanism, wrapping_key: &Attributes, key_value: &[u8]) -> Result<Vec<u8>> {
        self.check_param(m)?;
        self.wrap_raw(aes_key(wrapping_key)?, key_value)
            .map_err(|e| match e {
                Fail::Length | Fail::Integrity => Ckr::KEY_SIZE_RANGE,
                Fail::Other(e) => e,
            })
    }

    fn unwrap(&self, m: &Mechanism, unwrapping_key: &Attributes, wrapped: &[u8]) -> Result<Value> {
        self.check_param(m)?;
        self.unwrap_raw(aes_key(unwrapping_key)?, wrapped)
            .map_err(|e| match e {
                Fail::Length => Ckr::WRAPPED_KEY_LEN_RANGE,
                Fail::Integrity => Ckr::WRAPPED_KEY_INVALID,
                Fail::Other(e) => e,
            })
    }
}

/// KW or KWP used as a single-part cipher.
struct WrapOp {
    padded: bool,
    kek: Value,
    data: Value,
    encrypt: bool,
}

impl Cipher for WrapOp {
    fn update(&mut self, input: &[u8]) -> Result<Value> {
        append(&mut self.data, input);
        Ok(Value::new(Vec::new()))
    }

    fn finish(&mut self) -> Result<Value> {
        let data = std::mem::replace(&mut self.data, Value::new(Vec::new()));
        let mech = KeyWrap {
            padded: self.padded,
        };
        if self.encrypt {
            mech.wrap_raw(&self.kek, &data)
                .map(Value::new)
                .map_err(|e| match e {
                    Fail::Length | Fail::Integrity => Ckr::DATA_LEN_RANGE,
                    Fail::Other(e) => e,
                })
        } else {
            mech.unwrap_raw(&self.kek, &data).map_err(|e| match e {
                Fail::Length => Ckr::ENCRYPTED_DATA_LEN_RANGE,
                Fail::Integrity => Ckr::ENCRYPTED_DATA_INVALID,
                Fail::Other(e) => e,
            })
        }
    }
}

pub(crate) fn register(r: &mut Registry) {
    r.add(KeyWrap { padded: false });
    r.add(KeyWrap { padded: true });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech::registry;
    use crate::mech::secret::test_keys::{aes, chunked, single, ODD_CHUNKS};

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn mech(ty: CK_MECHANISM_TYPE, param: MechParam) -> Mechanism {
        Mechanism { ty, param }
    }

    /// RFC 3394 section 4: (KEK, key data, wrapped).
    const RFC3394: &[(&str, &str, &str)] = &[
        (
            "000102030405060708090a0b0c0d0e0f",
            "00112233445566778899aabbccddeeff",
            "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5",
        ),
        (
            "000102030405060708090a0b0c0d0e0f1011121314151617",
            "00112233445566778899aabbccddeeff0001020304050607",
            "031d33264e15d33268f24ec260743edce1c6c7ddee725a936ba814915c6762d2",
        ),
        (
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f",
            "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21",
        ),
    ];

    /// RFC 5649 section 6.
    const RFC5649: &[(&str, &str, &str)] = &[
        (
            "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8",
            "c37b7e6492584340bed12207808941155068f738",
            "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a",
        ),
        (
            "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8",
            "466f7250617369",
            "afbeb0f07dfbf5419200f2ccb50bb24f",
        ),
    ];

    #[test]
    fn rfc_vectors() {
        for (ty, vectors) in [(CKM_AES_KEY_WRAP, RFC3394), (CKM_AES_KEY_WRAP_KWP, RFC5649)] {
            let w = registry().get(ty).unwrap();
            let m = mech(ty, MechParam::None);
            for (kek, data, wrapped) in vectors {
                let kek = aes(kek);
                assert_eq!(hex::encode(w.wrap(&m, &kek, &h(data)).unwrap()), *wrapped);
                assert_eq!(w.unwrap(&m, &kek, &h(wrapped)).unwrap().as_slice(), h(data));
                // As a cipher, whatever the chunking.
                assert_eq!(
                    hex::encode(
                        chunked(ty, &MechParam::None, &kek, true, &h(data), ODD_CHUNKS).unwrap()
                    ),
                    *wrapped
                );
                assert_eq!(
                    single(ty, &MechParam::None, &kek, false, &h(wrapped)).unwrap(),
                    h(data)
                );
                assert_eq!(
                    chunked(ty, &MechParam::None, &kek, false, &h(wrapped), ODD_CHUNKS).unwrap(),
                    h(data)
                );
            }
        }
    }

    #[test]
    fn tampering_and_lengths_are_rejected() {
        let kek = aes("000102030405060708090a0b0c0d0e0f");
        for ty in [CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_KWP] {
            let w = registry().get(ty).unwrap();
            let m = mech(ty, MechParam::None);
            let wrapped = w.wrap(&m, &kek, &[0x11; 24]).unwrap();
            for i in [0, 8, wrapped.len() - 1] {
                let mut bad = wrapped.clone();
                bad[i] ^= 4;
                assert_eq!(
                    w.unwrap(&m, &kek, &bad).err(),
                    Some(Ckr::WRAPPED_KEY_INVALID)
                );
                assert_eq!(
                    single(ty, &MechParam::None, &kek, false, &bad),
                    Err(Ckr::ENCRYPTED_DATA_INVALID)
                );
            }
            for n in [0, 8, 15, 31] {
                assert_eq!(
                    w.unwrap(&m, &kek, &vec![0; n]).err(),
                    Some(Ckr::WRAPPED_KEY_LEN_RANGE),
                    "{n}"
                );
                assert_eq!(
                    single(ty, &MechParam::None, &kek, false, &vec![0; n]),
                    Err(Ckr::ENCRYPTED_DATA_LEN_RANGE)
                );
            }
            assert_eq!(w.wrap(&m, &kek, &[]).err(), Some(Ckr::KEY_SIZE_RANGE));
            assert_eq!(
                single(ty, &MechParam::None, &kek, true, &[]),
                Err(Ckr::DATA_LEN_RANGE)
            );
        }
        // KW needs whole semiblocks, and at least two.
        let kw = registry().get(CKM_AES_KEY_WRAP).unwrap();
        let m = mech(CKM_AES_KEY_WRAP, MechParam::None);
        for n in [8, 17, 23] {
            assert_eq!(
                kw.wrap(&m, &kek, &vec![1; n]).err(),
                Some(Ckr::KEY_SIZE_RANGE)
            );
        }
        // A KWP wrapping does not unwrap as KW, and the other way round.
        let kwp = registry().get(CKM_AES_KEY_WRAP_KWP).unwrap();
        let m_kwp = mech(CKM_AES_KEY_WRAP_KWP, MechParam::None);
        let by_kw = kw.wrap(&m, &kek, &[3; 16]).unwrap();
        let by_kwp = kwp.wrap(&m_kwp, &kek, &[3; 16]).unwrap();
        assert_eq!(
            kwp.unwrap(&m_kwp, &kek, &by_kw).err(),
            Some(Ckr::WRAPPED_KEY_INVALID)
        );
        assert_eq!(
            kw.unwrap(&m, &kek, &by_kwp).err(),
            Some(Ckr::WRAPPED_KEY_INVALID)
        );
    }

    #[test]
    fn only_the_default_iv_is_accepted() {
        let kek = aes("000102030405060708090a0b0c0d0e0f");
        let kw = registry().get(CKM_AES_KEY_WRAP).unwrap();
        let with_default = mech(CKM_AES_KEY_WRAP, MechParam::Bytes(KW_IV.to_vec()));
        assert_eq!(kw.wrap(&with_default, &kek, &[0; 16]).unwrap().len(), 24);
        for bad in [
            MechParam::Bytes(vec![0xA6; 7]),
            MechParam::Bytes(vec![0; 8]),
            MechParam::Ulong(8),
        ] {
            let m = mech(CKM_AES_KEY_WRAP, bad);
            assert_eq!(
                kw.wrap(&m, &kek, &[0; 16]).err(),
                Some(Ckr::MECHANISM_PARAM_INVALID)
            );
            assert_eq!(
                kw.encrypt(&m, &kek).err(),
                Some(Ckr::MECHANISM_PARAM_INVALID)
            );
        }
        let kwp = registry().get(CKM_AES_KEY_WRAP_KWP).unwrap();
        let with_default = mech(CKM_AES_KEY_WRAP_KWP, MechParam::Bytes(KWP_IV.to_vec()));
        assert!(kwp.wrap(&with_default, &kek, &[0; 5]).is_ok());
        let m = mech(CKM_AES_KEY_WRAP_KWP, MechParam::Bytes(KW_IV.to_vec()));
        assert_eq!(
            kwp.wrap(&m, &kek, &[0; 5]).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
    }
}
