//! Key generation, signatures, key agreement and the key families, through
//! the registry.

use super::curve::Curve;
use super::kat_key;
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use crate::mech::kdf::x963_kdf;
use crate::mech::{registry, KeyPair, MechParam, Mechanism};
use cryptoki_sys::*;
use std::time::Instant;

fn mech(ty: CK_MECHANISM_TYPE, param: MechParam) -> Mechanism {
    Mechanism { ty, param }
}

/// The key-pair generator of a curve's key type.
fn generator(curve: Curve) -> CK_MECHANISM_TYPE {
    match curve.key_type() {
        CKK_EC => CKM_EC_KEY_PAIR_GEN,
        CKK_EC_EDWARDS => CKM_EC_EDWARDS_KEY_PAIR_GEN,
        _ => CKM_EC_MONTGOMERY_KEY_PAIR_GEN,
    }
}

/// Generate a pair whose public template has CKA_EC_PARAMS = `params`, and
/// give each half its class, as the token does.
fn generate(curve: Curve, params: &[u8]) -> Result<(Attributes, Attributes)> {
    let ty = generator(curve);
    let mut public = Attributes::new();
    public.set(CKA_EC_PARAMS, params.to_vec());
    let KeyPair {
        public: mut pk,
        private: mut sk,
    } = registry().get(ty)?.generate_key_pair(
        &mech(ty, MechParam::None),
        &public,
        &Attributes::new(),
    )?;
    pk.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
    sk.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    Ok((pk, sk))
}

fn sign(
    ty: CK_MECHANISM_TYPE,
    param: MechParam,
    key: &Attributes,
    data: &[u8],
    chunk: usize,
) -> Result<Vec<u8>> {
    let mut s = registry().get(ty)?.sign(&mech(ty, param), key)?;
    for part in data.chunks(chunk.max(1)) {
        s.update(part)?;
    }
    s.finish()
}

fn verify(
    ty: CK_MECHANISM_TYPE,
    param: MechParam,
    key: &Attributes,
    data: &[u8],
    sig: &[u8],
) -> Result<()> {
    let mut v = registry().get(ty)?.verify(&mech(ty, param), key)?;
    v.update(data)?;
    v.finish(sig)
}

fn printable(name: &str) -> Vec<u8> {
    let mut der = vec![0x13, name.len() as u8];
    der.extend_from_slice(name.as_bytes());
    der
}

#[test]
fn key_generation_on_every_curve() {
    for curve in Curve::ALL {
        for params in [curve.params_der().unwrap(), printable(curve_name(curve))] {
            let (pk, sk) = generate(curve, &params).unwrap();
            for half in [&pk, &sk] {
                assert_eq!(half.ulong(CKA_KEY_TYPE), Ok(Some(curve.key_type())));
                // The caller's bytes, in whichever form they came.
                assert_eq!(half.get(CKA_EC_PARAMS), Some(&params[..]));
            }
            let point = pk.get(CKA_EC_POINT).unwrap();
            assert_eq!(point[0], 0x04, "an OCTET STRING");
            let raw = curve.raw_point(point).unwrap();
            assert_eq!(curve.point_der(&raw).unwrap(), point);
            assert_eq!(sk.get(CKA_VALUE).unwrap().len(), curve.private_len());
            let spki = curve.spki(&raw).unwrap();
            assert_eq!(pk.get(CKA_PUBLIC_KEY_INFO), Some(&spki[..]));
            assert_eq!(sk.get(CKA_PUBLIC_KEY_INFO), Some(&spki[..]));
            assert!(super::keygen::pairwise_ok(
                curve,
                sk.get(CKA_VALUE).unwrap(),
                &raw
            ));
            // The family recomputes the same public key from the private one.
            let family = registry().family(curve.key_type()).unwrap().unwrap();
            let derived = family.public_from_private(&sk).unwrap();
            assert_eq!(derived.get(CKA_EC_POINT), Some(point));
            assert_eq!(derived.get(CKA_EC_PARAMS), Some(&params[..]));
        }
    }
}

