//! ML-KEM (FIPS 203) on libcrux-ml-kem: CKM_ML_KEM_KEY_PAIR_GEN, CKM_ML_KEM
//! (C_EncapsulateKey / C_DecapsulateKey) and the CKK_ML_KEM key family.
//! The seeded-key machinery it shares with ML-DSA lives in
//! [`super::seeded`].

#[cfg(test)]
mod tests;

use super::param_set::{self, NewKeys, ParameterSet};
use super::secret::no_param;
use super::seeded::{self, Scheme};
use super::self_test::unhex;
use super::{rng, Encapsulated, Mechanism, MechanismImpl, Registry};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use cryptoki_sys::*;
use libcrux_ml_kem::{MlKemCiphertext, MlKemPrivateKey, MlKemPublicKey};
use pkcs8::ObjectIdentifier;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// The ML-KEM parameter sets (FIPS 203 §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Set {
    MlKem512,
    MlKem768,
    MlKem1024,
}

/// Evaluate `$body` with `$k` naming the libcrux module of `$set`.
macro_rules! with_libcrux {
    ($set:expr, $k:ident => $body:expr) => {
        match $set {
            Set::MlKem512 => {
                use libcrux_ml_kem::mlkem512 as $k;
                $body
            }
            Set::MlKem768 => {
                use libcrux_ml_kem::mlkem768 as $k;
                $body
            }
            Set::MlKem1024 => {
                use libcrux_ml_kem::mlkem1024 as $k;
                $body
            }
        }
    };
}

impl Set {
    /// k, the rank of the module.
    fn rank(self) -> usize {
        match self {
            Set::MlKem512 => 2,
            Set::MlKem768 => 3,
            Set::MlKem1024 => 4,
        }
    }

    pub(super) fn ciphertext_len(self) -> usize {
        match self {
            Set::MlKem512 => 768,
            Set::MlKem768 => 1088,
            Set::MlKem1024 => 1568,
        }
    }

    /// FIPS 203 §7.2 modulus check of an ek of the right length, on its
    /// packed form: every 12-bit value in its first 384k bytes is below
    /// q = 3329. ByteDecode12 reduces mod q, so this is exactly
    /// ByteEncode12(ByteDecode12(ek)) = ek, at a fifth of the cost of
    /// decoding, re-encoding and comparing (libcrux's validate_public_key:
    /// about 1.1 µs for ML-KEM-768, paid on every encapsulation). ek is
    /// public, so stopping at the first bad value leaks nothing.
    fn modulus_ok(self, ek: &[u8]) -> bool {
        const Q: u16 = 3329;
        ek[..384 * self.rank()].chunks_exact(3).all(|b| {
            let low = u16::from(b[0]) | (u16::from(b[1] & 0x0f) << 8);
            let high = u16::from(b[1] >> 4) | (u16::from(b[2]) << 4);
            low < Q && high < Q
        })
    }

    /// The copy of ek inside an expanded dk (dk_PKE ‖ ek ‖ H(ek) ‖ z).
    fn ek_of_dk(self, dk: &[u8]) -> &[u8] {
        &dk[384 * self.rank()..768 * self.rank() + 32]
    }

    /// Encaps_internal(ek, m), after the FIPS 203 §7.2 modulus check, which
    /// libcrux's encapsulate does not do itself. A bad ek is
    /// CKR_ATTRIBUTE_VALUE_INVALID, what importing it would have returned: a
    /// stored key failing here has been damaged after its import check.
    pub(super) fn encapsulate(self, ek: &[u8], m: &[u8; 32]) -> Result<(Vec<u8>, Value)> {
        with_libcrux!(self, k => {
            let pk = MlKemPublicKey::try_from(ek).map_err(|_| Ckr::KEY_SIZE_RANGE)?;
            if !self.modulus_ok(ek) {
                return Err(Ckr::ATTRIBUTE_VALUE_INVALID);
            }
            let (c, mut ss) = k::encapsulate(&pk, *m);
            let secret = Value::new(ss.to_vec());
            ss.zeroize();
            Ok((c.as_slice().to_vec(), secret))
        })
    }

