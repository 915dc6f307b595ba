//! What ML-KEM and ML-DSA keys have in common beyond their parameter sets
//! ([`super::param_set`]), written once for both: a seed (CKA_SEED) from
//! which the expanded private key (CKA_VALUE) is derived, raw FIPS
//! encodings, the import checks of the key family, and the PKCS#8
//! private-key CHOICE `{ seed [0] IMPLICIT OCTET STRING, expandedKey OCTET
//! STRING, both SEQUENCE { seed, expandedKey } }` of RFC 9881 and
//! draft-ietf-lamps-kyber-certificates. Each family describes its parameter
//! sets through [`Scheme`].

use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::param_set::{
    by_oid, by_param, complete, imported_set, key_value, set_of, NewKeys, ParameterSet,
};
use crate::mech::{asn1, rng, KeyFamily};
use cryptoki_sys::*;
use pkcs8::der::asn1::{ContextSpecific, OctetStringRef};
use pkcs8::der::{Decode, Encode, Header, Reader, SliceReader, Tag, TagNumber};
use std::marker::PhantomData;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// One parameter set of a seeded lattice scheme.
pub(in crate::mech) trait Scheme: ParameterSet + Copy {
    /// Length of CKA_SEED: d‖z for ML-KEM, ξ for ML-DSA.
    const SEED_LEN: usize;
    /// KeyGen_internal from a seed of `SEED_LEN` bytes: (public key,
    /// expanded private key).
    fn keygen(&self, seed: &[u8]) -> (Vec<u8>, Value);
    /// The standard's check of a public key of the right length.
    fn public_ok(&self, public: &[u8]) -> bool;
    /// The public key of an expanded private key of the right length, after
    /// the standard's input checks on it; `None` if it fails them.
    fn public_of_private(&self, private: &[u8]) -> Option<Vec<u8>>;
}

/// A new key pair of a seeded scheme: the seed comes from the RNG and is
/// kept beside the expanded key.
pub(in crate::mech) fn new_keys<S: Scheme>(set: &S) -> Result<NewKeys> {
    let mut seed = Zeroizing::new(vec![0u8; S::SEED_LEN]);
    rng::fill(&mut seed)?;
    let (public, private) = set.keygen(&seed);
    Ok(NewKeys {
        public,
        private,
        seed: Some(seed),
    })
}

/// The public key object of a verification or encapsulation.
pub(in crate::mech) fn public_key<S: Scheme>(key: &Attributes) -> Result<(S, &[u8])> {
    let (set, value) = key_value::<S>(key, CKO_PUBLIC_KEY)?;
    Ok((*set, value))
}

/// A private key object in use: its parameter set, expanded key and seed.
pub(in crate::mech) struct PrivateKey<'a, S> {
    /// Its parameter set.
    pub set: S,
    /// The expanded key.
    pub value: &'a [u8],
    /// CKA_SEED when it is of the scheme's seed length.
    pub seed: Option<&'a [u8]>,
}

/// The private key object of a signature or decapsulation.
pub(in crate::mech) fn private_key<S: Scheme>(key: &Attributes) -> Result<PrivateKey<'_, S>> {
    let (set, value) = key_value::<S>(key, CKO_PRIVATE_KEY)?;
    let seed = key.get(CKA_SEED).filter(|s| s.len() == S::SEED_LEN);
    Ok(PrivateKey {
        set: *set,
        value,
        seed,
    })
}

/// The key family (import checks, CKM_PUB_KEY_FROM_PRIV_KEY, PKCS#8) of a
/// seeded scheme.
pub(in crate::mech) struct Family<S>(PhantomData<S>);

impl<S> Family<S> {
    /// The family of the scheme `S`.
    pub(in crate::mech) fn new() -> Self {
        Family(PhantomData)
    }
}

impl<S: Scheme> KeyFamily for Family<S> {
    fn key_type(&self) -> CK_KEY_TYPE {
        S::KEY_TYPE
    }

