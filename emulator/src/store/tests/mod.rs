//! Store tests, on temporary directories, with cheap KDF parameters except
//! where the cost itself is measured.

mod integrity;
mod lock;
mod objects;
mod pins;

use super::*;
use cryptoki_sys::*;
use std::path::PathBuf;
use std::sync::Once;

/// Collects log lines so tests can check what the store reports.
struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.target().starts_with("qrc_emulator")
    }
    fn log(&self, r: &log::Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let line = format!("{} {}", r.level(), r.args());
        eprintln!("{line}");
        lock(&self.0).push(line);
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

fn capture_logs() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let _ = log::set_logger(&CAPTURE);
        log::set_max_level(log::LevelFilter::Debug);
    });
}

/// Log lines mentioning `dir` (tests run in parallel, each in its own dir).
fn logs_for(dir: &Path) -> Vec<String> {
    let d = dir.display().to_string();
    lock(&CAPTURE.0)
        .iter()
        .filter(|l| l.contains(&d))
        .cloned()
        .collect()
}

const SO_PIN: &[u8] = b"so-pin-1234";
const USER_PIN: &[u8] = b"user-pin-5678";

fn fast_opts() -> StoreOptions {
    capture_logs();
    StoreOptions {
        max_pin_failures: 3,
        kdf: KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        ..StoreOptions::default()
    }
}

/// Opens the store at `dir`. Other tests in this process fork (fork.rs,
/// rng.rs, lock.rs), and a child holds copies of every open lock file until
/// it exits, so a store just closed may read as held for a moment.
fn open_at(dir: &Path) -> Store {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match Store::open(dir, &fast_opts()) {
            Err(Ckr::TOKEN_NOT_PRESENT) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            other => return other.unwrap(),
        }
    }
}

fn label32(s: &str) -> [u8; 32] {
    let mut l = [b' '; 32];
    l[..s.len()].copy_from_slice(s.as_bytes());
    l
}

/// An initialized token with a user PIN; returns the user's key.
fn ready(dir: &Path) -> (Store, TokenKey) {
    let s = open_at(dir);
    s.init_token(SO_PIN, &label32("test token")).unwrap();
    let so = s.login(Who::So, SO_PIN).unwrap();
    s.init_user_pin(&so, USER_PIN).unwrap();
    let user = s.login(Who::User, USER_PIN).unwrap();
    (s, user)
}

fn data_object(label: &[u8], private: bool) -> Attributes {
    let mut a = Attributes::new();
    a.set_ulong(CKA_CLASS, CKO_DATA);
    a.set_bool(CKA_TOKEN, true);
    a.set_bool(CKA_PRIVATE, private);
    a.set(CKA_LABEL, label.to_vec());
    a.set(CKA_VALUE, b"public data value".to_vec());
    a
}

fn secret_key(label: &[u8], value: &[u8], private: bool) -> Attributes {
    let mut a = Attributes::new();
    a.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    a.set_ulong(CKA_KEY_TYPE, CKK_AES);
    a.set_bool(CKA_TOKEN, true);
    a.set_bool(CKA_PRIVATE, private);
    a.set(CKA_LABEL, label.to_vec());
    a.set(CKA_ID, b"key-id".to_vec());
    a.set(CKA_VALUE, value.to_vec());
    a
}

fn template(ty: CK_ATTRIBUTE_TYPE, value: &[u8]) -> Attributes {
    let mut t = Attributes::new();
    t.set(ty, value.to_vec());
    t
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn positions(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// Number of occurrences of `needle` in all files under `dir`.
fn occurrences(dir: &Path, needle: &[u8]) -> usize {
    files_under(dir)
        .iter()
        .map(|f| positions(&std::fs::read(f).unwrap(), needle).len())
        .sum()
}

fn generation(s: &Store) -> u64 {
    s.meta().state.gen
}
