//! ML-KEM against every case of the shared vector files, through the code
//! the token calls: keys are imported through the key family (C_CreateObject)
//! and decapsulated through the registry (C_DecapsulateKey). Encapsulation
//! needs a chosen m, so it calls [`Set::encapsulate`], which C_EncapsulateKey
//! calls with a random one.

use super::seeded::testing::{
    cases, import_private, import_public, object, opt_hex, public_of, value, Tally,
};
use super::*;
use crate::mech::registry;
use crate::mech::test_vectors::{Field, Json};

fn set(case: &Json) -> Set {
    match case["parameterSet"].str() {
        "ML-KEM-512" => Set::MlKem512,
        "ML-KEM-768" => Set::MlKem768,
        "ML-KEM-1024" => Set::MlKem1024,
        other => panic!("parameter set {other}"),
    }
}

fn m32(bytes: &[u8]) -> [u8; 32] {
    bytes.try_into().unwrap()
}

fn kem() -> Mechanism {
    Mechanism {
        ty: CKM_ML_KEM,
        param: super::super::MechParam::None,
    }
}

/// C_DecapsulateKey's mechanism call.
fn decapsulate(key: &Attributes, c: &[u8]) -> Result<Vec<u8>> {
    registry()
        .get(CKM_ML_KEM)?
        .decapsulate(&kem(), key, c)
        .map(|k| k.to_vec())
}

fn import_seed(case: &Json, seed: &[u8]) -> Result<Attributes> {
    import_private::<Set>(Some(set(case).param()), Some(seed), None)
}

fn import_dk(case: &Json, dk: &[u8]) -> Result<Attributes> {
    import_private::<Set>(Some(set(case).param()), None, Some(dk))
}

/// Whether a valid case gives `k`, or an invalid one fails somewhere.
fn outcome(case: &Json, k: Result<Vec<u8>>) -> bool {
    match case["result"].str() {
        "valid" => k.ok() == opt_hex(case, "k"),
        _ => k.is_err(),
    }
}

#[test]
fn acvp_keygen() {
    let mut t = Tally::new("mlkem-keygen");
    for c in cases("mlkem-keygen") {
        let seed = [c["d"].hex(), c["z"].hex()].concat();
        let key = import_seed(&c, &seed).unwrap();
        let public = public_of::<Set>(&key).unwrap();
        t.check(
            &c,
            value(&key) == c["dk"].hex() && value(&public) == c["ek"].hex(),
        );
    }
    t.done();
}

#[test]
fn acvp_encap_decap() {
    let mut t = Tally::new("mlkem-encapdecap");
    for c in cases("mlkem-encapdecap") {
        let s = set(&c);
        let ok = match c["function"].str() {
            "encapsulation" => {
                let sent = s.encapsulate(&c["ek"].hex(), &m32(&c["m"].hex())).unwrap();
                let key = import_dk(&c, &c["dk"].hex()).unwrap();
                (sent.0, sent.1.to_vec()) == (c["c"].hex(), c["k"].hex())
                    && decapsulate(&key, &c["c"].hex()).unwrap() == c["k"].hex()
            }
            "decapsulation" => {
                let key = match c["keyFormat"].str() {
                    "seed" => import_seed(&c, &[c["d"].hex(), c["z"].hex()].concat()).unwrap(),
                    _ => import_dk(&c, &c["dk"].hex()).unwrap(),
                };
                value(&key) == c["dk"].hex()
                    && decapsulate(&key, &c["c"].hex()).unwrap() == c["k"].hex()
            }
            "encapsulationKeyCheck" => {
                let ek = c["ek"].hex();
                let valid = c["result"].str() == "valid";
                // At import, and at use for a key that skipped import.
                let raw = object::<Set>(CKO_PUBLIC_KEY, Some(s.param()), None, Some(&ek));
                let used = registry()
                    .get(CKM_ML_KEM)
                    .unwrap()
                    .encapsulate(&kem(), &raw);
                let used_ok = match used {
                    Ok(_) => valid,
                    Err(e) => !valid && e == Ckr::ATTRIBUTE_VALUE_INVALID,
                };
                import_public::<Set>(Some(s.param()), &ek).is_ok() == valid && used_ok
            }
            "decapsulationKeyCheck" => {
                let imported = import_dk(&c, &c["dk"].hex());
                match c["result"].str() {
                    "valid" => imported.is_ok(),
                    _ => imported == Err(Ckr::ATTRIBUTE_VALUE_INVALID),
                }
            }
            other => panic!("function {other}"),
        };
        t.check(&c, ok);
    }
    t.done();
}

