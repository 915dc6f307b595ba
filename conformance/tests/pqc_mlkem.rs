//! ML-KEM vectors (ACVP, Wycheproof, CCTV) through the module.
//!
//! What PKCS#11 can express: key generation from a seed (C_CreateObject
//! with CKA_SEED = d‖z, then CKA_VALUE and CKM_PUB_KEY_FROM_PRIV_KEY),
//! decapsulation with expanded or seed-format keys, the FIPS 203 input
//! checks (invalid keys refused at C_CreateObject with
//! CKR_ATTRIBUTE_VALUE_INVALID), and ciphertext lengths
//! (CKR_ENCRYPTED_DATA_LEN_RANGE). Encapsulation cannot take the caller's
//! m, so encapsulation cases check Decaps(dk, c) = k from the vector and
//! that the module's own encapsulation decapsulates to the same secret.

use cryptoki_sys::*;
use pqc_common::run_file;
use qrc_conformance::pqc::{self, Case, ParamSet, Scratch, Tally};
use qrc_conformance::raw::Mech;
use qrc_conformance::Fixture;
use serde_json::Value as Json;

mod pqc_common;

/// The secret a new KEM key holds (created readable by `secret_template`).
fn secret(h: CK_SESSION_HANDLE, k: CK_OBJECT_HANDLE) -> Result<Vec<u8>, String> {
    pqc::read(h, k, CKA_VALUE)
}

/// C_DecapsulateKey into a readable generic secret; its value.
fn decaps(
    h: CK_SESSION_HANDLE,
    sc: &mut Scratch,
    dk: CK_OBJECT_HANDLE,
    c: &[u8],
) -> Result<Vec<u8>, CK_RV> {
    let k = pqc::decapsulate(h, &mut Mech::new(CKM_ML_KEM), dk, pqc::secret_template(), c)?;
    qrc_conformance::raw::attr(h, sc.keep(k), CKA_VALUE)
}

/// Encapsulates to `ek` and decapsulates with `dk`: both secrets agree and
/// the ciphertext has the parameter set's length.
fn round_trip(
    h: CK_SESSION_HANDLE,
    sc: &mut Scratch,
    set: &ParamSet,
    ek: CK_OBJECT_HANDLE,
    dk: CK_OBJECT_HANDLE,
) -> Result<(), String> {
    let (ct, k) = pqc::must(
        pqc::encapsulate(h, &mut Mech::new(CKM_ML_KEM), ek, pqc::secret_template()),
        "C_EncapsulateKey",
    )?;
    sc.keep(k);
    if ct.len() != set.out_len {
        return Err(format!(
            "ciphertext of {} bytes, want {}",
            ct.len(),
            set.out_len
        ));
    }
    let sent = secret(h, k)?;
    if sent.len() != pqc::SHARED_SECRET_LEN {
        return Err(format!("shared secret of {} bytes, want 32", sent.len()));
    }
    let got = pqc::must(decaps(h, sc, dk, &ct), "C_DecapsulateKey(own ciphertext)")?;
    pqc::same("decaps(encaps) secret", &got, &sent)
}

/// Keygen from d‖z: CKA_VALUE = dk, the derived public key = ek, CKA_SEED
/// reads back.
fn keygen(
    h: CK_SESSION_HANDLE,
    set: &ParamSet,
    seed: &[u8],
    ek: &[u8],
    dk: &[u8],
) -> Result<(), String> {
    let mut sc = Scratch::new(h);
    let private = pqc::must(
        sc.create(pqc::private_template(set, None, Some(seed))),
        "C_CreateObject(seed)",
    )?;
    pqc::same("CKA_VALUE (dk)", &pqc::read(h, private, CKA_VALUE)?, dk)?;
    pqc::same("CKA_SEED", &pqc::read(h, private, CKA_SEED)?, seed)?;
    let public = pqc::must(
        sc.public_from(private),
        "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)",
    )?;
    pqc::same(
        "derived public CKA_VALUE (ek)",
        &pqc::read(h, public, CKA_VALUE)?,
        ek,
    )?;
    round_trip(h, &mut sc, set, public, private)
}

