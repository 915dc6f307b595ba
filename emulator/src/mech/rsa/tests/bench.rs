//! Timings (release build): `cargo test --release -p qrc-emulator --lib
//! mech::rsa::tests::bench -- --ignored --nocapture`. Each mechanism
//! operation includes its *Init, which builds (and checks) the aws-lc key
//! from the key object's numbers; aws-lc-rs alone reuses a parsed key.

use super::{decrypt, mechanism, oaep, pair, pkcs8, sign};
use crate::mech::MechParam;
use aws_lc_rs::rsa::{
    KeyPair, OaepPrivateDecryptingKey, PrivateDecryptingKey, OAEP_SHA256_MGF1SHA256,
};
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use cryptoki_sys::*;
use std::hint::black_box;

/// Median µs of `f` over `runs` runs, after a warm-up.
fn median_us(runs: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..runs / 10 + 1 {
        f();
    }
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = std::time::Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

#[test]
#[ignore = "benchmark"]
fn rsa_2048_timings() {
    let (_, private) = pair();
    let der = pkcs8(private);
    let message = [0x5a; 64];

    let m = mechanism(CKM_SHA256_RSA_PKCS, MechParam::None);
    let ours_sign = median_us(201, || {
        black_box(sign(&m, private, &message, 64).unwrap());
    });
    let theirs = KeyPair::from_pkcs8(&der).unwrap();
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut signature = vec![0; 256];
    let their_sign = median_us(201, || {
        theirs
            .sign(&RSA_PKCS1_SHA256, &rng, &message, &mut signature)
            .unwrap();
    });

    let label = b"label";
    let m = mechanism(CKM_RSA_PKCS_OAEP, oaep(CKM_SHA256, CKG_MGF1_SHA256, label));
    let ciphertext = super::encrypt(&m, &pair().0, b"a 32-byte AES key, for instance.").unwrap();
    let ours_decrypt = median_us(201, || {
        black_box(decrypt(&m, private, &ciphertext).unwrap());
    });
    let theirs =
        OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(&der).unwrap()).unwrap();
    let mut out = vec![0; 256];
    let their_decrypt = median_us(201, || {
        black_box(
            theirs
                .decrypt(&OAEP_SHA256_MGF1SHA256, &ciphertext, &mut out, Some(label))
                .unwrap(),
        );
    });
    println!(
        "RSA-2048 median µs: sign SHA256_RSA_PKCS mechanism {ours_sign:.0} / aws-lc-rs {their_sign:.0}; \
         decrypt OAEP-SHA256 mechanism {ours_decrypt:.0} / aws-lc-rs {their_decrypt:.0}"
    );
}
