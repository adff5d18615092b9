//! The thin IO loop around [`ClientState`]: connect, read, write, back off, pause,
//! shut down. Every protocol decision is the state machine's; this file only
//! carries frames, touches the inbox and executes the [`Action`]s it returns.
//!
//! Stopping is graceful: the message being typed is interrupted at its next batch
//! of keys (or finishes), its result goes to the relay, and what was not started
//! stays in the inbox for the next start.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::addresses::KnownAddresses;
use super::backoff::{random_jitter, Backoff};
use super::client::{Action, ClientState, Closed};
use super::inbox::Arrival;
use super::inject::worker::SharedInbox;
use super::inject::{InjectorThread, Job, JobResult};
use super::link::{Link, PairedKey};
use super::status::{AgentError, AgentStatus};
use crate::protocol::agent_link::RelayAddresses;
use crate::protocol::{now_ms, AgentFrame, DeviceId};
use crate::sync::lock;

// Connecting: the relay's addresses in turn, the handshake of a paired agent.
#[path = "connect.rs"]
mod connect;

/// How long to wait for `registered` after sending `register`.
const REGISTER_WAIT: Duration = Duration::from_secs(10);
/// How long a stopping agent waits for the message being typed to end (it stops
/// at its next batch of 16 keys, or a paste's 200 ms hold) before it closes anyway;
/// a message still unfinished then is reported as interrupted at the next start.
const STOP_GRACE: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// `ws://HOST:PORT/ws`
    pub relay: String,
    pub token: String,
    /// For the agent inside the relay's own process: the relay's current token, so
    /// that a rotation does not lock the local agent out.
    pub token_updates: Option<watch::Receiver<Arc<str>>>,
    pub device_id: DeviceId,
    /// A paired agent (`saytype agent --pair`): `relay` is the relay's
    /// `/agent/v1/ws`, the token is not used, and the relay must prove it holds
    /// this key before anything else is sent.
    pub paired: Option<PairedKey>,
    /// A paired agent: the other addresses its relay announced (tried after
    /// `relay`), and the data directory whose `agent-pairing.json` keeps the ones
    /// it announces next.
    pub relay_alternates: Vec<String>,
    pub pairing_dir: Option<PathBuf>,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// The joining space and voice commands, read for every message.
    pub flow: super::flow::SharedFlowSettings,
}

impl AgentOptions {
    pub fn new(relay: String, token: String, device_id: DeviceId) -> AgentOptions {
        AgentOptions {
            relay,
            token,
            token_updates: None,
            device_id,
            paired: None,
            relay_alternates: Vec::new(),
            pairing_dir: None,
            backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(10),
            flow: Default::default(),
        }
    }

    fn current_token(&self) -> String {
        match &self.token_updates {
            Some(updates) => updates.borrow().to_string(),
            None => self.token.clone(),
        }
    }
}

/// How one connection ended.
enum SessionEnd {
    Closed(Closed),
    Paused,
    Shutdown,
}

impl SessionEnd {
    fn retry(reason: impl Into<String>) -> SessionEnd {
        SessionEnd::Closed(Closed::Retry(reason.into()))
    }

    fn fatal(e: AgentError) -> SessionEnd {
        SessionEnd::Closed(Closed::Fatal(e))
    }
}

/// What a connection needs, across reconnections.
struct Session {
    opts: AgentOptions,
    /// Where the relay is looked for.
    addresses: KnownAddresses,
    state: ClientState,
    injector: Arc<InjectorThread>,
    inbox: SharedInbox,
    results: mpsc::UnboundedReceiver<JobResult>,
    /// Jobs handed to the injector whose outcome has not come back.
    in_flight: usize,
    status: watch::Sender<AgentStatus>,
    backoff: Backoff,
    shutdown: CancellationToken,
}

/// The typing side the loop drives.
pub(super) struct Typing {
    pub(super) injector: Arc<InjectorThread>,
    pub(super) inbox: SharedInbox,
    pub(super) results: mpsc::UnboundedReceiver<JobResult>,
    /// Messages the previous run stored and never started, handed to the
    /// injector first, in order.
    pub(super) recovered: Vec<Job>,
}

/// The running loop: a [`Session`] per connection, paused and stopped from outside.
pub(super) struct EventLoop {
    session: Session,
    paused: watch::Receiver<bool>,
    shutdown: CancellationToken,
}

