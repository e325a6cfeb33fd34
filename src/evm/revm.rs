//! Bytecode + calldata → verdict and gas, in an in-process EVM (revm): the same verdict as a
//! node, without one.

use revm::context::result::{ExecutionResult, Output};
use revm::context::TxEnv;
use revm::database::InMemoryDB;
use revm::primitives::{Address, TxKind};
use revm::{Context, ExecuteCommitEvm, MainBuilder, MainContext};

use super::EvmError;

/// Gas given to a verification call (a proof with a broken curve point burns all of it).
pub const VERIFY_GAS_LIMIT: u64 = 30_000_000;

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
    pub fn new() -> Self {
        Self {
            evm: Context::mainnet()
                .with_db(InMemoryDB::default())
                .build_mainnet(),
            nonce: 0,
        }
    }

    /// Deploy `code`; returns the address and the deployment gas.
    pub fn deploy(&mut self, code: Vec<u8>) -> Result<(Address, u64), EvmError> {
        let tx = TxEnv {
            gas_limit: 30_000_000,
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
