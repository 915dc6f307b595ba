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

use super::param_set::{by_oid, complete, imported_set, key_value, NewKeys, ParameterSet};
use super::seeded::{self, Scheme as _};
use super::{asn1, rng, secret, KeyFamily, Registry};
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

/// Everything the parameter-set helpers need follows from the set's Id and
/// its two halves.
impl<S: Scheme> ParameterSet for S {
    const KEY_TYPE: CK_KEY_TYPE = <S as Scheme>::KEY_TYPE;

    fn all() -> &'static [S] {
        <S as Scheme>::all()
    }
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
        <S::Pq as seeded::Scheme>::SEED_LEN + self.trad().private_len()
    }
    fn new_keys(&self) -> Result<NewKeys> {
        let (public, private) = self.generate()?;
        Ok(NewKeys {
            public,
            private,
            seed: None,
        })
    }
    fn pairwise_ok(&self, public: &[u8], private: &[u8]) -> Result<bool> {
        <S as Scheme>::pairwise_ok(self, public, private)
    }
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

/// Import checks, CKM_PUB_KEY_FROM_PRIV_KEY and PKCS#8 of a composite key
/// type.
struct Family<S>(PhantomData<S>);

impl<S: Scheme> KeyFamily for Family<S> {
    fn key_type(&self) -> CK_KEY_TYPE {
        S::KEY_TYPE
    }

    /// Both halves must decode and the pair must pass the pairwise test.
    fn complete_private(&self, key: &mut Attributes) -> Result<()> {
        let set = imported_set::<S>(key, <S as ParameterSet>::private_len)?;
        let private = key.get(CKA_VALUE).ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
        let public = set.public_of_private(private)?;
        if !set.pairwise_ok(&public, private)? {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        complete(key, set, &public)
    }

    fn complete_public(&self, key: &mut Attributes) -> Result<()> {
        let set = imported_set::<S>(key, <S as ParameterSet>::public_len)?;
        let public = key.get(CKA_VALUE).ok_or(Ckr::TEMPLATE_INCOMPLETE)?.to_vec();
        if !set.public_ok(&public) {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        complete(key, set, &public)
    }

    fn public_from_private(&self, private: &Attributes) -> Result<Attributes> {
        let (set, value) = key_value::<S>(private, CKO_PRIVATE_KEY)?;
        let public = set.public_of_private(value)?;
        let mut out = Attributes::new();
        complete(&mut out, set, &public)?;
        out.set(CKA_VALUE, public);
        Ok(out)
    }

    /// OneAsymmetricKey v0 with the raw private key, as the drafts' vectors.
    fn export_private(&self, private: &Attributes) -> Result<Value> {
        let (set, value) = key_value::<S>(private, CKO_PRIVATE_KEY)?;
        asn1::pkcs8(&set.oid(), value)
    }

    fn import_private(&self, encoded: &[u8]) -> Result<Attributes> {
        let (oid, mut value) = asn1::parse_pkcs8(encoded)?;
        let set = by_oid::<S>(&oid).ok_or(Ckr::WRAPPED_KEY_INVALID)?;
        if value.len() != set.private_len() {
            return Err(Ckr::WRAPPED_KEY_INVALID);
        }
        let mut key = Attributes::new();
        key.set_ulong(CKA_PARAMETER_SET, set.param());
        key.set(CKA_VALUE, std::mem::take(&mut *value));
        Ok(key)
    }
}
