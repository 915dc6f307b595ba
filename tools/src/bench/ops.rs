//! The operations a bench measures: their names, what they need from a
//! module, and the filter of `--ops`.

use crate::vendor::{CKM_FALCON, CKM_FALCON_KEY_PAIR_GEN, CKP_FALCON_1024, CKP_FALCON_512};
use cryptoki_sys::*;

/// Every SLH-DSA parameter set (FIPS 205), in report order.
pub const SLH_DSA_SETS: [CK_ULONG; 12] = [
    CKP_SLH_DSA_SHA2_128F,
    CKP_SLH_DSA_SHA2_128S,
    CKP_SLH_DSA_SHA2_192F,
    CKP_SLH_DSA_SHA2_192S,
    CKP_SLH_DSA_SHA2_256F,
    CKP_SLH_DSA_SHA2_256S,
    CKP_SLH_DSA_SHAKE_128F,
    CKP_SLH_DSA_SHAKE_128S,
    CKP_SLH_DSA_SHAKE_192F,
    CKP_SLH_DSA_SHAKE_192S,
    CKP_SLH_DSA_SHAKE_256F,
    CKP_SLH_DSA_SHAKE_256S,
];

/// One KiB: the message of the sign, verify, GCM and digest operations.
pub const KIB: usize = 1024;
/// The message of the multi-part signature.
pub const STREAM_LEN: usize = 64 << 20;
/// The piece handed to each C_SignUpdate of the multi-part signature.
pub const STREAM_CHUNK: usize = 64 * KIB;

/// A signature algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    /// ML-DSA with a CKP_ML_DSA_* parameter set.
    MlDsa(CK_ULONG),
    /// SLH-DSA with a CKP_SLH_DSA_* parameter set.
    SlhDsa(CK_ULONG),
    /// Falcon with CKP_FALCON_512 or CKP_FALCON_1024.
    Falcon(CK_ULONG),
    EcdsaP256,
    Ed25519,
    Rsa2048,
}

impl Alg {
    pub fn name(self) -> &'static str {
        match self {
            Alg::MlDsa(CKP_ML_DSA_44) => "ML-DSA-44",
            Alg::MlDsa(CKP_ML_DSA_65) => "ML-DSA-65",
            Alg::MlDsa(_) => "ML-DSA-87",
            Alg::SlhDsa(CKP_SLH_DSA_SHA2_128S) => "SLH-DSA-SHA2-128s",
            Alg::SlhDsa(CKP_SLH_DSA_SHAKE_128S) => "SLH-DSA-SHAKE-128s",
            Alg::SlhDsa(CKP_SLH_DSA_SHA2_128F) => "SLH-DSA-SHA2-128f",
            Alg::SlhDsa(CKP_SLH_DSA_SHAKE_128F) => "SLH-DSA-SHAKE-128f",
            Alg::SlhDsa(CKP_SLH_DSA_SHA2_192S) => "SLH-DSA-SHA2-192s",
            Alg::SlhDsa(CKP_SLH_DSA_SHAKE_192S) => "SLH-DSA-SHAKE-192s",
            Alg::SlhDsa(CKP_SLH_DSA_SHA2_192F) => "SLH-DSA-SHA2-192f",
            Alg::SlhDsa(CKP_SLH_DSA_SHAKE_192F) => "SLH-DSA-SHAKE-192f",
            Alg::SlhDsa(CKP_SLH_DSA_SHA2_256S) => "SLH-DSA-SHA2-256s",
            Alg::SlhDsa(CKP_SLH_DSA_SHAKE_256S) => "SLH-DSA-SHAKE-256s",
            Alg::SlhDsa(CKP_SLH_DSA_SHA2_256F) => "SLH-DSA-SHA2-256f",
            Alg::SlhDsa(_) => "SLH-DSA-SHAKE-256f",
            Alg::Falcon(CKP_FALCON_512) => "Falcon-512",
            Alg::Falcon(_) => "Falcon-1024",
            Alg::EcdsaP256 => "ECDSA P-256",
            Alg::Ed25519 => "Ed25519",
            Alg::Rsa2048 => "RSA-2048",
        }
    }

    /// The key-pair generation mechanism.
    pub fn keygen_mechanism(self) -> CK_MECHANISM_TYPE {
        match self {
            Alg::MlDsa(_) => CKM_ML_DSA_KEY_PAIR_GEN,
            Alg::SlhDsa(_) => CKM_SLH_DSA_KEY_PAIR_GEN,
            Alg::Falcon(_) => CKM_FALCON_KEY_PAIR_GEN,
            Alg::EcdsaP256 => CKM_EC_KEY_PAIR_GEN,
            Alg::Ed25519 => CKM_EC_EDWARDS_KEY_PAIR_GEN,
            Alg::Rsa2048 => CKM_RSA_PKCS_KEY_PAIR_GEN,
        }
    }

    /// The signature mechanism.
    pub fn sign_mechanism(self) -> CK_MECHANISM_TYPE {
        match self {
            Alg::MlDsa(_) => CKM_ML_DSA,
            Alg::SlhDsa(_) => CKM_SLH_DSA,
            Alg::Falcon(_) => CKM_FALCON,
            Alg::EcdsaP256 => CKM_ECDSA,
            Alg::Ed25519 => CKM_EDDSA,
            Alg::Rsa2048 => CKM_SHA256_RSA_PKCS,
        }
    }

    /// What is signed: CKM_ECDSA signs a SHA-256 digest, the others 1 KiB.
    pub fn message_len(self) -> usize {
        match self {
            Alg::EcdsaP256 => 32,
            _ => KIB,
        }
    }

    /// "1 KiB" or "32-byte digest", for operation names.
    fn message_name(self) -> &'static str {
        match self {
            Alg::EcdsaP256 => "digest",
            _ => "1 KiB",
        }
    }
}

