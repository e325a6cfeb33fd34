//! [`OnnxGraph`] → [`Network`]: the one typed description of a judge that every later stage
//! reads — its affine layers in order, each with its geometry and float weights, and a ReLU
//! exactly where the graph has one — and its float forward pass ([`Network::forward`]), the
//! reference every proven score is measured against.
//!
//! This is the only reader of a model's structure: settings, the quantized spec and both circuit
//! layouts start from a `Network`, so no later stage can read a graph differently from another.
//!
//! The family it reads: the spectrogram input flows through a chain of `Conv` (any channels,
//! kernel, stride and padding) and `Gemm` (or `MatMul` + `Add`) layers, each optionally followed
//! by `Relu`, with `Flatten` or a constant-shape `Reshape` before the first dense layer, and ends
//! in one value through `Sigmoid` (a `Relu` right before the `Sigmoid` is allowed too); the key
//! input passes to an output through `Identity`. `Identity` may sit anywhere on the path, and
//! `Constant` nodes may supply shapes and weights. Anything else is refused naming the node.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::onnx::{Node, OnnxGraph, Op, Tensor};

/// What the reader accepts, said at the end of every refusal.
pub(crate) const FAMILY: &str = "Supported: the spectrogram through Conv (any channels, kernel, stride, padding) and Gemm or MatMul+Add layers, each optionally followed by Relu, with Flatten or a constant Reshape before the first dense layer, ending in one value through Sigmoid (optionally Relu first); the key passes to an output through Identity.";

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("{path}: node '{node}' ({op}): {reason}. {FAMILY}")]
    Node {
        path: PathBuf,
        node: String,
        op: String,
        reason: String,
    },
    #[error("{path}: {reason}. {FAMILY}")]
    Graph { path: PathBuf, reason: String },
}

/// Shape of a convolution over a `in_h × in_w` map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvGeometry {
    /// Input height and width (mel bands × frames for the first layer).
    pub in_h: usize,
    pub in_w: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    /// top, left, bottom, right
    pub pads: [usize; 4],
}

impl ConvGeometry {
    pub(crate) fn out_h(&self) -> usize {
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

/// Row-major index into an `hw[0] × hw[1]` map of padded position (row, col); `None` in the
/// padding (`pads`: top, left, bottom, right).
pub(crate) fn padded_index(hw: [usize; 2], pads: [usize; 4], r: usize, c: usize) -> Option<usize> {
    let (r, c) = (r.checked_sub(pads[0])?, c.checked_sub(pads[1])?);
    (r < hw[0] && c < hw[1]).then_some(r * hw[1] + c)
}

/// A convolution layer: float parameters as read (`W = B = f64`), or integers once quantized
/// ([`crate::quantize::QAffine`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Conv<W = f64, B = f64> {
    pub geometry: ConvGeometry,
    pub in_channels: usize,
    pub out_channels: usize,
    /// `[out][in][kh][kw]`, row-major.
    pub weight: Vec<W>,
    /// One per output channel.
    pub bias: Vec<B>,
}

/// A dense layer (float as read, or quantized).
#[derive(Debug, Clone, PartialEq)]
pub struct Dense<W = f64, B = f64> {
    pub inputs: usize,
    pub outputs: usize,
    /// `[out][in]`, row-major.
    pub weight: Vec<W>,
    pub bias: Vec<B>,
}

/// An affine map from the previous layer's activations (NCHW row-major, as ONNX flattens them).
#[derive(Debug, Clone, PartialEq)]
pub enum Affine<W = f64, B = f64> {
    Conv(Conv<W, B>),
    Dense(Dense<W, B>),
}

impl<W: Copy, B: Copy> Affine<W, B> {
    /// Values the layer reads (the previous layer's outputs, or the input cells).
    pub fn inputs(&self) -> usize {
        match self {
            Affine::Conv(c) => c.in_channels * c.geometry.in_h * c.geometry.in_w,
            Affine::Dense(d) => d.inputs,
        }
    }

