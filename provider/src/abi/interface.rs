//! The function lists (2.40, 3.0, 3.2), the interfaces that offer them, and
//! the module's only exported symbols: C_GetFunctionList,
//! C_GetInterfaceList and C_GetInterface. These three work before
//! C_Initialize.

use super::convert::{read, ListOut, OutPtr};
use super::crypto::*;
use super::general::*;
use super::guard;
use super::keys::*;
use super::message::*;
use super::objects::*;
use super::session::*;
use super::sign::*;
use super::unsupported::*;
use cryptoki_sys::*;
use qrc_emulator::Ckr;
use std::ffi::{c_void, CStr};
use std::ptr::addr_of;

const V2_40: CK_VERSION = CK_VERSION {
    major: 2,
    minor: 40,
};
const V3_0: CK_VERSION = CK_VERSION { major: 3, minor: 0 };
const V3_2: CK_VERSION = CK_VERSION { major: 3, minor: 2 };

/// A function-list literal of type `$ty` with every named field set to the
/// entry point of the same name. The struct literal must name every field
/// exactly once, so the compiler checks each list is complete.
macro_rules! function_list {
    ($ty:ident $version:ident $($name:ident)*) => {
        $ty { version: $version, $($name: Some($name),)* }
    };
}

/// The 2.x functions (entries 1–68), then what 3.0 adds (69–92), then what
/// 3.2 adds (93–104). Each macro appends its names to the caller's and hands
/// on, so every name is written once.
macro_rules! entries_2_40 {
    ($($head:tt)*) => { function_list!($($head)*
        C_Initialize C_Finalize C_GetInfo C_GetFunctionList C_GetSlotList C_GetSlotInfo
        C_GetTokenInfo C_GetMechanismList C_GetMechanismInfo C_InitToken C_InitPIN C_SetPIN
        C_OpenSession C_CloseSession C_CloseAllSessions C_GetSessionInfo C_GetOperationState
        C_SetOperationState C_Login C_Logout C_CreateObject C_CopyObject C_DestroyObject
        C_GetObjectSize C_GetAttributeValue C_SetAttributeValue C_FindObjectsInit C_FindObjects
        C_FindObjectsFinal C_EncryptInit C_Encrypt C_EncryptUpdate C_EncryptFinal C_DecryptInit
        C_Decrypt C_DecryptUpdate C_DecryptFinal C_DigestInit C_Digest C_DigestUpdate C_DigestKey
        C_DigestFinal C_SignInit C_Sign C_SignUpdate C_SignFinal C_SignRecoverInit C_SignRecover
        C_VerifyInit C_Verify C_VerifyUpdate C_VerifyFinal C_VerifyRecoverInit C_VerifyRecover
        C_DigestEncryptUpdate C_DecryptDigestUpdate C_SignEncryptUpdate C_DecryptVerifyUpdate
        C_GenerateKey C_GenerateKeyPair C_WrapKey C_UnwrapKey C_DeriveKey C_SeedRandom
        C_GenerateRandom C_GetFunctionStatus C_CancelFunction C_WaitForSlotEvent) };
}
macro_rules! entries_3_0 {
    ($($head:tt)*) => { entries_2_40!($($head)*
        C_GetInterfaceList C_GetInterface C_LoginUser C_SessionCancel
        C_MessageEncryptInit C_EncryptMessage C_EncryptMessageBegin C_EncryptMessageNext
        C_MessageEncryptFinal C_MessageDecryptInit C_DecryptMessage C_DecryptMessageBegin
        C_DecryptMessageNext C_MessageDecryptFinal C_MessageSignInit C_SignMessage
        C_SignMessageBegin C_SignMessageNext C_MessageSignFinal C_MessageVerifyInit
        C_VerifyMessage C_VerifyMessageBegin C_VerifyMessageNext C_MessageVerifyFinal) };
}
macro_rules! entries_3_2 {
    ($($head:tt)*) => { entries_3_0!($($head)*
        C_EncapsulateKey C_DecapsulateKey C_VerifySignatureInit C_VerifySignature
        C_VerifySignatureUpdate C_VerifySignatureFinal C_GetSessionValidationFlags
        C_AsyncComplete C_AsyncGetID C_AsyncJoin C_WrapKeyAuthenticated
        C_UnwrapKeyAuthenticated) };
}

static LIST_2_40: CK_FUNCTION_LIST = entries_2_40!(CK_FUNCTION_LIST V2_40);
static LIST_3_0: CK_FUNCTION_LIST_3_0 = entries_3_0!(CK_FUNCTION_LIST_3_0 V3_0);
static LIST_3_2: CK_FUNCTION_LIST_3_2 = entries_3_2!(CK_FUNCTION_LIST_3_2 V3_2);

