//! The notebooks and their headless runner (issue 5).
//!
//! The runner (`kernel/run_notebooks.py`) must fail on every kind of broken cell the Rust kernel
//! can produce: a compile error, a panic, and an `Err` returned through `?` (which evcxr only
//! prints to stderr). These tests run it on small fixture notebooks under the real evcxr
//! kernel. They need `kernel/install.sh` to have run: `scripts/test` runs it and sets
//! CRYPTOIDOL_REQUIRE_KERNEL=1, so in CI they always run; elsewhere they are skipped with a note
//! if the kernel is absent. The six tutorial notebooks themselves are executed by
//! `kernel/run-notebooks`, which `scripts/test` runs after `cargo test`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's Python if the kernel is installed, else None (or a failure when required).
fn kernel_python() -> Option<PathBuf> {
    let python = root().join(".venv-notebooks/bin/python");
    let spec = root().join(".venv-notebooks/share/jupyter/kernels/cryptoidol-rust/kernel.json");
    let required = std::env::var("CRYPTOIDOL_REQUIRE_KERNEL").is_ok_and(|v| v == "1");
    let has_nbclient = Command::new(&python)
        .args(["-c", "import nbclient, nbformat"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_nbclient && spec.is_file() {
        return Some(python);
    }
    assert!(
        !required,
        "the notebook kernel is not installed ({}): run kernel/install.sh",
        spec.display()
    );
    eprintln!("note: skipping the notebook runner tests (run kernel/install.sh to enable them)");
    None
}

/// The headless runner on one fixture notebook, writing to `out`, building under `build_root`.
fn runner(python: &Path, out: &Path, build_root: &Path, fixture: &str) -> Command {
    let mut c = Command::new(python);
    c.current_dir(root())
        .arg("kernel/run_notebooks.py")
        .arg("--out")
        .arg(out)
        .arg("--build-dir")
        .arg(build_root)
        .arg(format!("tests/fixtures/notebooks/{fixture}.ipynb"));
    c
}

/// The runner's `FAILED: <notebook>, cell N: <reason>` line for a fixture's failed run.
fn failed_line<'a>(fixture: &str, text: &'a str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with("FAILED:"))
        .unwrap_or_else(|| panic!("{fixture}: no FAILED line:\n{text}"))
}

/// Run the runner on one fixture; (exit success, stdout + stderr).
fn run(python: &Path, fixture: &str, extra: &[&str]) -> (bool, String) {
    run_with_env(python, fixture, extra, &[])
}

/// [`run`], with environment variables set (`Some`) or removed (`None`) for the runner and so
/// for the kernel it starts.
fn run_with_env(
    python: &Path,
    fixture: &str,
    extra: &[&str],
    env: &[(&str, Option<&str>)],
) -> (bool, String) {
    let out_dir = tempfile::tempdir().unwrap();
    // Its own evcxr build dir: tests run in parallel, and the notebooks' shared build dir must
    // keep the crate's dependencies.
    let build_dir = tempfile::tempdir().unwrap();
    let mut command = runner(python, out_dir.path(), build_dir.path(), fixture);
    for (key, value) in env {
        match value {
            Some(v) => command.env(key, v),
            None => command.env_remove(key),
        };
    }
    let out = command
        .args(extra)
        .output()
        .expect("run the notebook runner");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The executed notebook is written even when a cell fails.
    assert!(
        out_dir.path().join(format!("{fixture}.ipynb")).is_file(),
        "{fixture}: no executed notebook written\n{text}"
    );
    (out.status.success(), text)
}

#[test]
fn a_broken_cell_fails_the_headless_run_at_that_cell() {
    let Some(python) = kernel_python() else {
        return;
    };
    for (fixture, cell, reason) in [
        ("broken_compile", 0, "error output"),
        ("broken_panic", 1, "panic"),
        ("broken_question_mark", 0, "invalid digit found in string"),
        // Jupyter draws stderr as an error box: progress belongs on stdout in the kernel.
        ("broken_stderr_progress", 0, "a progress line on stderr"),
    ] {
        let (ok, text) = run(&python, fixture, &[]);
        assert!(!ok, "{fixture} passed the runner:\n{text}");
        let line = failed_line(fixture, &text);
        assert!(
            line.contains(&format!("cell {cell}:")) && line.contains(reason),
            "{fixture}: expected a failure at cell {cell} mentioning '{reason}', got: {line}"
        );
        assert!(
            !text.contains("must not run"),
            "{fixture}: the run went on after the broken cell:\n{text}"
        );
    }
}

