//! Attribute sets: the one representation of a PKCS#11 object or template.
//!
//! Values are kept in their C encoding (CK_BBOOL is one byte, CK_ULONG is a
//! native-endian `CK_ULONG`), so they cross the C boundary unchanged. Every
//! value lives in zeroizing memory: an attribute set may hold key material.

use crate::error::{Ckr, Result};
use cryptoki_sys::*;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// One attribute value, wiped from memory when dropped.
pub type Value = Zeroizing<Vec<u8>>;

/// An ordered map from attribute type to value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Attributes(BTreeMap<CK_ATTRIBUTE_TYPE, Value>);

impl std::fmt::Debug for Attributes {
    // Never print values: they may be secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.keys().map(|t| format!("0x{t:X}")))
            .finish()
    }
}

impl Attributes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ty: CK_ATTRIBUTE_TYPE) -> bool {
        self.0.contains_key(&ty)
    }

    pub fn get(&self, ty: CK_ATTRIBUTE_TYPE) -> Option<&[u8]> {
        self.0.get(&ty).map(|v| v.as_slice())
    }

    pub fn set(&mut self, ty: CK_ATTRIBUTE_TYPE, value: impl Into<Vec<u8>>) {
        self.0.insert(ty, Zeroizing::new(value.into()));
    }

    pub fn remove(&mut self, ty: CK_ATTRIBUTE_TYPE) -> Option<Value> {
        self.0.remove(&ty)
    }

    pub fn iter(&self) -> impl Iterator<Item = (CK_ATTRIBUTE_TYPE, &[u8])> {
        self.0.iter().map(|(t, v)| (*t, v.as_slice()))
    }

    pub fn types(&self) -> impl Iterator<Item = CK_ATTRIBUTE_TYPE> + '_ {
        self.0.keys().copied()
    }

    /// A CK_BBOOL attribute; a value that is not one byte is invalid.
    pub fn bool(&self, ty: CK_ATTRIBUTE_TYPE) -> Result<Option<bool>> {
        match self.get(ty) {
            None => Ok(None),
            Some([b]) => Ok(Some(*b != CK_FALSE)),
            Some(_) => Err(Ckr::ATTRIBUTE_VALUE_INVALID),
        }
    }

    /// A CK_BBOOL attribute with a default when absent.
    pub fn bool_or(&self, ty: CK_ATTRIBUTE_TYPE, default: bool) -> Result<bool> {
        Ok(self.bool(ty)?.unwrap_or(default))
    }

    /// A CK_ULONG attribute; a value of the wrong length is invalid.
    pub fn ulong(&self, ty: CK_ATTRIBUTE_TYPE) -> Result<Option<CK_ULONG>> {
        match self.get(ty) {
            None => Ok(None),
            Some(v) => v
                .try_into()
                .map(|b| Some(CK_ULONG::from_ne_bytes(b)))
                .map_err(|_| Ckr::ATTRIBUTE_VALUE_INVALID),
        }
    }

    pub fn set_bool(&mut self, ty: CK_ATTRIBUTE_TYPE, v: bool) {
        self.set(ty, vec![if v { CK_TRUE } else { CK_FALSE }]);
    }

    pub fn set_ulong(&mut self, ty: CK_ATTRIBUTE_TYPE, v: CK_ULONG) {
        self.set(ty, v.to_ne_bytes().to_vec());
    }

    /// Copy every attribute of `other` into `self`, replacing existing values.
    pub fn merge(&mut self, other: &Attributes) {
        for (t, v) in &other.0 {
            self.0.insert(*t, v.clone());
        }
    }

    /// True when every attribute of `template` is present here with the same
    /// value (the C_FindObjects rule).
    pub fn matches(&self, template: &Attributes) -> bool {
        template.0.iter().all(|(t, v)| self.0.get(t) == Some(v))
    }
}

/// The attributes whose value is itself a template (an array of
/// CK_ATTRIBUTE in C): CKA_WRAP_TEMPLATE and its kin.
pub const TEMPLATE_ATTRIBUTES: &[CK_ATTRIBUTE_TYPE] = &[
    CKA_WRAP_TEMPLATE,
    CKA_UNWRAP_TEMPLATE,
    CKA_DERIVE_TEMPLATE,
    CKA_ENCAPSULATE_TEMPLATE,
    CKA_DECAPSULATE_TEMPLATE,
];

