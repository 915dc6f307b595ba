//! Interfaces, function lists, C_Initialize / C_Finalize / C_GetInfo.

use cryptoki_sys::*;
use qrc_conformance::module::{c_get_function_list, c_get_interface, c_get_interface_list};
use qrc_conformance::probe::{mismatches, sweep};
use qrc_conformance::{call, expect_one_of, expect_rv, functions, Exclusive, Fixture};
use std::ffi::{c_void, CStr};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

const PKCS11: &[u8] = b"PKCS 11\0";

fn name_of(iface: &CK_INTERFACE) -> String {
    assert!(
        !iface.pInterfaceName.is_null(),
        "interface with a NULL name"
    );
    // SAFETY: the module returns a NUL-terminated name.
    unsafe { CStr::from_ptr(iface.pInterfaceName as *const _) }
        .to_string_lossy()
        .into_owned()
}

fn version_of(iface: &CK_INTERFACE) -> (u8, u8) {
    assert!(
        !iface.pFunctionList.is_null(),
        "interface with a NULL function list"
    );
    // SAFETY: every function list starts with its CK_VERSION.
    let v = unsafe { *(iface.pFunctionList as *const CK_VERSION) };
    (v.major, v.minor)
}

fn get_interface(
    name: Option<&[u8]>,
    version: Option<(u8, u8)>,
    flags: CK_FLAGS,
) -> Result<CK_INTERFACE, CK_RV> {
    let mut v = version.map(|(major, minor)| CK_VERSION { major, minor });
    let vp = v.as_mut().map_or(ptr::null_mut(), |v| v as *mut CK_VERSION);
    let np = name.map_or(ptr::null_mut(), |n| n.as_ptr() as *mut u8);
    let mut iface: *mut CK_INTERFACE = ptr::null_mut();
    // SAFETY: valid or NULL pointers.
    let rv = unsafe { c_get_interface()(np, vp, &mut iface, flags) };
    if rv != CKR_OK {
        return Err(rv);
    }
    assert!(
        !iface.is_null(),
        "C_GetInterface returned CKR_OK and a NULL interface"
    );
    // SAFETY: the module returned a valid pointer.
    Ok(unsafe { *iface })
}

/// No interface claims CKF_INTERFACE_FORK_SAFE: PKCS#11 defines it as a
/// forked child keeping its copy of the sessions, login state and object
/// handles, and this module's child starts uninitialised (fork.rs).
#[test]
fn default_interface_is_pkcs11_3_2_and_not_fork_safe() {
    let _ex = Exclusive::new();
    let iface = get_interface(None, None, 0).expect("C_GetInterface(NULL, NULL)");
    assert_eq!(name_of(&iface), "PKCS 11");
    assert_eq!(version_of(&iface), (3, 2));
    assert_eq!(
        iface.flags & CKF_INTERFACE_FORK_SAFE,
        0,
        "default interface claims CKF_INTERFACE_FORK_SAFE"
    );
}

/// NSS's sequence: "PKCS 11" with CKF_INTERFACE_FORK_SAFE, then without.
#[test]
fn fork_safe_request_finds_no_interface_and_the_retry_does() {
    let _ex = Exclusive::new();
    for version in [None, Some((3, 2)), Some((3, 0)), Some((2, 40))] {
        let r = get_interface(Some(PKCS11), version, CKF_INTERFACE_FORK_SAFE);
        expect_rv(
            r.err().unwrap_or(CKR_OK),
            CKR_ARGUMENTS_BAD,
            &format!("C_GetInterface(\"PKCS 11\", {version:?}, CKF_INTERFACE_FORK_SAFE)"),
        );
    }
    let iface = get_interface(Some(PKCS11), None, 0).expect("C_GetInterface(\"PKCS 11\", NULL, 0)");
    assert_eq!(version_of(&iface), (3, 2));
}

