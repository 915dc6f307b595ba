//! Post-quantum private keys moved between two tokens of one module: the
//! same AES key imported in both, the private key wrapped with
//! CKM_AES_KEY_WRAP_KWP on the first token and unwrapped on the second,
//! where it must work with the first token's public key (signatures verify,
//! decapsulation gives the encapsulated secret) and CKM_PUB_KEY_FROM_PRIV_KEY
//! must give that public key back.

use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use cryptoki_sys::*;
use pqc_common::{sign_with, verify_with, Failures};
use qrc_conformance::pqc::{self, Family, ParamSet, Scratch};
use qrc_conformance::raw::{self, Mech};
use qrc_conformance::{expect_ok, keys, Fixture, SO_PIN, USER_PIN};
use tempfile::TempDir;

mod pqc_common;

/// The wrapping key both tokens hold.
const KEK: [u8; 32] = [0x5c; 32];

/// Initialises the token in `slot` (SO and user PIN as the fixture's) and
/// returns a user session on it.
fn second_token(fx: &Fixture, slot: Slot) -> Session {
    expect_ok(
        fx.ctx.init_token(slot, &AuthPin::from(SO_PIN), "second"),
        "C_InitToken(slot 1)",
    );
    let so = expect_ok(fx.ctx.open_rw_session(slot), "C_OpenSession(slot 1)");
    expect_ok(
        so.login(UserType::So, Some(&AuthPin::from(SO_PIN))),
        "C_Login(SO, slot 1)",
    );
    expect_ok(so.init_pin(&AuthPin::from(USER_PIN)), "C_InitPIN(slot 1)");
    expect_ok(so.logout(), "C_Logout(SO, slot 1)");
    let user = expect_ok(fx.ctx.open_rw_session(slot), "C_OpenSession(slot 1)");
    expect_ok(
        user.login(UserType::User, Some(&AuthPin::from(USER_PIN))),
        "C_Login(USER, slot 1)",
    );
    user
}

/// A session on each token: `a` holds the original pair, `b` receives the
/// private key; `kek_a` / `kek_b` are the same AES key on each.
struct Tokens {
    a: CK_SESSION_HANDLE,
    b: CK_SESSION_HANDLE,
    kek_a: CK_OBJECT_HANDLE,
    kek_b: CK_OBJECT_HANDLE,
}

/// Generates a pair of `set` on token A (the private half a sensitive,
/// extractable token key), moves the private half to token B and uses it
/// there with A's public key.
fn move_private_key(t: &Tokens, set: &ParamSet) -> Result<(), String> {
    let (mut on_a, mut on_b) = (Scratch::new(t.a), Scratch::new(t.b));
    let (public, _) = pqc::pair_templates(set);
    let private = vec![
        pqc::bool_attr(CKA_TOKEN, true),
        pqc::bool_attr(CKA_SENSITIVE, true),
        pqc::bool_attr(CKA_EXTRACTABLE, true),
        pqc::bool_attr(set.family.private_usage(), true),
    ];
    let (pk, sk) = pqc::must(
        pqc::generate_key_pair(t.a, set.family.keygen(), public, private),
        "C_GenerateKeyPair on A",
    )?;
    on_a.keep(pk);
    on_a.keep(sk);
    let mut kwp = Mech::new(CKM_AES_KEY_WRAP_KWP);
    let blob = pqc::must(raw::wrap(t.a, &mut kwp, t.kek_a, sk), "C_WrapKey on A")?;
    let template = vec![
        pqc::ulong_attr(CKA_CLASS, CKO_PRIVATE_KEY),
        pqc::ulong_attr(CKA_KEY_TYPE, set.family.key_type()),
        pqc::bool_attr(CKA_TOKEN, true),
        pqc::bool_attr(CKA_SENSITIVE, true),
        pqc::bool_attr(set.family.private_usage(), true),
    ];
    let moved = on_b.keep(pqc::must(
        raw::unwrap(t.b, &mut kwp, t.kek_b, &blob, template),
        "C_UnwrapKey on B",
    )?);
    let ckp = pqc::must(
        raw::attr_ulong(t.b, moved, CKA_PARAMETER_SET),
        "CKA_PARAMETER_SET on B",
    )?;
    if ckp != set.ckp {
        return Err(format!("CKA_PARAMETER_SET on B {ckp}, want {}", set.ckp));
    }
    let pk_value = pqc::read(t.a, pk, CKA_VALUE)?;
    let derived = pqc::must(
        on_b.public_from(moved),
        "C_DeriveKey(CKM_PUB_KEY_FROM_PRIV_KEY) on B",
    )?;
    pqc::same(
        "public key derived on B vs A's public key",
        &pqc::read(t.b, derived, CKA_VALUE)?,
        &pk_value,
    )?;
    if set.family != Family::MlKem {
        let msg = b"signed on token B, verified on token A";
        let sig = sign_with(t.b, set, moved, msg)?;
        return verify_with(t.a, set, pk, msg, &sig);
    }
    let mut kem = Mech::new(CKM_ML_KEM);
    let (ct, sent) = pqc::must(
        pqc::encapsulate(t.a, &mut kem, pk, pqc::secret_template()),
        "C_EncapsulateKey on A",
    )?;
    on_a.keep(sent);
    let received = on_b.keep(pqc::must(
        pqc::decapsulate(t.b, &mut kem, moved, pqc::secret_template(), &ct),
        "C_DecapsulateKey on B",
    )?);
    pqc::same(
        "secret decapsulated on B vs encapsulated on A",
        &pqc::read(t.b, received, CKA_VALUE)?,
        &pqc::read(t.a, sent, CKA_VALUE)?,
    )
}

#[test]
fn private_keys_move_between_tokens_under_aes_kwp() {
    let second_store = TempDir::with_prefix("qrc-store-b-").expect("create store tempdir");
    let config = format!(
        "[[token]]\nslot = 0\n\n[[token]]\nslot = 1\nstore = \"{}\"\n",
        second_store.path().display()
    );
    let fx = Fixture::builder().config(&config).build();
    let slot_b = Slot::try_from(1u64).expect("slot 1");
    let a = fx.user_session();
    let b = second_token(&fx, slot_b);
    let t = Tokens {
        a: a.handle(),
        b: b.handle(),
        kek_a: keys::aes(&a, &KEK, vec![]),
        kek_b: keys::aes(&b, &KEK, vec![]),
    };
    let mut f = Failures::new();
    for set in [
        "ML-DSA-65",
        "ML-KEM-768",
        "SLH-DSA-SHA2-128f",
        "Falcon-1024",
    ]
    .map(pqc::param_set)
    {
        f.check(set.name, move_private_key(&t, set));
    }
    f.finish();
}
