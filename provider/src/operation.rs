//! Running operations of a session and the rules every one follows: one of
//! each kind at a time; any error except CKR_BUFFER_TOO_SMALL ends it; a
//! length query or a short buffer keeps it alive and keeps the computed output
//! for the repeated call, so no work is lost or done twice.

use crate::message::MessageOp;
use crate::output::Output;
use qrc_emulator::mech::{health, Cipher, Digest, Signer, Verifier};
use qrc_emulator::token::Usage;
use qrc_emulator::{Ckr, Result, Value};
use zeroize::Zeroizing;

/// Which call of an operation produced an output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// C_Encrypt, C_Sign, …: the whole operation in one call.
    Single,
    /// C_EncryptUpdate, …
    Update,
    /// C_EncryptFinal, C_SignFinal, …
    Final,
}

/// An output computed but not yet delivered (length query or short buffer).
struct Pending {
    step: Step,
    input: Zeroizing<Vec<u8>>,
    output: Value,
}

/// One running operation.
pub struct Active<T> {
    /// The backend's operation object (cipher, signer, …).
    pub op: T,
    pending: Option<Pending>,
    /// The key has CKA_ALWAYS_AUTHENTICATE: C_Login(CKU_CONTEXT_SPECIFIC)
    /// must come before the operation may proceed.
    pub needs_context_login: bool,
}

/// A 3.2 verification whose signature was given at init.
pub struct SignatureCheck {
    /// The running verification.
    pub verifier: Box<dyn Verifier>,
    /// The signature C_VerifySignatureInit gave.
    pub signature: Vec<u8>,
}

/// Every kind of operation a session can run, one of each at a time.
#[derive(Default)]
pub struct Operations {
    /// Remaining C_FindObjects results, in order.
    pub find: Option<std::collections::VecDeque<cryptoki_sys::CK_OBJECT_HANDLE>>,
    /// C_EncryptInit … C_EncryptFinal.
    pub encrypt: Option<Active<Box<dyn Cipher>>>,
    /// C_DecryptInit … C_DecryptFinal.
    pub decrypt: Option<Active<Box<dyn Cipher>>>,
    /// C_DigestInit … C_DigestFinal.
    pub digest: Option<Active<Box<dyn Digest>>>,
    /// The mechanism of the running digest, for the CKA_ALLOWED_MECHANISMS
    /// check of C_DigestKey (meaningless while `digest` is None).
    pub digest_mechanism: cryptoki_sys::CK_MECHANISM_TYPE,
    /// C_SignInit … C_SignFinal.
    pub sign: Option<Active<Box<dyn Signer>>>,
    /// C_VerifyInit … C_VerifyFinal.
    pub verify: Option<Active<Box<dyn Verifier>>>,
    /// C_VerifySignatureInit … C_VerifySignatureFinal.
    pub verify_signature: Option<Active<SignatureCheck>>,
    /// C_MessageEncryptInit … C_MessageEncryptFinal.
    pub message_encrypt: Option<MessageOp>,
    /// C_MessageDecryptInit … C_MessageDecryptFinal.
    pub message_decrypt: Option<MessageOp>,
}

/// The kinds of operation a session runs, one slot each in [`Operations`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationKind {
    /// C_FindObjects*.
    Find,
    /// C_Encrypt*.
    Encrypt,
    /// C_Decrypt*.
    Decrypt,
    /// C_Digest*.
    Digest,
    /// C_Sign*.
    Sign,
    /// C_Verify*.
    Verify,
    /// PKCS#11 3.2 C_VerifySignature*: a slot of its own, apart from
    /// C_Verify*, so one never ends the other.
    VerifySignature,
    /// C_MessageEncrypt*, C_EncryptMessage*.
    MessageEncrypt,
    /// C_MessageDecrypt*, C_DecryptMessage*.
    MessageDecrypt,
}

/// Which way a cipher runs: the one difference between C_Encrypt* and
/// C_Decrypt*, and between C_MessageEncrypt* and C_MessageDecrypt*.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Plaintext in, ciphertext out.
    Encrypt,
    /// Ciphertext in, plaintext out.
    Decrypt,
}

impl Direction {
    /// The key usage the direction needs (CKA_ENCRYPT, CKA_DECRYPT).
    pub fn usage(self) -> Usage {
        match self {
            Direction::Encrypt => Usage::Encrypt,
            Direction::Decrypt => Usage::Decrypt,
        }
    }
}

