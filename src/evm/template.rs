//! Our own Solidity verifier for the judge circuit: the same checks as snark-verifier's EVM
//! loader (PLONK over KZG with SHPLONK / BDFG21 multi-opening, Keccak transcript), written as
//! lean straight-line Yul: every value in a fixed memory word computed once, arithmetic over
//! leaves inline instead of a temporary per operation, consecutive powers of ω by one
//! multiplication instead of a constant each, each batched inversion checked against the prover's
//! hint with one multiplication (no MODEXP), the first MSM
//! term added without a multiplication, and all range and curve checks before any precompile.
//!
//! The protocol (which commitments and evaluations a proof holds, in which order, the quotient
//! numerator, the rotations) comes from `snark_verifier::system::halo2::compile`, so this
//! generator and the prover agree by construction; only the code shape differs. What it emits:
//!
//! 1. calldata `instances ‖ proof` of the exact expected length; every instance and evaluation
//!    below the scalar modulus r, every point on the curve with coordinates below p;
//! 2. the Fiat–Shamir challenges (Keccak over the state word and each contiguous calldata span);
//! 3. `z^n`, the Lagrange evaluations it needs, the quotient numerator (the circuit's gates and
//!    lookup, straight-line with its constants) divided by `z^n − 1`;
//! 4. BDFG21: per rotation set the barycentric weights (two batched inversions, each inverse a
//!    hint from the proof's last 64 bytes, checked),
//!    each commitment's scalar and the constant term, one MSM by precompiles, one pairing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::rc::Rc;

use halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fr, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use snark_verifier::util::arithmetic::Rotation;
use snark_verifier::verifier::plonk::PlonkProtocol;

use super::EvmError;
use crate::encoding::field_hex;

/// A node of the quotient numerator, rebuilt from snark-verifier's expression.
#[derive(Debug)]
enum Node {
    Const(Fr),
    Identity,
    Lagrange(i32),
    Poly { poly: usize, rotation: i32 },
    Challenge(usize),
    Neg(Rc<Node>),
    Sum(Rc<Node>, Rc<Node>),
    Prod(Rc<Node>, Rc<Node>),
    Scaled(Rc<Node>, Fr),
}

/// Where the proof bytes start in `verifyProof`'s calldata: selector, two offsets, the length.
const PROOF_OFFSET: usize = 0x64;

/// Bytes after the transcript in an EVM proof: the inverses of the two batched products, which
/// the verifier checks with one multiplication each instead of computing with MODEXP.
pub const HINT_BYTES: usize = 64;

/// A short literal for a scalar: small values and small negatives (as `sub(r, v)`) stay short.
fn lit(f: &Fr) -> String {
    match crate::circuit::fe_small(f) {
        Some(v) if v >= 0 => v.to_string(),
        Some(v) => format!("sub(r, {})", -v),
        None => field_hex(f),
    }
}

/// Memory allocator for the generated code (32-byte words, absolute addresses).
struct Mem(usize);

impl Mem {
    fn alloc(&mut self, words: usize) -> usize {
        let a = self.0;
        self.0 += 32 * words;
        a
    }
}

struct Emitter<'a> {
    code: String,
    mem: &'a mut Mem,
    eval_slot: &'a BTreeMap<(usize, i32), usize>,
    instance_slot: &'a BTreeMap<(usize, i32), usize>,
    lagrange_slot: &'a BTreeMap<i32, usize>,
    challenge_slot: &'a [usize],
    z_slot: usize,
}

impl Emitter<'_> {
    /// A Yul operand for `n`: a leaf inline, anything else computed into a fresh memory word.
    fn operand(&mut self, n: &Node) -> Result<String, EvmError> {
        Ok(match n {
            Node::Const(c) => lit(c),
            Node::Identity => format!("mload({:#x})", self.z_slot),
            Node::Lagrange(i) => format!("mload({:#x})", self.lagrange_slot[i]),
            Node::Challenge(i) => format!(
                "mload({:#x})",
                self.challenge_slot
                    .get(*i)
                    .ok_or_else(|| gen_err("challenge index"))?
            ),
            Node::Poly { poly, rotation } => {
                let slot = self
                    .eval_slot
                    .get(&(*poly, *rotation))
                    .or_else(|| self.instance_slot.get(&(*poly, *rotation)))
                    .ok_or_else(|| gen_err(&format!("no evaluation for {poly}@{rotation}")))?;
                format!("mload({slot:#x})")
            }
            // One level of arithmetic over leaves stays inline (shallow enough for the stack).
            Node::Scaled(a, c) if is_leaf(a) => {
                format!("mulmod({}, {}, r)", self.operand(a)?, lit(c))
            }
            Node::Prod(a, b) if is_leaf(a) && is_leaf(b) => {
                format!("mulmod({}, {}, r)", self.operand(a)?, self.operand(b)?)
            }
            Node::Neg(a) if is_leaf(a) => format!("sub(r, {})", self.operand(a)?),
            _ => {
                let t = self.mem.alloc(1);
                self.store(t, n)?;
                format!("mload({t:#x})")
            }
        })
    }

    /// Emit code that leaves the value of `n` in memory word `t`.
    fn store(&mut self, t: usize, n: &Node) -> Result<(), EvmError> {
        match n {
            Node::Sum(..) => {
                let mut terms = Vec::new();
                flatten_sum(n, &mut terms);
                let first = self.operand(terms[0])?;
                writeln!(self.code, "mstore({t:#x}, {first})").unwrap();
                for term in &terms[1..] {
                    let v = self.operand(term)?;
                    writeln!(self.code, "mstore({t:#x}, addmod(mload({t:#x}), {v}, r))").unwrap();
                }
            }
            Node::Prod(a, b) => {
                let (a, b) = (self.operand(a)?, self.operand(b)?);
                writeln!(self.code, "mstore({t:#x}, mulmod({a}, {b}, r))").unwrap();
            }
            Node::Scaled(a, c) => {
                let a = self.operand(a)?;
                writeln!(self.code, "mstore({t:#x}, mulmod({a}, {}, r))", lit(c)).unwrap();
            }
            Node::Neg(a) => {
                let a = self.operand(a)?;
                writeln!(self.code, "mstore({t:#x}, sub(r, mod({a}, r)))").unwrap();
            }
            leaf => {
                let v = self.operand(leaf)?;
                writeln!(self.code, "mstore({t:#x}, {v})").unwrap();
            }
        }
        Ok(())
    }
}

