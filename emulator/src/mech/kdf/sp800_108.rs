//! CKM_SP800_108_COUNTER_KDF: NIST SP 800-108r1 §4.1, the KDF in counter
//! mode, with an HMAC PRF: K(i) = PRF(K_I, input(i)) for i = 1 … ⌈L/h⌉,
//! where input(i) concatenates the caller's CK_PRF_DATA_PARAM entries in
//! order (the counter i, the length L in bits, byte arrays). The loop is the
//! standard's formula over the `hmac` crate; RustCrypto's `kbkdf` exists
//! only as a release candidate on another `digest` major version and has no
//! way to express PKCS#11's free layout.
//!
//! One key per call: additional derived keys (pAdditionalDerivedKeys) would
//! each need an object made by the token, which a mechanism cannot do, and
//! key handles in the PRF input need the object store; both are refused
//! with CKR_MECHANISM_PARAM_INVALID.

use super::output_len;
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::secret::secret_key;
use crate::mech::{info, MechParam, Mechanism, MechanismImpl, PrfData, Registry};
use cryptoki_sys::*;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use zeroize::Zeroizing;

/// Base key lengths in bytes: those of generic secret and HMAC keys.
const KEY_SIZES: std::ops::RangeInclusive<usize> = 1..=512;

/// One PRF block: HMAC under `key` of the concatenated `parts`, appended to
/// `out`.
type Block = fn(key: &[u8], parts: &[&[u8]], out: &mut Value) -> Result<()>;

fn block<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]], out: &mut Value) -> Result<()> {
    let mut mac = <M as KeyInit>::new_from_slice(key).map_err(|_| Ckr::KEY_SIZE_RANGE)?;
    for part in parts {
        mac.update(part);
    }
    out.extend_from_slice(&mac.finalize().into_bytes());
    Ok(())
}

/// An HMAC PRF: its output length, the HMAC key type it accepts besides
/// generic secrets, and its block function.
struct Prf {
    len: usize,
    key_type: CK_KEY_TYPE,
    block: Block,
}

fn prf(ty: CK_MECHANISM_TYPE) -> Option<Prf> {
    let (len, key_type, block): (usize, CK_KEY_TYPE, Block) = match ty {
        CKM_SHA_1_HMAC => (20, CKK_SHA_1_HMAC, block::<Hmac<sha1::Sha1>>),
        CKM_SHA224_HMAC => (28, CKK_SHA224_HMAC, block::<Hmac<sha2::Sha224>>),
        CKM_SHA256_HMAC => (32, CKK_SHA256_HMAC, block::<Hmac<sha2::Sha256>>),
        CKM_SHA384_HMAC => (48, CKK_SHA384_HMAC, block::<Hmac<sha2::Sha384>>),
        CKM_SHA512_HMAC => (64, CKK_SHA512_HMAC, block::<Hmac<sha2::Sha512>>),
        CKM_SHA3_224_HMAC => (28, CKK_SHA3_224_HMAC, block::<Hmac<sha3::Sha3_224>>),
        CKM_SHA3_256_HMAC => (32, CKK_SHA3_256_HMAC, block::<Hmac<sha3::Sha3_256>>),
        CKM_SHA3_384_HMAC => (48, CKK_SHA3_384_HMAC, block::<Hmac<sha3::Sha3_384>>),
        CKM_SHA3_512_HMAC => (64, CKK_SHA3_512_HMAC, block::<Hmac<sha3::Sha3_512>>),
        _ => return None,
    };
    Some(Prf {
        len,
        key_type,
        block,
    })
}

