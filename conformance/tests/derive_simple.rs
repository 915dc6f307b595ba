//! C_DeriveKey through the module with the PKCS#11 2.x derivations
//! (CKM_CONCATENATE_BASE_AND_KEY / _BASE_AND_DATA / _DATA_AND_BASE,
//! CKM_XOR_BASE_AND_DATA, CKM_EXTRACT_KEY_FROM_KEY, CKM_AES_ECB_ENCRYPT_DATA,
//! CKM_AES_CBC_ENCRYPT_DATA) and with what SP 800-108 gained alongside them:
//! feedback mode and additional derived keys, whose handles the module
//! writes into the caller's CK_DERIVED_KEY array. Values are checked against
//! the spec's examples and NIST vectors; sensitivity, provenance and the
//! second key's checks through the attributes the module reports.

use cryptoki::mechanism::kbkdf::{
    DerivedKey, Endianness, KbkdfCounterFormat, KbkdfFeedbackParams, PrfDataParam, PrfDataParamType,
};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass};
use cryptoki_sys::*;
use qrc_conformance::raw::{self, Mech, Template};
use qrc_conformance::{call, expect_ok, expect_rv, keys, must, rv_from, Fixture};
use std::ffi::c_void;
use std::num::NonZeroUsize;
use std::ptr;

/// `C_DeriveKey` with a raw mechanism.
fn derive(
    h: CK_SESSION_HANDLE,
    m: &mut Mech,
    base: CK_OBJECT_HANDLE,
    template: Vec<Attribute>,
) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    let mut t = Template::new(template);
    let mut key: CK_OBJECT_HANDLE = CK_INVALID_HANDLE;
    match call!(C_DeriveKey(h, m.ptr(), base, t.ptr(), t.len(), &mut key)) {
        CKR_OK => Ok(key),
        rv => Err(rv),
    }
}

/// A readable derived secret key: not sensitive, extractable, in the session.
fn open_template(extra: Vec<Attribute>) -> Vec<Attribute> {
    keys::merge(
        vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Token(false),
            Attribute::Sensitive(false),
            Attribute::Extractable(true),
        ],
        extra,
    )
}

/// A CK_KEY_DERIVATION_STRING_DATA mechanism over `data` (which must
/// outlive the mechanism's use).
fn string_data(ty: CK_MECHANISM_TYPE, data: &mut [u8]) -> Mech {
    Mech::with_struct(
        ty,
        CK_KEY_DERIVATION_STRING_DATA {
            pData: data.as_mut_ptr(),
            ulLen: data.len() as CK_ULONG,
        },
    )
}