fn is_leaf(n: &Node) -> bool {
    matches!(
        n,
        Node::Const(_)
            | Node::Identity
            | Node::Lagrange(_)
            | Node::Poly { .. }
            | Node::Challenge(_)
    )
}

fn flatten_sum<'n>(n: &'n Node, out: &mut Vec<&'n Node>) {
    match n {
        Node::Sum(a, b) => {
            flatten_sum(a, out);
            flatten_sum(b, out);
        }
        other => out.push(other),
    }
}

/// Straight-line batch inversion of `n` words at `start` (prefix products in `prods`, one
/// hint from calldata, checked by one multiplication); a zero product clears `ok`.
fn batch_invert_unrolled(c: &mut String, start: usize, n: usize, prods: usize, hint: usize) {
    let at = |i: usize| start + 32 * i;
    let pr = |i: usize| prods + 32 * i;
    writeln!(c, "mstore({:#x}, mload({:#x}))", pr(0), at(0)).unwrap();
    for i in 1..n {
        writeln!(
            c,
            "mstore({:#x}, mulmod(mload({:#x}), mload({:#x}), r))",
            pr(i),
            pr(i - 1),
            at(i)
        )
        .unwrap();
    }
    // The inverse of the product is the prover's hint (calldata): checked, not computed. A
    // zero product has no inverse, so no hint passes; `inv < r` keeps the encoding unique.
    writeln!(
        c,
        "{{ let inv := calldataload({hint:#x}) ok := and(ok, and(lt(inv, r), eq(mulmod(mload({:#x}), inv, r), 1))) let v := 0",
        pr(n - 1),
    )
    .unwrap();
    for i in (1..n).rev() {
        writeln!(
            c,
            "v := mload({:#x}) mstore({:#x}, mulmod(inv, mload({:#x}), r)) inv := mulmod(inv, v, r)",
            at(i),
            at(i),
            pr(i - 1)
        )
        .unwrap();
    }
    writeln!(c, "mstore({:#x}, inv) }}", at(0)).unwrap();
}

/// A Yul expression summing `terms` mod r without nesting deeper than a few levels: a block
/// that accumulates into a local (`{ let s := t0 s := addmod(s, t1, r) … }` is not an
/// expression), so the sum is folded pairwise into a balanced tree instead.
fn accumulate(terms: &[String]) -> String {
    match terms.len() {
        0 => "0".into(),
        1 => terms[0].clone(),
        n => format!(
            "addmod({}, {}, r)",
            accumulate(&terms[..n / 2]),
            accumulate(&terms[n / 2..])
        ),
    }
}

/// Statements leaving Σ `terms` mod r in a new local `e` (one term per statement: flat stack).
fn sum_into_e(terms: &[String]) -> String {
    let mut s = format!("let e := {}", terms.first().map_or("0", String::as_str));
    for t in terms.iter().skip(1) {
        write!(s, " e := addmod(e, {t}, r)").unwrap();
    }
    s
}

fn gen_err(what: &str) -> EvmError {
    EvmError::Generate(format!("compact verifier: {what}"))
}

/// One BDFG21 rotation set: its rotations and, per polynomial, the evaluation slot per rotation.
struct QuerySet {
    shifts: Vec<i32>,
    polys: Vec<(usize, Vec<usize>)>,
}

/// snark-verifier's grouping of queries into sets of polynomials opened at the same rotations,
/// in the same order (the order fixes the powers of the batching challenges).
fn query_sets(queries: &[(usize, i32, usize)]) -> Vec<QuerySet> {
    let mut poly_shifts: Vec<(usize, Vec<i32>, Vec<usize>)> = Vec::new();
    for &(poly, rot, slot) in queries {
        match poly_shifts.iter_mut().find(|(p, _, _)| *p == poly) {
            Some((_, shifts, slots)) => {
                if !shifts.contains(&rot) {
                    shifts.push(rot);
                    slots.push(slot);
                }
            }
            None => poly_shifts.push((poly, vec![rot], vec![slot])),
        }
    }
    let mut sets: Vec<QuerySet> = Vec::new();
    for (poly, shifts, slots) in poly_shifts {
        let mut sorted = shifts.clone();
        sorted.sort();
        match sets.iter_mut().find(|s| {
            let mut t = s.shifts.clone();
            t.sort();
            t == sorted
        }) {
            Some(set) => {
                if !set.polys.iter().any(|(p, _)| *p == poly) {
                    let evals = set
                        .shifts
                        .iter()
                        .map(|s| slots[shifts.iter().position(|x| x == s).unwrap()])
                        .collect();
                    set.polys.push((poly, evals));
                }
            }
            None => sets.push(QuerySet {
                shifts,
                polys: vec![(poly, slots)],
            }),
        }
    }
    sets
}

/// Solidity source of our verifier for this vk, taking `num_instances` public values; calldata
/// as for snark-verifier's (`instances ‖ proof`), accepting by returning nothing and rejecting by
/// reverting. The body is the stages in order, each marked `// stage: …` in the Yul.
pub fn verifier_solidity(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
    input_columns: &[usize],
) -> Result<String, EvmError> {
    let protocol = super::plonk_protocol(params, vk, num_instances);
    let mut p = Plan::new(&protocol, num_instances)?;
    let digest = input_digest_function(&p, input_columns)?;
    let mut c = String::new();
    ranges(&p, &mut c);
    transcript(&p, &mut c);
    lagranges(&p, &mut c);
    numerator(&mut p, &mut c)?;
    scalars(&p, &mut c);
    msm(&p, params, &mut c);
    pairing(&p, params, &mut c);
    Ok(contract(&functions(&p), &c, &digest))
}

