//! NULL pointers and bad handles through the raw 3.2 function list: the
//! module must answer with the CKR the standard names, never crash.
//!
//! After a call fails with CKR_ARGUMENTS_BAD, the next `*Init` must work:
//! every error other than CKR_BUFFER_TOO_SMALL ends an active operation.

use cryptoki::object::Attribute;
use cryptoki_sys::*;
use qrc_conformance::keys::{aes, data, generic};
use qrc_conformance::raw::{Mech, Template};
use qrc_conformance::{call, Checks, Fixture};
use std::ffi::c_void;
use std::ptr;

const BAD: CK_RV = CKR_ARGUMENTS_BAD;
const NUL: *mut u8 = ptr::null_mut();

fn nul<T>() -> *mut T {
    ptr::null_mut()
}

struct Setup {
    h: CK_SESSION_HANDLE,
    aes: CK_OBJECT_HANDLE,
    mac: CK_OBJECT_HANDLE,
    data: CK_OBJECT_HANDLE,
    _s: cryptoki::session::Session,
    // After the session, so it is dropped (finalized) last.
    _fx: Fixture,
}

fn setup() -> Setup {
    let fx = Fixture::new();
    let s = fx.user_session();
    let aes = aes(&s, &[1u8; 16], vec![]);
    let mac = generic(&s, &[2u8; 32], vec![]);
    let data = data(&s, "null-pointers", b"value", vec![]);
    Setup {
        h: s.handle(),
        aes,
        mac,
        data,
        _s: s,
        _fx: fx,
    }
}

#[test]
fn general_and_slot_functions_reject_null() {
    let mut c = Checks::new();
    let st = setup();
    c.rv(call!(C_GetInfo(nul())), BAD, "C_GetInfo(NULL)");
    c.rv(
        call!(C_GetSlotList(CK_FALSE, nul(), nul())),
        BAD,
        "C_GetSlotList(pulCount NULL)",
    );
    let mut slots = [0 as CK_SLOT_ID; 4];
    c.rv(
        call!(C_GetSlotList(CK_TRUE, slots.as_mut_ptr(), nul())),
        BAD,
        "C_GetSlotList(list, pulCount NULL)",
    );
    c.rv(call!(C_GetSlotInfo(0, nul())), BAD, "C_GetSlotInfo(NULL)");
    c.rv(call!(C_GetTokenInfo(0, nul())), BAD, "C_GetTokenInfo(NULL)");
    c.rv(
        call!(C_GetMechanismList(0, nul(), nul())),
        BAD,
        "C_GetMechanismList(pulCount NULL)",
    );
    c.rv(
        call!(C_GetMechanismInfo(0, CKM_SHA256, nul())),
        BAD,
        "C_GetMechanismInfo(NULL)",
    );
    c.rv(
        call!(C_OpenSession(0, CKF_SERIAL_SESSION, nul(), None, nul())),
        BAD,
        "C_OpenSession(phSession NULL)",
    );
    c.rv(
        call!(C_GetSessionInfo(st.h, nul())),
        BAD,
        "C_GetSessionInfo(NULL)",
    );
    c.rv(
        call!(C_GetSessionValidationFlags(
            st.h,
            CKS_LAST_VALIDATION_OK,
            nul()
        )),
        BAD,
        "C_GetSessionValidationFlags(NULL)",
    );
    c.finish();
}

#[test]
fn init_token_rejects_null_without_sessions() {
    let mut c = Checks::new();
    let fx = Fixture::new();
    // C_InitToken with any open session is CKR_SESSION_EXISTS, so no session here.
    let mut label = [b' '; 32];
    let mut pin = *b"abcdef654321";
    c.rv(
        call!(C_InitToken(fx.slot.id(), NUL, 12, label.as_mut_ptr())),
        BAD,
        "C_InitToken(pPin NULL, 12)",
    );
    c.rv(
        call!(C_InitToken(fx.slot.id(), pin.as_mut_ptr(), 12, NUL)),
        BAD,
        "C_InitToken(pLabel NULL)",
    );
    c.finish();
}

