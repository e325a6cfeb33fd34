//! The tutorial's steps as one call each, reading and writing a [`Workspace`]'s artifacts:
//! what a notebook cell or an `idol` subcommand runs.

use std::path::{Path, PathBuf};

use crate::audio::ClipSpec;
use crate::dataset::{self, Dataset, ScanReport};
use crate::input::{InputData, Key};
use crate::mel::MelSpec;
use crate::model::Judge;
use crate::onnx::{self, OnnxGraph};
use crate::plot;
use crate::train::{self, TrainConfig, TrainReport};
use crate::workspace::{Artifact, Workspace};
use crate::{Error, Result};

mod attack;
mod contest;
mod report;
pub use attack::{crafted_attack, CRAFT_MAX_STEPS, CRAFT_STEP_DB, CRAFT_TARGET};
pub use contest::{
    check_input, commit, commit_input, deploy_contest, mev_demo, register, register_digest, submit,
};
pub use report::{
    Attempt, Commitment, Contest, CraftedAttack, DataSource, Deployment, EvmReport, InputCheck,
    MevReport, OnChainVerdict, Registration, Submission, TrainOutcome, WidenOutcome,
};

/// At most this many validation samples go into `cal.json` (as the tutorial's `val.iloc[:100]`).
pub(crate) const MAX_CALIBRATION_SAMPLES: usize = 100;

/// The notebooks' data: `$VOICE_DATA_DIR` if set (what `voice_data.sh` downloaded), else the
/// embedded synthetic corpus in the workspace (generated on first use).
pub fn voice_data(ws: &Workspace) -> Result<DataSource> {
    voice_data_from(ws, std::env::var_os("VOICE_DATA_DIR").map(PathBuf::from))
}

/// [`voice_data`] with the folder given explicitly (`None` = the embedded default).
pub fn voice_data_from(ws: &Workspace, dir: Option<PathBuf>) -> Result<DataSource> {
    if let Some(dir) = dir {
        let root = dataset::resolve_root(&dir);
        if !root.is_dir() {
            return Err(dataset::DatasetError::NoRoot { root }.into());
        }
        return Ok(DataSource {
            root,
            synthetic: false,
            generated: None,
        });
    }
    let root = ws.data_root();
    let generated = if root.is_dir() {
        None
    } else {
        let r = crate::synthetic::write_corpus(
            &ws.dir,
            &crate::synthetic::SyntheticConfig::tutorial(),
        )?;
        Some(r.clips)
    };
    Ok(DataSource {
        root,
        synthetic: true,
        generated,
    })
}

/// The synthetic corpus under `out/data` (`idol voice-data --synthetic`).
pub fn synthetic_corpus(
    out: impl AsRef<Path>,
    cfg: &crate::synthetic::SyntheticConfig,
) -> Result<crate::synthetic::SyntheticReport> {
    Ok(crate::synthetic::write_corpus(out, cfg)?)
}

/// What the loaders find under a data folder: clips per corpus and emotion, skipped files and
/// why (`idol datasets`).
pub fn scan(data: impl AsRef<Path>) -> Result<ScanReport> {
    Ok(dataset::scan(data)?)
}

/// One recording as the judge hears it: the tutorial's clip and its mel spectrogram (`idol mel`).
pub fn mel(wav: impl AsRef<Path>) -> Result<(crate::audio::Clip, crate::mel::Spectrogram)> {
    let clip = crate::audio::load_clip(wav, &ClipSpec::tutorial())?;
    let spectrogram = crate::mel::mel_db(&clip, &MelSpec::librosa_default())?;
    Ok((clip, spectrogram))
}

/// A recording's mel spectrogram as a figure (`idol plot spectrogram`).
pub fn spectrogram_figure(wav: impl AsRef<Path>) -> Result<plot::Figure> {
    let (_, spectrogram) = mel(&wav)?;
    Ok(plot::spectrogram(
        &spectrogram,
        format!("mel spectrogram (dB) of {}", wav.as_ref().display()),
    ))
}

/// The clips per emotion label under a data folder, as a figure (`idol plot labels`).
pub fn labels_figure(data: impl AsRef<Path>) -> Result<plot::Figure> {
    Ok(plot::label_histogram(&scan(data)?))
}