/// Where everything lives, read from the protocol: the calldata layout, the memory word of
/// every value, the quotient numerator, the Lagrange polynomials and the rotation sets.
struct Plan<'p> {
    protocol: &'p PlonkProtocol<G1Affine>,
    num_instances: usize,
    /// The transcript's initial state (the vk's digest).
    tis: Fr,
    n_pre: usize,
    n_wit: usize,
    /// Index of the quotient polynomial among the committed ones.
    q_poly: usize,
    n_eval: usize,
    // Calldata of `verifyProof(bytes proof, uint256[] instances)`, ABI-encoded canonically:
    // selector, the two offsets, the proof's length and bytes (witness commitments, quotient
    // chunks, evaluations, W, W'), the instances' length and words.
    /// Bytes of the proof.
    plen: usize,
    /// Where the instance words start.
    inst_off: usize,
    wit_off: usize,
    quot_off: usize,
    eval_off: usize,
    w_off: usize,
    wp_off: usize,
    total: usize,
    // Memory.
    mem: Mem,
    hash_buf: usize,
    challenges: Vec<usize>,
    z_slot: usize,
    zp_slot: usize,
    mu_slot: usize,
    gamma_slot: usize,
    zn_slot: usize,
    evals: usize,
    h_slot: usize,
    eval_slot: BTreeMap<(usize, i32), usize>,
    numerator: Rc<Node>,
    lagranges: Vec<i32>,
    /// ω^i, then L_i(z), per Lagrange polynomial.
    lag_omega: usize,
    lagrange_slot: BTreeMap<i32, usize>,
    instance_slot: BTreeMap<(usize, i32), usize>,
    sets: Vec<QuerySet>,
    /// Denominators inverted together: z − ω^i per Lagrange, z^n − 1, the sets' weights, z_s.
    den_total: usize,
    den: usize,
    den_zn: usize,
    den_sets: Vec<usize>,
    /// z_s of sets 1.. (inverted in place).
    den_zs: usize,
    /// Σ weights per set (inverted in place).
    sums: usize,
    prods: usize,
    zs1_slot: usize,
    /// The scalar of each committed polynomial.
    scal: usize,
    gsc_slot: usize,
    gp_slot: usize,
    /// Calldata of the two inversion hints (after the transcript in the proof bytes).
    hints: usize,
    /// MSM accumulator (x, y), then the term (x, y, scalar).
    acc: usize,
    pair: usize,
}

impl<'p> Plan<'p> {
    fn new(protocol: &'p PlonkProtocol<G1Affine>, num_instances: usize) -> Result<Self, EvmError> {
        if protocol.num_instance.len() != 1
            || protocol.instance_committing_key.is_some()
            || protocol.linearization.is_some()
            || !protocol.accumulator_indices.is_empty()
            || protocol.domain_as_witness.is_some()
        {
            return Err(gen_err("unsupported protocol shape"));
        }
        let tis = protocol
            .transcript_initial_state
            .ok_or_else(|| gen_err("no transcript initial state"))?;
        let n_pre = protocol.preprocessed.len();
        let n_wit: usize = protocol.num_witness.iter().sum();
        let q_poly = n_pre + 1 + n_wit;
        let n_chunk = protocol.quotient.num_chunk();
        let n_eval = protocol.evaluations.len();

        // Calldata layout.
        let wit_off = PROOF_OFFSET;
        let quot_off = wit_off + 64 * n_wit;
        let eval_off = quot_off + 64 * n_chunk;
        let w_off = eval_off + 32 * n_eval;
        let wp_off = w_off + 64;
        let hints = wp_off + 64;
        let plen = hints + HINT_BYTES - PROOF_OFFSET;
        let inst_off = PROOF_OFFSET + plen + 32;
        let total = inst_off + 32 * num_instances;

        // Memory layout.
        let mut mem = Mem(0);
        // The state word, then the span being absorbed (at most the instances and the proof).
        let hash_buf = mem.alloc(1 + num_instances + plen / 32);
        let n_ch: usize = protocol.num_challenge.iter().sum();
        let challenges: Vec<usize> = (0..n_ch).map(|_| mem.alloc(1)).collect();
        let (z_slot, zp_slot, mu_slot, gamma_slot, zn_slot) = (
            mem.alloc(1),
            mem.alloc(1),
            mem.alloc(1),
            mem.alloc(1),
            mem.alloc(1),
        );
        let evals = mem.alloc(n_eval + 1); // transcript evaluations, then the quotient's
        let h_slot = evals + 32 * n_eval;
        let mut eval_slot: BTreeMap<(usize, i32), usize> = BTreeMap::new();
        for (i, q) in protocol.evaluations.iter().enumerate() {
            eval_slot.insert((q.poly, q.rotation.0), evals + 32 * i);
        }

        let numerator = numerator_tree(protocol);
        // Lagrange polynomials used: the numerator's, and those the instance evaluations need.
        let mut lagranges = BTreeSet::new();
        let mut instance_queries = BTreeSet::new();
        lagranges_and_instances(&numerator, &mut lagranges, &mut instance_queries, n_pre);
        for &(_, rot) in &instance_queries {
            for j in 0..num_instances as i32 {
                lagranges.insert(j - rot);
            }
        }
        let lagranges: Vec<i32> = lagranges.into_iter().collect();
        if lagranges.is_empty() {
            return Err(gen_err("no Lagrange polynomial"));
        }
        let lag_omega = mem.alloc(lagranges.len());
        let lagrange_slot: BTreeMap<i32, usize> = lagranges
            .iter()
            .enumerate()
            .map(|(k, &i)| (i, lag_omega + 32 * k))
            .collect();
        let instance_slot: BTreeMap<(usize, i32), usize> = instance_queries
            .iter()
            .map(|&q| (q, mem.alloc(1)))
            .collect();

        // PCS queries with their evaluation slots.
        let mut queries = Vec::new();
        for q in &protocol.queries {
            let slot = if q.poly == q_poly {
                h_slot
            } else if q.poly == n_pre {
                return Err(gen_err("instance polynomial in the PCS queries"));
            } else {
                *eval_slot
                    .get(&(q.poly, q.rotation.0))
                    .ok_or_else(|| gen_err("PCS query without evaluation"))?
            };
            queries.push((q.poly, q.rotation.0, slot));
        }
        let sets = query_sets(&queries);
        // Per set: table of (ℓ'_j, ω^{s_j}), weights/denominators (DEN), and z_s for sets after
        // the first.
        let n_lag = lagranges.len();
        let den_total =
            n_lag + 1 + sets.iter().map(|s| s.shifts.len()).sum::<usize>() + sets.len() - 1;
        let den = mem.alloc(den_total);
        let den_zn = den + 32 * n_lag;
        let mut den_sets = Vec::new();
        let mut next = den_zn + 32;
        for s in &sets {
            den_sets.push(next);
            next += 32 * s.shifts.len();
        }
        let den_zs = next;
        let sums = mem.alloc(sets.len());
        let prods = mem.alloc(den_total.max(sets.len()));
        let zs1_slot = mem.alloc(1);
        let scal = mem.alloc(q_poly + 1);
        let (gsc_slot, gp_slot) = (mem.alloc(1), mem.alloc(1));

        let acc = mem.alloc(2 + 3);
        let pair = mem.alloc(12);
        Ok(Self {
            protocol,
            num_instances,
            tis,
            plen,
            inst_off,
            n_pre,
            n_wit,
            q_poly,
            n_eval,
            wit_off,
            quot_off,
            eval_off,
            w_off,
            wp_off,
            total,
            mem,
            hash_buf,
            challenges,
            z_slot,
            zp_slot,
            mu_slot,
            gamma_slot,
            zn_slot,
            evals,
            h_slot,
            eval_slot,
            numerator,
            lagranges,
            lag_omega,
            lagrange_slot,
            instance_slot,
            sets,
            den_total,
            den,
            den_zn,
            den_sets,
            den_zs,
            sums,
            prods,
            zs1_slot,
            scal,
            gsc_slot,
            gp_slot,
            hints,
            acc,
            pair,
        })
    }

