//! C arguments ↔ Rust values: lengths, byte buffers, out-pointers, the
//! two-call length convention for byte outputs and for lists.
//!
//! Caller structs and arrays are read and written with unaligned accesses, so
//! a misaligned pointer from C is handled rather than undefined behaviour.

use crate::output::Output;
use cryptoki_sys::CK_ULONG;
use qrc_emulator::{Ckr, Result};
use std::ptr::NonNull;
use zeroize::Zeroizing;

/// A caller's length as a `usize`; a length no slice can have is a bad argument.
pub(super) fn len(n: CK_ULONG) -> Result<usize> {
    usize::try_from(n)
        .ok()
        .filter(|&n| isize::try_from(n).is_ok())
        .ok_or(Ckr::ARGUMENTS_BAD)
}

/// A Rust length as a `CK_ULONG` (lossless on every platform PKCS#11 runs on).
pub(super) fn ulong(n: usize) -> CK_ULONG {
    CK_ULONG::try_from(n).unwrap_or(CK_ULONG::MAX)
}

/// The caller's input bytes: NULL with a length is a bad argument, NULL
/// without one is empty.
///
/// # Safety
/// A non-NULL `p` must be valid for reads of `n` bytes for `'a`.
pub(super) unsafe fn bytes<'a>(p: *const u8, n: CK_ULONG) -> Result<&'a [u8]> {
    let n = len(n)?;
    match NonNull::new(p.cast_mut()) {
        None if n > 0 => Err(Ckr::ARGUMENTS_BAD),
        None => Ok(&[]),
        // SAFETY: non-NULL and, by the caller's contract, valid for `n` bytes.
        Some(p) => Ok(unsafe { std::slice::from_raw_parts(p.as_ptr(), n) }),
    }
}

/// The caller's output buffer, under the same NULL rules as [`bytes`].
///
/// # Safety
/// A non-NULL `p` must be valid for writes of `n` bytes for `'a` and not
/// aliased by any other live reference.
pub(super) unsafe fn bytes_mut<'a>(p: *mut u8, n: CK_ULONG) -> Result<&'a mut [u8]> {
    let n = len(n)?;
    match NonNull::new(p) {
        None if n > 0 => Err(Ckr::ARGUMENTS_BAD),
        None => Ok(&mut []),
        // SAFETY: non-NULL and, by the caller's contract, valid for `n` bytes.
        Some(p) => Ok(unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), n) }),
    }
}

/// Read a caller's struct; NULL is a bad argument.
///
/// # Safety
/// A non-NULL `p` must point to a readable `T`.
pub(super) unsafe fn read<T: Copy>(p: *const T) -> Result<T> {
    if p.is_null() {
        return Err(Ckr::ARGUMENTS_BAD);
    }
    // SAFETY: non-NULL and readable by the caller's contract.
    Ok(unsafe { p.read_unaligned() })
}

/// A checked, non-NULL place to write one result. Checking happens when the
/// pointer is taken, before the api call, so a NULL out-pointer never lets an
/// operation run whose result could not be returned.
pub(super) struct OutPtr<T>(NonNull<T>);

impl<T> OutPtr<T> {
    /// # Safety
    /// A non-NULL `p` must be valid for writes of one `T` for as long as the
    /// returned value lives.
    pub(super) unsafe fn new(p: *mut T) -> Result<Self> {
        NonNull::new(p).map(OutPtr).ok_or(Ckr::ARGUMENTS_BAD)
    }

    pub(super) fn set(self, v: T) {
        // SAFETY: checked non-NULL in `new`, writable by its contract.
        unsafe { self.0.as_ptr().write_unaligned(v) }
    }
}

/// Run `f` with the caller's output buffer (`out`, `*out_len`) as an
/// [`Output`], then apply the two-call convention: `*out_len` receives the
/// length on success and on CKR_BUFFER_TOO_SMALL, and is left alone otherwise.
/// NULL `out_len` is a bad argument; NULL `out` is a length query.
///
/// # Safety
/// `out_len`, if non-NULL, must be readable and writable; `out`, if non-NULL,
/// must be valid for writes of `*out_len` bytes.
pub(super) unsafe fn with_output(
    out: *mut u8,
    out_len: *mut CK_ULONG,
    f: impl FnOnce(&mut Output) -> Result<()>,
) -> Result<()> {
    // SAFETY: forwarded from this function's contract.
    let (mut output, len_ptr) = unsafe { output(out, out_len)? };
    let r = f(&mut output);
    if matches!(r, Ok(()) | Err(Ckr::BUFFER_TOO_SMALL)) {
        len_ptr.set(ulong(output.len));
    }
    r
}

