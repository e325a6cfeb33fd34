//! `$VOICE_DATA_DIR/data` → [`ScanReport`] of labelled clips → [`Dataset`] of (spectrogram, score)
//! → [`Split`] 80/10/10.
//!
//! The loaders follow each corpus's real file-naming rules (see [`Corpus`]) and never stop at a
//! bad file: anything they cannot use goes into [`ScanReport::skipped`] with the reason, so that
//! `idol datasets` shows exactly what the judge will and will not hear.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::audio::{self, ClipSpec};
use crate::mel::{MelExtractor, MelSpec, Spectrogram};
use crate::progress::Progress;

/// The eight emotions the five corpora share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Emotion {
    Neutral,
    Calm,
    Happy,
    Sad,
    Angry,
    Fear,
    Disgust,
    Surprise,
}

impl Emotion {
    pub const ALL: [Emotion; 8] = [
        Emotion::Neutral,
        Emotion::Calm,
        Emotion::Happy,
        Emotion::Sad,
        Emotion::Angry,
        Emotion::Fear,
        Emotion::Disgust,
        Emotion::Surprise,
    ];

    /// The judge's preference, as in the tutorial: surprise 1.0, disgust 0.0, fear 0.2,
    /// happy 0.4, sad 0.6, every other emotion 0.8.
    pub fn score(self) -> f32 {
        match self {
            Emotion::Surprise => 1.0,
            Emotion::Disgust => 0.0,
            Emotion::Fear => 0.2,
            Emotion::Happy => 0.4,
            Emotion::Sad => 0.6,
            Emotion::Neutral | Emotion::Calm | Emotion::Angry => 0.8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Emotion::Neutral => "neutral",
            Emotion::Calm => "calm",
            Emotion::Happy => "happy",
            Emotion::Sad => "sad",
            Emotion::Angry => "angry",
            Emotion::Fear => "fear",
            Emotion::Disgust => "disgust",
            Emotion::Surprise => "surprise",
        }
    }

    /// RAVDESS's third file-name field: 01 neutral … 08 surprise.
    pub(crate) fn from_ravdess_code(code: &str) -> Option<Self> {
        let n: usize = code.parse().ok()?;
        (1..=8).contains(&n).then(|| Self::ALL[n - 1])
    }
}

impl fmt::Display for Emotion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The five public corpora, with the folder `voice_data.sh` leaves each in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Corpus {
    /// `TESS/<speaker>_<emotion>/<spk>_<word>_<emo>.wav`, emo in angry disgust fear happy
    /// neutral ps sad (`ps` = pleasant surprise). Folder casing varies; only the file name counts.
    #[serde(rename = "TESS")]
    Tess,
    /// `RAVDESS_SONG/audio_song_actors_01-24/Actor_NN/03-02-EE-II-SS-RR-AA.wav`.
    #[serde(rename = "RAVDESS_SONG")]
    RavdessSong,
    /// `RAVDESS_SPEECH/audio_speech_actors_01-24/Actor_NN/03-01-EE-II-SS-RR-AA.wav`.
    #[serde(rename = "RAVDESS_SPEECH")]
    RavdessSpeech,
    /// `CREMA-D/<actor>_<sentence>_<EMO>_<level>.wav`, EMO in ANG DIS FEA HAP NEU SAD.
    #[serde(rename = "CREMA-D")]
    CremaD,
    /// `SAVEE/<spk>_<code><NN>.wav`, code in a d f h n sa su.
    #[serde(rename = "SAVEE")]
    Savee,
}

impl Corpus {
    pub const ALL: [Corpus; 5] = [
        Corpus::Tess,
        Corpus::RavdessSong,
        Corpus::RavdessSpeech,
        Corpus::CremaD,
        Corpus::Savee,
    ];

