//! The two-call length convention and operation lifetimes: a NULL output
//! asks for the length and keeps the operation; a short buffer gives
//! CKR_BUFFER_TOO_SMALL with the needed length and keeps it; any other
//! error ends it; a second *Init while one is active is CKR_OPERATION_ACTIVE.

use cryptoki_sys::*;
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::{call, expect_rv, keys, must, rv_name, Checks, Fixture};
use std::ptr;

const KEY: &str = "000102030405060708090a0b0c0d0e0f";
const PAD_PT: &[u8] = b"0123456789abcdefXYZ";
const PAD_CT: &str = "eb9e5ba41b902db8252982aa1a23f4be519f6987dc4850282f32244692c0029d";
const SHA256_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

fn hx(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex literal")
}

fn pad_iv() -> Vec<u8> {
    (16u8..32).collect()
}

fn inp(d: &[u8]) -> *mut u8 {
    d.as_ptr() as *mut u8
}

/// Length query, short buffer, then the real call, all on one operation;
/// the last must produce `expected`.
fn three_calls(what: &str, expected: &[u8], mut f: impl FnMut(*mut u8, *mut CK_ULONG) -> CK_RV) {
    let mut len: CK_ULONG = 0;
    expect_rv(
        f(ptr::null_mut(), &mut len),
        CKR_OK,
        &format!("{what}: length query"),
    );
    assert!(
        len as usize >= expected.len(),
        "{what}: length query said {len}, output is {}",
        expected.len()
    );
    if !expected.is_empty() {
        let mut short = vec![0u8; expected.len() - 1];
        let mut slen = short.len() as CK_ULONG;
        expect_rv(
            f(short.as_mut_ptr(), &mut slen),
            CKR_BUFFER_TOO_SMALL,
            &format!("{what}: buffer one byte short"),
        );
        assert!(
            slen as usize >= expected.len(),
            "{what}: CKR_BUFFER_TOO_SMALL said {slen} bytes are needed"
        );
    }
    let mut buf = vec![0u8; len as usize];
    let mut blen = len;
    expect_rv(
        f(buf.as_mut_ptr(), &mut blen),
        CKR_OK,
        &format!("{what}: call with the right buffer"),
    );
    assert_eq!(blen as usize, expected.len(), "{what}: final length");
    assert_eq!(
        hex::encode(&buf[..blen as usize]),
        hex::encode(expected),
        "{what}: output after the length calls"
    );
}

#[test]
fn single_part_calls_keep_the_operation_through_length_queries() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let key = keys::aes(&s, &hx(KEY), vec![]);
    let mac_key = keys::generic(&s, b"Jefe", vec![]);
    let iv = pad_iv();

    expect_rv(
        call!(C_EncryptInit(h, Mech::iv(CKM_AES_CBC_PAD, &iv).ptr(), key)),
        CKR_OK,
        "C_EncryptInit",
    );
    three_calls("C_Encrypt", &hx(PAD_CT), |o, l| {
        call!(C_Encrypt(h, inp(PAD_PT), PAD_PT.len() as CK_ULONG, o, l))
    });
    let mut l: CK_ULONG = 0;
    expect_rv(
        call!(C_Encrypt(h, inp(PAD_PT), 19, ptr::null_mut(), &mut l)),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_Encrypt after completion",
    );

    let ct = hx(PAD_CT);
    expect_rv(
        call!(C_DecryptInit(h, Mech::iv(CKM_AES_CBC_PAD, &iv).ptr(), key)),
        CKR_OK,
        "C_DecryptInit",
    );
    three_calls("C_Decrypt", PAD_PT, |o, l| {
        call!(C_Decrypt(h, inp(&ct), ct.len() as CK_ULONG, o, l))
    });

    expect_rv(
        call!(C_DigestInit(h, Mech::new(CKM_SHA256).ptr())),
        CKR_OK,
        "C_DigestInit",
    );
    three_calls("C_Digest", &hx(SHA256_ABC), |o, l| {
        call!(C_Digest(h, inp(b"abc"), 3, o, l))
    });

    let msg = b"what do ya want for nothing?";
    let mac = hx("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    expect_rv(
        call!(C_SignInit(h, Mech::new(CKM_SHA256_HMAC).ptr(), mac_key)),
        CKR_OK,
        "C_SignInit",
    );
    three_calls("C_Sign", &mac, |o, l| {
        call!(C_Sign(h, inp(msg), msg.len() as CK_ULONG, o, l))
    });

    let gcm_ct = hx("0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf");
    let zero_key = keys::aes(&s, &[0u8; 16], vec![]);
    expect_rv(
        call!(C_EncryptInit(
            h,
            Mech::aes_gcm(&[0; 12], &[], 128).ptr(),
            zero_key
        )),
        CKR_OK,
        "C_EncryptInit(GCM)",
    );
    three_calls("C_Encrypt(GCM)", &gcm_ct, |o, l| {
        call!(C_Encrypt(h, inp(&[0u8; 16]), 16, o, l))
    });

    let kek = keys::aes(&s, &hx(KEY), vec![]);
    let target = keys::aes(&s, &hx("00112233445566778899aabbccddeeff"), vec![]);
    let wrapped = hx("1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5");
    let mut kw = Mech::new(CKM_AES_KEY_WRAP);
    let kwp = kw.ptr();
    three_calls("C_WrapKey", &wrapped, |o, l| {
        call!(C_WrapKey(h, kwp, kek, target, o, l))
    });
}

