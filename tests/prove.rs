//! Real KZG proofs: setup, prove, verify; tampered instances and proofs, keys from another
//! model, a PyTorch-style ONNX, EZKL-style float keys, SRS handling and bad files (issue 7).

mod common;

use std::io::{Read, Write};
use std::sync::OnceLock;

use cryptoidol::input::{InputData, Key};
use cryptoidol::prove::{self, gen_witness, Proof, ProveError, Witness};
use cryptoidol::settings::{Settings, SettingsError};
use cryptoidol::srs::{self, Srs, SrsError};

fn srs14() -> &'static (tempfile::TempDir, Srs) {
    static SRS: OnceLock<(tempfile::TempDir, Srs)> = OnceLock::new();
    SRS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let s = srs::gen_srs(14, dir.path().join("kzg14.srs")).unwrap();
        (dir, s)
    })
}

struct Proved {
    fx: common::Fixture,
    w: Witness,
    keys: prove::Keys,
    proof: Proof,
}

fn proved(seed: u64) -> Proved {
    let fx = common::fixture(seed);
    let srs = &srs14().1;
    assert_eq!(fx.model.k(), 13);
    let (w, note) = gen_witness(&fx.model, &common::address_input(3)).unwrap();
    assert!(note.is_none(), "an address key needs no note");
    let keys = prove::setup(&fx.model, srs).unwrap();
    let proof = prove::prove(&fx.model, &w, &keys.pk, srs).unwrap();
    Proved { fx, w, keys, proof }
}

#[test]
fn proof_verifies_and_any_change_is_rejected() {
    let p = proved(1);
    let srs = &srs14().1;
    let vk = p.keys.pk.get_vk();
    assert!(prove::verify(&p.proof, vk, srs).unwrap().valid);
    let file: serde_json::Value = serde_json::to_value(&p.proof).unwrap();
    assert_eq!(file["proof_system"], prove::PROTOCOL);
    assert_eq!(
        file["hex_proof"],
        format!("0x{}", cryptoidol::encoding::hex(&p.proof.bytes)),
        "EZKL's name and type for the bytes"
    );
    assert!(
        file.get("protocol").is_none(),
        "EZKL's protocol is a struct: not ours to reuse"
    );
    assert!(
        (p.w.score - p.w.float_score).abs() < 0.002,
        "{} vs {}",
        p.w.score,
        p.w.float_score
    );
    // The key instance is the address, exactly.
    assert_eq!(
        file["public_instances"][0],
        format!(
            "0x{:0>64}",
            &cryptoidol::input::DEFAULT_KEY[2..].to_lowercase()
        )
    );

    // The EVM verifier's inversion hints after the transcript are the proof's too.
    let mut bad = p.proof.clone();
    let last = bad.bytes.len() - 1;
    bad.bytes[last] ^= 1;
    let v = prove::verify(&bad, vk, srs).unwrap();
    assert!(!v.valid);
    assert!(v.reason.unwrap().contains("inverses"), "named");

    // Changed score, changed key.
    for i in 0..2 {
        let mut bad = p.proof.clone();
        bad.instances[i] += halo2_proofs::halo2curves::bn256::Fr::one();
        assert!(
            !prove::verify(&bad, vk, srs).unwrap().valid,
            "instance {i} changed but accepted"
        );
    }
    // Extra public values (the circuit reads the instance column below the score row, where it
    // must be zero) and a score field that disagrees with the score instance: refused.
    let mut extra = p.proof.clone();
    extra
        .instances
        .push(halo2_proofs::halo2curves::bn256::Fr::from(5));
    let v = prove::verify(&extra, vk, srs).unwrap();
    assert!(
        !v.valid && v.reason.as_deref().unwrap().contains("exactly 2"),
        "{v}"
    );
    let mut mislabeled = p.proof.clone();
    mislabeled.score_q += 1;
    assert!(!prove::verify(&mislabeled, vk, srs).unwrap().valid);
    // The notebook's forgery helper: same bytes, a higher claimed score.
    let forged = p.proof.claiming_score(p.proof.score_q + 1000);
    assert_ne!(forged.instances[1], p.proof.instances[1]);
    assert!(forged.score > p.proof.score);
    assert!(!prove::verify(&forged, vk, srs).unwrap().valid);
    // Flipped proof bytes, in several places.
    let bytes = p.proof.bytes.clone();
    for pos in [0, 100, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[pos] ^= 0x01;
        let mut bad = p.proof.clone();
        bad.bytes = b;
        assert!(
            !prove::verify(&bad, vk, srs).unwrap().valid,
            "byte {pos} flipped but accepted"
        );
    }
    // Round trip through files, and a key file for this model loads.
    let dir = &p.fx.dir;
    p.proof.save(dir.path().join("proof.json")).unwrap();
    prove::save_vk(vk, &p.fx.model, srs, dir.path().join("vk.key")).unwrap();
    prove::save_pk(&p.keys.pk, &p.fx.model, srs, dir.path().join("pk.key")).unwrap();
    let vk2 = prove::load_vk(dir.path().join("vk.key"), &p.fx.model, srs).unwrap();
    let proof2 = Proof::load(dir.path().join("proof.json")).unwrap();
    assert!(prove::verify(&proof2, &vk2, srs).unwrap().valid);
    let pk2 = prove::load_pk(dir.path().join("pk.key"), &p.fx.model, srs).unwrap();
    assert!(
        prove::verify(
            &prove::prove(&p.fx.model, &p.w, &pk2, srs).unwrap(),
            &vk2,
            srs
        )
        .unwrap()
        .valid
    );
}

