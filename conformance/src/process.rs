//! Multi-process tests: re-running this test binary as a child, and fork.

use std::ffi::OsStr;
use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// Environment variable telling a re-run test which side it plays.
pub const ROLE_VAR: &str = "QRC_CONFORMANCE_ROLE";

/// The role this process plays, when it was started by [`run_self`].
pub fn role() -> Option<String> {
    std::env::var(ROLE_VAR).ok()
}

/// What a child run produced.
pub struct ChildRun {
    /// Exit status.
    pub status: ExitStatus,
    /// Everything it printed on stdout (`--nocapture`).
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
}

/// Runs test `test` of this binary in a new process with `ROLE_VAR=role`
/// and `env`, killing it after `timeout` (which fails the calling test).
pub fn run_self(test: &str, role: &str, env: &[(&str, &OsStr)], timeout: Duration) -> ChildRun {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE_VAR, role);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_command(cmd, &format!("`{test}` ({role})"), timeout)
}

/// Runs `cmd` with no standard input, collecting its output, and kills it
/// after `timeout` (which fails the calling test, naming it `what`).
pub fn run_command(mut cmd: Command, what: &str, timeout: Duration) -> ChildRun {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().expect("child stdout");
    let mut err = child.stderr.take().expect("child stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for child") {
            break st;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            let stdout = out_t.join().unwrap_or_default();
            let stderr = err_t.join().unwrap_or_default();
            panic!(
                "child {what} still running after {timeout:?}: killed (a call hung)\n\
                 --- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    ChildRun {
        status,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
        elapsed,
    }
}

/// Asserts a child run succeeded, showing its output when it did not.
#[track_caller]
pub fn assert_child_ok(run: &ChildRun, what: &str) {
    assert!(
        run.status.success(),
        "{what}: child failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        run.status,
        run.stdout,
        run.stderr
    );
}

/// The pipe a [`fork_run`] child reports through (-1 elsewhere).
static CHILD_PIPE: AtomicI32 = AtomicI32::new(-1);

fn child_write(line: &str) {
    let fd = CHILD_PIPE.load(Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: writing our own buffer to our own pipe.
        unsafe { libc::write(fd, line.as_ptr() as *const libc::c_void, line.len()) };
    }
}

/// In a [`fork_run`] child, names the step about to run, so that a hang
/// (killed by the watchdog) is reported with the call that hung. Does
/// nothing outside a child.
pub fn step(what: &str) {
    child_write(&format!("step: {what}\n"));
}

/// In a [`fork_run`] child, passes a note back to the parent (returned by
/// `fork_run` on success). Does nothing outside a child.
pub fn note(what: &str) {
    child_write(&format!("note: {what}\n"));
}

/// Forks; the child runs `child` under a watchdog of `timeout_secs`
/// (SIGALRM kills it, so a hang becomes a failure) and reports back
/// through a pipe. Returns the child's notes, or its error message.
///
/// The child must only make module calls and plain computations: it is a
/// copy of a multi-threaded process.
pub fn fork_run(
    timeout_secs: u32,
    child: impl FnOnce() -> Result<(), String>,
) -> Result<Vec<String>, String> {
    let mut fds = [0i32; 2];
    // SAFETY: fds is a valid array of two ints.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    let (rd, wr) = (fds[0], fds[1]);
    // SAFETY: fork in a test process; the child only runs `child` and exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: plain libc calls on our own descriptors.
        unsafe {
            libc::close(rd);
            libc::alarm(timeout_secs);
        }
        CHILD_PIPE.store(wr, Ordering::Relaxed);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child))
            .unwrap_or_else(|p| Err(format!("child panicked: {}", panic_text(&p))));
        let code = match &result {
            Ok(()) => 0,
            Err(msg) => {
                child_write(&format!("error: {msg}\n"));
                1
            }
        };
        // SAFETY: _exit skips the parent's atexit handlers and destructors,
        // which must not run twice.
        unsafe { libc::_exit(code) };
    }
    // SAFETY: closing our copy of the write end so read() sees EOF.
    unsafe { libc::close(wr) };
    let mut report = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: reading into a valid buffer.
        let n = unsafe { libc::read(rd, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
        if n <= 0 {
            break;
        }
        report.extend_from_slice(&buf[..n as usize]);
    }
    let mut status = 0;
    // SAFETY: closing our descriptor; waiting for our own child.
    unsafe {
        libc::close(rd);
        libc::waitpid(pid, &mut status, 0);
    }
    let report = String::from_utf8_lossy(&report);
    let last_step = report
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("step: "))
        .unwrap_or("(none)");
    let errors: Vec<&str> = report
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .collect();
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        let why = if sig == libc::SIGALRM {
            " (watchdog: a call hung)"
        } else {
            ""
        };
        return Err(format!(
            "child killed by signal {sig}{why}; last step: {last_step}"
        ));
    }
    match libc::WEXITSTATUS(status) {
        0 => Ok(report
            .lines()
            .filter_map(|l| l.strip_prefix("note: "))
            .map(str::to_owned)
            .collect()),
        code => Err(format!(
            "child exited {code}: {} (last step: {last_step})",
            errors.join("; ")
        )),
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic".to_owned()
    }
}
