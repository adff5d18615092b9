//! The agent's side of the relay, `/ws`: one task per connection, registration,
//! then a loop that writes what the registry hands it, passes ACKs and results to
//! [`delivery`], and keeps the heartbeat.
//!
//! A single task (rather than split reader and writer tasks) keeps an idle
//! connection to one small future, which is what lets thousands of agents stay
//! connected for a few kilobytes each.
//!
//! Nothing an agent has sent is dropped on the way out: a closing relay keeps
//! reading (and recording ACKs and results) until the agent's close frame arrives.
//! An agent that registered with `resultAck` gets each result confirmed once it
//! is committed, so it can keep its results until the relay really has them.

use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;
use tokio::time::{interval_at, sleep, timeout, Instant, MissedTickBehavior};

use super::agents::socket::{AgentSocket, Auth, LinkRefused, Revoked};
use super::delivery;
use super::error::ApiError;
use super::extract::ws_token_ok;
use super::heartbeat::Beat;
use super::registry::{ConnId, Outbound, OutboundTx, RegisterError};
use super::RelayState;
use crate::protocol::ui::UiEvent;
use crate::protocol::{close, now_ms, AgentFrame, DeviceId, ErrorCode, RelayFrame, MAX_BODY_BYTES};

/// Initial read buffer per connection. tungstenite zero-fills the buffer up to its
/// capacity on the first read, so this is resident for every idle agent (the
/// default, 128 KiB, would be 128 KiB each). ACKs and results fit in 1 KiB; a rare
/// larger frame grows it.
pub(super) const READ_BUFFER: usize = 1024;
/// Frames fed in one burst are written together once this much is buffered.
pub(super) const WRITE_BUFFER: usize = 16 * 1024;
/// How long a closing relay waits for the peer's close frame.
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(2);

/// `GET /ws`: check the token (header or `?token=`) before upgrading.
pub(super) async fn upgrade(
    State(state): State<RelayState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Err(refused) = ws_token_ok(&state, peer, &headers, &uri) {
        return refused.into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return upgrade_rejected(rejection),
    };
    let tracker = state.connections().clone();
    // Remember which token this connection proved, to notice when it is revoked.
    let token = state.current_token();
    let local = super::extract::from_this_machine(&state, Some(peer));
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(MAX_BODY_BYTES)
        .max_frame_size(MAX_BODY_BYTES)
        .on_upgrade(move |socket| {
            let socket = AgentSocket::plain(socket);
            tracker.track_future(serve_agent(state, socket, Auth::Token(token), local))
        })
}

fn upgrade_rejected(rejection: WebSocketUpgradeRejection) -> Response {
    ApiError::new(
        rejection.status(),
        ErrorCode::UpgradeRequired,
        format!("/ws takes WebSocket upgrades only: {rejection}"),
    )
    .into_response()
}