fn value(h: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> Vec<u8> {
    must(
        raw::attr(h, key, CKA_VALUE),
        "C_GetAttributeValue(CKA_VALUE)",
    )
}

fn flag(h: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE, ty: CK_ATTRIBUTE_TYPE) -> bool {
    must(raw::attr_bool(h, key, ty), &format!("attribute 0x{ty:X}"))
}

/// The spec's examples (§6.43): base 0x01234567, other key or data
/// 0x89ABCDEF; extraction of 0x329F84A9 from bit 21.
#[test]
fn spec_examples() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let derivable = || vec![Attribute::Derive(true)];
    let base = keys::generic(&s, &[0x01, 0x23, 0x45, 0x67], derivable());
    let other = keys::generic(&s, &[0x89, 0xab, 0xcd, 0xef], derivable());
    let mut data = [0x89u8, 0xab, 0xcd, 0xef];

    let mut both = Mech::with_struct(CKM_CONCATENATE_BASE_AND_KEY, other);
    let k = must(
        derive(h, &mut both, base, open_template(vec![])),
        "BASE_AND_KEY",
    );
    assert_eq!(hex::encode(value(h, k)), "0123456789abcdef");
    // No key type or length given: a generic secret as long as the material,
    // computed (not generated) by the token.
    assert_eq!(
        must(raw::attr_ulong(h, k, CKA_KEY_TYPE), "CKA_KEY_TYPE"),
        CKK_GENERIC_SECRET
    );
    assert_eq!(
        must(raw::attr_ulong(h, k, CKA_VALUE_LEN), "CKA_VALUE_LEN"),
        8
    );
    assert!(!flag(h, k, CKA_LOCAL));
    assert_eq!(
        must(
            raw::attr_ulong(h, k, CKA_KEY_GEN_MECHANISM),
            "CKA_KEY_GEN_MECHANISM"
        ),
        CK_UNAVAILABLE_INFORMATION
    );

    for (ty, want) in [
        (CKM_CONCATENATE_BASE_AND_DATA, "0123456789abcdef"),
        (CKM_CONCATENATE_DATA_AND_BASE, "89abcdef01234567"),
        (CKM_XOR_BASE_AND_DATA, "88888888"),
    ] {
        let k = must(
            derive(
                h,
                &mut string_data(ty, &mut data),
                base,
                open_template(vec![]),
            ),
            &format!("mechanism 0x{ty:X}"),
        );
        assert_eq!(hex::encode(value(h, k)), want, "mechanism 0x{ty:X}");
    }
    // A length: the leading bytes.
    let k = must(
        derive(
            h,
            &mut string_data(CKM_CONCATENATE_DATA_AND_BASE, &mut data),
            base,
            open_template(vec![Attribute::ValueLen(5.into())]),
        ),
        "DATA_AND_BASE, 5 bytes",
    );
    assert_eq!(hex::encode(value(h, k)), "89abcdef01");

    let source = keys::generic(&s, &[0x32, 0x9f, 0x84, 0xa9], derivable());
    let mut extract = Mech::with_struct(CKM_EXTRACT_KEY_FROM_KEY, 21 as CK_EXTRACT_PARAMS);
    let k = must(
        derive(
            h,
            &mut extract,
            source,
            open_template(vec![Attribute::ValueLen(2.into())]),
        ),
        "EXTRACT_KEY_FROM_KEY",
    );
    assert_eq!(hex::encode(value(h, k)), "9526");
}

#[test]
fn lengths_and_parameters() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let base = keys::generic(&s, &[1; 20], vec![Attribute::Derive(true)]);
    let mut data = [2u8; 12];
    let mut data2 = data;
    let too_long = |n: u64| open_template(vec![Attribute::ValueLen(n.into())]);
    // Longer than the material: 32 for concatenation, 12 for XOR, 20 for
    // extraction.
    for (mut m, n) in [
        (string_data(CKM_CONCATENATE_BASE_AND_DATA, &mut data), 33),
        (string_data(CKM_XOR_BASE_AND_DATA, &mut data2), 13),
        (
            Mech::with_struct(CKM_EXTRACT_KEY_FROM_KEY, 0 as CK_EXTRACT_PARAMS),
            21,
        ),
    ] {
        expect_rv(
            rv_from(&derive(h, &mut m, base, too_long(n))),
            CKR_TEMPLATE_INCONSISTENT,
            &format!("{n} bytes"),
        );
    }
    // An AES key from 32 bytes of material: all of it; a 20-byte AES key is
    // not an AES key.
    let aes = |len: Option<u64>| {
        let mut extra = vec![Attribute::KeyType(KeyType::AES)];
        extra.extend(len.map(|n| Attribute::ValueLen(n.into())));
        open_template(extra)
    };
    let k = must(
        derive(
            h,
            &mut string_data(CKM_CONCATENATE_BASE_AND_DATA, &mut data),
            base,
            aes(None),
        ),
        "AES key from 32 bytes",
    );
    assert_eq!(value(h, k).len(), 32);
    expect_rv(
        rv_from(&derive(
            h,
            &mut string_data(CKM_CONCATENATE_BASE_AND_DATA, &mut data),
            base,
            aes(Some(20)),
        )),
        CKR_ATTRIBUTE_VALUE_INVALID,
        "a 20-byte AES key",
    );
    // Extraction needs a length.
    expect_rv(
        rv_from(&derive(
            h,
            &mut Mech::with_struct(CKM_EXTRACT_KEY_FROM_KEY, 0 as CK_EXTRACT_PARAMS),
            base,
            open_template(vec![]),
        )),
        CKR_TEMPLATE_INCOMPLETE,
        "extraction without CKA_VALUE_LEN",
    );
    // Malformed parameters: none, empty data, NULL data, wrong size, a bit
    // index past the key.
    let mut empty: [u8; 0] = [];
    let null_data = CK_KEY_DERIVATION_STRING_DATA {
        pData: ptr::null_mut(),
        ulLen: 4,
    };
    for (mut m, what) in [
        (Mech::new(CKM_XOR_BASE_AND_DATA), "no parameter"),
        (string_data(CKM_XOR_BASE_AND_DATA, &mut empty), "empty data"),
        (
            Mech::with_struct(CKM_CONCATENATE_BASE_AND_DATA, null_data),
            "NULL data",
        ),
        (
            Mech::with_bytes(CKM_CONCATENATE_DATA_AND_BASE, &[1, 2, 3]),
            "raw bytes",
        ),
        (
            Mech::with_struct(CKM_EXTRACT_KEY_FROM_KEY, 160 as CK_EXTRACT_PARAMS),
            "bit 160 of a 160-bit key",
        ),
        (
            Mech::with_struct(CKM_CONCATENATE_BASE_AND_KEY, 0u32),
            "a 4-byte handle",
        ),
    ] {
        expect_rv(
            rv_from(&derive(h, &mut m, base, too_long(4))),
            CKR_MECHANISM_PARAM_INVALID,
            what,
        );
    }
    // Only secret keys come out.
    expect_rv(
        rv_from(&derive(
            h,
            &mut string_data(CKM_XOR_BASE_AND_DATA, &mut data),
            base,
            vec![Attribute::Class(ObjectClass::DATA), Attribute::Token(false)],
        )),
        CKR_TEMPLATE_INCONSISTENT,
        "a data object",
    );
}

