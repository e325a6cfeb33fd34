//! What the steps return beyond an artifact: each outcome with its text form (`Display`, what
//! the CLI prints) and its notebook form (`to_html`).

use std::path::PathBuf;

use ethers_core::types::U256;

use crate::binding::InputDigest;
use crate::dataset::{self, ScanReport};
use crate::encoding::Address;
use crate::evm::chain::EvmVerdict;
use crate::train::TrainReport;

/// What [`train`](super::train) produced.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    pub scan: ScanReport,
    pub report: TrainReport,
    /// Clips whose audio could not be featurised.
    pub unusable: Vec<dataset::Skipped>,
    /// Largest |candle − ONNX| score over the exported samples (a round-trip check).
    pub onnx_max_diff: f64,
}

/// Where the notebooks' voice data comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    /// The data root the loaders scan.
    pub root: PathBuf,
    /// True for the embedded synthetic corpus (no `VOICE_DATA_DIR`).
    pub synthetic: bool,
    /// Clips written now (None when an existing folder was reused).
    pub generated: Option<usize>,
}

impl std::fmt::Display for DataSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.synthetic {
            write!(
                f,
                "No VOICE_DATA_DIR: using the embedded default, a SYNTHETIC corpus (voice-like tones, not real voices) in the five corpora's layouts at {}{}. For the real corpora run `sh voice_data.sh DIR` and set VOICE_DATA_DIR=DIR.",
                self.root.display(),
                match self.generated {
                    Some(n) => format!(" ({n} clips generated now)"),
                    None => " (generated earlier, reused)".to_string(),
                }
            )
        } else {
            write!(
                f,
                "VOICE_DATA_DIR: using the corpora under {}",
                self.root.display()
            )
        }
    }
}

impl DataSource {
    pub fn to_html(&self) -> String {
        format!("<p>{}</p>", crate::html::escape(&self.to_string()))
    }
}

/// What [`widen`](super::widen) wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct WidenOutcome {
    pub onnx: PathBuf,
    pub config: crate::model::WidenConfig,
    /// Values the linear layer after the conv reads.
    pub flat: usize,
    /// The trained and the widened judge's float scores on input.json's sample.
    pub trained_score: f64,
    pub widened_score: f64,
}

impl std::fmt::Display for WidenOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "wrote {}: conv 1→{} channels, {}linear {}→1 (input.json and cal.json copied); score on input.json {:.4} (trained judge {:.4})",
            self.onnx.display(),
            self.config.channels,
            if self.config.hidden > 0 {
                format!("a hidden layer of {} ReLU neurons, ", self.config.hidden)
            } else {
                String::new()
            },
            if self.config.hidden > 0 { self.config.hidden } else { self.flat },
            self.widened_score,
            self.trained_score
        )
    }
}

/// What [`evm_verify_local`](super::evm_verify_local) measured.
#[derive(Debug, Clone)]
pub struct EvmReport {
    pub runtime_bytes: usize,
    pub deploy_gas: u64,
    /// The verification on mainnet's current rules (Osaka, as anvil)...
    pub verify: crate::evm::revm::CallResult,
    /// ...and its gas on Prague's (MODEXP at its pre-EIP-7883 price).
    pub verify_gas_prague: u64,
    pub calldata_bytes: usize,
}

impl std::fmt::Display for EvmReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "in-process EVM: proof {} with {} gas on Osaka ({} on Prague; calldata {} bytes; verifier runtime {} bytes, deployed with {} gas)",
            if self.verify.success { "ACCEPTED" } else { "REJECTED" },
            self.verify.gas_used,
            self.verify_gas_prague,
            self.calldata_bytes,
            self.runtime_bytes,
            self.deploy_gas
        )
    }
}

/// A verifier deployed on a node.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    pub address: Address,
    pub gas_used: u64,
    pub chain_id: u64,
    pub rpc_url: String,
}

impl std::fmt::Display for Deployment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "verifier deployed at {:?} on chain {} via {} ({} gas)",
            self.address, self.chain_id, self.rpc_url, self.gas_used
        )
    }
}

impl Deployment {
    pub fn to_html(&self) -> String {
        crate::html::verdict(true, &self.to_string())
    }
}

/// An on-chain verification: the verdict and gas of a real transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct OnChainVerdict {
    pub verifier: Address,
    pub rpc_url: String,
    pub verdict: EvmVerdict,
}

