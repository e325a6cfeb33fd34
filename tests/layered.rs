//! Widened and deepened judges (issue 7, "stacked layers, several channels"): the layered
//! circuit. The ONNX models are built here (tests/common `stack_onnx`) on small inputs so the
//! circuits stay small; the float reference is the ONNX graph itself, run by our evaluator.
//! Soundness: every gate and every kind of lookup entry rejects a tampered witness, by name.

mod common;

use common::{assert_fails, Layer};
use cryptoidol::circuit::forge::{ActivationShift, LayeredTamper};
use cryptoidol::circuit::{fe, ModelShape};
use cryptoidol::network::Network;
use cryptoidol::prove::{self, gen_witness, mock_circuit, MockReport, Witness};
use cryptoidol::quantize::Layout;
use cryptoidol::srs;
use halo2_proofs::halo2curves::bn256::Fr;

use common::{deep_fixture, deep_input as input, DEEP_H as H, DEEP_W as W};

#[test]
fn the_layered_reader_computes_what_the_onnx_graph_computes() {
    let fx = deep_fixture(3);
    assert_eq!(fx.model.layout(), Layout::Layered);
    assert_eq!(fx.model.settings.layout, Layout::Layered);
    let f = Network::from_graph(&fx.model.graph).unwrap();
    assert_eq!(f.layers.len(), 4);
    assert_eq!(
        f.layers
            .iter()
            .map(|l| l.affine.outputs())
            .collect::<Vec<_>>(),
        vec![2 * 6 * 7, 3 * 4 * 5, 5, 1]
    );
    for seed in 0..4 {
        let x = common::spectrogram_hw(seed, H, W);
        let (a, b) = (
            f.score(&x),
            common::graph_score(&fx.model.graph, [1, H, W], &x),
        );
        assert!((a - b).abs() < 1e-9, "input {seed}: {a} vs graph {b}");
        assert!(a > 0.02 && a < 0.98, "score {a} saturates: weak test model");
    }
}

#[test]
fn a_deep_judge_proves_verifies_and_rejects_a_changed_score() {
    let fx = deep_fixture(1);
    let (w, _) = gen_witness(&fx.model, &input(2)).unwrap();
    assert!(
        (w.score - w.float_score).abs() < 0.002,
        "proven {} vs float {}",
        w.score,
        w.float_score
    );
    let mock = prove::mock(&fx.model, &w).unwrap();
    assert!(mock.satisfied, "{mock}");

    let k = fx.model.k();
    let dir = tempfile::tempdir().unwrap();
    let srs = srs::gen_srs(k, dir.path().join("kzg.srs")).unwrap();
    let keys = prove::setup(&fx.model, &srs).unwrap();
    let proof = prove::prove(&fx.model, &w, &keys.pk, &srs).unwrap();
    let vk = keys.pk.get_vk();
    let v = prove::verify(&proof, vk, &srs).unwrap();
    assert!(v.valid, "{v}");
    let forged = proof.claiming_score(proof.score_q + 1);
    assert!(!prove::verify(&forged, vk, &srs).unwrap().valid);

    // Keys round-trip through files (the ModelShape is rebuilt from the model).
    let (pk_path, vk_path) = (dir.path().join("pk.key"), dir.path().join("vk.key"));
    prove::save_pk(&keys.pk, &fx.model, &srs, &pk_path).unwrap();
    prove::save_vk(vk, &fx.model, &srs, &vk_path).unwrap();
    let pk2 = prove::load_pk(&pk_path, &fx.model, &srs).unwrap();
    let vk2 = prove::load_vk(&vk_path, &fx.model, &srs).unwrap();
    let proof2 = prove::prove(&fx.model, &w, &pk2, &srs).unwrap();
    assert!(prove::verify(&proof2, &vk2, &srs).unwrap().valid);

    // Another model's verifying key (same architecture, other weights) rejects the proof.
    let other = deep_fixture(2);
    assert_eq!(other.model.k(), k);
    let other_keys = prove::setup(&other.model, &srs).unwrap();
    assert!(
        !prove::verify(&proof, other_keys.pk.get_vk(), &srs)
            .unwrap()
            .valid
    );
}

