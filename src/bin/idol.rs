//! `idol`: the tutorial's steps as EZKL-style subcommands. Each calls one library function and
//! prints a one-line summary of what it wrote; errors print their chain and exit non-zero.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use cryptoidol::model::WidenConfig;
use cryptoidol::train::TrainConfig;
use cryptoidol::workspace::{Artifact, Workspace};
use cryptoidol::{steps, synthetic, Error};

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
    VoiceData(VoiceDataArgs),
    /// Count the clips the loaders find per corpus and emotion, and list skipped files (JSON).
    Datasets(DatasetsArgs),
    /// Print the 128×130 dB mel spectrogram of one recording (the judge's input features).
    Mel(MelArgs),
    /// Train the judge; write judge.safetensors, train_history.json, loss.png, network.onnx,
    /// input.json and cal.json into --out.
    Train(TrainArgs),
    /// Widen (or deepen) the trained judge of --dir into a new workspace --out: more conv
    /// channels, an optional hidden ReLU layer; input.json and cal.json come along. Such models
    /// get the layered circuit; every later step runs on --out unchanged.
    Widen(WidenArgs),
    /// Draw a figure as PNG or SVG (by the --output extension).
    Plot(PlotArgs),
    /// Make settings.json for a model with default scales (EZKL: gen-settings).
    GenSettings(GenSettingsArgs),
    /// Choose scales and table ranges from calibration data (EZKL: calibrate-settings), starting
    /// from the settings file if it exists for this model.
    CalibrateSettings(CalibrateSettingsArgs),
    /// Generate a local KZG SRS (INSECURE: for tests and demos).
    GenSrs(GenSrsArgs),
    /// Download a ceremony KZG SRS, check its SHA-256 and cache it.
    GetSrs(GetSrsArgs),
    /// Generate the proving and verifying keys (EZKL: setup).
    Setup(SetupArgs),
    /// Compute the witness for input.json (EZKL: gen-witness).
    GenWitness(GenWitnessArgs),
    /// Check every constraint with the mock prover (EZKL: mock).
    Mock(MockArgs),
    /// Make a proof (EZKL: prove).
    Prove(ProveArgs),
    /// Verify a proof (EZKL: verify): settings, proof, vk and SRS; no model needed.
    Verify(VerifyArgs),
    /// Generate and compile the Solidity verifier for the vk (EZKL: create-evm-verifier); no
    /// model needed.
    CreateEvmVerifier(CreateEvmVerifierArgs),
    /// Deploy the verifier to a node (EZKL: deploy-evm); writes its address.
    DeployEvm(DeployEvmArgs),
    /// Verify proof.json on chain (EZKL: verify-evm), printing the verdict and the gas.
    VerifyEvm(VerifyEvmArgs),
    /// Write the verifier's calldata for proof.json (EZKL: encode-evm-calldata): the call
    /// `verifyProof(bytes proof, uint256[] instances)`, ABI-encoded.
    EncodeEvmCalldata(EncodeEvmCalldataArgs),
    /// Print d, the input digest of input.json's recording (last line: 0x + 64 hex digits): what
    /// a proof of it records and a contest registers, computed without proving.
    Commit(CommitArgs),
    /// Deploy a contest over the deployed verifier: a RecordingRegistry (the sender is its
    /// organizer) and a JudgeRewards paying registered recordings; writes NAME.address and
    /// NAME_abi.json for both.
    DeployContest(DeployContestArgs),
    /// The organizer registers input.json's recording (its d) for the singer's key.
    Register(RegisterArgs),
    /// Submit proof.json to the contest's JudgeRewards: prints who was credited, or the
    /// contract's reason for refusing (then exits non-zero).
    Submit(SubmitArgs),
    /// Measure any Solidity verifier in the in-process EVM: compile it with the project's solc,
    /// deploy it and call it once with raw calldata; prints runtime size, deployment and verify
    /// gas. Used by scripts/bench-vs-ezkl to compare verifiers in one run.
    MeasureEvm(MeasureEvmArgs),
    /// Judge a recording for an address: score, proof, native and on-chain verdicts, reward.
    /// Writes WORKSPACE/judgement.json. Missing artifacts are made from the defaults.
    Judge(JudgeArgs),
    /// Run the whole tutorial on the embedded default data, writing every artifact to --dir.
    Demo(DemoArgs),
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
    /// The ONNX model (default WORKSPACE/network.onnx).
    #[arg(short = 'M', long)]
    model: Option<PathBuf>,
    /// The circuit settings (default WORKSPACE/settings.json).
    #[arg(long = "settings-path")]
    settings_path: Option<PathBuf>,
}

impl ModelArgs {
    fn apply(self, ws: Workspace) -> Workspace {
        ws.with(Artifact::Onnx, self.model)
            .with(Artifact::Settings, self.settings_path)
    }
}

