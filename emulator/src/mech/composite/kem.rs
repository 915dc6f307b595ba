//! Composite ML-KEM: CKM_QRC_COMP_KEM_KEY_PAIR_GEN and CKM_QRC_COMP_KEM
//! (C_EncapsulateKey / C_DecapsulateKey). The traditional half is ECDH or
//! X25519 made into a KEM (the ciphertext is an ephemeral public key), and
//! the shared secret is the draft's combiner
//! SHA3-256(mlkemSS ‖ tradSS ‖ tradCT ‖ tradPK ‖ Label).

use super::trad::Trad;
use super::{public_of_key, Family, Id, Scheme};
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::ec::curve::Curve;
use crate::mech::ml_kem::Set as MlKem;
use crate::mech::param_set::{by_param, key_value, mechanism_info, KeyPairGen};
use crate::mech::secret::no_param;
use crate::mech::seeded::Scheme as _;
use crate::mech::{rng, Encapsulated, Mechanism, MechanismImpl, Registry};
use crate::vendor::*;
use cryptoki_sys::*;
use pkcs8::ObjectIdentifier;
use sha3::{Digest, Sha3_256};
use std::marker::PhantomData;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub(super) fn register(r: &mut Registry) {
    r.add(KeyPairGen::<KemSet> {
        ty: CKM_QRC_COMP_KEM_KEY_PAIR_GEN,
        name: "CKM_QRC_COMP_KEM_KEY_PAIR_GEN",
        scheme: PhantomData,
    });
    r.add(CompositeKem);
    r.add_family(Family::<KemSet>(PhantomData));
}

/// One composite ML-KEM algorithm of the draft.
pub(super) struct KemSet {
    id: Id,
    /// The combiner's domain separator.
    label: &'static [u8],
    mlkem: MlKem,
    trad: Trad,
}

/// The draft's recommended algorithms with ECDH and X25519.
pub(super) static SETS: [KemSet; 3] = [
    KemSet {
        id: Id {
            ckp: CKP_QRC_COMP_KEM_MLKEM768_X25519,
            name: "id-MLKEM768-X25519-SHA3-256",
            oid: ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.6.58"),
        },
        // X-Wing's label: an X-Wing implementation is compliant.
        label: b"\\.//^\\",
        mlkem: MlKem::MlKem768,
        trad: Trad(Curve::X25519),
    },
    KemSet {
        id: Id {
            ckp: CKP_QRC_COMP_KEM_MLKEM768_ECDH_P256,
            name: "id-MLKEM768-ECDH-P256-SHA3-256",
            oid: ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.6.59"),
        },
        label: b"MLKEM768-P256",
        mlkem: MlKem::MlKem768,
        trad: Trad(Curve::P256),
    },
    KemSet {
        id: Id {
            ckp: CKP_QRC_COMP_KEM_MLKEM1024_ECDH_P384,
            name: "id-MLKEM1024-ECDH-P384-SHA3-256",
            oid: ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.6.63"),
        },
        label: b"MLKEM1024-P384",
        mlkem: MlKem::MlKem1024,
        trad: Trad(Curve::P384),
    },
];

impl KemSet {
    pub(super) fn ciphertext_len(&self) -> usize {
        self.mlkem.ciphertext_len() + self.trad.public_len()
    }

    /// SHA3-256(mlkemSS ‖ tradSS ‖ tradCT ‖ tradPK ‖ Label).
    pub(super) fn combine(
        &self,
        mlkem_ss: &[u8],
        trad_ss: &[u8],
        trad_ct: &[u8],
        trad_pk: &[u8],
    ) -> Value {
        let digest = Sha3_256::new()
            .chain_update(mlkem_ss)
            .chain_update(trad_ss)
            .chain_update(trad_ct)
            .chain_update(trad_pk)
            .chain_update(self.label)
            .finalize();
        Zeroizing::new(digest.to_vec())
    }

    /// Encaps(pk): ML-KEM to the first half, an ephemeral DH with the second.
    pub(super) fn encapsulate(&self, public: &[u8]) -> Result<Encapsulated> {
        let (mlkem_pk, trad_pk) = self.split_public(public);
        let mut m = Zeroizing::new([0u8; 32]);
        rng::fill(&mut *m)?;
        let (mut ciphertext, mlkem_ss) = self.mlkem.encapsulate(mlkem_pk, &m)?;
        let (ephemeral, trad_ct) = self.trad.generate()?;
        // The recipient's key was checked on import; a failure here is a
        // damaged object.
        let trad_ss = self
            .trad
            .agree(&ephemeral, trad_pk)
            .map_err(|_| Ckr::ATTRIBUTE_VALUE_INVALID)?;
        let secret = self.combine(&mlkem_ss, &trad_ss, &trad_ct, trad_pk);
        ciphertext.extend_from_slice(&trad_ct);
        Ok(Encapsulated { ciphertext, secret })
    }

