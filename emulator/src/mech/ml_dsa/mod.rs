//! ML-DSA (FIPS 204): CKM_ML_DSA_KEY_PAIR_GEN, CKM_ML_DSA, CKM_HASH_ML_DSA
//! and CKM_HASH_ML_DSA_<hash>, and the CKK_ML_DSA key family.
//!
//! libcrux-ml-dsa does key generation and every signature it can express
//! (ML-DSA.Sign with a context, Sign_internal on HashML-DSA's M′); RustCrypto
//! `ml-dsa` signs and verifies from μ, which multi-part CKM_ML_DSA computes
//! incrementally once a message outgrows its buffer ([`sign`]).

mod set;
mod sign;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;

use super::prehash::PreHash;
use super::{param_set, seeded};
use super::{MechParam, Mechanism, MechanismImpl, Registry, Signer, Verifier};
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use cryptoki_sys::*;
pub(super) use set::Set;
use sign::{Input, Rnd};

/// CKM_HASH_ML_DSA_<hash>: the mechanisms that hash the message themselves.
pub(super) const HASHING_MECHANISMS: &[(CK_MECHANISM_TYPE, &str, PreHash)] = &[
    (
        CKM_HASH_ML_DSA_SHA224,
        "CKM_HASH_ML_DSA_SHA224",
        PreHash::Sha224,
    ),
    (
        CKM_HASH_ML_DSA_SHA256,
        "CKM_HASH_ML_DSA_SHA256",
        PreHash::Sha256,
    ),
    (
        CKM_HASH_ML_DSA_SHA384,
        "CKM_HASH_ML_DSA_SHA384",
        PreHash::Sha384,
    ),
    (
        CKM_HASH_ML_DSA_SHA512,
        "CKM_HASH_ML_DSA_SHA512",
        PreHash::Sha512,
    ),
    (
        CKM_HASH_ML_DSA_SHA3_224,
        "CKM_HASH_ML_DSA_SHA3_224",
        PreHash::Sha3_224,
    ),
    (
        CKM_HASH_ML_DSA_SHA3_256,
        "CKM_HASH_ML_DSA_SHA3_256",
        PreHash::Sha3_256,
    ),
    (
        CKM_HASH_ML_DSA_SHA3_384,
        "CKM_HASH_ML_DSA_SHA3_384",
        PreHash::Sha3_384,
    ),
    (
        CKM_HASH_ML_DSA_SHA3_512,
        "CKM_HASH_ML_DSA_SHA3_512",
        PreHash::Sha3_512,
    ),
    (
        CKM_HASH_ML_DSA_SHAKE128,
        "CKM_HASH_ML_DSA_SHAKE128",
        PreHash::Shake128,
    ),
    (
        CKM_HASH_ML_DSA_SHAKE256,
        "CKM_HASH_ML_DSA_SHAKE256",
        PreHash::Shake256,
    ),
];

/// What a signature mechanism signs.
#[derive(Clone, Copy)]
enum Kind {
    /// CKM_ML_DSA: ML-DSA.Sign of the message.
    Pure,
    /// CKM_HASH_ML_DSA: HashML-DSA of a digest the caller made.
    PreHashed,
    /// CKM_HASH_ML_DSA_<hash>: HashML-DSA, hashing the message here.
    Hashing(PreHash),
}

/// Messages of CKM_ML_DSA up to this length are kept whole and signed by
/// libcrux (about 6× faster than signing from μ); longer ones are hashed
/// into μ as they arrive. The signatures are the same either way.
const WHOLE_MESSAGE_LIMIT: usize = 64 * 1024;

/// One ML-DSA signature mechanism.
struct DsaMech {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    kind: Kind,
}

