//! Composite ML-DSA: CKM_QRC_COMP_SIG_KEY_PAIR_GEN and CKM_QRC_COMP_SIG
//! (C_Sign / C_Verify, single- and multi-part; the message is pre-hashed, so
//! it streams). Both halves sign the message representative
//! M′ = Prefix ‖ Label ‖ len(ctx) ‖ ctx ‖ PH(M): ML-DSA with the Label as its
//! context, ECDSA over a hash of M′ (DER signature) or Ed25519 over M′. A
//! signature verifies only if both halves do.

use super::trad::Trad;
use super::{Family, Id, Scheme};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::ec::curve::Curve;
use crate::mech::ml_dsa::Set as MlDsa;
use crate::mech::param_set::{key_value, mechanism_info, KeyPairGen};
use crate::mech::seeded::Scheme as _;
use crate::mech::{rng, MechParam, Mechanism, MechanismImpl, Registry, Signer, Verifier};
use crate::vendor::*;
use cryptoki_sys::*;
use pkcs8::ObjectIdentifier;
use sha2::digest::DynDigest;
use sha2::{Sha256, Sha384, Sha512};
use std::marker::PhantomData;
use zeroize::Zeroizing;

pub(super) fn register(r: &mut Registry) {
    r.add(KeyPairGen::<SigSet> {
        ty: CKM_QRC_COMP_SIG_KEY_PAIR_GEN,
        name: "CKM_QRC_COMP_SIG_KEY_PAIR_GEN",
        scheme: PhantomData,
    });
    r.add(CompositeSig);
    r.add_family(Family::<SigSet>(PhantomData));
}

/// The domain separator every composite signature starts M′ with.
const PREFIX: &[u8] = b"CompositeAlgorithmSignatures2025";

/// The SHA-2 functions the algorithms use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn start(self) -> Box<dyn DynDigest + Send> {
        match self {
            Hash::Sha256 => Box::new(Sha256::default()),
            Hash::Sha384 => Box::new(Sha384::default()),
            Hash::Sha512 => Box::new(Sha512::default()),
        }
    }

    fn digest(self, data: &[u8]) -> Box<[u8]> {
        let mut h = self.start();
        h.update(data);
        h.finalize()
    }
}

/// One composite ML-DSA algorithm of the draft.
pub(super) struct SigSet {
    id: Id,
    /// The algorithm's Label, in M′ and as ML-DSA's context.
    label: &'static [u8],
    mldsa: MlDsa,
    trad: Trad,
    /// PH, the pre-hash of the message.
    prehash: Hash,
    /// The hash ECDSA signs M′ with; Ed25519 signs M′ itself.
    trad_hash: Option<Hash>,
}

/// The draft's algorithms with ECDSA on P-256 / P-384 and with Ed25519.
pub(super) static SETS: [SigSet; 3] = [
    SigSet {
        id: Id {
            ckp: CKP_QRC_COMP_SIG_MLDSA44_ECDSA_P256_SHA256,
            name: "id-MLDSA44-ECDSA-P256-SHA256",
            oid: ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.6.40"),
        },
        label: b"COMPSIG-MLDSA44-ECDSA-P256-SHA256",
        mldsa: MlDsa::MlDsa44,
        trad: Trad(Curve::P256),
        prehash: Hash::Sha256,
        trad_hash: Some(Hash::Sha256),
    },
    SigSet {
        id: Id {
            ckp: CKP_QRC_COMP_SIG_MLDSA65_ED25519_SHA512,
            name: "id-MLDSA65-Ed25519-SHA512",
            oid: ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.6.48"),
        },
        label: b"COMPSIG-MLDSA65-Ed25519-SHA512",
        mldsa: MlDsa::MlDsa65,
        trad: Trad(Curve::Ed25519),
        prehash: Hash::Sha512,
        trad_hash: None,
    },
    SigSet {
        id: Id {
            ckp: CKP_QRC_COMP_SIG_MLDSA87_ECDSA_P384_SHA512,
            name: "id-MLDSA87-ECDSA-P384-SHA512",
            oid: ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.6.49"),
        },
        label: b"COMPSIG-MLDSA87-ECDSA-P384-SHA512",
        mldsa: MlDsa::MlDsa87,
        trad: Trad(Curve::P384),
        prehash: Hash::Sha512,
        // ecdsa-with-SHA384: the curve's own hash, not PH.
        trad_hash: Some(Hash::Sha384),
    },
];