/// The loss curves of a train_history.json, as a figure (`idol plot loss`).
pub fn loss_figure(history: impl AsRef<Path>) -> Result<plot::Figure> {
    Ok(plot::loss_curve(&TrainReport::load(history)?))
}

/// Scan and featurise a data folder (all cores, with progress).
pub fn features(data: impl AsRef<Path>) -> Result<(ScanReport, Dataset)> {
    let scan = dataset::scan(data)?;
    let ds = dataset::featurize(&scan, &ClipSpec::tutorial(), &MelSpec::librosa_default());
    Ok((scan, ds))
}

/// Train the judge on `data` and write judge.safetensors, train_history.json, loss.png,
/// network.onnx, input.json (one test sample, keyed by [`input::DEFAULT_KEY`]) and cal.json
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
        keys: vec![Key::parse_address(crate::input::DEFAULT_KEY).expect("valid constant")],
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

/// Widen (or deepen) the trained judge of `src` into the workspace `dst`, as a workshop's next
/// step: `network.onnx` from the trained weights ([`crate::model::JudgeWeights::widened`]),
/// with `src`'s input.json and cal.json, so every later step runs on `dst` unchanged (the
/// model gets the layered circuit).
pub fn widen(
    src: &Workspace,
    dst: &Workspace,
    cfg: &crate::model::WidenConfig,
) -> Result<WidenOutcome> {
    if cfg.channels == 0 {
        return Err(Error::Model(crate::model::ModelError::Widen(
            "--channels must be at least 1".into(),
        )));
    }
    let trained = Judge::load(src.judge())?.weights()?;
    let layers = trained.widened(cfg);
    let input = [1, crate::model::INPUT_H, crate::model::INPUT_W];
    onnx::export_stack(input, &layers, dst.onnx())?;
    for (from, to) in [(src.input(), dst.input()), (src.cal(), dst.cal())] {
        std::fs::copy(&from, &to).map_err(|e| io(from.clone(), e))?;
    }
    let sample = InputData::load(dst.input())?;
    let x = &sample.xs[0];
    let graph = OnnxGraph::load(dst.onnx())?;
    let (_, widened_score) = graph.judge(0.0, x)?;
    Ok(WidenOutcome {
        onnx: dst.onnx(),
        config: *cfg,
        flat: cfg.channels * crate::model::FLAT,
        trained_score: trained.score_f64(x),
        widened_score,
    })
}

// ---------------------------------------------------------------------------------------------
// Settings, SRS, keys, witness, mock, proof, verification

use crate::circuit::{ModelCircuit, WitnessSlice};
use crate::prove::{self, MockReport, Model, Proof, ProveError, Verdict, Witness};
use crate::settings::{self, CalibrationReport, CalibrationTarget, Settings};
use crate::srs::{self, Srs};

/// EZKL's `gen-settings`: settings.json with default scales for network.onnx.
pub fn gen_settings(ws: &Workspace) -> Result<Settings> {
    let (s, _) = settings::gen_settings(ws.onnx())?;
    s.save(ws.settings())?;
    Ok(s)
}

/// EZKL's `calibrate-settings`: scales and table ranges for network.onnx from cal.json,
/// starting from settings.json if it exists for this model (else from default settings) →
/// settings.json.
pub fn calibrate_settings(
    ws: &Workspace,
    target: CalibrationTarget,
) -> Result<(Settings, CalibrationReport)> {
    let graph = OnnxGraph::load(ws.onnx())?;
    let base = if ws.settings().is_file() {
        let s = Settings::load(ws.settings())?;
        s.check_model(&ws.settings(), &graph)?;
        s
    } else {
        settings::default_settings(&graph)?
    };
    let cal = InputData::load(ws.cal())?;
    let (s, report) = settings::calibrate_settings(&cal, &graph, &base, target)?;
    s.save(ws.settings())?;
    Ok((s, report))
}

/// Both, as the tutorial runs them: [`gen_settings`] then [`calibrate_settings`].
pub fn settings(
    ws: &Workspace,
    target: CalibrationTarget,
) -> Result<(Settings, CalibrationReport)> {
    gen_settings(ws)?;
    calibrate_settings(ws, target)
}

