//! The EVM verifier: generated from the vk, compiled with npm solc, run in an in-process EVM
//! (revm). A valid proof is accepted; changed instances and proof bytes are rejected (issue 4).

mod common;

use cryptoidol::evm::{self, revm::Evm};
use cryptoidol::prove::{self, gen_witness};
use halo2_proofs::halo2curves::bn256::Fr;

/// A proof (key = the default address, from input `input_seed`) of judge `seed`, its compiled
/// verifier, and snark-verifier's Solidity verifier for the same vk.
fn proved_verifiers(seed: u64, input_seed: usize) -> (prove::Proof, evm::VerifierContract, String) {
    let fx = common::fixture(seed);
    let srs = cryptoidol::srs::gen_srs(fx.model.k(), fx.dir.path().join("kzg.srs")).unwrap();
    let (w, _) = gen_witness(&fx.model, &common::address_input(input_seed)).unwrap();
    let keys = prove::setup(&fx.model, &srs).unwrap();
    let proof = prove::prove(&fx.model, &w, &keys.pk, &srs).unwrap();
    let contract = evm::create_evm_verifier(
        &srs.params,
        keys.pk.get_vk(),
        cryptoidol::circuit::NUM_INSTANCES,
        fx.model.shape().input_columns(),
    )
    .unwrap();
    let snark = evm::snark_verifier_solidity(
        &srs.params,
        keys.pk.get_vk(),
        cryptoidol::circuit::NUM_INSTANCES,
    )
    .unwrap();
    (proof, contract, snark)
}

/// An http URL on 127.0.0.1 at a port nothing listens on.
#[test]
fn evm_verifier_accepts_the_proof_and_rejects_tampering() {
    let (proof, contract, snark_sol) = proved_verifiers(11, 2);
    assert!(contract.solidity.contains("pragma solidity ^0.8.19;"));
    assert!(
        contract.runtime_code.len() <= 24_576,
        "runtime {} bytes exceeds EIP-170",
        contract.runtime_code.len()
    );

    let mut chain = Evm::new();
    let (addr, _) = chain.deploy(contract.deployment_code.clone()).unwrap();
    let inst = proof.instances.clone();
    let bytes = proof.bytes.clone();
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

    // Our verifier's own checks: exact calldata length, canonical scalars, points on the curve
    // (refused before any precompile could burn the gas).
    let good = evm::calldata(&inst, &bytes);
    let mut longer = good.clone();
    longer.push(0);
    let shorter = good[..good.len() - 32].to_vec();
    for (what, data) in [("one byte more", longer), ("one word less", shorter)] {
        let r = chain.call(addr, data, evm::revm::VERIFY_GAS_LIMIT).unwrap();
        assert!(!r.success, "{what} accepted");
    }
    // The last evaluation (just before the two opening points W, W') plus the modulus r: the
    // same value mod r, so snark-verifier's contract (which reduces scalars) accepts it; ours
    // refuses non-canonical scalars, so a proof has one encoding.
    let r_mod = ethers_core::types::U256::from_dec_str(
        "21888242871839275222246405745257275088548364400416034343698204186575808495617",
    )
    .unwrap();
    let hints = evm::template::HINT_BYTES;
    let at = bytes.len() - hints - 128 - 32;
    let mut noncanonical = bytes.clone();
    (ethers_core::types::U256::from_big_endian(&bytes[at..at + 32]) + r_mod)
        .to_big_endian(&mut noncanonical[at..at + 32]);
    let r = chain
        .call(
            addr,
            evm::calldata(&inst, &noncanonical),
            evm::revm::VERIFY_GAS_LIMIT,
        )
        .unwrap();
    assert!(!r.success, "an evaluation ≥ r was accepted");
    let mut off_curve = bytes.clone();
    let last = off_curve.len() - hints - 1;
    off_curve[last] ^= 1; // W'.y
    let r = chain
        .call(
            addr,
            evm::calldata(&inst, &off_curve),
            evm::revm::VERIFY_GAS_LIMIT,
        )
        .unwrap();
    assert!(!r.success, "a point off the curve was accepted");
    // The two inversion hints after the transcript: each changed, or written as itself + r (the
    // same value mod r), is refused.
    for k in 0..2 {
        let at = bytes.len() - hints + 32 * k;
        let mut changed = bytes.clone();
        changed[at + 31] ^= 1;
        let mut plus_r = bytes.clone();
        if let Some(v) =
            ethers_core::types::U256::from_big_endian(&bytes[at..at + 32]).checked_add(r_mod)
        {
            v.to_big_endian(&mut plus_r[at..at + 32]);
        }
        for (what, b) in [("changed", changed), ("plus r", plus_r)] {
            let r = chain
                .call(addr, evm::calldata(&inst, &b), evm::revm::VERIFY_GAS_LIMIT)
                .unwrap();
            assert!(!r.success, "hint {k} {what} was accepted");
        }
    }
    let r = chain
        .call(
            addr,
            evm::calldata(&inst, &off_curve),
            evm::revm::VERIFY_GAS_LIMIT,
        )
        .unwrap();
    assert!(
        r.gas_used < 1_000_000,
        "refusing a bad point burned {} gas",
        r.gas_used
    );

    // snark-verifier's straight-line verifier for the same vk agrees on the valid proof (and
    // shows the malleability ours closes).
    let snark = evm::measure_verifier(
        &snark_sol,
        None,
        evm::raw_calldata(&inst, &bytes[..bytes.len() - hints]),
    )
    .unwrap();
    assert!(
        snark.accepted,
        "snark-verifier's verifier rejected the proof"
    );
    let snark_nc = evm::measure_verifier(
        &snark_sol,
        None,
        evm::raw_calldata(&inst, &noncanonical[..bytes.len() - hints]),
    );
    assert!(
        snark_nc.unwrap().accepted,
        "snark-verifier reduces scalars mod r"
    );
    eprintln!(
        "ours: {} gas, {} bytes; snark-verifier's: {} gas, {} bytes",
        ok.gas_used,
        contract.runtime_code.len(),
        snark.verify_gas,
        snark.runtime_bytes
    );
    // `idol measure-evm`'s path (the benchmark's, for our verifier and EZKL's): same solc, same
    // EVM, so the same size and gas as above; a tampered proof is reported as rejected.
    let m = evm::measure_verifier(&contract.solidity, None, evm::calldata(&inst, &bytes)).unwrap();
    assert!(m.accepted);
    assert_eq!(m.runtime_bytes, contract.runtime_code.len());
    assert_eq!(m.verify_gas, ok.gas_used);
    assert_eq!(m.calldata_bytes, evm::calldata(&inst, &bytes).len());
    let mut b = bytes.clone();
    b[100] ^= 1;
    let m = evm::measure_verifier(&contract.solidity, None, evm::calldata(&inst, &b)).unwrap();
    assert!(!m.accepted, "tampered proof measured as accepted");
}

