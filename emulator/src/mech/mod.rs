//! The mechanism registry: every algorithm the emulator offers, one module per
//! family, each registering its mechanisms here. C_GetMechanismList,
//! C_GetMechanismInfo, every crypto *Init and docs/mechanisms.md all read this
//! one table.

use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use cryptoki_sys::*;
use std::collections::BTreeMap;
use std::sync::OnceLock;

mod aes;
mod aes_ctr;
mod aes_gcm;
mod asn1;
mod aws_lc;
mod cmac;
mod composite;
mod digest;
mod ec;
mod falcon;
mod generic_secret;
pub mod health;
mod hmac;
mod kdf;
mod key_wrap;
mod mac;
mod message;
mod ml_dsa;
mod ml_kem;
mod param_set;
mod prehash;
mod pub_key;
pub mod rng;
mod rsa;
mod secret;
mod seeded;
mod self_test;
mod slh_dsa;
#[cfg(test)]
mod test_vectors;
#[cfg(test)]
mod wycheproof;

pub use message::{MessageCipher, MessageParams};
pub use secret::append;
pub use self_test::self_test;

/// A mechanism as the caller asked for it: its type and its parameter, already
/// read out of the caller's C structures by the provider's ABI layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mechanism {
    pub ty: CK_MECHANISM_TYPE,
    pub param: MechParam,
}

/// The parameter of a mechanism, copied out of caller memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MechParam {
    /// pParameter was NULL / ulParameterLen 0.
    None,
    /// A plain byte-string parameter (an IV for CBC modes, or any parameter
    /// whose C form is a byte array).
    Bytes(Vec<u8>),
    /// A CK_ULONG parameter (CK_MAC_GENERAL_PARAMS: the MAC length).
    Ulong(CK_ULONG),
    /// CK_GCM_PARAMS, either layout (2.40 without ulIvBits, 3.0 with it).
    Gcm {
        iv: Vec<u8>,
        aad: Vec<u8>,
        tag_bits: CK_ULONG,
    },
    /// CK_AES_CTR_PARAMS.
    Ctr {
        counter_bits: CK_ULONG,
        cb: [u8; 16],
    },
    /// CK_SIGN_ADDITIONAL_CONTEXT (CKM_ML_DSA, CKM_SLH_DSA and their
    /// CKM_HASH_*_SHA256-style forms). A NULL parameter arrives as `None`,
    /// which means CKH_HEDGE_PREFERRED with an empty context.
    SignContext {
        hedge: CK_HEDGE_TYPE,
        context: Vec<u8>,
    },
    /// CK_RSA_PKCS_PSS_PARAMS.
    Pss {
        hash: CK_MECHANISM_TYPE,
        mgf: CK_RSA_PKCS_MGF_TYPE,
        salt_len: CK_ULONG,
    },
    /// CK_RSA_PKCS_OAEP_PARAMS; `label` is the CKZ_DATA_SPECIFIED source
    /// (empty when none is given).
    Oaep {
        hash: CK_MECHANISM_TYPE,
        mgf: CK_RSA_PKCS_MGF_TYPE,
        label: Vec<u8>,
    },
    /// CK_ECDH1_DERIVE_PARAMS: the peer's public value and the KDF.
    Ecdh {
        kdf: CK_EC_KDF_TYPE,
        shared_data: Vec<u8>,
        public_data: Vec<u8>,
    },
    /// CK_EDDSA_PARAMS (Ed25519ph / Ed25519ctx).
    EdDsa { prehash: bool, context: Vec<u8> },
    /// CK_HASH_SIGN_ADDITIONAL_CONTEXT (CKM_HASH_ML_DSA, CKM_HASH_SLH_DSA):
    /// the input is a digest made with `hash`.
    HashSignContext {
        hedge: CK_HEDGE_TYPE,
        context: Vec<u8>,
        hash: CK_MECHANISM_TYPE,
    },
    /// CK_HKDF_PARAMS (CKM_HKDF_DERIVE, CKM_HKDF_DATA): `prf` is
    /// prfHashMechanism (CKM_SHA256, …), `salt` the pSalt bytes of
    /// CKF_HKDF_SALT_DATA, `salt_key` the hSaltKey of CKF_HKDF_SALT_KEY.
    Hkdf {
        extract: bool,
        expand: bool,
        prf: CK_MECHANISM_TYPE,
        salt_type: CK_ULONG,
        salt: Vec<u8>,
        salt_key: CK_OBJECT_HANDLE,
        info: Vec<u8>,
    },
    /// CK_SP800_108_KDF_PARAMS (CKM_SP800_108_COUNTER_KDF) or
    /// CK_SP800_108_FEEDBACK_KDF_PARAMS (CKM_SP800_108_FEEDBACK_KDF): the PRF
    /// (prfType, e.g. CKM_SHA256_HMAC or CKM_AES_CMAC), the PRF input in
    /// order, the feedback mode's IV (empty when none is given, and always
    /// for counter mode), and the templates of the additional derived keys
    /// (pAdditionalDerivedKeys), in order.
    Kbkdf {
        prf: CK_MECHANISM_TYPE,
        data: Vec<PrfData>,
        iv: Vec<u8>,
        additional: Vec<Attributes>,
    },
    /// A CK_OBJECT_HANDLE parameter naming a second key
    /// (CKM_CONCATENATE_BASE_AND_KEY), which the token looks up
    /// ([`MechParam::key_handles`]).
    KeyHandle(CK_OBJECT_HANDLE),
    /// CK_AES_CBC_ENCRYPT_DATA_PARAMS (CKM_AES_CBC_ENCRYPT_DATA).
    CbcEncryptData { iv: [u8; 16], data: Vec<u8> },
}