    /// ω^s.
    fn omega(&self, s: i32) -> Fr {
        self.protocol.domain.rotate_scalar(Fr::ONE, Rotation(s))
    }

    /// ℓ'_j of a rotation set: Π_{i≠j} (ω^{s_j} − ω^{s_i}).
    fn weight_numerator(&self, shifts: &[i32], j: usize) -> Fr {
        let wj = self.omega(shifts[j]);
        shifts
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != j)
            .fold(Fr::ONE, |a, (_, &si)| a * (wj - self.omega(si)))
    }
}

/// The two inversion hints the generated verifier checks: the inverses of the products it
/// batches, computed here exactly as the verifier computes the products (the same transcript
/// replay over `instances ‖ transcript`, the same denominators in the same order).
pub fn hints(
    protocol: &PlonkProtocol<G1Affine>,
    instances: &[Fr],
    transcript: &[u8],
) -> Result<[u8; HINT_BYTES], EvmError> {
    let p = Plan::new(protocol, instances.len())?;
    let tlen = p.plen - HINT_BYTES;
    if transcript.len() != tlen {
        return Err(gen_err(&format!(
            "a transcript of {} bytes, this circuit's has {tlen}",
            transcript.len()
        )));
    }
    let at = |o: usize| o - PROOF_OFFSET;
    // The transcript, as the verifier's `transcript` stage squeezes it.
    let mut state = word(&p.tis);
    let mut first = true;
    let mut squeeze = |start: &mut usize, end: usize| -> Fr {
        let mut buf = state.to_vec();
        if std::mem::take(&mut first) {
            buf.extend(instances.iter().flat_map(word));
            buf.extend_from_slice(&transcript[at(*start)..at(end)]);
        } else if end > *start {
            buf.extend_from_slice(&transcript[at(*start)..at(end)]);
        } else {
            buf.push(1);
        }
        state = ethers_core::utils::keccak256(&buf);
        *start = end;
        reduce(&state)
    };
    let (mut span_start, mut pos) = (p.wit_off, p.wit_off);
    for (&nw, &nc) in protocol.num_witness.iter().zip(&protocol.num_challenge) {
        pos += 64 * nw;
        for _ in 0..nc {
            squeeze(&mut span_start, pos);
        }
    }
    let z = squeeze(&mut span_start, p.eval_off);
    squeeze(&mut span_start, p.w_off); // μ
    squeeze(&mut span_start, p.w_off); // γ
    let zp = squeeze(&mut span_start, p.wp_off);

    // The first batch, in the verifier's memory order: z − ω^i per Lagrange polynomial,
    // z^n − 1, each set's weight denominators, then z_s of the sets after the first.
    let mut zn = z;
    for _ in 0..protocol.domain.k {
        zn = zn.square();
    }
    let mut den: Vec<Fr> = p.lagranges.iter().map(|&i| z - p.omega(i)).collect();
    den.push(zn - Fr::ONE);
    let mut set_entries: Vec<Vec<Fr>> = Vec::new();
    let mut zs_after_first = Vec::new();
    for (t, s) in p.sets.iter().enumerate() {
        let zk = (1..s.shifts.len()).fold(Fr::ONE, |a, _| a * z);
        let mut zs = Fr::ONE;
        let mut entries = Vec::new();
        for (j, &sj) in s.shifts.iter().enumerate() {
            let wj = p.omega(sj);
            let ell = p.weight_numerator(&s.shifts, j);
            let d = zp - wj * z;
            zs *= d;
            entries.push(ell * zk * d);
        }
        if t > 0 {
            zs_after_first.push(zs);
        }
        set_entries.push(entries);
    }
    den.extend(set_entries.iter().flatten());
    den.extend(zs_after_first);
    let invert = |v: Fr| -> Result<Fr, EvmError> {
        Option::from(v.invert()).ok_or_else(|| gen_err("a batched product is zero"))
    };
    let first_inverse = invert(den.iter().product())?;
    // The second batch: per set, the sum of its weights (the inverted entries).
    let mut sums = Vec::new();
    for entries in &set_entries {
        let mut sum = Fr::ZERO;
        for &e in entries {
            sum += invert(e)?;
        }
        sums.push(sum);
    }
    let second_inverse = invert(sums.iter().product())?;
    let mut out = [0u8; HINT_BYTES];
    out[..32].copy_from_slice(&word(&first_inverse));
    out[32..].copy_from_slice(&word(&second_inverse));
    Ok(out)
}

