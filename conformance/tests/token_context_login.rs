//! CKA_ALWAYS_AUTHENTICATE and C_Login(CKU_CONTEXT_SPECIFIC), through the
//! module: a private key with the attribute needs the user PIN again for
//! every operation, given after its *Init and before its first output.
//! Without it the operation fails with CKR_USER_NOT_LOGGED_IN; a wrong PIN is
//! CKR_PIN_INCORRECT; a length query does not use up the authorisation; the
//! next operation asks again; a context login with nothing waiting for it is
//! CKR_OPERATION_NOT_INITIALIZED.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectHandle};
use cryptoki::session::Session;
use cryptoki_sys::*;
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::{call, expect_ok, expect_rv, functions, Fixture, USER_PIN};
use std::ptr;

/// CKA_EC_PARAMS of P-256 (the DER OID of prime256v1).
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const MESSAGE: &[u8] = b"signed only with the PIN given again";

/// The private half of every key pair here: a sensitive token key that
/// needs a context login for each operation.
fn always_authenticate(usage: Attribute) -> Vec<Attribute> {
    vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::AlwaysAuthenticate(true),
        usage,
    ]
}

/// (public, private) raw handles of a generated key pair.
fn key_pair(
    s: &Session,
    mechanism: &Mechanism,
    public: &[Attribute],
    private: &[Attribute],
) -> (CK_OBJECT_HANDLE, CK_OBJECT_HANDLE) {
    let (pk, sk): (ObjectHandle, ObjectHandle) = expect_ok(
        s.generate_key_pair(mechanism, public, private),
        "C_GenerateKeyPair",
    );
    (pk.handle(), sk.handle())
}

fn context_login(h: CK_SESSION_HANDLE, pin: &str) -> CK_RV {
    call!(C_Login(
        h,
        CKU_CONTEXT_SPECIFIC,
        pin.as_ptr() as *mut u8,
        pin.len() as CK_ULONG
    ))
}

/// C_Sign and C_Decrypt: (session, input, its length, output, its length).
type SinglePart = unsafe extern "C" fn(
    CK_SESSION_HANDLE,
    CK_BYTE_PTR,
    CK_ULONG,
    CK_BYTE_PTR,
    CK_ULONG_PTR,
) -> CK_RV;

/// One always-authenticate key's operation, as raw calls.
struct Operation<'a> {
    /// "C_Sign", "C_Decrypt": names the calls in failures.
    name: &'a str,
    h: CK_SESSION_HANDLE,
    init: &'a dyn Fn() -> CK_RV,
    call: Option<SinglePart>,
    input: &'a [u8],
}

impl Operation<'_> {
    fn init(&self) {
        expect_rv((self.init)(), CKR_OK, &format!("{}Init", self.name));
    }

    /// The single-part call into `out` (NULL: a length query).
    fn run(&self, out: *mut u8, len: *mut CK_ULONG) -> CK_RV {
        let call = self.call.expect("the function list names the call");
        let input = self.input.as_ptr() as *mut u8;
        // SAFETY: the input and output pointers are valid (or NULL for the
        // length query) for the lengths given.
        unsafe { call(self.h, input, self.input.len() as CK_ULONG, out, len) }
    }

    /// The call with a buffer large enough for any output here.
    fn run_into_buffer(&self) -> CK_RV {
        let mut buf = vec![0u8; 1024];
        let mut len = buf.len() as CK_ULONG;
        self.run(buf.as_mut_ptr(), &mut len)
    }
}

