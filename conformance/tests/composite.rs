//! Composite ML-KEM and composite ML-DSA (IETF LAMPS
//! draft-ietf-lamps-pq-composite-kem-20 and -sigs-19) through the module's
//! vendor mechanisms, driven as a client drives them: key pairs of every
//! parameter set, C_EncapsulateKey / C_DecapsulateKey, single- and
//! multi-part signatures with and without a context, the drafts' vectors
//! (`vectors/composite`) imported by C_CreateObject and by C_UnwrapKey of
//! their PKCS#8, and what must fail: a signature with one bad half, damaged
//! ciphertexts, malformed keys.
//!
//! The vendor values come from `include/qrcpkcs11.h` through `qrc-vendor`,
//! as a C client takes them from the header; these tests load the .so like
//! any client and do not link the emulator.

use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::ParameterSetType;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use cryptoki::types::Ulong;
use cryptoki_sys::*;
use pqc_common::Failures;
use qrc_conformance::pqc::{self, Case, Scratch, SignMech};
use qrc_conformance::raw::{self, raw_attr, Mech};
use qrc_conformance::{call, keys, rv_of, Fixture};
use qrc_vendor::*;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

mod pqc_common;

/// The name of a vendor value.
fn vendor_name(value: CK_ULONG) -> &'static str {
    qrc_vendor::ALL
        .iter()
        .find(|v| v.1 == value)
        .map_or("?", |v| v.0)
}

/// Composite ML-KEM or composite ML-DSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Kem,
    Sig,
}

impl Kind {
    fn key_type(self) -> CK_KEY_TYPE {
        match self {
            Kind::Kem => CKK_QRC_COMP_KEM,
            Kind::Sig => CKK_QRC_COMP_SIG,
        }
    }

    fn keygen(self) -> CK_MECHANISM_TYPE {
        match self {
            Kind::Kem => CKM_QRC_COMP_KEM_KEY_PAIR_GEN,
            Kind::Sig => CKM_QRC_COMP_SIG_KEY_PAIR_GEN,
        }
    }

    /// CKM_QRC_COMP_KEM or CKM_QRC_COMP_SIG.
    fn mechanism(self) -> CK_MECHANISM_TYPE {
        match self {
            Kind::Kem => CKM_QRC_COMP_KEM,
            Kind::Sig => CKM_QRC_COMP_SIG,
        }
    }

    /// CKA_ENCAPSULATE or CKA_VERIFY.
    fn public_usage(self) -> CK_ATTRIBUTE_TYPE {
        match self {
            Kind::Kem => CKA_ENCAPSULATE,
            Kind::Sig => CKA_VERIFY,
        }
    }

    /// CKA_DECAPSULATE or CKA_SIGN.
    fn private_usage(self) -> CK_ATTRIBUTE_TYPE {
        match self {
            Kind::Kem => CKA_DECAPSULATE,
            Kind::Sig => CKA_SIGN,
        }
    }

    /// The drafts' vector file.
    fn vector_file(self) -> &'static str {
        match self {
            Kind::Kem => "kem.json",
            Kind::Sig => "sig.json",
        }
    }

    fn sets(self) -> impl Iterator<Item = &'static Comp> {
        SETS.iter().filter(move |s| s.kind == self)
    }
}

/// One composite algorithm of the drafts and its sizes in bytes.
struct Comp {
    kind: Kind,
    /// The draft's name (`alg` in the vector files).
    name: &'static str,
    ckp: CK_ULONG,
    /// The composite OID (SPKI and PKCS#8), dotted.
    oid: &'static str,
    pk_len: usize,
    sk_len: usize,
    /// The post-quantum seed that starts the private key (ML-KEM d‖z,
    /// ML-DSA ξ); the traditional private key follows.
    seed_len: usize,
    /// KEM: the ML-KEM ciphertext; signatures: the ML-DSA signature.
    pq_out: usize,
    /// KEM: the traditional ciphertext (an ephemeral public key);
    /// signatures: the longest traditional signature.
    trad_out: usize,
    /// The traditional half is on a NIST curve: an RFC 5915 ECPrivateKey,
    /// uncompressed points, DER ECDSA signatures. Otherwise X25519 / Ed25519
    /// with raw 32-byte keys and fixed-length signatures.
    nist: bool,
}

impl Comp {
    /// The whole KEM ciphertext.
    fn ct_len(&self) -> usize {
        self.pq_out + self.trad_out
    }
}

#[allow(clippy::too_many_arguments)] // one table row
const fn comp(
    kind: Kind,
    name: &'static str,
    ckp: CK_ULONG,
    oid: &'static str,
    [pk_len, sk_len, seed_len]: [usize; 3],
    [pq_out, trad_out]: [usize; 2],
    nist: bool,
) -> Comp {
    Comp {
        kind,
        name,
        ckp,
        oid,
        pk_len,
        sk_len,
        seed_len,
        pq_out,
        trad_out,
        nist,
    }
}

use Kind::{Kem, Sig};

/// The six algorithms. A P-256 ECPrivateKey is 51 bytes, P-384 64; a DER
/// ECDSA signature is at most 72 (P-256) or 104 (P-384) bytes.
#[rustfmt::skip] // a table: one algorithm per line
static SETS: [Comp; 6] = [
    comp(Kem, "id-MLKEM768-X25519-SHA3-256", CKP_QRC_COMP_KEM_MLKEM768_X25519, "1.3.6.1.5.5.7.6.58", [1184 + 32, 64 + 32, 64], [1088, 32], false),
    comp(Kem, "id-MLKEM768-ECDH-P256-SHA3-256", CKP_QRC_COMP_KEM_MLKEM768_ECDH_P256, "1.3.6.1.5.5.7.6.59", [1184 + 65, 64 + 51, 64], [1088, 65], true),
    comp(Kem, "id-MLKEM1024-ECDH-P384-SHA3-256", CKP_QRC_COMP_KEM_MLKEM1024_ECDH_P384, "1.3.6.1.5.5.7.6.63", [1568 + 97, 64 + 64, 64], [1568, 97], true),
    comp(Sig, "id-MLDSA44-ECDSA-P256-SHA256", CKP_QRC_COMP_SIG_MLDSA44_ECDSA_P256_SHA256, "1.3.6.1.5.5.7.6.40", [1312 + 65, 32 + 51, 32], [2420, 72], true),
    comp(Sig, "id-MLDSA65-Ed25519-SHA512", CKP_QRC_COMP_SIG_MLDSA65_ED25519_SHA512, "1.3.6.1.5.5.7.6.48", [1952 + 32, 32 + 32, 32], [3309, 64], false),
    comp(Sig, "id-MLDSA87-ECDSA-P384-SHA512", CKP_QRC_COMP_SIG_MLDSA87_ECDSA_P384_SHA512, "1.3.6.1.5.5.7.6.49", [2592 + 97, 32 + 64, 32], [4627, 104], true),
];