/// NIST SP 800-38A F.1.1 (ECB-AES128) and F.2.1 (CBC-AES128): the
/// ciphertext is the new key's value.
#[test]
fn aes_encrypt_data() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let base = keys::aes(
        &s,
        &hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap(),
        vec![Attribute::Derive(true)],
    );
    let mut plain =
        hex::decode("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51").unwrap();
    let ecb = "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf";
    let cbc = "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2";
    let aes256 = || {
        open_template(vec![
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen(32.into()),
            Attribute::Encrypt(true),
        ])
    };
    let k = must(
        derive(
            h,
            &mut string_data(CKM_AES_ECB_ENCRYPT_DATA, &mut plain),
            base,
            aes256(),
        ),
        "AES_ECB_ENCRYPT_DATA",
    );
    assert_eq!(hex::encode(value(h, k)), ecb);
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&hex::decode("000102030405060708090a0b0c0d0e0f").unwrap());
    let cbc_params = |data: &mut [u8]| {
        Mech::with_struct(
            CKM_AES_CBC_ENCRYPT_DATA,
            CK_AES_CBC_ENCRYPT_DATA_PARAMS {
                iv,
                pData: data.as_mut_ptr(),
                length: data.len() as CK_ULONG,
            },
        )
    };
    let k = must(
        derive(h, &mut cbc_params(&mut plain), base, aes256()),
        "AES_CBC_ENCRYPT_DATA",
    );
    assert_eq!(hex::encode(value(h, k)), cbc);
    // The derived AES key works: it encrypts as a key of that value does.
    let reference = keys::aes(&s, &hex::decode(cbc).unwrap(), vec![]);
    let block = [0x5au8; 16];
    assert_eq!(
        must(
            raw::encrypt(h, &mut Mech::new(CKM_AES_ECB), k, &block),
            "C_Encrypt"
        ),
        must(
            raw::encrypt(h, &mut Mech::new(CKM_AES_ECB), reference, &block),
            "C_Encrypt (reference)"
        )
    );
    // A shorter key takes the leading bytes.
    let k = must(
        derive(
            h,
            &mut cbc_params(&mut plain),
            base,
            open_template(vec![Attribute::ValueLen(20.into())]),
        ),
        "20 bytes of AES_CBC_ENCRYPT_DATA",
    );
    assert_eq!(hex::encode(value(h, k)), cbc[..40]);
    // More key than data: CKR_DATA_LEN_RANGE (§6.17); data not in whole
    // blocks: a bad parameter; a generic secret base: the wrong key type.
    expect_rv(
        rv_from(&derive(
            h,
            &mut string_data(CKM_AES_ECB_ENCRYPT_DATA, &mut plain[..16]),
            base,
            aes256(),
        )),
        CKR_DATA_LEN_RANGE,
        "32-byte key from 16 bytes",
    );
    expect_rv(
        rv_from(&derive(
            h,
            &mut cbc_params(&mut plain[..17]),
            base,
            aes256(),
        )),
        CKR_MECHANISM_PARAM_INVALID,
        "17 bytes of data",
    );
    let generic = keys::generic(&s, &[1; 16], vec![Attribute::Derive(true)]);
    expect_rv(
        rv_from(&derive(
            h,
            &mut string_data(CKM_AES_ECB_ENCRYPT_DATA, &mut plain),
            generic,
            aes256(),
        )),
        CKR_KEY_TYPE_INCONSISTENT,
        "a generic secret base key",
    );
}

