//! The window's controls of the desktop parts: settings, pause, and the grant a
//! way of typing may need (the remote desktop portal's dialog). Answered by the
//! [`Desktop`](crate::relay::desktop::Desktop) the process registered; a relay
//! running alone answers 404.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::protocol::ui::{Paused, UiEvent};
use crate::protocol::ErrorCode;
use crate::relay::desktop::Desktop;
use crate::relay::error::ApiError;
use crate::relay::extract::Authorized;
use crate::relay::RelayState;
use crate::settings::Settings;

fn desktop(state: &RelayState) -> Result<std::sync::Arc<dyn Desktop>, ApiError> {
    state.desktop().ok_or_else(|| {
        ApiError::not_found(
            "this relay runs without the desktop parts (no local agent, no settings)",
        )
    })
}

pub(in crate::relay) async fn get_settings(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Result<Json<Settings>, ApiError> {
    Ok(Json(desktop(&state)?.settings()))
}

pub(in crate::relay) async fn put_settings(
    State(state): State<RelayState>,
    _auth: Authorized,
    body: axum::body::Bytes,
) -> Result<Json<Settings>, ApiError> {
    let desktop = desktop(&state)?;
    let new: Settings = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidJson,
            format!("invalid settings: {e}"),
        )
    })?;
    let applied = state.change_settings(&*desktop, new).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidSettings,
            e.to_string(),
        )
    })?;
    Ok(Json(applied))
}

pub(in crate::relay) async fn pause(
    State(state): State<RelayState>,
    _auth: Authorized,
    Json(body): Json<Paused>,
) -> Result<Json<Paused>, ApiError> {
    let desktop = desktop(&state)?;
    // Answered once the pause is in force, so that whoever paused can count on new
    // messages being held.
    desktop.set_paused(body.paused).await;
    state.emit(UiEvent::Agent);
    Ok(Json(body))
}

/// `POST /ui/api/injector/grant`: ask the injector for the user's permission
/// (the portal's dialog opens on the desktop). Answered at once (202): the
/// dialog waits for the user; the status (`injectorNeedsGrant`) follows.
pub(in crate::relay) async fn grant_injector(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Result<StatusCode, ApiError> {
    if desktop(&state)?.grant_injector() {
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(ApiError::not_found(
            "there is no local agent in this process (started with --no-agent?)",
        ))
    }
}