/// The algorithm a vector names.
fn set_named(alg: &str) -> &'static Comp {
    SETS.iter()
        .find(|s| s.name == alg)
        .unwrap_or_else(|| panic!("unknown composite algorithm {alg:?}"))
}

/// A session public key of `set` holding `value`, usage allowed; the
/// parameter set given or left for the module to find from the length.
fn public_template(set: &Comp, value: &[u8], with_set: bool) -> Vec<Attribute> {
    let mut t = vec![
        pqc::ulong_attr(CKA_CLASS, CKO_PUBLIC_KEY),
        pqc::ulong_attr(CKA_KEY_TYPE, set.kind.key_type()),
        pqc::bool_attr(CKA_TOKEN, false),
        pqc::bool_attr(set.kind.public_usage(), true),
        raw_attr(CKA_VALUE, value),
    ];
    if with_set {
        t.push(pqc::ulong_attr(CKA_PARAMETER_SET, set.ckp));
    }
    t
}

/// A session private key of `set`, readable and extractable, usage allowed,
/// without its value (C_UnwrapKey's template).
fn private_attributes(set: &Comp, with_set: bool) -> Vec<Attribute> {
    let mut t = vec![
        pqc::ulong_attr(CKA_CLASS, CKO_PRIVATE_KEY),
        pqc::ulong_attr(CKA_KEY_TYPE, set.kind.key_type()),
        pqc::bool_attr(CKA_TOKEN, false),
        pqc::bool_attr(CKA_SENSITIVE, false),
        pqc::bool_attr(CKA_EXTRACTABLE, true),
        pqc::bool_attr(set.kind.private_usage(), true),
    ];
    if with_set {
        t.push(pqc::ulong_attr(CKA_PARAMETER_SET, set.ckp));
    }
    t
}

/// [`private_attributes`] holding `value` (C_CreateObject's template).
fn private_template(set: &Comp, value: &[u8], with_set: bool) -> Vec<Attribute> {
    let mut t = private_attributes(set, with_set);
    t.push(raw_attr(CKA_VALUE, value));
    t
}

/// A generated session key pair of `set`, the parameter set in the public
/// template only (the private template names class and key type, as
/// clients often do), kept in `sc`.
fn pair(
    h: CK_SESSION_HANDLE,
    sc: &mut Scratch,
    set: &Comp,
) -> Result<(CK_OBJECT_HANDLE, CK_OBJECT_HANDLE), String> {
    let public = vec![
        pqc::bool_attr(CKA_TOKEN, false),
        pqc::ulong_attr(CKA_PARAMETER_SET, set.ckp),
        pqc::bool_attr(set.kind.public_usage(), true),
    ];
    let private = private_attributes(set, false);
    let (pk, sk) = pqc::must(
        pqc::generate_key_pair(h, set.kind.keygen(), public, private),
        "C_GenerateKeyPair",
    )?;
    Ok((sc.keep(pk), sc.keep(sk)))
}

/// A CK_ULONG attribute must be `want`.
fn ulong_is(
    h: CK_SESSION_HANDLE,
    k: CK_OBJECT_HANDLE,
    ty: CK_ATTRIBUTE_TYPE,
    want: CK_ULONG,
) -> Result<(), String> {
    let got = pqc::must(
        raw::attr_ulong(h, k, ty),
        &format!("C_GetAttributeValue(0x{ty:X})"),
    )?;
    if got == want {
        Ok(())
    } else {
        Err(format!("attribute 0x{ty:X} = 0x{got:X}, want 0x{want:X}"))
    }
}

/// CKA_PUBLIC_KEY_INFO of `k` is an SPKI of the composite OID, without
/// parameters, around `public`.
fn spki_is(
    h: CK_SESSION_HANDLE,
    k: CK_OBJECT_HANDLE,
    set: &Comp,
    public: &[u8],
) -> Result<(), String> {
    let der = pqc::read(h, k, CKA_PUBLIC_KEY_INFO)?;
    let (oid, params, bits) =
        pqc::parse_spki(&der).ok_or("CKA_PUBLIC_KEY_INFO is not a SubjectPublicKeyInfo")?;
    if oid != set.oid || params {
        return Err(format!(
            "CKA_PUBLIC_KEY_INFO algorithm {oid} (parameters: {params}), want {} without",
            set.oid
        ));
    }
    pqc::same("CKA_PUBLIC_KEY_INFO key", &bits, public)
}

/// A public key object of `set` holds `public`: key type, parameter set,
/// CKA_VALUE and CKA_PUBLIC_KEY_INFO.
fn public_key_is(
    h: CK_SESSION_HANDLE,
    pk: CK_OBJECT_HANDLE,
    set: &Comp,
    public: &[u8],
) -> Result<(), String> {
    ulong_is(h, pk, CKA_KEY_TYPE, set.kind.key_type())?;
    ulong_is(h, pk, CKA_PARAMETER_SET, set.ckp)?;
    pqc::same("public CKA_VALUE", &pqc::read(h, pk, CKA_VALUE)?, public)?;
    spki_is(h, pk, set, public)
}

/// A private key object of `set` belongs to `public`: parameter set,
/// CKA_PUBLIC_KEY_INFO, and C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY).
fn private_key_is(
    h: CK_SESSION_HANDLE,
    sc: &mut Scratch,
    sk: CK_OBJECT_HANDLE,
    set: &Comp,
    public: &[u8],
) -> Result<(), String> {
    ulong_is(h, sk, CKA_KEY_TYPE, set.kind.key_type())?;
    ulong_is(h, sk, CKA_PARAMETER_SET, set.ckp)?;
    spki_is(h, sk, set, public).map_err(|e| format!("private key: {e}"))?;
    let derived = pqc::must(sc.public_from(sk), "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY)")?;
    public_key_is(h, derived, set, public).map_err(|e| format!("derived public key: {e}"))
}

