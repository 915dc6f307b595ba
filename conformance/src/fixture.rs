//! One fresh token per test.
//!
//! The module is a single global instance per process and reads its store
//! location from the environment at `C_Initialize`, so tests must not
//! overlap: [`Exclusive`] holds a process-wide lock for the whole test and
//! points `QRC_PKCS11_STORE` at a new temporary directory.

use crate::call;
use crate::check::{expect_ok, expect_rv, rv_name, rv_of};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use cryptoki_sys::{
    CKR_OK, CKR_USER_ALREADY_LOGGED_IN, CK_FLAGS, CK_MECHANISM_INFO, CK_MECHANISM_TYPE, CK_ULONG,
};
use std::path::Path;
use std::ptr;
use std::sync::{Mutex, MutexGuard};
use tempfile::TempDir;

/// SO PIN of every fixture token.
pub const SO_PIN: &str = "abcdef654321";
/// User PIN of every fixture token.
pub const USER_PIN: &str = "fedcba123456";
/// Label of every fixture token.
pub const LABEL: &str = "conformance";

static MODULE_LOCK: Mutex<()> = Mutex::new(());

/// Exclusive use of the module for one test, with a fresh, empty store.
///
/// Dropping it calls `C_Finalize` (ignoring the result) so a test that
/// panicked half-way does not leave the module initialised for the next.
pub struct Exclusive {
    store: TempDir,
    // Kept so the config file lives as long as the test.
    _conf: Option<TempDir>,
    _guard: MutexGuard<'static, ()>,
}

impl Exclusive {
    /// Takes the lock and sets up an empty store with no config file.
    pub fn new() -> Self {
        Self::with_config(None)
    }

    /// As [`Exclusive::new`], with `QRC_PKCS11_CONF` naming a file holding
    /// `config` (TOML) when given.
    pub fn with_config(config: Option<&str>) -> Self {
        // A test that panicked while holding the lock poisons it; the state
        // it protects (the module) is reset by the next C_Initialize anyway.
        let guard = MODULE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let store = TempDir::with_prefix("qrc-store-").expect("create store tempdir");
        std::env::set_var("QRC_PKCS11_STORE", store.path());
        let conf = config.map(|text| {
            let dir = TempDir::with_prefix("qrc-conf-").expect("create config tempdir");
            let file = dir.path().join("qrcpkcs11.toml");
            std::fs::write(&file, text).expect("write config file");
            std::env::set_var("QRC_PKCS11_CONF", &file);
            dir
        });
        if conf.is_none() {
            std::env::remove_var("QRC_PKCS11_CONF");
        }
        Exclusive {
            store,
            _conf: conf,
            _guard: guard,
        }
    }

    /// The token store directory (`QRC_PKCS11_STORE`).
    pub fn store(&self) -> &Path {
        self.store.path()
    }
}

impl Default for Exclusive {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        // Result ignored: CKR_CRYPTOKI_NOT_INITIALIZED is the normal case.
        if let Some(f) = crate::module::try_functions()
            .ok()
            .and_then(|l| l.C_Finalize)
        {
            // SAFETY: NULL is the only valid argument.
            unsafe { f(ptr::null_mut()) };
        }
    }
}

/// How to set up a [`Fixture`].
pub struct FixtureBuilder {
    config: Option<String>,
    init_token: bool,
    init_pin: bool,
}

impl FixtureBuilder {
    /// Writes `toml` to a config file named by `QRC_PKCS11_CONF`.
    pub fn config(mut self, toml: &str) -> Self {
        self.config = Some(toml.to_owned());
        self
    }

    /// Leaves the token uninitialised (no `C_InitToken`, no user PIN).
    pub fn uninitialised(mut self) -> Self {
        self.init_token = false;
        self.init_pin = false;
        self
    }

    /// Takes the module, initialises it and the token.
    pub fn build(self) -> Fixture {
        let ex = Exclusive::with_config(self.config.as_deref());
        let ctx = open_module();
        let slot = Slot::try_from(0u64).expect("slot 0");
        let slots = expect_ok(ctx.get_all_slots(), "C_GetSlotList");
        assert!(
            slots.contains(&slot),
            "slot 0 (the default token) missing from {slots:?}"
        );
        if self.init_token {
            expect_ok(
                ctx.init_token(slot, &AuthPin::from(SO_PIN), LABEL),
                "C_InitToken",
            );
        }
        let fixture = Fixture { ctx, slot, ex };
        if self.init_pin {
            let s = fixture.rw_session();
            expect_ok(
                s.login(UserType::So, Some(&AuthPin::from(SO_PIN))),
                "C_Login(SO)",
            );
            expect_ok(s.init_pin(&AuthPin::from(USER_PIN)), "C_InitPIN");
            expect_ok(s.logout(), "C_Logout(SO)");
        }
        fixture
    }
}

