//! Templates and creators for the objects most tests need.

use crate::check::expect_ok;
use cryptoki::object::{Attribute, CertificateType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use cryptoki_sys::CK_OBJECT_HANDLE;
use std::mem::discriminant;

/// `base` with every attribute of `extra` replacing the one of the same
/// kind (or added): a template must not name an attribute twice.
pub fn merge(base: Vec<Attribute>, extra: Vec<Attribute>) -> Vec<Attribute> {
    let mut out: Vec<Attribute> = base
        .into_iter()
        .filter(|b| !extra.iter().any(|e| same_type(b, e)))
        .collect();
    out.extend(extra);
    out
}

fn same_type(a: &Attribute, b: &Attribute) -> bool {
    match (a, b) {
        (Attribute::VendorDefined(_), _) | (_, Attribute::VendorDefined(_)) => {
            a.attribute_type() == b.attribute_type()
        }
        _ => discriminant(a) == discriminant(b),
    }
}

/// A session secret key of `kt` holding `value`: extractable, not
/// sensitive, every usage allowed.
pub fn secret_template(kt: KeyType, value: &[u8]) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(kt),
        Attribute::Token(false),
        Attribute::Value(value.to_vec()),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
        Attribute::Sign(true),
        Attribute::Verify(true),
        Attribute::Wrap(true),
        Attribute::Unwrap(true),
    ]
}

/// Creates [`secret_template`] merged with `extra`; panics on failure.
pub fn secret(s: &Session, kt: KeyType, value: &[u8], extra: Vec<Attribute>) -> CK_OBJECT_HANDLE {
    let t = merge(secret_template(kt, value), extra);
    expect_ok(s.create_object(&t), "C_CreateObject(secret key)").handle()
}

/// An AES key (see [`secret`]).
pub fn aes(s: &Session, value: &[u8], extra: Vec<Attribute>) -> CK_OBJECT_HANDLE {
    secret(s, KeyType::AES, value, extra)
}

/// A generic secret (HMAC) key (see [`secret`]).
pub fn generic(s: &Session, value: &[u8], extra: Vec<Attribute>) -> CK_OBJECT_HANDLE {
    secret(s, KeyType::GENERIC_SECRET, value, extra)
}

/// A session data object.
pub fn data_template(label: &str, value: &[u8]) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::DATA),
        Attribute::Token(false),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::Application(b"qrc-conformance".to_vec()),
        Attribute::Value(value.to_vec()),
    ]
}

/// Creates [`data_template`] merged with `extra`; panics on failure.
pub fn data(s: &Session, label: &str, value: &[u8], extra: Vec<Attribute>) -> CK_OBJECT_HANDLE {
    let t = merge(data_template(label, value), extra);
    expect_ok(s.create_object(&t), "C_CreateObject(data)").handle()
}

/// A session X.509 certificate object; VALUE is arbitrary DER-looking
/// bytes (the token stores, it does not parse).
pub fn cert_template() -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::CERTIFICATE),
        Attribute::CertificateType(CertificateType::X_509),
        Attribute::Token(false),
        Attribute::Subject(b"\x30\x0d\x31\x0b\x30\x09\x06\x03\x55\x04\x03\x0c\x02qr".to_vec()),
        Attribute::Issuer(b"\x30\x0d\x31\x0b\x30\x09\x06\x03\x55\x04\x03\x0c\x02ca".to_vec()),
        Attribute::SerialNumber(b"\x02\x02\x01\x00".to_vec()),
        Attribute::Value(b"\x30\x03\x02\x01\x07 any DER bytes".to_vec()),
        Attribute::Id(b"cert-id".to_vec()),
        Attribute::Label(b"a certificate".to_vec()),
    ]
}

/// A cryptoki handle for a raw one.
pub fn obj(h: CK_OBJECT_HANDLE) -> ObjectHandle {
    // SAFETY: an object handle is a plain number; a wrong one only makes
    // the module return CKR_OBJECT_HANDLE_INVALID, which tests check.
    unsafe { ObjectHandle::new_from_raw(h) }
}
