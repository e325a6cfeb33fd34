//! Pinned numbers of the circuits each layout builds: settings (scales, rows, k), the proven
//! score and logit of a few inputs, and a digest of the verifying key made with a fixed-seed SRS.
//! They pin the tutorial's windowed circuit and the layered circuit across refactors of the model
//! reader and the quantized spec (issue 15: "keep the tutorial model's windowed circuit, its
//! rows, proving time, keys and gas unchanged").
//!
//! The expected values live in `tests/fixtures/pins.json`, written by this test itself with
//! `CRYPTOIDOL_REGENERATE_PINS=1 cargo test --test pins` — never edited by hand.

mod common;

use std::collections::BTreeMap;

use halo2_proofs::halo2curves::bn256::Bn256;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;
use rand::SeedableRng;
use sha2::{Digest, Sha256};

use cryptoidol::prove;
use cryptoidol::srs::Srs;

const PINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pins.json");

/// What one fixture pins.
fn pin(fx: &common::Fixture, inputs: &[Vec<f32>]) -> serde_json::Value {
    let m = &fx.model;
    let s = &m.settings;
    let traces: Vec<serde_json::Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let input = cryptoidol::input::InputData {
                keys: vec![
                    cryptoidol::input::Key::parse_address(cryptoidol::input::DEFAULT_KEY).unwrap(),
                ],
                xs: vec![x.clone()],
            };
            let (w, _) = prove::gen_witness(m, &input).unwrap_or_else(|e| panic!("input {i}: {e}"));
            serde_json::json!({ "score_q": w.score_q, "logit": format!("{:.9}", w.logit) })
        })
        .collect();
    // A fixed-seed SRS makes the verifying key a function of the circuit alone.
    let k = m.k();
    let params = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(15));
    let srs = Srs::new(params, "fixed-seed".into());
    let keys = prove::setup(m, &srs).unwrap();
    let mut vk = Vec::new();
    keys.pk
        .get_vk()
        .write(&mut vk, SerdeFormat::RawBytes)
        .unwrap();
    serde_json::json!({
        "layout": s.layout.to_string(),
        "scales": s.scales,
        "logrows": k,
        "num_rows": s.num_rows,
        "table_rows": s.table_rows,
        "traces": traces,
        "vk_sha256": cryptoidol::encoding::hex(Sha256::digest(&vk)),
    })
}

#[test]
fn circuits_and_keys_match_their_pins() {
    let mut got = BTreeMap::new();
    let tutorial_inputs: Vec<Vec<f32>> = (0..3).map(common::spectrogram).collect();
    got.insert(
        "tutorial (windowed)",
        pin(&common::fixture(1), &tutorial_inputs),
    );
    got.insert(
        "padded (windowed)",
        pin(&common::padded_fixture(2), &tutorial_inputs),
    );
    let deep_inputs: Vec<Vec<f32>> = (0..3)
        .map(|i| common::spectrogram_hw(i, common::DEEP_H, common::DEEP_W))
        .collect();
    got.insert(
        "deep (layered)",
        pin(&common::deep_fixture(3), &deep_inputs),
    );
    let got = serde_json::to_value(&got).unwrap();
    if std::env::var_os("CRYPTOIDOL_REGENERATE_PINS").is_some() {
        std::fs::write(PINS, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
        return;
    }
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(PINS)
            .expect("tests/fixtures/pins.json (regenerate: see the module doc)"),
    )
    .unwrap();
    for (name, w) in want.as_object().unwrap() {
        assert_eq!(
            &got[name], w,
            "{name}: the circuit or its numbers changed (if on purpose, regenerate the pins)"
        );
    }
    assert_eq!(got, want);
}
