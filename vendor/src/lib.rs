//! The vendor-defined values of qrcpkcs11, generated at build time from
//! `include/qrcpkcs11.h` so that the C header, the module and its tools
//! cannot disagree.
//!
//! Falcon uses the values Thales Luna and libp11 already use, so existing
//! clients work; the module's own values live in 0xD1520000–0xD152FFFF.
//! Every value is a `CK_ULONG`, which `CK_KEY_TYPE`, `CK_MECHANISM_TYPE` and
//! `CK_ATTRIBUTE_TYPE` all are.

use cryptoki_sys::CK_ULONG;

include!(concat!(env!("OUT_DIR"), "/vendor.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_from_the_header() {
        assert_eq!(CKM_FALCON, 0xC000_0071);
        assert_eq!(CKP_FALCON_1024, 2);
        assert_eq!(CKM_QRC_COMP_SIG, 0xD152_0021);
        assert_eq!(ALL.len(), 18);
        assert!(ALL
            .iter()
            .filter(|(name, ..)| name.starts_with("CKP_QRC_"))
            .all(|(_, _, oid)| oid.is_some_and(|o| o.starts_with("1.3.6.1.5.5.7.6."))));
    }
}