struct Case {
    fx: common::Fixture,
    w: Witness,
    /// First-layer neurons with a positive and a negative pre-activation.
    pos: usize,
    neg: usize,
}

fn case() -> Case {
    let fx = deep_fixture(4);
    let (w, _) = gen_witness(&fx.model, &input(1)).unwrap();
    let t = fx.model.quantized.forward_q(w.inputs.clone(), 0).unwrap();
    let pos = t.pre[0].iter().position(|&c| c > 0).expect("a positive c");
    let neg = t.pre[0].iter().position(|&c| c < 0).expect("a negative c");
    // The activation must matter downstream for the Activation tamper to be visible only at
    // its producer: it is read by some second-layer neuron.
    Case { fx, w, pos, neg }
}

fn run(c: &Case, t: LayeredTamper) -> MockReport {
    let circuit = prove::tampered_layered(&c.fx.model, &c.w, t).unwrap();
    let inst = circuit.instances();
    mock_circuit(&circuit, c.fx.model.k(), inst).unwrap()
}

fn assert_only(r: &MockReport, needle: &str) {
    assert_fails(r, needle);
    assert!(
        r.failures.iter().all(|f| f.contains(needle)),
        "other constraints failed too: {:#?}",
        &r.failures[..r.failures.len().min(5)]
    );
}

