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
        }
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
