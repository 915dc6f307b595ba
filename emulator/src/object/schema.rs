//! The attribute rules of PKCS#11 3.2 §4, declared once per object class and
//! key type. Everything that creates, copies, changes or reads an object
//! consults these tables; nothing else decides what an attribute may do.

use cryptoki_sys::*;

/// How the value of an attribute is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Ulong,
    Bytes,
    /// CK_DATE: 8 ASCII digits, or empty.
    Date,
    /// A nested template, encoded by `Attributes::encode`.
    Template,
    /// An array of CK_ULONG (CK_MECHANISM_TYPE, …) as the C ABI passes it:
    /// a whole number of native-endian CK_ULONGs, possibly none.
    UlongArray,
}

/// What an attribute gets when the template leaves it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    /// No default: the attribute is absent unless given (or required).
    Absent,
    False,
    True,
    Empty,
    /// A CK_ULONG zero.
    Zero,
}

/// One attribute's behaviour for a class or key type.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub ty: CK_ATTRIBUTE_TYPE,
    pub kind: Kind,
    pub fill: Fill,
    pub flags: u8,
}

/// Must be in the template of C_CreateObject (spec note 1).
pub const REQUIRED: u8 = 1;
/// Set by the token only; a template naming it is refused (notes 2, 4, 6).
pub const TOKEN_SET: u8 = 2;
/// May be changed by C_SetAttributeValue and C_CopyObject (note 8).
pub const MODIFIABLE: u8 = 4;
/// Not revealed while CKA_SENSITIVE is true or CKA_EXTRACTABLE false (note 7).
pub const SENSITIVE: u8 = 8;
/// A boolean that may only change from false to true (note 11).
pub const ONLY_TO_TRUE: u8 = 16;
/// A boolean that may only change from true to false (note 12).
pub const ONLY_TO_FALSE: u8 = 32;
/// Key material produced by a generating mechanism, never by a template.
pub const GENERATED: u8 = 64;
/// No flag: given on import, supplied by the mechanism on generation, where a
/// template may repeat the same value.
pub const GENERATED_OR_GIVEN: u8 = 0;

const fn r(ty: CK_ATTRIBUTE_TYPE, kind: Kind, fill: Fill, flags: u8) -> Rule {
    Rule {
        ty,
        kind,
        fill,
        flags,
    }
}

use Fill::{Absent, Empty, False, True, Zero};
use Kind::{Bool, Bytes, Date, Template, Ulong, UlongArray};

/// Every object (§4.4 storage objects).
pub const STORAGE: &[Rule] = &[
    r(CKA_CLASS, Ulong, Absent, REQUIRED),
    r(CKA_TOKEN, Bool, False, 0),
    r(CKA_PRIVATE, Bool, Absent, 0),
    r(CKA_MODIFIABLE, Bool, True, 0),
    r(CKA_LABEL, Bytes, Empty, MODIFIABLE),
    r(CKA_COPYABLE, Bool, True, ONLY_TO_FALSE | MODIFIABLE),
    r(CKA_DESTROYABLE, Bool, True, MODIFIABLE),
    r(CKA_UNIQUE_ID, Bytes, Absent, TOKEN_SET),
];

/// CKO_DATA (§4.5).
pub const DATA: &[Rule] = &[
    r(CKA_APPLICATION, Bytes, Empty, MODIFIABLE),
    r(CKA_OBJECT_ID, Bytes, Empty, MODIFIABLE),
    r(CKA_VALUE, Bytes, Empty, MODIFIABLE),
];

/// Every certificate (§4.6).
pub const CERTIFICATE: &[Rule] = &[
    r(CKA_CERTIFICATE_TYPE, Ulong, Absent, REQUIRED),
    r(CKA_TRUSTED, Bool, False, 0),
    r(CKA_CERTIFICATE_CATEGORY, Ulong, Zero, MODIFIABLE),
    r(CKA_CHECK_VALUE, Bytes, Absent, 0),
    r(CKA_START_DATE, Date, Empty, MODIFIABLE),
    r(CKA_END_DATE, Date, Empty, MODIFIABLE),
    r(CKA_PUBLIC_KEY_INFO, Bytes, Empty, 0),
];

/// CKC_X_509 (§4.6.3).
pub const X509: &[Rule] = &[
    r(CKA_SUBJECT, Bytes, Absent, REQUIRED | MODIFIABLE),
    r(CKA_ID, Bytes, Empty, MODIFIABLE),
    r(CKA_ISSUER, Bytes, Empty, MODIFIABLE),
    r(CKA_SERIAL_NUMBER, Bytes, Empty, MODIFIABLE),
    r(CKA_VALUE, Bytes, Absent, REQUIRED),
    r(CKA_URL, Bytes, Empty, 0),
    r(CKA_HASH_OF_SUBJECT_PUBLIC_KEY, Bytes, Empty, 0),
    r(CKA_HASH_OF_ISSUER_PUBLIC_KEY, Bytes, Empty, 0),
    r(CKA_JAVA_MIDP_SECURITY_DOMAIN, Ulong, Absent, 0),
    r(CKA_NAME_HASH_ALGORITHM, Ulong, Absent, 0),
];

