//! qrc-emulator: the software HSM behind qrcpkcs11.
//!
//! - [`attr`]: attribute sets, the representation of objects and templates;
//! - [`store`]: the sled token store, encrypted at rest, with PINs;
//! - [`mech`]: the mechanism registry and one module per algorithm family.

pub mod attr;
pub mod error;
pub mod mech;
pub mod store;

pub use attr::{Attributes, Value};
pub use error::{Ckr, Result};
