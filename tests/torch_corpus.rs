//! Differential test against PyTorch's own exporters (issues 15 and 28): a corpus of judge-family
//! models exported by torch from PyPI (legacy TorchScript at opsets 10 and 17 and dynamo at its
//! default opset, with external data), scored by onnxruntime.
//!
//! For every model inside the family: our ONNX evaluator and the network reader's float reference
//! equal onnxruntime to 1e-5, and the proven score — a real proof, verified — is within 0.002 of
//! onnxruntime's. Every model outside the family is refused by `gen-settings` naming its operator.
//!
//! The exports and onnxruntime's scores are committed in `tests/fixtures/torch/corpus/` (about
//! 250 KB), written by `tests/fixtures/torch/export_corpus.py` beside them, so this test needs
//! neither torch nor onnxruntime. The inputs are rebuilt from the script's recipe and checked
//! against the digest it recorded. Set CRYPTOIDOL_CORPUS_REPORT=path to also write the table as
//! Markdown.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use cryptoidol::input::{self, InputData, Key};
use cryptoidol::network::Network;
use cryptoidol::onnx::{OnnxGraph, Tensor};
use cryptoidol::prove::{self, Model};
use cryptoidol::settings::{self, CalibrationTarget};
use cryptoidol::srs::{self, Srs};
use serde::Deserialize;

#[derive(Deserialize)]
struct Manifest {
    torch: String,
    onnxruntime: String,
    models: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    exporter: String,
    opset: Option<i64>,
    file: String,
    external_data: bool,
    accept: bool,
    refused_op: Option<String>,
    input: [usize; 3],
    inputs: Recipe,
    inputs_sha256: String,
    key: f64,
    ort_scores: Vec<f64>,
    ort_keys: Vec<f64>,
}

/// How export_corpus.py made a model's inputs (its `spectrograms(c, h, w, n, seed)`).
#[derive(Deserialize)]
struct Recipe {
    recipe: String,
    n: usize,
    seed: i64,
}

fn corpus_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch/corpus")
}

