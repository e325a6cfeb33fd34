// SPDX-License-Identifier: MIT
pragma solidity ^0.8.19;

/// The standard interface of a generated proof verifier (EZKL's and the common Halo2 and
/// SNARK generators'): true for a valid proof of the public `instances`; an invalid one
/// reverts or returns false.
interface IVerifier {
    function verifyProof(bytes calldata proof, uint256[] calldata instances) external view returns (bool);
}

/// A verifier whose proofs bind the judge's input: `inputDigest(proof)` is d, the keccak256 of
/// the commitments to the columns holding the input, which anyone recomputes from the input
/// alone (`idol commit`).
interface IInputBoundVerifier is IVerifier {
    function inputDigest(bytes calldata proof) external pure returns (bytes32);
}
