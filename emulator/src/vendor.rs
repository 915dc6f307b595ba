//! Vendor-defined values, mirrored in `include/qrcpkcs11.h`.
//!
//! Falcon uses the values Thales Luna and libp11 already use, so existing
//! clients work; our own values live in 0xD1520000–0xD152FFFF.

use cryptoki_sys::{CK_ATTRIBUTE_TYPE, CK_KEY_TYPE, CK_MECHANISM_TYPE, CK_ULONG};

/// Falcon (round 3) keys.
pub const CKK_FALCON: CK_KEY_TYPE = 0xC000_0006;
/// Falcon key-pair generation.
pub const CKM_FALCON_KEY_PAIR_GEN: CK_MECHANISM_TYPE = 0xC000_0070;
/// Falcon signatures (the message is signed as given, no pre-hash).
pub const CKM_FALCON: CK_MECHANISM_TYPE = 0xC000_0071;
/// Luna's attribute for the parameter set; accepted as a synonym of
/// CKA_PARAMETER_SET on Falcon keys.
pub const CKA_KEY_PARAMS: CK_ATTRIBUTE_TYPE = 0xC000_0001;
/// Falcon-512 (CKA_PARAMETER_SET / CKA_KEY_PARAMS value).
pub const CKP_FALCON_512: CK_ULONG = 1;
/// Falcon-1024.
pub const CKP_FALCON_1024: CK_ULONG = 2;

/// Composite ML-KEM keys (draft-ietf-lamps-pq-composite-kem), shaped like
/// the PKCS#11 3.3 draft's CKK_COMP_KEM until that has a value.
pub const CKK_QRC_COMP_KEM: CK_KEY_TYPE = 0xD152_0001;
/// Composite ML-DSA keys (draft-ietf-lamps-pq-composite-sigs), shaped like
/// the 3.3 draft's CKK_COMP_SIG.
pub const CKK_QRC_COMP_SIG: CK_KEY_TYPE = 0xD152_0002;
/// Composite ML-KEM key-pair generation (3.3 draft: CKM_COMP_KEM_KEY_PAIR_GEN).
pub const CKM_QRC_COMP_KEM_KEY_PAIR_GEN: CK_MECHANISM_TYPE = 0xD152_0010;
/// Composite ML-KEM through C_EncapsulateKey / C_DecapsulateKey; no parameter.
pub const CKM_QRC_COMP_KEM: CK_MECHANISM_TYPE = 0xD152_0011;
/// Composite ML-DSA key-pair generation (3.3 draft: CKM_COMP_SIG_KEY_PAIR_GEN).
pub const CKM_QRC_COMP_SIG_KEY_PAIR_GEN: CK_MECHANISM_TYPE = 0xD152_0020;
/// Composite ML-DSA signatures; optional CK_SIGN_ADDITIONAL_CONTEXT.
pub const CKM_QRC_COMP_SIG: CK_MECHANISM_TYPE = 0xD152_0021;

/// Composite ML-KEM parameter sets (CKA_PARAMETER_SET of CKK_QRC_COMP_KEM).
pub const CKP_QRC_COMP_KEM_MLKEM768_X25519: CK_ULONG = 0xD152_0101;
/// ML-KEM-768 + ECDH P-256.
pub const CKP_QRC_COMP_KEM_MLKEM768_ECDH_P256: CK_ULONG = 0xD152_0102;
/// ML-KEM-1024 + ECDH P-384.
pub const CKP_QRC_COMP_KEM_MLKEM1024_ECDH_P384: CK_ULONG = 0xD152_0103;

/// Composite ML-DSA parameter sets (CKA_PARAMETER_SET of CKK_QRC_COMP_SIG).
pub const CKP_QRC_COMP_SIG_MLDSA44_ECDSA_P256_SHA256: CK_ULONG = 0xD152_0201;
/// ML-DSA-65 + Ed25519, SHA-512 pre-hash.
pub const CKP_QRC_COMP_SIG_MLDSA65_ED25519_SHA512: CK_ULONG = 0xD152_0202;
/// ML-DSA-87 + ECDSA P-384, SHA-512 pre-hash.
pub const CKP_QRC_COMP_SIG_MLDSA87_ECDSA_P384_SHA512: CK_ULONG = 0xD152_0203;
