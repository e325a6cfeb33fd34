//! The only module that speaks to an Ethereum node: deploy bytecode, call the verifier and the
//! rewards contract, read credits. ethers' types, ABI encoding and local signer over a small
//! blocking JSON-RPC client ([`Rpc`], on ureq, which the crate already uses for downloads; ethers'
//! async provider would add reqwest, hyper and 40 more crates to every build). Each transaction is
//! filled in from the node (nonce, gas price), signed here with the account's key and sent raw,
//! as ethers' signer middleware does; its receipt is polled every 100 ms.

use std::time::{Duration, Instant};

use ethers_core::abi::{encode, Token};
use ethers_core::types::transaction::eip2718::TypedTransaction;
use ethers_core::types::{Bytes, TransactionReceipt, TransactionRequest, H160, H256, U256, U64};

use crate::encoding::Address;

/// An address as ethers' types take it.
fn h160(a: Address) -> H160 {
    H160(a.0)
}
use ethers_core::utils::keccak256;
use ethers_signers::{LocalWallet, Signer};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::EvmError;

/// How long [`Chain`] waits for a sent transaction's receipt (anvil mines at once).
pub(crate) const RECEIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// A JSON-RPC 2.0 client over HTTP, blocking.
struct Rpc {
    agent: ureq::Agent,
    url: String,
}

/// Why a JSON-RPC request failed.
#[derive(Debug)]
enum RpcError {
    /// The request did not get an answer (no node, wrong URL, not JSON-RPC).
    Transport(String),
    /// The node answered with a JSON-RPC error object (a revert, out of gas, ...).
    Node {
        message: String,
        data: Option<Value>,
    },
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RpcError::Transport(m) => f.write_str(m),
            RpcError::Node { message, data } => match data {
                Some(d) => write!(f, "{message} ({d})"),
                None => f.write_str(message),
            },
        }
    }
}

impl Rpc {
    fn new(url: &str) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .build();
        Self {
            agent,
            url: url.to_string(),
        }
    }

    /// Calls `method` with `params`; the `result` member, decoded as `T`.
    fn request<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, RpcError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let request = self
            .agent
            .post(&self.url)
            .set("Content-Type", "application/json");
        let text = match request.send_string(&body.to_string()) {
            Ok(r) => r.into_string(),
            // Nodes answer some errors with an HTTP error status and a JSON-RPC error body.
            Err(ureq::Error::Status(code, r)) => match r.into_string() {
                Ok(t) if t.trim_start().starts_with('{') => Ok(t),
                _ => {
                    return Err(RpcError::Transport(format!(
                        "HTTP status {code} to {method}"
                    )))
                }
            },
            Err(e) => return Err(RpcError::Transport(e.to_string())),
        }
        .map_err(|e| RpcError::Transport(format!("reading the answer to {method}: {e}")))?;
        let answer: Value = serde_json::from_str(&text).map_err(|e| {
            RpcError::Transport(format!(
                "the answer to {method} is not JSON ({e}): {text:.200}"
            ))
        })?;
        if let Some(error) = answer.get("error") {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("an error without a message")
                .to_string();
            let data = error.get("data").cloned().filter(|d| !d.is_null());
            return Err(RpcError::Node { message, data });
        }
        let result = answer.get("result").cloned().ok_or_else(|| {
            RpcError::Transport(format!("the answer to {method} has no result: {text:.200}"))
        })?;
        serde_json::from_value(result).map_err(|e| {
            RpcError::Transport(format!("unexpected result for {method} ({e}): {text:.200}"))
        })
    }
}

/// anvil's well-known development accounts (mnemonic "test test … junk"): never use on a real chain.
pub(crate) const DEV_KEYS: [&str; 2] = [
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
];

/// A signer on a node.
pub struct Chain {
    rpc: Rpc,
    wallet: LocalWallet,
    pub url: String,
    pub chain_id: u64,
}

/// An on-chain verification.
#[derive(Debug, Clone, PartialEq)]
pub struct EvmVerdict {
    pub accepted: bool,
    pub gas_used: u64,
}

fn err(what: &str, url: &str, e: impl std::fmt::Display) -> EvmError {
    let msg = e.to_string();
    let hint = if msg.contains("Connection refused") || msg.contains("Connection Failed") {
        format!(" (is a node listening at {url}? start one with `anvil -p 3030`)")
    } else if msg.to_lowercase().contains("code size") || msg.contains("CreateContractSizeLimit") {
        " (the contract exceeds EIP-170's 24,576-byte limit)".to_string()
    } else if msg.to_lowercase().contains("out of gas") || msg.contains("OutOfGas") {
        " (raise the gas limit)".to_string()
    } else {
        String::new()
    };
    EvmError::Evm(format!("{what} via {url} failed: {msg}{hint}"))
}

