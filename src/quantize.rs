//! ONNX graph → [`QuantizedJudge`]: the fixed-point model the circuit proves, and its exact
//! integer forward pass ([`QuantizedJudge::forward_int`]), which is the circuit's specification.
//!
//! Arithmetic (all integers, no rounding between layers):
//! - input `x_q = round(x · 2^sx)` (dB spectrogram cells);
//! - conv `c = Σ w_q · x_q + b_q` with `w_q = round(w · 2^sw)`, `b_q = round(b · 2^(sx+sw))`: exact;
//! - ReLU `r = max(c, 0)`: exact (sign bit + magnitude limbs in the circuit);
//! - linear `a = Σ v_q · r + d_q` with `v_q = round(v · 2^sl)`, `d_q = round(d · 2^(sx+sw+sl))`: exact;
//! - sigmoid: `a = idx · 2^R + rem` with `0 ≤ rem < 2^R`, `R = sx + sw + sl − g`, so `idx` is the
//!   logit on a grid of `2^−g`; the table gives `σ_q[idx] = round(σ((idx + ½) / 2^g) · 2^so)`.
//!
//! The only approximations are the weight/input rounding (tiny at these scales) and the sigmoid
//! grid (at most `¼ · 2^−(g+1)` in score).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::onnx::{OnnxGraph, Op};

pub mod layered;

/// Shape of the judge's convolution, read from the ONNX graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvGeometry {
    /// Input height and width (mel bands × frames).
    pub in_h: usize,
    pub in_w: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    /// top, left, bottom, right
    pub pads: [usize; 4],
}

impl ConvGeometry {
    pub fn out_h(&self) -> usize {
        (self.in_h + self.pads[0] + self.pads[2] - self.kernel[0]) / self.stride[0] + 1
    }
    pub fn out_w(&self) -> usize {
        (self.in_w + self.pads[1] + self.pads[3] - self.kernel[1]) / self.stride[1] + 1
    }
    pub fn outputs(&self) -> usize {
        self.out_h() * self.out_w()
    }
    /// Padded input size.
    pub fn padded(&self) -> (usize, usize) {
        (
            self.in_h + self.pads[0] + self.pads[2],
            self.in_w + self.pads[1] + self.pads[3],
        )
    }
    /// Rows and columns of the padded input that some window reads.
    pub fn used(&self) -> (usize, usize) {
        (
            (self.out_h() - 1) * self.stride[0] + self.kernel[0],
            (self.out_w() - 1) * self.stride[1] + self.kernel[1],
        )
    }
}

/// The judge's float parameters, in any ONNX layout we accept.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatJudge {
    pub geometry: ConvGeometry,
    /// Row-major `kernel[0] × kernel[1]`.
    pub conv_w: Vec<f64>,
    pub conv_b: f64,
    /// One weight per conv output, row-major `out_h × out_w`.
    pub lin_w: Vec<f64>,
    pub lin_b: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum QuantizeError {
    #[error("{path}: {reason}. The judge circuits prove a chain of Conv (any channels, kernel, stride, padding) and Gemm or MatMul+Add layers, each optionally followed by Relu, with Flatten/Reshape before the first dense layer, ending in one value through Sigmoid; the key passes through Identity.")]
    Shape { path: String, reason: String },
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
    #[error("input {sample} has {got} values, the model takes {expected} (1×{h}×{w})")]
    InputShape {
        sample: usize,
        got: usize,
        expected: usize,
        h: usize,
        w: usize,
    },
}

/// A graph reader's error for `g`: the file and the reason.
fn shape_error(g: &OnnxGraph) -> impl Fn(String) -> QuantizeError + '_ {
    move |reason| QuantizeError::Shape {
        path: g.path.display().to_string(),
        reason,
    }
}

/// The spectrogram input (the graph's second input, after the key): its name and `[C, H, W]`.
fn spectrogram_input(g: &OnnxGraph) -> Result<(&str, [usize; 3]), QuantizeError> {
    let bad = shape_error(g);
    let (name, dims) = g.inputs.get(1).ok_or_else(|| {
        bad(format!(
            "expected two inputs (key, spectrogram), found {}",
            g.inputs.len()
        ))
    })?;
    match dims.as_slice() {
        [_, Some(c), Some(h), Some(w)] if *c > 0 && *h > 0 && *w > 0 => Ok((name, [*c, *h, *w])),
        other => Err(bad(format!(
            "spectrogram input '{name}' must be [N,C,H,W] with known sizes, found {other:?}"
        ))),
    }
}

