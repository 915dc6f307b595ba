//! Each operation as a module performs it through PKCS#11: what is set up
//! beforehand, untimed, and the timed call. Objects an iteration creates
//! are destroyed after its clock stops.

use super::keys;
use super::ops::{Kind, STREAM_CHUNK, STREAM_LEN};
use super::target::{Target, NEEDLE};
use crate::module::Ck;
use anyhow::{bail, Result};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectHandle};
use cryptoki::session::{Session, UserType};
use rand_core::{OsRng, RngCore};
use std::time::{Duration, Instant};

/// One timed iteration of an operation: returns the time of the measured
/// call(s) only.
pub type Step<'a> = Box<dyn FnMut() -> Result<Duration> + 'a>;

/// A session and the objects set up in it, destroyed when dropped.
struct Held {
    s: Session,
    objects: Vec<ObjectHandle>,
}

impl Held {
    fn new(t: &Target) -> Result<Held> {
        Ok(Held {
            s: t.session()?,
            objects: vec![],
        })
    }

    /// A session holding the key pair `make` creates in it: (session,
    /// public key, private key).
    fn with_pair(
        t: &Target,
        make: impl FnOnce(&Session) -> Result<(ObjectHandle, ObjectHandle)>,
    ) -> Result<(Held, ObjectHandle, ObjectHandle)> {
        let mut h = Held::new(t)?;
        let (public, private) = make(&h.s)?;
        h.keep(public);
        h.keep(private);
        Ok((h, public, private))
    }

    /// Keeps `h` until the operation is done.
    fn keep(&mut self, h: ObjectHandle) -> ObjectHandle {
        self.objects.push(h);
        h
    }

    fn destroy(&self, h: ObjectHandle) -> Result<()> {
        self.s.destroy_object(h).ck()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        for h in self.objects.drain(..) {
            // Best effort: a throw-away token goes away anyway, and a
            // failure here must not hide the measurement.
            let _ = self.s.destroy_object(h);
        }
    }
}

/// Runs `f` and returns its result with the time it took.
fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let start = Instant::now();
    let out = f()?;
    Ok((out, start.elapsed()))
}

/// `len` random bytes.
pub fn random(len: usize) -> Vec<u8> {
    let mut v = vec![0; len];
    OsRng.fill_bytes(&mut v);
    v
}

