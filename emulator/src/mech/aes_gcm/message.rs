//! CKM_AES_GCM for the message-based functions (C_MessageEncryptInit, …):
//! each message brings its own IV, associated data and tag
//! (CK_GCM_MESSAGE_PARAMS), under the limits of CK_GCM_PARAMS, and the tag
//! travels apart from the ciphertext. An encryption's IVs are generated here,
//! as CK_GCM_MESSAGE_PARAMS's generator asks, so IV uniqueness is kept where
//! the key is.

use super::{open, seal, Params, FULL_TAG};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::aes::aes_key;
use crate::mech::message::{MessageCipher, MessageParams};
use crate::mech::{rng, MechParam, Mechanism};
use cryptoki_sys::{
    CKG_GENERATE, CKG_GENERATE_COUNTER, CKG_GENERATE_COUNTER_XOR, CKG_GENERATE_RANDOM,
    CKG_NO_GENERATE, CKM_AES_GCM,
};
use zeroize::Zeroizing;

/// One AES key's message-based process, in one direction.
pub(super) struct GcmMessages {
    key: Value,
    encrypt: bool,
    /// The next value of the IV counter (CKG_GENERATE_COUNTER,
    /// CKG_GENERATE_COUNTER_XOR): per process, so no two messages of one
    /// process get the same counter.
    counter: u64,
    /// The IV CKG_GENERATE_COUNTER_XOR applies the counter to: the one of the
    /// process's first such message. Callers that pass back the buffer the
    /// module wrote would otherwise XOR counters into earlier IVs, and
    /// B ⊕ 1 ⊕ 2 ⊕ 3 = B repeats the first IV at the fourth message.
    xor_base: Option<Vec<u8>>,
    /// Where random IV bits come from: the module's DRBG (fixed bytes in
    /// tests).
    random: fn(&mut [u8]) -> Result<()>,
}

