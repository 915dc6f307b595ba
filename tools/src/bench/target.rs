//! A module under test: loaded, pointed at a token of its own, initialised
//! when that token is fresh, and with the objects the bench puts on it.
//!
//! Every module gets a private temporary directory. Without `--store`, the
//! token lives there: QRC_PKCS11_STORE names it for qrcpkcs11 and a
//! SOFTHSM2_CONF written there makes it SoftHSMv2's token directory, so a
//! bench never touches the user's token. An initialised token is
//! re-initialised only on `--init`.

use crate::init::init_token;
use crate::module::{Ck, Module};
use anyhow::{anyhow, bail, Context, Result};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::object::{Attribute, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use cryptoki_sys::{CK_FLAGS, CK_MECHANISM_TYPE};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use tempfile::TempDir;
use zeroize::Zeroizing;

/// Label of a token the bench initialises.
const LABEL: &str = "qrc-bench";
/// PINs of a token the bench initialises, unless --so-pin / --pin say otherwise.
const DEFAULT_SO_PIN: &str = "bench-so-0000";
const DEFAULT_USER_PIN: &str = "bench-user-0000";
/// Label of the object the searches look for.
pub const NEEDLE: &str = "qrc-bench-needle";
/// Object counts above which modules other than qrcpkcs11 are spared the
/// population, unless --big.
pub const SMALL_CAP: usize = 1_000;

/// How to find and unlock the token of a module.
pub struct TokenChoice<'a> {
    /// The store / token directory to use instead of a temporary one.
    pub store: Option<&'a Path>,
    pub slot: Option<u64>,
    pub pin: Option<&'a str>,
    pub so_pin: Option<&'a str>,
    /// Initialise the token even if it is initialised (wipes it).
    pub init: bool,
}

/// The data objects of the object searches.
#[derive(Default)]
struct Population {
    needle: Option<ObjectHandle>,
    hay: Vec<ObjectHandle>,
}

impl Population {
    fn count(&self) -> usize {
        self.hay.len() + usize::from(self.needle.is_some())
    }
}

/// A loaded and initialised module with a usable token.
pub struct Target {
    /// Short name for reports: manufacturer and library version.
    pub name: String,
    pub module: Module,
    pub slot: Slot,
    pin: Zeroizing<String>,
    /// The library says it is qrcpkcs11.
    pub ours: bool,
    /// The directory given to the module as its store / token directory.
    store_dir: PathBuf,
    /// The store is ours to throw away (not the user's --store).
    throw_away: bool,
    softhsm_conf: PathBuf,
    mechanisms: Vec<CK_MECHANISM_TYPE>,
    population: Mutex<Population>,
    // Dropped last: holds the throw-away store and the probe copies.
    temp: TempDir,
}

impl Target {
    /// Loads the module at `path` and readies its token.
    pub fn open(path: &Path, choice: &TokenChoice) -> Result<Target> {
        let temp = tempfile::Builder::new()
            .prefix("qrc-bench-")
            .tempdir()
            .context("cannot create a temporary directory")?;
        let (store_dir, throw_away) = match choice.store {
            Some(dir) => (dir.to_path_buf(), false),
            None => {
                let dir = temp.path().join("store");
                std::fs::create_dir(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                (dir, true)
            }
        };
        let softhsm_conf = temp.path().join("softhsm2.conf");
        std::fs::write(&softhsm_conf, softhsm_conf_text(&store_dir))
            .with_context(|| format!("cannot write {}", softhsm_conf.display()))?;
        // Modules read their environment at C_Initialize; nothing else
        // runs yet. A config file could point qrcpkcs11 elsewhere or change
        // its costs: a throw-away token runs with the defaults.
        std::env::set_var("SOFTHSM2_CONF", &softhsm_conf);
        if throw_away {
            std::env::remove_var("QRC_PKCS11_CONF");
        }
        let module = Module::load(path, Some(&store_dir))?;
        let info = module.ctx.get_library_info().ck()?;
        let ours = info.manufacturer_id().trim() == "qrcpkcs11";
        let version = info.library_version();
        let name = format!(
            "{} {}.{}",
            info.manufacturer_id().trim(),
            version.major(),
            version.minor()
        );
        let (slot, pin) = ready_token(&module, choice)?;
        let mechanisms = module.raw.mechanism_list(slot)?;
        Ok(Target {
            name,
            module,
            slot,
            pin,
            ours,
            store_dir,
            throw_away,
            softhsm_conf,
            mechanisms,
            population: Mutex::new(Population::default()),
            temp,
        })
    }

    /// A read-write session, logged in as the user (the login is shared by
    /// every session of the process, so it may already be done).
    pub fn session(&self) -> Result<Session> {
        let s = self.module.ctx.open_rw_session(self.slot).ck()?;
        match s.login(UserType::User, Some(&self.auth_pin())) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(s),
            Err(e) => Err(e).ck(),
        }
    }

