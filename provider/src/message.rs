//! Message-based encryption and decryption (PKCS#11 3.0, C_MessageEncrypt*
//! and C_MessageDecrypt*) with AES-GCM: a process that lasts from
//! C_Message*Init to C_Message*Final, each message with its own IV, tag and
//! associated data, and the IV generators of CK_GCM_MESSAGE_PARAMS.

use crate::output::Output;
use cryptoki_sys::{
    CKG_GENERATE, CKG_GENERATE_COUNTER, CKG_GENERATE_COUNTER_XOR, CKG_GENERATE_RANDOM,
    CKG_NO_GENERATE, CK_GENERATOR_FUNCTION, CK_ULONG,
};
use qrc_emulator::mech::{append, GcmMessageKey};
use qrc_emulator::{Ckr, Result, Value};
use zeroize::Zeroizing;

/// One message's CK_GCM_MESSAGE_PARAMS, copied out of the caller's memory.
/// The ABI layer writes `iv` and `tag` back after an encryption.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageParams {
    pub iv: Vec<u8>,
    pub fixed_bits: CK_ULONG,
    pub generator: CK_GENERATOR_FUNCTION,
    /// As long as the tag (ulTagBits / 8 bytes).
    pub tag: Vec<u8>,
    pub tag_bits: CK_ULONG,
}

/// A message between C_*MessageBegin and its last C_*MessageNext: its input
/// is collected and the work done at the last part, so a decryption checks
/// the tag before it releases any plaintext.
struct Part {
    iv: Vec<u8>,
    aad: Vec<u8>,
    tag_bits: CK_ULONG,
    data: Value,
}

/// A message-based encryption or decryption process (PKCS#11 3.0): one key,
/// any number of messages, until C_Message*Final. Only an error of the
/// message-level init or final ends it; a failed message ends that message.
pub struct MessageOp {
    key: GcmMessageKey,
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
    part: Option<Part>,
}

/// The length check of the two-call convention, for an output whose length
/// is known before any work: `Ok(true)` when the work should be done.
fn room_for(out: &mut Output, n: usize) -> Result<bool> {
    if out.is_query() {
        out.len = n;
        return Ok(false);
    }
    if out.room() < n {
        out.len = n;
        return Err(Ckr::BUFFER_TOO_SMALL);
    }
    Ok(true)
}

impl MessageOp {
    pub fn new(key: GcmMessageKey, encrypt: bool) -> Self {
        MessageOp {
            key,
            encrypt,
            counter: 0,
            xor_base: None,
            part: None,
        }
    }

    /// The IV of an encryption, generated into `p.iv` as its generator says:
    /// the leading `fixed_bits` bits are kept, the others are a counter or
    /// random. A counter that no longer fits is CKR_MECHANISM_PARAM_INVALID,
    /// never a repeated IV.
    fn generate_iv(&mut self, p: &mut MessageParams, random: &dyn Fn(&mut [u8])) -> Result<()> {
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
                random(&mut r);
                for k in 0..free {
                    let v = r[r.len() - 1 - k / 8] & (1 << (k % 8)) != 0;
                    set(&mut p.iv, k, v, false);
                }
            }
            _ => return Err(Ckr::MECHANISM_PARAM_INVALID),
        }
        Ok(())
    }

    /// End the message in progress, if any.
    pub fn abort(&mut self) {
        self.part = None;
    }

    /// C_EncryptMessage / C_DecryptMessage: one whole message. The output
    /// is as long as the input, so a length query does no work (and
    /// generates no IV).
    pub fn single(
        &mut self,
        p: &mut MessageParams,
        aad: &[u8],
        data: &[u8],
        out: &mut Output,
        random: &dyn Fn(&mut [u8]),
    ) -> Result<()> {
        if self.part.is_some() {
            return Err(Ckr::OPERATION_ACTIVE);
        }
        GcmMessageKey::check(&p.iv, p.tag_bits)?;
        if !room_for(out, data.len())? {
            return Ok(());
        }
        let output = if self.encrypt {
            self.generate_iv(p, random)?;
            let (ct, tag) = self.key.seal(&p.iv, aad, p.tag_bits, data)?;
            p.tag = tag;
            ct
        } else {
            self.key.open(&p.iv, aad, &p.tag, data)?
        };
        out.put(&output).map(drop)
    }

    /// C_EncryptMessageBegin / C_DecryptMessageBegin. An encryption's IV is
    /// generated here.
    pub fn begin(
        &mut self,
        p: &mut MessageParams,
        aad: &[u8],
        random: &dyn Fn(&mut [u8]),
    ) -> Result<()> {
        if self.part.is_some() {
            return Err(Ckr::OPERATION_ACTIVE);
        }
        GcmMessageKey::check(&p.iv, p.tag_bits)?;
        if self.encrypt {
            self.generate_iv(p, random)?;
        }
        self.part = Some(Part {
            iv: p.iv.clone(),
            aad: aad.to_vec(),
            tag_bits: p.tag_bits,
            data: Zeroizing::new(Vec::new()),
        });
        Ok(())
    }

    /// C_EncryptMessageNext / C_DecryptMessageNext. Parts before the last
    /// give no output; the last gives all of it (and an encryption's tag in
    /// `p.tag`; a decryption's tag is read from there). Any error but
    /// CKR_BUFFER_TOO_SMALL ends the message.
    pub fn next(
        &mut self,
        p: &mut MessageParams,
        data: &[u8],
        out: &mut Output,
        end: bool,
    ) -> Result<()> {
        let r = self.next_part(p, data, out, end);
        if matches!(r, Err(e) if e != Ckr::BUFFER_TOO_SMALL) {
            self.part = None;
        }
        r
    }

    fn next_part(
        &mut self,
        p: &mut MessageParams,
        data: &[u8],
        out: &mut Output,
        end: bool,
    ) -> Result<()> {
        let part = self.part.as_mut().ok_or(Ckr::OPERATION_NOT_INITIALIZED)?;
        if !end {
            // Nothing to give back yet; a length query must not take the
            // input, which the caller sends again with its buffer.
            if room_for(out, 0)? {
                append(&mut part.data, data);
            }
            return Ok(());
        }
        let total = part.data.len() + data.len();
        if !room_for(out, total)? {
            return Ok(());
        }
        // The tag goes where the last part's parameter says, so its length
        // must be the one the message began with.
        if p.tag_bits != part.tag_bits
            || p.tag.len() * 8 != usize::try_from(p.tag_bits).unwrap_or(0)
        {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
        let mut part = self.part.take().ok_or(Ckr::OPERATION_NOT_INITIALIZED)?;
        append(&mut part.data, data);
        let output = if self.encrypt {
            let (ct, tag) = self
                .key
                .seal(&part.iv, &part.aad, part.tag_bits, &part.data)?;
            p.tag = tag;
            ct
        } else {
            self.key.open(&part.iv, &part.aad, &p.tag, &part.data)?
        };
        out.put(&output).map(drop)
    }
}

