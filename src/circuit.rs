//! [`QuantizedJudge`] + one input → [`JudgeCircuit`]: the Halo2 circuit that proves
//! "this judge, with these fixed weights, gave this score for some private spectrogram, and the
//! key passed through unchanged".
//!
//! # Layout: tall and narrow (3 advice columns, 1 fixed column, 1 lookup argument)
//!
//! ```text
//! row          A (input x)        B (limbs)              C (equality)          F (fixed)
//! base(n)+0    x[r][c] ...        |c_n| limb 0  [range]  s_n (sign of c_n)     v_n (linear weight)
//! base(n)+1    ...                |c_n| limb 1  [range]  acc_in  = acc_out(n−1)
//! base(n)+2    ...                |c_n| limb 2  [range]  acc_out
//! f+0..f+L−1                      rem limbs     [range]  acc_out(last) (copy)
//! f+L                             idx           [sigmoid: (idx, σ)] σ → instance[1]
//! f+L+1                                                  key → instance[0]
//! ```
//!
//! - **A** holds the used part of the (padded) spectrogram in row-major order, one cell per row.
//!   Window `n = (i, j)` starts at row `base(n) = (stride·i)·W + stride·j` and the conv gate reads
//!   its `kh × kw` inputs by rotation `ky·W + kx`: no input is copied, so the input costs no
//!   permutation and windows overlap for free. The kernel weights are constants of the gate.
//! - **B** holds 12-bit limbs, each looked up in the range table, so `|c|` and the sigmoid
//!   remainder are range-checked exactly, without rescaling anything.
//! - **C** carries the sign bit and the linear accumulator; `acc_in` of each window is a copy of
//!   the previous window's `acc_out`, so C has equality enabled (with the instance column: one
//!   permutation chunk).
//! - One lookup argument over a tagged table `(tag, a, b)`: `(1, v, 0)` for `v < 2^12` (range) and
//!   `(2, idx, σ_q[idx])` (sigmoid); `(0, 0, 0)` for rows that look nothing up.
//!
//! Rows are dominated by the input: 125 × 129 = 16 125 for the tutorial model (k = 14).

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Instance,
    Selector, TableColumn,
};
use halo2_proofs::poly::Rotation;

use crate::quantize::{QuantizedJudge, Trace};

