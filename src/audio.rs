//! WAV file → [`Clip`]: decode ([`wav`]), mix to mono, cut the tutorial's window, resample ([`resample()`]: libsoxr HQ, as librosa).
//!
//! This follows `librosa.load(path, offset=0.5, duration=3)` exactly in order: the window is cut
//! at the file's own rate (`int(sr·offset)` .. `+ int(sr·duration)`, truncated as librosa does:
//! at 11,025 Hz the 0.5 s offset is frame 5,512), channels are averaged,
//! and only then is the window resampled to 22 050 Hz, its length fixed to
//! `ceil(n · 22050 / sr)` as librosa's `fix_length` does.

use std::path::{Path, PathBuf};

mod adpcm;
mod compressed;
mod gsm610;
pub mod resample;
pub mod wav;

pub use resample::resample;

/// Which part of a recording the judge hears, and at what rate.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipSpec {
    /// Output sample rate in Hz (librosa's default, 22 050).
    pub sample_rate: u32,
    /// Seconds skipped at the start of the file.
    pub offset_s: f64,
    /// Seconds kept after the offset (less if the file is shorter).
    pub duration_s: f64,
}

impl ClipSpec {
    /// The tutorial's window: 3 s starting at 0.5 s, at 22 050 Hz.
    pub fn tutorial() -> Self {
        Self {
            sample_rate: 22_050,
            offset_s: 0.5,
            duration_s: 3.0,
        }
    }
}

/// Audio the judge needs after the offset, at least. A clip shorter than the offset plus this
/// ([`ClipSpec::min_seconds`]: 0.6 s for the tutorial) is refused, by the features, `idol judge`
/// and the dataset scan alike.
pub const MIN_HEARD_MS: u64 = 100;

impl ClipSpec {
    /// The window's first frame and its length in frames at `rate` Hz, as `librosa.load`
    /// computes them: `int(offset · sr)` and `int(duration · sr)`, truncated (not rounded).
    pub fn window_frames(&self, rate: u32) -> (u64, u64) {
        let sr = rate as f64;
        ((sr * self.offset_s) as u64, (sr * self.duration_s) as u64)
    }

    /// The shortest clip accepted, in seconds: the offset plus [`MIN_HEARD_MS`].
    pub fn min_seconds(&self) -> f64 {
        self.offset_s + MIN_HEARD_MS as f64 / 1000.0
    }

    /// The fewest frames a clip at `rate` Hz may have: the window's first frame plus
    /// [`MIN_HEARD_MS`] of audio (rounded up to whole frames).
    pub fn min_frames(&self, rate: u32) -> u64 {
        self.window_frames(rate).0 + (MIN_HEARD_MS * rate as u64).div_ceil(1000)
    }

    /// Why a clip of `frames` frames at `rate` Hz is too short for the judge, if it is (the
    /// one check, with the one message, every reader uses).
    pub fn too_short(&self, frames: u64, rate: u32) -> Option<String> {
        (frames < self.min_frames(rate)).then(|| {
            format!(
                "{:.3} s long; the judge needs at least {} s: it skips the first {} s and needs {} s of audio after it (it hears {}..{} s)",
                frames as f64 / rate.max(1) as f64,
                self.min_seconds(),
                self.offset_s,
                MIN_HEARD_MS as f64 / 1000.0,
                self.offset_s,
                self.offset_s + self.duration_s
            )
        })
    }
}

impl Default for ClipSpec {
    fn default() -> Self {
        Self::tutorial()
    }
}

/// A decoded, mono, resampled window of one recording.
#[derive(Debug, Clone)]
pub struct Clip {
    /// Where it came from (for error messages and reports).
    pub path: PathBuf,
    /// The file's own sample rate.
    pub source_rate: u32,
    /// The file's channel count (all are averaged into `samples`).
    pub source_channels: u16,
    /// Mono samples at `sample_rate`, in [-1, 1] for PCM input.
    pub samples: Vec<f32>,
    /// Rate of `samples`.
    pub sample_rate: u32,
    /// What the reader noticed about the file and read anyway (a data chunk cut short): tell
    /// the user.
    pub warnings: Vec<String>,
    /// The file's encoding ([`Decoded::format`]).
    pub source_format: String,
}