/// The one type under which a template attribute is kept. A PKCS#11 3.2
/// errata makes CKA_ENCAPSULATE_TEMPLATE / CKA_DECAPSULATE_TEMPLATE array
/// attributes (0x4000062A / 0x4000062B) while clients still send 0x62A /
/// 0x62B: both name the same attribute.
pub fn canonical_type(ty: CK_ATTRIBUTE_TYPE) -> CK_ATTRIBUTE_TYPE {
    match ty {
        t if t == CKA_ENCAPSULATE_TEMPLATE | CKF_ARRAY_ATTRIBUTE => CKA_ENCAPSULATE_TEMPLATE,
        t if t == CKA_DECAPSULATE_TEMPLATE | CKF_ARRAY_ATTRIBUTE => CKA_DECAPSULATE_TEMPLATE,
        t => t,
    }
}

impl Attributes {
    /// Encode as one attribute value (a nested template): for each
    /// attribute its type and length as u64 little-endian, then the value.
    pub fn encode(&self) -> Vec<u8> {
        // Sized once, so that values (which may be secret) are never left
        // behind in a block freed by growth.
        const HEADER: usize = std::mem::size_of::<CK_ATTRIBUTE_TYPE>() + std::mem::size_of::<u64>();
        let len = self.iter().map(|(_, v)| HEADER + v.len()).sum();
        let mut out = Vec::with_capacity(len);
        for (ty, value) in self.iter() {
            out.extend_from_slice(&ty.to_le_bytes());
            out.extend_from_slice(&(value.len() as u64).to_le_bytes());
            out.extend_from_slice(value);
        }
        out
    }

    /// Decode what [`Attributes::encode`] produced; anything else is
    /// CKR_ATTRIBUTE_VALUE_INVALID.
    pub fn decode(mut bytes: &[u8]) -> Result<Attributes> {
        let mut attrs = Attributes::new();
        let word = |b: &mut &[u8]| -> Result<u64> {
            let (head, rest) = b
                .split_first_chunk::<8>()
                .ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)?;
            *b = rest;
            Ok(u64::from_le_bytes(*head))
        };
        while !bytes.is_empty() {
            let ty: CK_ATTRIBUTE_TYPE = word(&mut bytes)?;
            let len =
                usize::try_from(word(&mut bytes)?).map_err(|_| Ckr::ATTRIBUTE_VALUE_INVALID)?;
            if len > bytes.len() {
                return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
            }
            let (value, rest) = bytes.split_at(len);
            attrs.set(ty, value.to_vec());
            bytes = rest;
        }
        Ok(attrs)
    }
}

impl FromIterator<(CK_ATTRIBUTE_TYPE, Vec<u8>)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (CK_ATTRIBUTE_TYPE, Vec<u8>)>>(iter: I) -> Self {
        Attributes(
            iter.into_iter()
                .map(|(t, v)| (t, Zeroizing::new(v)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_accessors_reject_bad_lengths() {
        let mut a = Attributes::new();
        a.set(CKA_TOKEN, vec![1, 0]);
        assert_eq!(a.bool(CKA_TOKEN), Err(Ckr::ATTRIBUTE_VALUE_INVALID));
        a.set_bool(CKA_TOKEN, true);
        assert_eq!(a.bool(CKA_TOKEN), Ok(Some(true)));
        a.set(CKA_CLASS, vec![1, 2, 3]);
        assert_eq!(a.ulong(CKA_CLASS), Err(Ckr::ATTRIBUTE_VALUE_INVALID));
        a.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
        assert_eq!(a.ulong(CKA_CLASS), Ok(Some(CKO_SECRET_KEY)));
    }

    #[test]
    fn nested_templates_round_trip() {
        let mut t = Attributes::new();
        t.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
        t.set(CKA_LABEL, b"".to_vec());
        t.set(CKA_VALUE, vec![7; 100]);
        let bytes = t.encode();
        assert_eq!(bytes.capacity(), bytes.len(), "grown, not sized once");
        assert_eq!(Attributes::decode(&bytes), Ok(t));
        assert_eq!(
            Attributes::decode(&bytes[..bytes.len() - 1]),
            Err(Ckr::ATTRIBUTE_VALUE_INVALID)
        );
        assert_eq!(
            canonical_type(CKA_ENCAPSULATE_TEMPLATE | CKF_ARRAY_ATTRIBUTE),
            CKA_ENCAPSULATE_TEMPLATE
        );
    }

    #[test]
    fn matches_requires_equal_values() {
        let mut obj = Attributes::new();
        obj.set(CKA_LABEL, b"k".to_vec());
        obj.set_bool(CKA_TOKEN, true);
        let mut t = Attributes::new();
        t.set(CKA_LABEL, b"k".to_vec());
        assert!(obj.matches(&t));
        t.set_bool(CKA_TOKEN, false);
        assert!(!obj.matches(&t));
    }
}