#[test]
fn mlkem_keygen_acvp() {
    run_file("mlkem-keygen.json", |h, c| {
        let seed = [c.hex("d"), c.hex("z")].concat();
        Some(keygen(h, c.set(), &seed, &c.hex("ek"), &c.hex("dk")))
    });
}

#[test]
fn mlkem_keygen_wycheproof() {
    run_file("wycheproof-mlkem-keygen.json", |h, c| {
        Some(keygen(
            h,
            c.set(),
            &c.hex("seed"),
            &c.hex("ek"),
            &c.hex("dk"),
        ))
    });
}

/// Decapsulation of `c` with `private` gives `k`.
fn decaps_gives(
    h: CK_SESSION_HANDLE,
    sc: &mut Scratch,
    private: CK_OBJECT_HANDLE,
    c: &[u8],
    k: &[u8],
) -> Result<(), String> {
    let got = pqc::must(decaps(h, sc, private, c), "C_DecapsulateKey")?;
    pqc::same("shared secret", &got, k)
}

fn acvp_case(h: CK_SESSION_HANDLE, c: &Json) -> Result<(), String> {
    let set = c.set();
    let mut sc = Scratch::new(h);
    match c.str("function") {
        "encapsulation" => {
            let ek = pqc::must(
                sc.create(pqc::public_template(set, &c.hex("ek"))),
                "C_CreateObject(ek)",
            )?;
            let dk = pqc::must(
                sc.create(pqc::private_template(set, Some(&c.hex("dk")), None)),
                "C_CreateObject(dk)",
            )?;
            decaps_gives(h, &mut sc, dk, &c.hex("c"), &c.hex("k"))?;
            round_trip(h, &mut sc, set, ek, dk)
        }
        "decapsulation" => {
            let template = match c.str("keyFormat") {
                "seed" => {
                    pqc::private_template(set, None, Some(&[c.hex("d"), c.hex("z")].concat()))
                }
                _ => pqc::private_template(set, Some(&c.hex("dk")), None),
            };
            let dk = pqc::must(sc.create(template), "C_CreateObject(private key)")?;
            decaps_gives(h, &mut sc, dk, &c.hex("c"), &c.hex("k"))
        }
        "encapsulationKeyCheck" => {
            let r = sc.create(pqc::public_template(set, &c.hex("ek")));
            if c.valid() {
                let ek = pqc::must(r, "C_CreateObject(valid ek)")?;
                let (_, k) = pqc::must(
                    pqc::encapsulate(h, &mut Mech::new(CKM_ML_KEM), ek, pqc::secret_template()),
                    "C_EncapsulateKey",
                )?;
                sc.keep(k);
                Ok(())
            } else {
                pqc::refused(
                    r,
                    CKR_ATTRIBUTE_VALUE_INVALID,
                    "C_CreateObject(ek failing the modulus check)",
                )
            }
        }
        "decapsulationKeyCheck" => {
            let r = sc.create(pqc::private_template(set, Some(&c.hex("dk")), None));
            if c.valid() {
                pqc::must(r, "C_CreateObject(valid dk)").map(drop)
            } else {
                pqc::refused(
                    r,
                    CKR_ATTRIBUTE_VALUE_INVALID,
                    "C_CreateObject(dk failing the hash check)",
                )
            }
        }
        other => Err(format!("unknown function {other}")),
    }
}

#[test]
fn mlkem_encapdecap_acvp() {
    run_file("mlkem-encapdecap.json", |h, c| Some(acvp_case(h, c)));
}

