//! Forged witnesses: a circuit's honest columns with cells changed on purpose, as a cheating
//! prover would assign them. The circuits take their witness through one seam
//! ([`super::Assigned`], filled by each layout's `fill`) and carry no test hooks; this module
//! edits the columns there.
//!
//! - [`JudgeCircuit::with_relu_flipped`] and [`LayeredCircuit::with_relu_flipped`]: one ReLU
//!   decision flipped, the cheating prover notebook 5 shows beside the honest mock;
//! - with the `forge` feature (the crate's own tests turn it on through its dev-dependency on
//!   itself; a normal build leaves it out): [`Tamper`] and [`LayeredTamper`], one per constraint,
//!   applied by `forged`, so every constraint has a negative test (tests/circuit_soundness.rs,
//!   tests/layered.rs).

use halo2_proofs::halo2curves::bn256::Fr;
#[cfg(feature = "forge")]
use halo2_proofs::halo2curves::ff::Field;

#[cfg(feature = "forge")]
use super::{fe, fe_small, pow2, KEY_ROW, SCORE_ROW};
use super::{layered::LayeredCircuit, windowed::JudgeCircuit};
#[cfg(feature = "forge")]
use crate::quantize::{split_logit, NetTrace, QuantNet};

impl JudgeCircuit {
    /// This circuit with window `window`'s ReLU decision flipped (its sign bit), as a prover
    /// lying about one neuron would assign it.
    pub(crate) fn with_relu_flipped(mut self, window: usize) -> Result<Self, String> {
        if window >= self.shape.windows() {
            return Err(format!(
                "window {window} does not exist: the conv has {} windows",
                self.shape.windows()
            ));
        }
        let shape = self.shape.clone();
        let cols = columns(&mut self.witness)?;
        let (limbs, sign) = cols.window(&shape, window);
        cols.set_window(&shape, window, &limbs, 1 - sign);
        cols.solve_free_cells(&shape);
        Ok(self)
    }
}

impl LayeredCircuit {
    /// This circuit with hidden layer `layer`'s neuron `neuron`'s ReLU decision flipped (its
    /// sign bit), as a prover lying about one neuron would assign it.
    pub(crate) fn with_relu_flipped(mut self, layer: usize, neuron: usize) -> Result<Self, String> {
        let r0 = *self
            .plan
            .blocks
            .get(layer)
            .and_then(|b| b.get(neuron))
            .ok_or_else(|| format!("hidden layer {layer} has no neuron {neuron}"))?;
        let sign_row = r0 + self.shape.hidden_limbs;
        let cols = columns(&mut self.witness)?;
        cols.a[sign_row] = Fr::one() - cols.a[sign_row];
        Ok(self)
    }
}

/// The columns of a circuit's witness, or why there are none.
fn columns<C>(w: &mut Option<super::Assigned<C>>) -> Result<&mut C, String> {
    w.as_mut()
        .map(|w| &mut w.columns)
        .ok_or_else(|| "a key-generation circuit has no witness to forge".to_string())
}

/// A windowed witness cell to corrupt on purpose (each must make the proof fail).
#[cfg(feature = "forge")]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tamper {
    None,
    /// Add `delta` to input cell `row` (row-major index in the used region; changes the conv
    /// output the limbs must match).
    Input {
        row: usize,
        delta: i64,
    },
    /// Flip the sign bit of window `n` (a wrong ReLU).
    Sign {
        window: usize,
    },
    /// Set the sign bit of window `n` to 2 (not a bit).
    SignNotBit {
        window: usize,
    },
    /// Add `delta` to magnitude limb `limb` of window `n`.
    Limb {
        window: usize,
        limb: usize,
        delta: i64,
    },
    /// Replace window `n`'s top limb by `value` and lower the one below so |c| is unchanged.
    LimbOutOfRange {
        window: usize,
        value: i64,
    },
    /// Add `delta` to the chain cell below window `n`'s anchor.
    Acc {
        window: usize,
        delta: i64,
    },
    /// Add `delta` to the chain cell on row `row` of column B (an odd offset from the first
    /// window), e.g. one that only carries the sum between two rows of windows.
    ChainRow {
        row: usize,
        delta: i64,
    },
    /// Shift the whole chain by `delta` (every step still holds; only its zero end can catch
    /// it).
    AccEnd {
        delta: i64,
    },
    /// Add `delta` to sigmoid remainder limb `limb`.
    Remainder {
        limb: usize,
        delta: i64,
    },
    /// Add 2^12 to remainder limb `limb` and take 1 from the next: the same remainder, one limb
    /// outside 12 bits.
    RemainderCarry {
        limb: usize,
    },
    /// Move the sigmoid index by `delta` (and the remainder to keep the split valid).
    Index {
        delta: i64,
    },
    /// Report another score than the table gives.
    Score {
        delta: i64,
    },
    /// Put `delta` into input cell `cell` (row-major in the used region), a padding cell of a
    /// padded model.
    Padding {
        cell: usize,
        delta: i64,
    },
}

