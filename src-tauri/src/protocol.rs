//! Wire types and validation: the only place where JSON shapes of PROTOCOL.md live.
//!
//! Everything that arrives from outside (HTTP bodies, WebSocket frames) is parsed and
//! validated here into types that cannot hold an invalid value, so the rest of the
//! relay never re-checks a device id or a message id.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Most characters a transcription may have (after `\r\n` → `\n`).
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Largest HTTP body and largest WebSocket frame from an agent.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
const MAX_DEVICE_ID_LEN: usize = 64;
const MAX_MESSAGE_ID_LEN: usize = 128;

/// Milliseconds since the Unix epoch, the only time unit on the wire.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A normalised, valid device id (PROTOCOL.md §1).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct DeviceId(Arc<str>);

impl DeviceId {
    /// Trim, lower-case, drop a trailing `.local`, fold white space runs into `-`,
    /// then check `[a-z0-9._-]{1,64}`.
    pub fn parse(raw: &str) -> Option<DeviceId> {
        let lowered = raw.trim().to_lowercase();
        let stem = lowered.strip_suffix(".local").unwrap_or(&lowered);
        let mut out = String::with_capacity(stem.len());
        let mut in_space = false;
        for c in stem.chars() {
            if c.is_whitespace() {
                if !in_space {
                    out.push('-');
                }
                in_space = true;
            } else {
                out.push(c);
                in_space = false;
            }
        }
        let valid = !out.is_empty()
            && out.len() <= MAX_DEVICE_ID_LEN
            && out
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        valid.then(|| DeviceId(out.into()))
    }