impl Chain {
    /// Connect to `url` as development account `account`, checking the chain id when given.
    pub fn connect(
        url: &str,
        account: usize,
        expected_chain_id: Option<u64>,
    ) -> Result<Self, EvmError> {
        let rpc = Rpc::new(url);
        let chain_id = rpc
            .request::<U64>("eth_chainId", json!([]))
            .map_err(|e| err("reading the chain id", url, e))?
            .as_u64();
        if let Some(want) = expected_chain_id {
            if want != chain_id {
                return Err(EvmError::Evm(format!(
                    "the node at {url} runs chain {chain_id}, expected {want}: check --rpc-url"
                )));
            }
        }
        let key = DEV_KEYS
            .get(account)
            .ok_or_else(|| EvmError::Evm(format!("no development account {account}")))?;
        let wallet: LocalWallet = key
            .parse::<LocalWallet>()
            .map_err(|e| EvmError::Evm(format!("key: {e}")))?
            .with_chain_id(chain_id);
        Ok(Self {
            rpc,
            wallet,
            url: url.to_string(),
            chain_id,
        })
    }

    /// Connect as the holder of `private_key` (hex, EZKL's `--private-key`), or as development
    /// account 0 when none is given.
    pub fn connect_as(url: &str, private_key: Option<&str>) -> Result<Self, EvmError> {
        let mut node = Self::connect(url, 0, None)?;
        if let Some(key) = private_key {
            node.wallet = key
                .trim()
                .trim_start_matches("0x")
                .parse::<LocalWallet>()
                .map_err(|_| {
                    EvmError::Evm(
                        "--private-key is not a private key (64 hex digits, with or without 0x)"
                            .into(),
                    )
                })?
                .with_chain_id(node.chain_id);
        }
        Ok(node)
    }

    /// The sender's address.
    pub fn address(&self) -> Address {
        Address(self.wallet.address().0)
    }

    /// Sign and send `tx`, which carries its gas limit (every caller sets one), and wait for
    /// its receipt.
    fn send(
        &self,
        tx: TransactionRequest,
        what: &str,
    ) -> Result<(Option<Address>, EvmVerdict), EvmError> {
        let fail = |e: RpcError| err(what, &self.url, e);
        let from = self.wallet.address();
        let mut tx: TypedTransaction = tx.from(from).chain_id(self.chain_id).into();
        let nonce: U256 = self
            .rpc
            .request("eth_getTransactionCount", json!([from, "pending"]))
            .map_err(fail)?;
        tx.set_nonce(nonce);
        if tx.gas_price().is_none() {
            tx.set_gas_price(
                self.rpc
                    .request::<U256>("eth_gasPrice", json!([]))
                    .map_err(fail)?,
            );
        }
        let signature = self
            .wallet
            .sign_transaction_sync(&tx)
            .map_err(|e| EvmError::Evm(format!("{what}: signing failed: {e}")))?;
        let hash: H256 = self
            .rpc
            .request("eth_sendRawTransaction", json!([tx.rlp_signed(&signature)]))
            .map_err(fail)?;
        let receipt = self.receipt(hash, what)?;
        let accepted = receipt.status.map(|s| s.as_u64() == 1).unwrap_or(false);
        Ok((
            receipt.contract_address.map(|a| Address(a.0)),
            EvmVerdict {
                accepted,
                gas_used: receipt.gas_used.map(|g| g.as_u64()).unwrap_or(0),
            },
        ))
    }

