//! Digests, C_DigestKey, key generation, key usage and key type checks,
//! random numbers, and the mechanism list.

use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::Attribute;
use cryptoki_sys::*;
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::{
    call, expect_err, expect_ok, expect_one_of, expect_rv, keys, must, rv_from, rv_of, Fixture,
};
use std::collections::HashSet;

const LONG: &[u8] = b"The quick brown fox jumps over the lazy dog";

/// (mechanism, digest of "abc", digest of LONG repeated 37 times).
const DIGESTS: [(CK_MECHANISM_TYPE, &str, &str); 9] = [
    (CKM_SHA_1, "a9993e364706816aba3e25717850c26c9cd0d89d", "850cd8b55717d72f371d07bd3a380a0e90fd18ed"),
    (
        CKM_SHA224,
        "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
        "0d7b13c87cb53a45cf9b0f4386d0c0d34e049cf25a8f99df6bf65001",
    ),
    (
        CKM_SHA256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "4691d2d1be75b3a135f28ba923c396a1856e35e29b7de22b4f39f0b2c40291c6",
    ),
    (
        CKM_SHA384,
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        "bb848b94ed117c31871f81cdabc40191a7c6971b02a227f11a765c3bc28f6f9b81eadb7af0ba497b28e0e35272016f5d",
    ),
    (
        CKM_SHA512,
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "a23fa358f4c97e76f15998c6e6397df1d2b71ba5b0be89615f1ac23f004461aa5fccf28312741bb22656968057e4a55c79dca2f701928992d7557dd220ab8908",
    ),
    (
        CKM_SHA3_224,
        "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf",
        "ebaa3b5c0e2135570bbc9f09f27054203e06a554826561dd089ad07e",
    ),
    (
        CKM_SHA3_256,
        "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
        "dd7f59780a14ed1651307d93fa42fb91420baaff42913575edb842929616ff27",
    ),
    (
        CKM_SHA3_384,
        "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25",
        "fbb7288556742029770d7b1b1e3f6f1becb2fbddb3b4dcd94a884b4bd46cc5bfd0f1649cc634d7d531decda0114b4029",
    ),
    (
        CKM_SHA3_512,
        "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0",
        "2f34539671a405470035a97d5b951bdad1525d407f89b3462e08cec0bd6c5b1fe8088a459512c4f278867d1499ce714e2ad16750b94fc917dc14a435f4631575",
    ),
];

#[test]
fn digest_known_answers_single_and_multi_part() {
    let fx = Fixture::new();
    let s = fx.ro_session();
    let h = s.handle();
    let long = LONG.repeat(37);
    for (mech, abc, long_hex) in DIGESTS {
        let what = format!("digest 0x{mech:X}");
        let d = must(raw::digest(h, &mut Mech::new(mech), b"abc"), &what);
        assert_eq!(hex::encode(d), abc, "{what} of \"abc\"");
        let d = must(raw::digest(h, &mut Mech::new(mech), &long), &what);
        assert_eq!(hex::encode(d), long_hex, "{what} of the long message");
        let parts: Vec<&[u8]> = vec![
            &long[..1],
            &long[1..8],
            &[],
            &long[8..72],
            &long[72..200],
            &long[200..],
        ];
        let d = must(raw::digest_parts(h, &mut Mech::new(mech), &parts), &what);
        assert_eq!(hex::encode(d), long_hex, "{what}, multi-part");
    }
    let d = expect_ok(s.digest(&Mechanism::Sha256, b"abc"), "cryptoki digest");
    assert_eq!(hex::encode(d), DIGESTS[2].1);
}

#[test]
fn digest_key_feeds_the_key_value() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let key: Vec<u8> = (0u8..16).collect();
    let k = keys::aes(&s, &key, vec![]);
    expect_ok(s.digest_init(&Mechanism::Sha256), "C_DigestInit");
    expect_ok(s.digest_update(b"prefix"), "C_DigestUpdate");
    expect_ok(s.digest_key(keys::obj(k)), "C_DigestKey");
    let d = expect_ok(s.digest_final(), "C_DigestFinal");
    assert_eq!(
        hex::encode(d),
        "99ca10c4a7bd590ebf03c81dbdb89483b0d9db020e3b8296ba010b49f77f03ab",
        "SHA-256(prefix ‖ key)"
    );
}

