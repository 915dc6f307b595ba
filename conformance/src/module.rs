//! Finding and loading the module, and its raw function lists.
//!
//! Each lookup has a panicking form for tests and a `try_` form returning
//! the reason, for destructors (a panic there during unwinding aborts).

use cryptoki_sys::{CKR_OK, CK_FUNCTION_LIST, CK_FUNCTION_LIST_3_2, CK_INTERFACE, CK_RV, CK_ULONG};
use libloading::Library;
use std::path::PathBuf;
use std::ptr;
use std::sync::OnceLock;

/// The module under test: `$QRC_MODULE`, else the workspace's
/// `target/release/libqrcpkcs11.so`, else `target/debug/libqrcpkcs11.so`.
///
/// Panics with instructions when none exists, so a missing build is not
/// mistaken for a module failure.
pub fn module_path() -> PathBuf {
    try_module_path().unwrap_or_else(|why| panic!("{why}"))
}

/// As [`module_path`], without panicking.
pub fn try_module_path() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("QRC_MODULE") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!(
                "QRC_MODULE={} does not name a file; build the module first (cargo build --release)",
                p.display()
            ))
        };
    }
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    for profile in ["release", "debug"] {
        let p = workspace
            .join("target")
            .join(profile)
            .join("libqrcpkcs11.so");
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(format!(
        "libqrcpkcs11.so not found: run `cargo build --release` in {} first, \
         or set QRC_MODULE to the library path",
        workspace.display()
    ))
}

/// The module, loaded once and never unloaded: unloading a Rust cdylib
/// while its thread-local destructors may still run is unsafe, and every
/// `cryptoki::Pkcs11` the tests create shares this same loaded image.
pub fn library() -> &'static Library {
    try_library().unwrap_or_else(|why| panic!("{why}"))
}

/// As [`library`], without panicking.
pub fn try_library() -> Result<&'static Library, String> {
    static LIB: OnceLock<Result<Library, String>> = OnceLock::new();
    LIB.get_or_init(|| {
        let path = try_module_path()?;
        // SAFETY: loading a PKCS#11 module runs no initialisation code
        // beyond its static constructors.
        unsafe { Library::new(&path) }.map_err(|e| format!("cannot load {}: {e}", path.display()))
    })
    .as_ref()
    .map_err(Clone::clone)
}

type GetInterfaceFn = unsafe extern "C" fn(
    *mut u8,
    *mut cryptoki_sys::CK_VERSION,
    *mut *mut CK_INTERFACE,
    cryptoki_sys::CK_FLAGS,
) -> CK_RV;
type GetInterfaceListFn = unsafe extern "C" fn(*mut CK_INTERFACE, *mut CK_ULONG) -> CK_RV;
type GetFunctionListFn = unsafe extern "C" fn(*mut *mut CK_FUNCTION_LIST) -> CK_RV;

/// An exported symbol of type `T` (a C function pointer).
fn symbol<T: Copy>(name: &[u8]) -> Result<T, String> {
    let lib = try_library()?;
    // SAFETY: the caller names the symbol's true C signature as `T`.
    unsafe { lib.get::<T>(name) }.map(|s| *s).map_err(|e| {
        format!(
            "{} not exported: {e}",
            String::from_utf8_lossy(&name[..name.len() - 1])
        )
    })
}

/// The exported `C_GetInterface` symbol.
pub fn c_get_interface() -> GetInterfaceFn {
    symbol(b"C_GetInterface\0").unwrap_or_else(|why| panic!("{why}"))
}

/// The exported `C_GetInterfaceList` symbol.
pub fn c_get_interface_list() -> GetInterfaceListFn {
    symbol(b"C_GetInterfaceList\0").unwrap_or_else(|why| panic!("{why}"))
}

/// The exported `C_GetFunctionList` symbol.
pub fn c_get_function_list() -> GetFunctionListFn {
    symbol(b"C_GetFunctionList\0").unwrap_or_else(|why| panic!("{why}"))
}

/// The default interface's function list, `C_GetInterface(NULL, NULL, …)`,
/// which must be the 3.2 list. Panics, naming the problem, when it is not.
pub fn functions() -> &'static CK_FUNCTION_LIST_3_2 {
    try_functions().unwrap_or_else(|why| panic!("{why}"))
}

/// As [`functions`], without panicking.
pub fn try_functions() -> Result<&'static CK_FUNCTION_LIST_3_2, String> {
    static LIST: OnceLock<Result<usize, String>> = OnceLock::new();
    let addr = LIST.get_or_init(|| {
        let get: GetInterfaceFn = symbol(b"C_GetInterface\0")?;
        let mut iface: *mut CK_INTERFACE = ptr::null_mut();
        // SAFETY: valid out-pointer; NULL name and version ask for the default.
        let rv = unsafe { get(ptr::null_mut(), ptr::null_mut(), &mut iface, 0) };
        if rv != CKR_OK {
            return Err(format!(
                "C_GetInterface(NULL, NULL) failed: {}",
                crate::rv_name(rv)
            ));
        }
        if iface.is_null() {
            return Err("C_GetInterface(NULL, NULL) returned a NULL interface".into());
        }
        // SAFETY: the module returned a valid interface pointer.
        let list = unsafe { (*iface).pFunctionList } as *const CK_FUNCTION_LIST_3_2;
        if list.is_null() {
            return Err("default interface has a NULL function list".into());
        }
        // SAFETY: every function list starts with its CK_VERSION.
        let v = unsafe { (*list).version };
        if (v.major, v.minor) != (3, 2) {
            return Err(format!(
                "default interface is version {}.{}, not 3.2",
                v.major, v.minor
            ));
        }
        Ok(list as usize)
    });
    // SAFETY: the module's function lists are static for the life of the
    // loaded library, which is never unloaded (see `library`).
    addr.clone()
        .map(|a| unsafe { &*(a as *const CK_FUNCTION_LIST_3_2) })
}

/// The 2.40 list from `C_GetFunctionList`.
pub fn function_list_240() -> &'static CK_FUNCTION_LIST {
    let mut list: *mut CK_FUNCTION_LIST = ptr::null_mut();
    // SAFETY: valid out-pointer.
    let rv = unsafe { c_get_function_list()(&mut list) };
    assert_eq!(
        rv,
        CKR_OK,
        "C_GetFunctionList failed: {}",
        crate::rv_name(rv)
    );
    assert!(!list.is_null(), "C_GetFunctionList returned NULL");
    // SAFETY: static for the life of the never-unloaded library.
    unsafe { &*list }
}