fn curve_name(curve: Curve) -> &'static str {
    match curve {
        Curve::P256 => "prime256v1",
        Curve::P384 => "secp384r1",
        Curve::P521 => "secp521r1",
        Curve::Ed25519 => "edwards25519",
        Curve::X25519 => "curve25519",
    }
}

#[test]
fn key_generation_template_errors() {
    let gen = |ty: CK_MECHANISM_TYPE, public: &Attributes, private: &Attributes| {
        registry()
            .get(ty)
            .unwrap()
            .generate_key_pair(&mech(ty, MechParam::None), public, private)
            .map(|_| ())
    };
    let empty = Attributes::new();
    assert_eq!(
        gen(CKM_EC_KEY_PAIR_GEN, &empty, &empty),
        Err(Ckr::TEMPLATE_INCOMPLETE)
    );
    // The 25519 generators know their curve.
    assert_eq!(gen(CKM_EC_EDWARDS_KEY_PAIR_GEN, &empty, &empty), Ok(()));
    assert_eq!(gen(CKM_EC_MONTGOMERY_KEY_PAIR_GEN, &empty, &empty), Ok(()));
    let mut ed = Attributes::new();
    ed.set(CKA_EC_PARAMS, Curve::Ed25519.params_der().unwrap());
    assert_eq!(
        gen(CKM_EC_KEY_PAIR_GEN, &ed, &empty),
        Err(Ckr(CKR_CURVE_NOT_SUPPORTED))
    );
    let mut k1 = Attributes::new();
    k1.set(CKA_EC_PARAMS, hex::decode("06052b8104000a").unwrap());
    assert_eq!(
        gen(CKM_EC_KEY_PAIR_GEN, &k1, &empty),
        Err(Ckr(CKR_CURVE_NOT_SUPPORTED))
    );
    let mut p256 = Attributes::new();
    p256.set(CKA_EC_PARAMS, Curve::P256.params_der().unwrap());
    let mut other = Attributes::new();
    other.set(CKA_EC_PARAMS, Curve::P384.params_der().unwrap());
    assert_eq!(
        gen(CKM_EC_KEY_PAIR_GEN, &p256, &other),
        Err(Ckr::TEMPLATE_INCONSISTENT)
    );
    let mut rsa = p256.clone();
    rsa.set_ulong(CKA_KEY_TYPE, CKK_RSA);
    assert_eq!(
        gen(CKM_EC_KEY_PAIR_GEN, &rsa, &empty),
        Err(Ckr::TEMPLATE_INCONSISTENT)
    );
    let ty = CKM_EC_KEY_PAIR_GEN;
    let with_param = registry().get(ty).unwrap().generate_key_pair(
        &mech(ty, MechParam::Bytes(vec![1])),
        &p256,
        &empty,
    );
    assert_eq!(with_param.err(), Some(Ckr::MECHANISM_PARAM_INVALID));
}

#[test]
fn ecdsa_round_trips() {
    let data: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
    for curve in [Curve::P256, Curve::P384, Curve::P521] {
        let (pk, sk) = generate(curve, &curve.params_der().unwrap()).unwrap();
        let n = curve.private_len();
        for ty in [
            CKM_ECDSA_SHA1,
            CKM_ECDSA_SHA224,
            CKM_ECDSA_SHA256,
            CKM_ECDSA_SHA384,
            CKM_ECDSA_SHA512,
        ] {
            let sig = sign(ty, MechParam::None, &sk, &data, 37).unwrap();
            assert_eq!(sig.len(), 2 * n);
            assert_eq!(verify(ty, MechParam::None, &pk, &data, &sig), Ok(()));
            // ECDSA is randomised; both signatures verify.
            let again = sign(ty, MechParam::None, &sk, &data, data.len()).unwrap();
            assert_ne!(again, sig);
            assert_eq!(verify(ty, MechParam::None, &pk, &data, &again), Ok(()));
            let mut bad = sig.clone();
            bad[n + 3] ^= 0x10;
            assert_eq!(
                verify(ty, MechParam::None, &pk, &data, &bad),
                Err(Ckr::SIGNATURE_INVALID)
            );
            assert_eq!(
                verify(ty, MechParam::None, &pk, &data[1..], &sig),
                Err(Ckr::SIGNATURE_INVALID)
            );
            assert_eq!(
                verify(ty, MechParam::None, &pk, &data, &sig[1..]),
                Err(Ckr::SIGNATURE_LEN_RANGE)
            );
        }
        // CKM_ECDSA over the SHA-256 digest is CKM_ECDSA_SHA256.
        let digest = <sha2::Sha256 as sha2::Digest>::digest(&data);
        let sig = sign(CKM_ECDSA_SHA256, MechParam::None, &sk, &data, 1000).unwrap();
        assert_eq!(
            verify(CKM_ECDSA, MechParam::None, &pk, &digest, &sig),
            Ok(())
        );
        let sig = sign(CKM_ECDSA, MechParam::None, &sk, &digest, 5).unwrap();
        assert_eq!(
            verify(CKM_ECDSA_SHA256, MechParam::None, &pk, &data, &sig),
            Ok(())
        );
    }
}