impl Operations {
    /// The slot of C_EncryptInit … or C_DecryptInit … .
    pub fn cipher(&mut self, dir: Direction) -> &mut Option<Active<Box<dyn Cipher>>> {
        match dir {
            Direction::Encrypt => &mut self.encrypt,
            Direction::Decrypt => &mut self.decrypt,
        }
    }

    /// The slot of C_MessageEncryptInit … or C_MessageDecryptInit … .
    pub fn message(&mut self, dir: Direction) -> &mut Option<MessageOp> {
        match dir {
            Direction::Encrypt => &mut self.message_encrypt,
            Direction::Decrypt => &mut self.message_decrypt,
        }
    }

    /// End the operation of one kind, if one runs.
    pub fn end(&mut self, kind: OperationKind) {
        match kind {
            OperationKind::Find => self.find = None,
            OperationKind::Encrypt => self.encrypt = None,
            OperationKind::Decrypt => self.decrypt = None,
            OperationKind::Digest => self.digest = None,
            OperationKind::Sign => self.sign = None,
            OperationKind::Verify => self.verify = None,
            OperationKind::VerifySignature => self.verify_signature = None,
            OperationKind::MessageEncrypt => self.message_encrypt = None,
            OperationKind::MessageDecrypt => self.message_decrypt = None,
        }
    }
}

/// Begin an operation in an empty slot: CKR_OPERATION_ACTIVE comes before
/// anything `make` (key lookup, mechanism checks) could fail with.
pub fn start<T>(
    slot: &mut Option<Active<T>>,
    needs_context_login: bool,
    make: impl FnOnce() -> Result<T>,
) -> Result<()> {
    if slot.is_some() {
        return Err(Ckr::OPERATION_ACTIVE);
    }
    *slot = Some(Active {
        op: make()?,
        pending: None,
        needs_context_login,
    });
    Ok(())
}

/// The running operation, ready to proceed. A pending output means the
/// caller abandoned a length query for a different call; the operation's
/// state has moved on, so it cannot continue.
fn ready<T>(slot: &mut Option<Active<T>>) -> Result<&mut Active<T>> {
    let ok = match slot.as_ref() {
        None => return Err(Ckr::OPERATION_NOT_INITIALIZED),
        Some(a) if a.needs_context_login => Err(Ckr::USER_NOT_LOGGED_IN),
        Some(a) if a.pending.is_some() => Err(Ckr::ARGUMENTS_BAD),
        // A self-test failure stops operations already running too.
        Some(_) => health::check(),
    };
    if let Err(e) = ok {
        *slot = None;
        return Err(e);
    }
    slot.as_mut().ok_or(Ckr::OPERATION_NOT_INITIALIZED)
}

/// A call with no output (C_SignUpdate, C_DigestUpdate, …).
pub fn feed<T>(slot: &mut Option<Active<T>>, f: impl FnOnce(&mut T) -> Result<()>) -> Result<()> {
    let active = ready(slot)?;
    f(&mut active.op).inspect_err(|_| *slot = None)
}

/// A call that ends the operation whatever happens (C_Verify, C_VerifyFinal).
pub fn finish<T, R>(
    slot: &mut Option<Active<T>>,
    f: impl FnOnce(&mut T) -> Result<R>,
) -> Result<R> {
    ready(slot)?;
    let mut active = slot.take().ok_or(Ckr::OPERATION_NOT_INITIALIZED)?;
    f(&mut active.op)
}

