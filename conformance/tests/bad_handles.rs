//! Bad handles through the raw 3.2 function list: sessions, objects, keys
//! and slots that do not exist get the CKR the standard names.

use cryptoki::object::Attribute;
use cryptoki_sys::*;
use qrc_conformance::keys::{aes, data, generic};
use qrc_conformance::raw::{Mech, Template};
use qrc_conformance::{call, Checks, Fixture};
use std::ptr;

struct Setup {
    h: CK_SESSION_HANDLE,
    aes: CK_OBJECT_HANDLE,
    mac: CK_OBJECT_HANDLE,
    data: CK_OBJECT_HANDLE,
    _s: cryptoki::session::Session,
    // After the session, so it is dropped (finalized) last.
    fx: Fixture,
}

fn setup() -> Setup {
    let fx = Fixture::new();
    let s = fx.user_session();
    let aes = aes(&s, &[1u8; 16], vec![]);
    let mac = generic(&s, &[2u8; 32], vec![]);
    let data = data(&s, "bad-handles", b"value", vec![]);
    Setup {
        h: s.handle(),
        aes,
        mac,
        data,
        _s: s,
        fx,
    }
}

fn nul<T>() -> *mut T {
    ptr::null_mut()
}

const BOGUS_SESSION: CK_SESSION_HANDLE = 0x0BAD_5E55;

#[test]
fn bad_session_handles() {
    let mut c = Checks::new();
    let st = setup();
    let closed = st.fx.rw_session();
    let closed_h = closed.handle();
    qrc_conformance::expect_ok(closed.close(), "C_CloseSession");
    for h in [CK_INVALID_HANDLE, BOGUS_SESSION, closed_h] {
        let inv = CKR_SESSION_HANDLE_INVALID;
        let mut info = CK_SESSION_INFO::default();
        c.rv(
            call!(C_GetSessionInfo(h, &mut info)),
            inv,
            &format!("C_GetSessionInfo({h:#x})"),
        );
        c.rv(
            call!(C_CloseSession(h)),
            inv,
            &format!("C_CloseSession({h:#x})"),
        );
        let mut pin = *b"fedcba123456";
        c.rv(
            call!(C_Login(h, CKU_USER, pin.as_mut_ptr(), 12)),
            inv,
            &format!("C_Login({h:#x})"),
        );
        c.rv(call!(C_Logout(h)), inv, &format!("C_Logout({h:#x})"));
        let mut t = Template::new(vec![
            Attribute::Class(cryptoki::object::ObjectClass::DATA),
            Attribute::Token(false),
        ]);
        let mut o: CK_OBJECT_HANDLE = 0;
        c.rv(
            call!(C_CreateObject(h, t.ptr(), t.len(), &mut o)),
            inv,
            &format!("C_CreateObject({h:#x})"),
        );
        c.rv(
            call!(C_FindObjectsInit(h, nul(), 0)),
            inv,
            &format!("C_FindObjectsInit({h:#x})"),
        );
        c.rv(
            call!(C_EncryptInit(h, Mech::new(CKM_AES_ECB).ptr(), st.aes)),
            inv,
            &format!("C_EncryptInit({h:#x})"),
        );
        c.rv(
            call!(C_DigestInit(h, Mech::new(CKM_SHA256).ptr())),
            inv,
            &format!("C_DigestInit({h:#x})"),
        );
        c.rv(
            call!(C_SignInit(h, Mech::new(CKM_SHA256_HMAC).ptr(), st.mac)),
            inv,
            &format!("C_SignInit({h:#x})"),
        );
        let mut buf = [0u8; 8];
        c.rv(
            call!(C_GenerateRandom(h, buf.as_mut_ptr(), 8)),
            inv,
            &format!("C_GenerateRandom({h:#x})"),
        );
        c.rv(
            call!(C_SeedRandom(h, buf.as_mut_ptr(), 8)),
            inv,
            &format!("C_SeedRandom({h:#x})"),
        );
        let mut a = CK_ATTRIBUTE {
            type_: CKA_CLASS,
            pValue: ptr::null_mut(),
            ulValueLen: 0,
        };
        c.rv(
            call!(C_GetAttributeValue(h, st.data, &mut a, 1)),
            inv,
            &format!("C_GetAttributeValue({h:#x})"),
        );
    }
    c.finish();
}

#[test]
fn bad_object_handles() {
    let mut c = Checks::new();
    let st = setup();
    let h = st.h;
    let gone = qrc_conformance::raw::create(h, qrc_conformance::keys::data_template("gone", b"x"))
        .expect("create");
    c.rv(call!(C_DestroyObject(h, gone)), CKR_OK, "C_DestroyObject");
    for o in [CK_INVALID_HANDLE, 0x0BAD_0B1E, gone] {
        let inv = CKR_OBJECT_HANDLE_INVALID;
        let mut a = CK_ATTRIBUTE {
            type_: CKA_CLASS,
            pValue: ptr::null_mut(),
            ulValueLen: 0,
        };
        c.rv(
            call!(C_GetAttributeValue(h, o, &mut a, 1)),
            inv,
            &format!("C_GetAttributeValue({o:#x})"),
        );
        let mut t = Template::new(vec![Attribute::Label(b"x".to_vec())]);
        c.rv(
            call!(C_SetAttributeValue(h, o, t.ptr(), t.len())),
            inv,
            &format!("C_SetAttributeValue({o:#x})"),
        );
        c.rv(
            call!(C_DestroyObject(h, o)),
            inv,
            &format!("C_DestroyObject({o:#x})"),
        );
        let mut size: CK_ULONG = 0;
        c.rv(
            call!(C_GetObjectSize(h, o, &mut size)),
            inv,
            &format!("C_GetObjectSize({o:#x})"),
        );
        let mut n: CK_OBJECT_HANDLE = 0;
        c.rv(
            call!(C_CopyObject(h, o, t.ptr(), t.len(), &mut n)),
            inv,
            &format!("C_CopyObject({o:#x})"),
        );
    }
    c.finish();
}

