//! `qrc-tool list`: the objects on a token, one line each.

use crate::module::{login, Ck, Module};
use anyhow::{bail, Result};
use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use std::fmt::Write;

/// The attributes shown per object; those that do not apply to an object's
/// class (CKR_ATTRIBUTE_TYPE_INVALID) are shown as "-".
const SHOWN: [AttributeType; 7] = [
    AttributeType::Class,
    AttributeType::KeyType,
    AttributeType::Label,
    AttributeType::Id,
    AttributeType::Token,
    AttributeType::Private,
    AttributeType::Sensitive,
];

/// The objects visible in `slot`, as text; with `pin`, logs in first so
/// that private objects are listed too.
pub fn run(m: &Module, slot: Slot, pin: Option<&str>) -> Result<String> {
    if !m.token_info(slot)?.token_initialized() {
        bail!("the token in slot {slot} is not initialised: run `qrc-tool init` first");
    }
    let session = m.ctx.open_ro_session(slot).ck()?;
    if let Some(pin) = pin {
        login(&session, UserType::User, pin)?;
    }
    let objects = session.find_objects(&[]).ck()?;
    let mut out = String::new();
    writeln!(
        out,
        "{:>8}  {:<18} {:<20} {:<24} {:<16} flags",
        "handle", "class", "key type", "label", "id"
    )?;
    for obj in &objects {
        writeln!(out, "{}", describe(&session, *obj)?)?;
    }
    let scope = if pin.is_some() {
        ""
    } else {
        " (public only: give --pin or QRC_PIN to see private objects)"
    };
    writeln!(out, "{} object(s){scope}", objects.len())?;
    if pin.is_some() {
        session.logout().ck()?;
    }
    Ok(out)
}

/// One line for `obj`.
fn describe(session: &Session, obj: ObjectHandle) -> Result<String> {
    let attrs = session.get_attributes(obj, &SHOWN).ck()?;
    let (mut class, mut key_type, mut label, mut id) = (
        "-".to_string(),
        "-".to_string(),
        "-".to_string(),
        "-".to_string(),
    );
    let mut flags = Vec::new();
    for a in &attrs {
        match a {
            Attribute::Class(c) => class = c.to_string(),
            Attribute::KeyType(k) => key_type = k.to_string(),
            Attribute::Label(l) => label = format!("\"{}\"", String::from_utf8_lossy(l)),
            Attribute::Id(i) if !i.is_empty() => id = hex::encode(i),
            Attribute::Token(true) => flags.push("token"),
            Attribute::Token(false) => flags.push("session"),
            Attribute::Private(true) => flags.push("private"),
            Attribute::Sensitive(true) => flags.push("sensitive"),
            _ => {}
        }
    }
    Ok(format!(
        "{:>8}  {class:<18} {key_type:<20} {label:<24} {id:<16} {}",
        obj.handle(),
        flags.join(",")
    ))
}
