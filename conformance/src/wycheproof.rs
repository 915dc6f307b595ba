//! Running the Wycheproof files of `wycheproof-classic/` through the module.
//!
//! Each file is run over one or more *lanes*: the mechanisms (or call
//! sequences) that can express its cases. A runner is called once per case
//! and says, for each lane, what the module made of it ([`Outcome`]); the
//! file's verdicts are then judged against the case's `result`:
//!
//! - `valid`: the module must accept it with the expected output;
//! - `invalid`: the module must refuse it with a clean CKR, or the test's
//!   own encoding step must refuse it before the module (a BER signature
//!   has no raw PKCS#11 form, for example);
//! - `acceptable`: either, but cleanly.
//!
//! Cases PKCS#11 cannot express, or that a token may legitimately refuse,
//! are skipped with a reason, and the reasons are counted. A *mismatch*
//! (a wrong result, a refusal of a valid case, an unclean return value)
//! fails the test, after the per-lane counts of the file are printed.

use crate::raw::{self, Mech};
use crate::{rv_name, Fixture};
use cryptoki_sys::*;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The parsed vector file `wycheproof-classic/<file>`.
pub fn load(file: &str) -> Json {
    let path = crate::vectors_dir().join("wycheproof-classic").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A case's `result`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Must succeed with the expected output.
    Valid,
    /// Must be refused.
    Invalid,
    /// May go either way.
    Acceptable,
}

impl Expect {
    fn parse(s: &str) -> Self {
        match s {
            "valid" => Expect::Valid,
            "invalid" => Expect::Invalid,
            "acceptable" => Expect::Acceptable,
            other => panic!("unknown Wycheproof result {other:?}"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Expect::Valid => "valid",
            Expect::Invalid => "invalid",
            Expect::Acceptable => "acceptable",
        }
    }
}

/// One vector as the runners see it.
pub struct Case<'a> {
    /// `tcId`.
    pub id: u64,
    /// `result`.
    pub result: Expect,
    /// The test object.
    pub t: &'a Json,
    /// Its group (key material and shared parameters).
    pub group: &'a Json,
    /// The group's index in the file, to cache per-group keys by.
    pub group_no: usize,
}

impl Case<'_> {
    /// A hex field of the test.
    pub fn hex(&self, field: &str) -> Vec<u8> {
        hex_field(self.t, field).unwrap_or_else(|why| panic!("tcId {}: {why}", self.id))
    }

    /// A hex field of the group, at a path (`["publicKey", "uncompressed"]`).
    pub fn group_hex(&self, path: &[&str]) -> Vec<u8> {
        let mut v = self.group;
        for p in &path[..path.len() - 1] {
            v = v
                .get(p)
                .unwrap_or_else(|| panic!("group without {}", path.join(".")));
        }
        hex_field(v, path[path.len() - 1]).unwrap_or_else(|why| panic!("group: {why}"))
    }

    /// A number of the test.
    pub fn u64(&self, field: &str) -> u64 {
        self.t
            .get(field)
            .and_then(Json::as_u64)
            .unwrap_or_else(|| panic!("tcId {}: no number {field}", self.id))
    }

    /// A number of the group.
    pub fn group_u64(&self, field: &str) -> u64 {
        self.group
            .get(field)
            .and_then(Json::as_u64)
            .unwrap_or_else(|| panic!("group without {field}"))
    }

    /// A string of the group.
    pub fn group_str(&self, field: &str) -> &str {
        self.group
            .get(field)
            .and_then(Json::as_str)
            .unwrap_or_else(|| panic!("group without {field}"))
    }

    /// The verdict on an output the module gave: [`Outcome::Accepted`] when
    /// it is `want`, else a mismatch naming both (or, for an invalid case,
    /// the acceptance itself).
    pub fn compare(&self, what: &str, got: &[u8], want: &[u8]) -> Outcome {
        if got == want {
            Outcome::Accepted
        } else if self.result == Expect::Invalid {
            Outcome::Mismatch(format!("{what} accepted it, output {}", short_hex(got)))
        } else {
            Outcome::Mismatch(format!(
                "{what} output {} != expected {}",
                short_hex(got),
                short_hex(want)
            ))
        }
    }
}

