//! The algorithm families, their parameter sets with byte sizes and OIDs,
//! the vendor (Falcon) values, and the pre-hash functions.

use cryptoki_sys::*;

/// The Falcon values of include/qrcpkcs11.h (Thales Luna / libp11's).
pub use qrc_vendor::{CKA_KEY_PARAMS, CKK_FALCON, CKM_FALCON, CKM_FALCON_KEY_PAIR_GEN};
/// The 3.2 errata form of CKA_ENCAPSULATE_TEMPLATE (an array attribute).
pub const CKA_ENCAPSULATE_TEMPLATE_ARRAY: CK_ATTRIBUTE_TYPE =
    CKA_ENCAPSULATE_TEMPLATE | CKF_ARRAY_ATTRIBUTE;
/// The 3.2 errata form of CKA_DECAPSULATE_TEMPLATE.
pub const CKA_DECAPSULATE_TEMPLATE_ARRAY: CK_ATTRIBUTE_TYPE =
    CKA_DECAPSULATE_TEMPLATE | CKF_ARRAY_ATTRIBUTE;
/// Length of an ML-KEM shared secret.
pub const SHARED_SECRET_LEN: usize = 32;

/// An algorithm family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// FIPS 203.
    MlKem,
    /// FIPS 204.
    MlDsa,
    /// FIPS 205.
    SlhDsa,
    /// Falcon round 3 (vendor values).
    Falcon,
}

impl Family {
    /// CKA_KEY_TYPE of its keys.
    pub fn key_type(self) -> CK_KEY_TYPE {
        match self {
            Family::MlKem => CKK_ML_KEM,
            Family::MlDsa => CKK_ML_DSA,
            Family::SlhDsa => CKK_SLH_DSA,
            Family::Falcon => CKK_FALCON,
        }
    }

    /// Its key-pair generation mechanism.
    pub fn keygen(self) -> CK_MECHANISM_TYPE {
        match self {
            Family::MlKem => CKM_ML_KEM_KEY_PAIR_GEN,
            Family::MlDsa => CKM_ML_DSA_KEY_PAIR_GEN,
            Family::SlhDsa => CKM_SLH_DSA_KEY_PAIR_GEN,
            Family::Falcon => CKM_FALCON_KEY_PAIR_GEN,
        }
    }

    /// Its main mechanism (CKM_ML_KEM, CKM_ML_DSA, CKM_SLH_DSA, CKM_FALCON).
    pub fn mechanism(self) -> CK_MECHANISM_TYPE {
        match self {
            Family::MlKem => CKM_ML_KEM,
            Family::MlDsa => CKM_ML_DSA,
            Family::SlhDsa => CKM_SLH_DSA,
            Family::Falcon => CKM_FALCON,
        }
    }

    /// The usage attribute of its public keys (CKA_ENCAPSULATE or CKA_VERIFY).
    pub fn public_usage(self) -> CK_ATTRIBUTE_TYPE {
        match self {
            Family::MlKem => CKA_ENCAPSULATE,
            _ => CKA_VERIFY,
        }
    }

    /// The usage attribute of its private keys (CKA_DECAPSULATE or CKA_SIGN).
    pub fn private_usage(self) -> CK_ATTRIBUTE_TYPE {
        match self {
            Family::MlKem => CKA_DECAPSULATE,
            _ => CKA_SIGN,
        }
    }

    /// Its parameter sets.
    pub fn sets(self) -> impl Iterator<Item = &'static ParamSet> {
        SETS.iter().filter(move |s| s.family == self)
    }
}

/// One parameter set and its byte sizes.
#[derive(Debug)]
pub struct ParamSet {
    /// Its family.
    pub family: Family,
    /// The name the vector files use ("ML-KEM-768", "SLH-DSA-SHA2-128s", "Falcon-512").
    pub name: &'static str,
    /// CKA_PARAMETER_SET value.
    pub ckp: CK_ULONG,
    /// Public key (ek / pk) bytes.
    pub pk_len: usize,
    /// Private key (expanded dk / sk) bytes.
    pub sk_len: usize,
    /// CKA_SEED bytes (ML-KEM d‖z, ML-DSA ξ); 0 where the family has none.
    pub seed_len: usize,
    /// Ciphertext (ML-KEM) or signature bytes; Falcon's is the maximum.
    pub out_len: usize,
    /// The SPKI / PKCS#8 algorithm OID, dotted (Falcon: oqs-provider's, provisional).
    pub oid: &'static str,
}

