"""Start the Rust kernel (evcxr_jupyter) in a build dir that no other live kernel uses.

evcxr compiles every cell in its build dir (EVCXR_TMPDIR); two kernels sharing one dir overwrite
each other's libraries and the second dies ("Error renaming ... libctx.so", "dlsym failed").
JupyterLab keeps earlier kernels alive, so a second notebook opened beside the first would hit
this. The kernelspec therefore starts this launcher, which:

  * takes the first free dir of a pool under CRYPTOIDOL_KERNEL_BUILD_ROOT: `build` (the one
    kernel/install.sh pre-builds), then `build-2` ... `build-8`. `<dir>.pid` names the kernel
    that holds a dir; a dir is free when that process is gone (so a crashed kernel frees its
    dir), and claims are serialised by a short lock on `pool.lock`;
  * gives the dir the crate's Cargo.lock when it lacks the crate or is older, so notebooks
    compile exactly the dependency versions the tests use (a notebook without the crate prunes
    the lock; cargo adds the kernel's own crate to it);
  * then replaces itself with evcxr_jupyter (same process id, so the `.pid` file names it).

  * starts a dir that has never been built from a copy of one that has (`build` first), so a
    second kernel compiles only its cells, not the whole dependency tree again (10-15 minutes).
    The copy is taken while holding cargo's own build locks on the source (`.cargo-lock`), so it
    never catches a half-written library: a cell compiling in the first kernel finishes before
    the copy starts, and waits for it to end. Copying (about 1.5 GB, seconds) costs disk only
    while a second kernel exists; evcxr's `:cache` instead keeps a second copy of every compiled
    library for good.

With CRYPTOIDOL_KERNEL_PROGRESS=1 (kernel/install.sh's warm-up build) the launcher stays the
kernel's parent instead and turns cargo's "Compiling ..." lines on the kernel's stderr into a
progress line at most every 10 seconds as crates start, and at least every 30 seconds while a
large one compiles: `[kernel build] 120 crates compiled, 3.1 min (now: halo2-axiom)`.

Usage (from the kernelspec): launch.py EVCXR_JUPYTER_BINARY --control_file CONNECTION_FILE
"""

import fcntl
import glob
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

POOL = 8
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pool_dirs(root):
    yield os.path.join(root, "build")
    for n in range(2, POOL + 1):
        yield os.path.join(root, f"build-{n}")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim(root):
    """The first dir no live kernel holds, marked with this process's id (the kernel's, after
    exec). Claims are serialised by a lock on `pool.lock`, held only while choosing: no file
    descriptor outlives the choice, so nothing the kernel starts (cargo, anvil) can keep a dir
    taken after the kernel exits."""
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "pool.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for d in pool_dirs(root):
            pid_file = d + ".pid"
            try:
                with open(pid_file) as f:
                    pid = int(f.read().strip())
            except (OSError, ValueError):
                pid = None
            if pid and pid != os.getpid() and alive(pid):
                continue
            os.makedirs(d, exist_ok=True)
            with open(pid_file, "w") as f:
                f.write(f"{os.getpid()}\n")
            return d
    return None


def seed_lock_file(build_dir):
    ours = os.path.join(REPO, "Cargo.lock")
    theirs = os.path.join(build_dir, "Cargo.lock")
    try:
        with open(theirs) as f:
            has_crate = 'name = "cryptoidol"' in f.read()
        stale = os.path.getmtime(ours) > os.path.getmtime(theirs)
    except OSError:
        has_crate, stale = False, True
    if not has_crate or stale:
        shutil.copyfile(ours, theirs)


def cargo_locks(target):
    """cargo's build locks in a target dir: `debug/.cargo-lock` for build scripts and proc macros
    and `<triple>/debug/.cargo-lock` for the rest (evcxr passes --target). cargo holds both,
    exclusively, for as long as it builds."""
    return sorted(glob.glob(os.path.join(target, "*", ".cargo-lock"))
                  + glob.glob(os.path.join(target, "*", "*", ".cargo-lock")))


def hold_cargo_locks(target, source_name):
    """Take every cargo lock in `target` (all or none: try each without blocking, let go and retry
    if one is busy, so cargo, which takes them in its own order, never deadlocks with us)."""
    said = False
    while True:
        held = []
        for path in cargo_locks(target):
            f = open(path, "a")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.close()
                break
            held.append(f)
        else:
            return held
        for f in held:
            f.close()
        if not said:
            print(f"[kernel] waiting for the kernel in {source_name} to finish compiling, then "
                  "copying its build", file=sys.stderr, flush=True)
            said = True
        time.sleep(0.5)


