//! The crate's error: one variant per stage, each displayed with its stage's name first so that
//! a log line (or a notebook's stderr) says where the pipeline stopped.

use crate::evm::EvmError;
use crate::{
    audio::AudioError, dataset::DatasetError, input::InputError, mel::MelError, model::ModelError,
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
    #[error("idol input: {0}")]
    Input(#[from] InputError),
    #[error("idol: cannot write {path}: {source}. Check that the folder is writable.")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("idol plot: {0}")]
    Plot(#[from] PlotError),
    #[error("idol settings: {0}")]
    Settings(SettingsError),
    #[error("idol network: {0}")]
    Network(#[from] NetworkError),
    #[error("idol quantize: {0}")]
    Quantize(#[from] QuantizeError),
    #[error("idol srs: {0}")]
    Srs(#[from] SrsError),
    /// Boxed: the largest stage error (its key-file errors name several files).
    #[error("idol prove: {0}")]
    Prove(Box<ProveError>),
    #[error("idol evm: {0}")]
    Evm(#[from] EvmError),
    #[error("idol judge: {0}")]
    Judge(#[from] JudgeError),
    #[error("idol train: {0}")]
    Train(#[from] TrainError),
}

impl Error {
    /// The stage's own message, without the `idol <stage>:` label that `Display` puts first:
    /// the CLI labels an error with the subcommand the user ran instead (`idol verify: ...` for
    /// a malformed proof.json, which the prove stage's reader refuses).
    pub fn detail(&self) -> String {
        match self {
            Error::Synthetic(e) => e.to_string(),
            Error::Audio(e) => e.to_string(),
            Error::Mel(e) => e.to_string(),
            Error::Dataset(e) => e.to_string(),
            Error::Model(e) => e.to_string(),
            Error::Onnx(e) => e.to_string(),
            Error::Input(e) => e.to_string(),
            Error::Io { path, source } => format!(
                "cannot write {}: {source}. Check that the folder is writable.",
                path.display()
            ),
            Error::Plot(e) => e.to_string(),
            Error::Settings(e) => e.to_string(),
            Error::Network(e) => e.to_string(),
            Error::Quantize(e) => e.to_string(),
            Error::Srs(e) => e.to_string(),
            Error::Prove(e) => e.to_string(),
            Error::Evm(e) => e.to_string(),
            Error::Judge(e) => e.to_string(),
            Error::Train(e) => e.to_string(),
        }
    }
}

/// What `idol judge` (the whole journey at once) refuses before any stage runs.
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("{0}. Pass your address as --key.")]
    Key(crate::encoding::AddressError),
    #[error("{what} is missing from {dir}, and --no-setup forbids making it: run `{fix}` first.")]
    Missing {
        what: &'static str,
        dir: std::path::PathBuf,
        fix: &'static str,
    },
    #[error("no Ethereum node listens at {url}: start one (`anvil -p PORT`, or the EVM notebook), or leave out --rpc-url to judge without a chain.")]
    NoNode { url: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A settings error that is another stage's (the model file could not be read) is shown as that
/// stage's.
impl From<SettingsError> for Error {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Onnx(e) => Error::Onnx(e),
            e => Error::Settings(e),
        }
    }
}

/// A proving error raised by a stage below proving (reading the model, its settings, fixed
/// point) is shown as that stage's, so the message names the step that refused.
impl From<ProveError> for Error {
    fn from(e: ProveError) -> Self {
        match e {
            ProveError::Settings(e) => e.into(),
            ProveError::Onnx(e) => Error::Onnx(e),
            ProveError::Network(e) => Error::Network(e),
            ProveError::Quantize(e) => Error::Quantize(e),
            e => Error::Prove(Box::new(e)),
        }
    }
}
