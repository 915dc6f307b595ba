//! CKM_HKDF_DERIVE (a secret key) and CKM_HKDF_DATA (a data object): HKDF
//! (RFC 5869) with extract, expand or both, over a generic secret or CKK_HKDF
//! base key. The salt is absent (CKF_HKDF_SALT_NULL, which RFC 5869 defines
//! as HashLen zero bytes) or given (CKF_HKDF_SALT_DATA). A salt taken from a
//! key object (CKF_HKDF_SALT_KEY) needs the token's object store, which a
//! mechanism does not reach, and is refused with CKR_MECHANISM_PARAM_INVALID.

use super::output_len;
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::secret::secret_key;
use crate::mech::{info, MechParam, Mechanism, MechanismImpl, Registry};
use cryptoki_sys::*;
use hkdf::SimpleHkdf;
use sha2::digest::core_api::BlockSizeUser;
use sha2::digest::Digest;
use zeroize::{Zeroize, Zeroizing};

/// Base key lengths in bytes: those of generic secret keys.
const KEY_SIZES: std::ops::RangeInclusive<usize> = 1..=512;

/// HKDF with one hash: extract (with the salt) and/or expand (with info) to
/// `len` bytes. An expand-only PRK shorter than the hash is
/// CKR_KEY_SIZE_RANGE, more than 255 hash lengths CKR_TEMPLATE_INCONSISTENT.
type Run = fn(Steps<'_>, &[u8], usize) -> Result<Value>;

/// What one HKDF call does.
#[derive(Clone, Copy)]
struct Steps<'a> {
    /// Extract with this salt (None: no salt).
    extract: Option<Option<&'a [u8]>>,
    /// Expand with this info.
    expand: Option<&'a [u8]>,
}

fn run<D: Digest + BlockSizeUser + Clone>(
    steps: Steps<'_>,
    ikm: &[u8],
    len: usize,
) -> Result<Value> {
    let (prk, hk) = match steps.extract {
        Some(salt) => {
            let (mut prk, hk) = SimpleHkdf::<D>::extract(salt, ikm);
            let copy = Zeroizing::new(prk.to_vec());
            prk.as_mut_slice().zeroize();
            (copy, hk)
        }
        None => (
            Zeroizing::new(ikm.to_vec()),
            SimpleHkdf::<D>::from_prk(ikm).map_err(|_| Ckr::KEY_SIZE_RANGE)?,
        ),
    };
    let Some(info) = steps.expand else {
        return Ok(prk);
    };
    let mut okm = Zeroizing::new(vec![0u8; len]);
    hk.expand(info, &mut okm)
        .map_err(|_| Ckr::TEMPLATE_INCONSISTENT)?;
    Ok(okm)
}

/// The hash of prfHashMechanism: its length and HKDF.
fn hash(prf: CK_MECHANISM_TYPE) -> Option<(usize, Run)> {
    Some(match prf {
        CKM_SHA_1 => (20, run::<sha1::Sha1>),
        CKM_SHA224 => (28, run::<sha2::Sha224>),
        CKM_SHA256 => (32, run::<sha2::Sha256>),
        CKM_SHA384 => (48, run::<sha2::Sha384>),
        CKM_SHA512 => (64, run::<sha2::Sha512>),
        CKM_SHA3_224 => (28, run::<sha3::Sha3_224>),
        CKM_SHA3_256 => (32, run::<sha3::Sha3_256>),
        CKM_SHA3_384 => (48, run::<sha3::Sha3_384>),
        CKM_SHA3_512 => (64, run::<sha3::Sha3_512>),
        _ => return None,
    })
}

/// CKM_HKDF_DERIVE or CKM_HKDF_DATA.
struct HkdfMech {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    /// The class of what is derived.
    class: CK_OBJECT_CLASS,
}

impl MechanismImpl for HkdfMech {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        info(
            *KEY_SIZES.start() as CK_ULONG,
            *KEY_SIZES.end() as CK_ULONG,
            CKF_DERIVE,
        )
    }

    /// The new object's CKA_VALUE: CKA_VALUE_LEN bytes, by default one hash
    /// length (which extract-only must produce).
    fn derive(
        &self,
        m: &Mechanism,
        base: &Attributes,
        template: &Attributes,
    ) -> Result<Attributes> {
        let MechParam::Hkdf {
            extract,
            expand,
            prf,
            salt_type,
            salt,
            info,
            ..
        } = &m.param
        else {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        };
        let (hash_len, run) = hash(*prf).ok_or(Ckr::MECHANISM_PARAM_INVALID)?;
        let extract = match (*extract, *salt_type) {
            (false, _) => None,
            (true, CKF_HKDF_SALT_NULL) if salt.is_empty() => Some(None),
            (true, CKF_HKDF_SALT_DATA) if !salt.is_empty() => Some(Some(&salt[..])),
            _ => return Err(Ckr::MECHANISM_PARAM_INVALID),
        };
        let steps = Steps {
            extract,
            expand: expand.then_some(&info[..]),
        };
        if steps.extract.is_none() && steps.expand.is_none() {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
        if template.ulong(CKA_CLASS)?.is_some_and(|c| c != self.class) {
            return Err(Ckr::TEMPLATE_INCONSISTENT);
        }
        let ikm = secret_key(base, &[CKK_GENERIC_SECRET, CKK_HKDF], KEY_SIZES)?;
        let len = output_len(template, Some(hash_len))?;
        if steps.expand.is_none() && len != hash_len {
            return Err(Ckr::TEMPLATE_INCONSISTENT);
        }
        let mut value = run(steps, ikm, len)?;
        let mut out = Attributes::new();
        out.set_ulong(CKA_CLASS, self.class);
        // Moved, not copied: the attribute set's zeroizing storage owns it.
        out.set(CKA_VALUE, std::mem::take(&mut *value));
        Ok(out)
    }
}

pub(super) fn register(r: &mut Registry) {
    r.add(HkdfMech {
        ty: CKM_HKDF_DERIVE,
        name: "CKM_HKDF_DERIVE",
        class: CKO_SECRET_KEY,
    });
    r.add(HkdfMech {
        ty: CKM_HKDF_DATA,
        name: "CKM_HKDF_DATA",
        class: CKO_DATA,
    });
}
