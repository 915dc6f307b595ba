//! The fixed-size information structures: C_GetInfo, C_GetSlotInfo,
//! C_GetTokenInfo.

use crate::backend::Token;
use cryptoki_sys::*;
use qrc_emulator::store::PinStatus;
use qrc_emulator::Result;

const MANUFACTURER: &str = "qrcpkcs11";
/// CK_EFFECTIVELY_INFINITE (not in cryptoki-sys).
const EFFECTIVELY_INFINITE: CK_ULONG = 0;

/// A blank-padded fixed-size string field.
fn padded<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [b' '; N];
    for (o, b) in out.iter_mut().zip(s.bytes()) {
        *o = b;
    }
    out
}

fn version() -> CK_VERSION {
    let part = |s: &str| s.parse::<u8>().unwrap_or(0);
    CK_VERSION {
        major: part(env!("CARGO_PKG_VERSION_MAJOR")),
        minor: part(env!("CARGO_PKG_VERSION_MINOR")),
    }
}

pub fn library_info() -> CK_INFO {
    CK_INFO {
        cryptokiVersion: CK_VERSION { major: 3, minor: 2 },
        manufacturerID: padded(MANUFACTURER),
        flags: 0,
        libraryDescription: padded("qrcpkcs11 post-quantum PKCS#11"),
        libraryVersion: version(),
    }
}

pub fn slot_info(id: CK_SLOT_ID, token: &dyn Token) -> CK_SLOT_INFO {
    CK_SLOT_INFO {
        slotDescription: padded(&format!("qrcpkcs11 emulator slot {id}")),
        manufacturerID: padded(MANUFACTURER),
        flags: if token.present() {
            CKF_TOKEN_PRESENT
        } else {
            0
        },
        hardwareVersion: version(),
        firmwareVersion: version(),
    }
}

/// The PIN counter flags for one role (user flags; SO flags are these
/// shifted, as in the header).
fn pin_flags(
    pin: &PinStatus,
    count_low: CK_FLAGS,
    final_try: CK_FLAGS,
    locked: CK_FLAGS,
) -> CK_FLAGS {
    if pin.failures >= pin.max_failures {
        locked
    } else if pin.failures + 1 == pin.max_failures {
        count_low | final_try
    } else if pin.failures > 0 {
        count_low
    } else {
        0
    }
}

/// CK_TOKEN_INFO; `sessions` and `rw_sessions` are the counts on this slot.
pub fn token_info(token: &dyn Token, sessions: usize, rw_sessions: usize) -> Result<CK_TOKEN_INFO> {
    let status = token.status()?;
    let mut flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_RESTORE_KEY_NOT_NEEDED;
    if status.initialized {
        flags |= CKF_TOKEN_INITIALIZED;
    }
    if status.user.initialized {
        flags |= CKF_USER_PIN_INITIALIZED;
    }
    flags |= pin_flags(
        &status.user,
        CKF_USER_PIN_COUNT_LOW,
        CKF_USER_PIN_FINAL_TRY,
        CKF_USER_PIN_LOCKED,
    );
    flags |= pin_flags(
        &status.so,
        CKF_SO_PIN_COUNT_LOW,
        CKF_SO_PIN_FINAL_TRY,
        CKF_SO_PIN_LOCKED,
    );
    Ok(CK_TOKEN_INFO {
        label: status.label,
        manufacturerID: padded(MANUFACTURER),
        model: padded("emulator"),
        serialNumber: token.serial(),
        flags,
        ulMaxSessionCount: EFFECTIVELY_INFINITE,
        ulSessionCount: sessions as CK_ULONG,
        ulMaxRwSessionCount: EFFECTIVELY_INFINITE,
        ulRwSessionCount: rw_sessions as CK_ULONG,
        ulMaxPinLen: status.policy.max_len as CK_ULONG,
        ulMinPinLen: status.policy.min_len as CK_ULONG,
        ulTotalPublicMemory: CK_UNAVAILABLE_INFORMATION,
        ulFreePublicMemory: CK_UNAVAILABLE_INFORMATION,
        ulTotalPrivateMemory: CK_UNAVAILABLE_INFORMATION,
        ulFreePrivateMemory: CK_UNAVAILABLE_INFORMATION,
        hardwareVersion: version(),
        firmwareVersion: version(),
        utcTime: [b' '; 16],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_counter_flags() {
        let s = |failures| PinStatus {
            initialized: true,
            failures,
            max_failures: 3,
        };
        let f = |p| pin_flags(&p, 1, 2, 4);
        assert_eq!(f(s(0)), 0);
        assert_eq!(f(s(1)), 1);
        assert_eq!(f(s(2)), 3);
        assert_eq!(f(s(3)), 4);
    }

    #[test]
    fn strings_are_blank_padded() {
        assert_eq!(&padded::<6>("ab"), b"ab    ");
        assert_eq!(&padded::<2>("abc"), b"ab");
    }
}