    pub fn outputs(&self) -> usize {
        match self {
            Affine::Conv(c) => c.out_channels * c.geometry.outputs(),
            Affine::Dense(d) => d.outputs,
        }
    }

    /// Output `j`'s bias.
    pub fn bias(&self, j: usize) -> B {
        match self {
            Affine::Conv(c) => c.bias[j / c.geometry.outputs()],
            Affine::Dense(d) => d.bias[j],
        }
    }

    /// Output `j`'s terms: (index into the layer's input, weight), in a fixed order (channel,
    /// kernel row, kernel column for a conv; input order for a dense layer). Padding cells of a
    /// conv have no term. The float reference, the fixed-point spec and the layered circuit's
    /// wiring all sum these.
    pub fn terms(&self, j: usize) -> Vec<(usize, W)> {
        match self {
            Affine::Conv(c) => {
                let g = &c.geometry;
                let per = g.outputs();
                let (o, oy, ox) = (j / per, (j % per) / g.out_w(), j % g.out_w());
                let (kh, kw) = (g.kernel[0], g.kernel[1]);
                let mut terms = Vec::with_capacity(c.in_channels * kh * kw);
                for i in 0..c.in_channels {
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let (y, x) = (oy * g.stride[0] + ky, ox * g.stride[1] + kx);
                            if let Some(at) = padded_index([g.in_h, g.in_w], g.pads, y, x) {
                                terms.push((
                                    i * g.in_h * g.in_w + at,
                                    c.weight[((o * c.in_channels + i) * kh + ky) * kw + kx],
                                ));
                            }
                        }
                    }
                }
                terms
            }
            Affine::Dense(d) => (0..d.inputs)
                .map(|i| (i, d.weight[j * d.inputs + i]))
                .collect(),
        }
    }

    /// The same map with every weight and bias converted (quantization).
    pub fn map<W2, B2>(&self, w: impl Fn(W) -> W2, b: impl Fn(B) -> B2) -> Affine<W2, B2> {
        let ws = |v: &[W]| v.iter().map(|&x| w(x)).collect();
        let bs = |v: &[B]| v.iter().map(|&x| b(x)).collect();
        match self {
            Affine::Conv(c) => Affine::Conv(Conv {
                geometry: c.geometry.clone(),
                in_channels: c.in_channels,
                out_channels: c.out_channels,
                weight: ws(&c.weight),
                bias: bs(&c.bias),
            }),
            Affine::Dense(d) => Affine::Dense(Dense {
                inputs: d.inputs,
                outputs: d.outputs,
                weight: ws(&d.weight),
                bias: bs(&d.bias),
            }),
        }
    }
}

impl Affine {
    /// Every output's pre-activation on `input`, in f64.
    pub fn apply(&self, input: &[f64]) -> Vec<f64> {
        (0..self.outputs())
            .map(|j| {
                self.terms(j)
                    .iter()
                    .fold(self.bias(j), |acc, &(i, w)| acc + w * input[i])
            })
            .collect()
    }
}

/// One layer: an affine map, then a ReLU if the graph has one there.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The ONNX node it came from (for messages).
    pub node: String,
    pub affine: Affine,
    pub relu: bool,
}

/// A judge read from ONNX: `score = σ(layers(x))`. The last layer has one output, the logit
/// (its `relu`, if set, sits between the logit and the sigmoid).
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// The file it was read from.
    pub path: PathBuf,
    /// Spectrogram channels, height, width.
    pub input: [usize; 3],
    pub layers: Vec<Layer>,
}

/// Every pre-activation of one float forward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    /// Each hidden layer's pre-activations.
    pub hidden: Vec<Vec<f64>>,
    /// The last layer's output, before its ReLU (if any) and the sigmoid.
    pub logit: f64,
    pub score: f64,
}

pub fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

/// One row of a network's layer table ([`Network::summary`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRow {
    /// What the row computes, e.g. "conv 5×5, stride 4×4" or "ReLU".
    pub what: String,
    /// Output shape, channels first (`[c, h, w]` or `[n]`).
    pub shape: Vec<usize>,
    /// Weights and biases it holds.
    pub params: usize,
}