/// `value` in `width_bits` bits (a multiple of 8, at most `max_bits`), in
/// the byte order asked for; a value that does not fit is refused.
fn encode(
    value: u64,
    width_bits: CK_ULONG,
    little_endian: bool,
    max_bits: CK_ULONG,
) -> Result<Vec<u8>> {
    if width_bits == 0 || !width_bits.is_multiple_of(8) || width_bits > max_bits {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    let bytes = (width_bits / 8) as usize;
    if bytes < 8 && value >> (8 * bytes) != 0 {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    let mut out = value.to_be_bytes()[8 - bytes..].to_vec();
    if little_endian {
        out.reverse();
    }
    Ok(out)
}

/// The PRF input of block `i`, checking the layout as it goes: exactly one
/// counter (8 to 32 bits), at most one DKM length (8 to 64 bits), nothing
/// else but byte arrays.
fn input(data: &[PrfData], i: u64, dkm: (u64, u64)) -> Result<Vec<Vec<u8>>> {
    let (mut counters, mut lengths) = (0, 0);
    let mut parts = Vec::with_capacity(data.len());
    for entry in data {
        parts.push(match entry {
            PrfData::Counter {
                little_endian,
                width_bits,
            } => {
                counters += 1;
                encode(i, *width_bits, *little_endian, 32)?
            }
            PrfData::DkmLength {
                method,
                little_endian,
                width_bits,
            } => {
                lengths += 1;
                let bits = match *method {
                    CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS => dkm.0,
                    CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS => dkm.1,
                    _ => return Err(Ckr::MECHANISM_PARAM_INVALID),
                };
                encode(bits, *width_bits, *little_endian, 64)?
            }
            PrfData::Bytes(bytes) => bytes.clone(),
            PrfData::Unsupported(_) => return Err(Ckr::MECHANISM_PARAM_INVALID),
        });
    }
    if counters != 1 || lengths > 1 {
        return Err(Ckr::MECHANISM_PARAM_INVALID);
    }
    Ok(parts)
}

/// `len` bytes of counter-mode KDF output.
fn counter_kdf(prf: &Prf, key: &[u8], data: &[PrfData], len: usize) -> Result<Value> {
    let blocks = len.div_ceil(prf.len) as u64;
    // L in bits: of the key (SUM_OF_KEYS) or of every PRF output block.
    let dkm = (8 * len as u64, 8 * blocks * prf.len as u64);
    let mut out = Zeroizing::new(Vec::with_capacity(blocks as usize * prf.len));
    for i in 1..=blocks {
        let parts = input(data, i, dkm)?;
        let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        (prf.block)(key, &parts, &mut out)?;
    }
    out.truncate(len);
    Ok(out)
}

/// CKM_SP800_108_COUNTER_KDF.
struct CounterKdf;

impl MechanismImpl for CounterKdf {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        CKM_SP800_108_COUNTER_KDF
    }
    fn name(&self) -> &'static str {
        "CKM_SP800_108_COUNTER_KDF"
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        info(
            *KEY_SIZES.start() as CK_ULONG,
            *KEY_SIZES.end() as CK_ULONG,
            CKF_DERIVE,
        )
    }

    /// The new key's CKA_VALUE, of the template's CKA_VALUE_LEN (required).
    fn derive(
        &self,
        m: &Mechanism,
        base: &Attributes,
        template: &Attributes,
    ) -> Result<Attributes> {
        let MechParam::Kbkdf {
            prf: prf_type,
            data,
            additional_keys,
        } = &m.param
        else {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        };
        if *additional_keys != 0 {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
        let prf = prf(*prf_type).ok_or(Ckr::MECHANISM_PARAM_INVALID)?;
        let key = secret_key(base, &[CKK_GENERIC_SECRET, prf.key_type], KEY_SIZES)?;
        let len = output_len(template, None)?;
        let mut value = counter_kdf(&prf, key, data, len)?;
        let mut out = Attributes::new();
        // Moved, not copied: the attribute set's zeroizing storage owns it.
        out.set(CKA_VALUE, std::mem::take(&mut *value));
        Ok(out)
    }
}

pub(super) fn register(r: &mut Registry) {
    r.add(CounterKdf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(encode(1, 32, false, 32).unwrap(), [0, 0, 0, 1]);
        assert_eq!(encode(1, 32, true, 32).unwrap(), [1, 0, 0, 0]);
        assert_eq!(encode(0x0102, 24, false, 32).unwrap(), [0, 1, 2]);
        assert_eq!(encode(0x0102, 16, true, 32).unwrap(), [2, 1]);
        assert_eq!(
            encode(256, 64, false, 64).unwrap(),
            [0, 0, 0, 0, 0, 0, 1, 0]
        );
        assert_eq!(encode(255, 8, false, 32).unwrap(), [255]);
        for (value, width, max) in [
            (256, 8, 32),
            (1, 0, 32),
            (1, 12, 32),
            (1, 40, 32),
            (1, 72, 64),
        ] {
            assert_eq!(
                encode(value, width, false, max),
                Err(Ckr::MECHANISM_PARAM_INVALID),
                "{value} in {width} bits"
            );
        }
    }

    #[test]
    fn layout_rules() {
        let counter = PrfData::Counter {
            little_endian: false,
            width_bits: 8,
        };
        let length = PrfData::DkmLength {
            method: CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS,
            little_endian: false,
            width_bits: 16,
        };
        let ok = input(
            &[counter.clone(), PrfData::Bytes(vec![7]), length.clone()],
            3,
            (40, 64),
        );
        assert_eq!(ok.unwrap(), vec![vec![3], vec![7], vec![0, 40]]);
        let segments = PrfData::DkmLength {
            method: CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS,
            little_endian: true,
            width_bits: 16,
        };
        assert_eq!(
            input(&[segments, counter.clone()], 1, (40, 256)).unwrap(),
            vec![vec![0, 1], vec![1]]
        );
        for bad in [
            vec![],
            vec![PrfData::Bytes(vec![1])],
            vec![counter.clone(), counter.clone()],
            vec![counter.clone(), length.clone(), length],
            vec![
                counter.clone(),
                PrfData::Unsupported(CK_SP800_108_KEY_HANDLE),
            ],
            vec![
                PrfData::DkmLength {
                    method: 9,
                    little_endian: false,
                    width_bits: 8,
                },
                counter,
            ],
        ] {
            assert_eq!(input(&bad, 1, (8, 8)), Err(Ckr::MECHANISM_PARAM_INVALID));
        }
        // An 8-bit counter cannot count past 255 blocks.
        let p = prf(CKM_SHA256_HMAC).unwrap();
        let narrow = [PrfData::Counter {
            little_endian: false,
            width_bits: 8,
        }];
        assert!(counter_kdf(&p, b"k", &narrow, 255 * 32).is_ok());
        assert_eq!(
            counter_kdf(&p, b"k", &narrow, 255 * 32 + 1).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
    }
}
