//! Settings with their defaults, the data directory and the pairing token.

use std::fs;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use crate::protocol::DeviceId;

/// The relay's port when none is given. Arbitrary but fixed, so phones and agents
/// that paired once find the relay again after a restart.
pub const DEFAULT_PORT: u16 = 7373;
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(30);
pub const DEFAULT_ACK_TIMEOUT: Duration = Duration::from_millis(5_000);
pub const REGISTRATION_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_QUEUE_CAP: usize = 1_000;
const TOKEN_FILE: &str = "token";
const TOKEN_BYTES: usize = 32;

/// Everything the relay needs to run.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub token: String,
    /// Where `POST /transcription` without a `deviceId` goes (the local agent).
    pub default_device: DeviceId,
    pub heartbeat: Duration,
    pub ack_timeout: Duration,
    pub registration_timeout: Duration,
    pub queue_cap: usize,
}

impl RelayConfig {
    /// Defaults for a relay on `data_dir`, reading or creating its token.
    pub fn new(data_dir: PathBuf) -> anyhow::Result<RelayConfig> {
        let token = load_or_create_token(&data_dir)?;
        Ok(RelayConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), DEFAULT_PORT),
            data_dir,
            token,
            default_device: local_device_id(),
            heartbeat: DEFAULT_HEARTBEAT,
            ack_timeout: DEFAULT_ACK_TIMEOUT,
            registration_timeout: REGISTRATION_TIMEOUT,
            queue_cap: DEFAULT_QUEUE_CAP,
        })
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("saytype.db")
    }
}

/// The data directory: `SAYTYPE_DATA_DIR`, else the platform's
/// (`~/.local/share/saytype` on Linux).
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SAYTYPE_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "saytype")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".saytype"))
}

/// Create the data directory, readable by its owner only (it holds the token and the
/// text history).
pub fn ensure_data_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", dir.display()))?;
    }
    Ok(())
}

/// This machine's device id: its normalised host name, or `desktop` if the host name
/// cannot be used as one.
pub fn local_device_id() -> DeviceId {
    let host = gethostname::gethostname();
    DeviceId::parse(&host.to_string_lossy()).unwrap_or_else(DeviceId::fallback)
}

/// The pairing token: `SAYTYPE_TOKEN` if set, else the one in the data directory,
/// created on first start (256 random bits, URL-safe base64, mode 0600).
pub fn load_or_create_token(data_dir: &Path) -> anyhow::Result<String> {
    if let Some(token) = existing_token(data_dir) {
        return Ok(token);
    }
    let token = new_token()?;
    store_token(data_dir, &token)?;
    Ok(token)
}

/// Save a token as the data directory's (a rotation, or the first start).
pub fn store_token(data_dir: &Path, token: &str) -> anyhow::Result<()> {
    ensure_data_dir(data_dir)?;
    write_private(&data_dir.join(TOKEN_FILE), token)
}

/// The token in force, if there is one: `SAYTYPE_TOKEN`, else the data directory's.
pub fn existing_token(data_dir: &Path) -> Option<String> {
    if let Some(t) = std::env::var("SAYTYPE_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
    {
        return Some(t);
    }
    let stored = fs::read_to_string(data_dir.join(TOKEN_FILE)).ok()?;
    Some(stored.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A fresh random token.
pub fn new_token() -> anyhow::Result<String> {
    use base64::Engine;
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Write a file that only its owner can read, atomically (temp file + rename).
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_created_once_and_private() {
        // SAYTYPE_TOKEN is not set in the test environment of this crate.
        if std::env::var_os("SAYTYPE_TOKEN").is_some() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let first = load_or_create_token(&data).expect("token");
        assert!(first.len() >= 22, "at least 128 bits");
        assert!(first
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(load_or_create_token(&data).expect("token"), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(data.join(TOKEN_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_ne!(new_token().expect("token"), first);
    }
}
