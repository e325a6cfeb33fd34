//! Progress lines for long steps (feature extraction, training, proving), on stderr so that
//! stdout stays machine-readable (`--json`), and so a notebook shows them as the step runs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
            eprintln!(
                "[{}] {}/{} ({:.0}%) {:.1} s",
                self.label,
                done,
                self.total,
                pct,
                self.start.elapsed().as_secs_f64()
            );
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}
