//! The shared vector files: loading, typed access to a case, and the
//! per-file tally of passed / not expressible / failed cases.

use super::{param_set, ParamSet};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// A vector file of `vectors_dir()`, parsed.
pub fn load(file: &str) -> Json {
    let path = crate::vectors_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `cases` of a vector file.
pub fn cases(doc: &Json) -> &[Json] {
    doc.get("cases")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .expect("vector file without cases")
}

/// Typed access to one case's fields.
pub trait Case {
    /// `id`.
    fn id(&self) -> &str;
    /// A string field; panics when absent.
    fn str(&self, field: &str) -> &str;
    /// A hex field that may be absent or null.
    fn opt_hex(&self, field: &str) -> Option<Vec<u8>>;
    /// A hex field; panics when absent.
    fn hex(&self, field: &str) -> Vec<u8>;
    /// A boolean field (absent = false).
    fn flag(&self, field: &str) -> bool;
    /// Whether the Wycheproof `flags` list holds `name`.
    fn has_flag(&self, name: &str) -> bool;
    /// `result == "valid"`; panics when there is no result.
    fn valid(&self) -> bool;
    /// The case's parameter set.
    fn set(&self) -> &'static ParamSet;
}

impl Case for Json {
    fn id(&self) -> &str {
        self.get("id").and_then(Json::as_str).unwrap_or("?")
    }
    fn str(&self, field: &str) -> &str {
        self.get(field)
            .and_then(Json::as_str)
            .unwrap_or_else(|| panic!("{}: no {field}", self.id()))
    }
    fn opt_hex(&self, field: &str) -> Option<Vec<u8>> {
        let s = self.get(field).and_then(Json::as_str)?;
        Some(hex::decode(s).unwrap_or_else(|e| panic!("{}: {field}: {e}", self.id())))
    }
    fn hex(&self, field: &str) -> Vec<u8> {
        self.opt_hex(field)
            .unwrap_or_else(|| panic!("{}: no {field}", self.id()))
    }
    fn flag(&self, field: &str) -> bool {
        self.get(field).and_then(Json::as_bool).unwrap_or(false)
    }
    fn has_flag(&self, name: &str) -> bool {
        self.get("flags")
            .and_then(Json::as_array)
            .is_some_and(|f| f.iter().any(|x| x.as_str() == Some(name)))
    }
    fn valid(&self) -> bool {
        self.str("result") == "valid"
    }
    fn set(&self) -> &'static ParamSet {
        param_set(self.str("parameterSet"))
    }
}

/// Counts the cases of one vector file: passed, not expressible through
/// PKCS#11, not applicable to the module (by reason), failed. `finish`
/// prints the counts and fails on any failure.
pub struct Tally {
    file: String,
    passed: usize,
    not_expressible: usize,
    not_applicable: BTreeMap<String, usize>,
    failures: Vec<String>,
}

impl Tally {
    /// An empty tally for `file`.
    pub fn new(file: &str) -> Self {
        Tally {
            file: file.to_owned(),
            passed: 0,
            not_expressible: 0,
            not_applicable: BTreeMap::new(),
            failures: Vec::new(),
        }
    }

    /// Records a case's outcome.
    pub fn record(&mut self, id: &str, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self.passed += 1,
            Err(why) => self.failures.push(format!("{id}: {why}")),
        }
    }

    /// Counts a case PKCS#11 cannot express (injected randomness, internal
    /// interface, external μ).
    pub fn not_expressible(&mut self) {
        self.not_expressible += 1;
    }

    /// Counts a case that tests something other than what the module
    /// implements (another algorithm, a draft encoding), saying `why`.
    pub fn not_applicable(&mut self, why: &str) {
        *self.not_applicable.entry(why.to_owned()).or_default() += 1;
    }

    /// Prints the counts; panics listing the failures, if any.
    #[track_caller]
    pub fn finish(self) {
        let not_applicable: usize = self.not_applicable.values().sum();
        let summary = format!(
            "{}: {} passed, {} not expressible through PKCS#11, {} not applicable, {} failed",
            self.file,
            self.passed,
            self.not_expressible,
            not_applicable,
            self.failures.len()
        );
        println!("{summary}");
        for (why, n) in &self.not_applicable {
            println!("    not applicable {n}: {why}");
        }
        assert!(
            self.failures.is_empty(),
            "{summary}:\n  {}",
            self.failures
                .iter()
                .take(60)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  ")
        );
        assert!(
            self.passed + self.not_expressible + not_applicable > 0,
            "{}: no case was run",
            self.file
        );
    }
}
