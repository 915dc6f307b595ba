use super::*;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

#[test]
fn second_open_in_the_process_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    let first = open_at(dir.path());
    let t = Instant::now();
    assert_eq!(
        Store::open(dir.path(), &fast_opts()).err(),
        Some(Ckr::TOKEN_NOT_PRESENT)
    );
    assert!(t.elapsed() < Duration::from_secs(1));
    let pid = std::process::id().to_string();
    let lock_file = std::fs::read_to_string(dir.path().join("lock")).unwrap();
    assert_eq!(lock_file.trim(), pid);
    let logs = logs_for(dir.path());
    assert!(
        logs.iter()
            .any(|l| l.contains("in use by process") && l.contains(&pid)),
        "{logs:?}"
    );
    drop(first);
    open_at(dir.path());
}

/// Another process holding the lock, then dying: refused, then accepted.
#[test]
fn a_lock_held_by_another_process_refuses_until_it_dies() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_at(dir.path()));
    let path = CString::new(dir.path().join("lock").as_os_str().as_bytes()).unwrap();
    let mut pipe = [0i32; 2];
    // SAFETY: plain syscalls; the child only makes async-signal-safe calls
    // (no allocation) before it is killed.
    let child = unsafe {
        assert_eq!(libc::pipe(pipe.as_mut_ptr()), 0);
        let pid = libc::fork();
        if pid == 0 {
            let fd = libc::open(path.as_ptr(), libc::O_RDWR);
            libc::flock(fd, libc::LOCK_EX);
            libc::write(pipe[1], b"1".as_ptr().cast(), 1);
            loop {
                libc::pause();
            }
        }
        let mut b = 0u8;
        assert_eq!(libc::read(pipe[0], (&mut b as *mut u8).cast(), 1), 1);
        libc::close(pipe[0]);
        libc::close(pipe[1]);
        pid
    };
    assert!(child > 0);
    let refused = Store::open(dir.path(), &fast_opts()).err();
    // SAFETY: kill and reap the child we forked.
    unsafe {
        libc::kill(child, libc::SIGKILL);
        libc::waitpid(child, std::ptr::null_mut(), 0);
    }
    assert_eq!(refused, Some(Ckr::TOKEN_NOT_PRESENT));
    open_at(dir.path());
}

#[test]
fn creates_a_private_directory() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("a").join("token");
    drop(open_at(&dir));
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    assert!(dir.join("lock").exists() && dir.join("anchor").exists() && dir.join("db").is_dir());
}
