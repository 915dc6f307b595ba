//! Every kind of operation has a slot of its own in a session. PKCS#11 ends
//! an operation on any error but CKR_BUFFER_TOO_SMALL; the error must end
//! exactly the operation it belongs to and leave the others running (C_Verify*
//! and the 3.2 C_VerifySignature* in particular are separate operations).

use cryptoki::mechanism::Mechanism;
use cryptoki::object::ObjectHandle;
use cryptoki::session::Session;
use cryptoki_sys::*;
use qrc_conformance::{call, expect_err, expect_ok, expect_rv, keys, Fixture};
use std::ptr::null_mut;

const KEY: &[u8] = b"operation slot key";
const MSG: &[u8] = b"one message, signed and verified";
const HMAC: Mechanism = Mechanism::Sha256Hmac;

/// An HMAC key, the message's MAC, and that MAC with one bit flipped.
fn hmac_key(s: &Session) -> (ObjectHandle, Vec<u8>, Vec<u8>) {
    let key = keys::obj(keys::generic(s, KEY, vec![]));
    let mac = expect_ok(s.sign(&HMAC, key, MSG), "C_Sign");
    let mut bad = mac.clone();
    bad[0] ^= 1;
    (key, mac, bad)
}

/// A C_SignFinal that fails in the module's argument checks (NULL length
/// pointer), after the sign operation has begun.
fn failing_sign(s: &Session, key: ObjectHandle) {
    expect_ok(s.sign_init(&HMAC, key), "C_SignInit");
    let rv = call!(C_SignFinal(s.handle(), null_mut(), null_mut()));
    expect_rv(
        rv,
        CKR_ARGUMENTS_BAD,
        "C_SignFinal with a NULL length pointer",
    );
    expect_err(
        s.sign_update(MSG),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_SignUpdate after the failed C_SignFinal",
    );
}

#[test]
fn failed_verify_leaves_verify_signature_running() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let (key, mac, bad) = hmac_key(&s);
    expect_ok(
        s.verify_signature_init(&HMAC, key, &mac),
        "C_VerifySignatureInit",
    );
    expect_err(
        s.verify(&HMAC, key, MSG, &bad),
        CKR_SIGNATURE_INVALID,
        "C_VerifyInit + C_Verify with a bad MAC",
    );
    expect_ok(
        s.verify_signature(MSG),
        "C_VerifySignature after a failed C_Verify",
    );
}

#[test]
fn failed_verify_signature_leaves_verify_running() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let (key, mac, bad) = hmac_key(&s);
    expect_ok(s.verify_init(&HMAC, key), "C_VerifyInit");
    expect_ok(s.verify_update(MSG), "C_VerifyUpdate");
    expect_ok(
        s.verify_signature_init(&HMAC, key, &bad),
        "C_VerifySignatureInit (bad MAC)",
    );
    expect_err(
        s.verify_signature(MSG),
        CKR_SIGNATURE_INVALID,
        "C_VerifySignature with a bad MAC",
    );
    expect_ok(
        s.verify_final(&mac),
        "C_VerifyFinal after a failed C_VerifySignature",
    );
}

#[test]
fn failed_sign_leaves_verifications_running() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let (key, mac, _) = hmac_key(&s);
    expect_ok(s.verify_init(&HMAC, key), "C_VerifyInit");
    expect_ok(s.verify_update(MSG), "C_VerifyUpdate");
    expect_ok(
        s.verify_signature_init(&HMAC, key, &mac),
        "C_VerifySignatureInit",
    );
    failing_sign(&s, key);
    expect_ok(s.verify_final(&mac), "C_VerifyFinal after a failed sign");
    expect_ok(
        s.verify_signature(MSG),
        "C_VerifySignature after a failed sign",
    );
}

#[test]
fn failed_verifications_leave_sign_running() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let (key, mac, bad) = hmac_key(&s);
    expect_ok(s.sign_init(&HMAC, key), "C_SignInit");
    expect_ok(s.sign_update(MSG), "C_SignUpdate");
    expect_err(
        s.verify(&HMAC, key, MSG, &bad),
        CKR_SIGNATURE_INVALID,
        "C_Verify with a bad MAC",
    );
    expect_ok(
        s.verify_signature_init(&HMAC, key, &bad),
        "C_VerifySignatureInit (bad MAC)",
    );
    expect_err(
        s.verify_signature(MSG),
        CKR_SIGNATURE_INVALID,
        "C_VerifySignature with a bad MAC",
    );
    let signed = expect_ok(s.sign_final(), "C_SignFinal after failed verifications");
    assert_eq!(signed, mac, "the running sign operation's MAC");
}

#[test]
fn session_cancel_ends_the_named_operations_only() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let (key, mac, _) = hmac_key(&s);
    expect_ok(s.verify_init(&HMAC, key), "C_VerifyInit");
    expect_ok(
        s.verify_signature_init(&HMAC, key, &mac),
        "C_VerifySignatureInit",
    );
    expect_ok(s.sign_init(&HMAC, key), "C_SignInit");
    let rv = call!(C_SessionCancel(s.handle(), CKF_SIGN));
    expect_rv(rv, CKR_OK, "C_SessionCancel(CKF_SIGN)");
    expect_err(
        s.sign_update(MSG),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_SignUpdate after C_SessionCancel(CKF_SIGN)",
    );
    expect_ok(s.verify_update(MSG), "C_VerifyUpdate");
    // PKCS#11 3.2 has no flag of its own for C_VerifySignature*: CKF_VERIFY
    // names both verifications.
    let rv = call!(C_SessionCancel(s.handle(), CKF_VERIFY));
    expect_rv(rv, CKR_OK, "C_SessionCancel(CKF_VERIFY)");
    expect_err(
        s.verify_final(&mac),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_VerifyFinal after C_SessionCancel(CKF_VERIFY)",
    );
    expect_err(
        s.verify_signature(MSG),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_VerifySignature after C_SessionCancel(CKF_VERIFY)",
    );
}
