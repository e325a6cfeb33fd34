//! Progress lines and notes for long steps (feature extraction, training, proving), as
//! `[step] text`, printed as the step runs.
//!
//! From the command line they go to stderr, so that stdout stays machine-readable (`--json`).
//! Inside a notebook (evcxr's runtime, which sets `EVCXR_IS_RUNTIME`) they go to stdout:
//! Jupyter draws every stderr line in a pink error box, in the live notebook and in the HTML
//! handouts alike, and a learner reads a progress line there as a failure. There, stderr is
//! left to real errors (an `Err` returned through `?`), and the headless runner fails a cell on
//! any stderr line (`kernel/run_notebooks.py`).

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where progress lines go: see the module's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Stdout,
    Stderr,
}

impl Channel {
    /// Stdout inside a notebook (evcxr's runtime sets `EVCXR_IS_RUNTIME`), stderr elsewhere.
    pub fn current() -> Self {
        if std::env::var_os("EVCXR_IS_RUNTIME").is_some() {
            Channel::Stdout
        } else {
            Channel::Stderr
        }
    }
}

/// Print one progress line or note (`[step] text`) where [`Channel::current`] says. A line that
/// cannot be written (a closed pipe) is dropped: progress never fails a step.
pub fn line(line: fmt::Arguments) {
    let _ = match Channel::current() {
        Channel::Stdout => writeln!(std::io::stdout().lock(), "{line}"),
        Channel::Stderr => writeln!(std::io::stderr().lock(), "{line}"),
    };
}

/// `say!("[step] {x}")`: [`line`] with `format!`'s arguments.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::progress::line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// A thread-safe counter that prints `[label] done/total (pct%) elapsed` at most every
/// `every` and always at the end.
pub struct Progress {
    label: String,
    total: usize,
    done: AtomicUsize,
    start: Instant,
    last: Mutex<Instant>,
    every: Duration,
    quiet: bool,
}

impl Progress {
    pub fn new(label: impl Into<String>, total: usize) -> Self {
        let now = Instant::now();
        Self {
            label: label.into(),
            total,
            done: AtomicUsize::new(0),
            start: now,
            last: Mutex::new(now),
            every: Duration::from_millis(1000),
            quiet: false,
        }
    }

    /// A progress counter that prints nothing (tests, nested steps).
    pub fn quiet(label: impl Into<String>, total: usize) -> Self {
        Self {
            quiet: true,
            ..Self::new(label, total)
        }
    }

    /// Count `n` more items done.
    pub(crate) fn inc(&self, n: usize) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        if self.quiet {
            return;
        }
        let now = Instant::now();
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if done >= self.total || now.duration_since(*last) >= self.every {
            *last = now;
            let pct = if self.total == 0 {
                100.0
            } else {
                100.0 * done as f64 / self.total as f64
            };
            line(format_args!(
                "[{}] {}/{} ({:.0}%) {:.1} s",
                self.label,
                done,
                self.total,
                pct,
                self.start.elapsed().as_secs_f64()
            ));
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}
