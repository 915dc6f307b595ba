//! Test-only access to the shared vector files (`../shared/vectors`, see its
//! README): their location and the few JSON accessors the tests need.

use std::path::Path;

/// The shared vectors live beside the repository (`../shared/vectors`);
/// `QRC_VECTORS` names another copy.
pub(crate) fn dir() -> std::path::PathBuf {
    std::env::var_os("QRC_VECTORS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"))
}

pub(crate) type Json = serde_json::Value;

/// The few accessors the vector files need; a malformed file panics, which
/// fails the test that reads it.
pub(crate) trait Field {
    fn arr(&self) -> &Vec<Json>;
    fn str(&self) -> &str;
    fn num(&self) -> u64;
    fn hex(&self) -> Vec<u8>;
}

impl Field for Json {
    fn arr(&self) -> &Vec<Json> {
        self.as_array().expect("array")
    }
    fn str(&self) -> &str {
        self.as_str().expect("string")
    }
    fn num(&self) -> u64 {
        self.as_u64().expect("number")
    }
    fn hex(&self) -> Vec<u8> {
        hex::decode(self.str()).expect("hex")
    }
}
