//! The known-answer test run at C_Initialize: one RSASSA-PKCS1-v1_5
//! verification and one RSAES-OAEP decryption through the registry, with
//! the 2048-bit key of the Wycheproof files rsa_signature_2048_sha256 and
//! rsa_oaep_2048_sha256_mgf1sha256 (C2SP Wycheproof, Apache-2.0): one
//! public-key and one private-key operation, under 1 ms in release builds.

use super::key::PRIVATE_NUMBERS;
use crate::attr::Attributes;
use crate::error::{Ckr, Result};
use crate::mech::self_test::unhex;
use crate::mech::{registry, MechParam, Mechanism};
use cryptoki_sys::*;

/// The message of both cases: "123400".
const MESSAGE: &[u8] = b"123400";

/// n.
const N: &str = "a2b451a07d0aa5f96e455671513550514a8a5b462ebef717094fa1fee82224e637f9746d3f7cafd3\
    1878d80325b6ef5a1700f65903b469429e89d6eac8845097b5ab393189db92512ed8a7711a1253fa\
    cd20f79c15e8247f3d3e42e46e48c98e254a2fe9765313a03eff8f17e1a029397a1fa26a8dce26f4\
    90ed81299615d9814c22da610428e09c7d9658594266f5c021d0fceca08d945a12be82de4d1ece6b\
    4c03145b5d3495d4ed5411eb878daf05fd7afc3e09ada0f1126422f590975a1969816f48698bcbba\
    1b4d9cae79d460d8f9f85e7975005d9bc22c4e5ac0f7c1a45d12569a62807d3b9a02e5a530e77306\
    6f453d1f5b4c2e9cf7820283f742b9d5";

/// e.
const E: &str = "010001";

/// d.
const D: &str = "24cdc62317f5d72a6f6ba6cc9632899b01d1ff28867d72f61688995bc855a4e420a8405250089bdb\
    13cf8e09543827b748b9d27fbb2b4d9e20af8c5a6a862796d1a4cc18ad16ea678bc1bd4a83bbbe9c\
    5e57453b5ce7388e41a3ba4ce2b77b4438a229e954f720dae0353dc088ac8a76b26dc276f8e1b785\
    1ddd6398ad16ff2e78195123b9b036e945c38c9d12434f6df76fe22359eb3e1ac9c011678fc926fa\
    d3ae475a4fffff55feb2d147e9c894f4c0e29a599e762462482d968bf42780945fc0d2c31c573c44\
    31b8f4fe8b8c67bec815abd44f7a86edca1c2308737358d2c2ae5e2e0e2dadf730980262377e58b1\
    3b7d9992060a0bc870ccfdb4a9319ee1";

/// p.
const P: &str = "dc431050f782e894fb5248247d98cb7d58b8d1e24f3b55d041c56e4de086b0d5bb028bda42eeb5d2\
    34d5681e5809d415e6a289ad4cfbf78f978f6c35814f50eebff1c5b80a69f788e81e6bab5ddaa783\
    69d659d143ec6f17e79813a575cfad9c569156b90113e2e9110ad9e7b48a1c9348a6e65332119129\
    0ea36cfb3a5b18f1";

/// q.
const Q: &str = "bd1a81e7977f9898122273ae3222b598ea5fb19eb4eabc38308a5e32196603b2e500ffb79f5b8868\
    16611debc472fac45544070beb057c941378a6868af3b7a03d3f9880ec47d5e089b94fbde542aba9\
    ae8d72c57088d7abf5b131f39098f7bc160f90536abc9492fd4e06f3ed7299d4b97bb03677207d95\
    669f140cfbc20f25";

/// d mod (p − 1).
const DP: &str = "a94b528b28f291599121d91952ffd1c7f21d7c1479d99d478885fb161870ee1218bf08472612dbe5\
    497e8d9c650688e09c786961ae3e2c354dc48ae34514759c4c23c4588488961dc06b414e61c0e1e7\
    fbbd2923d31532fe289f96da220711e58c14019808e00414276933bb07e4efb9b4a9b37656917205\
    209f33f09515d7c1";

/// d mod (q − 1).
const DQ: &str = "3af0e72a933aef09ff2503df78bafed531c02ff1a2bc437c540cdcbd4ad35435cf51176359654348\
    0629b114ca7f780ff7efa32ea0cb6e000d6d9ea1f2ef71fd9cf9948422a165557e37e755edfe70d9\
    0b920502eb478bc98a63f788ce3a0f856d6ede7251a383bfa8fa480a81a925af7b3cc538c4bab8c9\
    f7597ffb68011d8d";