#[test]
fn sensitivity_and_provenance() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    // Generated sensitive and unextractable: ALWAYS_SENSITIVE, NEVER_EXTRACTABLE.
    let locked = must(
        raw::generate_key(
            h,
            &mut Mech::new(CKM_AES_KEY_GEN),
            vec![
                Attribute::Token(false),
                Attribute::ValueLen(32.into()),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Derive(true),
            ],
        ),
        "C_GenerateKey",
    );
    assert!(flag(h, locked, CKA_ALWAYS_SENSITIVE) && flag(h, locked, CKA_NEVER_EXTRACTABLE));
    let mut data = [7u8; 32];
    let plain = || {
        vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Token(false),
        ]
    };
    let k = must(
        derive(
            h,
            &mut string_data(CKM_AES_ECB_ENCRYPT_DATA, &mut data),
            locked,
            plain(),
        ),
        "from a locked key",
    );
    for (attr, want) in [
        (CKA_SENSITIVE, true),
        (CKA_EXTRACTABLE, false),
        (CKA_ALWAYS_SENSITIVE, true),
        (CKA_NEVER_EXTRACTABLE, true),
        (CKA_LOCAL, false),
    ] {
        assert_eq!(flag(h, k, attr), want, "derived attribute 0x{attr:X}");
    }
    expect_rv(
        rv_from(&raw::attr(h, k, CKA_VALUE)),
        CKR_ATTRIBUTE_SENSITIVE,
        "CKA_VALUE of the derived key",
    );
    for (what, extra) in [
        ("CKA_SENSITIVE false", Attribute::Sensitive(false)),
        ("CKA_EXTRACTABLE true", Attribute::Extractable(true)),
    ] {
        expect_rv(
            rv_from(&derive(
                h,
                &mut string_data(CKM_AES_ECB_ENCRYPT_DATA, &mut data),
                locked,
                keys::merge(plain(), vec![extra]),
            )),
            CKR_TEMPLATE_INCONSISTENT,
            &format!("a template asking {what} of a locked key's derivation"),
        );
    }
    // A created (not generated) sensitive key: the derived key is sensitive
    // but was never ALWAYS_SENSITIVE.
    let created = keys::aes(
        &s,
        &[3; 16],
        vec![Attribute::Sensitive(true), Attribute::Derive(true)],
    );
    assert!(!flag(h, created, CKA_ALWAYS_SENSITIVE));
    let k = must(
        derive(
            h,
            &mut string_data(CKM_AES_ECB_ENCRYPT_DATA, &mut data),
            created,
            plain(),
        ),
        "from a created sensitive key",
    );
    assert!(flag(h, k, CKA_SENSITIVE) && !flag(h, k, CKA_ALWAYS_SENSITIVE));
    assert!(flag(h, k, CKA_EXTRACTABLE) && !flag(h, k, CKA_NEVER_EXTRACTABLE));
}

