//! The replay window over a phone's request counters (as IPsec and WireGuard do):
//! the highest counter seen, and which of the [`WINDOW`] counters below it were
//! seen too. A counter above the highest is new; one inside the window is new if
//! its bit is clear; anything older is refused. Requests that overtake each other
//! within the window are both accepted, each exactly once; the phone page's counters
//! follow the clock in microseconds, so it sends one sealed call at a time (see
//! docs/sealed-link.md). The relay stores the window before it acts on a request, so
//! a restart does not reopen it.

/// How far below the highest counter a late request is still accepted.
pub const WINDOW: u64 = 64;

/// Counters are strictly increasing per phone: this one was used already, or is
/// too old to tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("request counter {0} was already used (a replayed request)")]
pub struct Replayed(pub u64);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayWindow {
    /// The highest counter accepted; 0 before the first (counters start at 1).
    pub high: u64,
    /// Bit `i` set: counter `high - i` was accepted (bit 0 is `high` itself).
    pub seen: u64,
}

impl ReplayWindow {
    /// The window after accepting `counter`, or why it is refused.
    pub fn accept(self, counter: u64) -> Result<ReplayWindow, Replayed> {
        if counter == 0 {
            return Err(Replayed(counter));
        }
        if counter > self.high {
            let shift = counter - self.high;
            let seen = if shift >= WINDOW {
                0
            } else {
                self.seen << shift
            };
            return Ok(ReplayWindow {
                high: counter,
                seen: seen | 1,
            });
        }
        let behind = self.high - counter;
        if behind >= WINDOW {
            return Err(Replayed(counter));
        }
        let bit = 1u64 << behind;
        if self.seen & bit != 0 {
            return Err(Replayed(counter));
        }
        Ok(ReplayWindow {
            high: self.high,
            seen: self.seen | bit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_counter_once_late_ones_inside_the_window() {
        let w = ReplayWindow::default();
        assert_eq!(w.accept(0), Err(Replayed(0)));
        let w = w.accept(10).expect("new");
        assert_eq!(w.accept(10), Err(Replayed(10)));
        let w = w.accept(8).expect("late but inside");
        assert_eq!(w.accept(8), Err(Replayed(8)));
        let w = w.accept(12).expect("new");
        assert_eq!(w.accept(10), Err(Replayed(10)));
        assert_eq!(w.accept(8), Err(Replayed(8)));
        let w = w.accept(9).expect("never seen");
        let w = w.accept(100).expect("new");
        assert_eq!(w.accept(100 - WINDOW), Err(Replayed(100 - WINDOW)));
        let w = w.accept(100 - WINDOW + 1).expect("the window's last slot");
        let w = w.accept(1_000_000).expect("far ahead");
        assert_eq!(w.seen, 1);
        assert_eq!(w.accept(999_999 - WINDOW), Err(Replayed(999_999 - WINDOW)));
    }
}
