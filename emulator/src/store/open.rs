//! Opening a store: the process lock, sled, and the checks that turn lost
//! or altered data into an error instead of a quiet rollback.
//!
//! On an existing store, `open` verifies the meta records, compares the
//! state's generation with the anchor (sled drops the tail of its log on a
//! bad CRC, see [`super::anchor`]) and recomputes the object-set digest
//! over every record's tag. Records themselves are verified on `load`.

use super::anchor::{Anchor, Seen};
use super::keys::{random_secret, IntegrityKeys, Secret};
use super::lock::ProcessLock;
use super::meta::{State, TokenRecord, KEY_FORMAT, KEY_INTEGRITY, KEY_STATE, KEY_TOKEN};
use super::pin::Verifiers;
use super::{index, record, Meta, Store, StoreOptions, Trees, FORMAT_VERSION};
use crate::error::{Ckr, Result};
use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use zeroize::Zeroizing;

/// Logs `what` for this store and yields `DEVICE_ERROR`.
fn fail(dir: &Path, what: impl std::fmt::Display) -> Ckr {
    log::error!("token store {}: {what}", dir.display());
    Ckr::DEVICE_ERROR
}

/// What `open` learns from the meta tree.
struct Loaded {
    ik: IntegrityKeys,
    state: State,
    token: TokenRecord,
}

pub(super) fn open(dir: &Path, opts: &StoreOptions) -> Result<Store> {
    if opts.max_pin_failures == 0 || opts.kdf.argon2().is_none() {
        log::error!("token store {}: invalid options {opts:?}", dir.display());
        return Err(Ckr::ARGUMENTS_BAD);
    }
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| fail(dir, format!("cannot create the directory: {e}")))?;
    let lock = ProcessLock::acquire(dir)?;
    let db = open_sled(dir, opts)?;
    let tree = |name: &str| {
        db.open_tree(name)
            .map_err(|e| fail(dir, format!("cannot open tree {name}: {e}")))
    };
    let trees = Trees {
        meta: tree("meta")?,
        objects: tree("objects")?,
        index: tree("index")?,
        backrefs: tree("backrefs")?,
    };
    let anchor =
        Anchor::open(dir).map_err(|e| fail(dir, format!("cannot open the anchor: {e}")))?;
    let fresh = [&trees.meta, &trees.objects, &trees.index, &trees.backrefs]
        .iter()
        .all(|t| t.is_empty());
    let loaded = if fresh {
        create(dir, &db, &trees, &anchor)?
    } else {
        verify(dir, &trees, &anchor)?
    };
    Ok(Store {
        dir: dir.to_path_buf(),
        opts: opts.clone(),
        published: RwLock::new(Arc::new(loaded.token.clone())),
        meta: Mutex::new(Meta {
            state: loaded.state,
            token: loaded.token,
        }),
        ik: loaded.ik,
        kdf_lock: Mutex::new(()),
        verifiers: Verifiers::new()?,
        cache: RwLock::default(),
        trees,
        db,
        anchor,
        _lock: lock,
    })
}

/// The process that first opened a sled database in this address space.
static SLED_PROCESS: AtomicU32 = AtomicU32::new(0);

fn open_sled(dir: &Path, opts: &StoreOptions) -> Result<sled::Db> {
    // sled keeps a process-global thread pool whose bookkeeping a fork copies
    // but whose threads it does not: in a child of a process that used sled,
    // sled's first write waits forever for workers that do not exist. Refuse
    // there, at once, instead of hanging.
    let me = std::process::id();
    match SLED_PROCESS.compare_exchange(0, me, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {}
        Err(owner) if owner == me => {}
        Err(owner) => {
            log::error!(
                "token store {}: cannot be opened in a process forked from process {owner}, which \
                 used a token store (sled cannot run after fork); open it from a fresh process",
                dir.display()
            );
            return Err(Ckr::TOKEN_NOT_PRESENT);
        }
    }
    let cfg = sled::Config::new()
        .path(dir.join("db"))
        .cache_capacity(opts.cache_capacity_bytes);
    // sled 0.34 can panic while recovering a damaged log (seen: "tried to
    // serialize Uninitialized" from its snapshot code).
    match catch_unwind(AssertUnwindSafe(|| cfg.open())) {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(e)) => Err(fail(dir, format!("cannot open the database: {e}"))),
        Err(_) => Err(fail(
            dir,
            "the database is damaged (sled panicked recovering it)",
        )),
    }
}