/// Concatenation, XOR and extraction refuse keys whose value is hidden: a
/// one-byte result (or known bytes and one key byte) tried 256 ways against
/// an HMAC would give the key away a byte at a time.
#[test]
fn hidden_keys_move_no_bytes() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let derivable = |extra: Vec<Attribute>| keys::merge(vec![Attribute::Derive(true)], extra);
    let open = keys::generic(&s, &[1; 16], derivable(vec![]));
    let sensitive = keys::generic(&s, &[2; 16], derivable(vec![Attribute::Sensitive(true)]));
    let locked = keys::generic(&s, &[3; 16], derivable(vec![Attribute::Extractable(false)]));
    let one_byte = || open_template(vec![Attribute::ValueLen(1.into())]);
    let mut data = [9u8; 15];
    for (hidden, what) in [(sensitive, "sensitive"), (locked, "unextractable")] {
        for ty in [
            CKM_CONCATENATE_BASE_AND_DATA,
            CKM_CONCATENATE_DATA_AND_BASE,
            CKM_XOR_BASE_AND_DATA,
        ] {
            expect_rv(
                rv_from(&derive(
                    h,
                    &mut string_data(ty, &mut data),
                    hidden,
                    one_byte(),
                )),
                CKR_KEY_FUNCTION_NOT_PERMITTED,
                &format!("mechanism 0x{ty:X} on a {what} key"),
            );
        }
        expect_rv(
            rv_from(&derive(
                h,
                &mut Mech::with_struct(CKM_EXTRACT_KEY_FROM_KEY, 8 as CK_EXTRACT_PARAMS),
                hidden,
                one_byte(),
            )),
            CKR_KEY_FUNCTION_NOT_PERMITTED,
            &format!("extraction from a {what} key"),
        );
        for (base, other) in [(open, hidden), (hidden, open)] {
            expect_rv(
                rv_from(&derive(
                    h,
                    &mut Mech::with_struct(CKM_CONCATENATE_BASE_AND_KEY, other),
                    base,
                    one_byte(),
                )),
                CKR_KEY_FUNCTION_NOT_PERMITTED,
                &format!("concatenation with a {what} key"),
            );
        }
    }
    // A readable key gives nothing away: its bytes move freely.
    let k = must(
        derive(
            h,
            &mut Mech::with_struct(CKM_EXTRACT_KEY_FROM_KEY, 8 as CK_EXTRACT_PARAMS),
            open,
            one_byte(),
        ),
        "one byte of a readable key",
    );
    assert_eq!(value(h, k), [1]);
}

#[test]
fn second_key_checks() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let base = keys::generic(&s, &[1; 8], vec![Attribute::Derive(true)]);
    let no_derive = keys::generic(&s, &[2; 8], vec![]);
    let other_mech = keys::generic(
        &s,
        &[3; 8],
        vec![
            Attribute::Derive(true),
            Attribute::AllowedMechanisms(vec![MechanismType::CONCATENATE_BASE_AND_DATA]),
        ],
    );
    let data_object = keys::data(&s, "not a key", b"bytes", vec![]);
    for (other, want, what) in [
        (
            no_derive,
            CKR_KEY_FUNCTION_NOT_PERMITTED,
            "second key without CKA_DERIVE",
        ),
        (
            other_mech,
            CKR_MECHANISM_INVALID,
            "second key not allowing the mechanism",
        ),
        (
            data_object,
            CKR_KEY_HANDLE_INVALID,
            "a data object as second key",
        ),
        (0xdead_beef, CKR_KEY_HANDLE_INVALID, "no such object"),
    ] {
        expect_rv(
            rv_from(&derive(
                h,
                &mut Mech::with_struct(CKM_CONCATENATE_BASE_AND_KEY, other),
                base,
                open_template(vec![]),
            )),
            want,
            what,
        );
    }
    // The base key's own CKA_DERIVE is checked as for every mechanism.
    let derivable = keys::generic(&s, &[5; 8], vec![Attribute::Derive(true)]);
    expect_rv(
        rv_from(&derive(
            h,
            &mut Mech::with_struct(CKM_CONCATENATE_BASE_AND_KEY, derivable),
            no_derive,
            open_template(vec![]),
        )),
        CKR_KEY_FUNCTION_NOT_PERMITTED,
        "base key without CKA_DERIVE",
    );
}

/// An SP 800-108 CK_PRF_DATA_PARAM.
fn prf_param(type_: CK_PRF_DATA_TYPE, p: *mut c_void, len: usize) -> CK_PRF_DATA_PARAM {
    CK_PRF_DATA_PARAM {
        type_,
        pValue: p,
        ulValueLen: len as CK_ULONG,
    }
}

