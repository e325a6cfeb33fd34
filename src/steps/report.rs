//! What the steps return beyond an artifact: each outcome with its text form (`Display`, what
//! the CLI prints) and its notebook form (`to_html`).

use std::path::PathBuf;

use ethers_core::types::U256;

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
    pub verify: crate::evm::revm::CallResult,
    pub calldata_bytes: usize,
}

impl std::fmt::Display for EvmReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "in-process EVM: proof {} with {} gas (calldata {} bytes; verifier runtime {} bytes, deployed with {} gas)",
            if self.verify.success { "ACCEPTED" } else { "REJECTED" },
            self.verify.gas_used,
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

/// What [`mev_demo`](super::mev_demo) showed on the node.
#[derive(Debug, Clone, PartialEq)]
pub struct MevReport {
    pub rewards: Address,
    /// The proven key (the submitter, development account 0).
    pub key: Address,
    /// A front-running bot (development account 1).
    pub bot: Address,
    pub score: U256,
    /// The bot's attempt to claim the proof for its own address by editing the key instance.
    pub stolen_key_accepted: bool,
    /// The bot submits the copied proof first.
    pub replay_accepted: bool,
    pub replay_gas: u64,
    pub key_credit: U256,
    pub bot_credit: U256,
    /// The owner's own submission, after the bot's, of the same proof.
    pub resubmission_accepted: bool,
    /// The owner proves the same witness again: new proof bytes (halo2 proofs are randomised)
    /// for the same judgement, valid on the verifier...
    pub reproof_bytes_differ: bool,
    pub reproof_valid: bool,
    /// ...and submitted to the rewards contract, which pays a judgement once.
    pub reproof_accepted: bool,
    /// The key's credit after all of the above.
    pub key_credit_after: U256,
    /// The same front-run against `NaiveRewards`, which pays `msg.sender`: the bot's and the
    /// owner's credits there (the bot wins).
    pub naive_rewards: Address,
    pub naive_replay_accepted: bool,
    pub naive_bot_credit: U256,
    pub naive_key_credit: U256,
    /// Bits of the score's fixed-point scale (settings.json's output scale): a credit of
    /// `v` is the score `v / 2^score_bits`.
    pub score_bits: u32,
}

impl std::fmt::Display for MevReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "NaiveRewards at {:?} (pays msg.sender): the bot front-runs the copied proof; credit: bot = {}, key = {}",
            self.naive_rewards,
            self.as_score(self.naive_bot_credit),
            self.as_score(self.naive_key_credit)
        )?;
        writeln!(f, "JudgeRewards at {:?}", self.rewards)?;
        writeln!(
            f,
            "  bot {:?} edits the key instance to itself: {}",
            self.bot,
            if self.stolen_key_accepted {
                "ACCEPTED (bad)"
            } else {
                "rejected by the verifier"
            }
        )?;
        writeln!(
            f,
            "  bot replays the copied proof first: {} ({} gas)",
            if self.replay_accepted {
                "accepted"
            } else {
                "rejected"
            },
            self.replay_gas
        )?;
        writeln!(
            f,
            "  credit: key {:?} = {}, bot = {}",
            self.key,
            self.as_score(self.key_credit),
            self.as_score(self.bot_credit)
        )?;
        writeln!(
            f,
            "  the owner's later submission of the same proof: {}",
            if self.resubmission_accepted {
                "accepted"
            } else {
                "refused (not above the key's best score); the credit is already the owner's"
            }
        )?;
        write!(
            f,
            "  the owner proves the same clip again ({}, {} on the verifier) and submits it: {}; credit {}",
            if self.reproof_bytes_differ {
                "new proof bytes"
            } else {
                "the same bytes"
            },
            if self.reproof_valid { "valid" } else { "invalid" },
            if self.reproof_accepted {
                "accepted (paid twice: bad)"
            } else {
                "refused, a judgement is paid once"
            },
            self.as_score(self.key_credit_after)
        )
    }
}

impl MevReport {
    /// A credit (the contract stores proven scores as integers) as the score it stands for.
    pub fn as_score(&self, credit: U256) -> String {
        if credit.bits() > 64 {
            return credit.to_string();
        }
        format!(
            "score {:.4} ({credit} at scale 2^{})",
            credit.as_u64() as f64 / 2f64.powi(self.score_bits as i32),
            self.score_bits
        )
    }

    /// True when the key, not the sender, got the reward and nothing could be stolen.
    pub fn key_is_paid(&self) -> bool {
        !self.stolen_key_accepted && self.key_credit == self.score && self.bot_credit.is_zero()
    }

    /// True when the flawed contract paid the bot that copied the proof (the lesson's contrast).
    pub fn naive_pays_the_bot(&self) -> bool {
        self.naive_replay_accepted
            && self.naive_bot_credit == self.score
            && self.naive_key_credit.is_zero()
    }

    /// True when re-proving and re-submitting the same judgement earned nothing more.
    pub fn paid_once(&self) -> bool {
        !self.resubmission_accepted && !self.reproof_accepted && self.key_credit_after == self.score
    }

    pub fn to_html(&self) -> String {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut h = crate::html::Table::new(format!(
            "NaiveRewards at {:?} (pays msg.sender)",
            self.naive_rewards
        ))
        .header(["step", "result"])
        .row([
            "bot front-runs with the copied proof".to_string(),
            format!("accepted: {}", yes_no(self.naive_replay_accepted)),
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
            "The bot was paid for the owner's proof: paying msg.sender rewards whoever copies fastest."
        } else {
            "The flawed contract did not pay the bot here (unexpected)."
        })
        .to_html();
        h += &crate::html::verdict(
            self.key_is_paid(),
            if self.key_is_paid() {
                "JudgeRewards: the copied proof paid the proven key, not the bot"
            } else {
                "the reward did not go to the proven key"
            },
        );
        h.push_str(
            &crate::html::Table::new(format!("JudgeRewards at {:?}", self.rewards))
                .header(["step", "result"])
                .row([
                    "bot edits the key instance to its own address".to_string(),
                    format!("accepted: {}", yes_no(self.stolen_key_accepted)),
                ])
                .row([
                    "bot front-runs with the copied proof".to_string(),
                    format!(
                        "accepted: {} ({} gas)",
                        yes_no(self.replay_accepted),
                        self.replay_gas
                    ),
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
                    "owner submits the same proof afterwards".to_string(),
                    format!("accepted: {}", yes_no(self.resubmission_accepted)),
                ])
                .row([
                    "owner proves the same clip again (new proof bytes) and submits".to_string(),
                    format!(
                        "bytes differ: {}, valid: {}, accepted: {}",
                        yes_no(self.reproof_bytes_differ),
                        yes_no(self.reproof_valid),
                        yes_no(self.reproof_accepted)
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
                "re-proving and re-submitting the same judgement earned nothing more"
            } else {
                "the same judgement was paid more than once"
            },
        ));
        h
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
                .row(["verify gas".to_string(), self.verify.gas_used.to_string()])
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
    MevReport
);
