//! Encryption, decryption and digests.

use super::{session, with_ops};
use crate::operation::{feed, produce, start, Direction, Step};
use crate::output::Output;
use cryptoki_sys::{CK_OBJECT_HANDLE, CK_SESSION_HANDLE};
use qrc_emulator::mech::{Cipher, Mechanism};
use qrc_emulator::{Ckr, Result, Value};

/// C_EncryptInit / C_DecryptInit. A decryption key with
/// CKA_ALWAYS_AUTHENTICATE needs C_Login(CKU_CONTEXT_SPECIFIC) before use.
pub fn cipher_init(
    h: CK_SESSION_HANDLE,
    dir: Direction,
    m: &Mechanism,
    key: CK_OBJECT_HANDLE,
) -> Result<()> {
    let s = session(h)?;
    let reauth = dir == Direction::Decrypt && s.token.always_authenticate(key).unwrap_or(false);
    let mut ops = s.ops()?;
    start(ops.cipher(dir), reauth, || {
        s.token.cipher(m, key, dir.usage())
    })
}

/// A single-part encryption or decryption: update then finish, joined in a
/// buffer sized up front so no copy of the output is left behind unwiped.
fn whole(c: &mut Box<dyn Cipher>, data: &[u8]) -> Result<Value> {
    let head = c.update(data)?;
    let tail = c.finish()?;
    // Ciphers that keep their input to the end (GCM) return one empty half:
    // the other is the output, with no copy to make and wipe.
    if head.is_empty() {
        return Ok(tail);
    }
    let mut out = Value::new(Vec::with_capacity(head.len() + tail.len()));
    out.extend_from_slice(&head);
    out.extend_from_slice(&tail);
    Ok(out)
}

/// C_Encrypt / C_Decrypt.
pub fn cipher(h: CK_SESSION_HANDLE, dir: Direction, data: &[u8], out: &mut Output) -> Result<()> {
    with_ops(h, |ops| {
        produce(ops.cipher(dir), Step::Single, data, out, whole)
    })
}

/// C_EncryptUpdate / C_DecryptUpdate.
pub fn cipher_update(
    h: CK_SESSION_HANDLE,
    dir: Direction,
    data: &[u8],
    out: &mut Output,
) -> Result<()> {
    with_ops(h, |ops| {
        produce(ops.cipher(dir), Step::Update, data, out, |c, d| c.update(d))
    })
}

/// C_EncryptFinal / C_DecryptFinal.
pub fn cipher_final(h: CK_SESSION_HANDLE, dir: Direction, out: &mut Output) -> Result<()> {
    with_ops(h, |ops| {
        produce(ops.cipher(dir), Step::Final, &[], out, |c, _| c.finish())
    })
}

/// C_DigestInit.
pub fn digest_init(h: CK_SESSION_HANDLE, m: &Mechanism) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    start(&mut ops.digest, false, || s.token.digest(m))?;
    ops.digest_mechanism = m.ty;
    Ok(())
}

/// C_Digest.
pub fn digest(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    with_ops(h, |ops| {
        produce(&mut ops.digest, Step::Single, data, out, |d, data| {
            d.update(data);
            Ok(Value::new(d.finish()))
        })
    })
}

/// C_DigestUpdate.
pub fn digest_update(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    with_ops(h, |ops| {
        feed(&mut ops.digest, |d| {
            d.update(data);
            Ok(())
        })
    })
}

/// C_DigestKey: the key's value, as the token allows it to be digested
/// under the running digest's mechanism.
pub fn digest_key(h: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    if ops.digest.is_none() {
        return Err(Ckr::OPERATION_NOT_INITIALIZED);
    }
    let value = s.token.digestible_value(key, ops.digest_mechanism);
    feed(&mut ops.digest, |d| {
        d.update(&value?);
        Ok(())
    })
}

/// C_DigestFinal.
pub fn digest_final(h: CK_SESSION_HANDLE, out: &mut Output) -> Result<()> {
    with_ops(h, |ops| {
        produce(&mut ops.digest, Step::Final, &[], out, |d, _| {
            Ok(Value::new(d.finish()))
        })
    })
}
