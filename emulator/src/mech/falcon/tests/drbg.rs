//! The NIST PQC KAT generator (`rng.c` of the submission packages):
//! AES-256 CTR_DRBG without derivation function, as the vector README
//! describes it. Test-only: it replays the randomness of the KAT files.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes256;

pub(super) struct KatDrbg {
    key: [u8; 32],
    v: [u8; 16],
}

impl KatDrbg {
    /// randombytes_init(seed): Key = 0, V = 0, then Update(seed).
    pub(super) fn new(seed: &[u8; 48]) -> KatDrbg {
        let mut drbg = KatDrbg {
            key: [0; 32],
            v: [0; 16],
        };
        drbg.update(seed);
        drbg
    }

    /// AES-256(Key, ++V), V a 128-bit big-endian counter.
    fn next_block(&mut self) -> [u8; 16] {
        self.v = (u128::from_be_bytes(self.v).wrapping_add(1)).to_be_bytes();
        let mut block = self.v.into();
        Aes256::new(&self.key.into()).encrypt_block(&mut block);
        block.into()
    }

    /// Update(provided): three blocks XOR `provided` become Key ‖ V.
    fn update(&mut self, provided: &[u8; 48]) {
        let mut t = [0u8; 48];
        for chunk in t.chunks_mut(16) {
            chunk.copy_from_slice(&self.next_block());
        }
        for (t, p) in t.iter_mut().zip(provided) {
            *t ^= p;
        }
        self.key.copy_from_slice(&t[..32]);
        self.v.copy_from_slice(&t[32..]);
    }

    /// randombytes(out): whole blocks (the last one cut), then Update(0).
    pub(super) fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(16) {
            let block = self.next_block();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        self.update(&[0; 48]);
    }

    pub(super) fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }
}