impl Clip {
    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / self.sample_rate as f64
    }

    /// The window as a 16-bit PCM mono WAV file in memory: what the judge hears.
    pub fn to_wav_bytes(&self) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: self.sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut bytes = Vec::with_capacity(44 + 2 * self.samples.len());
        {
            // Writing to memory cannot fail for I/O reasons, and the spec is valid.
            let mut w = hound::WavWriter::new(std::io::Cursor::new(&mut bytes), spec)
                .expect("a valid in-memory WAV spec");
            for &v in &self.samples {
                let q = (v.clamp(-1.0, 1.0) * 32767.0).round() as i16;
                w.write_sample(q).expect("writing to memory");
            }
            w.finalize().expect("writing to memory");
        }
        bytes
    }

    /// An inline audio player for a notebook cell (`<audio controls>` with the window).
    pub fn player(&self) -> crate::html::Audio {
        crate::html::Audio {
            caption: format!(
                "{} ({:.1} s window, {} Hz)",
                self.path.display(),
                self.seconds(),
                self.sample_rate
            ),
            wav: self.to_wav_bytes(),
        }
    }
}

/// Everything that can go wrong turning a WAV file into a [`Clip`].
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("cannot read {path}: {source}. Check the path and permissions.")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a readable WAV file ({reason}). Re-export it as PCM or float WAV.")]
    NotWav { path: PathBuf, reason: String },
    #[error("{path} is not a recording this tool reads ({reason}). It reads WAV, FLAC, MP3, Ogg Vorbis and AAC in M4A/MP4; convert others: `ffmpeg -i \"{path}\" -ac 1 out.wav`.")]
    NotAudio { path: PathBuf, reason: String },
    #[error("{path} is corrupt: {reason}. Re-export or download it again.")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{path} is truncated ({reason}). The file was cut short, e.g. a half-finished download: fetch or copy it again.")]
    Truncated { path: PathBuf, reason: String },
    #[error("{path} uses an encoding this reader does not decode: {format}. Supported: 8/16/24/32-bit integer PCM (any valid bits in those containers), 32/64-bit float, µ-law, A-law, IMA and Microsoft ADPCM, GSM 6.10, in RIFF, RIFX or RF64 WAV files; {hint}.")]
    Unsupported {
        path: PathBuf,
        format: String,
        hint: String,
    },
    #[error("{path} is sampled at {rate} Hz, outside the 1 kHz to 768 kHz this tool resamples from. Resample it first: `sox \"{path}\" -r 22050 out.wav`.")]
    Rate { path: PathBuf, rate: u32 },
    #[error("{path} holds no audio samples. Record or export the clip again.")]
    Empty { path: PathBuf },
    #[error("{path} is {reason}. Use a longer clip.")]
    TooShort { path: PathBuf, reason: String },
    #[error("{path} is silent from {offset:.1} s to {end:.1} s (every sample is 0), so there is nothing to judge. Record the clip again, or check the input level.")]
    Silent {
        path: PathBuf,
        offset: f64,
        end: f64,
    },
    #[error("{path} has a non-finite sample ({value}) at frame {frame}. The file is corrupt: re-export it.")]
    NonFinite {
        path: PathBuf,
        frame: usize,
        value: f32,
    },
    #[error("{path}: cannot resample {from} Hz to {to} Hz: {reason}.")]
    Resample {
        path: PathBuf,
        from: u32,
        to: u32,
        reason: String,
    },
}

/// Raw decoded audio: interleaved frames averaged to mono, at the file's own rate.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub sample_rate: u32,
    pub channels: u16,
    pub mono: Vec<f32>,
    /// What the reader noticed about the file and read anyway (a data chunk cut short).
    pub warnings: Vec<String>,
    /// The file's encoding, e.g. "16-bit integer PCM, 1 channel, 22050 Hz" or "MP3".
    pub format: String,
}

