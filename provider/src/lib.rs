//! qrcpkcs11: a PKCS#11 3.2 module with post-quantum mechanisms.
//!
//! Layers, from the caller inwards: [`abi`] (the only unsafe code: C pointers
//! to Rust values, panic guard, function lists) → [`api`] (one plain function
//! per PKCS#11 call) → [`session`] and [`operation`] (sessions and their
//! running operations) → [`backend::Token`] (the token behind a slot).

#![warn(missing_docs)]

mod abi;
pub mod api;
pub mod backend;
mod info;
mod logger;
pub mod message;
pub mod module;
pub mod operation;
pub mod output;
pub mod session;
