//! Settings + ONNX ([`Model`]) + input → witness.json → mock report; with an SRS: pk.key and
//! vk.key (`setup`), proof.json (`prove`) and a [`Verdict`] (`verify`).
//!
//! The proof system is fixed once here: Halo2 (halo2-axiom) with KZG commitments on BN254 and
//! the SHPLONK multi-open argument.

use std::fmt;
use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::time::Instant;

use halo2_proofs::dev::{FailureLocation, MockProver, VerifyFailure};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk_custom, verify_proof, ProvingKey, VerifyingKey,
};
use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::{TranscriptReadBuffer, TranscriptWriterBuffer};
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::system::halo2::transcript::evm::{ChallengeEvm, EvmTranscript};

/// The proof transcript: Keccak-256, as the EVM verifier reads it.
type WriteTranscript = EvmTranscript<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>;
type ReadTranscript<'a> = EvmTranscript<G1Affine, NativeLoader, &'a [u8], Vec<u8>>;
use halo2_proofs::SerdeFormat;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use std::sync::Arc;

use crate::binding::{digest_of_proof, InputDigest, TailRng};
use crate::circuit::layered::{LayeredCircuit, LayeredPlan, LayeredShape};
use crate::circuit::{fe, CircuitShape, JudgeCircuit, ModelCircuit, ModelShape};
use crate::encoding::{field_from_hex, field_hex, hex, hex0x, unhex};
use crate::input::{InputData, Key};
use crate::network::{Network, NetworkError};
use crate::onnx::{OnnxError, OnnxGraph};
use crate::quantize::{Layout, NetTrace, QuantNet, QuantizeError};
use crate::settings::{Settings, SettingsError};
use crate::srs::Srs;

/// Version of witness.json / proof.json / key files this build reads and writes.
pub(crate) const FORMAT_VERSION: u32 = 1;
/// The protocol string written into proofs.
pub const PROTOCOL: &str = "halo2-axiom/kzg-bn256/shplonk";
/// Keccak-256 transcript, as the EVM verifier reads it: one proof verifies natively and on chain.
pub(crate) const TRANSCRIPT: &str = "evm-keccak256";
/// Key files: this magic, the circuit digest (64 hex), the SRS digest (64 hex) and the SRS's
/// file name (length-prefixed), the circuit's shape (length-prefixed JSON, so a verifying key
/// can be read without the model), then halo2's bytes.
const KEY_MAGIC: &[u8; 8] = b"IDOLKEY3";
/// Key files of earlier layouts: no circuit shape (1), no SRS digest (2).
const OLD_KEY_MAGICS: [&[u8; 8]; 2] = [b"IDOLKEY1", b"IDOLKEY2"];
/// Longest SRS file name a key file may carry.
const MAX_SRS_NAME_BYTES: usize = 4096;
/// Largest shape a key file may declare (the windowed shape holds the sigmoid table).
const MAX_SHAPE_BYTES: usize = 1 << 24;

