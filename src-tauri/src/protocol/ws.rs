//! WebSocket frames of PROTOCOL.md §4, both directions, as serde types: the relay
//! parses [`AgentFrame`]s and writes [`RelayFrame`]s; the agent does the reverse.

use serde::{Deserialize, Serialize};

use super::errors::{ErrorCode, ErrorDetail};
use super::ids::Status;

/// Frames an agent sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
pub enum AgentFrame {
    Register {
        device_id: String,
        /// Extension: the agent wants each `result` confirmed with `resultAck`
        /// (it keeps results until then). Absent for older agents.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        result_ack: bool,
    },
    Ack {
        id: String,
    },
    Result {
        id: String,
        status: ResultStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// Extension: the window the message went into (absent when the agent
        /// cannot tell, and from older agents).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<Target>,
        /// Extension: what went into the window when it is not the text as
        /// dictated (voice commands, a joining space); `""` for "scratch that".
        /// Absent when the same, and from older agents.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        typed: Option<String>,
    },
}

/// Where a message went: the application (X11 `WM_CLASS`, e.g. `firefox`,
/// `XTerm`), its window title, and how the text went in, so that a page can say
/// "typed into Firefox — Inbox" or "pasted into Terminal".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub app: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `typed` or `pasted`; absent when nothing went in (a failure before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

impl Target {
    /// Longest app name and title kept (a window title can be anything).
    pub const MAX_CHARS: usize = 200;

    /// This target with its strings cut to [`Target::MAX_CHARS`].
    pub fn bounded(self) -> Target {
        let cut = |s: String| s.chars().take(Target::MAX_CHARS).collect::<String>();
        Target {
            app: cut(self.app),
            title: self.title.map(cut),
            method: self.method.map(cut),
        }
    }
}

/// What an agent can report of a message it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultStatus {
    Injected,
    Failed,
}

impl From<ResultStatus> for Status {
    fn from(s: ResultStatus) -> Status {
        match s {
            ResultStatus::Injected => Status::Injected,
            ResultStatus::Failed => Status::Failed,
        }
    }
}

/// Only the tag, to say precisely what is wrong with a frame serde refused.
#[derive(Deserialize)]
struct Tag {
    #[serde(rename = "type")]
    kind: Option<serde_json::Value>,
}

impl AgentFrame {
    /// Parse one text frame from an agent; the error says what to answer.
    pub fn parse(text: &str) -> Result<AgentFrame, ErrorDetail> {
        let refused = match serde_json::from_str::<AgentFrame>(text) {
            Ok(frame) => return Ok(frame),
            Err(e) => e,
        };
        let tag = serde_json::from_str::<Tag>(text).map_err(|e| {
            ErrorDetail::new(
                ErrorCode::InvalidJson,
                format!("frame is not valid JSON: {e}"),
            )
        })?;
        Err(match tag.kind {
            None => ErrorDetail::new(ErrorCode::InvalidFrame, "type is required"),
            Some(serde_json::Value::String(kind))
                if !["register", "ack", "result"].contains(&kind.as_str()) =>
            {
                ErrorDetail::new(
                    ErrorCode::UnknownType,
                    format!("unknown frame type {kind:?}"),
                )
            }
            Some(_) => ErrorDetail::new(ErrorCode::InvalidFrame, refused.to_string()),
        })
    }

    pub fn to_json(&self) -> String {
        to_json(self)
    }
}

/// Frames the relay sends to an agent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(
    tag = "type",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
pub enum RelayFrame {
    Registered {
        device_id: String,
        queued: usize,
        /// Extension: this relay confirms results with `resultAck` (when the agent
        /// asked for it). Absent from older relays.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        result_ack: bool,
    },
    Transcription {
        id: String,
        text: String,
        timestamp: i64,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
    /// Extension: the result for `id` is stored; the agent may forget it. Sent only
    /// to agents that registered with `resultAck`.
    #[serde(rename = "resultAck")]
    ResultAck {
        id: String,
    },
}

impl RelayFrame {
    pub fn to_json(&self) -> String {
        to_json(self)
    }

