//! The library, slots and tokens, and PINs.

use super::session;
use crate::info;
use crate::module::{self, module};
use cryptoki_sys::*;
use qrc_emulator::{Ckr, Result};

/// C_Initialize.
pub fn initialize() -> Result<()> {
    module::initialize()
}

/// C_Finalize.
pub fn finalize() -> Result<()> {
    module::finalize()
}

/// C_GetInfo.
pub fn get_info() -> Result<CK_INFO> {
    module()?;
    Ok(info::library_info())
}

/// C_GetSlotList: every slot, or those with a token present.
pub fn get_slot_list(token_present: bool) -> Result<Vec<CK_SLOT_ID>> {
    let m = module()?;
    Ok(m.slots
        .iter()
        .filter(|s| !token_present || s.token.present())
        .map(|s| s.id)
        .collect())
}

/// C_GetSlotInfo.
pub fn get_slot_info(slot: CK_SLOT_ID) -> Result<CK_SLOT_INFO> {
    let m = module()?;
    let s = m.slot(slot)?;
    Ok(info::slot_info(s.id, s.token.as_ref()))
}

/// C_GetTokenInfo, with the session counts of the slot.
pub fn get_token_info(slot: CK_SLOT_ID) -> Result<CK_TOKEN_INFO> {
    let m = module()?;
    let token = m.token(slot)?;
    let sessions = m.sessions_on(slot)?;
    let rw = sessions.iter().filter(|(_, rw)| *rw).count();
    info::token_info(token.as_ref(), sessions.len(), rw)
}

/// C_GetMechanismList.
pub fn get_mechanism_list(slot: CK_SLOT_ID) -> Result<Vec<CK_MECHANISM_TYPE>> {
    Ok(module()?.token(slot)?.mechanisms())
}

/// C_GetMechanismInfo.
pub fn get_mechanism_info(slot: CK_SLOT_ID, ty: CK_MECHANISM_TYPE) -> Result<CK_MECHANISM_INFO> {
    module()?.token(slot)?.mechanism_info(ty)
}

/// `label` is the 32-byte blank-padded label from the caller.
pub fn init_token(slot: CK_SLOT_ID, so_pin: &[u8], label: &[u8; 32]) -> Result<()> {
    let m = module()?;
    let token = m.token(slot)?;
    if !m.sessions_on(slot)?.is_empty() {
        return Err(Ckr(CKR_SESSION_EXISTS));
    }
    token.init_token(so_pin, label)
}

/// C_InitPIN (the SO, in a R/W session).
pub fn init_pin(h: CK_SESSION_HANDLE, pin: &[u8]) -> Result<()> {
    let s = session(h)?;
    s.require_read_write()?;
    s.token.init_pin(pin)
}

/// C_SetPIN (in a R/W session).
pub fn set_pin(h: CK_SESSION_HANDLE, old: &[u8], new: &[u8]) -> Result<()> {
    let s = session(h)?;
    s.require_read_write()?;
    s.token.set_pin(old, new)
}
