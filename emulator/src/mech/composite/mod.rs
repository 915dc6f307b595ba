//! Composite ML-KEM and composite ML-DSA (the IETF LAMPS drafts
//! draft-ietf-lamps-pq-composite-kem-20 and -sigs-19): one key that is a
//! post-quantum key and a traditional key together, secure while either
//! half holds. The PKCS#11 shape follows the OASIS 3.3 drafts (CKK_COMP_KEM /
//! CKK_COMP_SIG with a CKA_PARAMETER_SET, C_EncapsulateKey /
//! C_DecapsulateKey, C_Sign / C_Verify) under vendor values until 3.3 has its
//! own (`vendor::CKK_QRC_COMP_*`).
//!
//! Keys are the drafts' serialisations: CKA_VALUE of a public key is
//! pqPK ‖ tradPK, of a private key pqSeed ‖ tradSK; CKA_PUBLIC_KEY_INFO and
//! PKCS#8 carry them under the composite OID. The expanded ML-KEM / ML-DSA
//! key is derived from the seed for each operation.

mod kem;
mod sig;
#[cfg(test)]
mod tests;
mod trad;

use super::ml_kem::seeded::{self, Scheme as _};
use super::{asn1, info, rng, secret, KeyFamily, KeyPair, Mechanism, MechanismImpl, Registry};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use cryptoki_sys::*;
use pkcs8::ObjectIdentifier;
use std::marker::PhantomData;
use trad::Trad;
use zeroize::Zeroizing;

pub(crate) use kem::known_answer as kem_known_answer;
pub(crate) use sig::known_answer as sig_known_answer;

pub(crate) fn register(r: &mut Registry) {
    kem::register(r);
    sig::register(r);
}

/// What every composite algorithm names: its CKP_ value, the draft's name
/// (for logs) and the composite OID (SPKI and PKCS#8).
pub(super) struct Id {
    pub ckp: CK_ULONG,
    pub name: &'static str,
    pub oid: ObjectIdentifier,
}

/// One composite parameter set: a seeded post-quantum scheme and a
/// traditional one. The key layout is the same for every composite:
/// public pqPK ‖ tradPK, private pqSeed ‖ tradSK.
pub(super) trait Scheme: Sized + Send + Sync + 'static {
    /// CKK_QRC_COMP_KEM or CKK_QRC_COMP_SIG.
    const KEY_TYPE: CK_KEY_TYPE;
    /// ML-KEM or ML-DSA.
    type Pq: seeded::Scheme;
    /// Every parameter set of the key type.
    fn all() -> &'static [Self];
    fn id(&self) -> &Id;
    fn pq(&self) -> Self::Pq;
    fn trad(&self) -> Trad;
    /// Encapsulate-decapsulate or sign-verify with the pair; an error only
    /// if the test's randomness cannot be drawn.
    fn pairwise_ok(&self, public: &[u8], private: &[u8]) -> Result<bool>;

    fn name(&self) -> &'static str {
        self.id().name
    }
    fn param(&self) -> CK_ULONG {
        self.id().ckp
    }
    fn oid(&self) -> ObjectIdentifier {
        self.id().oid
    }
    fn public_len(&self) -> usize {
        self.pq().public_len() + self.trad().public_len()
    }
    fn private_len(&self) -> usize {
        <Self::Pq as seeded::Scheme>::SEED_LEN + self.trad().private_len()
    }

    /// A fresh key pair: (public key, private key), both serialised.
    fn generate(&self) -> Result<(Vec<u8>, Value)> {
        let mut seed = Zeroizing::new(vec![0u8; <Self::Pq as seeded::Scheme>::SEED_LEN]);
        rng::fill(&mut seed)?;
        let (mut public, _) = self.pq().keygen(&seed);
        let (d, trad_pk) = self.trad().generate()?;
        public.extend_from_slice(&trad_pk);
        // One buffer of the final size: growing the seed's would free its
        // old block with the seed still in it.
        Ok((
            public,
            secret::concat(&seed, &self.trad().encode_private(&d)),
        ))
    }

    /// The public key of a private key, after decoding both halves;
    /// CKR_ATTRIBUTE_VALUE_INVALID if either is malformed.
    fn public_of_private(&self, private: &[u8]) -> Result<Vec<u8>> {
        if private.len() != self.private_len() {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        let (seed, trad_sk) = self.split_private(private);
        let (mut public, _) = self.pq().keygen(seed);
        let trad = self.trad();
        public.extend_from_slice(&trad.public_of(&trad.decode_private(trad_sk)?)?);
        Ok(public)
    }

    /// The checks a public key must pass: its length, FIPS 203's modulus
    /// check for ML-KEM, a point on the curve for ECDH and ECDSA.
    fn public_ok(&self, public: &[u8]) -> bool {
        if public.len() != self.public_len() {
            return false;
        }
        let (pq_pk, trad_pk) = public.split_at(self.pq().public_len());
        self.pq().public_ok(pq_pk) && self.trad().public_ok(trad_pk)
    }

    /// (pqSeed, tradSK) of a private key of the right length.
    fn split_private<'k>(&self, private: &'k [u8]) -> (&'k [u8], &'k [u8]) {
        private.split_at(<Self::Pq as seeded::Scheme>::SEED_LEN)
    }

    /// (pqPK, tradPK) of a public key of the right length.
    fn split_public<'k>(&self, public: &'k [u8]) -> (&'k [u8], &'k [u8]) {
        public.split_at(self.pq().public_len())
    }
}

