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

/// The operations under test, each with a slot of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Sign,
    Verify,
    VerifySignature,
}

const KINDS: [Kind; 3] = [Kind::Sign, Kind::Verify, Kind::VerifySignature];

/// An HMAC key, the message's MAC, and that MAC with one bit flipped.
struct Key {
    key: ObjectHandle,
    mac: Vec<u8>,
    bad: Vec<u8>,
}

impl Key {
    fn new(s: &Session) -> Key {
        let key = keys::obj(keys::generic(s, KEY, vec![]));
        let mac = expect_ok(s.sign(&HMAC, key, MSG), "C_Sign");
        let mut bad = mac.clone();
        bad[0] ^= 1;
        Key { key, mac, bad }
    }

    /// Begin a multi-part operation and give it the whole message.
    fn start(&self, s: &Session, kind: Kind) {
        let what = format!("{kind:?}: init and update");
        let r = match kind {
            Kind::Sign => s
                .sign_init(&HMAC, self.key)
                .and_then(|()| s.sign_update(MSG)),
            Kind::Verify => s
                .verify_init(&HMAC, self.key)
                .and_then(|()| s.verify_update(MSG)),
            Kind::VerifySignature => s
                .verify_signature_init(&HMAC, self.key, &self.mac)
                .and_then(|()| s.verify_signature_update(MSG)),
        };
        expect_ok(r, &what);
    }

    /// Finish the operation begun by [`Key::start`]: it must still run.
    fn finish(&self, s: &Session, kind: Kind, after: Kind) {
        let what = format!("{kind:?} final after a failed {after:?}");
        match kind {
            Kind::Sign => assert_eq!(expect_ok(s.sign_final(), &what), self.mac, "{what}"),
            Kind::Verify => expect_ok(s.verify_final(&self.mac), &what),
            Kind::VerifySignature => expect_ok(s.verify_signature_final(), &what),
        }
    }

    /// One whole operation of this kind that fails: a sign in the module's
    /// argument checks (NULL length pointer), a verification on a bad MAC.
    fn fail(&self, s: &Session, kind: Kind) {
        match kind {
            Kind::Sign => {
                expect_ok(s.sign_init(&HMAC, self.key), "C_SignInit");
                let rv = call!(C_SignFinal(s.handle(), null_mut(), null_mut()));
                expect_rv(rv, CKR_ARGUMENTS_BAD, "C_SignFinal(NULL, NULL)");
            }
            Kind::Verify => expect_err(
                s.verify(&HMAC, self.key, MSG, &self.bad),
                CKR_SIGNATURE_INVALID,
                "C_VerifyInit + C_Verify, bad MAC",
            ),
            Kind::VerifySignature => {
                let init = s.verify_signature_init(&HMAC, self.key, &self.bad);
                expect_ok(init, "C_VerifySignatureInit, bad MAC");
                let r = s.verify_signature(MSG);
                expect_err(r, CKR_SIGNATURE_INVALID, "C_VerifySignature, bad MAC");
            }
        }
    }
}

/// Each of sign, verify and verify-signature running while each other one
/// fails: the failure ends its own operation only.
#[test]
fn a_failed_operation_leaves_the_others_running() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let key = Key::new(&s);
    for running in KINDS {
        for failing in KINDS.into_iter().filter(|&k| k != running) {
            key.start(&s, running);
            key.fail(&s, failing);
            key.finish(&s, running, failing);
        }
    }
}

#[test]
fn session_cancel_ends_the_named_operations_only() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let key = Key::new(&s);
    for kind in KINDS {
        key.start(&s, kind);
    }
    let rv = call!(C_SessionCancel(s.handle(), CKF_SIGN));
    expect_rv(rv, CKR_OK, "C_SessionCancel(CKF_SIGN)");
    expect_err(
        s.sign_update(MSG),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_SignUpdate after C_SessionCancel(CKF_SIGN)",
    );
    expect_ok(
        s.verify_update(MSG),
        "C_VerifyUpdate after C_SessionCancel(CKF_SIGN)",
    );
    // PKCS#11 3.2 has no flag of its own for C_VerifySignature*: CKF_VERIFY
    // names both verifications.
    let rv = call!(C_SessionCancel(s.handle(), CKF_VERIFY));
    expect_rv(rv, CKR_OK, "C_SessionCancel(CKF_VERIFY)");
    expect_err(
        s.verify_final(&key.mac),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_VerifyFinal after C_SessionCancel(CKF_VERIFY)",
    );
    expect_err(
        s.verify_signature_final(),
        CKR_OPERATION_NOT_INITIALIZED,
        "C_VerifySignatureFinal after C_SessionCancel(CKF_VERIFY)",
    );
}
