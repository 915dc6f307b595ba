//! What the symmetric families share: reading a secret key out of its object,
//! reading CKA_VALUE_LEN out of a key-generation template, buffers that hold
//! secret data without leaving copies behind, and single-part use of a cipher.

use super::Cipher;
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use cryptoki_sys::*;
use std::ops::RangeInclusive;

/// The CKA_VALUE of a secret key whose CKA_KEY_TYPE is one of `types` and
/// whose length lies in `sizes`.
pub(crate) fn secret_key<'a>(
    key: &'a Attributes,
    types: &[CK_KEY_TYPE],
    sizes: RangeInclusive<usize>,
) -> Result<&'a [u8]> {
    let class = key
        .ulong(CKA_CLASS)
        .map_err(|_| Ckr::KEY_TYPE_INCONSISTENT)?;
    let key_type = key
        .ulong(CKA_KEY_TYPE)
        .map_err(|_| Ckr::KEY_TYPE_INCONSISTENT)?;
    if class.is_some_and(|c| c != CKO_SECRET_KEY) || !key_type.is_some_and(|t| types.contains(&t)) {
        return Err(Ckr::KEY_TYPE_INCONSISTENT);
    }
    // A secret key object without a value is a corrupt object, not a caller error.
    let value = key.get(CKA_VALUE).ok_or(Ckr::GENERAL_ERROR)?;
    if !sizes.contains(&value.len()) {
        return Err(Ckr::KEY_SIZE_RANGE);
    }
    Ok(value)
}

/// CKA_VALUE_LEN of a key-generation template: required, and within `sizes`.
pub(crate) fn value_len(template: &Attributes, sizes: RangeInclusive<usize>) -> Result<usize> {
    let len = template
        .ulong(CKA_VALUE_LEN)?
        .ok_or(Ckr::TEMPLATE_INCOMPLETE)?;
    usize::try_from(len)
        .ok()
        .filter(|n| sizes.contains(n))
        .ok_or(Ckr::ATTRIBUTE_VALUE_INVALID)
}

/// A template may name the key type; if it does, it must be the mechanism's.
pub(crate) fn check_template_key_type(template: &Attributes, ty: CK_KEY_TYPE) -> Result<()> {
    match template.ulong(CKA_KEY_TYPE)? {
        Some(t) if t != ty => Err(Ckr::TEMPLATE_INCONSISTENT),
        _ => Ok(()),
    }
}

/// The attributes a secret-key generation mechanism supplies: `len` random
/// bytes as CKA_VALUE, with CKA_KEY_TYPE and CKA_VALUE_LEN.
pub(crate) fn random_key(key_type: CK_KEY_TYPE, len: usize) -> Result<Attributes> {
    let mut value = Value::new(vec![0u8; len]);
    super::rng::fill(&mut value)?;
    let mut out = Attributes::new();
    out.set_ulong(CKA_KEY_TYPE, key_type);
    // Moved, not copied: the attribute set's zeroizing storage owns the bytes.
    out.set(CKA_VALUE, std::mem::take(&mut *value));
    out.set_ulong(CKA_VALUE_LEN, len as CK_ULONG);
    Ok(out)
}

/// Append to a secret buffer. Growing a `Vec` in place would leave the old
/// allocation unwiped, so growth moves the contents into a fresh zeroizing
/// buffer and lets the old one wipe itself.
pub fn append(buf: &mut Value, data: &[u8]) {
    let needed = buf.len() + data.len();
    if needed > buf.capacity() {
        let mut grown = Value::new(Vec::with_capacity(needed.max(2 * buf.capacity())));
        grown.extend_from_slice(buf);
        *buf = grown;
    }
    buf.extend_from_slice(data);
}

/// A secret buffer holding `a` followed by `b`.
pub(crate) fn concat(a: &[u8], b: &[u8]) -> Value {
    let mut out = Value::new(Vec::with_capacity(a.len() + b.len()));
    out.extend_from_slice(a);
    out.extend_from_slice(b);
    out
}

/// Run a whole input through a cipher: the single-part form of an operation,
/// used where wrapping is defined as encryption of the key value.
pub(crate) fn one_shot(mut cipher: Box<dyn Cipher>, input: &[u8]) -> Result<Value> {
    let head = cipher.update(input)?;
    let tail = cipher.finish()?;
    Ok(concat(&head, &tail))
}

/// Wrapping through an encryption mechanism: a key value the mechanism cannot
/// take is a key of the wrong size.
pub(crate) fn wrap_error(e: Ckr) -> Ckr {
    match e {
        Ckr::DATA_LEN_RANGE => Ckr::KEY_SIZE_RANGE,
        other => other,
    }
}

/// Unwrapping through a decryption mechanism: errors about the ciphertext are
/// errors about the wrapped key.
pub(crate) fn unwrap_error(e: Ckr) -> Ckr {
    match e {
        Ckr::ENCRYPTED_DATA_LEN_RANGE => Ckr::WRAPPED_KEY_LEN_RANGE,
        Ckr::ENCRYPTED_DATA_INVALID => Ckr::WRAPPED_KEY_INVALID,
        other => other,
    }
}

