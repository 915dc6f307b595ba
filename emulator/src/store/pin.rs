//! PINs: Argon2id key-encryption keys, token-key wraps, failure counters
//! and the in-memory verifier.
//!
//! PINs are never stored. The token key is wrapped (AES-256-GCM) under
//! KEK = Argon2id(PIN, salt), once for the SO and once for the user; each
//! wrap records its own KDF parameters and salt, so changing the
//! configured parameters later does not strand existing wraps.
//!
//! Argon2id is slow on purpose, so it runs once per PIN and process: a
//! successful login leaves a verifier, HMAC(per-process random key,
//! who ‖ PIN), next to a copy of the token key. A later login with a PIN
//! matching the verifier skips the KDF; any other PIN takes the full path,
//! so a PIN changed elsewhere still works.

use super::keys::{hmac, hmac_verify, open, random, random_secret, seal, Secret, TokenKey};
use super::meta::{TokenRecord, Wrap};
use super::{lock, Store, FORMAT_VERSION};
use crate::error::{Ckr, Result};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// Who logs in: the security officer or the normal user.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Who {
    /// The security officer (CKU_SO).
    So,
    /// The normal user (CKU_USER).
    User,
}

impl Who {
    pub(super) fn index(self) -> usize {
        match self {
            Who::So => 0,
            Who::User => 1,
        }
    }
}

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB (at least 8 × parallelism, at most 1 GiB).
    pub memory_kib: u32,
    /// Passes over memory (1 to 64).
    pub iterations: u32,
    /// Lanes (1 to 16).
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane (the RFC 9106 second recommendation).
    fn default() -> Self {
        KdfParams {
            memory_kib: 65536,
            iterations: 3,
            parallelism: 1,
        }
    }
}

// Bounds also apply to parameters read from disk, where an absurd value
// would otherwise make a login allocate without limit.
const MAX_MEMORY_KIB: u32 = 1 << 20;
const MAX_ITERATIONS: u32 = 64;
const MAX_PARALLELISM: u32 = 16;

impl KdfParams {
    /// The Argon2id instance, or `None` when the parameters are out of range.
    pub(super) fn argon2(&self) -> Option<Argon2<'static>> {
        if self.memory_kib > MAX_MEMORY_KIB
            || self.iterations > MAX_ITERATIONS
            || self.parallelism > MAX_PARALLELISM
        {
            return None;
        }
        let p = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32)).ok()?;
        Some(Argon2::new(Algorithm::Argon2id, Version::V0x13, p))
    }
}

/// The state of one PIN, for token and session flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinStatus {
    /// The PIN is set (SO: `init_token` ran; user: `init_user_pin` ran).
    pub initialized: bool,
    /// Consecutive failed attempts.
    pub failures: u32,
    /// The configured limit.
    pub max_failures: u32,
}

impl PinStatus {
    /// No further attempt is allowed.
    pub fn locked(&self) -> bool {
        self.failures >= self.max_failures
    }
}

fn wrap_aad(who: Who, params: &KdfParams, salt: &[u8; 16]) -> Vec<u8> {
    let mut a = b"qrcpkcs11 pin wrap".to_vec();
    a.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    a.push(who.index() as u8);
    for v in [params.memory_kib, params.iterations, params.parallelism] {
        a.extend_from_slice(&v.to_le_bytes());
    }
    a.extend_from_slice(salt);
    a
}

fn kek(pin: &[u8], salt: &[u8; 16], params: &KdfParams) -> Result<Secret> {
    let argon = params.argon2().ok_or(Ckr::DEVICE_ERROR)?;
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(pin, salt, out.as_mut())
        .map_err(|_| Ckr::DEVICE_ERROR)?;
    Ok(out)
}

/// Wraps the token key under `pin` with fresh salt.
pub(super) fn wrap_key(key: &TokenKey, who: Who, pin: &[u8], params: &KdfParams) -> Result<Wrap> {
    let mut salt = [0u8; 16];
    random(&mut salt)?;
    let kek = kek(pin, &salt, params)?;
    let sealed = seal(&kek, key.enc.as_ref(), &wrap_aad(who, params, &salt))?;
    Ok(Wrap {
        params: *params,
        salt,
        sealed,
    })
}

