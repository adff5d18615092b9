//! The window's list of paired phones: list, rename, revoke (one phone; the others
//! keep working).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use crate::protocol::sealed::{phone_name, PhoneRename, PhoneView};
use crate::protocol::ui::UiEvent;
use crate::protocol::ErrorCode;
use crate::relay::error::ApiError;
use crate::relay::extract::Authorized;
use crate::relay::RelayState;

pub(in crate::relay) async fn phones(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Result<Json<Vec<PhoneView>>, ApiError> {
    state
        .store()
        .phones()
        .await
        .map(Json)
        .map_err(|e| ApiError::internal("listing phones failed", e))
}

pub(in crate::relay) async fn rename_phone(
    State(state): State<RelayState>,
    _auth: Authorized,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Vec<PhoneView>>, ApiError> {
    let name = serde_json::from_slice::<PhoneRename>(&body)
        .ok()
        .and_then(|r| phone_name(&r.name))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidSettings,
                "the name must be 1-60 characters, with no control characters",
            )
        })?;
    match state.store().rename_phone(&id, name).await {
        Ok(true) => {}
        Ok(false) => return Err(ApiError::not_found("no such phone")),
        Err(e) => return Err(ApiError::internal("renaming a phone failed", e)),
    }
    state.emit(UiEvent::Phones);
    phones(State(state), Authorized).await
}

pub(in crate::relay) async fn revoke_phone(
    State(state): State<RelayState>,
    _auth: Authorized,
    Path(id): Path<String>,
) -> Result<Json<Vec<PhoneView>>, ApiError> {
    match state.store().revoke_phone(&id).await {
        Ok(true) => {}
        Ok(false) => return Err(ApiError::not_found("no such phone")),
        Err(e) => return Err(ApiError::internal("revoking a phone failed", e)),
    }
    tracing::info!(phone = %id, "phone revoked");
    state.emit(UiEvent::Phones);
    phones(State(state), Authorized).await
}
