//! What the KDFs that make secret keys from one or more templates share:
//! C_DeriveKey's one key through `derive_keys`, the check that a template
//! asks for a secret key, and the new key's attributes around its value.

use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::{Mechanism, MechanismImpl};
use cryptoki_sys::*;

/// One key, from the caller's template and no additional keys: for the
/// mechanisms whose `derive_keys` is the whole derivation.
pub(super) fn derive_one(
    mech: &impl MechanismImpl,
    m: &Mechanism,
    base: &Attributes,
    template: &Attributes,
) -> Result<Attributes> {
    let mut keys = mech.derive_keys(m, base, &[], std::slice::from_ref(template))?;
    Ok(keys.remove(0))
}

/// CKR_TEMPLATE_INCONSISTENT for a template whose CKA_CLASS is not
/// CKO_SECRET_KEY (a template without one is for a secret key).
pub(super) fn secret_template(template: &Attributes) -> Result<()> {
    if template
        .ulong(CKA_CLASS)?
        .is_some_and(|c| c != CKO_SECRET_KEY)
    {
        return Err(Ckr::TEMPLATE_INCONSISTENT);
    }
    Ok(())
}

/// The new key's attributes: `out` with the derived `value` as CKA_VALUE,
/// moved, not copied: the attribute set's zeroizing storage owns it.
pub(super) fn with_value(mut out: Attributes, mut value: Value) -> Attributes {
    out.set(CKA_VALUE, std::mem::take(&mut *value));
    out
}
