//! `idol`: the tutorial's steps as EZKL-style subcommands. Each calls one library function and
//! prints a one-line summary of what it wrote; errors print their chain and exit non-zero.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cryptoidol::model::WidenConfig;
use cryptoidol::train::TrainConfig;
use cryptoidol::workspace::Workspace;
use cryptoidol::{audio, dataset, mel, plot, steps, synthetic, Error};

#[derive(Parser)]
#[command(
    name = "idol",
    version,
    about = "Prove a voice judge's score in zero knowledge and check it on Ethereum"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the embedded default corpus (`--synthetic`); real data comes from `sh voice_data.sh`.
    VoiceData {
        /// Generate the deterministic synthetic corpus (the only source that needs no network).
        #[arg(long)]
        synthetic: bool,
        /// Folder to write into; clips land in OUT/data/<corpus>/...
        #[arg(long, short = 'O', default_value = ".")]
        out: PathBuf,
        /// Clips per (speaker, emotion) cell; larger values make a larger corpus.
        #[arg(long, default_value_t = synthetic::SyntheticConfig::tutorial().clips_per_cell)]
        clips_per_cell: usize,
        /// Seed of the synthetic corpus.
        #[arg(long, default_value_t = synthetic::SyntheticConfig::tutorial().seed)]
        seed: u64,
    },
    /// Count the clips the loaders find per corpus and emotion, and list skipped files (JSON).
    Datasets {
        /// The folder `voice_data.sh` wrote into (holding `data/`), or `data/` itself.
        data_dir: PathBuf,
    },
    /// Print the 128×130 dB mel spectrogram of one WAV file (the judge's input features).
    Mel {
        wav: PathBuf,
        /// Print the whole spectrogram as JSON (shape + rows) instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Train the judge; write judge.safetensors, train_history.json, loss.png, network.onnx,
    /// input.json and cal.json into --out.
    Train {
        /// The data folder (as for `idol datasets`).
        #[arg(long, short = 'D')]
        data: PathBuf,
        /// Workspace folder for the artifacts.
        #[arg(long, short = 'O', default_value = "artifacts")]
        out: PathBuf,
        #[arg(long, default_value_t = TrainConfig::tutorial().epochs)]
        epochs: usize,
        #[arg(long, default_value_t = TrainConfig::tutorial().seed)]
        seed: u64,
    },
    /// Widen (or deepen) the trained judge of --dir into a new workspace --out: more conv
    /// channels, an optional hidden ReLU layer; input.json and cal.json come along. Such models
    /// get the layered circuit; every later step runs on --out unchanged.
    Widen {
        /// The workspace with the trained judge (judge.safetensors, input.json, cal.json).
        #[arg(long, default_value = "artifacts")]
        dir: PathBuf,
        /// The new workspace.
        #[arg(long, short = 'O')]
        out: PathBuf,
        #[arg(long, default_value_t = WidenConfig::two_channels().channels)]
        channels: usize,
        /// Neurons of a hidden dense ReLU layer before the output (0: none).
        #[arg(long, default_value_t = WidenConfig::two_channels().hidden)]
        hidden: usize,
    },
    /// Draw a figure as PNG or SVG (by the --output extension).
    Plot {
        #[command(subcommand)]
        figure: Figure,
    },
    /// Make settings.json for a model with default scales (EZKL: gen-settings).
    GenSettings {
        #[command(flatten)]
        ws: Ws,
        #[arg(short = 'M', long)]
        model: Option<PathBuf>,
        /// Where to write settings.json.
        #[arg(short = 'O', long = "settings-path")]
        settings_path: Option<PathBuf>,
    },
    /// Choose scales and table ranges from calibration data (EZKL: calibrate-settings).
    CalibrateSettings {
        #[command(flatten)]
        ws: Ws,
        #[arg(short = 'M', long)]
        model: Option<PathBuf>,
        /// Calibration inputs (EZKL input format), default WORKSPACE/cal.json.
        #[arg(short = 'D', long)]
        data: Option<PathBuf>,
        #[arg(short = 'O', long = "settings-path")]
        settings_path: Option<PathBuf>,
        /// `resources` (smallest table within 0.002 score error) or `accuracy` (finest table that fits).
        #[arg(long, default_value = "resources")]
        target: String,
    },
    /// Generate a local KZG SRS (INSECURE: for tests and demos).
    GenSrs {
        #[arg(long = "srs-path")]
        srs_path: PathBuf,
        #[arg(long)]
        logrows: u32,
    },
    /// Download a ceremony KZG SRS, check its SHA-256 and cache it.
    GetSrs {
        #[command(flatten)]
        ws: Ws,
        /// Log2 of the size; default from settings.json.
        #[arg(long)]
        logrows: Option<u32>,
        #[arg(long = "settings-path")]
        settings_path: Option<PathBuf>,
        /// URL template; `{k}` becomes the log2 size.
        #[arg(long = "srs-url", default_value = cryptoidol::srs::DEFAULT_SRS_URL)]
        srs_url: String,
        /// Expected SHA-256 (hex) of the file; strongly recommended.
        #[arg(long)]
        sha256: Option<String>,
        /// Cache folder (default: the workspace).
        #[arg(long = "srs-dir")]
        srs_dir: Option<PathBuf>,
    },
    /// Generate the proving and verifying keys (EZKL: setup).
    Setup {
        #[command(flatten)]
        ws: Ws,
        #[command(flatten)]
        m: ModelArgs,
        #[arg(long = "srs-path")]
        srs_path: Option<PathBuf>,
        #[arg(long = "pk-path")]
        pk_path: Option<PathBuf>,
        #[arg(long = "vk-path")]
        vk_path: Option<PathBuf>,
    },
    /// Compute the witness for input.json (EZKL: gen-witness).
    GenWitness {
        #[command(flatten)]
        ws: Ws,
        #[command(flatten)]
        m: ModelArgs,
        #[arg(short = 'D', long)]
        data: Option<PathBuf>,
        #[arg(short = 'O', long)]
        output: Option<PathBuf>,
    },
    /// Check every constraint with the mock prover (EZKL: mock).
    Mock {
        #[command(flatten)]
        ws: Ws,
        #[command(flatten)]
        m: ModelArgs,
        #[arg(short = 'W', long)]
        witness: Option<PathBuf>,
    },
    /// Make a proof (EZKL: prove).
    Prove {
        #[command(flatten)]
        ws: Ws,
        #[command(flatten)]
        m: ModelArgs,
        #[arg(short = 'W', long)]
        witness: Option<PathBuf>,
        #[arg(long = "pk-path")]
        pk_path: Option<PathBuf>,
        #[arg(long = "proof-path")]
        proof_path: Option<PathBuf>,
        #[arg(long = "srs-path")]
        srs_path: Option<PathBuf>,
    },
    /// Verify a proof (EZKL: verify).
    Verify {
        #[command(flatten)]
        ws: Ws,
        #[command(flatten)]
        m: ModelArgs,
        #[arg(long = "proof-path")]
        proof_path: Option<PathBuf>,
        #[arg(long = "vk-path")]
        vk_path: Option<PathBuf>,
        #[arg(long = "srs-path")]
        srs_path: Option<PathBuf>,
    },
    /// Generate and compile the Solidity verifier for the vk (EZKL: create-evm-verifier).
    CreateEvmVerifier {
        #[command(flatten)]
        ws: Ws,
        #[command(flatten)]
        m: ModelArgs,
        #[arg(long = "vk-path")]
        vk_path: Option<PathBuf>,
        #[arg(long = "srs-path")]
        srs_path: Option<PathBuf>,
        /// Where to write the Solidity source (default WORKSPACE/Verifier.sol).
        #[arg(long = "sol-code-path")]
        sol_code_path: Option<PathBuf>,
        /// Where to write the ABI (default WORKSPACE/verifier_abi.json).
        #[arg(long = "abi-path")]
        abi_path: Option<PathBuf>,
    },
    /// Deploy the compiled verifier to a node (EZKL: deploy-evm); writes its address.
    DeployEvm {
        #[command(flatten)]
        ws: Ws,
        #[arg(long = "rpc-url", default_value = cryptoidol::evm::anvil::DEFAULT_RPC_URL)]
        rpc_url: String,
        /// Where to write the address (default WORKSPACE/contract.address).
        #[arg(long = "addr-path")]
        addr_path: Option<PathBuf>,
    },
    /// Verify proof.json on chain (EZKL: verify-evm), printing the verdict and the gas.
    VerifyEvm {
        #[command(flatten)]
        ws: Ws,
        #[arg(long = "rpc-url", default_value = cryptoidol::evm::anvil::DEFAULT_RPC_URL)]
        rpc_url: String,
        /// Verifier address (default: read from WORKSPACE/contract.address).
        #[arg(long = "addr-verifier")]
        addr_verifier: Option<String>,
        #[arg(long = "proof-path")]
        proof_path: Option<PathBuf>,
        /// Run the verifier in an in-process EVM (revm) instead of a node.
        #[arg(long)]
        in_process: bool,
    },
    /// Write the verifier's calldata for proof.json (EZKL: encode-evm-calldata): each public
    /// instance as a 32-byte word, then the proof bytes.
    EncodeEvmCalldata {
        #[command(flatten)]
        ws: Ws,
        #[arg(long = "proof-path")]
        proof_path: Option<PathBuf>,
        /// Where to write the raw calldata (default WORKSPACE/calldata.bin).
        #[arg(long = "calldata-path")]
        calldata_path: Option<PathBuf>,
    },
    /// Measure any Solidity verifier in the in-process EVM: compile it with the project's solc,
    /// deploy it and call it once with raw calldata; prints runtime size, deployment and verify
    /// gas. Used by scripts/bench-vs-ezkl to compare verifiers in one run.
    MeasureEvm {
        #[arg(long = "sol-code-path")]
        sol_code_path: PathBuf,
        #[arg(long = "calldata-path")]
        calldata_path: PathBuf,
        /// The contract to deploy when the file holds several.
        #[arg(long)]
        contract: Option<String>,
        /// Print the measurement as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Judge a recording for an address: score, proof, native and on-chain verdicts, reward.
    /// Writes WORKSPACE/judgement.json. Missing artifacts are made from the defaults.
    Judge {
        /// The recording (WAV).
        clip: PathBuf,
        /// The singer's Ethereum address (0x + 40 hex digits): the proof's public key.
        #[arg(long)]
        key: String,
        #[command(flatten)]
        ws: Ws,
        /// Node to verify on (default: 127.0.0.1:3030 if a node listens there).
        #[arg(long = "rpc-url")]
        rpc_url: Option<String>,
        /// Verify natively only.
        #[arg(long = "no-chain", conflicts_with = "rpc_url")]
        no_chain: bool,
        /// Refuse, instead of making, missing artifacts (judge, settings, keys, contracts).
        #[arg(long = "no-setup")]
        no_setup: bool,
    },
    /// Run the whole tutorial on the embedded default data, writing every artifact to --dir.
    Demo {
        /// Workspace folder for data and artifacts.
        #[arg(long, default_value = "artifacts")]
        dir: PathBuf,
    },
}

/// The workspace folder whose file names are the defaults for every path flag.
#[derive(clap::Args)]
struct Ws {
    /// Workspace folder (default file names: network.onnx, settings.json, pk.key, ...).
    #[arg(long, default_value = "artifacts")]
    dir: PathBuf,
}

/// The model a step needs: the ONNX file and its settings.
#[derive(clap::Args)]
struct ModelArgs {
    #[arg(short = 'M', long)]
    model: Option<PathBuf>,
    #[arg(long = "settings-path")]
    settings_path: Option<PathBuf>,
}

impl ModelArgs {
    /// The model and the SRS for its size: `--srs-path` if given, else the workspace's own
    /// (generated locally the first time).
    fn with_srs(
        &self,
        ws: &Workspace,
        srs_path: Option<PathBuf>,
    ) -> anyhow::Result<(cryptoidol::prove::Model, cryptoidol::srs::Srs)> {
        let model = self.load(ws)?;
        let srs = match srs_path {
            Some(p) => cryptoidol::srs::load_srs(p, model.k()).map_err(Error::from)?,
            None => steps::srs(ws, &model)?,
        };
        Ok((model, srs))
    }

    fn load(&self, ws: &Workspace) -> anyhow::Result<cryptoidol::prove::Model> {
        let onnx = self.model.clone().unwrap_or_else(|| ws.onnx());
        let settings = self.settings_path.clone().unwrap_or_else(|| ws.settings());
        Ok(cryptoidol::prove::Model::load(onnx, settings)?)
    }
}

#[derive(Subcommand)]
enum Figure {
    /// Mel spectrogram heat map of one WAV file.
    Spectrogram {
        wav: PathBuf,
        #[arg(long, short = 'O', default_value = "spectrogram.png")]
        output: PathBuf,
    },
    /// Histogram of the judge's labels over a data folder.
    Labels {
        data_dir: PathBuf,
        #[arg(long, short = 'O', default_value = "labels.png")]
        output: PathBuf,
    },
    /// Loss curves from a train_history.json.
    Loss {
        history: PathBuf,
        #[arg(long, short = 'O', default_value = "loss.png")]
        output: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each cause once: stage errors already show their source in their
/// own message, so a cause whose text is there is not repeated.
fn error_chain(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg = format!("{msg}: {c}");
        }
    }
    msg
}

fn workspace(dir: &Path) -> anyhow::Result<Workspace> {
    Workspace::new(dir).map_err(|source| {
        Error::Io {
            path: dir.to_owned(),
            source,
        }
        .into()
    })
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::VoiceData {
            synthetic,
            out,
            clips_per_cell,
            seed,
        } => {
            if !synthetic {
                anyhow::bail!(
                    "`idol voice-data` only writes the synthetic corpus: pass --synthetic, or download the real corpora with `sh voice_data.sh {}` (needs the kaggle CLI and credentials)",
                    out.display()
                );
            }
            let cfg = synthetic::SyntheticConfig {
                clips_per_cell,
                seed,
            };
            let report = synthetic::write_corpus(&out, &cfg).map_err(Error::from)?;
            println!(
                "wrote {} synthetic clips ({:.1} MB) under {}",
                report.clips,
                report.bytes as f64 / 1e6,
                report.data_dir.display()
            );
        }
        Command::Datasets { data_dir } => {
            let report = dataset::scan(&data_dir).map_err(Error::from)?;
            println!("{}", serde_json::to_string_pretty(&report.to_json())?);
        }
        Command::Mel { wav, json } => {
            let clip = audio::load_clip(&wav, &audio::ClipSpec::tutorial()).map_err(Error::from)?;
            let spec = mel::mel_db(&clip, &mel::MelSpec::librosa_default()).map_err(Error::from)?;
            if json {
                let rows: Vec<&[f32]> = spec.db.chunks(spec.frames).collect();
                let v = serde_json::json!({
                    "path": wav,
                    "shape": spec.shape(),
                    "frames_from_audio": spec.frames_from_audio,
                    "db": rows,
                });
                println!("{}", serde_json::to_string(&v)?);
            } else {
                let min = spec.db.iter().cloned().fold(f32::INFINITY, f32::min);
                println!(
                    "{}: {} Hz, {} ch → {:.2} s at 22050 Hz → mel dB {:?} ({} frames from audio, rest zero-padded), range {min:.1}..0 dB",
                    wav.display(),
                    clip.source_rate,
                    clip.source_channels,
                    clip.seconds(),
                    spec.shape(),
                    spec.frames_from_audio
                );
            }
        }
        Command::Train {
            data,
            out,
            epochs,
            seed,
        } => {
            let ws = workspace(&out)?;
            let cfg = TrainConfig {
                epochs,
                seed,
                ..TrainConfig::tutorial()
            };
            let outcome = steps::train(&data, &ws, &cfg)?;
            print!("{}", outcome.report);
            println!(
                "wrote {}, {}, {}, {}, {}, {} (ONNX round trip max |Δscore| {:.1e})",
                ws.judge().display(),
                ws.history().display(),
                ws.loss_plot().display(),
                ws.onnx().display(),
                ws.input().display(),
                ws.cal().display(),
                outcome.onnx_max_diff
            );
        }
        Command::Widen {
            dir,
            out,
            channels,
            hidden,
        } => {
            let outcome = steps::widen(
                &workspace(&dir)?,
                &workspace(&out)?,
                &WidenConfig { channels, hidden },
            )?;
            println!("{outcome}");
        }
        Command::Plot { figure } => {
            let (fig, output) = match figure {
                Figure::Spectrogram { wav, output } => {
                    let clip = audio::load_clip(&wav, &audio::ClipSpec::tutorial())
                        .map_err(Error::from)?;
                    let spec = mel::mel_db(&clip, &mel::MelSpec::librosa_default())
                        .map_err(Error::from)?;
                    (
                        plot::spectrogram(
                            &spec,
                            format!("mel spectrogram (dB) of {}", wav.display()),
                        ),
                        output,
                    )
                }
                Figure::Labels { data_dir, output } => (
                    plot::label_histogram(&dataset::scan(&data_dir).map_err(Error::from)?),
                    output,
                ),
                Figure::Loss { history, output } => {
                    let text = std::fs::read_to_string(&history).map_err(|source| Error::Io {
                        path: history.clone(),
                        source,
                    })?;
                    let report = serde_json::from_str(&text).map_err(|e| {
                        anyhow::anyhow!(
                            "{} is not a training history written by `idol train`: {e}",
                            history.display()
                        )
                    })?;
                    (plot::loss_curve(&report), output)
                }
            };
            fig.save(&output).map_err(Error::from)?;
            println!("wrote {}", output.display());
        }
        Command::GenSettings {
            ws,
            model,
            settings_path,
        } => {
            let ws = workspace(&ws.dir)?;
            let (s, _) = cryptoidol::settings::gen_settings(model.unwrap_or_else(|| ws.onnx()))?;
            let out = settings_path.unwrap_or_else(|| ws.settings());
            s.save(&out).map_err(Error::from)?;
            println!("{s}\nwrote {}", out.display());
        }
        Command::CalibrateSettings {
            ws,
            model,
            data,
            settings_path,
            target,
        } => {
            let ws = workspace(&ws.dir)?;
            let target =
                cryptoidol::settings::CalibrationTarget::parse(&target).map_err(Error::from)?;
            let model = model.unwrap_or_else(|| ws.onnx());
            let out = settings_path.unwrap_or_else(|| ws.settings());
            let base = if out.is_file() {
                cryptoidol::settings::Settings::load(&out).map_err(Error::from)?
            } else {
                cryptoidol::settings::gen_settings(&model)?.0
            };
            let graph = cryptoidol::onnx::OnnxGraph::load(&model).map_err(Error::from)?;
            base.check_model(&out, &graph).map_err(Error::from)?;
            let cal = cryptoidol::onnx::InputData::load(data.unwrap_or_else(|| ws.cal()))
                .map_err(Error::from)?;
            let (s, _) = cryptoidol::settings::calibrate_settings(&cal, &graph, &base, target)
                .map_err(Error::from)?;
            s.save(&out).map_err(Error::from)?;
            println!("{s}\nwrote {}", out.display());
        }
        Command::GenSrs { srs_path, logrows } => {
            if !(1..=26).contains(&logrows) {
                anyhow::bail!("--logrows {logrows} is out of range (1..=26)");
            }
            let t0 = std::time::Instant::now();
            cryptoidol::srs::gen_srs(logrows, &srs_path).map_err(Error::from)?;
            println!("wrote {} (2^{logrows} points, {:.1} s). INSECURE: its secret existed on this machine; use `idol get-srs` for a ceremony SRS.", srs_path.display(), t0.elapsed().as_secs_f64());
        }
        Command::GetSrs {
            ws,
            logrows,
            settings_path,
            srs_url,
            sha256,
            srs_dir,
        } => {
            let ws = workspace(&ws.dir)?;
            let k = match logrows {
                Some(k) => k,
                None => {
                    cryptoidol::settings::Settings::load(
                        settings_path.unwrap_or_else(|| ws.settings()),
                    )
                    .map_err(Error::from)?
                    .run_args
                    .logrows
                }
            };
            let dir = srs_dir.unwrap_or_else(|| ws.dir.clone());
            if sha256.is_none() {
                eprintln!("warning: no --sha256 given: the download cannot be checked against the ceremony's published hash");
            }
            let (srs, hash) = cryptoidol::srs::get_srs(&srs_url, k, sha256.as_deref(), &dir)
                .map_err(Error::from)?;
            println!("SRS for 2^{k} at {} (sha256 {hash})", srs.path.display());
        }
        Command::Setup {
            ws,
            m,
            srs_path,
            pk_path,
            vk_path,
        } => {
            let ws = workspace(&ws.dir)?;
            let (model, srs) = m.with_srs(&ws, srs_path)?;
            eprintln!("[setup] generating keys for 2^{} rows ...", model.k());
            let keys = cryptoidol::prove::setup(&model, &srs)?;
            let (pk, vk) = (
                pk_path.unwrap_or_else(|| ws.pk()),
                vk_path.unwrap_or_else(|| ws.vk()),
            );
            cryptoidol::prove::save_pk(&keys.pk, &model, &pk).map_err(Error::from)?;
            cryptoidol::prove::save_vk(keys.pk.get_vk(), &model, &vk).map_err(Error::from)?;
            println!(
                "setup in {:.2} s: wrote {} ({:.1} MB) and {}",
                keys.seconds,
                pk.display(),
                std::fs::metadata(&pk).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
                vk.display()
            );
        }
        Command::GenWitness {
            ws,
            m,
            data,
            output,
        } => {
            let ws = workspace(&ws.dir)?;
            let model = m.load(&ws)?;
            let input = cryptoidol::onnx::InputData::load(data.unwrap_or_else(|| ws.input()))
                .map_err(Error::from)?;
            let (w, note) = cryptoidol::prove::gen_witness(&model, &input)?;
            if let Some(n) = note {
                eprintln!("{n}");
            }
            let out = output.unwrap_or_else(|| ws.witness());
            w.save(&out).map_err(Error::from)?;
            println!(
                "score {:.6} (float model {:.6}, |Δ| {:.1e}); key {}; wrote {}",
                w.score,
                w.float_score,
                (w.score - w.float_score).abs(),
                w.key,
                out.display()
            );
        }
        Command::Mock { ws, m, witness } => {
            let ws = workspace(&ws.dir)?;
            let model = m.load(&ws)?;
            let w = cryptoidol::prove::Witness::load(witness.unwrap_or_else(|| ws.witness()))
                .map_err(Error::from)?;
            let report = cryptoidol::prove::mock(&model, &w)?;
            println!("{report}");
            if !report.satisfied {
                anyhow::bail!(
                    "the mock prover found {} failing constraints",
                    report.failures.len()
                );
            }
        }
        Command::Prove {
            ws,
            m,
            witness,
            pk_path,
            proof_path,
            srs_path,
        } => {
            let ws = workspace(&ws.dir)?;
            let (model, srs) = m.with_srs(&ws, srs_path)?;
            let pk = cryptoidol::prove::load_pk(pk_path.unwrap_or_else(|| ws.pk()), &model)
                .map_err(Error::from)?;
            let w = cryptoidol::prove::Witness::load(witness.unwrap_or_else(|| ws.witness()))
                .map_err(Error::from)?;
            eprintln!("[prove] proving 2^{} rows ...", model.k());
            let proof = cryptoidol::prove::prove(&model, &w, &pk, &srs)?;
            let out = proof_path.unwrap_or_else(|| ws.proof());
            proof.save(&out).map_err(Error::from)?;
            println!(
                "proved score {:.6} for key {} in {:.2} s ({} bytes, {}); wrote {}",
                proof.score,
                proof.key,
                proof.seconds,
                proof.bytes().map(|b| b.len()).unwrap_or(0),
                proof.protocol,
                out.display()
            );
        }
        Command::Verify {
            ws,
            m,
            proof_path,
            vk_path,
            srs_path,
        } => {
            let ws = workspace(&ws.dir)?;
            let (model, srs) = m.with_srs(&ws, srs_path)?;
            let vk = cryptoidol::prove::load_vk(vk_path.unwrap_or_else(|| ws.vk()), &model)
                .map_err(Error::from)?;
            let proof = cryptoidol::prove::Proof::load(proof_path.unwrap_or_else(|| ws.proof()))
                .map_err(Error::from)?;
            let verdict = cryptoidol::prove::verify(&proof, &vk, &srs).map_err(Error::from)?;
            println!("{verdict}");
            if !verdict.valid {
                anyhow::bail!("verification failed");
            }
        }
        Command::CreateEvmVerifier {
            ws,
            m,
            vk_path,
            srs_path,
            sol_code_path,
            abi_path,
        } => {
            let ws = workspace(&ws.dir)?;
            let (model, srs) = m.with_srs(&ws, srs_path)?;
            let vk = cryptoidol::prove::load_vk(vk_path.unwrap_or_else(|| ws.vk()), &model)
                .map_err(Error::from)?;
            let c = cryptoidol::evm::create_evm_verifier(
                &srs.params,
                &vk,
                cryptoidol::circuit::NUM_INSTANCES,
            )
            .map_err(Error::from)?;
            let (sol, abi) = (
                sol_code_path.unwrap_or_else(|| ws.verifier_sol()),
                abi_path.unwrap_or_else(|| ws.verifier_abi()),
            );
            c.save(&sol, &abi, &ws.verifier_bin(), &ws.verifier_runtime_bin())
                .map_err(Error::from)?;
            println!(
                "wrote {} ({} bytes of Solidity), {} and {} (runtime {} bytes, EIP-170 limit 24576)",
                sol.display(),
                c.solidity.len(),
                abi.display(),
                ws.verifier_bin().display(),
                c.runtime_code.len()
            );
        }
        Command::DeployEvm {
            ws,
            rpc_url,
            addr_path,
        } => {
            let ws = workspace(&ws.dir)?;
            let d = steps::deploy_evm(&ws, &rpc_url)?;
            let mut written = ws.contract_address();
            if let Some(out) = addr_path {
                steps::save_address(&out, d.address)?;
                written = out;
            }
            println!("{d}; wrote {}", written.display());
        }
        Command::VerifyEvm {
            ws,
            rpc_url,
            addr_verifier,
            proof_path,
            in_process,
        } => {
            let ws = workspace(&ws.dir)?;
            if in_process {
                let r = steps::evm_verify_local(&ws)?;
                println!("{r}");
                if !r.verify.success {
                    anyhow::bail!("the verifier rejected the proof");
                }
                return Ok(());
            }
            let addr = match addr_verifier {
                Some(a) => steps::parse_address(a.trim(), "--addr-verifier")?,
                None => steps::deployed_verifier(&ws)?,
            };
            let proof = cryptoidol::prove::Proof::load(proof_path.unwrap_or_else(|| ws.proof()))
                .map_err(Error::from)?;
            let v = steps::verify_evm(&rpc_url, addr, &proof)?;
            println!("{v}");
            if !v.verdict.accepted {
                anyhow::bail!("the on-chain verifier rejected the proof");
            }
        }
        Command::EncodeEvmCalldata {
            ws,
            proof_path,
            calldata_path,
        } => {
            let ws = workspace(&ws.dir)?;
            let proof = cryptoidol::prove::Proof::load(proof_path.unwrap_or_else(|| ws.proof()))
                .map_err(Error::from)?;
            let data = cryptoidol::evm::calldata(&proof.instance_frs()?, &proof.bytes()?);
            let out = calldata_path.unwrap_or_else(|| ws.calldata());
            std::fs::write(&out, &data)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
            println!("wrote {} ({} bytes)", out.display(), data.len());
        }
        Command::MeasureEvm {
            sol_code_path,
            calldata_path,
            contract,
            json,
        } => {
            let sol = std::fs::read_to_string(&sol_code_path).map_err(|e| {
                anyhow::anyhow!("cannot read the verifier {}: {e}", sol_code_path.display())
            })?;
            let data = std::fs::read(&calldata_path).map_err(|e| {
                anyhow::anyhow!("cannot read the calldata {}: {e}", calldata_path.display())
            })?;
            let m = cryptoidol::evm::measure_verifier(&sol, contract.as_deref(), data)
                .map_err(Error::from)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&m)?);
            } else {
                println!("{m}");
            }
            if !m.accepted {
                anyhow::bail!("the verifier rejected the calldata");
            }
        }
        Command::Judge {
            clip,
            key,
            ws,
            rpc_url,
            no_chain,
            no_setup,
        } => {
            let ws = workspace(&ws.dir)?;
            let opts = cryptoidol::judge::JudgeOptions {
                chain: match (rpc_url, no_chain) {
                    (_, true) => cryptoidol::judge::ChainMode::Off,
                    (Some(url), _) => cryptoidol::judge::ChainMode::At(url),
                    (None, _) => cryptoidol::judge::ChainMode::Auto,
                },
                setup: !no_setup,
            };
            let j = cryptoidol::judge::judge(&ws, &clip, &key, &opts)?;
            println!("{j}");
            println!("wrote {}", ws.judgement().display());
            if !j.all_verified() {
                anyhow::bail!("the proof was not accepted");
            }
        }
        Command::Demo { dir } => demo(&dir)?,
    }
    Ok(())
}

