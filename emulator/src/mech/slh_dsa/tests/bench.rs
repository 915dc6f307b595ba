//! Timings (release build): `cargo test --release -p qrc-emulator --lib
//! mech::slh_dsa::tests::bench -- --ignored --nocapture`.

use super::{context, key};
use crate::mech::registry;
use crate::mech::slh_dsa::params::{Set, SETS};
use crate::mech::Mechanism;
use cryptoki_sys::*;
use slh_dsa::{SigningKey, VerifyingKey};
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
fn sha2_128f_timings() {
    let set = Set::by_ckp(CKP_SLH_DSA_SHA2_128F).unwrap();
    let message = [0x5a; 64];
    let sk = set.keypair(&[7; 48]).unwrap();
    // The library alone, hedged with a fixed addrnd.
    let lib_sk = SigningKey::<slh_dsa::Sha2_128f>::try_from(&sk[..]).unwrap();
    let lib_vk = VerifyingKey::<slh_dsa::Sha2_128f>::try_from(&sk[32..]).unwrap();
    let lib_sig = lib_sk
        .try_sign_with_context(&message, b"", Some(&[3; 16]))
        .unwrap();
    let lib_sign = median_us(31, || {
        black_box(
            lib_sk
                .try_sign_with_context(&message, b"", Some(&[3; 16]))
                .unwrap(),
        );
    });
    let lib_verify = median_us(301, || {
        lib_vk
            .try_verify_with_context(&message, b"", &lib_sig)
            .unwrap()
    });

    let (private, public) = (
        key(CKO_PRIVATE_KEY, set, &sk),
        key(CKO_PUBLIC_KEY, set, &sk[32..]),
    );
    let m = Mechanism {
        ty: CKM_SLH_DSA,
        param: context(CKH_HEDGE_PREFERRED, b""),
    };
    let mech = registry().get(CKM_SLH_DSA).unwrap();
    let mut signature = Vec::new();
    let sign = median_us(31, || {
        let mut s = mech.sign(&m, &private).unwrap();
        s.update(&message).unwrap();
        signature = s.finish().unwrap();
    });
    let verify = median_us(301, || {
        let mut v = mech.verify(&m, &public).unwrap();
        v.update(&message).unwrap();
        v.finish(&signature).unwrap();
    });
    println!("SLH-DSA-SHA2-128f µs, library alone: sign {lib_sign:.0}, verify {lib_verify:.0}");
    println!("SLH-DSA-SHA2-128f µs, MechanismImpl: sign {sign:.0}, verify {verify:.0}");
}

/// Key generation per set: also the cost of the PK.root check on import.
#[test]
#[ignore = "benchmark"]
fn keygen_timings() {
    for set in &SETS {
        let seeds = vec![9u8; 3 * set.n];
        let us = median_us(3, || {
            black_box(set.keypair(&seeds).unwrap());
        });
        let sk = set.keypair(&seeds).unwrap();
        let sign = median_us(1, || {
            black_box(set.sign(&sk, &[b"m"], None).unwrap());
        });
        println!(
            "{}: keygen {:.1} ms, sign {:.1} ms",
            set.name,
            us / 1000.0,
            sign / 1000.0
        );
    }
}
