//! The PKCS#11 3.0 message-based encryption functions with CKM_AES_GCM
//! (C_MessageEncryptInit … C_MessageDecryptFinal) through the raw 3.2
//! function list: the GCM specification's test cases, single-part and in
//! parts; IVs generated and written back; tags written back on encryption
//! and checked on decryption; the operation rules; Wycheproof's vectors.

use cryptoki::object::{Attribute, KeyType};
use cryptoki_sys::*;
use qrc_conformance::keys::{aes, secret_template};
use qrc_conformance::raw::{self, two_call, Mech};
use qrc_conformance::wycheproof::{destroy, refused_cleanly, run_file, Expect, Outcome};
use qrc_conformance::{call, rv_name, Fixture};
use std::ffi::c_void;
use std::ptr;

const PLEN: CK_ULONG = size_of::<CK_GCM_MESSAGE_PARAMS>() as CK_ULONG;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// A CK_GCM_MESSAGE_PARAMS over the caller's IV and tag buffers, which
/// the module may write.
struct Params {
    iv: Vec<u8>,
    tag: Vec<u8>,
    fixed_bits: CK_ULONG,
    generator: CK_GENERATOR_FUNCTION,
    raw: CK_GCM_MESSAGE_PARAMS,
}

impl Params {
    fn new(iv: &[u8], tag_bytes: usize) -> Box<Params> {
        Self::generated(iv, 0, CKG_NO_GENERATE, tag_bytes)
    }

    fn generated(
        iv: &[u8],
        fixed_bits: CK_ULONG,
        generator: CK_GENERATOR_FUNCTION,
        tag_bytes: usize,
    ) -> Box<Params> {
        Box::new(Params {
            iv: iv.to_vec(),
            tag: vec![0; tag_bytes],
            fixed_bits,
            generator,
            raw: CK_GCM_MESSAGE_PARAMS {
                pIv: ptr::null_mut(),
                ulIvLen: 0,
                ulIvFixedBits: 0,
                ivGenerator: 0,
                pTag: ptr::null_mut(),
                ulTagBits: 0,
            },
        })
    }

    /// The raw struct, pointing at this value's current buffers.
    fn ptr(&mut self) -> *mut c_void {
        self.raw = CK_GCM_MESSAGE_PARAMS {
            pIv: self.iv.as_mut_ptr(),
            ulIvLen: self.iv.len() as CK_ULONG,
            ulIvFixedBits: self.fixed_bits,
            ivGenerator: self.generator,
            pTag: self.tag.as_mut_ptr(),
            ulTagBits: (self.tag.len() * 8) as CK_ULONG,
        };
        ptr::addr_of_mut!(self.raw).cast()
    }
}

fn init(h: CK_SESSION_HANDLE, encrypt: bool, key: CK_OBJECT_HANDLE) -> CK_RV {
    let mut m = Mech::new(CKM_AES_GCM);
    if encrypt {
        call!(C_MessageEncryptInit(h, m.ptr(), key))
    } else {
        call!(C_MessageDecryptInit(h, m.ptr(), key))
    }
}

fn fin(h: CK_SESSION_HANDLE, encrypt: bool) -> CK_RV {
    if encrypt {
        call!(C_MessageEncryptFinal(h))
    } else {
        call!(C_MessageDecryptFinal(h))
    }
}

/// C_EncryptMessage / C_DecryptMessage under the two-call convention.
fn one(
    h: CK_SESSION_HANDLE,
    encrypt: bool,
    p: &mut Params,
    aad: &[u8],
    input: &[u8],
) -> Result<Vec<u8>, CK_RV> {
    let (a, i) = (aad.as_ptr().cast_mut(), input.as_ptr().cast_mut());
    let (al, il) = (aad.len() as CK_ULONG, input.len() as CK_ULONG);
    two_call(|out, len| {
        let pp = p.ptr();
        if encrypt {
            call!(C_EncryptMessage(h, pp, PLEN, a, al, i, il, out, len))
        } else {
            call!(C_DecryptMessage(h, pp, PLEN, a, al, i, il, out, len))
        }
    })
}

