"""Execute notebooks headless under the Rust kernel, cell by cell, failing on the first error.

Jupyter's own exit status is not enough under evcxr: a compile error becomes an error output,
but an `Err` returned through `?` is only printed to stderr with the cell reported as fine, and a
panic is only an error once `:preserve_vars_on_panic 0` is set (kernel/evcxr/init.evcxr). So
after every cell this runner also reads the cell's outputs and fails on:

  * an `error` output (compile error, panic);
  * any text on stderr. Inside the kernel the crate writes its progress lines and notes
    (`[step] text`) to stdout (`cryptoidol::progress`), because Jupyter draws stderr as an
    error box; so stderr is left to errors, such as an `Err` returned through `?`, and a
    progress line that drifted back to stderr fails here before a learner meets it.

Each executed notebook is written, with its outputs, to the output directory, also when it
fails (up to the failing cell), so the failure can be read in context.
"""

import argparse
import pathlib
import queue
import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from jupyter_core.utils import run_sync

KERNEL = "cryptoidol-rust"
PROGRESS = re.compile(r"^\[[^\]\n]{1,40}\] ")


def problem_in(cell):
    """The first reason this executed cell counts as failed, or None."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            text = "\n".join(out.get("traceback") or []) or out.get("evalue", "")
            return f"error output: {out.get('ename', '')}: {strip_ansi(text).strip()}"
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            text = out.get("text", "")
            if "panicked at" in text:
                return "panic: " + text.strip()
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                hint = ("a progress line on stderr: Jupyter draws it as an error; print it to "
                        "stdout in the kernel" if PROGRESS.match(lines[0])
                        else "an error returned through `?`, or other text on stderr")
                return f"stderr ({hint}): {lines[0]}"
    return None


async def _late_messages(kc, seconds):
    """iopub messages that arrive within `seconds`."""
    msgs = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            msgs.append(await kc.iopub_channel.get_msg(timeout=left))
        except queue.Empty:
            break
    return msgs


def collect_late_output(client, cell, seconds=0.3):
    """evcxr forwards the program's stdout/stderr from a thread and may send the last lines
    after it reported the cell done, tagged with that cell. Wait briefly before the next cell,
    so they cannot be tagged with it, and add them to this cell's outputs."""
    for msg in run_sync(_late_messages)(client.kc, seconds):
        if msg["header"]["msg_type"] == "stream":
            c = msg["content"]
            cell.outputs.append(nbformat.v4.new_output("stream", name=c["name"], text=c["text"]))


def strip_ansi(s):
    return re.sub(r"\x1b\[[0-9;]*m", "", s)


def run(path, out_dir, timeout, startup_timeout, build_dir=None):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=timeout,
        startup_timeout=startup_timeout,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    if build_dir is not None:
        # A separate pool of evcxr build dirs (kernel/launch.py picks a free one under it):
        # notebooks with other dependencies would otherwise rewrite the shared build.
        client.km = client.create_kernel_manager()
        spec = client.km.kernel_spec
        spec.env = dict(spec.env or {}, CRYPTOIDOL_KERNEL_BUILD_ROOT=str(build_dir.resolve()))
    failure = None
    tweaks = 0
    start = time.monotonic()
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                t0 = time.monotonic()
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    failure = (index, f"no result within {timeout} s (--timeout)")
                except DeadKernelError as e:
                    failure = (index, f"the kernel died: {e}")
                except CellExecutionError:
                    pass  # the error output is in the cell; problem_in reports it
                if failure is None:
                    collect_late_output(client, cell)
                    reason = problem_in(cell)
                    if reason:
                        failure = (index, reason)
                took = time.monotonic() - t0
                first = (cell.source.strip().splitlines() or [""])[0]
                status = "FAILED" if failure else "ok"
                tweak = "tweak" in cell.get("metadata", {}).get("tags", [])
                tweaks += tweak
                mark = "[try it] " if tweak else ""
                print(f"   cell {index:>2} {status:<6} {took:6.1f} s  {mark}{first[:60]}", flush=True)
                if failure:
                    break
    except RuntimeError as e:  # kernel could not start
        failure = (-1, f"the kernel '{KERNEL}' did not start: {e} (run kernel/install.sh)")
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / path.name
    nbformat.write(nb, out)
    return failure, time.monotonic() - start, out, tweaks


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=pathlib.Path,
                    help="notebooks to run in order (default: notebooks/*.ipynb)")
    ap.add_argument("--out", type=pathlib.Path, default=pathlib.Path("artifacts/notebooks"),
                    help="where executed notebooks are written (default: artifacts/notebooks)")
    ap.add_argument("--timeout", type=int, default=2400,
                    help="seconds per cell; the first cell may build the crate (default 2400)")
    ap.add_argument("--startup-timeout", type=int, default=120)
    ap.add_argument("--build-dir", type=pathlib.Path,
                    help="root of the evcxr build dirs for these notebooks (default: the "
                         "kernelspec's, target/evcxr)")
    ap.add_argument("--expect-failure", action="store_true",
                    help="succeed only if every notebook fails (tests of the runner itself)")
    args = ap.parse_args()
    paths = args.notebooks or sorted(pathlib.Path("notebooks").glob("*.ipynb"))
    if not paths:
        sys.exit("run_notebooks: no notebooks given and none in notebooks/")
    total = time.monotonic()
    for path in paths:
        if not path.is_file():
            sys.exit(f"run_notebooks: {path} does not exist")
        print(f"== notebook {path}", flush=True)
        failure, took, out, tweaks = run(path, args.out, args.timeout, args.startup_timeout,
                                         args.build_dir)
        if args.expect_failure:
            if failure is None:
                sys.exit(f"run_notebooks: {path} ran without error, but a failure was expected")
            print(f"   failed as expected at cell {failure[0]}: {failure[1]}")
            continue
        if failure is not None:
            index, reason = failure
            print(f"FAILED: {path}, cell {index}: {reason}\n   executed notebook: {out}",
                  file=sys.stderr)
            sys.exit(1)
        tried = f", {tweaks} Try it cell{'s' if tweaks != 1 else ''}" if tweaks else ""
        print(f"   ok in {took:.1f} s{tried} -> {out}", flush=True)
    print(f"== {len(paths)} notebook(s) in {time.monotonic() - total:.1f} s")


if __name__ == "__main__":
    main()
