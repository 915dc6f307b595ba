//! PKCS#11 as plain Rust: one function per C call, taking Rust values and
//! returning `Result<_, Ckr>`. The ABI layer (`abi/`) turns C arguments into
//! these calls and nothing else; everything here is safe code.

use crate::info;
use crate::message::{start_message, MessageOp};
use crate::module::{self, module, SharedSession};
use crate::operation::{feed, finish, produce, start, OperationKind, SignatureCheck, Step};
use crate::output::Output;
use crate::session::Session;
use cryptoki_sys::*;
use qrc_emulator::mech::{Mechanism, MessageParams};
use qrc_emulator::store::Who;
use qrc_emulator::token::Usage;
use qrc_emulator::{Attributes, Ckr, Result, Value};
use zeroize::Zeroizing;

/// Result of reading one attribute for C_GetAttributeValue: the value, or the
/// per-attribute error (CKR_ATTRIBUTE_TYPE_INVALID, CKR_ATTRIBUTE_SENSITIVE).
pub type AttrRead = std::result::Result<Value, Ckr>;

fn session(h: CK_SESSION_HANDLE) -> Result<SharedSession> {
    module()?.session(h)
}

fn bytes(v: Vec<u8>) -> Value {
    Zeroizing::new(v)
}

// General purpose.

/// C_Initialize.
pub fn initialize() -> Result<()> {
    module::initialize()
}

pub fn finalize() -> Result<()> {
    module::finalize()
}

pub fn get_info() -> Result<CK_INFO> {
    module()?;
    Ok(info::library_info())
}

// Slots and tokens.

pub fn get_slot_list(token_present: bool) -> Result<Vec<CK_SLOT_ID>> {
    let m = module()?;
    Ok(m.slots
        .iter()
        .filter(|s| !token_present || s.token.present())
        .map(|s| s.id)
        .collect())
}

pub fn get_slot_info(slot: CK_SLOT_ID) -> Result<CK_SLOT_INFO> {
    let m = module()?;
    let s = m.slot(slot)?;
    Ok(info::slot_info(s.id, s.token.as_ref()))
}

pub fn get_token_info(slot: CK_SLOT_ID) -> Result<CK_TOKEN_INFO> {
    let m = module()?;
    let token = m.token(slot)?;
    let sessions = m.sessions_on(slot)?;
    let rw = sessions.iter().filter(|(_, rw)| *rw).count();
    info::token_info(token.as_ref(), sessions.len(), rw)
}

pub fn get_mechanism_list(slot: CK_SLOT_ID) -> Result<Vec<CK_MECHANISM_TYPE>> {
    Ok(module()?.token(slot)?.mechanisms())
}

pub fn get_mechanism_info(slot: CK_SLOT_ID, ty: CK_MECHANISM_TYPE) -> Result<CK_MECHANISM_INFO> {
    module()?.token(slot)?.mechanism_info(ty)
}

/// `label` is the 32-byte blank-padded label from the caller.
pub fn init_token(slot: CK_SLOT_ID, so_pin: &[u8], label: &[u8; 32]) -> Result<()> {
    let m = module()?;
    let token = m.token(slot)?;
    if !m.sessions_on(slot)?.is_empty() {
        return Err(Ckr(CKR_SESSION_EXISTS));
    }
    token.init_token(so_pin, label)
}

pub fn init_pin(h: CK_SESSION_HANDLE, pin: &[u8]) -> Result<()> {
    let s = session(h)?;
    s.require_read_write()?;
    s.token.init_pin(pin)
}

pub fn set_pin(h: CK_SESSION_HANDLE, old: &[u8], new: &[u8]) -> Result<()> {
    let s = session(h)?;
    s.require_read_write()?;
    s.token.set_pin(old, new)
}

// Sessions and login.