/// A generated pair has the set's sizes and its halves belong together.
fn generated_pair_is(
    h: CK_SESSION_HANDLE,
    sc: &mut Scratch,
    set: &Comp,
    pk: CK_OBJECT_HANDLE,
    sk: CK_OBJECT_HANDLE,
) -> Result<(), String> {
    let public = pqc::read(h, pk, CKA_VALUE)?;
    let private = pqc::read(h, sk, CKA_VALUE)?;
    if public.len() != set.pk_len || private.len() != set.sk_len {
        return Err(format!(
            "CKA_VALUE lengths {} / {}, want {} / {}",
            public.len(),
            private.len(),
            set.pk_len,
            set.sk_len
        ));
    }
    public_key_is(h, pk, set, &public)?;
    private_key_is(h, sc, sk, set, &public)
}

/// C_EncapsulateKey with a NULL ciphertext: the length it reports.
fn ciphertext_length(h: CK_SESSION_HANDLE, pk: CK_OBJECT_HANDLE) -> Result<usize, CK_RV> {
    let mut m = Mech::new(CKM_QRC_COMP_KEM);
    let mut t = raw::Template::new(pqc::secret_template());
    let (mut len, mut key): (CK_ULONG, _) = (0, CK_INVALID_HANDLE);
    pqc::ok(call!(C_EncapsulateKey(
        h,
        m.ptr(),
        pk,
        t.ptr(),
        t.len(),
        std::ptr::null_mut(),
        &mut len,
        &mut key
    )))?;
    Ok(len as usize)
}

/// C_EncapsulateKey to `pk`: (ciphertext, the new generic secret's value).
fn encapsulate(
    h: CK_SESSION_HANDLE,
    sc: &mut Scratch,
    pk: CK_OBJECT_HANDLE,
) -> Result<(Vec<u8>, Vec<u8>), CK_RV> {
    let mut m = Mech::new(CKM_QRC_COMP_KEM);
    let (ct, key) = pqc::encapsulate(h, &mut m, pk, pqc::secret_template())?;
    sc.keep(key);
    Ok((ct, raw::attr(h, key, CKA_VALUE)?))
}

/// C_DecapsulateKey of `ct`: the new generic secret's value.
fn decapsulate(
    h: CK_SESSION_HANDLE,
    sc: &mut Scratch,
    sk: CK_OBJECT_HANDLE,
    ct: &[u8],
) -> Result<Vec<u8>, CK_RV> {
    let mut m = Mech::new(CKM_QRC_COMP_KEM);
    let key = sc.keep(pqc::decapsulate(h, &mut m, sk, pqc::secret_template(), ct)?);
    raw::attr(h, key, CKA_VALUE)
}

/// CKM_QRC_COMP_SIG: without a parameter, or with a
/// CK_SIGN_ADDITIONAL_CONTEXT (hedge preferred) holding `ctx`.
fn sig_mech(ctx: Option<&[u8]>) -> SignMech {
    match ctx {
        None => pqc::sign_mech_none(CKM_QRC_COMP_SIG),
        Some(c) => pqc::sign_mech(CKM_QRC_COMP_SIG, CKH_HEDGE_PREFERRED, c),
    }
}

/// The message cut in two, for C_SignUpdate / C_VerifyUpdate ×2.
fn halves(msg: &[u8]) -> [&[u8]; 2] {
    let (a, b) = msg.split_at(msg.len() / 2);
    [a, b]
}

/// C_Sign, or C_SignUpdate ×2 + C_SignFinal.
fn sign(
    h: CK_SESSION_HANDLE,
    sk: CK_OBJECT_HANDLE,
    ctx: Option<&[u8]>,
    msg: &[u8],
    multi_part: bool,
) -> Result<Vec<u8>, String> {
    let mut m = sig_mech(ctx);
    if multi_part {
        let parts = halves(msg);
        pqc::must(raw::sign_parts(h, &mut m, sk, &parts), "C_SignUpdate ×2")
    } else {
        pqc::must(raw::sign(h, &mut m, sk, msg), "C_Sign")
    }
}

/// A composite ML-DSA public key, verified with four ways at once.
#[derive(Clone, Copy)]
struct Verifier {
    h: CK_SESSION_HANDLE,
    pk: CK_OBJECT_HANDLE,
}

impl Verifier {
    /// C_Verify, C_VerifyUpdate ×2 + C_VerifyFinal, C_VerifySignature and
    /// C_VerifySignatureUpdate ×2 + C_VerifySignatureFinal all give `want`.
    fn gives(
        self,
        want: CK_RV,
        ctx: Option<&[u8]>,
        msg: &[u8],
        sig: &[u8],
        what: &str,
    ) -> Result<(), String> {
        let Verifier { h, pk } = self;
        let mut m = sig_mech(ctx);
        let parts = halves(msg);
        for (call, got) in [
            ("C_Verify", raw::verify(h, &mut m, pk, msg, sig)),
            (
                "C_VerifyUpdate ×2",
                raw::verify_parts(h, &mut m, pk, &parts, sig),
            ),
            (
                "C_VerifySignature",
                pqc::verify_signature(h, &mut m, pk, msg, sig),
            ),
            (
                "C_VerifySignatureUpdate ×2",
                pqc::verify_signature_parts(h, &mut m, pk, &parts, sig),
            ),
        ] {
            pqc::rv_is(got, want, &format!("{call} ({what})"))?;
        }
        Ok(())
    }

    fn accepts(self, ctx: Option<&[u8]>, msg: &[u8], sig: &[u8], what: &str) -> Result<(), String> {
        self.gives(CKR_OK, ctx, msg, sig, what)
    }

    fn rejects(self, ctx: Option<&[u8]>, msg: &[u8], sig: &[u8], what: &str) -> Result<(), String> {
        self.gives(CKR_SIGNATURE_INVALID, ctx, msg, sig, what)
    }
}

/// A composite signature is the ML-DSA signature followed by a traditional
/// one: Ed25519's 64 bytes, or a DER ECDSA SEQUENCE.
fn signature_shape(set: &Comp, sig: &[u8]) -> Result<(), String> {
    let trad = sig.get(set.pq_out..).unwrap_or_default();
    let ok = if set.nist {
        (8..=set.trad_out).contains(&trad.len()) && trad[..2] == [0x30, trad.len() as u8 - 2]
    } else {
        trad.len() == set.trad_out
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "signature of {} bytes: traditional half {:02x?}… ({} bytes) after {} ML-DSA bytes",
            sig.len(),
            &trad[..trad.len().min(4)],
            trad.len(),
            set.pq_out
        ))
    }
}

