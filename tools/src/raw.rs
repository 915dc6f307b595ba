//! The few calls cryptoki 0.12 cannot express, made through the module's own
//! function list: it drops mechanisms it has no name for from
//! C_GetMechanismList (the SHA-3 family, CKM_AES_KEY_WRAP_KWP) and cannot build
//! a CK_MECHANISM for them. Everything else goes through cryptoki.
//!
//! The module is opened a second time by path; the dynamic loader hands back
//! the instance cryptoki already initialised, so session and object handles
//! from cryptoki are valid here.

use crate::names;
use anyhow::{anyhow, bail, Context, Result};
use cryptoki::object::{Attribute, ObjectHandle};
use cryptoki::session::Session;
use cryptoki::slot::Slot;
use cryptoki_sys::*;
use std::path::Path;
use std::ptr;

/// The module's 2.40 function list, kept valid by the library handle.
pub struct Raw {
    list: CK_FUNCTION_LIST,
    // Keeps the function pointers in `list` mapped.
    _lib: Pkcs11,
}

/// Turns a return value into a result naming the call and the CKR.
fn check(rv: CK_RV, call: &str) -> Result<()> {
    if rv == CKR_OK {
        Ok(())
    } else {
        Err(anyhow!("{call}: {}", names::ckr(rv)))
    }
}

/// A mechanism without parameter.
fn plain(ty: CK_MECHANISM_TYPE) -> CK_MECHANISM {
    CK_MECHANISM {
        mechanism: ty,
        pParameter: ptr::null_mut(),
        ulParameterLen: 0,
    }
}

fn ulong(n: usize) -> Result<CK_ULONG> {
    CK_ULONG::try_from(n).context("length does not fit a CK_ULONG")
}

fn usize_of(n: CK_ULONG) -> Result<usize> {
    usize::try_from(n).context("length reported by the module does not fit in memory")
}

impl Raw {
    /// Opens the module at `path` (already loaded and initialised by cryptoki).
    pub fn open(path: &Path) -> Result<Raw> {
        // SAFETY: loading a PKCS#11 module runs its initialisers; the same
        // file was already loaded by cryptoki, so this only takes a reference.
        let lib = unsafe { Pkcs11::new(path) }
            .with_context(|| format!("cannot load {}", path.display()))?;
        let get = lib
            .C_GetFunctionList
            .as_ref()
            .map_err(|_| anyhow!("{} exports no C_GetFunctionList", path.display()))?;
        let mut list: *mut CK_FUNCTION_LIST = ptr::null_mut();
        // SAFETY: C_GetFunctionList writes one pointer through its argument.
        check(unsafe { get(&mut list) }, "C_GetFunctionList")?;
        if list.is_null() {
            bail!("C_GetFunctionList returned a NULL list");
        }
        // SAFETY: the module returned a non-NULL pointer to its static list.
        let list = unsafe { *list };
        Ok(Raw { list, _lib: lib })
    }

    /// Every mechanism the slot offers, including those cryptoki cannot name.
    pub fn mechanism_list(&self, slot: Slot) -> Result<Vec<CK_MECHANISM_TYPE>> {
        let f = self
            .list
            .C_GetMechanismList
            .context("no C_GetMechanismList")?;
        let mut n: CK_ULONG = 0;
        // SAFETY: NULL list asks for the count, written to `n`.
        check(
            unsafe { f(slot.id(), ptr::null_mut(), &mut n) },
            "C_GetMechanismList",
        )?;
        let mut out = vec![0; usize_of(n)?];
        // SAFETY: `out` has room for `n` entries, as the module said.
        check(
            unsafe { f(slot.id(), out.as_mut_ptr(), &mut n) },
            "C_GetMechanismList",
        )?;
        out.truncate(usize_of(n)?);
        Ok(out)
    }

    /// CK_MECHANISM_INFO of one mechanism.
    pub fn mechanism_info(&self, slot: Slot, ty: CK_MECHANISM_TYPE) -> Result<CK_MECHANISM_INFO> {
        let f = self
            .list
            .C_GetMechanismInfo
            .context("no C_GetMechanismInfo")?;
        let mut info = CK_MECHANISM_INFO::default();
        // SAFETY: `info` is a valid CK_MECHANISM_INFO to write.
        check(unsafe { f(slot.id(), ty, &mut info) }, "C_GetMechanismInfo")?;
        Ok(info)
    }

