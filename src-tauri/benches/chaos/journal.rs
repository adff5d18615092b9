//! The run's event log: every kill, stop, retry trouble and problem found, with
//! the time since the scenario began and the wall clock, so that a post-mortem
//! can line it up with the processes' logs.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::clock::unix_ms;

/// A line into the run's event log (and stdout when `loud`).
#[derive(Clone)]
pub(crate) struct Journal {
    file: Arc<Mutex<std::fs::File>>,
    t0: Instant,
}

impl Journal {
    pub(crate) fn new(path: &Path) -> Journal {
        Journal {
            file: Arc::new(Mutex::new(
                std::fs::File::create(path).expect("journal file"),
            )),
            t0: Instant::now(),
        }
    }
    pub(crate) fn note(&self, loud: bool, what: &str) {
        let line = format!(
            "[{:8.3}s {}] {what}",
            self.t0.elapsed().as_secs_f64(),
            unix_ms()
        );
        if loud {
            println!("  {line}");
        }
        if let Ok(mut f) = self.file.lock() {
            let _ = writeln!(f, "{line}");
        }
    }
}