#[test]
fn pin_and_login_functions_reject_null() {
    let mut c = Checks::new();
    let fx = Fixture::new();
    let s = fx.rw_session();
    let h = s.handle();
    c.rv(
        call!(C_Login(h, CKU_USER, NUL, 8)),
        BAD,
        "C_Login(pPin NULL, 8)",
    );
    let so = fx.so_session();
    c.rv(
        call!(C_InitPIN(so.handle(), NUL, 8)),
        BAD,
        "C_InitPIN(pPin NULL, 8)",
    );
    let mut pin = *b"abcdef654321";
    c.rv(
        call!(C_SetPIN(so.handle(), NUL, 12, pin.as_mut_ptr(), 12)),
        BAD,
        "C_SetPIN(pOldPin NULL)",
    );
    c.rv(
        call!(C_SetPIN(so.handle(), pin.as_mut_ptr(), 12, NUL, 12)),
        BAD,
        "C_SetPIN(pNewPin NULL)",
    );
    c.finish();
}

#[test]
fn object_functions_reject_null() {
    let mut c = Checks::new();
    let st = setup();
    let h = st.h;
    let mut obj: CK_OBJECT_HANDLE = 0;
    let mut t = Template::new(vec![
        Attribute::Class(cryptoki::object::ObjectClass::DATA),
        Attribute::Token(false),
    ]);
    c.rv(
        call!(C_CreateObject(h, nul(), 2, &mut obj)),
        BAD,
        "C_CreateObject(pTemplate NULL, 2)",
    );
    c.rv(
        call!(C_CreateObject(h, t.ptr(), t.len(), nul())),
        BAD,
        "C_CreateObject(phObject NULL)",
    );
    // A NULL template of length 0 is an empty template: no CKA_CLASS.
    c.one_of(
        call!(C_CreateObject(h, nul(), 0, &mut obj)),
        &[CKR_TEMPLATE_INCOMPLETE, BAD],
        "C_CreateObject(NULL, 0)",
    );
    c.one_of(
        call!(C_GetAttributeValue(h, st.data, nul(), 0)),
        &[CKR_OK, BAD],
        "C_GetAttributeValue(NULL, 0)",
    );
    // An attribute whose pValue is NULL but whose length says 8 bytes.
    let mut lying = [CK_ATTRIBUTE {
        type_: CKA_CLASS,
        pValue: ptr::null_mut(),
        ulValueLen: 8,
    }];
    c.one_of(
        call!(C_CreateObject(h, lying.as_mut_ptr(), 1, &mut obj)),
        &[CKR_ARGUMENTS_BAD, CKR_ATTRIBUTE_VALUE_INVALID],
        "C_CreateObject with an attribute pValue NULL, ulValueLen 8",
    );
    c.rv(
        call!(C_CopyObject(h, st.data, nul(), 1, &mut obj)),
        BAD,
        "C_CopyObject(pTemplate NULL, 1)",
    );
    c.rv(
        call!(C_CopyObject(h, st.data, t.ptr(), 0, nul())),
        BAD,
        "C_CopyObject(phNewObject NULL)",
    );
    c.rv(
        call!(C_GetObjectSize(h, st.data, nul())),
        BAD,
        "C_GetObjectSize(NULL)",
    );
    c.rv(
        call!(C_GetAttributeValue(h, st.data, nul(), 1)),
        BAD,
        "C_GetAttributeValue(pTemplate NULL, 1)",
    );
    c.rv(
        call!(C_SetAttributeValue(h, st.data, nul(), 1)),
        BAD,
        "C_SetAttributeValue(pTemplate NULL, 1)",
    );
    c.rv(
        call!(C_FindObjectsInit(h, nul(), 1)),
        BAD,
        "C_FindObjectsInit(pTemplate NULL, 1)",
    );

    c.rv(
        call!(C_FindObjectsInit(h, nul(), 0)),
        CKR_OK,
        "C_FindObjectsInit(NULL, 0) finds everything",
    );
    let mut n: CK_ULONG = 0;
    let mut found = [0 as CK_OBJECT_HANDLE; 8];
    c.rv(
        call!(C_FindObjects(h, nul(), 8, &mut n)),
        BAD,
        "C_FindObjects(phObject NULL)",
    );
    c.rv(
        call!(C_FindObjects(h, found.as_mut_ptr(), 8, nul())),
        BAD,
        "C_FindObjects(pulObjectCount NULL)",
    );
    // C_FindObjects errors do not end the search.
    c.rv(
        call!(C_FindObjects(h, found.as_mut_ptr(), 8, &mut n)),
        CKR_OK,
        "C_FindObjects after the NULL calls",
    );
    assert!(n >= 3, "C_FindObjects found {n} objects, the setup made 3");
    c.rv(call!(C_FindObjectsFinal(h)), CKR_OK, "C_FindObjectsFinal");
    c.finish();
}

