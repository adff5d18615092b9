//! Wire types and validation: the only place where the JSON shapes of PROTOCOL.md
//! (and of its extensions) live. Everything that arrives from outside is parsed here
//! into types that cannot hold an invalid value; everything that leaves is a serde
//! type from here, never a hand-built string.
//!
//! - [`ids`]: device and message ids, the message lifecycle.
//! - [`text`]: the text rules (relay and agent apply the same).
//! - [`errors`]: error codes and bodies, WebSocket close codes.
//! - [`http`]: the sender's HTTP API (`/transcription`, `/devices`, `/health`).
//! - [`ws`]: agent and relay frames on `/ws`.
//! - [`sealed`]: the sealed phone link (pairing, envelopes, paired phones).
//! - [`agent_link`]: a paired agent's handshake and sealed frames.
//! - [`ui`]: the desktop window's API under `/ui/api`.
//! - [`doctor`]: the diagnostics checklist (`saytype doctor --json`).

pub mod agent_link;
pub mod doctor;
pub mod errors;
pub mod http;
pub mod ids;
pub mod sealed;
pub mod text;
pub mod ui;
pub mod ws;

pub use errors::{close, ErrorBody, ErrorCode, ErrorDetail};
pub use http::{
    Accepted, DeviceView, Health, MessageView, TokenRotated, TranscriptionBody,
    TranscriptionRequest,
};
pub use ids::{now_ms, DeviceId, MessageId, Status, MAX_BODY_BYTES};
pub use text::{normalize_text, TextError, MAX_TEXT_CHARS};
pub use ws::{AgentFrame, RelayFrame, ResultStatus};