/// Sets up `kind` on `t` and returns its timed iteration. Process-level
/// operations (child processes) are not steps: see [`super::probe`].
pub fn prepare<'a>(kind: Kind, t: &'a Target) -> Result<Step<'a>> {
    match kind {
        Kind::KeyPair(alg) => {
            let h = Held::new(t)?;
            let mech = keys::keygen_mechanism(alg)?;
            let (public, private) = keys::pair_templates(alg)?;
            Ok(Box::new(move || {
                let ((p, k), d) = timed(|| h.s.generate_key_pair(&mech, &public, &private).ck())?;
                h.destroy(p)?;
                h.destroy(k)?;
                Ok(d)
            }))
        }
        Kind::KemKeyPair(kem) => {
            let h = Held::new(t)?;
            let (public, private) = keys::kem_templates(kem)?;
            Ok(Box::new(move || {
                let mech = Mechanism::MlKemKeyPairGen;
                let ((p, k), d) = timed(|| h.s.generate_key_pair(&mech, &public, &private).ck())?;
                h.destroy(p)?;
                h.destroy(k)?;
                Ok(d)
            }))
        }
        Kind::Encaps(kem) => {
            let (h, public, _) = Held::with_pair(t, |s| keys::kem_pair(s, kem))?;
            let template = keys::shared_secret_template();
            Ok(Box::new(move || {
                let ((_, key), d) = timed(|| {
                    h.s.encapsulate_key(&Mechanism::MlKem, public, &template)
                        .ck()
                })?;
                h.destroy(key)?;
                Ok(d)
            }))
        }
        Kind::Decaps(kem) => {
            let (h, public, private) = Held::with_pair(t, |s| keys::kem_pair(s, kem))?;
            let template = keys::shared_secret_template();
            let (ciphertext, key) =
                h.s.encapsulate_key(&Mechanism::MlKem, public, &template)
                    .ck()?;
            h.destroy(key)?;
            Ok(Box::new(move || {
                let mech = Mechanism::MlKem;
                let (key, d) = timed(|| {
                    h.s.decapsulate_key(&mech, private, &template, &ciphertext)
                        .ck()
                })?;
                h.destroy(key)?;
                Ok(d)
            }))
        }
        Kind::Sign(alg) => {
            let (h, _, private) = Held::with_pair(t, |s| keys::key_pair(s, alg))?;
            let mech = keys::sign_mechanism(alg)?;
            let message = random(alg.message_len());
            Ok(Box::new(move || {
                Ok(timed(|| h.s.sign(&mech, private, &message).ck())?.1)
            }))
        }
        Kind::Verify(alg) => {
            let (h, public, private) = Held::with_pair(t, |s| keys::key_pair(s, alg))?;
            let mech = keys::sign_mechanism(alg)?;
            let message = random(alg.message_len());
            let signature = h.s.sign(&mech, private, &message).ck()?;
            Ok(Box::new(move || {
                Ok(timed(|| h.s.verify(&mech, public, &message, &signature).ck())?.1)
            }))
        }
        Kind::SignStream(alg) => {
            let (h, _, private) = Held::with_pair(t, |s| keys::key_pair(s, alg))?;
            let mech = keys::sign_mechanism(alg)?;
            // One chunk, fed again and again: the bench holds 64 KiB, so
            // what the process gains while signing is the module's.
            let chunk = random(STREAM_CHUNK);
            Ok(Box::new(move || {
                let (_, d) = timed(|| {
                    h.s.sign_init(&mech, private).ck()?;
                    for _ in 0..STREAM_LEN / STREAM_CHUNK {
                        h.s.sign_update(&chunk).ck()?;
                    }
                    h.s.sign_final().ck()
                })?;
                Ok(d)
            }))
        }
        Kind::AesGcm(len) => {
            let mut h = Held::new(t)?;
            let key =
                h.s.generate_key(&Mechanism::AesKeyGen, &keys::aes_template(true))
                    .ck()?;
            h.keep(key);
            let data = random(len);
            let mut counter: u64 = 0;
            Ok(Box::new(move || {
                // A fresh 96-bit IV per message, as GCM requires.
                counter += 1;
                let mut iv = [0u8; 12];
                iv[4..].copy_from_slice(&counter.to_be_bytes());
                let params = GcmParams::new(&mut iv, &[], 128.into()).ck()?;
                let mech = Mechanism::AesGcm(params);
                Ok(timed(|| h.s.encrypt(&mech, key, &data).ck())?.1)
            }))
        }
        Kind::Sha256(len) => {
            let h = Held::new(t)?;
            let data = random(len);
            Ok(Box::new(move || {
                Ok(timed(|| h.s.digest(&Mechanism::Sha256, &data).ck())?.1)
            }))
        }
        Kind::AesKeyGen { token } => {
            let h = Held::new(t)?;
            let template = keys::aes_template(token);
            Ok(Box::new(move || {
                let (key, d) = timed(|| h.s.generate_key(&Mechanism::AesKeyGen, &template).ck())?;
                h.destroy(key)?;
                Ok(d)
            }))
        }
        Kind::Find(_) => {
            let h = Held::new(t)?;
            let template = vec![Attribute::Label(NEEDLE.as_bytes().to_vec())];
            Ok(Box::new(move || {
                let (found, d) = timed(|| h.s.find_objects(&template).ck())?;
                if found.len() != 1 {
                    bail!(
                        "C_FindObjects found {} objects labelled {NEEDLE}, not 1",
                        found.len()
                    );
                }
                Ok(d)
            }))
        }
        // Holds no session: the login must be the first of a new session set.
        Kind::OpenLoginClose => Ok(Box::new(move || {
            let pin = t.auth_pin();
            let (_, d) = timed(|| {
                let s = t.module.ctx.open_rw_session(t.slot).ck()?;
                s.login(UserType::User, Some(&pin)).ck()?;
                s.close().ck()
            })?;
            Ok(d)
        })),
        Kind::InitProbe { .. } | Kind::FirstLogin => {
            bail!("measured in a child process, not as a step")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::ops::{catalogue, Alg};
    use crate::bench::target::TokenChoice;
    use std::path::PathBuf;

    /// libqrcpkcs11.so as a workspace build leaves it next to the test
    /// binary's directory (target/<profile>/deps/..).
    fn built_module() -> Option<PathBuf> {
        let exe = std::env::current_exe().ok()?;
        let path = exe.parent()?.parent()?.join("libqrcpkcs11.so");
        path.is_file().then_some(path)
    }

    /// The SLH-DSA "s" sets take seconds per signature: SHA2-128s stands
    /// for them.
    fn slow_slh_dsa(kind: Kind) -> bool {
        match kind {
            Kind::KeyPair(a @ Alg::SlhDsa(set))
            | Kind::Sign(a @ Alg::SlhDsa(set))
            | Kind::Verify(a @ Alg::SlhDsa(set)) => {
                a.name().ends_with('s') && set != cryptoki_sys::CKP_SLH_DSA_SHA2_128S
            }
            _ => false,
        }
    }

    /// The operations of the PQC and foundation issues run through their
    /// steps on a throw-away token (searches find exactly the needle).
    /// Other offered operations are tried too; their failures are printed,
    /// not asserted: the module's own conformance suite owns those.
    #[test]
    fn every_step_runs_on_our_module() {
        let Some(path) = built_module() else {
            eprintln!("skipped: build the workspace (libqrcpkcs11.so) first");
            return;
        };
        let choice = TokenChoice {
            store: None,
            slot: None,
            pin: None,
            so_pin: None,
            init: false,
        };
        let t = Target::open(&path, &choice).unwrap();
        assert!(t.ours);
        let mut ran = vec![];
        for op in catalogue() {
            let small = op.population().is_none_or(|n| n <= 100);
            let child = matches!(op.kind, Kind::InitProbe { .. } | Kind::FirstLogin);
            if child || !small || t.offers(&op.needs()).is_err() {
                continue;
            }
            if let Some(n) = op.population() {
                t.populate(n, &|_| {}).unwrap();
            }
            // The 64 MiB signature is long in a debug build: ML-DSA-44 only.
            if matches!(op.kind, Kind::SignStream(a) if a != Alg::MlDsa(cryptoki_sys::CKP_ML_DSA_44))
                || slow_slh_dsa(op.kind)
            {
                continue;
            }
            let twice = prepare(op.kind, &t).and_then(|mut step| Ok([step()?, step()?]));
            match twice {
                Ok(times) => {
                    assert!(times.iter().all(|d| *d > Duration::ZERO), "{}", op.name);
                    ran.push(op.name);
                }
                Err(e) => eprintln!("{}: {e:#}", op.name),
            }
        }
        for expected in [
            "ML-KEM-768 encaps",
            "ML-KEM-1024 decaps",
            "ML-DSA-87 verify 1 KiB",
            "ML-DSA-44 sign 64 MiB multi-part",
            "SLH-DSA-SHA2-128f sign 1 KiB",
            "SLH-DSA-SHA2-128s keygen (token)",
            "SLH-DSA-SHAKE-256f verify 1 KiB",
            "SLH-DSA-SHA2-128s verify 1 KiB",
            "Falcon-512 verify 1 KiB",
            "Falcon-1024 keygen (token)",
            "Falcon-1024 sign 1 KiB",
            "AES-256-GCM encrypt 1 MiB",
            "AES-256 keygen (token)",
            "find 1 by label among 100",
            "open session + login + close",
        ] {
            assert!(ran.iter().any(|n| n == expected), "{expected} did not run");
        }
        t.close().unwrap();
    }
}