#[test]
fn ecdsa_truncates_long_digests() {
    // FIPS 186-5: only the leftmost bits up to the order's length count.
    for (curve, len, bits) in [
        (Curve::P256, 64, 256),
        (Curve::P384, 64, 384),
        (Curve::P521, 80, 521),
    ] {
        let (pk, sk) = generate(curve, &curve.params_der().unwrap()).unwrap();
        let input: Vec<u8> = (0..len as u8)
            .map(|i| i.wrapping_mul(29).wrapping_add(1))
            .collect();
        let sig = sign(CKM_ECDSA, MechParam::None, &sk, &input, len).unwrap();
        assert_eq!(
            verify(CKM_ECDSA, MechParam::None, &pk, &input, &sig),
            Ok(())
        );
        // A bit past the order's length does not matter; one within does.
        let mut beyond = input.clone();
        beyond[bits / 8] ^= 0x80 >> (bits % 8);
        assert_eq!(
            verify(CKM_ECDSA, MechParam::None, &pk, &beyond, &sig),
            Ok(())
        );
        let mut within = input.clone();
        within[(bits - 1) / 8] ^= 0x80 >> ((bits - 1) % 8);
        assert_eq!(
            verify(CKM_ECDSA, MechParam::None, &pk, &within, &sig),
            Err(Ckr::SIGNATURE_INVALID)
        );
    }
    // A short digest is an integer: leading zero bytes change nothing.
    let (pk, sk) = generate(Curve::P256, &Curve::P256.params_der().unwrap()).unwrap();
    let sig = sign(CKM_ECDSA, MechParam::None, &sk, &[0, 0, 5, 6, 7], 5).unwrap();
    assert_eq!(
        verify(CKM_ECDSA, MechParam::None, &pk, &[5, 6, 7], &sig),
        Ok(())
    );
}

#[test]
fn ecdsa_key_and_parameter_checks() {
    let (pk, sk) = generate(Curve::P256, &Curve::P256.params_der().unwrap()).unwrap();
    let (ed_pk, ed_sk) = generate(Curve::Ed25519, &Curve::Ed25519.params_der().unwrap()).unwrap();
    for (key, ok) in [(&sk, true), (&pk, false), (&ed_sk, false)] {
        let r = sign(CKM_ECDSA_SHA256, MechParam::None, key, b"m", 1);
        assert_eq!(r.is_ok(), ok);
        if !ok {
            assert_eq!(r, Err(Ckr::KEY_TYPE_INCONSISTENT));
        }
    }
    assert_eq!(
        verify(CKM_ECDSA_SHA256, MechParam::None, &ed_pk, b"m", &[0; 64]),
        Err(Ckr::KEY_TYPE_INCONSISTENT)
    );
    assert_eq!(
        sign(CKM_ECDSA, MechParam::Bytes(vec![0]), &sk, b"m", 1),
        Err(Ckr::MECHANISM_PARAM_INVALID)
    );
    let m = mech(CKM_ECDSA, MechParam::None);
    assert_eq!(
        registry().get(CKM_ECDSA).unwrap().encrypt(&m, &pk).err(),
        Some(Ckr::MECHANISM_INVALID)
    );
}

