//! Objects: create / copy / destroy / size / get / set for DATA,
//! CERTIFICATE and SECRET_KEY, per-attribute results, read-only and one-way
//! attributes, CKA_UNIQUE_ID, template errors, finding.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, CertificateType, KeyType, ObjectClass};
use cryptoki_sys::*;
use qrc_conformance::keys::{self, merge};
use qrc_conformance::raw::{self, raw_attr};
use qrc_conformance::{
    call, expect_err, expect_ok, expect_one_of, expect_rv, rv_name, Checks, Fixture, USER_PIN,
};
use std::ffi::c_void;
use std::ptr;

const AES128: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

fn bytes(h: CK_SESSION_HANDLE, o: CK_OBJECT_HANDLE, ty: CK_ATTRIBUTE_TYPE) -> Vec<u8> {
    raw::attr(h, o, ty).unwrap_or_else(|rv| panic!("reading attribute 0x{ty:X}: {}", rv_name(rv)))
}

fn boolean(h: CK_SESSION_HANDLE, o: CK_OBJECT_HANDLE, ty: CK_ATTRIBUTE_TYPE) -> bool {
    raw::attr_bool(h, o, ty)
        .unwrap_or_else(|rv| panic!("reading attribute 0x{ty:X}: {}", rv_name(rv)))
}

fn ulong(h: CK_SESSION_HANDLE, o: CK_OBJECT_HANDLE, ty: CK_ATTRIBUTE_TYPE) -> CK_ULONG {
    raw::attr_ulong(h, o, ty)
        .unwrap_or_else(|rv| panic!("reading attribute 0x{ty:X}: {}", rv_name(rv)))
}

#[test]
fn data_object_round_trip_and_defaults() {
    let fx = Fixture::new();
    let s = fx.rw_session();
    let h = s.handle();
    let oid = b"\x06\x03\x2a\x03\x04".to_vec();
    let o = keys::data(
        &s,
        "my data",
        b"data value",
        vec![Attribute::ObjectId(oid.clone())],
    );
    assert_eq!(ulong(h, o, CKA_CLASS), CKO_DATA);
    assert_eq!(bytes(h, o, CKA_LABEL), b"my data");
    assert_eq!(bytes(h, o, CKA_APPLICATION), b"qrc-conformance");
    assert_eq!(bytes(h, o, CKA_VALUE), b"data value");
    assert_eq!(bytes(h, o, CKA_OBJECT_ID), oid);
    assert!(!boolean(h, o, CKA_TOKEN), "CKA_TOKEN default");
    assert!(
        !boolean(h, o, CKA_PRIVATE),
        "CKA_PRIVATE default for data objects"
    );
    assert!(boolean(h, o, CKA_MODIFIABLE), "CKA_MODIFIABLE default");
    assert!(boolean(h, o, CKA_COPYABLE), "CKA_COPYABLE default");
    assert!(boolean(h, o, CKA_DESTROYABLE), "CKA_DESTROYABLE default");
    assert!(
        !bytes(h, o, CKA_UNIQUE_ID).is_empty(),
        "CKA_UNIQUE_ID empty"
    );
    let mut size: CK_ULONG = 0;
    expect_rv(
        call!(C_GetObjectSize(h, o, &mut size)),
        CKR_OK,
        "C_GetObjectSize",
    );
}

#[test]
fn certificate_object() {
    let fx = Fixture::new();
    let s = fx.rw_session();
    let h = s.handle();
    let t = merge(keys::cert_template(), vec![Attribute::Token(true)]);
    let o = expect_ok(s.create_object(&t), "C_CreateObject(X.509 certificate)").handle();
    assert_eq!(ulong(h, o, CKA_CLASS), CKO_CERTIFICATE);
    assert_eq!(ulong(h, o, CKA_CERTIFICATE_TYPE), CKC_X_509);
    for a in &t {
        if let Attribute::Subject(v)
        | Attribute::Issuer(v)
        | Attribute::SerialNumber(v)
        | Attribute::Value(v)
        | Attribute::Id(v) = a
        {
            assert_eq!(
                &bytes(h, o, a.attribute_type().into()),
                v,
                "{:?}",
                a.attribute_type()
            );
        }
    }
    assert!(
        !boolean(h, o, CKA_PRIVATE),
        "certificates are public by default"
    );
    assert!(!boolean(h, o, CKA_TRUSTED), "CKA_TRUSTED default");
    assert_eq!(
        ulong(h, o, CKA_CERTIFICATE_CATEGORY),
        0,
        "CKA_CERTIFICATE_CATEGORY default (unspecified)"
    );
    for missing in [
        AttributeType::CertificateType,
        AttributeType::Subject,
        AttributeType::Value,
    ] {
        let t: Vec<Attribute> = keys::cert_template()
            .into_iter()
            .filter(|a| a.attribute_type() != missing)
            .collect();
        expect_err(
            s.create_object(&t),
            CKR_TEMPLATE_INCOMPLETE,
            &format!("certificate without {missing:?}"),
        );
    }
}