/// The SRS a step needs.
#[derive(clap::Args)]
struct SrsArg {
    /// The KZG SRS (default WORKSPACE/kzg<k>.srs; make one with `idol gen-srs` or fetch one
    /// with `idol get-srs`). Keys record the SRS they were made with; another is refused.
    #[arg(long = "srs-path")]
    srs_path: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Figure {
    /// Mel spectrogram heat map of one WAV file.
    Spectrogram {
        /// The WAV file.
        wav: PathBuf,
        /// The image to write (.png or .svg).
        #[arg(long, short = 'O', default_value = "spectrogram.png")]
        output: PathBuf,
    },
    /// Histogram of the judge's labels over a data folder.
    Labels {
        /// The data folder (as for `idol datasets`).
        data_dir: PathBuf,
        /// The image to write (.png or .svg).
        #[arg(long, short = 'O', default_value = "labels.png")]
        output: PathBuf,
    },
    /// Loss curves from a train_history.json.
    Loss {
        /// A train_history.json written by `idol train`.
        history: PathBuf,
        /// The image to write (.png or .svg).
        #[arg(long, short = 'O', default_value = "loss.png")]
        output: PathBuf,
    },
}

/// `println!` to stdout that hands a write error back to the caller (so `?` ends the command)
/// instead of panicking: see [`closed_stdout`].
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($t)*)?
    }};
}

/// `print!` that hands a write error back, as [`outln!`] does.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($t)*)?
    }};
}

/// The reader of stdout went away (`idol mel x.wav --json | head`): the command ends quietly and
/// successfully, as Unix tools do, since nobody is left to read the rest.
fn closed_stdout(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let step = matches.subcommand_name().unwrap_or_default().to_string();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if closed_stdout(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: idol {step}: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each cause once: stage errors already show their source in their
/// own message, so a cause whose text is there is not repeated. A stage's error is said without
/// its stage's label: `main` labels it with the subcommand the user ran.
fn error_chain(e: &anyhow::Error) -> String {
    let mut msg = match e.downcast_ref::<Error>() {
        Some(stage) => stage.detail(),
        None => e.to_string(),
    };
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
        Command::VoiceData(args) => args.run(),
        Command::Datasets(args) => args.run(),
        Command::Mel(args) => args.run(),
        Command::Train(args) => args.run(),
        Command::Widen(args) => args.run(),
        Command::Plot(args) => args.run(),
        Command::GenSettings(args) => args.run(),
        Command::CalibrateSettings(args) => args.run(),
        Command::GenSrs(args) => args.run(),
        Command::GetSrs(args) => args.run(),
        Command::Setup(args) => args.run(),
        Command::GenWitness(args) => args.run(),
        Command::Mock(args) => args.run(),
        Command::Prove(args) => args.run(),
        Command::Verify(args) => args.run(),
        Command::CreateEvmVerifier(args) => args.run(),
        Command::DeployEvm(args) => args.run(),
        Command::VerifyEvm(args) => args.run(),
        Command::EncodeEvmCalldata(args) => args.run(),
        Command::MeasureEvm(args) => args.run(),
        Command::Commit(args) => args.run(),
        Command::DeployContest(args) => args.run(),
        Command::Register(args) => args.run(),
        Command::Submit(args) => args.run(),
        Command::Judge(args) => args.run(),
        Command::Demo(args) => args.run(),
    }
}

/// Arguments of `idol voice-data`.
#[derive(clap::Args)]
struct VoiceDataArgs {
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
}

impl VoiceDataArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            synthetic,
            out,
            clips_per_cell,
            seed,
        } = self;
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
        let report = steps::synthetic_corpus(&out, &cfg)?;
        outln!(
            "wrote {} synthetic clips ({:.1} MB) under {}",
            report.clips,
            report.bytes as f64 / 1e6,
            report.data_dir.display()
        );
        Ok(())
    }
}

/// Arguments of `idol datasets`.
#[derive(clap::Args)]
struct DatasetsArgs {
    /// The folder `voice_data.sh` wrote into (holding `data/`), or `data/` itself.
    data_dir: PathBuf,
}

impl DatasetsArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self { data_dir } = self;
        let report = steps::scan(&data_dir)?;
        outln!("{}", serde_json::to_string_pretty(&report.to_json())?);
        Ok(())
    }
}

/// Arguments of `idol mel`.
#[derive(clap::Args)]
struct MelArgs {
    /// The recording: WAV, FLAC, MP3, Ogg Vorbis or AAC in M4A/MP4.
    wav: PathBuf,
    /// Print the whole spectrogram as JSON (shape + rows) instead of a summary.
    #[arg(long)]
    json: bool,
}

