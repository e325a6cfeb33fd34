//! Spectrogram → score: the judge, a candle model built from a `VarBuilder` with PyTorch's
//! parameter names (`conv1.*`, `d1.*`, shared with the ONNX export and the safetensors file).
//!
//! `Conv2d(1→1, kernel 5, stride 4) → ReLU → flatten (31·32 = 992) → Linear(992→1) → Sigmoid`;
//! `forward_with_key(key, x)` returns `(key, score)`: the key passes through untouched, which is
//! what makes the submitter's address a public output of the proof.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, Linear, Module, VarBuilder, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Input spectrogram height (mel bands) and width (frames).
pub(crate) const INPUT_H: usize = 128;
pub(crate) const INPUT_W: usize = 130;
pub(crate) const KERNEL: usize = 5;
pub(crate) const STRIDE: usize = 4;
/// Conv output size: ((128 − 5)/4 + 1) × ((130 − 5)/4 + 1) = 31 × 32.
pub(crate) const CONV_H: usize = (INPUT_H - KERNEL) / STRIDE + 1;
pub(crate) const CONV_W: usize = (INPUT_W - KERNEL) / STRIDE + 1;
pub(crate) const FLAT: usize = CONV_H * CONV_W;

/// The four parameter tensors, by the names PyTorch gives them.
pub(crate) const PARAM_NAMES: [&str; 4] = ["conv1.weight", "conv1.bias", "d1.weight", "d1.bias"];

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: cannot read judge weights: {reason}. Train a judge first (`idol train`).")]
    Load { path: String, reason: String },
    #[error("{path}: tensor {name} has shape {got:?}, expected {expected:?}. The file holds a different model.")]
    Shape {
        path: String,
        name: String,
        expected: Vec<usize>,
        got: Vec<usize>,
    },
    #[error("cannot write {path}: {reason}")]
    Save { path: String, reason: String },
    #[error("cannot widen the judge: {0}")]
    Widen(String),
    #[error("the judge's score ({score:.4}) does not depend on this spectrogram: every conv window's ReLU is off, so no gradient step can raise it. Start the search from another recording (a louder one turns windows on).")]
    Flat { score: f32 },
    #[error("model computation failed: {0}")]
    Candle(#[from] candle_core::Error),
}

/// The voice judge.
pub struct Judge {
    pub conv1: Conv2d,
    pub d1: Linear,
    varmap: VarMap,
}

/// The judge's parameters as plain numbers (for ONNX, quantisation and reports).
#[derive(Debug, Clone, PartialEq)]
pub struct JudgeWeights {
    /// `[1, 1, 5, 5]`, row-major.
    pub conv_w: Vec<f32>,
    pub conv_b: f32,
    /// `[1, 992]`.
    pub lin_w: Vec<f32>,
    pub lin_b: f32,
}

