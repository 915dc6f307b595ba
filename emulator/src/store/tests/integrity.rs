use super::*;
use crate::store::codec::{Reader, Writer};
use crate::store::keys::hmac;

/// A key value nobody else writes: 0x42 with a marker every 8 bytes.
fn distinctive_value() -> Vec<u8> {
    (0..32u8)
        .map(|i| if i % 8 == 7 { 0xA5 ^ i } else { 0x42 })
        .collect()
}

#[test]
fn secrets_and_private_labels_never_reach_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let value = distinctive_value();
    {
        let (s, key) = ready(dir.path());
        s.insert(&secret_key(b"PRIVATE-LABEL-Q7", &value, true), Some(&key))
            .unwrap();
        s.insert(&secret_key(b"PUBLIC-LABEL-Q7", &value, false), Some(&key))
            .unwrap();
    }
    // The scan does find what is stored in clear, so its silence means something.
    assert!(occurrences(dir.path(), b"PUBLIC-LABEL-Q7") > 0);
    assert_eq!(occurrences(dir.path(), &value), 0);
    assert_eq!(occurrences(dir.path(), &value[..8]), 0);
    assert_eq!(occurrences(dir.path(), b"PRIVATE-LABEL-Q7"), 0);
    assert_eq!(occurrences(dir.path(), SO_PIN), 0);
    assert_eq!(occurrences(dir.path(), USER_PIN), 0);
}

/// Flips one bit in every stored copy of a public label, as disk corruption
/// or a careless edit would. sled 0.34 sees its CRC fail, silently drops
/// that log entry and everything after it, and opens an older database;
/// the anchor turns that into an error.
#[test]
fn flipped_byte_in_the_files_is_an_error_not_a_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let label = b"TAMPER-ME-LABEL-0001";
    let id = {
        let (s, key) = ready(dir.path());
        s.insert(&data_object(b"before", false), None).unwrap();
        let id = s.insert(&data_object(label, false), None).unwrap();
        s.insert(&secret_key(b"after", &[7; 16], true), Some(&key))
            .unwrap();
        id
    };
    let mut flipped = 0;
    for f in files_under(dir.path()) {
        let mut data = std::fs::read(&f).unwrap();
        for p in positions(&data, label) {
            data[p + 10] ^= 0x01;
            flipped += 1;
        }
        std::fs::write(&f, &data).unwrap();
    }
    assert!(flipped > 0, "the label was not found in the files");
    let mut edited = *label;
    edited[10] ^= 0x01;
    match Store::open(dir.path(), &fast_opts()) {
        Err(e) => {
            println!("flipped {flipped} cop(ies): open failed with {e:?}");
            assert_eq!(e, Ckr::DEVICE_ERROR);
            let logs = logs_for(dir.path());
            assert!(logs.iter().any(|l| l.contains("data was lost")), "{logs:?}");
        }
        Ok(s) => {
            println!("flipped {flipped} cop(ies): open succeeded");
            let found = s.find(&template(CKA_LABEL, &edited), None);
            assert!(found.unwrap_or_default().is_empty());
            let loaded = s.load(id, None);
            assert_eq!(loaded.as_ref().err(), Some(&Ckr::DEVICE_ERROR));
        }
    }
}

#[test]
fn an_older_copy_of_the_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let old = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        for f in files_under(&from.join("db")) {
            let rel = f.strip_prefix(from).unwrap();
            std::fs::create_dir_all(to.join(rel).parent().unwrap()).unwrap();
            std::fs::copy(&f, to.join(rel)).unwrap();
        }
    };
    {
        let (s, _) = ready(dir.path());
        s.insert(&data_object(b"one", false), None).unwrap();
    }
    copy(dir.path(), old.path());
    {
        let s = open_at(dir.path());
        s.insert(&data_object(b"two", false), None).unwrap();
    }
    std::fs::remove_dir_all(dir.path().join("db")).unwrap();
    copy(old.path(), dir.path());
    assert_eq!(
        Store::open(dir.path(), &fast_opts()).err(),
        Some(Ckr::DEVICE_ERROR)
    );
}

#[test]
fn a_missing_anchor_or_an_emptied_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(ready(dir.path()));
    std::fs::remove_file(dir.path().join("anchor")).unwrap();
    assert_eq!(
        Store::open(dir.path(), &fast_opts()).err(),
        Some(Ckr::DEVICE_ERROR)
    );

    let dir = tempfile::tempdir().unwrap();
    drop(ready(dir.path()));
    std::fs::remove_dir_all(dir.path().join("db")).unwrap();
    assert_eq!(
        Store::open(dir.path(), &fast_opts()).err(),
        Some(Ckr::DEVICE_ERROR)
    );
}

/// Opens the store's sled database directly, as an editor of the files.
fn edit_sled(dir: &Path, f: impl FnOnce(&sled::Db)) {
    let db = sled::open(dir.join("db")).unwrap();
    f(&db);
    db.flush().unwrap();
}

#[test]
fn an_edited_record_fails_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let (s, _) = ready(dir.path());
        s.insert(&data_object(b"EDIT-ME", false), None).unwrap()
    };
    edit_sled(dir.path(), |db| {
        let t = db.open_tree("objects").unwrap();
        let mut raw = t.get(id.to_be_bytes()).unwrap().unwrap().to_vec();
        let p = positions(&raw, b"EDIT-ME")[0];
        raw[p] = b'X';
        t.insert(id.to_be_bytes(), raw).unwrap();
    });
    // The record keeps its tag, so open's set check passes; load must not.
    let s = open_at(dir.path());
    assert_eq!(s.load(id, None).err(), Some(Ckr::DEVICE_ERROR));
    let logs = logs_for(dir.path());
    let expected = format!("object {id} failed its integrity check");
    assert!(logs.iter().any(|l| l.contains(&expected)), "{logs:?}");
    assert!(!logs
        .iter()
        .any(|l| l.contains("EDIT") || l.contains("XDIT")));
    let ids = s.find(&template(CKA_LABEL, b"EDIT-ME"), None).unwrap();
    assert_eq!(ids, [id]);
    assert_eq!(s.load(ids[0], None).err(), Some(Ckr::DEVICE_ERROR));
}

