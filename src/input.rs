//! `input.json` / `cal.json` ⇄ [`InputData`]: the judge's inputs and the submitter's [`Key`],
//! in EZKL's input format `{"input_data": [[key per sample], [x of all samples, flattened]]}`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::encoding::{Address, AddressError};
use crate::model::{INPUT_H, INPUT_W};

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}. Expected EZKL's input format {{\"input_data\": [[key...], [x...]]}} with x of {per_sample} values per sample.")]
    Parse {
        path: PathBuf,
        reason: String,
        per_sample: usize,
    },
}

/// Why a JSON value is not a key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Address(#[from] AddressError),
    #[error("{0} is not a finite number; write the key as an address \"0x\" + 40 hex digits")]
    NotFinite(String),
    #[error("{0} is not an address string or a number; write the key as \"0x\" + 40 hex digits")]
    Neither(String),
}

/// A key in the key slot of `input.json`.
///
/// The submitter's key is an Ethereum address, written as a `0x`-prefixed 40-hex-digit string
/// (`"0xf39F…2266"`) and carried exactly. A JSON number (as EZKL writes, e.g. `0.42`) is also
/// accepted; it is a float key that cannot name an address.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Address(Address),
    Number(f64),
}

impl Key {
    /// Parse `0x` + 40 hex digits ([`Address::parse`]).
    pub fn parse_address(s: &str) -> Result<Self, AddressError> {
        Address::parse(s).map(Key::Address)
    }

    /// The key as input.json writes it: the address string, or the number.
    pub fn to_json(&self) -> Value {
        match self {
            Key::Address(a) => Value::String(a.to_string()),
            Key::Number(v) => serde_json::json!(v),
        }
    }

    /// A key as input.json writes it: an address string or a finite number.
    pub(crate) fn from_json(v: &Value) -> Result<Self, KeyError> {
        match v {
            Value::String(s) => Ok(Key::parse_address(s)?),
            Value::Number(n) => n
                .as_f64()
                .filter(|v| v.is_finite())
                .map(Key::Number)
                .ok_or_else(|| KeyError::NotFinite(n.to_string())),
            other => Err(KeyError::Neither(other.to_string())),
        }
    }

    /// The key as the float the ONNX graph's pass-through carries (addresses → 0, they do not
    /// fit a float; the circuit carries them exactly).
    pub fn as_f64(&self) -> f64 {
        match self {
            Key::Address(_) => 0.0,
            Key::Number(v) => *v,
        }
    }
}

/// A key serialises as input.json writes it ([`Key::to_json`]).
impl serde::Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = <Value as serde::Deserialize>::deserialize(d)?;
        Key::from_json(&v).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Key {
    /// The key as input.json writes it: the address with its EIP-55 checksum, or the number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_json() {
            Value::String(s) => f.write_str(&s),
            number => write!(f, "{number}"),
        }
    }
}

/// The anvil/hardhat development account #0: the default submitter in examples and the demo.
pub const DEFAULT_KEY: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

/// EZKL's input format: `{"input_data": [[key per sample], [x of all samples, flattened]]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputData {
    pub keys: Vec<Key>,
    /// One `128 × 130` spectrogram per key.
    pub xs: Vec<Vec<f32>>,
}

impl InputData {
    pub(crate) const PER_SAMPLE: usize = INPUT_H * INPUT_W;

    pub fn to_json(&self) -> Value {
        let flat: Vec<f32> = self.xs.iter().flatten().cloned().collect();
        serde_json::json!({ "input_data": [self.keys.iter().map(Key::to_json).collect::<Vec<_>>(), flat] })
    }

    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), InputError> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json().to_string()).map_err(|source| InputError::Io {
            path: path.to_owned(),
            source,
        })
    }

    pub fn load(path: impl AsRef<Path>) -> Result<Self, InputError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| InputError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, InputError> {
        let bad = |reason: String| InputError::Parse {
            path: path.to_owned(),
            reason,
            per_sample: Self::PER_SAMPLE,
        };
        let v: Value =
            serde_json::from_str(text).map_err(|e| bad(format!("malformed JSON ({e})")))?;
        let data = v
            .get("input_data")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no \"input_data\" array".into()))?;
        if data.len() != 2 {
            return Err(bad(format!(
                "\"input_data\" has {} inputs, the judge takes 2 (key, spectrogram)",
                data.len()
            )));
        }
        let keys_json = data[0]
            .as_array()
            .ok_or_else(|| bad("the key input is not an array".into()))?;
        let keys = keys_json
            .iter()
            .enumerate()
            .map(|(i, k)| Key::from_json(k).map_err(|e| bad(format!("key {i}: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let x_json = data[1]
            .as_array()
            .ok_or_else(|| bad("the spectrogram input is not an array".into()))?;
        let mut flat = Vec::with_capacity(x_json.len());
        for (i, x) in x_json.iter().enumerate() {
            let v = x
                .as_f64()
                .ok_or_else(|| bad(format!("spectrogram value {i} is {x}, not a number")))?;
            if !v.is_finite() {
                return Err(bad(format!("spectrogram value {i} is not finite")));
            }
            flat.push(v as f32);
        }
        if keys.is_empty() {
            return Err(bad("no samples (the key list is empty)".into()));
        }
        if flat.len() != keys.len() * Self::PER_SAMPLE {
            return Err(bad(format!(
                "wrong shape: {} keys need {} spectrogram values ({} × 1×{}×{}), got {}",
                keys.len(),
                keys.len() * Self::PER_SAMPLE,
                keys.len(),
                INPUT_H,
                INPUT_W,
                flat.len()
            )));
        }
        let xs = flat.chunks(Self::PER_SAMPLE).map(|c| c.to_vec()).collect();
        Ok(Self { keys, xs })
    }
}