/// A network's layers as a table: input, each affine map and activation, the sigmoid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSummary {
    pub rows: Vec<LayerRow>,
}

impl NetworkSummary {
    /// Every weight and bias.
    pub fn params(&self) -> usize {
        self.rows.iter().map(|r| r.params).sum()
    }
}

fn shape_text(shape: &[usize]) -> String {
    shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(" × ")
}

impl std::fmt::Display for NetworkSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for r in &self.rows {
            writeln!(
                f,
                "{:<34} {:>16} {:>7} params",
                r.what,
                shape_text(&r.shape),
                r.params
            )?;
        }
        write!(f, "{} parameters in all", self.params())
    }
}

impl NetworkSummary {
    pub fn to_html(&self) -> String {
        let mut t = crate::html::Table::new(format!("the judge: {} parameters", self.params()))
            .header(["layer", "output shape", "parameters"]);
        for r in &self.rows {
            t = t.row([r.what.clone(), shape_text(&r.shape), r.params.to_string()]);
        }
        t.to_html()
    }

    /// Shown by the notebook kernel when a cell ends with this value.
    pub fn evcxr_display(&self) {
        crate::html::show("text/html", &self.to_html());
    }
}

impl Network {
    /// Read a judge from a loaded ONNX graph.
    pub fn from_graph(g: &OnnxGraph) -> Result<Self, NetworkError> {
        Reader::new(g)?.read()
    }

    /// Input cells (C·H·W).
    pub(crate) fn input_len(&self) -> usize {
        self.input.iter().product()
    }

    /// The hidden layers (all but the logit layer).
    pub fn hidden(&self) -> &[Layer] {
        &self.layers[..self.layers.len() - 1]
    }

    /// The logit layer.
    pub fn output(&self) -> &Layer {
        self.layers.last().expect("a network has a logit layer")
    }

    /// The layer table: what each layer computes, its output shape and its parameters.
    pub fn summary(&self) -> NetworkSummary {
        let mut rows = vec![LayerRow {
            what: "input spectrogram".into(),
            shape: self.input.to_vec(),
            params: 0,
        }];
        let last = self.layers.len() - 1;
        for (i, l) in self.layers.iter().enumerate() {
            let (what, shape) = match &l.affine {
                Affine::Conv(c) => {
                    let g = &c.geometry;
                    let pads = if g.pads == [0; 4] {
                        String::new()
                    } else {
                        format!(", pads {:?}", g.pads)
                    };
                    (
                        format!(
                            "conv {}×{}, stride {}×{}{pads}",
                            g.kernel[0], g.kernel[1], g.stride[0], g.stride[1]
                        ),
                        vec![c.out_channels, g.out_h(), g.out_w()],
                    )
                }
                Affine::Dense(d) => (
                    format!("linear {} → {}", d.inputs, d.outputs),
                    vec![d.outputs],
                ),
            };
            let params = match &l.affine {
                Affine::Conv(c) => c.weight.len() + c.bias.len(),
                Affine::Dense(d) => d.weight.len() + d.bias.len(),
            };
            rows.push(LayerRow {
                what,
                shape: shape.clone(),
                params,
            });
            if l.relu {
                rows.push(LayerRow {
                    what: "ReLU".into(),
                    shape,
                    params: 0,
                });
            }
            if i == last {
                rows.push(LayerRow {
                    what: "sigmoid → score".into(),
                    shape: vec![1],
                    params: 0,
                });
            }
        }
        NetworkSummary { rows }
    }

    /// The float forward pass on one spectrogram (C·H·W, row-major).
    pub fn forward(&self, x: &[f32]) -> Forward {
        let mut act: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let mut hidden = Vec::with_capacity(self.layers.len() - 1);
        for l in self.hidden() {
            let pre = l.affine.apply(&act);
            act = pre
                .iter()
                .map(|&v| if l.relu { v.max(0.0) } else { v })
                .collect();
            hidden.push(pre);
        }
        let out = self.output();
        let logit = out.affine.apply(&act)[0];
        let score = sigmoid(if out.relu { logit.max(0.0) } else { logit });
        Forward {
            hidden,
            logit,
            score,
        }
    }

