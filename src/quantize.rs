//! [`Network`] + [`Scales`] → [`QuantNet`]: the judge in fixed point, and its exact integer
//! forward pass ([`QuantNet::forward_q`]) — the one specification both circuit layouts prove.
//!
//! Arithmetic (all integers; `a` is an activation's scale, `2^sx` for the input):
//! - input `x_q = round(x · 2^sx)` (dB spectrogram cells);
//! - a hidden layer: `c = Σ w_q·a + b_q` with `w_q = round(w · 2^sw)`, `b_q = round(b · 2^(a+sw))`
//!   (plus `2^(shift−1)` to round when the layer drops bits), checked `|c| < 2^(limb·limbs)`;
//!   its activation is `max(c, 0) >> shift` after a `Relu`, `sign(c)·(|c| >> shift)` without one,
//!   at scale `a + sw − shift`. The layout sets `shift`: the windowed layout keeps its one hidden
//!   layer exact (`shift = 0`), the layered layout rescales every hidden layer back to `2^sx`
//!   (`shift = sw`, whole limbs);
//! - the logit layer: `logit = Σ v_q·a + d_q` at the logit scale `2^L`, `L = sx + sw + sl`
//!   (`v_q = round(v · 2^(L−a))`, `d_q = round(d · 2^L)`);
//! - sigmoid: `logit = idx · 2^R + rem` with `0 ≤ rem < 2^R`, `R = L − g`, so `idx` is the logit on
//!   a grid of `2^−g`; the table gives `σ_q[idx] = round(σ((idx + ½) / 2^g) · 2^so)`, or
//!   `round(½ · 2^so)` for `idx < 0` when the graph has a `Relu` before the `Sigmoid`.
//!
//! The only approximations are the weight/input rounding (tiny at these scales), the layered
//! layout's rescale, and the sigmoid grid (at most `¼ · 2^−(g+1)` in score).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::network::{sigmoid, Affine, Network};

#[derive(Debug, thiserror::Error)]
pub enum QuantizeError {
    #[error("input {sample}: {what} = {value} is outside the calibrated range (|value| < 2^{bits}). Recalibrate with data like this input (`idol calibrate-settings`) or check the input.")]
    OutOfRange {
        sample: usize,
        what: &'static str,
        value: i128,
        bits: u32,
    },
    #[error("input {sample}: the logit {logit:.3} is outside the sigmoid table's range ±{range}. Recalibrate (`idol calibrate-settings`) with data like this input.")]
    LogitOutOfRange {
        sample: usize,
        logit: f64,
        range: f64,
    },
    #[error("input {sample} has {got} values, the model takes {expected} ({c}×{h}×{w})")]
    InputShape {
        sample: usize,
        got: usize,
        expected: usize,
        c: usize,
        h: usize,
        w: usize,
    },
}

/// Split a logit numerator (scale 2^(sx+sw+sl)) into the sigmoid index and remainder:
/// `logit = idx·2^R + rem`, `0 ≤ rem < 2^R`, refusing logits outside the table.
pub(crate) fn split_logit(
    logit: i128,
    s: &Scales,
    sample: usize,
) -> Result<(i64, i128), QuantizeError> {
    let r = s.remainder_bits();
    let idx = logit >> r; // floor division (arithmetic shift)
    let rem = logit - (idx << r);
    let (lo, hi) = s.sigmoid_index_range();
    if idx < lo as i128 || idx >= hi as i128 {
        let real = logit as f64 / 2f64.powi((s.input + s.conv + s.linear) as i32);
        return Err(QuantizeError::LogitOutOfRange {
            sample,
            logit: real,
            range: 2f64.powi(s.sigmoid_range_log2 as i32),
        });
    }
    Ok((idx as i64, rem))
}

/// Fixed-point scales and table sizes (what calibration chooses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scales {
    /// Input scale bits `sx`.
    pub input: u32,
    /// Conv weight scale bits `sw`.
    pub conv: u32,
    /// Linear weight scale bits `sl`.
    pub linear: u32,
    /// Sigmoid grid bits `g` (logit step 2^−g).
    pub sigmoid_grid: u32,
    /// Sigmoid table covers logits in [−2^range_log2, 2^range_log2).
    pub sigmoid_range_log2: u32,
    /// Output (score) scale bits `so`.
    pub output: u32,
    /// Bits of a lookup limb (range table 0..2^limb).
    pub limb: u32,
    /// Limbs for |conv output|.
    pub conv_limbs: u32,
}