    /// Folder name under `data/`.
    pub fn folder(self) -> &'static str {
        match self {
            Corpus::Tess => "TESS",
            Corpus::RavdessSong => "RAVDESS_SONG",
            Corpus::RavdessSpeech => "RAVDESS_SPEECH",
            Corpus::CremaD => "CREMA-D",
            Corpus::Savee => "SAVEE",
        }
    }

    /// Folder holding the actor folders (RAVDESS) or the files (the others), below `data/`.
    fn clip_root(self) -> PathBuf {
        match self {
            Corpus::RavdessSong => Path::new("RAVDESS_SONG").join("audio_song_actors_01-24"),
            Corpus::RavdessSpeech => Path::new("RAVDESS_SPEECH").join("audio_speech_actors_01-24"),
            other => PathBuf::from(other.folder()),
        }
    }

    /// Whether clips sit one folder down (speaker/actor folders) or directly in the root.
    fn nested(self) -> bool {
        matches!(
            self,
            Corpus::Tess | Corpus::RavdessSong | Corpus::RavdessSpeech
        )
    }

    /// Emotion from a file name, by this corpus's naming rule; `Err` says why not.
    pub(crate) fn parse_name(self, file_name: &str) -> Result<Emotion, String> {
        let stem = RECORDING_EXTENSIONS
            .iter()
            .find_map(|ext| {
                let (stem, e) = file_name.rsplit_once('.')?;
                e.eq_ignore_ascii_case(ext).then_some(stem)
            })
            .ok_or_else(|| {
                format!(
                    "not a recording (.{} files are read)",
                    RECORDING_EXTENSIONS.join(", .")
                )
            })?;
        match self {
            Corpus::Tess => {
                let parts: Vec<&str> = stem.split('_').collect();
                if parts.len() != 3 {
                    return Err(format!(
                        "expected <speaker>_<word>_<emotion>.wav, got {} '_'-separated parts",
                        parts.len()
                    ));
                }
                match parts[2].to_ascii_lowercase().as_str() {
                    "angry" => Ok(Emotion::Angry),
                    "disgust" => Ok(Emotion::Disgust),
                    "fear" => Ok(Emotion::Fear),
                    "happy" => Ok(Emotion::Happy),
                    "neutral" => Ok(Emotion::Neutral),
                    "ps" => Ok(Emotion::Surprise),
                    "sad" => Ok(Emotion::Sad),
                    other => Err(format!("unknown TESS emotion '{other}'")),
                }
            }
            Corpus::RavdessSong | Corpus::RavdessSpeech => {
                let parts: Vec<&str> = stem.split('-').collect();
                if parts.len() != 7 || parts.iter().any(|p| p.parse::<u32>().is_err()) {
                    return Err(
                        "expected seven '-'-separated numbers (03-0C-EE-II-SS-RR-AA)".into(),
                    );
                }
                let channel = if self == Corpus::RavdessSong {
                    "02"
                } else {
                    "01"
                };
                if parts[1] != channel {
                    return Err(format!(
                        "vocal channel {} does not belong in {} (expected {channel})",
                        parts[1],
                        self.folder()
                    ));
                }
                Emotion::from_ravdess_code(parts[2])
                    .ok_or_else(|| format!("unknown RAVDESS emotion code {}", parts[2]))
            }
            Corpus::CremaD => {
                let parts: Vec<&str> = stem.split('_').collect();
                if parts.len() != 4 {
                    return Err(format!(
                        "expected <actor>_<sentence>_<EMO>_<level>.wav, got {} parts",
                        parts.len()
                    ));
                }
                match parts[2] {
                    "ANG" => Ok(Emotion::Angry),
                    "DIS" => Ok(Emotion::Disgust),
                    "FEA" => Ok(Emotion::Fear),
                    "HAP" => Ok(Emotion::Happy),
                    "NEU" => Ok(Emotion::Neutral),
                    "SAD" => Ok(Emotion::Sad),
                    other => Err(format!("unknown CREMA-D emotion '{other}'")),
                }
            }
            Corpus::Savee => {
                let (_, rest) = stem
                    .split_once('_')
                    .ok_or_else(|| "expected <speaker>_<code><NN>.wav".to_string())?;
                let code = rest.trim_end_matches(|c: char| c.is_ascii_digit());
                if code.len() == rest.len() {
                    return Err("expected a sentence number after the emotion code".into());
                }
                match code {
                    "a" => Ok(Emotion::Angry),
                    "d" => Ok(Emotion::Disgust),
                    "f" => Ok(Emotion::Fear),
                    "h" => Ok(Emotion::Happy),
                    "n" => Ok(Emotion::Neutral),
                    "sa" => Ok(Emotion::Sad),
                    "su" => Ok(Emotion::Surprise),
                    other => Err(format!("unknown SAVEE emotion code '{other}'")),
                }
            }
        }
    }
}

impl fmt::Display for Corpus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.folder())
    }
}

/// One usable recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabeledClip {
    pub corpus: Corpus,
    pub emotion: Emotion,
    pub path: PathBuf,
}

impl LabeledClip {
    pub fn score(&self) -> f32 {
        self.emotion.score()
    }
}

