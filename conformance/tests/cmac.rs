//! CKM_AES_CMAC and CKM_AES_CMAC_GENERAL through the module: NIST SP 800-38B
//! example vectors (RFC 4493 for AES-128) for all three key lengths, single-
//! and multi-part (C_Sign, C_Verify, C_VerifySignature), the _GENERAL
//! lengths, and the refusals.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::Attribute;
use cryptoki_sys::*;
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::{call, expect_ok, expect_rv, keys, must, rv_from, Fixture};

/// The 64-byte message of the SP 800-38B examples; the examples MAC its
/// first 0, 16, 40 and 64 bytes.
const MESSAGE: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                       30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

/// (key, tags of the 0-, 16-, 40- and 64-byte messages).
const VECTORS: [(&str, [&str; 4]); 3] = [
    (
        "2b7e151628aed2a6abf7158809cf4f3c",
        [
            "bb1d6929e95937287fa37d129b756746",
            "070a16b46b4d4144f79bdd9dd04a287c",
            "dfa66747de9ae63030ca32611497c827",
            "51f0bebf7e3b9d92fc49741779363cfe",
        ],
    ),
    (
        "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
        [
            "d17ddf46adaacde531cac483de7a9367",
            "9e99a7bf31e710900662f65e617c5184",
            "8a1de5be2eb31aad089a82e6ee908b0e",
            "a1d5df0eed790f794d77589659f39a11",
        ],
    ),
    (
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        [
            "028962f61b7bf89efc6b551f4667d983",
            "28a7023f452e8f82bd4bf28d8c37c35c",
            "aaf3d8f1de5640c232f5b169b9c911e6",
            "e1992190549f6ed5696a2c056c315410",
        ],
    ),
];

const LENGTHS: [usize; 4] = [0, 16, 40, 64];

#[test]
fn sp800_38b_vectors() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let message = hex::decode(MESSAGE).unwrap();
    for (key, tags) in VECTORS {
        let k = keys::aes(&s, &hex::decode(key).unwrap(), vec![]);
        for (n, tag) in LENGTHS.iter().zip(tags) {
            let what = format!("{}-bit key, {n}-byte message", key.len() * 4);
            let msg = &message[..*n];
            let tag = hex::decode(tag).unwrap();
            let mac = must(
                raw::sign(h, &mut Mech::new(CKM_AES_CMAC), k, msg),
                &format!("{what}: C_Sign"),
            );
            assert_eq!(hex::encode(&mac), hex::encode(&tag), "{what}: MAC");
            // Parts that cross the block boundaries every way, and an empty one.
            let parts: Vec<&[u8]> = if msg.len() > 17 {
                vec![&msg[..1], &msg[1..17], &[], &msg[17..]]
            } else {
                vec![msg]
            };
            let multi = must(
                raw::sign_parts(h, &mut Mech::new(CKM_AES_CMAC), k, &parts),
                &format!("{what}: multi-part sign"),
            );
            assert_eq!(multi, tag, "{what}: multi-part MAC");
            expect_rv(
                raw::verify(h, &mut Mech::new(CKM_AES_CMAC), k, msg, &tag),
                CKR_OK,
                &format!("{what}: C_Verify"),
            );
            expect_rv(
                raw::verify_parts(h, &mut Mech::new(CKM_AES_CMAC), k, &parts, &tag),
                CKR_OK,
                &format!("{what}: multi-part verify"),
            );
            // PKCS#11 3.2 C_VerifySignature*: the MAC given at init.
            let mut flipped = tag.clone();
            flipped[n % 16] ^= 0x04;
            for (mac, want, which) in [
                (&tag, CKR_OK, "right MAC"),
                (&flipped, CKR_SIGNATURE_INVALID, "MAC with a flipped bit"),
            ] {
                let mech = || Mech::new(CKM_AES_CMAC);
                expect_rv(
                    raw::verify_signature(h, &mut mech(), k, msg, mac),
                    want,
                    &format!("{what}: C_VerifySignature, {which}"),
                );
                expect_rv(
                    raw::verify_signature_parts(h, &mut mech(), k, &parts, mac),
                    want,
                    &format!("{what}: C_VerifySignatureUpdate/Final, {which}"),
                );
            }
            for len in [1usize, 4, 8, 15, 16] {
                let general = || Mech::mac_general(CKM_AES_CMAC_GENERAL, len as CK_ULONG);
                let short = must(
                    raw::sign(h, &mut general(), k, msg),
                    &format!("{what}: _GENERAL({len}) sign"),
                );
                assert_eq!(
                    short,
                    tag[..len],
                    "{what}: _GENERAL({len}) is the MAC's prefix"
                );
                expect_rv(
                    raw::verify(h, &mut general(), k, msg, &short),
                    CKR_OK,
                    &format!("{what}: _GENERAL({len}) verify"),
                );
            }
        }
    }
}

