//! The module's global state: initialisation, finalisation and fork safety.
//!
//! State lives in an `Instance` owned by the process that called
//! C_Initialize. A forked child sees an instance with another pid and treats
//! the module as not initialised, without touching any lock the parent may
//! have held at fork time; its C_Initialize installs a fresh instance and
//! leaks the parent's (dropping it would flush the parent's store from the
//! child). Calls take a read lock only long enough to clone an `Arc`: no
//! global lock is held around crypto.

use crate::backend::{open_emulator_token, Token};
use crate::logger;
use crate::session::Session;
use cryptoki_sys::*;
use qrc_emulator::config::Config;
use qrc_emulator::mech;
use qrc_emulator::{Ckr, Result};
use std::collections::HashMap;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// One slot and the token in it.
pub struct Slot {
    /// The slot ID callers pass (from the configuration).
    pub id: CK_SLOT_ID,
    /// The token in the slot; `present()` says whether it can be used.
    pub token: Arc<dyn Token>,
}

/// An open session, shared between the session table and a running call.
pub type SharedSession = Arc<Session>;

/// Everything C_Initialize sets up.
pub struct Module {
    /// The configured slots, in C_GetSlotList order.
    pub slots: Vec<Slot>,
    sessions: RwLock<HashMap<CK_SESSION_HANDLE, SharedSession>>,
    next_session: AtomicU64,
}

struct Instance {
    pid: u32,
    module: RwLock<Option<Arc<Module>>>,
}

static CURRENT: AtomicPtr<Instance> = AtomicPtr::new(ptr::null_mut());

/// This process's instance, if it made one.
fn instance() -> Option<&'static Instance> {
    let p = CURRENT.load(Ordering::Acquire);
    // SAFETY: instances are leaked boxes, never freed, so a non-null pointer
    // stays valid for the life of the process.
    let inst = unsafe { p.as_ref() }?;
    (inst.pid == qrc_emulator::fork::pid()).then_some(inst)
}

/// This process's instance, creating it (and abandoning a parent's) if needed.
fn own_instance() -> &'static Instance {
    loop {
        let current = CURRENT.load(Ordering::Acquire);
        if let Some(inst) = instance() {
            return inst;
        }
        let fresh = Box::into_raw(Box::new(Instance {
            pid: qrc_emulator::fork::pid(),
            module: RwLock::new(None),
        }));
        if CURRENT
            .compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: `fresh` was never published; we still own it.
            drop(unsafe { Box::from_raw(fresh) });
        }
    }
}

/// The initialised module, or CKR_CRYPTOKI_NOT_INITIALIZED.
pub fn module() -> Result<Arc<Module>> {
    let inst = instance().ok_or(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED))?;
    let guard = inst.module.read().map_err(|_| Ckr::GENERAL_ERROR)?;
    guard.clone().ok_or(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED))
}

/// C_Initialize: read the configuration, run the self-tests, open the tokens.
pub fn initialize() -> Result<()> {
    let inst = own_instance();
    let mut slot = inst.module.write().map_err(|_| Ckr::GENERAL_ERROR)?;
    if slot.is_some() {
        return Err(Ckr(CKR_CRYPTOKI_ALREADY_INITIALIZED));
    }
    let config = Config::from_env()?;
    logger::install(&config.log);
    mech::self_test()?;
    let slots = config
        .tokens
        .iter()
        .map(|t| Slot {
            id: t.slot as CK_SLOT_ID,
            token: Arc::from(open_emulator_token(&config, t)),
        })
        .collect();
    *slot = Some(Arc::new(Module {
        slots,
        sessions: RwLock::default(),
        next_session: AtomicU64::new(1),
    }));
    Ok(())
}

/// C_Finalize. The module is dropped once the last running call finishes.
pub fn finalize() -> Result<()> {
    let inst = instance().ok_or(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED))?;
    let module = inst
        .module
        .write()
        .map_err(|_| Ckr::GENERAL_ERROR)?
        .take()
        .ok_or(Ckr(CKR_CRYPTOKI_NOT_INITIALIZED))?;
    drop(module);
    Ok(())
}

impl Module {
    /// The slot with this ID (CKR_SLOT_ID_INVALID if none).
    pub fn slot(&self, id: CK_SLOT_ID) -> Result<&Slot> {
        self.slots
            .iter()
            .find(|s| s.id == id)
            .ok_or(Ckr(CKR_SLOT_ID_INVALID))
    }

    /// The slot's token, if present.
    pub fn token(&self, id: CK_SLOT_ID) -> Result<&Arc<dyn Token>> {
        let slot = self.slot(id)?;
        if slot.token.present() {
            Ok(&slot.token)
        } else {
            Err(Ckr::TOKEN_NOT_PRESENT)
        }
    }

    /// The open session with this handle (CKR_SESSION_HANDLE_INVALID if
    /// none).
    pub fn session(&self, h: CK_SESSION_HANDLE) -> Result<SharedSession> {
        let sessions = self.sessions.read().map_err(|_| Ckr::GENERAL_ERROR)?;
        sessions
            .get(&h)
            .cloned()
            .ok_or(Ckr(CKR_SESSION_HANDLE_INVALID))
    }

    /// Snapshot of the sessions open on a slot: (handle, read/write).
    pub fn sessions_on(&self, slot: CK_SLOT_ID) -> Result<Vec<(CK_SESSION_HANDLE, bool)>> {
        let sessions = self.sessions.read().map_err(|_| Ckr::GENERAL_ERROR)?;
        Ok(sessions
            .iter()
            .filter(|(_, s)| s.slot == slot)
            .map(|(h, s)| (*h, s.read_write))
            .collect())
    }

    /// Open a session: `make` builds it around the new handle.
    pub fn add_session(
        &self,
        make: impl FnOnce(CK_SESSION_HANDLE) -> Session,
    ) -> Result<CK_SESSION_HANDLE> {
        let h = self.next_session.fetch_add(1, Ordering::Relaxed) as CK_SESSION_HANDLE;
        let session = Arc::new(make(h));
        self.sessions
            .write()
            .map_err(|_| Ckr::GENERAL_ERROR)?
            .insert(h, session);
        Ok(h)
    }

    /// Take a session out of the table (C_CloseSession); calls already
    /// running on it finish with their own reference.
    pub fn remove_session(&self, h: CK_SESSION_HANDLE) -> Result<SharedSession> {
        self.sessions
            .write()
            .map_err(|_| Ckr::GENERAL_ERROR)?
            .remove(&h)
            .ok_or(Ckr(CKR_SESSION_HANDLE_INVALID))
    }
}
