//! Configuration: none is needed. `QRC_PKCS11_CONF` names a TOML file,
//! `QRC_PKCS11_STORE` overrides the default token's store directory,
//! `QRC_PKCS11_LOG` the log level. See docs/configuration.md.

use crate::error::{Ckr, Result};
use crate::store::{KdfParams, StoreOptions};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The PIN length rule (CKR_PIN_LEN_RANGE outside it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinPolicy {
    pub min_len: usize,
    pub max_len: usize,
}

impl PinPolicy {
    pub fn check(&self, pin: &[u8]) -> Result<()> {
        if (self.min_len..=self.max_len).contains(&pin.len()) {
            Ok(())
        } else {
            Err(Ckr::PIN_LEN_RANGE)
        }
    }
}

/// One token: its slot ID and where its store lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenConfig {
    pub slot: u64,
    pub store: PathBuf,
}

/// The module's whole configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub log: String,
    pub pin: PinPolicy,
    pub store: StoreOptions,
    pub tokens: Vec<TokenConfig>,
}

/// The weakest Argon2id the configuration may ask for (docs/security.md).
const KDF_FLOOR: KdfParams = KdfParams {
    memory_kib: 64 * 1024,
    iterations: 3,
    parallelism: 1,
};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    log: Option<String>,
    #[serde(default)]
    pin: PinSection,
    #[serde(default)]
    kdf: KdfSection,
    cache_mib: Option<u64>,
    #[serde(default)]
    token: Vec<TokenSection>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PinSection {
    min_length: Option<usize>,
    max_length: Option<usize>,
    max_failures: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct KdfSection {
    memory_kib: Option<u32>,
    iterations: Option<u32>,
    parallelism: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenSection {
    slot: Option<u64>,
    store: Option<PathBuf>,
}

/// The default store directory: `$XDG_DATA_HOME/qrcpkcs11`, else
/// `~/.local/share/qrcpkcs11`.
pub fn default_store_dir() -> PathBuf {
    let non_empty = |v: &str| std::env::var_os(v).filter(|s| !s.is_empty());
    if let Some(xdg) = non_empty("XDG_DATA_HOME") {
        return PathBuf::from(xdg).join("qrcpkcs11");
    }
    let home = non_empty("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/qrcpkcs11")
}

impl Config {
    /// Read the configuration from the environment (and the file it names).
    /// A file that cannot be read or parsed is an error, logged with the
    /// reason: running with settings the operator did not intend is worse.
    pub fn from_env() -> Result<Config> {
        let text = match std::env::var_os("QRC_PKCS11_CONF") {
            Some(path) => Some(std::fs::read_to_string(&path).map_err(|e| {
                log::error!("cannot read config {}: {e}", Path::new(&path).display());
                Ckr::GENERAL_ERROR
            })?),
            None => None,
        };
        let store_override = std::env::var_os("QRC_PKCS11_STORE")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        let mut config = Config::parse(text.as_deref().unwrap_or(""), store_override)?;
        // An empty value counts as unset, as for the other variables.
        if let Some(level) = std::env::var("QRC_PKCS11_LOG")
            .ok()
            .filter(|l| !l.is_empty())
        {
            config.log = level;
        }
        Ok(config)
    }

    /// Parse a TOML configuration; `store_override` replaces the store of the
    /// first token (or of the default token).
    pub fn parse(text: &str, store_override: Option<PathBuf>) -> Result<Config> {
        let file: File = toml::from_str(text).map_err(|e| {
            log::error!("invalid configuration: {e}");
            Ckr::GENERAL_ERROR
        })?;
        let defaults = StoreOptions::default();
        let kdf = KdfParams {
            memory_kib: file.kdf.memory_kib.unwrap_or(defaults.kdf.memory_kib),
            iterations: file.kdf.iterations.unwrap_or(defaults.kdf.iterations),
            parallelism: file.kdf.parallelism.unwrap_or(defaults.kdf.parallelism),
        };
        if kdf.memory_kib < KDF_FLOOR.memory_kib
            || kdf.iterations < KDF_FLOOR.iterations
            || kdf.parallelism == 0
        {
            log::error!(
                "invalid configuration: [kdf] below the floor of {} KiB, {} passes",
                KDF_FLOOR.memory_kib,
                KDF_FLOOR.iterations
            );
            return Err(Ckr::GENERAL_ERROR);
        }
        let pin = PinPolicy {
            min_len: file.pin.min_length.unwrap_or(4),
            max_len: file.pin.max_length.unwrap_or(64),
        };
        let max_failures = file.pin.max_failures.unwrap_or(defaults.max_pin_failures);
        if pin.min_len == 0 || pin.min_len > pin.max_len || max_failures == 0 {
            log::error!("invalid configuration: [pin] lengths or max_failures");
            return Err(Ckr::GENERAL_ERROR);
        }
        let mut tokens: Vec<TokenConfig> = file
            .token
            .iter()
            .enumerate()
            .map(|(i, t)| TokenConfig {
                slot: t.slot.unwrap_or(i as u64),
                store: t.store.clone().unwrap_or_else(default_store_dir),
            })
            .collect();
        if tokens.is_empty() {
            tokens.push(TokenConfig {
                slot: 0,
                store: default_store_dir(),
            });
        }
        if let Some(dir) = store_override {
            tokens[0].store = dir;
        }
        let mut slots: Vec<u64> = tokens.iter().map(|t| t.slot).collect();
        slots.sort_unstable();
        slots.dedup();
        if slots.len() != tokens.len() {
            log::error!("invalid configuration: two tokens share a slot ID");
            return Err(Ckr::GENERAL_ERROR);
        }
        Ok(Config {
            log: file.log.unwrap_or_else(|| "warn".into()),
            pin,
            store: StoreOptions {
                cache_capacity_bytes: file
                    .cache_mib
                    .map_or(defaults.cache_capacity_bytes, |m| m * 1024 * 1024),
                max_pin_failures: max_failures,
                kdf,
            },
            tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_gives_one_default_token() {
        let c = Config::parse("", Some("/tmp/x".into())).unwrap();
        assert_eq!(
            c.tokens,
            vec![TokenConfig {
                slot: 0,
                store: "/tmp/x".into()
            }]
        );
        assert_eq!(
            c.pin,
            PinPolicy {
                min_len: 4,
                max_len: 64
            }
        );
        assert_eq!(c.store.kdf.memory_kib, 65536);
    }

    #[test]
    fn tokens_and_policy_from_toml() {
        let c = Config::parse(
            "[pin]\nmin_length = 6\nmax_failures = 3\n[[token]]\nslot = 7\nstore = \"/a\"\n[[token]]\nstore = \"/b\"\n",
            None,
        )
        .unwrap();
        assert_eq!(
            c.tokens[0],
            TokenConfig {
                slot: 7,
                store: "/a".into()
            }
        );
        assert_eq!(c.tokens[1].slot, 1);
        assert_eq!(c.store.max_pin_failures, 3);
        assert_eq!(c.pin.check(b"12345"), Err(Ckr::PIN_LEN_RANGE));
    }

    #[test]
    fn weak_kdf_and_unknown_keys_are_refused() {
        assert!(Config::parse("[kdf]\nmemory_kib = 1024\n", None).is_err());
        assert!(Config::parse("colour = 3\n", None).is_err());
        assert!(Config::parse("[[token]]\nslot = 1\n[[token]]\nslot = 1\n", None).is_err());
    }
}
