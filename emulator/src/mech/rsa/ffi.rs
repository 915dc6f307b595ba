//! The aws-lc calls behind every RSA mechanism, through `aws-lc-sys`, the
//! library aws-lc-rs itself links. aws-lc-rs's safe API signs only what it
//! hashed itself (or a digest with PSS salt = hash length), offers no raw
//! RSA, no signature over a caller's DigestInfo, no SHA-224 and no OAEP with
//! an MGF1 hash other than the label hash, and generates only four fixed
//! sizes with e = 65537; so all RSA work goes through this one small key
//! type instead of being split between two APIs.
//!
//! Rules kept by every function here: lengths are checked before aws-lc is
//! called, output buffers have RSA_size bytes, secret outputs land in
//! zeroizing buffers, and an aws-lc failure becomes `None` after aws-lc's
//! thread-local error queue is cleared. Callers choose the CKR.

use crate::attr::Value;
use crate::mech::aws_lc::{clear_errors, failed, Bn};
use aws_lc_sys as sys;
use std::os::raw::c_int;
use std::ptr::{self, NonNull};
use zeroize::Zeroizing;

/// The hash functions RSA mechanisms use, for PSS, MGF1 and OAEP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Md {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Md {
    fn evp(self) -> *const sys::EVP_MD {
        // SAFETY: these return pointers to aws-lc's static method tables.
        unsafe {
            match self {
                Md::Sha1 => sys::EVP_sha1(),
                Md::Sha224 => sys::EVP_sha224(),
                Md::Sha256 => sys::EVP_sha256(),
                Md::Sha384 => sys::EVP_sha384(),
                Md::Sha512 => sys::EVP_sha512(),
            }
        }
    }
}

/// RSA_PKCS1_PADDING (RSASSA-/RSAES-PKCS1-v1_5) or RSA_NO_PADDING (raw).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Padding {
    Pkcs1,
    None,
}

impl Padding {
    fn c(self) -> c_int {
        match self {
            Padding::Pkcs1 => sys::RSA_PKCS1_PADDING as c_int,
            Padding::None => sys::RSA_NO_PADDING as c_int,
        }
    }
}

/// The big-endian bytes of a BIGNUM aws-lc owns (NULL: `None`).
fn bn_bytes(bn: *const sys::BIGNUM) -> Option<Value> {
    if bn.is_null() {
        return None;
    }
    // SAFETY: `bn` is a live BIGNUM of the RSA object borrowed by the caller.
    let len = unsafe { sys::BN_num_bytes(bn) } as usize;
    let mut out = Zeroizing::new(vec![0u8; len]);
    // SAFETY: `out` has exactly `len` writable bytes, enough for `bn`.
    let ok = unsafe { sys::BN_bn2bin_padded(out.as_mut_ptr(), len, bn) };
    (ok == 1).then_some(out).or_else(|| failed(None))
}

/// An RSA key in aws-lc, public or private.
pub(super) struct Rsa(NonNull<sys::RSA>);

// SAFETY: an RSA object has no thread affinity, and nothing mutates it
// after it is made: the `&self` methods call only functions aws-lc documents
// as non-mutating, for use by several threads at once (rsa.h: "Encryption /
// Decryption", "Signing / Verification", RSA_get0_*, RSA_up_ref).
unsafe impl Send for Rsa {}
// SAFETY: as above.
unsafe impl Sync for Rsa {}

impl Drop for Rsa {
    fn drop(&mut self) {
        // SAFETY: `Rsa` owns one reference and releases it once; RSA_free
        // wipes the private numbers.
        unsafe { sys::RSA_free(self.0.as_ptr()) }
    }
}

/// The order of the numbers of a private key everywhere in this module:
/// RFC 8017's RSAPrivateKey order.
pub(super) type Numbers<T> = [T; 8];

impl Rsa {
    fn own(rsa: *mut sys::RSA) -> Option<Rsa> {
        NonNull::new(rsa).map(Rsa).or_else(|| failed(None))
    }

