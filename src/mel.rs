//! [`Clip`] → [`Spectrogram`]: mel power spectrogram in dB, as `librosa.feature.melspectrogram`
//! followed by `librosa.power_to_db(S, ref=np.max)`, zero-padded to the tutorial's 130 frames.
//!
//! Definitions (librosa ≥ 0.10 defaults): periodic Hann window of `n_fft` samples, frames centred
//! by zero-padding `n_fft/2` on both sides (`pad_mode="constant"`), power 2, Slaney mel scale
//! (linear below 1 kHz, logarithmic above) with Slaney area normalisation, `fmin = 0`,
//! `fmax = sr/2`; dB is `10·log10(max(S, 1e-10)) − 10·log10(max(S))`, floored at `−top_db`.
//! Like librosa, the STFT and the filterbank run in f32 (a real-input FFT from rustfft's
//! family, `realfft`); dB conversion is in f64. The two agree to well under 0.01 dB.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;

use crate::audio::Clip;

/// Parameters of the mel features.
#[derive(Debug, Clone, PartialEq)]
pub struct MelSpec {
    pub sample_rate: u32,
    pub n_fft: usize,
    pub hop: usize,
    pub n_mels: usize,
    pub fmin: f64,
    /// `None` means `sample_rate / 2`.
    pub fmax: Option<f64>,
    /// Dynamic range kept below the loudest cell, in dB.
    pub top_db: f64,
    /// Frames after padding (the model's input width).
    pub frames: usize,
}

impl MelSpec {
    /// librosa's defaults as the tutorial uses them: 2048/512/128 at 22 050 Hz, 80 dB, 130 frames.
    pub fn librosa_default() -> Self {
        Self {
            sample_rate: 22_050,
            n_fft: 2048,
            hop: 512,
            n_mels: 128,
            fmin: 0.0,
            fmax: None,
            top_db: 80.0,
            frames: 130,
        }
    }
}

impl Default for MelSpec {
    fn default() -> Self {
        Self::librosa_default()
    }
}

/// A dB mel spectrogram, row-major `[mel][frame]`, `n_mels × frames` after padding.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrogram {
    pub n_mels: usize,
    pub frames: usize,
    /// Frames computed from audio before zero-padding.
    pub frames_from_audio: usize,
    pub db: Vec<f32>,
}

impl Spectrogram {
    /// Cell at (mel band, frame).
    pub fn at(&self, mel: usize, frame: usize) -> f32 {
        self.db[mel * self.frames + frame]
    }

    /// Shape as the model sees it: `[1, n_mels, frames]`.
    pub fn shape(&self) -> [usize; 3] {
        [1, self.n_mels, self.frames]
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MelError {
    #[error("clip {path} is sampled at {got} Hz but the mel features expect {expected} Hz. Load it with the same ClipSpec sample rate.")]
    RateMismatch {
        path: String,
        expected: u32,
        got: u32,
    },
    #[error("clip {path} gives {got} frames, more than the {expected} the model takes. Shorten the clip window (ClipSpec::duration_s) or widen MelSpec::frames.")]
    TooLong {
        path: String,
        expected: usize,
        got: usize,
    },
    #[error("clip {path} is empty after cutting the window. Use a longer recording.")]
    Empty { path: String },
}

/// Reusable mel extractor: FFT plan, window and filterbank computed once.
pub(crate) struct MelExtractor {
    spec: MelSpec,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// `n_mels` rows of sparse filters: (first bin, weights).
    filters: Vec<(usize, Vec<f32>)>,
}

impl MelExtractor {
    pub fn new(spec: MelSpec) -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(spec.n_fft);
        let window = hann_periodic(spec.n_fft)
            .into_iter()
            .map(|w| w as f32)
            .collect();
        let dense = mel_filterbank(&spec);
        let filters = dense
            .into_iter()
            .map(|row| {
                let first = row.iter().position(|&w| w != 0.0).unwrap_or(0);
                let last = row.iter().rposition(|&w| w != 0.0).unwrap_or(0);
                (
                    first,
                    row[first..=last.max(first)]
                        .iter()
                        .map(|&w| w as f32)
                        .collect(),
                )
            })
            .collect();
        Self {
            spec,
            fft,
            window,
            filters,
        }
    }

    /// Mel power spectrogram (before dB), `[mel][frame]`, unpadded.
    pub fn power(&self, samples: &[f32]) -> (Vec<f64>, usize) {
        let n_fft = self.spec.n_fft;
        let pad = n_fft / 2;
        let n_frames = 1 + samples.len() / self.spec.hop;
        let mut out = vec![0.0; self.spec.n_mels * n_frames];
        let mut frame = vec![0.0f32; n_fft];
        let mut spectrum = vec![Complex::new(0.0f32, 0.0); n_fft / 2 + 1];
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = vec![0.0f32; n_fft / 2 + 1];
        for t in 0..n_frames {
            // Centred frame: samples [t·hop − n_fft/2, t·hop + n_fft/2), zeros outside the clip.
            let start = (t * self.spec.hop) as isize - pad as isize;
            let lo = (-start).clamp(0, n_fft as isize) as usize;
            let hi = (samples.len() as isize - start).clamp(0, n_fft as isize) as usize;
            frame.iter_mut().for_each(|v| *v = 0.0);
            if lo < hi {
                let src = &samples[(start + lo as isize) as usize..(start + hi as isize) as usize];
                for ((f, &x), &w) in frame[lo..hi].iter_mut().zip(src).zip(&self.window[lo..hi]) {
                    *f = x * w;
                }
            }
            self.fft
                .process_with_scratch(&mut frame, &mut spectrum, &mut scratch)
                .expect("buffer sizes come from the same plan");
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            for (m, (first, w)) in self.filters.iter().enumerate() {
                let s: f32 = w.iter().zip(&power[*first..]).map(|(a, b)| a * b).sum();
                out[m * n_frames + t] = s as f64;
            }
        }
        (out, n_frames)
    }

    /// The tutorial's features for one clip: dB mel spectrogram, ref = max, zero-padded.
    pub fn spectrogram(&self, clip: &Clip) -> Result<Spectrogram, MelError> {
        let path = clip.path.display().to_string();
        if clip.sample_rate != self.spec.sample_rate {
            return Err(MelError::RateMismatch {
                path,
                expected: self.spec.sample_rate,
                got: clip.sample_rate,
            });
        }
        if clip.samples.is_empty() {
            return Err(MelError::Empty { path });
        }
        let (power, n_frames) = self.power(&clip.samples);
        if n_frames > self.spec.frames {
            return Err(MelError::TooLong {
                path,
                expected: self.spec.frames,
                got: n_frames,
            });
        }
        let db = power_to_db(&power, self.spec.top_db);
        let mut padded = vec![0.0f32; self.spec.n_mels * self.spec.frames];
        for m in 0..self.spec.n_mels {
            for t in 0..n_frames {
                padded[m * self.spec.frames + t] = db[m * n_frames + t] as f32;
            }
        }
        Ok(Spectrogram {
            n_mels: self.spec.n_mels,
            frames: self.spec.frames,
            frames_from_audio: n_frames,
            db: padded,
        })
    }
}

/// One-call convenience: dB mel spectrogram of a clip with the given parameters.
pub fn mel_db(clip: &Clip, spec: &MelSpec) -> Result<Spectrogram, MelError> {
    MelExtractor::new(spec.clone()).spectrogram(clip)
}

/// `librosa.power_to_db(S, ref=np.max, amin=1e-10, top_db)`.
pub(crate) fn power_to_db(power: &[f64], top_db: f64) -> Vec<f64> {
    const AMIN: f64 = 1e-10;
    let reference = power.iter().cloned().fold(0.0f64, f64::max).max(AMIN);
    let ref_db = 10.0 * reference.log10();
    let mut db: Vec<f64> = power
        .iter()
        .map(|&p| 10.0 * p.max(AMIN).log10() - ref_db)
        .collect();
    let max = db.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    for v in &mut db {
        *v = v.max(max - top_db);
    }
    db
}

/// `scipy.signal.get_window("hann", n, fftbins=True)`: the periodic Hann window.
pub(crate) fn hann_periodic(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos())
        .collect()
}

