//! Attribute templates for post-quantum keys and KEM secrets, and nested
//! template attributes (CKA_ENCAPSULATE_TEMPLATE …).

use super::ParamSet;
use crate::raw::raw_attr;
use cryptoki::object::Attribute;
use cryptoki_sys::*;

/// A CK_ULONG attribute of any type, as raw bytes.
pub fn ulong_attr(ty: CK_ATTRIBUTE_TYPE, v: CK_ULONG) -> Attribute {
    raw_attr(ty, &v.to_ne_bytes())
}

/// A CK_BBOOL attribute of any type, as raw bytes.
pub fn bool_attr(ty: CK_ATTRIBUTE_TYPE, v: bool) -> Attribute {
    raw_attr(ty, &[v as u8])
}

/// Session private key of `set` from CKA_VALUE and/or CKA_SEED:
/// non-sensitive and extractable so tests can read it back, usage allowed.
pub fn private_template(
    set: &ParamSet,
    value: Option<&[u8]>,
    seed: Option<&[u8]>,
) -> Vec<Attribute> {
    let mut t = vec![
        ulong_attr(CKA_CLASS, CKO_PRIVATE_KEY),
        ulong_attr(CKA_KEY_TYPE, set.family.key_type()),
        ulong_attr(CKA_PARAMETER_SET, set.ckp),
        bool_attr(CKA_TOKEN, false),
        bool_attr(CKA_SENSITIVE, false),
        bool_attr(CKA_EXTRACTABLE, true),
        bool_attr(set.family.private_usage(), true),
    ];
    if let Some(v) = value {
        t.push(raw_attr(CKA_VALUE, v));
    }
    if let Some(s) = seed {
        t.push(raw_attr(CKA_SEED, s));
    }
    t
}

/// Session public key of `set` holding `value`, usage allowed.
pub fn public_template(set: &ParamSet, value: &[u8]) -> Vec<Attribute> {
    vec![
        ulong_attr(CKA_CLASS, CKO_PUBLIC_KEY),
        ulong_attr(CKA_KEY_TYPE, set.family.key_type()),
        ulong_attr(CKA_PARAMETER_SET, set.ckp),
        bool_attr(CKA_TOKEN, false),
        bool_attr(set.family.public_usage(), true),
        raw_attr(CKA_VALUE, value),
    ]
}

/// Key-pair templates for `set`: session keys, the parameter set in the
/// public template only, the private key non-sensitive and extractable.
pub fn pair_templates(set: &ParamSet) -> (Vec<Attribute>, Vec<Attribute>) {
    (
        vec![
            bool_attr(CKA_TOKEN, false),
            ulong_attr(CKA_PARAMETER_SET, set.ckp),
            bool_attr(set.family.public_usage(), true),
        ],
        vec![
            bool_attr(CKA_TOKEN, false),
            bool_attr(CKA_SENSITIVE, false),
            bool_attr(CKA_EXTRACTABLE, true),
            bool_attr(set.family.private_usage(), true),
        ],
    )
}

/// A generic secret template for KEM outputs: session, readable.
pub fn secret_template() -> Vec<Attribute> {
    vec![
        ulong_attr(CKA_CLASS, CKO_SECRET_KEY),
        ulong_attr(CKA_KEY_TYPE, CKK_GENERIC_SECRET),
        bool_attr(CKA_TOKEN, false),
        bool_attr(CKA_SENSITIVE, false),
        bool_attr(CKA_EXTRACTABLE, true),
    ]
}

/// A template attribute (CKA_ENCAPSULATE_TEMPLATE and the like): an array
/// of `CK_ATTRIBUTE` whose pointers lead into attributes this value owns.
pub struct NestedTemplate {
    _inner: Vec<Attribute>,
    raw: Vec<CK_ATTRIBUTE>,
}

impl NestedTemplate {
    /// The nested template `inner`.
    pub fn new(inner: Vec<Attribute>) -> Self {
        let raw = inner.iter().map(CK_ATTRIBUTE::from).collect();
        NestedTemplate { _inner: inner, raw }
    }

    /// The attribute of type `ty` (for example 0x62A or 0x4000062A) whose
    /// value is this template. Valid while `self` lives.
    pub fn attribute(&self, ty: CK_ATTRIBUTE_TYPE) -> Attribute {
        let bytes = std::mem::size_of_val(self.raw.as_slice());
        // SAFETY: reading the plain-old-data array as the bytes it is.
        let view = unsafe { std::slice::from_raw_parts(self.raw.as_ptr() as *const u8, bytes) };
        raw_attr(ty, view)
    }
}
