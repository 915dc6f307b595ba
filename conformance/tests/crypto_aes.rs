//! AES: ECB / CBC / CBC_PAD / CTR / GCM known answers and round trips,
//! multi-part equal to single-part, both CK_GCM_PARAMS layouts, and key
//! wrap (KW, KWP) through C_WrapKey / C_UnwrapKey and single-part calls.

use cryptoki::object::{Attribute, KeyType, ObjectClass};
use cryptoki_sys::*;
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::{expect_one_of, expect_rv, keys, must, rv_from, Checks, Fixture};

fn hx(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex literal")
}

const K128: &str = "000102030405060708090a0b0c0d0e0f";
const K256: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const FIPS197_PT: &str = "00112233445566778899aabbccddeeff";
const SP800_KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const SP800_PT: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51";

/// Splits `data` into parts of the given sizes (the last takes the rest).
fn split<'a>(data: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    for &n in sizes {
        let n = n.min(rest.len());
        let (a, b) = rest.split_at(n);
        parts.push(a);
        rest = b;
    }
    parts.push(rest);
    parts
}

/// Encrypts with `mech()` single-part and multi-part and checks both give
/// `ct`, then decrypts both ways back to `pt`.
fn check_cipher(
    h: CK_SESSION_HANDLE,
    key: CK_OBJECT_HANDLE,
    mech: impl Fn() -> Mech,
    pt: &[u8],
    ct: &[u8],
    what: &str,
) {
    let got = must(
        raw::encrypt(h, &mut mech(), key, pt),
        &format!("{what}: C_Encrypt"),
    );
    assert_eq!(
        hex::encode(&got),
        hex::encode(ct),
        "{what}: single-part ciphertext"
    );
    for sizes in [&[1usize, 15, 17][..], &[16, 16], &[0, 5, 32]] {
        let got = must(
            raw::encrypt_parts(h, &mut mech(), key, &split(pt, sizes)),
            &format!("{what}: multi-part encrypt"),
        );
        assert_eq!(
            hex::encode(&got),
            hex::encode(ct),
            "{what}: multi-part ciphertext, parts {sizes:?}"
        );
        let back = must(
            raw::decrypt_parts(h, &mut mech(), key, &split(ct, sizes)),
            &format!("{what}: multi-part decrypt"),
        );
        assert_eq!(
            hex::encode(&back),
            hex::encode(pt),
            "{what}: multi-part plaintext, parts {sizes:?}"
        );
    }
    let back = must(
        raw::decrypt(h, &mut mech(), key, ct),
        &format!("{what}: C_Decrypt"),
    );
    assert_eq!(
        hex::encode(&back),
        hex::encode(pt),
        "{what}: single-part plaintext"
    );
}

#[test]
fn aes_ecb_known_answers() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k128 = keys::aes(&s, &hx(K128), vec![]);
    let k256 = keys::aes(&s, &hx(K256), vec![]);
    check_cipher(
        h,
        k128,
        || Mech::new(CKM_AES_ECB),
        &hx(FIPS197_PT),
        &hx("69c4e0d86a7b0430d8cdb78070b4c55a"),
        "ECB-128",
    );
    check_cipher(
        h,
        k256,
        || Mech::new(CKM_AES_ECB),
        &hx(FIPS197_PT),
        &hx("8ea2b7ca516745bfeafc49904b496089"),
        "ECB-256",
    );
    expect_rv(
        rv_from(&raw::encrypt(
            h,
            &mut Mech::new(CKM_AES_ECB),
            k128,
            &[0u8; 15],
        )),
        CKR_DATA_LEN_RANGE,
        "ECB of 15 bytes",
    );
    expect_rv(
        rv_from(&raw::decrypt(
            h,
            &mut Mech::new(CKM_AES_ECB),
            k128,
            &[0u8; 17],
        )),
        CKR_ENCRYPTED_DATA_LEN_RANGE,
        "ECB decrypt of 17 bytes",
    );
}

