//! Criterion benchmarks of the emulator's hot paths, so that regressions
//! show in review: attribute lookup and template matching, the store's
//! cached read, durable insert and indexed search, and one operation of
//! every mechanism in the registry.
//!
//! Run: `cargo bench -p qrc-emulator --bench hot_paths` (a filter after
//! `--` picks benchmarks, e.g. `-- mech/CKM_ML_DSA`).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use cryptoki_sys::*;
use qrc_emulator::attr::Attributes;
use qrc_emulator::mech::{registry, KeyPair, MechParam, Mechanism, MechanismImpl, PrfData};
use qrc_emulator::store::{Store, StoreOptions};
use qrc_emulator::vendor::{CKM_FALCON, CKM_FALCON_KEY_PAIR_GEN, CKP_FALCON_512};
use std::hint::black_box;
use std::time::Duration;

/// What signing, encryption and digest mechanisms process.
const MESSAGE: [u8; 1024] = [0x5a; 1024];

/// A token AES key as the store keeps it: about fifteen attributes.
fn key_object(label: &str) -> Attributes {
    let mut a = Attributes::new();
    a.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    a.set_ulong(CKA_KEY_TYPE, CKK_AES);
    a.set(CKA_LABEL, label.as_bytes().to_vec());
    a.set(CKA_ID, vec![1, 2, 3, 4]);
    a.set(CKA_VALUE, vec![7; 32]);
    a.set_ulong(CKA_VALUE_LEN, 32);
    for flag in [
        CKA_TOKEN,
        CKA_PRIVATE,
        CKA_SENSITIVE,
        CKA_ENCRYPT,
        CKA_DECRYPT,
        CKA_LOCAL,
    ] {
        a.set_bool(flag, true);
    }
    for flag in [
        CKA_EXTRACTABLE,
        CKA_MODIFIABLE,
        CKA_DERIVE,
        CKA_WRAP,
        CKA_UNWRAP,
    ] {
        a.set_bool(flag, false);
    }
    a
}

/// A public data object, which the store keeps without a token key.
fn data_object(label: &str) -> Attributes {
    let mut a = Attributes::new();
    a.set_ulong(CKA_CLASS, CKO_DATA);
    a.set_bool(CKA_TOKEN, true);
    a.set_bool(CKA_PRIVATE, false);
    a.set(CKA_LABEL, label.as_bytes().to_vec());
    a.set(CKA_VALUE, vec![0x42; 32]);
    a
}

fn by_label(label: &str) -> Attributes {
    let mut t = Attributes::new();
    t.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    t.set(CKA_LABEL, label.as_bytes().to_vec());
    t
}

fn attributes(c: &mut Criterion) {
    let key = key_object("signing key 17");
    c.bench_function("attr/get", |b| {
        b.iter(|| black_box(&key).get(black_box(CKA_LABEL)).map(<[u8]>::len))
    });
    c.bench_function("attr/bool", |b| {
        b.iter(|| black_box(&key).bool(black_box(CKA_SENSITIVE)))
    });
    let hit = by_label("signing key 17");
    let miss = by_label("signing key 18");
    c.bench_function("attr/matches hit", |b| {
        b.iter(|| black_box(&key).matches(black_box(&hit)))
    });
    c.bench_function("attr/matches miss", |b| {
        b.iter(|| black_box(&key).matches(black_box(&miss)))
    });
    let objects: Vec<Attributes> = (0..1000).map(|i| key_object(&format!("key {i}"))).collect();
    let wanted = by_label("key 999");
    c.bench_function("template/match over 1,000 objects", |b| {
        b.iter(|| {
            objects
                .iter()
                .filter(|o| o.matches(black_box(&wanted)))
                .count()
        })
    });
}

fn store(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Store::open(dir.path(), &StoreOptions::default()).expect("store opens");
    let ids: Vec<u64> = (0..1000)
        .map(|i| {
            store
                .insert(&data_object(&format!("object {i}")), None)
                .expect("insert")
        })
        .collect();
    let id = ids[500];
    c.bench_function("store/load cached", |b| {
        b.iter(|| store.load(black_box(id), None))
    });
    let mut wanted = Attributes::new();
    wanted.set(CKA_LABEL, b"object 999".to_vec());
    c.bench_function("store/find by label among 1,000", |b| {
        b.iter(|| store.find(black_box(&wanted), None))
    });
    let mut g = c.benchmark_group("store");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    let object = data_object("inserted");
    g.bench_function("insert durable", |b| b.iter(|| store.insert(&object, None)));
    g.finish();
}

