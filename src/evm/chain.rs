//! The only module that speaks to an Ethereum node (ethers): deploy bytecode, call the verifier
//! and the rewards contract, read credits. Blocking wrappers around ethers' async API. Each
//! transaction is filled in by the node (nonce, gas price), signed here with the account's key
//! and sent raw, as ethers' signer middleware does.

use ethers_core::abi::{encode, Token};
use ethers_core::types::transaction::eip2718::TypedTransaction;
use ethers_core::types::{Address, BlockNumber, Bytes, TransactionRequest, U256};
use ethers_core::utils::keccak256;
use ethers_providers::{Http, Middleware, Provider};
use ethers_signers::{LocalWallet, Signer};

use super::EvmError;

/// anvil's well-known development accounts (mnemonic "test test … junk"): never use on a real chain.
pub const DEV_KEYS: [&str; 2] = [
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
];

/// A signer on a node.
pub struct Chain {
    rt: tokio::runtime::Runtime,
    provider: Provider<Http>,
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
    let hint = if msg.contains("Connection refused") || msg.contains("error sending request") {
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
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| EvmError::Evm(format!("tokio: {e}")))?;
        // Poll for receipts every 100 ms (ethers' default, 7 s, suits mainnet, not a local node).
        let provider = Provider::<Http>::try_from(url)
            .map_err(|e| EvmError::Evm(format!("bad RPC URL {url}: {e}")))?
            .interval(std::time::Duration::from_millis(100));
        let chain_id = rt
            .block_on(provider.get_chainid())
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
            rt,
            provider,
            wallet,
            url: url.to_string(),
            chain_id,
        })
    }

    /// The sender's address.
    pub fn address(&self) -> Address {
        self.wallet.address()
    }

    fn send(
        &self,
        tx: TransactionRequest,
        what: &str,
    ) -> Result<(Option<Address>, EvmVerdict), EvmError> {
        let receipt = self
            .rt
            .block_on(async {
                let from = self.address();
                let mut tx: TypedTransaction = tx.from(from).chain_id(self.chain_id).into();
                let pending = Some(BlockNumber::Pending.into());
                tx.set_nonce(self.provider.get_transaction_count(from, pending).await?);
                self.provider.fill_transaction(&mut tx, None).await?;
                let signature = self
                    .wallet
                    .sign_transaction_sync(&tx)
                    .map_err(|e| ethers_providers::ProviderError::CustomError(e.to_string()))?;
                self.provider
                    .send_raw_transaction(tx.rlp_signed(&signature))
                    .await?
                    .await
            })
            .map_err(|e| err(what, &self.url, e))?
            .ok_or_else(|| EvmError::Evm(format!("{what}: no receipt")))?;
        let accepted = receipt.status.map(|s| s.as_u64() == 1).unwrap_or(false);
        Ok((
            receipt.contract_address,
            EvmVerdict {
                accepted,
                gas_used: receipt.gas_used.map(|g| g.as_u64()).unwrap_or(0),
            },
        ))
    }

    /// Deploy `code` (with constructor arguments appended); returns the address and gas.
    pub fn deploy(&self, code: Vec<u8>) -> Result<(Address, u64), EvmError> {
        self.deploy_with_gas(code, 30_000_000)
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
            .to(to)
            .data(Bytes::from(data))
            .gas(U256::from(gas));
        Ok(self.send(tx, "transaction")?.1)
    }

    /// `eth_call` (no transaction): returns the output, or `None` if it reverted.
    pub fn call(&self, to: Address, data: Vec<u8>) -> Result<Option<Vec<u8>>, EvmError> {
        let tx = TransactionRequest::new()
            .to(to)
            .data(Bytes::from(data))
            .from(self.address());
        match self.rt.block_on(self.provider.call(&tx.into(), None)) {
            Ok(b) => Ok(Some(b.to_vec())),
            Err(e) if e.to_string().contains("revert") => Ok(None),
            Err(e) => Err(err("eth_call", &self.url, e)),
        }
    }

    /// `JudgeRewards.credit(key)` at `rewards` (0 if the call reverts).
    pub fn credit(&self, rewards: Address, key: Address) -> Result<U256, EvmError> {
        Ok(self
            .call(rewards, credit_calldata(key))?
            .map(|o| U256::from_big_endian(&o))
            .unwrap_or_default())
    }

    /// Code size at an address (0 if no contract).
    pub fn code_size(&self, at: Address) -> Result<usize, EvmError> {
        Ok(self
            .rt
            .block_on(self.provider.get_code(at, None))
            .map_err(|e| err("eth_getCode", &self.url, e))?
            .len())
    }
}

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
pub fn credit_calldata(key: Address) -> Vec<u8> {
    let mut data = keccak256("credit(address)")[..4].to_vec();
    data.extend(encode(&[Token::Address(key)]));
    data
}

/// Constructor arguments of `JudgeRewards(address verifier)`.
pub fn rewards_constructor(verifier: Address) -> Vec<u8> {
    encode(&[Token::Address(verifier)])
}