    /// The user PIN as cryptoki takes it.
    pub fn auth_pin(&self) -> AuthPin {
        AuthPin::from(self.pin.as_str())
    }

    /// The user PIN, for a child process.
    pub fn pin(&self) -> &str {
        &self.pin
    }

    /// `Err(note)` naming the first mechanism or function the module lacks.
    pub fn offers(&self, needs: &[(CK_MECHANISM_TYPE, CK_FLAGS)]) -> Result<(), String> {
        for &(ty, flag) in needs {
            let name = crate::names::ckm(ty);
            if !self.mechanisms.contains(&ty) {
                return Err(format!("no {name}"));
            }
            let info = self
                .module
                .raw
                .mechanism_info(self.slot, ty)
                .map_err(|e| format!("{e:#}"))?;
            if info.flags & flag == 0 {
                let what = crate::names::mechanism_flags(flag);
                return Err(format!("{name} without {what}"));
            }
        }
        Ok(())
    }

    /// How many token objects the searches may create on this module.
    pub fn object_cap(&self, big: bool) -> usize {
        if self.ours || big {
            usize::MAX
        } else {
            SMALL_CAP
        }
    }

    /// Makes the token hold at least `n` bench objects, one of them
    /// labelled [`NEEDLE`]; `progress` gets the count as it grows.
    pub fn populate(&self, n: usize, progress: &dyn Fn(usize)) -> Result<()> {
        let mut pop = self
            .population
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if pop.count() >= n {
            return Ok(());
        }
        let s = self.session()?;
        if pop.needle.is_none() {
            pop.needle = Some(s.create_object(&data_object(NEEDLE)).ck()?);
        }
        while pop.count() < n {
            let label = format!("qrc-bench-hay-{}", pop.hay.len());
            pop.hay.push(s.create_object(&data_object(&label)).ck()?);
            if pop.hay.len().is_multiple_of(256) {
                progress(pop.count());
            }
        }
        progress(pop.count());
        Ok(())
    }

    /// The environment a child process needs to reach this token:
    /// qrcpkcs11 holds its store exclusively, so the child gets a copy,
    /// made now, in a directory that goes away with the target.
    pub fn child_env(&self) -> Result<Vec<(&'static str, PathBuf)>> {
        let mut env = vec![("SOFTHSM2_CONF", self.softhsm_conf.clone())];
        if self.ours {
            let copy = tempfile::Builder::new()
                .prefix("probe-")
                .tempdir_in(self.temp.path())
                .context("cannot create a directory for the store copy")?
                .keep();
            copy_dir(&self.store_dir, &copy)?;
            env.push(("QRC_PKCS11_STORE", copy));
        }
        Ok(env)
    }

    /// Removes what the bench put on a token it does not throw away, then
    /// finalizes the module.
    pub fn close(self) -> Result<()> {
        if !self.throw_away {
            let pop = self
                .population
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner);
            if pop.count() > 0 {
                let s = self.module.ctx.open_rw_session(self.slot).ck()?;
                s.login(UserType::User, Some(&AuthPin::from(self.pin.as_str())))
                    .ck()?;
                for h in pop.needle.into_iter().chain(pop.hay) {
                    s.destroy_object(h).ck()?;
                }
            }
        }
        self.module.finalize()
    }
}

/// A SoftHSMv2 configuration with `dir` as its token directory.
fn softhsm_conf_text(dir: &Path) -> String {
    format!(
        "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
        dir.display()
    )
}

