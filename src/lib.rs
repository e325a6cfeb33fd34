//! Prove a voice judge's score in zero knowledge and check it on Ethereum.
//!
//! Stages, in order (each module's first doc line says input → output):
//! 1. [`synthetic`] seed → the embedded default corpus (five real layouts, voice-like WAVs)
//! 2. [`audio`]    WAV file → [`audio::Clip`] (3 s from 0.5 s, mono, 22 050 Hz)
//! 3. [`mel`]      Clip → [`mel::Spectrogram`] (128 mel bands × 130 frames, dB, librosa's definitions)
//! 4. [`dataset`]  corpora → [`dataset::ScanReport`] → [`dataset::Dataset`] → [`dataset::Split`] 80/10/10
//! 5. [`model`], [`train`]  Split → [`model::Judge`] (judge.safetensors) + [`train::TrainReport`]
//! 6. [`onnx`]     Judge → network.onnx + input.json / cal.json ([`input::InputData`]); ONNX → [`onnx::OnnxGraph`]
//! 7. [`network`]  OnnxGraph → [`network::Network`]: the one typed reading of a judge (layers, geometry, ReLUs) and its float reference
//! 8. [`quantize`] Network → [`quantize::QuantNet`] (fixed point; `forward_q` is the circuit's spec, its trace the witness)
//!    [`settings`] ONNX + cal.json → [`settings::Settings`] (settings.json): scales, layout, ranges, rows
//! 9. [`circuit`]  QuantNet + trace + key → [`circuit::ModelCircuit`] (Halo2: the windowed fast path or the layered backend)
//! 10. [`srs`], [`prove`]  → kzg<k>.srs, pk.key, vk.key, witness.json, mock report, proof.json, verdict
//! 11. [`evm`]     vk → Verifier.sol → bytecode (npm solc) → on-chain verdict and gas (revm)
//! 12. [`judge`]   one recording + an address → [`judge::Judgement`]: the whole journey at once
//!
//! Every stage's errors name the file or value at fault and the fix; [`Error`] wraps them.

pub mod synthetic;
pub mod audio;
pub mod mel;
pub mod dataset;
pub mod model;
pub mod train;
pub mod onnx;
pub mod input;
pub mod network;
pub mod quantize;
pub mod settings;
pub mod circuit;
pub mod binding;
pub mod srs;
pub mod prove;
pub mod evm;
pub mod judge;

pub mod html;
pub mod plot;
pub mod steps;
pub mod workspace;

pub mod encoding;
pub mod error;
pub mod progress;

pub use error::{Error, Result};

/// Everything a notebook cell usually needs.
pub mod prelude {
    pub use crate::audio::{load_clip, Clip, ClipSpec};
    pub use crate::dataset::{scan, Corpus, Dataset, Emotion, ScanReport, Split};
    pub use crate::evm::anvil::{Anvil, DEFAULT_RPC_URL};
    pub use crate::input::{InputData, Key};
    pub use crate::judge::{judge, register_clip, submit_clip, ChainMode, JudgeOptions, Judgement};
    pub use crate::mel::{mel_db, MelSpec, Spectrogram};
    pub use crate::model::WidenConfig;
    pub use crate::onnx::OnnxGraph;
    pub use crate::plot::{self, Figure};
    pub use crate::settings::{CalibrationTarget, Settings};
    pub use crate::synthetic::{write_corpus, SyntheticConfig};
    pub use crate::train::{TrainConfig, TrainReport};
    pub use crate::workspace::Workspace;
    pub use crate::{steps, Error, Result};
}
