//! The error state through the function list: after a self-test failure,
//! operations already running stop (including an output computed for a
//! length query before it), and C_GenerateRandom, C_SeedRandom and new
//! operations are refused, all with CKR_GENERAL_ERROR.
//!
//! One test function: the error state is process-wide and permanent.

mod abi_support;

use abi_support::*;
use cryptoki_sys::*;
use std::ptr::null_mut;

/// Call `$f.$name(args)` through the function list.
macro_rules! call {
    ($f:ident . $name:ident ( $($arg:expr),* $(,)? )) => {
        unsafe { ($f.$name.expect(stringify!($name)))($($arg),*) }
    };
}

/// CKM_SHA256, which takes no parameter.
fn sha256() -> CK_MECHANISM {
    CK_MECHANISM {
        mechanism: CKM_SHA256,
        pParameter: null_mut(),
        ulParameterLen: 0,
    }
}

/// A read-only session on the first slot with a SHA-256 digest running.
fn digesting(f: &CK_FUNCTION_LIST_3_2, slot: CK_SLOT_ID) -> CK_SESSION_HANDLE {
    let mut h: CK_SESSION_HANDLE = 0;
    let flags = CKF_SERIAL_SESSION;
    assert_eq!(
        call!(f.C_OpenSession(slot, flags, null_mut(), None, &mut h)),
        CKR_OK
    );
    assert_eq!(call!(f.C_DigestInit(h, &mut sha256())), CKR_OK);
    h
}

#[test]
fn a_failed_self_test_stops_running_operations_and_random() {
    let dir = private_store("error-state");

    let f = list_3_2();
    assert_eq!(call!(f.C_Initialize(null_mut())), CKR_OK);
    let mut slot: CK_SLOT_ID = 0;
    let mut n: CK_ULONG = 1;
    assert_eq!(call!(f.C_GetSlotList(CK_FALSE, &mut slot, &mut n)), CKR_OK);

    let mut data = *b"data";
    // One digest being fed, one with its output computed by a length query.
    let fed = digesting(f, slot);
    assert_eq!(call!(f.C_DigestUpdate(fed, data.as_mut_ptr(), 4)), CKR_OK);
    let queried = digesting(f, slot);
    let mut len: CK_ULONG = 0;
    assert_eq!(
        call!(f.C_Digest(queried, data.as_mut_ptr(), 4, null_mut(), &mut len)),
        CKR_OK
    );
    assert_eq!(len, 32);
    let mut random = [0u8; 16];
    assert_eq!(
        call!(f.C_GenerateRandom(fed, random.as_mut_ptr(), 16)),
        CKR_OK
    );

    qrc_emulator::mech::health::fail("abi_error_state test");

    assert_eq!(
        call!(f.C_DigestUpdate(fed, data.as_mut_ptr(), 4)),
        CKR_GENERAL_ERROR
    );
    let mut digest = [0u8; 32];
    assert_eq!(
        call!(f.C_Digest(queried, data.as_mut_ptr(), 4, digest.as_mut_ptr(), &mut len)),
        CKR_GENERAL_ERROR
    );
    assert_eq!(digest, [0; 32], "output released in the error state");
    assert_eq!(
        call!(f.C_GenerateRandom(fed, random.as_mut_ptr(), 16)),
        CKR_GENERAL_ERROR
    );
    assert_eq!(
        call!(f.C_SeedRandom(fed, data.as_mut_ptr(), 4)),
        CKR_GENERAL_ERROR
    );
    assert_eq!(call!(f.C_DigestInit(fed, &mut sha256())), CKR_GENERAL_ERROR);
    assert_eq!(call!(f.C_Finalize(null_mut())), CKR_OK);
    let _ = std::fs::remove_dir_all(&dir);
}