#[test]
fn keys_of_another_model_are_refused() {
    let a = proved(2);
    let b = common::fixture(3);
    let srs = &srs14().1;
    // Another model's vk file is refused by its header...
    prove::save_vk(
        a.keys.pk.get_vk(),
        &a.fx.model,
        srs,
        a.fx.dir.path().join("vk.key"),
    )
    .unwrap();
    let e = prove::load_vk(a.fx.dir.path().join("vk.key"), &b.model, srs).unwrap_err();
    assert!(matches!(e, ProveError::WrongCircuit { .. }), "{e}");
    assert!(e.to_string().contains("idol setup"), "{e}");
    // The settings alone name the circuit: the vk reads without the model, and another
    // model's settings refuse it.
    let path = a.fx.dir.path().join("vk.key");
    assert!(prove::load_vk_for(&path, &a.fx.model.settings, srs).is_ok());
    let e = prove::load_vk_for(&path, &b.model.settings, srs).unwrap_err();
    assert!(matches!(e, ProveError::WrongCircuit { .. }), "{e}");
    // The key records its SRS: another SRS of the same size is refused, naming both files.
    let other = srs::gen_srs(14, a.fx.dir.path().join("other.srs")).unwrap();
    let e = prove::load_vk(&path, &a.fx.model, &other).unwrap_err();
    assert!(matches!(e, ProveError::WrongSrs { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains(&srs.path.display().to_string()) && msg.contains("other.srs"),
        "{msg}"
    );
    // A key file of the layout before the SRS was recorded in it, and a header cut short.
    let bytes = std::fs::read(&path).unwrap();
    let mut old = bytes.clone();
    old[..8].copy_from_slice(b"IDOLKEY2");
    std::fs::write(&path, &old).unwrap();
    let e = prove::load_vk(&path, &a.fx.model, srs)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("older version") && e.contains("idol setup"),
        "{e}"
    );
    std::fs::write(&path, &bytes[..8 + 64 + 2]).unwrap();
    let e = prove::load_vk(&path, &a.fx.model, srs)
        .unwrap_err()
        .to_string();
    assert!(e.contains("truncated"), "{e}");
    // ...and the proof itself does not verify under the other model's key.
    let kb = prove::setup(&b.model, srs).unwrap();
    assert!(!prove::verify(&a.proof, kb.pk.get_vk(), srs).unwrap().valid);
}

#[test]
fn pytorch_style_onnx_proves_too() {
    let fx = common::pytorch_style_fixture();
    let srs = &srs14().1;
    let (w, _) = gen_witness(&fx.model, &common::address_input(4)).unwrap();
    assert!((w.score - w.float_score).abs() < 0.002);
    let keys = prove::setup(&fx.model, srs).unwrap();
    let proof = prove::prove(&fx.model, &w, &keys.pk, srs).unwrap();
    assert!(prove::verify(&proof, keys.pk.get_vk(), srs).unwrap().valid);
}

#[test]
fn ezkl_float_keys_are_carried_at_a_fixed_scale_with_a_note() {
    let fx = common::fixture(4);
    let input = InputData {
        keys: vec![Key::Number(0.42)],
        xs: vec![common::spectrogram(5)],
    };
    let (w, note) = gen_witness(&fx.model, &input).unwrap();
    let note = note.expect("a float key gets a note");
    assert!(note.contains("cannot name an Ethereum address"), "{note}");
    let expected = (0.42f64 * 65536.0).round() as i128;
    assert_eq!(w.key_field, cryptoidol::circuit::fe(expected));
    assert!(prove::mock(&fx.model, &w).unwrap().satisfied);
}

#[test]
fn inputs_outside_the_calibrated_range_are_refused_clearly() {
    let fx = common::fixture(5);
    let mut x = common::spectrogram(1);
    x.iter_mut().for_each(|v| *v = -2.0e6);
    let e = gen_witness(
        &fx.model,
        &InputData {
            keys: vec![Key::Number(0.0)],
            xs: vec![x],
        },
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("outside the calibrated range") && msg.contains("calibrate-settings"),
        "{msg}"
    );
    let wrong = InputData {
        keys: vec![Key::Number(0.0)],
        xs: vec![vec![0.0; 100]],
    };
    assert!(gen_witness(&fx.model, &wrong)
        .unwrap_err()
        .to_string()
        .contains("100 values"));
}

#[test]
fn edited_or_mismatched_witness_files_are_refused() {
    let a = common::fixture(6);
    let b = common::fixture(7);
    let (mut w, _) = gen_witness(&a.model, &common::address_input(1)).unwrap();
    let e = prove::mock(&b.model, &w).unwrap_err();
    assert!(e.to_string().contains("gen-witness"), "{e}");
    w.score_q += 1;
    let e = prove::mock(&a.model, &w).unwrap_err();
    assert!(e.to_string().contains("edited"), "{e}");
}

#[test]
fn bad_settings_witness_and_proof_files_are_refused() {
    let fx = common::fixture(8);
    let d = fx.dir.path();
    std::fs::write(d.join("s.json"), "{ not json").unwrap();
    assert!(matches!(
        Settings::load(d.join("s.json")).unwrap_err(),
        SettingsError::Parse { .. }
    ));
    let mut s = fx.model.settings.clone();
    s.format_version = 99;
    s.save(d.join("s.json")).unwrap();
    let e = Settings::load(d.join("s.json")).unwrap_err();
    assert!(
        matches!(e, SettingsError::Version { .. }) && e.to_string().contains("gen-settings"),
        "{e}"
    );
    let mut s = fx.model.settings.clone();
    s.run_args.input_visibility = cryptoidol::settings::Visibility::Public;
    s.save(d.join("s.json")).unwrap();
    assert!(Settings::load(d.join("s.json"))
        .unwrap_err()
        .to_string()
        .contains("not supported"));
    // Settings made for another model.
    fx.model.settings.save(d.join("s.json")).unwrap();
    let other = common::fixture(9);
    let e = fx
        .model
        .settings
        .check_model(&d.join("s.json"), &other.model.graph)
        .unwrap_err();
    assert!(matches!(e, SettingsError::ModelMismatch { .. }), "{e}");
    // Witness and proof files.
    std::fs::write(d.join("w.json"), "[]").unwrap();
    assert!(Witness::load(d.join("w.json"))
        .unwrap_err()
        .to_string()
        .contains("w.json"));
    std::fs::write(d.join("p.json"), "{\"format_version\": 1}").unwrap();
    let e = Proof::load(d.join("p.json")).unwrap_err();
    assert!(
        e.to_string().contains("p.json") && e.to_string().contains("idol prove"),
        "{e}"
    );
}

#[test]
fn srs_too_small_or_corrupt_is_refused() {
    let (dir, _) = srs14();
    let e = srs::load_srs(dir.path().join("kzg14.srs"), 15).unwrap_err();
    assert!(
        matches!(
            e,
            SrsError::TooSmall {
                got: 14,
                need: 15,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("--logrows 15"));
    let small = srs::load_srs(dir.path().join("kzg14.srs"), 12).unwrap();
    assert_eq!(halo2_proofs::poly::commitment::Params::k(&small.params), 12);
    let t = tempfile::tempdir().unwrap();
    let bad = t.path().join("kzg.srs");
    let mut bytes = std::fs::read(dir.path().join("kzg14.srs")).unwrap();
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&bad, &bytes).unwrap();
    assert!(matches!(
        srs::load_srs(&bad, 14).unwrap_err(),
        SrsError::Corrupt { .. }
    ));
    std::fs::write(&bad, b"hello").unwrap();
    assert!(matches!(
        srs::load_srs(&bad, 14).unwrap_err(),
        SrsError::Corrupt { .. }
    ));
}

/// A one-file HTTP server on 127.0.0.1 for get_srs (the ceremony host cannot be reached from
/// tests). Serves `body` at any path ending in `-{k}` for the given k, 404 otherwise.
fn serve(body: Vec<u8>, k: u32, requests: usize) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut s = stream.unwrap();
            let mut buf = [0u8; 2048];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]);
            let path = req.split_whitespace().nth(1).unwrap_or("").to_string();
            if path.ends_with(&format!("-{k}")) {
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(&body);
            } else {
                let _ = write!(
                    s,
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        }
    });
    format!("http://{addr}/srs/raw-{{k}}")
}

