//! [`QuantNet`] + one input → [`ModelCircuit`]: the Halo2 circuit that proves "this judge, with
//! these fixed weights, gave this score for some private spectrogram, and the key passed through
//! unchanged".
//!
//! Both layouts are backends of the one spec ([`QuantNet::forward_q`]): the witness is its trace.
//! They share the tagged lookup table, the public instances `[key, score]` and the absence of any
//! permutation argument:
//! - [`windowed`] for the tutorial's shape (one 1→1 conv with even strides): each conv window is
//!   one gate reading its inputs by rotation from two input columns; 3 advice columns, 1 fixed
//!   column, 1 lookup argument, 2^13 rows for the tutorial judge;
//! - [`layered`] for widened or deepened judges: one row per multiply-add, activations fetched
//!   by dynamic lookup.

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};

pub mod forge;
pub mod layered;
pub mod lesson;
pub mod slice;
pub mod windowed;

use crate::network::Network;
use crate::quantize::{Layout, QuantNet};
use layered::{LayeredCircuit, LayeredConfig, LayeredShape};
pub use slice::WitnessSlice;

/// Why a network does not fit a circuit layout, or a view the circuit cannot give: the reason,
/// naming the value (a stride, a size, a row range).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unfit(pub String);

impl From<String> for Unfit {
    fn from(reason: String) -> Self {
        Self(reason)
    }
}

impl From<&str> for Unfit {
    fn from(reason: &str) -> Self {
        Self(reason.to_owned())
    }
}
pub use windowed::{CircuitShape, JudgeCircuit, JudgeConfig};

/// Lookup table tags.
pub(crate) const TAG_RANGE: u64 = 1;
pub(crate) const TAG_SIGMOID: u64 = 2;
/// Row of the key and of the score in the instance column.
pub(crate) const KEY_ROW: usize = 0;
pub(crate) const SCORE_ROW: usize = 1;
/// Bumped whenever the circuit's layout changes: keys and witnesses carry it (through
/// `Model::digest`), so files made for an older layout are refused instead of misread.
pub(crate) const LAYOUT_VERSION: u32 = 3;
/// Public instances: the key and the score.
pub const NUM_INSTANCES: usize = 2;

/// One proof's witness as a circuit takes it: the public instances `[key, score]` and every
/// advice cell, laid out from the trace by the layout's `fill`. This is the circuits' one seam
/// for witness values: a soundness test changes cells here ([`forge`]), and the circuits
/// themselves carry no test hooks.
#[derive(Debug, Clone, PartialEq)]
pub struct Assigned<C> {
    pub instances: [Fr; NUM_INSTANCES],
    pub columns: C,
}

/// The layout a network gets: the windowed fast path only when the network is exactly the
/// tutorial's shape and its conv fits the layout ([`windowed::holds`]); anything else the
/// layered circuit.
pub fn layout_of(net: &Network) -> Layout {
    if windowed::holds(net).is_ok() {
        Layout::Windowed
    } else {
        Layout::Layered
    }
}

/// The static entries of the tagged lookup table both layouts use, in order: `(0, 0, 0)` for rows
/// that look nothing up, `(TAG_RANGE, v, 0)` for every `v < 2^limb_bits`, and
/// `(TAG_SIGMOID, idx, σ_q[idx])` over the sigmoid's grid from index `sigmoid_lo`.
pub(crate) fn static_table(limb_bits: u32, sigmoid_lo: i64, sigmoid: &[i64]) -> Vec<(u64, Fr, Fr)> {
    let mut entries = vec![(0, Fr::ZERO, Fr::ZERO)];
    entries.extend((0..1u64 << limb_bits).map(|v| (TAG_RANGE, Fr::from(v), Fr::ZERO)));
    entries.extend(sigmoid.iter().enumerate().map(|(i, &s)| {
        (
            TAG_SIGMOID,
            fe((sigmoid_lo + i as i64) as i128),
            fe(s as i128),
        )
    }));
    entries
}

