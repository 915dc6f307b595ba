//! Every case of slhdsa-keygen, slhdsa-siggen, slhdsa-siggen-supplement and
//! slhdsa-sigver. What PKCS#11 can express (external pure signing with a
//! context, deterministic; verification; key import) goes through the
//! registry; the internal-interface cases (slh_*_internal on a raw M, seeded
//! key generation, injected addrnd) call the parameter-set functions the
//! mechanisms themselves call.

use super::{context, key, set_named, sign, verify};
use crate::error::Ckr;
use crate::mech::registry;
use crate::mech::test_vectors::{dir, Field, Json};
use cryptoki_sys::*;
use std::time::{Duration, Instant};

fn cases(file: &str) -> Vec<Json> {
    let path = dir().join(format!("{file}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let parsed: Json = serde_json::from_str(&text).expect("JSON");
    parsed["cases"].arr().clone()
}

/// Pass count, failures by id, and the slowest case.
#[derive(Default)]
struct Tally {
    pass: usize,
    failed: Vec<String>,
    slowest: (Duration, String),
}

impl Tally {
    fn record(&mut self, case: &Json, started: Instant, ok: bool) {
        let id = case["id"].str().to_string();
        let took = started.elapsed();
        if took > self.slowest.0 {
            self.slowest = (took, format!("{id} ({})", case["parameterSet"].str()));
        }
        if ok {
            self.pass += 1;
        } else {
            self.failed.push(id);
        }
    }

    fn report(self, file: &str, started: Instant) {
        let total = self.pass + self.failed.len();
        println!(
            "{file}: {}/{total} pass in {:.1?} (slowest {:.1?}: {})",
            self.pass,
            started.elapsed(),
            self.slowest.0,
            self.slowest.1
        );
        assert!(self.failed.is_empty(), "{file} failed: {:?}", self.failed);
        assert!(total > 0, "{file}: no cases");
    }
}

/// slh_keygen_internal from the three seeds, then C_CreateObject of the
/// private key (which recomputes PK.root) and CKM_PUB_KEY_FROM_PRIV_KEY.
#[test]
fn slhdsa_keygen_every_case() {
    let started = Instant::now();
    let family = registry().family(CKK_SLH_DSA).unwrap().unwrap();
    let mut tally = Tally::default();
    for case in cases("slhdsa-keygen") {
        let t = Instant::now();
        let set = set_named(case["parameterSet"].str());
        let seeds = [
            case["skSeed"].hex(),
            case["skPrf"].hex(),
            case["pkSeed"].hex(),
        ]
        .concat();
        let (sk, pk) = (case["sk"].hex(), case["pk"].hex());
        let mut ok = set.keypair(&seeds).is_ok_and(|got| *got == sk);
        let mut private = key(CKO_PRIVATE_KEY, set, &sk);
        ok &= family.complete_private(&mut private).is_ok();
        ok &= family
            .public_from_private(&private)
            .is_ok_and(|p| p.get(CKA_VALUE) == Some(&pk[..]));
        tally.record(&case, t, ok);
    }
    tally.report("slhdsa-keygen", started);
}

/// slh_sign_internal(M, SK, addrnd): deterministic cases with addrnd =
/// PK.seed (no randomness), hedged ones with the given addrnd; each
/// signature is also checked with slh_verify_internal.
#[test]
fn slhdsa_siggen_every_case() {
    let started = Instant::now();
    let mut tally = Tally::default();
    for case in cases("slhdsa-siggen") {
        let t = Instant::now();
        let set = set_named(case["parameterSet"].str());
        assert_eq!(case["interface"].str(), "internal");
        let (sk, message) = (case["sk"].hex(), case["message"].hex());
        let addrnd = (!case["deterministic"].as_bool().expect("flag"))
            .then(|| case["additionalRandomness"].hex());
        let got = set.sign(&sk, &[&message], addrnd.as_deref());
        let ok = got.as_ref().is_ok_and(|s| *s == case["signature"].hex())
            && set
                .verify(&sk[2 * set.n..], &[&message], &got.unwrap_or_default())
                .is_ok();
        tally.record(&case, t, ok);
    }
    tally.report("slhdsa-siggen", started);
}

/// External pure cases with a context: deterministic ones through
/// CKM_SLH_DSA with CKH_DETERMINISTIC_REQUIRED; hedged ones need the given
/// addrnd, so they sign M' = 0 ‖ |ctx| ‖ ctx ‖ M internally. Every
/// external signature then verifies through CKM_SLH_DSA with its context.
#[test]
fn slhdsa_siggen_supplement_every_case() {
    let started = Instant::now();
    let mut tally = Tally::default();
    for case in cases("slhdsa-siggen-supplement") {
        let t = Instant::now();
        let set = set_named(case["parameterSet"].str());
        let (sk, message, expected) = (
            case["sk"].hex(),
            case["message"].hex(),
            case["signature"].hex(),
        );
        let deterministic = case["deterministic"].as_bool().expect("flag");
        let addrnd = (!deterministic).then(|| case["additionalRandomness"].hex());
        let ok = if case["interface"].str() == "external" {
            assert_eq!(case["preHash"].str(), "pure");
            let ctx = case["context"].hex();
            let got = if deterministic {
                let param = context(CKH_DETERMINISTIC_REQUIRED, &ctx);
                sign(
                    CKM_SLH_DSA,
                    &param,
                    &key(CKO_PRIVATE_KEY, set, &sk),
                    &[&message],
                )
            } else {
                set.sign(
                    &sk,
                    &[&[0], &[ctx.len() as u8], &ctx, &message],
                    addrnd.as_deref(),
                )
            };
            let public = key(CKO_PUBLIC_KEY, set, &sk[2 * set.n..]);
            got == Ok(expected.clone())
                && verify(
                    CKM_SLH_DSA,
                    &context(CKH_HEDGE_REQUIRED, &ctx),
                    &public,
                    &[&message],
                    &expected,
                )
                .is_ok()
        } else {
            set.sign(&sk, &[&message], addrnd.as_deref()) == Ok(expected)
        };
        tally.record(&case, t, ok);
    }
    tally.report("slhdsa-siggen-supplement", started);
}

/// slh_verify_internal: valid signatures verify; a signature of the wrong
/// length (the "too small" cases) is CKR_SIGNATURE_LEN_RANGE, every other
/// invalid one (modified R, SIG_FORS, SIG_HT, altered message)
/// CKR_SIGNATURE_INVALID.
#[test]
fn slhdsa_sigver_every_case() {
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut reasons = std::collections::BTreeSet::new();
    for case in cases("slhdsa-sigver") {
        let t = Instant::now();
        let set = set_named(case["parameterSet"].str());
        let signature = case["signature"].hex();
        let got = set.verify(&case["pk"].hex(), &[&case["message"].hex()], &signature);
        let reason = case["reason"].as_str().unwrap_or("");
        reasons.insert(reason.to_string());
        if reason.contains("too small") {
            assert!(signature.len() < set.sig_len, "{}", case["id"].str());
        }
        let expected = match case["result"].str() {
            "valid" => Ok(()),
            _ if signature.len() != set.sig_len => Err(Ckr::SIGNATURE_LEN_RANGE),
            _ => Err(Ckr::SIGNATURE_INVALID),
        };
        tally.record(&case, t, got == expected);
    }
    println!("slhdsa-sigver reasons: {reasons:?}");
    tally.report("slhdsa-sigver", started);
}
