//! The agent's side of the protocol as a plain state machine, free of IO (the shape
//! of rumqtt's `state.rs`): a frame or an injection outcome goes in, the actions to
//! take come out. [`super::eventloop`] connects, reads, writes and sleeps.
//!
//! The rules, each pinned by a test below:
//! - every transcription is ACKed on receipt, before anything else: the phone's
//!   sender is waiting on that ACK;
//! - `registered` means the connection works: the backoff starts again from its
//!   base;
//! - a transcription whose id does not parse is ignored (no ACK: the relay would
//!   not know what it was for);
//! - every transcription is handed to the injection thread, which is the one place
//!   that recognises a duplicate (it records ids durably before injecting); a
//!   duplicate yields no result frame;
//! - each other outcome is reported with a `result` frame;
//! - close codes say whether to retry or to stop for good.

use std::time::Duration;

use super::inject::{Job, JobResult, Outcome};
use crate::protocol::{close, AgentFrame, DeviceId, MessageId, RelayFrame, ResultStatus};

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
    #[error("the injection thread has stopped")]
    InjectorStopped,
}

/// What the IO loop must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Send(AgentFrame),
    Inject(Job),
    Status(AgentStatus),
    ResetBackoff,
}

/// How a connection ended, as far as the protocol says.
#[derive(Debug, PartialEq, Eq)]
pub enum Closed {
    Retry(String),
    Fatal(AgentError),
}

/// The protocol state of one agent.
#[derive(Debug)]
pub struct ClientState {
    device_id: DeviceId,
    registered: bool,
}

impl ClientState {
    pub fn new(device_id: DeviceId) -> ClientState {
        ClientState {
            device_id,
            registered: false,
        }
    }

    /// A new connection is open: register.
    pub fn on_connect(&mut self) -> Vec<Action> {
        self.registered = false;
        vec![Action::Send(AgentFrame::Register {
            device_id: self.device_id.as_str().to_owned(),
        })]
    }

    /// Whether the relay has answered `register` on this connection.
    pub fn is_registered(&self) -> bool {
        self.registered
    }

    /// One text frame from the relay.
    pub fn on_text(&mut self, text: &str) -> Vec<Action> {
        match serde_json::from_str::<RelayFrame>(text) {
            Ok(frame) => self.on_frame(frame),
            Err(_) => {
                tracing::warn!("unreadable frame from the relay");
                Vec::new()
            }
        }
    }

    pub fn on_frame(&mut self, frame: RelayFrame) -> Vec<Action> {
        match frame {
            RelayFrame::Registered { queued, .. } => {
                self.registered = true;
                tracing::info!(device = %self.device_id, queued, "agent registered with the relay");
                vec![
                    Action::ResetBackoff,
                    Action::Status(AgentStatus::Connected { queued }),
                ]
            }
            RelayFrame::Transcription { id, text, .. } => match MessageId::parse(&id) {
                Some(id) => self.on_transcription(Job { id, text }),
                None => Vec::new(),
            },
            RelayFrame::Error { code, message } => {
                tracing::warn!(%code, "relay reported an error: {message}");
                Vec::new()
            }
        }
    }

    /// What to do with a transcription: the one place that decides it.
    fn on_transcription(&mut self, job: Job) -> Vec<Action> {
        // ACK on receipt, before anything else: the sender is waiting.
        let ack = AgentFrame::Ack {
            id: job.id.as_str().to_owned(),
        };
        vec![Action::Send(ack), Action::Inject(job)]
    }

    /// The injection thread is done with a message.
    pub fn on_outcome(&mut self, done: JobResult) -> Vec<Action> {
        let (status, error) = match done.outcome {
            Outcome::Duplicate => return Vec::new(),
            Outcome::Injected(_) => (ResultStatus::Injected, None),
            Outcome::Failed(e) => {
                tracing::warn!(id = %done.id, "injection failed: {e}");
                (ResultStatus::Failed, Some(e.to_string()))
            }
        };
        vec![Action::Send(AgentFrame::Result {
            id: done.id.as_str().to_owned(),
            status,
            error,
        })]
    }