#[test]
fn aes_key_object() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    for len in [16usize, 24, 32] {
        let v: Vec<u8> = (0..len as u8).collect();
        let k = keys::aes(&s, &v, vec![]);
        assert_eq!(ulong(h, k, CKA_CLASS), CKO_SECRET_KEY);
        assert_eq!(ulong(h, k, CKA_KEY_TYPE), CKK_AES);
        assert_eq!(ulong(h, k, CKA_VALUE_LEN), len as CK_ULONG, "CKA_VALUE_LEN");
        assert_eq!(bytes(h, k, CKA_VALUE), v);
        assert!(
            !boolean(h, k, CKA_LOCAL),
            "an imported key is not CKA_LOCAL"
        );
        assert_eq!(
            ulong(h, k, CKA_KEY_GEN_MECHANISM),
            CK_UNAVAILABLE_INFORMATION,
            "CKA_KEY_GEN_MECHANISM of an imported key"
        );
    }
    let k = keys::aes(&s, &AES128, vec![]);
    let ct = expect_ok(
        s.encrypt(
            &Mechanism::AesEcb,
            keys::obj(k),
            &hex::decode("00112233445566778899aabbccddeeff").unwrap(),
        ),
        "ECB",
    );
    assert_eq!(
        hex::encode(ct),
        "69c4e0d86a7b0430d8cdb78070b4c55a",
        "the imported value is the key used"
    );
    let pk = keys::aes(&s, &AES128, vec![Attribute::Token(true)]);
    assert!(
        boolean(h, pk, CKA_PRIVATE),
        "secret keys are private by default"
    );
}

#[test]
fn generic_secret_and_hmac_key_types() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let g = keys::generic(&s, b"Jefe", vec![]);
    assert_eq!(ulong(h, g, CKA_KEY_TYPE), CKK_GENERIC_SECRET);
    assert_eq!(ulong(h, g, CKA_VALUE_LEN), 4);
    for kt in [
        KeyType::SHA_1_HMAC,
        KeyType::SHA224_HMAC,
        KeyType::SHA256_HMAC,
        KeyType::SHA384_HMAC,
        KeyType::SHA512_HMAC,
    ] {
        let k = keys::secret(&s, kt, &[0x42; 40], vec![]);
        assert_eq!(ulong(h, k, CKA_VALUE_LEN), 40);
    }
}

/// C_GetAttributeValue on `tmpl`, returning the CK_RV.
fn get(h: CK_SESSION_HANDLE, o: CK_OBJECT_HANDLE, tmpl: &mut [CK_ATTRIBUTE]) -> CK_RV {
    call!(C_GetAttributeValue(
        h,
        o,
        tmpl.as_mut_ptr(),
        tmpl.len() as CK_ULONG
    ))
}

fn slot(ty: CK_ATTRIBUTE_TYPE, buf: Option<&mut [u8]>) -> CK_ATTRIBUTE {
    match buf {
        Some(b) => CK_ATTRIBUTE {
            type_: ty,
            pValue: b.as_mut_ptr() as *mut c_void,
            ulValueLen: b.len() as CK_ULONG,
        },
        None => CK_ATTRIBUTE {
            type_: ty,
            pValue: ptr::null_mut(),
            ulValueLen: 0,
        },
    }
}

