// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

import "./IVerifier.sol";

/// A rewards contract with the front-running flaw, for notebook 6's lesson only: it verifies the
/// proof, then credits the score to `msg.sender`, whoever that is. A bot that copies a valid
/// proof from the mempool and sends it first with a higher fee collects the reward. Compare
/// JudgeRewards, which credits the key proven in the instances. Never deploy this for real.
contract NaiveRewards {
    /// The generated Halo2 verifier.
    IVerifier public immutable verifier;
    /// Each sender's best verified score (at 2^16 scale).
    mapping(address => uint256) public credit;

    constructor(address verifier_) {
        require(verifier_.code.length > 0, "the verifier address holds no code");
        verifier = IVerifier(verifier_);
    }

    /// Verify the proof and pay its score to the sender: the flaw.
    function submit(bytes calldata proof, uint256[] calldata instances) external returns (uint256 score) {
        require(instances.length == 2, "instances must be [key, score]");
        score = instances[1];
        require(score > credit[msg.sender], "not above the sender's best score");
        bool valid;
        try verifier.verifyProof(proof, instances) returns (bool ok) {
            valid = ok;
        } catch {
            valid = false;
        }
        require(valid, "invalid proof");
        credit[msg.sender] = score;
    }
}
