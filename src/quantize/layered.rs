//! ONNX graph → [`LayeredJudge`]: judges that a workshop widened or deepened (Conv layers with
//! several channels, any kernel/stride/padding, stacked Conv and Gemm layers), and their exact
//! integer forward pass ([`LayeredJudge::forward_q`]), the specification of
//! [`crate::circuit::layered`].
//!
//! The graph is read as a chain of affine layers on the spectrogram's path: each `Conv` or
//! `Gemm` (or `MatMul` + `Add`) is one layer of neurons, optionally followed by `Relu`;
//! `Flatten`/`Reshape` only change the shape (ONNX flattens NCHW row-major, which is the order
//! activations are numbered in); the last layer has one neuron and feeds `Sigmoid`.
//!
//! Arithmetic (all integers; activations keep the input scale `2^sx` throughout):
//! - input `x_q = round(x · 2^sx)`;
//! - a hidden neuron: `c = Σ w_q·a + b_q + 2^(sw−1)` with `w_q = round(w · 2^sw)`,
//!   `b_q = round(b · 2^(sx+sw))`; its activation is `floor(max(c, 0) / 2^sw)` after a `Relu`
//!   (that is `round(relu(Σ w·a + b))` at scale `2^sx`), or `sign(c)·floor(|c| / 2^sw)` without
//!   one. `sw` is a whole number of limbs, so the rescale drops whole limbs in the circuit;
//! - the output neuron: `logit = Σ v_q·a + d_q` with `v_q = round(v · 2^(sw+sl))` and
//!   `d_q = round(d · 2^(sx+sw+sl))`: the same logit scale as the windowed layout, so the
//!   sigmoid split and table are the same.

use serde::{Deserialize, Serialize};

use super::{
    padded_index, shape_error, sigmoid, spectrogram_input, split_logit, QuantizeError, Scales,
};
use crate::onnx::{OnnxGraph, Op};

/// One neuron in float: `Σ w·a[src] + bias`, with `src` a global activation index (inputs
/// first, then each layer's outputs in order).
#[derive(Debug, Clone, PartialEq)]
pub struct FloatNeuron {
    pub terms: Vec<(u32, f64)>,
    pub bias: f64,
}

/// One affine layer (a Conv or a Gemm node), in float.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatLayer {
    /// The ONNX node it came from (for messages).
    pub node: String,
    pub neurons: Vec<FloatNeuron>,
    pub relu: bool,
}

/// A judge of any supported depth and width, in float.
#[derive(Debug, Clone, PartialEq)]
pub struct LayeredFloat {
    /// Input channels, height, width.
    pub input: [usize; 3],
    /// The hidden layers, in order.
    pub layers: Vec<FloatLayer>,
    /// The logit neuron (its layer feeds the Sigmoid).
    pub output: FloatNeuron,
}

/// Where the spectrogram's path stands while the graph is read.
#[derive(Debug, Clone, Copy)]
enum Flow {
    /// A C×H×W map whose first activation has global index `base`.
    Map {
        c: usize,
        h: usize,
        w: usize,
        base: usize,
    },
    /// A flat vector of `n` activations from `base`.
    Flat { n: usize, base: usize },
}

impl Flow {
    fn len(&self) -> usize {
        match *self {
            Flow::Map { c, h, w, .. } => c * h * w,
            Flow::Flat { n, .. } => n,
        }
    }
    fn base(&self) -> usize {
        match *self {
            Flow::Map { base, .. } | Flow::Flat { base, .. } => base,
        }
    }
}