/// A message's parameters as CK_GCM_PARAMS, checked; the tag buffer must be
/// as long as the tag length says.
fn gcm_params(p: &MessageParams, aad: &[u8]) -> Result<Params> {
    let tag_bytes = usize::try_from(p.tag_bits / 8).map_err(|_| Ckr::MECHANISM_PARAM_INVALID)?;
    let params = Params::read(&Mechanism {
        ty: CKM_AES_GCM,
        param: MechParam::Gcm {
            iv: p.iv.clone(),
            aad: aad.to_vec(),
            tag_bits: p.tag_bits,
        },
    })?;
    if p.tag.len() != tag_bytes {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    Ok(params)
}

impl GcmMessages {
    /// The key's value, checked as for C_EncryptInit.
    pub(super) fn new(key: &Attributes, encrypt: bool) -> Result<GcmMessages> {
        Ok(GcmMessages {
            key: Value::new(aes_key(key)?.to_vec()),
            encrypt,
            counter: 0,
            xor_base: None,
            random: rng::fill,
        })
    }

    /// The IV of an encryption, generated into `p.iv` as its generator says:
    /// the leading `fixed_bits` bits are kept, the others are a counter or
    /// random. A counter that no longer fits is CKR_MECHANISM_PARAM_INVALID,
    /// never a repeated IV.
    fn generate_iv(&mut self, p: &mut MessageParams) -> Result<()> {
        let bits = p.iv.len() * 8;
        let fixed = usize::try_from(p.fixed_bits).map_err(|_| Ckr::MECHANISM_PARAM_INVALID)?;
        if fixed > bits {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
        let free = bits - fixed;
        // Bit k counted from the IV's last (least significant) bit.
        let set = |iv: &mut [u8], k: usize, v: bool, xor: bool| {
            let (byte, mask) = (iv.len() - 1 - k / 8, 1u8 << (k % 8));
            if xor {
                if v {
                    iv[byte] ^= mask;
                }
            } else if v {
                iv[byte] |= mask;
            } else {
                iv[byte] &= !mask;
            }
        };
        match p.generator {
            CKG_NO_GENERATE => {}
            CKG_GENERATE_COUNTER | CKG_GENERATE_COUNTER_XOR => {
                let c = self.counter;
                if free < 64 && c >> free != 0 {
                    return Err(Ckr::MECHANISM_PARAM_INVALID);
                }
                let xor = p.generator == CKG_GENERATE_COUNTER_XOR;
                if xor {
                    let base = self.xor_base.get_or_insert_with(|| p.iv.clone());
                    if base.len() != p.iv.len() {
                        return Err(Ckr::MECHANISM_PARAM_INVALID);
                    }
                    p.iv.copy_from_slice(base);
                }
                self.counter = c.checked_add(1).ok_or(Ckr::MECHANISM_PARAM_INVALID)?;
                for k in 0..free {
                    set(&mut p.iv, k, k < 64 && (c >> k) & 1 == 1, xor);
                }
            }
            // "The token decides": random free bits, so that two sessions
            // (or processes) using one key do not count through the same IVs.
            CKG_GENERATE | CKG_GENERATE_RANDOM => {
                let mut r = Zeroizing::new(vec![0u8; p.iv.len()]);
                (self.random)(&mut r)?;
                for k in 0..free {
                    let v = r[r.len() - 1 - k / 8] & (1 << (k % 8)) != 0;
                    set(&mut p.iv, k, v, false);
                }
            }
            _ => return Err(Ckr::MECHANISM_PARAM_INVALID),
        }
        Ok(())
    }
}

impl MessageCipher for GcmMessages {
    fn check(&self, p: &MessageParams) -> Result<()> {
        gcm_params(p, &[]).map(drop)
    }

    fn start_message(&mut self, p: &mut MessageParams) -> Result<()> {
        self.check(p)?;
        if self.encrypt {
            self.generate_iv(p)?;
        }
        Ok(())
    }

    fn finish_message(&self, p: &mut MessageParams, aad: &[u8], data: &[u8]) -> Result<Value> {
        let params = gcm_params(p, aad)?;
        if !self.encrypt {
            let mut buf = Value::new(data.to_vec());
            open(&self.key, &params, &mut buf, &p.tag)?;
            return Ok(buf);
        }
        // Room for the tag too, so sealing never grows (copies) the buffer.
        let mut buf = Value::new(Vec::with_capacity(data.len() + FULL_TAG));
        buf.extend_from_slice(data);
        seal(&self.key, &params, &mut buf)?;
        p.tag = buf[data.len()..].to_vec();
        buf.truncate(data.len());
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech::secret::test_keys::aes;
    use cryptoki_sys::{CK_GENERATOR_FUNCTION, CK_ULONG};

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn no_random(_: &mut [u8]) -> Result<()> {
        panic!("no random bytes expected");
    }

    fn messages(encrypt: bool, random: fn(&mut [u8]) -> Result<()>) -> GcmMessages {
        GcmMessages {
            random,
            ..GcmMessages::new(&aes("07070707070707070707070707070707"), encrypt).unwrap()
        }
    }

    fn params(iv: &[u8], fixed_bits: CK_ULONG, generator: CK_GENERATOR_FUNCTION) -> MessageParams {
        MessageParams {
            iv: iv.to_vec(),
            fixed_bits,
            generator,
            tag: vec![0; 16],
            tag_bits: 128,
        }
    }

    #[test]
    fn counter_iv_keeps_fixed_bits_and_counts() {
        let mut m = messages(true, no_random);
        let mut p = params(&[0xAB; 12], 64, CKG_GENERATE_COUNTER);
        m.start_message(&mut p).unwrap();
        assert_eq!(p.iv, [[0xAB; 8].as_slice(), &[0; 4]].concat());
        m.start_message(&mut p).unwrap();
        assert_eq!(p.iv, [[0xAB; 8].as_slice(), &[0, 0, 0, 1]].concat());
        // XOR: the counter (now 2) into the free bits of the first XOR
        // message's IV.
        let mut x = params(&[0xFF; 12], 64, CKG_GENERATE_COUNTER_XOR);
        m.start_message(&mut x).unwrap();
        assert_eq!(
            x.iv,
            [[0xFF; 8].as_slice(), &[0xFF, 0xFF, 0xFF, 0xFD]].concat()
        );
    }

    #[test]
    fn xor_counter_never_repeats_an_iv_when_the_buffer_is_passed_back() {
        let mut m = messages(true, no_random);
        let mut p = params(&[0x5A; 12], 32, CKG_GENERATE_COUNTER_XOR);
        let mut seen = std::collections::HashSet::new();
        // The caller sends back the buffer the module wrote, as clients do.
        for _ in 0..64 {
            m.start_message(&mut p).unwrap();
            assert!(seen.insert(p.iv.clone()), "IV repeated: {:02x?}", p.iv);
            assert_eq!(p.iv[..4], [0x5A; 4], "fixed bits kept");
        }
    }

    #[test]
    fn generate_lets_the_token_pick_random_free_bits() {
        let mut m = messages(true, |b| {
            b.fill(0xC3);
            Ok(())
        });
        let mut p = params(&[0; 12], 32, CKG_GENERATE);
        m.start_message(&mut p).unwrap();
        assert_eq!(p.iv, [[0; 4].as_slice(), &[0xC3; 8]].concat());
    }

    #[test]
    fn counter_that_no_longer_fits_is_refused() {
        let mut m = messages(true, no_random);
        // 2 free bits: counters 0..=3, then refused rather than repeated.
        let mut p = params(&[0; 12], 94, CKG_GENERATE_COUNTER);
        let mut seen = Vec::new();
        for _ in 0..4 {
            m.start_message(&mut p).unwrap();
            seen.push(p.iv[11]);
        }
        assert_eq!(seen, [0, 1, 2, 3]);
        assert_eq!(m.start_message(&mut p), Err(Ckr::MECHANISM_PARAM_INVALID));
        let mut too_many = params(&[0; 12], 97, CKG_GENERATE_COUNTER);
        assert_eq!(
            m.start_message(&mut too_many),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let mut unknown = params(&[0; 12], 0, 99);
        assert_eq!(
            m.start_message(&mut unknown),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }

    #[test]
    fn random_iv_keeps_fixed_bits() {
        let mut m = messages(true, |b| {
            b.fill(0xFF);
            Ok(())
        });
        // 4 fixed bits of 0x05…: the rest random (all ones here).
        let mut p = params(&[0x05; 12], 4, CKG_GENERATE_RANDOM);
        m.start_message(&mut p).unwrap();
        assert_eq!(p.iv[0], 0x0F);
        assert!(p.iv[1..].iter().all(|&b| b == 0xFF));
        let mut none = params(&[0x05; 12], 0, CKG_NO_GENERATE);
        m.start_message(&mut none).unwrap();
        assert_eq!(none.iv, [0x05; 12]);
    }

    #[test]
    fn decryption_generates_no_iv() {
        let mut m = messages(false, no_random);
        let mut p = params(&[0x05; 12], 0, CKG_GENERATE_RANDOM);
        m.start_message(&mut p).unwrap();
        assert_eq!(p.iv, [0x05; 12]);
    }

    /// The GCM specification's test case 4 (AES-128, 60-byte plaintext,
    /// 20 bytes of AAD, 96-bit IV), through the message-based ciphers.
    #[test]
    fn messages_match_gcm_spec_test_case_4() {
        let key = aes("feffe9928665731c6d6a8f9467308308");
        let enc = GcmMessages::new(&key, true).unwrap();
        let dec = GcmMessages::new(&key, false).unwrap();
        let iv = h("cafebabefacedbaddecaf888");
        let aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let pt = h(concat!(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
        ));
        let ct = h(concat!(
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e",
            "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
        ));
        let tag = h("5bc94fbc3221a5db94fae95ae7121a47");
        let mut p = params(&iv, 0, CKG_NO_GENERATE);
        let c = enc.finish_message(&mut p, &aad, &pt).unwrap();
        assert_eq!(c.as_slice(), ct.as_slice());
        assert_eq!(p.tag, tag);
        assert_eq!(
            dec.finish_message(&mut p, &aad, &ct).unwrap().as_slice(),
            pt
        );

        // A 96-bit tag is the full one truncated.
        let mut short = MessageParams {
            tag: vec![0; 12],
            tag_bits: 96,
            ..p.clone()
        };
        enc.finish_message(&mut short, &aad, &pt).unwrap();
        assert_eq!(short.tag, tag[..12]);
        assert_eq!(
            dec.finish_message(&mut short, &aad, &ct)
                .unwrap()
                .as_slice(),
            pt
        );

        let mut bad = p.clone();
        bad.tag[0] ^= 1;
        assert_eq!(
            dec.finish_message(&mut bad, &aad, &ct),
            Err(Ckr::ENCRYPTED_DATA_INVALID)
        );
        let mut wrong_len = MessageParams {
            tag: vec![0; 12],
            ..p.clone()
        };
        assert_eq!(enc.check(&wrong_len), Err(Ckr::MECHANISM_PARAM_INVALID));
        assert_eq!(
            dec.finish_message(&mut wrong_len, &aad, &ct),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let short_tag_bits = MessageParams {
            tag: vec![0; 8],
            tag_bits: 64,
            ..p.clone()
        };
        assert_eq!(
            enc.check(&short_tag_bits),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let no_iv = MessageParams {
            iv: vec![],
            ..p.clone()
        };
        assert_eq!(enc.check(&no_iv), Err(Ckr::MECHANISM_PARAM_INVALID));
    }
}
