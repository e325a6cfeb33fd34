//! Shared fixtures for the proving tests: a judge, its ONNX, settings and inputs in a temp dir.
#![allow(dead_code)]

use std::path::PathBuf;

use cryptoidol::input::{self, InputData, Key};
use cryptoidol::model::JudgeWeights;
use cryptoidol::onnx;
use cryptoidol::prove::Model;
use cryptoidol::settings::{self, CalibrationTarget};

/// A spectrogram-like input: dB values in [-80, 0] with structure, varied by `seed`.
pub fn spectrogram(seed: usize) -> Vec<f32> {
    (0..128 * 130)
        .map(|i| {
            let (r, c) = ((i / 130) as f32, (i % 130) as f32);
            let v = -40.0
                + 25.0 * ((0.11 + 0.01 * seed as f32) * r + 0.07 * c + seed as f32).sin()
                + 10.0 * (0.5 * r).cos();
            v.clamp(-80.0, 0.0)
        })
        .collect()
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub onnx: PathBuf,
    pub model: Model,
}

/// Judge weights whose conv outputs take both signs on [`spectrogram`] inputs (so every ReLU
/// branch is exercised), varied by `seed`.
pub fn weights(seed: u64) -> JudgeWeights {
    let s = seed as f32;
    JudgeWeights {
        conv_w: (0..25).map(|i| 0.15 * (i as f32 * 1.7 + s).sin()).collect(),
        conv_b: 0.2 + 0.05 * s.cos(),
        lin_w: (0..992)
            .map(|i| 0.01 * (i as f32 * 0.37 + s).cos())
            .collect(),
        lin_b: 0.1,
    }
}

/// A judge exported to ONNX, with settings calibrated on a few inputs.
pub fn fixture(seed: u64) -> Fixture {
    fixture_for(seed, CalibrationTarget::Resources { max_error: 0.002 })
}

/// The same, calibrated for `target`.
pub fn fixture_for(seed: u64, target: CalibrationTarget) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let onnx_path = dir.path().join("network.onnx");
    onnx::export(&weights(seed), &onnx_path).unwrap();
    model_calibrated_for(dir, onnx_path, (0..4).map(spectrogram).collect(), target)
}

pub fn model_from(dir: tempfile::TempDir, onnx_path: PathBuf) -> Fixture {
    model_calibrated_on(dir, onnx_path, (0..4).map(spectrogram).collect())
}

/// The model at `onnx_path` with settings calibrated (target resources) on `xs`.
pub fn model_calibrated_on(
    dir: tempfile::TempDir,
    onnx_path: PathBuf,
    xs: Vec<Vec<f32>>,
) -> Fixture {
    model_calibrated_for(
        dir,
        onnx_path,
        xs,
        CalibrationTarget::Resources { max_error: 0.002 },
    )
}

/// The model at `onnx_path` with settings calibrated for `target` on `xs`.
pub fn model_calibrated_for(
    dir: tempfile::TempDir,
    onnx_path: PathBuf,
    xs: Vec<Vec<f32>>,
    target: CalibrationTarget,
) -> Fixture {
    let (s, graph) = settings::gen_settings(&onnx_path).unwrap();
    let cal = InputData {
        keys: vec![Key::Number(0.0); xs.len()],
        xs,
    };
    let (s, _) = settings::calibrate_settings(&cal, &graph, &s, target).unwrap();
    let model = Model::new(s, graph).unwrap();
    Fixture {
        dir,
        onnx: onnx_path,
        model,
    }
}

/// A workshop variant of judge `seed`: its conv pads 1 cell on every side, so the conv output is
/// 32 × 32 and the linear layer takes 1024 inputs (the circuit gains a padding gate).
pub fn padded_fixture(seed: u64) -> Fixture {
    use cryptoidol::onnx::proto::{AttributeProto, ModelProto};
    use prost::Message;
    let mut model = ModelProto::decode(onnx::export_bytes(&weights(seed)).as_slice()).unwrap();
    let g = model.graph.as_mut().unwrap();
    let conv = g.node.iter_mut().find(|n| n.op_type == "Conv").unwrap();
    let pads: &mut AttributeProto = conv
        .attribute
        .iter_mut()
        .find(|a| a.name == "pads")
        .unwrap();
    pads.ints = vec![1, 1, 1, 1];
    let lin = g
        .initializer
        .iter_mut()
        .find(|t| t.name == "d1.weight")
        .unwrap();
    lin.dims = vec![1, 1024];
    lin.raw_data = (0..1024)
        .flat_map(|i| (0.002 * ((i % 7) as f32 - 3.0)).to_le_bytes())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("padded.onnx");
    std::fs::write(&path, model.encode_to_vec()).unwrap();
    model_from(dir, path)
}

