//! Wycheproof ECDSA (DER and IEEE P1363 signatures), ECDH, Ed25519 and
//! X25519 vectors through the module.
//!
//! - ECDSA: each signature is verified with CKM_ECDSA_SHA256/384/512 on the
//!   message (C_Verify, C_VerifySignature, and C_VerifySignatureUpdate on
//!   three parts) and with CKM_ECDSA on its digest (C_Verify,
//!   C_VerifySignature: it is single-part). PKCS#11 signatures are the
//!   raw r‖s, so a DER signature is converted first; one that is not strict
//!   DER (or whose integers are negative or too long for the curve) has no
//!   PKCS#11 form and counts as refused by that conversion.
//! - ECDH: CKM_ECDH1_DERIVE and CKM_ECDH1_COFACTOR_DERIVE with CKD_NULL,
//!   the peer's public key passed as the raw point taken out of the
//!   vector's SubjectPublicKeyInfo. Points off the curve, compressed points
//!   and malformed values must be refused. The SPKI itself is the caller's
//!   to parse: one that is not DER counts as refused by the conversion, and
//!   one naming other domain parameters (another curve, explicit
//!   parameters) cannot be said in PKCS#11, whose derivation takes only the
//!   point: its point is still run, must be refused or, if it lies on the
//!   key's curve, is skipped as inexpressible.
//! - Ed25519: CKM_EDDSA (pure Ed25519, no parameter), through C_Verify,
//!   C_VerifySignature and C_VerifySignatureUpdate.
//! - X25519: CKM_ECDH1_DERIVE on CKK_EC_MONTGOMERY keys. Wycheproof's
//!   acceptable low-order peers give an all-zero secret, which the module
//!   may refuse; either way the answer must be a clean CKR.

use cryptoki::object::{Attribute, KeyType, ObjectClass};
use cryptoki_sys::*;
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::rv_name;
use qrc_conformance::wycheproof::{
    der_tlv, derive_value, destroy, run_lanes, verify_lane_names, verify_with_each, Case, Der,
    Expect, Outcome, MULTI_PART, SINGLE_PART,
};
use sha2::Digest;
use std::collections::HashMap;

/// A curve of the vector files.
#[derive(Clone, Copy)]
struct Curve {
    /// CKA_EC_PARAMS: the DER named-curve OID.
    params: &'static [u8],
    /// Bytes of a coordinate or scalar.
    n: usize,
}

const P256: Curve = Curve {
    params: &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
    n: 32,
};
const P384: Curve = Curve {
    params: &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],
    n: 48,
};
const P521: Curve = Curve {
    params: &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23],
    n: 66,
};
/// id-Ed25519 (RFC 8410), the CKA_EC_PARAMS of PKCS#11 3.0 for the curve.
const ED25519_PARAMS: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// id-X25519 (RFC 8410).
const X25519_PARAMS: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x6e];
/// id-ecPublicKey (RFC 5480), the content of the OID.
const ID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// CKA_EC_POINT: the point in a DER OCTET STRING.
fn ec_point(point: &[u8]) -> Vec<u8> {
    der_tlv(0x04, point)
}

/// A session public key for verification.
fn public_key(
    h: CK_SESSION_HANDLE,
    kt: KeyType,
    params: &[u8],
    point: &[u8],
) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    raw::create(
        h,
        vec![
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(kt),
            Attribute::Token(false),
            Attribute::Verify(true),
            Attribute::EcParams(params.to_vec()),
            Attribute::EcPoint(ec_point(point)),
        ],
    )
}

/// A session private key for derivation.
fn private_key(
    h: CK_SESSION_HANDLE,
    kt: KeyType,
    params: &[u8],
    value: &[u8],
) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    raw::create(
        h,
        vec![
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(kt),
            Attribute::Token(false),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Derive(true),
            Attribute::EcParams(params.to_vec()),
            Attribute::Value(value.to_vec()),
        ],
    )
}

/// One public key per group, imported at its first case.
#[derive(Default)]
struct GroupKeys(HashMap<usize, Result<CK_OBJECT_HANDLE, CK_RV>>);

impl GroupKeys {
    fn get(
        &mut self,
        c: &Case,
        make: impl FnOnce() -> Result<CK_OBJECT_HANDLE, CK_RV>,
    ) -> Result<CK_OBJECT_HANDLE, Outcome> {
        (*self.0.entry(c.group_no).or_insert_with(make)).map_err(|rv| {
            Outcome::Mismatch(format!(
                "C_CreateObject of the group's public key: {}",
                rv_name(rv)
            ))
        })
    }
}

