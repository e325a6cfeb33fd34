//! One recording + the singer's address → [`Judgement`]: the clip's features, the judge's
//! score, a proof for that address, the native verdict and, with a node, the on-chain verdict
//! and the reward credited to the address. `idol judge` and the "judge your voice" notebook.
//!
//! It composes the tutorial's steps over a [`Workspace`]; missing artifacts (trained judge,
//! settings, SRS and keys, verifier and rewards contract) are made from the workspace's
//! defaults with a note saying so, unless [`JudgeOptions::setup`] is off.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use crate::encoding::Address;
use serde::Serialize;

use crate::audio::{load_clip, ClipSpec};
pub use crate::error::JudgeError;
use crate::evm::anvil::{Anvil, DEFAULT_RPC_URL};
use crate::evm::chain::Chain;
use crate::input::{InputData, Key};
use crate::mel::{mel_db, MelSpec, Spectrogram};
use crate::prove::{self, Model, Proof};
use crate::settings::CalibrationTarget;
use crate::steps;
use crate::train::TrainConfig;
use crate::workspace::{Artifact, Workspace};
use crate::{Error, Result};

/// Where to verify on chain.
#[derive(Debug, Clone, PartialEq)]
pub enum ChainMode {
    /// Use the tutorial's node at 127.0.0.1:3030 if one is listening; skip the chain otherwise.
    Auto,
    /// Use the node at this URL (an error if none listens).
    At(String),
    /// Native verification only.
    Off,
}

/// How [`judge`] runs.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgeOptions {
    pub chain: ChainMode,
    /// Make missing artifacts (train, calibrate, set up, deploy) instead of refusing.
    pub setup: bool,
    /// On chain, also enter the contest: the organizer registers the clip ([`register_clip`])
    /// and the proof is submitted to `JudgeRewards` ([`submit_clip`]). Off: verify only.
    pub contest: bool,
}

impl Default for JudgeOptions {
    fn default() -> Self {
        Self {
            chain: ChainMode::Auto,
            setup: true,
            contest: true,
        }
    }
}

/// The on-chain part of a judgement.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OnChain {
    pub rpc_url: String,
    pub verifier: String,
    pub accepted: bool,
    pub gas_used: u64,
}

/// The reward part: the recording registered in the contest, `JudgeRewards.submit`, and the
/// key's credit afterwards.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Reward {
    pub contract: String,
    /// d of the clip's features, as registered.
    pub input_digest: String,
    pub accepted: bool,
    pub gas_used: u64,
    /// The contract's reason for a refusal (a recording is paid once).
    pub reason: Option<String>,
    /// The key's credit afterwards (the sum of its recordings' scores, at the output scale).
    pub credit: String,
}

/// What [`judge`] did (judgement.json).
#[derive(Debug, Clone, Serialize)]
pub struct Judgement {
    pub clip: PathBuf,
    pub key: String,
    pub float_score: f64,
    pub proven_score: f64,
    pub score_q: i64,
    pub proof_bytes: usize,
    pub prove_seconds: f64,
    pub verified: bool,
    pub verify_seconds: f64,
    pub onchain: Option<OnChain>,
    pub reward: Option<Reward>,
    /// Artifacts made on the way, and why the chain was skipped if it was.
    pub notes: Vec<String>,
    pub seconds: f64,
    #[serde(skip)]
    pub spectrogram: Option<Spectrogram>,
}

