//! Who may call: the desktop token check (PROTOCOL.md §2, from loopback unless
//! `--allow-bearer-from-network`) as the [`Authorized`] extractor and the `/ws`
//! upgrade check; [`LocalDesktop`] for what only this machine may do; and the
//! loopback-only rule of the desktop window's routes.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
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

/// Proof that the request carried the desktop token in its `Authorization` header,
/// from a peer allowed to use it (see [`bearer_allowed`]).
pub struct Authorized;

impl FromRequestParts<RelayState> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &RelayState,
    ) -> Result<Authorized, ApiError> {
        bearer_allowed(state, peer_of(parts))?;
        match presented_token(&parts.headers, None) {
            Some(t) if state.token_matches(t) => Ok(Authorized),
            _ => Err(ApiError::unauthorized()),
        }
    }
}

/// The desktop itself: the token, from this machine, whatever
/// `--allow-bearer-from-network` says. For what no script elsewhere should do
/// (issue 12's roles): rotating the token, making pairing codes.
pub struct LocalDesktop;

impl FromRequestParts<RelayState> for LocalDesktop {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &RelayState,
    ) -> Result<LocalDesktop, ApiError> {
        Authorized::from_request_parts(parts, state).await?;
        if from_this_machine(state, peer_of(parts)) {
            return Ok(LocalDesktop);
        }
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "only this machine may do this (rotate the token, make pairing codes), even with --allow-bearer-from-network",
        ))
    }
}

/// A connection from this machine: from loopback, or from the one address the relay
/// listens on when that is not loopback (`serve --bind 192.168.1.20`: this machine's
/// own agent and window connect from it). Another machine cannot appear with that
/// source address: the kernel drops packets that arrive from outside with a local
/// source address, and a TCP handshake's answer would go back to this machine.
pub(super) fn from_this_machine(state: &RelayState, peer: Option<SocketAddr>) -> bool {
    let bound = state.local_addr().ip().to_canonical();
    peer.is_some_and(|p| {
        let ip = p.ip().to_canonical();
        ip.is_loopback() || (!bound.is_unspecified() && ip == bound)
    })
}

/// The peer's address, when the server recorded it (it always does; a router
/// driven without it counts as "not loopback", the safe side).
fn peer_of(parts: &Parts) -> Option<SocketAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer)
}

/// The desktop token is as powerful as a shell, and plain HTTP shows it to every
/// listener on the network: it is accepted from this machine, and from others only
/// when the relay was started with `--allow-bearer-from-network`. Checked before the
/// token itself, so the network cannot even test guesses.
pub(super) fn bearer_allowed(state: &RelayState, peer: Option<SocketAddr>) -> Result<(), ApiError> {
    if from_this_machine(state, peer) || state.config().allow_bearer_from_network {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthorized,
        "the desktop token is only accepted from this machine: pair phones with the QR \
         code (each gets its own key), or start the relay with \
         `saytype serve --allow-bearer-from-network` for scripts on a trusted network",
    ))
}

/// `GET /ws`: the token may also come as `?token=`, checked before upgrading.
pub(super) fn ws_token_ok(
    state: &RelayState,
    peer: SocketAddr,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<(), ApiError> {
    bearer_allowed(state, Some(peer))?;
    match presented_token(headers, uri.query()) {
        Some(t) if state.token_matches(t) => Ok(()),
        _ => Err(ApiError::unauthorized()),
    }
}

/// The window is for this machine only, whatever address the relay listens on.
pub(super) async fn loopback_only(
    State(state): State<RelayState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if !from_this_machine(&state, Some(peer)) {
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
