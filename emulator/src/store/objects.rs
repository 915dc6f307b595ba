//! Token objects: insert, update, remove, load (with the decrypted-object
//! cache) and find (through the index).

use super::commit::Plan;
use super::index::{self, Kind};
use super::record::{self, Header};
use super::{read, write, Cached, Store, TokenKey};
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use cryptoki_sys::*;
use std::sync::Arc;

impl Store {
    /// Stores a new object and returns its id (ids are never reused).
    /// `USER_NOT_LOGGED_IN` if a value must be sealed (or the object is
    /// private) and `key` is `None`.
    pub fn insert(&self, attrs: &Attributes, key: Option<&TokenKey>) -> Result<u64> {
        let key = self.check_key(key)?;
        let mut m = self.meta();
        let id = m.state.next_id;
        let enc = record::encode(id, attrs, key, &self.ik)?;
        let keys = self.index_entries(id, attrs, enc.private, key)?;
        let mut state = m.state;
        state.next_id = id.checked_add(1).ok_or(Ckr::DEVICE_ERROR)?;
        state.count += 1;
        state.toggle(&self.ik, id, &enc.tag);
        let plan = Plan {
            objects: vec![(id, Some(enc.bytes))],
            backrefs: vec![(id, Some(index::encode_backrefs(&keys)))],
            index_insert: keys,
            ..Plan::default()
        };
        self.commit(&mut m, state, plan)?;
        Ok(id)
    }

    /// Replaces every attribute of object `id` with `attrs`.
    pub fn update(&self, id: u64, attrs: &Attributes, key: Option<&TokenKey>) -> Result<()> {
        let key = self.check_key(key)?;
        let mut m = self.meta();
        let (old, old_keys) = self.current(id)?;
        let enc = record::encode(id, attrs, key, &self.ik)?;
        let keys = self.index_entries(id, attrs, enc.private, key)?;
        let mut state = m.state;
        state.toggle(&self.ik, id, &old.tag);
        state.toggle(&self.ik, id, &enc.tag);
        let plan = Plan {
            objects: vec![(id, Some(enc.bytes))],
            backrefs: vec![(id, Some(index::encode_backrefs(&keys)))],
            index_remove: old_keys,
            index_insert: keys,
            ..Plan::default()
        };
        let done = self.commit(&mut m, state, plan);
        self.uncache(id);
        done
    }

    /// Deletes object `id`.
    pub fn remove(&self, id: u64) -> Result<()> {
        let mut m = self.meta();
        let (old, old_keys) = self.current(id)?;
        let mut state = m.state;
        state.toggle(&self.ik, id, &old.tag);
        state.count = state.count.saturating_sub(1);
        let plan = Plan {
            objects: vec![(id, None)],
            backrefs: vec![(id, None)],
            index_remove: old_keys,
            ..Plan::default()
        };
        let done = self.commit(&mut m, state, plan);
        self.uncache(id);
        done
    }

    /// The attributes of object `id`: `OBJECT_HANDLE_INVALID` if there is
    /// none, `USER_NOT_LOGGED_IN` for a private object without `key`,
    /// `DEVICE_ERROR` if its record fails its integrity check. Without
    /// `key`, a public object's sealed values (e.g. the CKA_VALUE of a
    /// public secret key) are left out of the result.
    pub fn load(&self, id: u64, key: Option<&TokenKey>) -> Result<Arc<Attributes>> {
        self.load_view(id, key).map(|(attrs, _)| attrs)
    }

