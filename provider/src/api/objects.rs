//! Objects: creating, copying, destroying, attributes, and finding.

use super::{session, with_ops, AttrRead};
use cryptoki_sys::{CK_ATTRIBUTE_TYPE, CK_OBJECT_HANDLE, CK_SESSION_HANDLE, CK_ULONG};
use qrc_emulator::{Attributes, Ckr, Result};

/// C_CreateObject.
pub fn create_object(h: CK_SESSION_HANDLE, template: &Attributes) -> Result<CK_OBJECT_HANDLE> {
    let s = session(h)?;
    s.token.create_object(s.access(), template)
}

/// C_CopyObject.
pub fn copy_object(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    template: &Attributes,
) -> Result<CK_OBJECT_HANDLE> {
    let s = session(h)?;
    s.token.copy_object(s.access(), obj, template)
}

/// C_DestroyObject.
pub fn destroy_object(h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE) -> Result<()> {
    let s = session(h)?;
    s.token.destroy_object(s.access(), obj)
}

/// C_GetObjectSize.
pub fn get_object_size(h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE) -> Result<CK_ULONG> {
    Ok(session(h)?.token.object_size(obj)? as CK_ULONG)
}

/// One result per requested type, in order.
pub fn get_attribute_value(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    types: &[CK_ATTRIBUTE_TYPE],
) -> Result<Vec<AttrRead>> {
    session(h)?.token.get_attributes(obj, types)
}

/// C_SetAttributeValue.
pub fn set_attribute_value(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    template: &Attributes,
) -> Result<()> {
    let s = session(h)?;
    s.token.set_attributes(s.access(), obj, template)
}

/// C_FindObjectsInit: the matching handles are listed now and handed out by
/// C_FindObjects.
pub fn find_objects_init(h: CK_SESSION_HANDLE, template: &Attributes) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    if ops.find.is_some() {
        return Err(Ckr::OPERATION_ACTIVE);
    }
    ops.find = Some(s.token.find(template)?.into());
    Ok(())
}

/// C_FindObjects: up to `max` further handles.
pub fn find_objects(h: CK_SESSION_HANDLE, max: usize) -> Result<Vec<CK_OBJECT_HANDLE>> {
    with_ops(h, |ops| {
        let found = ops.find.as_mut().ok_or(Ckr::OPERATION_NOT_INITIALIZED)?;
        let n = max.min(found.len());
        Ok(found.drain(..n).collect())
    })
}

/// C_FindObjectsFinal.
pub fn find_objects_final(h: CK_SESSION_HANDLE) -> Result<()> {
    with_ops(h, |ops| {
        ops.find
            .take()
            .map(drop)
            .ok_or(Ckr::OPERATION_NOT_INITIALIZED)
    })
}