fn by_param<S: Scheme>(param: CK_ULONG) -> Result<&'static S> {
    S::all()
        .iter()
        .find(|s| s.param() == param)
        .ok_or(Ckr(CKR_PARAMETER_SET_NOT_SUPPORTED))
}

/// A key object of this scheme used by a mechanism: of `class`, with a
/// CKA_VALUE of its parameter set's length.
fn key_of<S: Scheme>(key: &Attributes, class: CK_OBJECT_CLASS) -> Result<(&'static S, &[u8])> {
    let class_ok = key.ulong(CKA_CLASS).ok().flatten() == Some(class);
    let type_ok = key.ulong(CKA_KEY_TYPE).ok().flatten() == Some(S::KEY_TYPE);
    if !class_ok || !type_ok {
        return Err(Ckr::KEY_TYPE_INCONSISTENT);
    }
    // Stored keys were completed, so a missing set or value is corruption.
    let set = by_param::<S>(key.ulong(CKA_PARAMETER_SET)?.ok_or(Ckr::GENERAL_ERROR)?)?;
    let value = key.get(CKA_VALUE).ok_or(Ckr::GENERAL_ERROR)?;
    let len = if class == CKO_PRIVATE_KEY {
        set.private_len()
    } else {
        set.public_len()
    };
    if value.len() != len {
        return Err(Ckr::KEY_SIZE_RANGE);
    }
    Ok((set, value))
}

/// The public key that belongs to a private key object: the one inside its
/// CKA_PUBLIC_KEY_INFO (set on generation and import, not modifiable), else
/// computed from the private key.
fn public_of_key<S: Scheme>(set: &S, key: &Attributes, private: &[u8]) -> Result<Vec<u8>> {
    if let Some(spki) = key.get(CKA_PUBLIC_KEY_INFO) {
        let public = &spki[spki.len().saturating_sub(set.public_len())..];
        if asn1::spki(&set.oid(), public)? == spki {
            return Ok(public.to_vec());
        }
    }
    set.public_of_private(private)
}

/// C_GenerateKeyPair of a composite key type.
fn generate_pair<S: Scheme>(
    m: &Mechanism,
    public: &Attributes,
    private: &Attributes,
) -> Result<KeyPair> {
    let param = seeded::pair_parameter_set(m, public, private, S::KEY_TYPE)?;
    let set = by_param::<S>(param)?;
    let (pk, sk) = set.generate()?;
    let ok = set.pairwise_ok(&pk, &sk)?;
    seeded::new_pair(S::KEY_TYPE, param, (set.name(), &set.oid()), pk, sk, ok)
}

