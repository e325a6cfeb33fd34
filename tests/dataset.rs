//! Loaders for the five corpora, on the synthetic corpus and on hand-made trees with the real
//! sets' quirks (issue 2, "Data" and "Bad input").

use std::path::Path;

use cryptoidol::audio::ClipSpec;
use cryptoidol::dataset::{self, Corpus, DatasetError, Emotion};
use cryptoidol::mel::MelSpec;
use cryptoidol::progress::Progress;
use cryptoidol::synthetic::{write_corpus, SyntheticConfig};

fn small() -> SyntheticConfig {
    SyntheticConfig {
        clips_per_cell: 1,
        ..SyntheticConfig::tutorial()
    }
}

#[test]
fn synthetic_corpus_uses_all_five_layouts_and_the_loaders_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_corpus(dir.path(), &small()).unwrap();
    let scan = dataset::scan(dir.path()).unwrap();
    assert_eq!(scan.clips.len(), written.clips);
    let counts = scan.counts();
    assert_eq!(counts.len(), 5, "all five corpora found: {counts:?}");
    // TESS: 2 speakers × 7 emotions; RAVDESS song has no disgust or surprise; CREMA-D no calm.
    assert_eq!(counts[&Corpus::Tess].values().sum::<usize>(), 14);
    assert_eq!(counts[&Corpus::Tess][&Emotion::Surprise], 2);
    assert!(!counts[&Corpus::RavdessSong].contains_key(&Emotion::Disgust));
    assert_eq!(counts[&Corpus::RavdessSpeech].len(), 8);
    assert!(!counts[&Corpus::CremaD].contains_key(&Emotion::Calm));
    assert_eq!(counts[&Corpus::Savee][&Emotion::Surprise], 4);
    // The planted quirks are skipped, each with a reason.
    let skipped: Vec<String> = scan
        .skipped
        .iter()
        .map(|s| format!("{}: {}", s.path.display(), s.reason))
        .collect();
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("1076_MTI_SAD_XX.wav") && s.contains("no samples")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("Info.txt") && s.contains("not a recording")),
        "{skipped:?}"
    );
    assert!(scan.missing.is_empty(), "{:?}", scan.missing);
}

#[test]
fn synthetic_corpus_is_deterministic() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_corpus(a.path(), &small()).unwrap();
    write_corpus(b.path(), &small()).unwrap();
    let f = "data/SAVEE/KL_su01.wav";
    assert_eq!(
        std::fs::read(a.path().join(f)).unwrap(),
        std::fs::read(b.path().join(f)).unwrap()
    );
    let other = SyntheticConfig {
        seed: 99,
        ..small()
    };
    let c = tempfile::tempdir().unwrap();
    write_corpus(c.path(), &other).unwrap();
    assert_ne!(
        std::fs::read(a.path().join(f)).unwrap(),
        std::fs::read(c.path().join(f)).unwrap()
    );
}