pub fn open_session(slot: CK_SLOT_ID, flags: CK_FLAGS) -> Result<CK_SESSION_HANDLE> {
    let m = module()?;
    if flags & CKF_SERIAL_SESSION == 0 {
        return Err(Ckr(CKR_SESSION_PARALLEL_NOT_SUPPORTED));
    }
    let token = m.token(slot)?.clone();
    // An uninitialised token takes sessions too (C_OpenSession has no
    // CKR_TOKEN_NOT_INITIALIZED): listing tools such as systemd-cryptenroll
    // open one on every token and abort on a refusal. Such a session sees
    // no token objects and cannot log in until C_InitToken.
    let status = token.status()?;
    let read_write = flags & CKF_RW_SESSION != 0;
    if !read_write && status.logged_in == Some(Who::So) {
        return Err(Ckr(CKR_SESSION_READ_WRITE_SO_EXISTS));
    }
    m.add_session(|h| Session::new(h, slot, read_write, token))
}

/// Close one session; closing the last session of a slot logs out.
fn close(m: &module::Module, h: CK_SESSION_HANDLE) -> Result<()> {
    let s = m.remove_session(h)?;
    s.token.close_session(h)?;
    if m.sessions_on(s.slot)?.is_empty() {
        match s.token.logout() {
            Ok(()) | Err(Ckr::USER_NOT_LOGGED_IN) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub fn close_session(h: CK_SESSION_HANDLE) -> Result<()> {
    close(&*module()?, h)
}

pub fn close_all_sessions(slot: CK_SLOT_ID) -> Result<()> {
    let m = module()?;
    m.slot(slot)?;
    for (h, _) in m.sessions_on(slot)? {
        match close(&m, h) {
            Ok(()) | Err(Ckr(CKR_SESSION_HANDLE_INVALID)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub fn get_session_info(h: CK_SESSION_HANDLE) -> Result<CK_SESSION_INFO> {
    let s = session(h)?;
    let mut flags = CKF_SERIAL_SESSION;
    if s.read_write {
        flags |= CKF_RW_SESSION;
    }
    Ok(CK_SESSION_INFO {
        slotID: s.slot,
        state: s.state()?,
        flags,
        ulDeviceError: 0,
    })
}

/// The operations C_SessionCancel ends for each flag. PKCS#11 3.2 has no
/// flag of its own for C_VerifySignature*, so CKF_VERIFY names both kinds of
/// verification.
const CANCEL_FLAGS: [(CK_FLAGS, &[OperationKind]); 8] = [
    (CKF_ENCRYPT, &[OperationKind::Encrypt]),
    (CKF_DECRYPT, &[OperationKind::Decrypt]),
    (CKF_DIGEST, &[OperationKind::Digest]),
    (CKF_SIGN, &[OperationKind::Sign]),
    (
        CKF_VERIFY,
        &[OperationKind::Verify, OperationKind::VerifySignature],
    ),
    (CKF_FIND_OBJECTS, &[OperationKind::Find]),
    (CKF_MESSAGE_ENCRYPT, &[OperationKind::MessageEncrypt]),
    (CKF_MESSAGE_DECRYPT, &[OperationKind::MessageDecrypt]),
];

/// C_SessionCancel: end the operations named by `flags`.
pub fn session_cancel(h: CK_SESSION_HANDLE, flags: CK_FLAGS) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    for (flag, kinds) in CANCEL_FLAGS {
        if flags & flag != 0 {
            kinds.iter().for_each(|&k| ops.end(k));
        }
    }
    Ok(())
}

/// End the session's operation of one kind (after a call of it failed).
pub fn end_operation(h: CK_SESSION_HANDLE, kind: OperationKind) -> Result<()> {
    session(h)?.ops()?.end(kind);
    Ok(())
}

pub fn login(h: CK_SESSION_HANDLE, user: CK_USER_TYPE, pin: &[u8]) -> Result<()> {
    let m = module()?;
    let s = m.session(h)?;
    match user {
        CKU_SO => {
            if m.sessions_on(s.slot)?.iter().any(|(_, rw)| !rw) {
                return Err(Ckr(CKR_SESSION_READ_ONLY_EXISTS));
            }
            s.token.login(Who::So, pin)
        }
        CKU_USER => s.token.login(Who::User, pin),
        CKU_CONTEXT_SPECIFIC => {
            let mut guard = s.ops()?;
            let ops = &mut *guard;
            let waiting = [
                ops.sign.as_mut().map(|a| &mut a.needs_context_login),
                ops.decrypt.as_mut().map(|a| &mut a.needs_context_login),
            ];
            let flag = waiting
                .into_iter()
                .flatten()
                .find(|f| **f)
                .ok_or(Ckr::OPERATION_NOT_INITIALIZED)?;
            s.token.reauthenticate(pin)?;
            *flag = false;
            Ok(())
        }
        _ => Err(Ckr(CKR_USER_TYPE_INVALID)),
    }
}

pub fn logout(h: CK_SESSION_HANDLE) -> Result<()> {
    session(h)?.token.logout()
}

// Objects.

pub fn create_object(h: CK_SESSION_HANDLE, template: &Attributes) -> Result<CK_OBJECT_HANDLE> {
    let s = session(h)?;
    s.token.create_object(s.access(), template)
}

pub fn copy_object(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    template: &Attributes,
) -> Result<CK_OBJECT_HANDLE> {
    let s = session(h)?;
    s.token.copy_object(s.access(), obj, template)
}

pub fn destroy_object(h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE) -> Result<()> {
    let s = session(h)?;
    s.token.destroy_object(s.access(), obj)
}

pub fn get_object_size(h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE) -> Result<CK_ULONG> {
    Ok(session(h)?.token.object_size(obj)? as CK_ULONG)
}

/// One result per requested type, in order.
pub fn get_attribute_value(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    types: &[CK_ATTRIBUTE_TYPE],
) -> Result<Vec<AttrRead>> {
    session(h)?.token.get_attributes(obj, types)
}

pub fn set_attribute_value(
    h: CK_SESSION_HANDLE,
    obj: CK_OBJECT_HANDLE,
    template: &Attributes,
) -> Result<()> {
    let s = session(h)?;
    s.token.set_attributes(s.access(), obj, template)
}

pub fn find_objects_init(h: CK_SESSION_HANDLE, template: &Attributes) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    if ops.find.is_some() {
        return Err(Ckr::OPERATION_ACTIVE);
    }
    ops.find = Some(s.token.find(template)?.into());
    Ok(())
}

pub fn find_objects(h: CK_SESSION_HANDLE, max: usize) -> Result<Vec<CK_OBJECT_HANDLE>> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    let found = ops.find.as_mut().ok_or(Ckr::OPERATION_NOT_INITIALIZED)?;
    let n = max.min(found.len());
    Ok(found.drain(..n).collect())
}

pub fn find_objects_final(h: CK_SESSION_HANDLE) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    ops.find
        .take()
        .map(drop)
        .ok_or(Ckr::OPERATION_NOT_INITIALIZED)
}

// Encryption and decryption.

pub fn encrypt_init(h: CK_SESSION_HANDLE, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    if ops.encrypt.is_some() {
        return Err(Ckr::OPERATION_ACTIVE);
    }
    start(
        &mut ops.encrypt,
        s.token.cipher(m, key, Usage::Encrypt),
        false,
    )
}

/// A single-part encryption or decryption: update then finish, joined in a
/// buffer sized up front so no copy of the output is left behind unwiped.
fn whole(c: &mut Box<dyn qrc_emulator::mech::Cipher>, data: &[u8]) -> Result<Value> {
    let head = c.update(data)?;
    let tail = c.finish()?;
    // Ciphers that keep their input to the end (GCM) return one empty half:
    // the other is the output, with no copy to make and wipe.
    if head.is_empty() {
        return Ok(tail);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(head.len() + tail.len()));
    out.extend_from_slice(&head);
    out.extend_from_slice(&tail);
    Ok(out)
}

pub fn encrypt(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    produce(&mut ops.encrypt, Step::Single, data, out, whole)
}

pub fn encrypt_update(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    produce(&mut ops.encrypt, Step::Update, data, out, |c, d| {
        c.update(d)
    })
}

pub fn encrypt_final(h: CK_SESSION_HANDLE, out: &mut Output) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    produce(&mut ops.encrypt, Step::Final, &[], out, |c, _| c.finish())
}

pub fn decrypt_init(h: CK_SESSION_HANDLE, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    if ops.decrypt.is_some() {
        return Err(Ckr::OPERATION_ACTIVE);
    }
    let reauth = s.token.always_authenticate(key).unwrap_or(false);
    start(
        &mut ops.decrypt,
        s.token.cipher(m, key, Usage::Decrypt),
        reauth,
    )
}

pub fn decrypt(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    produce(&mut ops.decrypt, Step::Single, data, out, whole)
}

pub fn decrypt_update(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    produce(&mut ops.decrypt, Step::Update, data, out, |c, d| {
        c.update(d)
    })
}

pub fn decrypt_final(h: CK_SESSION_HANDLE, out: &mut Output) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    produce(&mut ops.decrypt, Step::Final, &[], out, |c, _| c.finish())
}

// Message-based encryption and decryption (PKCS#11 3.0, CKM_AES_GCM).

/// The session's message-based process of one direction, given to `f`.
fn with_message<R>(
    h: CK_SESSION_HANDLE,
    encrypt: bool,
    f: impl FnOnce(&mut MessageOp) -> Result<R>,
) -> Result<R> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    let slot = if encrypt {
        &mut ops.message_encrypt
    } else {
        &mut ops.message_decrypt
    };
    f(slot.as_mut().ok_or(Ckr::OPERATION_NOT_INITIALIZED)?)
}