#[test]
fn bad_key_handles() {
    let mut c = Checks::new();
    let st = setup();
    let h = st.h;
    let inv = CKR_KEY_HANDLE_INVALID;
    for k in [CK_INVALID_HANDLE, 0x0BAD_0CE1] {
        c.rv(
            call!(C_EncryptInit(h, Mech::new(CKM_AES_ECB).ptr(), k)),
            inv,
            &format!("C_EncryptInit(key {k:#x})"),
        );
        c.rv(
            call!(C_DecryptInit(h, Mech::new(CKM_AES_ECB).ptr(), k)),
            inv,
            &format!("C_DecryptInit(key {k:#x})"),
        );
        c.rv(
            call!(C_SignInit(h, Mech::new(CKM_SHA256_HMAC).ptr(), k)),
            inv,
            &format!("C_SignInit(key {k:#x})"),
        );
        c.rv(
            call!(C_VerifyInit(h, Mech::new(CKM_SHA256_HMAC).ptr(), k)),
            inv,
            &format!("C_VerifyInit(key {k:#x})"),
        );
        let mut sig = [0u8; 32];
        c.rv(
            call!(C_VerifySignatureInit(
                h,
                Mech::new(CKM_SHA256_HMAC).ptr(),
                k,
                sig.as_mut_ptr(),
                32
            )),
            inv,
            &format!("C_VerifySignatureInit(key {k:#x})"),
        );
        let mut out = [0u8; 64];
        let mut len: CK_ULONG = 64;
        c.rv(
            call!(C_WrapKey(
                h,
                Mech::new(CKM_AES_KEY_WRAP).ptr(),
                k,
                st.aes,
                out.as_mut_ptr(),
                &mut len
            )),
            CKR_WRAPPING_KEY_HANDLE_INVALID,
            &format!("C_WrapKey(wrapping key {k:#x})"),
        );
        c.rv(
            call!(C_WrapKey(
                h,
                Mech::new(CKM_AES_KEY_WRAP).ptr(),
                st.aes,
                k,
                out.as_mut_ptr(),
                &mut len
            )),
            inv,
            &format!("C_WrapKey(key {k:#x})"),
        );
        let mut ut = Template::new(vec![
            Attribute::Class(cryptoki::object::ObjectClass::SECRET_KEY),
            Attribute::KeyType(cryptoki::object::KeyType::AES),
            Attribute::Token(false),
        ]);
        let mut nk: CK_OBJECT_HANDLE = 0;
        c.rv(
            call!(C_UnwrapKey(
                h,
                Mech::new(CKM_AES_KEY_WRAP).ptr(),
                k,
                out.as_mut_ptr(),
                24,
                ut.ptr(),
                ut.len(),
                &mut nk
            )),
            CKR_UNWRAPPING_KEY_HANDLE_INVALID,
            &format!("C_UnwrapKey(unwrapping key {k:#x})"),
        );
        c.rv(
            call!(C_DigestInit(h, Mech::new(CKM_SHA256).ptr())),
            CKR_OK,
            "C_DigestInit",
        );
        c.rv(
            call!(C_DigestKey(h, k)),
            inv,
            &format!("C_DigestKey({k:#x})"),
        );
        // Whether C_DigestKey's failure ends the digest is not fixed by the
        // standard; end it either way.
        let mut d = [0u8; 32];
        let mut dl: CK_ULONG = 32;
        let _ = call!(C_DigestFinal(h, d.as_mut_ptr(), &mut dl));
    }
    c.finish();
}

#[test]
fn bad_slot_ids() {
    let mut c = Checks::new();
    let st = setup();
    let slot: CK_SLOT_ID = 0x5107;
    let inv = CKR_SLOT_ID_INVALID;
    let mut si = CK_SLOT_INFO::default();
    c.rv(call!(C_GetSlotInfo(slot, &mut si)), inv, "C_GetSlotInfo");
    let mut ti = CK_TOKEN_INFO::default();
    c.rv(call!(C_GetTokenInfo(slot, &mut ti)), inv, "C_GetTokenInfo");
    let mut n: CK_ULONG = 0;
    c.rv(
        call!(C_GetMechanismList(slot, nul(), &mut n)),
        inv,
        "C_GetMechanismList",
    );
    let mut mi = CK_MECHANISM_INFO::default();
    c.rv(
        call!(C_GetMechanismInfo(slot, CKM_SHA256, &mut mi)),
        inv,
        "C_GetMechanismInfo",
    );
    let mut h: CK_SESSION_HANDLE = 0;
    c.rv(
        call!(C_OpenSession(slot, CKF_SERIAL_SESSION, nul(), None, &mut h)),
        inv,
        "C_OpenSession",
    );
    c.rv(call!(C_CloseAllSessions(slot)), inv, "C_CloseAllSessions");
    let mut pin = *b"abcdef654321";
    let mut label = [b' '; 32];
    c.rv(
        call!(C_InitToken(slot, pin.as_mut_ptr(), 12, label.as_mut_ptr())),
        inv,
        "C_InitToken",
    );
    // The existing session is untouched by all this.
    let mut info = CK_SESSION_INFO::default();
    c.rv(
        call!(C_GetSessionInfo(st.h, &mut info)),
        CKR_OK,
        "C_GetSessionInfo on the good session",
    );
    c.finish();
}
