//! Pairing a phone from the window: the link with a one-time pairing code and its
//! QR code, and a new desktop token (which revokes the old one at once; paired
//! phones keep their own keys).

use axum::extract::State;
use axum::Json;

use crate::pairing::{pairing_link, PairingLink};
use crate::protocol::ui::{AddressNote, PairingView, Rotated, UiEvent};
use crate::relay::error::ApiError;
use crate::relay::extract::Authorized;
use crate::relay::RelayState;

/// The link a phone opens (the address chosen by [`pairing_link`], the current
/// pairing code) and its QR code.
fn pairing_view(state: &RelayState) -> Result<PairingView, ApiError> {
    let port = state.local_addr().port();
    let bound = state.local_addr().ip();
    if bound.is_loopback() {
        // No code at all: a phone could never use it.
        return Ok(PairingView {
            link: String::new(),
            qr_svg: String::new(),
            host: bound.to_string(),
            port,
            lan_addresses: Vec::new(),
            expires_at: 0,
            unreachable: Some(format!(
                "SayType listens on this computer only ({bound}), so a phone cannot reach it. \
                 To pair one, start it listening on the network: saytype serve --bind 0.0.0.0."
            )),
            other_addresses: Vec::new(),
        });
    }
    let issued = crate::relay::phones::pairing_code(state, true)?;
    let PairingLink {
        link,
        host,
        lan_addresses,
    } = pairing_link(port, &issued.code, None);
    Ok(PairingView {
        qr_svg: crate::pairing::qr_svg(&link).unwrap_or_default(),
        link,
        host: host.to_string(),
        port,
        lan_addresses: lan_addresses.iter().map(ToString::to_string).collect(),
        expires_at: issued.expires_at,
        unreachable: None,
        other_addresses: crate::netaddr::candidates()
            .into_iter()
            .filter(|c| c.ip != host)
            .map(|c| AddressNote {
                ip: c.ip.to_string(),
                reason: c.reason(),
            })
            .collect(),
    })
}

pub(in crate::relay) async fn pairing(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Result<Json<PairingView>, ApiError> {
    pairing_view(&state).map(Json)
}

pub(in crate::relay) async fn rotate_token(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Result<Json<Rotated>, ApiError> {
    let token = state
        .rotate_token()
        .map_err(|e| ApiError::internal("rotating the token failed", e))?;
    state.emit(UiEvent::Token);
    let pairing = pairing_view(&state)?;
    Ok(Json(Rotated {
        token: token.to_string(),
        pairing,
    }))
}
