//! Message digests: SHA-1, the SHA-2 family and the SHA-3 family.

use super::secret::no_param;
use super::{info, Digest, Mechanism, MechanismImpl, Registry};
use crate::error::Result;
use cryptoki_sys::*;
use sha2::digest::{self, FixedOutputReset};

/// One digest mechanism: a name and a constructor for its running state.
struct DigestMech {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    new: fn() -> Box<dyn Digest>,
}

/// A running digest over any RustCrypto hash.
struct Hasher<D>(D);

impl<D: digest::Digest + FixedOutputReset + Send> Digest for Hasher<D> {
    fn update(&mut self, data: &[u8]) {
        digest::Digest::update(&mut self.0, data);
    }

    fn finish(&mut self) -> Vec<u8> {
        digest::Digest::finalize_reset(&mut self.0).to_vec()
    }
}

impl MechanismImpl for DigestMech {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        info(0, 0, CKF_DIGEST)
    }
    fn digest(&self, m: &Mechanism) -> Result<Box<dyn Digest>> {
        no_param(m)?;
        Ok((self.new)())
    }
}

fn new<D: digest::Digest + FixedOutputReset + Send + 'static>() -> Box<dyn Digest> {
    Box::new(Hasher(D::new()))
}

fn add<D: digest::Digest + FixedOutputReset + Send + 'static>(
    r: &mut Registry,
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
) {
    r.add(DigestMech {
        ty,
        name,
        new: new::<D>,
    });
}

pub(crate) fn register(r: &mut Registry) {
    add::<sha1::Sha1>(r, CKM_SHA_1, "CKM_SHA_1");
    add::<sha2::Sha224>(r, CKM_SHA224, "CKM_SHA224");
    add::<sha2::Sha256>(r, CKM_SHA256, "CKM_SHA256");
    add::<sha2::Sha384>(r, CKM_SHA384, "CKM_SHA384");
    add::<sha2::Sha512>(r, CKM_SHA512, "CKM_SHA512");
    add::<sha3::Sha3_224>(r, CKM_SHA3_224, "CKM_SHA3_224");
    add::<sha3::Sha3_256>(r, CKM_SHA3_256, "CKM_SHA3_256");
    add::<sha3::Sha3_384>(r, CKM_SHA3_384, "CKM_SHA3_384");
    add::<sha3::Sha3_512>(r, CKM_SHA3_512, "CKM_SHA3_512");
}

#[cfg(test)]
mod tests {
    use crate::error::Ckr;
    use crate::mech::{registry, MechParam, Mechanism};
    use cryptoki_sys::*;

    fn digest_of(ty: CK_MECHANISM_TYPE, data: &[u8]) -> Vec<u8> {
        let mut d = registry()
            .get(ty)
            .unwrap()
            .digest(&Mechanism {
                ty,
                param: MechParam::None,
            })
            .unwrap();
        d.update(data);
        d.finish()
    }

    /// FIPS 180-2 / FIPS 202 example values.
    const ABC: &[(CK_MECHANISM_TYPE, &str)] = &[
        (CKM_SHA_1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            CKM_SHA224,
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
        ),
        (
            CKM_SHA256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            CKM_SHA384,
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            CKM_SHA512,
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
        (
            CKM_SHA3_224,
            "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf",
        ),
        (
            CKM_SHA3_256,
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
        ),
        (
            CKM_SHA3_384,
            "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b2\
             98d88cea927ac7f539f1edf228376d25",
        ),
        (
            CKM_SHA3_512,
            "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e\
             10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0",
        ),
    ];

    #[test]
    fn known_answers() {
        for (ty, hex_digest) in ABC {
            assert_eq!(hex::encode(digest_of(*ty, b"abc")), *hex_digest, "0x{ty:X}");
        }
        // FIPS 180-2 two-block message.
        assert_eq!(
            hex::encode(digest_of(
                CKM_SHA256,
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn multi_part_equals_single_part() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        for (ty, _) in ABC {
            let whole = digest_of(*ty, &data);
            let m = Mechanism {
                ty: *ty,
                param: MechParam::None,
            };
            let mut d = registry().get(*ty).unwrap().digest(&m).unwrap();
            for chunk in data.chunks(37) {
                d.update(chunk);
            }
            assert_eq!(d.finish(), whole);
            // finish resets: the same object digests the empty string next.
            assert_eq!(d.finish(), digest_of(*ty, b""));
        }
    }

    #[test]
    fn parameter_is_refused() {
        let m = Mechanism {
            ty: CKM_SHA256,
            param: MechParam::Bytes(vec![1]),
        };
        assert_eq!(
            registry().get(CKM_SHA256).unwrap().digest(&m).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
        let aes = registry().get(CKM_AES_ECB).unwrap();
        assert_eq!(aes.digest(&m).err(), Some(Ckr::MECHANISM_INVALID));
    }
}