/// NIST CAVP KBKDF FeedbackModeNOzeroiv, [PRF=HMAC_SHA256]
/// [CTRLOCATION=AFTER_ITER] [RLEN=32_BITS], COUNT=0: K(i) = HMAC(KI,
/// K(i-1) ‖ [i]_32 ‖ FixedInputData), K(0) = IV.
#[test]
fn sp800_108_feedback_vector() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let ki =
        hex::decode("93f698e842eed75394d629d957e2e89c6e741f810b623c8b901e38376d068e7b").unwrap();
    let mut iv =
        hex::decode("9f575d9059d3e0c0803f08112f8a806de3c3471912cdf42b095388b14b33508e").unwrap();
    let mut fixed = hex::decode(
        "53b89c18690e2057a1d167822e636de50be0018532c431f7f5e37f77139220d5\
         e042599ebe266af5767ee18cd2c5c19a1f0f80",
    )
    .unwrap();
    let ko = "bd1476f43a4e315747cf5918e0ea5bc0d98769457477c3ab18b742def0e079a9\
              33b756365afb5541f253fee43c6fd788a44041038509e9eeb68f7d65ffbb5f95";
    let base = keys::generic(&s, &ki, vec![Attribute::Derive(true)]);
    let mut counter = CK_SP800_108_COUNTER_FORMAT {
        bLittleEndian: CK_FALSE,
        ulWidthInBits: 32,
    };
    let mut data = [
        prf_param(CK_SP800_108_ITERATION_VARIABLE, ptr::null_mut(), 0),
        prf_param(
            CK_SP800_108_OPTIONAL_COUNTER,
            (&mut counter as *mut CK_SP800_108_COUNTER_FORMAT).cast(),
            std::mem::size_of::<CK_SP800_108_COUNTER_FORMAT>(),
        ),
        prf_param(
            CK_SP800_108_BYTE_ARRAY,
            fixed.as_mut_ptr().cast(),
            fixed.len(),
        ),
    ];
    let params = CK_SP800_108_FEEDBACK_KDF_PARAMS {
        prfType: CKM_SHA256_HMAC,
        ulNumberOfDataParams: data.len() as CK_ULONG,
        pDataParams: data.as_mut_ptr(),
        ulIVLen: iv.len() as CK_ULONG,
        pIV: iv.as_mut_ptr(),
        ulAdditionalDerivedKeys: 0,
        pAdditionalDerivedKeys: ptr::null_mut(),
    };
    let k = must(
        derive(
            h,
            &mut Mech::with_struct(CKM_SP800_108_FEEDBACK_KDF, params),
            base,
            open_template(vec![Attribute::ValueLen(64.into())]),
        ),
        "CKM_SP800_108_FEEDBACK_KDF",
    );
    assert_eq!(hex::encode(value(h, k)), ko);
    // The feedback structure under the counter mechanism is the wrong size.
    expect_rv(
        rv_from(&derive(
            h,
            &mut Mech::with_struct(CKM_SP800_108_COUNTER_KDF, params),
            base,
            open_template(vec![Attribute::ValueLen(64.into())]),
        )),
        CKR_MECHANISM_PARAM_INVALID,
        "CK_SP800_108_FEEDBACK_KDF_PARAMS for the counter mode",
    );
}

fn object_count(h: CK_SESSION_HANDLE) -> usize {
    must(raw::find(h, vec![], 16), "C_FindObjects").len()
}

