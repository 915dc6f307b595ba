//! Key generation, import (CRT components, PKCS#8), export, the public half
//! of a private key, the size policy, the registry entries and the KAT.

use super::{generate, import, mechanism, pair, pkcs8, pss, sign, verify};
use crate::attr::Attributes;
use crate::error::Ckr;
use crate::mech::rsa::ffi::Rsa;
use crate::mech::rsa::key::PRIVATE_NUMBERS;
use crate::mech::{health, registry, MechParam};
use cryptoki_sys::*;

/// The numbers of a private key object, as an import template's list.
fn numbers(private: &Attributes) -> Vec<(CK_ATTRIBUTE_TYPE, Vec<u8>)> {
    PRIVATE_NUMBERS
        .iter()
        .map(|ty| (*ty, private.get(*ty).unwrap().to_vec()))
        .collect()
}

fn borrowed(list: &[(CK_ATTRIBUTE_TYPE, Vec<u8>)]) -> Vec<(CK_ATTRIBUTE_TYPE, &[u8])> {
    list.iter().map(|(ty, v)| (*ty, v.as_slice())).collect()
}

/// A pair made by aws-lc directly, of any size (for the size policy).
fn raw_pair(bits: usize) -> Vec<(CK_ATTRIBUTE_TYPE, Vec<u8>)> {
    let numbers = Rsa::generate(bits, 65537).unwrap().numbers().unwrap();
    PRIVATE_NUMBERS
        .into_iter()
        .zip(numbers.map(|n| n.to_vec()))
        .collect()
}

#[test]
fn generated_pairs_are_complete_and_consistent() {
    for bits in [2048, 3072] {
        let (public, private) = generate(bits, None).unwrap();
        let n = public.get(CKA_MODULUS).unwrap();
        assert_eq!(n.len() * 8, bits as usize);
        assert_eq!(public.ulong(CKA_MODULUS_BITS), Ok(Some(bits)));
        assert_eq!(public.get(CKA_PUBLIC_EXPONENT), Some(&[1, 0, 1][..]));
        assert_eq!(private.get(CKA_MODULUS), Some(n));
        assert_eq!(private.bool(CKA_LOCAL), Ok(Some(true)));
        let spki = public.get(CKA_PUBLIC_KEY_INFO).unwrap();
        assert_eq!(private.get(CKA_PUBLIC_KEY_INFO), Some(spki));
        // The SPKI is what aws-lc-rs reads as this very key.
        let theirs = aws_lc_rs::rsa::PublicEncryptingKey::from_der(spki).unwrap();
        assert_eq!(theirs.key_size_bits(), bits as usize);
        // The private numbers check out in aws-lc, and an import of them
        // completes to the same key.
        let list = numbers(&private);
        let imported = import(CKO_PRIVATE_KEY, &borrowed(&list)).unwrap();
        assert_eq!(imported.get(CKA_PUBLIC_KEY_INFO), Some(spki));
        let m = mechanism(CKM_SHA256_RSA_PKCS, MechParam::None);
        let signature = sign(&m, &imported, b"generated", 3).unwrap();
        verify(&m, &public, b"generated", &signature).unwrap();
    }
    // The pairwise test passed without putting the module in error.
    assert_eq!(health::check(), Ok(()));
}

