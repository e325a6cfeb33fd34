#!/usr/bin/env bash
# Install the Rust notebook kernel for this project:
#   1. evcxr_jupyter, pinned, with `cargo install --locked` (about 5-8 minutes on 2 cores; an
#      installed copy of the same version is reused);
#   2. Jupyter (JupyterLab, nbclient, nbconvert) into the project's .venv (scripts/python-env);
#   3. the kernelspec "cryptoidol-rust" inside .venv, so nothing is written to ~/.local and the
#      venv's `jupyter` finds it. Its environment points evcxr at kernel/evcxr (start-up
#      settings) and at a fixed build dir, target/evcxr/build, so compiled dependencies are shared
#      by every notebook and kernel restart; a .cargo/config.toml above that dir builds the crate
#      and its dependencies with opt-level 3.
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

build_parent="$root/target/evcxr"
build_dir="$build_parent/build"
mkdir -p "$build_dir" "$build_parent/.cargo"
cp kernel/cargo-config.toml "$build_parent/.cargo/config.toml"
# Resolve the notebook build against the crate's own lock file, so notebooks compile exactly the
# dependency versions the tests use (cargo adds the kernel's own crate to it). A notebook without
# the crate prunes that lock, so it is restored whenever it lacks the crate.
if ! grep -q '^name = "cryptoidol"' "$build_dir/Cargo.lock" 2>/dev/null ||
    [ Cargo.lock -nt "$build_dir/Cargo.lock" ]; then
    cp Cargo.lock "$build_dir/Cargo.lock"
fi

spec_dir="$root/.venv/share/jupyter/kernels/cryptoidol-rust"
mkdir -p "$spec_dir"
cat >"$spec_dir/kernel.json" <<EOF
{
  "argv": ["$evcxr", "--control_file", "{connection_file}"],
  "display_name": "Rust (cryptoidol)",
  "language": "rust",
  "interrupt_mode": "message",
  "env": {
    "EVCXR_CONFIG_DIR": "$root/kernel/evcxr",
    "EVCXR_TMPDIR": "$build_dir"
  }
}
EOF
echo "== kernel: registered 'Rust (cryptoidol)' in $spec_dir"
