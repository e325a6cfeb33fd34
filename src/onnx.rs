//! [`Judge`] ⇄ `network.onnx`, and `input.json` / `cal.json` ([`InputData`]).
//!
//! Export writes what the tutorial's `torch.onnx.export(model, (key, x), opset_version=10,
//! input_names=['input'], output_names=['output'])` writes: inputs `input` (the key, `[1,1]`) and
//! `input.1` (the spectrogram, `[1,1,128,130]`, batch axis dynamic), outputs `output` (the key,
//! via Identity) and the score, weights embedded as initializers named `conv1.*`, `d1.*`.
//!
//! Import ([`OnnxGraph::load`]) reads such a file — ours or a PyTorch export — into a small
//! graph of supported operators that can be evaluated ([`OnnxGraph::run`]) and, later, compiled
//! into a circuit. Unsupported operators are refused by node name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use prost::Message;
use serde_json::Value;

use crate::model::{JudgeWeights, StackLayer, FLAT, INPUT_H, INPUT_W, KERNEL, STRIDE};

/// The ONNX protobuf messages this crate reads and writes (a subset of `onnx.proto`, field
/// numbers as in onnx 1.x).
pub mod proto {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelProto {
        #[prost(int64, tag = "1")]
        pub ir_version: i64,
        #[prost(message, repeated, tag = "8")]
        pub opset_import: Vec<OperatorSetIdProto>,
        #[prost(string, tag = "2")]
        pub producer_name: String,
        #[prost(string, tag = "3")]
        pub producer_version: String,
        #[prost(string, tag = "6")]
        pub doc_string: String,
        #[prost(message, optional, tag = "7")]
        pub graph: Option<GraphProto>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct OperatorSetIdProto {
        #[prost(string, tag = "1")]
        pub domain: String,
        #[prost(int64, tag = "2")]
        pub version: i64,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct GraphProto {
        #[prost(message, repeated, tag = "1")]
        pub node: Vec<NodeProto>,
        #[prost(string, tag = "2")]
        pub name: String,
        #[prost(message, repeated, tag = "5")]
        pub initializer: Vec<TensorProto>,
        #[prost(message, repeated, tag = "11")]
        pub input: Vec<ValueInfoProto>,
        #[prost(message, repeated, tag = "12")]
        pub output: Vec<ValueInfoProto>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NodeProto {
        #[prost(string, repeated, tag = "1")]
        pub input: Vec<String>,
        #[prost(string, repeated, tag = "2")]
        pub output: Vec<String>,
        #[prost(string, tag = "3")]
        pub name: String,
        #[prost(string, tag = "4")]
        pub op_type: String,
        #[prost(string, tag = "7")]
        pub domain: String,
        #[prost(message, repeated, tag = "5")]
        pub attribute: Vec<AttributeProto>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct AttributeProto {
        #[prost(string, tag = "1")]
        pub name: String,
        /// 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS.
        #[prost(int32, tag = "20")]
        pub r#type: i32,
        #[prost(float, tag = "2")]
        pub f: f32,
        #[prost(int64, tag = "3")]
        pub i: i64,
        #[prost(bytes = "vec", tag = "4")]
        pub s: Vec<u8>,
        #[prost(message, optional, tag = "5")]
        pub t: Option<TensorProto>,
        #[prost(float, repeated, tag = "7")]
        pub floats: Vec<f32>,
        #[prost(int64, repeated, tag = "8")]
        pub ints: Vec<i64>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TensorProto {
        #[prost(int64, repeated, tag = "1")]
        pub dims: Vec<i64>,
        /// 1 FLOAT, 6 INT32, 7 INT64, 11 DOUBLE.
        #[prost(int32, tag = "2")]
        pub data_type: i32,
        #[prost(float, repeated, tag = "4")]
        pub float_data: Vec<f32>,
        #[prost(int64, repeated, tag = "7")]
        pub int64_data: Vec<i64>,
        #[prost(string, tag = "8")]
        pub name: String,
        #[prost(bytes = "vec", tag = "9")]
        pub raw_data: Vec<u8>,
        #[prost(double, repeated, tag = "10")]
        pub double_data: Vec<f64>,
        #[prost(int32, repeated, tag = "5")]
        pub int32_data: Vec<i32>,
        /// Where the data lives when `data_location` is EXTERNAL (1): `location` (relative to
        /// the model's folder), `offset`, `length`.
        #[prost(message, repeated, tag = "13")]
        pub external_data: Vec<StringStringEntryProto>,
        #[prost(int32, tag = "14")]
        pub data_location: i32,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct StringStringEntryProto {
        #[prost(string, tag = "1")]
        pub key: String,
        #[prost(string, tag = "2")]
        pub value: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ValueInfoProto {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(message, optional, tag = "2")]
        pub r#type: Option<TypeProto>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TypeProto {
        #[prost(message, optional, tag = "1")]
        pub tensor_type: Option<TypeProtoTensor>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TypeProtoTensor {
        #[prost(int32, tag = "1")]
        pub elem_type: i32,
        #[prost(message, optional, tag = "2")]
        pub shape: Option<TensorShapeProto>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TensorShapeProto {
        #[prost(message, repeated, tag = "1")]
        pub dim: Vec<Dimension>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Dimension {
        #[prost(int64, optional, tag = "1")]
        pub dim_value: Option<i64>,
        #[prost(string, optional, tag = "2")]
        pub dim_param: Option<String>,
    }
}

use proto::*;

/// Name of the key input, as the PyTorch export names it.
pub const KEY_INPUT: &str = "input";
/// Name of the spectrogram input.
pub const X_INPUT: &str = "input.1";
/// Name of the key output.
pub const KEY_OUTPUT: &str = "output";
/// Name of the score output.
pub const SCORE_OUTPUT: &str = "score";
/// The ONNX opset the export declares (as the tutorial's `opset_version=10`).
pub const OPSET: i64 = 10;

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
    #[error("{path}: {reason}. Expected EZKL's input format {{\"input_data\": [[key...], [x...]]}} with x of {per_sample} values per sample.")]
    Input {
        path: PathBuf,
        reason: String,
        per_sample: usize,
    },
}

const SUPPORTED: &str =
    "Identity, Conv, Relu, Flatten, Reshape, Gemm, MatMul, Add, Sigmoid, Constant";

// ---------------------------------------------------------------------------------------------
// Export

fn tensor(name: &str, dims: &[i64], data: &[f32]) -> TensorProto {
    TensorProto {
        dims: dims.to_vec(),
        data_type: 1,
        name: name.into(),
        raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 7,
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 2,
        i: v,
        ..Default::default()
    }
}

fn float(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 1,
        f: v,
        ..Default::default()
    }
}

fn value_info(name: &str, dims: &[i64]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            if i == 0 {
                Dimension {
                    dim_value: None,
                    dim_param: Some("batch_size".into()),
                }
            } else {
                Dimension {
                    dim_value: Some(d),
                    dim_param: None,
                }
            }
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor {
                elem_type: 1,
                shape: Some(TensorShapeProto { dim }),
            }),
        }),
    }
}

fn node(
    name: &str,
    op: &str,
    inputs: &[&str],
    outputs: &[&str],
    attribute: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        name: name.into(),
        op_type: op.into(),
        attribute,
        ..Default::default()
    }
}

/// The judge as an ONNX model (bytes).
pub fn export_bytes(w: &JudgeWeights) -> Vec<u8> {
    let k = KERNEL as i64;
    let s = STRIDE as i64;
    judge_model(
        "voice_judge",
        "voice judge: (key, x) -> (key, sigmoid(d1(relu(conv1(x)))))",
        [1, INPUT_H, INPUT_W],
        vec![
            node("/Identity", "Identity", &[KEY_INPUT], &[KEY_OUTPUT], vec![]),
            node(
                "/conv1/Conv",
                "Conv",
                &[X_INPUT, "conv1.weight", "conv1.bias"],
                &["/conv1/Conv_output_0"],
                vec![
                    ints("dilations", &[1, 1]),
                    int("group", 1),
                    ints("kernel_shape", &[k, k]),
                    ints("pads", &[0, 0, 0, 0]),
                    ints("strides", &[s, s]),
                ],
            ),
            node(
                "/Relu",
                "Relu",
                &["/conv1/Conv_output_0"],
                &["/Relu_output_0"],
                vec![],
            ),
            node(
                "/Flatten",
                "Flatten",
                &["/Relu_output_0"],
                &["/Flatten_output_0"],
                vec![int("axis", 1)],
            ),
            node(
                "/d1/Gemm",
                "Gemm",
                &["/Flatten_output_0", "d1.weight", "d1.bias"],
                &["/d1/Gemm_output_0"],
                vec![float("alpha", 1.0), float("beta", 1.0), int("transB", 1)],
            ),
            node(
                "/Sigmoid",
                "Sigmoid",
                &["/d1/Gemm_output_0"],
                &[SCORE_OUTPUT],
                vec![],
            ),
        ],
        vec![
            tensor("conv1.weight", &[1, 1, k, k], &w.conv_w),
            tensor("conv1.bias", &[1], &[w.conv_b]),
            tensor("d1.weight", &[1, FLAT as i64], &w.lin_w),
            tensor("d1.bias", &[1], &[w.lin_b]),
        ],
    )
}

/// An ONNX model of a judge graph: the tutorial's input and output names (the key, then the
/// `1 × c × h × w` spectrogram; the key and the score), opset 10.
fn judge_model(
    name: &str,
    doc: &str,
    input: [usize; 3],
    node: Vec<NodeProto>,
    initializer: Vec<TensorProto>,
) -> Vec<u8> {
    let graph = GraphProto {
        name: name.into(),
        node,
        initializer,
        input: vec![
            value_info(KEY_INPUT, &[1, 1]),
            value_info(
                X_INPUT,
                &[1, input[0] as i64, input[1] as i64, input[2] as i64],
            ),
        ],
        output: vec![
            value_info(KEY_OUTPUT, &[1, 1]),
            value_info(SCORE_OUTPUT, &[1, 1]),
        ],
    };
    ModelProto {
        ir_version: 5,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "cryptoidol".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: doc.into(),
        graph: Some(graph),
    }
    .encode_to_vec()
}

/// A stacked judge (any [`StackLayer`]s on a `channels × height × width` spectrogram) as an
/// ONNX model (bytes), with the tutorial's tensor names and opset: the key passes through
/// Identity, a Flatten comes before the first dense layer, a Relu after each layer that has
/// one, and the last layer (one output) feeds the Sigmoid. Layer `i`'s tensors are
/// `layer{i}.weight` / `layer{i}.bias`.
pub fn export_stack_bytes(input: [usize; 3], layers: &[StackLayer]) -> Vec<u8> {
    let mut nodes = vec![node(
        "/Identity",
        "Identity",
        &[KEY_INPUT],
        &[KEY_OUTPUT],
        vec![],
    )];
    let mut inits = Vec::new();
    let mut cur = X_INPUT.to_string();
    let mut flat = false;
    for (i, l) in layers.iter().enumerate() {
        let (wn, bn, out) = (
            format!("layer{i}.weight"),
            format!("layer{i}.bias"),
            format!("/layer{i}/out"),
        );
        let relu = match l {
            StackLayer::Conv {
                weight,
                dims,
                bias,
                stride,
                pads,
                relu,
            } => {
                let d = dims.map(|v| v as i64);
                inits.push(tensor(&wn, &d, weight));
                inits.push(tensor(&bn, &[d[0]], bias));
                nodes.push(node(
                    &format!("/layer{i}/Conv"),
                    "Conv",
                    &[&cur, &wn, &bn],
                    &[&out],
                    vec![
                        ints("dilations", &[1, 1]),
                        int("group", 1),
                        ints("kernel_shape", &[d[2], d[3]]),
                        ints("pads", &pads.map(|v| v as i64)),
                        ints("strides", &stride.map(|v| v as i64)),
                    ],
                ));
                *relu
            }
            StackLayer::Dense {
                weight,
                dims,
                bias,
                relu,
            } => {
                if !flat {
                    let f = format!("/layer{i}/flat");
                    nodes.push(node(
                        &format!("/layer{i}/Flatten"),
                        "Flatten",
                        &[&cur],
                        &[&f],
                        vec![int("axis", 1)],
                    ));
                    cur = f;
                    flat = true;
                }
                let d = dims.map(|v| v as i64);
                inits.push(tensor(&wn, &d, weight));
                inits.push(tensor(&bn, &[d[0]], bias));
                nodes.push(node(
                    &format!("/layer{i}/Gemm"),
                    "Gemm",
                    &[&cur, &wn, &bn],
                    &[&out],
                    vec![float("alpha", 1.0), float("beta", 1.0), int("transB", 1)],
                ));
                *relu
            }
        };
        cur = out;
        if relu {
            let r = format!("/layer{i}/relu");
            nodes.push(node(
                &format!("/layer{i}/Relu"),
                "Relu",
                &[&cur],
                &[&r],
                vec![],
            ));
            cur = r;
        }
    }
    nodes.push(node(
        "/Sigmoid",
        "Sigmoid",
        &[&cur],
        &[SCORE_OUTPUT],
        vec![],
    ));
    judge_model(
        "voice_judge_stacked",
        "stacked voice judge: (key, x) -> (key, sigmoid(layers(x)))",
        input,
        nodes,
        inits,
    )
}

/// Write a stacked judge as ONNX (see [`export_stack_bytes`]).
pub fn export_stack(
    input: [usize; 3],
    layers: &[StackLayer],
    path: impl AsRef<Path>,
) -> Result<(), OnnxError> {
    let path = path.as_ref();
    std::fs::write(path, export_stack_bytes(input, layers)).map_err(|source| OnnxError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Write `network.onnx`.
pub fn export(w: &JudgeWeights, path: impl AsRef<Path>) -> Result<(), OnnxError> {
    let path = path.as_ref();
    std::fs::write(path, export_bytes(w)).map_err(|source| OnnxError::Io {
        path: path.to_owned(),
        source,
    })
}

// ---------------------------------------------------------------------------------------------
// Import and evaluation

/// A dense f64 tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub dims: Vec<usize>,
    pub data: Vec<f64>,
}

impl Tensor {
    pub fn new(dims: Vec<usize>, data: Vec<f64>) -> Self {
        debug_assert_eq!(dims.iter().product::<usize>(), data.len());
        Self { dims, data }
    }
}

/// One operator, with its attributes parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Identity,
    Conv {
        kernel: [usize; 2],
        strides: [usize; 2],
        /// top, left, bottom, right
        pads: [usize; 4],
    },
    Relu,
    Flatten {
        /// As the file says: ONNX allows `-rank..=rank`, resolved against the input's rank.
        axis: i64,
    },
    Reshape,
    Gemm {
        alpha: f64,
        beta: f64,
        trans_a: bool,
        trans_b: bool,
    },
    MatMul,
    Add,
    Sigmoid,
    Constant(Tensor),
}

/// One node of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub op: Op,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

/// A loaded ONNX model: nodes in topological order, initializers, input and output names.
#[derive(Debug, Clone)]
pub struct OnnxGraph {
    pub path: PathBuf,
    /// SHA-256 of the model file and of any external data it reads (hex): what settings and
    /// keys name the model by.
    pub sha256: String,
    pub opset: i64,
    pub nodes: Vec<Node>,
    pub initializers: HashMap<String, Tensor>,
    pub inputs: Vec<(String, Vec<Option<usize>>)>,
    pub outputs: Vec<String>,
}

/// Most values a tensor may hold (a judge has a few hundred thousand weights at most).
const MAX_TENSOR_VALUES: usize = 1 << 26;

/// The bytes of a tensor stored as external data, read from the model's folder `dir`.
fn external_bytes(t: &TensorProto, dir: &Path) -> Result<Vec<u8>, String> {
    let get = |k: &str| {
        t.external_data
            .iter()
            .find(|e| e.key == k)
            .map(|e| e.value.as_str())
    };
    let location = get("location").ok_or_else(|| {
        format!(
            "tensor '{}' is stored externally but names no location",
            t.name
        )
    })?;
    let rel = Path::new(location);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(format!(
            "tensor '{}' points at external data '{location}' outside the model's folder; keep the data file beside the model",
            t.name
        ));
    }
    let number = |k: &str| -> Result<Option<u64>, String> {
        get(k)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    format!(
                        "tensor '{}': external data {k} '{v}' is not a byte count",
                        t.name
                    )
                })
            })
            .transpose()
    };
    let (offset, length) = (number("offset")?.unwrap_or(0), number("length")?);
    let path = dir.join(rel);
    let file = std::fs::File::open(&path).map_err(|e| {
        format!(
            "tensor '{}' is stored in {}, which cannot be read ({e}); copy it beside the model",
            t.name,
            path.display()
        )
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let length = length.unwrap_or(size.saturating_sub(offset));
    if offset.checked_add(length).is_none_or(|end| end > size) {
        return Err(format!(
            "tensor '{}': external data {}[{offset}..+{length}] is past the file's end ({size} bytes)",
            t.name,
            path.display()
        ));
    }
    if length > (MAX_TENSOR_VALUES as u64) * 8 {
        return Err(format!("tensor '{}' is too large ({length} bytes)", t.name));
    }
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::io::BufReader::new(file);
    let mut buf = vec![0u8; length as usize];
    f.seek(SeekFrom::Start(offset))
        .and_then(|_| f.read_exact(&mut buf))
        .map_err(|e| format!("tensor '{}': reading {}: {e}", t.name, path.display()))?;
    Ok(buf)
}

/// Reads a model's tensors (inline, or as external data from the model's folder) and digests
/// the model: its bytes, then each external tensor's name and bytes, so that the digest settings
/// and keys carry covers every weight.
struct Tensors<'a> {
    dir: &'a Path,
    digest: sha2::Sha256,
}