#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a {what} ({reason}). {fix}")]
    Parse {
        path: String,
        what: &'static str,
        reason: String,
        fix: &'static str,
    },
    #[error("{path} was written by format {got}, this build reads {expected}: {fix}")]
    Version {
        path: String,
        got: u32,
        expected: u32,
        fix: &'static str,
    },
    #[error("{path} belongs to another circuit (digest {got}, these settings and model give {expected}). Rerun `idol setup` with the same settings and model, or pass the matching key.")]
    WrongCircuit {
        path: String,
        expected: String,
        got: String,
    },
    #[error("{key} was made with the SRS {key_srs} (sha256 {key_digest}), but {srs} is another SRS (sha256 {srs_digest}). Pass the key's SRS with --srs-path {key_srs}, or rerun `idol setup` with {srs}.")]
    WrongSrs {
        key: String,
        key_srs: String,
        key_digest: String,
        srs: String,
        srs_digest: String,
    },
    #[error("{key} was made with the SRS {key_srs} (sha256 {key_digest}), and there is no SRS at {looked}. Pass that SRS with --srs-path {key_srs}; a new SRS would not match the key.")]
    KeySrsMissing {
        key: String,
        key_srs: String,
        key_digest: String,
        looked: String,
    },
    #[error("the witness was made for another model or settings (digest {got}, expected {expected}). Rerun `idol gen-witness`.")]
    WitnessMismatch { expected: String, got: String },
    #[error("key generation failed: {0}")]
    Keygen(String),
    #[error("proving failed: {0}")]
    Proving(String),
    #[error(
        "the judge's input holds no sample: write input.json with `idol gen-input` or `idol judge`"
    )]
    NoSample,
    #[error("the witness says score_q {claimed} but its inputs give {computed}: the witness file was edited. Rerun `idol gen-witness`.")]
    WitnessEdited { claimed: i64, computed: i64 },
    /// A view of the witness table that the circuit cannot give (rows out of range, a layout
    /// without that view).
    #[error("{0}")]
    View(#[from] crate::circuit::Unfit),
    /// A tampering request (soundness tests) that does not apply to this circuit.
    #[error("cannot forge this witness: {0}")]
    Forge(String),
    /// The settings refused the model (shown as the settings stage's error).
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The model file could not be read (shown as the onnx stage's error).
    #[error(transparent)]
    Onnx(#[from] OnnxError),
    /// The model's structure is not a judge (shown as the network stage's error).
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The input does not fit the fixed-point ranges (shown as the quantize stage's error).
    #[error(transparent)]
    Quantize(#[from] QuantizeError),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ProveError + '_ {
    move |source| ProveError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The model a proof is about: settings, the ONNX graph, the network read from it (the float
/// reference) and its fixed-point version (the spec the circuit proves).
#[derive(Debug, Clone)]
pub struct Model {
    pub settings: Settings,
    pub graph: OnnxGraph,
    pub network: Network,
    /// Shared with the circuits made from it.
    pub quantized: Arc<QuantNet>,
    /// The circuit's shape (built once: it holds the sigmoid table).
    shape: ModelShape,
    /// The layered circuit's row plan (layered models only), shared by its circuits.
    plan: Option<Arc<LayeredPlan>>,
}

impl Model {
    /// Load `network.onnx` with its `settings.json`, checking they belong together.
    pub fn load(
        onnx: impl AsRef<Path>,
        settings_path: impl AsRef<Path>,
    ) -> Result<Self, ProveError> {
        let settings = Settings::load(settings_path.as_ref())?;
        let graph = OnnxGraph::load(onnx.as_ref())?;
        settings.check_model(settings_path.as_ref(), &graph)?;
        Self::new(settings, graph)
    }

    pub fn new(settings: Settings, graph: OnnxGraph) -> Result<Self, ProveError> {
        let network = Network::from_graph(&graph)?;
        let quantized = settings.quantize(&network)?;

        let (shape, plan) = match quantized.layout {
            Layout::Windowed => {
                let shape = CircuitShape::new(&quantized).map_err(SettingsError::unfit)?;
                (ModelShape::Windowed(shape), None)
            }
            Layout::Layered => {
                let plan = LayeredPlan::new(&quantized);
                let shape = LayeredShape::new(&quantized, &plan);
                (ModelShape::Layered(shape), Some(Arc::new(plan)))
            }
        };
        let min_k = shape.min_k();
        if settings.run_args.logrows < min_k {
            return Err(SettingsError::Invalid {
                reason: format!(
                    "settings.json says logrows {}, but this model's circuit needs 2^{min_k} rows: rerun `idol calibrate-settings`",
                    settings.run_args.logrows
                ),
            }
            .into());
        }
        Ok(Self {
            settings,
            graph,
            network,
            quantized: Arc::new(quantized),
            shape,
            plan,
        })
    }

    pub fn shape(&self) -> ModelShape {
        self.shape.clone()
    }

    pub fn layout(&self) -> Layout {
        self.quantized.layout
    }

    /// The circuit for key generation (no witness).
    pub(crate) fn keygen_circuit(&self) -> ModelCircuit {
        self.circuit(None)
    }

    /// The circuit proving `trace` for `key`.
    pub(crate) fn circuit_for(&self, trace: &NetTrace, key: Fr) -> ModelCircuit {
        self.circuit(Some((trace, key)))
    }

    /// The model's circuit from its shape (built once in [`Model::new`]), with or without a
    /// witness.
    fn circuit(&self, witness: Option<(&NetTrace, Fr)>) -> ModelCircuit {
        match &self.shape {
            ModelShape::Windowed(shape) => JudgeCircuit::new(
                shape.clone(),
                crate::circuit::windowed::Parts::of(&self.quantized)
                    .expect("a windowed model's shape was made from its parts")
                    .lin_w
                    .to_vec(),
                witness,
            )
            .into(),
            ModelShape::Layered(shape) => LayeredCircuit::new(
                shape.clone(),
                self.quantized.clone(),
                self.plan.clone().expect("layered models keep their plan"),
                witness,
            )
            .into(),
        }
    }

    /// The circuit's size: settings.json's logrows (at least the circuit's minimum, checked in
    /// [`Model::new`]).
    pub fn k(&self) -> u32 {
        self.settings.run_args.logrows
    }

    /// Digest binding keys and witnesses to this model + settings
    /// ([`Settings::circuit_digest`]: the settings name the model by its digest).
    pub fn digest(&self) -> String {
        self.settings.circuit_digest()
    }
}

/// The key as the field element the circuit carries, and a note when it cannot be an address.
pub fn key_field(key: &Key, settings: &Settings) -> (Fr, Option<String>) {
    match key {
        Key::Address(a) => {
            let mut v: u128 = 0;
            let mut hi: u128 = 0;
            for &b in &a.0[..4] {
                hi = (hi << 8) | b as u128;
            }
            for &b in &a.0[4..] {
                v = (v << 8) | b as u128;
            }
            (
                Fr::from_u128(hi) * Fr::from_u128(1u128 << 64) * Fr::from_u128(1u128 << 64)
                    + Fr::from_u128(v),
                None,
            )
        }
        Key::Number(f) => {
            let q = (f * 2f64.powi(settings.float_key_scale as i32)).round();
            (
                fe(q as i128),
                Some(format!(
                    "note: the key {f} is a number (EZKL style); it is carried as round(key·2^{}) = {q} and cannot name an Ethereum address. Write the address as a \"0x…\" string in input.json to bind rewards to it.",
                    settings.float_key_scale
                )),
            )
        }
    }
}

/// `witness.json`: the quantized input, the key and the outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Witness {
    pub format_version: u32,
    pub circuit_digest: String,
    /// The key as written in input.json (address hex or number).
    pub key: Key,
    /// The key as a field element (public instance 0).
    #[serde(with = "crate::encoding::field_serde")]
    pub key_field: Fr,
    /// Score at scale 2^output (public instance 1) and dequantized.
    pub score_q: i64,
    pub score: f64,
    /// The float model's score on the same input.
    pub float_score: f64,
    pub logit: f64,
    /// Quantized input cells (the private witness).
    pub inputs: Vec<i64>,
}

impl Witness {
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ProveError> {
        std::fs::write(
            path.as_ref(),
            serde_json::to_string(self).expect("witness serialises"),
        )
        .map_err(io(path.as_ref()))
    }
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ProveError> {
        load_json(
            path.as_ref(),
            "witness file",
            "Make one with `idol gen-witness`.",
        )
    }
}

fn load_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &'static str,
    fix: &'static str,
) -> Result<T, ProveError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| ProveError::Parse {
        path: p.clone(),
        what,
        reason: e.to_string(),
        fix,
    })?;
    let got = v
        .get("format_version")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| ProveError::Parse {
            path: p.clone(),
            what,
            reason: "no format_version".into(),
            fix,
        })? as u32;
    if got != FORMAT_VERSION {
        return Err(ProveError::Version {
            path: p,
            got,
            expected: FORMAT_VERSION,
            fix,
        });
    }
    serde_json::from_value(v).map_err(|e| ProveError::Parse {
        path: p,
        what,
        reason: e.to_string(),
        fix,
    })
}

/// Witness for the first sample of `input` (EZKL's `gen_witness`). Also returns the note for a
/// float key, if any.
pub fn gen_witness(
    model: &Model,
    input: &InputData,
) -> Result<(Witness, Option<String>), ProveError> {
    let x = input.xs.first().ok_or(ProveError::NoSample)?;
    let key = input.keys.first().ok_or(ProveError::NoSample)?;
    let trace = model.quantized.forward_int(x, 0)?;
    let (kf, note) = key_field(key, &model.settings);
    let s = &model.settings.scales;
    let logit = trace.logit as f64 / 2f64.powi((s.input + s.conv + s.linear) as i32);
    Ok((
        Witness {
            format_version: FORMAT_VERSION,
            circuit_digest: model.digest(),
            key: key.clone(),
            key_field: kf,
            score_q: trace.score_q,
            score: trace.score(s),
            float_score: model.network.score(x),
            logit,
            inputs: trace.x.clone(),
        },
        note,
    ))
}

fn trace_of(model: &Model, w: &Witness) -> Result<NetTrace, ProveError> {
    if w.circuit_digest != model.digest() {
        return Err(ProveError::WitnessMismatch {
            expected: model.digest(),
            got: w.circuit_digest.clone(),
        });
    }
    let t = model.quantized.forward_q(w.inputs.clone(), 0)?;
    if t.score_q != w.score_q {
        return Err(ProveError::WitnessEdited {
            claimed: w.score_q,
            computed: t.score_q,
        });
    }
    Ok(t)
}

/// The circuit for a witness.
pub fn circuit(model: &Model, w: &Witness) -> Result<ModelCircuit, ProveError> {
    Ok(model.circuit_for(&trace_of(model, w)?, w.key_field))
}

/// Result of the mock prover.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MockReport {
    pub k: u32,
    pub rows: usize,
    pub satisfied: bool,
    /// Human-readable failures (constraint or lookup name and place).
    pub failures: Vec<String>,
    pub seconds: f64,
}