impl std::fmt::Display for OnChainVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "on-chain verifier at {:?}: proof {} ({} gas)",
            self.verifier,
            if self.verdict.accepted {
                "ACCEPTED"
            } else {
                "REJECTED"
            },
            self.verdict.gas_used
        )
    }
}

impl OnChainVerdict {
    pub fn to_html(&self) -> String {
        crate::html::verdict(self.verdict.accepted, &self.to_string())
    }
}

/// One transaction of a demo or a submission: accepted, or refused with the contract's reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub accepted: bool,
    pub gas_used: u64,
    /// The revert reason (`Error(string)`), for a refused transaction.
    pub reason: Option<String>,
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.reason, self.accepted) {
            (_, true) => write!(f, "accepted ({} gas)", self.gas_used),
            (Some(r), false) => write!(f, "refused: \"{r}\""),
            (None, false) => write!(f, "refused"),
        }
    }
}

/// What [`mev_demo`](super::mev_demo) showed on the node.
#[derive(Debug, Clone, PartialEq)]
pub struct MevReport {
    /// The flawed contract (pays `msg.sender`, any valid proof) and the bot's front-run there.
    pub naive_rewards: Address,
    pub naive_replay: Attempt,
    pub naive_bot_credit: U256,
    pub naive_key_credit: U256,
    /// The contest: its registry, where the organizer registered proof.json's recording (d)
    /// for the key, and its rewards contract.
    pub registry: Address,
    pub rewards: Address,
    pub input_digest: InputDigest,
    /// The proven and registered key (the singer, development account 0).
    pub key: Address,
    /// A front-running bot (development account 1).
    pub bot: Address,
    pub score: U256,
    /// The bot's attempt to claim the proof for its own address by editing the key instance.
    pub stolen_key: Attempt,
    /// The bot submits the copied proof first.
    pub replay: Attempt,
    pub key_credit: U256,
    pub bot_credit: U256,
    /// The singer's own submission, after the bot's, of the same proof.
    pub resubmission: Attempt,
    /// The singer proves the same witness again: new proof bytes (halo2 proofs are randomised)
    /// for the same recording, valid on the verifier...
    pub reproof_bytes_differ: bool,
    pub reproof_valid: bool,
    /// ...and submitted, which earns nothing: a recording is paid once.
    pub reproof: Attempt,
    /// The key's credit after all of the above.
    pub key_credit_after: U256,
    /// Bits of the score's fixed-point scale (settings.json's output scale): a credit of
    /// `v` is the score `v / 2^score_bits`.
    pub score_bits: u32,
}

impl std::fmt::Display for MevReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "NaiveRewards at {:?} (pays msg.sender): the bot front-runs the copied proof: {}; credit: bot = {}, key = {}",
            self.naive_rewards,
            self.naive_replay,
            self.as_score(self.naive_bot_credit),
            self.as_score(self.naive_key_credit)
        )?;
        writeln!(
            f,
            "JudgeRewards at {:?}, registry {:?}: recording d = {} registered for {:?}",
            self.rewards, self.registry, self.input_digest, self.key
        )?;
        writeln!(
            f,
            "  bot {:?} edits the key instance to itself: {}",
            self.bot, self.stolen_key
        )?;
        writeln!(f, "  bot replays the copied proof first: {}", self.replay)?;
        writeln!(
            f,
            "  credit: key {:?} = {}, bot = {}",
            self.key,
            self.as_score(self.key_credit),
            self.as_score(self.bot_credit)
        )?;
        writeln!(
            f,
            "  the singer's later submission of the same proof: {}",
            self.resubmission
        )?;
        write!(
            f,
            "  the singer proves the same clip again ({}, {} on the verifier) and submits it: {}; credit {}",
            if self.reproof_bytes_differ {
                "new proof bytes"
            } else {
                "the same bytes"
            },
            if self.reproof_valid { "valid" } else { "invalid" },
            self.reproof,
            self.as_score(self.key_credit_after)
        )
    }
}

/// A credit (the contracts store proven scores as integers at the output scale, `2^bits`) as
/// the score it stands for.
fn credit_as_score(credit: U256, bits: u32) -> String {
    if credit.bits() > 64 {
        return credit.to_string();
    }
    format!(
        "score {:.4} ({credit} at scale 2^{bits})",
        credit.as_u64() as f64 / 2f64.powi(bits as i32),
    )
}

