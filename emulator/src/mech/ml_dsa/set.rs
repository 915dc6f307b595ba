//! The ML-DSA parameter sets and the library calls behind them: libcrux
//! for key generation and every signature with the message or M′ at hand,
//! RustCrypto `ml-dsa` for signing and verifying from μ, and the checks an
//! expanded private key needs before either library may see it.

use crate::attr::Value;
use crate::error::{Ckr, Result};
use crate::mech::param_set::{NewKeys, ParameterSet};
use crate::mech::seeded::{self, Scheme};
use cryptoki_sys::*;
use libcrux_ml_dsa::{MLDSASignature, MLDSASigningKey, MLDSAVerificationKey};
use ml_dsa::signature::rand_core::{TryCryptoRng, TryRng};
use ml_dsa::{EncodedVerifyingKey, ExpandedSigningKey, ExpandedSigningKeyBytes, MlDsaParams};
use pkcs8::ObjectIdentifier;
use sha3::digest::{ExtendableOutput, Update, XofReader};
use zeroize::{Zeroize, Zeroizing};

/// The ML-DSA parameter sets (FIPS 204 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::mech) enum Set {
    MlDsa44,
    MlDsa65,
    MlDsa87,
}

/// Evaluate `$body` with `$d` naming the libcrux module of `$set`.
macro_rules! with_libcrux {
    ($set:expr, $d:ident => $body:expr) => {
        match $set {
            Set::MlDsa44 => {
                use libcrux_ml_dsa::ml_dsa_44 as $d;
                $body
            }
            Set::MlDsa65 => {
                use libcrux_ml_dsa::ml_dsa_65 as $d;
                $body
            }
            Set::MlDsa87 => {
                use libcrux_ml_dsa::ml_dsa_87 as $d;
                $body
            }
        }
    };
}

/// Call the RustCrypto-generic `$f` with the parameter type of `$set`.
macro_rules! with_rustcrypto {
    ($set:expr, $f:ident($($arg:expr),*)) => {
        match $set {
            Set::MlDsa44 => $f::<ml_dsa::MlDsa44>($($arg),*),
            Set::MlDsa65 => $f::<ml_dsa::MlDsa65>($($arg),*),
            Set::MlDsa87 => $f::<ml_dsa::MlDsa87>($($arg),*),
        }
    };
}

/// SHAKE256 to 64 bytes: H(pk) is tr, H(tr ‖ M′) is μ.
pub(super) fn h64(parts: &[&[u8]]) -> [u8; 64] {
    let mut h = sha3::Shake256::default();
    for part in parts {
        h.update(part);
    }
    let mut out = [0u8; 64];
    h.finalize_xof().read(&mut out);
    out
}

impl Set {
    /// (k, ℓ, η).
    fn dims(self) -> (usize, usize, usize) {
        match self {
            Set::MlDsa44 => (4, 4, 2),
            Set::MlDsa65 => (6, 5, 4),
            Set::MlDsa87 => (8, 7, 2),
        }
    }

    /// The length of a signature in bytes.
    pub(in crate::mech) fn signature_len(self) -> usize {
        match self {
            Set::MlDsa44 => 2420,
            Set::MlDsa65 => 3309,
            Set::MlDsa87 => 4627,
        }
    }

    /// Whether every coefficient code of s1 and s2 in an expanded key is at
    /// most 2η, as skEncode makes them. libcrux signs with larger codes and
    /// RustCrypto panics on them, so this runs on every expanded key at
    /// import and again before RustCrypto parses one. No early exit: the
    /// codes are secret.
    pub(super) fn s_in_range(self, sk: &[u8]) -> bool {
        let (k, l, eta) = self.dims();
        let bits = if eta == 2 { 3 } else { 4 };
        let Some(s) = sk.get(128..128 + (k + l) * 32 * bits) else {
            return false;
        };
        let bad = if bits == 4 {
            s.iter().fold(0u8, |acc, b| {
                acc | u8::from(b & 0x0f > 8) | u8::from(b >> 4 > 8)
            })
        } else {
            s.chunks_exact(3).fold(0u8, |acc, c| {
                let v = u32::from(c[0]) | u32::from(c[1]) << 8 | u32::from(c[2]) << 16;
                (0..8).fold(acc, |acc, i| acc | u8::from((v >> (3 * i)) & 7 > 4))
            })
        };
        bad == 0
    }

