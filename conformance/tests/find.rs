//! Finding objects: by label, ID and class, one among a thousand, and the
//! find operation's state rules.

use cryptoki::object::{Attribute, ObjectClass};
use cryptoki_sys::*;
use qrc_conformance::keys::{self, merge};
use qrc_conformance::raw;
use qrc_conformance::{call, expect_ok, expect_rv, rv_name, Fixture};
use std::ptr;

const AES128: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

fn bytes(h: CK_SESSION_HANDLE, o: CK_OBJECT_HANDLE, ty: CK_ATTRIBUTE_TYPE) -> Vec<u8> {
    raw::attr(h, o, ty).unwrap_or_else(|rv| panic!("reading attribute 0x{ty:X}: {}", rv_name(rv)))
}

fn cert_with(label: &str, id: &[u8], value: &[u8], token: bool) -> Vec<Attribute> {
    merge(
        keys::cert_template(),
        vec![
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
            Attribute::Value(value.to_vec()),
            Attribute::Token(token),
        ],
    )
}

#[test]
fn find_by_label_id_and_class() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let d1 = keys::data(&s, "alpha", b"1", vec![]);
    let d2 = keys::data(&s, "beta", b"2", vec![Attribute::Token(true)]);
    let c1 = expect_ok(
        s.create_object(&cert_with("gamma", b"id-1", b"c1", false)),
        "cert",
    )
    .handle();
    let c2 = expect_ok(
        s.create_object(&cert_with("delta", b"id-2", b"c2", true)),
        "cert",
    )
    .handle();
    let k = keys::aes(
        &s,
        &AES128,
        vec![
            Attribute::Label(b"alpha".to_vec()),
            Attribute::Id(b"id-2".to_vec()),
            Attribute::Token(true),
        ],
    );
    let find = |t: Vec<Attribute>| -> Vec<CK_OBJECT_HANDLE> {
        let mut v =
            raw::find(s.handle(), t, 2).unwrap_or_else(|rv| panic!("find: {}", rv_name(rv)));
        v.sort();
        v
    };
    let sorted = |mut v: Vec<CK_OBJECT_HANDLE>| {
        v.sort();
        v
    };
    assert_eq!(
        find(vec![Attribute::Label(b"alpha".to_vec())]),
        sorted(vec![d1, k])
    );
    assert_eq!(
        find(vec![
            Attribute::Label(b"alpha".to_vec()),
            Attribute::Class(ObjectClass::DATA)
        ]),
        vec![d1]
    );
    assert_eq!(find(vec![Attribute::Id(b"id-1".to_vec())]), vec![c1]);
    assert_eq!(
        find(vec![Attribute::Id(b"id-2".to_vec())]),
        sorted(vec![c2, k])
    );
    assert_eq!(
        find(vec![
            Attribute::Id(b"id-2".to_vec()),
            Attribute::Class(ObjectClass::SECRET_KEY)
        ]),
        vec![k]
    );
    assert_eq!(
        find(vec![Attribute::Id(b"id-".to_vec())]),
        Vec::<CK_OBJECT_HANDLE>::new(),
        "prefix matched"
    );
    assert_eq!(
        find(vec![Attribute::Class(ObjectClass::CERTIFICATE)]),
        sorted(vec![c1, c2])
    );
    assert_eq!(
        find(vec![Attribute::Class(ObjectClass::SECRET_KEY)]),
        vec![k]
    );
    assert_eq!(find(vec![Attribute::Token(true)]), sorted(vec![d2, c2, k]));
    assert_eq!(find(vec![]), sorted(vec![d1, d2, c1, c2, k]));
    assert!(find(vec![Attribute::Label(b"epsilon".to_vec())]).is_empty());
}