/// Lookup table tags.
pub const TAG_RANGE: u64 = 1;
pub const TAG_SIGMOID: u64 = 2;
/// Row of the key and of the score in the instance column.
pub const KEY_ROW: usize = 0;
pub const SCORE_ROW: usize = 1;
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

    /// First row of window `n`.
    pub fn base(&self, n: usize) -> usize {
        let (i, j) = (n / self.out_w, n % self.out_w);
        i * self.stride[0] * self.width + j * self.stride[1]
    }
    pub fn windows(&self) -> usize {
        self.out_h * self.out_w
    }
    /// First row of the final (sigmoid) stage.
    pub fn final_row(&self) -> usize {
        self.base(self.windows() - 1) + self.conv_limbs.max(3)
    }
    /// Rows the witness occupies.
    pub fn witness_rows(&self) -> usize {
        (self.width * self.height).max(self.final_row() + self.rem_limbs + 2)
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
    pub q_window: Selector,
    pub q_first: Selector,
    pub q_final: Selector,
    pub q_pad: Selector,
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
    /// Add `delta` to window `n`'s accumulator output.
    Acc {
        window: usize,
        delta: i64,
    },
    /// Break the copy of the accumulator between windows `n−1` and `n`.
    AccCopy {
        window: usize,
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

fn pow2(bits: u32) -> Fr {
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
        meta.enable_equality(state);
        meta.enable_equality(instance);
        let q_window = meta.selector();
        let q_first = meta.selector();
        let q_final = meta.selector();
        let q_pad = meta.selector();
        let q_range = meta.complex_selector();
        let q_sigmoid = meta.complex_selector();
        let (t_tag, t_a, t_b) = (
            meta.lookup_table_column(),
            meta.lookup_table_column(),
            meta.lookup_table_column(),
        );
        let limb_base = pow2(shape.limb_bits);

        // Window n at row base: c = Σ w·x(base + ky·W + kx) + b must equal (1 − 2s)·|c| with |c|
        // given by the limbs below, s a bit; and acc_out = acc_in + v_n·(1 − s)·|c| (the ReLU).
        meta.create_gate("window", |m| {
            let q = m.query_selector(q_window);
            let mut conv = Expression::Constant(fe(shape.conv_b));
            for ky in 0..shape.kernel[0] {
                for kx in 0..shape.kernel[1] {
                    let rot = (ky * shape.width + kx) as i32;
                    conv = conv
                        + m.query_advice(x, Rotation(rot))
                            * fe(shape.conv_w[ky * shape.kernel[1] + kx] as i128);
                }
            }
            let mut mag = Expression::Constant(Fr::zero());
            let mut scale = Fr::one();
            for i in 0..shape.conv_limbs {
                mag = mag + m.query_advice(limbs, Rotation(i as i32)) * scale;
                scale *= limb_base;
            }
            let s = m.query_advice(state, Rotation(0));
            let acc_in = m.query_advice(state, Rotation(1));
            let acc_out = m.query_advice(state, Rotation(2));
            let v = m.query_fixed(lin_w, Rotation(0));
            let one = Expression::Constant(Fr::one());
            Constraints::with_selector(
                q,
                [
                    (
                        "conv: Σw·x + b − (1 − 2s)·|c| = 0",
                        conv - (one.clone() - s.clone() * Fr::from(2)) * mag.clone(),
                    ),
                    ("sign: s·(1 − s) = 0", s.clone() * (one.clone() - s.clone())),
                    (
                        "relu+linear: acc_out − acc_in − v·(1 − s)·|c| = 0",
                        acc_out - acc_in - v * (one - s) * mag,
                    ),
                ],
            )
        });
        // The first window's acc_in is zero.
        meta.create_gate("first", |m| {
            let q = m.query_selector(q_first);
            Constraints::with_selector(q, [("acc_in = 0", m.query_advice(state, Rotation(1)))])
        });
        // Padding cells of the input are zero.
        meta.create_gate("padding", |m| {
            let q = m.query_selector(q_pad);
            Constraints::with_selector(q, [("pad: x = 0", m.query_advice(x, Rotation(0)))])
        });
        // Final stage at row f: acc + d = idx·2^R + Σ rem_i·2^(12i), idx at f + L (looked up
        // with its σ in the sigmoid table).
        meta.create_gate("sigmoid split", |m| {
            let q = m.query_selector(q_final);
            let acc = m.query_advice(state, Rotation(0));
            let mut rem = Expression::Constant(Fr::zero());
            let mut scale = Fr::one();
            for i in 0..shape.rem_limbs {
                rem = rem + m.query_advice(limbs, Rotation(i as i32)) * scale;
                scale *= limb_base;
            }
            let idx = m.query_advice(limbs, Rotation(shape.rem_limbs as i32));
            Constraints::with_selector(
                q,
                [(
                    "logit: acc + d − idx·2^R − rem = 0",
                    acc + Expression::Constant(fe(shape.lin_b)) - idx * pow2(shape.rem_bits) - rem,
                )],
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
            q_window,
            q_first,
            q_final,
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

        let (key_cell, score_cell) = layouter.assign_region(
            || "judge",
            |mut region| {
                // Input column.
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
                    region.assign_advice(cfg.x, r, v);
                }
                for &r in &shape.padding_rows {
                    cfg.q_pad.enable(&mut region, r)?;
                }
                // Windows.
                let mut prev_out = None;
                for n in 0..shape.windows() {
                    let base = shape.base(n);
                    cfg.q_window.enable(&mut region, base)?;
                    if n == 0 {
                        cfg.q_first.enable(&mut region, base)?;
                    }
                    region.assign_fixed(cfg.lin_w, base, fe(self.lin_w[n] as i128));
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
                        cfg.q_range.enable(&mut region, base + i)?;
                        region.assign_advice(cfg.limbs, base + i, val(&|_| fe(l as i128)));
                    }
                    region.assign_advice(cfg.state, base, val(&|_| fe(sign as i128)));
                    let acc_in_v = val(&|(t, _)| {
                        let d = match tamper {
                            Tamper::AccCopy { window, delta } if window == n => delta as i128,
                            _ => 0,
                        };
                        fe(if n == 0 { 0 } else { t.acc[n - 1] } + d)
                    });
                    let acc_in = region.assign_advice(cfg.state, base + 1, acc_in_v);
                    if let Some(prev) = prev_out {
                        region.constrain_equal(prev, acc_in.cell());
                    }
                    let acc_out_v = val(&|(t, _)| {
                        let d = match tamper {
                            Tamper::Acc { window, delta } if window == n => delta as i128,
                            _ => 0,
                        };
                        fe(t.acc[n] + d)
                    });
                    prev_out = Some(region.assign_advice(cfg.state, base + 2, acc_out_v).cell());
                }
                // Final stage.
                let f = shape.final_row();
                cfg.q_final.enable(&mut region, f)?;
                let acc = region.assign_advice(
                    cfg.state,
                    f,
                    val(&|(t, _)| fe(*t.acc.last().expect("windows"))),
                );
                region.constrain_equal(prev_out.expect("at least one window"), acc.cell());
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
                for (i, &l) in rem_limbs.iter().enumerate() {
                    cfg.q_range.enable(&mut region, f + i)?;
                    let v = if l == i64::MIN {
                        val(&|_| fe(rem))
                    } else {
                        val(&|_| fe(l as i128))
                    };
                    region.assign_advice(cfg.limbs, f + i, v);
                }
                let s = f + shape.rem_limbs;
                cfg.q_sigmoid.enable(&mut region, s)?;
                region.assign_advice(cfg.limbs, s, val(&|_| fe(idx as i128)));
                let score = region.assign_advice(
                    cfg.state,
                    s,
                    val(&|(t, _)| {
                        fe((t.score_q
                            + if let Tamper::Score { delta } = tamper {
                                delta
                            } else {
                                0
                            }) as i128)
                    }),
                );
                let key = region.assign_advice(cfg.state, s + 1, val(&|(_, k)| *k));
                Ok((key.cell(), score.cell()))
            },
        )?;
        layouter.constrain_instance(key_cell, cfg.instance, KEY_ROW);
        layouter.constrain_instance(score_cell, cfg.instance, SCORE_ROW);
        Ok(())
    }
}
