//! What the process around the relay knows of its own desktop and the registry
//! does not: typing paused by the user, record-only mode. Added to what phones
//! and the window are told, so that a paused desktop does not look offline and a
//! recorded message does not look typed (docs/protocol-extensions.md).

use crate::protocol::http::{HandledAs, MessageHandled};
use crate::protocol::ui::{HistoryItem, HistoryRow, InjectorState};
use crate::protocol::{DeviceView, MessageView};
use crate::relay::RelayState;

/// The local agent's modes, when this process has one.
struct LocalModes {
    device_id: String,
    paused: bool,
    recording: bool,
}

fn local_modes(state: &RelayState) -> Option<LocalModes> {
    let agent = state.desktop()?.local_agent()?;
    Some(LocalModes {
        device_id: agent.device_id,
        paused: agent.paused,
        recording: agent.injector_state == InjectorState::Recording,
    })
}

/// `GET /devices`, with `paused` and `recording` on this process's own desktop.
pub fn devices(state: &RelayState) -> Vec<DeviceView> {
    let mut devices = state.registry().devices();
    if let Some(modes) = local_modes(state) {
        for d in devices
            .iter_mut()
            .filter(|d| d.device_id.as_str() == modes.device_id)
        {
            d.paused = modes.paused;
            d.recording = modes.recording;
        }
    }
    devices
}

/// How an `injected` message was handled, as far as the relay can tell: the
/// agent's `result` does not say, so a message this process's agent finished while
/// it is in record-only mode counts as `recorded`. (The phone keeps what it was
/// told first, so a later change of mode does not relabel its messages.)
fn handled_as(modes: Option<&LocalModes>, view: &MessageView) -> Option<HandledAs> {
    let modes = modes?;
    let recorded = modes.recording
        && view.status == crate::protocol::Status::Injected
        && view.device_id == modes.device_id;
    recorded.then_some(HandledAs::Recorded)
}

/// `GET /transcription/{id}` for phones, with `method`.
pub fn message(state: &RelayState, view: MessageView) -> MessageHandled {
    let method = handled_as(local_modes(state).as_ref(), &view);
    MessageHandled { view, method }
}

/// History rows for the window, with `method`.
pub fn history(state: &RelayState, items: Vec<HistoryItem>) -> Vec<HistoryRow> {
    let modes = local_modes(state);
    items
        .into_iter()
        .map(|item| HistoryRow {
            method: handled_as(modes.as_ref(), &item.message),
            item,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Status;

    fn view(status: Status, device: &str) -> MessageView {
        let json =
            serde_json::json!({"id": "m", "deviceId": device, "status": status, "createdAt": 1});
        serde_json::from_value(json).expect("a message view")
    }

    #[test]
    fn only_injected_messages_of_a_recording_local_desktop_count_as_recorded() {
        let recording = LocalModes {
            device_id: "desk".into(),
            paused: false,
            recording: true,
        };
        let typing = LocalModes {
            device_id: "desk".into(),
            paused: false,
            recording: false,
        };
        let injected = view(Status::Injected, "desk");
        assert_eq!(
            handled_as(Some(&recording), &injected),
            Some(HandledAs::Recorded)
        );
        assert_eq!(handled_as(Some(&typing), &injected), None);
        assert_eq!(handled_as(None, &injected), None);
        assert_eq!(
            handled_as(Some(&recording), &view(Status::Failed, "desk")),
            None
        );
        assert_eq!(
            handled_as(Some(&recording), &view(Status::Injected, "other")),
            None
        );
        let json = serde_json::to_value(MessageHandled {
            view: injected,
            method: Some(HandledAs::Recorded),
        })
        .expect("json");
        assert_eq!(json["method"], "recorded");
        assert_eq!(json["status"], "injected");
    }
}
