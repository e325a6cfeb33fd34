//! `idol judge` / `judge::judge`: one recording and an address to a proven, verified and
//! rewarded score (issue 8). Uses a clip of the embedded synthetic corpus and a real anvil.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use cryptoidol::evm::anvil::Anvil;
use cryptoidol::judge::{judge, ChainMode, JudgeOptions};
use cryptoidol::prelude::*;

const SINGER: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

fn write_wav(path: &Path, rate: u32, channels: u16, seconds: f32, amplitude: f32) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let n = (rate as f32 * seconds) as usize;
    for i in 0..n {
        let t = i as f32 / rate as f32;
        let v = amplitude * (2.0 * std::f32::consts::PI * 220.0 * t).sin();
        for _ in 0..channels {
            w.write_sample((v * i16::MAX as f32) as i16).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// Any clip of the embedded corpus.
fn corpus_clip(ws: &Workspace) -> PathBuf {
    let source = steps::voice_data_from(ws, None).unwrap();
    scan(&source.root).unwrap().clips[3].path.clone()
}

#[test]
fn judge_proves_verifies_on_chain_and_credits_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(dir.path()).unwrap();
    let clip = corpus_clip(&ws);

    // Nothing is set up yet: --no-setup refuses, naming the command that makes it.
    let refused = judge(
        &ws,
        &clip,
        SINGER,
        &JudgeOptions {
            chain: ChainMode::Off,
            setup: false,
            contest: true,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(refused.contains("idol train"), "{refused}");

    // Native only: trains, calibrates and sets up on the way, saying so.
    let j = judge(
        &ws,
        &clip,
        SINGER,
        &JudgeOptions {
            chain: ChainMode::Off,
            setup: true,
            contest: true,
        },
    )
    .unwrap();
    assert!(j.verified, "{j}");
    assert!(j.onchain.is_none());
    assert!(
        j.notes.iter().any(|n| n.contains("trained")),
        "{:?}",
        j.notes
    );
    let settings = cryptoidol::settings::Settings::load(ws.settings()).unwrap();
    let calibrated = settings.calibration.unwrap().max_error;
    assert!(
        (j.proven_score - j.float_score).abs() <= calibrated.max(0.002),
        "proven {} vs float {} (calibrated error {calibrated})",
        j.proven_score,
        j.float_score
    );
    assert_eq!(j.key, SINGER, "the key as given, with its EIP-55 checksum");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.judgement()).unwrap()).unwrap();
    assert_eq!(written["score_q"], j.score_q);
    assert_eq!(written["verified"], true);

    // With a node: the verifier and the rewards contract are deployed, the proof is accepted
    // on chain, and the credit lands on the singer's key (the sender is another account).
    let url = common::free_local_url();
    let node = Anvil::connect_or_start(&url).unwrap();
    let j = judge(
        &ws,
        &clip,
        SINGER,
        &JudgeOptions {
            chain: ChainMode::At(url.clone()),
            setup: true,
            contest: true,
        },
    )
    .unwrap();
    assert!(j.notes.iter().all(|n| !n.contains("trained")), "reused");
    let on = j.onchain.as_ref().expect("verified on chain");
    assert!(on.accepted, "{j}");
    assert!(on.gas_used > 100_000);
    let reward = j.reward.as_ref().expect("submitted to JudgeRewards");
    assert!(reward.accepted, "{j}");
    assert_eq!(reward.credit, j.score_q.to_string(), "credited to the key");
    assert!(
        j.notes
            .iter()
            .any(|n| n.contains("registered the recording")),
        "{:?}",
        j.notes
    );
    // d as `idol commit` recomputes it from the clip's input alone is the one registered.
    let out = Command::new(env!("CARGO_BIN_EXE_idol"))
        .args(["commit", "--dir"])
        .arg(dir.path())
        .arg("-D")
        .arg(dir.path().join("judge_input.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let d = stdout.lines().last().unwrap().trim().to_string();
    assert!(d.starts_with("0x") && d.len() == 66, "{stdout}");
    assert_eq!(
        d, reward.input_digest,
        "idol commit's d is the registered one"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("local SRS"),
        "a local SRS is warned about"
    );

    // The same recording judged again: contracts are reused, a new proof is made and verified,
    // and the rewards contract pays the judgement once (the key's best proven score).
    let j2 = judge(
        &ws,
        &clip,
        SINGER,
        &JudgeOptions {
            chain: ChainMode::At(url.clone()),
            setup: false,
            contest: true,
        },
    )
    .unwrap();
    assert!(j2.onchain.as_ref().unwrap().accepted, "{j2}");
    assert_eq!(j2.score_q, j.score_q);
    let again = j2.reward.as_ref().unwrap();
    assert!(!again.accepted, "{j2}");
    assert_eq!(again.credit, j.score_q.to_string(), "{j2}");
    assert_eq!(
        again.reason.as_deref(),
        Some("this recording was already paid"),
        "{j2}"
    );
    assert!(j2.to_string().contains("already paid"), "{j2}");

    // `idol submit` of the same proof: the contract's reason, and a non-zero exit.
    let out = Command::new(env!("CARGO_BIN_EXE_idol"))
        .args(["submit", "--dir"])
        .arg(dir.path())
        .arg("--proof-path")
        .arg(dir.path().join("judge_proof.json"))
        .args(["--rpc-url", &url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("this recording was already paid"), "{text}");

    // A standard client (ethers.js v6) with nothing but the workspace's files: the ABI files,
    // the EIP-55 address files and proof.json as written.
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/clients/ethers_client.mjs"
    );
    let out = Command::new("node")
        .arg(script)
        .arg(&url)
        .arg(dir.path())
        .arg(dir.path().join("judge_proof.json"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("node runs (npm ci installs ethers)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let client: serde_json::Value =
        serde_json::from_slice(out.stdout.trim_ascii()).expect("one JSON line");
    assert_eq!(client["valid"], true, "{client}");
    assert_eq!(client["flipped"], "reverted", "{client}");
    assert_eq!(
        client["inputDigest"],
        reward.input_digest.as_str(),
        "{client}"
    );
    assert_eq!(
        client["submit"], "this recording was already paid",
        "{client}"
    );
    assert_eq!(client["key"], SINGER, "{client}");
    assert_eq!(client["credit"], j.score_q.to_string(), "{client}");

    // The contest by CLI: a new contest, the organizer registers the clip, the proof is paid once.
    let idol = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_idol"))
            .args(args)
            .arg("--dir")
            .arg(dir.path())
            .args(["--rpc-url", &url])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let (ok, text) = idol(&["deploy-contest"]);
    assert!(ok && text.contains("RecordingRegistry at"), "{text}");
    let input = dir.path().join("judge_input.json");
    let register = ["register", "-D", input.to_str().unwrap(), "--key", SINGER];
    let (ok, text) = idol(&register);
    assert!(ok && text.contains(&reward.input_digest), "{text}");
    assert!(
        text.contains("local SRS"),
        "the local SRS is warned about: {text}"
    );
    let (ok, text) = idol(&register);
    assert!(
        !ok && text.contains("this recording is already registered"),
        "{text}"
    );
    let proof = dir.path().join("judge_proof.json");
    let submit = ["submit", "--proof-path", proof.to_str().unwrap()];
    let (ok, text) = idol(&submit);
    assert!(ok && text.contains("credited"), "{text}");
    let (ok, text) = idol(&submit);
    assert!(
        !ok && text.contains("this recording was already paid"),
        "{text}"
    );

    // Notebook 7's cells: judge another clip without the contest, then the organizer registers
    // it and the proof is submitted, each a step of its own.
    let other = scan(&steps::voice_data_from(&ws, None).unwrap().root)
        .unwrap()
        .clips[4]
        .path
        .clone();
    let j3 = judge(
        &ws,
        &other,
        SINGER,
        &JudgeOptions {
            chain: ChainMode::At(url.clone()),
            setup: false,
            contest: false,
        },
    )
    .unwrap();
    assert!(j3.onchain.as_ref().unwrap().accepted, "{j3}");
    assert!(j3.reward.is_none(), "no contest asked for: {j3}");
    let registration = register_clip(&ws, &url, false).unwrap();
    assert!(
        matches!(
            registration.status,
            cryptoidol::judge::RegistrationStatus::Registered { .. }
        ),
        "{registration}"
    );
    assert_eq!(
        Some(registration.commitment.input_digest),
        cryptoidol::prove::Proof::load(dir.path().join("judge_proof.json"))
            .unwrap()
            .input_digest,
        "the organizer's d (from the features alone) is the proof's"
    );
    let again = register_clip(&ws, &url, false).unwrap();
    assert_eq!(
        again.status,
        cryptoidol::judge::RegistrationStatus::AlreadyRegistered
    );
    let submission = submit_clip(&ws, &url).unwrap();
    assert!(submission.attempt.accepted, "{submission}");
    assert_eq!(
        submission.credit,
        ethers_core::types::U256::from((j.score_q + j3.score_q) as u64),
        "the key holds both recordings' scores"
    );
    assert!(submission.to_string().contains("score 0."), "{submission}");
    let twice = submit_clip(&ws, &url).unwrap();
    assert_eq!(
        twice.attempt.reason.as_deref(),
        Some("this recording was already paid"),
        "{twice}"
    );

    // Notebook 6's demos on the tutorial's own proof (proof.json, for development account 0):
    // a crafted spectrogram is paid by NaiveRewards and refused by the contest; a front-running
    // bot pays the singer; a re-proof earns nothing.
    steps::witness(&ws).unwrap();
    steps::prove(&ws).unwrap();
    let attack = steps::crafted_attack(&ws, &url).unwrap();
    assert!(attack.crafted_a_winner(), "{attack}");
    assert!(attack.naive_pays(), "{attack}");
    assert!(attack.contest_refuses(), "{attack}");
    assert!(
        attack.max_change_db() <= steps::CRAFT_STEP_DB * steps::CRAFT_MAX_STEPS as f32,
        "{attack}"
    );
    // The search moves only cells the judge reads (not the last 3 mel bands or the last frame).
    assert!(
        attack.moved_cells() > 0
            && attack.moved_cells() <= 125 * 129
            && attack.cells() == 128 * 130,
        "{attack}"
    );
    let crafted = cryptoidol::input::InputData::load(ws.crafted_input()).unwrap();
    assert_eq!(
        cryptoidol::prove::Proof::load(ws.crafted_proof())
            .unwrap()
            .input_digest,
        Some(attack.crafted_digest)
    );
    assert_eq!(crafted.xs[0].len(), attack.change.db.len());
    let mev = steps::mev_demo(&ws, &url).unwrap();
    assert!(
        mev.naive_pays_the_bot() && mev.key_is_paid() && mev.paid_once(),
        "{mev}"
    );
    drop(node);

    // The CLI: the same run through `idol judge`, and its output.
    let out = Command::new(env!("CARGO_BIN_EXE_idol"))
        .args(["judge"])
        .arg(&clip)
        .args(["--key", SINGER, "--no-chain", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("native verify: VALID") && text.contains("judgement.json"),
        "{text}"
    );
}

#[test]
fn bad_clips_and_keys_are_refused_before_any_setup() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(dir.path().join("ws")).unwrap();
    let opts = JudgeOptions {
        chain: ChainMode::Off,
        setup: false,
        contest: true,
    };
    let short = dir.path().join("short.wav");
    write_wav(&short, 22_050, 1, 0.3, 0.5);
    let silent = dir.path().join("silent.wav");
    write_wav(&silent, 16_000, 1, 4.0, 0.0);
    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "not audio").unwrap();
    for (clip, expected) in [
        (&short, "the judge needs at least 0.6 s"),
        (&silent, "is silent"),
        (&text, "is not a readable WAV"),
    ] {
        let err = judge(&ws, clip, SINGER, &opts).unwrap_err().to_string();
        assert!(
            err.contains(expected) && err.contains(&clip.display().to_string()),
            "{}: {err}",
            clip.display()
        );
        // The same error the data pipeline gives for that file.
        let pipeline = load_clip(clip, &ClipSpec::tutorial())
            .unwrap_err()
            .to_string();
        assert!(err.contains(&pipeline), "{err} vs {pipeline}");
    }
    // Stereo at 48 kHz is what the corpora hold: accepted by the pipeline, so the judge gets as
    // far as the missing judge (setup is off here).
    let stereo = dir.path().join("stereo48k.wav");
    write_wav(&stereo, 48_000, 2, 4.0, 0.3);
    let err = judge(&ws, &stereo, SINGER, &opts).unwrap_err().to_string();
    assert!(err.contains("idol train"), "{err}");

    for key in [
        "0x1234",
        "f39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "0xZZ9Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "1.5",
    ] {
        let err = judge(&ws, &stereo, key, &opts).unwrap_err().to_string();
        assert!(err.contains("40 hex digits"), "{key}: {err}");
    }
}
