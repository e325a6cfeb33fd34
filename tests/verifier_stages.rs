//! The generated Solidity verifier, stage by stage: for each pinned circuit (the tutorial's
//! windowed circuit, a padded one and a layered one, keys from a fixed-seed SRS) the digest of
//! every stage the generator emits (`// stage: …` sections of the Yul body: ranges and points,
//! transcript, Lagrange evaluations, inversions, numerator, commitment scalars, MSM, pairing),
//! of the helper functions before them and of the whole file. A change to any stage names it.
//!
//! The expected digests live in `tests/fixtures/verifier_stages.json`, written by this test with
//! `CRYPTOIDOL_REGENERATE_PINS=1 cargo test --test verifier_stages` — never edited by hand.

mod common;

use std::collections::BTreeMap;

use halo2_proofs::halo2curves::bn256::Bn256;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand::SeedableRng;
use sha2::{Digest, Sha256};

use cryptoidol::{evm, prove, srs::Srs};

const PINS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/verifier_stages.json"
);

fn digest(text: &str) -> String {
    cryptoidol::encoding::hex(Sha256::digest(text.as_bytes()))
}

fn pin(fx: &common::Fixture) -> serde_json::Value {
    let params =
        ParamsKZG::<Bn256>::setup(fx.model.k(), rand_chacha::ChaCha20Rng::seed_from_u64(15));
    let srs = Srs::new(params, "fixed-seed".into());
    let keys = prove::setup(&fx.model, &srs).unwrap();
    let sol = evm::verifier_solidity(
        &srs.params,
        keys.pk.get_vk(),
        2,
        fx.model.shape().input_columns(),
    )
    .unwrap();
    let parts: Vec<(String, String)> = evm::verifier_stages(&sol)
        .into_iter()
        .map(|s| (s.name, s.text))
        .collect();
    assert_eq!(
        parts.iter().map(|(_, t)| t.as_str()).collect::<String>(),
        sol,
        "the stages cover the file"
    );
    let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "ranges and points",
        "transcript",
        "numerator",
        "msm",
        "pairing",
    ] {
        assert!(names.contains(&want), "no stage {want:?} in {names:?}");
    }
    serde_json::json!({
        "file_sha256": digest(&sol),
        "stages": parts
            .iter()
            .map(|(n, t)| serde_json::json!([n, digest(t)]))
            .collect::<Vec<_>>(),
    })
}

#[test]
fn every_verifier_stage_matches_its_pin() {
    let mut got = BTreeMap::new();
    got.insert("tutorial (windowed)", pin(&common::fixture(1)));
    got.insert("padded (windowed)", pin(&common::padded_fixture(2)));
    got.insert("deep (layered)", pin(&common::deep_fixture(3)));
    let got = serde_json::to_value(&got).unwrap();
    if std::env::var_os("CRYPTOIDOL_REGENERATE_PINS").is_some() {
        std::fs::write(PINS, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
        return;
    }
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(PINS)
            .expect("tests/fixtures/verifier_stages.json (regenerate: see the module doc)"),
    )
    .unwrap();
    for (name, w) in want.as_object().unwrap() {
        let (g, w) = (&got[name]["stages"], &w["stages"]);
        for (gs, ws) in g.as_array().unwrap().iter().zip(w.as_array().unwrap()) {
            assert_eq!(
                gs, ws,
                "{name}: stage {} of the verifier changed (if on purpose, regenerate the pins)",
                ws[0]
            );
        }
    }
    assert_eq!(got, want);
}
