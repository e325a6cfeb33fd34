//! Verifying key → Solidity verifier (our compact template, [`template`]; snark-verifier's EVM
//! loader kept for comparison) → bytecode (npm `solc`) → an on-chain verdict with its gas
//! ([`revm`] in process).
//!
//! Proofs are made with the EVM transcript (Keccak-256) from the start, so the same
//! `proof.json` verifies natively and on chain. Calldata is `instances (32 bytes each) ‖ proof`.

pub mod anvil;
pub mod chain;
pub mod revm;
pub mod solc;
pub mod template;
pub mod tour;

pub use tour::{submit_functions, verifier_stages, SideBySide, VerifierStage, VerifierTour};

use std::path::Path;
use std::rc::Rc;

use halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fr, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use snark_verifier::loader::evm::EvmLoader;
use snark_verifier::pcs::kzg::{Bdfg21, KzgAs};
use snark_verifier::system::halo2::{compile, transcript::evm::EvmTranscript, Config};
use snark_verifier::verifier::{self, SnarkVerifier};

/// The on-chain verifier: SHPLONK (BDFG21) KZG accumulation over BN254.
type PlonkVerifier = verifier::plonk::PlonkVerifier<KzgAs<Bn256, Bdfg21>>;

#[derive(Debug, thiserror::Error)]
pub enum EvmError {
    #[error("cannot generate the verifier: {0}")]
    Generate(String),
    #[error("{0}")]
    Solc(String),
    #[error("{0}")]
    Evm(String),
    /// A contract refused a transaction (simulated first, so nothing was sent).
    #[error("{what} refused: \"{reason}\"")]
    Reverted { what: String, reason: String },
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Solidity source of our verifier for this vk, taking `num_instances` public values, with
/// `inputDigest` over the commitments to `input_columns` (none when empty).
pub fn verifier_solidity(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
    input_columns: &[usize],
) -> Result<String, EvmError> {
    template::verifier_solidity(params, vk, num_instances, input_columns)
}

/// The bytes our verifier expects after the transcript in a proof ([`template::HINT_BYTES`]):
/// the inverses of its two batched products, for these instances and transcript.
pub fn evm_hints(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    instances: &[Fr],
    transcript: &[u8],
) -> Result<[u8; template::HINT_BYTES], EvmError> {
    let protocol = plonk_protocol(params, vk, instances.len());
    template::hints(&protocol, instances, transcript)
}

/// The PLONK protocol of a vk as snark-verifier describes it (what a proof holds, in which
/// order, the quotient numerator): the one source both verifier generators read.
pub(crate) fn plonk_protocol(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
) -> snark_verifier::verifier::plonk::PlonkProtocol<G1Affine> {
    compile(
        params,
        vk,
        Config::kzg().with_num_instance(vec![num_instances]),
    )
}

/// snark-verifier's straight-line verifier for the same vk (same calldata, same verdicts; about
/// 45% more runtime code and 2% more gas on the judge): kept to cross-check ours.
pub fn snark_verifier_solidity(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
) -> Result<String, EvmError> {
    let protocol = plonk_protocol(params, vk, num_instances);
    let svk = (params.get_g()[0], params.g2(), params.s_g2()).into();
    let loader = EvmLoader::new::<Fq, Fr>();
    let protocol = protocol.loaded(&loader);
    let mut transcript = EvmTranscript::<_, Rc<EvmLoader>, _, _>::new(&loader);
    let instances = transcript.load_instances(vec![num_instances]);
    let proof = PlonkVerifier::read_proof(&svk, &protocol, &instances, &mut transcript)
        .map_err(|e| EvmError::Generate(format!("{e:?}")))?;
    PlonkVerifier::verify(&svk, &protocol, &instances, &proof)
        .map_err(|e| EvmError::Generate(format!("{e:?}")))?;
    // The generator pins an old compiler exactly; any 0.8.x from 0.8.19 on compiles it.
    Ok(loader
        .solidity_code()
        .replace("pragma solidity 0.8.19;", "pragma solidity ^0.8.19;"))
}

/// The standard verifier interface's selector: `verifyProof(bytes,uint256[])`.
pub const VERIFY_PROOF_SELECTOR: [u8; 4] = [0x1e, 0x8e, 0x1e, 0x13];

/// Calldata of `verifyProof(bytes proof, uint256[] instances)` in the canonical ABI encoding
/// (what ethers.js, web3.py and Solidity write).
pub fn calldata(instances: &[Fr], proof: &[u8]) -> Vec<u8> {
    calldata_words(&instance_words(instances), proof)
}

/// [`calldata`] for instances given as 32-byte words (any value, field element or not).
pub fn calldata_words(words: &[[u8; 32]], proof: &[u8]) -> Vec<u8> {
    let padded = proof.len().div_ceil(32) * 32;
    let mut data = Vec::with_capacity(4 + 32 * 4 + padded + 32 * words.len());
    data.extend_from_slice(&VERIFY_PROOF_SELECTOR);
    data.extend_from_slice(&word(0x40));
    data.extend_from_slice(&word(0x60 + padded));
    data.extend_from_slice(&word(proof.len()));
    data.extend_from_slice(proof);
    data.resize(data.len() + padded - proof.len(), 0);
    data.extend_from_slice(&word(words.len()));
    for w in words {
        data.extend_from_slice(w);
    }
    data
}

/// Calldata of snark-verifier's verifier (and of our verifier before it took the standard
/// interface): each instance as a 32-byte big-endian word, then the proof bytes.
pub fn raw_calldata(instances: &[Fr], proof: &[u8]) -> Vec<u8> {
    snark_verifier::loader::evm::encode_calldata(&[instances.to_vec()], proof)
}

/// `n` as a 32-byte big-endian ABI word.
fn word(n: usize) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&(n as u64).to_be_bytes());
    w
}

