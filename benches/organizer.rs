//! What a contest's organizer recomputes per entry, on one core: the recording's features
//! (decode, resample, mel) and its input digest d (quantize, commit to the input columns), set
//! against what the singer spends on the same entry (one proof), in the same run.
//!
//! Run through `scripts/bench`:
//!   cargo bench --profile dev --bench organizer -- DATA_DIR WORKSPACE [CLIPS]
//! WORKSPACE holds a proving setup (network.onnx, settings.json, its SRS, pk.key): `idol demo`.

use std::time::Instant;

use cryptoidol::audio::ClipSpec;
use cryptoidol::dataset;
use cryptoidol::input::{InputData, Key, DEFAULT_KEY};
use cryptoidol::mel::MelSpec;
use cryptoidol::progress::Progress;
use cryptoidol::workspace::Workspace;
use cryptoidol::{prove, steps};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (Some(data), Some(ws)) = (args.first(), args.get(1)) else {
        eprintln!("usage: cargo bench --profile dev --bench organizer -- DATA_DIR WORKSPACE [CLIPS] (see scripts/bench)");
        std::process::exit(2);
    };
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(48);
    let ws = Workspace::new(ws).expect("workspace");
    let model = steps::model(&ws).expect("the workspace's model (run `idol demo`)");
    let srs = steps::srs(&ws, &model).expect("the workspace's SRS");
    let pk = prove::load_pk(ws.pk(), &model, &srs).expect("the workspace's proving key");
    let scan = dataset::scan(data).expect("scan the benchmark corpus");
    let clips = &scan.clips[..n.min(scan.clips.len())];
    let one_core = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();

    let t = Instant::now();
    let ds = one_core.install(|| {
        dataset::featurize_clips(
            clips,
            &ClipSpec::tutorial(),
            &MelSpec::librosa_default(),
            &Progress::quiet("bench", 0),
        )
    });
    let features = t.elapsed().as_secs_f64() / ds.examples.len() as f64;

    let key = Key::parse_address(DEFAULT_KEY).unwrap();
    let inputs: Vec<InputData> = ds
        .examples
        .iter()
        .map(|e| InputData {
            keys: vec![key.clone()],
            xs: vec![e.features.db.clone()],
        })
        .collect();
    let t = Instant::now();
    let digests = one_core.install(|| {
        inputs
            .iter()
            .filter_map(|i| prove::input_digest(&model, &srs, i).ok().flatten())
            .count()
    });
    let digest = t.elapsed().as_secs_f64() / digests.max(1) as f64;

    // The singer's side of one entry: a proof, on one core.
    let (w, _) = prove::gen_witness(&model, &inputs[0]).expect("witness");
    let t = Instant::now();
    one_core.install(|| prove::prove(&model, &w, &pk, &srs).expect("proof"));
    let proof = t.elapsed().as_secs_f64();

    let per_entry = features + digest;
    println!(
        "organizer, one core: features {:.1} ms + d {:.1} ms = {:.1} ms per entry ({} clips; {} digests); \
         100,000 entries: {:.2} core-hours",
        features * 1e3,
        digest * 1e3,
        per_entry * 1e3,
        ds.examples.len(),
        digests,
        per_entry * 1e5 / 3600.0
    );
    println!(
        "singer, one core: one proof {:.2} s, {:.0}x the organizer's work per entry",
        proof,
        proof / per_entry
    );
}