#[cfg(feature = "forge")]
impl JudgeCircuit {
    /// This circuit with `t` applied to its witness columns (the instances stay the honest
    /// ones). Every change a cell's neighbours would absorb is carried through: the final
    /// gate's free cells are solved again, as a cheating prover would.
    pub fn forged(mut self, t: Tamper) -> Result<Self, String> {
        if let Tamper::Sign { window } = t {
            return self.with_relu_flipped(window);
        }
        let shape = self.shape.clone();
        let s = &shape;
        let cols = columns(&mut self.witness)?;
        let small = |f: &Fr| fe_small(f).expect("an honest cell is small");
        match t {
            Tamper::None | Tamper::Sign { .. } => {}
            Tamper::Input { row: i, delta } | Tamper::Padding { cell: i, delta } => {
                *cols.input_mut(s, i) += fe(delta as i128)
            }
            Tamper::SignNotBit { window } => {
                let (limbs, _) = cols.window(s, window);
                cols.set_window(s, window, &limbs, 2);
            }
            Tamper::Limb {
                window,
                limb,
                delta,
            } => {
                let (mut limbs, sign) = cols.window(s, window);
                limbs[limb] += delta;
                cols.set_window(s, window, &limbs, sign);
            }
            Tamper::LimbOutOfRange { window, value } => {
                let (mut limbs, sign) = cols.window(s, window);
                move_top_limb(&mut limbs, value, s.limb_bits);
                cols.set_window(s, window, &limbs, sign);
            }
            Tamper::Acc { window, delta } => {
                let r = s.window_row(window) + 1;
                if s.chain_rows().any(|c| c == r) {
                    cols.b[r] += fe(delta as i128);
                }
            }
            Tamper::ChainRow { row, delta } => {
                if s.chain_rows().any(|c| c == row) {
                    cols.b[row] += fe(delta as i128);
                }
            }
            Tamper::AccEnd { delta } => {
                for r in s.chain_rows() {
                    cols.b[r] += fe(delta as i128);
                }
            }
            Tamper::Index { delta } => {
                let idx = small(&cols.b[super::windowed::IDX_ROW]) as i64;
                let rem = remainder_of(
                    &cols.b[super::windowed::REM_ROW..][..s.rem_limbs],
                    s.limb_bits,
                );
                cols.set_split(s, idx + delta, rem - ((delta as i128) << s.rem_bits));
            }
            Tamper::Remainder { limb, delta } => {
                cols.b[super::windowed::REM_ROW + limb] += fe(delta as i128)
            }
            Tamper::RemainderCarry { limb } => {
                cols.b[super::windowed::REM_ROW + limb] += pow2(s.limb_bits);
                cols.b[super::windowed::REM_ROW + limb + 1] -= Fr::ONE;
            }
            Tamper::Score { delta } => cols.b[SCORE_ROW] += fe(delta as i128),
        }
        cols.solve_free_cells(s);
        Ok(self)
    }
}

/// Set the top limb to `value` and lower the one below so the limbs still sum to the same
/// value.
#[cfg(feature = "forge")]
fn move_top_limb(limbs: &mut [i64], value: i64, bits: u32) {
    let top = limbs.len() - 1;
    let diff = value - limbs[top];
    limbs[top] = value;
    limbs[top - 1] -= diff << bits;
}

/// The remainder an honest split's limb cells hold.
#[cfg(feature = "forge")]
fn remainder_of(cells: &[Fr], limb_bits: u32) -> i128 {
    cells.iter().enumerate().fold(0, |r, (i, f)| {
        r + (fe_small(f).expect("an honest limb is small") << (limb_bits * i as u32))
    })
}

/// A change to one activation, carried consistently downstream: only the gate that produced it
/// can notice.
#[cfg(feature = "forge")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivationShift {
    pub layer: usize,
    pub neuron: usize,
    pub delta: i64,
}

/// `t` with one activation moved by `sh` and every later layer, the logit, its split and the
/// score computed again from it.
#[cfg(feature = "forge")]
fn shifted(q: &QuantNet, t: &NetTrace, sh: ActivationShift) -> Result<NetTrace, String> {
    let mut t = t.clone();
    let act = t
        .act
        .get_mut(sh.layer)
        .and_then(|l| l.get_mut(sh.neuron))
        .ok_or_else(|| format!("hidden layer {} has no neuron {}", sh.layer, sh.neuron))?;
    *act += sh.delta;
    let mut a = t.act[sh.layer].clone();
    for (li, l) in q.hidden().iter().enumerate().skip(sh.layer + 1) {
        let p = l.affine.apply(&a);
        a = p.iter().map(|&c| l.activation(c)).collect();
        t.pre[li] = p;
        t.act[li] = a.clone();
    }
    t.logit = q.output().affine.apply(&a)[0];
    (t.idx, t.rem) = split_logit(t.logit, &q.scales, 0).map_err(|e| e.to_string())?;
    t.score_q = q.sigmoid_q(t.idx);
    Ok(t)
}

