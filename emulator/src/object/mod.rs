//! Objects: building them from templates, changing, copying and reading them,
//! all by the rules declared in [`schema`].

pub mod schema;

use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::{registry, rng};
use crate::vendor::{CKK_FALCON, CKK_QRC_COMP_KEM, CKK_QRC_COMP_SIG};
use cryptoki_sys::*;
use schema::{Kind, Rule};
use zeroize::Zeroizing;

/// How an object comes into being; decides the bookkeeping attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// C_CreateObject: the caller supplies the value.
    Create,
    /// C_GenerateKey / C_GenerateKeyPair with this mechanism.
    Generate(CK_MECHANISM_TYPE),
    /// C_UnwrapKey / C_DeriveKey / C_DecapsulateKey: the token supplies the
    /// value, which has been outside the token (not ALWAYS_SENSITIVE).
    Import,
}

/// The rule tables that apply to one object: storage rules, then class rules,
/// then the rules of its certificate or key type.
pub struct Schema {
    tables: [&'static [Rule]; 5],
}

impl Schema {
    /// The schema for an object or template, from its CKA_CLASS and
    /// CKA_KEY_TYPE / CKA_CERTIFICATE_TYPE.
    pub fn of(attrs: &Attributes) -> Result<Schema> {
        use schema::*;
        let class = attrs.ulong(CKA_CLASS)?.ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
        let tables = match class {
            CKO_DATA => [STORAGE, DATA, &[], &[], &[]],
            CKO_CERTIFICATE => {
                match attrs
                    .ulong(CKA_CERTIFICATE_TYPE)?
                    .ok_or(Ckr::TEMPLATE_INCOMPLETE)?
                {
                    CKC_X_509 => [STORAGE, CERTIFICATE, X509, &[], &[]],
                    _ => return Err(Ckr::ATTRIBUTE_VALUE_INVALID),
                }
            }
            CKO_SECRET_KEY | CKO_PUBLIC_KEY | CKO_PRIVATE_KEY => {
                let key_type = attrs.ulong(CKA_KEY_TYPE)?.ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
                let none: &[Rule] = &[];
                let (class_rules, type_rules, extra): (&[Rule], &[Rule], &[Rule]) =
                    match (class, key_type) {
                        (CKO_SECRET_KEY, kt) if symmetric_len_ok(kt, 0).is_some() => {
                            (SECRET_KEY, SYMMETRIC_VALUE, none)
                        }
                        (CKO_PUBLIC_KEY, CKK_RSA) => (PUBLIC_KEY, RSA_PUBLIC, none),
                        (CKO_PRIVATE_KEY, CKK_RSA) => (PRIVATE_KEY, RSA_PRIVATE, none),
                        (CKO_PUBLIC_KEY, CKK_EC | CKK_EC_EDWARDS | CKK_EC_MONTGOMERY) => {
                            (PUBLIC_KEY, EC_PUBLIC, none)
                        }
                        (CKO_PRIVATE_KEY, CKK_EC | CKK_EC_EDWARDS | CKK_EC_MONTGOMERY) => {
                            (PRIVATE_KEY, EC_PRIVATE, none)
                        }
                        (CKO_PUBLIC_KEY, CKK_ML_KEM | CKK_ML_DSA | CKK_SLH_DSA) => {
                            (PUBLIC_KEY, PQC_PUBLIC, none)
                        }
                        (CKO_PRIVATE_KEY, CKK_ML_KEM | CKK_ML_DSA) => {
                            (PRIVATE_KEY, PQC_PRIVATE_SEEDED, none)
                        }
                        (CKO_PRIVATE_KEY, CKK_SLH_DSA) => (PRIVATE_KEY, PQC_PRIVATE, none),
                        (CKO_PUBLIC_KEY, CKK_QRC_COMP_KEM | CKK_QRC_COMP_SIG) => {
                            (PUBLIC_KEY, PQC_PUBLIC, none)
                        }
                        (CKO_PRIVATE_KEY, CKK_QRC_COMP_KEM | CKK_QRC_COMP_SIG) => {
                            (PRIVATE_KEY, PQC_PRIVATE, none)
                        }
                        (CKO_PUBLIC_KEY, CKK_FALCON) => (PUBLIC_KEY, PQC_PUBLIC, FALCON_KEY_PARAMS),
                        (CKO_PRIVATE_KEY, CKK_FALCON) => {
                            (PRIVATE_KEY, PQC_PRIVATE, FALCON_KEY_PARAMS)
                        }
                        _ => return Err(Ckr::ATTRIBUTE_VALUE_INVALID),
                    };
                [STORAGE, KEY, class_rules, type_rules, extra]
            }
            _ => return Err(Ckr::ATTRIBUTE_VALUE_INVALID),
        };
        Ok(Schema { tables })
    }

