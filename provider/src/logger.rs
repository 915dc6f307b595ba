//! Log lines to standard error, at the level `QRC_PKCS11_LOG` or the
//! configuration names (docs/configuration.md, "Logging"). Nothing secret is
//! ever passed to the logger: records name functions, return values, paths
//! and process ids, never attribute values, PINs or data.
//!
//! The logger is in place from the first entry point a program calls
//! ([`early`], from the ABI's guard), at the level `QRC_PKCS11_LOG` names
//! (else warn): what `C_Initialize` reports before it has read the
//! configuration (an unreadable or invalid file) would otherwise be lost,
//! because the `log` crate drops every record until a logger is set.
//! `C_Initialize` then applies the configured level ([`install`]).

use cryptoki_sys::*;
use log::{LevelFilter, Log, Metadata, Record};
use std::io::Write;
use std::sync::Once;

struct Stderr;

impl Log for Stderr {
    /// Only the module's own records: a dependency's debug output (sled's
    /// page-cache chatter) is not the operator's business.
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level() && metadata.target().starts_with("qrc")
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            let line = line(std::process::id(), record.level(), record.args());
            // One write per line, so lines of concurrent calls do not mix. A
            // failed write to stderr must not become an error of the call.
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
    }

    fn flush(&self) {}
}

static LOGGER: Stderr = Stderr;
static EARLY: Once = Once::new();

/// One log line: `qrcpkcs11[PID] LEVEL: message`.
fn line(pid: u32, level: log::Level, message: impl std::fmt::Display) -> String {
    format!("qrcpkcs11[{pid}] {level}: {message}\n")
}

/// A level name as the documentation gives them (`error`, `warn`, `info`,
/// `debug`; also `trace` and `off`), in any case. Empty or unknown: `None`.
fn parse_level(name: &str) -> Option<LevelFilter> {
    name.trim().parse().ok()
}

/// Set the logger (once per process) at the level `QRC_PKCS11_LOG` names,
/// else warn. Called by every entry point before its body; costs one atomic
/// load once done.
pub fn early() {
    EARLY.call_once(|| {
        // Fails only when a logger is already set (ours, or the host
        // program's): either way the level below still applies to ours.
        let _ = log::set_logger(&LOGGER);
        let level = std::env::var("QRC_PKCS11_LOG")
            .ok()
            .and_then(|l| parse_level(&l))
            .unwrap_or(LevelFilter::Warn);
        log::set_max_level(level);
    });
}

/// Apply the configured level (at every `C_Initialize`). An empty one is the
/// default, warn; an unknown name keeps warnings and says so.
pub fn install(level: &str) {
    early();
    match parse_level(level) {
        Some(filter) => log::set_max_level(filter),
        // An empty value counts as unset: the default.
        None if level.trim().is_empty() => log::set_max_level(LevelFilter::Warn),
        None => {
            log::set_max_level(LevelFilter::Warn);
            log::warn!(
                "unknown log level {level:?} (QRC_PKCS11_LOG or `log` in the configuration): \
                 logging warnings and errors"
            );
        }
    }
    log::info!(
        "qrcpkcs11 {}: C_Initialize, log level {}",
        env!("CARGO_PKG_VERSION"),
        log::max_level().as_str().to_lowercase()
    );
}

/// At debug level, one line for a call that did not return CKR_OK: the
/// entry point's name and the return value's. `entry` is the type name of
/// the closure the entry point runs (see [`entry_point`]).
pub fn failed_call(entry: &str, rv: CK_RV) {
    if log::log_enabled!(log::Level::Debug) {
        log::debug!("{}: {}", entry_point(entry), rv_name(rv));
    }
}

/// The PKCS#11 function a closure belongs to, from its type name
/// (`qrcpkcs11::abi::sign::C_SignInit::{{closure}}` → `C_SignInit`). Type
/// names are for diagnostics only, which this is; anything unexpected gives
/// a generic name rather than a wrong one.
pub fn entry_point(type_name: &str) -> &str {
    type_name
        .split("::")
        .find(|segment| segment.starts_with("C_"))
        .unwrap_or("PKCS#11 call")
}

/// `CKR_PIN_INCORRECT`, or `CKR 0x80000001` for values without a standard
/// name (vendor-defined ones).
pub fn rv_name(rv: CK_RV) -> String {
    match ckr_name(rv) {
        Some(name) => name.to_string(),
        None => format!("CKR 0x{rv:08X}"),
    }
}

macro_rules! ckr_names {
    ($($name:ident),* $(,)?) => {
        /// The standard name of a return value.
        fn ckr_name(rv: CK_RV) -> Option<&'static str> {
            match rv {
                $($name => Some(stringify!($name)),)*
                _ => None,
            }
        }
    };
}

