//! `saytype agent --pair LINK`: the pairing link's one-time code turned into this
//! agent's own key (the phone's exchange, docs/sealed-link.md §2, at
//! `POST /agent/v1/pair`), kept in the data directory (`agent-pairing.json`, mode
//! 0600) with the relay's address and name, and read back on each start.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::link::PairedKey;
use crate::client::{ClientError, HttpClient};
use crate::config::{self, ConfigError};
use crate::protocol::agent_link::{AGENT_PAIR_PATH, AGENT_WS_PATH};
use crate::protocol::sealed::{b64, b64_array, PairRequest, PairResponse, SEALED_VERSION};
use crate::sealed::{phone_finish, phone_hello, random, CodeKeys, PairAnswer, SealError};

const FILE: &str = "agent-pairing.json";

/// What a paired agent keeps.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StoredPairing {
    /// The relay's `ws://HOST:PORT/agent/v1/ws`.
    pub relay: String,
    /// The relay's own device id (its name).
    pub desktop: String,
    pub agent_id: String,
    /// The agent's key, base64url.
    pub key: String,
    /// The other addresses the relay announced after the last handshake (each a
    /// `ws://HOST:PORT/agent/v1/ws`), tried when `relay` fails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relays: Vec<String>,
}

impl StoredPairing {
    pub fn paired_key(&self) -> Option<PairedKey> {
        Some(PairedKey {
            agent_id: self.agent_id.clone(),
            key: b64_array(&self.key)?,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PairingError {
    #[error("not a pairing link: {0:?} (expected http://HOST:PORT/#pair=CODE, from the window or `saytype pair`)")]
    BadLink(String),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("the relay refused the pairing ({status}): {body}")]
    Refused { status: u16, body: String },
    #[error("the relay's answer is not a pairing answer")]
    BadAnswer,
    #[error("the relay did not prove it made this pairing code: not the desktop of this link")]
    Unproven,
    #[error("the system's random number generator failed")]
    Random,
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{path}: {err}")]
    Read { path: PathBuf, err: String },
}

/// `http://HOST:PORT/#pair=CODE` → (`http://HOST:PORT`, `CODE`).
pub fn parse_link(link: &str) -> Result<(String, String), PairingError> {
    let bad = || PairingError::BadLink(link.to_owned());
    let url = url::Url::parse(link.trim()).map_err(|_| bad())?;
    let code = url
        .fragment()
        .and_then(|f| f.split('&').find_map(|kv| kv.strip_prefix("pair=")))
        .filter(|c| !c.is_empty())
        .ok_or_else(bad)?;
    let host = url
        .host_str()
        .filter(|_| url.scheme() == "http")
        .ok_or_else(bad)?;
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let port = url.port_or_known_default().unwrap_or(80);
    Ok((format!("http://{host}:{port}"), code.to_owned()))
}

/// Pair with the relay of `link`, naming this agent after `host`.
pub async fn pair(link: &str, host: &str) -> Result<StoredPairing, PairingError> {
    let (base, code) = parse_link(link)?;
    let keys = CodeKeys::derive(&code);
    let secret = random::<32>().map_err(|_| PairingError::Random)?;
    let hello = phone_hello(&keys, &secret);
    let request = PairRequest {
        v: SEALED_VERSION,
        code_id: b64(&hello.code_id),
        phone_pub: b64(&hello.phone_pub),
        proof: b64(&hello.proof),
    };
    let name: String = url::form_urlencoded::byte_serialize(host.as_bytes()).collect();
    let mut client = HttpClient::connect(&base).await?;
    let path = format!("{AGENT_PAIR_PATH}?name={name}");
    let response = client.post_json(&path, None, &request).await?;
    if !response.status.is_success() {
        return Err(PairingError::Refused {
            status: response.status.as_u16(),
            body: String::from_utf8_lossy(&response.body).into_owned(),
        });
    }
    let answer: PairResponse =
        serde_json::from_slice(&response.body).map_err(|_| PairingError::BadAnswer)?;
    let (Some(relay_pub), Some(proof), Some(confirm)) = (
        b64_array(&answer.relay_pub),
        b64_array(&answer.proof),
        b64_array(&answer.confirm),
    ) else {
        return Err(PairingError::BadAnswer);
    };
    let parts = PairAnswer {
        relay_pub,
        proof,
        confirm,
    };
    let key = phone_finish(&keys, &secret, &parts, &answer.phone_id).map_err(|e| match e {
        SealError::Random => PairingError::Random,
        _ => PairingError::Unproven,
    })?;
    Ok(StoredPairing {
        relay: format!("{}{AGENT_WS_PATH}", base.replacen("http://", "ws://", 1)),
        desktop: answer.desktop,
        agent_id: answer.phone_id,
        key: b64(&key),
        relays: Vec::new(),
    })
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

pub fn save(data_dir: &Path, pairing: &StoredPairing) -> Result<(), PairingError> {
    config::ensure_data_dir(data_dir)?;
    Ok(config::write_private_json(&path(data_dir), pairing, true)?)
}

/// Keep the addresses the relay announced with the stored pairing.
pub fn save_relays(data_dir: &Path, relays: &[String]) -> Result<(), PairingError> {
    let Some(mut stored) = load(data_dir)? else {
        return Ok(());
    };
    stored.relays = relays.to_vec();
    save(data_dir, &stored)
}

/// The stored pairing, if this agent was paired.
pub fn load(data_dir: &Path) -> Result<Option<StoredPairing>, PairingError> {
    let path = path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(PairingError::Read {
                path,
                err: e.to_string(),
            })
        }
    };
    let stored: StoredPairing = serde_json::from_str(&text).map_err(|e| PairingError::Read {
        path: path.clone(),
        err: e.to_string(),
    })?;
    if stored.paired_key().is_none() {
        return Err(PairingError::Read {
            path,
            err: "the key is not 32 bytes of base64url".into(),
        });
    }
    Ok(Some(stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links() {
        assert_eq!(
            parse_link("http://192.168.1.20:7373/#pair=abc").expect("link"),
            ("http://192.168.1.20:7373".into(), "abc".into())
        );
        assert_eq!(
            parse_link("http://[fd00::2]:1/#pair=x").expect("v6").0,
            "http://[fd00::2]:1"
        );
        for bad in [
            "http://h:1/",
            "http://h:1/#pair=",
            "ws://h:1/#pair=a",
            "nonsense",
        ] {
            assert!(parse_link(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stored_privately_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("d");
        assert!(load(&data).expect("none").is_none());
        let stored = StoredPairing {
            relay: "ws://h:1/agent/v1/ws".into(),
            desktop: "desk".into(),
            agent_id: "agent.x".into(),
            key: b64(&[7; 32]),
            relays: Vec::new(),
        };
        save(&data, &stored).expect("save");
        assert!(load(&data).expect("read") == Some(stored.clone()));
        let relays = vec!["ws://10.0.0.9:1/agent/v1/ws".to_owned()];
        save_relays(&data, &relays).expect("relays");
        assert_eq!(load(&data).expect("read").map(|s| s.relays), Some(relays));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path(&data))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