/// The PyTorch-style export of the judge (Reshape, MatMul + Add, other names) in tests/fixtures.
pub fn pytorch_style_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("torch.onnx");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/onnx/pytorch_style_judge.onnx"),
        &path,
    )
    .unwrap();
    model_from(dir, path)
}

pub fn address_input(seed: usize) -> InputData {
    InputData {
        keys: vec![Key::parse_address(input::DEFAULT_KEY).unwrap()],
        xs: vec![spectrogram(seed)],
    }
}

/// An RPC URL on a free local port (for a test's own anvil).
pub fn free_local_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

/// One layer of a [`stack_onnx`] model.
#[derive(Debug, Clone, Copy)]
pub enum Layer {
    Conv {
        cout: usize,
        k: [usize; 2],
        s: [usize; 2],
        p: [usize; 4],
        relu: bool,
    },
    /// A dense layer: Gemm (transB = 1), or PyTorch's MatMul + Add when `matmul`.
    Dense {
        out: usize,
        relu: bool,
        matmul: bool,
    },
}

/// A widened or deepened judge as ONNX bytes ([`onnx::export_stack_bytes`]: the tutorial's
/// tensor names, opset 10) with the given layers on a `c × h × w` input. Weights are
/// deterministic, varied by `seed`, and scaled by fan-in so pre-activations take both signs and
/// the score stays away from 0 and 1. A dense layer with `matmul` is rewritten as PyTorch
/// exports it: MatMul by the transposed weight, then Add of the bias.
pub fn stack_onnx(input: [usize; 3], layers: &[Layer], seed: u64) -> Vec<u8> {
    use cryptoidol::model::StackLayer;
    use cryptoidol::onnx::proto::{ModelProto, NodeProto};
    use prost::Message;
    let s = seed as f32;
    let values = |n: usize, amp: f32, off: f32| -> Vec<f32> {
        (0..n)
            .map(|i| off + amp * ((i as f32) * 1.37 + s).sin())
            .collect()
    };
    let [mut c, mut h, mut w] = input;
    let mut n_flat: Option<usize> = None;
    let last = layers.len() - 1;
    let mut stack = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let amp = if i == last { 0.3 } else { 1.2 };
        stack.push(match *l {
            Layer::Conv {
                cout,
                k,
                s: stride,
                p,
                relu,
            } => {
                let fan = (c * k[0] * k[1]) as f32;
                let layer = StackLayer::Conv {
                    weight: values(cout * c * k[0] * k[1], amp / fan.sqrt(), 0.0),
                    dims: [cout, c, k[0], k[1]],
                    bias: values(cout, 0.3, 0.1),
                    stride,
                    pads: p,
                    relu,
                };
                h = (h + p[0] + p[2] - k[0]) / stride[0] + 1;
                w = (w + p[1] + p[3] - k[1]) / stride[1] + 1;
                c = cout;
                layer
            }
            Layer::Dense { out, relu, .. } => {
                let n_in = n_flat.unwrap_or(c * h * w);
                let gain = if i == last { 0.5 } else { 2.0 };
                n_flat = Some(out);
                StackLayer::Dense {
                    weight: values(out * n_in, amp / (n_in as f32).sqrt() * gain, 0.0),
                    dims: [out, n_in],
                    bias: values(out, 0.2, 0.05),
                    relu,
                }
            }
        });
    }
    let bytes = onnx::export_stack_bytes(input, &stack);
    let mut model = ModelProto::decode(bytes.as_slice()).unwrap();
    let g = model.graph.as_mut().unwrap();
    for (i, l) in layers.iter().enumerate() {
        let Layer::Dense { matmul: true, .. } = l else {
            continue;
        };
        let at = g
            .node
            .iter()
            .position(|n| n.name == format!("/layer{i}/Gemm"))
            .unwrap();
        let gemm = g.node.remove(at);
        let wt = g
            .initializer
            .iter_mut()
            .find(|t| t.name == gemm.input[1])
            .unwrap();
        let (rows, cols) = (wt.dims[0] as usize, wt.dims[1] as usize);
        let data: Vec<f32> = wt
            .raw_data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        wt.raw_data = (0..rows * cols)
            .flat_map(|t| data[(t % rows) * cols + t / rows].to_le_bytes())
            .collect();
        wt.dims = vec![cols as i64, rows as i64];
        let mm = format!("/layer{i}/mm");
        let node = |name: String, op: &str, inputs: Vec<String>, out: String| NodeProto {
            input: inputs,
            output: vec![out],
            name,
            op_type: op.into(),
            ..Default::default()
        };
        g.node.insert(
            at,
            node(
                format!("/layer{i}/MatMul"),
                "MatMul",
                vec![gemm.input[0].clone(), gemm.input[1].clone()],
                mm.clone(),
            ),
        );
        g.node.insert(
            at + 1,
            node(
                format!("/layer{i}/Add"),
                "Add",
                vec![mm, gemm.input[2].clone()],
                gemm.output[0].clone(),
            ),
        );
    }
    model.encode_to_vec()
}