#[test]
fn progress_lines_on_stdout_do_not_fail_a_run() {
    let Some(python) = kernel_python() else {
        return;
    };
    let (ok, text) = run(&python, "ok_progress", &[]);
    assert!(ok, "a clean notebook failed:\n{text}");
    assert!(text.contains("ok in"), "{text}");
    // And --expect-failure turns a clean notebook into a failed run.
    let (ok, text) = run(&python, "ok_progress", &["--expect-failure"]);
    assert!(!ok, "--expect-failure accepted a clean notebook:\n{text}");
}

/// Two kernels started at the same moment from the project's kernelspec (as JupyterLab does when a
/// second notebook opens beside the first) both run their cells: kernel/launch.py gives each its
/// own build dir, where two kernels in one dir crashed the second (issue 16).
#[test]
fn two_kernels_started_at_once_both_run_their_cells() {
    let Some(python) = kernel_python() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let outs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let runs: Vec<_> = outs
        .iter()
        .map(|out| {
            runner(&python, out.path(), root.path(), "two_kernels")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start the notebook runner")
        })
        .collect();
    let mut dirs = Vec::new();
    for (run, out) in runs.into_iter().zip(&outs) {
        let done = run.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&done.stdout),
            String::from_utf8_lossy(&done.stderr)
        );
        assert!(done.status.success(), "a kernel failed:\n{text}");
        let nb = std::fs::read_to_string(out.path().join("two_kernels.ipynb")).unwrap();
        assert!(
            nb.contains("hex says cafe"),
            "no output from the cell:\n{nb}"
        );
        let dir = nb
            .split("built in ")
            .nth(1)
            .and_then(|s| s.split('|').next())
            .expect("the build dir is printed")
            .to_string();
        dirs.push(dir);
    }
    assert_ne!(dirs[0], dirs[1], "both kernels built in one dir");
    for d in &dirs {
        assert!(d.starts_with(&root.path().display().to_string()), "{d}");
    }
}