/// Runs `check` on every algorithm of `kinds` in one user session; fails
/// listing every algorithm that failed.
fn each_set(kinds: &[Kind], check: impl Fn(&Session, &'static Comp) -> Result<(), String>) {
    let fx = Fixture::new();
    let s = fx.user_session();
    let mut f = Failures::new();
    for set in SETS.iter().filter(|s| kinds.contains(&s.kind)) {
        f.check(set.name, check(&s, set));
    }
    f.finish();
}

/// The drafts' vectors for `kind` (repository `vectors/composite`); every
/// algorithm of the kind must be there.
fn vectors(kind: Kind) -> Vec<Json> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors/composite")
        .join(kind.vector_file());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Json =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cases = doc["tests"].as_array().expect("vector file without tests");
    for set in kind.sets() {
        assert!(
            cases.iter().any(|c| c.str("alg") == set.name),
            "{}: no vector for {}",
            path.display(),
            set.name
        );
    }
    cases.clone()
}

/// Pass counts of a vector run by check, printed at the end; the failures
/// listed.
struct Counts {
    title: &'static str,
    /// The algorithm of the vector being run.
    alg: &'static str,
    rows: Vec<(&'static str, usize, usize)>,
    failures: Vec<String>,
}

impl Counts {
    /// Counts `outcome` of check `what` on the current vector.
    fn check(&mut self, what: &'static str, outcome: Result<(), String>) {
        let i = match self.rows.iter().position(|r| r.0 == what) {
            Some(i) => i,
            None => {
                self.rows.push((what, 0, 0));
                self.rows.len() - 1
            }
        };
        self.rows[i].2 += 1;
        match outcome {
            Ok(()) => self.rows[i].1 += 1,
            Err(why) => self.failures.push(format!("{}: {what}: {why}", self.alg)),
        }
    }
}

/// Runs `run` on every vector of `kinds` in one user session, each with
/// the objects it makes destroyed after it; prints "title: 3/3 what, …" and
/// fails listing the failures.
fn each_vector(
    kinds: &[Kind],
    title: &'static str,
    mut run: impl FnMut(CK_SESSION_HANDLE, &mut Scratch, &Json, &'static Comp, &mut Counts),
) {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let mut n = Counts {
        title,
        alg: "",
        rows: Vec::new(),
        failures: Vec::new(),
    };
    for c in kinds.iter().flat_map(|&k| vectors(k)) {
        let set = set_named(c.str("alg"));
        n.alg = set.name;
        run(h, &mut Scratch::new(h), &c, set, &mut n);
    }
    let rows: Vec<String> = n
        .rows
        .iter()
        .map(|(what, ok, all)| format!("{ok}/{all} {what}"))
        .collect();
    let summary = format!("{}: {}", n.title, rows.join(", "));
    println!("{summary}");
    assert!(
        n.failures.is_empty(),
        "{summary}\n  {}",
        n.failures.join("\n  ")
    );
}

/// The OIDs the header's comments name for the composite parameter sets are
/// the ones the drafts give and these tests use.
#[test]
fn parameter_set_oids_match_the_header() {
    let mut checked = 0;
    for (name, value, oid) in qrc_vendor::ALL {
        if let Some(set) = SETS
            .iter()
            .find(|s| s.ckp == *value && name.starts_with("CKP_QRC"))
        {
            assert_eq!(*oid, Some(set.oid), "{name}");
            checked += 1;
        }
    }
    assert_eq!(checked, SETS.len(), "every composite set is in the header");
}

fn vendor_mechanism_type(ty: CK_MECHANISM_TYPE) -> MechanismType {
    MechanismType::new_vendor_defined(ty).expect("a value in the vendor range")
}

/// The four mechanisms are listed, with the functions they serve and key
/// sizes in public-key bytes (as the 3.2 PQC mechanisms).
#[test]
fn mechanisms_are_listed_with_their_functions() {
    let fx = Fixture::new();
    // Raw: cryptoki's typed list drops values it has no name for.
    let mut n: CK_ULONG = 0;
    let rv = call!(C_GetMechanismList(0, std::ptr::null_mut(), &mut n));
    assert_eq!(rv, CKR_OK, "C_GetMechanismList(NULL)");
    let mut listed = vec![0 as CK_MECHANISM_TYPE; n as usize];
    let rv = call!(C_GetMechanismList(0, listed.as_mut_ptr(), &mut n));
    assert_eq!(rv, CKR_OK, "C_GetMechanismList");
    let mut f = Failures::new();
    for kind in [Kem, Sig] {
        let sizes: Vec<usize> = kind.sets().map(|s| s.pk_len).collect();
        let want_sizes = (*sizes.iter().min().unwrap(), *sizes.iter().max().unwrap());
        for ty in [kind.keygen(), kind.mechanism()] {
            let r = fx
                .ctx
                .get_mechanism_info(fx.slot, vendor_mechanism_type(ty))
                .map_err(|e| format!("C_GetMechanismInfo: {e}"))
                .and_then(|info| {
                    let flags_ok = match (ty == kind.keygen(), kind) {
                        (true, _) => info.generate_key_pair(),
                        (false, Kem) => info.encapsulate() && info.decapsulate() && !info.sign(),
                        (false, Sig) => info.sign() && info.verify() && !info.encapsulate(),
                    };
                    let sizes = (info.min_key_size(), info.max_key_size());
                    if !listed.contains(&ty) || !flags_ok || sizes != want_sizes {
                        return Err(format!(
                            "listed: {}; {info:?}; want key sizes {want_sizes:?}",
                            listed.contains(&ty)
                        ));
                    }
                    Ok(())
                });
            f.check(vendor_name(ty), r);
        }
    }
    f.finish();
}

/// C_GenerateKeyPair, the keys' sizes and attributes, the length query
/// that creates no key, and C_DecapsulateKey giving the secret
/// C_EncapsulateKey gave.
fn kem_round_trip(s: &Session, set: &Comp) -> Result<(), String> {
    let h = s.handle();
    let mut sc = Scratch::new(h);
    let (pk, sk) = pair(h, &mut sc, set)?;
    generated_pair_is(h, &mut sc, set, pk, sk)?;
    let before = pqc::object_count(h);
    let len = pqc::must(
        ciphertext_length(h, pk),
        "C_EncapsulateKey(NULL ciphertext)",
    )?;
    let created = pqc::object_count(h) - before;
    if len != set.ct_len() || created != 0 {
        return Err(format!(
            "length query: {len} bytes (want {}), {created} new objects (want 0)",
            set.ct_len()
        ));
    }
    let (ct, secret) = pqc::must(encapsulate(h, &mut sc, pk), "C_EncapsulateKey")?;
    if ct.len() != set.ct_len() || secret.len() != 32 {
        return Err(format!(
            "ciphertext {} bytes, secret {} bytes",
            ct.len(),
            secret.len()
        ));
    }
    let got = pqc::must(decapsulate(h, &mut sc, sk, &ct), "C_DecapsulateKey")?;
    pqc::same("decapsulated secret", &got, &secret)
}

#[test]
fn kem_pairs_encapsulate_and_decapsulate() {
    each_set(&[Kem], kem_round_trip);
}

/// Damaged ciphertexts: the wrong length is CKR_ENCRYPTED_DATA_LEN_RANGE;
/// a NIST-curve half that is no longer a point CKR_ENCRYPTED_DATA_INVALID
/// (any 32 bytes are an X25519 key: a different secret); a damaged ML-KEM
/// half gives ML-KEM's implicit-rejection secret. Refusals create nothing.
fn damaged_ciphertexts(s: &Session, set: &Comp) -> Result<(), String> {
    let h = s.handle();
    let mut sc = Scratch::new(h);
    let (pk, sk) = pair(h, &mut sc, set)?;
    let (ct, secret) = pqc::must(encapsulate(h, &mut sc, pk), "C_EncapsulateKey")?;
    let before = pqc::object_count(h);
    let mut refused = |bad: &[u8], want: CK_RV, what: &str| {
        let r = decapsulate(h, &mut sc, sk, bad);
        pqc::refused(r, want, &format!("C_DecapsulateKey(ciphertext {what})"))
    };
    refused(
        &ct[..ct.len() - 1],
        CKR_ENCRYPTED_DATA_LEN_RANGE,
        "one byte short",
    )?;
    let long = [&ct[..], &[0]].concat();
    refused(&long, CKR_ENCRYPTED_DATA_LEN_RANGE, "one byte long")?;
    let last = altered(&ct, ct.len() - 1, |b| b ^ 1);
    if set.nist {
        let what = "last byte flipped: the point is off the curve";
        refused(&last, CKR_ENCRYPTED_DATA_INVALID, what)?;
    }
    if pqc::object_count(h) != before {
        return Err("a refused C_DecapsulateKey created an object".into());
    }
    let mut different = vec![(altered(&ct, 0, |b| b ^ 1), "ML-KEM half")];
    if !set.nist {
        different.push((last, "X25519 half"));
    }
    for (bad, what) in different {
        let got = pqc::must(
            decapsulate(h, &mut sc, sk, &bad),
            &format!("C_DecapsulateKey({what} damaged)"),
        )?;
        if got == secret || got.len() != 32 {
            return Err(format!("{what} damaged: not a different 32-byte secret"));
        }
    }
    Ok(())
}

#[test]
fn damaged_kem_ciphertexts() {
    each_set(&[Kem], damaged_ciphertexts);
}

/// C_GenerateKeyPair, the keys' sizes and attributes; C_Sign and
/// C_SignUpdate ×2, without a parameter and with a context, each verified
/// four ways; another message, another context or no context instead of
/// the one signed is CKR_SIGNATURE_INVALID.
fn sign_and_verify(s: &Session, set: &Comp) -> Result<(), String> {
    let h = s.handle();
    let msg = b"a composite signature needs both halves to verify";
    let ctx: &[u8] = b"application context";
    let mut sc = Scratch::new(h);
    let (pk, sk) = pair(h, &mut sc, set)?;
    generated_pair_is(h, &mut sc, set, pk, sk)?;
    let v = Verifier { h, pk };
    for (signed, other) in [(None, Some(ctx)), (Some(ctx), None)] {
        for (multi_part, how) in [(false, "C_Sign"), (true, "C_SignUpdate ×2")] {
            let how = format!("{how}, context {signed:?}");
            let sig = sign(h, sk, signed, msg, multi_part)
                .and_then(|sig| signature_shape(set, &sig).map(|()| sig))
                .map_err(|e| format!("{how}: {e}"))?;
            v.accepts(signed, msg, &sig, &how)?;
            v.rejects(signed, b"another message", &sig, "another message")?;
            v.rejects(other, msg, &sig, "the context not the signed one")?;
            v.rejects(Some(b"wrong"), msg, &sig, "a wrong context")?;
        }
    }
    Ok(())
}

#[test]
fn signature_pairs_sign_and_verify() {
    each_set(&[Sig], sign_and_verify);
}

/// CK_SIGN_ADDITIONAL_CONTEXT: an empty context is the same as no
/// parameter; 255 bytes are allowed, 256 not; hedging may be required;
/// CKH_DETERMINISTIC_REQUIRED gives the same signature twice with Ed25519
/// and is refused with ECDSA, whose nonce is random; a parameter of the
/// wrong size is refused.
fn signature_parameters(s: &Session, set: &Comp) -> Result<(), String> {
    let h = s.handle();
    let msg = b"parameters";
    let mut sc = Scratch::new(h);
    let (pk, sk) = pair(h, &mut sc, set)?;
    let v = Verifier { h, pk };
    v.accepts(
        Some(b""),
        msg,
        &sign(h, sk, None, msg, false)?,
        "empty context",
    )?;
    let empty = sign(h, sk, Some(b""), msg, false)?;
    v.accepts(None, msg, &empty, "signed with an empty context")?;
    let longest = [7u8; 255];
    let sig = sign(h, sk, Some(&longest), msg, false)?;
    v.accepts(Some(&longest), msg, &sig, "255-byte context")?;
    let param_invalid = |m: &mut Mech, what: &str| {
        let r = raw::sign(h, m, sk, msg);
        pqc::refused(
            r,
            CKR_MECHANISM_PARAM_INVALID,
            &format!("C_SignInit({what})"),
        )
    };
    let too_long = [7u8; 256];
    param_invalid(&mut sig_mech(Some(&too_long)), "256-byte context")?;
    v.gives(
        CKR_MECHANISM_PARAM_INVALID,
        Some(&too_long),
        msg,
        &sig,
        "256-byte context",
    )?;
    let odd_size = &mut Mech::with_bytes(CKM_QRC_COMP_SIG, &[0; 8]);
    param_invalid(odd_size, "8-byte parameter")?;
    let mut hedged = pqc::sign_mech(CKM_QRC_COMP_SIG, CKH_HEDGE_REQUIRED, b"");
    let sig = pqc::must(raw::sign(h, &mut hedged, sk, msg), "C_Sign(hedge required)")?;
    v.accepts(None, msg, &sig, "hedge required")?;
    let deterministic = || pqc::sign_mech(CKM_QRC_COMP_SIG, CKH_DETERMINISTIC_REQUIRED, b"");
    if set.nist {
        return param_invalid(&mut deterministic(), "deterministic, ECDSA");
    }
    let sign_deterministic = || {
        let r = raw::sign(h, &mut deterministic(), sk, msg);
        pqc::must(r, "C_Sign(deterministic)")
    };
    let (once, twice) = (sign_deterministic()?, sign_deterministic()?);
    pqc::same("deterministic signatures", &twice, &once)?;
    v.accepts(None, msg, &once, "deterministic")
}

#[test]
fn signature_context_and_hedging() {
    each_set(&[Sig], signature_parameters);
}

/// A composite signature verifies only if both halves do: a valid
/// signature with either half taken from a valid signature of another
/// message (same key) is CKR_SIGNATURE_INVALID. A signature cut to its
/// ML-DSA half, or longer than any, is CKR_SIGNATURE_LEN_RANGE; so is an
/// Ed25519 composite one byte short (its length is fixed), while an ECDSA
/// one a byte short may be either (DER lengths vary).
fn one_bad_half(s: &Session, set: &Comp) -> Result<(), String> {
    let h = s.handle();
    let (m1, m2) = (&b"the message signed"[..], &b"another message"[..]);
    let mut sc = Scratch::new(h);
    let (pk, sk) = pair(h, &mut sc, set)?;
    let v = Verifier { h, pk };
    let (s1, s2) = (sign(h, sk, None, m1, false)?, sign(h, sk, None, m2, false)?);
    v.accepts(None, m1, &s1, "intact")?;
    v.accepts(None, m2, &s2, "intact")?;
    let ((pq1, trad1), (pq2, trad2)) = (s1.split_at(set.pq_out), s2.split_at(set.pq_out));
    let sig = [pq1, trad2].concat();
    v.rejects(
        None,
        m1,
        &sig,
        "traditional half of another message's signature",
    )?;
    let sig = [pq2, trad1].concat();
    v.rejects(None, m1, &sig, "ML-DSA half of another message's signature")?;
    let len_range = |sig: &[u8], what| v.gives(CKR_SIGNATURE_LEN_RANGE, None, m1, sig, what);
    len_range(pq1, "ML-DSA half only")?;
    len_range(&[&s1[..], &[0; 104]].concat(), "104 bytes appended")?;
    let short = &s1[..s1.len() - 1];
    if !set.nist {
        return len_range(short, "one byte short");
    }
    let got = raw::verify(h, &mut sig_mech(None), pk, m1, short);
    if ![CKR_SIGNATURE_INVALID, CKR_SIGNATURE_LEN_RANGE].contains(&got) {
        return Err(pqc::why("C_Verify(ECDSA half one byte short)", got));
    }
    Ok(())
}

#[test]
fn one_bad_half_fails_verification() {
    each_set(&[Sig], one_bad_half);
}

fn vendor_mechanism(ty: CK_MECHANISM_TYPE) -> Mechanism<'static> {
    Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
        vendor_mechanism_type(ty),
        None,
    ))
}