impl MechParam {
    /// Key objects the parameter names by handle, which the token looks up
    /// with the same checks as a base key (CKA_DERIVE, the allowed
    /// mechanisms) and hands to [`MechanismImpl::derive_keys`] in this order.
    pub fn key_handles(&self) -> Vec<CK_OBJECT_HANDLE> {
        match self {
            MechParam::KeyHandle(h) => vec![*h],
            _ => Vec::new(),
        }
    }

    /// The templates of the further keys one C_DeriveKey makes (SP 800-108's
    /// pAdditionalDerivedKeys), in order.
    pub fn additional_templates(&self) -> &[Attributes] {
        match self {
            MechParam::Kbkdf { additional, .. } => additional,
            _ => &[],
        }
    }
}

/// One CK_PRF_DATA_PARAM of an SP 800-108 KDF; the PRF input is their
/// concatenation in the caller's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrfData {
    /// CK_SP800_108_ITERATION_VARIABLE with its CK_SP800_108_COUNTER_FORMAT
    /// (counter mode's iteration variable): the counter i (from 1) in
    /// `width_bits` bits.
    Counter {
        little_endian: bool,
        width_bits: CK_ULONG,
    },
    /// CK_SP800_108_ITERATION_VARIABLE without a format (feedback mode's
    /// iteration variable): the previous PRF output K(i-1), the IV for i = 1.
    Chained,
    /// CK_SP800_108_COUNTER (CK_SP800_108_OPTIONAL_COUNTER) with its
    /// CK_SP800_108_COUNTER_FORMAT: feedback mode's optional counter i.
    OptionalCounter {
        little_endian: bool,
        width_bits: CK_ULONG,
    },
    /// CK_SP800_108_DKM_LENGTH with its CK_SP800_108_DKM_LENGTH_FORMAT: the
    /// length L in bits of the derived keying material.
    DkmLength {
        method: CK_SP800_108_DKM_LENGTH_METHOD,
        little_endian: bool,
        width_bits: CK_ULONG,
    },
    /// CK_SP800_108_BYTE_ARRAY: fixed input bytes (label, context, …).
    Bytes(Vec<u8>),
    /// Any other entry (CK_SP800_108_KEY_HANDLE), by type; the mechanism
    /// refuses it.
    Unsupported(CK_PRF_DATA_TYPE),
}

/// What a key-pair mechanism supplies to each half (CKA_KEY_TYPE,
/// CKA_PARAMETER_SET, CKA_VALUE, CKA_SEED, CKA_PUBLIC_KEY_INFO, …).
#[derive(Clone, Debug, Default)]
pub struct KeyPair {
    pub public: Attributes,
    pub private: Attributes,
}