#[test]
fn generation_template_is_checked() {
    assert_eq!(generate(1024, None).err(), Some(Ckr::KEY_SIZE_RANGE));
    assert_eq!(generate(8320, None).err(), Some(Ckr::KEY_SIZE_RANGE));
    assert_eq!(
        generate(3000, None).err(),
        Some(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    // e = 3 (too small for FIPS 186-5), even, empty, over 32 bits.
    for bad_e in [&[3][..], &[1, 0, 0], &[], &[1, 0, 0, 0, 1]] {
        assert_eq!(
            generate(2048, Some(bad_e)).err(),
            Some(Ckr::ATTRIBUTE_VALUE_INVALID),
            "{bad_e:?}"
        );
    }
    let m = mechanism(CKM_RSA_PKCS_KEY_PAIR_GEN, MechParam::None);
    let gen = registry().get(m.ty).unwrap();
    let empty = Attributes::new();
    assert_eq!(
        gen.generate_key_pair(&m, &empty, &empty).err(),
        Some(Ckr::TEMPLATE_INCOMPLETE)
    );
    let mut public = Attributes::new();
    public.set_ulong(CKA_MODULUS_BITS, 2048);
    let with_param = mechanism(m.ty, MechParam::Bytes(vec![1]));
    assert_eq!(
        gen.generate_key_pair(&with_param, &public, &empty).err(),
        Some(Ckr::MECHANISM_PARAM_INVALID)
    );
    // The template's own spelling of e is kept, so the object matches it.
    let (public, _) = generate(2048, Some(&[0, 1, 0, 1])).unwrap();
    assert_eq!(public.get(CKA_PUBLIC_EXPONENT), Some(&[0, 1, 0, 1][..]));
}

#[test]
fn crt_import_checks_every_number() {
    let (public, private) = pair();
    let good = numbers(private);
    let imported = import(CKO_PRIVATE_KEY, &borrowed(&good)).unwrap();
    for ty in PRIVATE_NUMBERS {
        assert_eq!(imported.get(ty), private.get(ty));
    }
    assert_eq!(
        imported.get(CKA_PUBLIC_KEY_INFO),
        public.get(CKA_PUBLIC_KEY_INFO)
    );
    // Any one number changed: aws-lc's RSA_check_key refuses the key.
    for i in 0..good.len() {
        let mut bad = good.clone();
        let last = bad[i].1.len() - 1;
        bad[i].1[last] ^= 2;
        assert_eq!(
            import(CKO_PRIVATE_KEY, &borrowed(&bad)).err(),
            Some(Ckr::ATTRIBUTE_VALUE_INVALID),
            "number {i}"
        );
    }
    // n, e, d only: refused as incomplete (see family.rs).
    assert_eq!(
        import(CKO_PRIVATE_KEY, &borrowed(&good[..3])).err(),
        Some(Ckr::TEMPLATE_INCOMPLETE)
    );
    // A CKA_PUBLIC_KEY_INFO given with the key must be its own.
    let mut with_info = borrowed(&good);
    with_info.push((CKA_PUBLIC_KEY_INFO, b"\x30\x00"));
    assert_eq!(
        import(CKO_PRIVATE_KEY, &with_info).err(),
        Some(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
}

#[test]
fn public_import_checks_and_completes() {
    let (public, _) = pair();
    let n = public.get(CKA_MODULUS).unwrap();
    let key = import(
        CKO_PUBLIC_KEY,
        &[(CKA_MODULUS, n), (CKA_PUBLIC_EXPONENT, &[1, 0, 1])],
    )
    .unwrap();
    assert_eq!(key.ulong(CKA_MODULUS_BITS), Ok(Some(2048)));
    assert_eq!(
        key.get(CKA_PUBLIC_KEY_INFO),
        public.get(CKA_PUBLIC_KEY_INFO)
    );
    let mut even = n.to_vec();
    *even.last_mut().unwrap() &= 0xfe;
    let short = &n[..100];
    for (n, e) in [
        (&even[..], &[1, 0, 1][..]),
        (n, &[1, 0, 0]),
        (n, &[1]),
        (n, &[1, 0, 0, 0, 0, 0, 0, 0, 1]),
        (short, &[1, 0, 1]),
    ] {
        assert_eq!(
            import(
                CKO_PUBLIC_KEY,
                &[(CKA_MODULUS, n), (CKA_PUBLIC_EXPONENT, e)]
            )
            .err(),
            Some(Ckr::ATTRIBUTE_VALUE_INVALID),
            "e = {e:?}, {} bytes of n",
            n.len()
        );
    }
    // A template may repeat CKA_MODULUS_BITS, but not contradict it.
    let mut template = Attributes::new();
    template.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
    template.set_ulong(CKA_KEY_TYPE, CKK_RSA);
    template.set(CKA_MODULUS, n.to_vec());
    template.set(CKA_PUBLIC_EXPONENT, vec![1, 0, 1]);
    template.set_ulong(CKA_MODULUS_BITS, 2047);
    let built = crate::object::build(&template, crate::object::Origin::Create, &Attributes::new());
    assert_eq!(built.err(), Some(Ckr::TEMPLATE_INCONSISTENT));
}

#[test]
fn public_half_of_a_private_key() {
    let (public, private) = pair();
    let family = registry().family(CKK_RSA).unwrap().unwrap();
    let derived = family.public_from_private(private).unwrap();
    for ty in [
        CKA_MODULUS,
        CKA_PUBLIC_EXPONENT,
        CKA_MODULUS_BITS,
        CKA_PUBLIC_KEY_INFO,
    ] {
        assert_eq!(derived.get(ty), public.get(ty), "0x{ty:x}");
    }
}

#[test]
fn pkcs8_round_trips_and_interoperates() {
    let (public, private) = pair();
    let family = registry().family(CKK_RSA).unwrap().unwrap();
    let der = pkcs8(private);
    let back = family.import_private(&der).unwrap();
    for ty in PRIVATE_NUMBERS {
        assert_eq!(back.get(ty), private.get(ty));
    }
    // aws-lc-rs reads our PKCS#8 and its signatures verify with our key.
    let theirs = aws_lc_rs::rsa::KeyPair::from_pkcs8(&der).unwrap();
    let mut signature = vec![0; 256];
    let rng = aws_lc_rs::rand::SystemRandom::new();
    theirs
        .sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &rng,
            b"m",
            &mut signature,
        )
        .unwrap();
    let m = mechanism(CKM_SHA256_RSA_PKCS, MechParam::None);
    verify(&m, public, b"m", &signature).unwrap();
    // A PKCS#8 key aws-lc-rs generated imports and signs here.
    let generated = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der =
        aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'static>>::as_der(&generated)
            .unwrap();
    // As C_UnwrapKey builds it: the template names class and type, the
    // family supplies the numbers.
    let supplied = family.import_private(der.as_ref()).unwrap();
    let mut template = Attributes::new();
    template.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    template.set_ulong(CKA_KEY_TYPE, CKK_RSA);
    let ours = crate::object::build(&template, crate::object::Origin::Import, &supplied).unwrap();
    let signature = sign(&m, &ours, b"m", 1).unwrap();
    let components = aws_lc_rs::signature::KeyPair::public_key(&generated);
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        components.as_ref(),
    )
    .verify(b"m", &signature)
    .unwrap();
    // A wrapped key whose numbers disagree is refused at unwrap.
    let mut broken = numbers(private);
    broken[2].1[10] ^= 1;
    let broken: [&[u8]; 8] = std::array::from_fn(|i| broken[i].1.as_slice());
    let der = crate::mech::rsa::der::pkcs8(&broken).unwrap();
    assert_eq!(
        family.import_private(&der).err(),
        Some(Ckr::WRAPPED_KEY_INVALID)
    );
    assert_eq!(
        family.import_private(b"\x30\x00").err(),
        Some(Ckr::WRAPPED_KEY_INVALID)
    );
}

#[test]
fn legacy_1024_bit_keys_verify_and_decrypt_only() {
    let list = raw_pair(1024);
    let private = import(CKO_PRIVATE_KEY, &borrowed(&list)).unwrap();
    let public = import(CKO_PUBLIC_KEY, &borrowed(&list[..2])).unwrap();
    let m = mechanism(CKM_SHA256_RSA_PKCS, MechParam::None);
    assert_eq!(sign(&m, &private, b"x", 1).err(), Some(Ckr::KEY_SIZE_RANGE));
    let pkcs1 = mechanism(CKM_RSA_PKCS, MechParam::None);
    assert_eq!(
        super::encrypt(&pkcs1, &public, b"x").err(),
        Some(Ckr::KEY_SIZE_RANGE)
    );
    // A signature made outside (aws-lc directly) verifies; a ciphertext
    // made outside decrypts.
    let rsa = Rsa::private(&std::array::from_fn(|i| list[i].1.as_slice())).unwrap();
    let payload = super::super::hash::SHA256.digest_info(&super::digest(CKM_SHA256, b"x"));
    let signature = rsa
        .sign_raw(&payload, super::super::ffi::Padding::Pkcs1)
        .unwrap();
    verify(&m, &public, b"x", &signature).unwrap();
    let ciphertext = rsa
        .encrypt(b"old", super::super::ffi::Padding::Pkcs1)
        .unwrap();
    assert_eq!(
        super::decrypt(&pkcs1, &private, &ciphertext)
            .unwrap()
            .as_slice(),
        b"old"
    );
    // 512 bits: not even importable.
    let tiny = raw_pair(512);
    assert_eq!(
        import(CKO_PRIVATE_KEY, &borrowed(&tiny)).err(),
        Some(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
}

#[test]
fn registry_lists_every_rsa_mechanism() {
    let expect = [
        (CKM_RSA_PKCS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR),
        (
            CKM_RSA_PKCS,
            CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP,
        ),
        (
            CKM_RSA_PKCS_OAEP,
            CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP,
        ),
        (
            CKM_RSA_X_509,
            CKF_SIGN | CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT,
        ),
        (CKM_RSA_PKCS_PSS, CKF_SIGN | CKF_VERIFY),
        (CKM_SHA1_RSA_PKCS, CKF_SIGN | CKF_VERIFY),
        (CKM_SHA224_RSA_PKCS_PSS, CKF_SIGN | CKF_VERIFY),
        (CKM_SHA512_RSA_PKCS, CKF_SIGN | CKF_VERIFY),
    ];
    for (ty, flags) in expect {
        let info = registry().get(ty).unwrap().info();
        assert_eq!(info.flags, flags, "0x{ty:x}");
        assert_eq!((info.ulMinKeySize, info.ulMaxKeySize), (2048, 8192));
    }
    let family = registry().family(CKK_RSA).unwrap().unwrap();
    assert_eq!(family.key_type(), CKK_RSA);
}

#[test]
fn known_answer_passes() {
    let start = std::time::Instant::now();
    assert_eq!(crate::mech::rsa::known_answer(), Ok(true));
    println!("RSA known-answer test: {:?}", start.elapsed());
}

/// An 8192-bit test key in PKCS#8 (made once by `openssl genpkey` and
/// `openssl pkcs8 -topk8`: aws-lc
/// takes seconds to generate one, too long for every test run).
const RSA_8192_PKCS8: &[u8] = include_bytes!("rsa8192.pk8");

#[test]
fn keys_up_to_8192_bits_sign_and_verify_and_larger_are_refused() {
    let family = registry().family(CKK_RSA).unwrap().unwrap();
    let supplied = family.import_private(RSA_8192_PKCS8).unwrap();
    let mut template = Attributes::new();
    template.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    template.set_ulong(CKA_KEY_TYPE, CKK_RSA);
    let private =
        crate::object::build(&template, crate::object::Origin::Import, &supplied).unwrap();
    let list = numbers(&private);
    let public = import(CKO_PUBLIC_KEY, &borrowed(&list[..2])).unwrap();
    let m = mechanism(
        CKM_SHA256_RSA_PKCS_PSS,
        pss(CKM_SHA256, CKG_MGF1_SHA256, 32),
    );
    let signature = sign(&m, &private, b"big", 1).unwrap();
    assert_eq!(signature.len(), 1024);
    verify(&m, &public, b"big", &signature).unwrap();
    // One bit more: a modulus of 8193 bits is not importable.
    let mut n = vec![0xff; 1025];
    n[0] = 1;
    assert_eq!(
        import(
            CKO_PUBLIC_KEY,
            &[(CKA_MODULUS, &n), (CKA_PUBLIC_EXPONENT, &[1, 0, 1])]
        )
        .err(),
        Some(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
}
