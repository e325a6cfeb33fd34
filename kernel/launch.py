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
    compile exactly the dependency versions the tests use, and keeps it there: evcxr's first
    act is to compile `42` without dependencies, which prunes the lock, and the `:dep` after it
    would resolve everything afresh (the newest versions on crates.io, compiled again, and only
    with the network). A watcher left behind puts the lock back until the `:dep` has run
    (`keep_lock_file`);
  * starts a dir that has never been built from a copy of one that has (`build` first), so a
    second kernel compiles only its cells, not the whole dependency tree again (10-15 minutes).
    The copy is taken while holding cargo's own build locks on the source (`.cargo-lock`), so it
    never catches a half-written library: a compile running in the first kernel finishes before
    the copy starts (waited for at most 45 s; after that this kernel builds its own), and one
    started during the copy waits for it. Copying 1.5 GB takes seconds; the copy stays and is
    reused by later kernels in that dir (evcxr's `:cache`, off, would keep a second copy of every
    compiled library even with one kernel). Not on NFS, where cargo does not lock;
  * turns off transparent huge pages in evcxr's allocator (MIMALLOC_ALLOW_THP=0, unless already
    set). evcxr_jupyter links mimalloc 3, which asks the OS for huge pages; under Linux's usual
    THP setting (`madvise`, and `defrag` `madvise`) every huge-page fault may compact memory
    first. evcxr's rust-analyzer allocates over 2 GB while it reads the crate's ~400
    dependencies, and a warm `:dep` spent half its time zeroing and compacting pages: 21-25 s
    with huge pages, 12 s without; a notebook's first cell 11-13 s against 9 s
    (scripts/bench_kernel_start.py measures both, side by side);
  * shows evcxr's rust-analyzer the crate without its dependencies. evcxr asks rust-analyzer
    for the type of every `let` in a cell (to keep the variable for later cells), and
    rust-analyzer name-resolves and collects the trait impls of the whole crate graph first:
    ~440 crates, 7-8 s at `:dep` and 7-8 s more at the first cell using the crate. The crate's
    Cargo.toml declares every dependency under `cfg(not(cryptoidol_kernel_types))`, and the
    kernel gets RUSTFLAGS="--cfg cryptoidol_kernel_types": rust-analyzer's `cargo metadata`
    reads it and sees the crate alone, while evcxr replaces RUSTFLAGS for each build it runs,
    so every build keeps every dependency. Cells can name only this crate's types and std's (no
    dependency's item is re-exported), so every variable keeps its type: a warm `:dep` plus
    first cell take 4.3 s instead of 20.8. CRYPTOIDOL_KERNEL_ANALYSIS=full leaves the flag out;
  * then replaces itself with evcxr_jupyter (same process id, so the `.pid` file names it).

With CRYPTOIDOL_KERNEL_PROGRESS=1 (kernel/install.sh's warm-up build) the launcher stays the
kernel's parent instead and turns cargo's "Compiling ..." lines on the kernel's stderr into a
progress line at most every 10 seconds as crates start, and at least every 30 seconds while a
large one compiles: `[kernel build] 120 crates compiled, 3.1 min (now: halo2-axiom)`.

Usage (from the kernelspec): launch.py EVCXR_JUPYTER_BINARY --control_file CONNECTION_FILE
"""

import fcntl
import glob
import os
import re
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


def release(build_dir):
    """Free a dir claimed by this process (one that does not become a kernel) now, rather than
    when its process id is reused."""
    try:
        with open(build_dir + ".pid") as f:
            if f.read().strip() == str(os.getpid()):
                os.remove(build_dir + ".pid")
    except OSError:
        pass


def kernel_crate():
    """The crate the notebooks `:dep`: this repository's, or CRYPTOIDOL_KERNEL_CRATE (the tests
    use small ones)."""
    return os.path.realpath(os.environ.get("CRYPTOIDOL_KERNEL_CRATE") or REPO)


def package_name(crate):
    """The package name in `crate`/Cargo.toml, as Cargo.lock spells it, or None."""
    try:
        with open(os.path.join(crate, "Cargo.toml")) as f:
            package = f.read().split("[package]", 1)[-1]
    except OSError:
        return None
    found = re.search(r'^name\s*=\s*"([^"]+)"', package, re.M)
    return found.group(1) if found else None


def seed_lock_file(build_dir, crate):
    """Give the dir `crate`'s Cargo.lock when its own lacks the crate or is older, so the
    kernel's build resolves every dependency to the version the tests use. Written whole, then
    renamed, so cargo never reads half of it."""
    ours = os.path.join(crate, "Cargo.lock")
    theirs = os.path.join(build_dir, "Cargo.lock")
    name = package_name(crate)
    if name is None or not os.path.exists(ours):
        return
    try:
        with open(theirs) as f:
            has_crate = f'name = "{name}"' in f.read()
        stale = os.path.getmtime(ours) > os.path.getmtime(theirs)
    except OSError:
        has_crate, stale = False, True
    if not has_crate or stale:
        shutil.copyfile(ours, theirs + ".seed")
        os.replace(theirs + ".seed", theirs)


DEPENDENCY = re.compile(r"^\s*\[dependencies\]\s*\n\s*[A-Za-z0-9_-]+\s*=", re.M)


def keep_lock_file(build_dir, crate, kernel):
    """evcxr's first act in a new kernel is to compile `42` in its cell crate, which then has no
    dependencies, and cargo prunes that crate's Cargo.lock to nothing. The notebook's `:dep`
    would then resolve every dependency afresh: to the newest versions on crates.io rather than
    the ones the tests use and kernel/install.sh built (so the first notebook compiles again, and
    cannot start without the network). This leaves behind a watcher (double-forked, so it is
    nobody's zombie) that puts `crate`'s lock back whenever it is pruned, until evcxr's
    Cargo.toml lists a dependency (the `:dep` ran, and cargo keeps the locked versions from then
    on) or the kernel, process `kernel`, is gone."""
    child = os.fork()
    if child:
        os.waitpid(child, 0)
        return
    try:
        if os.fork() == 0:
            os.setsid()
            # Nothing to print but a failure: let go of the kernel's stdin and stdout at once.
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 0)
            os.dup2(devnull, 1)
            watch_lock_file(build_dir, crate, kernel)
    except Exception as e:
        say(f"could not keep {build_dir}/Cargo.lock ({e}); the notebook's `:dep` may resolve "
            "and compile newer dependency versions")
    os._exit(0)


def stamp(path):
    """(modification time, size) of `path`, or None when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def watch_lock_file(build_dir, crate, kernel, poll=0.02):
    toml = os.path.join(build_dir, "Cargo.toml")
    lock = os.path.join(build_dir, "Cargo.lock")
    # The Cargo.toml a previous kernel left lists its `:dep`; evcxr rewrites it as it starts.
    stale = stamp(toml)
    started, seen = time.monotonic(), None
    while alive(kernel):
        if stamp(toml) != stale:
            with open(toml) as f:
                if DEPENDENCY.search(f.read()):
                    return
        if stamp(lock) != seen:
            seed_lock_file(build_dir, crate)
            seen = stamp(lock)
        # evcxr prunes in its first seconds; after two minutes without a `:dep`, look rarely.
        time.sleep(poll if time.monotonic() - started < 120 else 1.0)


WAIT_FOR_SOURCE = 45  # s; Jupyter gives up on a kernel that does not answer in 60 s


def cargo_locks(target):
    """cargo's build locks in a target dir: `debug/.cargo-lock` for build scripts and proc macros
    and `<triple>/debug/.cargo-lock` for the rest (evcxr passes --target). cargo holds both,
    exclusively, for as long as it builds."""
    t = glob.escape(target)
    return sorted(glob.glob(os.path.join(t, "*", ".cargo-lock"))
                  + glob.glob(os.path.join(t, "*", "*", ".cargo-lock")))


def hold_cargo_locks(target, source_name):
    """Take every cargo lock in `target`, or None if cargo is still building there after
    WAIT_FOR_SOURCE seconds. All or none: each is tried without blocking, and all are let go to retry when one is
    busy, so cargo, which takes them in its own order, never deadlocks with us."""
    said = False
    deadline = time.monotonic() + WAIT_FOR_SOURCE
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
        if time.monotonic() >= deadline:
            return None
        if not said:
            print(f"[kernel] waiting for the kernel in {source_name} to finish compiling, then "
                  "copying its build", file=sys.stderr, flush=True)
            said = True
        time.sleep(0.5)


def copied_name(name):
    """Files not worth copying: evcxr's compiled cells (libcode_N.so, one per executed cell) and
    its cell library (libctx*, rebuilt for every cell and renamed by evcxr after cargo exits)."""
    return not (name.startswith("libcode_") or name.startswith("libctx"))


def tree_size(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(d, f)).st_size
            except OSError:
                pass
    return total


def copy_file(src, dst):
    # A file gone between listing and copying (evcxr renaming its cell library) is not needed.
    try:
        shutil.copy2(src, dst, follow_symlinks=False)
    except FileNotFoundError:
        pass


def on_nfs(path):
    """cargo does not lock build dirs on NFS, so a copy there could catch a half-written file."""
    best, fstype = "", ""
    try:
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                mount = parts[1].replace("\\040", " ")
                if len(parts) > 2 and path.startswith(mount) and len(mount) > len(best):
                    best, fstype = mount, parts[2]
    except OSError:
        return False
    return fstype.startswith("nfs")


def say(message):
    print(f"[kernel] {message}", file=sys.stderr, flush=True)


def seed_build(build_dir, root):
    """Give a never-built dir a copy of the first built dir's `target` (timestamps kept, so cargo
    finds every dependency fresh). Returns the source dir, or None when the dir was built
    already, there was nothing to copy, or the copy could not be made (then it says why, and the
    kernel compiles its own dependencies)."""
    target = os.path.join(build_dir, "target")
    if os.path.exists(target):
        return None
    os.makedirs(build_dir, exist_ok=True)
    partial = target + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    own = "this kernel compiles its own dependencies instead (10-15 minutes)"
    for source in pool_dirs(root):
        source_target = os.path.join(source, "target")
        # Without cargo's lock files cargo has not yet started there (nothing to copy, and
        # nothing to hold while copying).
        if source == build_dir or not cargo_locks(source_target):
            continue
        name = os.path.basename(source)
        if on_nfs(os.path.abspath(source_target)):
            say(f"{root} is on NFS, where cargo does not lock its builds: {own}")
            return None
        size = tree_size(source_target)
        free = shutil.disk_usage(build_dir).free
        if free < size + 2**30:
            say(f"copying {name}'s build needs {size / 1e9:.1f} GB and 1 GB to spare, and only "
                f"{free / 1e9:.1f} GB is free: {own}. To start warm, shut down kernels you do not "
                "use and free disk space.")
            return None
        held = hold_cargo_locks(source_target, name)
        if held is None:
            say(f"the kernel in {name} is still compiling after {WAIT_FOR_SOURCE:.0f} s: {own}")
            return None
        started = time.monotonic()
        try:
            shutil.copytree(source_target, partial, symlinks=True, copy_function=copy_file,
                            ignore=lambda _d, names: [n for n in names if not copied_name(n)])
        except OSError as e:
            # copytree's shutil.Error lists every failed file (all of them on a full disk).
            failures = e.args[0] if isinstance(e, shutil.Error) and e.args else []
            why = f"{len(failures)} files failed; first: {failures[0][2]}" if failures else e
            shutil.rmtree(partial, ignore_errors=True)
            say(f"could not copy {name}'s build ({why}): {own}")
            return None
        finally:
            for f in held:
                f.close()
        os.rename(partial, target)
        say(f"copied {name}'s compiled dependencies ({size / 1e9:.1f} GB) in "
            f"{time.monotonic() - started:.0f} s")
        return source
    return None


# The cfg under which the crate's Cargo.toml declares no dependencies (see the module's doc).
TYPES_CFG = "cryptoidol_kernel_types"


def kernel_env(build_dir):
    """evcxr's environment: its build dir; mimalloc without transparent huge pages (see the
    module's doc; a value the user set is kept, so `MIMALLOC_ALLOW_THP=1` measures the other
    way); and RUSTFLAGS with `--cfg cryptoidol_kernel_types`, which only evcxr's rust-analyzer
    reads (`CRYPTOIDOL_KERNEL_ANALYSIS=full` leaves it out, to measure the other way)."""
    env = dict(os.environ, EVCXR_TMPDIR=build_dir)
    env.setdefault("MIMALLOC_ALLOW_THP", "0")
    if env.get("CRYPTOIDOL_KERNEL_ANALYSIS") != "full":
        flags = env.get("RUSTFLAGS", "").split()
        if TYPES_CFG not in flags:
            env["RUSTFLAGS"] = " ".join(flags + ["--cfg", TYPES_CFG])
    return env


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
    crate = kernel_crate()
    seed_lock_file(build_dir, crate)
    if os.path.basename(build_dir) != "build":
        print(f"[kernel] another kernel is using {root}/build: this one builds in {build_dir}",
              file=sys.stderr, flush=True)
    try:
        seed_build(build_dir, root)
    except OSError as e:
        # Only a head start: a kernel that cannot have it still starts, and builds.
        print(f"[kernel] could not start {build_dir} from another kernel's build ({e}); this "
              "kernel compiles its own dependencies", file=sys.stderr, flush=True)
    env = kernel_env(build_dir)
    keep_lock_file(build_dir, crate, os.getpid())
    if os.environ.get("CRYPTOIDOL_KERNEL_PROGRESS") == "1":
        sys.exit(run_with_progress([evcxr] + args, env))
    os.execve(evcxr, [evcxr] + args, env)


class Progress:
    """Condenses cargo's per-crate status lines ("Compiling x v1", "Downloaded y v2") from one
    build into `[LABEL] 120 crates compiled, 3.1 min (now: halo2-axiom)`: a line at most every 10
    seconds as crates start, and at least every 30 seconds while a large one compiles (the crate
    itself, halo2 and candle each take minutes without a line). Every other line (warnings,
    errors, what cargo installs) is passed through."""

    QUIET = ("Compiling", "Downloaded", "Downloading", "Locking", "Adding", "Updating", "Fresh")

    def __init__(self, label, out=sys.stderr):
        self.label, self.out = label, out
        self.done, self.now, self.last, self.blocked = 0, "", 0.0, False
        self.start = time.monotonic()
        self.lock = threading.Lock()
        self.running = True
        threading.Thread(target=self._heartbeat, daemon=True).start()

    def report(self):
        now = time.monotonic()
        self.last = now
        print(f"[{self.label}] {self.done} crates compiled, {(now - self.start) / 60:.1f} min "
              f"(now: {self.now})", file=self.out, flush=True)

    def line(self, line):
        words = line.split()
        with self.lock:
            if words[:1] == ["Compiling"] and len(words) > 1:
                self.blocked = False
                self.done += 1
                self.now = words[1]
                if time.monotonic() - self.last >= 10:
                    self.report()
            elif words[:1] and words[0] in self.QUIET:
                pass
            elif words[:1] == ["Blocking"]:
                # Repeated for every crate while another cargo holds the package cache.
                if not self.blocked:
                    self.blocked = True
                    print(f"[{self.label}] {line.strip()}", file=self.out, flush=True)
            elif line.strip():
                self.out.write(line if line.endswith("\n") else line + "\n")
                self.out.flush()

    def stop(self):
        self.running = False

    def _heartbeat(self):
        while self.running:
            time.sleep(5)
            with self.lock:
                if self.running and self.done and time.monotonic() - self.last >= 30:
                    self.report()


def run_with_progress(argv, env):
    """Run the kernel as a child, condensing cargo's per-crate lines into progress lines."""
    child = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True, bufsize=1)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, _f: child.send_signal(s))
    progress = Progress("kernel build")
    for line in child.stderr:
        progress.line(line)
    progress.stop()
    return child.wait()


if __name__ == "__main__":
    main()
