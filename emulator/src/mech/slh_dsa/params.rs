//! The twelve SLH-DSA parameter sets of FIPS 205 and, for each, the calls
//! into the `slh-dsa` crate (one Rust type per set, so one monomorphised
//! function per set behind a plain function pointer).

use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use crate::Value;
use cryptoki_sys::*;
use pkcs8::ObjectIdentifier;
use slh_dsa::{ParameterSet, Signature, SigningKey, VerifyingKey};
use subtle::ConstantTimeEq;

/// CKR_PARAMETER_SET_NOT_SUPPORTED (PKCS#11 3.2).
pub(super) const PARAMETER_SET_NOT_SUPPORTED: Ckr = Ckr(CKR_PARAMETER_SET_NOT_SUPPORTED);

/// slh_sign_internal(sk, M as slices, addrnd); None if sk does not parse.
type SignFn = fn(&[u8], &[&[u8]], Option<&[u8]>) -> Option<Vec<u8>>;
/// slh_verify_internal(pk, M as slices, signature).
type VerifyFn = fn(&[u8], &[&[u8]], &[u8]) -> bool;

/// One FIPS 205 parameter set.
pub(super) struct Set {
    /// The CKP_SLH_DSA_* value of CKA_PARAMETER_SET.
    pub(super) ckp: CK_ULONG,
    /// The FIPS 205 name, e.g. "SLH-DSA-SHA2-128s".
    pub(super) name: &'static str,
    /// The security parameter n in bytes: pk is 2n bytes, sk 4n.
    pub(super) n: usize,
    pub(super) sig_len: usize,
    /// id-slh-dsa-* (NIST CSOR, RFC 9909), used in SPKI and PKCS#8.
    pub(super) oid: ObjectIdentifier,
    keygen: fn(&[u8], &[u8], &[u8]) -> Value,
    sign: SignFn,
    verify: VerifyFn,
}

fn keygen<P: ParameterSet>(sk_seed: &[u8], sk_prf: &[u8], pk_seed: &[u8]) -> Value {
    Value::new(SigningKey::<P>::slh_keygen_internal(sk_seed, sk_prf, pk_seed).to_vec())
}

fn sign<P: ParameterSet>(sk: &[u8], message: &[&[u8]], opt_rand: Option<&[u8]>) -> Option<Vec<u8>> {
    let key = SigningKey::<P>::try_from(sk).ok()?;
    Some(key.slh_sign_internal(message, opt_rand).to_vec())
}

fn verify<P: ParameterSet>(pk: &[u8], message: &[&[u8]], signature: &[u8]) -> bool {
    match (
        VerifyingKey::<P>::try_from(pk),
        Signature::<P>::try_from(signature),
    ) {
        (Ok(key), Ok(signature)) => key.slh_verify_internal(message, &signature).is_ok(),
        _ => false,
    }
}

macro_rules! set {
    ($ckp:ident, $name:literal, $n:literal, $sig_len:literal, $oid:literal, $p:ty) => {
        Set {
            ckp: $ckp,
            name: $name,
            n: $n,
            sig_len: $sig_len,
            oid: ObjectIdentifier::new_unwrap($oid),
            keygen: keygen::<$p>,
            sign: sign::<$p>,
            verify: verify::<$p>,
        }
    };
}

/// Every parameter set, in CKP_ order.
pub(super) static SETS: [Set; 12] = [
    set!(
        CKP_SLH_DSA_SHA2_128S,
        "SLH-DSA-SHA2-128s",
        16,
        7856,
        "2.16.840.1.101.3.4.3.20",
        slh_dsa::Sha2_128s
    ),
    set!(
        CKP_SLH_DSA_SHAKE_128S,
        "SLH-DSA-SHAKE-128s",
        16,
        7856,
        "2.16.840.1.101.3.4.3.26",
        slh_dsa::Shake128s
    ),
    set!(
        CKP_SLH_DSA_SHA2_128F,
        "SLH-DSA-SHA2-128f",
        16,
        17088,
        "2.16.840.1.101.3.4.3.21",
        slh_dsa::Sha2_128f
    ),
    set!(
        CKP_SLH_DSA_SHAKE_128F,
        "SLH-DSA-SHAKE-128f",
        16,
        17088,
        "2.16.840.1.101.3.4.3.27",
        slh_dsa::Shake128f
    ),
    set!(
        CKP_SLH_DSA_SHA2_192S,
        "SLH-DSA-SHA2-192s",
        24,
        16224,
        "2.16.840.1.101.3.4.3.22",
        slh_dsa::Sha2_192s
    ),
    set!(
        CKP_SLH_DSA_SHAKE_192S,
        "SLH-DSA-SHAKE-192s",
        24,
        16224,
        "2.16.840.1.101.3.4.3.28",
        slh_dsa::Shake192s
    ),
    set!(
        CKP_SLH_DSA_SHA2_192F,
        "SLH-DSA-SHA2-192f",
        24,
        35664,
        "2.16.840.1.101.3.4.3.23",
        slh_dsa::Sha2_192f
    ),
    set!(
        CKP_SLH_DSA_SHAKE_192F,
        "SLH-DSA-SHAKE-192f",
        24,
        35664,
        "2.16.840.1.101.3.4.3.29",
        slh_dsa::Shake192f
    ),
    set!(
        CKP_SLH_DSA_SHA2_256S,
        "SLH-DSA-SHA2-256s",
        32,
        29792,
        "2.16.840.1.101.3.4.3.24",
        slh_dsa::Sha2_256s
    ),
    set!(
        CKP_SLH_DSA_SHAKE_256S,
        "SLH-DSA-SHAKE-256s",
        32,
        29792,
        "2.16.840.1.101.3.4.3.30",
        slh_dsa::Shake256s
    ),
    set!(
        CKP_SLH_DSA_SHA2_256F,
        "SLH-DSA-SHA2-256f",
        32,
        49856,
        "2.16.840.1.101.3.4.3.25",
        slh_dsa::Sha2_256f
    ),
    set!(
        CKP_SLH_DSA_SHAKE_256F,
        "SLH-DSA-SHAKE-256f",
        32,
        49856,
        "2.16.840.1.101.3.4.3.31",
        slh_dsa::Shake256f
    ),
];