/// The token key if `pin` opens `wrap`, `None` if it does not.
fn unwrap_key(wrap: &Wrap, who: Who, pin: &[u8]) -> Result<Option<TokenKey>> {
    let kek = kek(pin, &wrap.salt, &wrap.params)?;
    let aad = wrap_aad(who, &wrap.params, &wrap.salt);
    let Some(plain) = open(&kek, &wrap.sealed, &aad) else {
        return Ok(None);
    };
    let mut enc = Zeroizing::new([0u8; 32]);
    if plain.len() != enc.len() {
        return Err(Ckr::DEVICE_ERROR);
    }
    enc.copy_from_slice(&plain);
    Ok(Some(TokenKey::from_secret(enc)))
}

struct Verifier {
    mac: Secret,
    /// Salt of the wrap this PIN opened: a verifier outlives no rewrap.
    salt: [u8; 16],
    key: TokenKey,
}

/// The per-process verifiers, one slot per [`Who`].
pub(super) struct Verifiers {
    proc_key: Secret,
    slots: Mutex<[Option<Verifier>; 2]>,
}

impl Verifiers {
    pub fn new() -> Result<Verifiers> {
        Ok(Verifiers {
            proc_key: random_secret()?,
            slots: Mutex::new([None, None]),
        })
    }

    fn check(&self, who: Who, pin: &[u8], wrap: &Wrap) -> Option<TokenKey> {
        let slots = lock(&self.slots);
        let v = slots[who.index()].as_ref()?;
        let tag_ok = hmac_verify(
            self.proc_key.as_ref(),
            &[&[who.index() as u8], pin],
            &*v.mac,
        );
        (tag_ok && v.salt == wrap.salt).then(|| v.key.clone())
    }

    fn set(&self, who: Who, pin: &[u8], wrap: &Wrap, key: &TokenKey) {
        let mac = Zeroizing::new(hmac(self.proc_key.as_ref(), &[&[who.index() as u8], pin]));
        lock(&self.slots)[who.index()] = Some(Verifier {
            mac,
            salt: wrap.salt,
            key: key.clone(),
        });
    }

    pub fn clear(&self) {
        *lock(&self.slots) = [None, None];
    }
}

impl Store {
    /// Whether `init_token` has run.
    pub fn initialized(&self) -> bool {
        self.token().initialized
    }

    /// The token label, blank-padded.
    pub fn label(&self) -> [u8; 32] {
        self.token().label
    }

    /// Whether `who`'s PIN is set, and its failure counter.
    pub fn pin_status(&self, who: Who) -> PinStatus {
        let token = self.token();
        PinStatus {
            initialized: token.wrap(who).is_some(),
            failures: token.failures[who.index()],
            max_failures: self.opts.max_pin_failures,
        }
    }

    /// Checks `pin` and returns the token key. Errors:
    /// `TOKEN_NOT_INITIALIZED` (SO before `init_token`),
    /// `USER_PIN_NOT_INITIALIZED`, `PIN_LOCKED`, `PIN_INCORRECT` (after
    /// the failure counter was durably incremented).
    pub fn login(&self, who: Who, pin: &[u8]) -> Result<TokenKey> {
        if let Some(k) = self.fast_verify(who, pin)? {
            return Ok(k);
        }
        let _kdf = lock(&self.kdf_lock);
        self.verify_pin(who, pin)
    }