#[test]
fn get_attribute_value_reports_per_attribute() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let o = keys::data(&s, "lbl", b"0123456789", vec![]);

    let mut t = [slot(CKA_VALUE, None)];
    expect_rv(get(h, o, &mut t), CKR_OK, "length query");
    assert_eq!(t[0].ulValueLen, 10, "length of CKA_VALUE");

    let mut exact = [0u8; 10];
    let mut t = [slot(CKA_VALUE, Some(&mut exact))];
    expect_rv(get(h, o, &mut t), CKR_OK, "exact buffer");
    assert_eq!(&exact, b"0123456789");

    let mut big = [0xEEu8; 32];
    let mut t = [slot(CKA_VALUE, Some(&mut big))];
    expect_rv(get(h, o, &mut t), CKR_OK, "larger buffer");
    assert_eq!(t[0].ulValueLen, 10, "ulValueLen with a larger buffer");

    let mut short = [0u8; 3];
    let mut t = [slot(CKA_VALUE, Some(&mut short))];
    expect_rv(get(h, o, &mut t), CKR_BUFFER_TOO_SMALL, "short buffer");
    assert_eq!(
        t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION,
        "ulValueLen after a short buffer"
    );

    let mut t = [slot(CKA_MODULUS, None)];
    expect_rv(
        get(h, o, &mut t),
        CKR_ATTRIBUTE_TYPE_INVALID,
        "CKA_MODULUS of a data object",
    );
    assert_eq!(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    let mut t = [slot(CKA_VALUE_LEN, None)];
    expect_rv(
        get(h, o, &mut t),
        CKR_ATTRIBUTE_TYPE_INVALID,
        "CKA_VALUE_LEN of a data object",
    );
    let mut t = [slot(0x7FFF_0001, None)];
    expect_rv(
        get(h, o, &mut t),
        CKR_ATTRIBUTE_TYPE_INVALID,
        "an undefined attribute type",
    );

    // Several problems at once: every attribute is still processed.
    let mut label = [0u8; 16];
    let mut tiny = [0u8; 1];
    let mut t = [
        slot(CKA_LABEL, Some(&mut label)),
        slot(CKA_MODULUS, None),
        slot(CKA_VALUE, Some(&mut tiny)),
    ];
    expect_one_of(
        get(h, o, &mut t),
        &[CKR_ATTRIBUTE_TYPE_INVALID, CKR_BUFFER_TOO_SMALL],
        "mixed template",
    );
    assert_eq!(t[0].ulValueLen, 3, "CKA_LABEL in a mixed template");
    assert_eq!(&label[..3], b"lbl");
    assert_eq!(
        t[1].ulValueLen, CK_UNAVAILABLE_INFORMATION,
        "CKA_MODULUS in a mixed template"
    );
    assert_eq!(
        t[2].ulValueLen, CK_UNAVAILABLE_INFORMATION,
        "short CKA_VALUE in a mixed template"
    );
}

#[test]
fn sensitive_and_unextractable_values_are_withheld() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let sensitive = keys::aes(&s, &AES128, vec![Attribute::Sensitive(true)]);
    let unextractable = keys::aes(&s, &AES128, vec![Attribute::Extractable(false)]);
    for (k, what) in [
        (sensitive, "CKA_SENSITIVE"),
        (unextractable, "not CKA_EXTRACTABLE"),
    ] {
        let mut t = [slot(CKA_VALUE, None)];
        expect_rv(
            get(h, k, &mut t),
            CKR_ATTRIBUTE_SENSITIVE,
            &format!("CKA_VALUE length of a {what} key"),
        );
        assert_eq!(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
        let mut buf = [0u8; 16];
        let mut label = [0u8; 8];
        let mut t = [
            slot(CKA_VALUE, Some(&mut buf)),
            slot(CKA_VALUE_LEN, Some(&mut label)),
        ];
        expect_rv(
            get(h, k, &mut t),
            CKR_ATTRIBUTE_SENSITIVE,
            &format!("CKA_VALUE of a {what} key"),
        );
        assert_eq!(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
        assert_eq!(
            buf, [0u8; 16],
            "the sensitive value was written to the caller's buffer"
        );
        assert_eq!(
            t[1].ulValueLen, 8,
            "CKA_VALUE_LEN next to a sensitive attribute"
        );
        assert_eq!(CK_ULONG::from_ne_bytes(label), 16);
        let mut t = [slot(CKA_VALUE, None), slot(CKA_MODULUS, None)];
        expect_one_of(
            get(h, k, &mut t),
            &[CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID],
            "sensitive + invalid",
        );
    }
}

#[test]
fn read_only_attributes_cannot_be_set() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k = keys::aes(&s, &AES128, vec![]);
    let ro = [
        (CKA_CLASS, CKO_DATA.to_ne_bytes().to_vec()),
        (CKA_KEY_TYPE, CKK_GENERIC_SECRET.to_ne_bytes().to_vec()),
        (CKA_LOCAL, vec![1]),
        (CKA_ALWAYS_SENSITIVE, vec![1]),
        (CKA_NEVER_EXTRACTABLE, vec![1]),
        (CKA_UNIQUE_ID, b"mine".to_vec()),
        (CKA_VALUE_LEN, (32 as CK_ULONG).to_ne_bytes().to_vec()),
        (
            CKA_KEY_GEN_MECHANISM,
            CKM_AES_KEY_GEN.to_ne_bytes().to_vec(),
        ),
        (CKA_VALUE, vec![9u8; 16]),
        (CKA_TOKEN, vec![1]),
        (CKA_PRIVATE, vec![0]),
    ];
    let before: Vec<Vec<u8>> = ro.iter().map(|(ty, _)| bytes(h, k, *ty)).collect();
    for (ty, v) in &ro {
        let rv = raw::set_attrs(h, k, vec![raw_attr(*ty, v)]);
        expect_rv(
            rv,
            CKR_ATTRIBUTE_READ_ONLY,
            &format!("C_SetAttributeValue(0x{ty:X})"),
        );
    }
    let after: Vec<Vec<u8>> = ro.iter().map(|(ty, _)| bytes(h, k, *ty)).collect();
    assert_eq!(
        before, after,
        "a refused C_SetAttributeValue changed the object"
    );
}