/// Judge `clip` for the address `key`. See the module docs.
pub fn judge(ws: &Workspace, clip: &Path, key: &str, opts: &JudgeOptions) -> Result<Judgement> {
    let t0 = Instant::now();
    let key_value = Key::parse_address(key.trim()).map_err(JudgeError::Key)?;
    // The clip first: a bad recording is refused before any slow setup.
    let audio = load_clip(clip, &ClipSpec::tutorial())?;
    let spectrogram = mel_db(&audio, &MelSpec::librosa_default())?;

    let mut notes = audio.warnings.clone();
    let (model, keys_made) = ensure_proving_artifacts(ws, opts.setup, &mut notes)?;

    // The tutorial's own steps, on this clip's input, witness and proof files.
    let input = InputData {
        keys: vec![key_value],
        xs: vec![spectrogram.db.clone()],
    };
    let jws = judged(ws);
    input.save(jws.input())?;
    let witness = steps::witness_with(&jws, &model)?;
    crate::progress::say!("[judge] proving the score for {} ...", key.trim());
    let proof = steps::prove_with(&jws, &model)?;
    let verdict = steps::verify_proof(&jws, &proof)?;

    let url = match &opts.chain {
        ChainMode::Off => None,
        ChainMode::At(url) => {
            Anvil::connect(url).map_err(|_| JudgeError::NoNode { url: url.clone() })?;
            Some(url.clone())
        }
        ChainMode::Auto => {
            if Anvil::connect(DEFAULT_RPC_URL).is_ok() {
                Some(DEFAULT_RPC_URL.to_string())
            } else {
                notes.push(format!("no node at {DEFAULT_RPC_URL}: on-chain verification skipped (start anvil there, or pass --rpc-url)"));
                None
            }
        }
    };
    let (onchain, reward) = match url {
        Some(url) if verdict.valid => on_chain(ws, &url, &proof, keys_made, opts, &mut notes)?,
        _ => (None, None),
    };
    let judgement = Judgement {
        clip: clip.to_owned(),
        key: input.keys[0].to_string(),
        float_score: witness.float_score,
        proven_score: witness.score,
        score_q: witness.score_q,
        proof_bytes: proof.bytes.len(),
        prove_seconds: proof.seconds,
        verified: verdict.valid,
        verify_seconds: verdict.seconds,
        onchain,
        reward,
        notes,
        seconds: t0.elapsed().as_secs_f64(),
        spectrogram: Some(spectrogram),
    };
    let json = serde_json::to_string_pretty(&judgement).expect("judgement serialises");
    std::fs::write(ws.judgement(), json).map_err(|source| Error::Io {
        path: ws.judgement(),
        source,
    })?;
    Ok(judgement)
}

fn missing(ws: &Workspace, what: &'static str, fix: &'static str) -> Error {
    JudgeError::Missing {
        what,
        dir: ws.dir.clone(),
        fix,
    }
    .into()
}

