//! Solidity source → bytecode with the npm `solc` package (solcjs), driven through node with
//! standard-JSON input. The package is pinned in `package.json`/`package-lock.json` and installed
//! by `npm ci` (the project's scripts do it).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::EvmError;

/// Where the project's `node_modules` and `package.json` live.
pub(crate) fn node_root() -> PathBuf {
    std::env::var_os("CRYPTOIDOL_NODE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Compiled contract.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub deployment: Vec<u8>,
    pub runtime: Vec<u8>,
    pub abi: serde_json::Value,
}

const DRIVER: &str = r#"
const solc = require('solc');
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => { process.stdout.write(solc.compile(input)); });
"#;

fn from_hex(s: &str) -> Vec<u8> {
    crate::encoding::unhex(s).unwrap_or_default()
}

/// Optimizer settings (solc's standard-JSON `optimizer` object).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optimizer {
    /// 200 runs with the Yul step off: what the project compiles its contracts with. Our
    /// generated verifier is one large assembly block that overflows the stack under the Yul
    /// optimizer.
    YulOff,
    /// solc's full optimizer at 1 run (smallest code): templates written for it, such as
    /// EZKL's verifier, need the Yul step to avoid "stack too deep".
    Size,
}

impl Optimizer {
    pub fn json(self) -> serde_json::Value {
        match self {
            Self::YulOff => {
                serde_json::json!({ "enabled": true, "runs": 200, "details": { "yul": false } })
            }
            Self::Size => serde_json::json!({ "enabled": true, "runs": 1 }),
        }
    }
}

impl std::fmt::Display for Optimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::YulOff => "optimizer 200 runs, Yul step off",
            Self::Size => "optimizer 1 run, Yul step on",
        })
    }
}

/// Compile `sources` (file name, code) with the project's settings ([`Optimizer::YulOff`]) and
/// return contract `main`'s first contract (or the one named `contract`).
pub fn compile(
    sources: &[(&str, &str)],
    main: &str,
    contract: Option<&str>,
) -> Result<Compiled, EvmError> {
    compile_with(sources, main, contract, Optimizer::YulOff)
}

/// [`compile`] with the given optimizer settings.
pub(crate) fn compile_with(
    sources: &[(&str, &str)],
    main: &str,
    contract: Option<&str>,
    optimizer: Optimizer,
) -> Result<Compiled, EvmError> {
    let root = node_root();
    if !root.join("node_modules/solc/package.json").is_file() {
        return Err(EvmError::Solc(format!(
            "the npm package solc is not installed under {}: run `npm ci` there (node and npm are needed)",
            root.display()
        )));
    }
    let srcs: serde_json::Map<String, serde_json::Value> = sources
        .iter()
        .map(|(n, c)| (n.to_string(), serde_json::json!({ "content": c })))
        .collect();
    let input = serde_json::json!({
        "language": "Solidity",
        "sources": srcs,
        "settings": {
            "optimizer": optimizer.json(),
            "outputSelection": { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } }
        }
    });
    let mut child = Command::new("node")
        .arg("-e")
        .arg(DRIVER)
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            EvmError::Solc(format!(
                "cannot run node ({e}): install Node.js 18+ and run `npm ci` in {}",
                root.display()
            ))
        })?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input.to_string().as_bytes())
        .map_err(|e| EvmError::Solc(format!("writing to solc: {e}")))?;
    let out = child
        .wait_with_output()
        .map_err(|e| EvmError::Solc(format!("solc: {e}")))?;
    if !out.status.success() {
        return Err(EvmError::Solc(format!(
            "solc failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| EvmError::Solc(format!("solc printed no JSON ({e})")))?;
    let errors: Vec<String> = v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["severity"] == "error")
                .map(|e| e["formattedMessage"].as_str().unwrap_or("?").to_string())
                .collect()
        })
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(EvmError::Solc(format!(
            "solc reported errors in {main}:\n{}",
            errors.join("\n")
        )));
    }
    let contracts = v["contracts"][main]
        .as_object()
        .ok_or_else(|| EvmError::Solc(format!("solc produced no contract for {main}")))?;
    let (_, c) = match contract {
        Some(name) => contracts
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .ok_or_else(|| EvmError::Solc(format!("no contract {name} in {main}")))?,
        None => contracts
            .iter()
            .next()
            .ok_or_else(|| EvmError::Solc(format!("no contract in {main}")))?,
    };
    Ok(Compiled {
        deployment: from_hex(c["evm"]["bytecode"]["object"].as_str().unwrap_or("")),
        runtime: from_hex(
            c["evm"]["deployedBytecode"]["object"]
                .as_str()
                .unwrap_or(""),
        ),
        abi: c["abi"].clone(),
    })
}