impl FloatJudge {
    /// Read the judge's parameters from a loaded ONNX graph (ours or a PyTorch export).
    pub fn from_graph(g: &OnnxGraph) -> Result<Self, QuantizeError> {
        let bad = shape_error(g);
        let (name, [c, in_h, in_w]) = spectrogram_input(g)?;
        if c != 1 {
            return Err(bad(format!(
                "spectrogram input '{name}' has {c} channels; the windowed layout takes 1"
            )));
        }
        let mut conv = None;
        let mut lin_w: Option<Vec<f64>> = None;
        let mut lin_b = 0.0;
        let mut sigmoid = false;
        for n in &g.nodes {
            let init = |i: usize| n.inputs.get(i).and_then(|name| g.initializers.get(name));
            match &n.op {
                Op::Conv {
                    kernel,
                    strides,
                    pads,
                } => {
                    if conv.is_some() {
                        return Err(bad(format!(
                            "node '{}': a second Conv layer is not supported yet",
                            n.name
                        )));
                    }
                    let w = init(1).ok_or_else(|| {
                        bad(format!(
                            "node '{}': conv weight is not an initializer",
                            n.name
                        ))
                    })?;
                    if w.dims[0] != 1 || w.dims[1] != 1 {
                        return Err(bad(format!("node '{}': conv weight {:?} has {} output and {} input channels; only 1→1 is supported yet", n.name, w.dims, w.dims[0], w.dims[1])));
                    }
                    let b = init(2).map(|b| b.data[0]).unwrap_or(0.0);
                    conv = Some((
                        ConvGeometry {
                            in_h,
                            in_w,
                            kernel: *kernel,
                            stride: *strides,
                            pads: *pads,
                        },
                        w.data.clone(),
                        b,
                    ));
                }
                Op::Gemm {
                    alpha,
                    beta,
                    trans_b,
                    trans_a,
                } => {
                    if *trans_a {
                        return Err(bad(format!(
                            "node '{}': Gemm with transA is not supported",
                            n.name
                        )));
                    }
                    let w = init(1).ok_or_else(|| {
                        bad(format!(
                            "node '{}': Gemm weight is not an initializer",
                            n.name
                        ))
                    })?;
                    let out = if *trans_b { w.dims[0] } else { w.dims[1] };
                    if out != 1 {
                        return Err(bad(format!("node '{}': the linear layer has {out} outputs; the judge has one score", n.name)));
                    }
                    lin_w = Some(w.data.iter().map(|v| v * alpha).collect());
                    lin_b += init(2).map(|b| b.data[0] * beta).unwrap_or(0.0);
                }
                Op::MatMul => {
                    let w = init(1).ok_or_else(|| {
                        bad(format!(
                            "node '{}': MatMul weight is not an initializer",
                            n.name
                        ))
                    })?;
                    if w.dims.len() != 2 || w.dims[1] != 1 {
                        return Err(bad(format!(
                            "node '{}': MatMul weight {:?} must be [n, 1]",
                            n.name, w.dims
                        )));
                    }
                    lin_w = Some(w.data.clone());
                }
                Op::Add => {
                    let b = init(1).or_else(|| init(0)).ok_or_else(|| {
                        bad(format!("node '{}': Add must add a constant bias", n.name))
                    })?;
                    if b.data.len() != 1 || lin_w.is_none() {
                        return Err(bad(format!(
                            "node '{}': only the linear layer's scalar bias may be an Add",
                            n.name
                        )));
                    }
                    lin_b += b.data[0];
                }
                Op::Sigmoid => sigmoid = true,
                Op::Identity | Op::Relu | Op::Flatten { .. } | Op::Reshape | Op::Constant(_) => {}
            }
        }
        let (geometry, conv_w, conv_b) = conv.ok_or_else(|| bad("no Conv node".into()))?;
        let lin_w = lin_w.ok_or_else(|| bad("no linear layer (Gemm or MatMul)".into()))?;
        if !sigmoid {
            return Err(bad("no Sigmoid at the output".into()));
        }
        if lin_w.len() != geometry.outputs() {
            return Err(bad(format!(
                "the linear layer takes {} values but the conv gives {}",
                lin_w.len(),
                geometry.outputs()
            )));
        }
        Ok(Self {
            geometry,
            conv_w,
            conv_b,
            lin_w,
            lin_b,
        })
    }