#[test]
fn layered_soundness_suite() {
    let c = case();
    let honest = run(&c, LayeredTamper::None);
    assert!(honest.satisfied, "{honest}");
    const LOOKUP: &str = "range / sigmoid / activations";
    let (pos, neg) = (c.pos, c.neg);

    // A term reading another value than the one its id was written with (its running sum
    // then fails too, as the sums are computed from the honest values).
    assert_fails(
        &run(
            &c,
            LayeredTamper::Term {
                layer: 1,
                neuron: 0,
                term: 2,
                delta: 5,
            },
        ),
        LOOKUP,
    );
    // A running-sum cell.
    assert_fails(
        &run(
            &c,
            LayeredTamper::Acc {
                layer: 0,
                neuron: pos,
                term: 1,
                delta: 1,
            },
        ),
        "mac: acc − acc_below − w·a = 0",
    );
    // The output neuron's last (bias) row feeds its sum: shift the first term's sum.
    assert_fails(
        &run(
            &c,
            LayeredTamper::Acc {
                layer: 3,
                neuron: 0,
                term: 0,
                delta: 1,
            },
        ),
        "acc",
    );
    // Wrong ReLU: flipped sign bits, a non-bit, a changed limb.
    for n in [pos, neg] {
        assert_fails(
            &run(
                &c,
                LayeredTamper::Sign {
                    layer: 0,
                    neuron: n,
                },
            ),
            "relu: c − (1 − 2s)·|c| = 0",
        );
    }
    assert_fails(
        &run(
            &c,
            LayeredTamper::SignNotBit {
                layer: 0,
                neuron: neg,
            },
        ),
        "relu: s·(1 − s) = 0",
    );
    assert_fails(
        &run(
            &c,
            LayeredTamper::Limb {
                layer: 1,
                neuron: 0,
                limb: 0,
                delta: 1,
            },
        ),
        "relu: c − (1 − 2s)·|c| = 0",
    );
    // Same |c| from a limb outside 12 bits: only the range lookup catches it.
    assert_only(
        &run(
            &c,
            LayeredTamper::LimbOutOfRange {
                layer: 0,
                neuron: pos,
                value: 4096 + 3,
            },
        ),
        "[range lookup]",
    );
    // A wrong activation (a wrong rescale or ReLU output) carried consistently downstream:
    // every lookup and sum holds; only the producing neuron's gate fails.
    let shifted = run(
        &c,
        LayeredTamper::Activation(ActivationShift {
            layer: 0,
            neuron: pos,
            delta: 1,
        }),
    );
    assert_only(&shifted, "relu: a' − (1 − s)·(|c| >> sw) = 0");
    // A forged sigmoid table entry (a witness value on a static row) backing a better score
    // with a matching public instance: only the static gate stands in the way.
    let circuit = prove::tampered_layered(
        &c.fx.model,
        &c.w,
        LayeredTamper::ForgedSigmoidEntry { delta: 1 },
    )
    .unwrap();
    let inst = vec![c.w.key_field, fe((c.w.score_q + 1) as i128)];
    assert_only(
        &mock_circuit(&circuit, c.fx.model.k(), inst).unwrap(),
        "static: D = 0",
    );
    // A neuron's whole running sum shifted, its limbs and sign matching the shifted c (and the
    // activation unchanged, the shift being far below the rescale): every step holds, only the
    // bias row's `mac tail` gate catches it.
    let t =
        c.fx.model
            .quantized
            .forward_q(c.w.inputs.clone(), 0)
            .unwrap();
    let pre = t.pre[0][pos];
    let drop = c.fx.model.quantized.layers[0].shift;
    assert_eq!(
        (pre + 1) >> drop,
        pre >> drop,
        "the shift must leave the activation as it is"
    );
    assert_only(
        &run(
            &c,
            LayeredTamper::SumShift {
                layer: 0,
                neuron: pos,
                delta: 1,
            },
        ),
        "bias: acc − w·1 = 0",
    );
    // The table's constant entry (3, ONE, 1) is static: a witness value there is refused.
    assert_fails(
        &run(&c, LayeredTamper::ForgedOne { value: 1 }),
        "static: D = 0",
    );
    // An input cell's entry written as another value than its terms read: only the activation
    // lookups of those terms fail.
    let input_entry = run(&c, LayeredTamper::InputEntry { cell: 0, delta: 3 });
    assert_only(&input_entry, "[activation lookup]");
    // The input's copy in X (whose commitment binds the proof to its input) changed alone: only
    // the input gate fails, so a proof cannot bind one input while computing on another.
    let input_copy = run(&c, LayeredTamper::InputCopy { cell: 0, delta: 3 });
    assert_only(&input_copy, "input: D − X = 0");
    // The remainder's limbs are range-checked where they sit: one limb outside 12 bits with
    // the same remainder fails only the range lookup, and is reported as one.
    assert!(c.fx.model.settings.scales.remainder_limbs() >= 2);
    assert_only(
        &run(&c, LayeredTamper::RemainderCarry { limb: 0 }),
        "[range lookup]",
    );
    // The sigmoid split: a remainder limb, an index moved with a compensating remainder.
    assert_fails(
        &run(&c, LayeredTamper::Remainder { limb: 0, delta: 1 }),
        "logit: acc − idx·2^R − rem = 0",
    );
    assert_fails(&run(&c, LayeredTamper::Index { delta: 1 }), LOOKUP);
    // A score that is not the table's entry, with a matching public instance.
    let circuit =
        prove::tampered_layered(&c.fx.model, &c.w, LayeredTamper::Score { delta: 1 }).unwrap();
    let inst = vec![c.w.key_field, fe((c.w.score_q + 1) as i128)];
    assert_only(
        &mock_circuit(&circuit, c.fx.model.k(), inst).unwrap(),
        "[sigmoid lookup]",
    );
}

#[test]
fn changed_public_instances_break_the_public_gate() {
    let c = case();
    let circuit = prove::circuit(&c.fx.model, &c.w).unwrap();
    let key = c.w.key_field;
    let score = fe(c.w.score_q as i128);
    for inst in [vec![key + Fr::one(), score], vec![key, score + Fr::one()]] {
        assert_only(
            &mock_circuit(&circuit, c.fx.model.k(), inst).unwrap(),
            "public: A = instance",
        );
    }
}