/// C_*MessageBegin then one C_*MessageNext per part (the last with
/// CKF_END_OF_MESSAGE); the outputs joined.
fn parts(
    h: CK_SESSION_HANDLE,
    encrypt: bool,
    p: &mut Params,
    aad: &[u8],
    pieces: &[&[u8]],
) -> Result<Vec<u8>, CK_RV> {
    let (a, al) = (aad.as_ptr().cast_mut(), aad.len() as CK_ULONG);
    let pp = p.ptr();
    let rv = if encrypt {
        call!(C_EncryptMessageBegin(h, pp, PLEN, a, al))
    } else {
        call!(C_DecryptMessageBegin(h, pp, PLEN, a, al))
    };
    if rv != CKR_OK {
        return Err(rv);
    }
    let mut all = Vec::new();
    for (n, piece) in pieces.iter().enumerate() {
        let flags = if n + 1 == pieces.len() {
            CKF_END_OF_MESSAGE
        } else {
            0
        };
        let (i, il) = (piece.as_ptr().cast_mut(), piece.len() as CK_ULONG);
        let out = two_call(|out, len| {
            let pp = p.ptr();
            if encrypt {
                call!(C_EncryptMessageNext(h, pp, PLEN, i, il, out, len, flags))
            } else {
                call!(C_DecryptMessageNext(h, pp, PLEN, i, il, out, len, flags))
            }
        })?;
        all.extend(out);
    }
    Ok(all)
}

/// The GCM specification's (McGrew & Viega) test cases 2, 4 and 6: no AAD;
/// AAD with a 96-bit IV; AAD with a 60-byte IV.
#[test]
fn gcm_spec_vectors_single_and_in_parts() {
    let tc4_pt = h(concat!(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
    ));
    let tc4_aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    let cases = [
        (
            "test case 2",
            h("00000000000000000000000000000000"),
            h("000000000000000000000000"),
            vec![],
            h("00000000000000000000000000000000"),
            h("0388dace60b6a392f328c2b971b2fe78"),
            h("ab6e47d42cec13bdf53a67b21257bddf"),
        ),
        (
            "test case 4",
            h("feffe9928665731c6d6a8f9467308308"),
            h("cafebabefacedbaddecaf888"),
            tc4_aad.clone(),
            tc4_pt.clone(),
            h(concat!(
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e",
                "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
            )),
            h("5bc94fbc3221a5db94fae95ae7121a47"),
        ),
        (
            "test case 6",
            h("feffe9928665731c6d6a8f9467308308"),
            h(concat!(
                "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728",
                "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b"
            )),
            tc4_aad,
            tc4_pt,
            h(concat!(
                "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7",
                "01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5"
            )),
            h("619cc5aefffe0bfa462af43c1699d050"),
        ),
    ];
    let fx = Fixture::new();
    let s = fx.user_session();
    let hs = s.handle();
    for (name, key, iv, aad, pt, ct, tag) in cases {
        let k = aes(&s, &key, vec![]);
        assert_eq!(init(hs, true, k), CKR_OK, "{name}: C_MessageEncryptInit");
        let mut p = Params::new(&iv, 16);
        assert_eq!(one(hs, true, &mut p, &aad, &pt), Ok(ct.clone()), "{name}");
        assert_eq!(p.tag, tag, "{name}: tag written back");
        assert_eq!(p.iv, iv, "{name}: CKG_NO_GENERATE keeps the IV");
        // The same message in three parts, in the same process.
        let mut p = Params::new(&iv, 16);
        let (a, b) = pt.split_at(pt.len() / 3);
        let (b, c) = b.split_at(b.len() / 2);
        assert_eq!(
            parts(hs, true, &mut p, &aad, &[a, b, c]),
            Ok(ct.clone()),
            "{name}: in parts"
        );
        assert_eq!(p.tag, tag, "{name}: tag in parts");
        // A 96-bit tag is the full one truncated.
        let mut p = Params::new(&iv, 12);
        assert_eq!(one(hs, true, &mut p, &aad, &pt), Ok(ct.clone()));
        assert_eq!(p.tag, tag[..12], "{name}: 96-bit tag");
        assert_eq!(fin(hs, true), CKR_OK, "{name}: C_MessageEncryptFinal");

        assert_eq!(init(hs, false, k), CKR_OK, "{name}: C_MessageDecryptInit");
        let mut p = Params::new(&iv, 16);
        p.tag = tag.clone();
        assert_eq!(one(hs, false, &mut p, &aad, &ct), Ok(pt.clone()), "{name}");
        let mut p = Params::new(&iv, 16);
        p.tag = tag.clone();
        let (a, b) = ct.split_at(ct.len() / 2);
        assert_eq!(
            parts(hs, false, &mut p, &aad, &[a, b]),
            Ok(pt.clone()),
            "{name}: decrypted in parts"
        );
        assert_eq!(fin(hs, false), CKR_OK, "{name}: C_MessageDecryptFinal");
    }
}

