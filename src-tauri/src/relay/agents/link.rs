//! `GET /agent/v1/ws`: no credential at the upgrade. The agent says who it is with a
//! fresh nonce; the relay answers with its own nonce and proves it holds that
//! agent's key; the agent proves it too; then `/ws`'s loop runs on the sealed
//! socket. Nothing but the handshake is read before both proofs are checked.

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use tokio::time::timeout;

use super::is_agent_id;
use super::socket::{AgentSocket, Auth, NOT_PAIRED_REASON};
use crate::protocol::agent_link::{close as link_close, Handshake, RelayAddresses, AGENT_WS_PATH};
use crate::protocol::sealed::{b64, b64_array, b64_vec, SEALED_VERSION};
use crate::protocol::{ErrorCode, MAX_BODY_BYTES};
use crate::relay::error::ApiError;
use crate::relay::ws::{serve_agent, READ_BUFFER, WRITE_BUFFER};
use crate::relay::RelayState;
use crate::sealed::{
    random, relay_proof, revoked_proof, verify_proof, FrameChannel, HANDSHAKE_NONCE_LEN, KEY_LEN,
};

pub(in crate::relay) async fn upgrade(
    State(state): State<RelayState>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => {
            return ApiError::new(
                rejection.status(),
                ErrorCode::UpgradeRequired,
                format!("/agent/v1/ws takes WebSocket upgrades only: {rejection}"),
            )
            .into_response()
        }
    };
    let tracker = state.connections().clone();
    // The same small buffers as `/ws`: idle agents stay cheap.
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(MAX_BODY_BYTES)
        .max_frame_size(MAX_BODY_BYTES)
        .on_upgrade(move |socket| tracker.track_future(serve_paired(state, socket)))
}