const fn set(
    family: Family,
    name: &'static str,
    ckp: CK_ULONG,
    lens: [usize; 4],
    oid: &'static str,
) -> ParamSet {
    ParamSet {
        family,
        name,
        ckp,
        pk_len: lens[0],
        sk_len: lens[1],
        seed_len: lens[2],
        out_len: lens[3],
        oid,
    }
}

use Family::{Falcon, MlDsa, MlKem, SlhDsa};

/// Every parameter set the module must offer.
#[rustfmt::skip] // a table: one parameter set per line
pub static SETS: [ParamSet; 20] = [
    set(MlKem, "ML-KEM-512", 1, [800, 1632, 64, 768], "2.16.840.1.101.3.4.4.1"),
    set(MlKem, "ML-KEM-768", 2, [1184, 2400, 64, 1088], "2.16.840.1.101.3.4.4.2"),
    set(MlKem, "ML-KEM-1024", 3, [1568, 3168, 64, 1568], "2.16.840.1.101.3.4.4.3"),
    set(MlDsa, "ML-DSA-44", 1, [1312, 2560, 32, 2420], "2.16.840.1.101.3.4.3.17"),
    set(MlDsa, "ML-DSA-65", 2, [1952, 4032, 32, 3309], "2.16.840.1.101.3.4.3.18"),
    set(MlDsa, "ML-DSA-87", 3, [2592, 4896, 32, 4627], "2.16.840.1.101.3.4.3.19"),
    set(SlhDsa, "SLH-DSA-SHA2-128s", 1, [32, 64, 0, 7856], "2.16.840.1.101.3.4.3.20"),
    set(SlhDsa, "SLH-DSA-SHAKE-128s", 2, [32, 64, 0, 7856], "2.16.840.1.101.3.4.3.26"),
    set(SlhDsa, "SLH-DSA-SHA2-128f", 3, [32, 64, 0, 17088], "2.16.840.1.101.3.4.3.21"),
    set(SlhDsa, "SLH-DSA-SHAKE-128f", 4, [32, 64, 0, 17088], "2.16.840.1.101.3.4.3.27"),
    set(SlhDsa, "SLH-DSA-SHA2-192s", 5, [48, 96, 0, 16224], "2.16.840.1.101.3.4.3.22"),
    set(SlhDsa, "SLH-DSA-SHAKE-192s", 6, [48, 96, 0, 16224], "2.16.840.1.101.3.4.3.28"),
    set(SlhDsa, "SLH-DSA-SHA2-192f", 7, [48, 96, 0, 35664], "2.16.840.1.101.3.4.3.23"),
    set(SlhDsa, "SLH-DSA-SHAKE-192f", 8, [48, 96, 0, 35664], "2.16.840.1.101.3.4.3.29"),
    set(SlhDsa, "SLH-DSA-SHA2-256s", 9, [64, 128, 0, 29792], "2.16.840.1.101.3.4.3.24"),
    set(SlhDsa, "SLH-DSA-SHAKE-256s", 10, [64, 128, 0, 29792], "2.16.840.1.101.3.4.3.30"),
    set(SlhDsa, "SLH-DSA-SHA2-256f", 11, [64, 128, 0, 49856], "2.16.840.1.101.3.4.3.25"),
    set(SlhDsa, "SLH-DSA-SHAKE-256f", 12, [64, 128, 0, 49856], "2.16.840.1.101.3.4.3.31"),
    set(Falcon, "Falcon-512", 1, [897, 1281, 0, 752], "1.3.9999.3.11"),
    set(Falcon, "Falcon-1024", 2, [1793, 2305, 0, 1462], "1.3.9999.3.14"),
];

