//! The HTTP API of PROTOCOL.md §3 and the `/ws` upgrade: parse, check, call the
//! registry and the store, answer. No routing logic lives here.

use axum::body::Body;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use super::registry::{QueueFull, QueuedMessage};
use super::store::{InsertOutcome, NewMessage};
use super::RelayState;
use crate::protocol::{
    now_ms, DeviceId, ErrorBody, ErrorCode, ErrorDetail, MessageId, Status, TranscriptionRequest,
    MAX_BODY_BYTES,
};

/// Build the router; tests call this directly.
pub fn router(state: RelayState) -> Router {
    super::assets::phone_router()
        .route("/health", get(health))
        .route("/transcription", post(post_transcription))
        .route("/transcription/{id}", get(get_transcription))
        .route("/devices", get(devices))
        .route("/token/rotate", post(rotate_token))
        .route("/ws", get(super::ws::upgrade))
        .merge(super::ui::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// Serve until the relay's shutdown token fires, then let in-flight requests finish.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    state: RelayState,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let shutdown = state.shutdown().clone();
    // Small request/response pairs: Nagle's algorithm would only add latency.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// An API error: a status and the `{"error": {"code", "message"}}` body. Internal
/// details go to the log, never to the client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(detail: ErrorDetail) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, detail.code, detail.message)
    }

    pub(super) fn internal(context: &str, err: impl std::fmt::Display) -> ApiError {
        tracing::error!("{context}: {err}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "internal error, see the relay's log",
        )
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "missing or wrong pairing token (Authorization: Bearer <token>)",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail::new(self.code, self.message),
        };
        (self.status, Json(body)).into_response()
    }
}

/// Proof that the request carried the pairing token in its `Authorization` header.
pub struct Authorized;

impl FromRequestParts<RelayState> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &RelayState,
    ) -> Result<Authorized, ApiError> {
        match super::auth::presented_token(&parts.headers, None) {
            Some(t) if state.token_matches(t) => Ok(Authorized),
            _ => Err(ApiError::unauthorized()),
        }
    }
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "method not allowed on this route",
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Accepted {
    id: MessageId,
    status: Status,
    device_id: DeviceId,
}

impl Accepted {
    fn into_response(self) -> Response {
        (StatusCode::OK, Json(self)).into_response()
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

async fn read_body(headers: &HeaderMap, body: Body) -> Result<axum::body::Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("body must be at most {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            // `to_bytes` fails either on the limit or on a broken upload.
            let over_limit = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if over_limit {
                too_large()
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::InvalidJson,
                    "could not read the request body",
                )
            }
        })
}

async fn post_transcription(
    State(state): State<RelayState>,
    _auth: Authorized,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if !is_json(&headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "Content-Type must be application/json",
        ));
    }
    let bytes = read_body(&headers, body).await?;
    let req = TranscriptionRequest::parse(&bytes).map_err(ApiError::bad_request)?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    super::ui::note_sender(&state, peer.ip(), user_agent);
    let device = req
        .device_id
        .unwrap_or_else(|| state.config().default_device.clone());
    let accepted = accept(&state, req.text, device, req.id, req.timestamp).await?;
    Ok(accepted.into_response())
}