async fn serve_paired(state: RelayState, mut socket: WebSocket) {
    let wait = state.config().registration_timeout;
    let agreed = match timeout(wait, handshake(&state, &mut socket)).await {
        Ok(agreed) => agreed,
        Err(_) => Err((link_close::HANDSHAKE, "HANDSHAKE: too slow")),
    };
    match agreed {
        Ok((agent, channel)) => {
            tracing::info!(%agent, "paired agent authenticated");
            match state
                .store()
                .touch_agent(&agent, crate::protocol::now_ms())
                .await
            {
                Ok(()) => state.emit(crate::protocol::ui::UiEvent::Phones),
                Err(e) => tracing::warn!("noting when an agent was seen failed: {e}"),
            }
            let mut socket = AgentSocket::sealed(socket, channel);
            // First, sealed: where else this relay can be reached, for when its
            // address changes (docs/sealed-link.md §7).
            let addresses = RelayAddresses::new(announced_addresses(&state));
            if socket
                .send(Message::Text(addresses.to_json().into()))
                .await
                .is_err()
            {
                return;
            }
            // A paired agent is never the relay's own default device: that one is
            // this desktop's agent, on loopback.
            serve_agent(state, socket, Auth::Agent(agent), false).await;
        }
        Err((code, reason)) => {
            tracing::warn!(code, reason, "paired agent refused");
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            let _ = socket.send(Message::Close(Some(frame))).await;
            // Wait briefly for the agent's close, so that ours is read, not reset.
            let _ = timeout(std::time::Duration::from_secs(2), async {
                while let Some(Ok(msg)) = socket.recv().await {
                    if matches!(msg, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
    }
}

/// The relay's `/agent/v1/ws` at each address a paired agent could reach.
fn announced_addresses(state: &RelayState) -> Vec<String> {
    crate::relay::phones::reachable_at(state)
        .into_iter()
        .map(|at| format!("ws://{at}{AGENT_WS_PATH}"))
        .collect()
}

type Refused = (u16, &'static str);

async fn next_handshake(socket: &mut WebSocket) -> Result<Handshake, Refused> {
    let wrong = (
        link_close::HANDSHAKE,
        "HANDSHAKE: expected the agent link's handshake",
    );
    loop {
        match socket.recv().await {
            Some(Ok(Message::Text(text))) => return Handshake::parse(&text).ok_or(wrong),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => return Err(wrong),
        }
    }
}

async fn handshake(
    state: &RelayState,
    socket: &mut WebSocket,
) -> Result<(String, FrameChannel), Refused> {
    let refused_version = (link_close::HANDSHAKE, "HANDSHAKE: unknown version");
    let Handshake::Hello { v, agent, nonce } = next_handshake(socket).await? else {
        return Err((link_close::HANDSHAKE, "HANDSHAKE: expected hello"));
    };
    if v != SEALED_VERSION {
        return Err(refused_version);
    }
    let agent_nonce: [u8; HANDSHAKE_NONCE_LEN] =
        b64_array(&nonce).ok_or((link_close::HANDSHAKE, "HANDSHAKE: bad nonce"))?;
    let key = match agent_key(state, &agent).await? {
        Known::Paired(key) => key,
        Known::Revoked(key) => {
            // Proven on the agent's fresh nonce: it stops for good on this only.
            let revoked = Handshake::Revoked {
                v: SEALED_VERSION,
                proof: b64(&revoked_proof(&key, &agent, &agent_nonce)),
            };
            let _ = socket.send(Message::Text(revoked.to_json().into())).await;
            return Err((link_close::NOT_PAIRED, NOT_PAIRED_REASON));
        }
    };
    let relay_nonce = random::<HANDSHAKE_NONCE_LEN>()
        .map_err(|_| (close_internal(), "INTERNAL: no randomness"))?;
    let challenge = Handshake::Challenge {
        v: SEALED_VERSION,
        nonce: b64(&relay_nonce),
        proof: b64(&relay_proof(&key, &agent, &agent_nonce, &relay_nonce)),
    };
    socket
        .send(Message::Text(challenge.to_json().into()))
        .await
        .map_err(|_| (link_close::HANDSHAKE, "HANDSHAKE: gone"))?;
    let Handshake::Proof { v, proof } = next_handshake(socket).await? else {
        return Err((link_close::HANDSHAKE, "HANDSHAKE: expected proof"));
    };
    if v != SEALED_VERSION {
        return Err(refused_version);
    }
    let proof = b64_vec(&proof).unwrap_or_default();
    verify_proof(&key, false, &agent, &agent_nonce, &relay_nonce, &proof).map_err(|_| {
        (
            link_close::SEAL_INVALID,
            "SEAL_INVALID: the agent's proof does not match its key",
        )
    })?;
    let channel = FrameChannel::new(&key, &agent_nonce, &relay_nonce, false);
    Ok((agent, channel))
}

fn close_internal() -> u16 {
    1011
}

/// What the relay knows of an agent id.
enum Known {
    Paired([u8; KEY_LEN]),
    /// Revoked: its key, kept to prove the revocation.
    Revoked([u8; KEY_LEN]),
}

/// The key of a paired (or revoked) agent; a phone's id or an unknown one: not
/// paired (unproven: the agent retries).
async fn agent_key(state: &RelayState, agent: &str) -> Result<Known, Refused> {
    let not_paired = (link_close::NOT_PAIRED, NOT_PAIRED_REASON);
    if !is_agent_id(agent) {
        return Err(not_paired);
    }
    let store = state.store();
    let found = match store.phone_key(agent).await {
        Ok(Some(found)) => Ok(Some(Known::Paired(found.key))),
        Ok(None) => store
            .revoked_agent_key(agent)
            .await
            .map(|key| key.map(Known::Revoked)),
        Err(e) => Err(e),
    };
    match found {
        Ok(Some(known)) => Ok(known),
        Ok(None) => Err(not_paired),
        Err(e) => {
            tracing::warn!("reading an agent's key failed: {e}");
            Err((close_internal(), "INTERNAL: the store failed"))
        }
    }
}