#[test]
fn multi_part_calls_keep_the_operation_through_length_queries() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let key = keys::aes(&s, &hx("2b7e151628aed2a6abf7158809cf4f3c"), vec![]);
    let pt = hx("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
    let ct = hx("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2");
    let iv = hx(KEY);

    expect_rv(
        call!(C_EncryptInit(h, Mech::iv(CKM_AES_CBC, &iv).ptr(), key)),
        CKR_OK,
        "C_EncryptInit",
    );
    three_calls("C_EncryptUpdate", &ct[..16], |o, l| {
        call!(C_EncryptUpdate(h, inp(&pt[..16]), 16, o, l))
    });
    three_calls("C_EncryptUpdate", &ct[16..], |o, l| {
        call!(C_EncryptUpdate(h, inp(&pt[16..]), 16, o, l))
    });
    three_calls("C_EncryptFinal", &[], |o, l| call!(C_EncryptFinal(h, o, l)));

    expect_rv(
        call!(C_DecryptInit(h, Mech::iv(CKM_AES_CBC, &iv).ptr(), key)),
        CKR_OK,
        "C_DecryptInit",
    );
    three_calls("C_DecryptUpdate", &pt, |o, l| {
        call!(C_DecryptUpdate(h, inp(&ct), 32, o, l))
    });
    three_calls("C_DecryptFinal", &[], |o, l| call!(C_DecryptFinal(h, o, l)));

    let iv = pad_iv();
    let pad_key = keys::aes(&s, &hx(KEY), vec![]);
    let pad_ct = hx(PAD_CT);
    expect_rv(
        call!(C_EncryptInit(
            h,
            Mech::iv(CKM_AES_CBC_PAD, &iv).ptr(),
            pad_key
        )),
        CKR_OK,
        "C_EncryptInit(CBC_PAD)",
    );
    three_calls("C_EncryptUpdate(CBC_PAD)", &pad_ct[..16], |o, l| {
        call!(C_EncryptUpdate(h, inp(PAD_PT), 19, o, l))
    });
    three_calls("C_EncryptFinal(CBC_PAD)", &pad_ct[16..], |o, l| {
        call!(C_EncryptFinal(h, o, l))
    });

    expect_rv(
        call!(C_DigestInit(h, Mech::new(CKM_SHA256).ptr())),
        CKR_OK,
        "C_DigestInit",
    );
    expect_rv(
        call!(C_DigestUpdate(h, inp(b"ab"), 2)),
        CKR_OK,
        "C_DigestUpdate",
    );
    expect_rv(
        call!(C_DigestUpdate(h, inp(b"c"), 1)),
        CKR_OK,
        "C_DigestUpdate",
    );
    three_calls("C_DigestFinal", &hx(SHA256_ABC), |o, l| {
        call!(C_DigestFinal(h, o, l))
    });

    let mac_key = keys::generic(&s, b"Jefe", vec![]);
    let mac = hx("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    expect_rv(
        call!(C_SignInit(h, Mech::new(CKM_SHA256_HMAC).ptr(), mac_key)),
        CKR_OK,
        "C_SignInit",
    );
    expect_rv(
        call!(C_SignUpdate(h, inp(b"what do ya want "), 16)),
        CKR_OK,
        "C_SignUpdate",
    );
    expect_rv(
        call!(C_SignUpdate(h, inp(b"for nothing?"), 12)),
        CKR_OK,
        "C_SignUpdate",
    );
    three_calls("C_SignFinal", &mac, |o, l| call!(C_SignFinal(h, o, l)));
}

