//! The notebook-facing layer: where the data comes from, inline figures and HTML reports.

use cryptoidol::prelude::*;

#[test]
fn voice_data_uses_the_folder_given_or_generates_the_synthetic_default_once() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(dir.path().join("ws")).unwrap();

    // A VOICE_DATA_DIR that does not exist: an error naming it and the fix.
    let missing = dir.path().join("nowhere");
    let err = steps::voice_data_from(&ws, Some(missing.clone()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("nowhere") && err.contains("voice_data.sh"),
        "{err}"
    );

    // No folder: the synthetic corpus is written, and said so plainly.
    let first = steps::voice_data_from(&ws, None).unwrap();
    assert!(first.synthetic);
    assert!(first.generated.unwrap() > 100);
    assert!(first.to_string().contains("SYNTHETIC"), "{first}");
    let found = scan(&first.root).unwrap();
    assert_eq!(found.clips.len(), first.generated.unwrap());

    // Second time: reused, not regenerated.
    let again = steps::voice_data_from(&ws, None).unwrap();
    assert_eq!(again.generated, None);
    assert_eq!(again.root, first.root);

    // A real folder (here: the generated one) is used as given, not called synthetic.
    let given = steps::voice_data_from(&ws, Some(ws.dir.clone())).unwrap();
    assert!(!given.synthetic);
    assert_eq!(
        given.root, first.root,
        "DIR/data is resolved as voice_data.sh leaves it"
    );

    // The scan report renders as a table with one row per corpus and the right total.
    let html = found.to_html();
    assert_eq!(html.matches("<tr>").count(), 1 + found.counts().len());
    assert!(html.contains(&format!("{} clips", found.clips.len())));
}

#[test]
fn figures_render_as_png_and_svg() {
    let chart = plot::bars(
        "errors",
        "score error",
        [("a".to_string(), 0.001), ("b".to_string(), 0.002)],
    );
    let png = chart.png().unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert!(png.len() > 1000);
    let svg = chart.svg();
    assert!(svg.starts_with("<svg") && svg.contains("errors"));
    // Reference lines carry their labels, and a line above every bar still fits the axis.
    let marked = plot::bars_with_marks(
        "scores",
        "score",
        [("proven".to_string(), 0.3)],
        [("0.0 sad".to_string(), 0.0), ("1.0 happy".to_string(), 1.0)],
    );
    let svg = marked.svg();
    assert!(
        svg.contains("0.0 sad") && svg.contains("1.0 happy"),
        "{svg}"
    );
    assert_eq!(
        svg.matches("<polyline").count(),
        chart.svg().matches("<polyline").count() + 2
    );
    assert!(marked.png().is_ok());
}

/// `steps::widen`: the trained judge with more channels (and a hidden layer) in a new
/// workspace; with one channel it is the trained judge again, so the weights are carried over.
#[test]
fn widen_writes_a_layered_judge_next_to_the_same_inputs() {
    use cryptoidol::model::{Judge, JudgeWeights, WidenConfig};
    use cryptoidol::network::Network;
    use cryptoidol::quantize::Layout;
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(dir.path().join("ws")).unwrap();
    let judge = Judge::new(3).unwrap();
    judge.save(ws.judge()).unwrap();
    let x: Vec<f32> = (0..128 * 130)
        .map(|i| -40.0 + 30.0 * (i as f32 * 0.013).sin())
        .collect();
    let input = InputData {
        keys: vec![Key::parse_address(cryptoidol::onnx::DEFAULT_KEY).unwrap()],
        xs: vec![x.clone()],
    };
    input.save(ws.input()).unwrap();
    input.save(ws.cal()).unwrap();
    let trained: JudgeWeights = judge.weights().unwrap();

    let same = Workspace::new(dir.path().join("same")).unwrap();
    let one = WidenConfig {
        channels: 1,
        hidden: 0,
    };
    let out = steps::widen(&ws, &same, &one).unwrap();
    assert!(
        (out.widened_score - trained.score_f64(&x)).abs() < 1e-5,
        "{out}"
    );

    let wide = Workspace::new(dir.path().join("wide")).unwrap();
    let out = steps::widen(
        &ws,
        &wide,
        &WidenConfig {
            channels: 3,
            hidden: 4,
        },
    )
    .unwrap();
    assert!(out.to_string().contains("1→3 channels"), "{out}");
    assert_eq!(
        std::fs::read(wide.cal()).unwrap(),
        std::fs::read(ws.cal()).unwrap()
    );
    let graph = OnnxGraph::load(wide.onnx()).unwrap();
    let f = Network::from_graph(&graph).unwrap();
    assert_eq!(
        f.layers
            .iter()
            .map(|l| l.affine.outputs())
            .collect::<Vec<_>>(),
        vec![3 * 992, 4, 1]
    );
    assert_eq!(Layout::of(&f), Layout::Layered);
    assert!(out.to_html().contains("3"));

    // Without a trained judge: the error names the file and the fix.
    let empty = Workspace::new(dir.path().join("empty")).unwrap();
    let e = steps::widen(&empty, &wide, &WidenConfig::two_channels())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("judge.safetensors") && e.contains("idol train"),
        "{e}"
    );
}
