//! CKK_FALCON key objects: reading their parameter set (CKA_PARAMETER_SET or
//! Luna's CKA_KEY_PARAMS), checking keys that arrive from outside, and the
//! PKCS#8 form for wrapping.
//!
//! PKCS#8 follows oqs-provider, the only encoder in use for round-3 Falcon
//! (provisional, like its OIDs): privateKey holds a DER OCTET STRING of
//! sk ‖ pk. Import also takes an OCTET STRING of sk alone (oqs-provider
//! built with NOPUBKEY_IN_PRIVKEY).

use super::scheme::{random, Set, Signing, NONCE_LEN, SEED_LEN, SETS};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::{asn1, KeyFamily};
use crate::vendor::{CKA_KEY_PARAMS, CKK_FALCON};
use cryptoki_sys::*;
use pkcs8::der::asn1::OctetStringRef;
use pkcs8::der::{Decode, Encode};

/// CKR_PARAMETER_SET_NOT_SUPPORTED (PKCS#11 3.2).
pub(super) const PARAMETER_SET_NOT_SUPPORTED: Ckr = Ckr(CKR_PARAMETER_SET_NOT_SUPPORTED);

/// The parameter set named by CKA_PARAMETER_SET and/or CKA_KEY_PARAMS, if
/// any; the two must agree.
pub(super) fn named_set(attrs: &Attributes) -> Result<Option<&'static Set>> {
    let ckp = match (
        attrs.ulong(CKA_PARAMETER_SET)?,
        attrs.ulong(CKA_KEY_PARAMS)?,
    ) {
        (Some(a), Some(b)) if a != b => return Err(Ckr::TEMPLATE_INCONSISTENT),
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => return Ok(None),
    };
    Set::by_ckp(ckp)
        .map(Some)
        .ok_or(PARAMETER_SET_NOT_SUPPORTED)
}

/// Both names of the parameter set, so PKCS#11 3.2 and Luna-style clients
/// each find the one they read.
pub(super) fn set_parameter_set(attrs: &mut Attributes, set: &Set) {
    attrs.set_ulong(CKA_PARAMETER_SET, set.ckp);
    attrs.set_ulong(CKA_KEY_PARAMS, set.ckp);
}

/// A key object's parameter set and CKA_VALUE, for an operation that needs
/// a key of class `class`.
pub(super) fn of_key(key: &Attributes, class: CK_OBJECT_CLASS) -> Result<(&'static Set, &[u8])> {
    let class_ok = key.ulong(CKA_CLASS).ok().flatten() == Some(class);
    let type_ok = key.ulong(CKA_KEY_TYPE).ok().flatten() == Some(CKK_FALCON);
    if !class_ok || !type_ok {
        return Err(Ckr::KEY_TYPE_INCONSISTENT);
    }
    // Keys are completed when stored, so a missing set or value is a
    // corrupt object rather than a caller error.
    let set = named_set(key)?.ok_or(Ckr::GENERAL_ERROR)?;
    let value = key.get(CKA_VALUE).ok_or(Ckr::GENERAL_ERROR)?;
    let expected = if class == CKO_PRIVATE_KEY {
        set.sk_len
    } else {
        set.pk_len
    };
    if value.len() != expected {
        return Err(Ckr::KEY_SIZE_RANGE);
    }
    Ok((set, value))
}

/// The parameter set of an imported key: the one named, else the one whose
/// key length CKA_VALUE has (Falcon's lengths are all distinct).
fn imported_set(key: &Attributes, len_of: fn(&Set) -> usize) -> Result<(&'static Set, Value)> {
    let value = Value::new(key.get(CKA_VALUE).ok_or(Ckr::TEMPLATE_INCOMPLETE)?.to_vec());
    let set = match named_set(key)? {
        Some(set) => set,
        None => SETS
            .iter()
            .find(|s| len_of(s) == value.len())
            .ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)?,
    };
    if len_of(set) != value.len() {
        return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
    }
    Ok((set, value))
}

