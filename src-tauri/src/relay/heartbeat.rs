//! The heartbeat decision for one agent connection, free of IO and clocks.
//!
//! The connection task calls [`Heartbeat::tick`] on every heartbeat interval and
//! [`Heartbeat::pong`] when a pong arrives; the answer tells it to ping or to
//! terminate. Unlike the seed (which terminated after one missed pong), an agent is
//! dropped only after [`MISSED_PONG_LIMIT`] consecutive missed pongs.

/// Consecutive missed pongs after which an agent is terminated (PROTOCOL.md §4).
pub const MISSED_PONG_LIMIT: u32 = 2;

#[derive(Debug, Default, Clone)]
pub struct Heartbeat {
    awaiting_pong: bool,
    missed: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Beat {
    Ping,
    Terminate,
}

impl Heartbeat {
    pub fn tick(&mut self) -> Beat {
        if self.awaiting_pong {
            self.missed += 1;
        }
        if self.missed >= MISSED_PONG_LIMIT {
            return Beat::Terminate;
        }
        self.awaiting_pong = true;
        Beat::Ping
    }

    /// Any pong since the last ping proves the agent alive and clears the count.
    pub fn pong(&mut self) {
        self.awaiting_pong = false;
        self.missed = 0;
    }

    /// Whether the agent has missed at least one pong: a newcomer with the same
    /// device id may then take its place.
    pub fn has_missed(&self) -> bool {
        self.missed > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminates_after_two_consecutive_misses() {
        let mut hb = Heartbeat::default();
        assert_eq!(hb.tick(), Beat::Ping); // first ping
        assert!(!hb.has_missed());
        assert_eq!(hb.tick(), Beat::Ping); // missed one, ping again
        assert!(hb.has_missed());
        assert_eq!(hb.tick(), Beat::Terminate); // missed two
    }

    #[test]
    fn a_pong_resets_the_count() {
        let mut hb = Heartbeat::default();
        for _ in 0..10 {
            assert_eq!(hb.tick(), Beat::Ping);
            hb.pong();
        }
        assert_eq!(hb.tick(), Beat::Ping);
        assert_eq!(hb.tick(), Beat::Ping); // one miss
        hb.pong(); // late pong still counts
        assert!(!hb.has_missed());
        assert_eq!(hb.tick(), Beat::Ping);
        assert_eq!(hb.tick(), Beat::Ping);
        assert_eq!(hb.tick(), Beat::Terminate);
    }
}