/// A layered witness cell to corrupt on purpose (each must make the proof fail).
/// `layer` counts hidden layers from 0; `layer == layers.len()` is the output neuron.
#[cfg(feature = "forge")]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LayeredTamper {
    None,
    /// Add `delta` to the activation a term reads (its lookup must fail).
    Term {
        layer: usize,
        neuron: usize,
        term: usize,
        delta: i64,
    },
    /// Add `delta` to a running sum cell.
    Acc {
        layer: usize,
        neuron: usize,
        term: usize,
        delta: i64,
    },
    /// Flip a hidden neuron's sign bit (a wrong ReLU).
    Sign {
        layer: usize,
        neuron: usize,
    },
    /// Set a hidden neuron's sign bit to 2 (not a bit).
    SignNotBit {
        layer: usize,
        neuron: usize,
    },
    /// Add `delta` to one magnitude limb.
    Limb {
        layer: usize,
        neuron: usize,
        limb: usize,
        delta: i64,
    },
    /// Replace the top limb by `value`, lowering the one below so `|c|` is unchanged.
    LimbOutOfRange {
        layer: usize,
        neuron: usize,
        value: i64,
    },
    /// Move one activation by `delta` and carry it consistently downstream: only the gate that
    /// produced it can notice.
    Activation(ActivationShift),
    /// Forge the sigmoid table: write `delta` into D on the row of the witness's index, so the
    /// table holds `(idx, σ + delta)`, and claim the score `σ + delta`.
    ForgedSigmoidEntry {
        delta: i64,
    },
    /// Shift a hidden neuron's whole running sum by `delta`, its limbs and sign matching the
    /// shifted `c` (every step still holds; only the bias row can notice).
    SumShift {
        layer: usize,
        neuron: usize,
        delta: i64,
    },
    /// Write `value` into D on the constant-one entry's table row, so the table holds
    /// `(3, ONE, 1 + value)`.
    ForgedOne {
        value: i64,
    },
    /// Write input cell `cell`'s table entry (and its copy in X) as `x + delta` while its terms
    /// read `x`.
    InputEntry {
        cell: usize,
        delta: i64,
    },
    /// Change input cell `cell`'s copy in X (the column whose commitment binds the input) by
    /// `delta`, its table entry unchanged: a proof that would bind another input.
    InputCopy {
        cell: usize,
        delta: i64,
    },
    /// Add `delta` to sigmoid remainder limb `limb`.
    Remainder {
        limb: usize,
        delta: i64,
    },
    /// Add 2^12 to remainder limb `limb` and take 1 from the next: the same remainder, one limb
    /// outside 12 bits.
    RemainderCarry {
        limb: usize,
    },
    /// Move the sigmoid index (and the remainder, keeping the split).
    Index {
        delta: i64,
    },
    /// Report another score than the table gives.
    Score {
        delta: i64,
    },
}