/// r‖s of a strict-DER ECDSA-Sig-Value whose integers are non-negative and
/// fit in `n` bytes; why not, otherwise.
fn der_to_raw(der: &[u8], n: usize) -> Result<Vec<u8>, String> {
    let mut outer = Der::new(der);
    let seq = outer.expect(0x30).ok_or("not a DER SEQUENCE")?;
    if !outer.is_empty() {
        return Err("data after the SEQUENCE".into());
    }
    let mut inner = Der::new(seq);
    let mut out = vec![0u8; 2 * n];
    for i in 0..2 {
        let int = inner
            .unsigned()
            .ok_or("r or s is not a minimal non-negative DER INTEGER")?;
        if int.len() > n {
            return Err(format!("an integer of {} bytes, over {n}", int.len()));
        }
        out[(i + 1) * n - int.len()..(i + 1) * n].copy_from_slice(int);
    }
    if !inner.is_empty() {
        return Err("data after s".into());
    }
    Ok(out)
}

/// An ECDSA file through the hashing mechanism and through CKM_ECDSA on
/// the digest made here.
fn ecdsa_file(
    file: &str,
    curve: Curve,
    hashing: (CK_MECHANISM_TYPE, &str),
    hash: fn(&[u8]) -> Vec<u8>,
    der: bool,
) {
    let mut keys = GroupKeys::default();
    let lanes = verify_lane_names(&[(hashing.1, MULTI_PART), ("CKM_ECDSA", SINGLE_PART)]);
    run_lanes(file, &lanes, |h, c| {
        let all = |o: Outcome| vec![o; lanes.len()];
        let key = match keys.get(c, || {
            public_key(
                h,
                KeyType::EC,
                curve.params,
                &c.group_hex(&["publicKey", "uncompressed"]),
            )
        }) {
            Ok(k) => k,
            Err(o) => return all(o),
        };
        let (msg, sig) = (c.hex("msg"), c.hex("sig"));
        let sig = if der {
            match der_to_raw(&sig, curve.n) {
                Ok(raw) => raw,
                Err(why) => return all(Outcome::NotEncodable(why)),
            }
        } else {
            sig
        };
        let mut out = verify_with_each(h, || Mech::new(hashing.0), MULTI_PART, key, &msg, &sig);
        out.extend(verify_with_each(
            h,
            || Mech::new(CKM_ECDSA),
            SINGLE_PART,
            key,
            &hash(&msg),
            &sig,
        ));
        out
    });
}

fn sha256(m: &[u8]) -> Vec<u8> {
    sha2::Sha256::digest(m).to_vec()
}
fn sha384(m: &[u8]) -> Vec<u8> {
    sha2::Sha384::digest(m).to_vec()
}
fn sha512(m: &[u8]) -> Vec<u8> {
    sha2::Sha512::digest(m).to_vec()
}

const SHA256: (CK_MECHANISM_TYPE, &str) = (CKM_ECDSA_SHA256, "CKM_ECDSA_SHA256");
const SHA384: (CK_MECHANISM_TYPE, &str) = (CKM_ECDSA_SHA384, "CKM_ECDSA_SHA384");
const SHA512: (CK_MECHANISM_TYPE, &str) = (CKM_ECDSA_SHA512, "CKM_ECDSA_SHA512");

#[test]
fn wycheproof_ecdsa_p256_der() {
    ecdsa_file(
        "ecdsa_secp256r1_sha256_test.json",
        P256,
        SHA256,
        sha256,
        true,
    );
}

#[test]
fn wycheproof_ecdsa_p384_der() {
    ecdsa_file(
        "ecdsa_secp384r1_sha384_test.json",
        P384,
        SHA384,
        sha384,
        true,
    );
}

#[test]
fn wycheproof_ecdsa_p521_der() {
    ecdsa_file(
        "ecdsa_secp521r1_sha512_test.json",
        P521,
        SHA512,
        sha512,
        true,
    );
}

#[test]
fn wycheproof_ecdsa_p256_p1363() {
    ecdsa_file(
        "ecdsa_secp256r1_sha256_p1363_test.json",
        P256,
        SHA256,
        sha256,
        false,
    );
}