/// A field element as a 32-byte big-endian word.
fn word(f: &Fr) -> [u8; 32] {
    let mut b = f.to_repr();
    b.reverse();
    b
}

/// A 256-bit big-endian word mod r (the verifier's `mod(h, r)`).
fn reduce(h: &[u8; 32]) -> Fr {
    let hi = u128::from_be_bytes(h[..16].try_into().expect("16 bytes"));
    let lo = u128::from_be_bytes(h[16..].try_into().expect("16 bytes"));
    let two64 = Fr::from_u128(1u128 << 64);
    Fr::from_u128(hi) * two64 * two64 + Fr::from_u128(lo)
}

/// The quotient numerator as our own tree.
fn numerator_tree(protocol: &PlonkProtocol<G1Affine>) -> Rc<Node> {
    protocol.quotient.numerator.evaluate(
        &|c: Fr| Rc::new(Node::Const(c)),
        &|p| {
            let s = format!("{p:?}");
            if s == "Identity" {
                Rc::new(Node::Identity)
            } else {
                let i = s
                    .trim_start_matches("Lagrange(")
                    .trim_end_matches(')')
                    .parse()
                    .expect("Lagrange(i)");
                Rc::new(Node::Lagrange(i))
            }
        },
        &|q| {
            Rc::new(Node::Poly {
                poly: q.poly,
                rotation: q.rotation.0,
            })
        },
        &|i| Rc::new(Node::Challenge(i)),
        &|a| Rc::new(Node::Neg(a)),
        &|a, b| Rc::new(Node::Sum(a, b)),
        &|a, b| Rc::new(Node::Prod(a, b)),
        &|a, c| Rc::new(Node::Scaled(a, c)),
    )
}

/// The Lagrange polynomials a numerator reads, and its queries of the instance polynomial.
fn lagranges_and_instances(
    n: &Node,
    lag: &mut BTreeSet<i32>,
    inst: &mut BTreeSet<(usize, i32)>,
    instance_poly: usize,
) {
    match n {
        Node::Lagrange(i) => {
            lag.insert(*i);
        }
        Node::Poly { poly, rotation } if *poly == instance_poly => {
            inst.insert((*poly, *rotation));
        }
        Node::Neg(a) | Node::Scaled(a, _) => lagranges_and_instances(a, lag, inst, instance_poly),
        Node::Sum(a, b) | Node::Prod(a, b) => {
            lagranges_and_instances(a, lag, inst, instance_poly);
            lagranges_and_instances(b, lag, inst, instance_poly);
        }
        _ => {}
    }
}

/// Stage 1: the calldata's length; instances and evaluations (copied to memory) below r; every
/// point on the curve. A malformed point would make the precompiles burn all the gas given to
/// them, so all of it is checked before any precompile.
fn ranges(p: &Plan, c: &mut String) {
    let (evals, eval_off) = (p.evals, p.eval_off);
    writeln!(c, "let r := {}", Fr::MODULUS).unwrap();
    writeln!(c, "let ok := eq(calldatasize(), {:#x})", p.total).unwrap();
    writeln!(c, "// stage: ranges and points").unwrap();
    // The canonical encoding of (bytes, uint256[]) with this proof length and instance count,
    // as every ABI encoder writes it: the fixed offsets below hold.
    writeln!(
        c,
        "ok := and(ok, and(eq(calldataload(0x4), 0x40), eq(calldataload(0x24), {:#x})))",
        0x60 + p.plen
    )
    .unwrap();
    writeln!(
        c,
        "ok := and(ok, and(eq(calldataload(0x44), {:#x}), eq(calldataload({:#x}), {})))",
        p.plen,
        p.inst_off - 32,
        p.num_instances
    )
    .unwrap();
    for i in 0..p.num_instances {
        writeln!(
            c,
            "ok := and(ok, lt(calldataload({:#x}), r))",
            p.inst_off + 32 * i
        )
        .unwrap();
    }
    writeln!(
        c,
        "calldatacopy({evals:#x}, {eval_off:#x}, {:#x})",
        32 * p.n_eval
    )
    .unwrap();
    for i in 0..p.n_eval {
        writeln!(c, "ok := and(ok, lt(mload({:#x}), r))", evals + 32 * i).unwrap();
    }
    for o in (p.wit_off..p.eval_off)
        .step_by(64)
        .chain([p.w_off, p.wp_off])
    {
        writeln!(
            c,
            "ok := and(ok, on_curve(calldataload({o:#x}), calldataload({:#x})))",
            o + 32
        )
        .unwrap();
    }
    writeln!(c, "if iszero(ok) {{ revert(0, 0) }}").unwrap();
}

/// Stage 2: the Fiat–Shamir challenges, Keccak over the state word and each contiguous
/// calldata span.
fn transcript(p: &Plan, c: &mut String) {
    writeln!(c, "// stage: transcript").unwrap();
    writeln!(c, "mstore({:#x}, {})", p.hash_buf, field_hex(&p.tis)).unwrap();
    let mut span_start = p.wit_off;
    let mut pos = p.wit_off;
    let mut ch = 0usize;
    // The first squeeze absorbs the instances (after the proof in calldata), then the proof's
    // first span.
    let mut first = true;
    let (inst_off, inst_bytes, hb1) = (p.inst_off, 32 * p.num_instances, p.hash_buf + 32);
    let hash_buf = p.hash_buf;
    let mut squeeze = |c: &mut String, start: &mut usize, end: usize, out: usize| {
        if std::mem::take(&mut first) {
            writeln!(
                c,
                "calldatacopy({hb1:#x}, {inst_off:#x}, {inst_bytes:#x}) calldatacopy({:#x}, {:#x}, {:#x}) {{ let h := keccak256({hash_buf:#x}, {:#x}) mstore({hash_buf:#x}, h) mstore({out:#x}, mod(h, r)) }}",
                hb1 + inst_bytes,
                *start,
                end - *start,
                32 + inst_bytes + end - *start
            )
            .unwrap();
        } else if end > *start {
            writeln!(
                c,
                "mstore({out:#x}, squeeze({:#x}, {:#x}))",
                *start,
                end - *start
            )
            .unwrap();
        } else {
            writeln!(c, "mstore({out:#x}, squeeze_empty())").unwrap();
        }
        *start = end;
    };
    for (&nw, &nc) in p.protocol.num_witness.iter().zip(&p.protocol.num_challenge) {
        pos += 64 * nw;
        for _ in 0..nc {
            squeeze(c, &mut span_start, pos, p.challenges[ch]);
            ch += 1;
        }
    }
    squeeze(c, &mut span_start, p.eval_off, p.z_slot);
    squeeze(c, &mut span_start, p.w_off, p.mu_slot);
    squeeze(c, &mut span_start, p.w_off, p.gamma_slot);
    squeeze(c, &mut span_start, p.wp_off, p.zp_slot);
}

