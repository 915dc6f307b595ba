//! What only a fresh process shows: C_Initialize (self-tests included) to
//! the first usable session, and the first C_Login of a process (which pays
//! the PIN KDF). The parent runs `qrc-tool bench --probe` as a child with
//! the token's environment, hands it the PIN, the token's serial number and
//! its slot ID on standard input, and reads one JSON line back. The child
//! looks for the serial number first (SoftHSMv2 numbers its slots anew in
//! each process), then for the slot ID (qrcpkcs11 derives the serial number
//! from the store's path, and the child has a copy of the store).

use super::memory;
use super::target::{Target, NEEDLE};
use crate::module::Ck;
use anyhow::{anyhow, bail, Context, Result};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::object::Attribute;
use cryptoki::session::UserType;
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// What one child measured.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// C_Initialize to a session that answered C_GenerateRandom.
    pub init_us: f64,
    /// Peak resident KiB of the child at that point.
    pub open_peak_kib: Option<u64>,
    /// The first C_Login(CKU_USER) of the process.
    pub login_us: f64,
    /// Peak resident KiB after that login and one search by label.
    pub login_peak_kib: Option<u64>,
}

/// The child's side: measure and print one JSON line.
pub fn child(path: &Path) -> Result<()> {
    let mut input = std::io::stdin().lock();
    let mut pin = Zeroizing::new(String::new());
    input
        .read_line(&mut pin)
        .context("cannot read the PIN from standard input")?;
    let pin = Zeroizing::new(pin.trim_end_matches('\n').to_string());
    let (mut serial, mut slot_id) = (String::new(), String::new());
    input
        .read_line(&mut serial)
        .and_then(|_| input.read_line(&mut slot_id))
        .context("cannot read the token serial number and slot from standard input")?;
    let serial = serial.trim();
    let slot_id: u64 = slot_id.trim().parse().context("bad slot ID")?;
    let ctx = Pkcs11::new(path).with_context(|| format!("cannot load {}", path.display()))?;
    let start = Instant::now();
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .ck()?;
    let slots = ctx.get_slots_with_token().ck()?;
    let mut slot = slots.iter().find(|s| s.id() == slot_id).copied();
    for s in &slots {
        if ctx.get_token_info(*s).ck()?.serial_number().trim() == serial {
            slot = Some(*s);
            break;
        }
    }
    let slot: Slot =
        slot.ok_or_else(|| anyhow!("no token with serial number {serial} or in slot {slot_id}"))?;
    let session = ctx.open_rw_session(slot).ck()?;
    session.generate_random_vec(32).ck()?;
    let init = start.elapsed();
    let open_peak_kib = memory::peak_kib();
    let start = Instant::now();
    session
        .login(UserType::User, Some(&AuthPin::from(pin.as_str())))
        .ck()?;
    let login = start.elapsed();
    session
        .find_objects(&[Attribute::Label(NEEDLE.as_bytes().to_vec())])
        .ck()?;
    let report = Report {
        init_us: micros(init),
        open_peak_kib,
        login_us: micros(login),
        login_peak_kib: memory::peak_kib(),
    };
    drop(session);
    ctx.finalize().ck()?;
    let line = serde_json::to_string(&report)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    Ok(())
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The parent's side: a child for one target, in an environment (a store
/// copy for qrcpkcs11) made once and reused by every run.
pub struct Prober {
    exe: PathBuf,
    module: PathBuf,
    serial: String,
    slot: u64,
    env: Vec<(&'static str, PathBuf)>,
}

impl Prober {
    pub fn new(t: &Target) -> Result<Prober> {
        Ok(Prober {
            exe: std::env::current_exe().context("cannot find the qrc-tool executable")?,
            module: t.module.path.clone(),
            serial: t
                .module
                .token_info(t.slot)?
                .serial_number()
                .trim()
                .to_string(),
            slot: t.slot.id(),
            env: t.child_env()?,
        })
    }

    /// Runs one child and returns what it measured.
    pub fn run(&self, pin: &str) -> Result<Report> {
        let mut child = Command::new(&self.exe)
            .arg("--module")
            .arg(&self.module)
            .args(["bench", "--probe"])
            .envs(self.env.iter().map(|(k, v)| (*k, v)))
            .env_remove("QRC_PIN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start the probe process")?;
        if let Some(mut stdin) = child.stdin.take() {
            let line = Zeroizing::new(format!("{pin}\n{}\n{}\n", self.serial, self.slot));
            stdin.write_all(line.as_bytes())?;
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err.lines().last().unwrap_or("(no message)");
            bail!("probe process failed ({}): {last}", out.status);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(text.trim()).context("unreadable probe report")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_round_trips_as_one_json_line() {
        let r = Report {
            init_us: 1234.5,
            open_peak_kib: Some(20_000),
            login_us: 210_000.0,
            login_peak_kib: None,
        };
        let line = serde_json::to_string(&r).unwrap();
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<Report>(&line).unwrap(), r);
    }
}