impl MevReport {
    /// A credit (the contract stores proven scores as integers) as the score it stands for.
    pub fn as_score(&self, credit: U256) -> String {
        credit_as_score(credit, self.score_bits)
    }

    /// True when the registered key, not the sender, got the reward and nothing was stolen.
    pub fn key_is_paid(&self) -> bool {
        !self.stolen_key.accepted && self.key_credit == self.score && self.bot_credit.is_zero()
    }

    /// True when the flawed contract paid the bot that copied the proof (the lesson's contrast).
    pub fn naive_pays_the_bot(&self) -> bool {
        self.naive_replay.accepted
            && self.naive_bot_credit == self.score
            && self.naive_key_credit.is_zero()
    }

    /// True when re-proving and re-submitting the same recording earned nothing more.
    pub fn paid_once(&self) -> bool {
        !self.resubmission.accepted && !self.reproof.accepted && self.key_credit_after == self.score
    }

    pub fn to_html(&self) -> String {
        let mut h = crate::html::Table::new(format!(
            "NaiveRewards at {:?} (pays msg.sender)",
            self.naive_rewards
        ))
        .header(["step", "result"])
        .row([
            "bot front-runs with the copied proof".to_string(),
            self.naive_replay.to_string(),
        ])
        .row([
            format!("credit of the bot {:?}", self.bot),
            self.as_score(self.naive_bot_credit),
        ])
        .row([
            format!("credit of the key {:?}", self.key),
            self.as_score(self.naive_key_credit),
        ])
        .note(if self.naive_pays_the_bot() {
            "The bot was paid for the singer's proof: paying msg.sender rewards whoever copies fastest."
        } else {
            "The flawed contract did not pay the bot here (unexpected)."
        })
        .to_html();
        h += &crate::html::verdict(
            self.key_is_paid(),
            if self.key_is_paid() {
                "JudgeRewards: the copied proof paid the registered key, not the bot"
            } else {
                "the reward did not go to the registered key"
            },
        );
        h.push_str(
            &crate::html::Table::new(format!(
                "JudgeRewards at {:?} (registry {:?})",
                self.rewards, self.registry
            ))
            .header(["step", "result"])
            .row([
                "the organizer registers the recording".to_string(),
                format!("d = {} for {:?}", self.input_digest, self.key),
            ])
            .row([
                "bot edits the key instance to its own address".to_string(),
                self.stolen_key.to_string(),
            ])
            .row([
                "bot front-runs with the copied proof".to_string(),
                self.replay.to_string(),
            ])
            .row([
                format!("credit of the key {:?}", self.key),
                self.as_score(self.key_credit),
            ])
            .row([
                format!("credit of the bot {:?}", self.bot),
                self.as_score(self.bot_credit),
            ])
            .row([
                "the singer submits the same proof afterwards".to_string(),
                self.resubmission.to_string(),
            ])
            .row([
                "the singer proves the same clip again (new proof bytes) and submits".to_string(),
                format!(
                    "bytes differ: {}, valid: {}, {}",
                    if self.reproof_bytes_differ {
                        "yes"
                    } else {
                        "no"
                    },
                    if self.reproof_valid { "yes" } else { "no" },
                    self.reproof
                ),
            ])
            .row([
                format!("credit of the key {:?} at the end", self.key),
                self.as_score(self.key_credit_after),
            ])
            .to_html(),
        );
        h.push_str(&crate::html::verdict(
            self.paid_once(),
            if self.paid_once() {
                "re-proving and re-submitting the same recording earned nothing more"
            } else {
                "the same recording was paid more than once"
            },
        ));
        h
    }
}

/// What [`crafted_attack`](super::crafted_attack) showed on the node.
#[derive(Debug, Clone, PartialEq)]
pub struct CraftedAttack {
    /// The float judge's score of the recording the search started from (input.json), and of
    /// the crafted spectrogram.
    pub recording_score: f32,
    pub crafted_score: f32,
    /// The circuit's score of the crafted spectrogram (the proven one), and whether its proof
    /// verifies with the workspace's vk.
    pub proven_score: f64,
    pub proof_valid: bool,
    /// Who crafted and submitted it (development account 1), and the score instance it submits
    /// (the integer at the output scale).
    pub attacker: Address,
    pub score: U256,
    /// `NaiveRewards` (pays any valid proof): the submission and the attacker's credit.
    pub naive_rewards: Address,
    pub naive: Attempt,
    pub naive_credit: U256,
    /// The contest: d of the recording its organizer registered (proof.json's), d of the
    /// crafted spectrogram, the submission and the attacker's credit.
    pub rewards: Address,
    pub registered_digest: InputDigest,
    pub crafted_digest: InputDigest,
    pub contest: Attempt,
    pub contest_credit: U256,
    /// Bits of the score's fixed-point scale (settings.json's output scale).
    pub score_bits: u32,
    /// Crafted minus recording, cell by cell (dB): [`CraftedAttack::change_figure`] and the
    /// change statistics read it.
    pub change: crate::mel::Spectrogram,
}

