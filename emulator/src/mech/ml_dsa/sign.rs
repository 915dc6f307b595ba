//! Running ML-DSA signatures and verifications.
//!
//! A CKM_ML_DSA message is kept whole until it passes a limit and then
//! hashed into μ = SHAKE256(tr ‖ 0 ‖ |ctx| ‖ ctx ‖ M) as it arrives, so a
//! multi-part operation never holds a large message; at the end libcrux
//! signs the whole message, or RustCrypto signs from μ. HashML-DSA needs
//! only the pre-hash, which streams anyway.

use super::set::h64;
use super::{seeded, Set};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::prehash::{Hasher, PreHash};
use crate::mech::{rng, Signer, Verifier};
use cryptoki_sys::*;
use sha3::digest::{ExtendableOutput, Update, XofReader};
use zeroize::Zeroizing;

/// Where a signature's 32 bytes of randomness (FIPS 204 rnd) come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rnd {
    /// Hedged: fresh random bytes.
    Fresh,
    /// Deterministic: zeros.
    Zero,
    /// A given rnd, for known-answer tests.
    #[cfg(test)]
    Given([u8; 32]),
}

impl Rnd {
    /// CKH_HEDGE_PREFERRED and CKH_HEDGE_REQUIRED sign hedged,
    /// CKH_DETERMINISTIC_REQUIRED deterministically.
    pub(super) fn of_hedge(hedge: CK_HEDGE_TYPE) -> Result<Rnd> {
        match hedge {
            CKH_HEDGE_PREFERRED | CKH_HEDGE_REQUIRED => Ok(Rnd::Fresh),
            CKH_DETERMINISTIC_REQUIRED => Ok(Rnd::Zero),
            _ => Err(Ckr::MECHANISM_PARAM_INVALID),
        }
    }

    fn draw(self) -> Result<Zeroizing<[u8; 32]>> {
        let mut rnd = Zeroizing::new([0u8; 32]);
        match self {
            Rnd::Fresh => rng::fill(&mut *rnd)?,
            Rnd::Zero => {}
            #[cfg(test)]
            Rnd::Given(given) => *rnd = given,
        }
        Ok(rnd)
    }
}

/// What an operation reads, and how.
pub(super) enum Input {
    /// CKM_ML_DSA: the message, whole up to `limit` bytes, else as μ's hash
    /// state.
    Pure {
        whole: Vec<u8>,
        mu: Option<sha3::Shake256>,
        limit: usize,
    },
    /// CKM_HASH_ML_DSA: the caller's digest, made with `hash`.
    Digest { digest: Vec<u8>, hash: PreHash },
    /// CKM_HASH_ML_DSA_<hash>: the message, hashed as it comes.
    Hashing { hasher: Hasher, hash: PreHash },
}

/// An operation's input at its end, ready for the algorithm.
enum Prepared {
    /// The whole message of ML-DSA.Sign / Verify.
    Message(Vec<u8>),
    /// μ of the message.
    Mu([u8; 64]),
    /// HashML-DSA's M′, for Sign_internal / Verify_internal.
    MPrime(Vec<u8>),
}

impl Input {
    /// CKM_ML_DSA's input, kept whole up to `limit` bytes.
    pub(super) fn pure(limit: usize) -> Input {
        Input::Pure {
            whole: Vec::new(),
            mu: None,
            limit,
        }
    }

    /// CKM_HASH_ML_DSA's input, a digest made with `hash`.
    pub(super) fn digest(hash: PreHash) -> Input {
        Input::Digest {
            digest: Vec::new(),
            hash,
        }
    }

    /// CKM_HASH_ML_DSA_<hash>'s input, hashed with `hash` as it comes.
    pub(super) fn hashing(hash: PreHash) -> Input {
        Input::Hashing {
            hasher: hash.hasher(),
            hash,
        }
    }

