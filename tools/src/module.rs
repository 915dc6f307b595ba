//! Finding, loading and initialising the PKCS#11 module, choosing a slot, and
//! reporting cryptoki errors by their CKR names.

use crate::names;
use crate::raw::Raw;
use anyhow::{anyhow, bail, Context, Result};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::Error as CkError;
use cryptoki::session::{Session, UserType};
use cryptoki::slot::{Slot, TokenInfo};
use cryptoki::types::AuthPin;
use std::path::{Path, PathBuf};

/// The module's file name, looked for next to the qrc-tool executable first.
const MODULE_FILE: &str = "libqrcpkcs11.so";
/// Where packages install the module (Debian multiarch layout).
const SYSTEM_MODULE: &str = "/usr/lib/x86_64-linux-gnu/pkcs11/libqrcpkcs11.so";

/// Converts cryptoki results to anyhow results whose message names the
/// PKCS#11 call and the CKR, e.g. "C_Login: CKR_PIN_INCORRECT".
pub trait Ck<T> {
    fn ck(self) -> Result<T>;
}

impl<T> Ck<T> for cryptoki::error::Result<T> {
    fn ck(self) -> Result<T> {
        self.map_err(|e| match e {
            CkError::Pkcs11(rv, function) => anyhow!("C_{function:?}: {}", names::rv_error(rv)),
            other => anyhow!(other),
        })
    }
}

/// The CKR of a failed cryptoki call, if it was a PKCS#11 error.
pub fn ckr_of(e: &CkError) -> Option<String> {
    match e {
        CkError::Pkcs11(rv, _) => Some(names::rv_error(*rv)),
        _ => None,
    }
}

/// The module path: `explicit` if given, else the module next to this
/// executable (a `cargo build` tree), else the system location.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(MODULE_FILE)));
    let candidates: Vec<PathBuf> = beside
        .into_iter()
        .chain([PathBuf::from(SYSTEM_MODULE)])
        .collect();
    match candidates.iter().find(|p| p.is_file()) {
        Some(p) => Ok(p.clone()),
        None => {
            let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            bail!("no PKCS#11 module found (tried {}); build it with `cargo build --release` or pass --module PATH", tried.join(", "))
        }
    }
}

/// An initialised module: cryptoki's context plus the raw calls cryptoki lacks.
pub struct Module {
    pub ctx: Pkcs11,
    pub raw: Raw,
    pub path: PathBuf,
}

impl Module {
    /// Loads and initialises the module at `path`. `store`, when given, is
    /// exported as QRC_PKCS11_STORE first: the module reads it at C_Initialize.
    pub fn load(path: &Path, store: Option<&Path>) -> Result<Module> {
        if let Some(dir) = store {
            // Single-threaded at this point: nothing else reads the environment.
            std::env::set_var("QRC_PKCS11_STORE", dir);
        }
        let ctx = Pkcs11::new(path).with_context(|| format!("cannot load {}", path.display()))?;
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .ck()?;
        let raw = Raw::open(path)?;
        Ok(Module {
            ctx,
            raw,
            path: path.to_path_buf(),
        })
    }

    /// The slot with ID `wanted`, or by default the lowest slot ID (the
    /// default token is slot 0).
    pub fn slot(&self, wanted: Option<u64>) -> Result<Slot> {
        let slots = self.ctx.get_all_slots().ck()?;
        match wanted {
            Some(id) => slots
                .into_iter()
                .find(|s| s.id() == id)
                .ok_or_else(|| anyhow!("no slot {id}")),
            None => slots
                .into_iter()
                .min_by_key(Slot::id)
                .ok_or_else(|| anyhow!("the module offers no slot")),
        }
    }

    /// The token in `slot`; explains the usual reason when there is none.
    pub fn token_info(&self, slot: Slot) -> Result<TokenInfo> {
        match self.ctx.get_token_info(slot) {
            Ok(info) => Ok(info),
            Err(e) if ckr_of(&e).as_deref() == Some("CKR_TOKEN_NOT_PRESENT") => bail!(
                "slot {slot} has no token: its store is probably open in another process \
                 (the module names the holder's pid on standard error)"
            ),
            Err(e) => Err(e).ck(),
        }
    }

    /// Finalizes the module; later loads start from a clean state.
    pub fn finalize(self) -> Result<()> {
        self.ctx.finalize().ck()
    }
}

/// Logs `who` in with `pin`.
pub fn login(session: &Session, who: UserType, pin: &str) -> Result<()> {
    let whom = match who {
        UserType::So => "the SO",
        _ => "the user",
    };
    session
        .login(who, Some(&AuthPin::from(pin)))
        .ck()
        .with_context(|| format!("cannot log in as {whom}"))
}
