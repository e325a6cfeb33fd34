//! [`QuantizedJudge`] + one input → [`JudgeCircuit`]: the Halo2 circuit that proves
//! "this judge, with these fixed weights, gave this score for some private spectrogram, and the
//! key passed through unchanged".
//!
//! # Layout: tall and narrow (3 advice columns, 1 fixed column, 1 lookup argument, no permutation)
//!
//! ```text
//! row            A (input x)     B (limbs)                  C (state)               F (lin_w)
//! 0                              free (final gate)          key  = instance[0]
//! 1                              idx   [sigmoid: (idx, σ)]  σ    = instance[1]
//! 2..2+L−1                       remainder limbs [range]    acc (chain top: Σ all)
//! o+base(n)+0    x[r][c] ...     |c_n| limb 0    [range]    acc                     v_n
//! o+base(n)+1    ...             |c_n| limb 1    [range]    acc
//! o+base(n)+2    ...             |c_n| limb 2    [range]    acc
//! o+base(n)+3    ...             s_n (sign bit)             acc
//! end                            free (final gate)          0    = instance[end] (zero)
//! ```
//!
//! - **A** holds the used part of the (padded) spectrogram in row-major order, one cell per row,
//!   from row `o = 2 + L`. Window `n = (i, j)` sits at row `o + (stride·i)·W + stride·j`; its
//!   conv gate reads the `kh × kw` inputs by rotation `ky·W + kx`: no input is copied, and
//!   windows overlap for free. The kernel weights are constants of the gate, which is scaled by
//!   the window's linear weight `v_n` (zero on every other row) instead of a selector column.
//! - **B** holds 12-bit limbs, each looked up in the range table, so `|c|` and the sigmoid
//!   remainder are range-checked exactly, without rescaling anything; the sign bit of window
//!   `n` sits in the row after its limbs.
//! - **C** is a running sum from the bottom up: `acc(r) = acc(r+1) + v(r)·(1 − s)·|c|` on every
//!   row of the chain (ReLU and the linear layer at once; `v` is zero between windows), zero at
//!   `end`, the logit's integer part at row 2. Rows 0 and 1 hold the key and the score.
//! - One **final gate** on rows 0, 1 and `end` binds C to the instance column (key, score, and
//!   the zero the chain starts from: the instance column is zero below row 1) and checks the
//!   sigmoid split `acc(2) + d = idx·2^R + rem` on row 1 (on rows 0 and `end` a free limb cell
//!   absorbs it). So there are no copy constraints and no permutation argument at all.
//! - One lookup argument over a tagged table `(tag, a, b)`: `(1, v, 0)` for `v < 2^12` (range) and
//!   `(2, idx, σ_q[idx])` (sigmoid); `(0, 0, 0)` for rows that look nothing up.
//!
//! Rows are dominated by the input: 125 × 129 = 16 125 for the tutorial model (k = 14).

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Instance,
    Selector, TableColumn, VirtualCells,
};
use halo2_proofs::poly::Rotation;

use crate::quantize::{QuantizedJudge, Trace};

pub mod layered;

use layered::{LayeredCircuit, LayeredConfig, LayeredShape};

/// Lookup table tags.
pub const TAG_RANGE: u64 = 1;
pub const TAG_SIGMOID: u64 = 2;
/// Row of the key and of the score in the instance column.
pub const KEY_ROW: usize = 0;
pub const SCORE_ROW: usize = 1;
/// Bumped whenever the circuit's layout changes: keys and witnesses carry it (through
/// `Model::digest`), so files made for an older layout are refused instead of misread.
pub const LAYOUT_VERSION: u32 = 2;
/// Public instances: the key and the score.
pub const NUM_INSTANCES: usize = 2;

/// Everything `configure` needs: the shape and the constants baked into the gates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CircuitShape {
    /// Width of the used input region (row stride of column A).
    pub width: usize,
    pub height: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub out_h: usize,
    pub out_w: usize,
    /// Conv weights (gate constants), row-major.
    pub conv_w: Vec<i64>,
    pub conv_b: i128,
    pub lin_b: i128,
    pub limb_bits: u32,
    pub conv_limbs: usize,
    pub rem_limbs: usize,
    pub rem_bits: u32,
    /// Sigmoid table: first index and the entries from there on.
    pub sigmoid_lo: i64,
    pub sigmoid: Vec<i64>,
    /// Rows padding cells of the input (must be zero); empty when the conv has no padding.
    pub padding_rows: Vec<usize>,
}