    /// The receipt of transaction `hash`, polled every 100 ms for up to [`RECEIPT_TIMEOUT`].
    fn receipt(&self, hash: H256, what: &str) -> Result<TransactionReceipt, EvmError> {
        let started = Instant::now();
        loop {
            let receipt: Option<TransactionReceipt> = self
                .rpc
                .request("eth_getTransactionReceipt", json!([hash]))
                .map_err(|e| err(what, &self.url, e))?;
            if let Some(r) = receipt {
                return Ok(r);
            }
            if started.elapsed() > RECEIPT_TIMEOUT {
                return Err(EvmError::Evm(format!(
                    "{what}: transaction {hash:?} sent to {} has no receipt after {} s (is the \
                     node mining? anvil mines each transaction at once)",
                    self.url,
                    RECEIPT_TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Deploy `code` (with constructor arguments appended); returns the address and gas.
    pub fn deploy(&self, code: Vec<u8>) -> Result<(Address, u64), EvmError> {
        self.deploy_with_gas(code, super::revm::VERIFY_GAS_LIMIT)
    }

    /// Deploy with an explicit gas limit.
    pub fn deploy_with_gas(&self, code: Vec<u8>, gas: u64) -> Result<(Address, u64), EvmError> {
        let tx = TransactionRequest::new()
            .data(Bytes::from(code))
            .gas(U256::from(gas));
        let (addr, v) = self.send(tx, "deployment")?;
        match (addr, v.accepted) {
            (Some(a), true) => Ok((a, v.gas_used)),
            _ => Err(EvmError::Evm(format!(
                "deployment via {} reverted after {} gas (code too large, or out of gas)",
                self.url, v.gas_used
            ))),
        }
    }

    /// Send raw calldata to `to` with a gas limit; the receipt says accepted or reverted.
    pub fn transact(&self, to: Address, data: Vec<u8>, gas: u64) -> Result<EvmVerdict, EvmError> {
        let tx = TransactionRequest::new()
            .to(h160(to))
            .data(Bytes::from(data))
            .gas(U256::from(gas));
        Ok(self.send(tx, "transaction")?.1)
    }

    /// `JudgeRewards.submit(proof, instances)` at `rewards`, as a transaction with
    /// [`SUBMIT_GAS_LIMIT`]: the one place a judgement is submitted for its reward.
    pub fn submit(
        &self,
        rewards: Address,
        proof: &[u8],
        instances: &[[u8; 32]],
    ) -> Result<EvmVerdict, EvmError> {
        self.transact(rewards, submit_calldata(proof, instances), SUBMIT_GAS_LIMIT)
    }

    /// `eth_call` (no transaction): the output, or the revert's reason (`Err`): its
    /// `Error(string)` message, or what the node said.
    pub fn simulate(
        &self,
        to: Address,
        data: Vec<u8>,
    ) -> Result<Result<Vec<u8>, String>, EvmError> {
        let tx = TransactionRequest::new()
            .to(h160(to))
            .data(Bytes::from(data))
            .from(self.wallet.address());
        match self.rpc.request::<Bytes>("eth_call", json!([tx, "latest"])) {
            Ok(b) => Ok(Ok(b.to_vec())),
            Err(RpcError::Node { message, data }) if message.contains("revert") => {
                let reason = data
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(crate::encoding::unhex)
                    .and_then(|d| revert_reason(&d))
                    .unwrap_or(message);
                Ok(Err(reason))
            }
            Err(e) => Err(err("eth_call", &self.url, e)),
        }
    }

    /// `RecordingRegistry.register(d, key)` at `registry`, simulated first: a revert's reason
    /// comes back as `Ok(Err(reason))` and nothing is sent.
    pub fn register(
        &self,
        registry: Address,
        d: &[u8; 32],
        key: Address,
    ) -> Result<Result<EvmVerdict, String>, EvmError> {
        let data = register_calldata(d, key);
        if let Err(reason) = self.simulate(registry, data.clone())? {
            return Ok(Err(reason));
        }
        Ok(Ok(self.transact(registry, data, REGISTER_GAS_LIMIT)?))
    }

    /// The key registered for `d` at `registry` (None: not registered).
    pub fn registered_key(
        &self,
        registry: Address,
        d: &[u8; 32],
    ) -> Result<Option<Address>, EvmError> {
        let out = self.call(registry, key_of_calldata(d))?.ok_or_else(|| {
            EvmError::Evm(format!(
                "keyOf reverted at {registry}: is it a RecordingRegistry?"
            ))
        })?;
        let word: [u8; 32] = out.as_slice().try_into().map_err(|_| {
            EvmError::Evm(format!(
                "keyOf at {registry} returned {} bytes, not one word: is it a RecordingRegistry?",
                out.len()
            ))
        })?;
        Ok(Address::from_word(&word).filter(|a| *a != Address::default()))
    }

    /// `eth_call` (no transaction): returns the output, or `None` if it reverted.
    pub fn call(&self, to: Address, data: Vec<u8>) -> Result<Option<Vec<u8>>, EvmError> {
        Ok(self.simulate(to, data)?.ok())
    }

    /// `JudgeRewards.credit(key)` at `rewards` (0 if the call reverts).
    pub fn credit(&self, rewards: Address, key: Address) -> Result<U256, EvmError> {
        Ok(self
            .call(rewards, credit_calldata(key))?
            .map(|o| U256::from_big_endian(&o))
            .unwrap_or_default())
    }

    /// Code size at an address (0 if no contract).
    pub(crate) fn code_size(&self, at: Address) -> Result<usize, EvmError> {
        Ok(self
            .rpc
            .request::<Bytes>("eth_getCode", json!([h160(at), "latest"]))
            .map_err(|e| err("eth_getCode", &self.url, e))?
            .len())
    }
}

/// Gas limit of a reward submission: the verifier's ~340k, the contract's bookkeeping and a wide
/// margin. A malformed proof can burn all the gas it is given (an invalid curve point makes the
/// pairing precompile fail), so the limit is explicit rather than estimated.
pub(crate) const SUBMIT_GAS_LIMIT: u64 = 2_000_000;

/// Gas limit of a registration (one storage slot and an event: about 50k).
pub(crate) const REGISTER_GAS_LIMIT: u64 = 200_000;

/// Calldata of `JudgeRewards.submit(bytes proof, uint256[] instances)`.
pub fn submit_calldata(proof: &[u8], instances: &[[u8; 32]]) -> Vec<u8> {
    let mut data = keccak256("submit(bytes,uint256[])")[..4].to_vec();
    let inst = instances
        .iter()
        .map(|b| Token::Uint(U256::from_big_endian(b)))
        .collect();
    data.extend(encode(&[Token::Bytes(proof.to_vec()), Token::Array(inst)]));
    data
}

/// Calldata of `JudgeRewards.credit(address)`.
pub(crate) fn credit_calldata(key: Address) -> Vec<u8> {
    let mut data = keccak256("credit(address)")[..4].to_vec();
    data.extend(encode(&[Token::Address(h160(key))]));
    data
}

/// Constructor arguments of `JudgeRewards(address verifier, address registry)`.
pub fn rewards_constructor(verifier: Address, registry: Address) -> Vec<u8> {
    encode(&[
        Token::Address(h160(verifier)),
        Token::Address(h160(registry)),
    ])
}

/// Constructor arguments of `NaiveRewards(address verifier)`.
pub fn naive_rewards_constructor(verifier: Address) -> Vec<u8> {
    encode(&[Token::Address(h160(verifier))])
}

/// Calldata of `RecordingRegistry.register(bytes32 inputDigest, address key)`.
pub(crate) fn register_calldata(d: &[u8; 32], key: Address) -> Vec<u8> {
    let mut data = keccak256("register(bytes32,address)")[..4].to_vec();
    data.extend(encode(&[
        Token::FixedBytes(d.to_vec()),
        Token::Address(h160(key)),
    ]));
    data
}

/// Calldata of `RecordingRegistry.keyOf(bytes32)`.
pub(crate) fn key_of_calldata(d: &[u8; 32]) -> Vec<u8> {
    let mut data = keccak256("keyOf(bytes32)")[..4].to_vec();
    data.extend(encode(&[Token::FixedBytes(d.to_vec())]));
    data
}

/// The reason string of a revert's data (`Error(string)`), if it carries one.
pub(crate) fn revert_reason(data: &[u8]) -> Option<String> {
    let body = data.strip_prefix(&keccak256("Error(string)")[..4])?;
    match ethers_core::abi::decode(&[ethers_core::abi::ParamType::String], body)
        .ok()?
        .pop()?
    {
        Token::String(s) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A one-shot HTTP server answering every request with `body` (a node that misbehaves in
    /// ways anvil does not, so it cannot be a real node); returns its URL.
    fn serve(body: &'static str) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(4) {
                let mut stream = stream.unwrap();
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        url
    }

    #[test]
    fn an_answer_that_is_not_json_rpc_is_named_with_the_url() {
        let url = serve("<html>a web server, not a node</html>");
        let e = Chain::connect(&url, 0, None).err().unwrap().to_string();
        assert!(
            e.contains("not JSON") && e.contains(&url) && e.contains("<html>"),
            "{e}"
        );

        let url = serve(r#"{"jsonrpc":"2.0","id":1}"#);
        let e = Chain::connect(&url, 0, None).err().unwrap().to_string();
        assert!(e.contains("no result") && e.contains("eth_chainId"), "{e}");

        let url = serve(r#"{"jsonrpc":"2.0","id":1,"result":"not a number"}"#);
        let e = Chain::connect(&url, 0, None).err().unwrap().to_string();
        assert!(e.contains("unexpected result for eth_chainId"), "{e}");
    }

    #[test]
    fn a_json_rpc_error_object_passes_its_message_and_data_through() {
        let url = serve(
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"method not found","data":"eth_chainId"}}"#,
        );
        let e = Chain::connect(&url, 0, None).err().unwrap().to_string();
        assert!(
            e.contains("reading the chain id") && e.contains("method not found (\"eth_chainId\")"),
            "{e}"
        );
    }
}
