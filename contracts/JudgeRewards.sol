// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

/// Credits a voice judge's score to the key proven in the proof — never to msg.sender — and
/// pays each judgement once: a key's credit is its best proven score.
///
/// The proof's public instances are [key, score]: the key is the submitter's address, a private
/// input of the circuit copied to a public output. Whoever sends the transaction (the submitter,
/// or a bot that copied the proof from the mempool), the credit goes to that key, so copying a
/// proof earns the copier nothing.
///
/// Why the best score, not a sum: Halo2 proofs are randomised, so the owner of a key can prove
/// the same recording again and get new proof bytes as often as they like. Counting proofs (or
/// refusing only bytes already seen) would credit the same judgement again and again. The
/// judgement is the pair (key, score); keeping the best score per key makes every
/// re-submission worth nothing, and a better recording worth only its improvement. (A contest
/// with rounds would keep this per round; this tutorial has one.)
contract JudgeRewards {
    /// The generated Halo2 verifier: calldata `instances ‖ proof`, reverts unless valid.
    address public immutable verifier;
    /// Each key's best proven score (at 2^16 scale).
    mapping(address => uint256) public credit;

    /// BN254's scalar field: the verifier reads instances modulo this, so a score instance at or
    /// above it would pass verification as `score mod R` while crediting the raw value.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    event Judged(address indexed key, uint256 score, address indexed sender);

    constructor(address verifier_) {
        verifier = verifier_;
    }

    /// Verify the proof and raise its key's credit to its score. Reverts if the proof is
    /// invalid or the score is not above the key's best (so a replayed or re-proven judgement
    /// costs its sender gas and earns nothing).
    function submit(bytes calldata proof, uint256[] calldata instances) external returns (uint256 score) {
        require(instances.length == 2, "instances must be [key, score]");
        require(instances[0] < (1 << 160), "the key instance is not an address");
        require(instances[1] < R, "the score instance is not a field element");
        address key = address(uint160(instances[0]));
        score = instances[1];
        require(score > credit[key], "not above the key's best proven score");
        (bool ok, ) = verifier.staticcall(abi.encodePacked(instances, proof));
        require(ok, "invalid proof");
        credit[key] = score;
        emit Judged(key, score, msg.sender);
    }
}