    /// A public key (n, e). aws-lc refuses an even or negative n, n over
    /// 16384 bits, an even e, e = 1 or e over 33 bits.
    pub(super) fn public(n: &[u8], e: &[u8]) -> Option<Rsa> {
        let (n, e) = (Bn::from_bytes(n, false)?, Bn::from_bytes(e, false)?);
        // SAFETY: both BIGNUMs are live; aws-lc copies them.
        Rsa::own(unsafe { sys::RSA_new_public_key(n.as_ptr(), e.as_ptr()) })
    }

    /// A private key from n, e, d, p, q, d mod (p−1), d mod (q−1),
    /// q⁻¹ mod p. aws-lc runs RSA_check_key: n = p·q, d·e ≡ 1 modulo p−1
    /// and q−1, and the CRT values agree.
    pub(super) fn private(numbers: &Numbers<&[u8]>) -> Option<Rsa> {
        let mut bns = Vec::with_capacity(numbers.len());
        for bytes in numbers {
            bns.push(Bn::from_bytes(bytes, true)?);
        }
        let [n, e, d, p, q, dp, dq, qinv] = bns.as_slice() else {
            return None;
        };
        // SAFETY: all eight BIGNUMs are live; aws-lc copies them.
        Rsa::own(unsafe {
            sys::RSA_new_private_key(
                n.as_ptr(),
                e.as_ptr(),
                d.as_ptr(),
                p.as_ptr(),
                q.as_ptr(),
                dp.as_ptr(),
                dq.as_ptr(),
                qinv.as_ptr(),
            )
        })
    }

    /// A new key of `bits` bits (a multiple of 128, checked by the caller)
    /// and exponent `e`, from aws-lc's own DRBG.
    pub(super) fn generate(bits: usize, e: u64) -> Option<Rsa> {
        let bits = c_int::try_from(bits).ok()?;
        let e = Bn::from_u64(e)?;
        // SAFETY: RSA_new has no preconditions; the result is checked.
        let rsa = Rsa::own(unsafe { sys::RSA_new() })?;
        // SAFETY: `rsa` and `e` are live; a NULL callback is allowed.
        let ok =
            unsafe { sys::RSA_generate_key_ex(rsa.0.as_ptr(), bits, e.as_ptr(), ptr::null_mut()) };
        (ok == 1).then_some(rsa).or_else(|| failed(None))
    }

    /// The eight numbers of a private key, in [`Numbers`] order.
    pub(super) fn numbers(&self) -> Option<Numbers<Value>> {
        let mut all = [ptr::null(); 8];
        let [n, e, d, p, q, dp, dq, qinv] = &mut all;
        // SAFETY: `self` is live; each call writes borrowed pointers (or
        // NULL) into the given locations.
        unsafe {
            sys::RSA_get0_key(self.0.as_ptr(), n, e, d);
            sys::RSA_get0_factors(self.0.as_ptr(), p, q);
            sys::RSA_get0_crt_params(self.0.as_ptr(), dp, dq, qinv);
        }
        let mut out = Vec::with_capacity(all.len());
        for bn in all {
            out.push(bn_bytes(bn)?);
        }
        out.try_into().ok()
    }

    /// k: the length of the modulus in bytes.
    pub(super) fn size(&self) -> usize {
        // SAFETY: `self` is live.
        unsafe { sys::RSA_size(self.0.as_ptr()) as usize }
    }

    /// The length of the modulus in bits.
    pub(super) fn bits(&self) -> usize {
        // SAFETY: `self` is live.
        unsafe { sys::RSA_bits(self.0.as_ptr()) as usize }
    }

    /// Run one of aws-lc's "(rsa, &out_len, out, max_out, in, in_len,
    /// padding)" operations into a k-byte buffer.
    fn run(
        &self,
        input: &[u8],
        padding: Padding,
        f: unsafe extern "C" fn(
            *mut sys::RSA,
            *mut usize,
            *mut u8,
            usize,
            *const u8,
            usize,
            c_int,
        ) -> c_int,
    ) -> Option<Value> {
        let k = self.size();
        if input.len() > k {
            return None;
        }
        let mut out = Zeroizing::new(vec![0u8; k]);
        let mut out_len = 0usize;
        // SAFETY: `out` has `k` = RSA_size writable bytes, as max_out says;
        // `input` is a live slice of the given length.
        let ok = unsafe {
            f(
                self.0.as_ptr(),
                &mut out_len,
                out.as_mut_ptr(),
                k,
                input.as_ptr(),
                input.len(),
                padding.c(),
            )
        };
        if ok != 1 || out_len > k {
            return failed(None);
        }
        out.truncate(out_len);
        Some(out)
    }

