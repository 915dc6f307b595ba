//! The pre-hash functions of HashSLH-DSA (FIPS 205 §10.2.2): the ten hashes
//! PKCS#11 3.2 names a CKM_HASH_SLH_DSA_* mechanism for, with their DER OIDs.

use super::super::Digest;
use cryptoki_sys::*;
use sha2::digest::{ExtendableOutputReset, FixedOutputReset, Update};

/// One pre-hash function.
pub(super) struct PreHash {
    /// The digest mechanism, as named by CK_HASH_SIGN_ADDITIONAL_CONTEXT.hash.
    pub(super) hash: CK_MECHANISM_TYPE,
    /// The CKM_HASH_SLH_DSA_* mechanism that hashes with it.
    pub(super) mechanism: CK_MECHANISM_TYPE,
    pub(super) name: &'static str,
    /// Last arc of the OID 2.16.840.1.101.3.4.2.x.
    oid_arc: u8,
    /// Digest length: SHAKE128 gives 256 bits, SHAKE256 512 (FIPS 205 §10.2.2).
    pub(super) len: usize,
    new: fn() -> Box<dyn Digest>,
}

/// A fixed-length hash from the sha2 / sha3 crates.
struct Fixed<D>(D);

impl<D: sha2::Digest + FixedOutputReset + Send> Digest for Fixed<D> {
    fn update(&mut self, data: &[u8]) {
        sha2::Digest::update(&mut self.0, data);
    }
    fn finish(&mut self) -> Vec<u8> {
        sha2::Digest::finalize_reset(&mut self.0).to_vec()
    }
}

/// A SHAKE function read to `N` bytes.
struct Xof<X, const N: usize>(X);

impl<X: Update + ExtendableOutputReset + Send, const N: usize> Digest for Xof<X, N> {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    fn finish(&mut self) -> Vec<u8> {
        let mut out = vec![0u8; N];
        self.0.finalize_xof_reset_into(&mut out);
        out
    }
}

fn fixed<D: sha2::Digest + FixedOutputReset + Send + 'static>() -> Box<dyn Digest> {
    Box::new(Fixed(D::new()))
}

fn xof<X: Default + Update + ExtendableOutputReset + Send + 'static, const N: usize>(
) -> Box<dyn Digest> {
    Box::new(Xof::<X, N>(X::default()))
}

macro_rules! prehash {
    ($hash:ident, $mechanism:ident, $arc:literal, $len:literal, $new:expr) => {
        PreHash {
            hash: $hash,
            mechanism: $mechanism,
            name: stringify!($mechanism),
            oid_arc: $arc,
            len: $len,
            new: $new,
        }
    };
}

pub(super) static PREHASHES: [PreHash; 10] = [
    prehash!(
        CKM_SHA224,
        CKM_HASH_SLH_DSA_SHA224,
        0x04,
        28,
        fixed::<sha2::Sha224>
    ),
    prehash!(
        CKM_SHA256,
        CKM_HASH_SLH_DSA_SHA256,
        0x01,
        32,
        fixed::<sha2::Sha256>
    ),
    prehash!(
        CKM_SHA384,
        CKM_HASH_SLH_DSA_SHA384,
        0x02,
        48,
        fixed::<sha2::Sha384>
    ),
    prehash!(
        CKM_SHA512,
        CKM_HASH_SLH_DSA_SHA512,
        0x03,
        64,
        fixed::<sha2::Sha512>
    ),
    prehash!(
        CKM_SHA3_224,
        CKM_HASH_SLH_DSA_SHA3_224,
        0x07,
        28,
        fixed::<sha3::Sha3_224>
    ),
    prehash!(
        CKM_SHA3_256,
        CKM_HASH_SLH_DSA_SHA3_256,
        0x08,
        32,
        fixed::<sha3::Sha3_256>
    ),
    prehash!(
        CKM_SHA3_384,
        CKM_HASH_SLH_DSA_SHA3_384,
        0x09,
        48,
        fixed::<sha3::Sha3_384>
    ),
    prehash!(
        CKM_SHA3_512,
        CKM_HASH_SLH_DSA_SHA3_512,
        0x0A,
        64,
        fixed::<sha3::Sha3_512>
    ),
    prehash!(
        CKM_SHAKE_128_KEY_DERIVATION,
        CKM_HASH_SLH_DSA_SHAKE128,
        0x0B,
        32,
        xof::<sha3::Shake128, 32>
    ),
    prehash!(
        CKM_SHAKE_256_KEY_DERIVATION,
        CKM_HASH_SLH_DSA_SHAKE256,
        0x0C,
        64,
        xof::<sha3::Shake256, 64>
    ),
];

impl PreHash {
    /// The pre-hash CK_HASH_SIGN_ADDITIONAL_CONTEXT.hash names.
    pub(super) fn by_hash(hash: CK_MECHANISM_TYPE) -> Option<&'static PreHash> {
        PREHASHES.iter().find(|p| p.hash == hash)
    }

    pub(super) fn start(&self) -> Box<dyn Digest> {
        (self.new)()
    }

    /// The DER encoding of the OID (tag, length, contents), as M' carries it.
    pub(super) fn oid_der(&self) -> [u8; 11] {
        [
            0x06,
            0x09,
            0x60,
            0x86,
            0x48,
            0x01,
            0x65,
            0x03,
            0x04,
            0x02,
            self.oid_arc,
        ]
    }
}