impl MelArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self { wav, json } = self;
        let (clip, spec) = steps::mel(&wav)?;
        for w in &clip.warnings {
            eprintln!("note: {w}");
        }
        if json {
            let rows: Vec<&[f32]> = spec.db.chunks(spec.frames).collect();
            let v = serde_json::json!({
                "path": wav,
                "shape": spec.shape(),
                "frames_from_audio": spec.frames_from_audio,
                "db": rows,
            });
            outln!("{}", serde_json::to_string(&v)?);
        } else {
            let min = spec.db.iter().cloned().fold(f32::INFINITY, f32::min);
            outln!(
                "{}: {} ({} Hz, {} ch) → {:.2} s at 22050 Hz → mel dB {:?} ({} frames from audio, rest zero-padded), range {min:.1}..0 dB",
                wav.display(),
                clip.source_format,
                clip.source_rate,
                clip.source_channels,
                clip.seconds(),
                spec.shape(),
                spec.frames_from_audio
            );
        }
        Ok(())
    }
}

/// Arguments of `idol train`.
#[derive(clap::Args)]
struct TrainArgs {
    /// The data folder (as for `idol datasets`).
    #[arg(long, short = 'D')]
    data: PathBuf,
    /// Workspace folder for the artifacts.
    #[arg(long, short = 'O', default_value = "artifacts")]
    out: PathBuf,
    /// Training epochs.
    #[arg(long, default_value_t = TrainConfig::tutorial().epochs)]
    epochs: usize,
    /// Seed of the split, the initial weights and the batches.
    #[arg(long, default_value_t = TrainConfig::tutorial().seed)]
    seed: u64,
}

impl TrainArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            data,
            out,
            epochs,
            seed,
        } = self;
        let ws = workspace(&out)?;
        let cfg = TrainConfig {
            epochs,
            seed,
            ..TrainConfig::tutorial()
        };
        let outcome = steps::train(&data, &ws, &cfg)?;
        out!("{}", outcome.report);
        outln!(
            "wrote {}, {}, {}, {}, {}, {} (ONNX round trip max |Δscore| {:.1e})",
            ws.judge().display(),
            ws.history().display(),
            ws.loss_plot().display(),
            ws.onnx().display(),
            ws.input().display(),
            ws.cal().display(),
            outcome.onnx_max_diff
        );
        Ok(())
    }
}

/// Arguments of `idol widen`.
#[derive(clap::Args)]
struct WidenArgs {
    /// The workspace with the trained judge (judge.safetensors, input.json, cal.json).
    #[arg(long, default_value = "artifacts")]
    dir: PathBuf,
    /// The new workspace.
    #[arg(long, short = 'O')]
    out: PathBuf,
    /// Conv channels of the widened judge.
    #[arg(long, default_value_t = WidenConfig::two_channels().channels)]
    channels: usize,
    /// Neurons of a hidden dense ReLU layer before the output (0: none).
    #[arg(long, default_value_t = WidenConfig::two_channels().hidden)]
    hidden: usize,
}

impl WidenArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            dir,
            out,
            channels,
            hidden,
        } = self;
        let outcome = steps::widen(
            &workspace(&dir)?,
            &workspace(&out)?,
            &WidenConfig { channels, hidden },
        )?;
        outln!("{outcome}");
        Ok(())
    }
}

/// Arguments of `idol plot`.
#[derive(clap::Args)]
struct PlotArgs {
    #[command(subcommand)]
    figure: Figure,
}

impl PlotArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self { figure } = self;
        let (fig, output) = match figure {
            Figure::Spectrogram { wav, output } => (steps::spectrogram_figure(&wav)?, output),
            Figure::Labels { data_dir, output } => (steps::labels_figure(&data_dir)?, output),
            Figure::Loss { history, output } => (steps::loss_figure(&history)?, output),
        };
        fig.save(&output).map_err(Error::from)?;
        outln!("wrote {}", output.display());
        Ok(())
    }
}

/// Arguments of `idol gen-settings`.
#[derive(clap::Args)]
struct GenSettingsArgs {
    #[command(flatten)]
    ws: Ws,
    /// The ONNX model (default WORKSPACE/network.onnx).
    #[arg(short = 'M', long)]
    model: Option<PathBuf>,
    /// Where to write settings.json (default WORKSPACE/settings.json).
    #[arg(short = 'O', long = "settings-path")]
    settings_path: Option<PathBuf>,
}

impl GenSettingsArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            model,
            settings_path,
        } = self;
        let ws = workspace(&ws.dir)?
            .with(Artifact::Onnx, model)
            .with(Artifact::Settings, settings_path);
        let s = steps::gen_settings(&ws)?;
        outln!("{s}\nwrote {}", ws.settings().display());
        Ok(())
    }
}

/// Arguments of `idol calibrate-settings`.
#[derive(clap::Args)]
struct CalibrateSettingsArgs {
    #[command(flatten)]
    ws: Ws,
    /// The ONNX model (default WORKSPACE/network.onnx).
    #[arg(short = 'M', long)]
    model: Option<PathBuf>,
    /// Calibration inputs (EZKL input format), default WORKSPACE/cal.json.
    #[arg(short = 'D', long)]
    data: Option<PathBuf>,
    /// The settings to start from and overwrite (default WORKSPACE/settings.json).
    #[arg(short = 'O', long = "settings-path")]
    settings_path: Option<PathBuf>,
    /// `resources` (smallest table within 0.002 score error) or `accuracy` (finest table that fits).
    #[arg(long, default_value = "resources")]
    target: String,
}

