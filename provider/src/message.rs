//! The PKCS#11 3.0 message-based encryption and decryption state machine
//! (C_MessageEncrypt*, C_MessageDecrypt*): a process that lasts from
//! C_Message*Init to C_Message*Final, each message whole or begun and sent in
//! parts. The cipher, its key and its IV generation are the backend's
//! ([`MessageCipher`]); this keeps which message is in progress.

use crate::output::Output;
use qrc_emulator::mech::{append, MessageCipher, MessageParams};
use qrc_emulator::{Ckr, Result, Value};
use zeroize::Zeroizing;

/// A message between C_*MessageBegin and its last C_*MessageNext: its input
/// is collected and the work done at the last part, so a decryption checks
/// the tag before it releases any plaintext.
struct Part {
    /// The parameters of C_*MessageBegin, an encryption's IV generated.
    params: MessageParams,
    aad: Vec<u8>,
    data: Value,
}

/// A message-based encryption or decryption process: one key, any number of
/// messages, until C_Message*Final. Only an error of the message-level init
/// or final ends it; a failed message ends that message.
pub struct MessageOp {
    cipher: Box<dyn MessageCipher>,
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
    /// A process over the backend's cipher (of one direction).
    pub fn new(cipher: Box<dyn MessageCipher>) -> Self {
        MessageOp { cipher, part: None }
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
    ) -> Result<()> {
        if self.part.is_some() {
            return Err(Ckr::OPERATION_ACTIVE);
        }
        self.cipher.check(p)?;
        if !room_for(out, data.len())? {
            return Ok(());
        }
        self.cipher.start_message(p)?;
        let output = self.cipher.finish_message(p, aad, data)?;
        out.put(&output).map(drop)
    }

    /// C_EncryptMessageBegin / C_DecryptMessageBegin. An encryption's IV is
    /// generated here.
    pub fn begin(&mut self, p: &mut MessageParams, aad: &[u8]) -> Result<()> {
        if self.part.is_some() {
            return Err(Ckr::OPERATION_ACTIVE);
        }
        self.cipher.start_message(p)?;
        self.part = Some(Part {
            params: p.clone(),
            aad: aad.to_vec(),
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
        if p.tag_bits != part.params.tag_bits {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
        let mut part = self.part.take().ok_or(Ckr::OPERATION_NOT_INITIALIZED)?;
        append(&mut part.data, data);
        let mut message = MessageParams {
            tag: std::mem::take(&mut p.tag),
            ..part.params
        };
        let output = self
            .cipher
            .finish_message(&mut message, &part.aad, &part.data);
        p.tag = message.tag;
        out.put(&output?).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoki_sys::{CKG_NO_GENERATE, CKK_AES, CKM_AES_GCM};
    use qrc_emulator::mech::{registry, MechParam, Mechanism};

    /// A process over the emulator's CKM_AES_GCM, one direction.
    fn gcm(encrypt: bool) -> MessageOp {
        let mut key = qrc_emulator::Attributes::new();
        key.set_ulong(cryptoki_sys::CKA_CLASS, cryptoki_sys::CKO_SECRET_KEY);
        key.set_ulong(cryptoki_sys::CKA_KEY_TYPE, CKK_AES);
        key.set(cryptoki_sys::CKA_VALUE, vec![7u8; 16]);
        let m = Mechanism {
            ty: CKM_AES_GCM,
            param: MechParam::None,
        };
        let mech = registry().get(CKM_AES_GCM).unwrap();
        let cipher = if encrypt {
            mech.message_encrypt(&m, &key)
        } else {
            mech.message_decrypt(&m, &key)
        };
        MessageOp::new(cipher.unwrap())
    }

    fn params() -> MessageParams {
        MessageParams {
            iv: vec![1; 12],
            fixed_bits: 0,
            generator: CKG_NO_GENERATE,
            tag: vec![0; 16],
            tag_bits: 128,
        }
    }

    #[test]
    fn single_message_query_does_no_work_and_parts_match_single() {
        let mut op = gcm(true);
        let mut p = params();
        let mut q = Output::query();
        op.single(&mut p, b"aad", b"hello world", &mut q).unwrap();
        assert_eq!(q.len, 11);
        assert_eq!(p.tag, [0; 16], "a length query computes no tag");
        let mut small = [0u8; 4];
        assert_eq!(
            op.single(
                &mut p,
                b"aad",
                b"hello world",
                &mut Output::buffer(&mut small)
            ),
            Err(Ckr::BUFFER_TOO_SMALL)
        );
        let mut ct = [0u8; 11];
        op.single(&mut p, b"aad", b"hello world", &mut Output::buffer(&mut ct))
            .unwrap();
        let tag = p.tag.clone();

        // The same message in parts; no output before the last.
        let mut p2 = params();
        op.begin(&mut p2, b"aad").unwrap();
        assert_eq!(
            op.single(&mut p2, b"", b"", &mut Output::query()),
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
        let mut dec = gcm(false);
        let mut d = params();
        dec.begin(&mut d, b"aad").unwrap();
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
        dec.begin(&mut d, b"aad").unwrap();
        dec.next(&mut d, &ct, &mut Output::buffer(&mut pt), true)
            .unwrap();
        assert_eq!(&pt, b"hello world");
    }

    #[test]
    fn last_part_must_keep_the_tag_length() {
        let mut op = gcm(true);
        let mut p = params();
        op.begin(&mut p, b"").unwrap();
        let mut shorter = MessageParams {
            tag: vec![0; 12],
            tag_bits: 96,
            ..params()
        };
        let mut out = [0u8; 4];
        assert_eq!(
            op.next(&mut shorter, b"data", &mut Output::buffer(&mut out), true),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        assert_eq!(
            op.next(&mut p, b"data", &mut Output::buffer(&mut out), true),
            Err(Ckr::OPERATION_NOT_INITIALIZED),
            "the failed last part ended the message"
        );
    }
}