#[test]
fn interface_list_offers_3_2_3_0_and_2_40() {
    let _ex = Exclusive::new();
    let f = c_get_interface_list();
    let mut n: CK_ULONG = 0;
    // SAFETY: NULL list asks for the count.
    expect_rv(
        unsafe { f(ptr::null_mut(), &mut n) },
        CKR_OK,
        "C_GetInterfaceList(NULL, &n)",
    );
    assert_eq!(n, 3, "interface count");

    let mut short: CK_ULONG = 1;
    let mut buf = vec![
        CK_INTERFACE {
            pInterfaceName: ptr::null_mut(),
            pFunctionList: ptr::null_mut(),
            flags: 0
        };
        3
    ];
    // SAFETY: buffer of one entry, count says one.
    expect_rv(
        unsafe { f(buf.as_mut_ptr(), &mut short) },
        CKR_BUFFER_TOO_SMALL,
        "C_GetInterfaceList with room for 1",
    );
    assert_eq!(short, 3, "needed count after CKR_BUFFER_TOO_SMALL");

    // SAFETY: buffer of n entries.
    expect_rv(
        unsafe { f(buf.as_mut_ptr(), &mut n) },
        CKR_OK,
        "C_GetInterfaceList(buf)",
    );
    let mut versions: Vec<(u8, u8)> = buf.iter().map(version_of).collect();
    versions.sort();
    assert_eq!(versions, vec![(2, 40), (3, 0), (3, 2)]);
    for iface in &buf {
        assert_eq!(name_of(iface), "PKCS 11");
        assert_eq!(
            iface.flags,
            0,
            "{:?} has interface flags",
            version_of(iface)
        );
    }

    // SAFETY: NULL count pointer is the error under test.
    expect_rv(
        unsafe { f(ptr::null_mut(), ptr::null_mut()) },
        CKR_ARGUMENTS_BAD,
        "C_GetInterfaceList(NULL, NULL)",
    );
}

#[test]
fn get_interface_by_name_and_each_version() {
    let _ex = Exclusive::new();
    for v in [(3, 2), (3, 0), (2, 40)] {
        let iface = get_interface(Some(PKCS11), Some(v), 0).unwrap_or_else(|rv| {
            panic!(
                "C_GetInterface(\"PKCS 11\", {v:?}): {}",
                qrc_conformance::rv_name(rv)
            )
        });
        assert_eq!(version_of(&iface), v);
        assert_eq!(name_of(&iface), "PKCS 11");
    }
    let iface = get_interface(Some(PKCS11), None, 0).expect("C_GetInterface(\"PKCS 11\", NULL)");
    assert_eq!(name_of(&iface), "PKCS 11");
}

#[test]
fn unknown_interfaces_fail_cleanly() {
    let _ex = Exclusive::new();
    let r = get_interface(Some(b"Vendor NSS Module Interface\0"), None, 0);
    assert!(
        r.is_err(),
        "C_GetInterface(\"Vendor NSS Module Interface\") succeeded"
    );
    let r = get_interface(Some(PKCS11), Some((3, 1)), 0);
    assert!(
        r.is_err(),
        "C_GetInterface(\"PKCS 11\", 3.1) succeeded though 3.1 is not offered"
    );
    let r = get_interface(Some(PKCS11), Some((4, 0)), 0);
    assert!(r.is_err(), "C_GetInterface(\"PKCS 11\", 4.0) succeeded");
    // SAFETY: NULL ppInterface is the error under test.
    let rv = unsafe { c_get_interface()(ptr::null_mut(), ptr::null_mut(), ptr::null_mut(), 0) };
    expect_rv(rv, CKR_ARGUMENTS_BAD, "C_GetInterface(NULL, NULL, NULL)");
}

/// Counts the entries of a function list and names the NULL ones.
macro_rules! null_entries {
    ($list:expr; $($f:ident),* $(,)?) => {{
        let l = $list;
        let mut missing: Vec<&str> = Vec::new();
        let mut n = 0usize;
        $( n += 1; if l.$f.is_none() { missing.push(stringify!($f)); } )*
        (n, missing)
    }};
}

macro_rules! v240_names {
    ($m:ident, $list:expr $(, $extra:ident)*) => {
        $m!($list;
            C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList, C_GetSlotList, C_GetSlotInfo,
            C_GetTokenInfo, C_GetMechanismList, C_GetMechanismInfo, C_InitToken, C_InitPIN, C_SetPIN,
            C_OpenSession, C_CloseSession, C_CloseAllSessions, C_GetSessionInfo, C_GetOperationState,
            C_SetOperationState, C_Login, C_Logout, C_CreateObject, C_CopyObject, C_DestroyObject,
            C_GetObjectSize, C_GetAttributeValue, C_SetAttributeValue, C_FindObjectsInit, C_FindObjects,
            C_FindObjectsFinal, C_EncryptInit, C_Encrypt, C_EncryptUpdate, C_EncryptFinal, C_DecryptInit,
            C_Decrypt, C_DecryptUpdate, C_DecryptFinal, C_DigestInit, C_Digest, C_DigestUpdate, C_DigestKey,
            C_DigestFinal, C_SignInit, C_Sign, C_SignUpdate, C_SignFinal, C_SignRecoverInit, C_SignRecover,
            C_VerifyInit, C_Verify, C_VerifyUpdate, C_VerifyFinal, C_VerifyRecoverInit, C_VerifyRecover,
            C_DigestEncryptUpdate, C_DecryptDigestUpdate, C_SignEncryptUpdate, C_DecryptVerifyUpdate,
            C_GenerateKey, C_GenerateKeyPair, C_WrapKey, C_UnwrapKey, C_DeriveKey, C_SeedRandom,
            C_GenerateRandom, C_GetFunctionStatus, C_CancelFunction, C_WaitForSlotEvent $(, $extra)*)
    };
}

