//! Encryption: RSAES-PKCS1-v1_5 (CKM_RSA_PKCS), RSAES-OAEP
//! (CKM_RSA_PKCS_OAEP: label hash and MGF1 hash each SHA-1 or SHA-2, any
//! label) and raw RSA (CKM_RSA_X_509: the input left-padded with zeros to k
//! bytes, which must be below n), and key wrapping with the first two.
//!
//! RSA is single-part: `update` collects the input (refusing it as soon as
//! it is too long) and `finish` does the work. A failed decryption is
//! CKR_ENCRYPTED_DATA_INVALID whatever went wrong inside: aws-lc checks the
//! padding in constant time and reports only failure, and this module adds
//! no other distinction (the length, which is public, is checked first).

use super::ffi::{Padding, Rsa};
use super::hash::Hash;
use super::key::{left_pad, private_key, public_key, Use};
use super::{RsaMech, Scheme};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::secret::{append, no_param};
use crate::mech::{Cipher, MechParam, Mechanism};
use std::sync::Arc;

/// The encryption scheme with its parameters.
enum Pad {
    Pkcs1,
    Oaep {
        hash: &'static Hash,
        mgf: &'static Hash,
        label: Vec<u8>,
    },
    Raw,
}

/// An RSA key with what encryption needs to know about it.
struct Key {
    rsa: Arc<Rsa>,
    /// k: the modulus length in bytes.
    k: usize,
    /// The modulus as k bytes (raw blocks must be below it).
    n: Vec<u8>,
    pad: Pad,
}

impl Key {
    fn new(mech: &RsaMech, m: &Mechanism, rsa: Arc<Rsa>, n: &[u8]) -> Result<Key> {
        let pad = match (mech.scheme, &m.param) {
            (Scheme::Pkcs1, _) if mech.hash.is_none() => no_param(m).map(|()| Pad::Pkcs1)?,
            (Scheme::Raw, _) => no_param(m).map(|()| Pad::Raw)?,
            (Scheme::Oaep, MechParam::Oaep { hash, mgf, label }) => Pad::Oaep {
                hash: Hash::by_mechanism(*hash).ok_or(Ckr::MECHANISM_PARAM_INVALID)?,
                mgf: Hash::by_mgf(*mgf).ok_or(Ckr::MECHANISM_PARAM_INVALID)?,
                label: label.clone(),
            },
            (Scheme::Oaep, _) => return Err(Ckr::MECHANISM_PARAM_INVALID),
            _ => return Err(Ckr::MECHANISM_INVALID),
        };
        let k = rsa.size();
        let n = left_pad(n, k).ok_or(Ckr::GENERAL_ERROR)?.to_vec();
        let key = Key { rsa, k, n, pad };
        // OAEP with a long hash on a short key leaves no room for data.
        if key.max_plaintext().is_none() {
            return Err(Ckr::KEY_SIZE_RANGE);
        }
        Ok(key)
    }

    /// The longest plaintext: k − 11 (PKCS#1 v1.5), k − 2·hLen − 2 (OAEP),
    /// k (raw).
    fn max_plaintext(&self) -> Option<usize> {
        match &self.pad {
            Pad::Pkcs1 => self.k.checked_sub(11),
            Pad::Oaep { hash, .. } => self.k.checked_sub(2 * hash.len + 2),
            Pad::Raw => Some(self.k),
        }
    }

    fn encrypt(&self, data: &[u8]) -> Result<Vec<u8>> {
        if self.max_plaintext().is_none_or(|max| data.len() > max) {
            return Err(Ckr::DATA_LEN_RANGE);
        }
        let ciphertext = match &self.pad {
            Pad::Pkcs1 => self.rsa.encrypt(data, Padding::Pkcs1),
            Pad::Oaep { hash, mgf, label } => self
                .rsa
                .oaep(true, data, hash.md, mgf.md, label)
                .map(|ct| ct.to_vec()),
            Pad::Raw => {
                let block = left_pad(data, self.k).ok_or(Ckr::DATA_LEN_RANGE)?;
                if block.as_slice() >= self.n.as_slice() {
                    return Err(Ckr::DATA_INVALID);
                }
                self.rsa.encrypt(&block, Padding::None)
            }
        };
        ciphertext.ok_or(Ckr::GENERAL_ERROR)
    }

