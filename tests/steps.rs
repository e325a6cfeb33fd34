//! The notebook-facing layer: where the data comes from, inline figures and HTML reports.

mod common;

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
    use cryptoidol::circuit::layout_of;
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
        keys: vec![Key::parse_address(cryptoidol::input::DEFAULT_KEY).unwrap()],
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
    assert_eq!(layout_of(&f), Layout::Layered);
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

/// Notebook 4's comparison of the two calibration targets and its sigmoid-table chart.
#[test]
fn calibration_targets_compare_side_by_side_and_the_table_follows_the_sigmoid() {
    let resources = common::fixture(4).model.settings;
    let accuracy = common::fixture_for(4, CalibrationTarget::Accuracy)
        .model
        .settings;
    let cmp = cryptoidol::settings::compare([("resources", &resources), ("accuracy", &accuracy)]);
    let rows = cmp.rows();
    assert_eq!(rows.len(), 6);
    assert!(!cmp.layouts_differ());
    assert_eq!(
        rows[0].1[1],
        format!(
            "step 2^-{} over ±{} ({} entries)",
            accuracy.scales.sigmoid_grid,
            1u64 << accuracy.scales.sigmoid_range_log2,
            accuracy.scales.sigmoid_entries()
        )
    );
    // The accuracy target's grid is at least as fine, and its measured error no larger.
    assert!(accuracy.scales.sigmoid_grid >= resources.scales.sigmoid_grid);
    let err = |s: &Settings| s.calibration.as_ref().unwrap().max_error;
    assert!(err(&accuracy) <= err(&resources) + 1e-12);
    assert_eq!(
        cmp.sizes_differ(),
        accuracy.run_args.logrows != resources.run_args.logrows
    );
    let html = cmp.to_html();
    assert!(
        html.contains("resources") && html.contains("accuracy") && html.contains("power of two")
    );

    // The chart's table steps are the circuit's entries, each within the grid's error of the
    // float sigmoid across its cell.
    let s = &resources.scales;
    let fig = plot::sigmoid_table(s);
    let cryptoidol::plot::Chart::Lines { series, .. } = &fig.chart else {
        panic!("a line chart")
    };
    let table = &series[1].1;
    let (lo, hi) = s.sigmoid_index_range();
    assert_eq!(table.len(), 2 * (hi - lo) as usize);
    let g = 2f64.powi(s.sigmoid_grid as i32);
    for pair in table.chunks(2) {
        let (x, y) = pair[0];
        let mid = x + 0.5 / g;
        let float = 1.0 / (1.0 + (-mid).exp());
        assert!(
            (y - float).abs() <= s.grid_error(),
            "x {x}: table {y} vs σ {float}"
        );
    }
    assert!(fig.svg().contains("sigmoid lookup table"));
}

/// Notebook 6 shows the rewards contract's credits as the scores they are.
#[test]
fn credits_read_as_scores() {
    use cryptoidol::encoding::Address;
    use ethers_core::types::U256;
    let accepted = steps::Attempt {
        accepted: true,
        gas_used: 1,
        reason: None,
    };
    let refused = |reason: &str| steps::Attempt {
        accepted: false,
        gas_used: 0,
        reason: Some(reason.into()),
    };
    let report = steps::MevReport {
        registry: Address([4; 20]),
        rewards: Address([0; 20]),
        input_digest: cryptoidol::binding::InputDigest([5; 32]),
        key: Address([1; 20]),
        bot: Address([2; 20]),
        score: U256::from(23_199u64),
        stolen_key: refused("the key is not the one registered for this recording"),
        replay: accepted.clone(),
        key_credit: U256::from(23_199u64),
        bot_credit: U256::zero(),
        resubmission: refused("this recording was already paid"),
        reproof_bytes_differ: true,
        reproof_valid: true,
        reproof: refused("this recording was already paid"),
        key_credit_after: U256::from(23_199u64),
        naive_rewards: Address([3; 20]),
        naive_replay: accepted,
        naive_bot_credit: U256::from(23_199u64),
        naive_key_credit: U256::zero(),
        score_bits: 16,
    };
    assert_eq!(
        report.as_score(report.key_credit),
        "score 0.3540 (23199 at scale 2^16)"
    );
    assert!(report.key_is_paid() && report.paid_once() && report.naive_pays_the_bot());
    let html = report.to_html();
    assert!(html.contains("score 0.3540") && html.contains("score 0.0000 (0 at scale 2^16)"));
    assert!(
        html.contains("refused: &quot;this recording was already paid&quot;"),
        "{html}"
    );
}

/// Notebook 6 shows `NaiveRewards.submit` beside `JudgeRewards.submit`, cut from the contracts'
/// own sources.
#[test]
fn the_submit_function_is_cut_from_the_contract_source() {
    let both = cryptoidol::evm::submit_functions();
    assert!(
        both.left.text.contains("credit[msg.sender] = score;"),
        "{}",
        both.left.text
    );
    let code = both.right;
    let lines: Vec<&str> = code.text.lines().collect();
    assert!(
        lines[0].starts_with("/// Verify the proof"),
        "{}",
        code.text
    );
    assert!(code.text.contains("function submit(bytes calldata proof"));
    assert!(code.text.contains("credit[key] += score;"));
    assert!(code
        .text
        .contains("require(!paid[d], \"this recording was already paid\");"));
    assert_eq!(lines.last(), Some(&"}"), "{}", code.text);
    assert_eq!(
        code.text.matches('{').count(),
        code.text.matches('}').count()
    );
    assert!(cryptoidol::evm::solidity_function(cryptoidol::evm::REWARDS_SOL, "nothing").is_none());
    assert!(code.to_html().contains("&quot;") || code.to_html().contains("<pre><code>"));
}