/// A file the loaders did not use, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// What the loaders found under a data root.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanReport {
    pub root: PathBuf,
    pub clips: Vec<LabeledClip>,
    pub skipped: Vec<Skipped>,
    /// Corpora whose folder is absent or holds no clip, with the fix.
    pub missing: Vec<String>,
}

impl ScanReport {
    /// Clips per corpus per emotion.
    pub fn counts(&self) -> BTreeMap<Corpus, BTreeMap<Emotion, usize>> {
        let mut out: BTreeMap<Corpus, BTreeMap<Emotion, usize>> = BTreeMap::new();
        for c in &self.clips {
            *out.entry(c.corpus)
                .or_default()
                .entry(c.emotion)
                .or_default() += 1;
        }
        out
    }

    /// The JSON `idol datasets` prints: counts, skipped files with reasons, missing corpora.
    pub fn to_json(&self) -> serde_json::Value {
        let counts: serde_json::Map<String, serde_json::Value> = self
            .counts()
            .into_iter()
            .map(|(corpus, per)| {
                let per: serde_json::Map<String, serde_json::Value> = per
                    .into_iter()
                    .map(|(e, n)| (e.name().to_string(), n.into()))
                    .collect();
                (corpus.folder().to_string(), per.into())
            })
            .collect();
        serde_json::json!({
            "root": self.root,
            "total": self.clips.len(),
            "counts": counts,
            "skipped": self.skipped,
            "missing": self.missing,
        })
    }
}

impl fmt::Display for ScanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} clips under {}",
            self.clips.len(),
            self.root.display()
        )?;
        for (corpus, per) in self.counts() {
            let cells: Vec<String> = per.iter().map(|(e, n)| format!("{e} {n}")).collect();
            writeln!(f, "  {:<15} {}", corpus.folder(), cells.join(", "))?;
        }
        if !self.skipped.is_empty() {
            writeln!(f, "  skipped {} files:", self.skipped.len())?;
            for s in self.skipped.iter().take(10) {
                writeln!(f, "    {}: {}", s.path.display(), s.reason)?;
            }
        }
        for m in &self.missing {
            writeln!(f, "  missing: {m}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{root} does not exist. Download the corpora with `sh voice_data.sh {root}` or write the embedded default with `idol voice-data --synthetic --out {root}`.")]
    NoRoot { root: PathBuf },
    #[error("no clips found under {root} (looked for {looked}). Download the corpora with `sh voice_data.sh` or write the embedded default with `idol voice-data --synthetic --out DIR`.")]
    NoClips { root: PathBuf, looked: String },
    #[error("only {got} clips have usable features; the 80/10/10 split needs at least {need}. Add data (`idol voice-data --synthetic --clips-per-cell N`).")]
    TooFew { got: usize, need: usize },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Resolve a data root: `DIR/data` if it exists (what `voice_data.sh DIR` leaves), else `DIR`.
pub(crate) fn resolve_root(dir: &Path) -> PathBuf {
    let nested = dir.join("data");
    if nested.is_dir() {
        nested
    } else {
        dir.to_owned()
    }
}