/// Like [`with_output`], with the caller's input (`data`, `data_len`) as well.
/// C allows the output to overwrite the input (in-place encryption); when the
/// two ranges overlap, the input is copied first (into zeroizing memory: it
/// may be plaintext), because Rust must not hold `&[u8]` and `&mut [u8]` to
/// the same bytes.
///
/// # Safety
/// As [`bytes`] for the input and [`with_output`] for the output.
pub(super) unsafe fn with_input_output(
    data: *const u8,
    data_len: CK_ULONG,
    out: *mut u8,
    out_len: *mut CK_ULONG,
    f: impl FnOnce(&[u8], &mut Output) -> Result<()>,
) -> Result<()> {
    let n = len(data_len)?;
    // A length query's *out_len may be uninitialised: read it only for a buffer.
    let cap = if out.is_null() {
        0
    } else {
        // SAFETY: readable by this function's contract.
        len(unsafe { read(out_len)? })?
    };
    let copy = if overlaps(data, n, out, cap) {
        // SAFETY: by contract; the shared slice ends before the output exists.
        Some(Zeroizing::new(unsafe { bytes(data, data_len)? }.to_vec()))
    } else {
        None
    };
    let input = match &copy {
        Some(v) => v.as_slice(),
        // SAFETY: by contract, and disjoint from the output buffer.
        None => unsafe { bytes(data, data_len)? },
    };
    // SAFETY: forwarded from this function's contract.
    unsafe { with_output(out, out_len, |o| f(input, o)) }
}

/// The [`Output`] for (`out`, `out_len`) and the checked length pointer.
///
/// # Safety
/// As [`with_output`].
unsafe fn output<'a>(
    out: *mut u8,
    out_len: *mut CK_ULONG,
) -> Result<(Output<'a>, OutPtr<CK_ULONG>)> {
    // SAFETY: writable by the caller's contract.
    let len_ptr = unsafe { OutPtr::new(out_len)? };
    // A length query's *out_len may be uninitialised: read it only for a buffer.
    let output = if out.is_null() {
        Output::query()
    } else {
        // SAFETY: non-NULL; readable by contract, and `out` is valid for
        // that many bytes.
        Output::buffer(unsafe { bytes_mut(out, read(out_len)?)? })
    };
    Ok((output, len_ptr))
}

/// Whether two non-empty byte ranges share memory.
fn overlaps(a: *const u8, a_len: usize, b: *const u8, b_len: usize) -> bool {
    if a.is_null() || b.is_null() || a_len == 0 || b_len == 0 {
        return false;
    }
    let (a, b) = (a as usize, b as usize);
    a < b.saturating_add(b_len) && b < a.saturating_add(a_len)
}

/// A caller's list output (`p`, `*count`) under the two-call convention, with
/// `count` checked before the api call.
pub(super) struct ListOut<T> {
    items: *mut T,
    count: OutPtr<CK_ULONG>,
    capacity: CK_ULONG,
}

impl<T: Copy> ListOut<T> {
    /// # Safety
    /// `count`, if non-NULL, must be readable and writable; `items`, if
    /// non-NULL, must be valid for writes of `*count` elements.
    pub(super) unsafe fn new(items: *mut T, count: *mut CK_ULONG) -> Result<Self> {
        // SAFETY: writable by contract.
        let count_out = unsafe { OutPtr::new(count)? };
        // A count query's *count may be uninitialised: read it only for a list.
        let capacity = if items.is_null() {
            0
        } else {
            // SAFETY: readable by contract.
            unsafe { read(count)? }
        };
        Ok(ListOut {
            items,
            count: count_out,
            capacity,
        })
    }

