//! Fork safety: a forked child sees an uninitialised module until it calls
//! C_Initialize, which then works; nothing hangs (a SIGALRM watchdog in the
//! child turns a hang into a failure); the parent carries on.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::Attribute;
use cryptoki_sys::*;
use qrc_conformance::probe::{mismatches, sweep};
use qrc_conformance::process::{fork_run, note, step};
use qrc_conformance::raw::Template;
use qrc_conformance::{call, expect_ok, keys, rv_name, Fixture, LABEL, SO_PIN, USER_PIN};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Runs `f` as child step `what`; `Err` naming it when it does not return
/// `want`.
fn want(what: &str, f: impl FnOnce() -> CK_RV, want: CK_RV) -> Result<(), String> {
    step(what);
    let got = f();
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: got {}, want {}",
            rv_name(got),
            rv_name(want)
        ))
    }
}

fn slot_list() -> Result<Vec<CK_SLOT_ID>, String> {
    let mut n: CK_ULONG = 0;
    want(
        "C_GetSlotList(NULL)",
        || call!(C_GetSlotList(CK_FALSE, ptr::null_mut(), &mut n)),
        CKR_OK,
    )?;
    let mut slots = vec![0 as CK_SLOT_ID; n as usize];
    want(
        "C_GetSlotList(buf)",
        || call!(C_GetSlotList(CK_FALSE, slots.as_mut_ptr(), &mut n)),
        CKR_OK,
    )?;
    slots.truncate(n as usize);
    Ok(slots)
}

#[test]
fn child_is_uninitialised_until_c_initialize_then_works() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let key = keys::aes(&s, &[9u8; 16], vec![]);
    let h = s.handle();
    // An operation in flight in the parent across the fork.
    expect_ok(s.digest_init(&Mechanism::Sha256), "C_DigestInit");
    expect_ok(s.digest_update(b"ab"), "C_DigestUpdate");

    let child = fork_run(30, || {
        let bad = mismatches(&sweep(0, h, key), CKR_CRYPTOKI_NOT_INITIALIZED);
        if !bad.is_empty() {
            return Err(format!("in the child before C_Initialize: {bad:?}"));
        }
        want(
            "child C_Initialize(NULL)",
            || call!(C_Initialize(ptr::null_mut())),
            CKR_OK,
        )?;
        let mut info = CK_INFO::default();
        want("child C_GetInfo", || call!(C_GetInfo(&mut info)), CKR_OK)?;
        let slots = slot_list()?;
        if !slots.contains(&0) {
            return Err(format!("child slot list {slots:?} lacks slot 0"));
        }
        // The parent holds the store, so the child's slot shows no token.
        let mut si = CK_SLOT_INFO::default();
        want(
            "child C_GetSlotInfo(0)",
            || call!(C_GetSlotInfo(0, &mut si)),
            CKR_OK,
        )?;
        if si.flags & CKF_TOKEN_PRESENT != 0 {
            return Err("child sees a token in slot 0 while the parent holds the store".into());
        }
        let mut ti = CK_TOKEN_INFO::default();
        want(
            "child C_GetTokenInfo(0)",
            || call!(C_GetTokenInfo(0, &mut ti)),
            CKR_TOKEN_NOT_PRESENT,
        )?;
        let mut nh: CK_SESSION_HANDLE = 0;
        want(
            "child C_OpenSession(0)",
            || {
                call!(C_OpenSession(
                    0,
                    CKF_SERIAL_SESSION,
                    ptr::null_mut(),
                    None,
                    &mut nh
                ))
            },
            CKR_TOKEN_NOT_PRESENT,
        )?;
        let mut sinfo = CK_SESSION_INFO::default();
        want(
            "child: parent's session handle",
            || call!(C_GetSessionInfo(h, &mut sinfo)),
            CKR_SESSION_HANDLE_INVALID,
        )?;
        want(
            "child C_Finalize",
            || call!(C_Finalize(ptr::null_mut())),
            CKR_OK,
        )
    });
    if let Err(e) = child {
        panic!("forked child: {e}");
    }

    // The parent is unaffected: its session, login, operation and objects.
    let info = expect_ok(s.get_session_info(), "parent C_GetSessionInfo");
    assert_eq!(
        info.session_state(),
        cryptoki::session::SessionState::RwUser
    );
    expect_ok(s.digest_update(b"c"), "parent C_DigestUpdate after fork");
    let d = expect_ok(s.digest_final(), "parent C_DigestFinal");
    assert_eq!(
        hex::encode(d),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let ct = expect_ok(
        s.encrypt(&Mechanism::AesEcb, keys::obj(key), &[0u8; 16]),
        "parent C_Encrypt",
    );
    assert_eq!(ct.len(), 16);
    keys::data(&s, "after-fork", b"v", vec![Attribute::Token(true)]);
}