/// The generator is driven by the circuit's protocol, not by one layout: a padded workshop
/// variant (a padding gate on both input columns, one more fixed column, other rows) and the PyTorch-style export get
/// verifiers that accept their proofs and reject a changed score.
#[test]
fn generated_verifiers_follow_other_circuit_shapes() {
    for (name, fx, input) in [
        (
            "padded",
            common::padded_fixture(5),
            common::address_input(3),
        ),
        (
            "pytorch-style",
            common::pytorch_style_fixture(),
            common::address_input(3),
        ),
        // The layered circuit (two conv layers with channels, two dense layers).
        ("layered", common::deep_fixture(2), common::deep_input(3)),
    ] {
        let srs = cryptoidol::srs::gen_srs(fx.model.k(), fx.dir.path().join("kzg.srs")).unwrap();
        let (w, _) = gen_witness(&fx.model, &input).unwrap();
        let keys = prove::setup(&fx.model, &srs).unwrap();
        let proof = prove::prove(&fx.model, &w, &keys.pk, &srs).unwrap();
        let sol = evm::verifier_solidity(
            &srs.params,
            keys.pk.get_vk(),
            cryptoidol::circuit::NUM_INSTANCES,
            fx.model.shape().input_columns(),
        )
        .unwrap();
        let (inst, bytes) = (proof.instances.clone(), proof.bytes.clone());
        let m = evm::measure_verifier(&sol, None, evm::calldata(&inst, &bytes)).unwrap();
        assert!(m.accepted, "{name}: {m}");
        eprintln!("{name}: {m}");
        let mut bad = inst.clone();
        bad[1] += Fr::one();
        let m = evm::measure_verifier(&sol, None, evm::calldata(&bad, &bytes)).unwrap();
        assert!(!m.accepted, "{name}: changed score accepted");
    }
}

