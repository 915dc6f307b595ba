//! PKCS#11 names for what the tool prints: return values, mechanisms and
//! flags. Operators read "CKR_PIN_INCORRECT", not a number or a paragraph of
//! prose, so every value the tool shows is spelled with its PKCS#11 name.

use crate::vendor::*;
use cryptoki::error::{Rv, RvError};
use cryptoki::mechanism::MechanismType;
use cryptoki_sys::*;

/// Pairs each named constant with its own name, so the table cannot drift
/// from the values.
macro_rules! named {
    ($($c:ident),* $(,)?) => { &[$(($c, stringify!($c))),*] };
}

/// Every return value cryptoki-sys 0.5 defines.
const CKR_NAMES: &[(CK_RV, &str)] = named![
    CKR_OK,
    CKR_CANCEL,
    CKR_HOST_MEMORY,
    CKR_SLOT_ID_INVALID,
    CKR_GENERAL_ERROR,
    CKR_FUNCTION_FAILED,
    CKR_ARGUMENTS_BAD,
    CKR_NO_EVENT,
    CKR_NEED_TO_CREATE_THREADS,
    CKR_CANT_LOCK,
    CKR_ATTRIBUTE_READ_ONLY,
    CKR_ATTRIBUTE_SENSITIVE,
    CKR_ATTRIBUTE_TYPE_INVALID,
    CKR_ATTRIBUTE_VALUE_INVALID,
    CKR_ACTION_PROHIBITED,
    CKR_DATA_INVALID,
    CKR_DATA_LEN_RANGE,
    CKR_DEVICE_ERROR,
    CKR_DEVICE_MEMORY,
    CKR_DEVICE_REMOVED,
    CKR_ENCRYPTED_DATA_INVALID,
    CKR_ENCRYPTED_DATA_LEN_RANGE,
    CKR_AEAD_DECRYPT_FAILED,
    CKR_FUNCTION_CANCELED,
    CKR_FUNCTION_NOT_PARALLEL,
    CKR_FUNCTION_NOT_SUPPORTED,
    CKR_KEY_HANDLE_INVALID,
    CKR_KEY_SIZE_RANGE,
    CKR_KEY_TYPE_INCONSISTENT,
    CKR_KEY_NOT_NEEDED,
    CKR_KEY_CHANGED,
    CKR_KEY_NEEDED,
    CKR_KEY_INDIGESTIBLE,
    CKR_KEY_FUNCTION_NOT_PERMITTED,
    CKR_KEY_NOT_WRAPPABLE,
    CKR_KEY_UNEXTRACTABLE,
    CKR_MECHANISM_INVALID,
    CKR_MECHANISM_PARAM_INVALID,
    CKR_OBJECT_HANDLE_INVALID,
    CKR_OPERATION_ACTIVE,
    CKR_OPERATION_NOT_INITIALIZED,
    CKR_PIN_INCORRECT,
    CKR_PIN_INVALID,
    CKR_PIN_LEN_RANGE,
    CKR_PIN_EXPIRED,
    CKR_PIN_LOCKED,
    CKR_SESSION_CLOSED,
    CKR_SESSION_COUNT,
    CKR_SESSION_HANDLE_INVALID,
    CKR_SESSION_PARALLEL_NOT_SUPPORTED,
    CKR_SESSION_READ_ONLY,
    CKR_SESSION_EXISTS,
    CKR_SESSION_READ_ONLY_EXISTS,
    CKR_SESSION_READ_WRITE_SO_EXISTS,
    CKR_SIGNATURE_INVALID,
    CKR_SIGNATURE_LEN_RANGE,
    CKR_TEMPLATE_INCOMPLETE,
    CKR_TEMPLATE_INCONSISTENT,
    CKR_TOKEN_NOT_PRESENT,
    CKR_TOKEN_NOT_RECOGNIZED,
    CKR_TOKEN_WRITE_PROTECTED,
    CKR_UNWRAPPING_KEY_HANDLE_INVALID,
    CKR_UNWRAPPING_KEY_SIZE_RANGE,
    CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT,
    CKR_USER_ALREADY_LOGGED_IN,
    CKR_USER_NOT_LOGGED_IN,
    CKR_USER_PIN_NOT_INITIALIZED,
    CKR_USER_TYPE_INVALID,
    CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
    CKR_USER_TOO_MANY_TYPES,
    CKR_WRAPPED_KEY_INVALID,
    CKR_WRAPPED_KEY_LEN_RANGE,
    CKR_WRAPPING_KEY_HANDLE_INVALID,
    CKR_WRAPPING_KEY_SIZE_RANGE,
    CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
    CKR_RANDOM_SEED_NOT_SUPPORTED,
    CKR_RANDOM_NO_RNG,
    CKR_DOMAIN_PARAMS_INVALID,
    CKR_CURVE_NOT_SUPPORTED,
    CKR_BUFFER_TOO_SMALL,
    CKR_SAVED_STATE_INVALID,
    CKR_INFORMATION_SENSITIVE,
    CKR_STATE_UNSAVEABLE,
    CKR_CRYPTOKI_NOT_INITIALIZED,
    CKR_CRYPTOKI_ALREADY_INITIALIZED,
    CKR_MUTEX_BAD,
    CKR_MUTEX_NOT_LOCKED,
    CKR_NEW_PIN_MODE,
    CKR_NEXT_OTP,
    CKR_EXCEEDED_MAX_ITERATIONS,
    CKR_FIPS_SELF_TEST_FAILED,
    CKR_LIBRARY_LOAD_FAILED,
    CKR_PIN_TOO_WEAK,
    CKR_PUBLIC_KEY_INVALID,
    CKR_FUNCTION_REJECTED,
    CKR_TOKEN_RESOURCE_EXCEEDED,
    CKR_OPERATION_CANCEL_FAILED,
    CKR_KEY_EXHAUSTED,
    CKR_PENDING,
    CKR_SESSION_ASYNC_NOT_SUPPORTED,
    CKR_SEED_RANDOM_REQUIRED,
    CKR_OPERATION_NOT_VALIDATED,
    CKR_TOKEN_NOT_INITIALIZED,
    CKR_PARAMETER_SET_NOT_SUPPORTED,
];