    /// Decaps_internal(dk, c): a ciphertext of the wrong length is
    /// CKR_ENCRYPTED_DATA_LEN_RANGE; any other gives the implicit-rejection
    /// secret if it does not decrypt. dk passed the §7.3 hash check when it
    /// was imported or generated.
    pub(super) fn decapsulate(self, dk: &[u8], c: &[u8]) -> Result<Value> {
        with_libcrux!(self, k => {
            let ct = MlKemCiphertext::try_from(c).map_err(|_| Ckr::ENCRYPTED_DATA_LEN_RANGE)?;
            let mut sk = MlKemPrivateKey::try_from(dk).map_err(|_| Ckr::KEY_SIZE_RANGE)?;
            let mut ss = k::decapsulate(&sk, &ct);
            sk[0..].zeroize();
            let secret = Value::new(ss.to_vec());
            ss.zeroize();
            Ok(secret)
        })
    }
}

impl ParameterSet for Set {
    const KEY_TYPE: CK_KEY_TYPE = CKK_ML_KEM;

    fn all() -> &'static [Set] {
        &[Set::MlKem512, Set::MlKem768, Set::MlKem1024]
    }

    fn name(&self) -> &'static str {
        "ML-KEM"
    }

    fn param(&self) -> CK_ULONG {
        match self {
            Set::MlKem512 => CKP_ML_KEM_512,
            Set::MlKem768 => CKP_ML_KEM_768,
            Set::MlKem1024 => CKP_ML_KEM_1024,
        }
    }

    /// id-alg-ml-kem-512/768/1024 (NIST CSOR), checked at compile time.
    fn oid(&self) -> ObjectIdentifier {
        const OIDS: [ObjectIdentifier; 3] = [
            ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.4.1"),
            ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.4.2"),
            ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.4.3"),
        ];
        OIDS[*self as usize]
    }

    fn public_len(&self) -> usize {
        384 * self.rank() + 32
    }

    fn private_len(&self) -> usize {
        768 * self.rank() + 96
    }

    fn new_keys(&self) -> Result<NewKeys> {
        seeded::new_keys(self)
    }

    /// Encapsulate to the public key, decapsulate with the private one.
    fn pairwise_ok(&self, public: &[u8], private: &[u8]) -> Result<bool> {
        let mut m = Zeroizing::new([0u8; 32]);
        rng::fill(&mut *m)?;
        Ok(match self.encapsulate(public, &m) {
            Ok((c, sent)) => self
                .decapsulate(private, &c)
                .is_ok_and(|got| bool::from(got.ct_eq(&sent))),
            Err(_) => false,
        })
    }
}

impl Scheme for Set {
    const SEED_LEN: usize = 64;

    /// KeyGen_internal(d, z) with seed = d ‖ z.
    fn keygen(&self, seed: &[u8]) -> (Vec<u8>, Value) {
        let mut dz = Zeroizing::new([0u8; 64]);
        dz.copy_from_slice(seed);
        with_libcrux!(self, k => {
            let (mut sk, pk) = k::generate_key_pair(*dz).into_parts();
            let dk = Value::new(sk.as_slice().to_vec());
            sk[0..].zeroize();
            (pk.as_slice().to_vec(), dk)
        })
    }

    /// FIPS 203 §7.2: the right length, every coefficient of ek below q.
    fn public_ok(&self, public: &[u8]) -> bool {
        public.len() == self.public_len() && self.modulus_ok(public)
    }

    /// FIPS 203 §7.3 (H(ek) stored in dk is right), and §7.2 on the ek it
    /// carries, which the public half will be.
    fn public_of_private(&self, private: &[u8]) -> Option<Vec<u8>> {
        let hash_ok = with_libcrux!(self, k => {
            let mut sk = MlKemPrivateKey::try_from(private).ok()?;
            let ok = k::portable::validate_private_key_only(&sk);
            sk[0..].zeroize();
            ok
        });
        let ek = self.ek_of_dk(private);
        (hash_ok && self.public_ok(ek)).then(|| ek.to_vec())
    }
}

