//! RSA tests: key generation, import and export, and round trips of every
//! mechanism, cross-checked against aws-lc-rs's safe API; the Wycheproof
//! files in `wycheproof`; timings in `bench`.

mod cipher;
mod keys;
mod sign;
mod wycheproof;

use crate::attr::{Attributes, Value};
use crate::error::Result;
use crate::mech::{registry, MechParam, Mechanism};
use crate::object::{self, Origin};
use cryptoki_sys::*;
use std::sync::OnceLock;

/// A key object through C_CreateObject's path: the template is built and
/// completed by the object rules and the CKK_RSA family.
pub(super) fn import(
    class: CK_OBJECT_CLASS,
    numbers: &[(CK_ATTRIBUTE_TYPE, &[u8])],
) -> Result<Attributes> {
    let mut template = Attributes::new();
    template.set_ulong(CKA_CLASS, class);
    template.set_ulong(CKA_KEY_TYPE, CKK_RSA);
    for (ty, value) in numbers {
        template.set(*ty, value.to_vec());
    }
    object::build(&template, Origin::Create, &Attributes::new())
}

/// A generated pair through the registry, as complete objects.
pub(super) fn generate(
    bits: CK_ULONG,
    exponent: Option<&[u8]>,
) -> Result<(Attributes, Attributes)> {
    let m = Mechanism {
        ty: CKM_RSA_PKCS_KEY_PAIR_GEN,
        param: MechParam::None,
    };
    let mut public = Attributes::new();
    public.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
    public.set_ulong(CKA_MODULUS_BITS, bits);
    if let Some(e) = exponent {
        public.set(CKA_PUBLIC_EXPONENT, e.to_vec());
    }
    let mut private = Attributes::new();
    private.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    let pair = registry()
        .get(m.ty)?
        .generate_key_pair(&m, &public, &private)?;
    let origin = Origin::Generate(m.ty);
    Ok((
        object::build(&public, origin, &pair.public)?,
        object::build(&private, origin, &pair.private)?,
    ))
}

/// One 2048-bit pair shared by the tests (generation takes a while).
pub(super) fn pair() -> &'static (Attributes, Attributes) {
    static PAIR: OnceLock<(Attributes, Attributes)> = OnceLock::new();
    PAIR.get_or_init(|| generate(2048, None).expect("key generation"))
}

pub(super) fn mechanism(ty: CK_MECHANISM_TYPE, param: MechParam) -> Mechanism {
    Mechanism { ty, param }
}

pub(super) fn pss(hash: CK_MECHANISM_TYPE, mgf: CK_RSA_PKCS_MGF_TYPE, salt: CK_ULONG) -> MechParam {
    MechParam::Pss {
        hash,
        mgf,
        salt_len: salt,
    }
}

pub(super) fn oaep(hash: CK_MECHANISM_TYPE, mgf: CK_RSA_PKCS_MGF_TYPE, label: &[u8]) -> MechParam {
    MechParam::Oaep {
        hash,
        mgf,
        label: label.to_vec(),
    }
}

/// Sign `data`, given in chunks of `chunk` bytes.
pub(super) fn sign(m: &Mechanism, key: &Attributes, data: &[u8], chunk: usize) -> Result<Vec<u8>> {
    let mut s = registry().get(m.ty)?.sign(m, key)?;
    for part in data.chunks(chunk.max(1)) {
        s.update(part)?;
    }
    s.finish()
}

pub(super) fn verify(m: &Mechanism, key: &Attributes, data: &[u8], signature: &[u8]) -> Result<()> {
    let mut v = registry().get(m.ty)?.verify(m, key)?;
    v.update(data)?;
    v.finish(signature)
}

pub(super) fn encrypt(m: &Mechanism, key: &Attributes, data: &[u8]) -> Result<Vec<u8>> {
    let mut c = registry().get(m.ty)?.encrypt(m, key)?;
    let mut out = c.update(data)?.to_vec();
    out.extend_from_slice(&c.finish()?);
    Ok(out)
}

pub(super) fn decrypt(m: &Mechanism, key: &Attributes, data: &[u8]) -> Result<Value> {
    let mut c = registry().get(m.ty)?.decrypt(m, key)?;
    let mut out = c.update(data)?;
    out.extend_from_slice(&c.finish()?);
    Ok(out)
}

/// The digest of `data` with the hash mechanism `ty`.
pub(super) fn digest(ty: CK_MECHANISM_TYPE, data: &[u8]) -> Vec<u8> {
    let m = mechanism(ty, MechParam::None);
    let mut d = registry().get(ty).unwrap().digest(&m).unwrap();
    d.update(data);
    d.finish()
}

/// The PKCS#8 form of a private key object, for aws-lc-rs.
pub(super) fn pkcs8(private: &Attributes) -> Value {
    registry()
        .family(CKK_RSA)
        .unwrap()
        .unwrap()
        .export_private(private)
        .unwrap()
}