/// A key encapsulation's result: the ciphertext for the peer and the shared
/// secret that becomes a new key object.
pub struct Encapsulated {
    pub ciphertext: Vec<u8>,
    pub secret: Value,
}

/// A key type whose keys the token must check or complete when they arrive
/// from outside (C_CreateObject, C_UnwrapKey), and whose public half can be
/// computed from the private one. Registered per CKK_ value.
pub trait KeyFamily: Send + Sync {
    fn key_type(&self) -> CK_KEY_TYPE;
    /// Check and complete an imported private key in place: from CKA_SEED
    /// derive CKA_VALUE (or, given both, check they agree), run the standard's
    /// input checks, set CKA_PUBLIC_KEY_INFO. A bad key is
    /// CKR_ATTRIBUTE_VALUE_INVALID; neither seed nor value is
    /// CKR_TEMPLATE_INCOMPLETE.
    fn complete_private(&self, key: &mut Attributes) -> Result<()>;
    /// Check and complete an imported public key in place (length and, for
    /// ML-KEM, the FIPS 203 modulus check; CKA_PUBLIC_KEY_INFO).
    fn complete_public(&self, key: &mut Attributes) -> Result<()>;
    /// What CKM_PUB_KEY_FROM_PRIV_KEY supplies to the new public key.
    fn public_from_private(&self, private: &Attributes) -> Result<Attributes>;
    /// The private key as PKCS#8 DER (OneAsymmetricKey with the standard
    /// OID and private-key encoding), for C_WrapKey.
    fn export_private(&self, private: &Attributes) -> Result<Value>;
    /// The attributes of a PKCS#8-encoded private key (CKA_PARAMETER_SET,
    /// CKA_SEED and/or CKA_VALUE), for C_UnwrapKey; a malformed encoding is
    /// CKR_WRAPPED_KEY_INVALID.
    fn import_private(&self, encoded: &[u8]) -> Result<Attributes>;
}

/// A running encryption or decryption. `update` returns what can be output so
/// far; `finish` returns the rest and ends the operation.
pub trait Cipher: Send {
    fn update(&mut self, input: &[u8]) -> Result<Value>;
    fn finish(&mut self) -> Result<Value>;
}

/// A running digest.
pub trait Digest: Send {
    fn update(&mut self, data: &[u8]);
    fn finish(&mut self) -> Vec<u8>;
}

/// A running signature or MAC computation.
pub trait Signer: Send {
    fn update(&mut self, data: &[u8]) -> Result<()>;
    fn finish(&mut self) -> Result<Vec<u8>>;
    /// Single-part mechanisms (CKM_HASH_ML_DSA, CKM_HASH_SLH_DSA: the input
    /// is one digest) refuse C_SignUpdate.
    fn single_part(&self) -> bool {
        false
    }
}

/// A running verification. `finish` returns Ok(()) only for a valid
/// signature, else CKR_SIGNATURE_INVALID or CKR_SIGNATURE_LEN_RANGE.
pub trait Verifier: Send {
    fn update(&mut self, data: &[u8]) -> Result<()>;
    fn finish(&mut self, signature: &[u8]) -> Result<()>;
    /// As [`Signer::single_part`], for C_VerifyUpdate.
    fn single_part(&self) -> bool {
        false
    }
}

/// One mechanism. A family module implements the operations it supports; the
/// defaults refuse with CKR_MECHANISM_INVALID, which is what PKCS#11 returns
/// for a mechanism used with a function it does not support.
///
/// `key` is the full attribute set of the key object; the mechanism checks the
/// key type (CKR_KEY_TYPE_INCONSISTENT) and size (CKR_KEY_SIZE_RANGE) itself.
/// The caller has already checked the key's usage flags (CKA_ENCRYPT, …).
pub trait MechanismImpl: Send + Sync {
    fn ty(&self) -> CK_MECHANISM_TYPE;
    /// The PKCS#11 name, e.g. "CKM_AES_GCM".
    fn name(&self) -> &'static str;
    fn info(&self) -> CK_MECHANISM_INFO;

