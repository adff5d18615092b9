//! The desktop window's API, under `/ui`: status, live history, retry/delete/clear,
//! settings, pairing. The same page serves the Tauri window and an ordinary browser
//! at `http://127.0.0.1:PORT/ui`.
//!
//! Two locks on it: requests must come from this machine (loopback), and the API
//! needs the pairing token like everything else. The relay knows nothing of the
//! local agent, mDNS or settings; it asks the [`Desktop`] that the process
//! registered (see `daemon`), so the relay can run alone as well.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use futures_util::Stream;

use super::http::{accept, Accepted, ApiError, Authorized};
use super::store::HistoryQuery;
use super::RelayState;
use crate::protocol::ui::{
    Cleared, HistoryParams, PairingView, Paused, PhoneSeen, RelayView, Rotated, StatusView, UiEvent,
};
use crate::protocol::{now_ms, DeviceId, DeviceView, ErrorCode, Status};
use crate::settings::Settings;

/// Remember a sender, for "phones seen recently".
pub(super) fn note_sender(state: &RelayState, addr: IpAddr, user_agent: Option<&str>) {
    let mut phones = state.phones();
    let entry = phones.entry(addr).or_insert_with(|| PhoneSeen {
        address: addr.to_string(),
        user_agent: String::new(),
        last_seen: 0,
        messages: 0,
    });
    entry.last_seen = now_ms();
    entry.messages += 1;
    if let Some(ua) = user_agent {
        // Copied only when it changes: this runs on every POST.
        if !ua.starts_with(entry.user_agent.as_str()) || entry.user_agent.is_empty() {
            entry.user_agent = ua.chars().take(200).collect();
        }
    }
    // Keep the list short: the 20 most recent.
    if phones.len() > 20 {
        if let Some(oldest) = phones
            .iter()
            .min_by_key(|(_, p)| p.last_seen)
            .map(|(a, _)| *a)
        {
            phones.remove(&oldest);
        }
    }
}

pub type Phones = HashMap<IpAddr, PhoneSeen>;

pub(super) fn router() -> Router<RelayState> {
    let api = Router::new()
        .route("/status", get(status))
        .route("/history", get(history))
        .route("/events", get(events))
        .route("/messages", delete(clear_history))
        .route("/messages/{id}", delete(delete_message))
        .route("/messages/{id}/retry", post(retry_message))
        .route("/settings", get(get_settings).put(put_settings))
        .route("/pause", post(pause))
        .route("/pairing", get(pairing))
        .route("/token/rotate", post(rotate_token));
    super::assets::desktop_router()
        .nest("/ui/api", api)
        .layer(middleware::from_fn(loopback_only))
}

/// The window is for this machine only, whatever address the relay listens on.
async fn loopback_only(
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

fn desktop_missing() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "this relay runs without the desktop parts (no local agent, no settings)",
    )
}

async fn status(State(state): State<RelayState>, _auth: Authorized) -> Json<StatusView> {
    let devices = state
        .registry()
        .devices()
        .into_iter()
        .map(|d| DeviceView {
            device_id: d.device_id,
            default: d.default,
            online: d.online,
            queued: d.queued,
            last_seen: d.last_seen,
        })
        .collect();
    let day_ago = now_ms() - 24 * 3_600_000;
    let mut phones: Vec<PhoneSeen> = state
        .phones()
        .values()
        .filter(|p| p.last_seen >= day_ago)
        .cloned()
        .collect();
    phones.sort_by_key(|p| std::cmp::Reverse(p.last_seen));
    let desktop = state.desktop();
    Json(StatusView {
        version: env!("CARGO_PKG_VERSION").into(),
        relay: RelayView {
            address: state.local_addr().ip().to_string(),
            port: state.local_addr().port(),
            default_device: state.config().default_device.to_string(),
        },
        mdns: desktop.as_ref().map(|d| d.mdns()),
        token_present: !state.current_token().is_empty(),
        devices,
        phones,
        local_agent: desktop.as_ref().and_then(|d| d.local_agent()),
    })
}

async fn history(
    State(state): State<RelayState>,
    _auth: Authorized,
    Query(params): Query<HistoryParams>,
) -> Result<Response, ApiError> {
    let status = match params.status.as_deref() {
        None | Some("") | Some("all") => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidJson,
                "status must be queued, delivered, injected or failed",
            )
        })?),
    };
    let query = HistoryQuery {
        status,
        id: params.id,
        before: params.before,
        limit: params.limit.unwrap_or(100),
    };
    match state.store().history(query).await {
        Ok(items) => Ok(Json(items).into_response()),
        Err(e) => Err(ApiError::internal("listing the history failed", e)),
    }
}