impl LayeredFloat {
    /// Read a judge from a loaded ONNX graph: the spectrogram input is followed node by node.
    pub fn from_graph(g: &OnnxGraph) -> Result<Self, QuantizeError> {
        let bad = shape_error(g);
        let (x_name, input) = spectrogram_input(g)?;
        let n_in = input.iter().product::<usize>();
        let mut flow = Flow::Map {
            c: input[0],
            h: input[1],
            w: input[2],
            base: 0,
        };
        let mut next_id = n_in;
        let mut current = x_name.to_string();
        let mut layers: Vec<FloatLayer> = Vec::new();
        // The last layer's output is still the flow (an Add or a Relu may follow it).
        let mut open = false;
        let mut sigmoid_seen = false;
        for n in &g.nodes {
            if !n.inputs.contains(&current) {
                match n.op {
                    Op::Identity | Op::Constant(_) => continue,
                    _ => {
                        return Err(bad(format!(
                            "node '{}' does not act on the spectrogram's path (it reads {:?}); only the key may bypass the layers",
                            n.name, n.inputs
                        )))
                    }
                }
            }
            if sigmoid_seen {
                return Err(bad(format!(
                    "node '{}' follows the Sigmoid; the score must be the graph's output",
                    n.name
                )));
            }
            let init = |i: usize| n.inputs.get(i).and_then(|name| g.initializers.get(name));
            match &n.op {
                Op::Identity => {}
                Op::Constant(_) => {
                    return Err(bad(format!(
                        "node '{}' is a Constant on the spectrogram's path",
                        n.name
                    )))
                }
                Op::Conv {
                    kernel,
                    strides,
                    pads,
                } => {
                    let Flow::Map { c, h, w, base } = flow else {
                        return Err(bad(format!(
                            "node '{}': a Conv after Flatten/Reshape or Gemm is not supported",
                            n.name
                        )));
                    };
                    let wt = init(1).ok_or_else(|| {
                        bad(format!(
                            "node '{}': conv weight is not an initializer",
                            n.name
                        ))
                    })?;
                    let [co, ci, kh, kw] = wt.dims[..] else {
                        return Err(bad(format!(
                            "node '{}': conv weight dims {:?} are not [out, in, kh, kw]",
                            n.name, wt.dims
                        )));
                    };
                    if ci != c || [kh, kw] != *kernel {
                        return Err(bad(format!(
                            "node '{}': conv weight {:?} does not fit its input ({c} channels) and kernel {kernel:?}",
                            n.name, wt.dims
                        )));
                    }
                    if strides.contains(&0)
                        || h + pads[0] + pads[2] < kh
                        || w + pads[1] + pads[3] < kw
                    {
                        return Err(bad(format!(
                            "node '{}': kernel {kernel:?} with stride {strides:?} and pads {pads:?} does not fit a {h}×{w} input",
                            n.name
                        )));
                    }
                    let bias = init(2).map(|b| b.data.clone()).unwrap_or(vec![0.0; co]);
                    if bias.len() != co {
                        return Err(bad(format!(
                            "node '{}': conv bias has {} values for {co} output channels",
                            n.name,
                            bias.len()
                        )));
                    }
                    let oh = (h + pads[0] + pads[2] - kh) / strides[0] + 1;
                    let ow = (w + pads[1] + pads[3] - kw) / strides[1] + 1;
                    let mut neurons = Vec::with_capacity(co * oh * ow);
                    for (o, &bo) in bias.iter().enumerate() {
                        for oy in 0..oh {
                            for ox in 0..ow {
                                let mut terms = Vec::with_capacity(ci * kh * kw);
                                for i in 0..ci {
                                    for ky in 0..kh {
                                        for kx in 0..kw {
                                            let (y, x) =
                                                (oy * strides[0] + ky, ox * strides[1] + kx);
                                            if let Some(at) = padded_index([h, w], *pads, y, x) {
                                                let wv =
                                                    wt.data[((o * ci + i) * kh + ky) * kw + kx];
                                                terms.push(((base + i * h * w + at) as u32, wv));
                                            }
                                        }
                                    }
                                }
                                neurons.push(FloatNeuron { terms, bias: bo });
                            }
                        }
                    }
                    layers.push(FloatLayer {
                        node: n.name.clone(),
                        neurons,
                        relu: false,
                    });
                    flow = Flow::Map {
                        c: co,
                        h: oh,
                        w: ow,
                        base: next_id,
                    };
                    next_id += co * oh * ow;
                    open = true;
                }
                Op::Gemm { .. } | Op::MatMul => {
                    let Flow::Flat { n: len, base } = flow else {
                        return Err(bad(format!(
                            "node '{}': a Gemm/MatMul needs a Flatten or Reshape before it",
                            n.name
                        )));
                    };
                    let (alpha, beta, trans_a, trans_b) = match n.op {
                        Op::Gemm {
                            alpha,
                            beta,
                            trans_a,
                            trans_b,
                        } => (alpha, beta, trans_a, trans_b),
                        _ => (1.0, 0.0, false, false),
                    };
                    if trans_a || n.inputs.first() != Some(&current) {
                        return Err(bad(format!(
                            "node '{}': the activations must be the first operand, untransposed",
                            n.name
                        )));
                    }
                    let wt = init(1).ok_or_else(|| {
                        bad(format!(
                            "node '{}': the weight is not an initializer",
                            n.name
                        ))
                    })?;
                    let (rows, cols) = match wt.dims[..] {
                        [a, b] => (a, b),
                        _ => {
                            return Err(bad(format!(
                                "node '{}': weight dims {:?} are not a matrix",
                                n.name, wt.dims
                            )))
                        }
                    };
                    let (n_out, n_inp) = if trans_b { (rows, cols) } else { (cols, rows) };
                    if n_inp != len {
                        return Err(bad(format!(
                            "node '{}' takes {n_inp} values but its input has {len}",
                            n.name
                        )));
                    }
                    let bias = match init(2) {
                        Some(b) if b.data.len() == n_out => {
                            b.data.iter().map(|v| v * beta).collect()
                        }
                        Some(b) if b.data.len() == 1 => vec![b.data[0] * beta; n_out],
                        Some(b) => {
                            return Err(bad(format!(
                                "node '{}': bias has {} values for {n_out} outputs",
                                n.name,
                                b.data.len()
                            )))
                        }
                        None => vec![0.0; n_out],
                    };
                    let neurons = (0..n_out)
                        .map(|j| FloatNeuron {
                            terms: (0..n_inp)
                                .map(|i| {
                                    let wv = if trans_b {
                                        wt.data[j * n_inp + i]
                                    } else {
                                        wt.data[i * n_out + j]
                                    };
                                    ((base + i) as u32, alpha * wv)
                                })
                                .collect(),
                            bias: bias[j],
                        })
                        .collect();
                    layers.push(FloatLayer {
                        node: n.name.clone(),
                        neurons,
                        relu: false,
                    });
                    flow = Flow::Flat {
                        n: n_out,
                        base: next_id,
                    };
                    next_id += n_out;
                    open = true;
                }
                Op::Add => {
                    let last = layers.last_mut().filter(|l| open && !l.relu);
                    let (Some(last), Some(b)) = (last, init(1).or_else(|| init(0))) else {
                        return Err(bad(format!(
                            "node '{}': an Add may only add a constant bias right after a Gemm, MatMul or Conv",
                            n.name
                        )));
                    };
                    let n_out = last.neurons.len();
                    if b.data.len() != n_out && b.data.len() != 1 {
                        return Err(bad(format!(
                            "node '{}': bias has {} values for {n_out} outputs",
                            n.name,
                            b.data.len()
                        )));
                    }
                    for (j, neuron) in last.neurons.iter_mut().enumerate() {
                        neuron.bias += b.data[if b.data.len() == 1 { 0 } else { j }];
                    }
                }
                Op::Relu => match layers.last_mut() {
                    Some(last) if open && !last.relu => last.relu = true,
                    _ => {
                        return Err(bad(format!(
                            "node '{}': a Relu must follow a Conv or Gemm layer (once)",
                            n.name
                        )))
                    }
                },
                Op::Flatten { axis } => {
                    if *axis != 1 {
                        return Err(bad(format!(
                            "node '{}': Flatten axis {axis} (only axis 1 keeps the batch)",
                            n.name
                        )));
                    }
                    flow = Flow::Flat {
                        n: flow.len(),
                        base: flow.base(),
                    };
                }
                Op::Reshape => {
                    let dims: Option<Vec<f64>> = n.inputs.get(1).and_then(|s| {
                        g.initializers.get(s).map(|t| t.data.clone()).or_else(|| {
                            g.nodes.iter().find_map(|m| match &m.op {
                                Op::Constant(t) if m.outputs.first() == Some(s) => {
                                    Some(t.data.clone())
                                }
                                _ => None,
                            })
                        })
                    });
                    let flat = match dims.as_deref() {
                        Some([_, d]) => *d < 0.0 || *d as usize == flow.len(),
                        _ => false,
                    };
                    if !flat {
                        return Err(bad(format!(
                            "node '{}': only a Reshape to [batch, -1] (a flatten) is supported, found {dims:?}",
                            n.name
                        )));
                    }
                    flow = Flow::Flat {
                        n: flow.len(),
                        base: flow.base(),
                    };
                }
                Op::Sigmoid => sigmoid_seen = true,
            }
            current = n.outputs.first().cloned().unwrap_or_default();
        }
        if !sigmoid_seen {
            return Err(bad("no Sigmoid at the output".into()));
        }
        let last = layers
            .pop()
            .ok_or_else(|| bad("no Conv or Gemm layer before the Sigmoid".into()))?;
        if last.relu || last.neurons.len() != 1 {
            return Err(bad(format!(
                "node '{}' feeds the Sigmoid, so it must give one value without a Relu (it gives {}{})",
                last.node,
                last.neurons.len(),
                if last.relu { ", then a Relu" } else { "" }
            )));
        }
        if layers.is_empty() {
            return Err(bad(
                "no hidden layer: the judge needs at least one Conv or Gemm before the output layer"
                    .into(),
            ));
        }
        Ok(Self {
            input,
            layers,
            output: last.neurons.into_iter().next().expect("one neuron"),
        })
    }

