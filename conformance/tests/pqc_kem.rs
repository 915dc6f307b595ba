//! C_EncapsulateKey / C_DecapsulateKey (PKCS#11 3.2 argument order) with
//! ML-KEM: the length query that must not create a key, short buffers, the
//! new secret key and its template, key usage, CKA_ENCAPSULATE_TEMPLATE /
//! CKA_DECAPSULATE_TEMPLATE in both attribute forms, bad ciphertexts, and
//! cryptoki's own encapsulate/decapsulate calls.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, MlKemParameterSetType, ObjectClass};
use cryptoki_sys::*;
use pqc_common::Failures;
use qrc_conformance::pqc::{self, Family, NestedTemplate, ParamSet, Scratch};
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::{call, Fixture};

mod pqc_common;

fn flag(
    h: CK_SESSION_HANDLE,
    k: CK_OBJECT_HANDLE,
    ty: CK_ATTRIBUTE_TYPE,
    want: bool,
) -> Result<(), String> {
    let got = pqc::must(raw::attr_bool(h, k, ty), &format!("attribute 0x{ty:X}"))?;
    if got == want {
        Ok(())
    } else {
        Err(format!("attribute 0x{ty:X} = {got}, want {want}"))
    }
}

fn ulong(
    h: CK_SESSION_HANDLE,
    k: CK_OBJECT_HANDLE,
    ty: CK_ATTRIBUTE_TYPE,
    want: CK_ULONG,
) -> Result<(), String> {
    let got = pqc::must(raw::attr_ulong(h, k, ty), &format!("attribute 0x{ty:X}"))?;
    if got == want {
        Ok(())
    } else {
        Err(format!("attribute 0x{ty:X} = 0x{got:X}, want 0x{want:X}"))
    }
}

/// The length query (NULL ciphertext) and a short buffer return the length
/// and create no key; the full call then creates exactly one.
fn length_convention(h: CK_SESSION_HANDLE, set: &ParamSet) -> Result<(), String> {
    let mut sc = Scratch::new(h);
    let (pk, sk) = pqc::key_pair(h, set);
    sc.keep(pk);
    sc.keep(sk);
    let mut m = Mech::new(CKM_ML_KEM);
    let mut t = raw::Template::new(pqc::secret_template());
    let before = pqc::object_count(h);
    let mut key: CK_OBJECT_HANDLE = CK_INVALID_HANDLE;
    let mut len: CK_ULONG = 0;
    let rv = call!(C_EncapsulateKey(
        h,
        m.ptr(),
        pk,
        t.ptr(),
        t.len(),
        std::ptr::null_mut(),
        &mut len,
        &mut key
    ));
    pqc::rv_is(rv, CKR_OK, "C_EncapsulateKey(NULL ciphertext)")?;
    if len as usize != set.out_len {
        return Err(format!("length query gave {len}, want {}", set.out_len));
    }
    if pqc::object_count(h) != before {
        return Err("the length query created an object".into());
    }
    let mut short = vec![0u8; set.out_len - 1];
    let mut len: CK_ULONG = short.len() as CK_ULONG;
    let rv = call!(C_EncapsulateKey(
        h,
        m.ptr(),
        pk,
        t.ptr(),
        t.len(),
        short.as_mut_ptr(),
        &mut len,
        &mut key
    ));
    pqc::rv_is(rv, CKR_BUFFER_TOO_SMALL, "C_EncapsulateKey(short buffer)")?;
    if len as usize != set.out_len {
        return Err(format!(
            "short buffer: length set to {len}, want {}",
            set.out_len
        ));
    }
    if pqc::object_count(h) != before {
        return Err("the short-buffer call created an object".into());
    }
    let mut ct = vec![0u8; set.out_len + 5];
    let mut len: CK_ULONG = ct.len() as CK_ULONG;
    let rv = call!(C_EncapsulateKey(
        h,
        m.ptr(),
        pk,
        t.ptr(),
        t.len(),
        ct.as_mut_ptr(),
        &mut len,
        &mut key
    ));
    pqc::rv_is(rv, CKR_OK, "C_EncapsulateKey")?;
    sc.keep(key);
    if len as usize != set.out_len || pqc::object_count(h) != before + 1 {
        return Err(format!(
            "full call: length {len}, {} new objects",
            pqc::object_count(h) - before
        ));
    }
    let k2 = sc.keep(pqc::must(
        pqc::decapsulate(h, &mut m, sk, pqc::secret_template(), &ct[..set.out_len]),
        "C_DecapsulateKey",
    )?);
    pqc::same(
        "decapsulated secret",
        &pqc::read(h, k2, CKA_VALUE)?,
        &pqc::read(h, key, CKA_VALUE)?,
    )
}

