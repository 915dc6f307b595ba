//! Raw calls through the 3.2 function list, for what cryptoki cannot say:
//! mechanisms it lacks (AES-CTR, SHA-3, HMAC_GENERAL, KWP, the 2.40 GCM
//! parameters), per-attribute results of `C_GetAttributeValue`, and exact
//! control of output buffers.

use crate::call;
use cryptoki::object::{Attribute, AttributeType};
use cryptoki_sys::*;
use std::any::Any;
use std::ffi::c_void;
use std::ptr;

/// `CK_GCM_PARAMS` as PKCS#11 2.40 defined it, before 3.0 inserted
/// `ulIvBits`; modules tell the two apart by `ulParameterLen`.
#[repr(C)]
#[allow(non_snake_case)] // C field names, as in the standard header
pub struct CkGcmParams240 {
    /// IV.
    pub pIv: *mut u8,
    /// IV length in bytes.
    pub ulIvLen: CK_ULONG,
    /// Additional authenticated data.
    pub pAAD: *mut u8,
    /// AAD length in bytes.
    pub ulAADLen: CK_ULONG,
    /// Tag length in bits.
    pub ulTagBits: CK_ULONG,
}

/// A mechanism and the parameter memory it points into, kept alive
/// together.
pub struct Mech {
    raw: CK_MECHANISM,
    _keep: Vec<Box<dyn Any>>,
}

impl Mech {
    /// A mechanism without parameter.
    pub fn new(ty: CK_MECHANISM_TYPE) -> Self {
        Mech {
            raw: CK_MECHANISM {
                mechanism: ty,
                pParameter: ptr::null_mut(),
                ulParameterLen: 0,
            },
            _keep: Vec::new(),
        }
    }

    /// A mechanism whose parameter is a byte string (an IV, for example).
    pub fn with_bytes(ty: CK_MECHANISM_TYPE, param: &[u8]) -> Self {
        let mut b: Box<Vec<u8>> = Box::new(param.to_vec());
        let p = b.as_mut_ptr() as *mut c_void;
        Mech {
            raw: CK_MECHANISM {
                mechanism: ty,
                pParameter: p,
                ulParameterLen: param.len() as CK_ULONG,
            },
            _keep: vec![b],
        }
    }

