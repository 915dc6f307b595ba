//! ML-DSA against every case of the shared vector files. Keys are imported
//! through the key family (C_CreateObject). Signatures the mechanisms can
//! express go through them: the mechanism's parameter handling and its
//! signer, with the whole-message path and the μ path, and deterministic
//! cases also through the registry exactly as C_Sign runs them. Hedged cases
//! inject the given rnd; the ACVP internal interface (M′ or μ given) calls
//! the entry points the mechanisms use for HashML-DSA and long messages.

use super::sign::{self, Input, Rnd};
use super::*;
use crate::mech::param_set::ParameterSet;
use crate::mech::registry;
use crate::mech::seeded::testing::{
    cases, import_private, import_public, opt_hex, public_of, value, Tally,
};
use crate::mech::test_vectors::{Field, Json};

pub(super) fn set(case: &Json) -> Set {
    match case["parameterSet"].str() {
        "ML-DSA-44" => Set::MlDsa44,
        "ML-DSA-65" => Set::MlDsa65,
        "ML-DSA-87" => Set::MlDsa87,
        other => panic!("parameter set {other}"),
    }
}

/// The mechanism object of a signature mechanism type.
pub(super) fn mechanism(ty: CK_MECHANISM_TYPE) -> DsaMech {
    let kind = match ty {
        CKM_ML_DSA => Kind::Pure,
        CKM_HASH_ML_DSA => Kind::PreHashed,
        _ => {
            let (_, _, hash) = super::HASHING_MECHANISMS
                .iter()
                .find(|(t, _, _)| *t == ty)
                .unwrap();
            Kind::Hashing(*hash)
        }
    };
    DsaMech { ty, name: "", kind }
}

/// `DsaMech::sign` with a chosen rnd (`None`: as the hedge says) and a
/// chosen whole-message limit for CKM_ML_DSA.
pub(super) fn signer(
    ty: CK_MECHANISM_TYPE,
    param: &MechParam,
    key: &Attributes,
    rnd: Option<[u8; 32]>,
    limit: usize,
) -> Result<sign::Signing> {
    let m = Mechanism {
        ty,
        param: param.clone(),
    };
    let (hedge, context, input) = mechanism(ty).parameters(&m)?;
    let rnd = match rnd {
        Some(given) => Rnd::Given(given),
        None => Rnd::of_hedge(hedge)?,
    };
    let input = match input {
        Input::Pure { .. } => Input::pure(limit),
        other => other,
    };
    sign::signer(key, rnd, context, input)
}

/// `DsaMech::verify` with a chosen whole-message limit.
pub(super) fn verifier(
    ty: CK_MECHANISM_TYPE,
    param: &MechParam,
    key: &Attributes,
    limit: usize,
) -> Result<sign::Verifying> {
    let m = Mechanism {
        ty,
        param: param.clone(),
    };
    let (_, context, input) = mechanism(ty).parameters(&m)?;
    let input = match input {
        Input::Pure { .. } => Input::pure(limit),
        other => other,
    };
    sign::verifier(key, context, input)
}

/// Single-part signature, kept whole and through μ, which must agree.
fn sign_both(
    ty: CK_MECHANISM_TYPE,
    param: &MechParam,
    key: &Attributes,
    rnd: Option<[u8; 32]>,
    data: &[u8],
) -> Result<Vec<u8>> {
    let [whole, mu] = [WHOLE_MESSAGE_LIMIT, 0].map(|limit| {
        let mut s = signer(ty, param, key, rnd, limit)?;
        s.update(data)?;
        s.finish()
    });
    assert_eq!(whole, mu);
    whole
}

/// Single-part verification, kept whole and through μ, which must agree.
fn verify_both(
    ty: CK_MECHANISM_TYPE,
    param: &MechParam,
    key: &Attributes,
    data: &[u8],
    sig: &[u8],
) -> Result<()> {
    let [whole, mu] = [WHOLE_MESSAGE_LIMIT, 0].map(|limit| {
        let mut v = verifier(ty, param, key, limit)?;
        v.update(data)?;
        v.finish(sig)
    });
    assert_eq!(whole, mu);
    whole
}

/// C_Sign as the token runs it.
fn registry_sign(
    ty: CK_MECHANISM_TYPE,
    param: &MechParam,
    key: &Attributes,
    data: &[u8],
) -> Result<Vec<u8>> {
    let m = Mechanism {
        ty,
        param: param.clone(),
    };
    let mut s = registry().get(ty)?.sign(&m, key)?;
    s.update(data)?;
    s.finish()
}

/// C_Verify as the token runs it.
fn registry_verify(
    ty: CK_MECHANISM_TYPE,
    param: &MechParam,
    key: &Attributes,
    data: &[u8],
    sig: &[u8],
) -> Result<()> {
    let m = Mechanism {
        ty,
        param: param.clone(),
    };
    let mut v = registry().get(ty)?.verify(&m, key)?;
    v.update(data)?;
    v.finish(sig)
}

