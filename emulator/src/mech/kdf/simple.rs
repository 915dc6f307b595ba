//! The PKCS#11 2.x derivations that move key bytes around rather than
//! compute a KDF (PKCS#11 3.2 §6.43 "Miscellaneous simple key derivation
//! mechanisms" and §6.17 "Key derivation by data encryption – DES & AES"):
//!
//! | mechanism | parameter | new key value (before truncation) |
//! |---|---|---|
//! | CKM_CONCATENATE_BASE_AND_KEY | CK_OBJECT_HANDLE of a second secret key | base ‖ other |
//! | CKM_CONCATENATE_BASE_AND_DATA | CK_KEY_DERIVATION_STRING_DATA | base ‖ data |
//! | CKM_CONCATENATE_DATA_AND_BASE | CK_KEY_DERIVATION_STRING_DATA | data ‖ base |
//! | CKM_XOR_BASE_AND_DATA | CK_KEY_DERIVATION_STRING_DATA | base ⊕ data, as long as the shorter |
//! | CKM_EXTRACT_KEY_FROM_KEY | CK_EXTRACT_PARAMS, a bit index | the base key's bits from that index on, wrapping round |
//! | CKM_AES_ECB_ENCRYPT_DATA | CK_KEY_DERIVATION_STRING_DATA | AES-ECB of the data under the base key |
//! | CKM_AES_CBC_ENCRYPT_DATA | CK_AES_CBC_ENCRYPT_DATA_PARAMS | AES-CBC of the data under the base key, from the IV |
//!
//! The new key's length is the template's CKA_VALUE_LEN, else the whole
//! value (for an AES key the longest AES length that fits; for
//! CKM_EXTRACT_KEY_FROM_KEY a length is required); a longer key than the
//! value allows is CKR_TEMPLATE_INCONSISTENT (CKR_DATA_LEN_RANGE for the
//! encryption mechanisms, as §6.17 says). The key takes the leading bytes.
//!
//! Keys whose value the module hides (sensitive or unextractable) are
//! refused as inputs of the five mechanisms that move key bytes
//! (concatenation, XOR, extraction) with CKR_KEY_FUNCTION_NOT_PERMITTED:
//! with them, a key of one chosen byte (`CKA_VALUE_LEN` 1, or known data
//! before one key byte) can be found by trying its 256 values against an
//! HMAC or AES result, so the hidden key would come out a byte at a time
//! (the PKCS#11 key-separation attacks of Clulow, 2003, and Bortolozzo et
//! al., 2010). docs/security.md promises that no hidden value can be read
//! through the API. Encryption under the base key (CKM_AES_*_ENCRYPT_DATA)
//! reveals nothing of it and takes any AES key.
//!
//! Sensitivity (§6.43.4–§6.43.8, and §6.17 through §6.20.5): if an input key
//! is sensitive, so is the new key, and if one is unextractable, so is the
//! new key; a template that asks otherwise is CKR_TEMPLATE_INCONSISTENT.
//! CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE follow the input keys'
//! (the token sets them for every derived key).
//!
//! The second key of CKM_CONCATENATE_BASE_AND_KEY is looked up by the token
//! like a base key: it must allow derivation (CKA_DERIVE) and this mechanism
//! (CKA_ALLOWED_MECHANISMS). PKCS#11 does not say so; the module asks it
//! because the key's value ends up in a new key.

use super::derived::{derive_one, secret_template, with_value};
use super::output_len;
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::aes::BLOCK;
use crate::mech::secret::{concat, one_shot, secret_key};
use crate::mech::{info, registry, MechParam, Mechanism, MechanismImpl, Registry};
use crate::object::schema::symmetric_len_ok;
use cryptoki_sys::*;
use zeroize::Zeroizing;

/// What one mechanism does with its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    BaseAndKey,
    BaseAndData,
    DataAndBase,
    Xor,
    Extract,
    AesEcb,
    AesCbc,
}

/// One of the simple derivation mechanisms.
struct Simple {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    kind: Kind,
}

/// The value of any secret key whose value is raw key bytes (AES, generic
/// secret, the HMAC key types).
fn any_secret(key: &Attributes) -> Result<&[u8]> {
    let key_type = key
        .ulong(CKA_KEY_TYPE)
        .ok()
        .flatten()
        .filter(|kt| symmetric_len_ok(*kt, 0).is_some())
        .ok_or(Ckr::KEY_TYPE_INCONSISTENT)?;
    secret_key(key, &[key_type], 1..=usize::MAX)
}