    /// A mechanism whose parameter is the C struct `param`.
    pub fn with_struct<T: 'static>(ty: CK_MECHANISM_TYPE, param: T) -> Self {
        Self::with_struct_keeping(ty, param, Vec::new())
    }

    fn with_struct_keeping<T: 'static>(
        ty: CK_MECHANISM_TYPE,
        param: T,
        mut keep: Vec<Box<dyn Any>>,
    ) -> Self {
        let mut b = Box::new(param);
        let p = &mut *b as *mut T as *mut c_void;
        keep.push(b);
        Mech {
            raw: CK_MECHANISM {
                mechanism: ty,
                pParameter: p,
                ulParameterLen: std::mem::size_of::<T>() as CK_ULONG,
            },
            _keep: keep,
        }
    }

    /// `CKM_AES_CBC`-style mechanism with a 16-byte IV.
    pub fn iv(ty: CK_MECHANISM_TYPE, iv: &[u8]) -> Self {
        Self::with_bytes(ty, iv)
    }

    /// `CKM_AES_CTR` with `CK_AES_CTR_PARAMS`.
    pub fn aes_ctr(counter_bits: CK_ULONG, block: [u8; 16]) -> Self {
        Self::with_struct(
            CKM_AES_CTR,
            CK_AES_CTR_PARAMS {
                ulCounterBits: counter_bits,
                cb: block,
            },
        )
    }

    /// `CKM_AES_GCM` with the 3.x `CK_GCM_PARAMS` (with `ulIvBits`).
    pub fn aes_gcm(iv: &[u8], aad: &[u8], tag_bits: CK_ULONG) -> Self {
        let mut iv_b: Box<Vec<u8>> = Box::new(iv.to_vec());
        let mut aad_b: Box<Vec<u8>> = Box::new(aad.to_vec());
        let params = CK_GCM_PARAMS {
            pIv: nullable(&mut iv_b),
            ulIvLen: iv.len() as CK_ULONG,
            ulIvBits: (iv.len() * 8) as CK_ULONG,
            pAAD: nullable(&mut aad_b),
            ulAADLen: aad.len() as CK_ULONG,
            ulTagBits: tag_bits,
        };
        Self::with_struct_keeping(CKM_AES_GCM, params, vec![iv_b, aad_b])
    }

    /// `CKM_AES_GCM` with the 2.40 `CK_GCM_PARAMS` (no `ulIvBits`).
    pub fn aes_gcm_240(iv: &[u8], aad: &[u8], tag_bits: CK_ULONG) -> Self {
        let mut iv_b: Box<Vec<u8>> = Box::new(iv.to_vec());
        let mut aad_b: Box<Vec<u8>> = Box::new(aad.to_vec());
        let params = CkGcmParams240 {
            pIv: nullable(&mut iv_b),
            ulIvLen: iv.len() as CK_ULONG,
            pAAD: nullable(&mut aad_b),
            ulAADLen: aad.len() as CK_ULONG,
            ulTagBits: tag_bits,
        };
        Self::with_struct_keeping(CKM_AES_GCM, params, vec![iv_b, aad_b])
    }

    /// A `*_HMAC_GENERAL` mechanism: `CK_MAC_GENERAL_PARAMS` is the output
    /// length in bytes.
    pub fn mac_general(ty: CK_MECHANISM_TYPE, len: CK_ULONG) -> Self {
        Self::with_struct(ty, len)
    }

    /// The pointer to pass to the module.
    pub fn ptr(&mut self) -> CK_MECHANISM_PTR {
        &mut self.raw
    }
}

fn nullable(v: &mut [u8]) -> *mut u8 {
    if v.is_empty() {
        ptr::null_mut()
    } else {
        v.as_mut_ptr()
    }
}

/// A template of raw `CK_ATTRIBUTE`s pointing into cryptoki `Attribute`s.
pub struct Template {
    _attrs: Vec<Attribute>,
    raw: Vec<CK_ATTRIBUTE>,
}

impl Template {
    /// From cryptoki attributes.
    pub fn new(attrs: Vec<Attribute>) -> Self {
        let raw = attrs.iter().map(CK_ATTRIBUTE::from).collect();
        Template { _attrs: attrs, raw }
    }

    /// Pointer to the first attribute.
    pub fn ptr(&mut self) -> CK_ATTRIBUTE_PTR {
        self.raw.as_mut_ptr()
    }

    /// Number of attributes.
    pub fn len(&self) -> CK_ULONG {
        self.raw.len() as CK_ULONG
    }