type Typed<T> = Result<T, Box<dyn std::error::Error>>;

/// C_GenerateKeyPair through cryptoki; the key type must read back as the
/// vendor one.
fn cryptoki_pair(s: &Session, set: &Comp) -> Typed<(ObjectHandle, ObjectHandle)> {
    let parameter_set = ParameterSetType::try_from(Ulong::from(set.ckp))?;
    let (public_usage, private_usage) = match set.kind {
        Kem => (Attribute::Encapsulate(true), Attribute::Decapsulate(true)),
        Sig => (Attribute::Verify(true), Attribute::Sign(true)),
    };
    let (pk, sk) = s.generate_key_pair(
        &vendor_mechanism(set.kind.keygen()),
        &[
            Attribute::Token(false),
            Attribute::ParameterSet(parameter_set),
            public_usage,
        ],
        &[Attribute::Token(false), private_usage],
    )?;
    let key_type = s.get_attributes(sk, &[AttributeType::KeyType])?;
    let want = KeyType::new_vendor_defined(set.kind.key_type())?;
    if !matches!(key_type.as_slice(), [Attribute::KeyType(t)] if *t == want) {
        return Err(format!("CKA_KEY_TYPE {key_type:?}, want {want}").into());
    }
    Ok((pk, sk))
}

fn typed_value(s: &Session, key: ObjectHandle) -> Typed<Vec<u8>> {
    match s.get_attributes(key, &[AttributeType::Value])?.as_slice() {
        [Attribute::Value(v)] => Ok(v.clone()),
        other => Err(format!("CKA_VALUE: {other:?}").into()),
    }
}