/// Public keys are 2n bytes: 32 (n = 16) to 64 (n = 32), the key sizes
/// CK_MECHANISM_INFO reports.
pub(super) const MIN_PUBLIC_KEY_LEN: usize = 32;
pub(super) const MAX_PUBLIC_KEY_LEN: usize = 64;

impl Set {
    pub(super) fn by_ckp(ckp: CK_ULONG) -> Option<&'static Set> {
        SETS.iter().find(|s| s.ckp == ckp)
    }

    pub(super) fn by_oid(oid: &ObjectIdentifier) -> Option<&'static Set> {
        SETS.iter().find(|s| s.oid == *oid)
    }

    pub(super) fn pk_len(&self) -> usize {
        2 * self.n
    }

    pub(super) fn sk_len(&self) -> usize {
        4 * self.n
    }

    /// slh_keygen_internal (FIPS 205 Alg. 18) from SK.seed ‖ SK.prf ‖
    /// PK.seed (3n bytes); returns sk = SK.seed ‖ SK.prf ‖ PK.seed ‖ PK.root,
    /// whose last 2n bytes are the public key.
    pub(super) fn keypair(&self, seeds: &[u8]) -> Result<Value> {
        if seeds.len() != 3 * self.n {
            return Err(Ckr::GENERAL_ERROR);
        }
        let (sk_seed, rest) = seeds.split_at(self.n);
        let (sk_prf, pk_seed) = rest.split_at(self.n);
        Ok((self.keygen)(sk_seed, sk_prf, pk_seed))
    }

    /// slh_sign_internal (Alg. 19) over the concatenation of `message`;
    /// `opt_rand` None is deterministic signing (addrnd = PK.seed).
    pub(super) fn sign(
        &self,
        sk: &[u8],
        message: &[&[u8]],
        opt_rand: Option<&[u8]>,
    ) -> Result<Vec<u8>> {
        if sk.len() != self.sk_len() {
            return Err(Ckr::KEY_SIZE_RANGE);
        }
        // The library panics on an addrnd of another length.
        if opt_rand.is_some_and(|r| r.len() != self.n) {
            return Err(Ckr::GENERAL_ERROR);
        }
        (self.sign)(sk, message, opt_rand).ok_or(Ckr::GENERAL_ERROR)
    }

    /// slh_verify_internal (Alg. 20) over the concatenation of `message`.
    pub(super) fn verify(&self, pk: &[u8], message: &[&[u8]], signature: &[u8]) -> Result<()> {
        if pk.len() != self.pk_len() {
            return Err(Ckr::KEY_SIZE_RANGE);
        }
        if signature.len() != self.sig_len {
            return Err(Ckr::SIGNATURE_LEN_RANGE);
        }
        if (self.verify)(pk, message, signature) {
            Ok(())
        } else {
            Err(Ckr::SIGNATURE_INVALID)
        }
    }

    /// Whether `sk` is a key of this set whose PK.root is the root its
    /// SK.seed and PK.seed give (a key generation's worth of hashing).
    pub(super) fn private_key_consistent(&self, sk: &[u8]) -> Result<bool> {
        if sk.len() != self.sk_len() {
            return Ok(false);
        }
        let again = self.keypair(&sk[..3 * self.n])?;
        Ok(bool::from(again.as_slice().ct_eq(sk)))
    }

    /// The SubjectPublicKeyInfo of a public key of this set.
    pub(super) fn spki(&self, pk: &[u8]) -> Result<Vec<u8>> {
        super::super::asn1::spki(&self.oid, pk)
    }
}

/// A key object's parameter set and CKA_VALUE, for an operation that needs
/// a key of class `class`: another class or key type is
/// CKR_KEY_TYPE_INCONSISTENT, a value that does not fit the set
/// CKR_KEY_SIZE_RANGE.
pub(super) fn of_key(key: &Attributes, class: CK_OBJECT_CLASS) -> Result<(&'static Set, &[u8])> {
    let class_ok = key.ulong(CKA_CLASS).ok().flatten() == Some(class);
    let type_ok = key.ulong(CKA_KEY_TYPE).ok().flatten() == Some(CKK_SLH_DSA);
    if !class_ok || !type_ok {
        return Err(Ckr::KEY_TYPE_INCONSISTENT);
    }
    // Keys are completed when stored, so a missing set or value is a
    // corrupt object rather than a caller error.
    let ckp = key.ulong(CKA_PARAMETER_SET)?.ok_or(Ckr::GENERAL_ERROR)?;
    let set = Set::by_ckp(ckp).ok_or(PARAMETER_SET_NOT_SUPPORTED)?;
    let value = key.get(CKA_VALUE).ok_or(Ckr::GENERAL_ERROR)?;
    let expected = if class == CKO_PRIVATE_KEY {
        set.sk_len()
    } else {
        set.pk_len()
    };
    if value.len() != expected {
        return Err(Ckr::KEY_SIZE_RANGE);
    }
    Ok((set, value))
}