#[test]
fn digest_operation_ends_after_single_part() {
    let fx = Fixture::new();
    let s = fx.ro_session();
    let h = s.handle();
    must(raw::digest(h, &mut Mech::new(CKM_SHA256), b"abc"), "digest");
    let mut x = *b"x";
    expect_rv(
        call!(C_DigestUpdate(h, x.as_mut_ptr(), 1)),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_DigestUpdate after C_Digest",
    );
    expect_rv(
        call!(C_DigestInit(h, Mech::new(CKM_AES_ECB).ptr())),
        CKR_MECHANISM_INVALID,
        "C_DigestInit(CKM_AES_ECB)",
    );
}

#[test]
fn aes_and_generic_key_generation() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    for len in [16u64, 24, 32] {
        let k = expect_ok(
            s.generate_key(
                &Mechanism::AesKeyGen,
                &[
                    Attribute::Token(false),
                    Attribute::ValueLen(len.into()),
                    Attribute::Encrypt(true),
                    Attribute::Decrypt(true),
                ],
            ),
            "C_GenerateKey(AES)",
        );
        assert_eq!(
            must(
                raw::attr_ulong(h, k.handle(), CKA_VALUE_LEN),
                "CKA_VALUE_LEN"
            ),
            len
        );
        let iv = [3u8; 16];
        let ct = must(
            raw::encrypt(h, &mut Mech::iv(CKM_AES_CBC_PAD, &iv), k.handle(), LONG),
            "encrypt",
        );
        let pt = must(
            raw::decrypt(h, &mut Mech::iv(CKM_AES_CBC_PAD, &iv), k.handle(), &ct),
            "decrypt",
        );
        assert_eq!(pt, LONG);
    }
    let a = expect_ok(
        s.generate_key(
            &Mechanism::AesKeyGen,
            &[Attribute::ValueLen(32.into()), Attribute::Sensitive(false)],
        ),
        "gen",
    );
    let b = expect_ok(
        s.generate_key(
            &Mechanism::AesKeyGen,
            &[Attribute::ValueLen(32.into()), Attribute::Sensitive(false)],
        ),
        "gen",
    );
    assert_ne!(
        must(raw::attr(h, a.handle(), CKA_VALUE), "value"),
        must(raw::attr(h, b.handle(), CKA_VALUE), "value")
    );
    let r = s.generate_key(&Mechanism::AesKeyGen, &[Attribute::ValueLen(17.into())]);
    expect_one_of(
        rv_of(&r),
        &[CKR_ATTRIBUTE_VALUE_INVALID, CKR_KEY_SIZE_RANGE],
        "AES key of 17 bytes",
    );

    let g = expect_ok(
        s.generate_key(
            &Mechanism::GenericSecretKeyGen,
            &[
                Attribute::ValueLen(32.into()),
                Attribute::Sign(true),
                Attribute::Verify(true),
            ],
        ),
        "C_GenerateKey(GENERIC_SECRET)",
    );
    assert_eq!(
        must(raw::attr_ulong(h, g.handle(), CKA_KEY_TYPE), "CKA_KEY_TYPE"),
        CKK_GENERIC_SECRET
    );
    assert_eq!(
        must(
            raw::attr_ulong(h, g.handle(), CKA_KEY_GEN_MECHANISM),
            "mech"
        ),
        CKM_GENERIC_SECRET_KEY_GEN
    );
    let mac = must(
        raw::sign(h, &mut Mech::new(CKM_SHA256_HMAC), g.handle(), LONG),
        "HMAC with a generated key",
    );
    expect_rv(
        raw::verify(h, &mut Mech::new(CKM_SHA256_HMAC), g.handle(), LONG, &mac),
        CKR_OK,
        "verify",
    );
}

