//! `POST /phone/v1/pair`: a phone that holds a pairing code gets a key of its own.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;

use super::{invalid_envelope, name_from_user_agent};
use crate::protocol::sealed::{b64, b64_array, PairRequest, PairResponse, SEALED_VERSION};
use crate::protocol::ui::UiEvent;
use crate::protocol::{now_ms, ErrorCode};
use crate::relay::error::ApiError;
use crate::relay::http::read_body;
use crate::relay::RelayState;
use crate::sealed::{random, relay_answer, PhoneHello, SealError};

fn code_unknown() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::PairingCodeUnknown,
        "this pairing link has expired or was used already: show a new QR code on the desktop",
    )
}

pub(in crate::relay) fn parse(bytes: &[u8]) -> Result<PhoneHello, ApiError> {
    let req: PairRequest =
        serde_json::from_slice(bytes).map_err(|_| invalid_envelope("not a pairing request"))?;
    if req.v != SEALED_VERSION {
        return Err(invalid_envelope("unknown version of the sealed link"));
    }
    let (Some(code_id), Some(phone_pub), Some(proof)) = (
        b64_array(&req.code_id),
        b64_array(&req.phone_pub),
        b64_array(&req.proof),
    ) else {
        return Err(invalid_envelope(
            "codeId, phonePub or proof is not of the right size",
        ));
    };
    Ok(PhoneHello {
        code_id,
        phone_pub,
        proof,
    })
}

pub(in crate::relay) async fn pair(
    State(state): State<RelayState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<PairResponse>, ApiError> {
    let hello = parse(&read_body(&headers, body, state.config().limits.body_timeout).await?)?;
    let phone_id = b64(&random::<12>().map_err(|e| ApiError::internal("pairing", e))?);
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let answer = complete(&state, &hello, phone_id, name_from_user_agent(ua)).await?;
    tracing::info!(phone = %answer.phone_id, "phone paired");
    Ok(Json(answer))
}

/// The relay's half of a pairing, for a phone or an agent (its id and name made by
/// the caller): check the proof, use the code up, store the key.
pub(in crate::relay) async fn complete(
    state: &RelayState,
    hello: &PhoneHello,
    phone_id: String,
    name: String,
) -> Result<PairResponse, ApiError> {
    let now = now_ms();
    let code = state
        .pairing_codes()
        .find(&hello.code_id, now)
        .ok_or_else(code_unknown)?;
    let relay_secret = random::<32>().map_err(|e| ApiError::internal("pairing", e))?;
    let (answer, key) =
        relay_answer(&code, hello, &relay_secret, &phone_id).map_err(|e| match e {
            // A wrong proof does not use the code up: whoever sent it could not have
            // the code, and must not be able to spoil it for the phone that has it.
            SealError::Forged => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::SealInvalid,
                "the pairing proof does not match the code",
            ),
            SealError::BadKey => invalid_envelope("unusable public key"),
            SealError::Random => ApiError::internal("pairing", e),
        })?;
    if !state.pairing_codes().take(&hello.code_id, now) {
        return Err(code_unknown());
    }
    state
        .store()
        .add_phone(phone_id.clone(), name, key, now)
        .await
        .map_err(|e| ApiError::internal("storing a paired phone failed", e))?;
    state.emit(UiEvent::Phones);
    Ok(PairResponse {
        v: SEALED_VERSION,
        phone_id,
        relay_pub: b64(&answer.relay_pub),
        proof: b64(&answer.proof),
        confirm: b64(&answer.confirm),
        desktop: state.config().default_device.to_string(),
    })
}