#[test]
fn get_srs_downloads_checks_the_hash_and_caches() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src.srs");
    srs::gen_srs(5, &src).unwrap();
    let body = std::fs::read(&src).unwrap();
    let sha = cryptoidol::encoding::hex(<sha2::Sha256 as sha2::Digest>::digest(&body));
    let cache = t.path().join("cache");

    let url = serve(body.clone(), 5, 1);
    let (s, got) = srs::get_srs(&url, 5, Some(&sha), &cache).unwrap();
    assert_eq!(got, sha);
    assert!(s.path.is_file());
    // Cached: no server is running any more, and the hash matches.
    let (again, _) = srs::get_srs(&url, 5, Some(&sha), &cache).unwrap();
    assert_eq!(again.path, s.path);

    // Wrong hash: refused, nothing cached.
    let cache2 = t.path().join("cache2");
    let url = serve(body.clone(), 5, 1);
    let e = srs::get_srs(&url, 5, Some(&"00".repeat(32)), &cache2).unwrap_err();
    assert!(matches!(e, SrsError::Hash { .. }), "{e}");
    assert!(!cache2.join("kzg5.srs").exists());
    // Not found.
    let url = serve(body.clone(), 5, 1);
    assert!(matches!(
        srs::get_srs(&url, 6, None, &cache2).unwrap_err(),
        SrsError::Download { .. }
    ));
    // Garbage served without a hash to check: caught by parsing.
    let url = serve(b"<html>not an srs</html>".to_vec(), 5, 1);
    assert!(matches!(
        srs::get_srs(&url, 5, None, &cache2).unwrap_err(),
        SrsError::Corrupt { .. }
    ));
    // Nothing listening.
    let e = srs::get_srs("http://127.0.0.1:9/kzg-{k}", 5, None, &cache2).unwrap_err();
    assert!(e.to_string().contains("127.0.0.1:9"), "{e}");
}
