//! [`Split`] → trained [`Judge`] + [`TrainReport`]: MSE, Adam with L2 weight decay, batch 10,
//! 10 epochs, validation loss every epoch, test loss at the end.
//!
//! **Optimizer.** The tutorial uses `torch.optim.Adam(lr=1e-3, weight_decay=1e-3)`, which adds
//! `weight_decay · θ` to the gradient before the moment updates (L2 regularisation). candle-nn's
//! `AdamW` is the decoupled variant (it shrinks θ directly), which regularises differently, so
//! [`Adam`] here implements PyTorch's update: `g ← ∇ + λθ; m ← β₁m + (1−β₁)g;
//! v ← β₂v + (1−β₂)g²; θ ← θ − lr · m̂ / (√v̂ + ε)`.
//!
//! **Batches.** As in the tutorial, an epoch is `len(train)` steps, each on `batch_size`
//! examples drawn with replacement (`np.random.choice`), seeded here so runs are reproducible.
//! The tutorial's "test loss" was computed on the validation set by mistake; ours uses the test
//! split.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{Device, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::dataset::{Example, Split};
use crate::model::{Judge, ModelError, INPUT_H, INPUT_W};

/// Training hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
    /// Steps per epoch; `None` = `len(train)`, as the tutorial does.
    pub steps_per_epoch: Option<usize>,
    /// Seed of the initial weights and of batch sampling.
    pub seed: u64,
}

impl TrainConfig {
    /// The tutorial's settings.
    pub fn tutorial() -> Self {
        Self {
            epochs: 10,
            batch_size: 10,
            lr: 1e-3,
            weight_decay: 1e-3,
            steps_per_epoch: None,
            seed: 42,
        }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self::tutorial()
    }
}

/// PyTorch's Adam, with L2 weight decay added to the gradient.
pub struct Adam {
    vars: Vec<Var>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    t: i32,
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Adam {
    pub fn new(vars: Vec<Var>, lr: f64, weight_decay: f64) -> candle_core::Result<Self> {
        let m = vars
            .iter()
            .map(|v| v.zeros_like())
            .collect::<Result<_, _>>()?;
        let v = vars
            .iter()
            .map(|v| v.zeros_like())
            .collect::<Result<_, _>>()?;
        Ok(Self {
            vars,
            m,
            v,
            t: 0,
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
        })
    }

    /// One update from the gradients of `loss`.
    pub fn backward_step(&mut self, loss: &Tensor) -> candle_core::Result<()> {
        let grads = loss.backward()?;
        self.t += 1;
        let bc1 = 1.0 - self.beta1.powi(self.t);
        let bc2 = 1.0 - self.beta2.powi(self.t);
        for (i, var) in self.vars.iter().enumerate() {
            let Some(grad) = grads.get(var) else { continue };
            let theta = var.as_tensor();
            let g = (grad + (theta * self.weight_decay)?)?;
            self.m[i] = ((&self.m[i] * self.beta1)? + (&g * (1.0 - self.beta1))?)?;
            self.v[i] = ((&self.v[i] * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let m_hat = (&self.m[i] / bc1)?;
            let v_hat = (&self.v[i] / bc2)?;
            let step = (m_hat / (v_hat.sqrt()? + self.eps)?)?;
            var.set(&(theta - (step * self.lr)?)?)?;
        }
        Ok(())
    }
}

/// Loss after one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    pub epoch: usize,
    /// Mean MSE over the epoch's training batches.
    pub train_loss: f64,
    pub val_loss: f64,
}

/// What training did, with the baseline a judge must beat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub config: TrainConfig,
    pub n_train: usize,
    pub n_test: usize,
    pub n_val: usize,
    pub history: Vec<EpochLog>,
    pub test_loss: f64,
    /// MSE of always predicting the mean training score, on the validation split.
    pub val_mse_mean_baseline: f64,
    /// The same on the test split.
    pub test_mse_mean_baseline: f64,
    pub seconds: f64,
}

impl TrainReport {
    /// A train_history.json written by `idol train`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, TrainError> {
        let path = path.as_ref();
        let bad = |reason: String| TrainError::History {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| bad(e.to_string()))
    }

    pub fn final_val_loss(&self) -> f64 {
        self.history.last().map(|e| e.val_loss).unwrap_or(f64::NAN)
    }
}

