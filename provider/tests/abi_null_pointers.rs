//! The null-pointer pass: every entry point that takes pointers, called
//! through the 3.2 function list with NULL where PKCS#11 requires a value,
//! answers CKR_ARGUMENTS_BAD (checked in the ABI layer, before anything else)
//! and never crashes, before and after C_Initialize. Where NULL is legal (a
//! length query, an empty input) the call must get past the ABI layer.
//!
//! One test function: C_Initialize is process-wide state.

mod abi_support;

use abi_support::*;
use cryptoki_sys::*;
use std::ptr::null_mut;

#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Refused by the ABI layer's pointer checks.
    Bad,
    /// A fixed answer of the ABI layer: template or mechanism errors, and
    /// the functions the module does not offer.
    Rv(CK_RV),
    /// Legal arguments: the call reaches the api.
    Api,
}
use Expect::*;

struct Case {
    call: &'static str,
    rv: CK_RV,
    expect: Expect,
}

/// Call `$f.$name(args)` through the function list and record the result.
macro_rules! case {
    ($expect:expr, $f:ident . $name:ident ( $($arg:expr),* $(,)? )) => {
        Case {
            call: concat!(stringify!($name), "(", stringify!($($arg),*), ")"),
            rv: unsafe { ($f.$name.expect(stringify!($name)))($($arg),*) },
            expect: $expect,
        }
    };
}

/// A session handle and a slot that do not exist, so calls that reach the
/// api cannot change anything.
const S: CK_SESSION_HANDLE = CK_INVALID_HANDLE;
const SLOT: CK_SLOT_ID = 0xDEAD_BEEF;
const O: CK_OBJECT_HANDLE = CK_INVALID_HANDLE;