/// Every key (§4.7).
pub const KEY: &[Rule] = &[
    r(CKA_KEY_TYPE, Ulong, Absent, REQUIRED),
    r(CKA_ID, Bytes, Empty, MODIFIABLE),
    r(CKA_START_DATE, Date, Empty, MODIFIABLE),
    r(CKA_END_DATE, Date, Empty, MODIFIABLE),
    r(CKA_DERIVE, Bool, False, MODIFIABLE),
    r(CKA_LOCAL, Bool, Absent, TOKEN_SET),
    r(CKA_KEY_GEN_MECHANISM, Ulong, Absent, TOKEN_SET),
    // Empty: no restriction. Given on creation or generation, then fixed (no
    // note 8 in the table), or the restriction could be lifted at will.
    r(CKA_ALLOWED_MECHANISMS, UlongArray, Empty, 0),
];

/// CKO_PUBLIC_KEY (§4.8).
pub const PUBLIC_KEY: &[Rule] = &[
    r(CKA_SUBJECT, Bytes, Empty, MODIFIABLE),
    r(CKA_ENCRYPT, Bool, True, MODIFIABLE),
    r(CKA_VERIFY, Bool, True, MODIFIABLE),
    r(CKA_VERIFY_RECOVER, Bool, False, MODIFIABLE),
    r(CKA_WRAP, Bool, True, MODIFIABLE),
    r(CKA_ENCAPSULATE, Bool, True, MODIFIABLE),
    r(CKA_TRUSTED, Bool, False, 0),
    r(CKA_PUBLIC_KEY_INFO, Bytes, Empty, 0),
    r(CKA_WRAP_TEMPLATE, Template, Absent, 0),
    r(CKA_ENCAPSULATE_TEMPLATE, Template, Absent, 0),
];

/// CKO_PRIVATE_KEY (§4.9).
pub const PRIVATE_KEY: &[Rule] = &[
    r(CKA_SUBJECT, Bytes, Empty, MODIFIABLE),
    r(CKA_SENSITIVE, Bool, True, ONLY_TO_TRUE | MODIFIABLE),
    r(CKA_DECRYPT, Bool, True, MODIFIABLE),
    r(CKA_SIGN, Bool, True, MODIFIABLE),
    r(CKA_SIGN_RECOVER, Bool, False, MODIFIABLE),
    r(CKA_UNWRAP, Bool, True, MODIFIABLE),
    r(CKA_DECAPSULATE, Bool, True, MODIFIABLE),
    r(CKA_EXTRACTABLE, Bool, True, ONLY_TO_FALSE | MODIFIABLE),
    r(CKA_ALWAYS_SENSITIVE, Bool, Absent, TOKEN_SET),
    r(CKA_NEVER_EXTRACTABLE, Bool, Absent, TOKEN_SET),
    r(
        CKA_WRAP_WITH_TRUSTED,
        Bool,
        False,
        ONLY_TO_TRUE | MODIFIABLE,
    ),
    r(CKA_ALWAYS_AUTHENTICATE, Bool, False, 0),
    r(CKA_PUBLIC_KEY_INFO, Bytes, Empty, 0),
    r(CKA_UNWRAP_TEMPLATE, Template, Absent, 0),
    r(CKA_DERIVE_TEMPLATE, Template, Absent, 0),
    r(CKA_DECAPSULATE_TEMPLATE, Template, Absent, 0),
];

/// CKO_SECRET_KEY (§4.10).
pub const SECRET_KEY: &[Rule] = &[
    r(CKA_SENSITIVE, Bool, True, ONLY_TO_TRUE | MODIFIABLE),
    r(CKA_ENCRYPT, Bool, True, MODIFIABLE),
    r(CKA_DECRYPT, Bool, True, MODIFIABLE),
    r(CKA_SIGN, Bool, True, MODIFIABLE),
    r(CKA_VERIFY, Bool, True, MODIFIABLE),
    r(CKA_WRAP, Bool, True, MODIFIABLE),
    r(CKA_UNWRAP, Bool, True, MODIFIABLE),
    r(CKA_EXTRACTABLE, Bool, True, ONLY_TO_FALSE | MODIFIABLE),
    r(CKA_ALWAYS_SENSITIVE, Bool, Absent, TOKEN_SET),
    r(CKA_NEVER_EXTRACTABLE, Bool, Absent, TOKEN_SET),
    r(
        CKA_WRAP_WITH_TRUSTED,
        Bool,
        False,
        ONLY_TO_TRUE | MODIFIABLE,
    ),
    r(CKA_TRUSTED, Bool, False, 0),
    r(CKA_WRAP_TEMPLATE, Template, Absent, 0),
    r(CKA_UNWRAP_TEMPLATE, Template, Absent, 0),
    r(CKA_DERIVE_TEMPLATE, Template, Absent, 0),
];