/// Runs every rule of the file on `op`; returns the output of the
/// authorised run, for the caller to check.
fn authorise_each_operation(op: &Operation) -> Vec<u8> {
    let (name, h) = (op.name, op.h);
    expect_rv(
        context_login(h, USER_PIN),
        CKR_OPERATION_NOT_INITIALIZED,
        "context login before any operation",
    );

    op.init();
    expect_rv(
        op.run_into_buffer(),
        CKR_USER_NOT_LOGGED_IN,
        &format!("{name} without a context login"),
    );
    expect_rv(
        context_login(h, USER_PIN),
        CKR_OPERATION_NOT_INITIALIZED,
        &format!("context login after {name} failed (the failure ended the operation)"),
    );

    op.init();
    expect_rv(
        context_login(h, "not-the-user-pin"),
        CKR_PIN_INCORRECT,
        "context login with a wrong PIN",
    );
    expect_rv(
        context_login(h, USER_PIN),
        CKR_OK,
        "context login with the user PIN",
    );
    let mut len: CK_ULONG = 0;
    expect_rv(
        op.run(ptr::null_mut(), &mut len),
        CKR_OK,
        &format!("{name} length query after the context login"),
    );
    let mut out = vec![0u8; len as usize];
    expect_rv(
        op.run(out.as_mut_ptr(), &mut len),
        CKR_OK,
        &format!("{name} after its length query (the query must not use up the login)"),
    );
    out.truncate(len as usize);
    expect_rv(
        context_login(h, USER_PIN),
        CKR_OPERATION_NOT_INITIALIZED,
        &format!("context login after {name} completed"),
    );

    op.init();
    expect_rv(
        op.run_into_buffer(),
        CKR_USER_NOT_LOGGED_IN,
        &format!("the next {name}: the previous context login does not carry over"),
    );
    out
}

#[test]
fn ecdsa_sign_needs_the_pin_for_each_signature() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let (public, private) = key_pair(
        &s,
        &Mechanism::EccKeyPairGen,
        &[
            Attribute::Token(true),
            Attribute::EcParams(P256_PARAMS.to_vec()),
            Attribute::Verify(true),
        ],
        &always_authenticate(Attribute::Sign(true)),
    );
    let init = || call!(C_SignInit(h, Mech::new(CKM_ECDSA_SHA256).ptr(), private));
    let signature = authorise_each_operation(&Operation {
        name: "C_Sign",
        h,
        init: &init,
        call: functions().C_Sign,
        input: MESSAGE,
    });
    assert_eq!(signature.len(), 64, "P-256 ECDSA signature is r || s");
    expect_rv(
        raw::verify(
            h,
            &mut Mech::new(CKM_ECDSA_SHA256),
            public,
            MESSAGE,
            &signature,
        ),
        CKR_OK,
        "C_Verify of the signature made after the context login",
    );
}

fn oaep_sha256() -> Mech {
    Mech::with_struct(
        CKM_RSA_PKCS_OAEP,
        CK_RSA_PKCS_OAEP_PARAMS {
            hashAlg: CKM_SHA256,
            mgf: CKG_MGF1_SHA256,
            source: CKZ_DATA_SPECIFIED,
            pSourceData: ptr::null_mut(),
            ulSourceDataLen: 0,
        },
    )
}

#[test]
fn rsa_oaep_decrypt_needs_the_pin_for_each_decryption() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let h = s.handle();
    let (public, private) = key_pair(
        &s,
        &Mechanism::RsaPkcsKeyPairGen,
        &[
            Attribute::Token(true),
            Attribute::ModulusBits(2048.into()),
            Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
            Attribute::Encrypt(true),
        ],
        &always_authenticate(Attribute::Decrypt(true)),
    );
    let ciphertext = qrc_conformance::must(
        raw::encrypt(h, &mut oaep_sha256(), public, MESSAGE),
        "C_Encrypt with the public key (no context login needed)",
    );
    let init = || call!(C_DecryptInit(h, oaep_sha256().ptr(), private));
    let plaintext = authorise_each_operation(&Operation {
        name: "C_Decrypt",
        h,
        init: &init,
        call: functions().C_Decrypt,
        input: &ciphertext,
    });
    assert_eq!(plaintext, MESSAGE, "C_Decrypt after the context login");
}
