//! Binding a proof to its input: the input digest `d`, which anyone recomputes from input.json
//! (with the model's settings and the SRS) and reads from the proof at fixed offsets.
//!
//! Both layouts keep the input alone in some advice columns (windowed: A and C; layered: X, a
//! copy of the input cells' table entries; [`crate::circuit::input_columns`]). The prover fills
//! those columns' unusable tail rows with zeros instead of random values ([`TailRng`]), so the
//! KZG commitment of each is `Σ x_i·[L_i(s)]₁` over the input cells `x_i` (halo2's KZG
//! commitments carry no blinding term of their own): a function of the input only.
//! `d = keccak256(C₁ ‖ C₂ ‖ …)` over those points, each as the EVM reads it (x ‖ y, 32-byte
//! big-endian words). Every other column keeps its random tail rows.
//!
//! What this costs and what it means:
//! - for the windowed layout nothing in rows, columns, the verifying key or verifier gas; for
//!   the layered one a fourth advice column and its gate;
//! - two inputs cannot alias: d commits to the field elements themselves, and the organizer
//!   computes it from the quantized integers of the features, far inside the field;
//! - the input is no longer hidden: the commitment identifies it, and the proof's evaluations
//!   of those columns are linear combinations of the input cells. A contest registers the
//!   features anyway; the key and the score stay as they were;
//! - binding holds only under an SRS whose secret nobody knows (a ceremony's): whoever knows the
//!   secret of a local SRS can open a commitment to another input.
//!
//! The zero tails rely on the order in which halo2's prover draws its randomness (each advice
//! column's tail rows, column by column, eight `next_u64` per field element, before anything
//! else); `tests/binding.rs` recomputes `d` from the input and finds it in real proofs, so a
//! prover that draws otherwise fails there.

use std::fmt;
use std::ops::Range;

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::halo2curves::group::Curve;
use halo2_proofs::poly::commitment::{Blind, Params};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::poly::EvaluationDomain;
use rand::RngCore;

use crate::encoding::{hex0x, unhex};

/// Bytes of one commitment in the proof (x ‖ y, 32-byte big-endian words).
const POINT_BYTES: usize = 64;
/// `next_u64` draws per random field element (`Fr::random` reads 512 bits).
const DRAWS_PER_ELEMENT: u64 = 8;

/// `d`: the keccak256 of the commitments to the columns that hold the input.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InputDigest(pub [u8; 32]);

impl InputDigest {
    /// From `0x` + 64 hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if !t.starts_with("0x") || t.len() != 66 {
            return None;
        }
        unhex(t).and_then(|b| b.try_into().ok()).map(Self)
    }
}

impl fmt::Display for InputDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex0x(self.0))
    }
}

impl fmt::Debug for InputDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for InputDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for InputDigest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text} is not an input digest (\"0x\" + 64 hex digits)"
            ))
        })
    }
}

/// The point as the EVM transcript writes it: x ‖ y, big-endian (the identity as zeros).
fn point_bytes(p: &G1Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    let (mut x, mut y) = (p.x.to_repr(), p.y.to_repr());
    x.as_mut().reverse();
    y.as_mut().reverse();
    out[..32].copy_from_slice(x.as_ref());
    out[32..].copy_from_slice(y.as_ref());
    out
}

fn keccak(bytes: &[u8]) -> InputDigest {
    InputDigest(ethers_core::utils::keccak256(bytes))
}

/// `d` of the commitments to the input columns.
pub fn digest_of_points(points: &[G1Affine]) -> InputDigest {
    let bytes: Vec<u8> = points.iter().flat_map(point_bytes).collect();
    keccak(&bytes)
}

/// Where the input columns' commitments sit in a proof: the first commitments of the transcript
/// are the advice columns of the first phase, in column order.
pub fn proof_offsets(columns: &[usize]) -> Vec<Range<usize>> {
    columns
        .iter()
        .map(|&c| c * POINT_BYTES..(c + 1) * POINT_BYTES)
        .collect()
}

/// `d` as a proof records it (the bytes at [`proof_offsets`]); None when the proof is too short
/// or the layout has no input columns.
pub fn digest_of_proof(proof: &[u8], columns: &[usize]) -> Option<InputDigest> {
    if columns.is_empty() {
        return None;
    }
    let mut bytes = Vec::with_capacity(columns.len() * POINT_BYTES);
    for r in proof_offsets(columns) {
        bytes.extend_from_slice(proof.get(r)?);
    }
    Some(keccak(&bytes))
}

/// The commitments to the input columns, given their values as the prover assigns them (zero
/// past them, tail rows included), under `params`.
pub fn input_commitments(params: &ParamsKZG<Bn256>, columns: Vec<Vec<Fr>>) -> Vec<G1Affine> {
    let domain = EvaluationDomain::<Fr>::new(1, params.k());
    let n = params.n() as usize;
    columns
        .into_iter()
        .map(|mut values| {
            values.resize(n, Fr::zero());
            params
                .commit_lagrange(&domain.lagrange_from_vec(values), Blind::default())
                .to_affine()
        })
        .collect()
}

/// `d` of the input columns' values.
pub fn input_digest(params: &ParamsKZG<Bn256>, columns: Vec<Vec<Fr>>) -> InputDigest {
    digest_of_points(&input_commitments(params, columns))
}

/// The prover's randomness with the tail rows of some advice columns set to zero: the draws
/// halo2's prover makes for those rows (`rows` field elements per column, column by column,
/// before any other draw) return 0; every other draw comes from `inner`.
pub struct TailRng<R> {
    inner: R,
    draws: u64,
    zero: Vec<Range<u64>>,
}

impl<R: RngCore> TailRng<R> {
    /// `columns`: advice column indices to keep unblinded; `rows`: the unusable rows per column
    /// (`blinding_factors() + 1`).
    pub fn new(inner: R, columns: &[usize], rows: usize) -> Self {
        let per_column = rows as u64 * DRAWS_PER_ELEMENT;
        Self {
            inner,
            draws: 0,
            zero: columns
                .iter()
                .map(|&c| c as u64 * per_column..(c as u64 + 1) * per_column)
                .collect(),
        }
    }
}

impl<R: RngCore> RngCore for TailRng<R> {
    fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        let i = self.draws;
        self.draws += 1;
        if self.zero.iter().any(|r| r.contains(&i)) {
            0
        } else {
            self.inner.next_u64()
        }
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.inner.fill_bytes(dest)
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.inner.try_fill_bytes(dest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_rng_zeroes_exactly_the_scheduled_draws() {
        let mut r = TailRng::new(rand_chacha::ChaCha20Rng::from_seed([7; 32]), &[0, 2], 2);
        let draws: Vec<u64> = (0..64).map(|_| r.next_u64()).collect();
        // 16 draws per column: columns 0 and 2 zero, 1 and after random.
        assert!(draws[..16].iter().all(|&d| d == 0));
        assert!(draws[16..32].iter().all(|&d| d != 0));
        assert!(draws[32..48].iter().all(|&d| d == 0));
        assert!(draws[48..].iter().all(|&d| d != 0));
    }

    #[test]
    fn digests_parse_and_print() {
        let d = InputDigest([0xab; 32]);
        assert_eq!(InputDigest::parse(&d.to_string()), Some(d));
        assert_eq!(InputDigest::parse("0xab"), None);
        assert_eq!(InputDigest::parse(&"ab".repeat(32)), None);
        assert_eq!(digest_of_proof(&[0u8; 100], &[0, 2]), None);
        assert_eq!(digest_of_proof(&[0u8; 200], &[]), None);
    }

    use rand::SeedableRng;
}