impl fmt::Display for MockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.satisfied {
            write!(
                f,
                "mock proof: all constraints satisfied (2^{} rows, {} used) in {:.2} s",
                self.k, self.rows, self.seconds
            )
        } else {
            writeln!(
                f,
                "mock proof: {} constraint failures:",
                self.failures.len()
            )?;
            for x in self.failures.iter().take(10) {
                writeln!(f, "  {x}")?;
            }
            Ok(())
        }
    }
}

/// Run the mock prover on a circuit with its instances.
pub fn mock_circuit(
    c: &ModelCircuit,
    k: u32,
    instances: Vec<Fr>,
) -> Result<MockReport, ProveError> {
    let t0 = Instant::now();
    let p =
        MockProver::run(k, c, vec![instances]).map_err(|e| ProveError::Proving(e.to_string()))?;
    // The layouts keep all their lookups in one tagged argument: name the entry kind a failed
    // lookup was after (range, sigmoid or activation), so one cannot pass for another.
    let failures: Vec<String> = match p.verify() {
        Ok(()) => vec![],
        Err(fs) => fs
            .iter()
            .map(|f| match f {
                VerifyFailure::Lookup {
                    location:
                        FailureLocation::InRegion { offset: row, .. }
                        | FailureLocation::OutsideRegion { row },
                    ..
                } => format!("{f} [{} lookup]", c.lookup_kind(*row)),
                _ => f.to_string(),
            })
            .collect(),
    };
    Ok(MockReport {
        k,
        rows: c.shape().witness_rows(),
        satisfied: failures.is_empty(),
        failures,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// EZKL's `mock`: check every constraint without a real proof.
pub fn mock(model: &Model, w: &Witness) -> Result<MockReport, ProveError> {
    let c = circuit(model, w)?;
    let inst = c.instances();
    mock_circuit(&c, model.k(), inst)
}

/// Proving and verifying keys.
pub struct Keys {
    pub pk: ProvingKey<G1Affine>,
    pub seconds: f64,
}

/// EZKL's `setup`: keys for the model's circuit.
pub fn setup(model: &Model, srs: &Srs) -> Result<Keys, ProveError> {
    let t0 = Instant::now();
    let c = model.keygen_circuit();
    let vk =
        keygen_vk_custom(&srs.params, &c, true).map_err(|e| ProveError::Keygen(e.to_string()))?;
    let pk = keygen_pk(&srs.params, vk, &c).map_err(|e| ProveError::Keygen(e.to_string()))?;
    Ok(Keys {
        pk,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

fn write_key(
    path: &Path,
    digest: &str,
    srs: &Srs,
    shape: &ModelShape,
    write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
) -> Result<(), ProveError> {
    let shape = serde_json::to_vec(shape).expect("shapes serialise");
    let srs_name = srs.path.display().to_string();
    let srs_name = &srs_name.as_bytes()[..srs_name.len().min(MAX_SRS_NAME_BYTES)];
    // Everything after the checksum: the SRS's name, the shape and halo2's bytes.
    let mut rest = Vec::new();
    rest.extend_from_slice(&(srs_name.len() as u32).to_le_bytes());
    rest.extend_from_slice(srs_name);
    rest.extend_from_slice(&(shape.len() as u32).to_le_bytes());
    rest.extend_from_slice(&shape);
    write(&mut rest).map_err(io(path))?;
    let mut w = BufWriter::new(std::fs::File::create(path).map_err(io(path))?);
    w.write_all(KEY_MAGIC).map_err(io(path))?;
    w.write_all(digest.as_bytes()).map_err(io(path))?;
    w.write_all(srs.digest.as_bytes()).map_err(io(path))?;
    w.write_all(hex(Sha256::digest(&rest)).as_bytes())
        .map_err(io(path))?;
    w.write_all(&rest).map_err(io(path))?;
    w.flush().map_err(io(path))
}

/// What a key file says it was made for.
#[derive(Debug, Clone)]
pub(crate) struct KeyHeader {
    /// The circuit digest ([`Settings::circuit_digest`]).
    pub circuit: String,
    /// The SRS's digest ([`Srs::digest`]) and the path it was read from at setup.
    pub srs_digest: String,
    pub srs_path: String,
    pub shape: ModelShape,
}

fn bad_key(path: &Path) -> impl Fn(String) -> ProveError + '_ {
    move |reason| ProveError::Parse {
        path: path.display().to_string(),
        what: "cryptoidol key file",
        reason,
        fix: "Make keys with `idol setup`.",
    }
}

/// The fixed part of a key file's header: magic, circuit digest, SRS digest, checksum.
const FIXED_HEADER: usize = 8 + 3 * 64;

/// Parse a key file's header from `b` (the whole file, or at least its header): what the key
/// was made for, the checksum it declares, and where the checksummed part starts and halo2's
/// bytes begin.
fn parse_key_header(path: &Path, b: &[u8]) -> Result<(KeyHeader, String, usize), ProveError> {
    let bad = bad_key(path);
    let magic = b.get(..8).ok_or_else(|| bad("missing header".into()))?;
    if OLD_KEY_MAGICS.iter().any(|m| &m[..] == magic) {
        return Err(bad(
            "made by an older version (no SRS digest in the file); rerun `idol setup`".into(),
        ));
    }
    if magic != KEY_MAGIC {
        return Err(bad("missing header".into()));
    }
    let hex64 = |at: usize, what: &str| -> Result<String, ProveError> {
        let f = b
            .get(at..at + 64)
            .ok_or_else(|| bad(format!("truncated header ({what})")))?;
        match std::str::from_utf8(f) {
            Ok(s) if s.bytes().all(|c| c.is_ascii_hexdigit()) => Ok(s.to_owned()),
            _ => Err(bad(format!("the {what} is not hex"))),
        }
    };
    let circuit = hex64(8, "circuit digest")?;
    let srs_digest = hex64(8 + 64, "SRS digest")?;
    let checksum = hex64(8 + 128, "checksum")?;
    let mut at = FIXED_HEADER;
    let mut field = |what: &str, max: usize| -> Result<&[u8], ProveError> {
        let len = b
            .get(at..at + 4)
            .ok_or_else(|| bad(format!("truncated header ({what})")))?;
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if len > max {
            return Err(bad(format!("header declares a {len}-byte {what}")));
        }
        let f = b
            .get(at + 4..at + 4 + len)
            .ok_or_else(|| bad(format!("truncated {what}")))?;
        at += 4 + len;
        Ok(f)
    };
    let srs_path =
        String::from_utf8_lossy(field("SRS file name", MAX_SRS_NAME_BYTES)?).into_owned();
    let shape = field("circuit shape", MAX_SHAPE_BYTES)?;
    let shape: ModelShape = serde_json::from_slice(shape)
        .map_err(|e| bad(format!("unreadable circuit shape ({e})")))?;
    Ok((
        KeyHeader {
            circuit,
            srs_digest,
            srs_path,
            shape,
        },
        checksum,
        at,
    ))
}

/// Read a key file's header only: what the key was made for (its body is not checked).
pub(crate) fn read_key_header(path: &Path) -> Result<KeyHeader, ProveError> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .map_err(io(path))?
        .take((FIXED_HEADER + 8 + MAX_SRS_NAME_BYTES + MAX_SHAPE_BYTES) as u64)
        .read_to_end(&mut head)
        .map_err(io(path))?;
    parse_key_header(path, &head).map(|(h, _, _)| h)
}

/// Read a key file made for the circuit `digest` names with the SRS `srs`, check its checksum
/// (halo2's readers panic on damaged bytes, so they only ever see bytes this crate wrote), and
/// return its bytes, where halo2's part starts, and the circuit shape it was made for.
fn open_key(
    path: &Path,
    digest: &str,
    srs: &Srs,
) -> Result<(Vec<u8>, usize, ModelShape), ProveError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let (h, checksum, body) = parse_key_header(path, &bytes)?;
    if h.circuit != digest {
        return Err(ProveError::WrongCircuit {
            path: path.display().to_string(),
            expected: digest.to_string(),
            got: h.circuit,
        });
    }
    if h.srs_digest != srs.digest {
        return Err(ProveError::WrongSrs {
            key: path.display().to_string(),
            key_srs: h.srs_path,
            key_digest: h.srs_digest,
            srs: srs.path.display().to_string(),
            srs_digest: srs.digest.clone(),
        });
    }
    if hex(Sha256::digest(&bytes[FIXED_HEADER..])) != checksum {
        return Err(bad_key(path)(
            "its checksum does not match its contents (the file is damaged or was edited)".into(),
        ));
    }
    Ok((bytes, body, h.shape))
}

/// Write pk.key for `model`, recording the SRS it was made with.
pub fn save_pk(
    pk: &ProvingKey<G1Affine>,
    model: &Model,
    srs: &Srs,
    path: impl AsRef<Path>,
) -> Result<(), ProveError> {
    write_key(path.as_ref(), &model.digest(), srs, &model.shape(), |w| {
        pk.write(w, SerdeFormat::RawBytes)
    })
}

/// Write vk.key for `model`, recording the SRS it was made with.
pub fn save_vk(
    vk: &VerifyingKey<G1Affine>,
    model: &Model,
    srs: &Srs,
    path: impl AsRef<Path>,
) -> Result<(), ProveError> {
    write_key(path.as_ref(), &model.digest(), srs, &model.shape(), |w| {
        vk.write(w, SerdeFormat::RawBytes)
    })
}

/// Read a key file made for the circuit `digest` names and the SRS `srs`, with halo2's reader
/// `read` for the circuit shape the file carries (the digest names everything the shape
/// derives from: the model, the settings and the layout version).
fn read_key<K>(
    path: &Path,
    digest: &str,
    srs: &Srs,
    what: &'static str,
    read: impl FnOnce(&mut &[u8], ModelShape) -> std::io::Result<K>,
) -> Result<K, ProveError> {
    let (bytes, body, shape) = open_key(path, digest, srs)?;
    let mut r = &bytes[body..];
    let key = read(&mut r, shape).map_err(|e| ProveError::Parse {
        path: path.display().to_string(),
        what,
        reason: e.to_string(),
        fix: "Make keys with `idol setup`.",
    })?;
    if !r.is_empty() {
        return Err(bad_key(path)(format!("{} bytes after the {what}", r.len())));
    }
    Ok(key)
}

/// pk.key, refused unless it was made for `model` with `srs`.
pub fn load_pk(
    path: impl AsRef<Path>,
    model: &Model,
    srs: &Srs,
) -> Result<ProvingKey<G1Affine>, ProveError> {
    read_key(
        path.as_ref(),
        &model.digest(),
        srs,
        "proving key",
        |r, shape| ProvingKey::read::<_, ModelCircuit>(r, SerdeFormat::RawBytes, shape),
    )
}

/// vk.key, refused unless it was made for `model` with `srs`.
pub fn load_vk(
    path: impl AsRef<Path>,
    model: &Model,
    srs: &Srs,
) -> Result<VerifyingKey<G1Affine>, ProveError> {
    load_vk_for(path, &model.settings, srs)
}

/// A verifying key made for the model and settings `settings` names with `srs`, read without
/// the model (EZKL's `verify` and `create-evm-verifier` take settings, vk and SRS only).
pub fn load_vk_for(
    path: impl AsRef<Path>,
    settings: &Settings,
    srs: &Srs,
) -> Result<VerifyingKey<G1Affine>, ProveError> {
    read_key(
        path.as_ref(),
        &settings.circuit_digest(),
        srs,
        "verifying key",
        |r, shape| VerifyingKey::read::<_, ModelCircuit>(r, SerdeFormat::RawBytes, shape),
    )
}

/// A proof and what it claims, parsed once at the edge: the bytes as bytes, the public instances
/// `[key, score]` as field elements, the key as input.json wrote it. `proof.json` is its file
/// ([`Proof::save`], [`Proof::load`]); text appears only there.
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    /// Public instances: `[key, score]`.
    pub instances: Vec<Fr>,
    /// The proof's bytes as the EVM verifier reads them: halo2's transcript (Keccak), then
    /// [`crate::evm::template::HINT_BYTES`] of inversion hints the verifier checks.
    pub bytes: Vec<u8>,
    /// `d`, the digest binding the proof to its input ([`crate::binding`]); None for a layout
    /// that does not bind its input.
    pub input_digest: Option<InputDigest>,
    /// The key as input.json wrote it.
    pub key: Key,
    /// Score at scale 2^output (public instance 1) and dequantized.
    pub score_q: i64,
    pub score: f64,
    /// Proving time.
    pub seconds: f64,
}

/// `proof.json` as written: the proof system's names, hex text for bytes and field elements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofFile {
    format_version: u32,
    proof_system: String,
    transcript: String,
    /// The public instances `[key, score]` as the EVM reads them (uint256: 0x + 64 big-endian
    /// hex digits).
    public_instances: Vec<String>,
    key: serde_json::Value,
    score_q: i64,
    score: f64,
    /// `d` (0x + 64 hex digits), when the layout binds its input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input_digest: Option<InputDigest>,
    /// The proof bytes, 0x hex (EZKL's name and type).
    hex_proof: String,
    seconds: f64,
}

impl From<&Proof> for ProofFile {
    fn from(p: &Proof) -> Self {
        ProofFile {
            format_version: FORMAT_VERSION,
            proof_system: PROTOCOL.into(),
            transcript: TRANSCRIPT.into(),
            public_instances: p.instances.iter().map(field_hex).collect(),
            key: p.key.to_json(),
            score_q: p.score_q,
            score: p.score,
            input_digest: p.input_digest,
            hex_proof: hex0x(&p.bytes),
            seconds: p.seconds,
        }
    }
}

impl ProofFile {
    /// The typed proof, or which field is wrong and why.
    fn parse(self) -> Result<Proof, String> {
        if self.proof_system != PROTOCOL || self.transcript != TRANSCRIPT {
            return Err(format!(
                "proof system {}/{} is not {PROTOCOL}/{TRANSCRIPT} (a proof from another proof system)",
                self.proof_system, self.transcript
            ));
        }
        let instances = self
            .public_instances
            .iter()
            .enumerate()
            .map(|(i, s)| {
                field_from_hex(s).ok_or_else(|| {
                    format!("instance {i} ({s}) is not a field element (0x and 64 hex digits below the modulus)")
                })
            })
            .collect::<Result<_, _>>()?;
        let bytes = unhex(&self.hex_proof).ok_or("the hex_proof field is not hex")?;
        let key = Key::from_json(&self.key).map_err(|e| format!("the key: {e}"))?;
        Ok(Proof {
            instances,
            bytes,
            input_digest: self.input_digest,
            key,
            score_q: self.score_q,
            score: self.score,
            seconds: self.seconds,
        })
    }
}

impl Serialize for Proof {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ProofFile::from(self).serialize(s)
    }
}

