//! Post-quantum keys as PKCS#11 3.2 objects: C_GenerateKeyPair for every
//! parameter set and the attributes of both halves, where the parameter set
//! goes, C_CreateObject from CKA_SEED / CKA_VALUE / both,
//! CKM_PUB_KEY_FROM_PRIV_KEY, C_WrapKey / C_UnwrapKey of private keys
//! (PKCS#8 under AES-KWP), and C_GetMechanismInfo.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, KeyType, ObjectClass};
use cryptoki_sys::*;
use pqc_common::{generated_sets, pair_works, sign_with, Failures};
use qrc_conformance::pqc::{self, Family, ParamSet, Scratch};
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::{call, Fixture};

mod pqc_common;

fn ulong(
    h: CK_SESSION_HANDLE,
    k: CK_OBJECT_HANDLE,
    ty: CK_ATTRIBUTE_TYPE,
    want: CK_ULONG,
    what: &str,
) -> Result<(), String> {
    let got = pqc::must(raw::attr_ulong(h, k, ty), &format!("{what} 0x{ty:X}"))?;
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what} attribute 0x{ty:X} = 0x{got:X}, want 0x{want:X}"
        ))
    }
}

fn boolean(
    h: CK_SESSION_HANDLE,
    k: CK_OBJECT_HANDLE,
    ty: CK_ATTRIBUTE_TYPE,
    want: bool,
    what: &str,
) -> Result<(), String> {
    let got = pqc::must(raw::attr_bool(h, k, ty), &format!("{what} 0x{ty:X}"))?;
    if got == want {
        Ok(())
    } else {
        Err(format!("{what} attribute 0x{ty:X} = {got}, want {want}"))
    }
}

fn length(
    h: CK_SESSION_HANDLE,
    k: CK_OBJECT_HANDLE,
    ty: CK_ATTRIBUTE_TYPE,
    want: usize,
    what: &str,
) -> Result<Vec<u8>, String> {
    let v = pqc::read(h, k, ty)?;
    if v.len() == want {
        Ok(v)
    } else {
        Err(format!(
            "{what} attribute 0x{ty:X} has {} bytes, want {want}",
            v.len()
        ))
    }
}

/// CKA_PUBLIC_KEY_INFO of `k` (a public key, or a private key, which
/// carries its public key's) is a DER SPKI with the set's OID, no
/// parameters, and the public key as its bits (Falcon has no standard OID:
/// only the bits are checked).
fn spki_ok(
    h: CK_SESSION_HANDLE,
    k: CK_OBJECT_HANDLE,
    set: &ParamSet,
    pk: &[u8],
) -> Result<(), String> {
    let der = pqc::read(h, k, CKA_PUBLIC_KEY_INFO)?;
    let (oid, params, bits) = pqc::parse_spki(&der).ok_or_else(|| {
        format!(
            "CKA_PUBLIC_KEY_INFO is not a DER SPKI: {}",
            hex::encode(&der[..der.len().min(32)])
        )
    })?;
    if set.family != Family::Falcon && oid != set.oid {
        return Err(format!("SPKI algorithm {oid}, want {}", set.oid));
    }
    if params {
        return Err("SPKI algorithm has parameters; the standards say absent".into());
    }
    pqc::same("SPKI public key", &bits, pk)
}