#[test]
fn generated_ivs_are_written_back_and_decrypt() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let hs = s.handle();
    let k = aes(&s, &[9u8; 32], vec![]);
    let prefix = [0xC0, 0xFF, 0xEE, 0x00];
    let mut iv_start = prefix.to_vec();
    iv_start.extend([0x55; 8]);
    let msg = b"a message under a generated IV";
    let mut sealed = Vec::new();
    assert_eq!(init(hs, true, k), CKR_OK);
    for generator in [
        CKG_GENERATE_COUNTER,
        CKG_GENERATE_COUNTER,
        CKG_GENERATE,
        CKG_GENERATE_RANDOM,
        CKG_GENERATE_RANDOM,
    ] {
        let mut p = Params::generated(&iv_start, 32, generator, 16);
        let ct = one(hs, true, &mut p, b"hdr", msg).expect("C_EncryptMessage");
        assert_eq!(p.iv[..4], prefix, "the fixed 32 bits are kept");
        assert_ne!(p.tag, [0; 16], "tag written back");
        sealed.push((p.iv.clone(), p.tag.clone(), ct));
    }
    // In parts: the IV is generated (and written back) at Begin.
    let mut p = Params::generated(&iv_start, 32, CKG_GENERATE_COUNTER, 16);
    let ct = parts(hs, true, &mut p, b"hdr", &[&msg[..5], &msg[5..]]).expect("parts");
    sealed.push((p.iv.clone(), p.tag.clone(), ct));
    assert_eq!(fin(hs, true), CKR_OK);

    let ivs: std::collections::HashSet<_> = sealed.iter().map(|(iv, _, _)| iv.clone()).collect();
    assert_eq!(ivs.len(), sealed.len(), "no IV repeats: {sealed:?}");
    assert!(!ivs.contains(&iv_start), "the caller's IV was replaced");

    assert_eq!(init(hs, false, k), CKR_OK);
    for (iv, tag, ct) in &sealed {
        let mut p = Params::new(iv, 16);
        p.tag = tag.clone();
        assert_eq!(one(hs, false, &mut p, b"hdr", ct).as_deref(), Ok(&msg[..]));
    }
    assert_eq!(fin(hs, false), CKR_OK);
}