#[test]
fn cryptoki_mechanism_and_refusals() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let message = hex::decode(MESSAGE).unwrap();
    let (key, tags) = VECTORS[0];
    let k = keys::aes(&s, &hex::decode(key).unwrap(), vec![]);
    let tag = hex::decode(tags[3]).unwrap();
    // cryptoki's own CKM_AES_CMAC.
    let mac = expect_ok(
        s.sign(&Mechanism::AesCMac, keys::obj(k), &message),
        "Session::sign(AesCMac)",
    );
    assert_eq!(mac, tag);
    expect_ok(
        s.verify(&Mechanism::AesCMac, keys::obj(k), &message, &tag),
        "Session::verify(AesCMac)",
    );

    let mut bad = tag.clone();
    bad[15] ^= 0x80;
    expect_rv(
        raw::verify(h, &mut Mech::new(CKM_AES_CMAC), k, &message, &bad),
        CKR_SIGNATURE_INVALID,
        "tampered MAC",
    );
    expect_rv(
        raw::verify(h, &mut Mech::new(CKM_AES_CMAC), k, &message[1..], &tag),
        CKR_SIGNATURE_INVALID,
        "tampered message",
    );
    expect_rv(
        raw::verify(h, &mut Mech::new(CKM_AES_CMAC), k, &message, &tag[..15]),
        CKR_SIGNATURE_LEN_RANGE,
        "MAC one byte short",
    );
    expect_rv(
        raw::verify(
            h,
            &mut Mech::mac_general(CKM_AES_CMAC_GENERAL, 8),
            k,
            &message,
            &tag,
        ),
        CKR_SIGNATURE_LEN_RANGE,
        "_GENERAL(8) verify with a full MAC",
    );
    for len in [0, 17] {
        expect_rv(
            rv_from(&raw::sign(
                h,
                &mut Mech::mac_general(CKM_AES_CMAC_GENERAL, len),
                k,
                &message,
            )),
            CKR_MECHANISM_PARAM_INVALID,
            &format!("_GENERAL({len})"),
        );
    }
    expect_rv(
        rv_from(&raw::sign(
            h,
            &mut Mech::new(CKM_AES_CMAC_GENERAL),
            k,
            &message,
        )),
        CKR_MECHANISM_PARAM_INVALID,
        "_GENERAL without its length",
    );
    expect_rv(
        rv_from(&raw::sign(
            h,
            &mut Mech::mac_general(CKM_AES_CMAC, 16),
            k,
            &message,
        )),
        CKR_MECHANISM_PARAM_INVALID,
        "CKM_AES_CMAC with a parameter",
    );
    // A generic secret of AES length is not an AES key; a key without
    // CKA_SIGN cannot sign.
    let generic = keys::generic(&s, &[7; 16], vec![]);
    let no_sign = keys::aes(&s, &[7; 16], vec![Attribute::Sign(false)]);
    for (key, want, what) in [
        (
            generic,
            CKR_KEY_TYPE_INCONSISTENT,
            "CMAC with a generic secret key",
        ),
        (
            no_sign,
            CKR_KEY_FUNCTION_NOT_PERMITTED,
            "CMAC with CKA_SIGN false",
        ),
    ] {
        let mut m = Mech::new(CKM_AES_CMAC);
        expect_rv(rv_from(&raw::sign(h, &mut m, key, &message)), want, what);
    }
    // CMAC is a MAC, not a cipher.
    expect_rv(
        call!(C_EncryptInit(h, Mech::new(CKM_AES_CMAC).ptr(), k)),
        CKR_MECHANISM_INVALID,
        "C_EncryptInit(CKM_AES_CMAC)",
    );
}

#[test]
fn mechanism_info() {
    let fx = Fixture::new();
    for m in [CKM_AES_CMAC, CKM_AES_CMAC_GENERAL] {
        fx.expect_mechanism_info(m, CKF_SIGN | CKF_VERIFY, (16, 32));
    }
}
