//! Shared helpers for the conformance tests.
//!
//! The tests load the built `libqrcpkcs11.so` the way any PKCS#11 consumer
//! does: through the `cryptoki` crate, and through the raw `cryptoki-sys`
//! function lists where cryptoki cannot express a call (NULL pointers, the
//! 2.40 GCM parameter layout, interface variants).
//!
//! The module is one global instance per process, so every test takes the
//! process-wide lock through [`Exclusive`] (usually via [`Fixture`]), which
//! also gives it a fresh token store in a temporary directory.
//!
//! Running: build the module (`cargo build --release`), then
//! `cargo test --release -p qrc-conformance`. `QRC_MODULE` names another
//! build of the library; `QRC_VECTORS` another copy of the shared vector
//! files (default `../shared/vectors`, beside the repository).

pub mod check;
pub mod fixture;
pub mod keys;
pub mod module;
pub mod pqc;
pub mod probe;
pub mod process;
pub mod raw;
pub mod wycheproof;

pub use check::{
    expect_err, expect_ok, expect_one_of, expect_rv, must, rv_from, rv_name, rv_of, Checks,
};
pub use fixture::{Exclusive, Fixture, FixtureBuilder, LABEL, SO_PIN, USER_PIN};
pub use module::{function_list_240, functions, library, module_path};

/// The shared vector files (`../shared/vectors` beside the repository, or
/// `QRC_VECTORS`). They are part of the test set: their absence fails.
pub fn vectors_dir() -> std::path::PathBuf {
    let dir = std::env::var_os("QRC_VECTORS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors")
        });
    assert!(
        dir.is_dir(),
        "test vectors not found at {} (set QRC_VECTORS)",
        dir.display()
    );
    dir
}

/// Calls one entry point of the module's 3.2 function list (the list
/// `C_GetInterface(NULL, NULL, …)` returns) and yields its `CK_RV`.
///
/// `call!(C_GetSessionInfo(h, &mut info))`. The arguments are evaluated
/// outside the `unsafe` block (their temporaries live until the call
/// returns) and passed to the C function as they are: pointers must be valid
/// or NULL. Passing NULL and bogus handles on purpose is the point of
/// several tests, since the module must cope with them.
#[macro_export]
macro_rules! call {
    ($name:ident ( $($arg:expr),* $(,)? )) => {
        $crate::__call_bind!($name; []; [a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11]; $($arg),*)
    };
}

/// Pairs each argument of [`call!`] with a name, then makes the call.
#[doc(hidden)]
#[macro_export]
macro_rules! __call_bind {
    ($name:ident; [$(($v:ident $e:expr))*]; [$next:ident $($rest:ident)*]; $arg:expr $(, $more:expr)*) => {
        $crate::__call_bind!($name; [$(($v $e))* ($next $arg)]; [$($rest)*]; $($more),*)
    };
    ($name:ident; [$(($v:ident $e:expr))*]; [$($rest:ident)*];) => {
        // A match keeps the scrutinee's temporaries alive through the call.
        match ($($e,)*) {
            ($($v,)*) => {
                let f = $crate::functions()
                    .$name
                    .expect(concat!(stringify!($name), " is NULL in the 3.2 function list"));
                // SAFETY: arguments are valid pointers or NULL; the module
                // must handle NULL (that is what the tests check).
                unsafe { f($($v),*) }
            }
        }
    };
}
