//! Entry points: the PKCS#11 3.0 message-based encryption and decryption
//! functions, for CKM_AES_GCM. Each message's parameter is a
//! CK_GCM_MESSAGE_PARAMS: it is copied in before the call, and after an
//! encryption its IV (which the module may have generated) and tag are
//! copied back into the caller's buffers.

use super::convert::{bytes, len, read, with_input_output};
use super::guard;
use crate::api;
use crate::operation::Direction;
use cryptoki_sys::*;
use qrc_emulator::mech::{MechParam, Mechanism, MessageParams};
use qrc_emulator::{Ckr, Result};
use std::ffi::c_void;

/// The longest IV copied in; longer ones are refused by the mechanism anyway
/// (aes_gcm.rs), and this keeps a caller from making the module copy
/// megabytes first.
const MAX_IV: CK_ULONG = 4096;

/// The mechanism of C_MessageEncryptInit / C_MessageDecryptInit, or `None`
/// for NULL (which ends the process). Its parameter, if any, is a
/// CK_GCM_MESSAGE_PARAMS template the messages bring again: it is not read,
/// and in particular not as a CK_GCM_PARAMS, which has the same size.
///
/// # Safety
/// A non-NULL `p` must point to a readable CK_MECHANISM.
unsafe fn message_mechanism(p: *const CK_MECHANISM) -> Result<Option<Mechanism>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and readable by this function's contract.
    let m = unsafe { read(p)? };
    if m.pParameter.is_null() && len(m.ulParameterLen)? > 0 {
        return Err(Ckr::ARGUMENTS_BAD);
    }
    Ok(Some(Mechanism {
        ty: m.mechanism,
        param: MechParam::None,
    }))
}