impl CircuitShape {
    pub fn new(q: &QuantizedJudge) -> Self {
        let g = &q.geometry;
        let (uh, uw) = g.used();
        let (lo, hi) = q.sigmoid_index_range();
        let mut padding_rows = Vec::new();
        if g.pads.iter().any(|&p| p > 0) {
            for r in 0..uh {
                for c in 0..uw {
                    let inside = r >= g.pads[0]
                        && r - g.pads[0] < g.in_h
                        && c >= g.pads[1]
                        && c - g.pads[1] < g.in_w;
                    if !inside {
                        padding_rows.push(r * uw + c);
                    }
                }
            }
        }
        Self {
            width: uw,
            height: uh,
            kernel: g.kernel,
            stride: g.stride,
            out_h: g.out_h(),
            out_w: g.out_w(),
            conv_w: q.conv_w.clone(),
            conv_b: q.conv_b,
            lin_b: q.lin_b,
            limb_bits: q.scales.limb,
            conv_limbs: q.scales.conv_limbs as usize,
            rem_limbs: q.scales.remainder_limbs() as usize,
            rem_bits: q.scales.remainder_bits(),
            sigmoid_lo: lo,
            sigmoid: (lo..hi).map(|i| q.sigmoid_q(i)).collect(),
            padding_rows,
        }
    }

    /// Row of input cell 0: the final stage (key, score, sigmoid split) sits above the input.
    pub fn input_row(&self) -> usize {
        2 + self.rem_limbs
    }
    /// Input index of window `n`'s first cell.
    pub fn base(&self, n: usize) -> usize {
        let (i, j) = (n / self.out_w, n % self.out_w);
        i * self.stride[0] * self.width + j * self.stride[1]
    }
    /// Row of window `n`: its conv gate, limbs, sign and linear weight.
    pub fn window_row(&self, n: usize) -> usize {
        self.input_row() + self.base(n)
    }
    pub fn windows(&self) -> usize {
        self.out_h * self.out_w
    }
    /// Row where the accumulator chain ends (its value there is zero): after the last window's
    /// limbs and sign, so that its own limb cell is free for the final gate.
    pub fn chain_end(&self) -> usize {
        self.window_row(self.windows() - 1) + self.conv_limbs + 1
    }
    /// Rows the witness occupies.
    pub fn witness_rows(&self) -> usize {
        (self.input_row() + self.width * self.height).max(self.chain_end() + self.rem_limbs + 2)
    }
    /// Rows the lookup table occupies.
    pub fn table_rows(&self) -> usize {
        1 + (1usize << self.limb_bits) + self.sigmoid.len()
    }
    /// Blinding rows halo2 reserves: max(3, rotations queried on column A) + 2, plus one.
    pub fn reserved_rows(&self) -> usize {
        (self.kernel[0] * self.kernel[1]).max(3) + 3
    }
    /// Smallest k whose usable rows hold the witness and the table.
    pub fn min_k(&self) -> u32 {
        let need = self.witness_rows().max(self.table_rows()) + self.reserved_rows();
        need.next_power_of_two().trailing_zeros().max(4)
    }
    /// Advice, fixed (before selector compression) and lookup arguments.
    pub fn columns(&self) -> (usize, usize, usize) {
        (3, 1, 1)
    }
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

#[derive(Debug, Clone)]
pub struct JudgeConfig {
    pub x: Column<Advice>,
    pub limbs: Column<Advice>,
    pub state: Column<Advice>,
    pub lin_w: Column<Fixed>,
    pub instance: Column<Instance>,
    pub q_chain: Selector,
    pub q_public: Selector,
    /// Only for models whose conv pads its input (a selector column costs verifier gas).
    pub q_pad: Option<Selector>,
    pub q_range: Selector,
    pub q_sigmoid: Selector,
    pub t_tag: TableColumn,
    pub t_a: TableColumn,
    pub t_b: TableColumn,
}

/// A cell to corrupt on purpose, for the soundness tests (each must make the proof fail).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tamper {
    None,
    /// Add `delta` to input cell `row` (changes the conv output the limbs must match).
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
    /// Add `delta` to the accumulator at window `n`'s row.
    Acc {
        window: usize,
        delta: i64,
    },
    /// Shift the whole accumulator chain by `delta` (every difference still holds; only its
    /// zero end can catch it).
    AccEnd {
        delta: i64,
    },
    /// Add `delta` to sigmoid remainder limb `limb`.
    Remainder {
        limb: usize,
        delta: i64,
    },
    /// Move the sigmoid index by `delta` (and the remainder to keep the split valid).
    Index {
        delta: i64,
    },
    /// Report another score than the table gives.
    Score {
        delta: i64,
    },
    /// Put `delta` into a padding cell (padded models only).
    Padding {
        delta: i64,
    },
}

