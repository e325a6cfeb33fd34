// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

/// Credits a voice judge's score to the key proven in the proof — never to msg.sender.
///
/// The proof's public instances are [key, score]: the key is the submitter's address, a private
/// input of the circuit copied to a public output. Whoever sends the transaction (the submitter,
/// or a bot that copied the proof from the mempool), the credit goes to that key, so copying a
/// proof earns the copier nothing. Each proof counts once.
contract JudgeRewards {
    /// The generated Halo2 verifier: calldata `instances ‖ proof`, reverts unless valid.
    address public immutable verifier;
    /// Sum of the scores (at 2^16 scale) credited to each key.
    mapping(address => uint256) public credit;
    /// Proofs already counted (by keccak256 of the proof bytes).
    mapping(bytes32 => bool) public used;

    /// BN254's scalar field: the verifier reads instances modulo this, so a score instance at or
    /// above it would pass verification as `score mod R` while crediting the raw value.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    event Judged(address indexed key, uint256 score, address indexed sender);

    constructor(address verifier_) {
        verifier = verifier_;
    }

    function submit(bytes calldata proof, uint256[] calldata instances) external returns (uint256 score) {
        require(instances.length == 2, "instances must be [key, score]");
        require(instances[0] < (1 << 160), "the key instance is not an address");
        require(instances[1] < R, "the score instance is not a field element");
        bytes32 id = keccak256(proof);
        require(!used[id], "proof already used");
        (bool ok, ) = verifier.staticcall(abi.encodePacked(instances, proof));
        require(ok, "invalid proof");
        used[id] = true;
        address key = address(uint160(instances[0]));
        score = instances[1];
        credit[key] += score;
        emit Judged(key, score, msg.sender);
    }
}