/// Why the registered loop ended.
enum End {
    /// The peer closed or the socket broke: nothing more to send.
    Gone,
    /// Close the socket with this code and reason.
    Close(u16, &'static str),
    /// Heartbeat failure: drop the socket without a closing handshake.
    Terminate,
}

/// `local`: the agent connected from this machine (only such an agent may register
/// as the relay's own default device). `auth`: what the connection proved (the
/// token, or a paired agent's key on `/agent/v1/ws`).
pub(super) async fn serve_agent(
    state: RelayState,
    mut socket: AgentSocket,
    auth: Auth,
    local: bool,
) {
    let mut revoked = auth.revoked(&state);
    if !auth.current(&state) {
        // Rotated between the upgrade and now.
        close_with(&mut socket, close::UNAUTHORIZED, "UNAUTHORIZED", None).await;
        return;
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (agent, conn) = match await_registration(&state, &mut socket, tx, &auth, local).await {
        Ok(registered) => registered,
        Err(End::Close(code, reason)) => {
            close_with(&mut socket, code, reason, None).await;
            return;
        }
        Err(_) => return,
    };
    let device = agent.device.clone();
    tracing::info!(%device, "agent registered");
    state.store().touch_device(device.clone(), now_ms());
    super::delivery::forget_idle_devices(&state);
    state.emit(UiEvent::Devices);

    let end = run_registered(&state, &mut socket, &mut rx, &agent, conn, &mut revoked).await;

    let now = now_ms();
    state.registry().unregister(&device, conn, now);
    state.store().touch_device(device.clone(), now);
    state.emit(UiEvent::Devices);
    match end {
        End::Close(code, reason) => {
            tracing::info!(%device, code, reason, "agent connection closed");
            close_with(&mut socket, code, reason, Some((&state, &agent))).await;
        }
        End::Terminate => tracing::info!(%device, "agent missed its pongs, terminated"),
        End::Gone => tracing::info!(%device, "agent disconnected"),
    }
}

/// A registered agent, as its connection task knows it.
struct AgentConn {
    device: DeviceId,
    /// Where confirmations go (the connection's own outbound queue), when the agent
    /// asked for them.
    result_acks: Option<OutboundTx>,
}

async fn await_registration(
    state: &RelayState,
    socket: &mut AgentSocket,
    tx: OutboundTx,
    auth: &Auth,
    local: bool,
) -> Result<(AgentConn, ConnId), End> {
    let deadline = sleep(state.config().registration_timeout);
    tokio::pin!(deadline);
    loop {
        let msg = tokio::select! {
            _ = &mut deadline => {
                return Err(End::Close(close::REGISTRATION_TIMEOUT, "REGISTRATION_TIMEOUT"));
            }
            _ = state.shutdown().cancelled() => return Err(End::Close(close::GOING_AWAY, "GOING_AWAY")),
            msg = socket.recv() => msg,
        };
        let text = match incoming(msg) {
            Incoming::Text(text) => text,
            Incoming::Pong | Incoming::Ignore => continue,
            Incoming::Binary => {
                send_error(socket, ErrorCode::InvalidJson, "frames must be JSON text").await;
                continue;
            }
            Incoming::End(end) => return Err(end),
        };
        match AgentFrame::parse(&text) {
            Ok(AgentFrame::Register {
                device_id,
                result_ack,
            }) => {
                let Some(device) = DeviceId::parse(&device_id) else {
                    return Err(End::Close(close::INVALID_DEVICE_ID, "INVALID_DEVICE_ID"));
                };
                if !auth.current(state) {
                    return Err(End::Close(close::UNAUTHORIZED, "UNAUTHORIZED"));
                }
                // Issue 12's roles: the relay's own device (where phones' messages go by
                // default) is this desktop's agent; a token holder elsewhere (with
                // --allow-bearer-from-network) registers as a device of its own only.
                if !local && device == state.config().default_device {
                    tracing::warn!(%device, "refused: the default device registers from this machine only");
                    return Err(End::Close(
                        close::UNAUTHORIZED,
                        "UNAUTHORIZED: the relay's own device registers from this machine only",
                    ));
                }
                let result_acks = result_ack.then(|| tx.clone());
                // Bound first: the registry's lock must be released before the
                // messages it held are recorded.
                let registered = state.registry().register(&device, tx, now_ms(), result_ack);
                if registered.is_ok() {
                    crate::relay::hold::note_held(state, &device);
                }
                return match registered {
                    Ok(conn) => Ok((
                        AgentConn {
                            device,
                            result_acks,
                        },
                        conn,
                    )),
                    Err(RegisterError::Duplicate) => {
                        tracing::info!(%device, "duplicate agent connection refused");
                        Err(End::Close(
                            close::DUPLICATE_CONNECTION,
                            "DUPLICATE_CONNECTION",
                        ))
                    }
                };
            }
            Ok(_) => {
                send_error(socket, ErrorCode::NotRegistered, "send register first").await;
            }
            Err(e) => send_error(socket, e.code, &e.message).await,
        }
    }
}

async fn run_registered(
    state: &RelayState,
    socket: &mut AgentSocket,
    rx: &mut mpsc::UnboundedReceiver<Outbound>,
    agent: &AgentConn,
    conn: ConnId,
    revoked: &mut Revoked,
) -> End {
    let device = &agent.device;
    let period = state.config().heartbeat;
    let mut ticker = interval_at(Instant::now() + period, period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            out = rx.recv() => {
                let Some(out) = out else { return End::Gone };
                if let Err(end) = write_burst(socket, rx, out).await {
                    return end;
                }
            }
            msg = socket.recv() => match incoming(msg) {
                Incoming::Text(text) => {
                    if let Some(reply) = handle_frame(state, agent, &text) {
                        send_frame(socket, &reply).await;
                    }
                }
                Incoming::Pong => {
                    tracing::trace!(%device, "pong");
                    state.registry().heartbeat_pong(device, conn, now_ms())
                }
                Incoming::Binary => {
                    send_error(socket, ErrorCode::InvalidJson, "frames must be JSON text").await;
                }
                Incoming::Ignore => {}
                Incoming::End(end) => return end,
            },
            _ = ticker.tick() => {
                let beat = state.registry().heartbeat_tick(device, conn);
                tracing::trace!(%device, ?beat, "heartbeat");
                match beat {
                    Beat::Ping => {
                        if socket.send(Message::Ping(Default::default())).await.is_err() {
                            return End::Gone;
                        }
                    }
                    Beat::Terminate => return End::Terminate,
                }
            }
            // A rotation revokes the token this agent connected with; the window
            // revokes a paired agent.
            (code, reason) = revoked.as_mut() => return End::Close(code, reason),
            _ = state.shutdown().cancelled() => return End::Close(close::GOING_AWAY, "GOING_AWAY"),
        }
    }
}

/// Write one outbound item and everything else already waiting, with one flush: a
/// queue of a thousand messages goes out in a few large writes, not a thousand.
async fn write_burst(
    socket: &mut AgentSocket,
    rx: &mut mpsc::UnboundedReceiver<Outbound>,
    first: Outbound,
) -> Result<(), End> {
    let mut next = Some(first);
    while let Some(out) = next.take() {
        match out {
            Outbound::Text(text) => {
                socket
                    .feed(Message::Text(text))
                    .await
                    .map_err(|_| End::Gone)?;
            }
            Outbound::Close(code, reason) => {
                let _ = socket.flush().await;
                return Err(End::Close(code, reason));
            }
        }
        next = rx.try_recv().ok();
    }
    socket.flush().await.map_err(|_| End::Gone)
}

/// One frame from a registered agent; the answer to send, if any.
fn handle_frame(state: &RelayState, agent: &AgentConn, text: &str) -> Option<RelayFrame> {
    let device = &agent.device;
    match AgentFrame::parse(text) {
        Ok(AgentFrame::Ack { id }) => delivery::on_ack(state, device, id),
        Ok(AgentFrame::Result {
            id,
            status,
            error,
            target,
            typed,
        }) => {
            let outcome = delivery::Reported {
                error,
                target,
                typed,
            };
            delivery::on_result(state, device, id.clone(), status.into(), outcome);
            if let Some(tx) = &agent.result_acks {
                confirm_when_committed(state, tx.clone(), id);
            }
        }
        Ok(AgentFrame::Register { .. }) => {
            return Some(RelayFrame::error(
                ErrorCode::AlreadyRegistered,
                "this connection is already registered",
            ))
        }
        Err(e) => return Some(RelayFrame::error(e.code, e.message)),
    }
    None
}

/// Tell the agent its result is stored, once the commit that holds it is done (a
/// flush waits for everything submitted before it). Off the connection's task, so
/// that the agent's next frames are read meanwhile.
fn confirm_when_committed(state: &RelayState, tx: OutboundTx, id: String) {
    let store = state.store().clone();
    tokio::spawn(async move {
        store.flush().await;
        let ack = RelayFrame::ResultAck { id }.to_json();
        let _ = tx.send(Outbound::Text(ack.into()));
    });
}

enum Incoming {
    Text(axum::extract::ws::Utf8Bytes),
    Binary,
    Pong,
    Ignore,
    End(End),
}

fn incoming(msg: Option<Result<Message, axum::Error>>) -> Incoming {
    match msg {
        Some(Ok(Message::Text(text))) => Incoming::Text(text),
        Some(Ok(Message::Binary(_))) => Incoming::Binary,
        Some(Ok(Message::Pong(_))) => Incoming::Pong,
        // Pings are answered by tungstenite itself.
        Some(Ok(Message::Ping(_))) => Incoming::Ignore,
        Some(Ok(Message::Close(_))) | None => Incoming::End(End::Gone),
        Some(Err(e)) => {
            let e = e.into_inner();
            // A paired agent's frame that does not open, or out of order.
            if let Some(refused) = e.downcast_ref::<LinkRefused>() {
                return Incoming::End(End::Close(refused.code, refused.reason));
            }
            let too_big = e
                .downcast_ref::<tokio_tungstenite::tungstenite::Error>()
                .is_some_and(|e| matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_)));
            if too_big {
                Incoming::End(End::Close(close::MESSAGE_TOO_BIG, "MESSAGE_TOO_BIG"))
            } else {
                Incoming::End(End::Gone)
            }
        }
    }
}

