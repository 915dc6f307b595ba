//! `qrc-tool` end to end: the built binary run against temporary stores.
//! `demo` passes; `init` sets the label and PINs (from the environment, the
//! command line or the terminal, where they are not echoed); `status` shows
//! the token and its mechanisms; `list` shows what was created through the
//! module, private objects only when logged in; a wrong or missing PIN is a
//! non-zero exit with a message that says so.
//!
//! The binary is `$QRC_TOOL`, else `qrc-tool` beside the module under test
//! (both are in the target directory of `cargo build --release`).

use cryptoki::object::Attribute;
use qrc_conformance::process::{run_command, ChildRun};
use qrc_conformance::{keys, module_path, Fixture, USER_PIN};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const SO_PIN: &str = "cli-so-pin-1";
const PIN: &str = "cli-user-pin-1";
const TIMEOUT: Duration = Duration::from_secs(120);

/// The qrc-tool binary under test.
fn tool_path() -> PathBuf {
    if let Some(p) = std::env::var_os("QRC_TOOL") {
        return PathBuf::from(p);
    }
    let module = module_path();
    let beside = module.with_file_name("qrc-tool");
    assert!(
        beside.is_file(),
        "qrc-tool not found beside {}: run `cargo build --release` (the whole workspace), \
         or set QRC_TOOL to the binary",
        module.display()
    );
    beside
}

