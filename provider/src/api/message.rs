//! Message-based encryption and decryption (PKCS#11 3.0).

use super::{session, with_ops};
use crate::message::MessageOp;
use crate::operation::Direction;
use crate::output::Output;
use cryptoki_sys::{CK_OBJECT_HANDLE, CK_SESSION_HANDLE};
use qrc_emulator::mech::{Mechanism, MessageParams};
use qrc_emulator::{Ckr, Result};

/// The session's message-based process of one direction, given to `f`.
fn with_message<R>(
    h: CK_SESSION_HANDLE,
    dir: Direction,
    f: impl FnOnce(&mut MessageOp) -> Result<R>,
) -> Result<R> {
    // A message-based process running when a self-test failed stops too.
    qrc_emulator::mech::health::check()?;
    with_ops(h, |ops| {
        f(ops
            .message(dir)
            .as_mut()
            .ok_or(Ckr::OPERATION_NOT_INITIALIZED)?)
    })
}

/// C_MessageEncryptInit / C_MessageDecryptInit; no mechanism (NULL) ends
/// the process, and any message in progress.
pub fn message_init(
    h: CK_SESSION_HANDLE,
    dir: Direction,
    m: Option<&Mechanism>,
    key: CK_OBJECT_HANDLE,
) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    let slot = ops.message(dir);
    let Some(m) = m else {
        *slot = None;
        return Ok(());
    };
    if slot.is_some() {
        return Err(Ckr::OPERATION_ACTIVE);
    }
    *slot = Some(MessageOp::new(s.token.message_cipher(
        m,
        key,
        dir.usage(),
    )?));
    Ok(())
}

/// C_EncryptMessage / C_DecryptMessage.
pub fn message(
    h: CK_SESSION_HANDLE,
    dir: Direction,
    p: &mut MessageParams,
    aad: &[u8],
    data: &[u8],
    out: &mut Output,
) -> Result<()> {
    with_message(h, dir, |op| op.single(p, aad, data, out))
}

/// C_EncryptMessageBegin / C_DecryptMessageBegin.
pub fn message_begin(
    h: CK_SESSION_HANDLE,
    dir: Direction,
    p: &mut MessageParams,
    aad: &[u8],
) -> Result<()> {
    with_message(h, dir, |op| op.begin(p, aad))
}

/// C_EncryptMessageNext / C_DecryptMessageNext.
pub fn message_next(
    h: CK_SESSION_HANDLE,
    dir: Direction,
    p: &mut MessageParams,
    data: &[u8],
    out: &mut Output,
    end: bool,
) -> Result<()> {
    with_message(h, dir, |op| op.next(p, data, out, end))
}

/// End the message in progress after a failed C_*MessageNext.
pub fn message_abort(h: CK_SESSION_HANDLE, dir: Direction) -> Result<()> {
    with_message(h, dir, |op| {
        op.abort();
        Ok(())
    })
}

/// C_MessageEncryptFinal / C_MessageDecryptFinal: end the process.
pub fn message_final(h: CK_SESSION_HANDLE, dir: Direction) -> Result<()> {
    with_ops(h, |ops| {
        ops.message(dir)
            .take()
            .map(drop)
            .ok_or(Ckr::OPERATION_NOT_INITIALIZED)
    })
}
