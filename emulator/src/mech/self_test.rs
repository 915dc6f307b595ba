//! Known-answer tests of every family, run at C_Initialize through the
//! registry, so they exercise the code that serves callers.

use super::{registry, rng, MechParam, Mechanism};
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use cryptoki_sys::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Run every known-answer test; the first failure (in the order of
/// [`TESTS`]) is logged by name and makes the module unusable
/// (CKR_GENERAL_ERROR).
pub fn self_test() -> Result<()> {
    for ((name, _), outcome) in TESTS.iter().zip(run(TESTS)) {
        let failure = match outcome {
            Ok(true) => continue,
            Ok(false) => format!("{name}: wrong answer"),
            Err(e) => format!("{name}: {e}"),
        };
        super::health::fail(&failure);
        return Err(Ckr::GENERAL_ERROR);
    }
    Ok(())
}

/// The outcome of each test, in order. C_Initialize waits for them, and
/// they are independent, so two threads share them, each taking the next
/// one in turn. A test that panicked on the second thread counts as failed.
fn run(tests: &[(&str, Test)]) -> Vec<Result<bool>> {
    let next = AtomicUsize::new(0);
    let outcomes: Vec<OnceLock<Result<bool>>> = tests.iter().map(|_| OnceLock::new()).collect();
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some((_, test)) = tests.get(i) else {
            return;
        };
        // Each index is taken once, so the cell is still empty.
        let _ = outcomes[i].set(test());
    };
    std::thread::scope(|scope| {
        // Without a second thread (none to be had), this one runs them all.
        let helper = std::thread::Builder::new()
            .name("qrcpkcs11-self-test".into())
            .spawn_scoped(scope, work);
        work();
        if let Ok(helper) = helper {
            // A panic there leaves its test without an outcome.
            let _ = helper.join();
        }
    });
    outcomes
        .into_iter()
        .map(|o| o.into_inner().unwrap_or(Err(Ckr::GENERAL_ERROR)))
        .collect()
}

type Test = fn() -> Result<bool>;

/// Longest first, so that the two threads finish together: the RSA test
/// alone takes about as long as all the others (its first private-key
/// operation makes aws-lc seed its random generator, CPU jitter included:
/// about 20 ms), then SLH-DSA signing and Falcon key generation.
const TESTS: &[(&str, Test)] = &[
    ("RSA", super::rsa::known_answer),
    ("SLH-DSA", super::slh_dsa::known_answer),
    ("Falcon", super::falcon::known_answer),
    ("digests", digests),
    ("AES-ECB", aes_ecb),
    ("AES-CBC", aes_cbc),
    ("AES-CBC-PAD", aes_cbc_pad),
    ("AES-CTR", aes_ctr),
    ("AES-GCM", aes_gcm),
    ("AES key wrap", aes_kw),
    ("AES key wrap with padding", aes_kwp),
    ("HMAC", hmac),
    ("key generation", key_generation),
    ("random generator", random),
    ("ML-KEM", super::ml_kem::known_answer),
    ("ML-DSA", super::ml_dsa::known_answer),
    ("EC", super::ec::known_answer),
    ("KDF", super::kdf::known_answer),
    ("composite ML-KEM", super::composite::kem_known_answer),
    ("composite ML-DSA", super::composite::sig_known_answer),
];

/// A hex constant of a known-answer test; a malformed one (an odd length
/// included) fails the test that uses it.
pub(super) fn unhex(s: &str) -> Result<Vec<u8>> {
    hex::decode(s).map_err(|_| Ckr::GENERAL_ERROR)
}

fn key(ty: CK_KEY_TYPE, hex_value: &str) -> Result<Attributes> {
    let mut k = Attributes::new();
    k.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    k.set_ulong(CKA_KEY_TYPE, ty);
    k.set(CKA_VALUE, unhex(hex_value)?);
    Ok(k)
}

/// Encrypt `pt` to `ct` and decrypt it back, single-part.
fn cipher(
    ty: CK_MECHANISM_TYPE,
    param: MechParam,
    key_hex: &str,
    pt: &str,
    ct: &str,
) -> Result<bool> {
    let (k, pt, ct) = (key(CKK_AES, key_hex)?, unhex(pt)?, unhex(ct)?);
    let m = Mechanism { ty, param };
    let mech = registry().get(ty)?;
    let mut e = mech.encrypt(&m, &k)?;
    let mut out = e.update(&pt)?.to_vec();
    out.extend_from_slice(&e.finish()?);
    let mut d = mech.decrypt(&m, &k)?;
    let mut back = d.update(&ct)?.to_vec();
    back.extend_from_slice(&d.finish()?);
    Ok(out == ct && back == pt)
}

