//! The hash functions of the RSA mechanisms: how PKCS#11 names them (CKM_
//! for the hash, CKG_MGF1_ for MGF1 over it), their lengths, their
//! DigestInfo prefixes and aws-lc's name for them.

use super::ffi::Md;
use crate::error::Result;
use crate::mech::{registry, Digest, MechParam, Mechanism};
use cryptoki_sys::*;

/// One hash function.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Hash {
    /// Its digest mechanism, as CK_RSA_PKCS_PSS_PARAMS.hashAlg and
    /// CK_RSA_PKCS_OAEP_PARAMS.hashAlg name it.
    pub(super) ckm: CK_MECHANISM_TYPE,
    /// MGF1 over it, as the parameters' `mgf` field names it.
    pub(super) mgf: CK_RSA_PKCS_MGF_TYPE,
    /// The digest length in bytes.
    pub(super) len: usize,
    /// DER of the DigestInfo up to the digest itself (RFC 8017 §9.2 note 1).
    prefix: &'static [u8],
    pub(super) md: Md,
}

pub(super) const SHA1: Hash = Hash {
    ckm: CKM_SHA_1,
    mgf: CKG_MGF1_SHA1,
    len: 20,
    prefix: &[
        0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
    ],
    md: Md::Sha1,
};

/// The SHA-2 DigestInfo prefixes differ only in three bytes.
const fn sha2_prefix(total: u8, oid_last: u8, len: u8) -> [u8; 19] {
    [
        0x30, total, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
        oid_last, 0x05, 0x00, 0x04, len,
    ]
}

pub(super) const SHA224: Hash = Hash {
    ckm: CKM_SHA224,
    mgf: CKG_MGF1_SHA224,
    len: 28,
    prefix: &sha2_prefix(0x2d, 0x04, 28),
    md: Md::Sha224,
};

pub(super) const SHA256: Hash = Hash {
    ckm: CKM_SHA256,
    mgf: CKG_MGF1_SHA256,
    len: 32,
    prefix: &sha2_prefix(0x31, 0x01, 32),
    md: Md::Sha256,
};

pub(super) const SHA384: Hash = Hash {
    ckm: CKM_SHA384,
    mgf: CKG_MGF1_SHA384,
    len: 48,
    prefix: &sha2_prefix(0x41, 0x02, 48),
    md: Md::Sha384,
};

pub(super) const SHA512: Hash = Hash {
    ckm: CKM_SHA512,
    mgf: CKG_MGF1_SHA512,
    len: 64,
    prefix: &sha2_prefix(0x51, 0x03, 64),
    md: Md::Sha512,
};

const HASHES: [&Hash; 5] = [&SHA1, &SHA224, &SHA256, &SHA384, &SHA512];

impl Hash {
    /// The hash a parameter's hashAlg names.
    pub(super) fn by_mechanism(ckm: CK_MECHANISM_TYPE) -> Option<&'static Hash> {
        HASHES.into_iter().find(|h| h.ckm == ckm)
    }

    /// The hash of the MGF1 a parameter's `mgf` names.
    pub(super) fn by_mgf(mgf: CK_RSA_PKCS_MGF_TYPE) -> Option<&'static Hash> {
        HASHES.into_iter().find(|h| h.mgf == mgf)
    }

    /// A running digest: the registry's digest mechanism for this hash.
    pub(super) fn start(&self) -> Result<Box<dyn Digest>> {
        let m = Mechanism {
            ty: self.ckm,
            param: MechParam::None,
        };
        registry().get(self.ckm)?.digest(&m)
    }

    /// DigestInfo ‖ digest: what RSASSA-PKCS1-v1_5 pads and signs.
    pub(super) fn digest_info(&self, digest: &[u8]) -> Vec<u8> {
        [self.prefix, digest].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_well_formed_digest_infos() {
        for h in HASHES {
            let info = h.digest_info(&vec![0xab; h.len]);
            // SEQUENCE of the right length, ending in OCTET STRING(len).
            assert_eq!(info[0], 0x30);
            assert_eq!(info[1] as usize, info.len() - 2);
            assert_eq!(
                &info[h.prefix.len() - 2..h.prefix.len()],
                &[0x04, h.len as u8]
            );
            assert_eq!(Hash::by_mechanism(h.ckm), Some(h));
            assert_eq!(Hash::by_mgf(h.mgf), Some(h));
            let mut d = h.start().unwrap();
            d.update(b"abc");
            assert_eq!(d.finish().len(), h.len);
        }
        // RFC 8017 §9.2 note 1, SHA-256.
        assert_eq!(
            hex::encode(SHA256.prefix),
            "3031300d060960864801650304020105000420"
        );
        assert_eq!(Hash::by_mechanism(CKM_SHA3_256), None);
        assert_eq!(Hash::by_mgf(CKG_MGF1_SHA3_256), None);
    }
}
