//! Sessions, login, and session state.

use super::{session, with_ops};
use crate::module::{self, module};
use crate::operation::OperationKind;
use crate::session::Session;
use cryptoki_sys::*;
use qrc_emulator::store::Who;
use qrc_emulator::{Ckr, Result};

/// C_OpenSession.
pub fn open_session(slot: CK_SLOT_ID, flags: CK_FLAGS) -> Result<CK_SESSION_HANDLE> {
    let m = module()?;
    if flags & CKF_SERIAL_SESSION == 0 {
        return Err(Ckr(CKR_SESSION_PARALLEL_NOT_SUPPORTED));
    }
    let token = m.token(slot)?.clone();
    // An uninitialised token takes sessions too (C_OpenSession has no
    // CKR_TOKEN_NOT_INITIALIZED): listing tools such as systemd-cryptenroll
    // open one on every token and abort on a refusal. Such a session sees
    // no token objects and cannot log in until C_InitToken.
    let status = token.status()?;
    let read_write = flags & CKF_RW_SESSION != 0;
    if !read_write && status.logged_in == Some(Who::So) {
        return Err(Ckr(CKR_SESSION_READ_WRITE_SO_EXISTS));
    }
    m.add_session(|h| Session::new(h, slot, read_write, token))
}

/// Close one session; closing the last session of a slot logs out.
fn close(m: &module::Module, h: CK_SESSION_HANDLE) -> Result<()> {
    let s = m.remove_session(h)?;
    s.token.close_session(h)?;
    if m.sessions_on(s.slot)?.is_empty() {
        match s.token.logout() {
            Ok(()) | Err(Ckr::USER_NOT_LOGGED_IN) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// C_CloseSession.
pub fn close_session(h: CK_SESSION_HANDLE) -> Result<()> {
    close(&*module()?, h)
}

/// C_CloseAllSessions.
pub fn close_all_sessions(slot: CK_SLOT_ID) -> Result<()> {
    let m = module()?;
    m.slot(slot)?;
    for (h, _) in m.sessions_on(slot)? {
        match close(&m, h) {
            Ok(()) | Err(Ckr(CKR_SESSION_HANDLE_INVALID)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// C_GetSessionInfo.
pub fn get_session_info(h: CK_SESSION_HANDLE) -> Result<CK_SESSION_INFO> {
    let s = session(h)?;
    let mut flags = CKF_SERIAL_SESSION;
    if s.read_write {
        flags |= CKF_RW_SESSION;
    }
    Ok(CK_SESSION_INFO {
        slotID: s.slot,
        state: s.state()?,
        flags,
        ulDeviceError: 0,
    })
}

/// The operations C_SessionCancel ends for each flag. PKCS#11 3.2 has no
/// flag of its own for C_VerifySignature*, so CKF_VERIFY names both kinds of
/// verification.
const CANCEL_FLAGS: [(CK_FLAGS, &[OperationKind]); 8] = [
    (CKF_ENCRYPT, &[OperationKind::Encrypt]),
    (CKF_DECRYPT, &[OperationKind::Decrypt]),
    (CKF_DIGEST, &[OperationKind::Digest]),
    (CKF_SIGN, &[OperationKind::Sign]),
    (
        CKF_VERIFY,
        &[OperationKind::Verify, OperationKind::VerifySignature],
    ),
    (CKF_FIND_OBJECTS, &[OperationKind::Find]),
    (CKF_MESSAGE_ENCRYPT, &[OperationKind::MessageEncrypt]),
    (CKF_MESSAGE_DECRYPT, &[OperationKind::MessageDecrypt]),
];

/// C_SessionCancel: end the operations named by `flags`.
pub fn session_cancel(h: CK_SESSION_HANDLE, flags: CK_FLAGS) -> Result<()> {
    with_ops(h, |ops| {
        for (flag, kinds) in CANCEL_FLAGS {
            if flags & flag != 0 {
                kinds.iter().for_each(|&k| ops.end(k));
            }
        }
        Ok(())
    })
}

/// End the session's operation of one kind (after a call of it failed).
pub fn end_operation(h: CK_SESSION_HANDLE, kind: OperationKind) -> Result<()> {
    with_ops(h, |ops| {
        ops.end(kind);
        Ok(())
    })
}

/// C_Login, including CKU_CONTEXT_SPECIFIC for an operation whose key has
/// CKA_ALWAYS_AUTHENTICATE.
pub fn login(h: CK_SESSION_HANDLE, user: CK_USER_TYPE, pin: &[u8]) -> Result<()> {
    let m = module()?;
    let s = m.session(h)?;
    match user {
        CKU_SO => {
            if m.sessions_on(s.slot)?.iter().any(|(_, rw)| !rw) {
                return Err(Ckr(CKR_SESSION_READ_ONLY_EXISTS));
            }
            s.token.login(Who::So, pin)
        }
        CKU_USER => s.token.login(Who::User, pin),
        CKU_CONTEXT_SPECIFIC => {
            let mut guard = s.ops()?;
            let ops = &mut *guard;
            let waiting = [
                ops.sign.as_mut().map(|a| &mut a.needs_context_login),
                ops.decrypt.as_mut().map(|a| &mut a.needs_context_login),
            ];
            let flag = waiting
                .into_iter()
                .flatten()
                .find(|f| **f)
                .ok_or(Ckr::OPERATION_NOT_INITIALIZED)?;
            s.token.reauthenticate(pin)?;
            *flag = false;
            Ok(())
        }
        _ => Err(Ckr(CKR_USER_TYPE_INVALID)),
    }
}

/// C_Logout.
pub fn logout(h: CK_SESSION_HANDLE) -> Result<()> {
    session(h)?.token.logout()
}

/// C_GetSessionValidationFlags (PKCS#11 3.2). The module makes no
/// validated-mode claims, so no operation is ever flagged as validated.
pub fn get_session_validation_flags(
    h: CK_SESSION_HANDLE,
    ty: CK_SESSION_VALIDATION_FLAGS_TYPE,
) -> Result<CK_FLAGS> {
    session(h)?;
    if ty != CKS_LAST_VALIDATION_OK {
        return Err(Ckr::ARGUMENTS_BAD);
    }
    Ok(0)
}
