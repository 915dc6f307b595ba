//! Persistence: token objects survive C_Finalize and other processes;
//! secrets are never on disk in clear; tampering is detected; a store held
//! by one process is "no token" for another.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, KeyType};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use cryptoki_sys::*;
use qrc_conformance::fixture::open_module;
use qrc_conformance::process::{assert_child_ok, role, run_self};
use qrc_conformance::{expect_err, expect_ok, keys, raw, rv_of, Fixture, LABEL, SO_PIN, USER_PIN};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const KEY_VALUE: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const KAT_PT: &str = "00112233445566778899aabbccddeeff";
const KAT_CT: &str = "69c4e0d86a7b0430d8cdb78070b4c55a";

fn label(l: &str) -> Attribute {
    Attribute::Label(l.as_bytes().to_vec())
}

fn find_one(s: &Session, l: &str) -> CK_OBJECT_HANDLE {
    let found = expect_ok(s.find_objects(&[label(l)]), "C_FindObjects");
    assert_eq!(found.len(), 1, "objects labelled {l:?}");
    found[0].handle()
}

/// Objects the persistence tests create, and the UNIQUE_IDs they got.
fn populate(s: &Session) -> Vec<(String, Vec<u8>)> {
    let h = s.handle();
    let mut made = vec![
        keys::data(
            s,
            "persist-public",
            b"public value",
            vec![Attribute::Token(true)],
        ),
        keys::data(
            s,
            "persist-private",
            b"private value",
            vec![Attribute::Token(true), Attribute::Private(true)],
        ),
        keys::aes(
            s,
            &KEY_VALUE,
            vec![Attribute::Token(true), label("persist-key")],
        ),
        keys::aes(
            s,
            &KEY_VALUE,
            vec![
                Attribute::Token(true),
                label("persist-sensitive"),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
            ],
        ),
        keys::data(s, "persist-to-rename", b"r", vec![Attribute::Token(true)]),
    ];
    keys::data(s, "persist-session-only", b"gone", vec![]);
    let doomed = keys::data(s, "persist-destroyed", b"d", vec![Attribute::Token(true)]);
    expect_ok(s.destroy_object(keys::obj(doomed)), "destroy");
    expect_ok(
        s.update_attributes(keys::obj(made[4]), &[label("persist-renamed")]),
        "rename",
    );
    made.truncate(5);
    made.iter()
        .map(|o| {
            let l = String::from_utf8(raw::attr(h, *o, CKA_LABEL).expect("label"))
                .expect("utf-8 label");
            (l, raw::attr(h, *o, CKA_UNIQUE_ID).expect("CKA_UNIQUE_ID"))
        })
        .collect()
}

