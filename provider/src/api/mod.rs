//! PKCS#11 as plain Rust: one function per C call, taking Rust values and
//! returning `Result<_, Ckr>`. The ABI layer (`abi/`) turns C arguments into
//! these calls and nothing else; everything here is safe code. Split by area
//! as `abi/` is: [`general`] (library, slots, tokens, PINs), [`session`]
//! (sessions, login), [`objects`], [`crypto`] (encrypt, decrypt, digest),
//! [`message`] (message-based encryption), [`sign`] (sign, verify,
//! verify-signature), [`keys`] (key management, random numbers).

mod crypto;
mod general;
mod keys;
mod message;
mod objects;
mod session;
mod sign;

pub use crypto::*;
pub use general::*;
pub use keys::*;
pub use message::*;
pub use objects::*;
pub use session::*;
pub use sign::*;

use crate::module::{module, SharedSession};
use crate::operation::Operations;
use cryptoki_sys::CK_SESSION_HANDLE;
use qrc_emulator::{Ckr, Result, Value};

/// Result of reading one attribute for C_GetAttributeValue: the value, or the
/// per-attribute error (CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_SENSITIVE).
pub type AttrRead = std::result::Result<Value, Ckr>;

/// The open session with this handle.
fn session(h: CK_SESSION_HANDLE) -> Result<SharedSession> {
    module()?.session(h)
}

/// Run `f` on the running operations of session `h`, under its lock.
fn with_ops<R>(h: CK_SESSION_HANDLE, f: impl FnOnce(&mut Operations) -> Result<R>) -> Result<R> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    f(&mut ops)
}