impl<'a> Tensors<'a> {
    fn new(dir: &'a Path, model: &[u8]) -> Self {
        use sha2::Digest;
        Self {
            dir,
            digest: sha2::Sha256::new().chain_update(model),
        }
    }

    fn read(&mut self, t: &TensorProto) -> Result<Tensor, String> {
        use sha2::Digest;
        if t.data_location != 1 {
            return tensor_from_proto(t, &t.raw_data);
        }
        let raw = external_bytes(t, self.dir)?;
        self.digest.update(t.name.as_bytes());
        self.digest.update(&raw);
        tensor_from_proto(t, &raw)
    }

    fn sha256(self) -> String {
        use sha2::Digest;
        crate::encoding::hex(self.digest.finalize())
    }
}

/// A tensor's values, its raw bytes (inline or external) being `raw`.
fn tensor_from_proto(t: &TensorProto, raw: &[u8]) -> Result<Tensor, String> {
    let mut dims = Vec::with_capacity(t.dims.len());
    let mut n: usize = 1;
    for &d in &t.dims {
        let d = usize::try_from(d)
            .map_err(|_| format!("tensor '{}' has a negative dimension ({d})", t.name))?;
        n = n
            .checked_mul(d)
            .filter(|&n| n <= MAX_TENSOR_VALUES)
            .ok_or_else(|| format!("tensor '{}' is too large (dims {:?})", t.name, t.dims))?;
        dims.push(d);
    }
    let data: Vec<f64> = match t.data_type {
        1 if !raw.is_empty() => raw
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
            .collect(),
        1 => t.float_data.iter().map(|&v| v as f64).collect(),
        6 if !raw.is_empty() => raw
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64)
            .collect(),
        6 => t.int32_data.iter().map(|&v| v as f64).collect(),
        7 if !raw.is_empty() => raw
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")) as f64)
            .collect(),
        7 => t.int64_data.iter().map(|&v| v as f64).collect(),
        11 if !raw.is_empty() => raw
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect(),
        11 => t.double_data.clone(),
        other => {
            return Err(format!(
                "tensor '{}' has data type {other}; supported: 1 (float32), 6 (int32), 7 (int64), 11 (float64)",
                t.name
            ))
        }
    };
    if data.len() != n {
        return Err(format!(
            "tensor '{}' has {} values for dims {:?}",
            t.name,
            data.len(),
            dims
        ));
    }
    if let Some(v) = data.iter().find(|v| !v.is_finite()) {
        return Err(format!(
            "tensor '{}' holds a non-finite value ({v})",
            t.name
        ));
    }
    Ok(Tensor::new(dims, data))
}

