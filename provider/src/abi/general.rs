//! Entry points: library initialisation and information, slots, tokens, PINs.

use super::convert::{bytes, read, ListOut, OutPtr};
use super::guard;
use crate::api;
use cryptoki_sys::*;
use qrc_emulator::Ckr;
use std::ffi::c_void;

pub(super) unsafe extern "C" fn C_Initialize(p_init_args: *mut c_void) -> CK_RV {
    guard(|| {
        if !p_init_args.is_null() {
            // SAFETY: a non-NULL argument is a CK_C_INITIALIZE_ARGS.
            check_init_args(unsafe { read(p_init_args.cast::<CK_C_INITIALIZE_ARGS>())? })?;
        }
        api::initialize()
    })
}

/// Check CK_C_INITIALIZE_ARGS: pReserved must be NULL, and the mutex
/// callbacks are all supplied or none is. The callbacks are never called: the
/// module uses its own locks, which PKCS#11 allows whether or not
/// CKF_OS_LOCKING_OK is set.
///
/// CKF_LIBRARY_CANT_CREATE_OS_THREADS is accepted although the store's
/// database (sled) runs its own I/O threads and the self-tests run on two:
/// those never call into the application, and GnuTLS and NSS set the flag on every C_Initialize, so
/// refusing it (CKR_NEED_TO_CREATE_THREADS) would make GnuTLS drop the module
/// and NSS serialise every call to it.
fn check_init_args(a: CK_C_INITIALIZE_ARGS) -> qrc_emulator::Result<()> {
    if !a.pReserved.is_null() {
        return Err(Ckr::ARGUMENTS_BAD);
    }
    let set = [
        a.CreateMutex.is_some(),
        a.DestroyMutex.is_some(),
        a.LockMutex.is_some(),
        a.UnlockMutex.is_some(),
    ];
    if set.iter().any(|&s| s) && !set.iter().all(|&s| s) {
        return Err(Ckr::ARGUMENTS_BAD);
    }
    Ok(())
}

pub(super) unsafe extern "C" fn C_Finalize(p_reserved: *mut c_void) -> CK_RV {
    guard(|| {
        if !p_reserved.is_null() {
            return Err(Ckr::ARGUMENTS_BAD);
        }
        api::finalize()
    })
}

pub(super) unsafe extern "C" fn C_GetInfo(p_info: *mut CK_INFO) -> CK_RV {
    guard(|| {
        // SAFETY: a non-NULL pointer is writable by the PKCS#11 contract.
        let out = unsafe { OutPtr::new(p_info)? };
        out.set(api::get_info()?);
        Ok(())
    })
}

pub(super) unsafe extern "C" fn C_GetSlotList(
    token_present: CK_BBOOL,
    p_slot_list: *mut CK_SLOT_ID,
    pul_count: *mut CK_ULONG,
) -> CK_RV {
    guard(|| {
        // SAFETY: the list holds *pul_count slots by the PKCS#11 contract.
        let out = unsafe { ListOut::new(p_slot_list, pul_count)? };
        out.put(&api::get_slot_list(token_present != CK_FALSE)?)
    })
}

pub(super) unsafe extern "C" fn C_GetSlotInfo(
    slot: CK_SLOT_ID,
    p_info: *mut CK_SLOT_INFO,
) -> CK_RV {
    guard(|| {
        // SAFETY: a non-NULL pointer is writable by the PKCS#11 contract.
        let out = unsafe { OutPtr::new(p_info)? };
        out.set(api::get_slot_info(slot)?);
        Ok(())
    })
}

pub(super) unsafe extern "C" fn C_GetTokenInfo(
    slot: CK_SLOT_ID,
    p_info: *mut CK_TOKEN_INFO,
) -> CK_RV {
    guard(|| {
        // SAFETY: a non-NULL pointer is writable by the PKCS#11 contract.
        let out = unsafe { OutPtr::new(p_info)? };
        out.set(api::get_token_info(slot)?);
        Ok(())
    })
}

