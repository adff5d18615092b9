//! The top of the relay: every route in one table ([`router`], which tests call
//! directly); [`super::listen`] serves it.

use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{delete, get, patch, post};
use axum::Router;

use super::error::ApiError;
use super::extract::loopback_only;
use super::ui::{diagnostics, history, pairing, phones as phone_list, settings, status};
use super::{agents, assets, guard, http, phones, ws, RelayState};
use crate::protocol::agent_link::{AGENT_PAIR_PATH, AGENT_WS_PATH};
use crate::protocol::ErrorCode;

/// Build the router; tests call this directly.
pub fn router(state: RelayState) -> Router {
    assets::phone_router()
        .route("/health", get(http::health))
        .route("/transcription", post(http::post_transcription))
        .route("/transcription/{id}", get(http::get_transcription))
        .route("/devices", get(http::devices))
        .route("/token/rotate", post(http::rotate_token))
        .route("/pairing/code", post(phones::new_code))
        .route("/phone/v1/info", get(phones::info))
        .route("/phone/v1/pair", post(phones::pair))
        .route("/phone/v1/sealed", post(phones::sealed))
        .route("/ws", get(ws::upgrade))
        .route(AGENT_PAIR_PATH, post(agents::pair))
        .route(AGENT_WS_PATH, get(agents::upgrade))
        .merge(desktop_router(&state))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(guard::check))
        .with_state(state)
}

/// The desktop window's page and API: loopback only.
fn desktop_router(state: &RelayState) -> Router<RelayState> {
    let api = Router::new()
        .route("/status", get(status::status))
        .route("/history", get(history::history))
        .route("/events", get(status::events))
        .route("/messages", delete(history::clear_history))
        .route("/messages/{id}", delete(history::delete_message))
        .route("/messages/{id}/retry", post(history::retry_message))
        .route("/messages/{id}/release", post(history::release_message))
        .route("/messages/{id}/discard", post(history::discard_message))
        .route(
            "/settings",
            get(settings::get_settings).put(settings::put_settings),
        )
        .route("/pause", post(settings::pause))
        .route("/injector/grant", post(settings::grant_injector))
        .route("/doctor", get(diagnostics::doctor))
        .route("/pairing", get(pairing::pairing))
        .route("/phones", get(phone_list::phones))
        .route(
            "/phones/{id}",
            patch(phone_list::rename_phone).delete(phone_list::revoke_phone),
        )
        .route("/token/rotate", post(pairing::rotate_token));
    assets::desktop_router()
        .nest("/ui/api", api)
        .layer(middleware::from_fn_with_state(state.clone(), loopback_only))
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "method not allowed on this route",
    )
}
