//! ONNX export and import: our export round-trips, a PyTorch-style export loads and agrees with
//! onnxruntime, onnxruntime agrees with our export, and bad models / input files are refused
//! with the file and the problem named (issue 2).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use cryptoidol::input::{self, InputData, Key};
use cryptoidol::model::{Judge, JudgeWeights};
use cryptoidol::onnx::{self, OnnxError, OnnxGraph};
use prost::Message;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/onnx")
        .join(name)
}

/// x[i, j] = -40 + 30 sin(0.1 i + 0.07 j), as in make_pytorch_style.py.
fn pattern() -> Vec<f32> {
    (0..128)
        .flat_map(|i| {
            (0..130).map(move |j| (-40.0 + 30.0 * (0.1 * i as f64 + 0.07 * j as f64).sin()) as f32)
        })
        .collect()
}

fn spectrograms(n: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|s| {
            (0..16_640)
                .map(|i| -80.0 * (((i * 7919 + s * 104_729) % 1000) as f32 / 1000.0))
                .collect()
        })
        .collect()
}

#[test]
fn export_round_trips_through_import_with_the_tutorial_names() {
    let judge = Judge::new(3).unwrap();
    let w = judge.weights().unwrap();
    let bytes = onnx::export_bytes(&w);
    let g = OnnxGraph::from_bytes(&bytes, "mem.onnx".into()).unwrap();
    assert_eq!(g.opset, 10);
    let inputs: Vec<&str> = g.inputs.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(inputs, ["input", "input.1"]);
    assert_eq!(
        g.inputs[1].1,
        vec![None, Some(1), Some(128), Some(130)],
        "batch axis dynamic"
    );
    assert_eq!(g.outputs, ["output", "score"]);
    for name in ["conv1.weight", "conv1.bias", "d1.weight", "d1.bias"] {
        assert!(g.initializers.contains_key(name), "{name} embedded");
    }
    for x in spectrograms(4) {
        let (key, score) = g.judge(0.25, &x).unwrap();
        assert_eq!(key, 0.25);
        let candle = judge.score(&x).unwrap() as f64;
        let reference = w.score_f64(&x);
        assert!(
            (score - reference).abs() < 1e-9,
            "ONNX {score} vs f64 reference {reference}"
        );
        assert!(
            (score - candle).abs() < 1e-5,
            "ONNX {score} vs candle {candle}"
        );
    }
}

#[test]
fn pytorch_style_export_loads_and_matches_onnxruntime() {
    let g = OnnxGraph::load(fixture("pytorch_style_judge.onnx")).unwrap();
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("pytorch_style_judge.json")).unwrap(),
    )
    .unwrap();
    let (key, score) = g.judge(0.4242, &pattern()).unwrap();
    assert!((key - want["key"].as_f64().unwrap()).abs() < 1e-6);
    let expected = want["score"].as_f64().unwrap();
    assert!(
        (score - expected).abs() < 1e-6,
        "ours {score} vs onnxruntime {expected}"
    );
}

#[test]
fn unsupported_operator_is_refused_by_node_name() {
    let mut model = onnx::proto::ModelProto::decode(
        onnx::export_bytes(&Judge::new(1).unwrap().weights().unwrap()).as_slice(),
    )
    .unwrap();
    let graph = model.graph.as_mut().unwrap();
    graph.node[5].op_type = "Softmax".into();
    graph.node[5].name = "/head/Softmax".into();
    let err = OnnxGraph::from_bytes(&model.encode_to_vec(), "wide.onnx".into()).unwrap_err();
    assert!(matches!(err, OnnxError::Unsupported { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("wide.onnx") && msg.contains("/head/Softmax") && msg.contains("Softmax"),
        "{msg}"
    );
}

#[test]
fn garbage_and_empty_files_are_not_models() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("network.onnx");
    std::fs::write(&p, b"{\"this\": \"is json\"}").unwrap();
    let err = OnnxGraph::load(&p).unwrap_err();
    assert!(
        err.to_string().contains("network.onnx") && err.to_string().contains("not an ONNX model"),
        "{err}"
    );
    std::fs::write(&p, b"").unwrap();
    assert!(OnnxGraph::load(&p)
        .unwrap_err()
        .to_string()
        .contains("no graph"));
    assert!(matches!(
        OnnxGraph::load(dir.path().join("missing.onnx")).unwrap_err(),
        OnnxError::Io { .. }
    ));
}

#[test]
fn input_json_round_trips_addresses_and_ezkl_floats() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("input.json");
    let data = InputData {
        keys: vec![
            Key::parse_address(input::DEFAULT_KEY).unwrap(),
            Key::Number(0.42),
        ],
        xs: spectrograms(2),
    };
    data.save(&p).unwrap();
    let back = InputData::load(&p).unwrap();
    assert_eq!(back, data);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(
        text.contains("\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\""),
        "the address is written with its EIP-55 checksum"
    );
}