#[test]
fn aes_cbc_known_answers() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k = keys::aes(&s, &hx(SP800_KEY), vec![]);
    let iv = hx(K128);
    let ct = hx("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2");
    check_cipher(
        h,
        k,
        || Mech::iv(CKM_AES_CBC, &iv),
        &hx(SP800_PT),
        &ct,
        "CBC (SP 800-38A F.2.1)",
    );
    expect_rv(
        rv_from(&raw::encrypt(
            h,
            &mut Mech::iv(CKM_AES_CBC, &iv),
            k,
            &[0u8; 17],
        )),
        CKR_DATA_LEN_RANGE,
        "CBC of 17 bytes",
    );
    expect_rv(
        rv_from(&raw::encrypt(
            h,
            &mut Mech::iv(CKM_AES_CBC, &iv[..8]),
            k,
            &[0u8; 16],
        )),
        CKR_MECHANISM_PARAM_INVALID,
        "CBC with an 8-byte IV",
    );
    expect_rv(
        rv_from(&raw::encrypt(h, &mut Mech::new(CKM_AES_CBC), k, &[0u8; 16])),
        CKR_MECHANISM_PARAM_INVALID,
        "CBC without IV",
    );
}

#[test]
fn aes_cbc_pad_known_answers_and_padding_errors() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k = keys::aes(&s, &hx(K128), vec![]);
    let iv: Vec<u8> = (16u8..32).collect();
    let ct = hx("eb9e5ba41b902db8252982aa1a23f4be519f6987dc4850282f32244692c0029d");
    check_cipher(
        h,
        k,
        || Mech::iv(CKM_AES_CBC_PAD, &iv),
        b"0123456789abcdefXYZ",
        &ct,
        "CBC_PAD",
    );
    for len in [0usize, 1, 15, 16, 17, 32, 100] {
        let pt = vec![0x5Au8; len];
        let c = must(
            raw::encrypt(h, &mut Mech::iv(CKM_AES_CBC_PAD, &iv), k, &pt),
            "CBC_PAD encrypt",
        );
        assert_eq!(
            c.len(),
            (len / 16 + 1) * 16,
            "CBC_PAD ciphertext length for {len} bytes"
        );
        let p = must(
            raw::decrypt(h, &mut Mech::iv(CKM_AES_CBC_PAD, &iv), k, &c),
            "CBC_PAD decrypt",
        );
        assert_eq!(p, pt);
    }
    // A block whose plaintext ends in 0x00 has invalid padding.
    let mut block = vec![0x41u8; 16];
    block[15] = 0;
    let bad = must(
        raw::encrypt(h, &mut Mech::iv(CKM_AES_CBC, &iv), k, &block),
        "CBC encrypt",
    );
    expect_rv(
        rv_from(&raw::decrypt(
            h,
            &mut Mech::iv(CKM_AES_CBC_PAD, &iv),
            k,
            &bad,
        )),
        CKR_ENCRYPTED_DATA_INVALID,
        "CBC_PAD decrypt with bad padding",
    );
    expect_rv(
        rv_from(&raw::decrypt(
            h,
            &mut Mech::iv(CKM_AES_CBC_PAD, &iv),
            k,
            &ct[..31],
        )),
        CKR_ENCRYPTED_DATA_LEN_RANGE,
        "CBC_PAD decrypt of 31 bytes",
    );
}