/// Counter mode with AES-CMAC and two additional keys: the module writes
/// each handle into its CK_DERIVED_KEY; each key comes from PRF blocks of
/// its own (§6.42.7), which the one-key stream with the same L shows.
#[test]
fn sp800_108_additional_keys() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let base = keys::aes(&s, &[0x5a; 32], vec![Attribute::Derive(true)]);
    let mut counter = CK_SP800_108_COUNTER_FORMAT {
        bLittleEndian: CK_FALSE,
        ulWidthInBits: 16,
    };
    let mut dkm = CK_SP800_108_DKM_LENGTH_FORMAT {
        dkmLengthMethod: CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS,
        bLittleEndian: CK_FALSE,
        ulWidthInBits: 32,
    };
    let mut label = *b"label";
    let counter_ptr = (&mut counter as *mut CK_SP800_108_COUNTER_FORMAT).cast();
    let counter_len = std::mem::size_of::<CK_SP800_108_COUNTER_FORMAT>();
    let mut data = [
        prf_param(CK_SP800_108_ITERATION_VARIABLE, counter_ptr, counter_len),
        prf_param(CK_SP800_108_BYTE_ARRAY, label.as_mut_ptr().cast(), 5),
        prf_param(
            CK_SP800_108_DKM_LENGTH,
            (&mut dkm as *mut CK_SP800_108_DKM_LENGTH_FORMAT).cast(),
            std::mem::size_of::<CK_SP800_108_DKM_LENGTH_FORMAT>(),
        ),
    ];
    let mut second = Template::new(open_template(vec![
        Attribute::KeyType(KeyType::AES),
        Attribute::ValueLen(16.into()),
    ]));
    let mut third = Template::new(open_template(vec![Attribute::ValueLen(1.into())]));
    let mut handles: [CK_OBJECT_HANDLE; 2] = [12345; 2];
    let out = handles.as_mut_ptr();
    let mut derived = [
        CK_DERIVED_KEY {
            pTemplate: second.ptr(),
            ulAttributeCount: second.len(),
            phKey: out,
        },
        CK_DERIVED_KEY {
            pTemplate: third.ptr(),
            ulAttributeCount: third.len(),
            phKey: out.wrapping_add(1),
        },
    ];
    let params = CK_SP800_108_KDF_PARAMS {
        prfType: CKM_AES_CMAC,
        ulNumberOfDataParams: data.len() as CK_ULONG,
        pDataParams: data.as_mut_ptr(),
        ulAdditionalDerivedKeys: 2,
        pAdditionalDerivedKeys: derived.as_mut_ptr(),
    };
    let main_template = || {
        open_template(vec![
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen(32.into()),
        ])
    };
    let before = object_count(h);
    let first = must(
        derive(
            h,
            &mut Mech::with_struct(CKM_SP800_108_COUNTER_KDF, params),
            base,
            main_template(),
        ),
        "counter KDF with two additional keys",
    );
    // SAFETY: `handles`, which the module wrote through the phKey pointers.
    let [second_key, third_key] = unsafe { [*out, *out.add(1)] };
    assert_eq!(object_count(h), before + 3, "three new objects");
    let all = [first, second_key, third_key];
    for (i, k) in all.iter().enumerate() {
        assert!(*k != CK_INVALID_HANDLE && *k != 12345, "handle {i} written");
        assert!(all[..i].iter().all(|o| o != k), "handle {i} distinct");
    }
    assert_eq!(
        must(raw::attr_ulong(h, second_key, CKA_KEY_TYPE), "CKA_KEY_TYPE"),
        CKK_AES
    );
    assert_eq!(
        must(raw::attr_ulong(h, third_key, CKA_KEY_TYPE), "CKA_KEY_TYPE"),
        CKK_GENERIC_SECRET
    );
    // The reference: one 64-byte key with L (49 bytes, in bits) as a byte
    // array where the DKM length stood: blocks 1-2, 3 and 4 of its stream.
    let mut l_bits = (49u32 * 8).to_be_bytes();
    let mut one = data;
    one[2] = prf_param(CK_SP800_108_BYTE_ARRAY, l_bits.as_mut_ptr().cast(), 4);
    let reference = CK_SP800_108_KDF_PARAMS {
        pDataParams: one.as_mut_ptr(),
        ulAdditionalDerivedKeys: 0,
        pAdditionalDerivedKeys: ptr::null_mut(),
        ..params
    };
    let stream = must(
        derive(
            h,
            &mut Mech::with_struct(CKM_SP800_108_COUNTER_KDF, reference),
            base,
            open_template(vec![Attribute::ValueLen(64.into())]),
        ),
        "reference stream",
    );
    let stream = value(h, stream);
    assert_eq!(value(h, first), stream[..32]);
    assert_eq!(value(h, second_key), stream[32..48]);
    assert_eq!(value(h, third_key), stream[48..49]);

    // A bad additional template (an AES key of 20 bytes): no key is made and
    // every phKey says CK_INVALID_HANDLE.
    let mut bad = Template::new(open_template(vec![
        Attribute::KeyType(KeyType::AES),
        Attribute::ValueLen(20.into()),
    ]));
    derived[1].pTemplate = bad.ptr();
    derived[1].ulAttributeCount = bad.len();
    let params = CK_SP800_108_KDF_PARAMS {
        pAdditionalDerivedKeys: derived.as_mut_ptr(),
        ..params
    };
    let before = object_count(h);
    expect_rv(
        rv_from(&derive(
            h,
            &mut Mech::with_struct(CKM_SP800_108_COUNTER_KDF, params),
            base,
            main_template(),
        )),
        CKR_ATTRIBUTE_VALUE_INVALID,
        "a 20-byte AES key among the additional keys",
    );
    assert_eq!(object_count(h), before, "no object made");
    // SAFETY: as above.
    assert_eq!(unsafe { [*out, *out.add(1)] }, [CK_INVALID_HANDLE; 2]);
    // A NULL phKey is a malformed parameter.
    derived[1].pTemplate = third.ptr();
    derived[1].ulAttributeCount = third.len();
    derived[1].phKey = ptr::null_mut();
    let params = CK_SP800_108_KDF_PARAMS {
        pAdditionalDerivedKeys: derived.as_mut_ptr(),
        ..params
    };
    expect_rv(
        rv_from(&derive(
            h,
            &mut Mech::with_struct(CKM_SP800_108_COUNTER_KDF, params),
            base,
            main_template(),
        )),
        CKR_MECHANISM_PARAM_INVALID,
        "a NULL phKey",
    );
}