fn cryptoki_kem(s: &Session, set: &Comp) -> Typed<()> {
    let (pk, sk) = cryptoki_pair(s, set)?;
    let m = vendor_mechanism(CKM_QRC_COMP_KEM);
    let secret = [
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(false),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
    ];
    let (ct, sent) = s.encapsulate_key(&m, pk, &secret)?;
    let received = s.decapsulate_key(&m, sk, &secret, &ct)?;
    let (sent, received) = (typed_value(s, sent)?, typed_value(s, received)?);
    if ct.len() != set.ct_len() || sent.len() != 32 || sent != received {
        let why = format!(
            "ciphertext {} bytes; secrets differ or not 32 bytes",
            ct.len()
        );
        return Err(why.into());
    }
    Ok(())
}

fn cryptoki_sig(s: &Session, set: &Comp) -> Typed<()> {
    let (pk, sk) = cryptoki_pair(s, set)?;
    let msg = b"signed through cryptoki";
    let plain = vendor_mechanism(CKM_QRC_COMP_SIG);
    s.sign_init(&plain, sk)?;
    for part in halves(msg) {
        s.sign_update(part)?;
    }
    let sig = s.sign_final()?;
    s.verify(&plain, pk, msg, &sig)?;
    let with_ctx = |context: &'static [u8]| CK_SIGN_ADDITIONAL_CONTEXT {
        hedgeVariant: CKH_HEDGE_PREFERRED,
        pContext: context.as_ptr() as *mut u8,
        ulContextLen: context.len() as CK_ULONG,
    };
    let (good, wrong) = (with_ctx(b"cryptoki context"), with_ctx(b"another context"));
    let mech = |p| {
        let ty = vendor_mechanism_type(CKM_QRC_COMP_SIG);
        Mechanism::VendorDefined(VendorDefinedMechanism::new(ty, Some(p)))
    };
    let sig = s.sign(&mech(&good), sk, msg)?;
    s.verify(&mech(&good), pk, msg, &sig)?;
    let r = s.verify(&mech(&wrong), pk, msg, &sig);
    if rv_of(&r) != CKR_SIGNATURE_INVALID {
        return Err(format!("verify with another context: {r:?}").into());
    }
    Ok(())
}