/// kernel/install.sh builds the kernel's crate with plain cargo (kernel/prebuild.py) while evcxr
/// itself is still compiling: that build is only worth its minutes if evcxr, starting afterwards,
/// finds every dependency up to date. A small fixture crate stands in for ours: prebuild.py
/// builds it into a fresh pool (with the kernel's cargo config, as install.sh sets it up), then a
/// real kernel runs `:dep` on it there and must compile nothing but its own cell crate (`ctx`).
/// Any difference from evcxr's own Cargo.toml, flags or target would recompile the dependency.
///
/// The fixture's Cargo.lock pins hex 0.4.2, older than crates.io's newest: both builds must
/// use it. evcxr's first act in a kernel (compiling `42` without dependencies) prunes the build
/// dir's lock, and `:dep` would then resolve hex afresh to the newest and compile it again;
/// launch.py's `keep_lock_file` puts the crate's lock back in between.
#[test]
fn the_kernel_finds_the_prebuilt_dependencies_up_to_date() {
    const FIXTURE: &str = "tests/fixtures/crates/prebuilt";
    let Some(python) = kernel_python() else {
        return;
    };
    let pool = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(pool.path().join(".cargo")).unwrap();
    std::fs::copy(
        root().join("kernel/cargo-config.toml"),
        pool.path().join(".cargo/config.toml"),
    )
    .unwrap();
    let pre = Command::new(&python)
        .current_dir(root())
        .arg("kernel/prebuild.py")
        .arg(pool.path())
        .args(["--crate", FIXTURE])
        .output()
        .expect("run kernel/prebuild.py");
    let text = String::from_utf8_lossy(&pre.stderr).to_string();
    assert!(pre.status.success(), "prebuild failed:\n{text}");
    let summary = text
        .lines()
        .find(|l| l.starts_with("[kernel build] done"))
        .unwrap_or_else(|| panic!("no summary line:\n{text}"));
    let compiled: usize = summary
        .split(": ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(
        compiled >= 2,
        "the fixture and hex were not compiled: {summary}"
    );
    assert!(
        !pool.path().join("build.pid").exists(),
        "the dir is still claimed"
    );

    // What the kernel would rewrite if it compiled a dependency again: every artifact but its
    // own cell libraries, with its modification time.
    // Libraries for the target, and proc macros and build scripts for the host (evcxr passes
    // --target, so these live apart).
    let artifacts = || -> Vec<(PathBuf, std::time::SystemTime)> {
        let target = pool.path().join("build/target");
        let mut files = Vec::new();
        for deps in [
            target.join("x86_64-unknown-linux-gnu/debug/deps"),
            target.join("debug/deps"),
        ] {
            for e in std::fs::read_dir(&deps).unwrap_or_else(|e| panic!("{}: {e}", deps.display()))
            {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                if ["libctx", "libcode_", "ctx"]
                    .iter()
                    .any(|s| name.starts_with(s))
                {
                    continue;
                }
                let t = std::fs::metadata(&p).unwrap().modified().unwrap();
                files.push((p, t));
            }
        }
        files.sort();
        files
    };
    let before = artifacts();
    for dep in ["prebuilt_fixture", "serde_derive", "hex"] {
        assert!(
            before
                .iter()
                .any(|(p, _)| p.to_string_lossy().contains(dep)),
            "prebuild.py built no {dep}: {before:?}"
        );
    }

    let out = tempfile::tempdir().unwrap();
    let run = runner(&python, out.path(), pool.path(), "prebuilt")
        .env("CRYPTOIDOL_KERNEL_CRATE", root().join(FIXTURE))
        .output()
        .expect("run the notebook runner");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.status.success(), "the kernel failed:\n{log}");
    let nb = std::fs::read_to_string(out.path().join("prebuilt.ipynb")).unwrap();
    assert!(nb.contains("the fixture says beef"), "{nb}");
    assert!(
        nb.contains("/build|"),
        "the kernel did not run in the pre-built dir: {nb}"
    );
    // evcxr passes on cargo's "Compiling" line for every crate but its own cell crate.
    let rebuilt: Vec<&str> = log
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .collect();
    assert!(
        rebuilt.is_empty(),
        "the kernel compiled again: {rebuilt:?}\n{log}"
    );
    assert_eq!(
        artifacts(),
        before,
        "the kernel rewrote a pre-built library"
    );
    let lock = std::fs::read_to_string(pool.path().join("build/Cargo.lock")).unwrap();
    assert!(
        lock.contains("name = \"hex\"\nversion = \"0.4.2\""),
        "the kernel's build left the crate's locked hex 0.4.2:\n{lock}"
    );
    let hex_sources: Vec<String> = before
        .iter()
        .filter(|(p, _)| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("hex-") && name.ends_with(".d")
        })
        .map(|(p, _)| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(
        !hex_sources.is_empty() && hex_sources.iter().all(|d| d.contains("hex-0.4.2")),
        "hex was compiled from another version than the lock's 0.4.2: {hex_sources:?}"
    );
}