#[test]
fn wycheproof_ecdsa_p384_p1363() {
    ecdsa_file(
        "ecdsa_secp384r1_sha384_p1363_test.json",
        P384,
        SHA384,
        sha384,
        false,
    );
}

#[test]
fn wycheproof_ecdsa_p521_p1363() {
    ecdsa_file(
        "ecdsa_secp521r1_sha512_p1363_test.json",
        P521,
        SHA512,
        sha512,
        false,
    );
}

/// What a SubjectPublicKeyInfo of the ECDH files comes to.
enum Peer {
    /// The key's own named curve: the point.
    Named(Vec<u8>),
    /// Other domain parameters (another named curve, explicit parameters):
    /// the point, which PKCS#11 can pass only without them.
    Other(Vec<u8>),
}

/// The point of an id-ecPublicKey SPKI in strict DER.
fn spki_point(der: &[u8], curve: Curve) -> Result<Peer, String> {
    let mut outer = Der::new(der);
    let spki = outer.expect(0x30).ok_or("SPKI is not a DER SEQUENCE")?;
    if !outer.is_empty() {
        return Err("data after the SPKI".into());
    }
    let mut spki = Der::new(spki);
    let alg = spki.expect(0x30).ok_or("no DER AlgorithmIdentifier")?;
    let bits = spki.expect(0x03).ok_or("no DER BIT STRING")?;
    if !spki.is_empty() {
        return Err("data after the BIT STRING".into());
    }
    let mut alg = Der::new(alg);
    if alg.expect(0x06) != Some(ID_EC_PUBLIC_KEY) {
        return Err("algorithm is not id-ecPublicKey".into());
    }
    let (tag, params) = alg.tlv().ok_or("parameters are not DER")?;
    if !alg.is_empty() {
        return Err("data after the parameters".into());
    }
    let point = match bits {
        [0, point @ ..] => point.to_vec(),
        _ => return Err("BIT STRING with unused bits or empty".into()),
    };
    Ok(if der_tlv(tag, params) == curve.params {
        Peer::Named(point)
    } else {
        Peer::Other(point)
    })
}

/// The derivation template: a generic secret of the whole shared secret,
/// readable.
fn secret_template() -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(false),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
    ]
}

/// What C_DeriveKey may return for an unusable peer key.
const PEER_REFUSALS: &[CK_RV] = &[CKR_MECHANISM_PARAM_INVALID];

/// `ty` with CK_ECDH1_DERIVE_PARAMS { CKD_NULL, no shared data, `peer` }
/// on `private`: the derived secret, or the CKR that refused it (a failure
/// to read the secret back is a mismatch).
fn ecdh_raw(
    h: CK_SESSION_HANDLE,
    ty: CK_MECHANISM_TYPE,
    private: CK_OBJECT_HANDLE,
    peer: &[u8],
) -> Result<Result<Vec<u8>, CK_RV>, Outcome> {
    let mut peer = peer.to_vec();
    let params = CK_ECDH1_DERIVE_PARAMS {
        kdf: CKD_NULL,
        ulSharedDataLen: 0,
        pSharedData: std::ptr::null_mut(),
        ulPublicDataLen: peer.len() as CK_ULONG,
        pPublicData: if peer.is_empty() {
            std::ptr::null_mut()
        } else {
            peer.as_mut_ptr()
        },
    };
    // `peer` outlives the call, which reads it through the parameter.
    derive_value(
        h,
        &mut Mech::with_struct(ty, params),
        private,
        secret_template(),
    )
}

/// [`ecdh_raw`] judged against the expected secret `shared`.
fn ecdh(
    h: CK_SESSION_HANDLE,
    c: &Case,
    ty: CK_MECHANISM_TYPE,
    private: CK_OBJECT_HANDLE,
    peer: &[u8],
    shared: &[u8],
) -> Outcome {
    match ecdh_raw(h, ty, private, peer) {
        Err(mismatch) => mismatch,
        Ok(Ok(v)) => c.compare("C_DeriveKey", &v, shared),
        Ok(Err(rv)) => Outcome::refused("C_DeriveKey", rv, PEER_REFUSALS),
    }
}