/// The attributes of a freshly generated pair whose private half was asked
/// non-sensitive and extractable.
fn readable_pair(h: CK_SESSION_HANDLE, set: &ParamSet) -> Result<(), String> {
    let mut sc = Scratch::new(h);
    let (p, s) = pqc::pair_templates(set);
    let (pk, sk) = pqc::must(
        pqc::generate_key_pair(h, set.family.keygen(), p, s),
        "C_GenerateKeyPair",
    )?;
    sc.keep(pk);
    sc.keep(sk);
    for (k, class, what) in [
        (pk, CKO_PUBLIC_KEY, "public"),
        (sk, CKO_PRIVATE_KEY, "private"),
    ] {
        ulong(h, k, CKA_CLASS, class, what)?;
        ulong(h, k, CKA_KEY_TYPE, set.family.key_type(), what)?;
        ulong(h, k, CKA_PARAMETER_SET, set.ckp, what)?;
        ulong(h, k, CKA_KEY_GEN_MECHANISM, set.family.keygen(), what)?;
        boolean(h, k, CKA_LOCAL, true, what)?;
    }
    boolean(h, pk, set.family.public_usage(), true, "public")?;
    boolean(h, sk, set.family.private_usage(), true, "private")?;
    boolean(
        h,
        sk,
        CKA_ALWAYS_SENSITIVE,
        false,
        "private (asked non-sensitive)",
    )?;
    boolean(
        h,
        sk,
        CKA_NEVER_EXTRACTABLE,
        false,
        "private (asked extractable)",
    )?;
    let pk_value = length(h, pk, CKA_VALUE, set.pk_len, "public")?;
    let sk_value = length(h, sk, CKA_VALUE, set.sk_len, "private")?;
    spki_ok(h, pk, set, &pk_value)?;
    spki_ok(h, sk, set, &pk_value).map_err(|e| format!("private key: {e}"))?;
    let derived = pqc::must(sc.public_from(sk), "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)")?;
    pqc::same(
        "derived public key",
        &pqc::read(h, derived, CKA_VALUE)?,
        &pk_value,
    )?;
    ulong(h, derived, CKA_PARAMETER_SET, set.ckp, "derived public")?;
    boolean(h, derived, CKA_LOCAL, false, "derived public")?;
    match set.family {
        Family::MlKem | Family::MlDsa => {
            let seed = length(h, sk, CKA_SEED, set.seed_len, "private")?;
            // The seed regenerates the same key.
            let again = pqc::must(
                sc.create(pqc::private_template(set, None, Some(&seed))),
                "C_CreateObject(CKA_SEED read back)",
            )?;
            pqc::same(
                "CKA_VALUE of the key made from CKA_SEED",
                &pqc::read(h, again, CKA_VALUE)?,
                &sk_value,
            )?;
        }
        Family::SlhDsa => pqc::refused(
            raw::attr(h, sk, CKA_SEED),
            CKR_ATTRIBUTE_TYPE_INVALID,
            "CKA_SEED of an SLH-DSA key",
        )?,
        Family::Falcon => {}
    }
    pair_works(h, set, pk, sk)?;
    pair_works(h, set, derived, sk)
}

/// A pair whose private half is a sensitive, non-extractable token key:
/// value and seed unreadable, ALWAYS_SENSITIVE and NEVER_EXTRACTABLE set,
/// its CKA_PUBLIC_KEY_INFO readable.
fn sensitive_pair(h: CK_SESSION_HANDLE, set: &ParamSet) -> Result<(), String> {
    let mut sc = Scratch::new(h);
    let (p, _) = pqc::pair_templates(set);
    let s = vec![
        pqc::bool_attr(CKA_TOKEN, true),
        pqc::bool_attr(CKA_SENSITIVE, true),
        pqc::bool_attr(CKA_EXTRACTABLE, false),
        pqc::bool_attr(set.family.private_usage(), true),
    ];
    let (pk, sk) = pqc::must(
        pqc::generate_key_pair(h, set.family.keygen(), p, s),
        "C_GenerateKeyPair",
    )?;
    sc.keep(pk);
    sc.keep(sk);
    boolean(h, sk, CKA_ALWAYS_SENSITIVE, true, "private")?;
    boolean(h, sk, CKA_NEVER_EXTRACTABLE, true, "private")?;
    pqc::refused(
        raw::attr(h, sk, CKA_VALUE),
        CKR_ATTRIBUTE_SENSITIVE,
        "CKA_VALUE of a sensitive key",
    )?;
    if matches!(set.family, Family::MlKem | Family::MlDsa) {
        pqc::refused(
            raw::attr(h, sk, CKA_SEED),
            CKR_ATTRIBUTE_SENSITIVE,
            "CKA_SEED of a sensitive key",
        )?;
    }
    let pk_value = length(h, pk, CKA_VALUE, set.pk_len, "public")?;
    spki_ok(h, pk, set, &pk_value)?;
    spki_ok(h, sk, set, &pk_value).map_err(|e| format!("private key: {e}"))?;
    pair_works(h, set, pk, sk)
}

