//! CKM_EC_KEY_PAIR_GEN (P-256, P-384, P-521), CKM_EC_EDWARDS_KEY_PAIR_GEN
//! (Ed25519) and CKM_EC_MONTGOMERY_KEY_PAIR_GEN (X25519). The curve comes
//! from CKA_EC_PARAMS in the public template, in either of its forms, and
//! both halves keep the caller's bytes; the 25519 generators default it to
//! the curve's OID. Every pair passes a pairwise-consistency test or the
//! module enters its error state.

use super::curve::Curve;
use super::{ecdh, ecdsa, eddsa, keys};
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use crate::mech::secret::{check_template_key_type, no_param};
use crate::mech::{health, info, KeyPair, Mechanism, MechanismImpl, Registry};
use cryptoki_sys::*;
use sha2::{Digest, Sha256};

/// What the pairwise tests sign.
const PCT_MESSAGE: &[u8] = b"qrcpkcs11 pairwise consistency test";

/// The X25519 base point u = 9 (RFC 7748 §4.1), little-endian.
const X25519_BASE: [u8; 32] = {
    let mut u = [0u8; 32];
    u[0] = 9;
    u
};

/// Pairwise-consistency test (FIPS 140-3 IG 10.3.A): a signature by the
/// private key verifies under the public one; for X25519, whose keys only
/// agree, X25519(k, 9) gives back the public key (SP 800-56A r3 §5.6.2.1.4).
pub(super) fn pairwise_ok(curve: Curve, private: &[u8], public: &[u8]) -> bool {
    match curve {
        Curve::P256 | Curve::P384 | Curve::P521 => {
            let digest = Sha256::digest(PCT_MESSAGE);
            ecdsa::sign_digest(curve, private, &digest)
                .and_then(|sig| ecdsa::verify_digest(curve, public, &digest, &sig))
                == Ok(true)
        }
        Curve::Ed25519 => eddsa::sign_pure(private, PCT_MESSAGE)
            .is_ok_and(|sig| eddsa::verify_pure(public, PCT_MESSAGE, &sig)),
        Curve::X25519 => {
            ecdh::agree(curve, private, &X25519_BASE).is_ok_and(|u| u.as_slice() == public)
        }
    }
}

/// One key-pair generator.
struct KeyPairGen {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    key_type: CK_KEY_TYPE,
    /// The curve when the template names none (the 25519 types have one).
    default: Option<Curve>,
    /// Smallest and largest curve, for CK_MECHANISM_INFO.
    sizes: (Curve, Curve),
    flags: CK_FLAGS,
}

impl MechanismImpl for KeyPairGen {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        info(self.sizes.0.bits(), self.sizes.1.bits(), self.flags)
    }

    fn generate_key_pair(
        &self,
        m: &Mechanism,
        public: &Attributes,
        private: &Attributes,
    ) -> Result<KeyPair> {
        no_param(m)?;
        check_template_key_type(public, self.key_type)?;
        check_template_key_type(private, self.key_type)?;
        let params = match (public.get(CKA_EC_PARAMS), self.default) {
            (Some(p), _) => p.to_vec(),
            (None, Some(curve)) => curve.params_der()?,
            (None, None) => return Err(Ckr::TEMPLATE_INCOMPLETE),
        };
        let curve = Curve::from_params(&params)?;
        if curve.key_type() != self.key_type {
            return Err(Ckr(CKR_CURVE_NOT_SUPPORTED));
        }
        if private
            .get(CKA_EC_PARAMS)
            .is_some_and(|p| p != params.as_slice())
        {
            return Err(Ckr::TEMPLATE_INCONSISTENT);
        }
        let (mut d, q) = keys::generate(curve)?;
        if !pairwise_ok(curve, &d, &q) {
            health::fail(&format!("{} pairwise consistency test", self.name));
            return Err(Ckr::GENERAL_ERROR);
        }
        let info = curve.spki(&q)?;
        let mut pair = KeyPair::default();
        for half in [&mut pair.public, &mut pair.private] {
            half.set_ulong(CKA_KEY_TYPE, self.key_type);
            half.set(CKA_EC_PARAMS, params.clone());
            half.set(CKA_PUBLIC_KEY_INFO, info.clone());
        }
        pair.public.set(CKA_EC_POINT, curve.point_der(&q)?);
        // Moved, not copied: the attribute set's zeroizing storage owns it.
        pair.private.set(CKA_VALUE, std::mem::take(&mut *d));
        Ok(pair)
    }
}

pub(super) fn register(r: &mut Registry) {
    r.add(KeyPairGen {
        ty: CKM_EC_KEY_PAIR_GEN,
        name: "CKM_EC_KEY_PAIR_GEN",
        key_type: CKK_EC,
        default: None,
        sizes: (Curve::P256, Curve::P521),
        flags: CKF_GENERATE_KEY_PAIR | ecdsa::EC_FLAGS,
    });
    r.add(KeyPairGen {
        ty: CKM_EC_EDWARDS_KEY_PAIR_GEN,
        name: "CKM_EC_EDWARDS_KEY_PAIR_GEN",
        key_type: CKK_EC_EDWARDS,
        default: Some(Curve::Ed25519),
        sizes: (Curve::Ed25519, Curve::Ed25519),
        flags: CKF_GENERATE_KEY_PAIR | CKF_EC_OID | CKF_EC_CURVENAME,
    });
    r.add(KeyPairGen {
        ty: CKM_EC_MONTGOMERY_KEY_PAIR_GEN,
        name: "CKM_EC_MONTGOMERY_KEY_PAIR_GEN",
        key_type: CKK_EC_MONTGOMERY,
        default: Some(Curve::X25519),
        sizes: (Curve::X25519, Curve::X25519),
        flags: CKF_GENERATE_KEY_PAIR | CKF_EC_OID | CKF_EC_CURVENAME,
    });
}