/// Records whether the operation ended: `next` must say
/// CKR_OPERATION_NOT_INITIALIZED and `reinit` must work again.
fn ended(c: &mut Checks, what: &str, next: CK_RV, reinit: CK_RV) {
    c.rv(
        next,
        CKR_OPERATION_NOT_INITIALIZED,
        &format!("{what}: the next call (an error must end the operation)"),
    );
    c.rv(
        reinit,
        CKR_OK,
        &format!("{what}: a new *Init after the error"),
    );
}

#[test]
fn errors_end_the_operation() {
    let mut c = Checks::new();
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let key = keys::aes(&s, &hx(KEY), vec![]);
    let mac_key = keys::generic(&s, b"Jefe", vec![]);
    let mut out = [0u8; 64];
    let mut len: CK_ULONG = 64;
    let b16 = [0u8; 16];
    let ecb = || Mech::new(CKM_AES_ECB);

    c.rv(
        call!(C_EncryptInit(h, ecb().ptr(), key)),
        CKR_OK,
        "C_EncryptInit",
    );
    c.rv(
        call!(C_Encrypt(h, inp(&b16), 15, out.as_mut_ptr(), &mut len)),
        CKR_DATA_LEN_RANGE,
        "ECB encrypt of 15 bytes",
    );
    len = 64;
    let next = call!(C_Encrypt(h, inp(&b16), 16, out.as_mut_ptr(), &mut len));
    ended(
        &mut c,
        "C_Encrypt DATA_LEN_RANGE",
        next,
        call!(C_EncryptInit(h, ecb().ptr(), key)),
    );
    len = 64;
    c.rv(
        call!(C_Encrypt(h, inp(&b16), 16, out.as_mut_ptr(), &mut len)),
        CKR_OK,
        "C_Encrypt on the new operation",
    );

    c.rv(
        call!(C_EncryptInit(h, ecb().ptr(), key)),
        CKR_OK,
        "C_EncryptInit",
    );
    len = 64;
    c.rv(
        call!(C_EncryptUpdate(
            h,
            inp(&b16),
            15,
            out.as_mut_ptr(),
            &mut len
        )),
        CKR_OK,
        "ECB update of 15 bytes",
    );
    len = 64;
    c.rv(
        call!(C_EncryptFinal(h, out.as_mut_ptr(), &mut len)),
        CKR_DATA_LEN_RANGE,
        "C_EncryptFinal with 15 bytes left",
    );
    len = 64;
    let next = call!(C_EncryptUpdate(
        h,
        inp(&b16),
        16,
        out.as_mut_ptr(),
        &mut len
    ));
    ended(
        &mut c,
        "C_EncryptFinal DATA_LEN_RANGE",
        next,
        call!(C_EncryptInit(h, ecb().ptr(), key)),
    );
    len = 64;
    c.rv(
        call!(C_Encrypt(h, inp(&b16), 16, out.as_mut_ptr(), &mut len)),
        CKR_OK,
        "finish",
    );

    c.rv(
        call!(C_DecryptInit(h, ecb().ptr(), key)),
        CKR_OK,
        "C_DecryptInit",
    );
    len = 64;
    c.rv(
        call!(C_Decrypt(h, inp(&b16), 15, out.as_mut_ptr(), &mut len)),
        CKR_ENCRYPTED_DATA_LEN_RANGE,
        "ECB decrypt of 15",
    );
    len = 64;
    let next = call!(C_Decrypt(h, inp(&b16), 16, out.as_mut_ptr(), &mut len));
    ended(
        &mut c,
        "C_Decrypt ENCRYPTED_DATA_LEN_RANGE",
        next,
        call!(C_DecryptInit(h, ecb().ptr(), key)),
    );
    len = 64;
    c.rv(
        call!(C_Decrypt(h, inp(&b16), 16, out.as_mut_ptr(), &mut len)),
        CKR_OK,
        "finish",
    );

    let iv = pad_iv();
    let mut bad_block = vec![0x41u8; 16];
    bad_block[15] = 0;
    let bad = must(
        raw::encrypt(h, &mut Mech::iv(CKM_AES_CBC, &iv), key, &bad_block),
        "CBC encrypt",
    );
    c.rv(
        call!(C_DecryptInit(h, Mech::iv(CKM_AES_CBC_PAD, &iv).ptr(), key)),
        CKR_OK,
        "C_DecryptInit(CBC_PAD)",
    );
    len = 64;
    c.rv(
        call!(C_Decrypt(h, inp(&bad), 16, out.as_mut_ptr(), &mut len)),
        CKR_ENCRYPTED_DATA_INVALID,
        "bad padding",
    );
    len = 64;
    let next = call!(C_Decrypt(h, inp(&bad), 16, out.as_mut_ptr(), &mut len));
    ended(
        &mut c,
        "C_Decrypt ENCRYPTED_DATA_INVALID",
        next,
        call!(C_DecryptInit(h, ecb().ptr(), key)),
    );
    len = 64;
    c.rv(
        call!(C_Decrypt(h, inp(&b16), 16, out.as_mut_ptr(), &mut len)),
        CKR_OK,
        "finish",
    );

    let mut sig = [0u8; 32];
    c.rv(
        call!(C_VerifyInit(h, Mech::new(CKM_SHA256_HMAC).ptr(), mac_key)),
        CKR_OK,
        "C_VerifyInit",
    );
    c.rv(
        call!(C_Verify(h, inp(b"m"), 1, sig.as_mut_ptr(), 32)),
        CKR_SIGNATURE_INVALID,
        "C_Verify with a bad MAC",
    );
    let next = call!(C_Verify(h, inp(b"m"), 1, sig.as_mut_ptr(), 32));
    ended(
        &mut c,
        "C_Verify SIGNATURE_INVALID",
        next,
        call!(C_VerifyInit(h, Mech::new(CKM_SHA256_HMAC).ptr(), mac_key)),
    );
    c.rv(
        call!(C_VerifyUpdate(h, inp(b"m"), 1)),
        CKR_OK,
        "C_VerifyUpdate",
    );
    c.rv(
        call!(C_VerifyFinal(h, sig.as_mut_ptr(), 32)),
        CKR_SIGNATURE_INVALID,
        "C_VerifyFinal with a bad MAC",
    );
    let next = call!(C_VerifyUpdate(h, inp(b"m"), 1));
    ended(
        &mut c,
        "C_VerifyFinal SIGNATURE_INVALID",
        next,
        call!(C_VerifyInit(h, Mech::new(CKM_SHA256_HMAC).ptr(), mac_key)),
    );
    // End the verification the last assert_ended started.
    let _ = call!(C_VerifyFinal(h, sig.as_mut_ptr(), 32));
    let mut sl: CK_ULONG = 0;

    c.rv(
        call!(C_SignInit(h, Mech::new(CKM_SHA256_HMAC).ptr(), mac_key)),
        CKR_OK,
        "C_SignInit",
    );
    c.rv(
        call!(C_Sign(h, ptr::null_mut(), 3, sig.as_mut_ptr(), &mut sl)),
        CKR_ARGUMENTS_BAD,
        "C_Sign(pData NULL)",
    );
    sl = 32;
    let next = call!(C_Sign(h, inp(b"abc"), 3, sig.as_mut_ptr(), &mut sl));
    ended(
        &mut c,
        "C_Sign ARGUMENTS_BAD",
        next,
        call!(C_SignInit(h, Mech::new(CKM_SHA256_HMAC).ptr(), mac_key)),
    );
    sl = 32;
    c.rv(
        call!(C_Sign(h, inp(b"abc"), 3, sig.as_mut_ptr(), &mut sl)),
        CKR_OK,
        "finish",
    );

    c.rv(
        call!(C_DigestInit(h, Mech::new(CKM_SHA256).ptr())),
        CKR_OK,
        "C_DigestInit",
    );
    c.rv(
        call!(C_Digest(
            h,
            inp(b"abc"),
            3,
            sig.as_mut_ptr(),
            ptr::null_mut()
        )),
        CKR_ARGUMENTS_BAD,
        "C_Digest(pulLen NULL)",
    );
    sl = 32;
    let next = call!(C_Digest(h, inp(b"abc"), 3, sig.as_mut_ptr(), &mut sl));
    ended(
        &mut c,
        "C_Digest ARGUMENTS_BAD",
        next,
        call!(C_DigestInit(h, Mech::new(CKM_SHA256).ptr())),
    );

    let zero_key = keys::aes(&s, &[0u8; 16], vec![]);
    let gcm = || Mech::aes_gcm(&[0; 12], &[], 128);
    let mut ct = hx("0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf");
    ct[31] ^= 1;
    c.rv(
        call!(C_DecryptInit(h, gcm().ptr(), zero_key)),
        CKR_OK,
        "C_DecryptInit(GCM)",
    );
    len = 64;
    let rv = call!(C_Decrypt(h, inp(&ct), 32, out.as_mut_ptr(), &mut len));
    c.one_of(
        rv,
        &[CKR_ENCRYPTED_DATA_INVALID, CKR_AEAD_DECRYPT_FAILED],
        "GCM bad tag",
    );
    len = 64;
    let next = call!(C_Decrypt(h, inp(&ct), 32, out.as_mut_ptr(), &mut len));
    ended(
        &mut c,
        "C_Decrypt(GCM) bad tag",
        next,
        call!(C_DecryptInit(h, gcm().ptr(), zero_key)),
    );
    c.finish();
}