impl SigSet {
    /// M′ = Prefix ‖ Label ‖ len(ctx) ‖ ctx ‖ PH(M); ctx is at most 255
    /// bytes (checked when the operation starts).
    pub(super) fn message_representative(&self, context: &[u8], ph: &[u8]) -> Vec<u8> {
        let mut m =
            Vec::with_capacity(PREFIX.len() + self.label.len() + 1 + context.len() + ph.len());
        m.extend_from_slice(PREFIX);
        m.extend_from_slice(self.label);
        m.push(context.len() as u8);
        m.extend_from_slice(context);
        m.extend_from_slice(ph);
        m
    }

    /// What the traditional half signs: M′, or its hash for ECDSA.
    fn trad_input(&self, m_prime: &[u8]) -> Box<[u8]> {
        match self.trad_hash {
            Some(h) => h.digest(m_prime),
            None => m_prime.into(),
        }
    }

    /// Sign M′ with a private key of the right length; `rnd` is ML-DSA's.
    pub(super) fn sign(&self, private: &[u8], m_prime: &[u8], rnd: &[u8; 32]) -> Result<Vec<u8>> {
        let (seed, trad_sk) = self.split_private(private);
        let (_, sk) = self.mldsa.keygen(seed);
        let mut sig = self.mldsa.sign(&sk, m_prime, self.label, rnd)?;
        let d = self
            .trad
            .decode_private(trad_sk)
            .map_err(|_| Ckr::GENERAL_ERROR)?;
        sig.extend_from_slice(&self.trad.sign(&d, &self.trad_input(m_prime))?);
        Ok(sig)
    }

    /// Verify a signature of M′: both halves must verify. Both are checked
    /// whatever the first gives, so the time does not tell which failed.
    pub(super) fn verify(&self, public: &[u8], m_prime: &[u8], sig: &[u8]) -> Result<()> {
        let mldsa_len = self.mldsa.signature_len();
        if !self
            .trad
            .signature_lens()
            .contains(&sig.len().saturating_sub(mldsa_len))
        {
            return Err(Ckr::SIGNATURE_LEN_RANGE);
        }
        let (mldsa_pk, trad_pk) = self.split_public(public);
        let (mldsa_sig, trad_sig) = sig.split_at(mldsa_len);
        let mldsa_ok = self
            .mldsa
            .verify(mldsa_pk, m_prime, self.label, mldsa_sig)
            .is_ok();
        let trad_ok = self
            .trad
            .verify(trad_pk, &self.trad_input(m_prime), trad_sig);
        if mldsa_ok && trad_ok {
            Ok(())
        } else {
            Err(Ckr::SIGNATURE_INVALID)
        }
    }
}

impl Scheme for SigSet {
    const KEY_TYPE: CK_KEY_TYPE = CKK_QRC_COMP_SIG;
    type Pq = MlDsa;

    fn all() -> &'static [Self] {
        &SETS
    }
    fn id(&self) -> &Id {
        &self.id
    }
    fn pq(&self) -> MlDsa {
        self.mldsa
    }
    fn trad(&self) -> Trad {
        self.trad
    }

    fn pairwise_ok(&self, public: &[u8], private: &[u8]) -> Result<bool> {
        let mut rnd = Zeroizing::new([0u8; 32]);
        rng::fill(&mut *rnd)?;
        let m_prime = self.message_representative(b"", &self.prehash.digest(b"pairwise"));
        Ok(self
            .sign(private, &m_prime, &rnd)
            .and_then(|sig| self.verify(public, &m_prime, &sig))
            .is_ok())
    }
}

/// CKM_QRC_COMP_SIG: an optional CK_SIGN_ADDITIONAL_CONTEXT (hedging and
/// the application context, at most 255 bytes).
struct CompositeSig;