    /// Conv outputs (before ReLU) and the logit, in f64.
    pub fn logit(&self, x: &[f32]) -> (Vec<f64>, f64) {
        let g = &self.geometry;
        let mut conv = Vec::with_capacity(g.outputs());
        for oy in 0..g.out_h() {
            for ox in 0..g.out_w() {
                let mut acc = self.conv_b;
                for ky in 0..g.kernel[0] {
                    for kx in 0..g.kernel[1] {
                        if let Some(v) =
                            padded_at(g, x, oy * g.stride[0] + ky, ox * g.stride[1] + kx)
                        {
                            acc += self.conv_w[ky * g.kernel[1] + kx] * v as f64;
                        }
                    }
                }
                conv.push(acc);
            }
        }
        let logit = self.lin_b
            + conv
                .iter()
                .zip(&self.lin_w)
                .map(|(c, w)| c.max(0.0) * w)
                .sum::<f64>();
        (conv, logit)
    }

    /// The float model's score.
    pub fn score(&self, x: &[f32]) -> f64 {
        sigmoid(self.logit(x).1)
    }
}

/// Value of the padded input at (row, col), `None` in the padding.
fn padded_at(g: &ConvGeometry, x: &[f32], r: usize, c: usize) -> Option<f32> {
    padded_index([g.in_h, g.in_w], g.pads, r, c).map(|i| x[i])
}

/// Row-major index into an `hw[0] × hw[1]` map of padded position (row, col); `None` in the
/// padding (`pads`: top, left, bottom, right).
pub fn padded_index(hw: [usize; 2], pads: [usize; 4], r: usize, c: usize) -> Option<usize> {
    let (r, c) = (r.checked_sub(pads[0])?, c.checked_sub(pads[1])?);
    (r < hw[0] && c < hw[1]).then_some(r * hw[1] + c)
}

