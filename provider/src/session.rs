//! Sessions: which slot, read-only or read/write, and the operations running.

use crate::backend::Token;
use crate::operation::Operations;
use cryptoki_sys::*;
use qrc_emulator::store::Who;
use qrc_emulator::token::Access;
use qrc_emulator::{Ckr, Result};
use std::sync::{Arc, Mutex, MutexGuard};

/// One open session. The slot, mode and token never change; the operations
/// sit behind this session's own lock, so sessions never wait for each other.
pub struct Session {
    /// The session's own handle.
    pub handle: CK_SESSION_HANDLE,
    /// The slot it was opened on.
    pub slot: CK_SLOT_ID,
    /// Opened with CKF_RW_SESSION.
    pub read_write: bool,
    /// The slot's token.
    pub token: Arc<dyn Token>,
    ops: Mutex<Operations>,
}

impl Session {
    /// A session with no operation running.
    pub fn new(
        handle: CK_SESSION_HANDLE,
        slot: CK_SLOT_ID,
        read_write: bool,
        token: Arc<dyn Token>,
    ) -> Self {
        Session {
            handle,
            slot,
            read_write,
            token,
            ops: Mutex::default(),
        }
    }

    /// Who calls the token: this session, and whether it is R/W.
    pub fn access(&self) -> Access {
        Access {
            session: self.handle,
            read_write: self.read_write,
        }
    }

    /// The running operations, locked for one call.
    pub fn ops(&self) -> Result<MutexGuard<'_, Operations>> {
        self.ops.lock().map_err(|_| Ckr::GENERAL_ERROR)
    }

    /// Fail with CKR_SESSION_READ_ONLY unless this is a R/W session.
    pub fn require_read_write(&self) -> Result<()> {
        if self.read_write {
            Ok(())
        } else {
            Err(Ckr(CKR_SESSION_READ_ONLY))
        }
    }

    /// CK_SESSION_INFO.state, from the token's login state.
    pub fn state(&self) -> Result<CK_STATE> {
        let who = self.token.status()?.logged_in;
        Ok(match (who, self.read_write) {
            (Some(Who::So), _) => CKS_RW_SO_FUNCTIONS,
            (Some(Who::User), true) => CKS_RW_USER_FUNCTIONS,
            (Some(Who::User), false) => CKS_RO_USER_FUNCTIONS,
            (None, true) => CKS_RW_PUBLIC_SESSION,
            (None, false) => CKS_RO_PUBLIC_SESSION,
        })
    }
}