impl fmt::Display for TrainReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "trained on {} clips ({} test, {} validation) in {:.1} s",
            self.n_train, self.n_test, self.n_val, self.seconds
        )?;
        for e in &self.history {
            writeln!(
                f,
                "  epoch {:>2}: train MSE {:.4}, validation MSE {:.4}",
                e.epoch, e.train_loss, e.val_loss
            )?;
        }
        writeln!(
            f,
            "  validation MSE {:.4} vs {:.4} predicting the mean score; test MSE {:.4} vs {:.4}",
            self.final_val_loss(),
            self.val_mse_mean_baseline,
            self.test_loss,
            self.test_mse_mean_baseline
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("the {part} split is empty; the dataset needs at least 10 clips. Add data (`idol voice-data --synthetic`).")]
    EmptySplit { part: &'static str },
    #[error("batch_size must be at least 1")]
    BatchSize,
    #[error("training diverged at epoch {epoch}: loss is {loss}. Lower the learning rate.")]
    Diverged { epoch: usize, loss: f64 },
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("training computation failed: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("{path} is not a training history written by `idol train` ({reason}).")]
    History { path: PathBuf, reason: String },
}

/// Stack examples into `x: [n, 1, 128, 130]` and `y: [n, 1]`.
pub(crate) fn to_tensors(examples: &[Example]) -> candle_core::Result<(Tensor, Tensor)> {
    let mut x = Vec::with_capacity(examples.len() * INPUT_H * INPUT_W);
    for e in examples {
        x.extend_from_slice(&e.features.db);
    }
    let y: Vec<f32> = examples.iter().map(|e| e.score()).collect();
    Ok((
        Tensor::from_vec(x, (examples.len(), 1, INPUT_H, INPUT_W), &Device::Cpu)?,
        Tensor::from_vec(y, (examples.len(), 1), &Device::Cpu)?,
    ))
}

fn mse(judge: &Judge, x: &Tensor, y: &Tensor) -> Result<f64, TrainError> {
    let pred = judge.forward(x)?;
    Ok(candle_nn::loss::mse(&pred, y)?.to_scalar::<f32>()? as f64)
}

fn baseline(mean: f32, part: &[Example]) -> f64 {
    part.iter()
        .map(|e| ((e.score() - mean) as f64).powi(2))
        .sum::<f64>()
        / part.len() as f64
}

/// Train a judge on `split.train`, printing one line per epoch and progress within it.
pub fn train(split: &Split, cfg: &TrainConfig) -> Result<(Judge, TrainReport), TrainError> {
    for (part, v) in [
        ("train", &split.train),
        ("test", &split.test),
        ("validation", &split.val),
    ] {
        if v.is_empty() {
            return Err(TrainError::EmptySplit { part });
        }
    }
    if cfg.batch_size == 0 {
        return Err(TrainError::BatchSize);
    }
    let start = Instant::now();
    let judge = Judge::new(cfg.seed)?;
    let mut opt = Adam::new(judge.vars(), cfg.lr, cfg.weight_decay)?;
    let (train_x, train_y) = to_tensors(&split.train)?;
    let (val_x, val_y) = to_tensors(&split.val)?;
    let (test_x, test_y) = to_tensors(&split.test)?;
    let n = split.train.len();
    let steps = cfg.steps_per_epoch.unwrap_or(n);
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5eed);
    let mut history = Vec::with_capacity(cfg.epochs);
    for epoch in 1..=cfg.epochs {
        let mut sum = 0.0;
        let mut last_print = Instant::now();
        for step in 1..=steps {
            let idx: Vec<u32> = (0..cfg.batch_size)
                .map(|_| rng.gen_range(0..n as u32))
                .collect();
            let idx = Tensor::new(idx.as_slice(), &Device::Cpu)?;
            let xb = train_x.index_select(&idx, 0)?;
            let yb = train_y.index_select(&idx, 0)?;
            let loss = candle_nn::loss::mse(&judge.forward(&xb)?, &yb)?;
            let l = loss.to_scalar::<f32>()? as f64;
            if !l.is_finite() {
                return Err(TrainError::Diverged { epoch, loss: l });
            }
            sum += l;
            opt.backward_step(&loss)?;
            if last_print.elapsed().as_secs_f64() >= 2.0 {
                crate::progress::say!(
                    "[train] epoch {epoch}/{} batch {step}/{steps} loss {:.4}",
                    cfg.epochs,
                    sum / step as f64
                );
                last_print = Instant::now();
            }
        }
        let val_loss = mse(&judge, &val_x, &val_y)?;
        let log = EpochLog {
            epoch,
            train_loss: sum / steps as f64,
            val_loss,
        };
        println!(
            "epoch {:>2}/{}: train MSE {:.4}, validation MSE {:.4}",
            epoch, cfg.epochs, log.train_loss, log.val_loss
        );
        history.push(log);
    }
    let test_loss = mse(&judge, &test_x, &test_y)?;
    let mean = split.train.iter().map(|e| e.score()).sum::<f32>() / n as f32;
    let report = TrainReport {
        config: cfg.clone(),
        n_train: n,
        n_test: split.test.len(),
        n_val: split.val.len(),
        history,
        test_loss,
        val_mse_mean_baseline: baseline(mean, &split.val),
        test_mse_mean_baseline: baseline(mean, &split.test),
        seconds: start.elapsed().as_secs_f64(),
    };
    println!(
        "test MSE {:.4} (mean-score baseline {:.4})",
        report.test_loss, report.test_mse_mean_baseline
    );
    Ok((judge, report))
}

impl TrainReport {
    /// Loss per epoch against the mean-score baseline.
    pub fn to_html(&self) -> String {
        let mut t = crate::html::Table::new(format!(
            "trained on {} clips ({} validation, {} test) in {:.1} s",
            self.n_train, self.n_val, self.n_test, self.seconds
        ))
        .header(["epoch", "train MSE", "validation MSE"]);
        for e in &self.history {
            t = t.row([
                e.epoch.to_string(),
                format!("{:.4}", e.train_loss),
                format!("{:.4}", e.val_loss),
            ]);
        }
        t.note(format!(
            "validation MSE {:.4} vs {:.4} predicting the mean score; test MSE {:.4} vs {:.4}",
            self.final_val_loss(),
            self.val_mse_mean_baseline,
            self.test_loss,
            self.test_mse_mean_baseline
        ))
        .to_html()
    }
}

crate::html::notebook_display!(TrainReport);
