//! A local Ethereum node for the tutorial: connect to one listening at the RPC URL, or start
//! anvil (from the project's npm install) on 127.0.0.1:3030 and stop it again when done.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::EvmError;

/// The tutorial's node address.
pub const DEFAULT_RPC_URL: &str = "http://127.0.0.1:3030";

/// A node we may have started; dropping it stops what we started (and nothing else).
pub struct Anvil {
    pub url: String,
    child: Option<Child>,
}

fn socket(url: &str) -> Result<SocketAddr, EvmError> {
    let host = url
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap_or("");
    host.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            EvmError::Evm(format!(
                "cannot resolve the RPC URL {url}: expected http://HOST:PORT"
            ))
        })
}

fn listening(addr: &SocketAddr) -> bool {
    TcpStream::connect_timeout(addr, Duration::from_millis(200)).is_ok()
}

/// The anvil binary from `npm ci` (`@foundry-rs/anvil`): the platform package's executable
/// itself, so that stopping it stops the node (the `.bin/anvil` launcher is a node script that
/// would leave its child running).
pub(crate) fn anvil_binary() -> PathBuf {
    let root = super::solc::node_root().join("node_modules/@foundry-rs");
    let platform = format!(
        "anvil-{}-{}",
        if cfg!(target_os = "macos") {
            "darwin"
        } else {
            "linux"
        },
        if cfg!(target_arch = "aarch64") {
            "arm64"
        } else {
            "amd64"
        }
    );
    let direct = root.join(platform).join("bin/anvil");
    if direct.exists() {
        direct
    } else {
        super::solc::node_root().join("node_modules/.bin/anvil")
    }
}

impl Anvil {
    /// Use the node at `url` if one listens there.
    pub fn connect(url: &str) -> Result<Self, EvmError> {
        let addr = socket(url)?;
        if !listening(&addr) {
            return Err(EvmError::Evm(format!("no Ethereum node listens at {url}: start one with `anvil -p {} --host 127.0.0.1` (npm: node_modules/.bin/anvil), or let `idol deploy-evm --start-node` start it", addr.port())));
        }
        Ok(Self {
            url: url.to_string(),
            child: None,
        })
    }

    /// Use the node at `url`, starting anvil there (127.0.0.1 only) if nothing listens.
    pub fn connect_or_start(url: &str) -> Result<Self, EvmError> {
        let addr = socket(url)?;
        if listening(&addr) {
            return Ok(Self {
                url: url.to_string(),
                child: None,
            });
        }
        if !addr.ip().is_loopback() {
            return Err(EvmError::Evm(format!(
                "no node at {url}, and anvil is only started on 127.0.0.1"
            )));
        }
        let bin = anvil_binary();
        if !bin.exists() {
            return Err(EvmError::Evm(format!(
                "anvil is not installed at {}: run `npm ci` in {}",
                bin.display(),
                super::solc::node_root().display()
            )));
        }
        let child = Command::new(&bin)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &addr.port().to_string(),
                "--silent",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| EvmError::Evm(format!("cannot start {}: {e}", bin.display())))?;
        let node = Self {
            url: url.to_string(),
            child: Some(child),
        };
        let t0 = Instant::now();
        while !listening(&addr) {
            if t0.elapsed() > Duration::from_secs(20) {
                return Err(EvmError::Evm(format!(
                    "anvil did not start listening on {url} within 20 s"
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(node)
    }

    /// Whether this handle started the node.
    pub fn started_here(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