#[test]
fn generate_key_pair_every_parameter_set() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let mut f = Failures::new();
    for set in generated_sets() {
        f.check(
            &format!("{} readable pair", set.name),
            readable_pair(s.handle(), set),
        );
        f.check(
            &format!("{} sensitive pair", set.name),
            sensitive_pair(s.handle(), set),
        );
    }
    f.finish();
}

/// One set per family (the fast ones).
fn one_set_per_family() -> [&'static ParamSet; 4] {
    [
        "ML-KEM-768",
        "ML-DSA-44",
        "SLH-DSA-SHAKE-128f",
        "Falcon-512",
    ]
    .map(pqc::param_set)
}

fn generate(
    h: CK_SESSION_HANDLE,
    set: &ParamSet,
    public: Vec<Attribute>,
    private: Vec<Attribute>,
) -> Result<(), CK_RV> {
    let (pk, sk) = pqc::generate_key_pair(h, set.family.keygen(), public, private)?;
    call!(C_DestroyObject(h, pk));
    call!(C_DestroyObject(h, sk));
    Ok(())
}

#[test]
fn parameter_set_belongs_in_the_public_template() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let mut f = Failures::new();
    for set in one_set_per_family() {
        let usage_pub = || {
            vec![
                pqc::bool_attr(CKA_TOKEN, false),
                pqc::bool_attr(set.family.public_usage(), true),
            ]
        };
        let usage_priv = || {
            vec![
                pqc::bool_attr(CKA_TOKEN, false),
                pqc::bool_attr(set.family.private_usage(), true),
            ]
        };
        let with = |mut t: Vec<Attribute>, v: CK_ULONG| {
            t.push(pqc::ulong_attr(CKA_PARAMETER_SET, v));
            t
        };
        let other = set
            .family
            .sets()
            .find(|o| o.ckp != set.ckp)
            .expect("two sets")
            .ckp;
        let n = set.name;
        f.check(
            &format!("{n}: public only"),
            pqc::must(
                generate(h, set, with(usage_pub(), set.ckp), usage_priv()),
                "C_GenerateKeyPair",
            ),
        );
        f.check(
            &format!("{n}: both, agreeing"),
            pqc::must(
                generate(
                    h,
                    set,
                    with(usage_pub(), set.ckp),
                    with(usage_priv(), set.ckp),
                ),
                "C_GenerateKeyPair",
            ),
        );
        f.check(
            &format!("{n}: missing"),
            pqc::refused(
                generate(h, set, usage_pub(), usage_priv()),
                CKR_TEMPLATE_INCOMPLETE,
                "C_GenerateKeyPair",
            ),
        );
        f.check(
            &format!("{n}: private template only"),
            pqc::refused(
                generate(h, set, usage_pub(), with(usage_priv(), set.ckp)),
                CKR_TEMPLATE_INCOMPLETE,
                "C_GenerateKeyPair",
            ),
        );
        f.check(
            &format!("{n}: both, disagreeing"),
            pqc::refused(
                generate(
                    h,
                    set,
                    with(usage_pub(), set.ckp),
                    with(usage_priv(), other),
                ),
                CKR_TEMPLATE_INCONSISTENT,
                "C_GenerateKeyPair",
            ),
        );
        let max = set.family.sets().map(|s| s.ckp).max().expect("sets");
        for unknown in [0, max + 1, 0x8000_0000] {
            f.check(
                &format!("{n}: unknown parameter set {unknown}"),
                pqc::refused(
                    generate(h, set, with(usage_pub(), unknown), usage_priv()),
                    CKR_PARAMETER_SET_NOT_SUPPORTED,
                    "C_GenerateKeyPair",
                ),
            );
        }
    }
    f.finish();
}

/// A readable pair's seed and value, for the C_CreateObject checks.
fn seed_and_value(h: CK_SESSION_HANDLE, set: &ParamSet) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (pk, sk) = pqc::key_pair(h, set);
    let read = |k, ty| pqc::read(h, k, ty).unwrap_or_else(|e| panic!("{}: {e}", set.name));
    let out = (read(sk, CKA_SEED), read(sk, CKA_VALUE), read(pk, CKA_VALUE));
    call!(C_DestroyObject(h, pk));
    call!(C_DestroyObject(h, sk));
    out
}