macro_rules! v30_names {
    ($m:ident, $list:expr $(, $extra:ident)*) => {
        v240_names!($m, $list,
            C_GetInterfaceList, C_GetInterface, C_LoginUser, C_SessionCancel, C_MessageEncryptInit,
            C_EncryptMessage, C_EncryptMessageBegin, C_EncryptMessageNext, C_MessageEncryptFinal,
            C_MessageDecryptInit, C_DecryptMessage, C_DecryptMessageBegin, C_DecryptMessageNext,
            C_MessageDecryptFinal, C_MessageSignInit, C_SignMessage, C_SignMessageBegin, C_SignMessageNext,
            C_MessageSignFinal, C_MessageVerifyInit, C_VerifyMessage, C_VerifyMessageBegin,
            C_VerifyMessageNext, C_MessageVerifyFinal $(, $extra)*)
    };
}

#[test]
fn every_function_list_entry_is_set() {
    let _ex = Exclusive::new();
    let (n, missing) = v30_names!(
        null_entries,
        functions(),
        C_EncapsulateKey,
        C_DecapsulateKey,
        C_VerifySignatureInit,
        C_VerifySignature,
        C_VerifySignatureUpdate,
        C_VerifySignatureFinal,
        C_GetSessionValidationFlags,
        C_AsyncComplete,
        C_AsyncGetID,
        C_AsyncJoin,
        C_WrapKeyAuthenticated,
        C_UnwrapKeyAuthenticated
    );
    assert_eq!(n, 104);
    assert!(
        missing.is_empty(),
        "NULL entries in the 3.2 list: {missing:?}"
    );

    let iface = get_interface(Some(PKCS11), Some((3, 0)), 0).expect("3.0 interface");
    // SAFETY: the 3.0 interface's list is a CK_FUNCTION_LIST_3_0.
    let l30 = unsafe { &*(iface.pFunctionList as *const CK_FUNCTION_LIST_3_0) };
    let (n, missing) = v30_names!(null_entries, l30);
    assert_eq!(n, 92);
    assert!(
        missing.is_empty(),
        "NULL entries in the 3.0 list: {missing:?}"
    );

    let l240 = qrc_conformance::function_list_240();
    let (n, missing) = v240_names!(null_entries, l240);
    assert_eq!(n, 68);
    assert!(
        missing.is_empty(),
        "NULL entries in the 2.40 list: {missing:?}"
    );
}

#[test]
fn get_function_list_is_2_40() {
    let _ex = Exclusive::new();
    let l = qrc_conformance::function_list_240();
    assert_eq!((l.version.major, l.version.minor), (2, 40));
    // SAFETY: NULL is the error under test.
    expect_rv(
        unsafe { c_get_function_list()(ptr::null_mut()) },
        CKR_ARGUMENTS_BAD,
        "C_GetFunctionList(NULL)",
    );
}

fn assert_blank_padded(field: &[u8], what: &str) {
    assert!(
        !field.contains(&0),
        "{what} contains NUL bytes (must be blank padded): {field:?}"
    );
    assert!(std::str::from_utf8(field).is_ok(), "{what} is not UTF-8");
}

#[test]
fn get_info_says_cryptoki_3_2() {
    let fx = Fixture::new();
    let mut info = CK_INFO::default();
    expect_rv(call!(C_GetInfo(&mut info)), CKR_OK, "C_GetInfo");
    assert_eq!(
        (info.cryptokiVersion.major, info.cryptokiVersion.minor),
        (3, 2)
    );
    assert_eq!(info.flags, 0, "CK_INFO.flags is reserved and must be zero");
    assert_blank_padded(&info.manufacturerID, "manufacturerID");
    assert_blank_padded(&info.libraryDescription, "libraryDescription");
    expect_rv(
        call!(C_GetInfo(ptr::null_mut())),
        CKR_ARGUMENTS_BAD,
        "C_GetInfo(NULL)",
    );
    let via_cryptoki = qrc_conformance::expect_ok(fx.ctx.get_library_info(), "get_library_info");
    assert_eq!(via_cryptoki.cryptoki_version().major(), 3);
    assert_eq!(via_cryptoki.cryptoki_version().minor(), 2);
}