/// `measure_verifier` reads both verifier conventions: ours (reverts or returns nothing) and
/// `verifyProof(...) returns (bool)` (EZKL's): a `false` word is a rejection, not a success.
#[test]
fn measure_verifier_tells_false_and_reverts_from_acceptance() {
    let sol = r#"
        pragma solidity ^0.8.19;
        contract BoolVerifier {
            fallback(bytes calldata d) external returns (bytes memory) {
                require(d.length > 0 && d[0] != 0xff, "reverts");
                return abi.encode(d[0] == 0x01);
            }
        }
    "#;
    let accepted = |data: Vec<u8>| {
        evm::measure_verifier(sol, Some("BoolVerifier"), data)
            .unwrap()
            .accepted
    };
    assert!(accepted(vec![1]));
    assert!(
        !accepted(vec![2]),
        "returned false but measured as accepted"
    );
    assert!(!accepted(vec![0xff]), "reverted but measured as accepted");
    let err = evm::measure_verifier("contract {", None, vec![1]).unwrap_err();
    assert!(
        err.to_string()
            .contains("compiles with no optimizer setting"),
        "{err}"
    );
}

/// On a real anvil node, the contest (issue 27): a verifier, a registry of accepted recordings
/// and JudgeRewards. A recording nobody registered (a different spectrogram's valid proof, as a
/// crafted one would be) earns nothing; the organizer registers the singer's recording; a bot
/// that edits the key instance is refused, and one that front-runs with the copied proof pays
/// the singer; the same recording, resubmitted or proven again (new bytes), is paid once; a
/// score instance ≥ r is refused; JudgeRewards refuses a verifier without code. The contrast:
/// NaiveRewards pays the bot.
#[test]
fn anvil_contest_pays_a_registered_recording_once_to_its_key() {
    use cryptoidol::evm::anvil::Anvil;
    use cryptoidol::evm::chain::{self, Chain};
    use ethers_core::types::U256;
    let url = common::free_local_url();
    let node = Anvil::connect_or_start(&url).unwrap();
    assert!(node.started_here());

    let fx = common::fixture(12);
    let srs = cryptoidol::srs::gen_srs(fx.model.k(), fx.dir.path().join("kzg.srs")).unwrap();
    let input = common::address_input(6);
    let (w, _) = gen_witness(&fx.model, &input).unwrap();
    let keys = prove::setup(&fx.model, &srs).unwrap();
    let proof = prove::prove(&fx.model, &w, &keys.pk, &srs).unwrap();
    let again = prove::prove(&fx.model, &w, &keys.pk, &srs).unwrap();
    // A spectrogram crafted to please the judge (signed-gradient ascent on the float model, no
    // singing): a valid proof of a recording nobody registered.
    let judge = cryptoidol::model::Judge::from_weights(&common::weights(12)).unwrap();
    // A louder recording than the fixture's own level, at which every conv window of this judge
    // is off (the score then does not depend on the input, and `craft` says so).
    let start: Vec<f32> = common::spectrogram(7)
        .iter()
        .map(|v| (v + 20.0).min(0.0))
        .collect();
    let before = judge.score(&start).unwrap();
    let (crafted, after) = judge.craft(&start, 0.9, 0.25, 200).unwrap();
    assert!(after >= 0.9 && after > before, "crafted {before} → {after}");
    let crafted_input = cryptoidol::input::InputData {
        keys: input.keys.clone(),
        xs: vec![crafted],
    };
    let (w_other, _) = gen_witness(&fx.model, &crafted_input).unwrap();
    let other = prove::prove(&fx.model, &w_other, &keys.pk, &srs).unwrap();
    assert!(prove::verify(&other, keys.pk.get_vk(), &srs).unwrap().valid);
    eprintln!(
        "crafted spectrogram: float score {before:.3} → {after:.3}, proven {:.3}",
        w_other.score
    );
    let contract = evm::create_evm_verifier(
        &srs.params,
        keys.pk.get_vk(),
        cryptoidol::circuit::NUM_INSTANCES,
        fx.model.shape().input_columns(),
    )
    .unwrap();
    let d = prove::input_digest(&fx.model, &srs, &input)
        .unwrap()
        .unwrap();
    assert_eq!(
        proof.input_digest,
        Some(d),
        "d from input.json is the proof's"
    );

    let owner = Chain::connect(&url, 0, Some(31337)).unwrap();
    let bot = Chain::connect(&url, 1, Some(31337)).unwrap();
    assert_eq!(
        owner.address().to_string(),
        cryptoidol::input::DEFAULT_KEY,
        "the proof's key is account 0"
    );
    let (verifier, _) = owner.deploy(contract.deployment_code.clone()).unwrap();
    let inst = proof.instances.clone();
    let bytes = proof.bytes.clone();
    let on_anvil = owner
        .transact(
            verifier,
            evm::calldata(&inst, &bytes),
            evm::revm::VERIFY_GAS_LIMIT,
        )
        .unwrap();
    assert!(on_anvil.accepted, "valid proof rejected on anvil");
    // The in-process EVM follows anvil's default fork (Osaka): the same gas to the unit.
    let mut revm = Evm::new();
    let (addr, _) = revm.deploy(contract.deployment_code.clone()).unwrap();
    let in_process = revm
        .call(
            addr,
            evm::calldata(&inst, &bytes),
            evm::revm::VERIFY_GAS_LIMIT,
        )
        .unwrap();
    assert!(in_process.success);
    assert_eq!(
        in_process.gas_used, on_anvil.gas_used,
        "revm (Osaka) and anvil disagree on the verification's gas"
    );
    eprintln!(
        "verify gas on anvil and in revm (Osaka): {}",
        on_anvil.gas_used
    );
    // The verifier's inputDigest reads d from the proof, as the registry's key.
    let mut call = ethers_core::utils::keccak256("inputDigest(bytes)")[..4].to_vec();
    call.extend(ethers_core::abi::encode(&[ethers_core::abi::Token::Bytes(
        bytes.clone(),
    )]));
    assert_eq!(
        owner.call(verifier, call).unwrap().unwrap(),
        d.0.to_vec(),
        "the contract's d"
    );

    // JudgeRewards refuses a verifier (or registry) without code.
    let (registry, _) = owner
        .deploy(evm::compile_registry().unwrap().deployment)
        .unwrap();
    let rewards_code = evm::compile_rewards().unwrap().deployment;
    let codeless = bot.address();
    for (v, r) in [(codeless, registry), (verifier, codeless)] {
        let mut code = rewards_code.clone();
        code.extend(chain::rewards_constructor(v, r));
        assert!(
            owner.deploy(code).is_err(),
            "JudgeRewards deployed over an address without code"
        );
    }
    let mut code = rewards_code.clone();
    code.extend(chain::rewards_constructor(verifier, registry));
    let (rewards, _) = owner.deploy(code).unwrap();
    let words = evm::instance_words(&inst);
    let credit = |who| owner.credit(rewards, who).unwrap();
    let refused = |from: &Chain, proof: &[u8], words: &[[u8; 32]]| -> String {
        let reason = from
            .simulate(rewards, chain::submit_calldata(proof, words))
            .unwrap()
            .expect_err("the submission was accepted");
        assert!(!from.submit(rewards, proof, words).unwrap().accepted);
        reason
    };
    // Nothing is registered yet: the valid proof earns nothing.
    assert_eq!(refused(&bot, &bytes, &words), "recording not registered");
    // Only the organizer registers.
    assert_eq!(
        bot.register(registry, &d.0, bot.address())
            .unwrap()
            .unwrap_err(),
        "only the organizer registers recordings"
    );
    let registered = owner
        .register(registry, &d.0, owner.address())
        .unwrap()
        .unwrap();
    assert!(registered.accepted);
    eprintln!("RecordingRegistry.register: {} gas", registered.gas_used);
    assert_eq!(
        owner.registered_key(registry, &d.0).unwrap(),
        Some(owner.address())
    );
    assert_eq!(
        owner
            .register(registry, &d.0, bot.address())
            .unwrap()
            .unwrap_err(),
        "this recording is already registered"
    );
    // The crafted spectrogram's valid proof: refused.
    let other_words = evm::instance_words(&other.instances);
    assert_eq!(
        refused(&owner, &other.bytes, &other_words),
        "recording not registered"
    );
    // Key A's proof with key B's address as the key instance.
    let mut stolen = words.clone();
    stolen[0] = bot.address().word();
    assert_eq!(
        refused(&bot, &bytes, &stolen),
        "the key is not the one registered for this recording"
    );
    // The score instance plus the field modulus: refused by the contract itself.
    let r = U256::from_dec_str(
        "21888242871839275222246405745257275088548364400416034343698204186575808495617",
    )
    .unwrap();
    let mut wrapped = words.clone();
    (U256::from_big_endian(&words[1]) + r).to_big_endian(&mut wrapped[1]);
    assert!(
        !owner
            .transact(
                verifier,
                evm::calldata_words(&wrapped, &bytes),
                evm::revm::VERIFY_GAS_LIMIT
            )
            .unwrap()
            .accepted,
        "the verifier accepted an instance ≥ r"
    );
    assert_eq!(
        refused(&bot, &bytes, &wrapped),
        "the score instance is not a field element"
    );
    // A flipped proof byte: invalid.
    let mut flipped = bytes.clone();
    flipped[300] ^= 1;
    assert_eq!(refused(&bot, &flipped, &words), "invalid proof");
    assert_eq!(credit(owner.address()), U256::zero());
    // The bot copies the proof from the mempool and submits it first: the singer is paid.
    let paid = bot.submit(rewards, &bytes, &words).unwrap();
    assert!(paid.accepted);
    eprintln!("JudgeRewards.submit, paid: {} gas", paid.gas_used);
    let score = U256::from_big_endian(&words[1]);
    assert_eq!(credit(owner.address()), score, "the registered key is paid");
    assert_eq!(
        credit(bot.address()),
        U256::zero(),
        "the sender got nothing"
    );
    // The singer's own submission, and a re-proof of the same recording: paid once.
    assert_eq!(
        refused(&owner, &bytes, &words),
        "this recording was already paid"
    );
    assert_ne!(again.bytes, bytes, "halo2 proofs are randomised");
    assert_eq!(
        again.input_digest,
        Some(d),
        "the same recording, the same d"
    );
    assert!(
        owner
            .transact(
                verifier,
                evm::calldata(&again.instances, &again.bytes),
                evm::revm::VERIFY_GAS_LIMIT
            )
            .unwrap()
            .accepted,
        "the re-proof is valid on its own"
    );
    assert_eq!(
        refused(&owner, &again.bytes, &words),
        "this recording was already paid"
    );
    assert_eq!(credit(owner.address()), score, "credited once");

    // The contrast: NaiveRewards pays the bot that front-runs, and any valid proof.
    let mut naive = evm::compile_naive_rewards().unwrap().deployment;
    naive.extend(chain::naive_rewards_constructor(verifier));
    let (naive, _) = owner.deploy(naive).unwrap();
    assert!(bot.submit(naive, &bytes, &words).unwrap().accepted);
    assert_eq!(
        owner.credit(naive, bot.address()).unwrap(),
        score,
        "the bot was paid"
    );
    assert_eq!(owner.credit(naive, owner.address()).unwrap(), U256::zero());
    // ...and pays the crafted spectrogram's proof, which earned nothing in the contest.
    assert!(
        owner
            .submit(naive, &other.bytes, &other_words)
            .unwrap()
            .accepted
    );
    assert_eq!(
        owner.credit(naive, owner.address()).unwrap(),
        U256::from_big_endian(&other_words[1]),
        "the crafted score was paid"
    );
    drop(node);
    assert!(
        Anvil::connect(&url).is_err(),
        "the node we started is stopped"
    );
}