/// What an ordinary Rust client writes: cryptoki's typed API with the
/// vendor mechanism, key type and parameter-set values; KEM round trip,
/// multi-part signing, a context.
#[test]
fn cryptoki_client_round_trip() {
    each_set(&[Kem, Sig], |s, set| {
        let r = match set.kind {
            Kem => cryptoki_kem(s, set),
            Sig => cryptoki_sig(s, set),
        };
        r.map_err(|e| e.to_string())
    });
}

/// The KEM vectors: `pk` imports; `sk`, with and without
/// CKA_PARAMETER_SET, belongs to `pk` (CKA_PUBLIC_KEY_INFO,
/// CKM_PUB_KEY_FROM_PRIV_KEY), decapsulates `ct` to `ss`, and decapsulates
/// a fresh encapsulation to `pk`.
#[test]
fn kem_vectors() {
    each_vector(&[Kem], "composite vectors kem.json", |h, sc, c, set, n| {
        let (pk_bytes, sk_bytes) = (c.hex("pk"), c.hex("sk"));
        let pk = pqc::must(
            sc.create(public_template(set, &pk_bytes, true)),
            "C_CreateObject(pk)",
        );
        let r = pk
            .clone()
            .and_then(|pk| public_key_is(h, pk, set, &pk_bytes));
        n.check("public keys imported", r);
        for (with_set, what) in [
            (true, "decapsulated (sk with CKA_PARAMETER_SET)"),
            (false, "decapsulated (sk without)"),
        ] {
            let sk = sc.create(private_template(set, &sk_bytes, with_set));
            let r = pqc::must(sk, "C_CreateObject(sk)").and_then(|sk| {
                private_key_is(h, sc, sk, set, &pk_bytes)?;
                let ss = pqc::must(decapsulate(h, sc, sk, &c.hex("ct")), "C_DecapsulateKey")?;
                pqc::same("ss", &ss, &c.hex("ss"))?;
                let (ct, sent) = pqc::must(encapsulate(h, sc, pk.clone()?), "C_EncapsulateKey")?;
                let got = pqc::must(decapsulate(h, sc, sk, &ct), "C_DecapsulateKey")?;
                pqc::same("round trip through the vector keys", &got, &sent)
            });
            n.check(what, r);
        }
    });
}

/// The signature vectors: `sig` verifies with no parameter and with an
/// empty context, `sig_with_ctx` with `ctx`, and neither otherwise; `pk`
/// imports without CKA_PARAMETER_SET too; `sk`, with and without it,
/// belongs to `pk` and signs what `pk` verifies.
#[test]
fn sig_vectors() {
    each_vector(&[Sig], "composite vectors sig.json", |h, sc, c, set, n| {
        let (pk_bytes, sk_bytes) = (c.hex("pk"), c.hex("sk"));
        let (msg, ctx, sig, sig_ctx) = (
            c.hex("msg"),
            c.hex("ctx"),
            c.hex("sig"),
            c.hex("sig_with_ctx"),
        );
        let pk = sc.create(public_template(set, &pk_bytes, true));
        let v = pqc::must(pk, "C_CreateObject(pk)").map(|pk| Verifier { h, pk });
        let r = v.clone().and_then(|v| {
            v.accepts(None, &msg, &sig, "sig, no parameter")?;
            v.accepts(Some(b""), &msg, &sig, "sig, empty context")
        });
        n.check("verified (sig)", r);
        let r = v
            .clone()
            .and_then(|v| v.accepts(Some(&ctx), &msg, &sig_ctx, "sig_with_ctx"));
        n.check("verified (sig_with_ctx)", r);
        let r = v.clone().and_then(|v| {
            v.rejects(None, &msg, &sig_ctx, "sig_with_ctx without its context")?;
            v.rejects(Some(&ctx), &msg, &sig, "sig with ctx")?;
            v.rejects(None, &altered(&msg, 0, |b| b ^ 1), &sig, "another message")
        });
        n.check("refused when altered", r);
        let r = pqc::must(
            sc.create(public_template(set, &pk_bytes, false)),
            "C_CreateObject(pk without CKA_PARAMETER_SET)",
        )
        .and_then(|k| public_key_is(h, k, set, &pk_bytes));
        n.check("pk imported without CKA_PARAMETER_SET", r);
        for (with_set, what) in [
            (true, "signed (sk with CKA_PARAMETER_SET)"),
            (false, "signed (sk without)"),
        ] {
            let sk = sc.create(private_template(set, &sk_bytes, with_set));
            let r = pqc::must(sk, "C_CreateObject(sk)").and_then(|sk| {
                private_key_is(h, sc, sk, set, &pk_bytes)?;
                let own = sign(h, sk, Some(&ctx), &msg, false)?;
                v.clone()?.accepts(Some(&ctx), &msg, &own, "own signature")
            });
            n.check(what, r);
        }
    });
}

/// The vector private key does what its vector says: decapsulates `ct` to
/// `ss`, or signs `msg` with `ctx` so that `pk` (imported here) verifies.
fn vector_key_works(
    h: CK_SESSION_HANDLE,
    sc: &mut Scratch,
    set: &Comp,
    c: &Json,
    sk: CK_OBJECT_HANDLE,
) -> Result<(), String> {
    match set.kind {
        Kem => {
            let ss = pqc::must(decapsulate(h, sc, sk, &c.hex("ct")), "C_DecapsulateKey")?;
            pqc::same("ss", &ss, &c.hex("ss"))
        }
        Sig => {
            let pk = sc.create(public_template(set, &c.hex("pk"), true));
            let v = Verifier {
                h,
                pk: pqc::must(pk, "C_CreateObject(pk)")?,
            };
            let (msg, ctx) = (c.hex("msg"), c.hex("ctx"));
            let sig = sign(h, sk, Some(&ctx), &msg, false)?;
            v.accepts(Some(&ctx), &msg, &sig, "signed by the key")
        }
    }
}