#[test]
fn token_keys_need_a_logged_in_user() {
    let fx = Fixture::new();
    let s = fx.rw_session();
    let r = s.generate_key(
        &Mechanism::AesKeyGen,
        &[
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::ValueLen(16.into()),
        ],
    );
    expect_err(
        r,
        CKR_USER_NOT_LOGGED_IN,
        "generating a token secret key without login",
    );
}

#[test]
fn key_usage_flags_are_enforced() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let nf = CKR_KEY_FUNCTION_NOT_PERMITTED;
    let v = [1u8; 16];
    let no_enc = keys::aes(&s, &v, vec![Attribute::Encrypt(false)]);
    expect_rv(
        rv_from(&raw::encrypt(
            h,
            &mut Mech::new(CKM_AES_ECB),
            no_enc,
            &[0; 16],
        )),
        nf,
        "encrypt with CKA_ENCRYPT=false",
    );
    let no_dec = keys::aes(&s, &v, vec![Attribute::Decrypt(false)]);
    expect_rv(
        rv_from(&raw::decrypt(
            h,
            &mut Mech::new(CKM_AES_ECB),
            no_dec,
            &[0; 16],
        )),
        nf,
        "decrypt with CKA_DECRYPT=false",
    );
    let no_sign = keys::generic(&s, &v, vec![Attribute::Sign(false)]);
    expect_rv(
        rv_from(&raw::sign(
            h,
            &mut Mech::new(CKM_SHA256_HMAC),
            no_sign,
            b"m",
        )),
        nf,
        "sign with CKA_SIGN=false",
    );
    let no_verify = keys::generic(&s, &v, vec![Attribute::Verify(false)]);
    expect_rv(
        raw::verify(
            h,
            &mut Mech::new(CKM_SHA256_HMAC),
            no_verify,
            b"m",
            &[0; 32],
        ),
        nf,
        "verify with CKA_VERIFY=false",
    );
    let r = s.verify_signature_init(&Mechanism::Sha256Hmac, keys::obj(no_verify), &[0; 32]);
    expect_rv(rv_of(&r), nf, "C_VerifySignatureInit with CKA_VERIFY=false");
}

#[test]
fn wrong_key_types_are_inconsistent() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let ki = CKR_KEY_TYPE_INCONSISTENT;
    let generic = keys::generic(&s, &[1u8; 16], vec![]);
    let aes = keys::aes(&s, &[1u8; 16], vec![]);
    expect_rv(
        rv_from(&raw::encrypt(
            h,
            &mut Mech::new(CKM_AES_ECB),
            generic,
            &[0; 16],
        )),
        ki,
        "AES_ECB with a generic secret",
    );
    expect_rv(
        rv_from(&raw::encrypt(
            h,
            &mut Mech::aes_gcm(&[0; 12], &[], 128),
            generic,
            b"x",
        )),
        ki,
        "AES_GCM with a generic secret",
    );
    expect_rv(
        rv_from(&raw::sign(h, &mut Mech::new(CKM_SHA256_HMAC), aes, b"m")),
        ki,
        "SHA256_HMAC with an AES key",
    );
    let r = s.digest_init(&Mechanism::Sha256);
    expect_ok(r, "C_DigestInit");
    let data = keys::data(&s, "not a key", b"v", vec![]);
    let rv = call!(C_DigestKey(h, data));
    expect_one_of(
        rv,
        &[CKR_KEY_HANDLE_INVALID, CKR_KEY_INDIGESTIBLE],
        "C_DigestKey of a data object",
    );
}

