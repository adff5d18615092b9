//! `POST /phone/v1/sealed`: open the phone's box, refuse a replayed counter, make
//! the one call inside it, and seal the answer to the same counter. Errors before
//! the box is opened go out in clear (they reveal nothing: which phone id is
//! unknown, that a box did not verify, that a counter was used); every answer
//! after it is sealed.

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use serde_json::Value;

use super::{invalid_envelope, not_paired};
use crate::protocol::sealed::{
    b64, b64_array, b64_vec, SealedCall, SealedReply, SealedRequest, SealedResponse, SEALED_VERSION,
};
use crate::protocol::{now_ms, ErrorCode, MessageId, TranscriptionRequest};
use crate::relay::delivery;
use crate::relay::error::ApiError;
use crate::relay::http::read_body;
use crate::relay::store::CounterOutcome;
use crate::relay::RelayState;
use crate::sealed::{open_request, random, seal_response, DirectionKeys, NONCE_LEN};

/// Counters above this do not fit a JavaScript number exactly.
const MAX_COUNTER: u64 = (1 << 53) - 1;

fn parse(bytes: &[u8]) -> Result<(SealedRequest, [u8; NONCE_LEN], Vec<u8>), ApiError> {
    let req: SealedRequest =
        serde_json::from_slice(bytes).map_err(|_| invalid_envelope("not a sealed request"))?;
    if req.v != SEALED_VERSION {
        return Err(invalid_envelope("unknown version of the sealed link"));
    }
    if req.ctr == 0 || req.ctr > MAX_COUNTER {
        return Err(invalid_envelope("the counter must be 1 to 2^53-1"));
    }
    let nonce =
        b64_array(&req.nonce).ok_or_else(|| invalid_envelope("the nonce must be 24 bytes"))?;
    let sealed =
        b64_vec(&req.sealed).ok_or_else(|| invalid_envelope("the box is not base64url"))?;
    Ok((req, nonce, sealed))
}

pub(in crate::relay) async fn sealed(
    State(state): State<RelayState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SealedResponse>, ApiError> {
    let (req, nonce, boxed) =
        parse(&read_body(&headers, body, state.config().limits.body_timeout).await?)?;
    // A paired agent's key is for its WebSocket only.
    if crate::relay::agents::is_agent_id(&req.phone) {
        return Err(not_paired(&state));
    }
    let store = state.store();
    let found = store
        .phone_key(&req.phone)
        .await
        .map_err(|e| ApiError::internal("reading a phone's key failed", e))?
        .ok_or_else(|| not_paired(&state))?;
    let keys = DirectionKeys::derive(&found.key);
    let plain = open_request(&keys.request, &req.phone, req.ctr, &nonce, &boxed).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::SealInvalid,
            "the sealed request does not verify: altered on the way, or sealed with another key",
        )
    })?;
    // Only an authentic request moves the window, and it is stored before acting.
    match store.advance_counter(&req.phone, req.ctr, now_ms()).await {
        Ok(CounterOutcome::Accepted) => {}
        Ok(CounterOutcome::NotPaired) => return Err(not_paired(&state)),
        Ok(CounterOutcome::Replayed(r)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::Replayed,
                r.to_string(),
            ))
        }
        Err(e) => return Err(ApiError::internal("storing a phone's counter failed", e)),
    }
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let now = now_ms();
    state.events().note_sender(peer.ip(), ua, now);
    state.events().paired_phone_seen(&req.phone, now);
    let reply = match serde_json::from_slice::<SealedCall>(&plain) {
        Ok(call) => call_for_phone(&state, &req.phone, call).await,
        Err(_) => reply_error(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidJson,
            "the sealed call is not {method, path, body}",
        )),
    };
    let plain = serde_json::to_vec(&reply).map_err(|e| ApiError::internal("sealing", e))?;
    let nonce = random::<NONCE_LEN>().map_err(|e| ApiError::internal("sealing", e))?;
    let sealed = seal_response(&keys.response, &req.phone, req.ctr, &nonce, &plain);
    Ok(Json(SealedResponse {
        v: SEALED_VERSION,
        nonce: b64(&nonce),
        sealed: b64(&sealed),
    }))
}

fn reply_error(e: ApiError) -> SealedReply {
    SealedReply {
        status: e.status().as_u16(),
        body: serde_json::to_value(e.body()).unwrap_or(Value::Null),
    }
}

