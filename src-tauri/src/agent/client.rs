//! The agent's side of the protocol as a plain state machine, free of IO (the shape
//! of rumqtt's `state.rs`): a frame, a stored arrival or an injection outcome goes
//! in, the actions to take come out. [`super::eventloop`] connects, reads, writes,
//! touches the inbox and sleeps.
//!
//! The rules, each pinned by a test below:
//! - a transcription is stored in the agent's [inbox](super::inbox) first, and
//!   ACKed only once it is on disk: the ACK means "the desktop has it", and the
//!   relay never sends an ACKed message again;
//! - a new one is then handed to the injection thread; one still waiting or being
//!   typed is only ACKed again; one already finished is ACKed and answered with its
//!   stored result (the relay may have missed it);
//! - one that cannot be stored is not ACKed: it is reported `failed` with the
//!   reason, so it ends visibly instead of vanishing;
//! - a transcription whose id does not parse is ignored (no ACK: the relay would
//!   not know what it was for);
//! - the agent trusts no relay: a text the relay's own rules refuse (control
//!   characters other than tab and newline, which would press keys such as Return
//!   or Escape; invisible format characters such as bidi overrides, see
//!   [`crate::protocol::text`]) is never typed; it is kept as `failed` with the reason, ACKed and
//!   reported;
//! - `registered` means the connection works: the backoff starts again from its
//!   base, and every result the relay has not confirmed goes out again;
//! - results are sent only on a registered connection; a relay that confirms them
//!   (`resultAck`) has them forgotten on its confirmation, an older relay as soon
//!   as they are sent;
//! - close codes say whether to retry or to stop for good.

use super::inbox::{Arrival, InboxError, StoredResult};
use super::inject::{Job, JobResult};
use super::status::{AgentError, AgentStatus};
use crate::protocol::{close, normalize_text, AgentFrame, DeviceId, MessageId, RelayFrame};

/// What the IO loop must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Send(AgentFrame),
    /// Store the transcription in the inbox, then tell [`ClientState::on_stored`].
    Store(Job),
    /// Store the transcription as already failed with this result (its text is
    /// not kept), then tell [`ClientState::on_stored`].
    Refuse(MessageId, StoredResult),
    Inject(Job),
    /// The relay has this result: the inbox may forget it.
    MarkReported(MessageId),
    /// Read the results the relay has not confirmed, then tell
    /// [`ClientState::on_unreported`].
    SendUnreported,
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
    /// The relay confirms results (`resultAck`).
    relay_confirms: bool,
}

impl ClientState {
    pub fn new(device_id: DeviceId) -> ClientState {
        ClientState {
            device_id,
            registered: false,
            relay_confirms: false,
        }
    }

    /// A new connection is open: register, asking for result confirmations.
    pub fn on_connect(&mut self) -> Vec<Action> {
        self.registered = false;
        self.relay_confirms = false;
        vec![Action::Send(AgentFrame::Register {
            device_id: self.device_id.as_str().to_owned(),
            result_ack: true,
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
            RelayFrame::Registered {
                queued, result_ack, ..
            } => {
                self.registered = true;
                self.relay_confirms = result_ack;
                tracing::info!(device = %self.device_id, queued, "agent registered with the relay");
                vec![
                    Action::ResetBackoff,
                    Action::Status(AgentStatus::Connected { queued }),
                    Action::SendUnreported,
                ]
            }
            RelayFrame::Transcription { id, text, .. } => match MessageId::parse(&id) {
                Some(id) => match normalize_text(&text) {
                    Ok(text) => vec![Action::Store(Job { id, text })],
                    Err(why) => {
                        tracing::warn!(%id, "the relay sent a text that is never typed: {why}");
                        let refused = StoredResult::failed(format!(
                            "not typed: the relay sent a text SayType never types ({why})"
                        ));
                        vec![Action::Refuse(id, refused)]
                    }
                },
                None => Vec::new(),
            },
            RelayFrame::ResultAck { id } => match MessageId::parse(&id) {
                Some(id) => vec![Action::MarkReported(id)],
                None => Vec::new(),
            },
            RelayFrame::Error { code, message } => {
                tracing::warn!(%code, "relay reported an error: {message}");
                Vec::new()
            }
        }
    }

    /// What to do with a transcription, once the inbox has had it: the one place
    /// that decides it.
    pub fn on_stored(&mut self, job: Job, arrival: Result<Arrival, InboxError>) -> Vec<Action> {
        let ack = || {
            Action::Send(AgentFrame::Ack {
                id: job.id.as_str().to_owned(),
            })
        };
        match arrival {
            Ok(Arrival::New) => vec![ack(), Action::Inject(job)],
            Ok(Arrival::Pending) => vec![ack()],
            Ok(Arrival::Done(result)) => {
                let mut actions = vec![ack()];
                actions.extend(self.report(&job.id, &result, None));
                actions
            }
            Err(e) => {
                tracing::error!(id = %job.id, "cannot keep a message: {e}");
                let failed = StoredResult::failed(format!(
                    "the desktop could not keep this message, so it was not typed: {e}"
                ));
                self.report(&job.id, &failed, None)
            }
        }
    }

    /// The injection thread is done with a message (its result is in the inbox).
    pub fn on_outcome(&mut self, done: JobResult) -> Vec<Action> {
        match done.outcome.result() {
            Some(result) => {
                if let Some(e) = &result.error {
                    tracing::warn!(id = %done.id, "injection failed: {e}");
                }
                self.report(&done.id, &result.with_target(done.target), done.typed)
            }
            None => Vec::new(),
        }
    }

    /// The results the relay has not confirmed, read from the inbox.
    pub fn on_unreported(&mut self, results: Vec<(MessageId, StoredResult)>) -> Vec<Action> {
        results
            .iter()
            .flat_map(|(id, result)| self.report(id, result, None))
            .collect()
    }

    /// Send a result, if the connection can take it now; otherwise it waits in the
    /// inbox for the next registration.
    /// `typed` (what went in, when not the text as said) is sent with the first
    /// report only; the inbox keeps the status, the error and the target.
    fn report(&self, id: &MessageId, result: &StoredResult, typed: Option<String>) -> Vec<Action> {
        if !self.registered {
            return Vec::new();
        }
        let mut actions = vec![Action::Send(AgentFrame::Result {
            id: id.as_str().to_owned(),
            status: result.status,
            error: result.error.clone(),
            target: result.target.clone(),
            typed,
        })];
        if !self.relay_confirms {
            // An older relay never confirms: once sent is as good as it gets.
            actions.push(Action::MarkReported(id.clone()));
        }
        actions
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
#[path = "client_tests.rs"]
mod tests;
