//! The relay's main use case, in one place: accept a message (reserve a queue
//! slot, store it, queue and send it, wait for its ACK), record what the agent says
//! of it (ACK, result), send a failed one again, and remove one.
//!
//! The store is always written before the registry is told, so that whoever a
//! change wakes up reads it back. Each function returns a domain outcome or a
//! [`Refused`]; what that means in HTTP is the handlers' business.

use super::registry::{QueueFull, QueuedMessage};
use super::store::{InsertOutcome, NewMessage, StoreError, StoredMessage};
use super::RelayState;
use crate::protocol::ui::UiEvent;
use crate::protocol::ws::Target;
use crate::protocol::{now_ms, Accepted, DeviceId, MessageId, Status};

/// Longest `error` text kept from an agent's `result`.
const MAX_RESULT_ERROR_CHARS: usize = 500;
/// Longest `typed` kept: twice the longest text (each command word typed as one
/// or two characters at most, a joining space).
const MAX_TYPED_CHARS: usize = 2 * crate::protocol::text::MAX_TEXT_CHARS;

/// What became of a message handed to [`accept`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored and queued; `status` is `delivered` if its ACK came within the wait.
    Accepted(Accepted),
    /// The same message was stored before under this id: its current status.
    Existing(Accepted),
}

impl Outcome {
    pub fn into_accepted(self) -> Accepted {
        match self {
            Outcome::Accepted(a) | Outcome::Existing(a) => a,
        }
    }
}

/// Why the relay will not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("the relay is shutting down")]
    ShuttingDown,
    #[error("no agent has ever registered as \"{0}\"")]
    UnknownDevice(DeviceId),
    #[error("{device} has {cap} messages waiting")]
    QueueFull { device: DeviceId, cap: usize },
    #[error("{device} has {cap} bytes of messages waiting")]
    QueueBytesFull { device: DeviceId, cap: usize },
    /// The relay's storage is full: all queues together at their cap, the
    /// database at its ceiling, or the disk full.
    #[error("the relay's storage is full")]
    StorageFull,
    #[error("this id was already used for another message")]
    Conflict,
    #[error("no such message")]
    NotFound,
    #[error("only failed messages can be retried")]
    NotRetryable,
    #[error("{0}: it cannot be cancelled")]
    NotCancellable(#[from] super::registry::NotCancellable),
    #[error("the message is not held")]
    NotHeld,
    #[error("{context}: {source}")]
    Store {
        context: &'static str,
        source: StoreError,
    },
}

impl Refused {
    fn store(context: &'static str) -> impl FnOnce(StoreError) -> Refused {
        move |source| Refused::Store { context, source }
    }
}

/// Accept a message for `device`: store it, send it if the device is online, wait
/// for the ACK (up to the ACK timeout), and say what became of it.
pub async fn accept(
    state: &RelayState,
    text: String,
    device: DeviceId,
    id: Option<MessageId>,
    timestamp: Option<i64>,
) -> Result<Outcome, Refused> {
    // Checked once the body is in: a request that straddles the start of a shutdown
    // is refused whole rather than half accepted.
    if state.is_shutting_down() {
        return Err(Refused::ShuttingDown);
    }
    let given_id = id;
    let id = given_id.clone().unwrap_or_else(MessageId::generate);
    let now = now_ms();
    let timestamp = timestamp.unwrap_or(now);
    let queued = QueuedMessage::new(id.clone(), &text, timestamp);
    let bytes = queued.frame.len();
    let reserved = {
        let mut registry = state.registry();
        if !registry.is_routable(&device) {
            return Err(Refused::UnknownDevice(device));
        }
        registry.reserve(&device, bytes)
    };
    if let Err(full) = reserved {
        // A retry of a message that is already stored is still answered.
        if let Some(id) = &given_id {
            if let Ok(Some(existing)) = state.store().get(id.as_str()).await {
                return same_message_or_conflict(existing, id, &text, device);
            }
        }
        return Err(match full {
            QueueFull::Messages(cap) => Refused::QueueFull { device, cap },
            QueueFull::DeviceBytes(cap) => Refused::QueueBytesFull { device, cap },
            QueueFull::TotalBytes(_) => Refused::StorageFull,
        });
    }

    let inserted = state
        .store()
        .insert(NewMessage {
            id: id.clone(),
            device_id: device.clone(),
            text: text.clone(),
            timestamp,
            created_at: now,
        })
        .await;
    let outcome = match inserted {
        Ok(o) => o,
        Err(e) => {
            state.registry().release(&device, bytes);
            if e.is_full() {
                return Err(Refused::StorageFull);
            }
            return Err(Refused::store("storing a message failed")(e));
        }
    };
    if let InsertOutcome::Existing(existing) = outcome {
        state.registry().release(&device, bytes);
        return same_message_or_conflict(*existing, &id, &text, device);
    }

    let waiter = state.registry().enqueue(&device, queued);
    tracing::debug!(%id, %device, sent = waiter.is_some(), "message accepted");
    state.emit_with(|| UiEvent::Message { id: id.to_string() });
    let status = match waiter {
        Some(ack) => match tokio::time::timeout(state.config().ack_timeout, ack).await {
            Ok(Ok(true)) => Status::Delivered,
            _ => Status::Queued,
        },
        None => Status::Queued,
    };
    Ok(Outcome::Accepted(Accepted {
        id,
        status,
        device_id: device,
    }))
}