/// An SPKI with other domain parameters than the key's: only its point can
/// be passed. A refusal counts as one; an acceptance must give the expected
/// secret where there is one, and is otherwise not judged, since what the
/// vector tests (the parameters) never reaches the module.
fn ecdh_other_params(
    h: CK_SESSION_HANDLE,
    c: &Case,
    ty: CK_MECHANISM_TYPE,
    private: CK_OBJECT_HANDLE,
    point: &[u8],
    shared: &[u8],
) -> Outcome {
    match ecdh_raw(h, ty, private, point) {
        Err(mismatch) => mismatch,
        Ok(Err(rv)) => Outcome::refused("C_DeriveKey", rv, PEER_REFUSALS),
        Ok(Ok(v)) if !shared.is_empty() && v != shared => Outcome::Mismatch(format!(
            "C_DeriveKey output {} != expected {}",
            hex::encode(v),
            hex::encode(shared)
        )),
        Ok(Ok(_)) if c.result == Expect::Invalid || shared.is_empty() => Outcome::Skipped(
            "SPKI with other domain parameters, whose point lies on the key's curve and was \
             accepted (PKCS#11 passes only the point)"
                .into(),
        ),
        Ok(Ok(_)) => Outcome::Accepted,
    }
}

fn ecdh_file(file: &str, curve: Curve) {
    let lanes = [
        (CKM_ECDH1_DERIVE, "CKM_ECDH1_DERIVE"),
        (CKM_ECDH1_COFACTOR_DERIVE, "CKM_ECDH1_COFACTOR_DERIVE"),
    ];
    let names: Vec<&str> = lanes.iter().map(|l| l.1).collect();
    run_lanes(file, &names, |h, c| {
        let all = |o: Outcome| vec![o; lanes.len()];
        let peer = match spki_point(&c.hex("public"), curve) {
            Ok(p) => p,
            Err(why) => return all(Outcome::NotEncodable(why)),
        };
        let private = match private_key(h, KeyType::EC, curve.params, &c.hex("private")) {
            Ok(k) => k,
            Err(rv) => {
                return all(Outcome::Mismatch(format!(
                    "C_CreateObject of the private key: {}",
                    rv_name(rv)
                )))
            }
        };
        let shared = c.hex("shared");
        let out = lanes
            .iter()
            .map(|(ty, _)| match &peer {
                Peer::Named(point) => ecdh(h, c, *ty, private, point, &shared),
                Peer::Other(point) => ecdh_other_params(h, c, *ty, private, point, &shared),
            })
            .collect();
        destroy(h, private);
        out
    });
}

#[test]
fn wycheproof_ecdh_p256() {
    ecdh_file("ecdh_secp256r1_test.json", P256);
}

#[test]
fn wycheproof_ecdh_p384() {
    ecdh_file("ecdh_secp384r1_test.json", P384);
}

#[test]
fn wycheproof_ecdh_p521() {
    ecdh_file("ecdh_secp521r1_test.json", P521);
}

#[test]
fn wycheproof_x25519() {
    run_lanes("x25519_test.json", &["CKM_ECDH1_DERIVE"], |h, c| {
        let private = match private_key(h, KeyType::EC_MONTGOMERY, X25519_PARAMS, &c.hex("private"))
        {
            Ok(k) => k,
            Err(rv) => {
                return vec![Outcome::Mismatch(format!(
                    "C_CreateObject of the private key: {}",
                    rv_name(rv)
                ))]
            }
        };
        let (public, shared) = (c.hex("public"), c.hex("shared"));
        // Low-order peers (all-zero secret) are acceptable cases: the
        // module may refuse them, cleanly.
        let out = ecdh(h, c, CKM_ECDH1_DERIVE, private, &public, &shared);
        destroy(h, private);
        vec![out]
    });
}

#[test]
fn wycheproof_ed25519() {
    let mut keys = GroupKeys::default();
    let lanes = verify_lane_names(&[("CKM_EDDSA", MULTI_PART)]);
    run_lanes("ed25519_test.json", &lanes, |h, c| {
        let key = match keys.get(c, || {
            public_key(
                h,
                KeyType::EC_EDWARDS,
                ED25519_PARAMS,
                &c.group_hex(&["publicKey", "pk"]),
            )
        }) {
            Ok(k) => k,
            Err(o) => return vec![o; lanes.len()],
        };
        let (msg, sig) = (c.hex("msg"), c.hex("sig"));
        verify_with_each(h, || Mech::new(CKM_EDDSA), MULTI_PART, key, &msg, &sig)
    });
}
