//! `idol`: the tutorial's steps as EZKL-style subcommands.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cryptoidol::{audio, dataset, mel, synthetic};

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
    /// Run the whole tutorial on the embedded default data, writing every artifact to --dir.
    Demo {
        /// Workspace folder for data and artifacts.
        #[arg(long, default_value = "artifacts")]
        dir: PathBuf,
    },
    /// Print the 128×130 dB mel spectrogram of one WAV file (the judge's input features).
    Mel {
        wav: PathBuf,
        /// Print the whole spectrogram as JSON (shape + rows) instead of a summary.
        #[arg(long)]
        json: bool,
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
            let report = synthetic::write_corpus(&out, &cfg).map_err(cryptoidol::Error::from)?;
            println!(
                "wrote {} synthetic clips ({:.1} MB) under {}",
                report.clips,
                report.bytes as f64 / 1e6,
                report.data_dir.display()
            );
        }
        Command::Datasets { data_dir } => {
            let report = dataset::scan(&data_dir).map_err(cryptoidol::Error::from)?;
            println!("{}", serde_json::to_string_pretty(&report.to_json())?);
        }
        Command::Demo { dir } => demo(&dir)?,
        Command::Mel { wav, json } => {
            let clip = audio::load_clip(&wav, &audio::ClipSpec::tutorial())
                .map_err(cryptoidol::Error::from)?;
            let spec = mel::mel_db(&clip, &mel::MelSpec::librosa_default())
                .map_err(cryptoidol::Error::from)
                .with_context(|| format!("features of {}", wav.display()))?;
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
    }
    Ok(())
}

/// The tutorial end to end on the synthetic corpus.
fn demo(dir: &std::path::Path) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    println!("== 1. voice data (embedded default: synthetic corpus, no download)");
    let data_root = dir.join("data");
    if data_root.is_dir() {
        println!("   reusing {}", data_root.display());
    } else {
        let r = synthetic::write_corpus(dir, &synthetic::SyntheticConfig::tutorial())
            .map_err(cryptoidol::Error::from)?;
        println!("   wrote {} clips under {}", r.clips, r.data_dir.display());
    }
    let scan = dataset::scan(dir).map_err(cryptoidol::Error::from)?;
    print!("{scan}");
    println!("== 2. mel spectrograms");
    let ds = dataset::featurize(
        &scan,
        &audio::ClipSpec::tutorial(),
        &mel::MelSpec::librosa_default(),
    );
    println!(
        "   {} clips featurised to 1×128×130 dB mel spectrograms ({} skipped)",
        ds.examples.len(),
        ds.skipped.len()
    );
    println!("== done in {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}