    /// The private-key operation of a signature: PKCS#1 v1.5 over `input`
    /// (a DigestInfo, at most k − 11 bytes) or raw over k bytes < n.
    pub(super) fn sign_raw(&self, input: &[u8], padding: Padding) -> Option<Vec<u8>> {
        self.run(input, padding, sys::RSA_sign_raw)
            .map(|sig| sig.to_vec())
    }

    /// The public-key operation of a verification: what the signature
    /// carries (PKCS#1 v1.5: after checking the padding).
    pub(super) fn verify_raw(&self, signature: &[u8], padding: Padding) -> Option<Vec<u8>> {
        if signature.len() != self.size() {
            return None;
        }
        self.run(signature, padding, sys::RSA_verify_raw)
            .map(|out| out.to_vec())
    }

    /// RSAES-PKCS1-v1_5 (input ≤ k − 11) or raw (k bytes < n) encryption.
    pub(super) fn encrypt(&self, input: &[u8], padding: Padding) -> Option<Vec<u8>> {
        self.run(input, padding, sys::RSA_encrypt)
            .map(|ct| ct.to_vec())
    }

    /// RSAES-PKCS1-v1_5 or raw decryption of a k-byte ciphertext. aws-lc
    /// checks PKCS#1 padding in constant time; its only verdict is `None`.
    pub(super) fn decrypt(&self, ciphertext: &[u8], padding: Padding) -> Option<Value> {
        if ciphertext.len() != self.size() {
            return None;
        }
        self.run(ciphertext, padding, sys::RSA_decrypt)
    }

    /// RSASSA-PSS signature over a digest made with `md`, MGF1 with `mgf`.
    pub(super) fn sign_pss(&self, digest: &[u8], md: Md, mgf: Md, salt: usize) -> Option<Vec<u8>> {
        let salt = c_int::try_from(salt).ok()?;
        let k = self.size();
        let mut out = vec![0u8; k];
        let mut out_len = 0usize;
        // SAFETY: `out` has k = RSA_size writable bytes, as max_out says;
        // `digest` is a live slice; the EVP_MDs are static.
        let ok = unsafe {
            sys::RSA_sign_pss_mgf1(
                self.0.as_ptr(),
                &mut out_len,
                out.as_mut_ptr(),
                k,
                digest.as_ptr(),
                digest.len(),
                md.evp(),
                mgf.evp(),
                salt,
            )
        };
        if ok != 1 || out_len != k {
            return failed(None);
        }
        Some(out)
    }

    /// Whether `signature` is an RSASSA-PSS signature of `digest` with
    /// exactly `salt` bytes of salt.
    pub(super) fn verify_pss(
        &self,
        digest: &[u8],
        md: Md,
        mgf: Md,
        salt: usize,
        signature: &[u8],
    ) -> bool {
        let Ok(salt) = c_int::try_from(salt) else {
            return false;
        };
        // SAFETY: both slices are live for the given lengths; the EVP_MDs
        // are static.
        let ok = unsafe {
            sys::RSA_verify_pss_mgf1(
                self.0.as_ptr(),
                digest.as_ptr(),
                digest.len(),
                md.evp(),
                mgf.evp(),
                salt,
                signature.as_ptr(),
                signature.len(),
            )
        };
        if ok != 1 {
            clear_errors();
        }
        ok == 1
    }