#[test]
fn aes_ctr_known_answers() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k = keys::aes(&s, &hx(SP800_KEY), vec![]);
    let cb: [u8; 16] = hx("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff").try_into().unwrap();
    let ct = hx("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff");
    check_cipher(
        h,
        k,
        || Mech::aes_ctr(128, cb),
        &hx(SP800_PT),
        &ct,
        "CTR (SP 800-38A F.5.1)",
    );
    // CTR is a stream mode: any length, and the prefix of the keystream.
    let pt = hx(SP800_PT);
    check_cipher(
        h,
        k,
        || Mech::aes_ctr(128, cb),
        &pt[..21],
        &ct[..21],
        "CTR, 21 bytes",
    );
    for bits in [0, 129] {
        expect_rv(
            rv_from(&raw::encrypt(h, &mut Mech::aes_ctr(bits, cb), k, &pt)),
            CKR_MECHANISM_PARAM_INVALID,
            &format!("CTR with ulCounterBits {bits}"),
        );
    }
}

struct GcmCase {
    key: &'static str,
    iv: &'static str,
    aad: &'static str,
    pt: &'static str,
    ct_tag: &'static str,
}

const GCM_CASES: [GcmCase; 2] = [
    GcmCase {
        key: "00000000000000000000000000000000",
        iv: "000000000000000000000000",
        aad: "",
        pt: "00000000000000000000000000000000",
        ct_tag: "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf",
    },
    GcmCase {
        key: "feffe9928665731c6d6a8f9467308308",
        iv: "cafebabefacedbaddecaf888",
        aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        ct_tag: "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e0915bc94fbc3221a5db94fae95ae7121a47",
    },
];

#[test]
fn aes_gcm_known_answers_with_both_param_layouts() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    for (i, c) in GCM_CASES.iter().enumerate() {
        let k = keys::aes(&s, &hx(c.key), vec![]);
        let (iv, aad) = (hx(c.iv), hx(c.aad));
        let v3 = || Mech::aes_gcm(&iv, &aad, 128);
        let v240 = || Mech::aes_gcm_240(&iv, &aad, 128);
        check_cipher(
            h,
            k,
            v3,
            &hx(c.pt),
            &hx(c.ct_tag),
            &format!("GCM case {i}, 3.x CK_GCM_PARAMS"),
        );
        check_cipher(
            h,
            k,
            v240,
            &hx(c.pt),
            &hx(c.ct_tag),
            &format!("GCM case {i}, 2.40 CK_GCM_PARAMS"),
        );

        // A 96-bit tag is the first 12 bytes of the full tag.
        let full = hx(c.ct_tag);
        let short_tag = &full[..full.len() - 4];
        let got = must(
            raw::encrypt(h, &mut Mech::aes_gcm(&iv, &aad, 96), k, &hx(c.pt)),
            "GCM 96-bit tag",
        );
        assert_eq!(
            hex::encode(got),
            hex::encode(short_tag),
            "GCM with ulTagBits 96"
        );

        for (pos, what) in [(full.len() - 1, "tag"), (0, "ciphertext")] {
            let mut bad = full.clone();
            bad[pos] ^= 0x80;
            for mech in [v3(), v240()] {
                let mut mech = mech;
                let rv = rv_from(&raw::decrypt(h, &mut mech, k, &bad));
                expect_one_of(
                    rv,
                    &[CKR_ENCRYPTED_DATA_INVALID, CKR_AEAD_DECRYPT_FAILED],
                    &format!("GCM with a flipped {what} bit"),
                );
            }
        }
        let mut other_aad = aad.clone();
        other_aad.push(0);
        let rv = rv_from(&raw::decrypt(
            h,
            &mut Mech::aes_gcm(&iv, &other_aad, 128),
            k,
            &full,
        ));
        expect_one_of(
            rv,
            &[CKR_ENCRYPTED_DATA_INVALID, CKR_AEAD_DECRYPT_FAILED],
            "GCM with different AAD",
        );
    }
}