fn hex_field(v: &Json, field: &str) -> Result<Vec<u8>, String> {
    let s = v
        .get(field)
        .and_then(Json::as_str)
        .ok_or_else(|| format!("no {field}"))?;
    hex::decode(s).map_err(|e| format!("{field}: {e}"))
}

/// Hex, cut down for messages.
pub fn short_hex(b: &[u8]) -> String {
    if b.len() <= 48 {
        hex::encode(b)
    } else {
        format!("{}…({} bytes)", hex::encode(&b[..40]), b.len())
    }
}

/// What one lane made of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The module accepted it (with the expected output, where there is
    /// one).
    Accepted,
    /// The module refused it with this clean CKR.
    Refused(CK_RV),
    /// The test's own encoding step refused it before the module was
    /// called (the input has no PKCS#11 form, e.g. a BER signature).
    NotEncodable(String),
    /// Not judged: PKCS#11 cannot express it, or a token may refuse it.
    /// The module may still have been called, and answered cleanly.
    Skipped(String),
    /// Wrong: the message says why.
    Mismatch(String),
}

impl Outcome {
    /// A refusal by `what` with `rv`, which must be one of `clean`.
    pub fn refused(what: &str, rv: CK_RV, clean: &[CK_RV]) -> Outcome {
        if clean.contains(&rv) {
            Outcome::Refused(rv)
        } else {
            Outcome::Mismatch(format!(
                "{what} returned {}, want {}",
                rv_name(rv),
                names(clean)
            ))
        }
    }

    /// A verification's return value: `CKR_OK` is acceptance, a refusal
    /// must be CKR_SIGNATURE_INVALID or CKR_SIGNATURE_LEN_RANGE.
    pub fn verify(what: &str, rv: CK_RV) -> Outcome {
        if rv == CKR_OK {
            Outcome::Accepted
        } else {
            Self::refused(what, rv, VERIFY_REFUSALS)
        }
    }
}

/// A verification call sequence a signature file runs each case through.
#[derive(Clone, Copy, Debug)]
pub enum VerifyCall {
    /// `C_VerifyInit` + `C_Verify`.
    Verify,
    /// `C_VerifySignatureInit` + `C_VerifySignature` (PKCS#11 3.2).
    VerifySignature,
    /// `C_VerifySignatureInit`, `C_VerifySignatureUpdate` on three parts of
    /// the data, `C_VerifySignatureFinal`.
    VerifySignatureParts,
}

/// The calls of a single-part mechanism (CKM_ECDSA, CKM_RSA_PKCS, …).
pub const SINGLE_PART: &[VerifyCall] = &[VerifyCall::Verify, VerifyCall::VerifySignature];

/// The calls of a mechanism that also verifies in parts.
pub const MULTI_PART: &[VerifyCall] = &[
    VerifyCall::Verify,
    VerifyCall::VerifySignature,
    VerifyCall::VerifySignatureParts,
];

impl VerifyCall {
    /// The call's name, for lanes and messages.
    pub fn name(self) -> &'static str {
        match self {
            VerifyCall::Verify => "C_Verify",
            VerifyCall::VerifySignature => "C_VerifySignature",
            VerifyCall::VerifySignatureParts => "C_VerifySignatureUpdate/Final",
        }
    }

    /// The call on `data` and `sig` with key `key`, judged by
    /// [`Outcome::verify`].
    pub fn run(
        self,
        h: CK_SESSION_HANDLE,
        m: &mut Mech,
        key: CK_OBJECT_HANDLE,
        data: &[u8],
        sig: &[u8],
    ) -> Outcome {
        let rv = match self {
            VerifyCall::Verify => raw::verify(h, m, key, data, sig),
            VerifyCall::VerifySignature => raw::verify_signature(h, m, key, data, sig),
            VerifyCall::VerifySignatureParts => {
                raw::verify_signature_parts(h, m, key, &raw::thirds(data), sig)
            }
        };
        Outcome::verify(self.name(), rv)
    }
}

