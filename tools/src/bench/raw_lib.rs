//! The same algorithms called directly from the Rust libraries the module
//! is built on (libcrux-ml-kem, libcrux-ml-dsa, slh-dsa, falcon-rs,
//! aes-gcm, sha2; the versions and features of the workspace), so the
//! report can show what going through PKCS#11 costs. Each call draws its
//! randomness from the OS, as a library user must.

use super::module_ops::{random, Step};
use super::ops::{Alg, Kem, Kind, STREAM_LEN};
use crate::vendor::{CKP_FALCON_1024, CKP_FALCON_512};
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{anyhow, bail, Result};
use cryptoki_sys::*;
use falcon::falcon::{
    falcon_keygen_make, falcon_privkey_size, falcon_pubkey_size, falcon_sig_compressed_maxsize,
    falcon_sign_dyn, falcon_tmpsize_keygen, falcon_tmpsize_signdyn, falcon_tmpsize_verify,
    falcon_verify, shake256_init_prng_from_seed, FALCON_SIG_COMPRESSED,
};
use falcon::shake::InnerShake256Context;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use slh_dsa::{
    ParameterSet, Sha2_128f, Sha2_128s, Sha2_192f, Sha2_192s, Sha2_256f, Sha2_256s, Shake128f,
    Shake128s, Shake192f, Shake192s, Shake256f, Shake256s, SigningKey,
};
use std::time::{Duration, Instant};

/// `N` random bytes.
fn seed<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    OsRng.fill_bytes(&mut out);
    out
}

/// Times `f`, which fails with its library's error.
fn timed<T, E: std::fmt::Debug>(f: impl FnOnce() -> Result<T, E>) -> Result<Duration> {
    let start = Instant::now();
    f().map_err(|e| anyhow!("library call failed: {e:?}"))?;
    Ok(start.elapsed())
}

/// The library step of `kind`, or `None` when there is no library call to
/// compare with (the module has no such algorithm yet, or the operation is
/// about the token, not the algorithm).
pub fn prepare(kind: Kind) -> Option<Result<Step<'static>>> {
    match kind {
        Kind::KemKeyPair(kem) | Kind::Encaps(kem) | Kind::Decaps(kem) => Some(ml_kem(kind, kem)),
        Kind::KeyPair(Alg::MlDsa(set))
        | Kind::Sign(Alg::MlDsa(set))
        | Kind::Verify(Alg::MlDsa(set))
        | Kind::SignStream(Alg::MlDsa(set)) => Some(ml_dsa(kind, set)),
        Kind::KeyPair(Alg::SlhDsa(set))
        | Kind::Sign(Alg::SlhDsa(set))
        | Kind::Verify(Alg::SlhDsa(set)) => Some(slh_dsa_set(kind, set)),
        Kind::KeyPair(Alg::Falcon(set))
        | Kind::Sign(Alg::Falcon(set))
        | Kind::Verify(Alg::Falcon(set)) => Some(falcon(kind, set)),
        Kind::AesGcm(len) => Some(Ok(aes_gcm(len))),
        Kind::Sha256(len) => {
            let data = random(len);
            Some(Ok(Box::new(move || {
                timed(|| Ok::<_, ()>(Sha256::digest(&data)))
            })))
        }
        _ => None,
    }
}

macro_rules! ml_kem_steps {
    ($m:ident, $kind:expr) => {{
        use libcrux_ml_kem::$m;
        let pair = $m::generate_key_pair(seed());
        let step: Step<'static> = match $kind {
            Kind::KemKeyPair(_) => {
                Box::new(|| timed(|| Ok::<_, ()>($m::generate_key_pair(seed()))))
            }
            Kind::Encaps(_) => {
                Box::new(move || timed(|| Ok::<_, ()>($m::encapsulate(pair.public_key(), seed()))))
            }
            _ => {
                let (ct, _) = $m::encapsulate(pair.public_key(), seed());
                Box::new(move || timed(|| Ok::<_, ()>($m::decapsulate(pair.private_key(), &ct))))
            }
        };
        step
    }};
}

fn ml_kem(kind: Kind, kem: Kem) -> Result<Step<'static>> {
    Ok(match kem.0 {
        CKP_ML_KEM_512 => ml_kem_steps!(mlkem512, kind),
        CKP_ML_KEM_768 => ml_kem_steps!(mlkem768, kind),
        CKP_ML_KEM_1024 => ml_kem_steps!(mlkem1024, kind),
        other => bail!("no ML-KEM parameter set {other:#x}"),
    })
}

