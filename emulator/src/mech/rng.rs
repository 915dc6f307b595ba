//! The random number generator: a ChaCha20 DRBG per thread (no lock shared
//! between sessions), seeded from the operating system, reseeded from it
//! after every [`RESEED_INTERVAL`] bytes and whenever the process id changes,
//! so a forked child never repeats its parent's output.

use crate::error::{Ckr, Result};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_core::OsRng;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use zeroize::Zeroizing;

/// Output after which the generator takes fresh entropy from the OS.
const RESEED_INTERVAL: usize = 1 << 20;

/// One thread's generator.
struct Drbg {
    rng: ChaCha20Rng,
    /// The process the state was last seeded in.
    pid: u32,
    /// Bytes output since the last reseed.
    since_reseed: usize,
}

/// 32 bytes from the operating system. Without them no key can be made
/// safely: the call fails with CKR_DEVICE_ERROR, as the token store does
/// when the same source fails it (the token's entropy source is at fault,
/// not the request).
fn os_entropy() -> Result<Zeroizing<[u8; 32]>> {
    entropy(&mut OsRng)
}

/// 32 bytes from an entropy source, or CKR_DEVICE_ERROR.
fn entropy(source: &mut impl RngCore) -> Result<Zeroizing<[u8; 32]>> {
    let mut seed = Zeroizing::new([0u8; 32]);
    source.try_fill_bytes(&mut *seed).map_err(|e| {
        log::error!("the operating system's random source failed: {e}");
        Ckr::DEVICE_ERROR
    })?;
    Ok(seed)
}

impl Drbg {
    fn new() -> Result<Drbg> {
        let mut drbg = Drbg {
            rng: ChaCha20Rng::from_seed(*os_entropy()?),
            pid: 0,
            since_reseed: 0,
        };
        drbg.reseed(crate::fork::pid())?;
        Ok(drbg)
    }

    /// New key: SHA-256 over fresh OS entropy, the current state's output and
    /// the process id, so the result differs from the parent's after a fork
    /// even if both read the same entropy.
    fn reseed(&mut self, pid: u32) -> Result<()> {
        self.mix(
            b"qrcpkcs11 rng reseed",
            &[&*os_entropy()?, &pid.to_ne_bytes()],
        );
        self.pid = pid;
        self.since_reseed = 0;
        Ok(())
    }

    /// Replace the key by SHA-256(label, 32 bytes of output, inputs).
    fn mix(&mut self, label: &[u8], inputs: &[&[u8]]) {
        let mut current = Zeroizing::new([0u8; 32]);
        self.rng.fill_bytes(&mut *current);
        let mut h = Sha256::new();
        h.update(label);
        h.update(*current);
        for input in inputs {
            h.update((input.len() as u64).to_be_bytes());
            h.update(input);
        }
        let seed = Zeroizing::new(<[u8; 32]>::from(h.finalize()));
        self.rng = ChaCha20Rng::from_seed(*seed);
    }

    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        for chunk in buf.chunks_mut(RESEED_INTERVAL) {
            let pid = crate::fork::pid();
            if pid != self.pid || self.since_reseed + chunk.len() > RESEED_INTERVAL {
                self.reseed(pid)?;
            }
            self.rng.fill_bytes(chunk);
            self.since_reseed += chunk.len();
        }
        Ok(())
    }
}

thread_local! {
    static DRBG: RefCell<Option<Drbg>> = const { RefCell::new(None) };
}

/// Run `f` on this thread's generator, seeding it on first use; during
/// thread teardown, when the thread-local is gone, on a fresh one.
fn with_drbg<R>(f: impl FnOnce(&mut Drbg) -> Result<R>) -> Result<R> {
    let mut f = Some(f);
    let used = DRBG.try_with(|cell| {
        let mut slot = cell.borrow_mut();
        let drbg = match &mut *slot {
            Some(drbg) => drbg,
            empty => empty.insert(Drbg::new()?),
        };
        f.take().map_or(Err(Ckr::GENERAL_ERROR), |f| f(drbg))
    });
    match (used, f) {
        (Ok(result), _) => result,
        (Err(_), Some(f)) => f(&mut Drbg::new()?),
        (Err(_), None) => Err(Ckr::GENERAL_ERROR),
    }
}

/// Fill `buf` with random bytes; CKR_GENERAL_ERROR in the error state,
/// CKR_DEVICE_ERROR if the OS entropy source fails.
pub fn fill(buf: &mut [u8]) -> Result<()> {
    super::health::check()?;
    with_drbg(|d| d.fill(buf))
}

