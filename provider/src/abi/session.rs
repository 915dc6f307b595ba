//! Entry points: sessions and login.

use super::convert::{bytes, OutPtr};
use super::guard;
use crate::api;
use cryptoki_sys::*;
use std::ffi::c_void;

/// `pApplication` and `Notify` are ignored: the module never calls back.
pub(super) unsafe extern "C" fn C_OpenSession(
    slot: CK_SLOT_ID,
    flags: CK_FLAGS,
    _p_application: *mut c_void,
    _notify: CK_NOTIFY,
    ph_session: *mut CK_SESSION_HANDLE,
) -> CK_RV {
    guard(|| {
        // SAFETY: a non-NULL pointer is writable by the PKCS#11 contract.
        let out = unsafe { OutPtr::new(ph_session)? };
        out.set(api::open_session(slot, flags)?);
        Ok(())
    })
}

pub(super) unsafe extern "C" fn C_CloseSession(h: CK_SESSION_HANDLE) -> CK_RV {
    guard(|| api::close_session(h))
}

pub(super) unsafe extern "C" fn C_CloseAllSessions(slot: CK_SLOT_ID) -> CK_RV {
    guard(|| api::close_all_sessions(slot))
}

pub(super) unsafe extern "C" fn C_GetSessionInfo(
    h: CK_SESSION_HANDLE,
    p_info: *mut CK_SESSION_INFO,
) -> CK_RV {
    guard(|| {
        // SAFETY: a non-NULL pointer is writable by the PKCS#11 contract.
        let out = unsafe { OutPtr::new(p_info)? };
        out.set(api::get_session_info(h)?);
        Ok(())
    })
}

pub(super) unsafe extern "C" fn C_SessionCancel(h: CK_SESSION_HANDLE, flags: CK_FLAGS) -> CK_RV {
    guard(|| api::session_cancel(h, flags))
}

pub(super) unsafe extern "C" fn C_Login(
    h: CK_SESSION_HANDLE,
    user: CK_USER_TYPE,
    p_pin: *mut CK_UTF8CHAR,
    ul_pin_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: the PIN is ul_pin_len bytes by the PKCS#11 contract.
    guard(|| api::login(h, user, unsafe { bytes(p_pin, ul_pin_len)? }))
}

pub(super) unsafe extern "C" fn C_Logout(h: CK_SESSION_HANDLE) -> CK_RV {
    guard(|| api::logout(h))
}

pub(super) unsafe extern "C" fn C_GetSessionValidationFlags(
    h: CK_SESSION_HANDLE,
    ty: CK_SESSION_VALIDATION_FLAGS_TYPE,
    p_flags: *mut CK_FLAGS,
) -> CK_RV {
    guard(|| {
        // SAFETY: a non-NULL pointer is writable by the PKCS#11 contract.
        let out = unsafe { OutPtr::new(p_flags)? };
        out.set(api::get_session_validation_flags(h, ty)?);
        Ok(())
    })
}