/// Mechanisms this module offers that cryptoki 0.12 has no name for (it
/// knows neither SHA-3, CKM_AES_KEY_WRAP_KWP, several 3.x mechanisms nor
/// the module's vendor-defined ones); the rest come from cryptoki.
const CKM_NAMES: &[(CK_MECHANISM_TYPE, &str)] = named![
    CKM_HASH_ML_DSA_SHAKE256,
    CKM_HASH_SLH_DSA_SHAKE256,
    CKM_SHA224_RSA_PKCS,
    CKM_SHA224_RSA_PKCS_PSS,
    CKM_SHA3_224_KEY_GEN,
    CKM_SHA3_256_KEY_GEN,
    CKM_SHA3_384_KEY_GEN,
    CKM_SHA3_512_KEY_GEN,
    CKM_ECDSA_SHA224,
    CKM_ECDH1_COFACTOR_DERIVE,
    CKM_AES_CMAC_GENERAL,
    CKM_AES_ECB_ENCRYPT_DATA,
    CKM_PUB_KEY_FROM_PRIV_KEY,
    CKM_FALCON_KEY_PAIR_GEN,
    CKM_FALCON,
    CKM_QRC_COMP_KEM_KEY_PAIR_GEN,
    CKM_QRC_COMP_KEM,
    CKM_QRC_COMP_SIG_KEY_PAIR_GEN,
    CKM_QRC_COMP_SIG,
    CKM_SHA3_224,
    CKM_SHA3_256,
    CKM_SHA3_384,
    CKM_SHA3_512,
    CKM_SHA3_224_HMAC,
    CKM_SHA3_256_HMAC,
    CKM_SHA3_384_HMAC,
    CKM_SHA3_512_HMAC,
    CKM_SHA3_224_HMAC_GENERAL,
    CKM_SHA3_256_HMAC_GENERAL,
    CKM_SHA3_384_HMAC_GENERAL,
    CKM_SHA3_512_HMAC_GENERAL,
    CKM_SHA_1_HMAC,
    CKM_SHA_1_HMAC_GENERAL,
    CKM_SHA224_HMAC_GENERAL,
    CKM_SHA256_HMAC_GENERAL,
    CKM_SHA384_HMAC_GENERAL,
    CKM_SHA512_HMAC_GENERAL,
    CKM_AES_KEY_WRAP_KWP,
    CKM_AES_KEY_WRAP_PAD,
    CKM_AES_KEY_WRAP,
    CKM_AES_KEY_GEN,
    CKM_AES_ECB,
    CKM_AES_CBC,
    CKM_AES_CBC_PAD,
    CKM_AES_CTR,
    CKM_AES_GCM,
    CKM_GENERIC_SECRET_KEY_GEN,
    CKM_SHA_1,
    CKM_SHA224,
    CKM_SHA256,
    CKM_SHA384,
    CKM_SHA512,
    CKM_SHA224_HMAC,
    CKM_SHA256_HMAC,
    CKM_SHA384_HMAC,
    CKM_SHA512_HMAC,
];