/// Make (or, without `setup`, demand) the judge, settings, SRS and keys. Returns the model, loaded
/// once for the whole judgement, and whether keys were made.
fn ensure_proving_artifacts(
    ws: &Workspace,
    setup: bool,
    notes: &mut Vec<String>,
) -> Result<(Model, bool)> {
    let mut made_model = false;
    if !ws.onnx().is_file() {
        if !setup {
            return Err(missing(
                ws,
                "a trained judge (network.onnx)",
                "idol train --data DIR --out WORKSPACE",
            ));
        }
        let data = steps::voice_data(ws)?;
        notes.push(format!(
            "no trained judge in {}: trained one on {} ({})",
            ws.dir.display(),
            data.root.display(),
            if data.synthetic {
                "the embedded synthetic corpus"
            } else {
                "VOICE_DATA_DIR"
            }
        ));
        crate::progress::say!("[judge] {}", notes.last().expect("just pushed"));
        steps::train(&data.root, ws, &TrainConfig::tutorial())?;
        made_model = true;
    }
    if made_model || !ws.settings().is_file() {
        if !setup {
            return Err(missing(
                ws,
                "settings.json",
                "idol gen-settings && idol calibrate-settings",
            ));
        }
        steps::settings(ws, CalibrationTarget::Resources { max_error: 0.002 })?;
        notes.push("calibrated settings.json (target resources)".into());
    }
    let model = steps::model(ws)?;
    let srs = if ws.srs(model.k()).is_file() {
        steps::srs(ws, &model)?
    } else if setup {
        notes.push(format!(
            "made a local, INSECURE SRS {} (use `idol get-srs` for the ceremony's)",
            ws.srs(model.k()).display()
        ));
        steps::local_srs(ws, model.k())?
    } else {
        return Err(missing(
            ws,
            "the SRS",
            "idol get-srs (or idol gen-srs for a local, insecure one)",
        ));
    };
    // Keys made for another model, settings, circuit layout or SRS count as missing.
    let keys_current = ws.pk().is_file() && prove::load_vk(ws.vk(), &model, &srs).is_ok();
    if made_model || !keys_current {
        if !setup {
            return Err(missing(ws, "the proving and verifying keys", "idol setup"));
        }
        steps::setup_with(ws, &model, &srs)?;
        notes.push("made pk.key and vk.key (setup)".into());
        return Ok((model, true));
    }
    Ok((model, false))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `a` exists and is at least as new as `b`.
fn fresh(a: &Path, b: &Path) -> bool {
    match (modified(a), modified(b)) {
        (Some(a), Some(b)) => a >= b,
        _ => false,
    }
}

/// The contract recorded in `file`, if it is newer than `after` and has code on the node.
fn live_contract(node: &Chain, file: &Path, after: &Path) -> Result<Option<Address>> {
    if !fresh(file, after) {
        return Ok(None);
    }
    let addr = steps::load_address(file, "idol deploy-evm")?;
    Ok((node.code_size(addr)? > 0).then_some(addr))
}

fn on_chain(
    ws: &Workspace,
    url: &str,
    proof: &Proof,
    keys_made: bool,
    opts: &JudgeOptions,
    notes: &mut Vec<String>,
) -> Result<(Option<OnChain>, Option<Reward>)> {
    let node = Chain::connect(url, 0, None)?;
    // The verifier must come from the current vk, and the deployed one from that verifier.
    if keys_made || !fresh(&ws.verifier_bin(), &ws.vk()) {
        if !opts.setup {
            return Err(missing(
                ws,
                "a verifier for vk.key",
                "idol create-evm-verifier",
            ));
        }
        steps::create_evm_verifier(ws)?;
        notes.push("generated and compiled Verifier.sol".into());
    }
    let verifier = match live_contract(&node, &ws.contract_address(), &ws.verifier_bin())? {
        Some(a) => a,
        None => {
            if !opts.setup {
                return Err(missing(ws, "a deployed verifier", "idol deploy-evm"));
            }
            let d = steps::deploy_evm(ws, url)?;
            notes.push(format!("deployed the verifier at {:?}", d.address));
            d.address
        }
    };
    let v = steps::verify_evm(url, verifier, proof)?;
    let onchain = OnChain {
        rpc_url: url.to_string(),
        verifier: format!("{verifier:?}"),
        accepted: v.verdict.accepted,
        gas_used: v.verdict.gas_used,
    };
    if !v.verdict.accepted || !opts.contest {
        return Ok((Some(onchain), None));
    }
    let registration = match register_clip(ws, url, opts.setup) {
        Ok(r) => r,
        Err(e) if !opts.setup && matches!(e, Error::Judge(JudgeError::Missing { .. })) => {
            notes.push("no contest deployed for this verifier: no reward submitted".into());
            return Ok((Some(onchain), None));
        }
        Err(e) => return Err(e),
    };
    notes.extend(registration.notes.iter().cloned());
    match registration.status {
        RegistrationStatus::Registered { .. } => notes.push(format!(
            "the organizer registered the recording (d = {}) for {:?}",
            registration.commitment.input_digest, registration.key
        )),
        RegistrationStatus::RegisteredFor(_) => notes.push(registration.to_string()),
        RegistrationStatus::AlreadyRegistered => {}
    }
    let s = submit_clip(ws, url)?;
    Ok((
        Some(onchain),
        Some(Reward {
            contract: format!("{:?}", s.rewards),
            input_digest: registration.commitment.input_digest.to_string(),
            accepted: s.attempt.accepted,
            gas_used: s.attempt.gas_used,
            reason: s.attempt.reason,
            credit: s.credit.to_string(),
        }),
    ))
}

/// The workspace as [`judge`] uses it: the clip's input, witness and proof in files of their own.
fn judged(ws: &Workspace) -> Workspace {
    ws.clone()
        .with(Artifact::Input, Some(ws.judge_input()))
        .with(Artifact::Witness, Some(ws.judge_witness()))
        .with(Artifact::Proof, Some(ws.judge_proof()))
}

/// What the organizer did with the last judged clip ([`register_clip`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ClipRegistration {
    /// d of the clip's features (judge_input.json), computed from them alone.
    pub commitment: steps::Commitment,
    pub registry: Address,
    /// The key the proof credits (the judged key).
    pub key: Address,
    /// What the registry holds for d now.
    pub status: RegistrationStatus,
    /// A contest deployed on the way, the SRS warning.
    pub notes: Vec<String>,
}