    /// Number of input cells (C·H·W).
    pub fn input_len(&self) -> usize {
        self.input.iter().product()
    }

    /// Every hidden pre-activation and the logit, in f64.
    pub fn forward(&self, x: &[f32]) -> (Vec<Vec<f64>>, f64) {
        let mut act: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let mut pre = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            let p: Vec<f64> = l
                .neurons
                .iter()
                .map(|n| {
                    n.bias
                        + n.terms
                            .iter()
                            .map(|&(s, w)| w * act[s as usize])
                            .sum::<f64>()
                })
                .collect();
            act.extend(p.iter().map(|&v| if l.relu { v.max(0.0) } else { v }));
            pre.push(p);
        }
        let o = &self.output;
        let logit = o.bias
            + o.terms
                .iter()
                .map(|&(s, w)| w * act[s as usize])
                .sum::<f64>();
        (pre, logit)
    }

    /// The float model's score.
    pub fn score(&self, x: &[f32]) -> f64 {
        sigmoid(self.forward(x).1)
    }
}

/// One neuron in fixed point: `Σ w·a[src] + bias` (the bias includes the rounding half).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QNeuron {
    pub terms: Vec<(u32, i64)>,
    pub bias: i128,
}

/// One layer in fixed point.
#[derive(Debug, Clone, PartialEq)]
pub struct QLayer {
    pub node: String,
    pub neurons: Vec<QNeuron>,
    pub relu: bool,
}