    /// The float model's score.
    pub fn score(&self, x: &[f32]) -> f64 {
        self.forward(x).score
    }
}

/// Where the spectrogram's path stands while the graph is read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flow {
    /// A C×H×W map.
    Map { c: usize, h: usize, w: usize },
    /// A flat vector.
    Flat(usize),
}

impl Flow {
    fn len(self) -> usize {
        match self {
            Flow::Map { c, h, w } => c * h * w,
            Flow::Flat(n) => n,
        }
    }
    /// The tensor shape ONNX gives this value, batch axis included.
    fn dims(self) -> Vec<usize> {
        match self {
            Flow::Map { c, h, w } => vec![1, c, h, w],
            Flow::Flat(n) => vec![1, n],
        }
    }
}

struct Reader<'g> {
    g: &'g OnnxGraph,
    key: &'g str,
    x: &'g str,
    input: [usize; 3],
}

impl<'g> Reader<'g> {
    fn new(g: &'g OnnxGraph) -> Result<Self, NetworkError> {
        let bad = |reason: String| NetworkError::Graph {
            path: g.path.clone(),
            reason,
        };
        let [(key, _), (x, dims)] = g.inputs.as_slice() else {
            return Err(bad(format!(
                "the judge takes two inputs (the key, then the spectrogram), this graph takes {:?}",
                g.inputs.iter().map(|i| &i.0).collect::<Vec<_>>()
            )));
        };
        let input = match dims.as_slice() {
            [_, Some(c), Some(h), Some(w)] if *c > 0 && *h > 0 && *w > 0 => [*c, *h, *w],
            other => {
                return Err(bad(format!(
                    "spectrogram input '{x}' must be [N,C,H,W] with known sizes, found {other:?}"
                )))
            }
        };
        Ok(Self { g, key, x, input })
    }

    fn node_error(&self, n: &Node, reason: String) -> NetworkError {
        NetworkError::Node {
            path: self.g.path.clone(),
            node: node_name(self.g, n),
            op: op_name(&n.op).into(),
            reason,
        }
    }

