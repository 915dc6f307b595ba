//! Encryption and key wrapping: PKCS#1 v1.5, OAEP (every hash pair, with
//! and without a label) and raw, each both ways against aws-lc-rs where it
//! has the scheme.

use super::{decrypt, encrypt, mechanism, oaep, pair, pkcs8};
use crate::error::Ckr;
use crate::mech::{registry, MechParam};
use aws_lc_rs::rsa::{
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, Pkcs1PrivateDecryptingKey,
    Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey, OAEP_SHA256_MGF1SHA256,
};
use cryptoki_sys::*;

const HASHES: [(CK_MECHANISM_TYPE, CK_RSA_PKCS_MGF_TYPE, usize); 5] = [
    (CKM_SHA_1, CKG_MGF1_SHA1, 20),
    (CKM_SHA224, CKG_MGF1_SHA224, 28),
    (CKM_SHA256, CKG_MGF1_SHA256, 32),
    (CKM_SHA384, CKG_MGF1_SHA384, 48),
    (CKM_SHA512, CKG_MGF1_SHA512, 64),
];

fn their_private() -> PrivateDecryptingKey {
    PrivateDecryptingKey::from_pkcs8(&pkcs8(&pair().1)).unwrap()
}

fn their_public() -> PublicEncryptingKey {
    PublicEncryptingKey::from_der(pair().0.get(CKA_PUBLIC_KEY_INFO).unwrap()).unwrap()
}

#[test]
fn oaep_round_trips_for_every_hash_pair() {
    let (public, private) = pair();
    for (hash, _, len) in HASHES {
        for (_, mgf, _) in HASHES {
            for label in [&b""[..], b"a label"] {
                let m = mechanism(CKM_RSA_PKCS_OAEP, oaep(hash, mgf, label));
                let max = 256 - 2 * len - 2;
                let data: Vec<u8> = (0..max as u8).collect();
                let ciphertext = encrypt(&m, public, &data).unwrap();
                assert_eq!(ciphertext.len(), 256);
                assert_eq!(decrypt(&m, private, &ciphertext).unwrap().as_slice(), data);
                assert_eq!(encrypt(&m, public, &[]).map(|c| c.len()), Ok(256));
                assert_eq!(
                    encrypt(&m, public, &vec![0; max + 1]),
                    Err(Ckr::DATA_LEN_RANGE)
                );
                // Another label, or another hash, does not decrypt it.
                let other = mechanism(CKM_RSA_PKCS_OAEP, oaep(hash, mgf, b"other"));
                assert_eq!(
                    decrypt(&other, private, &ciphertext).err(),
                    Some(Ckr::ENCRYPTED_DATA_INVALID)
                );
            }
        }
    }
}

#[test]
fn oaep_sha256_with_label_interoperates() {
    // What pkcs11-tool --test does: OAEP, SHA-256, MGF1-SHA-256, a label.
    let (public, private) = pair();
    let label = b"pkcs11-tool label";
    let m = mechanism(CKM_RSA_PKCS_OAEP, oaep(CKM_SHA256, CKG_MGF1_SHA256, label));
    let ours = encrypt(&m, public, b"to them").unwrap();
    let theirs = OaepPrivateDecryptingKey::new(their_private()).unwrap();
    let mut out = vec![0; 256];
    let plain = theirs
        .decrypt(&OAEP_SHA256_MGF1SHA256, &ours, &mut out, Some(label))
        .unwrap();
    assert_eq!(plain, b"to them");
    let theirs = OaepPublicEncryptingKey::new(their_public()).unwrap();
    let mut ciphertext = vec![0; 256];
    let ciphertext = theirs
        .encrypt(
            &OAEP_SHA256_MGF1SHA256,
            b"to us",
            &mut ciphertext,
            Some(label),
        )
        .unwrap();
    assert_eq!(
        decrypt(&m, private, ciphertext).unwrap().as_slice(),
        b"to us"
    );
}

