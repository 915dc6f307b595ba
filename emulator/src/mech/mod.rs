//! The mechanism registry: every algorithm the emulator offers, one module per
//! family, each registering its mechanisms here. C_GetMechanismList,
//! C_GetMechanismInfo, every crypto *Init and docs/mechanisms.md all read this
//! one table.

use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use cryptoki_sys::*;

/// A mechanism as the caller asked for it: its type and its parameter, already
/// read out of the caller's C structures by the provider's ABI layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mechanism {
    pub ty: CK_MECHANISM_TYPE,
    pub param: MechParam,
}

/// The parameter of a mechanism, copied out of caller memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MechParam {
    /// pParameter was NULL / ulParameterLen 0.
    None,
    /// A plain byte-string parameter (an IV for CBC modes, or any parameter
    /// whose C form is a byte array).
    Bytes(Vec<u8>),
    /// A CK_ULONG parameter (CK_MAC_GENERAL_PARAMS: the MAC length).
    Ulong(CK_ULONG),
    /// CK_GCM_PARAMS, either layout (2.40 without ulIvBits, 3.0 with it).
    Gcm { iv: Vec<u8>, aad: Vec<u8>, tag_bits: CK_ULONG },
    /// CK_AES_CTR_PARAMS.
    Ctr { counter_bits: CK_ULONG, cb: [u8; 16] },
}

/// A running encryption or decryption. `update` returns what can be output so
/// far; `finish` returns the rest and ends the operation.
pub trait Cipher: Send {
    fn update(&mut self, input: &[u8]) -> Result<Value>;
    fn finish(&mut self) -> Result<Value>;
}

/// A running digest.
pub trait Digest: Send {
    fn update(&mut self, data: &[u8]);
    fn finish(&mut self) -> Vec<u8>;
}

/// A running signature or MAC computation.
pub trait Signer: Send {
    fn update(&mut self, data: &[u8]) -> Result<()>;
    fn finish(&mut self) -> Result<Vec<u8>>;
}

/// A running verification. `finish` returns Ok(()) only for a valid
/// signature, else CKR_SIGNATURE_INVALID or CKR_SIGNATURE_LEN_RANGE.
pub trait Verifier: Send {
    fn update(&mut self, data: &[u8]) -> Result<()>;
    fn finish(&mut self, signature: &[u8]) -> Result<()>;
}

/// One mechanism. A family module implements the operations it supports; the
/// defaults refuse with CKR_MECHANISM_INVALID, which is what PKCS#11 returns
/// for a mechanism used with a function it does not support.
///
/// `key` is the full attribute set of the key object; the mechanism checks the
/// key type (CKR_KEY_TYPE_INCONSISTENT) and size (CKR_KEY_SIZE_RANGE) itself.
/// The caller has already checked the key's usage flags (CKA_ENCRYPT, …).
pub trait MechanismImpl: Send + Sync {
    fn ty(&self) -> CK_MECHANISM_TYPE;
    /// The PKCS#11 name, e.g. "CKM_AES_GCM".
    fn name(&self) -> &'static str;
    fn info(&self) -> CK_MECHANISM_INFO;

    fn encrypt(&self, _m: &Mechanism, _key: &Attributes) -> Result<Box<dyn Cipher>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    fn decrypt(&self, _m: &Mechanism, _key: &Attributes) -> Result<Box<dyn Cipher>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    fn digest(&self, _m: &Mechanism) -> Result<Box<dyn Digest>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    fn sign(&self, _m: &Mechanism, _key: &Attributes) -> Result<Box<dyn Signer>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    fn verify(&self, _m: &Mechanism, _key: &Attributes) -> Result<Box<dyn Verifier>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    /// Key generation: given the caller's template, return the attributes the
    /// mechanism supplies (CKA_KEY_TYPE, CKA_VALUE, CKA_VALUE_LEN, …).
    fn generate_key(&self, _m: &Mechanism, _template: &Attributes) -> Result<Attributes> {
        Err(Ckr::MECHANISM_INVALID)
    }
    /// Wrap `key_value` (the CKA_VALUE of the key being wrapped).
    fn wrap(&self, _m: &Mechanism, _wrapping_key: &Attributes, _key_value: &[u8]) -> Result<Vec<u8>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    /// Unwrap to the raw key value.
    fn unwrap(&self, _m: &Mechanism, _unwrapping_key: &Attributes, _wrapped: &[u8]) -> Result<Value> {
        Err(Ckr::MECHANISM_INVALID)
    }
}
