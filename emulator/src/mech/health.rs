//! The module's error state. A failed known-answer or pairwise-consistency
//! test means the crypto cannot be trusted: from then on every crypto call
//! fails until the module is loaded again.

use crate::error::{Ckr, Result};
use std::sync::atomic::{AtomicBool, Ordering};

static FAILED: AtomicBool = AtomicBool::new(false);

/// Enter the error state, logging which test failed (never key material).
pub fn fail(what: &str) {
    log::error!("self-test failed: {what}; the module refuses all crypto until it is reloaded");
    FAILED.store(true, Ordering::SeqCst);
}

/// CKR_GENERAL_ERROR once a self-test has failed.
pub fn check() -> Result<()> {
    if FAILED.load(Ordering::Relaxed) {
        Err(Ckr::GENERAL_ERROR)
    } else {
        Ok(())
    }
}