impl EventLoop {
    pub(super) fn new(
        opts: AgentOptions,
        typing: Typing,
        status: watch::Sender<AgentStatus>,
        paused: watch::Receiver<bool>,
        shutdown: CancellationToken,
    ) -> EventLoop {
        let Typing {
            injector,
            inbox,
            results,
            recovered,
        } = typing;
        let mut in_flight = 0;
        for job in recovered {
            if injector.submit(job) {
                in_flight += 1;
            }
        }
        EventLoop {
            session: Session {
                state: ClientState::new(opts.device_id.clone()),
                addresses: KnownAddresses::new(opts.relay.clone(), &opts.relay_alternates),
                backoff: Backoff::new(opts.backoff_base, opts.backoff_cap),
                opts,
                injector,
                inbox,
                results,
                in_flight,
                status,
                shutdown: shutdown.clone(),
            },
            paused,
            shutdown,
        }
    }

    /// Run until `shutdown` fires (`Ok`) or the relay refuses us for good (`Err`).
    pub(super) async fn run(mut self) -> Result<(), AgentError> {
        loop {
            if *self.paused.borrow_and_update() {
                self.session.set_status(AgentStatus::Paused);
                tokio::select! {
                    _ = self.paused.wait_for(|p| !p) => {}
                    _ = self.shutdown.cancelled() => return self.session.stopped(),
                }
            }
            self.session.set_status(AgentStatus::Connecting);
            let token = self.session.opts.current_token();
            // A shutdown is the session's own business: it reports what is being
            // typed before it closes.
            let end = tokio::select! {
                end = self.session.connect_and_serve(&token) => end,
                _ = self.paused.wait_for(|p| *p) => SessionEnd::Paused,
            };
            let reason = match end {
                SessionEnd::Paused => {
                    tracing::info!("typing paused: messages wait at the relay");
                    self.session.backoff.reset();
                    continue;
                }
                SessionEnd::Shutdown => return self.session.stopped(),
                SessionEnd::Closed(Closed::Fatal(AgentError::Unauthorized))
                    if self.session.opts.current_token() != token =>
                {
                    // The relay's own token was rotated: connect again with the new one.
                    "the pairing token was rotated".to_owned()
                }
                SessionEnd::Closed(Closed::Fatal(e)) => {
                    tracing::error!("agent stopped: {e}");
                    self.session.set_status(AgentStatus::Stopped {
                        reason: e.to_string(),
                    });
                    return Err(e);
                }
                SessionEnd::Closed(Closed::Retry(reason)) => reason,
            };
            let delay = self.session.backoff.next_delay(random_jitter());
            tracing::info!(
                retry_in_ms = delay.as_millis() as u64,
                "agent disconnected: {reason}"
            );
            self.session.set_status(AgentStatus::Disconnected {
                reason,
                retry_in: delay,
            });
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.shutdown.cancelled() => return self.session.stopped(),
            }
        }
    }
}

impl Session {
    fn set_status(&self, status: AgentStatus) {
        self.status.send_replace(status);
    }

    /// Shut down on request: not an error. Typing stops too.
    fn stopped(&self) -> Result<(), AgentError> {
        self.injector.stop();
        self.set_status(AgentStatus::Stopped {
            reason: "shut down".into(),
        });
        Ok(())
    }