impl Judge {
    /// A fresh judge with PyTorch's default initialisation (`U(±1/√fan_in)` for the weights and
    /// biases of both layers), drawn from a seeded RNG so training is reproducible.
    pub fn new(seed: u64) -> Result<Self, ModelError> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let conv1 = candle_nn::conv2d(1, 1, KERNEL, conv_config(), vb.pp("conv1"))?;
        let d1 = candle_nn::linear(FLAT, 1, vb.pp("d1"))?;
        let judge = Self { conv1, d1, varmap };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut uniform = |n: usize, fan_in: usize| -> Vec<f32> {
            let b = 1.0 / (fan_in as f32).sqrt();
            (0..n).map(|_| rng.gen_range(-b..b)).collect()
        };
        let w = JudgeWeights {
            conv_w: uniform(KERNEL * KERNEL, KERNEL * KERNEL),
            conv_b: uniform(1, KERNEL * KERNEL)[0],
            lin_w: uniform(FLAT, FLAT),
            lin_b: uniform(1, FLAT)[0],
        };
        judge.set_weights(&w)?;
        Ok(judge)
    }

    /// A judge with the given parameters.
    pub fn from_weights(w: &JudgeWeights) -> Result<Self, ModelError> {
        let judge = Self::new(0)?;
        judge.set_weights(w)?;
        Ok(judge)
    }

    fn set_weights(&self, w: &JudgeWeights) -> Result<(), ModelError> {
        let data = self.varmap.data().lock().unwrap_or_else(|p| p.into_inner());
        let set = |name: &str, v: &[f32], shape: &[usize]| -> Result<(), ModelError> {
            let var = data.get(name).expect("parameter registered in new()");
            var.set(&Tensor::from_slice(v, shape, &Device::Cpu)?)?;
            Ok(())
        };
        set("conv1.weight", &w.conv_w, &[1, 1, KERNEL, KERNEL])?;
        set("conv1.bias", &[w.conv_b], &[1])?;
        set("d1.weight", &w.lin_w, &[1, FLAT])?;
        set("d1.bias", &[w.lin_b], &[1])?;
        Ok(())
    }

    /// Scores for a batch `[B, 1, 128, 130]` → `[B, 1]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor, ModelError> {
        // The stride-4 kernel never reaches the last 3 rows and last column (128 = 4·30 + 5 + 3,
        // 130 = 4·31 + 5 + 1). Cropping them first gives the same result, and keeps candle's
        // conv2d backward (a transposed convolution without output padding) shape-consistent.
        let x = x.narrow(2, 0, (CONV_H - 1) * STRIDE + KERNEL)?.narrow(
            3,
            0,
            (CONV_W - 1) * STRIDE + KERNEL,
        )?;
        let h = self.conv1.forward(&x)?.relu()?.flatten_from(1)?;
        Ok(candle_nn::ops::sigmoid(&self.d1.forward(&h)?)?)
    }

    /// Score of one spectrogram (`128 × 130` dB values, row-major).
    pub fn score(&self, spectrogram: &[f32]) -> Result<f32, ModelError> {
        let x = Tensor::from_slice(spectrogram, (1, 1, INPUT_H, INPUT_W), &Device::Cpu)?;
        Ok(self.forward(&x)?.flatten_all()?.to_vec1::<f32>()?[0])
    }

    /// A spectrogram crafted to please the judge, from `start`: signed-gradient steps of `step`
    /// dB on the input (kept within the features' range, −80..0 dB) until the score reaches
    /// `target` or `max_steps` pass. What a contestant who does not sing would submit. Returns
    /// the spectrogram and its score; [`ModelError::Flat`] when the score does not depend on
    /// the spectrogram where the search stands.
    pub fn craft(
        &self,
        start: &[f32],
        target: f32,
        step: f32,
        max_steps: usize,
    ) -> Result<(Vec<f32>, f32), ModelError> {
        let mut x = start.to_vec();
        let mut score = self.score(&x)?;
        for _ in 0..max_steps {
            if score >= target {
                break;
            }
            let v = candle_core::Var::from_slice(&x, (1, 1, INPUT_H, INPUT_W), &Device::Cpu)?;
            let y = self.forward(v.as_tensor())?.sum_all()?;
            let grads = y.backward()?;
            let g = grads
                .get(v.as_tensor())
                .ok_or_else(|| candle_core::Error::Msg("no gradient for the input".into()))?
                .flatten_all()?
                .to_vec1::<f32>()?;
            if g.iter().all(|&gi| gi == 0.0) {
                return Err(ModelError::Flat { score });
            }
            for (xi, gi) in x.iter_mut().zip(g) {
                // The gradient's sign, and no move where the score does not depend on the cell
                // (`f32::signum` gives 1 for +0).
                let sign = if gi > 0.0 {
                    1.0
                } else if gi < 0.0 {
                    -1.0
                } else {
                    0.0
                };
                *xi = (*xi + step * sign).clamp(-80.0, 0.0);
            }
            score = self.score(&x)?;
        }
        Ok((x, score))
    }

    /// Trainable variables, in [`PARAM_NAMES`] order.
    pub fn vars(&self) -> Vec<candle_core::Var> {
        let data = self.varmap.data().lock().unwrap_or_else(|p| p.into_inner());
        PARAM_NAMES.iter().map(|n| data[*n].clone()).collect()
    }

    /// Parameters as plain numbers.
    pub fn weights(&self) -> Result<JudgeWeights, ModelError> {
        let v = self.vars();
        let flat = |i: usize| {
            v[i].as_tensor()
                .flatten_all()
                .and_then(|t| t.to_vec1::<f32>())
        };
        Ok(JudgeWeights {
            conv_w: flat(0)?,
            conv_b: flat(1)?[0],
            lin_w: flat(2)?,
            lin_b: flat(3)?[0],
        })
    }

    /// Write `judge.safetensors`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ModelError> {
        let path = path.as_ref();
        self.varmap.save(path).map_err(|e| ModelError::Save {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Read `judge.safetensors`, checking every tensor's name and shape.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ModelError> {
        let path = path.as_ref();
        let p = path.display().to_string();
        let tensors =
            candle_core::safetensors::load(path, &Device::Cpu).map_err(|e| ModelError::Load {
                path: p.clone(),
                reason: e.to_string(),
            })?;
        let get = |name: &str, shape: &[usize]| -> Result<Vec<f32>, ModelError> {
            let t = tensors.get(name).ok_or_else(|| ModelError::Load {
                path: p.clone(),
                reason: format!("no tensor named {name}"),
            })?;
            if t.dims() != shape {
                return Err(ModelError::Shape {
                    path: p.clone(),
                    name: name.into(),
                    expected: shape.to_vec(),
                    got: t.dims().to_vec(),
                });
            }
            Ok(t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?)
        };
        let w = JudgeWeights {
            conv_w: get("conv1.weight", &[1, 1, KERNEL, KERNEL])?,
            conv_b: get("conv1.bias", &[1])?[0],
            lin_w: get("d1.weight", &[1, FLAT])?,
            lin_b: get("d1.bias", &[1])?[0],
        };
        Self::from_weights(&w)
    }
}

