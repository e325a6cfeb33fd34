//! Every format a WAV header can declare decodes exactly as soundfile (libsndfile) decodes it,
//! or is refused naming the format and the conversion (issue 17). The files and soundfile's and
//! librosa's readings of them come from tests/fixtures/wav/formats.py, run here.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cryptoidol::audio::wav::WavInfo;
use cryptoidol::audio::{clip_from_decoded, decode_wav, load_clip, AudioError, ClipSpec};
use cryptoidol::mel::{mel_db, MelSpec};
use serde::Deserialize;

#[derive(Deserialize)]
struct Manifest {
    decode: Vec<Case>,
    refuse: Vec<Refusal>,
    libsndfile: String,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    writer: String,
    rate: u32,
    channels: u16,
    frames: u64,
    mel_shape: Option<[usize; 2]>,
}

#[derive(Deserialize)]
struct Refusal {
    name: String,
    writer: String,
    names: String,
}

struct Corpus {
    _dir: tempfile::TempDir,
    root: PathBuf,
    manifest: Manifest,
}

/// The corpus, written once per test binary (None when Python is missing and not required).
fn corpus() -> Option<&'static Corpus> {
    static CORPUS: OnceLock<Option<Corpus>> = OnceLock::new();
    CORPUS
        .get_or_init(|| {
            let python = common::python_with("soundfile, librosa", "the WAV format corpus")?;
            let dir = tempfile::tempdir().unwrap();
            let script =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wav/formats.py");
            let out = std::process::Command::new(python)
                .arg(script)
                .arg(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "formats.py failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let manifest: Manifest =
                serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap())
                    .unwrap();
            Some(Corpus {
                root: dir.path().to_owned(),
                _dir: dir,
                manifest,
            })
        })
        .as_ref()
}

#[test]
fn every_format_decodes_bit_exactly_as_soundfile() {
    let Some(c) = corpus() else { return };
    assert!(c.manifest.decode.len() >= 25);
    for case in &c.manifest.decode {
        let path = c.root.join(format!("{}.wav", case.name));
        let (info, mut file) =
            WavInfo::open(&path).unwrap_or_else(|e| panic!("{}: {e}", case.writer));
        assert_eq!(
            (info.sample_rate, info.channels, info.frames),
            (case.rate, case.channels, case.frames),
            "{} ({}): header",
            case.name,
            case.writer
        );
        let ours = info.read_frames(&mut file, 0, info.frames).unwrap();
        let theirs = common::read_f32s(&c.root.join(format!("{}.f32", case.name)));
        assert_eq!(ours.len(), theirs.len(), "{}: sample count", case.name);
        let differ = ours
            .iter()
            .zip(&theirs)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(
            differ,
            0,
            "{} ({}, {}): {differ} samples differ from libsndfile {}",
            case.name,
            case.writer,
            info.describe(),
            c.manifest.libsndfile
        );
    }
}

#[test]
fn the_window_read_equals_the_full_decode_on_every_format() {
    let Some(c) = corpus() else { return };
    let spec = ClipSpec::tutorial();
    for case in &c.manifest.decode {
        let path = c.root.join(format!("{}.wav", case.name));
        let window = load_clip(&path, &spec).unwrap();
        let full = clip_from_decoded(&path, decode_wav(&path).unwrap(), &spec).unwrap();
        assert_eq!(window.samples.len(), full.samples.len(), "{}", case.name);
        assert!(
            window
                .samples
                .iter()
                .zip(&full.samples)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{}: the window read differs from the whole-file decode",
            case.name
        );
    }
}

#[test]
fn features_match_librosa_on_every_format_at_22050_hz() {
    let Some(c) = corpus() else { return };
    let mut checked = 0;
    for case in &c.manifest.decode {
        let Some([bands, frames]) = case.mel_shape else {
            continue;
        };
        let path = c.root.join(format!("{}.wav", case.name));
        let ours = mel_db(
            &load_clip(&path, &ClipSpec::tutorial()).unwrap(),
            &MelSpec::librosa_default(),
        )
        .unwrap();
        let theirs = common::read_f32s(&c.root.join(format!("{}.mel.f32", case.name)));
        // librosa's spectrogram of a short clip has fewer frames; ours is zero-padded after them.
        assert_eq!(
            (ours.n_mels, ours.frames_from_audio),
            (bands, frames),
            "{}: shape",
            case.name
        );
        let max = (0..bands * frames)
            .map(|i| (ours.at(i / frames, i % frames) - theirs[i]).abs())
            .fold(0.0f32, f32::max);
        eprintln!("{:>24}: max |ours - librosa| = {max:.5} dB", case.name);
        assert!(
            max <= 0.01,
            "{} ({}): {max} dB off librosa",
            case.name,
            case.writer
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} formats at 22 050 Hz");
}

#[test]
fn other_encodings_are_refused_naming_the_format_and_the_conversion() {
    let Some(c) = corpus() else { return };
    assert!(c.manifest.refuse.len() >= 4);
    for case in &c.manifest.refuse {
        let path = c.root.join(format!("{}.wav", case.name));
        let e = load_clip(&path, &ClipSpec::tutorial()).unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, AudioError::Unsupported { .. }),
            "{} ({}): {e:?}",
            case.name,
            case.writer
        );
        for needle in [
            path.display().to_string(),
            case.names.clone(),
            "sox ".into(),
            "ffmpeg ".into(),
        ] {
            assert!(
                msg.contains(&needle),
                "{}: {msg:?} lacks {needle:?}",
                case.name
            );
        }
    }
}