    fn decrypt(&self, ciphertext: &[u8]) -> Result<Value> {
        if ciphertext.len() != self.k {
            return Err(Ckr::ENCRYPTED_DATA_LEN_RANGE);
        }
        let plaintext = match &self.pad {
            Pad::Pkcs1 => self.rsa.decrypt(ciphertext, Padding::Pkcs1),
            Pad::Oaep { hash, mgf, label } => {
                self.rsa.oaep(false, ciphertext, hash.md, mgf.md, label)
            }
            Pad::Raw => self.rsa.decrypt(ciphertext, Padding::None),
        };
        plaintext.ok_or(Ckr::ENCRYPTED_DATA_INVALID)
    }
}

/// A running encryption: the plaintext so far.
struct Encryptor {
    key: Key,
    data: Value,
}

impl Cipher for Encryptor {
    fn update(&mut self, input: &[u8]) -> Result<Value> {
        if self
            .key
            .max_plaintext()
            .is_none_or(|max| self.data.len() + input.len() > max)
        {
            return Err(Ckr::DATA_LEN_RANGE);
        }
        append(&mut self.data, input);
        Ok(Value::default())
    }

    fn finish(&mut self) -> Result<Value> {
        let data = std::mem::take(&mut self.data);
        self.key.encrypt(&data).map(Value::new)
    }
}

/// A running decryption: the ciphertext so far.
struct Decryptor {
    key: Key,
    data: Vec<u8>,
}

impl Cipher for Decryptor {
    fn update(&mut self, input: &[u8]) -> Result<Value> {
        if self.data.len() + input.len() > self.key.k {
            return Err(Ckr::ENCRYPTED_DATA_LEN_RANGE);
        }
        self.data.extend_from_slice(input);
        Ok(Value::default())
    }

    fn finish(&mut self) -> Result<Value> {
        self.key.decrypt(&std::mem::take(&mut self.data))
    }
}

/// C_EncryptInit with a public key object.
pub(super) fn encryptor(
    mech: &RsaMech,
    m: &Mechanism,
    key: &Attributes,
) -> Result<Box<dyn Cipher>> {
    let (rsa, n) = public_key(key, Use::New)?;
    let key = Key::new(mech, m, rsa, n)?;
    Ok(Box::new(Encryptor {
        key,
        data: Value::default(),
    }))
}

/// C_DecryptInit with a private key object.
pub(super) fn decryptor(
    mech: &RsaMech,
    m: &Mechanism,
    key: &Attributes,
) -> Result<Box<dyn Cipher>> {
    let (rsa, n) = private_key(key, Use::Legacy)?;
    let key = Key::new(mech, m, rsa, n)?;
    Ok(Box::new(Decryptor {
        key,
        data: Vec::new(),
    }))
}

/// C_WrapKey: a key value (an AES key, typically) encrypted to a public
/// key; one too long for the scheme is CKR_KEY_SIZE_RANGE.
pub(super) fn wrap(
    mech: &RsaMech,
    m: &Mechanism,
    key: &Attributes,
    value: &[u8],
) -> Result<Vec<u8>> {
    let (rsa, n) = public_key(key, Use::New)?;
    let key = Key::new(mech, m, rsa, n)?;
    key.encrypt(value).map_err(|e| match e {
        Ckr::DATA_LEN_RANGE => Ckr::KEY_SIZE_RANGE,
        other => other,
    })
}

/// C_UnwrapKey: the key value inside a wrapping made for this private key.
pub(super) fn unwrap(
    mech: &RsaMech,
    m: &Mechanism,
    key: &Attributes,
    wrapped: &[u8],
) -> Result<Value> {
    let (rsa, n) = private_key(key, Use::Legacy)?;
    let key = Key::new(mech, m, rsa, n)?;
    key.decrypt(wrapped).map_err(|e| match e {
        Ckr::ENCRYPTED_DATA_LEN_RANGE => Ckr::WRAPPED_KEY_LEN_RANGE,
        Ckr::ENCRYPTED_DATA_INVALID => Ckr::WRAPPED_KEY_INVALID,
        other => other,
    })
}