/// Runs an `*Init` that must succeed because the previous call failed with
/// CKR_ARGUMENTS_BAD, which ends the operation. When the module kept the
/// operation, records that, ends it by hand and runs the `*Init` again so
/// the remaining checks still run.
macro_rules! init_ok {
    ($c:expr, $h:expr, $init:expr, $what:expr $(,)?) => {{
        let rv = $init;
        if rv == CKR_OPERATION_ACTIVE {
            $c.rv(
                rv,
                CKR_OK,
                &format!("{} (CKR_ARGUMENTS_BAD must end the operation)", $what),
            );
            end_operations($h);
            $c.rv($init, CKR_OK, $what);
        } else {
            $c.rv(rv, CKR_OK, $what);
        }
    }};
}

/// Ends whatever operations are active on `h`, ignoring the results.
fn end_operations(h: CK_SESSION_HANDLE) {
    let mut out = [0u8; 64];
    let mut len: CK_ULONG = 64;
    call!(C_EncryptFinal(h, out.as_mut_ptr(), &mut len));
    len = 64;
    call!(C_DecryptFinal(h, out.as_mut_ptr(), &mut len));
    len = 64;
    call!(C_DigestFinal(h, out.as_mut_ptr(), &mut len));
    len = 64;
    call!(C_SignFinal(h, out.as_mut_ptr(), &mut len));
    call!(C_VerifyFinal(h, out.as_mut_ptr(), 32));
    call!(C_VerifySignatureFinal(h));
}

#[test]
fn encrypt_functions_reject_null() {
    let mut c = Checks::new();
    let st = setup();
    let (h, key) = (st.h, st.aes);
    let mut m = Mech::new(CKM_AES_ECB);
    let mut data = [0u8; 16];
    let mut out = [0u8; 32];
    let mut len: CK_ULONG = 32;
    c.rv(
        call!(C_EncryptInit(h, nul(), key)),
        BAD,
        "C_EncryptInit(pMechanism NULL)",
    );
    init_ok!(c, h, call!(C_EncryptInit(h, m.ptr(), key)), "C_EncryptInit");
    c.rv(
        call!(C_Encrypt(h, NUL, 16, out.as_mut_ptr(), &mut len)),
        BAD,
        "C_Encrypt(pData NULL, 16)",
    );
    init_ok!(c, h, call!(C_EncryptInit(h, m.ptr(), key)), "C_EncryptInit");
    c.rv(
        call!(C_Encrypt(h, data.as_mut_ptr(), 16, out.as_mut_ptr(), nul())),
        BAD,
        "C_Encrypt(pulLen NULL)",
    );
    init_ok!(c, h, call!(C_EncryptInit(h, m.ptr(), key)), "C_EncryptInit");
    c.rv(
        call!(C_EncryptUpdate(h, NUL, 16, out.as_mut_ptr(), &mut len)),
        BAD,
        "C_EncryptUpdate(pPart NULL, 16)",
    );
    init_ok!(c, h, call!(C_EncryptInit(h, m.ptr(), key)), "C_EncryptInit");
    c.rv(
        call!(C_EncryptUpdate(
            h,
            data.as_mut_ptr(),
            16,
            out.as_mut_ptr(),
            nul()
        )),
        BAD,
        "C_EncryptUpdate(pulLen NULL)",
    );
    init_ok!(c, h, call!(C_EncryptInit(h, m.ptr(), key)), "C_EncryptInit");
    c.rv(
        call!(C_EncryptFinal(h, out.as_mut_ptr(), nul())),
        BAD,
        "C_EncryptFinal(pulLen NULL)",
    );
    init_ok!(
        c,
        h,
        call!(C_EncryptInit(h, m.ptr(), key)),
        "C_EncryptInit after C_EncryptFinal(NULL)",
    );
    c.finish();
}