/// The key-pair generation mechanism of a composite key type.
struct KeyPairGen<S> {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    scheme: PhantomData<S>,
}

/// CK_MECHANISM_INFO of a composite mechanism: public key bytes, as for the
/// 3.2 post-quantum mechanisms.
fn mechanism_info<S: Scheme>(flags: CK_FLAGS) -> CK_MECHANISM_INFO {
    let lens = S::all().iter().map(|s| s.public_len() as CK_ULONG);
    info(
        lens.clone().min().unwrap_or(0),
        lens.max().unwrap_or(0),
        flags,
    )
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

/// The parameter set of an imported key: CKA_PARAMETER_SET if given, else
/// the one whose length (`len_of`) CKA_VALUE has (they are all distinct).
fn imported_set<S: Scheme>(key: &Attributes, len_of: fn(&S) -> usize) -> Result<&'static S> {
    let value = key.get(CKA_VALUE).ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
    let set = match key.ulong(CKA_PARAMETER_SET)? {
        Some(p) => by_param::<S>(p)?,
        None => S::all()
            .iter()
            .find(|s| len_of(s) == value.len())
            .ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)?,
    };
    if len_of(set) != value.len() {
        return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
    }
    Ok(set)
}

/// CKA_PARAMETER_SET and CKA_PUBLIC_KEY_INFO of an imported key; a non-empty
/// CKA_PUBLIC_KEY_INFO given by the caller must be the same DER.
fn complete<S: Scheme>(key: &mut Attributes, set: &S, public: &[u8]) -> Result<()> {
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

/// Import checks, CKM_PUB_KEY_FROM_PRIV_KEY and PKCS#8 of a composite key
/// type.
struct Family<S>(PhantomData<S>);

impl<S: Scheme> KeyFamily for Family<S> {
    fn key_type(&self) -> CK_KEY_TYPE {
        S::KEY_TYPE
    }

    /// Both halves must decode and the pair must pass the pairwise test.
    fn complete_private(&self, key: &mut Attributes) -> Result<()> {
        let set = imported_set::<S>(key, S::private_len)?;
        let private = key.get(CKA_VALUE).ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
        let public = set.public_of_private(private)?;
        if !set.pairwise_ok(&public, private)? {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        complete(key, set, &public)
    }

    fn complete_public(&self, key: &mut Attributes) -> Result<()> {
        let set = imported_set::<S>(key, S::public_len)?;
        let public = key.get(CKA_VALUE).ok_or(Ckr::TEMPLATE_INCOMPLETE)?.to_vec();
        if !set.public_ok(&public) {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        complete(key, set, &public)
    }

    fn public_from_private(&self, private: &Attributes) -> Result<Attributes> {
        let (set, value) = key_of::<S>(private, CKO_PRIVATE_KEY)?;
        let public = set.public_of_private(value)?;
        let mut out = Attributes::new();
        complete(&mut out, set, &public)?;
        out.set(CKA_VALUE, public);
        Ok(out)
    }

    /// OneAsymmetricKey v0 with the raw private key, as the drafts' vectors.
    fn export_private(&self, private: &Attributes) -> Result<Value> {
        let (set, value) = key_of::<S>(private, CKO_PRIVATE_KEY)?;
        asn1::pkcs8(&set.oid(), value)
    }

    fn import_private(&self, encoded: &[u8]) -> Result<Attributes> {
        let (oid, mut value) = asn1::parse_pkcs8(encoded)?;
        let set = S::all()
            .iter()
            .find(|s| s.oid() == oid)
            .ok_or(Ckr::WRAPPED_KEY_INVALID)?;
        if value.len() != set.private_len() {
            return Err(Ckr::WRAPPED_KEY_INVALID);
        }
        let mut key = Attributes::new();
        key.set_ulong(CKA_PARAMETER_SET, set.param());
        key.set(CKA_VALUE, std::mem::take(&mut *value));
        Ok(key)
    }
}
