//! WAV file → [`Clip`]: decode (hound), mix to mono, cut the tutorial's window, resample (rubato).
//!
//! This follows `librosa.load(path, offset=0.5, duration=3)` exactly in order: the window is cut
//! at the file's own rate (`round(sr·offset)` .. `+ round(sr·duration)`), channels are averaged,
//! and only then is the window resampled to 22 050 Hz, its length fixed to
//! `ceil(n · 22050 / sr)` as librosa's `fix_length` does.

use std::path::{Path, PathBuf};

use rubato::{
    Resampler, SincFixedIn, SincInterpolationParameters, SincInterpolationType, WindowFunction,
};

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

    /// Number of samples in a full window at the output rate (66 150 for the tutorial).
    pub fn full_len(&self) -> usize {
        (self.sample_rate as f64 * self.duration_s).round() as usize
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
}

impl Clip {
    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / self.sample_rate as f64
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
    #[error("{path} is truncated ({reason}). The file was cut short, e.g. a half-finished download: fetch or copy it again.")]
    Truncated { path: PathBuf, reason: String },
    #[error("{path} uses an unsupported encoding ({format}). Supported: 8/16/24/32-bit integer PCM and 32-bit float WAV.")]
    Unsupported { path: PathBuf, format: String },
    #[error("{path} holds no audio samples. Record or export the clip again.")]
    Empty { path: PathBuf },
    #[error("{path} is {seconds:.3} s long, shorter than the {offset:.1} s offset the tutorial skips. Use a clip of at least {min_len:.1} s (the judge hears {offset:.1}..{end:.1} s).")]
    TooShort {
        path: PathBuf,
        seconds: f64,
        offset: f64,
        min_len: f64,
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
}

/// Decode a whole WAV file to mono f32 at its own rate.
///
/// Integer PCM is scaled the way libsndfile (and so librosa/soundfile) does: `x / 2^(bits-1)`;
/// 8-bit WAV is unsigned in the file and hound re-centres it.
pub fn decode_wav(path: &Path) -> Result<Decoded, AudioError> {
    let reader = hound::WavReader::open(path).map_err(|e| classify(path, e))?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(AudioError::NotWav {
            path: path.to_owned(),
            reason: format!(
                "header says {} channels at {} Hz",
                spec.channels, spec.sample_rate
            ),
        });
    }
    let interleaved: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader
            .into_samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| classify(path, e))?,
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f64;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| (v as f64 * scale) as f32))
                .collect::<Result<_, _>>()
                .map_err(|e| classify(path, e))?
        }
        (format, bits) => {
            return Err(AudioError::Unsupported {
                path: path.to_owned(),
                format: format!("{format:?} {bits}-bit"),
            })
        }
    };
    let channels = spec.channels as usize;
    if interleaved.is_empty() {
        return Err(AudioError::Empty {
            path: path.to_owned(),
        });
    }
    if let Some((i, v)) = interleaved.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(AudioError::NonFinite {
            path: path.to_owned(),
            frame: i / channels,
            value: *v,
        });
    }
    let mono = if channels == 1 {
        interleaved
    } else {
        interleaved
            .chunks_exact(channels)
            .map(|f| f.iter().sum::<f32>() / channels as f32)
            .collect()
    };
    Ok(Decoded {
        sample_rate: spec.sample_rate,
        channels: spec.channels,
        mono,
    })
}

fn classify(path: &Path, e: hound::Error) -> AudioError {
    match e {
        hound::Error::IoError(io)
            if io.kind() == std::io::ErrorKind::UnexpectedEof
                || io.to_string().contains("enough bytes") =>
        {
            AudioError::Truncated {
                path: path.to_owned(),
                reason: "the data ends before the header says it should".into(),
            }
        }
        hound::Error::IoError(io) if io.kind() == std::io::ErrorKind::NotFound => AudioError::Io {
            path: path.to_owned(),
            source: io,
        },
        hound::Error::IoError(io) => AudioError::Io {
            path: path.to_owned(),
            source: io,
        },
        hound::Error::FormatError(reason) => AudioError::NotWav {
            path: path.to_owned(),
            reason: reason.to_string(),
        },
        hound::Error::Unsupported => AudioError::Unsupported {
            path: path.to_owned(),
            format: "a WAV variant hound cannot read (e.g. compressed or A-law)".into(),
        },
        other => AudioError::NotWav {
            path: path.to_owned(),
            reason: other.to_string(),
        },
    }
}