#[test]
fn encapsulate_length_query_and_short_buffer_create_no_key() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let mut f = Failures::new();
    for set in Family::MlKem.sets() {
        f.check(set.name, length_convention(s.handle(), set));
    }
    f.finish();
}

/// Encapsulates and decapsulates with `template`; runs `check` on both new
/// keys (encapsulated first) and returns their values if readable.
fn both_keys(
    h: CK_SESSION_HANDLE,
    sc: &mut Scratch,
    pk: CK_OBJECT_HANDLE,
    sk: CK_OBJECT_HANDLE,
    template: Vec<Attribute>,
    check: impl Fn(CK_OBJECT_HANDLE) -> Result<(), String>,
) -> Result<(CK_OBJECT_HANDLE, CK_OBJECT_HANDLE), String> {
    let mut m = Mech::new(CKM_ML_KEM);
    let (ct, k1) = pqc::must(
        pqc::encapsulate(h, &mut m, pk, template.clone()),
        "C_EncapsulateKey",
    )?;
    sc.keep(k1);
    let k2 = sc.keep(pqc::must(
        pqc::decapsulate(h, &mut m, sk, template, &ct),
        "C_DecapsulateKey",
    )?);
    check(k1).map_err(|e| format!("encapsulated key: {e}"))?;
    check(k2).map_err(|e| format!("decapsulated key: {e}"))?;
    Ok((k1, k2))
}

