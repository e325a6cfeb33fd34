//! The crate's error: one variant per stage, each displayed with its stage's name first so that
//! a log line (or a notebook's stderr) says where the pipeline stopped.

use crate::evm::EvmError;
use crate::{
    audio::AudioError, dataset::DatasetError, mel::MelError, model::ModelError,
    network::NetworkError, onnx::OnnxError, plot::PlotError, prove::ProveError,
    quantize::QuantizeError, settings::SettingsError, srs::SrsError, synthetic::SyntheticError,
    train::TrainError,
};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("idol voice-data: {0}")]
    Synthetic(#[from] SyntheticError),
    #[error("idol audio: {0}")]
    Audio(#[from] AudioError),
    #[error("idol mel: {0}")]
    Mel(#[from] MelError),
    #[error("idol dataset: {0}")]
    Dataset(#[from] DatasetError),
    #[error("idol model: {0}")]
    Model(#[from] ModelError),
    #[error("idol onnx: {0}")]
    Onnx(#[from] OnnxError),
    #[error("idol: cannot write {path}: {source}. Check that the folder is writable.")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("idol plot: {0}")]
    Plot(#[from] PlotError),
    #[error("idol settings: {0}")]
    Settings(#[from] SettingsError),
    #[error("idol network: {0}")]
    Network(#[from] NetworkError),
    #[error("idol quantize: {0}")]
    Quantize(#[from] QuantizeError),
    #[error("idol srs: {0}")]
    Srs(#[from] SrsError),
    #[error("idol prove: {0}")]
    Prove(#[from] ProveError),
    #[error("idol evm: {0}")]
    Evm(#[from] EvmError),
    #[error("idol judge: {0}")]
    Judge(#[from] crate::judge::JudgeError),
    #[error("idol train: {0}")]
    Train(#[from] TrainError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