impl Proof {
    /// halo2's transcript: the bytes without the EVM verifier's hints (None if too short).
    pub fn transcript(&self) -> Option<&[u8]> {
        let n = self
            .bytes
            .len()
            .checked_sub(crate::evm::template::HINT_BYTES)?;
        Some(&self.bytes[..n])
    }

    /// The same proof bytes claiming another quantized score (public instance 1): what a cheater
    /// would submit. For demonstrations and tests; [`verify`] rejects it.
    pub fn claiming_score(&self, score_q: i64) -> Proof {
        let mut forged = self.clone();
        if let Some(slot) = forged.instances.get_mut(1) {
            *slot = crate::circuit::fe(score_q as i128);
        }
        forged.score = self.score * score_q as f64 / (self.score_q.max(1) as f64);
        forged.score_q = score_q;
        forged
    }

    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ProveError> {
        std::fs::write(
            path.as_ref(),
            serde_json::to_string_pretty(self).expect("proof serialises"),
        )
        .map_err(io(path.as_ref()))
    }

    pub fn load(path: impl AsRef<Path>) -> Result<Self, ProveError> {
        const WHAT: &str = "proof file";
        const FIX: &str = "Make one with `idol prove`.";
        let file: ProofFile = load_json(path.as_ref(), WHAT, FIX)?;
        file.parse().map_err(|reason| ProveError::Parse {
            path: path.as_ref().display().to_string(),
            what: WHAT,
            reason,
            fix: FIX,
        })
    }
}