macro_rules! ml_dsa_steps {
    ($m:ident, $kind:expr) => {{
        use libcrux_ml_dsa::$m;
        let pair = $m::generate_key_pair(seed());
        let step: Step<'static> = match $kind {
            Kind::KeyPair(_) => Box::new(|| timed(|| Ok::<_, ()>($m::generate_key_pair(seed())))),
            Kind::Sign(_) => {
                let message = random(super::ops::KIB);
                Box::new(move || timed(|| $m::sign(&pair.signing_key, &message, b"", seed())))
            }
            // The library signs a message it holds whole. It is made anew
            // for each signature, so its 64 MiB show in this lane's memory
            // growth, not in the resident size the module's rounds start at.
            Kind::SignStream(_) => Box::new(move || {
                let message = vec![0x5a; STREAM_LEN];
                timed(|| $m::sign(&pair.signing_key, &message, b"", seed()))
            }),
            _ => {
                let message = random(super::ops::KIB);
                let signature = $m::sign(&pair.signing_key, &message, b"", seed())
                    .map_err(|e| anyhow!("ML-DSA signing failed: {e:?}"))?;
                Box::new(move || {
                    timed(|| $m::verify(&pair.verification_key, &message, b"", &signature))
                })
            }
        };
        step
    }};
}

fn ml_dsa(kind: Kind, set: CK_ULONG) -> Result<Step<'static>> {
    Ok(match set {
        CKP_ML_DSA_44 => ml_dsa_steps!(ml_dsa_44, kind),
        CKP_ML_DSA_65 => ml_dsa_steps!(ml_dsa_65, kind),
        CKP_ML_DSA_87 => ml_dsa_steps!(ml_dsa_87, kind),
        other => bail!("no ML-DSA parameter set {other:#x}"),
    })
}

/// SLH-DSA with the CKP_SLH_DSA_* parameter set `set`.
fn slh_dsa_set(kind: Kind, set: CK_ULONG) -> Result<Step<'static>> {
    match set {
        CKP_SLH_DSA_SHA2_128S => slh_dsa::<Sha2_128s>(kind, 16),
        CKP_SLH_DSA_SHAKE_128S => slh_dsa::<Shake128s>(kind, 16),
        CKP_SLH_DSA_SHA2_128F => slh_dsa::<Sha2_128f>(kind, 16),
        CKP_SLH_DSA_SHAKE_128F => slh_dsa::<Shake128f>(kind, 16),
        CKP_SLH_DSA_SHA2_192S => slh_dsa::<Sha2_192s>(kind, 24),
        CKP_SLH_DSA_SHAKE_192S => slh_dsa::<Shake192s>(kind, 24),
        CKP_SLH_DSA_SHA2_192F => slh_dsa::<Sha2_192f>(kind, 24),
        CKP_SLH_DSA_SHAKE_192F => slh_dsa::<Shake192f>(kind, 24),
        CKP_SLH_DSA_SHA2_256S => slh_dsa::<Sha2_256s>(kind, 32),
        CKP_SLH_DSA_SHAKE_256S => slh_dsa::<Shake256s>(kind, 32),
        CKP_SLH_DSA_SHA2_256F => slh_dsa::<Sha2_256f>(kind, 32),
        CKP_SLH_DSA_SHAKE_256F => slh_dsa::<Shake256f>(kind, 32),
        other => bail!("no SLH-DSA parameter set {other:#x}"),
    }
}

/// SLH-DSA key generation from fresh seeds (as the module does, FIPS 205
/// slh_keygen_internal), or pure signing / verifying of 1 KiB with an
/// empty context, hedged; `n` is the set's security parameter in bytes.
fn slh_dsa<P: ParameterSet + 'static>(kind: Kind, n: usize) -> Result<Step<'static>> {
    let keygen = move || {
        let (sk_seed, sk_prf, pk_seed) = (random(n), random(n), random(n));
        SigningKey::<P>::slh_keygen_internal(&sk_seed, &sk_prf, &pk_seed)
    };
    if let Kind::KeyPair(_) = kind {
        return Ok(Box::new(move || timed(|| Ok::<_, ()>(keygen()))));
    }
    let key = keygen();
    let message = random(super::ops::KIB);
    if let Kind::Sign(_) = kind {
        return Ok(Box::new(move || {
            let opt_rand = random(n);
            timed(|| key.try_sign_with_context(&message, b"", Some(&opt_rand)))
        }));
    }
    let signature = key
        .try_sign_with_context(&message, b"", Some(&random(n)))
        .map_err(|e| anyhow!("SLH-DSA signing failed: {e:?}"))?;
    Ok(Box::new(move || {
        let public: &slh_dsa::VerifyingKey<P> = key.as_ref();
        timed(|| public.try_verify_with_context(&message, b"", &signature))
    }))
}

/// A SHAKE256 PRNG seeded with 48 fresh bytes, as the NIST API seeds Falcon.
fn falcon_rng() -> InnerShake256Context {
    let mut rng = InnerShake256Context::new();
    shake256_init_prng_from_seed(&mut rng, &seed::<48>());
    rng
}

/// A Falcon key pair of degree 2^`logn`: (private, public).
fn falcon_keygen(logn: u32) -> Result<(Vec<u8>, Vec<u8>), i32> {
    let mut sk = vec![0u8; falcon_privkey_size(logn)];
    let mut pk = vec![0u8; falcon_pubkey_size(logn)];
    let mut tmp = vec![0u8; falcon_tmpsize_keygen(logn)];
    match falcon_keygen_make(&mut falcon_rng(), logn, &mut sk, Some(&mut pk), &mut tmp) {
        0 => Ok((sk, pk)),
        e => Err(e),
    }
}

