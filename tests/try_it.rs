//! The notebooks' **Try it** texts suggest values beyond the ones their cells run with; each
//! suggestion works as typed (issue 30). The cells themselves (tagged `tweak`) run in the
//! headless pass of every notebook (`kernel/run-notebooks`); this covers the alternatives the
//! text names, with the same calls the cells make.

mod common;

use cryptoidol::input::{InputData, Key};
use cryptoidol::prelude::*;
use cryptoidol::settings;

/// Notebook 2: other mel bands, a longer hop with a wider picture, a shorter window.
#[test]
fn notebook_2_mel_variants_work_as_typed() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/compressed/voice_22050.flac"
    );
    let clip = load_clip(path, &ClipSpec::tutorial()).unwrap();
    for (spec, bands, frames) in [
        (
            MelSpec {
                n_mels: 32,
                ..MelSpec::librosa_default()
            },
            32,
            130,
        ),
        (
            MelSpec {
                n_mels: 256,
                ..MelSpec::librosa_default()
            },
            256,
            130,
        ),
        (
            MelSpec {
                hop: 256,
                frames: 259,
                ..MelSpec::librosa_default()
            },
            128,
            259,
        ),
        (
            MelSpec {
                n_fft: 512,
                ..MelSpec::librosa_default()
            },
            128,
            130,
        ),
    ] {
        let mel = mel_db(&clip, &spec).unwrap_or_else(|e| panic!("{spec:?}: {e}"));
        assert_eq!((mel.n_mels, mel.frames), (bands, frames), "{spec:?}");
        assert!(mel
            .db
            .iter()
            .all(|v| v.is_finite() && *v <= 0.0 && *v >= -80.0));
        plot::spectrogram(&mel, "try it");
    }
    // The hop without the wider picture is refused, naming the fix the text gives.
    let err = mel_db(
        &clip,
        &MelSpec {
            hop: 256,
            ..MelSpec::librosa_default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("MelSpec::frames"), "{err}");
}

/// Notebook 4: the resources target with a tighter and a looser bound than the tutorial's.
#[test]
fn notebook_4_error_bounds_work_as_typed() {
    let fx = common::fixture(3);
    let graph = OnnxGraph::load(&fx.onnx).unwrap();
    let xs: Vec<Vec<f32>> = (0..4).map(common::spectrogram).collect();
    let cal = InputData {
        keys: vec![Key::Number(0.0); xs.len()],
        xs,
    };
    let base = fx.model.settings.clone();
    let mut steps = Vec::new();
    for max_error in [0.0005, 0.002, 0.01] {
        let (s, report) = settings::calibrate_settings(
            &cal,
            &graph,
            &base,
            CalibrationTarget::Resources { max_error },
        )
        .unwrap_or_else(|e| panic!("max_error {max_error}: {e}"));
        assert!(
            report.max_error <= max_error,
            "{max_error}: {}",
            report.max_error
        );
        steps.push(s.scales.sigmoid_grid);
        let _ = settings::compare([("tutorial", &base), ("yours", &s)]).to_html();
    }
    // A tighter bound never takes a coarser sigmoid grid.
    assert!(steps[0] >= steps[1] && steps[1] >= steps[2], "{steps:?}");
}