#[test]
fn label_and_id_are_modifiable_unless_the_object_is_not() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k = keys::aes(&s, &AES128, vec![Attribute::Token(true)]);
    let c = expect_ok(s.create_object(&keys::cert_template()), "certificate").handle();
    for o in [k, c] {
        expect_rv(
            raw::set_attrs(
                h,
                o,
                vec![
                    Attribute::Label(b"new label".to_vec()),
                    Attribute::Id(b"new id".to_vec()),
                ],
            ),
            CKR_OK,
            "set CKA_LABEL and CKA_ID",
        );
        assert_eq!(bytes(h, o, CKA_LABEL), b"new label");
        assert_eq!(bytes(h, o, CKA_ID), b"new id");
    }
    // Data objects have no CKA_ID; their label is modifiable.
    let d = keys::data(&s, "d", b"v", vec![]);
    expect_rv(
        raw::set_attrs(h, d, vec![Attribute::Label(b"new label".to_vec())]),
        CKR_OK,
        "set CKA_LABEL of data",
    );
    assert_eq!(bytes(h, d, CKA_LABEL), b"new label");
    expect_rv(
        raw::set_attrs(h, d, vec![Attribute::Id(b"id".to_vec())]),
        CKR_ATTRIBUTE_TYPE_INVALID,
        "set CKA_ID on a data object",
    );
    let frozen = keys::data(&s, "frozen", b"v", vec![Attribute::Modifiable(false)]);
    expect_one_of(
        raw::set_attrs(h, frozen, vec![Attribute::Label(b"x".to_vec())]),
        &[CKR_ACTION_PROHIBITED, CKR_ATTRIBUTE_READ_ONLY],
        "set CKA_LABEL on a CKA_MODIFIABLE=false object",
    );
    assert_eq!(bytes(h, frozen, CKA_LABEL), b"frozen");
}

#[test]
fn sensitive_only_goes_false_to_true() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k = keys::aes(&s, &AES128, vec![Attribute::Sensitive(false)]);
    expect_rv(
        raw::set_attrs(h, k, vec![Attribute::Sensitive(true)]),
        CKR_OK,
        "CKA_SENSITIVE false→true",
    );
    assert!(boolean(h, k, CKA_SENSITIVE));
    expect_rv(
        raw::attr(h, k, CKA_VALUE).err().unwrap_or(CKR_OK),
        CKR_ATTRIBUTE_SENSITIVE,
        "value after becoming sensitive",
    );
    expect_rv(
        raw::set_attrs(h, k, vec![Attribute::Sensitive(false)]),
        CKR_ATTRIBUTE_READ_ONLY,
        "CKA_SENSITIVE true→false",
    );
    assert!(boolean(h, k, CKA_SENSITIVE));
    assert!(
        !boolean(h, k, CKA_ALWAYS_SENSITIVE),
        "CKA_ALWAYS_SENSITIVE of a key that was not always sensitive"
    );
}