/// q⁻¹ mod p.
const QINV: &str =
    "2640fbfbcfefb163ee7a87b6483a66ee41f956d90fa8a7939bfc042ee0924b1b7993d0445f758d51\
    933e85179c0320b0c968b48a91c38b5be923e1097c0c562f88d42294b6a2759bafa5428a74f12708\
    74e45f6fcc60f21602de5eccd143cf31241f5921b5ad3983fb54ef17be3b285367e50c999c67247b\
    552fe4bfce945f7b";

/// The OAEP label (tcId 9).
const LABEL: &str = "000102030405060708090a0b0c0d0e0f10111213";

/// RSAES-OAEP (SHA-256, MGF1-SHA-256) of MESSAGE under LABEL: tcId 9.
const CIPHERTEXT: &str =
    "a0443ba434156d0b503ec662f5eb5b10e20ad0cb8233720ee187ba986e4811dd312844d3edb26bfa\
    f51b4b9268dc3c76072dd47c199d713c91824da23ff00481ee69e9d4cc543120fc33b7244bf0c1ad\
    5fdd1ae9cbada7fe9a70ad0afaaaad8361e8dc4b3198ae661a84e275b60bf2ebb85e512da785d2fc\
    3482294fa11967681d7bceffc08ce0e36f0a8af7fcfb1337186863c2c1c1b94c9ec9785cd3d94d15\
    437c23b775677f3d29a4c9e52f13398fd14661160e5868bca97625aa6c7ecb07bbb479644def353f\
    1f01a4c4100f9adb82c4f6a265a5ee962da58c3c042aa549c9d2de3008e7448e0c4b9b4ac8f5e4d8\
    629873909bb995ccc0825fe87d81d596";

/// RSASSA-PKCS1-v1_5 with SHA-256 of MESSAGE: rsa_signature_2048_sha256 tcId 4.
const SIGNATURE: &str =
    "1758eb94588e6fc4f50c1be1afcaa41027869f304cad513b1fb12c2f446d63cdc05c4830a7e3e630\
    da7b2da4f7867cc173bf6420f9732277282596de41ded32e21d0cc31441174da8765f57419c7764e\
    a758f55bc17646eb100c435d1ac0eed6fc7ba6de5f832094ee2f479979765e05ac9976788db3c241\
    a9e32a0da864f0019a87646ba623d63f4411af5dee1be9ec488c7e3e1b231479de70b9ac5f78a17b\
    1f4120aece45f26c07e7bb345fdfeb05e14bcaacc614672a465fc523624cb19f66f9c6c3f642b832\
    ca44cb25176d679f0e05606c3fed022cac24c2bf960a406d48818e3eb7ed53b0446032469047dfed\
    95fc18088c92d91d93722c47f88163a8";

fn key(class: CK_OBJECT_CLASS, numbers: &[(CK_ATTRIBUTE_TYPE, &str)]) -> Result<Attributes> {
    let mut key = Attributes::new();
    key.set_ulong(CKA_CLASS, class);
    key.set_ulong(CKA_KEY_TYPE, CKK_RSA);
    for (ty, value) in numbers {
        key.set(*ty, unhex(value)?);
    }
    Ok(key)
}

/// Whether the signature verifies and the ciphertext decrypts to MESSAGE.
pub(crate) fn known_answer() -> Result<bool> {
    let public = key(
        CKO_PUBLIC_KEY,
        &[(CKA_MODULUS, N), (CKA_PUBLIC_EXPONENT, E)],
    )?;
    let numbers: Vec<_> = PRIVATE_NUMBERS
        .into_iter()
        .zip([N, E, D, P, Q, DP, DQ, QINV])
        .collect();
    let private = key(CKO_PRIVATE_KEY, &numbers)?;

    let m = Mechanism {
        ty: CKM_SHA256_RSA_PKCS,
        param: MechParam::None,
    };
    let mut verifier = registry().get(m.ty)?.verify(&m, &public)?;
    verifier.update(MESSAGE)?;
    let verified = match verifier.finish(&unhex(SIGNATURE)?) {
        Ok(()) => true,
        Err(Ckr::SIGNATURE_INVALID) => false,
        Err(e) => return Err(e),
    };

    let m = Mechanism {
        ty: CKM_RSA_PKCS_OAEP,
        param: MechParam::Oaep {
            hash: CKM_SHA256,
            mgf: CKG_MGF1_SHA256,
            label: unhex(LABEL)?,
        },
    };
    let mut decryptor = registry().get(m.ty)?.decrypt(&m, &private)?;
    decryptor.update(&unhex(CIPHERTEXT)?)?;
    let decrypted = match decryptor.finish() {
        Ok(plaintext) => plaintext.as_slice() == MESSAGE,
        Err(Ckr::ENCRYPTED_DATA_INVALID) => false,
        Err(e) => return Err(e),
    };
    Ok(verified && decrypted)
}
