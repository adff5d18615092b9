//! `GET /ui/api/status` (what the window shows at a glance) and `GET
//! /ui/api/events` (the live stream that tells it what to fetch again).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use crate::protocol::now_ms;
use crate::protocol::ui::{RelayView, StatusView, UiEvent};
use crate::relay::extract::Authorized;
use crate::relay::RelayState;

/// How far back "phones seen recently" goes.
const PHONES_SHOWN_FOR_MS: i64 = 24 * 3_600_000;
/// A comment line now and then keeps proxies and the window's `fetch` from timing
/// out an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub(in crate::relay) async fn status(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Json<StatusView> {
    let devices = crate::relay::modes::devices(&state);
    let phones = state.events().phones_since(now_ms() - PHONES_SHOWN_FOR_MS);
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

/// A live stream of [`UiEvent`]s (server-sent events), read by the window with
/// `fetch` so that the token stays in a header. Ends with the relay.
pub(in crate::relay) async fn events(
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
            Err(RecvError::Lagged(_)) => Event::default()
                .json_data(UiEvent::History)
                .unwrap_or_default(),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), (rx, shutdown)))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}
