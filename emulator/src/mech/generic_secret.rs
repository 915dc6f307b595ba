//! Random secret keys of any length from 1 to 512 bytes, for HMAC and key
//! derivation: CKM_GENERIC_SECRET_KEY_GEN and the per-hash HMAC key
//! generators (CKM_SHA256_KEY_GEN makes a CKK_SHA256_HMAC key, …).

use super::secret::{self, check_template_key_type, no_param, value_len};
use super::{info, Mechanism, MechanismImpl, Registry};
use crate::attr::Attributes;
use crate::error::Result;
use cryptoki_sys::*;

/// Key lengths in bytes (CKA_VALUE_LEN).
const MAX_LEN: usize = 512;

/// A generator of random keys of one key type.
struct SecretKeyGen {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    key_type: CK_KEY_TYPE,
}

impl MechanismImpl for SecretKeyGen {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        // PKCS#11 gives these mechanisms' key sizes in bits.
        info(8, (MAX_LEN * 8) as CK_ULONG, CKF_GENERATE)
    }
    fn generate_key(&self, m: &Mechanism, template: &Attributes) -> Result<Attributes> {
        no_param(m)?;
        check_template_key_type(template, self.key_type)?;
        let len = value_len(template, 1..=MAX_LEN)?;
        secret::random_key(self.key_type, len)
    }
}

pub(crate) fn register(r: &mut Registry) {
    let generators = [
        (
            CKM_GENERIC_SECRET_KEY_GEN,
            "CKM_GENERIC_SECRET_KEY_GEN",
            CKK_GENERIC_SECRET,
        ),
        (CKM_SHA_1_KEY_GEN, "CKM_SHA_1_KEY_GEN", CKK_SHA_1_HMAC),
        (CKM_SHA224_KEY_GEN, "CKM_SHA224_KEY_GEN", CKK_SHA224_HMAC),
        (CKM_SHA256_KEY_GEN, "CKM_SHA256_KEY_GEN", CKK_SHA256_HMAC),
        (CKM_SHA384_KEY_GEN, "CKM_SHA384_KEY_GEN", CKK_SHA384_HMAC),
        (CKM_SHA512_KEY_GEN, "CKM_SHA512_KEY_GEN", CKK_SHA512_HMAC),
        (
            CKM_SHA3_224_KEY_GEN,
            "CKM_SHA3_224_KEY_GEN",
            CKK_SHA3_224_HMAC,
        ),
        (
            CKM_SHA3_256_KEY_GEN,
            "CKM_SHA3_256_KEY_GEN",
            CKK_SHA3_256_HMAC,
        ),
        (
            CKM_SHA3_384_KEY_GEN,
            "CKM_SHA3_384_KEY_GEN",
            CKK_SHA3_384_HMAC,
        ),
        (
            CKM_SHA3_512_KEY_GEN,
            "CKM_SHA3_512_KEY_GEN",
            CKK_SHA3_512_HMAC,
        ),
    ];
    for (ty, name, key_type) in generators {
        r.add(SecretKeyGen { ty, name, key_type });
    }
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

    #[test]
    fn hmac_key_generators_make_their_key_type() {
        let keygen = registry().get(CKM_SHA256_KEY_GEN).unwrap();
        let m = Mechanism {
            ty: CKM_SHA256_KEY_GEN,
            param: MechParam::None,
        };
        let mut t = Attributes::new();
        t.set_ulong(CKA_VALUE_LEN, 32);
        let a = keygen.generate_key(&m, &t).unwrap();
        assert_eq!(a.ulong(CKA_KEY_TYPE).unwrap(), Some(CKK_SHA256_HMAC));
        t.set_ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET);
        assert_eq!(
            keygen.generate_key(&m, &t).err(),
            Some(Ckr::TEMPLATE_INCONSISTENT)
        );
    }
}