#[test]
fn new_secret_key_follows_the_template() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let set = pqc::param_set("ML-KEM-768");
    let (pk, sk) = pqc::key_pair(h, set);
    let mut sc = Scratch::new(h);
    let mut f = Failures::new();
    let computed = |k| {
        flag(h, k, CKA_LOCAL, false)?;
        flag(h, k, CKA_ALWAYS_SENSITIVE, false)?;
        flag(h, k, CKA_NEVER_EXTRACTABLE, false)?;
        ulong(h, k, CKA_CLASS, CKO_SECRET_KEY)
    };
    let same_values = |k1, k2| {
        pqc::same(
            "the two secrets",
            &pqc::read(h, k2, CKA_VALUE)?,
            &pqc::read(h, k1, CKA_VALUE)?,
        )
    };

    let r = both_keys(h, &mut sc, pk, sk, pqc::secret_template(), |k| {
        computed(k)?;
        ulong(h, k, CKA_KEY_TYPE, CKK_GENERIC_SECRET)?;
        flag(h, k, CKA_EXTRACTABLE, true)?;
        if pqc::read(h, k, CKA_VALUE)?.len() == 32 {
            Ok(())
        } else {
            Err("generic secret not 32 bytes".into())
        }
    });
    f.check("generic secret", r.and_then(|(a, b)| same_values(a, b)));

    // AES without CKA_VALUE_LEN takes the whole 32 bytes (cryptoki's test does this).
    let aes = |extra: Vec<Attribute>| {
        let mut t = vec![
            pqc::ulong_attr(CKA_CLASS, CKO_SECRET_KEY),
            pqc::ulong_attr(CKA_KEY_TYPE, CKK_AES),
            pqc::bool_attr(CKA_TOKEN, false),
            pqc::bool_attr(CKA_SENSITIVE, false),
            pqc::bool_attr(CKA_ENCRYPT, true),
            pqc::bool_attr(CKA_DECRYPT, true),
        ];
        t.extend(extra);
        t
    };
    let r = both_keys(h, &mut sc, pk, sk, aes(vec![]), |k| {
        computed(k)?;
        ulong(h, k, CKA_KEY_TYPE, CKK_AES)?;
        ulong(h, k, CKA_VALUE_LEN, 32)?;
        // Extractable was not asked for: the default is true.
        flag(h, k, CKA_EXTRACTABLE, true)
    });
    let r = r.and_then(|(a, b)| {
        same_values(a, b)?;
        let data = [0x5au8; 32];
        let ct = pqc::must(
            raw::encrypt(h, &mut Mech::new(CKM_AES_ECB), a, &data),
            "C_Encrypt(encapsulated AES key)",
        )?;
        let pt = pqc::must(
            raw::decrypt(h, &mut Mech::new(CKM_AES_ECB), b, &ct),
            "C_Decrypt(decapsulated AES key)",
        )?;
        pqc::same("AES-ECB round trip across the two keys", &pt, &data)
    });
    f.check("AES without CKA_VALUE_LEN", r);

    let r = both_keys(
        h,
        &mut sc,
        pk,
        sk,
        aes(vec![pqc::ulong_attr(CKA_VALUE_LEN, 16)]),
        |k| {
            ulong(h, k, CKA_VALUE_LEN, 16)?;
            if pqc::read(h, k, CKA_VALUE)?.len() == 16 {
                Ok(())
            } else {
                Err("AES-128 key not 16 bytes".into())
            }
        },
    );
    f.check(
        "AES with CKA_VALUE_LEN 16",
        r.and_then(|(a, b)| same_values(a, b)),
    );

    // Asked sensitive: unreadable, yet never ALWAYS_SENSITIVE (it was computed).
    let mut t = pqc::secret_template();
    t.retain(|a| a.attribute_type() != AttributeType::VendorDefined(CKA_SENSITIVE));
    t.push(pqc::bool_attr(CKA_SENSITIVE, true));
    let r = both_keys(h, &mut sc, pk, sk, t, |k| {
        flag(h, k, CKA_ALWAYS_SENSITIVE, false)?;
        flag(h, k, CKA_SENSITIVE, true)?;
        pqc::refused(
            raw::attr(h, k, CKA_VALUE),
            CKR_ATTRIBUTE_SENSITIVE,
            "CKA_VALUE",
        )
    });
    f.check("sensitive secret", r.map(drop));

    // Sensitive and never extractable as asked, yet computed from a peer's
    // input: LOCAL, ALWAYS_SENSITIVE and NEVER_EXTRACTABLE stay false
    // (PKCS#11 3.2 for keys C_EncapsulateKey / C_DecapsulateKey make).
    let mut t = pqc::secret_template();
    t.retain(|a| {
        ![
            AttributeType::VendorDefined(CKA_SENSITIVE),
            AttributeType::VendorDefined(CKA_EXTRACTABLE),
        ]
        .contains(&a.attribute_type())
    });
    t.push(pqc::bool_attr(CKA_SENSITIVE, true));
    t.push(pqc::bool_attr(CKA_EXTRACTABLE, false));
    let r = both_keys(h, &mut sc, pk, sk, t, |k| {
        computed(k)?;
        flag(h, k, CKA_SENSITIVE, true)?;
        flag(h, k, CKA_EXTRACTABLE, false)
    });
    f.check("sensitive, non-extractable secret", r.map(drop));

    // A token secret key while logged in.
    let mut t = pqc::secret_template();
    t.retain(|a| a.attribute_type() != AttributeType::VendorDefined(CKA_TOKEN));
    t.push(pqc::bool_attr(CKA_TOKEN, true));
    let r = both_keys(h, &mut sc, pk, sk, t, |k| flag(h, k, CKA_TOKEN, true));
    f.check("token secret", r.and_then(|(a, b)| same_values(a, b)));

    // A class other than secret key is inconsistent.
    let mut t = pqc::secret_template();
    t[0] = pqc::ulong_attr(CKA_CLASS, CKO_DATA);
    let r = pqc::encapsulate(h, &mut Mech::new(CKM_ML_KEM), pk, t);
    f.check(
        "CKO_DATA template",
        pqc::refused(r, CKR_TEMPLATE_INCONSISTENT, "C_EncapsulateKey"),
    );
    f.finish();
}

