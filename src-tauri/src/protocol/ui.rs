//! Bodies of the desktop window's API under `/ui/api` (an extension of
//! PROTOCOL.md, loopback only): status, history, live events, settings answers,
//! pairing.

use serde::{Deserialize, Serialize};

use super::http::{DeviceView, MessageView};

/// Something changed; the window refetches what it shows of it. One server-sent
/// event each.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum UiEvent {
    Message {
        id: String,
    },
    Devices,
    Agent,
    Settings,
    Token,
    History,
    /// A phone was paired, renamed or revoked.
    Phones,
    /// A paired phone made a call at `at` (its "last seen"; at most one per phone
    /// per 10 s).
    PhoneSeen {
        id: String,
        at: i64,
    },
    /// Messages were held, released or discarded (refetch the held list).
    Held,
}

/// A phone (any sender) seen recently.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PhoneSeen {
    pub address: String,
    pub user_agent: String,
    pub last_seen: i64,
    pub messages: u64,
}

/// What the local agent is doing.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AgentState {
    Connecting,
    Connected,
    /// Paused by the user: not connected, so messages wait at the relay.
    Paused,
    /// Lost the relay; retrying.
    Disconnected,
    /// Gave up for good (wrong token, invalid device id) or was shut down.
    Stopped,
}

/// Whether the injector can do its job here: the window shows this, never a guess
/// from the words of `injector`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum InjectorState {
    /// Types or pastes into the focused window.
    Ready,
    /// Record-only mode: messages are acknowledged and recorded, nothing typed.
    Recording,
    /// Cannot type here (no display, no permission, ...); `injector` says why.
    Unavailable,
    /// The injection mode just changed and the injector is being checked again
    /// (an event follows when it is done).
    Checking,
}

/// The agent inside this process.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LocalAgentView {
    pub device_id: String,
    pub state: AgentState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What the injector does here, or why it cannot ("no display", ...), in words.
    pub injector: String,
    pub injector_state: InjectorState,
    /// Whether injection works here (`injectorState` is not `unavailable`).
    pub injector_ok: bool,
    /// The route needs the user's permission (the remote desktop portal's
    /// dialog): the window offers one button for it (`POST /ui/api/injector/grant`).
    #[serde(default)]
    pub injector_needs_grant: bool,
    pub paused: bool,
}

/// The mDNS advertisement.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MdnsView {
    pub enabled: bool,
    pub advertising: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `GET /ui/api/status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    pub version: String,
    pub relay: RelayView,
    pub mdns: Option<MdnsView>,
    pub token_present: bool,
    pub devices: Vec<DeviceView>,
    pub phones: Vec<PhoneSeen>,
    pub local_agent: Option<LocalAgentView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RelayView {
    pub address: String,
    pub port: u16,
    pub default_device: String,
}

/// `GET /ui/api/history` query: which rows, newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistoryParams {
    /// `queued`, `delivered`, `injected`, `failed`, or `all` / empty.
    pub status: Option<String>,
    pub id: Option<String>,
    /// Only rows older than this `seq` (paging).
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

/// One row of the history: the message's state as `GET /transcription/{id}` shows
/// it, plus what only the desktop window sees.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HistoryItem {
    pub seq: i64,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<i64>,
    /// Extension: what went into the window when it is not `text` as dictated
    /// (voice commands, a joining space; `""` after "scratch that").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typed: Option<String>,
    #[serde(flatten)]
    pub message: MessageView,
}

/// A history row as the window gets it: with the extension `method` (see
/// [`super::http::MessageHandled`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistoryRow {
    #[serde(flatten)]
    pub item: HistoryItem,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<super::http::HandledAs>,
}

/// `DELETE /ui/api/messages`: how many rows went.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Cleared {
    pub removed: usize,
}

/// `POST /ui/api/pause`, body and answer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Paused {
    pub paused: bool,
}

/// `GET /ui/api/pairing`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PairingView {
    pub link: String,
    pub qr_svg: String,
    pub host: String,
    pub port: u16,
    pub lan_addresses: Vec<String>,
    /// When the link's one-time pairing code stops working (the window then asks
    /// again).
    pub expires_at: i64,
    /// Why no phone can pair right now (the relay listens on loopback only): then
    /// `link` and `qr_svg` are empty and no code was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<String>,
    /// The other addresses a phone could try, with why each is not the first.
    #[serde(default)]
    pub other_addresses: Vec<AddressNote>,
}

/// An address of this machine and why it ranks where it does.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AddressNote {
    pub ip: String,
    pub reason: String,
}

/// `POST /ui/api/token/rotate`: the new token and the new pairing link.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Rotated {
    pub token: String,
    pub pairing: PairingView,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Status;

    #[test]
    fn history_rows_flatten_the_message_view() {
        let item = HistoryItem {
            seq: 3,
            text: "hi".into(),
            failed_at: None,
            typed: None,
            message: MessageView {
                id: "m".into(),
                device_id: "desk".into(),
                status: Status::Injected,
                created_at: 1,
                delivered_at: Some(2),
                injected_at: Some(3),
                error: None,
                held: false,
                held_since: None,
                target: None,
            },
        };
        let json = serde_json::to_value(&item).expect("json");
        assert_eq!(json["seq"], 3);
        assert_eq!(json["deviceId"], "desk");
        assert_eq!(json["status"], "injected");
        assert_eq!(json["injectedAt"], 3);
        assert!(json.get("message").is_none());
        let back: HistoryItem = serde_json::from_value(json).expect("parse");
        assert_eq!(back, item);
        assert_eq!(
            serde_json::to_string(&UiEvent::Message { id: "m".into() }).expect("json"),
            r#"{"type":"message","id":"m"}"#
        );
        assert_eq!(
            serde_json::to_value(InjectorState::Unavailable).expect("json"),
            "unavailable"
        );
    }
}