/// Checks what [`populate`] left, from a fresh module instance.
fn verify(
    ctx: &cryptoki::context::Pkcs11,
    slot: cryptoki::slot::Slot,
    ids: Option<&[(String, Vec<u8>)]>,
) {
    let ti = expect_ok(ctx.get_token_info(slot), "C_GetTokenInfo");
    assert!(ti.token_initialized() && ti.user_pin_initialized());
    assert_eq!(ti.label(), LABEL);
    let s = expect_ok(ctx.open_rw_session(slot), "C_OpenSession");
    let h = s.handle();
    let mut public: Vec<String> = expect_ok(s.find_objects(&[]), "find (public)")
        .iter()
        .map(|o| {
            String::from_utf8_lossy(&raw::attr(h, o.handle(), CKA_LABEL).expect("label"))
                .into_owned()
        })
        .collect();
    public.sort();
    assert_eq!(
        public,
        vec!["persist-public", "persist-renamed"],
        "public token objects"
    );
    expect_ok(
        s.login(UserType::User, Some(&AuthPin::from(USER_PIN))),
        "login",
    );
    let all = expect_ok(s.find_objects(&[]), "find (user)");
    assert_eq!(
        all.len(),
        5,
        "token objects after reload (the session object and the destroyed one must be gone)"
    );
    assert_eq!(
        raw::attr(h, find_one(&s, "persist-public"), CKA_VALUE).expect("value"),
        b"public value"
    );
    assert_eq!(
        raw::attr(h, find_one(&s, "persist-private"), CKA_VALUE).expect("value"),
        b"private value"
    );
    let k = find_one(&s, "persist-key");
    assert_eq!(raw::attr(h, k, CKA_VALUE).expect("value"), KEY_VALUE);
    let sk = find_one(&s, "persist-sensitive");
    assert!(raw::attr_bool(h, sk, CKA_SENSITIVE).expect("sensitive"));
    for key in [k, sk] {
        let ct = expect_ok(
            s.encrypt(
                &Mechanism::AesEcb,
                keys::obj(key),
                &hex::decode(KAT_PT).unwrap(),
            ),
            "ECB with reloaded key",
        );
        assert_eq!(hex::encode(ct), KAT_CT, "reloaded key material");
    }
    assert!(expect_ok(s.find_objects(&[label("persist-session-only")]), "find").is_empty());
    assert!(expect_ok(s.find_objects(&[label("persist-destroyed")]), "find").is_empty());
    if let Some(ids) = ids {
        for (l, id) in ids {
            assert_eq!(
                &raw::attr(h, find_one(&s, l), CKA_UNIQUE_ID).expect("uid"),
                id,
                "CKA_UNIQUE_ID of {l} changed"
            );
        }
    }
}

#[test]
fn token_objects_survive_finalize_and_initialize() {
    let mut fx = Fixture::new();
    let ids = {
        let s = fx.user_session();
        populate(&s)
    };
    fx.finalize();
    fx.reinitialize();
    verify(&fx.ctx, fx.slot, Some(&ids));
}

#[test]
fn token_objects_are_seen_by_another_process() {
    if role().as_deref() == Some("reader") {
        let ctx = open_module();
        verify(
            &ctx,
            cryptoki::slot::Slot::try_from(0u64).expect("slot"),
            None,
        );
        expect_ok(ctx.finalize(), "child C_Finalize");
        return;
    }
    let mut fx = Fixture::new();
    {
        let s = fx.user_session();
        populate(&s);
    }
    fx.finalize(); // releases the store for the child
    let run = run_self(
        "token_objects_are_seen_by_another_process",
        "reader",
        &[("QRC_PKCS11_STORE", fx.store().as_os_str())],
        Duration::from_secs(120),
    );
    assert_child_ok(&run, "reader process");
    fx.reinitialize();
}

#[test]
fn acknowledged_changes_survive_a_crash() {
    if role().as_deref() == Some("crasher") {
        let ctx = open_module();
        let slot = cryptoki::slot::Slot::try_from(0u64).expect("slot");
        let s = expect_ok(ctx.open_rw_session(slot), "C_OpenSession");
        expect_ok(
            s.login(UserType::User, Some(&AuthPin::from(USER_PIN))),
            "login",
        );
        keys::data(
            &s,
            "crash-public",
            b"public value",
            vec![Attribute::Token(true)],
        );
        keys::aes(
            &s,
            &KEY_VALUE,
            vec![Attribute::Token(true), label("crash-key")],
        );
        let doomed = keys::data(&s, "crash-destroyed", b"d", vec![Attribute::Token(true)]);
        expect_ok(s.destroy_object(keys::obj(doomed)), "destroy");
        // Die without C_Finalize, destructors or flushing: a crash.
        // SAFETY: _exit ends the process at once; nothing runs after it.
        unsafe { libc::_exit(0) };
    }
    let mut fx = Fixture::new();
    fx.finalize(); // the crashing child gets the store
    let run = run_self(
        "acknowledged_changes_survive_a_crash",
        "crasher",
        &[("QRC_PKCS11_STORE", fx.store().as_os_str())],
        Duration::from_secs(60),
    );
    assert_child_ok(&run, "crashing child");
    // The dead child's hold on the store must not outlive it.
    fx.reinitialize();
    let si = expect_ok(fx.ctx.get_slot_info(fx.slot), "C_GetSlotInfo");
    assert!(
        si.token_present(),
        "the store of a crashed process stays held: no token"
    );
    let s = fx.user_session();
    let h = s.handle();
    assert_eq!(
        raw::attr(h, find_one(&s, "crash-public"), CKA_VALUE).expect("value"),
        b"public value"
    );
    let k = find_one(&s, "crash-key");
    let ct = expect_ok(
        s.encrypt(
            &Mechanism::AesEcb,
            keys::obj(k),
            &hex::decode(KAT_PT).unwrap(),
        ),
        "ECB",
    );
    assert_eq!(hex::encode(ct), KAT_CT, "key material after the crash");
    assert!(
        expect_ok(s.find_objects(&[label("crash-destroyed")]), "find").is_empty(),
        "a destroy was lost"
    );
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read_dir {}: {e}", d.display())) {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out
}

