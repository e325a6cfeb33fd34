//! Folder → the file names of every artifact the tutorial writes, in one place, so the CLI,
//! the notebooks and the tests never spell a path twice.

use std::path::{Path, PathBuf};

/// A folder holding the tutorial's artifacts (`artifacts/` by default).
#[derive(Debug, Clone, PartialEq)]
pub struct Workspace {
    pub dir: PathBuf,
}

impl Workspace {
    /// Use (and create) `dir`.
    pub fn new(dir: impl AsRef<Path>) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir.as_ref())?;
        Ok(Self {
            dir: dir.as_ref().to_owned(),
        })
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Where `idol voice-data --synthetic` writes when asked for this workspace.
    pub fn data_root(&self) -> PathBuf {
        self.file("data")
    }
    /// Trained judge weights.
    pub fn judge(&self) -> PathBuf {
        self.file("judge.safetensors")
    }
    /// Training history (JSON).
    pub fn history(&self) -> PathBuf {
        self.file("train_history.json")
    }
    /// Loss curve.
    pub fn loss_plot(&self) -> PathBuf {
        self.file("loss.png")
    }
    /// The exported model.
    pub fn onnx(&self) -> PathBuf {
        self.file("network.onnx")
    }
    /// One sample in EZKL's input format.
    pub fn input(&self) -> PathBuf {
        self.file("input.json")
    }
    /// Calibration samples (validation split) in EZKL's input format.
    pub fn cal(&self) -> PathBuf {
        self.file("cal.json")
    }
    /// Circuit settings.
    pub fn settings(&self) -> PathBuf {
        self.file("settings.json")
    }
    /// Local SRS for 2^k rows.
    pub fn srs(&self, k: u32) -> PathBuf {
        self.file(&crate::srs::srs_file_name(k))
    }
    pub fn pk(&self) -> PathBuf {
        self.file("pk.key")
    }
    pub fn vk(&self) -> PathBuf {
        self.file("vk.key")
    }
    pub fn witness(&self) -> PathBuf {
        self.file("witness.json")
    }
    pub fn proof(&self) -> PathBuf {
        self.file("proof.json")
    }
    /// Raw verifier calldata (`idol encode-evm-calldata`).
    pub fn calldata(&self) -> PathBuf {
        self.file("calldata.bin")
    }
    /// The generated Solidity verifier.
    pub fn verifier_sol(&self) -> PathBuf {
        self.file("Verifier.sol")
    }
    pub fn verifier_abi(&self) -> PathBuf {
        self.file("verifier_abi.json")
    }
    /// Compiled deployment bytecode (hex).
    pub fn verifier_bin(&self) -> PathBuf {
        self.file("Verifier.bin")
    }
    /// Address of the deployed verifier.
    pub fn contract_address(&self) -> PathBuf {
        self.file("contract.address")
    }
    /// Address of the deployed `JudgeRewards` contract.
    pub fn rewards_address(&self) -> PathBuf {
        self.file("rewards.address")
    }
    /// `idol judge`: the input it built from the clip, its proof, and the record of the run.
    pub fn judge_input(&self) -> PathBuf {
        self.file("judge_input.json")
    }
    pub fn judge_proof(&self) -> PathBuf {
        self.file("judge_proof.json")
    }
    pub fn judgement(&self) -> PathBuf {
        self.file("judgement.json")
    }
    /// Compiled runtime bytecode (hex), for its size.
    pub fn verifier_runtime_bin(&self) -> PathBuf {
        self.file("Verifier.runtime.bin")
    }
}
