//! Generates the Rust constants from `include/qrcpkcs11.h`, the one place
//! the vendor values are written: `#define NAME 0x…UL` lines, each with an
//! optional `/* OID */` comment.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let header = Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/qrcpkcs11.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let text =
        std::fs::read_to_string(&header).unwrap_or_else(|e| panic!("{}: {e}", header.display()));
    let mut consts = String::new();
    let mut all = String::from("/// Every value of the header: name, value, OID.\n");
    all.push_str("pub const ALL: &[(&str, CK_ULONG, Option<&str>)] = &[\n");
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("#define") {
            continue;
        }
        let (Some(name), Some(value)) = (words.next(), words.next()) else {
            continue; // the include guard
        };
        let digits = value
            .strip_suffix("UL")
            .unwrap_or_else(|| panic!("{name}: value {value} lacks its UL suffix"));
        let parsed = match digits.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => digits.parse(),
        }
        .unwrap_or_else(|e| panic!("{name}: {value}: {e}"));
        let oid = (words.next() == Some("/*")).then(|| words.next()).flatten();
        let doc = match oid {
            Some(oid) => format!("`{name}` of include/qrcpkcs11.h (OID {oid})."),
            None => format!("`{name}` of include/qrcpkcs11.h."),
        };
        writeln!(
            consts,
            "#[doc = {doc:?}]\npub const {name}: CK_ULONG = {parsed:#x};"
        )
        .unwrap();
        writeln!(all, "    ({name:?}, {name}, {oid:?}),").unwrap();
    }
    all.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("vendor.rs");
    std::fs::write(out, consts + &all).unwrap();
}
