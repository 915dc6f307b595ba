//! Signing mechanisms whose CK_SIGN_ADDITIONAL_CONTEXT /
//! CK_HASH_SIGN_ADDITIONAL_CONTEXT parameter points at a context they own.

use crate::raw::Mech;
use cryptoki_sys::*;
use std::ops::{Deref, DerefMut};
use std::ptr;

/// A signing mechanism whose parameter points at a context it owns.
pub struct SignMech {
    mech: Mech,
    // The parameter struct points into this buffer; it must outlive `mech`.
    _context: Vec<u8>,
}

impl Deref for SignMech {
    type Target = Mech;
    fn deref(&self) -> &Mech {
        &self.mech
    }
}

impl DerefMut for SignMech {
    fn deref_mut(&mut self) -> &mut Mech {
        &mut self.mech
    }
}

fn context_ptr(ctx: &[u8]) -> *mut u8 {
    if ctx.is_empty() {
        ptr::null_mut()
    } else {
        ctx.as_ptr() as *mut u8
    }
}

/// `ty` without a parameter (CKM_FALCON, or the NULL parameter of
/// CKM_ML_DSA that means "hedge preferred, empty context").
pub fn sign_mech_none(ty: CK_MECHANISM_TYPE) -> SignMech {
    SignMech {
        mech: Mech::new(ty),
        _context: Vec::new(),
    }
}

/// `ty` with a `CK_SIGN_ADDITIONAL_CONTEXT` (CKM_ML_DSA, CKM_SLH_DSA,
/// CKM_HASH_ML_DSA_SHA256 …).
pub fn sign_mech(ty: CK_MECHANISM_TYPE, hedge: CK_HEDGE_TYPE, context: &[u8]) -> SignMech {
    let context = context.to_vec();
    let param = CK_SIGN_ADDITIONAL_CONTEXT {
        hedgeVariant: hedge,
        pContext: context_ptr(&context),
        ulContextLen: context.len() as CK_ULONG,
    };
    SignMech {
        mech: Mech::with_struct(ty, param),
        _context: context,
    }
}

/// `ty` with a `CK_HASH_SIGN_ADDITIONAL_CONTEXT` (CKM_HASH_ML_DSA,
/// CKM_HASH_SLH_DSA): the data is a digest made with `hash`.
pub fn hash_sign_mech(
    ty: CK_MECHANISM_TYPE,
    hedge: CK_HEDGE_TYPE,
    context: &[u8],
    hash: CK_MECHANISM_TYPE,
) -> SignMech {
    let context = context.to_vec();
    let param = CK_HASH_SIGN_ADDITIONAL_CONTEXT {
        hedgeVariant: hedge,
        pContext: context_ptr(&context),
        ulContextLen: context.len() as CK_ULONG,
        hash,
    };
    SignMech {
        mech: Mech::with_struct(ty, param),
        _context: context,
    }
}
