//! Notebook 6's attack: a spectrogram crafted to please the judge, with no singing, has a valid
//! proof. A contract that pays any valid proof pays it; the contest, which pays only the
//! recordings its organizer registered, refuses it.

use ethers_core::types::U256;

use super::contest::{attempt, bound_proof};
use super::report::CraftedAttack;
use super::{deployed_verifier, model, prove_with, verify_proof, witness_with};
use crate::encoding::Address;
use crate::evm::chain::{self, Chain};
use crate::evm::EvmError;
use crate::input::{InputData, Key};
use crate::mel::Spectrogram;
use crate::model::{Judge, INPUT_H, INPUT_W};
use crate::workspace::{Artifact, Workspace};
use crate::Result;

/// The score the search stops at, above the 0.9 a contest would reward.
pub const CRAFT_TARGET: f32 = 0.95;
/// dB added to or taken from every cell per step of the search (the sign of the gradient).
pub const CRAFT_STEP_DB: f32 = 0.25;
/// Steps before the search gives up.
pub const CRAFT_MAX_STEPS: usize = 200;

/// The attack on a node, over the workspace's deployed verifier (contract.address):
/// 1. a contestant who does not sing (development account 1) starts from input.json's
///    recording and nudges its spectrogram along the sign of the float judge's gradient
///    ([`Judge::craft`]) until the judge scores it above [`CRAFT_TARGET`];
/// 2. proves the crafted spectrogram for its own address with the workspace's keys
///    (crafted_input.json, crafted_witness.json, crafted_proof.json): the proof is valid;
/// 3. submits it to `NaiveRewards` (pays any valid proof): paid;
/// 4. submits it to a new contest whose organizer (account 0) registered the recording of
///    proof.json: refused, since the crafted spectrogram's d is not registered.
pub fn crafted_attack(ws: &Workspace, rpc_url: &str) -> Result<CraftedAttack> {
    let verifier = deployed_verifier(ws)?;
    let (honest, registered_digest) = bound_proof(ws)?;
    let model = model(ws)?;
    let judge = Judge::load(ws.judge())?;
    let recording = InputData::load(ws.input())?.xs.swap_remove(0);
    let recording_score = judge.score(&recording)?;
    crate::progress::say!(
        "[attack] crafting a spectrogram the judge scores above {CRAFT_TARGET} ..."
    );
    let (crafted, crafted_score) =
        judge.craft(&recording, CRAFT_TARGET, CRAFT_STEP_DB, CRAFT_MAX_STEPS)?;

    let organizer = Chain::connect(rpc_url, 0, None)?;
    let attacker = Chain::connect(rpc_url, 1, None)?;
    let key = Key::Address(attacker.address());
    let aws = ws
        .clone()
        .with(Artifact::Input, Some(ws.crafted_input()))
        .with(Artifact::Witness, Some(ws.crafted_witness()))
        .with(Artifact::Proof, Some(ws.crafted_proof()));
    InputData {
        keys: vec![key],
        xs: vec![crafted.clone()],
    }
    .save(aws.input())?;
    let witness = witness_with(&aws, &model)?;
    let proof = prove_with(&aws, &model)?;
    let proof_valid = verify_proof(&aws, &proof)?.valid;
    let crafted_digest = proof.input_digest.expect("the layout binds its input");
    let words = crate::evm::instance_words(&proof.instances);

    // A contract that pays any valid proof.
    let mut naive_code = crate::evm::compile_naive_rewards()?.deployment;
    naive_code.extend(chain::naive_rewards_constructor(verifier));
    let (naive_rewards, _) = organizer.deploy(naive_code)?;
    let naive = attempt(&attacker, naive_rewards, &proof.bytes, &words)?;
    let naive_credit = organizer.credit(naive_rewards, attacker.address())?;

    // The contest, with the singer's recording registered.
    let contest = super::deploy_contest(ws, rpc_url, None)?;
    let singer = Address::from_low_bytes(&crate::evm::instance_words(&honest.instances)[0]);
    organizer
        .register(contest.registry, &registered_digest.0, singer)?
        .map_err(|reason| EvmError::Reverted {
            what: "RecordingRegistry.register".into(),
            reason,
        })?;
    let in_contest = attempt(&attacker, contest.rewards, &proof.bytes, &words)?;
    Ok(CraftedAttack {
        recording_score,
        crafted_score,
        proven_score: witness.score,
        proof_valid,
        attacker: attacker.address(),
        score: U256::from_big_endian(&words[1]),
        naive_rewards,
        naive,
        naive_credit,
        rewards: contest.rewards,
        registered_digest,
        crafted_digest,
        contest: in_contest,
        contest_credit: organizer.credit(contest.rewards, attacker.address())?,
        score_bits: model.settings.scales.output,
        change: Spectrogram {
            n_mels: INPUT_H,
            frames: INPUT_W,
            frames_from_audio: INPUT_W,
            db: crafted.iter().zip(&recording).map(|(c, r)| c - r).collect(),
        },
    })
}