/// Wycheproof decaps: seed d‖z (maybe of the wrong length), ek to check,
/// ciphertext (maybe of the wrong length) → k.
fn wycheproof_decaps(h: CK_SESSION_HANDLE, c: &Json) -> Result<(), String> {
    let set = c.set();
    let mut sc = Scratch::new(h);
    let seed = c.hex("seed");
    let r = sc.create(pqc::private_template(set, None, Some(&seed)));
    if seed.len() != set.seed_len {
        return pqc::refused(
            r,
            CKR_ATTRIBUTE_VALUE_INVALID,
            "C_CreateObject(seed of the wrong length)",
        );
    }
    let dk = pqc::must(r, "C_CreateObject(seed)")?;
    if let Some(ek) = c.opt_hex("ek") {
        let public = pqc::must(sc.public_from(dk), "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)")?;
        pqc::same("derived ek", &pqc::read(h, public, CKA_VALUE)?, &ek)?;
    }
    let ct = c.hex("c");
    if ct.len() != set.out_len {
        return pqc::refused(
            decaps(h, &mut sc, dk, &ct),
            CKR_ENCRYPTED_DATA_LEN_RANGE,
            "C_DecapsulateKey(wrong length)",
        );
    }
    if !c.valid() {
        return Err(
            "invalid case with well-formed seed and ciphertext: no rule to judge it".into(),
        );
    }
    decaps_gives(h, &mut sc, dk, &ct, &c.hex("k"))
}

#[test]
fn mlkem_decaps_wycheproof() {
    run_file("wycheproof-mlkem-decaps.json", |h, c| {
        Some(wycheproof_decaps(h, c))
    });
}

#[test]
fn mlkem_encaps_wycheproof() {
    run_file("wycheproof-mlkem-encaps.json", |h, c| {
        let set = c.set();
        let mut sc = Scratch::new(h);
        let r = sc.create(pqc::public_template(set, &c.hex("ek")));
        Some(if c.valid() {
            pqc::must(r, "C_CreateObject(ek)").and_then(|ek| {
                let (ct, k) = pqc::must(
                    pqc::encapsulate(h, &mut Mech::new(CKM_ML_KEM), ek, pqc::secret_template()),
                    "C_EncapsulateKey",
                )?;
                sc.keep(k);
                if ct.len() == set.out_len && secret(h, k)?.len() == pqc::SHARED_SECRET_LEN {
                    Ok(())
                } else {
                    Err(format!(
                        "ciphertext of {} bytes, want {}",
                        ct.len(),
                        set.out_len
                    ))
                }
            })
        } else {
            pqc::refused(r, CKR_ATTRIBUTE_VALUE_INVALID, "C_CreateObject(invalid ek)")
        })
    });
}

fn semi_expanded(h: CK_SESSION_HANDLE, c: &Json) -> Result<(), String> {
    let set = c.set();
    let mut sc = Scratch::new(h);
    let dk_bytes = c.hex("dk");
    let r = sc.create(pqc::private_template(set, Some(&dk_bytes), None));
    if c.has_flag("IncorrectDecapsulationKeyLength") || c.has_flag("InvalidDecapsulationKey") {
        return pqc::refused(r, CKR_ATTRIBUTE_VALUE_INVALID, "C_CreateObject(invalid dk)");
    }
    let dk = pqc::must(r, "C_CreateObject(dk)")?;
    let public = pqc::must(sc.public_from(dk), "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)")?;
    pqc::same(
        "derived ek",
        &pqc::read(h, public, CKA_VALUE)?,
        &c.hex("ek"),
    )?;
    let ct = c.hex("c");
    if c.has_flag("IncorrectCiphertextLength") {
        return pqc::refused(
            decaps(h, &mut sc, dk, &ct),
            CKR_ENCRYPTED_DATA_LEN_RANGE,
            "C_DecapsulateKey(wrong length)",
        );
    }
    if !c.valid() {
        return Err("invalid case of no known kind".into());
    }
    decaps_gives(h, &mut sc, dk, &ct, &c.hex("k"))
}

#[test]
fn mlkem_semi_expanded_decaps_wycheproof() {
    run_file("wycheproof-mlkem-semi-expanded-decaps.json", |h, c| {
        Some(semi_expanded(h, c))
    });
}