#[test]
fn decrypt_functions_reject_null() {
    let mut c = Checks::new();
    let st = setup();
    let (h, key) = (st.h, st.aes);
    let mut m = Mech::new(CKM_AES_ECB);
    let mut data = [0u8; 16];
    let mut out = [0u8; 32];
    let mut len: CK_ULONG = 32;
    c.rv(
        call!(C_DecryptInit(h, nul(), key)),
        BAD,
        "C_DecryptInit(pMechanism NULL)",
    );
    init_ok!(c, h, call!(C_DecryptInit(h, m.ptr(), key)), "C_DecryptInit");
    c.rv(
        call!(C_Decrypt(h, NUL, 16, out.as_mut_ptr(), &mut len)),
        BAD,
        "C_Decrypt(pEncryptedData NULL, 16)",
    );
    init_ok!(c, h, call!(C_DecryptInit(h, m.ptr(), key)), "C_DecryptInit");
    c.rv(
        call!(C_Decrypt(h, data.as_mut_ptr(), 16, out.as_mut_ptr(), nul())),
        BAD,
        "C_Decrypt(pulLen NULL)",
    );
    init_ok!(c, h, call!(C_DecryptInit(h, m.ptr(), key)), "C_DecryptInit");
    c.rv(
        call!(C_DecryptUpdate(h, NUL, 16, out.as_mut_ptr(), &mut len)),
        BAD,
        "C_DecryptUpdate(pPart NULL, 16)",
    );
    init_ok!(c, h, call!(C_DecryptInit(h, m.ptr(), key)), "C_DecryptInit");
    c.rv(
        call!(C_DecryptUpdate(
            h,
            data.as_mut_ptr(),
            16,
            out.as_mut_ptr(),
            nul()
        )),
        BAD,
        "C_DecryptUpdate(pulLen NULL)",
    );
    init_ok!(c, h, call!(C_DecryptInit(h, m.ptr(), key)), "C_DecryptInit");
    c.rv(
        call!(C_DecryptFinal(h, out.as_mut_ptr(), nul())),
        BAD,
        "C_DecryptFinal(pulLen NULL)",
    );
    init_ok!(
        c,
        h,
        call!(C_DecryptInit(h, m.ptr(), key)),
        "C_DecryptInit after C_DecryptFinal(NULL)",
    );
    c.finish();
}

#[test]
fn digest_functions_reject_null() {
    let mut c = Checks::new();
    let st = setup();
    let h = st.h;
    let mut m = Mech::new(CKM_SHA256);
    let mut data = *b"abc";
    let mut out = [0u8; 32];
    let mut len: CK_ULONG = 32;
    c.rv(
        call!(C_DigestInit(h, nul())),
        BAD,
        "C_DigestInit(pMechanism NULL)",
    );
    init_ok!(c, h, call!(C_DigestInit(h, m.ptr())), "C_DigestInit");
    c.rv(
        call!(C_Digest(h, NUL, 3, out.as_mut_ptr(), &mut len)),
        BAD,
        "C_Digest(pData NULL, 3)",
    );
    init_ok!(c, h, call!(C_DigestInit(h, m.ptr())), "C_DigestInit");
    c.rv(
        call!(C_Digest(h, data.as_mut_ptr(), 3, out.as_mut_ptr(), nul())),
        BAD,
        "C_Digest(pulDigestLen NULL)",
    );
    init_ok!(c, h, call!(C_DigestInit(h, m.ptr())), "C_DigestInit");
    c.rv(
        call!(C_DigestUpdate(h, NUL, 3)),
        BAD,
        "C_DigestUpdate(pPart NULL, 3)",
    );
    init_ok!(c, h, call!(C_DigestInit(h, m.ptr())), "C_DigestInit");
    c.rv(
        call!(C_DigestFinal(h, out.as_mut_ptr(), nul())),
        BAD,
        "C_DigestFinal(pulDigestLen NULL)",
    );
    init_ok!(
        c,
        h,
        call!(C_DigestInit(h, m.ptr())),
        "C_DigestInit after C_DigestFinal(NULL)",
    );
    c.finish();
}