/// Load the judge's window of one WAV file: `librosa.load(path, offset, duration)` in Rust.
pub fn load_clip(path: impl AsRef<Path>, spec: &ClipSpec) -> Result<Clip, AudioError> {
    let path = path.as_ref();
    let decoded = decode_wav(path)?;
    clip_from_decoded(path, decoded, spec)
}

/// Cut and resample already-decoded audio (shared by [`load_clip`] and tests).
pub fn clip_from_decoded(
    path: &Path,
    decoded: Decoded,
    spec: &ClipSpec,
) -> Result<Clip, AudioError> {
    let sr = decoded.sample_rate as f64;
    let start = (sr * spec.offset_s).round() as usize;
    let want = (sr * spec.duration_s).round() as usize;
    if start >= decoded.mono.len() {
        return Err(AudioError::TooShort {
            path: path.to_owned(),
            seconds: decoded.mono.len() as f64 / sr,
            offset: spec.offset_s,
            min_len: spec.offset_s + 1.0 / sr.max(1.0) * 2048.0,
            end: spec.offset_s + spec.duration_s,
        });
    }
    let end = (start + want).min(decoded.mono.len());
    let window = &decoded.mono[start..end];
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
    })
}

/// Band-limited resampling with rubato's windowed-sinc resampler, output length
/// `ceil(n · to / from)` like librosa's `resample(..., fix=True)`.
///
/// The filter (256 taps, Blackman-Harris², cutoff 0.96 of the lower Nyquist frequency) was
/// chosen to follow soxr's "HQ" response, librosa's default: flat to ~0.91 of Nyquist, then a
/// short roll-off. A resampler is built once per (from, to) pair and thread, then reused.
pub fn resample(input: &[f32], from: u32, to: u32) -> Result<Vec<f32>, String> {
    if from == to {
        return Ok(input.to_vec());
    }
    RESAMPLERS.with(|cell| {
        let mut cache = cell.borrow_mut();
        let r = match cache.entry((from, to)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(CachedResampler::new(from, to)?)
            }
        };
        r.run(
            input,
            (input.len() as f64 * to as f64 / from as f64).ceil() as usize,
        )
    })
}

thread_local! {
    static RESAMPLERS: std::cell::RefCell<std::collections::HashMap<(u32, u32), CachedResampler>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

struct CachedResampler {
    inner: SincFixedIn<f32>,
    /// Output samples before the response to input sample 0 peaks (measured, not assumed).
    delay: usize,
}

impl CachedResampler {
    const CHUNK: usize = 1024;

    fn new(from: u32, to: u32) -> Result<Self, String> {
        let params = SincInterpolationParameters {
            sinc_len: 256,
            f_cutoff: 0.96,
            oversampling_factor: 512,
            interpolation: SincInterpolationType::Nearest,
            window: WindowFunction::BlackmanHarris2,
        };
        let ratio = to as f64 / from as f64;
        let inner = SincFixedIn::<f32>::new(ratio, 1.0, params, Self::CHUNK, 1)
            .map_err(|e| e.to_string())?;
        let mut r = Self { inner, delay: 0 };
        // Find the group delay from the impulse response.
        let mut impulse = vec![0.0f32; 1];
        impulse[0] = 1.0;
        let response = r.raw(&impulse, 4 * 256)?;
        r.delay = response
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(i, _)| i)
            .unwrap_or(0);
        Ok(r)
    }

    /// Resample from a clean state, returning the first `n` raw (delayed) output samples.
    fn raw(&mut self, input: &[f32], n: usize) -> Result<Vec<f32>, String> {
        self.inner.reset();
        let mut out = Vec::with_capacity(n + Self::CHUNK * 2);
        let mut wave = input.to_vec();
        let mut pos = 0;
        while out.len() < n {
            let next = self.inner.input_frames_next();
            if pos + next > wave.len() {
                wave.resize(pos + next, 0.0); // flush the filter with silence
            }
            let block = self
                .inner
                .process(&[&wave[pos..pos + next]], None)
                .map_err(|e| e.to_string())?;
            pos += next;
            out.extend_from_slice(&block[0]);
        }
        Ok(out)
    }

    fn run(&mut self, input: &[f32], n_out: usize) -> Result<Vec<f32>, String> {
        let out = self.raw(input, self.delay + n_out)?;
        Ok(out[self.delay..self.delay + n_out].to_vec())
    }
}