#[test]
fn a_second_init_is_operation_active_and_keeps_the_first() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let key = keys::aes(&s, &hx(KEY), vec![]);
    let mac_key = keys::generic(&s, b"Jefe", vec![]);
    let oa = CKR_OPERATION_ACTIVE;
    let ecb = || Mech::new(CKM_AES_ECB);
    let hmac = || Mech::new(CKM_SHA256_HMAC);
    let pt = hx("00112233445566778899aabbccddeeff");

    expect_rv(
        call!(C_EncryptInit(h, ecb().ptr(), key)),
        CKR_OK,
        "C_EncryptInit",
    );
    expect_rv(
        call!(C_EncryptInit(h, ecb().ptr(), key)),
        oa,
        "second C_EncryptInit",
    );
    let ct = must(
        raw::two_call(|o, l| call!(C_Encrypt(h, inp(&pt), 16, o, l))),
        "the first encryption still works",
    );
    assert_eq!(hex::encode(&ct), "69c4e0d86a7b0430d8cdb78070b4c55a");

    expect_rv(
        call!(C_DecryptInit(h, ecb().ptr(), key)),
        CKR_OK,
        "C_DecryptInit",
    );
    expect_rv(
        call!(C_DecryptInit(h, ecb().ptr(), key)),
        oa,
        "second C_DecryptInit",
    );
    let back = must(
        raw::two_call(|o, l| call!(C_Decrypt(h, inp(&ct), 16, o, l))),
        "the first decryption still works",
    );
    assert_eq!(back, pt);

    expect_rv(
        call!(C_DigestInit(h, Mech::new(CKM_SHA256).ptr())),
        CKR_OK,
        "C_DigestInit",
    );
    expect_rv(
        call!(C_DigestInit(h, Mech::new(CKM_SHA512).ptr())),
        oa,
        "second C_DigestInit",
    );
    let d = must(
        raw::two_call(|o, l| call!(C_Digest(h, inp(b"abc"), 3, o, l))),
        "digest",
    );
    assert_eq!(
        hex::encode(d),
        SHA256_ABC,
        "the first digest (SHA-256) is the one that ran"
    );

    expect_rv(
        call!(C_SignInit(h, hmac().ptr(), mac_key)),
        CKR_OK,
        "C_SignInit",
    );
    expect_rv(
        call!(C_SignInit(h, hmac().ptr(), mac_key)),
        oa,
        "second C_SignInit",
    );
    let sig = must(
        raw::two_call(|o, l| call!(C_Sign(h, inp(b"m"), 1, o, l))),
        "sign",
    );

    expect_rv(
        call!(C_VerifyInit(h, hmac().ptr(), mac_key)),
        CKR_OK,
        "C_VerifyInit",
    );
    expect_rv(
        call!(C_VerifyInit(h, hmac().ptr(), mac_key)),
        oa,
        "second C_VerifyInit",
    );
    expect_rv(
        call!(C_Verify(h, inp(b"m"), 1, inp(&sig), sig.len() as CK_ULONG)),
        CKR_OK,
        "verify",
    );

    expect_rv(
        call!(C_VerifySignatureInit(
            h,
            hmac().ptr(),
            mac_key,
            inp(&sig),
            32
        )),
        CKR_OK,
        "C_VerifySignatureInit",
    );
    expect_rv(
        call!(C_VerifySignatureInit(
            h,
            hmac().ptr(),
            mac_key,
            inp(&sig),
            32
        )),
        oa,
        "second C_VerifySignatureInit",
    );
    expect_rv(
        call!(C_VerifySignature(h, inp(b"m"), 1)),
        CKR_OK,
        "C_VerifySignature",
    );
}

