use super::*;

fn aes_template(value: &[u8]) -> Attributes {
    let mut t = Attributes::new();
    t.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    t.set_ulong(CKA_KEY_TYPE, CKK_AES);
    t.set(CKA_VALUE, value.to_vec());
    t
}

#[test]
fn created_key_gets_defaults_and_bookkeeping() {
    let obj = build(&aes_template(&[7; 32]), Origin::Create, &Attributes::new()).unwrap();
    assert_eq!(obj.bool(CKA_SENSITIVE), Ok(Some(true)));
    assert_eq!(obj.bool(CKA_PRIVATE), Ok(Some(true)));
    assert_eq!(obj.bool(CKA_LOCAL), Ok(Some(false)));
    assert_eq!(obj.bool(CKA_ALWAYS_SENSITIVE), Ok(Some(false)));
    assert_eq!(obj.ulong(CKA_VALUE_LEN), Ok(Some(32)));
    assert_eq!(obj.get(CKA_UNIQUE_ID).map(<[u8]>::len), Some(32));
    assert_eq!(read(&obj, CKA_VALUE), Err(Ckr::ATTRIBUTE_SENSITIVE));
    assert_eq!(read(&obj, CKA_MODULUS), Err(Ckr::ATTRIBUTE_TYPE_INVALID));
}

#[test]
fn generated_key_tracks_always_sensitive() {
    let mut supplied = Attributes::new();
    supplied.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    supplied.set_ulong(CKA_KEY_TYPE, CKK_AES);
    supplied.set(CKA_VALUE, vec![1; 16]);
    let mut t = Attributes::new();
    t.set_bool(CKA_EXTRACTABLE, false);
    let obj = build(&t, Origin::Generate(CKM_AES_KEY_GEN), &supplied).unwrap();
    assert_eq!(obj.bool(CKA_LOCAL), Ok(Some(true)));
    assert_eq!(obj.bool(CKA_ALWAYS_SENSITIVE), Ok(Some(true)));
    assert_eq!(obj.bool(CKA_NEVER_EXTRACTABLE), Ok(Some(true)));
    assert_eq!(obj.ulong(CKA_KEY_GEN_MECHANISM), Ok(Some(CKM_AES_KEY_GEN)));
    t.set(CKA_VALUE, vec![1; 16]);
    assert_eq!(
        build(&t, Origin::Generate(CKM_AES_KEY_GEN), &supplied),
        Err(Ckr::TEMPLATE_INCONSISTENT)
    );
}