/// After a registration: past the cap of known devices, forget the least recently
/// seen idle ones (in memory and in the store).
pub fn forget_idle_devices(state: &RelayState) {
    let cap = state.config().storage.max_known_devices;
    let gone = state.registry().forget_beyond(cap);
    if !gone.is_empty() {
        tracing::info!(
            count = gone.len(),
            "idle devices forgotten (too many devices)"
        );
        state.store().forget_devices(gone);
    }
}

/// Same id again: the same message gets its current status, another one a conflict.
fn same_message_or_conflict(
    existing: StoredMessage,
    id: &MessageId,
    text: &str,
    device: DeviceId,
) -> Result<Outcome, Refused> {
    if existing.text != text || existing.view.device_id != device.as_str() {
        return Err(Refused::Conflict);
    }
    Ok(Outcome::Existing(Accepted {
        id: id.clone(),
        status: existing.view.status,
        device_id: device,
    }))
}

/// Send a failed message again, as a new message (new id: agents never type an id
/// twice, and the failed attempt stays in the history as it was).
pub async fn retry(state: &RelayState, id: &str) -> Result<Outcome, Refused> {
    let stored = state
        .store()
        .get(id)
        .await
        .map_err(Refused::store("reading a message failed"))?
        .ok_or(Refused::NotFound)?;
    if stored.view.status != Status::Failed {
        return Err(Refused::NotRetryable);
    }
    let device = DeviceId::parse(&stored.view.device_id)
        .unwrap_or_else(|| state.config().default_device.clone());
    accept(state, stored.text, device, None, None).await
}

/// Delete a message; a queued one also leaves its device's queue, so it is never
/// sent any more.
pub async fn remove(state: &RelayState, id: &str) -> Result<(), Refused> {
    let (device, status) = state
        .store()
        .delete(id)
        .await
        .map_err(Refused::store("deleting a message failed"))?
        .ok_or(Refused::NotFound)?;
    if status == Status::Queued {
        if let Some(device) = DeviceId::parse(&device) {
            state.registry().remove(&device, id);
        }
        state.emit(UiEvent::Devices);
    }
    state.emit(UiEvent::History);
    Ok(())
}

/// An ACK from `device`'s agent: the message is delivered and leaves the queue.
pub fn on_ack(state: &RelayState, device: &DeviceId, id: String) {
    // The store is told first, so that whoever the ACK wakes up reads it back. Its
    // commit is scheduled only after the waiting request is woken: spawning the
    // commit task wakes the other worker thread, a system call the request's answer
    // need not wait for.
    let store = state.store();
    store.mark_delivered_unscheduled(id.clone(), device.clone(), now_ms());
    if state.registry().ack(device, &id) {
        state.emit_with(|| UiEvent::Message { id });
    }
    store.commit_soon();
}

/// What an agent's `result` says besides the status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reported {
    pub error: Option<String>,
    /// Where it went.
    pub target: Option<Target>,
    /// What went in, when it is not the text as dictated.
    pub typed: Option<String>,
}

/// A `result` from `device`'s agent: typed, or failed with a reason.
pub fn on_result(
    state: &RelayState,
    device: &DeviceId,
    id: String,
    status: Status,
    reported: Reported,
) {
    let Reported {
        error,
        target,
        typed,
    } = reported;
    let error = error.map(|e| e.chars().take(MAX_RESULT_ERROR_CHARS).collect());
    let target = target.map(Target::bounded);
    if let Some(typed) = typed {
        // A dictated text with its commands read: never much longer than the
        // text, so this bound only stops a misbehaving agent.
        let typed = typed.chars().take(MAX_TYPED_CHARS).collect();
        state.store().mark_typed(id.clone(), device.clone(), typed);
    }
    if let Some(e) = &error {
        tracing::info!(%device, %id, error = %e, "agent could not inject a message");
    }
    state
        .store()
        .mark_result(id.clone(), device.clone(), status, error, target, now_ms());
    // A result implies the message arrived, even if its ACK was lost.
    state.registry().ack(device, &id);
    state.emit_with(|| UiEvent::Message { id });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MessageView;

    fn stored(device: &str, text: &str, status: Status) -> StoredMessage {
        StoredMessage {
            view: MessageView {
                id: "m1".into(),
                device_id: device.into(),
                status,
                created_at: 1,
                delivered_at: None,
                injected_at: None,
                error: None,
                held: false,
                held_since: None,
                target: None,
            },
            text: text.into(),
        }
    }

    #[test]
    fn a_retry_is_answered_and_a_reused_id_is_a_conflict() {
        let id = MessageId::parse("m1").expect("id");
        let desk = DeviceId::parse("desk").expect("device");
        let same = same_message_or_conflict(
            stored("desk", "hi", Status::Injected),
            &id,
            "hi",
            desk.clone(),
        );
        let Ok(Outcome::Existing(a)) = same else {
            panic!("expected the existing message, got {same:?}");
        };
        assert_eq!(a.status, Status::Injected);
        let other_text =
            same_message_or_conflict(stored("desk", "hi", Status::Queued), &id, "ho", desk);
        assert!(matches!(other_text, Err(Refused::Conflict)));
        let other_device = same_message_or_conflict(
            stored("desk", "hi", Status::Queued),
            &id,
            "hi",
            DeviceId::parse("laptop").expect("device"),
        );
        assert!(matches!(other_device, Err(Refused::Conflict)));
    }
}