/// A child may point the module at a store nobody holds. It must then get
/// a working token, or, where the store engine cannot run after fork (the
/// module's documented limitation), a prompt "no token"; never a hang.
#[test]
fn child_opening_a_free_store_works_or_reports_no_token() {
    let mut fx = Fixture::new();
    let other = tempfile::TempDir::with_prefix("qrc-child-store-").expect("tempdir");
    let other_path = other.path().to_path_buf();

    let child = fork_run(30, || {
        std::env::set_var("QRC_PKCS11_STORE", &other_path);
        want(
            "child C_Initialize",
            || call!(C_Initialize(ptr::null_mut())),
            CKR_OK,
        )?;
        let mut ti = CK_TOKEN_INFO::default();
        step("child C_GetTokenInfo on a free store");
        let rv = call!(C_GetTokenInfo(0, &mut ti));
        if rv == CKR_TOKEN_NOT_PRESENT {
            let mut h: CK_SESSION_HANDLE = 0;
            want(
                "child C_OpenSession without a token",
                || {
                    call!(C_OpenSession(
                        0,
                        CKF_SERIAL_SESSION,
                        ptr::null_mut(),
                        None,
                        &mut h
                    ))
                },
                CKR_TOKEN_NOT_PRESENT,
            )?;
            note("no token after fork");
            return want(
                "child C_Finalize",
                || call!(C_Finalize(ptr::null_mut())),
                CKR_OK,
            );
        }
        want("child C_GetTokenInfo on a free store", || rv, CKR_OK)?;
        if ti.flags & CKF_TOKEN_INITIALIZED != 0 {
            return Err("a fresh store claims CKF_TOKEN_INITIALIZED".into());
        }
        let mut so = SO_PIN.as_bytes().to_vec();
        let mut label = [b' '; 32];
        label[..LABEL.len()].copy_from_slice(LABEL.as_bytes());
        want(
            "child C_InitToken",
            || {
                call!(C_InitToken(
                    0,
                    so.as_mut_ptr(),
                    so.len() as CK_ULONG,
                    label.as_mut_ptr()
                ))
            },
            CKR_OK,
        )?;
        let mut h: CK_SESSION_HANDLE = 0;
        want(
            "child C_OpenSession",
            || {
                call!(C_OpenSession(
                    0,
                    CKF_SERIAL_SESSION | CKF_RW_SESSION,
                    ptr::null_mut(),
                    None,
                    &mut h
                ))
            },
            CKR_OK,
        )?;
        want(
            "child C_Login(SO)",
            || call!(C_Login(h, CKU_SO, so.as_mut_ptr(), so.len() as CK_ULONG)),
            CKR_OK,
        )?;
        let mut user = USER_PIN.as_bytes().to_vec();
        want(
            "child C_InitPIN",
            || call!(C_InitPIN(h, user.as_mut_ptr(), user.len() as CK_ULONG)),
            CKR_OK,
        )?;
        want("child C_Logout", || call!(C_Logout(h)), CKR_OK)?;
        want(
            "child C_Login(USER)",
            || {
                call!(C_Login(
                    h,
                    CKU_USER,
                    user.as_mut_ptr(),
                    user.len() as CK_ULONG
                ))
            },
            CKR_OK,
        )?;
        let mut t = Template::new(keys::merge(
            keys::data_template("from-child", b"child data"),
            vec![Attribute::Token(true)],
        ));
        let mut o: CK_OBJECT_HANDLE = 0;
        want(
            "child C_CreateObject(token)",
            || call!(C_CreateObject(h, t.ptr(), t.len(), &mut o)),
            CKR_OK,
        )?;
        want(
            "child C_Finalize",
            || call!(C_Finalize(ptr::null_mut())),
            CKR_OK,
        )
    });
    let notes = child.unwrap_or_else(|e| panic!("forked child: {e}"));
    if notes.iter().any(|n| n == "no token after fork") {
        println!(
            "the forked child got no token for a free store (store engine cannot run after fork)"
        );
        return;
    }

    // The parent's own token still works...
    let s = fx.user_session();
    keys::data(&s, "parent", b"p", vec![]);
    drop(s);
    // ...and what the child wrote to its store is there.
    fx.finalize();
    std::env::set_var("QRC_PKCS11_STORE", other.path());
    fx.reinitialize();
    let s = fx.user_session();
    let found = expect_ok(
        s.find_objects(&[Attribute::Label(b"from-child".to_vec())]),
        "C_FindObjects",
    );
    assert_eq!(found.len(), 1, "the child's token object in its store");
}

#[test]
fn fork_while_other_threads_are_inside_the_module() {
    let fx = Fixture::new();
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for i in 0..2u8 {
        let s = fx.user_session();
        let stop = stop.clone();
        workers.push(std::thread::spawn(move || {
            let key = keys::aes(&s, &[i; 32], vec![]);
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let _ = s.digest(&Mechanism::Sha256, &[i; 1024]);
                let _ = s.encrypt(&Mechanism::AesEcb, keys::obj(key), &[0u8; 256]);
                let _ = s.generate_random_vec(32);
                n += 1;
            }
            n
        }));
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    for round in 0..5 {
        let r = fork_run(20, || {
            want(
                "child C_Initialize",
                || call!(C_Initialize(ptr::null_mut())),
                CKR_OK,
            )?;
            slot_list()?;
            want(
                "child C_Finalize",
                || call!(C_Finalize(ptr::null_mut())),
                CKR_OK,
            )
        });
        if let Err(e) = r {
            stop.store(true, Ordering::Relaxed);
            panic!("fork round {round}: {e}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let n = w.join().expect("worker thread panicked");
        assert!(n > 0, "a worker thread made no progress");
    }
}