pub(super) unsafe extern "C" fn C_GetMechanismList(
    slot: CK_SLOT_ID,
    p_mechanism_list: *mut CK_MECHANISM_TYPE,
    pul_count: *mut CK_ULONG,
) -> CK_RV {
    guard(|| {
        // SAFETY: the list holds *pul_count entries by the PKCS#11 contract.
        let out = unsafe { ListOut::new(p_mechanism_list, pul_count)? };
        out.put(&api::get_mechanism_list(slot)?)
    })
}

pub(super) unsafe extern "C" fn C_GetMechanismInfo(
    slot: CK_SLOT_ID,
    ty: CK_MECHANISM_TYPE,
    p_info: *mut CK_MECHANISM_INFO,
) -> CK_RV {
    guard(|| {
        // SAFETY: a non-NULL pointer is writable by the PKCS#11 contract.
        let out = unsafe { OutPtr::new(p_info)? };
        out.set(api::get_mechanism_info(slot, ty)?);
        Ok(())
    })
}

pub(super) unsafe extern "C" fn C_InitToken(
    slot: CK_SLOT_ID,
    p_pin: *mut CK_UTF8CHAR,
    ul_pin_len: CK_ULONG,
    p_label: *mut CK_UTF8CHAR,
) -> CK_RV {
    guard(|| {
        // SAFETY: the PIN is ul_pin_len bytes and the label exactly 32 bytes
        // (blank padded) by the PKCS#11 contract.
        let (pin, label) =
            unsafe { (bytes(p_pin, ul_pin_len)?, read(p_label.cast::<[u8; 32]>())?) };
        api::init_token(slot, pin, &label)
    })
}

pub(super) unsafe extern "C" fn C_InitPIN(
    h: CK_SESSION_HANDLE,
    p_pin: *mut CK_UTF8CHAR,
    ul_pin_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: the PIN is ul_pin_len bytes by the PKCS#11 contract.
    guard(|| api::init_pin(h, unsafe { bytes(p_pin, ul_pin_len)? }))
}

pub(super) unsafe extern "C" fn C_SetPIN(
    h: CK_SESSION_HANDLE,
    p_old_pin: *mut CK_UTF8CHAR,
    ul_old_len: CK_ULONG,
    p_new_pin: *mut CK_UTF8CHAR,
    ul_new_len: CK_ULONG,
) -> CK_RV {
    guard(|| {
        // SAFETY: each PIN is as long as stated by the PKCS#11 contract.
        let (old, new) = unsafe { (bytes(p_old_pin, ul_old_len)?, bytes(p_new_pin, ul_new_len)?) };
        api::set_pin(h, old, new)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::null_mut;

    unsafe extern "C" fn create(_: *mut *mut c_void) -> CK_RV {
        CKR_OK
    }
    unsafe extern "C" fn other(_: *mut c_void) -> CK_RV {
        CKR_OK
    }

    fn args() -> CK_C_INITIALIZE_ARGS {
        CK_C_INITIALIZE_ARGS {
            CreateMutex: None,
            DestroyMutex: None,
            LockMutex: None,
            UnlockMutex: None,
            flags: 0,
            pReserved: null_mut(),
        }
    }

    #[test]
    fn init_args_rules() {
        assert_eq!(check_init_args(args()), Ok(()));
        let no_threads = check_init_args(CK_C_INITIALIZE_ARGS {
            flags: CKF_OS_LOCKING_OK | CKF_LIBRARY_CANT_CREATE_OS_THREADS,
            ..args()
        });
        assert_eq!(no_threads, Ok(()));
        let all = CK_C_INITIALIZE_ARGS {
            CreateMutex: Some(create),
            DestroyMutex: Some(other),
            LockMutex: Some(other),
            UnlockMutex: Some(other),
            ..args()
        };
        assert!(check_init_args(all).is_ok());
        let some = CK_C_INITIALIZE_ARGS {
            LockMutex: None,
            ..all
        };
        assert!(matches!(check_init_args(some), Err(Ckr::ARGUMENTS_BAD)));
        let mut reserved = 0u8;
        let r = check_init_args(CK_C_INITIALIZE_ARGS {
            pReserved: (&mut reserved as *mut u8).cast(),
            ..args()
        });
        assert!(matches!(r, Err(Ckr::ARGUMENTS_BAD)));
    }
}