fn attr<'a>(n: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    n.attribute.iter().find(|a| a.name == name)
}

/// Largest kernel, stride or pad an attribute may give (a spectrogram is 128 × 130).
const MAX_GEOMETRY: i64 = 1 << 16;

/// A 2-D conv attribute (`kernel_shape`, `strides`: `min` 1; `pads`: `min` 0, four values):
/// exactly `N` integers in `min..=MAX_GEOMETRY`, or the reason it is refused.
fn geometry<const N: usize>(a: &AttributeProto, min: i64) -> Result<[usize; N], String> {
    let v: [i64; N] = a.ints.as_slice().try_into().map_err(|_| {
        format!(
            "attribute {} has {} values, a 2-D convolution takes {N}",
            a.name,
            a.ints.len()
        )
    })?;
    if let Some(bad) = v.iter().find(|&&x| !(min..=MAX_GEOMETRY).contains(&x)) {
        return Err(format!(
            "attribute {} holds {bad}, outside {min}..={MAX_GEOMETRY}",
            a.name
        ));
    }
    Ok(v.map(|x| x as usize))
}

/// `axis` resolved against a tensor of `rank` dimensions (negative counts from the end).
pub fn resolve_axis(axis: i64, rank: usize) -> Option<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    (0..=r).contains(&a).then_some(a as usize)
}

