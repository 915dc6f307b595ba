use super::*;
use std::time::Instant;

#[test]
fn fresh_token_state() {
    let dir = tempfile::tempdir().unwrap();
    let s = open_at(dir.path());
    assert!(!s.initialized());
    assert_eq!(s.label(), [b' '; 32]);
    assert_eq!(
        s.login(Who::So, SO_PIN).err(),
        Some(Ckr::TOKEN_NOT_INITIALIZED)
    );
    s.init_token(SO_PIN, &label32("t")).unwrap();
    assert!(s.initialized());
    assert_eq!(
        s.login(Who::User, USER_PIN).err(),
        Some(Ckr::USER_PIN_NOT_INITIALIZED)
    );
    let st = s.pin_status(Who::User);
    assert!(!st.initialized && !st.locked());
    assert!(s.pin_status(Who::So).initialized);
}

#[test]
fn wrong_pins_count_lock_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (s, _) = ready(dir.path());
        assert_eq!(s.login(Who::User, b"wrong").err(), Some(Ckr::PIN_INCORRECT));
        assert_eq!(s.pin_status(Who::User).failures, 1);
    }
    // The counter is durable, and a new process takes the slow path.
    let s = open_at(dir.path());
    assert_eq!(s.pin_status(Who::User).failures, 1);
    assert_eq!(s.login(Who::User, b"wrong").err(), Some(Ckr::PIN_INCORRECT));
    s.login(Who::User, USER_PIN).unwrap();
    assert_eq!(s.pin_status(Who::User).failures, 0);
    for _ in 0..3 {
        assert_eq!(s.login(Who::User, b"wrong").err(), Some(Ckr::PIN_INCORRECT));
    }
    let st = s.pin_status(Who::User);
    assert!(st.locked());
    assert_eq!((st.failures, st.max_failures), (3, 3));
    assert_eq!(s.login(Who::User, USER_PIN).err(), Some(Ckr::PIN_LOCKED));
    assert_eq!(s.login(Who::User, b"wrong").err(), Some(Ckr::PIN_LOCKED));
    // The SO counter is separate; re-setting the user PIN unlocks it.
    let so = s.login(Who::So, SO_PIN).unwrap();
    s.init_user_pin(&so, b"fresh").unwrap();
    assert_eq!(s.pin_status(Who::User).failures, 0);
    s.login(Who::User, b"fresh").unwrap();
}

#[test]
fn set_pin_rewraps() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (s, key) = ready(dir.path());
        let id = s
            .insert(&secret_key(b"k", &[9; 16], true), Some(&key))
            .unwrap();
        assert_eq!(
            s.set_pin(Who::User, b"bad", b"new"),
            Err(Ckr::PIN_INCORRECT)
        );
        assert_eq!(s.pin_status(Who::User).failures, 1);
        s.set_pin(Who::User, USER_PIN, b"new user pin").unwrap();
        assert_eq!(s.pin_status(Who::User).failures, 0);
        assert_eq!(s.login(Who::User, USER_PIN).err(), Some(Ckr::PIN_INCORRECT));
        let k2 = s.login(Who::User, b"new user pin").unwrap();
        assert!(s.load(id, Some(&k2)).is_ok());
        s.set_pin(Who::So, SO_PIN, b"new so pin").unwrap();
        assert_eq!(s.login(Who::So, SO_PIN).err(), Some(Ckr::PIN_INCORRECT));
    }
    let s = open_at(dir.path());
    let key = s.login(Who::User, b"new user pin").unwrap();
    assert_eq!(
        s.find(&template(CKA_LABEL, b"k"), Some(&key))
            .unwrap()
            .len(),
        1
    );
    s.login(Who::So, b"new so pin").unwrap();
}

#[test]
fn init_token_wipes_and_changes_key() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = ready(dir.path());
    let id = s
        .insert(&secret_key(b"k", &[9; 16], true), Some(&key))
        .unwrap();
    s.insert(&data_object(b"d", false), None).unwrap();
    assert_eq!(
        s.init_token(b"wrong", &label32("x")),
        Err(Ckr::PIN_INCORRECT)
    );
    assert_eq!(s.find(&Attributes::new(), Some(&key)).unwrap().len(), 2);
    s.init_token(SO_PIN, &label32("second life")).unwrap();
    assert_eq!(s.label(), label32("second life"));
    assert!(!s.pin_status(Who::User).initialized);
    assert_eq!(s.pin_status(Who::So).failures, 0);
    // The old key is refused, not mistaken for an integrity failure.
    assert_eq!(
        s.find(&Attributes::new(), Some(&key)),
        Err(Ckr::USER_NOT_LOGGED_IN)
    );
    assert_eq!(s.init_user_pin(&key, b"p"), Err(Ckr::USER_NOT_LOGGED_IN));
    let so = s.login(Who::So, SO_PIN).unwrap();
    assert!(s.find(&Attributes::new(), Some(&so)).unwrap().is_empty());
    assert_eq!(
        s.load(id, Some(&so)).err(),
        Some(Ckr::OBJECT_HANDLE_INVALID)
    );
    drop(s);
    let s = open_at(dir.path());
    assert!(s.find(&Attributes::new(), None).unwrap().is_empty());
    assert!(s.insert(&data_object(b"d", false), None).unwrap() > id);
}

#[test]
fn default_kdf_runs_once_per_process() {
    let dir = tempfile::tempdir().unwrap();
    let opts = StoreOptions::default();
    let s = Store::open(dir.path(), &opts).unwrap();
    s.init_token(SO_PIN, &label32("t")).unwrap();
    drop(s);
    let s = Store::open(dir.path(), &opts).unwrap();
    let t = Instant::now();
    s.login(Who::So, SO_PIN).unwrap();
    let slow = t.elapsed();
    let t = Instant::now();
    s.login(Who::So, SO_PIN).unwrap();
    let fast = t.elapsed();
    println!(
        "Argon2id {:?}: first login {slow:?}, verifier login {fast:?}",
        opts.kdf
    );
    assert!(fast * 20 < slow, "verifier path {fast:?} vs KDF {slow:?}");
    // A PIN that does not match the verifier still takes the full path.
    assert_eq!(s.login(Who::So, b"other").err(), Some(Ckr::PIN_INCORRECT));
}

#[test]
fn invalid_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = fast_opts();
    o.max_pin_failures = 0;
    assert_eq!(Store::open(dir.path(), &o).err(), Some(Ckr::ARGUMENTS_BAD));
    let mut o = fast_opts();
    o.kdf.memory_kib = 4;
    assert_eq!(Store::open(dir.path(), &o).err(), Some(Ckr::ARGUMENTS_BAD));
}
