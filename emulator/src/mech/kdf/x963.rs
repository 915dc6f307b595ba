//! The hash KDFs of CKM_ECDH1_DERIVE: CKD_SHA*_KDF is ANSI X9.63 (SEC 1
//! §3.6.1, NIST SP 800-135 §4.1), K_i = H(Z ‖ [i]_32 ‖ SharedInfo);
//! CKD_SHA*_KDF_SP800 is the one-step KDF of NIST SP 800-56C (and 56A's
//! concatenation KDF), K_i = H([i]_32 ‖ Z ‖ OtherInfo). Blocks for
//! i = 1, 2, … are concatenated and cut to the length asked for.

use crate::attr::Value;
use cryptoki_sys::*;
use sha2::digest::{Digest, Output};
use zeroize::{Zeroize, Zeroizing};

/// A hash KDF: (Z, SharedInfo / OtherInfo, length) → keying material.
pub(in crate::mech) type X963 = fn(&[u8], &[u8], usize) -> Value;

/// The KDF of a CKD_ value, or None for CKD_NULL and unknown values.
pub(in crate::mech) fn x963_kdf(kdf: CK_EC_KDF_TYPE) -> Option<X963> {
    Some(match kdf {
        CKD_SHA1_KDF => hash_kdf::<sha1::Sha1, false>,
        CKD_SHA224_KDF => hash_kdf::<sha2::Sha224, false>,
        CKD_SHA256_KDF => hash_kdf::<sha2::Sha256, false>,
        CKD_SHA384_KDF => hash_kdf::<sha2::Sha384, false>,
        CKD_SHA512_KDF => hash_kdf::<sha2::Sha512, false>,
        CKD_SHA3_224_KDF => hash_kdf::<sha3::Sha3_224, false>,
        CKD_SHA3_256_KDF => hash_kdf::<sha3::Sha3_256, false>,
        CKD_SHA3_384_KDF => hash_kdf::<sha3::Sha3_384, false>,
        CKD_SHA3_512_KDF => hash_kdf::<sha3::Sha3_512, false>,
        CKD_SHA1_KDF_SP800 => hash_kdf::<sha1::Sha1, true>,
        CKD_SHA224_KDF_SP800 => hash_kdf::<sha2::Sha224, true>,
        CKD_SHA256_KDF_SP800 => hash_kdf::<sha2::Sha256, true>,
        CKD_SHA384_KDF_SP800 => hash_kdf::<sha2::Sha384, true>,
        CKD_SHA512_KDF_SP800 => hash_kdf::<sha2::Sha512, true>,
        CKD_SHA3_224_KDF_SP800 => hash_kdf::<sha3::Sha3_224, true>,
        CKD_SHA3_256_KDF_SP800 => hash_kdf::<sha3::Sha3_256, true>,
        CKD_SHA3_384_KDF_SP800 => hash_kdf::<sha3::Sha3_384, true>,
        CKD_SHA3_512_KDF_SP800 => hash_kdf::<sha3::Sha3_512, true>,
        _ => return None,
    })
}