impl Scales {
    /// Bits shifted off the linear accumulator to get the sigmoid index.
    pub(crate) fn remainder_bits(&self) -> u32 {
        self.input + self.conv + self.linear - self.sigmoid_grid
    }
    /// Limbs to range-check the remainder.
    pub fn remainder_limbs(&self) -> u32 {
        self.remainder_bits().div_ceil(self.limb)
    }
    /// Entries of the sigmoid table.
    pub fn sigmoid_entries(&self) -> usize {
        2usize << (self.sigmoid_range_log2 + self.sigmoid_grid)
    }
    /// The sigmoid table entry for grid index `idx`.
    pub(crate) fn sigmoid_q(&self, idx: i64) -> i64 {
        let g = 2f64.powi(self.sigmoid_grid as i32);
        (sigmoid((idx as f64 + 0.5) / g) * 2f64.powi(self.output as i32)).round() as i64
    }
    /// Range of sigmoid indices the table holds: `[lo, hi)`.
    pub fn sigmoid_index_range(&self) -> (i64, i64) {
        let half = 1i64 << (self.sigmoid_range_log2 + self.sigmoid_grid);
        (-half, half)
    }
    /// Largest score error the sigmoid grid allows (σ' ≤ ¼, midpoint of a 2^−g cell).
    pub fn grid_error(&self) -> f64 {
        0.25 * 2f64.powi(-(self.sigmoid_grid as i32) - 1) + 2f64.powi(-(self.output as i32) - 1)
    }
}

impl fmt::Display for Scales {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "input 2^{}, conv weights 2^{}, linear weights 2^{}, sigmoid grid 2^-{} over ±{}, score 2^{}, {}×{}-bit conv limbs",
            self.input,
            self.conv,
            self.linear,
            self.sigmoid_grid,
            1u64 << self.sigmoid_range_log2,
            self.output,
            self.conv_limbs,
            self.limb
        )
    }
}

/// Which circuit layout a judge gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// The tutorial's shape (one 1→1 conv with even strides, one linear layer): each conv
    /// window is one gate reading its inputs by rotation. The fast path.
    Windowed,
    /// Any supported width and depth: one row per multiply-add, activations by dynamic lookup.
    Layered,
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::Windowed => "windowed",
            Layout::Layered => "layered",
        })
    }
}

impl Layout {
    /// Bits a hidden layer's activation drops under this layout.
    pub(crate) fn hidden_shift(self, s: &Scales) -> u32 {
        match self {
            Layout::Windowed => 0,
            Layout::Layered => s.conv,
        }
    }
}

/// One affine layer in fixed point: integer weights, biases at the layer's output scale.
pub(crate) type QAffine = Affine<i64, i128>;

impl QAffine {
    /// Every output's exact sum `bias + Σ w·a`.
    pub fn apply(&self, a: &[i64]) -> Vec<i128> {
        (0..self.outputs())
            .map(|j| {
                self.terms(j)
                    .iter()
                    .fold(self.bias(j), |acc, &(i, w)| acc + w as i128 * a[i] as i128)
            })
            .collect()
    }
}

/// One layer in fixed point: the affine map, the ReLU, and the bits its activation drops.
#[derive(Debug, Clone, PartialEq)]
pub struct QLayer {
    pub node: String,
    pub affine: QAffine,
    pub relu: bool,
    /// Bits dropped from `|c|` after the activation (a whole number of limbs, or 0).
    pub shift: u32,
}

impl QLayer {
    /// A hidden neuron's activation from its pre-activation `c`: the ReLU (if any), then `|c|`
    /// shifted right by the bits the layer drops, with `c`'s sign when there is no ReLU.
    pub fn activation(&self, c: i128) -> i64 {
        let mag = (c.unsigned_abs() >> self.shift) as i64;
        match (self.relu, c < 0) {
            (true, true) => 0,
            (_, false) => mag,
            (false, true) => -mag,
        }
    }
}

/// The judge in fixed point: the relation its circuit enforces, whatever the layout.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantNet {
    /// Spectrogram channels, height, width.
    pub input: [usize; 3],
    pub scales: Scales,
    pub layout: Layout,
    /// The hidden layers, then the logit layer (one output; its `relu` sits before the
    /// sigmoid).
    pub layers: Vec<QLayer>,
}

/// Every intermediate value of one forward pass: the witness.
#[derive(Debug, Clone, PartialEq)]
pub struct NetTrace {
    /// Quantized input cells (C·H·W, row-major).
    pub x: Vec<i64>,
    /// Each hidden layer's `c` (with the rounding half), per output.
    pub pre: Vec<Vec<i128>>,
    /// Each hidden layer's activations.
    pub act: Vec<Vec<i64>>,
    /// Logit numerator at scale 2^(sx+sw+sl).
    pub logit: i128,
    pub idx: i64,
    pub rem: i128,
    /// Score at scale 2^so.
    pub score_q: i64,
}