    /// Seed only: derive the value. Value only: the standard's input checks
    /// and a pairwise test. Both: derive and compare. Without
    /// CKA_PARAMETER_SET the value's length names the set (a seed-only key
    /// must give it).
    fn complete_private(&self, key: &mut Attributes) -> Result<()> {
        let seed = key.get(CKA_SEED);
        let value = key.get(CKA_VALUE);
        let set: &S = match (value, key.ulong(CKA_PARAMETER_SET)?) {
            (_, Some(p)) => by_param(p)?,
            (Some(v), None) => {
                set_of(key, v, S::private_len)?.ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)?
            }
            (None, None) => return Err(Ckr::TEMPLATE_INCOMPLETE),
        };
        if value.is_some_and(|v| v.len() != set.private_len())
            || seed.is_some_and(|s| s.len() != S::SEED_LEN)
        {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        let (public, derived) = match (seed, value) {
            (None, None) => return Err(Ckr::TEMPLATE_INCOMPLETE),
            (Some(seed), given) => {
                let (pk, sk) = set.keygen(seed);
                match given {
                    Some(v) if !bool::from(v.ct_eq(&sk)) => {
                        return Err(Ckr::ATTRIBUTE_VALUE_INVALID)
                    }
                    Some(_) => (pk, None),
                    None => (pk, Some(sk)),
                }
            }
            (None, Some(v)) => {
                let pk = set
                    .public_of_private(v)
                    .ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)?;
                if !set.pairwise_ok(&pk, v)? {
                    return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
                }
                (pk, None)
            }
        };
        if let Some(mut sk) = derived {
            key.set(CKA_VALUE, std::mem::take(&mut *sk));
        }
        complete(key, set, &public)
    }

    /// The value's length must be the parameter set's (which it names if
    /// CKA_PARAMETER_SET is absent) and pass the standard's check.
    fn complete_public(&self, key: &mut Attributes) -> Result<()> {
        let set = imported_set::<S>(key, S::public_len)?;
        let public = key.get(CKA_VALUE).ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
        if !set.public_ok(public) {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        let public = public.to_vec();
        complete(key, set, &public)
    }

    fn public_from_private(&self, private: &Attributes) -> Result<Attributes> {
        let key = private_key::<S>(private)?;
        let public = match key.seed {
            Some(seed) => key.set.keygen(seed).0,
            // A stored key passed these checks when it was imported.
            None => key
                .set
                .public_of_private(key.value)
                .ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)?,
        };
        let mut out = Attributes::new();
        complete(&mut out, &key.set, &public)?;
        out.set(CKA_VALUE, public);
        Ok(out)
    }

    /// `both` when the seed is known, else `expandedKey`.
    fn export_private(&self, private: &Attributes) -> Result<Value> {
        let key = private_key::<S>(private)?;
        let choice = encode_choice(key.seed, key.value).map_err(|_| Ckr::GENERAL_ERROR)?;
        asn1::pkcs8(&key.set.oid(), &choice)
    }

    /// Any of the three forms, with the lengths of the OID's parameter set;
    /// whether seed and value agree is for `complete_private` to check.
    fn import_private(&self, encoded: &[u8]) -> Result<Attributes> {
        let (oid, inner) = asn1::parse_pkcs8(encoded)?;
        let set: &S = by_oid(&oid).ok_or(Ckr::WRAPPED_KEY_INVALID)?;
        let (seed, value) = decode_choice(&inner).map_err(|_| Ckr::WRAPPED_KEY_INVALID)?;
        if seed.is_some_and(|s| s.len() != S::SEED_LEN)
            || value.is_some_and(|v| v.len() != set.private_len())
        {
            return Err(Ckr::WRAPPED_KEY_INVALID);
        }
        let mut out = Attributes::new();
        out.set_ulong(CKA_PARAMETER_SET, set.param());
        if let Some(seed) = seed {
            out.set(CKA_SEED, seed.to_vec());
        }
        if let Some(value) = value {
            out.set(CKA_VALUE, value.to_vec());
        }
        Ok(out)
    }
}

/// The private-key CHOICE in DER. The buffer is sized up front, so it never
/// reallocates and leaves no unwiped copy behind.
fn encode_choice(seed: Option<&[u8]>, expanded: &[u8]) -> pkcs8::der::Result<Value> {
    let expanded = OctetStringRef::new(expanded)?;
    let mut out = Zeroizing::new(Vec::with_capacity(
        usize::try_from(expanded.encoded_len()?)? + seed.map_or(0, |s| s.len() + 8),
    ));
    if let Some(seed) = seed {
        let seed = OctetStringRef::new(seed)?;
        Header::new(
            Tag::Sequence,
            (seed.encoded_len()? + expanded.encoded_len()?)?,
        )?
        .encode_to_vec(&mut out)?;
        seed.encode_to_vec(&mut out)?;
    }
    expanded.encode_to_vec(&mut out)?;
    Ok(out)
}

/// (seed, expanded key) of a private-key CHOICE; the seed-only form is
/// `[0] IMPLICIT`, inside `both` it is a plain OCTET STRING.
type Choice<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// Parse a private-key CHOICE, all of it.
fn decode_choice(der: &[u8]) -> pkcs8::der::Result<Choice<'_>> {
    let mut reader = SliceReader::new(der)?;
    let choice = match reader.peek_tag()? {
        Tag::OctetString => (None, Some(OctetStringRef::decode(&mut reader)?.as_bytes())),
        Tag::Sequence => reader.sequence(|r| {
            let seed = OctetStringRef::decode(r)?.as_bytes();
            let expanded = OctetStringRef::decode(r)?.as_bytes();
            Ok((Some(seed), Some(expanded)))
        })?,
        tag => {
            let seed =
                ContextSpecific::<OctetStringRef<'_>>::decode_implicit(&mut reader, TagNumber::N0)?
                    .ok_or_else(|| tag.unexpected_error(None))?;
            (Some(seed.value.as_bytes()), None)
        }
    };
    reader.finish(choice)
}

#[cfg(test)]
pub(in crate::mech) mod testing;
#[cfg(test)]
mod tests;
