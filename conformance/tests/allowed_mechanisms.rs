//! CKA_ALLOWED_MECHANISMS (PKCS#11 3.2 §4.7, common key attributes): every
//! key has it (empty: no restriction), a template may set it on creation or
//! generation, it cannot be changed afterwards, its value is a whole number
//! of CK_MECHANISM_TYPEs, and a non-empty list refuses every other mechanism
//! with CKR_MECHANISM_INVALID in every call that uses the key: encrypt,
//! decrypt, sign, verify, wrap, unwrap, derive, encapsulate, decapsulate.
//! pkcs11-provider (OpenSSL 3.5) reads it from every key it loads.

use cryptoki::mechanism::MechanismType;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass};
use cryptoki_sys::*;
use qrc_conformance::keys::{self, merge, obj};
use qrc_conformance::pqc::{self, param_set, Scratch};
use qrc_conformance::raw::{self, raw_attr, Mech};
use qrc_conformance::{call, expect_ok, expect_rv, must, rv_from, Fixture};

const K128: [u8; 16] = [7; 16];
const IV: [u8; 16] = [1; 16];

/// The attribute's value as the C ABI carries it: native-endian CK_ULONGs.
fn list(mechs: &[CK_MECHANISM_TYPE]) -> Vec<u8> {
    mechs.iter().flat_map(|m| m.to_ne_bytes()).collect()
}

fn allowed(mechs: &[CK_MECHANISM_TYPE]) -> Attribute {
    raw_attr(CKA_ALLOWED_MECHANISMS, &list(mechs))
}

fn read(h: CK_SESSION_HANDLE, o: CK_OBJECT_HANDLE) -> Vec<u8> {
    must(
        raw::attr(h, o, CKA_ALLOWED_MECHANISMS),
        "C_GetAttributeValue(CKA_ALLOWED_MECHANISMS)",
    )
}

#[test]
fn aes_key_restricted_to_gcm() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k = keys::aes(&s, &K128, vec![allowed(&[CKM_AES_GCM])]);

    let ct = must(
        raw::encrypt(h, &mut Mech::aes_gcm(&IV[..12], b"aad", 128), k, b"text"),
        "AES-GCM encrypt with a key that allows it",
    );
    let pt = must(
        raw::decrypt(h, &mut Mech::aes_gcm(&IV[..12], b"aad", 128), k, &ct),
        "AES-GCM decrypt with a key that allows it",
    );
    assert_eq!(pt, b"text");

    let (mut cbc, mut ecb) = (Mech::iv(CKM_AES_CBC, &IV), Mech::new(CKM_AES_ECB));
    expect_rv(
        call!(C_EncryptInit(h, cbc.ptr(), k)),
        CKR_MECHANISM_INVALID,
        "C_EncryptInit(CKM_AES_CBC)",
    );
    expect_rv(
        call!(C_DecryptInit(h, cbc.ptr(), k)),
        CKR_MECHANISM_INVALID,
        "C_DecryptInit(CKM_AES_CBC)",
    );
    expect_rv(
        call!(C_EncryptInit(h, ecb.ptr(), k)),
        CKR_MECHANISM_INVALID,
        "C_EncryptInit(CKM_AES_ECB)",
    );
    // The refusal started no operation: a permitted one can begin.
    must(
        raw::encrypt(h, &mut Mech::aes_gcm(&IV[..12], b"", 128), k, b"x"),
        "AES-GCM after a refused C_EncryptInit",
    );

    assert_eq!(read(h, k), list(&[CKM_AES_GCM]), "raw value read back");
    let typed = expect_ok(
        s.get_attributes(obj(k), &[AttributeType::AllowedMechanisms]),
        "C_GetAttributeValue through cryptoki",
    );
    assert!(
        matches!(&typed[..], [Attribute::AllowedMechanisms(m)] if m == &[MechanismType::AES_GCM]),
        "cryptoki reads {typed:?}"
    );
    // The attribute is searchable like any other.
    let found = must(
        raw::find(h, vec![allowed(&[CKM_AES_GCM])], 10),
        "C_FindObjects by CKA_ALLOWED_MECHANISMS",
    );
    assert_eq!(found, vec![k]);
}