/// The workspace's model (network.onnx + settings.json).
pub fn model(ws: &Workspace) -> Result<Model> {
    Ok(Model::load(ws.onnx(), ws.settings())?)
}

/// The SRS for the model's size (see [`srs_for`]).
pub fn srs(ws: &Workspace, model: &Model) -> Result<Srs> {
    srs_for(ws, model.k())
}

/// The SRS for 2^k rows: the file set for the SRS if one was, else the workspace's
/// `kzg<k>.srs`. Never made here: a missing SRS is an error naming the commands that make
/// or fetch one (only the demo, `judge` and [`local_srs`] make one).
pub(crate) fn srs_for(ws: &Workspace, k: u32) -> Result<Srs> {
    let path = ws.srs(k);
    if !has_srs(ws, k) {
        return Err(srs::SrsError::Missing {
            path: path.display().to_string(),
            k,
        }
        .into());
    }
    Ok(srs::load_srs(&path, k)?)
}

/// True when the workspace names an SRS (given by a flag, or its `kzg<k>.srs` exists).
fn has_srs(ws: &Workspace, k: u32) -> bool {
    ws.overridden(Artifact::Srs).is_some() || ws.srs(k).is_file()
}

/// The SRS the key file at `key` was made with, from where the workspace looks for it. A
/// missing SRS names the one the key records (a new one would not match it); another SRS is
/// refused by the key's reader, naming both files.
pub(crate) fn srs_for_key(ws: &Workspace, k: u32, key: &std::path::Path) -> Result<Srs> {
    if !has_srs(ws, k) {
        let header = prove::read_key_header(key)?;
        return Err(prove::ProveError::KeySrsMissing {
            key: key.display().to_string(),
            key_srs: header.srs_path,
            key_digest: header.srs_digest,
            looked: ws.srs(k).display().to_string(),
        }
        .into());
    }
    srs_for(ws, k)
}

/// The workspace's SRS for 2^k rows, made locally if it has none: **insecure** (its secret
/// existed on this machine), for tests, demos and workshops. `idol get-srs` fetches the
/// ceremony's instead.
pub fn local_srs(ws: &Workspace, k: u32) -> Result<Srs> {
    if has_srs(ws, k) {
        return srs_for(ws, k);
    }
    let path = ws.srs(k);
    crate::progress::say!("[srs] no {} yet: generating a local SRS of 2^{k} points (INSECURE: for tests and demos; use `idol get-srs` for a ceremony SRS)", path.display());
    Ok(srs::gen_srs(k, &path)?)
}

/// A local SRS of 2^k points at `path` (`idol gen-srs`): **insecure**, its secret existed on
/// this machine.
pub fn gen_srs(k: u32, path: impl AsRef<Path>) -> Result<Srs> {
    Ok(srs::gen_srs(k, path)?)
}

/// The ceremony's SRS for 2^k rows (`k` from settings.json when not given), downloaded from
/// `url_template` into `dir` and checked against `sha256` when given (`idol get-srs`). Returns
/// the SRS and its SHA-256.
pub fn get_srs(
    ws: &Workspace,
    k: Option<u32>,
    url_template: &str,
    sha256: Option<&str>,
    dir: impl AsRef<Path>,
) -> Result<(Srs, String)> {
    let k = match k {
        Some(k) => k,
        None => Settings::load(ws.settings())?.run_args.logrows,
    };
    Ok(srs::get_srs(url_template, k, sha256, dir)?)
}

/// Keys for the workspace's model → pk.key, vk.key, made with the workspace's SRS (which
/// they record).
pub fn setup(ws: &Workspace) -> Result<prove::Keys> {
    let model = model(ws)?;
    let srs = srs(ws, &model)?;
    setup_with(ws, &model, &srs)
}

/// [`setup`] for a model and SRS already loaded.
pub(crate) fn setup_with(ws: &Workspace, model: &Model, srs: &Srs) -> Result<prove::Keys> {
    crate::progress::say!("[setup] keys for 2^{} rows ...", model.k());
    let keys = prove::setup(model, srs)?;
    prove::save_pk(&keys.pk, model, srs, ws.pk())?;
    prove::save_vk(keys.pk.get_vk(), model, srs, ws.vk())?;
    crate::progress::say!("[setup] done in {:.2} s", keys.seconds);
    Ok(keys)
}