/// A generated, compiled verifier.
#[derive(Debug, Clone)]
pub struct VerifierContract {
    pub solidity: String,
    pub deployment_code: Vec<u8>,
    pub runtime_code: Vec<u8>,
    /// The contract's ABI as solc gives it.
    pub abi: serde_json::Value,
}

impl VerifierContract {
    /// Write the Solidity source, the ABI, and the deployment and runtime bytecode (hex).
    pub fn save(
        &self,
        sol: &Path,
        abi: &Path,
        bin: &Path,
        runtime_bin: &Path,
    ) -> Result<(), EvmError> {
        write(sol, &self.solidity)?;
        write(
            abi,
            serde_json::to_string_pretty(&self.abi).expect("an ABI serialises"),
        )?;
        write(bin, crate::encoding::hex(&self.deployment_code))?;
        write(runtime_bin, crate::encoding::hex(&self.runtime_code))
    }
}

/// Generate and compile the verifier for a vk.
pub fn create_evm_verifier(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
    input_columns: &[usize],
) -> Result<VerifierContract, EvmError> {
    create_evm_verifier_noted(params, vk, num_instances, input_columns, &[])
}

/// [`create_evm_verifier`] with `notes` as comment lines after the licence line (what the
/// verifier was made from: the circuit's and the SRS's digests).
pub(crate) fn create_evm_verifier_noted(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
    input_columns: &[usize],
    notes: &[String],
) -> Result<VerifierContract, EvmError> {
    let mut solidity = verifier_solidity(params, vk, num_instances, input_columns)?;
    if !notes.is_empty() {
        let at = solidity.find('\n').map_or(0, |i| i + 1);
        let block: String = notes.iter().map(|n| format!("// {n}\n")).collect();
        solidity.insert_str(at, &block);
    }
    let out = solc::compile(&[("Verifier.sol", solidity.as_str())], "Verifier.sol", None)?;
    Ok(VerifierContract {
        solidity,
        deployment_code: out.deployment,
        runtime_code: out.runtime,
        abi: out.abi,
    })
}