def copied_name(name):
    """Files not worth copying: evcxr's compiled cells (libcode_N.so), one per executed cell."""
    return not (name.startswith("libcode_") and name.endswith(".so"))


def seed_build(build_dir, root):
    """Give a never-built dir a copy of the first built dir's `target` (timestamps kept, so cargo
    finds every dependency fresh). Returns the source dir, or None when there was nothing to copy
    or the dir was built already."""
    target = os.path.join(build_dir, "target")
    if os.path.exists(target):
        return None
    for source in pool_dirs(root):
        source_target = os.path.join(source, "target")
        # Without cargo's lock files cargo has not yet started there (nothing to copy, and
        # nothing to hold while copying).
        if source == build_dir or not cargo_locks(source_target):
            continue
        name = os.path.basename(source)
        partial = target + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        held = hold_cargo_locks(source_target, name)
        try:
            started = time.monotonic()
            shutil.copytree(source_target, partial, symlinks=True,
                            ignore=lambda _d, names: [n for n in names if not copied_name(n)])
        except OSError as e:
            shutil.rmtree(partial, ignore_errors=True)
            print(f"[kernel] could not copy {name}'s build into {build_dir} ({e}); this kernel "
                  "compiles its own dependencies instead (10-15 minutes). Free disk space, or shut "
                  "down the other kernels, to start warm.", file=sys.stderr, flush=True)
            return None
        finally:
            for f in held:
                f.close()
        os.rename(partial, target)
        size = sum(os.path.getsize(os.path.join(d, f))
                   for d, _, files in os.walk(target) for f in files)
        print(f"[kernel] copied {name}'s compiled dependencies ({size / 1e9:.1f} GB) in "
              f"{time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        return source
    return None


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: launch.py EVCXR_JUPYTER_BINARY [kernel arguments...]")
    evcxr, args = sys.argv[1], sys.argv[2:]
    root = os.environ.get("CRYPTOIDOL_KERNEL_BUILD_ROOT")
    if not root:
        sys.exit("launch.py: CRYPTOIDOL_KERNEL_BUILD_ROOT is not set (run kernel/install.sh)")
    build_dir = claim(root)
    if build_dir is None:
        sys.exit(
            f"launch.py: all {POOL} kernel build dirs under {root} are in use by running "
            "kernels; shut one down (JupyterLab: Running Terminals and Kernels) and start again"
        )
    seed_lock_file(build_dir)
    if os.path.basename(build_dir) != "build":
        print(f"[kernel] another kernel is using {root}/build: this one builds in {build_dir}",
              file=sys.stderr, flush=True)
    seed_build(build_dir, root)
    env = dict(os.environ, EVCXR_TMPDIR=build_dir)
    if os.environ.get("CRYPTOIDOL_KERNEL_PROGRESS") == "1":
        sys.exit(run_with_progress([evcxr] + args, env))
    os.execve(evcxr, [evcxr] + args, env)


def run_with_progress(argv, env):
    """Run the kernel as a child, condensing cargo's per-crate lines into progress lines."""
    child = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True, bufsize=1)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, _f: child.send_signal(s))
    state = {"done": 0, "now": "", "last": 0.0, "running": True}
    start = time.monotonic()

    def report():
        now = time.monotonic()
        state["last"] = now
        print(f"[kernel build] {state['done']} crates compiled, {(now - start) / 60:.1f} min "
              f"(now: {state['now']})", file=sys.stderr, flush=True)

    def heartbeat():
        # A large crate (the crate itself, halo2, candle) compiles for minutes without a line.
        while state["running"]:
            time.sleep(5)
            if state["running"] and state["done"] and time.monotonic() - state["last"] >= 30:
                report()

    threading.Thread(target=heartbeat, daemon=True).start()
    for line in child.stderr:
        words = line.split()
        if words[:1] == ["Compiling"] and len(words) > 1:
            state["done"] += 1
            state["now"] = words[1]
            if time.monotonic() - state["last"] >= 10:
                report()
        elif line.strip():
            sys.stderr.write(line)
            sys.stderr.flush()
    state["running"] = False
    return child.wait()


if __name__ == "__main__":
    main()