fn init_args(flags: CK_FLAGS) -> CK_C_INITIALIZE_ARGS {
    CK_C_INITIALIZE_ARGS {
        CreateMutex: None,
        DestroyMutex: None,
        LockMutex: None,
        UnlockMutex: None,
        flags,
        pReserved: ptr::null_mut(),
    }
}

fn initialize(args: Option<&mut CK_C_INITIALIZE_ARGS>) -> CK_RV {
    let p = args.map_or(ptr::null_mut(), |a| {
        a as *mut CK_C_INITIALIZE_ARGS as *mut c_void
    });
    call!(C_Initialize(p))
}

fn is_initialised() -> bool {
    let mut info = CK_INFO::default();
    call!(C_GetInfo(&mut info)) == CKR_OK
}

#[test]
fn initialize_with_null_then_twice_then_finalize() {
    let _ex = Exclusive::new();
    expect_rv(initialize(None), CKR_OK, "C_Initialize(NULL)");
    expect_rv(
        initialize(None),
        CKR_CRYPTOKI_ALREADY_INITIALIZED,
        "second C_Initialize(NULL)",
    );
    let mut a = init_args(CKF_OS_LOCKING_OK);
    expect_rv(
        initialize(Some(&mut a)),
        CKR_CRYPTOKI_ALREADY_INITIALIZED,
        "second C_Initialize(args)",
    );
    let mut reserved = 0u64;
    expect_rv(
        call!(C_Finalize(&mut reserved as *mut u64 as *mut c_void)),
        CKR_ARGUMENTS_BAD,
        "C_Finalize(non-NULL)",
    );
    assert!(
        is_initialised(),
        "a rejected C_Finalize finalized the module"
    );
    expect_rv(
        call!(C_Finalize(ptr::null_mut())),
        CKR_OK,
        "C_Finalize(NULL)",
    );
    expect_rv(
        call!(C_Finalize(ptr::null_mut())),
        CKR_CRYPTOKI_NOT_INITIALIZED,
        "second C_Finalize",
    );
    expect_rv(initialize(None), CKR_OK, "C_Initialize after C_Finalize");
    expect_rv(call!(C_Finalize(ptr::null_mut())), CKR_OK, "C_Finalize");
}

#[test]
fn initialize_with_os_locking_ok() {
    let _ex = Exclusive::new();
    let mut a = init_args(CKF_OS_LOCKING_OK);
    expect_rv(
        initialize(Some(&mut a)),
        CKR_OK,
        "C_Initialize(CKF_OS_LOCKING_OK)",
    );
    assert!(is_initialised());
    expect_rv(call!(C_Finalize(ptr::null_mut())), CKR_OK, "C_Finalize");
}

#[test]
fn initialize_with_reserved_pointer_is_arguments_bad() {
    let _ex = Exclusive::new();
    let mut dummy = 0u64;
    let mut a = init_args(CKF_OS_LOCKING_OK);
    a.pReserved = &mut dummy as *mut u64 as *mut c_void;
    expect_rv(
        initialize(Some(&mut a)),
        CKR_ARGUMENTS_BAD,
        "C_Initialize with pReserved set",
    );
    assert!(
        !is_initialised(),
        "module initialised despite CKR_ARGUMENTS_BAD"
    );
}

// A working mutex for the CK_C_INITIALIZE_ARGS callbacks: a spin lock.
extern "C" fn create_mutex(out: *mut *mut c_void) -> CK_RV {
    if out.is_null() {
        return CKR_ARGUMENTS_BAD;
    }
    // SAFETY: out checked non-NULL; the module passes a valid slot.
    unsafe { *out = Box::into_raw(Box::new(AtomicBool::new(false))) as *mut c_void };
    CKR_OK
}
extern "C" fn destroy_mutex(m: *mut c_void) -> CK_RV {
    if m.is_null() {
        return CKR_MUTEX_BAD;
    }
    // SAFETY: created by create_mutex.
    drop(unsafe { Box::from_raw(m as *mut AtomicBool) });
    CKR_OK
}
extern "C" fn lock_mutex(m: *mut c_void) -> CK_RV {
    if m.is_null() {
        return CKR_MUTEX_BAD;
    }
    // SAFETY: created by create_mutex and not yet destroyed.
    let b = unsafe { &*(m as *const AtomicBool) };
    while b
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        std::hint::spin_loop();
    }
    CKR_OK
}
extern "C" fn unlock_mutex(m: *mut c_void) -> CK_RV {
    if m.is_null() {
        return CKR_MUTEX_BAD;
    }
    // SAFETY: as above.
    let b = unsafe { &*(m as *const AtomicBool) };
    if b.swap(false, Ordering::Release) {
        CKR_OK
    } else {
        CKR_MUTEX_NOT_LOCKED
    }
}