/// Witness for input.json → witness.json.
pub fn witness(ws: &Workspace) -> Result<Witness> {
    witness_with(ws, &model(ws)?)
}

/// [`witness`] for a model already loaded.
pub(crate) fn witness_with(ws: &Workspace, model: &Model) -> Result<Witness> {
    let (w, note) = prove::gen_witness(model, &InputData::load(ws.input())?)?;
    if let Some(n) = note {
        crate::progress::say!("[note] {n}");
    }
    w.save(ws.witness())?;
    Ok(w)
}

/// Rows `rows` of the witness table input.json gets under the workspace's model and settings,
/// as the prover assigns them (nothing is written). The tutorial's windowed circuit only: a
/// widened judge's layered circuit is refused, naming its layout.
pub fn witness_table(ws: &Workspace, rows: std::ops::Range<usize>) -> Result<WitnessSlice> {
    let model = model(ws)?;
    windowed(&model)?;
    let (w, _) = prove::gen_witness(&model, &InputData::load(ws.input())?)?;
    let c = match prove::circuit(&model, &w)? {
        ModelCircuit::Windowed(c) => c,
        ModelCircuit::Layered(_) => return Err(layered_has_no_table().into()),
    };
    let mut slice = c.slice(rows).map_err(ProveError::View)?;
    slice.k = model.k();
    Ok(slice)
}

/// The shape of the workspace's windowed circuit (where its rows are: `input_row`,
/// `window_row`, `cell`), for choosing rows of [`witness_table`].
pub fn windowed_shape(ws: &Workspace) -> Result<crate::circuit::CircuitShape> {
    windowed(&model(ws)?)
}

/// The model's windowed shape, or why a layered model has none.
fn windowed(model: &Model) -> Result<crate::circuit::CircuitShape> {
    match model.shape() {
        crate::circuit::ModelShape::Windowed(shape) => Ok(shape),
        crate::circuit::ModelShape::Layered(_) => Err(layered_has_no_table().into()),
    }
}

fn layered_has_no_table() -> ProveError {
    ProveError::View(
        "this model uses the layered circuit (one row per multiply-add); the witness table \
         view covers the tutorial's windowed circuit"
            .into(),
    )
}

/// The mock prover on witness.json.
pub fn mock(ws: &Workspace) -> Result<MockReport> {
    Ok(prove::mock(&model(ws)?, &Witness::load(ws.witness())?)?)
}

/// The mock prover on witness.json's circuit with one ReLU decision flipped, as a cheating
/// prover would assign it: the report names the constraint that refuses it.
pub fn mock_cheat(ws: &Workspace) -> Result<MockReport> {
    Ok(prove::mock_one_relu_flipped(
        &model(ws)?,
        &Witness::load(ws.witness())?,
    )?)
}

/// A proof of witness.json → proof.json.
pub fn prove(ws: &Workspace) -> Result<Proof> {
    prove_with(ws, &model(ws)?)
}

/// [`prove`] for a model already loaded.
pub(crate) fn prove_with(ws: &Workspace, model: &Model) -> Result<Proof> {
    let proof = prove_witness_with(ws, model)?;
    proof.save(ws.proof())?;
    Ok(proof)
}

/// A proof of witness.json with the workspace's pk.key and SRS, not saved.
pub(crate) fn prove_witness(ws: &Workspace) -> Result<Proof> {
    prove_witness_with(ws, &model(ws)?)
}

/// [`prove_witness`] for a model already loaded.
fn prove_witness_with(ws: &Workspace, model: &Model) -> Result<Proof> {
    let srs = srs_for_key(ws, model.k(), &ws.pk())?;
    let pk = prove::load_pk(ws.pk(), model, &srs)?;
    crate::progress::say!("[prove] proving 2^{} rows ...", model.k());
    let proof = prove::prove(model, &Witness::load(ws.witness())?, &pk, &srs)?;
    crate::progress::say!("[prove] done in {:.2} s", proof.seconds);
    Ok(proof)
}

