//! What the agent is doing (for the tray, the window and `saytype agent`'s log), and
//! why it stopped for good.

use std::time::Duration;

/// What the agent is doing, for status displays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentStatus {
    Connecting,
    Connected {
        queued: usize,
    },
    /// Paused by the user: not connected, so messages wait at the relay.
    Paused,
    /// Lost the connection; retrying after `retry_in`.
    Disconnected {
        reason: String,
        retry_in: Duration,
    },
    /// Gave up for good (wrong token, invalid device id) or was shut down.
    Stopped {
        reason: String,
    },
}

/// Why the agent stopped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AgentError {
    #[error("the relay refused the pairing token (401): pair this agent again")]
    Unauthorized,
    #[error("the relay refused the device id {0:?}")]
    InvalidDeviceId(String),
    /// A paired agent whose key the relay does not know (revoked, or never paired
    /// with it): the relay's words.
    #[error("{0}")]
    NotPaired(String),
    #[error("the injection thread has stopped")]
    InjectorStopped,
}
