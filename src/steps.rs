//! The tutorial's steps as one call each, reading and writing a [`Workspace`]'s artifacts:
//! what a notebook cell or an `idol` subcommand runs.

use std::path::Path;

use crate::audio::ClipSpec;
use crate::dataset::{self, Dataset, ScanReport};
use crate::mel::MelSpec;
use crate::model::Judge;
use crate::onnx::{self, InputData, Key, OnnxGraph};
use crate::plot;
use crate::train::{self, TrainConfig, TrainReport};
use crate::workspace::Workspace;
use crate::{Error, Result};

/// At most this many validation samples go into `cal.json` (as the tutorial's `val.iloc[:100]`).
pub const MAX_CALIBRATION_SAMPLES: usize = 100;

/// What [`train`] produced.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    pub scan: ScanReport,
    pub report: TrainReport,
    /// Clips whose audio could not be featurised.
    pub unusable: Vec<dataset::Skipped>,
    /// Largest |candle − ONNX| score over the exported samples (a round-trip check).
    pub onnx_max_diff: f64,
}

/// Scan and featurise a data folder (all cores, with progress).
pub fn features(data: impl AsRef<Path>) -> Result<(ScanReport, Dataset)> {
    let scan = dataset::scan(data)?;
    let ds = dataset::featurize(&scan, &ClipSpec::tutorial(), &MelSpec::librosa_default());
    Ok((scan, ds))
}

/// Train the judge on `data` and write judge.safetensors, train_history.json, loss.png,
/// network.onnx, input.json (one test sample, keyed by [`onnx::DEFAULT_KEY`]) and cal.json
/// (validation samples) into the workspace.
pub fn train(data: impl AsRef<Path>, ws: &Workspace, cfg: &TrainConfig) -> Result<TrainOutcome> {
    let (scan, ds) = features(data)?;
    let split = ds.split(cfg.seed)?;
    let (judge, report) = train::train(&split, cfg)?;
    judge.save(ws.judge())?;
    let history = serde_json::to_string_pretty(&report).expect("report serialises");
    std::fs::write(ws.history(), history).map_err(|e| io(ws.history(), e))?;
    plot::loss_curve(&report).save(ws.loss_plot())?;

    let weights = judge.weights()?;
    onnx::export(&weights, ws.onnx())?;
    let sample = &split.test[0];
    let input = InputData {
        keys: vec![Key::parse_address(onnx::DEFAULT_KEY).expect("valid constant")],
        xs: vec![sample.features.db.clone()],
    };
    input.save(ws.input())?;
    let cal: Vec<_> = split.val.iter().take(MAX_CALIBRATION_SAMPLES).collect();
    InputData {
        keys: cal.iter().map(|_| Key::Number(0.0)).collect(),
        xs: cal.iter().map(|e| e.features.db.clone()).collect(),
    }
    .save(ws.cal())?;

    let onnx_max_diff = check_onnx(
        &judge,
        &ws.onnx(),
        cal.iter().map(|e| e.features.db.as_slice()),
    )?;
    Ok(TrainOutcome {
        scan,
        report,
        unusable: ds.skipped,
        onnx_max_diff,
    })
}

/// Largest |candle − ONNX| score over the given spectrograms.
pub fn check_onnx<'a>(
    judge: &Judge,
    onnx_path: &Path,
    xs: impl Iterator<Item = &'a [f32]>,
) -> Result<f64> {
    let graph = OnnxGraph::load(onnx_path)?;
    let mut worst = 0.0f64;
    for x in xs {
        let ours = judge.score(x)? as f64;
        let (_, theirs) = graph.judge(0.0, x)?;
        worst = worst.max((ours - theirs).abs());
    }
    Ok(worst)
}

fn io(path: std::path::PathBuf, source: std::io::Error) -> Error {
    Error::Io { path, source }
}