/// The circuit: the judge's fixed weights (in `shape`), one input's trace, and the key.
#[derive(Debug, Clone)]
pub struct JudgeCircuit {
    pub shape: CircuitShape,
    pub lin_w: Vec<i64>,
    /// `None` for key generation.
    pub witness: Option<(Trace, Fr)>,
    pub tamper: Tamper,
}

impl JudgeCircuit {
    /// A circuit for key generation (no witness).
    pub fn keygen(q: &QuantizedJudge) -> Self {
        Self {
            shape: CircuitShape::new(q),
            lin_w: q.lin_w.clone(),
            witness: None,
            tamper: Tamper::None,
        }
    }

    /// A circuit proving `trace` with `key` as the submitter's key.
    pub fn new(q: &QuantizedJudge, trace: Trace, key: Fr) -> Self {
        Self {
            witness: Some((trace, key)),
            ..Self::keygen(q)
        }
    }

    /// Public instances: `[key, score]`.
    pub fn instances(&self) -> Vec<Fr> {
        match &self.witness {
            Some((t, key)) => vec![*key, fe(t.score_q as i128)],
            None => vec![Fr::zero(), Fr::zero()],
        }
    }
}

pub(crate) fn pow2(bits: u32) -> Fr {
    Fr::from(2).pow_vartime([bits as u64])
}

impl Circuit<Fr> for JudgeCircuit {
    type Config = JudgeConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitShape;

    fn without_witnesses(&self) -> Self {
        Self {
            witness: None,
            tamper: Tamper::None,
            ..self.clone()
        }
    }

    fn params(&self) -> CircuitShape {
        self.shape.clone()
    }