fn wav(path: &Path, seconds: f32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(16_000.0 * seconds) as i32 {
        w.write_sample(((i % 100) * 200 - 10_000) as i16).unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn real_set_quirks_are_tolerated_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    // TESS: mixed folder casing, a duplicate nested archive folder, a stray file.
    wav(&d.join("TESS/OAF_Pleasant_surprise/OAF_back_ps.wav"), 2.0);
    wav(&d.join("TESS/YAF_fear/YAF_dog_fear.wav"), 2.0);
    std::fs::create_dir_all(d.join("TESS/OAF_angry/TESS Toronto emotional speech set data"))
        .unwrap();
    std::fs::write(d.join("TESS/.DS_Store"), b"junk").unwrap();
    // RAVDESS: a speech file misfiled in the song folder, a bad emotion code.
    wav(
        &d.join("RAVDESS_SONG/audio_song_actors_01-24/Actor_01/03-02-06-01-02-01-01.wav"),
        2.0,
    );
    wav(
        &d.join("RAVDESS_SONG/audio_song_actors_01-24/Actor_01/03-01-06-01-02-01-01.wav"),
        2.0,
    );
    wav(
        &d.join("RAVDESS_SPEECH/audio_speech_actors_01-24/Actor_02/03-01-09-01-02-01-02.wav"),
        2.0,
    );
    wav(
        &d.join("RAVDESS_SPEECH/audio_speech_actors_01-24/Actor_02/03-01-02-01-02-01-02.wav"),
        2.0,
    );
    // CREMA-D: a too-short clip and a truncated one.
    wav(&d.join("CREMA-D/1001_DFA_ANG_XX.wav"), 2.0);
    wav(&d.join("CREMA-D/1002_IEO_HAP_HI.wav"), 0.2);
    wav(&d.join("CREMA-D/1003_IEO_SAD_LO.wav"), 2.0);
    let cut = d.join("CREMA-D/1003_IEO_SAD_LO.wav");
    let bytes = std::fs::read(&cut).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    // SAVEE: upper-case extension is accepted; unknown code skipped.
    wav(&d.join("SAVEE/DC_su01.WAV"), 2.0);
    wav(&d.join("SAVEE/DC_zz01.wav"), 2.0);

    let scan = dataset::scan(dir.path()).unwrap();
    let found: Vec<(Corpus, Emotion)> = scan.clips.iter().map(|c| (c.corpus, c.emotion)).collect();
    assert_eq!(
        found,
        vec![
            (Corpus::Tess, Emotion::Surprise),
            (Corpus::Tess, Emotion::Fear),
            (Corpus::RavdessSong, Emotion::Fear),
            (Corpus::RavdessSpeech, Emotion::Calm),
            (Corpus::CremaD, Emotion::Angry),
            (Corpus::Savee, Emotion::Surprise),
        ]
    );
    let reason = |needle: &str| {
        scan.skipped
            .iter()
            .find(|s| s.path.to_string_lossy().contains(needle))
            .map(|s| s.reason.clone())
            .unwrap_or_else(|| panic!("{needle} not reported as skipped: {:?}", scan.skipped))
    };
    assert!(reason("TESS Toronto emotional speech set data").contains("folder"));
    assert!(reason(".DS_Store").contains("outside a speaker"));
    assert!(reason("03-01-06-01-02-01-01").contains("vocal channel"));
    assert!(reason("03-01-09").contains("emotion code 09"));
    assert!(reason("1002_IEO_HAP_HI").contains("the judge needs at least 0.6 s"));
    assert!(reason("1003_IEO_SAD_LO").contains("truncated"));
    assert!(reason("DC_zz01").contains("unknown SAVEE emotion code"));
}

#[test]
fn empty_or_half_downloaded_corpus_folder_is_reported_missing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    wav(&d.join("SAVEE/DC_a01.wav"), 2.0);
    std::fs::create_dir_all(d.join("CREMA-D")).unwrap();
    std::fs::write(d.join("CREMA-D/cremad.zip.part"), b"PK\x03\x04 partial").unwrap();
    let scan = dataset::scan(dir.path()).unwrap();
    assert_eq!(scan.clips.len(), 1);
    let crema = scan
        .missing
        .iter()
        .find(|m| m.starts_with("CREMA-D"))
        .expect("CREMA-D reported");
    assert!(crema.contains("half-finished download"), "{crema}");
    assert!(scan
        .missing
        .iter()
        .any(|m| m.starts_with("TESS") && m.contains("voice_data.sh")));
}

#[test]
fn no_data_at_all_is_an_error_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let e = dataset::scan(dir.path().join("nowhere")).unwrap_err();
    assert!(matches!(e, DatasetError::NoRoot { .. }));
    assert!(e.to_string().contains("idol voice-data --synthetic"), "{e}");
    let e = dataset::scan(dir.path()).unwrap_err();
    assert!(matches!(e, DatasetError::NoClips { .. }));
    assert!(e.to_string().contains("voice_data.sh"), "{e}");
}

#[test]
fn features_and_split_follow_the_tutorial() {
    let dir = tempfile::tempdir().unwrap();
    write_corpus(dir.path(), &small()).unwrap();
    let scan = dataset::scan(dir.path()).unwrap();
    let ds = dataset::featurize_clips(
        &scan.clips,
        &ClipSpec::tutorial(),
        &MelSpec::librosa_default(),
        &Progress::quiet("t", 0),
    );
    assert_eq!(ds.examples.len(), scan.clips.len());
    assert!(ds
        .examples
        .iter()
        .all(|e| e.features.shape() == [1, 128, 130]));
    assert!(
        ds.examples
            .iter()
            .any(|e| e.features.frames_from_audio < 130),
        "some synthetic clips are short"
    );
    let n = ds.examples.len();
    let split = ds.split(7).unwrap();
    assert_eq!(split.train.len(), n * 8 / 10);
    assert_eq!(split.test.len(), n * 9 / 10 - n * 8 / 10);
    assert_eq!(split.train.len() + split.test.len() + split.val.len(), n);
    let again = ds.split(7).unwrap();
    assert_eq!(
        split.val.iter().map(|e| &e.clip.path).collect::<Vec<_>>(),
        again.val.iter().map(|e| &e.clip.path).collect::<Vec<_>>()
    );
    let other = ds.split(8).unwrap();
    assert_ne!(
        split.val.iter().map(|e| &e.clip.path).collect::<Vec<_>>(),
        other.val.iter().map(|e| &e.clip.path).collect::<Vec<_>>()
    );
}
