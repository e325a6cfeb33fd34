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
