//! The contest on chain: d of a recording (`commit`), the contest's contracts (`deploy_contest`),
//! the organizer's registration of an accepted recording (`register`), a singer's submission
//! (`submit`), and the front-running demo over all of them (`mev_demo`).

use std::path::Path;

use ethers_core::types::U256;

use super::report::{
    Attempt, Commitment, Contest, InputCheck, MevReport, Registration, Submission,
};
use super::{deployed_verifier, load_address, model, prove_witness, save_address, srs_for};
use crate::binding::InputDigest;
use crate::encoding::Address;
use crate::evm::chain::{self, Chain};
use crate::evm::EvmError;
use crate::input::InputData;
use crate::prove::{self, Proof};
use crate::workspace::Workspace;
use crate::Result;

/// `idol commit`: d of input.json's first sample under the workspace's model, settings and SRS:
/// what a proof of it records, computed without proving. Refused for a model whose circuit does
/// not bind its input (the layered layout).
pub fn commit(ws: &Workspace) -> Result<Commitment> {
    commit_input(ws, &ws.input())
}

/// [`commit`] of another input file.
pub fn commit_input(ws: &Workspace, input: &Path) -> Result<Commitment> {
    let model = model(ws)?;
    let srs = srs_for(ws, model.k())?;
    let data = InputData::load(input)?;
    let input_digest = prove::input_digest(&model, &srs, &data)?.ok_or_else(|| {
        EvmError::Evm(format!(
            "this model's circuit ({} layout) does not bind its input, so a proof of it carries no input digest; the contest needs the windowed layout",
            model.layout()
        ))
    })?;
    Ok(Commitment {
        input_digest,
        input: input.to_owned(),
        srs: srs.path.clone(),
        ceremony: srs.ceremony.clone(),
    })
}

/// Whether proof.json is of `input`: d recomputed from the input against d read from the
/// proof's bytes (at the offsets of the settings' layout; the proof.json field is not trusted).
pub fn check_input(ws: &Workspace, input: &Path) -> Result<InputCheck> {
    let proof = Proof::load(ws.proof())?;
    let layout = crate::settings::Settings::load(ws.settings())?.layout;
    let c = commit_input(ws, input)?;
    Ok(InputCheck {
        input: input.to_owned(),
        input_digest: c.input_digest,
        proof_digest: crate::binding::digest_of_proof(
            &proof.bytes,
            crate::circuit::input_columns(layout),
        ),
    })
}

/// Deploy a contest over the workspace's deployed verifier (contract.address): a
/// `RecordingRegistry` (its organizer is the sender) and a `JudgeRewards` paying its registered
/// recordings. Writes `NAME.address` (EIP-55) and `NAME_abi.json` for both.
pub fn deploy_contest(ws: &Workspace, rpc_url: &str, private_key: Option<&str>) -> Result<Contest> {
    let verifier = deployed_verifier(ws)?;
    let node = Chain::connect_as(rpc_url, private_key)?;
    if node.code_size(verifier)? == 0 {
        return Err(EvmError::Evm(format!(
            "no contract at {verifier:?} on {rpc_url}: deploy the verifier with `idol deploy-evm`"
        ))
        .into());
    }
    let registry_code = crate::evm::compile_registry()?;
    let (registry, registry_gas) = node.deploy(registry_code.deployment.clone())?;
    save_contract(
        ws,
        "RecordingRegistry",
        &ws.registry_address(),
        registry,
        &registry_code.abi,
    )?;
    let rewards_code = crate::evm::compile_rewards()?;
    let mut code = rewards_code.deployment.clone();
    code.extend(chain::rewards_constructor(verifier, registry));
    let (rewards, rewards_gas) = node.deploy(code)?;
    save_contract(
        ws,
        "JudgeRewards",
        &ws.rewards_address(),
        rewards,
        &rewards_code.abi,
    )?;
    Ok(Contest {
        verifier,
        registry,
        rewards,
        gas_used: registry_gas + rewards_gas,
        chain_id: node.chain_id,
        rpc_url: rpc_url.to_string(),
    })
}

/// Write a deployed contract's address file and, beside the workspace's default one, its ABI.
fn save_contract(
    ws: &Workspace,
    name: &str,
    address_file: &Path,
    address: Address,
    abi: &serde_json::Value,
) -> Result<()> {
    save_address(address_file, address)?;
    crate::evm::write(
        &ws.abi_file(name),
        serde_json::to_string_pretty(abi).expect("an ABI serialises"),
    )?;
    Ok(())
}

/// The organizer registers input.json's recording (its d) for `key` at the workspace's
/// registry (`RecordingRegistry.address`). A refusal (not the organizer, already registered)
/// is an error naming the contract's reason; nothing is sent then.
pub fn register(
    ws: &Workspace,
    rpc_url: &str,
    private_key: Option<&str>,
    key: Address,
) -> Result<Registration> {
    register_digest(ws, rpc_url, private_key, key, &commit(ws)?)
}

/// [`register`] of a recording whose d is already computed (`idol judge` holds it).
pub fn register_digest(
    ws: &Workspace,
    rpc_url: &str,
    private_key: Option<&str>,
    key: Address,
    c: &Commitment,
) -> Result<Registration> {
    if let Some(w) = c.srs_warning() {
        crate::progress::say!("[contest] warning: {w}");
    }
    let registry = load_address(&ws.registry_address(), "idol deploy-contest")?;
    let node = Chain::connect_as(rpc_url, private_key)?;
    let verdict = node
        .register(registry, &c.input_digest.0, key)?
        .map_err(|reason| EvmError::Reverted {
            what: format!("RecordingRegistry.register at {registry:?}"),
            reason,
        })?;
    if !verdict.accepted {
        return Err(EvmError::Reverted {
            what: format!("RecordingRegistry.register at {registry:?}"),
            reason: "the transaction reverted".into(),
        }
        .into());
    }
    Ok(Registration {
        registry,
        input_digest: c.input_digest,
        key,
        gas_used: verdict.gas_used,
    })
}