    /// A constant tensor: an initializer, a Constant node's output, or an Identity of either.
    /// The Identity chain is followed at most once per node, so a cycle of Identities (which no
    /// exporter writes, but a damaged file can hold) ends as "not a constant".
    fn constant(&self, name: &str) -> Option<&'g Tensor> {
        let mut name = name;
        for _ in 0..=self.g.nodes.len() {
            if let Some(t) = self.g.initializers.get(name) {
                return Some(t);
            }
            let n = self
                .g
                .nodes
                .iter()
                .find(|n| n.outputs.first().map(String::as_str) == Some(name))?;
            match &n.op {
                Op::Constant(t) => return Some(t),
                Op::Identity => name = n.inputs.first()?,
                _ => return None,
            }
        }
        None
    }

    /// The affine layer node `n` (a Conv, Gemm or MatMul) makes of the path's `flow`, and the
    /// flow after it.
    fn affine(&self, n: &Node, flow: Flow, current: &str) -> Result<(Affine, Flow), NetworkError> {
        let err = |reason: String| self.node_error(n, reason);
        if let Op::Conv {
            kernel,
            strides,
            pads,
        } = &n.op
        {
            let Flow::Map { c, h, w } = flow else {
                return Err(err(
                    "a Conv after Flatten/Reshape or a dense layer is not supported".into(),
                ));
            };
            if n.inputs.first().map(String::as_str) != Some(current) {
                return Err(err("the spectrogram's path must be the Conv's input".into()));
            }
            let wt = n
                .inputs
                .get(1)
                .and_then(|s| self.constant(s))
                .ok_or_else(|| err("its weight is not a constant".into()))?;
            let [co, ci, kh, kw] = wt.dims[..] else {
                return Err(err(format!(
                    "weight dims {:?} are not [out, in, kh, kw]",
                    wt.dims
                )));
            };
            if ci != c || [kh, kw] != *kernel || co == 0 {
                return Err(err(format!(
                    "weight {:?} does not fit its input ({c} channels) and kernel {kernel:?}",
                    wt.dims
                )));
            }
            if strides.contains(&0)
                || h + pads[0] + pads[2] < kh
                || w + pads[1] + pads[3] < kw
                || kh == 0
                || kw == 0
            {
                return Err(err(format!(
                    "kernel {kernel:?} with stride {strides:?} and pads {pads:?} does not fit a {h}×{w} input"
                )));
            }
            let bias = match n.inputs.get(2).filter(|s| !s.is_empty()) {
                Some(s) => {
                    let b = self
                        .constant(s)
                        .ok_or_else(|| err("its bias is not a constant".into()))?;
                    if b.data.len() != co {
                        return Err(err(format!(
                            "bias has {} values for {co} output channels",
                            b.data.len()
                        )));
                    }
                    b.data.clone()
                }
                None => vec![0.0; co],
            };
            let geometry = ConvGeometry {
                in_h: h,
                in_w: w,
                kernel: *kernel,
                stride: *strides,
                pads: *pads,
            };
            let next = Flow::Map {
                c: co,
                h: geometry.out_h(),
                w: geometry.out_w(),
            };
            let conv = Conv {
                geometry,
                in_channels: ci,
                out_channels: co,
                weight: wt.data.clone(),
                bias,
            };
            return Ok((Affine::Conv(conv), next));
        }
        let Flow::Flat(len) = flow else {
            return Err(err(
                "a dense layer needs a Flatten or Reshape before it".into()
            ));
        };
        let (alpha, beta, trans_a, trans_b) = match n.op {
            Op::Gemm {
                alpha,
                beta,
                trans_a,
                trans_b,
            } => (alpha, beta, trans_a, trans_b),
            _ => (1.0, 1.0, false, false),
        };
        if trans_a || n.inputs.first().map(String::as_str) != Some(current) {
            return Err(err(
                "the activations must be the first operand, untransposed".into(),
            ));
        }
        let wt = n
            .inputs
            .get(1)
            .and_then(|s| self.constant(s))
            .ok_or_else(|| err("its weight is not a constant".into()))?;
        let [rows, cols] = wt.dims[..] else {
            return Err(err(format!("weight dims {:?} are not a matrix", wt.dims)));
        };
        let (n_out, n_in) = if trans_b { (rows, cols) } else { (cols, rows) };
        if n_in != len || n_out == 0 {
            return Err(err(format!(
                "it takes {n_in} values but its input has {len}"
            )));
        }
        let weight = (0..n_out * n_in)
            .map(|t| {
                let (j, i) = (t / n_in, t % n_in);
                alpha
                    * if trans_b {
                        wt.data[j * n_in + i]
                    } else {
                        wt.data[i * n_out + j]
                    }
            })
            .collect();
        let mut bias = vec![0.0; n_out];
        if matches!(n.op, Op::Gemm { .. }) {
            if let Some(s) = n.inputs.get(2).filter(|s| !s.is_empty()) {
                let b = self
                    .constant(s)
                    .ok_or_else(|| err("its bias is not a constant".into()))?;
                let b = broadcast(b, &[1, n_out]).ok_or_else(|| {
                    err(format!(
                        "bias dims {:?} do not broadcast to [1, {n_out}]",
                        b.dims
                    ))
                })?;
                for (v, add) in bias.iter_mut().zip(b) {
                    *v += beta * add;
                }
            }
        }
        let dense = Dense {
            inputs: n_in,
            outputs: n_out,
            weight,
            bias,
        };
        Ok((Affine::Dense(dense), Flow::Flat(n_out)))
    }

    fn read(&self) -> Result<Network, NetworkError> {
        let g = self.g;
        let bad = |reason: String| NetworkError::Graph {
            path: g.path.clone(),
            reason,
        };
        let [c, h, w] = self.input;
        let mut flow = Flow::Map { c, h, w };
        let mut current = self.x.to_string();
        let mut key_at = self.key.to_string();
        let mut layers: Vec<Layer> = Vec::new();
        let mut score: Option<String> = None;
        for n in &g.nodes {
            let reads_path = n.inputs.contains(&current);
            if !reads_path {
                // Off the path: the key's pass-through, or constants feeding the path.
                let on_key = n.inputs.first() == Some(&key_at) && n.inputs.len() == 1;
                match n.op {
                    Op::Identity if on_key => {
                        key_at = n.outputs.first().cloned().unwrap_or_default();
                        continue;
                    }
                    Op::Constant(_) => continue,
                    Op::Identity if n.inputs.first().and_then(|i| self.constant(i)).is_some() => {
                        continue
                    }
                    _ => {
                        let what = if n.inputs.contains(&key_at) {
                            "it reads the key, which may only pass through Identity to an output"
                        } else {
                            "it does not act on the spectrogram's path"
                        };
                        return Err(self.node_error(n, format!("{what} (it reads {:?})", n.inputs)));
                    }
                }
            }
            if score.is_some() {
                return Err(self.node_error(
                    n,
                    "it follows the Sigmoid; the score must be a graph output".into(),
                ));
            }
            let err = |reason: String| self.node_error(n, reason);
            match &n.op {
                Op::Identity => {}
                Op::Constant(_) => {
                    return Err(err(
                        "a Constant takes no inputs, but this one reads the path".into(),
                    ))
                }
                Op::Conv { .. } | Op::Gemm { .. } | Op::MatMul => {
                    let (affine, next) = self.affine(n, flow, &current)?;
                    flow = next;
                    layers.push(Layer {
                        node: node_name(g, n),
                        affine,
                        relu: false,
                    });
                }
                Op::Add => {
                    let other = match n.inputs.as_slice() {
                        [a, b] if *a == current => b,
                        [a, b] if *b == current => a,
                        _ => return Err(err("an Add must add a constant to the path".into())),
                    };
                    // The last layer's output is still the flow: its bias Add may follow it.
                    let last = layers.last_mut().filter(|l| !l.relu);
                    let (Some(last), Some(b)) = (last, self.constant(other)) else {
                        return Err(err(
                            "an Add may only add a constant bias right after a Conv, Gemm or MatMul"
                                .into(),
                        ));
                    };
                    let dims = flow.dims();
                    let add = broadcast(b, &dims).ok_or_else(|| {
                        err(format!(
                            "the constant's dims {:?} do not broadcast to the path's {dims:?}",
                            b.dims
                        ))
                    })?;
                    add_bias(&mut last.affine, &add).map_err(err)?;
                }
                Op::Relu => match layers.last_mut() {
                    Some(last) if !last.relu => last.relu = true,
                    _ => return Err(err("a Relu must follow a Conv or dense layer (once)".into())),
                },
                Op::Flatten { axis } => {
                    // The path's rank with the batch: 4 for a map, 2 once flat.
                    let rank = if matches!(flow, Flow::Map { .. }) {
                        4
                    } else {
                        2
                    };
                    if crate::onnx::graph::resolve_axis(*axis, rank) != Some(1) {
                        return Err(err(format!(
                            "Flatten axis {axis} (only axis 1 keeps the batch)"
                        )));
                    }
                    flow = Flow::Flat(flow.len());
                }
                Op::Reshape => {
                    let shape = n
                        .inputs
                        .get(1)
                        .and_then(|s| self.constant(s))
                        .map(|t| t.data.clone());
                    let flat = match shape.as_deref() {
                        Some([b, d]) => {
                            (*b == 1.0 || *b == -1.0 || *b == 0.0)
                                && (*d == -1.0 || *d == flow.len() as f64)
                                && !(*b == -1.0 && *d == -1.0)
                        }
                        _ => false,
                    };
                    if !flat {
                        return Err(err(format!(
                            "only a Reshape to [batch, -1] (a flatten) with a constant shape is supported, found {shape:?}"
                        )));
                    }
                    flow = Flow::Flat(flow.len());
                }
                Op::Sigmoid => {
                    if layers.is_empty() || flow.len() != 1 {
                        return Err(err(format!(
                            "the Sigmoid must take one value from a Conv or dense layer, it gets {}",
                            flow.len()
                        )));
                    }
                    score = n.outputs.first().cloned();
                }
            }
            current = n.outputs.first().cloned().unwrap_or_default();
        }
        let score =
            score.ok_or_else(|| bad("no Sigmoid at the end of the spectrogram's path".into()))?;
        let outputs: Vec<&str> = g.outputs.iter().map(String::as_str).collect();
        if outputs.len() != 2
            || !outputs.contains(&score.as_str())
            || !outputs.contains(&key_at.as_str())
        {
            return Err(bad(format!(
                "the graph's outputs must be the key (passed through) and the score '{score}', found {outputs:?}"
            )));
        }
        if layers.last().map(|l| l.affine.outputs()) != Some(1) {
            return Err(bad("the last layer must give one value (the logit)".into()));
        }
        Ok(Network {
            path: g.path.clone(),
            input: self.input,
            layers,
        })
    }
}

