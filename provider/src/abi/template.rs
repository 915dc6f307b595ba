//! CK_ATTRIBUTE arrays: templates read into [`Attributes`], and the
//! C_GetAttributeValue rules for filling a caller's template.

use super::convert::{bytes, len, read, ulong};
use crate::api::AttrRead;
use cryptoki_sys::{CK_ATTRIBUTE, CK_ATTRIBUTE_TYPE, CK_ULONG, CK_UNAVAILABLE_INFORMATION};
use qrc_emulator::attr::{canonical_type, TEMPLATE_ATTRIBUTES};
use qrc_emulator::{Attributes, Ckr, Result};
use std::mem::size_of;

/// The `count` attributes at `p`, copied out of caller memory. NULL with a
/// count is a bad argument; NULL without one is an empty template.
///
/// # Safety
/// A non-NULL `p` must point to `count` readable CK_ATTRIBUTEs whose non-NULL
/// `pValue`s are readable for `ulValueLen` bytes.
pub(super) unsafe fn template(p: *const CK_ATTRIBUTE, count: CK_ULONG) -> Result<Attributes> {
    // SAFETY: forwarded from this function's contract.
    unsafe { template_at_depth(p, count, true) }
}

/// [`template`], with or without nested templates allowed (they nest one
/// level deep: a template inside a template attribute is refused).
///
/// # Safety
/// As [`template`].
unsafe fn template_at_depth(
    p: *const CK_ATTRIBUTE,
    count: CK_ULONG,
    nested: bool,
) -> Result<Attributes> {
    let mut attrs = Attributes::new();
    // SAFETY: forwarded from this function's contract.
    for a in unsafe { entries(p, count)? } {
        let a = a?;
        let ty = canonical_type(a.type_);
        let value = if is_template(ty) {
            if !nested {
                return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
            }
            // SAFETY: a template attribute's value is an array of
            // CK_ATTRIBUTE, readable by this function's contract.
            let inner =
                unsafe { template_at_depth(a.pValue.cast(), nested_count(a.ulValueLen)?, false)? };
            inner.encode()
        } else {
            // SAFETY: readable by this function's contract.
            unsafe { bytes(a.pValue.cast::<u8>(), a.ulValueLen)? }.to_vec()
        };
        match attrs.get(ty) {
            Some(seen) if seen != value.as_slice() => return Err(Ckr::TEMPLATE_INCONSISTENT),
            Some(_) => {}
            None => attrs.set(ty, value),
        }
    }
    Ok(attrs)
}

fn is_template(ty: CK_ATTRIBUTE_TYPE) -> bool {
    TEMPLATE_ATTRIBUTES.contains(&ty)
}

/// The number of CK_ATTRIBUTEs a template attribute's ulValueLen holds.
fn nested_count(value_len: CK_ULONG) -> Result<CK_ULONG> {
    let size = ulong(size_of::<CK_ATTRIBUTE>());
    if !value_len.is_multiple_of(size) {
        return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
    }
    Ok(value_len / size)
}

/// The attribute types of a C_GetAttributeValue template, in order.
///
/// # Safety
/// A non-NULL `p` must point to `count` readable CK_ATTRIBUTEs.
pub(super) unsafe fn types(
    p: *const CK_ATTRIBUTE,
    count: CK_ULONG,
) -> Result<Vec<CK_ATTRIBUTE_TYPE>> {
    // SAFETY: forwarded from this function's contract.
    unsafe { entries(p, count)? }
        .map(|a| a.map(|a| canonical_type(a.type_)))
        .collect()
}

/// Iterate over the caller's template, each entry copied out.
///
/// # Safety
/// As [`types`], for as long as the iterator is used.
unsafe fn entries(
    p: *const CK_ATTRIBUTE,
    count: CK_ULONG,
) -> Result<impl Iterator<Item = Result<CK_ATTRIBUTE>>> {
    let n = len(count)?;
    if p.is_null() && n > 0 {
        return Err(Ckr::ARGUMENTS_BAD);
    }
    // SAFETY: i < count entries, readable by contract.
    Ok((0..n).map(move |i| unsafe { read(p.wrapping_add(i)) }))
}