    /// `desktop`: the id of a machine whose host name cannot serve as one.
    pub fn fallback() -> DeviceId {
        DeviceId("desktop".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A valid message id: 1–128 of `[A-Za-z0-9._:-]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct MessageId(Arc<str>);

impl MessageId {
    pub fn parse(raw: &str) -> Option<MessageId> {
        let valid = !raw.is_empty()
            && raw.len() <= MAX_MESSAGE_ID_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
        valid.then(|| MessageId(raw.into()))
    }

    /// A fresh random id (UUID v4) for a message the phone sent without one.
    pub fn generate() -> MessageId {
        MessageId(uuid::Uuid::new_v4().to_string().into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for MessageId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// Normalise and validate transcription text: `\r\n` becomes `\n`; it must be
/// non-empty after trimming, at most [`MAX_TEXT_CHARS`] characters, and free of control
/// characters other than tab and newline. The text itself is kept as sent (not
/// trimmed): what the user dictated is what gets typed.
pub fn normalize_text(raw: &str) -> Result<String, &'static str> {
    let text = if raw.contains('\r') {
        raw.replace("\r\n", "\n")
    } else {
        raw.to_owned()
    };
    if text.trim().is_empty() {
        return Err("text must not be empty");
    }
    let mut chars = 0usize;
    for c in text.chars() {
        chars += 1;
        if c.is_control() && c != '\t' && c != '\n' {
            return Err("text must not contain control characters other than tab and newline");
        }
    }
    if chars > MAX_TEXT_CHARS {
        return Err("text must be at most 10000 characters");
    }
    Ok(text)
}

/// The lifecycle of a message; every stored message is in exactly one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Queued,
    Delivered,
    Injected,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Delivered => "delivered",
            Status::Injected => "injected",
            Status::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "queued" => Some(Status::Queued),
            "delivered" => Some(Status::Delivered),
            "injected" => Some(Status::Injected),
            "failed" => Some(Status::Failed),
            _ => None,
        }
    }
}

/// Error codes of the HTTP API and of `error` frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidJson,
    InvalidText,
    InvalidDeviceId,
    InvalidId,
    Unauthorized,
    UnknownDevice,
    NotFound,
    MethodNotAllowed,
    IdConflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    QueueFull,
    ShuttingDown,
    UpgradeRequired,
    Forbidden,
    NotRetryable,
    InvalidSettings,
    Internal,
    // WebSocket-only codes (in `error` frames).
    UnknownType,
    InvalidFrame,
    NotRegistered,
    AlreadyRegistered,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "INVALID_JSON",
            ErrorCode::InvalidText => "INVALID_TEXT",
            ErrorCode::InvalidDeviceId => "INVALID_DEVICE_ID",
            ErrorCode::InvalidId => "INVALID_ID",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::UnknownDevice => "UNKNOWN_DEVICE",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::IdConflict => "ID_CONFLICT",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::QueueFull => "QUEUE_FULL",
            ErrorCode::ShuttingDown => "SHUTTING_DOWN",
            ErrorCode::UpgradeRequired => "UPGRADE_REQUIRED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotRetryable => "NOT_RETRYABLE",
            ErrorCode::InvalidSettings => "INVALID_SETTINGS",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::UnknownType => "UNKNOWN_TYPE",
            ErrorCode::InvalidFrame => "INVALID_FRAME",
            ErrorCode::NotRegistered => "NOT_REGISTERED",
            ErrorCode::AlreadyRegistered => "ALREADY_REGISTERED",
        }
    }
}

/// WebSocket close codes of PROTOCOL.md §4.
pub mod close {
    pub const DUPLICATE_CONNECTION: u16 = 4000;
    pub const UNAUTHORIZED: u16 = 4001;
    pub const REGISTRATION_TIMEOUT: u16 = 4002;
    pub const INVALID_DEVICE_ID: u16 = 4003;
    /// Standard code for "message too big" (RFC 6455).
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// Standard code for "going away" (relay shutting down).
    pub const GOING_AWAY: u16 = 1001;
}

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
    pub fn parse(body: &[u8]) -> Result<TranscriptionRequest, (ErrorCode, String)> {
        let raw: RawTranscription = serde_json::from_slice(body).map_err(|e| {
            (
                ErrorCode::InvalidJson,
                format!("body is not a JSON object: {e}"),
            )
        })?;
        let text = match raw.text {
            Some(serde_json::Value::String(s)) => {
                normalize_text(&s).map_err(|m| (ErrorCode::InvalidText, m.to_owned()))?
            }
            Some(_) => return Err((ErrorCode::InvalidText, "text must be a string".into())),
            None => return Err((ErrorCode::InvalidText, "text is required".into())),
        };
        let device_id = match raw.device_id {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(DeviceId::parse(&s).ok_or((
                ErrorCode::InvalidDeviceId,
                "deviceId must be 1-64 characters of a-z 0-9 . _ - after normalisation".into(),
            ))?),
            Some(_) => {
                return Err((
                    ErrorCode::InvalidDeviceId,
                    "deviceId must be a string".into(),
                ))
            }
        };
        let id = match raw.id {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(MessageId::parse(&s).ok_or((
                ErrorCode::InvalidId,
                "id must be 1-128 characters of A-Z a-z 0-9 . _ : -".into(),
            ))?),
            Some(_) => return Err((ErrorCode::InvalidId, "id must be a string".into())),
        };
        let timestamp = match raw.timestamp {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or((
                ErrorCode::InvalidJson,
                "timestamp must be an integer (milliseconds since the Unix epoch)".into(),
            ))?),
        };
        Ok(TranscriptionRequest {
            text,
            device_id,
            id,
            timestamp,
        })
    }
}

/// Frames an agent sends (PROTOCOL.md §4), as parsed by [`AgentFrame::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentFrame {
    Register {
        device_id: String,
    },
    Ack {
        id: String,
    },
    Result {
        id: String,
        status: Status,
        error: Option<String>,
    },
}

#[derive(Deserialize)]
struct RawFrame {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "deviceId")]
    device_id: Option<String>,
    id: Option<String>,
    status: Option<String>,
    error: Option<String>,
}

impl AgentFrame {
    /// Parse one text frame from an agent; the error says what to answer.
    pub fn parse(text: &str) -> Result<AgentFrame, (ErrorCode, String)> {
        let raw: RawFrame = serde_json::from_str(text).map_err(|e| {
            (
                ErrorCode::InvalidJson,
                format!("frame is not valid JSON: {e}"),
            )
        })?;
        let missing = |field: &str| (ErrorCode::InvalidFrame, format!("{field} is required"));
        match raw.kind.as_deref() {
            Some("register") => Ok(AgentFrame::Register {
                device_id: raw.device_id.ok_or_else(|| missing("deviceId"))?,
            }),
            Some("ack") => Ok(AgentFrame::Ack {
                id: raw.id.ok_or_else(|| missing("id"))?,
            }),
            Some("result") => {
                let id = raw.id.ok_or_else(|| missing("id"))?;
                let status = match raw.status.as_deref() {
                    Some("injected") => Status::Injected,
                    Some("failed") => Status::Failed,
                    _ => {
                        return Err((
                            ErrorCode::InvalidFrame,
                            "status must be \"injected\" or \"failed\"".into(),
                        ))
                    }
                };
                Ok(AgentFrame::Result {
                    id,
                    status,
                    error: raw.error,
                })
            }
            Some(other) => Err((
                ErrorCode::UnknownType,
                format!("unknown frame type {other:?}"),
            )),
            None => Err((ErrorCode::InvalidFrame, "type is required".into())),
        }
    }
}

/// Frames the relay sends to an agent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum RelayFrame {
    Registered {
        #[serde(rename = "deviceId")]
        device_id: String,
        queued: usize,
    },
    Transcription {
        id: String,
        text: String,
        timestamp: i64,
    },
    Error {
        code: String,
        message: String,
    },
}

