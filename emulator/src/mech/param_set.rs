//! What key types with a CKA_PARAMETER_SET share, written once for ML-KEM,
//! ML-DSA ([`super::seeded`]) and the composites ([`super::composite`]):
//! finding a set by CKP_ value, OID or key length, checking a key object a
//! mechanism is given, key-pair generation with its pairwise test and its
//! mechanism, and completing CKA_PARAMETER_SET and CKA_PUBLIC_KEY_INFO.

use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::secret::{check_template_key_type, no_param};
use crate::mech::{asn1, health, info, KeyPair, Mechanism, MechanismImpl};
use cryptoki_sys::*;
use pkcs8::ObjectIdentifier;
use std::marker::PhantomData;

/// One parameter set of a key type.
pub(in crate::mech) trait ParameterSet: Sized + Send + Sync + 'static {
    /// The CKK_ value of the key type.
    const KEY_TYPE: CK_KEY_TYPE;
    /// Every parameter set of the key type.
    fn all() -> &'static [Self];
    /// The name the health log gives a failed pairwise test.
    fn name(&self) -> &'static str;
    /// Its CKP_ value.
    fn param(&self) -> CK_ULONG;
    /// Its algorithm OID (SPKI and PKCS#8).
    fn oid(&self) -> ObjectIdentifier;
    /// Length of the public key (CKA_VALUE of the public half).
    fn public_len(&self) -> usize;
    /// Length of the private key (CKA_VALUE of the private half).
    fn private_len(&self) -> usize;
    /// The raw keys of a new pair.
    fn new_keys(&self) -> Result<NewKeys>;
    /// Pairwise-consistency test: does the private key undo (KEM) or make
    /// (signature) what the public key checks? An error only if the test's
    /// randomness cannot be drawn.
    fn pairwise_ok(&self, public: &[u8], private: &[u8]) -> Result<bool>;
}

/// The raw keys of a new pair; a seeded scheme's seed is kept as CKA_SEED.
pub(in crate::mech) struct NewKeys {
    pub public: Vec<u8>,
    pub private: Value,
    pub seed: Option<Value>,
}

/// The parameter set of a CKP_ value, or CKR_PARAMETER_SET_NOT_SUPPORTED.
pub(in crate::mech) fn by_param<S: ParameterSet>(param: CK_ULONG) -> Result<&'static S> {
    S::all()
        .iter()
        .find(|s| s.param() == param)
        .ok_or(Ckr(CKR_PARAMETER_SET_NOT_SUPPORTED))
}

/// The parameter set of an algorithm OID.
pub(in crate::mech) fn by_oid<S: ParameterSet>(oid: &ObjectIdentifier) -> Option<&'static S> {
    S::all().iter().find(|s| s.oid() == *oid)
}

/// A key object's parameter set: CKA_PARAMETER_SET if given, else the one
/// whose length (`len_of`) `value` has (they are all distinct).
pub(in crate::mech) fn set_of<S: ParameterSet>(
    key: &Attributes,
    value: &[u8],
    len_of: fn(&S) -> usize,
) -> Result<Option<&'static S>> {
    match key.ulong(CKA_PARAMETER_SET)? {
        Some(p) => by_param(p).map(Some),
        None => Ok(S::all().iter().find(|s| len_of(s) == value.len())),
    }
}

/// The parameter set of an imported key's CKA_VALUE (as [`set_of`]), which
/// must have its length.
pub(in crate::mech) fn imported_set<S: ParameterSet>(
    key: &Attributes,
    len_of: fn(&S) -> usize,
) -> Result<&'static S> {
    let value = key.get(CKA_VALUE).ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
    match set_of(key, value, len_of)? {
        Some(set) if len_of(set) == value.len() => Ok(set),
        _ => Err(Ckr::ATTRIBUTE_VALUE_INVALID),
    }
}

