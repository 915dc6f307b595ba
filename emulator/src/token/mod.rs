//! The software token: one store, the process's login state, session objects,
//! object handles, and the policy that binds them (who may see, create,
//! change and use which object).

mod crypto;
mod keys;
mod objects;

pub use crypto::Usage;
pub use objects::AttrRead;

use crate::config::{PinPolicy, TokenConfig};
use crate::error::{Ckr, Result};
use crate::store::{PinStatus, Store, StoreOptions, TokenKey, Who};
use crate::Attributes;
use cryptoki_sys::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Identifies the session a call comes from, and whether it is read/write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub session: CK_SESSION_HANDLE,
    pub read_write: bool,
}

/// What C_GetTokenInfo needs from the token.
#[derive(Clone, Debug)]
pub struct TokenStatus {
    pub label: [u8; 32],
    pub initialized: bool,
    pub user: PinStatus,
    pub so: PinStatus,
    pub policy: PinPolicy,
    pub logged_in: Option<Who>,
}

/// Handles at or above this value name session objects; below it, token
/// objects by their store id. Token-object handles are therefore stable
/// across sessions and processes, and no table maps them. Kept below 2^31 for
/// callers that squeeze handles into 32-bit integers.
const SESSION_HANDLE_BASE: CK_OBJECT_HANDLE = 0x4000_0000;

struct SessionObject {
    owner: CK_SESSION_HANDLE,
    attrs: Arc<Attributes>,
}

#[derive(Default)]
struct Login {
    who: Option<Who>,
    key: Option<TokenKey>,
}

/// A token of the software HSM.
pub struct SoftToken {
    dir: PathBuf,
    store: std::result::Result<Store, Ckr>,
    policy: PinPolicy,
    login: RwLock<Login>,
    session_objects: RwLock<HashMap<CK_OBJECT_HANDLE, SessionObject>>,
    next_session_object: AtomicU64,
}

fn poisoned<T>(_: T) -> Ckr {
    Ckr::GENERAL_ERROR
}

impl SoftToken {
    /// Open the token's store. A store held by another process leaves the
    /// token absent (CKR_TOKEN_NOT_PRESENT); a damaged one leaves it present
    /// but failing (CKR_DEVICE_ERROR on every call that needs it), so that
    /// tools show a broken token, not none. The log says why, once.
    pub fn open(config: &TokenConfig, options: &StoreOptions, policy: PinPolicy) -> SoftToken {
        SoftToken {
            dir: config.store.clone(),
            store: Store::open(&config.store, options),
            policy,
            login: RwLock::default(),
            session_objects: RwLock::default(),
            next_session_object: AtomicU64::new(SESSION_HANDLE_BASE),
        }
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A stable serial number: 16 hex digits naming the store directory.
    pub fn serial(&self) -> [u8; 16] {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(self.dir.as_os_str().as_encoded_bytes());
        let mut serial = [b'0'; 16];
        for (out, byte) in serial.chunks_mut(2).zip(hash.iter()) {
            out.copy_from_slice(format!("{byte:02X}").as_bytes());
        }
        serial
    }

    /// CKF_TOKEN_PRESENT: the store is open, or failed to open for a reason
    /// other than being held elsewhere.
    pub fn present(&self) -> bool {
        !matches!(self.store, Err(Ckr::TOKEN_NOT_PRESENT))
    }

    fn store(&self) -> Result<&Store> {
        self.store.as_ref().map_err(|e| *e)
    }

    fn login_state(&self) -> Result<RwLockReadGuard<'_, Login>> {
        self.login.read().map_err(poisoned)
    }

    fn login_state_mut(&self) -> Result<RwLockWriteGuard<'_, Login>> {
        self.login.write().map_err(poisoned)
    }

    /// The token key when the user is logged in: the key that opens private
    /// and secret values.
    fn user_key(&self) -> Result<Option<TokenKey>> {
        let login = self.login_state()?;
        Ok(match login.who {
            Some(Who::User) => login.key.clone(),
            _ => None,
        })
    }

    pub fn status(&self) -> Result<TokenStatus> {
        let store = self.store()?;
        Ok(TokenStatus {
            label: store.label(),
            initialized: store.initialized(),
            user: store.pin_status(Who::User),
            so: store.pin_status(Who::So),
            policy: self.policy,
            logged_in: self.login_state()?.who,
        })
    }

    pub fn initialized(&self) -> Result<bool> {
        Ok(self.store()?.initialized())
    }

    /// Who is logged in to this token in this process.
    pub fn logged_in(&self) -> Result<Option<Who>> {
        Ok(self.login_state()?.who)
    }

    /// C_InitToken. The caller has checked that no session is open.
    pub fn init_token(&self, so_pin: &[u8], label: &[u8; 32]) -> Result<()> {
        self.policy.check(so_pin)?;
        self.store()?.init_token(so_pin, label)?;
        *self.login_state_mut()? = Login::default();
        self.session_objects.write().map_err(poisoned)?.clear();
        Ok(())
    }

    /// C_Login for the SO or the user.
    /// The PIN check (memory-hard, a tenth of a second or more) runs with no
    /// token lock held, so other sessions' calls go on meanwhile; the login
    /// state is checked before it and again, under the lock, after it.
    pub fn login(&self, who: Who, pin: &[u8]) -> Result<()> {
        let store = self.store()?;
        let not_logged_in = |login: &Login| match login.who {
            Some(current) if current == who => Err(Ckr(CKR_USER_ALREADY_LOGGED_IN)),
            Some(_) => Err(Ckr(CKR_USER_ANOTHER_ALREADY_LOGGED_IN)),
            None => Ok(()),
        };
        not_logged_in(&*self.login_state()?)?;
        let key = store.login(who, pin)?;
        let mut login = self.login_state_mut()?;
        not_logged_in(&login)?;
        *login = Login {
            who: Some(who),
            key: Some(key),
        };
        Ok(())
    }

    /// CKU_CONTEXT_SPECIFIC: prove the user PIN again for one operation.
    pub fn reauthenticate(&self, pin: &[u8]) -> Result<()> {
        if self.login_state()?.who != Some(Who::User) {
            return Err(Ckr::USER_NOT_LOGGED_IN);
        }
        self.store()?.login(Who::User, pin).map(drop)
    }

    /// C_Logout: forget the token key, drop decrypted private objects and
    /// destroy private session objects, as the spec requires.
    pub fn logout(&self) -> Result<()> {
        let mut login = self.login_state_mut()?;
        if login.who.is_none() {
            return Err(Ckr::USER_NOT_LOGGED_IN);
        }
        *login = Login::default();
        if let Ok(store) = self.store() {
            store.forget_private();
        }
        self.session_objects
            .write()
            .map_err(poisoned)?
            .retain(|_, o| !o.attrs.bool_or(CKA_PRIVATE, true).unwrap_or(true));
        Ok(())
    }

    /// C_InitPIN: the SO sets the user PIN.
    pub fn init_pin(&self, pin: &[u8]) -> Result<()> {
        self.policy.check(pin)?;
        let login = self.login_state()?;
        match (&login.who, &login.key) {
            (Some(Who::So), Some(key)) => self.store()?.init_user_pin(key, pin),
            _ => Err(Ckr::USER_NOT_LOGGED_IN),
        }
    }

    /// C_SetPIN: changes the PIN of whoever is logged in (the user if nobody).
    pub fn set_pin(&self, old: &[u8], new: &[u8]) -> Result<()> {
        self.policy.check(new)?;
        let who = self.login_state()?.who.unwrap_or(Who::User);
        self.store()?.set_pin(who, old, new)
    }
}