    /// Whether the template is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

/// An attribute with any type number and any bytes (cryptoki's typed
/// attributes cannot carry malformed values).
pub fn raw_attr(ty: CK_ATTRIBUTE_TYPE, value: &[u8]) -> Attribute {
    Attribute::VendorDefined((AttributeType::VendorDefined(ty), value.to_vec()))
}

/// The two-call convention from the caller's side: ask for the length
/// with a NULL buffer, then fetch.
pub fn two_call(mut f: impl FnMut(*mut u8, *mut CK_ULONG) -> CK_RV) -> Result<Vec<u8>, CK_RV> {
    let mut len: CK_ULONG = 0;
    let rv = f(ptr::null_mut(), &mut len);
    if rv != CKR_OK {
        return Err(rv);
    }
    let mut out = vec![0u8; len as usize];
    let rv = f(out.as_mut_ptr(), &mut len);
    if rv != CKR_OK {
        return Err(rv);
    }
    out.truncate(len as usize);
    Ok(out)
}

fn ok(rv: CK_RV) -> Result<(), CK_RV> {
    if rv == CKR_OK {
        Ok(())
    } else {
        Err(rv)
    }
}

fn ulen(data: &[u8]) -> CK_ULONG {
    data.len() as CK_ULONG
}

fn inp(data: &[u8]) -> *mut u8 {
    data.as_ptr() as *mut u8
}

/// `C_EncryptInit` + `C_Encrypt`.
pub fn encrypt(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    data: &[u8],
) -> Result<Vec<u8>, CK_RV> {
    ok(call!(C_EncryptInit(h, m.ptr(), key)))?;
    two_call(|o, l| call!(C_Encrypt(h, inp(data), ulen(data), o, l)))
}

/// `C_DecryptInit` + `C_Decrypt`.
pub fn decrypt(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    data: &[u8],
) -> Result<Vec<u8>, CK_RV> {
    ok(call!(C_DecryptInit(h, m.ptr(), key)))?;
    two_call(|o, l| call!(C_Decrypt(h, inp(data), ulen(data), o, l)))
}

/// `C_EncryptInit`, one `C_EncryptUpdate` per part, `C_EncryptFinal`;
/// the outputs concatenated.
pub fn encrypt_parts(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    parts: &[&[u8]],
) -> Result<Vec<u8>, CK_RV> {
    ok(call!(C_EncryptInit(h, m.ptr(), key)))?;
    let mut out = Vec::new();
    for p in parts {
        out.extend(two_call(|o, l| {
            call!(C_EncryptUpdate(h, inp(p), ulen(p), o, l))
        })?);
    }
    out.extend(two_call(|o, l| call!(C_EncryptFinal(h, o, l)))?);
    Ok(out)
}

/// `C_DecryptInit`, one `C_DecryptUpdate` per part, `C_DecryptFinal`.
pub fn decrypt_parts(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    parts: &[&[u8]],
) -> Result<Vec<u8>, CK_RV> {
    ok(call!(C_DecryptInit(h, m.ptr(), key)))?;
    let mut out = Vec::new();
    for p in parts {
        out.extend(two_call(|o, l| {
            call!(C_DecryptUpdate(h, inp(p), ulen(p), o, l))
        })?);
    }
    out.extend(two_call(|o, l| call!(C_DecryptFinal(h, o, l)))?);
    Ok(out)
}

/// `C_DigestInit` + `C_Digest`.
pub fn digest(h: CK_SESSION_HANDLE, m: &mut Mech, data: &[u8]) -> Result<Vec<u8>, CK_RV> {
    ok(call!(C_DigestInit(h, m.ptr())))?;
    two_call(|o, l| call!(C_Digest(h, inp(data), ulen(data), o, l)))
}

/// `C_DigestInit`, `C_DigestUpdate` per part, `C_DigestFinal`.
pub fn digest_parts(h: CK_SESSION_HANDLE, m: &mut Mech, parts: &[&[u8]]) -> Result<Vec<u8>, CK_RV> {
    ok(call!(C_DigestInit(h, m.ptr())))?;
    for p in parts {
        ok(call!(C_DigestUpdate(h, inp(p), ulen(p))))?;
    }
    two_call(|o, l| call!(C_DigestFinal(h, o, l)))
}

/// `C_SignInit` + `C_Sign`.
pub fn sign(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    data: &[u8],
) -> Result<Vec<u8>, CK_RV> {
    ok(call!(C_SignInit(h, m.ptr(), key)))?;
    two_call(|o, l| call!(C_Sign(h, inp(data), ulen(data), o, l)))
}

/// `C_SignInit`, `C_SignUpdate` per part, `C_SignFinal`.
pub fn sign_parts(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    parts: &[&[u8]],
) -> Result<Vec<u8>, CK_RV> {
    ok(call!(C_SignInit(h, m.ptr(), key)))?;
    for p in parts {
        ok(call!(C_SignUpdate(h, inp(p), ulen(p))))?;
    }
    two_call(|o, l| call!(C_SignFinal(h, o, l)))
}

/// `C_VerifyInit` + `C_Verify`; the `CK_RV` of the first call that failed.
pub fn verify(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    data: &[u8],
    sig: &[u8],
) -> CK_RV {
    match ok(call!(C_VerifyInit(h, m.ptr(), key))) {
        Err(rv) => rv,
        Ok(()) => call!(C_Verify(h, inp(data), ulen(data), inp(sig), ulen(sig))),
    }
}

/// A multi-part operation's calls in order: `init`'s return value, then
/// `update` on each part, then `finish`; the first CKR that is not CKR_OK.
fn init_update_finish(
    init: CK_RV,
    parts: &[&[u8]],
    update: impl Fn(&[u8]) -> CK_RV,
    finish: impl FnOnce() -> CK_RV,
) -> CK_RV {
    if init != CKR_OK {
        return init;
    }
    parts
        .iter()
        .map(|p| update(p))
        .find(|&rv| rv != CKR_OK)
        .unwrap_or_else(finish)
}

/// `C_VerifyInit`, `C_VerifyUpdate` per part, `C_VerifyFinal`.
pub fn verify_parts(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    parts: &[&[u8]],
    sig: &[u8],
) -> CK_RV {
    init_update_finish(
        call!(C_VerifyInit(h, m.ptr(), key)),
        parts,
        |p| call!(C_VerifyUpdate(h, inp(p), ulen(p))),
        || call!(C_VerifyFinal(h, inp(sig), ulen(sig))),
    )
}

/// `C_VerifySignatureInit` + `C_VerifySignature`: the first failing CKR.
pub fn verify_signature(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    data: &[u8],
    sig: &[u8],
) -> CK_RV {
    match ok(call!(C_VerifySignatureInit(
        h,
        m.ptr(),
        key,
        inp(sig),
        ulen(sig)
    ))) {
        Err(rv) => rv,
        Ok(()) => call!(C_VerifySignature(h, inp(data), ulen(data))),
    }
}

/// `C_VerifySignatureInit`, `C_VerifySignatureUpdate` per part,
/// `C_VerifySignatureFinal`: the first failing CKR.
pub fn verify_signature_parts(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    key: CK_OBJECT_HANDLE,
    parts: &[&[u8]],
    sig: &[u8],
) -> CK_RV {
    init_update_finish(
        call!(C_VerifySignatureInit(h, m.ptr(), key, inp(sig), ulen(sig))),
        parts,
        |p| call!(C_VerifySignatureUpdate(h, inp(p), ulen(p))),
        || call!(C_VerifySignatureFinal(h)),
    )
}

/// `data` cut into three parts (some may be empty) for multi-part calls.
pub fn thirds(data: &[u8]) -> [&[u8]; 3] {
    let a = data.len() / 3;
    let b = 2 * data.len() / 3;
    [&data[..a], &data[a..b], &data[b..]]
}

/// `C_WrapKey` with the two-call convention.
pub fn wrap(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    wrapping: CK_OBJECT_HANDLE,
    key: CK_OBJECT_HANDLE,
) -> Result<Vec<u8>, CK_RV> {
    let mp = m.ptr();
    two_call(|o, l| call!(C_WrapKey(h, mp, wrapping, key, o, l)))
}

/// `C_UnwrapKey`.
pub fn unwrap(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    unwrapping: CK_OBJECT_HANDLE,
    wrapped: &[u8],
    template: Vec<Attribute>,
) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    let mut t = Template::new(template);
    let mut key: CK_OBJECT_HANDLE = CK_INVALID_HANDLE;
    ok(call!(C_UnwrapKey(
        h,
        m.ptr(),
        unwrapping,
        inp(wrapped),
        ulen(wrapped),
        t.ptr(),
        t.len(),
        &mut key
    )))?;
    Ok(key)
}

