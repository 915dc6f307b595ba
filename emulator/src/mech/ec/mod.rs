//! Elliptic curves: ECDSA and ECDH on P-256, P-384 and P-521, Ed25519
//! (CKM_EDDSA) and X25519 (CKM_ECDH1_DERIVE), their key-pair generators and
//! the CKK_EC, CKK_EC_EDWARDS and CKK_EC_MONTGOMERY key families.
//!
//! aws-lc-rs does key generation, ECDH, X25519, pure Ed25519 and PKCS#8 of
//! prime-curve keys; aws-lc itself ([`ffi`]) does what aws-lc-rs does not
//! expose: ECDSA over a caller's digest of any length, Ed25519ctx and
//! Ed25519ph.

pub(in crate::mech) mod curve;
pub(in crate::mech) mod ecdh;
pub(in crate::mech) mod ecdsa;
pub(in crate::mech) mod eddsa;
mod family;
mod ffi;
mod keygen;
pub(in crate::mech) mod keys;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(in crate::mech) mod wycheproof;

use super::{registry, MechParam, Mechanism, Registry};
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use cryptoki_sys::*;
use curve::Curve;

pub(crate) fn register(r: &mut Registry) {
    keygen::register(r);
    ecdsa::register(r);
    eddsa::register(r);
    ecdh::register(r);
    family::register(r);
}

/// A key object of `class` on `curve` holding `attr` = `hex_value`,
/// completed by its key family as C_CreateObject would.
fn kat_key(
    class: CK_OBJECT_CLASS,
    curve: Curve,
    attr: CK_ATTRIBUTE_TYPE,
    hex_value: &str,
) -> Result<Attributes> {
    let mut key = Attributes::new();
    key.set_ulong(CKA_CLASS, class);
    key.set_ulong(CKA_KEY_TYPE, curve.key_type());
    key.set(CKA_EC_PARAMS, curve.params_der()?);
    key.set(attr, super::self_test::unhex(hex_value)?);
    let family = registry()
        .family(curve.key_type())?
        .ok_or(Ckr::GENERAL_ERROR)?;
    if class == CKO_PRIVATE_KEY {
        family.complete_private(&mut key)?;
    } else {
        family.complete_public(&mut key)?;
    }
    Ok(key)
}

/// Wycheproof ecdsa_secp256r1_sha256_p1363_test tcId 1: public point,
/// message and signature r‖s.
const KAT_ECDSA: [&str; 3] = [
    "042927b10512bae3eddcfe467828128bad2903269919f7086069c8c4df6c732838\
     c7787964eaac00e5921fb1498a60f4606766b3d9685001558d1a974e7341513e",
    "313233343030",
    "2ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18\
     4cd60b855d442f5b3c7b11eb6c4e0ae7525fe710fab9aa7c77a67f79e6fadd76",
];

/// Wycheproof ecdh_secp256r1_test and x25519_test tcId 1: curve, private
/// key, peer public key, shared secret.
const KAT_ECDH: [(Curve, &str, &str, &str); 2] = [
    (
        Curve::P256,
        "0612465c89a023ab17855b0a6bcebfd3febb53aef84138647b5352e02c10c346",
        "0462d5bd3372af75fe85a040715d0f502428e07046868b0bfdfa61d731afe44f26\
         ac333a93a9e70a81cd5a95b5bf8d13990eb741c8c38872b4a07d275a014e30cf",
        "53020d908b0219328b658b525f26780e3ae12bcd952bb25a93bc0895e1714285",
    ),
    (
        Curve::X25519,
        "c8a9d5a91091ad851c668b0736c1c9a02936c0d3ad62670858088047ba057475",
        "504a36999f489cd2fdbc08baff3d88fa00569ba986cba22548ffde80f9806829",
        "436a2c040cf45fea9b29a0cb81b1f41458f863d0d61b453d0a982720d6d61320",
    ),
];

/// RFC 8032 §7.1 test 1: secret key and the signature of the empty message.
const KAT_ED25519: [&str; 2] = [
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555\
     fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
];

/// Verify through the registry.
fn verifies(ty: CK_MECHANISM_TYPE, key: &Attributes, data: &[u8], sig: &[u8]) -> Result<bool> {
    let m = Mechanism {
        ty,
        param: MechParam::None,
    };
    let mut v = registry().get(ty)?.verify(&m, key)?;
    v.update(data)?;
    match v.finish(sig) {
        Ok(()) => Ok(true),
        Err(Ckr::SIGNATURE_INVALID) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Known-answer test run at C_Initialize: an ECDSA P-256 verification (and
/// the rejection of a changed signature), ECDH on P-256 and X25519, and a
/// deterministic Ed25519 signature, all through the registry.
pub(crate) fn known_answer() -> Result<bool> {
    let unhex = super::self_test::unhex;
    let [point, msg, sig] = KAT_ECDSA;
    let public = kat_key(CKO_PUBLIC_KEY, Curve::P256, CKA_EC_POINT, point)?;
    let (msg, mut sig) = (unhex(msg)?, unhex(sig)?);
    let mut ok = verifies(CKM_ECDSA_SHA256, &public, &msg, &sig)?;
    sig[10] ^= 1;
    ok &= !verifies(CKM_ECDSA_SHA256, &public, &msg, &sig)?;

    let mut template = Attributes::new();
    template.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    for (curve, private, peer, shared) in KAT_ECDH {
        let key = kat_key(CKO_PRIVATE_KEY, curve, CKA_VALUE, private)?;
        let m = Mechanism {
            ty: CKM_ECDH1_DERIVE,
            param: MechParam::Ecdh {
                kdf: CKD_NULL,
                shared_data: Vec::new(),
                public_data: unhex(peer)?,
            },
        };
        let out = registry()
            .get(CKM_ECDH1_DERIVE)?
            .derive(&m, &key, &template)?;
        ok &= out.get(CKA_VALUE) == Some(&unhex(shared)?[..]);
    }

    let [seed, expected] = KAT_ED25519;
    let key = kat_key(CKO_PRIVATE_KEY, Curve::Ed25519, CKA_VALUE, seed)?;
    let m = Mechanism {
        ty: CKM_EDDSA,
        param: MechParam::None,
    };
    let sig = registry().get(CKM_EDDSA)?.sign(&m, &key)?.finish()?;
    ok &= sig == unhex(expected)?;
    Ok(ok)
}