/// Slaney's mel scale (librosa `hz_to_mel(htk=False)`).
pub(crate) fn hz_to_mel(hz: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= MIN_LOG_HZ {
        min_log_mel + (hz / MIN_LOG_HZ).ln() / logstep
    } else {
        hz / F_SP
    }
}

/// Inverse of [`hz_to_mel`].
pub(crate) fn mel_to_hz(mel: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        MIN_LOG_HZ * (logstep * (mel - min_log_mel)).exp()
    } else {
        F_SP * mel
    }
}

/// `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm="slaney")`,
/// dense `[n_mels][1 + n_fft/2]`.
pub(crate) fn mel_filterbank(spec: &MelSpec) -> Vec<Vec<f64>> {
    let sr = spec.sample_rate as f64;
    let fmax = spec.fmax.unwrap_or(sr / 2.0);
    let n_bins = 1 + spec.n_fft / 2;
    let fft_freqs: Vec<f64> = (0..n_bins)
        .map(|i| i as f64 * sr / spec.n_fft as f64)
        .collect();
    let (lo, hi) = (hz_to_mel(spec.fmin), hz_to_mel(fmax));
    let mel_f: Vec<f64> = (0..spec.n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (spec.n_mels + 1) as f64))
        .collect();
    (0..spec.n_mels)
        .map(|m| {
            let (f0, f1, f2) = (mel_f[m], mel_f[m + 1], mel_f[m + 2]);
            let enorm = 2.0 / (f2 - f0);
            fft_freqs
                .iter()
                .map(|&f| {
                    let lower = (f - f0) / (f1 - f0);
                    let upper = (f2 - f) / (f2 - f1);
                    lower.min(upper).max(0.0) * enorm
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_round_trips_and_is_linear_below_1khz() {
        for hz in [0.0, 100.0, 999.0, 1000.0, 4000.0, 11025.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-6);
        }
        assert!((hz_to_mel(500.0) - 7.5).abs() < 1e-12);
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
    }

    #[test]
    fn power_to_db_is_zero_at_max_and_floored() {
        let db = power_to_db(&[1.0, 0.1, 1e-20, 4.0], 80.0);
        assert_eq!(db[3], 0.0);
        assert!((db[0] + 10.0 * 4f64.log10()).abs() < 1e-12);
        assert_eq!(db[2], -80.0);
    }

    #[test]
    fn filterbank_rows_cover_the_spectrum() {
        let fb = mel_filterbank(&MelSpec::librosa_default());
        assert_eq!(fb.len(), 128);
        assert_eq!(fb[0].len(), 1025);
        assert!(fb.iter().all(|row| row.iter().any(|&w| w > 0.0)));
    }
}