fn reply_ok(body: impl serde::Serialize) -> SealedReply {
    match serde_json::to_value(body) {
        Ok(body) => SealedReply { status: 200, body },
        Err(e) => reply_error(ApiError::internal("answering", e)),
    }
}

/// The calls of the bearer API a phone may make, with its own identity: send,
/// read the state of a message it sent, list the desktops; and `DELETE /phone`,
/// unpairing itself. Everything else (registering as a device, rotating, the whole
/// history) is the desktop's.
async fn call_for_phone(state: &RelayState, phone: &str, call: SealedCall) -> SealedReply {
    let result = match (call.method.as_str(), call.path.as_str()) {
        ("POST", "/transcription") => send(state, phone, call.body).await.map(reply_ok),
        ("GET", "/devices") => Ok(reply_ok(crate::relay::modes::devices(state))),
        // Where else this desktop can be reached (a new DHCP lease): sealed, so
        // that the page hands its key only to addresses the relay named.
        ("GET", "/addresses") => Ok(reply_ok(serde_json::json!({
            "addresses": super::reachable_at(state)
                .iter()
                .map(|at| format!("http://{at}"))
                .collect::<Vec<_>>(),
        }))),
        ("DELETE", "/phone") => unpair(state, phone).await.map(reply_ok),
        ("POST", path) if path.starts_with("/transcription/") && path.ends_with("/cancel") => {
            let id = &path["/transcription/".len()..path.len() - "/cancel".len()];
            cancel_own(state, phone, id).await.map(reply_ok)
        }
        ("GET", path) if path.starts_with("/transcription/") => {
            own_message(state, phone, &path["/transcription/".len()..]).await.map(reply_ok)
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "a paired phone may POST /transcription, GET /transcription/{id} and POST /transcription/{id}/cancel of its own messages, GET /devices, GET /addresses and DELETE /phone",
        )),
    };
    result.unwrap_or_else(reply_error)
}

/// The phone unpairs itself ("Unpair this phone"): its key is gone at once.
async fn unpair(state: &RelayState, phone: &str) -> Result<Value, ApiError> {
    state
        .store()
        .revoke_phone(phone)
        .await
        .map_err(|e| ApiError::internal("unpairing a phone failed", e))?;
    tracing::info!(phone = %phone, "phone unpaired itself");
    state.emit(crate::protocol::ui::UiEvent::Phones);
    Ok(serde_json::json!({ "unpaired": true }))
}

async fn send(
    state: &RelayState,
    phone: &str,
    body: Option<Value>,
) -> Result<crate::protocol::Accepted, ApiError> {
    let bytes = serde_json::to_vec(&body.unwrap_or(Value::Null))
        .map_err(|e| ApiError::internal("reading a sealed body", e))?;
    let req = TranscriptionRequest::parse(&bytes).map_err(ApiError::bad_request)?;
    let device = req
        .device_id
        .unwrap_or_else(|| state.config().default_device.clone());
    let outcome = delivery::accept(state, req.text, device, req.id, req.timestamp).await?;
    let accepted = outcome.into_accepted();
    state
        .store()
        .own_message(phone, accepted.id.as_str())
        .await
        .map_err(|e| ApiError::internal("recording the message's phone failed", e))?;
    Ok(accepted)
}

/// Cancel one of the phone's own messages that was not typed yet: it ends
/// `failed` ("cancelled from the phone") and is never delivered afterwards.
async fn cancel_own(
    state: &RelayState,
    phone: &str,
    id: &str,
) -> Result<crate::protocol::http::MessageHandled, ApiError> {
    own_message(state, phone, id).await?;
    crate::relay::hold::cancel(state, id, crate::relay::hold::CANCELLED).await?;
    own_message(state, phone, id).await
}

async fn own_message(
    state: &RelayState,
    phone: &str,
    id: &str,
) -> Result<crate::protocol::http::MessageHandled, ApiError> {
    let missing = || ApiError::not_found("no such message from this phone");
    if MessageId::parse(id).is_none() {
        return Err(missing());
    }
    let store = state.store();
    match store.owns_message(phone, id).await {
        Ok(true) => {}
        Ok(false) => return Err(missing()),
        Err(e) => return Err(ApiError::internal("reading a message failed", e)),
    }
    match store.get(id).await {
        Ok(Some(stored)) => Ok(crate::relay::modes::message(state, stored.view)),
        Ok(None) => Err(missing()),
        Err(e) => Err(ApiError::internal("reading a message failed", e)),
    }
}