fn run_all(f: &CK_FUNCTION_LIST_3_2) -> Vec<Case> {
    let mut n: CK_ULONG = 64;
    let n = &mut n as *mut CK_ULONG;
    let mut buf = [0u8; 64];
    let b = buf.as_mut_ptr();
    let mut label = [b' '; 32];
    let label = label.as_mut_ptr();
    let mut handle: CK_OBJECT_HANDLE = 0;
    let h = &mut handle as *mut CK_OBJECT_HANDLE;
    let mut handles = [0 as CK_OBJECT_HANDLE; 4];
    let hs = handles.as_mut_ptr();
    let mut value = *b"v";
    let attr = CK_ATTRIBUTE {
        type_: CKA_LABEL,
        pValue: value.as_mut_ptr().cast(),
        ulValueLen: 1,
    };
    let mut one = [attr];
    let t = one.as_mut_ptr();
    let mut other = *b"w";
    let mut inconsistent = [
        attr,
        CK_ATTRIBUTE {
            pValue: other.as_mut_ptr().cast(),
            ..attr
        },
    ];
    let ti = inconsistent.as_mut_ptr();
    let mut array = [CK_ATTRIBUTE {
        type_: CKA_WRAP_TEMPLATE,
        ..attr
    }];
    let ta = array.as_mut_ptr();
    let mut null_value = [CK_ATTRIBUTE {
        pValue: null_mut(),
        ..attr
    }];
    let tn = null_value.as_mut_ptr();
    let mut mech = CK_MECHANISM {
        mechanism: CKM_SHA256,
        pParameter: null_mut(),
        ulParameterLen: 0,
    };
    let m = &mut mech as *mut CK_MECHANISM;
    let mut null_param = CK_MECHANISM {
        ulParameterLen: 8,
        ..mech
    };
    let mn = &mut null_param as *mut CK_MECHANISM;
    let mut bad_gcm = CK_MECHANISM {
        mechanism: CKM_AES_GCM,
        pParameter: b.cast(),
        ulParameterLen: 44,
    };
    let mg = &mut bad_gcm as *mut CK_MECHANISM;
    let mut reserved = 0u8;
    let mut init_reserved = CK_C_INITIALIZE_ARGS {
        CreateMutex: None,
        DestroyMutex: None,
        LockMutex: None,
        UnlockMutex: None,
        flags: 0,
        pReserved: (&mut reserved as *mut u8).cast(),
    };
    let ir = (&mut init_reserved as *mut CK_C_INITIALIZE_ARGS).cast();
    unsafe extern "C" fn lock(_: *mut std::ffi::c_void) -> CK_RV {
        CKR_OK
    }
    let mut init_partial = CK_C_INITIALIZE_ARGS {
        LockMutex: Some(lock),
        pReserved: null_mut(),
        ..init_reserved
    };
    let ip = (&mut init_partial as *mut CK_C_INITIALIZE_ARGS).cast();
    let not_supported = Rv(CKR_FUNCTION_NOT_SUPPORTED);

    vec![
        // General purpose, slots and tokens.
        case!(Bad, f.C_Initialize(ir)),
        case!(Bad, f.C_Initialize(ip)),
        case!(Bad, f.C_Finalize(b.cast())),
        case!(Bad, f.C_GetInfo(null_mut())),
        case!(Bad, f.C_GetSlotList(0, null_mut(), null_mut())),
        case!(Bad, f.C_GetSlotList(1, hs, null_mut())),
        case!(Api, f.C_GetSlotList(0, null_mut(), n)),
        case!(Bad, f.C_GetSlotInfo(SLOT, null_mut())),
        case!(Bad, f.C_GetTokenInfo(SLOT, null_mut())),
        case!(Bad, f.C_GetMechanismList(SLOT, null_mut(), null_mut())),
        case!(Api, f.C_GetMechanismList(SLOT, null_mut(), n)),
        case!(Bad, f.C_GetMechanismInfo(SLOT, CKM_SHA256, null_mut())),
        case!(Bad, f.C_InitToken(SLOT, b, 4, null_mut())),
        case!(Bad, f.C_InitToken(SLOT, null_mut(), 4, label)),
        case!(Bad, f.C_InitPIN(S, null_mut(), 4)),
        case!(Api, f.C_InitPIN(S, null_mut(), 0)),
        case!(Bad, f.C_SetPIN(S, null_mut(), 4, b, 4)),
        case!(Bad, f.C_SetPIN(S, b, 4, null_mut(), 4)),
        // Sessions and login.
        case!(
            Bad,
            f.C_OpenSession(SLOT, CKF_SERIAL_SESSION, null_mut(), None, null_mut())
        ),
        case!(
            Api,
            f.C_OpenSession(SLOT, CKF_SERIAL_SESSION, null_mut(), None, h)
        ),
        case!(Bad, f.C_GetSessionInfo(S, null_mut())),
        case!(Bad, f.C_Login(S, CKU_USER, null_mut(), 4)),
        case!(Bad, f.C_GetSessionValidationFlags(S, 0, null_mut())),
        // Objects.
        case!(Bad, f.C_CreateObject(S, null_mut(), 1, h)),
        case!(Bad, f.C_CreateObject(S, t, 1, null_mut())),
        case!(Bad, f.C_CreateObject(S, tn, 1, h)),
        case!(Rv(CKR_TEMPLATE_INCONSISTENT), f.C_CreateObject(S, ti, 2, h)),
        // A template attribute whose value is not a whole CK_ATTRIBUTE array.
        case!(
            Rv(CKR_ATTRIBUTE_VALUE_INVALID),
            f.C_CreateObject(S, ta, 1, h)
        ),
        case!(Api, f.C_CreateObject(S, t, 1, h)),
        case!(Bad, f.C_CopyObject(S, O, null_mut(), 1, h)),
        case!(Bad, f.C_CopyObject(S, O, t, 1, null_mut())),
        case!(Bad, f.C_GetObjectSize(S, O, null_mut())),
        case!(Bad, f.C_GetAttributeValue(S, O, null_mut(), 1)),
        case!(Api, f.C_GetAttributeValue(S, O, null_mut(), 0)),
        case!(Bad, f.C_SetAttributeValue(S, O, null_mut(), 1)),
        case!(Bad, f.C_FindObjectsInit(S, null_mut(), 1)),
        case!(Api, f.C_FindObjectsInit(S, null_mut(), 0)),
        case!(Bad, f.C_FindObjects(S, null_mut(), 1, n)),
        case!(Bad, f.C_FindObjects(S, hs, 4, null_mut())),
        case!(Api, f.C_FindObjects(S, null_mut(), 0, n)),
        // Encryption, decryption, digests.
        case!(Bad, f.C_EncryptInit(S, null_mut(), O)),
        case!(Bad, f.C_EncryptInit(S, mn, O)),
        case!(Rv(CKR_MECHANISM_PARAM_INVALID), f.C_EncryptInit(S, mg, O)),
        case!(Api, f.C_EncryptInit(S, m, O)),
        case!(Bad, f.C_Encrypt(S, null_mut(), 4, b, n)),
        case!(Bad, f.C_Encrypt(S, b, 4, b, null_mut())),
        case!(Api, f.C_Encrypt(S, b, 4, null_mut(), n)),
        case!(Bad, f.C_EncryptUpdate(S, null_mut(), 4, b, n)),
        case!(Bad, f.C_EncryptUpdate(S, b, 4, null_mut(), null_mut())),
        case!(Bad, f.C_EncryptFinal(S, b, null_mut())),
        case!(Api, f.C_EncryptFinal(S, null_mut(), n)),
        case!(Bad, f.C_DecryptInit(S, null_mut(), O)),
        case!(Bad, f.C_Decrypt(S, null_mut(), 4, b, n)),
        case!(Bad, f.C_Decrypt(S, b, 4, null_mut(), null_mut())),
        case!(Api, f.C_Decrypt(S, null_mut(), 0, null_mut(), n)),
        case!(Bad, f.C_DecryptUpdate(S, null_mut(), 4, b, n)),
        case!(Bad, f.C_DecryptUpdate(S, b, 4, b, null_mut())),
        case!(Bad, f.C_DecryptFinal(S, b, null_mut())),
        case!(Bad, f.C_DigestInit(S, null_mut())),
        case!(Bad, f.C_Digest(S, null_mut(), 4, b, n)),
        case!(Bad, f.C_Digest(S, b, 4, null_mut(), null_mut())),
        case!(Bad, f.C_DigestUpdate(S, null_mut(), 4)),
        case!(Api, f.C_DigestUpdate(S, null_mut(), 0)),
        case!(Bad, f.C_DigestFinal(S, b, null_mut())),
        // Signatures and verification.
        case!(Bad, f.C_SignInit(S, null_mut(), O)),
        case!(Bad, f.C_Sign(S, null_mut(), 4, b, n)),
        case!(Bad, f.C_Sign(S, b, 4, b, null_mut())),
        case!(Bad, f.C_SignUpdate(S, null_mut(), 4)),
        case!(Bad, f.C_SignFinal(S, null_mut(), null_mut())),
        case!(Api, f.C_SignFinal(S, null_mut(), n)),
        case!(Bad, f.C_VerifyInit(S, null_mut(), O)),
        case!(Bad, f.C_Verify(S, null_mut(), 4, b, 4)),
        case!(Bad, f.C_Verify(S, b, 4, null_mut(), 4)),
        case!(Bad, f.C_VerifyUpdate(S, null_mut(), 4)),
        case!(Bad, f.C_VerifyFinal(S, null_mut(), 4)),
        case!(Bad, f.C_VerifySignatureInit(S, null_mut(), O, b, 4)),
        case!(Bad, f.C_VerifySignatureInit(S, m, O, null_mut(), 4)),
        case!(Bad, f.C_VerifySignature(S, null_mut(), 4)),
        case!(Bad, f.C_VerifySignatureUpdate(S, null_mut(), 4)),
        case!(Api, f.C_VerifySignatureFinal(S)),
        // Keys and random numbers.
        case!(Bad, f.C_GenerateKey(S, null_mut(), t, 1, h)),
        case!(Bad, f.C_GenerateKey(S, m, null_mut(), 1, h)),
        case!(Bad, f.C_GenerateKey(S, m, t, 1, null_mut())),
        case!(Bad, f.C_GenerateKeyPair(S, null_mut(), t, 1, t, 1, h, h)),
        case!(Bad, f.C_GenerateKeyPair(S, m, null_mut(), 1, t, 1, h, h)),
        case!(Bad, f.C_GenerateKeyPair(S, m, t, 1, null_mut(), 1, h, h)),
        case!(Bad, f.C_GenerateKeyPair(S, m, t, 1, t, 1, null_mut(), h)),
        case!(Bad, f.C_GenerateKeyPair(S, m, t, 1, t, 1, h, null_mut())),
        case!(Bad, f.C_WrapKey(S, null_mut(), O, O, b, n)),
        case!(Bad, f.C_WrapKey(S, m, O, O, b, null_mut())),
        case!(Api, f.C_WrapKey(S, m, O, O, null_mut(), n)),
        case!(Bad, f.C_UnwrapKey(S, null_mut(), O, b, 4, t, 1, h)),
        case!(Bad, f.C_UnwrapKey(S, m, O, null_mut(), 4, t, 1, h)),
        case!(Bad, f.C_UnwrapKey(S, m, O, b, 4, null_mut(), 1, h)),
        case!(Bad, f.C_UnwrapKey(S, m, O, b, 4, t, 1, null_mut())),
        case!(Bad, f.C_DeriveKey(S, null_mut(), O, t, 1, h)),
        case!(Bad, f.C_DeriveKey(S, m, O, null_mut(), 1, h)),
        case!(Bad, f.C_DeriveKey(S, m, O, t, 1, null_mut())),
        case!(Bad, f.C_SeedRandom(S, null_mut(), 4)),
        case!(Bad, f.C_GenerateRandom(S, null_mut(), 4)),
        case!(Api, f.C_GenerateRandom(S, null_mut(), 0)),
        // The exported functions, through the lists.
        case!(Bad, f.C_GetFunctionList(null_mut())),
        case!(Bad, f.C_GetInterfaceList(null_mut(), null_mut())),
        case!(Bad, f.C_GetInterface(null_mut(), null_mut(), null_mut(), 0)),
        // Not offered: fixed answers, whatever the pointers.
        case!(
            not_supported,
            f.C_GetOperationState(S, null_mut(), null_mut())
        ),
        case!(not_supported, f.C_SetOperationState(S, null_mut(), 4, O, O)),
        case!(not_supported, f.C_SignRecoverInit(S, null_mut(), O)),
        case!(
            not_supported,
            f.C_SignRecover(S, null_mut(), 4, null_mut(), null_mut())
        ),
        case!(not_supported, f.C_VerifyRecoverInit(S, null_mut(), O)),
        case!(
            not_supported,
            f.C_VerifyRecover(S, null_mut(), 4, null_mut(), null_mut())
        ),
        case!(
            not_supported,
            f.C_DigestEncryptUpdate(S, null_mut(), 4, null_mut(), null_mut())
        ),
        case!(
            not_supported,
            f.C_DecryptDigestUpdate(S, null_mut(), 4, null_mut(), null_mut())
        ),
        case!(
            not_supported,
            f.C_SignEncryptUpdate(S, null_mut(), 4, null_mut(), null_mut())
        ),
        case!(
            not_supported,
            f.C_DecryptVerifyUpdate(S, null_mut(), 4, null_mut(), null_mut())
        ),
        case!(Rv(CKR_FUNCTION_NOT_PARALLEL), f.C_GetFunctionStatus(S)),
        case!(Rv(CKR_FUNCTION_NOT_PARALLEL), f.C_CancelFunction(S)),
        case!(
            not_supported,
            f.C_WaitForSlotEvent(0, null_mut(), null_mut())
        ),
        case!(
            not_supported,
            f.C_LoginUser(S, CKU_USER, null_mut(), 4, null_mut(), 4)
        ),
        case!(Api, f.C_MessageEncryptInit(S, null_mut(), O)),
        case!(
            Bad,
            f.C_EncryptMessage(
                S,
                null_mut(),
                4,
                null_mut(),
                4,
                null_mut(),
                4,
                null_mut(),
                null_mut()
            )
        ),
        case!(
            Bad,
            f.C_EncryptMessageBegin(S, null_mut(), 4, null_mut(), 4)
        ),
        case!(
            Bad,
            f.C_EncryptMessageNext(S, null_mut(), 4, null_mut(), 4, null_mut(), null_mut(), 0)
        ),
        case!(Api, f.C_MessageEncryptFinal(S)),
        case!(Api, f.C_MessageDecryptInit(S, null_mut(), O)),
        case!(
            Bad,
            f.C_DecryptMessage(
                S,
                null_mut(),
                4,
                null_mut(),
                4,
                null_mut(),
                4,
                null_mut(),
                null_mut()
            )
        ),
        case!(
            Bad,
            f.C_DecryptMessageBegin(S, null_mut(), 4, null_mut(), 4)
        ),
        case!(
            Bad,
            f.C_DecryptMessageNext(S, null_mut(), 4, null_mut(), 4, null_mut(), null_mut(), 0)
        ),
        case!(Api, f.C_MessageDecryptFinal(S)),
        case!(not_supported, f.C_MessageSignInit(S, null_mut(), O)),
        case!(
            not_supported,
            f.C_SignMessage(S, null_mut(), 4, null_mut(), 4, null_mut(), null_mut())
        ),
        case!(not_supported, f.C_SignMessageBegin(S, null_mut(), 4)),
        case!(
            not_supported,
            f.C_SignMessageNext(S, null_mut(), 4, null_mut(), 4, null_mut(), null_mut())
        ),
        case!(not_supported, f.C_MessageSignFinal(S)),
        case!(not_supported, f.C_MessageVerifyInit(S, null_mut(), O)),
        case!(
            not_supported,
            f.C_VerifyMessage(S, null_mut(), 4, null_mut(), 4, null_mut(), 4)
        ),
        case!(not_supported, f.C_VerifyMessageBegin(S, null_mut(), 4)),
        case!(
            not_supported,
            f.C_VerifyMessageNext(S, null_mut(), 4, null_mut(), 4, null_mut(), 4)
        ),
        case!(not_supported, f.C_MessageVerifyFinal(S)),
        case!(
            Bad,
            f.C_EncapsulateKey(
                S,
                null_mut(),
                O,
                null_mut(),
                1,
                null_mut(),
                null_mut(),
                null_mut()
            )
        ),
        case!(
            Bad,
            f.C_DecapsulateKey(S, null_mut(), O, null_mut(), 1, null_mut(), 4, null_mut())
        ),
        case!(not_supported, f.C_AsyncComplete(S, null_mut(), null_mut())),
        case!(not_supported, f.C_AsyncGetID(S, null_mut(), null_mut())),
        case!(
            not_supported,
            f.C_AsyncJoin(S, null_mut(), 4, null_mut(), 4)
        ),
        case!(
            not_supported,
            f.C_WrapKeyAuthenticated(S, null_mut(), O, O, null_mut(), 4, null_mut(), null_mut())
        ),
        case!(
            not_supported,
            f.C_UnwrapKeyAuthenticated(
                S,
                null_mut(),
                O,
                null_mut(),
                4,
                null_mut(),
                1,
                null_mut(),
                4,
                null_mut()
            )
        ),
    ]
}

