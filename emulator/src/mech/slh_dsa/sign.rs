//! CKM_SLH_DSA, CKM_HASH_SLH_DSA and CKM_HASH_SLH_DSA_<hash>: FIPS 205
//! slh_sign / slh_verify (Alg. 22, 24) and their pre-hash forms (Alg. 23,
//! 25), all reduced to slh_sign_internal / slh_verify_internal over
//! M' = pre-hash flag ‖ |ctx| ‖ ctx ‖ (M | OID ‖ PH(M)).

use super::params::{self, Set, MAX_PUBLIC_KEY_LEN, MIN_PUBLIC_KEY_LEN};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::prehash::{Hasher, PreHash};
use crate::mech::secret::append;
use crate::mech::{info, rng, MechParam, Mechanism, MechanismImpl, Signer, Verifier};
use cryptoki_sys::*;

/// What a signing mechanism signs.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    /// CKM_SLH_DSA: the message itself.
    Pure,
    /// CKM_HASH_SLH_DSA: a digest the caller made, with the hash the
    /// parameter names.
    Digest,
    /// CKM_HASH_SLH_DSA_<hash>: the message, hashed by the token.
    Hashing(PreHash),
}

/// One of the signing mechanisms.
pub(super) struct SlhSign {
    pub(super) ty: CK_MECHANISM_TYPE,
    pub(super) name: &'static str,
    pub(super) kind: Kind,
}

/// The mechanism parameter, read for one operation.
struct Params {
    hedge: CK_HEDGE_TYPE,
    context: Vec<u8>,
    /// The pre-hash, for the pre-hash mechanisms.
    prehash: Option<PreHash>,
}

/// The message as it accumulates.
enum Input {
    /// Pure SLH-DSA reads M twice (PRF_msg makes R from M, then H_msg
    /// hashes R with M again), so a multi-part message must be buffered.
    Message(Value),
    /// The caller's digest, checked against the hash's length.
    Digest { prehash: PreHash, digest: Vec<u8> },
    /// The token's running hash: streams.
    Hashing {
        prehash: PreHash,
        state: Box<Hasher>,
    },
}

impl Input {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        match self {
            Input::Message(buf) => append(buf, data),
            Input::Digest { prehash, digest } => {
                // Refused as soon as it is too long; too short at the end.
                if digest.len() + data.len() > prehash.digest_len() {
                    return Err(Ckr::DATA_LEN_RANGE);
                }
                digest.extend_from_slice(data);
            }
            Input::Hashing { state, .. } => state.update(data),
        }
        Ok(())
    }

    /// M' without its context part: either M, or OID ‖ PH(M).
    fn finish(&mut self) -> Result<Tail> {
        match self {
            Input::Message(buf) => Ok(Tail::Pure(std::mem::take(buf))),
            Input::Digest { prehash, digest } if digest.len() == prehash.digest_len() => {
                Ok(Tail::Hashed(prehash.oid_der(), std::mem::take(digest)))
            }
            Input::Digest { .. } => Err(Ckr::DATA_LEN_RANGE),
            Input::Hashing { prehash, state } => {
                Ok(Tail::Hashed(prehash.oid_der(), state.finish()))
            }
        }
    }
}

/// The end of M'.
enum Tail {
    Pure(Value),
    Hashed([u8; 11], Vec<u8>),
}

/// Signs or verifies M' = flag ‖ |ctx| ‖ ctx ‖ tail, passed to the library
/// as slices so nothing is copied together.
fn with_m_prime<T>(context: &[u8], tail: &Tail, f: impl FnOnce(&[&[u8]]) -> T) -> T {
    // The context length was checked to fit a byte when the operation began.
    let ctx_len = [context.len() as u8];
    match tail {
        Tail::Pure(message) => f(&[&[0], &ctx_len, context, message]),
        Tail::Hashed(oid, digest) => f(&[&[1], &ctx_len, context, oid, digest]),
    }
}