    pub fn error(code: ErrorCode, message: impl Into<String>) -> RelayFrame {
        RelayFrame::Error {
            code,
            message: message.into(),
        }
    }
}

/// Serialising these plain enums cannot fail; fall back to an empty object rather
/// than panic if serde ever says otherwise.
fn to_json(frame: &impl Serialize) -> String {
    serde_json::to_string(frame).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_frames() {
        assert_eq!(
            AgentFrame::parse(r#"{"type":"register","deviceId":"x"}"#),
            Ok(AgentFrame::Register {
                device_id: "x".into(),
                result_ack: false,
            })
        );
        assert_eq!(
            AgentFrame::parse(r#"{"type":"register","deviceId":"x","resultAck":true}"#),
            Ok(AgentFrame::Register {
                device_id: "x".into(),
                result_ack: true,
            })
        );
        assert_eq!(
            AgentFrame::parse(
                r#"{"type":"result","id":"a","status":"failed","error":"no display"}"#
            ),
            Ok(AgentFrame::Result {
                id: "a".into(),
                status: ResultStatus::Failed,
                error: Some("no display".into()),
                target: None,
                typed: None,
            })
        );
        let code = |t: &str| AgentFrame::parse(t).err().map(|e| e.code);
        assert_eq!(code("nope"), Some(ErrorCode::InvalidJson));
        assert_eq!(code(r#"{"type":"dance"}"#), Some(ErrorCode::UnknownType));
        assert_eq!(code(r#"{"id":"a"}"#), Some(ErrorCode::InvalidFrame));
        assert_eq!(code(r#"{"type":"ack"}"#), Some(ErrorCode::InvalidFrame));
        assert_eq!(code(r#"{"type":7}"#), Some(ErrorCode::InvalidFrame));
        assert_eq!(
            code(r#"{"type":"result","id":"a","status":"queued"}"#),
            Some(ErrorCode::InvalidFrame)
        );
    }

    #[test]
    fn frames_round_trip_in_the_protocol_spelling() {
        let ack = AgentFrame::Ack { id: "m1".into() };
        assert_eq!(ack.to_json(), r#"{"type":"ack","id":"m1"}"#);
        let register = AgentFrame::Register {
            device_id: "desk".into(),
            result_ack: false,
        };
        assert_eq!(
            register.to_json(),
            r#"{"type":"register","deviceId":"desk"}"#
        );
        let done = AgentFrame::Result {
            id: "m1".into(),
            status: ResultStatus::Injected,
            error: None,
            target: None,
            typed: None,
        };
        assert_eq!(
            done.to_json(),
            r#"{"type":"result","id":"m1","status":"injected"}"#
        );
        let into = AgentFrame::Result {
            id: "m2".into(),
            status: ResultStatus::Injected,
            error: None,
            target: Some(Target {
                app: "firefox".into(),
                title: Some("Inbox".into()),
                method: Some("typed".into()),
            }),
            typed: Some("ls -la\n".into()),
        };
        assert_eq!(
            into.to_json(),
            r#"{"type":"result","id":"m2","status":"injected","target":{"app":"firefox","title":"Inbox","method":"typed"},"typed":"ls -la\n"}"#
        );
        assert_eq!(AgentFrame::parse(&into.to_json()), Ok(into));
        let registered = RelayFrame::Registered {
            device_id: "desk".into(),
            queued: 2,
            result_ack: false,
        };
        assert_eq!(
            registered.to_json(),
            r#"{"type":"registered","deviceId":"desk","queued":2}"#
        );
        let confirming = RelayFrame::Registered {
            device_id: "desk".into(),
            queued: 0,
            result_ack: true,
        };
        assert_eq!(
            confirming.to_json(),
            r#"{"type":"registered","deviceId":"desk","queued":0,"resultAck":true}"#
        );
        assert_eq!(
            RelayFrame::ResultAck { id: "m1".into() }.to_json(),
            r#"{"type":"resultAck","id":"m1"}"#
        );
        assert_eq!(
            RelayFrame::error(ErrorCode::NotRegistered, "send register first").to_json(),
            r#"{"type":"error","code":"NOT_REGISTERED","message":"send register first"}"#
        );
        // Extra fields from newer peers are ignored.
        assert_eq!(
            AgentFrame::parse(r#"{"type":"ack","id":"m1","extra":true}"#),
            Ok(ack)
        );
    }
}
