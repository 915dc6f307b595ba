//! What the MAC mechanisms (HMAC, AES-CMAC) share: the full-length and
//! `_GENERAL` mechanism of each family (the tag truncated to the 1 to full
//! length bytes of CK_MAC_GENERAL_PARAMS), and the one signer and verifier
//! over a keyed MAC state.

use super::secret::no_param;
use super::{info, MechParam, Mechanism, MechanismImpl, Registry, Signer, Verifier};
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use cryptoki_sys::*;
use hmac::digest::{KeyInit, Mac};
use std::ops::RangeInclusive;
use subtle::ConstantTimeEq;

/// A keyed MAC in progress; `tag` returns the full-length tag of everything
/// so far and leaves the state usable (the operation layer may ask twice:
/// length, then value).
pub(super) trait MacState: Send {
    fn update(&mut self, data: &[u8]);
    fn tag(&self) -> Vec<u8>;
}

impl<M: Mac + Clone + Send> MacState for M {
    fn update(&mut self, data: &[u8]) {
        Mac::update(self, data);
    }
    fn tag(&self) -> Vec<u8> {
        // hmac offers reset only behind a feature; finishing a copy is as good.
        self.clone().finalize().into_bytes().to_vec()
    }
}

/// The state of the RustCrypto MAC `M` under `key`; CKR_KEY_SIZE_RANGE for
/// a key length `M` does not take.
pub(super) fn keyed<M: Mac + KeyInit + Clone + Send + 'static>(
    key: &[u8],
) -> Result<Box<dyn MacState>> {
    let mac = <M as KeyInit>::new_from_slice(key).map_err(|_| Ckr::KEY_SIZE_RANGE)?;
    Ok(Box::new(mac))
}

/// One MAC function: which keys it takes and the state it starts under one.
pub(super) trait MacFamily: Send + Sync + Clone + 'static {
    /// The key lengths in bytes CK_MECHANISM_INFO reports.
    fn key_sizes(&self) -> RangeInclusive<usize>;
    /// The full tag length in bytes.
    fn full_len(&self) -> usize;
    /// The keyed state under the key object `key`, after the family's key
    /// type and length checks.
    fn start(&self, key: &Attributes) -> Result<Box<dyn MacState>>;
}

/// The full-length or the `_GENERAL` mechanism of one MAC family.
struct MacMech<F> {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    general: bool,
    family: F,
}

impl<F: MacFamily> MacMech<F> {
    /// The keyed state and the tag length the mechanism asks for.
    fn start(&self, m: &Mechanism, key: &Attributes) -> Result<MacOp> {
        let full = self.family.full_len();
        let len = if self.general {
            match m.param {
                MechParam::Ulong(n) if (1..=full as CK_ULONG).contains(&n) => n as usize,
                _ => return Err(Ckr::MECHANISM_PARAM_INVALID),
            }
        } else {
            no_param(m)?;
            full
        };
        Ok(MacOp {
            mac: self.family.start(key)?,
            len,
        })
    }
}

impl<F: MacFamily> MechanismImpl for MacMech<F> {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        let sizes = self.family.key_sizes();
        info(
            *sizes.start() as CK_ULONG,
            *sizes.end() as CK_ULONG,
            CKF_SIGN | CKF_VERIFY,
        )
    }
    fn sign(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Signer>> {
        Ok(Box::new(self.start(m, key)?))
    }
    fn verify(&self, m: &Mechanism, key: &Attributes) -> Result<Box<dyn Verifier>> {
        Ok(Box::new(self.start(m, key)?))
    }
}

/// A running MAC signature or verification.
struct MacOp {
    mac: Box<dyn MacState>,
    len: usize,
}

impl Signer for MacOp {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.mac.update(data);
        Ok(())
    }
    fn finish(&mut self) -> Result<Vec<u8>> {
        let mut tag = self.mac.tag();
        tag.truncate(self.len);
        Ok(tag)
    }
}

impl Verifier for MacOp {
    fn update(&mut self, data: &[u8]) -> Result<()> {
        self.mac.update(data);
        Ok(())
    }
    fn finish(&mut self, signature: &[u8]) -> Result<()> {
        if signature.len() != self.len {
            return Err(Ckr::SIGNATURE_LEN_RANGE);
        }
        if bool::from(self.mac.tag()[..self.len].ct_eq(signature)) {
            Ok(())
        } else {
            Err(Ckr::SIGNATURE_INVALID)
        }
    }
}

/// Register the full-length and the `_GENERAL` mechanism of `family`.
pub(super) fn register_pair<F: MacFamily>(
    r: &mut Registry,
    (ty, name): (CK_MECHANISM_TYPE, &'static str),
    (general_ty, general_name): (CK_MECHANISM_TYPE, &'static str),
    family: F,
) {
    r.add(MacMech {
        ty,
        name,
        general: false,
        family: family.clone(),
    });
    r.add(MacMech {
        ty: general_ty,
        name: general_name,
        general: true,
        family,
    });
}