/// `Pkcs11::new` on the module and `C_Initialize` with `CKF_OS_LOCKING_OK`.
pub fn open_module() -> Pkcs11 {
    let path = crate::module_path();
    crate::library(); // pin the image so it is never unloaded
    let ctx = Pkcs11::new(&path).unwrap_or_else(|e| panic!("Pkcs11::new({}): {e}", path.display()));
    expect_ok(
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)),
        "C_Initialize(CKF_OS_LOCKING_OK)",
    );
    ctx
}

/// An initialised module with an initialised token in slot 0, SO PIN
/// [`SO_PIN`], user PIN [`USER_PIN`], label [`LABEL`].
pub struct Fixture {
    /// The cryptoki context.
    pub ctx: Pkcs11,
    /// Slot 0, the default token.
    pub slot: Slot,
    ex: Exclusive,
}

impl Fixture {
    /// The usual fixture: token and user PIN initialised.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A fixture with options.
    pub fn builder() -> FixtureBuilder {
        FixtureBuilder {
            config: None,
            init_token: true,
            init_pin: true,
        }
    }

    /// The token store directory.
    pub fn store(&self) -> &Path {
        self.ex.store()
    }

    /// A read-write session.
    pub fn rw_session(&self) -> Session {
        expect_ok(self.ctx.open_rw_session(self.slot), "C_OpenSession(RW)")
    }

    /// A read-only session.
    pub fn ro_session(&self) -> Session {
        expect_ok(self.ctx.open_ro_session(self.slot), "C_OpenSession(RO)")
    }

    /// A read-write session with the user logged in (login state is per
    /// process, so "already logged in" is fine).
    pub fn user_session(&self) -> Session {
        let s = self.rw_session();
        let r = s.login(UserType::User, Some(&AuthPin::from(USER_PIN)));
        let rv = rv_of(&r);
        assert!(
            rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN,
            "C_Login(USER) with the right PIN: {}",
            rv_name(rv)
        );
        s
    }

    /// A read-write session with the SO logged in.
    pub fn so_session(&self) -> Session {
        let s = self.rw_session();
        expect_ok(
            s.login(UserType::So, Some(&AuthPin::from(SO_PIN))),
            "C_Login(SO)",
        );
        s
    }

    /// C_GetMechanismInfo of `m` on slot 0 succeeds with exactly `flags`
    /// and the (min, max) key sizes `sizes`.
    pub fn expect_mechanism_info(
        &self,
        m: CK_MECHANISM_TYPE,
        flags: CK_FLAGS,
        sizes: (CK_ULONG, CK_ULONG),
    ) {
        let mut info = CK_MECHANISM_INFO {
            ulMinKeySize: 0,
            ulMaxKeySize: 0,
            flags: 0,
        };
        expect_rv(
            call!(C_GetMechanismInfo(self.slot.id(), m, &mut info)),
            CKR_OK,
            &format!("C_GetMechanismInfo(0x{m:X})"),
        );
        assert_eq!(info.flags, flags, "0x{m:X}: flags");
        assert_eq!(
            (info.ulMinKeySize, info.ulMaxKeySize),
            sizes,
            "0x{m:X}: sizes"
        );
    }

    /// `C_Finalize`, keeping the store for [`Fixture::reinitialize`].
    pub fn finalize(&mut self) {
        expect_ok(self.ctx.clone().finalize(), "C_Finalize");
    }

    /// `C_Initialize` again on the same store (after [`Fixture::finalize`]).
    pub fn reinitialize(&mut self) {
        self.ctx = open_module();
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let r = self.ctx.clone().finalize();
        // Only check when the test itself passed: a second panic would abort.
        if !std::thread::panicking() {
            let rv = rv_of(&r);
            assert!(
                rv == CKR_OK || rv == cryptoki_sys::CKR_CRYPTOKI_NOT_INITIALIZED,
                "C_Finalize at the end of the test: {}",
                rv_name(rv)
            );
        }
    }
}