impl NetTrace {
    pub fn score(&self, s: &Scales) -> f64 {
        self.score_q as f64 / 2f64.powi(s.output as i32)
    }
}

impl QuantNet {
    /// `net` in fixed point under `scales`, as `layout` computes it.
    pub fn new(net: &Network, scales: &Scales, layout: Layout) -> Self {
        let q = |v: f64, bits: u32| (v * 2f64.powi(bits as i32)).round();
        let logit_scale = scales.input + scales.conv + scales.linear;
        let shift = layout.hidden_shift(scales);
        let half = if shift > 0 { 1i128 << (shift - 1) } else { 0 };
        let mut a = scales.input;
        let mut layers = Vec::with_capacity(net.layers.len());
        for (li, l) in net.layers.iter().enumerate() {
            let last = li + 1 == net.layers.len();
            let (w_bits, b_bits, add, drop) = if last {
                (logit_scale - a, logit_scale, 0, 0)
            } else {
                (scales.conv, a + scales.conv, half, shift)
            };
            let affine = l
                .affine
                .map(|w| q(w, w_bits) as i64, |b| q(b, b_bits) as i128 + add);
            layers.push(QLayer {
                node: l.node.clone(),
                affine,
                relu: l.relu,
                shift: drop,
            });
            a = a + scales.conv - drop;
        }
        Self {
            input: net.input,
            scales: scales.clone(),
            layout,
            layers,
        }
    }

    pub(crate) fn input_len(&self) -> usize {
        self.input.iter().product()
    }

    /// The hidden layers (all but the logit layer).
    pub fn hidden(&self) -> &[QLayer] {
        &self.layers[..self.layers.len() - 1]
    }

    /// The logit layer.
    pub fn output(&self) -> &QLayer {
        self.layers.last().expect("a network has a logit layer")
    }

    /// The sigmoid table entry for grid index `idx` (σ(0) below zero after a `Relu`).
    pub(crate) fn sigmoid_q(&self, idx: i64) -> i64 {
        if self.output().relu && idx < 0 {
            (0.5 * 2f64.powi(self.scales.output as i32)).round() as i64
        } else {
            self.scales.sigmoid_q(idx)
        }
    }

    /// Quantize one spectrogram (C·H·W, row-major); `sample` names it in errors.
    pub(crate) fn quantize_input(
        &self,
        x: &[f32],
        sample: usize,
    ) -> Result<Vec<i64>, QuantizeError> {
        self.check_len(x.len(), sample)?;
        let s = 2f64.powi(self.scales.input as i32);
        Ok(x.iter().map(|&v| (v as f64 * s).round() as i64).collect())
    }

    fn check_len(&self, got: usize, sample: usize) -> Result<(), QuantizeError> {
        if got != self.input_len() {
            let [c, h, w] = self.input;
            return Err(QuantizeError::InputShape {
                sample,
                got,
                expected: self.input_len(),
                c,
                h,
                w,
            });
        }
        Ok(())
    }

    /// Exact integer forward pass on one spectrogram.
    pub fn forward_int(&self, x: &[f32], sample: usize) -> Result<NetTrace, QuantizeError> {
        self.forward_q(self.quantize_input(x, sample)?, sample)
    }

    /// The same from quantized input cells (as a witness file stores them), checking every
    /// value against the ranges the circuit proves.
    pub fn forward_q(&self, xq: Vec<i64>, sample: usize) -> Result<NetTrace, QuantizeError> {
        self.check_len(xq.len(), sample)?;
        let s = &self.scales;
        let bits = s.limb * s.conv_limbs;
        let (mut pre, mut act) = (Vec::new(), Vec::new());
        let mut a: Vec<i64> = xq.clone();
        for l in self.hidden() {
            let p = l.affine.apply(&a);
            let mut out = Vec::with_capacity(p.len());
            for &c in &p {
                if c.unsigned_abs() >> bits != 0 {
                    return Err(QuantizeError::OutOfRange {
                        sample,
                        what: "a hidden pre-activation",
                        value: c,
                        bits,
                    });
                }
                out.push(l.activation(c));
            }
            a = out.clone();
            pre.push(p);
            act.push(out);
        }
        let logit = self.output().affine.apply(&a)[0];
        let (idx, rem) = split_logit(logit, s, sample)?;
        Ok(NetTrace {
            x: xq,
            pre,
            act,
            logit,
            idx,
            rem,
            score_q: self.sigmoid_q(idx),
        })
    }
}
