//! AES key generation and the block modes ECB, CBC and CBC with PKCS#7
//! padding. CTR and GCM live in their own modules.

use super::secret::{
    self, append, check_template_key_type, no_param, one_shot, secret_key, value_len,
};
use super::{info, Cipher, MechParam, Mechanism, MechanismImpl, Registry};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use cbc::cipher::block_padding::{Pkcs7, RawPadding};
use cbc::cipher::consts::U16;
use cbc::cipher::inout::InOutBuf;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, BlockSizeUser, KeyInit, KeyIvInit};
use cryptoki_sys::*;
use std::ops::RangeInclusive;

/// AES block size in bytes.
pub(crate) const BLOCK: usize = 16;

/// AES key lengths in bytes.
pub(crate) const KEY_SIZES: RangeInclusive<usize> = 16..=32;

/// Run `$body` with `$A` bound to the AES type for a key of `$key`'s length;
/// any other length is CKR_KEY_SIZE_RANGE.
macro_rules! with_aes {
    ($key:expr, $A:ident => $body:expr) => {
        match $key.len() {
            16 => {
                type $A = ::aes::Aes128;
                $body
            }
            24 => {
                type $A = ::aes::Aes192;
                $body
            }
            32 => {
                type $A = ::aes::Aes256;
                $body
            }
            _ => Err($crate::error::Ckr::KEY_SIZE_RANGE.into()),
        }
    };
}
pub(crate) use with_aes;

/// The value of an AES key object.
pub(crate) fn aes_key(key: &Attributes) -> Result<&[u8]> {
    let value = secret_key(key, &[CKK_AES], KEY_SIZES)?;
    match value.len() {
        16 | 24 | 32 => Ok(value),
        _ => Err(Ckr::KEY_SIZE_RANGE),
    }
}

/// CKM_AES_KEY_GEN.
struct KeyGen;

impl MechanismImpl for KeyGen {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        CKM_AES_KEY_GEN
    }
    fn name(&self) -> &'static str {
        "CKM_AES_KEY_GEN"
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        info(16, 32, CKF_GENERATE)
    }
    fn generate_key(&self, m: &Mechanism, template: &Attributes) -> Result<Attributes> {
        no_param(m)?;
        check_template_key_type(template, CKK_AES)?;
        let len = value_len(template, KEY_SIZES)?;
        if !matches!(len, 16 | 24 | 32) {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        secret::random_key(CKK_AES, len)
    }
}

/// The three block modes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ecb,
    Cbc,
    CbcPad,
}

/// CKM_AES_ECB, CKM_AES_CBC or CKM_AES_CBC_PAD.
struct BlockMode {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    mode: Mode,
}

impl BlockMode {
    /// The IV: none for ECB, 16 bytes for the CBC modes.
    fn iv<'a>(&self, m: &'a Mechanism) -> Result<&'a [u8]> {
        match (self.mode, &m.param) {
            (Mode::Ecb, MechParam::None) => Ok(&[]),
            (Mode::Cbc | Mode::CbcPad, MechParam::Bytes(iv)) if iv.len() == BLOCK => Ok(iv),
            _ => Err(Ckr::MECHANISM_PARAM_INVALID),
        }
    }
}