#[test]
fn mechanisms_that_do_not_apply_are_invalid() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let aes = keys::aes(&s, &[1u8; 16], vec![]);
    let mi = CKR_MECHANISM_INVALID;
    expect_rv(
        rv_from(&raw::encrypt(h, &mut Mech::new(CKM_SHA256), aes, &[0; 16])),
        mi,
        "C_EncryptInit(CKM_SHA256)",
    );
    expect_rv(
        rv_from(&raw::encrypt(h, &mut Mech::new(0x7FFF_FF00), aes, &[0; 16])),
        mi,
        "C_EncryptInit(undefined mechanism)",
    );
    expect_rv(
        rv_from(&raw::sign(h, &mut Mech::new(CKM_AES_ECB), aes, b"m")),
        mi,
        "C_SignInit(CKM_AES_ECB)",
    );
    expect_rv(
        rv_from(&raw::digest(h, &mut Mech::new(0x7FFF_FF00), b"m")),
        mi,
        "C_DigestInit(undefined)",
    );
    expect_rv(
        rv_from(&raw::generate_key(
            h,
            &mut Mech::new(CKM_SHA256),
            vec![Attribute::ValueLen(16.into())],
        )),
        mi,
        "C_GenerateKey(CKM_SHA256)",
    );
    // DSA and SHA key generation are not offered, and never will be.
    let (mut public, mut private) = (0, 0);
    let mut dsa = Mech::new(CKM_DSA_KEY_PAIR_GEN);
    let rv = call!(C_GenerateKeyPair(
        h,
        dsa.ptr(),
        std::ptr::null_mut(),
        0,
        std::ptr::null_mut(),
        0,
        &mut public,
        &mut private
    ));
    expect_rv(rv, mi, "C_GenerateKeyPair(CKM_DSA_KEY_PAIR_GEN)");
    let r = s.derive_key(&Mechanism::Sha256KeyGen, keys::obj(aes), &[]);
    expect_err(r, mi, "C_DeriveKey(CKM_SHA256_KEY_GEN)");
}

#[test]
fn generate_random_lengths_and_uniqueness() {
    let fx = Fixture::new();
    let s = fx.ro_session();
    let h = s.handle();
    for len in [0usize, 1, 32, 1000, 100_000] {
        let mut buf = vec![0u8; len];
        expect_rv(
            call!(C_GenerateRandom(h, buf.as_mut_ptr(), len as CK_ULONG)),
            CKR_OK,
            &format!("{len} random bytes"),
        );
        if len >= 32 {
            assert!(
                buf.iter().any(|b| *b != 0),
                "{len} random bytes are all zero"
            );
            let distinct: HashSet<u8> = buf.iter().copied().collect();
            assert!(
                distinct.len() > 8,
                "{len} random bytes use only {} byte values",
                distinct.len()
            );
        }
    }
    let mut seen = HashSet::new();
    for _ in 0..1000 {
        let v = expect_ok(s.generate_random_vec(16), "C_GenerateRandom");
        assert!(seen.insert(v), "C_GenerateRandom repeated a 16-byte value");
    }
    expect_ok(s.seed_random(b"some extra seed material"), "C_SeedRandom");
    let a = expect_ok(
        s.generate_random_vec(32),
        "C_GenerateRandom after C_SeedRandom",
    );
    let b = expect_ok(
        s.generate_random_vec(32),
        "C_GenerateRandom after C_SeedRandom",
    );
    assert_ne!(a, b);
}

/// Every mechanism of this issue and the flags it must carry.
const MECHANISMS: [(CK_MECHANISM_TYPE, CK_FLAGS); 30] = [
    (CKM_SHA_1, CKF_DIGEST),
    (CKM_SHA224, CKF_DIGEST),
    (CKM_SHA256, CKF_DIGEST),
    (CKM_SHA384, CKF_DIGEST),
    (CKM_SHA512, CKF_DIGEST),
    (CKM_SHA3_224, CKF_DIGEST),
    (CKM_SHA3_256, CKF_DIGEST),
    (CKM_SHA3_384, CKF_DIGEST),
    (CKM_SHA3_512, CKF_DIGEST),
    (CKM_AES_KEY_GEN, CKF_GENERATE),
    (CKM_AES_ECB, CKF_ENCRYPT | CKF_DECRYPT),
    (CKM_AES_CBC, CKF_ENCRYPT | CKF_DECRYPT),
    (CKM_AES_CBC_PAD, CKF_ENCRYPT | CKF_DECRYPT),
    (CKM_AES_CTR, CKF_ENCRYPT | CKF_DECRYPT),
    (CKM_AES_GCM, CKF_ENCRYPT | CKF_DECRYPT),
    (
        CKM_AES_KEY_WRAP,
        CKF_WRAP | CKF_UNWRAP | CKF_ENCRYPT | CKF_DECRYPT,
    ),
    (
        CKM_AES_KEY_WRAP_KWP,
        CKF_WRAP | CKF_UNWRAP | CKF_ENCRYPT | CKF_DECRYPT,
    ),
    (CKM_GENERIC_SECRET_KEY_GEN, CKF_GENERATE),
    (CKM_SHA_1_HMAC, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA224_HMAC, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA256_HMAC, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA384_HMAC, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA512_HMAC, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA_1_HMAC_GENERAL, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA224_HMAC_GENERAL, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA256_HMAC_GENERAL, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA384_HMAC_GENERAL, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA512_HMAC_GENERAL, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA3_256_HMAC, CKF_SIGN | CKF_VERIFY),
    (CKM_SHA3_512_HMAC, CKF_SIGN | CKF_VERIFY),
];

