//! CKM_AES_GCM. Multi-part operations buffer their input and do the work at
//! finish, so a decryption checks the tag before it releases any plaintext.
//!
//! aes-gcm fixes the IV length and the tag length in the type, so only IVs of
//! 8 to 16, 32, 64 and 128 bytes are accepted (12 is the recommended length);
//! tags of 12 to 16 bytes are the full tag truncated.

use super::aes::{aes_key, with_aes};
use super::secret::{self, append, one_shot};
use super::{info, Cipher, MechParam, Mechanism, MechanismImpl, Registry};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use aes_gcm::aead::consts::*;
use aes_gcm::aead::generic_array::{ArrayLength, GenericArray};
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::aes::cipher::{BlockCipher, BlockEncrypt, BlockSizeUser};
use aes_gcm::AesGcm;
use cryptoki_sys::*;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// The full GCM tag length in bytes.
const FULL_TAG: usize = 16;

/// Run `$f::<$A, N>($args)` with N the typenum for the IV length; any other
/// length is CKR_MECHANISM_PARAM_INVALID.
macro_rules! iv_len {
    ($iv:expr, $f:ident::<$A:ty>($($arg:expr),*)) => {
        match $iv.len() {
            8 => $f::<$A, U8>($($arg),*),
            9 => $f::<$A, U9>($($arg),*),
            10 => $f::<$A, U10>($($arg),*),
            11 => $f::<$A, U11>($($arg),*),
            12 => $f::<$A, U12>($($arg),*),
            13 => $f::<$A, U13>($($arg),*),
            14 => $f::<$A, U14>($($arg),*),
            15 => $f::<$A, U15>($($arg),*),
            16 => $f::<$A, U16>($($arg),*),
            32 => $f::<$A, U32>($($arg),*),
            64 => $f::<$A, U64>($($arg),*),
            128 => $f::<$A, U128>($($arg),*),
            _ => Err(Ckr::MECHANISM_PARAM_INVALID),
        }
    };
}

/// Whether aes-gcm is instantiated for this IV length.
fn iv_len_supported(n: usize) -> bool {
    matches!(n, 8..=16 | 32 | 64 | 128)
}

/// CK_GCM_PARAMS, checked.
struct Params {
    iv: Vec<u8>,
    aad: Vec<u8>,
    tag_len: usize,
}

impl Params {
    fn read(m: &Mechanism) -> Result<Params> {
        let MechParam::Gcm { iv, aad, tag_bits } = &m.param else {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        };
        if !(96..=128).contains(tag_bits) || tag_bits % 8 != 0 || !iv_len_supported(iv.len()) {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
        Ok(Params {
            iv: iv.clone(),
            aad: aad.clone(),
            tag_len: (tag_bits / 8) as usize,
        })
    }
}

trait Aes: BlockCipher + BlockSizeUser<BlockSize = U16> + BlockEncrypt + KeyInit {}
impl<A: BlockCipher + BlockSizeUser<BlockSize = U16> + BlockEncrypt + KeyInit> Aes for A {}

fn gcm<A: Aes, N: ArrayLength<u8>>(
    key: &[u8],
    iv: &[u8],
) -> Result<(AesGcm<A, N>, GenericArray<u8, N>)> {
    let cipher = AesGcm::<A, N>::new_from_slice(key).map_err(|_| Ckr::KEY_SIZE_RANGE)?;
    let nonce =
        GenericArray::from_exact_iter(iv.iter().copied()).ok_or(Ckr::MECHANISM_PARAM_INVALID)?;
    Ok((cipher, nonce))
}

/// Encrypt `buf` in place and return the full tag.
fn seal_with<A: Aes, N: ArrayLength<u8>>(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; FULL_TAG]> {
    let (cipher, nonce) = gcm::<A, N>(key, iv)?;
    let tag = cipher
        .encrypt_in_place_detached(&nonce, aad, buf)
        .map_err(|_| Ckr::DATA_LEN_RANGE)?;
    Ok(tag.into())
}

/// Check the full tag of `buf` and decrypt it in place.
fn open_with<A: Aes, N: ArrayLength<u8>>(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8],
) -> Result<()> {
    let (cipher, nonce) = gcm::<A, N>(key, iv)?;
    let tag =
        GenericArray::from_exact_iter(tag.iter().copied()).ok_or(Ckr::ENCRYPTED_DATA_INVALID)?;
    cipher
        .decrypt_in_place_detached(&nonce, aad, buf, &tag)
        .map_err(|_| Ckr::ENCRYPTED_DATA_INVALID)
}

fn seal(key: &[u8], p: &Params, buf: &mut [u8]) -> Result<[u8; FULL_TAG]> {
    with_aes!(key, A => iv_len!(p.iv, seal_with::<A>(key, &p.iv, &p.aad, buf)))
}