/// A never-built dir starts from a copy of a built one (kernel/launch.py's `seed_build`), taken
/// only once cargo's build locks on the source are free: a holder that rewrites a library while it
/// holds them must see its rewrite, not the old bytes, in the copy. Timestamps are kept (cargo
/// compares them) and evcxr's cell libraries are left behind; a source still locked after the
/// wait limit is not copied at all. Needs only the system python3.
#[test]
fn a_new_build_dir_is_copied_from_a_built_one_under_cargos_lock() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;
    let pool = tempfile::tempdir().unwrap();
    let build = pool.path().join("build/target");
    let deps = build.join("x86_64-unknown-linux-gnu/debug/deps");
    std::fs::create_dir_all(&deps).unwrap();
    std::fs::create_dir_all(build.join("debug")).unwrap();
    let locks = [
        build.join("x86_64-unknown-linux-gnu/debug/.cargo-lock"),
        build.join("debug/.cargo-lock"),
    ];
    for lock in &locks {
        std::fs::write(lock, "").unwrap();
    }
    let lib = deps.join("libdep-abc.rlib");
    std::fs::write(&lib, "old bytes").unwrap();
    std::fs::write(deps.join("libcode_3.so"), "a compiled cell").unwrap();
    std::fs::write(deps.join("libctx-1.so"), "the cell library").unwrap();

    // The "first kernel's cargo": holds both locks until told to go on, then rewrites the
    // library, dates it and lets go.
    let holder_py = "import fcntl, os, sys\n\
                     fs = [open(p, 'a') for p in sys.argv[1:3]]\n\
                     [fcntl.flock(f, fcntl.LOCK_EX) for f in fs]\n\
                     print('held', flush=True); sys.stdin.readline()\n\
                     open(sys.argv[3], 'w').write('rewritten under the lock')\n\
                     os.utime(sys.argv[3], ns=(1_600_000_000_123_456_789,) * 2)\n";
    let mut holder = Command::new("python3")
        .args(["-c", holder_py])
        .args(&locks)
        .arg(&lib)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "held");

    let seeder = |dir: &str, wait: &str| {
        let py = "import importlib.util, sys\n\
                  spec = importlib.util.spec_from_file_location('launch', sys.argv[1])\n\
                  m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n\
                  m.WAIT_FOR_SOURCE = float(sys.argv[4])\n\
                  print('source', m.seed_build(sys.argv[2] + '/' + sys.argv[3], sys.argv[2]))\n\
                  print('again', m.seed_build(sys.argv[2] + '/' + sys.argv[3], sys.argv[2]))\n";
        let mut c = Command::new("python3");
        c.args(["-c", py])
            .arg(root().join("kernel/launch.py"))
            .arg(pool.path())
            .args([dir, wait])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };

    // Still locked after the wait limit: no copy, and it says the kernel builds its own.
    let out = seeder("build-3", "1").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("still compiling after 1 s"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("source None"));
    assert!(!pool.path().join("build-3/target").exists());

    // Released while the seeder waits: the copy holds what was written under the lock.
    let mut seed = seeder("build-2", "60").spawn().unwrap();
    let mut err = BufReader::new(seed.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("waiting for the kernel in build to finish compiling") {
        assert!(
            err.read_line(&mut said).unwrap() > 0,
            "no waiting line: {said}"
        );
    }
    holder.stdin.take().unwrap().write_all(b"go\n").unwrap();
    assert!(holder.wait().unwrap().success());
    err.read_to_string(&mut said).unwrap();
    let out = seed.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{said}");
    let source = pool.path().join("build").display().to_string();
    assert!(
        stdout.contains(&format!("source {source}")),
        "{stdout}{said}"
    );
    assert!(
        stdout.contains("again None"),
        "a built dir was copied over: {stdout}"
    );

    let copy = pool
        .path()
        .join("build-2/target/x86_64-unknown-linux-gnu/debug/deps");
    let copied = copy.join("libdep-abc.rlib");
    assert_eq!(
        std::fs::read_to_string(&copied).unwrap(),
        "rewritten under the lock",
        "the copy was taken while cargo held its lock"
    );
    let mtime = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    assert_eq!(mtime(&copied), mtime(&lib), "timestamps not kept");
    for cell in ["libcode_3.so", "libctx-1.so"] {
        assert!(!copy.join(cell).exists(), "{cell} copied");
    }
    assert!(!pool.path().join("build-2/target.partial").exists());
}

/// Static checks on the tutorial notebooks: the kernel they ask for, the one `:dep` line first,
/// the shared workspace, and a README entry for each.
#[test]
fn tutorial_notebooks_use_the_project_kernel_and_crate() {
    let dir = root().join("notebooks");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ipynb"))
        .collect();
    names.sort();
    assert!(names.len() >= 6, "expected the six tutorial notebooks");
    for path in names {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let nb: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            nb["metadata"]["kernelspec"]["name"], "cryptoidol-rust",
            "{name}: wrong kernel"
        );
        let cells = nb["cells"].as_array().unwrap();
        let code: Vec<String> = cells
            .iter()
            .filter(|c| c["cell_type"] == "code")
            .map(|c| match &c["source"] {
                serde_json::Value::String(s) => s.clone(),
                v => v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().unwrap())
                    .collect(),
            })
            .collect();
        assert_eq!(
            code[0].trim(),
            r#":dep cryptoidol = { path = ".." }"#,
            "{name}: the first code cell must be the one :dep line"
        );
        assert!(
            code.iter()
                .any(|c| c.contains(r#"Workspace::new("../artifacts")"#)),
            "{name}: does not open the shared workspace"
        );
        assert!(
            cells
                .iter()
                .all(|c| c["outputs"].as_array().is_none_or(|o| o.is_empty())),
            "{name}: committed with outputs (clear them; executed copies go to artifacts/notebooks)"
        );
        assert!(readme.contains(&name), "notebooks/README.md omits {name}");
        // Every notebook invites a change (a "Try it" cell, tagged `tweak`, which the headless
        // run executes like any cell), ends with a recap, and says what comes next (issue 30).
        let tweaks = cells
            .iter()
            .filter(|c| {
                c["cell_type"] == "code"
                    && c["metadata"]["tags"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|t| t == "tweak"))
            })
            .count();
        assert!(
            tweaks >= 1,
            "{name}: no Try it cell (a code cell tagged `tweak`)"
        );
        let text: Vec<String> = cells
            .iter()
            .filter(|c| c["cell_type"] == "markdown")
            .map(|c| c["source"].as_str().unwrap_or_default().to_string())
            .collect();
        assert!(
            text.iter().any(|t| t.contains("## Try it")),
            "{name}: no \"## Try it\" text before its tweak cell"
        );
        let last = text.last().unwrap();
        assert!(
            last.contains("## Recap") && (last.contains("Next:") || name.starts_with("08")),
            "{name}: the last text cell must hold the recap and the next notebook:\n{last}"
        );
        assert!(
            text.iter().any(|t| t.contains("](https://")),
            "{name}: links to no primary source"
        );
    }
}

