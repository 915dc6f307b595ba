//! Resident memory of this process: the current size and the peak since
//! the last reset, from /proc/self/status (VmRSS, VmHWM). Writing "5" to
//! /proc/self/clear_refs resets the peak (Linux 4.0+), so each group of
//! operations gets its own peak; without /proc, getrusage's ru_maxrss gives
//! the peak of the whole process so far.

use std::fs;

/// Resident set in KiB now, if known.
pub fn current_kib() -> Option<u64> {
    status_field(&fs::read_to_string("/proc/self/status").ok()?, "VmRSS")
}

/// Peak resident set in KiB since the last [`reset_peak`] (or since the
/// process started when the reset is not available).
pub fn peak_kib() -> Option<u64> {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| status_field(&s, "VmHWM"))
        .or_else(maxrss_kib)
}

/// Starts a new peak at the current resident size; false if the kernel
/// does not offer it (the peak then covers the whole run so far).
pub fn reset_peak() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `ru_maxrss`, which Linux reports in KiB.
fn maxrss_kib() -> Option<u64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one rusage through a valid pointer.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: getrusage succeeded, so the struct is initialised.
    let usage = unsafe { usage.assume_init() };
    u64::try_from(usage.ru_maxrss).ok()
}

/// The KiB value of a "Name:   1234 kB" line of /proc/PID/status.
pub fn status_field(status: &str, name: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(':')?;
        rest.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kib_fields_of_proc_status() {
        let s = "Name:\tqrc-tool\nVmHWM:\t   13484 kB\nVmRSS:\t    2200 kB\n";
        assert_eq!(status_field(s, "VmHWM"), Some(13484));
        assert_eq!(status_field(s, "VmRSS"), Some(2200));
        assert_eq!(status_field(s, "VmSwap"), None);
        assert_eq!(status_field("VmRSS:\tlots kB\n", "VmRSS"), None);
    }

    #[test]
    fn peak_follows_an_allocation_after_a_reset() {
        let (Some(_), true) = (current_kib(), reset_peak()) else {
            return; // no /proc here: nothing to check
        };
        let before = peak_kib().unwrap();
        // 32 MiB, touched so that it is resident.
        let big = vec![1u8; 32 << 20];
        assert_eq!(big.iter().map(|&b| u64::from(b)).sum::<u64>(), 32 << 20);
        let after = peak_kib().unwrap();
        assert!(after >= before + 30 * 1024, "{before} → {after}");
    }
}
