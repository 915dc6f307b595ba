//! Post-quantum helpers: the parameter sets and their sizes, key templates,
//! the PKCS#11 3.2 calls cryptoki's typed API cannot shape freely
//! (C_EncapsulateKey / C_DecapsulateKey buffers, C_VerifySignature*,
//! CKM_PUB_KEY_FROM_PRIV_KEY), signing parameters with a context, nested
//! template attributes, the shared vector files, and just enough DER to read
//! SPKI and PKCS#8.

mod calls;
mod der;
mod mechs;
mod outcome;
mod sets;
mod templates;
mod vectors;

pub use calls::*;
pub use der::*;
pub use mechs::*;
pub use outcome::*;
pub use sets::*;
pub use templates::*;
pub use vectors::*;