#[test]
fn extractable_only_goes_true_to_false() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k = keys::aes(&s, &AES128, vec![Attribute::Extractable(true)]);
    expect_rv(
        raw::set_attrs(h, k, vec![Attribute::Extractable(false)]),
        CKR_OK,
        "CKA_EXTRACTABLE true→false",
    );
    assert!(!boolean(h, k, CKA_EXTRACTABLE));
    expect_rv(
        raw::set_attrs(h, k, vec![Attribute::Extractable(true)]),
        CKR_ATTRIBUTE_READ_ONLY,
        "CKA_EXTRACTABLE false→true",
    );
    assert!(!boolean(h, k, CKA_EXTRACTABLE));
    assert!(
        !boolean(h, k, CKA_NEVER_EXTRACTABLE),
        "CKA_NEVER_EXTRACTABLE of a key that was extractable"
    );
}

#[test]
fn generated_keys_track_local_and_history() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let gen = |extra: Vec<Attribute>| {
        let t = merge(
            vec![Attribute::Token(false), Attribute::ValueLen(32.into())],
            extra,
        );
        expect_ok(
            s.generate_key(&Mechanism::AesKeyGen, &t),
            "C_GenerateKey(AES)",
        )
        .handle()
    };
    let locked = gen(vec![
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
    ]);
    assert!(
        boolean(h, locked, CKA_LOCAL),
        "CKA_LOCAL of a generated key"
    );
    assert!(boolean(h, locked, CKA_ALWAYS_SENSITIVE));
    assert!(boolean(h, locked, CKA_NEVER_EXTRACTABLE));
    assert_eq!(ulong(h, locked, CKA_KEY_GEN_MECHANISM), CKM_AES_KEY_GEN);
    assert_eq!(ulong(h, locked, CKA_VALUE_LEN), 32);
    assert_eq!(ulong(h, locked, CKA_KEY_TYPE), CKK_AES);

    let open = gen(vec![
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
    ]);
    assert!(!boolean(h, open, CKA_ALWAYS_SENSITIVE));
    assert!(!boolean(h, open, CKA_NEVER_EXTRACTABLE));
    assert_eq!(bytes(h, open, CKA_VALUE).len(), 32);
    expect_rv(
        raw::set_attrs(
            h,
            open,
            vec![Attribute::Sensitive(true), Attribute::Extractable(false)],
        ),
        CKR_OK,
        "lock down",
    );
    assert!(
        !boolean(h, open, CKA_ALWAYS_SENSITIVE),
        "ALWAYS_SENSITIVE became true after the fact"
    );
    assert!(
        !boolean(h, open, CKA_NEVER_EXTRACTABLE),
        "NEVER_EXTRACTABLE became true after the fact"
    );
}

#[test]
fn unique_ids_are_present_distinct_and_fixed() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let d = keys::data(&s, "d", b"v", vec![]);
    let t = keys::data(&s, "t", b"v", vec![Attribute::Token(true)]);
    let c = expect_ok(s.create_object(&keys::cert_template()), "certificate").handle();
    let k = keys::aes(&s, &AES128, vec![]);
    let copy = expect_ok(s.copy_object(keys::obj(d), &[]), "C_CopyObject").handle();
    let mut ids: Vec<Vec<u8>> = [d, t, c, k, copy]
        .iter()
        .map(|o| bytes(h, *o, CKA_UNIQUE_ID))
        .collect();
    assert!(ids.iter().all(|i| !i.is_empty()), "an empty CKA_UNIQUE_ID");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "CKA_UNIQUE_ID values repeat");
    let t2 = merge(
        keys::data_template("u", b"v"),
        vec![raw_attr(CKA_UNIQUE_ID, b"chosen")],
    );
    expect_one_of(
        raw::create(h, t2).err().unwrap_or(CKR_OK),
        &[CKR_ATTRIBUTE_READ_ONLY, CKR_TEMPLATE_INCONSISTENT],
        "C_CreateObject naming CKA_UNIQUE_ID",
    );
}