/// Falcon (CKP_FALCON_512 or CKP_FALCON_1024) key generation, or sign
/// (dynamic, compressed) or verify of 1 KiB.
fn falcon(kind: Kind, set: CK_ULONG) -> Result<Step<'static>> {
    let logn = match set {
        CKP_FALCON_512 => 9,
        CKP_FALCON_1024 => 10,
        other => bail!("no Falcon parameter set {other:#x}"),
    };
    if let Kind::KeyPair(_) = kind {
        return Ok(Box::new(move || timed(|| falcon_keygen(logn))));
    }
    let (sk, pk) =
        falcon_keygen(logn).map_err(|e| anyhow!("Falcon key generation failed ({e})"))?;
    let message = random(super::ops::KIB);
    let sign = move |sk: &[u8], message: &[u8]| -> Result<Vec<u8>, i32> {
        let mut signature = vec![0u8; falcon_sig_compressed_maxsize(logn)];
        let mut len = signature.len();
        let mut tmp = vec![0u8; falcon_tmpsize_signdyn(logn)];
        let mut rng = falcon_rng();
        match falcon_sign_dyn(
            &mut rng,
            &mut signature,
            &mut len,
            FALCON_SIG_COMPRESSED,
            sk,
            message,
            &mut tmp,
        ) {
            0 => {
                signature.truncate(len);
                Ok(signature)
            }
            e => Err(e),
        }
    };
    if let Kind::Sign(_) = kind {
        return Ok(Box::new(move || timed(|| sign(&sk, &message))));
    }
    let signature = sign(&sk, &message).map_err(|e| anyhow!("Falcon signing failed ({e})"))?;
    Ok(Box::new(move || {
        let mut tmp = vec![0u8; falcon_tmpsize_verify(logn)];
        timed(
            || match falcon_verify(&signature, FALCON_SIG_COMPRESSED, &pk, &message, &mut tmp) {
                0 => Ok(()),
                e => Err(e),
            },
        )
    }))
}

/// AES-256-GCM encryption of `len` bytes with a fresh 96-bit nonce.
fn aes_gcm(len: usize) -> Step<'static> {
    let cipher = Aes256Gcm::new(&seed::<32>().into());
    let data = random(len);
    let mut counter: u64 = 0;
    Box::new(move || {
        counter += 1;
        let mut iv = [0u8; 12];
        iv[4..].copy_from_slice(&counter.to_be_bytes());
        timed(|| cipher.encrypt(Nonce::from_slice(&iv), data.as_slice()))
    })
}

#[cfg(test)]
mod tests {
    use super::super::ops::SLH_DSA_SETS;
    use super::*;

    /// Every step runs; the verify steps check a real signature, so a
    /// broken set-up fails here.
    #[test]
    fn each_library_step_runs() {
        let kinds = [
            Kind::KemKeyPair(Kem(CKP_ML_KEM_512)),
            Kind::Encaps(Kem(CKP_ML_KEM_768)),
            Kind::Decaps(Kem(CKP_ML_KEM_1024)),
            Kind::KeyPair(Alg::MlDsa(CKP_ML_DSA_44)),
            Kind::Sign(Alg::MlDsa(CKP_ML_DSA_65)),
            Kind::Verify(Alg::MlDsa(CKP_ML_DSA_87)),
            Kind::KeyPair(Alg::SlhDsa(CKP_SLH_DSA_SHAKE_192F)),
            Kind::Sign(Alg::SlhDsa(CKP_SLH_DSA_SHA2_128F)),
            Kind::Verify(Alg::SlhDsa(CKP_SLH_DSA_SHAKE_256F)),
            Kind::KeyPair(Alg::Falcon(CKP_FALCON_1024)),
            Kind::Sign(Alg::Falcon(CKP_FALCON_512)),
            Kind::Verify(Alg::Falcon(CKP_FALCON_1024)),
            Kind::AesGcm(1024),
            Kind::Sha256(1024),
        ];
        for kind in kinds {
            let mut step = prepare(kind).unwrap().unwrap();
            for _ in 0..2 {
                assert!(step().unwrap() > Duration::ZERO, "{kind:?}");
            }
        }
    }

    /// Each SLH-DSA set has its library type, with seeds of its length
    /// (a wrong length panics in the library).
    #[test]
    fn every_slh_dsa_set_generates_keys() {
        for set in SLH_DSA_SETS {
            let mut keygen = prepare(Kind::KeyPair(Alg::SlhDsa(set))).unwrap().unwrap();
            assert!(keygen().unwrap() > Duration::ZERO, "set {set}");
        }
        assert!(slh_dsa_set(Kind::KeyPair(Alg::SlhDsa(0)), 0).is_err());
    }

    #[test]
    fn no_library_for_token_operations_or_missing_algorithms() {
        for kind in [
            Kind::Find(100),
            Kind::OpenLoginClose,
            Kind::AesKeyGen { token: true },
            Kind::Sign(Alg::EcdsaP256),
            Kind::Sign(Alg::Rsa2048),
        ] {
            assert!(prepare(kind).is_none(), "{kind:?}");
        }
    }
}