impl DsaMech {
    /// The hedge, context and input of the mechanism parameter. No parameter
    /// means CKH_HEDGE_PREFERRED and an empty context, except for
    /// CKM_HASH_ML_DSA, which must name its hash.
    fn parameters(&self, m: &Mechanism) -> Result<(CK_HEDGE_TYPE, Vec<u8>, Input)> {
        let (hedge, context, input) = match (self.kind, &m.param) {
            (Kind::Pure, MechParam::None) => (
                CKH_HEDGE_PREFERRED,
                Vec::new(),
                Input::pure(WHOLE_MESSAGE_LIMIT),
            ),
            (Kind::Pure, MechParam::SignContext { hedge, context }) => {
                (*hedge, context.clone(), Input::pure(WHOLE_MESSAGE_LIMIT))
            }
            (Kind::Hashing(h), MechParam::None) => {
                (CKH_HEDGE_PREFERRED, Vec::new(), Input::hashing(h))
            }
            (Kind::Hashing(h), MechParam::SignContext { hedge, context }) => {
                (*hedge, context.clone(), Input::hashing(h))
            }
            (
                Kind::PreHashed,
                MechParam::HashSignContext {
                    hedge,
                    context,
                    hash,
                },
            ) => {
                let h = PreHash::of_mechanism(*hash).ok_or(Ckr::MECHANISM_PARAM_INVALID)?;
                (*hedge, context.clone(), Input::digest(h))
            }
            _ => return Err(Ckr::MECHANISM_PARAM_INVALID),
        };
        if context.len() > 255 {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
        Ok((hedge, context, input))
    }
}

impl MechanismImpl for DsaMech {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        param_set::mechanism_info::<Set>(CKF_SIGN | CKF_VERIFY)
    }
    fn sign(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Signer>> {
        let (hedge, context, input) = self.parameters(m)?;
        let rnd = Rnd::of_hedge(hedge)?;
        Ok(Box::new(sign::signer(key, rnd, context, input)?))
    }
    /// The hedge is ignored on verification.
    fn verify(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Verifier>> {
        let (_, context, input) = self.parameters(m)?;
        Ok(Box::new(sign::verifier(key, context, input)?))
    }
}

pub(crate) fn register(r: &mut Registry) {
    r.add(param_set::KeyPairGen::<Set> {
        ty: CKM_ML_DSA_KEY_PAIR_GEN,
        name: "CKM_ML_DSA_KEY_PAIR_GEN",
        scheme: std::marker::PhantomData,
    });
    r.add(DsaMech {
        ty: CKM_ML_DSA,
        name: "CKM_ML_DSA",
        kind: Kind::Pure,
    });
    r.add(DsaMech {
        ty: CKM_HASH_ML_DSA,
        name: "CKM_HASH_ML_DSA",
        kind: Kind::PreHashed,
    });
    for (ty, name, hash) in HASHING_MECHANISMS {
        r.add(DsaMech {
            ty: *ty,
            name,
            kind: Kind::Hashing(*hash),
        });
    }
    r.add_family(seeded::Family::<Set>::new());
}

/// ACVP ML-DSA keyGen FIPS204 tg2/tc26 (ML-DSA-65): ξ and SHA3-256(pk ‖ sk).
const KAT_KEYGEN_SEED: &str = "a991fd42b071d49c48ae3e75c647459e0daad1e1ba356a04801912d3294bcff8";
const KAT_KEYGEN_SHA3: &str = "6d3c24fabceb657da3936711f675c1770bf0871cb623482b33e463fc92fd9058";
/// ACVP ML-DSA sigGen FIPS204-tr1 tg6/tc79 (ML-DSA-65, seed key, HashML-DSA
/// with SHA3-512, deterministic): ξ, context, SHA3-512 of the message, and
/// SHA3-256 of the signature.
const KAT_SIGN_SEED: &str = "29459d36d9a71b4fe4a201438489235495650a9389dd5ddc0a5c295c14078ae6";
const KAT_SIGN_CONTEXT: &str = "dd7f43c6e52cae998d51dbf79002689ac714023fcfe56c9831e83b5081a34bab";
const KAT_SIGN_DIGEST: &str = "70933e183c9501ad47fbf90ed4e2e6b9881c1216dbb2165e249f86ecb6d7a3ed\
                               3280d6eed98037c5d6bb2159bdb3c6d26da689275e65130ed23c71cc45500219";
const KAT_SIGNATURE_SHA3: &str = "a4c971677e2ba5308d4a1ae23736a297097eed26f60ef7295c4adf29d0a13efa";

/// A CKK_ML_DSA-65 key pair object from ξ, completed by the key family as
/// C_CreateObject would.
fn kat_pair(seed: &str) -> Result<(Attributes, Attributes)> {
    let family = seeded::Family::<Set>::new();
    let mut private = Attributes::new();
    private.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    private.set_ulong(CKA_KEY_TYPE, CKK_ML_DSA);
    private.set_ulong(CKA_PARAMETER_SET, CKP_ML_DSA_65);
    private.set(CKA_SEED, super::self_test::unhex(seed)?);
    super::KeyFamily::complete_private(&family, &mut private)?;
    let mut public = super::KeyFamily::public_from_private(&family, &private)?;
    public.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
    public.set_ulong(CKA_KEY_TYPE, CKK_ML_DSA);
    Ok((public, private))
}

/// Known-answer test run at C_Initialize: a key pair from ξ, and a
/// deterministic HashML-DSA signature made and verified through the registry.
pub(crate) fn known_answer() -> Result<bool> {
    use sha3::{Digest, Sha3_256};
    let unhex = super::self_test::unhex;
    let (public, private) = kat_pair(KAT_KEYGEN_SEED)?;
    let value = |k: &Attributes| {
        k.get(CKA_VALUE)
            .map(<[u8]>::to_vec)
            .ok_or(Ckr::GENERAL_ERROR)
    };
    let keys = Sha3_256::digest([value(&public)?, value(&private)?].concat());
    let keys_ok = keys.as_slice() == unhex(KAT_KEYGEN_SHA3)?.as_slice();

    let (public, private) = kat_pair(KAT_SIGN_SEED)?;
    let m = Mechanism {
        ty: CKM_HASH_ML_DSA,
        param: MechParam::HashSignContext {
            hedge: CKH_DETERMINISTIC_REQUIRED,
            context: unhex(KAT_SIGN_CONTEXT)?,
            hash: CKM_SHA3_512,
        },
    };
    let mech = super::registry().get(CKM_HASH_ML_DSA)?;
    let digest = unhex(KAT_SIGN_DIGEST)?;
    let mut signer = mech.sign(&m, &private)?;
    signer.update(&digest)?;
    let signature = signer.finish()?;
    let mut verifier = mech.verify(&m, &public)?;
    verifier.update(&digest)?;
    verifier.finish(&signature)?;
    Ok(keys_ok && Sha3_256::digest(&signature).as_slice() == unhex(KAT_SIGNATURE_SHA3)?.as_slice())
}