#[test]
fn template_incomplete() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let no_class: Vec<Attribute> = keys::data_template("x", b"v")
        .into_iter()
        .filter(|a| a.attribute_type() != AttributeType::Class)
        .collect();
    expect_rv(
        raw::create(h, no_class).err().unwrap_or(CKR_OK),
        CKR_TEMPLATE_INCOMPLETE,
        "no CKA_CLASS",
    );
    let no_type: Vec<Attribute> = keys::secret_template(KeyType::AES, &AES128)
        .into_iter()
        .filter(|a| a.attribute_type() != AttributeType::KeyType)
        .collect();
    expect_rv(
        raw::create(h, no_type).err().unwrap_or(CKR_OK),
        CKR_TEMPLATE_INCOMPLETE,
        "secret key without CKA_KEY_TYPE",
    );
    let no_value: Vec<Attribute> = keys::secret_template(KeyType::AES, &AES128)
        .into_iter()
        .filter(|a| a.attribute_type() != AttributeType::Value)
        .collect();
    expect_rv(
        raw::create(h, no_value).err().unwrap_or(CKR_OK),
        CKR_TEMPLATE_INCOMPLETE,
        "AES key without CKA_VALUE",
    );
    let gen = s.generate_key(&Mechanism::AesKeyGen, &[Attribute::Token(false)]);
    expect_err(
        gen,
        CKR_TEMPLATE_INCOMPLETE,
        "C_GenerateKey(AES) without CKA_VALUE_LEN",
    );
}

#[test]
fn template_inconsistent() {
    let mut c = Checks::new();
    let fx = Fixture::new();
    let s = fx.user_session();
    let g = s.generate_key(
        &Mechanism::AesKeyGen,
        &[
            Attribute::Token(false),
            Attribute::ValueLen(16.into()),
            Attribute::KeyType(KeyType::GENERIC_SECRET),
        ],
    );
    expect_err(
        g,
        CKR_TEMPLATE_INCONSISTENT,
        "C_GenerateKey(AES_KEY_GEN) with CKA_KEY_TYPE=GENERIC_SECRET",
    );
    let g = s.generate_key(
        &Mechanism::AesKeyGen,
        &[
            Attribute::Token(false),
            Attribute::ValueLen(16.into()),
            Attribute::Class(ObjectClass::DATA),
        ],
    );
    expect_err(
        g,
        CKR_TEMPLATE_INCONSISTENT,
        "C_GenerateKey(AES_KEY_GEN) with CKA_CLASS=DATA",
    );
    let with_len = merge(
        keys::secret_template(KeyType::AES, &AES128),
        vec![Attribute::ValueLen(16.into())],
    );
    c.one_of(
        raw::create(s.handle(), with_len).err().unwrap_or(CKR_OK),
        &[CKR_TEMPLATE_INCONSISTENT, CKR_ATTRIBUTE_READ_ONLY],
        "C_CreateObject(AES) naming CKA_VALUE_LEN",
    );
    let local = merge(
        keys::secret_template(KeyType::AES, &AES128),
        vec![Attribute::Local(true)],
    );
    c.one_of(
        raw::create(s.handle(), local).err().unwrap_or(CKR_OK),
        &[CKR_TEMPLATE_INCONSISTENT, CKR_ATTRIBUTE_READ_ONLY],
        "C_CreateObject(AES) claiming CKA_LOCAL",
    );
    c.finish();
}

#[test]
fn attribute_value_invalid() {
    let mut c = Checks::new();
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    for len in [0usize, 15, 17, 33] {
        let t = keys::secret_template(KeyType::AES, &vec![1u8; len]);
        c.rv(
            raw::create(h, t).err().unwrap_or(CKR_OK),
            CKR_ATTRIBUTE_VALUE_INVALID,
            &format!("AES key of {len} bytes"),
        );
    }
    // The raw attribute replaces the template's own CKA_TOKEN: two values
    // for one type would be CKR_TEMPLATE_INCONSISTENT instead.
    let mut t: Vec<Attribute> = keys::data_template("x", b"v")
        .into_iter()
        .filter(|a| !matches!(a, Attribute::Token(_)))
        .collect();
    t.push(raw_attr(CKA_TOKEN, &[1, 0]));
    c.rv(
        raw::create(h, t).err().unwrap_or(CKR_OK),
        CKR_ATTRIBUTE_VALUE_INVALID,
        "2-byte CK_BBOOL",
    );
    let mut t = keys::data_template("x", b"v");
    t.retain(|a| a.attribute_type() != AttributeType::Class);
    t.push(raw_attr(CKA_CLASS, &[0, 0, 0, 0]));
    c.rv(
        raw::create(h, t).err().unwrap_or(CKR_OK),
        CKR_ATTRIBUTE_VALUE_INVALID,
        "4-byte CKA_CLASS",
    );
    let mut t = keys::data_template("x", b"v");
    t.retain(|a| a.attribute_type() != AttributeType::Class);
    t.push(raw_attr(
        CKA_CLASS,
        &(0x7777_0000 as CK_ULONG).to_ne_bytes(),
    ));
    c.rv(
        raw::create(h, t).err().unwrap_or(CKR_OK),
        CKR_ATTRIBUTE_VALUE_INVALID,
        "undefined CKA_CLASS value",
    );
    // CKA_SENSITIVE may change (false to true), so only the encoding is wrong.
    let k = keys::aes(&s, &AES128, vec![Attribute::Sensitive(false)]);
    c.rv(
        raw::set_attrs(h, k, vec![raw_attr(CKA_SENSITIVE, &[])]),
        CKR_ATTRIBUTE_VALUE_INVALID,
        "empty CK_BBOOL on set",
    );
    c.finish();
}