#[test]
fn sign_and_verify_functions_reject_null() {
    let mut c = Checks::new();
    let st = setup();
    let (h, key) = (st.h, st.mac);
    let mut m = Mech::new(CKM_SHA256_HMAC);
    let mut data = *b"abc";
    let mut sig = [0u8; 32];
    let mut len: CK_ULONG = 32;
    c.rv(
        call!(C_SignInit(h, nul(), key)),
        BAD,
        "C_SignInit(pMechanism NULL)",
    );
    init_ok!(c, h, call!(C_SignInit(h, m.ptr(), key)), "C_SignInit");
    c.rv(
        call!(C_Sign(h, NUL, 3, sig.as_mut_ptr(), &mut len)),
        BAD,
        "C_Sign(pData NULL, 3)",
    );
    init_ok!(c, h, call!(C_SignInit(h, m.ptr(), key)), "C_SignInit");
    c.rv(
        call!(C_Sign(h, data.as_mut_ptr(), 3, sig.as_mut_ptr(), nul())),
        BAD,
        "C_Sign(pulSignatureLen NULL)",
    );
    init_ok!(c, h, call!(C_SignInit(h, m.ptr(), key)), "C_SignInit");
    c.rv(
        call!(C_SignUpdate(h, NUL, 3)),
        BAD,
        "C_SignUpdate(pPart NULL, 3)",
    );
    init_ok!(c, h, call!(C_SignInit(h, m.ptr(), key)), "C_SignInit");
    c.rv(
        call!(C_SignFinal(h, sig.as_mut_ptr(), nul())),
        BAD,
        "C_SignFinal(pulSignatureLen NULL)",
    );

    c.rv(
        call!(C_VerifyInit(h, nul(), key)),
        BAD,
        "C_VerifyInit(pMechanism NULL)",
    );
    init_ok!(c, h, call!(C_VerifyInit(h, m.ptr(), key)), "C_VerifyInit");
    c.rv(
        call!(C_Verify(h, NUL, 3, sig.as_mut_ptr(), 32)),
        BAD,
        "C_Verify(pData NULL, 3)",
    );
    init_ok!(c, h, call!(C_VerifyInit(h, m.ptr(), key)), "C_VerifyInit");
    c.rv(
        call!(C_Verify(h, data.as_mut_ptr(), 3, NUL, 32)),
        BAD,
        "C_Verify(pSignature NULL, 32)",
    );
    init_ok!(c, h, call!(C_VerifyInit(h, m.ptr(), key)), "C_VerifyInit");
    c.rv(
        call!(C_VerifyUpdate(h, NUL, 3)),
        BAD,
        "C_VerifyUpdate(pPart NULL, 3)",
    );
    init_ok!(c, h, call!(C_VerifyInit(h, m.ptr(), key)), "C_VerifyInit");
    c.rv(
        call!(C_VerifyFinal(h, NUL, 32)),
        BAD,
        "C_VerifyFinal(pSignature NULL, 32)",
    );

    c.rv(
        call!(C_VerifySignatureInit(h, nul(), key, sig.as_mut_ptr(), 32)),
        BAD,
        "C_VerifySignatureInit(pMechanism NULL)",
    );
    c.rv(
        call!(C_VerifySignatureInit(h, m.ptr(), key, NUL, 32)),
        BAD,
        "C_VerifySignatureInit(pSignature NULL, 32)",
    );
    init_ok!(
        c,
        h,
        call!(C_VerifySignatureInit(h, m.ptr(), key, sig.as_mut_ptr(), 32)),
        "C_VerifySignatureInit",
    );
    c.rv(
        call!(C_VerifySignature(h, NUL, 3)),
        BAD,
        "C_VerifySignature(pData NULL, 3)",
    );
    init_ok!(
        c,
        h,
        call!(C_VerifySignatureInit(h, m.ptr(), key, sig.as_mut_ptr(), 32)),
        "C_VerifySignatureInit",
    );
    c.rv(
        call!(C_VerifySignatureUpdate(h, NUL, 3)),
        BAD,
        "C_VerifySignatureUpdate(pPart NULL, 3)",
    );
    init_ok!(
        c,
        h,
        call!(C_VerifySignatureInit(h, m.ptr(), key, sig.as_mut_ptr(), 32)),
        "C_VerifySignatureInit",
    );
    c.finish();
}