/// Field element of a signed integer.
pub fn fe(v: i128) -> Fr {
    let mag = Fr::from_u128(v.unsigned_abs());
    if v < 0 {
        -mag
    } else {
        mag
    }
}

/// The signed integer a field element stands for when it lies within 2^64 of zero (the inverse
/// of [`fe`] for those values), else `None` (a key, a hash, a large running sum).
pub(crate) fn fe_small(v: &Fr) -> Option<i128> {
    let low = |f: &Fr| {
        let b = f.to_repr();
        b[8..]
            .iter()
            .all(|&x| x == 0)
            .then(|| u64::from_le_bytes(b[..8].try_into().expect("8 bytes")))
    };
    low(v)
        .map(i128::from)
        .or_else(|| low(&-*v).map(|m| -i128::from(m)))
}

pub(crate) fn pow2(bits: u32) -> Fr {
    Fr::from(2).pow_vartime([bits as u64])
}

/// `n` little-endian limbs of `bits` bits of `v`.
pub(crate) fn split_limbs(v: u128, n: usize, bits: u32) -> Vec<i64> {
    let mask = (1u128 << bits) - 1;
    (0..n)
        .map(|i| ((v >> (i as u32 * bits)) & mask) as i64)
        .collect()
}

/// The sigmoid remainder's limb cells; a negative remainder (a soundness test's moved index)
/// goes whole into limb 0, as a field element.
pub(crate) fn remainder_cells(rem: i128, n: usize, bits: u32) -> Vec<Fr> {
    if rem >= 0 {
        split_limbs(rem as u128, n, bits)
            .into_iter()
            .map(|l| fe(l as i128))
            .collect()
    } else {
        let mut v = vec![Fr::ZERO; n];
        v[0] = fe(rem);
        v
    }
}

/// Rows halo2 keeps below the usable ones for circuit `C` with `params` (its blinding rows and
/// the last row), read from the constraint system `C` configures.
pub(crate) fn reserved_rows<C: Circuit<Fr>>(params: C::Params) -> usize {
    let mut cs = ConstraintSystem::<Fr>::default();
    C::configure_with_params(&mut cs, params);
    cs.blinding_factors() + 1
}

/// The shape of the circuit a model gets: the windowed fast path (the tutorial's one 1→1 conv)
/// or the layered circuit (any supported width and depth). Key files carry it, so a verifying
/// key reads without the model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelShape {
    Windowed(CircuitShape),
    Layered(LayeredShape),
}

impl Default for ModelShape {
    fn default() -> Self {
        Self::Windowed(CircuitShape::default())
    }
}

/// The advice columns of a layout's circuit that hold the input and nothing else (indices in
/// column order, all in the first phase), whose commitments bind the input
/// ([`crate::binding`]); empty for a layout without them.
pub fn input_columns(layout: Layout) -> &'static [usize] {
    match layout {
        Layout::Windowed => &windowed::INPUT_ADVICE,
        Layout::Layered => &layered::INPUT_ADVICE,
    }
}

