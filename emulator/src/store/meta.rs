//! Records of the meta tree: the format version, the integrity key, the
//! token record (label, PIN wraps, failure counters) and the state record
//! (generation, object count, object-set digest).
//!
//! Token and state records carry an HMAC under the integrity key (see
//! [`super::keys`] for what that protects against). The state record is
//! rewritten by every commit; together with the anchor file it lets `open`
//! notice lost or rolled-back data.

use super::codec::{split_tag, Malformed, Reader, Writer};
use super::keys::{hmac, hmac_verify, IntegrityKeys};
use super::pin::{KdfParams, Who};

pub(super) const KEY_FORMAT: &[u8] = b"format";
pub(super) const KEY_INTEGRITY: &[u8] = b"integrity-key";
pub(super) const KEY_TOKEN: &[u8] = b"token";
pub(super) const KEY_STATE: &[u8] = b"state";

const TOKEN_VERSION: u8 = 1;
const STATE_VERSION: u8 = 1;

type R<T> = std::result::Result<T, Malformed>;

fn tag(ik: &IntegrityKeys, name: &[u8], body: &[u8]) -> [u8; 32] {
    hmac(ik.meta_mac.as_ref(), &[name, &[0], body])
}

/// Splits a tagged meta record and checks its tag.
fn verified<'a>(ik: &IntegrityKeys, name: &[u8], raw: &'a [u8]) -> R<(&'a [u8], [u8; 32])> {
    let (body, t) = split_tag(raw)?;
    if !hmac_verify(ik.meta_mac.as_ref(), &[name, &[0], body], &t) {
        return Err(Malformed);
    }
    Ok((body, t))
}

fn finish(ik: &IntegrityKeys, name: &[u8], mut w: Writer) -> (Vec<u8>, [u8; 32]) {
    let t = tag(ik, name, w.as_slice());
    w.raw(&t);
    (w.into_vec(), t)
}

/// The token key encrypted under a PIN-derived KEK.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Wrap {
    pub params: KdfParams,
    pub salt: [u8; 16],
    /// nonce ‖ AES-256-GCM ciphertext of the token key ‖ tag.
    pub sealed: Vec<u8>,
}

/// Label, PIN wraps and failure counters. Arrays are indexed by
/// [`Who::index`].
#[derive(Clone)]
pub(super) struct TokenRecord {
    pub initialized: bool,
    pub label: [u8; 32],
    /// Fingerprint of the current token key (zero before `init_token`).
    pub key_check: [u8; 32],
    pub failures: [u32; 2],
    pub wraps: [Option<Wrap>; 2],
}

impl TokenRecord {
    /// The record of a token on which `init_token` has not run yet.
    pub fn blank() -> TokenRecord {
        TokenRecord {
            initialized: false,
            label: [b' '; 32],
            key_check: [0; 32],
            failures: [0; 2],
            wraps: [None, None],
        }
    }

    pub fn wrap(&self, who: Who) -> Option<&Wrap> {
        self.wraps[who.index()].as_ref()
    }

    pub fn encode(&self, ik: &IntegrityKeys) -> (Vec<u8>, [u8; 32]) {
        let mut w = Writer::new();
        w.u8(TOKEN_VERSION)
            .u8(self.initialized.into())
            .raw(&self.label)
            .raw(&self.key_check)
            .u32(self.failures[0])
            .u32(self.failures[1]);
        for wrap in &self.wraps {
            match wrap {
                None => {
                    w.u8(0);
                }
                Some(x) => {
                    w.u8(1)
                        .u32(x.params.memory_kib)
                        .u32(x.params.iterations)
                        .u32(x.params.parallelism)
                        .raw(&x.salt);
                    // A wrap is 60 bytes: the length always fits.
                    let _ = w.bytes(&x.sealed);
                }
            }
        }
        finish(ik, KEY_TOKEN, w)
    }