/// DER OIDs of P-256 and Ed25519, the CKA_EC_PARAMS of their keys.
const P256: &[u8] = &[0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
const ED25519: &[u8] = &[0x06, 0x03, 0x2B, 0x65, 0x70];
/// DER OID of X25519.
const X25519: &[u8] = &[0x06, 0x03, 0x2B, 0x65, 0x6E];

/// The key-pair mechanism a mechanism is measured with, and what its
/// public template needs: a parameter set, EC parameters or an RSA size.
enum PairSpec {
    Set(CK_ULONG),
    Ec(&'static [u8]),
    Rsa,
}

fn key_pair_of(m: &dyn MechanismImpl) -> Option<(CK_MECHANISM_TYPE, PairSpec)> {
    let (ty, name) = (m.ty(), m.name());
    Some(if ty == CKM_FALCON || ty == CKM_FALCON_KEY_PAIR_GEN {
        (CKM_FALCON_KEY_PAIR_GEN, PairSpec::Set(CKP_FALCON_512))
    } else if name.contains("ML_KEM") {
        (CKM_ML_KEM_KEY_PAIR_GEN, PairSpec::Set(CKP_ML_KEM_768))
    } else if name.contains("ML_DSA") {
        (CKM_ML_DSA_KEY_PAIR_GEN, PairSpec::Set(CKP_ML_DSA_65))
    } else if name.contains("SLH_DSA") {
        (
            CKM_SLH_DSA_KEY_PAIR_GEN,
            PairSpec::Set(CKP_SLH_DSA_SHA2_128F),
        )
    } else if ty == CKM_EC_MONTGOMERY_KEY_PAIR_GEN {
        (ty, PairSpec::Ec(X25519))
    } else if name.contains("EDDSA") || name.contains("EC_EDWARDS") {
        (CKM_EC_EDWARDS_KEY_PAIR_GEN, PairSpec::Ec(ED25519))
    } else if name.contains("ECDSA") || name.contains("ECDH") || ty == CKM_EC_KEY_PAIR_GEN {
        (CKM_EC_KEY_PAIR_GEN, PairSpec::Ec(P256))
    } else if name.contains("RSA") {
        (CKM_RSA_PKCS_KEY_PAIR_GEN, PairSpec::Rsa)
    } else {
        return None;
    })
}

fn plain(ty: CK_MECHANISM_TYPE) -> Mechanism {
    Mechanism {
        ty,
        param: MechParam::None,
    }
}

/// Templates of a key pair as `spec` describes it.
fn pair_templates(spec: &PairSpec) -> (Attributes, Attributes) {
    let mut public = Attributes::new();
    public.set_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
    let mut private = Attributes::new();
    private.set_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
    match spec {
        PairSpec::Set(set) => {
            public.set_ulong(CKA_PARAMETER_SET, *set);
            private.set_ulong(CKA_PARAMETER_SET, *set);
        }
        PairSpec::Ec(params) => public.set(CKA_EC_PARAMS, params.to_vec()),
        PairSpec::Rsa => {
            public.set_ulong(CKA_MODULUS_BITS, 2048);
            public.set(CKA_PUBLIC_EXPONENT, vec![1, 0, 1]);
        }
    }
    (public, private)
}

/// A key pair as the token would store it: the templates completed with
/// what the mechanism supplied.
fn key_pair(ty: CK_MECHANISM_TYPE, spec: &PairSpec) -> Result<KeyPair, String> {
    let (mut public, mut private) = pair_templates(spec);
    let generated = registry()
        .get(ty)
        .and_then(|g| g.generate_key_pair(&plain(ty), &public, &private))
        .map_err(|e| format!("key pair: {e:?}"))?;
    public.merge(&generated.public);
    private.merge(&generated.private);
    Ok(KeyPair { public, private })
}

fn secret(key_type: CK_KEY_TYPE) -> Attributes {
    let mut k = Attributes::new();
    k.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
    k.set_ulong(CKA_KEY_TYPE, key_type);
    k.set(CKA_VALUE, vec![0x11; 32]);
    k
}

/// The parameter of a cipher or MAC mechanism.
fn param_of(ty: CK_MECHANISM_TYPE, name: &str) -> MechParam {
    match ty {
        CKM_AES_CBC | CKM_AES_CBC_PAD => MechParam::Bytes(vec![0; 16]),
        CKM_AES_CTR => MechParam::Ctr {
            counter_bits: 128,
            cb: [0; 16],
        },
        CKM_AES_GCM => MechParam::Gcm {
            iv: vec![0; 12],
            aad: vec![],
            tag_bits: 128,
        },
        CKM_HASH_ML_DSA | CKM_HASH_SLH_DSA => MechParam::HashSignContext {
            hedge: CKH_HEDGE_PREFERRED,
            context: vec![],
            hash: CKM_SHA256,
        },
        CKM_RSA_PKCS_OAEP => MechParam::Oaep {
            hash: CKM_SHA256,
            mgf: CKG_MGF1_SHA256,
            label: vec![],
        },
        _ if name.ends_with("_GENERAL") => MechParam::Ulong(16),
        _ if name.ends_with("RSA_PKCS_PSS") => {
            // The hash the mechanism names (CKM_RSA_PKCS_PSS signs a
            // SHA-256 digest), MGF1 with it, a salt as long as its output.
            let (hash, mgf, salt_len) = match ty {
                CKM_SHA1_RSA_PKCS_PSS => (CKM_SHA_1, CKG_MGF1_SHA1, 20),
                CKM_SHA224_RSA_PKCS_PSS => (CKM_SHA224, CKG_MGF1_SHA224, 28),
                CKM_SHA384_RSA_PKCS_PSS => (CKM_SHA384, CKG_MGF1_SHA384, 48),
                CKM_SHA512_RSA_PKCS_PSS => (CKM_SHA512, CKG_MGF1_SHA512, 64),
                _ => (CKM_SHA256, CKG_MGF1_SHA256, 32),
            };
            MechParam::Pss {
                hash,
                mgf,
                salt_len,
            }
        }
        _ => MechParam::None,
    }
}

/// The parameter and base key of a key-derivation mechanism: HKDF and
/// SP 800-108 from a 32-byte generic secret, ECDH between two P-256 pairs.
fn derive_setup(m: &dyn MechanismImpl) -> Result<(Mechanism, Attributes), String> {
    let ty = m.ty();
    let param = match ty {
        CKM_HKDF_DERIVE | CKM_HKDF_DATA => MechParam::Hkdf {
            extract: true,
            expand: true,
            prf: CKM_SHA256,
            salt_type: CKF_HKDF_SALT_NULL,
            salt: vec![],
            salt_key: CK_INVALID_HANDLE,
            info: b"bench".to_vec(),
        },
        CKM_SP800_108_COUNTER_KDF => MechParam::Kbkdf {
            prf: CKM_SHA256_HMAC,
            data: vec![
                PrfData::Counter {
                    little_endian: false,
                    width_bits: 32,
                },
                PrfData::Bytes(b"bench".to_vec()),
            ],
            iv: vec![],
            additional: vec![],
        },
        CKM_ECDH1_DERIVE | CKM_ECDH1_COFACTOR_DERIVE => {
            let ours = key_pair(CKM_EC_KEY_PAIR_GEN, &PairSpec::Ec(P256))?;
            let peer = key_pair(CKM_EC_KEY_PAIR_GEN, &PairSpec::Ec(P256))?;
            let point = peer.public.get(CKA_EC_POINT).ok_or("no CKA_EC_POINT")?;
            let param = MechParam::Ecdh {
                kdf: CKD_NULL,
                shared_data: vec![],
                public_data: point.to_vec(),
            };
            return Ok((Mechanism { ty, param }, ours.private));
        }
        _ => return Err("no derivation parameters known".into()),
    };
    Ok((Mechanism { ty, param }, secret(CKK_GENERIC_SECRET)))
}

/// Message lengths to try, longest first: 1 KiB, else a SHA-256 digest's
/// 32 bytes (pre-hash and raw RSA / ECDSA mechanisms take no more).
const INPUTS: [usize; 2] = [1024, 32];

/// A signature over the first input length `m` accepts with `key`.
fn sign_once(
    m: &dyn MechanismImpl,
    mech: &Mechanism,
    key: &Attributes,
) -> Result<(usize, Vec<u8>), String> {
    let mut last = String::new();
    for len in INPUTS {
        let attempt = m.sign(mech, key).and_then(|mut s| {
            s.update(&MESSAGE[..len])?;
            s.finish()
        });
        match attempt {
            Ok(signature) => return Ok((len, signature)),
            Err(e) => last = format!("sign: {e:?}"),
        }
    }
    Err(last)
}

/// A ciphertext of the first input length `m` accepts with `key`.
fn encrypt_once(
    m: &dyn MechanismImpl,
    mech: &Mechanism,
    key: &Attributes,
) -> Result<usize, String> {
    let mut last = String::new();
    for len in INPUTS {
        let attempt = m.encrypt(mech, key).and_then(|mut c| {
            c.update(&MESSAGE[..len])?;
            c.finish()
        });
        match attempt {
            Ok(_) => return Ok(len),
            Err(e) => last = format!("encrypt: {e:?}"),
        }
    }
    Err(last)
}

/// One operation of `m`, benchmarked under its PKCS#11 name: each set-up
/// is tried once first, so a mechanism this file cannot drive is reported
/// with the reason instead of failing the run.
fn mechanism(c: &mut Criterion, m: &dyn MechanismImpl) -> Result<(), String> {
    let (ty, name) = (m.ty(), m.name());
    let flags = m.info().flags;
    let mech = Mechanism {
        ty,
        param: param_of(ty, name),
    };
    let pair = key_pair_of(m);
    let mut g = c.benchmark_group("mech");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    if flags & CKF_DIGEST != 0 {
        m.digest(&mech).map_err(|e| format!("digest: {e:?}"))?;
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut d = m.digest(&mech).expect("digest");
                d.update(&MESSAGE);
                d.finish()
            })
        });
    } else if flags & CKF_GENERATE != 0 {
        let mut template = Attributes::new();
        template.set_ulong(CKA_VALUE_LEN, 32);
        m.generate_key(&mech, &template)
            .map_err(|e| format!("generate: {e:?}"))?;
        g.bench_function(name, |b| {
            b.iter(|| m.generate_key(&mech, &template).expect("key"))
        });
    } else if flags & CKF_GENERATE_KEY_PAIR != 0 {
        let (_, spec) = pair.ok_or("no key-pair template known")?;
        key_pair(ty, &spec)?;
        let (public, private) = pair_templates(&spec);
        g.bench_function(name, |b| {
            b.iter(|| m.generate_key_pair(&mech, &public, &private).expect("pair"))
        });
    } else if flags & CKF_ENCAPSULATE != 0 {
        let (gen, spec) = pair.ok_or("no key-pair template known")?;
        let keys = key_pair(gen, &spec)?;
        let sent = m
            .encapsulate(&mech, &keys.public)
            .map_err(|e| format!("encapsulate: {e:?}"))?;
        g.bench_function(format!("{name} encapsulate"), |b| {
            b.iter(|| m.encapsulate(&mech, &keys.public).expect("encapsulate"))
        });
        g.bench_function(format!("{name} decapsulate"), |b| {
            b.iter(|| {
                m.decapsulate(&mech, &keys.private, &sent.ciphertext)
                    .expect("decapsulate")
            })
        });
    } else if flags & CKF_SIGN != 0 {
        let (signing, verifying) = match pair {
            Some((gen, spec)) => {
                let keys = key_pair(gen, &spec)?;
                (keys.private, keys.public)
            }
            None => (secret(CKK_GENERIC_SECRET), secret(CKK_GENERIC_SECRET)),
        };
        let (len, signature) = sign_once(m, &mech, &signing)?;
        let input = &MESSAGE[..len];
        g.bench_function(format!("{name} sign {len} B"), |b| {
            b.iter(|| {
                let mut s = m.sign(&mech, &signing).expect("sign");
                s.update(input).expect("update");
                s.finish().expect("signature")
            })
        });
        g.bench_function(format!("{name} verify {len} B"), |b| {
            b.iter(|| {
                let mut v = m.verify(&mech, &verifying).expect("verify");
                v.update(input).expect("update");
                v.finish(&signature).expect("valid signature")
            })
        });
    } else if flags & CKF_ENCRYPT != 0 {
        // A public-key cipher encrypts to the public half, AES with a secret.
        let key = match pair {
            Some((gen, spec)) => key_pair(gen, &spec)?.public,
            None => secret(CKK_AES),
        };
        let len = encrypt_once(m, &mech, &key)?;
        let input = &MESSAGE[..len];
        g.bench_function(format!("{name} encrypt {len} B"), |b| {
            b.iter_batched(
                || m.encrypt(&mech, &key).expect("encrypt"),
                |mut cipher| {
                    let mut out = cipher.update(input).expect("update").to_vec();
                    out.extend_from_slice(&cipher.finish().expect("finish"));
                    out
                },
                BatchSize::SmallInput,
            )
        });
    } else if flags & CKF_DERIVE != 0 {
        let (mech, base) = derive_setup(m)?;
        // CKM_HKDF_DATA makes a data object, the others a secret key.
        let mut template = Attributes::new();
        if ty == CKM_HKDF_DATA {
            template.set_ulong(CKA_CLASS, CKO_DATA);
        } else {
            template.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
            template.set_ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET);
        }
        template.set_ulong(CKA_VALUE_LEN, 32);
        m.derive(&mech, &base, &template)
            .map_err(|e| format!("derive: {e:?}"))?;
        g.bench_function(format!("{name} derive"), |b| {
            b.iter(|| m.derive(&mech, &base, &template).expect("derive"))
        });
    } else {
        return Err("no function this file drives".into());
    }
    g.finish();
    Ok(())
}

fn mechanisms(c: &mut Criterion) {
    let skipped: Vec<String> = registry()
        .iter()
        .filter_map(|m| {
            mechanism(c, m)
                .err()
                .map(|why| format!("{} ({why})", m.name()))
        })
        .collect();
    if !skipped.is_empty() {
        eprintln!("mechanisms not benchmarked: {}", skipped.join("; "));
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = attributes, store, mechanisms
}
criterion_main!(benches);
