//! Nothing typed blindly after a wait: a message that waited at least the hold
//! limit when its device comes back (asleep, paused, offline) is held, not sent.
//! Held messages keep their slot and bytes but stay out of the queue (so the
//! queue's invariant, "all sent on the current connection", is untouched) until
//! the user releases one ("Type now") or cancels it.

use std::time::Duration;

use tokio::sync::oneshot;

use super::device::Device;
use super::Registry;
use crate::protocol::{DeviceId, MessageId};

/// Why a message cannot be cancelled or released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotCancellable {
    /// Sent on the agent's live connection: it may be typed at any moment.
    #[error("the message was already sent to the desktop")]
    Sent,
    /// Not waiting at all (delivered, typed, failed, or unknown here).
    #[error("the message is not waiting")]
    NotWaiting,
}

/// Registration: move every message that waited at least `hold_after_ms` from the
/// queue to the held list (the queue is then sent as usual).
pub(super) fn hold_stale(d: &mut Device, hold_after_ms: Option<i64>, now: i64) {
    let Some(limit) = hold_after_ms else {
        return;
    };
    let (stale, fresh) = std::mem::take(&mut d.queue)
        .into_iter()
        .partition::<Vec<_>, _>(|m| !m.released && now.saturating_sub(m.accepted_at) >= limit);
    d.queue = fresh.into();
    for mut m in stale {
        m.held_since = Some(now);
        d.newly_held.push((m.id.clone(), now));
        d.held.push_back(m);
    }
}

impl Registry {
    /// Hold messages that waited at least `after` (`None`: never hold).
    pub fn set_hold_after(&mut self, after: Option<Duration>) {
        self.hold_after_ms = after.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    }

    /// The messages held by the last registrations and not yet taken, with when.
    pub fn take_newly_held(&mut self, device: &DeviceId) -> Vec<(MessageId, i64)> {
        self.devices
            .get_mut(device)
            .map(|d| std::mem::take(&mut d.newly_held))
            .unwrap_or_default()
    }

    /// Every held message: devices by id, each one's oldest first.
    pub fn held(&self) -> Vec<(DeviceId, MessageId)> {
        let mut devices: Vec<_> = self
            .devices
            .iter()
            .filter(|(_, d)| !d.held.is_empty())
            .collect();
        devices.sort_by(|a, b| a.0.cmp(b.0));
        devices
            .into_iter()
            .flat_map(|(dev, d)| d.held.iter().map(|m| (dev.clone(), m.id.clone())))
            .collect()
    }

    /// "Type now": the held message goes to the back of the queue and out at once
    /// if the device is online (then its ACK wait is returned).
    pub fn release_held(
        &mut self,
        device: &DeviceId,
        id: &str,
    ) -> Result<Option<oneshot::Receiver<bool>>, NotCancellable> {
        let d = self
            .devices
            .get_mut(device)
            .ok_or(NotCancellable::NotWaiting)?;
        let pos = d
            .held
            .iter()
            .position(|m| m.id.as_str() == id)
            .ok_or(NotCancellable::NotWaiting)?;
        let Some(mut msg) = d.held.remove(pos) else {
            return Err(NotCancellable::NotWaiting);
        };
        msg.held_since = None;
        msg.released = true;
        Ok(d.push_and_send(msg))
    }

    /// Take a message that was not sent yet (held, or queued while its device is
    /// offline) out of delivery for good. One already on the agent's live
    /// connection is refused: it may be typed any moment.
    pub fn cancel(&mut self, device: &DeviceId, id: &str) -> Result<(), NotCancellable> {
        let d = self.devices.get(device).ok_or(NotCancellable::NotWaiting)?;
        let held = d.held.iter().any(|m| m.id.as_str() == id);
        let queued = d.queue.iter().any(|m| m.id.as_str() == id);
        if !held && !queued {
            return Err(NotCancellable::NotWaiting);
        }
        if queued && d.online() {
            return Err(NotCancellable::Sent);
        }
        self.remove(device, id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Outbound;
    use super::*;
    use tokio::sync::mpsc;

    fn msg(id: &str, at: i64) -> super::super::QueuedMessage {
        super::super::QueuedMessage::new(MessageId::parse(id).expect("id"), "hi", 0).accepted_at(at)
    }

    #[test]
    fn stale_messages_are_held_at_registration_and_released_or_cancelled() {
        let desk = DeviceId::parse("desk").expect("device");
        let mut r = Registry::new(desk.clone(), 10);
        r.set_hold_after(Some(Duration::from_secs(60)));
        r.restore_device(desk.clone(), None);
        r.restore_queued(desk.clone(), msg("old", 1_000));
        r.restore_queued(desk.clone(), msg("new", 100_000));
        r.restore_queued(desk.clone(), msg("gone", 1_000));
        let (tx, mut rx) = mpsc::unbounded_channel();
        r.register(&desk, tx, 120_000, false).expect("register");
        let mut sent = Vec::new();
        while let Ok(Outbound::Text(t)) = rx.try_recv() {
            sent.push(t.to_string());
        }
        assert_eq!(
            sent.len(),
            2,
            "registered, then the fresh message only: {sent:?}"
        );
        assert!(sent[1].contains("\"new\""), "{sent:?}");
        let held: Vec<_> = r
            .take_newly_held(&desk)
            .into_iter()
            .map(|(id, _)| id.to_string())
            .collect();
        assert_eq!(held, ["old", "gone"]);
        assert!(r.take_newly_held(&desk).is_empty());
        // The one sent on the live connection cannot be cancelled; a held one can.
        assert_eq!(r.cancel(&desk, "new"), Err(NotCancellable::Sent));
        assert_eq!(r.cancel(&desk, "gone"), Ok(()));
        assert_eq!(r.cancel(&desk, "gone"), Err(NotCancellable::NotWaiting));
        assert!(r.release_held(&desk, "old").expect("held").is_some());
        assert!(matches!(rx.try_recv(), Ok(Outbound::Text(t)) if t.contains("\"old\"")));
        assert!(r.held().is_empty());
        assert_eq!(r.queued_len(&desk), 2);
    }

    #[test]
    fn without_a_limit_nothing_is_held() {
        let desk = DeviceId::parse("desk").expect("device");
        let mut r = Registry::new(desk.clone(), 10);
        r.restore_queued(desk.clone(), msg("old", 0));
        let (tx, _rx) = mpsc::unbounded_channel();
        r.register(&desk, tx, i64::MAX / 2, false)
            .expect("register");
        assert!(r.held().is_empty());
    }
}
