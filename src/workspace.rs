//! Folder → the file names of every artifact the tutorial writes, in one place, so the CLI,
//! the notebooks and the tests never spell a path twice. A workspace is a set of artifact
//! paths: the folder's default names, each of which can be overridden ([`Workspace::with`]) —
//! how the CLI's EZKL-style path flags reach the same step functions the notebooks call.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// An artifact a step reads or writes whose path a caller may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Artifact {
    Onnx,
    Input,
    Cal,
    Settings,
    /// The SRS (one file, whatever its size, when overridden).
    Srs,
    Pk,
    Vk,
    Witness,
    Proof,
    Calldata,
    VerifierSol,
    VerifierAbi,
    VerifierBin,
    ContractAddress,
    /// `JudgeRewards.address`: where proofs are submitted (`--addr-path` of `idol submit`).
    RewardsAddress,
    /// `RecordingRegistry.address` (`--addr-path` of `idol register`).
    RegistryAddress,
}

/// A folder holding the tutorial's artifacts (`artifacts/` by default), and any artifact paths
/// set elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct Workspace {
    pub dir: PathBuf,
    overrides: BTreeMap<Artifact, PathBuf>,
}

impl Workspace {
    /// Use (and create) `dir`.
    pub fn new(dir: impl AsRef<Path>) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir.as_ref())?;
        Ok(Self {
            dir: dir.as_ref().to_owned(),
            overrides: BTreeMap::new(),
        })
    }

    /// The same workspace with `artifact` at `path` (`None` keeps the folder's default).
    pub fn with(mut self, artifact: Artifact, path: Option<PathBuf>) -> Self {
        if let Some(p) = path {
            self.overrides.insert(artifact, p);
        }
        self
    }

    /// The path set for `artifact`, if one was.
    pub(crate) fn overridden(&self, artifact: Artifact) -> Option<&Path> {
        self.overrides.get(&artifact).map(PathBuf::as_path)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn artifact(&self, a: Artifact, name: &str) -> PathBuf {
        self.overrides
            .get(&a)
            .cloned()
            .unwrap_or_else(|| self.file(name))
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
        self.artifact(Artifact::Onnx, "network.onnx")
    }
    /// One sample in EZKL's input format.
    pub fn input(&self) -> PathBuf {
        self.artifact(Artifact::Input, "input.json")
    }
    /// Calibration samples (validation split) in EZKL's input format.
    pub fn cal(&self) -> PathBuf {
        self.artifact(Artifact::Cal, "cal.json")
    }
    /// Circuit settings.
    pub fn settings(&self) -> PathBuf {
        self.artifact(Artifact::Settings, "settings.json")
    }
    /// Local SRS for 2^k rows.
    pub fn srs(&self, k: u32) -> PathBuf {
        self.artifact(Artifact::Srs, &crate::srs::srs_file_name(k))
    }
    pub fn pk(&self) -> PathBuf {
        self.artifact(Artifact::Pk, "pk.key")
    }
    pub fn vk(&self) -> PathBuf {
        self.artifact(Artifact::Vk, "vk.key")
    }
    pub fn witness(&self) -> PathBuf {
        self.artifact(Artifact::Witness, "witness.json")
    }
    pub fn proof(&self) -> PathBuf {
        self.artifact(Artifact::Proof, "proof.json")
    }
    /// Raw verifier calldata (`idol encode-evm-calldata`).
    pub fn calldata(&self) -> PathBuf {
        self.artifact(Artifact::Calldata, "calldata.bin")
    }
    /// The generated Solidity verifier.
    pub fn verifier_sol(&self) -> PathBuf {
        self.artifact(Artifact::VerifierSol, "Verifier.sol")
    }
    pub fn verifier_abi(&self) -> PathBuf {
        self.artifact(Artifact::VerifierAbi, "verifier_abi.json")
    }
    /// Compiled deployment bytecode (hex).
    pub fn verifier_bin(&self) -> PathBuf {
        self.artifact(Artifact::VerifierBin, "Verifier.bin")
    }
    /// Address of the deployed verifier.
    pub fn contract_address(&self) -> PathBuf {
        self.artifact(Artifact::ContractAddress, "contract.address")
    }
    /// Address of the deployed `JudgeRewards` contract.
    pub fn rewards_address(&self) -> PathBuf {
        self.artifact(Artifact::RewardsAddress, "JudgeRewards.address")
    }
    /// Address of the deployed `RecordingRegistry`.
    pub fn registry_address(&self) -> PathBuf {
        self.artifact(Artifact::RegistryAddress, "RecordingRegistry.address")
    }
    /// `NAME.address` of a contract of contracts/ deployed from this workspace (EIP-55).
    pub fn address_file(&self, contract: &str) -> PathBuf {
        self.file(&format!("{contract}.address"))
    }
    /// `NAME_abi.json`: the ABI of a contract of contracts/, beside its address file.
    pub fn abi_file(&self, contract: &str) -> PathBuf {
        self.file(&format!("{contract}_abi.json"))
    }
    /// `idol judge`: the input it built from the clip, its proof, and the record of the run.
    pub(crate) fn judge_input(&self) -> PathBuf {
        self.file("judge_input.json")
    }
    pub(crate) fn judge_witness(&self) -> PathBuf {
        self.file("judge_witness.json")
    }
    pub(crate) fn judge_proof(&self) -> PathBuf {
        self.file("judge_proof.json")
    }
    /// Notebook 6's attack (`steps::crafted_attack`): the crafted spectrogram, its witness and
    /// its proof.
    pub fn crafted_input(&self) -> PathBuf {
        self.file("crafted_input.json")
    }
    pub fn crafted_witness(&self) -> PathBuf {
        self.file("crafted_witness.json")
    }
    pub fn crafted_proof(&self) -> PathBuf {
        self.file("crafted_proof.json")
    }
    pub fn judgement(&self) -> PathBuf {
        self.file("judgement.json")
    }
    /// Compiled runtime bytecode (hex), for its size.
    pub fn verifier_runtime_bin(&self) -> PathBuf {
        self.file("Verifier.runtime.bin")
    }
}
