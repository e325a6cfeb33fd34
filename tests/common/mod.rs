//! Shared fixtures for the proving tests: a judge, its ONNX, settings and inputs in a temp dir.
#![allow(dead_code)]

use std::path::PathBuf;

use cryptoidol::model::JudgeWeights;
use cryptoidol::onnx::{self, InputData, Key};
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
    let dir = tempfile::tempdir().unwrap();
    let onnx_path = dir.path().join("network.onnx");
    onnx::export(&weights(seed), &onnx_path).unwrap();
    model_from(dir, onnx_path)
}

pub fn model_from(dir: tempfile::TempDir, onnx_path: PathBuf) -> Fixture {
    let (s, graph) = settings::gen_settings(&onnx_path).unwrap();
    let cal = InputData {
        keys: vec![Key::Number(0.0); 4],
        xs: (0..4).map(spectrogram).collect(),
    };
    let (s, _) = settings::calibrate_settings(
        &cal,
        &graph,
        &s,
        CalibrationTarget::Resources { max_error: 0.002 },
    )
    .unwrap();
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
        keys: vec![Key::parse_address(onnx::DEFAULT_KEY).unwrap()],
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