/// The lane names of a signature file: each mechanism with each of its
/// calls ("CKM_ECDSA_SHA256 C_VerifySignature").
pub fn verify_lane_names(mechanisms: &[(&str, &[VerifyCall])]) -> Vec<String> {
    mechanisms
        .iter()
        .flat_map(|(mech, calls)| calls.iter().map(move |c| format!("{mech} {}", c.name())))
        .collect()
}

/// Every call of `calls` on one case, each with a fresh `mech()`.
pub fn verify_with_each(
    h: CK_SESSION_HANDLE,
    mech: impl Fn() -> Mech,
    calls: &[VerifyCall],
    key: CK_OBJECT_HANDLE,
    data: &[u8],
    sig: &[u8],
) -> Vec<Outcome> {
    calls
        .iter()
        .map(|c| c.run(h, &mut mech(), key, data, sig))
        .collect()
}

fn names(rvs: &[CK_RV]) -> String {
    let n: Vec<String> = rvs.iter().map(|r| rv_name(*r)).collect();
    format!("one of [{}]", n.join(", "))
}

/// What C_Verify (or C_VerifyFinal) may return for a bad signature.
pub const VERIFY_REFUSALS: &[CK_RV] = &[CKR_SIGNATURE_INVALID, CKR_SIGNATURE_LEN_RANGE];

/// What C_Decrypt may return for a bad ciphertext.
pub const DECRYPT_REFUSALS: &[CK_RV] = &[CKR_ENCRYPTED_DATA_INVALID, CKR_ENCRYPTED_DATA_LEN_RANGE];

/// What C_UnwrapKey may return for a bad wrapped key.
pub const UNWRAP_REFUSALS: &[CK_RV] = &[CKR_WRAPPED_KEY_INVALID, CKR_WRAPPED_KEY_LEN_RANGE];

/// Whether a refusal is clean: anything but the codes that say the module
/// itself went wrong (or was called wrongly by the test).
pub fn clean(rv: CK_RV) -> bool {
    rv != CKR_OK
        && ![
            CKR_GENERAL_ERROR,
            CKR_FUNCTION_FAILED,
            CKR_DEVICE_ERROR,
            CKR_DEVICE_MEMORY,
            CKR_HOST_MEMORY,
            CKR_ARGUMENTS_BAD,
            CKR_BUFFER_TOO_SMALL,
            CKR_OPERATION_ACTIVE,
            CKR_OPERATION_NOT_INITIALIZED,
            CKR_SESSION_HANDLE_INVALID,
            CKR_CRYPTOKI_NOT_INITIALIZED,
        ]
        .contains(&rv)
}

/// A refusal judged by [`clean`] rather than by a list.
pub fn refused_cleanly(what: &str, rv: CK_RV) -> Outcome {
    if clean(rv) {
        Outcome::Refused(rv)
    } else {
        Outcome::Mismatch(format!(
            "{what} returned {}, not a clean refusal",
            rv_name(rv)
        ))
    }
}

/// Counts for one lane of one file.
#[derive(Default)]
struct Tally {
    valid: usize,
    invalid_module: usize,
    invalid_encoding: usize,
    acceptable_accepted: usize,
    acceptable_refused: usize,
    acceptable_encoding: usize,
    skipped: BTreeMap<String, usize>,
    mismatches: Vec<String>,
}