fn create_checks(h: CK_SESSION_HANDLE, set: &ParamSet, f: &mut Failures) {
    let n = set.name;
    let (seed, value, public) = seed_and_value(h, set);
    let mut sc = Scratch::new(h);
    let mut made = |what: &str, t: Vec<Attribute>, f: &mut Failures| {
        let r = (|| {
            let k = pqc::must(sc.create(t), "C_CreateObject")?;
            pqc::same("CKA_VALUE", &pqc::read(h, k, CKA_VALUE)?, &value)?;
            pqc::same("CKA_SEED", &pqc::read(h, k, CKA_SEED)?, &seed)?;
            boolean(h, k, CKA_LOCAL, false, "created")?;
            boolean(h, k, CKA_ALWAYS_SENSITIVE, false, "created")?;
            boolean(h, k, CKA_NEVER_EXTRACTABLE, false, "created")?;
            spki_ok(h, k, set, &public)?;
            let derived = pqc::must(sc.public_from(k), "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)")?;
            pqc::same(
                "derived public key",
                &pqc::read(h, derived, CKA_VALUE)?,
                &public,
            )
        })();
        f.check(&format!("{n}: from {what}"), r);
    };
    made("seed", pqc::private_template(set, None, Some(&seed)), f);
    made(
        "seed and value",
        pqc::private_template(set, Some(&value), Some(&seed)),
        f,
    );
    // From the value alone the seed cannot be recovered: only the value is checked.
    let r = sc
        .create(pqc::private_template(set, Some(&value), None))
        .map_err(|rv| pqc::why("C_CreateObject", rv));
    f.check(
        &format!("{n}: from value"),
        r.and_then(|k| {
            pqc::same("CKA_VALUE", &pqc::read(h, k, CKA_VALUE)?, &value)?;
            spki_ok(h, k, set, &public)
        }),
    );

    let mut other_seed = seed.clone();
    other_seed[0] ^= 1;
    let refuse = |what: &str, t: Vec<Attribute>, want: CK_RV, f: &mut Failures| {
        let mut sc = Scratch::new(h);
        f.check(
            &format!("{n}: {what}"),
            pqc::refused(sc.create(t), want, "C_CreateObject"),
        );
    };
    refuse(
        "seed and value disagreeing",
        pqc::private_template(set, Some(&value), Some(&other_seed)),
        CKR_ATTRIBUTE_VALUE_INVALID,
        f,
    );
    refuse(
        "neither seed nor value",
        pqc::private_template(set, None, None),
        CKR_TEMPLATE_INCOMPLETE,
        f,
    );
    refuse(
        "seed one byte short",
        pqc::private_template(set, None, Some(&seed[1..])),
        CKR_ATTRIBUTE_VALUE_INVALID,
        f,
    );
    refuse(
        "seed one byte long",
        pqc::private_template(set, None, Some(&[&seed[..], &[0]].concat())),
        CKR_ATTRIBUTE_VALUE_INVALID,
        f,
    );
    refuse(
        "value one byte short",
        pqc::private_template(set, Some(&value[1..]), None),
        CKR_ATTRIBUTE_VALUE_INVALID,
        f,
    );
    refuse(
        "public value one byte long",
        pqc::public_template(set, &[&public[..], &[0]].concat()),
        CKR_ATTRIBUTE_VALUE_INVALID,
        f,
    );
    let no_set: Vec<Attribute> = pqc::private_template(set, None, Some(&seed))
        .into_iter()
        .filter(|a| {
            a.attribute_type() != cryptoki::object::AttributeType::VendorDefined(CKA_PARAMETER_SET)
        })
        .collect();
    refuse(
        "seed without CKA_PARAMETER_SET",
        no_set,
        CKR_TEMPLATE_INCOMPLETE,
        f,
    );

    // A sensitive key made from a seed keeps seed and value secret.
    let mut t = pqc::private_template(set, None, Some(&seed));
    t.retain(|a| {
        a.attribute_type() != cryptoki::object::AttributeType::VendorDefined(CKA_SENSITIVE)
    });
    t.push(pqc::bool_attr(CKA_SENSITIVE, true));
    let r = sc
        .create(t)
        .map_err(|rv| pqc::why("C_CreateObject(sensitive)", rv))
        .and_then(|k| {
            pqc::refused(
                raw::attr(h, k, CKA_SEED),
                CKR_ATTRIBUTE_SENSITIVE,
                "CKA_SEED",
            )?;
            pqc::refused(
                raw::attr(h, k, CKA_VALUE),
                CKR_ATTRIBUTE_SENSITIVE,
                "CKA_VALUE",
            )
        });
    f.check(&format!("{n}: sensitive key from seed"), r);
}

