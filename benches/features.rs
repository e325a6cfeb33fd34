//! Feature extraction throughput against librosa, on the same files, in the same run.
//!
//! Run through `scripts/bench` (it writes the corpus, times librosa, then runs this):
//!   cargo bench --profile dev --bench features -- DATA_DIR LIBROSA_JSON
//! LIBROSA_JSON is what scripts/bench_librosa.py printed: {"clips": n, "seconds": s}. A third
//! argument names the corpus' format in the table (default WAV).

use std::time::Instant;

use cryptoidol::audio::ClipSpec;
use cryptoidol::dataset;
use cryptoidol::mel::MelSpec;
use cryptoidol::progress::Progress;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (Some(data), Some(peer)) = (args.first(), args.get(1)) else {
        eprintln!("usage: cargo bench --profile dev --bench features -- DATA_DIR LIBROSA_JSON (see scripts/bench)");
        std::process::exit(2);
    };
    let scan = dataset::scan(data).expect("scan the benchmark corpus");
    let peer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(peer).expect("librosa timing file"))
            .expect("librosa JSON");
    let librosa_cps = peer["clips"].as_f64().unwrap() / peer["seconds"].as_f64().unwrap();

    let (clip, mel) = (ClipSpec::tutorial(), MelSpec::librosa_default());
    let time = |threads: usize| -> f64 {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            let ds = pool.install(|| {
                dataset::featurize_clips(&scan.clips, &clip, &mel, &Progress::quiet("bench", 0))
            });
            assert_eq!(ds.examples.len(), scan.clips.len());
            best = best.min(t.elapsed().as_secs_f64());
        }
        scan.clips.len() as f64 / best
    };
    let one = time(1);
    let all = time(rayon::current_num_threads());
    let format = args.get(2).map_or("WAV", String::as_str);
    println!(
        "feature extraction, {} {format} clips (load 3 s @ 0.5 s, resample to 22050 Hz, 128-band mel dB):",
        scan.clips.len()
    );
    println!("| run | clips/s | vs librosa (1 process) |");
    println!("| --- | ---: | ---: |");
    println!("| librosa 0.11, 1 process | {librosa_cps:.0} | 1.00× |");
    println!(
        "| cryptoidol, 1 thread | {one:.0} | {:.2}× |",
        one / librosa_cps
    );
    println!(
        "| cryptoidol, {} threads | {all:.0} | {:.2}×{} |",
        rayon::current_num_threads(),
        all / librosa_cps,
        if format == "WAV" {
            " (target ≥ 5×)"
        } else {
            ""
        }
    );
}
