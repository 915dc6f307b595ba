//! CKM_ECDH1_DERIVE (P-256, P-384, P-521 and X25519) and
//! CKM_ECDH1_COFACTOR_DERIVE (the prime curves, whose cofactor is 1, so the
//! two agree). The peer's public value is the raw key or a DER OCTET STRING
//! around it (PKCS#11 3.0 §2.3.10 asks for the first, allows the second);
//! prime-curve points must be uncompressed. A peer key that is malformed,
//! off the curve or of low order is CKR_MECHANISM_PARAM_INVALID, as in
//! kryoptic. CKD_NULL gives the raw secret, truncated by removing bytes from
//! its leading end as the standard says; CKD_SHA*_KDF the X9.63 KDF of it,
//! CKD_SHA*_KDF_SP800 the SP 800-56C one-step KDF.

use super::curve::Curve;
use super::ecdsa::EC_FLAGS;
use super::keys::{agreement_alg, private_key};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::kdf::{output_len, x963_kdf};
use crate::mech::{info, MechParam, Mechanism, MechanismImpl, Registry};
use aws_lc_rs::agreement::{self, UnparsedPublicKey};
use cryptoki_sys::*;
use zeroize::Zeroizing;

/// The shared secret of `private` and the raw public key `peer`: the
/// x-coordinate of the shared point, or the X25519 output (all-zero outputs,
/// from low-order points, are refused).
pub(in crate::mech) fn agree(curve: Curve, private: &[u8], peer: &[u8]) -> Result<Value> {
    let alg = agreement_alg(curve);
    let key =
        agreement::PrivateKey::from_private_key(alg, private).map_err(|_| Ckr::KEY_SIZE_RANGE)?;
    agreement::agree(
        &key,
        UnparsedPublicKey::new(alg, peer),
        Ckr::MECHANISM_PARAM_INVALID,
        |secret| Ok(Zeroizing::new(secret.to_vec())),
    )
}

/// One ECDH mechanism.
struct Ecdh {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    /// The key types it takes: the cofactor form has no meaning for X25519.
    key_types: &'static [CK_KEY_TYPE],
}

impl MechanismImpl for Ecdh {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        let min = if self.key_types.contains(&CKK_EC_MONTGOMERY) {
            Curve::X25519.bits()
        } else {
            Curve::P256.bits()
        };
        info(min, Curve::P521.bits(), CKF_DERIVE | EC_FLAGS)
    }

    /// The new key's CKA_VALUE: CKA_VALUE_LEN bytes, by default the whole
    /// secret (for an AES key, the longest AES key length that fits).
    fn derive(
        &self,
        m: &Mechanism,
        base: &Attributes,
        template: &Attributes,
    ) -> Result<Attributes> {
        let MechParam::Ecdh {
            kdf,
            shared_data,
            public_data,
        } = &m.param
        else {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        };
        let kdf = match *kdf {
            CKD_NULL if shared_data.is_empty() => None,
            CKD_NULL => return Err(Ckr::MECHANISM_PARAM_INVALID),
            other => Some(x963_kdf(other).ok_or(Ckr::MECHANISM_PARAM_INVALID)?),
        };
        let key = private_key(base, self.key_types)?;
        let peer = key
            .curve
            .raw_point(public_data)
            .ok_or(Ckr::MECHANISM_PARAM_INVALID)?;
        let secret = agree(key.curve, &key.value, &peer)?;
        let len = output_len(template, Some(secret.len()))?;
        let mut value = match kdf {
            Some(kdf) => kdf(&secret, shared_data, len),
            None if len <= secret.len() => Zeroizing::new(secret[secret.len() - len..].to_vec()),
            None => return Err(Ckr::TEMPLATE_INCONSISTENT),
        };
        let mut out = Attributes::new();
        // Moved, not copied: the attribute set's zeroizing storage owns it.
        out.set(CKA_VALUE, std::mem::take(&mut *value));
        Ok(out)
    }
}

pub(super) fn register(r: &mut Registry) {
    r.add(Ecdh {
        ty: CKM_ECDH1_DERIVE,
        name: "CKM_ECDH1_DERIVE",
        key_types: &[CKK_EC, CKK_EC_MONTGOMERY],
    });
    r.add(Ecdh {
        ty: CKM_ECDH1_COFACTOR_DERIVE,
        name: "CKM_ECDH1_COFACTOR_DERIVE",
        key_types: &[CKK_EC],
    });
}
