//! Error codes and bodies (PROTOCOL.md §3) and WebSocket close codes (§4).

use serde::{Deserialize, Serialize};

/// Error codes of the HTTP API and of `error` frames, spelled `UPPER_SNAKE` on the
/// wire by serde (no hand-kept string table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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
    /// 507: the relay's storage is full (extension).
    StorageFull,
    /// 408: a request body that did not arrive in time (extension).
    RequestTimeout,
    /// 421: a `Host` that does not name this relay (DNS rebinding; extension).
    HostNotAllowed,
    /// 403: a browser page from another origin asked for `/ws` (extension).
    OriginNotAllowed,
    ShuttingDown,
    UpgradeRequired,
    Forbidden,
    NotRetryable,
    /// The message was already sent to the desktop, or is not waiting any more.
    NotCancellable,
    /// The message is not held.
    NotHeld,
    InvalidSettings,
    Internal,
    // The sealed phone link (docs/sealed-link.md).
    /// No phone with this id: never paired, or revoked.
    NotPaired,
    /// The pairing code is unknown: expired, used already, or never made.
    PairingCodeUnknown,
    /// A proof or a sealed box did not verify: altered in transit, or another key.
    SealInvalid,
    /// A request counter used before: a replayed request.
    Replayed,
    /// The envelope is not one (bad JSON, version, base64, sizes).
    InvalidEnvelope,
    // WebSocket-only codes (in `error` frames).
    UnknownType,
    InvalidFrame,
    NotRegistered,
    AlreadyRegistered,
    /// A code this build does not know (from a newer peer); never sent.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The wire spelling, for logs and messages.
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// A request that could not be used: its code and a human message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorDetail {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorDetail {
        ErrorDetail {
            code,
            message: message.into(),
        }
    }
}

/// The body of every HTTP error: `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_snake_and_unknown_ones_still_parse() {
        assert_eq!(ErrorCode::InvalidDeviceId.as_str(), "INVALID_DEVICE_ID");
        assert_eq!(ErrorCode::QueueFull.as_str(), "QUEUE_FULL");
        let body = ErrorBody {
            error: ErrorDetail::new(ErrorCode::IdConflict, "taken"),
        };
        assert_eq!(
            serde_json::to_string(&body).expect("json"),
            r#"{"error":{"code":"ID_CONFLICT","message":"taken"}}"#
        );
        let later: ErrorDetail =
            serde_json::from_str(r#"{"code":"SOMETHING_NEW","message":"m"}"#).expect("parse");
        assert_eq!(later.code, ErrorCode::Unknown);
    }
}