#[test]
fn oaep_parameters_are_checked() {
    let (public, private) = pair();
    let mech = registry().get(CKM_RSA_PKCS_OAEP).unwrap();
    for param in [
        MechParam::None,
        oaep(CKM_SHA3_256, CKG_MGF1_SHA256, b""),
        oaep(CKM_SHA256, CKG_MGF1_SHA3_256, b""),
        oaep(CKM_MD5, CKG_MGF1_SHA1, b""),
        MechParam::Bytes(vec![0; 24]),
    ] {
        let m = mechanism(CKM_RSA_PKCS_OAEP, param);
        assert_eq!(
            mech.encrypt(&m, public).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
        assert_eq!(
            mech.decrypt(&m, private).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
    }
}

#[test]
fn pkcs1_round_trips_and_interoperates() {
    let (public, private) = pair();
    let m = mechanism(CKM_RSA_PKCS, MechParam::None);
    for len in [0, 1, 16, 245] {
        let data = vec![0xa5; len];
        let ciphertext = encrypt(&m, public, &data).unwrap();
        assert_eq!(decrypt(&m, private, &ciphertext).unwrap().as_slice(), data);
    }
    assert_eq!(encrypt(&m, public, &[0; 246]), Err(Ckr::DATA_LEN_RANGE));
    let ours = encrypt(&m, public, b"to them").unwrap();
    let theirs = Pkcs1PrivateDecryptingKey::new(their_private()).unwrap();
    let mut out = vec![0; 256];
    assert_eq!(theirs.decrypt(&ours, &mut out).unwrap(), b"to them");
    let theirs = Pkcs1PublicEncryptingKey::new(their_public()).unwrap();
    let mut ciphertext = vec![0; 256];
    let ciphertext = theirs.encrypt(b"to us", &mut ciphertext).unwrap();
    assert_eq!(
        decrypt(&m, private, ciphertext).unwrap().as_slice(),
        b"to us"
    );
    // Bad ciphertexts: one error for every padding failure, another for a
    // wrong length (which is public).
    let mut bad = ours.clone();
    bad[0] ^= 0x80;
    assert_eq!(
        decrypt(&m, private, &bad).err(),
        Some(Ckr::ENCRYPTED_DATA_INVALID)
    );
    assert_eq!(
        decrypt(&m, private, &[0; 256]).err(),
        Some(Ckr::ENCRYPTED_DATA_INVALID)
    );
    assert_eq!(
        decrypt(&m, private, &ours[1..]).err(),
        Some(Ckr::ENCRYPTED_DATA_LEN_RANGE)
    );
    let mut long = ours.clone();
    long.push(0);
    assert_eq!(
        decrypt(&m, private, &long).err(),
        Some(Ckr::ENCRYPTED_DATA_LEN_RANGE)
    );
}

#[test]
fn raw_encryption_is_the_rsa_primitive() {
    let (public, private) = pair();
    let m = mechanism(CKM_RSA_X_509, MechParam::None);
    let ciphertext = encrypt(&m, public, b"short").unwrap();
    // Decryption gives the whole k-byte block: the input, left-padded.
    let block = decrypt(&m, private, &ciphertext).unwrap();
    assert_eq!(block.len(), 256);
    assert!(block[..251].iter().all(|b| *b == 0));
    assert_eq!(&block[251..], b"short");
    // Raw is deterministic, and raw decryption of a PKCS#1 ciphertext
    // shows its padding: 00 02 … 00 message.
    assert_eq!(encrypt(&m, public, &block).unwrap(), ciphertext);
    let pkcs1 = mechanism(CKM_RSA_PKCS, MechParam::None);
    let em = decrypt(&m, private, &encrypt(&pkcs1, public, b"msg").unwrap()).unwrap();
    assert_eq!(&em[..2], &[0, 2]);
    assert_eq!(&em[252..], b"\0msg");
    let n = public.get(CKA_MODULUS).unwrap();
    assert_eq!(encrypt(&m, public, n), Err(Ckr::DATA_INVALID));
    assert_eq!(encrypt(&m, public, &[0xff; 256]), Err(Ckr::DATA_INVALID));
    assert_eq!(encrypt(&m, public, &[1; 257]), Err(Ckr::DATA_LEN_RANGE));
    assert_eq!(
        decrypt(&m, private, n).err(),
        Some(Ckr::ENCRYPTED_DATA_INVALID)
    );
}

#[test]
fn aes_keys_wrap_and_unwrap() {
    let (public, private) = pair();
    let aes_key = [0x3c; 32];
    for m in [
        mechanism(
            CKM_RSA_PKCS_OAEP,
            oaep(CKM_SHA256, CKG_MGF1_SHA256, b"wrap"),
        ),
        mechanism(CKM_RSA_PKCS_OAEP, oaep(CKM_SHA_1, CKG_MGF1_SHA1, b"")),
        mechanism(CKM_RSA_PKCS, MechParam::None),
    ] {
        let mech = registry().get(m.ty).unwrap();
        let wrapped = mech.wrap(&m, public, &aes_key).unwrap();
        assert_eq!(wrapped.len(), 256);
        assert_eq!(
            mech.unwrap(&m, private, &wrapped).unwrap().as_slice(),
            aes_key
        );
        // The same as C_Decrypt would see.
        assert_eq!(decrypt(&m, private, &wrapped).unwrap().as_slice(), aes_key);
        let mut tampered = wrapped.clone();
        tampered[7] ^= 1;
        assert_eq!(
            mech.unwrap(&m, private, &tampered).err(),
            Some(Ckr::WRAPPED_KEY_INVALID)
        );
        assert_eq!(
            mech.unwrap(&m, private, &wrapped[..255]).err(),
            Some(Ckr::WRAPPED_KEY_LEN_RANGE)
        );
        // A private key's PKCS#8 does not fit in one RSA block.
        assert_eq!(
            mech.wrap(&m, public, &pkcs8(private)).err(),
            Some(Ckr::KEY_SIZE_RANGE)
        );
        assert_eq!(
            mech.wrap(&m, private, &aes_key).err(),
            Some(Ckr::KEY_TYPE_INCONSISTENT)
        );
    }
    let raw = mechanism(CKM_RSA_X_509, MechParam::None);
    let mech = registry().get(raw.ty).unwrap();
    assert_eq!(
        mech.wrap(&raw, public, &aes_key).err(),
        Some(Ckr::MECHANISM_INVALID)
    );
}

#[test]
fn input_over_the_limit_is_refused_as_it_arrives() {
    let (public, private) = pair();
    let m = mechanism(CKM_RSA_PKCS, MechParam::None);
    let mut c = registry().get(m.ty).unwrap().encrypt(&m, public).unwrap();
    assert!(c.update(&[1; 200]).unwrap().is_empty());
    assert_eq!(c.update(&[1; 46]).err(), Some(Ckr::DATA_LEN_RANGE));
    let mut d = registry().get(m.ty).unwrap().decrypt(&m, private).unwrap();
    assert!(d.update(&[1; 200]).unwrap().is_empty());
    assert_eq!(
        d.update(&[1; 57]).err(),
        Some(Ckr::ENCRYPTED_DATA_LEN_RANGE)
    );
}
