//! HTTP bodies of PROTOCOL.md §3: the request a sender posts, and every answer.

use serde::{Deserialize, Serialize};

use super::errors::{ErrorCode, ErrorDetail};
use super::ids::{DeviceId, MessageId, Status};
use super::text::normalize_text;

/// `POST /transcription` body, after validation.
#[derive(Debug, Clone)]
pub struct TranscriptionRequest {
    pub text: String,
    pub device_id: Option<DeviceId>,
    pub id: Option<MessageId>,
    pub timestamp: Option<i64>,
}

/// Raw shape of the body; every field is optional here so that each one gets its own
/// precise error code instead of serde's generic message.
#[derive(Deserialize)]
struct RawTranscription {
    text: Option<serde_json::Value>,
    #[serde(rename = "deviceId")]
    device_id: Option<serde_json::Value>,
    id: Option<serde_json::Value>,
    timestamp: Option<serde_json::Value>,
}

impl TranscriptionRequest {
    pub fn parse(body: &[u8]) -> Result<TranscriptionRequest, ErrorDetail> {
        let raw: RawTranscription = serde_json::from_slice(body).map_err(|e| {
            ErrorDetail::new(
                ErrorCode::InvalidJson,
                format!("body is not a JSON object: {e}"),
            )
        })?;
        let text = match raw.text {
            Some(serde_json::Value::String(s)) => normalize_text(&s)
                .map_err(|e| ErrorDetail::new(ErrorCode::InvalidText, e.to_string()))?,
            Some(_) => {
                return Err(ErrorDetail::new(
                    ErrorCode::InvalidText,
                    "text must be a string",
                ))
            }
            None => return Err(ErrorDetail::new(ErrorCode::InvalidText, "text is required")),
        };
        let device_id = match raw.device_id {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(DeviceId::parse(&s).ok_or_else(|| {
                ErrorDetail::new(
                    ErrorCode::InvalidDeviceId,
                    "deviceId must be 1-64 characters of a-z 0-9 . _ - after normalisation",
                )
            })?),
            Some(_) => {
                return Err(ErrorDetail::new(
                    ErrorCode::InvalidDeviceId,
                    "deviceId must be a string",
                ))
            }
        };
        let id = match raw.id {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(MessageId::parse(&s).ok_or_else(|| {
                ErrorDetail::new(
                    ErrorCode::InvalidId,
                    "id must be 1-128 characters of A-Z a-z 0-9 . _ : -",
                )
            })?),
            Some(_) => {
                return Err(ErrorDetail::new(
                    ErrorCode::InvalidId,
                    "id must be a string",
                ))
            }
        };
        let timestamp = match raw.timestamp {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| {
                ErrorDetail::new(
                    ErrorCode::InvalidJson,
                    "timestamp must be an integer (milliseconds since the Unix epoch)",
                )
            })?),
        };
        Ok(TranscriptionRequest {
            text,
            device_id,
            id,
            timestamp,
        })
    }
}

/// The body a sender posts (what `saytype send`, the tests and benches write). The
/// relay reads it through [`TranscriptionRequest::parse`], which gives each field
/// its own error code.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptionBody {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
}

/// `200` to `POST /transcription`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    pub id: MessageId,
    pub status: Status,
    pub device_id: DeviceId,
}

/// `GET /transcription/{id}`: a message's state, without its text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    pub id: String,
    pub device_id: String,
    pub status: Status,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injected_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Extension: a `queued` message that waited too long and is held on the
    /// desktop, not typed, until the user says so (docs/protocol-extensions.md).
    /// The status stays `queued`, so clients that do not know it see a waiting
    /// message.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
    /// Extension: since when it is held (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_since: Option<i64>,
    /// Extension: where the agent put it (see [`super::ws::Target`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<super::ws::Target>,
}

/// Extension: how an `injected` message was handled. Only `recorded` is reported
/// today (the desktop is in record-only mode, `--inject none`: nothing was typed).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum HandledAs {
    Recorded,
}

/// `GET /transcription/{id}` as SayType answers it to phones: the protocol's view
/// plus the extension `method` (absent unless known).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MessageHandled {
    #[serde(flatten)]
    pub view: MessageView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<HandledAs>,
}

/// One entry of `GET /devices`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    pub device_id: DeviceId,
    /// Extension: the relay's own device (the target when `deviceId` is omitted).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    pub online: bool,
    pub queued: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<i64>,
    /// Extension: typing is paused on this desktop by its user (it is offline on
    /// purpose; messages wait). Absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
    /// Extension: record-only mode (`--inject none`): messages are recorded, not
    /// typed. Absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recording: bool,
}

/// `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Health {
    pub status: String,
    pub version: String,
}

impl Health {
    pub fn ok() -> Health {
        Health {
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// `POST /token/rotate` (extension): the token now in force.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenRotated {
    pub token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcription_body_errors_are_precise() {
        let code = |b: &str| {
            TranscriptionRequest::parse(b.as_bytes())
                .err()
                .map(|e| e.code)
        };
        assert_eq!(code("{"), Some(ErrorCode::InvalidJson));
        assert_eq!(code("[]"), Some(ErrorCode::InvalidJson));
        assert_eq!(code("{}"), Some(ErrorCode::InvalidText));
        assert_eq!(code(r#"{"text":5}"#), Some(ErrorCode::InvalidText));
        assert_eq!(
            code(r#"{"text":"a","deviceId":"x/y"}"#),
            Some(ErrorCode::InvalidDeviceId)
        );
        assert_eq!(
            code(r#"{"text":"a","deviceId":7}"#),
            Some(ErrorCode::InvalidDeviceId)
        );
        assert_eq!(
            code(r#"{"text":"a","id":"a b"}"#),
            Some(ErrorCode::InvalidId)
        );
        assert_eq!(
            code(r#"{"text":"a","timestamp":"x"}"#),
            Some(ErrorCode::InvalidJson)
        );
        let ok = TranscriptionRequest::parse(
            br#"{"text":"Hi\r\n","deviceId":"Desk.local","id":"m1","timestamp":5}"#,
        )
        .expect("valid");
        assert_eq!(ok.text, "Hi\n");
        assert_eq!(ok.device_id.map(|d| d.to_string()).as_deref(), Some("desk"));
        assert_eq!(ok.id.map(|d| d.to_string()).as_deref(), Some("m1"));
        assert_eq!(ok.timestamp, Some(5));
    }

    #[test]
    fn answers_have_the_protocol_shapes() {
        let view = MessageView {
            id: "m".into(),
            device_id: "desk".into(),
            status: Status::Queued,
            created_at: 1,
            delivered_at: None,
            injected_at: None,
            error: None,
            held: false,
            held_since: None,
            target: None,
        };
        assert_eq!(
            serde_json::to_string(&view).expect("json"),
            r#"{"id":"m","deviceId":"desk","status":"queued","createdAt":1}"#
        );
        let body = TranscriptionBody {
            text: "hi".into(),
            id: Some("m1".into()),
            ..TranscriptionBody::default()
        };
        let json = serde_json::to_vec(&body).expect("json");
        let parsed = TranscriptionRequest::parse(&json).expect("valid");
        assert_eq!(parsed.id.map(|i| i.to_string()).as_deref(), Some("m1"));
    }
}
