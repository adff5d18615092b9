//! The agent's WebSocket client: connect, register, ACK every transcription at once,
//! hand it to the injector thread, report results; reconnect with backoff.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_util::sync::CancellationToken;

use super::backoff::{random_jitter, Backoff};
use super::dedupe::SeenIds;
use super::inject::{InjectError, InjectorThread, Job, Method, Outcome};
use crate::protocol::{close, DeviceId, MessageId, RelayFrame};

/// How long to wait for `registered` after sending `register`.
const REGISTER_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// `ws://HOST:PORT/ws`
    pub relay: String,
    pub token: String,
    /// For the agent inside the relay's own process: the relay's current token, so
    /// that a rotation does not lock the local agent out.
    pub token_updates: Option<watch::Receiver<Arc<str>>>,
    pub device_id: DeviceId,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl AgentOptions {
    pub fn new(relay: String, token: String, device_id: DeviceId) -> AgentOptions {
        AgentOptions {
            relay,
            token,
            token_updates: None,
            device_id,
            backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(10),
        }
    }
}

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

/// How one connection ended.
enum SessionEnd {
    Retry(String),
    Fatal(AgentError),
    Paused,
    Shutdown,
}

/// Run until `shutdown` fires (`Ok`) or the relay refuses us for good (`Err`).
pub async fn run(
    opts: AgentOptions,
    injector: Arc<InjectorThread>,
    seen: Arc<Mutex<SeenIds>>,
    mut outcomes: mpsc::UnboundedReceiver<Outcome>,
    status: watch::Sender<AgentStatus>,
    mut paused: watch::Receiver<bool>,
    shutdown: CancellationToken,
) -> Result<(), AgentError> {
    let mut backoff = Backoff::new(opts.backoff_base, opts.backoff_cap);
    loop {
        if *paused.borrow_and_update() {
            status.send_replace(AgentStatus::Paused);
            tokio::select! {
                _ = paused.wait_for(|p| !p) => {}
                _ = shutdown.cancelled() => {
                    status.send_replace(AgentStatus::Stopped { reason: "shut down".into() });
                    return Ok(());
                }
            }
        }
        status.send_replace(AgentStatus::Connecting);
        let token = current_token(&opts);
        let end = tokio::select! {
            end = session(&opts, &token, &injector, &seen, &mut outcomes, &status, &mut backoff, &shutdown) => end,
            _ = paused.wait_for(|p| *p) => SessionEnd::Paused,
            _ = shutdown.cancelled() => SessionEnd::Shutdown,
        };
        let reason = match end {
            SessionEnd::Paused => {
                tracing::info!("typing paused: messages wait at the relay");
                backoff.reset();
                continue;
            }
            SessionEnd::Shutdown => {
                status.send_replace(AgentStatus::Stopped {
                    reason: "shut down".into(),
                });
                return Ok(());
            }
            SessionEnd::Fatal(AgentError::Unauthorized) if current_token(&opts) != token => {
                // The relay's own token was rotated: connect again with the new one.
                "the pairing token was rotated".to_owned()
            }
            SessionEnd::Fatal(e) => {
                tracing::error!("agent stopped: {e}");
                status.send_replace(AgentStatus::Stopped {
                    reason: e.to_string(),
                });
                return Err(e);
            }
            SessionEnd::Retry(reason) => reason,
        };
        let delay = backoff.next_delay(random_jitter());
        tracing::info!(
            retry_in_ms = delay.as_millis() as u64,
            "agent disconnected: {reason}"
        );
        status.send_replace(AgentStatus::Disconnected {
            reason,
            retry_in: delay,
        });
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.cancelled() => {
                status.send_replace(AgentStatus::Stopped { reason: "shut down".into() });
                return Ok(());
            }
        }
    }
}