impl CraftedAttack {
    /// True when the crafted spectrogram scored above 0.9 in the circuit and its proof is valid.
    /// How far the crafted spectrogram is from the recording (all read from [`Self::change`]):
    /// the cells the search moved, of all cells, and the largest and the mean change of a
    /// cell (over all cells), in dB.
    pub fn moved_cells(&self) -> usize {
        self.change.db.iter().filter(|&&c| c != 0.0).count()
    }
    pub fn cells(&self) -> usize {
        self.change.db.len()
    }
    pub fn max_change_db(&self) -> f32 {
        self.change.db.iter().fold(0.0, |m, c| m.max(c.abs()))
    }
    pub fn mean_change_db(&self) -> f32 {
        self.change.db.iter().map(|c| c.abs()).sum::<f32>() / self.cells() as f32
    }

    pub fn crafted_a_winner(&self) -> bool {
        self.proof_valid && self.proven_score > 0.9
    }

    /// True when the contract that pays any valid proof paid the crafted one.
    pub fn naive_pays(&self) -> bool {
        self.naive.accepted && self.naive_credit == self.score
    }

    /// True when the contest refused it because its recording is not registered.
    pub fn contest_refuses(&self) -> bool {
        !self.contest.accepted
            && self.contest_credit.is_zero()
            && self.contest.reason.as_deref() == Some("recording not registered")
            && self.crafted_digest != self.registered_digest
    }

    /// What the search changed: crafted minus recording, per mel band and frame.
    pub fn change_figure(&self) -> crate::plot::Figure {
        crate::plot::spectrogram(
            &self.change,
            format!(
                "crafted − recording: at most {:.2} dB a cell, score {:.3} → {:.3}",
                self.max_change_db(),
                self.recording_score,
                self.crafted_score
            ),
        )
    }

    pub fn to_html(&self) -> String {
        let mut h = crate::html::Table::new("A spectrogram crafted to please the judge")
            .header(["step", "result"])
            .row([
                "the judge's score of the recording (input.json)".to_string(),
                format!("{:.4}", self.recording_score),
            ])
            .row([
                "after the search (float judge)".to_string(),
                format!(
                    "{:.4}: {} of {} cells moved, by at most {:.2} dB (mean over all cells {:.2} dB)",
                    self.crafted_score,
                    self.moved_cells(),
                    self.cells(),
                    self.max_change_db(),
                    self.mean_change_db()
                ),
            ])
            .row([
                format!("proved for the attacker {:?}", self.attacker),
                format!(
                    "proven score {:.4}, proof {}",
                    self.proven_score,
                    if self.proof_valid { "VALID" } else { "INVALID" }
                ),
            ])
            .row([
                format!(
                    "NaiveRewards at {:?} (pays any valid proof)",
                    self.naive_rewards
                ),
                format!(
                    "{}; the attacker's credit: {}",
                    self.naive,
                    credit_as_score(self.naive_credit, self.score_bits)
                ),
            ])
            .row([
                "the contest's registered recording".to_string(),
                format!("d = {}", self.registered_digest),
            ])
            .row([
                "the crafted spectrogram".to_string(),
                format!("d = {}", self.crafted_digest),
            ])
            .row([
                format!("JudgeRewards at {:?}", self.rewards),
                format!(
                    "{}; the attacker's credit: {}",
                    self.contest,
                    credit_as_score(self.contest_credit, self.score_bits)
                ),
            ])
            .to_html();
        h.push_str(&crate::html::verdict(
            self.crafted_a_winner() && self.naive_pays(),
            if self.naive_pays() {
                "a valid proof of a score nobody sang: the contract that pays any valid proof paid it"
            } else {
                "the contract that pays any valid proof did not pay the crafted one (unexpected)"
            },
        ));
        h.push_str(&crate::html::verdict(
            self.contest_refuses(),
            if self.contest_refuses() {
                "the contest refused it: its d is not a registered recording"
            } else {
                "the contest did not refuse the crafted spectrogram as unregistered"
            },
        ));
        h
    }
}