/// A Solidity verifier (ours or another tool's) measured in the in-process EVM: compiled with
/// the project's solc, deployed, and called once with the given calldata.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VerifierMeasurement {
    pub contract: String,
    /// The optimizer setting that gave the smallest runtime code (see [`measure_verifier`]).
    pub optimizer: String,
    pub runtime_bytes: usize,
    pub deploy_gas: u64,
    pub calldata_bytes: usize,
    /// Gas of the verification transaction (21 000 intrinsic + calldata + execution) on
    /// mainnet's current rules (Osaka)...
    pub verify_gas: u64,
    /// ...and on Prague's (before EIP-7883 repriced MODEXP).
    pub verify_gas_prague: u64,
    /// The call neither reverted nor returned `false`.
    pub accepted: bool,
}

impl std::fmt::Display for VerifierMeasurement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} (runtime {} bytes, deployment {} gas, {}); verify {} gas on Osaka ({} on Prague), calldata {} bytes",
            self.contract,
            if self.accepted {
                "ACCEPTED"
            } else {
                "REJECTED"
            },
            self.runtime_bytes,
            self.deploy_gas,
            self.optimizer,
            self.verify_gas,
            self.verify_gas_prague,
            self.calldata_bytes
        )
    }
}

/// Compile `solidity` with each [`solc::Optimizer`] setting, keep the smallest runtime code that
/// compiles (a template may need the Yul step, ours must not have it), deploy it in revm and
/// call it once with `calldata`. A call counts as accepted when it does not revert and returns
/// nothing (our verifier) or a true word (a `verifyProof(...) returns (bool)` verifier).
pub fn measure_verifier(
    solidity: &str,
    contract: Option<&str>,
    calldata: Vec<u8>,
) -> Result<VerifierMeasurement, EvmError> {
    let mut best: Option<(solc::Compiled, solc::Optimizer)> = None;
    let mut errors = Vec::new();
    for opt in [solc::Optimizer::YulOff, solc::Optimizer::Size] {
        match solc::compile_with(&[("Verifier.sol", solidity)], "Verifier.sol", contract, opt) {
            Ok(c)
                if best
                    .as_ref()
                    .is_none_or(|(b, _)| c.runtime.len() < b.runtime.len()) =>
            {
                best = Some((c, opt))
            }
            Ok(_) => {}
            Err(e) => errors.push(format!("{opt}: {e}")),
        }
    }
    let (compiled, optimizer) = best.ok_or_else(|| {
        EvmError::Solc(format!(
            "the verifier compiles with no optimizer setting:\n{}",
            errors.join("\n")
        ))
    })?;
    let mut evm = revm::Evm::new();
    let (addr, deploy_gas) = evm.deploy(compiled.deployment.clone())?;
    let calldata_bytes = calldata.len();
    let verify = evm.call(addr, calldata.clone(), revm::VERIFY_GAS_LIMIT)?;
    let mut prague = revm::Evm::on(revm::Fork::Prague);
    let (addr, _) = prague.deploy(compiled.deployment)?;
    let verify_prague = prague.call(addr, calldata, revm::VERIFY_GAS_LIMIT)?;
    let returned_true = verify.output.len() == 32
        && verify.output[31] == 1
        && verify.output[..31].iter().all(|&b| b == 0);
    Ok(VerifierMeasurement {
        contract: contract.unwrap_or("Verifier.sol").to_string(),
        optimizer: optimizer.to_string(),
        runtime_bytes: compiled.runtime.len(),
        deploy_gas,
        calldata_bytes,
        verify_gas: verify.gas_used,
        verify_gas_prague: verify_prague.gas_used,
        accepted: verify.success && (verify.output.is_empty() || returned_true),
    })
}

/// Source of the rewards contract (in the repository, compiled like the verifier).
pub const REWARDS_SOL: &str = include_str!("../../contracts/JudgeRewards.sol");

/// Source of the registry of a contest's accepted recordings.
pub const REGISTRY_SOL: &str = include_str!("../../contracts/RecordingRegistry.sol");

