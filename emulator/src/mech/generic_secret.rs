//! CKM_GENERIC_SECRET_KEY_GEN: random keys of any length from 1 to 512 bytes,
//! for HMAC and key derivation.

use super::secret::{self, check_template_key_type, no_param, value_len};
use super::{info, Mechanism, MechanismImpl, Registry};
use crate::attr::Attributes;
use crate::error::Result;
use cryptoki_sys::*;

/// Key lengths in bytes (CKA_VALUE_LEN).
const MAX_LEN: usize = 512;

/// CKM_GENERIC_SECRET_KEY_GEN.
struct GenericSecretKeyGen;

impl MechanismImpl for GenericSecretKeyGen {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        CKM_GENERIC_SECRET_KEY_GEN
    }
    fn name(&self) -> &'static str {
        "CKM_GENERIC_SECRET_KEY_GEN"
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        // PKCS#11 gives this mechanism's key sizes in bits.
        info(8, (MAX_LEN * 8) as CK_ULONG, CKF_GENERATE)
    }
    fn generate_key(&self, m: &Mechanism, template: &Attributes) -> Result<Attributes> {
        no_param(m)?;
        check_template_key_type(template, CKK_GENERIC_SECRET)?;
        let len = value_len(template, 1..=MAX_LEN)?;
        Ok(secret::random_key(CKK_GENERIC_SECRET, len))
    }
}

pub(crate) fn register(r: &mut Registry) {
    r.add(GenericSecretKeyGen);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Ckr;
    use crate::mech::{registry, MechParam};

    #[test]
    fn generates_keys_of_the_requested_length() {
        let keygen = registry().get(CKM_GENERIC_SECRET_KEY_GEN).unwrap();
        let m = Mechanism {
            ty: CKM_GENERIC_SECRET_KEY_GEN,
            param: MechParam::None,
        };
        let mut t = Attributes::new();
        assert_eq!(
            keygen.generate_key(&m, &t).err(),
            Some(Ckr::TEMPLATE_INCOMPLETE)
        );
        for bad in [0, 513, CK_ULONG::MAX] {
            t.set_ulong(CKA_VALUE_LEN, bad);
            assert_eq!(
                keygen.generate_key(&m, &t).err(),
                Some(Ckr::ATTRIBUTE_VALUE_INVALID)
            );
        }
        for len in [1, 32, 512] {
            t.set_ulong(CKA_VALUE_LEN, len);
            let a = keygen.generate_key(&m, &t).unwrap();
            assert_eq!(a.ulong(CKA_KEY_TYPE).unwrap(), Some(CKK_GENERIC_SECRET));
            assert_eq!(a.ulong(CKA_VALUE_LEN).unwrap(), Some(len));
            assert_eq!(a.get(CKA_VALUE).unwrap().len() as CK_ULONG, len);
        }
        t.set_ulong(CKA_VALUE_LEN, 64);
        let (a, b) = (
            keygen.generate_key(&m, &t).unwrap(),
            keygen.generate_key(&m, &t).unwrap(),
        );
        assert_ne!(a.get(CKA_VALUE), b.get(CKA_VALUE));
        t.set_ulong(CKA_KEY_TYPE, CKK_AES);
        assert_eq!(
            keygen.generate_key(&m, &t).err(),
            Some(Ckr::TEMPLATE_INCONSISTENT)
        );
        let with_param = Mechanism {
            ty: CKM_GENERIC_SECRET_KEY_GEN,
            param: MechParam::Ulong(1),
        };
        assert_eq!(
            keygen.generate_key(&with_param, &Attributes::new()).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
        assert_eq!(keygen.info().ulMaxKeySize, 4096);
    }
}
