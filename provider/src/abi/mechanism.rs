//! CK_MECHANISM → [`Mechanism`]: the mechanism type and its parameter, copied
//! out of caller memory and decoded by mechanism type.

use super::convert::{bytes, len, read, ulong, OutPtr};
use super::template::template;
use cryptoki_sys::*;
use qrc_emulator::mech::{MechParam, Mechanism, PrfData};
use qrc_emulator::vendor::CKM_QRC_COMP_SIG;
use qrc_emulator::{Attributes, Ckr, Result};
use std::mem::size_of;

/// Read the caller's mechanism. NULL, or a NULL parameter with a length, is a
/// bad argument; a parameter whose layout does not fit its mechanism is
/// CKR_MECHANISM_PARAM_INVALID.
///
/// # Safety
/// A non-NULL `p` must point to a readable CK_MECHANISM whose parameter, if
/// non-NULL, is readable for `ulParameterLen` bytes, including any buffers
/// the parameter structure points to.
pub(super) unsafe fn mechanism(p: *const CK_MECHANISM) -> Result<Mechanism> {
    // SAFETY: forwarded from this function's contract.
    let m = unsafe { read(p)? };
    let n = len(m.ulParameterLen)?;
    let param = if m.pParameter.is_null() {
        if n > 0 {
            return Err(Ckr::ARGUMENTS_BAD);
        }
        MechParam::None
    } else if n == 0 {
        MechParam::None
    } else {
        // SAFETY: forwarded from this function's contract.
        unsafe { param(m.mechanism, m.pParameter.cast_const(), n)? }
    };
    Ok(Mechanism {
        ty: m.mechanism,
        param,
    })
}

/// The table of parameter layouts by mechanism type. A mechanism not listed
/// gets its parameter as bytes; a new structured parameter adds an arm here.
///
/// # Safety
/// `p` is non-NULL and readable for `n > 0` bytes (and what it points to).
unsafe fn param(ty: CK_MECHANISM_TYPE, p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY (every arm): forwarded from this function's contract.
    unsafe {
        match ty {
            CKM_AES_GCM => gcm(p, n),
            CKM_AES_CTR => ctr(p, n),
            t if MAC_GENERAL.contains(&t) => mac_length(p, n),
            CKM_RSA_PKCS_OAEP => oaep(p, n),
            t if PSS.contains(&t) => pss(p, n),
            CKM_ECDH1_DERIVE | CKM_ECDH1_COFACTOR_DERIVE => ecdh(p, n),
            CKM_EDDSA => eddsa(p, n),
            CKM_HKDF_DERIVE | CKM_HKDF_DATA => hkdf(p, n),
            CKM_SP800_108_COUNTER_KDF => kbkdf(p, n),
            CKM_SP800_108_FEEDBACK_KDF => kbkdf_feedback(p, n),
            CKM_CONCATENATE_BASE_AND_KEY => Ok(MechParam::KeyHandle(exact(p, n)?)),
            CKM_CONCATENATE_BASE_AND_DATA
            | CKM_CONCATENATE_DATA_AND_BASE
            | CKM_XOR_BASE_AND_DATA
            | CKM_AES_ECB_ENCRYPT_DATA => string_data(p, n),
            CKM_EXTRACT_KEY_FROM_KEY => Ok(MechParam::Ulong(exact::<CK_EXTRACT_PARAMS>(p, n)?)),
            CKM_AES_CBC_ENCRYPT_DATA => cbc_encrypt_data(p, n),
            CKM_HASH_ML_DSA | CKM_HASH_SLH_DSA => hash_sign_context(p, n),
            CKM_ML_DSA | CKM_SLH_DSA | CKM_QRC_COMP_SIG => sign_context(p, n),
            CKM_HASH_ML_DSA_SHA224..=CKM_HASH_ML_DSA_SHAKE256 => sign_context(p, n),
            CKM_HASH_SLH_DSA_SHA224..=CKM_HASH_SLH_DSA_SHAKE256 => sign_context(p, n),
            _ => Ok(MechParam::Bytes(bytes(p.cast(), ulong(n))?.to_vec())),
        }
    }
}

/// Mechanisms whose parameter is CK_MAC_GENERAL_PARAMS (one CK_ULONG, the
/// output length).
const MAC_GENERAL: &[CK_MECHANISM_TYPE] = &[
    CKM_MD5_HMAC_GENERAL,
    CKM_SHA_1_HMAC_GENERAL,
    CKM_SHA224_HMAC_GENERAL,
    CKM_SHA256_HMAC_GENERAL,
    CKM_SHA384_HMAC_GENERAL,
    CKM_SHA512_HMAC_GENERAL,
    CKM_SHA512_224_HMAC_GENERAL,
    CKM_SHA512_256_HMAC_GENERAL,
    CKM_SHA3_224_HMAC_GENERAL,
    CKM_SHA3_256_HMAC_GENERAL,
    CKM_SHA3_384_HMAC_GENERAL,
    CKM_SHA3_512_HMAC_GENERAL,
    CKM_AES_MAC_GENERAL,
    CKM_AES_CMAC_GENERAL,
];

