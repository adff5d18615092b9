//! Live news for the desktop window: the broadcast of [`UiEvent`]s (sent out as
//! server-sent events), the phones (any sender) seen recently, and when each
//! paired phone was last announced as seen (at most one event per phone per
//! [`SEEN_EVERY_MS`]).
//!
//! Both are "what is going on right now", kept in memory only; nobody listening is
//! fine and costs nothing on the hot path.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use tokio::sync::broadcast;

use crate::protocol::ui::{PhoneSeen, UiEvent};
use crate::sync::lock;

/// Events a slow window may fall behind by before it is told to reload everything.
const EVENT_BACKLOG: usize = 256;
/// Senders remembered; the least recently seen one goes first.
const MAX_PHONES: usize = 20;
/// Longest user agent kept of a sender.
const MAX_USER_AGENT_CHARS: usize = 200;
/// A paired phone's "last seen" is announced to the window at most this often
/// (a phone polling a message's status calls every second or so).
pub const SEEN_EVERY_MS: i64 = 10_000;

pub struct Events {
    tx: broadcast::Sender<UiEvent>,
    phones: Mutex<Phones>,
    seen: Mutex<SeenThrottle>,
}

impl Default for Events {
    fn default() -> Events {
        Events {
            tx: broadcast::channel(EVENT_BACKLOG).0,
            phones: Mutex::new(Phones::default()),
            seen: Mutex::new(SeenThrottle::default()),
        }
    }
}

impl Events {
    /// Tell the desktop window that something changed (nobody listening is fine).
    pub fn emit(&self, event: UiEvent) {
        let _ = self.tx.send(event);
    }

    /// [`Events::emit`] for the hot path: the event is only built when a window is
    /// listening.
    pub fn emit_with(&self, make: impl FnOnce() -> UiEvent) {
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(make());
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<UiEvent> {
        self.tx.subscribe()
    }

    /// Remember a sender, for "phones seen recently".
    pub fn note_sender(&self, addr: IpAddr, user_agent: Option<&str>, now: i64) {
        lock(&self.phones).note(addr, user_agent, now);
    }

    /// A paired phone made an authentic call at `now`: tell the window (its "last
    /// seen"), unless this phone was announced less than [`SEEN_EVERY_MS`] ago.
    pub fn paired_phone_seen(&self, id: &str, now: i64) {
        if self.tx.receiver_count() > 0 && lock(&self.seen).due(id, now) {
            self.emit(UiEvent::PhoneSeen {
                id: id.to_owned(),
                at: now,
            });
        }
    }

    /// Senders seen since `since`, most recent first.
    pub fn phones_since(&self, since: i64) -> Vec<PhoneSeen> {
        lock(&self.phones).since(since)
    }
}

/// The senders seen recently, by address.
#[derive(Debug, Default)]
struct Phones(HashMap<IpAddr, PhoneSeen>);

impl Phones {
    fn note(&mut self, addr: IpAddr, user_agent: Option<&str>, now: i64) {
        let entry = self.0.entry(addr).or_insert_with(|| PhoneSeen {
            address: addr.to_string(),
            user_agent: String::new(),
            last_seen: 0,
            messages: 0,
        });
        entry.last_seen = now;
        entry.messages += 1;
        if let Some(ua) = user_agent {
            // Copied only when it changes: this runs on every POST.
            if !ua.starts_with(entry.user_agent.as_str()) || entry.user_agent.is_empty() {
                entry.user_agent = ua.chars().take(MAX_USER_AGENT_CHARS).collect();
            }
        }
        if self.0.len() > MAX_PHONES {
            if let Some(oldest) = self
                .0
                .iter()
                .min_by_key(|(_, p)| p.last_seen)
                .map(|(a, _)| *a)
            {
                self.0.remove(&oldest);
            }
        }
    }

    fn since(&self, since: i64) -> Vec<PhoneSeen> {
        let mut phones: Vec<PhoneSeen> = self
            .0
            .values()
            .filter(|p| p.last_seen >= since)
            .cloned()
            .collect();
        phones.sort_by_key(|p| std::cmp::Reverse(p.last_seen));
        phones
    }
}

/// When each paired phone was last announced as seen.
#[derive(Debug, Default)]
struct SeenThrottle(HashMap<String, i64>);

impl SeenThrottle {
    /// Whether to announce `id` seen at `now` (then it is noted).
    fn due(&mut self, id: &str, now: i64) -> bool {
        if self
            .0
            .get(id)
            .is_some_and(|last| now - last < SEEN_EVERY_MS && now >= *last)
        {
            return false;
        }
        // Old entries are of no use: forget them, so the map stays small.
        if self.0.len() >= 64 {
            self.0.retain(|_, last| now - *last < SEEN_EVERY_MS);
        }
        self.0.insert(id.to_owned(), now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn phones_are_counted_listed_newest_first_and_capped() {
        let mut phones = Phones::default();
        phones.note(ip(1), Some("Firefox"), 10);
        phones.note(ip(1), None, 30);
        phones.note(ip(2), Some("Safari"), 20);
        let seen = phones.since(15);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].address, "10.0.0.1");
        assert_eq!(
            (seen[0].messages, seen[0].user_agent.as_str()),
            (2, "Firefox")
        );
        assert_eq!(phones.since(25).len(), 1);
        for i in 0..30 {
            phones.note(ip(100 + i), None, 100 + i64::from(i));
        }
        assert_eq!(phones.0.len(), MAX_PHONES);
        assert!(!phones.0.contains_key(&ip(2)), "the oldest went first");
    }

    #[test]
    fn a_phone_is_announced_seen_at_most_once_per_interval_each() {
        let mut t = SeenThrottle::default();
        assert!(t.due("a", 1_000));
        assert!(!t.due("a", 1_000 + SEEN_EVERY_MS - 1));
        assert!(t.due("b", 1_001), "each phone on its own");
        assert!(t.due("a", 1_000 + SEEN_EVERY_MS));
        assert!(t.due("a", 5), "a clock that went back does not silence it");
        // Phones seen long ago are forgotten (only paired phones get here, so the
        // map holds at most the phones seen in the last interval, and 64).
        for i in 0..100 {
            t.due(&format!("p{i}"), 100_000 + i * SEEN_EVERY_MS);
        }
        assert!(t.0.len() <= 64, "{}", t.0.len());
    }

    #[test]
    fn events_reach_subscribers_and_cost_nothing_without() {
        let events = Events::default();
        events.emit_with(|| unreachable!("nobody is listening"));
        let mut rx = events.subscribe();
        events.emit(UiEvent::Devices);
        events.emit_with(|| UiEvent::History);
        assert_eq!(rx.try_recv().ok(), Some(UiEvent::Devices));
        assert_eq!(rx.try_recv().ok(), Some(UiEvent::History));
    }
}