#[test]
fn create_private_keys_from_seed_value_or_both() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let mut f = Failures::new();
    for set in pqc::SETS
        .iter()
        .filter(|s| matches!(s.family, Family::MlKem | Family::MlDsa))
    {
        create_checks(s.handle(), set, &mut f);
    }
    // SLH-DSA and Falcon keys have no seed attribute.
    for set in ["SLH-DSA-SHA2-128f", "Falcon-512"].map(pqc::param_set) {
        let h = s.handle();
        let (pk, sk) = pqc::key_pair(h, set);
        let value = pqc::read(h, sk, CKA_VALUE).expect("value");
        let mut sc = Scratch::new(h);
        let r = sc.create(pqc::private_template(set, Some(&value), Some(&[7u8; 32])));
        f.check(
            &format!("{}: CKA_SEED in the template", set.name),
            pqc::refused(r, CKR_ATTRIBUTE_TYPE_INVALID, "C_CreateObject"),
        );
        let r = sc.create(pqc::private_template(set, None, None));
        f.check(
            &format!("{}: no value", set.name),
            pqc::refused(r, CKR_TEMPLATE_INCOMPLETE, "C_CreateObject"),
        );
        let r = sc.create(pqc::private_template(set, Some(&value[1..]), None));
        f.check(
            &format!("{}: value one byte short", set.name),
            pqc::refused(r, CKR_ATTRIBUTE_VALUE_INVALID, "C_CreateObject"),
        );
        let r = sc
            .create(pqc::private_template(set, Some(&value), None))
            .map_err(|rv| pqc::why("C_CreateObject", rv));
        let public = pqc::read(h, pk, CKA_VALUE).expect("public value");
        f.check(
            &format!("{}: from value", set.name),
            r.and_then(|k| {
                spki_ok(h, k, set, &public)?;
                pair_works(h, set, pk, k)
            }),
        );
        call!(C_DestroyObject(h, pk));
        call!(C_DestroyObject(h, sk));
    }
    f.finish();
}

/// An AES-256 wrapping key: a token key generated in the module, or a
/// session key of known value (so the wrapped blob can be opened here).
fn wrapping_key(s: &cryptoki::session::Session, token: bool) -> CK_OBJECT_HANDLE {
    if token {
        let t = [
            Attribute::Token(true),
            Attribute::ValueLen(32.into()),
            Attribute::Wrap(true),
            Attribute::Unwrap(true),
            Attribute::Sensitive(true),
            Attribute::Label(b"pqc-kwp".to_vec()),
        ];
        s.generate_key(&Mechanism::AesKeyGen, &t)
            .expect("C_GenerateKey(AES token key)")
            .handle()
    } else {
        qrc_conformance::keys::aes(s, &[0x42; 32], vec![])
    }
}