#[test]
fn key_functions_reject_null() {
    let mut c = Checks::new();
    let st = setup();
    let (h, key) = (st.h, st.aes);
    let mut gen = Mech::new(CKM_AES_KEY_GEN);
    let mut kw = Mech::new(CKM_AES_KEY_WRAP);
    let mut t = Template::new(vec![
        Attribute::ValueLen(16.into()),
        Attribute::Token(false),
    ]);
    let mut out = [0u8; 64];
    let mut len: CK_ULONG = 64;
    let mut k: CK_OBJECT_HANDLE = 0;
    let mut k2: CK_OBJECT_HANDLE = 0;

    c.rv(
        call!(C_GenerateKey(h, nul(), t.ptr(), t.len(), &mut k)),
        BAD,
        "C_GenerateKey(pMechanism NULL)",
    );
    c.rv(
        call!(C_GenerateKey(h, gen.ptr(), nul(), 2, &mut k)),
        BAD,
        "C_GenerateKey(pTemplate NULL, 2)",
    );
    c.one_of(
        call!(C_GenerateKey(h, gen.ptr(), nul(), 0, &mut k)),
        &[CKR_TEMPLATE_INCOMPLETE, BAD],
        "C_GenerateKey(AES, NULL, 0): no CKA_VALUE_LEN",
    );
    c.rv(
        call!(C_GenerateKey(h, gen.ptr(), t.ptr(), t.len(), nul())),
        BAD,
        "C_GenerateKey(phKey NULL)",
    );

    let mut kp = Mech::new(CKM_EC_KEY_PAIR_GEN);
    c.rv(
        call!(C_GenerateKeyPair(
            h,
            nul(),
            nul(),
            0,
            nul(),
            0,
            &mut k,
            &mut k2
        )),
        BAD,
        "C_GenerateKeyPair(pMechanism NULL)",
    );
    c.rv(
        call!(C_GenerateKeyPair(
            h,
            kp.ptr(),
            nul(),
            0,
            nul(),
            0,
            nul(),
            &mut k2
        )),
        BAD,
        "C_GenerateKeyPair(phPublicKey NULL)",
    );
    c.rv(
        call!(C_GenerateKeyPair(
            h,
            kp.ptr(),
            nul(),
            0,
            nul(),
            0,
            &mut k,
            nul()
        )),
        BAD,
        "C_GenerateKeyPair(phPrivateKey NULL)",
    );

    c.rv(
        call!(C_WrapKey(h, nul(), key, key, out.as_mut_ptr(), &mut len)),
        BAD,
        "C_WrapKey(pMechanism NULL)",
    );
    c.rv(
        call!(C_WrapKey(h, kw.ptr(), key, key, out.as_mut_ptr(), nul())),
        BAD,
        "C_WrapKey(pulWrappedKeyLen NULL)",
    );

    let mut ut = Template::new(vec![
        Attribute::Class(cryptoki::object::ObjectClass::SECRET_KEY),
        Attribute::KeyType(cryptoki::object::KeyType::AES),
        Attribute::Token(false),
    ]);
    let mut wrapped = [0u8; 24];
    c.rv(
        call!(C_UnwrapKey(
            h,
            nul(),
            key,
            wrapped.as_mut_ptr(),
            24,
            ut.ptr(),
            ut.len(),
            &mut k
        )),
        BAD,
        "C_UnwrapKey(pMechanism NULL)",
    );
    c.rv(
        call!(C_UnwrapKey(
            h,
            kw.ptr(),
            key,
            NUL,
            24,
            ut.ptr(),
            ut.len(),
            &mut k
        )),
        BAD,
        "C_UnwrapKey(pWrappedKey NULL, 24)",
    );
    c.rv(
        call!(C_UnwrapKey(
            h,
            kw.ptr(),
            key,
            wrapped.as_mut_ptr(),
            24,
            nul(),
            3,
            &mut k
        )),
        BAD,
        "C_UnwrapKey(pTemplate NULL, 3)",
    );
    c.rv(
        call!(C_UnwrapKey(
            h,
            kw.ptr(),
            key,
            wrapped.as_mut_ptr(),
            24,
            ut.ptr(),
            ut.len(),
            nul()
        )),
        BAD,
        "C_UnwrapKey(phKey NULL)",
    );

    let mut dm = Mech::new(CKM_SHA256_KEY_DERIVATION);
    c.rv(
        call!(C_DeriveKey(h, nul(), key, t.ptr(), t.len(), &mut k)),
        BAD,
        "C_DeriveKey(pMechanism NULL)",
    );
    c.rv(
        call!(C_DeriveKey(h, dm.ptr(), key, t.ptr(), t.len(), nul())),
        BAD,
        "C_DeriveKey(phKey NULL)",
    );
    c.rv(
        call!(C_DigestInit(h, Mech::new(CKM_SHA256).ptr())),
        CKR_OK,
        "C_DigestInit before C_DigestKey",
    );
    c.rv(
        call!(C_DigestKey(h, CK_INVALID_HANDLE)),
        CKR_KEY_HANDLE_INVALID,
        "C_DigestKey(CK_INVALID_HANDLE)",
    );
    // Key encapsulation arrives with the PQC mechanisms: until then not
    // offered; once offered, NULL pointers are CKR_ARGUMENTS_BAD.
    let kem_rvs = [CKR_ARGUMENTS_BAD, CKR_FUNCTION_NOT_SUPPORTED];
    c.one_of(
        call!(C_EncapsulateKey(h, nul(), key, nul(), 0, NUL, nul(), nul())),
        &kem_rvs,
        "C_EncapsulateKey(all NULL)",
    );
    c.one_of(
        call!(C_DecapsulateKey(h, nul(), key, nul(), 0, NUL, 0, nul())),
        &kem_rvs,
        "C_DecapsulateKey(all NULL)",
    );
    c.finish();
}