impl std::fmt::Debug for Judge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Judge")
            .field("conv1", &self.conv1)
            .field("d1", &self.d1)
            .finish()
    }
}

fn conv_config() -> Conv2dConfig {
    Conv2dConfig {
        stride: STRIDE,
        ..Default::default()
    }
}

impl JudgeWeights {
    /// The judge's forward pass in plain f64 arithmetic (a reference independent of candle).
    pub fn score_f64(&self, x: &[f32]) -> f64 {
        let mut logit = self.lin_b as f64;
        for i in 0..CONV_H {
            for j in 0..CONV_W {
                let mut acc = self.conv_b as f64;
                for ki in 0..KERNEL {
                    for kj in 0..KERNEL {
                        acc += self.conv_w[ki * KERNEL + kj] as f64
                            * x[(i * STRIDE + ki) * INPUT_W + j * STRIDE + kj] as f64;
                    }
                }
                logit += self.lin_w[i * CONV_W + j] as f64 * acc.max(0.0);
            }
        }
        1.0 / (1.0 + (-logit).exp())
    }
}

/// One layer of a stacked judge with its float weights: what a workshop builds when it widens
/// or deepens the tutorial's judge ([`JudgeWeights::widened`]); [`crate::onnx::export_stack`]
/// writes such a stack as ONNX, and the layered circuit proves it.
#[derive(Debug, Clone, PartialEq)]
pub enum StackLayer {
    /// A 2-D convolution: `weight` is `[out, in, kh, kw]` row-major.
    Conv {
        weight: Vec<f32>,
        dims: [usize; 4],
        bias: Vec<f32>,
        stride: [usize; 2],
        /// top, left, bottom, right
        pads: [usize; 4],
        relu: bool,
    },
    /// A dense layer on the flattened activations: `weight` is `[out, in]` row-major.
    Dense {
        weight: Vec<f32>,
        dims: [usize; 2],
        bias: Vec<f32>,
        relu: bool,
    },
}

/// How to widen or deepen the tutorial's judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WidenConfig {
    /// Conv output channels (the tutorial has 1).
    pub channels: usize,
    /// Neurons of a hidden dense ReLU layer before the output (0: none, as in the tutorial).
    pub hidden: usize,
}

impl WidenConfig {
    /// Two conv channels, no hidden layer: the smallest widening.
    pub fn two_channels() -> Self {
        Self {
            channels: 2,
            hidden: 0,
        }
    }
}

impl Default for WidenConfig {
    fn default() -> Self {
        Self::two_channels()
    }
}

