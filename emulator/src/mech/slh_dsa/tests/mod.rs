//! SLH-DSA tests: every case of the four vector files (`vectors`), and the
//! PKCS#11 behaviour of the mechanisms (`rules`) and the key family
//! (`family`), and timings (`bench`, ignored by default).

mod family;
mod rules;
mod vectors;

use super::params::{Set, SETS};
use crate::attr::Attributes;
use crate::error::Ckr;
use crate::error::Result;
use crate::mech::KeyPair;
use crate::mech::{registry, MechParam, Mechanism};
use cryptoki_sys::*;

fn set_named(name: &str) -> &'static Set {
    SETS.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("parameter set {name}"))
}

/// A key object of `class` holding `value`.
fn key(class: CK_OBJECT_CLASS, set: &Set, value: &[u8]) -> Attributes {
    let mut k = Attributes::new();
    k.set_ulong(CKA_CLASS, class);
    k.set_ulong(CKA_KEY_TYPE, CKK_SLH_DSA);
    k.set_ulong(CKA_PARAMETER_SET, set.ckp);
    k.set(CKA_VALUE, value.to_vec());
    k
}

/// CK_SIGN_ADDITIONAL_CONTEXT.
fn context(hedge: CK_HEDGE_TYPE, context: &[u8]) -> MechParam {
    MechParam::SignContext {
        hedge,
        context: context.to_vec(),
    }
}

/// C_SignInit + C_SignUpdate per part + C_SignFinal through the registry.
fn sign(
    ty: CK_MECHANISM_TYPE,
    param: &MechParam,
    key: &Attributes,
    parts: &[&[u8]],
) -> Result<Vec<u8>> {
    let m = Mechanism {
        ty,
        param: param.clone(),
    };
    let mut s = registry().get(ty)?.sign(&m, key)?;
    for part in parts {
        s.update(part)?;
    }
    s.finish()
}

/// The same for verification.
fn verify(
    ty: CK_MECHANISM_TYPE,
    param: &MechParam,
    key: &Attributes,
    parts: &[&[u8]],
    signature: &[u8],
) -> Result<()> {
    let m = Mechanism {
        ty,
        param: param.clone(),
    };
    let mut v = registry().get(ty)?.verify(&m, key)?;
    for part in parts {
        v.update(part)?;
    }
    v.finish(signature)
}

const PARAMETER_SET_NOT_SUPPORTED: Ckr = Ckr(CKR_PARAMETER_SET_NOT_SUPPORTED);

fn fast() -> &'static Set {
    Set::by_ckp(CKP_SLH_DSA_SHA2_128F).unwrap()
}

fn generate(public: &Attributes, private: &Attributes) -> Result<KeyPair> {
    let m = Mechanism {
        ty: CKM_SLH_DSA_KEY_PAIR_GEN,
        param: MechParam::None,
    };
    registry()
        .get(CKM_SLH_DSA_KEY_PAIR_GEN)?
        .generate_key_pair(&m, public, private)
}

fn with_set(ckp: CK_ULONG) -> Attributes {
    let mut t = Attributes::new();
    t.set_ulong(CKA_PARAMETER_SET, ckp);
    t
}

/// A generated pair as stored objects: (private, public).
fn pair(set: &Set) -> (Attributes, Attributes) {
    let pair = generate(&with_set(set.ckp), &Attributes::new()).unwrap();
    let mut private = pair.private.clone();
    private.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    let mut public = pair.public.clone();
    public.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
    (private, public)
}