/// The same through cryptoki's own types: feedback mode, AES-CMAC, an IV,
/// an optional counter and one additional key whose handle cryptoki reads
/// back from its CK_DERIVED_KEY.
#[test]
fn sp800_108_cryptoki_feedback_with_additional_key() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let base = keys::aes(&s, &[0x33; 16], vec![Attribute::Derive(true)]);
    let counter = KbkdfCounterFormat::new(Endianness::Big, NonZeroUsize::new(8).unwrap());
    let data = [
        PrfDataParam::new(PrfDataParamType::IterationVariable(None)),
        PrfDataParam::new(PrfDataParamType::Counter(&counter)),
        PrfDataParam::new(PrfDataParamType::ByteArray(b"context")),
    ];
    let extra = open_template(vec![Attribute::ValueLen(24.into())]);
    let mut additional = [DerivedKey::new(&extra)];
    let params = KbkdfFeedbackParams::new(
        MechanismType::AES_CMAC,
        &data,
        Some(b"sixteen bytes iv"),
        Some(&mut additional),
    );
    let main = expect_ok(
        s.derive_key(
            &Mechanism::KbkdfFeedback(params),
            keys::obj(base),
            &open_template(vec![Attribute::ValueLen(20.into())]),
        ),
        "Session::derive_key(KbkdfFeedback)",
    );
    let more = additional[0]
        .handle()
        .expect("the additional key's handle is written back");
    let read = |k| {
        let attrs = expect_ok(
            s.get_attributes(k, &[AttributeType::Value]),
            "C_GetAttributeValue",
        );
        match &attrs[..] {
            [Attribute::Value(v)] => v.clone(),
            other => panic!("CKA_VALUE: {other:?}"),
        }
    };
    let (a, b) = (read(main), read(more));
    assert_eq!((a.len(), b.len()), (20, 24));
    // 20 bytes take two 16-byte blocks, so the second key starts at block 3
    // and differs from the first key's bytes.
    assert_ne!(a[..16], b[..16]);
}

#[test]
fn mechanism_info() {
    let fx = Fixture::new();
    for (m, sizes) in [
        (CKM_CONCATENATE_BASE_AND_KEY, (0, 0)),
        (CKM_CONCATENATE_BASE_AND_DATA, (0, 0)),
        (CKM_CONCATENATE_DATA_AND_BASE, (0, 0)),
        (CKM_XOR_BASE_AND_DATA, (0, 0)),
        (CKM_EXTRACT_KEY_FROM_KEY, (0, 0)),
        (CKM_AES_ECB_ENCRYPT_DATA, (16, 32)),
        (CKM_AES_CBC_ENCRYPT_DATA, (16, 32)),
        // SP 800-108 reports base key sizes in bits (§6.42).
        (CKM_SP800_108_COUNTER_KDF, (8, 4096)),
        (CKM_SP800_108_FEEDBACK_KDF, (8, 4096)),
    ] {
        fx.expect_mechanism_info(m, CKF_DERIVE, sizes);
    }
}
