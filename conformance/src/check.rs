//! Return-value assertions that name the codes, so a failing test reads as a
//! bug report: "C_Login: got CKR 0x000000A0 PinIncorrect, want …".

use cryptoki::error::{Error, Rv, RvError};
use cryptoki_sys::{CKR_OK, CK_RV};
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::OnceLock;

/// `0x000000A0 PinIncorrect`: the number and cryptoki's name for it.
pub fn rv_name(rv: CK_RV) -> String {
    match Rv::from(rv) {
        Rv::Ok => format!("0x{rv:08X} CKR_OK"),
        Rv::Error(e) => format!("0x{rv:08X} {e:?}"),
    }
}

/// cryptoki has no `RvError` → `CK_RV` conversion; invert its `CK_RV` →
/// `RvError` one over the range the standard uses.
fn code_of(e: RvError) -> Option<CK_RV> {
    static MAP: OnceLock<HashMap<String, CK_RV>> = OnceLock::new();
    let map = MAP.get_or_init(|| {
        (1..0x400)
            .filter_map(|rv| match Rv::from(rv) {
                Rv::Error(RvError::UnknownErrorCode(_)) | Rv::Ok => None,
                Rv::Error(e) => Some((format!("{e:?}"), rv)),
            })
            .collect()
    });
    match e {
        RvError::VendorDefined(v) | RvError::UnknownErrorCode(v) => Some(v),
        e => map.get(&format!("{e:?}")).copied(),
    }
}

/// The `CK_RV` of a cryptoki call. Panics on errors that did not come from
/// the module (library loading, conversions), which are test-side bugs.
pub fn rv_of<T: Debug>(r: &cryptoki::error::Result<T>) -> CK_RV {
    match r {
        Ok(_) => CKR_OK,
        Err(Error::Pkcs11(e, _)) => {
            code_of(*e).unwrap_or_else(|| panic!("no CK_RV known for cryptoki error {e:?}"))
        }
        Err(other) => panic!("cryptoki error that is not a module return value: {other:?}"),
    }
}

/// Asserts `got == want`.
#[track_caller]
pub fn expect_rv(got: CK_RV, want: CK_RV, what: &str) {
    assert!(
        got == want,
        "{what}: got {}, want {}",
        rv_name(got),
        rv_name(want)
    );
}

/// Asserts `got` is one of `wants` (for calls where the standard allows
/// more than one code).
#[track_caller]
pub fn expect_one_of(got: CK_RV, wants: &[CK_RV], what: &str) {
    if !wants.contains(&got) {
        let names: Vec<String> = wants.iter().map(|w| rv_name(*w)).collect();
        panic!(
            "{what}: got {}, want one of [{}]",
            rv_name(got),
            names.join(", ")
        );
    }
}

/// Asserts a cryptoki call failed with `want`.
#[track_caller]
pub fn expect_err<T: Debug>(r: cryptoki::error::Result<T>, want: CK_RV, what: &str) {
    let got = rv_of(&r);
    assert!(
        got == want,
        "{what}: got {} ({r:?}), want {}",
        rv_name(got),
        rv_name(want)
    );
}

/// Unwraps a cryptoki call, naming the return value when it failed.
#[track_caller]
pub fn expect_ok<T: Debug>(r: cryptoki::error::Result<T>, what: &str) -> T {
    let got = rv_of(&r);
    match r {
        Ok(v) => v,
        Err(_) => panic!("{what}: got {}, want CKR_OK", rv_name(got)),
    }
}

/// Unwraps a raw call's result, naming the return value when it failed.
#[track_caller]
pub fn must<T>(r: Result<T, CK_RV>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(rv) => panic!("{what}: got {}, want CKR_OK", rv_name(rv)),
    }
}

/// The `CK_RV` of a raw call's result (`CKR_OK` for `Ok`).
pub fn rv_from<T>(r: &Result<T, CK_RV>) -> CK_RV {
    match r {
        Ok(_) => CKR_OK,
        Err(rv) => *rv,
    }
}

/// Collects mismatches instead of stopping at the first, for tests that
/// sweep many independent calls: the report then lists every one.
#[derive(Default)]
pub struct Checks {
    failures: Vec<String>,
}

impl Checks {
    /// No failures yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a failure unless `got == want`; returns whether it matched.
    pub fn rv(&mut self, got: CK_RV, want: CK_RV, what: &str) -> bool {
        let ok = got == want;
        if !ok {
            self.failures.push(format!(
                "{what}: got {}, want {}",
                rv_name(got),
                rv_name(want)
            ));
        }
        ok
    }

    /// Records a failure unless `got` is one of `wants`.
    pub fn one_of(&mut self, got: CK_RV, wants: &[CK_RV], what: &str) -> bool {
        let ok = wants.contains(&got);
        if !ok {
            let names: Vec<String> = wants.iter().map(|w| rv_name(*w)).collect();
            self.failures.push(format!(
                "{what}: got {}, want one of [{}]",
                rv_name(got),
                names.join(", ")
            ));
        }
        ok
    }

    /// Panics listing every recorded failure, if any.
    #[track_caller]
    pub fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{} check(s) failed:\n  {}",
            self.failures.len(),
            self.failures.join("\n  ")
        );
    }
}
