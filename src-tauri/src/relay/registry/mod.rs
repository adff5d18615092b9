//! Who is online and what each device still has to receive: the relay's in-memory
//! routing state, as a plain struct with no IO (the connection tasks and
//! `delivery` call it under one short-held lock).
//!
//! Per device it keeps the queue of messages not yet ACKed, oldest first. The queue is
//! a mirror of the `queued` rows in SQLite (the store is written first; this is only
//! the fast path), and it holds one invariant that makes delivery simple:
//!
//! > while a device is online, every message in its queue has been sent on its
//! > current connection.
//!
//! `register` sends the whole queue right after `registered`, `enqueue` sends a new
//! message at once when the device is online, and only `ack` removes a message. So a
//! disconnect needs no bookkeeping: the unACKed messages simply stay at the front of
//! the queue and go out again, in order, on the next registration. Messages are never
//! sent twice on one connection.

mod budget;
mod device;
mod evict;
mod held;

use std::collections::HashMap;

use tokio::sync::oneshot;

use super::heartbeat::{Beat, Heartbeat};
use crate::protocol::{DeviceId, DeviceView, RelayFrame};
use budget::Budget;
pub use budget::{ByteCaps, QueueFull};
use device::{Conn, Device};
pub use device::{ConnId, Outbound, OutboundTx, QueuedMessage};
pub use held::NotCancellable;

#[derive(Debug, PartialEq, Eq)]
pub enum RegisterError {
    /// A live agent already holds this device id.
    Duplicate,
}

#[derive(Debug)]
pub struct Registry {
    devices: HashMap<DeviceId, Device>,
    default_device: DeviceId,
    queue_cap: usize,
    budget: Budget,
    next_conn: u64,
    /// Messages that waited at least this long (ms) are held at registration.
    hold_after_ms: Option<i64>,
}

impl Registry {
    pub fn new(default_device: DeviceId, queue_cap: usize) -> Registry {
        let mut devices = HashMap::new();
        devices.insert(default_device.clone(), Device::default());
        Registry {
            devices,
            default_device,
            queue_cap,
            budget: Budget::default(),
            next_conn: 0,
            hold_after_ms: None,
        }
    }

    /// Cap the bytes queued per device and in all (no cap until this is called).
    pub fn set_byte_caps(&mut self, caps: ByteCaps) {
        self.budget.caps = caps;
    }

    pub fn default_device(&self) -> &DeviceId {
        &self.default_device
    }

    /// Startup: a device that registered before the restart.
    pub fn restore_device(&mut self, device: DeviceId, last_seen: Option<i64>) {
        let d = self.devices.entry(device).or_default();
        d.known = true;
        d.last_seen = last_seen;
    }

    /// Startup: a queued message, called oldest first.
    pub fn restore_queued(&mut self, device: DeviceId, message: QueuedMessage) {
        let d = self.devices.entry(device).or_default();
        self.budget.restore(&mut d.bytes, message.frame.len());
        if message.held_since.is_some() {
            d.held.push_back(message);
        } else {
            d.queue.push_back(message);
        }
    }

    /// Messages may be sent to devices that registered once, and to the default device.
    pub fn is_routable(&self, device: &DeviceId) -> bool {
        *device == self.default_device || self.devices.get(device).is_some_and(|d| d.known)
    }

    pub fn is_online(&self, device: &DeviceId) -> bool {
        self.devices.get(device).is_some_and(Device::online)
    }

    /// Promise one queue slot, and `bytes` of the byte budget (the length of its
    /// `transcription` frame), to a message about to be stored.
    pub fn reserve(&mut self, device: &DeviceId, bytes: usize) -> Result<(), QueueFull> {
        let cap = self.queue_cap;
        let d = self.devices.entry(device.clone()).or_default();
        if d.queue.len() + d.held.len() + d.reserved >= cap {
            return Err(QueueFull::Messages(cap));
        }
        self.budget.take(&mut d.bytes, bytes)?;
        d.reserved += 1;
        Ok(())
    }

    /// Give back a slot (and its bytes) whose message turned out not to be new (or
    /// failed to store).
    pub fn release(&mut self, device: &DeviceId, bytes: usize) {
        if let Some(d) = self.devices.get_mut(device) {
            d.reserved = d.reserved.saturating_sub(1);
            self.budget.give_back(&mut d.bytes, bytes);
        }
    }

    /// Add a stored message (its slot reserved) to the back of the device's queue and
    /// send it at once if the device is online. Returns the receiver of its ACK wait
    /// when it was sent: `true` on ACK, `false` if the connection went away first.
    pub fn enqueue(
        &mut self,
        device: &DeviceId,
        msg: QueuedMessage,
    ) -> Option<oneshot::Receiver<bool>> {
        let d = self.devices.entry(device.clone()).or_default();
        d.reserved = d.reserved.saturating_sub(1);
        d.push_and_send(msg)
    }

