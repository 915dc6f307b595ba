//! `qrc-tool init`: C_InitToken, then C_InitPIN as the SO.

use crate::module::{login, Ck, Module};
use anyhow::{bail, Result};
use cryptoki::session::UserType;
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

/// What `init` needs.
pub struct InitRequest<'a> {
    pub label: &'a str,
    pub so_pin: &'a str,
    pub user_pin: &'a str,
    /// Re-initialise an initialised token (wipes every object on it).
    pub force: bool,
}

/// Initialises the token in `slot` and sets its user PIN.
pub fn run(m: &Module, slot: Slot, req: &InitRequest) -> Result<()> {
    // cryptoki silently cuts labels to the 32 bytes of CK_TOKEN_INFO.label.
    if req.label.len() > 32 {
        bail!(
            "the token label is limited to 32 bytes (\"{}\" has {})",
            req.label,
            req.label.len()
        );
    }
    let info = m.token_info(slot)?;
    if info.token_initialized() && !req.force {
        bail!(
            "the token in slot {slot} is already initialised (label \"{}\"); \
             re-initialising destroys every object on it: pass --force to do it",
            info.label()
        );
    }
    if info.token_initialized() {
        say!("re-initialising slot {slot}: every object on the token is destroyed");
    }
    init_token(m, slot, req.label, req.so_pin, req.user_pin)?;
    say!(
        "token \"{}\" initialised in slot {slot}; user PIN set",
        req.label
    );
    Ok(())
}

/// C_InitToken + SO login + C_InitPIN + logout.
pub fn init_token(m: &Module, slot: Slot, label: &str, so_pin: &str, user_pin: &str) -> Result<()> {
    m.ctx.init_token(slot, &AuthPin::from(so_pin), label).ck()?;
    let session = m.ctx.open_rw_session(slot).ck()?;
    login(&session, UserType::So, so_pin)?;
    session.init_pin(&AuthPin::from(user_pin)).ck()?;
    session.logout().ck()?;
    Ok(())
}