    /// The relay closed the connection with this close frame (code, reason).
    pub fn on_close(&mut self, frame: Option<(u16, &str)>) -> Closed {
        self.registered = false;
        let Some((code, reason)) = frame else {
            return Closed::Retry("the relay closed the connection".into());
        };
        match code {
            close::UNAUTHORIZED => Closed::Fatal(AgentError::Unauthorized),
            close::INVALID_DEVICE_ID => Closed::Fatal(AgentError::InvalidDeviceId(reason.into())),
            close::DUPLICATE_CONNECTION => {
                Closed::Retry("another agent with this device id is connected (4000)".into())
            }
            _ => Closed::Retry(format!("the relay closed the connection ({code} {reason})")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::inject::{InjectError, Method};

    fn state() -> ClientState {
        ClientState::new(DeviceId::parse("desk").expect("device id"))
    }

    fn id(s: &str) -> MessageId {
        MessageId::parse(s).expect("id")
    }

    fn transcription(id: &str, text: &str) -> RelayFrame {
        RelayFrame::Transcription {
            id: id.into(),
            text: text.into(),
            timestamp: 1,
        }
    }

    #[test]
    fn a_connection_starts_with_register() {
        let mut s = state();
        assert_eq!(
            s.on_connect(),
            [Action::Send(AgentFrame::Register {
                device_id: "desk".into()
            })]
        );
        assert!(!s.is_registered());
    }

    #[test]
    fn registered_resets_the_backoff_and_says_connected() {
        let mut s = state();
        s.on_connect();
        let registered = RelayFrame::Registered {
            device_id: "desk".into(),
            queued: 3,
        };
        assert_eq!(
            s.on_frame(registered),
            [
                Action::ResetBackoff,
                Action::Status(AgentStatus::Connected { queued: 3 })
            ]
        );
        assert!(s.is_registered());
    }

    #[test]
    fn a_transcription_is_acked_first_then_injected() {
        let mut s = state();
        let job = Job {
            id: id("m-1"),
            text: "hello".into(),
        };
        assert_eq!(
            s.on_frame(transcription("m-1", "hello")),
            [
                Action::Send(AgentFrame::Ack { id: "m-1".into() }),
                Action::Inject(job)
            ]
        );
    }

    #[test]
    fn an_unparsable_id_is_ignored() {
        let mut s = state();
        assert_eq!(s.on_frame(transcription("not an id!", "x")), []);
        assert_eq!(s.on_frame(transcription("", "x")), []);
    }

    #[test]
    fn unreadable_frames_and_relay_errors_change_nothing() {
        let mut s = state();
        assert_eq!(s.on_text("not json"), []);
        assert_eq!(s.on_text(r#"{"type":"dance"}"#), []);
        let error = r#"{"type":"error","code":"NOT_REGISTERED","message":"register first"}"#;
        assert_eq!(s.on_text(error), []);
        assert_eq!(
            s.on_text(r#"{"type":"transcription","id":"a","text":"t","timestamp":1}"#)
                .len(),
            2
        );
    }

    #[test]
    fn a_duplicate_is_acked_again_but_reported_nothing() {
        let mut s = state();
        for _ in 0..2 {
            let actions = s.on_frame(transcription("m-1", "hello"));
            assert_eq!(
                actions[0],
                Action::Send(AgentFrame::Ack { id: "m-1".into() })
            );
        }
        let duplicate = JobResult {
            id: id("m-1"),
            outcome: Outcome::Duplicate,
        };
        assert_eq!(s.on_outcome(duplicate), []);
    }

    #[test]
    fn outcomes_become_result_frames() {
        let mut s = state();
        for method in [Method::Typed, Method::Pasted, Method::Recorded] {
            let done = JobResult {
                id: id("m-1"),
                outcome: Outcome::Injected(method),
            };
            assert_eq!(
                s.on_outcome(done),
                [Action::Send(AgentFrame::Result {
                    id: "m-1".into(),
                    status: ResultStatus::Injected,
                    error: None
                })]
            );
        }
        for e in [
            InjectError::Failed("no focus".into()),
            InjectError::Unavailable("no display".into()),
        ] {
            let why = e.to_string();
            let done = JobResult {
                id: id("m-2"),
                outcome: Outcome::Failed(e),
            };
            assert_eq!(
                s.on_outcome(done),
                [Action::Send(AgentFrame::Result {
                    id: "m-2".into(),
                    status: ResultStatus::Failed,
                    error: Some(why)
                })]
            );
        }
    }

    #[test]
    fn close_codes_say_retry_or_stop() {
        let mut s = state();
        assert_eq!(
            s.on_close(Some((close::UNAUTHORIZED, ""))),
            Closed::Fatal(AgentError::Unauthorized)
        );
        assert_eq!(
            s.on_close(Some((close::INVALID_DEVICE_ID, "bad id"))),
            Closed::Fatal(AgentError::InvalidDeviceId("bad id".into()))
        );
        assert!(matches!(
            s.on_close(Some((close::DUPLICATE_CONNECTION, ""))),
            Closed::Retry(r) if r.contains("4000")
        ));
        assert_eq!(
            s.on_close(Some((1001, "going away"))),
            Closed::Retry("the relay closed the connection (1001 going away)".into())
        );
        assert!(matches!(s.on_close(None), Closed::Retry(_)));
    }
}
