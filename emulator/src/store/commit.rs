//! Commits: every change to the store goes through [`Store::commit`], which
//! applies it atomically across the trees together with the next state
//! record, flushes, and then advances the anchor.

use super::meta::{State, TokenRecord, KEY_STATE, KEY_TOKEN};
use super::{index, write, Meta, Store};
use crate::error::Result;
use sled::transaction::ConflictableTransactionError;
use sled::Transactional;
use std::sync::Arc;

/// Changes applied atomically by one commit.
#[derive(Default)]
pub(super) struct Plan {
    pub objects: Vec<(u64, Option<Vec<u8>>)>,
    pub index_remove: Vec<Vec<u8>>,
    pub index_insert: Vec<Vec<u8>>,
    pub backrefs: Vec<(u64, Option<Vec<u8>>)>,
    pub token: Option<TokenRecord>,
}

impl Store {
    /// Applies `plan` and the next generation of `state` atomically, makes
    /// it durable, then records it in the anchor. `m` is the locked meta.
    pub(super) fn commit(&self, m: &mut Meta, mut state: State, plan: Plan) -> Result<()> {
        state.gen += 1;
        let token_raw = plan.token.as_ref().map(|t| t.encode(&self.ik));
        if let Some((_, tag)) = &token_raw {
            state.token_tag = *tag;
        }
        let (state_raw, state_tag) = state.encode(&self.ik);
        let t = &self.trees;
        (&t.meta, &t.objects, &t.index, &t.backrefs)
            .transaction(|(mt, ot, it, bt)| {
                for k in &plan.index_remove {
                    it.remove(k.as_slice())?;
                }
                for k in &plan.index_insert {
                    it.insert(k.as_slice(), &[][..])?;
                }
                for (id, v) in &plan.objects {
                    match v {
                        Some(b) => ot.insert(&id.to_be_bytes()[..], b.as_slice())?,
                        None => ot.remove(&id.to_be_bytes()[..])?,
                    };
                }
                for (id, v) in &plan.backrefs {
                    match v {
                        Some(b) => bt.insert(&id.to_be_bytes()[..], b.as_slice())?,
                        None => bt.remove(&id.to_be_bytes()[..])?,
                    };
                }
                if let Some((raw, _)) = &token_raw {
                    mt.insert(KEY_TOKEN, raw.as_slice())?;
                }
                mt.insert(KEY_STATE, state_raw.as_slice())?;
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(|e| self.db_error(format!("{e:?}")))?;
        // sled now serves the new state, so our copy follows it even if the
        // flush below fails.
        m.state = state;
        if let Some(t) = plan.token {
            *write(&self.published) = Arc::new(t.clone());
            m.token = t;
        }
        self.db.flush().map_err(|e| self.db_error(e))?;
        self.anchor
            .write(&self.ik, state.gen, &state_tag)
            .map_err(|e| self.db_error(format!("anchor: {e}")))
    }

    /// Commits a change of the token record alone.
    pub(super) fn update_token(&self, f: impl FnOnce(&mut TokenRecord)) -> Result<()> {
        let mut m = self.meta();
        let mut token = m.token.clone();
        f(&mut token);
        let state = m.state;
        self.commit(
            &mut m,
            state,
            Plan {
                token: Some(token),
                ..Plan::default()
            },
        )
    }

    /// Removes every object and index entry and installs `token`, in one
    /// commit (a crash leaves either the old token or the new empty one).
    pub(super) fn wipe(&self, token: TokenRecord) -> Result<()> {
        let mut m = self.meta();
        let mut plan = Plan::default();
        let ids = |tree: &sled::Tree| -> Result<Vec<u64>> {
            tree.iter()
                .keys()
                .map(|k| {
                    let k = k.map_err(|e| self.db_error(e))?;
                    index::id_from_key(&k).ok_or_else(|| self.integrity_failure("the object list"))
                })
                .collect()
        };
        plan.objects = ids(&self.trees.objects)?
            .into_iter()
            .map(|id| (id, None))
            .collect();
        plan.backrefs = ids(&self.trees.backrefs)?
            .into_iter()
            .map(|id| (id, None))
            .collect();
        for k in self.trees.index.iter().keys() {
            plan.index_remove
                .push(k.map_err(|e| self.db_error(e))?.to_vec());
        }
        plan.token = Some(token);
        let state = State {
            count: 0,
            set_digest: [0; 32],
            ..m.state
        };
        let done = self.commit(&mut m, state, plan);
        let mut cache = write(&self.cache);
        cache.writes += 1;
        cache.entries.clear();
        done
    }
}
