//! The process ID, without a system call per use. Every PKCS#11 call checks
//! it (a forked child must not use its parent's module, sessions or random
//! generator state), and glibc does not cache getpid(), so the ID is kept
//! here and refreshed in the child by a pthread_atfork handler.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

/// This process's ID; 0 until first asked for.
static PID: AtomicU32 = AtomicU32::new(0);

/// Runs in the child right after fork(): getpid() is async-signal-safe.
extern "C" fn refresh_in_child() {
    // SAFETY: getpid has no preconditions.
    PID.store(unsafe { libc::getpid() } as u32, Ordering::Relaxed);
}

/// The ID of the calling process, as `std::process::id()` gives it.
/// A child made by fork() (which runs the atfork handlers) sees its own ID;
/// one made by a raw clone() system call that then calls into the module
/// without exec() is not supported by PKCS#11 anyway.
pub fn pid() -> u32 {
    let pid = PID.load(Ordering::Relaxed);
    if pid != 0 {
        return pid;
    }
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: registers a handler that only stores an atomic; the
        // function lives for the whole process.
        unsafe { libc::pthread_atfork(None, None, Some(refresh_in_child)) };
    });
    let pid = std::process::id();
    PID.store(pid, Ordering::Relaxed);
    pid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_is_the_process_id_and_a_child_sees_its_own() {
        assert_eq!(pid(), std::process::id());
        let mut fds = [0; 2];
        // SAFETY: a pipe for the child's answer; fork in a test process whose
        // child only calls async-signal-safe functions before _exit.
        unsafe {
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            let child = libc::fork();
            assert!(child >= 0);
            if child == 0 {
                let ok = u8::from(pid() == libc::getpid() as u32);
                libc::write(fds[1], (&ok as *const u8).cast(), 1);
                libc::_exit(0);
            }
            let mut ok = 0u8;
            assert_eq!(libc::read(fds[0], (&mut ok as *mut u8).cast(), 1), 1);
            libc::waitpid(child, std::ptr::null_mut(), 0);
            libc::close(fds[0]);
            libc::close(fds[1]);
            assert_eq!(ok, 1, "the child saw its parent's ID");
        }
        assert_eq!(pid(), std::process::id());
    }
}