/// Every (file, offset) where `needle` occurs in the store.
fn occurrences(dir: &Path, needle: &[u8]) -> Vec<(PathBuf, usize)> {
    let mut hits = Vec::new();
    for f in files_under(dir) {
        let data = std::fs::read(&f).unwrap_or_default();
        let mut i = 0;
        while let Some(pos) = data[i..].windows(needle.len()).position(|w| w == needle) {
            hits.push((f.clone(), i + pos));
            i += pos + 1;
        }
    }
    hits
}

fn assert_absent(dir: &Path, secrets: &[(&str, Vec<u8>)], when: &str) {
    let files = files_under(dir);
    assert!(
        !files.is_empty(),
        "the store at {} has no files",
        dir.display()
    );
    for (name, secret) in secrets {
        for needle in [
            &secret[..],
            &secret[..secret.len() / 2],
            &secret[secret.len() / 2..],
        ] {
            let hits = occurrences(dir, needle);
            assert!(
                hits.is_empty(),
                "{when}: {name} found in clear in the store: {hits:?}"
            );
        }
    }
}

#[test]
fn secrets_are_never_on_disk_in_clear() {
    let mut fx = Fixture::new();
    let sensitive: Vec<u8> = b"QRC-SENSITIVE-KEY-MATERIAL-0001!".to_vec();
    let extractable: Vec<u8> = b"qrc-extractable-key-bytes-00002?".to_vec();
    let hmac: Vec<u8> = b"QRC hmac secret, forty bytes long 0003!!".to_vec();
    let generated = {
        let s = fx.user_session();
        keys::aes(
            &s,
            &sensitive,
            vec![
                Attribute::Token(true),
                Attribute::Sensitive(true),
                label("sens"),
            ],
        );
        keys::aes(
            &s,
            &extractable,
            vec![Attribute::Token(true), label("extr")],
        );
        keys::generic(&s, &hmac, vec![Attribute::Token(true), label("hmac")]);
        let g = expect_ok(
            s.generate_key(
                &Mechanism::AesKeyGen,
                &[
                    Attribute::Token(true),
                    Attribute::ValueLen(32.into()),
                    Attribute::Extractable(true),
                    Attribute::Sensitive(false),
                ],
            ),
            "C_GenerateKey(token AES)",
        );
        raw::attr(s.handle(), g.handle(), CKA_VALUE).expect("generated value")
    };
    let secrets = [
        ("the sensitive AES key", sensitive),
        ("the extractable AES key", extractable),
        ("the HMAC key", hmac),
        ("the generated AES key", generated),
        ("the user PIN", USER_PIN.as_bytes().to_vec()),
        ("the SO PIN", SO_PIN.as_bytes().to_vec()),
    ];
    assert_absent(fx.store(), &secrets, "after import");
    {
        let s = fx.user_session();
        for i in 0..20 {
            keys::data(
                &s,
                &format!("filler-{i}"),
                &[i as u8; 100],
                vec![Attribute::Token(true)],
            );
        }
        let e = find_one(&s, "extr");
        expect_ok(
            s.update_attributes(
                keys::obj(e),
                &[label("extr-renamed"), Attribute::Sensitive(true)],
            ),
            "update",
        );
        let hm = find_one(&s, "hmac");
        expect_ok(s.copy_object(keys::obj(hm), &[label("hmac-copy")]), "copy");
        expect_ok(s.destroy_object(keys::obj(hm)), "destroy");
        expect_ok(
            s.set_pin(&AuthPin::from(USER_PIN), &AuthPin::from("changed-user-pin")),
            "C_SetPIN",
        );
    }
    assert_absent(fx.store(), &secrets, "after more writes");
    fx.finalize();
    assert_absent(fx.store(), &secrets, "after C_Finalize");
    fx.reinitialize();
}