/// `t` broadcast (numpy rules) to `dims`, flattened row-major; `None` if it does not broadcast.
fn broadcast(t: &Tensor, dims: &[usize]) -> Option<Vec<f64>> {
    if t.dims.len() > dims.len() {
        // Leading ones beyond the target's rank are harmless.
        let extra = t.dims.len() - dims.len();
        if t.dims[..extra].iter().any(|&d| d != 1) {
            return None;
        }
        let inner = Tensor::new(t.dims[extra..].to_vec(), t.data.clone());
        return broadcast(&inner, dims);
    }
    let pad = dims.len() - t.dims.len();
    let src: Vec<usize> = std::iter::repeat_n(1, pad)
        .chain(t.dims.iter().copied())
        .collect();
    if src.iter().zip(dims).any(|(&s, &d)| s != 1 && s != d) {
        return None;
    }
    let total: usize = dims.iter().product();
    let mut out = Vec::with_capacity(total);
    for flat in 0..total {
        let (mut rest, mut at, mut stride) = (flat, 0, 1);
        let mut idx = vec![0; dims.len()];
        for a in (0..dims.len()).rev() {
            idx[a] = rest % dims[a];
            rest /= dims[a];
        }
        for a in (0..dims.len()).rev() {
            if src[a] != 1 {
                at += idx[a] * stride;
            }
            stride *= src[a];
        }
        out.push(t.data[at]);
    }
    Some(out)
}