/// Split a logit numerator (scale 2^(sx+sw+sl)) into the sigmoid index and remainder:
/// `logit = idx·2^R + rem`, `0 ≤ rem < 2^R`, refusing logits outside the table.
pub fn split_logit(logit: i128, s: &Scales, sample: usize) -> Result<(i64, i128), QuantizeError> {
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

pub fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
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
    pub fn remainder_bits(&self) -> u32 {
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
    pub fn sigmoid_q(&self, idx: i64) -> i64 {
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

/// The judge in fixed point: the relation the circuit enforces.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedJudge {
    pub geometry: ConvGeometry,
    pub scales: Scales,
    pub conv_w: Vec<i64>,
    /// At scale 2^(sx+sw).
    pub conv_b: i128,
    pub lin_w: Vec<i64>,
    /// At scale 2^(sx+sw+sl).
    pub lin_b: i128,
}

/// Every intermediate value of one forward pass: the witness.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Quantized inputs over the used region of the padded input, row-major.
    pub x: Vec<i64>,
    /// Conv outputs (exact), row-major over out_h × out_w.
    pub conv: Vec<i128>,
    /// Linear accumulator after each window (exact, bias not included).
    pub acc: Vec<i128>,
    /// Logit numerator `Σ v·r + d` at scale 2^(sx+sw+sl).
    pub logit: i128,
    pub idx: i64,
    pub rem: i128,
    /// Score at scale 2^so.
    pub score_q: i64,
}

impl Trace {
    pub fn score(&self, s: &Scales) -> f64 {
        self.score_q as f64 / 2f64.powi(s.output as i32)
    }
}

impl QuantizedJudge {
    pub fn new(f: &FloatJudge, scales: &Scales) -> Self {
        let q = |v: f64, bits: u32| (v * 2f64.powi(bits as i32)).round();
        Self {
            geometry: f.geometry.clone(),
            scales: scales.clone(),
            conv_w: f.conv_w.iter().map(|&w| q(w, scales.conv) as i64).collect(),
            conv_b: q(f.conv_b, scales.input + scales.conv) as i128,
            lin_w: f
                .lin_w
                .iter()
                .map(|&w| q(w, scales.linear) as i64)
                .collect(),
            lin_b: q(f.lin_b, scales.input + scales.conv + scales.linear) as i128,
        }
    }

    /// Quantize one input cell.
    pub fn quantize_input(&self, v: f32) -> i64 {
        (v as f64 * 2f64.powi(self.scales.input as i32)).round() as i64
    }

    /// The sigmoid table entry for grid index `idx`.
    pub fn sigmoid_q(&self, idx: i64) -> i64 {
        self.scales.sigmoid_q(idx)
    }

    /// Range of sigmoid indices the table holds: `[lo, hi)`.
    pub fn sigmoid_index_range(&self) -> (i64, i64) {
        self.scales.sigmoid_index_range()
    }

    /// Quantize one spectrogram (`in_h × in_w`, row-major) into the circuit's input cells: the
    /// used region of the padded input, row-major.
    pub fn quantize_spectrogram(
        &self,
        x: &[f32],
        sample: usize,
    ) -> Result<Vec<i64>, QuantizeError> {
        let g = &self.geometry;
        if x.len() != g.in_h * g.in_w {
            return Err(QuantizeError::InputShape {
                sample,
                got: x.len(),
                expected: g.in_h * g.in_w,
                h: g.in_h,
                w: g.in_w,
            });
        }
        let (uh, uw) = g.used();
        Ok((0..uh)
            .flat_map(|r| (0..uw).map(move |c| (r, c)))
            .map(|(r, c)| {
                padded_at(g, x, r, c)
                    .map(|v| self.quantize_input(v))
                    .unwrap_or(0)
            })
            .collect())
    }

    /// Exact integer forward pass on one spectrogram, checking every value against the ranges
    /// the circuit can prove. `sample` names the input in errors.
    pub fn forward_int(&self, x: &[f32], sample: usize) -> Result<Trace, QuantizeError> {
        let xq = self.quantize_spectrogram(x, sample)?;
        self.forward_q(xq, sample)
    }

    /// The same from already-quantized input cells (as a witness file stores them).
    pub fn forward_q(&self, xq: Vec<i64>, sample: usize) -> Result<Trace, QuantizeError> {
        let g = &self.geometry;
        let (uh, uw) = g.used();
        if xq.len() != uh * uw {
            return Err(QuantizeError::InputShape {
                sample,
                got: xq.len(),
                expected: uh * uw,
                h: uh,
                w: uw,
            });
        }
        let s = &self.scales;
        let conv_bits = s.limb * s.conv_limbs;
        let mut conv = Vec::with_capacity(g.outputs());
        let mut acc = Vec::with_capacity(g.outputs());
        let mut running: i128 = 0;
        for oy in 0..g.out_h() {
            for ox in 0..g.out_w() {
                let mut c = self.conv_b;
                for ky in 0..g.kernel[0] {
                    for kx in 0..g.kernel[1] {
                        let xi = xq[(oy * g.stride[0] + ky) * uw + ox * g.stride[1] + kx];
                        c += self.conv_w[ky * g.kernel[1] + kx] as i128 * xi as i128;
                    }
                }
                if c.unsigned_abs() >> conv_bits != 0 {
                    return Err(QuantizeError::OutOfRange {
                        sample,
                        what: "a conv output",
                        value: c,
                        bits: conv_bits,
                    });
                }
                running += self.lin_w[conv.len()] as i128 * c.max(0);
                conv.push(c);
                acc.push(running);
            }
        }
        let logit = running + self.lin_b;
        let (idx, rem) = split_logit(logit, s, sample)?;
        Ok(Trace {
            x: xq,
            conv,
            acc,
            logit,
            idx,
            rem,
            score_q: self.sigmoid_q(idx),
        })
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

/// A judge read from ONNX, in float.
#[derive(Debug, Clone, PartialEq)]
pub enum FloatModel {
    Windowed(FloatJudge),
    Layered(layered::LayeredFloat),
}

impl FloatModel {
    /// The tutorial's shape (with strides the windowed layout holds) gets the windowed fast
    /// path; anything else the layered circuit.
    /// If neither reads the graph, the layered reader's error (the more general) is returned.
    pub fn from_graph(g: &OnnxGraph) -> Result<Self, QuantizeError> {
        use crate::circuit::windowed::{input_row_stride, DEFAULT_WINDOW_CELLS};
        match FloatJudge::from_graph(g) {
            // The windowed layout splits the input by row parity and packs each window's limbs
            // and sign bit between the windows: it needs even strides and room for the cells.
            Ok(f) if input_row_stride(&f.geometry, DEFAULT_WINDOW_CELLS).is_ok() => {
                Ok(Self::Windowed(f))
            }
            _ => Ok(Self::Layered(layered::LayeredFloat::from_graph(g)?)),
        }
    }

    pub fn layout(&self) -> Layout {
        match self {
            Self::Windowed(_) => Layout::Windowed,
            Self::Layered(_) => Layout::Layered,
        }
    }

    /// Input channels, height and width.
    pub fn input_shape(&self) -> [usize; 3] {
        match self {
            Self::Windowed(f) => [1, f.geometry.in_h, f.geometry.in_w],
            Self::Layered(f) => f.input,
        }
    }

    pub fn input_len(&self) -> usize {
        self.input_shape().iter().product()
    }

    /// Largest |hidden pre-activation| (the conv outputs, for the windowed layout) and the
    /// logit, in f64.
    pub fn ranges(&self, x: &[f32]) -> (f64, f64) {
        let (pre, logit) = match self {
            Self::Windowed(f) => {
                let (conv, logit) = f.logit(x);
                (vec![conv], logit)
            }
            Self::Layered(f) => f.forward(x),
        };
        let max = pre.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
        (max, logit)
    }

    /// The float model's score.
    pub fn score(&self, x: &[f32]) -> f64 {
        match self {
            Self::Windowed(f) => f.score(x),
            Self::Layered(f) => f.score(x),
        }
    }

    /// The model in fixed point under `scales`.
    pub fn quantize(&self, scales: &Scales) -> QuantModel {
        match self {
            Self::Windowed(f) => QuantModel::Windowed(QuantizedJudge::new(f, scales)),
            Self::Layered(f) => {
                QuantModel::Layered(std::sync::Arc::new(layered::LayeredJudge::new(f, scales)))
            }
        }
    }
}

/// A judge in fixed point: the relation its circuit enforces.
#[derive(Debug, Clone, PartialEq)]
pub enum QuantModel {
    Windowed(QuantizedJudge),
    /// Shared with the circuits made from it.
    Layered(std::sync::Arc<layered::LayeredJudge>),
}

/// One forward pass's witness, for either layout.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelTrace {
    Windowed(Trace),
    Layered(layered::LayeredTrace),
}

impl QuantModel {
    pub fn scales(&self) -> &Scales {
        match self {
            Self::Windowed(q) => &q.scales,
            Self::Layered(q) => &q.scales,
        }
    }

    /// Exact integer forward pass on one spectrogram (`sample` names it in errors).
    pub fn forward_int(&self, x: &[f32], sample: usize) -> Result<ModelTrace, QuantizeError> {
        Ok(match self {
            Self::Windowed(q) => ModelTrace::Windowed(q.forward_int(x, sample)?),
            Self::Layered(q) => ModelTrace::Layered(q.forward_int(x, sample)?),
        })
    }

    /// The same from quantized input cells (as a witness file stores them).
    pub fn forward_q(&self, xq: Vec<i64>, sample: usize) -> Result<ModelTrace, QuantizeError> {
        Ok(match self {
            Self::Windowed(q) => ModelTrace::Windowed(q.forward_q(xq, sample)?),
            Self::Layered(q) => ModelTrace::Layered(q.forward_q(xq, sample)?),
        })
    }
}

impl ModelTrace {
    /// Score at scale 2^output.
    pub fn score_q(&self) -> i64 {
        match self {
            Self::Windowed(t) => t.score_q,
            Self::Layered(t) => t.score_q,
        }
    }
    pub fn score(&self, s: &Scales) -> f64 {
        self.score_q() as f64 / 2f64.powi(s.output as i32)
    }
    /// Logit numerator at scale 2^(sx+sw+sl).
    pub fn logit(&self) -> i128 {
        match self {
            Self::Windowed(t) => t.logit,
            Self::Layered(t) => t.logit,
        }
    }
    /// The quantized input cells (the private witness).
    pub fn inputs(&self) -> &[i64] {
        match self {
            Self::Windowed(t) => &t.x,
            Self::Layered(t) => &t.x,
        }
    }
}