/// The server setting kernel/install.sh ships (kernel/jupyter_server_config.json) is read by the
/// notebooks' Jupyter server, and an idle kernel of ours is then shut down by it (issue 30). The
/// timeout is shortened on the command line for the test; every other culling setting comes
/// from the installed file.
#[test]
fn idle_kernels_are_culled_by_the_installed_server_setting() {
    let Some(python) = kernel_python() else {
        return;
    };
    let installed = root().join(".venv-notebooks/etc/jupyter/jupyter_server_config.json");
    let shipped =
        std::fs::read_to_string(root().join("kernel/jupyter_server_config.json")).unwrap();
    assert_eq!(
        std::fs::read_to_string(&installed).unwrap_or_default(),
        shipped,
        "{} is not kernel/jupyter_server_config.json: run kernel/install.sh",
        installed.display()
    );
    let build_root = tempfile::tempdir().unwrap();
    let out = Command::new(&python)
        .current_dir(root())
        .arg("tests/fixtures/notebooks/check_culling.py")
        .env("CRYPTOIDOL_KERNEL_BUILD_ROOT", build_root.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("MappingKernelManager.cull_idle_timeout=900"),
        "{text}"
    );
    assert!(text.contains("culled after"), "{text}");
}

/// Handouts: executed notebooks → standalone HTML with the figures inside (issue 8).
#[test]
fn handouts_embed_the_figures() {
    let Some(python) = kernel_python() else {
        return;
    };
    let executed = tempfile::tempdir().unwrap();
    let build_dir = tempfile::tempdir().unwrap();
    let out = Command::new(&python)
        .current_dir(root())
        .arg("kernel/run_notebooks.py")
        .arg("--out")
        .arg(executed.path())
        .arg("--build-dir")
        .arg(build_dir.path())
        .arg("tests/fixtures/notebooks/figures.ipynb")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let handouts = tempfile::tempdir().unwrap();
    let out = Command::new(&python)
        .current_dir(root())
        .arg("kernel/handouts.py")
        .arg(executed.path())
        .arg("--out")
        .arg(handouts.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let html = std::fs::read_to_string(handouts.path().join("figures.html")).unwrap();
    use base64::Engine;
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle id="handout-marker" cx="5" cy="5" r="4"/></svg>"#;
    let svg_uri = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    );
    assert!(html.contains(&svg_uri), "the SVG figure is embedded");
    assert!(
        html.contains("data:image/png;base64,iVBORw0KGgo"),
        "the PNG figure is embedded"
    );
    let index = std::fs::read_to_string(handouts.path().join("index.html")).unwrap();
    assert!(index.contains("figures.html"));

    // A notebook that was never executed is refused, not rendered empty.
    let unexecuted = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("tests/fixtures/notebooks/figures.ipynb"),
        unexecuted.path().join("figures.ipynb"),
    )
    .unwrap();
    let out = Command::new(&python)
        .current_dir(root())
        .arg("kernel/handouts.py")
        .arg(unexecuted.path())
        .arg("--out")
        .arg(handouts.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not executed"));
}

