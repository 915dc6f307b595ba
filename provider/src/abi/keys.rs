//! Entry points: key generation, wrapping, derivation, and random numbers.

use super::convert::{bytes, bytes_mut, with_output, OutPtr};
use super::guard;
use super::mechanism::{derived_key_outputs, mechanism};
use super::template::template;
use crate::api;
use cryptoki_sys::*;

pub(super) unsafe extern "C" fn C_GenerateKey(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    p_template: *mut CK_ATTRIBUTE,
    ul_count: CK_ULONG,
    ph_key: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    guard(|| {
        // SAFETY: arguments valid as stated, by the PKCS#11 contract.
        let (m, t, out) = unsafe {
            (
                mechanism(p_mechanism)?,
                template(p_template, ul_count)?,
                OutPtr::new(ph_key)?,
            )
        };
        out.set(api::generate_key(h, &m, &t)?);
        Ok(())
    })
}

#[allow(clippy::too_many_arguments)] // the PKCS#11 signature
pub(super) unsafe extern "C" fn C_GenerateKeyPair(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    p_public_template: *mut CK_ATTRIBUTE,
    ul_public_count: CK_ULONG,
    p_private_template: *mut CK_ATTRIBUTE,
    ul_private_count: CK_ULONG,
    ph_public_key: *mut CK_OBJECT_HANDLE,
    ph_private_key: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    guard(|| {
        // SAFETY: arguments valid as stated, by the PKCS#11 contract.
        let (m, public, private, out_public, out_private) = unsafe {
            (
                mechanism(p_mechanism)?,
                template(p_public_template, ul_public_count)?,
                template(p_private_template, ul_private_count)?,
                OutPtr::new(ph_public_key)?,
                OutPtr::new(ph_private_key)?,
            )
        };
        let (public_key, private_key) = api::generate_key_pair(h, &m, &public, &private)?;
        out_public.set(public_key);
        out_private.set(private_key);
        Ok(())
    })
}

pub(super) unsafe extern "C" fn C_WrapKey(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    wrapping_key: CK_OBJECT_HANDLE,
    key: CK_OBJECT_HANDLE,
    p_wrapped: *mut CK_BYTE,
    pul_wrapped_len: *mut CK_ULONG,
) -> CK_RV {
    guard(|| {
        // SAFETY: arguments valid as stated, by the PKCS#11 contract.
        unsafe {
            let m = mechanism(p_mechanism)?;
            with_output(p_wrapped, pul_wrapped_len, |o| {
                api::wrap_key(h, &m, wrapping_key, key, o)
            })
        }
    })
}

#[allow(clippy::too_many_arguments)] // the PKCS#11 signature
pub(super) unsafe extern "C" fn C_UnwrapKey(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    unwrapping_key: CK_OBJECT_HANDLE,
    p_wrapped: *mut CK_BYTE,
    ul_wrapped_len: CK_ULONG,
    p_template: *mut CK_ATTRIBUTE,
    ul_count: CK_ULONG,
    ph_key: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    guard(|| {
        // SAFETY: arguments valid as stated, by the PKCS#11 contract.
        let (m, wrapped, t, out) = unsafe {
            (
                mechanism(p_mechanism)?,
                bytes(p_wrapped, ul_wrapped_len)?,
                template(p_template, ul_count)?,
                OutPtr::new(ph_key)?,
            )
        };
        out.set(api::unwrap_key(h, &m, unwrapping_key, wrapped, &t)?);
        Ok(())
    })
}

/// The handles of SP 800-108's additional derived keys go to the phKey of
/// each CK_DERIVED_KEY in the parameter; when the call fails, each of them
/// is set to CK_INVALID_HANDLE (no key was made).
pub(super) unsafe extern "C" fn C_DeriveKey(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    base_key: CK_OBJECT_HANDLE,
    p_template: *mut CK_ATTRIBUTE,
    ul_count: CK_ULONG,
    ph_key: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    guard(|| {
        // SAFETY: arguments valid as stated, by the PKCS#11 contract.
        let (m, t, out, more_out) = unsafe {
            (
                mechanism(p_mechanism)?,
                template(p_template, ul_count)?,
                OutPtr::new(ph_key)?,
                derived_key_outputs(p_mechanism)?,
            )
        };
        match api::derive_key(h, &m, base_key, &t) {
            Ok((key, more)) => {
                out.set(key);
                for (o, k) in more_out.into_iter().zip(more) {
                    o.set(k);
                }
                Ok(())
            }
            Err(e) => {
                for o in more_out {
                    o.set(CK_INVALID_HANDLE);
                }
                Err(e)
            }
        }
    })
}

pub(super) unsafe extern "C" fn C_SeedRandom(
    h: CK_SESSION_HANDLE,
    p_seed: *mut CK_BYTE,
    ul_seed_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: the seed is as long as stated, by the PKCS#11 contract.
    guard(|| api::seed_random(h, unsafe { bytes(p_seed, ul_seed_len)? }))
}

pub(super) unsafe extern "C" fn C_GenerateRandom(
    h: CK_SESSION_HANDLE,
    p_random: *mut CK_BYTE,
    ul_random_len: CK_ULONG,
) -> CK_RV {
    // SAFETY: the buffer is as long as stated, by the PKCS#11 contract.
    guard(|| api::generate_random(h, unsafe { bytes_mut(p_random, ul_random_len)? }))
}

/// PKCS#11 3.2 (outputs last). A NULL ciphertext is a length query and
/// creates no key; so does a short buffer, which reports the length needed.
pub(super) unsafe extern "C" fn C_EncapsulateKey(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    public_key: CK_OBJECT_HANDLE,
    p_template: *mut CK_ATTRIBUTE,
    ul_count: CK_ULONG,
    p_ciphertext: *mut CK_BYTE,
    pul_ciphertext_len: *mut CK_ULONG,
    ph_key: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    guard(|| {
        // SAFETY: arguments valid as stated, by the PKCS#11 contract.
        let (m, t, key_out) = unsafe {
            (
                mechanism(p_mechanism)?,
                template(p_template, ul_count)?,
                OutPtr::new(ph_key)?,
            )
        };
        // SAFETY: the ciphertext buffer is as long as stated.
        unsafe {
            with_output(p_ciphertext, pul_ciphertext_len, |o| {
                if let Some(key) = api::encapsulate_key(h, &m, public_key, &t, o)? {
                    key_out.set(key);
                }
                Ok(())
            })
        }
    })
}

/// PKCS#11 3.2 (outputs last).
pub(super) unsafe extern "C" fn C_DecapsulateKey(
    h: CK_SESSION_HANDLE,
    p_mechanism: *mut CK_MECHANISM,
    private_key: CK_OBJECT_HANDLE,
    p_template: *mut CK_ATTRIBUTE,
    ul_count: CK_ULONG,
    p_ciphertext: *mut CK_BYTE,
    ul_ciphertext_len: CK_ULONG,
    ph_key: *mut CK_OBJECT_HANDLE,
) -> CK_RV {
    guard(|| {
        // SAFETY: arguments valid as stated, by the PKCS#11 contract.
        let (m, t, ciphertext, key_out) = unsafe {
            (
                mechanism(p_mechanism)?,
                template(p_template, ul_count)?,
                bytes(p_ciphertext, ul_ciphertext_len)?,
                OutPtr::new(ph_key)?,
            )
        };
        key_out.set(api::decapsulate_key(h, &m, private_key, &t, ciphertext)?);
        Ok(())
    })
}