/// The context and hedging of a CKM_QRC_COMP_SIG parameter.
fn parameters(m: &Mechanism) -> Result<(CK_HEDGE_TYPE, Vec<u8>)> {
    let (hedge, context) = match &m.param {
        MechParam::None => (CKH_HEDGE_PREFERRED, Vec::new()),
        MechParam::SignContext { hedge, context } => (*hedge, context.clone()),
        _ => return Err(Ckr::MECHANISM_PARAM_INVALID),
    };
    if context.len() > 255 {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    Ok((hedge, context))
}

impl MechanismImpl for CompositeSig {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        CKM_QRC_COMP_SIG
    }
    fn name(&self) -> &'static str {
        "CKM_QRC_COMP_SIG"
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        mechanism_info::<SigSet>(CKF_SIGN | CKF_VERIFY)
    }

    /// CKH_DETERMINISTIC_REQUIRED gives ML-DSA's deterministic variant; it
    /// is refused for the ECDSA algorithms, whose nonce is always random.
    fn sign(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Signer>> {
        let (hedge, context) = parameters(m)?;
        let (set, private) = key_value::<SigSet>(key, CKO_PRIVATE_KEY)?;
        let deterministic = match hedge {
            CKH_HEDGE_PREFERRED | CKH_HEDGE_REQUIRED => false,
            CKH_DETERMINISTIC_REQUIRED if set.trad_hash.is_none() => true,
            _ => return Err(Ckr::MECHANISM_PARAM_INVALID),
        };
        Ok(Box::new(CompositeSigner {
            message: Running::start(set, context),
            private: Zeroizing::new(private.to_vec()),
            deterministic,
        }))
    }

    /// The hedge is ignored on verification.
    fn verify(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Verifier>> {
        let (_, context) = parameters(m)?;
        let (set, public) = key_value::<SigSet>(key, CKO_PUBLIC_KEY)?;
        Ok(Box::new(CompositeVerifier {
            message: Running::start(set, context),
            public: public.to_vec(),
        }))
    }
}

/// The message representative of a running signature or verification:
/// the context, and PH of the message so far.
struct Running {
    set: &'static SigSet,
    context: Vec<u8>,
    /// Taken by `finish`.
    hash: Option<Box<dyn DynDigest + Send>>,
}

impl Running {
    fn start(set: &'static SigSet, context: Vec<u8>) -> Running {
        Running {
            set,
            context,
            hash: Some(set.prehash.start()),
        }
    }

    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.hash
            .as_mut()
            .ok_or(Ckr::OPERATION_NOT_INITIALIZED)?
            .update(data);
        Ok(())
    }

    /// M′, once.
    fn finish(&mut self) -> Result<Vec<u8>> {
        let ph = self
            .hash
            .take()
            .ok_or(Ckr::OPERATION_NOT_INITIALIZED)?
            .finalize();
        Ok(self.set.message_representative(&self.context, &ph))
    }
}

struct CompositeSigner {
    message: Running,
    private: Value,
    deterministic: bool,
}

impl Signer for CompositeSigner {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.message.update(data)
    }

    fn finish(&mut self) -> Result<Vec<u8>> {
        let m_prime = self.message.finish()?;
        let mut rnd = Zeroizing::new([0u8; 32]);
        if !self.deterministic {
            rng::fill(&mut *rnd)?;
        }
        self.message.set.sign(&self.private, &m_prime, &rnd)
    }
}

struct CompositeVerifier {
    message: Running,
    public: Vec<u8>,
}

impl Verifier for CompositeVerifier {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.message.update(data)
    }

    fn finish(&mut self, signature: &[u8]) -> Result<()> {
        let m_prime = self.message.finish()?;
        self.message.set.verify(&self.public, &m_prime, signature)
    }
}

/// Known-answer test run at C_Initialize: M′ for id-MLDSA65-Ed25519-SHA512
/// of the message and context of the draft's example (Appendix D), as
/// SHA-256(M′). ML-DSA, ECDSA and Ed25519 have their own known answers; key
/// generation runs the pairwise test on every pair.
pub(crate) fn known_answer() -> Result<bool> {
    let ph = Hash::Sha512.digest(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let context = [0x08, 0x13, 0x06, 0x12, 0x05, 0x16, 0x26, 0x23];
    let m_prime = SETS[1].message_representative(&context, &ph);
    let expected = crate::mech::self_test::unhex(
        "58894cde4ddc186fd83efae198e2c8f526c72001f6c60dbd4671cf4d2db7cd8d",
    )?;
    Ok(*Hash::Sha256.digest(&m_prime) == *expected)
}
