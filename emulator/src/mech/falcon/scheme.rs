//! Falcon round 3 on `falcon-rs` (pinned =0.3.1: its `falcon` module is the
//! port of the reference `falcon.c` API, its `codec` module is doc-hidden).
//!
//! Encodings are those of the round-3 NIST API, which PQClean and liboqs
//! share: public key 0x00+logn ‖ h (14 bits per coefficient), private key
//! 0x50+logn ‖ f ‖ g ‖ F, and the detached signature
//! 0x30+logn ‖ nonce (40) ‖ compressed s2. The NIST KAT files carry the same
//! signature as 0x20+logn ‖ compressed s2 inside sm, with the nonce apart.

use crate::error::{Ckr, Result};
use crate::Value;
use cryptoki_sys::CK_ULONG;
use falcon::codec;
use falcon::falcon::{
    falcon_keygen_make, falcon_make_public, falcon_privkey_size, falcon_pubkey_size,
    falcon_sig_compressed_maxsize, falcon_sign_dyn_finish, falcon_tmpsize_keygen,
    falcon_tmpsize_makepub, falcon_tmpsize_signdyn, falcon_tmpsize_verify, falcon_verify_finish,
    falcon_verify_start, shake256_init, shake256_init_prng_from_seed, shake256_inject,
    FALCON_SIG_COMPRESSED,
};
use falcon::shake::InnerShake256Context;
use pkcs8::ObjectIdentifier;
use zeroize::Zeroizing;

/// Nonce length of the round-3 signature.
pub(super) const NONCE_LEN: usize = 40;
/// Seed length of key generation and of the sampler's PRNG (as the NIST
/// API draws them).
pub(super) const SEED_LEN: usize = 48;

/// Falcon-512 or Falcon-1024.
pub(super) struct Set {
    /// CKP_FALCON_512 / CKP_FALCON_1024 (CKA_PARAMETER_SET, CKA_KEY_PARAMS).
    pub(super) ckp: CK_ULONG,
    pub(super) name: &'static str,
    pub(super) logn: u32,
    pub(super) pk_len: usize,
    pub(super) sk_len: usize,
    /// The longest detached signature (752 / 1462 bytes, as liboqs).
    pub(super) max_sig_len: usize,
    /// The OID oqs-provider uses. Provisional: there is no IETF or NIST OID
    /// for round-3 Falcon. oqs-provider's table (checked in its 0.10
    /// sources) has falcon512 1.3.9999.3.11 and falcon1024 1.3.9999.3.14;
    /// older OQS releases and the IETF hackathon table used 1.3.9999.3.6
    /// and .9, and some tables give .11 to "falcon-padded-512".
    pub(super) oid: ObjectIdentifier,
}

pub(super) static SETS: [Set; 2] = [
    Set {
        ckp: crate::vendor::CKP_FALCON_512,
        name: "Falcon-512",
        logn: 9,
        pk_len: falcon_pubkey_size(9),
        sk_len: falcon_privkey_size(9),
        max_sig_len: falcon_sig_compressed_maxsize(9),
        oid: ObjectIdentifier::new_unwrap("1.3.9999.3.11"),
    },
    Set {
        ckp: crate::vendor::CKP_FALCON_1024,
        name: "Falcon-1024",
        logn: 10,
        pk_len: falcon_pubkey_size(10),
        sk_len: falcon_privkey_size(10),
        max_sig_len: falcon_sig_compressed_maxsize(10),
        oid: ObjectIdentifier::new_unwrap("1.3.9999.3.14"),
    },
];

/// Header byte plus nonce: the shortest conceivable signature is longer.
const SIG_HEADER_LEN: usize = 1 + NONCE_LEN;

/// Scratch space the reference code carves its arrays from; it holds
/// secret polynomials while signing and generating keys.
fn scratch(len: usize) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(vec![0u8; len])
}

/// A SHAKE256 context seeded with `seed` and flipped to output, as the
/// NIST API seeds key generation and the sampler.
fn prng(seed: &[u8; SEED_LEN]) -> InnerShake256Context {
    let mut ctx = InnerShake256Context::new();
    shake256_init_prng_from_seed(&mut ctx, seed);
    ctx
}