/// Most mechanisms of these families take no parameter.
pub(crate) fn no_param(m: &super::Mechanism) -> Result<()> {
    match m.param {
        super::MechParam::None => Ok(()),
        _ => Err(Ckr::MECHANISM_PARAM_INVALID),
    }
}

#[cfg(test)]
pub(crate) mod test_keys {
    //! Key objects and cipher drivers for the families' tests.
    use super::*;
    use crate::mech::{registry, MechParam, Mechanism};

    /// A secret key object of type `ty` holding `value`.
    pub(crate) fn key(ty: CK_KEY_TYPE, value: &[u8]) -> Attributes {
        let mut a = Attributes::new();
        a.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
        a.set_ulong(CKA_KEY_TYPE, ty);
        a.set(CKA_VALUE, value.to_vec());
        a
    }

    /// An AES key object from hex.
    pub(crate) fn aes(hex_value: &str) -> Attributes {
        key(CKK_AES, &hex::decode(hex_value).unwrap())
    }

    /// Start an encryption or decryption through the registry.
    pub(crate) fn start(
        ty: CK_MECHANISM_TYPE,
        param: &MechParam,
        key: &Attributes,
        encrypt: bool,
    ) -> Result<Box<dyn Cipher>> {
        let m = Mechanism {
            ty,
            param: param.clone(),
        };
        let mech = registry().get(ty)?;
        if encrypt {
            mech.encrypt(&m, key)
        } else {
            mech.decrypt(&m, key)
        }
    }

    /// Single-part: the whole input in one update, then finish.
    pub(crate) fn single(
        ty: CK_MECHANISM_TYPE,
        param: &MechParam,
        key: &Attributes,
        encrypt: bool,
        data: &[u8],
    ) -> Result<Vec<u8>> {
        let mut c = start(ty, param, key, encrypt)?;
        let mut out = c.update(data)?.to_vec();
        out.extend_from_slice(&c.finish()?);
        Ok(out)
    }

    /// Multi-part: the input in chunks of the given sizes, cycled.
    pub(crate) fn chunked(
        ty: CK_MECHANISM_TYPE,
        param: &MechParam,
        key: &Attributes,
        encrypt: bool,
        data: &[u8],
        sizes: &[usize],
    ) -> Result<Vec<u8>> {
        let mut c = start(ty, param, key, encrypt)?;
        let mut out = Vec::new();
        let mut rest = data;
        for size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (now, later) = rest.split_at((*size).min(rest.len()));
            out.extend_from_slice(&c.update(now)?);
            rest = later;
        }
        out.extend_from_slice(&c.finish()?);
        Ok(out)
    }

    /// Odd chunk sizes, to cross block boundaries in every way.
    pub(crate) const ODD_CHUNKS: &[usize] = &[1, 15, 17, 3, 32, 0, 7, 16, 33];
}

#[cfg(test)]
mod tests {
    use super::test_keys::key;
    use super::*;

    #[test]
    fn secret_key_checks_class_type_and_size() {
        let k = key(CKK_AES, &[7; 16]);
        assert_eq!(secret_key(&k, &[CKK_AES], 16..=32).unwrap(), &[7; 16]);
        assert_eq!(
            secret_key(&k, &[CKK_GENERIC_SECRET], 1..=64),
            Err(Ckr::KEY_TYPE_INCONSISTENT)
        );
        assert_eq!(
            secret_key(&k, &[CKK_AES], 24..=32),
            Err(Ckr::KEY_SIZE_RANGE)
        );
        let mut public = k.clone();
        public.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
        assert_eq!(
            secret_key(&public, &[CKK_AES], 16..=32),
            Err(Ckr::KEY_TYPE_INCONSISTENT)
        );
        let mut no_type = k.clone();
        no_type.remove(CKA_KEY_TYPE);
        assert_eq!(
            secret_key(&no_type, &[CKK_AES], 16..=32),
            Err(Ckr::KEY_TYPE_INCONSISTENT)
        );
    }

    #[test]
    fn value_len_is_required_and_bounded() {
        let mut t = Attributes::new();
        assert_eq!(value_len(&t, 1..=8), Err(Ckr::TEMPLATE_INCOMPLETE));
        t.set_ulong(CKA_VALUE_LEN, 9);
        assert_eq!(value_len(&t, 1..=8), Err(Ckr::ATTRIBUTE_VALUE_INVALID));
        t.set_ulong(CKA_VALUE_LEN, 8);
        assert_eq!(value_len(&t, 1..=8), Ok(8));
        t.set(CKA_VALUE_LEN, vec![8]);
        assert_eq!(value_len(&t, 1..=8), Err(Ckr::ATTRIBUTE_VALUE_INVALID));
    }

    #[test]
    fn append_keeps_contents_across_growth() {
        let mut buf = Value::new(Vec::new());
        let mut expected = Vec::new();
        for i in 0..200u8 {
            append(&mut buf, &[i, i ^ 0x55, 3]);
            expected.extend_from_slice(&[i, i ^ 0x55, 3]);
        }
        assert_eq!(buf.as_slice(), expected.as_slice());
    }
}
