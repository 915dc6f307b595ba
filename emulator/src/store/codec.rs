//! The store's small binary encoding: little-endian integers and
//! length-prefixed byte strings, read back with bounds checks.
//!
//! A decoding error means the bytes on disk are not what we wrote; callers
//! turn it into an integrity failure.

/// Bytes that do not parse as the record we expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Malformed;

/// Appends fields to a byte vector.
#[derive(Default)]
pub(super) struct Writer(Vec<u8>);

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }

    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// Fixed-size bytes, no length prefix.
    pub fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.0.extend_from_slice(v);
        self
    }

    /// Variable-size bytes with a u32 length prefix.
    pub fn bytes(&mut self, v: &[u8]) -> std::result::Result<&mut Self, Malformed> {
        let len = u32::try_from(v.len()).map_err(|_| Malformed)?;
        Ok(self.u32(len).raw(v))
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }
}

/// Reads fields from a byte slice, failing on truncation.
pub(super) struct Reader<'a>(&'a [u8]);

type R<T> = std::result::Result<T, Malformed>;

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader(data)
    }

    pub fn raw(&mut self, n: usize) -> R<&'a [u8]> {
        if self.0.len() < n {
            return Err(Malformed);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    pub fn array<const N: usize>(&mut self) -> R<[u8; N]> {
        self.raw(N)?.try_into().map_err(|_| Malformed)
    }

    pub fn u8(&mut self) -> R<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub fn u32(&mut self) -> R<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> R<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub fn bytes(&mut self) -> R<&'a [u8]> {
        let len = usize::try_from(self.u32()?).map_err(|_| Malformed)?;
        self.raw(len)
    }

    /// A boolean encoded as 0 or 1; anything else is malformed.
    pub fn flag(&mut self) -> R<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Malformed),
        }
    }

    /// Succeeds only if every byte was consumed: trailing bytes are an
    /// edit, not padding.
    pub fn finish(&self) -> R<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Malformed)
        }
    }
}

/// Splits `data` into (body, 32-byte trailing tag).
pub(super) fn split_tag(data: &[u8]) -> R<(&[u8], [u8; 32])> {
    let at = data.len().checked_sub(32).ok_or(Malformed)?;
    let (body, tag) = data.split_at(at);
    Ok((body, tag.try_into().map_err(|_| Malformed)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_truncation() {
        let mut w = Writer::new();
        w.u8(1).u32(0xDEAD_BEEF).u64(7);
        w.bytes(b"abc").unwrap();
        let data = w.into_vec();
        let mut r = Reader::new(&data);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u32(), Ok(0xDEAD_BEEF));
        assert_eq!(r.u64(), Ok(7));
        assert_eq!(r.bytes(), Ok(&b"abc"[..]));
        assert_eq!(r.finish(), Ok(()));
        let mut short = Reader::new(&data[..data.len() - 1]);
        short.raw(13).unwrap();
        assert_eq!(short.bytes(), Err(Malformed));
        assert_eq!(Reader::new(&[2]).flag(), Err(Malformed));
        assert_eq!(split_tag(&[0; 31]), Err(Malformed));
    }
}
