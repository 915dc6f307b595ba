//! Signatures: RSASSA-PKCS1-v1_5 over the caller's DigestInfo (CKM_RSA_PKCS)
//! or over a hash the token makes (CKM_SHA*_RSA_PKCS), RSASSA-PSS over the
//! caller's digest (CKM_RSA_PKCS_PSS) or the token's (CKM_SHA*_RSA_PKCS_PSS),
//! and raw RSA (CKM_RSA_X_509). The hashing forms stream; the others collect
//! their (short) input and refuse it as soon as it is too long.
//!
//! Verification re-encodes and compares (PKCS#1 v1.5) or checks PSS with
//! exactly the parameter's salt length, so BER variants, missing NULLs and
//! other salt lengths are all CKR_SIGNATURE_INVALID.

use super::ffi::{Padding, Rsa};
use super::hash::Hash;
use super::key::{left_pad, private_key, public_key, Use};
use super::{RsaMech, Scheme};
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use crate::mech::secret::no_param;
use crate::mech::{Digest, MechParam, Mechanism, Signer, Verifier};
use std::sync::Arc;

/// The signature scheme and its parameters.
enum Encoding {
    /// RSASSA-PKCS1-v1_5; with a hash, the token wraps the digest in its
    /// DigestInfo, without one the input is the DigestInfo.
    Pkcs1(Option<&'static Hash>),
    Pss {
        hash: &'static Hash,
        mgf: &'static Hash,
        salt: usize,
    },
    Raw,
}

/// The input as it accumulates.
enum Input {
    /// The caller's DigestInfo, digest or raw block, at most `max` bytes.
    Given { data: Vec<u8>, max: usize },
    /// The token's running hash.
    Hashing(Box<dyn Digest>),
}

/// What a signer and a verifier share: the scheme, the input so far and
/// the key's size.
struct Operation {
    encoding: Encoding,
    input: Input,
    /// k: the modulus length in bytes.
    k: usize,
    /// The modulus, left-padded to k bytes (raw blocks must be below it).
    n: Vec<u8>,
}

/// The PSS parameter: a hash this module knows (the mechanism's own, for
/// the hashing forms), MGF1 over that same hash, and a salt that fits:
/// emLen ≥ hLen + sLen + 2 with emLen = ⌈(modBits − 1)/8⌉ (RFC 8017 9.1.1).
fn pss_param(mech: &RsaMech, m: &Mechanism, bits: usize) -> Result<Encoding> {
    let MechParam::Pss {
        hash,
        mgf,
        salt_len,
    } = m.param
    else {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    };
    let hash = Hash::by_mechanism(hash).ok_or(Ckr::MECHANISM_PARAM_INVALID)?;
    let mgf = Hash::by_mgf(mgf).ok_or(Ckr::MECHANISM_PARAM_INVALID)?;
    let em_len = (bits - 1).div_ceil(8);
    let salt = usize::try_from(salt_len).map_err(|_| Ckr::MECHANISM_PARAM_INVALID)?;
    let fits = salt
        .checked_add(hash.len + 2)
        .is_some_and(|needed| needed <= em_len);
    let own_hash = mech.hash.is_none_or(|h| h == hash);
    if !fits || !own_hash || mgf != hash {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    Ok(Encoding::Pss { hash, mgf, salt })
}

impl Operation {
    fn new(mech: &RsaMech, m: &Mechanism, rsa: &Rsa, n: &[u8]) -> Result<Operation> {
        let k = rsa.size();
        let encoding = match mech.scheme {
            Scheme::Pkcs1 => {
                no_param(m)?;
                Encoding::Pkcs1(mech.hash)
            }
            Scheme::Pss => pss_param(mech, m, rsa.bits())?,
            Scheme::Raw => {
                no_param(m)?;
                Encoding::Raw
            }
            Scheme::Oaep => return Err(Ckr::MECHANISM_INVALID),
        };
        let input = match (mech.hash, &encoding) {
            (Some(hash), _) => Input::Hashing(hash.start()?),
            (None, Encoding::Pkcs1(_)) => Input::Given {
                data: Vec::new(),
                max: k - 11,
            },
            (None, Encoding::Pss { hash, .. }) => Input::Given {
                data: Vec::new(),
                max: hash.len,
            },
            (None, Encoding::Raw) => Input::Given {
                data: Vec::new(),
                max: k,
            },
        };
        let n = left_pad(n, k).ok_or(Ckr::GENERAL_ERROR)?.to_vec();
        Ok(Operation {
            encoding,
            input,
            k,
            n,
        })
    }

    fn update(&mut self, part: &[u8]) -> Result<()> {
        match &mut self.input {
            Input::Given { data, max } => {
                if data.len() + part.len() > *max {
                    return Err(Ckr::DATA_LEN_RANGE);
                }
                data.extend_from_slice(part);
            }
            Input::Hashing(state) => state.update(part),
        }
        Ok(())
    }

    /// What the scheme signs: the DigestInfo (PKCS#1), the digest (PSS) or
    /// the k-byte block (raw).
    fn message(&mut self) -> Result<Vec<u8>> {
        let input = match &mut self.input {
            Input::Given { data, .. } => std::mem::take(data),
            Input::Hashing(state) => state.finish(),
        };
        match &self.encoding {
            Encoding::Pkcs1(Some(hash)) => Ok(hash.digest_info(&input)),
            Encoding::Pss { hash, .. } if input.len() != hash.len => Err(Ckr::DATA_LEN_RANGE),
            Encoding::Raw => Ok(left_pad(&input, self.k)
                .ok_or(Ckr::DATA_LEN_RANGE)?
                .to_vec()),
            _ => Ok(input),
        }
    }
}

/// A running signature.
struct RsaSigner {
    key: Arc<Rsa>,
    op: Operation,
}

impl Signer for RsaSigner {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.op.update(data)
    }

    fn finish(&mut self) -> Result<Vec<u8>> {
        let message = self.op.message()?;
        let signature = match &self.op.encoding {
            Encoding::Pkcs1(_) => self.key.sign_raw(&message, Padding::Pkcs1),
            Encoding::Pss { hash, mgf, salt } => {
                self.key.sign_pss(&message, hash.md, mgf.md, *salt)
            }
            Encoding::Raw if message >= self.op.n => return Err(Ckr::DATA_INVALID),
            Encoding::Raw => self.key.sign_raw(&message, Padding::None),
        };
        signature.ok_or(Ckr::GENERAL_ERROR)
    }
}

/// A running verification.
struct RsaVerifier {
    key: Arc<Rsa>,
    op: Operation,
}

impl Verifier for RsaVerifier {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.op.update(data)
    }