/// Mechanism capability flags, in the order PKCS#11 lists them.
const MECH_FLAGS: &[(CK_FLAGS, &str)] = named![
    CKF_HW,
    CKF_MESSAGE_ENCRYPT,
    CKF_MESSAGE_DECRYPT,
    CKF_MESSAGE_SIGN,
    CKF_MESSAGE_VERIFY,
    CKF_MULTI_MESSAGE,
    CKF_FIND_OBJECTS,
    CKF_ENCRYPT,
    CKF_DECRYPT,
    CKF_DIGEST,
    CKF_SIGN,
    CKF_SIGN_RECOVER,
    CKF_VERIFY,
    CKF_VERIFY_RECOVER,
    CKF_GENERATE,
    CKF_GENERATE_KEY_PAIR,
    CKF_WRAP,
    CKF_UNWRAP,
    CKF_DERIVE,
    CKF_ENCAPSULATE,
    CKF_DECAPSULATE,
    CKF_EC_F_P,
    CKF_EC_F_2M,
    CKF_EC_ECPARAMETERS,
    CKF_EC_OID,
    CKF_EC_UNCOMPRESS,
    CKF_EC_COMPRESS,
    CKF_EC_CURVENAME,
    CKF_EXTENSION,
];

/// Token flags, in the order PKCS#11 lists them.
const TOKEN_FLAGS: &[(CK_FLAGS, &str)] = named![
    CKF_RNG,
    CKF_WRITE_PROTECTED,
    CKF_LOGIN_REQUIRED,
    CKF_USER_PIN_INITIALIZED,
    CKF_RESTORE_KEY_NOT_NEEDED,
    CKF_CLOCK_ON_TOKEN,
    CKF_PROTECTED_AUTHENTICATION_PATH,
    CKF_DUAL_CRYPTO_OPERATIONS,
    CKF_TOKEN_INITIALIZED,
    CKF_SECONDARY_AUTHENTICATION,
    CKF_USER_PIN_COUNT_LOW,
    CKF_USER_PIN_FINAL_TRY,
    CKF_USER_PIN_LOCKED,
    CKF_USER_PIN_TO_BE_CHANGED,
    CKF_SO_PIN_COUNT_LOW,
    CKF_SO_PIN_FINAL_TRY,
    CKF_SO_PIN_LOCKED,
    CKF_SO_PIN_TO_BE_CHANGED,
    CKF_ERROR_STATE,
];

/// Slot flags.
const SLOT_FLAGS: &[(CK_FLAGS, &str)] =
    named![CKF_TOKEN_PRESENT, CKF_REMOVABLE_DEVICE, CKF_HW_SLOT];

/// The name of a return value, e.g. "CKR_PIN_INCORRECT".
pub fn ckr(rv: CK_RV) -> String {
    match CKR_NAMES.iter().find(|(v, _)| *v == rv) {
        Some((_, name)) => (*name).to_string(),
        None if rv >= CKR_VENDOR_DEFINED => {
            format!("CKR_VENDOR_DEFINED+{:#x}", rv - CKR_VENDOR_DEFINED)
        }
        None => format!("CKR_{rv:#010x}"),
    }
}

/// The name of a cryptoki error code. cryptoki's own Display prints the
/// specification's prose; map the variant back to its value instead.
pub fn rv_error(e: RvError) -> String {
    match e {
        RvError::VendorDefined(rv) | RvError::UnknownErrorCode(rv) => ckr(rv),
        _ => CKR_NAMES
            .iter()
            .find(|(v, _)| Rv::from(*v) == Rv::Error(e))
            .map_or_else(|| format!("{e:?}"), |(_, name)| (*name).to_string()),
    }
}

