//! Shared by the abi_* tests: the module's three exported symbols, declared
//! as any C consumer would, and the function lists reached through them.

// Each test binary uses a subset of these helpers.
#![allow(dead_code)]

use cryptoki_sys::*;
use std::ptr::null_mut;

// Link the module (the rlib) so the declarations below resolve to it.
use qrcpkcs11 as _;

extern "C" {
    pub fn C_GetFunctionList(pp_function_list: *mut *mut CK_FUNCTION_LIST) -> CK_RV;
    pub fn C_GetInterfaceList(p_list: *mut CK_INTERFACE, pul_count: *mut CK_ULONG) -> CK_RV;
    pub fn C_GetInterface(
        p_name: *mut CK_UTF8CHAR,
        p_version: *mut CK_VERSION,
        pp_interface: *mut *mut CK_INTERFACE,
        flags: CK_FLAGS,
    ) -> CK_RV;
}

/// The interface C_GetInterface returns for (name, version, flags), or its error.
pub fn interface(
    name: Option<&std::ffi::CStr>,
    version: Option<(u8, u8)>,
    flags: CK_FLAGS,
) -> Result<&'static CK_INTERFACE, CK_RV> {
    let mut v = version.map(|(major, minor)| CK_VERSION { major, minor });
    let p_version = v.as_mut().map_or(null_mut(), |v| v as *mut CK_VERSION);
    let p_name = name.map_or(null_mut(), |n| n.as_ptr().cast_mut().cast());
    let mut p: *mut CK_INTERFACE = null_mut();
    match unsafe { C_GetInterface(p_name, p_version, &mut p, flags) } {
        // SAFETY: on success the module points to its static interface table.
        CKR_OK => Ok(unsafe { p.as_ref() }.expect("C_GetInterface returned OK and NULL")),
        rv => {
            assert!(
                p.is_null(),
                "C_GetInterface failed with 0x{rv:X} but wrote the output"
            );
            Err(rv)
        }
    }
}

/// Point the module at a private, empty store under the temporary
/// directory (nothing a test does may touch the user's) and return its
/// directory, for the test to remove at the end.
pub fn private_store(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("qrc-abi-{test}-{}", std::process::id()));
    std::env::set_var("QRC_PKCS11_STORE", dir.join("store"));
    std::env::set_var("XDG_DATA_HOME", &dir);
    std::env::remove_var("QRC_PKCS11_CONF");
    dir
}

/// The PKCS#11 3.2 function list (the default interface).
pub fn list_3_2() -> &'static CK_FUNCTION_LIST_3_2 {
    let i = interface(None, None, 0).expect("default interface");
    // SAFETY: the 3.2 interface points to a static CK_FUNCTION_LIST_3_2.
    unsafe { &*i.pFunctionList.cast::<CK_FUNCTION_LIST_3_2>() }
}
