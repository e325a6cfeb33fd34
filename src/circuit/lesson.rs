//! A passing mock is not a sound circuit: notebook 5's lesson, on a one-neuron ReLU circuit
//! small enough to read.
//!
//! The mock prover checks the constraints a circuit *has*. It cannot notice one that is
//! missing. [`relu_lesson`] runs it on two versions of `y = ReLU(x)`:
//!
//! - **weak**: one gate, `y · (y − x) = 0`. It says y is 0 or x, not which: the cheat
//!   `x = 5, y = 0` (a positive neuron reported as switched off) satisfies it, and the mock says
//!   "satisfied";
//! - **sound**: the judge's way. A sign bit s and a magnitude m with `s · (1 − s) = 0`,
//!   `x = (1 − 2s) · m`, `y = (1 − s) · m`, and m looked up in a table of 0 … 255. A prover who
//!   wants y = 0 for x = 5 must take s = 1 and m = −5, a field element near the modulus that is
//!   no small number: the range lookup fails, and the mock names it.
//!
//! This circuit is the lesson's alone; the judge's circuits ([`super::windowed`],
//! [`super::layered`]) constrain each ReLU the sound way, and the crate's tests tamper with every
//! constraint to show each one is needed.

use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::dev::MockProver;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Constraints, Error, Selector, TableColumn,
};
use halo2_proofs::poly::Rotation;

use crate::html::Table;

/// The range the sound circuit's magnitude is looked up in: 0 … 2^RANGE_BITS − 1.
const RANGE_BITS: usize = 8;
/// Rows: 2^K (the range table needs 256 and the mock a few blinding rows).
const K: u32 = 9;

/// Which version of the one-neuron ReLU circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReluCircuit {
    /// `y · (y − x) = 0` only.
    Weak,
    /// Sign bit, magnitude, and a range lookup on the magnitude.
    #[default]
    Sound,
}

impl ReluCircuit {
    fn describe(self) -> &'static str {
        match self {
            ReluCircuit::Weak => "weak: y·(y − x) = 0",
            ReluCircuit::Sound => {
                "sound: s·(1 − s) = 0, x = (1 − 2s)·m, y = (1 − s)·m, m in 0…255 (lookup)"
            }
        }
    }
}

/// One neuron's claimed values: input x and output y, and for the sound circuit the sign bit
/// and magnitude the prover assigns (the field's `-m` for a negative magnitude).
#[derive(Debug, Clone, Copy)]
struct Claim {
    x: Fr,
    y: Fr,
    s: Fr,
    m: Fr,
}

#[derive(Clone)]
struct ReluConfig {
    x: Column<Advice>,
    y: Column<Advice>,
    s: Column<Advice>,
    m: Column<Advice>,
    q: Selector,
    q_range: Selector,
    range: TableColumn,
}

#[derive(Clone)]
struct OneRelu {
    kind: ReluCircuit,
    claim: Option<Claim>,
}

impl Circuit<Fr> for OneRelu {
    type Config = ReluConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ReluCircuit;

    fn without_witnesses(&self) -> Self {
        Self {
            kind: self.kind,
            claim: None,
        }
    }