/// C_MessageEncryptInit / C_MessageDecryptInit; no mechanism (NULL) ends
/// the process, and any message in progress.
pub fn message_init(
    h: CK_SESSION_HANDLE,
    encrypt: bool,
    m: Option<&Mechanism>,
    key: CK_OBJECT_HANDLE,
) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    let slot = if encrypt {
        &mut ops.message_encrypt
    } else {
        &mut ops.message_decrypt
    };
    let Some(m) = m else {
        *slot = None;
        return Ok(());
    };
    if slot.is_some() {
        return Err(Ckr::OPERATION_ACTIVE);
    }
    let usage = if encrypt {
        Usage::Encrypt
    } else {
        Usage::Decrypt
    };
    let op = s.token.message_cipher(m, key, usage).map(MessageOp::new);
    start_message(slot, op)
}

/// C_EncryptMessage / C_DecryptMessage.
pub fn message(
    h: CK_SESSION_HANDLE,
    encrypt: bool,
    p: &mut MessageParams,
    aad: &[u8],
    data: &[u8],
    out: &mut Output,
) -> Result<()> {
    with_message(h, encrypt, |op| op.single(p, aad, data, out))
}

/// C_EncryptMessageBegin / C_DecryptMessageBegin.
pub fn message_begin(
    h: CK_SESSION_HANDLE,
    encrypt: bool,
    p: &mut MessageParams,
    aad: &[u8],
) -> Result<()> {
    with_message(h, encrypt, |op| op.begin(p, aad))
}