#[test]
fn wycheproof_keygen() {
    let mut t = Tally::new("wycheproof-mlkem-keygen");
    for c in cases("wycheproof-mlkem-keygen") {
        let key = import_seed(&c, &c["seed"].hex()).unwrap();
        let public = public_of::<Set>(&key).unwrap();
        t.check(
            &c,
            value(&key) == c["dk"].hex() && value(&public) == c["ek"].hex(),
        );
    }
    t.done();
}

#[test]
fn wycheproof_decaps() {
    let mut t = Tally::new("wycheproof-mlkem-decaps");
    for c in cases("wycheproof-mlkem-decaps") {
        let k = import_seed(&c, &c["seed"].hex()).and_then(|key| {
            let ek_ok =
                opt_hex(&c, "ek").is_none_or(|ek| value(&public_of::<Set>(&key).unwrap()) == ek);
            assert!(ek_ok, "{}", c["id"].str());
            decapsulate(&key, &c["c"].hex())
        });
        t.check(&c, outcome(&c, k));
    }
    t.done();
}

#[test]
fn wycheproof_encaps() {
    let mut t = Tally::new("wycheproof-mlkem-encaps");
    for c in cases("wycheproof-mlkem-encaps") {
        let ek = c["ek"].hex();
        let m = m32(&c["m"].hex());
        let sent = import_public::<Set>(None, &ek).and_then(|key| {
            let (s, ek) = seeded::public_key::<Set>(&key)?;
            s.encapsulate(ek, &m)
        });
        // An ek of the right length is also refused at use.
        let at_use = set(&c).encapsulate(&ek, &m);
        let ok = match c["result"].str() {
            "valid" => {
                let expected = (c["c"].hex(), c["k"].hex());
                sent.map(|(c, k)| (c, k.to_vec())).ok() == Some(expected.clone())
                    && at_use.map(|(c, k)| (c, k.to_vec())).ok() == Some(expected)
            }
            _ => sent.is_err() && at_use.is_err(),
        };
        t.check(&c, ok);
    }
    t.done();
}

#[test]
fn wycheproof_semi_expanded_decaps() {
    let mut t = Tally::new("wycheproof-mlkem-semi-expanded-decaps");
    for c in cases("wycheproof-mlkem-semi-expanded-decaps") {
        let k = import_dk(&c, &c["dk"].hex()).and_then(|key| {
            assert_eq!(value(&public_of::<Set>(&key).unwrap()), c["ek"].hex());
            decapsulate(&key, &c["c"].hex())
        });
        t.check(&c, outcome(&c, k));
    }
    t.done();
}

/// The valid ek of `base` with one 12-bit coefficient replaced (the CCTV
/// patch form, as the vector README describes it).
fn patched_ek(base: &[u8], index: usize, value: u16) -> Vec<u8> {
    let mut b = base.to_vec();
    let o = 3 * (index / 2);
    if index.is_multiple_of(2) {
        b[o] = (value & 0xff) as u8;
        b[o + 1] = (b[o + 1] & 0xf0) | (value >> 8) as u8;
    } else {
        b[o + 1] = (b[o + 1] & 0x0f) | ((value & 0x0f) << 4) as u8;
        b[o + 2] = (value >> 4) as u8;
    }
    b
}

#[test]
fn cctv_modulus() {
    let path = crate::mech::test_vectors::dir().join("cctv-mlkem-modulus.json");
    let file: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut t = Tally::new("cctv-mlkem-modulus");
    for c in file["cases"].arr() {
        let s = set(c);
        let base = file["baseEk"][c["parameterSet"].str()].hex();
        assert!(s.public_ok(&base));
        let ek = patched_ek(
            &base,
            c["coeffIndex"].num() as usize,
            c["value"].num() as u16,
        );
        let full_ok = opt_hex(c, "ek").is_none_or(|given| given == ek);
        let refused = import_public::<Set>(Some(s.param()), &ek)
            == Err(Ckr::ATTRIBUTE_VALUE_INVALID)
            && s.encapsulate(&ek, &[0; 32]).err() == Some(Ckr::ATTRIBUTE_VALUE_INVALID);
        t.check(c, full_ok && refused && c["result"].str() == "invalid");
    }
    t.done();
}

