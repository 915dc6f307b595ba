//! The token store: token objects, the label and the PINs in a sled
//! database, encrypted at rest.
//!
//! Layout of a store directory:
//! - `lock`: the process lock ([`lock`]), holding the owner's pid;
//! - `anchor`: the newest committed generation ([`anchor`]);
//! - `db/`: sled, with four trees: `meta` ([`meta`]), `objects` (id →
//!   record, [`record`]), `index` and `backrefs` ([`index`]).
//!
//! Protection: PINs are never stored ([`pin`]). Secret values, and every
//! value of a private object but its class/token/private flags, are
//! sealed with AES-256-GCM under the token key. Every record carries an
//! HMAC-SHA256 tag: private records under a token-key subkey, public and
//! meta records under the integrity key, which lives in clear in the meta
//! tree and so only detects corruption and edits by someone not reading it
//! (see [`keys`]). A record that fails its check is reported with
//! `DEVICE_ERROR` and never returned. Every commit is flushed before the
//! call returns and then recorded in the anchor, so `open` also notices
//! data that sled lost on recovery.

mod anchor;
mod codec;
mod commit;
mod index;
mod keys;
mod lock;
mod meta;
mod objects;
mod open;
mod pin;
mod record;
#[cfg(test)]
mod tests;

pub use keys::TokenKey;
pub use pin::{KdfParams, PinStatus, Who};
pub use record::requires_key;

use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use anchor::Anchor;
use keys::IntegrityKeys;
use meta::{State, TokenRecord};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Version of the on-disk format written by this code. Format 2 added the
/// key tag of public records that hold sealed values (record.rs); format 1
/// stores are refused with a log line saying so.
const FORMAT_VERSION: u32 = 2;

/// How a store is opened.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// sled's page cache (sled's own default of 1 GiB is far too much for
    /// a token).
    pub cache_capacity_bytes: u64,
    /// Consecutive wrong PINs after which a PIN is locked (at least 1).
    pub max_pin_failures: u32,
    /// Argon2id cost for new PIN wraps.
    pub kdf: KdfParams,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_capacity_bytes: 16 << 20,
            max_pin_failures: 10,
            kdf: KdfParams::default(),
        }
    }
}

/// The sled trees of a store.
struct Trees {
    meta: sled::Tree,
    objects: sled::Tree,
    index: sled::Tree,
    backrefs: sled::Tree,
}

/// The meta records as committed; we are the only writer, so this copy is
/// authoritative. Its mutex also serialises commits.
struct Meta {
    state: State,
    token: TokenRecord,
}

/// A decrypted object kept by `load`.
struct Cached {
    attrs: Arc<Attributes>,
    /// Decoding needed the token key (private, or holding sealed values).
    needs_key: bool,
}

/// The decrypted objects `load` keeps. Every write of an object drops its
/// entry once committed, so an entry is the object as stored and a hit
/// needs no read of the database.
#[derive(Default)]
struct Cache {
    entries: HashMap<u64, Cached>,
    /// Counts the writes that dropped entries: a load that read a record
    /// before one of them may hold what that write replaced, and must not
    /// put it back.
    writes: u64,
}

impl Cache {
    /// After a committed write of object `id`.
    fn written(&mut self, id: u64) {
        self.writes += 1;
        self.entries.remove(&id);
    }
}

/// An open token store. `Send + Sync`; all methods take `&self`.
pub struct Store {
    dir: PathBuf,
    opts: StoreOptions,
    ik: IntegrityKeys,
    meta: Mutex<Meta>,
    /// The token record as last committed, for readers (C_GetTokenInfo,
    /// C_GetSessionInfo, key checks on every load), which must not wait
    /// for the meta lock: a commit holds it across two flushes.
    published: RwLock<Arc<TokenRecord>>,
    /// Serialises everything that runs Argon2id.
    kdf_lock: Mutex<()>,
    verifiers: pin::Verifiers,
    cache: RwLock<Cache>,
    // Field order is drop order: sled closes before the lock is released.
    trees: Trees,
    db: sled::Db,
    anchor: Anchor,
    _lock: lock::ProcessLock,
}

/// Locks a mutex; a panic elsewhere does not make the data unusable,
/// since every update of the guarded data is a single assignment.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// [`lock`] for readers of an `RwLock`.
fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

/// [`lock`] for writers of an `RwLock`.
fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

impl Store {
    /// Opens (creating if needed) the store in `dir`. Fails with
    /// `TOKEN_NOT_PRESENT` when another `Store` holds the directory, and
    /// with `DEVICE_ERROR` when the data is unreadable, fails an integrity
    /// check, or was written by a newer format.
    pub fn open(dir: &Path, opts: &StoreOptions) -> Result<Store> {
        open::open(dir, opts)
    }

    /// Drops cached objects whose decoding needed the token key (call at
    /// logout).
    pub fn forget_private(&self) {
        let mut cache = write(&self.cache);
        cache.entries.retain(|_, c| !c.needs_key);
        // A load decrypted with the key before this must not put its object
        // back afterwards.
        cache.writes += 1;
    }

    fn meta(&self) -> MutexGuard<'_, Meta> {
        lock(&self.meta)
    }

    /// The token record as last committed, without waiting for a commit.
    fn token(&self) -> Arc<TokenRecord> {
        read(&self.published).clone()
    }

    /// `USER_NOT_LOGGED_IN` for a key that is not the current token key
    /// (e.g. one from before the last `init_token`).
    fn check_key<'a>(&self, key: Option<&'a TokenKey>) -> Result<Option<&'a TokenKey>> {
        let current = read(&self.published).key_check;
        match key {
            Some(k) if k.check != current => Err(Ckr::USER_NOT_LOGGED_IN),
            _ => Ok(key),
        }
    }

    fn integrity_failure(&self, what: &str) -> Ckr {
        log::error!(
            "token store {}: {what} failed its integrity check",
            self.dir.display()
        );
        Ckr::DEVICE_ERROR
    }

    fn object_failure(&self, id: u64) -> Ckr {
        self.integrity_failure(&format!("object {id}"))
    }

    fn db_error(&self, e: impl std::fmt::Display) -> Ckr {
        log::error!("token store {}: database error: {e}", self.dir.display());
        Ckr::DEVICE_ERROR
    }
}
