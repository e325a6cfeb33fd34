//! [`Judge`](crate::model::Judge) ⇄ `network.onnx`: the export ([`export`]), the import into an
//! [`OnnxGraph`] ([`OnnxGraph::load`]) and the graph's own f64 evaluator ([`OnnxGraph::run`]).
//!
//! Export writes what the tutorial's `torch.onnx.export(model, (key, x), opset_version=10,
//! input_names=['input'], output_names=['output'])` writes: inputs `input` (the key, `[1,1]`) and
//! `input.1` (the spectrogram, `[1,1,128,130]`, batch axis dynamic), outputs `output` (the key,
//! via Identity) and the score, weights embedded as initializers named `conv1.*`, `d1.*`.
//!
//! Import ([`OnnxGraph::load`]) reads such a file — ours or a PyTorch export — into a small
//! graph of supported operators that can be evaluated ([`OnnxGraph::run`]) and, later, compiled
//! into a circuit. Unsupported operators are refused by node name.

use std::path::PathBuf;

mod eval;
mod export;
pub(crate) mod graph;
pub mod proto;

pub use export::{export, export_bytes, export_stack, export_stack_bytes};
pub use graph::{Node, OnnxGraph, Op, Tensor};

/// Name of the key input, as the PyTorch export names it.
pub const KEY_INPUT: &str = "input";
/// Name of the spectrogram input.
pub const X_INPUT: &str = "input.1";
/// Name of the key output.
pub(crate) const KEY_OUTPUT: &str = "output";
/// Name of the score output.
pub const SCORE_OUTPUT: &str = "score";
/// The ONNX opset the export declares (as the tutorial's `opset_version=10`).
pub(crate) const OPSET: i64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not an ONNX model ({reason}). Export one with `idol train` or torch.onnx.export.")]
    Decode { path: PathBuf, reason: String },
    #[error("{path}: node '{node}' uses operator {op}, which the judge circuit does not support (supported: {supported}). Rewrite the model with these operators.")]
    Unsupported {
        path: PathBuf,
        node: String,
        op: String,
        supported: &'static str,
    },
    #[error("{path}: node '{node}' ({op}): {reason}")]
    Node {
        path: PathBuf,
        node: String,
        op: String,
        reason: String,
    },
    #[error("running the ONNX graph: {0}")]
    Eval(String),
}

const SUPPORTED: &str =
    "Identity, Conv, Relu, Flatten, Reshape, Gemm, MatMul, Add, Sigmoid, Constant";