impl Tally {
    fn add(&mut self, case: &Case, comment: &str, outcome: Outcome) {
        let mut mismatch = |why: String| {
            self.mismatches.push(format!(
                "tcId {} ({}, \"{comment}\"): {why}",
                case.id,
                case.result.name()
            ))
        };
        match (case.result, outcome) {
            (_, Outcome::Mismatch(why)) => mismatch(why),
            (_, Outcome::Skipped(why)) => *self.skipped.entry(why).or_default() += 1,
            (Expect::Valid, Outcome::Accepted) => self.valid += 1,
            (Expect::Valid, Outcome::Refused(rv)) => {
                mismatch(format!("valid case refused: {}", rv_name(rv)))
            }
            (Expect::Valid, Outcome::NotEncodable(why)) => {
                mismatch(format!("valid case not encodable by the test: {why}"))
            }
            (Expect::Invalid, Outcome::Accepted) => mismatch("invalid case accepted".into()),
            (Expect::Invalid, Outcome::Refused(_)) => self.invalid_module += 1,
            (Expect::Invalid, Outcome::NotEncodable(_)) => self.invalid_encoding += 1,
            (Expect::Acceptable, Outcome::Accepted) => self.acceptable_accepted += 1,
            (Expect::Acceptable, Outcome::Refused(_)) => self.acceptable_refused += 1,
            (Expect::Acceptable, Outcome::NotEncodable(_)) => self.acceptable_encoding += 1,
        }
    }

    fn total(&self) -> usize {
        self.valid
            + self.invalid_module
            + self.invalid_encoding
            + self.acceptable_accepted
            + self.acceptable_refused
            + self.acceptable_encoding
            + self.skipped.values().sum::<usize>()
            + self.mismatches.len()
    }

    fn summary(&self, file: &str, lane: &str) -> String {
        let name = if lane.is_empty() {
            file.to_owned()
        } else {
            format!("{file} [{lane}]")
        };
        let mut s = format!(
            "{name}: valid {} passed; invalid {} rejected ({} by the module, {} by the test's \
             encoding); acceptable {} ({} accepted, {} refused, {} not encodable); skipped {}; \
             mismatches {}",
            self.valid,
            self.invalid_module + self.invalid_encoding,
            self.invalid_module,
            self.invalid_encoding,
            self.acceptable_accepted + self.acceptable_refused + self.acceptable_encoding,
            self.acceptable_accepted,
            self.acceptable_refused,
            self.acceptable_encoding,
            self.skipped.values().sum::<usize>(),
            self.mismatches.len()
        );
        for (why, n) in &self.skipped {
            s.push_str(&format!("\n    skipped {n}: {why}"));
        }
        s
    }
}

/// Runs every case of `file` over one lane (see [`run_lanes`]).
pub fn run_file(file: &str, mut run: impl FnMut(CK_SESSION_HANDLE, &Case) -> Outcome) {
    run_lanes(file, &[""], |h, c| vec![run(h, c)]);
}

/// Runs every case of `file` in a fresh token's user session: `run` gives
/// one [`Outcome`] per lane named in `lanes`, in that order. Prints each
/// lane's counts, then fails listing the mismatches, if any.
pub fn run_lanes<S: AsRef<str>>(
    file: &str,
    lanes: &[S],
    mut run: impl FnMut(CK_SESSION_HANDLE, &Case) -> Vec<Outcome>,
) {
    let doc = load(file);
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let mut tallies: Vec<Tally> = lanes.iter().map(|_| Tally::default()).collect();
    let mut cases = 0usize;
    let groups = doc
        .get("testGroups")
        .and_then(Json::as_array)
        .expect("testGroups");
    for (group_no, group) in groups.iter().enumerate() {
        for t in group.get("tests").and_then(Json::as_array).expect("tests") {
            let case = Case {
                id: t.get("tcId").and_then(Json::as_u64).expect("tcId"),
                result: Expect::parse(t.get("result").and_then(Json::as_str).expect("result")),
                t,
                group,
                group_no,
            };
            let comment = t.get("comment").and_then(Json::as_str).unwrap_or("");
            let outcomes = run(h, &case);
            assert_eq!(
                outcomes.len(),
                lanes.len(),
                "tcId {}: one outcome per lane",
                case.id
            );
            for (tally, outcome) in tallies.iter_mut().zip(outcomes) {
                tally.add(&case, comment, outcome);
            }
            cases += 1;
        }
    }
    if let Some(n) = doc.get("numberOfTests").and_then(Json::as_u64) {
        assert_eq!(cases as u64, n, "{file}: numberOfTests");
    }
    let mut failed = Vec::new();
    for (lane, tally) in lanes.iter().zip(&tallies) {
        assert_eq!(tally.total(), cases);
        let lane = lane.as_ref();
        println!("{}", tally.summary(file, lane));
        if !tally.mismatches.is_empty() {
            failed.push(format!(
                "{file} [{lane}]: {} mismatches (the first 40):\n  {}",
                tally.mismatches.len(),
                tally
                    .mismatches
                    .iter()
                    .take(40)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ));
        }
        assert!(
            tally.valid
                + tally.invalid_module
                + tally.acceptable_accepted
                + tally.acceptable_refused
                > 0
                || !tally.mismatches.is_empty(),
            "{file} [{lane}]: no case reached the module"
        );
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// `C_DestroyObject`, result ignored (session objects go with the session
/// anyway).
pub fn destroy(h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE) {
    crate::call!(C_DestroyObject(h, obj));
}

/// DER length octets (of up to 64 KiB).
pub fn der_len(n: usize) -> Vec<u8> {
    assert!(n <= 0xffff, "DER length {n} over what the tests need");
    match n {
        0..=0x7f => vec![n as u8],
        0x80..=0xff => vec![0x81, n as u8],
        _ => vec![0x82, (n >> 8) as u8, n as u8],
    }
}

/// A DER TLV.
pub fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(content.len()));
    out.extend_from_slice(content);
    out
}