/// A live stream of [`UiEvent`]s (server-sent events), read by the window with
/// `fetch` so that the token stays in a header. Ends with the relay.
async fn events(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.subscribe_events();
    let shutdown = state.shutdown().clone();
    let stream = futures_util::stream::unfold((rx, shutdown), |(mut rx, shutdown)| async move {
        let next = tokio::select! {
            next = rx.recv() => next,
            _ = shutdown.cancelled() => return None,
        };
        let event = match next {
            Ok(e) => Event::default().json_data(&e).unwrap_or_default(),
            // Fell behind: tell the window to reload everything.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Event::default()
                .json_data(UiEvent::History)
                .unwrap_or_default(),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event), (rx, shutdown)))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

async fn delete_message(
    State(state): State<RelayState>,
    _auth: Authorized,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    match state.store().delete(&id).await {
        Ok(Some((device, status))) => {
            if status == Status::Queued {
                // Not delivered yet: it must not go out any more either.
                if let Some(device) = DeviceId::parse(&device) {
                    state.registry().remove(&device, &id);
                }
                state.emit(UiEvent::Devices);
            }
            state.emit(UiEvent::History);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Ok(None) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such message",
        )),
        Err(e) => Err(ApiError::internal("deleting a message failed", e)),
    }
}

/// Clear the history: everything already delivered, typed or failed. Queued
/// messages stay (they are deliveries still owed).
async fn clear_history(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Result<Response, ApiError> {
    match state.store().clear_finished().await {
        Ok(removed) => {
            state.emit(UiEvent::History);
            Ok(Json(Cleared { removed }).into_response())
        }
        Err(e) => Err(ApiError::internal("clearing the history failed", e)),
    }
}

/// Send a failed message again, as a new message (new id: agents never type an id
/// twice, and the failed attempt stays in the history as it was).
async fn retry_message(
    State(state): State<RelayState>,
    _auth: Authorized,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let record = match state.store().get(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such message",
            ))
        }
        Err(e) => return Err(ApiError::internal("reading a message failed", e)),
    };
    if record.status != Status::Failed {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::NotRetryable,
            "only failed messages can be retried",
        ));
    }
    let device =
        DeviceId::parse(&record.device_id).unwrap_or_else(|| state.config().default_device.clone());
    let accepted: Accepted = accept(&state, record.text, device, None, None).await?;
    Ok(Json(accepted).into_response())
}

async fn get_settings(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Result<Json<Settings>, ApiError> {
    let desktop = state.desktop().ok_or_else(desktop_missing)?;
    Ok(Json(desktop.settings()))
}

async fn put_settings(
    State(state): State<RelayState>,
    _auth: Authorized,
    body: axum::body::Bytes,
) -> Result<Json<Settings>, ApiError> {
    let desktop = state.desktop().ok_or_else(desktop_missing)?;
    let new: Settings = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidJson,
            format!("invalid settings: {e}"),
        )
    })?;
    let applied = desktop.update_settings(new).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidSettings,
            e.to_string(),
        )
    })?;
    state.emit(UiEvent::Settings);
    Ok(Json(applied))
}

async fn pause(
    State(state): State<RelayState>,
    _auth: Authorized,
    Json(body): Json<Paused>,
) -> Result<Json<Paused>, ApiError> {
    let desktop = state.desktop().ok_or_else(desktop_missing)?;
    // Answered once the pause is in force, so that whoever paused can count on new
    // messages being held.
    desktop.set_paused(body.paused).await;
    state.emit(UiEvent::Agent);
    Ok(Json(body))
}

fn pairing_view(state: &RelayState, token: &str) -> PairingView {
    let lan = crate::discovery::lan_addresses();
    let host = lan.first().copied().unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let port = state.local_addr().port();
    let link = crate::pairing::link(host, port, token);
    PairingView {
        qr_svg: crate::pairing::qr_svg(&link).unwrap_or_default(),
        link,
        host: host.to_string(),
        port,
        lan_addresses: lan.iter().map(ToString::to_string).collect(),
    }
}

async fn pairing(State(state): State<RelayState>, _auth: Authorized) -> Json<PairingView> {
    let token = state.current_token();
    Json(pairing_view(&state, &token))
}

async fn rotate_token(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Result<Response, ApiError> {
    let token = state
        .rotate_token()
        .map_err(|e| ApiError::internal("rotating the token failed", e))?;
    state.emit(UiEvent::Token);
    let view = pairing_view(&state, &token);
    Ok(Json(Rotated {
        token: token.to_string(),
        pairing: view,
    })
    .into_response())
}
