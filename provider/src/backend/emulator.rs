//! The in-process emulator token.

use super::Token;
use cryptoki_sys::*;
use qrc_emulator::config::{Config, TokenConfig};
use qrc_emulator::mech::{
    registry, rng, Cipher, Digest, Mechanism, MessageCipher, Signer, Verifier,
};
use qrc_emulator::store::Who;
use qrc_emulator::token::{Access, AttrRead, TokenStatus, Usage};
use qrc_emulator::{Attributes, Result, SoftToken, Value};

/// Open the emulator token configured for one slot.
pub fn open_emulator_token(config: &Config, token: &TokenConfig) -> Box<dyn Token> {
    Box::new(SoftToken::open(token, &config.store, config.pin))
}

impl Token for SoftToken {
    fn present(&self) -> bool {
        SoftToken::present(self)
    }
    fn status(&self) -> Result<TokenStatus> {
        SoftToken::status(self)
    }
    fn serial(&self) -> [u8; 16] {
        SoftToken::serial(self)
    }
    fn init_token(&self, so_pin: &[u8], label: &[u8; 32]) -> Result<()> {
        SoftToken::init_token(self, so_pin, label)
    }
    fn login(&self, who: Who, pin: &[u8]) -> Result<()> {
        SoftToken::login(self, who, pin)
    }
    fn reauthenticate(&self, pin: &[u8]) -> Result<()> {
        SoftToken::reauthenticate(self, pin)
    }
    fn logout(&self) -> Result<()> {
        SoftToken::logout(self)
    }
    fn init_pin(&self, pin: &[u8]) -> Result<()> {
        SoftToken::init_pin(self, pin)
    }
    fn set_pin(&self, old: &[u8], new: &[u8]) -> Result<()> {
        SoftToken::set_pin(self, old, new)
    }
    fn create_object(&self, access: Access, template: &Attributes) -> Result<CK_OBJECT_HANDLE> {
        SoftToken::create_object(self, access, template)
    }
    fn copy_object(
        &self,
        access: Access,
        obj: CK_OBJECT_HANDLE,
        changes: &Attributes,
    ) -> Result<CK_OBJECT_HANDLE> {
        SoftToken::copy_object(self, access, obj, changes)
    }
    fn destroy_object(&self, access: Access, obj: CK_OBJECT_HANDLE) -> Result<()> {
        SoftToken::destroy_object(self, access, obj)
    }
    fn set_attributes(
        &self,
        access: Access,
        obj: CK_OBJECT_HANDLE,
        changes: &Attributes,
    ) -> Result<()> {
        SoftToken::set_attributes(self, access, obj, changes)
    }
    fn get_attributes(
        &self,
        obj: CK_OBJECT_HANDLE,
        types: &[CK_ATTRIBUTE_TYPE],
    ) -> Result<Vec<AttrRead>> {
        SoftToken::get_attributes(self, obj, types)
    }
    fn object_size(&self, obj: CK_OBJECT_HANDLE) -> Result<usize> {
        SoftToken::object_size(self, obj)
    }
    fn find(&self, template: &Attributes) -> Result<Vec<CK_OBJECT_HANDLE>> {
        SoftToken::find(self, template)
    }
    fn close_session(&self, session: CK_SESSION_HANDLE) -> Result<()> {
        SoftToken::close_session(self, session)
    }
    fn mechanisms(&self) -> Vec<CK_MECHANISM_TYPE> {
        registry().types()
    }
    fn mechanism_info(&self, ty: CK_MECHANISM_TYPE) -> Result<CK_MECHANISM_INFO> {
        Ok(registry().get(ty)?.info())
    }
    fn cipher(
        &self,
        m: &Mechanism,
        key: CK_OBJECT_HANDLE,
        usage: Usage,
    ) -> Result<Box<dyn Cipher>> {
        SoftToken::cipher(self, m, key, usage)
    }
    fn message_cipher(
        &self,
        m: &Mechanism,
        key: CK_OBJECT_HANDLE,
        usage: Usage,
    ) -> Result<Box<dyn MessageCipher>> {
        SoftToken::message_cipher(self, m, key, usage)
    }
    fn signer(&self, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<Box<dyn Signer>> {
        SoftToken::signer(self, m, key)
    }
    fn verifier(&self, m: &Mechanism, key: CK_OBJECT_HANDLE) -> Result<Box<dyn Verifier>> {
        SoftToken::verifier(self, m, key)
    }
    fn digest(&self, m: &Mechanism) -> Result<Box<dyn Digest>> {
        SoftToken::digest(self, m)
    }
    fn digestible_value(
        &self,
        key: CK_OBJECT_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
    ) -> Result<Value> {
        SoftToken::digestible_value(self, key, mechanism)
    }
    fn always_authenticate(&self, key: CK_OBJECT_HANDLE) -> Result<bool> {
        SoftToken::always_authenticate(self, key)
    }
    fn generate_key(
        &self,
        access: Access,
        m: &Mechanism,
        template: &Attributes,
    ) -> Result<CK_OBJECT_HANDLE> {
        SoftToken::generate_key(self, access, m, template)
    }
    fn generate_key_pair(
        &self,
        access: Access,
        m: &Mechanism,
        public: &Attributes,
        private: &Attributes,
    ) -> Result<(CK_OBJECT_HANDLE, CK_OBJECT_HANDLE)> {
        SoftToken::generate_key_pair(self, access, m, public, private)
    }
    fn ciphertext_len(&self, m: &Mechanism, public: CK_OBJECT_HANDLE) -> Result<usize> {
        SoftToken::ciphertext_len(self, m, public)
    }
    fn encapsulate(
        &self,
        access: Access,
        m: &Mechanism,
        public: CK_OBJECT_HANDLE,
        template: &Attributes,
        room: usize,
    ) -> Result<(Vec<u8>, CK_OBJECT_HANDLE)> {
        SoftToken::encapsulate(self, access, m, public, template, room)
    }
    fn decapsulate(
        &self,
        access: Access,
        m: &Mechanism,
        private: CK_OBJECT_HANDLE,
        template: &Attributes,
        ciphertext: &[u8],
    ) -> Result<CK_OBJECT_HANDLE> {
        SoftToken::decapsulate(self, access, m, private, template, ciphertext)
    }
    fn derive_key(
        &self,
        access: Access,
        m: &Mechanism,
        base: CK_OBJECT_HANDLE,
        template: &Attributes,
    ) -> Result<(CK_OBJECT_HANDLE, Vec<CK_OBJECT_HANDLE>)> {
        SoftToken::derive_key(self, access, m, base, template)
    }
    fn wrap_key(
        &self,
        m: &Mechanism,
        wrapping: CK_OBJECT_HANDLE,
        key: CK_OBJECT_HANDLE,
    ) -> Result<Vec<u8>> {
        SoftToken::wrap_key(self, m, wrapping, key)
    }
    fn unwrap_key(
        &self,
        access: Access,
        m: &Mechanism,
        unwrapping: CK_OBJECT_HANDLE,
        wrapped: &[u8],
        template: &Attributes,
    ) -> Result<CK_OBJECT_HANDLE> {
        SoftToken::unwrap_key(self, access, m, unwrapping, wrapped, template)
    }
    fn generate_random(&self, out: &mut [u8]) -> Result<()> {
        rng::fill(out)
    }
    fn seed_random(&self, seed: &[u8]) -> Result<()> {
        rng::seed(seed)
    }
}
