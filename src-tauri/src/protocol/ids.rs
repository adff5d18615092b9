//! Identifiers and the message lifecycle (PROTOCOL.md §1, §3): types that cannot
//! hold an invalid value, so nothing downstream re-checks a device id or a message
//! id. The text rules live in [`super::text`].

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Largest HTTP body and largest WebSocket frame from an agent.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
const MAX_DEVICE_ID_LEN: usize = 64;
const MAX_MESSAGE_ID_LEN: usize = 128;

/// Milliseconds since the Unix epoch, the only time unit on the wire.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What every validated string of the wire has: `as_str`, `Display`, and serde
/// through `String` with `parse` as the gate (`why` is the error serde reports).
macro_rules! validated_string {
    ($name:ident, $why:literal) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(raw: String) -> Result<$name, InvalidId> {
                $name::parse(&raw).ok_or(InvalidId($why))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.to_string()
            }
        }
    };
}

/// A normalised, valid device id (PROTOCOL.md §1).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceId(Arc<str>);

impl DeviceId {
    /// Trim, lower-case, drop a trailing `.local`, fold white space runs into `-`,
    /// then check `[a-z0-9._-]{1,64}`.
    pub fn parse(raw: &str) -> Option<DeviceId> {
        let lowered = raw.trim().to_lowercase();
        let stem = lowered.strip_suffix(".local").unwrap_or(&lowered);
        let mut out = String::with_capacity(stem.len());
        let mut in_space = false;
        for c in stem.chars() {
            if c.is_whitespace() {
                if !in_space {
                    out.push('-');
                }
                in_space = true;
            } else {
                out.push(c);
                in_space = false;
            }
        }
        let valid = !out.is_empty()
            && out.len() <= MAX_DEVICE_ID_LEN
            && out
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        valid.then(|| DeviceId(out.into()))
    }

    /// `desktop`: the id of a machine whose host name cannot serve as one.
    pub fn fallback() -> DeviceId {
        DeviceId("desktop".into())
    }
}

validated_string!(
    DeviceId,
    "deviceId must be 1-64 characters of a-z 0-9 . _ - after normalisation"
);

/// A valid message id: 1–128 of `[A-Za-z0-9._:-]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageId(Arc<str>);

impl MessageId {
    pub fn parse(raw: &str) -> Option<MessageId> {
        let valid = !raw.is_empty()
            && raw.len() <= MAX_MESSAGE_ID_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
        valid.then(|| MessageId(raw.into()))
    }

    /// A fresh random id (UUID v4) for a message the phone sent without one.
    pub fn generate() -> MessageId {
        MessageId(uuid::Uuid::new_v4().to_string().into())
    }
}

validated_string!(
    MessageId,
    "id must be 1-128 characters of A-Z a-z 0-9 . _ : -"
);

/// Raised when a wire value is not a valid id (serde names the field).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidId(&'static str);

impl std::borrow::Borrow<str> for MessageId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// The lifecycle of a message; every stored message is in exactly one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Queued,
    Delivered,
    Injected,
    Failed,
}

impl Status {
    /// The wire (and database) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Delivered => "delivered",
            Status::Injected => "injected",
            Status::Failed => "failed",
        }
    }

    /// The status spelled `s` on the wire, if any (serde's own spelling, so the two
    /// cannot drift apart).
    pub fn parse(s: &str) -> Option<Status> {
        use serde::de::IntoDeserializer;
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            s.into_deserializer();
        Status::deserialize(de).ok()
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_are_normalised() {
        let ok = |raw: &str| DeviceId::parse(raw).map(|d| d.as_str().to_owned());
        assert_eq!(ok("  My-Laptop.local "), Some("my-laptop".into()));
        assert_eq!(ok("Office   PC"), Some("office-pc".into()));
        assert_eq!(ok("a\t b"), Some("a-b".into()));
        assert_eq!(ok("host_1.lan"), Some("host_1.lan".into()));
        assert_eq!(ok(""), None);
        assert_eq!(ok("   "), None);
        assert_eq!(ok(".local"), None);
        assert_eq!(ok("bad/slash"), None);
        assert_eq!(ok("ünïcode"), None);
        assert_eq!(ok(&"a".repeat(64)), Some("a".repeat(64)));
        assert_eq!(ok(&"a".repeat(65)), None);
    }

    #[test]
    fn message_ids_are_checked() {
        assert!(MessageId::parse("abc-123_x.y:z").is_some());
        assert!(MessageId::parse(&"a".repeat(128)).is_some());
        assert!(MessageId::parse(&"a".repeat(129)).is_none());
        assert!(MessageId::parse("").is_none());
        assert!(MessageId::parse("has space").is_none());
        assert!(MessageId::parse("slash/").is_none());
        assert!(MessageId::parse(MessageId::generate().as_str()).is_some());
    }

    #[test]
    fn statuses_and_ids_round_trip_through_serde() {
        for s in [
            Status::Queued,
            Status::Delivered,
            Status::Injected,
            Status::Failed,
        ] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).expect("json"), s.as_str());
        }
        assert_eq!(Status::parse("held"), None);
        let id: DeviceId = serde_json::from_str("\"My Desk.local\"").expect("device");
        assert_eq!(id.as_str(), "my-desk");
        assert!(serde_json::from_str::<MessageId>("\"a b\"").is_err());
    }
}