#[test]
fn unrestricted_keys_read_back_empty() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k = keys::aes(&s, &K128, vec![]);
    assert_eq!(read(h, k), Vec::<u8>::new(), "default is the empty list");
    must(
        raw::encrypt(h, &mut Mech::iv(CKM_AES_CBC, &IV), k, &[0; 16]),
        "CBC with an unrestricted key",
    );
    // An explicitly empty list is no restriction either.
    let e = keys::aes(&s, &K128, vec![allowed(&[])]);
    assert_eq!(read(h, e), Vec::<u8>::new());
    must(
        raw::encrypt(h, &mut Mech::new(CKM_AES_ECB), e, &[0; 16]),
        "ECB with an empty list",
    );
    // Generated key pairs have it too, on both halves (pkcs11-provider asks
    // right after C_GenerateKeyPair).
    let (pk, sk) = pqc::key_pair(h, param_set("ML-KEM-512"));
    assert_eq!(read(h, pk), Vec::<u8>::new(), "public key");
    assert_eq!(read(h, sk), Vec::<u8>::new(), "private key");
}

#[test]
fn malformed_lists_are_refused() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let ulong = std::mem::size_of::<CK_ULONG>();
    for len in [1, ulong - 1, ulong + 1, 2 * ulong + 3] {
        let t = merge(
            keys::secret_template(KeyType::AES, &K128),
            vec![raw_attr(CKA_ALLOWED_MECHANISMS, &vec![0; len])],
        );
        expect_rv(
            rv_from(&raw::create(h, t)),
            CKR_ATTRIBUTE_VALUE_INVALID,
            &format!("C_CreateObject with a {len}-byte CKA_ALLOWED_MECHANISMS"),
        );
    }
    let t = vec![
        Attribute::Token(false),
        Attribute::ValueLen(16.into()),
        raw_attr(CKA_ALLOWED_MECHANISMS, &[1, 2, 3]),
    ];
    expect_rv(
        rv_from(&raw::generate_key(h, &mut Mech::new(CKM_AES_KEY_GEN), t)),
        CKR_ATTRIBUTE_VALUE_INVALID,
        "C_GenerateKey with a 3-byte CKA_ALLOWED_MECHANISMS",
    );
}

#[test]
fn generated_key_keeps_its_list_and_it_cannot_change() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let t = vec![
        Attribute::Token(false),
        Attribute::ValueLen(16.into()),
        Attribute::Encrypt(true),
        allowed(&[CKM_AES_CBC_PAD, CKM_AES_CTR]),
    ];
    let k = must(
        raw::generate_key(h, &mut Mech::new(CKM_AES_KEY_GEN), t),
        "C_GenerateKey with CKA_ALLOWED_MECHANISMS",
    );
    assert_eq!(read(h, k), list(&[CKM_AES_CBC_PAD, CKM_AES_CTR]));
    must(
        raw::encrypt(h, &mut Mech::iv(CKM_AES_CBC_PAD, &IV), k, b"abc"),
        "CBC-PAD, the first listed",
    );
    must(
        raw::encrypt(h, &mut Mech::aes_ctr(128, IV), k, b"abc"),
        "CTR, the second listed",
    );
    expect_rv(
        rv_from(&raw::encrypt(h, &mut Mech::new(CKM_AES_ECB), k, &[0; 16])),
        CKR_MECHANISM_INVALID,
        "ECB, not listed",
    );

    // Lifting or changing the restriction would defeat it.
    for new in [&[][..], &[CKM_AES_ECB]] {
        expect_rv(
            raw::set_attrs(h, k, vec![allowed(new)]),
            CKR_ATTRIBUTE_READ_ONLY,
            &format!("C_SetAttributeValue(CKA_ALLOWED_MECHANISMS = {new:?})"),
        );
        let mut t = raw::Template::new(vec![allowed(new)]);
        let mut copy = CK_INVALID_HANDLE;
        expect_rv(
            call!(C_CopyObject(h, k, t.ptr(), t.len(), &mut copy)),
            CKR_ATTRIBUTE_READ_ONLY,
            "C_CopyObject changing CKA_ALLOWED_MECHANISMS",
        );
    }
    assert_eq!(read(h, k), list(&[CKM_AES_CBC_PAD, CKM_AES_CTR]));
    // A copy keeps the list, and with it the restriction.
    let mut t = raw::Template::new(vec![]);
    let mut copy = CK_INVALID_HANDLE;
    expect_rv(
        call!(C_CopyObject(h, k, t.ptr(), t.len(), &mut copy)),
        CKR_OK,
        "C_CopyObject",
    );
    assert_eq!(read(h, copy), list(&[CKM_AES_CBC_PAD, CKM_AES_CTR]));
    expect_rv(
        rv_from(&raw::encrypt(
            h,
            &mut Mech::new(CKM_AES_ECB),
            copy,
            &[0; 16],
        )),
        CKR_MECHANISM_INVALID,
        "ECB with the copy",
    );
}

