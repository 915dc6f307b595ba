//! CKM_SP800_108_COUNTER_KDF and CKM_SP800_108_FEEDBACK_KDF: NIST SP
//! 800-108r1 §4.1 (counter mode) and §4.2 (feedback mode) with an HMAC or
//! AES-CMAC PRF. K(i) = PRF(K_I, input(i)) for i = 1 … n, where input(i)
//! concatenates the caller's CK_PRF_DATA_PARAM entries in order: in counter
//! mode the counter i, in feedback mode the previous block K(i-1) (the IV
//! for i = 1) and optionally the counter i; the length L in bits; byte
//! arrays. The loops are the standard's formulas over the `hmac` and `cmac`
//! crates; RustCrypto's `kbkdf` exists only as a release candidate on
//! another `digest` major version and has no way to express PKCS#11's free
//! layout.
//!
//! One call derives the caller's key and any additional keys
//! (pAdditionalDerivedKeys), each from PRF blocks of its own, in order, as
//! PKCS#11 3.2 §6.42.7 lays out. A key handle in the PRF input
//! (CK_SP800_108_KEY_HANDLE) and the double-pipeline mode are refused.

use super::derived::{derive_one, secret_template, with_value};
use super::output_len;
use crate::attr::{Attributes, Value};
use crate::error::{Ckr, Result};
use crate::mech::cmac::aes_cmac;
use crate::mech::secret::secret_key;
use crate::mech::{info, MechParam, Mechanism, MechanismImpl, PrfData, Registry};
use cryptoki_sys::*;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use std::borrow::Cow;
use std::ops::RangeInclusive;
use zeroize::Zeroizing;

/// Base key lengths in bits, as C_GetMechanismInfo reports them for these
/// mechanisms (PKCS#11 §6.42): 1 to 512 bytes of generic secret or HMAC key
/// for an HMAC PRF; AES-CMAC takes AES keys (16, 24 or 32 bytes), inside
/// that range.
const KEY_BITS: RangeInclusive<CK_ULONG> = 8..=4096;

/// One PRF block: the PRF under `key` of the concatenated `parts`, appended
/// to `out`.
type Block = fn(key: &[u8], parts: &[&[u8]], out: &mut Value) -> Result<()>;

fn hmac_block<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]], out: &mut Value) -> Result<()> {
    let mut mac = <M as KeyInit>::new_from_slice(key).map_err(|_| Ckr::KEY_SIZE_RANGE)?;
    for part in parts {
        mac.update(part);
    }
    out.extend_from_slice(&mac.finalize().into_bytes());
    Ok(())
}

fn cmac_block(key: &[u8], parts: &[&[u8]], out: &mut Value) -> Result<()> {
    out.extend_from_slice(&Zeroizing::new(aes_cmac(key, parts)?)[..]);
    Ok(())
}

/// A PRF: its output length h, the base key types and lengths (bytes) it
/// accepts, and its block function.
struct Prf {
    len: usize,
    key_types: &'static [CK_KEY_TYPE],
    key_sizes: RangeInclusive<usize>,
    block: Block,
}