#[test]
fn wrong_tag_or_aad_is_refused_and_the_process_continues() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let hs = s.handle();
    let k = aes(&s, &[3u8; 16], vec![]);
    let iv = [7u8; 12];
    assert_eq!(init(hs, true, k), CKR_OK);
    let mut p = Params::new(&iv, 16);
    let ct = one(hs, true, &mut p, b"aad", b"secret message").unwrap();
    let tag = p.tag.clone();
    assert_eq!(fin(hs, true), CKR_OK);

    assert_eq!(init(hs, false, k), CKR_OK);
    let mut bad = Params::new(&iv, 16);
    bad.tag = tag.clone();
    bad.tag[0] ^= 0x80;
    assert_eq!(
        one(hs, false, &mut bad, b"aad", &ct),
        Err(CKR_ENCRYPTED_DATA_INVALID)
    );
    // In parts: nothing released before the last part, then refused.
    let mut bad = Params::new(&iv, 16);
    bad.tag = tag.clone();
    bad.tag[15] ^= 1;
    assert_eq!(
        parts(hs, false, &mut bad, b"aad", &[&ct[..4], &ct[4..]]),
        Err(CKR_ENCRYPTED_DATA_INVALID)
    );
    let mut other_aad = Params::new(&iv, 16);
    other_aad.tag = tag.clone();
    assert_eq!(
        one(hs, false, &mut other_aad, b"AAD", &ct),
        Err(CKR_ENCRYPTED_DATA_INVALID)
    );
    // A failed message leaves the process running.
    let mut good = Params::new(&iv, 16);
    good.tag = tag;
    assert_eq!(
        one(hs, false, &mut good, b"aad", &ct).as_deref(),
        Ok(&b"secret message"[..])
    );
    assert_eq!(fin(hs, false), CKR_OK);
}