/// The CCTV modulus case's ek: the base ek with one 12-bit coefficient
/// replaced (ByteEncode_12 packing, README "cctv-mlkem-modulus").
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
fn mlkem_cctv_modulus() {
    let doc = pqc::load("cctv-mlkem-modulus.json");
    let base = |name: &str| -> Vec<u8> {
        let s = doc["baseEk"][name].as_str().expect("baseEk");
        hex::decode(s).expect("baseEk hex")
    };
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let mut tally = Tally::new("cctv-mlkem-modulus.json");
    // The base keys themselves are valid: the rejections below are the patch's doing.
    for set in pqc::Family::MlKem.sets() {
        let mut sc = Scratch::new(h);
        let r = sc.create(pqc::public_template(set, &base(set.name)));
        tally.record(
            &format!("baseEk {}", set.name),
            pqc::must(r, "C_CreateObject(base ek)").map(drop),
        );
    }
    for c in pqc::cases(&doc) {
        let set = c.set();
        let index = c["coeffIndex"].as_u64().expect("coeffIndex") as usize;
        let value = c["value"].as_u64().expect("value") as u16;
        let ek = patched_ek(&base(set.name), index, value);
        let outcome = match c.opt_hex("ek") {
            Some(full) if full != ek => {
                Err("patch expansion differs from the full ek given".to_string())
            }
            _ => {
                let mut sc = Scratch::new(h);
                pqc::refused(
                    sc.create(pqc::public_template(set, &ek)),
                    CKR_ATTRIBUTE_VALUE_INVALID,
                    &format!("C_CreateObject(ek with coefficient {index} = {value})"),
                )
            }
        };
        tally.record(c.id(), outcome);
    }
    tally.finish();
}

#[test]
fn mlkem_cctv_edge() {
    run_file("cctv-mlkem-edge.json", |h, c| {
        let set = c.set();
        let mut sc = Scratch::new(h);
        Some((|| {
            let dk = pqc::must(
                sc.create(pqc::private_template(set, Some(&c.hex("dk")), None)),
                "C_CreateObject(dk)",
            )?;
            decaps_gives(h, &mut sc, dk, &c.hex("c"), &c.hex("k"))?;
            if let Some(ek) = c.opt_hex("ek") {
                let ek = pqc::must(
                    sc.create(pqc::public_template(set, &ek)),
                    "C_CreateObject(ek)",
                )?;
                round_trip(h, &mut sc, set, ek, dk)?;
            }
            Ok(())
        })())
    });
}

/// The named value of a CCTV intermediate case (`values` is a list of
/// `[name, value]` pairs).
fn intermediate(c: &Json, name: &str) -> Vec<u8> {
    let value = c["values"]
        .as_array()
        .and_then(|v| v.iter().find(|p| p[0].as_str() == Some(name)))
        .and_then(|p| p[1].as_str())
        .unwrap_or_else(|| panic!("{}: no intermediate value {name}", c.id()));
    hex::decode(value).unwrap_or_else(|e| panic!("{}: {name}: {e}", c.id()))
}

/// CCTV intermediate values: Decaps(dk, c) = K, and the public key derived
/// from dk is ek. Key generation is not run: its values follow the FIPS 203
/// draft (README "cctv-mlkem-intermediate"); the given dk is a well-formed
/// final-standard key all the same.
#[test]
fn mlkem_cctv_intermediate() {
    run_file("cctv-mlkem-intermediate.json", |h, c| {
        let set = c.set();
        let mut sc = Scratch::new(h);
        Some((|| {
            let dk = pqc::must(
                sc.create(pqc::private_template(
                    set,
                    Some(&intermediate(c, "dk")),
                    None,
                )),
                "C_CreateObject(dk)",
            )?;
            let ek = pqc::must(sc.public_from(dk), "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)")?;
            pqc::same(
                "derived ek",
                &pqc::read(h, ek, CKA_VALUE)?,
                &intermediate(c, "ek"),
            )?;
            decaps_gives(h, &mut sc, dk, &intermediate(c, "c"), &intermediate(c, "K"))
        })())
    });
}