/// Decrypt `buf` in place if `tag` is right; on a wrong tag `buf` is left
/// holding nothing the caller may see.
fn open(key: &[u8], p: &Params, buf: &mut Value, tag: &[u8]) -> Result<()> {
    if tag.len() == FULL_TAG {
        return with_aes!(key, A => iv_len!(p.iv, open_with::<A>(key, &p.iv, &p.aad, buf, tag)));
    }
    // A truncated tag. GCM encryption is its own inverse on the data, so
    // sealing the ciphertext yields the candidate plaintext, and sealing that
    // yields the ciphertext again with its full tag, which is then compared.
    let too_long = |e| match e {
        Ckr::DATA_LEN_RANGE => Ckr::ENCRYPTED_DATA_LEN_RANGE,
        other => other,
    };
    seal(key, p, buf).map_err(too_long)?;
    let mut again = secret::concat(buf, &[]);
    let full = seal(key, p, &mut again).map_err(too_long)?;
    if bool::from(full[..tag.len()].ct_eq(tag)) {
        Ok(())
    } else {
        buf.zeroize();
        Err(Ckr::ENCRYPTED_DATA_INVALID)
    }
}

/// CKM_AES_GCM.
struct AesGcmMech;

impl AesGcmMech {
    fn start(m: &Mechanism, key: &Attributes, encrypt: bool) -> Result<Box<dyn Cipher>> {
        let key = aes_key(key)?;
        let params = Params::read(m)?;
        Ok(Box::new(GcmOp {
            key: Value::new(key.to_vec()),
            params,
            data: Value::new(Vec::new()),
            encrypt,
        }))
    }
}

