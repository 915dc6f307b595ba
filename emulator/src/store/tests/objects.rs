use super::*;

#[test]
fn store_and_key_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Store>();
    send_sync::<TokenKey>();
}

#[test]
fn insert_load_find_roundtrip() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = ready(dir.path());
    let public = data_object(b"pub one", false);
    let private = secret_key(b"priv key", &[0x11; 32], true);
    let a = s.insert(&public, None).unwrap();
    let b = s.insert(&private, Some(&key)).unwrap();
    assert!(b > a && a >= 1);
    assert_eq!(*s.load(a, None).unwrap(), public);
    assert_eq!(*s.load(b, Some(&key)).unwrap(), private);
    assert_eq!(s.load(b, None).err(), Some(Ckr::USER_NOT_LOGGED_IN));
    assert_eq!(s.load(999, None).err(), Some(Ckr::OBJECT_HANDLE_INVALID));

    assert_eq!(s.find(&template(CKA_LABEL, b"pub one"), None).unwrap(), [a]);
    assert_eq!(
        s.find(&template(CKA_LABEL, b"priv key"), Some(&key))
            .unwrap(),
        [b]
    );
    assert!(s
        .find(&template(CKA_LABEL, b"priv key"), None)
        .unwrap()
        .is_empty());
    assert!(s
        .find(&template(CKA_LABEL, b"nothing"), Some(&key))
        .unwrap()
        .is_empty());
    assert_eq!(
        s.find(&template(CKA_ID, b"key-id"), Some(&key)).unwrap(),
        [b]
    );
    let mut by_class = Attributes::new();
    by_class.set_ulong(CKA_CLASS, CKO_DATA);
    assert_eq!(s.find(&by_class, Some(&key)).unwrap(), [a]);
    assert_eq!(s.find(&Attributes::new(), Some(&key)).unwrap(), [a, b]);
    assert_eq!(s.find(&Attributes::new(), None).unwrap(), [a]);
    let mut only_private = Attributes::new();
    only_private.set_bool(CKA_PRIVATE, true);
    assert_eq!(s.find(&only_private, Some(&key)).unwrap(), [b]);
}

#[test]
fn reads_do_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = ready(dir.path());
    let id = s
        .insert(&secret_key(b"k", &[1; 16], true), Some(&key))
        .unwrap();
    let gen = generation(&s);
    s.load(id, Some(&key)).unwrap();
    s.find(&template(CKA_LABEL, b"k"), Some(&key)).unwrap();
    s.login(Who::User, USER_PIN).unwrap();
    assert_eq!(generation(&s), gen);
    drop(s);
    // Nor does a first, Argon2id, login of a new process.
    let s = open_at(dir.path());
    s.login(Who::User, USER_PIN).unwrap();
    assert_eq!(generation(&s), gen);
}

#[test]
fn objects_persist_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, value) = {
        let (s, key) = ready(dir.path());
        let value = secret_key(b"persisted", &[0x5A; 32], true);
        let a = s.insert(&data_object(b"doc", false), None).unwrap();
        let b = s.insert(&value, Some(&key)).unwrap();
        (a, b, value)
    };
    let s = open_at(dir.path());
    assert!(s.initialized());
    assert_eq!(s.label(), label32("test token"));
    let key = s.login(Who::User, USER_PIN).unwrap();
    assert_eq!(*s.load(b, Some(&key)).unwrap(), value);
    assert_eq!(s.find(&template(CKA_LABEL, b"doc"), None).unwrap(), [a]);
    let c = s.insert(&data_object(b"later", false), None).unwrap();
    assert!(c > b);
}

#[test]
fn update_replaces_and_reindexes() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = ready(dir.path());
    let id = s
        .insert(&secret_key(b"old", &[1; 16], true), Some(&key))
        .unwrap();
    assert_eq!(
        s.load(id, Some(&key)).unwrap().get(CKA_LABEL),
        Some(&b"old"[..])
    );
    let new = secret_key(b"new", &[2; 16], true);
    s.update(id, &new, Some(&key)).unwrap();
    assert_eq!(*s.load(id, Some(&key)).unwrap(), new);
    assert!(s
        .find(&template(CKA_LABEL, b"old"), Some(&key))
        .unwrap()
        .is_empty());
    assert_eq!(
        s.find(&template(CKA_LABEL, b"new"), Some(&key)).unwrap(),
        [id]
    );
    // Turning it public moves it to the public index.
    let public = secret_key(b"new", &[2; 16], false);
    s.update(id, &public, Some(&key)).unwrap();
    assert_eq!(s.find(&template(CKA_LABEL, b"new"), None).unwrap(), [id]);
    assert_eq!(
        s.update(77, &new, Some(&key)),
        Err(Ckr::OBJECT_HANDLE_INVALID)
    );
}

