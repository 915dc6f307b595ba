//! HKDF and the SP 800-108 counter and feedback KDFs through the registry:
//! RFC 5869, the Wycheproof HKDF files, NIST CAVP KBKDF vectors (HMAC and
//! AES-CMAC PRFs, counter and feedback modes), additional derived keys, and
//! the parameter rules.

use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use crate::mech::ec::wycheproof::run;
use crate::mech::test_vectors::Field;
use crate::mech::{registry, MechParam, Mechanism, PrfData};
use cryptoki_sys::*;
use hmac::{Hmac, Mac};

fn secret(key_type: CK_KEY_TYPE, value: &[u8]) -> Attributes {
    let mut k = Attributes::new();
    k.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    k.set_ulong(CKA_KEY_TYPE, key_type);
    k.set(CKA_VALUE, value.to_vec());
    k
}

fn template(class: CK_OBJECT_CLASS, len: Option<usize>) -> Attributes {
    let mut t = Attributes::new();
    t.set_ulong(CKA_CLASS, class);
    if let Some(len) = len {
        t.set_ulong(CKA_VALUE_LEN, len as CK_ULONG);
    }
    t
}

fn derive(
    ty: CK_MECHANISM_TYPE,
    param: MechParam,
    base: &Attributes,
    t: &Attributes,
) -> Result<Vec<u8>> {
    let out = registry()
        .get(ty)?
        .derive(&Mechanism { ty, param }, base, t)?;
    assert!(
        out.types().all(|t| t == CKA_VALUE || t == CKA_CLASS),
        "only CKA_VALUE (and the class) is supplied"
    );
    Ok(out.get(CKA_VALUE).unwrap().to_vec())
}

fn hkdf(
    extract: bool,
    expand: bool,
    prf: CK_MECHANISM_TYPE,
    salt: Option<&[u8]>,
    info: &[u8],
) -> MechParam {
    MechParam::Hkdf {
        extract,
        expand,
        prf,
        salt_type: if salt.is_some() {
            CKF_HKDF_SALT_DATA
        } else {
            CKF_HKDF_SALT_NULL
        },
        salt: salt.unwrap_or_default().to_vec(),
        salt_key: CK_INVALID_HANDLE,
        info: info.to_vec(),
    }
}