#[test]
fn templates_are_checked() {
    let mut t = aes_template(&[0; 15]);
    assert_eq!(
        build(&t, Origin::Create, &Attributes::new()),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    t = aes_template(&[0; 16]);
    t.set_bool(CKA_LOCAL, true);
    assert_eq!(
        build(&t, Origin::Create, &Attributes::new()),
        Err(Ckr::ATTRIBUTE_READ_ONLY)
    );
    t = aes_template(&[0; 16]);
    t.set(CKA_MODULUS, vec![1]);
    assert_eq!(
        build(&t, Origin::Create, &Attributes::new()),
        Err(Ckr::ATTRIBUTE_TYPE_INVALID)
    );
    t = aes_template(&[0; 16]);
    t.remove(CKA_VALUE);
    assert_eq!(
        build(&t, Origin::Create, &Attributes::new()),
        Err(Ckr::TEMPLATE_INCOMPLETE)
    );
    t = aes_template(&[0; 16]);
    t.set_ulong(CKA_VALUE_LEN, 16);
    assert_eq!(
        build(&t, Origin::Create, &Attributes::new()),
        Err(Ckr::TEMPLATE_INCONSISTENT)
    );
    t = aes_template(&[0; 16]);
    t.set(CKA_TOKEN, vec![1, 1]);
    assert_eq!(
        build(&t, Origin::Create, &Attributes::new()),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    assert_eq!(
        build(&Attributes::new(), Origin::Create, &Attributes::new()),
        Err(Ckr::TEMPLATE_INCOMPLETE)
    );
}

#[test]
fn certificate_requires_subject_and_value() {
    let mut t = Attributes::new();
    t.set_ulong(CKA_CLASS, CKO_CERTIFICATE);
    t.set_ulong(CKA_CERTIFICATE_TYPE, CKC_X_509);
    t.set(CKA_VALUE, vec![0x30, 0]);
    assert_eq!(
        build(&t, Origin::Create, &Attributes::new()),
        Err(Ckr::TEMPLATE_INCOMPLETE)
    );
    t.set(CKA_SUBJECT, vec![0x30, 0]);
    let obj = build(&t, Origin::Create, &Attributes::new()).unwrap();
    assert_eq!(obj.bool(CKA_PRIVATE), Ok(Some(false)));
    assert_eq!(obj.ulong(CKA_CERTIFICATE_CATEGORY), Ok(Some(0)));
    assert_eq!(read(&obj, CKA_SENSITIVE), Err(Ckr::ATTRIBUTE_TYPE_INVALID));
}

#[test]
fn changes_follow_modifiability_rules() {
    let obj = build(&aes_template(&[7; 16]), Origin::Create, &Attributes::new()).unwrap();
    let mut c = Attributes::new();
    c.set(CKA_LABEL, b"new".to_vec());
    c.set(CKA_ID, b"id".to_vec());
    let changed = change(&obj, &c, Change::Set).unwrap();
    assert_eq!(changed.get(CKA_LABEL), Some(&b"new"[..]));
    let mut c = Attributes::new();
    c.set(CKA_LABEL, b"x".to_vec());
    assert!(
        change(&obj, &c, Change::Copy).is_ok(),
        "a one-byte label is not a boolean"
    );
    let mut c = Attributes::new();
    c.set_bool(CKA_SENSITIVE, false);
    assert_eq!(change(&obj, &c, Change::Set), Err(Ckr::ATTRIBUTE_READ_ONLY));
    let mut c = Attributes::new();
    c.set_ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET);
    assert_eq!(change(&obj, &c, Change::Set), Err(Ckr::ATTRIBUTE_READ_ONLY));
    let mut c = Attributes::new();
    c.set_bool(CKA_TOKEN, true);
    assert_eq!(change(&obj, &c, Change::Set), Err(Ckr::ATTRIBUTE_READ_ONLY));
    let copy = change(&obj, &c, Change::Copy).unwrap();
    assert_ne!(copy.get(CKA_UNIQUE_ID), obj.get(CKA_UNIQUE_ID));
    let mut c = Attributes::new();
    c.set_bool(CKA_EXTRACTABLE, false);
    let locked = change(&obj, &c, Change::Set).unwrap();
    c.set_bool(CKA_EXTRACTABLE, true);
    assert_eq!(
        change(&locked, &c, Change::Set),
        Err(Ckr::ATTRIBUTE_READ_ONLY)
    );
}

#[test]
fn non_sensitive_extractable_value_is_readable() {
    let mut t = aes_template(&[9; 16]);
    t.set_bool(CKA_SENSITIVE, false);
    let obj = build(&t, Origin::Create, &Attributes::new()).unwrap();
    assert_eq!(read(&obj, CKA_VALUE).unwrap().as_slice(), &[9; 16]);
    let mut c = Attributes::new();
    c.set_bool(CKA_EXTRACTABLE, false);
    let obj = change(&obj, &c, Change::Set).unwrap();
    assert_eq!(read(&obj, CKA_VALUE), Err(Ckr::ATTRIBUTE_SENSITIVE));
}

fn mechanisms(list: &[CK_MECHANISM_TYPE]) -> Vec<u8> {
    list.iter().flat_map(|m| m.to_ne_bytes()).collect()
}

#[test]
fn allowed_mechanisms_default_to_empty_on_every_key() {
    let obj = build(&aes_template(&[7; 16]), Origin::Create, &Attributes::new()).unwrap();
    assert_eq!(
        read(&obj, CKA_ALLOWED_MECHANISMS).unwrap().as_slice(),
        &[] as &[u8]
    );
    let mut supplied = Attributes::new();
    supplied.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    supplied.set_ulong(CKA_KEY_TYPE, CKK_AES);
    supplied.set(CKA_VALUE, vec![1; 16]);
    let generated = build(
        &Attributes::new(),
        Origin::Generate(CKM_AES_KEY_GEN),
        &supplied,
    )
    .unwrap();
    assert_eq!(generated.get(CKA_ALLOWED_MECHANISMS), Some(&[][..]));
    // A key stored before the attribute existed reads as unrestricted.
    let mut older = obj.clone();
    older.remove(CKA_ALLOWED_MECHANISMS);
    assert_eq!(
        read(&older, CKA_ALLOWED_MECHANISMS).unwrap().as_slice(),
        &[] as &[u8]
    );
    let mut cert = Attributes::new();
    cert.set_ulong(CKA_CLASS, CKO_CERTIFICATE);
    cert.set_ulong(CKA_CERTIFICATE_TYPE, CKC_X_509);
    cert.set(CKA_SUBJECT, vec![0x30, 0]);
    cert.set(CKA_VALUE, vec![0x30, 0]);
    let cert = build(&cert, Origin::Create, &Attributes::new()).unwrap();
    assert_eq!(
        read(&cert, CKA_ALLOWED_MECHANISMS),
        Err(Ckr::ATTRIBUTE_TYPE_INVALID),
        "a key attribute, not a certificate's"
    );
}

#[test]
fn allowed_mechanisms_are_a_whole_number_of_ulongs() {
    let list = mechanisms(&[CKM_AES_GCM, CKM_AES_CBC_PAD]);
    let mut t = aes_template(&[7; 16]);
    t.set(CKA_ALLOWED_MECHANISMS, list.clone());
    let obj = build(&t, Origin::Create, &Attributes::new()).unwrap();
    assert_eq!(read(&obj, CKA_ALLOWED_MECHANISMS).unwrap().as_slice(), list);
    let n = std::mem::size_of::<CK_ULONG>();
    for len in [1, n - 1, n + 1, 3 * n - 2] {
        t.set(CKA_ALLOWED_MECHANISMS, vec![0; len]);
        assert_eq!(
            build(&t, Origin::Create, &Attributes::new()),
            Err(Ckr::ATTRIBUTE_VALUE_INVALID),
            "{len} bytes"
        );
    }
}

#[test]
fn allowed_mechanisms_cannot_change_after_creation() {
    let mut t = aes_template(&[7; 16]);
    t.set(CKA_ALLOWED_MECHANISMS, mechanisms(&[CKM_AES_GCM]));
    let obj = build(&t, Origin::Create, &Attributes::new()).unwrap();
    for new in [&[][..], &[CKM_AES_GCM, CKM_AES_ECB]] {
        let mut c = Attributes::new();
        c.set(CKA_ALLOWED_MECHANISMS, mechanisms(new));
        assert_eq!(change(&obj, &c, Change::Set), Err(Ckr::ATTRIBUTE_READ_ONLY));
        assert_eq!(
            change(&obj, &c, Change::Copy),
            Err(Ckr::ATTRIBUTE_READ_ONLY)
        );
    }
    let mut same = Attributes::new();
    same.set(CKA_ALLOWED_MECHANISMS, mechanisms(&[CKM_AES_GCM]));
    assert!(change(&obj, &same, Change::Set).is_ok(), "no change at all");
    let copy = change(&obj, &Attributes::new(), Change::Copy).unwrap();
    assert_eq!(
        copy.get(CKA_ALLOWED_MECHANISMS),
        Some(&mechanisms(&[CKM_AES_GCM])[..])
    );
}
