//! What ML-KEM and ML-DSA keys have in common, written once for both: a
//! parameter set (CKA_PARAMETER_SET), a seed (CKA_SEED) from which the
//! expanded private key (CKA_VALUE) is derived, raw FIPS encodings,
//! SubjectPublicKeyInfo, key-pair generation with its pairwise test, the
//! import checks of the key family, and the PKCS#8 private-key CHOICE
//! `{ seed [0] IMPLICIT OCTET STRING, expandedKey OCTET STRING,
//! both SEQUENCE { seed, expandedKey } }` of RFC 9881 and
//! draft-ietf-lamps-kyber-certificates. Each family describes its parameter
//! sets through [`Scheme`].

use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::secret::{check_template_key_type, no_param};
use crate::mech::{asn1, health, info, rng, KeyFamily, KeyPair, Mechanism, MechanismImpl};
use cryptoki_sys::*;
use pkcs8::der::asn1::{ContextSpecific, OctetStringRef};
use pkcs8::der::{Decode, Encode, Header, Reader, SliceReader, Tag, TagNumber};
use pkcs8::ObjectIdentifier;
use std::marker::PhantomData;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// One parameter set of a seeded lattice scheme.
pub(in crate::mech) trait Scheme: Copy + Send + Sync + 'static {
    /// CKK_ML_KEM or CKK_ML_DSA.
    const KEY_TYPE: CK_KEY_TYPE;
    /// The family's name, for the health log.
    const NAME: &'static str;
    /// Length of CKA_SEED: d‖z for ML-KEM, ξ for ML-DSA.
    const SEED_LEN: usize;
    /// Every parameter set.
    const ALL: [Self; 3];
    /// Its CKP_ value.
    fn param(self) -> CK_ULONG;
    /// Its algorithm OID (SPKI and PKCS#8).
    fn oid(self) -> ObjectIdentifier;
    /// Length of the public key (CKA_VALUE of the public half).
    fn public_len(self) -> usize;
    /// Length of the expanded private key (CKA_VALUE of the private half).
    fn private_len(self) -> usize;
    /// KeyGen_internal from a seed of `SEED_LEN` bytes: (public key,
    /// expanded private key).
    fn keygen(self, seed: &[u8]) -> (Vec<u8>, Value);
    /// The standard's check of a public key of the right length.
    fn public_ok(self, public: &[u8]) -> bool;
    /// The public key of an expanded private key of the right length, after
    /// the standard's input checks on it; `None` if it fails them.
    fn public_of_private(self, private: &[u8]) -> Option<Vec<u8>>;
    /// Pairwise-consistency test: does the private key undo (ML-KEM) or make
    /// (ML-DSA) what the public key checks? An error only if the test's
    /// randomness cannot be drawn.
    fn pairwise_ok(self, public: &[u8], private: &[u8]) -> Result<bool>;
}

/// The parameter set of a CKP_ value, or CKR_PARAMETER_SET_NOT_SUPPORTED.
fn by_param<S: Scheme>(param: CK_ULONG) -> Result<S> {
    S::ALL
        .into_iter()
        .find(|s| s.param() == param)
        .ok_or(Ckr(CKR_PARAMETER_SET_NOT_SUPPORTED))
}

/// The parameter set of an algorithm OID.
fn by_oid<S: Scheme>(oid: &ObjectIdentifier) -> Option<S> {
    S::ALL.into_iter().find(|s| s.oid() == *oid)
}

/// A key object's parameter set: CKA_PARAMETER_SET if given, else the one
/// whose length (`len_of`) `value` has.
fn set_of<S: Scheme>(key: &Attributes, value: &[u8], len_of: fn(S) -> usize) -> Result<Option<S>> {
    match key.ulong(CKA_PARAMETER_SET)? {
        Some(p) => by_param(p).map(Some),
        None => Ok(S::ALL.into_iter().find(|s| len_of(*s) == value.len())),
    }
}

/// A key object used by a mechanism: of `class` and this family, with a
/// CKA_VALUE of its parameter set's length.
fn key_value<S: Scheme>(
    key: &Attributes,
    class: CK_OBJECT_CLASS,
    len_of: fn(S) -> usize,
) -> Result<(S, &[u8])> {
    let class_ok = key.ulong(CKA_CLASS).ok().flatten() == Some(class);
    let type_ok = key.ulong(CKA_KEY_TYPE).ok().flatten() == Some(S::KEY_TYPE);
    if !class_ok || !type_ok {
        return Err(Ckr::KEY_TYPE_INCONSISTENT);
    }
    // A stored key always has its value (import and generation set it).
    let value = key.get(CKA_VALUE).ok_or(Ckr::GENERAL_ERROR)?;
    match set_of(key, value, len_of)? {
        Some(set) if len_of(set) == value.len() => Ok((set, value)),
        _ => Err(Ckr::KEY_SIZE_RANGE),
    }
}

/// The public key object of a verification or encapsulation.
pub(in crate::mech) fn public_key<S: Scheme>(key: &Attributes) -> Result<(S, &[u8])> {
    key_value(key, CKO_PUBLIC_KEY, S::public_len)
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
    let (set, value) = key_value(key, CKO_PRIVATE_KEY, S::private_len)?;
    let seed = key.get(CKA_SEED).filter(|s| s.len() == S::SEED_LEN);
    Ok(PrivateKey { set, value, seed })
}