/// The name of a mechanism, e.g. "CKM_AES_GCM".
pub fn ckm(ty: CK_MECHANISM_TYPE) -> String {
    if let Some((_, name)) = CKM_NAMES.iter().find(|(v, _)| *v == ty) {
        return (*name).to_string();
    }
    if ty >= CKM_VENDOR_DEFINED {
        return format!("CKM_VENDOR_DEFINED+{:#x}", ty - CKM_VENDOR_DEFINED);
    }
    match MechanismType::try_from(ty) {
        Ok(m) => m.to_string(),
        Err(_) => format!("CKM_{ty:#010x}"),
    }
}

/// Spells out the set bits of `flags` with `table`, unknown bits in hex.
fn spell(flags: CK_FLAGS, table: &[(CK_FLAGS, &str)]) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut rest = flags;
    for (bit, name) in table {
        if flags & bit != 0 {
            names.push((*name).to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        names.push(format!("{rest:#x}"));
    }
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names.join(" ")
    }
}

/// Mechanism flags (CK_MECHANISM_INFO.flags) by name.
pub fn mechanism_flags(flags: CK_FLAGS) -> String {
    spell(flags, MECH_FLAGS)
}

/// Token flags (CK_TOKEN_INFO.flags) by name.
pub fn token_flags(flags: CK_FLAGS) -> String {
    spell(flags, TOKEN_FLAGS)
}

/// Slot flags (CK_SLOT_INFO.flags) by name.
pub fn slot_flags(flags: CK_FLAGS) -> String {
    spell(flags, SLOT_FLAGS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_values_have_their_names() {
        assert_eq!(ckr(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
        assert_eq!(ckr(CKR_TOKEN_NOT_INITIALIZED), "CKR_TOKEN_NOT_INITIALIZED");
        assert_eq!(ckr(CKR_VENDOR_DEFINED + 5), "CKR_VENDOR_DEFINED+0x5");
        assert_eq!(
            rv_error(RvError::AttributeSensitive),
            "CKR_ATTRIBUTE_SENSITIVE"
        );
        assert_eq!(rv_error(RvError::UserNotLoggedIn), "CKR_USER_NOT_LOGGED_IN");
    }

    #[test]
    fn every_cryptoki_error_maps_back_to_its_own_name() {
        for (rv, name) in CKR_NAMES.iter().skip(1) {
            match Rv::from(*rv) {
                Rv::Error(e) => assert_eq!(rv_error(e), *name),
                Rv::Ok => panic!("{name} is not an error"),
            }
        }
    }

    #[test]
    fn mechanisms_of_this_module_have_names() {
        assert_eq!(ckm(CKM_SHA3_256), "CKM_SHA3_256");
        assert_eq!(ckm(CKM_AES_KEY_WRAP_KWP), "CKM_AES_KEY_WRAP_KWP");
        assert_eq!(ckm(CKM_ML_DSA), "CKM_ML_DSA");
        assert_eq!(ckm(CKM_VENDOR_DEFINED + 0x70), "CKM_VENDOR_DEFINED+0x70");
        assert_eq!(ckm(0xC000_0071), "CKM_FALCON");
        assert_eq!(ckm(44), "CKM_HASH_ML_DSA_SHAKE256");
    }

    #[test]
    fn flags_are_spelled_with_unknown_bits_kept() {
        assert_eq!(
            mechanism_flags(CKF_ENCRYPT | CKF_DECRYPT),
            "CKF_ENCRYPT CKF_DECRYPT"
        );
        assert_eq!(
            mechanism_flags(CKF_SIGN | CKF_EC_F_P | CKF_EC_OID | CKF_EC_UNCOMPRESS),
            "CKF_SIGN CKF_EC_F_P CKF_EC_OID CKF_EC_UNCOMPRESS"
        );
        assert_eq!(token_flags(0), "(none)");
        assert_eq!(
            slot_flags(CKF_TOKEN_PRESENT | 0x100),
            "CKF_TOKEN_PRESENT 0x100"
        );
    }
}