#[test]
fn a_hidden_layer_without_relu_is_rescaled_with_its_sign() {
    let layers = vec![
        Layer::Conv {
            cout: 2,
            k: [3, 3],
            s: [3, 3],
            p: [0; 4],
            relu: false,
        },
        Layer::Dense {
            out: 1,
            relu: false,
            matmul: false,
        },
    ];
    let fx = common::stack_fixture(
        common::stack_onnx([1, H, W], &layers, 7),
        (0..4).map(|i| common::spectrogram_hw(i, H, W)).collect(),
    );
    let (w, _) = gen_witness(&fx.model, &input(3)).unwrap();
    assert!((w.score - w.float_score).abs() < 0.002);
    assert!(prove::mock(&fx.model, &w).unwrap().satisfied);
    let circuit = prove::tampered_layered(
        &fx.model,
        &w,
        LayeredTamper::Activation(ActivationShift {
            layer: 0,
            neuron: 0,
            delta: -1,
        }),
    )
    .unwrap();
    let inst = circuit.instances();
    assert_only(
        &mock_circuit(&circuit, fx.model.k(), inst).unwrap(),
        "linear: a' − (1 − 2s)·(|c| >> sw) = 0",
    );
}

#[test]
fn a_widened_tutorial_judge_gets_the_layered_circuit() {
    // The tutorial's judge with two conv channels: 1×128×130 → Conv(1→2, k5, s4) → Relu →
    // Gemm(1984→1) → Sigmoid, the real input size.
    let layers = vec![
        Layer::Conv {
            cout: 2,
            k: [5, 5],
            s: [4, 4],
            p: [0; 4],
            relu: true,
        },
        Layer::Dense {
            out: 1,
            relu: false,
            matmul: false,
        },
    ];
    let fx = common::stack_fixture(
        common::stack_onnx([1, 128, 130], &layers, 5),
        (0..4).map(common::spectrogram).collect(),
    );
    assert_eq!(fx.model.layout(), Layout::Layered);
    let ModelShape::Layered(shape) = fx.model.shape() else {
        panic!("layered")
    };
    // One row per multiply-add: 1984 neurons of 25 terms, plus limbs, biases and the output.
    assert!(
        shape.rows > 1984 * 26 && shape.rows < 70_000,
        "{}",
        shape.rows
    );
    assert_eq!(fx.model.k(), 16);
    let (w, _) = gen_witness(&fx.model, &common::address_input(1)).unwrap();
    assert!(
        (w.score - w.float_score).abs() < 0.002,
        "proven {} vs float {}",
        w.score,
        w.float_score
    );
    let mock = prove::mock(&fx.model, &w).unwrap();
    assert!(mock.satisfied, "{mock}");
}

#[test]
fn a_sigmoid_fed_by_two_values_is_refused_by_node() {
    // The output layer has two values: the Sigmoid must get one.
    let two = vec![
        Layer::Conv {
            cout: 1,
            k: [3, 3],
            s: [2, 2],
            p: [0; 4],
            relu: true,
        },
        Layer::Dense {
            out: 2,
            relu: false,
            matmul: false,
        },
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.onnx");
    std::fs::write(&path, common::stack_onnx([1, H, W], &two, 1)).unwrap();
    let e = cryptoidol::settings::gen_settings(&path)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("two.onnx") && e.contains("/Sigmoid") && e.contains("one value"),
        "{e}"
    );
}

#[test]
fn bad_inputs_and_settings_are_refused_with_the_fix() {
    let fx = deep_fixture(6);
    // An input far outside the calibrated range: a hidden pre-activation outgrows its limbs.
    let mut loud = input(1);
    for v in &mut loud.xs[0] {
        *v *= 5000.0;
    }
    let e = gen_witness(&fx.model, &loud).unwrap_err().to_string();
    assert!(
        e.contains("hidden pre-activation") && e.contains("calibrate-settings"),
        "{e}"
    );
    // A spectrogram of the wrong size.
    let mut short = input(1);
    short.xs[0].pop();
    let e = gen_witness(&fx.model, &short).unwrap_err().to_string();
    assert!(e.contains(&format!("{}", H * W - 1)), "{e}");
    // A weight scale that is not a whole number of limbs cannot be rescaled by dropping limbs.
    let mut s = fx.model.settings.clone();
    s.scales.conv = 16;
    let e = prove::Model::new(s, fx.model.graph.clone())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("layered circuit") && e.contains("multiple of the limb bits"),
        "{e}"
    );
}
