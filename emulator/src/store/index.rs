//! The find index and its back-references.
//!
//! An index key is `scope | kind | digest | id` (big-endian id), with
//! digest = HMAC(index key, kind ‖ value): the integrity key's index subkey
//! for public objects, the token key's for private ones, so private labels
//! and IDs are not on disk in clear and a private entry cannot be found
//! without logging in. Fixed-size digests keep prefix scans exact. Kind
//! `All` has no digest and lists every object of its scope.
//!
//! Entries are hints: `find` returns candidates and the caller matches the
//! authenticated records. `backrefs` maps an id to its index keys so an
//! object can be removed without the key that made its private entries.

use super::codec::{Reader, Writer};
use super::keys::hmac;
use crate::attr::Attributes;
use cryptoki_sys::*;

const SCOPE_PUBLIC: u8 = 0;
const SCOPE_PRIVATE: u8 = 1;

/// What an index entry is keyed on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    All,
    Class,
    Id,
    Label,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::All => b'A',
            Kind::Class => b'C',
            Kind::Id => b'I',
            Kind::Label => b'L',
        }
    }

    fn attribute(self) -> Option<CK_ATTRIBUTE_TYPE> {
        match self {
            Kind::All => None,
            Kind::Class => Some(CKA_CLASS),
            Kind::Id => Some(CKA_ID),
            Kind::Label => Some(CKA_LABEL),
        }
    }
}

/// The attribute kinds that get index entries.
const INDEXED: [Kind; 3] = [Kind::Class, Kind::Id, Kind::Label];

/// The most selective indexed attribute in `template`, with its value.
pub(super) fn choose(template: &Attributes) -> (Kind, &[u8]) {
    for kind in [Kind::Id, Kind::Label, Kind::Class] {
        if let Some(v) = kind.attribute().and_then(|t| template.get(t)) {
            return (kind, v);
        }
    }
    (Kind::All, &[])
}

/// The scan prefix for `kind = value` in one scope.
pub(super) fn prefix(private: bool, kind: Kind, value: &[u8], index_key: &[u8; 32]) -> Vec<u8> {
    let mut p = vec![
        if private { SCOPE_PRIVATE } else { SCOPE_PUBLIC },
        kind.byte(),
    ];
    if kind != Kind::All {
        p.extend_from_slice(&hmac(index_key, &[&[kind.byte()], value]));
    }
    p
}

/// Every index key of object `id`.
pub(super) fn entries(
    id: u64,
    attrs: &Attributes,
    private: bool,
    index_key: &[u8; 32],
) -> Vec<Vec<u8>> {
    let mut out = vec![];
    for kind in [Kind::All].into_iter().chain(INDEXED) {
        let value = match kind.attribute() {
            None => &[][..],
            Some(t) => match attrs.get(t) {
                Some(v) => v,
                None => continue,
            },
        };
        let mut k = prefix(private, kind, value, index_key);
        k.extend_from_slice(&id.to_be_bytes());
        out.push(k);
    }
    out
}

/// The id at the end of an index key, or of an `objects`/`backrefs` key.
pub(super) fn id_from_key(key: &[u8]) -> Option<u64> {
    let at = key.len().checked_sub(8)?;
    Some(u64::from_be_bytes(key[at..].try_into().ok()?))
}

/// Encodes a back-reference list.
pub(super) fn encode_backrefs(keys: &[Vec<u8>]) -> Vec<u8> {
    let mut w = Writer::new();
    for k in keys {
        // Index keys are at most 42 bytes: the length always fits.
        let _ = w.bytes(k);
    }
    w.into_vec()
}

/// Decodes a back-reference list; `None` if malformed.
pub(super) fn decode_backrefs(raw: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut r = Reader::new(raw);
    let mut out = vec![];
    while r.finish().is_err() {
        out.push(r.bytes().ok()?.to_vec());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_follow_scope_and_value() {
        let mut a = Attributes::new();
        a.set(CKA_LABEL, b"my key".to_vec());
        a.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
        let k = [1u8; 32];
        let e = entries(7, &a, true, &k);
        assert_eq!(e.len(), 3);
        let label_prefix = prefix(true, Kind::Label, b"my key", &k);
        assert!(e.iter().any(|x| x.starts_with(&label_prefix)));
        assert!(!e
            .iter()
            .any(|x| x.starts_with(&prefix(false, Kind::Label, b"my key", &k))));
        assert!(!e.iter().any(|x| x.windows(6).any(|w| w == b"my key")));
        assert!(e.iter().all(|x| id_from_key(x) == Some(7)));
        assert_eq!(decode_backrefs(&encode_backrefs(&e)), Some(e));
        assert_eq!(decode_backrefs(&[5, 0, 0, 0, 1]), None);
        let mut t = Attributes::new();
        t.set(CKA_LABEL, b"x".to_vec());
        t.set(CKA_ID, b"y".to_vec());
        assert_eq!(choose(&t), (Kind::Id, &b"y"[..]));
    }
}