/// The interface name, NUL-terminated for C.
const NAME: &CStr = c"PKCS 11";

/// The interfaces, newest first: C_GetInterface without a version takes the
/// first, and the 3.2 list is the one that makes the PQC functions visible.
static INTERFACES: Interfaces = Interfaces([
    interface(addr_of!(LIST_3_2).cast()),
    interface(addr_of!(LIST_3_0).cast()),
    interface(addr_of!(LIST_2_40).cast()),
]);
/// The version of each entry of [`INTERFACES`], in the same order.
const VERSIONS: [CK_VERSION; 3] = [V3_2, V3_0, V2_40];

/// CK_INTERFACE holds raw pointers, so a table of them is not `Sync` by
/// itself. These point only to immutable statics (the name, the function
/// lists) and are never written, so sharing them between threads is sound.
#[repr(transparent)]
struct Interfaces([CK_INTERFACE; 3]);

// SAFETY: see `Interfaces`: immutable data pointing to immutable statics.
unsafe impl Sync for Interfaces {}

/// No interface has CKF_INTERFACE_FORK_SAFE: PKCS#11 defines it as a forked
/// child keeping its own copy of the sessions, login state and object
/// handles, and here a child starts uninitialised and gets no token (see
/// docs/architecture.md, "Fork handling"). A caller asking for the flag
/// (NSS does first) gets no interface and asks again without it.
const fn interface(list: *const c_void) -> CK_INTERFACE {
    CK_INTERFACE {
        pInterfaceName: NAME.as_ptr().cast::<CK_UTF8CHAR>().cast_mut(),
        // The C type is mutable; callers never write through it.
        pFunctionList: list.cast_mut(),
        flags: 0,
    }
}

/// Returns the PKCS#11 2.40 function list.
///
/// # Safety
/// `pp_function_list` must be NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn C_GetFunctionList(pp_function_list: *mut *mut CK_FUNCTION_LIST) -> CK_RV {
    guard(|| {
        // SAFETY: writable by this function's contract.
        let out = unsafe { OutPtr::new(pp_function_list)? };
        out.set(addr_of!(LIST_2_40).cast_mut());
        Ok(())
    })
}

/// Lists the interfaces: PKCS 11 3.2, 3.0 and 2.40, under the two-call
/// convention (NULL `p_interfaces_list` asks for the count).
///
/// # Safety
/// `pul_count` must be NULL or readable and writable; a non-NULL
/// `p_interfaces_list` must have room for `*pul_count` CK_INTERFACEs.
#[no_mangle]
pub unsafe extern "C" fn C_GetInterfaceList(
    p_interfaces_list: *mut CK_INTERFACE,
    pul_count: *mut CK_ULONG,
) -> CK_RV {
    guard(|| {
        // SAFETY: by this function's contract.
        unsafe { ListOut::new(p_interfaces_list, pul_count)? }.put(&INTERFACES.0)
    })
}

/// Finds an interface by name ("PKCS 11", or NULL for any), version (NULL
/// for the newest) and flags (which the interface must all have). When none
/// matches the answer is CKR_ARGUMENTS_BAD, the only error PKCS#11 lists for
/// a request the module cannot meet (kryoptic answers the same).
///
/// # Safety
/// `p_interface_name` must be NULL or a NUL-terminated string; `p_version`
/// NULL or readable; `pp_interface` NULL or valid for writing one pointer.
#[no_mangle]
pub unsafe extern "C" fn C_GetInterface(
    p_interface_name: *mut CK_UTF8CHAR,
    p_version: *mut CK_VERSION,
    pp_interface: *mut *mut CK_INTERFACE,
    flags: CK_FLAGS,
) -> CK_RV {
    guard(|| {
        // SAFETY: by this function's contract.
        let (out, version) = unsafe {
            let out = OutPtr::new(pp_interface)?;
            if !p_interface_name.is_null() && CStr::from_ptr(p_interface_name.cast()) != NAME {
                return Err(Ckr::ARGUMENTS_BAD);
            }
            let version = if p_version.is_null() {
                None
            } else {
                Some(read(p_version)?)
            };
            (out, version)
        };
        let wanted = |v: &CK_VERSION| match version {
            None => true,
            Some(w) => (w.major, w.minor) == (v.major, v.minor),
        };
        let (found, _) = INTERFACES
            .0
            .iter()
            .zip(&VERSIONS)
            .find(|(i, v)| wanted(v) && flags & !i.flags == 0)
            .ok_or(Ckr::ARGUMENTS_BAD)?;
        out.set((found as *const CK_INTERFACE).cast_mut());
        Ok(())
    })
}