fn current_token(opts: &AgentOptions) -> String {
    match &opts.token_updates {
        Some(updates) => updates.borrow().to_string(),
        None => opts.token.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn session(
    opts: &AgentOptions,
    token: &str,
    injector: &InjectorThread,
    seen: &Arc<Mutex<SeenIds>>,
    outcomes: &mut mpsc::UnboundedReceiver<Outcome>,
    status: &watch::Sender<AgentStatus>,
    backoff: &mut Backoff,
    shutdown: &CancellationToken,
) -> SessionEnd {
    let mut request = match opts.relay.as_str().into_client_request() {
        Ok(r) => r,
        Err(e) => return SessionEnd::Retry(format!("bad relay URL {:?}: {e}", opts.relay)),
    };
    match format!("Bearer {token}").parse() {
        Ok(value) => {
            request.headers_mut().insert("authorization", value);
        }
        Err(_) => return SessionEnd::Fatal(AgentError::Unauthorized),
    }
    let mut ws = match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => ws,
        Err(tungstenite::Error::Http(resp)) if resp.status() == 401 => {
            return SessionEnd::Fatal(AgentError::Unauthorized)
        }
        Err(e) => return SessionEnd::Retry(format!("cannot connect to {}: {e}", opts.relay)),
    };
    if let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = ws.get_mut() {
        // ACKs are tiny and latency-critical.
        let _ = tcp.set_nodelay(true);
    }
    let register = serde_json::json!({"type": "register", "deviceId": opts.device_id.as_str()});
    if ws
        .send(Message::Text(register.to_string().into()))
        .await
        .is_err()
    {
        return SessionEnd::Retry("connection lost while registering".into());
    }
    let mut registered = false;
    let deadline = tokio::time::sleep(REGISTER_WAIT);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline, if !registered => {
                return SessionEnd::Retry("no answer to register".into());
            }
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(frame))) => return closed(frame),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return SessionEnd::Retry(format!("connection lost: {e}")),
                    None => return SessionEnd::Retry("connection closed".into()),
                };
                match serde_json::from_str::<RelayFrame>(text.as_str()) {
                    Ok(RelayFrame::Registered { queued, .. }) => {
                        registered = true;
                        backoff.reset();
                        tracing::info!(device = %opts.device_id, queued, "agent registered with the relay");
                        status.send_replace(AgentStatus::Connected { queued });
                    }
                    Ok(RelayFrame::Transcription { id, text, .. }) => {
                        let Some(id) = MessageId::parse(&id) else { continue };
                        // ACK on receipt, before anything else: the sender is waiting.
                        let ack = format!(r#"{{"type":"ack","id":"{id}"}}"#);
                        if ws.send(Message::Text(ack.into())).await.is_err() {
                            return SessionEnd::Retry("connection lost while ACKing".into());
                        }
                        let already = seen.lock().map(|s| s.contains(id.as_str())).unwrap_or(false);
                        if !already && !injector.submit(Job { id, text }) {
                            return SessionEnd::Fatal(AgentError::InjectorStopped);
                        }
                    }
                    Ok(RelayFrame::Error { code, message }) => {
                        tracing::warn!(%code, "relay reported an error: {message}");
                    }
                    Err(_) => tracing::warn!("unreadable frame from the relay"),
                }
            }
            outcome = outcomes.recv() => {
                let Some(outcome) = outcome else { return SessionEnd::Shutdown };
                if let Some(frame) = result_frame(&outcome) {
                    if ws.send(Message::Text(frame.into())).await.is_err() {
                        return SessionEnd::Retry("connection lost while reporting".into());
                    }
                }
            }
            _ = shutdown.cancelled() => {
                let _ = ws.close(Some(CloseFrame { code: 1000.into(), reason: "agent stopping".into() })).await;
                return SessionEnd::Shutdown;
            }
        }
    }
}

/// The `result` frame for an outcome (none for a skipped duplicate).
fn result_frame(outcome: &Outcome) -> Option<String> {
    let (status, error) = match &outcome.result {
        Ok(None) => return None,
        Ok(Some(Method::Typed | Method::Pasted | Method::Recorded)) => ("injected", None),
        Err(InjectError::Unavailable(e) | InjectError::Failed(e)) => ("failed", Some(e.clone())),
    };
    let mut frame =
        serde_json::json!({"type": "result", "id": outcome.id.as_str(), "status": status});
    if let Some(e) = error {
        tracing::warn!(id = %outcome.id, "injection failed: {e}");
        frame["error"] = e.into();
    }
    Some(frame.to_string())
}

fn closed(frame: Option<CloseFrame>) -> SessionEnd {
    let Some(frame) = frame else {
        return SessionEnd::Retry("the relay closed the connection".into());
    };
    let code = u16::from(frame.code);
    match code {
        close::UNAUTHORIZED => SessionEnd::Fatal(AgentError::Unauthorized),
        close::INVALID_DEVICE_ID => {
            SessionEnd::Fatal(AgentError::InvalidDeviceId(frame.reason.to_string()))
        }
        close::DUPLICATE_CONNECTION => {
            SessionEnd::Retry("another agent with this device id is connected (4000)".into())
        }
        _ => SessionEnd::Retry(format!(
            "the relay closed the connection ({code} {})",
            frame.reason
        )),
    }
}
