//! Entry points: signatures and MACs, verification, and the PKCS#11 3.2
//! verify-signature functions (signature given at init).

use super::convert::{bytes, with_input_output, with_output};
use super::mechanism::mechanism;
use super::{guard, guard_op};
use crate::api;
use crate::operation::OperationKind;
use cryptoki_sys::*;

pub(super) unsafe extern "C" fn C_SignInit(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: the mechanism is readable by the PKCS#11 contract.
    guard(|| api::sign_init(h, &unsafe { mechanism(p_mechanism)? }, key))
}

pub(super) unsafe extern "C" fn C_Sign(
    h: CK_SESSION_HANDLE,
    p_data: *mut CK_BYTE,
    ul_data_len: CK_ULONG,
    p_signature: *mut CK_BYTE,
    pul_signature_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: buffers as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Sign, || unsafe {
        with_input_output(
            p_data,
            ul_data_len,
            p_signature,
            pul_signature_len,
            |d, o| api::sign(h, d, o),
        )
    })
}

pub(super) unsafe extern "C" fn C_SignUpdate(
    h: CK_SESSION_HANDLE,
    p_part: *mut CK_BYTE,
    ul_part_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: the input is as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Sign, || {
        api::sign_update(h, unsafe { bytes(p_part, ul_part_len)? })
    })
}

pub(super) unsafe extern "C" fn C_SignFinal(
    h: CK_SESSION_HANDLE,
    p_signature: *mut CK_BYTE,
    pul_signature_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: the buffer is as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Sign, || unsafe {
        with_output(p_signature, pul_signature_len, |o| api::sign_final(h, o))
    })
}

pub(super) unsafe extern "C" fn C_VerifyInit(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: the mechanism is readable by the PKCS#11 contract.
    guard(|| api::verify_init(h, &unsafe { mechanism(p_mechanism)? }, key))
}

pub(super) unsafe extern "C" fn C_Verify(
    h: CK_SESSION_HANDLE,
    p_data: *mut CK_BYTE,
    ul_data_len: CK_ULONG,
    p_signature: *mut CK_BYTE,
    ul_signature_len: CK_ULONG,
) -> CK_RV {
    guard_op(h, OperationKind::Verify, || {
        // SAFETY: inputs as long as stated, by the PKCS#11 contract.
        let (data, signature) = unsafe {
            (
                bytes(p_data, ul_data_len)?,
                bytes(p_signature, ul_signature_len)?,
            )
        };
        api::verify(h, data, signature)
    })
}

pub(super) unsafe extern "C" fn C_VerifyUpdate(
    h: CK_SESSION_HANDLE,
    p_part: *mut CK_BYTE,
    ul_part_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: the input is as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Verify, || {
        api::verify_update(h, unsafe { bytes(p_part, ul_part_len)? })
    })
}

pub(super) unsafe extern "C" fn C_VerifyFinal(
    h: CK_SESSION_HANDLE,
    p_signature: *mut CK_BYTE,
    ul_signature_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: the input is as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Verify, || {
        api::verify_final(h, unsafe { bytes(p_signature, ul_signature_len)? })
    })
}

pub(super) unsafe extern "C" fn C_VerifySignatureInit(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
    p_signature: *mut CK_BYTE,
    ul_signature_len: CK_ULONG,
) -> CK_RV {
    guard(|| {
        // SAFETY: the mechanism and signature are readable, by the PKCS#11 contract.
        let (m, signature) = unsafe {
            (
                mechanism(p_mechanism)?,
                bytes(p_signature, ul_signature_len)?,
            )
        };
        api::verify_signature_init(h, &m, key, signature)
    })
}

pub(super) unsafe extern "C" fn C_VerifySignature(
    h: CK_SESSION_HANDLE,
    p_data: *mut CK_BYTE,
    ul_data_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: the input is as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::VerifySignature, || {
        api::verify_signature(h, unsafe { bytes(p_data, ul_data_len)? })
    })
}

pub(super) unsafe extern "C" fn C_VerifySignatureUpdate(
    h: CK_SESSION_HANDLE,
    p_part: *mut CK_BYTE,
    ul_part_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: the input is as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::VerifySignature, || {
        api::verify_signature_update(h, unsafe { bytes(p_part, ul_part_len)? })
    })
}

pub(super) unsafe extern "C" fn C_VerifySignatureFinal(h: CK_SESSION_HANDLE) -> CK_RV {
    guard_op(h, OperationKind::VerifySignature, || {
        api::verify_signature_final(h)
    })
}