/// Deployment failures on a real node give clear errors: no node, wrong chain, code over
/// EIP-170's limit, out of gas (issue 4).
#[test]
fn anvil_deploy_failures_are_clear() {
    use cryptoidol::evm::anvil::Anvil;
    use cryptoidol::evm::chain::Chain;
    let url = common::free_local_url();
    let e = Chain::connect(&url, 0, None).err().expect("no node yet");
    assert!(
        e.to_string().contains(&url) && e.to_string().contains("anvil -p 3030"),
        "{e}"
    );
    let e = Anvil::connect(&url).err().expect("no node yet");
    assert!(e.to_string().contains("no Ethereum node listens"), "{e}");

    let _node = Anvil::connect_or_start(&url).unwrap();
    let e = Chain::connect(&url, 0, Some(1))
        .err()
        .expect("anvil is chain 31337");
    assert!(
        e.to_string().contains("runs chain 31337, expected 1"),
        "{e}"
    );
    let chain = Chain::connect(&url, 0, Some(31337)).unwrap();
    // Init code returning 25 000 bytes of runtime code: over the 24 576-byte limit.
    let too_large = vec![0x61, 0x61, 0xa8, 0x60, 0x00, 0xf3];
    let e = chain.deploy(too_large).unwrap_err();
    assert!(
        e.to_string().contains("code too large") || e.to_string().contains("EIP-170"),
        "{e}"
    );
    // A small contract (returns 32 bytes of code) with too little gas.
    let small = vec![0x60, 0x20, 0x60, 0x00, 0xf3];
    let e = chain.deploy_with_gas(small.clone(), 53_100).unwrap_err();
    assert!(e.to_string().to_lowercase().contains("gas"), "{e}");
    assert!(chain.deploy(small).is_ok());
}