/// Picks the slot, initialises a fresh token (or any, on --init), and
/// returns the slot with the user PIN.
fn ready_token(m: &Module, choice: &TokenChoice) -> Result<(Slot, Zeroizing<String>)> {
    let slot = m.slot(choice.slot)?;
    let info = m.token_info(slot)?;
    if info.token_initialized() && !choice.init {
        let pin = choice.pin.ok_or_else(|| {
            anyhow!(
                "the token in slot {slot} of {} is initialised: give its user PIN with --pin, \
                 or --init to wipe and initialise it",
                m.path.display()
            )
        })?;
        return Ok((slot, Zeroizing::new(pin.to_string())));
    }
    let so_pin = choice.so_pin.unwrap_or(DEFAULT_SO_PIN);
    let pin = choice.pin.unwrap_or(DEFAULT_USER_PIN);
    init_token(m, slot, LABEL, so_pin, pin)?;
    Ok((initialised_slot(m, slot)?, Zeroizing::new(pin.to_string())))
}

/// The slot of the token just initialised: SoftHSMv2 moves an initialised
/// token to a new slot, so look for its label when the slot changed.
fn initialised_slot(m: &Module, slot: Slot) -> Result<Slot> {
    let same = m.ctx.get_token_info(slot);
    if same.is_ok_and(|t| t.token_initialized() && t.label().trim() == LABEL) {
        return Ok(slot);
    }
    for s in m.ctx.get_slots_with_initialized_token().ck()? {
        if m.ctx
            .get_token_info(s)
            .is_ok_and(|t| t.label().trim() == LABEL)
        {
            return Ok(s);
        }
    }
    bail!("the token initialised in slot {slot} is not found again")
}

/// A public token data object with `label`.
fn data_object(label: &str) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::DATA),
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Value(vec![0x42; 32]),
    ]
}

/// Copies the directory tree `from` into the existing directory `to`, less
/// the process lock of a qrcpkcs11 store.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    let entries =
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?;
    for entry in entries {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            std::fs::create_dir(&dst)?;
            copy_dir(&src, &dst)?;
        } else if entry.file_name() != "lock" {
            std::fs::copy(&src, &dst).with_context(|| format!("cannot copy {}", src.display()))?;
        }
    }
    Ok(())
}

/// Whether a failed call means the module does not offer what was asked
/// (a note, not a failure, in the report).
pub fn unsupported(e: &anyhow::Error) -> bool {
    const NOT_OFFERED: [&str; 6] = [
        "CKR_MECHANISM_INVALID",
        "CKR_FUNCTION_NOT_SUPPORTED",
        "CKR_PARAMETER_SET_NOT_SUPPORTED",
        "CKR_CURVE_NOT_SUPPORTED",
        "CKR_KEY_SIZE_RANGE",
        "CKR_DOMAIN_PARAMS_INVALID",
    ];
    let text = format!("{e:#}");
    NOT_OFFERED.iter().any(|c| text.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softhsm_conf_points_at_the_store() {
        let text = softhsm_conf_text(Path::new("/tmp/x y"));
        assert!(text.starts_with("directories.tokendir = /tmp/x y\n"));
        assert!(text.contains("objectstore.backend = file\n"));
    }

    #[test]
    fn copies_a_tree_without_the_lock() {
        let from = tempfile::tempdir().unwrap();
        std::fs::write(from.path().join("lock"), "123").unwrap();
        std::fs::create_dir(from.path().join("db")).unwrap();
        std::fs::write(from.path().join("db/conf"), "abc").unwrap();
        let to = tempfile::tempdir().unwrap();
        copy_dir(from.path(), to.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(to.path().join("db/conf")).unwrap(),
            "abc"
        );
        assert!(!to.path().join("lock").exists());
    }

    #[test]
    fn not_offered_is_told_from_failure() {
        assert!(unsupported(&anyhow!(
            "C_GenerateKeyPair: CKR_MECHANISM_INVALID"
        )));
        assert!(unsupported(&anyhow!(
            "C_GenerateKeyPair: CKR_PARAMETER_SET_NOT_SUPPORTED"
        )));
        assert!(!unsupported(&anyhow!("C_Sign: CKR_DEVICE_ERROR")));
    }
}