/// EZKL's `prove`.
pub fn prove(
    model: &Model,
    w: &Witness,
    pk: &ProvingKey<G1Affine>,
    srs: &Srs,
) -> Result<Proof, ProveError> {
    let c = circuit(model, w)?;
    prove_circuit(&c, w, pk, srs)
}

/// Prove a (possibly tampered) circuit.
pub fn prove_circuit(
    c: &ModelCircuit,
    w: &Witness,
    pk: &ProvingKey<G1Affine>,
    srs: &Srs,
) -> Result<Proof, ProveError> {
    let t0 = Instant::now();
    let inst = c.instances();
    let mut transcript = WriteTranscript::init(Vec::new());
    let columns = c.shape().input_columns();
    let cs = pk.get_vk().cs();
    if cs.advice_column_phase().iter().any(|&p| p != 0)
        || columns.iter().any(|&i| i >= cs.num_advice_columns())
    {
        return Err(ProveError::Proving(
            "the proving key's advice columns are not the layout's (another column order or phase)"
                .into(),
        ));
    }
    // The input columns' tail rows zero (their commitments bind the input), every other
    // column's random.
    let rng = TailRng::new(
        rand_chacha::ChaCha20Rng::from_entropy(),
        columns,
        cs.blinding_factors() + 1,
    );
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        create_proof::<
            KZGCommitmentScheme<Bn256>,
            ProverSHPLONK<'_, Bn256>,
            ChallengeEvm<G1Affine>,
            _,
            WriteTranscript,
            _,
        >(
            &srs.params,
            pk,
            std::slice::from_ref(c),
            &[&[&inst]],
            rng,
            &mut transcript,
        )
    }));
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(ProveError::Proving(e.to_string())),
        Err(_) => {
            return Err(ProveError::Proving(
                "the prover panicked (a key from another circuit or a witness that does not fit?)"
                    .into(),
            ))
        }
    }
    let mut bytes = transcript.finalize();
    let hints = crate::evm::evm_hints(&srs.params, pk.get_vk(), &inst, &bytes)
        .map_err(|e| ProveError::Proving(e.to_string()))?;
    bytes.extend_from_slice(&hints);
    Ok(Proof {
        instances: inst,
        input_digest: digest_of_proof(&bytes, columns),
        bytes,
        key: w.key.clone(),
        score_q: w.score_q,
        score: w.score,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// `d` for the first sample of `input` under this model and SRS ([`crate::binding`]): what a
/// proof of that input records, recomputed without proving.
pub fn input_digest(
    model: &Model,
    srs: &Srs,
    input: &InputData,
) -> Result<Option<InputDigest>, ProveError> {
    let x = input.xs.first().ok_or(ProveError::NoSample)?;
    let trace = model.quantized.forward_int(x, 0)?;
    let columns = match (&model.shape, &model.plan) {
        (ModelShape::Windowed(s), _) => s.input_columns(&trace.x).into(),
        (ModelShape::Layered(_), Some(plan)) => vec![plan.input_column(&trace.x)],
        (ModelShape::Layered(_), None) => return Ok(None),
    };
    Ok(Some(crate::binding::input_digest(&srs.params, columns)))
}

/// Outcome of verification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub valid: bool,
    /// Why not, when not.
    pub reason: Option<String>,
    pub seconds: f64,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            None => write!(f, "proof verified ({:.3} s)", self.seconds),
            Some(r) => write!(f, "proof REJECTED: {r}"),
        }
    }
}