    pub fn decode(ik: &IntegrityKeys, raw: &[u8]) -> R<(TokenRecord, [u8; 32])> {
        let (body, t) = verified(ik, KEY_TOKEN, raw)?;
        let mut r = Reader::new(body);
        if r.u8()? != TOKEN_VERSION {
            return Err(Malformed);
        }
        let initialized = r.flag()?;
        let label = r.array()?;
        let key_check = r.array()?;
        let failures = [r.u32()?, r.u32()?];
        let mut wraps = [None, None];
        for slot in &mut wraps {
            if r.flag()? {
                *slot = Some(Wrap {
                    params: KdfParams {
                        memory_kib: r.u32()?,
                        iterations: r.u32()?,
                        parallelism: r.u32()?,
                    },
                    salt: r.array()?,
                    sealed: r.bytes()?.to_vec(),
                });
            }
        }
        r.finish()?;
        let rec = TokenRecord {
            initialized,
            label,
            key_check,
            failures,
            wraps,
        };
        Ok((rec, t))
    }
}

/// What every commit updates: a generation number, the id counter, and a
/// digest of the set of object records so a silently dropped record is
/// noticed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct State {
    pub gen: u64,
    /// The id the next inserted object gets; ids are never reused.
    pub next_id: u64,
    pub count: u64,
    /// XOR of [`set_element`] over all object records.
    pub set_digest: [u8; 32],
    /// Tag of the current token record, binding it to this state.
    pub token_tag: [u8; 32],
}

impl State {
    pub fn encode(&self, ik: &IntegrityKeys) -> (Vec<u8>, [u8; 32]) {
        let mut w = Writer::new();
        w.u8(STATE_VERSION)
            .u64(self.gen)
            .u64(self.next_id)
            .u64(self.count)
            .raw(&self.set_digest)
            .raw(&self.token_tag);
        finish(ik, KEY_STATE, w)
    }

    pub fn decode(ik: &IntegrityKeys, raw: &[u8]) -> R<(State, [u8; 32])> {
        let (body, t) = verified(ik, KEY_STATE, raw)?;
        let mut r = Reader::new(body);
        if r.u8()? != STATE_VERSION {
            return Err(Malformed);
        }
        let s = State {
            gen: r.u64()?,
            next_id: r.u64()?,
            count: r.u64()?,
            set_digest: r.array()?,
            token_tag: r.array()?,
        };
        r.finish()?;
        Ok((s, t))
    }

    /// Accounts for a record entering (or, applied twice, leaving) the set.
    pub fn toggle(&mut self, ik: &IntegrityKeys, id: u64, record_tag: &[u8; 32]) {
        let e = set_element(ik, id, record_tag);
        for (d, x) in self.set_digest.iter_mut().zip(e) {
            *d ^= x;
        }
    }
}

/// One object record's contribution to the set digest.
pub(super) fn set_element(ik: &IntegrityKeys, id: u64, record_tag: &[u8; 32]) -> [u8; 32] {
    hmac(ik.object_set.as_ref(), &[&id.to_le_bytes(), record_tag])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_record_roundtrip_and_tamper() {
        let ik = IntegrityKeys::derive(&[1; 32]);
        let mut rec = TokenRecord::blank();
        rec.failures = [2, 3];
        rec.wraps[1] = Some(Wrap {
            params: KdfParams::default(),
            salt: [9; 16],
            sealed: vec![5; 60],
        });
        let (raw, t) = rec.encode(&ik);
        let (back, t2) = TokenRecord::decode(&ik, &raw).unwrap();
        assert_eq!(t, t2);
        assert_eq!(back.failures, [2, 3]);
        assert!(back.wraps[0].is_none());
        assert!(back.wraps[1] == rec.wraps[1]);
        let mut bad = raw.clone();
        bad[40] ^= 1;
        assert!(TokenRecord::decode(&ik, &bad).is_err());
        // A state record's tag does not validate a token record.
        let s = State {
            gen: 1,
            next_id: 1,
            count: 0,
            set_digest: [0; 32],
            token_tag: t,
        };
        let (sraw, _) = s.encode(&ik);
        assert_eq!(State::decode(&ik, &sraw).unwrap().0, s);
        assert!(TokenRecord::decode(&ik, &sraw).is_err());
    }

    #[test]
    fn toggle_twice_is_identity() {
        let ik = IntegrityKeys::derive(&[1; 32]);
        let mut s = State {
            gen: 1,
            next_id: 1,
            count: 0,
            set_digest: [0; 32],
            token_tag: [0; 32],
        };
        s.toggle(&ik, 4, &[7; 32]);
        assert_ne!(s.set_digest, [0; 32]);
        s.toggle(&ik, 4, &[7; 32]);
        assert_eq!(s.set_digest, [0; 32]);
    }
}