    /// As [`Store::load`], and whether sealed values were left out (what
    /// uses, copies or rewrites a whole object needs them).
    pub fn load_view(&self, id: u64, key: Option<&TokenKey>) -> Result<(Arc<Attributes>, bool)> {
        let key = self.check_key(key)?;
        // A hit is served from memory alone: keys are looked up on every
        // crypto call, and sled's read path takes locks and counters that
        // every thread shares.
        let writes_seen = {
            let cache = read(&self.cache);
            if let Some(c) = cache.entries.get(&id) {
                if key.is_some() || !c.needs_key {
                    return Ok((c.attrs.clone(), false));
                }
            }
            cache.writes
        };
        let raw = self
            .trees
            .objects
            .get(id.to_be_bytes())
            .map_err(|e| self.db_error(e))?
            .ok_or(Ckr::OBJECT_HANDLE_INVALID)?;
        let h = record::header(&raw).map_err(|_| self.object_failure(id))?;
        if h.private && key.is_none() {
            return Err(Ckr::USER_NOT_LOGGED_IN);
        }
        let d = record::decode(id, &raw, key, &self.ik).map_err(|_| self.object_failure(id))?;
        let attrs = Arc::new(d.attrs);
        // A view without the sealed values is not cached: it is cheap to
        // rebuild and must not be served to a caller holding the key.
        if key.is_some() || !d.sealed {
            let mut cache = write(&self.cache);
            // A write since the record was read has already dropped its
            // entry: caching now could bring the old object back.
            if cache.writes == writes_seen {
                let entry = Cached {
                    attrs: attrs.clone(),
                    needs_key: h.private || d.sealed,
                };
                cache.entries.insert(id, entry);
            }
        }
        Ok((attrs, key.is_none() && d.sealed))
    }

    /// Candidate ids for `template` (the caller applies
    /// [`Attributes::matches`]). Uses the index on CKA_ID, CKA_LABEL or
    /// CKA_CLASS when the template has one; private objects only with
    /// `key`. An index entry without its record is an integrity failure.
    pub fn find(&self, template: &Attributes, key: Option<&TokenKey>) -> Result<Vec<u64>> {
        let key = self.check_key(key)?;
        let (kind, value) = index::choose(template);
        // A template fixing CKA_PRIVATE rules out one scope: public-scope
        // objects have CKA_PRIVATE false, private-scope ones true or absent.
        let want = template.bool(CKA_PRIVATE).ok().flatten();
        let mut ids = vec![];
        if want != Some(true) {
            self.scan(false, kind, value, &self.ik.index, &mut ids)?;
        }
        if let (Some(k), false) = (key, want == Some(false)) {
            self.scan(true, kind, value, &k.index, &mut ids)?;
        }
        ids.sort_unstable();
        Ok(ids)
    }

    fn scan(
        &self,
        private: bool,
        kind: Kind,
        value: &[u8],
        index_key: &[u8; 32],
        out: &mut Vec<u64>,
    ) -> Result<()> {
        let t = &self.trees;
        for item in t
            .index
            .scan_prefix(index::prefix(private, kind, value, index_key))
        {
            let (k, _) = item.map_err(|e| self.db_error(e))?;
            let id = index::id_from_key(&k).ok_or_else(|| self.integrity_failure("the index"))?;
            let exists = |tree: &sled::Tree, key: &[u8]| {
                tree.contains_key(key).map_err(|e| self.db_error(e))
            };
            if !exists(&t.objects, &id.to_be_bytes())? {
                // Removal deletes record and entries atomically: if the
                // entry is still there, the record was lost.
                if exists(&t.index, &k)? {
                    return Err(self.object_failure(id));
                }
                continue;
            }
            out.push(id);
        }
        Ok(())
    }

    fn index_entries(
        &self,
        id: u64,
        attrs: &Attributes,
        private: bool,
        key: Option<&TokenKey>,
    ) -> Result<Vec<Vec<u8>>> {
        let index_key = match (private, key) {
            (false, _) => &self.ik.index,
            (true, Some(k)) => &k.index,
            (true, None) => return Err(Ckr::USER_NOT_LOGGED_IN),
        };
        Ok(index::entries(id, attrs, private, index_key))
    }

    /// The header and index keys of existing object `id` (meta locked).
    fn current(&self, id: u64) -> Result<(Header, Vec<Vec<u8>>)> {
        let t = &self.trees;
        let raw = t
            .objects
            .get(id.to_be_bytes())
            .map_err(|e| self.db_error(e))?
            .ok_or(Ckr::OBJECT_HANDLE_INVALID)?;
        let h = record::header(&raw).map_err(|_| self.object_failure(id))?;
        let keys = t
            .backrefs
            .get(id.to_be_bytes())
            .map_err(|e| self.db_error(e))?
            .and_then(|b| index::decode_backrefs(&b))
            .ok_or_else(|| self.object_failure(id))?;
        Ok((h, keys))
    }

    fn uncache(&self, id: u64) {
        write(&self.cache).written(id);
    }
}