/// Stage 3a: `z^n`; ω^i per Lagrange polynomial and `z − ω^i`; per rotation set
/// `d_j = z' − ω^{s_j}·z`, the weight denominators `ℓ'_j·z^{k−1}·d_j` and `z_s = Π d_j`; then
/// all of them inverted at once (the first hint).
fn lagranges(p: &Plan, c: &mut String) {
    let (z_slot, zp_slot, zn_slot, den_zn) = (p.z_slot, p.zp_slot, p.zn_slot, p.den_zn);
    writeln!(c, "// stage: lagranges and set denominators").unwrap();
    writeln!(
        c,
        "{{ let z := mload({z_slot:#x}) let zn := z for {{ let i := 0 }} lt(i, {}) {{ i := add(i, 1) }} {{ zn := mulmod(zn, zn, r) }} mstore({zn_slot:#x}, zn) mstore({den_zn:#x}, addmod(zn, sub(r, 1), r))",
        p.protocol.domain.k
    )
    .unwrap();
    // Runs of consecutive i step by one multiplication instead of a constant each.
    let mut prev: Option<i32> = None;
    writeln!(c, "let w := 0 let om := {}", field_hex(&p.omega(1))).unwrap();
    for (k, &i) in p.lagranges.iter().enumerate() {
        if prev == Some(i - 1) {
            writeln!(c, "w := mulmod(w, om, r)").unwrap();
        } else {
            writeln!(c, "w := {}", field_hex(&p.omega(i))).unwrap();
        }
        prev = Some(i);
        writeln!(
            c,
            "mstore({:#x}, w) mstore({:#x}, addmod(z, sub(r, w), r))",
            p.lag_omega + 32 * k,
            p.den + 32 * k
        )
        .unwrap();
    }
    writeln!(c, "}}").unwrap();
    for (t, s) in p.sets.iter().enumerate() {
        let k = s.shifts.len();
        let zs_out = if t == 0 {
            p.zs1_slot
        } else {
            p.den_zs + 32 * (t - 1)
        };
        writeln!(
            c,
            "{{ let z := mload({z_slot:#x}) let zp := mload({zp_slot:#x}) let zk := 1 for {{ let i := 1 }} lt(i, {k}) {{ i := add(i, 1) }} {{ zk := mulmod(zk, z, r) }} let zs := 1 let d := 0"
        )
        .unwrap();
        for (j, &sj) in s.shifts.iter().enumerate() {
            let wj = p.omega(sj);
            let ell = p.weight_numerator(&s.shifts, j);
            let zw = if sj == 0 {
                "z".to_string()
            } else {
                format!("mulmod(z, {}, r)", field_hex(&wj))
            };
            writeln!(
                c,
                "d := addmod(zp, sub(r, {zw}), r) zs := mulmod(zs, d, r) mstore({:#x}, mulmod(mulmod({}, zk, r), d, r))",
                p.den_sets[t] + 32 * j,
                lit(&ell)
            )
            .unwrap();
        }
        writeln!(c, "mstore({zs_out:#x}, zs) }}").unwrap();
    }
    writeln!(c, "// stage: first inversion").unwrap();
    batch_invert_unrolled(c, p.den, p.den_total, p.prods, p.hints);
}

/// Stage 3b: `L_i = (z^n − 1)/n · ω^i / (z − ω^i)`, the instance evaluations, and the quotient
/// numerator (the circuit's gates and lookup, straight-line with its constants) divided by
/// `z^n − 1`.
fn numerator(p: &mut Plan, c: &mut String) -> Result<(), EvmError> {
    writeln!(c, "// stage: numerator").unwrap();
    writeln!(
        c,
        "{{ let f := mulmod(addmod(mload({:#x}), sub(r, 1), r), {}, r)",
        p.zn_slot,
        field_hex(&p.protocol.domain.n_inv)
    )
    .unwrap();
    for k in 0..p.lagranges.len() {
        let (a, d) = (p.lag_omega + 32 * k, p.den + 32 * k);
        writeln!(
            c,
            "mstore({a:#x}, mulmod(mulmod(f, mload({a:#x}), r), mload({d:#x}), r))"
        )
        .unwrap();
    }
    writeln!(c, "}}").unwrap();
    for (&(_, rot), &slot) in &p.instance_slot {
        let terms: Vec<String> = (0..p.num_instances as i32)
            .map(|j| {
                format!(
                    "mulmod(calldataload({:#x}), mload({:#x}), r)",
                    p.inst_off + 32 * j as usize,
                    p.lagrange_slot[&(j - rot)]
                )
            })
            .collect();
        writeln!(c, "mstore({slot:#x}, {})", accumulate(&terms)).unwrap();
    }
    let numer_slot = p.mem.alloc(1);
    let mut em = Emitter {
        code: String::new(),
        mem: &mut p.mem,
        eval_slot: &p.eval_slot,
        instance_slot: &p.instance_slot,
        lagrange_slot: &p.lagrange_slot,
        challenge_slot: &p.challenges,
        z_slot: p.z_slot,
    };
    em.store(numer_slot, &p.numerator)?;
    c.push_str(&em.code);
    writeln!(
        c,
        "mstore({:#x}, mulmod(mload({numer_slot:#x}), mload({:#x}), r))",
        p.h_slot, p.den_zn
    )
    .unwrap();
    Ok(())
}