/// Scan all five corpora under `dir` (or `dir/data`).
///
/// Files are checked by name and by WAV header (the same reader the features use), so empty, truncated or non-WAV files
/// with a `.wav` name are reported as skipped here rather than failing later.
pub fn scan(dir: impl AsRef<Path>) -> Result<ScanReport, DatasetError> {
    let dir = dir.as_ref();
    if !dir.exists() {
        return Err(DatasetError::NoRoot {
            root: dir.to_owned(),
        });
    }
    let root = resolve_root(dir);
    let mut report = ScanReport {
        root: root.clone(),
        ..Default::default()
    };
    for corpus in Corpus::ALL {
        let before = report.clips.len();
        let clip_root = root.join(corpus.clip_root());
        if !clip_root.is_dir() {
            report.missing.push(format!(
                "{} (no folder {}): run `sh voice_data.sh` or `idol voice-data --synthetic`",
                corpus.folder(),
                clip_root.display()
            ));
            continue;
        }
        let mut files = Vec::new();
        for entry in sorted_entries(&clip_root)? {
            if corpus.nested() {
                if entry.is_dir() {
                    for inner in sorted_entries(&entry)? {
                        if inner.is_dir() {
                            report.skipped.push(Skipped {
                                path: inner,
                                reason: "unexpected folder inside a speaker folder (a duplicate copy from the archive?)".into(),
                            });
                        } else {
                            files.push(inner);
                        }
                    }
                } else {
                    report.skipped.push(Skipped {
                        path: entry,
                        reason: "file outside a speaker/actor folder".into(),
                    });
                }
            } else if entry.is_dir() {
                report.skipped.push(Skipped {
                    path: entry,
                    reason: "unexpected folder".into(),
                });
            } else {
                files.push(entry);
            }
        }
        for path in files {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match corpus.parse_name(&name) {
                Err(reason) => report.skipped.push(Skipped { path, reason }),
                Ok(emotion) => match check_header(&path) {
                    Err(reason) => report.skipped.push(Skipped { path, reason }),
                    Ok(()) => report.clips.push(LabeledClip {
                        corpus,
                        emotion,
                        path,
                    }),
                },
            }
        }
        if report.clips.len() == before {
            report.missing.push(format!(
                "{} (folder {} holds no usable clip: a half-finished download? delete it and rerun `sh voice_data.sh`)",
                corpus.folder(),
                clip_root.display()
            ));
        }
    }
    if report.clips.is_empty() {
        return Err(DatasetError::NoClips {
            root,
            looked: Corpus::ALL.map(|c| c.folder()).join(", "),
        });
    }
    Ok(report)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let rd = std::fs::read_dir(dir).map_err(|source| DatasetError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut out: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    out.sort();
    Ok(out)
}

/// The file extensions the scan takes as recordings (any case): WAV and the compressed formats
/// the audio reader decodes.
pub const RECORDING_EXTENSIONS: [&str; 6] = ["wav", "flac", "mp3", "ogg", "m4a", "mp4"];

/// Cheap header check: reads the WAV header (the same reader the features use) and checks the
/// clip is long enough for the judge (`ClipSpec::too_short`, the features' own check) and whole.
fn check_header(path: &Path) -> Result<(), String> {
    let is_wav = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
    if !is_wav {
        // A compressed recording: its container's declared length, when it has one.
        return match crate::audio::declared_length(path).map_err(|e| e.to_string())? {
            Some((frames, rate)) => match ClipSpec::tutorial().too_short(frames, rate) {
                Some(reason) => Err(reason),
                None => Ok(()),
            },
            None => Ok(()),
        };
    }
    let (info, _) = crate::audio::wav::WavInfo::open(path).map_err(|e| e.to_string())?;
    if info.frames == 0 {
        return Err("WAV holds no samples (empty recording)".into());
    }
    if let Some(reason) = ClipSpec::tutorial().too_short(info.frames, info.sample_rate) {
        return Err(reason);
    }
    // A single clip cut short is read as soundfile reads it, with a warning; a corpus file cut
    // short is most likely a half-finished download, so the scan leaves it out and says why.
    if let Some((declared, held)) = info.cut_short {
        return Err(format!(
            "truncated: its header promises {declared} bytes of samples and the file holds {held} (a half-finished download?); soundfile would read the {} whole frames present, the scan leaves it out",
            info.frames
        ));
    }
    Ok(())
}

/// One training example: features, label and where it came from.
#[derive(Debug, Clone)]
pub struct Example {
    pub clip: LabeledClip,
    pub features: Spectrogram,
}

impl Example {
    pub fn score(&self) -> f32 {
        self.clip.score()
    }
}

/// Featurised clips, in scan order.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub examples: Vec<Example>,
    /// Clips whose audio could not be featurised, and why.
    pub skipped: Vec<Skipped>,
}

/// Features for every clip in a scan, on all cores, with progress.
pub(crate) fn featurize(scan: &ScanReport, clip: &ClipSpec, mel: &MelSpec) -> Dataset {
    featurize_clips(
        &scan.clips,
        clip,
        mel,
        &Progress::new("features", scan.clips.len()),
    )
}

/// Features for a list of clips; unusable audio goes to [`Dataset::skipped`].
pub fn featurize_clips(
    clips: &[LabeledClip],
    clip_spec: &ClipSpec,
    mel: &MelSpec,
    progress: &Progress,
) -> Dataset {
    let extractor = MelExtractor::new(mel.clone());
    let results: Vec<Result<Example, Skipped>> = clips
        .par_iter()
        .map(|c| {
            let r = audio::load_clip(&c.path, clip_spec)
                .map_err(|e| e.to_string())
                .and_then(|clip| extractor.spectrogram(&clip).map_err(|e| e.to_string()))
                .map(|features| Example {
                    clip: c.clone(),
                    features,
                })
                .map_err(|reason| Skipped {
                    path: c.path.clone(),
                    reason,
                });
            progress.inc(1);
            r
        })
        .collect();
    let mut ds = Dataset::default();
    for r in results {
        match r {
            Ok(e) => ds.examples.push(e),
            Err(s) => ds.skipped.push(s),
        }
    }
    ds
}

