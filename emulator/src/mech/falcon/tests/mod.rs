//! Falcon tests: the round-3 KAT reproduced from its DRBG seeds (`kat`),
//! the PKCS#11 behaviour of the mechanisms (`rules`) and the key family
//! (`family`), and timings (`bench`, ignored by default).

mod drbg;
mod family;
mod kat;
mod rules;

use super::scheme::Set;
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use crate::mech::{registry, KeyPair, MechParam, Mechanism};
use crate::vendor::{CKK_FALCON, CKM_FALCON, CKM_FALCON_KEY_PAIR_GEN};
use cryptoki_sys::*;

/// A key object of `class` holding `value`, with CKA_PARAMETER_SET.
fn key(class: CK_OBJECT_CLASS, set: &Set, value: &[u8]) -> Attributes {
    let mut k = Attributes::new();
    k.set_ulong(CKA_CLASS, class);
    k.set_ulong(CKA_KEY_TYPE, CKK_FALCON);
    k.set_ulong(CKA_PARAMETER_SET, set.ckp);
    k.set(CKA_VALUE, value.to_vec());
    k
}

fn falcon() -> Mechanism {
    Mechanism {
        ty: CKM_FALCON,
        param: MechParam::None,
    }
}

/// C_Sign through the registry, the message in the given parts.
fn sign(key: &Attributes, parts: &[&[u8]]) -> Result<Vec<u8>> {
    let mut s = registry().get(CKM_FALCON)?.sign(&falcon(), key)?;
    for part in parts {
        s.update(part)?;
    }
    s.finish()
}

/// C_Verify through the registry.
fn verify(key: &Attributes, parts: &[&[u8]], signature: &[u8]) -> Result<()> {
    let mut v = registry().get(CKM_FALCON)?.verify(&falcon(), key)?;
    for part in parts {
        v.update(part)?;
    }
    v.finish(signature)
}

const PARAMETER_SET_NOT_SUPPORTED: Ckr = Ckr(CKR_PARAMETER_SET_NOT_SUPPORTED);

fn generate(public: &Attributes, private: &Attributes) -> Result<KeyPair> {
    let m = Mechanism {
        ty: CKM_FALCON_KEY_PAIR_GEN,
        param: MechParam::None,
    };
    registry()
        .get(CKM_FALCON_KEY_PAIR_GEN)?
        .generate_key_pair(&m, public, private)
}

fn template(attr: CK_ATTRIBUTE_TYPE, value: CK_ULONG) -> Attributes {
    let mut t = Attributes::new();
    t.set_ulong(attr, value);
    t
}

/// A key object from what the mechanism supplied, as C_GenerateKeyPair
/// stores it.
fn object(class: CK_OBJECT_CLASS, supplied: &Attributes) -> Attributes {
    let mut k = supplied.clone();
    k.set_ulong(CKA_CLASS, class);
    k
}