/// CKM_ML_KEM: no parameter; the shared secret is 32 bytes.
struct Kem;

impl MechanismImpl for Kem {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        CKM_ML_KEM
    }
    fn name(&self) -> &'static str {
        "CKM_ML_KEM"
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        param_set::mechanism_info::<Set>(CKF_ENCAPSULATE | CKF_DECAPSULATE)
    }
    fn ciphertext_len(&self, m: &Mechanism, public_key: &Attributes) -> Result<usize> {
        no_param(m)?;
        let (set, _) = seeded::public_key::<Set>(public_key)?;
        Ok(set.ciphertext_len())
    }
    fn encapsulate(&self, m: &Mechanism, public_key: &Attributes) -> Result<Encapsulated> {
        no_param(m)?;
        let (set, ek) = seeded::public_key::<Set>(public_key)?;
        let mut msg = Zeroizing::new([0u8; 32]);
        rng::fill(&mut *msg)?;
        let (ciphertext, secret) = set.encapsulate(ek, &msg)?;
        Ok(Encapsulated { ciphertext, secret })
    }
    fn decapsulate(
        &self,
        m: &Mechanism,
        private_key: &Attributes,
        ciphertext: &[u8],
    ) -> Result<Value> {
        no_param(m)?;
        let key = seeded::private_key::<Set>(private_key)?;
        key.set.decapsulate(key.value, ciphertext)
    }
}

pub(crate) fn register(r: &mut Registry) {
    r.add(param_set::KeyPairGen::<Set> {
        ty: CKM_ML_KEM_KEY_PAIR_GEN,
        name: "CKM_ML_KEM_KEY_PAIR_GEN",
        scheme: std::marker::PhantomData,
    });
    r.add(Kem);
    r.add_family(seeded::Family::<Set>::new());
}

/// ACVP ML-KEM encapDecap FIPS203-tr1 tg6/tc99 (ML-KEM-768, seed-format key).
const KAT_SEED: &str = "19c292f89b760e7c41dfc00bc1863f851caccc2e063c74067ece3aba7413afb1\
                        9934b5dea89c5adb7fe62cc789c090d299b7d38c822a4ecfa03b94f5518d636e";
