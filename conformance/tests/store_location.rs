//! Where the module keeps its tokens, through the module: the default store
//! directory (`$XDG_DATA_HOME/qrcpkcs11`, else `~/.local/share/qrcpkcs11`)
//! and the `[[token]]` entries of a configuration file.
//!
//! The module reads the environment at C_Initialize and the environment is
//! process-wide, so each case runs the module in a child process given its
//! own variables. Every child has HOME and XDG_DATA_HOME inside a temporary
//! directory and checks so before loading the module: nothing here may
//! touch the real `~/.local/share`.

use cryptoki::object::Attribute;
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use qrc_conformance::fixture::open_module;
use qrc_conformance::process::{assert_child_ok, role, run_self};
use qrc_conformance::{expect_ok, keys, LABEL, SO_PIN};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

/// Names the variables (comma-separated) a child removes from the
/// environment it inherited before loading the module.
const UNSET_VAR: &str = "QRC_TEST_UNSET";
/// The variables that choose a store; a child unsets those it is not given.
const STORE_VARS: [&str; 3] = ["QRC_PKCS11_STORE", "QRC_PKCS11_CONF", "XDG_DATA_HOME"];

/// The child's side: removes the variables the parent named, refuses to
/// run with a HOME or XDG_DATA_HOME outside the temporary directory, then
/// opens the module.
fn child_module() -> cryptoki::context::Pkcs11 {
    if let Ok(names) = std::env::var(UNSET_VAR) {
        for name in names.split(',').filter(|n| !n.is_empty()) {
            std::env::remove_var(name);
        }
    }
    let tmp = std::env::temp_dir();
    for var in ["HOME", "XDG_DATA_HOME"] {
        if let Some(dir) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            assert!(
                Path::new(&dir).starts_with(&tmp),
                "{var}={} is outside {}: refusing to load the module",
                Path::new(&dir).display(),
                tmp.display()
            );
        }
    }
    assert!(
        std::env::var_os("HOME").is_some_and(|h| !h.is_empty()),
        "the parent must give the child a temporary HOME"
    );
    open_module()
}

/// A temporary directory with `home/` and `xdg/` inside, for a child's
/// HOME and XDG_DATA_HOME.
struct Place {
    dir: TempDir,
}

