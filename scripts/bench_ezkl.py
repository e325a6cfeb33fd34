"""Benchmark our CLI against EZKL on the same model, input and calibration data.

Usage: python scripts/bench_ezkl.py WORKSPACE IDOL_BINARY   (run by scripts/bench-vs-ezkl)

WORKSPACE is a folder made by `idol demo` / `idol train`: network.onnx (inputs `input` = key
[1,1], `input.1` = spectrogram [1,1,128,130]; outputs key and score), input.json and cal.json in
EZKL's input format. Four configurations are run, each in its own folder under
target/bench-ezkl/:

  ezkl-tutorial    EZKL with the tutorial's settings: private input, fixed params, public
                   output, batch 1, calibrate_settings(target="resources", scales=[4])
  ezkl-accuracy    EZKL's "accuracy" target with its default scales
  ours-resources   idol calibrate-settings --target resources
  ours-accuracy    idol calibrate-settings --target accuracy

Every step runs in its own child process, so its wall time and peak RSS (wait4's ru_maxrss,
taken by a small launcher process, see LAUNCHER) are its own, and any step longer than BENCH_STEP_TIMEOUT seconds (default 900) is killed and marked
failed. A failed step is reported and the other configurations go on. EZKL steps are judged by
the artifacts they write (and by the value the call returned), not by the exit code alone.

For the two resources/tutorial configurations and the two accuracy ones alike, each tool's
Solidity verifier is then generated from its vk (EZKL's create_evm_verifier, our
create-evm-verifier), compiled by the project's npm solc and measured in the same in-process EVM
with the tool's own calldata (`idol measure-evm`): verify gas, runtime bytecode, calldata.

Score error is |quantized score - float score| over every calibration sample: for EZKL, its
witness's rescaled score against onnxruntime on the same ONNX and input; for ours, what
`idol calibrate-settings` records in settings.json (calibration.max_error / mean_error).

Prints a markdown table (metrics × configurations, with EZKL ÷ ours ratios) and writes the
numbers to target/bench-ezkl/results.json.
"""

import asyncio
import inspect
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "bench-ezkl"
STEP_TIMEOUT = float(os.environ.get("BENCH_STEP_TIMEOUT", 15 * 60))
SCORE_OUTPUT = 1  # the judge's outputs are (key, score)
IDOL = None  # our CLI (set by main): also measures EZKL's verifier, so both use one solc and EVM


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Child processes: wall time, peak RSS, timeout


