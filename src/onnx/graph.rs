//! `network.onnx` (ours or a PyTorch export, initializers inline or as external data) →
//! [`OnnxGraph`]: nodes of the supported operators in order, initializers, inputs and outputs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use prost::Message;

use super::proto::*;
use super::{OnnxError, SUPPORTED};

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
pub(crate) fn resolve_axis(axis: i64, rank: usize) -> Option<usize> {
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
}