/// C_EncryptMessageNext / C_DecryptMessageNext.
pub fn message_next(
    h: CK_SESSION_HANDLE,
    encrypt: bool,
    p: &mut MessageParams,
    data: &[u8],
    out: &mut Output,
    end: bool,
) -> Result<()> {
    with_message(h, encrypt, |op| op.next(p, data, out, end))
}

/// End the message in progress after a failed C_*MessageNext.
pub fn message_abort(h: CK_SESSION_HANDLE, encrypt: bool) -> Result<()> {
    with_message(h, encrypt, |op| {
        op.abort();
        Ok(())
    })
}

/// C_MessageEncryptFinal / C_MessageDecryptFinal: end the process.
pub fn message_final(h: CK_SESSION_HANDLE, encrypt: bool) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    let slot = if encrypt {
        &mut ops.message_encrypt
    } else {
        &mut ops.message_decrypt
    };
    slot.take().map(drop).ok_or(Ckr::OPERATION_NOT_INITIALIZED)
}

// Digests.

pub fn digest_init(h: CK_SESSION_HANDLE, m: &Mechanism) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    if ops.digest.is_some() {
        return Err(Ckr::OPERATION_ACTIVE);
    }
    start(&mut ops.digest, s.token.digest(m), false)?;
    ops.digest_mechanism = m.ty;
    Ok(())
}

