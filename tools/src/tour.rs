//! The demo's tour: one PKCS#11 feature per step, each checked, through the
//! real module. Any failed check ends the tour with an error after removing
//! what the tour created.

use crate::module::{ckr_of, login, Ck, Module};
use anyhow::{bail, Context, Result};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{
    Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::Ulong;
use cryptoki_sys::{CKM_AES_KEY_WRAP_KWP, CKM_SHA3_256};
use std::time::Instant;

/// Label of the token key the tour generates (and destroys at the end).
pub const DEMO_KEY_LABEL: &str = "qrc-demo-aes";
const MESSAGE: &[u8] = b"post-quantum keys behind a standard API";
const AAD: &[u8] = b"qrc-tool demo";
/// FIPS 180-2 and FIPS 202 known answers for "abc".
const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const ABC_SHA3_256: &str = "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532";

struct Tour<'a> {
    m: &'a Module,
    slot: Slot,
    s: Session,
    /// Objects to destroy if the tour stops early.
    created: Vec<ObjectHandle>,
    step: usize,
}

/// Runs the tour on the token in `slot`, logging in with `pin`.
pub fn run(m: &Module, slot: Slot, pin: &str) -> Result<()> {
    let s = m.ctx.open_rw_session(slot).ck()?;
    let mut t = Tour {
        m,
        slot,
        s,
        created: Vec::new(),
        step: 0,
    };
    let result = t.all(pin);
    if result.is_err() {
        t.clean_up();
    }
    result
}

/// Hex of `b`, cut after 16 bytes.
fn short(b: &[u8]) -> String {
    if b.len() <= 16 {
        hex::encode(b)
    } else {
        format!("{}… ({} bytes)", hex::encode(&b[..16]), b.len())
    }
}