    /// Single-part digest with a parameterless mechanism.
    pub fn digest(&self, s: &Session, ty: CK_MECHANISM_TYPE, data: &[u8]) -> Result<Vec<u8>> {
        let init = self.list.C_DigestInit.context("no C_DigestInit")?;
        let digest = self.list.C_Digest.context("no C_Digest")?;
        let mut m = plain(ty);
        // SAFETY: `m` is a valid parameterless CK_MECHANISM.
        check(unsafe { init(s.handle(), &mut m) }, "C_DigestInit")?;
        // C_Digest takes a non-const input pointer but only reads it.
        let input = data.as_ptr().cast_mut();
        let mut n: CK_ULONG = 0;
        // SAFETY: NULL output asks for the length; the operation stays active.
        check(
            unsafe {
                digest(
                    s.handle(),
                    input,
                    ulong(data.len())?,
                    ptr::null_mut(),
                    &mut n,
                )
            },
            "C_Digest",
        )?;
        let mut out = vec![0; usize_of(n)?];
        // SAFETY: `out` has the `n` bytes the module asked for.
        check(
            unsafe {
                digest(
                    s.handle(),
                    input,
                    ulong(data.len())?,
                    out.as_mut_ptr(),
                    &mut n,
                )
            },
            "C_Digest",
        )?;
        out.truncate(usize_of(n)?);
        Ok(out)
    }

    /// C_WrapKey with a parameterless mechanism.
    pub fn wrap_key(
        &self,
        s: &Session,
        ty: CK_MECHANISM_TYPE,
        wrapping: ObjectHandle,
        key: ObjectHandle,
    ) -> Result<Vec<u8>> {
        let f = self.list.C_WrapKey.context("no C_WrapKey")?;
        let mut m = plain(ty);
        let (w, k) = (wrapping.handle(), key.handle());
        let mut n: CK_ULONG = 0;
        // SAFETY: NULL output asks for the wrapped length.
        check(
            unsafe { f(s.handle(), &mut m, w, k, ptr::null_mut(), &mut n) },
            "C_WrapKey",
        )?;
        let mut out = vec![0; usize_of(n)?];
        // SAFETY: `out` has the `n` bytes the module asked for.
        check(
            unsafe { f(s.handle(), &mut m, w, k, out.as_mut_ptr(), &mut n) },
            "C_WrapKey",
        )?;
        out.truncate(usize_of(n)?);
        Ok(out)
    }

    /// C_UnwrapKey with a parameterless mechanism; returns the new key.
    pub fn unwrap_key(
        &self,
        s: &Session,
        ty: CK_MECHANISM_TYPE,
        unwrapping: ObjectHandle,
        wrapped: &[u8],
        template: &[Attribute],
    ) -> Result<ObjectHandle> {
        let f = self.list.C_UnwrapKey.context("no C_UnwrapKey")?;
        let mut m = plain(ty);
        // The CK_ATTRIBUTEs point into `template`, which outlives the call.
        let mut attrs: Vec<CK_ATTRIBUTE> = template.iter().map(CK_ATTRIBUTE::from).collect();
        let mut key: CK_OBJECT_HANDLE = CK_INVALID_HANDLE;
        // SAFETY: every pointer is valid for the call; the module only reads
        // `wrapped` and the template and writes the new handle to `key`.
        check(
            unsafe {
                f(
                    s.handle(),
                    &mut m,
                    unwrapping.handle(),
                    wrapped.as_ptr().cast_mut(),
                    ulong(wrapped.len())?,
                    attrs.as_mut_ptr(),
                    ulong(attrs.len())?,
                    &mut key,
                )
            },
            "C_UnwrapKey",
        )?;
        // SAFETY: the handle was just returned by this module for this session.
        Ok(unsafe { ObjectHandle::new_from_raw(key) })
    }
}
