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