fn input_err(text: &str) -> String {
    let e = InputData::parse(text, Path::new("bad/input.json")).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("bad/input.json"), "names the file: {msg}");
    msg
}

#[test]
fn bad_input_json_is_refused_with_the_reason() {
    assert!(input_err("{\"input_data\": [[0.1], [1, 2").contains("malformed JSON"));
    assert!(input_err("{\"input_data\": [[0.1], [NaN]]}").contains("malformed JSON"));
    assert!(input_err("{\"inputs\": []}").contains("no \"input_data\""));
    assert!(input_err("{\"input_data\": [[0.1]]}").contains("takes 2"));
    assert!(input_err("{\"input_data\": [[0.1], [1.0, 2.0, 3.0]]}").contains("wrong shape"));
    assert!(input_err("{\"input_data\": [[\"0x1234\"], []]}").contains("40 hex digits"));
    assert!(input_err("{\"input_data\": [[true], []]}").contains("address string or a number"));
    assert!(input_err("{\"input_data\": [[], []]}").contains("no samples"));
    assert!(input_err("{\"input_data\": [[0.1], [\"x\"]]}").contains("not a number"));
}

/// onnxruntime (PyPI) runs our export and gets our scores. Needs a Python with onnx and
/// onnxruntime: `scripts/test` makes `.venv` and sets CRYPTOIDOL_REQUIRE_PYTHON=1, so in CI
/// this check always runs; elsewhere it is skipped with a note if the venv is absent.
#[test]
fn onnxruntime_agrees_with_our_export() {
    let Some(python) = common::python_with("onnxruntime, onnx", "the onnxruntime check") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let judge = Judge::new(11).unwrap();
    let w: JudgeWeights = judge.weights().unwrap();
    let xs = spectrograms(3);
    let check = |name: &str, scores: Vec<f64>| {
        let model = dir.path().join(name);
        let check = serde_json::json!({"key": 0.5, "xs": xs, "scores": scores});
        std::fs::write(dir.path().join("check.json"), check.to_string()).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check_onnx.py");
        let out = Command::new(&python)
            .arg(script)
            .arg(&model)
            .arg(dir.path().join("check.json"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: onnxruntime disagrees: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(report["opset"], serde_json::json!([10]));
        assert_eq!(report["inputs"], serde_json::json!(["input", "input.1"]));
        assert!(report["max_abs_diff"].as_f64().unwrap() <= 1e-5);
    };
    onnx::export(&w, dir.path().join("network.onnx")).unwrap();
    check(
        "network.onnx",
        xs.iter().map(|x| judge.score(x).unwrap() as f64).collect(),
    );
    // A widened and deepened judge (onnx::export_stack): onnxruntime computes what our
    // evaluator computes.
    let wide = dir.path().join("wide.onnx");
    let layers = w.widened(&cryptoidol::model::WidenConfig {
        channels: 3,
        hidden: 4,
    });
    onnx::export_stack([1, 128, 130], &layers, &wide).unwrap();
    let graph = onnx::OnnxGraph::load(&wide).unwrap();
    check(
        "wide.onnx",
        xs.iter().map(|x| graph.judge(0.5, x).unwrap().1).collect(),
    );
}

/// External data (the dynamo exporter's `<model>.onnx.data`): read from the model's folder by
/// offset and length, covered by the model digest, and refused when it leaves the folder, is
/// missing or is too short (issue 15).
#[test]
fn external_data_loads_beside_the_model_and_nowhere_else() {
    use cryptoidol::onnx::proto::{ModelProto, StringStringEntryProto};
    let dir = tempfile::tempdir().unwrap();
    let w = Judge::new(5).unwrap().weights().unwrap();
    let inline = onnx::export_bytes(&w);
    let inline_path = dir.path().join("inline.onnx");
    std::fs::write(&inline_path, &inline).unwrap();
    // Move d1.weight's bytes into a data file, after 16 bytes of something else.
    let external = |location: &str, offset: u64, length: Option<u64>| {
        let mut m = ModelProto::decode(inline.as_slice()).unwrap();
        let t = m
            .graph
            .as_mut()
            .unwrap()
            .initializer
            .iter_mut()
            .find(|t| t.name == "d1.weight")
            .unwrap();
        let mut data = vec![0xAB; 16];
        data.extend_from_slice(&t.raw_data);
        std::fs::write(dir.path().join("judge.onnx.data"), &data).unwrap();
        t.raw_data.clear();
        t.data_location = 1;
        let entry = |k: &str, v: String| StringStringEntryProto {
            key: k.into(),
            value: v,
        };
        t.external_data = vec![
            entry("location", location.into()),
            entry("offset", offset.to_string()),
        ];
        if let Some(l) = length {
            t.external_data.push(entry("length", l.to_string()));
        }
        let path = dir.path().join("judge.onnx");
        std::fs::write(&path, m.encode_to_vec()).unwrap();
        path
    };
    let len = 992 * 4;
    let path = external("judge.onnx.data", 16, Some(len));
    let g = OnnxGraph::load(&path).unwrap();
    let base = OnnxGraph::load(&inline_path).unwrap();
    assert_eq!(g.initializers["d1.weight"], base.initializers["d1.weight"]);
    let x = pattern();
    assert_eq!(g.judge(0.0, &x).unwrap(), base.judge(0.0, &x).unwrap());
    // The digest covers the data file: change one weight there and the model is another.
    let mut data = std::fs::read(dir.path().join("judge.onnx.data")).unwrap();
    data[20] ^= 0x01;
    std::fs::write(dir.path().join("judge.onnx.data"), &data).unwrap();
    let changed = OnnxGraph::load(&path).unwrap();
    assert_ne!(
        changed.sha256, g.sha256,
        "the digest ignores the external data"
    );
    // Without a length the tensor runs to the end of the file.
    let path = external("judge.onnx.data", 16, None);
    assert_eq!(
        OnnxGraph::load(&path).unwrap().initializers["d1.weight"],
        base.initializers["d1.weight"]
    );
    // Refusals name the tensor and the problem.
    for (location, offset, length, needle) in [
        (
            "../judge.onnx.data",
            16,
            Some(len),
            "outside the model's folder",
        ),
        ("/etc/passwd", 0, Some(8), "outside the model's folder"),
        ("missing.data", 0, Some(len), "missing.data"),
        ("judge.onnx.data", 16, Some(len + 4), "past the file's end"),
        ("judge.onnx.data", u64::MAX, Some(4), "past the file's end"),
    ] {
        let path = external(location, offset, length);
        let e = OnnxGraph::load(&path).unwrap_err().to_string();
        assert!(
            e.contains("d1.weight") && e.contains(needle) && e.contains("judge.onnx"),
            "{location}: {e}"
        );
    }
    // A wrong length gives the wrong number of values: refused, not misread.
    let path = external("judge.onnx.data", 16, Some(len - 4));
    let e = OnnxGraph::load(&path).unwrap_err().to_string();
    assert!(e.contains("991 values"), "{e}");
}