impl CalibrateSettingsArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            model,
            data,
            settings_path,
            target,
        } = self;
        let target =
            cryptoidol::settings::CalibrationTarget::parse(&target).map_err(Error::from)?;
        let ws = workspace(&ws.dir)?
            .with(Artifact::Onnx, model)
            .with(Artifact::Cal, data)
            .with(Artifact::Settings, settings_path);
        let (s, _) = steps::calibrate_settings(&ws, target)?;
        outln!("{s}\nwrote {}", ws.settings().display());
        Ok(())
    }
}

/// Arguments of `idol gen-srs`.
#[derive(clap::Args)]
struct GenSrsArgs {
    /// Where to write the SRS.
    #[arg(long = "srs-path")]
    srs_path: PathBuf,
    /// Log2 of its size (the circuit's rows).
    #[arg(long)]
    logrows: u32,
}

impl GenSrsArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self { srs_path, logrows } = self;
        if !(1..=26).contains(&logrows) {
            anyhow::bail!("--logrows {logrows} is out of range (1..=26)");
        }
        let t0 = std::time::Instant::now();
        steps::gen_srs(logrows, &srs_path)?;
        outln!("wrote {} (2^{logrows} points, {:.1} s). INSECURE: its secret existed on this machine; use `idol get-srs` for a ceremony SRS.", srs_path.display(), t0.elapsed().as_secs_f64());
        Ok(())
    }
}

/// Arguments of `idol get-srs`.
#[derive(clap::Args)]
struct GetSrsArgs {
    #[command(flatten)]
    ws: Ws,
    /// Log2 of the size; default from settings.json.
    #[arg(long)]
    logrows: Option<u32>,
    /// The settings whose logrows to use (default WORKSPACE/settings.json).
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
}

impl GetSrsArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            logrows,
            settings_path,
            srs_url,
            sha256,
            srs_dir,
        } = self;
        let ws = workspace(&ws.dir)?.with(Artifact::Settings, settings_path);
        let dir = srs_dir.unwrap_or_else(|| ws.dir.clone());
        if sha256.is_none() {
            eprintln!("warning: no --sha256 given: the download is not checked; the converted ceremony files have no published hash, so pass the SHA-256 your team pinned (the one printed below, on the first download)");
        }
        let (srs, hash) = steps::get_srs(&ws, logrows, &srs_url, sha256.as_deref(), &dir)?;
        outln!(
            "SRS for 2^{} at {} (sha256 {hash})",
            srs.k(),
            srs.path.display()
        );
        Ok(())
    }
}

/// Arguments of `idol setup`.
#[derive(clap::Args)]
struct SetupArgs {
    #[command(flatten)]
    ws: Ws,
    #[command(flatten)]
    m: ModelArgs,
    #[command(flatten)]
    srs: SrsArg,
    /// Where to write the proving key (default WORKSPACE/pk.key).
    #[arg(long = "pk-path")]
    pk_path: Option<PathBuf>,
    /// Where to write the verifying key (default WORKSPACE/vk.key).
    #[arg(long = "vk-path")]
    vk_path: Option<PathBuf>,
}

impl SetupArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            m,
            srs,
            pk_path,
            vk_path,
        } = self;
        let ws = m
            .apply(workspace(&ws.dir)?)
            .with(Artifact::Srs, srs.srs_path)
            .with(Artifact::Pk, pk_path)
            .with(Artifact::Vk, vk_path);
        let keys = steps::setup(&ws)?;
        outln!(
            "setup in {:.2} s: wrote {} ({:.1} MB) and {}",
            keys.seconds,
            ws.pk().display(),
            std::fs::metadata(ws.pk()).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
            ws.vk().display()
        );
        Ok(())
    }
}

/// Arguments of `idol gen-witness`.
#[derive(clap::Args)]
struct GenWitnessArgs {
    #[command(flatten)]
    ws: Ws,
    #[command(flatten)]
    m: ModelArgs,
    /// The input (EZKL input format), default WORKSPACE/input.json.
    #[arg(short = 'D', long)]
    data: Option<PathBuf>,
    /// Where to write the witness (default WORKSPACE/witness.json).
    #[arg(short = 'O', long)]
    output: Option<PathBuf>,
}

impl GenWitnessArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            m,
            data,
            output,
        } = self;
        let ws = m
            .apply(workspace(&ws.dir)?)
            .with(Artifact::Input, data)
            .with(Artifact::Witness, output);
        let w = steps::witness(&ws)?;
        outln!(
            "score {:.6} (float model {:.6}, |Δ| {:.1e}); key {}; wrote {}",
            w.score,
            w.float_score,
            (w.score - w.float_score).abs(),
            w.key,
            ws.witness().display()
        );
        Ok(())
    }
}

