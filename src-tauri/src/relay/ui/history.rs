//! The history of messages in the window: list, delete one, clear the finished
//! ones, retry a failed one. The domain work is in
//! [`delivery`](crate::relay::delivery); these only translate.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;

use crate::protocol::ui::{Cleared, HistoryParams, HistoryRow, UiEvent};
use crate::protocol::{Accepted, ErrorCode, Status};
use crate::relay::error::ApiError;
use crate::relay::extract::Authorized;
use crate::relay::store::HistoryQuery;
use crate::relay::RelayState;
use crate::relay::{delivery, hold};

/// Rows listed when the window does not say.
const DEFAULT_LIMIT: u32 = 100;

/// The `status` filter: `all` or nothing means every row.
fn status_filter(param: Option<&str>) -> Result<Option<Status>, ApiError> {
    match param {
        None | Some("") | Some("all") => Ok(None),
        Some(s) => Status::parse(s).map(Some).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidJson,
                "status must be queued, delivered, injected or failed",
            )
        }),
    }
}

pub(in crate::relay) async fn history(
    State(state): State<RelayState>,
    _auth: Authorized,
    Query(params): Query<HistoryParams>,
) -> Result<Json<Vec<HistoryRow>>, ApiError> {
    let query = HistoryQuery {
        status: status_filter(params.status.as_deref())?,
        id: params.id,
        before: params.before,
        limit: params.limit.unwrap_or(DEFAULT_LIMIT),
    };
    match state.store().history(query).await {
        Ok(items) => Ok(Json(crate::relay::modes::history(&state, items))),
        Err(e) => Err(ApiError::internal("listing the history failed", e)),
    }
}

pub(in crate::relay) async fn delete_message(
    State(state): State<RelayState>,
    _auth: Authorized,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    delivery::remove(&state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Clear the history: everything already delivered, typed or failed. Queued
/// messages stay (they are deliveries still owed).
pub(in crate::relay) async fn clear_history(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Result<Json<Cleared>, ApiError> {
    match state.store().clear_finished().await {
        Ok(removed) => {
            state.emit(UiEvent::History);
            Ok(Json(Cleared { removed }))
        }
        Err(e) => Err(ApiError::internal("clearing the history failed", e)),
    }
}

/// Send a failed message again, as a new message that replaces the failed one in
/// the history (two rows with the same text and no link between them read as a
/// double). The new message exists before the old one goes: nothing is lost.
pub(in crate::relay) async fn retry_message(
    State(state): State<RelayState>,
    _auth: Authorized,
    Path(id): Path<String>,
) -> Result<Json<Accepted>, ApiError> {
    let outcome = delivery::retry(&state, &id).await?;
    match delivery::remove(&state, &id).await {
        // Deleted meanwhile (another window): already the wanted result.
        Ok(()) | Err(delivery::Refused::NotFound) => {}
        Err(e) => tracing::warn!(id = %id, error = %e, "the retried message stays in the history"),
    }
    Ok(Json(outcome.into_accepted()))
}

/// "Type now": a held message goes to its desktop's agent.
pub(in crate::relay) async fn release_message(
    State(state): State<RelayState>,
    _auth: Authorized,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    hold::release(&state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "Discard": a message not typed yet ends `failed`, never typed.
pub(in crate::relay) async fn discard_message(
    State(state): State<RelayState>,
    _auth: Authorized,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    hold::cancel(&state, &id, hold::DISCARDED).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_filter() {
        assert_eq!(status_filter(None).ok(), Some(None));
        assert_eq!(status_filter(Some("all")).ok(), Some(None));
        assert_eq!(status_filter(Some("")).ok(), Some(None));
        assert_eq!(
            status_filter(Some("failed")).ok(),
            Some(Some(Status::Failed))
        );
        assert!(status_filter(Some("lost")).is_err());
    }
}