    /// The rule for `ty`; the most specific table wins (CKA_VALUE of an X.509
    /// certificate is required, of a data object is not).
    pub fn rule(&self, ty: CK_ATTRIBUTE_TYPE) -> Option<&'static Rule> {
        self.tables
            .iter()
            .rev()
            .flat_map(|t| t.iter())
            .find(|r| r.ty == ty)
    }

    fn rules(&self) -> impl Iterator<Item = &'static Rule> + '_ {
        self.tables.iter().flat_map(|t| t.iter())
    }
}

/// Whether an object holds secret key material (secret and private keys).
pub fn holds_secret(obj: &Attributes) -> bool {
    matches!(
        obj.ulong(CKA_CLASS),
        Ok(Some(CKO_SECRET_KEY | CKO_PRIVATE_KEY))
    )
}

/// Build a complete object from a caller's template and what the token or
/// mechanism supplies, applying the schema: unknown attributes, token-set
/// attributes, badly encoded values and missing required ones are refused;
/// defaults and bookkeeping are filled in.
pub fn build(template: &Attributes, origin: Origin, supplied: &Attributes) -> Result<Attributes> {
    let mut obj = template.clone();
    for (ty, value) in supplied.iter() {
        match template.get(ty) {
            Some(given) if given != value => return Err(Ckr::TEMPLATE_INCONSISTENT),
            _ => obj.set(ty, value.to_vec()),
        }
    }
    let schema = Schema::of(&obj)?;
    for (ty, value) in template.iter() {
        let rule = schema.rule(ty).ok_or(Ckr::ATTRIBUTE_TYPE_INVALID)?;
        if rule.flags & schema::TOKEN_SET != 0 {
            return Err(Ckr::ATTRIBUTE_READ_ONLY);
        }
        if origin != Origin::Create && rule.flags & schema::GENERATED != 0 {
            return Err(Ckr::TEMPLATE_INCONSISTENT);
        }
        check_encoding(rule, value)?;
    }
    for rule in schema.rules() {
        if obj.contains(rule.ty) {
            continue;
        }
        match rule.fill {
            _ if rule.flags & schema::REQUIRED != 0 => return Err(Ckr::TEMPLATE_INCOMPLETE),
            schema::Fill::Absent => {}
            schema::Fill::False => obj.set_bool(rule.ty, false),
            schema::Fill::True => obj.set_bool(rule.ty, true),
            schema::Fill::Empty => obj.set(rule.ty, Vec::new()),
            schema::Fill::Zero => obj.set_ulong(rule.ty, 0),
        }
    }
    if !obj.contains(CKA_PRIVATE) {
        obj.set_bool(CKA_PRIVATE, holds_secret(&obj));
    }
    obj.set(CKA_UNIQUE_ID, unique_id()?);
    if !matches!(origin, Origin::Generate(_)) {
        complete_imported_key(&mut obj)?;
    }
    fill_key_bookkeeping(&mut obj, origin)?;
    Ok(obj)
}

/// Keys that come from outside pass their family's checks (FIPS 203 input
/// checks, seed/value agreement, …) and get what can be derived from them.
fn complete_imported_key(obj: &mut Attributes) -> Result<()> {
    let (Some(class), Some(key_type)) = (obj.ulong(CKA_CLASS)?, obj.ulong(CKA_KEY_TYPE)?) else {
        return Ok(());
    };
    let Some(family) = registry().family(key_type)? else {
        return Ok(());
    };
    match class {
        CKO_PRIVATE_KEY => family.complete_private(obj),
        CKO_PUBLIC_KEY => family.complete_public(obj),
        _ => Ok(()),
    }
}

