//! Held messages, the use cases: record the ones a registration held, release one
//! ("Type now"), and end one that was never typed (discarded on the desktop,
//! cancelled from the phone). The rule itself (what waited too long) is the
//! registry's, in `registry::held`.

use super::delivery::Refused;
use super::store::StoredMessage;
use super::RelayState;
use crate::protocol::ui::UiEvent;
use crate::protocol::{now_ms, DeviceId, Status};

/// Why a held message ends when the desktop's user discards it.
pub const DISCARDED: &str = "discarded on the desktop";
/// Why a message ends when its phone cancels it.
pub const CANCELLED: &str = "cancelled from the phone";

/// After a registration: store which messages it held and tell the window.
pub fn note_held(state: &RelayState, device: &DeviceId) {
    let held = state.registry().take_newly_held(device);
    let Some(&(_, at)) = held.first() else {
        return;
    };
    tracing::info!(%device, count = held.len(), "messages that waited too long are held");
    let ids: Vec<String> = held.iter().map(|(id, _)| id.to_string()).collect();
    state.store().mark_held(ids.clone(), at);
    for id in ids {
        state.emit(UiEvent::Message { id });
    }
    state.emit(UiEvent::Held);
}

/// Every held message, oldest device first, as the store has it.
pub async fn held(state: &RelayState) -> Result<Vec<StoredMessage>, Refused> {
    let ids = state.registry().held();
    let mut out = Vec::with_capacity(ids.len());
    for (_, id) in ids {
        if let Some(m) = stored(state, id.as_str())
            .await
            .ok()
            .filter(|m| m.view.held)
        {
            out.push(m);
        }
    }
    Ok(out)
}

async fn stored(state: &RelayState, id: &str) -> Result<StoredMessage, Refused> {
    state
        .store()
        .get(id)
        .await
        .map_err(|source| Refused::Store {
            context: "reading a message failed",
            source,
        })?
        .ok_or(Refused::NotFound)
}

fn device_of(state: &RelayState, m: &StoredMessage) -> DeviceId {
    DeviceId::parse(&m.view.device_id).unwrap_or_else(|| state.config().default_device.clone())
}

/// "Type now": the held message is sent to its agent (at once if it is online).
pub async fn release(state: &RelayState, id: &str) -> Result<(), Refused> {
    let m = stored(state, id).await?;
    if !m.view.held {
        return Err(Refused::NotHeld);
    }
    // The store first, so that whoever the delivery wakes reads it back unheld.
    state
        .store()
        .clear_held(id)
        .await
        .map_err(|source| Refused::Store {
            context: "releasing a message failed",
            source,
        })?;
    let device = device_of(state, &m);
    state
        .registry()
        .release_held(&device, id)
        .map_err(|_| Refused::NotHeld)?;
    tracing::info!(%id, %device, "held message released");
    state.emit(UiEvent::Message { id: id.to_owned() });
    state.emit(UiEvent::Held);
    Ok(())
}

/// End a message that was never sent to its agent as `failed` with `reason`; it
/// is never delivered afterwards. One already sent (or typed) is refused.
pub async fn cancel(state: &RelayState, id: &str, reason: &'static str) -> Result<(), Refused> {
    let m = stored(state, id).await?;
    if m.view.status != Status::Queued {
        return Err(Refused::NotCancellable(
            super::registry::NotCancellable::NotWaiting,
        ));
    }
    let device = device_of(state, &m);
    // The registry first: once it let go, nothing can send the message any more.
    // Should the store then fail, the row stays `queued` and comes back at the next
    // start, where it is held again (old by then): never typed blindly.
    state.registry().cancel(&device, id)?;
    let ended = state
        .store()
        .fail_queued(id, reason, now_ms())
        .await
        .map_err(|source| Refused::Store {
            context: "cancelling a message failed",
            source,
        })?;
    if !ended {
        // Delivered in the instant between the read and the registry: it stands.
        return Err(Refused::NotCancellable(
            super::registry::NotCancellable::NotWaiting,
        ));
    }
    tracing::info!(%id, %device, reason, "message cancelled before it was typed");
    state.emit(UiEvent::Message { id: id.to_owned() });
    state.emit(UiEvent::Devices);
    if m.view.held {
        state.emit(UiEvent::Held);
    }
    Ok(())
}