#[test]
fn random_functions_reject_null() {
    let mut c = Checks::new();
    let st = setup();
    c.rv(
        call!(C_SeedRandom(st.h, NUL, 16)),
        BAD,
        "C_SeedRandom(pSeed NULL, 16)",
    );
    c.rv(
        call!(C_GenerateRandom(st.h, NUL, 16)),
        BAD,
        "C_GenerateRandom(pRandomData NULL, 16)",
    );
    c.finish();
}

#[test]
fn functions_not_offered_say_so_even_with_null_pointers() {
    let mut c = Checks::new();
    let st = setup();
    let (h, key) = (st.h, st.aes);
    let ns = CKR_FUNCTION_NOT_SUPPORTED;
    let v: *mut c_void = ptr::null_mut();
    let results: Vec<(&str, CK_RV)> = vec![
        (
            "C_GetOperationState",
            call!(C_GetOperationState(h, NUL, nul())),
        ),
        (
            "C_SetOperationState",
            call!(C_SetOperationState(h, NUL, 0, 0, 0)),
        ),
        ("C_SignRecoverInit", call!(C_SignRecoverInit(h, nul(), key))),
        ("C_SignRecover", call!(C_SignRecover(h, NUL, 0, NUL, nul()))),
        (
            "C_VerifyRecoverInit",
            call!(C_VerifyRecoverInit(h, nul(), key)),
        ),
        (
            "C_VerifyRecover",
            call!(C_VerifyRecover(h, NUL, 0, NUL, nul())),
        ),
        (
            "C_DigestEncryptUpdate",
            call!(C_DigestEncryptUpdate(h, NUL, 0, NUL, nul())),
        ),
        (
            "C_DecryptDigestUpdate",
            call!(C_DecryptDigestUpdate(h, NUL, 0, NUL, nul())),
        ),
        (
            "C_SignEncryptUpdate",
            call!(C_SignEncryptUpdate(h, NUL, 0, NUL, nul())),
        ),
        (
            "C_DecryptVerifyUpdate",
            call!(C_DecryptVerifyUpdate(h, NUL, 0, NUL, nul())),
        ),
        (
            "C_WaitForSlotEvent",
            call!(C_WaitForSlotEvent(CKF_DONT_BLOCK, nul(), v)),
        ),
        (
            "C_LoginUser",
            call!(C_LoginUser(h, CKU_USER, NUL, 0, NUL, 0)),
        ),
        ("C_MessageSignInit", call!(C_MessageSignInit(h, nul(), key))),
        (
            "C_SignMessage",
            call!(C_SignMessage(h, v, 0, NUL, 0, NUL, nul())),
        ),
        ("C_SignMessageBegin", call!(C_SignMessageBegin(h, v, 0))),
        (
            "C_SignMessageNext",
            call!(C_SignMessageNext(h, v, 0, NUL, 0, NUL, nul())),
        ),
        ("C_MessageSignFinal", call!(C_MessageSignFinal(h))),
        (
            "C_MessageVerifyInit",
            call!(C_MessageVerifyInit(h, nul(), key)),
        ),
        (
            "C_VerifyMessage",
            call!(C_VerifyMessage(h, v, 0, NUL, 0, NUL, 0)),
        ),
        ("C_VerifyMessageBegin", call!(C_VerifyMessageBegin(h, v, 0))),
        (
            "C_VerifyMessageNext",
            call!(C_VerifyMessageNext(h, v, 0, NUL, 0, NUL, 0)),
        ),
        ("C_MessageVerifyFinal", call!(C_MessageVerifyFinal(h))),
        ("C_AsyncComplete", call!(C_AsyncComplete(h, NUL, nul()))),
        ("C_AsyncGetID", call!(C_AsyncGetID(h, NUL, nul()))),
        ("C_AsyncJoin", call!(C_AsyncJoin(h, NUL, 0, NUL, 0))),
        (
            "C_WrapKeyAuthenticated",
            call!(C_WrapKeyAuthenticated(
                h,
                nul(),
                key,
                key,
                NUL,
                0,
                NUL,
                nul()
            )),
        ),
        (
            "C_UnwrapKeyAuthenticated",
            call!(C_UnwrapKeyAuthenticated(
                h,
                nul(),
                key,
                NUL,
                0,
                nul(),
                0,
                NUL,
                0,
                nul()
            )),
        ),
    ];
    let bad: Vec<String> = results
        .iter()
        .filter(|(_, rv)| *rv != ns)
        .map(|(n, rv)| format!("{n} → {}", qrc_conformance::rv_name(*rv)))
        .collect();
    assert!(
        bad.is_empty(),
        "functions not offered must return CKR_FUNCTION_NOT_SUPPORTED: {bad:#?}"
    );

    // Legacy parallel-function calls: the standard fixes CKR_FUNCTION_NOT_PARALLEL.
    c.rv(
        call!(C_GetFunctionStatus(h)),
        CKR_FUNCTION_NOT_PARALLEL,
        "C_GetFunctionStatus",
    );
    c.rv(
        call!(C_CancelFunction(h)),
        CKR_FUNCTION_NOT_PARALLEL,
        "C_CancelFunction",
    );
    c.finish();
}

