//! Case outcomes as `Result<(), String>`: a failure names the call, the
//! CKR seen and the one wanted, or the bytes that differ.

use cryptoki_sys::*;

/// `"what: CKR name"` for a case failure.
pub fn why(what: &str, rv: CK_RV) -> String {
    format!("{what}: {}", crate::rv_name(rv))
}

/// A call's value, or the case failure naming the call and its CKR.
pub fn must<T>(r: Result<T, CK_RV>, what: &str) -> Result<T, String> {
    r.map_err(|rv| why(what, rv))
}

/// The call must have failed with `want`.
pub fn refused<T>(r: Result<T, CK_RV>, want: CK_RV, what: &str) -> Result<(), String> {
    match r {
        Ok(_) => Err(format!("{what}: got CKR_OK, want {}", crate::rv_name(want))),
        Err(rv) if rv == want => Ok(()),
        Err(rv) => Err(format!(
            "{what}: got {}, want {}",
            crate::rv_name(rv),
            crate::rv_name(want)
        )),
    }
}

/// A return value must be `want`.
pub fn rv_is(got: CK_RV, want: CK_RV, what: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: got {}, want {}",
            crate::rv_name(got),
            crate::rv_name(want)
        ))
    }
}

/// Bytes must match, shown in hex (shortened) when they do not.
pub fn same(what: &str, got: &[u8], want: &[u8]) -> Result<(), String> {
    if got == want {
        return Ok(());
    }
    let short = |b: &[u8]| {
        let s = hex::encode(&b[..b.len().min(24)]);
        format!("{s}… ({} bytes)", b.len())
    };
    Err(format!("{what}: got {}, want {}", short(got), short(want)))
}

/// An attribute's bytes, or the case failure.
pub fn read(
    h: CK_SESSION_HANDLE,
    k: CK_OBJECT_HANDLE,
    ty: CK_ATTRIBUTE_TYPE,
) -> Result<Vec<u8>, String> {
    crate::raw::attr(h, k, ty).map_err(|rv| why(&format!("C_GetAttributeValue(0x{ty:X})"), rv))
}