#[test]
fn calls_without_init_are_operation_not_initialized() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let ni = CKR_OPERATION_NOT_INITIALIZED;
    let mut out = [0u8; 64];
    let mut len: CK_ULONG = 64;
    let d = [0u8; 16];
    let o = out.as_mut_ptr();
    let results = [
        ("C_Encrypt", call!(C_Encrypt(h, inp(&d), 16, o, &mut len))),
        (
            "C_EncryptUpdate",
            call!(C_EncryptUpdate(h, inp(&d), 16, o, &mut len)),
        ),
        ("C_EncryptFinal", call!(C_EncryptFinal(h, o, &mut len))),
        ("C_Decrypt", call!(C_Decrypt(h, inp(&d), 16, o, &mut len))),
        (
            "C_DecryptUpdate",
            call!(C_DecryptUpdate(h, inp(&d), 16, o, &mut len)),
        ),
        ("C_DecryptFinal", call!(C_DecryptFinal(h, o, &mut len))),
        ("C_Digest", call!(C_Digest(h, inp(&d), 16, o, &mut len))),
        ("C_DigestUpdate", call!(C_DigestUpdate(h, inp(&d), 16))),
        ("C_DigestFinal", call!(C_DigestFinal(h, o, &mut len))),
        ("C_Sign", call!(C_Sign(h, inp(&d), 16, o, &mut len))),
        ("C_SignUpdate", call!(C_SignUpdate(h, inp(&d), 16))),
        ("C_SignFinal", call!(C_SignFinal(h, o, &mut len))),
        ("C_Verify", call!(C_Verify(h, inp(&d), 16, inp(&d), 16))),
        ("C_VerifyUpdate", call!(C_VerifyUpdate(h, inp(&d), 16))),
        ("C_VerifyFinal", call!(C_VerifyFinal(h, inp(&d), 16))),
        (
            "C_VerifySignature",
            call!(C_VerifySignature(h, inp(&d), 16)),
        ),
        (
            "C_VerifySignatureUpdate",
            call!(C_VerifySignatureUpdate(h, inp(&d), 16)),
        ),
        ("C_VerifySignatureFinal", call!(C_VerifySignatureFinal(h))),
    ];
    let bad: Vec<String> = results
        .iter()
        .filter(|(_, rv)| *rv != ni)
        .map(|(n, rv)| format!("{n} → {}", rv_name(*rv)))
        .collect();
    assert!(
        bad.is_empty(),
        "calls without an operation must be CKR_OPERATION_NOT_INITIALIZED: {bad:#?}"
    );
}

