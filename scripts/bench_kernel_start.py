"""A warm kernel's start, against the same kernel with evcxr as shipped.

A notebook's first two code cells, `:dep cryptoidol = { path = ... }` and a cell that uses the
crate, are what an attendee waits for after every kernel start. With the kernel's build warm,
most of that time is evcxr's rust-analyzer reading the crate graph so that it can name the type
of every `let`. kernel/launch.py starts evcxr with two changes (its doc says why):
RUSTFLAGS="--cfg cryptoidol_kernel_types", under which the crate's Cargo.toml declares no
dependencies, so rust-analyzer reads the crate alone instead of ~440 crates (evcxr replaces
RUSTFLAGS for its builds, which keep every dependency); and MIMALLOC_ALLOW_THP=0. The peer is
evcxr_jupyter as shipped: the whole graph (CRYPTOIDOL_KERNEL_ANALYSIS=full) and mimalloc's
default (MIMALLOC_ALLOW_THP=1). Each round runs both, one after the other, each in a fresh
kernel on the same warm build dir, and the medians and their ratio are printed:

  == kernel start (median of 3): ours :dep 1.6 s + first cell 2.7 s = 4.3 s; evcxr as
     shipped 11.6 s + 9.2 s = 20.8 s: 4.84x faster

Needs kernel/install.sh to have run (.venv-notebooks, the kernel's build). Never fails on a
ratio; fails only when a run breaks.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CELL = re.compile(r"^\s*cell\s+(\d+) ok\s+([\d.]+) s")


def notebook(path, workspace):
    cells = [
        f':dep cryptoidol = {{ path = {json.dumps(ROOT)} }}',
        "use cryptoidol::prelude::*;\n"
        f"let ws = Workspace::new({json.dumps(workspace)})?;\n"
        "let weights = ws.judge();\n"
        "weights.display().to_string()",
    ]
    nb = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"bench-{i}", "metadata": {},
             "outputs": [], "source": source}
            for i, source in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"display_name": "Rust (cryptoidol)", "language": "rust",
                                    "name": "cryptoidol-rust"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    with open(path, "w") as f:
        json.dump(nb, f, indent=1)


def run(nb, out, shipped):
    env = dict(os.environ)
    for key in ("MIMALLOC_ALLOW_THP", "CRYPTOIDOL_KERNEL_ANALYSIS"):
        env.pop(key, None)
    if shipped:
        env.update(MIMALLOC_ALLOW_THP="1", CRYPTOIDOL_KERNEL_ANALYSIS="full")
    python = os.path.join(ROOT, ".venv-notebooks", "bin", "python")
    done = subprocess.run(
        [python, os.path.join(ROOT, "kernel", "run_notebooks.py"), "--out", out, nb],
        env=env, capture_output=True, text=True)
    times = [float(m.group(2)) for m in map(CELL.match, done.stdout.splitlines()) if m]
    if done.returncode != 0 or len(times) != 2:
        sys.exit(f"bench_kernel_start: the notebook run failed:\n{done.stdout}{done.stderr}")
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not os.path.isdir(os.path.join(ROOT, "target", "evcxr", "build", "target")):
        sys.exit("bench_kernel_start: the kernel is not built; run kernel/install.sh first")
    with tempfile.TemporaryDirectory() as tmp:
        nb = os.path.join(tmp, "kernel-start.ipynb")
        workspace = os.path.join(tmp, "artifacts")
        os.makedirs(workspace)
        notebook(nb, workspace)
        ours, peer = [], []
        for i in range(args.rounds):
            peer.append(run(nb, os.path.join(tmp, "out"), True))
            ours.append(run(nb, os.path.join(tmp, "out"), False))
            print(f"   round {i + 1}: ours {ours[-1][0]:.1f} + {ours[-1][1]:.1f} s, "
                  f"as shipped {peer[-1][0]:.1f} + {peer[-1][1]:.1f} s", flush=True)

    def medians(runs):
        return [statistics.median(r[k] for r in runs) for k in (0, 1)]

    (od, oc), (pd, pc) = medians(ours), medians(peer)
    print(f"== kernel start (median of {args.rounds}): ours :dep {od:.1f} s + first cell "
          f"{oc:.1f} s = {od + oc:.1f} s; evcxr as shipped {pd:.1f} s + {pc:.1f} s "
          f"= {pd + pc:.1f} s: {(pd + pc) / (od + oc):.2f}x faster")


if __name__ == "__main__":
    main()
