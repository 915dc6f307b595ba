//! Timings (release build): `cargo test --release -p qrc-emulator --lib
//! mech::falcon::tests::bench -- --ignored --nocapture`.

use super::{falcon, key};
use crate::attr::Attributes;
use crate::mech::falcon::scheme::SETS;
use crate::mech::{asn1, registry, MechParam, Mechanism};
use crate::vendor::{CKM_FALCON, CKM_FALCON_KEY_PAIR_GEN};
use cryptoki_sys::*;
use falcon::falcon::*;
use falcon::shake::InnerShake256Context;
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
fn falcon_512_timings() {
    let set = &SETS[0];
    let message = [0x5a; 64];
    // The library alone: falcon.h-style calls with an OS-seeded SHAKE PRNG.
    let mut rng = InnerShake256Context::new();
    assert_eq!(shake256_init_prng_from_system(&mut rng), 0);
    let (mut sk, mut pk) = (vec![0u8; set.sk_len], vec![0u8; set.pk_len]);
    let mut tmp = vec![0u8; falcon_tmpsize_keygen(9)];
    let lib_keygen = median_us(31, || {
        assert_eq!(
            falcon_keygen_make(&mut rng, 9, &mut sk, Some(&mut pk), &mut tmp),
            0
        );
    });
    let mut sig = vec![0u8; set.max_sig_len];
    let mut sig_len = 0;
    let mut tmp = vec![0u8; falcon_tmpsize_signdyn(9)];
    let lib_sign = median_us(301, || {
        sig_len = sig.len();
        let status = falcon_sign_dyn(
            &mut rng,
            &mut sig,
            &mut sig_len,
            FALCON_SIG_COMPRESSED,
            &sk,
            &message,
            &mut tmp,
        );
        assert_eq!(status, 0);
    });
    let mut tmp = vec![0u8; falcon_tmpsize_verify(9)];
    let lib_verify = median_us(1001, || {
        assert_eq!(
            falcon_verify(
                &sig[..sig_len],
                FALCON_SIG_COMPRESSED,
                &pk,
                &message,
                &mut tmp
            ),
            0
        );
    });
    let mut tmp = vec![0u8; falcon_tmpsize_makepub(9)];
    let lib_make_public = median_us(1001, || {
        assert_eq!(falcon_make_public(&mut pk, &sk, &mut tmp), 0);
    });

    // Through the registry: key-pair generation includes the pairwise test.
    let m = Mechanism {
        ty: CKM_FALCON_KEY_PAIR_GEN,
        param: MechParam::None,
    };
    let gen = registry().get(CKM_FALCON_KEY_PAIR_GEN).unwrap();
    let mut public_template = Attributes::new();
    public_template.set_ulong(CKA_PARAMETER_SET, set.ckp);
    let none = Attributes::new();
    let keygen = median_us(31, || {
        black_box(gen.generate_key_pair(&m, &public_template, &none).unwrap());
    });
    let (mut private, public) = (
        key(CKO_PRIVATE_KEY, set, &sk),
        key(CKO_PUBLIC_KEY, set, &pk),
    );
    // As stored: generation and import give private keys their SPKI.
    private.set(CKA_PUBLIC_KEY_INFO, asn1::spki(&set.oid, &pk).unwrap());
    let mech = registry().get(CKM_FALCON).unwrap();
    let mut signature = Vec::new();
    let sign = median_us(301, || {
        let mut s = mech.sign(&falcon(), &private).unwrap();
        s.update(&message).unwrap();
        signature = s.finish().unwrap();
    });
    let verify = median_us(1001, || {
        let mut v = mech.verify(&falcon(), &public).unwrap();
        v.update(&message).unwrap();
        v.finish(&signature).unwrap();
    });
    println!("Falcon-512 µs, library alone: keygen {lib_keygen:.0}, sign {lib_sign:.0}, verify {lib_verify:.1}, make_public {lib_make_public:.1}");
    println!("Falcon-512 µs, MechanismImpl: keygen {keygen:.0} (with PCT), sign {sign:.0}, verify {verify:.1}");
}
