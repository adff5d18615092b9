//! Phones paired with keys of their own, and the sealed link they speak
//! (docs/sealed-link.md). The bearer token stays on this machine; a phone holds
//! only its own key, which the window can revoke alone.
//!
//! - `codes`: the one-time pairing codes waiting for a phone (pure);
//! - `pair`: `POST /phone/v1/pair`, the phone's key from a code;
//! - `sealed`: `POST /phone/v1/sealed`, one sealed call of the bearer API, and
//!   which calls a phone may make (send, read its own messages, list desktops).

mod codes;
mod pair;
mod sealed;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

pub use codes::{IssuedCode, PendingCodes, CODE_TTL_MS};
pub(super) use pair::{complete as complete_pairing, pair, parse as parse_pair_request};
pub(super) use sealed::sealed;

use super::error::ApiError;
use super::extract::LocalDesktop;
use super::RelayState;
use crate::protocol::sealed::{b64, PhoneInfo};
use crate::protocol::{now_ms, ErrorCode};

/// Where a paired phone or agent could reach this relay, best first: the address it
/// listens on, or (listening on all) this machine's candidates as ranked for the
/// pairing link; none on loopback (nothing elsewhere could use it). At most 8.
pub(in crate::relay) fn reachable_at(state: &RelayState) -> Vec<std::net::SocketAddr> {
    let bound = state.local_addr();
    let ips: Vec<std::net::IpAddr> = if bound.ip().is_unspecified() {
        crate::netaddr::candidates()
            .into_iter()
            .map(|c| c.ip)
            .collect()
    } else if bound.ip().is_loopback() {
        Vec::new()
    } else {
        vec![bound.ip()]
    };
    ips.into_iter()
        .take(8)
        .map(|ip| std::net::SocketAddr::new(ip, bound.port()))
        .collect()
}

/// A pairing code for the window's QR code: the current one while it has a while
/// to go (`reuse`), else a new one.
pub fn pairing_code(state: &RelayState, reuse: bool) -> Result<IssuedCode, ApiError> {
    let now = now_ms();
    if reuse {
        if let Some(code) = state.pairing_codes().current(now) {
            return Ok(code);
        }
    }
    let bytes = crate::sealed::random::<16>()
        .map_err(|e| ApiError::internal("making a pairing code failed", e))?;
    Ok(state.pairing_codes().issue(b64(&bytes), now))
}

/// `POST /pairing/code` (desktop token, this machine): a new one-time code, for
/// `saytype pair`.
pub(super) async fn new_code(
    State(state): State<RelayState>,
    _auth: LocalDesktop,
) -> Result<Json<crate::protocol::sealed::PairingCode>, ApiError> {
    let issued = pairing_code(&state, false)?;
    Ok(Json(crate::protocol::sealed::PairingCode {
        code: issued.code,
        expires_at: issued.expires_at,
    }))
}

/// `GET /phone/v1/info` (no credential): the desktop's name, for the phone's
/// words before it is paired. The name is no secret: mDNS announces it.
pub(super) async fn info(State(state): State<RelayState>) -> Json<PhoneInfo> {
    Json(PhoneInfo {
        desktop: state.config().default_device.to_string(),
    })
}

/// The words a phone that is not (or no longer) paired gets.
pub(super) fn not_paired(state: &RelayState) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::NotPaired,
        format!(
            "this phone is not paired with {} (any more): scan the pairing QR code on the desktop again",
            state.config().default_device
        ),
    )
}

fn invalid_envelope(why: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidEnvelope, why)
}

/// A name for a new phone from its browser's User-Agent; the user renames it.
fn name_from_user_agent(ua: Option<&str>) -> String {
    let ua = ua.unwrap_or_default();
    let kind = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android phone"),
        ("Windows", "Windows browser"),
        ("Macintosh", "Mac browser"),
        ("Linux", "Linux browser"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map_or("Phone", |(_, name)| name);
    kind.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_user_agents() {
        let pixel = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36";
        assert_eq!(name_from_user_agent(Some(pixel)), "Android phone");
        assert_eq!(
            name_from_user_agent(Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)")),
            "iPhone"
        );
        assert_eq!(name_from_user_agent(None), "Phone");
    }
}