#[test]
fn sign_and_verify_are_restricted() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k = keys::generic(&s, &[3; 32], vec![allowed(&[CKM_SHA256_HMAC])]);
    let mac = must(
        raw::sign(h, &mut Mech::new(CKM_SHA256_HMAC), k, b"msg"),
        "HMAC-SHA256, listed",
    );
    expect_rv(
        raw::verify(h, &mut Mech::new(CKM_SHA256_HMAC), k, b"msg", &mac),
        CKR_OK,
        "HMAC-SHA256 verify, listed",
    );
    expect_rv(
        rv_from(&raw::sign(h, &mut Mech::new(CKM_SHA512_HMAC), k, b"msg")),
        CKR_MECHANISM_INVALID,
        "C_SignInit(CKM_SHA512_HMAC), not listed",
    );
    expect_rv(
        raw::verify(h, &mut Mech::new(CKM_SHA384_HMAC), k, b"msg", &[0; 48]),
        CKR_MECHANISM_INVALID,
        "C_VerifyInit(CKM_SHA384_HMAC), not listed",
    );
}

#[test]
fn wrap_and_unwrap_are_restricted() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let wk = keys::aes(&s, &K128, vec![allowed(&[CKM_AES_KEY_WRAP_KWP])]);
    let target = keys::aes(&s, &[9; 32], vec![]);
    let wrapped = must(
        raw::wrap(h, &mut Mech::new(CKM_AES_KEY_WRAP_KWP), wk, target),
        "C_WrapKey(KWP), listed",
    );
    expect_rv(
        rv_from(&raw::wrap(h, &mut Mech::new(CKM_AES_KEY_WRAP), wk, target)),
        CKR_MECHANISM_INVALID,
        "C_WrapKey(KW), not listed",
    );
    let template = || {
        vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
        ]
    };
    must(
        raw::unwrap(
            h,
            &mut Mech::new(CKM_AES_KEY_WRAP_KWP),
            wk,
            &wrapped,
            template(),
        ),
        "C_UnwrapKey(KWP), listed",
    );
    expect_rv(
        rv_from(&raw::unwrap(
            h,
            &mut Mech::new(CKM_AES_KEY_WRAP),
            wk,
            &[0; 40],
            template(),
        )),
        CKR_MECHANISM_INVALID,
        "C_UnwrapKey(KW), not listed",
    );
}

/// CK_HKDF_PARAMS for extract-and-expand with SHA-256, no salt, no info.
fn hkdf(ty: CK_MECHANISM_TYPE) -> Mech {
    Mech::with_struct(
        ty,
        CK_HKDF_PARAMS {
            bExtract: CK_TRUE,
            bExpand: CK_TRUE,
            prfHashMechanism: CKM_SHA256,
            ulSaltType: CKF_HKDF_SALT_NULL,
            pSalt: std::ptr::null_mut(),
            ulSaltLen: 0,
            hSaltKey: CK_INVALID_HANDLE,
            pInfo: std::ptr::null_mut(),
            ulInfoLen: 0,
        },
    )
}