pub fn digest(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    produce(&mut ops.digest, Step::Single, data, out, |d, data| {
        d.update(data);
        Ok(bytes(d.finish()))
    })
}

pub fn digest_update(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    feed(&mut ops.digest, |d| {
        d.update(data);
        Ok(())
    })
}

pub fn digest_key(h: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    if ops.digest.is_none() {
        return Err(Ckr::OPERATION_NOT_INITIALIZED);
    }
    let value = s.token.digestible_value(key, ops.digest_mechanism);
    feed(&mut ops.digest, |d| {
        d.update(&value?);
        Ok(())
    })
}

pub fn digest_final(h: CK_SESSION_HANDLE, out: &mut Output) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    produce(&mut ops.digest, Step::Final, &[], out, |d, _| {
        Ok(bytes(d.finish()))
    })
}

// Signatures and MACs.

pub fn sign_init(h: CK_SESSION_HANDLE, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    if ops.sign.is_some() {
        return Err(Ckr::OPERATION_ACTIVE);
    }
    let reauth = s.token.always_authenticate(key).unwrap_or(false);
    start(&mut ops.sign, s.token.signer(m, key), reauth)
}

pub fn sign(h: CK_SESSION_HANDLE, data: &[u8], out: &mut Output) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    produce(&mut ops.sign, Step::Single, data, out, |sg, data| {
        sg.update(data)?;
        sg.finish().map(bytes)
    })
}

pub fn sign_update(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    feed(&mut ops.sign, |sg| {
        if sg.single_part() {
            return Err(Ckr::OPERATION_NOT_INITIALIZED);
        }
        sg.update(data)
    })
}

pub fn sign_final(h: CK_SESSION_HANDLE, out: &mut Output) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    produce(&mut ops.sign, Step::Final, &[], out, |sg, _| {
        sg.finish().map(bytes)
    })
}

pub fn verify_init(h: CK_SESSION_HANDLE, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    if ops.verify.is_some() {
        return Err(Ckr::OPERATION_ACTIVE);
    }
    start(&mut ops.verify, s.token.verifier(m, key), false)
}

pub fn verify(h: CK_SESSION_HANDLE, data: &[u8], signature: &[u8]) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    finish(&mut ops.verify, |v| {
        v.update(data)?;
        v.finish(signature)
    })
}

pub fn verify_update(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    feed(&mut ops.verify, |v| {
        if v.single_part() {
            return Err(Ckr::OPERATION_NOT_INITIALIZED);
        }
        v.update(data)
    })
}

pub fn verify_final(h: CK_SESSION_HANDLE, signature: &[u8]) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    finish(&mut ops.verify, |v| v.finish(signature))
}

/// PKCS#11 3.2: the signature is given at init.
pub fn verify_signature_init(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    key: CK_OBJECT_HANDLE,
    signature: &[u8],
) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    if ops.verify_signature.is_some() {
        return Err(Ckr::OPERATION_ACTIVE);
    }
    let check = s.token.verifier(m, key).map(|verifier| SignatureCheck {
        verifier,
        signature: signature.to_vec(),
    });
    start(&mut ops.verify_signature, check, false)
}

pub fn verify_signature(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    finish(&mut ops.verify_signature, |c| {
        c.verifier.update(data)?;
        c.verifier.finish(&c.signature)
    })
}

pub fn verify_signature_update(h: CK_SESSION_HANDLE, data: &[u8]) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    feed(&mut ops.verify_signature, |c| {
        if c.verifier.single_part() {
            return Err(Ckr::OPERATION_NOT_INITIALIZED);
        }
        c.verifier.update(data)
    })
}

pub fn verify_signature_final(h: CK_SESSION_HANDLE) -> Result<()> {
    let s = session(h)?;
    let mut ops = s.ops()?;
    finish(&mut ops.verify_signature, |c| {
        c.verifier.finish(&c.signature)
    })
}