impl std::fmt::Display for CraftedAttack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "crafted spectrogram: the judge's score {:.4} → {:.4} ({} of {} cells moved, by at most {:.2} dB; mean over all cells {:.2} dB)",
            self.recording_score,
            self.crafted_score,
            self.moved_cells(),
            self.cells(),
            self.max_change_db(),
            self.mean_change_db()
        )?;
        writeln!(
            f,
            "proof for {:?}: proven score {:.4}, {}",
            self.attacker,
            self.proven_score,
            if self.proof_valid { "VALID" } else { "INVALID" }
        )?;
        writeln!(
            f,
            "NaiveRewards at {:?}: {}; attacker's credit {}",
            self.naive_rewards,
            self.naive,
            credit_as_score(self.naive_credit, self.score_bits)
        )?;
        write!(
            f,
            "JudgeRewards at {:?} (registered d = {}; crafted d = {}): {}; attacker's credit {}",
            self.rewards,
            self.registered_digest,
            self.crafted_digest,
            self.contest,
            credit_as_score(self.contest_credit, self.score_bits)
        )
    }
}

/// `d` of input.json ([`commit`](super::commit)).
#[derive(Debug, Clone, PartialEq)]
pub struct Commitment {
    pub input_digest: InputDigest,
    pub input: PathBuf,
    pub srs: PathBuf,
    /// Where the SRS came from, for a ceremony SRS; None for a local one (binding does not hold
    /// against whoever made it).
    pub ceremony: Option<String>,
}

impl Commitment {
    /// The warning a contest needs for a local SRS.
    pub fn srs_warning(&self) -> Option<String> {
        self.ceremony.is_none().then(|| {
            format!(
                "{} is a local SRS (or of unknown origin): whoever made it knows its secret and can open a commitment to another input, so d binds nothing against them. A contest uses a ceremony SRS (`idol get-srs`).",
                self.srs.display()
            )
        })
    }
}

impl std::fmt::Display for Commitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "input digest of {} under {}: {}",
            self.input.display(),
            self.srs.display(),
            self.input_digest
        )
    }
}

impl Commitment {
    pub fn to_html(&self) -> String {
        let mut h = format!("<p>{}</p>", crate::html::escape(&self.to_string()));
        if let Some(w) = self.srs_warning() {
            h += &crate::html::verdict(false, &w);
        }
        h
    }
}

/// Whether a proof is of an input ([`check_input`](super::check_input)).
#[derive(Debug, Clone, PartialEq)]
pub struct InputCheck {
    pub input: PathBuf,
    /// d recomputed from the input, and d read from the proof (None: the proof's layout does
    /// not bind its input, or the proof is too short).
    pub input_digest: InputDigest,
    pub proof_digest: Option<InputDigest>,
}

impl InputCheck {
    pub fn matches(&self) -> bool {
        self.proof_digest == Some(self.input_digest)
    }
}

impl std::fmt::Display for InputCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.proof_digest {
            Some(p) if p == self.input_digest => write!(
                f,
                "the proof is of {}: input digest {}",
                self.input.display(),
                p
            ),
            Some(p) => write!(
                f,
                "the proof is NOT of {}: its input digest is {}, the input's is {}",
                self.input.display(),
                p,
                self.input_digest
            ),
            None => write!(
                f,
                "the proof carries no input digest, so it cannot be tied to {} (input digest {})",
                self.input.display(),
                self.input_digest
            ),
        }
    }
}

impl InputCheck {
    pub fn to_html(&self) -> String {
        crate::html::verdict(self.matches(), &self.to_string())
    }
}

/// A contest deployed by [`deploy_contest`](super::deploy_contest).
#[derive(Debug, Clone, PartialEq)]
pub struct Contest {
    pub verifier: Address,
    pub registry: Address,
    pub rewards: Address,
    pub gas_used: u64,
    pub chain_id: u64,
    pub rpc_url: String,
}

impl std::fmt::Display for Contest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "contest on chain {} via {}: RecordingRegistry at {:?}, JudgeRewards at {:?} over the verifier at {:?} ({} gas)",
            self.chain_id, self.rpc_url, self.registry, self.rewards, self.verifier, self.gas_used
        )
    }
}

impl Contest {
    pub fn to_html(&self) -> String {
        crate::html::verdict(true, &self.to_string())
    }
}