/// Stage 4a (BDFG21): Σ weights per set and their inverses (the second hint); the scalar of each
/// commitment and the constant term.
fn scalars(p: &Plan, c: &mut String) {
    let (gsc_slot, gp_slot, mu_slot, gamma_slot, zs1_slot) =
        (p.gsc_slot, p.gp_slot, p.mu_slot, p.gamma_slot, p.zs1_slot);
    writeln!(c, "// stage: second inversion").unwrap();
    for (t, s) in p.sets.iter().enumerate() {
        let terms: Vec<String> = (0..s.shifts.len())
            .map(|j| format!("mload({:#x})", p.den_sets[t] + 32 * j))
            .collect();
        writeln!(
            c,
            "{{ {} mstore({:#x}, e) }}",
            sum_into_e(&terms),
            p.sums + 32 * t
        )
        .unwrap();
    }
    batch_invert_unrolled(c, p.sums, p.sets.len(), p.prods, p.hints + 32);
    writeln!(c, "// stage: commitment scalars").unwrap();
    writeln!(c, "mstore({gsc_slot:#x}, 0) mstore({gp_slot:#x}, 1)").unwrap();
    for (t, s) in p.sets.iter().enumerate() {
        let cc = if t == 0 {
            "1".to_string()
        } else {
            format!(
                "mulmod(mload({zs1_slot:#x}), mload({:#x}), r)",
                p.den_zs + 32 * (t - 1)
            )
        };
        writeln!(
            c,
            "{{ let gp := mload({gp_slot:#x}) let cc := {cc} let rc := mulmod(cc, mload({:#x}), r) let mp := 1 let g := mload({gsc_slot:#x})",
            p.sums + 32 * t
        )
        .unwrap();
        for (u, (poly, slots)) in s.polys.iter().enumerate() {
            if u > 0 {
                writeln!(c, "mp := mulmod(mp, mload({mu_slot:#x}), r)").unwrap();
            }
            let terms: Vec<String> = slots
                .iter()
                .enumerate()
                .map(|(j, sl)| {
                    format!(
                        "mulmod(mload({:#x}), mload({sl:#x}), r)",
                        p.den_sets[t] + 32 * j
                    )
                })
                .collect();
            let reval = sum_into_e(&terms);
            writeln!(
                c,
                "{{ let m := mulmod(mp, gp, r) mstore({:#x}, mulmod(cc, m, r)) {reval} g := addmod(g, sub(r, mulmod(mulmod(e, rc, r), m, r)), r) }}",
                p.scal + 32 * poly
            )
            .unwrap();
        }
        writeln!(
            c,
            "mstore({gsc_slot:#x}, g) mstore({gp_slot:#x}, mulmod(gp, mload({gamma_slot:#x}), r)) }}"
        )
        .unwrap();
    }
}

/// Stage 4b: the MSM by precompiles, lhs = Σ scalar·commitment + g·G − z_s·W + z'·W'.
fn msm(p: &Plan, params: &ParamsKZG<Bn256>, c: &mut String) {
    let (acc, scal, zn_slot, gsc_slot, zs1_slot, zp_slot) =
        (p.acc, p.scal, p.zn_slot, p.gsc_slot, p.zs1_slot, p.zp_slot);
    let (quot_off, eval_off, w_off, wp_off) = (p.quot_off, p.eval_off, p.w_off, p.wp_off);
    writeln!(c, "// stage: msm").unwrap();
    writeln!(c, "mstore({acc:#x}, 0) mstore({:#x}, 0)", acc + 32).unwrap();
    let in_sets = |poly: usize| {
        p.sets
            .iter()
            .any(|s| s.polys.iter().any(|(q, _)| *q == poly))
    };
    // The first polynomial of the first set has scalar 1 (μ⁰·γ⁰, no set coefficient): an
    // addition, no multiplication.
    let unit_poly = p.sets[0].polys[0].0;
    let term = |x: String, y: String, poly: usize| {
        if poly == unit_poly {
            format!("ok := and(ok, ec_add({x}, {y}))")
        } else {
            format!(
                "ok := and(ok, ec_mul_add({x}, {y}, mload({:#x})))",
                scal + 32 * poly
            )
        }
    };
    for (i, pt) in p.protocol.preprocessed.iter().enumerate() {
        if in_sets(i) {
            writeln!(c, "{}", term(field_hex(&pt.x), field_hex(&pt.y), i)).unwrap();
        }
    }
    for w in 0..p.n_wit {
        let poly = p.n_pre + 1 + w;
        if in_sets(poly) {
            let o = p.wit_off + 64 * w;
            let (x, y) = (
                format!("calldataload({o:#x})"),
                format!("calldataload({:#x})", o + 32),
            );
            writeln!(c, "{}", term(x, y, poly)).unwrap();
        }
    }
    writeln!(
        c,
        "{{ let s := mload({:#x}) let zc := 1 for {{ let i := 0 }} lt(i, {}) {{ i := add(i, 1) }} {{ zc := mulmod(zc, mload({zn_slot:#x}), r) }} for {{ let o := {quot_off:#x} }} lt(o, {eval_off:#x}) {{ o := add(o, 0x40) }} {{ ok := and(ok, ec_mul_add(calldataload(o), calldataload(add(o, 0x20)), s)) s := mulmod(s, zc, r) }} }}",
        scal + 32 * p.q_poly,
        p.protocol.quotient.chunk_degree
    )
    .unwrap();
    let g = params.get_g()[0];
    writeln!(
        c,
        "ok := and(ok, ec_mul_add({}, {}, mload({gsc_slot:#x})))",
        field_hex(&g.x),
        field_hex(&g.y)
    )
    .unwrap();
    writeln!(
        c,
        "ok := and(ok, ec_mul_add(calldataload({w_off:#x}), calldataload({:#x}), sub(r, mload({zs1_slot:#x}))))",
        w_off + 32
    )
    .unwrap();
    writeln!(
        c,
        "ok := and(ok, ec_mul_add(calldataload({wp_off:#x}), calldataload({:#x}), mload({zp_slot:#x})))",
        wp_off + 32
    )
    .unwrap();
}

