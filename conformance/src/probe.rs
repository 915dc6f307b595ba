//! A sweep of calls across the API, for checks that apply to every call
//! (before `C_Initialize`, after `C_Finalize`, in a forked child).

use crate::call;
use crate::raw::{Mech, Template};
use cryptoki::object::{Attribute, ObjectClass};
use cryptoki_sys::*;
use std::ptr;

/// Makes one call of (nearly) every kind with plausible arguments and
/// returns each function's name and `CK_RV`.
///
/// Arguments are chosen to be harmless if the module wrongly treats the
/// calls as live: a wrong SO PIN for `C_InitToken` and `C_Login`, a session
/// data object for `C_CreateObject`. `C_Finalize` comes last.
pub fn sweep(
    slot: CK_SLOT_ID,
    session: CK_SESSION_HANDLE,
    object: CK_OBJECT_HANDLE,
) -> Vec<(&'static str, CK_RV)> {
    let mut out = Vec::new();
    // Names each call as a fork_run step first, so a hang says where.
    macro_rules! probe {
        ($name:expr, $call:expr) => {{
            crate::process::step($name);
            out.push(($name, $call));
        }};
    }
    let mut n: CK_ULONG = 0;
    let mut info = CK_INFO::default();
    probe!("C_GetInfo", call!(C_GetInfo(&mut info)));
    probe!(
        "C_GetSlotList",
        call!(C_GetSlotList(CK_FALSE, ptr::null_mut(), &mut n))
    );
    let mut si = CK_SLOT_INFO::default();
    probe!("C_GetSlotInfo", call!(C_GetSlotInfo(slot, &mut si)));
    let mut ti = CK_TOKEN_INFO::default();
    probe!("C_GetTokenInfo", call!(C_GetTokenInfo(slot, &mut ti)));
    probe!(
        "C_GetMechanismList",
        call!(C_GetMechanismList(slot, ptr::null_mut(), &mut n))
    );
    let mut mi = CK_MECHANISM_INFO::default();
    probe!(
        "C_GetMechanismInfo",
        call!(C_GetMechanismInfo(slot, CKM_SHA256, &mut mi))
    );
    let mut wrong = *b"wrong-so-pin";
    let mut label = [b' '; 32];
    probe!(
        "C_InitToken",
        call!(C_InitToken(
            slot,
            wrong.as_mut_ptr(),
            wrong.len() as CK_ULONG,
            label.as_mut_ptr()
        ))
    );
    let mut h: CK_SESSION_HANDLE = CK_INVALID_HANDLE;
    probe!(
        "C_OpenSession",
        call!(C_OpenSession(
            slot,
            CKF_SERIAL_SESSION | CKF_RW_SESSION,
            ptr::null_mut(),
            None,
            &mut h
        ))
    );
    let mut sinfo = CK_SESSION_INFO::default();
    probe!(
        "C_GetSessionInfo",
        call!(C_GetSessionInfo(session, &mut sinfo))
    );
    probe!(
        "C_Login",
        call!(C_Login(
            session,
            CKU_SO,
            wrong.as_mut_ptr(),
            wrong.len() as CK_ULONG
        ))
    );
    probe!("C_Logout", call!(C_Logout(session)));
    let mut t = Template::new(vec![
        Attribute::Class(ObjectClass::DATA),
        Attribute::Token(false),
    ]);
    let mut o: CK_OBJECT_HANDLE = CK_INVALID_HANDLE;
    probe!(
        "C_CreateObject",
        call!(C_CreateObject(session, t.ptr(), t.len(), &mut o))
    );
    let mut a = CK_ATTRIBUTE {
        type_: CKA_CLASS,
        pValue: ptr::null_mut(),
        ulValueLen: 0,
    };
    probe!(
        "C_GetAttributeValue",
        call!(C_GetAttributeValue(session, object, &mut a, 1))
    );
    probe!(
        "C_FindObjectsInit",
        call!(C_FindObjectsInit(session, ptr::null_mut(), 0))
    );
    let mut m = Mech::new(CKM_SHA256);
    probe!("C_DigestInit", call!(C_DigestInit(session, m.ptr())));
    let mut data = *b"abc";
    probe!(
        "C_DigestUpdate",
        call!(C_DigestUpdate(session, data.as_mut_ptr(), 3))
    );
    let mut m = Mech::new(CKM_AES_ECB);
    probe!(
        "C_EncryptInit",
        call!(C_EncryptInit(session, m.ptr(), object))
    );
    let mut buf = [0u8; 16];
    probe!(
        "C_GenerateRandom",
        call!(C_GenerateRandom(session, buf.as_mut_ptr(), 16))
    );
    probe!(
        "C_SeedRandom",
        call!(C_SeedRandom(session, buf.as_mut_ptr(), 16))
    );
    probe!("C_CloseSession", call!(C_CloseSession(session)));
    probe!("C_CloseAllSessions", call!(C_CloseAllSessions(slot)));
    probe!("C_Finalize", call!(C_Finalize(ptr::null_mut())));
    out
}

/// The calls of `results` whose `CK_RV` is not `want`, formatted.
pub fn mismatches(results: &[(&'static str, CK_RV)], want: CK_RV) -> Vec<String> {
    results
        .iter()
        .filter(|(_, rv)| *rv != want)
        .map(|(name, rv)| format!("{name} → {}", crate::rv_name(*rv)))
        .collect()
}