impl Set {
    pub(super) fn by_ckp(ckp: CK_ULONG) -> Option<&'static Set> {
        SETS.iter().find(|s| s.ckp == ckp)
    }

    pub(super) fn by_oid(oid: &ObjectIdentifier) -> Option<&'static Set> {
        SETS.iter().find(|s| s.oid == *oid)
    }

    /// crypto_sign_keypair of the NIST API from its 48-byte seed: returns
    /// (pk, sk).
    pub(super) fn keypair(&self, seed: &[u8; SEED_LEN]) -> Result<(Vec<u8>, Value)> {
        let mut rng = prng(seed);
        let mut sk = Value::new(vec![0u8; self.sk_len]);
        let mut pk = vec![0u8; self.pk_len];
        let mut tmp = scratch(falcon_tmpsize_keygen(self.logn));
        match falcon_keygen_make(&mut rng, self.logn, &mut sk, Some(&mut pk), &mut tmp) {
            0 => Ok((pk, sk)),
            _ => Err(Ckr::GENERAL_ERROR),
        }
    }

    /// The public key of a private key; None if `sk` does not decode.
    pub(super) fn public_key(&self, sk: &[u8]) -> Option<Vec<u8>> {
        if sk.len() != self.sk_len || sk.first() != Some(&(0x50 + self.logn as u8)) {
            return None;
        }
        let mut pk = vec![0u8; self.pk_len];
        let mut tmp = scratch(falcon_tmpsize_makepub(self.logn));
        (falcon_make_public(&mut pk, sk, &mut tmp) == 0).then_some(pk)
    }

    /// Whether `pk` is a well-formed public key of this set: the header
    /// byte, and every coefficient of h below q = 12289.
    pub(super) fn public_key_ok(&self, pk: &[u8]) -> bool {
        if pk.len() != self.pk_len || pk.first() != Some(&(self.logn as u8)) {
            return false;
        }
        let mut h = vec![0u16; 1 << self.logn];
        codec::modq_decode(&mut h, self.logn, &pk[1..]) == pk.len() - 1
    }

    /// Verify a detached signature on `message`: a length outside what a
    /// signature can have is CKR_SIGNATURE_LEN_RANGE, anything else that
    /// fails CKR_SIGNATURE_INVALID.
    pub(super) fn verify(&self, pk: &[u8], message: &[u8], signature: &[u8]) -> Result<()> {
        if signature.len() <= SIG_HEADER_LEN || signature.len() > self.max_sig_len {
            return Err(Ckr::SIGNATURE_LEN_RANGE);
        }
        if pk.len() != self.pk_len {
            return Err(Ckr::KEY_SIZE_RANGE);
        }
        let mut hash = InnerShake256Context::new();
        if falcon_verify_start(&mut hash, signature) != 0 {
            return Err(Ckr::SIGNATURE_INVALID);
        }
        shake256_inject(&mut hash, message);
        let mut tmp = vec![0u8; falcon_tmpsize_verify(self.logn)];
        // COMPRESSED: the header must be 0x30+logn and the encoding must
        // end exactly where the signature does.
        match falcon_verify_finish(signature, FALCON_SIG_COMPRESSED, pk, &mut hash, &mut tmp) {
            0 => Ok(()),
            _ => Err(Ckr::SIGNATURE_INVALID),
        }
    }
}

/// A signature in progress: the message is hashed as it arrives, since
/// Falcon hashes nonce ‖ M once (HashToPoint) and the nonce is chosen first.
pub(super) struct Signing {
    nonce: [u8; NONCE_LEN],
    hash: InnerShake256Context,
}

impl Signing {
    pub(super) fn start(nonce: [u8; NONCE_LEN]) -> Signing {
        let mut hash = InnerShake256Context::new();
        shake256_init(&mut hash);
        shake256_inject(&mut hash, &nonce);
        Signing { nonce, hash }
    }

    pub(super) fn update(&mut self, data: &[u8]) {
        shake256_inject(&mut self.hash, data);
    }

    /// The detached signature, the sampler seeded from `seed` as
    /// crypto_sign seeds it (so the NIST KAT is reproducible). The
    /// signature is verified under `pk` before it is released, as the
    /// library asks of callers of this layer: a fault while sampling could
    /// otherwise leak the private basis.
    pub(super) fn finish(
        mut self,
        set: &Set,
        sk: &[u8],
        pk: &[u8],
        seed: &[u8; SEED_LEN],
    ) -> Result<Vec<u8>> {
        if sk.len() != set.sk_len || pk.len() != set.pk_len {
            return Err(Ckr::KEY_SIZE_RANGE);
        }
        // HashToPoint state of nonce ‖ M, for the check.
        let mut check = self.hash.clone();
        let mut rng = prng(seed);
        let mut signature = vec![0u8; set.max_sig_len];
        let mut len = signature.len();
        let mut tmp = scratch(falcon_tmpsize_signdyn(set.logn));
        let status = falcon_sign_dyn_finish(
            &mut rng,
            &mut signature,
            &mut len,
            FALCON_SIG_COMPRESSED,
            sk,
            &mut self.hash,
            &self.nonce,
            &mut tmp,
        );
        // Keys are checked when they enter the token, and the buffer has
        // the maximal size, so a failure here is the implementation's.
        if status != 0 {
            return Err(Ckr::GENERAL_ERROR);
        }
        signature.truncate(len);
        let mut tmp = vec![0u8; falcon_tmpsize_verify(set.logn)];
        if falcon_verify_finish(&signature, FALCON_SIG_COMPRESSED, pk, &mut check, &mut tmp) != 0 {
            log::error!(
                "{}: a new signature failed its verification; not released",
                set.name
            );
            return Err(Ckr::GENERAL_ERROR);
        }
        Ok(signature)
    }
}

/// A fresh 40-byte nonce and 48-byte seed come from the token's RNG.
pub(super) fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>> {
    let mut out = Zeroizing::new([0u8; N]);
    super::super::rng::fill(&mut *out)?;
    Ok(out)
}