async fn send_error(socket: &mut AgentSocket, code: ErrorCode, message: &str) {
    send_frame(socket, &RelayFrame::error(code, message)).await;
}

async fn send_frame(socket: &mut AgentSocket, frame: &RelayFrame) {
    let _ = socket.send(Message::Text(frame.to_json().into())).await;
}

/// Send a close frame and wait (briefly) for the peer's, as RFC 6455 asks. Dropping
/// the socket at once would make the peer's next write (say, a late pong) answer
/// with a TCP reset, which can discard the close frame before the peer reads it.
///
/// A registered agent's ACKs and results that arrive meanwhile (sent before it saw
/// our close) are recorded: a relay that stops never throws away what an agent
/// already said. (No answers go out any more; an unconfirmed result is sent again
/// after the next registration.)
async fn close_with(
    socket: &mut AgentSocket,
    code: u16,
    reason: &'static str,
    registered: Option<(&RelayState, &AgentConn)>,
) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let handshake = async {
        if socket.send(Message::Close(Some(frame))).await.is_err() {
            return;
        }
        while let Some(Ok(msg)) = socket.recv().await {
            match msg {
                Message::Close(_) => break,
                Message::Text(text) => {
                    if let Some((state, agent)) = registered {
                        let quiet = AgentConn {
                            device: agent.device.clone(),
                            result_acks: None,
                        };
                        let _ = handle_frame(state, &quiet, &text);
                    }
                }
                _ => {}
            }
        }
    };
    let _ = timeout(CLOSE_HANDSHAKE, handshake).await;
}