impl ModelShape {
    /// The advice columns (indices in column order, all in the first phase) that hold the input
    /// and nothing else, so that their commitments bind it; empty for a layout without them.
    pub fn input_columns(&self) -> &'static [usize] {
        input_columns(match self {
            Self::Windowed(_) => Layout::Windowed,
            Self::Layered(_) => Layout::Layered,
        })
    }

    /// The shape of a fixed-point model's circuit, or why a windowed model's conv windows do
    /// not fit the layout (too many limbs for its strides).
    pub fn new(q: &QuantNet) -> Result<Self, Unfit> {
        Ok(match q.layout {
            Layout::Windowed => Self::Windowed(CircuitShape::new(q)?),
            Layout::Layered => Self::Layered(LayeredShape::new(q, &layered::LayeredPlan::new(q))),
        })
    }

    /// Rows the witness occupies.
    pub fn witness_rows(&self) -> usize {
        match self {
            Self::Windowed(s) => s.witness_rows(),
            Self::Layered(s) => s.rows,
        }
    }
    /// Rows (entries) of the lookup table.
    pub fn table_rows(&self) -> usize {
        match self {
            Self::Windowed(s) => s.table_rows(),
            Self::Layered(s) => s.table_entries,
        }
    }
    /// Smallest k that holds the circuit.
    pub(crate) fn min_k(&self) -> u32 {
        match self {
            Self::Windowed(s) => s.min_k(),
            Self::Layered(s) => s.min_k(),
        }
    }
    /// Advice, fixed (lookup table columns included; before selector compression) and lookup
    /// arguments.
    pub fn columns(&self) -> (usize, usize, usize) {
        match self {
            Self::Windowed(s) => s.columns(),
            Self::Layered(s) => s.columns(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum ModelConfig {
    Windowed(JudgeConfig),
    Layered(LayeredConfig),
}

/// The circuit for any model: keys, proofs and the EVM verifier are made from this type.
// One value per key or proof, never stored in bulk: the size gap between the backends is harmless.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ModelCircuit {
    Windowed(JudgeCircuit),
    Layered(LayeredCircuit),
}

impl From<JudgeCircuit> for ModelCircuit {
    fn from(c: JudgeCircuit) -> Self {
        Self::Windowed(c)
    }
}

impl From<LayeredCircuit> for ModelCircuit {
    fn from(c: LayeredCircuit) -> Self {
        Self::Layered(c)
    }
}

impl ModelCircuit {
    /// Public instances: `[key, score]`.
    pub fn instances(&self) -> Vec<Fr> {
        match self {
            Self::Windowed(c) => c.instances(),
            Self::Layered(c) => c.instances(),
        }
    }
    /// What the lookup on `row` looks up: `range`, `sigmoid` or `activation`.
    pub(crate) fn lookup_kind(&self, row: usize) -> &'static str {
        match self {
            Self::Windowed(c) => c.shape.lookup_kind(row),
            Self::Layered(c) => c.lookup_kind(row),
        }
    }
    pub fn shape(&self) -> ModelShape {
        match self {
            Self::Windowed(c) => ModelShape::Windowed(c.shape.clone()),
            Self::Layered(c) => ModelShape::Layered(c.shape.clone()),
        }
    }
}

impl Circuit<Fr> for ModelCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ModelShape;

    fn without_witnesses(&self) -> Self {
        match self {
            Self::Windowed(c) => Self::Windowed(c.without_witnesses()),
            Self::Layered(c) => Self::Layered(c.without_witnesses()),
        }
    }

    fn params(&self) -> ModelShape {
        self.shape()
    }

    /// Keygen and the prover call `configure_with_params` with the circuit's own shape; this
    /// plain form configures the empty shape (no gates hold), never a panic.
    fn configure(meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        Self::configure_with_params(meta, Self::Params::default())
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, shape: ModelShape) -> ModelConfig {
        match shape {
            ModelShape::Windowed(s) => {
                ModelConfig::Windowed(JudgeCircuit::configure_with_params(meta, s))
            }
            ModelShape::Layered(s) => {
                ModelConfig::Layered(LayeredCircuit::configure_with_params(meta, s))
            }
        }
    }

    fn synthesize(&self, cfg: ModelConfig, layouter: impl Layouter<Fr>) -> Result<(), Error> {
        match (self, cfg) {
            (Self::Windowed(c), ModelConfig::Windowed(cfg)) => c.synthesize(cfg, layouter),
            (Self::Layered(c), ModelConfig::Layered(cfg)) => c.synthesize(cfg, layouter),
            _ => Err(Error::Synthesis),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain `configure` of every circuit configures the empty shape instead of panicking
    /// (halo2 only calls `configure_with_params`, but a caller may reach the plain form).
    #[test]
    fn plain_configure_never_panics() {
        let mut cs = ConstraintSystem::<Fr>::default();
        ModelCircuit::configure(&mut cs);
        let mut cs = ConstraintSystem::<Fr>::default();
        windowed::JudgeCircuit::configure(&mut cs);
        let mut cs = ConstraintSystem::<Fr>::default();
        layered::LayeredCircuit::configure(&mut cs);
    }
}