#[test]
fn derive_is_restricted() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let base = keys::generic(
        &s,
        &[5; 32],
        vec![Attribute::Derive(true), allowed(&[CKM_HKDF_DERIVE])],
    );
    let derive = |ty| {
        let mut t = raw::Template::new(vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::GENERIC_SECRET),
            Attribute::Token(false),
            Attribute::ValueLen(32.into()),
        ]);
        let mut key = CK_INVALID_HANDLE;
        let mut m = hkdf(ty);
        call!(C_DeriveKey(h, m.ptr(), base, t.ptr(), t.len(), &mut key))
    };
    expect_rv(derive(CKM_HKDF_DERIVE), CKR_OK, "CKM_HKDF_DERIVE, listed");
    expect_rv(
        derive(CKM_HKDF_DATA),
        CKR_MECHANISM_INVALID,
        "CKM_HKDF_DATA, not listed",
    );
}

#[test]
fn encapsulate_and_decapsulate_are_restricted() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let mut sc = Scratch::new(h);
    let set = param_set("ML-KEM-512");
    let pair = |public: &[CK_MECHANISM_TYPE], private: &[CK_MECHANISM_TYPE]| {
        let (p, k) = pqc::pair_templates(set);
        let (p, k) = (
            merge(p, vec![allowed(public)]),
            merge(k, vec![allowed(private)]),
        );
        must(
            pqc::generate_key_pair(h, set.family.keygen(), p, k),
            "C_GenerateKeyPair(ML-KEM-512) with CKA_ALLOWED_MECHANISMS",
        )
    };

    // A list of two, the one used among them.
    let (pk, sk) = pair(&[CKM_AES_GCM, CKM_ML_KEM], &[CKM_ML_KEM]);
    sc.keep(pk);
    sc.keep(sk);
    let (ct, secret) = must(
        pqc::encapsulate(h, &mut Mech::new(CKM_ML_KEM), pk, pqc::secret_template()),
        "C_EncapsulateKey, listed",
    );
    sc.keep(secret);
    sc.keep(must(
        pqc::decapsulate(
            h,
            &mut Mech::new(CKM_ML_KEM),
            sk,
            pqc::secret_template(),
            &ct,
        ),
        "C_DecapsulateKey, listed",
    ));

    let (pk, sk) = pair(&[CKM_AES_GCM], &[CKM_AES_GCM]);
    sc.keep(pk);
    sc.keep(sk);
    expect_rv(
        rv_from(&pqc::encapsulate(
            h,
            &mut Mech::new(CKM_ML_KEM),
            pk,
            pqc::secret_template(),
        )),
        CKR_MECHANISM_INVALID,
        "C_EncapsulateKey, not listed",
    );
    expect_rv(
        rv_from(&pqc::decapsulate(
            h,
            &mut Mech::new(CKM_ML_KEM),
            sk,
            pqc::secret_template(),
            &ct,
        )),
        CKR_MECHANISM_INVALID,
        "C_DecapsulateKey, not listed",
    );
}

#[test]
fn digest_key_only_with_a_listed_digest() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k = keys::aes(
        &s,
        &K128,
        vec![allowed(&[CKM_SHA256]), Attribute::Sensitive(false)],
    );
    for (digest, want) in [(CKM_SHA256, CKR_OK), (CKM_SHA384, CKR_KEY_INDIGESTIBLE)] {
        let mut m = Mech::new(digest);
        expect_rv(call!(C_DigestInit(h, m.ptr())), CKR_OK, "C_DigestInit");
        expect_rv(call!(C_DigestKey(h, k)), want, "C_DigestKey");
        if want == CKR_OK {
            let mut out = [0u8; 32];
            let mut n = out.len() as CK_ULONG;
            expect_rv(
                call!(C_DigestFinal(h, out.as_mut_ptr(), &mut n)),
                CKR_OK,
                "C_DigestFinal",
            );
            assert_eq!(n, 32);
        }
    }
}
