//! Shared by the `pqc_*` test binaries: the vector-file runner and the
//! pre-hash digests of HashML-DSA / HashSLH-DSA, computed here with the
//! sha2 / sha3 crates so the module's own digests are not trusted.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use cryptoki_sys::CK_SESSION_HANDLE;
use qrc_conformance::pqc::{self, Case, Tally};
use qrc_conformance::Fixture;
use serde_json::Value as Json;
use sha2::Digest;
use sha3::digest::{ExtendableOutput, Update};

/// Runs `run` on every case of `file` in one user session; `None` counts the
/// case as not expressible through PKCS#11. Prints the counts; fails on any
/// failure.
pub fn run_file(
    file: &str,
    mut run: impl FnMut(CK_SESSION_HANDLE, &Json) -> Option<Result<(), String>>,
) {
    let doc = pqc::load(file);
    let fx = Fixture::new();
    let s = fx.user_session();
    let mut tally = Tally::new(file);
    for case in pqc::cases(&doc) {
        match run(s.handle(), case) {
            Some(outcome) => tally.record(case.id(), outcome),
            None => tally.not_expressible(),
        }
    }
    tally.finish();
}

fn shake<X: Default + Update + ExtendableOutput>(msg: &[u8], len: usize) -> Vec<u8> {
    let mut x = X::default();
    x.update(msg);
    let mut out = vec![0u8; len];
    x.finalize_xof_into(&mut out);
    out
}

/// PH(M) for an ACVP `hashAlg` name (SHAKE-128 gives 32 bytes, SHAKE-256
/// 64, as FIPS 204 §5.4 / FIPS 205 §10.2 fix).
pub fn prehash_digest(name: &str, msg: &[u8]) -> Vec<u8> {
    match name {
        "SHA2-224" => sha2::Sha224::digest(msg).to_vec(),
        "SHA2-256" => sha2::Sha256::digest(msg).to_vec(),
        "SHA2-384" => sha2::Sha384::digest(msg).to_vec(),
        "SHA2-512" => sha2::Sha512::digest(msg).to_vec(),
        "SHA2-512/224" => sha2::Sha512_224::digest(msg).to_vec(),
        "SHA2-512/256" => sha2::Sha512_256::digest(msg).to_vec(),
        "SHA3-224" => sha3::Sha3_224::digest(msg).to_vec(),
        "SHA3-256" => sha3::Sha3_256::digest(msg).to_vec(),
        "SHA3-384" => sha3::Sha3_384::digest(msg).to_vec(),
        "SHA3-512" => sha3::Sha3_512::digest(msg).to_vec(),
        "SHAKE-128" => shake::<sha3::Shake128>(msg, 32),
        "SHAKE-256" => shake::<sha3::Shake256>(msg, 64),
        other => panic!("unknown hashAlg {other:?}"),
    }
}

/// Collects the failures of a sweep (every parameter set, every mechanism)
/// so one run reports all of them.
#[derive(Default)]
pub struct Failures(Vec<String>);

impl Failures {
    /// None yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `outcome` of the check named `what`.
    pub fn check(&mut self, what: &str, outcome: Result<(), String>) {
        if let Err(why) = outcome {
            self.0.push(format!("{what}: {why}"));
        }
    }

    /// Panics listing every failure, if any.
    #[track_caller]
    pub fn finish(self) {
        assert!(
            self.0.is_empty(),
            "{} failure(s):\n  {}",
            self.0.len(),
            self.0.join("\n  ")
        );
    }
}

/// The parameter sets C_GenerateKeyPair is exercised on: every ML-KEM,
/// ML-DSA and Falcon set, the four SLH-DSA 128 sets and SLH-DSA-SHA2-256f.
pub fn generated_sets() -> Vec<&'static qrc_conformance::pqc::ParamSet> {
    qrc_conformance::pqc::SETS
        .iter()
        .filter(|s| {
            s.family != pqc::Family::SlhDsa
                || s.name.contains("128")
                || s.name == "SLH-DSA-SHA2-256f"
        })
        .collect()
}

/// The family's plain signing mechanism: deterministic CKM_ML_DSA /
/// CKM_SLH_DSA with an empty context, or CKM_FALCON (always randomized).
pub fn plain_sign_mech(set: &pqc::ParamSet) -> pqc::SignMech {
    use cryptoki_sys::CKH_DETERMINISTIC_REQUIRED;
    match set.family {
        pqc::Family::Falcon => pqc::sign_mech_none(pqc::CKM_FALCON),
        f => pqc::sign_mech(f.mechanism(), CKH_DETERMINISTIC_REQUIRED, b""),
    }
}

/// Signs `msg` with [`plain_sign_mech`].
pub fn sign_with(
    h: CK_SESSION_HANDLE,
    set: &pqc::ParamSet,
    sk: cryptoki_sys::CK_OBJECT_HANDLE,
    msg: &[u8],
) -> Result<Vec<u8>, String> {
    pqc::must(
        qrc_conformance::raw::sign(h, &mut plain_sign_mech(set), sk, msg),
        "C_Sign",
    )
}

/// Verifies with [`plain_sign_mech`] through C_Verify and C_VerifySignature.
pub fn verify_with(
    h: CK_SESSION_HANDLE,
    set: &pqc::ParamSet,
    pk: cryptoki_sys::CK_OBJECT_HANDLE,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), String> {
    let mut m = plain_sign_mech(set);
    pqc::rv_is(
        qrc_conformance::raw::verify(h, &mut m, pk, msg, sig),
        cryptoki_sys::CKR_OK,
        "C_Verify",
    )?;
    pqc::rv_is(
        pqc::verify_signature(h, &mut m, pk, msg, sig),
        cryptoki_sys::CKR_OK,
        "C_VerifySignature",
    )
}

/// The pair works: ML-KEM encapsulation to `pk` decapsulates with `sk` to
/// the same secret; a signature by `sk` verifies with `pk`.
pub fn pair_works(
    h: CK_SESSION_HANDLE,
    set: &pqc::ParamSet,
    pk: cryptoki_sys::CK_OBJECT_HANDLE,
    sk: cryptoki_sys::CK_OBJECT_HANDLE,
) -> Result<(), String> {
    if set.family != pqc::Family::MlKem {
        let msg = b"pair check";
        return verify_with(h, set, pk, msg, &sign_with(h, set, sk, msg)?);
    }
    let mut sc = pqc::Scratch::new(h);
    let mut m = qrc_conformance::raw::Mech::new(cryptoki_sys::CKM_ML_KEM);
    let (ct, k1) = pqc::must(
        pqc::encapsulate(h, &mut m, pk, pqc::secret_template()),
        "C_EncapsulateKey",
    )?;
    sc.keep(k1);
    let k2 = sc.keep(pqc::must(
        pqc::decapsulate(h, &mut m, sk, pqc::secret_template(), &ct),
        "C_DecapsulateKey",
    )?);
    let (a, b) = (
        pqc::read(h, k1, cryptoki_sys::CKA_VALUE)?,
        pqc::read(h, k2, cryptoki_sys::CKA_VALUE)?,
    );
    pqc::same("decapsulated vs encapsulated secret", &b, &a)
}