/// The byte string of a CK_KEY_DERIVATION_STRING_DATA parameter; an empty
/// one derives nothing new and is refused.
fn string_data(m: &Mechanism) -> Result<&[u8]> {
    match &m.param {
        MechParam::Bytes(data) if !data.is_empty() => Ok(data),
        _ => Err(Ckr::MECHANISM_PARAM_INVALID),
    }
}

/// Data to encrypt: whole AES blocks, at least one.
fn blocks(data: &[u8]) -> Result<&[u8]> {
    if data.is_empty() || !data.len().is_multiple_of(BLOCK) {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    Ok(data)
}

/// `len` bytes of `key`'s bit string from bit `first` on (bit 0 is the most
/// significant bit of the first byte), wrapping round past the last bit.
fn extract_bits(key: &[u8], first: usize, len: usize) -> Value {
    let bits = 8 * key.len();
    let bit = |i: usize| {
        let i = (first + i) % bits;
        (key[i / 8] >> (7 - i % 8)) & 1
    };
    Zeroizing::new(
        (0..len)
            .map(|byte| (0..8).fold(0u8, |acc, b| (acc << 1) | bit(8 * byte + b)))
            .collect(),
    )
}

/// Whether the module hides this key's value (as object::is_hidden decides
/// for CKA_VALUE; stored keys always have both attributes, absent ones are
/// read the safe way).
fn hidden(key: &Attributes) -> Result<bool> {
    Ok(key.bool_or(CKA_SENSITIVE, true)? || !key.bool_or(CKA_EXTRACTABLE, false)?)
}

/// The template's CKA_SENSITIVE / CKA_EXTRACTABLE against the input keys':
/// a sensitive input makes the new key sensitive, an unextractable one
/// makes it unextractable; what the template leaves out is supplied.
fn sensitivity(keys: &[&Attributes], template: &Attributes, out: &mut Attributes) -> Result<()> {
    // Stored keys always have both; absent ones are read the safe way, as
    // object::is_hidden reads them.
    let mut sensitive = false;
    let mut unextractable = false;
    for k in keys {
        sensitive |= k.bool_or(CKA_SENSITIVE, true)?;
        unextractable |= !k.bool_or(CKA_EXTRACTABLE, false)?;
    }
    for (attr, forced, value) in [
        (CKA_SENSITIVE, sensitive, true),
        (CKA_EXTRACTABLE, unextractable, false),
    ] {
        if !forced {
            continue;
        }
        match template.bool(attr)? {
            Some(v) if v != value => return Err(Ckr::TEMPLATE_INCONSISTENT),
            Some(_) => {}
            None => out.set_bool(attr, value),
        }
    }
    Ok(())
}

impl Simple {
    /// The new key's value.
    fn value(
        &self,
        m: &Mechanism,
        base: &Attributes,
        inputs: &[&Attributes],
        template: &Attributes,
    ) -> Result<Value> {
        // Exactly the second key CKM_CONCATENATE_BASE_AND_KEY names, or none.
        if inputs.len() != usize::from(self.kind == Kind::BaseAndKey) {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
        let encrypted = matches!(self.kind, Kind::AesEcb | Kind::AesCbc);
        // The material the key is cut from, or (for extraction) None.
        let material: Option<Value> = match self.kind {
            Kind::BaseAndKey => {
                let (MechParam::KeyHandle(_), [other]) = (&m.param, inputs) else {
                    return Err(Ckr::MECHANISM_PARAM_INVALID);
                };
                Some(concat(any_secret(base)?, any_secret(other)?))
            }
            Kind::BaseAndData => Some(concat(any_secret(base)?, string_data(m)?)),
            Kind::DataAndBase => Some(concat(string_data(m)?, any_secret(base)?)),
            Kind::Xor => {
                let (key, data) = (any_secret(base)?, string_data(m)?);
                Some(Zeroizing::new(
                    key.iter().zip(data).map(|(k, d)| k ^ d).collect(),
                ))
            }
            Kind::Extract => None,
            Kind::AesEcb => {
                let data = blocks(string_data(m)?)?;
                let ecb = Mechanism {
                    ty: CKM_AES_ECB,
                    param: MechParam::None,
                };
                Some(one_shot(
                    registry().get(CKM_AES_ECB)?.encrypt(&ecb, base)?,
                    data,
                )?)
            }
            Kind::AesCbc => {
                let MechParam::CbcEncryptData { iv, data } = &m.param else {
                    return Err(Ckr::MECHANISM_PARAM_INVALID);
                };
                let cbc = Mechanism {
                    ty: CKM_AES_CBC,
                    param: MechParam::Bytes(iv.to_vec()),
                };
                Some(one_shot(
                    registry().get(CKM_AES_CBC)?.encrypt(&cbc, base)?,
                    blocks(data)?,
                )?)
            }
        };
        if let Some(mut material) = material {
            let len = output_len(template, Some(material.len()))?;
            if len > material.len() {
                return Err(if encrypted {
                    Ckr::DATA_LEN_RANGE
                } else {
                    Ckr::TEMPLATE_INCONSISTENT
                });
            }
            material.truncate(len);
            return Ok(material);
        }
        let MechParam::Ulong(first) = m.param else {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        };
        let key = any_secret(base)?;
        let first = usize::try_from(first)
            .ok()
            .filter(|b| *b < 8 * key.len())
            .ok_or(Ckr::MECHANISM_PARAM_INVALID)?;
        let len = output_len(template, None)?;
        if len > key.len() {
            return Err(Ckr::TEMPLATE_INCONSISTENT);
        }
        Ok(extract_bits(key, first, len))
    }
}

impl MechanismImpl for Simple {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        match self.kind {
            // AES key lengths in bytes, as for the other AES mechanisms.
            Kind::AesEcb | Kind::AesCbc => info(16, 32, CKF_DERIVE),
            // Any secret key.
            _ => info(0, 0, CKF_DERIVE),
        }
    }

    fn derive(
        &self,
        m: &Mechanism,
        base: &Attributes,
        template: &Attributes,
    ) -> Result<Attributes> {
        derive_one(self, m, base, template)
    }

    fn derive_keys(
        &self,
        m: &Mechanism,
        base: &Attributes,
        inputs: &[&Attributes],
        templates: &[Attributes],
    ) -> Result<Vec<Attributes>> {
        let [template] = templates else {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        };
        secret_template(template)?;
        let mut keys = vec![base];
        keys.extend_from_slice(inputs);
        let moves_bytes = !matches!(self.kind, Kind::AesEcb | Kind::AesCbc);
        for k in &keys {
            if moves_bytes && hidden(k)? {
                return Err(Ckr::KEY_FUNCTION_NOT_PERMITTED);
            }
        }
        let value = self.value(m, base, inputs, template)?;
        let mut out = Attributes::new();
        sensitivity(&keys, template, &mut out)?;
        Ok(vec![with_value(out, value)])
    }
}

pub(super) fn register(r: &mut Registry) {
    for (ty, name, kind) in [
        (
            CKM_CONCATENATE_BASE_AND_KEY,
            "CKM_CONCATENATE_BASE_AND_KEY",
            Kind::BaseAndKey,
        ),
        (
            CKM_CONCATENATE_BASE_AND_DATA,
            "CKM_CONCATENATE_BASE_AND_DATA",
            Kind::BaseAndData,
        ),
        (
            CKM_CONCATENATE_DATA_AND_BASE,
            "CKM_CONCATENATE_DATA_AND_BASE",
            Kind::DataAndBase,
        ),
        (CKM_XOR_BASE_AND_DATA, "CKM_XOR_BASE_AND_DATA", Kind::Xor),
        (
            CKM_EXTRACT_KEY_FROM_KEY,
            "CKM_EXTRACT_KEY_FROM_KEY",
            Kind::Extract,
        ),
        (
            CKM_AES_ECB_ENCRYPT_DATA,
            "CKM_AES_ECB_ENCRYPT_DATA",
            Kind::AesEcb,
        ),
        (
            CKM_AES_CBC_ENCRYPT_DATA,
            "CKM_AES_CBC_ENCRYPT_DATA",
            Kind::AesCbc,
        ),
    ] {
        r.add(Simple { ty, name, kind });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech::secret::test_keys::key;

    /// A secret key, not sensitive and extractable unless changed.
    fn open_key(key_type: CK_KEY_TYPE, value: &[u8]) -> Attributes {
        let mut k = key(key_type, value);
        k.set_bool(CKA_SENSITIVE, false);
        k.set_bool(CKA_EXTRACTABLE, true);
        k
    }

    fn template(key_type: Option<CK_KEY_TYPE>, len: Option<usize>) -> Attributes {
        let mut t = Attributes::new();
        t.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
        if let Some(kt) = key_type {
            t.set_ulong(CKA_KEY_TYPE, kt);
        }
        if let Some(n) = len {
            t.set_ulong(CKA_VALUE_LEN, n as CK_ULONG);
        }
        t
    }

    fn run(
        ty: CK_MECHANISM_TYPE,
        param: MechParam,
        base: &Attributes,
        inputs: &[&Attributes],
        t: &Attributes,
    ) -> Result<Attributes> {
        let mut out = registry().get(ty)?.derive_keys(
            &Mechanism { ty, param },
            base,
            inputs,
            std::slice::from_ref(t),
        )?;
        assert_eq!(out.len(), 1);
        Ok(out.remove(0))
    }

    fn value(
        ty: CK_MECHANISM_TYPE,
        param: MechParam,
        base: &Attributes,
        inputs: &[&Attributes],
        t: &Attributes,
    ) -> Result<Vec<u8>> {
        Ok(run(ty, param, base, inputs, t)?
            .get(CKA_VALUE)
            .unwrap()
            .to_vec())
    }

    /// The spec's examples: base 0x01234567, other key or data 0x89ABCDEF.
    #[test]
    fn spec_examples() {
        let base = open_key(CKK_GENERIC_SECRET, &[0x01, 0x23, 0x45, 0x67]);
        let other = open_key(CKK_GENERIC_SECRET, &[0x89, 0xab, 0xcd, 0xef]);
        let data = MechParam::Bytes(vec![0x89, 0xab, 0xcd, 0xef]);
        let t = template(None, None);
        let both = MechParam::KeyHandle(7);
        assert_eq!(
            hex::encode(value(CKM_CONCATENATE_BASE_AND_KEY, both, &base, &[&other], &t).unwrap()),
            "0123456789abcdef"
        );
        assert_eq!(
            hex::encode(
                value(CKM_CONCATENATE_BASE_AND_DATA, data.clone(), &base, &[], &t).unwrap()
            ),
            "0123456789abcdef"
        );
        assert_eq!(
            hex::encode(
                value(CKM_CONCATENATE_DATA_AND_BASE, data.clone(), &base, &[], &t).unwrap()
            ),
            "89abcdef01234567"
        );
        assert_eq!(
            hex::encode(value(CKM_XOR_BASE_AND_DATA, data, &base, &[], &t).unwrap()),
            "88888888"
        );
        // §6.43.8: 0x329F84A9 from bit 21, two bytes: 0x9526 (wrapping round).
        let k = open_key(CKK_GENERIC_SECRET, &[0x32, 0x9f, 0x84, 0xa9]);
        assert_eq!(
            hex::encode(
                value(
                    CKM_EXTRACT_KEY_FROM_KEY,
                    MechParam::Ulong(21),
                    &k,
                    &[],
                    &template(None, Some(2))
                )
                .unwrap()
            ),
            "9526"
        );
    }

    #[test]
    fn lengths() {
        let base = open_key(CKK_GENERIC_SECRET, &[1; 20]);
        let data = MechParam::Bytes(vec![2; 12]);
        let mut concat = vec![1; 20];
        concat.extend_from_slice(&[2; 12]);
        let aes = |len| template(Some(CKK_AES), len);
        let any = |len| template(None, len);
        let xor = CKM_XOR_BASE_AND_DATA;
        let cat = CKM_CONCATENATE_BASE_AND_DATA;
        let extract = CKM_EXTRACT_KEY_FROM_KEY;
        for (ty, param, t, want) in [
            // XOR: as long as the shorter; a given length up to that.
            (xor, data.clone(), any(None), Ok(vec![3; 12])),
            (xor, data.clone(), any(Some(5)), Ok(vec![3; 5])),
            (
                xor,
                data.clone(),
                any(Some(13)),
                Err(Ckr::TEMPLATE_INCONSISTENT),
            ),
            // Concatenation: 32 bytes; an AES key without length takes all 32,
            // with 16 the leading 16, with 33 it does not fit.
            (cat, data.clone(), aes(None), Ok(concat.clone())),
            (cat, data.clone(), aes(Some(16)), Ok(concat[..16].to_vec())),
            (cat, data, aes(Some(33)), Err(Ckr::TEMPLATE_INCONSISTENT)),
            // Extraction needs a length, at most the base key's.
            (
                extract,
                MechParam::Ulong(0),
                any(None),
                Err(Ckr::TEMPLATE_INCOMPLETE),
            ),
            (
                extract,
                MechParam::Ulong(0),
                any(Some(21)),
                Err(Ckr::TEMPLATE_INCONSISTENT),
            ),
            (extract, MechParam::Ulong(8), any(Some(20)), Ok(vec![1; 20])),
        ] {
            assert_eq!(value(ty, param, &base, &[], &t), want, "{ty:#x}");
        }
        // 20 + 5 bytes: an AES key without a length is the longest that fits.
        let short = MechParam::Bytes(vec![2; 5]);
        assert_eq!(
            value(CKM_CONCATENATE_DATA_AND_BASE, short, &base, &[], &aes(None))
                .unwrap()
                .len(),
            24
        );
    }

    #[test]
    fn extraction_bits() {
        // The cryptoki suite's case: 0x123456789001 from bit 3, two bytes.
        let k = [0x12, 0x34, 0x56, 0x78, 0x90, 0x01];
        let expected = ((u32::from_be_bytes([0x12, 0x34, 0x56, 0x78]) << 3) >> 16) as u16;
        assert_eq!(extract_bits(&k, 3, 2)[..], expected.to_be_bytes());
        // Bit 0 and whole bytes: the key itself; the last bit wraps to the first.
        assert_eq!(extract_bits(&k, 0, 6)[..], k);
        assert_eq!(
            extract_bits(&k, 8, 6)[..],
            [0x34, 0x56, 0x78, 0x90, 0x01, 0x12]
        );
        assert_eq!(extract_bits(&[0x80, 0x01], 15, 1)[..], [0xc0]);
    }

    /// NIST SP 800-38A F.1.1 (ECB-AES128) and F.2.1 (CBC-AES128): the
    /// ciphertext is the key value.
    #[test]
    fn aes_encrypt_data() {
        let base = open_key(
            CKK_AES,
            &hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap(),
        );
        let plain = hex::decode("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
            .unwrap();
        let ecb = hex::decode("3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf")
            .unwrap();
        let cbc = hex::decode("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2")
            .unwrap();
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&hex::decode("000102030405060708090a0b0c0d0e0f").unwrap());
        let aes32 = template(Some(CKK_AES), Some(32));
        assert_eq!(
            value(
                CKM_AES_ECB_ENCRYPT_DATA,
                MechParam::Bytes(plain.clone()),
                &base,
                &[],
                &aes32
            )
            .unwrap(),
            ecb
        );
        let p = MechParam::CbcEncryptData {
            iv,
            data: plain.clone(),
        };
        assert_eq!(
            value(CKM_AES_CBC_ENCRYPT_DATA, p.clone(), &base, &[], &aes32).unwrap(),
            cbc
        );
        // The leading bytes for a shorter key; a longer key than the data is
        // CKR_DATA_LEN_RANGE; data not in whole blocks is a bad parameter.
        assert_eq!(
            value(
                CKM_AES_CBC_ENCRYPT_DATA,
                p.clone(),
                &base,
                &[],
                &template(None, Some(20))
            )
            .unwrap(),
            cbc[..20]
        );
        let one_block = MechParam::Bytes(plain[..16].to_vec());
        assert_eq!(
            run(CKM_AES_ECB_ENCRYPT_DATA, one_block, &base, &[], &aes32).err(),
            Some(Ckr::DATA_LEN_RANGE)
        );
        for bad in [vec![], plain[..15].to_vec(), plain[..17].to_vec()] {
            assert_eq!(
                run(
                    CKM_AES_ECB_ENCRYPT_DATA,
                    MechParam::Bytes(bad.clone()),
                    &base,
                    &[],
                    &aes32
                )
                .err(),
                Some(Ckr::MECHANISM_PARAM_INVALID)
            );
            let p = MechParam::CbcEncryptData { iv, data: bad };
            assert_eq!(
                run(CKM_AES_CBC_ENCRYPT_DATA, p, &base, &[], &aes32).err(),
                Some(Ckr::MECHANISM_PARAM_INVALID)
            );
        }
        // Only AES base keys.
        let generic = open_key(CKK_GENERIC_SECRET, &[1; 16]);
        assert_eq!(
            run(
                CKM_AES_ECB_ENCRYPT_DATA,
                MechParam::Bytes(plain),
                &generic,
                &[],
                &aes32
            )
            .err(),
            Some(Ckr::KEY_TYPE_INCONSISTENT)
        );
    }

    #[test]
    fn hidden_keys_move_no_bytes() {
        let open = open_key(CKK_GENERIC_SECRET, &[1; 16]);
        let mut sensitive = open.clone();
        sensitive.set_bool(CKA_SENSITIVE, true);
        let mut locked = open.clone();
        locked.set_bool(CKA_EXTRACTABLE, false);
        let t = template(None, Some(1));
        let data = MechParam::Bytes(vec![9; 8]);
        for hidden_key in [&sensitive, &locked] {
            for (ty, param) in [
                (CKM_CONCATENATE_BASE_AND_DATA, data.clone()),
                (CKM_CONCATENATE_DATA_AND_BASE, data.clone()),
                (CKM_XOR_BASE_AND_DATA, data.clone()),
                (CKM_EXTRACT_KEY_FROM_KEY, MechParam::Ulong(8)),
            ] {
                assert_eq!(
                    run(ty, param, hidden_key, &[], &t).err(),
                    Some(Ckr::KEY_FUNCTION_NOT_PERMITTED),
                    "{ty:#x}"
                );
            }
            // Either key of a concatenation.
            let both = MechParam::KeyHandle(2);
            for (base, other) in [(&open, hidden_key), (hidden_key, &open)] {
                assert_eq!(
                    run(
                        CKM_CONCATENATE_BASE_AND_KEY,
                        both.clone(),
                        base,
                        &[other],
                        &t
                    )
                    .err(),
                    Some(Ckr::KEY_FUNCTION_NOT_PERMITTED)
                );
            }
        }
        // Keys whose value can be read anyway are fine.
        assert!(run(
            CKM_EXTRACT_KEY_FROM_KEY,
            MechParam::Ulong(8),
            &open,
            &[],
            &t
        )
        .is_ok());
    }

    #[test]
    fn sensitivity_follows_inputs() {
        let value = hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap();
        let open = open_key(CKK_AES, &value);
        let mut sensitive = open.clone();
        sensitive.set_bool(CKA_SENSITIVE, true);
        let mut locked = open.clone();
        locked.set_bool(CKA_EXTRACTABLE, false);
        let data = MechParam::Bytes(vec![9; 16]);
        let t = template(None, None);
        let ecb = CKM_AES_ECB_ENCRYPT_DATA;
        // Open inputs: the template decides (nothing supplied).
        let out = run(ecb, data.clone(), &open, &[], &t).unwrap();
        assert!(!out.contains(CKA_SENSITIVE) && !out.contains(CKA_EXTRACTABLE));
        let out = run(CKM_XOR_BASE_AND_DATA, data.clone(), &open, &[], &t).unwrap();
        assert!(!out.contains(CKA_SENSITIVE) && !out.contains(CKA_EXTRACTABLE));
        // A sensitive base: the new key is sensitive; asking otherwise fails.
        let out = run(ecb, data.clone(), &sensitive, &[], &t).unwrap();
        assert_eq!(out.bool(CKA_SENSITIVE), Ok(Some(true)));
        assert!(!out.contains(CKA_EXTRACTABLE));
        let mut not_sensitive = t.clone();
        not_sensitive.set_bool(CKA_SENSITIVE, false);
        assert_eq!(
            run(ecb, data.clone(), &sensitive, &[], &not_sensitive).err(),
            Some(Ckr::TEMPLATE_INCONSISTENT)
        );
        let mut says_sensitive = t.clone();
        says_sensitive.set_bool(CKA_SENSITIVE, true);
        assert!(run(ecb, data.clone(), &sensitive, &[], &says_sensitive).is_ok());
        // An unextractable base: the new key is unextractable.
        let out = run(ecb, data.clone(), &locked, &[], &t).unwrap();
        assert_eq!(out.bool(CKA_EXTRACTABLE), Ok(Some(false)));
        let mut extractable = t.clone();
        extractable.set_bool(CKA_EXTRACTABLE, true);
        assert_eq!(
            run(ecb, data, &locked, &[], &extractable).err(),
            Some(Ckr::TEMPLATE_INCONSISTENT)
        );
        // The rule itself, for any set of inputs.
        let mut out = Attributes::new();
        sensitivity(&[&open, &sensitive, &locked], &t, &mut out).unwrap();
        assert_eq!(out.bool(CKA_SENSITIVE), Ok(Some(true)));
        assert_eq!(out.bool(CKA_EXTRACTABLE), Ok(Some(false)));
    }

    #[test]
    fn parameter_and_key_rules() {
        let base = open_key(CKK_GENERIC_SECRET, &[1; 8]);
        let t = template(None, None);
        for ty in [
            CKM_CONCATENATE_BASE_AND_DATA,
            CKM_CONCATENATE_DATA_AND_BASE,
            CKM_XOR_BASE_AND_DATA,
        ] {
            for bad in [
                MechParam::None,
                MechParam::Bytes(vec![]),
                MechParam::Ulong(3),
            ] {
                assert_eq!(
                    run(ty, bad, &base, &[], &t).err(),
                    Some(Ckr::MECHANISM_PARAM_INVALID),
                    "{ty:#x}"
                );
            }
            // A second key is only for CKM_CONCATENATE_BASE_AND_KEY.
            assert_eq!(
                run(ty, MechParam::Bytes(vec![1]), &base, &[&base], &t).err(),
                Some(Ckr::MECHANISM_PARAM_INVALID)
            );
        }
        // CKM_CONCATENATE_BASE_AND_KEY needs its key.
        assert_eq!(
            run(
                CKM_CONCATENATE_BASE_AND_KEY,
                MechParam::KeyHandle(3),
                &base,
                &[],
                &t
            )
            .err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
        assert_eq!(
            run(
                CKM_CONCATENATE_BASE_AND_KEY,
                MechParam::Ulong(3),
                &base,
                &[&base],
                &t
            )
            .err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
        // A bit index inside the key.
        let two = template(None, Some(2));
        assert!(run(
            CKM_EXTRACT_KEY_FROM_KEY,
            MechParam::Ulong(63),
            &base,
            &[],
            &two
        )
        .is_ok());
        for bad in [
            MechParam::Ulong(64),
            MechParam::None,
            MechParam::Bytes(vec![0; 8]),
        ] {
            assert_eq!(
                run(CKM_EXTRACT_KEY_FROM_KEY, bad, &base, &[], &two).err(),
                Some(Ckr::MECHANISM_PARAM_INVALID)
            );
        }
        // Secret keys of any raw type, not other objects; secret keys only
        // are made.
        let hmac = open_key(CKK_SHA256_HMAC, &[1; 8]);
        let mut private = open_key(CKK_EC, &[1; 32]);
        private.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
        let mut data_t = t.clone();
        data_t.set_ulong(CKA_CLASS, CKO_DATA);
        for (key, tmpl, want) in [
            (&hmac, &t, None),
            (&private, &t, Some(Ckr::KEY_TYPE_INCONSISTENT)),
            (&base, &data_t, Some(Ckr::TEMPLATE_INCONSISTENT)),
        ] {
            let xor = MechParam::Bytes(vec![1]);
            assert_eq!(run(CKM_XOR_BASE_AND_DATA, xor, key, &[], tmpl).err(), want);
        }
        // One key per call.
        let m = Mechanism {
            ty: CKM_XOR_BASE_AND_DATA,
            param: MechParam::Bytes(vec![1]),
        };
        let mech = registry().get(CKM_XOR_BASE_AND_DATA).unwrap();
        assert_eq!(
            mech.derive_keys(&m, &base, &[], &[t.clone(), t]).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
    }

    #[test]
    fn registered_for_derive_only() {
        for ty in [
            CKM_CONCATENATE_BASE_AND_KEY,
            CKM_CONCATENATE_BASE_AND_DATA,
            CKM_CONCATENATE_DATA_AND_BASE,
            CKM_XOR_BASE_AND_DATA,
            CKM_EXTRACT_KEY_FROM_KEY,
            CKM_AES_ECB_ENCRYPT_DATA,
            CKM_AES_CBC_ENCRYPT_DATA,
        ] {
            let m = registry().get(ty).unwrap();
            assert_eq!(m.info().flags, CKF_DERIVE, "{}", m.name());
        }
    }
}
