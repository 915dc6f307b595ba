//! Log lines to standard error, at the level `QRC_PKCS11_LOG` or the
//! configuration names. Nothing secret is ever passed to the logger.

use log::{LevelFilter, Log, Metadata, Record};
use std::io::Write;

struct Stderr;

impl Log for Stderr {
    /// Only the module's own records: a dependency's debug output (sled's
    /// page-cache chatter) is not the operator's business.
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level() && metadata.target().starts_with("qrc")
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            let line = format!(
                "qrcpkcs11[{}] {}: {}\n",
                std::process::id(),
                record.level(),
                record.args()
            );
            // A failed write to stderr must not become an error of the call.
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
    }

    fn flush(&self) {}
}

static LOGGER: Stderr = Stderr;

/// Install the logger (once per process) and set the level. An unknown level
/// name keeps warnings.
pub fn install(level: &str) {
    // Fails only when a logger is already set (ours, or the host program's):
    // either way the level below still applies to our records.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level.parse().unwrap_or(LevelFilter::Warn));
}