/// Add a per-output constant to a layer's bias; a Conv's must be constant over each channel.
fn add_bias(affine: &mut Affine, add: &[f64]) -> Result<(), String> {
    match affine {
        Affine::Dense(d) => {
            for (b, v) in d.bias.iter_mut().zip(add) {
                *b += v;
            }
        }
        Affine::Conv(c) => {
            let per = c.geometry.outputs();
            if add.chunks(per).any(|ch| ch.iter().any(|&v| v != ch[0])) {
                return Err("a bias Add after a Conv must be one value per channel".into());
            }
            for (b, ch) in c.bias.iter_mut().zip(add.chunks(per)) {
                *b += ch[0];
            }
        }
    }
    Ok(())
}

fn node_name(g: &OnnxGraph, n: &Node) -> String {
    if n.name.is_empty() {
        let i = g.nodes.iter().position(|m| std::ptr::eq(m, n)).unwrap_or(0);
        format!("#{i} (unnamed)")
    } else {
        n.name.clone()
    }
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Identity => "Identity",
        Op::Conv { .. } => "Conv",
        Op::Relu => "Relu",
        Op::Flatten { .. } => "Flatten",
        Op::Reshape => "Reshape",
        Op::Gemm { .. } => "Gemm",
        Op::MatMul => "MatMul",
        Op::Add => "Add",
        Op::Sigmoid => "Sigmoid",
        Op::Constant(_) => "Constant",
    }
}
