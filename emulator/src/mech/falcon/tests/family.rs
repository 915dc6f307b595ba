//! The CKK_FALCON key family: import checks, CKM_PUB_KEY_FROM_PRIV_KEY,
//! PKCS#8.

use super::{generate, key, object, template, PARAMETER_SET_NOT_SUPPORTED};
use crate::attr::Attributes;
use crate::error::Ckr;
use crate::mech::falcon::scheme::SETS;
use crate::mech::{asn1, registry};
use crate::object::{self, Origin};
use crate::vendor::{CKA_KEY_PARAMS, CKK_FALCON, CKP_FALCON_1024, CKP_FALCON_512};
use cryptoki_sys::*;

#[test]
fn imported_keys_are_checked_and_completed() {
    let family = registry().family(CKK_FALCON).unwrap().unwrap();
    let set = &SETS[0];
    let pair = generate(&template(CKA_PARAMETER_SET, set.ckp), &Attributes::new()).unwrap();
    let (pk, sk) = (
        pair.public.get(CKA_VALUE).unwrap(),
        pair.private.get(CKA_VALUE).unwrap(),
    );

    // The set follows from the length; both attributes are filled in.
    let mut public = key(CKO_PUBLIC_KEY, set, pk);
    public.remove(CKA_PARAMETER_SET);
    family.complete_public(&mut public).unwrap();
    assert_eq!(public.ulong(CKA_PARAMETER_SET), Ok(Some(CKP_FALCON_512)));
    assert_eq!(public.ulong(CKA_KEY_PARAMS), Ok(Some(CKP_FALCON_512)));
    assert_eq!(
        public.get(CKA_PUBLIC_KEY_INFO),
        pair.public.get(CKA_PUBLIC_KEY_INFO)
    );

    let mut bad = key(CKO_PUBLIC_KEY, set, pk);
    bad.set(CKA_VALUE, [&[9u8][..], &[0xff; 896]].concat()); // every coefficient ≥ q
    assert_eq!(
        family.complete_public(&mut bad),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    bad.set(CKA_VALUE, [&[10u8][..], &pk[1..]].concat()); // header of Falcon-1024
    assert_eq!(
        family.complete_public(&mut bad),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    bad.set(CKA_VALUE, pk[..896].to_vec());
    assert_eq!(
        family.complete_public(&mut bad),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    let mut mismatch = key(CKO_PUBLIC_KEY, set, pk);
    mismatch.set_ulong(CKA_KEY_PARAMS, CKP_FALCON_1024);
    assert_eq!(
        family.complete_public(&mut mismatch),
        Err(Ckr::TEMPLATE_INCONSISTENT)
    );
    let mut unknown = key(CKO_PUBLIC_KEY, set, pk);
    unknown.set_ulong(CKA_PARAMETER_SET, 7);
    assert_eq!(
        family.complete_public(&mut unknown),
        Err(PARAMETER_SET_NOT_SUPPORTED)
    );
    let mut wrong_info = key(CKO_PUBLIC_KEY, set, pk);
    wrong_info.set(CKA_PUBLIC_KEY_INFO, vec![0x30, 0]);
    assert_eq!(
        family.complete_public(&mut wrong_info),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );

    let mut private = key(CKO_PRIVATE_KEY, set, sk);
    family.complete_private(&mut private).unwrap();
    assert_eq!(
        private.get(CKA_PUBLIC_KEY_INFO),
        pair.private.get(CKA_PUBLIC_KEY_INFO)
    );
    // F is not used to derive pk; the signing check catches a wrong one.
    let mut wrong_f = sk.to_vec();
    wrong_f[1100] ^= 0x01;
    let mut tampered = key(CKO_PRIVATE_KEY, set, &wrong_f);
    assert_eq!(
        family.complete_private(&mut tampered),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
    let mut header = sk.to_vec();
    header[0] = 0x5a;
    assert_eq!(
        family.complete_private(&mut key(CKO_PRIVATE_KEY, set, &header)),
        Err(Ckr::ATTRIBUTE_VALUE_INVALID)
    );

    let derived = family
        .public_from_private(&object(CKO_PRIVATE_KEY, &pair.private))
        .unwrap();
    assert_eq!(derived.get(CKA_VALUE), Some(pk));
    assert_eq!(derived.ulong(CKA_KEY_PARAMS), Ok(Some(CKP_FALCON_512)));
}

/// C_CreateObject through the object rules: the family runs on import.
#[test]
fn create_object_runs_the_family() {
    let set = &SETS[1];
    let pair = generate(&template(CKA_PARAMETER_SET, set.ckp), &Attributes::new()).unwrap();
    let mut t = Attributes::new();
    t.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
    t.set_ulong(CKA_KEY_TYPE, CKK_FALCON);
    t.set(CKA_VALUE, pair.public.get(CKA_VALUE).unwrap().to_vec());
    let obj = object::build(&t, Origin::Create, &Attributes::new()).unwrap();
    assert_eq!(obj.ulong(CKA_KEY_PARAMS), Ok(Some(CKP_FALCON_1024)));
    let mut out_of_range = vec![0xff; set.pk_len];
    out_of_range[0] = 10;
    t.set(CKA_VALUE, out_of_range);
    assert_eq!(
        object::build(&t, Origin::Create, &Attributes::new()).err(),
        Some(Ckr::ATTRIBUTE_VALUE_INVALID)
    );
}

#[test]
fn pkcs8_is_the_oqs_provider_form() {
    let family = registry().family(CKK_FALCON).unwrap().unwrap();
    for set in &SETS {
        let pair = generate(&template(CKA_PARAMETER_SET, set.ckp), &Attributes::new()).unwrap();
        let (pk, sk) = (
            pair.public.get(CKA_VALUE).unwrap(),
            pair.private.get(CKA_VALUE).unwrap(),
        );
        let der = family
            .export_private(&object(CKO_PRIVATE_KEY, &pair.private))
            .unwrap();
        let (oid, inner) = asn1::parse_pkcs8(&der).unwrap();
        assert_eq!(oid, set.oid);
        // OCTET STRING (long form, two length bytes) of sk ‖ pk.
        let len = set.sk_len + set.pk_len;
        assert_eq!(inner[..4], [0x04, 0x82, (len >> 8) as u8, len as u8]);
        assert_eq!(&inner[4..], [sk, pk].concat().as_slice());
        let imported = family.import_private(&der).unwrap();
        assert_eq!(imported.get(CKA_VALUE), Some(sk));
        assert_eq!(imported.ulong(CKA_PARAMETER_SET), Ok(Some(set.ckp)));
        assert_eq!(imported.ulong(CKA_KEY_PARAMS), Ok(Some(set.ckp)));
        // sk alone in the OCTET STRING.
        let mut sk_only = vec![0x04, 0x82, (set.sk_len >> 8) as u8, set.sk_len as u8];
        sk_only.extend_from_slice(sk);
        let der_sk = asn1::pkcs8(&set.oid, &sk_only).unwrap();
        assert_eq!(
            family.import_private(&der_sk).unwrap().get(CKA_VALUE),
            Some(sk)
        );
        // A pk that is not sk's, an unknown OID, a raw key.
        let mut wrong_pk = inner.to_vec();
        let last = wrong_pk.len() - 1;
        wrong_pk[last] ^= 1;
        let bad = asn1::pkcs8(&set.oid, &wrong_pk).unwrap();
        assert_eq!(
            family.import_private(&bad).err(),
            Some(Ckr::WRAPPED_KEY_INVALID)
        );
        let other_oid = asn1::pkcs8(&SETS[usize::from(set.logn == 9)].oid, &inner).unwrap();
        assert_eq!(
            family.import_private(&other_oid).err(),
            Some(Ckr::WRAPPED_KEY_INVALID)
        );
        let raw = asn1::pkcs8(&set.oid, sk).unwrap();
        assert_eq!(
            family.import_private(&raw).err(),
            Some(Ckr::WRAPPED_KEY_INVALID)
        );
    }
}
