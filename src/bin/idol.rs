//! `idol`: the tutorial's steps as EZKL-style subcommands. Each calls one library function and
//! prints a one-line summary of what it wrote; errors print their chain and exit non-zero.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
    /// Draw a figure as PNG or SVG (by the --output extension).
    Plot {
        #[command(subcommand)]
        figure: Figure,
    },
    /// Run the whole tutorial on the embedded default data, writing every artifact to --dir.
    Demo {
        /// Workspace folder for data and artifacts.
        #[arg(long, default_value = "artifacts")]
        dir: PathBuf,
    },
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
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
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
    println!(
        "== done in {:.1} s; artifacts in {}",
        t0.elapsed().as_secs_f64(),
        ws.dir.display()
    );
    Ok(())
}