/// Mechanisms whose parameter is CK_RSA_PKCS_PSS_PARAMS.
const PSS: &[CK_MECHANISM_TYPE] = &[
    CKM_RSA_PKCS_PSS,
    CKM_SHA1_RSA_PKCS_PSS,
    CKM_SHA224_RSA_PKCS_PSS,
    CKM_SHA256_RSA_PKCS_PSS,
    CKM_SHA384_RSA_PKCS_PSS,
    CKM_SHA512_RSA_PKCS_PSS,
    CKM_SHA3_224_RSA_PKCS_PSS,
    CKM_SHA3_256_RSA_PKCS_PSS,
    CKM_SHA3_384_RSA_PKCS_PSS,
    CKM_SHA3_512_RSA_PKCS_PSS,
];

/// Read a struct parameter of exactly its own size.
///
/// # Safety
/// As [`param`].
unsafe fn exact<T: Copy>(p: *const std::ffi::c_void, n: usize) -> Result<T> {
    if n != size_of::<T>() {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    // SAFETY: the length matches, so the struct is readable.
    unsafe { read(p.cast::<T>()) }
}

/// CK_RSA_PKCS_PSS_PARAMS.
///
/// # Safety
/// As [`param`].
unsafe fn pss(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded.
    let c: CK_RSA_PKCS_PSS_PARAMS = unsafe { exact(p, n)? };
    Ok(MechParam::Pss {
        hash: c.hashAlg,
        mgf: c.mgf,
        salt_len: c.sLen,
    })
}

/// CK_RSA_PKCS_OAEP_PARAMS. The label is the CKZ_DATA_SPECIFIED source; no
/// source (0) means an empty label, as clients send it.
///
/// # Safety
/// As [`param`].
unsafe fn oaep(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded; the source buffer is readable by contract.
    unsafe {
        let c: CK_RSA_PKCS_OAEP_PARAMS = exact(p, n)?;
        let label = match c.source {
            CKZ_DATA_SPECIFIED => context(c.pSourceData.cast(), c.ulSourceDataLen)?,
            0 if c.ulSourceDataLen == 0 => Vec::new(),
            _ => return Err(Ckr::MECHANISM_PARAM_INVALID),
        };
        Ok(MechParam::Oaep {
            hash: c.hashAlg,
            mgf: c.mgf,
            label,
        })
    }
}

/// CK_ECDH1_DERIVE_PARAMS.
///
/// # Safety
/// As [`param`].
unsafe fn ecdh(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded; the buffers are readable by contract.
    unsafe {
        let c: CK_ECDH1_DERIVE_PARAMS = exact(p, n)?;
        Ok(MechParam::Ecdh {
            kdf: c.kdf,
            shared_data: context(c.pSharedData, c.ulSharedDataLen)?,
            public_data: context(c.pPublicData, c.ulPublicDataLen)?,
        })
    }
}

/// CK_EDDSA_PARAMS.
///
/// # Safety
/// As [`param`].
unsafe fn eddsa(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded; the context is readable by contract.
    unsafe {
        let c: CK_EDDSA_PARAMS = exact(p, n)?;
        Ok(MechParam::EdDsa {
            prehash: c.phFlag != CK_FALSE,
            context: context(c.pContextData, c.ulContextDataLen)?,
        })
    }
}

/// CK_HKDF_PARAMS, exact size. The salt bytes are read unless the salt is
/// a key (CKF_HKDF_SALT_KEY, whose pSalt is unused); which combinations are
/// valid is the mechanism's to decide.
///
/// # Safety
/// As [`param`].
unsafe fn hkdf(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded; the salt and info buffers are readable by contract.
    unsafe {
        let c: CK_HKDF_PARAMS = exact(p, n)?;
        let salt = match c.ulSaltType {
            CKF_HKDF_SALT_KEY => Vec::new(),
            _ => context(c.pSalt, c.ulSaltLen)?,
        };
        Ok(MechParam::Hkdf {
            extract: c.bExtract != CK_FALSE,
            expand: c.bExpand != CK_FALSE,
            prf: c.prfHashMechanism,
            salt_type: c.ulSaltType,
            salt,
            salt_key: c.hSaltKey,
            info: context(c.pInfo, c.ulInfoLen)?,
        })
    }
}

/// More CK_PRF_DATA_PARAM entries than any real layout has (counter, DKM
/// length, label, separator, context, …); a larger count is refused before
/// anything is allocated for it.
const MAX_PRF_DATA: usize = 64;

/// More CK_DERIVED_KEY entries than any protocol asks for in one call; a
/// larger count is refused before anything is allocated for it.
const MAX_ADDITIONAL_KEYS: usize = 64;

/// CK_SP800_108_KDF_PARAMS, exact size, with its CK_PRF_DATA_PARAM array and
/// the templates of its additional derived keys.
///
/// # Safety
/// As [`param`]: pDataParams holds ulNumberOfDataParams readable entries,
/// each with a readable pValue of ulValueLen bytes; pAdditionalDerivedKeys
/// holds ulAdditionalDerivedKeys readable CK_DERIVED_KEYs with readable
/// templates.
unsafe fn kbkdf(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded; the arrays are readable by contract.
    unsafe {
        let c: CK_SP800_108_KDF_PARAMS = exact(p, n)?;
        Ok(MechParam::Kbkdf {
            prf: c.prfType,
            data: prf_data_array(c.pDataParams, c.ulNumberOfDataParams)?,
            iv: Vec::new(),
            additional: additional_templates(c.pAdditionalDerivedKeys, c.ulAdditionalDerivedKeys)?,
        })
    }
}

/// CK_SP800_108_FEEDBACK_KDF_PARAMS, exact size: as [`kbkdf`], with the IV
/// (NULL with length 0: none).
///
/// # Safety
/// As [`kbkdf`]; pIV is readable for ulIVLen bytes.
unsafe fn kbkdf_feedback(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded; the arrays and the IV are readable by contract.
    unsafe {
        let c: CK_SP800_108_FEEDBACK_KDF_PARAMS = exact(p, n)?;
        Ok(MechParam::Kbkdf {
            prf: c.prfType,
            data: prf_data_array(c.pDataParams, c.ulNumberOfDataParams)?,
            iv: context(c.pIV, c.ulIVLen)?,
            additional: additional_templates(c.pAdditionalDerivedKeys, c.ulAdditionalDerivedKeys)?,
        })
    }
}

/// The CK_PRF_DATA_PARAM array of an SP 800-108 parameter.
///
/// # Safety
/// `p` holds `count` readable entries, each with a readable pValue of
/// ulValueLen bytes.
unsafe fn prf_data_array(p: *mut CK_PRF_DATA_PARAM, count: CK_ULONG) -> Result<Vec<PrfData>> {
    let count = len(count)?;
    if count > MAX_PRF_DATA || (count > 0 && p.is_null()) {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    // SAFETY: forwarded; entry i < count is readable by contract.
    (0..count)
        .map(|i| unsafe { prf_data(read(p.add(i).cast_const())?) })
        .collect()
}

/// The templates of pAdditionalDerivedKeys, in order. A malformed template
/// is the parameter's fault, not a bad argument to C_DeriveKey.
///
/// # Safety
/// `p` holds `count` readable CK_DERIVED_KEYs whose templates are readable.
unsafe fn additional_templates(p: *mut CK_DERIVED_KEY, count: CK_ULONG) -> Result<Vec<Attributes>> {
    // SAFETY: forwarded.
    let keys = unsafe { derived_keys(p, count)? };
    keys.iter()
        .map(|k| {
            // SAFETY: the template is readable by contract.
            unsafe { template(k.pTemplate, k.ulAttributeCount) }.map_err(|e| match e {
                Ckr::ARGUMENTS_BAD => Ckr::MECHANISM_PARAM_INVALID,
                other => other,
            })
        })
        .collect()
}

/// The CK_DERIVED_KEY array: at most [`MAX_ADDITIONAL_KEYS`] entries, not
/// NULL when there are any (with none, the pointer is not read).
///
/// # Safety
/// `p` holds `count` readable CK_DERIVED_KEYs.
unsafe fn derived_keys(p: *mut CK_DERIVED_KEY, count: CK_ULONG) -> Result<Vec<CK_DERIVED_KEY>> {
    let count = len(count)?;
    if count > MAX_ADDITIONAL_KEYS || (count > 0 && p.is_null()) {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    // SAFETY: entry i < count is readable by contract.
    (0..count)
        .map(|i| unsafe { read(p.add(i).cast_const()) })
        .collect()
}

/// Where the handles of SP 800-108's additional derived keys go: each
/// CK_DERIVED_KEY's phKey, in order (a NULL one is a malformed parameter).
/// Empty for every other mechanism, or for a parameter that is not an SP
/// 800-108 structure (which [`mechanism`] has already refused).
///
/// # Safety
/// As [`mechanism`]; every phKey is valid for writes until the caller is
/// answered.
pub(super) unsafe fn derived_key_outputs(
    p: *const CK_MECHANISM,
) -> Result<Vec<OutPtr<CK_OBJECT_HANDLE>>> {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        let m = read(p)?;
        let n = len(m.ulParameterLen)?;
        let param = m.pParameter.cast_const();
        let (keys, count) = match m.mechanism {
            CKM_SP800_108_COUNTER_KDF if !param.is_null() => {
                let c: CK_SP800_108_KDF_PARAMS = exact(param, n)?;
                (c.pAdditionalDerivedKeys, c.ulAdditionalDerivedKeys)
            }
            CKM_SP800_108_FEEDBACK_KDF if !param.is_null() => {
                let c: CK_SP800_108_FEEDBACK_KDF_PARAMS = exact(param, n)?;
                (c.pAdditionalDerivedKeys, c.ulAdditionalDerivedKeys)
            }
            _ => return Ok(Vec::new()),
        };
        derived_keys(keys, count)?
            .iter()
            .map(|k| OutPtr::new(k.phKey).map_err(|_| Ckr::MECHANISM_PARAM_INVALID))
            .collect()
    }
}

/// One CK_PRF_DATA_PARAM: a counter or DKM length with its format structure
/// (of exactly that size), feedback mode's iteration variable (no value), or
/// a byte array. Other types (CK_SP800_108_KEY_HANDLE) are passed on as
/// unsupported for the mechanism to refuse.
///
/// # Safety
/// A non-NULL `d.pValue` is readable for `d.ulValueLen` bytes.
unsafe fn prf_data(d: CK_PRF_DATA_PARAM) -> Result<PrfData> {
    // SAFETY: each struct read is of a non-NULL value of exactly its size;
    // the byte array is readable by contract.
    unsafe {
        let sized = |size: usize| !d.pValue.is_null() && len(d.ulValueLen) == Ok(size);
        let counter = || -> Result<(bool, CK_ULONG)> {
            let f: CK_SP800_108_COUNTER_FORMAT = read(d.pValue.cast_const().cast())?;
            Ok((f.bLittleEndian != CK_FALSE, f.ulWidthInBits))
        };
        Ok(match d.type_ {
            CK_SP800_108_ITERATION_VARIABLE if d.pValue.is_null() && d.ulValueLen == 0 => {
                PrfData::Chained
            }
            CK_SP800_108_ITERATION_VARIABLE if sized(size_of::<CK_SP800_108_COUNTER_FORMAT>()) => {
                let (little_endian, width_bits) = counter()?;
                PrfData::Counter {
                    little_endian,
                    width_bits,
                }
            }
            CK_SP800_108_OPTIONAL_COUNTER if sized(size_of::<CK_SP800_108_COUNTER_FORMAT>()) => {
                let (little_endian, width_bits) = counter()?;
                PrfData::OptionalCounter {
                    little_endian,
                    width_bits,
                }
            }
            CK_SP800_108_DKM_LENGTH if sized(size_of::<CK_SP800_108_DKM_LENGTH_FORMAT>()) => {
                let f: CK_SP800_108_DKM_LENGTH_FORMAT = read(d.pValue.cast_const().cast())?;
                PrfData::DkmLength {
                    method: f.dkmLengthMethod,
                    little_endian: f.bLittleEndian != CK_FALSE,
                    width_bits: f.ulWidthInBits,
                }
            }
            CK_SP800_108_ITERATION_VARIABLE
            | CK_SP800_108_OPTIONAL_COUNTER
            | CK_SP800_108_DKM_LENGTH => return Err(Ckr::MECHANISM_PARAM_INVALID),
            CK_SP800_108_BYTE_ARRAY => PrfData::Bytes(context(d.pValue.cast(), d.ulValueLen)?),
            other => PrfData::Unsupported(other),
        })
    }
}

/// CK_KEY_DERIVATION_STRING_DATA, exact size: its bytes.
///
/// # Safety
/// As [`param`]; pData is readable for ulLen bytes.
unsafe fn string_data(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded; the data is readable by contract.
    unsafe {
        let c: CK_KEY_DERIVATION_STRING_DATA = exact(p, n)?;
        Ok(MechParam::Bytes(context(c.pData, c.ulLen)?))
    }
}

/// CK_AES_CBC_ENCRYPT_DATA_PARAMS, exact size.
///
/// # Safety
/// As [`param`]; pData is readable for length bytes.
unsafe fn cbc_encrypt_data(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded; the data is readable by contract.
    unsafe {
        let c: CK_AES_CBC_ENCRYPT_DATA_PARAMS = exact(p, n)?;
        Ok(MechParam::CbcEncryptData {
            iv: c.iv,
            data: context(c.pData, c.length)?,
        })
    }
}

/// The PKCS#11 2.40 CK_GCM_PARAMS, without ulIvBits. Java's SunPKCS11 (and
/// other 2.40-era callers) send this layout first; the length tells them apart.
#[repr(C)]
#[derive(Clone, Copy)]
struct GcmParams240 {
    p_iv: *mut CK_BYTE,
    ul_iv_len: CK_ULONG,
    p_aad: *mut CK_BYTE,
    ul_aad_len: CK_ULONG,
    ul_tag_bits: CK_ULONG,
}

/// CK_GCM_PARAMS in either layout.
///
/// # Safety
/// As [`param`].
unsafe fn gcm(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: the length matches the struct read, so it is readable.
    let (iv, iv_len, aad, aad_len, tag_bits) = unsafe {
        if n == size_of::<GcmParams240>() {
            let g = read(p.cast::<GcmParams240>())?;
            (g.p_iv, g.ul_iv_len, g.p_aad, g.ul_aad_len, g.ul_tag_bits)
        } else if n == size_of::<CK_GCM_PARAMS>() {
            // ulIvBits is redundant with ulIvLen and is ignored.
            let g = read(p.cast::<CK_GCM_PARAMS>())?;
            (g.pIv, g.ulIvLen, g.pAAD, g.ulAADLen, g.ulTagBits)
        } else {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
    };
    // A NULL buffer with a length is a malformed parameter, not a bad
    // argument to the function.
    let buffer = |p: *mut CK_BYTE, n| {
        // SAFETY: by the caller's contract the parameter's buffers are readable.
        unsafe { bytes(p, n) }
            .map(<[u8]>::to_vec)
            .map_err(|_| Ckr::MECHANISM_PARAM_INVALID)
    };
    Ok(MechParam::Gcm {
        iv: buffer(iv, iv_len)?,
        aad: buffer(aad, aad_len)?,
        tag_bits,
    })
}

/// CK_AES_CTR_PARAMS, exact size.
///
/// # Safety
/// As [`param`].
unsafe fn ctr(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded.
    let c: CK_AES_CTR_PARAMS = unsafe { exact(p, n)? };
    Ok(MechParam::Ctr {
        counter_bits: c.ulCounterBits,
        cb: c.cb,
    })
}

/// CK_MAC_GENERAL_PARAMS, exact size.
///
/// # Safety
/// As [`param`].
unsafe fn mac_length(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded.
    Ok(MechParam::Ulong(unsafe {
        exact::<CK_MAC_GENERAL_PARAMS>(p, n)?
    }))
}

/// A context buffer of a signature parameter; NULL with a length is a
/// malformed parameter.
///
/// # Safety
/// A non-NULL `p` is readable for `n` bytes.
unsafe fn context(p: *mut CK_BYTE, n: CK_ULONG) -> Result<Vec<u8>> {
    // SAFETY: forwarded from this function's contract.
    unsafe { bytes(p, n) }
        .map(<[u8]>::to_vec)
        .map_err(|_| Ckr::MECHANISM_PARAM_INVALID)
}

/// CK_SIGN_ADDITIONAL_CONTEXT, exact size.
///
/// # Safety
/// As [`param`].
unsafe fn sign_context(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded; the context is readable by contract.
    unsafe {
        let c: CK_SIGN_ADDITIONAL_CONTEXT = exact(p, n)?;
        Ok(MechParam::SignContext {
            hedge: c.hedgeVariant,
            context: context(c.pContext, c.ulContextLen)?,
        })
    }
}

/// CK_HASH_SIGN_ADDITIONAL_CONTEXT, exact size.
///
/// # Safety
/// As [`param`].
unsafe fn hash_sign_context(p: *const std::ffi::c_void, n: usize) -> Result<MechParam> {
    // SAFETY: forwarded; the context is readable by contract.
    unsafe {
        let c: CK_HASH_SIGN_ADDITIONAL_CONTEXT = exact(p, n)?;
        Ok(MechParam::HashSignContext {
            hedge: c.hedgeVariant,
            context: context(c.pContext, c.ulContextLen)?,
            hash: c.hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    fn mech<T>(ty: CK_MECHANISM_TYPE, param: &T, n: usize) -> Result<Mechanism> {
        let m = CK_MECHANISM {
            mechanism: ty,
            pParameter: (param as *const T).cast_mut().cast(),
            ulParameterLen: n as CK_ULONG,
        };
        unsafe { mechanism(&m) }
    }

    #[test]
    fn pointer_rules() {
        assert_eq!(unsafe { mechanism(null()) }, Err(Ckr::ARGUMENTS_BAD));
        let m = CK_MECHANISM {
            mechanism: CKM_AES_CBC,
            pParameter: null_mut(),
            ulParameterLen: 16,
        };
        assert_eq!(unsafe { mechanism(&m) }, Err(Ckr::ARGUMENTS_BAD));
        let m = CK_MECHANISM {
            ulParameterLen: 0,
            ..m
        };
        let none = Mechanism {
            ty: CKM_AES_CBC,
            param: MechParam::None,
        };
        assert_eq!(unsafe { mechanism(&m) }, Ok(none));
    }

    #[test]
    fn rsa_and_ecdh_parameters() {
        let mut label = *b"label";
        let oaep = CK_RSA_PKCS_OAEP_PARAMS {
            hashAlg: CKM_SHA256,
            mgf: CKG_MGF1_SHA256,
            source: CKZ_DATA_SPECIFIED,
            pSourceData: label.as_mut_ptr().cast(),
            ulSourceDataLen: 5,
        };
        let m = mech(CKM_RSA_PKCS_OAEP, &oaep, size_of_val(&oaep)).map(|m| m.param);
        let want = MechParam::Oaep {
            hash: CKM_SHA256,
            mgf: CKG_MGF1_SHA256,
            label: label.to_vec(),
        };
        assert_eq!(m, Ok(want));
        assert_eq!(
            mech(CKM_RSA_PKCS_OAEP, &oaep, 8).map(|m| m.param),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let mut point = [4u8; 65];
        let ecdh = CK_ECDH1_DERIVE_PARAMS {
            kdf: CKD_NULL,
            ulSharedDataLen: 0,
            pSharedData: null_mut(),
            ulPublicDataLen: 65,
            pPublicData: point.as_mut_ptr(),
        };
        let m = mech(CKM_ECDH1_DERIVE, &ecdh, size_of_val(&ecdh)).map(|m| m.param);
        let want = MechParam::Ecdh {
            kdf: CKD_NULL,
            shared_data: vec![],
            public_data: point.to_vec(),
        };
        assert_eq!(m, Ok(want));
        let bad = CK_ECDH1_DERIVE_PARAMS {
            pPublicData: null_mut(),
            ..ecdh
        };
        assert_eq!(
            mech(CKM_ECDH1_DERIVE, &bad, size_of_val(&bad)).map(|m| m.param),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }

    #[test]
    fn bytes_by_default() {
        let iv = [7u8; 16];
        let m = mech(CKM_AES_CBC, &iv, 16);
        assert_eq!(m.map(|m| m.param), Ok(MechParam::Bytes(iv.to_vec())));
    }

    #[test]
    fn gcm_both_layouts() {
        let mut iv = [1u8; 12];
        let mut aad = *b"header";
        let expect = MechParam::Gcm {
            iv: iv.to_vec(),
            aad: aad.to_vec(),
            tag_bits: 128,
        };
        let v240 = GcmParams240 {
            p_iv: iv.as_mut_ptr(),
            ul_iv_len: 12,
            p_aad: aad.as_mut_ptr(),
            ul_aad_len: 6,
            ul_tag_bits: 128,
        };
        assert_eq!(size_of::<GcmParams240>(), 5 * size_of::<CK_ULONG>());
        assert_eq!(
            mech(CKM_AES_GCM, &v240, size_of::<GcmParams240>()).map(|m| m.param),
            Ok(expect.clone())
        );
        let v300 = CK_GCM_PARAMS {
            pIv: iv.as_mut_ptr(),
            ulIvLen: 12,
            ulIvBits: 96,
            pAAD: aad.as_mut_ptr(),
            ulAADLen: 6,
            ulTagBits: 128,
        };
        assert_eq!(
            mech(CKM_AES_GCM, &v300, size_of::<CK_GCM_PARAMS>()).map(|m| m.param),
            Ok(expect)
        );
        assert_eq!(
            mech(CKM_AES_GCM, &v300, 44),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let no_iv = CK_GCM_PARAMS {
            pIv: null_mut(),
            ..v300
        };
        assert_eq!(
            mech(CKM_AES_GCM, &no_iv, size_of::<CK_GCM_PARAMS>()),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let no_aad = CK_GCM_PARAMS {
            pAAD: null_mut(),
            ulAADLen: 0,
            ..v300
        };
        let empty_aad = MechParam::Gcm {
            iv: iv.to_vec(),
            aad: vec![],
            tag_bits: 128,
        };
        assert_eq!(
            mech(CKM_AES_GCM, &no_aad, size_of::<CK_GCM_PARAMS>()).map(|m| m.param),
            Ok(empty_aad)
        );
    }

    #[test]
    fn ctr_and_mac_general_exact_sizes() {
        let c = CK_AES_CTR_PARAMS {
            ulCounterBits: 32,
            cb: [9; 16],
        };
        let n = size_of::<CK_AES_CTR_PARAMS>();
        assert_eq!(
            mech(CKM_AES_CTR, &c, n).map(|m| m.param),
            Ok(MechParam::Ctr {
                counter_bits: 32,
                cb: [9; 16]
            })
        );
        assert_eq!(
            mech(CKM_AES_CTR, &c, n - 1),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let l: CK_MAC_GENERAL_PARAMS = 16;
        let n = size_of::<CK_ULONG>();
        assert_eq!(
            mech(CKM_SHA256_HMAC_GENERAL, &l, n).map(|m| m.param),
            Ok(MechParam::Ulong(16))
        );
        assert_eq!(
            mech(CKM_SHA3_512_HMAC_GENERAL, &l, n).map(|m| m.param),
            Ok(MechParam::Ulong(16))
        );
        assert_eq!(
            mech(CKM_SHA256_HMAC_GENERAL, &l, 4),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }
    #[test]
    fn hkdf_parameters() {
        let (mut salt, mut info) = (*b"salt", *b"info");
        let c = CK_HKDF_PARAMS {
            bExtract: CK_TRUE,
            bExpand: CK_FALSE,
            prfHashMechanism: CKM_SHA384,
            ulSaltType: CKF_HKDF_SALT_DATA,
            pSalt: salt.as_mut_ptr(),
            ulSaltLen: 4,
            hSaltKey: 0,
            pInfo: info.as_mut_ptr(),
            ulInfoLen: 4,
        };
        let want = MechParam::Hkdf {
            extract: true,
            expand: false,
            prf: CKM_SHA384,
            salt_type: CKF_HKDF_SALT_DATA,
            salt: salt.to_vec(),
            salt_key: 0,
            info: info.to_vec(),
        };
        let n = size_of::<CK_HKDF_PARAMS>();
        assert_eq!(
            mech(CKM_HKDF_DERIVE, &c, n).map(|m| m.param),
            Ok(want.clone())
        );
        assert_eq!(mech(CKM_HKDF_DATA, &c, n).map(|m| m.param), Ok(want));
        // A key salt: pSalt is not read, the handle is passed on.
        let key_salt = CK_HKDF_PARAMS {
            ulSaltType: CKF_HKDF_SALT_KEY,
            pSalt: 8 as *mut CK_BYTE,
            ulSaltLen: 99,
            hSaltKey: 7,
            pInfo: null_mut(),
            ulInfoLen: 0,
            ..c
        };
        let got = mech(CKM_HKDF_DERIVE, &key_salt, n).map(|m| m.param);
        assert!(matches!(
            got,
            Ok(MechParam::Hkdf { salt_key: 7, ref salt, ref info, .. }) if salt.is_empty() && info.is_empty()
        ));
        let no_info = CK_HKDF_PARAMS {
            pInfo: null_mut(),
            ..c
        };
        assert_eq!(
            mech(CKM_HKDF_DERIVE, &no_info, n),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        assert_eq!(
            mech(CKM_HKDF_DERIVE, &c, n - 8),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }

    #[test]
    fn sp800_108_parameters() {
        let mut counter = CK_SP800_108_COUNTER_FORMAT {
            bLittleEndian: CK_FALSE,
            ulWidthInBits: 32,
        };
        let mut dkm = CK_SP800_108_DKM_LENGTH_FORMAT {
            dkmLengthMethod: CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS,
            bLittleEndian: CK_TRUE,
            ulWidthInBits: 16,
        };
        let mut label = *b"label";
        let entry = |type_, p: *mut std::ffi::c_void, n: usize| CK_PRF_DATA_PARAM {
            type_,
            pValue: p,
            ulValueLen: n as CK_ULONG,
        };
        let mut data = [
            entry(
                CK_SP800_108_ITERATION_VARIABLE,
                (&mut counter as *mut CK_SP800_108_COUNTER_FORMAT).cast(),
                size_of::<CK_SP800_108_COUNTER_FORMAT>(),
            ),
            entry(CK_SP800_108_BYTE_ARRAY, label.as_mut_ptr().cast(), 5),
            entry(
                CK_SP800_108_DKM_LENGTH,
                (&mut dkm as *mut CK_SP800_108_DKM_LENGTH_FORMAT).cast(),
                size_of::<CK_SP800_108_DKM_LENGTH_FORMAT>(),
            ),
            entry(CK_SP800_108_KEY_HANDLE, null_mut(), 0),
            entry(CK_SP800_108_ITERATION_VARIABLE, null_mut(), 0),
        ];
        let c = CK_SP800_108_KDF_PARAMS {
            prfType: CKM_SHA256_HMAC,
            ulNumberOfDataParams: data.len() as CK_ULONG,
            pDataParams: data.as_mut_ptr(),
            ulAdditionalDerivedKeys: 0,
            pAdditionalDerivedKeys: null_mut(),
        };
        let n = size_of::<CK_SP800_108_KDF_PARAMS>();
        let want = MechParam::Kbkdf {
            prf: CKM_SHA256_HMAC,
            data: vec![
                PrfData::Counter {
                    little_endian: false,
                    width_bits: 32,
                },
                PrfData::Bytes(label.to_vec()),
                PrfData::DkmLength {
                    method: CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS,
                    little_endian: true,
                    width_bits: 16,
                },
                PrfData::Unsupported(CK_SP800_108_KEY_HANDLE),
                PrfData::Chained,
            ],
            iv: vec![],
            additional: vec![],
        };
        assert_eq!(
            mech(CKM_SP800_108_COUNTER_KDF, &c, n).map(|m| m.param),
            Ok(want)
        );
        // A format structure of the wrong size, a NULL array, too many entries.
        // SAFETY: the first entry of the live array `c` points to.
        unsafe { (*c.pDataParams).ulValueLen = 8 };
        assert_eq!(
            mech(CKM_SP800_108_COUNTER_KDF, &c, n),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let no_array = CK_SP800_108_KDF_PARAMS {
            pDataParams: null_mut(),
            ..c
        };
        assert_eq!(
            mech(CKM_SP800_108_COUNTER_KDF, &no_array, n),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let huge = CK_SP800_108_KDF_PARAMS {
            ulNumberOfDataParams: 1 << 20,
            ..c
        };
        assert_eq!(
            mech(CKM_SP800_108_COUNTER_KDF, &huge, n),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        // Additional keys counted but not given.
        let empty = CK_SP800_108_KDF_PARAMS {
            ulNumberOfDataParams: 0,
            pDataParams: null_mut(),
            ulAdditionalDerivedKeys: 2,
            ..c
        };
        assert_eq!(
            mech(CKM_SP800_108_COUNTER_KDF, &empty, n),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }

    #[test]
    fn sp800_108_feedback_and_additional_keys() {
        let mut counter = CK_SP800_108_COUNTER_FORMAT {
            bLittleEndian: CK_TRUE,
            ulWidthInBits: 16,
        };
        let mut data = [
            CK_PRF_DATA_PARAM {
                type_: CK_SP800_108_ITERATION_VARIABLE,
                pValue: null_mut(),
                ulValueLen: 0,
            },
            CK_PRF_DATA_PARAM {
                type_: CK_SP800_108_OPTIONAL_COUNTER,
                pValue: (&mut counter as *mut CK_SP800_108_COUNTER_FORMAT).cast(),
                ulValueLen: size_of::<CK_SP800_108_COUNTER_FORMAT>() as CK_ULONG,
            },
        ];
        let mut iv = *b"sixteen bytes iv";
        let mut len16: CK_ULONG = 16;
        let mut class: CK_ULONG = CKO_SECRET_KEY;
        let mut first = [
            CK_ATTRIBUTE {
                type_: CKA_CLASS,
                pValue: (&mut class as *mut CK_ULONG).cast(),
                ulValueLen: size_of::<CK_ULONG>() as CK_ULONG,
            },
            CK_ATTRIBUTE {
                type_: CKA_VALUE_LEN,
                pValue: (&mut len16 as *mut CK_ULONG).cast(),
                ulValueLen: size_of::<CK_ULONG>() as CK_ULONG,
            },
        ];
        let mut handles = [7 as CK_OBJECT_HANDLE; 2];
        let out = handles.as_mut_ptr();
        let mut keys = [
            CK_DERIVED_KEY {
                pTemplate: first.as_mut_ptr(),
                ulAttributeCount: 2,
                phKey: out,
            },
            CK_DERIVED_KEY {
                pTemplate: null_mut(),
                ulAttributeCount: 0,
                phKey: out.wrapping_add(1),
            },
        ];
        let c = CK_SP800_108_FEEDBACK_KDF_PARAMS {
            prfType: CKM_AES_CMAC,
            ulNumberOfDataParams: 2,
            pDataParams: data.as_mut_ptr(),
            ulIVLen: 16,
            pIV: iv.as_mut_ptr(),
            ulAdditionalDerivedKeys: 2,
            pAdditionalDerivedKeys: keys.as_mut_ptr(),
        };
        let n = size_of::<CK_SP800_108_FEEDBACK_KDF_PARAMS>();
        let mut template = Attributes::new();
        template.set_ulong(CKA_CLASS, CKO_SECRET_KEY);
        template.set_ulong(CKA_VALUE_LEN, 16);
        let want = MechParam::Kbkdf {
            prf: CKM_AES_CMAC,
            data: vec![
                PrfData::Chained,
                PrfData::OptionalCounter {
                    little_endian: true,
                    width_bits: 16,
                },
            ],
            iv: iv.to_vec(),
            additional: vec![template, Attributes::new()],
        };
        assert_eq!(
            mech(CKM_SP800_108_FEEDBACK_KDF, &c, n).map(|m| m.param),
            Ok(want)
        );
        // Where the additional handles go: each phKey, in order.
        let m = CK_MECHANISM {
            mechanism: CKM_SP800_108_FEEDBACK_KDF,
            pParameter: (&c as *const CK_SP800_108_FEEDBACK_KDF_PARAMS)
                .cast_mut()
                .cast(),
            ulParameterLen: n as CK_ULONG,
        };
        let outs = unsafe { derived_key_outputs(&m) }.unwrap();
        assert_eq!(outs.len(), 2);
        for (o, v) in outs.into_iter().zip([11, 12]) {
            o.set(v);
        }
        // SAFETY: the array the phKey pointers point into, still live.
        assert_eq!(unsafe { [*out, *out.add(1)] }, [11, 12]);
        let plain = CK_MECHANISM {
            mechanism: CKM_AES_CBC,
            ..m
        };
        assert!(unsafe { derived_key_outputs(&plain) }.unwrap().is_empty());
        // A NULL phKey, an IV length without an IV, a counter format of the
        // wrong size, the feedback structure under the counter mechanism.
        // SAFETY: the second entry of the live array `c` points to.
        unsafe { (*c.pAdditionalDerivedKeys.add(1)).phKey = null_mut() };
        assert_eq!(
            unsafe { derived_key_outputs(&m) }.err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
        let no_iv = CK_SP800_108_FEEDBACK_KDF_PARAMS {
            pIV: null_mut(),
            ..c
        };
        assert_eq!(
            mech(CKM_SP800_108_FEEDBACK_KDF, &no_iv, n),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        assert_eq!(
            mech(CKM_SP800_108_COUNTER_KDF, &c, n),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        // SAFETY: the second entry of the live array `c` points to.
        unsafe { (*c.pDataParams.add(1)).ulValueLen = 4 };
        assert_eq!(
            mech(CKM_SP800_108_FEEDBACK_KDF, &c, n),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }

    #[test]
    fn simple_derivation_parameters() {
        let mut bytes = *b"data";
        let s = CK_KEY_DERIVATION_STRING_DATA {
            pData: bytes.as_mut_ptr(),
            ulLen: 4,
        };
        let n = size_of::<CK_KEY_DERIVATION_STRING_DATA>();
        for ty in [
            CKM_CONCATENATE_BASE_AND_DATA,
            CKM_CONCATENATE_DATA_AND_BASE,
            CKM_XOR_BASE_AND_DATA,
            CKM_AES_ECB_ENCRYPT_DATA,
        ] {
            assert_eq!(
                mech(ty, &s, n).map(|m| m.param),
                Ok(MechParam::Bytes(b"data".to_vec()))
            );
            assert_eq!(mech(ty, &s, n - 1), Err(Ckr::MECHANISM_PARAM_INVALID));
            let no_data = CK_KEY_DERIVATION_STRING_DATA {
                pData: null_mut(),
                ..s
            };
            assert_eq!(mech(ty, &no_data, n), Err(Ckr::MECHANISM_PARAM_INVALID));
        }
        let h: CK_OBJECT_HANDLE = 42;
        assert_eq!(
            mech(CKM_CONCATENATE_BASE_AND_KEY, &h, 8).map(|m| m.param),
            Ok(MechParam::KeyHandle(42))
        );
        assert_eq!(
            mech(CKM_CONCATENATE_BASE_AND_KEY, &h, 4),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
        let bit: CK_EXTRACT_PARAMS = 21;
        assert_eq!(
            mech(CKM_EXTRACT_KEY_FROM_KEY, &bit, 8).map(|m| m.param),
            Ok(MechParam::Ulong(21))
        );
        let mut block = [5u8; 32];
        let cbc = CK_AES_CBC_ENCRYPT_DATA_PARAMS {
            iv: [9; 16],
            pData: block.as_mut_ptr(),
            length: 32,
        };
        let n = size_of::<CK_AES_CBC_ENCRYPT_DATA_PARAMS>();
        assert_eq!(
            mech(CKM_AES_CBC_ENCRYPT_DATA, &cbc, n).map(|m| m.param),
            Ok(MechParam::CbcEncryptData {
                iv: [9; 16],
                data: vec![5; 32]
            })
        );
        assert_eq!(
            mech(CKM_AES_CBC_ENCRYPT_DATA, &cbc, 16),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }
}