    /// ML-DSA.Sign(sk, M, ctx) with the given rnd (libcrux).
    pub(in crate::mech) fn sign(
        self,
        sk: &[u8],
        message: &[u8],
        context: &[u8],
        rnd: &[u8; 32],
    ) -> Result<Vec<u8>> {
        with_libcrux!(self, d => {
            let mut key = MLDSASigningKey::new(sk.try_into().map_err(|_| Ckr::KEY_SIZE_RANGE)?);
            let signature = d::sign(&key, message, context, *rnd);
            key.as_mut_slice().zeroize();
            signature.map(|s| s.as_slice().to_vec()).map_err(|_| Ckr::GENERAL_ERROR)
        })
    }

    /// Sign_internal(sk, M′, rnd) (libcrux): HashML-DSA, whose M′ the
    /// signer builds.
    pub(super) fn sign_internal(
        self,
        sk: &[u8],
        m_prime: &[u8],
        rnd: &[u8; 32],
    ) -> Result<Vec<u8>> {
        with_libcrux!(self, d => {
            let mut key = MLDSASigningKey::new(sk.try_into().map_err(|_| Ckr::KEY_SIZE_RANGE)?);
            let signature = d::sign_internal(&key, m_prime, *rnd);
            key.as_mut_slice().zeroize();
            signature.map(|s| s.as_slice().to_vec()).map_err(|_| Ckr::GENERAL_ERROR)
        })
    }

    /// Sign_internal with μ given (RustCrypto), for messages too long to
    /// hold. The key was range-checked when it was stored; checked again
    /// because a panic must not be the check.
    pub(super) fn sign_mu(self, sk: &[u8], mu: &[u8; 64], rnd: &[u8; 32]) -> Result<Vec<u8>> {
        if !self.s_in_range(sk) {
            return Err(Ckr::GENERAL_ERROR);
        }
        with_rustcrypto!(self, rustcrypto_sign_mu(sk, mu, rnd))
    }

    /// ML-DSA.Verify(pk, M, ctx, σ) (libcrux).
    pub(in crate::mech) fn verify(
        self,
        pk: &[u8],
        message: &[u8],
        context: &[u8],
        sig: &[u8],
    ) -> Result<()> {
        with_libcrux!(self, d => {
            let key = MLDSAVerificationKey::new(pk.try_into().map_err(|_| Ckr::KEY_SIZE_RANGE)?);
            let sig = MLDSASignature::new(sig.try_into().map_err(|_| Ckr::SIGNATURE_LEN_RANGE)?);
            d::verify(&key, message, context, &sig).map_err(|_| Ckr::SIGNATURE_INVALID)
        })
    }

    /// Verify_internal(pk, M′, σ) (libcrux).
    pub(super) fn verify_internal(self, pk: &[u8], m_prime: &[u8], sig: &[u8]) -> Result<()> {
        with_libcrux!(self, d => {
            let key = MLDSAVerificationKey::new(pk.try_into().map_err(|_| Ckr::KEY_SIZE_RANGE)?);
            let sig = MLDSASignature::new(sig.try_into().map_err(|_| Ckr::SIGNATURE_LEN_RANGE)?);
            d::verify_internal(&key, m_prime, &sig).map_err(|_| Ckr::SIGNATURE_INVALID)
        })
    }

    /// Verify_internal with μ given (RustCrypto).
    pub(super) fn verify_mu(self, pk: &[u8], mu: &[u8; 64], sig: &[u8]) -> Result<()> {
        if sig.len() != self.signature_len() {
            return Err(Ckr::SIGNATURE_LEN_RANGE);
        }
        if with_rustcrypto!(self, rustcrypto_verify_mu(pk, mu, sig)) {
            Ok(())
        } else {
            Err(Ckr::SIGNATURE_INVALID)
        }
    }
}

/// RustCrypto's μ signing takes rnd from an RNG; this one yields the rnd
/// the caller chose.
struct GivenRnd<'a>(&'a [u8; 32]);

impl TryRng for GivenRnd<'_> {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> std::result::Result<u32, Self::Error> {
        Ok(u32::from_le_bytes([
            self.0[0], self.0[1], self.0[2], self.0[3],
        ]))
    }
    fn try_next_u64(&mut self) -> std::result::Result<u64, Self::Error> {
        Ok(u64::from(self.try_next_u32()?) | u64::from(self.try_next_u32()?) << 32)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> std::result::Result<(), Self::Error> {
        for (d, s) in dst.iter_mut().zip(self.0.iter().cycle()) {
            *d = *s;
        }
        Ok(())
    }
}

impl TryCryptoRng for GivenRnd<'_> {}

