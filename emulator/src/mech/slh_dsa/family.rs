//! CKK_SLH_DSA keys arriving from outside (C_CreateObject, C_UnwrapKey) and
//! leaving as PKCS#8 (C_WrapKey), and CKM_PUB_KEY_FROM_PRIV_KEY.
//!
//! PKCS#8 follows RFC 9909: the algorithm is id-slh-dsa-* with no
//! parameters and the privateKey OCTET STRING holds the raw 4n-byte sk.

use super::params::{self, Set, PARAMETER_SET_NOT_SUPPORTED, SETS};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::{asn1, KeyFamily};
use cryptoki_sys::*;

pub(super) struct SlhFamily;

/// The parameter set of an imported key whose CKA_VALUE must be
/// `words` × n bytes (4 for private, 2 for public keys). Every length is
/// shared by four sets (SHA2/SHAKE × s/f), so CKA_PARAMETER_SET is required.
fn imported_set(key: &Attributes, words: usize) -> Result<&'static Set> {
    let len = key.get(CKA_VALUE).ok_or(Ckr::TEMPLATE_INCOMPLETE)?.len();
    let set = match key.ulong(CKA_PARAMETER_SET)? {
        Some(ckp) => Set::by_ckp(ckp).ok_or(PARAMETER_SET_NOT_SUPPORTED)?,
        None if SETS.iter().any(|s| words * s.n == len) => return Err(Ckr::TEMPLATE_INCOMPLETE),
        None => return Err(Ckr::ATTRIBUTE_VALUE_INVALID),
    };
    if words * set.n != len {
        return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
    }
    Ok(set)
}

/// Set CKA_PUBLIC_KEY_INFO, or check the one the caller gave.
fn set_public_key_info(key: &mut Attributes, set: &Set, pk: &[u8]) -> Result<()> {
    let spki = set.spki(pk)?;
    match key.get(CKA_PUBLIC_KEY_INFO) {
        Some(given) if !given.is_empty() && given != spki.as_slice() => {
            Err(Ckr::ATTRIBUTE_VALUE_INVALID)
        }
        _ => {
            key.set(CKA_PUBLIC_KEY_INFO, spki);
            Ok(())
        }
    }
}

impl KeyFamily for SlhFamily {
    fn key_type(&self) -> CK_KEY_TYPE {
        CKK_SLH_DSA
    }

    /// Any 4n bytes parse as a key, so check that PK.root is the root of the
    /// hypertree SK.seed and PK.seed define: a wrong root would make every
    /// signature invalid. Costs one key generation: under 10 ms for the
    /// "f" sets, 16–28 ms for SHA2 "s", 150–240 ms for SHAKE "s" (release).
    fn complete_private(&self, key: &mut Attributes) -> Result<()> {
        let set = imported_set(key, 4)?;
        let sk = Value::new(key.get(CKA_VALUE).unwrap_or_default().to_vec());
        if !set.private_key_consistent(&sk)? {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        set_public_key_info(key, set, &sk[2 * set.n..])
    }

    /// Any 2n bytes are a public key (PK.seed ‖ PK.root): only the length
    /// can be checked.
    fn complete_public(&self, key: &mut Attributes) -> Result<()> {
        let set = imported_set(key, 2)?;
        let pk = key.get(CKA_VALUE).unwrap_or_default().to_vec();
        set_public_key_info(key, set, &pk)
    }

    /// pk is the last 2n bytes of sk.
    fn public_from_private(&self, private: &Attributes) -> Result<Attributes> {
        let (set, sk) = params::of_key(private, CKO_PRIVATE_KEY)?;
        let pk = &sk[2 * set.n..];
        let mut public = Attributes::new();
        public.set_ulong(CKA_PARAMETER_SET, set.ckp);
        public.set(CKA_VALUE, pk.to_vec());
        public.set(CKA_PUBLIC_KEY_INFO, set.spki(pk)?);
        Ok(public)
    }

    fn export_private(&self, private: &Attributes) -> Result<Value> {
        let (set, sk) = params::of_key(private, CKO_PRIVATE_KEY)?;
        asn1::pkcs8(&set.oid, sk)
    }

    fn import_private(&self, encoded: &[u8]) -> Result<Attributes> {
        let (oid, mut sk) = asn1::parse_pkcs8(encoded)?;
        let set = Set::by_oid(&oid).ok_or(Ckr::WRAPPED_KEY_INVALID)?;
        if sk.len() != set.sk_len() {
            return Err(Ckr::WRAPPED_KEY_INVALID);
        }
        let mut key = Attributes::new();
        key.set_ulong(CKA_PARAMETER_SET, set.ckp);
        // Moved, not copied: the attribute set's zeroizing storage owns it.
        key.set(CKA_VALUE, std::mem::take(&mut *sk));
        Ok(key)
    }
}