impl SlhSign {
    /// Read the parameter: CK_SIGN_ADDITIONAL_CONTEXT (or none) for the pure
    /// and hashing forms, CK_HASH_SIGN_ADDITIONAL_CONTEXT for
    /// CKM_HASH_SLH_DSA. The hedge variant is checked when signing only.
    fn params(&self, m: &Mechanism, signing: bool) -> Result<Params> {
        let (hedge, context, prehash) = match (self.kind, &m.param) {
            (Kind::Pure, MechParam::None) => (CKH_HEDGE_PREFERRED, Vec::new(), None),
            (Kind::Hashing(p), MechParam::None) => (CKH_HEDGE_PREFERRED, Vec::new(), Some(p)),
            (Kind::Pure, MechParam::SignContext { hedge, context }) => {
                (*hedge, context.clone(), None)
            }
            (Kind::Hashing(p), MechParam::SignContext { hedge, context }) => {
                (*hedge, context.clone(), Some(p))
            }
            (
                Kind::Digest,
                MechParam::HashSignContext {
                    hedge,
                    context,
                    hash,
                },
            ) => {
                let p = PreHash::of_mechanism(*hash).ok_or(Ckr::MECHANISM_PARAM_INVALID)?;
                (*hedge, context.clone(), Some(p))
            }
            _ => return Err(Ckr::MECHANISM_PARAM_INVALID),
        };
        if context.len() > 255 {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
        let hedge_known = matches!(
            hedge,
            CKH_HEDGE_PREFERRED | CKH_HEDGE_REQUIRED | CKH_DETERMINISTIC_REQUIRED
        );
        if signing && !hedge_known {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
        Ok(Params {
            hedge,
            context,
            prehash,
        })
    }

    fn input(&self, prehash: Option<PreHash>) -> Input {
        match (self.kind, prehash) {
            (Kind::Digest, Some(prehash)) => Input::Digest {
                prehash,
                digest: Vec::with_capacity(prehash.digest_len()),
            },
            (_, Some(prehash)) => Input::Hashing {
                prehash,
                state: Box::new(prehash.hasher()),
            },
            (_, None) => Input::Message(Value::new(Vec::new())),
        }
    }
}

impl MechanismImpl for SlhSign {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        info(
            MIN_PUBLIC_KEY_LEN as CK_ULONG,
            MAX_PUBLIC_KEY_LEN as CK_ULONG,
            CKF_SIGN | CKF_VERIFY,
        )
    }

    fn sign(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Signer>> {
        let params = self.params(m, true)?;
        let (set, sk) = params::of_key(key, CKO_PRIVATE_KEY)?;
        Ok(Box::new(SlhSigner {
            set,
            sk: Value::new(sk.to_vec()),
            hedged: params.hedge != CKH_DETERMINISTIC_REQUIRED,
            input: self.input(params.prehash),
            context: params.context,
        }))
    }

    fn verify(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Verifier>> {
        let params = self.params(m, false)?;
        let (set, pk) = params::of_key(key, CKO_PUBLIC_KEY)?;
        Ok(Box::new(SlhVerifier {
            set,
            pk: pk.to_vec(),
            input: self.input(params.prehash),
            context: params.context,
        }))
    }
}

/// A running SLH-DSA signature.
struct SlhSigner {
    set: &'static Set,
    sk: Value,
    context: Vec<u8>,
    /// Hedged (fresh n-byte addrnd) unless deterministic signing was required.
    hedged: bool,
    input: Input,
}

impl Signer for SlhSigner {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.input.update(data)
    }

    fn single_part(&self) -> bool {
        matches!(self.input, Input::Digest { .. })
    }

    fn finish(&mut self) -> Result<Vec<u8>> {
        let tail = self.input.finish()?;
        let addrnd = match self.hedged {
            true => {
                let mut r = Value::new(vec![0u8; self.set.n]);
                rng::fill(&mut r)?;
                Some(r)
            }
            false => None,
        };
        with_m_prime(&self.context, &tail, |m| {
            self.set
                .sign(&self.sk, m, addrnd.as_deref().map(Vec::as_slice))
        })
    }
}

/// A running SLH-DSA verification.
struct SlhVerifier {
    set: &'static Set,
    pk: Vec<u8>,
    context: Vec<u8>,
    input: Input,
}

impl Verifier for SlhVerifier {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.input.update(data)
    }

    fn single_part(&self) -> bool {
        matches!(self.input, Input::Digest { .. })
    }

    fn finish(&mut self, signature: &[u8]) -> Result<()> {
        let tail = self.input.finish()?;
        with_m_prime(&self.context, &tail, |m| {
            self.set.verify(&self.pk, m, signature)
        })
    }
}