/// The private key after a C_WrapKey / C_UnwrapKey round trip behaves as
/// the original; the blob is PKCS#8 with the set's OID.
fn wrap_round_trip(
    h: CK_SESSION_HANDLE,
    set: &ParamSet,
    kek: CK_OBJECT_HANDLE,
    open_kek: CK_OBJECT_HANDLE,
) -> Result<(), String> {
    let mut sc = Scratch::new(h);
    let (p, _) = pqc::pair_templates(set);
    let s = vec![
        pqc::bool_attr(CKA_TOKEN, false),
        pqc::bool_attr(CKA_SENSITIVE, true),
        pqc::bool_attr(CKA_EXTRACTABLE, true),
        pqc::bool_attr(set.family.private_usage(), true),
    ];
    let (pk, sk) = pqc::must(
        pqc::generate_key_pair(h, set.family.keygen(), p, s),
        "C_GenerateKeyPair",
    )?;
    sc.keep(pk);
    sc.keep(sk);
    let mut kwp = Mech::new(CKM_AES_KEY_WRAP_KWP);
    let blob = pqc::must(raw::wrap(h, &mut kwp, kek, sk), "C_WrapKey(token KWP key)")?;
    let template = vec![
        pqc::ulong_attr(CKA_CLASS, CKO_PRIVATE_KEY),
        pqc::ulong_attr(CKA_KEY_TYPE, set.family.key_type()),
        pqc::bool_attr(CKA_TOKEN, false),
        pqc::bool_attr(set.family.private_usage(), true),
    ];
    let back = sc.keep(pqc::must(
        raw::unwrap(h, &mut kwp, kek, &blob, template.clone()),
        "C_UnwrapKey",
    )?);
    ulong(h, back, CKA_PARAMETER_SET, set.ckp, "unwrapped")?;
    boolean(h, back, CKA_LOCAL, false, "unwrapped")?;
    boolean(h, back, CKA_ALWAYS_SENSITIVE, false, "unwrapped")?;
    boolean(h, back, CKA_NEVER_EXTRACTABLE, false, "unwrapped")?;
    spki_ok(h, back, set, &pqc::read(h, pk, CKA_VALUE)?)
        .map_err(|e| format!("unwrapped private key: {e}"))?;
    let derived = pqc::must(
        sc.public_from(back),
        "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY) of the unwrapped key",
    )?;
    pqc::same(
        "public key of the unwrapped key",
        &pqc::read(h, derived, CKA_VALUE)?,
        &pqc::read(h, pk, CKA_VALUE)?,
    )?;
    pair_works(h, set, pk, back)?;
    match set.family {
        Family::MlDsa | Family::SlhDsa => {
            let msg = b"same key, same deterministic signature";
            pqc::same(
                "deterministic signature of the unwrapped key",
                &sign_with(h, set, back, msg)?,
                &sign_with(h, set, sk, msg)?,
            )?;
        }
        Family::MlKem => {
            let mut m = Mech::new(CKM_ML_KEM);
            let (ct, k) = pqc::must(
                pqc::encapsulate(h, &mut m, pk, pqc::secret_template()),
                "C_EncapsulateKey",
            )?;
            sc.keep(k);
            let k1 = sc.keep(pqc::must(
                pqc::decapsulate(h, &mut m, sk, pqc::secret_template(), &ct),
                "C_DecapsulateKey(original)",
            )?);
            let k2 = sc.keep(pqc::must(
                pqc::decapsulate(h, &mut m, back, pqc::secret_template(), &ct),
                "C_DecapsulateKey(unwrapped)",
            )?);
            pqc::same(
                "secret decapsulated by the unwrapped key",
                &pqc::read(h, k2, CKA_VALUE)?,
                &pqc::read(h, k1, CKA_VALUE)?,
            )?;
        }
        Family::Falcon => {}
    }
    // The wrong key type for the blob is refused.
    let mut wrong = template;
    let other = if set.family == Family::MlDsa {
        CKK_ML_KEM
    } else {
        CKK_ML_DSA
    };
    wrong[1] = pqc::ulong_attr(CKA_KEY_TYPE, other);
    match raw::unwrap(h, &mut kwp, kek, &blob, wrong) {
        Ok(k) => {
            sc.keep(k);
            return Err("C_UnwrapKey accepted the blob under another key type".into());
        }
        Err(rv) if rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_WRAPPED_KEY_INVALID => {}
        Err(rv) => {
            return Err(pqc::why(
                "C_UnwrapKey(other key type): want TEMPLATE_INCONSISTENT or WRAPPED_KEY_INVALID",
                rv,
            ))
        }
    }
    // Opened with a known key: PKCS#8 naming the algorithm.
    let open = pqc::must(
        raw::wrap(h, &mut kwp, open_kek, sk),
        "C_WrapKey(session KWP key)",
    )?;
    let der = pqc::must(
        raw::decrypt(h, &mut kwp, open_kek, &open),
        "C_Decrypt(CKM_AES_KEY_WRAP_KWP)",
    )?;
    let (oid, _) = pqc::parse_pkcs8(&der).ok_or("the wrapped key is not PKCS#8")?;
    if oid != set.oid {
        return Err(format!("PKCS#8 algorithm {oid}, want {}", set.oid));
    }
    Ok(())
}

