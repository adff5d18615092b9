//! Who may call: the pairing token check (PROTOCOL.md §2) as the [`Authorized`]
//! extractor and the `/ws` upgrade check, and the loopback-only rule of the desktop
//! window's routes.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::RelayState;
use crate::protocol::ErrorCode;

/// The token a request carries: `Authorization: Bearer <token>`, or `?token=` for
/// WebSocket clients that cannot set headers.
pub fn presented_token<'a>(headers: &'a HeaderMap, query: Option<&'a str>) -> Option<&'a str> {
    let from_header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    from_header.or_else(|| {
        query?
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="))
            .filter(|t| !t.is_empty())
    })
}

/// Compare without an early exit, so the time taken does not tell an attacker how
/// many leading characters were right. (Only the length can leak, and the length of
/// our tokens is no secret.)
pub fn tokens_match(presented: &str, expected: &str) -> bool {
    let (a, b) = (presented.as_bytes(), expected.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Proof that the request carried the pairing token in its `Authorization` header.
pub struct Authorized;

impl FromRequestParts<RelayState> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &RelayState,
    ) -> Result<Authorized, ApiError> {
        match presented_token(&parts.headers, None) {
            Some(t) if state.token_matches(t) => Ok(Authorized),
            _ => Err(ApiError::unauthorized()),
        }
    }
}

/// `GET /ws`: the token may also come as `?token=`, checked before upgrading.
pub(super) fn ws_token_ok(state: &RelayState, headers: &HeaderMap, uri: &Uri) -> bool {
    presented_token(headers, uri.query()).is_some_and(|t| state.token_matches(t))
}

/// The window is for this machine only, whatever address the relay listens on.
pub(super) async fn loopback_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if !peer.ip().is_loopback() {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "the desktop window is only reachable from this machine",
        )
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn token_sources() {
        let mut h = HeaderMap::new();
        assert_eq!(presented_token(&h, None), None);
        assert_eq!(presented_token(&h, Some("a=1&token=xyz")), Some("xyz"));
        assert_eq!(presented_token(&h, Some("token=")), None);
        h.insert("authorization", HeaderValue::from_static("Bearer abc"));
        assert_eq!(presented_token(&h, Some("token=xyz")), Some("abc"));
        h.insert("authorization", HeaderValue::from_static("Basic abc"));
        assert_eq!(presented_token(&h, None), None);
    }

    #[test]
    fn comparison() {
        assert!(tokens_match("secret", "secret"));
        assert!(!tokens_match("secreT", "secret"));
        assert!(!tokens_match("secret1", "secret"));
        assert!(!tokens_match("", "secret"));
    }
}