    /// Take in a part. `tr` gives H(pk) when μ has to start.
    fn update(&mut self, data: &[u8], context: &[u8], tr: impl FnOnce() -> [u8; 64]) -> Result<()> {
        match self {
            Input::Pure { mu: Some(mu), .. } => mu.update(data),
            Input::Pure { whole, mu, limit } if whole.len() + data.len() > *limit => {
                // tr ‖ M′ with M′ = 0 ‖ |ctx| ‖ ctx ‖ M (FIPS 204 Alg. 2 and 7).
                let mut h = sha3::Shake256::default();
                h.update(&tr());
                h.update(&[0, context.len() as u8]);
                h.update(context);
                h.update(whole);
                h.update(data);
                *whole = Vec::new();
                *mu = Some(h);
            }
            Input::Pure { whole, .. } => whole.extend_from_slice(data),
            Input::Digest { digest, hash } => {
                if digest.len() + data.len() > hash.digest_len() {
                    return Err(Ckr::DATA_LEN_RANGE);
                }
                digest.extend_from_slice(data);
            }
            Input::Hashing { hasher, .. } => hasher.update(data),
        }
        Ok(())
    }

    /// The input so far, for signing or verifying; the input starts over.
    fn finish(&mut self, context: &[u8]) -> Result<Prepared> {
        Ok(match self {
            Input::Pure { whole, mu, .. } => match mu.take() {
                Some(h) => {
                    let mut out = [0u8; 64];
                    h.finalize_xof().read(&mut out);
                    Prepared::Mu(out)
                }
                None => Prepared::Message(std::mem::take(whole)),
            },
            Input::Digest { digest, hash } => {
                if digest.len() != hash.digest_len() {
                    return Err(Ckr::DATA_LEN_RANGE);
                }
                Prepared::MPrime(hash.m_prime(context, &std::mem::take(digest)))
            }
            Input::Hashing { hasher, hash } => {
                Prepared::MPrime(hash.m_prime(context, &hasher.finish()))
            }
        })
    }
}

/// A signature in progress.
pub(super) struct Signing {
    set: Set,
    private: Value,
    rnd: Rnd,
    context: Vec<u8>,
    input: Input,
}

/// Start a signature with `key`, a CKK_ML_DSA private key object.
pub(super) fn signer(
    key: &Attributes,
    rnd: Rnd,
    context: Vec<u8>,
    input: Input,
) -> Result<Signing> {
    let key = seeded::private_key::<Set>(key)?;
    Ok(Signing {
        set: key.set,
        private: Value::new(key.value.to_vec()),
        rnd,
        context,
        input,
    })
}

impl Signer for Signing {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        // tr is bytes 64..128 of the expanded key.
        let tr = || {
            let mut tr = [0u8; 64];
            tr.copy_from_slice(&self.private[64..128]);
            tr
        };
        self.input.update(data, &self.context, tr)
    }

    fn single_part(&self) -> bool {
        matches!(self.input, Input::Digest { .. })
    }

    fn finish(&mut self) -> Result<Vec<u8>> {
        let rnd = self.rnd.draw()?;
        match self.input.finish(&self.context)? {
            Prepared::Message(m) => self.set.sign(&self.private, &m, &self.context, &rnd),
            Prepared::Mu(mu) => self.set.sign_mu(&self.private, &mu, &rnd),
            Prepared::MPrime(m) => self.set.sign_internal(&self.private, &m, &rnd),
        }
    }
}

/// A verification in progress.
pub(super) struct Verifying {
    set: Set,
    public: Vec<u8>,
    context: Vec<u8>,
    input: Input,
}

/// Start a verification with `key`, a CKK_ML_DSA public key object.
pub(super) fn verifier(key: &Attributes, context: Vec<u8>, input: Input) -> Result<Verifying> {
    let (set, public) = seeded::public_key::<Set>(key)?;
    Ok(Verifying {
        set,
        public: public.to_vec(),
        context,
        input,
    })
}

impl Verifier for Verifying {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        let public = &self.public;
        self.input.update(data, &self.context, || h64(&[public]))
    }

    fn single_part(&self) -> bool {
        matches!(self.input, Input::Digest { .. })
    }

    fn finish(&mut self, signature: &[u8]) -> Result<()> {
        let input = self.input.finish(&self.context)?;
        if signature.len() != self.set.signature_len() {
            return Err(Ckr::SIGNATURE_LEN_RANGE);
        }
        match input {
            Prepared::Message(m) => self.set.verify(&self.public, &m, &self.context, signature),
            Prepared::Mu(mu) => self.set.verify_mu(&self.public, &mu, signature),
            Prepared::MPrime(m) => self.set.verify_internal(&self.public, &m, signature),
        }
    }
}
