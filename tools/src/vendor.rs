//! The module's vendor-defined values, as `include/qrcpkcs11.h` publishes
//! them: Falcon with the values Thales Luna and libp11 use, composite
//! ML-KEM / ML-DSA in the module's own range.

use cryptoki_sys::{CK_KEY_TYPE, CK_MECHANISM_TYPE, CK_ULONG};

pub const CKK_FALCON: CK_KEY_TYPE = 0xC000_0006;
pub const CKM_FALCON_KEY_PAIR_GEN: CK_MECHANISM_TYPE = 0xC000_0070;
pub const CKM_FALCON: CK_MECHANISM_TYPE = 0xC000_0071;
pub const CKP_FALCON_512: CK_ULONG = 1;
pub const CKP_FALCON_1024: CK_ULONG = 2;

pub const CKM_QRC_COMP_KEM_KEY_PAIR_GEN: CK_MECHANISM_TYPE = 0xD152_0010;
pub const CKM_QRC_COMP_KEM: CK_MECHANISM_TYPE = 0xD152_0011;
pub const CKM_QRC_COMP_SIG_KEY_PAIR_GEN: CK_MECHANISM_TYPE = 0xD152_0020;
pub const CKM_QRC_COMP_SIG: CK_MECHANISM_TYPE = 0xD152_0021;
