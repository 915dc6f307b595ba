//! PKCS#11 as plain Rust: one function per C call, taking Rust values and
//! returning `Result<_, Ckr>`. The ABI layer (`abi/`) turns C arguments into
//! these calls and nothing else; everything here is safe code.
#![allow(unused_variables)] // TEMPORARY while the bodies land

use crate::output::Output;
use cryptoki_sys::*;
use qrc_emulator::mech::Mechanism;
use qrc_emulator::{Attributes, Ckr, Result, Value};

/// Options from CK_C_INITIALIZE_ARGS, already checked for consistency by the
/// ABI layer (pReserved NULL; mutex callbacks all set or all NULL).
#[derive(Clone, Copy, Debug, Default)]
pub struct InitArgs {
    pub os_locking_ok: bool,
    pub mutex_callbacks: bool,
}

/// Result of reading one attribute for C_GetAttributeValue: the value, or the
/// per-attribute error (CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_SENSITIVE).
pub type AttrRead = std::result::Result<Value, Ckr>;

// General purpose.
pub fn initialize(args: InitArgs) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn finalize() -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn get_info() -> Result<CK_INFO> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}

// Slots and tokens.
pub fn get_slot_list(token_present: bool) -> Result<Vec<CK_SLOT_ID>> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn get_slot_info(slot: CK_SLOT_ID) -> Result<CK_SLOT_INFO> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn get_token_info(slot: CK_SLOT_ID) -> Result<CK_TOKEN_INFO> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn get_mechanism_list(slot: CK_SLOT_ID) -> Result<Vec<CK_MECHANISM_TYPE>> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn get_mechanism_info(slot: CK_SLOT_ID, ty: CK_MECHANISM_TYPE) -> Result<CK_MECHANISM_INFO> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
/// `label` is the 32-byte blank-padded label from the caller.
pub fn init_token(slot: CK_SLOT_ID, so_pin: &[u8], label: &[u8; 32]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn init_pin(h: CK_SESSION_HANDLE, pin: &[u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn set_pin(h: CK_SESSION_HANDLE, old: &[u8], new: &[u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}

// Sessions and login.
pub fn open_session(slot: CK_SLOT_ID, flags: CK_FLAGS) -> Result<CK_SESSION_HANDLE> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn close_session(h: CK_SESSION_HANDLE) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn close_all_sessions(slot: CK_SLOT_ID) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn get_session_info(h: CK_SESSION_HANDLE) -> Result<CK_SESSION_INFO> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn session_cancel(h: CK_SESSION_HANDLE, flags: CK_FLAGS) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn login(h: CK_SESSION_HANDLE, user: CK_USER_TYPE, pin: &[u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn logout(h: CK_SESSION_HANDLE) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}

// Objects.
pub fn create_object(h: CK_SESSION_HANDLE, template: &Attributes) -> Result<CK_OBJECT_HANDLE> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn copy_object(h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE, template: &Attributes) -> Result<CK_OBJECT_HANDLE> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn destroy_object(h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn get_object_size(h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE) -> Result<CK_ULONG> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
/// One result per requested type, in order.
pub fn get_attribute_value(h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE, types: &[CK_ATTRIBUTE_TYPE]) -> Result<Vec<AttrRead>> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn set_attribute_value(h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE, template: &Attributes) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn find_objects_init(h: CK_SESSION_HANDLE, template: &Attributes) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn find_objects(h: CK_SESSION_HANDLE, max: usize) -> Result<Vec<CK_OBJECT_HANDLE>> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn find_objects_final(h: CK_SESSION_HANDLE) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}

// Encryption and decryption. Single-part and update/final outputs follow the
// two-call convention through `Output`.
pub fn encrypt_init(h: CK_SESSION_HANDLE, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn encrypt(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn encrypt_update(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn encrypt_final(h: CK_SESSION_HANDLE, out: &mut Output) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn decrypt_init(h: CK_SESSION_HANDLE, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn decrypt(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn decrypt_update(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn decrypt_final(h: CK_SESSION_HANDLE, out: &mut Output) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}

// Digests.
pub fn digest_init(h: CK_SESSION_HANDLE, m: &Mechanism) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn digest(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn digest_update(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn digest_key(h: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn digest_final(h: CK_SESSION_HANDLE, out: &mut Output) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}

// Signatures and MACs.
pub fn sign_init(h: CK_SESSION_HANDLE, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn sign(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn sign_update(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn sign_final(h: CK_SESSION_HANDLE, out: &mut Output) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn verify_init(h: CK_SESSION_HANDLE, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn verify(h: CK_SESSION_HANDLE, data: &[u8], signature: &[u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn verify_update(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn verify_final(h: CK_SESSION_HANDLE, signature: &[u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
/// PKCS#11 3.2: the signature is given at init.
pub fn verify_signature_init(h: CK_SESSION_HANDLE, m: &Mechanism, key: CK_OBJECT_HANDLE, signature: &[u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn verify_signature(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn verify_signature_update(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn verify_signature_final(h: CK_SESSION_HANDLE) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}

// Keys.
pub fn generate_key(h: CK_SESSION_HANDLE, m: &Mechanism, template: &Attributes) -> Result<CK_OBJECT_HANDLE> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
/// Returns (public, private).
pub fn generate_key_pair(h: CK_SESSION_HANDLE, m: &Mechanism, public: &Attributes, private: &Attributes) -> Result<(CK_OBJECT_HANDLE, CK_OBJECT_HANDLE)> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn wrap_key(h: CK_SESSION_HANDLE, m: &Mechanism, wrapping_key: CK_OBJECT_HANDLE, key: CK_OBJECT_HANDLE, out: &mut Output) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn unwrap_key(h: CK_SESSION_HANDLE, m: &Mechanism, unwrapping_key: CK_OBJECT_HANDLE, wrapped: &[u8], template: &Attributes) -> Result<CK_OBJECT_HANDLE> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn derive_key(h: CK_SESSION_HANDLE, m: &Mechanism, base: CK_OBJECT_HANDLE, template: &Attributes) -> Result<CK_OBJECT_HANDLE> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}

// Random numbers.
pub fn seed_random(h: CK_SESSION_HANDLE, seed: &[u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
pub fn generate_random(h: CK_SESSION_HANDLE, out: &mut [u8]) -> Result<()> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}

// PKCS#11 3.2 session validation flags (CKS_LAST_VALIDATION_OK is the only type).
pub fn get_session_validation_flags(h: CK_SESSION_HANDLE, ty: CK_SESSION_VALIDATION_FLAGS_TYPE) -> Result<CK_FLAGS> {
    Err(Ckr::FUNCTION_NOT_SUPPORTED)
}