#[test]
fn session_cancel_ends_operations() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let key = keys::aes(&s, &hx(KEY), vec![]);
    expect_rv(
        call!(C_EncryptInit(h, Mech::new(CKM_AES_ECB).ptr(), key)),
        CKR_OK,
        "C_EncryptInit",
    );
    expect_rv(
        call!(C_DigestInit(h, Mech::new(CKM_SHA256).ptr())),
        CKR_OK,
        "C_DigestInit",
    );
    expect_rv(
        call!(C_SessionCancel(h, CKF_ENCRYPT)),
        CKR_OK,
        "C_SessionCancel(CKF_ENCRYPT)",
    );
    let mut out = [0u8; 32];
    let mut len: CK_ULONG = 32;
    let d = [0u8; 16];
    expect_rv(
        call!(C_Encrypt(h, inp(&d), 16, out.as_mut_ptr(), &mut len)),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_Encrypt after cancel",
    );
    expect_rv(
        call!(C_DigestUpdate(h, inp(b"abc"), 3)),
        CKR_OK,
        "the digest was not cancelled",
    );
    expect_rv(
        call!(C_EncryptInit(h, Mech::new(CKM_AES_ECB).ptr(), key)),
        CKR_OK,
        "C_EncryptInit after cancel",
    );
}