/// Sign and verify one message: the check that a private key belongs to its
/// public key (F and G included, which deriving pk does not touch).
/// Only a failure to draw the test's randomness is an error.
pub(super) fn pair_consistent(set: &Set, pk: &[u8], sk: &[u8]) -> Result<bool> {
    const MESSAGE: &[u8] = b"qrcpkcs11 Falcon pairwise consistency test";
    let mut signing = Signing::start(*random::<NONCE_LEN>()?);
    signing.update(MESSAGE);
    let seed = random::<SEED_LEN>()?;
    Ok(signing
        .finish(set, sk, pk, &seed)
        .and_then(|signature| set.verify(pk, MESSAGE, &signature))
        .is_ok())
}

/// Both parameter-set attributes and CKA_PUBLIC_KEY_INFO (or a check of the
/// one the caller gave).
fn complete(key: &mut Attributes, set: &Set, pk: &[u8]) -> Result<()> {
    set_parameter_set(key, set);
    let spki = asn1::spki(&set.oid, pk)?;
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

pub(super) struct FalconFamily;

impl KeyFamily for FalconFamily {
    fn key_type(&self) -> CK_KEY_TYPE {
        CKK_FALCON
    }

    /// The key must decode, give a public key, and sign so that the
    /// signature verifies under it (about 0.3 ms for Falcon-512).
    fn complete_private(&self, key: &mut Attributes) -> Result<()> {
        let (set, sk) = imported_set(key, |s| s.sk_len)?;
        let pk = set.public_key(&sk).ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)?;
        if !pair_consistent(set, &pk, &sk)? {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        complete(key, set, &pk)
    }

    fn complete_public(&self, key: &mut Attributes) -> Result<()> {
        let (set, pk) = imported_set(key, |s| s.pk_len)?;
        if !set.public_key_ok(&pk) {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        complete(key, set, &pk)
    }

    fn public_from_private(&self, private: &Attributes) -> Result<Attributes> {
        let (set, sk) = of_key(private, CKO_PRIVATE_KEY)?;
        let pk = set.public_key(sk).ok_or(Ckr::GENERAL_ERROR)?;
        let mut public = Attributes::new();
        complete(&mut public, set, &pk)?;
        public.set(CKA_VALUE, pk);
        Ok(public)
    }

    fn export_private(&self, private: &Attributes) -> Result<Value> {
        let (set, sk) = of_key(private, CKO_PRIVATE_KEY)?;
        let pk = set.public_key(sk).ok_or(Ckr::GENERAL_ERROR)?;
        let mut both = Value::new(Vec::with_capacity(sk.len() + pk.len()));
        both.extend_from_slice(sk);
        both.extend_from_slice(&pk);
        let inner = OctetStringRef::new(&both).map_err(|_| Ckr::GENERAL_ERROR)?;
        let mut der = Value::new(Vec::new());
        inner
            .encode_to_vec(&mut der)
            .map_err(|_| Ckr::GENERAL_ERROR)?;
        asn1::pkcs8(&set.oid, &der)
    }

    fn import_private(&self, encoded: &[u8]) -> Result<Attributes> {
        let (oid, der) = asn1::parse_pkcs8(encoded)?;
        let set = Set::by_oid(&oid).ok_or(Ckr::WRAPPED_KEY_INVALID)?;
        let inner = OctetStringRef::from_der(&der).map_err(|_| Ckr::WRAPPED_KEY_INVALID)?;
        let bytes = inner.as_bytes();
        let sk = match bytes.len() {
            n if n == set.sk_len => bytes,
            n if n == set.sk_len + set.pk_len => {
                let (sk, pk) = bytes.split_at(set.sk_len);
                if set.public_key(sk).as_deref() != Some(pk) {
                    return Err(Ckr::WRAPPED_KEY_INVALID);
                }
                sk
            }
            _ => return Err(Ckr::WRAPPED_KEY_INVALID),
        };
        let mut key = Attributes::new();
        set_parameter_set(&mut key, set);
        key.set(CKA_VALUE, sk.to_vec());
        Ok(key)
    }
}
