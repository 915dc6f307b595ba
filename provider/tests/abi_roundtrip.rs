//! End to end through the 3.2 function list: C arguments in, the api called,
//! results written back. Covers what only the ABI layer does: filling a
//! C_GetAttributeValue template, the two-call length convention, in-place
//! encryption (output over input), and both CK_GCM_PARAMS layouts.
//!
//! One test function: C_Initialize is process-wide state.

mod abi_support;

use abi_support::*;
use cryptoki_sys::*;
use std::ffi::c_void;
use std::mem::size_of;
use std::ptr::null_mut;

/// Call `$f.$name(args)` through the function list.
macro_rules! call {
    ($f:ident . $name:ident ( $($arg:expr),* $(,)? )) => {
        unsafe { ($f.$name.expect(stringify!($name)))($($arg),*) }
    };
}

const SO_PIN: &[u8] = b"abcdef654321";
const USER_PIN: &[u8] = b"fedcba123456";

fn ulong(n: usize) -> CK_ULONG {
    n as CK_ULONG
}

/// An attribute pointing at `v` (which must outlive its use).
fn attr<T: ?Sized>(type_: CK_ATTRIBUTE_TYPE, v: &T) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_,
        pValue: (v as *const T).cast::<c_void>().cast_mut(),
        ulValueLen: ulong(std::mem::size_of_val(v)),
    }
}

fn pin(p: &[u8]) -> (*mut CK_UTF8CHAR, CK_ULONG) {
    (p.as_ptr().cast_mut(), ulong(p.len()))
}

/// Initialise the token in the first slot, open a R/W session, log the user in.
fn session(f: &CK_FUNCTION_LIST_3_2) -> CK_SESSION_HANDLE {
    let mut n: CK_ULONG = 0;
    assert_eq!(call!(f.C_GetSlotList(CK_FALSE, null_mut(), &mut n)), CKR_OK);
    let mut slots = vec![0 as CK_SLOT_ID; n as usize];
    assert_eq!(
        call!(f.C_GetSlotList(CK_FALSE, slots.as_mut_ptr(), &mut n)),
        CKR_OK
    );
    let slot = *slots.first().expect("a slot");

    let mut label = [b' '; 32];
    label[..3].copy_from_slice(b"abi");
    let (so, so_len) = pin(SO_PIN);
    let (user, user_len) = pin(USER_PIN);
    assert_eq!(
        call!(f.C_InitToken(slot, so, so_len, label.as_mut_ptr())),
        CKR_OK
    );
    let mut h: CK_SESSION_HANDLE = 0;
    let flags = CKF_SERIAL_SESSION | CKF_RW_SESSION;
    assert_eq!(
        call!(f.C_OpenSession(slot, flags, null_mut(), None, &mut h)),
        CKR_OK
    );
    assert_eq!(call!(f.C_Login(h, CKU_SO, so, so_len)), CKR_OK);
    assert_eq!(call!(f.C_InitPIN(h, user, user_len)), CKR_OK);
    assert_eq!(call!(f.C_Logout(h)), CKR_OK);
    assert_eq!(call!(f.C_Login(h, CKU_USER, user, user_len)), CKR_OK);
    h
}

