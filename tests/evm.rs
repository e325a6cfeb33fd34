//! The EVM verifier: generated from the vk, compiled with npm solc, run in an in-process EVM
//! (revm). A valid proof is accepted; changed instances and proof bytes are rejected (issue 4).

mod common;

use cryptoidol::evm::{self, revm::Evm};
use cryptoidol::prove::{self, gen_witness};
use halo2_proofs::halo2curves::bn256::Fr;

#[test]
fn evm_verifier_accepts_the_proof_and_rejects_tampering() {
    let fx = common::fixture(11);
    let srs = cryptoidol::srs::gen_srs(fx.model.k(), fx.dir.path().join("kzg.srs")).unwrap();
    let (w, _) = gen_witness(&fx.model, &common::address_input(2)).unwrap();
    let keys = prove::setup(&fx.model, &srs).unwrap();
    let proof = prove::prove(&fx.model, &w, &keys.pk, &srs).unwrap();
    let contract = evm::create_evm_verifier(&srs.params, keys.pk.get_vk(), 2).unwrap();
    assert!(contract.solidity.contains("pragma solidity ^0.8.19;"));
    assert!(
        contract.runtime_code.len() <= 24_576,
        "runtime {} bytes exceeds EIP-170",
        contract.runtime_code.len()
    );

    let mut chain = Evm::new();
    let (addr, _) = chain.deploy(contract.deployment_code.clone()).unwrap();
    let inst = proof.instance_frs().unwrap();
    let bytes = proof.bytes().unwrap();
    let ok = chain
        .call(
            addr,
            evm::calldata(&inst, &bytes),
            evm::revm::VERIFY_GAS_LIMIT,
        )
        .unwrap();
    assert!(ok.success, "valid proof rejected");
    eprintln!(
        "verify gas {} (runtime {} bytes, calldata {} bytes)",
        ok.gas_used,
        contract.runtime_code.len(),
        evm::calldata(&inst, &bytes).len()
    );

    // Changed score, changed key.
    for i in 0..2 {
        let mut bad = inst.clone();
        bad[i] += Fr::one();
        assert!(
            !chain
                .call(
                    addr,
                    evm::calldata(&bad, &bytes),
                    evm::revm::VERIFY_GAS_LIMIT
                )
                .unwrap()
                .success,
            "instance {i}"
        );
    }
    // Flipped bytes across the proof.
    for pos in (0..bytes.len())
        .step_by(bytes.len() / 9)
        .chain([bytes.len() - 1])
    {
        let mut b = bytes.clone();
        b[pos] ^= 0x04;
        let r = chain
            .call(addr, evm::calldata(&inst, &b), evm::revm::VERIFY_GAS_LIMIT)
            .unwrap();
        assert!(!r.success, "byte {pos} flipped but accepted");
    }
}