/// A message's CK_GCM_MESSAGE_PARAMS: the raw struct (for writing back)
/// and its copied values.
///
/// # Safety
/// A non-NULL `p` must be readable for `n` bytes, and the struct's buffers
/// for the lengths it states.
unsafe fn message_params(
    p: *mut c_void,
    n: CK_ULONG,
) -> Result<(CK_GCM_MESSAGE_PARAMS, MessageParams)> {
    if p.is_null() {
        return Err(Ckr::ARGUMENTS_BAD);
    }
    if len(n)? != size_of::<CK_GCM_MESSAGE_PARAMS>() {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    // SAFETY: non-NULL and as long as the struct, by the contract.
    let g = unsafe { read(p.cast::<CK_GCM_MESSAGE_PARAMS>())? };
    if g.ulIvLen > MAX_IV || g.ulTagBits > 128 || g.ulTagBits % 8 != 0 {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    // A NULL buffer with a length is a malformed parameter.
    let copy = |p: *mut CK_BYTE, n| {
        // SAFETY: by the contract the parameter's buffers are readable.
        unsafe { bytes(p, n) }
            .map(<[u8]>::to_vec)
            .map_err(|_| Ckr::MECHANISM_PARAM_INVALID)
    };
    let params = MessageParams {
        iv: copy(g.pIv, g.ulIvLen)?,
        fixed_bits: g.ulIvFixedBits,
        generator: g.ivGenerator,
        tag: copy(g.pTag, g.ulTagBits / 8)?,
        tag_bits: g.ulTagBits,
    };
    Ok((g, params))
}

/// Copy an encryption's IV and tag back into the caller's buffers.
///
/// # Safety
/// The struct's buffers must be writable for the lengths it states.
unsafe fn write_back(g: &CK_GCM_MESSAGE_PARAMS, p: &MessageParams) {
    for (dst, n, src) in [(g.pIv, g.ulIvLen, &p.iv), (g.pTag, g.ulTagBits / 8, &p.tag)] {
        if !dst.is_null() && usize::try_from(n).ok() == Some(src.len()) {
            // SAFETY: writable for `n` bytes by the contract; `src` is the
            // module's own copy, so the two do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) };
        }
    }
}

/// [`guard`] for C_*MessageNext: any error but CKR_BUFFER_TOO_SMALL ends
/// the message in progress (not the message-based process), including the
/// argument errors found here before `api` is reached.
fn guard_next(h: CK_SESSION_HANDLE, dir: Direction, f: impl FnOnce() -> Result<()>) -> CK_RV {
    let rv = guard(f);
    if rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL {
        // The session may be gone (that may be the error): nothing to end.
        let _ = api::message_abort(h, dir);
    }
    rv
}

// The helpers below return a `Result`; each entry point runs its helper in
// `guard` itself, so the log names the entry point (the closure's type name).

/// C_MessageEncryptInit / C_MessageDecryptInit.
///
/// # Safety
/// As [`message_mechanism`].
unsafe fn init(
    h: CK_SESSION_HANDLE,
    dir: Direction,
    p_mechanism: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> Result<()> {
    // SAFETY: forwarded from this function's contract.
    let m = unsafe { message_mechanism(p_mechanism)? };
    api::message_init(h, dir, m.as_ref(), key)
}

/// C_EncryptMessage / C_DecryptMessage.
///
/// # Safety
/// The PKCS#11 contract for these calls.
#[allow(clippy::too_many_arguments)] // the PKCS#11 signature
unsafe fn one_message(
    h: CK_SESSION_HANDLE,
    dir: Direction,
    p_parameter: *mut c_void,
    ul_parameter_len: CK_ULONG,
    p_aad: *mut CK_BYTE,
    ul_aad_len: CK_ULONG,
    p_in: *mut CK_BYTE,
    ul_in_len: CK_ULONG,
    p_out: *mut CK_BYTE,
    pul_out_len: *mut CK_ULONG,
) -> Result<()> {
    // SAFETY: buffers as long as stated, by the PKCS#11 contract.
    unsafe {
        let (g, mut p) = message_params(p_parameter, ul_parameter_len)?;
        // Copied: the caller's AAD may overlap the output buffer, which is
        // borrowed mutably below.
        let aad = bytes(p_aad, ul_aad_len)?.to_vec();
        with_input_output(p_in, ul_in_len, p_out, pul_out_len, |d, o| {
            api::message(h, dir, &mut p, &aad, d, o)
        })?;
        if dir == Direction::Encrypt {
            write_back(&g, &p);
        }
    }
    Ok(())
}

/// C_EncryptMessageBegin / C_DecryptMessageBegin.
///
/// # Safety
/// The PKCS#11 contract for these calls.
unsafe fn begin(
    h: CK_SESSION_HANDLE,
    dir: Direction,
    p_parameter: *mut c_void,
    ul_parameter_len: CK_ULONG,
    p_aad: *mut CK_BYTE,
    ul_aad_len: CK_ULONG,
) -> Result<()> {
    // SAFETY: buffers as long as stated, by the PKCS#11 contract.
    unsafe {
        let (g, mut p) = message_params(p_parameter, ul_parameter_len)?;
        let aad = bytes(p_aad, ul_aad_len)?;
        api::message_begin(h, dir, &mut p, aad)?;
        if dir == Direction::Encrypt {
            write_back(&g, &p);
        }
    }
    Ok(())
}

/// C_EncryptMessageNext / C_DecryptMessageNext.
///
/// # Safety
/// The PKCS#11 contract for these calls.
#[allow(clippy::too_many_arguments)] // the PKCS#11 signature
unsafe fn next(
    h: CK_SESSION_HANDLE,
    dir: Direction,
    p_parameter: *mut c_void,
    ul_parameter_len: CK_ULONG,
    p_in: *mut CK_BYTE,
    ul_in_len: CK_ULONG,
    p_out: *mut CK_BYTE,
    pul_out_len: *mut CK_ULONG,
    flags: CK_FLAGS,
) -> Result<()> {
    if flags & !CKF_END_OF_MESSAGE != 0 {
        return Err(Ckr::ARGUMENTS_BAD);
    }
    let end = flags & CKF_END_OF_MESSAGE != 0;
    // SAFETY: buffers as long as stated, by the PKCS#11 contract.
    unsafe {
        let (g, mut p) = message_params(p_parameter, ul_parameter_len)?;
        with_input_output(p_in, ul_in_len, p_out, pul_out_len, |d, o| {
            api::message_next(h, dir, &mut p, d, o, end)
        })?;
        if dir == Direction::Encrypt && end {
            write_back(&g, &p);
        }
    }
    Ok(())
}

pub(super) unsafe extern "C" fn C_MessageEncryptInit(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: the mechanism is readable by the PKCS#11 contract.
    guard(|| unsafe { init(h, Direction::Encrypt, p_mechanism, key) })
}

#[allow(clippy::too_many_arguments)] // the PKCS#11 signature
pub(super) unsafe extern "C" fn C_EncryptMessage(
    h: CK_SESSION_HANDLE,
    p_parameter: *mut c_void,
    ul_parameter_len: CK_ULONG,
    p_aad: *mut CK_BYTE,
    ul_aad_len: CK_ULONG,
    p_plaintext: *mut CK_BYTE,
    ul_plaintext_len: CK_ULONG,
    p_ciphertext: *mut CK_BYTE,
    pul_ciphertext_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: the PKCS#11 contract, forwarded.
    guard(|| unsafe {
        one_message(
            h,
            Direction::Encrypt,
            p_parameter,
            ul_parameter_len,
            p_aad,
            ul_aad_len,
            p_plaintext,
            ul_plaintext_len,
            p_ciphertext,
            pul_ciphertext_len,
        )
    })
}

pub(super) unsafe extern "C" fn C_EncryptMessageBegin(
    h: CK_SESSION_HANDLE,
    p_parameter: *mut c_void,
    ul_parameter_len: CK_ULONG,
    p_aad: *mut CK_BYTE,
    ul_aad_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: the PKCS#11 contract, forwarded.
    guard(|| unsafe {
        begin(
            h,
            Direction::Encrypt,
            p_parameter,
            ul_parameter_len,
            p_aad,
            ul_aad_len,
        )
    })
}

#[allow(clippy::too_many_arguments)] // the PKCS#11 signature
pub(super) unsafe extern "C" fn C_EncryptMessageNext(
    h: CK_SESSION_HANDLE,
    p_parameter: *mut c_void,
    ul_parameter_len: CK_ULONG,
    p_plaintext_part: *mut CK_BYTE,
    ul_plaintext_part_len: CK_ULONG,
    p_ciphertext_part: *mut CK_BYTE,
    pul_ciphertext_part_len: *mut CK_ULONG,
    flags: CK_FLAGS,
) -> CK_RV {
    // SAFETY: the PKCS#11 contract, forwarded.
    guard_next(h, Direction::Encrypt, || unsafe {
        next(
            h,
            Direction::Encrypt,
            p_parameter,
            ul_parameter_len,
            p_plaintext_part,
            ul_plaintext_part_len,
            p_ciphertext_part,
            pul_ciphertext_part_len,
            flags,
        )
    })
}

pub(super) unsafe extern "C" fn C_MessageEncryptFinal(h: CK_SESSION_HANDLE) -> CK_RV {
    guard(|| api::message_final(h, Direction::Encrypt))
}

pub(super) unsafe extern "C" fn C_MessageDecryptInit(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: the mechanism is readable by the PKCS#11 contract.
    guard(|| unsafe { init(h, Direction::Decrypt, p_mechanism, key) })
}

#[allow(clippy::too_many_arguments)] // the PKCS#11 signature
pub(super) unsafe extern "C" fn C_DecryptMessage(
    h: CK_SESSION_HANDLE,
    p_parameter: *mut c_void,
    ul_parameter_len: CK_ULONG,
    p_aad: *mut CK_BYTE,
    ul_aad_len: CK_ULONG,
    p_ciphertext: *mut CK_BYTE,
    ul_ciphertext_len: CK_ULONG,
    p_plaintext: *mut CK_BYTE,
    pul_plaintext_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: the PKCS#11 contract, forwarded.
    guard(|| unsafe {
        one_message(
            h,
            Direction::Decrypt,
            p_parameter,
            ul_parameter_len,
            p_aad,
            ul_aad_len,
            p_ciphertext,
            ul_ciphertext_len,
            p_plaintext,
            pul_plaintext_len,
        )
    })
}

pub(super) unsafe extern "C" fn C_DecryptMessageBegin(
    h: CK_SESSION_HANDLE,
    p_parameter: *mut c_void,
    ul_parameter_len: CK_ULONG,
    p_aad: *mut CK_BYTE,
    ul_aad_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: the PKCS#11 contract, forwarded.
    guard(|| unsafe {
        begin(
            h,
            Direction::Decrypt,
            p_parameter,
            ul_parameter_len,
            p_aad,
            ul_aad_len,
        )
    })
}

#[allow(clippy::too_many_arguments)] // the PKCS#11 signature
pub(super) unsafe extern "C" fn C_DecryptMessageNext(
    h: CK_SESSION_HANDLE,
    p_parameter: *mut c_void,
    ul_parameter_len: CK_ULONG,
    p_ciphertext_part: *mut CK_BYTE,
    ul_ciphertext_part_len: CK_ULONG,
    p_plaintext_part: *mut CK_BYTE,
    pul_plaintext_part_len: *mut CK_ULONG,
    flags: CK_FLAGS,
) -> CK_RV {
    // SAFETY: the PKCS#11 contract, forwarded.
    guard_next(h, Direction::Decrypt, || unsafe {
        next(
            h,
            Direction::Decrypt,
            p_parameter,
            ul_parameter_len,
            p_ciphertext_part,
            ul_ciphertext_part_len,
            p_plaintext_part,
            pul_plaintext_part_len,
            flags,
        )
    })
}

pub(super) unsafe extern "C" fn C_MessageDecryptFinal(h: CK_SESSION_HANDLE) -> CK_RV {
    guard(|| api::message_final(h, Direction::Decrypt))
}