/// Fill the caller's template with one api result per entry, per PKCS#11:
/// a per-attribute error or a short buffer sets ulValueLen to
/// CK_UNAVAILABLE_INFORMATION; a NULL pValue gets the length; otherwise the
/// value is copied. Every entry is processed; the result is the most
/// significant error met (SENSITIVE, then TYPE_INVALID, then
/// BUFFER_TOO_SMALL), or Ok.
///
/// # Safety
/// `p` must point to `results.len()` readable and writable CK_ATTRIBUTEs
/// whose non-NULL `pValue`s are writable for `ulValueLen` bytes.
pub(super) unsafe fn fill(p: *mut CK_ATTRIBUTE, results: &[AttrRead]) -> Result<()> {
    let mut worst: Option<Ckr> = None;
    for (i, result) in results.iter().enumerate() {
        let entry = p.wrapping_add(i);
        // SAFETY: i < results.len() entries, readable by contract.
        let a = unsafe { read(entry)? };
        let (written, error) = match result {
            Err(e) => (CK_UNAVAILABLE_INFORMATION, Some(*e)),
            // SAFETY: as this function's contract, for the nested array.
            Ok(v) if is_template(canonical_type(a.type_)) => unsafe { fill_nested(&a, v)? },
            Ok(v) if a.pValue.is_null() => (ulong(v.len()), None),
            Ok(v) if a.ulValueLen < ulong(v.len()) => {
                (CK_UNAVAILABLE_INFORMATION, Some(Ckr::BUFFER_TOO_SMALL))
            }
            Ok(v) => {
                // SAFETY: pValue is writable for ulValueLen >= v.len() bytes;
                // the source is our own memory, so the two cannot overlap.
                unsafe {
                    std::ptr::copy_nonoverlapping(v.as_ptr(), a.pValue.cast::<u8>(), v.len())
                };
                (ulong(v.len()), None)
            }
        };
        // SAFETY: writable by contract; written field by field through the
        // raw pointer, never through a reference, in case it is misaligned.
        unsafe { std::ptr::addr_of_mut!((*entry).ulValueLen).write_unaligned(written) };
        if let Some(e) = error {
            worst = Some(worst.map_or(e, |w| if rank(e) > rank(w) { e } else { w }));
        }
    }
    worst.map_or(Ok(()), Err)
}

/// A template attribute for C_GetAttributeValue: its value is the caller's
/// array of CK_ATTRIBUTE, filled entry by entry (type, then value by the
/// usual rules). Returns the outer ulValueLen and the entry's error.
///
/// # Safety
/// A non-NULL `a.pValue` must be an array of CK_ATTRIBUTE, writable for
/// `a.ulValueLen` bytes, whose non-NULL `pValue`s are writable for their
/// `ulValueLen`.
unsafe fn fill_nested(a: &CK_ATTRIBUTE, encoded: &[u8]) -> Result<(CK_ULONG, Option<Ckr>)> {
    let inner = Attributes::decode(encoded).map_err(|_| Ckr::GENERAL_ERROR)?;
    let needed = ulong(inner.len() * size_of::<CK_ATTRIBUTE>());
    if a.pValue.is_null() {
        return Ok((needed, None));
    }
    if a.ulValueLen < needed {
        return Ok((CK_UNAVAILABLE_INFORMATION, Some(Ckr::BUFFER_TOO_SMALL)));
    }
    let array = a.pValue.cast::<CK_ATTRIBUTE>();
    let mut error = None;
    for (i, (ty, value)) in inner.iter().enumerate() {
        let entry = array.wrapping_add(i);
        // SAFETY: i < inner.len() entries, within the caller's array.
        let e = unsafe { read(entry)? };
        let written = if e.pValue.is_null() {
            ulong(value.len())
        } else if e.ulValueLen < ulong(value.len()) {
            error = Some(Ckr::BUFFER_TOO_SMALL);
            CK_UNAVAILABLE_INFORMATION
        } else {
            // SAFETY: writable for ulValueLen >= value.len() bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(value.as_ptr(), e.pValue.cast::<u8>(), value.len())
            };
            ulong(value.len())
        };
        // SAFETY: writable by contract, field by field (maybe misaligned).
        unsafe {
            std::ptr::addr_of_mut!((*entry).type_).write_unaligned(ty);
            std::ptr::addr_of_mut!((*entry).ulValueLen).write_unaligned(written);
        }
    }
    Ok((needed, error))
}

