//! CKM_AES_GCM, on aws-lc's AEAD (AES-NI/VAES and carry-less multiplication;
//! aws-lc-rs links the same code but takes 96-bit nonces only). Multi-part
//! operations buffer their input and do the work at finish, so a decryption
//! checks the tag before it releases any plaintext.
//!
//! IVs of 1 to 4096 bytes are accepted (12 is the recommended length; GCM
//! hashes any other into its initial counter block); tags of 12 to 16 bytes
//! are the full tag truncated.

mod message;

use super::aes::aes_key;
use super::aws_lc::clear_errors;
use super::secret::{self, append, one_shot};
use super::{info, Cipher, MechParam, Mechanism, MechanismImpl, MessageCipher, Registry};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use aws_lc_sys::{
    EVP_AEAD_CTX_free, EVP_AEAD_CTX_new, EVP_AEAD_CTX_open_gather, EVP_AEAD_CTX_seal_scatter,
    EVP_aead_aes_128_gcm, EVP_aead_aes_192_gcm, EVP_aead_aes_256_gcm, EVP_AEAD_CTX,
};
use cryptoki_sys::*;
use message::GcmMessages;
use std::ptr::{null, NonNull};
use zeroize::Zeroize;

/// The full GCM tag length in bytes.
const FULL_TAG: usize = 16;

/// Whether this IV length is offered: GCM takes any non-empty IV; the bound
/// only keeps a caller from making the module hash megabytes of IV.
fn iv_len_supported(n: usize) -> bool {
    (1..=4096).contains(&n)
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

/// An aws-lc AEAD context: one AES key, one tag length. aws-lc frees it with
/// OPENSSL_free, which wipes it, key schedule included.
struct Aead(NonNull<EVP_AEAD_CTX>);

impl Aead {
    fn new(key: &[u8], tag_len: usize) -> Result<Aead> {
        // SAFETY: no arguments; each returns a pointer to a static table.
        let aead = unsafe {
            match key.len() {
                16 => EVP_aead_aes_128_gcm(),
                24 => EVP_aead_aes_192_gcm(),
                32 => EVP_aead_aes_256_gcm(),
                _ => return Err(Ckr::KEY_SIZE_RANGE),
            }
        };
        // SAFETY: reads `key.len()` bytes of a live slice; returns a new
        // context or NULL. Tags of 1 to 16 bytes are accepted.
        let ctx = unsafe { EVP_AEAD_CTX_new(aead, key.as_ptr(), key.len(), tag_len) };
        NonNull::new(ctx).map(Aead).ok_or_else(|| {
            clear_errors();
            Ckr::HOST_MEMORY
        })
    }
}

impl Drop for Aead {
    fn drop(&mut self) {
        // SAFETY: the context is owned and freed once.
        unsafe { EVP_AEAD_CTX_free(self.0.as_ptr()) }
    }
}

/// Encrypt `buf` in place and append the tag (truncated to the parameters'
/// length).
fn seal(key: &[u8], p: &Params, buf: &mut Value) -> Result<()> {
    let aead = Aead::new(key, p.tag_len)?;
    let mut tag = [0u8; FULL_TAG];
    let mut tag_len = 0;
    let (data, len) = (buf.as_mut_ptr(), buf.len());
    // SAFETY: the data is read and written in place, which aws-lc allows
    // when input and output are the same buffer; `tag` has room for the
    // FULL_TAG bytes stated; IV and AAD are live slices of the lengths given.
    let ok = unsafe {
        EVP_AEAD_CTX_seal_scatter(
            aead.0.as_ptr(),
            data,
            tag.as_mut_ptr(),
            &mut tag_len,
            FULL_TAG,
            p.iv.as_ptr(),
            p.iv.len(),
            data,
            len,
            null(),
            0,
            p.aad.as_ptr(),
            p.aad.len(),
        )
    };
    if ok != 1 {
        // Only an input beyond GCM's limit (2^36 - 32 bytes) fails here.
        clear_errors();
        return Err(Ckr::DATA_LEN_RANGE);
    }
    append(buf, &tag[..tag_len]);
    Ok(())
}

/// Check `tag` and decrypt `buf` in place. aws-lc decrypts before it
/// compares the tag, so on a wrong tag the buffer is wiped here, before
/// anyone sees it.
fn open(key: &[u8], p: &Params, buf: &mut Value, tag: &[u8]) -> Result<()> {
    let aead = Aead::new(key, p.tag_len)?;
    let (data, len) = (buf.as_mut_ptr(), buf.len());
    // SAFETY: decryption in place, as for sealing; the tag, IV and AAD are
    // live slices of the lengths given.
    let ok = unsafe {
        EVP_AEAD_CTX_open_gather(
            aead.0.as_ptr(),
            data,
            p.iv.as_ptr(),
            p.iv.len(),
            data,
            len,
            tag.as_ptr(),
            tag.len(),
            p.aad.as_ptr(),
            p.aad.len(),
        )
    };
    if ok != 1 {
        buf.zeroize();
        clear_errors();
        return Err(Ckr::ENCRYPTED_DATA_INVALID);
    }
    Ok(())
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
        info(
            16,
            32,
            CKF_ENCRYPT
                | CKF_DECRYPT
                | CKF_WRAP
                | CKF_UNWRAP
                | CKF_MESSAGE_ENCRYPT
                | CKF_MESSAGE_DECRYPT,
        )
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
    fn message_encrypt(&self, _m: &Mechanism, key: &Attributes) -> Result<Box<dyn MessageCipher>> {
        Ok(Box::new(GcmMessages::new(key, true)?))
    }
    fn message_decrypt(&self, _m: &Mechanism, key: &Attributes) -> Result<Box<dyn MessageCipher>> {
        Ok(Box::new(GcmMessages::new(key, false)?))
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
        if self.data.is_empty() {
            // Room for the tag as well: a single-part encryption's buffer
            // then never grows, which would copy it and wipe the old one.
            self.data.reserve_exact(input.len() + FULL_TAG);
        }
        append(&mut self.data, input);
        Ok(Value::new(Vec::new()))
    }

    fn finish(&mut self) -> Result<Value> {
        let mut data = std::mem::replace(&mut self.data, Value::new(Vec::new()));
        let tag_len = self.params.tag_len;
        if self.encrypt {
            seal(&self.key, &self.params, &mut data)?;
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
            param(&"ab".repeat(4097), "", 128),
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
        for n in [1, 2, 7, 8, 9, 12, 16, 17, 32, 64, 128, 257, 4096] {
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

    #[test]
    fn message_flags_are_offered() {
        let f = AesGcmMech.info().flags;
        assert_ne!(f & CKF_MESSAGE_ENCRYPT, 0);
        assert_ne!(f & CKF_MESSAGE_DECRYPT, 0);
    }
}