impl Place {
    fn new() -> Self {
        let dir = TempDir::with_prefix("qrc-store-location-").expect("create tempdir");
        for sub in ["home", "xdg"] {
            std::fs::create_dir(dir.path().join(sub)).expect("create subdirectory");
        }
        Place { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs `test` as a child in `role` with HOME set to this place's
    /// `home/`, the variables of `env`, and every other store variable
    /// removed.
    fn run_child(&self, test: &str, role: &str, env: &[(&str, &OsStr)]) {
        let home = self.path("home");
        let unset: Vec<&str> = STORE_VARS
            .into_iter()
            .filter(|v| !env.iter().any(|(k, _)| k == v))
            .collect();
        let unset = unset.join(",");
        let mut all: Vec<(&str, &OsStr)> =
            vec![("HOME", home.as_os_str()), (UNSET_VAR, OsStr::new(&unset))];
        all.extend_from_slice(env);
        let run = run_self(test, role, &all, Duration::from_secs(120));
        assert_child_ok(&run, role);
    }
}

/// Whether `dir` holds a token store (its sled database).
fn is_store(dir: &Path) -> bool {
    dir.join("db").is_dir()
}

/// The child of the default-store tests: the one token, in slot 0, is
/// initialised, so its store is written.
fn initialise_default_token() {
    let ctx = child_module();
    let slots = expect_ok(ctx.get_all_slots(), "C_GetSlotList");
    let ids: Vec<u64> = slots.iter().map(Slot::id).collect();
    assert_eq!(ids, [0], "slot list without a configuration file");
    expect_ok(
        ctx.init_token(slots[0], &AuthPin::from(SO_PIN), LABEL),
        "C_InitToken",
    );
    expect_ok(ctx.finalize(), "C_Finalize");
}

/// One default-store test: as the child, initialises the default token
/// (and returns `None`); as the parent, runs the child with `env`, each
/// value a path inside a new [`Place`] ("" for an empty value), checks the
/// store was created at `expected` inside it and returns the place.
fn default_store_is_at(test: &str, env: &[(&str, &str)], expected: &str) -> Option<Place> {
    if role().is_some() {
        initialise_default_token();
        return None;
    }
    let place = Place::new();
    let values: Vec<PathBuf> = env
        .iter()
        .map(|(_, rel)| match *rel {
            "" => PathBuf::new(),
            rel => place.path(rel),
        })
        .collect();
    let env: Vec<(&str, &OsStr)> = env
        .iter()
        .zip(&values)
        .map(|((name, _), value)| (*name, value.as_os_str()))
        .collect();
    place.run_child(test, "default token", &env);
    assert!(
        is_store(&place.path(expected)),
        "no store in {expected} with {env:?}"
    );
    Some(place)
}

#[test]
fn default_store_is_under_xdg_data_home() {
    let env = [("XDG_DATA_HOME", "xdg")];
    let name = "default_store_is_under_xdg_data_home";
    if let Some(place) = default_store_is_at(name, &env, "xdg/qrcpkcs11") {
        assert!(
            !place.path("home/.local").exists(),
            "~/.local written although XDG_DATA_HOME was set"
        );
    }
}

#[test]
fn default_store_without_xdg_data_home_is_under_home() {
    let name = "default_store_without_xdg_data_home_is_under_home";
    default_store_is_at(name, &[], "home/.local/share/qrcpkcs11");
}

#[test]
fn empty_store_variables_count_as_unset() {
    let env = [("QRC_PKCS11_STORE", ""), ("XDG_DATA_HOME", "")];
    let name = "empty_store_variables_count_as_unset";
    default_store_is_at(name, &env, "home/.local/share/qrcpkcs11");
}

/// The child of the two-token test: slots 3 and 7, each initialised, an
/// object created in slot 7 only.
fn two_separate_tokens() {
    let ctx = child_module();
    let slots = expect_ok(ctx.get_all_slots(), "C_GetSlotList");
    let mut ids: Vec<u64> = slots.iter().map(Slot::id).collect();
    ids.sort_unstable();
    assert_eq!(ids, [3, 7], "slot list of the configuration file");
    let slot = |id: u64| Slot::try_from(id).expect("slot id");
    for id in [3, 7] {
        expect_ok(
            ctx.init_token(slot(id), &AuthPin::from(SO_PIN), &format!("token {id}")),
            "C_InitToken",
        );
        let info = expect_ok(ctx.get_token_info(slot(id)), "C_GetTokenInfo");
        assert_eq!(info.label(), format!("token {id}"), "label in slot {id}");
    }
    let label = Attribute::Label(b"only in slot 7".to_vec());
    {
        let s = expect_ok(ctx.open_rw_session(slot(7)), "C_OpenSession(slot 7)");
        keys::data(&s, "only in slot 7", b"v", vec![Attribute::Token(true)]);
        let found = expect_ok(
            s.find_objects(std::slice::from_ref(&label)),
            "C_FindObjects(slot 7)",
        );
        assert_eq!(found.len(), 1, "the object in the slot it was created in");
    }
    let s = expect_ok(ctx.open_ro_session(slot(3)), "C_OpenSession(slot 3)");
    let found = expect_ok(s.find_objects(&[label]), "C_FindObjects(slot 3)");
    assert!(found.is_empty(), "slot 3 sees the object of slot 7");
    drop(s);
    expect_ok(ctx.finalize(), "C_Finalize");
}

#[test]
fn configured_tokens_have_their_slots_and_stores() {
    const NAME: &str = "configured_tokens_have_their_slots_and_stores";
    if role().is_some() {
        return two_separate_tokens();
    }
    let place = Place::new();
    let (seven, three) = (place.path("stores/seven"), place.path("stores/three"));
    let conf = place.path("qrcpkcs11.toml");
    let toml = format!(
        "[[token]]\nslot = 7\nstore = {:?}\n\n[[token]]\nslot = 3\nstore = {:?}\n",
        seven.display().to_string(),
        three.display().to_string()
    );
    std::fs::write(&conf, toml).expect("write config file");
    place.run_child(NAME, "two tokens", &[("QRC_PKCS11_CONF", conf.as_os_str())]);
    assert!(
        is_store(&seven),
        "no store at the path configured for slot 7"
    );
    assert!(
        is_store(&three),
        "no store at the path configured for slot 3"
    );
    assert!(
        !place.path("home/.local").exists(),
        "a default store was created beside the configured tokens"
    );
}
