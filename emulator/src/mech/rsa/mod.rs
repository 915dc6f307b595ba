//! RSA (PKCS #1 v2.2, RFC 8017) on aws-lc, constant-time (not the RustCrypto
//! `rsa` crate: RUSTSEC-2023-0071): CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_RSA_PKCS
//! (sign, verify, encrypt, decrypt, wrap, unwrap), CKM_RSA_PKCS_PSS,
//! CKM_SHA{1,224,256,384,512}_RSA_PKCS(_PSS), CKM_RSA_PKCS_OAEP, CKM_RSA_X_509,
//! and the CKK_RSA key family.
//!
//! - [`keygen`]: key-pair generation and its pairwise-consistency test;
//! - [`sign`]: PKCS#1 v1.5, PSS and raw signatures;
//! - [`cipher`]: PKCS#1 v1.5, OAEP and raw encryption, key wrapping;
//! - [`family`] and [`der`]: keys arriving and leaving (checks, SPKI, PKCS#8);
//! - [`key`]: key objects as aws-lc keys, and the key-size policy;
//! - [`hash`]: the hash functions and their DigestInfo prefixes;
//! - [`ffi`]: the aws-lc calls themselves;
//! - [`kat`]: the known-answer test.

mod cipher;
mod der;
mod family;
mod ffi;
mod hash;
mod kat;
mod key;
mod keygen;
mod sign;
#[cfg(test)]
mod tests;

use super::{info, Cipher, Mechanism, MechanismImpl, Registry, Signer, Verifier};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use cryptoki_sys::*;
use hash::{Hash, SHA1, SHA224, SHA256, SHA384, SHA512};

pub(crate) use kat::known_answer;

/// CK_MECHANISM_INFO of every RSA mechanism: modulus sizes in bits.
fn rsa_info(flags: CK_FLAGS) -> CK_MECHANISM_INFO {
    info(key::MIN_BITS as CK_ULONG, key::MAX_BITS as CK_ULONG, flags)
}

/// The padding scheme of a mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    /// RSASSA-/RSAES-PKCS1-v1_5.
    Pkcs1,
    /// RSASSA-PSS.
    Pss,
    /// RSAES-OAEP.
    Oaep,
    /// No padding (CKM_RSA_X_509).
    Raw,
}

/// One RSA mechanism other than key generation.
#[derive(Clone, Copy)]
struct RsaMech {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    scheme: Scheme,
    /// The hash the token applies to the input (CKM_SHA*_RSA_PKCS*); `None`
    /// when the caller supplies the DigestInfo, digest or block.
    hash: Option<&'static Hash>,
}

/// An entry of [`MECHANISMS`], named after its constant.
macro_rules! mech {
    ($ty:ident, $scheme:ident) => {
        RsaMech {
            ty: $ty,
            name: stringify!($ty),
            scheme: Scheme::$scheme,
            hash: None,
        }
    };
    ($ty:ident, $scheme:ident, $hash:ident) => {
        RsaMech {
            ty: $ty,
            name: stringify!($ty),
            scheme: Scheme::$scheme,
            hash: Some(&$hash),
        }
    };
}

const MECHANISMS: [RsaMech; 14] = [
    mech!(CKM_RSA_PKCS, Pkcs1),
    mech!(CKM_RSA_X_509, Raw),
    mech!(CKM_RSA_PKCS_OAEP, Oaep),
    mech!(CKM_RSA_PKCS_PSS, Pss),
    mech!(CKM_SHA1_RSA_PKCS, Pkcs1, SHA1),
    mech!(CKM_SHA224_RSA_PKCS, Pkcs1, SHA224),
    mech!(CKM_SHA256_RSA_PKCS, Pkcs1, SHA256),
    mech!(CKM_SHA384_RSA_PKCS, Pkcs1, SHA384),
    mech!(CKM_SHA512_RSA_PKCS, Pkcs1, SHA512),
    mech!(CKM_SHA1_RSA_PKCS_PSS, Pss, SHA1),
    mech!(CKM_SHA224_RSA_PKCS_PSS, Pss, SHA224),
    mech!(CKM_SHA256_RSA_PKCS_PSS, Pss, SHA256),
    mech!(CKM_SHA384_RSA_PKCS_PSS, Pss, SHA384),
    mech!(CKM_SHA512_RSA_PKCS_PSS, Pss, SHA512),
];

impl RsaMech {
    fn signs(&self) -> bool {
        self.scheme != Scheme::Oaep
    }
    /// Encryption and decryption: the mechanisms without a hash of their own.
    fn encrypts(&self) -> bool {
        self.hash.is_none() && self.scheme != Scheme::Pss
    }
    /// Key wrapping: PKCS#1 v1.5 and OAEP.
    fn wraps(&self) -> bool {
        self.hash.is_none() && matches!(self.scheme, Scheme::Pkcs1 | Scheme::Oaep)
    }
}

/// A mechanism used for a function it does not offer.
fn offered(ok: bool) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Ckr::MECHANISM_INVALID)
    }
}

impl MechanismImpl for RsaMech {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        let mut flags = 0;
        if self.signs() {
            flags |= CKF_SIGN | CKF_VERIFY;
        }
        if self.encrypts() {
            flags |= CKF_ENCRYPT | CKF_DECRYPT;
        }
        if self.wraps() {
            flags |= CKF_WRAP | CKF_UNWRAP;
        }
        rsa_info(flags)
    }

    fn sign(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Signer>> {
        offered(self.signs())?;
        sign::signer(self, m, key)
    }
    fn verify(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Verifier>> {
        offered(self.signs())?;
        sign::verifier(self, m, key)
    }
    fn encrypt(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Cipher>> {
        offered(self.encrypts())?;
        cipher::encryptor(self, m, key)
    }
    fn decrypt(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Cipher>> {
        offered(self.encrypts())?;
        cipher::decryptor(self, m, key)
    }
    fn wrap(&self, m: &Mechanism, wrapping_key: &Attributes, key_value: &[u8]) -> Result<Vec<u8>> {
        offered(self.wraps())?;
        cipher::wrap(self, m, wrapping_key, key_value)
    }
    fn unwrap(&self, m: &Mechanism, unwrapping_key: &Attributes, wrapped: &[u8]) -> Result<Value> {
        offered(self.wraps())?;
        cipher::unwrap(self, m, unwrapping_key, wrapped)
    }
}

/// Add the RSA mechanisms and the CKK_RSA key family.
pub(crate) fn register(r: &mut Registry) {
    r.add(keygen::KeyPairGen);
    for m in MECHANISMS {
        r.add(m);
    }
    r.add_family(family::RsaFamily);
}