/// SHA3-256(ek ‖ dk) of the case's key pair.
const KAT_KEYS_SHA3: &str = "71bd786b55253b83bfb532f84937e2f5b618ea4b49e19a806820bd42cf95151d";
const KAT_SECRET: &str = "a9e156613095f361749794d800d895e8ebd79dbfb9276be2854cd10e229f8bdc";
const KAT_CIPHERTEXT: &str = "\
    fdfbedc0b0d13c75e6b96cae5d8fb18838c8ec80fbde495ee3231be71daec7e6aa78a2a8e5f21baec9bad0aacc049938\
    52e73773d01104918e3565b9091188250ff4a987cc198c77351afc1285e2b9472302239226729485a72e263498cdcadf\
    f13c31d2c4ae19568dffff7eb38884ed3b7b5552d468c6fbb98550920db5b64123cc85500416e44dd8a2325628c250d4\
    a89a0353daa5d9cc384105a1ffbbd5a95d9995e158648c3d74bcb6819fb8b8977290604733b36c6ea3272a18d1f802b9\
    805c9a2e3f4240b9752de7caca85c04ccf04164f9b11a2ab5faa910b427a7d8d6fe9004ce7662ac38ed3950d7f7550f9\
    0256f941bcbdb3cf50066c598be5a3403d80167f7c74cb437dcfc08a38f602507fcfb0d811e06fd87902e5bee4d9924a\
    e1432531e600f440c178e3a4f65705847177edef76adf9c0971cb6a0e2ace8d4a97a35304c1f270424d2dfeff7ad13df\
    b94e954f4bb996b42f7bea72d424b18776b5dcce2c6c666b66d94e9da7d50e68a60a71e44c1cea15f8746717b6efdd0d\
    ae551af158850b7adaf2c0069dbb692b1f1c6f85fbb9fc8607cd6d34e26ba36a50e85f8f022174b9373d4ae75dcfaac2\
    68101a4b5309e5b83ab6a198e9add3069a3bd58cfb79d856593aa9ceef1775ea4ab393c8958bfbb41396b092a18bbb76\
    b9fec536f0c68f7c31fa1dc9a7e97f3656ab544a401b4e1bc9ae05d2e6a766ae103453433c63ecda66b70d690426953d\
    7ca9a10c6fd9391325359cc029635053e02e30ef3446a47c505cbe40d449123314cdc663cd2d4d85106a7244c315c0fa\
    f34f40a6f1aea0033aa6fbad562719d80863edf4479dced897d958a3fd4c3312bdac8e19fe8c9871252c53c10b57e1c9\
    0c6f93917549860c3a8ce74dda1ca01659fbe9fe3a79dec9ca8005e118e3165656049a58e180647f293924d8fa985974\
    297ee61ea858b840089ede917e8dfd31102b71191e8164d3f8ad8a766ad70438316371f6c88f67cf60e19de3a02a4e47\
    bbf0b3c0cfc805d0cc4729d9971b6fd2e0122e38bb695397e95eacf6801a549fb13cc48db99b30deffb463042f9ee0f1\
    321ed13647f1dd3dc881bc276fd2b4d06f3bac9a188026ebab75c79b2f9f120bfcb96086f57a5ee7f2ee8b5a0388a7c7\
    10966eeed64913bee3f1ef4aa70183494569fde94fbc2a14081d33ba71c38293acf9232dea7040fdae105ba7816ce6a6\
    0ac507cd0665f4e8c0ee51944a59226fd0d580f4225481ad5a5d60983441383bebaf3c074dadb52e231a69e1396111c0\
    4ae66d208a51a51ebf289ce9e6b910a93a935525fb59047c2dab49cc656fd2d7d7884c997d3bc79c1069e13a0d03c3f5\
    999ac228d621af86e723482488a8d4dd5769feaa51da2f60882c99cba4faeb2dc7887266a3568cd8a2589f11528c8f1f\
    acc6f7cce36e94ae3a096864c3447a8ca17a9c3305532cbf6e802254bd4f46fe4dbcbe9192eb1b13fb26ffeccaad16cf\
    318fcba3fded7000125bb29964443a0ea5f49d4bd53a7fa8a8a18b447b761b57";

/// Known-answer test run at C_Initialize: the key pair of a seed (through
/// the key family, as C_CreateObject derives it) and a decapsulation
/// (through the registry, as C_DecapsulateKey runs it).
pub(crate) fn known_answer() -> Result<bool> {
    use sha3::{Digest, Sha3_256};
    let mut key = Attributes::new();
    key.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    key.set_ulong(CKA_KEY_TYPE, CKK_ML_KEM);
    key.set_ulong(CKA_PARAMETER_SET, CKP_ML_KEM_768);
    key.set(CKA_SEED, unhex(KAT_SEED)?);
    let family = seeded::Family::<Set>::new();
    super::KeyFamily::complete_private(&family, &mut key)?;
    let public = super::KeyFamily::public_from_private(&family, &key)?;
    let mut h = Sha3_256::new();
    h.update(public.get(CKA_VALUE).ok_or(Ckr::GENERAL_ERROR)?);
    h.update(key.get(CKA_VALUE).ok_or(Ckr::GENERAL_ERROR)?);
    let keys_ok = h.finalize().as_slice() == unhex(KAT_KEYS_SHA3)?.as_slice();
    let m = Mechanism {
        ty: CKM_ML_KEM,
        param: super::MechParam::None,
    };
    let secret =
        super::registry()
            .get(CKM_ML_KEM)?
            .decapsulate(&m, &key, &unhex(KAT_CIPHERTEXT)?)?;
    Ok(keys_ok && secret.as_slice() == unhex(KAT_SECRET)?.as_slice())
}
