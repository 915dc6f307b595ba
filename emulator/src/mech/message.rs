//! The PKCS#11 3.0 message-based ciphers (C_MessageEncrypt*,
//! C_MessageDecrypt*): one key for any number of messages, each bringing its
//! own parameters. The key stays behind [`MessageCipher`]; the caller runs
//! the per-session state machine (which message is in progress, its parts).

use crate::attr::Value;
use crate::error::Result;
use cryptoki_sys::{CK_GENERATOR_FUNCTION, CK_ULONG};

/// One message's CK_GCM_MESSAGE_PARAMS, copied out of the caller's memory.
/// After an encryption the caller copies `iv` (which the cipher may have
/// generated) and `tag` back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageParams {
    pub iv: Vec<u8>,
    /// How many leading bits of `iv` the generator keeps.
    pub fixed_bits: CK_ULONG,
    pub generator: CK_GENERATOR_FUNCTION,
    /// As long as the tag (`tag_bits` / 8 bytes): the tag an encryption
    /// writes, or the one a decryption checks.
    pub tag: Vec<u8>,
    pub tag_bits: CK_ULONG,
}

/// A message-based encryption or decryption process with one key, from
/// C_Message*Init to C_Message*Final. The direction is fixed when it is made.
pub trait MessageCipher: Send {
    /// Check one message's parameters (IV length, tag length), doing no work
    /// and generating no IV: for a length query, which must change nothing.
    fn check(&self, p: &MessageParams) -> Result<()>;

    /// Begin one message: check its parameters and, for an encryption,
    /// generate its IV into `p.iv` as `p.generator` says. A generator that
    /// would repeat an IV of this process is CKR_MECHANISM_PARAM_INVALID.
    fn start_message(&mut self, p: &mut MessageParams) -> Result<()>;

    /// Encrypt or decrypt one whole message begun by
    /// [`start_message`](Self::start_message) with these parameters. An
    /// encryption writes its tag to `p.tag`; a decryption checks `p.tag` and
    /// gives no plaintext when it is wrong (CKR_ENCRYPTED_DATA_INVALID).
    fn finish_message(&self, p: &mut MessageParams, aad: &[u8], data: &[u8]) -> Result<Value>;
}
