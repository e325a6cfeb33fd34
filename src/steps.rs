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

// ---------------------------------------------------------------------------------------------
// Settings, SRS, keys, witness, mock, proof, verification

use crate::prove::{self, MockReport, Model, Proof, Verdict, Witness};
use crate::settings::{self, CalibrationReport, CalibrationTarget, Settings};
use crate::srs::{self, Srs};

/// gen_settings + calibrate_settings on the workspace's network.onnx and cal.json → settings.json.
pub fn settings(
    ws: &Workspace,
    target: CalibrationTarget,
) -> Result<(Settings, CalibrationReport)> {
    let (s, graph) = settings::gen_settings(ws.onnx())?;
    let cal = InputData::load(ws.cal())?;
    let (s, report) = settings::calibrate_settings(&cal, &graph, &s, target)?;
    s.save(ws.settings())?;
    Ok((s, report))
}

/// The workspace's model (network.onnx + settings.json).
pub fn model(ws: &Workspace) -> Result<Model> {
    Model::load(ws.onnx(), ws.settings())
}

/// The workspace's SRS for the model's size, generated locally (insecure) if absent.
pub fn srs(ws: &Workspace, model: &Model) -> Result<Srs> {
    let k = model.k();
    let path = ws.srs(k);
    if path.is_file() {
        return Ok(srs::load_srs(&path, k)?);
    }
    eprintln!("[srs] no {} yet: generating a local SRS of 2^{k} points (INSECURE: for tests and demos; use `idol get-srs` for a ceremony SRS)", path.display());
    Ok(srs::gen_srs(k, &path)?)
}

/// Keys for the workspace's model → pk.key, vk.key.
pub fn setup(ws: &Workspace) -> Result<prove::Keys> {
    let model = model(ws)?;
    let srs = srs(ws, &model)?;
    eprintln!("[setup] keys for 2^{} rows ...", model.k());
    let keys = prove::setup(&model, &srs)?;
    prove::save_pk(&keys.pk, &model, ws.pk())?;
    prove::save_vk(keys.pk.get_vk(), &model, ws.vk())?;
    eprintln!("[setup] done in {:.2} s", keys.seconds);
    Ok(keys)
}

/// Witness for input.json → witness.json.
pub fn witness(ws: &Workspace) -> Result<Witness> {
    let model = model(ws)?;
    let (w, note) = prove::gen_witness(&model, &InputData::load(ws.input())?)?;
    if let Some(n) = note {
        eprintln!("{n}");
    }
    w.save(ws.witness())?;
    Ok(w)
}

/// The mock prover on witness.json.
pub fn mock(ws: &Workspace) -> Result<MockReport> {
    prove::mock(&model(ws)?, &Witness::load(ws.witness())?)
}

/// A proof of witness.json → proof.json.
pub fn prove(ws: &Workspace) -> Result<Proof> {
    let model = model(ws)?;
    let srs = srs(ws, &model)?;
    let pk = prove::load_pk(ws.pk(), &model)?;
    eprintln!("[prove] proving 2^{} rows ...", model.k());
    let proof = prove::prove(&model, &Witness::load(ws.witness())?, &pk, &srs)?;
    eprintln!("[prove] done in {:.2} s", proof.seconds);
    proof.save(ws.proof())?;
    Ok(proof)
}

/// Verify proof.json with vk.key.
pub fn verify(ws: &Workspace) -> Result<Verdict> {
    let model = model(ws)?;
    let srs = srs(ws, &model)?;
    let vk = prove::load_vk(ws.vk(), &model)?;
    Ok(prove::verify(&Proof::load(ws.proof())?, &vk, &srs)?)
}

// ---------------------------------------------------------------------------------------------
// EVM

/// What [`evm_verify_local`] measured.
#[derive(Debug, Clone)]
pub struct EvmReport {
    pub runtime_bytes: usize,
    pub deploy_gas: u64,
    pub verify: crate::evm::revm::CallResult,
    pub calldata_bytes: usize,
}

impl std::fmt::Display for EvmReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "in-process EVM: proof {} with {} gas (calldata {} bytes; verifier runtime {} bytes, deployed with {} gas)",
            if self.verify.success { "ACCEPTED" } else { "REJECTED" },
            self.verify.gas_used,
            self.calldata_bytes,
            self.runtime_bytes,
            self.deploy_gas
        )
    }
}

/// Generate and compile the verifier for the workspace's vk → Verifier.sol, verifier_abi.json,
/// Verifier.bin.
pub fn create_evm_verifier(ws: &Workspace) -> Result<crate::evm::VerifierContract> {
    let model = model(ws)?;
    let srs = srs(ws, &model)?;
    let vk = prove::load_vk(ws.vk(), &model)?;
    let c = crate::evm::create_evm_verifier(&srs.params, &vk, crate::circuit::NUM_INSTANCES)?;
    c.save(
        &ws.verifier_sol(),
        &ws.verifier_abi(),
        &ws.verifier_bin(),
        &ws.verifier_runtime_bin(),
    )?;
    Ok(c)
}

/// Deploy Verifier.bin in an in-process EVM and verify proof.json there.
pub fn evm_verify_local(ws: &Workspace) -> Result<EvmReport> {
    let hexcode =
        std::fs::read_to_string(ws.verifier_bin()).map_err(|e| io(ws.verifier_bin(), e))?;
    let code = settings::unhex(&hexcode).ok_or_else(|| {
        crate::evm::EvmError::Solc(format!(
            "{} is not hex: rerun `idol create-evm-verifier`",
            ws.verifier_bin().display()
        ))
    })?;
    let proof = Proof::load(ws.proof())?;
    let data = crate::evm::calldata(&proof.instance_frs()?, &proof.bytes()?);
    let mut evm = crate::evm::revm::Evm::new();
    let (addr, deploy_gas) = evm.deploy(code)?;
    let verify = evm.call(addr, data.clone(), crate::evm::revm::VERIFY_GAS_LIMIT)?;
    let runtime_bytes = std::fs::read_to_string(ws.verifier_runtime_bin())
        .ok()
        .and_then(|h| settings::unhex(&h))
        .map(|b| b.len())
        .unwrap_or(0);
    Ok(EvmReport {
        runtime_bytes,
        deploy_gas,
        verify,
        calldata_bytes: data.len(),
    })
}