    /// Initializes the token: checks the SO PIN if it was initialized
    /// before (counted like a login), then wipes every object, makes a new
    /// token key wrapped under `so_pin`, clears the user PIN and both
    /// counters, and stores `label`.
    pub fn init_token(&self, so_pin: &[u8], label: &[u8; 32]) -> Result<()> {
        let _kdf = lock(&self.kdf_lock);
        if self.initialized() {
            self.verify_pin(Who::So, so_pin)?;
        }
        let key = TokenKey::from_secret(random_secret()?);
        let wrap = wrap_key(&key, Who::So, so_pin, &self.opts.kdf)?;
        self.wipe(TokenRecord {
            initialized: true,
            label: *label,
            key_check: key.check,
            failures: [0, 0],
            wraps: [Some(wrap.clone()), None],
        })?;
        self.verifiers.clear();
        self.verifiers.set(Who::So, so_pin, &wrap, &key);
        Ok(())
    }

    /// Sets the user PIN (the SO is logged in with `key`) and resets the
    /// user's failure counter.
    pub fn init_user_pin(&self, key: &TokenKey, pin: &[u8]) -> Result<()> {
        self.check_key(Some(key))?;
        let _kdf = lock(&self.kdf_lock);
        self.rewrap(Who::User, key, pin)
    }

    /// Changes `who`'s PIN after checking `old` (counted like a login).
    pub fn set_pin(&self, who: Who, old: &[u8], new: &[u8]) -> Result<()> {
        let _kdf = lock(&self.kdf_lock);
        let key = self.verify_pin(who, old)?;
        self.rewrap(who, &key, new)
    }

    /// The current wrap for `who` if it may be tried.
    fn usable_wrap(&self, who: Who) -> Result<(Wrap, u32)> {
        let m = self.meta();
        let wrap = m.token.wrap(who).cloned().ok_or(match who {
            Who::So => Ckr::TOKEN_NOT_INITIALIZED,
            Who::User => Ckr::USER_PIN_NOT_INITIALIZED,
        })?;
        let failures = m.token.failures[who.index()];
        if failures >= self.opts.max_pin_failures {
            return Err(Ckr::PIN_LOCKED);
        }
        Ok((wrap, failures))
    }

    /// The verifier path: `Some(key)` if `pin` matches this process's
    /// verifier for the current wrap.
    fn fast_verify(&self, who: Who, pin: &[u8]) -> Result<Option<TokenKey>> {
        let (wrap, failures) = self.usable_wrap(who)?;
        let Some(key) = self.verifiers.check(who, pin, &wrap) else {
            return Ok(None);
        };
        if failures != 0 {
            self.reset_failures(who)?;
        }
        Ok(Some(key))
    }

    /// The full check, verifier first, then Argon2id. The caller holds
    /// `kdf_lock`, which serialises slow attempts: concurrent guesses
    /// cannot overtake the failure counter, and only one 64 MiB Argon2id
    /// buffer exists at a time.
    fn verify_pin(&self, who: Who, pin: &[u8]) -> Result<TokenKey> {
        if let Some(k) = self.fast_verify(who, pin)? {
            return Ok(k);
        }
        let (wrap, failures) = self.usable_wrap(who)?;
        let Some(key) = unwrap_key(&wrap, who, pin)? else {
            let i = who.index();
            self.update_token(|t| t.failures[i] = t.failures[i].saturating_add(1))?;
            return Err(Ckr::PIN_INCORRECT);
        };
        if key.check != self.meta().token.key_check {
            return Err(self.integrity_failure("the token record"));
        }
        if failures != 0 {
            self.reset_failures(who)?;
        }
        self.verifiers.set(who, pin, &wrap, &key);
        Ok(key)
    }

    fn reset_failures(&self, who: Who) -> Result<()> {
        self.update_token(|t| t.failures[who.index()] = 0)
    }

    /// Wraps `key` under `pin` for `who`, resetting the counter.
    fn rewrap(&self, who: Who, key: &TokenKey, pin: &[u8]) -> Result<()> {
        let wrap = wrap_key(key, who, pin, &self.opts.kdf)?;
        self.update_token(|t| {
            t.wraps[who.index()] = Some(wrap.clone());
            t.failures[who.index()] = 0;
        })?;
        self.verifiers.set(who, pin, &wrap, key);
        Ok(())
    }
}