/// Whether [`register_clip`] registered the recording.
#[derive(Debug, Clone, PartialEq)]
pub enum RegistrationStatus {
    /// Registered now, for this gas.
    Registered { gas_used: u64 },
    /// Already registered for this key (a clip judged again).
    AlreadyRegistered,
    /// Registered earlier for another key: a submission for this key will be refused.
    RegisteredFor(Address),
}

/// The organizer (development account 0) accepts the last judged clip: it computes d from the
/// clip's features (judge_input.json) alone, without a proof, and registers (d, key) in the
/// workspace's contest, deploying one over the deployed verifier if none is live (with
/// `setup`). The key is the one the clip was judged for.
pub fn register_clip(ws: &Workspace, url: &str, setup: bool) -> Result<ClipRegistration> {
    let jws = judged(ws);
    let node = Chain::connect(url, 0, None)?;
    let mut notes = Vec::new();
    let registry = live_contract(&node, &ws.registry_address(), &ws.contract_address())?;
    let rewards = live_contract(&node, &ws.rewards_address(), &ws.registry_address())?;
    let registry = match (registry, rewards) {
        (Some(r), Some(_)) => r,
        _ if setup => {
            let c = steps::deploy_contest(ws, url, None)?;
            notes.push(format!(
                "deployed a contest: RecordingRegistry at {:?}, JudgeRewards at {:?}",
                c.registry, c.rewards
            ));
            c.registry
        }
        _ => {
            return Err(missing(
                ws,
                "a contest for the deployed verifier",
                "idol deploy-contest",
            ))
        }
    };
    let input = InputData::load(jws.input())?;
    let key = match input.keys.first() {
        Some(Key::Address(a)) => *a,
        _ => {
            return Err(missing(
                ws,
                "a judged clip with an address key (judge_input.json)",
                "idol judge CLIP --key 0xADDRESS",
            ))
        }
    };
    let commitment = steps::commit(&jws)?;
    notes.extend(commitment.srs_warning());
    let status = match node.registered_key(registry, &commitment.input_digest.0)? {
        Some(k) if k == key => RegistrationStatus::AlreadyRegistered,
        Some(k) => RegistrationStatus::RegisteredFor(k),
        None => {
            let r = steps::register_digest(&jws, url, None, key, &commitment)?;
            RegistrationStatus::Registered {
                gas_used: r.gas_used,
            }
        }
    };
    Ok(ClipRegistration {
        commitment,
        registry,
        key,
        status,
        notes,
    })
}

/// Submit the last judged clip's proof (judge_proof.json) to the workspace's `JudgeRewards`,
/// from development account 0: the contract credits the key in the proof, whoever sends it.
pub fn submit_clip(ws: &Workspace, url: &str) -> Result<steps::Submission> {
    steps::submit(&judged(ws), url, None)
}

impl std::fmt::Display for ClipRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        let d = self.commitment.input_digest;
        match &self.status {
            RegistrationStatus::Registered { gas_used } => write!(
                f,
                "the organizer registered the recording d = {d} for {:?} at {:?} ({gas_used} gas)",
                self.key, self.registry
            ),
            RegistrationStatus::AlreadyRegistered => write!(
                f,
                "the recording d = {d} is already registered for {:?} at {:?}",
                self.key, self.registry
            ),
            RegistrationStatus::RegisteredFor(k) => write!(
                f,
                "the recording d = {d} is registered for {k:?}, not {:?}: a submission for {:?} will be refused",
                self.key, self.key
            ),
        }
    }
}

impl ClipRegistration {
    /// True when the registry holds d for the judged key.
    pub fn registered(&self) -> bool {
        !matches!(self.status, RegistrationStatus::RegisteredFor(_))
    }

    pub fn to_html(&self) -> String {
        crate::html::verdict(self.registered(), &self.to_string())
    }
}

crate::html::notebook_display!(ClipRegistration);