/// An ML-KEM parameter set (CKP_ML_KEM_*).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kem(pub CK_ULONG);

impl Kem {
    pub fn name(self) -> &'static str {
        match self.0 {
            CKP_ML_KEM_512 => "ML-KEM-512",
            CKP_ML_KEM_768 => "ML-KEM-768",
            _ => "ML-KEM-1024",
        }
    }
}

/// What a measured operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// C_GenerateKeyPair of a token key pair.
    KeyPair(Alg),
    /// ML-KEM key pair on the token.
    KemKeyPair(Kem),
    /// C_EncapsulateKey, creating the session secret-key object.
    Encaps(Kem),
    /// C_DecapsulateKey, creating the session secret-key object.
    Decaps(Kem),
    /// Single-part C_Sign.
    Sign(Alg),
    /// Single-part C_Verify.
    Verify(Alg),
    /// C_SignInit, C_SignUpdate per 64 KiB over 64 MiB, C_SignFinal.
    SignStream(Alg),
    /// AES-256-GCM C_Encrypt of this many bytes.
    AesGcm(usize),
    /// CKM_SHA256 C_Digest of this many bytes.
    Sha256(usize),
    /// CKM_AES_KEY_GEN of an AES-256 key, on the token or in the session.
    AesKeyGen { token: bool },
    /// C_FindObjects of one object by label among this many token objects.
    Find(usize),
    /// C_OpenSession + C_Login + C_CloseSession, the token already unlocked
    /// by this process.
    OpenLoginClose,
    /// In a child process: C_Initialize to a session that answered a call,
    /// with the token holding at least this many objects.
    InitProbe { objects: usize },
    /// In a child process: the first C_Login of the process.
    FirstLogin,
}

/// One line of the report.
#[derive(Clone, Debug)]
pub struct Op {
    pub name: String,
    pub kind: Kind,
}

impl Op {
    fn new(kind: Kind, name: String) -> Op {
        Op { name, kind }
    }

    /// Whether measuring it with several threads (each its own session)
    /// means something: not for what a child process or the login state
    /// of the whole process measures, nor the slow object searches.
    pub fn threaded(&self) -> bool {
        !matches!(
            self.kind,
            Kind::OpenLoginClose
                | Kind::InitProbe { .. }
                | Kind::FirstLogin
                | Kind::Find(_)
                | Kind::SignStream(_)
        )
    }

