//! Variable-length outputs and the two-call length convention.

use qrc_emulator::{Ckr, Result};

/// Where a call's variable-length output goes: the caller's buffer, or nowhere
/// when the caller passed a NULL pointer to ask for the length.
///
/// After any call, `len` holds the value the ABI layer writes back to the
/// caller's length pointer: the bytes written, or the bytes needed.
pub struct Output<'a> {
    buf: Option<&'a mut [u8]>,
    /// The length written back to the caller (see above).
    pub len: usize,
}

impl<'a> Output<'a> {
    /// A length query (NULL output pointer).
    pub fn query() -> Self {
        Output { buf: None, len: 0 }
    }

    /// The caller's buffer.
    pub fn buffer(buf: &'a mut [u8]) -> Self {
        Output {
            buf: Some(buf),
            len: 0,
        }
    }

    /// Whether the caller asked only for the length (NULL buffer).
    pub fn is_query(&self) -> bool {
        self.buf.is_none()
    }

    /// The caller's buffer size (0 for a length query).
    pub fn room(&self) -> usize {
        self.buf.as_ref().map_or(0, |b| b.len())
    }

    /// Deliver `data`. Returns `Ok(true)` when copied, `Ok(false)` for a
    /// length query, and `CKR_BUFFER_TOO_SMALL` when the buffer is short; in
    /// every case `len` becomes `data.len()`.
    pub fn put(&mut self, data: &[u8]) -> Result<bool> {
        self.len = data.len();
        match self.buf.as_deref_mut() {
            None => Ok(false),
            Some(b) if b.len() < data.len() => Err(Ckr::BUFFER_TOO_SMALL),
            Some(b) => {
                b[..data.len()].copy_from_slice(data);
                Ok(true)
            }
        }
    }
}