/// FIPS 180-4 / FIPS 202 digests of "abc".
fn digests() -> Result<bool> {
    const ABC: &[(CK_MECHANISM_TYPE, &str)] = &[
        (CKM_SHA_1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (CKM_SHA224, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"),
        (CKM_SHA256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            CKM_SHA384,
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            CKM_SHA512,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
        (CKM_SHA3_224, "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf"),
        (CKM_SHA3_256, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"),
        (
            CKM_SHA3_384,
            "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25",
        ),
        (
            CKM_SHA3_512,
            "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e\
             10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0",
        ),
    ];
    for (ty, expected) in ABC {
        let mut d = registry().get(*ty)?.digest(&Mechanism {
            ty: *ty,
            param: MechParam::None,
        })?;
        d.update(b"abc");
        if d.finish() != unhex(expected)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// FIPS 197 appendix C.1 and C.3.
fn aes_ecb() -> Result<bool> {
    let pt = "00112233445566778899aabbccddeeff";
    Ok(cipher(
        CKM_AES_ECB,
        MechParam::None,
        "000102030405060708090a0b0c0d0e0f",
        pt,
        "69c4e0d86a7b0430d8cdb78070b4c55a",
    )? && cipher(
        CKM_AES_ECB,
        MechParam::None,
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        pt,
        "8ea2b7ca516745bfeafc49904b496089",
    )?)
}

/// SP 800-38A F.2.1, first two blocks.
fn aes_cbc() -> Result<bool> {
    cipher(
        CKM_AES_CBC,
        MechParam::Bytes(unhex("000102030405060708090a0b0c0d0e0f")?),
        "2b7e151628aed2a6abf7158809cf4f3c",
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
        "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2",
    )
}

/// Wycheproof aes_cbc_pkcs5_test case 2.
fn aes_cbc_pad() -> Result<bool> {
    cipher(
        CKM_AES_CBC_PAD,
        MechParam::Bytes(unhex("c9ee3cd746bf208c65ca9e72a266d54f")?),
        "e09eaa5a3f5e56d279d5e7a03373f6ea",
        "ef4eab37181f98423e53e947e7050fd0",
        "d1fa697f3e2e04d64f1a0da203813ca5bc226a0b1d42287b2a5b994a66eaf14a",
    )
}

/// SP 800-38A F.5.1, first two blocks.
fn aes_ctr() -> Result<bool> {
    let cb = unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")?
        .try_into()
        .map_err(|_| Ckr::GENERAL_ERROR)?;
    cipher(
        CKM_AES_CTR,
        MechParam::Ctr {
            counter_bits: 128,
            cb,
        },
        "2b7e151628aed2a6abf7158809cf4f3c",
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
        "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff",
    )
}

/// The GCM specification's test case 4.
fn aes_gcm() -> Result<bool> {
    cipher(
        CKM_AES_GCM,
        MechParam::Gcm {
            iv: unhex("cafebabefacedbaddecaf888")?,
            aad: unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")?,
            tag_bits: 128,
        },
        "feffe9928665731c6d6a8f9467308308",
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
         1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
         21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091\
         5bc94fbc3221a5db94fae95ae7121a47",
    )
}

/// Wrap and unwrap one key, both ways.
fn wrap(ty: CK_MECHANISM_TYPE, kek: &str, data: &str, wrapped: &str) -> Result<bool> {
    let (kek, data, wrapped) = (key(CKK_AES, kek)?, unhex(data)?, unhex(wrapped)?);
    let m = Mechanism {
        ty,
        param: MechParam::None,
    };
    let mech = registry().get(ty)?;
    Ok(mech.wrap(&m, &kek, &data)? == wrapped
        && mech.unwrap(&m, &kek, &wrapped)?.as_slice() == data)
}

/// RFC 3394 section 4.1.
fn aes_kw() -> Result<bool> {
    wrap(
        CKM_AES_KEY_WRAP,
        "000102030405060708090a0b0c0d0e0f",
        "00112233445566778899aabbccddeeff",
        "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5",
    )
}

/// RFC 5649 section 6, second example.
fn aes_kwp() -> Result<bool> {
    wrap(
        CKM_AES_KEY_WRAP_KWP,
        "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8",
        "466f7250617369",
        "afbeb0f07dfbf5419200f2ccb50bb24f",
    )
}

/// RFC 2202 / RFC 4231 test case 2, and Wycheproof hmac_sha3_256_test case 2.
fn hmac() -> Result<bool> {
    let jefe = "4a656665";
    let what = "7768617420646f2079612077616e7420666f72206e6f7468696e673f";
    let cases = [
        (
            CKM_SHA_1_HMAC,
            jefe,
            what,
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
        ),
        (
            CKM_SHA256_HMAC,
            jefe,
            what,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            CKM_SHA512_HMAC,
            jefe,
            what,
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
             9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
        ),
        (
            CKM_SHA3_256_HMAC,
            "8159fd15133cd964c9a6964c94f0ea269a806fd9f43f0da58b6cd1b33d189b2a",
            "77",
            "f709a35d41e82e36955512bf5fc1af0c1a9c580ff8fc3199bcb7454027029282",
        ),
    ];
    for (ty, k, data, tag) in cases {
        let (k, data, tag) = (key(CKK_GENERIC_SECRET, k)?, unhex(data)?, unhex(tag)?);
        let m = Mechanism {
            ty,
            param: MechParam::None,
        };
        let mech = registry().get(ty)?;
        let mut s = mech.sign(&m, &k)?;
        s.update(&data)?;
        let mut v = mech.verify(&m, &k)?;
        v.update(&data)?;
        if s.finish()? != tag || v.finish(&tag).is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Key generation returns a key of the requested length that works.
fn key_generation() -> Result<bool> {
    let mut template = Attributes::new();
    template.set_ulong(CKA_VALUE_LEN, 32);
    let m = Mechanism {
        ty: CKM_AES_KEY_GEN,
        param: MechParam::None,
    };
    let generated = registry()
        .get(CKM_AES_KEY_GEN)?
        .generate_key(&m, &template)?;
    let mut k = generated.clone();
    k.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    let gcm = Mechanism {
        ty: CKM_AES_GCM,
        param: MechParam::Gcm {
            iv: vec![0; 12],
            aad: vec![],
            tag_bits: 128,
        },
    };
    let mut e = registry().get(CKM_AES_GCM)?.encrypt(&gcm, &k)?;
    e.update(b"x")?;
    Ok(generated.get(CKA_VALUE).map(<[u8]>::len) == Some(32) && e.finish()?.len() == 17)
}

/// The generator produces output, and not the same output twice.
fn random() -> Result<bool> {
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    rng::fill(&mut a)?;
    rng::fill(&mut b)?;
    Ok(a != b && a != [0u8; 32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_come_back_in_order_whatever_thread_ran_them() {
        fn slow_wrong() -> Result<bool> {
            std::thread::sleep(std::time::Duration::from_millis(20));
            Ok(false)
        }
        fn right() -> Result<bool> {
            Ok(true)
        }
        fn broken() -> Result<bool> {
            Err(Ckr::DEVICE_ERROR)
        }
        let tests: &[(&str, Test)] = &[
            ("slow", slow_wrong),
            ("a", right),
            ("b", broken),
            ("c", right),
        ];
        assert_eq!(
            run(tests),
            [Ok(false), Ok(true), Err(Ckr::DEVICE_ERROR), Ok(true)]
        );
        assert_eq!(run(&[]), []);
    }

    #[test]
    fn a_wrong_answer_is_detected() {
        // A corrupted expectation (last bit of the FIPS 197 answer flipped).
        assert_eq!(
            cipher(
                CKM_AES_ECB,
                MechParam::None,
                "000102030405060708090a0b0c0d0e0f",
                "00112233445566778899aabbccddeeff",
                "69c4e0d86a7b0430d8cdb78070b4c55b",
            ),
            Ok(false)
        );
        assert_eq!(unhex("0g"), Err(Ckr::GENERAL_ERROR));
        assert_eq!(unhex("abc"), Err(Ckr::GENERAL_ERROR));
        assert_eq!(unhex("00ff"), Ok(vec![0, 255]));
    }
}