/// CK_EDDSA_PARAMS (phFlag, context), or None for no parameter.
type Variant = Option<(bool, &'static str)>;

/// RFC 8032 §7: (variant, secret, public, message, signature).
const RFC8032: &[(Variant, &str, &str, &str, &str)] = &[
    (
        None,
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        None,
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        Some((false, "666f6f")),
        "0305334e381af78f141cb666f6199f57bc3495335a256a95bd2a55bf546663f6",
        "dfc9425e4f968f7f0c29f0259cf5f9aed6851c2bb4ad8bfb860cfee0ab248292",
        "f726936d19c800494e3fdaff20b276a8",
        "55a4cc2f70a54e04288c5f4cd1e45a7bb520b36292911876cada7323198dd87a8b36950b95130022907a7fb7c4e9b2d5f6cca685a587b4b21f4b888e4e7edb0d",
    ),
    (
        Some((true, "")),
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "616263",
        "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406",
    ),
];

#[test]
fn eddsa_rfc8032_vectors() {
    for (variant, secret, public, msg, expected) in RFC8032 {
        let sk = kat_key(CKO_PRIVATE_KEY, Curve::Ed25519, CKA_VALUE, secret).unwrap();
        let pk = kat_key(CKO_PUBLIC_KEY, Curve::Ed25519, CKA_EC_POINT, public).unwrap();
        let derived = registry()
            .family(CKK_EC_EDWARDS)
            .unwrap()
            .unwrap()
            .public_from_private(&sk)
            .unwrap();
        assert_eq!(derived.get(CKA_EC_POINT), pk.get(CKA_EC_POINT));
        let param = match variant {
            None => MechParam::None,
            Some((prehash, context)) => MechParam::EdDsa {
                prehash: *prehash,
                context: hex::decode(context).unwrap(),
            },
        };
        let (msg, expected) = (hex::decode(msg).unwrap(), hex::decode(expected).unwrap());
        for chunk in [1, 2, 1000] {
            assert_eq!(
                sign(CKM_EDDSA, param.clone(), &sk, &msg, chunk).unwrap(),
                expected
            );
        }
        assert_eq!(
            verify(CKM_EDDSA, param.clone(), &pk, &msg, &expected),
            Ok(())
        );
        let mut bad = expected.clone();
        bad[0] ^= 1;
        assert_eq!(
            verify(CKM_EDDSA, param.clone(), &pk, &msg, &bad),
            Err(Ckr::SIGNATURE_INVALID)
        );
        assert_eq!(
            verify(CKM_EDDSA, param, &pk, &msg, &expected[..63]),
            Err(Ckr::SIGNATURE_LEN_RANGE)
        );
    }
}

#[test]
fn eddsa_variants_are_distinct() {
    let (pk, sk) = generate(Curve::Ed25519, &printable("edwards25519")).unwrap();
    let ctx = |prehash, context: &[u8]| MechParam::EdDsa {
        prehash,
        context: context.to_vec(),
    };
    let params = [
        MechParam::None,
        ctx(false, b"a"),
        ctx(false, b"b"),
        ctx(true, b""),
        ctx(true, b"a"),
    ];
    let sigs: Vec<Vec<u8>> = params
        .iter()
        .map(|p| sign(CKM_EDDSA, p.clone(), &sk, b"message", 3).unwrap())
        .collect();
    for (i, p) in params.iter().enumerate() {
        for (j, sig) in sigs.iter().enumerate() {
            let r = verify(CKM_EDDSA, p.clone(), &pk, b"message", sig);
            assert_eq!(r.is_ok(), i == j, "{i} {j}");
        }
    }
    // phFlag false without a context is pure Ed25519.
    assert_eq!(
        verify(CKM_EDDSA, ctx(false, b""), &pk, b"message", &sigs[0]),
        Ok(())
    );
    assert_eq!(
        sign(CKM_EDDSA, ctx(true, &[0; 256]), &sk, b"m", 1),
        Err(Ckr::MECHANISM_PARAM_INVALID)
    );
    assert_eq!(
        sign(CKM_EDDSA, MechParam::Bytes(vec![1]), &sk, b"m", 1),
        Err(Ckr::MECHANISM_PARAM_INVALID)
    );
    let (ec_pk, _) = generate(Curve::P256, &Curve::P256.params_der().unwrap()).unwrap();
    assert_eq!(
        verify(CKM_EDDSA, MechParam::None, &ec_pk, b"m", &sigs[0]),
        Err(Ckr::KEY_TYPE_INCONSISTENT)
    );
}

/// Derive through ECDH with `template` and `kdf`.
fn derive(
    ty: CK_MECHANISM_TYPE,
    sk: &Attributes,
    peer: &[u8],
    kdf: CK_EC_KDF_TYPE,
    shared: &[u8],
    template: &Attributes,
) -> Result<Vec<u8>> {
    let param = MechParam::Ecdh {
        kdf,
        shared_data: shared.to_vec(),
        public_data: peer.to_vec(),
    };
    let out = registry().get(ty)?.derive(&mech(ty, param), sk, template)?;
    Ok(out.get(CKA_VALUE).unwrap().to_vec())
}

fn secret_template(len: Option<CK_ULONG>, key_type: Option<CK_KEY_TYPE>) -> Attributes {
    let mut t = Attributes::new();
    t.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    if let Some(len) = len {
        t.set_ulong(CKA_VALUE_LEN, len);
    }
    if let Some(kt) = key_type {
        t.set_ulong(CKA_KEY_TYPE, kt);
    }
    t
}

#[test]
fn ecdh_agrees_and_applies_kdfs() {
    for curve in [Curve::P256, Curve::P384, Curve::P521, Curve::X25519] {
        let (a_pk, a_sk) = generate(curve, &curve.params_der().unwrap()).unwrap();
        let (b_pk, b_sk) = generate(curve, &printable(curve_name(curve))).unwrap();
        let a_point = a_pk.get(CKA_EC_POINT).unwrap();
        let b_point = curve.raw_point(b_pk.get(CKA_EC_POINT).unwrap()).unwrap();
        let whole = secret_template(None, None);
        let ab = derive(CKM_ECDH1_DERIVE, &a_sk, &b_point, CKD_NULL, &[], &whole).unwrap();
        // The peer's point in DER, as CKA_EC_POINT holds it, works too.
        let ba = derive(CKM_ECDH1_DERIVE, &b_sk, a_point, CKD_NULL, &[], &whole).unwrap();
        assert_eq!(ab, ba);
        assert_eq!(
            ab.len(),
            if curve.is_prime() {
                curve.private_len()
            } else {
                32
            }
        );
        // Truncation keeps the trailing bytes (PKCS#11 §2.3.10).
        let short = derive(
            CKM_ECDH1_DERIVE,
            &a_sk,
            &b_point,
            CKD_NULL,
            &[],
            &secret_template(Some(16), None),
        )
        .unwrap();
        assert_eq!(short, ab[ab.len() - 16..]);
        let aes = derive(
            CKM_ECDH1_DERIVE,
            &a_sk,
            &b_point,
            CKD_NULL,
            &[],
            &secret_template(None, Some(CKK_AES)),
        )
        .unwrap();
        assert_eq!(aes, ab[ab.len() - 32..]);
        let too_long = secret_template(Some(ab.len() as CK_ULONG + 1), None);
        assert_eq!(
            derive(CKM_ECDH1_DERIVE, &a_sk, &b_point, CKD_NULL, &[], &too_long),
            Err(Ckr::TEMPLATE_INCONSISTENT)
        );
        // X9.63 KDFs over the raw secret, with shared data.
        for kdf in [CKD_SHA1_KDF, CKD_SHA256_KDF, CKD_SHA512_KDF] {
            let t = secret_template(Some(40), None);
            let got = derive(CKM_ECDH1_DERIVE, &a_sk, &b_point, kdf, b"info", &t).unwrap();
            let want = x963_kdf(kdf).unwrap()(&ab, b"info", 40);
            assert_eq!(got, *want);
            assert_eq!(
                derive(CKM_ECDH1_DERIVE, &b_sk, a_point, kdf, b"info", &t).unwrap(),
                got
            );
        }
        let cofactor = derive(
            CKM_ECDH1_COFACTOR_DERIVE,
            &a_sk,
            &b_point,
            CKD_NULL,
            &[],
            &whole,
        );
        if curve.is_prime() {
            assert_eq!(cofactor.unwrap(), ab);
        } else {
            assert_eq!(cofactor, Err(Ckr::KEY_TYPE_INCONSISTENT));
        }
        // Parameter errors.
        assert_eq!(
            derive(CKM_ECDH1_DERIVE, &a_sk, &b_point, CKD_NULL, b"x", &whole),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        assert_eq!(
            derive(CKM_ECDH1_DERIVE, &a_sk, &b_point, 0x77, &[], &whole),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        assert_eq!(
            derive(
                CKM_ECDH1_DERIVE,
                &a_sk,
                &b_point[1..],
                CKD_NULL,
                &[],
                &whole
            ),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        assert_eq!(
            derive(CKM_ECDH1_DERIVE, &a_pk, &b_point, CKD_NULL, &[], &whole),
            Err(Ckr::KEY_TYPE_INCONSISTENT)
        );
    }
    // A point off the curve, and a compressed one.
    let (_, sk) = generate(Curve::P256, &Curve::P256.params_der().unwrap()).unwrap();
    let (pk, _) = generate(Curve::P256, &Curve::P256.params_der().unwrap()).unwrap();
    let mut point = Curve::P256
        .raw_point(pk.get(CKA_EC_POINT).unwrap())
        .unwrap();
    let mut compressed = point[..33].to_vec();
    compressed[0] = 2 + (point[64] & 1);
    point[40] ^= 1;
    let whole = secret_template(None, None);
    for peer in [point, compressed] {
        assert_eq!(
            derive(CKM_ECDH1_DERIVE, &sk, &peer, CKD_NULL, &[], &whole),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }
    let m = mech(CKM_ECDH1_DERIVE, MechParam::None);
    assert_eq!(
        registry()
            .get(CKM_ECDH1_DERIVE)
            .unwrap()
            .derive(&m, &sk, &whole)
            .err(),
        Some(Ckr::MECHANISM_PARAM_INVALID)
    );
}

#[test]
fn families_complete_imported_keys() {
    let family = registry().family(CKK_EC).unwrap().unwrap();
    // 1·G with its scalar sent without leading zeros.
    let mut sk = Attributes::new();
    sk.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    sk.set_ulong(CKA_KEY_TYPE, CKK_EC);
    sk.set(CKA_EC_PARAMS, printable("prime256v1"));
    sk.set(CKA_VALUE, vec![1]);
    family.complete_private(&mut sk).unwrap();
    let mut one = [0u8; 32];
    one[31] = 1;
    assert_eq!(sk.get(CKA_VALUE), Some(&one[..]));
    let g = family.public_from_private(&sk).unwrap();
    let g_point = Curve::P256.raw_point(g.get(CKA_EC_POINT).unwrap()).unwrap();
    assert_eq!(sk.get(CKA_PUBLIC_KEY_INFO), g.get(CKA_PUBLIC_KEY_INFO));
    // A CKA_PUBLIC_KEY_INFO of another key is refused.
    let mut wrong = sk.clone();
    wrong.set(CKA_VALUE, vec![2]);
    assert_eq!(
        family.complete_private(&mut wrong),
        Err(Ckr::TEMPLATE_INCONSISTENT)
    );
    for bad in [vec![0u8], vec![0xff; 32], vec![1; 33]] {
        let mut k = sk.clone();
        k.set(CKA_PUBLIC_KEY_INFO, Vec::new());
        k.set(CKA_VALUE, bad);
        assert_eq!(
            family.complete_private(&mut k),
            Err(Ckr::ATTRIBUTE_VALUE_INVALID)
        );
    }
    let mut no_params = sk.clone();
    no_params.remove(CKA_EC_PARAMS);
    assert_eq!(
        family.complete_private(&mut no_params),
        Err(Ckr::TEMPLATE_INCOMPLETE)
    );
    let mut ed_params = sk.clone();
    ed_params.set(CKA_EC_PARAMS, Curve::Ed25519.params_der().unwrap());
    assert_eq!(
        family.complete_private(&mut ed_params),
        Err(Ckr(CKR_CURVE_NOT_SUPPORTED))
    );

    // A raw point is accepted and stored in DER.
    let mut pk = Attributes::new();
    pk.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
    pk.set_ulong(CKA_KEY_TYPE, CKK_EC);
    pk.set(CKA_EC_PARAMS, Curve::P256.params_der().unwrap());
    pk.set(CKA_EC_POINT, g_point.clone());
    family.complete_public(&mut pk).unwrap();
    assert_eq!(pk.get(CKA_EC_POINT), g.get(CKA_EC_POINT));
    assert_eq!(pk.get(CKA_PUBLIC_KEY_INFO), g.get(CKA_PUBLIC_KEY_INFO));
    let mut off = g_point.clone();
    off[64] ^= 1;
    let mut compressed = g_point[..33].to_vec();
    compressed[0] = 2 + (g_point[64] & 1);
    for bad in [off, compressed, vec![0u8]] {
        let mut k = pk.clone();
        k.set(CKA_EC_POINT, bad);
        assert_eq!(
            family.complete_public(&mut k),
            Err(Ckr::ATTRIBUTE_VALUE_INVALID)
        );
    }
    // Ed25519 and X25519 public keys: 32 bytes, raw or wrapped.
    for curve in [Curve::Ed25519, Curve::X25519] {
        let f = registry().family(curve.key_type()).unwrap().unwrap();
        let mut k = Attributes::new();
        k.set_ulong(CKA_KEY_TYPE, curve.key_type());
        k.set(CKA_EC_PARAMS, printable(curve_name(curve)));
        k.set(CKA_EC_POINT, vec![9u8; 32]);
        f.complete_public(&mut k).unwrap();
        assert_eq!(
            k.get(CKA_EC_POINT),
            Some(&curve.point_der(&[9u8; 32]).unwrap()[..])
        );
        k.set(CKA_EC_POINT, vec![9u8; 31]);
        assert_eq!(f.complete_public(&mut k), Err(Ckr::ATTRIBUTE_VALUE_INVALID));
    }
}

#[test]
fn pkcs8_round_trips() {
    for curve in Curve::ALL {
        let (pk, sk) = generate(curve, &curve.params_der().unwrap()).unwrap();
        let family = registry().family(curve.key_type()).unwrap().unwrap();
        let der = family.export_private(&sk).unwrap();
        let mut back = family.import_private(&der).unwrap();
        assert_eq!(back.get(CKA_VALUE), sk.get(CKA_VALUE));
        assert_eq!(
            back.get(CKA_EC_PARAMS),
            Some(&curve.params_der().unwrap()[..])
        );
        back.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
        back.set_ulong(CKA_KEY_TYPE, curve.key_type());
        family.complete_private(&mut back).unwrap();
        assert_eq!(back.get(CKA_PUBLIC_KEY_INFO), pk.get(CKA_PUBLIC_KEY_INFO));
        // An independent parser reads the same key.
        match curve {
            Curve::Ed25519 => {
                use aws_lc_rs::signature::KeyPair;
                let pair = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8(&der).unwrap();
                let raw = curve.raw_point(pk.get(CKA_EC_POINT).unwrap()).unwrap();
                assert_eq!(pair.public_key().as_ref(), &raw[..]);
            }
            Curve::X25519 => {
                // RFC 8410: SEQUENCE { 0, { id-X25519 }, OCTET STRING { OCTET STRING k } }
                assert_eq!(hex::encode(&der[..16]), "302e020100300506032b656e04220420");
                assert_eq!(&der[16..], sk.get(CKA_VALUE).unwrap());
            }
            _ => {
                let alg = match curve {
                    Curve::P256 => &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    Curve::P384 => &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                    _ => &aws_lc_rs::signature::ECDSA_P521_SHA512_FIXED_SIGNING,
                };
                assert!(aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(alg, &der).is_ok());
            }
        }
        // Another family, a truncated encoding.
        let other = registry()
            .family(if curve.is_prime() {
                CKK_EC_EDWARDS
            } else {
                CKK_EC
            })
            .unwrap()
            .unwrap();
        assert_eq!(
            other.import_private(&der).err(),
            Some(Ckr::WRAPPED_KEY_INVALID)
        );
        assert_eq!(
            family.import_private(&der[..der.len() - 1]).err(),
            Some(Ckr::WRAPPED_KEY_INVALID)
        );
    }
    // RFC 8410 §10.3's example Ed25519 private key.
    let example = hex::decode(
        "302e020100300506032b657004220420d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842",
    )
    .unwrap();
    let key = registry()
        .family(CKK_EC_EDWARDS)
        .unwrap()
        .unwrap()
        .import_private(&example)
        .unwrap();
    assert_eq!(
        hex::encode(key.get(CKA_VALUE).unwrap()),
        "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842"
    );
}

#[test]
fn registry_and_self_test() {
    for (ty, flag, min, max) in [
        (CKM_EC_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, 256, 521),
        (CKM_ECDSA, CKF_SIGN, 256, 521),
        (CKM_ECDSA_SHA512, CKF_VERIFY, 256, 521),
        (CKM_ECDH1_DERIVE, CKF_DERIVE, 255, 521),
        (CKM_ECDH1_COFACTOR_DERIVE, CKF_DERIVE, 256, 521),
        (CKM_EC_EDWARDS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, 255, 255),
        (
            CKM_EC_MONTGOMERY_KEY_PAIR_GEN,
            CKF_GENERATE_KEY_PAIR,
            255,
            255,
        ),
        (CKM_EDDSA, CKF_SIGN, 255, 255),
    ] {
        let info = registry().get(ty).unwrap().info();
        assert_ne!(info.flags & flag, 0);
        assert_eq!((info.ulMinKeySize, info.ulMaxKeySize), (min, max));
    }
    assert_eq!(super::known_answer(), Ok(true));
    let start = std::time::Instant::now();
    assert_eq!(super::known_answer(), Ok(true));
    println!("known-answer test: {:?}", start.elapsed());
}

#[test]
fn timings() {
    fn per_call(n: u32, mut f: impl FnMut()) -> f64 {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
    }
    let (pk, sk) = generate(Curve::P256, &Curve::P256.params_der().unwrap()).unwrap();
    let digest = [7u8; 32];
    let sig = sign(CKM_ECDSA, MechParam::None, &sk, &digest, 32).unwrap();
    let ecdsa_sign = per_call(200, || {
        sign(CKM_ECDSA, MechParam::None, &sk, &digest, 32).unwrap();
    });
    let ecdsa_verify = per_call(200, || {
        verify(CKM_ECDSA, MechParam::None, &pk, &digest, &sig).unwrap();
    });
    let (_, ed) = generate(Curve::Ed25519, &Curve::Ed25519.params_der().unwrap()).unwrap();
    let ed_sign = per_call(200, || {
        sign(CKM_EDDSA, MechParam::None, &ed, b"message", 7).unwrap();
    });
    println!(
        "µs per call: ECDSA P-256 sign {ecdsa_sign:.1}, verify {ecdsa_verify:.1}; Ed25519 sign {ed_sign:.1}"
    );
    // Generous bounds: these are tens of microseconds on an idle machine.
    assert!(ecdsa_sign < 5000.0 && ecdsa_verify < 5000.0 && ed_sign < 5000.0);
}
