//! The input digest d (issue 27): recomputed from input.json alone (with the model's settings
//! and the SRS), it is what real proofs carry at the input columns' offsets; an input one
//! least-significant bit away has another d; two proofs of the same input share d and differ
//! in every other commitment (their blinding is kept).

mod common;

use cryptoidol::binding;
use cryptoidol::circuit::ModelCircuit;
use cryptoidol::prove::{self, gen_witness};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{Circuit, ConstraintSystem};

/// Bytes of one commitment in a proof.
const POINT: usize = 64;

#[test]
fn d_from_the_input_is_the_proofs_and_only_the_input_columns_are_unblinded() {
    for (name, fx, input) in [
        ("tutorial", common::fixture(21), common::address_input(5)),
        (
            "padded",
            common::padded_fixture(22),
            common::address_input(5),
        ),
        ("layered", common::deep_fixture(4), common::deep_input(5)),
    ] {
        let srs = cryptoidol::srs::gen_srs(fx.model.k(), fx.dir.path().join("kzg.srs")).unwrap();
        let keys = prove::setup(&fx.model, &srs).unwrap();
        let (w, _) = gen_witness(&fx.model, &input).unwrap();
        let a = prove::prove(&fx.model, &w, &keys.pk, &srs).unwrap();
        let b = prove::prove(&fx.model, &w, &keys.pk, &srs).unwrap();
        assert!(prove::verify(&a, keys.pk.get_vk(), &srs).unwrap().valid);
        assert!(prove::verify(&b, keys.pk.get_vk(), &srs).unwrap().valid);

        let d = prove::input_digest(&fx.model, &srs, &input)
            .unwrap()
            .expect("both layouts bind their input");
        assert_eq!(
            a.input_digest,
            Some(d),
            "{name}: d from input.json is in the proof"
        );
        assert_eq!(
            b.input_digest,
            Some(d),
            "{name}: the same input, the same d"
        );
        let columns = fx.model.shape().input_columns();
        assert_eq!(
            binding::digest_of_proof(&a.bytes, columns),
            Some(d),
            "{name}: read from the bytes"
        );
        // Every advice commitment but the input columns' differs between the two proofs.
        let advice = keys.pk.get_vk().cs().num_advice_columns();
        for c in 0..advice {
            let at = c * POINT..(c + 1) * POINT;
            if columns.contains(&c) {
                assert_eq!(a.bytes[at.clone()], b.bytes[at], "{name}: input column {c}");
            } else {
                assert_ne!(
                    a.bytes[at.clone()],
                    b.bytes[at],
                    "{name}: column {c} lost its blinding"
                );
            }
        }
        // Everything after the advice commitments (lookups, quotient, evaluations, openings)
        // differs too.
        assert_ne!(a.bytes[advice * POINT..], b.bytes[advice * POINT..]);

        // One least-significant bit away: one input cell one quantization step up.
        let step = 2f32.powi(-(fx.model.settings.scales.input as i32));
        let mut near = input.clone();
        let mid = near.xs[0].len() / 2 + 3;
        near.xs[0][mid] += step;
        let (w_near, _) = gen_witness(&fx.model, &near).unwrap();
        assert_ne!(
            w_near.inputs, w.inputs,
            "{name}: the quantized input changed"
        );
        let d_near = prove::input_digest(&fx.model, &srs, &near)
            .unwrap()
            .unwrap();
        assert_ne!(d_near, d, "{name}: one LSB away, another d");
        let p_near = prove::prove(&fx.model, &w_near, &keys.pk, &srs).unwrap();
        assert_eq!(
            p_near.input_digest,
            Some(d_near),
            "{name}: and its proof says so"
        );
    }
}

/// d depends on the SRS: the same input under another SRS has another d (which is why the
/// contest names its SRS, and why a ceremony's matters).
#[test]
fn d_depends_on_the_srs() {
    let fx = common::fixture(23);
    let input = common::address_input(2);
    let d = |path: &str| {
        let srs = cryptoidol::srs::gen_srs(fx.model.k(), fx.dir.path().join(path)).unwrap();
        prove::input_digest(&fx.model, &srs, &input)
            .unwrap()
            .unwrap()
    };
    assert_ne!(d("one.srs"), d("two.srs"));
}

/// The binding's cost in columns, as the README states it: the windowed layout none (its input
/// columns already held the input alone), the layered one a fourth advice column.
#[test]
fn binding_columns_per_layout() {
    for (fx, advice) in [(common::fixture(24), 3), (common::deep_fixture(5), 4)] {
        let srs = cryptoidol::srs::gen_srs(fx.model.k(), fx.dir.path().join("kzg.srs")).unwrap();
        let keys = prove::setup(&fx.model, &srs).unwrap();
        let cs = keys.pk.get_vk().cs();
        eprintln!(
            "{:?}: {} advice, {} fixed columns",
            fx.model.layout(),
            cs.num_advice_columns(),
            cs.num_fixed_columns()
        );
        assert_eq!(cs.num_advice_columns(), advice);
        // settings.json and its table say the same as the constraint system (notebook 8 reads
        // them: the layered circuit's count once said 3).
        let (said_advice, said_fixed, said_lookups) = fx.model.shape().columns();
        // Fixed columns as configured, before keygen turns selectors into more of them.
        let mut configured = ConstraintSystem::<Fr>::default();
        ModelCircuit::configure_with_params(&mut configured, fx.model.shape());
        assert_eq!(
            said_fixed,
            configured.num_fixed_columns(),
            "{:?}: fixed columns",
            fx.model.layout()
        );
        assert_eq!(
            said_advice,
            advice,
            "{:?}: ModelShape::columns",
            fx.model.layout()
        );
        assert_eq!(
            said_lookups,
            cs.lookups().len(),
            "{:?}: lookups",
            fx.model.layout()
        );
    }
}