    fn params(&self) -> ReluCircuit {
        self.kind
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> ReluConfig {
        Self::configure_with_params(meta, ReluCircuit::Sound)
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, kind: ReluCircuit) -> ReluConfig {
        let (x, y, s, m) = (
            meta.advice_column(),
            meta.advice_column(),
            meta.advice_column(),
            meta.advice_column(),
        );
        let q = meta.selector();
        let q_range = meta.complex_selector();
        let range = meta.lookup_table_column();
        match kind {
            ReluCircuit::Weak => {
                meta.create_gate("relu (weak)", |v| {
                    let q = v.query_selector(q);
                    let (x, y) = (
                        v.query_advice(x, Rotation::cur()),
                        v.query_advice(y, Rotation::cur()),
                    );
                    Constraints::with_selector(q, [y.clone() * (y - x)])
                });
            }
            ReluCircuit::Sound => {
                meta.create_gate("relu (sign and magnitude)", |v| {
                    let q = v.query_selector(q);
                    let mut cur = |c| v.query_advice(c, Rotation::cur());
                    let (x, y, s, m) = (cur(x), cur(y), cur(s), cur(m));
                    let one = halo2_proofs::plonk::Expression::Constant(Fr::ONE);
                    let two = halo2_proofs::plonk::Expression::Constant(Fr::from(2));
                    Constraints::with_selector(
                        q,
                        [
                            ("sign is a bit", s.clone() * (one.clone() - s.clone())),
                            (
                                "x = (1 − 2s)·m",
                                x - (one.clone() - two * s.clone()) * m.clone(),
                            ),
                            ("y = (1 − s)·m", y - (one - s) * m),
                        ],
                    )
                });
                meta.lookup("magnitude in 0…255", |v| {
                    let q = v.query_selector(q_range);
                    vec![(q * v.query_advice(m, Rotation::cur()), range)]
                });
            }
        }
        ReluConfig {
            x,
            y,
            s,
            m,
            q,
            q_range,
            range,
        }
    }

    fn synthesize(&self, cfg: ReluConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_table(
            || "range",
            |mut t| {
                for i in 0..1usize << RANGE_BITS {
                    t.assign_cell(
                        || "range",
                        cfg.range,
                        i,
                        || Value::known(Fr::from(i as u64)),
                    )?;
                }
                Ok(())
            },
        )?;
        layouter.assign_region(
            || "neuron",
            |mut region| {
                cfg.q.enable(&mut region, 0)?;
                if self.kind == ReluCircuit::Sound {
                    cfg.q_range.enable(&mut region, 0)?;
                }
                let cell = |f: fn(&Claim) -> Fr| {
                    self.claim
                        .as_ref()
                        .map_or(Value::unknown(), |c| Value::known(f(c)))
                };
                region.assign_advice(cfg.x, 0, cell(|c| c.x));
                region.assign_advice(cfg.y, 0, cell(|c| c.y));
                region.assign_advice(cfg.s, 0, cell(|c| c.s));
                region.assign_advice(cfg.m, 0, cell(|c| c.m));
                Ok(())
            },
        )
    }
}

/// A signed integer as a field element.
fn signed(v: i64) -> Fr {
    if v < 0 {
        -Fr::from(v.unsigned_abs())
    } else {
        Fr::from(v as u64)
    }
}

/// The mock prover's verdict on one claim: `Ok(())` or the failures it names.
fn mock(kind: ReluCircuit, claim: Claim) -> Result<(), Vec<String>> {
    let circuit = OneRelu {
        kind,
        claim: Some(claim),
    };
    let prover = MockProver::run(K, &circuit, vec![]).map_err(|e| vec![e.to_string()])?;
    prover
        .verify()
        .map_err(|fs| fs.iter().map(|f| f.to_string()).collect())
}

/// One row of the lesson: a circuit, a witness, and what the mock prover said.
#[derive(Debug, Clone, PartialEq)]
pub struct LessonCase {
    pub circuit: ReluCircuit,
    pub witness: String,
    /// True when the claim is what ReLU really gives.
    pub honest: bool,
    /// The failures the mock prover names (empty: "satisfied").
    pub failures: Vec<String>,
}

impl LessonCase {
    pub fn satisfied(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The lesson's table: honest and cheating claims on the weak and the sound circuit.
#[derive(Debug, Clone)]
pub struct ReluLesson {
    pub cases: Vec<LessonCase>,
}

impl ReluLesson {
    /// The case for a circuit and an honest or cheating claim (the first one listed).
    pub fn case(&self, circuit: ReluCircuit, honest: bool) -> Option<&LessonCase> {
        self.cases
            .iter()
            .find(|c| c.circuit == circuit && c.honest == honest)
    }

    fn table(&self) -> Table {
        let mut t = Table::new("the mock prover on y = ReLU(x), x = 5").header([
            "circuit",
            "witness",
            "mock prover",
        ]);
        for c in &self.cases {
            let verdict = if c.satisfied() {
                if c.honest {
                    "satisfied".to_string()
                } else {
                    "satisfied: the cheat passes, no constraint forbids it".to_string()
                }
            } else {
                format!("refused: {}", c.failures.join("; "))
            };
            t = t.row([c.circuit.describe().to_string(), c.witness.clone(), verdict]);
        }
        t.note(
            "A passing mock says the witness meets the constraints the circuit has, not that \
             they pin down the computation. Soundness needs every value constrained: the judge's \
             circuits constrain each ReLU the sound way, and the crate's tests tamper with every \
             constraint to show a forged witness fails.",
        )
    }

    pub fn to_html(&self) -> String {
        self.table().to_html()
    }
}

impl std::fmt::Display for ReluLesson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in &self.cases {
            let verdict = if c.satisfied() {
                "satisfied".to_string()
            } else {
                format!("refused ({})", c.failures.join("; "))
            };
            writeln!(f, "{} | {} | {verdict}", c.circuit.describe(), c.witness)?;
        }
        Ok(())
    }
}

crate::html::notebook_display!(ReluLesson);

/// Notebook 5's lesson: the mock prover on an honest and a cheating claim about one neuron
/// (x = 5: ReLU gives 5, the cheat says 0), under the weak and the sound ReLU circuit.
pub fn relu_lesson() -> ReluLesson {
    let x = 5;
    let honest = Claim {
        x: signed(x),
        y: signed(x),
        s: Fr::ZERO,
        m: signed(x),
    };
    // y = 0 for a positive x: under the sound circuit the prover's only way to make y = (1−s)·m
    // vanish while x = (1−2s)·m holds is s = 1, m = −x.
    let cheat = Claim {
        x: signed(x),
        y: Fr::ZERO,
        s: Fr::ONE,
        m: signed(-x),
    };
    let mut cases = Vec::new();
    for circuit in [ReluCircuit::Weak, ReluCircuit::Sound] {
        for (honest_claim, claim, witness) in [
            (true, honest, "x = 5, y = 5 (honest)"),
            (false, cheat, "x = 5, y = 0 (the cheat; s = 1, m = −5)"),
        ] {
            let failures = match mock(circuit, claim) {
                Ok(()) => vec![],
                Err(f) => f,
            };
            cases.push(LessonCase {
                circuit,
                witness: witness.to_string(),
                honest: honest_claim,
                failures,
            });
        }
    }
    ReluLesson { cases }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_weak_circuit_passes_the_cheat_and_the_sound_one_refuses_it() {
        let lesson = relu_lesson();
        assert_eq!(lesson.cases.len(), 4);
        assert!(lesson.case(ReluCircuit::Weak, true).unwrap().satisfied());
        assert!(lesson.case(ReluCircuit::Weak, false).unwrap().satisfied());
        assert!(lesson.case(ReluCircuit::Sound, true).unwrap().satisfied());
        let refused = lesson.case(ReluCircuit::Sound, false).unwrap();
        assert!(!refused.satisfied());
        assert!(
            refused
                .failures
                .iter()
                .any(|f| f.contains("magnitude in 0…255")),
            "the range lookup names the cheat: {:?}",
            refused.failures
        );
    }

    #[test]
    fn every_sound_constraint_is_needed() {
        // Negative tests: each of the sound circuit's gate constraints refuses a claim that
        // breaks it alone.
        let five = signed(5);
        for (claim, name) in [
            (
                // s = 2 and m = 5: x = (1 − 4)·5 and y = (1 − 2)·5 hold, so only the bit fails.
                Claim {
                    x: signed(-15),
                    y: signed(-5),
                    s: Fr::from(2),
                    m: five,
                },
                "sign is a bit",
            ),
            (
                Claim {
                    x: signed(6),
                    y: five,
                    s: Fr::ZERO,
                    m: five,
                },
                "x = (1 − 2s)·m",
            ),
            (
                Claim {
                    x: five,
                    y: signed(4),
                    s: Fr::ZERO,
                    m: five,
                },
                "y = (1 − s)·m",
            ),
        ] {
            let failures = mock(ReluCircuit::Sound, claim).expect_err(name);
            assert!(
                failures.iter().any(|f| f.contains(name)),
                "{name}: {failures:?}"
            );
        }
        // A negative x switches the neuron off, honestly.
        let off = Claim {
            x: signed(-3),
            y: Fr::ZERO,
            s: Fr::ONE,
            m: signed(3),
        };
        assert!(mock(ReluCircuit::Sound, off).is_ok());
        assert!(mock(ReluCircuit::Weak, off).is_ok());
    }
}
