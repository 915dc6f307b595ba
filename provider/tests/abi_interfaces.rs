//! The module's interfaces and function lists, as a C consumer sees them.

mod abi_support;

use abi_support::*;
use cryptoki_sys::*;
use std::mem::{offset_of, size_of};
use std::ptr::null_mut;

/// The function pointers of a function list, walked as raw words after the
/// version, so a field left out of a list or a NULL entry shows up.
fn entries<T>(list: &T, first: usize) -> Vec<usize> {
    let n = (size_of::<T>() - first) / size_of::<usize>();
    let base = (list as *const T).cast::<u8>().wrapping_add(first);
    // SAFETY: the list is `size_of::<T>()` bytes of pointer-sized entries
    // from `first` on (all Option<fn>, which are pointer-sized).
    (0..n)
        .map(|i| unsafe { base.cast::<usize>().add(i).read_unaligned() })
        .collect()
}

fn version(v: CK_VERSION) -> (u8, u8) {
    (v.major, v.minor)
}

fn list_2_40() -> &'static CK_FUNCTION_LIST {
    let mut p: *mut CK_FUNCTION_LIST = null_mut();
    assert_eq!(unsafe { C_GetFunctionList(&mut p) }, CKR_OK);
    // SAFETY: on success the module points to its static list.
    unsafe { p.as_ref() }.expect("C_GetFunctionList returned OK and NULL")
}

#[test]
fn every_list_is_complete_and_shares_its_prefix() {
    let l32 = list_3_2();
    let l30 = interface(None, Some((3, 0)), 0)
        .expect("3.0 interface")
        .pFunctionList;
    // SAFETY: the 3.0 interface points to a static CK_FUNCTION_LIST_3_0.
    let l30 = unsafe { &*l30.cast::<CK_FUNCTION_LIST_3_0>() };
    let l240 = list_2_40();
    assert_eq!(version(l32.version), (3, 2));
    assert_eq!(version(l30.version), (3, 0));
    assert_eq!(version(l240.version), (2, 40));

    let e32 = entries(l32, offset_of!(CK_FUNCTION_LIST_3_2, C_Initialize));
    let e30 = entries(l30, offset_of!(CK_FUNCTION_LIST_3_0, C_Initialize));
    let e240 = entries(l240, offset_of!(CK_FUNCTION_LIST, C_Initialize));
    assert_eq!((e32.len(), e30.len(), e240.len()), (104, 92, 68));
    assert!(e32.iter().all(|&p| p != 0), "NULL entry in the 3.2 list");
    assert_eq!(
        e32[..92],
        e30[..],
        "3.0 list differs from the 3.2 list's prefix"
    );
    assert_eq!(
        e32[..68],
        e240[..],
        "2.40 list differs from the 3.2 list's prefix"
    );

    // The list entries for the exported functions are those functions.
    let get_interface = l32.C_GetInterface.map(|f| f as usize);
    assert_eq!(get_interface, Some(C_GetInterface as *const () as usize));
    let get_list = l32.C_GetInterfaceList.map(|f| f as usize);
    assert_eq!(get_list, Some(C_GetInterfaceList as *const () as usize));
    let get_function_list = l240.C_GetFunctionList.map(|f| f as usize);
    assert_eq!(
        get_function_list,
        Some(C_GetFunctionList as *const () as usize)
    );
}

#[test]
fn get_function_list_needs_a_pointer() {
    assert_eq!(unsafe { C_GetFunctionList(null_mut()) }, CKR_ARGUMENTS_BAD);
    // The 2.40 list is the one the 2.40 interface offers.
    let i = interface(None, Some((2, 40)), 0).expect("2.40 interface");
    assert_eq!(i.pFunctionList as usize, list_2_40() as *const _ as usize);
}