fn prf(ty: CK_MECHANISM_TYPE) -> Option<Prf> {
    let hmac = |len, key_types, block| Prf {
        len,
        key_types,
        key_sizes: 1..=512,
        block,
    };
    Some(match ty {
        CKM_SHA_1_HMAC => hmac(
            20,
            &[CKK_GENERIC_SECRET, CKK_SHA_1_HMAC],
            hmac_block::<Hmac<sha1::Sha1>>,
        ),
        CKM_SHA224_HMAC => hmac(
            28,
            &[CKK_GENERIC_SECRET, CKK_SHA224_HMAC],
            hmac_block::<Hmac<sha2::Sha224>>,
        ),
        CKM_SHA256_HMAC => hmac(
            32,
            &[CKK_GENERIC_SECRET, CKK_SHA256_HMAC],
            hmac_block::<Hmac<sha2::Sha256>>,
        ),
        CKM_SHA384_HMAC => hmac(
            48,
            &[CKK_GENERIC_SECRET, CKK_SHA384_HMAC],
            hmac_block::<Hmac<sha2::Sha384>>,
        ),
        CKM_SHA512_HMAC => hmac(
            64,
            &[CKK_GENERIC_SECRET, CKK_SHA512_HMAC],
            hmac_block::<Hmac<sha2::Sha512>>,
        ),
        CKM_SHA3_224_HMAC => hmac(
            28,
            &[CKK_GENERIC_SECRET, CKK_SHA3_224_HMAC],
            hmac_block::<Hmac<sha3::Sha3_224>>,
        ),
        CKM_SHA3_256_HMAC => hmac(
            32,
            &[CKK_GENERIC_SECRET, CKK_SHA3_256_HMAC],
            hmac_block::<Hmac<sha3::Sha3_256>>,
        ),
        CKM_SHA3_384_HMAC => hmac(
            48,
            &[CKK_GENERIC_SECRET, CKK_SHA3_384_HMAC],
            hmac_block::<Hmac<sha3::Sha3_384>>,
        ),
        CKM_SHA3_512_HMAC => hmac(
            64,
            &[CKK_GENERIC_SECRET, CKK_SHA3_512_HMAC],
            hmac_block::<Hmac<sha3::Sha3_512>>,
        ),
        CKM_AES_CMAC => Prf {
            len: crate::mech::cmac::TAG_LEN,
            key_types: &[CKK_AES],
            key_sizes: 16..=32,
            block: cmac_block,
        },
        _ => return None,
    })
}

/// The two modes offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Counter,
    Feedback,
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

/// Check the layout the mode requires (PKCS#11 §6.42.4, §6.42.5): counter
/// mode has exactly one counter as its iteration variable and no optional
/// counter; feedback mode exactly one chained iteration variable and at most
/// one optional counter; both at most one DKM length, otherwise only byte
/// arrays.
fn check_layout(mode: Mode, data: &[PrfData]) -> Result<()> {
    let count = |f: fn(&PrfData) -> bool| data.iter().filter(|d| f(d)).count();
    let counters = count(|d| matches!(d, PrfData::Counter { .. }));
    let chained = count(|d| matches!(d, PrfData::Chained));
    let optional = count(|d| matches!(d, PrfData::OptionalCounter { .. }));
    let lengths = count(|d| matches!(d, PrfData::DkmLength { .. }));
    let unsupported = count(|d| matches!(d, PrfData::Unsupported(_)));
    let ok = match mode {
        Mode::Counter => counters == 1 && chained == 0 && optional == 0,
        Mode::Feedback => chained == 1 && counters == 0 && optional <= 1,
    };
    if ok && lengths <= 1 && unsupported == 0 {
        Ok(())
    } else {
        Err(Ckr::MECHANISM_PARAM_INVALID)
    }
}

/// The PRF input of block `i`, in the caller's order: counters (8 to 32
/// bits) as i, the chained variable as `previous`, the DKM length (8 to 64
/// bits) as the bits of `dkm` its method names (sum of keys, sum of
/// segments), byte arrays as given. The layout is checked beforehand.
fn input<'a>(
    data: &'a [PrfData],
    i: u64,
    previous: &'a [u8],
    dkm: (u64, u64),
) -> Result<Vec<Cow<'a, [u8]>>> {
    data.iter()
        .map(|entry| {
            Ok(match entry {
                PrfData::Counter {
                    little_endian,
                    width_bits,
                }
                | PrfData::OptionalCounter {
                    little_endian,
                    width_bits,
                } => Cow::Owned(encode(i, *width_bits, *little_endian, 32)?),
                PrfData::Chained => Cow::Borrowed(previous),
                PrfData::DkmLength {
                    method,
                    little_endian,
                    width_bits,
                } => {
                    let bits = match *method {
                        CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS => dkm.0,
                        CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS => dkm.1,
                        _ => return Err(Ckr::MECHANISM_PARAM_INVALID),
                    };
                    Cow::Owned(encode(bits, *width_bits, *little_endian, 64)?)
                }
                PrfData::Bytes(bytes) => Cow::Borrowed(&bytes[..]),
                PrfData::Unsupported(_) => return Err(Ckr::MECHANISM_PARAM_INVALID),
            })
        })
        .collect()
}

