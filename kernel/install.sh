#!/usr/bin/env bash
# Install the Rust notebook kernel for this project:
#   1. evcxr_jupyter, pinned, with `cargo install --locked` (about 5-8 minutes on 2 cores; an
#      installed copy of the same version is reused);
#   2. Jupyter (JupyterLab, nbclient, nbconvert) into the project's .venv (scripts/python-env);
#   3. the kernelspec "cryptoidol-rust" inside .venv, so nothing is written to ~/.local and the
#      venv's `jupyter` finds it. It starts kernel/launch.py, which gives each live kernel its own
#      build dir under target/evcxr (`build`, then `build-2`, ...: two kernels in one dir crash),
#      fixed so that compiled dependencies are reused by every notebook and kernel restart; the
#      kernels share compiled dependencies through evcxr's cache (kernel/evcxr/init.evcxr). A
#      .cargo/config.toml above those dirs builds the crate and its dependencies with opt-level 3.
# Then: .venv/bin/jupyter lab notebooks/   (interactive)   or   kernel/run-notebooks  (headless)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=0.22.0

if ! command -v cargo >/dev/null; then
    echo "kernel/install.sh: cargo is not on PATH; install Rust from https://rustup.rs first" >&2
    exit 1
fi
bin_dir="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"
evcxr="$bin_dir/evcxr_jupyter"
if [ -x "$evcxr" ] && cargo install --list | grep -q "^evcxr_jupyter v$version:"; then
    echo "== kernel: reusing $evcxr ($version)"
else
    echo "== kernel: cargo install evcxr_jupyter $version --locked (5-8 minutes on 2 cores)"
    start=$(date +%s)
    cargo install evcxr_jupyter --version "$version" --locked
    echo "== kernel: evcxr_jupyter installed in $(( $(date +%s) - start )) s"
fi

scripts/python-env

build_root="$root/target/evcxr"
mkdir -p "$build_root/.cargo"
cp kernel/cargo-config.toml "$build_root/.cargo/config.toml"

spec_dir="$root/.venv/share/jupyter/kernels/cryptoidol-rust"
mkdir -p "$spec_dir"
cat >"$spec_dir/kernel.json" <<EOF
{
  "argv": ["$root/.venv/bin/python", "$root/kernel/launch.py", "$evcxr", "--control_file", "{connection_file}"],
  "display_name": "Rust (cryptoidol)",
  "language": "rust",
  "interrupt_mode": "message",
  "env": {
    "EVCXR_CONFIG_DIR": "$root/kernel/evcxr",
    "CRYPTOIDOL_KERNEL_BUILD_ROOT": "$build_root"
  }
}
EOF
echo "== kernel: registered 'Rust (cryptoidol)' in $spec_dir"
