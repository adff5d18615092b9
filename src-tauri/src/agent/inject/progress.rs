//! How far a message has got while it is being typed, and whether to go on.
//!
//! The injection thread records the count durably as it comes (so a message cut
//! short by a crash is reported as "interrupted after N of M characters", never
//! typed again), and answers `false` once the agent is stopping, so typing ends at
//! the next batch of keys instead of running on after a Quit.

use super::InjectError;

/// Characters typed between two reports: small enough that a count after a crash
/// is off by at most this much, large enough that recording it (one SQLite commit,
/// tens of microseconds) costs about 1% of typing at 8,000 characters a second.
pub const REPORT_EVERY: usize = 16;

/// Told by a backend how many characters of the message are in the window.
pub trait Progress {
    /// `typed` characters are in. `false`: stop here.
    fn advanced(&mut self, typed: usize) -> bool;
}

/// Report `typed` of `total`; an error if the watcher says stop.
pub fn checkpoint(
    progress: &mut dyn Progress,
    typed: usize,
    total: usize,
) -> Result<(), InjectError> {
    if progress.advanced(typed) {
        Ok(())
    } else {
        Err(InjectError::Interrupted { typed, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct StopAt(usize, Vec<usize>);

    impl Progress for StopAt {
        fn advanced(&mut self, typed: usize) -> bool {
            self.1.push(typed);
            typed < self.0
        }
    }

    #[test]
    fn a_checkpoint_past_the_stop_interrupts_with_the_count() {
        let mut p = StopAt(20, Vec::new());
        assert_eq!(checkpoint(&mut p, 16, 40), Ok(()));
        assert_eq!(
            checkpoint(&mut p, 32, 40),
            Err(InjectError::Interrupted {
                typed: 32,
                total: 40
            })
        );
        assert_eq!(p.1, [16, 32]);
        assert!(checkpoint(&mut StopAt(usize::MAX, Vec::new()), 99, 100).is_ok());
        let reason = InjectError::Interrupted { typed: 3, total: 9 }.to_string();
        assert!(
            reason.starts_with("interrupted after 3 of 9 characters"),
            "{reason}"
        );
    }
}