#[test]
fn encapsulate_and_decapsulate_attributes_are_enforced() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let set = pqc::param_set("ML-KEM-512");
    let mut f = Failures::new();
    let public = vec![
        pqc::bool_attr(CKA_TOKEN, false),
        pqc::ulong_attr(CKA_PARAMETER_SET, set.ckp),
        pqc::bool_attr(CKA_ENCAPSULATE, false),
    ];
    let private = vec![
        pqc::bool_attr(CKA_TOKEN, false),
        pqc::bool_attr(CKA_DECAPSULATE, false),
    ];
    let (pk, sk) = pqc::generate_key_pair(h, CKM_ML_KEM_KEY_PAIR_GEN, public, private)
        .expect("C_GenerateKeyPair");
    let before = pqc::object_count(h);
    let mut m = Mech::new(CKM_ML_KEM);
    let mut t = raw::Template::new(pqc::secret_template());
    let mut len: CK_ULONG = 0;
    let mut key = CK_INVALID_HANDLE;
    let rv = call!(C_EncapsulateKey(
        h,
        m.ptr(),
        pk,
        t.ptr(),
        t.len(),
        std::ptr::null_mut(),
        &mut len,
        &mut key
    ));
    f.check(
        "length query, CKA_ENCAPSULATE false",
        pqc::rv_is(rv, CKR_KEY_FUNCTION_NOT_PERMITTED, "C_EncapsulateKey"),
    );
    let r = pqc::encapsulate(h, &mut m, pk, pqc::secret_template());
    f.check(
        "CKA_ENCAPSULATE false",
        pqc::refused(r, CKR_KEY_FUNCTION_NOT_PERMITTED, "C_EncapsulateKey"),
    );
    let r = pqc::decapsulate(
        h,
        &mut m,
        sk,
        pqc::secret_template(),
        &vec![0u8; set.out_len],
    );
    f.check(
        "CKA_DECAPSULATE false",
        pqc::refused(r, CKR_KEY_FUNCTION_NOT_PERMITTED, "C_DecapsulateKey"),
    );
    if pqc::object_count(h) != before {
        f.check("objects", Err("a refused call created an object".into()));
    }
    // Keys of another kind: refused, whatever the code, and nothing created.
    let dsa = pqc::param_set("ML-DSA-44");
    let (dpk, dsk) = pqc::key_pair(h, dsa);
    let before = pqc::object_count(h);
    for (what, rv) in [
        (
            "ML-DSA public key",
            pqc::encapsulate(h, &mut m, dpk, pqc::secret_template()).map(drop),
        ),
        (
            "ML-DSA private key",
            pqc::decapsulate(
                h,
                &mut m,
                dsk,
                pqc::secret_template(),
                &vec![0u8; set.out_len],
            )
            .map(drop),
        ),
    ] {
        let r = match rv {
            Err(CKR_KEY_TYPE_INCONSISTENT) | Err(CKR_KEY_FUNCTION_NOT_PERMITTED) => Ok(()),
            Err(rv) => Err(pqc::why(
                "want KEY_TYPE_INCONSISTENT or KEY_FUNCTION_NOT_PERMITTED",
                rv,
            )),
            Ok(()) => Err("accepted".into()),
        };
        f.check(what, r);
    }
    if pqc::object_count(h) != before {
        f.check("objects", Err("a refused call created an object".into()));
    }
    // CKM_ML_KEM takes no parameter.
    let good = pqc::param_set("ML-KEM-512");
    let (gpk, _) = pqc::key_pair(h, good);
    let r = pqc::encapsulate(
        h,
        &mut Mech::with_bytes(CKM_ML_KEM, &[0; 8]),
        gpk,
        pqc::secret_template(),
    );
    f.check(
        "CKM_ML_KEM with a parameter",
        pqc::refused(r, CKR_MECHANISM_PARAM_INVALID, "C_EncapsulateKey"),
    );
    f.finish();
}