#[test]
fn mechanism_list_and_info() {
    let fx = Fixture::new();
    // Raw: cryptoki's get_mechanism_list drops types it does not know.
    let slot = fx.slot.id();
    let mut n: CK_ULONG = 0;
    expect_rv(
        call!(C_GetMechanismList(slot, std::ptr::null_mut(), &mut n)),
        CKR_OK,
        "C_GetMechanismList(NULL)",
    );
    let mut raw_list = vec![0 as CK_MECHANISM_TYPE; n as usize];
    expect_rv(
        call!(C_GetMechanismList(slot, raw_list.as_mut_ptr(), &mut n)),
        CKR_OK,
        "C_GetMechanismList",
    );
    raw_list.truncate(n as usize);
    let list: HashSet<CK_MECHANISM_TYPE> = raw_list.iter().copied().collect();
    assert_eq!(
        list.len(),
        raw_list.len(),
        "C_GetMechanismList repeats a mechanism"
    );
    let missing: Vec<String> = MECHANISMS
        .iter()
        .filter(|(m, _)| !list.contains(m))
        .map(|(m, _)| format!("0x{m:X}"))
        .collect();
    assert!(
        missing.is_empty(),
        "mechanisms missing from C_GetMechanismList: {missing:?}"
    );
    for (m, flags) in MECHANISMS {
        let mut info = CK_MECHANISM_INFO::default();
        expect_rv(
            call!(C_GetMechanismInfo(fx.slot.id(), m, &mut info)),
            CKR_OK,
            &format!("C_GetMechanismInfo(0x{m:X})"),
        );
        assert_eq!(
            info.flags & flags,
            flags,
            "mechanism 0x{m:X} flags {:#x} lack {flags:#x}",
            info.flags
        );
        assert!(
            info.ulMinKeySize <= info.ulMaxKeySize,
            "mechanism 0x{m:X}: min key size above max"
        );
        if [
            CKM_AES_KEY_GEN,
            CKM_AES_ECB,
            CKM_AES_CBC,
            CKM_AES_GCM,
            CKM_AES_KEY_WRAP,
        ]
        .contains(&m)
        {
            assert_eq!(
                (info.ulMinKeySize, info.ulMaxKeySize),
                (16, 32),
                "AES key sizes (bytes) of 0x{m:X}"
            );
        }
    }
    for m in &list {
        let mut info = CK_MECHANISM_INFO::default();
        expect_rv(
            call!(C_GetMechanismInfo(fx.slot.id(), *m, &mut info)),
            CKR_OK,
            &format!("info of listed 0x{m:X}"),
        );
        assert_ne!(info.flags, 0, "listed mechanism 0x{m:X} has no flags");
    }
    let mut info = CK_MECHANISM_INFO::default();
    expect_rv(
        call!(C_GetMechanismInfo(fx.slot.id(), CKM_DES3_CBC, &mut info)),
        CKR_MECHANISM_INVALID,
        "info of CKM_DES3_CBC (never offered)",
    );
    let r = fx
        .ctx
        .get_mechanism_info(fx.slot, MechanismType::AES_CBC_PAD);
    expect_ok(r, "cryptoki get_mechanism_info");
}