#[test]
fn initialize_with_some_but_not_all_mutex_callbacks_is_arguments_bad() {
    let _ex = Exclusive::new();
    let mut a = init_args(0);
    a.CreateMutex = Some(create_mutex);
    a.LockMutex = Some(lock_mutex);
    expect_rv(
        initialize(Some(&mut a)),
        CKR_ARGUMENTS_BAD,
        "C_Initialize with 2 of 4 mutex callbacks",
    );
    assert!(
        !is_initialised(),
        "module initialised despite CKR_ARGUMENTS_BAD"
    );
}

#[test]
fn initialize_with_mutex_callbacks() {
    let _ex = Exclusive::new();
    for flags in [0, CKF_OS_LOCKING_OK] {
        let mut a = init_args(flags);
        a.CreateMutex = Some(create_mutex);
        a.DestroyMutex = Some(destroy_mutex);
        a.LockMutex = Some(lock_mutex);
        a.UnlockMutex = Some(unlock_mutex);
        let rv = initialize(Some(&mut a));
        // Without CKF_OS_LOCKING_OK the module must use the callbacks or
        // refuse with CKR_CANT_LOCK; with it, either locking is acceptable.
        let allowed: &[CK_RV] = if flags == 0 {
            &[CKR_OK, CKR_CANT_LOCK]
        } else {
            &[CKR_OK]
        };
        expect_one_of(
            rv,
            allowed,
            &format!("C_Initialize with mutex callbacks, flags {flags:#x}"),
        );
        if rv == CKR_OK {
            let mut n: CK_ULONG = 0;
            expect_rv(
                call!(C_GetSlotList(CK_FALSE, ptr::null_mut(), &mut n)),
                CKR_OK,
                "C_GetSlotList",
            );
            expect_rv(call!(C_Finalize(ptr::null_mut())), CKR_OK, "C_Finalize");
        }
    }
}

#[test]
fn initialize_when_library_cannot_create_threads() {
    // GnuTLS and NSS always set the flag; refusing it would lose both.
    let _ex = Exclusive::new();
    let mut a = init_args(CKF_OS_LOCKING_OK | CKF_LIBRARY_CANT_CREATE_OS_THREADS);
    expect_rv(
        initialize(Some(&mut a)),
        CKR_OK,
        "C_Initialize(CKF_LIBRARY_CANT_CREATE_OS_THREADS)",
    );
    let mut n: CK_ULONG = 0;
    expect_rv(
        call!(C_GetSlotList(CK_FALSE, ptr::null_mut(), &mut n)),
        CKR_OK,
        "C_GetSlotList",
    );
    expect_rv(call!(C_Finalize(ptr::null_mut())), CKR_OK, "C_Finalize");
}

#[test]
fn calls_before_initialize_are_not_initialized() {
    let _ex = Exclusive::new();
    let results = sweep(0, 1, 1);
    let bad = mismatches(&results, CKR_CRYPTOKI_NOT_INITIALIZED);
    assert!(
        bad.is_empty(),
        "calls before C_Initialize not refused with CKR_CRYPTOKI_NOT_INITIALIZED: {bad:#?}"
    );
}

#[test]
fn calls_after_finalize_are_not_initialized_and_old_handles_die() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let key = qrc_conformance::keys::aes(&s, &[7u8; 16], vec![]);
    let h = s.handle();
    expect_rv(call!(C_Finalize(ptr::null_mut())), CKR_OK, "C_Finalize");
    let bad = mismatches(&sweep(0, h, key), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert!(
        bad.is_empty(),
        "calls after C_Finalize not refused with CKR_CRYPTOKI_NOT_INITIALIZED: {bad:#?}"
    );

    expect_rv(initialize(None), CKR_OK, "C_Initialize again");
    let mut info = CK_SESSION_INFO::default();
    expect_rv(
        call!(C_GetSessionInfo(h, &mut info)),
        CKR_SESSION_HANDLE_INVALID,
        "old session after re-initialize",
    );
    drop(s); // its C_CloseSession fails quietly: the handle is gone
}