/// A layered judge in fixed point: the relation [`crate::circuit::layered`] enforces.
#[derive(Debug, Clone, PartialEq)]
pub struct LayeredJudge {
    pub input: [usize; 3],
    pub scales: Scales,
    pub layers: Vec<QLayer>,
    pub output: QNeuron,
}

/// Every intermediate value of one forward pass of a [`LayeredJudge`]: the witness.
#[derive(Debug, Clone, PartialEq)]
pub struct LayeredTrace {
    /// Quantized inputs (C·H·W, row-major).
    pub x: Vec<i64>,
    /// Each hidden layer's `c` (with the rounding half), per neuron.
    pub pre: Vec<Vec<i128>>,
    /// Each hidden layer's activations.
    pub act: Vec<Vec<i64>>,
    pub logit: i128,
    pub idx: i64,
    pub rem: i128,
    pub score_q: i64,
}

/// A change to one activation, carried consistently downstream (soundness tests: only the gate
/// that produced it can notice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivationShift {
    pub layer: usize,
    pub neuron: usize,
    pub delta: i64,
}

impl LayeredJudge {
    pub fn new(f: &LayeredFloat, scales: &Scales) -> Self {
        let q = |v: f64, bits: u32| (v * 2f64.powi(bits as i32)).round();
        let half = 1i128 << (scales.conv.max(1) - 1);
        let layers = f
            .layers
            .iter()
            .map(|l| QLayer {
                node: l.node.clone(),
                neurons: l
                    .neurons
                    .iter()
                    .map(|n| QNeuron {
                        terms: n
                            .terms
                            .iter()
                            .map(|&(s, w)| (s, q(w, scales.conv) as i64))
                            .collect(),
                        bias: q(n.bias, scales.input + scales.conv) as i128 + half,
                    })
                    .collect(),
                relu: l.relu,
            })
            .collect();
        let o = &f.output;
        Self {
            input: f.input,
            scales: scales.clone(),
            layers,
            output: QNeuron {
                terms: o
                    .terms
                    .iter()
                    .map(|&(s, w)| (s, q(w, scales.conv + scales.linear) as i64))
                    .collect(),
                bias: q(o.bias, scales.input + scales.conv + scales.linear) as i128,
            },
        }
    }

