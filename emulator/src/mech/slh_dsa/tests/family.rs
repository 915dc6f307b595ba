//! The CKK_SLH_DSA key family: import checks, CKM_PUB_KEY_FROM_PRIV_KEY,
//! PKCS#8.

use super::{fast, key, pair, PARAMETER_SET_NOT_SUPPORTED};
use crate::attr::Attributes;
use crate::error::Ckr;
use crate::mech::slh_dsa::params::Set;
use crate::mech::{asn1, registry};
use crate::object::{self, Origin};
use cryptoki_sys::*;

#[test]
fn imported_keys_are_checked_and_completed() {
    let family = registry().family(CKK_SLH_DSA).unwrap().unwrap();
    let set = fast();
    let (private, public) = pair(set);
    let (sk, pk) = (
        private.get(CKA_VALUE).unwrap(),
        public.get(CKA_VALUE).unwrap(),
    );

    let mut imported = key(CKO_PRIVATE_KEY, set, sk);
    family.complete_private(&mut imported).unwrap();
    assert_eq!(
        imported.get(CKA_PUBLIC_KEY_INFO),
        public.get(CKA_PUBLIC_KEY_INFO)
    );
    // Every length is shared by four sets: the set is required.
    let mut no_set = key(CKO_PRIVATE_KEY, set, sk);
    no_set.remove(CKA_PARAMETER_SET);
    assert_eq!(
        family.complete_private(&mut no_set),
        Err(Ckr::TEMPLATE_INCOMPLETE)
    );
    no_set.set(CKA_VALUE, vec![0; 65]);
    assert_eq!(
        family.complete_private(&mut no_set),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    let mut unknown = key(CKO_PRIVATE_KEY, set, sk);
    unknown.set_ulong(CKA_PARAMETER_SET, 13);
    assert_eq!(
        family.complete_private(&mut unknown),
        Err(PARAMETER_SET_NOT_SUPPORTED)
    );
    let mut short = key(CKO_PRIVATE_KEY, set, &sk[..63]);
    assert_eq!(
        family.complete_private(&mut short),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    // A PK.root that SK.seed and PK.seed do not give.
    let mut wrong_root = sk.to_vec();
    wrong_root[63] ^= 1;
    assert_eq!(
        family.complete_private(&mut key(CKO_PRIVATE_KEY, set, &wrong_root)),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    // The same bytes under the SHAKE set: a different root.
    let shake = Set::by_ckp(CKP_SLH_DSA_SHAKE_128F).unwrap();
    assert_eq!(
        family.complete_private(&mut key(CKO_PRIVATE_KEY, shake, sk)),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );

    let mut imported_public = key(CKO_PUBLIC_KEY, set, pk);
    family.complete_public(&mut imported_public).unwrap();
    assert_eq!(
        imported_public.get(CKA_PUBLIC_KEY_INFO),
        public.get(CKA_PUBLIC_KEY_INFO)
    );
    let mut wrong_info = key(CKO_PUBLIC_KEY, set, pk);
    wrong_info.set(CKA_PUBLIC_KEY_INFO, asn1::spki(&shake.oid, pk).unwrap());
    assert_eq!(
        family.complete_public(&mut wrong_info),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    let mut public_no_set = key(CKO_PUBLIC_KEY, set, pk);
    public_no_set.remove(CKA_PARAMETER_SET);
    assert_eq!(
        family.complete_public(&mut public_no_set),
        Err(Ckr::TEMPLATE_INCOMPLETE)
    );
    assert_eq!(
        family.complete_public(&mut key(CKO_PUBLIC_KEY, set, sk)),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );

    let derived = family.public_from_private(&private).unwrap();
    assert_eq!(derived.get(CKA_VALUE), Some(pk));
    assert_eq!(derived.ulong(CKA_PARAMETER_SET), Ok(Some(set.ckp)));
    assert_eq!(
        derived.get(CKA_PUBLIC_KEY_INFO),
        public.get(CKA_PUBLIC_KEY_INFO)
    );
}

/// C_CreateObject through the object rules: the family runs on import.
#[test]
fn create_object_runs_the_family() {
    let (private, _) = pair(fast());
    let mut t = Attributes::new();
    t.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    t.set_ulong(CKA_KEY_TYPE, CKK_SLH_DSA);
    t.set(CKA_VALUE, private.get(CKA_VALUE).unwrap().to_vec());
    assert_eq!(
        object::build(&t, Origin::Create, &Attributes::new()).err(),
        Some(Ckr::TEMPLATE_INCOMPLETE)
    );
    t.set_ulong(CKA_PARAMETER_SET, CKP_SLH_DSA_SHA2_128F);
    let obj = object::build(&t, Origin::Create, &Attributes::new()).unwrap();
    assert_eq!(
        obj.get(CKA_PUBLIC_KEY_INFO),
        private.get(CKA_PUBLIC_KEY_INFO)
    );
}

/// PKCS#8 per RFC 9909: OneAsymmetricKey v0, id-slh-dsa-* without
/// parameters, privateKey = the raw sk.
#[test]
fn pkcs8_round_trip() {
    let family = registry().family(CKK_SLH_DSA).unwrap().unwrap();
    let set = fast();
    let (private, _) = pair(set);
    let sk = private.get(CKA_VALUE).unwrap();
    let der = family.export_private(&private).unwrap();
    let mut expected = vec![0x30, 0x52, 0x02, 0x01, 0x00, 0x30, 0x0b, 0x06, 0x09];
    expected.extend_from_slice(&[
        0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 21, 0x04, 0x40,
    ]);
    expected.extend_from_slice(sk);
    assert_eq!(der.as_slice(), expected.as_slice());
    let imported = family.import_private(&der).unwrap();
    assert_eq!(imported.get(CKA_VALUE), Some(sk));
    assert_eq!(imported.ulong(CKA_PARAMETER_SET), Ok(Some(set.ckp)));
    let short = asn1::pkcs8(&set.oid, &sk[1..]).unwrap();
    assert_eq!(
        family.import_private(&short).err(),
        Some(Ckr::WRAPPED_KEY_INVALID)
    );
    let ml_dsa_44 = pkcs8::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.17");
    let foreign = asn1::pkcs8(&ml_dsa_44, sk).unwrap();
    assert_eq!(
        family.import_private(&foreign).err(),
        Some(Ckr::WRAPPED_KEY_INVALID)
    );
    assert_eq!(
        family.import_private(&der[..der.len() - 1]).err(),
        Some(Ckr::WRAPPED_KEY_INVALID)
    );
}