#[test]
fn remove_forgets_and_ids_are_not_reused() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = ready(dir.path());
    let id = s
        .insert(&secret_key(b"gone", &[1; 16], true), Some(&key))
        .unwrap();
    s.load(id, Some(&key)).unwrap();
    s.remove(id).unwrap();
    assert_eq!(
        s.load(id, Some(&key)).err(),
        Some(Ckr::OBJECT_HANDLE_INVALID)
    );
    assert!(s
        .find(&template(CKA_LABEL, b"gone"), Some(&key))
        .unwrap()
        .is_empty());
    assert_eq!(s.remove(id), Err(Ckr::OBJECT_HANDLE_INVALID));
    drop(s);
    let s = open_at(dir.path());
    assert!(s.insert(&data_object(b"next", false), None).unwrap() > id);
}

#[test]
fn sealing_needs_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = ready(dir.path());
    let public_secret = secret_key(b"pk", &[3; 16], false);
    assert_eq!(s.insert(&public_secret, None), Err(Ckr::USER_NOT_LOGGED_IN));
    assert_eq!(
        s.insert(&data_object(b"p", true), None),
        Err(Ckr::USER_NOT_LOGGED_IN)
    );
    assert!(requires_key(&public_secret).unwrap());
    assert!(!requires_key(&data_object(b"p", false)).unwrap());
    // A public secret key is visible without the key, minus its value.
    let id = s.insert(&public_secret, Some(&key)).unwrap();
    let view = s.load(id, None).unwrap();
    assert_eq!(view.get(CKA_LABEL), Some(&b"pk"[..]));
    assert_eq!(view.get(CKA_VALUE), None);
    assert_eq!(
        s.load(id, Some(&key)).unwrap().get(CKA_VALUE),
        Some(&[3u8; 16][..])
    );
    // The cached full object is not served without the key.
    assert_eq!(s.load(id, None).unwrap().get(CKA_VALUE), None);
    assert_eq!(s.find(&template(CKA_LABEL, b"pk"), None).unwrap(), [id]);
}

#[test]
fn forget_private_drops_decrypted_objects() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = ready(dir.path());
    let private = s
        .insert(&secret_key(b"a", &[1; 16], true), Some(&key))
        .unwrap();
    let public = s.insert(&data_object(b"b", false), None).unwrap();
    s.load(private, Some(&key)).unwrap();
    s.load(public, None).unwrap();
    let cached = |id| s.cache.read().unwrap().entries.contains_key(&id);
    assert!(cached(private) && cached(public));
    s.forget_private();
    assert!(!cached(private) && cached(public));
}

#[test]
fn concurrent_writers_and_readers_stay_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = ready(dir.path());
    std::thread::scope(|sc| {
        for t in 0..4u8 {
            let (s, key) = (&s, &key);
            sc.spawn(move || {
                for i in 0..10u8 {
                    let label = [b'L', t, i];
                    let id = s
                        .insert(&secret_key(&label, &[i; 16], i % 2 == 0), Some(key))
                        .unwrap();
                    assert_eq!(
                        s.find(&template(CKA_LABEL, &label), Some(key)).unwrap(),
                        [id]
                    );
                    if i % 3 == 0 {
                        s.remove(id).unwrap();
                    }
                }
            });
        }
    });
    let n = s.find(&Attributes::new(), Some(&key)).unwrap().len();
    assert_eq!(n, 4 * 6);
    drop(s);
    let s = open_at(dir.path());
    let key = s.login(Who::User, USER_PIN).unwrap();
    assert_eq!(s.find(&Attributes::new(), Some(&key)).unwrap().len(), n);
}
