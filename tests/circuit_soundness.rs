//! Soundness: every gate, lookup and copy of the judge circuit rejects a tampered witness, and
//! the failure names the constraint (issue 7, "Soundness"). MockProver is exact, so these are
//! statements about the constraint system itself; tests/prove.rs checks real proofs.

mod common;

use common::assert_fails;

use cryptoidol::circuit::forge::Tamper;
use cryptoidol::circuit::{fe, ModelCircuit, ModelShape};
use cryptoidol::prove::{self, gen_witness, mock_circuit, MockReport};
use halo2_proofs::halo2curves::bn256::Fr;

struct Case {
    fx: common::Fixture,
    w: prove::Witness,
    /// A window whose conv output is positive, and one where it is negative.
    pos: usize,
    neg: usize,
}

fn case() -> Case {
    let fx = common::fixture(21);
    let (w, _) = gen_witness(&fx.model, &common::address_input(1)).unwrap();
    let q = cryptoidol::circuit::windowed::Parts::of(&fx.model.quantized)
        .expect("the tutorial's judge is windowed");
    let t = fx.model.quantized.forward_q(w.inputs.clone(), 0).unwrap();
    let pos = t.pre[0]
        .iter()
        .position(|&c| c > 0)
        .expect("a positive conv output");
    let neg = t.pre[0]
        .iter()
        .position(|&c| c < 0)
        .expect("a negative conv output");
    // The window gate is scaled by the window's linear weight: these windows must have one.
    for n in [pos, neg] {
        assert_ne!(q.lin_w[n], 0, "window {n} has a zero weight");
    }
    Case { fx, w, pos, neg }
}

fn run(c: &Case, tamper: Tamper) -> MockReport {
    let circuit = prove::tampered(&c.fx.model, &c.w, tamper).unwrap();
    let inst = circuit.instances();
    mock_circuit(&circuit, c.fx.model.k(), inst).unwrap()
}

fn run_with(c: &Case, circuit: &ModelCircuit, inst: Vec<Fr>) -> MockReport {
    mock_circuit(circuit, c.fx.model.k(), inst).unwrap()
}

#[test]
fn soundness_suite() {
    let c = case();
    // The honest witness satisfies everything.
    let honest = run(&c, Tamper::None);
    assert!(honest.satisfied, "{honest}");

    // Conv gate: an input cell changed under a window.
    let ModelShape::Windowed(shape) = c.fx.model.shape() else {
        panic!("the tutorial's judge is windowed")
    };
    let row = shape.base(c.pos);
    assert_fails(
        &run(&c, Tamper::Input { row, delta: 7 }),
        "conv: v·(Σw·x + b − (1 − 2s)·|c|) = 0",
    );
    // Wrong ReLU: flip the sign bit of a positive and of a negative output.
    assert_fails(
        &run(&c, Tamper::Sign { window: c.pos }),
        "conv: v·(Σw·x + b − (1 − 2s)·|c|) = 0",
    );
    assert_fails(
        &run(&c, Tamper::Sign { window: c.neg }),
        "conv: v·(Σw·x + b − (1 − 2s)·|c|) = 0",
    );
    // A sign "bit" of 2.
    assert_fails(
        &run(&c, Tamper::SignNotBit { window: c.neg }),
        "sign: v·s·(1 − s) = 0",
    );
    // A magnitude limb changed.
    assert_fails(
        &run(
            &c,
            Tamper::Limb {
                window: c.pos,
                limb: 0,
                delta: 1,
            },
        ),
        "conv: v·(Σw·x + b − (1 − 2s)·|c|) = 0",
    );
    // Same |c|, but a limb outside 12 bits: only the range lookup can catch it.
    let r = run(
        &c,
        Tamper::LimbOutOfRange {
            window: c.pos,
            value: 4096 + 5,
        },
    );
    assert_fails(&r, "[range lookup]");
    assert!(
        r.failures.iter().all(|f| !f.contains("conv:")),
        "the conv equation still holds: {:?}",
        &r.failures[..1]
    );
    // Wrong ReLU output carried into the linear layer.
    assert_fails(
        &run(
            &c,
            Tamper::Acc {
                window: c.pos,
                delta: 1,
            },
        ),
        "relu+linear: acc − acc_below − v·(1 − s)·|c| = 0",
    );
    // A chain cell between two rows of windows (it only carries the sum along).
    let gap = shape.window_row(shape.out_w - 1) + 5;
    assert!(gap < shape.window_row(shape.out_w));
    assert_fails(
        &run(&c, Tamper::ChainRow { row: gap, delta: 1 }),
        "relu+linear: acc − acc_below − v·(1 − s)·|c| = 0",
    );
    // The chain's top, above the first window: only the pass-through step at o − 2 reads it
    // besides the logit.
    let top = shape.input_row() - 1;
    let r = run(&c, Tamper::ChainRow { row: top, delta: 1 });
    assert_fails(&r, "relu+linear: acc − acc_below − v·(1 − s)·|c| = 0");
    assert_fails(&r, "logit: acc + d − idx·2^R − rem = 0");
    // The chain's zero end: shifting every accumulator cell keeps each step valid and would
    // add an offset to the logit; the end gate catches it.
    assert_fails(
        &run(&c, Tamper::AccEnd { delta: 3 }),
        "0 below the last window",
    );
    // Sigmoid split: a remainder limb, and an index moved with a compensating remainder.
    assert_fails(
        &run(&c, Tamper::Remainder { limb: 1, delta: 1 }),
        "logit: acc + d − idx·2^R − rem = 0",
    );
    // The same remainder with a limb outside 12 bits: only the range lookup can catch it.
    let r = run(&c, Tamper::RemainderCarry { limb: 0 });
    assert_fails(&r, "[range lookup]");
    assert!(
        r.failures.iter().all(|f| !f.contains("logit:")),
        "the split still holds: {:?}",
        &r.failures[..1]
    );
    let r = run(&c, Tamper::Index { delta: 1 });
    assert_fails(&r, "range / sigmoid");
    // A score that is not the table's entry for the index, with a matching public instance:
    // only the sigmoid lookup catches it.
    let circuit = prove::tampered(&c.fx.model, &c.w, Tamper::Score { delta: 1 }).unwrap();
    let inst = vec![c.w.key_field, fe((c.w.score_q + 1) as i128)];
    let r = run_with(&c, &circuit, inst);
    assert_fails(&r, "[sigmoid lookup]");
    assert!(
        r.failures.iter().all(|f| !f.contains("[range lookup]")),
        "a sigmoid failure reported as a range one"
    );
    assert!(
        r.failures.iter().all(|f| !f.contains("public:")),
        "instances match the tampered cells"
    );
}