#[test]
fn aes_gcm_bad_parameters() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let k = keys::aes(&s, &hx(K128), vec![]);
    let iv = [0u8; 12];
    // CK_GCM_PARAMS allows 0..=128 tag bits.
    for bits in [129, 256] {
        expect_rv(
            rv_from(&raw::encrypt(
                h,
                &mut Mech::aes_gcm(&iv, &[], bits),
                k,
                b"x",
            )),
            CKR_MECHANISM_PARAM_INVALID,
            &format!("GCM with ulTagBits {bits}"),
        );
    }
    expect_rv(
        rv_from(&raw::encrypt(h, &mut Mech::aes_gcm(&[], &[], 128), k, b"x")),
        CKR_MECHANISM_PARAM_INVALID,
        "GCM with an empty IV",
    );
    expect_rv(
        rv_from(&raw::encrypt(
            h,
            &mut Mech::with_bytes(CKM_AES_GCM, &[0u8; 20]),
            k,
            b"x",
        )),
        CKR_MECHANISM_PARAM_INVALID,
        "GCM with a 20-byte parameter",
    );
}

fn unwrap_template(kt: KeyType) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(kt),
        Attribute::Token(false),
        Attribute::Extractable(true),
        Attribute::Sensitive(false),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
    ]
}

#[test]
fn aes_key_wrap_rfc3394() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let kek = keys::aes(&s, &hx(K128), vec![]);
    let target_value = hx(FIPS197_PT);
    let target = keys::aes(&s, &target_value, vec![]);
    let expected = "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5";
    let wrapped = must(
        raw::wrap(h, &mut Mech::new(CKM_AES_KEY_WRAP), kek, target),
        "C_WrapKey(AES_KEY_WRAP)",
    );
    assert_eq!(hex::encode(&wrapped), expected, "RFC 3394 4.1");
    let single = must(
        raw::encrypt(h, &mut Mech::new(CKM_AES_KEY_WRAP), kek, &target_value),
        "C_Encrypt(AES_KEY_WRAP)",
    );
    assert_eq!(hex::encode(&single), expected, "single-part AES_KEY_WRAP");
    let back = must(
        raw::decrypt(h, &mut Mech::new(CKM_AES_KEY_WRAP), kek, &wrapped),
        "C_Decrypt(AES_KEY_WRAP)",
    );
    assert_eq!(back, target_value);

    let u = must(
        raw::unwrap(
            h,
            &mut Mech::new(CKM_AES_KEY_WRAP),
            kek,
            &wrapped,
            unwrap_template(KeyType::AES),
        ),
        "C_UnwrapKey(AES_KEY_WRAP)",
    );
    assert_eq!(
        must(raw::attr(h, u, CKA_VALUE), "unwrapped value"),
        target_value
    );
    assert!(
        !must(raw::attr_bool(h, u, CKA_LOCAL), "CKA_LOCAL"),
        "an unwrapped key is not CKA_LOCAL"
    );
    let ct = must(
        raw::encrypt(h, &mut Mech::new(CKM_AES_ECB), u, &[0u8; 16]),
        "ECB with the unwrapped key",
    );
    assert_eq!(
        hex::encode(ct),
        "fde4fbae4a09e020eff722969f83832b",
        "the unwrapped key works"
    );

    let mut corrupt = wrapped.clone();
    corrupt[5] ^= 1;
    expect_rv(
        rv_from(&raw::unwrap(
            h,
            &mut Mech::new(CKM_AES_KEY_WRAP),
            kek,
            &corrupt,
            unwrap_template(KeyType::AES),
        )),
        CKR_WRAPPED_KEY_INVALID,
        "C_UnwrapKey of a corrupted blob",
    );
    expect_rv(
        rv_from(&raw::unwrap(
            h,
            &mut Mech::new(CKM_AES_KEY_WRAP),
            kek,
            &wrapped[..23],
            unwrap_template(KeyType::AES),
        )),
        CKR_WRAPPED_KEY_LEN_RANGE,
        "C_UnwrapKey of 23 bytes",
    );
}