/// Mix the caller's bytes (C_SeedRandom) into this thread's generator. They
/// are hashed together with the current state, never used instead of it.
pub fn seed(extra: &[u8]) -> Result<()> {
    super::health::check()?;
    with_drbg(|d| {
        d.mix(b"qrcpkcs11 rng seed", &[extra]);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drbg(seed: u8, pid: u32) -> Drbg {
        Drbg {
            rng: ChaCha20Rng::from_seed([seed; 32]),
            pid,
            since_reseed: 0,
        }
    }

    fn next(d: &mut Drbg) -> [u8; 32] {
        let mut out = [0u8; 32];
        d.fill(&mut out).unwrap();
        out
    }

    #[test]
    fn output_differs_call_to_call() {
        let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
        fill(&mut a).unwrap();
        fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 64]);
        fill(&mut []).unwrap();
    }

    #[test]
    fn a_new_process_id_forces_a_reseed() {
        let pid = crate::fork::pid();
        let (mut same, mut other) = (drbg(1, pid), drbg(1, pid));
        assert_eq!(next(&mut same), next(&mut other));
        other.pid = pid.wrapping_add(1);
        assert_ne!(next(&mut same), next(&mut other));
        assert_eq!(other.pid, pid);
    }

    #[test]
    fn reseeds_after_the_interval() {
        let pid = crate::fork::pid();
        let mut d = drbg(2, pid);
        let mut shadow = drbg(2, pid);
        let mut big = vec![0u8; RESEED_INTERVAL - 32];
        d.fill(&mut big).unwrap();
        shadow.fill(&mut big).unwrap();
        // Up to the interval exactly, the same stream.
        assert_eq!(next(&mut d), next(&mut shadow));
        assert_eq!(d.since_reseed, RESEED_INTERVAL);
        // Past it, each has reseeded from the OS.
        assert_ne!(next(&mut d), next(&mut shadow));
        assert_eq!(d.since_reseed, 32);
        // A request larger than the interval reseeds within it.
        let mut huge = vec![0u8; 2 * RESEED_INTERVAL + 5];
        d.fill(&mut huge).unwrap();
        assert_eq!(d.since_reseed, 5);
    }

    #[test]
    fn seed_mixes_in_without_replacing() {
        let pid = crate::fork::pid();
        let (mut a, mut b, mut c) = (drbg(3, pid), drbg(3, pid), drbg(4, pid));
        a.mix(b"qrcpkcs11 rng seed", &[b"extra"]);
        b.mix(b"qrcpkcs11 rng seed", &[b"other"]);
        c.mix(b"qrcpkcs11 rng seed", &[b"extra"]);
        let (x, y, z) = (next(&mut a), next(&mut b), next(&mut c));
        // The caller's bytes matter, and so does the previous state.
        assert_ne!(x, y);
        assert_ne!(x, z);
        let before = {
            let mut out = [0u8; 32];
            fill(&mut out).unwrap();
            out
        };
        seed(&[0; 32]).unwrap();
        let mut after = [0u8; 32];
        fill(&mut after).unwrap();
        assert_ne!(before, after);
    }

    /// An entropy source that always fails, as getrandom(2) may.
    struct Failing;

    impl RngCore for Failing {
        fn next_u32(&mut self) -> u32 {
            unreachable!("only try_fill_bytes is used")
        }
        fn next_u64(&mut self) -> u64 {
            unreachable!("only try_fill_bytes is used")
        }
        fn fill_bytes(&mut self, _: &mut [u8]) {
            unreachable!("only try_fill_bytes is used")
        }
        fn try_fill_bytes(&mut self, _: &mut [u8]) -> std::result::Result<(), rand_core::Error> {
            let code = std::num::NonZeroU32::new(rand_core::Error::CUSTOM_START).unwrap();
            Err(code.into())
        }
    }

    #[test]
    fn an_entropy_failure_is_a_device_error() {
        assert_eq!(entropy(&mut Failing).err(), Some(Ckr::DEVICE_ERROR));
    }

    #[test]
    fn forked_child_does_not_repeat_the_parent() {
        let mut warm = [0u8; 32];
        fill(&mut warm).unwrap();
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: the child only fills a buffer, writes it and calls _exit.
        let child = unsafe { libc::fork() };
        assert!(child >= 0);
        if child == 0 {
            let mut out = [0u8; 32];
            fill(&mut out).unwrap();
            // SAFETY: writes 32 bytes from a live buffer to the pipe, then
            // exits without running the parent's destructors or test harness.
            unsafe {
                libc::write(fds[1], out.as_ptr().cast(), out.len());
                libc::_exit(0);
            }
        }
        let mut mine = [0u8; 32];
        fill(&mut mine).unwrap();
        let mut theirs = [0u8; 32];
        // SAFETY: reads at most 32 bytes into a live buffer, then reaps the child.
        let (n, status) = unsafe {
            libc::close(fds[1]);
            let n = libc::read(fds[0], theirs.as_mut_ptr().cast(), theirs.len());
            libc::close(fds[0]);
            let mut status = 0;
            libc::waitpid(child, &mut status, 0);
            (n, status)
        };
        assert_eq!(n, 32);
        assert_eq!(status, 0);
        assert_ne!(mine, theirs);
        assert_ne!(theirs, [0u8; 32]);
    }
}