fn hash_named(name: &str) -> PreHash {
    match name {
        "SHA2-224" => PreHash::Sha224,
        "SHA2-256" => PreHash::Sha256,
        "SHA2-384" => PreHash::Sha384,
        "SHA2-512" => PreHash::Sha512,
        "SHA2-512/224" => PreHash::Sha512_224,
        "SHA2-512/256" => PreHash::Sha512_256,
        "SHA3-224" => PreHash::Sha3_224,
        "SHA3-256" => PreHash::Sha3_256,
        "SHA3-384" => PreHash::Sha3_384,
        "SHA3-512" => PreHash::Sha3_512,
        "SHAKE-128" => PreHash::Shake128,
        "SHAKE-256" => PreHash::Shake256,
        other => panic!("hash {other}"),
    }
}

/// How CK_HASH_SIGN_ADDITIONAL_CONTEXT names each pre-hash.
pub(super) const HASH_PARAMS: [(CK_MECHANISM_TYPE, PreHash); 12] = [
    (CKM_SHA224, PreHash::Sha224),
    (CKM_SHA256, PreHash::Sha256),
    (CKM_SHA384, PreHash::Sha384),
    (CKM_SHA512, PreHash::Sha512),
    (CKM_SHA512_224, PreHash::Sha512_224),
    (CKM_SHA512_256, PreHash::Sha512_256),
    (CKM_SHA3_224, PreHash::Sha3_224),
    (CKM_SHA3_256, PreHash::Sha3_256),
    (CKM_SHA3_384, PreHash::Sha3_384),
    (CKM_SHA3_512, PreHash::Sha3_512),
    (CKM_SHAKE_128_KEY_DERIVATION, PreHash::Shake128),
    (CKM_SHAKE_256_KEY_DERIVATION, PreHash::Shake256),
];

/// The HashML-DSA ways to sign or verify a message with `hash`: the caller's
/// digest through CKM_HASH_ML_DSA, and, where PKCS#11 has one, the
/// mechanism that hashes the message itself. (type, parameter, input).
fn hash_ways(
    hash: PreHash,
    hedge: CK_HEDGE_TYPE,
    context: &[u8],
    message: &[u8],
) -> Vec<(CK_MECHANISM_TYPE, MechParam, Vec<u8>)> {
    let (hash_ty, _) = HASH_PARAMS.iter().find(|(_, h)| *h == hash).unwrap();
    let mut hasher = hash.hasher();
    hasher.update(message);
    let mut ways = vec![(
        CKM_HASH_ML_DSA,
        MechParam::HashSignContext {
            hedge,
            context: context.to_vec(),
            hash: *hash_ty,
        },
        hasher.finish(),
    )];
    if let Some((ty, _, _)) = super::HASHING_MECHANISMS
        .iter()
        .find(|(_, _, h)| *h == hash)
    {
        let param = MechParam::SignContext {
            hedge,
            context: context.to_vec(),
        };
        ways.push((*ty, param, message.to_vec()));
    }
    ways
}

fn import_key(case: &Json) -> Result<Attributes> {
    let param = Some(set(case).param());
    match case["keyFormat"].str() {
        "seed" => import_private::<Set>(param, Some(&case["seed"].hex()), None),
        _ => import_private::<Set>(param, None, Some(&case["sk"].hex())),
    }
}

fn a32(bytes: &[u8]) -> [u8; 32] {
    bytes.try_into().unwrap()
}

fn a64(bytes: &[u8]) -> [u8; 64] {
    bytes.try_into().unwrap()
}

#[test]
fn acvp_keygen() {
    let mut t = Tally::new("mldsa-keygen");
    for c in cases("mldsa-keygen") {
        let key =
            import_private::<Set>(Some(set(&c).param()), Some(&c["seed"].hex()), None).unwrap();
        let public = public_of::<Set>(&key).unwrap();
        // The expanded key alone passes the import checks and gives pk too.
        let expanded = import_private::<Set>(None, None, Some(&c["sk"].hex())).unwrap();
        let from_expanded = public_of::<Set>(&expanded).unwrap();
        t.check(
            &c,
            value(&key) == c["sk"].hex()
                && value(&public) == c["pk"].hex()
                && from_expanded == public,
        );
    }
    t.done();
}

#[test]
fn acvp_siggen() {
    let mut t = Tally::new("mldsa-siggen");
    for c in cases("mldsa-siggen") {
        let key = import_key(&c).unwrap();
        let (s, sk, want) = (set(&c), value(&key), c["signature"].hex());
        let deterministic = c["deterministic"].as_bool().unwrap();
        let rnd = if deterministic {
            [0; 32]
        } else {
            a32(&c["rnd"].hex())
        };
        let hedge = if deterministic {
            CKH_DETERMINISTIC_REQUIRED
        } else {
            CKH_HEDGE_REQUIRED
        };
        let ok = match (
            c["interface"].str(),
            c.get("preHash").and_then(Json::as_str),
        ) {
            ("external", Some("pure")) => {
                let param = MechParam::SignContext {
                    hedge,
                    context: c["context"].hex(),
                };
                let message = c["message"].hex();
                sign_both(CKM_ML_DSA, &param, &key, Some(rnd), &message) == Ok(want.clone())
                    && (!deterministic
                        || registry_sign(CKM_ML_DSA, &param, &key, &message) == Ok(want.clone()))
            }
            ("external", Some("preHash")) => {
                let hash = hash_named(c["hashAlg"].str());
                let ways = hash_ways(hash, hedge, &c["context"].hex(), &c["message"].hex());
                ways.iter().all(|(ty, param, data)| {
                    sign_both(*ty, param, &key, Some(rnd), data) == Ok(want.clone())
                        && (!deterministic
                            || registry_sign(*ty, param, &key, data) == Ok(want.clone()))
                })
            }
            ("internal", _) if c["externalMu"].as_bool() == Some(true) => {
                s.sign_mu(&sk, &a64(&c["mu"].hex()), &rnd) == Ok(want)
            }
            ("internal", _) => s.sign_internal(&sk, &c["message"].hex(), &rnd) == Ok(want),
            (interface, pre_hash) => panic!("{interface} {pre_hash:?}"),
        };
        t.check(&c, ok);
    }
    t.done();
}