#[test]
fn wrap_and_unwrap_private_keys_under_aes_kwp() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let kek = wrapping_key(&s, true);
    let open_kek = wrapping_key(&s, false);
    let mut f = Failures::new();
    for set in [
        "ML-DSA-44",
        "ML-DSA-87",
        "ML-KEM-512",
        "ML-KEM-1024",
        "SLH-DSA-SHA2-128f",
        "SLH-DSA-SHAKE-256f",
        "Falcon-512",
        "Falcon-1024",
    ]
    .map(pqc::param_set)
    {
        f.check(set.name, wrap_round_trip(h, set, kek, open_kek));
    }
    // A non-extractable key does not leave.
    let set = pqc::param_set("ML-DSA-65");
    let (p, _) = pqc::pair_templates(set);
    let sens = vec![
        pqc::bool_attr(CKA_TOKEN, false),
        pqc::bool_attr(CKA_EXTRACTABLE, false),
        pqc::bool_attr(CKA_SIGN, true),
    ];
    let (_, sk) =
        pqc::generate_key_pair(h, CKM_ML_DSA_KEY_PAIR_GEN, p, sens).expect("C_GenerateKeyPair");
    f.check(
        "non-extractable",
        pqc::refused(
            raw::wrap(h, &mut Mech::new(CKM_AES_KEY_WRAP_KWP), kek, sk),
            CKR_KEY_UNEXTRACTABLE,
            "C_WrapKey",
        ),
    );
    f.finish();
}