/// Begin a message-based process in an empty slot.
pub fn start_message(slot: &mut Option<MessageOp>, op: Result<MessageOp>) -> Result<()> {
    if slot.is_some() {
        return Err(Ckr::OPERATION_ACTIVE);
    }
    *slot = Some(op?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gcm_key() -> MessageOp {
        let mut a = qrc_emulator::Attributes::new();
        a.set_ulong(cryptoki_sys::CKA_CLASS, cryptoki_sys::CKO_SECRET_KEY);
        a.set_ulong(cryptoki_sys::CKA_KEY_TYPE, cryptoki_sys::CKK_AES);
        a.set(cryptoki_sys::CKA_VALUE, vec![7u8; 16]);
        MessageOp::new(GcmMessageKey::new(&a).unwrap(), true)
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

    fn no_random(_: &mut [u8]) {
        panic!("no random bytes expected");
    }

    #[test]
    fn counter_iv_keeps_fixed_bits_and_counts() {
        let mut op = gcm_key();
        let mut p = params(&[0xAB; 12], 64, CKG_GENERATE_COUNTER);
        op.generate_iv(&mut p, &no_random).unwrap();
        assert_eq!(p.iv, [[0xAB; 8].as_slice(), &[0; 4]].concat());
        op.generate_iv(&mut p, &no_random).unwrap();
        assert_eq!(p.iv, [[0xAB; 8].as_slice(), &[0, 0, 0, 1]].concat());
        // XOR: the counter (now 2) into the free bits of the first XOR
        // message's IV.
        let mut x = params(&[0xFF; 12], 64, CKG_GENERATE_COUNTER_XOR);
        op.generate_iv(&mut x, &no_random).unwrap();
        assert_eq!(
            x.iv,
            [[0xFF; 8].as_slice(), &[0xFF, 0xFF, 0xFF, 0xFD]].concat()
        );
    }

    #[test]
    fn xor_counter_never_repeats_an_iv_when_the_buffer_is_passed_back() {
        let mut op = gcm_key();
        let mut p = params(&[0x5A; 12], 32, CKG_GENERATE_COUNTER_XOR);
        let mut seen = std::collections::HashSet::new();
        // The caller sends back the buffer the module wrote, as clients do.
        for _ in 0..64 {
            op.generate_iv(&mut p, &no_random).unwrap();
            assert!(seen.insert(p.iv.clone()), "IV repeated: {:02x?}", p.iv);
            assert_eq!(p.iv[..4], [0x5A; 4], "fixed bits kept");
        }
    }

    #[test]
    fn generate_lets_the_token_pick_random_free_bits() {
        let mut op = gcm_key();
        let mut p = params(&[0; 12], 32, CKG_GENERATE);
        op.generate_iv(&mut p, &|b: &mut [u8]| b.fill(0xC3))
            .unwrap();
        assert_eq!(p.iv, [[0; 4].as_slice(), &[0xC3; 8]].concat());
    }

    #[test]
    fn counter_that_no_longer_fits_is_refused() {
        let mut op = gcm_key();
        // 2 free bits: counters 0..=3, then refused rather than repeated.
        let mut p = params(&[0; 12], 94, CKG_GENERATE_COUNTER);
        let mut seen = Vec::new();
        for _ in 0..4 {
            op.generate_iv(&mut p, &no_random).unwrap();
            seen.push(p.iv[11]);
        }
        assert_eq!(seen, [0, 1, 2, 3]);
        assert_eq!(
            op.generate_iv(&mut p, &no_random),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let mut too_many = params(&[0; 12], 97, CKG_GENERATE_COUNTER);
        assert_eq!(
            op.generate_iv(&mut too_many, &no_random),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let mut unknown = params(&[0; 12], 0, 99);
        assert_eq!(
            op.generate_iv(&mut unknown, &no_random),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }

    #[test]
    fn random_iv_keeps_fixed_bits() {
        let mut op = gcm_key();
        // 4 fixed bits of 0xA5…: the rest random (all ones here).
        let mut p = params(&[0x05; 12], 4, CKG_GENERATE_RANDOM);
        op.generate_iv(&mut p, &|b: &mut [u8]| b.fill(0xFF))
            .unwrap();
        assert_eq!(p.iv[0], 0x0F);
        assert!(p.iv[1..].iter().all(|&b| b == 0xFF));
        let mut none = params(&[0x05; 12], 0, CKG_NO_GENERATE);
        op.generate_iv(&mut none, &no_random).unwrap();
        assert_eq!(none.iv, [0x05; 12]);
    }

    #[test]
    fn single_message_query_does_no_work_and_parts_match_single() {
        let mut op = gcm_key();
        let mut p = params(&[1; 12], 0, CKG_NO_GENERATE);
        let mut q = Output::query();
        op.single(&mut p, b"aad", b"hello world", &mut q, &no_random)
            .unwrap();
        assert_eq!(q.len, 11);
        assert_eq!(p.tag, [0; 16], "a length query computes no tag");
        let mut small = [0u8; 4];
        assert_eq!(
            op.single(
                &mut p,
                b"aad",
                b"hello world",
                &mut Output::buffer(&mut small),
                &no_random
            ),
            Err(Ckr::BUFFER_TOO_SMALL)
        );
        let mut ct = [0u8; 11];
        op.single(
            &mut p,
            b"aad",
            b"hello world",
            &mut Output::buffer(&mut ct),
            &no_random,
        )
        .unwrap();
        let tag = p.tag.clone();

        // The same message in parts; no output before the last.
        let mut p2 = params(&[1; 12], 0, CKG_NO_GENERATE);
        op.begin(&mut p2, b"aad", &no_random).unwrap();
        assert_eq!(
            op.single(&mut p2, b"", b"", &mut Output::query(), &no_random),
            Err(Ckr::OPERATION_ACTIVE)
        );
        let mut none = [0u8; 0];
        let mut o = Output::buffer(&mut none);
        op.next(&mut p2, b"hello", &mut o, false).unwrap();
        assert_eq!(o.len, 0);
        let mut q = Output::query();
        op.next(&mut p2, b" world", &mut q, true).unwrap();
        assert_eq!(q.len, 11);
        let mut ct2 = [0u8; 11];
        op.next(&mut p2, b" world", &mut Output::buffer(&mut ct2), true)
            .unwrap();
        assert_eq!(ct, ct2);
        assert_eq!(p2.tag, tag);

        // Decryption, in parts, with a wrong tag then the right one.
        let mut dec = gcm_key();
        dec.encrypt = false;
        let mut d = params(&[1; 12], 0, CKG_NO_GENERATE);
        dec.begin(&mut d, b"aad", &no_random).unwrap();
        dec.next(&mut d, &ct[..3], &mut Output::buffer(&mut []), false)
            .unwrap();
        d.tag = tag.clone();
        d.tag[15] ^= 1;
        let mut pt = [0u8; 11];
        assert_eq!(
            dec.next(&mut d, &ct[3..], &mut Output::buffer(&mut pt), true),
            Err(Ckr::ENCRYPTED_DATA_INVALID)
        );
        assert_eq!(pt, [0; 11], "no plaintext from a wrong tag");
        assert_eq!(
            dec.next(&mut d, &ct[3..], &mut Output::buffer(&mut pt), true),
            Err(Ckr::OPERATION_NOT_INITIALIZED),
            "a failed last part ends the message"
        );
        d.tag = tag;
        dec.begin(&mut d, b"aad", &no_random).unwrap();
        dec.next(&mut d, &ct, &mut Output::buffer(&mut pt), true)
            .unwrap();
        assert_eq!(&pt, b"hello world");
    }
}
