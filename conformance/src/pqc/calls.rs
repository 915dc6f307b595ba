//! Raw calls cryptoki's typed API cannot shape freely: key-pair generation
//! with any template, CKM_PUB_KEY_FROM_PRIV_KEY, C_EncapsulateKey /
//! C_DecapsulateKey buffers; and [`Scratch`], the per-case objects a vector
//! run destroys. C_VerifySignature* serves every family: it lives in
//! [`crate::raw`], re-exported here for the post-quantum tests.

use super::{bool_attr, pair_templates, ParamSet};
use crate::call;
use crate::raw::{two_call, Mech, Template};
pub use crate::raw::{verify_signature, verify_signature_parts};
use cryptoki::object::Attribute;
use cryptoki_sys::*;

/// Converts a return value to a `Result`.
pub fn ok(rv: CK_RV) -> Result<(), CK_RV> {
    if rv == CKR_OK {
        Ok(())
    } else {
        Err(rv)
    }
}

fn inp(data: &[u8]) -> *mut u8 {
    data.as_ptr() as *mut u8
}

fn ulen(data: &[u8]) -> CK_ULONG {
    data.len() as CK_ULONG
}

/// `C_GenerateKeyPair`: (public, private).
pub fn generate_key_pair(
    h: CK_SESSION_HANDLE,
    mechanism: CK_MECHANISM_TYPE,
    public: Vec<Attribute>,
    private: Vec<Attribute>,
) -> Result<(CK_OBJECT_HANDLE, CK_OBJECT_HANDLE), CK_RV> {
    let mut m = Mech::new(mechanism);
    let (mut pt, mut st) = (Template::new(public), Template::new(private));
    let (mut pubk, mut privk) = (CK_INVALID_HANDLE, CK_INVALID_HANDLE);
    ok(call!(C_GenerateKeyPair(
        h,
        m.ptr(),
        pt.ptr(),
        pt.len(),
        st.ptr(),
        st.len(),
        &mut pubk,
        &mut privk
    )))?;
    Ok((pubk, privk))
}

/// A key pair of `set` from [`pair_templates`]; panics on failure.
pub fn key_pair(h: CK_SESSION_HANDLE, set: &ParamSet) -> (CK_OBJECT_HANDLE, CK_OBJECT_HANDLE) {
    let (p, s) = pair_templates(set);
    generate_key_pair(h, set.family.keygen(), p, s)
        .unwrap_or_else(|rv| panic!("C_GenerateKeyPair({}): {}", set.name, crate::rv_name(rv)))
}

/// `C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)`: a session public key
/// computed from `private`, with `extra` in the template.
pub fn public_from_private(
    h: CK_SESSION_HANDLE,
    private: CK_OBJECT_HANDLE,
    extra: Vec<Attribute>,
) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    let mut m = Mech::new(CKM_PUB_KEY_FROM_PRIV_KEY);
    let mut attrs = vec![bool_attr(CKA_TOKEN, false)];
    attrs.extend(extra);
    let mut t = Template::new(attrs);
    let mut key = CK_INVALID_HANDLE;
    ok(call!(C_DeriveKey(
        h,
        m.ptr(),
        private,
        t.ptr(),
        t.len(),
        &mut key
    )))?;
    Ok(key)
}

/// `C_EncapsulateKey` by the two-call convention: (ciphertext, new key).
pub fn encapsulate(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    public: CK_OBJECT_HANDLE,
    template: Vec<Attribute>,
) -> Result<(Vec<u8>, CK_OBJECT_HANDLE), CK_RV> {
    let mut t = Template::new(template);
    let (mp, tp, tl) = (m.ptr(), t.ptr(), t.len());
    let mut key = CK_INVALID_HANDLE;
    let ct = two_call(|o, l| call!(C_EncapsulateKey(h, mp, public, tp, tl, o, l, &mut key)))?;
    Ok((ct, key))
}

/// `C_DecapsulateKey`: the new key.
pub fn decapsulate(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    private: CK_OBJECT_HANDLE,
    template: Vec<Attribute>,
    ciphertext: &[u8],
) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    let mut t = Template::new(template);
    let mut key = CK_INVALID_HANDLE;
    ok(call!(C_DecapsulateKey(
        h,
        m.ptr(),
        private,
        t.ptr(),
        t.len(),
        inp(ciphertext),
        ulen(ciphertext),
        &mut key
    )))?;
    Ok(key)
}

/// Every object the session can see (for "no key was created" checks).
pub fn object_count(h: CK_SESSION_HANDLE) -> usize {
    crate::raw::find(h, vec![], 64)
        .unwrap_or_else(|rv| panic!("C_FindObjects: {}", crate::rv_name(rv)))
        .len()
}

/// Session objects made for one case, destroyed when this drops (vector
/// runs create thousands).
pub struct Scratch {
    h: CK_SESSION_HANDLE,
    handles: Vec<CK_OBJECT_HANDLE>,
}

impl Scratch {
    /// Nothing yet, in session `h`.
    pub fn new(h: CK_SESSION_HANDLE) -> Self {
        Scratch {
            h,
            handles: Vec::new(),
        }
    }

    /// Takes `handle` to destroy later; returns it.
    pub fn keep(&mut self, handle: CK_OBJECT_HANDLE) -> CK_OBJECT_HANDLE {
        self.handles.push(handle);
        handle
    }

    /// `C_CreateObject`, kept for destruction.
    pub fn create(&mut self, template: Vec<Attribute>) -> Result<CK_OBJECT_HANDLE, CK_RV> {
        crate::raw::create(self.h, template).map(|k| self.keep(k))
    }

    /// [`public_from_private`], kept for destruction.
    pub fn public_from(&mut self, private: CK_OBJECT_HANDLE) -> Result<CK_OBJECT_HANDLE, CK_RV> {
        public_from_private(self.h, private, vec![]).map(|k| self.keep(k))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for &k in &self.handles {
            // Result ignored: a failing case may have left nothing behind.
            call!(C_DestroyObject(self.h, k));
        }
    }
}
