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
//! - `registered` means the connection works: the backoff starts again from its
//!   base, and every result the relay has not confirmed goes out again;
//! - results are sent only on a registered connection; a relay that confirms them
//!   (`resultAck`) has them forgotten on its confirmation, an older relay as soon
//!   as they are sent;
//! - close codes say whether to retry or to stop for good.

use super::inbox::{Arrival, InboxError, StoredResult};
use super::inject::{Job, JobResult};
use super::status::{AgentError, AgentStatus};
use crate::protocol::{close, AgentFrame, DeviceId, MessageId, RelayFrame};

/// What the IO loop must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Send(AgentFrame),
    /// Store the transcription in the inbox, then tell [`ClientState::on_stored`].
    Store(Job),
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
                Some(id) => vec![Action::Store(Job { id, text })],
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
                actions.extend(self.report(&job.id, &result));
                actions
            }
            Err(e) => {
                tracing::error!(id = %job.id, "cannot keep a message: {e}");
                let failed = StoredResult::failed(format!(
                    "the desktop could not keep this message, so it was not typed: {e}"
                ));
                self.report(&job.id, &failed)
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
                self.report(&done.id, &result)
            }
            None => Vec::new(),
        }
    }

    /// The results the relay has not confirmed, read from the inbox.
    pub fn on_unreported(&mut self, results: Vec<(MessageId, StoredResult)>) -> Vec<Action> {
        results
            .iter()
            .flat_map(|(id, result)| self.report(id, result))
            .collect()
    }

    /// Send a result, if the connection can take it now; otherwise it waits in the
    /// inbox for the next registration.
    fn report(&self, id: &MessageId, result: &StoredResult) -> Vec<Action> {
        if !self.registered {
            return Vec::new();
        }
        let mut actions = vec![Action::Send(AgentFrame::Result {
            id: id.as_str().to_owned(),
            status: result.status,
            error: result.error.clone(),
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
mod tests {
    use super::*;
    use crate::agent::inject::{InjectError, Method, Outcome};
    use crate::protocol::ResultStatus;

    fn state() -> ClientState {
        ClientState::new(DeviceId::parse("desk").expect("device id"))
    }

    /// A state registered with a relay that confirms results, or not.
    fn registered(confirms: bool) -> ClientState {
        let mut s = state();
        s.on_connect();
        s.on_frame(RelayFrame::Registered {
            device_id: "desk".into(),
            queued: 0,
            result_ack: confirms,
        });
        s
    }

    fn id(s: &str) -> MessageId {
        MessageId::parse(s).expect("id")
    }

    fn job(i: &str, text: &str) -> Job {
        Job {
            id: id(i),
            text: text.into(),
        }
    }

    fn transcription(id: &str, text: &str) -> RelayFrame {
        RelayFrame::Transcription {
            id: id.into(),
            text: text.into(),
            timestamp: 1,
        }
    }

    fn ack(i: &str) -> Action {
        Action::Send(AgentFrame::Ack { id: i.into() })
    }

    fn result(i: &str, status: ResultStatus, error: Option<&str>) -> Action {
        Action::Send(AgentFrame::Result {
            id: i.into(),
            status,
            error: error.map(Into::into),
        })
    }

    #[test]
    fn a_connection_starts_with_register_asking_for_confirmations() {
        let mut s = state();
        assert_eq!(
            s.on_connect(),
            [Action::Send(AgentFrame::Register {
                device_id: "desk".into(),
                result_ack: true,
            })]
        );
        assert!(!s.is_registered());
    }

    #[test]
    fn registered_resets_the_backoff_and_sends_what_is_unreported() {
        let mut s = state();
        s.on_connect();
        let registered = RelayFrame::Registered {
            device_id: "desk".into(),
            queued: 3,
            result_ack: true,
        };
        assert_eq!(
            s.on_frame(registered),
            [
                Action::ResetBackoff,
                Action::Status(AgentStatus::Connected { queued: 3 }),
                Action::SendUnreported,
            ]
        );
        assert!(s.is_registered());
    }

    #[test]
    fn a_transcription_is_stored_before_it_is_acked_then_injected() {
        let mut s = registered(true);
        assert_eq!(
            s.on_frame(transcription("m-1", "hello")),
            [Action::Store(job("m-1", "hello"))],
            "nothing goes out before the inbox has it"
        );
        assert_eq!(
            s.on_stored(job("m-1", "hello"), Ok(Arrival::New)),
            [ack("m-1"), Action::Inject(job("m-1", "hello"))]
        );
    }

    #[test]
    fn a_redelivery_is_acked_again_and_a_finished_one_answered_with_its_result() {
        let mut s = registered(true);
        assert_eq!(
            s.on_stored(job("m-1", "hello"), Ok(Arrival::Pending)),
            [ack("m-1")],
            "waiting or being typed: not injected twice"
        );
        let done = StoredResult::failed("no focus");
        assert_eq!(
            s.on_stored(job("m-1", "hello"), Ok(Arrival::Done(done))),
            [
                ack("m-1"),
                result("m-1", ResultStatus::Failed, Some("no focus"))
            ]
        );
    }

    #[test]
    fn a_message_that_cannot_be_stored_is_not_acked_but_failed() {
        let mut s = registered(true);
        let broken = InboxError::Sqlite(rusqlite::Error::InvalidQuery);
        let actions = s.on_stored(job("m-1", "hello"), Err(broken));
        assert_eq!(actions.len(), 1, "{actions:?}");
        assert!(matches!(
            &actions[0],
            Action::Send(AgentFrame::Result { status: ResultStatus::Failed, error: Some(e), .. })
                if e.starts_with("the desktop could not keep this message")
        ));
    }

    #[test]
    fn an_unparsable_id_is_ignored() {
        let mut s = state();
        assert_eq!(s.on_frame(transcription("not an id!", "x")), []);
        assert_eq!(s.on_frame(transcription("", "x")), []);
        assert_eq!(s.on_text(r#"{"type":"resultAck","id":"a b"}"#), []);
    }

    #[test]
    fn unreadable_frames_and_relay_errors_change_nothing() {
        let mut s = state();
        assert_eq!(s.on_text("not json"), []);
        assert_eq!(s.on_text(r#"{"type":"dance"}"#), []);
        let error = r#"{"type":"error","code":"NOT_REGISTERED","message":"register first"}"#;
        assert_eq!(s.on_text(error), []);
        assert_eq!(
            s.on_text(r#"{"type":"transcription","id":"a","text":"t","timestamp":1}"#),
            [Action::Store(job("a", "t"))]
        );
    }

    #[test]
    fn outcomes_become_result_frames_kept_until_confirmed() {
        let mut s = registered(true);
        for method in [Method::Typed, Method::Pasted, Method::Recorded] {
            let done = JobResult {
                id: id("m-1"),
                outcome: Outcome::Injected(method),
            };
            assert_eq!(
                s.on_outcome(done),
                [result("m-1", ResultStatus::Injected, None)]
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
                [result("m-2", ResultStatus::Failed, Some(&why))]
            );
        }
        assert_eq!(
            s.on_text(r#"{"type":"resultAck","id":"m-2"}"#),
            [Action::MarkReported(id("m-2"))]
        );
        for quiet in [Outcome::Duplicate, Outcome::Deferred] {
            let done = JobResult {
                id: id("m-3"),
                outcome: quiet,
            };
            assert_eq!(s.on_outcome(done), []);
        }
    }

    #[test]
    fn an_older_relay_has_results_forgotten_once_sent() {
        let mut s = registered(false);
        let done = JobResult {
            id: id("m-1"),
            outcome: Outcome::Injected(Method::Typed),
        };
        assert_eq!(
            s.on_outcome(done),
            [
                result("m-1", ResultStatus::Injected, None),
                Action::MarkReported(id("m-1"))
            ]
        );
    }

    #[test]
    fn results_wait_for_a_registered_connection() {
        let mut s = state();
        s.on_connect();
        let done = JobResult {
            id: id("m-1"),
            outcome: Outcome::Injected(Method::Typed),
        };
        assert_eq!(s.on_outcome(done), [], "kept in the inbox for later");
        let mut s = registered(true);
        let unreported = vec![
            (id("a"), StoredResult::injected()),
            (
                id("b"),
                StoredResult::failed("interrupted after 2 of 5 characters"),
            ),
        ];
        assert_eq!(
            s.on_unreported(unreported),
            [
                result("a", ResultStatus::Injected, None),
                result(
                    "b",
                    ResultStatus::Failed,
                    Some("interrupted after 2 of 5 characters")
                ),
            ]
        );
        s.on_close(None);
        assert_eq!(
            s.on_unreported(vec![(id("a"), StoredResult::injected())]),
            []
        );
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