/// Train / test / validation parts, in the tutorial's order and proportions.
#[derive(Debug, Clone)]
pub struct Split {
    pub train: Vec<Example>,
    pub test: Vec<Example>,
    pub val: Vec<Example>,
}

impl Dataset {
    /// Shuffle with a fixed seed and cut 80 / 10 / 10 (train / test / validation), as the
    /// tutorial does (`iloc[:0.8n]`, `[0.8n:0.9n]`, `[0.9n:]`).
    pub fn split(&self, seed: u64) -> Result<Split, DatasetError> {
        let n = self.examples.len();
        if n < 10 {
            return Err(DatasetError::TooFew { got: n, need: 10 });
        }
        let mut idx: Vec<usize> = (0..n).collect();
        idx.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        let a = n * 8 / 10;
        let b = n * 9 / 10;
        let pick = |r: &[usize]| r.iter().map(|&i| self.examples[i].clone()).collect();
        Ok(Split {
            train: pick(&idx[..a]),
            test: pick(&idx[a..b]),
            val: pick(&idx[b..]),
        })
    }
}

impl ScanReport {
    /// Clips per corpus × emotion, skipped files and missing corpora.
    pub fn to_html(&self) -> String {
        let emotions = crate::dataset::Emotion::ALL;
        let counts = self.counts();
        let mut t = crate::html::Table::new(format!(
            "{} clips under {}",
            self.clips.len(),
            self.root.display()
        ))
        .header(
            std::iter::once("corpus".to_string())
                .chain(emotions.iter().map(|e| format!("{e} ({:.1})", e.score())))
                .chain(std::iter::once("total".to_string())),
        );
        for (corpus, per) in &counts {
            let total: usize = per.values().sum();
            t = t.row(
                std::iter::once(corpus.folder().to_string())
                    .chain(
                        emotions
                            .iter()
                            .map(|e| per.get(e).copied().unwrap_or(0).to_string()),
                    )
                    .chain(std::iter::once(total.to_string())),
            );
        }
        if !self.skipped.is_empty() {
            t = t.note(format!(
                "skipped {} files, e.g. {}: {}",
                self.skipped.len(),
                self.skipped[0].path.display(),
                self.skipped[0].reason
            ));
        }
        for m in &self.missing {
            t = t.note(format!("missing: {m}"));
        }
        t.to_html()
    }
}

crate::html::notebook_display!(ScanReport);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_each_corpus_rule() {
        assert_eq!(
            Corpus::Tess.parse_name("OAF_back_ps.wav"),
            Ok(Emotion::Surprise)
        );
        assert_eq!(
            Corpus::Tess.parse_name("YAF_dog_Fear.wav"),
            Ok(Emotion::Fear)
        );
        assert!(Corpus::Tess.parse_name("OAF_back.wav").is_err());
        assert_eq!(
            Corpus::RavdessSpeech.parse_name("03-01-08-02-02-01-12.wav"),
            Ok(Emotion::Surprise)
        );
        assert!(Corpus::RavdessSong
            .parse_name("03-01-08-02-02-01-12.wav")
            .is_err());
        assert_eq!(
            Corpus::RavdessSong.parse_name("03-02-04-01-01-01-01.wav"),
            Ok(Emotion::Sad)
        );
        assert!(Corpus::RavdessSpeech
            .parse_name("03-01-09-02-02-01-12.wav")
            .is_err());
        assert_eq!(
            Corpus::CremaD.parse_name("1001_DFA_ANG_XX.wav"),
            Ok(Emotion::Angry)
        );
        assert!(Corpus::CremaD.parse_name("1001_DFA_XYZ_XX.wav").is_err());
        assert_eq!(Corpus::Savee.parse_name("DC_sa01.wav"), Ok(Emotion::Sad));
        assert_eq!(
            Corpus::Savee.parse_name("JK_su15.wav"),
            Ok(Emotion::Surprise)
        );
        assert_eq!(Corpus::Savee.parse_name("KL_a03.wav"), Ok(Emotion::Angry));
        assert!(Corpus::Savee.parse_name("KL_x03.wav").is_err());
        assert!(Corpus::Savee.parse_name(".DS_Store").is_err());
    }

    #[test]
    fn scores_match_the_tutorial() {
        let s: Vec<f32> = Emotion::ALL.iter().map(|e| e.score()).collect();
        assert_eq!(s, vec![0.8, 0.8, 0.4, 0.6, 0.8, 0.2, 0.0, 1.0]);
    }
}