/// RustCrypto's key from an expanded key whose s1/s2 are in range.
fn rustcrypto_key<P: MlDsaParams>(sk: &[u8]) -> Option<ExpandedSigningKey<P>> {
    let bytes = ExpandedSigningKeyBytes::<P>::try_from(sk).ok()?;
    // Deprecated because it panics on out-of-range keys; callers check first.
    #[allow(deprecated)]
    Some(ExpandedSigningKey::from_expanded(&bytes))
}

/// Sign_internal from μ with the given rnd.
fn rustcrypto_sign_mu<P: MlDsaParams>(sk: &[u8], mu: &[u8; 64], rnd: &[u8; 32]) -> Result<Vec<u8>> {
    let key = rustcrypto_key::<P>(sk).ok_or(Ckr::KEY_SIZE_RANGE)?;
    key.sign_mu_randomized(&(*mu).into(), &mut GivenRnd(rnd))
        .map(|s| s.encode().to_vec())
        .map_err(|_| Ckr::GENERAL_ERROR)
}

/// Verify_internal from μ; false for any malformed input.
fn rustcrypto_verify_mu<P: MlDsaParams>(pk: &[u8], mu: &[u8; 64], sig: &[u8]) -> bool {
    let Ok(encoded) = EncodedVerifyingKey::<P>::try_from(pk) else {
        return false;
    };
    let key = ml_dsa::VerifyingKey::<P>::decode(&encoded);
    ml_dsa::Signature::<P>::try_from(sig).is_ok_and(|s| key.verify_mu(&(*mu).into(), &s))
}

/// pk = (ρ, t1) with t1 from A·s1 + s2.
fn rustcrypto_public<P: MlDsaParams>(sk: &[u8]) -> Option<Vec<u8>> {
    Some(rustcrypto_key::<P>(sk)?.verifying_key().encode().to_vec())
}

impl ParameterSet for Set {
    const KEY_TYPE: CK_KEY_TYPE = CKK_ML_DSA;

    fn all() -> &'static [Set] {
        &[Set::MlDsa44, Set::MlDsa65, Set::MlDsa87]
    }

    fn name(&self) -> &'static str {
        "ML-DSA"
    }

    fn param(&self) -> CK_ULONG {
        match self {
            Set::MlDsa44 => CKP_ML_DSA_44,
            Set::MlDsa65 => CKP_ML_DSA_65,
            Set::MlDsa87 => CKP_ML_DSA_87,
        }
    }

    /// id-ml-dsa-44/65/87 (NIST CSOR), checked at compile time.
    fn oid(&self) -> ObjectIdentifier {
        const OIDS: [ObjectIdentifier; 3] = [
            ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.17"),
            ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.18"),
            ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.19"),
        ];
        OIDS[*self as usize]
    }

    fn public_len(&self) -> usize {
        let (k, _, _) = self.dims();
        32 + 320 * k
    }

    fn private_len(&self) -> usize {
        let (k, l, eta) = self.dims();
        let s_poly = if eta == 2 { 96 } else { 128 };
        128 + (k + l) * s_poly + 416 * k
    }

    fn new_keys(&self) -> Result<NewKeys> {
        seeded::new_keys(self)
    }

    /// A deterministic signature that must verify.
    fn pairwise_ok(&self, public: &[u8], private: &[u8]) -> Result<bool> {
        const MESSAGE: &[u8] = b"qrcpkcs11 ML-DSA pairwise consistency test";
        Ok(self
            .sign(private, MESSAGE, b"", &[0; 32])
            .and_then(|sig| self.verify(public, MESSAGE, b"", &sig))
            .is_ok())
    }
}

impl Scheme for Set {
    const SEED_LEN: usize = 32;

    /// KeyGen_internal(ξ).
    fn keygen(&self, seed: &[u8]) -> (Vec<u8>, Value) {
        let mut xi = Zeroizing::new([0u8; 32]);
        xi.copy_from_slice(seed);
        with_libcrux!(self, d => {
            let mut pair = d::generate_key_pair(*xi);
            let sk = Value::new(pair.signing_key.as_slice().to_vec());
            pair.signing_key.as_mut_slice().zeroize();
            (pair.verification_key.as_slice().to_vec(), sk)
        })
    }

    /// Every t1 encoding is a valid public key: only its length matters.
    fn public_ok(&self, _public: &[u8]) -> bool {
        true
    }

    /// s1 and s2 in range, and tr = H(pk) for the pk that ρ, s1 and s2
    /// give. t0 is covered only by the pairwise test that follows on import.
    fn public_of_private(&self, private: &[u8]) -> Option<Vec<u8>> {
        if !self.s_in_range(private) {
            return None;
        }
        let pk = with_rustcrypto!(self, rustcrypto_public(private))?;
        (h64(&[&pk]) == private[64..128]).then_some(pk)
    }
}