#[test]
fn attribute_type_invalid() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let t = merge(
        keys::data_template("x", b"v"),
        vec![Attribute::Modulus(vec![1, 2, 3])],
    );
    expect_rv(
        raw::create(h, t).err().unwrap_or(CKR_OK),
        CKR_ATTRIBUTE_TYPE_INVALID,
        "data object with CKA_MODULUS",
    );
    let t = merge(
        keys::secret_template(KeyType::AES, &AES128),
        vec![Attribute::CertificateType(CertificateType::X_509)],
    );
    expect_rv(
        raw::create(h, t).err().unwrap_or(CKR_OK),
        CKR_ATTRIBUTE_TYPE_INVALID,
        "AES key with CKA_CERTIFICATE_TYPE",
    );
    let t = merge(
        keys::data_template("x", b"v"),
        vec![raw_attr(0x7FFF_0001, b"?")],
    );
    expect_rv(
        raw::create(h, t).err().unwrap_or(CKR_OK),
        CKR_ATTRIBUTE_TYPE_INVALID,
        "undefined attribute type",
    );
    let d = keys::data(&s, "d", b"v", vec![]);
    expect_rv(
        raw::set_attrs(h, d, vec![Attribute::Modulus(vec![1])]),
        CKR_ATTRIBUTE_TYPE_INVALID,
        "set CKA_MODULUS on data",
    );
}

#[test]
fn copy_object() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let d = keys::data(&s, "original", b"payload", vec![]);
    let c = expect_ok(
        s.copy_object(
            keys::obj(d),
            &[Attribute::Label(b"copy".to_vec()), Attribute::Token(true)],
        ),
        "C_CopyObject with new label, to token",
    )
    .handle();
    assert_ne!(c, d);
    assert_eq!(bytes(h, c, CKA_LABEL), b"copy");
    assert_eq!(bytes(h, c, CKA_VALUE), b"payload");
    assert!(boolean(h, c, CKA_TOKEN));
    assert_eq!(
        bytes(h, d, CKA_LABEL),
        b"original",
        "the copy changed the original"
    );

    let k = keys::aes(&s, &AES128, vec![]);
    let kc = expect_ok(s.copy_object(keys::obj(k), &[]), "copy AES key").handle();
    assert_eq!(bytes(h, kc, CKA_VALUE), AES128);

    let sk = keys::aes(&s, &AES128, vec![Attribute::Sensitive(true)]);
    expect_err(
        s.copy_object(keys::obj(sk), &[Attribute::Sensitive(false)]),
        CKR_ATTRIBUTE_READ_ONLY,
        "copy making a key non-sensitive",
    );
    expect_one_of(
        crate_rv(s.copy_object(keys::obj(d), &[Attribute::Class(ObjectClass::CERTIFICATE)])),
        &[CKR_ATTRIBUTE_READ_ONLY, CKR_TEMPLATE_INCONSISTENT],
        "copy changing CKA_CLASS",
    );
    let nocopy = keys::data(&s, "nocopy", b"v", vec![Attribute::Copyable(false)]);
    expect_err(
        s.copy_object(keys::obj(nocopy), &[]),
        CKR_ACTION_PROHIBITED,
        "copy of CKA_COPYABLE=false",
    );
    expect_rv(
        raw::set_attrs(h, nocopy, vec![Attribute::Copyable(true)]),
        CKR_ATTRIBUTE_READ_ONLY,
        "CKA_COPYABLE false→true",
    );
}

fn crate_rv<T: std::fmt::Debug>(r: cryptoki::error::Result<T>) -> CK_RV {
    qrc_conformance::rv_of(&r)
}