/// Arguments of `idol mock`.
#[derive(clap::Args)]
struct MockArgs {
    #[command(flatten)]
    ws: Ws,
    #[command(flatten)]
    m: ModelArgs,
    /// The witness (default WORKSPACE/witness.json).
    #[arg(short = 'W', long)]
    witness: Option<PathBuf>,
}

impl MockArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self { ws, m, witness } = self;
        let ws = m
            .apply(workspace(&ws.dir)?)
            .with(Artifact::Witness, witness);
        let report = steps::mock(&ws)?;
        outln!("{report}");
        if !report.satisfied {
            anyhow::bail!(
                "the mock prover found {} failing constraints",
                report.failures.len()
            );
        }
        Ok(())
    }
}

/// Arguments of `idol prove`.
#[derive(clap::Args)]
struct ProveArgs {
    #[command(flatten)]
    ws: Ws,
    #[command(flatten)]
    m: ModelArgs,
    /// The witness (default WORKSPACE/witness.json).
    #[arg(short = 'W', long)]
    witness: Option<PathBuf>,
    /// The proving key (default WORKSPACE/pk.key).
    #[arg(long = "pk-path")]
    pk_path: Option<PathBuf>,
    /// Where to write the proof (default WORKSPACE/proof.json).
    #[arg(long = "proof-path")]
    proof_path: Option<PathBuf>,
    #[command(flatten)]
    srs: SrsArg,
}

impl ProveArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            m,
            witness,
            pk_path,
            proof_path,
            srs,
        } = self;
        let ws = m
            .apply(workspace(&ws.dir)?)
            .with(Artifact::Witness, witness)
            .with(Artifact::Pk, pk_path)
            .with(Artifact::Proof, proof_path)
            .with(Artifact::Srs, srs.srs_path);
        let proof = steps::prove(&ws)?;
        outln!(
            "proved score {:.6} for key {} in {:.2} s ({} bytes, {}); wrote {}",
            proof.score,
            proof.key,
            proof.seconds,
            proof.bytes.len(),
            cryptoidol::prove::PROTOCOL,
            ws.proof().display()
        );
        Ok(())
    }
}

/// Arguments of `idol verify`.
#[derive(clap::Args)]
struct VerifyArgs {
    #[command(flatten)]
    ws: Ws,
    /// The settings the keys were made with (default WORKSPACE/settings.json).
    #[arg(long = "settings-path")]
    settings_path: Option<PathBuf>,
    /// The proof (default WORKSPACE/proof.json).
    #[arg(long = "proof-path")]
    proof_path: Option<PathBuf>,
    /// The verifying key (default WORKSPACE/vk.key).
    #[arg(long = "vk-path")]
    vk_path: Option<PathBuf>,
    #[command(flatten)]
    srs: SrsArg,
    /// Also check that the proof is of this input (EZKL input format): its input digest d
    /// must be the proof's.
    #[arg(short = 'D', long)]
    data: Option<PathBuf>,
}

impl VerifyArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            settings_path,
            proof_path,
            vk_path,
            srs,
            data,
        } = self;
        let ws = workspace(&ws.dir)?
            .with(Artifact::Settings, settings_path)
            .with(Artifact::Proof, proof_path)
            .with(Artifact::Vk, vk_path)
            .with(Artifact::Srs, srs.srs_path);
        let verdict = steps::verify(&ws)?;
        outln!("{verdict}");
        if !verdict.valid {
            anyhow::bail!("verification failed");
        }
        if let Some(input) = data {
            let check = steps::check_input(&ws, &input)?;
            outln!("{check}");
            if !check.matches() {
                anyhow::bail!("the proof is not of {}", input.display());
            }
        }
        Ok(())
    }
}

/// Arguments of `idol create-evm-verifier`.
#[derive(clap::Args)]
struct CreateEvmVerifierArgs {
    #[command(flatten)]
    ws: Ws,
    /// The settings the keys were made with (default WORKSPACE/settings.json).
    #[arg(long = "settings-path")]
    settings_path: Option<PathBuf>,
    /// The verifying key (default WORKSPACE/vk.key).
    #[arg(long = "vk-path")]
    vk_path: Option<PathBuf>,
    #[command(flatten)]
    srs: SrsArg,
    /// Where to write the Solidity source (default WORKSPACE/Verifier.sol).
    #[arg(long = "sol-code-path")]
    sol_code_path: Option<PathBuf>,
    /// Where to write the ABI (default WORKSPACE/verifier_abi.json).
    #[arg(long = "abi-path")]
    abi_path: Option<PathBuf>,
}