#[test]
fn list_calls_follow_the_convention() {
    let fx = Fixture::new();
    let slot = fx.slot.id();
    let mut n: CK_ULONG = 0;
    expect_rv(
        call!(C_GetMechanismList(slot, ptr::null_mut(), &mut n)),
        CKR_OK,
        "C_GetMechanismList(NULL)",
    );
    assert!(n >= 20, "only {n} mechanisms");
    let mut one = [0 as CK_MECHANISM_TYPE; 1];
    let mut short: CK_ULONG = 1;
    expect_rv(
        call!(C_GetMechanismList(slot, one.as_mut_ptr(), &mut short)),
        CKR_BUFFER_TOO_SMALL,
        "C_GetMechanismList into 1",
    );
    assert_eq!(short, n, "needed count after CKR_BUFFER_TOO_SMALL");
    let mut all = vec![0 as CK_MECHANISM_TYPE; n as usize];
    let mut got = n;
    expect_rv(
        call!(C_GetMechanismList(slot, all.as_mut_ptr(), &mut got)),
        CKR_OK,
        "C_GetMechanismList",
    );
    assert_eq!(got, n);

    let mut sn: CK_ULONG = 0;
    expect_rv(
        call!(C_GetSlotList(CK_FALSE, ptr::null_mut(), &mut sn)),
        CKR_OK,
        "C_GetSlotList(NULL)",
    );
    assert!(sn >= 1);
    let mut none = [0 as CK_SLOT_ID; 1];
    let mut zero: CK_ULONG = 0;
    expect_rv(
        call!(C_GetSlotList(CK_FALSE, none.as_mut_ptr(), &mut zero)),
        CKR_BUFFER_TOO_SMALL,
        "C_GetSlotList into 0",
    );
    assert_eq!(zero, sn, "needed slot count");
}
