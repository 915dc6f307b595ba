//! The C boundary: the only code that touches raw pointers.
//!
//! Every entry point is an `unsafe extern "C" fn` named after the PKCS#11
//! function it implements. It checks the caller's pointers, turns C arguments
//! into Rust values ([`convert`], [`template`], [`mechanism`]), calls the
//! matching `crate::api` function inside [`guard`], and writes the outputs
//! back. Only `C_GetFunctionList`, `C_GetInterfaceList` and `C_GetInterface`
//! are exported symbols ([`interface`]); every other entry point is reachable
//! only through the function lists.
//!
//! Safety contract shared by every entry point: the caller follows PKCS#11,
//! so each non-NULL pointer is valid for the length the caller states. NULL
//! pointers where PKCS#11 requires a value are caught here and answered with
//! CKR_ARGUMENTS_BAD, before `api` is called, so no call leaves partial state.
//!
//! Entry points by area: [`general`] (library, slots, tokens, PINs),
//! [`session`] (sessions, login), [`objects`], [`crypto`] (encrypt, decrypt,
//! digest), [`message`] (message-based encryption), [`sign`] (sign, verify, verify-signature), [`keys`] (key
//! management, random numbers), [`unsupported`] (what the module does not
//! offer).
#![warn(unsafe_op_in_unsafe_fn)]
// Entry points carry their PKCS#11 names (C_Initialize, …) so the code, the
// function lists and the specification read the same.
#![allow(non_snake_case)]

mod convert;
mod crypto;
mod general;
mod interface;
mod keys;
mod mechanism;
mod message;
mod objects;
mod session;
mod sign;
mod template;
mod unsupported;

use crate::operation::OperationKind;
use cryptoki_sys::{CKR_BUFFER_TOO_SMALL, CKR_GENERAL_ERROR, CKR_OK, CK_RV, CK_SESSION_HANDLE};
use qrc_emulator::Result;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Run one entry point's body and turn its outcome into a CK_RV. A panic is
/// caught here, because unwinding across `extern "C"` aborts the caller's
/// process; it becomes CKR_GENERAL_ERROR. Every entry point passes here, so
/// this is where the logger is set up before anything can log, and where a
/// call that fails is logged at debug level (function and CKR name only).
fn guard(f: impl FnOnce() -> Result<()>) -> CK_RV {
    crate::logger::early();
    // The closure's type name holds the entry point's name.
    let entry = std::any::type_name_of_val(&f);
    let rv = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => CKR_OK,
        Ok(Err(e)) => e.0,
        Err(payload) => {
            let entry = crate::logger::entry_point(entry);
            // Only a literal panic message is logged: a formatted one may
            // carry runtime data, and nothing may log a secret.
            match payload.downcast_ref::<&'static str>() {
                Some(msg) => log::error!("panic in {entry}: {msg}"),
                None => log::error!("panic in {entry}"),
            }
            CKR_GENERAL_ERROR
        }
    };
    if rv != CKR_OK {
        crate::logger::failed_call(entry, rv);
    }
    rv
}

/// [`guard`] for an entry point that continues a running operation. PKCS#11
/// ends the operation on every error but CKR_BUFFER_TOO_SMALL, including the
/// argument errors this layer finds before `api` is reached; `op` names the
/// operation to end, and only that one.
fn guard_op(h: CK_SESSION_HANDLE, op: OperationKind, f: impl FnOnce() -> Result<()>) -> CK_RV {
    let rv = guard(f);
    if rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL {
        // The session may be gone (that may be the error): nothing to end.
        let _ = crate::api::end_operation(h, op);
    }
    rv
}

#[cfg(test)]
mod tests {
    use super::*;
    use qrc_emulator::Ckr;

    #[test]
    fn guard_maps_outcomes_to_ckr() {
        assert_eq!(guard(|| Ok(())), CKR_OK);
        assert_eq!(guard(|| Err(Ckr::PIN_INCORRECT)), Ckr::PIN_INCORRECT.0);
        assert_eq!(guard(|| std::panic::panic_any("boom")), CKR_GENERAL_ERROR);
        let formatted = guard(|| std::panic::panic_any(format!("{}", 1)));
        assert_eq!(formatted, CKR_GENERAL_ERROR);
    }
}