impl CreateEvmVerifierArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            settings_path,
            vk_path,
            srs,
            sol_code_path,
            abi_path,
        } = self;
        let ws = workspace(&ws.dir)?
            .with(Artifact::Settings, settings_path)
            .with(Artifact::Vk, vk_path)
            .with(Artifact::Srs, srs.srs_path)
            .with(Artifact::VerifierSol, sol_code_path)
            .with(Artifact::VerifierAbi, abi_path);
        let c = steps::create_evm_verifier(&ws)?;
        outln!(
            "wrote {} ({} bytes of Solidity), {} and {} (runtime {} bytes, EIP-170 limit 24576)",
            ws.verifier_sol().display(),
            c.solidity.len(),
            ws.verifier_abi().display(),
            ws.verifier_bin().display(),
            c.runtime_code.len()
        );
        Ok(())
    }
}

/// Arguments of `idol deploy-evm`.
#[derive(clap::Args)]
struct DeployEvmArgs {
    #[command(flatten)]
    ws: Ws,
    /// A Solidity verifier to compile and deploy (default: the bytecode
    /// `create-evm-verifier` wrote, WORKSPACE/Verifier.bin).
    #[arg(long = "sol-code-path")]
    sol_code_path: Option<PathBuf>,
    /// The node's JSON-RPC URL.
    #[arg(long = "rpc-url", default_value = cryptoidol::evm::anvil::DEFAULT_RPC_URL)]
    rpc_url: String,
    /// Where to write the address (default WORKSPACE/contract.address).
    #[arg(long = "addr-path")]
    addr_path: Option<PathBuf>,
}

impl DeployEvmArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            sol_code_path,
            rpc_url,
            addr_path,
        } = self;
        let ws = workspace(&ws.dir)?
            .with(Artifact::VerifierSol, sol_code_path)
            .with(Artifact::ContractAddress, addr_path);
        let d = steps::deploy_evm(&ws, &rpc_url)?;
        outln!("{d}; wrote {}", ws.contract_address().display());
        Ok(())
    }
}

/// Arguments of `idol verify-evm`.
#[derive(clap::Args)]
struct VerifyEvmArgs {
    #[command(flatten)]
    ws: Ws,
    /// The node's JSON-RPC URL.
    #[arg(long = "rpc-url", default_value = cryptoidol::evm::anvil::DEFAULT_RPC_URL)]
    rpc_url: String,
    /// Verifier address (default: read from WORKSPACE/contract.address).
    #[arg(long = "addr-verifier")]
    addr_verifier: Option<String>,
    /// The proof (default WORKSPACE/proof.json).
    #[arg(long = "proof-path")]
    proof_path: Option<PathBuf>,
    /// Run the verifier in an in-process EVM (revm) instead of a node.
    #[arg(long)]
    in_process: bool,
}

impl VerifyEvmArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            rpc_url,
            addr_verifier,
            proof_path,
            in_process,
        } = self;
        let ws = workspace(&ws.dir)?.with(Artifact::Proof, proof_path);
        if in_process {
            let r = steps::evm_verify_local(&ws)?;
            outln!("{r}");
            if !r.verify.success {
                anyhow::bail!("the verifier rejected the proof");
            }
            return Ok(());
        }
        let addr = match addr_verifier {
            Some(a) => Some(steps::parse_address(a.trim(), "--addr-verifier")?),
            None => None,
        };
        let v = steps::verify_evm_deployed(&ws, &rpc_url, addr)?;
        outln!("{v}");
        if !v.verdict.accepted {
            anyhow::bail!("the on-chain verifier rejected the proof");
        }
        Ok(())
    }
}

/// Arguments of `idol encode-evm-calldata`.
#[derive(clap::Args)]
struct EncodeEvmCalldataArgs {
    #[command(flatten)]
    ws: Ws,
    /// The proof (default WORKSPACE/proof.json).
    #[arg(long = "proof-path")]
    proof_path: Option<PathBuf>,
    /// Where to write the raw calldata (default WORKSPACE/calldata.bin).
    #[arg(long = "calldata-path")]
    calldata_path: Option<PathBuf>,
}

impl EncodeEvmCalldataArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            proof_path,
            calldata_path,
        } = self;
        let ws = workspace(&ws.dir)?
            .with(Artifact::Proof, proof_path)
            .with(Artifact::Calldata, calldata_path);
        let data = steps::encode_evm_calldata(&ws)?;
        outln!("wrote {} ({} bytes)", ws.calldata().display(), data.len());
        Ok(())
    }
}

/// Arguments of `idol measure-evm`.
#[derive(clap::Args)]
struct MeasureEvmArgs {
    /// The Solidity verifier to measure.
    #[arg(long = "sol-code-path")]
    sol_code_path: PathBuf,
    /// Raw calldata to call it with (`idol encode-evm-calldata`).
    #[arg(long = "calldata-path")]
    calldata_path: PathBuf,
    /// The contract to deploy when the file holds several.
    #[arg(long)]
    contract: Option<String>,
    /// Print the measurement as JSON.
    #[arg(long)]
    json: bool,
}

