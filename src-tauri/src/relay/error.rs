//! The one error type every relay handler answers with: a status and the
//! `{"error": {"code", "message"}}` body of PROTOCOL.md §3.
//!
//! Internal failures are logged here and answered with a fixed sentence, so no
//! SQLite message or path ever reaches a client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::protocol::{ErrorBody, ErrorCode, ErrorDetail};

/// An API error, turned into a response by axum.
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

    /// A request body that did not validate.
    pub fn bad_request(detail: ErrorDetail) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, detail.code, detail.message)
    }

    /// Something broke inside the relay: the details go to the log only.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> ApiError {
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

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, what)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body it answers with (the sealed link seals it instead of sending it).
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail::new(self.code, self.message.clone()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let response = ApiError::internal("test", "secret path /var/db").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let err = ApiError::internal("test", "secret path /var/db");
        assert!(!err.message.contains("secret"));
        assert_eq!(err.code, ErrorCode::Internal);
    }
}