impl MechanismImpl for AesGcmMech {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        CKM_AES_GCM
    }
    fn name(&self) -> &'static str {
        "CKM_AES_GCM"
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        info(16, 32, CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP)
    }
    fn encrypt(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Cipher>> {
        Self::start(m, key, true)
    }
    fn decrypt(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Cipher>> {
        Self::start(m, key, false)
    }
    fn wrap(&self, m: &Mechanism, wrapping_key: &Attributes, key_value: &[u8]) -> Result<Vec<u8>> {
        let wrapped =
            one_shot(Self::start(m, wrapping_key, true)?, key_value).map_err(secret::wrap_error)?;
        Ok(wrapped.to_vec())
    }
    fn unwrap(&self, m: &Mechanism, unwrapping_key: &Attributes, wrapped: &[u8]) -> Result<Value> {
        one_shot(Self::start(m, unwrapping_key, false)?, wrapped).map_err(secret::unwrap_error)
    }
}

/// A running GCM operation: input is only collected until `finish`.
struct GcmOp {
    key: Value,
    params: Params,
    data: Value,
    encrypt: bool,
}

impl Cipher for GcmOp {
    fn update(&mut self, input: &[u8]) -> Result<Value> {
        append(&mut self.data, input);
        Ok(Value::new(Vec::new()))
    }

    fn finish(&mut self) -> Result<Value> {
        let mut data = std::mem::replace(&mut self.data, Value::new(Vec::new()));
        let tag_len = self.params.tag_len;
        if self.encrypt {
            let tag = seal(&self.key, &self.params, &mut data)?;
            append(&mut data, &tag[..tag_len]);
            return Ok(data);
        }
        let Some(split) = data.len().checked_sub(tag_len) else {
            return Err(Ckr::ENCRYPTED_DATA_LEN_RANGE);
        };
        let tag = data[split..].to_vec();
        data.truncate(split);
        open(&self.key, &self.params, &mut data, &tag)?;
        Ok(data)
    }
}

pub(crate) fn register(r: &mut Registry) {
    r.add(AesGcmMech);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech::registry;
    use crate::mech::secret::test_keys::{aes, chunked, single, ODD_CHUNKS};

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn param(iv: &str, aad: &str, tag_bits: CK_ULONG) -> MechParam {
        MechParam::Gcm {
            iv: h(iv),
            aad: h(aad),
            tag_bits,
        }
    }

    const K: &str = "feffe9928665731c6d6a8f9467308308";
    const P: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                     1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    const AAD: &str = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

    /// The GCM specification's test cases 2, 4 and 5 (the last with an
    /// 8-byte IV), and 16 (AES-256).
    #[test]
    fn known_answers() {
        let cases = [
            (
                "00000000000000000000000000000000",
                "000000000000000000000000",
                "",
                "00000000000000000000000000000000",
                "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf",
            ),
            (
                K,
                "cafebabefacedbaddecaf888",
                AAD,
                P,
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
                 21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091\
                 5bc94fbc3221a5db94fae95ae7121a47",
            ),
            (
                K,
                "cafebabefacedbad",
                AAD,
                P,
                "61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c7423\
                 73806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598\
                 3612d2e79e3b0785561be14aaca2fccb",
            ),
            (
                "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
                "cafebabefacedbaddecaf888",
                AAD,
                P,
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                 8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662\
                 76fc6ece0f4e1768cddf8853bb2d551b",
            ),
        ];
        for (k, iv, aad, p, c) in cases {
            let (k, m) = (aes(k), param(iv, aad, 128));
            assert_eq!(
                hex::encode(single(CKM_AES_GCM, &m, &k, true, &h(p)).unwrap()),
                c
            );
            assert_eq!(single(CKM_AES_GCM, &m, &k, false, &h(c)).unwrap(), h(p));
            assert_eq!(
                chunked(CKM_AES_GCM, &m, &k, true, &h(p), ODD_CHUNKS).unwrap(),
                h(c)
            );
            assert_eq!(
                chunked(CKM_AES_GCM, &m, &k, false, &h(c), ODD_CHUNKS).unwrap(),
                h(p)
            );
        }
    }

    #[test]
    fn truncated_tags() {
        let k = aes(K);
        let full = single(
            CKM_AES_GCM,
            &param("cafebabefacedbaddecaf888", AAD, 128),
            &k,
            true,
            &h(P),
        )
        .unwrap();
        for bits in [96, 104, 112, 120] {
            let m = param("cafebabefacedbaddecaf888", AAD, bits);
            let c = single(CKM_AES_GCM, &m, &k, true, &h(P)).unwrap();
            assert_eq!(c, full[..60 + bits as usize / 8]);
            assert_eq!(single(CKM_AES_GCM, &m, &k, false, &c).unwrap(), h(P));
            for i in [0, 30, 59, c.len() - 1] {
                let mut bad = c.clone();
                bad[i] ^= 1;
                assert_eq!(
                    single(CKM_AES_GCM, &m, &k, false, &bad),
                    Err(Ckr::ENCRYPTED_DATA_INVALID),
                    "{bits} {i}"
                );
            }
        }
    }

    #[test]
    fn tampering_is_detected_before_any_output() {
        let k = aes(K);
        let m = param("cafebabefacedbaddecaf888", AAD, 128);
        let c = single(CKM_AES_GCM, &m, &k, true, &h(P)).unwrap();
        for i in [0, 59, 60, 75] {
            let mut bad = c.clone();
            bad[i] ^= 0x10;
            let mut d = registry()
                .get(CKM_AES_GCM)
                .unwrap()
                .decrypt(
                    &Mechanism {
                        ty: CKM_AES_GCM,
                        param: m.clone(),
                    },
                    &k,
                )
                .unwrap();
            assert!(d.update(&bad[..40]).unwrap().is_empty());
            assert!(d.update(&bad[40..]).unwrap().is_empty());
            assert_eq!(d.finish(), Err(Ckr::ENCRYPTED_DATA_INVALID));
        }
        let other_aad = param("cafebabefacedbaddecaf888", "feedface", 128);
        assert_eq!(
            single(CKM_AES_GCM, &other_aad, &k, false, &c),
            Err(Ckr::ENCRYPTED_DATA_INVALID)
        );
        assert_eq!(
            single(CKM_AES_GCM, &m, &k, false, &c[..15]),
            Err(Ckr::ENCRYPTED_DATA_LEN_RANGE)
        );
    }

    #[test]
    fn parameters_are_checked() {
        let k = aes(K);
        let gcm = registry().get(CKM_AES_GCM).unwrap();
        let iv12 = "cafebabefacedbaddecaf888";
        for bad in [
            MechParam::None,
            MechParam::Bytes(h(iv12)),
            param(iv12, "", 64),
            param(iv12, "", 100),
            param(iv12, "", 136),
            param("cafebabefacedb", "", 128),
            param(&"ab".repeat(17), "", 128),
            param("", "", 128),
        ] {
            let m = Mechanism {
                ty: CKM_AES_GCM,
                param: bad,
            };
            assert_eq!(
                gcm.encrypt(&m, &k).err(),
                Some(Ckr::MECHANISM_PARAM_INVALID),
                "{:?}",
                m.param
            );
        }
        for n in [8, 9, 12, 16, 32, 64, 128] {
            let m = param(&"01".repeat(n), "", 128);
            let c = single(CKM_AES_GCM, &m, &k, true, b"data").unwrap();
            assert_eq!(single(CKM_AES_GCM, &m, &k, false, &c).unwrap(), b"data");
        }
    }

    #[test]
    fn wraps_and_unwraps() {
        let k = aes(K);
        let m = Mechanism {
            ty: CKM_AES_GCM,
            param: param("cafebabefacedbaddecaf888", "", 128),
        };
        let gcm = registry().get(CKM_AES_GCM).unwrap();
        let wrapped = gcm.wrap(&m, &k, &[7; 32]).unwrap();
        assert_eq!(wrapped.len(), 48);
        assert_eq!(gcm.unwrap(&m, &k, &wrapped).unwrap().as_slice(), &[7; 32]);
        let mut bad = wrapped.clone();
        bad[3] ^= 1;
        assert_eq!(
            gcm.unwrap(&m, &k, &bad).err(),
            Some(Ckr::WRAPPED_KEY_INVALID)
        );
        assert_eq!(
            gcm.unwrap(&m, &k, &wrapped[..10]).err(),
            Some(Ckr::WRAPPED_KEY_LEN_RANGE)
        );
    }
}
