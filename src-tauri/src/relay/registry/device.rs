//! The per-device parts of the registry: what a connection task is sent, a queued
//! message with its frame ready to go, and one device's queue, connection and ACK
//! waits.

use std::collections::{HashMap, VecDeque};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::protocol::{MessageId, RelayFrame};
use crate::relay::heartbeat::Heartbeat;

/// What a connection task is asked to write or do.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    Text(Utf8Bytes),
    /// Close with a code and reason, then end the connection.
    Close(u16, &'static str),
}

pub type OutboundTx = mpsc::UnboundedSender<Outbound>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId(pub(super) u64);

/// A message waiting for its ACK, with its `transcription` frame already serialised
/// (each send is then a reference-count increment, not a JSON encode).
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    pub id: MessageId,
    pub frame: Utf8Bytes,
    /// When the relay accepted it (ms): how long it has waited decides whether it
    /// is held (see `held`).
    pub accepted_at: i64,
    /// Held since then (ms): kept out of delivery until the user releases it.
    pub held_since: Option<i64>,
    /// The user said "Type now": never held again.
    pub released: bool,
}

impl QueuedMessage {
    pub fn new(id: MessageId, text: &str, timestamp: i64) -> QueuedMessage {
        let frame = RelayFrame::Transcription {
            id: id.to_string(),
            text: text.to_owned(),
            timestamp,
        }
        .to_json();
        QueuedMessage {
            id,
            frame: frame.into(),
            accepted_at: crate::protocol::now_ms(),
            held_since: None,
            released: false,
        }
    }

    /// The same message, accepted at `at` (restored from the store).
    pub fn accepted_at(mut self, at: i64) -> QueuedMessage {
        self.accepted_at = at;
        self
    }
}

#[derive(Debug)]
pub(super) struct Conn {
    pub(super) id: ConnId,
    pub(super) tx: OutboundTx,
    pub(super) heartbeat: Heartbeat,
}

#[derive(Debug, Default)]
pub(super) struct Device {
    pub(super) queue: VecDeque<QueuedMessage>,
    /// Messages that waited too long, oldest first: out of delivery until released
    /// (they keep their slot and bytes, as queued messages).
    pub(super) held: VecDeque<QueuedMessage>,
    /// Held by the last registration and not yet recorded in the store.
    pub(super) newly_held: Vec<(MessageId, i64)>,
    /// Slots promised to POSTs whose insert is still being committed, so that
    /// concurrent senders cannot push the queue past its cap.
    pub(super) reserved: usize,
    /// Bytes of the queue and of the reserved slots (see `budget`).
    pub(super) bytes: usize,
    pub(super) conn: Option<Conn>,
    /// HTTP requests waiting for the ACK of a message sent on the current connection.
    pub(super) waiters: HashMap<MessageId, Vec<oneshot::Sender<bool>>>,
    pub(super) last_seen: Option<i64>,
    /// Has registered at some point (possibly before a restart).
    pub(super) known: bool,
}

impl Device {
    /// Queue `msg` at the back, sending it at once on the live connection (the
    /// registry's invariant: while online, everything queued was sent). Returns the
    /// receiver of its ACK wait when it was sent.
    pub(super) fn push_and_send(&mut self, msg: QueuedMessage) -> Option<oneshot::Receiver<bool>> {
        let sent = self
            .conn
            .as_ref()
            .is_some_and(|c| c.tx.send(Outbound::Text(msg.frame.clone())).is_ok());
        let waiter = sent.then(|| {
            let (tx, rx) = oneshot::channel();
            self.waiters.entry(msg.id.clone()).or_default().push(tx);
            rx
        });
        self.queue.push_back(msg);
        waiter
    }

    pub(super) fn online(&self) -> bool {
        self.conn.is_some()
    }

    /// End every ACK wait as "not delivered" (the connection is gone).
    pub(super) fn fail_waiters(&mut self) {
        for (_, senders) in self.waiters.drain() {
            for s in senders {
                let _ = s.send(false);
            }
        }
    }
}