/// RFC 5869 appendix A: (hash, IKM, salt, info, PRK, OKM).
const RFC5869: &[(CK_MECHANISM_TYPE, &str, &str, &str, &str, &str)] = &[
    (
        CKM_SHA256,
        "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        "000102030405060708090a0b0c",
        "f0f1f2f3f4f5f6f7f8f9",
        "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    ),
    (
        CKM_SHA256,
        "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
        "",
        "",
        "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    ),
    (
        CKM_SHA_1,
        "0b0b0b0b0b0b0b0b0b0b0b",
        "000102030405060708090a0b0c",
        "f0f1f2f3f4f5f6f7f8f9",
        "9b6c18c432a7bf8f0e71c8eb88f4b30baa2ba243",
        "085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896",
    ),
];

#[test]
fn hkdf_rfc5869() {
    for (prf, ikm, salt, info, prk, okm) in RFC5869 {
        let base = secret(CKK_GENERIC_SECRET, &hex::decode(ikm).unwrap());
        let (salt, info) = (hex::decode(salt).unwrap(), hex::decode(info).unwrap());
        let salt = (!salt.is_empty()).then_some(&salt[..]);
        let (prk, okm) = (hex::decode(prk).unwrap(), hex::decode(okm).unwrap());
        let t = template(CKO_SECRET_KEY, Some(okm.len()));
        assert_eq!(
            derive(
                CKM_HKDF_DERIVE,
                hkdf(true, true, *prf, salt, &info),
                &base,
                &t
            )
            .unwrap(),
            okm
        );
        // Extract alone gives the PRK; expand alone from the PRK gives the OKM.
        let prk_t = template(CKO_SECRET_KEY, None);
        assert_eq!(
            derive(
                CKM_HKDF_DERIVE,
                hkdf(true, false, *prf, salt, &[]),
                &base,
                &prk_t
            )
            .unwrap(),
            prk
        );
        let prk_key = secret(CKK_HKDF, &prk);
        assert_eq!(
            derive(
                CKM_HKDF_DERIVE,
                hkdf(false, true, *prf, None, &info),
                &prk_key,
                &t
            )
            .unwrap(),
            okm
        );
        // CKM_HKDF_DATA makes the same bytes for a data object.
        let data_t = template(CKO_DATA, Some(okm.len()));
        assert_eq!(
            derive(
                CKM_HKDF_DATA,
                hkdf(true, true, *prf, salt, &info),
                &base,
                &data_t
            )
            .unwrap(),
            okm
        );
    }
}

#[test]
fn hkdf_parameter_rules() {
    let base = secret(CKK_GENERIC_SECRET, &[1; 32]);
    let t = template(CKO_SECRET_KEY, Some(32));
    let bad_params = [
        hkdf(false, false, CKM_SHA256, None, &[]),
        hkdf(true, true, CKM_MD5, None, &[]),
        hkdf(true, true, CKM_SHA256_HMAC, None, &[]),
        // A data salt must have bytes; the null salt must have none.
        MechParam::Hkdf {
            extract: true,
            expand: true,
            prf: CKM_SHA256,
            salt_type: CKF_HKDF_SALT_DATA,
            salt: vec![],
            salt_key: CK_INVALID_HANDLE,
            info: vec![],
        },
        MechParam::Hkdf {
            extract: true,
            expand: true,
            prf: CKM_SHA256,
            salt_type: CKF_HKDF_SALT_NULL,
            salt: vec![1],
            salt_key: CK_INVALID_HANDLE,
            info: vec![],
        },
        // A salt from a key object needs the token.
        MechParam::Hkdf {
            extract: true,
            expand: true,
            prf: CKM_SHA256,
            salt_type: CKF_HKDF_SALT_KEY,
            salt: vec![],
            salt_key: 5,
            info: vec![],
        },
        MechParam::Bytes(vec![0; 64]),
        MechParam::None,
    ];
    for p in bad_params {
        assert_eq!(
            derive(CKM_HKDF_DERIVE, p, &base, &t),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }
    let p = hkdf(true, true, CKM_SHA256, Some(b"salt"), b"info");
    // Extract-only output is exactly one hash length.
    assert_eq!(
        derive(
            CKM_HKDF_DERIVE,
            hkdf(true, false, CKM_SHA256, None, &[]),
            &base,
            &template(CKO_SECRET_KEY, Some(16))
        ),
        Err(Ckr::TEMPLATE_INCONSISTENT)
    );
    // Expand-only needs a PRK of at least one hash length.
    assert_eq!(
        derive(
            CKM_HKDF_DERIVE,
            hkdf(false, true, CKM_SHA256, None, &[]),
            &secret(CKK_GENERIC_SECRET, &[1; 31]),
            &t
        ),
        Err(Ckr::KEY_SIZE_RANGE)
    );
    for wrong in [secret(CKK_AES, &[1; 32]), {
        let mut k = secret(CKK_GENERIC_SECRET, &[1; 32]);
        k.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
        k
    }] {
        assert_eq!(
            derive(CKM_HKDF_DERIVE, p.clone(), &wrong, &t),
            Err(Ckr::KEY_TYPE_INCONSISTENT)
        );
    }
    // Each mechanism makes its own class of object.
    assert_eq!(
        derive(CKM_HKDF_DATA, p.clone(), &base, &t),
        Err(Ckr::TEMPLATE_INCONSISTENT)
    );
    assert_eq!(
        derive(
            CKM_HKDF_DERIVE,
            p.clone(),
            &base,
            &template(CKO_DATA, Some(32))
        ),
        Err(Ckr::TEMPLATE_INCONSISTENT)
    );
    // Lengths: default one hash length (AES: the longest AES key that fits),
    // zero and 255 hash lengths plus one refused.
    assert_eq!(
        derive(
            CKM_HKDF_DERIVE,
            p.clone(),
            &base,
            &template(CKO_SECRET_KEY, None)
        )
        .unwrap()
        .len(),
        32
    );
    let mut aes = template(CKO_SECRET_KEY, None);
    aes.set_ulong(CKA_KEY_TYPE, CKK_AES);
    let sha1 = hkdf(true, true, CKM_SHA_1, None, &[]);
    assert_eq!(
        derive(CKM_HKDF_DERIVE, sha1, &base, &aes).unwrap().len(),
        16
    );
    for len in [0, 255 * 32 + 1] {
        assert_eq!(
            derive(
                CKM_HKDF_DATA,
                p.clone(),
                &base,
                &template(CKO_DATA, Some(len))
            ),
            Err(Ckr::TEMPLATE_INCONSISTENT)
        );
    }
    assert_eq!(
        derive(CKM_HKDF_DATA, p, &base, &template(CKO_DATA, Some(255 * 32)))
            .unwrap()
            .len(),
        8160
    );
}

#[test]
fn hkdf_wycheproof() {
    for (file, prf) in [
        ("hkdf_sha256_test", CKM_SHA256),
        ("hkdf_sha384_test", CKM_SHA384),
        ("hkdf_sha512_test", CKM_SHA512),
    ] {
        run(file, |_, test| {
            let base = secret(CKK_GENERIC_SECRET, &test["ikm"].hex());
            let salt = test["salt"].hex();
            let salt = (!salt.is_empty()).then_some(&salt[..]);
            let param = hkdf(true, true, prf, salt, &test["info"].hex());
            let t = template(CKO_DATA, Some(test["size"].num() as usize));
            match derive(CKM_HKDF_DATA, param, &base, &t) {
                Ok(okm) => {
                    assert_eq!(okm, test["okm"].hex(), "tcId {}", test["tcId"].num());
                    true
                }
                Err(e) => {
                    assert_eq!(e, Ckr::TEMPLATE_INCONSISTENT);
                    false
                }
            }
        });
    }
}

fn counter(width_bits: CK_ULONG) -> PrfData {
    PrfData::Counter {
        little_endian: false,
        width_bits,
    }
}

fn kbkdf(prf: CK_MECHANISM_TYPE, data: Vec<PrfData>) -> MechParam {
    MechParam::Kbkdf {
        prf,
        data,
        iv: vec![],
        additional: vec![],
    }
}

fn feedback(prf: CK_MECHANISM_TYPE, data: Vec<PrfData>, iv: &[u8]) -> MechParam {
    MechParam::Kbkdf {
        prf,
        data,
        iv: iv.to_vec(),
        additional: vec![],
    }
}

fn optional_counter(width_bits: CK_ULONG) -> PrfData {
    PrfData::OptionalCounter {
        little_endian: false,
        width_bits,
    }
}

/// NIST CAVP KBKDF (SP 800-108, CAVS 14.4), counter mode,
/// [PRF=HMAC_SHA256] [CTRLOCATION=BEFORE_FIXED]: (RLEN, KI, FixedInputData, KO).
const CAVP: &[(CK_ULONG, &str, &str, &str)] = &[
    (
        32,
        "dd1d91b7d90b2bd3138533ce92b272fbf8a369316aefe242e659cc0ae238afe0",
        "01322b96b30acd197979444e468e1c5c6859bf1b1cf951b7e725303e237e46b8\
         64a145fab25e517b08f8683d0315bb2911d80a0e8aba17f3b413faac",
        "10621342bfb0fd40046c0e29f2cfdbf0",
    ),
    (
        32,
        "c4bedbddb66493e7c7259a3bbbc25f8c7e0ca7fe284d92d431d9cd99a0d214ac",
        "1c69c54766791e315c2cc5c47ecd3ffab87d0d273dd920e70955814c220eacac\
         e6a5946542da3dfe24ff626b4897898cafb7db83bdff3c14fa46fd4b",
        "1da47638d6c9c4d04d74d4640bbd42ab814d9e8cc22f4326695239f96b0693f12d0dd1152cf44430",
    ),
    (
        8,
        "3edc6b5b8f7aadbd713732b482b8f979286e1ea3b8f8f99c30c884cfe3349b83",
        "98e9988bb4cc8b34d7922e1c68ad692ba2a1d9ae15149571675f17a77ad49e80\
         c8d2a85e831a26445b1f0ff44d7084a17206b4896c8112daad18605a",
        "6c037652990674a07844732d0ad985f9",
    ),
];

/// NIST CAVP KBKDF counter mode, [PRF=CMAC_AES128] and [PRF=CMAC_AES256]
/// [CTRLOCATION=BEFORE_FIXED] [RLEN=32_BITS]: (KI, FixedInputData, KO). Also
/// checked against OpenSSL 3.0's KBKDF (mode COUNTER, mac CMAC).
const CAVP_CMAC: &[(&str, &str, &str)] = &[
    (
        "c10b152e8c97b77e18704e0f0bd38305",
        "98cd4cbbbebe15d17dc86e6dbad800a2dcbd64f7c7ad0e78e9cf94ffdba89d03\
         e97eadf6c4f7b806caf52aa38f09d0eb71d71f497bcc6906b48d36c4",
        "26faf61908ad9ee881b8305c221db53f",
    ),
    (
        "695f1b1a16c949cea51cdf2554ec9d42",
        "4fce5942832a390aa1cbe8a0bf9d202cb799e986c9d6b51f45e4d597a6b57f06\
         a4ebfec6467335d116b7f5f9c5b954062f661820f5db2a5bbb3e0625",
        "d34b601ec18c34dfa0f9e0b7523e218bdddb9befe8d08b6c0202d75ace0dba89",
    ),
    (
        "d0b1b3b70b2393c48ca05159e7e28cbeadea93f28a7cdae964e5136070c45d5c",
        "dd2f151a3f173492a6fbbb602189d51ddf8ef79fc8e96b8fcbe6dabe73a35b48\
         104f9dff2d63d48786d2b3af177091d646a9efae005bdfacb61a1214",
        "8c449fb474d1c1d4d2a33827103b656a",
    ),
];

#[test]
fn sp800_108_cavp_cmac() {
    for (ki, fixed, ko) in CAVP_CMAC {
        let base = secret(CKK_AES, &hex::decode(ki).unwrap());
        let ko = hex::decode(ko).unwrap();
        let data = vec![counter(32), PrfData::Bytes(hex::decode(fixed).unwrap())];
        let t = template(CKO_SECRET_KEY, Some(ko.len()));
        let out = derive(
            CKM_SP800_108_COUNTER_KDF,
            kbkdf(CKM_AES_CMAC, data),
            &base,
            &t,
        )
        .unwrap();
        assert_eq!(hex::encode(out), hex::encode(ko));
    }
}

/// NIST CAVP KBKDF feedback mode, [CTRLOCATION=AFTER_ITER]: K(i) =
/// PRF(KI, K(i-1) ‖ [i]_r ‖ FixedInputData), K(0) = IV. (PRF, RLEN, KI, IV,
/// FixedInputData, KO). The first is from FeedbackModeNOzeroiv (and agrees
/// with OpenSSL 3.0's KBKDF, mode FEEDBACK); the second has an empty IV.
const CAVP_FEEDBACK: &[(CK_MECHANISM_TYPE, CK_ULONG, &str, &str, &str, &str)] = &[
    (
        CKM_SHA256_HMAC,
        32,
        "93f698e842eed75394d629d957e2e89c6e741f810b623c8b901e38376d068e7b",
        "9f575d9059d3e0c0803f08112f8a806de3c3471912cdf42b095388b14b33508e",
        "53b89c18690e2057a1d167822e636de50be0018532c431f7f5e37f77139220d5\
         e042599ebe266af5767ee18cd2c5c19a1f0f80",
        "bd1476f43a4e315747cf5918e0ea5bc0d98769457477c3ab18b742def0e079a9\
         33b756365afb5541f253fee43c6fd788a44041038509e9eeb68f7d65ffbb5f95",
    ),
    (
        CKM_AES_CMAC,
        16,
        "d7f5fa7551645de0b36aecd46565f954",
        "",
        "fb5294ed40a0e4aa70a7be13913070a4c5cfc05f89b9f7dd26a493b8c63889c7\
         c3b0b60dd6d598ffa296a426224c727a501946",
        "7164471f559812581a53aaf7fb6d6c53a1293115cda873887efcc7ce6b3a026b\
         2d19f0d38db8590e218a2676df88f53cab3313ed63bd1e4828f3c066ea5eb1fd",
    ),
];

#[test]
fn sp800_108_cavp_feedback() {
    for (prf, rlen, ki, iv, fixed, ko) in CAVP_FEEDBACK {
        let key_type = if *prf == CKM_AES_CMAC {
            CKK_AES
        } else {
            CKK_GENERIC_SECRET
        };
        let base = secret(key_type, &hex::decode(ki).unwrap());
        let ko = hex::decode(ko).unwrap();
        let data = vec![
            PrfData::Chained,
            optional_counter(*rlen),
            PrfData::Bytes(hex::decode(fixed).unwrap()),
        ];
        let p = feedback(*prf, data.clone(), &hex::decode(iv).unwrap());
        let t = template(CKO_SECRET_KEY, Some(ko.len()));
        let out = derive(CKM_SP800_108_FEEDBACK_KDF, p, &base, &t).unwrap();
        assert_eq!(hex::encode(&out), hex::encode(&ko));
        // Shorter keys are prefixes of the same stream.
        let t = template(CKO_SECRET_KEY, Some(20));
        let p = feedback(*prf, data, &hex::decode(iv).unwrap());
        let short = derive(CKM_SP800_108_FEEDBACK_KDF, p, &base, &t).unwrap();
        assert_eq!(short, ko[..20]);
    }
}

/// The registry's derive_keys with additional templates.
fn derive_many(
    ty: CK_MECHANISM_TYPE,
    param: MechParam,
    base: &Attributes,
    templates: &[Attributes],
) -> Result<Vec<Attributes>> {
    registry()
        .get(ty)?
        .derive_keys(&Mechanism { ty, param }, base, &[], templates)
}

#[test]
fn sp800_108_additional_keys() {
    let base = secret(CKK_AES, &[0x5a; 32]);
    let lens = [32usize, 16, 1];
    let templates: Vec<Attributes> = lens
        .iter()
        .map(|n| template(CKO_SECRET_KEY, Some(*n)))
        .collect();
    let dkm = PrfData::DkmLength {
        method: CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS,
        little_endian: false,
        width_bits: 32,
    };
    for (ty, data, iv) in [
        (
            CKM_SP800_108_COUNTER_KDF,
            vec![counter(16), PrfData::Bytes(b"label".to_vec()), dkm.clone()],
            vec![],
        ),
        (
            CKM_SP800_108_FEEDBACK_KDF,
            vec![PrfData::Chained, optional_counter(16), dkm.clone()],
            b"sixteen bytes iv".to_vec(),
        ),
    ] {
        let param = MechParam::Kbkdf {
            prf: CKM_AES_CMAC,
            data: data.clone(),
            iv: iv.clone(),
            additional: templates[1..].to_vec(),
        };
        let keys = derive_many(ty, param.clone(), &base, &templates).unwrap();
        assert_eq!(keys.len(), 3);
        // One stream of 16-byte CMAC blocks: the 32-byte key takes blocks 1-2,
        // the 16-byte key block 3, the 1-byte key the first byte of block 4.
        // The stream of one 64-byte key with L = 49 · 8 bits is the same.
        let mut one = data.clone();
        if let Some(PrfData::DkmLength { .. }) = one.last() {
            one.pop();
        }
        let reference = |l_bits: u32| -> Vec<u8> {
            let mut d = one.clone();
            d.push(PrfData::Bytes(l_bits.to_be_bytes().to_vec()));
            let p = MechParam::Kbkdf {
                prf: CKM_AES_CMAC,
                data: d,
                iv: iv.clone(),
                additional: vec![],
            };
            derive(ty, p, &base, &template(CKO_SECRET_KEY, Some(64))).unwrap()
        };
        let stream = reference(49 * 8);
        let values: Vec<&[u8]> = keys.iter().map(|k| k.get(CKA_VALUE).unwrap()).collect();
        assert_eq!(values[0], &stream[..32], "{ty:#x}: main key");
        assert_eq!(values[1], &stream[32..48], "{ty:#x}: second key");
        assert_eq!(values[2], &stream[48..49], "{ty:#x}: third key");
        // A parameter naming additional keys is not for a one-key call, and
        // the templates must match the parameter's.
        assert_eq!(
            derive(ty, param.clone(), &base, &templates[0]),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        assert_eq!(
            derive_many(ty, param.clone(), &base, &templates[..2]).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
        // Every template needs its length; one without fails the call.
        let mut missing = templates.clone();
        missing[2] = template(CKO_SECRET_KEY, None);
        assert_eq!(
            derive_many(ty, param, &base, &missing).err(),
            Some(Ckr::TEMPLATE_INCOMPLETE)
        );
    }
}

#[test]
fn sp800_108_sensitivity_from_base() {
    let mut base = secret(CKK_GENERIC_SECRET, &[3; 32]);
    base.set_bool(CKA_SENSITIVE, true);
    base.set_bool(CKA_EXTRACTABLE, false);
    let p = kbkdf(CKM_SHA256_HMAC, vec![counter(8)]);
    let m = Mechanism {
        ty: CKM_SP800_108_COUNTER_KDF,
        param: p,
    };
    let mech = registry().get(CKM_SP800_108_COUNTER_KDF).unwrap();
    // Left out of the template: the base key's values.
    let out = mech
        .derive(&m, &base, &template(CKO_SECRET_KEY, Some(16)))
        .unwrap();
    assert_eq!(out.bool(CKA_SENSITIVE), Ok(Some(true)));
    assert_eq!(out.bool(CKA_EXTRACTABLE), Ok(Some(false)));
    // Given in the template: the template's (§6.42.8 allows either value).
    let mut t = template(CKO_SECRET_KEY, Some(16));
    t.set_bool(CKA_SENSITIVE, false);
    t.set_bool(CKA_EXTRACTABLE, true);
    let out = mech.derive(&m, &base, &t).unwrap();
    assert!(!out.contains(CKA_SENSITIVE) && !out.contains(CKA_EXTRACTABLE));
    // Only secret keys are derived.
    assert_eq!(
        mech.derive(&m, &base, &template(CKO_DATA, Some(16))).err(),
        Some(Ckr::TEMPLATE_INCONSISTENT)
    );
}

#[test]
fn sp800_108_cavp() {
    for (rlen, ki, fixed, ko) in CAVP {
        let base = secret(CKK_SHA256_HMAC, &hex::decode(ki).unwrap());
        let ko = hex::decode(ko).unwrap();
        let data = vec![counter(*rlen), PrfData::Bytes(hex::decode(fixed).unwrap())];
        let t = template(CKO_SECRET_KEY, Some(ko.len()));
        let out = derive(
            CKM_SP800_108_COUNTER_KDF,
            kbkdf(CKM_SHA256_HMAC, data),
            &base,
            &t,
        )
        .unwrap();
        assert_eq!(hex::encode(out), hex::encode(ko));
    }
}

/// The SP 800-108 layout Label ‖ 0x00 ‖ Context ‖ [L]_32 after a 32-bit
/// counter, written out with the hmac crate.
fn reference<M: Mac + hmac::digest::KeyInit>(
    key: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
    l_bits: u32,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i: u32 = 1;
    while out.len() < len {
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).unwrap();
        mac.update(&i.to_be_bytes());
        mac.update(label);
        mac.update(&[0]);
        mac.update(context);
        mac.update(&l_bits.to_be_bytes());
        out.extend_from_slice(&mac.finalize().into_bytes());
        i += 1;
    }
    out.truncate(len);
    out
}

#[test]
fn sp800_108_layouts_and_prfs() {
    let key = [0x42u8; 40];
    let base = secret(CKK_GENERIC_SECRET, &key);
    let layout = |method| {
        vec![
            counter(32),
            PrfData::Bytes(b"label".to_vec()),
            PrfData::Bytes(vec![0]),
            PrfData::Bytes(b"context".to_vec()),
            PrfData::DkmLength {
                method,
                little_endian: false,
                width_bits: 32,
            },
        ]
    };
    let len = 100;
    let t = template(CKO_SECRET_KEY, Some(len));
    let cases: [(CK_MECHANISM_TYPE, usize, Vec<u8>, Vec<u8>); 3] = [
        (
            CKM_SHA256_HMAC,
            32,
            reference::<Hmac<sha2::Sha256>>(&key, b"label", b"context", len, 800),
            reference::<Hmac<sha2::Sha256>>(&key, b"label", b"context", len, 128 * 8),
        ),
        (
            CKM_SHA384_HMAC,
            48,
            reference::<Hmac<sha2::Sha384>>(&key, b"label", b"context", len, 800),
            reference::<Hmac<sha2::Sha384>>(&key, b"label", b"context", len, 144 * 8),
        ),
        (
            CKM_SHA512_HMAC,
            64,
            reference::<Hmac<sha2::Sha512>>(&key, b"label", b"context", len, 800),
            reference::<Hmac<sha2::Sha512>>(&key, b"label", b"context", len, 128 * 8),
        ),
    ];
    for (prf, _, keys, segments) in cases {
        let sum_of_keys = layout(CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS);
        assert_eq!(
            derive(
                CKM_SP800_108_COUNTER_KDF,
                kbkdf(prf, sum_of_keys),
                &base,
                &t
            )
            .unwrap(),
            keys
        );
        let sum_of_segments = layout(CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS);
        assert_eq!(
            derive(
                CKM_SP800_108_COUNTER_KDF,
                kbkdf(prf, sum_of_segments),
                &base,
                &t
            )
            .unwrap(),
            segments
        );
    }
    // The PRF's own HMAC key type is accepted, another one is not.
    let data = vec![counter(16)];
    let p = kbkdf(CKM_SHA384_HMAC, data.clone());
    assert!(derive(
        CKM_SP800_108_COUNTER_KDF,
        p.clone(),
        &secret(CKK_SHA384_HMAC, &key),
        &t
    )
    .is_ok());
    for wrong in [secret(CKK_SHA256_HMAC, &key), secret(CKK_AES, &[1; 32])] {
        assert_eq!(
            derive(CKM_SP800_108_COUNTER_KDF, p.clone(), &wrong, &t),
            Err(Ckr::KEY_TYPE_INCONSISTENT)
        );
    }
    // CKA_VALUE_LEN is required.
    assert_eq!(
        derive(
            CKM_SP800_108_COUNTER_KDF,
            p.clone(),
            &base,
            &template(CKO_SECRET_KEY, None)
        ),
        Err(Ckr::TEMPLATE_INCOMPLETE)
    );
    // AES-CMAC takes AES keys only.
    assert_eq!(
        derive(
            CKM_SP800_108_COUNTER_KDF,
            kbkdf(CKM_AES_CMAC, data.clone()),
            &base,
            &t
        ),
        Err(Ckr::KEY_TYPE_INCONSISTENT)
    );
    assert_eq!(
        derive(
            CKM_SP800_108_COUNTER_KDF,
            kbkdf(CKM_AES_CMAC, data.clone()),
            &secret(CKK_AES, &[1; 20]),
            &t
        ),
        Err(Ckr::KEY_SIZE_RANGE)
    );
    let bad_params = [
        kbkdf(CKM_DES3_CMAC, data.clone()),
        kbkdf(CKM_AES_CMAC_GENERAL, data.clone()),
        kbkdf(CKM_SHA256, data.clone()),
        kbkdf(CKM_SHA256_HMAC, vec![PrfData::Bytes(vec![1])]),
        kbkdf(
            CKM_SHA256_HMAC,
            vec![counter(32), PrfData::Unsupported(CK_SP800_108_KEY_HANDLE)],
        ),
        kbkdf(CKM_SHA256_HMAC, vec![counter(12)]),
        MechParam::Kbkdf {
            prf: CKM_SHA256_HMAC,
            data: data.clone(),
            iv: vec![],
            additional: vec![t.clone()],
        },
        // Counter mode has no IV.
        MechParam::Kbkdf {
            prf: CKM_SHA256_HMAC,
            data: data.clone(),
            iv: vec![1; 16],
            additional: vec![],
        },
        // Feedback mode's iteration variable in counter mode.
        kbkdf(CKM_SHA256_HMAC, vec![PrfData::Chained]),
        MechParam::None,
    ];
    for p in bad_params {
        assert_eq!(
            derive(CKM_SP800_108_COUNTER_KDF, p, &base, &t),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }
    // Feedback mode: a counter as the iteration variable, two of them, none.
    for p in [
        feedback(CKM_SHA256_HMAC, data, &[]),
        feedback(CKM_SHA256_HMAC, vec![PrfData::Chained, counter(16)], &[]),
        feedback(CKM_SHA256_HMAC, vec![optional_counter(16)], &[]),
    ] {
        assert_eq!(
            derive(CKM_SP800_108_FEEDBACK_KDF, p, &base, &t),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }
}

#[test]
fn registry_and_self_test() {
    for ty in [
        CKM_HKDF_DERIVE,
        CKM_HKDF_DATA,
        CKM_SP800_108_COUNTER_KDF,
        CKM_SP800_108_FEEDBACK_KDF,
    ] {
        let m = registry().get(ty).unwrap();
        assert_eq!(m.info().flags, CKF_DERIVE);
        assert!(m.name().starts_with("CKM_"));
    }
    assert_eq!(super::known_answer(), Ok(true));
    let start = std::time::Instant::now();
    assert_eq!(super::known_answer(), Ok(true));
    println!("known-answer test: {:?}", start.elapsed());
}
