//! The one error type of the emulator: a PKCS#11 return value.

use cryptoki_sys::*;
use std::fmt;

/// A PKCS#11 return value other than `CKR_OK`. Every fallible call in the
/// emulator and the provider returns `Result<T, Ckr>`, so the C boundary only
/// has to unwrap the number.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ckr(pub CK_RV);

/// Result alias used throughout.
pub type Result<T> = std::result::Result<T, Ckr>;

impl Ckr {
    pub const GENERAL_ERROR: Ckr = Ckr(CKR_GENERAL_ERROR);
    pub const ARGUMENTS_BAD: Ckr = Ckr(CKR_ARGUMENTS_BAD);
    pub const DEVICE_ERROR: Ckr = Ckr(CKR_DEVICE_ERROR);
    pub const HOST_MEMORY: Ckr = Ckr(CKR_HOST_MEMORY);
    pub const FUNCTION_NOT_SUPPORTED: Ckr = Ckr(CKR_FUNCTION_NOT_SUPPORTED);
    pub const MECHANISM_INVALID: Ckr = Ckr(CKR_MECHANISM_INVALID);
    pub const MECHANISM_PARAM_INVALID: Ckr = Ckr(CKR_MECHANISM_PARAM_INVALID);
    pub const KEY_TYPE_INCONSISTENT: Ckr = Ckr(CKR_KEY_TYPE_INCONSISTENT);
    pub const KEY_SIZE_RANGE: Ckr = Ckr(CKR_KEY_SIZE_RANGE);
    pub const KEY_FUNCTION_NOT_PERMITTED: Ckr = Ckr(CKR_KEY_FUNCTION_NOT_PERMITTED);
    pub const KEY_UNEXTRACTABLE: Ckr = Ckr(CKR_KEY_UNEXTRACTABLE);
    pub const KEY_HANDLE_INVALID: Ckr = Ckr(CKR_KEY_HANDLE_INVALID);
    pub const KEY_NOT_WRAPPABLE: Ckr = Ckr(CKR_KEY_NOT_WRAPPABLE);
    pub const DATA_LEN_RANGE: Ckr = Ckr(CKR_DATA_LEN_RANGE);
    pub const DATA_INVALID: Ckr = Ckr(CKR_DATA_INVALID);
    pub const ENCRYPTED_DATA_INVALID: Ckr = Ckr(CKR_ENCRYPTED_DATA_INVALID);
    pub const ENCRYPTED_DATA_LEN_RANGE: Ckr = Ckr(CKR_ENCRYPTED_DATA_LEN_RANGE);
    pub const SIGNATURE_INVALID: Ckr = Ckr(CKR_SIGNATURE_INVALID);
    pub const SIGNATURE_LEN_RANGE: Ckr = Ckr(CKR_SIGNATURE_LEN_RANGE);
    pub const WRAPPED_KEY_INVALID: Ckr = Ckr(CKR_WRAPPED_KEY_INVALID);
    pub const WRAPPED_KEY_LEN_RANGE: Ckr = Ckr(CKR_WRAPPED_KEY_LEN_RANGE);
    pub const ATTRIBUTE_TYPE_INVALID: Ckr = Ckr(CKR_ATTRIBUTE_TYPE_INVALID);
    pub const ATTRIBUTE_VALUE_INVALID: Ckr = Ckr(CKR_ATTRIBUTE_VALUE_INVALID);
    pub const ATTRIBUTE_READ_ONLY: Ckr = Ckr(CKR_ATTRIBUTE_READ_ONLY);
    pub const ATTRIBUTE_SENSITIVE: Ckr = Ckr(CKR_ATTRIBUTE_SENSITIVE);
    pub const TEMPLATE_INCOMPLETE: Ckr = Ckr(CKR_TEMPLATE_INCOMPLETE);
    pub const TEMPLATE_INCONSISTENT: Ckr = Ckr(CKR_TEMPLATE_INCONSISTENT);
    pub const PIN_INCORRECT: Ckr = Ckr(CKR_PIN_INCORRECT);
    pub const PIN_INVALID: Ckr = Ckr(CKR_PIN_INVALID);
    pub const PIN_LEN_RANGE: Ckr = Ckr(CKR_PIN_LEN_RANGE);
    pub const PIN_LOCKED: Ckr = Ckr(CKR_PIN_LOCKED);
    pub const USER_PIN_NOT_INITIALIZED: Ckr = Ckr(CKR_USER_PIN_NOT_INITIALIZED);
    pub const USER_NOT_LOGGED_IN: Ckr = Ckr(CKR_USER_NOT_LOGGED_IN);
    pub const TOKEN_NOT_PRESENT: Ckr = Ckr(CKR_TOKEN_NOT_PRESENT);
    pub const TOKEN_NOT_INITIALIZED: Ckr = Ckr(CKR_TOKEN_NOT_INITIALIZED);
    pub const OBJECT_HANDLE_INVALID: Ckr = Ckr(CKR_OBJECT_HANDLE_INVALID);
    pub const OPERATION_NOT_INITIALIZED: Ckr = Ckr(CKR_OPERATION_NOT_INITIALIZED);
    pub const OPERATION_ACTIVE: Ckr = Ckr(CKR_OPERATION_ACTIVE);
    pub const BUFFER_TOO_SMALL: Ckr = Ckr(CKR_BUFFER_TOO_SMALL);
    pub const ACTION_PROHIBITED: Ckr = Ckr(CKR_ACTION_PROHIBITED);
    pub const RANDOM_SEED_NOT_SUPPORTED: Ckr = Ckr(CKR_RANDOM_SEED_NOT_SUPPORTED);
}

impl fmt::Debug for Ckr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CKR(0x{:08X})", self.0)
    }
}

impl fmt::Display for Ckr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for Ckr {}