    fn encrypt(&self, _m: &Mechanism, _key: &Attributes) -> Result<Box<dyn Cipher>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    fn decrypt(&self, _m: &Mechanism, _key: &Attributes) -> Result<Box<dyn Cipher>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    /// C_MessageEncryptInit: the key's message-based encryption process.
    fn message_encrypt(&self, _m: &Mechanism, _key: &Attributes) -> Result<Box<dyn MessageCipher>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    /// C_MessageDecryptInit.
    fn message_decrypt(&self, _m: &Mechanism, _key: &Attributes) -> Result<Box<dyn MessageCipher>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    fn digest(&self, _m: &Mechanism) -> Result<Box<dyn Digest>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    fn sign(&self, _m: &Mechanism, _key: &Attributes) -> Result<Box<dyn Signer>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    fn verify(&self, _m: &Mechanism, _key: &Attributes) -> Result<Box<dyn Verifier>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    /// Key generation: given the caller's template, return the attributes the
    /// mechanism supplies (CKA_KEY_TYPE, CKA_VALUE, CKA_VALUE_LEN, …).
    fn generate_key(&self, _m: &Mechanism, _template: &Attributes) -> Result<Attributes> {
        Err(Ckr::MECHANISM_INVALID)
    }
    /// Wrap `key_value` (the CKA_VALUE of the key being wrapped).
    fn wrap(
        &self,
        _m: &Mechanism,
        _wrapping_key: &Attributes,
        _key_value: &[u8],
    ) -> Result<Vec<u8>> {
        Err(Ckr::MECHANISM_INVALID)
    }
    /// Key-pair generation. The parameter set comes from the public template
    /// (PKCS#11 3.2 puts CKA_PARAMETER_SET there). Implementations run a
    /// pairwise-consistency test on the new pair and, if it fails, call
    /// [`health::fail`] and return CKR_GENERAL_ERROR.
    fn generate_key_pair(
        &self,
        _m: &Mechanism,
        _public: &Attributes,
        _private: &Attributes,
    ) -> Result<KeyPair> {
        Err(Ckr::MECHANISM_INVALID)
    }
    /// The ciphertext length for this public key, so a length query of
    /// C_EncapsulateKey creates no key.
    fn ciphertext_len(&self, _m: &Mechanism, _public_key: &Attributes) -> Result<usize> {
        Err(Ckr::MECHANISM_INVALID)
    }
    fn encapsulate(&self, _m: &Mechanism, _public_key: &Attributes) -> Result<Encapsulated> {
        Err(Ckr::MECHANISM_INVALID)
    }
    /// Decapsulation; invalid ciphertexts of the right length give the
    /// implicit-rejection secret, as FIPS 203 prescribes.
    fn decapsulate(
        &self,
        _m: &Mechanism,
        _private_key: &Attributes,
        _ciphertext: &[u8],
    ) -> Result<Value> {
        Err(Ckr::MECHANISM_INVALID)
    }
    /// Key derivation (C_DeriveKey) from `base`: return what the mechanism
    /// supplies to the new key (CKA_VALUE, and CKA_KEY_TYPE when the
    /// mechanism decides it). The caller's template says the class, key type
    /// and CKA_VALUE_LEN it wants; the caller has checked CKA_DERIVE.
    fn derive(
        &self,
        _m: &Mechanism,
        _base: &Attributes,
        _template: &Attributes,
    ) -> Result<Attributes> {
        Err(Ckr::MECHANISM_INVALID)
    }
    /// Key derivation that reads further keys or makes further keys, which
    /// C_DeriveKey always calls: `inputs` are the keys the parameter names
    /// ([`MechParam::key_handles`], looked up by the token as it looks up the
    /// base key), `templates` the caller's template followed by those of the
    /// parameter's additional keys ([`MechParam::additional_templates`]).
    /// Returns what each new key is supplied, in the order of `templates`.
    /// The default serves the mechanisms that read one key and make one.
    fn derive_keys(
        &self,
        m: &Mechanism,
        base: &Attributes,
        inputs: &[&Attributes],
        templates: &[Attributes],
    ) -> Result<Vec<Attributes>> {
        match (inputs, templates) {
            ([], [template]) => Ok(vec![self.derive(m, base, template)?]),
            _ => Err(Ckr::MECHANISM_PARAM_INVALID),
        }
    }
    /// Unwrap to the raw key value.
    fn unwrap(
        &self,
        _m: &Mechanism,
        _unwrapping_key: &Attributes,
        _wrapped: &[u8],
    ) -> Result<Value> {
        Err(Ckr::MECHANISM_INVALID)
    }
}