    /// RSAES-OAEP with label hash `md`, MGF1 with `mgf` and `label`:
    /// encryption (`encrypt`) or decryption, which aws-lc checks in
    /// constant time. Only the EVP_PKEY interface takes all three.
    pub(super) fn oaep(
        &self,
        encrypt: bool,
        input: &[u8],
        md: Md,
        mgf: Md,
        label: &[u8],
    ) -> Option<Value> {
        let k = self.size();
        if input.len() > k || (!encrypt && input.len() != k) {
            return None;
        }
        let ctx = PkeyCtx::new(self)?;
        let c = ctx.0.as_ptr();
        // SAFETY: `c` is a live EVP_PKEY_CTX for an RSA key; the EVP_MDs are
        // static.
        let ready = unsafe {
            (if encrypt {
                sys::EVP_PKEY_encrypt_init(c)
            } else {
                sys::EVP_PKEY_decrypt_init(c)
            }) == 1
                && sys::EVP_PKEY_CTX_set_rsa_padding(c, sys::RSA_PKCS1_OAEP_PADDING as c_int) == 1
                && sys::EVP_PKEY_CTX_set_rsa_oaep_md(c, md.evp()) == 1
                && sys::EVP_PKEY_CTX_set_rsa_mgf1_md(c, mgf.evp()) == 1
        };
        if !ready || !ctx.set_label(label) {
            return failed(None);
        }
        let mut out = Zeroizing::new(vec![0u8; k]);
        let mut out_len = k;
        // SAFETY: `out` has `out_len` = k writable bytes (aws-lc's minimum
        // for both directions); `input` is a live slice.
        let ok = unsafe {
            if encrypt {
                sys::EVP_PKEY_encrypt(
                    c,
                    out.as_mut_ptr(),
                    &mut out_len,
                    input.as_ptr(),
                    input.len(),
                )
            } else {
                sys::EVP_PKEY_decrypt(
                    c,
                    out.as_mut_ptr(),
                    &mut out_len,
                    input.as_ptr(),
                    input.len(),
                )
            }
        };
        if ok != 1 || out_len > k {
            return failed(None);
        }
        out.truncate(out_len);
        Some(out)
    }
}

/// An EVP_PKEY_CTX over an EVP_PKEY holding a reference to an [`Rsa`].
struct PkeyCtx(NonNull<sys::EVP_PKEY_CTX>);

impl PkeyCtx {
    fn new(rsa: &Rsa) -> Option<PkeyCtx> {
        // SAFETY: EVP_PKEY_new has no preconditions; the result is checked.
        let pkey = NonNull::new(unsafe { sys::EVP_PKEY_new() }).or_else(|| failed(None))?;
        // SAFETY: both objects are live; set1 takes its own reference to the
        // RSA key, and the context its own reference to the EVP_PKEY, so
        // this function's reference is released whatever happens.
        let ctx = unsafe {
            let ctx = if sys::EVP_PKEY_set1_RSA(pkey.as_ptr(), rsa.0.as_ptr()) == 1 {
                sys::EVP_PKEY_CTX_new(pkey.as_ptr(), ptr::null_mut())
            } else {
                ptr::null_mut()
            };
            sys::EVP_PKEY_free(pkey.as_ptr());
            ctx
        };
        NonNull::new(ctx).map(PkeyCtx).or_else(|| failed(None))
    }

    /// Give aws-lc a copy of the OAEP label (it frees the copy).
    fn set_label(&self, label: &[u8]) -> bool {
        if label.is_empty() {
            return true;
        }
        // SAFETY: a fresh allocation of `label.len()` bytes, checked below.
        let copy = unsafe { sys::OPENSSL_malloc(label.len()) }.cast::<u8>();
        if copy.is_null() {
            return false;
        }
        // SAFETY: `copy` has `label.len()` writable bytes that do not overlap
        // `label`. On success the context owns `copy`; on failure it has not
        // taken it, so it is freed here.
        unsafe {
            ptr::copy_nonoverlapping(label.as_ptr(), copy, label.len());
            if sys::EVP_PKEY_CTX_set0_rsa_oaep_label(self.0.as_ptr(), copy, label.len()) == 1 {
                return true;
            }
            sys::OPENSSL_free(copy.cast());
        }
        false
    }
}

impl Drop for PkeyCtx {
    fn drop(&mut self) {
        // SAFETY: `PkeyCtx` owns the context and frees it once; it releases
        // its EVP_PKEY, which releases the RSA reference.
        unsafe { sys::EVP_PKEY_CTX_free(self.0.as_ptr()) }
    }
}
