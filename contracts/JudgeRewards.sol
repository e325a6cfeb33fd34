// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import "./IVerifier.sol";
import "./RecordingRegistry.sol";

/// Pays a contest's registered recordings: a proof earns its score once, for the recording the
/// organizer registered, to the key registered with it, never to msg.sender.
///
/// - The proof binds its input: `verifier.inputDigest(proof)` is d of the spectrogram it
///   proves. A d nobody registered earns nothing, so a spectrogram crafted to please the judge
///   (searched for, not sung) is refused however valid its proof.
/// - The public instances are [key, score]. The key must be the one registered with d, so a bot
///   that copies the proof from the mempool and sends it first can only pay the singer; editing
///   the key instance makes the proof invalid.
/// - Each d is paid once. Halo2 proofs are randomised: the singer can prove the same recording
///   again and get new bytes, which earn nothing more.
contract JudgeRewards {
    IInputBoundVerifier public immutable verifier;
    RecordingRegistry public immutable registry;
    /// What each key has earned (sum of its recordings' scores, at the score's fixed-point scale).
    mapping(address => uint256) public credit;
    /// Recordings already paid, by input digest.
    mapping(bytes32 => bool) public paid;

    /// BN254's scalar field. The generated verifier refuses instances at or above it; this
    /// contract does too, so that behind any IVerifier that reads instances modulo R a score
    /// instance >= R could not pass as `score mod R` while crediting the raw value.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    event Judged(bytes32 indexed inputDigest, address indexed key, uint256 score, address sender);

    constructor(address verifier_, address registry_) {
        // A call to an address without code succeeds and returns nothing: refuse one here
        // instead of accepting every "proof" later.
        require(verifier_.code.length > 0, "the verifier address holds no code");
        require(registry_.code.length > 0, "the registry address holds no code");
        verifier = IInputBoundVerifier(verifier_);
        registry = RecordingRegistry(registry_);
    }

    /// Verify the proof and pay its score to the key registered with its recording. Reverts,
    /// naming the reason, for an unregistered recording, a key that is not the registered one,
    /// a recording already paid, or an invalid proof.
    function submit(bytes calldata proof, uint256[] calldata instances) external returns (uint256 score) {
        require(instances.length == 2, "instances must be [key, score]");
        require(instances[0] < (1 << 160), "the key instance is not an address");
        require(instances[1] < R, "the score instance is not a field element");
        bytes32 d = verifier.inputDigest(proof);
        address key = registry.keyOf(d);
        require(key != address(0), "recording not registered");
        require(address(uint160(instances[0])) == key, "the key is not the one registered for this recording");
        require(!paid[d], "this recording was already paid");
        bool valid;
        try verifier.verifyProof(proof, instances) returns (bool ok) {
            valid = ok;
        } catch {
            valid = false;
        }
        require(valid, "invalid proof");
        score = instances[1];
        paid[d] = true;
        credit[key] += score;
        emit Judged(d, key, score, msg.sender);
    }
}