/// kernel/launch.py starts evcxr with mimalloc's transparent huge pages off (a warm `:dep` took
/// twice as long with them: scripts/bench_kernel_start.py), unless the user set the variable.
/// The fixture's cell asserts the kernel's value equals CRYPTOIDOL_TEST_EXPECT_THP.
#[test]
fn the_kernel_runs_without_huge_pages_unless_told_otherwise() {
    let Some(python) = kernel_python() else {
        return;
    };
    let run = |thp: Option<&str>, expect: &str| {
        let env = [
            ("MIMALLOC_ALLOW_THP", thp),
            ("CRYPTOIDOL_TEST_EXPECT_THP", Some(expect)),
        ];
        run_with_env(&python, "kernel_env", &[], &env)
    };
    let (ok, text) = run(None, "0");
    assert!(ok, "the kernel's default:\n{text}");
    let (ok, text) = run(Some("1"), "1");
    assert!(ok, "a value the user set is kept:\n{text}");
    let (ok, text) = run(None, "1");
    assert!(!ok, "the cell's check cannot fail:\n{text}");
}

/// The crate's Cargo.toml declares every dependency for `not(cryptoidol_kernel_types)`: every
/// build has them, and the one reader that sets the cfg, the notebook kernel's rust-analyzer
/// (kernel/launch.py puts it in RUSTFLAGS, which evcxr replaces for its own builds), sees the
/// crate alone instead of ~440 crates (a warm `:dep` plus first cell: 4.3 s instead of 20.8,
/// scripts/bench_kernel_start.py). A dependency added elsewhere would bring the whole graph back.
#[test]
fn the_kernels_type_analysis_reads_no_dependency() {
    let host = String::from_utf8(
        Command::new("rustc")
            .arg("-vV")
            .output()
            .expect("run rustc -vV")
            .stdout,
    )
    .unwrap();
    let host = host
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string();
    // The normal (not dev or build) dependencies of the crate's library, as `cargo metadata`
    // resolves them for the host with these RUSTFLAGS.
    let normal_dependencies = |rustflags: &str| -> Vec<String> {
        let out = Command::new("cargo")
            .current_dir(root())
            .args(["metadata", "--format-version", "1", "--offline"])
            .args(["--filter-platform", &host])
            .env("RUSTFLAGS", rustflags)
            .output()
            .expect("run cargo metadata");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let id = meta["resolve"]["root"].as_str().expect("a root package");
        let node = meta["resolve"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .unwrap();
        node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect()
    };
    let built = normal_dependencies("");
    assert!(
        built.iter().any(|d| d == "halo2_proofs") && built.len() > 20,
        "a build sees the dependencies: {built:?}"
    );
    let analysed = normal_dependencies("--cfg cryptoidol_kernel_types");
    assert!(
        analysed.is_empty(),
        "the kernel's rust-analyzer would read these dependencies (and everything they depend \
         on) at every kernel start; declare them under \
         [target.'cfg(not(cryptoidol_kernel_types))'.dependencies] in Cargo.toml: {analysed:?}"
    );
}

/// End to end, under the real kernel: a fixture crate declares its dependency (hex) as ours
/// are and re-exports hex's error type. Its compiled code uses hex in every kernel, but only a
/// kernel whose rust-analyzer read hex can name that type for a cell's variable: the project's
/// kernel cannot (launch.py sets the cfg), and one started with CRYPTOIDOL_KERNEL_ANALYSIS=full
/// (evcxr's own behaviour, the benchmark's peer) can.
#[test]
fn the_kernels_type_analysis_skips_the_crates_dependencies() {
    let Some(python) = kernel_python() else {
        return;
    };
    let (ok, text) = run_with_env(&python, "hidden_types", &[], &[]);
    assert!(!ok, "the kernel's analysis read hex:\n{text}");
    let failed = failed_line("hidden_types", &text);
    assert!(
        failed.contains("cell 2:") && failed.contains("determine type of variable `error`"),
        "expected the third cell to fail on naming hex's type: {failed}\n{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("cell  1 ok")),
        "the cell whose compiled code uses hex did not run:\n{text}"
    );
    let (ok, text) = run_with_env(
        &python,
        "hidden_types",
        &[],
        &[("CRYPTOIDOL_KERNEL_ANALYSIS", Some("full"))],
    );
    assert!(
        ok,
        "with the full analysis the cell names hex's type:\n{text}"
    );
}
