"""Build the notebooks' crate for the kernel with plain cargo, exactly as evcxr will build it.

The kernel compiles the crate and its ~290 dependencies the first time a notebook runs
`:dep cryptoidol`. That needs evcxr_jupyter installed first, itself a 6-minute build. This
script does the kernel's build without evcxr: it writes the Cargo.toml evcxr 0.22.0 writes
(evcxr's src/module.rs, `get_cargo_toml_contents`, at the `:opt 0` of kernel/evcxr/init.evcxr)
into a free kernel build dir and runs evcxr's cargo command (`cargo build --target HOST
--message-format=json` with RUSTFLAGS=-Cprefer-dynamic), so every compiled dependency is one
evcxr finds fresh. kernel/install.sh runs it beside `cargo install evcxr_jupyter`: the two builds
share the two cores, and neither waits for the other.

    prebuild.py BUILD_ROOT [--crate PATH] [--alongside LABEL -- COMMAND...]

BUILD_ROOT is the kernels' pool (target/evcxr); the first dir no live kernel holds is built
(`build`, unless a kernel is running there; a new dir starts from a copy of a built one, as for a
kernel). --crate builds another crate than this repository's (the tests use a small one). With
--alongside, COMMAND (a cargo command) runs at the same time, and its progress is
shown under LABEL. Progress lines, at least every 30 s:

    [kernel build] 120 crates compiled, 3.1 min (now: halo2-axiom)

and at the end `[kernel build] done in 6.5 min: 469 compiled, 0 up to date (DIR)` (cargo's
units: libraries, proc macros and build scripts). Exits non-zero, naming the command, when either build
fails.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import launch

# evcxr 0.22.0's Cargo.toml for its cell crate. Any difference in the profile would give every
# dependency another fingerprint, and the kernel would compile them all again:
# tests/notebooks.rs::the_kernel_finds_the_prebuilt_dependencies_up_to_date checks that it does not.
CARGO_TOML = """
[package]
name = "ctx"
version = "1.0.0"
edition = "2024"

[lib]
crate-type = ["cdylib"]
path = "src/lib.rs"

[profile.dev]
opt-level = 0
debug = false
strip = "debuginfo"
rpath = true
lto = false
debug-assertions = true
codegen-units = 16
panic = 'unwind'
incremental = true
overflow-checks = true

[dependencies]
{name} = {{ path = {path} }}
"""

LIB_RS = "#![allow(unused_imports)]\nuse {name} as _;\n"


def crate_name(path):
    """The package name in `path`/Cargo.toml, as a Rust identifier."""
    manifest = os.path.join(path, "Cargo.toml")
    if not os.path.isfile(manifest):
        raise SystemExit(f"prebuild.py: cannot read {manifest}: --crate must name a crate's "
                         "directory")
    name = launch.package_name(path)
    if name is None:
        raise SystemExit(f"prebuild.py: no package name in {manifest}")
    return name.replace("-", "_")


def host_triple():
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("host: "):
            return line[len("host: "):].strip()
    raise RuntimeError("`rustc -vV` printed no host triple")


def write_crate(build_dir, crate, name):
    """evcxr's cell crate depending on `crate` by its canonical path, as evcxr writes `:dep`."""
    os.makedirs(os.path.join(build_dir, "src"), exist_ok=True)
    with open(os.path.join(build_dir, "Cargo.toml"), "w") as f:
        # A JSON string is a TOML basic string: quotes and backslashes in the path are escaped.
        f.write(CARGO_TOML.format(name=name, path=json.dumps(crate)))
    with open(os.path.join(build_dir, "src", "lib.rs"), "w") as f:
        f.write(LIB_RS.format(name=name))


def start(label, argv, env=None, cwd=None):
    """A child whose stderr is condensed by a Progress, and whose stdout (cargo's JSON messages)
    is counted: (process, progress, counts, threads)."""
    child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, bufsize=1,
                             start_new_session=True)
    progress = launch.Progress(label)
    counts = {"compiled": 0, "fresh": 0}

    def read_stderr():
        for line in child.stderr:
            progress.line(line)

    def read_stdout():
        for line in child.stdout:
            if not line.startswith("{"):
                progress.line(line)
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") != "ctx":
                counts["fresh" if msg.get("fresh") else "compiled"] += 1
            elif msg.get("reason") == "compiler-message":
                rendered = msg.get("message", {}).get("rendered")
                if rendered and msg["message"].get("level") in ("error", "warning"):
                    progress.line(rendered.rstrip("\n"))

    threads = [threading.Thread(target=read_stderr, daemon=True),
               threading.Thread(target=read_stdout, daemon=True)]
    for t in threads:
        t.start()
    return child, progress, counts, threads