#[cfg(feature = "forge")]
impl LayeredCircuit {
    /// This circuit with `t` applied to its witness columns (the instances stay the honest
    /// ones).
    pub fn forged(mut self, t: LayeredTamper) -> Result<Self, String> {
        use super::layered::fill;
        if let LayeredTamper::Sign { layer, neuron } = t {
            return self.with_relu_flipped(layer, neuron);
        }
        let (shape, plan, q) = (self.shape.clone(), self.plan.clone(), self.model.clone());
        let hidden = plan.wiring.layers.len();
        let block = |layer: usize, neuron: usize| -> Result<usize, String> {
            plan.blocks
                .get(layer)
                .and_then(|b| b.get(neuron))
                .copied()
                .ok_or_else(|| format!("hidden layer {layer} has no neuron {neuron}"))
        };
        let neuron_of = |layer: usize, neuron: usize| {
            if layer == hidden {
                &plan.wiring.output
            } else {
                &plan.wiring.layers[layer].neurons[neuron]
            }
        };
        // The table's static entries: (0,0,0), the range table, the sigmoid table, the one.
        let (lo, hi) = q.scales.sigmoid_index_range();
        let n_static = super::layered::static_entries(shape.limb_bits, (lo, hi));
        let small = |f: &Fr| fe_small(f).expect("an honest cell is small");
        let key = self.instances()[KEY_ROW];
        let cols = columns(&mut self.witness)?;
        match t {
            LayeredTamper::None | LayeredTamper::Sign { .. } => {}
            LayeredTamper::Term {
                layer,
                neuron,
                term,
                delta,
            } => cols.a[plan.chain_row(layer, neuron) + term] += fe(delta as i128),
            LayeredTamper::Acc {
                layer,
                neuron,
                term,
                delta,
            } => cols.acc[plan.chain_row(layer, neuron) + term] += fe(delta as i128),
            LayeredTamper::SignNotBit { layer, neuron } => {
                cols.a[block(layer, neuron)? + shape.hidden_limbs] = fe(2)
            }
            LayeredTamper::Limb {
                layer,
                neuron,
                limb,
                delta,
            } => cols.a[block(layer, neuron)? + limb] += fe(delta as i128),
            LayeredTamper::LimbOutOfRange {
                layer,
                neuron,
                value,
            } => {
                let r0 = block(layer, neuron)?;
                let mut limbs: Vec<i64> = (0..shape.hidden_limbs)
                    .map(|i| small(&cols.a[r0 + i]) as i64)
                    .collect();
                let sign = small(&cols.a[r0 + shape.hidden_limbs]) as i64;
                move_top_limb(&mut limbs, value, shape.limb_bits);
                cols.set_neuron(&shape, r0, &limbs, sign);
            }
            LayeredTamper::Activation(sh) => {
                let trace = shifted(&q, &honest_trace(&q, cols, &plan)?, sh)?;
                *cols = fill(&shape, &plan, &q, &trace, key);
            }
            LayeredTamper::ForgedSigmoidEntry { delta } => {
                let idx = small(&cols.acc[SCORE_ROW]) as i64;
                if (lo..hi).contains(&idx) {
                    let k = 1 + (1usize << shape.limb_bits) + (idx - lo) as usize;
                    cols.d[plan.table_rows[k]] = fe(delta as i128);
                }
                cols.a[SCORE_ROW] += fe(delta as i128);
            }
            LayeredTamper::SumShift {
                layer,
                neuron,
                delta,
            } => {
                let n = neuron_of(layer, neuron);
                let start = plan.chain_row(layer, neuron);
                for r in start..=start + n.terms.len() {
                    cols.acc[r] += fe(delta as i128);
                }
                if layer < hidden {
                    let c = small(&cols.acc[start]);
                    let limbs =
                        super::split_limbs(c.unsigned_abs(), shape.hidden_limbs, shape.limb_bits);
                    cols.set_neuron(&shape, block(layer, neuron)?, &limbs, (c < 0) as i64);
                }
            }
            // The constant one is the last static entry.
            LayeredTamper::ForgedOne { value } => {
                cols.d[plan.table_rows[n_static - 1]] = fe(value as i128)
            }
            LayeredTamper::InputEntry { cell, delta } => {
                let row = plan.table_rows[n_static + cell];
                cols.d[row] += fe(delta as i128);
                cols.x[row] += fe(delta as i128);
            }
            LayeredTamper::InputCopy { cell, delta } => {
                cols.x[plan.table_rows[n_static + cell]] += fe(delta as i128)
            }
            LayeredTamper::Remainder { limb, delta } => cols.a[2 + limb] += fe(delta as i128),
            LayeredTamper::RemainderCarry { limb } => {
                cols.a[2 + limb] += pow2(shape.limb_bits);
                cols.a[2 + limb + 1] -= Fr::ONE;
            }
            LayeredTamper::Index { delta } => {
                let idx = small(&cols.acc[SCORE_ROW]) as i64;
                let rem = remainder_of(&cols.a[2..2 + shape.rem_limbs], shape.limb_bits);
                cols.set_split(
                    &shape,
                    idx + delta,
                    rem - ((delta as i128) << shape.rem_bits),
                );
            }
            LayeredTamper::Score { delta } => cols.a[SCORE_ROW] += fe(delta as i128),
        }
        Ok(self)
    }
}

/// The trace an honest layered witness was filled from: its input cells (the table's input
/// entries) through the fixed-point spec.
#[cfg(feature = "forge")]
fn honest_trace(
    q: &QuantNet,
    cols: &super::layered::Columns,
    plan: &super::layered::LayeredPlan,
) -> Result<NetTrace, String> {
    let n_input = q.input_len();
    let first = plan.table_rows.len() - n_input;
    let x: Vec<i64> = plan.table_rows[first..]
        .iter()
        .map(|&r| fe_small(&cols.d[r]).map(|v| v as i64))
        .collect::<Option<_>>()
        .ok_or("an input cell is not a small value")?;
    q.forward_q(x, 0).map_err(|e| e.to_string())
}
