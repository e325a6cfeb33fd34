//! Bytecode + calldata → verdict and gas, in an in-process EVM (revm): the same verdict as a
//! node, without one.

use revm::context::result::{ExecutionResult, Output};
use revm::context::TxEnv;
use revm::database::InMemoryDB;
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, TxKind};
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};

use super::EvmError;

/// Gas given to a verification call (a proof with a broken curve point burns all of it), under
/// Osaka's cap on a transaction's gas (EIP-7825: 2^24).
pub const VERIFY_GAS_LIMIT: u64 = 16_000_000;

/// The hardfork whose rules (gas prices of the precompiles above all) the EVM follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Fork {
    /// May 2025: BLS12-381 precompiles (EIP-2537), MODEXP at its old price.
    Prague,
    /// Mainnet's rules since December 2025 and anvil's default: MODEXP repriced (EIP-7883, a
    /// 256-bit exponentiation costs 4,048 gas instead of 1,349), a transaction's gas capped at
    /// 2^24 (EIP-7825).
    Osaka,
}

impl Fork {
    fn spec(self) -> SpecId {
        match self {
            Fork::Prague => SpecId::PRAGUE,
            Fork::Osaka => SpecId::OSAKA,
        }
    }
}

impl std::fmt::Display for Fork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Fork::Prague => "Prague",
            Fork::Osaka => "Osaka",
        })
    }
}

/// Outcome of one call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    pub success: bool,
    /// Total gas of the transaction (21 000 intrinsic + calldata + execution).
    pub gas_used: u64,
    pub output: Vec<u8>,
}

/// An in-memory chain holding deployed contracts.
pub struct Evm {
    evm: revm::MainnetEvm<revm::handler::MainnetContext<InMemoryDB>>,
    nonce: u64,
}

impl Default for Evm {
    fn default() -> Self {
        Self::new()
    }
}

impl Evm {
    /// An EVM on mainnet's current rules (Osaka, as anvil's default).
    pub fn new() -> Self {
        Self::on(Fork::Osaka)
    }

    /// An EVM on `fork`'s rules.
    pub fn on(fork: Fork) -> Self {
        Self {
            evm: Context::mainnet()
                .modify_cfg_chained(|cfg| cfg.spec = fork.spec())
                .with_db(InMemoryDB::default())
                .build_mainnet(),
            nonce: 0,
        }
    }

    /// Deploy `code`; returns the address and the deployment gas.
    pub fn deploy(&mut self, code: Vec<u8>) -> Result<(Address, u64), EvmError> {
        let tx = TxEnv {
            gas_limit: VERIFY_GAS_LIMIT,
            kind: TxKind::Create,
            data: code.into(),
            nonce: self.nonce,
            ..Default::default()
        };
        self.nonce += 1;
        match self
            .evm
            .transact_commit(tx)
            .map_err(|e| EvmError::Evm(format!("deployment: {e:?}")))?
        {
            ExecutionResult::Success {
                output: Output::Create(_, Some(addr)),
                gas_used,
                ..
            } => Ok((addr, gas_used)),
            other => Err(EvmError::Evm(format!("deployment failed: {other:?}"))),
        }
    }

    /// Call `to` with `data` and a gas limit.
    pub fn call(
        &mut self,
        to: Address,
        data: Vec<u8>,
        gas_limit: u64,
    ) -> Result<CallResult, EvmError> {
        let tx = TxEnv {
            gas_limit,
            kind: TxKind::Call(to),
            data: data.into(),
            nonce: self.nonce,
            ..Default::default()
        };
        self.nonce += 1;
        Ok(
            match self
                .evm
                .transact_commit(tx)
                .map_err(|e| EvmError::Evm(format!("call: {e:?}")))?
            {
                ExecutionResult::Success {
                    gas_used, output, ..
                } => CallResult {
                    success: true,
                    gas_used,
                    output: output.into_data().to_vec(),
                },
                ExecutionResult::Revert { gas_used, output } => CallResult {
                    success: false,
                    gas_used,
                    output: output.to_vec(),
                },
                ExecutionResult::Halt { gas_used, .. } => CallResult {
                    success: false,
                    gas_used,
                    output: vec![],
                },
            },
        )
    }
}