/// EZKL's `verify`: proof.json with vk.key, settings.json and the SRS (no model needed).
pub fn verify(ws: &Workspace) -> Result<Verdict> {
    verify_proof(ws, &Proof::load(ws.proof())?)
}

/// Verify a proof (e.g. one edited in a notebook) with the workspace's vk.key.
pub fn verify_proof(ws: &Workspace, proof: &Proof) -> Result<Verdict> {
    let s = Settings::load(ws.settings())?;
    let srs = srs_for_key(ws, s.run_args.logrows, &ws.vk())?;
    let vk = prove::load_vk_for(ws.vk(), &s, &srs)?;
    Ok(prove::verify(proof, &vk, &srs)?)
}

// ---------------------------------------------------------------------------------------------
// EVM

/// Generate and compile the verifier for the workspace's vk → Verifier.sol, verifier_abi.json,
/// Verifier.bin.
pub fn create_evm_verifier(ws: &Workspace) -> Result<crate::evm::VerifierContract> {
    let s = Settings::load(ws.settings())?;
    let srs = srs_for_key(ws, s.run_args.logrows, &ws.vk())?;
    let vk = prove::load_vk_for(ws.vk(), &s, &srs)?;
    let notes = [
        format!(
            "Circuit digest {} (settings {})",
            s.circuit_digest(),
            ws.settings().display()
        ),
        format!("SRS sha256 {} ({})", srs.digest, srs.path.display()),
    ];
    let c = crate::evm::create_evm_verifier_noted(
        &srs.params,
        &vk,
        crate::circuit::NUM_INSTANCES,
        crate::circuit::input_columns(s.layout),
        &notes,
    )?;
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
    let code = read_hex_file(&ws.verifier_bin(), "idol create-evm-verifier")?;
    let proof = Proof::load(ws.proof())?;
    let data = crate::evm::calldata(&proof.instances, &proof.bytes);
    let mut evm = crate::evm::revm::Evm::new();
    let (addr, deploy_gas) = evm.deploy(code)?;
    let verify = evm.call(addr, data.clone(), crate::evm::revm::VERIFY_GAS_LIMIT)?;
    let mut prague = crate::evm::revm::Evm::on(crate::evm::revm::Fork::Prague);
    let (addr, _) = prague.deploy(read_hex_file(
        &ws.verifier_bin(),
        "idol create-evm-verifier",
    )?)?;
    let verify_prague = prague.call(addr, data.clone(), crate::evm::revm::VERIFY_GAS_LIMIT)?;
    let runtime_bytes = read_hex_file(&ws.verifier_runtime_bin(), "idol create-evm-verifier")
        .map(|b| b.len())
        .unwrap_or(0);
    Ok(EvmReport {
        runtime_bytes,
        deploy_gas,
        verify,
        verify_gas_prague: verify_prague.gas_used,
        calldata_bytes: data.len(),
    })
}

// ---------------------------------------------------------------------------------------------
// EVM on a node (anvil or any RPC URL)

use crate::evm::chain::Chain;

use crate::encoding::Address;

/// EZKL's `deploy-evm`: deploy Verifier.bin from development account 0 → contract.address.
pub fn deploy_evm(ws: &Workspace, rpc_url: &str) -> Result<Deployment> {
    // A Solidity file set by the caller (EZKL's --sol-code-path) is compiled here; otherwise
    // the bytecode `create_evm_verifier` compiled.
    let code = match ws.overridden(Artifact::VerifierSol) {
        Some(sol) => {
            let source = std::fs::read_to_string(sol).map_err(|_| {
                crate::evm::EvmError::Evm(format!(
                    "no {}: run `idol create-evm-verifier` first",
                    sol.display()
                ))
            })?;
            crate::evm::solc::compile(&[("Verifier.sol", source.as_str())], "Verifier.sol", None)?
                .deployment
        }
        None => read_hex_file(&ws.verifier_bin(), "idol create-evm-verifier")?,
    };
    let node = Chain::connect(rpc_url, 0, None)?;
    let (address, gas_used) = node.deploy(code)?;
    let out = ws.contract_address();
    save_address(&out, address)?;
    Ok(Deployment {
        address,
        gas_used,
        chain_id: node.chain_id,
        rpc_url: rpc_url.to_string(),
    })
}