fn fill_key_bookkeeping(obj: &mut Attributes, origin: Origin) -> Result<()> {
    let Some(key_type) = obj.ulong(CKA_KEY_TYPE)? else {
        return Ok(());
    };
    let (local, mechanism) = match origin {
        Origin::Generate(m) => (true, m),
        _ => (false, CK_UNAVAILABLE_INFORMATION),
    };
    obj.set_bool(CKA_LOCAL, local);
    obj.set_ulong(CKA_KEY_GEN_MECHANISM, mechanism);
    if holds_secret(obj) {
        let sensitive = obj.bool_or(CKA_SENSITIVE, false)?;
        let extractable = obj.bool_or(CKA_EXTRACTABLE, true)?;
        obj.set_bool(CKA_ALWAYS_SENSITIVE, local && sensitive);
        obj.set_bool(CKA_NEVER_EXTRACTABLE, local && !extractable);
    }
    let value_len = obj.get(CKA_VALUE).map(<[u8]>::len);
    if let (Some(len), Some(ok)) = (
        value_len,
        value_len.and_then(|l| schema::symmetric_len_ok(key_type, l)),
    ) {
        if !ok {
            return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
        }
        // The caller gives CKA_VALUE or (to a generating or unwrapping
        // mechanism) CKA_VALUE_LEN, never both (spec notes 2 and 3).
        match obj.ulong(CKA_VALUE_LEN)? {
            Some(_) if origin == Origin::Create => return Err(Ckr::TEMPLATE_INCONSISTENT),
            Some(given) if given as usize != len => return Err(Ckr::TEMPLATE_INCONSISTENT),
            _ => obj.set_ulong(CKA_VALUE_LEN, len as CK_ULONG),
        }
    }
    Ok(())
}

fn check_encoding(rule: &Rule, value: &[u8]) -> Result<()> {
    let ok = match rule.kind {
        Kind::Bool => value.len() == 1,
        Kind::Ulong => value.len() == std::mem::size_of::<CK_ULONG>(),
        Kind::Date => {
            value.is_empty() || (value.len() == 8 && value.iter().all(u8::is_ascii_digit))
        }
        Kind::Bytes => true,
        Kind::Template => Attributes::decode(value).is_ok(),
        Kind::UlongArray => value.len().is_multiple_of(std::mem::size_of::<CK_ULONG>()),
    };
    if ok {
        Ok(())
    } else {
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    }
}

/// Why an object's attributes are being changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// C_SetAttributeValue.
    Set,
    /// C_CopyObject: CKA_TOKEN and CKA_PRIVATE may also change.
    Copy,
}

/// Apply `changes` to `obj` under the schema's modifiability rules and return
/// the changed object.
pub fn change(obj: &Attributes, changes: &Attributes, how: Change) -> Result<Attributes> {
    let schema = Schema::of(obj)?;
    match how {
        Change::Set if !obj.bool_or(CKA_MODIFIABLE, true)? => return Err(Ckr::ACTION_PROHIBITED),
        Change::Copy if !obj.bool_or(CKA_COPYABLE, true)? => return Err(Ckr::ACTION_PROHIBITED),
        _ => {}
    }
    let mut out = obj.clone();
    for (ty, value) in changes.iter() {
        let rule = schema.rule(ty).ok_or(Ckr::ATTRIBUTE_TYPE_INVALID)?;
        check_encoding(rule, value)?;
        if obj.get(ty) == Some(value) {
            continue;
        }
        let copy_only =
            how == Change::Copy && matches!(ty, CKA_TOKEN | CKA_PRIVATE | CKA_MODIFIABLE);
        if rule.flags & schema::MODIFIABLE == 0 && !copy_only {
            return Err(Ckr::ATTRIBUTE_READ_ONLY);
        }
        if rule.flags & (schema::ONLY_TO_TRUE | schema::ONLY_TO_FALSE) != 0 {
            let now = obj.bool(ty)?;
            let new = value.first().map(|b| *b != CK_FALSE);
            let one_way_broken =
                (rule.flags & schema::ONLY_TO_TRUE != 0 && now == Some(true) && new == Some(false))
                    || (rule.flags & schema::ONLY_TO_FALSE != 0
                        && now == Some(false)
                        && new == Some(true));
            if one_way_broken {
                return Err(Ckr::ATTRIBUTE_READ_ONLY);
            }
        }
        out.set(ty, value.to_vec());
    }
    if how == Change::Copy {
        out.set(CKA_UNIQUE_ID, unique_id()?);
    }
    Ok(out)
}

