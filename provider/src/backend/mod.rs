//! The tokens behind the slots. Every backend — the in-process emulator now;
//! the emulator daemon and a real HSM later — implements [`Token`], and the
//! session layer talks to nothing else.

mod emulator;

use cryptoki_sys::*;
use qrc_emulator::mech::{Cipher, Digest, Mechanism, MessageCipher, Signer, Verifier};
use qrc_emulator::store::Who;
use qrc_emulator::token::{Access, AttrRead, TokenStatus, Usage};
use qrc_emulator::{Attributes, Result, Value};

/// One token, as the session layer sees it. Handles are the token's own;
/// `Access` tells it which session calls and whether that session is R/W.
pub trait Token: Send + Sync {
    /// CKF_TOKEN_PRESENT: the token can be used (its store opened).
    fn present(&self) -> bool;
    /// Who is logged in, and the token's flags and counters.
    fn status(&self) -> Result<TokenStatus>;
    /// A stable 16-character serial number.
    fn serial(&self) -> [u8; 16];

    /// C_InitToken: a fresh token with this SO PIN and label.
    fn init_token(&self, so_pin: &[u8], label: &[u8; 32]) -> Result<()>;
    /// C_Login of the SO or the user.
    fn login(&self, who: Who, pin: &[u8]) -> Result<()>;
    /// C_Login(CKU_CONTEXT_SPECIFIC): the user's PIN again.
    fn reauthenticate(&self, pin: &[u8]) -> Result<()>;
    /// C_Logout.
    fn logout(&self) -> Result<()>;
    /// C_InitPIN: set the user PIN (the SO is logged in).
    fn init_pin(&self, pin: &[u8]) -> Result<()>;
    /// C_SetPIN: change the PIN of whoever is logged in (the user if no one).
    fn set_pin(&self, old: &[u8], new: &[u8]) -> Result<()>;

    /// C_CreateObject.
    fn create_object(&self, access: Access, template: &Attributes) -> Result<CK_OBJECT_HANDLE>;
    /// C_CopyObject, with the template's changes.
    fn copy_object(
        &self,
        access: Access,
        obj: CK_OBJECT_HANDLE,
        changes: &Attributes,
    ) -> Result<CK_OBJECT_HANDLE>;
    /// C_DestroyObject.
    fn destroy_object(&self, access: Access, obj: CK_OBJECT_HANDLE) -> Result<()>;
    /// C_SetAttributeValue.
    fn set_attributes(
        &self,
        access: Access,
        obj: CK_OBJECT_HANDLE,
        changes: &Attributes,
    ) -> Result<()>;
    /// C_GetAttributeValue: one result per type, in order.
    fn get_attributes(
        &self,
        obj: CK_OBJECT_HANDLE,
        types: &[CK_ATTRIBUTE_TYPE],
    ) -> Result<Vec<AttrRead>>;
    /// C_GetObjectSize.
    fn object_size(&self, obj: CK_OBJECT_HANDLE) -> Result<usize>;
    /// C_FindObjectsInit: the handles of the visible objects matching the
    /// template.
    fn find(&self, template: &Attributes) -> Result<Vec<CK_OBJECT_HANDLE>>;
    /// Destroy the session objects of a closing session.
    fn close_session(&self, session: CK_SESSION_HANDLE) -> Result<()>;

    /// C_GetMechanismList.
    fn mechanisms(&self) -> Vec<CK_MECHANISM_TYPE>;
    /// C_GetMechanismInfo.
    fn mechanism_info(&self, ty: CK_MECHANISM_TYPE) -> Result<CK_MECHANISM_INFO>;
    /// C_EncryptInit / C_DecryptInit.
    fn cipher(&self, m: &Mechanism, key: CK_OBJECT_HANDLE, usage: Usage)
        -> Result<Box<dyn Cipher>>;
    /// C_MessageEncryptInit / C_MessageDecryptInit: a process that holds
    /// the key on the token's side and takes one call per message.
    fn message_cipher(
        &self,
        m: &Mechanism,
        key: CK_OBJECT_HANDLE,
        usage: Usage,
    ) -> Result<Box<dyn MessageCipher>>;
    /// C_SignInit.
    fn signer(&self, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<Box<dyn Signer>>;
    /// C_VerifyInit, C_VerifySignatureInit.
    fn verifier(&self, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<Box<dyn Verifier>>;
    /// C_DigestInit.
    fn digest(&self, m: &Mechanism) -> Result<Box<dyn Digest>>;
    /// C_DigestKey: the key's value, if it may be digested under this
    /// mechanism.
    fn digestible_value(
        &self,
        key: CK_OBJECT_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
    ) -> Result<Value>;
    /// Whether using the key needs CKU_CONTEXT_SPECIFIC login first.
    fn always_authenticate(&self, key: CK_OBJECT_HANDLE) -> Result<bool>;
    /// C_GenerateKey.
    fn generate_key(
        &self,
        access: Access,
        m: &Mechanism,
        template: &Attributes,
    ) -> Result<CK_OBJECT_HANDLE>;
    /// Returns (public, private).
    fn generate_key_pair(
        &self,
        access: Access,
        m: &Mechanism,
        public: &Attributes,
        private: &Attributes,
    ) -> Result<(CK_OBJECT_HANDLE, CK_OBJECT_HANDLE)>;
    /// The ciphertext length of C_EncapsulateKey with this public key.
    fn ciphertext_len(&self, m: &Mechanism, public: CK_OBJECT_HANDLE) -> Result<usize>;
    /// Returns the ciphertext and the new secret key; CKR_BUFFER_TOO_SMALL,
    /// and no key, if the ciphertext is longer than `room` bytes.
    fn encapsulate(
        &self,
        access: Access,
        m: &Mechanism,
        public: CK_OBJECT_HANDLE,
        template: &Attributes,
        room: usize,
    ) -> Result<(Vec<u8>, CK_OBJECT_HANDLE)>;
    /// C_DecapsulateKey: the new secret key.
    fn decapsulate(
        &self,
        access: Access,
        m: &Mechanism,
        private: CK_OBJECT_HANDLE,
        template: &Attributes,
        ciphertext: &[u8],
    ) -> Result<CK_OBJECT_HANDLE>;
    /// C_DeriveKey: the new key and any additional keys the mechanism makes.
    fn derive_key(
        &self,
        access: Access,
        m: &Mechanism,
        base: CK_OBJECT_HANDLE,
        template: &Attributes,
    ) -> Result<(CK_OBJECT_HANDLE, Vec<CK_OBJECT_HANDLE>)>;
    /// C_WrapKey: `key` encrypted under `wrapping`.
    fn wrap_key(
        &self,
        m: &Mechanism,
        wrapping: CK_OBJECT_HANDLE,
        key: CK_OBJECT_HANDLE,
    ) -> Result<Vec<u8>>;
    /// C_UnwrapKey: the new key.
    fn unwrap_key(
        &self,
        access: Access,
        m: &Mechanism,
        unwrapping: CK_OBJECT_HANDLE,
        wrapped: &[u8],
        template: &Attributes,
    ) -> Result<CK_OBJECT_HANDLE>;
    /// C_GenerateRandom.
    fn generate_random(&self, out: &mut [u8]) -> Result<()>;
    /// C_SeedRandom: mixed into the generator, never replacing its entropy.
    fn seed_random(&self, seed: &[u8]) -> Result<()>;
}

pub use emulator::open_emulator_token;
