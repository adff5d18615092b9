//! The client state machine's rules, one test each (see the list in `client.rs`).

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
        target: None,
        typed: None,
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
fn text_that_would_press_keys_is_refused_not_typed() {
    let mut s = registered(true);
    let actions = s.on_frame(transcription("m-1", "a\rb\u{1b}c\u{7f}"));
    assert!(
        matches!(&actions[..], [Action::Refuse(id, r)]
            if id.as_str() == "m-1"
                && r.error.as_deref().is_some_and(|e| e.contains("control characters"))),
        "{actions:?}"
    );
    // Once stored as failed: ACKed and reported, like any finished message.
    let refused = StoredResult::failed("not typed");
    assert_eq!(
        s.on_stored(job("m-1", ""), Ok(Arrival::Done(refused))),
        [
            ack("m-1"),
            result("m-1", ResultStatus::Failed, Some("not typed"))
        ]
    );
    // What the relay's rules allow is typed as sent (CRLF folded as there).
    assert_eq!(
        s.on_frame(transcription("m-2", "one\r\ntwo\tthree")),
        [Action::Store(job("m-2", "one\ntwo\tthree"))]
    );
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
            target: None,
            typed: None,
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
            target: None,
            typed: None,
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
            target: None,
            typed: None,
        };
        assert_eq!(s.on_outcome(done), []);
    }
}

#[test]
fn a_result_says_where_the_message_went() {
    let mut s = registered(false);
    let into = crate::protocol::ws::Target {
        app: "XTerm".into(),
        title: Some("bash".into()),
        method: Some("pasted".into()),
    };
    let done = JobResult {
        id: id("m-1"),
        outcome: Outcome::Injected(Method::Pasted),
        target: Some(into.clone()),
        typed: None,
    };
    assert_eq!(
        s.on_outcome(done)[0],
        Action::Send(AgentFrame::Result {
            id: "m-1".into(),
            status: ResultStatus::Injected,
            error: None,
            target: Some(into),
            typed: None,
        })
    );
}

#[test]
fn an_older_relay_has_results_forgotten_once_sent() {
    let mut s = registered(false);
    let done = JobResult {
        id: id("m-1"),
        outcome: Outcome::Injected(Method::Typed),
        target: None,
        typed: None,
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
        target: None,
        typed: None,
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
