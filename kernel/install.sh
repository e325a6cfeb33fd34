#!/usr/bin/env bash
# Set up everything the notebooks need, in one command (each step is skipped when already done):
#   1. solc and anvil from npm into node_modules (scripts/node-env; notebook 6 deploys with them);
#   2. Jupyter into the notebooks' own environment, .venv-notebooks (kernel/python-env; the test
#      tools stay in .venv), in the background beside step 3: it downloads and unpacks while the
#      builds use the cores;
#   3. evcxr_jupyter, pinned, with `cargo install --locked` (an installed copy of the same version
#      is reused), and beside it, sharing the two cores, the kernel's build of the crate and its
#      dependencies (kernel/prebuild.py: evcxr's own cargo command, without evcxr; seconds when
#      already built). Measured from a fresh clone with an empty cargo home: see
#      notebooks/README.md. A progress line for each at least every 30 s;
#   4. the kernelspec "cryptoidol-rust" inside .venv-notebooks, so nothing is written to ~/.local
#      and that venv's `jupyter` finds it, and beside it the server setting that shuts down a
#      kernel idle for 15 minutes (kernel/jupyter_server_config.json: JupyterLab otherwise keeps
#      every opened notebook's kernel alive, each with its memory and build dir). It starts kernel/launch.py, which gives each live kernel
#      its own build dir under target/evcxr (`build`, then `build-2`, ...: two kernels in one dir
#      crash), fixed so that compiled dependencies are reused by every notebook and kernel restart;
#      a new dir starts from a copy of a built one, so a second kernel does not build again. A
#      .cargo/config.toml above those dirs (kernel/cargo-config.toml) builds the crate and its
#      dependencies optimised;
#   5. the warm-up: the kernel runs one cell using the crate (kernel/warm-up.ipynb), which proves
#      it works and leaves nothing to compile for the notebooks' first cell. `--no-build` skips the
#      kernel's build and this step.
# Then: .venv-notebooks/bin/jupyter lab notebooks/   (interactive)   or   kernel/run-notebooks
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=0.22.0
build=1
for arg in "$@"; do
    case "$arg" in
    --no-build) build=0 ;;
    *)
        echo "usage: kernel/install.sh [--no-build]" >&2
        exit 2
        ;;
    esac
done
started=$(date +%s)
step() { echo "== kernel setup [$1/5, $(($(date +%s) - started)) s]: $2"; }

if ! command -v cargo >/dev/null; then
    echo "kernel/install.sh: cargo is not on PATH; install Rust from https://rustup.rs first" >&2
    exit 1
fi
if ! command -v npm >/dev/null; then
    echo "kernel/install.sh: npm is not on PATH; install Node.js 18 or later (notebook 6 needs solc and anvil)" >&2
    exit 1
fi

bin_dir="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"
evcxr="$bin_dir/evcxr_jupyter"
scripts/need-disk kernel/install.sh 1 \
    ".venv-notebooks" .venv-notebooks 0.3 \
    "evcxr_jupyter's build" "$evcxr" 1 \
    "the kernel's build" target/evcxr/build/target 1.7
step 1 "npm tools (solc, anvil)"
scripts/node-env

if ! command -v python3 >/dev/null; then
    echo "kernel/install.sh: python3 is not on PATH; install Python 3.9 or later" >&2
    exit 1
fi
# Downloading and unpacking Jupyter is network and disk work: it runs beside step 3's builds,
# which keep both cores busy, and step 4 waits for it.
step 2 "Jupyter in .venv-notebooks (beside step 3)"
(kernel/python-env && echo "== kernel setup [2/5, $(($(date +%s) - started)) s]: .venv-notebooks is ready") &
python_env=$!

# evcxr's rust-analyzer reads std's sources to name the types of cell variables (String, Vec,
# ...); without the rust-src component it installs it itself at the first kernel start, which
# fails offline. Here it happens once, with rustup's own progress.
if command -v rustup >/dev/null && ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
    echo "== kernel setup: rustup component add rust-src (std's sources, for the kernel's type analysis)"
    rustup component add rust-src || echo "kernel/install.sh: could not add rust-src; the kernel will try again when it starts" >&2
fi

build_root="$root/target/evcxr"
mkdir -p "$build_root/.cargo"
cp kernel/cargo-config.toml "$build_root/.cargo/config.toml"
install=(cargo install evcxr_jupyter --version "$version" --locked)
if [ -x "$evcxr" ] && grep -q "^evcxr_jupyter v$version:" <<<"$(cargo install --list)"; then
    install=()
fi
if [ "$build" = 1 ]; then
    if [ ${#install[@]} = 0 ]; then
        step 3 "reusing $evcxr ($version); the kernel's build (5-6 minutes on 2 cores the first time)"
        python3 kernel/prebuild.py "$build_root"
    else
        step 3 "${install[*]}, and beside it the kernel's build (about 10 minutes on 2 cores)"
        python3 kernel/prebuild.py "$build_root" --alongside evcxr_jupyter -- "${install[@]}"
    fi
elif [ ${#install[@]} = 0 ]; then
    step 3 "reusing $evcxr ($version)"
else
    step 3 "${install[*]} (6 minutes on 2 cores; cargo shows each crate)"
    "${install[@]}"
fi

if ! wait "$python_env"; then
    echo "kernel/install.sh: creating .venv-notebooks failed (its error is above); run kernel/python-env to retry it alone" >&2
    exit 1
fi

spec_dir="$root/.venv-notebooks/share/jupyter/kernels/cryptoidol-rust"
mkdir -p "$spec_dir"
cat >"$spec_dir/kernel.json" <<JSON
{
  "argv": ["$root/.venv-notebooks/bin/python", "$root/kernel/launch.py", "$evcxr", "--control_file", "{connection_file}"],
  "display_name": "Rust (cryptoidol)",
  "language": "rust",
  "interrupt_mode": "message",
  "env": {
    "EVCXR_CONFIG_DIR": "$root/kernel/evcxr",
    "CRYPTOIDOL_KERNEL_BUILD_ROOT": "$build_root"
  }
}
JSON
# Read by that venv's `jupyter lab` / `jupyter server` (its sys.prefix config dir).
config_dir="$root/.venv-notebooks/etc/jupyter"
mkdir -p "$config_dir"
cp kernel/jupyter_server_config.json "$config_dir/jupyter_server_config.json"
step 4 "registered the kernel 'Rust (cryptoidol)' in $spec_dir; idle kernels shut down after 15 minutes ($config_dir/jupyter_server_config.json)"

if [ "$build" = 1 ]; then
    step 5 "warm-up: the kernel runs a cell using the crate"
    CRYPTOIDOL_KERNEL_PROGRESS=1 .venv-notebooks/bin/python kernel/run_notebooks.py \
        --out target/evcxr/warm-up --timeout 3600 kernel/warm-up.ipynb
fi
echo "== kernel setup done in $(($(date +%s) - started)) s. Start: .venv-notebooks/bin/jupyter lab notebooks/"