impl Tour<'_> {
    fn all(&mut self, pin: &str) -> Result<()> {
        self.info()?;
        self.login(pin)?;
        let key = self.token_key()?;
        self.gcm(key)?;
        self.hmac()?;
        self.digests()?;
        self.random()?;
        self.find(key)?;
        self.sensitive(key)?;
        self.wrap(key)?;
        self.destroy()?;
        self.begin("log out");
        self.s.logout().ck()?;
        say!("    logged out");
        Ok(())
    }

    fn begin(&mut self, title: &str) {
        self.step += 1;
        say!("\n[{}] {title}", self.step);
    }

    /// Best effort after a failure: the error being reported matters more.
    fn clean_up(&mut self) {
        for obj in self.created.drain(..).rev() {
            let _ = self.s.destroy_object(obj);
        }
        let _ = self.s.logout();
    }

    fn info(&mut self) -> Result<()> {
        self.begin("module and token");
        let info = self.m.ctx.get_library_info().ck()?;
        let token = self.m.token_info(self.slot)?;
        let mechs = self.m.raw.mechanism_list(self.slot)?;
        say!(
            "    {} {} (PKCS#11 {})",
            info.library_description(),
            info.library_version(),
            info.cryptoki_version()
        );
        say!(
            "    slot {}: token \"{}\", {} mechanisms",
            self.slot,
            token.label(),
            mechs.len()
        );
        if mechs.is_empty() {
            bail!("the token offers no mechanism");
        }
        Ok(())
    }

    fn login(&mut self, pin: &str) -> Result<()> {
        self.begin("log in as user");
        let t0 = Instant::now();
        login(&self.s, UserType::User, pin)?;
        say!(
            "    logged in ({:.0?}: Argon2id runs on a process's first use of a PIN, \
             later logins check an in-memory verifier)",
            t0.elapsed()
        );
        Ok(())
    }

    fn token_key(&mut self) -> Result<ObjectHandle> {
        self.begin("generate a token AES-256 key (CKM_AES_KEY_GEN)");
        let template = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Label(DEMO_KEY_LABEL.as_bytes().to_vec()),
            Attribute::ValueLen(Ulong::new(32)),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(true),
            Attribute::Unwrap(true),
        ];
        let t0 = Instant::now();
        let key = self.s.generate_key(&Mechanism::AesKeyGen, &template).ck()?;
        self.created.push(key);
        say!(
            "    key handle {} label \"{DEMO_KEY_LABEL}\" (stored encrypted, {:.0?})",
            key.handle(),
            t0.elapsed()
        );
        Ok(key)
    }

    fn gcm(&mut self, key: ObjectHandle) -> Result<()> {
        self.begin("AES-GCM encrypt and decrypt (CKM_AES_GCM, 96-bit IV, 128-bit tag)");
        let iv = self.s.generate_random_vec(12).ck()?;
        let mut iv_enc = iv.clone();
        let enc = Mechanism::AesGcm(GcmParams::new(&mut iv_enc, AAD, Ulong::new(128)).ck()?);
        let ct = self.s.encrypt(&enc, key, MESSAGE).ck()?;
        say!("    plaintext  \"{}\"", String::from_utf8_lossy(MESSAGE));
        say!("    ciphertext {}", short(&ct));
        if ct.len() != MESSAGE.len() + 16 {
            bail!(
                "ciphertext is {} bytes, expected {}",
                ct.len(),
                MESSAGE.len() + 16
            );
        }
        let mut iv_dec = iv.clone();
        let dec = Mechanism::AesGcm(GcmParams::new(&mut iv_dec, AAD, Ulong::new(128)).ck()?);
        let pt = self.s.decrypt(&dec, key, &ct).ck()?;
        if pt != MESSAGE {
            bail!("AES-GCM decryption returned something else than the plaintext");
        }
        say!("    decrypted back to the plaintext");
        let mut tampered = ct;
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        let mut iv_bad = iv;
        let bad = Mechanism::AesGcm(GcmParams::new(&mut iv_bad, AAD, Ulong::new(128)).ck()?);
        match self.s.decrypt(&bad, key, &tampered) {
            Ok(_) => bail!("a tampered AES-GCM ciphertext was accepted"),
            Err(e) => say!(
                "    a tampered ciphertext is refused: {}",
                ckr_of(&e).unwrap_or_else(|| e.to_string())
            ),
        }
        Ok(())
    }

    fn hmac(&mut self) -> Result<()> {
        self.begin(
            "HMAC-SHA256 with a generic secret (CKM_GENERIC_SECRET_KEY_GEN, CKM_SHA256_HMAC)",
        );
        let template = [
            Attribute::Token(false),
            Attribute::ValueLen(Ulong::new(32)),
            Attribute::Sign(true),
            Attribute::Verify(true),
        ];
        let key = self
            .s
            .generate_key(&Mechanism::GenericSecretKeyGen, &template)
            .ck()?;
        self.created.push(key);
        let mac = self.s.sign(&Mechanism::Sha256Hmac, key, MESSAGE).ck()?;
        say!("    MAC {}", short(&mac));
        if mac.len() != 32 {
            bail!("HMAC-SHA256 gave {} bytes, expected 32", mac.len());
        }
        self.s
            .verify(&Mechanism::Sha256Hmac, key, MESSAGE, &mac)
            .ck()?;
        say!("    the MAC verifies");
        match self
            .s
            .verify(&Mechanism::Sha256Hmac, key, b"another message", &mac)
        {
            Ok(()) => bail!("the MAC verified for another message"),
            Err(e) if ckr_of(&e).as_deref() == Some("CKR_SIGNATURE_INVALID") => {
                say!("    for another message: CKR_SIGNATURE_INVALID")
            }
            Err(e) => return Err(e).ck().context("verifying a wrong MAC"),
        }
        Ok(())
    }

    fn digests(&mut self) -> Result<()> {
        self.begin("digests of \"abc\" (CKM_SHA256, CKM_SHA3_256)");
        let sha2 = self.s.digest(&Mechanism::Sha256, b"abc").ck()?;
        let sha3 = self.m.raw.digest(&self.s, CKM_SHA3_256, b"abc")?;
        for (name, got, want) in [
            ("SHA-256 ", sha2, ABC_SHA256),
            ("SHA3-256", sha3, ABC_SHA3_256),
        ] {
            let got = hex::encode(got);
            if got != want {
                bail!("{name} of \"abc\" is {got}, the standard says {want}");
            }
            say!("    {name} {got}  (matches the standard's test vector)");
        }
        Ok(())
    }

    fn random(&mut self) -> Result<()> {
        self.begin("random bytes (C_GenerateRandom)");
        let r = self.s.generate_random_vec(32).ck()?;
        say!("    {}", hex::encode(&r));
        if r.len() != 32 || r.iter().all(|b| *b == 0) {
            bail!("C_GenerateRandom did not fill the buffer");
        }
        Ok(())
    }

    fn find(&mut self, key: ObjectHandle) -> Result<()> {
        self.begin("find the token key again by label (C_FindObjects)");
        let found = self.find_demo_keys()?;
        if !found.contains(&key) {
            bail!("searching for label \"{DEMO_KEY_LABEL}\" did not return the key");
        }
        let handles: Vec<String> = found.iter().map(|h| h.handle().to_string()).collect();
        say!("    found handle(s) {}", handles.join(", "));
        Ok(())
    }

    fn find_demo_keys(&self) -> Result<Vec<ObjectHandle>> {
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Label(DEMO_KEY_LABEL.as_bytes().to_vec()),
        ];
        self.s.find_objects(&template).ck()
    }

    fn sensitive(&mut self, key: ObjectHandle) -> Result<()> {
        self.begin("the key's value never leaves the token");
        let info = self
            .s
            .get_attribute_info(key, &[AttributeType::Value])
            .ck()?;
        match info.first() {
            Some(AttributeInfo::Sensitive) => {
                say!("    reading CKA_VALUE: CKR_ATTRIBUTE_SENSITIVE")
            }
            other => bail!(
                "reading CKA_VALUE of a sensitive key gave {other:?}, not CKR_ATTRIBUTE_SENSITIVE"
            ),
        }
        let flags = self.s.get_attributes(
            key,
            &[
                AttributeType::Sensitive,
                AttributeType::AlwaysSensitive,
                AttributeType::NeverExtractable,
                AttributeType::Local,
            ],
        );
        let shown: Vec<String> = flags.ck()?.iter().map(|a| format!("{a:?}")).collect();
        say!("    {}", shown.join(" "));
        Ok(())
    }

    fn wrap(&mut self, key: ObjectHandle) -> Result<()> {
        self.begin("wrap a session key under the token key and unwrap it (CKM_AES_KEY_WRAP_KWP)");
        let template = [
            Attribute::Token(false),
            Attribute::Sensitive(false),
            Attribute::Extractable(true),
            Attribute::ValueLen(Ulong::new(32)),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ];
        let session_key = self.s.generate_key(&Mechanism::AesKeyGen, &template).ck()?;
        self.created.push(session_key);
        let wrapped = self
            .m
            .raw
            .wrap_key(&self.s, CKM_AES_KEY_WRAP_KWP, key, session_key)?;
        say!("    wrapped    {}", short(&wrapped));
        let unwrap_template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
            Attribute::Sensitive(false),
            Attribute::Extractable(true),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ];
        let unwrapped = self.m.raw.unwrap_key(
            &self.s,
            CKM_AES_KEY_WRAP_KWP,
            key,
            &wrapped,
            &unwrap_template,
        )?;
        self.created.push(unwrapped);
        // Both keys are non-sensitive session keys made for this step; their
        // values are compared here and never printed.
        if self.value(session_key)? != self.value(unwrapped)? {
            bail!("the unwrapped key differs from the wrapped one");
        }
        say!(
            "    unwrapped to handle {}: same 32-byte key value",
            unwrapped.handle()
        );
        Ok(())
    }

    fn value(&self, key: ObjectHandle) -> Result<Vec<u8>> {
        let attrs = self.s.get_attributes(key, &[AttributeType::Value]).ck()?;
        match attrs.into_iter().next() {
            Some(Attribute::Value(v)) => Ok(v),
            _ => bail!("CKA_VALUE of key {} is not readable", key.handle()),
        }
    }

    fn destroy(&mut self) -> Result<()> {
        self.begin("destroy the demo's objects");
        let objects: Vec<ObjectHandle> = self.created.drain(..).rev().collect();
        for obj in &objects {
            self.s
                .destroy_object(*obj)
                .ck()
                .with_context(|| format!("destroying object {}", obj.handle()))?;
        }
        if self.find_demo_keys()?.iter().any(|h| objects.contains(h)) {
            bail!("the destroyed token key can still be found");
        }
        say!(
            "    {} objects destroyed; the token key is gone",
            objects.len()
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn short_cuts_long_values_and_says_how_long() {
        assert_eq!(short(&[0xab, 0xcd]), "abcd");
        assert_eq!(
            short(&[0u8; 20]),
            format!("{}… (20 bytes)", "00".repeat(16))
        );
    }

    #[test]
    fn known_answers_are_32_byte_hex() {
        for kat in [super::ABC_SHA256, super::ABC_SHA3_256] {
            assert_eq!(hex::decode(kat).map(|v| v.len()).ok(), Some(32));
        }
    }
}