/// A key object used by a mechanism: of `class` and this key type, with a
/// CKA_VALUE of its parameter set's length.
pub(in crate::mech) fn key_value<S: ParameterSet>(
    key: &Attributes,
    class: CK_OBJECT_CLASS,
) -> Result<(&'static S, &[u8])> {
    let class_ok = key.ulong(CKA_CLASS).ok().flatten() == Some(class);
    let type_ok = key.ulong(CKA_KEY_TYPE).ok().flatten() == Some(S::KEY_TYPE);
    if !class_ok || !type_ok {
        return Err(Ckr::KEY_TYPE_INCONSISTENT);
    }
    let len_of = if class == CKO_PRIVATE_KEY {
        S::private_len
    } else {
        S::public_len
    };
    // A stored key always has its value (import and generation set it).
    let value = key.get(CKA_VALUE).ok_or(Ckr::GENERAL_ERROR)?;
    match set_of(key, value, len_of)? {
        Some(set) if len_of(set) == value.len() => Ok((set, value)),
        _ => Err(Ckr::KEY_SIZE_RANGE),
    }
}

/// The CKA_PARAMETER_SET a key-pair generation asks for: the public
/// template's (PKCS#11 3.2 puts it there), which the private template may
/// repeat; both templates may name the key type, which must be `key_type`.
fn pair_parameter_set(
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

/// C_GenerateKeyPair: a new pair as its mechanism supplies it, CKA_KEY_TYPE,
/// CKA_PARAMETER_SET and CKA_PUBLIC_KEY_INFO on both halves, the raw keys as
/// CKA_VALUE (and the seed as CKA_SEED). A pair that fails its pairwise test
/// is not handed out, and the module enters its error state.
fn generate_pair<S: ParameterSet>(
    m: &Mechanism,
    public: &Attributes,
    private: &Attributes,
) -> Result<KeyPair> {
    let param = pair_parameter_set(m, public, private, S::KEY_TYPE)?;
    let set = by_param::<S>(param)?;
    let NewKeys {
        public: public_key,
        private: mut private_key,
        seed,
    } = set.new_keys()?;
    if !set.pairwise_ok(&public_key, &private_key)? {
        health::fail(&format!("{} pairwise consistency test", set.name()));
        return Err(Ckr::GENERAL_ERROR);
    }
    let info = asn1::spki(&set.oid(), &public_key)?;
    let mut pair = KeyPair::default();
    for half in [&mut pair.public, &mut pair.private] {
        half.set_ulong(CKA_KEY_TYPE, S::KEY_TYPE);
        half.set_ulong(CKA_PARAMETER_SET, param);
        half.set(CKA_PUBLIC_KEY_INFO, info.clone());
    }
    pair.public.set(CKA_VALUE, public_key);
    // Moved, not copied: the attribute set's zeroizing storage owns them.
    pair.private
        .set(CKA_VALUE, std::mem::take(&mut *private_key));
    if let Some(mut seed) = seed {
        pair.private.set(CKA_SEED, std::mem::take(&mut *seed));
    }
    Ok(pair)
}

/// The parameter-set bounds of CK_MECHANISM_INFO: public key bytes, as
/// PKCS#11 3.2 defines them for the post-quantum mechanisms.
pub(in crate::mech) fn mechanism_info<S: ParameterSet>(flags: CK_FLAGS) -> CK_MECHANISM_INFO {
    let lens = S::all().iter().map(|s| s.public_len() as CK_ULONG);
    info(
        lens.clone().min().unwrap_or(0),
        lens.max().unwrap_or(0),
        flags,
    )
}

/// The key-pair generation mechanism of a key type
/// (CKM_ML_KEM_KEY_PAIR_GEN, CKM_ML_DSA_KEY_PAIR_GEN, the composites').
pub(in crate::mech) struct KeyPairGen<S> {
    pub ty: CK_MECHANISM_TYPE,
    pub name: &'static str,
    pub scheme: PhantomData<S>,
}

impl<S: ParameterSet> MechanismImpl for KeyPairGen<S> {
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

/// CKA_PARAMETER_SET and CKA_PUBLIC_KEY_INFO of a key whose public key is
/// `public`; a non-empty CKA_PUBLIC_KEY_INFO given by the caller must be
/// the same DER.
pub(in crate::mech) fn complete<S: ParameterSet>(
    key: &mut Attributes,
    set: &S,
    public: &[u8],
) -> Result<()> {
    let spki = asn1::spki(&set.oid(), public)?;
    if key
        .get(CKA_PUBLIC_KEY_INFO)
        .is_some_and(|given| !given.is_empty() && given != spki.as_slice())
    {
        return Err(Ckr::TEMPLATE_INCONSISTENT);
    }
    key.set_ulong(CKA_PARAMETER_SET, set.param());
    key.set(CKA_PUBLIC_KEY_INFO, spki);
    Ok(())
}