/// qrc-tool on the module under test and `store`, with an environment
/// that names no PIN, store or configuration but those of `env`.
fn command(store: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(tool_path());
    cmd.arg("--module")
        .arg(module_path())
        .arg("--store")
        .arg(store)
        .args(args);
    for var in [
        "QRC_PIN",
        "QRC_SO_PIN",
        "QRC_PKCS11_STORE",
        "QRC_PKCS11_CONF",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd
}

/// Runs qrc-tool without a terminal.
fn run(store: &Path, args: &[&str], env: &[(&str, &str)]) -> ChildRun {
    let what = format!("qrc-tool {}", args.join(" "));
    run_command(command(store, args, env), &what, TIMEOUT)
}

fn show(run: &ChildRun) -> String {
    format!(
        "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        run.status, run.stdout, run.stderr
    )
}

/// The run succeeded; its standard output.
#[track_caller]
fn succeeded(run: ChildRun) -> String {
    assert!(run.status.success(), "{}", show(&run));
    run.stdout
}

/// The run failed with an error message containing each of `words`.
#[track_caller]
fn failed_saying(run: ChildRun, words: &[&str]) {
    assert!(!run.status.success(), "should have failed: {}", show(&run));
    for w in words {
        assert!(run.stderr.contains(w), "error lacks {w:?}: {}", show(&run));
    }
}

#[test]
fn demo_passes_in_a_fresh_store() {
    let store = TempDir::with_prefix("qrc-tool-demo-").expect("tempdir");
    let out = succeeded(run(store.path(), &["demo"], &[]));
    assert!(
        out.contains("demo completed: every step passed"),
        "no success line:\n{out}"
    );
}

#[test]
fn init_then_status_shows_the_token() {
    let store = TempDir::with_prefix("qrc-tool-init-").expect("tempdir");
    let s = store.path();
    let pins = [("QRC_SO_PIN", SO_PIN), ("QRC_PIN", PIN)];

    let before = succeeded(run(s, &["status"], &[]));
    assert!(
        !before.contains("CKF_TOKEN_INITIALIZED"),
        "a fresh store is an uninitialised token:\n{before}"
    );
    failed_saying(
        run(s, &["init", "--label", "cli-token"], &[]),
        &["SO PIN", "QRC_SO_PIN", "no terminal"],
    );

    let out = succeeded(run(s, &["init", "--label", "cli-token"], &pins));
    assert!(
        out.contains("token \"cli-token\" initialised in slot 0; user PIN set"),
        "{out}"
    );
    let status = succeeded(run(s, &["status"], &[]));
    for shown in [
        "\"cli-token\"",
        "CKF_TOKEN_INITIALIZED",
        "CKF_USER_PIN_INITIALIZED",
        "CKF_LOGIN_REQUIRED",
        "CKM_AES_GCM",
        "CKM_ML_KEM",
        "CKM_ML_DSA",
        "CKM_SLH_DSA",
        "CKM_FALCON",
        "CKM_QRC_COMP_SIG",
    ] {
        assert!(status.contains(shown), "status lacks {shown}:\n{status}");
    }
    for unnamed in ["CKM_0x", "CKM_VENDOR_DEFINED+"] {
        assert!(
            !status.contains(unnamed),
            "status shows a mechanism without its name:\n{status}"
        );
    }

    failed_saying(
        run(s, &["init", "--label", "other"], &pins),
        &["already initialised", "--force"],
    );
    // The user PIN init set opens the token.
    let listed = succeeded(run(s, &["list"], &[("QRC_PIN", PIN)]));
    assert!(listed.contains("0 object(s)"), "{listed}");
    // The SO PIN init set is the one C_InitToken checks again.
    let again = [("QRC_SO_PIN", SO_PIN), ("QRC_PIN", "cli-user-pin-2")];
    succeeded(run(s, &["init", "--force", "--label", "renewed"], &again));
    let status = succeeded(run(s, &["status"], &[]));
    assert!(status.contains("\"renewed\""), "{status}");
}

#[test]
fn list_shows_objects_made_through_the_module() {
    let mut fx = Fixture::new();
    {
        let s = fx.user_session();
        let public = vec![Attribute::Token(true), Attribute::Private(false)];
        keys::data(&s, "cli-public-data", b"public", public);
        let secret = vec![
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Label(b"cli-private-key".to_vec()),
        ];
        keys::aes(&s, &[7u8; 32], secret);
    }
    // Releases the store for qrc-tool, another process.
    fx.finalize();
    let store = fx.store().to_path_buf();

    let public = succeeded(run(&store, &["list"], &[]));
    assert!(public.contains("\"cli-public-data\""), "{public}");
    assert!(!public.contains("cli-private-key"), "{public}");
    assert!(public.contains("1 object(s) (public only"), "{public}");

    let private = succeeded(run(&store, &["list"], &[("QRC_PIN", USER_PIN)]));
    for shown in ["\"cli-public-data\"", "\"cli-private-key\"", "2 object(s)"] {
        assert!(
            private.contains(shown),
            "list with QRC_PIN lacks {shown}:\n{private}"
        );
    }
    assert!(
        private.contains("CKK_AES") && private.contains("private,sensitive"),
        "{private}"
    );
    let argv = succeeded(run(&store, &["list", "--pin", USER_PIN], &[]));
    assert!(argv.contains("2 object(s)"), "list --pin:\n{argv}");

    failed_saying(
        run(&store, &["list"], &[("QRC_PIN", "not-the-pin")]),
        &["cannot log in as the user", "CKR_PIN_INCORRECT"],
    );
    failed_saying(
        run(&store, &["list", "--login"], &[]),
        &["user PIN", "QRC_PIN", "no terminal"],
    );
}

#[test]
fn pins_typed_on_a_terminal_are_not_echoed() {
    let store = TempDir::with_prefix("qrc-tool-tty-").expect("tempdir");
    let s = store.path();
    let init = on_terminal(
        command(s, &["init", "--label", "typed"], &[]),
        &[
            ("new SO PIN: ", SO_PIN),
            ("new SO PIN again: ", SO_PIN),
            ("new user PIN: ", PIN),
            ("new user PIN again: ", PIN),
        ],
    );
    init.succeeded_with("token \"typed\" initialised");
    let list = on_terminal(
        command(s, &["list", "--login"], &[]),
        &[("user PIN: ", PIN)],
    );
    list.succeeded_with("0 object(s)");

    let mistyped = on_terminal(
        command(s, &["init", "--force"], &[]),
        &[
            ("new SO PIN: ", SO_PIN),
            ("new SO PIN again: ", "something-else"),
        ],
    );
    assert!(
        !mistyped.status.success() && mistyped.transcript.contains("differ"),
        "two different new PINs must be refused:\n{}",
        mistyped.transcript
    );
    let status = succeeded(run(s, &["status"], &[]));
    assert!(
        status.contains("\"typed\""),
        "token re-initialised:\n{status}"
    );
}

/// What a run on a terminal showed.
struct TerminalRun {
    status: ExitStatus,
    /// Everything written to the terminal, prompts and echo included.
    transcript: String,
    /// What was typed.
    typed: Vec<String>,
}

impl TerminalRun {
    #[track_caller]
    fn succeeded_with(&self, line: &str) {
        assert!(
            self.status.success() && self.transcript.contains(line),
            "exit {}, want success and {line:?}:\n{}",
            self.status,
            self.transcript
        );
        for t in &self.typed {
            assert!(
                !self.transcript.contains(t.as_str()),
                "the typed PIN was echoed:\n{}",
                self.transcript
            );
        }
    }
}

/// Runs `cmd` on a new pseudo-terminal (its controlling terminal, as for
/// a user at a shell), typing each answer once its prompt has appeared
/// and echo is off.
fn on_terminal(mut cmd: Command, answers: &[(&str, &str)]) -> TerminalRun {
    let (master, slave) = pseudo_terminal();
    cmd.stdin(Stdio::from(slave.try_clone().expect("dup")))
        .stdout(Stdio::from(slave.try_clone().expect("dup")))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("start qrc-tool on a terminal");
    // The parent's copies of the terminal's end close with `cmd`, so reads
    // of `master` end when the child does.
    drop(cmd);
    let mut master = File::from(master);
    let deadline = Instant::now() + TIMEOUT;
    let mut transcript = Vec::new();
    let mut seen = 0;
    let mut pending = answers.iter();
    let mut next = pending.next();
    loop {
        assert!(
            Instant::now() < deadline,
            "qrc-tool on a terminal hung:\n{}",
            String::from_utf8_lossy(&transcript)
        );
        if !readable(&master) {
            if child.try_wait().expect("wait").is_some() && !readable(&master) {
                break;
            }
            continue;
        }
        let mut buf = [0u8; 4096];
        match master.read(&mut buf) {
            // EIO: the child closed the terminal (exited).
            Ok(0) | Err(_) => break,
            Ok(n) => transcript.extend_from_slice(&buf[..n]),
        }
        if let Some((prompt, answer)) = next {
            let text = String::from_utf8_lossy(&transcript[seen..]).into_owned();
            if let Some(at) = text.find(prompt) {
                seen += at + prompt.len();
                wait_for_echo_off(&master);
                master
                    .write_all(format!("{answer}\n").as_bytes())
                    .expect("type on the terminal");
                next = pending.next();
            }
        }
    }
    let status = child.wait().expect("wait for qrc-tool");
    TerminalRun {
        status,
        transcript: String::from_utf8_lossy(&transcript).into_owned(),
        typed: answers.iter().map(|(_, a)| (*a).to_owned()).collect(),
    }
}

/// Waits until the terminal stops echoing: the prompt is written before
/// echo is turned off, and a user types after both.
fn wait_for_echo_off(master: &File) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // SAFETY: termios is plain data; tcgetattr fills it.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: a valid descriptor and out-pointer. On Linux the master
        // reports the terminal's (the slave's) settings.
        let rv = unsafe { libc::tcgetattr(master.as_raw_fd(), &mut t) };
        assert_eq!(rv, 0, "tcgetattr: {}", std::io::Error::last_os_error());
        if t.c_lflag & libc::ECHO == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "qrc-tool prompted for a PIN but never turned echo off"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// (master, slave) of a new pseudo-terminal.
fn pseudo_terminal() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: valid out-pointers; NULL name, termios and size are allowed.
    let rv = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rv, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty returned two new descriptors that nothing else owns.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Whether `f` has data (or its end) within 50 ms.
fn readable(f: &File) -> bool {
    let mut fds = libc::pollfd {
        fd: f.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut fds, 1, 50) > 0 }
}