/// Keying material for keys of `lens` bytes, each from PRF blocks of its
/// own ("no key can be created using part of a segment that was used for
/// another key"), in order. L is the sum of the key lengths
/// (SUM_OF_KEYS) or of all the blocks (SUM_OF_SEGMENTS), in bits.
fn kdf(
    mode: Mode,
    prf: &Prf,
    key: &[u8],
    data: &[PrfData],
    iv: &[u8],
    lens: &[usize],
) -> Result<Vec<Value>> {
    check_layout(mode, data)?;
    let h = prf.len;
    let per_key: Vec<usize> = lens.iter().map(|len| len.div_ceil(h)).collect();
    let blocks: usize = per_key.iter().sum();
    let total: usize = lens.iter().sum();
    let dkm = (8 * total as u64, 8 * (blocks * h) as u64);
    // Exact capacity: the blocks never reallocate (and leave copies behind).
    let mut out = Zeroizing::new(Vec::with_capacity(blocks * h));
    let mut previous = Zeroizing::new(iv.to_vec());
    for i in 1..=blocks {
        let parts = input(data, i as u64, &previous, dkm)?;
        let parts: Vec<&[u8]> = parts.iter().map(|p| &p[..]).collect();
        (prf.block)(key, &parts, &mut out)?;
        if mode == Mode::Feedback {
            previous = Zeroizing::new(out[(i - 1) * h..i * h].to_vec());
        }
    }
    let mut keys = Vec::with_capacity(lens.len());
    let mut start = 0;
    for (len, n) in lens.iter().zip(per_key) {
        keys.push(Zeroizing::new(out[start..start + len].to_vec()));
        start += n * h;
    }
    Ok(keys)
}

/// CKM_SP800_108_COUNTER_KDF or CKM_SP800_108_FEEDBACK_KDF.
struct Kbkdf {
    ty: CK_MECHANISM_TYPE,
    name: &'static str,
    mode: Mode,
}

impl MechanismImpl for Kbkdf {
    fn ty(&self) -> CK_MECHANISM_TYPE {
        self.ty
    }
    fn name(&self) -> &'static str {
        self.name
    }
    fn info(&self) -> CK_MECHANISM_INFO {
        info(*KEY_BITS.start(), *KEY_BITS.end(), CKF_DERIVE)
    }

    /// One key: the caller's template and no additional keys.
    fn derive(
        &self,
        m: &Mechanism,
        base: &Attributes,
        template: &Attributes,
    ) -> Result<Attributes> {
        derive_one(self, m, base, template)
    }

    /// Every key's CKA_VALUE, of its template's CKA_VALUE_LEN (required).
    /// CKA_SENSITIVE and CKA_EXTRACTABLE a template leaves out are the base
    /// key's (PKCS#11 §6.42.8).
    fn derive_keys(
        &self,
        m: &Mechanism,
        base: &Attributes,
        inputs: &[&Attributes],
        templates: &[Attributes],
    ) -> Result<Vec<Attributes>> {
        let MechParam::Kbkdf {
            prf: prf_type,
            data,
            iv,
            additional,
        } = &m.param
        else {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        };
        let counter_iv = self.mode == Mode::Counter && !iv.is_empty();
        if counter_iv || !inputs.is_empty() || templates.len() != additional.len() + 1 {
            return Err(Ckr::MECHANISM_PARAM_INVALID);
        }
        let prf = prf(*prf_type).ok_or(Ckr::MECHANISM_PARAM_INVALID)?;
        let key = secret_key(base, prf.key_types, prf.key_sizes.clone())?;
        let mut lens = Vec::with_capacity(templates.len());
        for t in templates {
            secret_template(t)?;
            lens.push(output_len(t, None)?);
        }
        let values = kdf(self.mode, &prf, key, data, iv, &lens)?;
        templates
            .iter()
            .zip(values)
            .map(|(t, value)| {
                let mut out = Attributes::new();
                for attr in [CKA_SENSITIVE, CKA_EXTRACTABLE] {
                    if let (false, Some(v)) = (t.contains(attr), base.bool(attr)?) {
                        out.set_bool(attr, v);
                    }
                }
                Ok(with_value(out, value))
            })
            .collect()
    }
}

