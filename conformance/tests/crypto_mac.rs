//! HMAC sign / verify (plain and _GENERAL), tampering, and the PKCS#11 3.2
//! C_VerifySignature* calls.

use cryptoki::mechanism::Mechanism;
use cryptoki_sys::*;
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::{expect_err, expect_ok, expect_rv, keys, must, rv_from, Fixture};

const KEY: &[u8] = b"Jefe";
const MSG: &[u8] = b"what do ya want for nothing?";

/// RFC 2202 / RFC 4231 test case 2, and the SHA-3 values for the same input.
const HMAC_SHA2: [(CK_MECHANISM_TYPE, CK_MECHANISM_TYPE, &str); 5] = [
    (CKM_SHA_1_HMAC, CKM_SHA_1_HMAC_GENERAL, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    (CKM_SHA224_HMAC, CKM_SHA224_HMAC_GENERAL, "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44"),
    (CKM_SHA256_HMAC, CKM_SHA256_HMAC_GENERAL, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (
        CKM_SHA384_HMAC,
        CKM_SHA384_HMAC_GENERAL,
        "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
    ),
    (
        CKM_SHA512_HMAC,
        CKM_SHA512_HMAC_GENERAL,
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    ),
];

const HMAC_SHA3: [(CK_MECHANISM_TYPE, CK_MECHANISM_TYPE, &str); 4] = [
    (CKM_SHA3_224_HMAC, CKM_SHA3_224_HMAC_GENERAL, "7fdb8dd88bd2f60d1b798634ad386811c2cfc85bfaf5d52bbace5e66"),
    (CKM_SHA3_256_HMAC, CKM_SHA3_256_HMAC_GENERAL, "c7d4072e788877ae3596bbb0da73b887c9171f93095b294ae857fbe2645e1ba5"),
    (
        CKM_SHA3_384_HMAC,
        CKM_SHA3_384_HMAC_GENERAL,
        "f1101f8cbf9766fd6764d2ed61903f21ca9b18f57cf3e1a23ca13508a93243ce48c045dc007f26a21b3f5e0e9df4c20a",
    ),
    (
        CKM_SHA3_512_HMAC,
        CKM_SHA3_512_HMAC_GENERAL,
        "5a4bfeab6166427c7a3647b747292b8384537cdb89afb3bf5665e4c5e709350b287baec921fd7ca0ee7a0c31d022a95e1fc92ba9d77df883960275beb4e62024",
    ),
];

fn check_hmacs(cases: &[(CK_MECHANISM_TYPE, CK_MECHANISM_TYPE, &str)]) {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let key = keys::generic(&s, KEY, vec![]);
    for &(mech, general, expected) in cases {
        let what = format!("mechanism 0x{mech:X}");
        let mac = must(
            raw::sign(h, &mut Mech::new(mech), key, MSG),
            &format!("{what}: C_Sign"),
        );
        assert_eq!(hex::encode(&mac), expected, "{what}: MAC");
        let parts: [&[u8]; 4] = [&MSG[..1], &MSG[1..10], &[], &MSG[10..]];
        let multi = must(
            raw::sign_parts(h, &mut Mech::new(mech), key, &parts),
            &format!("{what}: multi-part sign"),
        );
        assert_eq!(multi, mac, "{what}: multi-part MAC");
        expect_rv(
            raw::verify(h, &mut Mech::new(mech), key, MSG, &mac),
            CKR_OK,
            &format!("{what}: C_Verify"),
        );
        expect_rv(
            raw::verify_parts(h, &mut Mech::new(mech), key, &parts, &mac),
            CKR_OK,
            &format!("{what}: multi-part verify"),
        );
        let mut bad = mac.clone();
        bad[0] ^= 1;
        expect_rv(
            raw::verify(h, &mut Mech::new(mech), key, MSG, &bad),
            CKR_SIGNATURE_INVALID,
            &format!("{what}: tampered MAC"),
        );
        expect_rv(
            raw::verify(
                h,
                &mut Mech::new(mech),
                key,
                b"what do ya want for nothing!",
                &mac,
            ),
            CKR_SIGNATURE_INVALID,
            &format!("{what}: tampered message"),
        );
        expect_rv(
            raw::verify_parts(h, &mut Mech::new(mech), key, &parts, &bad),
            CKR_SIGNATURE_INVALID,
            &format!("{what}: tampered MAC, multi-part"),
        );
        expect_rv(
            raw::verify(h, &mut Mech::new(mech), key, MSG, &mac[..mac.len() - 1]),
            CKR_SIGNATURE_LEN_RANGE,
            &format!("{what}: MAC one byte short"),
        );

        let truncated = must(
            raw::sign(h, &mut Mech::mac_general(general, 16), key, MSG),
            &format!("{what}: _GENERAL sign"),
        );
        assert_eq!(
            truncated,
            mac[..16],
            "{what}: _GENERAL with 16 bytes is the MAC's prefix"
        );
        expect_rv(
            raw::verify(h, &mut Mech::mac_general(general, 16), key, MSG, &mac[..16]),
            CKR_OK,
            &format!("{what}: _GENERAL verify"),
        );
        expect_rv(
            raw::verify(h, &mut Mech::mac_general(general, 16), key, MSG, &mac),
            CKR_SIGNATURE_LEN_RANGE,
            &format!("{what}: _GENERAL verify with a full-length MAC"),
        );
        expect_rv(
            rv_from(&raw::sign(
                h,
                &mut Mech::mac_general(general, mac.len() as CK_ULONG + 1),
                key,
                MSG,
            )),
            CKR_MECHANISM_PARAM_INVALID,
            &format!("{what}: _GENERAL longer than the hash"),
        );
    }
}

#[test]
fn hmac_sha1_sha2_known_answers() {
    check_hmacs(&HMAC_SHA2);
}

#[test]
fn hmac_sha3_known_answers() {
    check_hmacs(&HMAC_SHA3);
}

#[test]
fn hmac_with_typed_hmac_keys() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let k = keys::secret(&s, cryptoki::object::KeyType::SHA256_HMAC, KEY, vec![]);
    let mac = must(
        raw::sign(s.handle(), &mut Mech::new(CKM_SHA256_HMAC), k, MSG),
        "C_Sign with a CKK_SHA256_HMAC key",
    );
    assert_eq!(hex::encode(mac), HMAC_SHA2[2].2);
}

#[test]
fn verify_signature_3_2() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let key = keys::obj(keys::generic(&s, KEY, vec![]));
    let mac = hex::decode(HMAC_SHA2[2].2).unwrap();
    let m = Mechanism::Sha256Hmac;
    expect_ok(
        s.verify_signature_init(&m, key, &mac),
        "C_VerifySignatureInit",
    );
    expect_ok(s.verify_signature(MSG), "C_VerifySignature");
    expect_err(
        s.verify_signature(MSG),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_VerifySignature after the operation ended",
    );

    expect_ok(
        s.verify_signature_init(&m, key, &mac),
        "C_VerifySignatureInit",
    );
    expect_ok(
        s.verify_signature_update(&MSG[..7]),
        "C_VerifySignatureUpdate",
    );
    expect_ok(
        s.verify_signature_update(&MSG[7..]),
        "C_VerifySignatureUpdate",
    );
    expect_ok(s.verify_signature_final(), "C_VerifySignatureFinal");

    let mut bad = mac.clone();
    bad[31] ^= 0x40;
    expect_ok(
        s.verify_signature_init(&m, key, &bad),
        "C_VerifySignatureInit (bad MAC)",
    );
    expect_err(
        s.verify_signature(MSG),
        CKR_SIGNATURE_INVALID,
        "C_VerifySignature with a bad MAC",
    );
    expect_ok(
        s.verify_signature_init(&m, key, &bad),
        "C_VerifySignatureInit (bad MAC)",
    );
    expect_ok(s.verify_signature_update(MSG), "C_VerifySignatureUpdate");
    expect_err(
        s.verify_signature_final(),
        CKR_SIGNATURE_INVALID,
        "C_VerifySignatureFinal with a bad MAC",
    );
    let init = s.verify_signature_init(&m, key, &mac[..31]);
    let rv = qrc_conformance::rv_of(&init);
    if rv == CKR_OK {
        expect_err(
            s.verify_signature(MSG),
            CKR_SIGNATURE_LEN_RANGE,
            "C_VerifySignature with a 31-byte MAC",
        );
    } else {
        expect_rv(
            rv,
            CKR_SIGNATURE_LEN_RANGE,
            "C_VerifySignatureInit with a 31-byte MAC",
        );
    }
    expect_err(
        s.verify_signature_final(),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_VerifySignatureFinal with no operation",
    );
}