#[test]
fn acvp_sigver() {
    let mut t = Tally::new("mldsa-sigver");
    for c in cases("mldsa-sigver") {
        let (s, pk, sig) = (set(&c), c["pk"].hex(), c["signature"].hex());
        let public = import_public::<Set>(Some(s.param()), &pk).unwrap();
        let want = match c["result"].str() {
            "valid" => Ok(()),
            _ => Err(Ckr::SIGNATURE_INVALID),
        };
        let ok = match (
            c["interface"].str(),
            c.get("preHash").and_then(Json::as_str),
        ) {
            ("external", Some("pure")) => {
                let param = MechParam::SignContext {
                    hedge: CKH_HEDGE_PREFERRED,
                    context: c["context"].hex(),
                };
                let message = c["message"].hex();
                verify_both(CKM_ML_DSA, &param, &public, &message, &sig) == want
                    && registry_verify(CKM_ML_DSA, &param, &public, &message, &sig) == want
            }
            ("external", Some("preHash")) => {
                let hash = hash_named(c["hashAlg"].str());
                let ways = hash_ways(
                    hash,
                    CKH_HEDGE_PREFERRED,
                    &c["context"].hex(),
                    &c["message"].hex(),
                );
                ways.iter().all(|(ty, param, data)| {
                    verify_both(*ty, param, &public, data, &sig) == want
                        && registry_verify(*ty, param, &public, data, &sig) == want
                })
            }
            ("internal", _) if c["externalMu"].as_bool() == Some(true) => {
                s.verify_mu(&pk, &a64(&c["mu"].hex()), &sig) == want
            }
            ("internal", _) => s.verify_internal(&pk, &c["message"].hex(), &sig) == want,
            (interface, pre_hash) => panic!("{interface} {pre_hash:?}"),
        };
        t.check(&c, ok);
    }
    t.done();
}

#[test]
fn wycheproof_sign() {
    let mut t = Tally::new("wycheproof-mldsa-sign");
    for c in cases("wycheproof-mldsa-sign") {
        let signature = import_key(&c).and_then(|key| {
            if let Some(pk) = opt_hex(&c, "pk") {
                assert_eq!(
                    value(&public_of::<Set>(&key).unwrap()),
                    pk,
                    "{}",
                    c["id"].str()
                );
            }
            let rnd = opt_hex(&c, "rnd").map(|r| a32(&r));
            match opt_hex(&c, "message") {
                // Flag "Internal": only μ is given.
                None => {
                    set(&c).sign_mu(&value(&key), &a64(&c["mu"].hex()), &rnd.unwrap_or([0; 32]))
                }
                Some(message) => {
                    let param = MechParam::SignContext {
                        hedge: CKH_DETERMINISTIC_REQUIRED,
                        context: opt_hex(&c, "context").unwrap_or_default(),
                    };
                    let mechanism = sign_both(CKM_ML_DSA, &param, &key, rnd, &message);
                    if rnd.is_none() {
                        assert_eq!(registry_sign(CKM_ML_DSA, &param, &key, &message), mechanism);
                    }
                    mechanism
                }
            }
        });
        let ok = match c["result"].str() {
            "valid" => signature == Ok(c["signature"].hex()),
            _ => signature.is_err(),
        };
        t.check(&c, ok);
    }
    t.done();
}

#[test]
fn wycheproof_verify() {
    let mut t = Tally::new("wycheproof-mldsa-verify");
    for c in cases("wycheproof-mldsa-verify") {
        let param = match opt_hex(&c, "context") {
            None => MechParam::None,
            Some(context) => MechParam::SignContext {
                hedge: CKH_HEDGE_PREFERRED,
                context,
            },
        };
        let (message, sig) = (c["message"].hex(), c["signature"].hex());
        let verdict = import_public::<Set>(None, &c["pk"].hex()).and_then(|public| {
            let result = registry_verify(CKM_ML_DSA, &param, &public, &message, &sig);
            assert_eq!(
                verify_both(CKM_ML_DSA, &param, &public, &message, &sig),
                result
            );
            result
        });
        t.check(&c, verdict.is_ok() == (c["result"].str() == "valid"));
    }
    t.done();
}
