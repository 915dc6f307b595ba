//! Entry points: encryption, decryption, digests. Every variable-length
//! output follows the two-call convention through `with_output`.

use super::convert::{bytes, with_input_output, with_output};
use super::mechanism::mechanism;
use super::{guard, guard_op};
use crate::api;
use crate::operation::{Direction, OperationKind};
use cryptoki_sys::*;

pub(super) unsafe extern "C" fn C_EncryptInit(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: the mechanism is readable by the PKCS#11 contract.
    guard(|| {
        api::cipher_init(
            h,
            Direction::Encrypt,
            &unsafe { mechanism(p_mechanism)? },
            key,
        )
    })
}

pub(super) unsafe extern "C" fn C_Encrypt(
    h: CK_SESSION_HANDLE,
    p_data: *mut CK_BYTE,
    ul_data_len: CK_ULONG,
    p_encrypted: *mut CK_BYTE,
    pul_encrypted_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: buffers as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Encrypt, || unsafe {
        with_input_output(
            p_data,
            ul_data_len,
            p_encrypted,
            pul_encrypted_len,
            |d, o| api::cipher(h, Direction::Encrypt, d, o),
        )
    })
}

pub(super) unsafe extern "C" fn C_EncryptUpdate(
    h: CK_SESSION_HANDLE,
    p_part: *mut CK_BYTE,
    ul_part_len: CK_ULONG,
    p_encrypted: *mut CK_BYTE,
    pul_encrypted_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: buffers as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Encrypt, || unsafe {
        with_input_output(
            p_part,
            ul_part_len,
            p_encrypted,
            pul_encrypted_len,
            |d, o| api::cipher_update(h, Direction::Encrypt, d, o),
        )
    })
}

pub(super) unsafe extern "C" fn C_EncryptFinal(
    h: CK_SESSION_HANDLE,
    p_last: *mut CK_BYTE,
    pul_last_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: the buffer is as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Encrypt, || unsafe {
        with_output(p_last, pul_last_len, |o| {
            api::cipher_final(h, Direction::Encrypt, o)
        })
    })
}

pub(super) unsafe extern "C" fn C_DecryptInit(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    // SAFETY: the mechanism is readable by the PKCS#11 contract.
    guard(|| {
        api::cipher_init(
            h,
            Direction::Decrypt,
            &unsafe { mechanism(p_mechanism)? },
            key,
        )
    })
}

pub(super) unsafe extern "C" fn C_Decrypt(
    h: CK_SESSION_HANDLE,
    p_encrypted: *mut CK_BYTE,
    ul_encrypted_len: CK_ULONG,
    p_data: *mut CK_BYTE,
    pul_data_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: buffers as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Decrypt, || unsafe {
        with_input_output(
            p_encrypted,
            ul_encrypted_len,
            p_data,
            pul_data_len,
            |d, o| api::cipher(h, Direction::Decrypt, d, o),
        )
    })
}

pub(super) unsafe extern "C" fn C_DecryptUpdate(
    h: CK_SESSION_HANDLE,
    p_encrypted: *mut CK_BYTE,
    ul_encrypted_len: CK_ULONG,
    p_part: *mut CK_BYTE,
    pul_part_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: buffers as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Decrypt, || unsafe {
        with_input_output(
            p_encrypted,
            ul_encrypted_len,
            p_part,
            pul_part_len,
            |d, o| api::cipher_update(h, Direction::Decrypt, d, o),
        )
    })
}

pub(super) unsafe extern "C" fn C_DecryptFinal(
    h: CK_SESSION_HANDLE,
    p_last: *mut CK_BYTE,
    pul_last_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: the buffer is as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Decrypt, || unsafe {
        with_output(p_last, pul_last_len, |o| {
            api::cipher_final(h, Direction::Decrypt, o)
        })
    })
}

pub(super) unsafe extern "C" fn C_DigestInit(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
) -> CK_RV {
    // SAFETY: the mechanism is readable by the PKCS#11 contract.
    guard(|| api::digest_init(h, &unsafe { mechanism(p_mechanism)? }))
}

pub(super) unsafe extern "C" fn C_Digest(
    h: CK_SESSION_HANDLE,
    p_data: *mut CK_BYTE,
    ul_data_len: CK_ULONG,
    p_digest: *mut CK_BYTE,
    pul_digest_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: buffers as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Digest, || unsafe {
        with_input_output(p_data, ul_data_len, p_digest, pul_digest_len, |d, o| {
            api::digest(h, d, o)
        })
    })
}

pub(super) unsafe extern "C" fn C_DigestUpdate(
    h: CK_SESSION_HANDLE,
    p_part: *mut CK_BYTE,
    ul_part_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: the input is as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Digest, || {
        api::digest_update(h, unsafe { bytes(p_part, ul_part_len)? })
    })
}

pub(super) unsafe extern "C" fn C_DigestKey(h: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> CK_RV {
    guard_op(h, OperationKind::Digest, || api::digest_key(h, key))
}

pub(super) unsafe extern "C" fn C_DigestFinal(
    h: CK_SESSION_HANDLE,
    p_digest: *mut CK_BYTE,
    pul_digest_len: *mut CK_ULONG,
) -> CK_RV {
    // SAFETY: the buffer is as long as stated, by the PKCS#11 contract.
    guard_op(h, OperationKind::Digest, || unsafe {
        with_output(p_digest, pul_digest_len, |o| api::digest_final(h, o))
    })
}