USAGE = "usage: prebuild.py BUILD_ROOT [--crate PATH] [--alongside LABEL -- COMMAND...]"


def main(argv):
    alongside = None
    if "--alongside" in argv:
        i = argv.index("--alongside")
        if len(argv) < i + 4 or argv[i + 2] != "--":
            sys.exit(USAGE)
        alongside = (argv[i + 1], argv[i + 3:])
        argv = argv[:i]
    crate = launch.kernel_crate()
    if "--crate" in argv:
        i = argv.index("--crate")
        if len(argv) < i + 2:
            sys.exit(USAGE)
        crate = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if len(argv) != 1:
        sys.exit(USAGE)
    root = os.path.abspath(argv[0])
    crate = os.path.realpath(crate)
    # Everything that can fail cheaply fails before a dir is claimed, copied or built.
    name = crate_name(crate)
    try:
        triple = host_triple()
    except (OSError, subprocess.CalledProcessError, RuntimeError) as e:
        sys.exit(f"prebuild.py: cannot ask rustc for the host triple ({e}): is Rust installed?")

    build_dir = launch.claim(root)
    if build_dir is None:
        sys.exit(f"prebuild.py: all {launch.POOL} kernel build dirs under {root} are in use by "
                 "running kernels; shut one down and run kernel/install.sh again")
    try:
        build(build_dir, root, crate, name, triple, alongside)
    finally:
        launch.release(build_dir)


def build(build_dir, root, crate, name, triple, alongside):
    launch.seed_lock_file(build_dir, crate)
    try:
        launch.seed_build(build_dir, root)
    except OSError as e:
        launch.say(f"could not start {build_dir} from another kernel's build ({e}); building it")
    write_crate(build_dir, crate, name)

    children = []
    interrupted = []

    def stop_all(sig, _frame):
        # Each child leads its own process group: cargo and every rustc it started get it.
        interrupted.append(sig)
        for c in children:
            try:
                os.killpg(c[2].pid, sig)
            except ProcessLookupError:
                pass

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop_all)
    env = dict(os.environ, CARGO_TARGET_DIR="target", CARGO_BUILD_BUILD_DIR="target",
               RUSTFLAGS="-Cprefer-dynamic")
    command = ["cargo", "build", "--target", triple, "--message-format=json"]
    try:
        if alongside:
            label, other = alongside
            children.append((label, other) + start(label, other))
        children.append(("kernel build", command) + start("kernel build", command, env, build_dir))
        wait_all(children, build_dir, interrupted)
    finally:
        for c in children:
            if c[2].poll() is None:
                os.killpg(c[2].pid, signal.SIGTERM)
                c[2].wait()


def wait_all(children, build_dir, interrupted):
    failed = []

    def finish(label, command, child, progress, counts, threads):
        # Each says it is done as soon as it is, while the other may still be compiling.
        code = child.wait()
        for t in threads:
            t.join()
        progress.stop()
        minutes = (time.monotonic() - progress.start) / 60
        if code != 0:
            failed.append(f"{label} (`{' '.join(command)}`, exit status {code})")
            print(f"[{label}] FAILED after {minutes:.1f} min", file=sys.stderr, flush=True)
        elif label == "kernel build":
            print(f"[{label}] done in {minutes:.1f} min: {counts['compiled']} compiled, "
                  f"{counts['fresh']} up to date ({build_dir})", file=sys.stderr, flush=True)
        else:
            print(f"[{label}] done in {minutes:.1f} min", file=sys.stderr, flush=True)

    waiters = [threading.Thread(target=finish, args=c) for c in children]
    for w in waiters:
        w.start()
    for w in waiters:
        w.join()
    if interrupted:
        sys.exit("prebuild.py: interrupted; run it again to go on where it stopped")
    if failed:
        sys.exit("prebuild.py: failed: " + "; ".join(failed) + ". The lines above say why.")


if __name__ == "__main__":
    main(sys.argv[1:])
