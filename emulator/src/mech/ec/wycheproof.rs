//! The Wycheproof files for ECDSA (DER and P1363 signatures), ECDH, Ed25519
//! and X25519, run through the registry's mechanisms and key families: every
//! valid case must succeed with the expected result, every invalid case
//! must be refused, an acceptable case may go either way. The per-file
//! counts are printed (`--nocapture`).

use super::curve::{Curve, ID_EC_PUBLIC_KEY};
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use crate::mech::test_vectors::{dir, Field, Json};
use crate::mech::{registry, MechParam, Mechanism};
use cryptoki_sys::*;
use pkcs8::der::asn1::UintRef;
use pkcs8::der::{Decode, Reader, SliceReader};
use pkcs8::ObjectIdentifier;
use spki::SubjectPublicKeyInfoRef;

/// Per-file tallies.
#[derive(Default, Debug)]
pub(in crate::mech) struct Tally {
    pub valid: usize,
    pub invalid: usize,
    pub acceptable: usize,
}

/// Load a Wycheproof file and call `case(group, test)` for each test, which
/// says whether the module accepted it. Panics on a wrong outcome.
pub(in crate::mech) fn run(file: &str, mut case: impl FnMut(&Json, &Json) -> bool) -> Tally {
    let path = dir()
        .join("wycheproof-classic")
        .join(format!("{file}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Json = serde_json::from_str(&text).expect("valid JSON");
    let mut t = Tally::default();
    for group in doc["testGroups"].arr() {
        for test in group["tests"].arr() {
            let result = test["result"].str();
            match (case(group, test), result) {
                (true, "valid") => t.valid += 1,
                (false, "invalid") => t.invalid += 1,
                (_, "acceptable") => t.acceptable += 1,
                (accepted, _) => panic!(
                    "{file} tcId {} ({result}, {}): accepted = {accepted}",
                    test["tcId"].num(),
                    test["comment"].str()
                ),
            }
        }
    }
    println!(
        "{file}: {t:?}, all {} cases pass",
        doc["numberOfTests"].num()
    );
    assert_eq!(
        t.valid + t.invalid + t.acceptable,
        doc["numberOfTests"].num() as usize
    );
    assert!(t.valid > 0, "{file}: nothing checked");
    t
}

/// A key object completed by its family, as C_CreateObject makes it.
fn key(
    class: CK_OBJECT_CLASS,
    curve: Curve,
    attr: CK_ATTRIBUTE_TYPE,
    value: &[u8],
) -> Result<Attributes> {
    let mut k = Attributes::new();
    k.set_ulong(CKA_CLASS, class);
    k.set_ulong(CKA_KEY_TYPE, curve.key_type());
    k.set(CKA_EC_PARAMS, curve.params_der()?);
    k.set(attr, value.to_vec());
    let family = registry()
        .family(curve.key_type())
        .unwrap()
        .ok_or(Ckr::GENERAL_ERROR)?;
    if class == CKO_PRIVATE_KEY {
        family.complete_private(&mut k)?;
    } else {
        family.complete_public(&mut k)?;
    }
    Ok(k)
}

/// Single-part verification through the registry.
fn verify(
    ty: CK_MECHANISM_TYPE,
    param: MechParam,
    k: &Attributes,
    data: &[u8],
    sig: &[u8],
) -> Result<()> {
    let mut v = registry().get(ty)?.verify(&Mechanism { ty, param }, k)?;
    v.update(data)?;
    v.finish(sig)
}

/// A message digest.
type Hash = fn(&[u8]) -> Vec<u8>;

/// The ECDSA files: (file, curve, hashing mechanism, the hash itself).
const ECDSA: [(&str, Curve, CK_MECHANISM_TYPE, Hash); 3] = [
    (
        "ecdsa_secp256r1_sha256",
        Curve::P256,
        CKM_ECDSA_SHA256,
        |m| <sha2::Sha256 as sha2::Digest>::digest(m).to_vec(),
    ),
    (
        "ecdsa_secp384r1_sha384",
        Curve::P384,
        CKM_ECDSA_SHA384,
        |m| <sha2::Sha384 as sha2::Digest>::digest(m).to_vec(),
    ),
    (
        "ecdsa_secp521r1_sha512",
        Curve::P521,
        CKM_ECDSA_SHA512,
        |m| <sha2::Sha512 as sha2::Digest>::digest(m).to_vec(),
    ),
];

/// r‖s of a strict-DER ECDSA-Sig-Value whose integers fit in `n` bytes;
/// None for BER, malformed or oversized encodings, which a PKCS#11 caller
/// cannot pass on.
fn der_to_raw(der: &[u8], n: usize) -> Option<Vec<u8>> {
    let mut reader = SliceReader::new(der).ok()?;
    let (r, s) = reader
        .sequence(|seq| Ok((UintRef::decode(seq)?, UintRef::decode(seq)?)))
        .ok()?;
    reader.finish(()).ok()?;
    let mut out = vec![0u8; 2 * n];
    for (i, int) in [r, s].iter().enumerate() {
        let bytes = int.as_bytes();
        if bytes.len() > n {
            return None;
        }
        out[(i + 1) * n - bytes.len()..(i + 1) * n].copy_from_slice(bytes);
    }
    Some(out)
}

/// One ECDSA case through the hashing mechanism and through CKM_ECDSA with
/// the digest made here; the two must agree.
fn ecdsa_case(
    curve: Curve,
    ty: CK_MECHANISM_TYPE,
    hash: Hash,
    group: &Json,
    test: &Json,
    raw_sig: Option<Vec<u8>>,
) -> bool {
    let point = group["publicKey"]["uncompressed"].hex();
    let public = key(CKO_PUBLIC_KEY, curve, CKA_EC_POINT, &point).expect("valid public key");
    let Some(sig) = raw_sig else {
        return false;
    };
    let msg = test["msg"].hex();
    let hashed = verify(ty, MechParam::None, &public, &msg, &sig);
    let raw = verify(CKM_ECDSA, MechParam::None, &public, &hash(&msg), &sig);
    assert_eq!(hashed, raw, "tcId {}", test["tcId"].num());
    if let Err(e) = hashed {
        assert!(
            e == Ckr::SIGNATURE_INVALID || e == Ckr::SIGNATURE_LEN_RANGE,
            "tcId {}: {e}",
            test["tcId"].num()
        );
    }
    hashed.is_ok()
}

#[test]
fn ecdsa_der() {
    for (file, curve, ty, hash) in ECDSA {
        run(&format!("{file}_test"), |group, test| {
            let raw = der_to_raw(&test["sig"].hex(), curve.private_len());
            ecdsa_case(curve, ty, hash, group, test, raw)
        });
    }
}

#[test]
fn ecdsa_p1363() {
    for (file, curve, ty, hash) in ECDSA {
        run(&format!("{file}_p1363_test"), |group, test| {
            ecdsa_case(curve, ty, hash, group, test, Some(test["sig"].hex()))
        });
    }
}

/// The raw point of a Wycheproof SPKI, if its algorithm is id-ecPublicKey on
/// the named curve `curve` (explicit parameters and other curves are what
/// several invalid cases test).
fn spki_point(der: &[u8], curve: Curve) -> Option<Vec<u8>> {
    let info = SubjectPublicKeyInfoRef::from_der(der).ok()?;
    let named: ObjectIdentifier = info.algorithm.parameters_oid().ok()?;
    (info.algorithm.oid == ID_EC_PUBLIC_KEY && named == curve.oid())
        .then(|| info.subject_public_key.raw_bytes().to_vec())
}

/// ECDH with CKD_NULL through CKM_ECDH1_DERIVE (or the cofactor form):
/// whether it gave `shared`. Failures must be CKR_MECHANISM_PARAM_INVALID.
fn ecdh(ty: CK_MECHANISM_TYPE, private: &Attributes, peer: &[u8], shared: &[u8]) -> bool {
    let m = Mechanism {
        ty,
        param: MechParam::Ecdh {
            kdf: CKD_NULL,
            shared_data: Vec::new(),
            public_data: peer.to_vec(),
        },
    };
    let mut template = Attributes::new();
    template.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    match registry().get(ty).unwrap().derive(&m, private, &template) {
        Ok(out) => {
            assert_eq!(out.get(CKA_VALUE), Some(shared));
            true
        }
        Err(e) => {
            assert_eq!(e, Ckr::MECHANISM_PARAM_INVALID);
            false
        }
    }
}

#[test]
fn ecdh_prime_curves() {
    for (file, curve) in [
        ("ecdh_secp256r1_test", Curve::P256),
        ("ecdh_secp384r1_test", Curve::P384),
        ("ecdh_secp521r1_test", Curve::P521),
    ] {
        run(file, |_, test| {
            let private = key(CKO_PRIVATE_KEY, curve, CKA_VALUE, &test["private"].hex())
                .expect("valid private key");
            let Some(point) = spki_point(&test["public"].hex(), curve) else {
                return false;
            };
            let shared = test["shared"].hex();
            let plain = ecdh(CKM_ECDH1_DERIVE, &private, &point, &shared);
            // The DER-wrapped public value and the cofactor form agree.
            let wrapped = curve.point_der(&point).unwrap();
            assert_eq!(ecdh(CKM_ECDH1_DERIVE, &private, &wrapped, &shared), plain);
            assert_eq!(
                ecdh(CKM_ECDH1_COFACTOR_DERIVE, &private, &point, &shared),
                plain
            );
            plain
        });
    }
}

#[test]
fn x25519() {
    let t = run("x25519_test", |_, test| {
        let private = key(
            CKO_PRIVATE_KEY,
            Curve::X25519,
            CKA_VALUE,
            &test["private"].hex(),
        )
        .expect("valid private key");
        ecdh(
            CKM_ECDH1_DERIVE,
            &private,
            &test["public"].hex(),
            &test["shared"].hex(),
        )
    });
    assert!(t.acceptable > 0);
}

#[test]
fn ed25519() {
    run("ed25519_test", |group, test| {
        let pk = group["publicKey"]["pk"].hex();
        let public = key(CKO_PUBLIC_KEY, Curve::Ed25519, CKA_EC_POINT, &pk).expect("public key");
        let (msg, sig) = (test["msg"].hex(), test["sig"].hex());
        match verify(CKM_EDDSA, MechParam::None, &public, &msg, &sig) {
            Ok(()) => true,
            Err(e) => {
                assert!(e == Ckr::SIGNATURE_INVALID || e == Ckr::SIGNATURE_LEN_RANGE);
                false
            }
        }
    });
}
