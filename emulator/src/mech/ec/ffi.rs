//! The aws-lc operations aws-lc-rs does not expose, called directly: ECDSA
//! over a caller's digest of any length (aws-lc-rs signs digests only of its
//! algorithm's own hash length, so a P-521 key could not take the leftmost
//! 521 bits of a longer input, as FIPS 186-5 §6.4.1 requires), and the
//! Ed25519ctx / Ed25519ph variants of RFC 8032. aws-lc-sys is the crate
//! aws-lc-rs itself links, so this is the same constant-time code.

use crate::error::{Ckr, Result};
use crate::mech::aws_lc::{clear_errors, failed, Bn};
use aws_lc_sys::{
    BN_bn2bin_padded, ECDSA_SIG_free, ECDSA_SIG_get0, ECDSA_SIG_new, ECDSA_SIG_set0, ECDSA_do_sign,
    ECDSA_do_verify, EC_KEY_free, EC_KEY_new_by_curve_name, EC_KEY_set_private_key,
    EC_KEY_set_public_key_affine_coordinates, ED25519_keypair_from_seed, ED25519ctx_sign,
    ED25519ctx_verify, ED25519ph_sign_digest, ED25519ph_verify_digest, ECDSA_SIG, EC_KEY,
};
use std::ptr::null;
use zeroize::Zeroizing;

/// An owned EC_KEY of one named curve.
struct EcKey(*mut EC_KEY);

impl EcKey {
    fn new(nid: i32) -> Result<EcKey> {
        // SAFETY: takes a curve NID, returns a new key or NULL.
        let key = unsafe { EC_KEY_new_by_curve_name(nid) };
        if key.is_null() {
            return Err(failed(Ckr::HOST_MEMORY));
        }
        Ok(EcKey(key))
    }
}

impl Drop for EcKey {
    fn drop(&mut self) {
        // SAFETY: the key is owned and freed once; EC_KEY_free wipes the scalar.
        unsafe { EC_KEY_free(self.0) }
    }
}

/// An owned ECDSA_SIG.
struct Sig(*mut ECDSA_SIG);

impl Drop for Sig {
    fn drop(&mut self) {
        // SAFETY: the signature is owned and freed once.
        unsafe { ECDSA_SIG_free(self.0) }
    }
}

/// ECDSA signature r‖s, each `n` bytes, of `digest` (any length: aws-lc
/// takes its leftmost bits up to the order's length) under the big-endian
/// scalar `d` of curve `nid`.
pub(super) fn ecdsa_sign(nid: i32, d: &[u8], digest: &[u8], n: usize) -> Result<Vec<u8>> {
    let key = EcKey::new(nid)?;
    let scalar = Bn::from_bytes(d, true).ok_or(Ckr::HOST_MEMORY)?;
    // SAFETY: both pointers are live; the key copies the scalar. Zero and
    // values not below the order are refused.
    if unsafe { EC_KEY_set_private_key(key.0, scalar.as_ptr()) } != 1 {
        return Err(failed(Ckr::KEY_SIZE_RANGE));
    }
    // SAFETY: reads `digest.len()` bytes of a live slice; the key is live.
    let sig = unsafe { ECDSA_do_sign(digest.as_ptr(), digest.len(), key.0) };
    if sig.is_null() {
        return Err(failed(Ckr::GENERAL_ERROR));
    }
    let sig = Sig(sig);
    let (mut r, mut s) = (null(), null());
    // SAFETY: the signature is live; r and s stay owned by it.
    unsafe { ECDSA_SIG_get0(sig.0, &mut r, &mut s) };
    let mut out = vec![0u8; 2 * n];
    let (r_out, s_out) = out.split_at_mut(n);
    // SAFETY: each output slice has room for `n` bytes; r and s are live
    // while `sig` is.
    let ok = unsafe {
        BN_bn2bin_padded(r_out.as_mut_ptr(), n, r) == 1
            && BN_bn2bin_padded(s_out.as_mut_ptr(), n, s) == 1
    };
    if !ok {
        return Err(failed(Ckr::GENERAL_ERROR));
    }
    Ok(out)
}