impl MechanismImpl for BlockMode {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        // Wrapping with the unpadded modes would need the key length out of
        // band; only the padded mode offers it.
        let wrap = if self.mode == Mode::CbcPad {
            CKF_WRAP | CKF_UNWRAP
        } else {
            0
        };
        info(16, 32, CKF_ENCRYPT | CKF_DECRYPT | wrap)
    }

    fn encrypt(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Cipher>> {
        let key = aes_key(key)?;
        let iv = self.iv(m)?;
        with_aes!(key, A => Ok(match self.mode {
            Mode::Ecb => Box::new(Unpadded::new(Enc(new_cipher::<A>(key)?), Ckr::DATA_LEN_RANGE)),
            Mode::Cbc => Box::new(Unpadded::new(Enc(new_cbc::<cbc::Encryptor<A>>(key, iv)?), Ckr::DATA_LEN_RANGE)),
            Mode::CbcPad => Box::new(PadEncrypt(Unpadded::new(Enc(new_cbc::<cbc::Encryptor<A>>(key, iv)?), Ckr::DATA_LEN_RANGE))),
        }))
    }

    fn decrypt(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Cipher>> {
        let key = aes_key(key)?;
        let iv = self.iv(m)?;
        let e = Ckr::ENCRYPTED_DATA_LEN_RANGE;
        with_aes!(key, A => Ok(match self.mode {
            Mode::Ecb => Box::new(Unpadded::new(Dec(new_cipher::<A>(key)?), e)),
            Mode::Cbc => Box::new(Unpadded::new(Dec(new_cbc::<cbc::Decryptor<A>>(key, iv)?), e)),
            Mode::CbcPad => Box::new(PadDecrypt(Unpadded::new(Dec(new_cbc::<cbc::Decryptor<A>>(key, iv)?), e))),
        }))
    }

    fn wrap(&self, m: &Mechanism, wrapping_key: &Attributes, key_value: &[u8]) -> Result<Vec<u8>> {
        if self.mode != Mode::CbcPad {
            return Err(Ckr::MECHANISM_INVALID);
        }
        let cipher = self.encrypt(m, wrapping_key)?;
        Ok(one_shot(cipher, key_value)
            .map_err(secret::wrap_error)?
            .to_vec())
    }

    fn unwrap(&self, m: &Mechanism, unwrapping_key: &Attributes, wrapped: &[u8]) -> Result<Value> {
        if self.mode != Mode::CbcPad {
            return Err(Ckr::MECHANISM_INVALID);
        }
        one_shot(self.decrypt(m, unwrapping_key)?, wrapped).map_err(secret::unwrap_error)
    }
}

fn new_cipher<C: KeyInit>(key: &[u8]) -> Result<C> {
    C::new_from_slice(key).map_err(|_| Ckr::KEY_SIZE_RANGE)
}

fn new_cbc<C: KeyIvInit>(key: &[u8], iv: &[u8]) -> Result<C> {
    C::new_from_slices(key, iv).map_err(|_| Ckr::MECHANISM_PARAM_INVALID)
}

/// A block-mode transform over whole blocks, in place.
trait Blocks: Send {
    fn apply(&mut self, data: &mut [u8]);
}

/// Encryption with a block mode (or a bare block cipher, for ECB).
struct Enc<M>(M);

/// Decryption with a block mode (or a bare block cipher, for ECB).
struct Dec<M>(M);

impl<M: BlockEncryptMut + BlockSizeUser<BlockSize = U16> + Send> Blocks for Enc<M> {
    fn apply(&mut self, data: &mut [u8]) {
        let (blocks, _) = InOutBuf::from(data).into_chunks();
        self.0.encrypt_blocks_inout_mut(blocks);
    }
}

impl<M: BlockDecryptMut + BlockSizeUser<BlockSize = U16> + Send> Blocks for Dec<M> {
    fn apply(&mut self, data: &mut [u8]) {
        let (blocks, _) = InOutBuf::from(data).into_chunks();
        self.0.decrypt_blocks_inout_mut(blocks);
    }
}

/// ECB or CBC without padding: whole blocks go through at once, a partial
/// block waits for more input, and one left at the end is `len_error`.
struct Unpadded<B> {
    blocks: B,
    pending: Value,
    len_error: Ckr,
}

impl<B: Blocks> Unpadded<B> {
    fn new(blocks: B, len_error: Ckr) -> Self {
        Unpadded {
            blocks,
            pending: Value::new(Vec::with_capacity(2 * BLOCK)),
            len_error,
        }
    }

    /// Process pending input plus `input`, holding back `keep(total)` bytes.
    fn process(&mut self, input: &[u8], keep: impl Fn(usize) -> usize) -> Value {
        let mut data = secret::concat(&self.pending, input);
        let ready = data.len() - keep(data.len());
        self.pending.clear();
        append(&mut self.pending, &data[ready..]);
        data.truncate(ready);
        self.blocks.apply(&mut data);
        data
    }
}

impl<B: Blocks> Cipher for Unpadded<B> {
    fn update(&mut self, input: &[u8]) -> Result<Value> {
        Ok(self.process(input, |n| n % BLOCK))
    }

    fn finish(&mut self) -> Result<Value> {
        if self.pending.is_empty() {
            Ok(Value::new(Vec::new()))
        } else {
            Err(self.len_error)
        }
    }
}

/// CBC_PAD encryption: the final partial (or empty) block is padded.
struct PadEncrypt<B>(Unpadded<B>);

impl<B: Blocks> Cipher for PadEncrypt<B> {
    fn update(&mut self, input: &[u8]) -> Result<Value> {
        self.0.update(input)
    }

    fn finish(&mut self) -> Result<Value> {
        let mut last = Value::new(vec![0u8; BLOCK]);
        let n = self.0.pending.len();
        last[..n].copy_from_slice(&self.0.pending);
        Pkcs7::raw_pad(&mut last, n);
        self.0.pending.clear();
        self.0.blocks.apply(&mut last);
        Ok(last)
    }
}

/// CBC_PAD decryption: the last whole block is held back until `finish`,
/// which checks and strips its padding.
struct PadDecrypt<B>(Unpadded<B>);

impl<B: Blocks> Cipher for PadDecrypt<B> {
    fn update(&mut self, input: &[u8]) -> Result<Value> {
        Ok(self.0.process(input, |n| match n % BLOCK {
            0 => n.min(BLOCK),
            partial => partial,
        }))
    }

    fn finish(&mut self) -> Result<Value> {
        if self.0.pending.len() != BLOCK {
            return Err(Ckr::ENCRYPTED_DATA_LEN_RANGE);
        }
        let mut last = secret::concat(&self.0.pending, &[]);
        self.0.pending.clear();
        self.0.blocks.apply(&mut last);
        let len = Pkcs7::raw_unpad(&last)
            .map_err(|_| Ckr::ENCRYPTED_DATA_INVALID)?
            .len();
        last.truncate(len);
        Ok(last)
    }
}

pub(crate) fn register(r: &mut Registry) {
    r.add(KeyGen);
    r.add(BlockMode {
        ty: CKM_AES_ECB,
        name: "CKM_AES_ECB",
        mode: Mode::Ecb,
    });
    r.add(BlockMode {
        ty: CKM_AES_CBC,
        name: "CKM_AES_CBC",
        mode: Mode::Cbc,
    });
    r.add(BlockMode {
        ty: CKM_AES_CBC_PAD,
        name: "CKM_AES_CBC_PAD",
        mode: Mode::CbcPad,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech::registry;
    use crate::mech::secret::test_keys::{aes, chunked, key, single, ODD_CHUNKS};

    const K128: &str = "2b7e151628aed2a6abf7158809cf4f3c";
    const IV: &str = "000102030405060708090a0b0c0d0e0f";
    /// SP 800-38A F.1/F.2 plaintext.
    const P: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                     30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    fn iv() -> MechParam {
        MechParam::Bytes(hex::decode(IV).unwrap())
    }

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn fips197_single_blocks() {
        let pt = h("00112233445566778899aabbccddeeff");
        for (k, ct) in [
            (
                "000102030405060708090a0b0c0d0e0f",
                "69c4e0d86a7b0430d8cdb78070b4c55a",
            ),
            (
                "000102030405060708090a0b0c0d0e0f1011121314151617",
                "dda97ca4864cdfe06eaf70a0ec0d7191",
            ),
            (
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "8ea2b7ca516745bfeafc49904b496089",
            ),
        ] {
            assert_eq!(
                hex::encode(single(CKM_AES_ECB, &MechParam::None, &aes(k), true, &pt).unwrap()),
                ct
            );
            assert_eq!(
                single(CKM_AES_ECB, &MechParam::None, &aes(k), false, &h(ct)).unwrap(),
                pt
            );
        }
    }

    #[test]
    fn sp800_38a_ecb_and_cbc() {
        let ecb = "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf\
                   43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4";
        let cbc = "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2\
                   73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7";
        let cases = [
            (CKM_AES_ECB, MechParam::None, ecb),
            (CKM_AES_CBC, iv(), cbc),
        ];
        for (ty, param, ct) in cases {
            let k = aes(K128);
            assert_eq!(
                hex::encode(single(ty, &param, &k, true, &h(P)).unwrap()),
                ct
            );
            assert_eq!(
                hex::encode(chunked(ty, &param, &k, true, &h(P), ODD_CHUNKS).unwrap()),
                ct
            );
            assert_eq!(single(ty, &param, &k, false, &h(ct)).unwrap(), h(P));
            assert_eq!(
                chunked(ty, &param, &k, false, &h(ct), ODD_CHUNKS).unwrap(),
                h(P)
            );
        }
    }

    #[test]
    fn cbc_pad_appends_a_full_block_to_aligned_input() {
        let k = aes(K128);
        // Aligned input: the CBC ciphertext, then a block of sixteen 0x10.
        let ct = single(CKM_AES_CBC_PAD, &iv(), &k, true, &h(P)).unwrap();
        assert_eq!(ct.len(), 80);
        assert_eq!(
            ct[..64],
            single(CKM_AES_CBC, &iv(), &k, true, &h(P)).unwrap()
        );
        let mut padded = h(P);
        padded.extend_from_slice(&[16; 16]);
        assert_eq!(ct, single(CKM_AES_CBC, &iv(), &k, true, &padded).unwrap());
        // Short input: padded to one block with the pad length.
        let ct = single(CKM_AES_CBC_PAD, &iv(), &k, true, b"abc").unwrap();
        let mut block = b"abc".to_vec();
        block.extend_from_slice(&[13; 13]);
        assert_eq!(ct, single(CKM_AES_CBC, &iv(), &k, true, &block).unwrap());
    }

    #[test]
    fn cbc_pad_multi_part_equals_single_part_at_every_length() {
        let k = aes("000102030405060708090a0b0c0d0e0f1011121314151617");
        let data: Vec<u8> = (0..70u8).collect();
        for n in 0..=data.len() {
            let ct = single(CKM_AES_CBC_PAD, &iv(), &k, true, &data[..n]).unwrap();
            assert_eq!(ct.len(), (n / 16 + 1) * 16);
            assert_eq!(
                chunked(CKM_AES_CBC_PAD, &iv(), &k, true, &data[..n], ODD_CHUNKS).unwrap(),
                ct
            );
            assert_eq!(
                single(CKM_AES_CBC_PAD, &iv(), &k, false, &ct).unwrap(),
                &data[..n]
            );
            assert_eq!(
                chunked(CKM_AES_CBC_PAD, &iv(), &k, false, &ct, ODD_CHUNKS).unwrap(),
                &data[..n]
            );
        }
    }

    #[test]
    fn cbc_pad_decrypt_holds_back_the_last_block() {
        let k = aes(K128);
        let ct = single(CKM_AES_CBC_PAD, &iv(), &k, true, &[9; 20]).unwrap();
        assert_eq!(ct.len(), 32);
        let mut d = registry()
            .get(CKM_AES_CBC_PAD)
            .unwrap()
            .decrypt(
                &Mechanism {
                    ty: CKM_AES_CBC_PAD,
                    param: iv(),
                },
                &k,
            )
            .unwrap();
        assert_eq!(d.update(&ct[..16]).unwrap().len(), 0);
        assert_eq!(d.update(&ct[16..]).unwrap().as_slice(), &[9; 16]);
        assert_eq!(d.finish().unwrap().as_slice(), &[9; 4]);
    }

    #[test]
    fn cbc_pad_rejects_bad_padding_and_lengths() {
        let k = aes(K128);
        // A block whose plaintext ends in 0x00, then one ending in 0x11 (> 16).
        for last in [0u8, 17] {
            let mut block = [5u8; 16];
            block[15] = last;
            let ct = single(CKM_AES_CBC, &iv(), &k, true, &block).unwrap();
            assert_eq!(
                single(CKM_AES_CBC_PAD, &iv(), &k, false, &ct),
                Err(Ckr::ENCRYPTED_DATA_INVALID)
            );
        }
        // Inconsistent padding bytes.
        let mut block = [3u8; 16];
        block[13] = 2;
        let ct = single(CKM_AES_CBC, &iv(), &k, true, &block).unwrap();
        assert_eq!(
            single(CKM_AES_CBC_PAD, &iv(), &k, false, &ct),
            Err(Ckr::ENCRYPTED_DATA_INVALID)
        );
        for n in [0, 15, 17, 31] {
            assert_eq!(
                single(CKM_AES_CBC_PAD, &iv(), &k, false, &vec![0; n]),
                Err(Ckr::ENCRYPTED_DATA_LEN_RANGE)
            );
        }
    }

    #[test]
    fn unpadded_modes_reject_partial_blocks() {
        let k = aes(K128);
        for (ty, param) in [(CKM_AES_ECB, MechParam::None), (CKM_AES_CBC, iv())] {
            assert_eq!(
                single(ty, &param, &k, true, &[0; 17]),
                Err(Ckr::DATA_LEN_RANGE)
            );
            assert_eq!(
                single(ty, &param, &k, false, &[0; 31]),
                Err(Ckr::ENCRYPTED_DATA_LEN_RANGE)
            );
            assert_eq!(single(ty, &param, &k, true, &[]), Ok(vec![]));
            // The partial block is reported by the call that is left with it.
            let mut c = registry()
                .get(ty)
                .unwrap()
                .encrypt(
                    &Mechanism {
                        ty,
                        param: param.clone(),
                    },
                    &k,
                )
                .unwrap();
            assert_eq!(c.update(&[1; 20]).unwrap().len(), 16);
            assert_eq!(c.update(&[1; 12]).unwrap().len(), 16);
            assert_eq!(c.update(&[1; 1]).unwrap().len(), 0);
            assert_eq!(c.finish(), Err(Ckr::DATA_LEN_RANGE));
        }
    }

    #[test]
    fn parameters_and_keys_are_checked() {
        let k = aes(K128);
        let cbc = registry().get(CKM_AES_CBC).unwrap();
        for bad in [
            MechParam::None,
            MechParam::Bytes(vec![0; 15]),
            MechParam::Ulong(16),
        ] {
            let m = Mechanism {
                ty: CKM_AES_CBC,
                param: bad,
            };
            assert_eq!(
                cbc.encrypt(&m, &k).err(),
                Some(Ckr::MECHANISM_PARAM_INVALID)
            );
        }
        let ecb = registry().get(CKM_AES_ECB).unwrap();
        let with_iv = Mechanism {
            ty: CKM_AES_ECB,
            param: iv(),
        };
        assert_eq!(
            ecb.encrypt(&with_iv, &k).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
        let m = Mechanism {
            ty: CKM_AES_ECB,
            param: MechParam::None,
        };
        assert_eq!(
            ecb.encrypt(&m, &key(CKK_AES, &[0; 20])).err(),
            Some(Ckr::KEY_SIZE_RANGE)
        );
        assert_eq!(
            ecb.encrypt(&m, &key(CKK_GENERIC_SECRET, &[0; 16])).err(),
            Some(Ckr::KEY_TYPE_INCONSISTENT)
        );
        assert_eq!(ecb.sign(&m, &k).err(), Some(Ckr::MECHANISM_INVALID));
        assert_eq!(
            ecb.wrap(&m, &k, &[0; 16]).err(),
            Some(Ckr::MECHANISM_INVALID)
        );
    }

    #[test]
    fn cbc_pad_wraps_and_unwraps() {
        let k = aes(K128);
        let m = Mechanism {
            ty: CKM_AES_CBC_PAD,
            param: iv(),
        };
        let mech = registry().get(CKM_AES_CBC_PAD).unwrap();
        let wrapped = mech.wrap(&m, &k, &[0x42; 20]).unwrap();
        assert_eq!(
            wrapped,
            single(CKM_AES_CBC_PAD, &iv(), &k, true, &[0x42; 20]).unwrap()
        );
        assert_eq!(
            mech.unwrap(&m, &k, &wrapped).unwrap().as_slice(),
            &[0x42; 20]
        );
        assert_eq!(
            mech.unwrap(&m, &k, &wrapped[..31]).err(),
            Some(Ckr::WRAPPED_KEY_LEN_RANGE)
        );
        let mut bad = wrapped.clone();
        bad[15] ^= 0x80; // flips the last plaintext byte: padding 0x0C becomes 0x8C
        assert_eq!(
            mech.unwrap(&m, &k, &bad).err(),
            Some(Ckr::WRAPPED_KEY_INVALID)
        );
    }

    #[test]
    fn key_generation() {
        let keygen = registry().get(CKM_AES_KEY_GEN).unwrap();
        let m = Mechanism {
            ty: CKM_AES_KEY_GEN,
            param: MechParam::None,
        };
        let mut t = Attributes::new();
        assert_eq!(
            keygen.generate_key(&m, &t).err(),
            Some(Ckr::TEMPLATE_INCOMPLETE)
        );
        for bad in [0, 8, 17, 20, 64] {
            t.set_ulong(CKA_VALUE_LEN, bad);
            assert_eq!(
                keygen.generate_key(&m, &t).err(),
                Some(Ckr::ATTRIBUTE_VALUE_INVALID),
                "{bad}"
            );
        }
        for len in [16, 24, 32] {
            t.set_ulong(CKA_VALUE_LEN, len);
            let a = keygen.generate_key(&m, &t).unwrap();
            assert_eq!(a.ulong(CKA_KEY_TYPE).unwrap(), Some(CKK_AES));
            assert_eq!(a.ulong(CKA_VALUE_LEN).unwrap(), Some(len));
            assert_eq!(a.get(CKA_VALUE).unwrap().len() as CK_ULONG, len);
            let b = keygen.generate_key(&m, &t).unwrap();
            assert_ne!(a.get(CKA_VALUE), b.get(CKA_VALUE));
        }
        t.set_ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET);
        assert_eq!(
            keygen.generate_key(&m, &t).err(),
            Some(Ckr::TEMPLATE_INCONSISTENT)
        );
    }
}