/// The key's CKA_ENCAPSULATE_TEMPLATE / CKA_DECAPSULATE_TEMPLATE (attribute
/// type `enc_ty` / `dec_ty`) merge into the caller's template; a conflict is
/// CKR_TEMPLATE_INCONSISTENT.
fn key_templates(
    h: CK_SESSION_HANDLE,
    enc_ty: CK_ATTRIBUTE_TYPE,
    dec_ty: CK_ATTRIBUTE_TYPE,
) -> Result<(), String> {
    let set = pqc::param_set("ML-KEM-768");
    let mut sc = Scratch::new(h);
    let enc = NestedTemplate::new(vec![
        pqc::ulong_attr(CKA_KEY_TYPE, CKK_AES),
        pqc::bool_attr(CKA_ENCRYPT, true),
    ]);
    let dec = NestedTemplate::new(vec![
        pqc::ulong_attr(CKA_KEY_TYPE, CKK_AES),
        pqc::bool_attr(CKA_DECRYPT, true),
    ]);
    let (mut p, mut s) = pqc::pair_templates(set);
    p.push(enc.attribute(enc_ty));
    s.push(dec.attribute(dec_ty));
    let (pk, sk) = pqc::must(
        pqc::generate_key_pair(h, CKM_ML_KEM_KEY_PAIR_GEN, p, s),
        "C_GenerateKeyPair(with key templates)",
    )?;
    sc.keep(pk);
    sc.keep(sk);
    let caller = vec![
        pqc::ulong_attr(CKA_CLASS, CKO_SECRET_KEY),
        pqc::bool_attr(CKA_TOKEN, false),
        pqc::bool_attr(CKA_SENSITIVE, false),
        pqc::bool_attr(CKA_EXTRACTABLE, true),
    ];
    let mut m = Mech::new(CKM_ML_KEM);
    let (ct, k1) = pqc::must(
        pqc::encapsulate(h, &mut m, pk, caller.clone()),
        "C_EncapsulateKey(compatible template)",
    )?;
    sc.keep(k1);
    ulong(h, k1, CKA_KEY_TYPE, CKK_AES).map_err(|e| format!("encapsulated key: {e}"))?;
    flag(h, k1, CKA_ENCRYPT, true).map_err(|e| format!("encapsulated key: {e}"))?;
    let k2 = sc.keep(pqc::must(
        pqc::decapsulate(h, &mut m, sk, caller.clone(), &ct),
        "C_DecapsulateKey(compatible template)",
    )?);
    ulong(h, k2, CKA_KEY_TYPE, CKK_AES).map_err(|e| format!("decapsulated key: {e}"))?;
    flag(h, k2, CKA_DECRYPT, true).map_err(|e| format!("decapsulated key: {e}"))?;
    pqc::same(
        "secrets",
        &pqc::read(h, k2, CKA_VALUE)?,
        &pqc::read(h, k1, CKA_VALUE)?,
    )?;

    let before = pqc::object_count(h);
    let mut conflicting = caller.clone();
    conflicting.push(pqc::ulong_attr(CKA_KEY_TYPE, CKK_GENERIC_SECRET));
    let r = pqc::encapsulate(h, &mut m, pk, conflicting.clone());
    pqc::refused(
        r,
        CKR_TEMPLATE_INCONSISTENT,
        "C_EncapsulateKey(CKK_GENERIC_SECRET against the key's CKK_AES)",
    )?;
    let r = pqc::decapsulate(h, &mut m, sk, conflicting, &ct);
    pqc::refused(
        r,
        CKR_TEMPLATE_INCONSISTENT,
        "C_DecapsulateKey(CKK_GENERIC_SECRET against the key's CKK_AES)",
    )?;
    let mut no_encrypt = caller;
    no_encrypt.push(pqc::bool_attr(CKA_ENCRYPT, false));
    let r = pqc::encapsulate(h, &mut m, pk, no_encrypt);
    pqc::refused(
        r,
        CKR_TEMPLATE_INCONSISTENT,
        "C_EncapsulateKey(CKA_ENCRYPT false against the key's true)",
    )?;
    if pqc::object_count(h) != before {
        return Err("a refused call created an object".into());
    }
    Ok(())
}

#[test]
fn key_encapsulate_and_decapsulate_templates_both_forms() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let mut f = Failures::new();
    f.check(
        "0x62A / 0x62B",
        key_templates(
            s.handle(),
            CKA_ENCAPSULATE_TEMPLATE,
            CKA_DECAPSULATE_TEMPLATE,
        ),
    );
    f.check(
        "0x4000062A / 0x4000062B",
        key_templates(
            s.handle(),
            pqc::CKA_ENCAPSULATE_TEMPLATE_ARRAY,
            pqc::CKA_DECAPSULATE_TEMPLATE_ARRAY,
        ),
    );
    f.finish();
}

