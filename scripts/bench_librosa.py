"""Time librosa's version of the tutorial's features over a corpus, single process.

Usage: python scripts/bench_librosa.py DATA_DIR  → prints {"clips": n, "seconds": s}
Same files and steps as the Rust side: librosa.load(duration=3, offset=0.5) → melspectrogram →
power_to_db(ref=np.max); the best of three passes. The corpus' recordings are its .wav files,
or its .mp3 files when it has no .wav (see --to-mp3).

       python scripts/bench_librosa.py --to-mp3 DATA_DIR OUT_DIR
writes every readable WAV of DATA_DIR as MP3 (soundfile's LAME encoder) at the same place
under OUT_DIR: the compressed-input benchmark's corpus.
"""

import glob
import json
import os
import sys
import time
import warnings

import librosa
import numpy as np

warnings.filterwarnings("ignore")


def features(path):
    x, sr = librosa.load(path, duration=3, offset=0.5)
    return librosa.power_to_db(librosa.feature.melspectrogram(y=x, sr=sr), ref=np.max)


MP3_RATES = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000}


def to_mp3(src, out):
    import soundfile as sf

    n = 0
    for f in sorted(glob.glob(os.path.join(src, "**", "*.wav"), recursive=True)):
        try:
            y, sr = sf.read(f, dtype="float32")
        except Exception:
            continue  # the corpus' deliberately broken files
        if len(y) == 0:
            continue
        if sr not in MP3_RATES:  # e.g. TESS's 24,414 Hz: MP3 has nine rates
            y, sr = librosa.resample(y, orig_sr=sr, target_sr=22050, res_type="soxr_hq"), 22050
        dst = os.path.join(out, os.path.relpath(f, src))[: -len(".wav")] + ".mp3"
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        sf.write(dst, y, sr, format="MP3", subtype="MPEG_LAYER_III")
        n += 1
    print(f"wrote {n} MP3 files under {out}", file=sys.stderr)


def main():
    if sys.argv[1] == "--to-mp3":
        return to_mp3(sys.argv[2], sys.argv[3])
    root = sys.argv[1]
    if os.path.isdir(os.path.join(root, "data")):
        root = os.path.join(root, "data")
    files = [f for f in sorted(glob.glob(os.path.join(root, "**", "*.wav"), recursive=True)) if os.path.getsize(f) > 44]
    if not files:
        files = sorted(glob.glob(os.path.join(root, "**", "*.mp3"), recursive=True))
    features(files[0])
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for f in files:
            features(f)
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"clips": len(files), "seconds": best, "librosa": librosa.__version__}))


if __name__ == "__main__":
    main()