#[test]
fn destroy_object() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let d = keys::data(&s, "doomed", b"v", vec![Attribute::Token(true)]);
    expect_ok(s.destroy_object(keys::obj(d)), "C_DestroyObject");
    expect_rv(
        raw::attr(h, d, CKA_LABEL).err().unwrap_or(CKR_OK),
        CKR_OBJECT_HANDLE_INVALID,
        "destroyed object",
    );
    assert!(expect_ok(
        s.find_objects(&[Attribute::Label(b"doomed".to_vec())]),
        "find"
    )
    .is_empty());
    let keep = keys::data(&s, "keep", b"v", vec![Attribute::Destroyable(false)]);
    expect_err(
        s.destroy_object(keys::obj(keep)),
        CKR_ACTION_PROHIBITED,
        "destroy CKA_DESTROYABLE=false",
    );
    assert_eq!(bytes(h, keep, CKA_LABEL), b"keep");
}

/// A public token key's value is sealed under the token key, so without a
/// login it can be seen (label, flags) but not used, read, copied or
/// rewritten: each says CKR_USER_NOT_LOGGED_IN (CKR_ATTRIBUTE_SENSITIVE for
/// the value itself), and nothing is lost. Session keys, in memory, stay
/// usable.
#[test]
fn public_token_key_without_login() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let public = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
        Attribute::Label(b"public-aes".to_vec()),
    ];
    let k = keys::aes(&s, &AES128, public);
    let ecb = || raw::Mech::new(CKM_AES_ECB);
    let block = [0x42u8; 16];
    let expected = raw::encrypt(s.handle(), &mut ecb(), k, &block)
        .unwrap_or_else(|rv| panic!("encrypt while logged in: {}", rv_name(rv)));
    expect_ok(s.logout(), "C_Logout");

    let h = s.handle();
    expect_rv(
        raw::encrypt(h, &mut ecb(), k, &block)
            .err()
            .unwrap_or(CKR_OK),
        CKR_USER_NOT_LOGGED_IN,
        "C_EncryptInit without login",
    );
    expect_rv(
        raw::attr(h, k, CKA_VALUE).err().unwrap_or(CKR_OK),
        CKR_ATTRIBUTE_SENSITIVE,
        "CKA_VALUE without login",
    );
    assert_eq!(bytes(h, k, CKA_LABEL), b"public-aes");
    expect_rv(
        raw::set_attrs(h, k, vec![Attribute::Label(b"renamed".to_vec())]),
        CKR_USER_NOT_LOGGED_IN,
        "C_SetAttributeValue without login",
    );
    expect_err(
        s.copy_object(keys::obj(k), &[Attribute::Token(false)]),
        CKR_USER_NOT_LOGGED_IN,
        "C_CopyObject without login",
    );
    let session_key = keys::aes(&s, &AES128, vec![Attribute::Private(false)]);
    assert_eq!(
        raw::encrypt(h, &mut ecb(), session_key, &block),
        Ok(expected.clone()),
        "a public session key is usable without login"
    );

    expect_ok(
        s.login(
            cryptoki::session::UserType::User,
            Some(&cryptoki::types::AuthPin::from(USER_PIN)),
        ),
        "C_Login",
    );
    assert_eq!(bytes(h, k, CKA_LABEL), b"public-aes", "label unchanged");
    assert_eq!(bytes(h, k, CKA_VALUE), AES128, "value intact");
    assert_eq!(raw::encrypt(h, &mut ecb(), k, &block), Ok(expected));
}

/// A key pair is stored all or none: a private half that may not be stored
/// (no login) leaves no public half behind, even one that says
/// CKA_DESTROYABLE false.
#[test]
fn failed_key_pair_generation_leaves_nothing() {
    let fx = Fixture::new();
    let s = fx.rw_session();
    let public = vec![
        Attribute::Token(true),
        Attribute::Destroyable(false),
        Attribute::Label(b"half".to_vec()),
        // The DER OID of P-256.
        Attribute::EcParams(vec![
            0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
        ]),
    ];
    let private = vec![Attribute::Token(true), Attribute::Label(b"half".to_vec())];
    expect_err(
        s.generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private),
        CKR_USER_NOT_LOGGED_IN,
        "C_GenerateKeyPair without login",
    );
    let left = raw::find(s.handle(), vec![Attribute::Label(b"half".to_vec())], 4);
    assert_eq!(left, Ok(vec![]), "half a pair was left on the token");
}