impl OnnxGraph {
    /// Read and check a model file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, OnnxError> {
        let path = path.as_ref().to_owned();
        let bytes = std::fs::read(&path).map_err(|source| OnnxError::Io {
            path: path.clone(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Parse model bytes (`path` is used in messages, and its folder holds any external data).
    pub fn from_bytes(bytes: &[u8], path: PathBuf) -> Result<Self, OnnxError> {
        let dir = match path.parent() {
            Some(p) if p.as_os_str().is_empty() => Path::new("."),
            Some(p) => p,
            None => Path::new("."),
        }
        .to_path_buf();
        let model = ModelProto::decode(bytes).map_err(|e| OnnxError::Decode {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let graph = model.graph.ok_or_else(|| OnnxError::Decode {
            path: path.clone(),
            reason: "no graph in the file".into(),
        })?;
        if graph.node.is_empty() {
            return Err(OnnxError::Decode {
                path,
                reason: "the graph has no nodes".into(),
            });
        }
        let opset = model
            .opset_import
            .iter()
            .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
            .map(|o| o.version)
            .unwrap_or(0);
        let mut initializers = HashMap::new();
        let mut tensors = Tensors::new(&dir, bytes);
        for t in &graph.initializer {
            let v = tensors.read(t).map_err(|reason| OnnxError::Decode {
                path: path.clone(),
                reason,
            })?;
            initializers.insert(t.name.clone(), v);
        }
        let mut nodes = Vec::new();
        for n in &graph.node {
            let err = |reason: String| OnnxError::Node {
                path: path.clone(),
                node: n.name.clone(),
                op: n.op_type.clone(),
                reason,
            };
            let op = match n.op_type.as_str() {
                "Identity" => Op::Identity,
                "Relu" => Op::Relu,
                "Sigmoid" => Op::Sigmoid,
                "Reshape" => Op::Reshape,
                "MatMul" => Op::MatMul,
                "Add" => Op::Add,
                "Flatten" => Op::Flatten {
                    axis: attr(n, "axis").map(|a| a.i).unwrap_or(1),
                },
                "Gemm" => Op::Gemm {
                    alpha: attr(n, "alpha").map(|a| a.f as f64).unwrap_or(1.0),
                    beta: attr(n, "beta").map(|a| a.f as f64).unwrap_or(1.0),
                    trans_a: attr(n, "transA").map(|a| a.i != 0).unwrap_or(false),
                    trans_b: attr(n, "transB").map(|a| a.i != 0).unwrap_or(false),
                },
                "Conv" => {
                    if attr(n, "group").map(|a| a.i).unwrap_or(1) != 1 {
                        return Err(err(
                            "grouped convolutions are not supported (group must be 1)".into(),
                        ));
                    }
                    if attr(n, "dilations")
                        .map(|a| a.ints.iter().any(|&d| d != 1))
                        .unwrap_or(false)
                    {
                        return Err(err("dilated convolutions are not supported".into()));
                    }
                    if attr(n, "auto_pad")
                        .map(|a| !a.s.is_empty() && a.s != b"NOTSET")
                        .unwrap_or(false)
                    {
                        return Err(err(
                            "auto_pad is not supported: export with explicit pads".into()
                        ));
                    }
                    let w = n
                        .input
                        .get(1)
                        .and_then(|w| initializers.get(w))
                        .ok_or_else(|| err("the weight must be an initializer".into()))?;
                    if w.dims.len() != 4 {
                        return Err(err(format!(
                            "only 2-D convolutions are supported, weight dims {:?}",
                            w.dims
                        )));
                    }
                    let kernel = match attr(n, "kernel_shape") {
                        Some(a) => geometry::<2>(a, 1).map_err(err)?,
                        None => [w.dims[2], w.dims[3]],
                    };
                    let pads = match attr(n, "pads") {
                        Some(a) => geometry::<4>(a, 0).map_err(err)?,
                        None => [0; 4],
                    };
                    let strides = match attr(n, "strides") {
                        Some(a) => geometry::<2>(a, 1).map_err(err)?,
                        None => [1, 1],
                    };
                    Op::Conv {
                        kernel,
                        strides,
                        pads,
                    }
                }
                "Constant" => {
                    let t = if let Some(t) = attr(n, "value").and_then(|a| a.t.as_ref()) {
                        tensors.read(t).map_err(err)?
                    } else if let Some(a) = attr(n, "value_ints") {
                        Tensor::new(
                            vec![a.ints.len()],
                            a.ints.iter().map(|&v| v as f64).collect(),
                        )
                    } else if let Some(a) = attr(n, "value_floats") {
                        Tensor::new(
                            vec![a.floats.len()],
                            a.floats.iter().map(|&v| v as f64).collect(),
                        )
                    } else if let Some(a) = attr(n, "value_int") {
                        Tensor::new(vec![], vec![a.i as f64])
                    } else if let Some(a) = attr(n, "value_float") {
                        Tensor::new(vec![], vec![a.f as f64])
                    } else {
                        return Err(err(
                            "Constant without a value (value, value_int(s) or value_float(s))"
                                .into(),
                        ));
                    };
                    Op::Constant(t)
                }
                other => {
                    return Err(OnnxError::Unsupported {
                        path: path.clone(),
                        node: if n.name.is_empty() {
                            format!("#{}", nodes.len())
                        } else {
                            n.name.clone()
                        },
                        op: other.into(),
                        supported: SUPPORTED,
                    })
                }
            };
            nodes.push(Node {
                name: n.name.clone(),
                op,
                inputs: n.input.clone(),
                outputs: n.output.clone(),
            });
        }
        let inputs = graph
            .input
            .iter()
            .filter(|i| !initializers.contains_key(&i.name))
            .map(|i| {
                let dims = i
                    .r#type
                    .as_ref()
                    .and_then(|t| t.tensor_type.as_ref())
                    .and_then(|t| t.shape.as_ref())
                    .map(|s| {
                        s.dim
                            .iter()
                            .map(|d| d.dim_value.map(|v| v as usize))
                            .collect()
                    })
                    .unwrap_or_default();
                (i.name.clone(), dims)
            })
            .collect();
        Ok(Self {
            sha256: tensors.sha256(),
            path,
            opset,
            nodes,
            initializers,
            inputs,
            outputs: graph.output.iter().map(|o| o.name.clone()).collect(),
        })
    }

    /// Evaluate the graph in f64 on the given named inputs; returns every graph output.
    pub fn run(&self, inputs: &[(&str, Tensor)]) -> Result<HashMap<String, Tensor>, OnnxError> {
        let mut env: HashMap<String, Tensor> = self.initializers.clone();
        for (name, t) in inputs {
            env.insert(name.to_string(), t.clone());
        }
        for n in &self.nodes {
            let get = |i: usize| -> Result<&Tensor, OnnxError> {
                let name = n
                    .inputs
                    .get(i)
                    .ok_or_else(|| OnnxError::Eval(format!("node '{}' lacks input {i}", n.name)))?;
                env.get(name).ok_or_else(|| {
                    OnnxError::Eval(format!(
                        "node '{}' reads '{name}', which is not set: pass it as an input",
                        n.name
                    ))
                })
            };
            let out = match &n.op {
                Op::Identity => get(0)?.clone(),
                Op::Relu => map(get(0)?, |v| v.max(0.0)),
                Op::Sigmoid => map(get(0)?, |v| 1.0 / (1.0 + (-v).exp())),
                Op::Constant(t) => t.clone(),
                Op::Flatten { axis } => {
                    let x = get(0)?;
                    let axis = resolve_axis(*axis, x.dims.len()).ok_or_else(|| {
                        OnnxError::Eval(format!(
                            "node '{}': Flatten axis {axis} for a {}-D input",
                            n.name,
                            x.dims.len()
                        ))
                    })?;
                    let a: usize = x.dims[..axis].iter().product();
                    Tensor::new(vec![a, x.data.len() / a.max(1)], x.data.clone())
                }
                Op::Reshape => {
                    let x = get(0)?;
                    let shape = get(1)?;
                    let mut dims: Vec<i64> = shape.data.iter().map(|&v| v as i64).collect();
                    for (i, d) in dims.iter_mut().enumerate() {
                        if *d == 0 {
                            // 0 copies the input's dimension at the same place.
                            *d = *x.dims.get(i).ok_or_else(|| {
                                OnnxError::Eval(format!(
                                    "node '{}': shape {:?} copies dimension {i} of a {}-D input",
                                    n.name,
                                    shape.data,
                                    x.dims.len()
                                ))
                            })? as i64;
                        }
                    }
                    let known = dims
                        .iter()
                        .filter(|&&d| d > 0)
                        .try_fold(1i64, |p, &d| p.checked_mul(d))
                        .filter(|&k| k as usize <= x.data.len().max(1))
                        .ok_or_else(|| {
                            OnnxError::Eval(format!(
                                "node '{}': cannot reshape {:?} to {:?}",
                                n.name, x.dims, shape.data
                            ))
                        })?;
                    let dims: Vec<usize> = dims
                        .iter()
                        .map(|&d| {
                            if d < 0 {
                                x.data.len() / known.max(1) as usize
                            } else {
                                d as usize
                            }
                        })
                        .collect();
                    if dims.iter().product::<usize>() != x.data.len() {
                        return Err(OnnxError::Eval(format!(
                            "node '{}': cannot reshape {:?} to {:?}",
                            n.name, x.dims, dims
                        )));
                    }
                    Tensor::new(dims, x.data.clone())
                }
                Op::Conv {
                    kernel,
                    strides,
                    pads,
                } => {
                    let bias = if n.inputs.len() > 2 {
                        Some(get(2)?)
                    } else {
                        None
                    };
                    conv2d(get(0)?, get(1)?, bias, *kernel, *strides, *pads)
                        .map_err(|e| OnnxError::Eval(format!("node '{}': {e}", n.name)))?
                }
                Op::Gemm {
                    alpha,
                    beta,
                    trans_a,
                    trans_b,
                } => {
                    let c = if n.inputs.len() > 2 {
                        Some(get(2)?)
                    } else {
                        None
                    };
                    gemm(get(0)?, get(1)?, c, *alpha, *beta, *trans_a, *trans_b)
                        .map_err(|e| OnnxError::Eval(format!("node '{}': {e}", n.name)))?
                }
                Op::MatMul => gemm(get(0)?, get(1)?, None, 1.0, 0.0, false, false)
                    .map_err(|e| OnnxError::Eval(format!("node '{}': {e}", n.name)))?,
                Op::Add => add(get(0)?, get(1)?)
                    .map_err(|e| OnnxError::Eval(format!("node '{}': {e}", n.name)))?,
            };
            if let Some(name) = n.outputs.first() {
                env.insert(name.clone(), out);
            }
        }
        self.outputs
            .iter()
            .map(|o| {
                env.remove(o)
                    .map(|t| (o.clone(), t))
                    .ok_or_else(|| OnnxError::Eval(format!("output '{o}' was never computed")))
            })
            .collect()
    }

    /// The tutorial graph's `(key, x) → (key, score)` on one sample, by the graph's own input
    /// order (key first, then the spectrogram) and output order.
    pub fn judge(&self, key: f64, x: &[f32]) -> Result<(f64, f64), OnnxError> {
        if self.inputs.len() != 2 || self.outputs.len() != 2 {
            return Err(OnnxError::Eval(format!(
                "expected 2 inputs (key, spectrogram) and 2 outputs, found inputs {:?} and outputs {:?}",
                self.inputs.iter().map(|i| &i.0).collect::<Vec<_>>(),
                self.outputs
            )));
        }
        let xt = Tensor::new(
            vec![1, 1, INPUT_H, INPUT_W],
            x.iter().map(|&v| v as f64).collect(),
        );
        let kt = Tensor::new(vec![1, 1], vec![key]);
        let out = self.run(&[(&self.inputs[0].0, kt), (&self.inputs[1].0, xt)])?;
        Ok((out[&self.outputs[0]].data[0], out[&self.outputs[1]].data[0]))
    }
}

fn map(x: &Tensor, f: impl Fn(f64) -> f64) -> Tensor {
    Tensor::new(x.dims.clone(), x.data.iter().map(|&v| f(v)).collect())
}

fn conv2d(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    k: [usize; 2],
    s: [usize; 2],
    p: [usize; 4],
) -> Result<Tensor, String> {
    let [n, c, h, wd] = x.dims[..] else {
        return Err(format!(
            "Conv input must be 4-D [N,C,H,W], got {:?}",
            x.dims
        ));
    };
    let [m, wc, kh, kw] = w.dims[..] else {
        return Err(format!("Conv weight must be 4-D, got {:?}", w.dims));
    };
    if wc != c || [kh, kw] != k {
        return Err(format!(
            "weight {:?} does not fit input channels {c} and kernel {k:?}",
            w.dims
        ));
    }
    if let Some(b) = b.filter(|b| b.data.len() != m) {
        return Err(format!(
            "the bias {:?} does not give one value per output channel ({m})",
            b.dims
        ));
    }
    let (hp, wp) = (h + p[0] + p[2], wd + p[1] + p[3]);
    if hp < kh || wp < kw {
        return Err(format!(
            "input {h}×{wd} is smaller than the kernel {kh}×{kw}"
        ));
    }
    let (oh, ow) = ((hp - kh) / s[0] + 1, (wp - kw) / s[1] + 1);
    let mut out = vec![0.0; n * m * oh * ow];
    for bi in 0..n {
        for mi in 0..m {
            let bias = b.map(|b| b.data[mi]).unwrap_or(0.0);
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = bias;
                    for ci in 0..c {
                        for ky in 0..kh {
                            let iy = (oy * s[0] + ky) as isize - p[0] as isize;
                            if iy < 0 || iy >= h as isize {
                                continue;
                            }
                            for kx in 0..kw {
                                let ix = (ox * s[1] + kx) as isize - p[1] as isize;
                                if ix < 0 || ix >= wd as isize {
                                    continue;
                                }
                                acc += w.data[((mi * c + ci) * kh + ky) * kw + kx]
                                    * x.data[((bi * c + ci) * h + iy as usize) * wd + ix as usize];
                            }
                        }
                    }
                    out[((bi * m + mi) * oh + oy) * ow + ox] = acc;
                }
            }
        }
    }
    Ok(Tensor::new(vec![n, m, oh, ow], out))
}

fn gemm(
    a: &Tensor,
    b: &Tensor,
    c: Option<&Tensor>,
    alpha: f64,
    beta: f64,
    ta: bool,
    tb: bool,
) -> Result<Tensor, String> {
    if a.dims.len() != 2 || b.dims.len() != 2 {
        return Err(format!(
            "expects 2-D operands, got {:?} and {:?}",
            a.dims, b.dims
        ));
    }
    let (m, k) = if ta {
        (a.dims[1], a.dims[0])
    } else {
        (a.dims[0], a.dims[1])
    };
    let (k2, n) = if tb {
        (b.dims[1], b.dims[0])
    } else {
        (b.dims[0], b.dims[1])
    };
    if k != k2 {
        return Err(format!(
            "inner dimensions differ: {:?} × {:?}",
            a.dims, b.dims
        ));
    }
    let at = |i: usize, j: usize| {
        if ta {
            a.data[j * a.dims[1] + i]
        } else {
            a.data[i * a.dims[1] + j]
        }
    };
    let bt = |i: usize, j: usize| {
        if tb {
            b.data[j * b.dims[1] + i]
        } else {
            b.data[i * b.dims[1] + j]
        }
    };
    if let Some(c) = c.filter(|c| ![1, n, m * n].contains(&c.data.len())) {
        return Err(format!(
            "the bias {:?} does not broadcast to the {m}×{n} product",
            c.dims
        ));
    }
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let dot: f64 = (0..k).map(|t| at(i, t) * bt(t, j)).sum();
            let bias = c
                .map(|c| match c.data.len() {
                    1 => c.data[0],
                    len if len == n => c.data[j],
                    _ => c.data[i * n + j],
                })
                .unwrap_or(0.0);
            out[i * n + j] = alpha * dot + beta * bias;
        }
    }
    Ok(Tensor::new(vec![m, n], out))
}

fn add(a: &Tensor, b: &Tensor) -> Result<Tensor, String> {
    if a.data.len() == b.data.len() {
        return Ok(Tensor::new(
            a.dims.clone(),
            a.data.iter().zip(&b.data).map(|(x, y)| x + y).collect(),
        ));
    }
    let (big, small) = if a.data.len() >= b.data.len() {
        (a, b)
    } else {
        (b, a)
    };
    if small.data.is_empty() || big.data.len() % small.data.len() != 0 {
        return Err(format!("cannot broadcast {:?} and {:?}", a.dims, b.dims));
    }
    let s = small.data.len();
    Ok(Tensor::new(
        big.dims.clone(),
        big.data
            .iter()
            .enumerate()
            .map(|(i, v)| v + small.data[i % s])
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// input.json / cal.json

/// A key in the key slot of `input.json`.
///
/// The submitter's key is an Ethereum address, written as a `0x`-prefixed 40-hex-digit string
/// (`"0xf39F…2266"`) and carried exactly. A JSON number (as EZKL writes, e.g. `0.42`) is also
/// accepted; it is a float key that cannot name an address.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Address([u8; 20]),
    Number(f64),
}

impl Key {
    /// Parse `0x` + 40 hex digits.
    pub fn parse_address(s: &str) -> Result<Self, String> {
        let hex = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .ok_or_else(|| {
                format!("key '{s}' must start with 0x (an Ethereum address: 0x + 40 hex digits)")
            })?;
        if hex.len() != 40 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("key '{s}' is not an Ethereum address: expected 0x followed by 40 hex digits (20 bytes)"));
        }
        let mut out = [0u8; 20];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("checked hex");
        }
        Ok(Key::Address(out))
    }