// Keys.

pub fn generate_key(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    template: &Attributes,
) -> Result<CK_OBJECT_HANDLE> {
    let s = session(h)?;
    s.token.generate_key(s.access(), m, template)
}

/// Returns (public, private).
pub fn generate_key_pair(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    public: &Attributes,
    private: &Attributes,
) -> Result<(CK_OBJECT_HANDLE, CK_OBJECT_HANDLE)> {
    let s = session(h)?;
    s.token.generate_key_pair(s.access(), m, public, private)
}

/// C_EncapsulateKey (3.2 argument order). A length query or a short buffer
/// reports the ciphertext length and creates no key.
pub fn encapsulate_key(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    public: CK_OBJECT_HANDLE,
    template: &Attributes,
    ciphertext: &mut Output,
) -> Result<Option<CK_OBJECT_HANDLE>> {
    let s = session(h)?;
    if !ciphertext.is_query() {
        // The token checks the room with the key it has looked up, so the
        // usual call, with a buffer, looks the key up once.
        match s
            .token
            .encapsulate(s.access(), m, public, template, ciphertext.room())
        {
            Ok((ct, key)) => {
                ciphertext.put(&ct)?;
                return Ok(Some(key));
            }
            Err(Ckr::BUFFER_TOO_SMALL) => {}
            Err(e) => return Err(e),
        }
    }
    ciphertext.len = s.token.ciphertext_len(m, public)?;
    if ciphertext.is_query() {
        Ok(None)
    } else {
        Err(Ckr::BUFFER_TOO_SMALL)
    }
}

/// C_DecapsulateKey (3.2 argument order).
pub fn decapsulate_key(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    private: CK_OBJECT_HANDLE,
    template: &Attributes,
    ciphertext: &[u8],
) -> Result<CK_OBJECT_HANDLE> {
    let s = session(h)?;
    s.token
        .decapsulate(s.access(), m, private, template, ciphertext)
}

pub fn wrap_key(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    wrapping_key: CK_OBJECT_HANDLE,
    key: CK_OBJECT_HANDLE,
    out: &mut Output,
) -> Result<()> {
    let wrapped = session(h)?.token.wrap_key(m, wrapping_key, key)?;
    out.put(&wrapped).map(drop)
}

pub fn unwrap_key(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    unwrapping_key: CK_OBJECT_HANDLE,
    wrapped: &[u8],
    template: &Attributes,
) -> Result<CK_OBJECT_HANDLE> {
    let s = session(h)?;
    s.token
        .unwrap_key(s.access(), m, unwrapping_key, wrapped, template)
}

/// C_DeriveKey: the new key, then the additional keys the mechanism
/// parameter asks for (SP 800-108), in its order.
pub fn derive_key(
    h: CK_SESSION_HANDLE,
    m: &Mechanism,
    base: CK_OBJECT_HANDLE,
    template: &Attributes,
) -> Result<(CK_OBJECT_HANDLE, Vec<CK_OBJECT_HANDLE>)> {
    let s = session(h)?;
    s.token.derive_key(s.access(), m, base, template)
}

// Random numbers.

/// C_SeedRandom mixes the caller's bytes into the DRBG; they never replace
/// the operating system's entropy.
pub fn seed_random(h: CK_SESSION_HANDLE, seed: &[u8]) -> Result<()> {
    session(h)?.token.seed_random(seed);
    Ok(())
}

pub fn generate_random(h: CK_SESSION_HANDLE, out: &mut [u8]) -> Result<()> {
    session(h)?.token.generate_random(out);
    Ok(())
}

/// PKCS#11 3.2 session validation flags. The module makes no validated-mode
/// claims, so no operation is ever flagged as validated.
pub fn get_session_validation_flags(
    h: CK_SESSION_HANDLE,
    ty: CK_SESSION_VALIDATION_FLAGS_TYPE,
) -> Result<CK_FLAGS> {
    session(h)?;
    if ty != CKS_LAST_VALIDATION_OK {
        return Err(Ckr::ARGUMENTS_BAD);
    }
    Ok(0)
}
