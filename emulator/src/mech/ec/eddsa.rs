//! CKM_EDDSA on Ed25519 (RFC 8032). No parameter, or CK_EDDSA_PARAMS with
//! phFlag false and no context, is pure Ed25519 (aws-lc-rs); phFlag false
//! with a context is Ed25519ctx, phFlag true Ed25519ph with an optional
//! context (aws-lc through [`ffi`], hashing the message here for
//! Ed25519ph so that it can come in parts).

use super::curve::Curve;
use super::ffi::{self, Ed25519Variant};
use super::keys::{private_key, public_key};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::{info, MechParam, Mechanism, MechanismImpl, Registry, Signer, Verifier};
use aws_lc_rs::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};
use cryptoki_sys::*;
use sha2::{Digest, Sha512};

/// Ed25519 signatures are 64 bytes.
const SIGNATURE_LEN: usize = 64;

/// Pure Ed25519 signature of `message` under the 32-byte `seed`.
pub(in crate::mech) fn sign_pure(seed: &[u8], message: &[u8]) -> Result<Vec<u8>> {
    let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| Ckr::KEY_SIZE_RANGE)?;
    let sig = pair.try_sign(message).map_err(|_| Ckr::GENERAL_ERROR)?;
    Ok(sig.as_ref().to_vec())
}

/// Whether `sig` is a valid pure Ed25519 signature of `message`.
pub(in crate::mech) fn verify_pure(public: &[u8], message: &[u8], sig: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, public)
        .verify(message, sig)
        .is_ok()
}

/// Which RFC 8032 variant, with its context.
#[derive(Clone)]
enum Variant {
    Pure,
    Other(Ed25519Variant, Vec<u8>),
}

/// The variant a CKM_EDDSA parameter asks for. aws-lc refuses Ed25519ctx
/// with an empty context (RFC 8032 says it SHOULD NOT be used), so phFlag
/// false without a context means pure Ed25519, as with no parameter.
fn variant(m: &Mechanism) -> Result<Variant> {
    match &m.param {
        MechParam::None => Ok(Variant::Pure),
        MechParam::EdDsa { context, .. } if context.len() > 255 => {
            Err(Ckr::MECHANISM_PARAM_INVALID)
        }
        MechParam::EdDsa {
            prehash: false,
            context,
        } if context.is_empty() => Ok(Variant::Pure),
        MechParam::EdDsa { prehash, context } => {
            let v = if *prehash {
                Ed25519Variant::Ph
            } else {
                Ed25519Variant::Ctx
            };
            Ok(Variant::Other(v, context.clone()))
        }
        _ => Err(Ckr::MECHANISM_PARAM_INVALID),
    }
}

/// What is signed: the whole message (pure, ctx) or its running SHA-512 (ph).
enum Input {
    Message(Vec<u8>),
    Hash(Sha512),
}

impl Input {
    fn new(variant: &Variant) -> Input {
        match variant {
            Variant::Other(Ed25519Variant::Ph, _) => Input::Hash(Sha512::new()),
            _ => Input::Message(Vec::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Input::Message(m) => m.extend_from_slice(data),
            Input::Hash(h) => h.update(data),
        }
    }

    fn take(&mut self) -> Vec<u8> {
        match self {
            Input::Message(m) => std::mem::take(m),
            Input::Hash(h) => h.finalize_reset().to_vec(),
        }
    }
}

/// CKM_EDDSA.
struct EdDsa;

impl MechanismImpl for EdDsa {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        CKM_EDDSA
    }
    fn name(&self) -> &'static str {
        "CKM_EDDSA"
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        let bits = Curve::Ed25519.bits();
        info(bits, bits, CKF_SIGN | CKF_VERIFY | CKF_EC_CURVENAME)
    }
    fn sign(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Signer>> {
        let variant = variant(m)?;
        let key = private_key(key, &[CKK_EC_EDWARDS])?;
        Ok(Box::new(EdSigner {
            seed: key.value,
            input: Input::new(&variant),
            variant,
        }))
    }
    fn verify(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Verifier>> {
        let variant = variant(m)?;
        let (_, public) = public_key(key, &[CKK_EC_EDWARDS])?;
        Ok(Box::new(EdVerifier {
            public,
            input: Input::new(&variant),
            variant,
        }))
    }
}

/// A running EdDSA signature.
struct EdSigner {
    seed: Value,
    variant: Variant,
    input: Input,
}

impl Signer for EdSigner {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.input.update(data);
        Ok(())
    }
    fn finish(&mut self) -> Result<Vec<u8>> {
        let input = self.input.take();
        match &self.variant {
            Variant::Pure => sign_pure(&self.seed, &input),
            Variant::Other(v, context) => {
                let seed: &[u8; 32] = self.seed[..].try_into().map_err(|_| Ckr::KEY_SIZE_RANGE)?;
                Ok(ffi::ed25519_sign(*v, seed, &input, context)?.to_vec())
            }
        }
    }
}

/// A running EdDSA verification.
struct EdVerifier {
    public: Vec<u8>,
    variant: Variant,
    input: Input,
}

impl Verifier for EdVerifier {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.input.update(data);
        Ok(())
    }
    fn finish(&mut self, signature: &[u8]) -> Result<()> {
        let sig: &[u8; SIGNATURE_LEN] =
            signature.try_into().map_err(|_| Ckr::SIGNATURE_LEN_RANGE)?;
        let input = self.input.take();
        let valid = match &self.variant {
            Variant::Pure => verify_pure(&self.public, &input, sig),
            Variant::Other(v, context) => {
                let public: &[u8; 32] =
                    self.public[..].try_into().map_err(|_| Ckr::GENERAL_ERROR)?;
                ffi::ed25519_verify(*v, public, &input, sig, context)
            }
        };
        if valid {
            Ok(())
        } else {
            Err(Ckr::SIGNATURE_INVALID)
        }
    }
}

pub(super) fn register(r: &mut Registry) {
    r.add(EdDsa);
}