/// The CKA_PARAMETER_SET a key-pair generation asks for: the public
/// template's (PKCS#11 3.2 puts it there), which the private template may
/// repeat; both templates may name the key type, which must be `key_type`.
pub(in crate::mech) fn pair_parameter_set(
    m: &Mechanism,
    public: &Attributes,
    private: &Attributes,
    key_type: CK_KEY_TYPE,
) -> Result<CK_ULONG> {
    no_param(m)?;
    check_template_key_type(public, key_type)?;
    check_template_key_type(private, key_type)?;
    let param = public
        .ulong(CKA_PARAMETER_SET)?
        .ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
    if private
        .ulong(CKA_PARAMETER_SET)?
        .is_some_and(|p| p != param)
    {
        return Err(Ckr::TEMPLATE_INCONSISTENT);
    }
    Ok(param)
}

/// A new key pair as its mechanism supplies it: CKA_KEY_TYPE,
/// CKA_PARAMETER_SET and CKA_PUBLIC_KEY_INFO (the SPKI under `oid`) on both
/// halves, the raw keys as CKA_VALUE. `pairwise_ok` is the result of the
/// pairwise-consistency test: a pair that failed it is not handed out, and
/// the module enters its error state.
pub(in crate::mech) fn new_pair(
    key_type: CK_KEY_TYPE,
    param: CK_ULONG,
    (name, oid): (&str, &ObjectIdentifier),
    public_key: Vec<u8>,
    mut private_key: Value,
    pairwise_ok: bool,
) -> Result<KeyPair> {
    if !pairwise_ok {
        health::fail(&format!("{name} pairwise consistency test"));
        return Err(Ckr::GENERAL_ERROR);
    }
    let info = asn1::spki(oid, &public_key)?;
    let mut pair = KeyPair::default();
    for half in [&mut pair.public, &mut pair.private] {
        half.set_ulong(CKA_KEY_TYPE, key_type);
        half.set_ulong(CKA_PARAMETER_SET, param);
        half.set(CKA_PUBLIC_KEY_INFO, info.clone());
    }
    pair.public.set(CKA_VALUE, public_key);
    // Moved, not copied: the attribute set's zeroizing storage owns it.
    pair.private
        .set(CKA_VALUE, std::mem::take(&mut *private_key));
    Ok(pair)
}

/// C_GenerateKeyPair of a seeded scheme: the seed comes from the RNG and is
/// kept as CKA_SEED beside the expanded key.
pub(in crate::mech) fn generate_pair<S: Scheme>(
    m: &Mechanism,
    public: &Attributes,
    private: &Attributes,
) -> Result<KeyPair> {
    let param = pair_parameter_set(m, public, private, S::KEY_TYPE)?;
    let set: S = by_param(param)?;
    let mut seed = Zeroizing::new(vec![0u8; S::SEED_LEN]);
    rng::fill(&mut seed)?;
    let (pk, sk) = set.keygen(&seed);
    let ok = set.pairwise_ok(&pk, &sk)?;
    let mut pair = new_pair(S::KEY_TYPE, param, (S::NAME, &set.oid()), pk, sk, ok)?;
    pair.private.set(CKA_SEED, std::mem::take(&mut *seed));
    Ok(pair)
}

/// Set CKA_PUBLIC_KEY_INFO; a non-empty one given by the caller must be the
/// same DER.
fn set_public_key_info<S: Scheme>(key: &mut Attributes, set: S, public: &[u8]) -> Result<()> {
    let info = asn1::spki(&set.oid(), public)?;
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

/// The parameter-set bounds of CK_MECHANISM_INFO: public key bytes, as
/// PKCS#11 3.2 defines them for the post-quantum mechanisms.
pub(in crate::mech) fn mechanism_info<S: Scheme>(flags: CK_FLAGS) -> CK_MECHANISM_INFO {
    let lens = S::ALL.map(|s| s.public_len() as CK_ULONG);
    let (min, max) = (lens.iter().min(), lens.iter().max());
    info(min.copied().unwrap_or(0), max.copied().unwrap_or(0), flags)
}

/// The key-pair generation mechanism of a seeded scheme
/// (CKM_ML_KEM_KEY_PAIR_GEN, CKM_ML_DSA_KEY_PAIR_GEN).
pub(in crate::mech) struct KeyPairGen<S> {
    pub ty: CK_MECHANISM_TYPE,
    pub name: &'static str,
    pub scheme: PhantomData<S>,
}

impl<S: Scheme> MechanismImpl for KeyPairGen<S> {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        mechanism_info::<S>(CKF_GENERATE_KEY_PAIR)
    }
    fn generate_key_pair(
        &self,
        m: &Mechanism,
        public: &Attributes,
        private: &Attributes,
    ) -> Result<KeyPair> {
        generate_pair::<S>(m, public, private)
    }
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
        let set: S = match (value, key.ulong(CKA_PARAMETER_SET)?) {
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
        key.set_ulong(CKA_PARAMETER_SET, set.param());
        set_public_key_info(key, set, &public)
    }

    /// The value's length must be the parameter set's (which it names if
    /// CKA_PARAMETER_SET is absent) and pass the standard's check.
    fn complete_public(&self, key: &mut Attributes) -> Result<()> {
        let value = key.get(CKA_VALUE).ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
        let set: S = set_of(key, value, S::public_len)?.ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)?;
        if value.len() != set.public_len() || !set.public_ok(value) {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        let public = value.to_vec();
        key.set_ulong(CKA_PARAMETER_SET, set.param());
        set_public_key_info(key, set, &public)
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
        out.set_ulong(CKA_PARAMETER_SET, key.set.param());
        out.set(CKA_PUBLIC_KEY_INFO, asn1::spki(&key.set.oid(), &public)?);
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
        let set: S = by_oid(&oid).ok_or(Ckr::WRAPPED_KEY_INVALID)?;
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