/// `C_GenerateKey`.
pub fn generate_key(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    template: Vec<Attribute>,
) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    let mut t = Template::new(template);
    let mut key: CK_OBJECT_HANDLE = CK_INVALID_HANDLE;
    ok(call!(C_GenerateKey(h, m.ptr(), t.ptr(), t.len(), &mut key)))?;
    Ok(key)
}

/// `C_CreateObject`.
pub fn create(h: CK_SESSION_HANDLE, template: Vec<Attribute>) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    let mut t = Template::new(template);
    let mut obj: CK_OBJECT_HANDLE = CK_INVALID_HANDLE;
    ok(call!(C_CreateObject(h, t.ptr(), t.len(), &mut obj)))?;
    Ok(obj)
}

/// `C_SetAttributeValue`.
pub fn set_attrs(h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE, template: Vec<Attribute>) -> CK_RV {
    let mut t = Template::new(template);
    call!(C_SetAttributeValue(h, obj, t.ptr(), t.len()))
}

/// One attribute's value by the two-call convention.
pub fn attr(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    ty: CK_ATTRIBUTE_TYPE,
) -> Result<Vec<u8>, CK_RV> {
    let mut a = CK_ATTRIBUTE {
        type_: ty,
        pValue: ptr::null_mut(),
        ulValueLen: 0,
    };
    ok(call!(C_GetAttributeValue(h, obj, &mut a, 1)))?;
    if a.ulValueLen == CK_UNAVAILABLE_INFORMATION {
        return Err(CKR_GENERAL_ERROR);
    }
    let mut buf = vec![0u8; a.ulValueLen as usize];
    a.pValue = buf.as_mut_ptr() as *mut c_void;
    ok(call!(C_GetAttributeValue(h, obj, &mut a, 1)))?;
    buf.truncate(a.ulValueLen as usize);
    Ok(buf)
}