/// `len` bytes of keying material, the counter before Z (SP 800-56C) or
/// after it (X9.63). The caller bounds `len` (far below the 2^32 − 1 blocks
/// the counter allows).
fn hash_kdf<D: Digest, const COUNTER_FIRST: bool>(z: &[u8], info: &[u8], len: usize) -> Value {
    let mut out = Zeroizing::new(Vec::with_capacity(len + <D as Digest>::output_size()));
    let mut block = Output::<D>::default();
    let mut counter: u32 = 1;
    while out.len() < len {
        let mut h = D::new();
        if COUNTER_FIRST {
            h.update(counter.to_be_bytes());
            h.update(z);
        } else {
            h.update(z);
            h.update(counter.to_be_bytes());
        }
        h.update(info);
        h.finalize_into(&mut block);
        out.extend_from_slice(&block);
        counter = counter.wrapping_add(1);
    }
    block.as_mut_slice().zeroize();
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NIST CAVS ANS X9.63-2001 (SP 800-135) vectors: (KDF, Z, SharedInfo,
    /// key data).
    const CAVS: &[(CK_EC_KDF_TYPE, &str, &str, &str)] = &[
        (
            CKD_SHA1_KDF,
            "1c7d7b5f0597b03d06a018466ed1a93e30ed4b04dc64ccdd",
            "",
            "bf71dffd8f4d99223936beb46fee8ccc",
        ),
        (
            CKD_SHA1_KDF,
            "fd17198b89ab39c4ab5d7cca363b82f9fd7e23c3984dc8a2",
            "856a53f3e36a26bbc5792879f307cce2",
            "6e5fad865cb4a51c95209b16df0cc490bc2c9064405c5bccd4ee4832a531fbe7\
             f10cb79e2eab6ab1149fbd5a23cfdabc41242269c9df22f628c4424333855b64\
             e95e2d4fb8469c669f17176c07d103376b10b384ec5763d8b8c610409f19aca8\
             eb31f9d85cc61a8d6d4a03d03e5a506b78d6847e93d295ee548c65afedd2efec",
        ),
        (
            CKD_SHA224_KDF,
            "9ba3226ba0fca6bd5ddaef5b8d763a4d3303bc258d90468c",
            "",
            "15ccbd7d6b8f918335799b3920e69c1f",
        ),
        (
            CKD_SHA256_KDF,
            "96c05619d56c328ab95fe84b18264b08725b85e33fd34f08",
            "",
            "443024c3dae66b95e6f5670601558f71",
        ),
        (
            CKD_SHA256_KDF,
            "22518b10e70f2a3f243810ae3254139efbee04aa57c7af7d",
            "75eef81aa3041e33b80971203d2c0c52",
            "c498af77161cc59f2962b9a713e2b215152d139766ce34a776df11866a69bf2e\
             52a13d9c7c6fc878c50c5ea0bc7b00e0da2447cfd874f6cf92f30d0097111485\
             500c90c3af8b487872d04685d14c8d1dc8d7fa08beb0ce0ababc11f0bd496269\
             142d43525a78e5bc79a17f59676a5706dc54d54d4d1f0bd7e386128ec26afc21",
        ),
        (
            CKD_SHA384_KDF,
            "c051fd22539c9de791d6c43a854b8f80a6bf70190050854a",
            "1317504aa34759bb4c931e3b78201945",
            "cf6a84434734ac6949e1d7976743277be789906908ad3ca3a8923da7f476abbe\
             b574306d7243031a85566914bfd247d2519c479953d9d55b6b831e56260806c3\
             9af21b74e3ecf470e3bd8332791c8a23c13352514fdef00c2d1a408ba31b2d3f\
             9fdcb373895484649a645d1845eec91b5bfdc5ad28c7824984482002dd4a8677",
        ),
        (
            CKD_SHA512_KDF,
            "87fc0d8c4477485bb574f5fcea264b30885dc8d90ad82782",
            "",
            "947665fbb9152153ef460238506a0245",
        ),
        // SP 800-56C one-step KDF, checked against pyca/cryptography's
        // ConcatKDFHash.
        (
            CKD_SHA256_KDF_SP800,
            "52169af5c485dcc2321eb8d26d5efa21fb9b93c98e38412ee2484cf14f0d0d23",
            "a1b2c3d4e5",
            "40ca4cd1665a03e9083c2c91141fa3a86440238d86f43aca53cd0668c9f9d60f4bc05c7e691a0322",
        ),
        (
            CKD_SHA512_KDF_SP800,
            "52169af5c485dcc2321eb8d26d5efa21fb9b93c98e38412ee2484cf14f0d0d23",
            "a1b2c3d4e5",
            "e453838354138c11f656db2ecd0a8620106b6be6a58563733817288717bbbc9f\
             fabd5214d31c888d35834980979a2877c221667b8f5c4703b4811bf674a12638\
             9053173c6e1e3ca8a04c278848dd51ac",
        ),
        (
            CKD_SHA3_256_KDF_SP800,
            "52169af5c485dcc2321eb8d26d5efa21fb9b93c98e38412ee2484cf14f0d0d23",
            "a1b2c3d4e5",
            "eef52e343d7365cb51fd13b617b7523877da2b31",
        ),
    ];

    #[test]
    fn cavs_known_answers() {
        for (kdf, z, info, expected) in CAVS {
            let f = x963_kdf(*kdf).unwrap();
            let expected = hex::decode(expected).unwrap();
            let out = f(
                &hex::decode(z).unwrap(),
                &hex::decode(info).unwrap(),
                expected.len(),
            );
            assert_eq!(hex::encode(&*out), hex::encode(&expected), "{kdf}");
            // A shorter request is a prefix of the longer one.
            let short = f(&hex::decode(z).unwrap(), &hex::decode(info).unwrap(), 5);
            assert_eq!(&short[..], &expected[..5]);
        }
        assert!(x963_kdf(CKD_NULL).is_none());
        assert!(x963_kdf(CKD_SHA3_256_KDF).is_some());
        assert!(x963_kdf(0x99).is_none());
    }
}
