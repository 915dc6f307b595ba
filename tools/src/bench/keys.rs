//! Key templates and mechanisms of the measured algorithms, as a PKCS#11
//! client spells them.

use super::ops::{Alg, Kem};
use crate::module::Ck;
use crate::vendor::{CKK_FALCON, CKM_FALCON};
use anyhow::Result;
use cryptoki::mechanism::dsa::{HedgeType, SignAdditionalContext};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle, ParameterSetType};
use cryptoki::session::Session;
use cryptoki::types::Ulong;
use cryptoki_sys::CK_ULONG;

/// DER OID of NIST P-256 (prime256v1), the CKA_EC_PARAMS of its keys.
const P256: [u8; 10] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
/// DER OID id-Ed25519 (1.3.101.112).
const ED25519: [u8; 5] = [0x06, 0x03, 0x2B, 0x65, 0x70];
/// Label of every key the bench makes.
const KEY_LABEL: &[u8] = b"qrc-bench-key";

/// CKA_PARAMETER_SET with a CKP_ value.
fn parameter_set(value: CK_ULONG) -> Result<Attribute> {
    let set = ParameterSetType::try_from(Ulong::new(value)).ck()?;
    Ok(Attribute::ParameterSet(set))
}

/// Public and private templates of a token key pair of `alg`.
pub fn pair_templates(alg: Alg) -> Result<(Vec<Attribute>, Vec<Attribute>)> {
    let mut public = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::Label(KEY_LABEL.to_vec()),
    ];
    let mut private = private_template();
    private.push(Attribute::Sign(true));
    match alg {
        Alg::MlDsa(set) | Alg::SlhDsa(set) => public.push(parameter_set(set)?),
        Alg::Falcon(set) => {
            let ty = KeyType::new_vendor_defined(CKK_FALCON).ck()?;
            public.push(Attribute::KeyType(ty));
            private.push(Attribute::KeyType(ty));
            public.push(parameter_set(set)?);
        }
        Alg::EcdsaP256 => public.push(Attribute::EcParams(P256.to_vec())),
        Alg::Ed25519 => public.push(Attribute::EcParams(ED25519.to_vec())),
        Alg::Rsa2048 => {
            public.push(Attribute::ModulusBits(2048.into()));
            public.push(Attribute::PublicExponent(vec![1, 0, 1]));
        }
    }
    Ok((public, private))
}

/// Public and private templates of a token ML-KEM key pair.
pub fn kem_templates(kem: Kem) -> Result<(Vec<Attribute>, Vec<Attribute>)> {
    let public = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Encapsulate(true),
        Attribute::Label(KEY_LABEL.to_vec()),
        parameter_set(kem.0)?,
    ];
    let mut private = private_template();
    private.push(Attribute::Decapsulate(true));
    Ok((public, private))
}

/// The private half: on the token, private, sensitive, not extractable.
fn private_template() -> Vec<Attribute> {
    vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Label(KEY_LABEL.to_vec()),
    ]
}

/// The secret-key object an encapsulation or decapsulation creates: a
/// session generic secret.
pub fn shared_secret_template() -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(false),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
    ]
}

/// An AES-256 key for encryption, on the token or in the session.
pub fn aes_template(token: bool) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::ValueLen(32.into()),
        Attribute::Token(token),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
        Attribute::Label(KEY_LABEL.to_vec()),
    ]
}

/// The key-pair generation mechanism of `alg`.
pub fn keygen_mechanism(alg: Alg) -> Result<Mechanism<'static>> {
    Ok(match alg {
        Alg::MlDsa(_) => Mechanism::MlDsaKeyPairGen,
        Alg::SlhDsa(_) => Mechanism::SlhDsaKeyPairGen,
        Alg::Falcon(_) => vendor(alg.keygen_mechanism())?,
        Alg::EcdsaP256 => Mechanism::EccKeyPairGen,
        Alg::Ed25519 => Mechanism::EccEdwardsKeyPairGen,
        Alg::Rsa2048 => Mechanism::RsaPkcsKeyPairGen,
    })
}