    /// Deliver `list`: NULL `items` asks for the count; too small a capacity
    /// gets the count and CKR_BUFFER_TOO_SMALL; otherwise copy.
    pub(super) fn put(self, list: &[T]) -> Result<()> {
        let n = ulong(list.len());
        self.count.set(n);
        if self.items.is_null() {
            return Ok(());
        }
        if self.capacity < n {
            return Err(Ckr::BUFFER_TOO_SMALL);
        }
        for (i, item) in list.iter().enumerate() {
            // SAFETY: i < n <= capacity elements, writable by contract.
            unsafe { self.items.add(i).write_unaligned(*item) }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::null_mut;

    #[test]
    fn bytes_null_rules() {
        unsafe {
            assert_eq!(bytes(std::ptr::null(), 0), Ok(&[][..]));
            assert_eq!(bytes(std::ptr::null(), 1), Err(Ckr::ARGUMENTS_BAD));
            assert!(bytes_mut(null_mut(), 0).is_ok_and(|b| b.is_empty()));
            assert!(matches!(bytes_mut(null_mut(), 2), Err(Ckr::ARGUMENTS_BAD)));
            let data = [1u8, 2, 3];
            assert_eq!(bytes(data.as_ptr(), 2), Ok(&data[..2]));
        }
    }

    #[test]
    fn output_convention() {
        let put = |o: &mut Output| o.put(b"abcd").map(|_| ());
        unsafe {
            assert_eq!(
                with_output(null_mut(), null_mut(), put),
                Err(Ckr::ARGUMENTS_BAD)
            );
            // Length query.
            let mut n: CK_ULONG = 0;
            assert_eq!(with_output(null_mut(), &mut n, put), Ok(()));
            assert_eq!(n, 4);
            // Too small: the needed length comes back.
            let mut buf = [0u8; 8];
            let mut n: CK_ULONG = 3;
            assert_eq!(
                with_output(buf.as_mut_ptr(), &mut n, put),
                Err(Ckr::BUFFER_TOO_SMALL)
            );
            assert_eq!(n, 4);
            // Fits.
            let mut n: CK_ULONG = 8;
            assert_eq!(with_output(buf.as_mut_ptr(), &mut n, put), Ok(()));
            assert_eq!((n, &buf[..4]), (4, &b"abcd"[..]));
            // Any other error leaves the length alone.
            let mut n: CK_ULONG = 8;
            let fail = |_: &mut Output| Err(Ckr::DATA_LEN_RANGE);
            assert_eq!(
                with_output(buf.as_mut_ptr(), &mut n, fail),
                Err(Ckr::DATA_LEN_RANGE)
            );
            assert_eq!(n, 8);
        }
    }

    #[test]
    fn in_place_input_is_copied() {
        // Reverse a buffer in place: the output overwrites the input.
        let mut buf = *b"12345678";
        let mut n: CK_ULONG = 8;
        let p = buf.as_mut_ptr();
        let r = unsafe {
            with_input_output(p, 8, p, &mut n, |d, o| {
                let rev: Vec<u8> = d.iter().rev().copied().collect();
                o.put(&rev).map(|_| ())
            })
        };
        assert_eq!(r, Ok(()));
        assert_eq!(&buf, b"87654321");
        assert!(overlaps(p, 8, p.wrapping_add(7), 1));
        assert!(!overlaps(p, 4, p.wrapping_add(4), 4));
    }

    #[test]
    fn input_checked_before_output() {
        let mut n: CK_ULONG = 0;
        let r =
            unsafe { with_input_output(std::ptr::null(), 4, null_mut(), &mut n, |_, _| Ok(())) };
        assert_eq!(r, Err(Ckr::ARGUMENTS_BAD));
        let r =
            unsafe { with_input_output(b"ab".as_ptr(), 2, null_mut(), null_mut(), |_, _| Ok(())) };
        assert_eq!(r, Err(Ckr::ARGUMENTS_BAD));
    }

    #[test]
    fn list_convention() {
        let list = [7 as CK_ULONG, 8, 9];
        unsafe {
            assert!(ListOut::<CK_ULONG>::new(null_mut(), null_mut()).is_err());
            let mut n: CK_ULONG = 0;
            assert_eq!(
                ListOut::new(null_mut(), &mut n).and_then(|l| l.put(&list)),
                Ok(())
            );
            assert_eq!(n, 3);
            let mut out = [0 as CK_ULONG; 3];
            let mut n: CK_ULONG = 2;
            let r = ListOut::new(out.as_mut_ptr(), &mut n).and_then(|l| l.put(&list));
            assert_eq!((r, n, out), (Err(Ckr::BUFFER_TOO_SMALL), 3, [0; 3]));
            let mut n: CK_ULONG = 3;
            let r = ListOut::new(out.as_mut_ptr(), &mut n).and_then(|l| l.put(&list));
            assert_eq!((r, n, out), (Ok(()), 3, list));
        }
    }
}