impl MeasureEvmArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            sol_code_path,
            calldata_path,
            contract,
            json,
        } = self;
        let m = steps::measure_evm(&sol_code_path, &calldata_path, contract.as_deref())?;
        if json {
            outln!("{}", serde_json::to_string_pretty(&m)?);
        } else {
            outln!("{m}");
        }
        if !m.accepted {
            anyhow::bail!("the verifier rejected the calldata");
        }
        Ok(())
    }
}

/// Arguments of `idol commit`.
#[derive(clap::Args)]
struct CommitArgs {
    #[command(flatten)]
    ws: Ws,
    /// The input (EZKL input format; default WORKSPACE/input.json).
    #[arg(short = 'D', long)]
    data: Option<PathBuf>,
    /// The settings (default WORKSPACE/settings.json).
    #[arg(long = "settings-path")]
    settings_path: Option<PathBuf>,
    #[command(flatten)]
    srs: SrsArg,
}

impl CommitArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            data,
            settings_path,
            srs,
        } = self;
        let ws = workspace(&ws.dir)?
            .with(Artifact::Input, data)
            .with(Artifact::Settings, settings_path)
            .with(Artifact::Srs, srs.srs_path);
        let c = steps::commit(&ws)?;
        if let Some(w) = c.srs_warning() {
            eprintln!("warning: {w}");
        }
        outln!("{} under {}", c.input.display(), c.srs.display());
        outln!("{}", c.input_digest);
        Ok(())
    }
}

/// The node and the sender of a contest transaction (EZKL's flags).
#[derive(clap::Args)]
struct Sender {
    /// The node's JSON-RPC URL.
    #[arg(long = "rpc-url", default_value = cryptoidol::evm::anvil::DEFAULT_RPC_URL)]
    rpc_url: String,
    /// The sender's private key (hex); default: the node's development account 0 (anvil's
    /// public test key, never for a real network).
    #[arg(long = "private-key", env = "IDOL_PRIVATE_KEY", hide_env_values = true)]
    private_key: Option<String>,
}

/// Arguments of `idol deploy-contest`.
#[derive(clap::Args)]
struct DeployContestArgs {
    #[command(flatten)]
    ws: Ws,
    #[command(flatten)]
    sender: Sender,
    /// The deployed verifier's address file (default WORKSPACE/contract.address).
    #[arg(long = "verifier-addr-path")]
    verifier_addr_path: Option<PathBuf>,
    /// Where to write JudgeRewards' address (default WORKSPACE/JudgeRewards.address).
    #[arg(long = "addr-path")]
    addr_path: Option<PathBuf>,
}

impl DeployContestArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            sender,
            verifier_addr_path,
            addr_path,
        } = self;
        let ws = workspace(&ws.dir)?
            .with(Artifact::ContractAddress, verifier_addr_path)
            .with(Artifact::RewardsAddress, addr_path);
        let c = steps::deploy_contest(&ws, &sender.rpc_url, sender.private_key.as_deref())?;
        outln!("{c}");
        outln!(
            "wrote {}, {} and their ABIs",
            ws.registry_address().display(),
            ws.rewards_address().display()
        );
        Ok(())
    }
}

/// Arguments of `idol register`.
#[derive(clap::Args)]
struct RegisterArgs {
    #[command(flatten)]
    ws: Ws,
    #[command(flatten)]
    sender: Sender,
    /// The recording's input (EZKL input format; default WORKSPACE/input.json).
    #[arg(short = 'D', long)]
    data: Option<PathBuf>,
    /// The singer's address, 0x + 40 hex digits: the key the reward goes to.
    #[arg(long)]
    key: String,
    /// The registry's address file (default WORKSPACE/RecordingRegistry.address).
    #[arg(long = "addr-path")]
    addr_path: Option<PathBuf>,
}

impl RegisterArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            sender,
            data,
            key,
            addr_path,
        } = self;
        let ws = workspace(&ws.dir)?
            .with(Artifact::Input, data)
            .with(Artifact::RegistryAddress, addr_path);
        let key = steps::parse_address(&key, "--key")?;
        let r = steps::register(&ws, &sender.rpc_url, sender.private_key.as_deref(), key)?;
        outln!("{r}");
        Ok(())
    }
}

/// Arguments of `idol submit`.
#[derive(clap::Args)]
struct SubmitArgs {
    #[command(flatten)]
    ws: Ws,
    #[command(flatten)]
    sender: Sender,
    /// The proof (default WORKSPACE/proof.json).
    #[arg(long = "proof-path")]
    proof_path: Option<PathBuf>,
    /// JudgeRewards' address file (default WORKSPACE/JudgeRewards.address).
    #[arg(long = "addr-path")]
    addr_path: Option<PathBuf>,
}