    /// One connection, from connect to its end.
    async fn connect_and_serve(&mut self, token: &str) -> SessionEnd {
        let shutdown = self.shutdown.clone();
        let connected = tokio::select! {
            connected = self.connect(token) => connected,
            _ = shutdown.cancelled() => return SessionEnd::Shutdown,
        };
        let mut ws = match connected {
            Ok(ws) => ws,
            Err(end) => return end,
        };
        let register = self.state.on_connect();
        if let Err(end) = self.execute(&mut ws, register).await {
            return end;
        }
        let deadline = tokio::time::sleep(REGISTER_WAIT);
        tokio::pin!(deadline);
        loop {
            // A stop comes first: when the relay is closing at the same moment
            // (the local agent of a stopping `serve`), the result of the message
            // being typed still goes out while the relay reads.
            let actions = tokio::select! {
                biased;
                _ = self.shutdown.cancelled() => {
                    self.finish_in_flight(&mut ws).await;
                    ws.close(1000, "agent stopping").await;
                    return SessionEnd::Shutdown;
                }
                _ = &mut deadline, if !self.state.is_registered() => {
                    return SessionEnd::retry("no answer to register");
                }
                msg = ws.next() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        // Only over the sealed link: the relay proved the key.
                        if let Some(relays) = self.opts.paired.as_ref().and_then(|_| RelayAddresses::parse(text.as_str())) {
                            self.learn_addresses(&relays);
                            continue;
                        }
                        self.state.on_text(text.as_str())
                    }
                    Some(Ok(Message::Close(frame))) => {
                        let frame = frame.as_ref().map(|f| (u16::from(f.code), f.reason.as_str()));
                        let closed = self.state.on_close(frame);
                        return SessionEnd::Closed(self.unproven_if_paired(closed));
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return SessionEnd::retry(format!("connection lost: {e}")),
                    None => return SessionEnd::retry("connection closed"),
                },
                result = self.results.recv() => match result {
                    Some(done) => self.outcome(done),
                    None => return SessionEnd::Shutdown,
                },
            };
            if let Err(end) = self.execute(&mut ws, actions).await {
                return end;
            }
        }
    }

    /// A paired agent's link is sealed, but its close frames are not: a refusal
    /// in one may come from anyone on the path, so it is only a reason to try again
    /// (a revocation is proven in the next handshake).
    fn unproven_if_paired(&self, closed: Closed) -> Closed {
        match closed {
            Closed::Fatal(e) if self.opts.paired.is_some() => {
                Closed::Retry(format!("{e} (an unauthenticated close: trying again)"))
            }
            other => other,
        }
    }

    fn outcome(&mut self, done: JobResult) -> Vec<Action> {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.state.on_outcome(done)
    }

    /// Stopping: interrupt the message being typed, wait (a little) for its
    /// outcome, and report it while the connection is still open.
    async fn finish_in_flight(&mut self, ws: &mut Link) {
        self.injector.stop();
        let grace = tokio::time::sleep(STOP_GRACE);
        tokio::pin!(grace);
        while self.in_flight > 0 {
            let done = tokio::select! {
                done = self.results.recv() => done,
                _ = &mut grace => break,
            };
            let Some(done) = done else { break };
            let actions = self.outcome(done);
            if self.execute(ws, actions).await.is_err() {
                break;
            }
        }
    }

    /// Carry out the state machine's actions, in order. Some need the inbox and
    /// give the state machine something to answer: those answers run next.
    async fn execute(&mut self, ws: &mut Link, actions: Vec<Action>) -> Result<(), SessionEnd> {
        let mut todo: VecDeque<Action> = actions.into();
        while let Some(action) = todo.pop_front() {
            let follow = match action {
                Action::Send(frame) => {
                    let doing = match &frame {
                        AgentFrame::Register { .. } => "registering",
                        AgentFrame::Ack { .. } => "ACKing",
                        AgentFrame::Result { .. } => "reporting",
                    };
                    if ws.send_text(frame.to_json()).await.is_err() {
                        return Err(SessionEnd::retry(format!("connection lost while {doing}")));
                    }
                    continue;
                }
                Action::Store(job) => {
                    // Committed before the ACK that follows goes out.
                    let arrival = lock(&self.inbox).receive(&job.id, &job.text, now_ms());
                    self.state.on_stored(job, arrival)
                }
                Action::Refuse(id, refused) => {
                    let stored = {
                        let mut inbox = lock(&self.inbox);
                        match inbox.receive(&id, "", now_ms()) {
                            Ok(Arrival::New) => {
                                inbox.finish(&id, &refused).map(|()| Arrival::Done(refused))
                            }
                            other => other,
                        }
                    };
                    let job = Job {
                        id,
                        text: String::new(),
                    };
                    self.state.on_stored(job, stored)
                }
                Action::SendUnreported => match lock(&self.inbox).unreported() {
                    Ok(results) => self.state.on_unreported(results),
                    Err(e) => {
                        tracing::warn!("cannot read the results to report: {e}");
                        Vec::new()
                    }
                },
                Action::MarkReported(id) => {
                    if let Err(e) = lock(&self.inbox).mark_reported(id.as_str()) {
                        tracing::warn!("cannot note a reported result: {e}");
                    }
                    continue;
                }
                Action::Inject(job) => {
                    if !self.injector.submit(job) {
                        return Err(SessionEnd::fatal(AgentError::InjectorStopped));
                    }
                    self.in_flight += 1;
                    continue;
                }
                Action::Status(status) => {
                    self.set_status(status);
                    continue;
                }
                Action::ResetBackoff => {
                    self.backoff.reset();
                    continue;
                }
            };
            for (i, next) in follow.into_iter().enumerate() {
                todo.insert(i, next);
            }
        }
        Ok(())
    }
}