/// The parameter set a vector file names; panics on an unknown name.
pub fn param_set(name: &str) -> &'static ParamSet {
    SETS.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("unknown parameter set {name:?}"))
}

/// A pre-hash function of HashML-DSA / HashSLH-DSA: the ACVP name, the
/// digest mechanism CK_HASH_SIGN_ADDITIONAL_CONTEXT names it by, and the
/// CKM_HASH_ML_DSA_* / CKM_HASH_SLH_DSA_* mechanisms that hash themselves
/// (none for SHA-512/224 and SHA-512/256).
#[derive(Clone, Copy, Debug)]
pub struct PreHash {
    /// ACVP `hashAlg`.
    pub name: &'static str,
    /// The digest mechanism.
    pub hash: CK_MECHANISM_TYPE,
    /// The self-hashing ML-DSA mechanism, if PKCS#11 names one.
    pub ml_dsa: Option<CK_MECHANISM_TYPE>,
    /// The self-hashing SLH-DSA mechanism, if PKCS#11 names one.
    pub slh_dsa: Option<CK_MECHANISM_TYPE>,
}

const fn ph(
    name: &'static str,
    hash: CK_MECHANISM_TYPE,
    ml_dsa: Option<CK_MECHANISM_TYPE>,
    slh_dsa: Option<CK_MECHANISM_TYPE>,
) -> PreHash {
    PreHash {
        name,
        hash,
        ml_dsa,
        slh_dsa,
    }
}

/// Every pre-hash FIPS 204 / 205 allow. SHAKE has no plain digest
/// mechanism in PKCS#11; the CKM_SHAKE_*_KEY_DERIVATION values name it.
#[rustfmt::skip] // a table: one hash per line
pub static PREHASHES: [PreHash; 12] = [
    ph("SHA2-224", CKM_SHA224, Some(CKM_HASH_ML_DSA_SHA224), Some(CKM_HASH_SLH_DSA_SHA224)),
    ph("SHA2-256", CKM_SHA256, Some(CKM_HASH_ML_DSA_SHA256), Some(CKM_HASH_SLH_DSA_SHA256)),
    ph("SHA2-384", CKM_SHA384, Some(CKM_HASH_ML_DSA_SHA384), Some(CKM_HASH_SLH_DSA_SHA384)),
    ph("SHA2-512", CKM_SHA512, Some(CKM_HASH_ML_DSA_SHA512), Some(CKM_HASH_SLH_DSA_SHA512)),
    ph("SHA2-512/224", CKM_SHA512_224, None, None),
    ph("SHA2-512/256", CKM_SHA512_256, None, None),
    ph("SHA3-224", CKM_SHA3_224, Some(CKM_HASH_ML_DSA_SHA3_224), Some(CKM_HASH_SLH_DSA_SHA3_224)),
    ph("SHA3-256", CKM_SHA3_256, Some(CKM_HASH_ML_DSA_SHA3_256), Some(CKM_HASH_SLH_DSA_SHA3_256)),
    ph("SHA3-384", CKM_SHA3_384, Some(CKM_HASH_ML_DSA_SHA3_384), Some(CKM_HASH_SLH_DSA_SHA3_384)),
    ph("SHA3-512", CKM_SHA3_512, Some(CKM_HASH_ML_DSA_SHA3_512), Some(CKM_HASH_SLH_DSA_SHA3_512)),
    ph("SHAKE-128", CKM_SHAKE_128_KEY_DERIVATION, Some(CKM_HASH_ML_DSA_SHAKE128), Some(CKM_HASH_SLH_DSA_SHAKE128)),
    ph("SHAKE-256", CKM_SHAKE_256_KEY_DERIVATION, Some(CKM_HASH_ML_DSA_SHAKE256), Some(CKM_HASH_SLH_DSA_SHAKE256)),
];

/// The pre-hash an ACVP `hashAlg` names; panics on an unknown name.
pub fn prehash(name: &str) -> &'static PreHash {
    PREHASHES
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("unknown hashAlg {name:?}"))
}
