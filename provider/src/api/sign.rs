//! Signatures and MACs, verification, and the PKCS#11 3.2 verify-signature
//! calls (signature given at init).

use super::{session, with_ops};
use crate::operation::{feed, finish, produce, start, Active, SignatureCheck, Step};
use crate::output::Output;
use cryptoki_sys::{CK_OBJECT_HANDLE, CK_SESSION_HANDLE};
use qrc_emulator::mech::{Mechanism, Signer, Verifier};
use qrc_emulator::{Ckr, Result, Value};

/// What C_SignUpdate, C_VerifyUpdate and C_VerifySignatureUpdate feed.
trait Parts {
    /// Single-part mechanisms (the input is one digest) refuse updates.
    fn single_part(&self) -> bool;
    fn add_part(&mut self, data: &[u8]) -> Result<()>;
}

impl Parts for Box<dyn Signer> {
    fn single_part(&self) -> bool {
        Signer::single_part(&**self)
    }
    fn add_part(&mut self, data: &[u8]) -> Result<()> {
        self.update(data)
    }
}

impl Parts for Box<dyn Verifier> {
    fn single_part(&self) -> bool {
        Verifier::single_part(&**self)
    }
    fn add_part(&mut self, data: &[u8]) -> Result<()> {
        self.update(data)
    }
}

impl Parts for SignatureCheck {
    fn single_part(&self) -> bool {
        self.verifier.single_part()
    }
    fn add_part(&mut self, data: &[u8]) -> Result<()> {
        self.verifier.update(data)
    }
}

/// One part for a multi-part operation. PKCS#11 has no error of its own for
/// a mechanism that takes no parts; CKR_OPERATION_NOT_INITIALIZED says the
/// operation cannot go on (and, as any error, ends it).
fn update<T: Parts>(slot: &mut Option<Active<T>>, data: &[u8]) -> Result<()> {
    feed(slot, |op| {
        if op.single_part() {
            return Err(Ckr::OPERATION_NOT_INITIALIZED);
        }
        op.add_part(data)
    })
}

/// C_SignInit. A key with CKA_ALWAYS_AUTHENTICATE needs
/// C_Login(CKU_CONTEXT_SPECIFIC) before use.
pub fn sign_init(h: CK_SESSION_HANDLE, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
    let s = session(h)?;
    let reauth = s.token.always_authenticate(key).unwrap_or(false);
    let mut ops = s.ops()?;
    start(&mut ops.sign, reauth, || s.token.signer(m, key))
}

/// C_Sign.
pub fn sign(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    with_ops(h, |ops| {
        produce(&mut ops.sign, Step::Single, data, out, |sg, data| {
            sg.update(data)?;
            sg.finish().map(Value::new)
        })
    })
}

/// C_SignUpdate.
pub fn sign_update(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    with_ops(h, |ops| update(&mut ops.sign, data))
}

/// C_SignFinal.
pub fn sign_final(h: CK_SESSION_HANDLE, out: &mut Output) -> Result<()> {
    with_ops(h, |ops| {
        produce(&mut ops.sign, Step::Final, &[], out, |sg, _| {
            sg.finish().map(Value::new)
        })
    })
}

/// C_VerifyInit.
pub fn verify_init(h: CK_SESSION_HANDLE, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    start(&mut ops.verify, false, || s.token.verifier(m, key))
}

/// C_Verify: CKR_OK only for a valid signature.
pub fn verify(h: CK_SESSION_HANDLE, data: &[u8], signature: &[u8]) -> Result<()> {
    with_ops(h, |ops| {
        finish(&mut ops.verify, |v| {
            v.update(data)?;
            v.finish(signature)
        })
    })
}

/// C_VerifyUpdate.
pub fn verify_update(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    with_ops(h, |ops| update(&mut ops.verify, data))
}

/// C_VerifyFinal.
pub fn verify_final(h: CK_SESSION_HANDLE, signature: &[u8]) -> Result<()> {
    with_ops(h, |ops| finish(&mut ops.verify, |v| v.finish(signature)))
}

/// C_VerifySignatureInit (PKCS#11 3.2): the signature is given here.
pub fn verify_signature_init(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    key: CK_OBJECT_HANDLE,
    signature: &[u8],
) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    start(&mut ops.verify_signature, false, || {
        Ok(SignatureCheck {
            verifier: s.token.verifier(m, key)?,
            signature: signature.to_vec(),
        })
    })
}

/// C_VerifySignature.
pub fn verify_signature(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    with_ops(h, |ops| {
        finish(&mut ops.verify_signature, |c| {
            c.verifier.update(data)?;
            c.verifier.finish(&c.signature)
        })
    })
}

/// C_VerifySignatureUpdate.
pub fn verify_signature_update(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    with_ops(h, |ops| update(&mut ops.verify_signature, data))
}

/// C_VerifySignatureFinal.
pub fn verify_signature_final(h: CK_SESSION_HANDLE) -> Result<()> {
    with_ops(h, |ops| {
        finish(&mut ops.verify_signature, |c| {
            c.verifier.finish(&c.signature)
        })
    })
}