    fn to_json(&self) -> Value {
        match self {
            Key::Address(a) => Value::String(format!(
                "0x{}",
                a.iter().map(|b| format!("{b:02x}")).collect::<String>()
            )),
            Key::Number(v) => serde_json::json!(v),
        }
    }

    /// The key as the float the ONNX graph's pass-through carries (addresses → 0, they do not
    /// fit a float; the circuit carries them exactly).
    pub fn as_f64(&self) -> f64 {
        match self {
            Key::Address(_) => 0.0,
            Key::Number(v) => *v,
        }
    }
}

/// The key as input.json writes it (`0x…` lower-case hex, or the number).
pub fn key_to_string(k: &Key) -> String {
    match k.to_json() {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// The anvil/hardhat development account #0: the default submitter in examples and the demo.
pub const DEFAULT_KEY: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

/// EZKL's input format: `{"input_data": [[key per sample], [x of all samples, flattened]]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputData {
    pub keys: Vec<Key>,
    /// One `128 × 130` spectrogram per key.
    pub xs: Vec<Vec<f32>>,
}

impl InputData {
    pub const PER_SAMPLE: usize = INPUT_H * INPUT_W;

    pub fn to_json(&self) -> Value {
        let flat: Vec<f32> = self.xs.iter().flatten().cloned().collect();
        serde_json::json!({ "input_data": [self.keys.iter().map(Key::to_json).collect::<Vec<_>>(), flat] })
    }

    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), OnnxError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json().to_string()).map_err(|source| OnnxError::Io {
            path: path.to_owned(),
            source,
        })
    }

    pub fn load(path: impl AsRef<Path>) -> Result<Self, OnnxError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| OnnxError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, OnnxError> {
        let bad = |reason: String| OnnxError::Input {
            path: path.to_owned(),
            reason,
            per_sample: Self::PER_SAMPLE,
        };
        let v: Value =
            serde_json::from_str(text).map_err(|e| bad(format!("malformed JSON ({e})")))?;
        let data = v
            .get("input_data")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no \"input_data\" array".into()))?;
        if data.len() != 2 {
            return Err(bad(format!(
                "\"input_data\" has {} inputs, the judge takes 2 (key, spectrogram)",
                data.len()
            )));
        }
        let keys_json = data[0]
            .as_array()
            .ok_or_else(|| bad("the key input is not an array".into()))?;
        let keys = keys_json
            .iter()
            .enumerate()
            .map(|(i, k)| match k {
                Value::String(s) => Key::parse_address(s).map_err(|e| bad(format!("key {i}: {e}"))),
                Value::Number(n) => n
                    .as_f64()
                    .filter(|v| v.is_finite())
                    .map(Key::Number)
                    .ok_or_else(|| bad(format!("key {i} is not a finite number"))),
                other => Err(bad(format!(
                    "key {i} is {other}, expected an address string or a number"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let x_json = data[1]
            .as_array()
            .ok_or_else(|| bad("the spectrogram input is not an array".into()))?;
        let mut flat = Vec::with_capacity(x_json.len());
        for (i, x) in x_json.iter().enumerate() {
            let v = x
                .as_f64()
                .ok_or_else(|| bad(format!("spectrogram value {i} is {x}, not a number")))?;
            if !v.is_finite() {
                return Err(bad(format!("spectrogram value {i} is not finite")));
            }
            flat.push(v as f32);
        }
        if keys.is_empty() {
            return Err(bad("no samples (the key list is empty)".into()));
        }
        if flat.len() != keys.len() * Self::PER_SAMPLE {
            return Err(bad(format!(
                "wrong shape: {} keys need {} spectrogram values ({} × 1×{}×{}), got {}",
                keys.len(),
                keys.len() * Self::PER_SAMPLE,
                keys.len(),
                INPUT_H,
                INPUT_W,
                flat.len()
            )));
        }
        let xs = flat.chunks(Self::PER_SAMPLE).map(|c| c.to_vec()).collect();
        Ok(Self { keys, xs })
    }
}
