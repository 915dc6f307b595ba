//! Key management (generation, encapsulation, wrapping, derivation) and
//! random numbers.

use super::session;
use crate::output::Output;
use cryptoki_sys::{CK_OBJECT_HANDLE, CK_SESSION_HANDLE};
use qrc_emulator::mech::Mechanism;
use qrc_emulator::{Attributes, Ckr, Result};

/// C_GenerateKey.
pub fn generate_key(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    template: &Attributes,
) -> Result<CK_OBJECT_HANDLE> {
    let s = session(h)?;
    s.token.generate_key(s.access(), m, template)
}

/// Returns (public, private).
pub fn generate_key_pair(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    public: &Attributes,
    private: &Attributes,
) -> Result<(CK_OBJECT_HANDLE, CK_OBJECT_HANDLE)> {
    let s = session(h)?;
    s.token.generate_key_pair(s.access(), m, public, private)
}

/// C_EncapsulateKey (3.2 argument order). A length query or a short buffer
/// reports the ciphertext length and creates no key.
pub fn encapsulate_key(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    public: CK_OBJECT_HANDLE,
    template: &Attributes,
    ciphertext: &mut Output,
) -> Result<Option<CK_OBJECT_HANDLE>> {
    let s = session(h)?;
    if !ciphertext.is_query() {
        // The token checks the room with the key it has looked up, so the
        // usual call, with a buffer, looks the key up once.
        match s
            .token
            .encapsulate(s.access(), m, public, template, ciphertext.room())
        {
            Ok((ct, key)) => {
                ciphertext.put(&ct)?;
                return Ok(Some(key));
            }
            Err(Ckr::BUFFER_TOO_SMALL) => {}
            Err(e) => return Err(e),
        }
    }
    ciphertext.len = s.token.ciphertext_len(m, public)?;
    if ciphertext.is_query() {
        Ok(None)
    } else {
        Err(Ckr::BUFFER_TOO_SMALL)
    }
}

/// C_DecapsulateKey (3.2 argument order).
pub fn decapsulate_key(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    private: CK_OBJECT_HANDLE,
    template: &Attributes,
    ciphertext: &[u8],
) -> Result<CK_OBJECT_HANDLE> {
    let s = session(h)?;
    s.token
        .decapsulate(s.access(), m, private, template, ciphertext)
}

/// C_WrapKey.
pub fn wrap_key(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    wrapping_key: CK_OBJECT_HANDLE,
    key: CK_OBJECT_HANDLE,
    out: &mut Output,
) -> Result<()> {
    let wrapped = session(h)?.token.wrap_key(m, wrapping_key, key)?;
    out.put(&wrapped).map(drop)
}

/// C_UnwrapKey.
pub fn unwrap_key(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    unwrapping_key: CK_OBJECT_HANDLE,
    wrapped: &[u8],
    template: &Attributes,
) -> Result<CK_OBJECT_HANDLE> {
    let s = session(h)?;
    s.token
        .unwrap_key(s.access(), m, unwrapping_key, wrapped, template)
}

/// C_DeriveKey: the new key, then the additional keys the mechanism
/// parameter asks for (SP 800-108), in its order.
pub fn derive_key(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    base: CK_OBJECT_HANDLE,
    template: &Attributes,
) -> Result<(CK_OBJECT_HANDLE, Vec<CK_OBJECT_HANDLE>)> {
    let s = session(h)?;
    s.token.derive_key(s.access(), m, base, template)
}

/// C_SeedRandom mixes the caller's bytes into the DRBG; they never replace
/// the operating system's entropy.
pub fn seed_random(h: CK_SESSION_HANDLE, seed: &[u8]) -> Result<()> {
    session(h)?.token.seed_random(seed)
}

/// C_GenerateRandom.
pub fn generate_random(h: CK_SESSION_HANDLE, out: &mut [u8]) -> Result<()> {
    session(h)?.token.generate_random(out)
}