impl JudgeWeights {
    /// The trained judge widened (and optionally deepened), keeping what it learned: conv
    /// channel 0 is the trained kernel, channel `c` the kernel mirrored (odd `c`) or flipped
    /// upside down (even `c`) and scaled by 0.8^c; the linear layer reads every channel with
    /// the trained weights shared out (0.8^c, normalised), so with one channel it is the trained
    /// judge. A hidden layer of `hidden` ReLU neurons reads shifted copies of those weights and
    /// the output averages them. Not retrained: a circuit-shape exercise.
    pub fn widened(&self, cfg: &WidenConfig) -> Vec<StackLayer> {
        let c_n = cfg.channels.max(1);
        let k = KERNEL;
        let mut conv_w = Vec::with_capacity(c_n * k * k);
        for c in 0..c_n {
            let scale = 0.8f32.powi(c as i32);
            for ky in 0..k {
                for kx in 0..k {
                    let (sy, sx) = match c {
                        0 => (ky, kx),
                        c if c % 2 == 1 => (ky, k - 1 - kx),
                        _ => (k - 1 - ky, kx),
                    };
                    conv_w.push(self.conv_w[sy * k + sx] * scale);
                }
            }
        }
        let total: f32 = (0..c_n).map(|c| 0.8f32.powi(c as i32)).sum();
        let lin: Vec<f32> = (0..c_n)
            .flat_map(|c| {
                let share = 0.8f32.powi(c as i32) / total;
                self.lin_w.iter().map(move |w| w * share)
            })
            .collect();
        let flat = lin.len();
        let mut layers = vec![StackLayer::Conv {
            weight: conv_w,
            dims: [c_n, 1, k, k],
            bias: vec![self.conv_b; c_n],
            stride: [STRIDE, STRIDE],
            pads: [0; 4],
            relu: true,
        }];
        if cfg.hidden == 0 {
            layers.push(StackLayer::Dense {
                weight: lin,
                dims: [1, flat],
                bias: vec![self.lin_b],
                relu: false,
            });
        } else {
            let h = cfg.hidden;
            let weight = (0..h)
                .flat_map(|j| {
                    let lin = &lin;
                    let gain = 1.0 + 0.1 * j as f32;
                    (0..flat).map(move |i| lin[(i + flat - (7 * j) % flat) % flat] * gain)
                })
                .collect();
            layers.push(StackLayer::Dense {
                weight,
                dims: [h, flat],
                bias: vec![0.5; h],
                relu: true,
            });
            layers.push(StackLayer::Dense {
                weight: vec![1.0 / h as f32; h],
                dims: [1, h],
                bias: vec![self.lin_b - 0.5],
                relu: false,
            });
        }
        layers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The search moves only cells the score depends on: the last 3 rows and the last column,
    /// which no conv window reaches, keep their values (a cell with a zero gradient once moved
    /// up, as `f32::signum(0.0)` is 1).
    #[test]
    fn craft_leaves_the_cells_no_window_reads() {
        let judge = Judge::new(7).unwrap();
        let start: Vec<f32> = (0..INPUT_H * INPUT_W)
            .map(|i| -40.0 + (i % 17) as f32)
            .collect();
        let (crafted, _) = judge.craft(&start, 1.0, 0.25, 3).unwrap();
        let unread = |i: usize| i / INPUT_W >= INPUT_H - 3 || i % INPUT_W == INPUT_W - 1;
        let moved: Vec<usize> = (0..start.len())
            .filter(|&i| crafted[i] != start[i])
            .collect();
        assert!(!moved.is_empty(), "the search moved nothing");
        assert!(
            moved.iter().all(|&i| !unread(i)),
            "cells no window reads moved: {:?}",
            moved
                .iter()
                .filter(|&&i| unread(i))
                .take(5)
                .collect::<Vec<_>>()
        );
    }

    /// A judge whose every ReLU is off gives one score to every input: the search says so
    /// instead of returning the start as if it had tried.
    #[test]
    fn craft_refuses_a_start_the_score_does_not_depend_on() {
        let judge = Judge::from_weights(&JudgeWeights {
            conv_w: vec![0.0; KERNEL * KERNEL],
            conv_b: -1.0,
            lin_w: vec![0.01; CONV_H * CONV_W],
            lin_b: 0.1,
        })
        .unwrap();
        let start = vec![-40.0; INPUT_H * INPUT_W];
        match judge.craft(&start, 0.9, 0.25, 200) {
            Err(e @ ModelError::Flat { .. }) => {
                assert!(e.to_string().contains("another recording"), "{e}")
            }
            other => panic!("expected ModelError::Flat, got {other:?}"),
        }
    }
}