#[test]
fn decapsulate_bad_ciphertexts() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let mut f = Failures::new();
    for set in Family::MlKem.sets() {
        let (pk, sk) = pqc::key_pair(h, set);
        let mut sc = Scratch::new(h);
        let mut m = Mech::new(CKM_ML_KEM);
        let (ct, k) =
            pqc::encapsulate(h, &mut m, pk, pqc::secret_template()).expect("C_EncapsulateKey");
        sc.keep(k);
        let real = pqc::read(h, k, CKA_VALUE).expect("secret");
        let before = pqc::object_count(h);
        for (what, c) in [("one byte short", &ct[1..]), ("empty", &ct[..0])] {
            let r = pqc::decapsulate(h, &mut m, sk, pqc::secret_template(), c);
            f.check(
                &format!("{}: {what}", set.name),
                pqc::refused(r, CKR_ENCRYPTED_DATA_LEN_RANGE, "C_DecapsulateKey"),
            );
        }
        let long = [&ct[..], &[0]].concat();
        let r = pqc::decapsulate(h, &mut m, sk, pqc::secret_template(), &long);
        f.check(
            &format!("{}: one byte long", set.name),
            pqc::refused(r, CKR_ENCRYPTED_DATA_LEN_RANGE, "C_DecapsulateKey"),
        );
        if pqc::object_count(h) != before {
            f.check(
                set.name,
                Err("a refused decapsulation created an object".into()),
            );
        }
        // Implicit rejection: a modified ciphertext decapsulates, to another
        // secret, the same one each time.
        let mut bad = ct.clone();
        bad[7] ^= 0x80;
        let r = (|| {
            let a = sc.keep(pqc::must(
                pqc::decapsulate(h, &mut m, sk, pqc::secret_template(), &bad),
                "C_DecapsulateKey(modified)",
            )?);
            let b = sc.keep(pqc::must(
                pqc::decapsulate(h, &mut m, sk, pqc::secret_template(), &bad),
                "C_DecapsulateKey(modified, again)",
            )?);
            let (va, vb) = (pqc::read(h, a, CKA_VALUE)?, pqc::read(h, b, CKA_VALUE)?);
            pqc::same("implicit rejection is deterministic", &vb, &va)?;
            if va == real {
                Err("a modified ciphertext gave the real secret".into())
            } else {
                Ok(())
            }
        })();
        f.check(&format!("{}: implicit rejection", set.name), r);
    }
    f.finish();
}

/// cryptoki's encapsulate_key / decapsulate_key (which pass a valid phKey on
/// the length query) with token keys, as its own test does.
#[test]
fn cryptoki_encapsulate_and_decapsulate() {
    let fx = Fixture::new();
    let s = fx.user_session();
    for ps in [
        MlKemParameterSetType::ML_KEM_512,
        MlKemParameterSetType::ML_KEM_768,
        MlKemParameterSetType::ML_KEM_1024,
    ] {
        let pub_t = [
            Attribute::Token(true),
            Attribute::ParameterSet(ps.into()),
            Attribute::Encapsulate(true),
        ];
        let priv_t = [Attribute::Token(true), Attribute::Decapsulate(true)];
        let (pk, sk) = s
            .generate_key_pair(&Mechanism::MlKemKeyPairGen, &pub_t, &priv_t)
            .expect("C_GenerateKeyPair");
        let before = pqc::object_count(s.handle());
        let secret_t = [
            Attribute::Token(true),
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Sensitive(false),
            Attribute::Extractable(true),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ];
        let (ct, k1) = s
            .encapsulate_key(&Mechanism::MlKem, pk, &secret_t)
            .expect("encapsulate_key");
        assert_eq!(
            pqc::object_count(s.handle()),
            before + 1,
            "{ps:?}: encapsulate_key made more than one key"
        );
        let k2 = s
            .decapsulate_key(&Mechanism::MlKem, sk, &secret_t, &ct)
            .expect("decapsulate_key");
        let v = |k| {
            s.get_attributes(k, &[AttributeType::Value])
                .expect("CKA_VALUE")
        };
        let (a, b) = (v(k1), v(k2));
        assert_eq!(a, b, "{ps:?}: secrets differ");
        assert!(
            matches!(&a[0], Attribute::Value(x) if x.len() == 32),
            "{ps:?}: {a:?}"
        );
        for k in [k1, k2, pk, sk] {
            s.destroy_object(k).expect("C_DestroyObject");
        }
    }
}
