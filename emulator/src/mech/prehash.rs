//! The pre-hash functions of HashML-DSA (FIPS 204 §5.4) and HashSLH-DSA
//! (FIPS 205 §10.2.2): how PKCS#11 names them, their OIDs and output
//! lengths, running them over a message, and the pre-hash form of the
//! message both standards sign, M′ = 0x01 ‖ |ctx| ‖ ctx ‖ OID ‖ PH(M).

use cryptoki_sys::*;
use sha2::digest::DynDigest;
use sha3::digest::{ExtendableOutput, Update, XofReader};

/// A hash function HashML-DSA can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::mech) enum PreHash {
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha512_224,
    Sha512_256,
    Sha3_224,
    Sha3_256,
    Sha3_384,
    Sha3_512,
    /// SHAKE128 with 256 bits of output.
    Shake128,
    /// SHAKE256 with 512 bits of output.
    Shake256,
}

impl PreHash {
    /// The hash named by CK_HASH_SIGN_ADDITIONAL_CONTEXT.hash. PKCS#11 3.2
    /// has no SHAKE digest mechanism; SHAKE128/256 are named by the only
    /// SHAKE mechanisms it has, CKM_SHAKE_128_KEY_DERIVATION and
    /// CKM_SHAKE_256_KEY_DERIVATION, as other 3.2 implementations do.
    pub(in crate::mech) fn of_mechanism(ty: CK_MECHANISM_TYPE) -> Option<PreHash> {
        Some(match ty {
            CKM_SHA224 => PreHash::Sha224,
            CKM_SHA256 => PreHash::Sha256,
            CKM_SHA384 => PreHash::Sha384,
            CKM_SHA512 => PreHash::Sha512,
            CKM_SHA512_224 => PreHash::Sha512_224,
            CKM_SHA512_256 => PreHash::Sha512_256,
            CKM_SHA3_224 => PreHash::Sha3_224,
            CKM_SHA3_256 => PreHash::Sha3_256,
            CKM_SHA3_384 => PreHash::Sha3_384,
            CKM_SHA3_512 => PreHash::Sha3_512,
            CKM_SHAKE_128_KEY_DERIVATION => PreHash::Shake128,
            CKM_SHAKE_256_KEY_DERIVATION => PreHash::Shake256,
            _ => return None,
        })
    }

    /// The last arc of its OID 2.16.840.1.101.3.4.2.x.
    fn oid_arc(self) -> u8 {
        match self {
            PreHash::Sha256 => 1,
            PreHash::Sha384 => 2,
            PreHash::Sha512 => 3,
            PreHash::Sha224 => 4,
            PreHash::Sha512_224 => 5,
            PreHash::Sha512_256 => 6,
            PreHash::Sha3_224 => 7,
            PreHash::Sha3_256 => 8,
            PreHash::Sha3_384 => 9,
            PreHash::Sha3_512 => 10,
            PreHash::Shake128 => 11,
            PreHash::Shake256 => 12,
        }
    }

    /// The length of PH(M) in bytes.
    pub(in crate::mech) fn digest_len(self) -> usize {
        match self {
            PreHash::Sha224 | PreHash::Sha512_224 | PreHash::Sha3_224 => 28,
            PreHash::Sha256 | PreHash::Sha512_256 | PreHash::Sha3_256 | PreHash::Shake128 => 32,
            PreHash::Sha384 | PreHash::Sha3_384 => 48,
            PreHash::Sha512 | PreHash::Sha3_512 | PreHash::Shake256 => 64,
        }
    }

    /// A running PH over the message.
    pub(in crate::mech) fn hasher(self) -> Hasher {
        let fixed = |d: Box<dyn DynDigest + Send>| Hasher::Fixed(d);
        match self {
            PreHash::Sha224 => fixed(Box::<sha2::Sha224>::default()),
            PreHash::Sha256 => fixed(Box::<sha2::Sha256>::default()),
            PreHash::Sha384 => fixed(Box::<sha2::Sha384>::default()),
            PreHash::Sha512 => fixed(Box::<sha2::Sha512>::default()),
            PreHash::Sha512_224 => fixed(Box::<sha2::Sha512_224>::default()),
            PreHash::Sha512_256 => fixed(Box::<sha2::Sha512_256>::default()),
            PreHash::Sha3_224 => fixed(Box::<sha3::Sha3_224>::default()),
            PreHash::Sha3_256 => fixed(Box::<sha3::Sha3_256>::default()),
            PreHash::Sha3_384 => fixed(Box::<sha3::Sha3_384>::default()),
            PreHash::Sha3_512 => fixed(Box::<sha3::Sha3_512>::default()),
            PreHash::Shake128 => Hasher::Shake128(sha3::Shake128::default()),
            PreHash::Shake256 => Hasher::Shake256(sha3::Shake256::default()),
        }
    }

    /// The DER encoding of its OID (tag, length, contents), as M′ carries it.
    pub(in crate::mech) fn oid_der(self) -> [u8; 11] {
        let mut der = [
            0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0,
        ];
        der[10] = self.oid_arc();
        der
    }

    /// M′ = 0x01 ‖ |ctx| ‖ ctx ‖ OID(PH) ‖ PH(M) (FIPS 204 Alg. 4, FIPS 205
    /// Alg. 23); the context is at most 255 bytes.
    pub(in crate::mech) fn m_prime(self, context: &[u8], digest: &[u8]) -> Vec<u8> {
        let oid = self.oid_der();
        let mut m = Vec::with_capacity(2 + context.len() + oid.len() + digest.len());
        m.extend_from_slice(&[1, context.len() as u8]);
        m.extend_from_slice(context);
        m.extend_from_slice(&oid);
        m.extend_from_slice(digest);
        m
    }
}

/// A pre-hash in progress.
pub(in crate::mech) enum Hasher {
    Fixed(Box<dyn DynDigest + Send>),
    Shake128(sha3::Shake128),
    Shake256(sha3::Shake256),
}

impl Hasher {
    /// Hash a part of the message.
    pub(in crate::mech) fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Fixed(d) => d.update(data),
            Hasher::Shake128(x) => Update::update(x, data),
            Hasher::Shake256(x) => Update::update(x, data),
        }
    }

    /// PH(M); the hasher starts over.
    pub(in crate::mech) fn finish(&mut self) -> Vec<u8> {
        match self {
            Hasher::Fixed(d) => d.finalize_reset().to_vec(),
            Hasher::Shake128(x) => read_xof(std::mem::take(x).finalize_xof(), 32),
            Hasher::Shake256(x) => read_xof(std::mem::take(x).finalize_xof(), 64),
        }
    }
}

/// The first `len` bytes of a XOF's output.
fn read_xof(mut reader: impl XofReader, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    reader.read(&mut out);
    out
}
