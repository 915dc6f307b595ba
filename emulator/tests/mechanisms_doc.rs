//! docs/mechanisms.md carries the mechanism table generated from the
//! registry; this test fails when the two drift apart. Run with
//! `QRC_UPDATE_DOCS=1` to rewrite the table from the registry.

use qrc_emulator::mech::registry;

const BEGIN: &str = "<!-- BEGIN GENERATED mechanism table -->\n";
const END: &str = "<!-- END GENERATED mechanism table -->";

#[test]
fn mechanism_table_matches_registry() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/mechanisms.md");
    let doc = std::fs::read_to_string(path).expect("docs/mechanisms.md exists");
    let start = doc.find(BEGIN).expect("begin marker") + BEGIN.len();
    let end = doc.find(END).expect("end marker");
    let table = registry().markdown_table();
    if std::env::var_os("QRC_UPDATE_DOCS").is_some() {
        let updated = format!("{}{}{}", &doc[..start], table, &doc[end..]);
        std::fs::write(path, updated).expect("rewrite docs/mechanisms.md");
        return;
    }
    assert_eq!(
        doc[start..end],
        table,
        "docs/mechanisms.md is stale: run QRC_UPDATE_DOCS=1 cargo test -p qrc-emulator --test mechanisms_doc"
    );
}