/// The message-based encryption functions (CKM_AES_GCM): a NULL mechanism
/// ends the process (CKR_OK), a NULL parameter or length pointer is
/// CKR_ARGUMENTS_BAD, and a failed C_*MessageNext leaves the process usable.
#[test]
fn message_encryption_rejects_null() {
    let mut c = Checks::new();
    let st = setup();
    let (h, key) = (st.h, st.aes);
    let v: *mut c_void = ptr::null_mut();
    c.rv(
        call!(C_MessageEncryptInit(h, nul(), key)),
        CKR_OK,
        "C_MessageEncryptInit(NULL)",
    );
    c.rv(
        call!(C_MessageDecryptInit(h, nul(), key)),
        CKR_OK,
        "C_MessageDecryptInit(NULL)",
    );
    c.rv(
        call!(C_MessageEncryptInit(h, Mech::new(CKM_AES_GCM).ptr(), key)),
        CKR_OK,
        "C_MessageEncryptInit",
    );
    c.rv(
        call!(C_MessageDecryptInit(h, Mech::new(CKM_AES_GCM).ptr(), key)),
        CKR_OK,
        "C_MessageDecryptInit",
    );
    c.rv(
        call!(C_EncryptMessage(h, v, 0, NUL, 0, NUL, 0, NUL, nul())),
        BAD,
        "C_EncryptMessage(NULL)",
    );
    c.rv(
        call!(C_EncryptMessageBegin(h, v, 0, NUL, 0)),
        BAD,
        "C_EncryptMessageBegin(NULL)",
    );
    c.rv(
        call!(C_EncryptMessageNext(h, v, 0, NUL, 0, NUL, nul(), 0)),
        BAD,
        "C_EncryptMessageNext(NULL)",
    );
    c.rv(
        call!(C_DecryptMessage(h, v, 0, NUL, 0, NUL, 0, NUL, nul())),
        BAD,
        "C_DecryptMessage(NULL)",
    );
    c.rv(
        call!(C_DecryptMessageBegin(h, v, 0, NUL, 0)),
        BAD,
        "C_DecryptMessageBegin(NULL)",
    );
    c.rv(
        call!(C_DecryptMessageNext(h, v, 0, NUL, 0, NUL, nul(), 0)),
        BAD,
        "C_DecryptMessageNext(NULL)",
    );
    c.rv(
        call!(C_MessageEncryptFinal(h)),
        CKR_OK,
        "C_MessageEncryptFinal",
    );
    c.rv(
        call!(C_MessageDecryptFinal(h)),
        CKR_OK,
        "C_MessageDecryptFinal",
    );
    c.rv(
        call!(C_MessageEncryptFinal(h)),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_MessageEncryptFinal again",
    );
    c.finish();
}