#[test]
fn changed_public_instances_break_the_public_gate() {
    let c = case();
    let circuit = prove::circuit(&c.fx.model, &c.w).unwrap();
    let key = c.w.key_field;
    let score = fe(c.w.score_q as i128);
    for inst in [
        vec![key + Fr::one(), score],
        vec![key, score + Fr::one()],
        vec![Fr::from(7), score],
    ] {
        assert_fails(&run_with(&c, &circuit, inst), "public: state = instance");
    }
}

#[test]
fn padded_convolutions_force_padding_cells_to_zero() {
    // A workshop variant: pads = 1 on every side, so the conv is 32 × 32 and the linear layer
    // takes 1024 inputs.
    let fx = common::padded_fixture(5);
    assert_eq!(
        cryptoidol::circuit::windowed::Parts::of(&fx.model.quantized)
            .unwrap()
            .geometry
            .outputs(),
        1024
    );
    let (w, _) = gen_witness(&fx.model, &common::address_input(2)).unwrap();
    let honest = prove::mock(&fx.model, &w).unwrap();
    assert!(honest.satisfied, "{honest}");
    assert!(
        (w.score - w.float_score).abs() < 0.002,
        "{} vs {}",
        w.score,
        w.float_score
    );
    // Padding cells in both input columns: row 0 (even rows, column A) and the left pad of row 1
    // (odd rows, column C).
    let ModelShape::Windowed(shape) = fx.model.shape() else {
        panic!("a padded 1→1 conv is windowed")
    };
    for (cell, constraint) in [(0, "pad: x = 0"), (shape.width, "pad: x = 0 (odd rows)")] {
        assert!(shape.padding_cells().contains(&cell));
        let circuit = prove::tampered(&fx.model, &w, Tamper::Padding { cell, delta: 9 }).unwrap();
        let inst = circuit.instances();
        let r = mock_circuit(&circuit, fx.model.k(), inst).unwrap();
        assert_fails(&r, constraint);
        if cell == 0 {
            assert!(
                r.failures.iter().all(|f| !f.contains("(odd rows)")),
                "{:?}",
                r.failures
            );
        }
    }
}