/// A tampered witness of each layout, taken through a real proof (not only the mock prover):
/// the native verifier and the Solidity verifier in revm both reject it, while the honest proof
/// of the same model passes both (issue 15).
#[test]
fn tampered_witnesses_fail_real_proofs_natively_and_on_chain() {
    use cryptoidol::circuit::forge::ActivationShift;
    use cryptoidol::circuit::forge::LayeredTamper;
    use cryptoidol::circuit::forge::Tamper;
    let windowed = common::fixture(12);
    let layered = common::deep_fixture(2);
    let cases: Vec<(&str, &common::Fixture, cryptoidol::input::InputData)> = vec![
        ("windowed", &windowed, common::address_input(3)),
        ("layered", &layered, common::deep_input(3)),
    ];
    for (name, fx, input) in cases {
        let srs = cryptoidol::srs::gen_srs(fx.model.k(), fx.dir.path().join("kzg.srs")).unwrap();
        let keys = prove::setup(&fx.model, &srs).unwrap();
        let vk = keys.pk.get_vk();
        let contract = evm::create_evm_verifier(
            &srs.params,
            vk,
            cryptoidol::circuit::NUM_INSTANCES,
            fx.model.shape().input_columns(),
        )
        .unwrap();
        let mut chain = Evm::new();
        let (addr, _) = chain.deploy(contract.deployment_code.clone()).unwrap();
        let on_chain = |chain: &mut Evm, proof: &prove::Proof| {
            chain
                .call(
                    addr,
                    evm::calldata(&proof.instances, &proof.bytes),
                    evm::revm::VERIFY_GAS_LIMIT,
                )
                .unwrap()
                .success
        };
        let (w, _) = gen_witness(&fx.model, &input).unwrap();
        let honest = prove::prove(&fx.model, &w, &keys.pk, &srs).unwrap();
        assert!(
            prove::verify(&honest, vk, &srs).unwrap().valid,
            "{name}: honest proof"
        );
        assert!(
            on_chain(&mut chain, &honest),
            "{name}: honest proof on chain"
        );
        let tampered = if name == "windowed" {
            prove::tampered(&fx.model, &w, Tamper::Sign { window: 5 }).unwrap()
        } else {
            prove::tampered_layered(
                &fx.model,
                &w,
                LayeredTamper::Activation(ActivationShift {
                    layer: 0,
                    neuron: 3,
                    delta: 1,
                }),
            )
            .unwrap()
        };
        // Both tampers keep every lookup satisfiable, so the prover makes a proof: of a false
        // statement, which neither verifier may accept.
        match prove::prove_circuit(&tampered, &w, &keys.pk, &srs) {
            Err(e) => panic!("{name}: the prover refused the tampered witness: {e}"),
            Ok(bad) => {
                assert!(
                    !prove::verify(&bad, vk, &srs).unwrap().valid,
                    "{name}: the native verifier accepted a tampered witness"
                );
                assert!(
                    !on_chain(&mut chain, &bad),
                    "{name}: the Solidity verifier accepted a tampered witness"
                );
            }
        }
    }
}

