//! qrc-emulator: the software HSM behind qrcpkcs11.
//!
//! - [`attr`]: attribute sets, the representation of objects and templates;
//! - [`object`]: the attribute rules of each class and key type;
//! - [`token`]: a token: store, login state, session objects, policy;
//! - [`store`]: the sled token store, encrypted at rest, with PINs;
//! - [`mech`]: the mechanism registry and one module per algorithm family;
//! - [`config`]: the optional TOML configuration.

pub mod attr;
pub mod config;
pub mod error;
pub mod fork;
pub mod mech;
pub mod object;
pub mod store;
pub mod token;
pub use qrc_vendor as vendor;

pub use attr::{Attributes, Value};
pub use error::{Ckr, Result};
pub use token::SoftToken;
