//! The anchor: a small file outside sled remembering the newest committed
//! generation, so that `open` notices when sled comes back older than it
//! was.
//!
//! Why: sled 0.34 checks a CRC on every log message, and on recovery it
//! stops at the first bad one and discards it *and everything logged
//! after it*, then opens without error. A single flipped byte thus rolls
//! the database back to a consistent older prefix, meta records included,
//! so no record inside sled can notice. The anchor, written after each
//! durable commit, can.
//!
//! Layout: two 80-byte slots at offsets 0 and 4096 (separate blocks, so a
//! torn write damages at most one); generation `g` goes to slot `g % 2`.
//! A slot is `"QRCA" | u32 format | u64 generation | [32] state tag |
//! [32] HMAC` under the integrity key's anchor subkey. Generation 0 is a
//! placeholder written before a new store's first commit; it carries no
//! MAC because the integrity key does not exist yet.

use super::codec::Reader;
use super::keys::{hmac, hmac_verify, IntegrityKeys};
use super::FORMAT_VERSION;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

const MAGIC: &[u8; 4] = b"QRCA";
const SLOT_LEN: usize = 80;
const SLOT_SPACING: u64 = 4096;
const BODY_LEN: usize = 48;

/// What the anchor file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    /// Never written: a store that was never created here.
    Nothing,
    /// Only the placeholder: creation did not get as far as a commit.
    Placeholder,
    /// Some slot names a committed generation. Its tag is only known to
    /// be genuine when the caller checked it with [`Anchor::latest`].
    Committed,
    /// Bytes that are no valid slot at all.
    Garbage,
}

/// The open anchor file.
pub(super) struct Anchor {
    file: File,
}

impl Anchor {
    pub fn open(dir: &Path) -> io::Result<Anchor> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(dir.join("anchor"))?;
        Ok(Anchor { file })
    }

    fn slot(&self, i: u64) -> io::Result<Option<[u8; SLOT_LEN]>> {
        let mut buf = [0u8; SLOT_LEN];
        match self.file.read_exact_at(&mut buf, i * SLOT_SPACING) {
            Ok(()) => Ok(Some(buf)),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Parses a slot's clear fields: (generation, state tag).
    fn fields(buf: &[u8; SLOT_LEN]) -> Option<(u64, [u8; 32])> {
        let mut r = Reader::new(buf);
        if r.raw(4).ok()? != MAGIC || r.u32().ok()? != FORMAT_VERSION {
            return None;
        }
        Some((r.u64().ok()?, r.array().ok()?))
    }

    /// Classifies the file without the integrity key.
    pub fn seen(&self) -> io::Result<Seen> {
        if self.file.metadata()?.len() == 0 {
            return Ok(Seen::Nothing);
        }
        let slots = [self.slot(0)?, self.slot(1)?];
        let parsed = |s: &Option<[u8; SLOT_LEN]>| s.as_ref().and_then(Self::fields);
        if slots.iter().any(|s| parsed(s).is_some_and(|(g, _)| g > 0)) {
            return Ok(Seen::Committed);
        }
        // Generation 1, the first commit, goes to slot 1: without it, only
        // the placeholder was ever written (perhaps torn by a crash).
        if slots[1].is_none() || parsed(&slots[0]).is_some() {
            return Ok(Seen::Placeholder);
        }
        Ok(Seen::Garbage)
    }

    /// The newest authenticated (generation, state tag); `Some((0, _))`
    /// for a placeholder alone, `None` when no slot is valid.
    pub fn latest(&self, ik: &IntegrityKeys) -> io::Result<Option<(u64, [u8; 32])>> {
        let mut best: Option<(u64, [u8; 32])> = None;
        for i in 0..2 {
            let Some(buf) = self.slot(i)? else { continue };
            let Some((gen, tag)) = Self::fields(&buf) else {
                continue;
            };
            let genuine =
                gen == 0 || hmac_verify(ik.anchor.as_ref(), &[&buf[..BODY_LEN]], &buf[BODY_LEN..]);
            let newer = match best {
                Some((b, _)) => gen > b,
                None => true,
            };
            if genuine && newer {
                best = Some((gen, tag));
            }
        }
        Ok(best)
    }

    fn write_slot(&self, gen: u64, buf: &[u8; SLOT_LEN]) -> io::Result<()> {
        self.file.write_all_at(buf, (gen % 2) * SLOT_SPACING)?;
        self.file.sync_data()
    }

    fn body(gen: u64, state_tag: &[u8; 32]) -> [u8; SLOT_LEN] {
        let mut buf = [0u8; SLOT_LEN];
        buf[..4].copy_from_slice(MAGIC);
        buf[4..8].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        buf[8..16].copy_from_slice(&gen.to_le_bytes());
        buf[16..BODY_LEN].copy_from_slice(state_tag);
        buf
    }

    /// Marks the directory as holding a store being created.
    pub fn write_placeholder(&self) -> io::Result<()> {
        self.write_slot(0, &Self::body(0, &[0; 32]))
    }

    /// Records that generation `gen` with this state tag is durable.
    pub fn write(&self, ik: &IntegrityKeys, gen: u64, state_tag: &[u8; 32]) -> io::Result<()> {
        let mut buf = Self::body(gen, state_tag);
        let mac = hmac(ik.anchor.as_ref(), &[&buf[..BODY_LEN]]);
        buf[BODY_LEN..].copy_from_slice(&mac);
        self.write_slot(gen, &buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_genuine_slot_wins() {
        let dir = tempfile::tempdir().unwrap();
        let a = Anchor::open(dir.path()).unwrap();
        let ik = IntegrityKeys::derive(&[4; 32]);
        assert_eq!(a.seen().unwrap(), Seen::Nothing);
        // A torn placeholder is still a placeholder.
        a.file.write_all_at(b"QR", 0).unwrap();
        assert_eq!(a.seen().unwrap(), Seen::Placeholder);
        a.write_placeholder().unwrap();
        assert_eq!(a.seen().unwrap(), Seen::Placeholder);
        assert_eq!(a.latest(&ik).unwrap(), Some((0, [0; 32])));
        a.write(&ik, 1, &[1; 32]).unwrap();
        a.write(&ik, 2, &[2; 32]).unwrap();
        a.write(&ik, 3, &[3; 32]).unwrap();
        assert_eq!(a.seen().unwrap(), Seen::Committed);
        assert_eq!(a.latest(&ik).unwrap(), Some((3, [3; 32])));
        // A slot under another key (or edited) is ignored.
        let other = IntegrityKeys::derive(&[5; 32]);
        assert_eq!(a.latest(&other).unwrap(), None);
        a.file.write_all_at(&[0xFF], SLOT_SPACING + 20).unwrap();
        assert_eq!(a.latest(&ik).unwrap(), Some((2, [2; 32])));
        a.file.write_all_at(&[0xFF; 8], 8).unwrap();
        a.file.write_all_at(&[0xFF; 8], SLOT_SPACING + 8).unwrap();
        assert_eq!(a.latest(&ik).unwrap(), None);
        assert_eq!(a.seen().unwrap(), Seen::Committed);
        a.file.write_all_at(b"XXXX", 0).unwrap();
        a.file.write_all_at(b"XXXX", SLOT_SPACING).unwrap();
        assert_eq!(a.seen().unwrap(), Seen::Garbage);
    }
}
