//! Reading the contracts in a notebook: the generated verifier stage by stage
//! ([`VerifierContract::tour`]) and the two rewards contracts' `submit` side by side
//! ([`submit_functions`]).

use super::{solidity_function, VerifierContract, NAIVE_REWARDS_SOL, REWARDS_SOL};
use crate::html::{escape, Code};

/// One section of the generated verifier: the part before the first `// stage: ` marker (the
/// contract's head and its Yul helper functions) is named "functions"; each later one is
/// named by its marker and runs to the next (the last holds the contract's closing lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierStage {
    pub name: String,
    pub text: String,
}

/// The verifier's source split at its `// stage: ` markers, in order; the stages' texts
/// joined give the source back.
pub fn verifier_stages(solidity: &str) -> Vec<VerifierStage> {
    let mut out = vec![VerifierStage {
        name: "functions".into(),
        text: String::new(),
    }];
    for line in solidity.split_inclusive('\n') {
        if let Some(name) = line.trim().strip_prefix("// stage: ") {
            out.push(VerifierStage {
                name: name.to_string(),
                text: String::new(),
            });
        }
        out.last_mut().expect("starts with one").text.push_str(line);
    }
    out
}

/// The tour's name for the contract's members after the last stage.
const INPUT_DIGEST: &str = "input digest";

/// The contract's members after the last stage's code (its `inputDigest`), split off the last
/// stage into one of their own: a member starts at the contract's indentation (four spaces) with
/// a doc comment or `function`.
fn with_members_after(mut stages: Vec<VerifierStage>) -> Vec<VerifierStage> {
    let Some(last) = stages.last_mut().filter(|s| s.name != "functions") else {
        return stages;
    };
    let mut at = 0;
    for line in last.text.split_inclusive('\n') {
        let code = line.trim_start();
        let member = line.len() - code.len() <= 4
            && (code.starts_with("/// ") || code.starts_with("function "));
        if member {
            let text = last.text.split_off(at);
            stages.push(VerifierStage {
                name: INPUT_DIGEST.into(),
                text,
            });
            break;
        }
        at += line.len();
    }
    stages
}

/// What each stage does, in a learner's words.
fn purpose(stage: &str) -> &'static str {
    match stage {
        "functions" => "the interface verifyProof(bytes, uint256[]), and the Yul helpers the stages call: the curve check, the transcript's hash, the precompile calls",
        "ranges and points" => "the calldata's length; every instance and evaluation is a field element below r; every proof point lies on BN254 (before any precompile sees it)",
        "transcript" => "Fiat–Shamir: the verifier's random challenges, recomputed with keccak256 over the instances and the prover's commitments",
        "lagranges and set denominators" => "the vanishing polynomial and the Lagrange evaluations at the challenge point z, and the denominators they need",
        "first inversion" => "the denominators inverted at once; the inverse comes with the proof, and one multiplication checks it (a · a⁻¹ = 1)",
        "numerator" => "the circuit itself: every gate and the lookup argument, evaluated at z, must vanish wherever the selectors are on",
        "second inversion" => "the opening sets' weights inverted, checked the same way with the proof's second inverse",
        "commitment scalars" => "the scalar that multiplies each commitment in the batched KZG opening (SHPLONK)",
        "msm" => "one multi-scalar multiplication over the commitments, by the ecMul (0x07) and ecAdd (0x06) precompiles, EIP-196",
        "pairing" => "one pairing check by the ecPairing precompile (0x08), EIP-197: return true, or revert",
        INPUT_DIGEST => "inputDigest(proof): d, the keccak256 of the input columns' commitments, read from the proof; a contest compares it with the registered recording's",
        _ => "",
    }
}

/// At most `n` characters of a line, with "…" when cut.
fn clip(line: &str, n: usize) -> String {
    let line = line.trim();
    if line.chars().count() <= n {
        line.to_string()
    } else {
        format!("{}…", line.chars().take(n).collect::<String>())
    }
}

/// The lines of a stage worth showing: its first two code lines (comments left out; for the
/// contract's head and the members after the stages, their function signatures), and its first
/// two precompile calls (`staticcall`) when it makes any.
fn excerpt(stage: &VerifierStage) -> Vec<String> {
    let code: Vec<&str> = stage
        .text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect();
    let functions: Vec<&&str> = match stage.name.as_str() {
        "functions" | INPUT_DIGEST => code.iter().filter(|l| l.starts_with("function ")).collect(),
        _ => Vec::new(),
    };
    let mut lines: Vec<String> = if functions.is_empty() {
        code.iter().take(2).map(|l| clip(l, 110)).collect()
    } else {
        functions.iter().take(3).map(|l| clip(l, 110)).collect()
    };
    let calls = code
        .iter()
        .skip(2)
        .filter(|l| l.contains("staticcall("))
        .take(2);
    let mut calls = calls.peekable();
    if calls.peek().is_some() {
        lines.push("…".into());
        lines.extend(calls.map(|l| clip(l, 110)));
    }
    lines
}

/// The generated verifier, one row per stage: its name, its size, what it does, an excerpt.
#[derive(Debug, Clone)]
pub struct VerifierTour {
    pub stages: Vec<VerifierStage>,
}

impl VerifierTour {
    /// Lines of Solidity in all.
    pub fn lines(&self) -> usize {
        self.stages.iter().map(|s| s.text.lines().count()).sum()
    }

