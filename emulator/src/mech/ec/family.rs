//! The key families CKK_EC, CKK_EC_EDWARDS and CKK_EC_MONTGOMERY: checks
//! and completion of imported keys, CKM_PUB_KEY_FROM_PRIV_KEY, and PKCS#8
//! (RFC 5915 ECPrivateKey with the curve OID for the prime curves, by
//! aws-lc; RFC 8410 CurvePrivateKey for Ed25519 and X25519).

use super::curve::{Curve, ID_EC_PUBLIC_KEY};
use super::keys::{self, agreement_alg, fixed_len, private_key};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::{asn1, KeyFamily, Registry};
use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsBigEndian, AsDer, EcPrivateKeyBin, Pkcs8V1Der};
use cryptoki_sys::*;
use pkcs8::der::asn1::OctetStringRef;
use pkcs8::der::{Decode, Encode};
use pkcs8::PrivateKeyInfo;
use zeroize::Zeroizing;

/// One EC key type.
struct Family {
    key_type: CK_KEY_TYPE,
}

impl Family {
    /// The curve of a key object's CKA_EC_PARAMS, which must belong to this
    /// key type.
    fn curve(&self, key: &Attributes) -> Result<Curve> {
        let params = key.get(CKA_EC_PARAMS).ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
        let curve = Curve::from_params(params)?;
        if curve.key_type() != self.key_type {
            return Err(Ckr(CKR_CURVE_NOT_SUPPORTED));
        }
        Ok(curve)
    }
}

/// Set CKA_PUBLIC_KEY_INFO; a non-empty one the caller gave must be the same
/// DER.
fn set_public_key_info(key: &mut Attributes, curve: Curve, public: &[u8]) -> Result<()> {
    let info = curve.spki(public)?;
    match key.get(CKA_PUBLIC_KEY_INFO) {
        Some(given) if !given.is_empty() && given != info.as_slice() => {
            Err(Ckr::TEMPLATE_INCONSISTENT)
        }
        _ => {
            key.set(CKA_PUBLIC_KEY_INFO, info);
            Ok(())
        }
    }
}

impl KeyFamily for Family {
    fn key_type(&self) -> CK_KEY_TYPE {
        self.key_type
    }

    /// The value takes the curve's length (a short big-endian scalar gets
    /// its leading zeros back); a prime-curve scalar must lie in [1, n−1].
    fn complete_private(&self, key: &mut Attributes) -> Result<()> {
        let curve = self.curve(key)?;
        let value = key.get(CKA_VALUE).ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
        let mut value = fixed_len(curve, value).ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)?;
        let public = keys::public_of(curve, &value)?;
        key.set(CKA_VALUE, std::mem::take(&mut *value));
        set_public_key_info(key, curve, &public)
    }

    /// The point may come raw or in its DER OCTET STRING; it is stored in
    /// DER. A prime-curve point must be uncompressed and on the curve.
    fn complete_public(&self, key: &mut Attributes) -> Result<()> {
        let curve = self.curve(key)?;
        let encoded = key.get(CKA_EC_POINT).ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
        let public = curve
            .raw_point(encoded)
            .filter(|p| keys::public_ok(curve, p))
            .ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)?;
        key.set(CKA_EC_POINT, curve.point_der(&public)?);
        set_public_key_info(key, curve, &public)
    }

    fn public_from_private(&self, private: &Attributes) -> Result<Attributes> {
        let key = private_key(private, &[self.key_type])?;
        let public = keys::public_of(key.curve, &key.value)?;
        let mut out = Attributes::new();
        // The private key's own CKA_EC_PARAMS, in whichever form it has.
        out.set(
            CKA_EC_PARAMS,
            private.get(CKA_EC_PARAMS).ok_or(Ckr::GENERAL_ERROR)?,
        );
        out.set(CKA_EC_POINT, key.curve.point_der(&public)?);
        out.set(CKA_PUBLIC_KEY_INFO, key.curve.spki(&public)?);
        Ok(out)
    }

    fn export_private(&self, private: &Attributes) -> Result<Value> {
        let key = private_key(private, &[self.key_type])?;
        if key.curve.is_prime() {
            let pkey =
                agreement::PrivateKey::from_private_key(agreement_alg(key.curve), &key.value)
                    .map_err(|_| Ckr::GENERAL_ERROR)?;
            let der: Pkcs8V1Der<'static> = pkey.as_der().map_err(|_| Ckr::GENERAL_ERROR)?;
            return Ok(Zeroizing::new(der.as_ref().to_vec()));
        }
        let mut inner = Zeroizing::new(Vec::with_capacity(2 + key.value.len()));
        OctetStringRef::new(&key.value)
            .and_then(|o| o.encode_to_vec(&mut inner))
            .map_err(|_| Ckr::GENERAL_ERROR)?;
        asn1::pkcs8(&key.curve.oid(), &inner)
    }

    /// CKA_EC_PARAMS (the OID form) and CKA_VALUE; whether the value is a
    /// valid key is for `complete_private` to check.
    fn import_private(&self, encoded: &[u8]) -> Result<Attributes> {
        fn bad<E>(_: E) -> Ckr {
            Ckr::WRAPPED_KEY_INVALID
        }
        let (curve, value) = if self.key_type == CKK_EC {
            let info = PrivateKeyInfo::from_der(encoded).map_err(bad)?;
            let oid = info.algorithm.parameters_oid().map_err(bad)?;
            let curve = Curve::ALL
                .into_iter()
                .find(|c| c.is_prime() && c.oid() == oid && info.algorithm.oid == ID_EC_PUBLIC_KEY)
                .ok_or(Ckr::WRAPPED_KEY_INVALID)?;
            let pkey = agreement::PrivateKey::from_private_key_der(agreement_alg(curve), encoded)
                .map_err(bad)?;
            let scalar: EcPrivateKeyBin<'static> = pkey.as_be_bytes().map_err(bad)?;
            (curve, Zeroizing::new(scalar.as_ref().to_vec()))
        } else {
            let (oid, inner) = asn1::parse_pkcs8(encoded)?;
            let curve = Curve::ALL
                .into_iter()
                .find(|c| c.key_type() == self.key_type && c.oid() == oid)
                .ok_or(Ckr::WRAPPED_KEY_INVALID)?;
            let value = OctetStringRef::from_der(&inner).map_err(bad)?;
            if value.as_bytes().len() != curve.private_len() {
                return Err(Ckr::WRAPPED_KEY_INVALID);
            }
            (curve, Zeroizing::new(value.as_bytes().to_vec()))
        };
        let mut value = value;
        let mut out = Attributes::new();
        out.set(CKA_EC_PARAMS, curve.params_der()?);
        // Moved, not copied: the attribute set's zeroizing storage owns it.
        out.set(CKA_VALUE, std::mem::take(&mut *value));
        Ok(out)
    }
}

pub(super) fn register(r: &mut Registry) {
    for key_type in [CKK_EC, CKK_EC_EDWARDS, CKK_EC_MONTGOMERY] {
        r.add_family(Family { key_type });
    }
}
