"""Time librosa's version of the tutorial's features over a corpus, single process.

Usage: python scripts/bench_librosa.py DATA_DIR  → prints {"clips": n, "seconds": s}
Same files and steps as the Rust side: librosa.load(duration=3, offset=0.5) → melspectrogram →
power_to_db(ref=np.max); the best of three passes.
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


def main():
    root = sys.argv[1]
    if os.path.isdir(os.path.join(root, "data")):
        root = os.path.join(root, "data")
    files = [f for f in sorted(glob.glob(os.path.join(root, "**", "*.wav"), recursive=True)) if os.path.getsize(f) > 44]
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