/// Sample rates a recording may have (1 kHz to 768 kHz); others are refused before resampling.
pub(crate) const SOURCE_RATES: std::ops::RangeInclusive<u32> = 1_000..=768_000;

/// Decode a whole WAV file to mono f32 at its own rate, exactly as soundfile decodes it
/// (see [`wav`]), then average the channels as librosa's `to_mono` does.
pub fn decode_wav(path: &Path) -> Result<Decoded, AudioError> {
    let (info, mut file) = open(path)?;
    let samples = info.read_frames(&mut file, 0, info.frames)?;
    to_mono(&info, 0, samples)
}

/// Decode a whole recording, WAV or compressed (FLAC, MP3, Ogg Vorbis, AAC in MP4/M4A: see
/// [`compressed`]), to mono f32 at its own rate.
pub fn decode_audio(path: &Path) -> Result<Decoded, AudioError> {
    if is_wav(path)? {
        return decode_wav(path);
    }
    decode_compressed(path)
}

/// [`decode_audio`] of a file known not to be a WAV.
fn decode_compressed(path: &Path) -> Result<Decoded, AudioError> {
    let c = compressed::decode(path)?;
    let channels = c.channels as usize;
    check_samples(path, c.interleaved.len() as u64, c.sample_rate)?;
    Ok(Decoded {
        sample_rate: c.sample_rate,
        channels: c.channels,
        mono: mono(path, 0, channels, c.interleaved)?,
        warnings: c.warnings,
        format: c.format,
    })
}

/// A recording's length as its header declares it: (frames, rate), without decoding; None
/// for a compressed file whose container does not say.
pub fn declared_length(path: &Path) -> Result<Option<(u64, u32)>, AudioError> {
    if is_wav(path)? {
        let (info, _) = wav::WavInfo::open(path)?;
        return Ok(Some((info.frames, info.sample_rate)));
    }
    compressed::length(path)
}

/// Whether `path` holds a WAV file (RIFF, RIFX, RF64, BW64 or Wave64), or is named `.wav`
/// and holds nothing a compressed decoder recognises: the WAV reader takes it, with its own
/// errors; anything else goes to the compressed decoders.
fn is_wav(path: &Path) -> Result<bool, AudioError> {
    use std::io::Read;
    let io = |source| AudioError::Io {
        path: path.to_owned(),
        source,
    };
    let mut head = [0u8; 8];
    let f = std::fs::File::open(path).map_err(io)?;
    let n = f.take(8).read(&mut head).map_err(io)?;
    if n < 4 || matches!(&head[..4], b"RIFF" | b"RIFX" | b"RF64" | b"BW64" | b"riff") {
        return Ok(true);
    }
    let compressed = matches!(&head[..4], b"fLaC" | b"OggS")
        || head.starts_with(b"ID3")
        || (head[0] == 0xFF && head[1] & 0xE0 == 0xE0)
        || &head[4..8] == b"ftyp";
    let named_wav = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
    Ok(named_wav && !compressed)
}

/// Open a WAV file and check it has samples at a rate the resampler takes.
fn open(path: &Path) -> Result<(wav::WavInfo, std::fs::File), AudioError> {
    let (info, file) = wav::WavInfo::open(path)?;
    check_samples(path, info.frames, info.sample_rate)?;
    Ok((info, file))
}

/// A recording has samples, at a rate the resampler takes.
fn check_samples(path: &Path, samples: u64, rate: u32) -> Result<(), AudioError> {
    if samples == 0 {
        return Err(AudioError::Empty {
            path: path.to_owned(),
        });
    }
    if !SOURCE_RATES.contains(&rate) {
        return Err(AudioError::Rate {
            path: path.to_owned(),
            rate,
        });
    }
    Ok(())
}