/// Every PQC mechanism is listed, with the functions it serves and key
/// sizes in public-key bytes.
#[test]
fn mechanism_info_flags_and_key_sizes() {
    // Held for the initialised module and token; the calls below are raw.
    let _fx = Fixture::new();
    let slot: CK_SLOT_ID = 0;
    // Raw: cryptoki's typed list drops values it has no name for.
    let mut n: CK_ULONG = 0;
    let rv = call!(C_GetMechanismList(slot, std::ptr::null_mut(), &mut n));
    assert_eq!(rv, CKR_OK, "C_GetMechanismList(NULL)");
    let mut listed = vec![0 as CK_MECHANISM_TYPE; n as usize];
    let rv = call!(C_GetMechanismList(slot, listed.as_mut_ptr(), &mut n));
    assert_eq!(rv, CKR_OK, "C_GetMechanismList");
    listed.truncate(n as usize);
    let sizes = |fam: Family| {
        let v: Vec<usize> = fam.sets().map(|s| s.pk_len).collect();
        (
            *v.iter().min().expect("sets") as CK_ULONG,
            *v.iter().max().expect("sets") as CK_ULONG,
        )
    };
    let sv = CKF_SIGN | CKF_VERIFY;
    let mut expected: Vec<(CK_MECHANISM_TYPE, CK_FLAGS, Family)> = vec![
        (
            CKM_ML_KEM_KEY_PAIR_GEN,
            CKF_GENERATE_KEY_PAIR,
            Family::MlKem,
        ),
        (CKM_ML_KEM, CKF_ENCAPSULATE | CKF_DECAPSULATE, Family::MlKem),
        (
            CKM_ML_DSA_KEY_PAIR_GEN,
            CKF_GENERATE_KEY_PAIR,
            Family::MlDsa,
        ),
        (CKM_ML_DSA, sv, Family::MlDsa),
        (CKM_HASH_ML_DSA, sv, Family::MlDsa),
        (
            CKM_SLH_DSA_KEY_PAIR_GEN,
            CKF_GENERATE_KEY_PAIR,
            Family::SlhDsa,
        ),
        (CKM_SLH_DSA, sv, Family::SlhDsa),
        (CKM_HASH_SLH_DSA, sv, Family::SlhDsa),
        (
            pqc::CKM_FALCON_KEY_PAIR_GEN,
            CKF_GENERATE_KEY_PAIR,
            Family::Falcon,
        ),
        (pqc::CKM_FALCON, sv, Family::Falcon),
    ];
    for ph in &pqc::PREHASHES {
        expected.extend(ph.ml_dsa.map(|m| (m, sv, Family::MlDsa)));
        expected.extend(ph.slh_dsa.map(|m| (m, sv, Family::SlhDsa)));
    }
    let functions = CKF_ENCRYPT
        | CKF_DECRYPT
        | CKF_DIGEST
        | CKF_SIGN
        | CKF_SIGN_RECOVER
        | CKF_VERIFY
        | CKF_VERIFY_RECOVER
        | CKF_GENERATE
        | CKF_GENERATE_KEY_PAIR
        | CKF_WRAP
        | CKF_UNWRAP
        | CKF_DERIVE
        | CKF_ENCAPSULATE
        | CKF_DECAPSULATE;
    let mut f = Failures::new();
    for (ty, flags, fam) in expected {
        let r = (|| {
            if !listed.contains(&ty) {
                return Err("not in C_GetMechanismList".to_string());
            }
            let mut info = CK_MECHANISM_INFO::default();
            pqc::rv_is(
                call!(C_GetMechanismInfo(slot, ty, &mut info)),
                CKR_OK,
                "C_GetMechanismInfo",
            )?;
            if info.flags & functions != flags {
                return Err(format!(
                    "flags 0x{:X}, want 0x{flags:X}",
                    info.flags & functions
                ));
            }
            let (min, max) = sizes(fam);
            if (info.ulMinKeySize, info.ulMaxKeySize) != (min, max) {
                return Err(format!(
                    "key sizes {}..{}, want {min}..{max} (public-key bytes)",
                    info.ulMinKeySize, info.ulMaxKeySize
                ));
            }
            Ok(())
        })();
        f.check(&format!("mechanism 0x{ty:X}"), r);
    }
    let mut info = CK_MECHANISM_INFO::default();
    let rv = call!(C_GetMechanismInfo(
        slot,
        CKM_PUB_KEY_FROM_PRIV_KEY,
        &mut info
    ));
    if !listed.contains(&CKM_PUB_KEY_FROM_PRIV_KEY) {
        f.check(
            "CKM_PUB_KEY_FROM_PRIV_KEY",
            Err("not in C_GetMechanismList".into()),
        );
    }
    f.check(
        "CKM_PUB_KEY_FROM_PRIV_KEY",
        pqc::rv_is(rv, CKR_OK, "C_GetMechanismInfo").and_then(|_| {
            if info.flags & CKF_DERIVE != 0 {
                Ok(())
            } else {
                Err(format!("flags 0x{:X} lack CKF_DERIVE", info.flags))
            }
        }),
    );
    f.finish();
}

/// Keys made by cryptoki's typed API carry the right types too.
#[test]
fn cryptoki_key_pair_generation() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let pub_t = [
        Attribute::Token(false),
        Attribute::ParameterSet(cryptoki::object::MlDsaParameterSetType::ML_DSA_65.into()),
        Attribute::Verify(true),
    ];
    let priv_t = [Attribute::Token(false), Attribute::Sign(true)];
    let (pk, sk) = s
        .generate_key_pair(&Mechanism::MlDsaKeyPairGen, &pub_t, &priv_t)
        .expect("C_GenerateKeyPair(ML-DSA-65)");
    let attrs = s
        .get_attributes(
            sk,
            &[
                cryptoki::object::AttributeType::Class,
                cryptoki::object::AttributeType::KeyType,
            ],
        )
        .expect("C_GetAttributeValue");
    assert!(
        attrs.contains(&Attribute::Class(ObjectClass::PRIVATE_KEY)),
        "{attrs:?}"
    );
    assert!(
        attrs.contains(&Attribute::KeyType(KeyType::ML_DSA)),
        "{attrs:?}"
    );
    let set = pqc::param_set("ML-DSA-65");
    pair_works(s.handle(), set, pk.handle(), sk.handle()).unwrap_or_else(|e| panic!("{e}"));
}