/// What the child of the tamper test saw: a token present whose every use
/// is CKR_DEVICE_ERROR (a store refused as a whole), or a token that opens
/// and refuses the damaged object with CKR_DEVICE_ERROR.
const TAMPER_VERDICT: &str = "tamper verdict: ";

fn tampered_store_verdict() -> String {
    let ctx = open_module();
    let slot = cryptoki::slot::Slot::try_from(0u64).expect("slot");
    let present = expect_ok(ctx.get_slot_info(slot), "C_GetSlotInfo").token_present();
    assert!(
        present,
        "a damaged store must show a token (failing), not none"
    );
    let outcome = (|| -> Result<Vec<u8>, CK_RV> {
        ctx.get_token_info(slot).map_err(|e| rv_of::<()>(&Err(e)))?;
        let s = ctx
            .open_ro_session(slot)
            .map_err(|e| rv_of::<()>(&Err(e)))?;
        let found = raw::find(s.handle(), vec![label("tamper-target")], 4)?;
        assert!(
            !found.is_empty(),
            "the tampered object silently vanished: expected CKR_DEVICE_ERROR"
        );
        raw::attr(s.handle(), found[0], CKA_VALUE)
    })();
    let _ = ctx.finalize();
    match outcome {
        Err(rv) => format!("0x{rv:x}"),
        Ok(v) => format!("value returned: {v:02x?}"),
    }
}