    pub fn to_html(&self) -> String {
        let mut h = format!(
            "<div class=\"cryptoidol\"><table><caption style=\"text-align:left;font-weight:bold\">Verifier.sol, stage by stage ({} lines)</caption><thead><tr><th>stage</th><th>lines</th><th>what it checks</th><th>excerpt</th></tr></thead><tbody>",
            self.lines()
        );
        for s in &self.stages {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td><td style=\"text-align:left\"><pre style=\"margin:0\"><code>{}</code></pre></td></tr>",
                escape(&s.name),
                s.text.lines().count(),
                escape(purpose(&s.name)),
                escape(&excerpt(s).join("\n"))
            ));
        }
        h.push_str("</tbody></table><p>The whole file is <code>artifacts/Verifier.sol</code>; each stage of <code>verifyProof</code> is marked <code>// stage: …</code> in it.</p></div>");
        h
    }
}

impl std::fmt::Display for VerifierTour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Verifier.sol, stage by stage ({} lines)", self.lines())?;
        for s in &self.stages {
            writeln!(
                f,
                "{:<32} {:>5} lines  {}",
                s.name,
                s.text.lines().count(),
                purpose(&s.name)
            )?;
        }
        Ok(())
    }
}

impl VerifierContract {
    /// The verifier's source, stage by stage, for a notebook cell (the members after the last
    /// stage, its `inputDigest`, shown as one more).
    pub fn tour(&self) -> VerifierTour {
        VerifierTour {
            stages: with_members_after(verifier_stages(&self.solidity)),
        }
    }
}

/// Two functions' sources side by side.
#[derive(Debug, Clone)]
pub struct SideBySide {
    pub left: Code,
    pub right: Code,
}

impl SideBySide {
    pub fn to_html(&self) -> String {
        format!(
            "<div class=\"cryptoidol\" style=\"display:flex;gap:1em;align-items:flex-start\"><div style=\"flex:1;min-width:0;overflow-x:auto\">{}</div><div style=\"flex:1;min-width:0;overflow-x:auto\">{}</div></div>",
            self.left.to_html(),
            self.right.to_html()
        )
    }
}

impl std::fmt::Display for SideBySide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n\n{}", self.left, self.right)
    }
}

crate::html::notebook_display!(VerifierTour, SideBySide);

/// `NaiveRewards.submit` beside `JudgeRewards.submit`: who gets paid, and for what.
pub fn submit_functions() -> SideBySide {
    SideBySide {
        left: Code {
            caption: "contracts/NaiveRewards.sol: submit (pays msg.sender)".into(),
            text: solidity_function(NAIVE_REWARDS_SOL, "submit")
                .expect("NaiveRewards.sol has submit"),
        },
        right: Code {
            caption: "contracts/JudgeRewards.sol: submit (pays the registered key)".into(),
            text: solidity_function(REWARDS_SOL, "submit").expect("JudgeRewards.sol has submit"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stages_cover_the_source_and_name_each_marker() {
        let sol = "head\nfn\n// stage: one\na\nb\n  // stage: two\nstaticcall(x)\nc\nd\nstaticcall(y)\n}\n";
        let stages = verifier_stages(sol);
        let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["functions", "one", "two"]);
        assert_eq!(
            stages.iter().map(|s| s.text.as_str()).collect::<String>(),
            sol
        );
        assert_eq!(
            excerpt(&stages[2]),
            ["staticcall(x)", "c", "…", "staticcall(y)"]
        );
        let head = VerifierStage {
            name: "functions".into(),
            text: "// licence\npragma x;\nfunction verifyProof() {\nlet a\nfunction ec_add() {\n"
                .into(),
        };
        assert_eq!(
            excerpt(&head),
            ["function verifyProof() {", "function ec_add() {"]
        );
    }

    #[test]
    fn the_members_after_the_last_stage_are_a_stage_of_their_own() {
        let sol = "contract V {\n    function verifyProof() {\n        assembly {\n            // stage: pairing\n            mstore(a)\n            mstore(b)\n            function f() {}\n            ok := staticcall(p)\n        }\n    }\n\n    /// d\n    function inputDigest() {}\n}\n";
        let stages = with_members_after(verifier_stages(sol));
        let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["functions", "pairing", INPUT_DIGEST]);
        assert_eq!(
            stages.iter().map(|s| s.text.as_str()).collect::<String>(),
            sol
        );
        // A Yul function inside a stage is not what the stage shows; the digest's stage shows
        // its signature.
        assert_eq!(
            excerpt(&stages[1]),
            ["mstore(a)", "mstore(b)", "…", "ok := staticcall(p)"]
        );
        assert!(!excerpt(&stages[1])
            .iter()
            .any(|l| l.contains("inputDigest")));
        assert_eq!(excerpt(&stages[2]), ["function inputDigest() {}"]);
        assert!(!purpose(INPUT_DIGEST).is_empty());
        // Without a member after it, the last stage stays whole.
        let bare = verifier_stages("// stage: pairing\nx\n}\n");
        assert_eq!(with_members_after(bare.clone()), bare);
    }

    #[test]
    fn both_submit_functions_are_shown() {
        let s = submit_functions();
        assert!(s.left.text.contains("msg.sender"), "{}", s.left.text);
        assert!(
            s.right.text.contains("function submit("),
            "{}",
            s.right.text
        );
        assert!(s.left.text.contains("function submit("), "{}", s.left.text);
        assert!(
            s.to_html().contains("NaiveRewards.sol") && s.to_html().contains("JudgeRewards.sol")
        );
    }

    #[test]
    fn every_stage_the_generator_marks_has_a_purpose() {
        let src = include_str!("template.rs");
        let marked: Vec<&str> = src
            .lines()
            .filter_map(|l| l.split("\"// stage: ").nth(1))
            .map(|rest| rest.split('"').next().unwrap())
            .collect();
        assert!(marked.len() >= 9, "{marked:?}");
        for name in marked.into_iter().chain(["functions"]) {
            assert!(
                !purpose(name).is_empty(),
                "stage {name:?} has no purpose line"
            );
        }
    }
}
