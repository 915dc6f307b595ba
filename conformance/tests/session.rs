//! Sessions: states, login shared across sessions, object visibility,
//! session-object lifetime, read-only sessions.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::Attribute;
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::types::AuthPin;
use cryptoki_sys::*;
use qrc_conformance::raw;
use qrc_conformance::{
    call, expect_err, expect_ok, expect_one_of, expect_rv, keys, Fixture, SO_PIN, USER_PIN,
};
use std::ptr;

fn state(s: &Session) -> SessionState {
    expect_ok(s.get_session_info(), "C_GetSessionInfo").session_state()
}

fn labels(s: &Session, template: &[Attribute]) -> Vec<String> {
    let found = expect_ok(s.find_objects(template), "C_FindObjects");
    let mut out: Vec<String> = found
        .iter()
        .map(|o| {
            String::from_utf8_lossy(
                &raw::attr(s.handle(), o.handle(), CKA_LABEL).expect("CKA_LABEL"),
            )
            .into_owned()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn session_states_follow_login() {
    let fx = Fixture::new();
    let ro = fx.ro_session();
    let rw = fx.rw_session();
    assert_eq!(state(&ro), SessionState::RoPublic);
    assert_eq!(state(&rw), SessionState::RwPublic);
    let ri = expect_ok(ro.get_session_info(), "info");
    assert!(!ri.read_write());
    assert_eq!(ri.slot_id(), fx.slot);
    assert!(expect_ok(rw.get_session_info(), "info").read_write());

    expect_ok(
        ro.login(UserType::User, Some(&AuthPin::from(USER_PIN))),
        "user login in the RO session",
    );
    assert_eq!(state(&ro), SessionState::RoUser);
    assert_eq!(
        state(&rw),
        SessionState::RwUser,
        "login is per token, not per session"
    );
    expect_ok(rw.logout(), "logout from the other session");
    assert_eq!(state(&ro), SessionState::RoPublic);
    assert_eq!(state(&rw), SessionState::RwPublic);

    drop(ro);
    expect_ok(
        rw.login(UserType::So, Some(&AuthPin::from(SO_PIN))),
        "SO login",
    );
    assert_eq!(state(&rw), SessionState::RwSecurityOfficer);

    let mut info = CK_SESSION_INFO::default();
    expect_rv(
        call!(C_GetSessionInfo(rw.handle(), &mut info)),
        CKR_OK,
        "C_GetSessionInfo",
    );
    assert_eq!(info.state, CKS_RW_SO_FUNCTIONS);
    assert_ne!(info.flags & CKF_SERIAL_SESSION, 0, "CKF_SERIAL_SESSION");
    assert_ne!(info.flags & CKF_RW_SESSION, 0, "CKF_RW_SESSION");
    assert_eq!(info.ulDeviceError, 0);
}

#[test]
fn open_session_without_serial_flag_is_refused() {
    let fx = Fixture::new();
    let mut h: CK_SESSION_HANDLE = 0;
    expect_rv(
        call!(C_OpenSession(
            fx.slot.id(),
            CKF_RW_SESSION,
            ptr::null_mut(),
            None,
            &mut h
        )),
        CKR_SESSION_PARALLEL_NOT_SUPPORTED,
        "C_OpenSession without CKF_SERIAL_SESSION",
    );
}

#[test]
fn no_read_only_session_while_the_so_is_logged_in() {
    let fx = Fixture::new();
    let _so = fx.so_session();
    expect_err(
        fx.ctx.open_ro_session(fx.slot),
        CKR_SESSION_READ_WRITE_SO_EXISTS,
        "RO session while the SO is logged in",
    );
    let rw = fx.rw_session();
    assert_eq!(
        state(&rw),
        SessionState::RwSecurityOfficer,
        "a new RW session joins the SO login"
    );
}

#[test]
fn session_handles_are_distinct_and_die_when_closed() {
    let fx = Fixture::new();
    let sessions: Vec<Session> = (0..8).map(|_| fx.ro_session()).collect();
    let mut hs: Vec<CK_SESSION_HANDLE> = sessions.iter().map(Session::handle).collect();
    assert!(!hs.contains(&CK_INVALID_HANDLE), "a session got handle 0");
    hs.sort();
    hs.dedup();
    assert_eq!(hs.len(), 8, "session handles repeat");
    for s in sessions {
        let h = s.handle();
        expect_ok(s.close(), "C_CloseSession");
        let mut info = CK_SESSION_INFO::default();
        expect_rv(
            call!(C_GetSessionInfo(h, &mut info)),
            CKR_SESSION_HANDLE_INVALID,
            "closed session",
        );
    }
}

#[test]
fn closing_one_session_keeps_the_login_closing_the_last_logs_out() {
    let fx = Fixture::new();
    let a = fx.user_session();
    let b = fx.rw_session();
    expect_ok(a.close(), "close A");
    assert_eq!(
        state(&b),
        SessionState::RwUser,
        "closing one of two sessions logged out"
    );
    expect_ok(b.close(), "close B");
    let c = fx.rw_session();
    assert_eq!(
        state(&c),
        SessionState::RwPublic,
        "closing the last session must log out"
    );
}

#[test]
fn close_all_sessions() {
    let fx = Fixture::new();
    let a = fx.user_session();
    let b = fx.ro_session();
    keys::data(&a, "session-object", b"v", vec![]);
    let (ha, hb) = (a.handle(), b.handle());
    expect_rv(
        call!(C_CloseAllSessions(fx.slot.id())),
        CKR_OK,
        "C_CloseAllSessions",
    );
    for h in [ha, hb] {
        let mut info = CK_SESSION_INFO::default();
        expect_rv(
            call!(C_GetSessionInfo(h, &mut info)),
            CKR_SESSION_HANDLE_INVALID,
            "session after C_CloseAllSessions",
        );
    }
    drop((a, b)); // their own C_CloseSession now fails quietly
    let c = fx.rw_session();
    assert_eq!(
        state(&c),
        SessionState::RwPublic,
        "still logged in after C_CloseAllSessions"
    );
    expect_ok(
        c.login(UserType::User, Some(&AuthPin::from(USER_PIN))),
        "login",
    );
    assert!(
        labels(&c, &[]).is_empty(),
        "session objects survive C_CloseAllSessions"
    );
}

#[test]
fn login_and_private_objects_are_shared_across_sessions() {
    let fx = Fixture::new();
    let a = fx.user_session();
    let b = fx.ro_session();
    assert_eq!(state(&b), SessionState::RoUser);
    keys::data(&a, "private-session", b"p", vec![Attribute::Private(true)]);
    keys::data(
        &a,
        "private-token",
        b"p",
        vec![Attribute::Private(true), Attribute::Token(true)],
    );
    keys::data(
        &a,
        "public-token",
        b"p",
        vec![Attribute::Private(false), Attribute::Token(true)],
    );
    assert_eq!(
        labels(&b, &[]),
        vec!["private-session", "private-token", "public-token"]
    );
}

#[test]
fn private_objects_are_invisible_without_login() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let private = keys::data(
        &s,
        "private-token",
        b"p",
        vec![Attribute::Private(true), Attribute::Token(true)],
    );
    let key = keys::aes(
        &s,
        &[4u8; 16],
        vec![
            Attribute::Token(true),
            Attribute::Label(b"token-key".to_vec()),
        ],
    );
    keys::data(
        &s,
        "public-token",
        b"p",
        vec![Attribute::Private(false), Attribute::Token(true)],
    );
    expect_ok(s.logout(), "logout");

    assert_eq!(
        labels(&s, &[]),
        vec!["public-token"],
        "objects visible without login"
    );
    for (o, what) in [
        (private, "private data object"),
        (key, "secret key (private by default)"),
    ] {
        let rv = raw::attr(s.handle(), o, CKA_LABEL).err().unwrap_or(CKR_OK);
        expect_one_of(
            rv,
            &[CKR_OBJECT_HANDLE_INVALID, CKR_USER_NOT_LOGGED_IN],
            &format!("reading a {what} logged out"),
        );
    }
    let ct = s.encrypt(&Mechanism::AesEcb, keys::obj(key), &[0u8; 16]);
    assert!(ct.is_err(), "a private key was usable without login");

    expect_err(
        s.create_object(&keys::merge(
            keys::data_template("p", b"v"),
            vec![Attribute::Private(true)],
        )),
        CKR_USER_NOT_LOGGED_IN,
        "creating a private object without login",
    );
    expect_ok(
        s.login(UserType::User, Some(&AuthPin::from(USER_PIN))),
        "login",
    );
    assert_eq!(
        labels(&s, &[]),
        vec!["private-token", "public-token", "token-key"]
    );
}

#[test]
fn session_objects_vanish_with_their_session() {
    let fx = Fixture::new();
    let a = fx.user_session();
    let b = fx.rw_session();
    let o = keys::data(&a, "ephemeral", b"v", vec![]);
    assert_eq!(
        labels(&b, &[Attribute::Label(b"ephemeral".to_vec())]),
        vec!["ephemeral"],
        "visible to other sessions"
    );
    expect_ok(a.close(), "close the creating session");
    assert!(
        labels(&b, &[Attribute::Label(b"ephemeral".to_vec())]).is_empty(),
        "session object outlived its session"
    );
    expect_rv(
        raw::attr(b.handle(), o, CKA_LABEL).err().unwrap_or(CKR_OK),
        CKR_OBJECT_HANDLE_INVALID,
        "handle of a vanished session object",
    );
}

#[test]
fn read_only_sessions_cannot_touch_token_objects() {
    let fx = Fixture::new();
    let rw = fx.user_session();
    let token_obj = keys::data(&rw, "token", b"v", vec![Attribute::Token(true)]);
    let ro = fx.ro_session();
    let tmpl = keys::merge(
        keys::data_template("ro-token", b"v"),
        vec![Attribute::Token(true)],
    );
    expect_err(
        ro.create_object(&tmpl),
        CKR_SESSION_READ_ONLY,
        "token object in a RO session",
    );
    expect_err(
        ro.update_attributes(
            keys::obj(token_obj),
            &[Attribute::Label(b"renamed".to_vec())],
        ),
        CKR_SESSION_READ_ONLY,
        "modifying a token object in a RO session",
    );
    expect_err(
        ro.destroy_object(keys::obj(token_obj)),
        CKR_SESSION_READ_ONLY,
        "destroying a token object in a RO session",
    );
    expect_err(
        ro.copy_object(keys::obj(token_obj), &[Attribute::Token(true)]),
        CKR_SESSION_READ_ONLY,
        "copying to a token object in a RO session",
    );
    let gen = ro.generate_key(
        &Mechanism::AesKeyGen,
        &[Attribute::Token(true), Attribute::ValueLen(16.into())],
    );
    expect_err(
        gen,
        CKR_SESSION_READ_ONLY,
        "generating a token key in a RO session",
    );
    // Session objects are fine in a RO session.
    let so = keys::data(&ro, "ro-session-object", b"v", vec![]);
    expect_ok(
        ro.update_attributes(keys::obj(so), &[Attribute::Label(b"renamed".to_vec())]),
        "modify session object",
    );
    expect_ok(
        ro.destroy_object(keys::obj(so)),
        "destroy session object in RO session",
    );
}

#[test]
fn sessions_work_in_parallel_threads() {
    let fx = Fixture::new();
    let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    let handles: Vec<_> = (0..4u8)
        .map(|i| {
            let s = fx.user_session();
            std::thread::spawn(move || -> Result<(), String> {
                for j in 0..100u32 {
                    let d = s
                        .digest(&Mechanism::Sha256, b"abc")
                        .map_err(|e| format!("digest: {e}"))?;
                    if hex::encode(&d) != expected {
                        return Err(format!("thread {i} digest {j} wrong"));
                    }
                    let label = format!("t{i}-{j}");
                    let o = s
                        .create_object(&keys::data_template(&label, &[i; 8]))
                        .map_err(|e| format!("create: {e}"))?;
                    s.destroy_object(o).map_err(|e| format!("destroy: {e}"))?;
                }
                Ok(())
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        if let Err(e) = h.join().expect("thread panicked") {
            panic!("thread {i}: {e}");
        }
    }
}

#[test]
fn session_validation_flags() {
    let fx = Fixture::new();
    let s = fx.rw_session();
    let mut flags: CK_FLAGS = 0;
    expect_rv(
        call!(C_GetSessionValidationFlags(
            s.handle(),
            CKS_LAST_VALIDATION_OK,
            &mut flags
        )),
        CKR_OK,
        "C_GetSessionValidationFlags(CKS_LAST_VALIDATION_OK)",
    );
}