/// Read one attribute for C_GetAttributeValue: CKR_ATTRIBUTE_TYPE_INVALID for
/// attributes the object does not have, CKR_ATTRIBUTE_SENSITIVE for secret
/// values of sensitive or unextractable keys.
pub fn read(obj: &Attributes, ty: CK_ATTRIBUTE_TYPE) -> Result<Value> {
    let Some(value) = obj.get(ty) else {
        // An object stored before its schema gained an empty-by-default
        // attribute (CKA_ALLOWED_MECHANISMS) has that default.
        let empty = Schema::of(obj)?
            .rule(ty)
            .is_some_and(|r| r.fill == schema::Fill::Empty);
        return if empty {
            Ok(Zeroizing::new(Vec::new()))
        } else {
            Err(Ckr::ATTRIBUTE_TYPE_INVALID)
        };
    };
    if is_hidden(obj, ty)? {
        return Err(Ckr::ATTRIBUTE_SENSITIVE);
    }
    Ok(Zeroizing::new(value.to_vec()))
}

/// Whether `ty` is secret material that this object must not reveal.
pub fn is_hidden(obj: &Attributes, ty: CK_ATTRIBUTE_TYPE) -> Result<bool> {
    Ok(is_secret(obj, ty)?
        && (obj.bool_or(CKA_SENSITIVE, true)? || !obj.bool_or(CKA_EXTRACTABLE, false)?))
}

/// Whether `ty` is secret material on this object (CKA_VALUE of a key,
/// private components, CKA_SEED), hidden or not.
pub fn is_secret(obj: &Attributes, ty: CK_ATTRIBUTE_TYPE) -> Result<bool> {
    Ok(Schema::of(obj)?
        .rule(ty)
        .is_some_and(|r| r.flags & schema::SENSITIVE != 0))
}

/// Whether `obj` matches a C_FindObjects template. A template that names a
/// value the object hides (CKA_VALUE of a sensitive key, …) never matches:
/// otherwise repeated searches would recover that value a guess at a time.
pub fn matches_template(obj: &Attributes, template: &Attributes) -> Result<bool> {
    for (ty, _) in template.iter() {
        if is_hidden(obj, ty)? {
            return Ok(false);
        }
    }
    Ok(obj.matches(template))
}

/// A key's template attribute (CKA_UNWRAP_TEMPLATE, CKA_ENCAPSULATE_TEMPLATE,
/// …) applied to a caller's template for a key made with it: the key's
/// template comes first, and the caller may add to it but not contradict it.
pub fn with_key_template(
    key: &Attributes,
    which: CK_ATTRIBUTE_TYPE,
    template: &Attributes,
) -> Result<Attributes> {
    let Some(encoded) = key.get(which) else {
        return Ok(template.clone());
    };
    let mut merged = Attributes::decode(encoded)?;
    for (ty, value) in template.iter() {
        match merged.get(ty) {
            Some(required) if required != value => return Err(Ckr::TEMPLATE_INCONSISTENT),
            _ => merged.set(ty, value.to_vec()),
        }
    }
    Ok(merged)
}

/// C_GetObjectSize: the bytes of all attribute values.
pub fn size(obj: &Attributes) -> usize {
    obj.iter().map(|(_, v)| v.len()).sum()
}

/// A fresh CKA_UNIQUE_ID: 16 random bytes as 32 lowercase hex digits.
/// Every new object pays for this, so no string formatting.
fn unique_id() -> Result<Vec<u8>> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut raw = [0u8; 16];
    rng::fill(&mut raw)?;
    Ok(raw
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]])
        .collect())
}

#[cfg(test)]
mod tests;