/// A session data object, then C_GetAttributeValue with a length query, a
/// short buffer, a long enough buffer and an attribute a data object lacks.
fn get_attribute_value(f: &CK_FUNCTION_LIST_3_2, h: CK_SESSION_HANDLE) -> CK_OBJECT_HANDLE {
    let class = CKO_DATA;
    let token = CK_FALSE;
    let mut t = [
        attr(CKA_CLASS, &class),
        attr(CKA_TOKEN, &token),
        attr(CKA_LABEL, &b"abi-data"[..]),
        attr(CKA_VALUE, &b"hello world"[..]),
    ];
    let mut obj: CK_OBJECT_HANDLE = 0;
    assert_eq!(
        call!(f.C_CreateObject(h, t.as_mut_ptr(), ulong(t.len()), &mut obj)),
        CKR_OK
    );

    let mut short = [0u8; 4];
    let mut long = [0u8; 32];
    let mut t = [
        CK_ATTRIBUTE {
            type_: CKA_LABEL,
            pValue: null_mut(),
            ulValueLen: 0,
        },
        CK_ATTRIBUTE {
            type_: CKA_VALUE,
            pValue: short.as_mut_ptr().cast(),
            ulValueLen: 4,
        },
        CK_ATTRIBUTE {
            type_: CKA_VALUE,
            pValue: long.as_mut_ptr().cast(),
            ulValueLen: 32,
        },
        CK_ATTRIBUTE {
            type_: CKA_MODULUS,
            pValue: null_mut(),
            ulValueLen: 0,
        },
    ];
    let rv = call!(f.C_GetAttributeValue(h, obj, t.as_mut_ptr(), ulong(t.len())));
    // TYPE_INVALID outranks BUFFER_TOO_SMALL.
    assert_eq!(rv, CKR_ATTRIBUTE_TYPE_INVALID);
    let lens: Vec<CK_ULONG> = t.iter().map(|a| a.ulValueLen).collect();
    assert_eq!(
        lens,
        [
            8,
            CK_UNAVAILABLE_INFORMATION,
            11,
            CK_UNAVAILABLE_INFORMATION
        ]
    );
    assert_eq!(&long[..11], b"hello world");
    assert_eq!(short, [0; 4], "short buffer written");
    obj
}

/// C_FindObjects writes the handles and the count.
fn find(f: &CK_FUNCTION_LIST_3_2, h: CK_SESSION_HANDLE, expected: CK_OBJECT_HANDLE) {
    let mut t = [attr(CKA_LABEL, &b"abi-data"[..])];
    assert_eq!(call!(f.C_FindObjectsInit(h, t.as_mut_ptr(), 1)), CKR_OK);
    let mut found = [0 as CK_OBJECT_HANDLE; 4];
    let mut n: CK_ULONG = 99;
    assert_eq!(
        call!(f.C_FindObjects(h, found.as_mut_ptr(), 4, &mut n)),
        CKR_OK
    );
    assert_eq!((n, found[0]), (1, expected));
    assert_eq!(
        call!(f.C_FindObjects(h, found.as_mut_ptr(), 4, &mut n)),
        CKR_OK
    );
    assert_eq!(n, 0);
    assert_eq!(call!(f.C_FindObjectsFinal(h)), CKR_OK);
}