fn manifest() -> Manifest {
    let path = corpus_dir().join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// export_corpus.py's `spectrograms`, operation for operation: integer ridges and bands plus
/// hashed noise, each float64 step rounded as numpy rounds it, then cast to float32.
fn recipe_inputs(input: [usize; 3], r: &Recipe) -> Vec<Vec<f32>> {
    assert_eq!(r.recipe, "spectrograms", "unknown input recipe");
    let [c, h, w] = input;
    (0..r.n as i64)
        .map(|s| {
            let mut x = Vec::with_capacity(c * h * w);
            for ch in 0..c as i64 {
                for i in 0..h as i64 {
                    for j in 0..w as i64 {
                        let ridge = ((i * (7 + s) + j * 3 + 11 * s + 5 * ch) % 64 - 32).abs();
                        let band = (i % 24 - 12).abs();
                        let bits = (i * 73856093)
                            ^ (j * 19349663)
                            ^ ((r.seed * 131 + s * 31 + ch) * 83492791);
                        let noise = ((bits & 0xFFFF) as f64 / 65536.0 - 0.5) * 6.0;
                        let v = -30.0 + 1.5 * ridge as f64 + 1.0 * band as f64 + noise;
                        x.push(v.clamp(-80.0, 0.0) as f32);
                    }
                }
            }
            x
        })
        .collect()
}

fn sha256_f32(xs: &[Vec<f32>]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for x in xs {
        for v in x {
            h.update(v.to_le_bytes());
        }
    }
    cryptoidol::encoding::hex(h.finalize())
}

#[test]
fn the_recipe_rebuilds_the_exported_inputs_bit_for_bit() {
    let manifest = manifest();
    for e in &manifest.models {
        let xs = recipe_inputs(e.input, &e.inputs);
        assert_eq!(xs.len(), e.ort_scores.len(), "{}", e.file);
        assert_eq!(
            sha256_f32(&xs),
            e.inputs_sha256,
            "{}: the rebuilt inputs differ from the ones onnxruntime scored",
            e.file
        );
    }
}

/// Our ONNX evaluator's (key, score) on one input.
fn evaluate(g: &OnnxGraph, e: &Entry, x: &[f32]) -> (f64, f64) {
    let [c, h, w] = e.input;
    let xt = Tensor::new(vec![1, c, h, w], x.iter().map(|&v| v as f64).collect());
    let kt = Tensor::new(vec![1, 1], vec![e.key]);
    let out = g
        .run(&[(&g.inputs[0].0, kt), (&g.inputs[1].0, xt)])
        .unwrap();
    (out[&g.outputs[0]].data[0], out[&g.outputs[1]].data[0])
}

struct Row {
    model: String,
    layout: String,
    rows: String,
    prove_s: String,
    error: String,
}

#[test]
fn every_pytorch_export_proves_its_own_function_or_is_refused() {
    let manifest = manifest();
    let dir = tempfile::tempdir().unwrap();
    assert!(
        manifest.models.len() >= 20,
        "a corpus of {}",
        manifest.models.len()
    );
    assert!(
        manifest.models.iter().any(|e| e.external_data && e.accept),
        "no dynamo export stored its weights as external data"
    );
    let mut srs_by_k: HashMap<u32, Srs> = HashMap::new();
    let mut rows = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    for e in &manifest.models {
        let opset = e.opset.map_or("?".to_string(), |o| o.to_string());
        let id = format!("{} ({}, opset {opset})", e.name, e.exporter);
        let path = corpus_dir().join(&e.file);
        let inputs = recipe_inputs(e.input, &e.inputs);
        if !e.accept {
            let err = settings::gen_settings(&path).unwrap_err().to_string();
            let op = e.refused_op.as_deref().unwrap();
            assert!(
                err.contains(op),
                "{id}: the refusal does not name {op}: {err}"
            );
            assert!(
                err.contains("node '"),
                "{id}: the refusal does not name the node: {err}"
            );
            rows.push(Row {
                model: id,
                layout: "refused".into(),
                rows: "".into(),
                prove_s: "".into(),
                error: format!("refused: {op}"),
            });
            refused += 1;
            continue;
        }
        // The float reference: our evaluator and the network reader against onnxruntime.
        let (s, graph) =
            settings::gen_settings(&path).unwrap_or_else(|err| panic!("{id}: refused: {err}"));
        let net = Network::from_graph(&graph).unwrap();
        for (i, x) in inputs.iter().enumerate() {
            let (key, score) = evaluate(&graph, e, x);
            assert!(
                (key - e.ort_keys[i]).abs() < 1e-6,
                "{id}: key {key} vs {}",
                e.ort_keys[i]
            );
            let ort = e.ort_scores[i];
            assert!(
                (score - ort).abs() < 1e-5,
                "{id} input {i}: evaluator {score} vs onnxruntime {ort}"
            );
            let reference = net.score(x);
            assert!(
                (reference - ort).abs() < 1e-5,
                "{id} input {i}: network reference {reference} vs onnxruntime {ort}"
            );
        }
        // Calibrate on the corpus inputs, then prove: within 0.002 of onnxruntime.
        let cal = InputData {
            keys: vec![Key::Number(0.0); inputs.len()],
            xs: inputs.clone(),
        };
        let (s, _) = settings::calibrate_settings(
            &cal,
            &graph,
            &s,
            CalibrationTarget::Resources { max_error: 0.002 },
        )
        .unwrap_or_else(|err| panic!("{id}: calibration: {err}"));
        let model = Model::new(s, graph).unwrap();
        let mut max_err = 0.0f64;
        for (i, x) in inputs.iter().enumerate() {
            let input = InputData {
                keys: vec![Key::parse_address(input::DEFAULT_KEY).unwrap()],
                xs: vec![x.clone()],
            };
            let (w, _) = prove::gen_witness(&model, &input).unwrap();
            let err = (w.score - e.ort_scores[i]).abs();
            assert!(
                err <= 0.002,
                "{id} input {i}: proven {} vs onnxruntime {}",
                w.score,
                e.ort_scores[i]
            );
            max_err = max_err.max(err);
        }
        // A real proof of the first input, verified.
        let k = model.k();
        let srs = srs_by_k
            .entry(k)
            .or_insert_with(|| srs::gen_srs(k, dir.path().join(srs::srs_file_name(k))).unwrap());
        let keys = prove::setup(&model, srs).unwrap();
        let input = InputData {
            keys: vec![Key::parse_address(input::DEFAULT_KEY).unwrap()],
            xs: vec![inputs[0].clone()],
        };
        let (w, _) = prove::gen_witness(&model, &input).unwrap();
        let t0 = Instant::now();
        let proof = prove::prove(&model, &w, &keys.pk, srs).unwrap();
        let seconds = t0.elapsed().as_secs_f64();
        let verdict = prove::verify(&proof, keys.pk.get_vk(), srs).unwrap();
        assert!(verdict.valid, "{id}: the proof does not verify");
        rows.push(Row {
            model: id,
            layout: model.layout().to_string(),
            rows: format!("2^{k} ({})", model.settings.num_rows),
            prove_s: format!("{seconds:.2}"),
            error: format!("{max_err:.5}"),
        });
        accepted += 1;
    }
    let mut table = format!(
        "PyTorch {} corpus (onnxruntime {}): {accepted} models proven, {refused} refused\n\n| model (exporter, opset) | layout | rows | prove s | max \\|score − onnxruntime\\| |\n|---|---|---:|---:|---:|\n",
        manifest.torch, manifest.onnxruntime
    );
    for r in &rows {
        table += &format!(
            "| {} | {} | {} | {} | {} |\n",
            r.model, r.layout, r.rows, r.prove_s, r.error
        );
    }
    println!("{table}");
    if let Ok(out) = std::env::var("CRYPTOIDOL_CORPUS_REPORT") {
        std::fs::write(out, &table).unwrap();
    }
    // The tutorial's own shape takes the fast path; the models the issue found proven as the
    // tutorial's function do not.
    let layout = |name: &str| {
        rows.iter()
            .filter(|r| r.model.starts_with(&format!("{name} (")))
            .map(|r| r.layout.as_str())
            .collect::<Vec<_>>()
    };
    assert!(
        layout("tutorial").iter().all(|&l| l == "windowed"),
        "{table}"
    );
    for name in ["no-relu", "relu-after-linear"] {
        assert!(
            layout(name).iter().all(|&l| l == "layered"),
            "{name}: {table}"
        );
    }
}
