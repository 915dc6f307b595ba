//! ECDSA on P-256, P-384 and P-521: CKM_ECDSA signs a digest the caller
//! made (of any length; FIPS 186-5 takes its leftmost bits up to the order's
//! length), CKM_ECDSA_SHA1 … CKM_ECDSA_SHA512 hash the message here, part by
//! part. Signatures are r‖s, each as long as the order (PKCS#11 §2.3.1).

use super::curve::Curve;
use super::ffi;
use super::keys::{private_key, public_key};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::secret::no_param;
use crate::mech::{info, Mechanism, MechanismImpl, Registry, Signer, Verifier};
use cryptoki_sys::*;
use sha2::digest::DynDigest;

/// The capability flags of every prime-curve mechanism: curves over F_p,
/// named by OID, points uncompressed.
pub(super) const EC_FLAGS: CK_FLAGS = CKF_EC_F_P | CKF_EC_OID | CKF_EC_UNCOMPRESS;

/// aws-lc's identifier of a prime curve.
fn nid(curve: Curve) -> Result<i32> {
    match curve {
        Curve::P256 => Ok(aws_lc_sys::NID_X9_62_prime256v1),
        Curve::P384 => Ok(aws_lc_sys::NID_secp384r1),
        Curve::P521 => Ok(aws_lc_sys::NID_secp521r1),
        Curve::Ed25519 | Curve::X25519 => Err(Ckr::KEY_TYPE_INCONSISTENT),
    }
}

/// ECDSA signature r‖s of `digest` under the scalar `d`.
pub(in crate::mech) fn sign_digest(curve: Curve, d: &[u8], digest: &[u8]) -> Result<Vec<u8>> {
    ffi::ecdsa_sign(nid(curve)?, d, digest, curve.private_len())
}

/// Whether r‖s is a valid signature of `digest` under the point `q`; a
/// signature of the wrong length is CKR_SIGNATURE_LEN_RANGE.
pub(in crate::mech) fn verify_digest(
    curve: Curve,
    q: &[u8],
    digest: &[u8],
    sig: &[u8],
) -> Result<bool> {
    if sig.len() != 2 * curve.private_len() {
        return Err(Ckr::SIGNATURE_LEN_RANGE);
    }
    ffi::ecdsa_verify(nid(curve)?, q, digest, sig, curve.private_len())
}

/// A new running hash of a hashing mechanism.
type NewHash = fn() -> Box<dyn DynDigest + Send>;

fn new_hash<D: DynDigest + Default + Send + 'static>() -> Box<dyn DynDigest + Send> {
    Box::new(D::default())
}

/// What is signed: the caller's digest, gathered whole, or a hash of the
/// message kept running.
enum Input {
    Digest(Vec<u8>),
    Hash(Box<dyn DynDigest + Send>),
}

impl Input {
    fn update(&mut self, data: &[u8]) {
        match self {
            Input::Digest(d) => d.extend_from_slice(data),
            Input::Hash(h) => h.update(data),
        }
    }

    fn digest(&mut self) -> Vec<u8> {
        match self {
            Input::Digest(d) => std::mem::take(d),
            Input::Hash(h) => h.finalize_reset().to_vec(),
        }
    }
}

/// One ECDSA mechanism; `hash` is None for CKM_ECDSA.
struct EcdsaMech {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    hash: Option<NewHash>,
}

impl EcdsaMech {
    fn input(&self, m: &Mechanism) -> Result<Input> {
        no_param(m)?;
        Ok(match self.hash {
            Some(new) => Input::Hash(new()),
            None => Input::Digest(Vec::new()),
        })
    }
}

impl MechanismImpl for EcdsaMech {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        info(
            Curve::P256.bits(),
            Curve::P521.bits(),
            CKF_SIGN | CKF_VERIFY | EC_FLAGS,
        )
    }
    fn sign(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Signer>> {
        let input = self.input(m)?;
        let key = private_key(key, &[CKK_EC])?;
        Ok(Box::new(EcdsaSigner {
            curve: key.curve,
            d: key.value,
            input,
        }))
    }
    fn verify(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Verifier>> {
        let input = self.input(m)?;
        let (curve, q) = public_key(key, &[CKK_EC])?;
        Ok(Box::new(EcdsaVerifier { curve, q, input }))
    }
}

/// A running ECDSA signature.
struct EcdsaSigner {
    curve: Curve,
    d: Value,
    input: Input,
}

impl Signer for EcdsaSigner {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.input.update(data);
        Ok(())
    }
    fn finish(&mut self) -> Result<Vec<u8>> {
        sign_digest(self.curve, &self.d, &self.input.digest())
    }
}

/// A running ECDSA verification.
struct EcdsaVerifier {
    curve: Curve,
    q: Vec<u8>,
    input: Input,
}

impl Verifier for EcdsaVerifier {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.input.update(data);
        Ok(())
    }
    fn finish(&mut self, signature: &[u8]) -> Result<()> {
        match verify_digest(self.curve, &self.q, &self.input.digest(), signature)? {
            true => Ok(()),
            false => Err(Ckr::SIGNATURE_INVALID),
        }
    }
}

pub(super) fn register(r: &mut Registry) {
    let mechanisms: [(CK_MECHANISM_TYPE, &'static str, Option<NewHash>); 6] = [
        (CKM_ECDSA, "CKM_ECDSA", None),
        (
            CKM_ECDSA_SHA1,
            "CKM_ECDSA_SHA1",
            Some(new_hash::<sha1::Sha1>),
        ),
        (
            CKM_ECDSA_SHA224,
            "CKM_ECDSA_SHA224",
            Some(new_hash::<sha2::Sha224>),
        ),
        (
            CKM_ECDSA_SHA256,
            "CKM_ECDSA_SHA256",
            Some(new_hash::<sha2::Sha256>),
        ),
        (
            CKM_ECDSA_SHA384,
            "CKM_ECDSA_SHA384",
            Some(new_hash::<sha2::Sha384>),
        ),
        (
            CKM_ECDSA_SHA512,
            "CKM_ECDSA_SHA512",
            Some(new_hash::<sha2::Sha512>),
        ),
    ];
    for (ty, name, hash) in mechanisms {
        r.add(EcdsaMech { ty, name, hash });
    }
}