impl SubmitArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            ws,
            sender,
            proof_path,
            addr_path,
        } = self;
        let ws = workspace(&ws.dir)?
            .with(Artifact::Proof, proof_path)
            .with(Artifact::RewardsAddress, addr_path);
        let s = steps::submit(&ws, &sender.rpc_url, sender.private_key.as_deref())?;
        outln!("{s}");
        if !s.attempt.accepted {
            anyhow::bail!(
                "the submission was refused: {}",
                s.attempt
                    .reason
                    .as_deref()
                    .unwrap_or("the transaction reverted")
            );
        }
        Ok(())
    }
}

/// Arguments of `idol judge`.
#[derive(clap::Args)]
struct JudgeArgs {
    /// The recording: WAV, FLAC, MP3, Ogg Vorbis or AAC in M4A/MP4.
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
    /// On chain, verify only: no registration in the contest, no submission to JudgeRewards.
    #[arg(long = "no-contest")]
    no_contest: bool,
}

impl JudgeArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self {
            clip,
            key,
            ws,
            rpc_url,
            no_chain,
            no_setup,
            no_contest,
        } = self;
        let ws = workspace(&ws.dir)?;
        let opts = cryptoidol::judge::JudgeOptions {
            chain: match (rpc_url, no_chain) {
                (_, true) => cryptoidol::judge::ChainMode::Off,
                (Some(url), _) => cryptoidol::judge::ChainMode::At(url),
                (None, _) => cryptoidol::judge::ChainMode::Auto,
            },
            setup: !no_setup,
            contest: !no_contest,
        };
        let j = cryptoidol::judge::judge(&ws, &clip, &key, &opts)?;
        outln!("{j}");
        outln!("wrote {}", ws.judgement().display());
        if !j.all_verified() {
            anyhow::bail!("the proof was not accepted");
        }
        Ok(())
    }
}

/// Arguments of `idol demo`.
#[derive(clap::Args)]
struct DemoArgs {
    /// Workspace folder for data and artifacts.
    #[arg(long, default_value = "artifacts")]
    dir: PathBuf,
}

impl DemoArgs {
    fn run(self) -> anyhow::Result<()> {
        let Self { dir } = self;
        demo(&dir)?;
        Ok(())
    }
}

/// The tutorial end to end on the synthetic corpus.
fn demo(dir: &Path) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    let ws = workspace(dir)?;
    outln!("== 1. voice data (embedded default: synthetic corpus, no download)");
    if ws.data_root().is_dir() {
        outln!("   reusing {}", ws.data_root().display());
    } else {
        let r = steps::synthetic_corpus(&ws.dir, &synthetic::SyntheticConfig::tutorial())?;
        outln!("   wrote {} clips under {}", r.clips, r.data_dir.display());
    }
    outln!("== 2-4. mel spectrograms, training, ONNX export");
    let outcome = steps::train(ws.data_root(), &ws, &TrainConfig::tutorial())?;
    out!("{}", outcome.scan);
    out!("{}", outcome.report);
    outln!(
        "   network.onnx round trip: max |Δscore| {:.1e}",
        outcome.onnx_max_diff
    );
    outln!("== 5. settings + calibration");
    let (settings, _) = steps::settings(
        &ws,
        cryptoidol::settings::CalibrationTarget::Resources { max_error: 0.002 },
    )?;
    outln!("{settings}");
    outln!("== 6. SRS, keys, witness, mock, proof, verify");
    let srs = steps::local_srs(&ws, settings.run_args.logrows)?;
    outln!(
        "   SRS {} (local, insecure: the demo's own)",
        srs.path.display()
    );
    let keys = steps::setup(&ws)?;
    outln!("   setup {:.2} s", keys.seconds);
    let w = steps::witness(&ws)?;
    outln!(
        "   witness: score {:.6} (float {:.6}), key {}",
        w.score,
        w.float_score,
        w.key
    );
    outln!("   {}", steps::mock(&ws)?);
    let proof = steps::prove(&ws)?;
    outln!(
        "   proof: {} bytes in {:.2} s",
        proof.bytes.len(),
        proof.seconds
    );
    let verdict = steps::verify(&ws)?;
    outln!("   {verdict}");
    if !verdict.valid {
        anyhow::bail!("the demo's proof did not verify");
    }
    outln!("== 7. EVM verifier (in-process EVM)");
    let c = steps::create_evm_verifier(&ws)?;
    outln!(
        "   Verifier.sol: {} bytes of Solidity, runtime {} bytes",
        c.solidity.len(),
        c.runtime_code.len()
    );
    let r = steps::evm_verify_local(&ws)?;
    outln!(
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
    outln!(
        "== done in {:.1} s; artifacts in {}",
        t0.elapsed().as_secs_f64(),
        ws.dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flag and argument of every subcommand says what it is for (issue 15).
    #[test]
    fn every_flag_has_a_help_line() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "idol", &mut missing);
        assert!(missing.is_empty(), "flags without a help line: {missing:?}");
    }
}