/// EZKL's `verify`: check a proof against the verifying key and its own public instances.
pub fn verify(
    proof: &Proof,
    vk: &VerifyingKey<G1Affine>,
    srs: &Srs,
) -> Result<Verdict, ProveError> {
    let t0 = Instant::now();
    let inst = &proof.instances;
    // Exactly [key, score]: the circuit reads the instance column below those rows too (it is
    // zero there), so extra public values must never reach the verifier.
    if inst.len() != crate::circuit::NUM_INSTANCES {
        return Ok(Verdict {
            valid: false,
            reason: Some(format!(
                "the proof carries {} public values; this circuit has exactly {} ([key, score])",
                inst.len(),
                crate::circuit::NUM_INSTANCES
            )),
            seconds: 0.0,
        });
    }
    if inst[1] != crate::circuit::fe(proof.score_q as i128) {
        return Ok(Verdict {
            valid: false,
            reason: Some(format!(
                "the proof file's score_q {} is not its score instance {}",
                proof.score_q,
                field_hex(&inst[1])
            )),
            seconds: 0.0,
        });
    }
    let Some(transcript) = proof.transcript() else {
        return Ok(Verdict {
            valid: false,
            reason: Some(format!(
                "the proof has {} bytes: too short",
                proof.bytes.len()
            )),
            seconds: 0.0,
        });
    };
    let mut transcript = ReadTranscript::init(transcript);
    let r = verify_proof::<
        KZGCommitmentScheme<Bn256>,
        VerifierSHPLONK<'_, Bn256>,
        ChallengeEvm<G1Affine>,
        ReadTranscript<'_>,
        SingleStrategy<'_, Bn256>,
    >(
        &srs.params,
        vk,
        SingleStrategy::new(&srs.params),
        &[&[inst]],
        &mut transcript,
    );
    if let Err(e) = r {
        return Ok(Verdict {
            valid: false,
            reason: Some(format!("{e:?}")),
            seconds: t0.elapsed().as_secs_f64(),
        });
    }
    // The hints are part of what the EVM verifier reads: they must be this proof's.
    let hints = proof
        .transcript()
        .map(|t| crate::evm::evm_hints(&srs.params, vk, inst, t));
    let hints_ok = matches!(hints, Some(Ok(h)) if proof.bytes.ends_with(&h));
    Ok(Verdict {
        valid: hints_ok,
        reason: (!hints_ok).then(|| {
            "the proof's last 64 bytes are not the inverses its EVM verifier checks".to_string()
        }),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// A tampered copy of a windowed model's circuit (soundness tests: the `forge` feature).
#[cfg(feature = "forge")]
pub fn tampered(
    model: &Model,
    w: &Witness,
    t: crate::circuit::forge::Tamper,
) -> Result<ModelCircuit, ProveError> {
    match circuit(model, w)? {
        ModelCircuit::Windowed(c) => Ok(c.forged(t).map_err(ProveError::Forge)?.into()),
        ModelCircuit::Layered(_) => Err(ProveError::Forge(
            "this model uses the layered circuit: tamper it with `tampered_layered`".into(),
        )),
    }
}

/// The mock prover on `w`'s circuit with one ReLU decision flipped, as a prover who lies about
/// one neuron's sign would assign it (the first conv output the score depends on). The report
/// names the constraint that refuses it; a notebook shows it beside the honest mock.
pub fn mock_one_relu_flipped(model: &Model, w: &Witness) -> Result<MockReport, ProveError> {
    let trace = trace_of(model, w)?;
    let c = match model.circuit_for(&trace, w.key_field) {
        ModelCircuit::Windowed(c) => {
            // A window whose linear weight is zero does not reach the score, and a conv output
            // of 0 is its own ReLU either way: flip one that is neither.
            let window = (0..c.lin_w.len())
                .find(|&n| c.lin_w[n] != 0 && trace.pre[0].get(n).is_some_and(|&v| v != 0))
                .ok_or_else(|| {
                    ProveError::Forge("no conv output reaches the score: nothing to flip".into())
                })?;
            ModelCircuit::from(c.with_relu_flipped(window).map_err(ProveError::Forge)?)
        }
        ModelCircuit::Layered(c) => {
            let layer = model
                .quantized
                .layers
                .iter()
                .position(|l| l.relu)
                .ok_or_else(|| {
                    ProveError::Forge(
                        "this model has no ReLU whose decision could be flipped".into(),
                    )
                })?;
            ModelCircuit::from(c.with_relu_flipped(layer, 0).map_err(ProveError::Forge)?)
        }
    };
    let inst = c.instances();
    mock_circuit(&c, model.k(), inst)
}

/// A tampered copy of a layered model's circuit (soundness tests: the `forge` feature).
#[cfg(feature = "forge")]
pub fn tampered_layered(
    model: &Model,
    w: &Witness,
    t: crate::circuit::forge::LayeredTamper,
) -> Result<ModelCircuit, ProveError> {
    match circuit(model, w)? {
        ModelCircuit::Layered(c) => Ok(c.forged(t).map_err(ProveError::Forge)?.into()),
        ModelCircuit::Windowed(_) => Err(ProveError::Forge(
            "this model uses the windowed circuit: tamper it with `tampered`".into(),
        )),
    }
}

impl Witness {
    pub fn to_html(&self) -> String {
        crate::html::Table::new("witness.json")
            .header(["field", "value"])
            .row(["key (public)".to_string(), self.key.to_string()])
            .row([
                "score (public)".to_string(),
                format!("{:.6} (quantized {})", self.score, self.score_q),
            ])
            .row([
                "float model's score".to_string(),
                format!("{:.6}", self.float_score),
            ])
            .row([
                "private input cells".to_string(),
                self.inputs.len().to_string(),
            ])
            .to_html()
    }
}

impl MockReport {
    pub fn to_html(&self) -> String {
        let mut h = crate::html::verdict(self.satisfied, &self.to_string().replace('\n', " "));
        if !self.failures.is_empty() {
            h.push_str("<ul>");
            for f in self.failures.iter().take(10) {
                h.push_str(&format!("<li>{}</li>", crate::html::escape(f)));
            }
            h.push_str("</ul>");
        }
        h
    }
}

impl Proof {
    pub fn to_html(&self) -> String {
        crate::html::Table::new("proof.json")
            .header(["field", "value"])
            .row(["protocol".to_string(), PROTOCOL.to_string()])
            .row(["proof".to_string(), format!("{} bytes", self.bytes.len())])
            .row(["key (instance 0)".to_string(), self.key.to_string()])
            .row([
                "score (instance 1)".to_string(),
                format!("{:.6} (quantized {})", self.score, self.score_q),
            ])
            .row(["proving time".to_string(), format!("{:.2} s", self.seconds)])
            .to_html()
    }
}

impl Verdict {
    pub fn to_html(&self) -> String {
        crate::html::verdict(self.valid, &self.to_string())
    }
}

crate::html::notebook_display!(Witness, MockReport, Proof, Verdict);
