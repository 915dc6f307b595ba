//! Entry points: object management and search.

use super::convert::{len, ulong, OutPtr};
use super::guard;
use super::template::{fill, template, types};
use crate::api;
use cryptoki_sys::*;
use qrc_emulator::Ckr;

pub(super) unsafe extern "C" fn C_CreateObject(
    h: CK_SESSION_HANDLE,
    p_template: *mut CK_ATTRIBUTE,
    ul_count: CK_ULONG,
    ph_object: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    guard(|| {
        // SAFETY: the template holds ul_count attributes and the handle
        // pointer is writable, by the PKCS#11 contract.
        let (t, out) = unsafe { (template(p_template, ul_count)?, OutPtr::new(ph_object)?) };
        out.set(api::create_object(h, &t)?);
        Ok(())
    })
}

pub(super) unsafe extern "C" fn C_CopyObject(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    p_template: *mut CK_ATTRIBUTE,
    ul_count: CK_ULONG,
    ph_new_object: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    guard(|| {
        // SAFETY: as C_CreateObject.
        let (t, out) = unsafe { (template(p_template, ul_count)?, OutPtr::new(ph_new_object)?) };
        out.set(api::copy_object(h, obj, &t)?);
        Ok(())
    })
}

pub(super) unsafe extern "C" fn C_DestroyObject(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
) -> CK_RV {
    guard(|| api::destroy_object(h, obj))
}

pub(super) unsafe extern "C" fn C_GetObjectSize(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    pul_size: *mut CK_ULONG,
) -> CK_RV {
    guard(|| {
        // SAFETY: a non-NULL pointer is writable by the PKCS#11 contract.
        let out = unsafe { OutPtr::new(pul_size)? };
        out.set(api::get_object_size(h, obj)?);
        Ok(())
    })
}

pub(super) unsafe extern "C" fn C_GetAttributeValue(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    p_template: *mut CK_ATTRIBUTE,
    ul_count: CK_ULONG,
) -> CK_RV {
    guard(|| {
        // SAFETY: the template holds ul_count attributes by the PKCS#11 contract.
        let requested = unsafe { types(p_template, ul_count)? };
        let results = api::get_attribute_value(h, obj, &requested)?;
        if results.len() != requested.len() {
            log::error!(
                "get_attribute_value: {} results for {} types",
                results.len(),
                requested.len()
            );
            return Err(Ckr::GENERAL_ERROR);
        }
        // SAFETY: as above; the template and its value buffers are writable.
        unsafe { fill(p_template, &results) }
    })
}

pub(super) unsafe extern "C" fn C_SetAttributeValue(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    p_template: *mut CK_ATTRIBUTE,
    ul_count: CK_ULONG,
) -> CK_RV {
    // SAFETY: the template holds ul_count attributes by the PKCS#11 contract.
    guard(|| api::set_attribute_value(h, obj, &unsafe { template(p_template, ul_count)? }))
}

pub(super) unsafe extern "C" fn C_FindObjectsInit(
    h: CK_SESSION_HANDLE,
    p_template: *mut CK_ATTRIBUTE,
    ul_count: CK_ULONG,
) -> CK_RV {
    // SAFETY: the template holds ul_count attributes by the PKCS#11 contract.
    guard(|| api::find_objects_init(h, &unsafe { template(p_template, ul_count)? }))
}

pub(super) unsafe extern "C" fn C_FindObjects(
    h: CK_SESSION_HANDLE,
    ph_object: *mut CK_OBJECT_HANDLE,
    ul_max_object_count: CK_ULONG,
    pul_object_count: *mut CK_ULONG,
) -> CK_RV {
    guard(|| {
        let max = len(ul_max_object_count)?;
        if ph_object.is_null() && max > 0 {
            return Err(Ckr::ARGUMENTS_BAD);
        }
        // SAFETY: a non-NULL pointer is writable by the PKCS#11 contract.
        let count = unsafe { OutPtr::new(pul_object_count)? };
        let found = api::find_objects(h, max)?;
        // Never write past the caller's array, whatever the api returned.
        let found = found.get(..max).unwrap_or(&found);
        for (i, handle) in found.iter().enumerate() {
            // SAFETY: i < max handles, writable by the PKCS#11 contract.
            unsafe { ph_object.add(i).write_unaligned(*handle) }
        }
        count.set(ulong(found.len()));
        Ok(())
    })
}

pub(super) unsafe extern "C" fn C_FindObjectsFinal(h: CK_SESSION_HANDLE) -> CK_RV {
    guard(|| api::find_objects_final(h))
}