#[test]
fn operation_rules() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let hs = s.handle();
    let k = aes(&s, &[1u8; 16], vec![]);
    let iv = [0u8; 12];
    let (d, dl) = (b"data".as_ptr().cast_mut(), 4 as CK_ULONG);
    let mut out = [0u8; 64];
    let mut len: CK_ULONG = 64;

    let mut info = CK_MECHANISM_INFO {
        ulMinKeySize: 0,
        ulMaxKeySize: 0,
        flags: 0,
    };
    assert_eq!(
        call!(C_GetMechanismInfo(fx.slot.id(), CKM_AES_GCM, &mut info)),
        CKR_OK
    );
    assert_eq!(
        info.flags & (CKF_MESSAGE_ENCRYPT | CKF_MESSAGE_DECRYPT),
        CKF_MESSAGE_ENCRYPT | CKF_MESSAGE_DECRYPT
    );

    // Nothing before init.
    let mut p = Params::new(&iv, 16);
    assert_eq!(
        one(hs, true, &mut p, b"", b"x"),
        Err(CKR_OPERATION_NOT_INITIALIZED)
    );
    assert_eq!(
        one(hs, false, &mut p, b"", b"x"),
        Err(CKR_OPERATION_NOT_INITIALIZED)
    );
    assert_eq!(fin(hs, true), CKR_OPERATION_NOT_INITIALIZED);
    assert_eq!(fin(hs, false), CKR_OPERATION_NOT_INITIALIZED);
    assert_eq!(
        call!(C_EncryptMessageNext(
            hs,
            p.ptr(),
            PLEN,
            d,
            dl,
            out.as_mut_ptr(),
            &mut len,
            CKF_END_OF_MESSAGE
        )),
        CKR_OPERATION_NOT_INITIALIZED
    );

    // One process per direction; encryption and decryption side by side.
    assert_eq!(init(hs, true, k), CKR_OK);
    assert_eq!(init(hs, true, k), CKR_OPERATION_ACTIVE);
    assert_eq!(init(hs, false, k), CKR_OK);
    // C_EncryptInit is a different operation, unaffected.
    assert_eq!(
        call!(C_EncryptInit(hs, Mech::aes_gcm(&iv, b"", 128).ptr(), k)),
        CKR_OK
    );
    // Next before Begin; a message inside a multi-part one.
    assert_eq!(
        call!(C_EncryptMessageNext(
            hs,
            p.ptr(),
            PLEN,
            d,
            dl,
            out.as_mut_ptr(),
            &mut len,
            0
        )),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_eq!(
        call!(C_EncryptMessageBegin(hs, p.ptr(), PLEN, ptr::null_mut(), 0)),
        CKR_OK
    );
    assert_eq!(one(hs, true, &mut p, b"", b"x"), Err(CKR_OPERATION_ACTIVE));
    assert_eq!(
        call!(C_EncryptMessageBegin(hs, p.ptr(), PLEN, ptr::null_mut(), 0)),
        CKR_OPERATION_ACTIVE
    );
    // An argument error in Next ends the message, not the process.
    assert_eq!(
        call!(C_EncryptMessageNext(
            hs,
            p.ptr(),
            PLEN,
            d,
            dl,
            out.as_mut_ptr(),
            ptr::null_mut(),
            0
        )),
        CKR_ARGUMENTS_BAD
    );
    assert!(one(hs, true, &mut p, b"", b"x").is_ok());
    // A short buffer keeps the message; the length is reported.
    assert_eq!(
        call!(C_EncryptMessageBegin(hs, p.ptr(), PLEN, ptr::null_mut(), 0)),
        CKR_OK
    );
    len = 2;
    assert_eq!(
        call!(C_EncryptMessageNext(
            hs,
            p.ptr(),
            PLEN,
            d,
            dl,
            out.as_mut_ptr(),
            &mut len,
            CKF_END_OF_MESSAGE
        )),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(len, 4);
    len = 64;
    assert_eq!(
        call!(C_EncryptMessageNext(
            hs,
            p.ptr(),
            PLEN,
            d,
            dl,
            out.as_mut_ptr(),
            &mut len,
            CKF_END_OF_MESSAGE
        )),
        CKR_OK
    );
    assert_eq!(len, 4);
    // Bad message parameters: refused, the process goes on.
    let mut short_tag = Params::new(&iv, 8);
    assert_eq!(
        one(hs, true, &mut short_tag, b"", b"x"),
        Err(CKR_MECHANISM_PARAM_INVALID)
    );
    let mut no_iv = Params::new(&[], 16);
    assert_eq!(
        one(hs, true, &mut no_iv, b"", b"x"),
        Err(CKR_MECHANISM_PARAM_INVALID)
    );
    len = 64;
    assert_eq!(
        call!(C_EncryptMessage(
            hs,
            p.ptr(),
            PLEN - 8,
            ptr::null_mut(),
            0,
            d,
            dl,
            out.as_mut_ptr(),
            &mut len
        )),
        CKR_MECHANISM_PARAM_INVALID
    );
    assert!(one(hs, true, &mut p, b"", b"x").is_ok());
    // C_MessageEncryptInit(NULL) ends the process.
    assert_eq!(call!(C_MessageEncryptInit(hs, ptr::null_mut(), k)), CKR_OK);
    assert_eq!(
        one(hs, true, &mut p, b"", b"x"),
        Err(CKR_OPERATION_NOT_INITIALIZED)
    );
    assert_eq!(fin(hs, false), CKR_OK);
    assert_eq!(fin(hs, false), CKR_OPERATION_NOT_INITIALIZED);

    // Key and mechanism checks at init.
    let no_encrypt = aes(&s, &[2u8; 16], vec![Attribute::Encrypt(false)]);
    assert_eq!(init(hs, true, no_encrypt), CKR_KEY_FUNCTION_NOT_PERMITTED);
    assert_eq!(init(hs, false, no_encrypt), CKR_OK);
    assert_eq!(fin(hs, false), CKR_OK);
    let cbc_only = aes(
        &s,
        &[2u8; 16],
        vec![Attribute::AllowedMechanisms(vec![
            cryptoki::mechanism::MechanismType::AES_CBC,
        ])],
    );
    assert_eq!(init(hs, true, cbc_only), CKR_MECHANISM_INVALID);
    let mut cbc = Mech::iv(CKM_AES_CBC, &[0u8; 16]);
    assert_eq!(
        call!(C_MessageEncryptInit(hs, cbc.ptr(), k)),
        CKR_MECHANISM_INVALID
    );
    assert_eq!(
        call!(C_MessageEncryptInit(hs, ptr::null_mut(), 0)),
        CKR_OK,
        "NULL mechanism with nothing running"
    );
    assert_eq!(init(hs, true, 0xdead_beef), CKR_KEY_HANDLE_INVALID);
    // The session closes with the processes running: nothing leaks.
    assert_eq!(init(hs, true, k), CKR_OK);
}

/// Wycheproof's AES-GCM vectors through C_EncryptMessage and
/// C_DecryptMessage: a valid case must give the ciphertext and tag and
/// decrypt; an invalid one must be refused on decryption.
#[test]
fn wycheproof_aes_gcm_message() {
    run_file("aes_gcm_test.json", |hs, c| {
        let (key, iv, aad, msg) = (c.hex("key"), c.hex("iv"), c.hex("aad"), c.hex("msg"));
        let (ct, tag) = (c.hex("ct"), c.hex("tag"));
        let tag_bytes = (c.group_u64("tagSize") / 8) as usize;
        let k = match raw::create(hs, secret_template(KeyType::AES, &key)) {
            Ok(k) => k,
            Err(rv) => return Outcome::Mismatch(format!("AES key refused: {}", rv_name(rv))),
        };
        let outcome = (|| {
            if init(hs, true, k) != CKR_OK || init(hs, false, k) != CKR_OK {
                return Outcome::Mismatch("C_Message*Init failed".into());
            }
            let mut e = Params::new(&iv, tag_bytes);
            let enc = one(hs, true, &mut e, &aad, &msg);
            let mut d = Params::new(&iv, tag.len());
            d.tag = tag.clone();
            let dec = if tag.len() == tag_bytes {
                one(hs, false, &mut d, &aad, &ct)
            } else {
                Err(CKR_MECHANISM_PARAM_INVALID)
            };
            match c.result {
                Expect::Valid => match (enc, dec) {
                    (Ok(got), Ok(p)) if got == ct && e.tag == tag && p == msg => Outcome::Accepted,
                    (Ok(got), _) if got != ct => c.compare("C_EncryptMessage", &got, &ct),
                    (Ok(_), Ok(p)) if p == msg => c.compare("tag", &e.tag, &tag),
                    (Ok(_), Ok(p)) => c.compare("C_DecryptMessage", &p, &msg),
                    (Err(rv), _) => Outcome::Mismatch(format!("C_EncryptMessage: {}", rv_name(rv))),
                    (_, Err(rv)) => Outcome::Mismatch(format!("C_DecryptMessage: {}", rv_name(rv))),
                },
                _ => match dec {
                    Err(rv) => refused_cleanly("C_DecryptMessage", rv),
                    Ok(p) => c.compare("C_DecryptMessage", &p, &msg),
                },
            }
        })();
        fin(hs, true);
        fin(hs, false);
        destroy(hs, k);
        outcome
    });
}

#[test]
fn length_query_generates_nothing() {
    let fx = Fixture::new();
    let s = fx.user_session();
    let hs = s.handle();
    let k = aes(&s, &[5u8; 16], vec![]);
    assert_eq!(init(hs, true, k), CKR_OK);
    let mut p = Params::generated(&[0; 12], 0, CKG_GENERATE_COUNTER, 16);
    let (d, dl) = (b"0123456789".as_ptr().cast_mut(), 10 as CK_ULONG);
    let mut len: CK_ULONG = 0;
    assert_eq!(
        call!(C_EncryptMessage(
            hs,
            p.ptr(),
            PLEN,
            ptr::null_mut(),
            0,
            d,
            dl,
            ptr::null_mut(),
            &mut len
        )),
        CKR_OK
    );
    assert_eq!(len, 10);
    assert_eq!(p.iv, [0; 12]);
    assert_eq!(p.tag, [0; 16]);
    // The first real call gets counter 0, the next counter 1.
    let a = one(hs, true, &mut p, b"", b"0123456789").unwrap();
    assert_eq!(p.iv, [0; 12]);
    let b = one(hs, true, &mut p, b"", b"0123456789").unwrap();
    assert_eq!(p.iv[11], 1);
    assert_ne!(a, b);
    assert_eq!(fin(hs, true), CKR_OK);
}
