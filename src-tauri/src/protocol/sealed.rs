//! The sealed phone link's wire shapes (docs/sealed-link.md): pairing, the sealed
//! envelope and what travels inside it, and the window's list of paired phones.
//! Bytes travel as unpadded base64url.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// The version every shape below carries as `v`.
pub const SEALED_VERSION: u8 = 1;

/// Bytes as unpadded base64url.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Unpadded base64url of exactly `N` bytes, or `None`.
pub fn b64_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()
}

/// Unpadded base64url of any length, or `None`.
pub fn b64_vec(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// `POST /phone/v1/pair`: the phone's half of the exchange.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PairRequest {
    pub v: u8,
    pub code_id: String,
    pub phone_pub: String,
    pub proof: String,
}

/// `200` to `POST /phone/v1/pair`: the relay's half, and the new phone's id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PairResponse {
    pub v: u8,
    pub phone_id: String,
    pub relay_pub: String,
    pub proof: String,
    pub confirm: String,
    /// The desktop's name, for the phone's words ("paired with …").
    pub desktop: String,
}

/// `POST /phone/v1/sealed`: one sealed request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealedRequest {
    pub v: u8,
    pub phone: String,
    /// Strictly increasing per phone (see the replay window); at most 2^53 so that
    /// JavaScript numbers hold it exactly.
    pub ctr: u64,
    pub nonce: String,
    #[serde(rename = "box")]
    pub sealed: String,
}

/// `200` to `POST /phone/v1/sealed`: the sealed answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealedResponse {
    pub v: u8,
    pub nonce: String,
    #[serde(rename = "box")]
    pub sealed: String,
}

/// Inside a sealed request: one call of the bearer API that a phone may make.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SealedCall {
    pub method: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

/// Inside a sealed answer: the status and body the bearer API would have given.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SealedReply {
    pub status: u16,
    pub body: serde_json::Value,
}

/// `GET /phone/v1/info` (no credential): what a phone page shows before pairing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PhoneInfo {
    pub desktop: String,
}

/// `POST /pairing/code` (desktop token): a new one-time pairing code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PairingCode {
    pub code: String,
    pub expires_at: i64,
}

/// One paired phone, as the desktop window lists it (never its key).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PhoneView {
    pub id: String,
    pub name: String,
    pub paired_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<i64>,
}

/// `PATCH /ui/api/phones/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PhoneRename {
    pub name: String,
}

/// A phone's name: trimmed, 1–60 characters, no control characters.
pub fn phone_name(raw: &str) -> Option<String> {
    let name = raw.trim();
    let ok = !name.is_empty() && name.chars().count() <= 60 && !name.chars().any(char::is_control);
    ok.then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_helpers() {
        let req: SealedRequest =
            serde_json::from_str(r#"{"v":1,"phone":"p","ctr":7,"nonce":"AA","box":"AQ"}"#)
                .expect("parse");
        assert_eq!(req.sealed, "AQ");
        assert_eq!(b64_array::<2>(&b64(&[1, 2])), Some([1, 2]));
        assert_eq!(b64_array::<3>(&b64(&[1, 2])), None);
        assert_eq!(b64_vec("!!"), None);
        assert_eq!(phone_name("  Pixel 8 "), Some("Pixel 8".into()));
        assert_eq!(phone_name(" "), None);
        assert_eq!(phone_name("a\nb"), None);
        assert_eq!(phone_name(&"x".repeat(61)), None);
    }
}