/// Check every case; `initialized` says whether the module is initialised.
fn check(cases: &[Case], initialized: bool) {
    let failures: Vec<String> = cases
        .iter()
        .filter(|c| match c.expect {
            Bad => c.rv != CKR_ARGUMENTS_BAD,
            Rv(rv) => c.rv != rv,
            // Past the ABI layer: never a pointer complaint, never a caught
            // panic; before initialisation the api refuses.
            Api if initialized => c.rv == CKR_ARGUMENTS_BAD || c.rv == CKR_GENERAL_ERROR,
            Api => c.rv != CKR_CRYPTOKI_NOT_INITIALIZED,
        })
        .map(|c| format!("{} = 0x{:X}, expected {:?}", c.call, c.rv, c.expect))
        .collect();
    assert!(
        failures.is_empty(),
        "initialized={initialized}:\n{}",
        failures.join("\n")
    );
}

#[test]
fn null_pointers_before_and_after_initialize() {
    let f = list_3_2();
    check(&run_all(f), false);

    let dir = private_store("null");

    let initialize = f.C_Initialize.expect("C_Initialize");
    assert_eq!(unsafe { initialize(null_mut()) }, CKR_OK);
    check(&run_all(f), true);
    let finalize = f.C_Finalize.expect("C_Finalize");
    assert_eq!(unsafe { finalize(null_mut()) }, CKR_OK);
    // Finalized: back to the first answers.
    check(&run_all(f), false);
    // The directory exists only if the module created a store.
    let _ = std::fs::remove_dir_all(&dir);
}