    /// The mechanisms a module must offer, each with the CKF_ function
    /// flag the operation uses.
    pub fn needs(&self) -> Vec<(CK_MECHANISM_TYPE, CK_FLAGS)> {
        let pair = |a: Alg| (a.keygen_mechanism(), CKF_GENERATE_KEY_PAIR);
        let kem = (CKM_ML_KEM_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR);
        let aes = (CKM_AES_KEY_GEN, CKF_GENERATE);
        match self.kind {
            Kind::KeyPair(a) => vec![pair(a)],
            Kind::KemKeyPair(_) => vec![kem],
            Kind::Encaps(_) => vec![kem, (CKM_ML_KEM, CKF_ENCAPSULATE)],
            Kind::Decaps(_) => vec![kem, (CKM_ML_KEM, CKF_DECAPSULATE)],
            Kind::Sign(a) | Kind::SignStream(a) => vec![pair(a), (a.sign_mechanism(), CKF_SIGN)],
            Kind::Verify(a) => vec![
                pair(a),
                (a.sign_mechanism(), CKF_SIGN),
                (a.sign_mechanism(), CKF_VERIFY),
            ],
            Kind::AesGcm(_) => vec![aes, (CKM_AES_GCM, CKF_ENCRYPT)],
            Kind::Sha256(_) => vec![(CKM_SHA256, CKF_DIGEST)],
            Kind::AesKeyGen { .. } => vec![aes],
            Kind::Find(_) | Kind::OpenLoginClose | Kind::InitProbe { .. } | Kind::FirstLogin => {
                vec![]
            }
        }
    }

    /// The number of token objects the operation needs to exist.
    pub fn population(&self) -> Option<usize> {
        match self.kind {
            Kind::Find(n) => Some(n),
            Kind::InitProbe { objects } if objects > 0 => Some(objects),
            _ => None,
        }
    }
}

/// Every operation, in report order.
pub fn catalogue() -> Vec<Op> {
    let mut ops = vec![];
    for kem in [CKP_ML_KEM_512, CKP_ML_KEM_768, CKP_ML_KEM_1024].map(Kem) {
        let n = kem.name();
        ops.push(Op::new(
            Kind::KemKeyPair(kem),
            format!("{n} keygen (token)"),
        ));
        ops.push(Op::new(Kind::Encaps(kem), format!("{n} encaps")));
        ops.push(Op::new(Kind::Decaps(kem), format!("{n} decaps")));
    }
    for set in [CKP_ML_DSA_44, CKP_ML_DSA_65, CKP_ML_DSA_87] {
        let a = Alg::MlDsa(set);
        let n = a.name();
        ops.push(Op::new(Kind::KeyPair(a), format!("{n} keygen (token)")));
        signatures(&mut ops, a);
        ops.push(Op::new(
            Kind::SignStream(a),
            format!("{n} sign 64 MiB multi-part"),
        ));
    }
    let slh_dsa = SLH_DSA_SETS.map(Alg::SlhDsa);
    let falcon = [CKP_FALCON_512, CKP_FALCON_1024].map(Alg::Falcon);
    for a in slh_dsa.into_iter().chain(falcon) {
        ops.push(Op::new(
            Kind::KeyPair(a),
            format!("{} keygen (token)", a.name()),
        ));
        signatures(&mut ops, a);
    }
    for a in [Alg::EcdsaP256, Alg::Ed25519] {
        signatures(&mut ops, a);
    }
    let rsa = Alg::Rsa2048;
    ops.push(Op::new(
        Kind::Sign(rsa),
        format!("{} sign 1 KiB", rsa.name()),
    ));
    ops.push(Op::new(
        Kind::AesGcm(KIB),
        "AES-256-GCM encrypt 1 KiB".into(),
    ));
    ops.push(Op::new(
        Kind::AesGcm(1 << 20),
        "AES-256-GCM encrypt 1 MiB".into(),
    ));
    ops.push(Op::new(Kind::Sha256(KIB), "SHA-256 1 KiB".into()));
    ops.push(Op::new(
        Kind::AesKeyGen { token: false },
        "AES-256 keygen (session)".into(),
    ));
    ops.push(Op::new(
        Kind::AesKeyGen { token: true },
        "AES-256 keygen (token)".into(),
    ));
    ops.push(Op::new(
        Kind::OpenLoginClose,
        "open session + login + close".into(),
    ));
    ops.push(Op::new(
        Kind::FirstLogin,
        "first login of a process (Argon2id)".into(),
    ));
    ops.push(Op::new(
        Kind::InitProbe { objects: 0 },
        "C_Initialize to first session".into(),
    ));
    for n in [100, 1_000, 10_000] {
        ops.push(Op::new(
            Kind::Find(n),
            format!("find 1 by label among {}", thousands(n)),
        ));
    }
    ops.push(Op::new(
        Kind::InitProbe { objects: 10_000 },
        "C_Initialize to first session, 10,000 objects".into(),
    ));
    ops.push(Op::new(
        Kind::Find(100_000),
        "find 1 by label among 100,000".into(),
    ));
    ops
}

