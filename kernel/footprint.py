"""Memory and disk taken by live notebook kernels, measured: for each count N given (default 1, 2
and 8), start N kernels of "Rust (cryptoidol)" at once, as JupyterLab does when N notebooks are
open, run a notebook's set-up cells in each (the `:dep` line, then the prelude and the workspace,
and one step that loads the model), and report:

  * memory: the kernels' proportional set size (PSS: shared pages split among the processes
    that map them, so N kernels are not counted N times for one library), summed over each
    kernel's process tree (evcxr_jupyter, with its type analysis, and the process that runs the
    cells), in all and per kernel;
  * disk: the build dirs under target/evcxr (kernel/launch.py gives each live kernel its own; a
    new one starts as a copy of a built one), in all, and what the run added.

Usage: kernel/footprint.py [N ...]   (from the checkout, with kernel/install.sh done and the
notebooks run once, so that ../artifacts holds a trained model). Prints one line per N:

  == 2 live kernels: memory 0.93 GB (0.47 GB each; largest 0.47 GB), build dirs 3.04 GB (+1.48 GB); set-up cells in 11 s

Build dirs made for the measurement (build-2 ...) are left in place, as a workshop machine would
keep them; `rm -rf target/evcxr/build-*` with no kernel running removes them.
"""

import os
import pathlib
import subprocess
import sys
import time

from jupyter_client.manager import KernelManager

REPO = pathlib.Path(__file__).resolve().parent.parent
KERNEL = "cryptoidol-rust"
CELLS = [
    ':dep cryptoidol = { path = ".." }',
    'use cryptoidol::prelude::*;\nlet ws = Workspace::new("../artifacts")?;',
    "let model = steps::model(&ws)?;\nprintln!(\"2^{} rows\", model.k());",
]


def children(pid):
    """pid and every descendant."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def pss_bytes(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def du_bytes(path):
    if not path.exists():
        return 0
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def run_cell(kc, code, timeout=1800):
    """Execute one cell; raise with the kernel's own message if it fails."""
    msg_id = kc.execute(code)
    errors = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            errors.append(f"{content.get('ename')}: {content.get('evalue')}")
        elif kind == "stream" and content.get("name") == "stderr":
            errors.append(content.get("text", "").strip())
        elif kind == "status" and content.get("execution_state") == "idle":
            break
    if errors:
        raise RuntimeError(f"cell failed: {code.splitlines()[0]}: {'; '.join(errors)}")


def gb(n):
    return f"{n / 1e9:.2f} GB"


def measure(n):
    build_root = REPO / "target" / "evcxr"
    disk_before = du_bytes(build_root)
    managers = []
    try:
        for _ in range(n):
            km = KernelManager(kernel_name=KERNEL)
            km.start_kernel(cwd=str(REPO / "notebooks"))
            managers.append(km)
        clients = []
        for km in managers:
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=300)
            clients.append(kc)
        t0 = time.monotonic()
        # One cell at a time in every kernel, round-robin, as attendees would run them.
        for code in CELLS:
            for kc in clients:
                run_cell(kc, code)
        took = time.monotonic() - t0
        time.sleep(2)
        per_kernel = [sum(pss_bytes(p) for p in children(km.provisioner.process.pid)) for km in managers]
        disk_after = du_bytes(build_root)
        total = sum(per_kernel)
        print(
            f"== {n} live kernel{'s' if n > 1 else ''}: memory {gb(total)} "
            f"({gb(total / n)} each; largest {gb(max(per_kernel))}), "
            f"build dirs {gb(disk_after)} (+{gb(disk_after - disk_before)}); "
            f"set-up cells in {took:.0f} s",
            flush=True,
        )
        for kc in clients:
            kc.stop_channels()
    finally:
        for km in managers:
            km.shutdown_kernel()


def main():
    counts = [int(a) for a in sys.argv[1:]] or [1, 2, 8]
    if not (REPO / "artifacts" / "network.onnx").is_file():
        sys.exit("kernel/footprint.py: no artifacts/network.onnx: run kernel/run-notebooks first")
    os.chdir(REPO)
    for n in counts:
        if not 1 <= n <= 8:
            sys.exit(f"kernel/footprint.py: {n} kernels: the pool holds 1 to 8 (kernel/launch.py)")
        measure(n)


if __name__ == "__main__":
    main()