/// A call with an output, under the two-call convention.
pub fn produce<T>(
    slot: &mut Option<Active<T>>,
    step: Step,
    input: &[u8],
    out: &mut Output,
    compute: impl FnOnce(&mut T, &[u8]) -> Result<Value>,
) -> Result<()> {
    // The error state withholds even output computed before it began.
    health::check().inspect_err(|_| *slot = None)?;
    let repeated = match slot.as_mut() {
        Some(active) => match active.pending.take() {
            Some(p) if p.step == step && p.input.as_slice() == input => Some(p.output),
            other => {
                active.pending = other;
                None
            }
        },
        None => None,
    };
    let output = match repeated {
        Some(output) => output,
        None => {
            let active = ready(slot)?;
            match compute(&mut active.op, input) {
                Ok(output) => output,
                Err(e) => {
                    *slot = None;
                    return Err(e);
                }
            }
        }
    };
    let delivered = out.put(&output);
    match delivered {
        Ok(true) => {
            if step != Step::Update {
                *slot = None;
            }
            Ok(())
        }
        Ok(false) | Err(Ckr::BUFFER_TOO_SMALL) => {
            if let Some(active) = slot.as_mut() {
                active.pending = Some(Pending {
                    step,
                    input: Zeroizing::new(input.to_vec()),
                    output,
                });
            }
            delivered.map(drop)
        }
        Err(e) => {
            *slot = None;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo(usize);
    impl Echo {
        fn run(&mut self, input: &[u8]) -> Result<Value> {
            self.0 += 1;
            Ok(Zeroizing::new(input.to_vec()))
        }
    }

    #[test]
    fn short_buffer_keeps_operation_and_output() {
        let mut slot = None;
        start(&mut slot, false, || Ok(Echo(0))).unwrap();
        let mut out = Output::query();
        produce(&mut slot, Step::Single, b"abcd", &mut out, Echo::run).unwrap();
        assert_eq!(out.len, 4);
        let mut small = [0u8; 2];
        let mut out = Output::buffer(&mut small);
        assert_eq!(
            produce(&mut slot, Step::Single, b"abcd", &mut out, Echo::run),
            Err(Ckr::BUFFER_TOO_SMALL)
        );
        let mut buf = [0u8; 8];
        let mut out = Output::buffer(&mut buf);
        produce(&mut slot, Step::Single, b"abcd", &mut out, Echo::run).unwrap();
        assert_eq!(&buf[..4], b"abcd");
        assert!(
            slot.is_none(),
            "a delivered single-part output ends the operation"
        );
    }

    #[test]
    fn compute_runs_once_across_length_query() {
        let mut slot = None;
        start(&mut slot, false, || Ok(Echo(0))).unwrap();
        let mut out = Output::query();
        produce(&mut slot, Step::Update, b"xy", &mut out, Echo::run).unwrap();
        let mut buf = [0u8; 2];
        produce(
            &mut slot,
            Step::Update,
            b"xy",
            &mut Output::buffer(&mut buf),
            Echo::run,
        )
        .unwrap();
        assert_eq!(slot.as_ref().map(|a| a.op.0), Some(1));
    }

    #[test]
    fn errors_end_the_operation_and_init_works_again() {
        let mut slot = None;
        start(&mut slot, false, || Ok(Echo(0))).unwrap();
        assert_eq!(
            start(&mut slot, false, || Ok(Echo(0))),
            Err(Ckr::OPERATION_ACTIVE)
        );
        let failing = |_: &mut Echo, _: &[u8]| -> Result<Value> { Err(Ckr::DATA_LEN_RANGE) };
        assert_eq!(
            produce(&mut slot, Step::Update, b"x", &mut Output::query(), failing),
            Err(Ckr::DATA_LEN_RANGE)
        );
        assert!(slot.is_none());
        assert_eq!(
            feed(&mut slot, |_| Ok(())),
            Err(Ckr::OPERATION_NOT_INITIALIZED)
        );
        start(&mut slot, false, || Ok(Echo(0))).unwrap();
    }

    struct AnyVerifier;
    impl Verifier for AnyVerifier {
        fn update(&mut self, _: &[u8]) -> Result<()> {
            Ok(())
        }
        fn finish(&mut self, _: &[u8]) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn ending_one_kind_leaves_the_others() {
        let mut ops = Operations::default();
        start(&mut ops.verify, false, || Ok(Box::new(AnyVerifier) as _)).unwrap();
        let check = || {
            Ok(SignatureCheck {
                verifier: Box::new(AnyVerifier),
                signature: vec![],
            })
        };
        start(&mut ops.verify_signature, false, check).unwrap();
        ops.end(OperationKind::Verify);
        assert!(ops.verify.is_none());
        assert!(ops.verify_signature.is_some());
        start(&mut ops.verify, false, || Ok(Box::new(AnyVerifier) as _)).unwrap();
        ops.end(OperationKind::VerifySignature);
        assert!(ops.verify.is_some());
        assert!(ops.verify_signature.is_none());
    }

    #[test]
    fn context_login_is_required_before_use() {
        let mut slot = None;
        start(&mut slot, true, || Ok(Echo(0))).unwrap();
        assert_eq!(feed(&mut slot, |_| Ok(())), Err(Ckr::USER_NOT_LOGGED_IN));
    }
}