    fn configure(_meta: &mut ConstraintSystem<Fr>) -> JudgeConfig {
        unreachable!("JudgeCircuit is configured with its CircuitShape (configure_with_params)")
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> JudgeConfig {
        let x = meta.advice_column();
        let limbs = meta.advice_column();
        let state = meta.advice_column();
        let lin_w = meta.fixed_column();
        let instance = meta.instance_column();
        let q_chain = meta.selector();
        let q_public = meta.selector();
        let q_range = meta.complex_selector();
        let q_sigmoid = meta.complex_selector();
        let (t_tag, t_a, t_b) = (
            meta.lookup_table_column(),
            meta.lookup_table_column(),
            meta.lookup_table_column(),
        );
        let limb_base = pow2(shape.limb_bits);
        // |c| from the limbs at rotations 0..L, and the sign bit in the limb row after them.
        let magnitude = |m: &mut VirtualCells<Fr>| {
            let mut mag = Expression::Constant(Fr::zero());
            let mut scale = Fr::one();
            for i in 0..shape.conv_limbs {
                mag = mag + m.query_advice(limbs, Rotation(i as i32)) * scale;
                scale *= limb_base;
            }
            let s = m.query_advice(limbs, Rotation(shape.conv_limbs as i32));
            (mag, s)
        };

        // Window n at its row: c = Σ w·x(row + ky·W + kx) + b must equal (1 − 2s)·|c| with |c|
        // given by the limbs, s a bit. The gate is scaled by the window's linear weight v (a
        // fixed cell: zero on every other row), so it needs no selector column; a window whose
        // weight is 0 contributes nothing to the score and is left unconstrained.
        meta.create_gate("window", |m| {
            let v = m.query_fixed(lin_w, Rotation(0));
            let mut conv = Expression::Constant(fe(shape.conv_b));
            for ky in 0..shape.kernel[0] {
                for kx in 0..shape.kernel[1] {
                    let rot = (ky * shape.width + kx) as i32;
                    conv = conv
                        + m.query_advice(x, Rotation(rot))
                            * fe(shape.conv_w[ky * shape.kernel[1] + kx] as i128);
                }
            }
            let (mag, s) = magnitude(m);
            let one = Expression::Constant(Fr::one());
            Constraints::with_selector(
                v,
                [
                    (
                        "conv: v·(Σw·x + b − (1 − 2s)·|c|) = 0",
                        conv - (one.clone() - s.clone() * Fr::from(2)) * mag,
                    ),
                    ("sign: v·s·(1 − s) = 0", s.clone() * (one - s)),
                ],
            )
        });
        // The linear layer as a running sum up the state column: acc(r) = acc(r + 1) +
        // v(r)·(1 − s)·|c| on every row of the chain; v is zero except on window rows, so
        // rows in between carry the sum unchanged. No copies, hence no permutation argument.
        meta.create_gate("chain", |m| {
            let q = m.query_selector(q_chain);
            let acc = m.query_advice(state, Rotation(0));
            let below = m.query_advice(state, Rotation(1));
            let v = m.query_fixed(lin_w, Rotation(0));
            let (mag, s) = magnitude(m);
            let one = Expression::Constant(Fr::one());
            Constraints::with_selector(
                q,
                [(
                    "relu+linear: acc − acc_below − v·(1 − s)·|c| = 0",
                    acc - below - v * (one - s) * mag,
                )],
            )
        });
        // Padding cells of the input are zero (only models whose conv pads have them).
        let q_pad = (!shape.padding_rows.is_empty()).then(|| {
            let q_pad = meta.selector();
            meta.create_gate("padding", |m| {
                let q = m.query_selector(q_pad);
                Constraints::with_selector(q, [("pad: x = 0", m.query_advice(x, Rotation(0)))])
            });
            q_pad
        });
        // The final gate, on rows 0, 1 and the chain's end row:
        // - the state cell equals the instance cell: the key (row 0), the score (row 1), and
        //   zero at the chain's end (the instance column is zero there), where the sum starts;
        // - the sigmoid split: on row 1, acc(2) + d = idx·2^R + Σ rem_i·2^(12i) with idx in
        //   limbs(1) (looked up with its σ = state(1)) and the remainder limbs in limbs(2..).
        //   On rows 0 and end the equation holds through a free limb cell (limbs(0), limbs(end))
        //   that nothing else reads, so it constrains nothing there.
        meta.create_gate("final", |m| {
            let q = m.query_selector(q_public);
            let acc = m.query_advice(state, Rotation(1));
            let mut rem = Expression::Constant(Fr::zero());
            let mut scale = Fr::one();
            for i in 0..shape.rem_limbs {
                rem = rem + m.query_advice(limbs, Rotation(1 + i as i32)) * scale;
                scale *= limb_base;
            }
            let idx = m.query_advice(limbs, Rotation(0));
            Constraints::with_selector(
                q,
                [
                    (
                        "public: state = instance (key, score; 0 below the last window)",
                        m.query_advice(state, Rotation(0))
                            - m.query_instance(instance, Rotation(0)),
                    ),
                    (
                        "logit: acc + d − idx·2^R − rem = 0",
                        acc + Expression::Constant(fe(shape.lin_b))
                            - idx * pow2(shape.rem_bits)
                            - rem,
                    ),
                ],
            )
        });
        // One lookup argument, tagged: (1, limb, 0) for range checks, (2, idx, σ) for the sigmoid.
        meta.lookup("range / sigmoid", |m| {
            let qr = m.query_selector(q_range);
            let qs = m.query_selector(q_sigmoid);
            let b = m.query_advice(limbs, Rotation(0));
            let c = m.query_advice(state, Rotation(0));
            vec![
                (
                    qr.clone() * Fr::from(TAG_RANGE) + qs.clone() * Fr::from(TAG_SIGMOID),
                    t_tag,
                ),
                ((qr + qs.clone()) * b, t_a),
                (qs * c, t_b),
            ]
        });
        JudgeConfig {
            x,
            limbs,
            state,
            lin_w,
            instance,
            q_chain,
            q_public,
            q_pad,
            q_range,
            q_sigmoid,
            t_tag,
            t_a,
            t_b,
        }
    }

    fn synthesize(&self, cfg: JudgeConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let shape = &self.shape;
        layouter.assign_table(
            || "range / sigmoid table",
            |mut t| {
                let mut row = 0;
                let mut put = |tag: u64, a: Fr, b: Fr| -> Result<(), Error> {
                    t.assign_cell(|| "tag", cfg.t_tag, row, || Value::known(Fr::from(tag)))?;
                    t.assign_cell(|| "a", cfg.t_a, row, || Value::known(a))?;
                    t.assign_cell(|| "b", cfg.t_b, row, || Value::known(b))?;
                    row += 1;
                    Ok(())
                };
                put(0, Fr::zero(), Fr::zero())?;
                for v in 0..(1u64 << shape.limb_bits) {
                    put(TAG_RANGE, Fr::from(v), Fr::zero())?;
                }
                for (i, &s) in shape.sigmoid.iter().enumerate() {
                    put(
                        TAG_SIGMOID,
                        fe((shape.sigmoid_lo + i as i64) as i128),
                        fe(s as i128),
                    )?;
                }
                Ok(())
            },
        )?;

        let witness = self.witness.as_ref();
        let tamper = self.tamper;
        let limb_mask = (1i128 << shape.limb_bits) - 1;
        let split = |v: u128, n: usize| -> Vec<i64> {
            (0..n)
                .map(|i| ((v >> (i as u32 * shape.limb_bits)) as i128 & limb_mask) as i64)
                .collect()
        };
        let val = |f: &dyn Fn(&(Trace, Fr)) -> Fr| -> Value<Fr> {
            witness
                .map(|w| Value::known(f(w)))
                .unwrap_or_else(Value::unknown)
        };

        layouter.assign_region(
            || "judge",
            |mut region| {
                let o = shape.input_row();
                // Input column, from row o.
                let n_in = shape.width * shape.height;
                for r in 0..n_in {
                    let v = val(&|(t, _)| {
                        let d = match tamper {
                            Tamper::Input { row, delta } if row == r => delta,
                            Tamper::Padding { delta } if shape.padding_rows.first() == Some(&r) => {
                                delta
                            }
                            _ => 0,
                        };
                        fe((t.x[r] + d) as i128)
                    });
                    region.assign_advice(cfg.x, o + r, v);
                }
                if let Some(q_pad) = cfg.q_pad {
                    for &r in &shape.padding_rows {
                        q_pad.enable(&mut region, o + r)?;
                    }
                }
                // Windows: conv gate, |c| limbs (range-checked) and sign bit, linear weight.
                for n in 0..shape.windows() {
                    let row = shape.window_row(n);
                    region.assign_fixed(cfg.lin_w, row, fe(self.lin_w[n] as i128));
                    let c = witness.map(|(t, _)| t.conv[n]).unwrap_or(0);
                    let mut limbs = split(c.unsigned_abs(), shape.conv_limbs);
                    let mut sign: i64 = (c < 0) as i64;
                    match tamper {
                        Tamper::Sign { window } if window == n => sign = 1 - sign,
                        Tamper::SignNotBit { window } if window == n => sign = 2,
                        Tamper::Limb {
                            window,
                            limb,
                            delta,
                        } if window == n => limbs[limb] += delta,
                        Tamper::LimbOutOfRange { window, value } if window == n => {
                            let top = shape.conv_limbs - 1;
                            let diff = value - limbs[top];
                            limbs[top] = value;
                            limbs[top - 1] -= diff << shape.limb_bits;
                        }
                        _ => {}
                    }
                    for (i, &l) in limbs.iter().enumerate() {
                        cfg.q_range.enable(&mut region, row + i)?;
                        region.assign_advice(cfg.limbs, row + i, val(&|_| fe(l as i128)));
                    }
                    region.assign_advice(
                        cfg.limbs,
                        row + shape.conv_limbs,
                        val(&|_| fe(sign as i128)),
                    );
                }
                // The accumulator chain on rows 2..=end: at row r, the sum of the terms of the
                // windows at or below r; zero at `end`, the full linear sum at row 2.
                let end = shape.chain_end();
                let total = |t: &Trace| *t.acc.last().expect("windows");
                let mut next = 0; // first window whose row is >= r
                for r in 2..=end {
                    while next < shape.windows() && shape.window_row(next) < r {
                        next += 1;
                    }
                    let m = next;
                    let v = val(&|(t, _)| {
                        let below = if m == 0 {
                            total(t)
                        } else if m < shape.windows() {
                            total(t) - t.acc[m - 1]
                        } else {
                            0
                        };
                        let d = match tamper {
                            Tamper::Acc { window, delta } if shape.window_row(window) == r => {
                                delta as i128
                            }
                            Tamper::AccEnd { delta } => delta as i128,
                            _ => 0,
                        };
                        fe(below + d)
                    });
                    region.assign_advice(cfg.state, r, v);
                    if r < end {
                        cfg.q_chain.enable(&mut region, r)?;
                    }
                }
                cfg.q_public.enable(&mut region, end)?;
                // Final stage at the top: key (row 0), σ and idx (row 1), remainder (rows 2..).
                cfg.q_public.enable(&mut region, KEY_ROW)?;
                cfg.q_public.enable(&mut region, SCORE_ROW)?;
                region.assign_advice(cfg.state, KEY_ROW, val(&|(_, k)| *k));
                let (mut idx, mut rem) = witness.map(|(t, _)| (t.idx, t.rem)).unwrap_or((0, 0));
                if let Tamper::Index { delta } = tamper {
                    idx += delta;
                    rem -= (delta as i128) << shape.rem_bits;
                }
                let mut rem_limbs = if rem >= 0 {
                    split(rem as u128, shape.rem_limbs)
                } else {
                    vec![0; shape.rem_limbs]
                };
                if rem < 0 {
                    // Out-of-range remainder (tampered): write its field value into limb 0.
                    rem_limbs[0] = i64::MIN;
                }
                if let Tamper::Remainder { limb, delta } = tamper {
                    rem_limbs[limb] += delta;
                }
                let rem_f: Vec<Fr> = rem_limbs
                    .iter()
                    .map(|&l| {
                        if l == i64::MIN {
                            fe(rem)
                        } else {
                            fe(l as i128)
                        }
                    })
                    .collect();
                for (i, &f) in rem_f.iter().enumerate() {
                    cfg.q_range.enable(&mut region, 2 + i)?;
                    region.assign_advice(cfg.limbs, 2 + i, val(&|_| f));
                }
                cfg.q_sigmoid.enable(&mut region, SCORE_ROW)?;
                region.assign_advice(cfg.limbs, SCORE_ROW, val(&|_| fe(idx as i128)));
                let score_delta = match tamper {
                    Tamper::Score { delta } => delta,
                    _ => 0,
                };
                let sigma = |t: &Trace| fe((t.score_q + score_delta) as i128);
                region.assign_advice(cfg.state, SCORE_ROW, val(&|(t, _)| sigma(t)));
                // The final gate's split equation on rows 0 and end, solved for the free limb
                // cell: limb(r) = (state(r+1) + d − Σ limbs(r+1+i)·2^(12i)) / 2^R.
                let inv_r = pow2(shape.rem_bits).invert().expect("2^R is invertible");
                let limb_base = pow2(shape.limb_bits);
                let absorb = |acc: Fr, below: &[Fr]| {
                    let mut sum = Fr::zero();
                    let mut scale = Fr::one();
                    for &b in below.iter().take(shape.rem_limbs) {
                        sum += b * scale;
                        scale *= limb_base;
                    }
                    (acc + fe(shape.lin_b) - sum) * inv_r
                };
                let mut below_key = vec![fe(idx as i128)];
                below_key.extend(rem_f.iter().copied());
                region.assign_advice(
                    cfg.limbs,
                    KEY_ROW,
                    val(&|(t, _)| absorb(sigma(t), &below_key)),
                );
                region.assign_advice(
                    cfg.limbs,
                    end,
                    val(&|_| absorb(Fr::zero(), &vec![Fr::zero(); shape.rem_limbs])),
                );
                Ok(())
            },
        )?;
        Ok(())
    }
}

/// The shape of the circuit a model gets: the windowed fast path (the tutorial's one 1→1 conv)
/// or the layered circuit (any supported width and depth).
#[derive(Debug, Clone, PartialEq)]
pub enum ModelShape {
    Windowed(CircuitShape),
    Layered(LayeredShape),
}

impl Default for ModelShape {
    fn default() -> Self {
        Self::Windowed(CircuitShape::default())
    }
}

impl ModelShape {
    /// The shape of a fixed-point model's circuit.
    pub fn new(q: &crate::quantize::QuantModel) -> Self {
        match q {
            crate::quantize::QuantModel::Windowed(q) => Self::Windowed(CircuitShape::new(q)),
            crate::quantize::QuantModel::Layered(q) => {
                Self::Layered(LayeredShape::new(q, &layered::LayeredPlan::new(q)))
            }
        }
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
    /// Rows halo2 reserves below the usable ones.
    pub fn reserved_rows(&self) -> usize {
        match self {
            Self::Windowed(s) => s.reserved_rows(),
            Self::Layered(s) => s.reserved_rows(),
        }
    }
    /// Smallest k that holds the circuit.
    pub fn min_k(&self) -> u32 {
        match self {
            Self::Windowed(s) => s.min_k(),
            Self::Layered(s) => s.min_k(),
        }
    }
    /// Advice, fixed (before selector compression) and lookup arguments.
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

    fn configure(_meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        unreachable!("ModelCircuit is configured with its ModelShape (configure_with_params)")
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