/// Accept a message for `device`: store it, send it if the device is online, wait
/// for the ACK (up to the ACK timeout), and say what became of it.
pub(super) async fn accept(
    state: &RelayState,
    text: String,
    device: DeviceId,
    id: Option<MessageId>,
    timestamp: Option<i64>,
) -> Result<Accepted, ApiError> {
    // Checked once the body is in: a request that straddles the start of a shutdown
    // is refused whole rather than half accepted.
    if state.is_shutting_down() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ShuttingDown,
            "the relay is shutting down; try again in a moment",
        ));
    }
    let reserved = {
        let mut registry = state.registry();
        if !registry.is_routable(&device) {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownDevice,
                format!("no agent has ever registered as \"{device}\""),
            ));
        }
        registry.reserve(&device)
    };
    if let Err(QueueFull) = reserved {
        // A retry of a message that is already stored is still answered.
        if let Some(id) = &id {
            if let Ok(Some(existing)) = state.store().get(id.as_str()).await {
                return same_message_or_conflict(existing, &text, &device);
            }
        }
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::QueueFull,
            format!(
                "{device} has {} messages waiting; try again when it is back online",
                state.config().queue_cap
            ),
        ));
    }

    let id = id.unwrap_or_else(MessageId::generate);
    let now = now_ms();
    let timestamp = timestamp.unwrap_or(now);
    let queued = QueuedMessage::new(id.clone(), &text, timestamp);
    let inserted = state
        .store()
        .insert(NewMessage {
            id: id.clone(),
            device_id: device.clone(),
            text: text.clone(),
            timestamp,
            created_at: now,
        })
        .await;
    let outcome = match inserted {
        Ok(o) => o,
        Err(e) => {
            state.registry().release(&device);
            return Err(ApiError::internal("storing a message failed", e));
        }
    };
    if let InsertOutcome::Existing(existing) = outcome {
        state.registry().release(&device);
        return same_message_or_conflict(existing, &text, &device);
    }

    let waiter = state.registry().enqueue(&device, queued);
    tracing::debug!(%id, %device, sent = waiter.is_some(), "message accepted");
    state.emit_with(|| crate::protocol::ui::UiEvent::Message { id: id.to_string() });
    let status = match waiter {
        Some(ack) => match tokio::time::timeout(state.config().ack_timeout, ack).await {
            Ok(Ok(true)) => Status::Delivered,
            _ => Status::Queued,
        },
        None => Status::Queued,
    };
    Ok(Accepted {
        id,
        status,
        device_id: device,
    })
}

/// Same id again: the same message gets its current status, another one a conflict.
fn same_message_or_conflict(
    existing: super::store::MessageRecord,
    text: &str,
    device: &DeviceId,
) -> Result<Accepted, ApiError> {
    if existing.text != text || existing.device_id != device.as_str() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::IdConflict,
            "this id was already used for another message",
        ));
    }
    let id = MessageId::parse(&existing.id).unwrap_or_else(MessageId::generate);
    Ok(Accepted {
        id,
        status: existing.status,
        device_id: device.clone(),
    })
}

async fn get_transcription(
    State(state): State<RelayState>,
    _auth: Authorized,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such message",
        )
    };
    if MessageId::parse(&id).is_none() {
        return Err(not_found());
    }
    match state.store().get(&id).await {
        Ok(Some(record)) => Ok(Json(record).into_response()),
        Ok(None) => Err(not_found()),
        Err(e) => Err(ApiError::internal("reading a message failed", e)),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeviceView {
    device_id: DeviceId,
    /// Extension: the relay's own device (the target when `deviceId` is omitted).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    default: bool,
    online: bool,
    queued: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_seen: Option<i64>,
}

async fn devices(State(state): State<RelayState>, _auth: Authorized) -> Json<Vec<DeviceView>> {
    let list = state.registry().devices();
    Json(
        list.into_iter()
            .map(|d| DeviceView {
                device_id: d.device_id,
                default: d.default,
                online: d.online,
                queued: d.queued,
                last_seen: d.last_seen,
            })
            .collect(),
    )
}

/// `POST /token/rotate` (extension): a new pairing token, in force at once; agents
/// connected with the old one are closed with 4001.
async fn rotate_token(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Result<Response, ApiError> {
    match state.rotate_token() {
        Ok(token) => Ok(Json(serde_json::json!({ "token": &*token })).into_response()),
        Err(e) => Err(ApiError::internal("rotating the token failed", e)),
    }
}

/// `GET /ws`: check the token (header or `?token=`) before upgrading.
pub(super) fn check_ws_token(state: &RelayState, headers: &HeaderMap, uri: &Uri) -> bool {
    super::auth::presented_token(headers, uri.query()).is_some_and(|t| state.token_matches(t))
}

pub(super) fn upgrade_rejected(rejection: WebSocketUpgradeRejection) -> Response {
    ApiError::new(
        rejection.status(),
        ErrorCode::UpgradeRequired,
        format!("/ws takes WebSocket upgrades only: {rejection}"),
    )
    .into_response()
}