/// Which per-attribute error C_GetAttributeValue reports when several occur.
/// Anything outside the contract (AttrRead errors are SENSITIVE or
/// TYPE_INVALID) ranks highest, so it is not hidden.
fn rank(e: Ckr) -> u8 {
    match e {
        Ckr::BUFFER_TOO_SMALL => 1,
        Ckr::ATTRIBUTE_TYPE_INVALID => 2,
        Ckr::ATTRIBUTE_SENSITIVE => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoki_sys::{
        CKA_CLASS, CKA_ENCAPSULATE_TEMPLATE, CKA_LABEL, CKA_TOKEN, CKA_UNWRAP_TEMPLATE, CKA_VALUE,
        CKA_WRAP_TEMPLATE, CKF_ARRAY_ATTRIBUTE, CKO_SECRET_KEY,
    };
    use std::ptr::{null, null_mut};
    use zeroize::Zeroizing;

    fn attr(type_: CK_ATTRIBUTE_TYPE, v: &[u8]) -> CK_ATTRIBUTE {
        CK_ATTRIBUTE {
            type_,
            pValue: v.as_ptr().cast_mut().cast(),
            ulValueLen: ulong(v.len()),
        }
    }

    fn read_template(t: &[CK_ATTRIBUTE]) -> Result<Attributes> {
        unsafe { template(t.as_ptr(), ulong(t.len())) }
    }

    #[test]
    fn reads_values_and_checks_pointers() {
        let t = [
            attr(CKA_LABEL, b"key"),
            attr(CKA_TOKEN, &[1]),
            attr(CKA_LABEL, b"key"),
        ];
        let a = read_template(&t);
        assert_eq!(a.as_ref().map(|a| a.len()), Ok(2));
        assert_eq!(
            a.as_ref().ok().and_then(|a| a.get(CKA_LABEL)),
            Some(&b"key"[..])
        );
        assert_eq!(unsafe { template(null(), 0) }, Ok(Attributes::new()));
        assert_eq!(unsafe { template(null(), 1) }, Err(Ckr::ARGUMENTS_BAD));
        let null_value = CK_ATTRIBUTE {
            type_: CKA_LABEL,
            pValue: null_mut(),
            ulValueLen: 3,
        };
        assert_eq!(read_template(&[null_value]), Err(Ckr::ARGUMENTS_BAD));
        let empty = CK_ATTRIBUTE {
            ulValueLen: 0,
            ..null_value
        };
        assert_eq!(
            read_template(&[empty]).map(|a| a.get(CKA_LABEL).map(<[u8]>::len)),
            Ok(Some(0))
        );
    }

    #[test]
    fn rejects_inconsistent_and_array_attributes() {
        let t = [attr(CKA_LABEL, b"a"), attr(CKA_LABEL, b"b")];
        assert_eq!(read_template(&t), Err(Ckr::TEMPLATE_INCONSISTENT));
    }

    #[test]
    fn nested_templates_read_and_fill() {
        let class = CKO_SECRET_KEY.to_ne_bytes();
        let inner = [attr(CKA_CLASS, &class), attr(CKA_LABEL, b"k")];
        let outer_value =
            unsafe { std::slice::from_raw_parts(inner.as_ptr().cast::<u8>(), size_of_val(&inner)) };
        let t = read_template(&[attr(CKA_WRAP_TEMPLATE, outer_value)]).unwrap();
        let nested = Attributes::decode(t.get(CKA_WRAP_TEMPLATE).unwrap()).unwrap();
        assert_eq!(nested.get(CKA_LABEL), Some(&b"k"[..]));
        assert_eq!(nested.ulong(CKA_CLASS), Ok(Some(CKO_SECRET_KEY)));
        // 3.2 errata form of CKA_ENCAPSULATE_TEMPLATE is the same attribute.
        let t = read_template(&[attr(
            CKA_ENCAPSULATE_TEMPLATE | CKF_ARRAY_ATTRIBUTE,
            outer_value,
        )])
        .unwrap();
        assert!(t.contains(CKA_ENCAPSULATE_TEMPLATE));
        // No template inside a template; no partial CK_ATTRIBUTE.
        let twice = [attr(CKA_WRAP_TEMPLATE, outer_value)];
        let twice_value =
            unsafe { std::slice::from_raw_parts(twice.as_ptr().cast::<u8>(), size_of_val(&twice)) };
        assert_eq!(
            read_template(&[attr(CKA_UNWRAP_TEMPLATE, twice_value)]),
            Err(Ckr::ATTRIBUTE_VALUE_INVALID)
        );
        assert_eq!(
            read_template(&[attr(CKA_WRAP_TEMPLATE, &outer_value[1..])]),
            Err(Ckr::ATTRIBUTE_VALUE_INVALID)
        );
        // C_GetAttributeValue: length query, then the caller's array filled.
        let encoded = Zeroizing::new(nested.encode());
        let mut query = [CK_ATTRIBUTE {
            type_: CKA_WRAP_TEMPLATE,
            pValue: null_mut(),
            ulValueLen: 0,
        }];
        unsafe { fill(query.as_mut_ptr(), &[Ok(encoded.clone())]) }.unwrap();
        assert_eq!(query[0].ulValueLen, ulong(2 * size_of::<CK_ATTRIBUTE>()));
        let (mut b0, mut b1) = ([0u8; 8], [0u8; 8]);
        let mut out = [
            CK_ATTRIBUTE {
                type_: 0,
                pValue: b0.as_mut_ptr().cast(),
                ulValueLen: 8,
            },
            CK_ATTRIBUTE {
                type_: 0,
                pValue: b1.as_mut_ptr().cast(),
                ulValueLen: 8,
            },
        ];
        let mut outer = [CK_ATTRIBUTE {
            type_: CKA_WRAP_TEMPLATE,
            pValue: out.as_mut_ptr().cast(),
            ulValueLen: query[0].ulValueLen,
        }];
        unsafe { fill(outer.as_mut_ptr(), &[Ok(encoded)]) }.unwrap();
        assert_eq!((out[0].type_, out[0].ulValueLen), (CKA_CLASS, 8));
        assert_eq!((out[1].type_, out[1].ulValueLen), (CKA_LABEL, 1));
        assert_eq!(b1[0], b'k');
    }

    #[test]
    fn types_in_order_with_duplicates() {
        let t = [
            attr(CKA_VALUE, &[]),
            attr(CKA_CLASS, &[]),
            attr(CKA_VALUE, &[]),
        ];
        assert_eq!(
            unsafe { types(t.as_ptr(), 3) },
            Ok(vec![CKA_VALUE, CKA_CLASS, CKA_VALUE])
        );
        assert_eq!(unsafe { types(null(), 2) }, Err(Ckr::ARGUMENTS_BAD));
    }

    #[test]
    fn fill_follows_get_attribute_value_rules() {
        let mut big = [0u8; 8];
        let mut small = [0u8; 2];
        let mut t = [
            CK_ATTRIBUTE {
                type_: CKA_LABEL,
                pValue: null_mut(),
                ulValueLen: 0,
            },
            CK_ATTRIBUTE {
                type_: CKA_LABEL,
                pValue: big.as_mut_ptr().cast(),
                ulValueLen: 8,
            },
            CK_ATTRIBUTE {
                type_: CKA_LABEL,
                pValue: small.as_mut_ptr().cast(),
                ulValueLen: 2,
            },
            CK_ATTRIBUTE {
                type_: CKA_VALUE,
                pValue: null_mut(),
                ulValueLen: 0,
            },
        ];
        let label = || Ok(Zeroizing::new(b"abc".to_vec()));
        let results = [label(), label(), label(), Err(Ckr::ATTRIBUTE_TYPE_INVALID)];
        let r = unsafe { fill(t.as_mut_ptr(), &results) };
        assert_eq!(r, Err(Ckr::ATTRIBUTE_TYPE_INVALID));
        let lens: Vec<CK_ULONG> = t.iter().map(|a| a.ulValueLen).collect();
        assert_eq!(
            lens,
            [3, 3, CK_UNAVAILABLE_INFORMATION, CK_UNAVAILABLE_INFORMATION]
        );
        assert_eq!(&big[..3], b"abc");
        assert_eq!(small, [0, 0]);
    }

    #[test]
    fn fill_error_precedence() {
        let mut t = [CK_ATTRIBUTE {
            type_: CKA_VALUE,
            pValue: null_mut(),
            ulValueLen: 0,
        }; 3];
        let results = [
            Err(Ckr::BUFFER_TOO_SMALL),
            Err(Ckr::ATTRIBUTE_SENSITIVE),
            Err(Ckr::ATTRIBUTE_TYPE_INVALID),
        ];
        assert_eq!(
            unsafe { fill(t.as_mut_ptr(), &results) },
            Err(Ckr::ATTRIBUTE_SENSITIVE)
        );
        assert_eq!(unsafe { fill(t.as_mut_ptr(), &[]) }, Ok(()));
    }
}