#[test]
fn find_one_among_a_thousand() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let start = std::time::Instant::now();
    for i in 0..1000u32 {
        let t = cert_with(
            &format!("obj-{i:04}"),
            &(i as u16).to_be_bytes(),
            format!("value {i}").as_bytes(),
            true,
        );
        expect_ok(s.create_object(&t), "C_CreateObject(token certificate)");
    }
    println!("created 1000 token objects in {:?}", start.elapsed());
    let t = std::time::Instant::now();
    let hit =
        raw::find(h, vec![Attribute::Label(b"obj-0567".to_vec())], 16).expect("find by label");
    println!("find by label in {:?}", t.elapsed());
    assert_eq!(hit.len(), 1, "objects with label obj-0567");
    assert_eq!(bytes(h, hit[0], CKA_VALUE), b"value 567");
    let hit =
        raw::find(h, vec![Attribute::Id(998u16.to_be_bytes().to_vec())], 16).expect("find by ID");
    assert_eq!(hit.len(), 1);
    assert_eq!(bytes(h, hit[0], CKA_LABEL), b"obj-0998");
    let all =
        raw::find(h, vec![Attribute::Class(ObjectClass::CERTIFICATE)], 64).expect("find by class");
    let mut uniq = all.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(
        (all.len(), uniq.len()),
        (1000, 1000),
        "find by class in batches of 64"
    );
}

#[test]
fn find_operation_state() {
    let fx = Fixture::new();
    let s = fx.rw_session();
    let h = s.handle();
    let mut buf = [0 as CK_OBJECT_HANDLE; 4];
    let mut n: CK_ULONG = 0;
    expect_rv(
        call!(C_FindObjects(h, buf.as_mut_ptr(), 4, &mut n)),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_FindObjects without init",
    );
    expect_rv(
        call!(C_FindObjectsFinal(h)),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_FindObjectsFinal without init",
    );
    expect_rv(
        call!(C_FindObjectsInit(h, ptr::null_mut(), 0)),
        CKR_OK,
        "C_FindObjectsInit",
    );
    expect_rv(
        call!(C_FindObjectsInit(h, ptr::null_mut(), 0)),
        CKR_OPERATION_ACTIVE,
        "second C_FindObjectsInit",
    );
    expect_rv(
        call!(C_FindObjects(h, buf.as_mut_ptr(), 4, &mut n)),
        CKR_OK,
        "C_FindObjects",
    );
    expect_rv(call!(C_FindObjectsFinal(h)), CKR_OK, "C_FindObjectsFinal");
    expect_rv(
        call!(C_FindObjectsFinal(h)),
        CKR_OPERATION_NOT_INITIALIZED,
        "second C_FindObjectsFinal",
    );
}

/// A template naming a value the object hides never matches: otherwise a
/// search per guess would recover a sensitive key byte by byte. Values the
/// object shows still match.
#[test]
fn find_never_matches_on_hidden_values() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let value = [0x5a];
    let hidden = [
        (vec![Attribute::Sensitive(true)], "sensitive"),
        (
            vec![Attribute::Sensitive(false), Attribute::Extractable(false)],
            "unextractable",
        ),
    ];
    for (extra, what) in hidden {
        for token in [false, true] {
            let label = format!("hidden-{what}-{token}");
            let mut extra = extra.clone();
            extra.extend([
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Token(token),
            ]);
            let k = keys::generic(&s, &value, extra);
            for guess in [value.to_vec(), vec![0x5b]] {
                let found = raw::find(
                    s.handle(),
                    vec![
                        Attribute::Label(label.as_bytes().to_vec()),
                        Attribute::Value(guess.clone()),
                    ],
                    4,
                )
                .unwrap_or_else(|rv| panic!("find: {}", rv_name(rv)));
                assert!(found.is_empty(), "{label}: CKA_VALUE {guess:02x?} matched");
            }
            let by_label = raw::find(s.handle(), vec![Attribute::Label(label.into_bytes())], 4);
            assert_eq!(by_label, Ok(vec![k]), "{what}, token {token}");
        }
    }
    let shown = keys::generic(
        &s,
        &value,
        vec![
            Attribute::Sensitive(false),
            Attribute::Extractable(true),
            Attribute::Label(b"shown".to_vec()),
        ],
    );
    let found = raw::find(s.handle(), vec![Attribute::Value(value.to_vec())], 4);
    assert_eq!(found, Ok(vec![shown]));
}
