//! `Judge` (or a widened stack of layers) → `network.onnx`: the messages the tutorial's
//! `torch.onnx.export(..., opset_version=10)` writes.

use std::path::Path;

use super::proto::*;
use super::{OnnxError, KEY_INPUT, KEY_OUTPUT, OPSET, SCORE_OUTPUT, X_INPUT};
use crate::model::{JudgeWeights, StackLayer, FLAT, INPUT_H, INPUT_W, KERNEL, STRIDE};
use prost::Message;

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