/// Symmetric keys whose CKA_VALUE is the key (AES, generic secret, HMAC keys).
pub const SYMMETRIC_VALUE: &[Rule] = &[
    r(CKA_VALUE, Bytes, Absent, REQUIRED | SENSITIVE | GENERATED),
    r(CKA_VALUE_LEN, Ulong, Absent, 0),
];

/// CKK_RSA public key (§6.1.2).
pub const RSA_PUBLIC: &[Rule] = &[
    r(CKA_MODULUS, Bytes, Absent, REQUIRED | GENERATED),
    r(CKA_MODULUS_BITS, Ulong, Absent, 0),
    r(CKA_PUBLIC_EXPONENT, Bytes, Absent, REQUIRED),
];

/// CKK_RSA private key (§6.1.3).
pub const RSA_PRIVATE: &[Rule] = &[
    r(CKA_MODULUS, Bytes, Absent, REQUIRED | GENERATED),
    r(CKA_PUBLIC_EXPONENT, Bytes, Absent, GENERATED),
    r(
        CKA_PRIVATE_EXPONENT,
        Bytes,
        Absent,
        REQUIRED | SENSITIVE | GENERATED,
    ),
    r(CKA_PRIME_1, Bytes, Absent, SENSITIVE | GENERATED),
    r(CKA_PRIME_2, Bytes, Absent, SENSITIVE | GENERATED),
    r(CKA_EXPONENT_1, Bytes, Absent, SENSITIVE | GENERATED),
    r(CKA_EXPONENT_2, Bytes, Absent, SENSITIVE | GENERATED),
    r(CKA_COEFFICIENT, Bytes, Absent, SENSITIVE | GENERATED),
];

/// CKK_EC public key (§6.3.3).
pub const EC_PUBLIC: &[Rule] = &[
    r(CKA_EC_PARAMS, Bytes, Absent, REQUIRED),
    r(CKA_EC_POINT, Bytes, Absent, REQUIRED | GENERATED),
];

/// CKK_EC private key (§6.3.4).
pub const EC_PRIVATE: &[Rule] = &[
    r(CKA_EC_PARAMS, Bytes, Absent, REQUIRED),
    r(CKA_VALUE, Bytes, Absent, REQUIRED | SENSITIVE | GENERATED),
];

/// Public half of the post-quantum key types: the raw FIPS encoding in
/// CKA_VALUE. The parameter set may be omitted on import when the value's
/// length names it; the key family checks both.
pub const PQC_PUBLIC: &[Rule] = &[
    r(CKA_PARAMETER_SET, Ulong, Absent, GENERATED_OR_GIVEN),
    r(CKA_VALUE, Bytes, Absent, REQUIRED | GENERATED),
];

/// Private half of ML-KEM and ML-DSA: the expanded key and/or its seed,
/// both secret.
pub const PQC_PRIVATE_SEEDED: &[Rule] = &[
    r(CKA_PARAMETER_SET, Ulong, Absent, GENERATED_OR_GIVEN),
    r(CKA_VALUE, Bytes, Absent, SENSITIVE | GENERATED),
    r(CKA_SEED, Bytes, Absent, SENSITIVE | GENERATED),
];

/// Private half of SLH-DSA and Falcon: no seed form.
pub const PQC_PRIVATE: &[Rule] = &[
    r(CKA_PARAMETER_SET, Ulong, Absent, GENERATED_OR_GIVEN),
    r(CKA_VALUE, Bytes, Absent, REQUIRED | SENSITIVE | GENERATED),
];

/// Luna's name for the Falcon parameter set.
pub const FALCON_KEY_PARAMS: &[Rule] = &[r(
    crate::vendor::CKA_KEY_PARAMS,
    Ulong,
    Absent,
    GENERATED_OR_GIVEN,
)];

/// For key types whose CKA_VALUE is a raw symmetric key: whether `len`
/// bytes is a valid key length. `None` for every other key type.
pub fn symmetric_len_ok(key_type: CK_KEY_TYPE, len: usize) -> Option<bool> {
    match key_type {
        CKK_AES => Some(matches!(len, 16 | 24 | 32)),
        CKK_GENERIC_SECRET | CKK_SHA_1_HMAC | CKK_SHA224_HMAC | CKK_SHA256_HMAC
        | CKK_SHA384_HMAC | CKK_SHA512_HMAC | CKK_SHA3_224_HMAC | CKK_SHA3_256_HMAC
        | CKK_SHA3_384_HMAC | CKK_SHA3_512_HMAC => Some((1..=512).contains(&len)),
        _ => None,
    }
}
