//! Crypto calls: key lookup with usage checks, then the mechanism registry.

use super::SoftToken;
use crate::error::{Ckr, Result};
use crate::mech::{registry, Cipher, Digest, Mechanism, MessageCipher, Signer, Verifier};
use crate::{Attributes, Value};
use cryptoki_sys::*;
use std::sync::Arc;

/// What a key is about to be used for: the usage attribute that must be true.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    Wrap,
    Unwrap,
    Derive,
    Encapsulate,
    Decapsulate,
}

impl Usage {
    fn attribute(self) -> CK_ATTRIBUTE_TYPE {
        match self {
            Usage::Encrypt => CKA_ENCRYPT,
            Usage::Decrypt => CKA_DECRYPT,
            Usage::Sign => CKA_SIGN,
            Usage::Verify => CKA_VERIFY,
            Usage::Wrap => CKA_WRAP,
            Usage::Unwrap => CKA_UNWRAP,
            Usage::Derive => CKA_DERIVE,
            Usage::Encapsulate => CKA_ENCAPSULATE,
            Usage::Decapsulate => CKA_DECAPSULATE,
        }
    }
}

/// An object lookup's error where the handle names a key: an unknown
/// handle is CKR_KEY_HANDLE_INVALID, anything else stays what it is.
pub(super) fn key_handle(e: Ckr) -> Ckr {
    match e {
        Ckr::OBJECT_HANDLE_INVALID => Ckr::KEY_HANDLE_INVALID,
        other => other,
    }
}

impl SoftToken {
    /// The key behind `handle`, if it is a key the caller may use for `usage`
    /// with mechanism `m`. Every operation that uses a key (encrypt, decrypt,
    /// sign, verify, wrap, unwrap, derive, encapsulate, decapsulate) gets it
    /// here, so the key's restrictions are enforced in this one place.
    pub fn key(
        &self,
        handle: CK_OBJECT_HANDLE,
        usage: Usage,
        m: &Mechanism,
    ) -> Result<Arc<Attributes>> {
        let key = self.object(handle).map_err(key_handle)?;
        if key.ulong(CKA_KEY_TYPE)?.is_none() {
            return Err(Ckr::KEY_HANDLE_INVALID);
        }
        if !key.bool_or(usage.attribute(), false)? {
            return Err(Ckr::KEY_FUNCTION_NOT_PERMITTED);
        }
        if !allows(&key, m.ty) {
            return Err(Ckr::MECHANISM_INVALID);
        }
        Ok(key)
    }

    /// Whether using this key needs the PIN again (CKA_ALWAYS_AUTHENTICATE).
    pub fn always_authenticate(&self, handle: CK_OBJECT_HANDLE) -> Result<bool> {
        self.object_view(handle)?
            .0
            .bool_or(CKA_ALWAYS_AUTHENTICATE, false)
    }

    /// C_EncryptInit / C_DecryptInit.
    pub fn cipher(
        &self,
        m: &Mechanism,
        handle: CK_OBJECT_HANDLE,
        usage: Usage,
    ) -> Result<Box<dyn Cipher>> {
        let flag = match usage {
            Usage::Encrypt => CKF_ENCRYPT,
            _ => CKF_DECRYPT,
        };
        let mech = registry().for_function(m.ty, flag)?;
        let key = self.key(handle, usage, m)?;
        match usage {
            Usage::Encrypt => mech.encrypt(m, &key),
            _ => mech.decrypt(m, &key),
        }
    }

    /// C_MessageEncryptInit / C_MessageDecryptInit: the key's message-based
    /// process, the key checked for the usage and the mechanism.
    pub fn message_cipher(
        &self,
        m: &Mechanism,
        handle: CK_OBJECT_HANDLE,
        usage: Usage,
    ) -> Result<Box<dyn MessageCipher>> {
        let flag = match usage {
            Usage::Encrypt => CKF_MESSAGE_ENCRYPT,
            Usage::Decrypt => CKF_MESSAGE_DECRYPT,
            _ => return Err(Ckr::MECHANISM_INVALID),
        };
        let mech = registry().for_function(m.ty, flag)?;
        let key = self.key(handle, usage, m)?;
        match usage {
            Usage::Encrypt => mech.message_encrypt(m, &key),
            _ => mech.message_decrypt(m, &key),
        }
    }