#[test]
fn a_deleted_record_is_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let (s, _) = ready(dir.path());
        s.insert(&data_object(b"a", false), None).unwrap();
        s.insert(&data_object(b"b", false), None).unwrap()
    };
    edit_sled(dir.path(), |db| {
        db.open_tree("objects")
            .unwrap()
            .remove(id.to_be_bytes())
            .unwrap();
    });
    assert_eq!(
        Store::open(dir.path(), &fast_opts()).err(),
        Some(Ckr::DEVICE_ERROR)
    );
}

#[test]
fn an_index_entry_without_record_is_an_integrity_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = ready(dir.path());
    let id = s
        .insert(&secret_key(b"k", &[1; 16], true), Some(&key))
        .unwrap();
    s.trees.objects.remove(id.to_be_bytes()).unwrap();
    assert_eq!(
        s.find(&template(CKA_LABEL, b"k"), Some(&key)),
        Err(Ckr::DEVICE_ERROR)
    );
}

#[test]
fn a_record_moved_to_another_id_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = ready(dir.path());
    let a = s
        .insert(&secret_key(b"a", &[1; 16], true), Some(&key))
        .unwrap();
    let b = s
        .insert(&secret_key(b"b", &[2; 16], true), Some(&key))
        .unwrap();
    let raw_a = s.trees.objects.get(a.to_be_bytes()).unwrap().unwrap();
    s.trees.objects.insert(b.to_be_bytes(), raw_a).unwrap();
    assert_eq!(s.load(b, Some(&key)).err(), Some(Ckr::DEVICE_ERROR));
}

/// Rebuilds record `raw` with the value of attribute `ty` taken from
/// `donor`, and a valid MAC: only the AEAD binding can catch it.
fn splice(raw: &[u8], donor: &[u8], ty: CK_ATTRIBUTE_TYPE, key: &TokenKey) -> Vec<u8> {
    let fields = |raw: &[u8]| {
        let mut r = Reader::new(&raw[..raw.len() - 32]);
        let head = r.raw(10).unwrap().to_vec();
        let n = r.u32().unwrap();
        let attrs: Vec<(u64, u8, Vec<u8>)> = (0..n)
            .map(|_| {
                (
                    r.u64().unwrap(),
                    r.u8().unwrap(),
                    r.bytes().unwrap().to_vec(),
                )
            })
            .collect();
        (head, attrs)
    };
    let (head, mut attrs) = fields(raw);
    let (_, donor_attrs) = fields(donor);
    let pos = attrs.iter().position(|a| a.0 == ty).unwrap();
    attrs[pos] = donor_attrs.into_iter().find(|a| a.0 == ty).unwrap();
    let mut w = Writer::new();
    w.raw(&head).u32(attrs.len() as u32);
    for (t, sealed, data) in &attrs {
        w.u64(*t).u8(*sealed).bytes(data).unwrap();
    }
    let tag = hmac(key.record_mac.as_ref(), &[w.as_slice()]);
    w.raw(&tag);
    w.into_vec()
}

#[test]
fn a_sealed_value_moved_between_objects_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (s, key) = ready(dir.path());
    let a = s
        .insert(&secret_key(b"a", &[1; 16], true), Some(&key))
        .unwrap();
    let b = s
        .insert(&secret_key(b"b", &[2; 16], true), Some(&key))
        .unwrap();
    let get = |id: u64| s.trees.objects.get(id.to_be_bytes()).unwrap().unwrap();
    // Control: re-MACing b with its own value is accepted.
    let same = splice(&get(b), &get(b), CKA_VALUE, &key);
    s.trees.objects.insert(b.to_be_bytes(), same).unwrap();
    assert_eq!(
        s.load(b, Some(&key)).unwrap().get(CKA_VALUE),
        Some(&[2u8; 16][..])
    );
    let moved = splice(&get(b), &get(a), CKA_VALUE, &key);
    s.trees.objects.insert(b.to_be_bytes(), moved).unwrap();
    // Loads are served from the cache until a write drops the entry; this
    // edit bypasses the store, so drop it as a write would.
    s.cache.write().unwrap().written(b);
    assert_eq!(s.load(b, Some(&key)).err(), Some(Ckr::DEVICE_ERROR));
}

#[test]
fn a_newer_or_older_format_is_refused() {
    for format in [FORMAT_VERSION + 1, 1] {
        let dir = tempfile::tempdir().unwrap();
        drop(open_at(dir.path()));
        edit_sled(dir.path(), |db| {
            let meta = db.open_tree("meta").unwrap();
            meta.insert(meta::KEY_FORMAT, &format.to_le_bytes()[..])
                .unwrap();
        });
        assert_eq!(
            Store::open(dir.path(), &fast_opts()).err(),
            Some(Ckr::DEVICE_ERROR),
            "format {format}"
        );
    }
}

#[test]
fn a_garbage_database_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    drop(ready(dir.path()));
    for f in files_under(&dir.path().join("db")) {
        let len = std::fs::metadata(&f).unwrap().len() as usize;
        std::fs::write(&f, vec![0x5C; len]).unwrap();
    }
    assert_eq!(
        Store::open(dir.path(), &fast_opts()).err(),
        Some(Ckr::DEVICE_ERROR)
    );
}