/// Source of the standard verifier interface (and its input-bound extension).
pub const IVERIFIER_SOL: &str = include_str!("../../contracts/IVerifier.sol");

/// Source of the flawed rewards contract notebook 6 compares with `JudgeRewards`: it pays
/// `msg.sender` for any valid proof, so a front-running bot collects the reward and a crafted
/// spectrogram is paid.
pub(crate) const NAIVE_REWARDS_SOL: &str = include_str!("../../contracts/NaiveRewards.sol");

/// Every contract source in contracts/, by the file name imports use.
fn contract_sources() -> [(&'static str, &'static str); 4] {
    [
        ("IVerifier.sol", IVERIFIER_SOL),
        ("RecordingRegistry.sol", REGISTRY_SOL),
        ("JudgeRewards.sol", REWARDS_SOL),
        ("NaiveRewards.sol", NAIVE_REWARDS_SOL),
    ]
}

/// Compile one contract of contracts/ (with the files it imports).
fn compile_contract(file: &str, name: &str) -> Result<solc::Compiled, EvmError> {
    solc::compile(&contract_sources(), file, Some(name))
}

/// Compile the flawed rewards contract (constructor `(verifier)`, same `submit` as
/// `JudgeRewards`).
pub fn compile_naive_rewards() -> Result<solc::Compiled, EvmError> {
    compile_contract("NaiveRewards.sol", "NaiveRewards")
}

/// Compile the registry of accepted recordings.
pub fn compile_registry() -> Result<solc::Compiled, EvmError> {
    compile_contract("RecordingRegistry.sol", "RecordingRegistry")
}

/// One function of a Solidity source, with the `///` comment above it: from `function NAME(` to
/// its closing brace. None if there is no such function.
pub fn solidity_function(src: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = src.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with(&format!("function {name}(")))?;
    let mut first = at;
    while first > 0 && lines[first - 1].trim_start().starts_with("///") {
        first -= 1;
    }
    let mut depth = 0i32;
    let mut opened = false;
    for (i, line) in lines.iter().enumerate().skip(at) {
        for ch in line.chars() {
            match ch {
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        if opened && depth == 0 {
            let body = &lines[first..=i];
            let indent = body
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            let text: Vec<&str> = body.iter().map(|l| l.get(indent..).unwrap_or("")).collect();
            return Some(text.join("\n"));
        }
    }
    None
}

/// Compile the rewards contract (constructor `(verifier, registry)`).
pub fn compile_rewards() -> Result<solc::Compiled, EvmError> {
    compile_contract("JudgeRewards.sol", "JudgeRewards")
}

/// Instances as 32-byte big-endian words.
pub fn instance_words(instances: &[Fr]) -> Vec<[u8; 32]> {
    use halo2_proofs::halo2curves::ff::PrimeField;
    instances
        .iter()
        .map(|f| {
            let mut b: [u8; 32] = f.to_repr();
            b.reverse();
            b
        })
        .collect()
}

/// Write `path` creating nothing else.
pub(crate) fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), EvmError> {
    std::fs::write(path, bytes).map_err(|source| EvmError::Io {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selector_is_verify_proofs() {
        assert_eq!(
            VERIFY_PROOF_SELECTOR[..],
            ethers_core::utils::keccak256("verifyProof(bytes,uint256[])")[..4]
        );
    }

    #[test]
    fn calldata_is_the_canonical_abi_encoding() {
        let proof: Vec<u8> = (0..70u8).collect();
        let words = [[1u8; 32], [2u8; 32]];
        let ours = calldata_words(&words, &proof);
        let mut theirs = VERIFY_PROOF_SELECTOR.to_vec();
        theirs.extend(ethers_core::abi::encode(&[
            ethers_core::abi::Token::Bytes(proof.clone()),
            ethers_core::abi::Token::Array(
                words
                    .iter()
                    .map(|w| {
                        ethers_core::abi::Token::Uint(ethers_core::types::U256::from_big_endian(w))
                    })
                    .collect(),
            ),
        ]));
        assert_eq!(ours, theirs);
    }
}