    /// Decaps(sk, ct) given the public key that belongs to sk. A ciphertext
    /// of the wrong length is CKR_ENCRYPTED_DATA_LEN_RANGE; a traditional
    /// half that is not a valid point CKR_ENCRYPTED_DATA_INVALID (the draft
    /// rejects explicitly when a component does); an ML-KEM half that does
    /// not decrypt gives ML-KEM's implicit-rejection secret.
    pub(super) fn decapsulate(
        &self,
        private: &[u8],
        public: &[u8],
        ciphertext: &[u8],
    ) -> Result<Value> {
        if ciphertext.len() != self.ciphertext_len() {
            return Err(Ckr::ENCRYPTED_DATA_LEN_RANGE);
        }
        let (seed, trad_sk) = self.split_private(private);
        let (mlkem_ct, trad_ct) = ciphertext.split_at(self.mlkem.ciphertext_len());
        let (_, trad_pk) = self.split_public(public);
        let (_, dk) = self.mlkem.keygen(seed);
        let mlkem_ss = self.mlkem.decapsulate(&dk, mlkem_ct)?;
        let d = self
            .trad
            .decode_private(trad_sk)
            .map_err(|_| Ckr::GENERAL_ERROR)?;
        let trad_ss = self
            .trad
            .agree(&d, trad_ct)
            .map_err(|_| Ckr::ENCRYPTED_DATA_INVALID)?;
        Ok(self.combine(&mlkem_ss, &trad_ss, trad_ct, trad_pk))
    }
}

impl Scheme for KemSet {
    const KEY_TYPE: CK_KEY_TYPE = CKK_QRC_COMP_KEM;
    type Pq = MlKem;

    fn all() -> &'static [Self] {
        &SETS
    }
    fn id(&self) -> &Id {
        &self.id
    }
    fn pq(&self) -> MlKem {
        self.mlkem
    }
    fn trad(&self) -> Trad {
        self.trad
    }

    /// Encapsulating fails only for want of randomness: both halves of the
    /// public key were derived from the private key or checked.
    fn pairwise_ok(&self, public: &[u8], private: &[u8]) -> Result<bool> {
        let sent = self.encapsulate(public)?;
        Ok(self
            .decapsulate(private, public, &sent.ciphertext)
            .is_ok_and(|got| bool::from(got.ct_eq(&sent.secret))))
    }
}

/// CKM_QRC_COMP_KEM: no parameter; the shared secret is 32 bytes.
struct CompositeKem;

impl MechanismImpl for CompositeKem {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        CKM_QRC_COMP_KEM
    }
    fn name(&self) -> &'static str {
        "CKM_QRC_COMP_KEM"
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        mechanism_info::<KemSet>(CKF_ENCAPSULATE | CKF_DECAPSULATE)
    }
    fn ciphertext_len(&self, m: &Mechanism, public_key: &Attributes) -> Result<usize> {
        no_param(m)?;
        let (set, _) = key_value::<KemSet>(public_key, CKO_PUBLIC_KEY)?;
        Ok(set.ciphertext_len())
    }
    fn encapsulate(&self, m: &Mechanism, public_key: &Attributes) -> Result<Encapsulated> {
        no_param(m)?;
        let (set, public) = key_value::<KemSet>(public_key, CKO_PUBLIC_KEY)?;
        set.encapsulate(public)
    }
    fn decapsulate(
        &self,
        m: &Mechanism,
        private_key: &Attributes,
        ciphertext: &[u8],
    ) -> Result<Value> {
        no_param(m)?;
        let (set, private) = key_value::<KemSet>(private_key, CKO_PRIVATE_KEY)?;
        let public = public_of_key(set, private_key, private)?;
        set.decapsulate(private, &public, ciphertext)
    }
}

/// Known-answer test run at C_Initialize: the draft's combiner example for
/// id-MLKEM768-X25519-SHA3-256 (Appendix F). ML-KEM and X25519 have their
/// own; key generation runs the pairwise test on every pair.
pub(crate) fn known_answer() -> Result<bool> {
    let set = by_param::<KemSet>(CKP_QRC_COMP_KEM_MLKEM768_X25519)?;
    let hex = crate::mech::self_test::unhex;
    let ss = set.combine(
        &hex("461b74b074818906edcd2fd976008caca5247f496670ae86e34abe35e62a7ae1")?,
        &hex("4c62bd6d6f76294f3c14d7e79dbf56e4bf82cb1fb803accfaf2a59c1663a8843")?,
        &hex("0ec7210a4aa22bb75af9243f95a6ccf857e872efbe5e77e8e917b56178fa473f")?,
        &hex("1e9d4f72d56cef589864e102c6d6fa86cd3ac5163839556f7555ad083f37b03b")?,
    );
    let expected = hex("21ee673fdeac21dd78ef13bc8432a50c0ac31893cbe97d14c0e82f5fe4a28d98")?;
    Ok(ss.as_slice() == expected.as_slice())
}