    /// C_SignInit.
    pub fn signer(&self, m: &Mechanism, handle: CK_OBJECT_HANDLE) -> Result<Box<dyn Signer>> {
        let mech = registry().for_function(m.ty, CKF_SIGN)?;
        mech.sign(m, &*self.key(handle, Usage::Sign, m)?)
    }

    /// C_VerifyInit / C_VerifySignatureInit.
    pub fn verifier(&self, m: &Mechanism, handle: CK_OBJECT_HANDLE) -> Result<Box<dyn Verifier>> {
        let mech = registry().for_function(m.ty, CKF_VERIFY)?;
        mech.verify(m, &*self.key(handle, Usage::Verify, m)?)
    }

    /// C_DigestInit.
    pub fn digest(&self, m: &Mechanism) -> Result<Box<dyn Digest>> {
        registry().for_function(m.ty, CKF_DIGEST)?.digest(m)
    }

    /// C_DigestKey: the value of a secret key, to be fed to the digest
    /// `mechanism`; a key whose CKA_ALLOWED_MECHANISMS leaves that digest out
    /// is CKR_KEY_INDIGESTIBLE.
    pub fn digestible_value(
        &self,
        handle: CK_OBJECT_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
    ) -> Result<Value> {
        let key = self.object(handle).map_err(key_handle)?;
        if key.ulong(CKA_CLASS)? != Some(CKO_SECRET_KEY) || !allows(&key, mechanism) {
            return Err(Ckr(CKR_KEY_INDIGESTIBLE));
        }
        let value = key.get(CKA_VALUE).ok_or(Ckr(CKR_KEY_INDIGESTIBLE))?;
        Ok(Value::new(value.to_vec()))
    }
}

/// CKA_ALLOWED_MECHANISMS: a non-empty list restricts the key to the
/// mechanisms it names; an empty or absent one restricts nothing (PKCS#11
/// §4.7, common key attributes). The list is a CK_MECHANISM_TYPE array in
/// native byte order, its length checked when the key was made.
fn allows(key: &Attributes, mechanism: CK_MECHANISM_TYPE) -> bool {
    match key.get(CKA_ALLOWED_MECHANISMS) {
        None | Some([]) => true,
        Some(list) => list
            .chunks_exact(std::mem::size_of::<CK_MECHANISM_TYPE>())
            .any(|m| m.try_into().map(CK_MECHANISM_TYPE::from_ne_bytes).ok() == Some(mechanism)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_allowing(list: Option<&[CK_MECHANISM_TYPE]>) -> Attributes {
        let mut key = Attributes::new();
        if let Some(list) = list {
            let bytes: Vec<u8> = list.iter().flat_map(|m| m.to_ne_bytes()).collect();
            key.set(CKA_ALLOWED_MECHANISMS, bytes);
        }
        key
    }

    #[test]
    fn empty_or_absent_list_allows_everything() {
        assert!(allows(&key_allowing(None), CKM_AES_CBC));
        assert!(allows(&key_allowing(Some(&[])), CKM_AES_CBC));
    }

    #[test]
    fn non_empty_list_allows_only_its_mechanisms() {
        let key = key_allowing(Some(&[CKM_AES_GCM, CKM_SHA256_HMAC]));
        assert!(allows(&key, CKM_AES_GCM));
        assert!(allows(&key, CKM_SHA256_HMAC));
        assert!(!allows(&key, CKM_AES_CBC));
        // A mechanism whose number is a byte-shifted listed one: matching is
        // per CK_ULONG, not a byte search.
        assert!(!allows(&key, CKM_AES_GCM << 8));
    }
}
