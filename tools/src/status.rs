//! `qrc-tool status`: library, slots, tokens (flags and PIN counters spelled
//! out) and mechanisms with their flags.

use crate::module::{Ck, Module};
use crate::names;
use anyhow::Result;
use cryptoki::slot::{Limit, Slot, SlotInfo, TokenInfo};
use cryptoki_sys::*;
use std::fmt::Write;

/// The status of every slot, or only of `only`, as text.
pub fn run(m: &Module, only: Option<Slot>) -> Result<String> {
    let mut out = String::new();
    let info = m.ctx.get_library_info().ck()?;
    writeln!(out, "module   {}", m.path.display())?;
    writeln!(
        out,
        "library  {} {} by {} (PKCS#11 {})",
        info.library_description(),
        info.library_version(),
        info.manufacturer_id(),
        info.cryptoki_version()
    )?;
    let slots = match only {
        Some(slot) => vec![slot],
        None => m.ctx.get_all_slots().ck()?,
    };
    for slot in slots {
        writeln!(out)?;
        slot_status(m, slot, &mut out)?;
    }
    Ok(out)
}

fn slot_status(m: &Module, slot: Slot, out: &mut String) -> Result<()> {
    let si = m.ctx.get_slot_info(slot).ck()?;
    writeln!(
        out,
        "slot {slot}  {} ({})",
        si.slot_description(),
        si.manufacturer_id()
    )?;
    writeln!(
        out,
        "  flags        {}",
        names::slot_flags(slot_flag_bits(&si))
    )?;
    if !si.token_present() {
        writeln!(out, "  no token: its store is probably open in another process (the module names the holder's pid on standard error)")?;
        return Ok(());
    }
    let t = m.ctx.get_token_info(slot).ck()?;
    writeln!(
        out,
        "  token        \"{}\"  {} {}  serial {}",
        t.label(),
        t.manufacturer_id(),
        t.model(),
        t.serial_number()
    )?;
    writeln!(
        out,
        "  token flags  {}",
        names::token_flags(token_flag_bits(&t))
    )?;
    let user = pin_state(
        t.user_pin_count_low(),
        t.user_pin_final_try(),
        t.user_pin_locked(),
    );
    writeln!(out, "  user PIN     {user}")?;
    let so = pin_state(
        t.so_pin_count_low(),
        t.so_pin_final_try(),
        t.so_pin_locked(),
    );
    writeln!(out, "  SO PIN       {so}")?;
    writeln!(
        out,
        "  PIN length   {}..={} bytes",
        t.min_pin_length(),
        t.max_pin_length()
    )?;
    writeln!(
        out,
        "  sessions     {} open (max {}), {} read-write (max {})",
        count(t.session_count()),
        limit(t.max_session_count()),
        count(t.rw_session_count()),
        limit(t.max_rw_session_count())
    )?;
    if !t.token_initialized() {
        writeln!(
            out,
            "  not initialised: run `qrc-tool init` (or `qrc-tool demo`)"
        )?;
    }
    let mechs = m.raw.mechanism_list(slot)?;
    writeln!(out, "  mechanisms   {}", mechs.len())?;
    for ty in mechs {
        let mi = m.raw.mechanism_info(slot, ty)?;
        let sizes = if mi.ulMinKeySize == 0 && mi.ulMaxKeySize == 0 {
            String::new()
        } else {
            format!("key {}..={}", mi.ulMinKeySize, mi.ulMaxKeySize)
        };
        writeln!(
            out,
            "    {:<30} {sizes:<16} {}",
            names::ckm(ty),
            names::mechanism_flags(mi.flags)
        )?;
    }
    Ok(())
}

/// The PIN retry counter state as PKCS#11 reports it through the flags.
fn pin_state(count_low: bool, final_try: bool, locked: bool) -> &'static str {
    if locked {
        "LOCKED (too many wrong PINs)"
    } else if final_try {
        "final try: one more wrong PIN locks it"
    } else if count_low {
        "a wrong PIN was entered since the last good login"
    } else {
        "ok"
    }
}

fn count(n: Option<u64>) -> String {
    n.map_or_else(|| "?".to_string(), |n| n.to_string())
}

fn limit(l: Limit) -> String {
    match l {
        Limit::Max(n) => n.to_string(),
        Limit::Unavailable => "?".to_string(),
        Limit::Infinite => "unlimited".to_string(),
    }
}

/// Rebuilds CK_SLOT_INFO.flags from cryptoki's accessors, to spell them.
fn slot_flag_bits(s: &SlotInfo) -> CK_FLAGS {
    bits(&[
        (s.token_present(), CKF_TOKEN_PRESENT),
        (s.removable_device(), CKF_REMOVABLE_DEVICE),
        (s.hardware_slot(), CKF_HW_SLOT),
    ])
}

/// Rebuilds CK_TOKEN_INFO.flags from cryptoki's accessors, to spell them.
fn token_flag_bits(t: &TokenInfo) -> CK_FLAGS {
    bits(&[
        (t.rng(), CKF_RNG),
        (t.write_protected(), CKF_WRITE_PROTECTED),
        (t.login_required(), CKF_LOGIN_REQUIRED),
        (t.user_pin_initialized(), CKF_USER_PIN_INITIALIZED),
        (t.restore_key_not_needed(), CKF_RESTORE_KEY_NOT_NEEDED),
        (t.clock_on_token(), CKF_CLOCK_ON_TOKEN),
        (
            t.protected_authentication_path(),
            CKF_PROTECTED_AUTHENTICATION_PATH,
        ),
        (t.dual_crypto_operations(), CKF_DUAL_CRYPTO_OPERATIONS),
        (t.token_initialized(), CKF_TOKEN_INITIALIZED),
        (t.secondary_authentication(), CKF_SECONDARY_AUTHENTICATION),
        (t.user_pin_count_low(), CKF_USER_PIN_COUNT_LOW),
        (t.user_pin_final_try(), CKF_USER_PIN_FINAL_TRY),
        (t.user_pin_locked(), CKF_USER_PIN_LOCKED),
        (t.user_pin_to_be_changed(), CKF_USER_PIN_TO_BE_CHANGED),
        (t.so_pin_count_low(), CKF_SO_PIN_COUNT_LOW),
        (t.so_pin_final_try(), CKF_SO_PIN_FINAL_TRY),
        (t.so_pin_locked(), CKF_SO_PIN_LOCKED),
        (t.so_pin_to_be_changed(), CKF_SO_PIN_TO_BE_CHANGED),
        (t.error_state(), CKF_ERROR_STATE),
    ])
}

fn bits(set: &[(bool, CK_FLAGS)]) -> CK_FLAGS {
    set.iter()
        .filter(|(on, _)| *on)
        .fold(0, |acc, (_, bit)| acc | bit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_state_reports_the_worst_condition() {
        assert_eq!(pin_state(false, false, false), "ok");
        assert!(pin_state(true, false, false).contains("wrong PIN"));
        assert!(pin_state(true, true, false).starts_with("final try"));
        assert!(pin_state(true, true, true).starts_with("LOCKED"));
    }

    #[test]
    fn bits_combines_only_set_flags() {
        assert_eq!(
            bits(&[
                (true, CKF_RNG),
                (false, CKF_WRITE_PROTECTED),
                (true, CKF_TOKEN_INITIALIZED)
            ]),
            CKF_RNG | CKF_TOKEN_INITIALIZED
        );
        assert_eq!(bits(&[]), 0);
    }
}
