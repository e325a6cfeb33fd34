//! Compressed recordings (issue 29): FLAC, MP3, Ogg Vorbis and AAC in M4A, encoded by ffmpeg
//! (tests/fixtures/compressed/make.sh, committed), decode as the references do: FLAC bit for bit
//! as soundfile, MP3 and Vorbis as soundfile to a stated tolerance with the same length (the
//! encoder's delay and padding trimmed), M4A as ffmpeg (its decoding is committed beside it,
//! since soundfile does not read M4A) with the edit list applied; and their features match
//! librosa's. Opus, corrupt and cut files are refused or read with the reason. soundfile's and
//! librosa's readings come from tests/fixtures/compressed/refs.py, run here.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cryptoidol::audio::{decode_audio, load_clip, AudioError, ClipSpec};
use cryptoidol::mel::{mel_db, MelSpec};
use serde::Deserialize;

/// Largest |ours − soundfile| per sample, for MP3 and Vorbis (the decoders' float rounding;
/// measured 2.7e-7 and 1.0e-7).
const LOSSY_SAMPLE_TOLERANCE: f32 = 1e-6;
/// Largest |ours − ffmpeg| per sample for AAC (measured 1.1e-6).
const AAC_SAMPLE_TOLERANCE: f32 = 1e-5;
/// Largest |ours − librosa| of any feature cell, every codec (measured at most 0.0006 dB).
const FEATURE_TOLERANCE_DB: f32 = 0.01;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/compressed")
        .join(name)
}

#[derive(Deserialize)]
struct Manifest {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    rate: u32,
    channels: u16,
    frames: usize,
    mel_frames: usize,
}

struct Refs {
    _dir: tempfile::TempDir,
    root: PathBuf,
    manifest: Manifest,
}

/// soundfile's and librosa's readings, made once per test binary (None when Python is missing
/// and not required).
fn refs() -> Option<&'static Refs> {
    static REFS: OnceLock<Option<Refs>> = OnceLock::new();
    REFS.get_or_init(|| {
        let python = common::python_with("soundfile, librosa", "the compressed-audio references")?;
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(python)
            .arg(fixture("refs.py"))
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "refs.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let manifest: Manifest =
            serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap())
                .unwrap();
        Some(Refs {
            root: dir.path().to_owned(),
            _dir: dir,
            manifest,
        })
    })
    .as_ref()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Samples as the references decode them: FLAC bit for bit, MP3 and Vorbis within
/// LOSSY_SAMPLE_TOLERANCE and the same length (delay and padding trimmed), AAC within
/// AAC_SAMPLE_TOLERANCE of ffmpeg with its priming skipped and the recording's length kept.
#[test]
fn samples_match_soundfile_and_ffmpeg() {
    let Some(r) = refs() else { return };
    assert_eq!(r.manifest.cases.len(), 5);
    for case in &r.manifest.cases {
        let path = fixture(&case.name);
        let d = decode_audio(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (d.sample_rate, d.channels),
            (case.rate, case.channels),
            "{}",
            case.name
        );
        assert!(d.warnings.is_empty(), "{}: {:?}", case.name, d.warnings);
        if case.name.ends_with(".m4a") {
            let ffmpeg = common::read_f32s(&fixture(&format!("{}.ffmpeg.f32", case.name)));
            // ffmpeg 5.1 keeps the last AAC frame whole; the edit list ends the recording
            // at its 2.4 s (38,400 frames), where we stop.
            assert_eq!(
                d.mono.len(),
                38_400,
                "{}: the recording's length",
                case.name
            );
            assert!(ffmpeg.len() >= d.mono.len());
            let worst = max_diff(&d.mono, &ffmpeg);
            eprintln!("{}: max |ours - ffmpeg| = {worst:.2e}", case.name);
            assert!(worst <= AAC_SAMPLE_TOLERANCE, "{}: {worst}", case.name);
            continue;
        }
        let theirs = common::read_f32s(&r.root.join(format!("{}.f32", case.name)));
        let ch = case.channels as usize;
        assert_eq!(theirs.len(), case.frames * ch);
        let theirs: Vec<f32> = theirs
            .chunks_exact(ch)
            .map(|f| f.iter().sum::<f32>() / ch as f32)
            .collect();
        assert_eq!(d.mono.len(), theirs.len(), "{}: frames", case.name);
        let worst = max_diff(&d.mono, &theirs);
        eprintln!("{}: max |ours - soundfile| = {worst:.2e}", case.name);
        if case.name.ends_with(".flac") {
            assert!(
                d.mono
                    .iter()
                    .zip(&theirs)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{}: FLAC is lossless, yet {worst} off soundfile",
                case.name
            );
        } else {
            assert!(worst <= LOSSY_SAMPLE_TOLERANCE, "{}: {worst}", case.name);
        }
    }
}

