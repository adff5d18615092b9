//! The replay window over a phone's request counters, counted in requests: the
//! last [`WINDOW`] counters accepted, and a floor below which everything is
//! refused. A counter is new when it is above the floor and not among those
//! remembered; once [`WINDOW`] are remembered, the oldest is forgotten and becomes
//! the floor. Unlike a window of counter *distance* (IPsec, WireGuard), a request
//! overtaken by up to [`WINDOW`] later ones is still accepted however far apart
//! their counters are: the phone page's counters follow the clock in microseconds,
//! so two calls a few milliseconds apart are thousands of counters apart, and two
//! tabs (or a send and a status check) overtake each other. The relay stores the
//! window before it acts on a request, so a restart does not reopen it
//! (docs/sealed-link.md §3).

use std::collections::BTreeSet;

/// How many accepted counters are remembered: a request overtaken by fewer later
/// ones than this is still accepted.
pub const WINDOW: usize = 256;

/// Counters are used once per phone: this one was used already, or is too old to
/// tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("request counter {0} was already used (a replayed request), or is older than the last {WINDOW} requests")]
pub struct Replayed(pub u64);

/// The stored form was not written by [`ReplayWindow::to_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a stored replay window is damaged")]
pub struct DamagedWindow;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayWindow {
    /// Every counter at or below this is refused (the newest one forgotten; 0
    /// before any, counters start at 1).
    floor: u64,
    /// The counters accepted above the floor, at most [`WINDOW`].
    recent: BTreeSet<u64>,
}

impl ReplayWindow {
    /// A window that refuses everything at or below `floor` and the counters in
    /// `recent` (the newest [`WINDOW`] of them are kept; older ones raise the floor).
    pub fn new(floor: u64, recent: impl IntoIterator<Item = u64>) -> ReplayWindow {
        let mut window = ReplayWindow {
            floor,
            recent: recent.into_iter().filter(|c| *c > floor).collect(),
        };
        window.forget_oldest();
        window
    }

    /// Accept `counter` (and remember it), or say why it is refused.
    pub fn accept(&mut self, counter: u64) -> Result<(), Replayed> {
        if counter <= self.floor || self.recent.contains(&counter) {
            return Err(Replayed(counter));
        }
        // Full, and older than every remembered one: it would be forgotten at once,
        // so it could not be refused next time.
        if self.recent.len() >= WINDOW && self.recent.first().is_some_and(|o| counter < *o) {
            return Err(Replayed(counter));
        }
        self.recent.insert(counter);
        self.forget_oldest();
        Ok(())
    }

    fn forget_oldest(&mut self) {
        while self.recent.len() > WINDOW {
            if let Some(oldest) = self.recent.pop_first() {
                self.floor = oldest;
            }
        }
    }

    pub fn floor(&self) -> u64 {
        self.floor
    }

    /// The remembered counters as stored: 8 bytes each, big-endian, ascending.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.recent.iter().flat_map(|c| c.to_be_bytes()).collect()
    }

    /// The window stored as `floor` and [`ReplayWindow::to_bytes`].
    pub fn from_stored(floor: u64, bytes: &[u8]) -> Result<ReplayWindow, DamagedWindow> {
        if !bytes.len().is_multiple_of(8) {
            return Err(DamagedWindow);
        }
        let recent = bytes.chunks_exact(8).map(|c| {
            let mut be = [0u8; 8];
            be.copy_from_slice(c);
            u64::from_be_bytes(be)
        });
        Ok(ReplayWindow::new(floor, recent))
    }

    /// The same counters as the window of distance this build used before (the
    /// highest counter and a bitmap of the 64 below it, bit `i` = `high - i`), for
    /// databases written by it: exactly what it refused is refused.
    pub fn from_distance_window(high: u64, seen: u64) -> ReplayWindow {
        let recent = (0..64u64)
            .filter(|i| seen & (1 << i) != 0)
            .filter_map(|i| high.checked_sub(i));
        ReplayWindow::new(high.saturating_sub(64), recent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_counter_once_however_far_apart_while_in_the_last_requests() {
        let mut w = ReplayWindow::default();
        assert_eq!(w.accept(0), Err(Replayed(0)));
        // Two calls of the page a few milliseconds apart, arriving out of order.
        w.accept(1_764_650_000_250_000)
            .expect("the later call, first");
        w.accept(1_764_650_000_000_000)
            .expect("the earlier call, overtaken");
        assert_eq!(
            w.accept(1_764_650_000_000_000),
            Err(Replayed(1_764_650_000_000_000))
        );
        assert_eq!(
            w.accept(1_764_650_000_250_000),
            Err(Replayed(1_764_650_000_250_000))
        );
        w.accept(5).expect("never seen, and the window is not full");
        assert_eq!(w.accept(5), Err(Replayed(5)));
    }

    #[test]
    fn once_full_the_oldest_is_forgotten_and_everything_below_it_refused() {
        let mut w = ReplayWindow::default();
        for c in 1..=WINDOW as u64 {
            w.accept(c * 1000).expect("new");
        }
        assert_eq!(w.floor(), 0);
        assert_eq!(w.accept(500), Err(Replayed(500)), "older than all, full");
        w.accept(1500).expect("between two remembered ones");
        // 1000 was forgotten: it and everything below it are refused from now on.
        assert_eq!(w.floor(), 1000);
        assert_eq!(w.accept(1000), Err(Replayed(1000)));
        assert_eq!(w.accept(999), Err(Replayed(999)));
        assert_eq!(w.accept(1500), Err(Replayed(1500)));
        assert_eq!(w.accept(2000), Err(Replayed(2000)));
        w.accept(u64::MAX).expect("far ahead");
        assert_eq!(w.floor(), 1500);
    }

    #[test]
    fn stored_and_read_back_the_same() {
        let mut w = ReplayWindow::default();
        for c in [7, 3, 90_000, 12] {
            w.accept(c).expect("new");
        }
        let back = ReplayWindow::from_stored(w.floor(), &w.to_bytes()).expect("read");
        assert_eq!(back, w);
        assert_eq!(ReplayWindow::from_stored(0, &[1, 2, 3]), Err(DamagedWindow));
    }

    #[test]
    fn a_distance_window_converts_to_the_same_refusals() {
        // high 100, seen 100, 98 and 37 (bits 0, 2, 63).
        let seen = 1 | (1 << 2) | (1 << 63);
        let mut w = ReplayWindow::from_distance_window(100, seen);
        for refused in [100, 98, 37, 36, 1] {
            assert_eq!(w.accept(refused), Err(Replayed(refused)), "{refused}");
        }
        for fresh in [99, 38, 101] {
            w.accept(fresh).expect("was new before too");
        }
        assert_eq!(
            ReplayWindow::from_distance_window(0, 0),
            ReplayWindow::default()
        );
    }
}
