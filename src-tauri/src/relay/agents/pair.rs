//! `POST /agent/v1/pair`: `saytype agent --pair LINK` gets a key of its own, from
//! the same one-time code and the same exchange as a phone.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;

use super::AGENT_ID_PREFIX;
use crate::protocol::sealed::{b64, phone_name, PairResponse};
use crate::relay::error::ApiError;
use crate::relay::http::read_body;
use crate::relay::phones::{complete_pairing, parse_pair_request};
use crate::relay::RelayState;
use crate::sealed::random;

/// The agent names its host (`?name=HOST`): the list shows "Agent on HOST".
fn agent_name(host: Option<&str>) -> String {
    let host = host.unwrap_or("another desktop");
    let name: String = format!("Agent on {host}").chars().take(60).collect();
    phone_name(&name).unwrap_or_else(|| "Agent".to_owned())
}

#[derive(serde::Deserialize)]
pub(in crate::relay) struct NameQuery {
    name: Option<String>,
}

pub(in crate::relay) async fn pair(
    State(state): State<RelayState>,
    Query(query): Query<NameQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<PairResponse>, ApiError> {
    let hello =
        parse_pair_request(&read_body(&headers, body, state.config().limits.body_timeout).await?)?;
    let id = random::<12>().map_err(|e| ApiError::internal("pairing", e))?;
    let agent_id = format!("{AGENT_ID_PREFIX}{}", b64(&id));
    let name = agent_name(query.name.as_deref());
    let answer = complete_pairing(&state, &hello, agent_id, name).await?;
    tracing::info!(agent = %answer.phone_id, "agent paired");
    Ok(Json(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_the_agents_user_agent() {
        assert_eq!(agent_name(Some("laptop")), "Agent on laptop");
        assert_eq!(agent_name(None), "Agent on another desktop");
        assert_eq!(agent_name(Some("a\nb")), "Agent");
    }
}