/// Every mechanism the emulator implements, keyed by type.
pub struct Registry {
    mechs: BTreeMap<CK_MECHANISM_TYPE, Box<dyn MechanismImpl>>,
    families: BTreeMap<CK_KEY_TYPE, Box<dyn KeyFamily>>,
}

/// The registry, built on first use.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = Registry {
            mechs: BTreeMap::new(),
            families: BTreeMap::new(),
        };
        digest::register(&mut r);
        aes::register(&mut r);
        aes_ctr::register(&mut r);
        aes_gcm::register(&mut r);
        key_wrap::register(&mut r);
        hmac::register(&mut r);
        cmac::register(&mut r);
        generic_secret::register(&mut r);
        ml_kem::register(&mut r);
        ml_dsa::register(&mut r);
        slh_dsa::register(&mut r);
        falcon::register(&mut r);
        ec::register(&mut r);
        rsa::register(&mut r);
        kdf::register(&mut r);
        composite::register(&mut r);
        pub_key::register(&mut r);
        r
    })
}

/// Names of the CKF_ function flags, in the order the table lists them.
const FUNCTIONS: &[(CK_FLAGS, &str)] = &[
    (CKF_ENCRYPT, "Encrypt"),
    (CKF_DECRYPT, "Decrypt"),
    (CKF_DIGEST, "Digest"),
    (CKF_SIGN, "Sign"),
    (CKF_SIGN_RECOVER, "SignRecover"),
    (CKF_VERIFY, "Verify"),
    (CKF_VERIFY_RECOVER, "VerifyRecover"),
    (CKF_GENERATE, "Generate"),
    (CKF_GENERATE_KEY_PAIR, "GenerateKeyPair"),
    (CKF_WRAP, "Wrap"),
    (CKF_UNWRAP, "Unwrap"),
    (CKF_DERIVE, "Derive"),
    (CKF_ENCAPSULATE, "Encapsulate"),
    (CKF_DECAPSULATE, "Decapsulate"),
    (CKF_MESSAGE_ENCRYPT, "MessageEncrypt"),
    (CKF_MESSAGE_DECRYPT, "MessageDecrypt"),
    (CKF_MESSAGE_SIGN, "MessageSign"),
    (CKF_MESSAGE_VERIFY, "MessageVerify"),
];

impl Registry {
    /// Add a mechanism; each family's `register` calls this once per type.
    pub(crate) fn add(&mut self, m: impl MechanismImpl + 'static) {
        let previous = self.mechs.insert(m.ty(), Box::new(m));
        debug_assert!(previous.is_none(), "mechanism registered twice");
    }

    /// Add a key family; each family's `register` calls this once per type.
    pub(crate) fn add_family(&mut self, f: impl KeyFamily + 'static) {
        let previous = self.families.insert(f.key_type(), Box::new(f));
        debug_assert!(previous.is_none(), "key family registered twice");
    }

    /// The key family of `key_type`, if its keys need checking on import.
    /// Its checks derive keys from seeds and run pairwise tests, so the
    /// error state refuses them (CKR_GENERAL_ERROR).
    pub fn family(&self, key_type: CK_KEY_TYPE) -> Result<Option<&dyn KeyFamily>> {
        health::check()?;
        Ok(self.families.get(&key_type).map(|f| f.as_ref()))
    }

    /// The implementation of `ty`, or CKR_MECHANISM_INVALID. Every crypto
    /// call starts here, so this is where the error state bites first
    /// (running operations are stopped by the provider, random numbers by
    /// [`rng`]).
    pub fn get(&self, ty: CK_MECHANISM_TYPE) -> Result<&dyn MechanismImpl> {
        health::check()?;
        self.mechs
            .get(&ty)
            .map(|m| m.as_ref())
            .ok_or(Ckr::MECHANISM_INVALID)
    }

