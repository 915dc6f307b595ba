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