    /// Register a connection for a device. On success the `registered` frame and then
    /// every queued message, oldest first, are already on their way through `tx`.
    ///
    /// A live agent with the same id keeps its place and the newcomer is refused; one
    /// that has already missed a pong (or whose task has ended) is closed and
    /// replaced.
    ///
    /// `result_ack`: the agent asked for result confirmations, so `registered` says
    /// this relay gives them (an agent that did not ask gets the frame of the
    /// protocol exactly).
    pub fn register(
        &mut self,
        device: &DeviceId,
        tx: OutboundTx,
        now: i64,
        result_ack: bool,
    ) -> Result<ConnId, RegisterError> {
        let d = self.devices.entry(device.clone()).or_default();
        if let Some(old) = &d.conn {
            if !old.heartbeat.has_missed() && !old.tx.is_closed() {
                return Err(RegisterError::Duplicate);
            }
            let _ = old.tx.send(Outbound::Close(
                crate::protocol::close::DUPLICATE_CONNECTION,
                "DUPLICATE_CONNECTION",
            ));
            d.fail_waiters();
        }
        self.next_conn += 1;
        let id = ConnId(self.next_conn);
        d.known = true;
        d.last_seen = Some(now);
        held::hold_stale(d, self.hold_after_ms, now);
        let registered = RelayFrame::Registered {
            device_id: device.to_string(),
            queued: d.queue.len(),
            result_ack,
        };
        let _ = tx.send(Outbound::Text(registered.to_json().into()));
        for msg in &d.queue {
            let _ = tx.send(Outbound::Text(msg.frame.clone()));
        }
        d.conn = Some(Conn {
            id,
            tx,
            heartbeat: Heartbeat::default(),
        });
        Ok(id)
    }

    /// The connection is gone: the device goes offline at once and its ACK waits end
    /// as "not delivered". Its unACKed messages stay queued, in order.
    pub fn unregister(&mut self, device: &DeviceId, conn: ConnId, now: i64) {
        if let Some(d) = self.devices.get_mut(device) {
            if d.conn.as_ref().is_some_and(|c| c.id == conn) {
                d.conn = None;
                d.last_seen = Some(now);
                d.fail_waiters();
            }
        }
    }

    /// An ACK from the device's agent: the message leaves the queue and its waiters
    /// learn it was delivered. Returns whether the message was still queued (a
    /// repeated ACK returns false and changes nothing).
    pub fn ack(&mut self, device: &DeviceId, id: &str) -> bool {
        let Some(d) = self.devices.get_mut(device) else {
            return false;
        };
        // ACKs nearly always come in order, so look at the front first.
        let pos = if d.queue.front().is_some_and(|m| m.id.as_str() == id) {
            Some(0)
        } else {
            d.queue.iter().position(|m| m.id.as_str() == id)
        };
        let Some(pos) = pos else {
            return false;
        };
        if let Some(gone) = d.queue.remove(pos) {
            self.budget.give_back(&mut d.bytes, gone.frame.len());
        }
        if let Some(senders) = d.waiters.remove(id) {
            for s in senders {
                let _ = s.send(true);
            }
        }
        true
    }

    /// Take a message out of the queue without delivering it (deleted by the user).
    pub fn remove(&mut self, device: &DeviceId, id: &str) -> bool {
        let Some(d) = self.devices.get_mut(device) else {
            return false;
        };
        let before = d.queue.len() + d.held.len();
        let budget = &mut self.budget;
        let bytes = &mut d.bytes;
        let mut keep = |m: &QueuedMessage| {
            let keep = m.id.as_str() != id;
            if !keep {
                budget.give_back(bytes, m.frame.len());
            }
            keep
        };
        d.queue.retain(&mut keep);
        d.held.retain(&mut keep);
        if let Some(senders) = d.waiters.remove(id) {
            for s in senders {
                let _ = s.send(false);
            }
        }
        d.queue.len() + d.held.len() != before
    }

    /// Heartbeat interval elapsed for this connection.
    pub fn heartbeat_tick(&mut self, device: &DeviceId, conn: ConnId) -> Beat {
        match self.conn_mut(device, conn) {
            Some(c) => c.heartbeat.tick(),
            None => Beat::Terminate,
        }
    }

    pub fn heartbeat_pong(&mut self, device: &DeviceId, conn: ConnId, now: i64) {
        if let Some(c) = self.conn_mut(device, conn) {
            c.heartbeat.pong();
        }
        if let Some(d) = self.devices.get_mut(device) {
            d.last_seen = Some(now);
        }
    }

    fn conn_mut(&mut self, device: &DeviceId, conn: ConnId) -> Option<&mut Conn> {
        self.devices
            .get_mut(device)?
            .conn
            .as_mut()
            .filter(|c| c.id == conn)
    }

    pub fn queued_len(&self, device: &DeviceId) -> usize {
        self.devices.get(device).map_or(0, |d| d.queue.len())
    }

    /// Known devices (and the default one), sorted by id, as `GET /devices` shows them.
    pub fn devices(&self) -> Vec<DeviceView> {
        let mut out: Vec<DeviceView> = self
            .devices
            .iter()
            .filter(|(id, d)| d.known || d.online() || **id == self.default_device)
            .map(|(id, d)| DeviceView {
                device_id: id.clone(),
                default: *id == self.default_device,
                online: d.online(),
                queued: d.queue.len() + d.held.len(),
                last_seen: if d.online() { None } else { d.last_seen },
                // Known only to the process around the relay (relay::desktop).
                paused: false,
                recording: false,
            })
            .collect();
        out.sort_by(|a, b| a.device_id.cmp(&b.device_id));
        out
    }
}

#[cfg(test)]
mod tests;