/// The tutorial end to end on the synthetic corpus.
fn demo(dir: &Path) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    let ws = workspace(dir)?;
    println!("== 1. voice data (embedded default: synthetic corpus, no download)");
    if ws.data_root().is_dir() {
        println!("   reusing {}", ws.data_root().display());
    } else {
        let r = synthetic::write_corpus(&ws.dir, &synthetic::SyntheticConfig::tutorial())
            .map_err(Error::from)?;
        println!("   wrote {} clips under {}", r.clips, r.data_dir.display());
    }
    println!("== 2-4. mel spectrograms, training, ONNX export");
    let outcome = steps::train(ws.data_root(), &ws, &TrainConfig::tutorial())?;
    print!("{}", outcome.scan);
    print!("{}", outcome.report);
    println!(
        "   network.onnx round trip: max |Δscore| {:.1e}",
        outcome.onnx_max_diff
    );
    println!("== 5. settings + calibration");
    let (settings, _) = steps::settings(
        &ws,
        cryptoidol::settings::CalibrationTarget::Resources { max_error: 0.002 },
    )?;
    println!("{settings}");
    println!("== 6. SRS, keys, witness, mock, proof, verify");
    let keys = steps::setup(&ws)?;
    println!("   setup {:.2} s", keys.seconds);
    let w = steps::witness(&ws)?;
    println!(
        "   witness: score {:.6} (float {:.6}), key {}",
        w.score, w.float_score, w.key
    );
    println!("   {}", steps::mock(&ws)?);
    let proof = steps::prove(&ws)?;
    println!(
        "   proof: {} bytes in {:.2} s",
        proof.bytes().map(|b| b.len()).unwrap_or(0),
        proof.seconds
    );
    let verdict = steps::verify(&ws)?;
    println!("   {verdict}");
    if !verdict.valid {
        anyhow::bail!("the demo's proof did not verify");
    }
    println!("== 7. EVM verifier (in-process EVM)");
    let c = steps::create_evm_verifier(&ws)?;
    println!(
        "   Verifier.sol: {} bytes of Solidity, runtime {} bytes",
        c.solidity.len(),
        c.runtime_code.len()
    );
    let r = steps::evm_verify_local(&ws)?;
    println!(
        "   on-chain verdict: {} with {} gas (calldata {} bytes)",
        if r.verify.success {
            "ACCEPTED"
        } else {
            "REJECTED"
        },
        r.verify.gas_used,
        r.calldata_bytes
    );
    if !r.verify.success {
        anyhow::bail!("the EVM verifier rejected the demo's proof");
    }
    println!(
        "== done in {:.1} s; artifacts in {}",
        t0.elapsed().as_secs_f64(),
        ws.dir.display()
    );
    Ok(())
}