#[test]
fn interface_list_two_call_convention() {
    assert_eq!(
        unsafe { C_GetInterfaceList(null_mut(), null_mut()) },
        CKR_ARGUMENTS_BAD
    );
    let mut n: CK_ULONG = 0;
    assert_eq!(unsafe { C_GetInterfaceList(null_mut(), &mut n) }, CKR_OK);
    assert_eq!(n, 3);

    let mut list = [CK_INTERFACE::default(); 4];
    let mut n: CK_ULONG = 2;
    assert_eq!(
        unsafe { C_GetInterfaceList(list.as_mut_ptr(), &mut n) },
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(n, 3);
    assert!(
        list.iter().all(|i| i.pFunctionList.is_null()),
        "written despite BUFFER_TOO_SMALL"
    );

    let mut n: CK_ULONG = 4;
    assert_eq!(
        unsafe { C_GetInterfaceList(list.as_mut_ptr(), &mut n) },
        CKR_OK
    );
    assert_eq!(n, 3);
    let mut versions = vec![];
    for i in &list[..3] {
        // SAFETY: the module's names are NUL-terminated static strings.
        let name = unsafe { std::ffi::CStr::from_ptr(i.pInterfaceName.cast()) };
        assert_eq!(name, c"PKCS 11");
        // Not fork-safe in PKCS#11's sense: a child starts uninitialised.
        assert_eq!(i.flags, 0);
        // Every function list starts with its CK_VERSION.
        versions.push(version(unsafe {
            i.pFunctionList.cast::<CK_VERSION>().read()
        }));
    }
    assert_eq!(versions, [(3, 2), (3, 0), (2, 40)]);
    assert!(
        list[3].pFunctionList.is_null(),
        "wrote past the entries it reported"
    );
}

#[test]
fn get_interface_by_name_version_and_flags() {
    let version_of =
        |i: &CK_INTERFACE| version(unsafe { i.pFunctionList.cast::<CK_VERSION>().read() });
    // The default, as the cryptoki crate, OpenSC and NSS ask for it.
    for name in [None, Some(c"PKCS 11")] {
        assert_eq!(interface(name, None, 0).map(version_of), Ok((3, 2)));
    }
    // NSS asks for CKF_INTERFACE_FORK_SAFE first, then without it.
    assert_eq!(
        interface(Some(c"PKCS 11"), None, CKF_INTERFACE_FORK_SAFE).err(),
        Some(CKR_ARGUMENTS_BAD)
    );
    for v in [(3, 2), (3, 0), (2, 40)] {
        assert_eq!(
            interface(Some(c"PKCS 11"), Some(v), 0).map(version_of),
            Ok(v)
        );
        assert_eq!(
            interface(None, Some(v), CKF_INTERFACE_FORK_SAFE).err(),
            Some(CKR_ARGUMENTS_BAD)
        );
    }
    // No such version, name or flag: CKR_ARGUMENTS_BAD, output untouched
    // (checked inside `interface`).
    assert_eq!(
        interface(None, Some((3, 1)), 0).err(),
        Some(CKR_ARGUMENTS_BAD)
    );
    assert_eq!(
        interface(None, Some((2, 20)), 0).err(),
        Some(CKR_ARGUMENTS_BAD)
    );
    assert_eq!(
        interface(Some(c"Vendor NSS Module Interface"), None, 0).err(),
        Some(CKR_ARGUMENTS_BAD)
    );
    assert_eq!(
        interface(Some(c"PKCS 11 "), None, 0).err(),
        Some(CKR_ARGUMENTS_BAD)
    );
    assert_eq!(interface(Some(c""), None, 0).err(), Some(CKR_ARGUMENTS_BAD));
    assert_eq!(interface(None, None, 2).err(), Some(CKR_ARGUMENTS_BAD));
    let rv = unsafe { C_GetInterface(null_mut(), null_mut(), null_mut(), 0) };
    assert_eq!(rv, CKR_ARGUMENTS_BAD);
}

/// The cdylib exports exactly the three C_ symbols: everything else is
/// reached through the function lists. Skipped (with a note) if the library
/// or `nm` is not at hand.
#[test]
fn cdylib_exports_only_the_three_symbols() {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps directory");
    let candidates = [
        deps.join("libqrcpkcs11.so"),
        deps.join("../libqrcpkcs11.so"),
    ];
    let Some(lib) = candidates.iter().find(|p| p.exists()) else {
        eprintln!(
            "libqrcpkcs11.so not found next to {}; export check skipped",
            exe.display()
        );
        return;
    };
    let out = match std::process::Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(lib)
        .output()
    {
        Ok(out) if out.status.success() => out,
        _ => {
            eprintln!("nm unavailable; export check skipped");
            return;
        }
    };
    let mut symbols: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect();
    symbols.sort();
    assert_eq!(
        symbols,
        ["C_GetFunctionList", "C_GetInterface", "C_GetInterfaceList"]
    );
}