/// A `CK_BBOOL` attribute.
pub fn attr_bool(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    ty: CK_ATTRIBUTE_TYPE,
) -> Result<bool, CK_RV> {
    let v = attr(h, obj, ty)?;
    assert_eq!(
        v.len(),
        1,
        "attribute 0x{ty:X} is a CK_BBOOL but has {} bytes",
        v.len()
    );
    Ok(v[0] != 0)
}

/// A `CK_ULONG` attribute.
pub fn attr_ulong(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    ty: CK_ATTRIBUTE_TYPE,
) -> Result<CK_ULONG, CK_RV> {
    let v = attr(h, obj, ty)?;
    let b: [u8; 8] = v
        .as_slice()
        .try_into()
        .unwrap_or_else(|_| panic!("attribute 0x{ty:X} is a CK_ULONG but has {} bytes", v.len()));
    Ok(CK_ULONG::from_ne_bytes(b))
}

/// `C_FindObjectsInit` / `C_FindObjects` (in batches of `batch`) /
/// `C_FindObjectsFinal`.
pub fn find(
    h: CK_SESSION_HANDLE,
    template: Vec<Attribute>,
    batch: usize,
) -> Result<Vec<CK_OBJECT_HANDLE>, CK_RV> {
    let mut t = Template::new(template);
    let tp = if t.is_empty() {
        ptr::null_mut()
    } else {
        t.ptr()
    };
    ok(call!(C_FindObjectsInit(h, tp, t.len())))?;
    let mut all = Vec::new();
    loop {
        let mut buf = vec![CK_INVALID_HANDLE; batch];
        let mut n: CK_ULONG = 0;
        let rv = call!(C_FindObjects(
            h,
            buf.as_mut_ptr(),
            batch as CK_ULONG,
            &mut n
        ));
        if rv != CKR_OK {
            call!(C_FindObjectsFinal(h));
            return Err(rv);
        }
        assert!(
            n as usize <= batch,
            "C_FindObjects returned {n} handles for a buffer of {batch}"
        );
        all.extend_from_slice(&buf[..n as usize]);
        if n == 0 {
            break;
        }
    }
    ok(call!(C_FindObjectsFinal(h)))?;
    Ok(all)
}
