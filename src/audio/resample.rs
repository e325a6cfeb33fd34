//! Band-limited resampling as librosa does it: libsoxr at its "HQ" quality.
//!
//! `librosa.load(..., sr=22050)` resamples with `soxr.resample(y, sr, 22050, "soxr_hq")`, then
//! fixes the length to `ceil(n · to / from)` (`librosa.util.fix_length`). The features the judge
//! is trained on are librosa's, so this module runs the same library with the same settings:
//! soxr's HQ recipe (20-bit precision: linear phase, flat to 91.3% of the lower Nyquist frequency,
//! stopband from 100%), float32 in and out, one thread. The `soxr-sys` crate compiles the
//! vendored C library (libsoxr 0.1.3, LGPL-2.1, see README's licence notes) with the C compiler;
//! no system library is needed.
//!
//! Lengths follow librosa exactly: soxr is asked for `round(n · to / from)` samples (what
//! python-soxr asks for), and the result is zero-padded or cut to `ceil(n · to / from)`.

use std::collections::HashMap;
use std::ffi::CStr;

use soxr_sys as sys;

/// soxr.h's `SOXR_HQ` (= `SOXR_20_BITQ`, 4), a macro the bindings do not carry; its phase
/// response is linear (`SOXR_LINEAR_PHASE`, 0, the default flags).
const SOXR_HQ: std::os::raw::c_ulong = 4;

/// Resample `input` from `from` Hz to `to` Hz (librosa's `resample(..., res_type="soxr_hq")`).
///
/// One libsoxr resampler is made per (from, to) pair and thread, and cleared before each call,
/// so a call's output depends only on its input.
pub fn resample(input: &[f32], from: u32, to: u32) -> Result<Vec<f32>, String> {
    if from == to {
        return Ok(input.to_vec());
    }
    RESAMPLERS.with(|cell| {
        let mut cache = cell.borrow_mut();
        let r = match cache.entry((from, to)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(Soxr::new(from, to)?),
        };
        r.run(input)
    })
}

/// `ceil(n · to / from)`: the length librosa fixes a resampled signal to.
pub(crate) fn output_len(n: usize, from: u32, to: u32) -> usize {
    (n as u128 * to as u128).div_ceil(from as u128) as usize
}

/// `round(n · to / from)` (halves up): the length python-soxr asks libsoxr for.
fn soxr_len(n: usize, from: u32, to: u32) -> usize {
    ((2 * n as u128 * to as u128 + from as u128) / (2 * from as u128)) as usize
}

thread_local! {
    static RESAMPLERS: std::cell::RefCell<HashMap<(u32, u32), Soxr>> =
        std::cell::RefCell::new(HashMap::new());
}

/// An owned libsoxr resampler (one channel, float32 in and out, HQ).
struct Soxr {
    handle: sys::soxr_t,
    from: u32,
    to: u32,
}

impl Drop for Soxr {
    fn drop(&mut self) {
        // SAFETY: `handle` came from soxr_create and is deleted once, here.
        unsafe { sys::soxr_delete(self.handle) }
    }
}

/// libsoxr's error strings are static C strings; null means no error.
fn check(err: sys::soxr_error_t, what: &str) -> Result<(), String> {
    if err.is_null() {
        return Ok(());
    }
    // SAFETY: a non-null soxr_error_t points to a NUL-terminated static string.
    let msg = unsafe { CStr::from_ptr(err) }.to_string_lossy();
    Err(format!("libsoxr {what}: {msg}"))
}

impl Soxr {
    /// Input is given to libsoxr in blocks of this many samples (its own buffers stay small).
    const BLOCK: usize = 1 << 14;

    fn new(from: u32, to: u32) -> Result<Self, String> {
        if from == 0 || to == 0 {
            return Err(format!(
                "cannot resample {from} Hz → {to} Hz (a rate is zero)"
            ));
        }
        let mut err: sys::soxr_error_t = std::ptr::null();
        // SAFETY: plain constructors of value structs; soxr_create copies the specs it is given.
        let handle = unsafe {
            let io = sys::soxr_io_spec(
                sys::soxr_datatype_t_SOXR_FLOAT32_I,
                sys::soxr_datatype_t_SOXR_FLOAT32_I,
            );
            let quality = sys::soxr_quality_spec(SOXR_HQ, 0);
            let runtime = sys::soxr_runtime_spec(1);
            sys::soxr_create(from as f64, to as f64, 1, &mut err, &io, &quality, &runtime)
        };
        check(err, "setup")?;
        if handle.is_null() {
            return Err("libsoxr setup returned no resampler".into());
        }
        Ok(Self { handle, from, to })
    }