#[test]
fn conv_strides_the_windowed_layout_cannot_hold_get_the_layered_circuit() {
    use cryptoidol::onnx::proto::ModelProto;
    use prost::Message;
    let mut model =
        ModelProto::decode(cryptoidol::onnx::export_bytes(&common::weights(1)).as_slice()).unwrap();
    let g = model.graph.as_mut().unwrap();
    let conv = g.node.iter_mut().find(|n| n.op_type == "Conv").unwrap();
    conv.attribute
        .iter_mut()
        .find(|a| a.name == "strides")
        .unwrap()
        .ints = vec![4, 3];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stride3.onnx");
    std::fs::write(&path, model.encode_to_vec()).unwrap();
    // An odd frame stride puts windows on rows of both parities: the model gets the layered
    // circuit instead (its linear layer is now too short for the wider conv output, so the
    // layered reader names the mismatch).
    let e = cryptoidol::settings::gen_settings(&path).unwrap_err();
    assert!(
        e.to_string().contains("stride3.onnx") && e.to_string().contains("takes 992 values"),
        "{e}"
    );
}

#[test]
fn a_coarse_sigmoid_grid_with_four_remainder_limbs_proves_honestly() {
    // A loose error bound lets calibration pick a coarse sigmoid grid: the remainder then takes
    // four limbs, which moves the first input row (it stays even, so the final gate's free cell
    // below the chain misses every window cell).
    let fx = common::fixture_for(
        21,
        cryptoidol::settings::CalibrationTarget::Resources { max_error: 0.2 },
    );
    let model = &fx.model;
    assert_eq!(
        model.settings.scales.remainder_limbs(),
        4,
        "{}",
        model.settings.scales
    );
    for seed in 0..3 {
        let (w, _) = gen_witness(model, &common::address_input(seed)).unwrap();
        let r = prove::mock(model, &w).unwrap();
        assert!(r.satisfied, "{r}");
    }
}

/// Notebook 5's cheating prover: one ReLU decision flipped is refused by the mock prover, with
/// a report naming the constraint, on the windowed and on the layered circuit.
#[test]
fn a_flipped_relu_is_refused_with_a_readable_report() {
    for (fx, input) in [
        (common::fixture(21), common::address_input(1)),
        (common::deep_fixture(3), common::deep_input(2)),
    ] {
        let (w, _) = gen_witness(&fx.model, &input).unwrap();
        assert!(prove::mock(&fx.model, &w).unwrap().satisfied);
        let report = prove::mock_one_relu_flipped(&fx.model, &w).unwrap();
        assert!(!report.satisfied, "{:?}: {report}", fx.model.layout());
        let text = report.to_string();
        assert!(text.contains("constraint failures"), "{text}");
        assert!(
            !report.failures.is_empty() && report.failures[0].len() > 10,
            "{text}"
        );
        eprintln!("{:?}: {}", fx.model.layout(), report.failures[0]);
    }
}