/// Refuse non-finite samples (naming the frame) and average the channels.
fn to_mono(
    info: &wav::WavInfo,
    first_frame: u64,
    interleaved: Vec<f32>,
) -> Result<Decoded, AudioError> {
    Ok(Decoded {
        sample_rate: info.sample_rate,
        channels: info.channels,
        mono: mono(&info.path, first_frame, info.channels as usize, interleaved)?,
        warnings: info.warnings(),
        format: info.describe(),
    })
}

/// Interleaved samples from frame `first_frame` on → their channels' mean, refusing
/// non-finite samples (naming the frame).
fn mono(
    path: &Path,
    first_frame: u64,
    channels: usize,
    interleaved: Vec<f32>,
) -> Result<Vec<f32>, AudioError> {
    if let Some((i, v)) = interleaved.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(AudioError::NonFinite {
            path: path.to_owned(),
            frame: first_frame as usize + i / channels,
            value: *v,
        });
    }
    Ok(if channels == 1 {
        interleaved
    } else {
        interleaved
            .chunks_exact(channels)
            .map(|f| f.iter().sum::<f32>() / channels as f32)
            .collect()
    })
}

/// Load the judge's window of one WAV file: `librosa.load(path, offset, duration)` in Rust.
pub fn load_clip(path: impl AsRef<Path>, spec: &ClipSpec) -> Result<Clip, AudioError> {
    let path = path.as_ref();
    let (decoded, start) = decode_window(path, spec)?;
    cut_and_resample(path, decoded, start, spec)
}

/// Decode only the frames of the tutorial's window (what [`load_clip`] needs). Returns the
/// audio from the window's start frame on, and that start frame.
fn decode_window(path: &Path, spec: &ClipSpec) -> Result<(Decoded, usize), AudioError> {
    if !is_wav(path)? {
        // Compressed streams are decoded from their start (their frames depend on earlier
        // ones); the window is cut from the whole.
        return Ok((decode_compressed(path)?, 0));
    }
    let (info, mut file) = open(path)?;
    if let Some(reason) = spec.too_short(info.frames, info.sample_rate) {
        return Err(AudioError::TooShort {
            path: path.to_owned(),
            reason,
        });
    }
    let (start, want) = spec.window_frames(info.sample_rate);
    let samples = info.read_frames(&mut file, start, want)?;
    Ok((to_mono(&info, start, samples)?, start as usize))
}

/// Cut and resample already-decoded (whole-file) audio.
pub fn clip_from_decoded(
    path: &Path,
    decoded: Decoded,
    spec: &ClipSpec,
) -> Result<Clip, AudioError> {
    cut_and_resample(path, decoded, 0, spec)
}

/// `decoded.mono` starts at file frame `first_frame`; cut the window and resample it.
fn cut_and_resample(
    path: &Path,
    decoded: Decoded,
    first_frame: usize,
    spec: &ClipSpec,
) -> Result<Clip, AudioError> {
    let total = first_frame + decoded.mono.len();
    if let Some(reason) = spec.too_short(total as u64, decoded.sample_rate) {
        return Err(AudioError::TooShort {
            path: path.to_owned(),
            reason,
        });
    }
    let (start, want) = spec.window_frames(decoded.sample_rate);
    let (start, want) = (start as usize, want as usize);
    let end = (start + want).min(total);
    let window = &decoded.mono[start - first_frame..end - first_frame];
    if window.iter().all(|&v| v == 0.0) {
        return Err(AudioError::Silent {
            path: path.to_owned(),
            offset: spec.offset_s,
            end: spec.offset_s + spec.duration_s,
        });
    }
    let samples = resample(window, decoded.sample_rate, spec.sample_rate).map_err(|reason| {
        AudioError::Resample {
            path: path.to_owned(),
            from: decoded.sample_rate,
            to: spec.sample_rate,
            reason,
        }
    })?;
    Ok(Clip {
        path: path.to_owned(),
        source_rate: decoded.sample_rate,
        source_channels: decoded.channels,
        samples,
        sample_rate: spec.sample_rate,
        warnings: decoded.warnings,
        source_format: decoded.format,
    })
}
