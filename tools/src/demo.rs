//! `qrc-tool demo`: choose the token to tour, then run the tour.
//!
//! - an uninitialised token is initialised with well-known demo PINs;
//! - an initialised token is toured with the user PIN given;
//! - an initialised token without a PIN is left alone: the tour runs in a
//!   throw-away store, in a child process, because the module reads
//!   QRC_PKCS11_STORE when it starts.

use crate::init::init_token;
use crate::module::Module;
use crate::pin::Pin;
use crate::tour;
use anyhow::{bail, Context, Result};
use cryptoki::slot::Slot;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// Label, SO PIN and user PIN of a token the demo initialises.
pub const DEMO_LABEL: &str = "qrcpkcs11";
pub const DEMO_SO_PIN: &str = "so-pin-0000";
pub const DEMO_USER_PIN: &str = "user-pin-0000";

/// Where the tour runs.
pub enum Plan {
    /// Tour the token in this process with this user PIN.
    Here(Pin),
    /// Tour a fresh token in a throw-away store (child process).
    ThrowAway,
}

/// Decides where the demo runs, initialising an uninitialised token.
/// `throw_away` is set in the child that runs in a throw-away store.
pub fn plan(m: &Module, slot: Slot, pin: Option<Pin>, throw_away: bool) -> Result<Plan> {
    let info = m.token_info(slot)?;
    if !info.token_initialized() {
        say!("==> the token in slot {slot} is not initialised: initialising it");
        init_token(m, slot, DEMO_LABEL, DEMO_SO_PIN, DEMO_USER_PIN)?;
        say!("    label \"{DEMO_LABEL}\", SO PIN \"{DEMO_SO_PIN}\", user PIN \"{DEMO_USER_PIN}\"");
        if !throw_away {
            say!("    NOTE: these PINs are public. Change them before storing real keys:");
            let module = m.path.display();
            say!("          pkcs11-tool --module {module} --login --change-pin");
            say!("          pkcs11-tool --module {module} --login --login-type so --change-pin");
        }
        return Ok(Plan::Here(Pin::new(DEMO_USER_PIN.to_string())));
    }
    match pin {
        Some(pin) => Ok(Plan::Here(pin)),
        None if throw_away => bail!(
            "the throw-away store holds an initialised token: does {} honour QRC_PKCS11_STORE?",
            m.path.display()
        ),
        None => Ok(Plan::ThrowAway),
    }
}

/// Runs the tour in this process.
pub fn here(m: &Module, slot: Slot, pin: &str) -> Result<()> {
    tour::run(m, slot, pin)?;
    say!("\ndemo completed: every step passed");
    Ok(())
}

/// Runs `qrc-tool demo` again in a fresh store under the temp directory and
/// removes the store afterwards.
pub fn throw_away(module: &Path) -> Result<()> {
    let dir = temp_store()?;
    say!("==> the token is initialised and no user PIN was given (--login, QRC_PIN or --pin):");
    say!(
        "    leaving it untouched; the demo runs in a throw-away store at {}",
        dir.display()
    );
    let exe = std::env::current_exe().context("cannot find the qrc-tool executable")?;
    let status = Command::new(exe)
        .arg("--module")
        .arg(module)
        .arg("--store")
        .arg(&dir)
        .arg("demo")
        .arg("--throw-away")
        // The throw-away token is the default one (slot 0, default settings):
        // a config file could otherwise point the child at other stores.
        .env_remove("QRC_PKCS11_CONF")
        .env_remove("QRC_PIN")
        .status()
        .context("cannot run the demo in a child process");
    let removed = std::fs::remove_dir_all(&dir);
    let status = status?;
    removed.with_context(|| format!("cannot remove the throw-away store {}", dir.display()))?;
    if !status.success() {
        bail!("the demo in the throw-away store failed ({status})");
    }
    Ok(())
}

/// A new private directory under the temp directory.
fn temp_store() -> Result<PathBuf> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("qrc-tool-demo-{}-{nanos}", std::process::id()));
    // create() fails if the path exists, so the directory is ours alone.
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
