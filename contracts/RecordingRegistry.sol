// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

/// The recordings a contest accepted: for each, d (the input digest of its features, from
/// `idol commit`) and the key its reward goes to. Only the organizer (the deployer) registers,
/// after checking the recording by the contest's own rules (captured live, one per singer, ...):
/// that check is what makes a registered recording authentic; the proof only shows the score is
/// the judge's for these features.
contract RecordingRegistry {
    address public immutable organizer;
    /// The key registered for each input digest (zero: not registered).
    mapping(bytes32 => address) public keyOf;

    event Registered(bytes32 indexed inputDigest, address indexed key);

    constructor() {
        organizer = msg.sender;
    }

    function register(bytes32 inputDigest, address key) external {
        require(msg.sender == organizer, "only the organizer registers recordings");
        require(key != address(0), "the key is the zero address");
        require(keyOf[inputDigest] == address(0), "this recording is already registered");
        keyOf[inputDigest] = key;
        emit Registered(inputDigest, key);
    }
}