/// Submit proof.json to the workspace's `JudgeRewards`: simulated first, so a refusal comes
/// back with the contract's reason (and nothing is sent); otherwise sent, and the key's credit
/// read back.
pub fn submit(ws: &Workspace, rpc_url: &str, private_key: Option<&str>) -> Result<Submission> {
    let proof = Proof::load(ws.proof())?;
    let rewards = load_address(&ws.rewards_address(), "idol deploy-contest")?;
    let node = Chain::connect_as(rpc_url, private_key)?;
    let words = crate::evm::instance_words(&proof.instances);
    let attempt = attempt(&node, rewards, &proof.bytes, &words)?;
    let key = Address::from_low_bytes(&words[0]);
    Ok(Submission {
        rewards,
        key,
        score: U256::from_big_endian(&words[1]),
        input_digest: proof.input_digest,
        attempt,
        credit: node.credit(rewards, key)?,
        score_bits: crate::settings::Settings::load(ws.settings())
            .ok()
            .map(|s| s.scales.output),
    })
}

/// Submit `proof` for `instances` from `node`: the contract's reason if a simulation reverts
/// (then nothing is sent), else the transaction's outcome.
pub(super) fn attempt(
    node: &Chain,
    rewards: Address,
    proof: &[u8],
    instances: &[[u8; 32]],
) -> Result<Attempt> {
    if let Err(reason) = node.simulate(rewards, chain::submit_calldata(proof, instances))? {
        return Ok(Attempt {
            accepted: false,
            gas_used: 0,
            reason: Some(reason),
        });
    }
    let v = node.submit(rewards, proof, instances)?;
    Ok(Attempt {
        accepted: v.accepted,
        gas_used: v.gas_used,
        reason: (!v.accepted).then(|| "the transaction reverted".to_string()),
    })
}

/// proof.json and its input digest; refused for a proof whose layout does not bind its input.
pub(super) fn bound_proof(ws: &Workspace) -> Result<(Proof, InputDigest)> {
    let proof = Proof::load(ws.proof())?;
    let d = proof.input_digest.ok_or_else(|| {
        EvmError::Evm(format!(
            "{} carries no input digest (a layout that does not bind its input): the contest needs the windowed layout",
            ws.proof().display()
        ))
    })?;
    Ok((proof, d))
}

/// The front-running story on a node, over the deployed verifier and proof.json (made for
/// development account 0's key). First the contrast: `NaiveRewards` pays `msg.sender`, and a
/// bot (account 1) that sends the copied proof first is paid. Then the contest: the organizer
/// (account 0) registers proof.json's recording for its key; the bot edits the key instance
/// (refused), replays the proof first (the singer is paid); the singer's own submission and a
/// re-proof of the same recording (new bytes, valid) earn nothing more.
pub fn mev_demo(ws: &Workspace, rpc_url: &str) -> Result<MevReport> {
    let verifier = deployed_verifier(ws)?;
    let (proof, input_digest) = bound_proof(ws)?;
    let singer = Chain::connect(rpc_url, 0, None)?;
    let bot = Chain::connect(rpc_url, 1, None)?;
    let words = crate::evm::instance_words(&proof.instances);
    let bytes = proof.bytes.clone();
    let key = Address::from_low_bytes(&words[0]);

    // The flawed contract.
    let mut naive_code = crate::evm::compile_naive_rewards()?.deployment;
    naive_code.extend(chain::naive_rewards_constructor(verifier));
    let (naive_rewards, _) = singer.deploy(naive_code)?;
    let naive_replay = attempt(&bot, naive_rewards, &bytes, &words)?;
    let naive_bot_credit = singer.credit(naive_rewards, bot.address())?;
    let naive_key_credit = singer.credit(naive_rewards, key)?;

    // The contest.
    let contest = deploy_contest(ws, rpc_url, None)?;
    let rewards = contest.rewards;
    singer
        .register(contest.registry, &input_digest.0, key)?
        .map_err(|reason| EvmError::Reverted {
            what: "RecordingRegistry.register".into(),
            reason,
        })?;
    let mut stolen = words.clone();
    stolen[0] = bot.address().word();
    let stolen_key = attempt(&bot, rewards, &bytes, &stolen)?;
    let replay = attempt(&bot, rewards, &bytes, &words)?;
    let resubmission = attempt(&singer, rewards, &bytes, &words)?;
    let key_credit = singer.credit(rewards, key)?;
    let bot_credit = singer.credit(rewards, bot.address())?;
    // The same recording proved again.
    let again = prove_witness(ws)?;
    let again_words = crate::evm::instance_words(&again.instances);
    let reproof_valid = singer
        .transact(
            verifier,
            crate::evm::calldata(&again.instances, &again.bytes),
            crate::evm::revm::VERIFY_GAS_LIMIT,
        )?
        .accepted;
    let reproof = attempt(&singer, rewards, &again.bytes, &again_words)?;
    Ok(MevReport {
        naive_rewards,
        naive_replay,
        naive_bot_credit,
        naive_key_credit,
        registry: contest.registry,
        rewards,
        input_digest,
        key,
        bot: bot.address(),
        score: U256::from_big_endian(&words[1]),
        stolen_key,
        replay,
        key_credit,
        bot_credit,
        resubmission,
        reproof_bytes_differ: again.bytes != bytes,
        reproof_valid,
        reproof,
        key_credit_after: singer.credit(rewards, key)?,
        score_bits: model(ws)?.settings.scales.output,
    })
}