/// `sk_pkcs8` wrapped by AES-KWP (C_Encrypt under a session AES key)
/// unwraps to a key that holds `sk` and works; C_WrapKey of that key and
/// of `sk` imported by C_CreateObject gives the same wrapping, which
/// decrypts to `sk_pkcs8` again.
#[test]
fn pkcs8_vectors_unwrap_and_wrap() {
    let kek_value = [0x4b; 32];
    let mut kek = None;
    each_vector(
        &[Kem, Sig],
        "composite vectors PKCS#8",
        |h, sc, c, set, n| {
            // The AES key lives in the run's session, made on its first vector.
            let kek = *kek.get_or_insert_with(|| {
                let t = keys::secret_template(KeyType::AES, &kek_value);
                pqc::must(raw::create(h, t), "C_CreateObject(AES)").expect("AES key")
            });
            let (sk_bytes, pkcs8) = (c.hex("sk"), c.hex("sk_pkcs8"));
            // The vector itself: OneAsymmetricKey around `sk` under the OID.
            assert_eq!(
                pqc::parse_pkcs8(&pkcs8),
                Some((set.oid.to_owned(), sk_bytes.clone())),
                "{}: sk_pkcs8 is not PKCS#8 of sk under {}",
                set.name,
                set.oid
            );
            let kwp = || Mech::new(CKM_AES_KEY_WRAP_KWP);
            let wrapped = pqc::must(
                raw::encrypt(h, &mut kwp(), kek, &pkcs8),
                "C_Encrypt(CKM_AES_KEY_WRAP_KWP)",
            );
            let unwrapped = wrapped.clone().and_then(|w| {
                let r = raw::unwrap(h, &mut kwp(), kek, &w, private_attributes(set, false));
                pqc::must(r, "C_UnwrapKey").map(|k| sc.keep(k))
            });
            let r = unwrapped.clone().and_then(|k| {
                pqc::same("CKA_VALUE", &pqc::read(h, k, CKA_VALUE)?, &sk_bytes)?;
                private_key_is(h, sc, k, set, &c.hex("pk"))?;
                vector_key_works(h, sc, set, c, k)
            });
            n.check("unwrapped", r);
            let created = pqc::must(
                sc.create(private_template(set, &sk_bytes, true)),
                "C_CreateObject(sk)",
            );
            for (what, key) in [
                ("wrapped (unwrapped key)", unwrapped),
                ("wrapped (created key)", created),
            ] {
                let r = key.and_then(|k| {
                    let blob = pqc::must(raw::wrap(h, &mut kwp(), kek, k), "C_WrapKey")?;
                    pqc::same("C_WrapKey output", &blob, wrapped.as_ref()?)?;
                    let der = pqc::must(raw::decrypt(h, &mut kwp(), kek, &blob), "C_Decrypt")?;
                    pqc::same("unwrapped PKCS#8", &der, &pkcs8)
                });
                n.check(what, r);
            }
        },
    );
}

/// `value` with byte `i` replaced by `f(byte)`.
fn altered(value: &[u8], i: usize, f: impl Fn(u8) -> u8) -> Vec<u8> {
    let mut v = value.to_vec();
    v[i] = f(v[i]);
    v
}

/// Broken variants of a vector's keys, each with what is wrong.
fn malformed_keys(set: &Comp, c: &Json) -> Vec<(String, Vec<Attribute>)> {
    let (pk, sk) = (c.hex("pk"), c.hex("sk"));
    let mut bad = Vec::new();
    let mut private = |what: &str, value: Vec<u8>, with_set: bool| {
        let t = private_template(set, &value, with_set);
        bad.push((format!("private key, {what}"), t));
    };
    let long = [&sk[..], &[0]].concat();
    private("one byte long", long.clone(), true);
    private("one byte long, no CKA_PARAMETER_SET", long, false);
    private("one byte short", sk[..sk.len() - 1].to_vec(), true);
    if set.nist {
        // seed ‖ 30 L 02 01 01 04 n d ‖ A0 L 06 … (the curve's OID).
        let ec = set.seed_len;
        let scalar = ec + 7..ec + 7 + sk[ec + 6] as usize;
        private("ECPrivateKey version 2", altered(&sk, ec + 4, |_| 2), true);
        let tag = altered(&sk, scalar.end, |_| 0xa1);
        private("ECPrivateKey [1] for [0]", tag, true);
        let oid = altered(&sk, sk.len() - 1, |b| b ^ 1);
        private("ECPrivateKey curve OID damaged", oid, true);
        for (what, byte) in [("scalar zero", 0x00), ("scalar above the order", 0xff)] {
            let mut v = sk.clone();
            v[scalar.clone()].fill(byte);
            private(what, v, true);
        }
    }
    let other = set.kind.sets().find(|o| o.ckp != set.ckp).unwrap();
    let mut t = private_template(set, &sk, false);
    t.push(pqc::ulong_attr(CKA_PARAMETER_SET, other.ckp));
    bad.push((format!("private key under {}", other.name), t));
    let mut public = |what: &str, value: Vec<u8>| {
        let t = public_template(set, &value, true);
        bad.push((format!("public key, {what}"), t));
    };
    public("one byte long", [&pk[..], &[0]].concat());
    if set.nist {
        public("point off the curve", altered(&pk, pk.len() - 1, |b| b ^ 1));
    }
    if set.kind == Kem {
        // The first 12-bit coefficient 0xFFF is not below q = 3329.
        let v = altered(&altered(&pk, 0, |_| 0xff), 1, |b| b | 0x0f);
        public("ML-KEM coefficient ≥ q (FIPS 203 modulus check)", v);
    }
    bad
}

/// Keys that are not the drafts' encodings, or not valid keys, are refused
/// by C_CreateObject with CKR_ATTRIBUTE_VALUE_INVALID: a damaged
/// ECPrivateKey frame, a scalar of zero or above the order, a public point
/// off the curve, an ML-KEM key failing FIPS 203's modulus check, wrong
/// lengths, a key under another set's CKA_PARAMETER_SET.
#[test]
fn malformed_keys_are_refused() {
    each_vector(
        &[Kem, Sig],
        "composite malformed keys",
        |_, sc, c, set, n| {
            for (what, template) in malformed_keys(set, c) {
                let r = sc.create(template);
                let r = pqc::refused(
                    r,
                    CKR_ATTRIBUTE_VALUE_INVALID,
                    &format!("C_CreateObject({what})"),
                );
                n.check("refused by C_CreateObject", r);
            }
        },
    );
}