    fn finish(&mut self, signature: &[u8]) -> Result<()> {
        if signature.len() != self.op.k {
            return Err(Ckr::SIGNATURE_LEN_RANGE);
        }
        let message = self.op.message()?;
        let valid = match &self.op.encoding {
            Encoding::Pkcs1(_) => self.key.verify_raw(signature, Padding::Pkcs1) == Some(message),
            Encoding::Pss { hash, mgf, salt } => self
                .key
                .verify_pss(&message, hash.md, mgf.md, *salt, signature),
            Encoding::Raw => self.key.verify_raw(signature, Padding::None) == Some(message),
        };
        if valid {
            Ok(())
        } else {
            Err(Ckr::SIGNATURE_INVALID)
        }
    }
}

/// C_SignInit with a private key object.
pub(super) fn signer(mech: &RsaMech, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Signer>> {
    let (key, n) = private_key(key, Use::New)?;
    let op = Operation::new(mech, m, &key, n)?;
    Ok(Box::new(RsaSigner { key, op }))
}

/// C_VerifyInit with a public key object.
pub(super) fn verifier(
    mech: &RsaMech,
    m: &Mechanism,
    key: &Attributes,
) -> Result<Box<dyn Verifier>> {
    let (key, n) = public_key(key, Use::Legacy)?;
    let op = Operation::new(mech, m, &key, n)?;
    Ok(Box::new(RsaVerifier { key, op }))
}