#[test]
fn cctv_edge() {
    let mut t = Tally::new("cctv-mlkem-edge");
    for c in cases("cctv-mlkem-edge") {
        let encaps_ok = match c["kind"].str() {
            "unlucky-sampleNTT" => {
                let (ct, k) = set(&c)
                    .encapsulate(&c["ek"].hex(), &m32(&c["m"].hex()))
                    .unwrap();
                (ct, k.to_vec()) == (c["c"].hex(), c["k"].hex())
            }
            _ => true,
        };
        let key = import_dk(&c, &c["dk"].hex()).unwrap();
        t.check(
            &c,
            encaps_ok && decapsulate(&key, &c["c"].hex()).unwrap() == c["k"].hex(),
        );
    }
    t.done();
}

/// A fresh key pair as C_GenerateKeyPair supplies it, with the classes the
/// token adds.
fn generated(set: Set) -> (Attributes, Attributes) {
    let mut template = Attributes::new();
    template.set_ulong(CKA_PARAMETER_SET, set.param());
    let m = Mechanism {
        ty: CKM_ML_KEM_KEY_PAIR_GEN,
        param: super::super::MechParam::None,
    };
    let mut pair = registry()
        .get(CKM_ML_KEM_KEY_PAIR_GEN)
        .unwrap()
        .generate_key_pair(&m, &template, &Attributes::new())
        .unwrap();
    pair.public.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
    pair.private.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    (pair.public, pair.private)
}

#[test]
fn encapsulation_through_the_registry() {
    let mech = registry().get(CKM_ML_KEM).unwrap();
    for set in Set::all().iter().copied() {
        let (public, private) = generated(set);
        assert_eq!(
            mech.ciphertext_len(&kem(), &public),
            Ok(set.ciphertext_len())
        );
        let sent = mech.encapsulate(&kem(), &public).unwrap();
        assert_eq!(sent.ciphertext.len(), set.ciphertext_len());
        assert_eq!(sent.secret.len(), 32);
        let got = mech
            .decapsulate(&kem(), &private, &sent.ciphertext)
            .unwrap();
        assert_eq!(got, sent.secret);
        let again = mech.encapsulate(&kem(), &public).unwrap();
        assert_ne!(again.ciphertext, sent.ciphertext, "a fresh m each time");

        // Implicit rejection: a changed ciphertext gives another secret, no error.
        let mut changed = sent.ciphertext.clone();
        changed[0] ^= 1;
        let rejected = mech.decapsulate(&kem(), &private, &changed).unwrap();
        assert_ne!(rejected, sent.secret);
        assert_eq!(
            mech.decapsulate(&kem(), &private, &changed).unwrap(),
            rejected
        );
        for len in [0, set.ciphertext_len() - 1, set.ciphertext_len() + 1] {
            assert_eq!(
                mech.decapsulate(&kem(), &private, &vec![0; len]).err(),
                Some(Ckr::ENCRYPTED_DATA_LEN_RANGE)
            );
        }

        // Wrong key objects and a parameter are refused.
        let inconsistent = Some(Ckr::KEY_TYPE_INCONSISTENT);
        assert_eq!(mech.encapsulate(&kem(), &private).err(), inconsistent);
        assert_eq!(
            mech.decapsulate(&kem(), &public, &sent.ciphertext).err(),
            inconsistent
        );
        let mut dsa = public.clone();
        dsa.set_ulong(CKA_KEY_TYPE, CKK_ML_DSA);
        assert_eq!(mech.ciphertext_len(&kem(), &dsa).err(), inconsistent);
        let mut short = public.clone();
        short.set(CKA_VALUE, value(&public)[1..].to_vec());
        assert_eq!(
            mech.encapsulate(&kem(), &short).err(),
            Some(Ckr::KEY_SIZE_RANGE)
        );
        let with_param = Mechanism {
            ty: CKM_ML_KEM,
            param: super::super::MechParam::Bytes(vec![0]),
        };
        assert_eq!(
            mech.encapsulate(&with_param, &public).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
    }
}

#[test]
fn known_answer_passes() {
    assert_eq!(known_answer(), Ok(true));
}