/// A spectrogram-like `h × w` input (dB in [-80, 0]), varied by `seed`.
pub fn spectrogram_hw(seed: usize, h: usize, w: usize) -> Vec<f32> {
    (0..h * w)
        .map(|i| {
            let (r, c) = ((i / w) as f32, (i % w) as f32);
            let v = -40.0
                + 25.0 * ((0.31 + 0.02 * seed as f32) * r + 0.23 * c + seed as f32).sin()
                + 10.0 * (0.5 * r).cos();
            v.clamp(-80.0, 0.0)
        })
        .collect()
}

/// A stacked judge written to a temp dir, with settings calibrated on `cal` inputs.
pub fn stack_fixture(bytes: Vec<u8>, cal: Vec<Vec<f32>>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stacked.onnx");
    std::fs::write(&path, bytes).unwrap();
    model_calibrated_on(dir, path, cal)
}

/// Input size of [`deep_fixture`].
pub const DEEP_H: usize = 12;
pub const DEEP_W: usize = 14;

/// A deepened, widened judge on a small input: Conv(1→2, k3, s2, p1) → Relu → Conv(2→3, k3) →
/// Relu → Flatten → Gemm(60→5) → Relu → MatMul+Add(5→1) → Sigmoid, on 1×12×14.
pub fn deep_layers() -> Vec<Layer> {
    vec![
        Layer::Conv {
            cout: 2,
            k: [3, 3],
            s: [2, 2],
            p: [1, 1, 1, 1],
            relu: true,
        },
        Layer::Conv {
            cout: 3,
            k: [3, 3],
            s: [1, 1],
            p: [0; 4],
            relu: true,
        },
        Layer::Dense {
            out: 5,
            relu: true,
            matmul: false,
        },
        Layer::Dense {
            out: 1,
            relu: false,
            matmul: true,
        },
    ]
}

/// [`deep_layers`] with weights `seed`, calibrated on six inputs.
pub fn deep_fixture(seed: u64) -> Fixture {
    stack_fixture(
        stack_onnx([1, DEEP_H, DEEP_W], &deep_layers(), seed),
        (0..6).map(|i| spectrogram_hw(i, DEEP_H, DEEP_W)).collect(),
    )
}

/// One input for [`deep_fixture`], keyed by the default address.
pub fn deep_input(seed: usize) -> InputData {
    InputData {
        keys: vec![Key::parse_address(input::DEFAULT_KEY).unwrap()],
        xs: vec![spectrogram_hw(seed, DEEP_H, DEEP_W)],
    }
}

/// The mock prover refused the tampered witness, naming the constraint `needle`.
pub fn assert_fails(r: &cryptoidol::prove::MockReport, needle: &str) {
    assert!(!r.satisfied, "tampered witness was accepted");
    assert!(
        r.failures.iter().any(|f| f.contains(needle)),
        "no failure mentions '{needle}': {:#?}",
        &r.failures[..r.failures.len().min(5)]
    );
}

/// The Python the differential tests run (CRYPTOIDOL_PYTHON, else `.venv/bin/python`) if it can
/// import every module of `modules`; otherwise `None` with a note, or a failure when
/// CRYPTOIDOL_REQUIRE_PYTHON=1 (`scripts/test` sets it after installing `.venv`, so CI never
/// skips these checks).
pub fn python_with(modules: &str, what: &str) -> Option<PathBuf> {
    use std::path::Path;
    let python = std::env::var("CRYPTOIDOL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    let required = std::env::var("CRYPTOIDOL_REQUIRE_PYTHON").is_ok_and(|v| v == "1");
    let ok = std::process::Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !required,
            "{} lacks {modules}: run scripts/test (it installs them into .venv)",
            python.display()
        );
        eprintln!(
            "note: skipping {what} ({} cannot import {modules})",
            python.display()
        );
        return None;
    }
    Some(python)
}

/// The ONNX graph's own score (our evaluator) on one `c × h × w` input, key 0.
pub fn graph_score(g: &cryptoidol::onnx::OnnxGraph, input: [usize; 3], x: &[f32]) -> f64 {
    use cryptoidol::onnx::Tensor;
    let [c, h, w] = input;
    let xt = Tensor::new(vec![1, c, h, w], x.iter().map(|&v| v as f64).collect());
    let kt = Tensor::new(vec![1, 1], vec![0.0]);
    let out = g
        .run(&[(onnx::KEY_INPUT, kt), (onnx::X_INPUT, xt)])
        .unwrap();
    out[onnx::SCORE_OUTPUT].data[0]
}

/// A raw little-endian float32 file (the Python reference scripts write them).
pub fn read_f32s(path: &std::path::Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}