    pub fn input_len(&self) -> usize {
        self.input.iter().product()
    }

    /// Activations of all hidden layers together.
    pub fn hidden_len(&self) -> usize {
        self.layers.iter().map(|l| l.neurons.len()).sum()
    }

    /// Quantize one spectrogram (C·H·W, row-major).
    pub fn quantize_input(&self, x: &[f32], sample: usize) -> Result<Vec<i64>, QuantizeError> {
        let [c, h, w] = self.input;
        if x.len() != c * h * w {
            return Err(QuantizeError::InputShape {
                sample,
                got: x.len(),
                expected: c * h * w,
                h,
                w,
            });
        }
        let s = 2f64.powi(self.scales.input as i32);
        Ok(x.iter().map(|&v| (v as f64 * s).round() as i64).collect())
    }

    /// Exact integer forward pass on one spectrogram.
    pub fn forward_int(&self, x: &[f32], sample: usize) -> Result<LayeredTrace, QuantizeError> {
        self.forward_q(self.quantize_input(x, sample)?, sample)
    }

    /// The same from quantized input cells, checking every value against the proven ranges.
    pub fn forward_q(&self, xq: Vec<i64>, sample: usize) -> Result<LayeredTrace, QuantizeError> {
        self.forward_shifted(xq, sample, None)
    }

    /// [`Self::forward_q`] with one activation moved by `shift` (soundness tests).
    pub fn forward_shifted(
        &self,
        xq: Vec<i64>,
        sample: usize,
        shift: Option<ActivationShift>,
    ) -> Result<LayeredTrace, QuantizeError> {
        if xq.len() != self.input_len() {
            return Err(QuantizeError::InputShape {
                sample,
                got: xq.len(),
                expected: self.input_len(),
                h: self.input[1],
                w: self.input[2],
            });
        }
        let s = &self.scales;
        let bits = s.limb * s.conv_limbs;
        let mut all: Vec<i64> = xq.clone();
        all.reserve(self.hidden_len());
        let (mut pre, mut act) = (Vec::new(), Vec::new());
        for (li, l) in self.layers.iter().enumerate() {
            let mut p = Vec::with_capacity(l.neurons.len());
            let mut a = Vec::with_capacity(l.neurons.len());
            for (ni, n) in l.neurons.iter().enumerate() {
                let c = n.bias + dot(&n.terms, &all);
                if c.unsigned_abs() >> bits != 0 {
                    return Err(QuantizeError::OutOfRange {
                        sample,
                        what: "a hidden pre-activation",
                        value: c,
                        bits,
                    });
                }
                let mag = (c.unsigned_abs() >> s.conv) as i64;
                let mut v = match (l.relu, c < 0) {
                    (true, true) => 0,
                    (_, false) => mag,
                    (false, true) => -mag,
                };
                if let Some(sh) = shift.filter(|sh| (sh.layer, sh.neuron) == (li, ni)) {
                    v += sh.delta;
                }
                p.push(c);
                a.push(v);
            }
            all.extend_from_slice(&a);
            pre.push(p);
            act.push(a);
        }
        let logit = self.output.bias + dot(&self.output.terms, &all);
        let (idx, rem) = split_logit(logit, s, sample)?;
        Ok(LayeredTrace {
            x: xq,
            pre,
            act,
            logit,
            idx,
            rem,
            score_q: s.sigmoid_q(idx),
        })
    }
}

fn dot(terms: &[(u32, i64)], act: &[i64]) -> i128 {
    terms
        .iter()
        .map(|&(s, w)| w as i128 * act[s as usize] as i128)
        .sum()
}

impl LayeredTrace {
    pub fn score(&self, s: &Scales) -> f64 {
        self.score_q as f64 / 2f64.powi(s.output as i32)
    }
}