    /// The implementation of `ty` for the function `flag` names (CKF_SIGN,
    /// CKF_DERIVE, …): CKR_MECHANISM_INVALID for a mechanism this function
    /// cannot use, before any key is looked at.
    pub fn for_function(
        &self,
        ty: CK_MECHANISM_TYPE,
        flag: CK_FLAGS,
    ) -> Result<&dyn MechanismImpl> {
        let mech = self.get(ty)?;
        if mech.info().flags & flag == 0 {
            return Err(Ckr::MECHANISM_INVALID);
        }
        Ok(mech)
    }

    /// Every mechanism type, in ascending order.
    pub fn types(&self) -> Vec<CK_MECHANISM_TYPE> {
        self.mechs.keys().copied().collect()
    }

    /// Every mechanism, in ascending order of type.
    pub fn iter(&self) -> impl Iterator<Item = &dyn MechanismImpl> {
        self.mechs.values().map(|m| m.as_ref())
    }

    /// The mechanism table of docs/mechanisms.md. Key sizes are as
    /// C_GetMechanismInfo reports them, in the unit PKCS#11 defines for each
    /// mechanism (bytes for AES and HMAC, bits for generic secret keys).
    pub fn markdown_table(&self) -> String {
        let mut out =
            String::from("| Mechanism | Value | Functions | Key sizes |\n|---|---|---|---|\n");
        for m in self.iter() {
            let info = m.info();
            let functions: Vec<&str> = FUNCTIONS
                .iter()
                .filter(|(flag, _)| info.flags & flag != 0)
                .map(|(_, name)| *name)
                .collect();
            let sizes = match (info.ulMinKeySize, info.ulMaxKeySize) {
                (0, 0) => "—".to_string(),
                (min, max) if min == max => min.to_string(),
                (min, max) => format!("{min}–{max}"),
            };
            out.push_str(&format!(
                "| {} | 0x{:08X} | {} | {} |\n",
                m.name(),
                m.ty(),
                functions.join(", "),
                sizes
            ));
        }
        out
    }
}

/// A CK_MECHANISM_INFO for a software mechanism.
pub(crate) fn info(min: CK_ULONG, max: CK_ULONG, flags: CK_FLAGS) -> CK_MECHANISM_INFO {
    CK_MECHANISM_INFO {
        ulMinKeySize: min,
        ulMaxKeySize: max,
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_and_complete() {
        let r = registry();
        let types = r.types();
        assert!(types.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(r.iter().map(|m| m.ty()).collect::<Vec<_>>(), types);
        for ty in [
            CKM_SHA_1,
            CKM_SHA3_512,
            CKM_AES_KEY_GEN,
            CKM_AES_ECB,
            CKM_AES_CBC,
            CKM_AES_CBC_PAD,
            CKM_AES_CTR,
            CKM_AES_GCM,
            CKM_AES_KEY_WRAP,
            CKM_AES_KEY_WRAP_KWP,
            CKM_SHA256_HMAC,
            CKM_SHA512_HMAC_GENERAL,
            CKM_SHA3_224_HMAC,
            CKM_GENERIC_SECRET_KEY_GEN,
        ] {
            let m = r.get(ty).unwrap();
            assert_eq!(m.ty(), ty);
            assert!(m.name().starts_with("CKM_"));
            assert_ne!(m.info().flags, 0, "{}", m.name());
        }
        assert_eq!(r.get(CKM_MD5).err(), Some(Ckr::MECHANISM_INVALID));
    }

    #[test]
    fn markdown_table_lists_every_mechanism() {
        let table = registry().markdown_table();
        assert!(table.starts_with("| Mechanism | Value | Functions | Key sizes |\n|---|"));
        assert_eq!(table.lines().count(), registry().types().len() + 2);
        assert!(table.contains(
            "| CKM_AES_GCM | 0x00001087 | Encrypt, Decrypt, Wrap, Unwrap, MessageEncrypt, \
             MessageDecrypt | 16–32 |"
        ));
        assert!(table.contains("| CKM_SHA256 | 0x00000250 | Digest | — |"));
        assert!(table.contains("| CKM_SHA256_HMAC | 0x00000251 | Sign, Verify | 1–512 |"));
    }
}
