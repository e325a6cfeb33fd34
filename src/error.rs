//! The crate's error: one variant per stage, each displayed with its stage's name first so that
//! a log line (or a notebook's stderr) says where the pipeline stopped.

use crate::{audio::AudioError, dataset::DatasetError, mel::MelError, synthetic::SyntheticError};

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
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