impl std::fmt::Display for Judgement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        writeln!(f, "clip:          {}", self.clip.display())?;
        writeln!(f, "key:           {}", self.key)?;
        writeln!(
            f,
            "score:         {:.4} (float model {:.4}, |Δ| {:.1e})",
            self.proven_score,
            self.float_score,
            (self.proven_score - self.float_score).abs()
        )?;
        writeln!(
            f,
            "proof:         {} bytes in {:.2} s",
            self.proof_bytes, self.prove_seconds
        )?;
        writeln!(
            f,
            "native verify: {} ({:.3} s)",
            if self.verified { "VALID" } else { "INVALID" },
            self.verify_seconds
        )?;
        match &self.onchain {
            Some(o) => writeln!(
                f,
                "on-chain:      {} by the verifier at {} ({} gas, {})",
                if o.accepted { "ACCEPTED" } else { "REJECTED" },
                o.verifier,
                o.gas_used,
                o.rpc_url
            )?,
            None => writeln!(f, "on-chain:      skipped")?,
        }
        if let Some(r) = &self.reward {
            writeln!(
                f,
                "reward:        recording d = {}; submission {}; credit of {} is now {}",
                r.input_digest,
                match (&r.reason, r.accepted) {
                    (_, true) => format!("accepted ({} gas)", r.gas_used),
                    (Some(reason), false) => format!("refused: \"{reason}\""),
                    (None, false) => "refused".to_string(),
                },
                self.key,
                r.credit
            )?;
        }
        write!(f, "done in {:.1} s", self.seconds)
    }
}

impl Judgement {
    /// True when the proof verified natively and, where tried, on chain.
    pub fn all_verified(&self) -> bool {
        self.verified && self.onchain.as_ref().is_none_or(|o| o.accepted)
    }

    /// The float and proven scores against the labels' emotion scale (disgust 0.0 … surprise 1.0).
    pub fn score_figure(&self) -> crate::plot::Figure {
        let mut scale: Vec<(f32, Vec<&str>)> = Vec::new();
        for e in crate::dataset::Emotion::ALL {
            match scale.iter_mut().find(|(s, _)| *s == e.score()) {
                Some((_, names)) => names.push(e.name()),
                None => scale.push((e.score(), vec![e.name()])),
            }
        }
        crate::plot::bars_with_marks(
            format!("the judge's score for {}", self.key),
            "score (the labels' emotion scale)",
            [
                ("float model".to_string(), self.float_score),
                ("proven".to_string(), self.proven_score),
            ],
            scale
                .into_iter()
                .map(|(s, names)| (format!("{s:.1} {}", names.join("/")), s as f64)),
        )
    }

    pub fn to_html(&self) -> String {
        let mut t = crate::html::Table::new(format!("judgement of {}", self.clip.display()))
            .header(["step", "result"])
            .row(["key".to_string(), self.key.clone()])
            .row([
                "score".to_string(),
                format!(
                    "{:.4} proven (float model {:.4})",
                    self.proven_score, self.float_score
                ),
            ])
            .row([
                "proof".to_string(),
                format!("{} bytes in {:.2} s", self.proof_bytes, self.prove_seconds),
            ])
            .row([
                "native verification".to_string(),
                if self.verified { "valid" } else { "INVALID" }.to_string(),
            ]);
        t = match &self.onchain {
            Some(o) => t.row([
                "on-chain verification".to_string(),
                format!(
                    "{} ({} gas)",
                    if o.accepted { "accepted" } else { "REJECTED" },
                    o.gas_used
                ),
            ]),
            None => t.row(["on-chain verification", "skipped"]),
        };
        if let Some(r) = &self.reward {
            t = t.row([
                "reward".to_string(),
                format!(
                    "recording d = {}; submission {}; the key's credit is {}",
                    r.input_digest,
                    match (&r.reason, r.accepted) {
                        (_, true) => format!("accepted ({} gas)", r.gas_used),
                        (Some(reason), false) => format!("refused: \"{reason}\""),
                        (None, false) => "refused".to_string(),
                    },
                    r.credit
                ),
            ]);
        }
        for n in &self.notes {
            t = t.note(format!("note: {n}"));
        }
        crate::html::verdict(
            self.all_verified(),
            if self.all_verified() {
                "judged and proven"
            } else {
                "the proof was not accepted"
            },
        ) + &t.to_html()
    }
}

crate::html::notebook_display!(Judgement);