/// Whether r‖s (each `n` bytes) is a valid ECDSA signature of `digest`
/// under the uncompressed point `q` of curve `nid`. A point off the curve is
/// CKR_GENERAL_ERROR: stored keys were checked when they were made.
pub(super) fn ecdsa_verify(
    nid: i32,
    q: &[u8],
    digest: &[u8],
    signature: &[u8],
    n: usize,
) -> Result<bool> {
    if q.len() != 1 + 2 * n || signature.len() != 2 * n {
        return Err(Ckr::GENERAL_ERROR);
    }
    let key = EcKey::new(nid)?;
    let coordinate = |bytes| Bn::from_bytes(bytes, false).ok_or(Ckr::HOST_MEMORY);
    let (x, y) = (coordinate(&q[1..=n])?, coordinate(&q[1 + n..])?);
    // SAFETY: all three pointers are live; the key copies the coordinates
    // and checks the point is on the curve.
    if unsafe { EC_KEY_set_public_key_affine_coordinates(key.0, x.as_ptr(), y.as_ptr()) } != 1 {
        return Err(failed(Ckr::GENERAL_ERROR));
    }
    // SAFETY: no arguments; returns a new signature or NULL.
    let sig = unsafe { ECDSA_SIG_new() };
    if sig.is_null() {
        return Err(failed(Ckr::HOST_MEMORY));
    }
    let sig = Sig(sig);
    let (r, s) = (coordinate(&signature[..n])?, coordinate(&signature[n..])?);
    // SAFETY: on success ECDSA_SIG_set0 takes ownership of r and s, so they
    // are released from their guards only then.
    if unsafe { ECDSA_SIG_set0(sig.0, r.as_ptr(), s.as_ptr()) } != 1 {
        return Err(failed(Ckr::GENERAL_ERROR));
    }
    let _ = (r.into_raw(), s.into_raw());
    // SAFETY: reads `digest.len()` bytes of a live slice; the signature and
    // key are live. Out-of-range r or s simply fail verification.
    let valid = unsafe { ECDSA_do_verify(digest.as_ptr(), digest.len(), sig.0, key.0) } == 1;
    if !valid {
        clear_errors();
    }
    Ok(valid)
}

/// The RFC 8032 variants reached only through here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ed25519Variant {
    /// Ed25519ctx: the message itself, with a non-empty context.
    Ctx,
    /// Ed25519ph: the SHA-512 digest of the message, with a context.
    Ph,
}

/// The 64-byte aws-lc private key (seed ‖ public key) of an RFC 8032 seed.
fn expand(seed: &[u8; 32]) -> Zeroizing<[u8; 64]> {
    let mut public = [0u8; 32];
    let mut private = Zeroizing::new([0u8; 64]);
    // SAFETY: the buffers have the 32 and 64 bytes the call writes; the seed
    // has the 32 it reads.
    unsafe { ED25519_keypair_from_seed(public.as_mut_ptr(), private.as_mut_ptr(), seed.as_ptr()) };
    private
}

/// Sign `input` (the message for Ed25519ctx, its SHA-512 digest for
/// Ed25519ph) with context `context` (at most 255 bytes).
pub(super) fn ed25519_sign(
    variant: Ed25519Variant,
    seed: &[u8; 32],
    input: &[u8],
    context: &[u8],
) -> Result<[u8; 64]> {
    if context.len() > 255 || (variant == Ed25519Variant::Ph && input.len() != 64) {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    let private = expand(seed);
    let mut sig = [0u8; 64];
    // SAFETY: `sig` has the 64 bytes written, `private` the 64 read, the
    // digest of Ed25519ph the 64 read (checked above); message and context
    // are live slices of the lengths passed.
    let ok = unsafe {
        match variant {
            Ed25519Variant::Ctx => ED25519ctx_sign(
                sig.as_mut_ptr(),
                input.as_ptr(),
                input.len(),
                private.as_ptr(),
                context.as_ptr(),
                context.len(),
            ),
            Ed25519Variant::Ph => ED25519ph_sign_digest(
                sig.as_mut_ptr(),
                input.as_ptr(),
                private.as_ptr(),
                context.as_ptr(),
                context.len(),
            ),
        }
    };
    if ok != 1 {
        return Err(failed(Ckr::MECHANISM_PARAM_INVALID));
    }
    Ok(sig)
}

/// Whether `signature` is a valid Ed25519ctx / Ed25519ph signature of
/// `input` (as for [`ed25519_sign`]) under `public`.
pub(super) fn ed25519_verify(
    variant: Ed25519Variant,
    public: &[u8; 32],
    input: &[u8],
    signature: &[u8; 64],
    context: &[u8],
) -> bool {
    if context.len() > 255 || (variant == Ed25519Variant::Ph && input.len() != 64) {
        return false;
    }
    // SAFETY: as for signing; every buffer has the length the call reads.
    let ok = unsafe {
        match variant {
            Ed25519Variant::Ctx => ED25519ctx_verify(
                input.as_ptr(),
                input.len(),
                signature.as_ptr(),
                public.as_ptr(),
                context.as_ptr(),
                context.len(),
            ),
            Ed25519Variant::Ph => ED25519ph_verify_digest(
                input.as_ptr(),
                signature.as_ptr(),
                public.as_ptr(),
                context.as_ptr(),
                context.len(),
            ),
        }
    };
    if ok != 1 {
        clear_errors();
    }
    ok == 1
}
