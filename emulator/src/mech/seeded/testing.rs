//! What the ML-KEM and ML-DSA tests share: vector files, pass counts, key
//! objects, timing.
use super::{Family, Scheme};
use crate::attr::Attributes;
use crate::error::Result;
use crate::mech::test_vectors::{dir, Field, Json};
use crate::mech::KeyFamily;
use cryptoki_sys::*;

/// The cases of a vector file.
pub(in crate::mech) fn cases(file: &str) -> Vec<Json> {
    let path = dir().join(format!("{file}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Json = serde_json::from_str(&text).unwrap();
    json["cases"].arr().clone()
}

/// Pass and fail counts of one vector file.
pub(in crate::mech) struct Tally {
    file: &'static str,
    passed: usize,
    failed: Vec<String>,
}

impl Tally {
    pub(in crate::mech) fn new(file: &'static str) -> Tally {
        Tally {
            file,
            passed: 0,
            failed: Vec::new(),
        }
    }

    pub(in crate::mech) fn check(&mut self, case: &Json, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            self.failed.push(case["id"].str().to_string());
        }
    }

    /// Print the counts; fail the test on any failed case.
    pub(in crate::mech) fn done(self) {
        let total = self.passed + self.failed.len();
        println!("{}: {}/{} cases pass", self.file, self.passed, total);
        assert!(total > 0, "{}: no cases", self.file);
        assert!(
            self.failed.is_empty(),
            "{}: {} failed, first {:?}",
            self.file,
            self.failed.len(),
            &self.failed[..self.failed.len().min(10)]
        );
    }
}

/// A key object of this family as a caller's template gives it.
pub(in crate::mech) fn object<S: Scheme>(
    class: CK_OBJECT_CLASS,
    param: Option<CK_ULONG>,
    seed: Option<&[u8]>,
    value: Option<&[u8]>,
) -> Attributes {
    let mut a = Attributes::new();
    a.set_ulong(CKA_CLASS, class);
    a.set_ulong(CKA_KEY_TYPE, S::KEY_TYPE);
    if let Some(p) = param {
        a.set_ulong(CKA_PARAMETER_SET, p);
    }
    if let Some(s) = seed {
        a.set(CKA_SEED, s.to_vec());
    }
    if let Some(v) = value {
        a.set(CKA_VALUE, v.to_vec());
    }
    a
}

/// A private key imported as C_CreateObject does it.
pub(in crate::mech) fn import_private<S: Scheme>(
    param: Option<CK_ULONG>,
    seed: Option<&[u8]>,
    value: Option<&[u8]>,
) -> Result<Attributes> {
    let mut key = object::<S>(CKO_PRIVATE_KEY, param, seed, value);
    Family::<S>::new().complete_private(&mut key)?;
    Ok(key)
}

/// A public key imported as C_CreateObject does it.
pub(in crate::mech) fn import_public<S: Scheme>(
    param: Option<CK_ULONG>,
    value: &[u8],
) -> Result<Attributes> {
    let mut key = object::<S>(CKO_PUBLIC_KEY, param, None, Some(value));
    Family::<S>::new().complete_public(&mut key)?;
    Ok(key)
}

/// The public key object of a private key object (CKM_PUB_KEY_FROM_PRIV_KEY).
pub(in crate::mech) fn public_of<S: Scheme>(private: &Attributes) -> Result<Attributes> {
    let mut public = Family::<S>::new().public_from_private(private)?;
    public.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
    public.set_ulong(CKA_KEY_TYPE, S::KEY_TYPE);
    Ok(public)
}

/// The CKA_VALUE of a key object.
pub(in crate::mech) fn value(key: &Attributes) -> Vec<u8> {
    key.get(CKA_VALUE).unwrap().to_vec()
}

/// A string field that may be absent or null.
pub(in crate::mech) fn opt_hex(case: &Json, field: &str) -> Option<Vec<u8>> {
    case.get(field).filter(|v| !v.is_null()).map(Field::hex)
}

/// The seed-only CHOICE form, which this module never exports but must
/// read; tests build it with this.
pub(in crate::mech) fn encode_seed_only(seed: &[u8]) -> Vec<u8> {
    use pkcs8::der::asn1::ContextSpecificRef;
    use pkcs8::der::asn1::OctetStringRef;
    use pkcs8::der::TagMode;
    use pkcs8::der::{Encode, TagNumber};
    let seed = OctetStringRef::new(seed).unwrap();
    ContextSpecificRef {
        tag_number: TagNumber::N0,
        tag_mode: TagMode::Implicit,
        value: &seed,
    }
    .to_der()
    .unwrap()
}