#[test]
fn aes_key_wrap_kwp_rfc5649() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let kek = keys::aes(
        &s,
        &hx("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8"),
        vec![],
    );
    for (key, expected) in [
        (
            "c37b7e6492584340bed12207808941155068f738",
            "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a",
        ),
        ("466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"),
    ] {
        let value = hx(key);
        let target = keys::generic(&s, &value, vec![]);
        let wrapped = must(
            raw::wrap(h, &mut Mech::new(CKM_AES_KEY_WRAP_KWP), kek, target),
            "C_WrapKey(KWP)",
        );
        assert_eq!(
            hex::encode(&wrapped),
            expected,
            "RFC 5649 vector for a {}-byte key",
            value.len()
        );
        let single = must(
            raw::encrypt(h, &mut Mech::new(CKM_AES_KEY_WRAP_KWP), kek, &value),
            "C_Encrypt(KWP)",
        );
        assert_eq!(hex::encode(&single), expected);
        let back = must(
            raw::decrypt(h, &mut Mech::new(CKM_AES_KEY_WRAP_KWP), kek, &wrapped),
            "C_Decrypt(KWP)",
        );
        assert_eq!(back, value);
        let u = must(
            raw::unwrap(
                h,
                &mut Mech::new(CKM_AES_KEY_WRAP_KWP),
                kek,
                &wrapped,
                unwrap_template(KeyType::GENERIC_SECRET),
            ),
            "C_UnwrapKey(KWP)",
        );
        assert_eq!(must(raw::attr(h, u, CKA_VALUE), "unwrapped value"), value);
        assert_eq!(
            must(raw::attr_ulong(h, u, CKA_VALUE_LEN), "CKA_VALUE_LEN"),
            value.len() as CK_ULONG
        );
    }
}

#[test]
fn wrap_rules() {
    let mut c = Checks::new();
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let kek = keys::aes(&s, &hx(K128), vec![]);
    let locked = keys::aes(&s, &hx(FIPS197_PT), vec![Attribute::Extractable(false)]);
    c.rv(
        rv_from(&raw::wrap(h, &mut Mech::new(CKM_AES_KEY_WRAP), kek, locked)),
        CKR_KEY_UNEXTRACTABLE,
        "wrapping a non-extractable key",
    );
    let target = keys::aes(&s, &hx(FIPS197_PT), vec![]);
    let no_wrap = keys::aes(&s, &hx(K128), vec![Attribute::Wrap(false)]);
    c.rv(
        rv_from(&raw::wrap(
            h,
            &mut Mech::new(CKM_AES_KEY_WRAP),
            no_wrap,
            target,
        )),
        CKR_KEY_FUNCTION_NOT_PERMITTED,
        "wrapping with a CKA_WRAP=false key",
    );
    let hmac_kek = keys::generic(&s, &[7u8; 16], vec![]);
    c.rv(
        rv_from(&raw::wrap(
            h,
            &mut Mech::new(CKM_AES_KEY_WRAP),
            hmac_kek,
            target,
        )),
        CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
        "wrapping with a generic secret",
    );
    let wrapped = must(
        raw::wrap(h, &mut Mech::new(CKM_AES_KEY_WRAP), kek, target),
        "C_WrapKey",
    );
    let no_unwrap = keys::aes(&s, &hx(K128), vec![Attribute::Unwrap(false)]);
    c.rv(
        rv_from(&raw::unwrap(
            h,
            &mut Mech::new(CKM_AES_KEY_WRAP),
            no_unwrap,
            &wrapped,
            unwrap_template(KeyType::AES),
        )),
        CKR_KEY_FUNCTION_NOT_PERMITTED,
        "unwrapping with a CKA_UNWRAP=false key",
    );
    let incomplete = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::Token(false),
    ];
    c.rv(
        rv_from(&raw::unwrap(
            h,
            &mut Mech::new(CKM_AES_KEY_WRAP),
            kek,
            &wrapped,
            incomplete,
        )),
        CKR_TEMPLATE_INCOMPLETE,
        "unwrap template without CKA_KEY_TYPE",
    );
    c.finish();
}
