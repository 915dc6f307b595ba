//! The process lock: one `Store` per directory at a time, across processes
//! and within one process.
//!
//! `flock` locks belong to the open file description, so a second open of
//! the same directory in the same process conflicts too. The lock is
//! released when the descriptor closes, i.e. when [`ProcessLock`] drops,
//! and by the kernel if the process dies.

use crate::error::{Ckr, Result};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// An exclusive lock on `dir/lock`, holding our pid for diagnostics.
pub(super) struct ProcessLock {
    _file: File,
}

impl ProcessLock {
    /// Takes the lock without blocking; `TOKEN_NOT_PRESENT` if another
    /// holder has it.
    pub fn acquire(dir: &Path) -> Result<ProcessLock> {
        let path = dir.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(&path)
            .map_err(|e| {
                log::error!(
                    "token store {}: cannot open {}: {e}",
                    dir.display(),
                    path.display()
                );
                Ckr::DEVICE_ERROR
            })?;
        loop {
            // SAFETY: flock on a descriptor we own; no memory is involved.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                break;
            }
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EWOULDBLOCK) => {
                    let mut holder = String::new();
                    // Best effort: the holder may not have written its pid yet.
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    log::error!(
                        "token store {}: in use by process {}; close it first",
                        dir.display(),
                        if holder.is_empty() {
                            "(unknown pid)"
                        } else {
                            holder
                        }
                    );
                    return Err(Ckr::TOKEN_NOT_PRESENT);
                }
                _ => {
                    log::error!(
                        "token store {}: cannot lock {}: {err}",
                        dir.display(),
                        path.display()
                    );
                    return Err(Ckr::DEVICE_ERROR);
                }
            }
        }
        // Diagnostics only: a failure to record the pid does not matter.
        if file.set_len(0).is_ok() {
            let _ = writeln!(file, "{}", std::process::id());
        }
        Ok(ProcessLock { _file: file })
    }
}