fn signatures(ops: &mut Vec<Op>, a: Alg) {
    let (n, m) = (a.name(), a.message_name());
    ops.push(Op::new(Kind::Sign(a), format!("{n} sign {m}")));
    ops.push(Op::new(Kind::Verify(a), format!("{n} verify {m}")));
}

/// `n` with thousands separators: 100000 → "100,000".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The operations whose name contains one of the `|`-separated,
/// case-insensitive `filter` terms (all without a filter). Not commas:
/// names have thousands separators ("among 100,000").
pub fn select(ops: Vec<Op>, filter: Option<&str>) -> Vec<Op> {
    let Some(filter) = filter else { return ops };
    let terms: Vec<String> = filter
        .split('|')
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    ops.into_iter()
        .filter(|op| {
            let name = op.name.to_lowercase();
            terms.iter().any(|t| name.contains(t.as_str()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_covers_the_issue_and_names_are_unique() {
        let ops = catalogue();
        let names: Vec<&str> = ops.iter().map(|o| o.name.as_str()).collect();
        for expected in [
            "ML-KEM-768 encaps",
            "ML-KEM-1024 decaps",
            "ML-DSA-65 sign 1 KiB",
            "ML-DSA-87 sign 64 MiB multi-part",
            "SLH-DSA-SHA2-128s verify 1 KiB",
            "SLH-DSA-SHAKE-256s sign 1 KiB",
            "SLH-DSA-SHA2-192f keygen (token)",
            "Falcon-512 keygen (token)",
            "Falcon-512 sign 1 KiB",
            "Falcon-1024 verify 1 KiB",
            "ECDSA P-256 sign digest",
            "Ed25519 verify 1 KiB",
            "RSA-2048 sign 1 KiB",
            "AES-256-GCM encrypt 1 MiB",
            "SHA-256 1 KiB",
            "AES-256 keygen (token)",
            "find 1 by label among 100,000",
            "open session + login + close",
            "C_Initialize to first session",
        ] {
            assert!(names.contains(&expected), "{expected} missing");
        }
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        // 12 SLH-DSA sets and 2 Falcon sets: keygen, sign, verify each.
        assert_eq!(ops.len(), 81);
    }

    #[test]
    fn filter_is_case_insensitive_and_takes_alternatives() {
        let picked = select(catalogue(), Some("ml-kem-768 | SHA-256"));
        let names: Vec<&str> = picked.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ML-KEM-768 keygen (token)",
                "ML-KEM-768 encaps",
                "ML-KEM-768 decaps",
                "SHA-256 1 KiB"
            ]
        );
        assert!(select(catalogue(), Some("no such op")).is_empty());
        let big = select(catalogue(), Some("among 100,000"));
        assert_eq!(big.len(), 1, "{big:?}");
        assert_eq!(select(catalogue(), None).len(), catalogue().len());
    }

    #[test]
    fn needs_name_the_function_flags() {
        let verify = Op::new(Kind::Verify(Alg::Falcon(CKP_FALCON_1024)), String::new());
        assert!(verify.needs().contains(&(CKM_FALCON, CKF_VERIFY)));
        assert!(verify
            .needs()
            .contains(&(CKM_FALCON_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR)));
        let decaps = Op::new(Kind::Decaps(Kem(CKP_ML_KEM_512)), String::new());
        assert!(decaps.needs().contains(&(CKM_ML_KEM, CKF_DECAPSULATE)));
        assert!(Op::new(Kind::Find(100), String::new()).needs().is_empty());
    }

    #[test]
    fn populations_and_threading() {
        let find = Op::new(Kind::Find(1_000), String::new());
        assert_eq!(find.population(), Some(1_000));
        assert!(!find.threaded());
        let init = Op::new(Kind::InitProbe { objects: 0 }, String::new());
        assert_eq!(init.population(), None);
        assert!(Op::new(Kind::Sign(Alg::EcdsaP256), String::new()).threaded());
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(999), "999");
    }
}
