//! CKM_AES_CTR: counter mode with the PKCS#11 counter block, whose low
//! `counter_bits` bits count blocks and whose other bits never change.

use super::aes::{aes_key, with_aes, BLOCK};
use super::{info, Cipher, MechParam, Mechanism, MechanismImpl, Registry};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use cryptoki_sys::*;
use ctr::cipher::{KeyIvInit, StreamCipher};

/// CKM_AES_CTR.
struct AesCtr;

/// How many bytes a counter block allows before its counter bits would wrap,
/// or None when that exceeds any amount of data a process can handle.
fn byte_limit(counter_bits: CK_ULONG, cb: &[u8; 16]) -> Result<Option<u128>> {
    if !(1..=128).contains(&counter_bits) {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    let counter = u128::from_be_bytes(*cb);
    let blocks = if counter_bits == 128 {
        // 2^128 - counter, which only fits when counter > 0.
        (counter != 0).then(|| u128::MAX - counter + 1)
    } else {
        let span = 1u128 << counter_bits;
        Some(span - (counter & (span - 1)))
    };
    Ok(blocks.and_then(|b| b.checked_mul(BLOCK as u128)))
}

impl AesCtr {
    fn start(&self, m: &Mechanism, key: &Attributes, len_error: Ckr) -> Result<Box<dyn Cipher>> {
        let key = aes_key(key)?;
        let MechParam::Ctr { counter_bits, cb } = &m.param else {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        };
        let limit = byte_limit(*counter_bits, cb)?;
        // The library counter spans all 128 bits; refusing to pass the limit
        // keeps it from ever carrying into the fixed bits.
        with_aes!(key, A => {
            let cipher = ctr::Ctr128BE::<A>::new_from_slices(key, cb).map_err(|_| Ckr::MECHANISM_PARAM_INVALID)?;
            Ok(Box::new(CtrOp { cipher, used: 0, limit, len_error }) as Box<dyn Cipher>)
        })
    }
}

impl MechanismImpl for AesCtr {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        CKM_AES_CTR
    }
    fn name(&self) -> &'static str {
        "CKM_AES_CTR"
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        info(16, 32, CKF_ENCRYPT | CKF_DECRYPT)
    }
    fn encrypt(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Cipher>> {
        self.start(m, key, Ckr::DATA_LEN_RANGE)
    }
    fn decrypt(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Cipher>> {
        self.start(m, key, Ckr::ENCRYPTED_DATA_LEN_RANGE)
    }
}

/// A running CTR operation: a stream, so every update outputs what it got.
struct CtrOp<C> {
    cipher: C,
    used: u128,
    limit: Option<u128>,
    len_error: Ckr,
}

impl<C: StreamCipher + Send> Cipher for CtrOp<C> {
    fn update(&mut self, input: &[u8]) -> Result<Value> {
        let used = self
            .used
            .checked_add(input.len() as u128)
            .ok_or(self.len_error)?;
        if self.limit.is_some_and(|limit| used > limit) {
            return Err(self.len_error);
        }
        let mut out = Value::new(input.to_vec());
        self.cipher
            .try_apply_keystream(&mut out)
            .map_err(|_| self.len_error)?;
        self.used = used;
        Ok(out)
    }

    fn finish(&mut self) -> Result<Value> {
        Ok(Value::new(Vec::new()))
    }
}

pub(crate) fn register(r: &mut Registry) {
    r.add(AesCtr);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech::registry;
    use crate::mech::secret::test_keys::{aes, chunked, single, ODD_CHUNKS};

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn param(counter_bits: CK_ULONG, cb: &str) -> MechParam {
        MechParam::Ctr {
            counter_bits,
            cb: h(cb).try_into().unwrap(),
        }
    }

    const K128: &str = "2b7e151628aed2a6abf7158809cf4f3c";

    /// SP 800-38A F.5.1 / F.5.5.
    #[test]
    fn sp800_38a_vectors() {
        let p = h(
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                   30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
        );
        let cb = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
        for (key, ct) in [
            (
                K128,
                "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff\
                 5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
            ),
            (
                "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
                "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5\
                 2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
            ),
        ] {
            // 32 counter bits suffice: 0xfcfdfeff + 4 does not wrap.
            for bits in [32, 64, 128] {
                let k = aes(key);
                assert_eq!(
                    hex::encode(single(CKM_AES_CTR, &param(bits, cb), &k, true, &p).unwrap()),
                    ct
                );
                assert_eq!(
                    single(CKM_AES_CTR, &param(bits, cb), &k, false, &h(ct)).unwrap(),
                    p
                );
                assert_eq!(
                    chunked(CKM_AES_CTR, &param(bits, cb), &k, true, &p, ODD_CHUNKS).unwrap(),
                    h(ct)
                );
            }
        }
    }

    #[test]
    fn counter_never_wraps() {
        let k = aes(K128);
        // Eight counter bits starting at 0xfe: two blocks, then the counter
        // would wrap into the fixed bits.
        let cb = "000102030405060708090a0b0c0d0efe";
        let full = single(CKM_AES_CTR, &param(128, cb), &k, true, &[0; 32]).unwrap();
        assert_eq!(
            single(CKM_AES_CTR, &param(8, cb), &k, true, &[0; 32]).unwrap(),
            full
        );
        assert_eq!(
            single(CKM_AES_CTR, &param(8, cb), &k, true, &[0; 33]),
            Err(Ckr::DATA_LEN_RANGE)
        );
        assert_eq!(
            single(CKM_AES_CTR, &param(8, cb), &k, false, &[0; 33]),
            Err(Ckr::ENCRYPTED_DATA_LEN_RANGE)
        );
        // Multi-part: the refused update leaves the operation where it was.
        let m = Mechanism {
            ty: CKM_AES_CTR,
            param: param(8, cb),
        };
        let mut c = registry()
            .get(CKM_AES_CTR)
            .unwrap()
            .encrypt(&m, &k)
            .unwrap();
        assert_eq!(c.update(&[0; 20]).unwrap().as_slice(), &full[..20]);
        assert_eq!(c.update(&[0; 13]).err(), Some(Ckr::DATA_LEN_RANGE));
        assert_eq!(c.update(&[0; 12]).unwrap().as_slice(), &full[20..]);
        assert_eq!(c.update(&[0; 1]).err(), Some(Ckr::DATA_LEN_RANGE));
        // One counter bit, already set: exactly one block.
        let odd = "000000000000000000000000000000ff";
        assert!(single(CKM_AES_CTR, &param(1, odd), &k, true, &[0; 16]).is_ok());
        assert_eq!(
            single(CKM_AES_CTR, &param(1, odd), &k, true, &[0; 17]),
            Err(Ckr::DATA_LEN_RANGE)
        );
        // All 128 bits, all ones: one block.
        let ones = "ffffffffffffffffffffffffffffffff";
        assert!(single(CKM_AES_CTR, &param(128, ones), &k, true, &[0; 16]).is_ok());
        assert_eq!(
            single(CKM_AES_CTR, &param(128, ones), &k, true, &[0; 17]),
            Err(Ckr::DATA_LEN_RANGE)
        );
    }

    #[test]
    fn limits() {
        let cb = |s: &str| -> [u8; 16] { h(s).try_into().unwrap() };
        assert_eq!(byte_limit(0, &[0; 16]), Err(Ckr::MECHANISM_PARAM_INVALID));
        assert_eq!(byte_limit(129, &[0; 16]), Err(Ckr::MECHANISM_PARAM_INVALID));
        assert_eq!(byte_limit(128, &[0; 16]), Ok(None));
        assert_eq!(
            byte_limit(32, &cb("ffffffffffffffffffffffff00000001")),
            Ok(Some(16 * 0xffff_ffff))
        );
        assert_eq!(byte_limit(64, &[0; 16]), Ok(Some(16 << 64)));
    }

    #[test]
    fn parameter_is_required() {
        let k = aes(K128);
        let ctr = registry().get(CKM_AES_CTR).unwrap();
        for bad in [
            MechParam::None,
            MechParam::Bytes(vec![0; 16]),
            param(0, "00000000000000000000000000000000"),
        ] {
            assert_eq!(
                ctr.encrypt(
                    &Mechanism {
                        ty: CKM_AES_CTR,
                        param: bad
                    },
                    &k
                )
                .err(),
                Some(Ckr::MECHANISM_PARAM_INVALID)
            );
        }
    }
}