/// The signature mechanism of `alg`: pure ML-DSA / SLH-DSA with an empty
/// context and preferred hedging (a NULL parameter), Ed25519 pure.
pub fn sign_mechanism(alg: Alg) -> Result<Mechanism<'static>> {
    let plain = SignAdditionalContext::new(HedgeType::Preferred, None);
    Ok(match alg {
        Alg::MlDsa(_) => Mechanism::MlDsa(plain),
        Alg::SlhDsa(_) => Mechanism::SlhDsa(plain),
        Alg::Falcon(_) => vendor(CKM_FALCON)?,
        Alg::EcdsaP256 => Mechanism::Ecdsa,
        Alg::Ed25519 => Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
        Alg::Rsa2048 => Mechanism::Sha256RsaPkcs,
    })
}

/// A vendor-defined mechanism without parameter.
fn vendor(ty: cryptoki_sys::CK_MECHANISM_TYPE) -> Result<Mechanism<'static>> {
    let ty = MechanismType::new_vendor_defined(ty).ck()?;
    Ok(Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
        ty, None,
    )))
}

/// Generates a token key pair of `alg`: (public, private).
pub fn key_pair(s: &Session, alg: Alg) -> Result<(ObjectHandle, ObjectHandle)> {
    let (public, private) = pair_templates(alg)?;
    s.generate_key_pair(&keygen_mechanism(alg)?, &public, &private)
        .ck()
}

/// Generates a token ML-KEM key pair: (public, private).
pub fn kem_pair(s: &Session, kem: Kem) -> Result<(ObjectHandle, ObjectHandle)> {
    let (public, private) = kem_templates(kem)?;
    s.generate_key_pair(&Mechanism::MlKemKeyPairGen, &public, &private)
        .ck()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendor::{CKP_FALCON_1024, CKP_FALCON_512};
    use cryptoki::object::AttributeType;
    use cryptoki_sys::*;

    fn has(t: &[Attribute], ty: AttributeType) -> bool {
        t.iter().any(|a| a.attribute_type() == ty)
    }

    #[test]
    fn templates_carry_what_each_algorithm_needs() {
        let (public, private) = pair_templates(Alg::MlDsa(CKP_ML_DSA_65)).unwrap();
        assert!(public.contains(&parameter_set(CKP_ML_DSA_65).unwrap()));
        assert!(private.contains(&Attribute::Sensitive(true)));
        assert!(private.contains(&Attribute::Sign(true)));
        let (public, _) = pair_templates(Alg::EcdsaP256).unwrap();
        assert!(public.contains(&Attribute::EcParams(P256.to_vec())));
        let (public, _) = pair_templates(Alg::Rsa2048).unwrap();
        assert!(has(&public, AttributeType::ModulusBits));
        let (public, private) = pair_templates(Alg::Falcon(CKP_FALCON_1024)).unwrap();
        assert!(public.contains(&parameter_set(2).unwrap()));
        assert!(has(&private, AttributeType::KeyType));
        let (public, private) = kem_templates(Kem(CKP_ML_KEM_768)).unwrap();
        assert!(public.contains(&Attribute::Encapsulate(true)));
        assert!(private.contains(&Attribute::Decapsulate(true)));
        assert!(shared_secret_template().contains(&Attribute::Token(false)));
    }

    #[test]
    fn mechanisms_have_the_right_types() {
        let falcon = sign_mechanism(Alg::Falcon(CKP_FALCON_512)).unwrap();
        assert_eq!(
            falcon.mechanism_type(),
            MechanismType::new_vendor_defined(0xC000_0071).unwrap()
        );
        assert_eq!(
            CK_MECHANISM_TYPE::from(keygen_mechanism(Alg::Ed25519).unwrap().mechanism_type()),
            CKM_EC_EDWARDS_KEY_PAIR_GEN
        );
        for a in [
            Alg::MlDsa(CKP_ML_DSA_44),
            Alg::SlhDsa(CKP_SLH_DSA_SHA2_128S),
            Alg::Rsa2048,
        ] {
            let m = sign_mechanism(a).unwrap();
            assert_eq!(
                CK_MECHANISM_TYPE::from(m.mechanism_type()),
                a.sign_mechanism()
            );
            let g = keygen_mechanism(a).unwrap();
            assert_eq!(
                CK_MECHANISM_TYPE::from(g.mechanism_type()),
                a.keygen_mechanism()
            );
        }
    }
}
