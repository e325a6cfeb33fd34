//! `voice_data.sh` against a fake `kaggle` on PATH that unpacks each archive's real top-level
//! layout. Kaggle itself cannot be reached from tests (no network, no credentials), so this is
//! the one mocked part of the data pipeline; everything after the download (moving, renaming,
//! skipping, and the loaders reading the result) is real.

use std::path::{Path, PathBuf};
use std::process::Command;

use cryptoidol::dataset::{self, Corpus};

const FAKE_KAGGLE: &str = r#"#!/bin/sh
# Fake kaggle CLI: `kaggle datasets download SLUG -p DIR --unzip` unpacks the archive's layout.
echo "$*" >> "$FAKE_KAGGLE_LOG"
[ "$1" = datasets ] && [ "$2" = download ] || { echo "unexpected: $*" >&2; exit 3; }
slug=$3; dir=$5
[ "$FAIL_SLUG" = "$slug" ] && { echo "403 - Forbidden" >&2; exit 1; }
put() { mkdir -p "$(dirname "$dir/$1")"; cp "$FAKE_WAV" "$dir/$1"; }
case "$slug" in
  ejlok1/toronto-emotional-speech-set-tess)
    t="TESS Toronto emotional speech set data"
    put "$t/OAF_angry/OAF_back_angry.wav"; put "$t/YAF_pleasant_surprised/YAF_dog_ps.wav"
    put "$t/$t/OAF_angry/OAF_back_angry.wav" ;;
  uwrfkaggler/ravdess-emotional-song-audio)
    put "audio_song_actors_01-24/Actor_01/03-02-03-01-01-01-01.wav"; put "Actor_01/03-02-03-01-01-01-01.wav" ;;
  uwrfkaggler/ravdess-emotional-speech-audio)
    put "audio_speech_actors_01-24/Actor_02/03-01-08-01-01-01-02.wav"; put "Actor_02/03-01-08-01-01-01-02.wav" ;;
  ejlok1/cremad) put "AudioWAV/1001_DFA_DIS_XX.wav" ;;
  ejlok1/surrey-audiovisual-expressed-emotion-savee) put "ALL/DC_sa01.wav" ;;
  *) echo "404 - Not Found" >&2; exit 1 ;;
esac
"#;

struct Env {
    _tmp: tempfile::TempDir,
    bin: PathBuf,
    home: PathBuf,
    out: PathBuf,
    log: PathBuf,
    wav: PathBuf,
}

fn env(with_kaggle: bool, with_credentials: bool) -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(home.join(".kaggle")).unwrap();
    if with_kaggle {
        let k = bin.join("kaggle");
        std::fs::write(&k, FAKE_KAGGLE).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    if with_credentials {
        std::fs::write(
            home.join(".kaggle/kaggle.json"),
            r#"{"username":"u","key":"k"}"#,
        )
        .unwrap();
    }
    let wav = tmp.path().join("clip.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for i in 0..16_000 {
        w.write_sample(((i % 50) * 300 - 7_000) as i16).unwrap();
    }
    w.finalize().unwrap();
    Env {
        out: tmp.path().join("voice"),
        log: tmp.path().join("kaggle.log"),
        _tmp: tmp,
        bin,
        home,
        wav,
    }
}

fn run(e: &Env, fail_slug: &str) -> std::process::Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("voice_data.sh");
    Command::new("sh")
        .arg(script)
        .arg(&e.out)
        .env("PATH", format!("{}:/usr/bin:/bin", e.bin.display()))
        .env("HOME", &e.home)
        .env_remove("KAGGLE_USERNAME")
        .env_remove("KAGGLE_KEY")
        .env_remove("KAGGLE_CONFIG_DIR")
        .env("FAKE_KAGGLE_LOG", &e.log)
        .env("FAKE_WAV", &e.wav)
        .env("FAIL_SLUG", fail_slug)
        .output()
        .unwrap()
}

#[test]
fn downloads_all_five_corpora_into_the_tutorial_layout_and_is_idempotent() {
    let e = env(true, true);
    let out = run(&e, "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data = e.out.join("data");
    for p in [
        "TESS/OAF_angry/OAF_back_angry.wav",
        "TESS/YAF_pleasant_surprised/YAF_dog_ps.wav",
        "RAVDESS_SONG/audio_song_actors_01-24/Actor_01/03-02-03-01-01-01-01.wav",
        "RAVDESS_SPEECH/audio_speech_actors_01-24/Actor_02/03-01-08-01-01-01-02.wav",
        "CREMA-D/1001_DFA_DIS_XX.wav",
        "SAVEE/DC_sa01.wav",
    ] {
        assert!(data.join(p).is_file(), "missing {p}");
    }
    assert!(
        !data
            .join("TESS/TESS Toronto emotional speech set data")
            .exists(),
        "nested duplicate removed"
    );
    assert!(std::fs::read_dir(&data).unwrap().all(|d| !d
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with(".download")));
    let scan = dataset::scan(&e.out).unwrap();
    assert_eq!(scan.counts().len(), 5);
    assert_eq!(scan.clips.len(), 6);
    assert!(scan.clips.iter().any(|c| c.corpus == Corpus::Savee));

    let calls = std::fs::read_to_string(&e.log).unwrap().lines().count();
    assert_eq!(calls, 5);
    let again = run(&e, "");
    assert!(again.status.success());
    assert_eq!(
        std::fs::read_to_string(&e.log).unwrap().lines().count(),
        5,
        "second run downloads nothing"
    );
    assert_eq!(
        String::from_utf8_lossy(&again.stdout)
            .matches("present, skipped")
            .count(),
        5
    );
}

#[test]
fn a_failed_download_leaves_no_half_corpus_and_a_rerun_resumes() {
    let e = env(true, true);
    let out = run(&e, "ejlok1/cremad");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("downloading ejlok1/cremad failed") && err.contains("run the script again"),
        "{err}"
    );
    let data = e.out.join("data");
    assert!(
        data.join("TESS").is_dir()
            && !data.join("CREMA-D").exists()
            && !data.join(".download-CREMA-D").exists()
    );
    let out = run(&e, "");
    assert!(out.status.success());
    assert!(data.join("CREMA-D/1001_DFA_DIS_XX.wav").is_file() && data.join("SAVEE").is_dir());
}

#[test]
fn missing_kaggle_cli_or_credentials_say_how_to_fix_it() {
    let e = env(false, true);
    let out = run(&e, "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pip install kaggle"));

    let e = env(true, false);
    let out = run(&e, "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("kaggle.json") && err.contains("KAGGLE_USERNAME"),
        "{err}"
    );
    assert!(!e.log.exists(), "nothing downloaded without credentials");
}