/// Every feature cell within FEATURE_TOLERANCE_DB of librosa's, every codec (AAC against
/// librosa on ffmpeg's decoding; its last two frames, where ffmpeg keeps the encoder's padding
/// and the recording ends, are left out).
#[test]
fn features_match_librosa() {
    let Some(r) = refs() else { return };
    for case in &r.manifest.cases {
        let clip = load_clip(fixture(&case.name), &ClipSpec::tutorial()).unwrap();
        let ours = mel_db(&clip, &MelSpec::librosa_default()).unwrap();
        let theirs = common::read_f32s(&r.root.join(format!("{}.mel.f32", case.name)));
        let frames = case.mel_frames;
        let compare = if case.name.ends_with(".m4a") {
            ours.frames_from_audio - 2
        } else {
            assert_eq!(ours.frames_from_audio, frames, "{}: frames", case.name);
            frames
        };
        let worst = (0..ours.n_mels)
            .flat_map(|m| (0..compare).map(move |t| (m, t)))
            .map(|(m, t)| (ours.at(m, t) - theirs[m * frames + t]).abs())
            .fold(0.0f32, f32::max);
        eprintln!("{}: max |ours - librosa| {worst:.4} dB", case.name);
        assert!(worst <= FEATURE_TOLERANCE_DB, "{}: {worst} dB", case.name);
    }
}

#[test]
fn opus_is_refused_with_the_conversion() {
    let path = fixture("voice_48000.opus");
    let e = load_clip(&path, &ClipSpec::tutorial()).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, AudioError::Unsupported { .. }), "{e:?}");
    for needle in [
        path.display().to_string(),
        "Opus".into(),
        "ffmpeg -i".into(),
    ] {
        assert!(msg.contains(&needle), "{msg}");
    }
}

/// A frame that fails its checksum is a corrupt file (symphonia drops it; the gap is caught),
/// a file cut short is read as far as it goes with a warning, and what is no recording at all
/// is refused naming the formats read.
#[test]
fn damaged_and_foreign_files_are_refused_or_read_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let flac = std::fs::read(fixture("voice_22050.flac")).unwrap();
    let flipped = dir.path().join("flipped.flac");
    let mut bytes = flac.clone();
    bytes[flac.len() / 2] ^= 0x10;
    std::fs::write(&flipped, &bytes).unwrap();
    let e = decode_audio(&flipped).unwrap_err();
    assert!(matches!(e, AudioError::Corrupt { .. }), "{e:?}");
    assert!(e.to_string().contains("flipped.flac"), "{e}");

    let cut = dir.path().join("cut.flac");
    std::fs::write(&cut, &flac[..flac.len() * 3 / 4]).unwrap();
    let d = decode_audio(&cut).unwrap();
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert!(
        d.warnings[0].contains("cut.flac") && d.warnings[0].contains("ends early"),
        "{:?}",
        d.warnings
    );
    assert!(d.mono.len() > 52_920 / 2 && d.mono.len() < 52_920);

    let text = dir.path().join("notes.mp3");
    std::fs::write(&text, "these are notes, not a recording").unwrap();
    let e = load_clip(&text, &ClipSpec::tutorial()).unwrap_err();
    assert!(matches!(e, AudioError::NotAudio { .. }), "{e:?}");
    for needle in ["notes.mp3", "FLAC, MP3", "ffmpeg -i"] {
        assert!(e.to_string().contains(needle), "{e}");
    }
}

/// The dataset scan and features take compressed clips as they take WAV files.
#[test]
fn the_dataset_scan_takes_compressed_clips() {
    let dir = tempfile::tempdir().unwrap();
    let savee = dir.path().join("data/SAVEE");
    std::fs::create_dir_all(&savee).unwrap();
    for (from, to) in [
        ("voice_22050.flac", "DC_h01.flac"),
        ("voice_44100.mp3", "DC_sa01.MP3"),
        ("voice_22050.ogg", "DC_n01.ogg"),
        ("voice_16000.m4a", "DC_a01.m4a"),
    ] {
        std::fs::copy(fixture(from), savee.join(to)).unwrap();
    }
    std::fs::write(savee.join("DC_f01.txt"), "notes").unwrap();
    let (scan, ds) = cryptoidol::steps::features(dir.path()).unwrap();
    assert_eq!(scan.clips.len(), 4, "{:?}", scan.skipped);
    assert!(
        scan.skipped
            .iter()
            .any(|s| s.reason.contains("not a recording") && s.reason.contains(".flac")),
        "{:?}",
        scan.skipped
    );
    assert_eq!(ds.examples.len(), 4, "{:?}", ds.skipped);
}
