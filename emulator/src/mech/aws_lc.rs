//! What every direct aws-lc call shares (`ec/ffi.rs`, `rsa/ffi.rs`,
//! `aes_gcm.rs`): emptying aws-lc's error queue after a failure, and owned
//! BIGNUMs. aws-lc-sys is the library aws-lc-rs itself links, so these are
//! the same constant-time code.

use aws_lc_sys as sys;
use std::ptr::{self, NonNull};

/// After a failed aws-lc call: empty this thread's error queue, so that
/// nothing stale is left for the next caller (nothing in it is for ours).
pub(super) fn clear_errors() {
    // SAFETY: no arguments; touches only this thread's error queue.
    unsafe { sys::ERR_clear_error() }
}

/// A failed aws-lc call, reported as `e`.
pub(super) fn failed<E>(e: E) -> E {
    clear_errors();
    e
}

/// An owned BIGNUM; a `secret` one is wiped when freed.
pub(super) struct Bn {
    bn: NonNull<sys::BIGNUM>,
    secret: bool,
}

impl Bn {
    /// A big-endian unsigned integer; empty input (no integer at all) is
    /// refused, as is one aws-lc cannot allocate.
    pub(super) fn from_bytes(bytes: &[u8], secret: bool) -> Option<Bn> {
        if bytes.is_empty() {
            return None;
        }
        // SAFETY: reads `bytes.len()` bytes of a live slice; a NULL `ret`
        // asks aws-lc for a new BIGNUM, which `Bn` then owns.
        let bn = unsafe { sys::BN_bin2bn(bytes.as_ptr(), bytes.len(), ptr::null_mut()) };
        let bn = NonNull::new(bn).or_else(|| failed(None))?;
        Some(Bn { bn, secret })
    }

    /// A public small integer (an RSA exponent).
    pub(super) fn from_u64(value: u64) -> Option<Bn> {
        // SAFETY: BN_new has no preconditions; the result is checked.
        let bn = NonNull::new(unsafe { sys::BN_new() }).or_else(|| failed(None))?;
        let bn = Bn { bn, secret: false };
        // SAFETY: `bn` is a live BIGNUM owned here.
        (unsafe { sys::BN_set_u64(bn.as_ptr(), value) } == 1)
            .then_some(bn)
            .or_else(|| failed(None))
    }

    /// The BIGNUM, still owned here, for a call that only reads or copies it.
    pub(super) fn as_ptr(&self) -> *mut sys::BIGNUM {
        self.bn.as_ptr()
    }

    /// Give up ownership (to a call that takes it).
    pub(super) fn into_raw(self) -> *mut sys::BIGNUM {
        let bn = self.bn.as_ptr();
        std::mem::forget(self);
        bn
    }
}

impl Drop for Bn {
    fn drop(&mut self) {
        // SAFETY: the BIGNUM is owned and freed once.
        unsafe {
            if self.secret {
                sys::BN_clear_free(self.bn.as_ptr())
            } else {
                sys::BN_free(self.bn.as_ptr())
            }
        }
    }
}