/// A recording registered by [`register`](super::register).
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub registry: Address,
    pub input_digest: InputDigest,
    pub key: Address,
    pub gas_used: u64,
}

impl std::fmt::Display for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "registered recording d = {} for {:?} at {:?} ({} gas)",
            self.input_digest, self.key, self.registry, self.gas_used
        )
    }
}

impl Registration {
    pub fn to_html(&self) -> String {
        crate::html::verdict(true, &self.to_string())
    }
}

/// A proof submitted by [`submit`](super::submit).
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub rewards: Address,
    /// The key in the proof's instances, its score (integer at the output scale), and the
    /// proof's input digest.
    pub key: Address,
    pub score: U256,
    pub input_digest: Option<InputDigest>,
    pub attempt: Attempt,
    /// The key's credit afterwards.
    pub credit: U256,
    /// Bits of the score's fixed-point scale, when the workspace's settings.json says it (then
    /// credits read as scores).
    pub score_bits: Option<u32>,
}

impl Submission {
    fn amount(&self, credit: U256) -> String {
        match self.score_bits {
            Some(bits) => credit_as_score(credit, bits),
            None => credit.to_string(),
        }
    }
}

impl std::fmt::Display for Submission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.attempt.accepted {
            write!(
                f,
                "JudgeRewards at {:?} credited {:?} with {} ({} gas); its credit is now {}",
                self.rewards,
                self.key,
                self.amount(self.score),
                self.attempt.gas_used,
                self.amount(self.credit)
            )
        } else {
            write!(
                f,
                "JudgeRewards at {:?} {} the proof for {:?} (its credit stays {})",
                self.rewards,
                self.attempt,
                self.key,
                self.amount(self.credit)
            )
        }
    }
}

impl Submission {
    pub fn to_html(&self) -> String {
        crate::html::verdict(self.attempt.accepted, &self.to_string())
    }
}

impl TrainOutcome {
    pub fn to_html(&self) -> String {
        format!(
            "{}<p>network.onnx re-imported: max |candle − ONNX| score {:.1e}{}</p>",
            self.report.to_html(),
            self.onnx_max_diff,
            if self.unusable.is_empty() {
                String::new()
            } else {
                format!("; {} clips had no usable audio", self.unusable.len())
            }
        )
    }
}

impl WidenOutcome {
    pub fn to_html(&self) -> String {
        let c = &self.config;
        let mut t = crate::html::Table::new("the widened judge")
            .header(["", "trained", "widened"])
            .row([
                "conv channels".to_string(),
                "1".into(),
                c.channels.to_string(),
            ]);
        if c.hidden > 0 {
            t = t.row([
                "hidden ReLU layer".to_string(),
                "—".into(),
                format!("{} neurons", c.hidden),
            ]);
        }
        t.row([
            "score on input.json".to_string(),
            format!("{:.4}", self.trained_score),
            format!("{:.4}", self.widened_score),
        ])
        .note(format!("written: {}", self.onnx.display()))
        .to_html()
    }
}

impl EvmReport {
    pub fn to_html(&self) -> String {
        let mut h = crate::html::verdict(
            self.verify.success,
            &format!(
                "in-process EVM: proof {}",
                if self.verify.success {
                    "accepted"
                } else {
                    "rejected"
                }
            ),
        );
        h.push_str(
            &crate::html::Table::new("verifier costs")
                .header(["measure", "value"])
                .row([
                    "verify gas, Osaka (mainnet since December 2025; anvil)".to_string(),
                    self.verify.gas_used.to_string(),
                ])
                .row([
                    "verify gas, Prague (MODEXP before EIP-7883)".to_string(),
                    self.verify_gas_prague.to_string(),
                ])
                .row([
                    "calldata bytes".to_string(),
                    self.calldata_bytes.to_string(),
                ])
                .row([
                    "runtime bytecode bytes (EIP-170 limit 24,576)".to_string(),
                    self.runtime_bytes.to_string(),
                ])
                .row(["deploy gas".to_string(), self.deploy_gas.to_string()])
                .to_html(),
        );
        h
    }
}

crate::html::notebook_display!(
    DataSource,
    TrainOutcome,
    WidenOutcome,
    EvmReport,
    Deployment,
    OnChainVerdict,
    MevReport,
    CraftedAttack,
    Commitment,
    InputCheck,
    Contest,
    Registration,
    Submission
);
