//! The sender's HTTP API of PROTOCOL.md §3: parse, check, call [`delivery`] or the
//! store, answer with a protocol type. Also where a [`Refused`] becomes a status
//! and an error code.
//!
//! [`delivery`]: super::delivery

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;

use super::delivery::{self, Refused};
use super::error::ApiError;
use super::extract::{Authorized, LocalDesktop};
use super::RelayState;
use crate::protocol::{
    now_ms, Accepted, DeviceView, ErrorCode, Health, MessageId, MessageView, TokenRotated,
    TranscriptionRequest, MAX_BODY_BYTES,
};

impl From<Refused> for ApiError {
    fn from(refused: Refused) -> ApiError {
        let (status, code) = match &refused {
            Refused::ShuttingDown => {
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::ShuttingDown,
                    "the relay is shutting down; try again in a moment",
                )
            }
            Refused::QueueFull { device, cap } => {
                return ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::QueueFull,
                    format!(
                        "{device} has {cap} messages waiting; try again when it is back online"
                    ),
                )
            }
            Refused::QueueBytesFull { device, cap } => {
                return ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::QueueFull,
                    format!(
                        "{device} has {} MiB of messages waiting; try again when it is back online",
                        cap / (1024 * 1024)
                    ),
                )
            }
            Refused::StorageFull => {
                return ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    ErrorCode::StorageFull,
                    "the relay's storage is full; nothing was stored: try again later",
                )
            }
            Refused::Store { context, source } => return ApiError::internal(context, source),
            Refused::UnknownDevice(_) => (StatusCode::NOT_FOUND, ErrorCode::UnknownDevice),
            Refused::Conflict => (StatusCode::CONFLICT, ErrorCode::IdConflict),
            Refused::NotFound => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Refused::NotRetryable => (StatusCode::CONFLICT, ErrorCode::NotRetryable),
            Refused::NotCancellable(_) => (StatusCode::CONFLICT, ErrorCode::NotCancellable),
            Refused::NotHeld => (StatusCode::CONFLICT, ErrorCode::NotHeld),
        };
        ApiError::new(status, code, refused.to_string())
    }
}

pub(super) async fn health() -> Json<Health> {
    Json(Health::ok())
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// The body, at most [`MAX_BODY_BYTES`], within `deadline` (a half-sent body would
/// otherwise hold its connection for ever).
pub(super) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    deadline: std::time::Duration,
) -> Result<axum::body::Bytes, ApiError> {
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
    let read = tokio::time::timeout(deadline, axum::body::to_bytes(body, MAX_BODY_BYTES))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::RequestTimeout,
                format!(
                    "the request body did not arrive within {} s",
                    deadline.as_secs_f32()
                ),
            )
        })?;
    read.map_err(|e| {
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

/// `POST /transcription`.
pub(super) async fn post_transcription(
    State(state): State<RelayState>,
    _auth: Authorized,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Accepted>, ApiError> {
    if !is_json(&headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "Content-Type must be application/json",
        ));
    }
    let bytes = read_body(&headers, body, state.config().limits.body_timeout).await?;
    let req = TranscriptionRequest::parse(&bytes).map_err(ApiError::bad_request)?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    state.events().note_sender(peer.ip(), user_agent, now_ms());
    let device = req
        .device_id
        .unwrap_or_else(|| state.config().default_device.clone());
    let outcome = delivery::accept(&state, req.text, device, req.id, req.timestamp).await?;
    Ok(Json(outcome.into_accepted()))
}

/// `GET /transcription/{id}`: the message's state, without its text.
pub(super) async fn get_transcription(
    State(state): State<RelayState>,
    _auth: Authorized,
    Path(id): Path<String>,
) -> Result<Json<MessageView>, ApiError> {
    if MessageId::parse(&id).is_none() {
        return Err(ApiError::not_found("no such message"));
    }
    match state.store().get(&id).await {
        Ok(Some(stored)) => Ok(Json(stored.view)),
        Ok(None) => Err(ApiError::not_found("no such message")),
        Err(e) => Err(ApiError::internal("reading a message failed", e)),
    }
}

/// `GET /devices`.
pub(super) async fn devices(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Json<Vec<DeviceView>> {
    Json(super::modes::devices(&state))
}

/// `POST /token/rotate` (extension): a new pairing token, in force at once; agents
/// connected with the old one are closed with 4001. This machine only.
pub(super) async fn rotate_token(
    State(state): State<RelayState>,
    _auth: LocalDesktop,
) -> Result<Json<TokenRotated>, ApiError> {
    match state.rotate_token() {
        Ok(token) => Ok(Json(TokenRotated {
            token: token.to_string(),
        })),
        Err(e) => Err(ApiError::internal("rotating the token failed", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use axum::response::IntoResponse;

    #[test]
    fn json_is_recognised_with_parameters_and_any_case() {
        let mut h = HeaderMap::new();
        assert!(!is_json(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(is_json(&h));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!is_json(&h));
    }

    #[test]
    fn refusals_keep_their_statuses() {
        let status = |r: Refused| ApiError::from(r).into_response().status();
        assert_eq!(
            status(Refused::ShuttingDown),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(status(Refused::Conflict), StatusCode::CONFLICT);
        assert_eq!(status(Refused::NotRetryable), StatusCode::CONFLICT);
        assert_eq!(status(Refused::NotFound), StatusCode::NOT_FOUND);
        let desk = crate::protocol::DeviceId::parse("desk").expect("device");
        assert_eq!(
            status(Refused::UnknownDevice(desk.clone())),
            StatusCode::NOT_FOUND
        );
        let full = Refused::QueueFull {
            device: desk,
            cap: 3,
        };
        assert_eq!(status(full), StatusCode::TOO_MANY_REQUESTS);
    }
}