/// C_Digest under the two-call convention: a length query and a short
/// buffer leave the operation running; the full call ends it.
fn digest_two_call(f: &CK_FUNCTION_LIST_3_2, h: CK_SESSION_HANDLE) {
    let mut m = CK_MECHANISM {
        mechanism: CKM_SHA256,
        pParameter: null_mut(),
        ulParameterLen: 0,
    };
    let data = b"abc".as_ptr().cast_mut();
    assert_eq!(call!(f.C_DigestInit(h, &mut m)), CKR_OK);
    let mut n: CK_ULONG = 0;
    assert_eq!(call!(f.C_Digest(h, data, 3, null_mut(), &mut n)), CKR_OK);
    assert_eq!(n, 32);
    let mut out = [0u8; 32];
    let mut n: CK_ULONG = 16;
    assert_eq!(
        call!(f.C_Digest(h, data, 3, out.as_mut_ptr(), &mut n)),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(n, 32);
    let mut n: CK_ULONG = 32;
    assert_eq!(
        call!(f.C_Digest(h, data, 3, out.as_mut_ptr(), &mut n)),
        CKR_OK
    );
    let sha256_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!((n, hex.as_str()), (32, sha256_abc));
    let rv = call!(f.C_Digest(h, data, 3, out.as_mut_ptr(), &mut n));
    assert_eq!(rv, CKR_OPERATION_NOT_INITIALIZED);
}

/// The PKCS#11 2.40 CK_GCM_PARAMS (no ulIvBits), as Java's SunPKCS11 sends it.
#[repr(C)]
struct GcmParams240 {
    p_iv: *mut CK_BYTE,
    ul_iv_len: CK_ULONG,
    p_aad: *mut CK_BYTE,
    ul_aad_len: CK_ULONG,
    ul_tag_bits: CK_ULONG,
}

/// AES-GCM encryption and decryption in place, with the parameter in the
/// 2.40 layout to encrypt and the 3.0 layout to decrypt.
fn gcm_in_place(f: &CK_FUNCTION_LIST_3_2, h: CK_SESSION_HANDLE) {
    let (len, yes, no) = (32 as CK_ULONG, CK_TRUE, CK_FALSE);
    let mut t = [
        attr(CKA_VALUE_LEN, &len),
        attr(CKA_TOKEN, &no),
        attr(CKA_ENCRYPT, &yes),
        attr(CKA_DECRYPT, &yes),
    ];
    let mut gen = CK_MECHANISM {
        mechanism: CKM_AES_KEY_GEN,
        pParameter: null_mut(),
        ulParameterLen: 0,
    };
    let mut key: CK_OBJECT_HANDLE = 0;
    let rv = call!(f.C_GenerateKey(h, &mut gen, t.as_mut_ptr(), ulong(t.len()), &mut key));
    assert_eq!(rv, CKR_OK);

    let mut iv = [7u8; 12];
    let mut aad = *b"header";
    let mut p240 = GcmParams240 {
        p_iv: iv.as_mut_ptr(),
        ul_iv_len: 12,
        p_aad: aad.as_mut_ptr(),
        ul_aad_len: 6,
        ul_tag_bits: 128,
    };
    let mut m = CK_MECHANISM {
        mechanism: CKM_AES_GCM,
        pParameter: (&mut p240 as *mut GcmParams240).cast(),
        ulParameterLen: ulong(size_of::<GcmParams240>()),
    };
    let plain = b"in-place plaintext";
    let mut buf = [0u8; 64];
    buf[..plain.len()].copy_from_slice(plain);
    let p = buf.as_mut_ptr();
    assert_eq!(call!(f.C_EncryptInit(h, &mut m, key)), CKR_OK);
    let mut n: CK_ULONG = 64;
    assert_eq!(
        call!(f.C_Encrypt(h, p, ulong(plain.len()), p, &mut n)),
        CKR_OK
    );
    assert_eq!(n, ulong(plain.len() + 16));
    assert_ne!(&buf[..plain.len()], plain);

    let mut p30 = CK_GCM_PARAMS {
        pIv: iv.as_mut_ptr(),
        ulIvLen: 12,
        ulIvBits: 96,
        pAAD: aad.as_mut_ptr(),
        ulAADLen: 6,
        ulTagBits: 128,
    };
    let mut m = CK_MECHANISM {
        mechanism: CKM_AES_GCM,
        pParameter: (&mut p30 as *mut CK_GCM_PARAMS).cast(),
        ulParameterLen: ulong(size_of::<CK_GCM_PARAMS>()),
    };
    assert_eq!(call!(f.C_DecryptInit(h, &mut m, key)), CKR_OK);
    let sealed = n;
    let mut n: CK_ULONG = 64;
    assert_eq!(call!(f.C_Decrypt(h, p, sealed, p, &mut n)), CKR_OK);
    assert_eq!((n, &buf[..plain.len()]), (ulong(plain.len()), &plain[..]));
}

#[test]
fn calls_reach_the_api_and_results_come_back() {
    let dir = private_store("roundtrip");

    let f = list_3_2();
    assert_eq!(call!(f.C_Initialize(null_mut())), CKR_OK);
    let h = session(f);
    let obj = get_attribute_value(f, h);
    find(f, h, obj);
    digest_two_call(f, h);
    gcm_in_place(f, h);
    let mut random = [0u8; 32];
    assert_eq!(
        call!(f.C_GenerateRandom(h, random.as_mut_ptr(), 32)),
        CKR_OK
    );
    assert_ne!(random, [0; 32]);
    assert_eq!(call!(f.C_CloseSession(h)), CKR_OK);
    assert_eq!(call!(f.C_Finalize(null_mut())), CKR_OK);
    let _ = std::fs::remove_dir_all(&dir);
}