    fn run(&mut self, input: &[f32]) -> Result<Vec<f32>, String> {
        // SAFETY: `handle` is live; clearing keeps the configuration and drops all state.
        check(unsafe { sys::soxr_clear(self.handle) }, "reset")?;
        let want = soxr_len(input.len(), self.from, self.to);
        let mut out = vec![0f32; want];
        let mut made = 0;
        let mut used = 0;
        while used < input.len() && made < want {
            let block = &input[used..(used + Self::BLOCK).min(input.len())];
            let (mut idone, mut odone) = (0usize, 0usize);
            // SAFETY: the pointers and lengths describe live slices of f32 (the io spec's type);
            // libsoxr reads at most `block.len()` and writes at most `want - made` samples.
            let err = unsafe {
                sys::soxr_process(
                    self.handle,
                    block.as_ptr().cast(),
                    block.len(),
                    &mut idone,
                    out[made..].as_mut_ptr().cast(),
                    want - made,
                    &mut odone,
                )
            };
            check(err, "resampling")?;
            if idone == 0 && odone == 0 {
                return Err("libsoxr made no progress".into());
            }
            used += idone;
            made += odone;
        }
        // End of input: libsoxr flushes what its filters still hold.
        while made < want {
            let mut odone = 0usize;
            // SAFETY: a null input pointer with length 0 is libsoxr's end-of-input signal; the
            // output slice is live and `want - made` long.
            let err = unsafe {
                sys::soxr_process(
                    self.handle,
                    std::ptr::null(),
                    0,
                    std::ptr::null_mut(),
                    out[made..].as_mut_ptr().cast(),
                    want - made,
                    &mut odone,
                )
            };
            check(err, "flush")?;
            if odone == 0 {
                break;
            }
            made += odone;
        }
        out.truncate(made);
        out.resize(output_len(input.len(), self.from, self.to), 0.0);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_librosa() {
        assert_eq!(output_len(66_150, 44_100, 22_050), 33_075);
        assert_eq!(output_len(3, 48_000, 22_050), 2); // ceil(1.378)
        assert_eq!(soxr_len(3, 48_000, 22_050), 1); // round(1.378)
        assert_eq!(soxr_len(2, 44_100, 22_050), 1); // round(1.0)
        assert_eq!(soxr_len(1, 44_100, 22_050), 1); // 0.5 rounds up
    }

    #[test]
    fn a_call_depends_only_on_its_input() {
        let a: Vec<f32> = (0..48_000).map(|i| ((i as f32) * 0.01).sin()).collect();
        let b: Vec<f32> = (0..20_000).map(|i| ((i as f32) * 0.37).cos()).collect();
        let first = resample(&a, 48_000, 22_050).unwrap();
        let _ = resample(&b, 48_000, 22_050).unwrap();
        assert_eq!(resample(&a, 48_000, 22_050).unwrap(), first);
        assert_eq!(first.len(), output_len(a.len(), 48_000, 22_050));
    }

    #[test]
    fn a_tone_in_the_passband_keeps_its_level_and_timing() {
        // 1 kHz at 48 kHz → 22 050 Hz: after the edges, the output is the same tone sampled at
        // the new rate (linear phase, no delay), within 1e-4.
        let x: Vec<f32> = (0..48_000)
            .map(|i| (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 48_000.0).sin() as f32)
            .collect();
        let y = resample(&x, 48_000, 22_050).unwrap();
        for (j, &v) in y.iter().enumerate().skip(200).take(y.len() - 400) {
            let want = (2.0 * std::f64::consts::PI * 1000.0 * j as f64 / 22_050.0).sin();
            assert!((v as f64 - want).abs() < 1e-4, "sample {j}: {v} vs {want}");
        }
    }

    #[test]
    fn empty_and_tiny_inputs() {
        assert!(resample(&[], 16_000, 22_050).unwrap().is_empty());
        assert_eq!(resample(&[0.5], 48_000, 22_050).unwrap().len(), 1);
        assert!(resample(&[1.0], 0, 22_050).is_err());
    }
}