# A tiny launcher process sits between us and each measured step. Linux's ru_maxrss of a child
# starts at the memory of the process it was spawned from (vfork/posix_spawn pass on our
# high-water mark, fork our current size), and this script holds ~100 MB of parsed JSON and
# libraries; the launcher is a bare interpreter (~10 MB), so a step's figure is its own peak.
LAUNCHER = """
import json, os, sys, time
result, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
with open(result, "w") as f:
    json.dump({"rc": code, "wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024}, f)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_measured(argv, log_path, cwd=None, timeout=STEP_TIMEOUT):
    """Run argv to completion with output to log_path; return exit code, wall s, peak RSS MB.

    The launcher and the step get their own process group, so a timeout kills both."""
    timed_out = threading.Event()
    measured = Path(str(log_path) + ".rusage.json")
    measured.unlink(missing_ok=True)
    with open(log_path, "w") as out:
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", LAUNCHER, str(measured), *map(str, argv)],
                                stdout=out, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True)

        def kill():
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        proc.wait()
        timer.cancel()
    if measured.is_file():
        run = json.loads(measured.read_text())
    else:  # killed (timeout) or the launcher itself failed
        run = {"rc": proc.returncode, "wall_s": None, "peak_rss_mb": None}
    run["timed_out"] = timed_out.is_set()
    return run


class StepFailed(Exception):
    pass


def tail(path, lines=8):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def check_step(name, run, log_path, ok):
    """Raise StepFailed with a reason unless the step did its job."""
    if run["timed_out"]:
        raise StepFailed(f"{name}: killed after {STEP_TIMEOUT:.0f} s (timeout); log {log_path}")
    if not ok:
        raise StepFailed(f"{name}: exit code {run['rc']}, expected output missing; log {log_path}\n{tail(log_path)}")
    if run["rc"] != 0:
        log(f"   note: {name} exited with {run['rc']} after writing its output (counted as done)")


def fresh_dir(path):
    """Empty a work folder, keeping any SRS made by an earlier run (it only depends on logrows)."""
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.iterdir():
        if entry.name.startswith("kzg") and entry.name.endswith(".srs"):
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (path / "logs").mkdir()


# --------------------------------------------------------------------------------------------
# EZKL, one call per child process


def run_args_from(spec):
    import ezkl

    args = ezkl.PyRunArgs()
    for key, value in spec.items():
        setattr(args, key, [tuple(v) for v in value] if key == "variables" else value)
    return args


def ezkl_child(fn, kwargs_json, result_path):
    """Child mode: call ezkl.<fn>(**kwargs), record what it returned, exit without teardown.

    Some EZKL releases make these calls async; a returned awaitable is run to completion.
    os._exit skips interpreter teardown, where EZKL can crash after the call has succeeded."""
    import ezkl

    kwargs = json.loads(kwargs_json)
    if "py_run_args" in kwargs:
        kwargs["py_run_args"] = run_args_from(kwargs["py_run_args"])

    async def call():
        # Inside a running event loop: some calls (create_evm_verifier) need one even to start.
        result = getattr(ezkl, fn)(**kwargs)
        return await result if inspect.isawaitable(result) else result

    result = asyncio.run(call())
    summary = result if isinstance(result, (bool, int, float, type(None))) else type(result).__name__
    Path(result_path).write_text(json.dumps({"result": summary}))
    print(f"ezkl.{fn} -> {summary}", flush=True)
    os._exit(0)


def ezkl_step(work, fn, outputs=(), must_return_true=False, **kwargs):
    """Run one EZKL call in a child; success = fresh outputs on disk and a non-False result."""
    log_path = work / "logs" / f"{fn}.log"
    result_path = work / "logs" / f"{fn}.result.json"
    for out in outputs:
        Path(out).unlink(missing_ok=True)
    argv = [sys.executable, __file__, "--ezkl-child", fn, json.dumps(kwargs), str(result_path)]
    run = run_measured(argv, log_path, cwd=work)
    result = json.loads(result_path.read_text())["result"] if result_path.exists() else None
    wrote = all(Path(out).is_file() and Path(out).stat().st_size > 0 for out in outputs)
    returned = result is True if must_return_true else result is not False
    # A step without output files (calibrate edits settings.json, verify) must have reported back.
    ok = wrote and returned and (bool(outputs) or result_path.exists())
    check_step(f"ezkl.{fn}", run, log_path, ok)
    return run


def score_errors_child(workdir, cal_path, result_path):
    """Child mode: EZKL's rescaled score vs onnxruntime's float score for every cal.json sample."""
    import ezkl
    import numpy as np
    import onnxruntime as ort

    work = Path(workdir)
    keys, xs = json.loads(Path(cal_path).read_text())["input_data"]
    sess = ort.InferenceSession(str(work / "network.onnx"), providers=["CPUExecutionProvider"])
    key_in, x_in = sess.get_inputs()
    per_sample = math.prod(d for d in x_in.shape if isinstance(d, int))
    n = len(xs) // per_sample
    sample_path, witness_path = work / "sample.json", work / "sample-witness.json"
    errors = []
    for i in range(n):
        x = xs[i * per_sample : (i + 1) * per_sample]
        Path(sample_path).write_text(json.dumps({"input_data": [[0.0], x]}))
        witness = ezkl.gen_witness(str(sample_path), str(work / "network.ezkl"), str(witness_path))
        if inspect.isawaitable(witness):
            witness = asyncio.run(witness)
        # The returned dict has no rescaled values; the witness file does (pretty_elements).
        witness = json.loads(witness_path.read_text())
        quantized = float(witness["pretty_elements"]["rescaled_outputs"][SCORE_OUTPUT][0])
        feed = {
            key_in.name: np.zeros((1, 1), dtype=np.float32),
            x_in.name: np.asarray(x, dtype=np.float32).reshape(1, 1, 128, 130),
        }
        exact = float(sess.run(None, feed)[SCORE_OUTPUT].reshape(-1)[0])
        errors.append(abs(quantized - exact))
    Path(result_path).write_text(
        json.dumps({"samples": n, "max_error": max(errors), "mean_error": sum(errors) / n, "errors": errors})
    )
    os._exit(0)


def ezkl_inputs(workspace, work):
    """network.onnx as is; input.json and cal.json with numeric keys (EZKL reads only numbers).

    Our input.json carries the key as a hex address; the key only passes through the model, so
    EZKL gets 0.0 in its place (cal.json's keys are 0.0 already; any other key becomes 0.0)."""
    shutil.copy(workspace / "network.onnx", work / "network.onnx")
    for name in ("input.json", "cal.json"):
        data = json.loads((workspace / name).read_text())
        keys = data["input_data"][0]
        data["input_data"][0] = [k if isinstance(k, (int, float)) else 0.0 for k in keys]
        if name == "input.json":
            data["input_data"][0] = [0.0]
        (work / name).write_text(json.dumps(data))


def bench_ezkl(workspace, name, target, scales):
    """gen_settings → calibrate → compile → gen_srs → setup → gen_witness → prove → verify."""
    work = OUT / name
    fresh_dir(work)
    res = {"config": name, "tool": "ezkl", "target": target, "scales_tried": scales, "failed_step": None}
    log(f"== {name}: EZKL, calibrate target {target!r}, scales {scales or 'default'}  ({work})")
    try:
        ezkl_inputs(workspace, work)
        settings, compiled = work / "settings.json", work / "network.ezkl"
        run_args = {
            "input_visibility": "private",
            "param_visibility": "fixed",
            "output_visibility": "public",
            "variables": [("batch_size", 1)],
        }
        ezkl_step(work, "gen_settings", [settings], model="network.onnx", output="settings.json", py_run_args=run_args)
        kw = {"scales": scales} if scales else {}
        run = ezkl_step(work, "calibrate_settings", [], data="cal.json", model="network.onnx",
                        settings="settings.json", target=target, **kw)
        res["calibrate_s"] = run["wall_s"]
        s = json.loads(settings.read_text())
        k = s["run_args"]["logrows"]
        res.update(
            logrows=k,
            num_rows=s["num_rows"],
            input_scale=s["run_args"]["input_scale"],
            param_scale=s["run_args"]["param_scale"],
            num_inner_cols=s["run_args"].get("num_inner_cols"),
            required_lookups=s.get("required_lookups"),
            required_range_checks=s.get("required_range_checks"),
        )
        log(f"   calibrated in {run['wall_s']:.1f} s: logrows {k}, {s['num_rows']} rows, "
            f"scales {res['input_scale']}/{res['param_scale']}")
        ezkl_step(work, "compile_circuit", [compiled], model="network.onnx", compiled_circuit="network.ezkl",
                  settings_path="settings.json")
        srs = work / f"kzg{k}.srs"
        if not srs.is_file():  # local, insecure SRS (never the download); cached between runs
            partial = work / f"kzg{k}.srs.partial"
            ezkl_step(work, "gen_srs", [partial], srs_path=partial.name, logrows=k)
            partial.rename(srs)
        run = ezkl_step(work, "setup", [work / "pk.key", work / "vk.key"], model="network.ezkl", vk_path="vk.key",
                        pk_path="pk.key", srs_path=srs.name)
        res.update(setup_s=run["wall_s"], setup_rss_mb=run["peak_rss_mb"], pk_bytes=(work / "pk.key").stat().st_size)
        log(f"   setup {run['wall_s']:.1f} s, peak RSS {run['peak_rss_mb']:.0f} MB")
        ezkl_step(work, "gen_witness", [work / "witness.json"], data="input.json", model="network.ezkl",
                  output="witness.json")
        run = ezkl_step(work, "prove", [work / "proof.json"], witness="witness.json", model="network.ezkl",
                        pk_path="pk.key", proof_path="proof.json", srs_path=srs.name)
        proof = json.loads((work / "proof.json").read_text())
        proof_bytes = len(proof["proof"]) if isinstance(proof["proof"], list) else len(bytes.fromhex(proof["hex_proof"][2:]))
        res.update(prove_s=run["wall_s"], prove_rss_mb=run["peak_rss_mb"], proof_bytes=proof_bytes)
        log(f"   prove {run['wall_s']:.1f} s, peak RSS {run['peak_rss_mb']:.0f} MB, proof {proof_bytes} bytes")
        ezkl_step(work, "verify", [], must_return_true=True, proof_path="proof.json", settings_path="settings.json",
                  vk_path="vk.key", srs_path=srs.name)
        res["verified"] = True
        log("   verified")
        # EZKL's Solidity verifier, compiled and measured exactly like ours (idol measure-evm).
        # EZKL writes the .sol, then tries to download a solc for its own compile step, which
        # fails offline; the written source is what counts.
        sol = work / "Verifier.sol"
        ezkl_step(work, "create_evm_verifier", [sol], vk_path="vk.key", settings_path="settings.json",
                  sol_code_path=sol.name, abi_path="verifier_abi.json", srs_path=srs.name)
        ezkl_step(work, "encode_evm_calldata", [work / "calldata.bin"], proof="proof.json",
                  calldata="calldata.bin")
        measure_evm(res, work, sol)
        # Score error over the calibration samples (gen_witness per sample vs onnxruntime).
        out = work / "score-errors.json"
        argv = [sys.executable, __file__, "--score-errors", str(work), str(work / "cal.json"), str(out)]
        run = run_measured(argv, work / "logs" / "score-errors.log")
        check_step("score error (gen_witness per calibration sample)", run, work / "logs" / "score-errors.log",
                   out.is_file())
        err = json.loads(out.read_text())
        res.update(max_error=err["max_error"], mean_error=err["mean_error"], error_samples=err["samples"])
        log(f"   score error over {err['samples']} samples: max {err['max_error']:.5f}, mean {err['mean_error']:.5f}")
    except StepFailed as e:
        res["failed_step"] = str(e).splitlines()[0]
        log(f"!! {name} failed at {e}")
    return res


def measure_evm(res, work, sol):
    """Compile, deploy and call a verifier in the in-process EVM with the same solc and rules
    (`idol measure-evm`); record runtime size, deployment and verify gas, calldata size."""
    log_path = work / "logs" / "measure-evm.log"
    proc = subprocess.run([str(IDOL), "measure-evm", "--sol-code-path", str(sol), "--calldata-path",
                           str(work / "calldata.bin"), "--json"], capture_output=True, text=True)
    log_path.write_text(proc.stdout + proc.stderr)
    try:
        m = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise StepFailed(f"idol measure-evm: exit code {proc.returncode}, no measurement; log {log_path}\n"
                         f"{tail(log_path)}")
    if not m["accepted"]:
        raise StepFailed(f"idol measure-evm: the verifier rejected the proof; log {log_path}")
    res.update(evm_runtime_bytes=m["runtime_bytes"], evm_deploy_gas=m["deploy_gas"], evm_verify_gas=m["verify_gas"],
               evm_calldata_bytes=m["calldata_bytes"], evm_optimizer=m["optimizer"])
    log(f"   EVM verifier: {m['runtime_bytes']} bytes runtime ({m['optimizer']}), verify {m['verify_gas']} gas, "
        f"calldata {m['calldata_bytes']} bytes")


# --------------------------------------------------------------------------------------------
# Our CLI


def idol_step(idol, work, name, *args, outputs=()):
    log_path = work / "logs" / f"{name}.log"
    for out in outputs:
        Path(out).unlink(missing_ok=True)
    run = run_measured([str(idol), name, *args], log_path)
    ok = run["rc"] == 0 and all(Path(out).is_file() for out in outputs)
    check_step(f"idol {name}", run, log_path, ok)
    return run


def bench_ours(workspace, idol, target):
    """gen-settings → calibrate-settings → gen-srs → setup → gen-witness → prove → verify."""
    name = f"ours-{target}"
    work = OUT / name
    fresh_dir(work)
    res = {"config": name, "tool": "idol", "target": target, "failed_step": None}
    log(f"== {name}: idol, calibrate target {target!r}  ({work})")
    d = str(work)
    try:
        for f in ("network.onnx", "input.json", "cal.json"):
            shutil.copy(workspace / f, work / f)
        settings = work / "settings.json"
        idol_step(idol, work, "gen-settings", "--dir", d, outputs=[settings])
        run = idol_step(idol, work, "calibrate-settings", "--dir", d, "--target", target, outputs=[settings])
        res["calibrate_s"] = run["wall_s"]
        s = json.loads(settings.read_text())
        k = s["run_args"]["logrows"]
        cal = s["calibration"]
        res.update(
            logrows=k,
            num_rows=s["num_rows"],
            input_scale=s["run_args"]["input_scale"],
            param_scale=s["run_args"]["param_scale"],
            advice_columns=s["advice_columns"],
            lookup_arguments=s["lookup_arguments"],
            max_error=cal["max_error"],
            mean_error=cal["mean_error"],
            error_samples=cal["samples"],
        )
        log(f"   calibrated in {run['wall_s']:.1f} s: logrows {k}, {s['num_rows']} rows, "
            f"{s['advice_columns']} advice columns, {s['lookup_arguments']} lookup argument(s)")
        srs = work / f"kzg{k}.srs"
        if not srs.is_file():
            partial = work / f"kzg{k}.srs.partial"
            idol_step(idol, work, "gen-srs", "--srs-path", str(partial), "--logrows", str(k), outputs=[partial])
            partial.rename(srs)
        run = idol_step(idol, work, "setup", "--dir", d, "--srs-path", str(srs),
                        outputs=[work / "pk.key", work / "vk.key"])
        res.update(setup_s=run["wall_s"], setup_rss_mb=run["peak_rss_mb"], pk_bytes=(work / "pk.key").stat().st_size)
        log(f"   setup {run['wall_s']:.1f} s, peak RSS {run['peak_rss_mb']:.0f} MB")
        idol_step(idol, work, "gen-witness", "--dir", d, outputs=[work / "witness.json"])
        run = idol_step(idol, work, "prove", "--dir", d, "--srs-path", str(srs), outputs=[work / "proof.json"])
        proof_hex = json.loads((work / "proof.json").read_text())["hex_proof"]
        proof_bytes = len(bytes.fromhex(proof_hex.removeprefix("0x")))
        res.update(prove_s=run["wall_s"], prove_rss_mb=run["peak_rss_mb"], proof_bytes=proof_bytes)
        log(f"   prove {run['wall_s']:.1f} s, peak RSS {run['peak_rss_mb']:.0f} MB, proof {proof_bytes} bytes")
        idol_step(idol, work, "verify", "--dir", d, "--srs-path", str(srs))
        res["verified"] = True
        log("   verified")
        idol_step(idol, work, "create-evm-verifier", "--dir", d, "--srs-path", str(srs),
                  outputs=[work / "Verifier.sol"])
        idol_step(idol, work, "encode-evm-calldata", "--dir", d, outputs=[work / "calldata.bin"])
        measure_evm(res, work, work / "Verifier.sol")
    except StepFailed as e:
        res["failed_step"] = str(e).splitlines()[0]
        log(f"!! {name} failed at {e}")
    return res


# --------------------------------------------------------------------------------------------
# Report


METRICS = [
    # (label, how to get the value from a result, how to print it, ratio?)
    ("logrows", lambda r: r.get("logrows"), str, False),
    ("rows (2^logrows)", lambda r: 2 ** r["logrows"] if r.get("logrows") is not None else None, "{:,}".format, True),
    ("rows used (num_rows)", lambda r: r.get("num_rows"), "{:,}".format, True),
    ("scales (input / param)", lambda r: f"{r['input_scale']} / {r['param_scale']}" if "input_scale" in r else None,
     str, False),
    ("advice columns", lambda r: r.get("advice_columns"), str, False),
    ("lookup arguments", lambda r: r.get("lookup_arguments"), str, False),
    ("calibrate s", lambda r: r.get("calibrate_s"), "{:.2f}".format, True),
    ("setup s", lambda r: r.get("setup_s"), "{:.2f}".format, True),
    ("prove s", lambda r: r.get("prove_s"), "{:.2f}".format, True),
    ("peak RSS setup MB", lambda r: r.get("setup_rss_mb"), "{:.0f}".format, True),
    ("peak RSS prove MB", lambda r: r.get("prove_rss_mb"), "{:.0f}".format, True),
    ("pk MB", lambda r: r["pk_bytes"] / 1e6 if "pk_bytes" in r else None, "{:.1f}".format, True),
    ("proof bytes", lambda r: r.get("proof_bytes"), "{:,}".format, True),
    ("max \\|score err\\|", lambda r: r.get("max_error"), "{:.5f}".format, True),
    ("mean \\|score err\\|", lambda r: r.get("mean_error"), "{:.5f}".format, True),
    ("verified", lambda r: "yes" if r.get("verified") else None, str, False),
    ("EVM verify gas", lambda r: r.get("evm_verify_gas"), "{:,}".format, True),
    ("EVM verifier runtime bytes", lambda r: r.get("evm_runtime_bytes"), "{:,}".format, True),
    ("EVM calldata bytes", lambda r: r.get("evm_calldata_bytes"), "{:,}".format, True),
    ("EVM deployment gas", lambda r: r.get("evm_deploy_gas"), "{:,}".format, True),
]

# Only our settings.json has these; EZKL's cells show "n/a" there.
OURS_ONLY = {"advice columns", "lookup arguments"}


def cell(r, label, get, show):
    value = get(r)
    if value is not None:
        return show(value)
    if label in OURS_ONLY and r["tool"] == "ezkl":
        return "n/a"
    return "failed" if r["failed_step"] else "n/a"


def ratio(a, b, get, use):
    if not use:
        return ""
    x, y = get(a), get(b)
    if x is None or y is None:
        return "failed" if (a["failed_step"] or b["failed_step"]) else ""
    if y == 0:
        return "∞" if x else "1×"
    q = x / y
    return f"{q:.0f}×" if q >= 100 else f"{q:.1f}×" if q >= 10 else f"{q:.2f}×"


def table(ez_tut, ez_acc, ours_res, ours_acc):
    head = ["metric", "EZKL tutorial (scale 4, resources)", "EZKL accuracy", "ours resources", "ours accuracy",
            "EZKL tutorial ÷ ours resources", "EZKL accuracy ÷ ours accuracy"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for label, get, show, use_ratio in METRICS:
        row = [label] + [cell(r, label, get, show) for r in (ez_tut, ez_acc, ours_res, ours_acc)]
        row += [ratio(ez_tut, ours_res, get, use_ratio), ratio(ez_acc, ours_acc, get, use_ratio)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--ezkl-child":
        return ezkl_child(*sys.argv[2:5])
    if len(sys.argv) >= 2 and sys.argv[1] == "--score-errors":
        return score_errors_child(*sys.argv[2:5])
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    global IDOL
    workspace, idol = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    IDOL = idol
    for f in ("network.onnx", "input.json", "cal.json"):
        if not (workspace / f).is_file():
            sys.exit(f"missing {workspace / f}: make the workspace with `idol demo --dir {workspace}`")
    if not idol.is_file():
        sys.exit(f"missing {idol}")
    OUT.mkdir(parents=True, exist_ok=True)

    from importlib.metadata import version

    ezkl_version = version("ezkl")
    start = time.perf_counter()
    # Timings assume an otherwise idle machine; the load average tells whether it was.
    load_before = os.getloadavg()[0]
    log(f"workspace {workspace}, ezkl {ezkl_version}, idol {idol}, step timeout {STEP_TIMEOUT:.0f} s, "
        f"load {load_before:.2f} on {os.cpu_count()} CPUs")
    # Baselines for the RSS figures: the launcher's own floor, and a Python that only imports ezkl.
    floor = run_measured(["true"], OUT / "rss-floor.log")["peak_rss_mb"]
    ezkl_import = run_measured([sys.executable, "-c", "import ezkl"], OUT / "ezkl-import.log")["peak_rss_mb"]
    ez_tut = bench_ezkl(workspace, "ezkl-tutorial", "resources", [4])
    ez_acc = bench_ezkl(workspace, "ezkl-accuracy", "accuracy", None)
    ours_res = bench_ours(workspace, idol, "resources")
    ours_acc = bench_ours(workspace, idol, "accuracy")
    total = time.perf_counter() - start

    results = {
        "workspace": str(workspace),
        "ezkl_version": ezkl_version,
        "rss_floor_mb": floor,
        "ezkl_import_rss_mb": ezkl_import,
        "idol": str(idol),
        "step_timeout_s": STEP_TIMEOUT,
        "total_s": total,
        "cpus": os.cpu_count(),
        "loadavg_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "configs": {r["config"]: r for r in (ez_tut, ez_acc, ours_res, ours_acc)},
    }
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")

    print()
    print(table(ez_tut, ez_acc, ours_res, ours_acc))
    print()
    for r in (ez_tut, ez_acc, ours_res, ours_acc):
        if r["failed_step"]:
            print(f"- {r['config']} failed at {r['failed_step']}")
    print(f"Score error = |quantized - float score| over the {ez_tut.get('error_samples') or ours_res.get('error_samples') or 'calibration'} "
          f"cal.json samples (EZKL: its witness vs onnxruntime; ours: idol's calibration report). "
          f"Peak RSS is the step's own process: EZKL's includes Python with ezkl loaded "
          f"({ezkl_import:.0f} MB alone); the launcher's floor is {floor:.0f} MB. "
          f"EVM rows: each tool's Solidity verifier compiled by the same npm solc (the optimizer "
          f"setting that gives each the smallest runtime code and compiles: "
          f"{ez_tut.get('evm_optimizer', '?')} for EZKL, {ours_res.get('evm_optimizer', '?')} for ours), "
          f"deployed and called in the same in-process EVM (revm, mainnet rules); gas includes the "
          f"21,000 intrinsic and the calldata.")
    print(f"Total {total:.0f} s on {os.cpu_count()} CPUs (1-min load {load_before:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after); numbers in {OUT.relative_to(ROOT)}/results.json")


if __name__ == "__main__":
    main()