pub(super) fn register(r: &mut Registry) {
    r.add(Kbkdf {
        ty: CKM_SP800_108_COUNTER_KDF,
        name: "CKM_SP800_108_COUNTER_KDF",
        mode: Mode::Counter,
    });
    r.add(Kbkdf {
        ty: CKM_SP800_108_FEEDBACK_KDF,
        name: "CKM_SP800_108_FEEDBACK_KDF",
        mode: Mode::Feedback,
    });
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

    fn counter(width_bits: CK_ULONG) -> PrfData {
        PrfData::Counter {
            little_endian: false,
            width_bits,
        }
    }

    fn optional(width_bits: CK_ULONG) -> PrfData {
        PrfData::OptionalCounter {
            little_endian: true,
            width_bits,
        }
    }

    fn owned(parts: Vec<Cow<'_, [u8]>>) -> Vec<Vec<u8>> {
        parts.into_iter().map(|p| p.into_owned()).collect()
    }

    #[test]
    fn layout_rules() {
        let length = PrfData::DkmLength {
            method: CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS,
            little_endian: false,
            width_bits: 16,
        };
        let data = [counter(8), PrfData::Bytes(vec![7]), length.clone()];
        assert_eq!(check_layout(Mode::Counter, &data), Ok(()));
        assert_eq!(
            owned(input(&data, 3, &[], (40, 64)).unwrap()),
            vec![vec![3], vec![7], vec![0, 40]]
        );
        let segments = PrfData::DkmLength {
            method: CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS,
            little_endian: true,
            width_bits: 16,
        };
        assert_eq!(
            owned(input(&[segments, counter(8)], 1, &[], (40, 256)).unwrap()),
            vec![vec![0, 1], vec![1]]
        );
        // Feedback: the previous block where the iteration variable stands,
        // the optional counter (little-endian here) where it stands.
        let feedback = [optional(16), PrfData::Chained, PrfData::Bytes(vec![9])];
        assert_eq!(check_layout(Mode::Feedback, &feedback), Ok(()));
        assert_eq!(
            owned(input(&feedback, 2, b"prev", (8, 8)).unwrap()),
            vec![vec![2, 0], b"prev".to_vec(), vec![9]]
        );
        assert_eq!(check_layout(Mode::Feedback, &[PrfData::Chained]), Ok(()));
        let bad_counter = [
            vec![],
            vec![PrfData::Bytes(vec![1])],
            vec![counter(8), counter(8)],
            vec![counter(8), length.clone(), length.clone()],
            vec![counter(8), PrfData::Unsupported(CK_SP800_108_KEY_HANDLE)],
            vec![counter(8), optional(8)],
            vec![counter(8), PrfData::Chained],
            vec![PrfData::Chained],
        ];
        for bad in bad_counter {
            assert_eq!(
                check_layout(Mode::Counter, &bad),
                Err(Ckr::MECHANISM_PARAM_INVALID),
                "counter mode: {bad:?}"
            );
        }
        let bad_feedback = [
            vec![],
            vec![optional(8)],
            vec![counter(8)],
            vec![PrfData::Chained, counter(8)],
            vec![PrfData::Chained, PrfData::Chained],
            vec![PrfData::Chained, optional(8), optional(8)],
            vec![PrfData::Chained, length.clone(), length],
            vec![PrfData::Chained, PrfData::Unsupported(9)],
        ];
        for bad in bad_feedback {
            assert_eq!(
                check_layout(Mode::Feedback, &bad),
                Err(Ckr::MECHANISM_PARAM_INVALID),
                "feedback mode: {bad:?}"
            );
        }
        let unknown_method = PrfData::DkmLength {
            method: 9,
            little_endian: false,
            width_bits: 8,
        };
        assert_eq!(
            input(&[unknown_method, counter(8)], 1, &[], (8, 8)),
            Err(Ckr::MECHANISM_PARAM_INVALID)
        );
    }

    #[test]
    fn counter_limits() {
        // An 8-bit counter cannot count past 255 blocks, in either mode.
        let p = prf(CKM_SHA256_HMAC).unwrap();
        let narrow = [counter(8)];
        assert!(kdf(Mode::Counter, &p, b"k", &narrow, &[], &[255 * 32]).is_ok());
        assert_eq!(
            kdf(Mode::Counter, &p, b"k", &narrow, &[], &[255 * 32 + 1]).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
        // Split over two keys the blocks add up the same way.
        assert_eq!(
            kdf(
                Mode::Counter,
                &p,
                b"k",
                &narrow,
                &[],
                &[128 * 32, 127 * 32 + 1]
            )
            .err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
        let feedback = [PrfData::Chained, optional(8)];
        assert!(kdf(Mode::Feedback, &p, b"k", &feedback, &[], &[255 * 32]).is_ok());
        assert_eq!(
            kdf(Mode::Feedback, &p, b"k", &feedback, &[], &[255 * 32 + 1]).err(),
            Some(Ckr::MECHANISM_PARAM_INVALID)
        );
        // Without a counter, feedback mode has no such limit here.
        assert!(kdf(
            Mode::Feedback,
            &p,
            b"k",
            &[PrfData::Chained],
            &[],
            &[300 * 32]
        )
        .is_ok());
    }

    #[test]
    fn keys_take_disjoint_blocks() {
        // PKCS#11 §6.42.7's example: a 48-byte key and a 16-byte key with
        // HMAC-SHA256 take three blocks; the second key is the third block.
        let p = prf(CKM_SHA256_HMAC).unwrap();
        let data = [counter(32), PrfData::Bytes(b"x".to_vec())];
        let keys = kdf(Mode::Counter, &p, b"key", &data, &[], &[48, 16]).unwrap();
        let stream = kdf(Mode::Counter, &p, b"key", &data, &[], &[96]).unwrap();
        assert_eq!(keys[0][..], stream[0][..48]);
        assert_eq!(keys[1][..], stream[0][64..80]);
        // With the DKM length in the input, L is 512 bits (keys) or 768
        // (segments), so the blocks differ from a single 96-byte key's.
        for (method, bits) in [
            (CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, 512u32),
            (CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS, 768),
        ] {
            let mut with_l = data.to_vec();
            with_l.push(PrfData::DkmLength {
                method,
                little_endian: false,
                width_bits: 32,
            });
            let keys = kdf(Mode::Counter, &p, b"key", &with_l, &[], &[48, 16]).unwrap();
            let mut fixed = b"x".to_vec();
            fixed.extend_from_slice(&bits.to_be_bytes());
            let mut reference = Vec::new();
            for i in 1u32..=3 {
                let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(b"key").unwrap();
                mac.update(&i.to_be_bytes());
                mac.update(&fixed);
                reference.extend_from_slice(&mac.finalize().into_bytes());
            }
            assert_eq!(keys[0][..], reference[..48], "L = {bits}");
            assert_eq!(keys[1][..], reference[64..80], "L = {bits}");
        }
    }
}