/// A strict-DER reader: definite, minimal lengths only.
pub struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    /// Reads `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Der { rest: data }
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next TLV's tag and content; None when it is not strict DER
    /// (indefinite or non-minimal length, truncation, multi-byte tags).
    pub fn tlv(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.rest.split_first()?;
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            first as usize
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n || rest[0] == 0 {
                return None;
            }
            let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
            if len < 0x80 {
                return None;
            }
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return None;
        }
        let (content, rest) = rest.split_at(len);
        self.rest = rest;
        Some((tag, content))
    }

    /// The next TLV's content if its tag is `tag`.
    pub fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.tlv()? {
            (t, c) if t == tag => Some(c),
            _ => None,
        }
    }

    /// The next element as a non-negative INTEGER in minimal encoding,
    /// without its sign byte; None for anything else (negative, empty,
    /// padded).
    pub fn unsigned(&mut self) -> Option<&'a [u8]> {
        let c = self.expect(0x02)?;
        match c {
            [] => None,
            [b, ..] if b & 0x80 != 0 => None,
            [0, b, ..] if b & 0x80 == 0 => None,
            [0, rest @ ..] if !rest.is_empty() => Some(rest),
            _ => Some(c),
        }
    }
}

/// `C_DeriveKey`.
pub fn derive(
    h: CK_SESSION_HANDLE,
    m: &mut crate::raw::Mech,
    base: CK_OBJECT_HANDLE,
    template: Vec<cryptoki::object::Attribute>,
) -> Result<CK_OBJECT_HANDLE, CK_RV> {
    let mut t = crate::raw::Template::new(template);
    let mut key: CK_OBJECT_HANDLE = CK_INVALID_HANDLE;
    match crate::call!(C_DeriveKey(h, m.ptr(), base, t.ptr(), t.len(), &mut key)) {
        CKR_OK => Ok(key),
        rv => Err(rv),
    }
}

/// `C_DeriveKey`, then the new object's CKA_VALUE (the object is
/// destroyed). A failure to read the value is `Err(Mismatch)`, a refused
/// derivation `Ok(Err(rv))`.
pub fn derive_value(
    h: CK_SESSION_HANDLE,
    m: &mut crate::raw::Mech,
    base: CK_OBJECT_HANDLE,
    template: Vec<cryptoki::object::Attribute>,
) -> Result<Result<Vec<u8>, CK_RV>, Outcome> {
    let key = match derive(h, m, base, template) {
        Ok(k) => k,
        Err(rv) => return Ok(Err(rv)),
    };
    let v = crate::raw::attr(h, key, CKA_VALUE);
    destroy(h, key);
    match v {
        Ok(v) => Ok(Ok(v)),
        Err(rv) => Err(Outcome::Mismatch(format!(
            "reading CKA_VALUE of the derived object: {}",
            rv_name(rv)
        ))),
    }
}