/// Writes the meta records of a new, uninitialized token.
fn create(dir: &Path, db: &sled::Db, trees: &Trees, anchor: &Anchor) -> Result<Loaded> {
    let anchor_err = |e| fail(dir, format!("anchor: {e}"));
    match anchor.seen().map_err(anchor_err)? {
        Seen::Nothing | Seen::Placeholder => {}
        Seen::Committed | Seen::Garbage => {
            return Err(fail(
                dir,
                "the database is empty but the anchor shows it held data: it was lost or \
                 replaced (to start over, remove the whole directory)",
            ))
        }
    }
    anchor.write_placeholder().map_err(anchor_err)?;
    let ikey = random_secret()?;
    let ik = IntegrityKeys::derive(&ikey);
    let token = TokenRecord::blank();
    let (token_raw, token_tag) = token.encode(&ik);
    let state = State {
        gen: 1,
        next_id: 1,
        count: 0,
        set_digest: [0; 32],
        token_tag,
    };
    let (state_raw, state_tag) = state.encode(&ik);
    let mut batch = sled::Batch::default();
    batch.insert(KEY_FORMAT, &FORMAT_VERSION.to_le_bytes()[..]);
    batch.insert(KEY_INTEGRITY, &ikey[..]);
    batch.insert(KEY_TOKEN, token_raw);
    batch.insert(KEY_STATE, state_raw);
    let db_err = |e| fail(dir, format!("cannot create the store: {e}"));
    trees.meta.apply_batch(batch).map_err(db_err)?;
    db.flush().map_err(db_err)?;
    anchor.write(&ik, 1, &state_tag).map_err(anchor_err)?;
    Ok(Loaded { ik, state, token })
}

/// Loads and checks the meta records, the anchor and the object set.
fn verify(dir: &Path, trees: &Trees, anchor: &Anchor) -> Result<Loaded> {
    let get = |key: &[u8]| -> Result<sled::IVec> {
        let name = String::from_utf8_lossy(key);
        trees
            .meta
            .get(key)
            .map_err(|e| fail(dir, format!("cannot read {name}: {e}")))?
            .ok_or_else(|| fail(dir, format!("the meta record {name} is missing")))
    };
    let corrupt = |what: &str| fail(dir, format!("{what} failed its integrity check"));

    let format = get(KEY_FORMAT)?;
    let format = <[u8; 4]>::try_from(&format[..])
        .map(u32::from_le_bytes)
        .map_err(|_| corrupt("the format record"))?;
    if format > FORMAT_VERSION {
        return Err(fail(
            dir,
            format!(
                "written by a newer qrcpkcs11 (format {format}; this build reads {FORMAT_VERSION})"
            ),
        ));
    }
    if format == 1 {
        return Err(fail(
            dir,
            "written by qrcpkcs11 0.1 (format 1), whose public records holding secrets carry no \
             key tag; this build reads format 2 only: back the keys up with the old build \
             (C_WrapKey) and initialise a new store",
        ));
    }
    if format != FORMAT_VERSION {
        return Err(corrupt("the format record"));
    }
    let ikey: Secret = Zeroizing::new(
        get(KEY_INTEGRITY)?[..]
            .try_into()
            .map_err(|_| corrupt("the integrity key"))?,
    );
    let ik = IntegrityKeys::derive(&ikey);
    let (token, token_tag) =
        TokenRecord::decode(&ik, &get(KEY_TOKEN)?).map_err(|_| corrupt("the token record"))?;
    let (state, state_tag) =
        State::decode(&ik, &get(KEY_STATE)?).map_err(|_| corrupt("the state record"))?;
    if state.token_tag != token_tag {
        return Err(corrupt("the token record"));
    }

    let anchor_err = |e| fail(dir, format!("anchor: {e}"));
    let anchored = match anchor.latest(&ik).map_err(anchor_err)? {
        Some(a) => a,
        None if anchor.seen().map_err(anchor_err)? == Seen::Nothing => {
            return Err(fail(dir, "the anchor file is missing"))
        }
        None => return Err(corrupt("the anchor")),
    };
    if state.gen < anchored.0 || (state.gen == anchored.0 && state_tag != anchored.1) {
        return Err(fail(
            dir,
            format!(
                "the database is at generation {} but generation {} was committed: \
                 data was lost (sled drops its log after a damaged entry) or the files were replaced",
                state.gen, anchored.0
            ),
        ));
    }

    check_object_set(dir, trees, &ik, &state)?;
    // A crash between a flush and the anchor write leaves the anchor behind.
    if anchored.0 < state.gen {
        anchor
            .write(&ik, state.gen, &state_tag)
            .map_err(anchor_err)?;
    }
    Ok(Loaded { ik, state, token })
}

/// Recomputes count and set digest over the object records.
fn check_object_set(dir: &Path, trees: &Trees, ik: &IntegrityKeys, state: &State) -> Result<()> {
    let mut seen = State {
        count: 0,
        set_digest: [0; 32],
        ..*state
    };
    for item in trees.objects.iter() {
        let (k, v) = item.map_err(|e| fail(dir, format!("cannot read objects: {e}")))?;
        let id = index::id_from_key(&k)
            .filter(|id| k.len() == 8 && *id < state.next_id)
            .ok_or_else(|| fail(dir, "the object list failed its integrity check"))?;
        let h = record::header(&v)
            .map_err(|_| fail(dir, format!("object {id} failed its integrity check")))?;
        seen.toggle(ik, id, &h.tag);
        seen.count += 1;
    }
    if seen.count != state.count || seen.set_digest != state.set_digest {
        return Err(fail(
            dir,
            format!(
                "the object records do not match the state record ({} found, {} expected): \
                 data was lost or altered",
                seen.count, state.count
            ),
        ));
    }
    Ok(())
}