impl RelayFrame {
    pub fn to_json(&self) -> String {
        // Serialising these plain structs cannot fail; fall back to an empty object
        // rather than panic if serde ever says otherwise.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    pub fn error(code: ErrorCode, message: impl Into<String>) -> RelayFrame {
        RelayFrame::Error {
            code: code.as_str().to_owned(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_are_normalised() {
        let ok = |raw: &str| DeviceId::parse(raw).map(|d| d.as_str().to_owned());
        assert_eq!(ok("  My-Laptop.local "), Some("my-laptop".into()));
        assert_eq!(ok("Office   PC"), Some("office-pc".into()));
        assert_eq!(ok("a\t b"), Some("a-b".into()));
        assert_eq!(ok("host_1.lan"), Some("host_1.lan".into()));
        assert_eq!(ok(""), None);
        assert_eq!(ok("   "), None);
        assert_eq!(ok(".local"), None);
        assert_eq!(ok("bad/slash"), None);
        assert_eq!(ok("ünïcode"), None);
        assert_eq!(ok(&"a".repeat(64)), Some("a".repeat(64)));
        assert_eq!(ok(&"a".repeat(65)), None);
    }

    #[test]
    fn message_ids_are_checked() {
        assert!(MessageId::parse("abc-123_x.y:z").is_some());
        assert!(MessageId::parse(&"a".repeat(128)).is_some());
        assert!(MessageId::parse(&"a".repeat(129)).is_none());
        assert!(MessageId::parse("").is_none());
        assert!(MessageId::parse("has space").is_none());
        assert!(MessageId::parse("slash/").is_none());
        assert!(MessageId::parse(MessageId::generate().as_str()).is_some());
    }

    #[test]
    fn text_rules() {
        assert_eq!(normalize_text("a\r\nb").as_deref(), Ok("a\nb"));
        assert_eq!(
            normalize_text(" keep spaces ").as_deref(),
            Ok(" keep spaces ")
        );
        assert_eq!(normalize_text("tab\there").as_deref(), Ok("tab\there"));
        assert!(normalize_text("   \n\t").is_err());
        assert!(normalize_text("bell\u{7}").is_err());
        assert!(normalize_text("lone\rcr").is_err());
        assert!(normalize_text("c1\u{85}").is_err());
        assert!(normalize_text(&"é".repeat(10_000)).is_ok());
        assert!(normalize_text(&"é".repeat(10_001)).is_err());
        // Ten thousand characters counted after CRLF folding.
        assert!(normalize_text(&"\r\n".repeat(10_000)).is_err()); // all white space
        assert!(normalize_text(&format!("x{}", "\r\n".repeat(9_999))).is_ok());
    }

    #[test]
    fn transcription_body_errors_are_precise() {
        let code = |b: &str| TranscriptionRequest::parse(b.as_bytes()).err().map(|e| e.0);
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
    fn agent_frames() {
        assert_eq!(
            AgentFrame::parse(r#"{"type":"register","deviceId":"x"}"#),
            Ok(AgentFrame::Register {
                device_id: "x".into()
            })
        );
        assert_eq!(
            AgentFrame::parse(
                r#"{"type":"result","id":"a","status":"failed","error":"no display"}"#
            ),
            Ok(AgentFrame::Result {
                id: "a".into(),
                status: Status::Failed,
                error: Some("no display".into())
            })
        );
        let code = |t: &str| AgentFrame::parse(t).err().map(|e| e.0);
        assert_eq!(code("nope"), Some(ErrorCode::InvalidJson));
        assert_eq!(code(r#"{"type":"dance"}"#), Some(ErrorCode::UnknownType));
        assert_eq!(code(r#"{"type":"ack"}"#), Some(ErrorCode::InvalidFrame));
        assert_eq!(
            code(r#"{"type":"result","id":"a","status":"queued"}"#),
            Some(ErrorCode::InvalidFrame)
        );
    }
}
