//! Slots and tokens: info, C_InitToken / C_InitPIN / C_SetPIN, PIN length
//! policy, C_Login / C_Logout for SO and user, lockout flags.

use cryptoki::object::{Attribute, KeyType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::slot::Limit;
use cryptoki::types::AuthPin;
use cryptoki_sys::*;
use qrc_conformance::{
    call, expect_err, expect_ok, expect_one_of, expect_rv, keys, rv_of, Fixture, LABEL, SO_PIN,
    USER_PIN,
};

fn pin(p: &str) -> AuthPin {
    AuthPin::from(p)
}

const LOCKOUT_CONF: &str = "[pin]\nmax_failures = 3\n";

#[test]
fn slot_list_and_slot_info() {
    let fx = Fixture::new();
    let all = expect_ok(fx.ctx.get_all_slots(), "C_GetSlotList(FALSE)");
    let present = expect_ok(fx.ctx.get_slots_with_token(), "C_GetSlotList(TRUE)");
    assert!(
        all.contains(&fx.slot) && present.contains(&fx.slot),
        "slot 0 in {all:?} / {present:?}"
    );
    let init = expect_ok(
        fx.ctx.get_slots_with_initialized_token(),
        "initialised slots",
    );
    assert!(init.contains(&fx.slot));
    let si = expect_ok(fx.ctx.get_slot_info(fx.slot), "C_GetSlotInfo");
    assert!(si.token_present(), "slot 0 without CKF_TOKEN_PRESENT");
    let mut raw = CK_SLOT_INFO::default();
    expect_rv(
        call!(C_GetSlotInfo(0, &mut raw)),
        CKR_OK,
        "C_GetSlotInfo raw",
    );
    assert!(
        !raw.slotDescription.contains(&0),
        "slotDescription not blank padded"
    );
    assert!(
        !raw.manufacturerID.contains(&0),
        "manufacturerID not blank padded"
    );
}

#[test]
fn token_info_of_an_initialised_token() {
    let fx = Fixture::new();
    let ti = expect_ok(fx.ctx.get_token_info(fx.slot), "C_GetTokenInfo");
    assert_eq!(ti.label(), LABEL);
    assert!(ti.rng(), "CKF_RNG");
    assert!(ti.login_required(), "CKF_LOGIN_REQUIRED");
    assert!(ti.token_initialized(), "CKF_TOKEN_INITIALIZED");
    assert!(ti.user_pin_initialized(), "CKF_USER_PIN_INITIALIZED");
    assert!(ti.restore_key_not_needed(), "CKF_RESTORE_KEY_NOT_NEEDED");
    assert!(!ti.write_protected(), "CKF_WRITE_PROTECTED");
    assert!(
        !ti.protected_authentication_path(),
        "CKF_PROTECTED_AUTHENTICATION_PATH"
    );
    assert!(!ti.error_state(), "CKF_ERROR_STATE");
    assert!(!ti.user_pin_count_low() && !ti.user_pin_final_try() && !ti.user_pin_locked());
    assert!(!ti.so_pin_count_low() && !ti.so_pin_final_try() && !ti.so_pin_locked());
    assert_eq!(ti.min_pin_length(), 4, "default [pin] min_length");
    assert_eq!(ti.max_pin_length(), 64, "default [pin] max_length");
    let mut raw = CK_TOKEN_INFO::default();
    expect_rv(
        call!(C_GetTokenInfo(0, &mut raw)),
        CKR_OK,
        "C_GetTokenInfo raw",
    );
    for (name, field) in [
        ("label", &raw.label[..]),
        ("manufacturerID", &raw.manufacturerID[..]),
        ("model", &raw.model[..]),
        ("serialNumber", &raw.serialNumber[..]),
    ] {
        assert!(!field.contains(&0), "{name} not blank padded: {field:?}");
    }
}

#[test]
fn token_info_counts_sessions() {
    let fx = Fixture::new();
    let _a = fx.ro_session();
    let _b = fx.ro_session();
    let _c = fx.rw_session();
    let ti = expect_ok(fx.ctx.get_token_info(fx.slot), "C_GetTokenInfo");
    // CK_UNAVAILABLE_INFORMATION is allowed; a number must be right.
    if let Some(n) = ti.session_count() {
        assert_eq!(n, 3, "ulSessionCount");
    }
    if let Some(n) = ti.rw_session_count() {
        assert_eq!(n, 1, "ulRwSessionCount");
    }
    if let Limit::Max(m) = ti.max_session_count() {
        assert!(m >= 3, "ulMaxSessionCount {m} below the 3 sessions open");
    }
}

#[test]
fn pin_length_limits_come_from_config() {
    let fx = Fixture::builder()
        .config("[pin]\nmin_length = 6\nmax_length = 20\n")
        .build();
    let ti = expect_ok(fx.ctx.get_token_info(fx.slot), "C_GetTokenInfo");
    assert_eq!((ti.min_pin_length(), ti.max_pin_length()), (6, 20));
    let so = fx.so_session();
    expect_err(
        so.init_pin(&pin("12345")),
        CKR_PIN_LEN_RANGE,
        "C_InitPIN with 5 < min 6",
    );
    expect_err(
        so.init_pin(&pin(&"x".repeat(21))),
        CKR_PIN_LEN_RANGE,
        "C_InitPIN with 21 > max 20",
    );
    expect_ok(so.init_pin(&pin("123456")), "C_InitPIN with 6");
    expect_ok(so.init_pin(&pin(&"y".repeat(20))), "C_InitPIN with 20");
}

#[test]
fn uninitialised_token() {
    let fx = Fixture::builder().uninitialised().build();
    let si = expect_ok(fx.ctx.get_slot_info(fx.slot), "C_GetSlotInfo");
    assert!(si.token_present(), "a fresh store is a present token");
    let ti = expect_ok(fx.ctx.get_token_info(fx.slot), "C_GetTokenInfo");
    assert!(
        !ti.token_initialized(),
        "fresh store claims CKF_TOKEN_INITIALIZED"
    );
    assert!(
        !ti.user_pin_initialized(),
        "fresh store claims CKF_USER_PIN_INITIALIZED"
    );
    // Listing tools (systemd-cryptenroll) open a session on every token and
    // abort if one is refused; the session sees nothing and cannot log in.
    {
        let s = expect_ok(fx.ctx.open_rw_session(fx.slot), "C_OpenSession(RW)");
        let found = expect_ok(s.find_objects(&[]), "C_FindObjects");
        assert!(found.is_empty(), "objects on an uninitialised token");
        expect_err(
            s.login(UserType::User, Some(&pin(USER_PIN))),
            CKR_USER_PIN_NOT_INITIALIZED,
            "C_Login(USER) on uninitialised token",
        );
        let data = [
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Value(vec![1, 2, 3]),
        ];
        expect_err(
            s.create_object(&data),
            CKR_TOKEN_NOT_INITIALIZED,
            "token object on uninitialised token",
        );
        expect_err(
            fx.ctx.init_token(fx.slot, &pin(SO_PIN), "fresh label"),
            CKR_SESSION_EXISTS,
            "C_InitToken with a session open",
        );
    }
    let inited = expect_ok(fx.ctx.get_slots_with_initialized_token(), "slots");
    assert!(!inited.contains(&fx.slot));

    expect_ok(
        fx.ctx.init_token(fx.slot, &pin(SO_PIN), "fresh label"),
        "C_InitToken",
    );
    let ti = expect_ok(fx.ctx.get_token_info(fx.slot), "C_GetTokenInfo");
    assert!(ti.token_initialized());
    assert!(!ti.user_pin_initialized(), "no user PIN was set");
    assert_eq!(ti.label(), "fresh label");
    let s = fx.rw_session();
    expect_err(
        s.login(UserType::User, Some(&pin(USER_PIN))),
        CKR_USER_PIN_NOT_INITIALIZED,
        "user login before C_InitPIN",
    );
    expect_ok(s.login(UserType::So, Some(&pin(SO_PIN))), "SO login");
    expect_ok(s.init_pin(&pin(USER_PIN)), "C_InitPIN");
    expect_ok(s.logout(), "C_Logout");
    assert!(expect_ok(fx.ctx.get_token_info(fx.slot), "C_GetTokenInfo").user_pin_initialized());
    expect_ok(s.login(UserType::User, Some(&pin(USER_PIN))), "user login");
}

#[test]
fn init_token_pin_length_policy() {
    let fx = Fixture::builder().uninitialised().build();
    expect_err(
        fx.ctx.init_token(fx.slot, &pin("abc"), "x"),
        CKR_PIN_LEN_RANGE,
        "C_InitToken with a 3-byte SO PIN",
    );
    expect_err(
        fx.ctx.init_token(fx.slot, &pin(&"p".repeat(65)), "x"),
        CKR_PIN_LEN_RANGE,
        "C_InitToken with a 65-byte SO PIN",
    );
    expect_ok(
        fx.ctx.init_token(fx.slot, &pin("abcd"), "x"),
        "C_InitToken with a 4-byte SO PIN",
    );
    let s = fx.rw_session();
    expect_ok(
        s.login(UserType::So, Some(&pin("abcd"))),
        "SO login with the 4-byte PIN",
    );
    expect_ok(
        s.set_pin(&pin("abcd"), &pin(&"q".repeat(64))),
        "C_SetPIN(SO) to 64 bytes",
    );
}

#[test]
fn init_token_with_a_session_open_is_session_exists() {
    let fx = Fixture::new();
    let _s = fx.ro_session();
    expect_err(
        fx.ctx.init_token(fx.slot, &pin(SO_PIN), LABEL),
        CKR_SESSION_EXISTS,
        "C_InitToken with a session open",
    );
}

#[test]
fn reinit_needs_the_so_pin_and_wipes_objects() {
    let fx = Fixture::new();
    {
        let s = fx.user_session();
        keys::data(&s, "public-token", b"v", vec![Attribute::Token(true)]);
        keys::aes(
            &s,
            &[3u8; 16],
            vec![
                Attribute::Token(true),
                Attribute::Label(b"secret-token".to_vec()),
            ],
        );
    }
    expect_err(
        fx.ctx.init_token(fx.slot, &pin("wrong-so-pin"), LABEL),
        CKR_PIN_INCORRECT,
        "re-init with a wrong SO PIN",
    );
    {
        let s = fx.user_session();
        assert_eq!(
            expect_ok(s.find_objects(&[]), "find").len(),
            2,
            "objects survive a refused re-init"
        );
    }
    expect_ok(
        fx.ctx.init_token(fx.slot, &pin(SO_PIN), "relabelled"),
        "re-init with the SO PIN",
    );
    let ti = expect_ok(fx.ctx.get_token_info(fx.slot), "C_GetTokenInfo");
    assert_eq!(ti.label(), "relabelled");
    assert!(ti.token_initialized());
    let s = fx.so_session();
    expect_ok(s.init_pin(&pin(USER_PIN)), "C_InitPIN after re-init");
    expect_ok(s.logout(), "C_Logout");
    expect_ok(s.login(UserType::User, Some(&pin(USER_PIN))), "user login");
    let left = expect_ok(s.find_objects(&[]), "find after re-init");
    assert!(left.is_empty(), "re-init left {} objects", left.len());
}

#[test]
fn init_pin_needs_the_so() {
    let fx = Fixture::new();
    let s = fx.rw_session();
    expect_err(
        s.init_pin(&pin("new-user-pin")),
        CKR_USER_NOT_LOGGED_IN,
        "C_InitPIN in a public session",
    );
    expect_ok(s.login(UserType::User, Some(&pin(USER_PIN))), "user login");
    expect_err(
        s.init_pin(&pin("new-user-pin")),
        CKR_USER_NOT_LOGGED_IN,
        "C_InitPIN as the user",
    );
    expect_ok(s.logout(), "logout");
    expect_ok(s.login(UserType::So, Some(&pin(SO_PIN))), "SO login");
    expect_err(
        s.init_pin(&pin("abc")),
        CKR_PIN_LEN_RANGE,
        "C_InitPIN with 3 bytes",
    );
    expect_err(
        s.init_pin(&pin(&"p".repeat(65))),
        CKR_PIN_LEN_RANGE,
        "C_InitPIN with 65 bytes",
    );
    expect_ok(s.init_pin(&pin("new-user-pin")), "C_InitPIN");
    expect_ok(s.logout(), "logout");
    expect_err(
        s.login(UserType::User, Some(&pin(USER_PIN))),
        CKR_PIN_INCORRECT,
        "old user PIN after C_InitPIN",
    );
    expect_ok(
        s.login(UserType::User, Some(&pin("new-user-pin"))),
        "new user PIN",
    );
}

#[test]
fn set_pin_as_user() {
    let fx = Fixture::new();
    let s = fx.user_session();
    expect_err(
        s.set_pin(&pin("not-the-pin"), &pin("other-pin-1")),
        CKR_PIN_INCORRECT,
        "C_SetPIN with a wrong old PIN",
    );
    expect_err(
        s.set_pin(&pin(USER_PIN), &pin("abc")),
        CKR_PIN_LEN_RANGE,
        "C_SetPIN to 3 bytes",
    );
    expect_err(
        s.set_pin(&pin(USER_PIN), &pin(&"n".repeat(65))),
        CKR_PIN_LEN_RANGE,
        "C_SetPIN to 65 bytes",
    );
    let long = "n".repeat(64);
    expect_ok(
        s.set_pin(&pin(USER_PIN), &pin(&long)),
        "C_SetPIN to 64 bytes",
    );
    expect_ok(s.logout(), "logout");
    expect_err(
        s.login(UserType::User, Some(&pin(USER_PIN))),
        CKR_PIN_INCORRECT,
        "old PIN after C_SetPIN",
    );
    expect_ok(
        s.login(UserType::User, Some(&pin(&long))),
        "new PIN after C_SetPIN",
    );
}

#[test]
fn set_pin_in_a_public_rw_session_changes_the_user_pin() {
    let fx = Fixture::new();
    let s = fx.rw_session();
    expect_ok(
        s.set_pin(&pin(USER_PIN), &pin("public-set-pin")),
        "C_SetPIN in R/W public session",
    );
    expect_ok(
        s.login(UserType::User, Some(&pin("public-set-pin"))),
        "login with the new user PIN",
    );
}

#[test]
fn set_pin_in_a_read_only_session_is_refused() {
    let fx = Fixture::new();
    let s = fx.ro_session();
    expect_ok(
        s.login(UserType::User, Some(&pin(USER_PIN))),
        "user login in RO session",
    );
    expect_err(
        s.set_pin(&pin(USER_PIN), &pin("ro-new-pin")),
        CKR_SESSION_READ_ONLY,
        "C_SetPIN in a RO session",
    );
}

#[test]
fn set_pin_as_so_changes_the_so_pin() {
    let fx = Fixture::new();
    let s = fx.so_session();
    expect_ok(
        s.set_pin(&pin(SO_PIN), &pin("new-so-pin-1")),
        "C_SetPIN as SO",
    );
    expect_ok(s.logout(), "logout");
    expect_err(
        s.login(UserType::So, Some(&pin(SO_PIN))),
        CKR_PIN_INCORRECT,
        "old SO PIN",
    );
    expect_ok(
        s.login(UserType::So, Some(&pin("new-so-pin-1"))),
        "new SO PIN",
    );
}

#[test]
fn login_and_logout_rules() {
    let fx = Fixture::new();
    let s = fx.rw_session();
    expect_err(
        s.logout(),
        CKR_USER_NOT_LOGGED_IN,
        "C_Logout when nobody is logged in",
    );
    expect_err(
        s.login(UserType::User, Some(&pin("wrong-user-pin"))),
        CKR_PIN_INCORRECT,
        "wrong user PIN",
    );
    expect_ok(s.login(UserType::User, Some(&pin(USER_PIN))), "user login");
    expect_err(
        s.login(UserType::User, Some(&pin(USER_PIN))),
        CKR_USER_ALREADY_LOGGED_IN,
        "second user login",
    );
    expect_err(
        s.login(UserType::So, Some(&pin(SO_PIN))),
        CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
        "SO login while the user is logged in",
    );
    expect_ok(s.logout(), "C_Logout");
    expect_err(s.logout(), CKR_USER_NOT_LOGGED_IN, "second C_Logout");

    let mut p = *b"fedcba123456";
    expect_rv(
        call!(C_Login(s.handle(), 7, p.as_mut_ptr(), 12)),
        CKR_USER_TYPE_INVALID,
        "C_Login with user type 7",
    );

    expect_ok(s.login(UserType::So, Some(&pin(SO_PIN))), "SO login");
    expect_err(
        s.login(UserType::So, Some(&pin(SO_PIN))),
        CKR_USER_ALREADY_LOGGED_IN,
        "second SO login",
    );
    expect_err(
        s.login(UserType::User, Some(&pin(USER_PIN))),
        CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
        "user login while the SO is logged in",
    );
    expect_ok(s.logout(), "SO logout");
}

#[test]
fn so_login_with_a_read_only_session_open_is_refused() {
    let fx = Fixture::new();
    let _ro = fx.ro_session();
    let rw = fx.rw_session();
    expect_err(
        rw.login(UserType::So, Some(&pin(SO_PIN))),
        CKR_SESSION_READ_ONLY_EXISTS,
        "SO login while a RO session exists",
    );
}

#[test]
fn user_lockout_flags_with_max_failures_3() {
    let fx = Fixture::builder().config(LOCKOUT_CONF).build();
    let s = fx.rw_session();
    let info = || expect_ok(fx.ctx.get_token_info(fx.slot), "C_GetTokenInfo");

    expect_err(
        s.login(UserType::User, Some(&pin("wrong-pin-1"))),
        CKR_PIN_INCORRECT,
        "1st wrong user PIN",
    );
    let ti = info();
    assert!(
        ti.user_pin_count_low(),
        "CKF_USER_PIN_COUNT_LOW after 1 failure"
    );
    assert!(
        !ti.user_pin_final_try() && !ti.user_pin_locked(),
        "FINAL_TRY/LOCKED after 1 of 3 failures"
    );

    expect_err(
        s.login(UserType::User, Some(&pin("wrong-pin-2"))),
        CKR_PIN_INCORRECT,
        "2nd wrong user PIN",
    );
    let ti = info();
    assert!(
        ti.user_pin_final_try(),
        "CKF_USER_PIN_FINAL_TRY with one try left"
    );
    assert!(!ti.user_pin_locked(), "locked after 2 of 3 failures");

    let rv = rv_of(&s.login(UserType::User, Some(&pin("wrong-pin-3"))));
    expect_one_of(
        rv,
        &[CKR_PIN_INCORRECT, CKR_PIN_LOCKED],
        "3rd wrong user PIN",
    );
    assert!(
        info().user_pin_locked(),
        "CKF_USER_PIN_LOCKED after 3 failures"
    );
    expect_err(
        s.login(UserType::User, Some(&pin(USER_PIN))),
        CKR_PIN_LOCKED,
        "right user PIN once locked",
    );
    assert!(!info().so_pin_locked(), "the SO PIN is not affected");

    // The SO resets the user PIN, which unlocks it.
    expect_ok(s.login(UserType::So, Some(&pin(SO_PIN))), "SO login");
    expect_ok(
        s.init_pin(&pin("fresh-user-pin")),
        "C_InitPIN on a locked user PIN",
    );
    expect_ok(s.logout(), "SO logout");
    let ti = info();
    assert!(
        !ti.user_pin_locked() && !ti.user_pin_final_try(),
        "LOCKED/FINAL_TRY still set after C_InitPIN"
    );
    expect_ok(
        s.login(UserType::User, Some(&pin("fresh-user-pin"))),
        "login after C_InitPIN",
    );
    assert!(
        !info().user_pin_count_low(),
        "CKF_USER_PIN_COUNT_LOW after a successful login"
    );
}

#[test]
fn a_correct_login_resets_the_failure_count() {
    let fx = Fixture::builder().config(LOCKOUT_CONF).build();
    let s = fx.rw_session();
    let info = || expect_ok(fx.ctx.get_token_info(fx.slot), "C_GetTokenInfo");
    expect_err(
        s.login(UserType::User, Some(&pin("wrong-pin-1"))),
        CKR_PIN_INCORRECT,
        "wrong PIN",
    );
    expect_err(
        s.login(UserType::User, Some(&pin("wrong-pin-2"))),
        CKR_PIN_INCORRECT,
        "wrong PIN",
    );
    assert!(info().user_pin_final_try());
    expect_ok(
        s.login(UserType::User, Some(&pin(USER_PIN))),
        "right PIN with one try left",
    );
    let ti = info();
    assert!(
        !ti.user_pin_count_low() && !ti.user_pin_final_try(),
        "counter not reset by a correct login"
    );
    expect_ok(s.logout(), "logout");
    // Two more failures must not lock: the count started again from zero.
    expect_err(
        s.login(UserType::User, Some(&pin("wrong-pin-3"))),
        CKR_PIN_INCORRECT,
        "wrong PIN",
    );
    expect_err(
        s.login(UserType::User, Some(&pin("wrong-pin-4"))),
        CKR_PIN_INCORRECT,
        "wrong PIN",
    );
    assert!(!info().user_pin_locked());
    expect_ok(s.login(UserType::User, Some(&pin(USER_PIN))), "right PIN");
}

#[test]
fn default_policy_allows_more_than_three_failures() {
    let fx = Fixture::new();
    let s = fx.rw_session();
    for i in 0..3 {
        expect_err(
            s.login(UserType::User, Some(&pin(&format!("wrong-pin-{i}")))),
            CKR_PIN_INCORRECT,
            "wrong PIN",
        );
    }
    let ti = expect_ok(fx.ctx.get_token_info(fx.slot), "C_GetTokenInfo");
    assert!(
        ti.user_pin_count_low() && !ti.user_pin_final_try() && !ti.user_pin_locked(),
        "default max_failures is 10"
    );
    expect_ok(s.login(UserType::User, Some(&pin(USER_PIN))), "right PIN");
}

#[test]
fn so_lockout_flags_with_max_failures_3() {
    let fx = Fixture::builder().config(LOCKOUT_CONF).build();
    let s = fx.rw_session();
    let info = || expect_ok(fx.ctx.get_token_info(fx.slot), "C_GetTokenInfo");
    expect_err(
        s.login(UserType::So, Some(&pin("wrong-so-1"))),
        CKR_PIN_INCORRECT,
        "1st wrong SO PIN",
    );
    let ti = info();
    assert!(
        ti.so_pin_count_low() && !ti.so_pin_final_try() && !ti.so_pin_locked(),
        "SO flags after 1 failure"
    );
    assert!(
        !ti.user_pin_count_low(),
        "user flags changed by SO failures"
    );
    expect_err(
        s.login(UserType::So, Some(&pin("wrong-so-2"))),
        CKR_PIN_INCORRECT,
        "2nd wrong SO PIN",
    );
    assert!(info().so_pin_final_try(), "CKF_SO_PIN_FINAL_TRY");
    let rv = rv_of(&s.login(UserType::So, Some(&pin("wrong-so-3"))));
    expect_one_of(rv, &[CKR_PIN_INCORRECT, CKR_PIN_LOCKED], "3rd wrong SO PIN");
    assert!(info().so_pin_locked(), "CKF_SO_PIN_LOCKED");
    expect_err(
        s.login(UserType::So, Some(&pin(SO_PIN))),
        CKR_PIN_LOCKED,
        "right SO PIN once locked",
    );
    expect_ok(
        s.login(UserType::User, Some(&pin(USER_PIN))),
        "the user can still log in",
    );
}

#[test]
fn secret_token_objects_need_a_logged_in_user() {
    let fx = Fixture::new();
    let s = fx.rw_session();
    let t = keys::merge(
        keys::secret_template(KeyType::AES, &[5u8; 16]),
        vec![Attribute::Token(true), Attribute::Private(false)],
    );
    expect_err(
        s.create_object(&t),
        CKR_USER_NOT_LOGGED_IN,
        "token secret key in a public session",
    );
    let so = fx.so_session();
    expect_err(
        so.create_object(&t),
        CKR_USER_NOT_LOGGED_IN,
        "token secret key as the SO",
    );
}
