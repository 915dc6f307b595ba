//! qrcpkcs11: a PKCS#11 3.2 module with post-quantum mechanisms.
//!
//! Layers, from the caller inwards: `abi` (the only unsafe code: C pointers
//! to Rust values, panic guard, function lists) → `api` (one plain function per
//! PKCS#11 call) → sessions and operations → a `backend::Token`.

mod abi;
pub mod api;
pub mod output;