ckr_names! {
    CKR_OK, CKR_CANCEL, CKR_HOST_MEMORY, CKR_SLOT_ID_INVALID, CKR_GENERAL_ERROR,
    CKR_FUNCTION_FAILED, CKR_ARGUMENTS_BAD, CKR_NO_EVENT, CKR_NEED_TO_CREATE_THREADS,
    CKR_CANT_LOCK, CKR_ATTRIBUTE_READ_ONLY, CKR_ATTRIBUTE_SENSITIVE,
    CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_VALUE_INVALID, CKR_ACTION_PROHIBITED,
    CKR_DATA_INVALID, CKR_DATA_LEN_RANGE, CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY,
    CKR_DEVICE_REMOVED, CKR_ENCRYPTED_DATA_INVALID, CKR_ENCRYPTED_DATA_LEN_RANGE,
    CKR_AEAD_DECRYPT_FAILED, CKR_FUNCTION_CANCELED, CKR_FUNCTION_NOT_PARALLEL,
    CKR_FUNCTION_NOT_SUPPORTED, CKR_KEY_HANDLE_INVALID, CKR_KEY_SIZE_RANGE,
    CKR_KEY_TYPE_INCONSISTENT, CKR_KEY_NOT_NEEDED, CKR_KEY_CHANGED, CKR_KEY_NEEDED,
    CKR_KEY_INDIGESTIBLE, CKR_KEY_FUNCTION_NOT_PERMITTED, CKR_KEY_NOT_WRAPPABLE,
    CKR_KEY_UNEXTRACTABLE, CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID,
    CKR_OBJECT_HANDLE_INVALID, CKR_OPERATION_ACTIVE, CKR_OPERATION_NOT_INITIALIZED,
    CKR_PIN_INCORRECT, CKR_PIN_INVALID, CKR_PIN_LEN_RANGE, CKR_PIN_EXPIRED, CKR_PIN_LOCKED,
    CKR_SESSION_CLOSED, CKR_SESSION_COUNT, CKR_SESSION_HANDLE_INVALID,
    CKR_SESSION_PARALLEL_NOT_SUPPORTED, CKR_SESSION_READ_ONLY, CKR_SESSION_EXISTS,
    CKR_SESSION_READ_ONLY_EXISTS, CKR_SESSION_READ_WRITE_SO_EXISTS, CKR_SIGNATURE_INVALID,
    CKR_SIGNATURE_LEN_RANGE, CKR_TEMPLATE_INCOMPLETE, CKR_TEMPLATE_INCONSISTENT,
    CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_RECOGNIZED, CKR_TOKEN_WRITE_PROTECTED,
    CKR_UNWRAPPING_KEY_HANDLE_INVALID, CKR_UNWRAPPING_KEY_SIZE_RANGE,
    CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT, CKR_USER_ALREADY_LOGGED_IN, CKR_USER_NOT_LOGGED_IN,
    CKR_USER_PIN_NOT_INITIALIZED, CKR_USER_TYPE_INVALID, CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
    CKR_USER_TOO_MANY_TYPES, CKR_WRAPPED_KEY_INVALID, CKR_WRAPPED_KEY_LEN_RANGE,
    CKR_WRAPPING_KEY_HANDLE_INVALID, CKR_WRAPPING_KEY_SIZE_RANGE,
    CKR_WRAPPING_KEY_TYPE_INCONSISTENT, CKR_RANDOM_SEED_NOT_SUPPORTED, CKR_RANDOM_NO_RNG,
    CKR_DOMAIN_PARAMS_INVALID, CKR_CURVE_NOT_SUPPORTED, CKR_BUFFER_TOO_SMALL,
    CKR_SAVED_STATE_INVALID, CKR_INFORMATION_SENSITIVE, CKR_STATE_UNSAVEABLE,
    CKR_CRYPTOKI_NOT_INITIALIZED, CKR_CRYPTOKI_ALREADY_INITIALIZED, CKR_MUTEX_BAD,
    CKR_MUTEX_NOT_LOCKED, CKR_NEW_PIN_MODE, CKR_NEXT_OTP, CKR_EXCEEDED_MAX_ITERATIONS,
    CKR_FIPS_SELF_TEST_FAILED, CKR_LIBRARY_LOAD_FAILED, CKR_PIN_TOO_WEAK,
    CKR_PUBLIC_KEY_INVALID, CKR_FUNCTION_REJECTED, CKR_TOKEN_RESOURCE_EXCEEDED,
    CKR_OPERATION_CANCEL_FAILED, CKR_KEY_EXHAUSTED, CKR_PENDING,
    CKR_SESSION_ASYNC_NOT_SUPPORTED, CKR_SEED_RANDOM_REQUIRED, CKR_OPERATION_NOT_VALIDATED,
    CKR_TOKEN_NOT_INITIALIZED, CKR_PARAMETER_SET_NOT_SUPPORTED,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_level_names_parse() {
        assert_eq!(parse_level("debug"), Some(LevelFilter::Debug));
        assert_eq!(parse_level("DEBUG"), Some(LevelFilter::Debug));
        assert_eq!(parse_level(" info\n"), Some(LevelFilter::Info));
        assert_eq!(parse_level("warn"), Some(LevelFilter::Warn));
        assert_eq!(parse_level("error"), Some(LevelFilter::Error));
        assert_eq!(parse_level(""), None);
        assert_eq!(parse_level("verbose"), None);
    }

    #[test]
    fn line_names_process_and_level() {
        assert_eq!(
            line(42, log::Level::Error, "token store /s: in use by process 7"),
            "qrcpkcs11[42] ERROR: token store /s: in use by process 7\n"
        );
    }

    #[test]
    fn return_values_are_named() {
        assert_eq!(rv_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
        assert_eq!(
            rv_name(CKR_ATTRIBUTE_TYPE_INVALID),
            "CKR_ATTRIBUTE_TYPE_INVALID"
        );
        assert_eq!(
            rv_name(CKR_PARAMETER_SET_NOT_SUPPORTED),
            "CKR_PARAMETER_SET_NOT_SUPPORTED"
        );
        assert_eq!(rv_name(CKR_VENDOR_DEFINED | 1), "CKR 0x80000001");
    }

    #[allow(non_snake_case)]
    fn C_Example() -> &'static str {
        let f = || ();
        std::any::type_name_of_val(&f)
    }

    #[test]
    fn entry_point_is_named_from_its_closure() {
        assert_eq!(entry_point(C_Example()), "C_Example");
        assert_eq!(
            entry_point("qrcpkcs11::abi::sign::C_SignInit::{{closure}}"),
            "C_SignInit"
        );
        let f = || ();
        assert_eq!(entry_point(std::any::type_name_of_val(&f)), "PKCS#11 call");
    }
}
