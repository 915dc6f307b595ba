//! Every case of the Wycheproof RSA files (`../shared/vectors/
//! wycheproof-classic/rsa_*`), through the mechanisms: keys are imported
//! through the object rules, signatures verified with both the hashing and
//! the digest form, ciphertexts decrypted (and unwrapped). A valid case must
//! give the expected result, an invalid one a clear CKR; each file prints
//! its tally.

use super::{decrypt, digest, encrypt, import, mechanism, oaep, pss, verify};
use crate::attr::Attributes;
use crate::error::Ckr;
use crate::mech::rsa::hash::Hash;
use crate::mech::rsa::key::PRIVATE_NUMBERS;
use crate::mech::test_vectors::{dir, Field, Json};
use crate::mech::{registry, MechParam};
use cryptoki_sys::*;

#[derive(Default, Debug)]
struct Tally {
    valid: usize,
    invalid: usize,
    acceptable: usize,
}

/// Run `case(group, test)` over a file; it returns whether the module
/// accepted the case. Valid cases must be accepted, invalid ones refused.
fn run(file: &str, mut case: impl FnMut(&Json, &Json) -> bool) -> Tally {
    let path = dir()
        .join("wycheproof-classic")
        .join(format!("{file}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Json = serde_json::from_str(&text).expect("valid JSON");
    let mut t = Tally::default();
    for group in doc["testGroups"].arr() {
        for test in group["tests"].arr() {
            let (id, result) = (test["tcId"].num(), test["result"].str());
            match (case(group, test), result) {
                (true, "valid") => t.valid += 1,
                (false, "invalid") => t.invalid += 1,
                (_, "acceptable") => t.acceptable += 1,
                (accepted, _) => panic!(
                    "{file} tcId {id} ({result}, {}): accepted = {accepted}",
                    test["comment"].str()
                ),
            }
        }
    }
    println!("{file}: {t:?}");
    assert_eq!(
        t.valid + t.invalid + t.acceptable,
        doc["numberOfTests"].num() as usize
    );
    assert!(t.valid > 0 && t.invalid > 0, "{file}: nothing checked");
    t
}

/// The hash a file names ("SHA-256").
fn hash(name: &str) -> &'static Hash {
    let ckm = match name {
        "SHA-1" => CKM_SHA_1,
        "SHA-224" => CKM_SHA224,
        "SHA-256" => CKM_SHA256,
        "SHA-384" => CKM_SHA384,
        "SHA-512" => CKM_SHA512,
        other => panic!("hash {other}"),
    };
    Hash::by_mechanism(ckm).unwrap()
}

fn public_key(group: &Json) -> Attributes {
    let key = &group["publicKey"];
    let (n, e) = (key["modulus"].hex(), key["publicExponent"].hex());
    import(
        CKO_PUBLIC_KEY,
        &[(CKA_MODULUS, &n), (CKA_PUBLIC_EXPONENT, &e)],
    )
    .unwrap()
}

fn private_key(group: &Json) -> Attributes {
    let key = &group["privateKey"];
    let names = [
        "modulus",
        "publicExponent",
        "privateExponent",
        "prime1",
        "prime2",
        "exponent1",
        "exponent2",
        "coefficient",
    ];
    let values: Vec<Vec<u8>> = names.iter().map(|n| key[*n].hex()).collect();
    let numbers: Vec<_> = PRIVATE_NUMBERS
        .into_iter()
        .zip(values.iter().map(Vec::as_slice))
        .collect();
    import(CKO_PRIVATE_KEY, &numbers).unwrap()
}

/// A verification's verdict; anything but "valid" must be one of the two
/// signature errors.
fn verdict(result: crate::error::Result<()>) -> bool {
    match result {
        Ok(()) => true,
        Err(Ckr::SIGNATURE_INVALID | Ckr::SIGNATURE_LEN_RANGE) => false,
        Err(e) => panic!("verification failed with {e}"),
    }
}

/// A decryption's plaintext; failures must be the two ciphertext errors.
fn plaintext(result: crate::error::Result<crate::attr::Value>) -> Option<Vec<u8>> {
    match result {
        Ok(p) => Some(p.to_vec()),
        Err(Ckr::ENCRYPTED_DATA_INVALID | Ckr::ENCRYPTED_DATA_LEN_RANGE) => None,
        Err(e) => panic!("decryption failed with {e}"),
    }
}

#[test]
fn rsa_pkcs1_signatures() {
    for bits in [2048, 3072, 4096] {
        for sha in [256, 384, 512] {
            let file = format!("rsa_signature_{bits}_sha{sha}_test");
            run(&file, |group, test| {
                let h = hash(group["sha"].str());
                let key = public_key(group);
                let (msg, sig) = (test["msg"].hex(), test["sig"].hex());
                let ty = match h.len {
                    32 => CKM_SHA256_RSA_PKCS,
                    48 => CKM_SHA384_RSA_PKCS,
                    _ => CKM_SHA512_RSA_PKCS,
                };
                let hashing = verdict(verify(&mechanism(ty, MechParam::None), &key, &msg, &sig));
                // CKM_RSA_PKCS over the DigestInfo the token would make.
                let info = h.digest_info(&digest(h.ckm, &msg));
                let raw = verdict(verify(
                    &mechanism(CKM_RSA_PKCS, MechParam::None),
                    &key,
                    &info,
                    &sig,
                ));
                assert_eq!(hashing, raw, "tcId {}", test["tcId"].num());
                hashing
            });
        }
    }
}

#[test]
fn rsa_pss_signatures() {
    for file in [
        "rsa_pss_2048_sha256_mgf1_32_test",
        "rsa_pss_3072_sha256_mgf1_32_test",
        "rsa_pss_4096_sha512_mgf1_64_test",
    ] {
        run(file, |group, test| {
            let (h, mgf) = (hash(group["sha"].str()), hash(group["mgfSha"].str()));
            let param = pss(h.ckm, mgf.mgf, group["sLen"].num() as CK_ULONG);
            let key = public_key(group);
            let (msg, sig) = (test["msg"].hex(), test["sig"].hex());
            let ty = if h.len == 32 {
                CKM_SHA256_RSA_PKCS_PSS
            } else {
                CKM_SHA512_RSA_PKCS_PSS
            };
            let hashing = verdict(verify(&mechanism(ty, param.clone()), &key, &msg, &sig));
            let d = digest(h.ckm, &msg);
            let given = verdict(verify(&mechanism(CKM_RSA_PKCS_PSS, param), &key, &d, &sig));
            assert_eq!(hashing, given, "tcId {}", test["tcId"].num());
            hashing
        });
    }
}

#[test]
fn rsa_oaep_decryption() {
    for file in [
        "rsa_oaep_2048_sha1_mgf1sha1_test",
        "rsa_oaep_2048_sha256_mgf1sha256_test",
        "rsa_oaep_3072_sha256_mgf1sha256_test",
        "rsa_oaep_4096_sha512_mgf1sha512_test",
    ] {
        // One key per file: import it once.
        let mut key: Option<(Attributes, Attributes)> = None;
        run(file, |group, test| {
            let (private, public) = key.get_or_insert_with(|| {
                let private = private_key(group);
                let public = registry()
                    .family(CKK_RSA)
                    .unwrap()
                    .unwrap()
                    .public_from_private(&private)
                    .unwrap();
                let mut template = Attributes::new();
                template.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
                template.set_ulong(CKA_KEY_TYPE, CKK_RSA);
                let public =
                    crate::object::build(&template, crate::object::Origin::Import, &public)
                        .unwrap();
                (private, public)
            });
            let (h, mgf) = (hash(group["sha"].str()), hash(group["mgfSha"].str()));
            let m = mechanism(
                CKM_RSA_PKCS_OAEP,
                oaep(h.ckm, mgf.mgf, &test["label"].hex()),
            );
            let (msg, ct) = (test["msg"].hex(), test["ct"].hex());
            let got = plaintext(decrypt(&m, private, &ct));
            if test["result"].str() == "valid" {
                // Our own encryption of the message comes back too.
                let again = encrypt(&m, public, &msg).unwrap();
                assert_eq!(plaintext(decrypt(&m, private, &again)), Some(msg.clone()));
            }
            got == Some(msg)
        });
    }
}

#[test]
fn rsa_pkcs1_decryption() {
    run("rsa_pkcs1_2048_test", |group, test| {
        let private = private_key(group);
        let m = mechanism(CKM_RSA_PKCS, MechParam::None);
        let (msg, ct) = (test["msg"].hex(), test["ct"].hex());
        let got = plaintext(decrypt(&m, &private, &ct));
        // C_UnwrapKey sees the same, with its own error codes.
        let unwrapped = registry().get(m.ty).unwrap().unwrap(&m, &private, &ct);
        match (&got, unwrapped) {
            (Some(p), Ok(v)) => assert_eq!(p, v.as_slice()),
            (None, Err(Ckr::WRAPPED_KEY_INVALID | Ckr::WRAPPED_KEY_LEN_RANGE)) => {}
            (_, other) => panic!("unwrap disagrees: {other:?}"),
        }
        got == Some(msg)
    });
}