/// Notebook 4's witness table is the table halo2 holds: every cell of the slice equals what the
/// mock prover was assigned, the roles name the right cells, and a tampered circuit shows its
/// tampered cell.
#[test]
fn the_witness_table_slice_is_what_the_prover_assigns() {
    use cryptoidol::circuit::JudgeCircuit;
    use halo2_proofs::dev::{AdviceCellValue, CellValue, MockProver, VerifyFailure};
    use halo2_proofs::plonk::{Circuit, ConstraintSystem};

    let c = case();
    let ModelCircuit::Windowed(circuit) = prove::circuit(&c.fx.model, &c.w).unwrap() else {
        panic!("the tutorial's judge is windowed")
    };
    let shape = circuit.shape.clone();
    let o = shape.input_row();
    let sign_row = o + shape.cell(shape.conv_limbs);
    let rows = 0..shape.window_row(1) + shape.cell(shape.conv_limbs) + 1;
    let slice = circuit.slice(rows.clone()).unwrap();
    assert_eq!(slice.rows.len(), rows.len());

    let prover = MockProver::run(c.fx.model.k(), &circuit, vec![circuit.instances()]).unwrap();
    let mut cs = ConstraintSystem::<Fr>::default();
    let cfg = JudgeCircuit::configure_with_params(&mut cs, shape.clone());
    let advice = |col, r: usize| match &prover.advice_values(col)[r] {
        AdviceCellValue::Assigned(a) => a.evaluate(),
        other => panic!("advice row {r}: {other:?}"),
    };
    let fixed = |r: usize| match prover.fixed_values(cfg.lin_w)[r] {
        CellValue::Assigned(v) => v,
        _ => Fr::zero(),
    };
    for row in &slice.rows {
        let r = row.row;
        assert_eq!(row.a, advice(cfg.a, r), "A{r}");
        assert_eq!(row.b, advice(cfg.b, r), "B{r}");
        assert_eq!(row.c, advice(cfg.c, r), "C{r}");
        assert_eq!(fe(row.v as i128), fixed(r), "V{r}");
    }

    let t =
        c.fx.model
            .quantized
            .forward_q(c.w.inputs.clone(), 0)
            .unwrap();
    let at = |r: usize| &slice.rows[r];
    assert_eq!(at(0).b, circuit.instances()[0]);
    assert!(at(0).holds[1].starts_with("key"), "{:?}", at(0).holds);
    assert_eq!(at(1).b, fe(c.w.score_q as i128));
    assert!(at(1).checks.iter().any(|k| k.starts_with("sigmoid lookup")));
    assert_eq!(at(o).holds[0], "input x[0, 0]");
    assert_eq!(at(o).a, fe(shape.used_cells(&t.x)[0] as i128));
    assert_eq!(at(o).holds[2], "input x[1, 0]");
    assert!(at(o).checks.iter().any(|k| k.starts_with("window gate 0")));
    assert!(at(o).holds[1].starts_with("window 0: limb 0"));
    assert!(at(sign_row).holds[1].starts_with("window 0: sign bit"));
    let negative = t.pre[0][0] < 0;
    assert_eq!(at(sign_row).b, fe(negative as i128));
    assert!(at(o - 1).holds[1].starts_with("chain top"));

    // A flipped ReLU shows up in the slice, where the mock prover refuses it.
    let ModelCircuit::Windowed(flipped) =
        prove::tampered(&c.fx.model, &c.w, Tamper::Sign { window: 0 }).unwrap()
    else {
        unreachable!()
    };
    let tampered = flipped.slice(rows).unwrap();
    assert_eq!(tampered.rows[sign_row].b, fe(!negative as i128));
    assert_eq!(tampered.rows[o].a, at(o).a);

    // The labels name the constraints that really read each row: for tampered witnesses, every
    // failure the mock prover reports is on a row whose slice lists that gate or lookup.
    let window_limb = |k: usize| shape.window_row(0) + shape.cell(k);
    for tamper in [
        Tamper::Sign { window: 0 },
        Tamper::Limb {
            window: 0,
            limb: 1,
            delta: 1,
        },
        Tamper::LimbOutOfRange {
            window: 0,
            value: 5000,
        },
        Tamper::Remainder { limb: 0, delta: 1 },
        Tamper::ChainRow {
            row: o + 1,
            delta: 1,
        },
        Tamper::Score { delta: 1 },
    ] {
        let ModelCircuit::Windowed(bad) = prove::tampered(&c.fx.model, &c.w, tamper).unwrap()
        else {
            unreachable!()
        };
        let prover = MockProver::run(c.fx.model.k(), &bad, vec![circuit.instances()]).unwrap();
        // Row by row (a failure's region offset is not its row), over the rows of the sites.
        let mut found = 0;
        for row in 0..window_limb(shape.conv_limbs) + 2 {
            let Err(failures) = prover.verify_at_rows(std::iter::once(row), std::iter::once(row))
            else {
                continue;
            };
            let labels = bad.slice(row..row + 1).unwrap().rows[0].checks.join("; ");
            for f in &failures {
                let text = f.to_string();
                let family = if matches!(f, VerifyFailure::Lookup { .. }) {
                    "lookup"
                } else {
                    ["window", "chain", "final"]
                        .into_iter()
                        .find(|g| text.contains(&format!("('{g}')")))
                        .map(|g| match g {
                            "window" => "window gate",
                            "chain" => "chain gate",
                            _ => "final gate",
                        })
                        .unwrap_or_else(|| panic!("{tamper:?}: an unexpected gate: {text}"))
                };
                assert!(
                    labels.contains(family),
                    "{tamper:?}: {text} on row {row}, whose slice says: {labels:?}"
                );
                found += 1;
            }
        }
        assert!(found > 0, "{tamper:?}: no failure near its site");
    }

    let html = slice.to_html();
    assert!(
        html.contains("window 0: sign bit") && html.contains("range lookup"),
        "{html}"
    );
    let past = circuit.slice(0..shape.witness_rows() + 1).unwrap_err();
    assert!(past.0.contains("witness"), "{past}");
}