/// The verifier address in contract.address (written by [`deploy_evm`]).
pub(crate) fn deployed_verifier(ws: &Workspace) -> Result<Address> {
    load_address(&ws.contract_address(), "idol deploy-evm")
}

/// Write a contract address file (contract.address, rewards.address, --addr-path).
pub(crate) fn save_address(path: &Path, address: Address) -> Result<()> {
    std::fs::write(path, format!("{address:?}")).map_err(|e| io(path.to_owned(), e))
}

/// Read a contract address file written by [`save_address`]; `fix` is the command making it.
pub fn load_address(path: &Path, fix: &str) -> Result<Address> {
    let text = std::fs::read_to_string(path).map_err(|_| {
        crate::evm::EvmError::Evm(format!("no {}: run `{fix}` first", path.display()))
    })?;
    parse_address(text.trim(), &path.display().to_string())
}

/// Parse `0x` + 40 hex digits, naming where the text came from.
pub fn parse_address(text: &str, origin: &str) -> Result<Address> {
    text.parse().map_err(|_| {
        crate::evm::EvmError::Evm(format!(
            "{origin}: '{text}' is not a contract address (0x + 40 hex digits)"
        ))
        .into()
    })
}

/// proof.json's call to the verifier → the workspace's calldata file (`idol encode-evm-calldata`).
pub fn encode_evm_calldata(ws: &Workspace) -> Result<Vec<u8>> {
    let proof = Proof::load(ws.proof())?;
    let data = crate::evm::calldata(&proof.instances, &proof.bytes);
    let out = ws.calldata();
    std::fs::write(&out, &data).map_err(|e| io(out, e))?;
    Ok(data)
}

/// A Solidity verifier file measured on a calldata file: compiled, deployed and called in the
/// in-process EVM (`idol measure-evm`, for any generator's verifier).
pub fn measure_evm(
    sol_code: &Path,
    calldata: &Path,
    contract: Option<&str>,
) -> Result<crate::evm::VerifierMeasurement> {
    let read_error = |path: &Path, e: std::io::Error| {
        crate::evm::EvmError::Evm(format!("cannot read {}: {e}", path.display()))
    };
    let sol = std::fs::read_to_string(sol_code).map_err(|e| read_error(sol_code, e))?;
    let data = std::fs::read(calldata).map_err(|e| read_error(calldata, e))?;
    Ok(crate::evm::measure_verifier(&sol, contract, data)?)
}

/// proof.json checked by the verifier deployed at `verifier`, or at the workspace's
/// contract.address (`idol verify-evm`).
pub fn verify_evm_deployed(
    ws: &Workspace,
    rpc_url: &str,
    verifier: Option<Address>,
) -> Result<OnChainVerdict> {
    let verifier = match verifier {
        Some(a) => a,
        None => deployed_verifier(ws)?,
    };
    verify_evm(rpc_url, verifier, &Proof::load(ws.proof())?)
}

/// EZKL's `verify-evm`: send `proof` to the verifier at `verifier` in a transaction.
pub fn verify_evm(rpc_url: &str, verifier: Address, proof: &Proof) -> Result<OnChainVerdict> {
    let data = crate::evm::calldata(&proof.instances, &proof.bytes);
    let node = Chain::connect(rpc_url, 0, None)?;
    if node.code_size(verifier)? == 0 {
        return Err(crate::evm::EvmError::Evm(format!(
            "no contract at {verifier:?} on {rpc_url}: deploy the verifier with `idol deploy-evm`"
        ))
        .into());
    }
    let verdict = node.transact(verifier, data, crate::evm::revm::VERIFY_GAS_LIMIT)?;
    Ok(OnChainVerdict {
        verifier,
        rpc_url: rpc_url.to_string(),
        verdict,
    })
}

fn read_hex_file(path: &Path, fix: &str) -> Result<Vec<u8>> {
    let text = std::fs::read_to_string(path).map_err(|_| {
        crate::evm::EvmError::Evm(format!("no {}: run `{fix}` first", path.display()))
    })?;
    crate::encoding::unhex(&text).ok_or_else(|| {
        crate::evm::EvmError::Evm(format!("{} is not hex: rerun `{fix}`", path.display())).into()
    })
}