/// Stage 4c: the pairing `e(lhs, g2) · e(rhs, −s·g2) = 1` with rhs = W', and the verdict.
fn pairing(p: &Plan, params: &ParamsKZG<Bn256>, c: &mut String) {
    let (pair, acc, wp_off) = (p.pair, p.acc, p.wp_off);
    writeln!(c, "// stage: pairing").unwrap();
    let g2 = params.g2();
    let msg2: G2Affine = -params.s_g2();
    let g2_words = |p: &G2Affine| {
        [
            field_hex(&p.x.c1),
            field_hex(&p.x.c0),
            field_hex(&p.y.c1),
            field_hex(&p.y.c0),
        ]
    };
    let (a, b) = (g2_words(&g2), g2_words(&msg2));
    writeln!(
        c,
        "mstore({pair:#x}, mload({acc:#x})) mstore({:#x}, mload({:#x}))",
        pair + 32,
        acc + 32
    )
    .unwrap();
    for (i, w) in a.iter().enumerate() {
        writeln!(c, "mstore({:#x}, {w})", pair + 64 + 32 * i).unwrap();
    }
    writeln!(
        c,
        "mstore({:#x}, calldataload({wp_off:#x})) mstore({:#x}, calldataload({:#x}))",
        pair + 192,
        pair + 224,
        wp_off + 32
    )
    .unwrap();
    for (i, w) in b.iter().enumerate() {
        writeln!(c, "mstore({:#x}, {w})", pair + 256 + 32 * i).unwrap();
    }
    writeln!(
        c,
        "ok := and(ok, staticcall(gas(), 0x8, {pair:#x}, 0x180, {pair:#x}, 0x20))\nok := and(ok, eq(mload({pair:#x}), 1))\nif iszero(ok) {{ revert(0, 0) }}\nmstore(0, 1)\nreturn(0, 0x20)"
    )
    .unwrap();
}

/// The Yul helpers the stages call: the curve check, the transcript's squeeze, and the two
/// precompile steps of the MSM.
fn functions(p: &Plan) -> String {
    let (hash_buf, acc) = (p.hash_buf, p.acc);
    let r = Fr::MODULUS;
    format!(
        r#"function on_curve(x, y) -> v {{
    let p := {p}
    v := and(and(lt(x, p), lt(y, p)), eq(mulmod(y, y, p), addmod(mulmod(mulmod(x, x, p), x, p), 3, p)))
}}
function squeeze(start, len) -> c {{
    calldatacopy({hb1:#x}, start, len)
    let h := keccak256({hash_buf:#x}, add(0x20, len))
    mstore({hash_buf:#x}, h)
    c := mod(h, {r})
}}
function squeeze_empty() -> c {{
    mstore8({hb1:#x}, 1)
    let h := keccak256({hash_buf:#x}, 0x21)
    mstore({hash_buf:#x}, h)
    c := mod(h, {r})
}}
function ec_add(x, y) -> ok {{
    mstore({t0:#x}, x) mstore({t1:#x}, y)
    ok := staticcall(gas(), 0x6, {acc:#x}, 0x80, {acc:#x}, 0x40)
}}
function ec_mul_add(x, y, s) -> ok {{
    mstore({t0:#x}, x) mstore({t1:#x}, y) mstore({t2:#x}, s)
    ok := staticcall(gas(), 0x7, {t0:#x}, 0x60, {t0:#x}, 0x40)
    ok := and(ok, staticcall(gas(), 0x6, {acc:#x}, 0x80, {acc:#x}, 0x40))
}}
"#,
        p = Fq::MODULUS,
        hb1 = hash_buf + 32,
        t0 = acc + 64,
        t1 = acc + 96,
        t2 = acc + 128,
    )
}

/// `inputDigest(bytes proof)`: `d`, the keccak256 of the commitments to the columns that hold
/// the input, at their offsets in a proof of this vk (none for a layout without such columns).
fn input_digest_function(p: &Plan, columns: &[usize]) -> Result<String, EvmError> {
    if columns.is_empty() {
        return Ok(String::new());
    }
    let first_phase = p.protocol.num_witness.first().copied().unwrap_or(0);
    if let Some(c) = columns.iter().find(|&&c| c >= first_phase) {
        return Err(gen_err(&format!(
            "input column {c} is not among the {first_phase} advice columns committed first"
        )));
    }
    let parts: Vec<String> = crate::binding::proof_offsets(columns)
        .into_iter()
        .map(|r| format!("proof[{}:{}]", r.start, r.end))
        .collect();
    Ok(format!(
        r#"

    /// d: keccak256 of the commitments to the advice columns that hold the judge's input alone
    /// (they are not blinded, so d is a function of the input: `idol commit` recomputes it from
    /// input.json). A contest compares it with the registered recording's.
    function inputDigest(bytes calldata proof) external pure returns (bytes32) {{
        require(proof.length == {plen}, "not a proof of this circuit (wrong length)");
        return keccak256(abi.encodePacked({parts}));
    }}"#,
        plen = p.plen,
        parts = parts.join(", ")
    ))
}

/// The contract around the Yul body (the helpers, then the stages) and the input digest.
fn contract(functions: &str, stages: &str, digest: &str) -> String {
    let body = format!("{functions}{stages}");
    let body = body
        .lines()
        .map(|l| format!("            {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        r#"// SPDX-License-Identifier: MIT
// Generated by cryptoidol from the verifying key: PLONK/KZG (SHPLONK) verifier for the judge
// circuit, with the standard interface verifyProof(bytes proof, uint256[] instances).
pragma solidity ^0.8.19;

contract Halo2Verifier {{
    /// True if `proof` is valid for the public `instances` ([key, score]); reverts otherwise
    /// (and on any encoding but the canonical ABI one every client writes).
    function verifyProof(bytes calldata, uint256[] calldata) external view returns (bool) {{
        assembly {{
{body}
        }}
    }}{digest}
}}
"#
    )
}