#[test]
fn tampered_store_is_detected_never_used() {
    if role().as_deref() == Some("inspector") {
        println!("{TAMPER_VERDICT}{}", tampered_store_verdict());
        return;
    }
    let mut fx = Fixture::new();
    let value: Vec<u8> = b"TAMPER-ME: public value, 40 bytes long!!".to_vec();
    {
        let s = fx.rw_session();
        keys::data(&s, "tamper-target", &value, vec![Attribute::Token(true)]);
    }
    fx.finalize();
    let hits = occurrences(fx.store(), &value);
    assert!(
        !hits.is_empty(),
        "a public data object's value is stored as is"
    );
    for (f, off) in &hits {
        flip(f, off + value.len() / 2);
    }
    let run = run_self(
        "tampered_store_is_detected_never_used",
        "inspector",
        &[
            ("QRC_PKCS11_STORE", fx.store().as_os_str()),
            ("QRC_PKCS11_LOG", "error".as_ref()),
        ],
        Duration::from_secs(60),
    );
    assert_child_ok(&run, "inspector process");
    let verdict = run
        .stdout
        .lines()
        .find_map(|l| {
            l.split_once(TAMPER_VERDICT)
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no verdict:\n{}", run.stdout));
    println!("tampered store: {verdict}");
    assert_eq!(
        verdict,
        format!("0x{CKR_DEVICE_ERROR:x}"),
        "want CKR_DEVICE_ERROR"
    );
    // The log says which store and what failed.
    let store = fx.store().display().to_string();
    let logged = run
        .stderr
        .lines()
        .any(|l| l.contains(&store) && (l.contains("integrity") || l.contains("data was lost")));
    assert!(
        logged,
        "no log line names the damage; stderr:\n{}",
        run.stderr
    );
    fx.reinitialize();
}

fn flip(f: &Path, at: usize) {
    let mut data = std::fs::read(f).unwrap_or_else(|e| panic!("read {}: {e}", f.display()));
    if let Some(b) = data.get_mut(at) {
        *b ^= 0x01;
        std::fs::write(f, &data).unwrap_or_else(|e| panic!("write {}: {e}", f.display()));
    }
}

#[test]
fn a_store_held_by_another_process_shows_no_token() {
    match role().as_deref() {
        Some("contender") => {
            let start = Instant::now();
            let ctx = open_module();
            let slot = cryptoki::slot::Slot::try_from(0u64).expect("slot");
            assert!(
                expect_ok(ctx.get_all_slots(), "C_GetSlotList").contains(&slot),
                "slot 0 listed"
            );
            assert!(
                !expect_ok(ctx.get_slots_with_token(), "C_GetSlotList(TRUE)").contains(&slot),
                "slot 0 has a token"
            );
            assert!(
                !expect_ok(ctx.get_slot_info(slot), "C_GetSlotInfo").token_present(),
                "CKF_TOKEN_PRESENT"
            );
            expect_err(
                ctx.get_token_info(slot),
                CKR_TOKEN_NOT_PRESENT,
                "C_GetTokenInfo on a held store",
            );
            expect_err(
                ctx.open_rw_session(slot),
                CKR_TOKEN_NOT_PRESENT,
                "C_OpenSession on a held store",
            );
            expect_err(
                ctx.init_token(slot, &AuthPin::from(SO_PIN), LABEL),
                CKR_TOKEN_NOT_PRESENT,
                "C_InitToken on a held store",
            );
            expect_ok(ctx.finalize(), "C_Finalize");
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "the contender took {:?}",
                start.elapsed()
            );
            return;
        }
        Some("successor") => {
            let ctx = open_module();
            let slot = cryptoki::slot::Slot::try_from(0u64).expect("slot");
            assert!(expect_ok(ctx.get_token_info(slot), "C_GetTokenInfo").token_initialized());
            let s = expect_ok(ctx.open_rw_session(slot), "C_OpenSession");
            expect_ok(
                s.login(UserType::User, Some(&AuthPin::from(USER_PIN))),
                "login",
            );
            assert_eq!(expect_ok(s.find_objects(&[label("held")]), "find").len(), 1);
            drop(s);
            expect_ok(ctx.finalize(), "C_Finalize");
            return;
        }
        _ => {}
    }
    let mut fx = Fixture::new();
    let s = fx.user_session();
    keys::secret(
        &s,
        KeyType::AES,
        &KEY_VALUE,
        vec![Attribute::Token(true), label("held")],
    );
    let store = fx.store().to_path_buf();
    let env = [
        ("QRC_PKCS11_STORE", store.as_os_str()),
        ("QRC_PKCS11_LOG", "warn".as_ref()),
    ];
    let name = "a_store_held_by_another_process_shows_no_token";
    let run = run_self(name, "contender", &env, Duration::from_secs(60));
    assert_child_ok(&run, "contender process");
    assert!(
        run.elapsed < Duration::from_secs(30),
        "the contender process took {:?}",
        run.elapsed
    );
    let pid = std::process::id().to_string();
    assert!(
        run.stderr.contains(&pid),
        "no log line names the holder pid {pid}; child stderr:\n{}",
        run.stderr
    );
    // The holder is unaffected.
    keys::data(&s, "still-mine", b"v", vec![Attribute::Token(true)]);
    drop(s);
    fx.finalize();
    let run = run_self(name, "successor", &env, Duration::from_secs(60));
    assert_child_ok(&run, "successor process after the holder finalized");
    fx.reinitialize();
}
