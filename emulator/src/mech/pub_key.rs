//! CKM_PUB_KEY_FROM_PRIV_KEY (PKCS#11 3.2): C_DeriveKey of a private key's
//! public half, for every key type with a registered key family.

use super::{registry, Mechanism, MechanismImpl, Registry};
use crate::error::{Ckr, Result};
use crate::Attributes;
use cryptoki_sys::*;

struct PubKeyFromPrivKey;

impl MechanismImpl for PubKeyFromPrivKey {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        CKM_PUB_KEY_FROM_PRIV_KEY
    }
    fn name(&self) -> &'static str {
        "CKM_PUB_KEY_FROM_PRIV_KEY"
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        CK_MECHANISM_INFO {
            ulMinKeySize: 0,
            ulMaxKeySize: 0,
            flags: CKF_DERIVE,
        }
    }

    fn derive(
        &self,
        _m: &Mechanism,
        base: &Attributes,
        _template: &Attributes,
    ) -> Result<Attributes> {
        if base.ulong(CKA_CLASS)? != Some(CKO_PRIVATE_KEY) {
            return Err(Ckr::KEY_TYPE_INCONSISTENT);
        }
        let key_type = base
            .ulong(CKA_KEY_TYPE)?
            .ok_or(Ckr::KEY_TYPE_INCONSISTENT)?;
        let family = registry()
            .family(key_type)?
            .ok_or(Ckr::KEY_TYPE_INCONSISTENT)?;
        let mut public = family.public_from_private(base)?;
        public.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
        public.set_ulong(CKA_KEY_TYPE, key_type);
        Ok(public)
    }
}

pub(crate) fn register(r: &mut Registry) {
    r.add(PubKeyFromPrivKey);
}