/// Issue 17: tampering is rejected end to end, and counted. Every byte of both public instances
/// and a seeded sample of the proof's bytes (at least 500 single-byte changes in all), each
/// changed alone: the native verifier and the Solidity verifier in revm both reject every one.
#[test]
fn every_sampled_single_byte_change_is_rejected_natively_and_on_chain() {
    use rand::{Rng, SeedableRng};
    let fx = common::fixture(13);
    let srs = cryptoidol::srs::gen_srs(fx.model.k(), fx.dir.path().join("kzg.srs")).unwrap();
    let (w, _) = gen_witness(&fx.model, &common::address_input(7)).unwrap();
    let keys = prove::setup(&fx.model, &srs).unwrap();
    let vk = keys.pk.get_vk();
    let proof = prove::prove(&fx.model, &w, &keys.pk, &srs).unwrap();
    let contract = evm::create_evm_verifier(
        &srs.params,
        vk,
        cryptoidol::circuit::NUM_INSTANCES,
        fx.model.shape().input_columns(),
    )
    .unwrap();
    let mut chain = Evm::new();
    let (addr, _) = chain.deploy(contract.deployment_code.clone()).unwrap();
    let inst = proof.instances.clone();
    let bytes = proof.bytes.clone();
    let data = evm::calldata(&inst, &bytes);
    assert!(prove::verify(&proof, vk, &srs).unwrap().valid);
    assert!(
        chain
            .call(addr, data.clone(), evm::revm::VERIFY_GAS_LIMIT)
            .unwrap()
            .success
    );
    // The instances (2 × 32 bytes, big-endian) ‖ the proof bytes, changed one byte at a time,
    // each time sent as the ABI call `verifyProof(proof, instances)`.
    let words = evm::instance_words(&inst);
    let raw: Vec<u8> = words
        .iter()
        .flatten()
        .copied()
        .chain(bytes.clone())
        .collect();
    assert_eq!(data, evm::calldata_words(&words, &bytes));
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(17);
    let mut sites: Vec<usize> = (0..64).collect();
    let proof_sites = 500usize.min(bytes.len());
    let mut picked: Vec<usize> = rand::seq::index::sample(&mut rng, bytes.len(), proof_sites)
        .into_iter()
        .map(|i| 64 + i)
        .collect();
    picked.sort();
    sites.extend(picked);
    let (mut native_crypto, mut native_file_check, mut onchain) = (0, 0, 0);
    for &at in &sites {
        let mut d = raw.clone();
        d[at] ^= rng.gen_range(1..=255u8);
        let changed_words: Vec<[u8; 32]> =
            d[..64].chunks(32).map(|c| c.try_into().unwrap()).collect();
        // On chain.
        let r = chain
            .call(
                addr,
                evm::calldata_words(&changed_words, &d[64..]),
                evm::revm::VERIFY_GAS_LIMIT,
            )
            .unwrap();
        assert!(
            !r.success,
            "byte {at} of the calldata changed, and the EVM accepted it"
        );
        onchain += 1;
        // Natively: the same change in proof.json's terms. A word that is not a field element
        // cannot be a proof's instance: proof.json's reader refuses it.
        let instances: Option<Vec<_>> = d[..64]
            .chunks(32)
            .map(|c| {
                cryptoidol::encoding::field_from_hex(&format!("0x{}", cryptoidol::encoding::hex(c)))
            })
            .collect();
        let Some(instances) = instances else {
            native_file_check += 1;
            continue;
        };
        let mut bad = proof.clone();
        bad.instances = instances;
        bad.bytes = d[64..].to_vec();
        // A changed score instance that is still a small number gets the matching score_q, so
        // the cryptographic check (not the file's consistency check) is what refuses it.
        let score = ethers_core::types::U256::from_big_endian(&d[32..64]);
        if score < ethers_core::types::U256::from(i64::MAX as u64) {
            bad.score_q = score.as_u64() as i64;
        }
        match prove::verify(&bad, vk, &srs) {
            Ok(v) if v.valid => panic!("byte {at} changed, and the native verifier accepted it"),
            // Refused before halo2 runs: the score instance is not proof.json's score_q.
            Ok(v)
                if v.reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("the proof file's")) =>
            {
                native_file_check += 1
            }
            Ok(_) => native_crypto += 1,
            Err(e) => panic!("byte {at}: {e}"),
        }
    }
    eprintln!(
        "{} single-byte changes ({} in the instances, {} of the proof's {} bytes): EVM rejected {onchain}; native verifier rejected {} ({native_crypto} by the halo2 check, {native_file_check} by proof.json's own checks)",
        sites.len(),
        64,
        sites.len() - 64,
        bytes.len(),
        native_crypto + native_file_check
    );
    assert!(sites.len() >= 500);
    assert_eq!(onchain, sites.len());
    assert_eq!(native_crypto + native_file_check, sites.len());
}
