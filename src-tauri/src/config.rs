//! Settings with their defaults, the data directory and the pairing token.
//!
//! Nothing here reads the environment: `SAYTYPE_DATA_DIR` and `SAYTYPE_TOKEN` are
//! read once, at the command line's edge, and arrive here as parameters.

use std::fs;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// Why the data directory or a file in it could not be prepared. The messages carry
/// their cause, so they read whole wherever they are shown.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot create {}: {err}", path.display())]
    CreateDir { path: PathBuf, err: io::Error },
    #[error("cannot restrict {}: {err}", path.display())]
    Restrict { path: PathBuf, err: io::Error },
    #[error(
        "{} can be written by other users, so SayType will not keep its token and history \
         there: use a directory only you can write to (chmod go-w it), or another --data-dir",
        path.display()
    )]
    SharedDir { path: PathBuf },
    #[error("{} is not a directory", path.display())]
    NotADir { path: PathBuf },
    #[error("cannot write {}: {err}", path.display())]
    Write { path: PathBuf, err: io::Error },
    #[error("cannot encode {}: {err}", path.display())]
    Encode {
        path: PathBuf,
        err: serde_json::Error,
    },
    #[error("no randomness: {0}")]
    Random(getrandom::Error),
}

/// The relay's connection limits (defaults for a laptop; tests use short ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnLimits {
    /// Time a client has to send a complete request head: from the connection's
    /// start, and again after each response while the connection is kept alive (so
    /// this is also the idle keep-alive timeout: hyper runs this timer whenever it
    /// waits for a request).
    pub header_timeout: Duration,
    /// Time a client has to send a request body once its head is in.
    pub body_timeout: Duration,
    /// Open connections (HTTP and WebSocket) in total.
    pub max_connections: usize,
    /// Open connections from one client address (one IPv6 /64: a single machine
    /// can hold a whole /64).
    pub max_per_address: usize,
}

impl Default for ConnLimits {
    fn default() -> ConnLimits {
        ConnLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            // Far above a household's phones and agents, far below what a laptop's
            // memory and file descriptors allow (about 20 KB each while idle).
            max_connections: 4_096,
            // A browser opens up to 6, an agent 1; the desktop itself (window,
            // local agent, `saytype send`) a few more.
            max_per_address: 128,
        }
    }
}

/// How much the relay's store may hold (defaults for a laptop; tests use small ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageLimits {
    /// Finished messages (delivered, injected, failed) older than this are pruned.
    pub history_days: u32,
    /// At most this many finished messages are kept, the newest.
    pub history_messages: u32,
    /// At most this many bytes of finished messages' text are kept, the newest.
    pub history_bytes: u64,
    /// Queued (not yet ACKed) bytes one device may have waiting: `429 QUEUE_FULL`.
    pub queued_bytes_per_device: usize,
    /// Queued bytes of all devices together: `507 STORAGE_FULL`.
    pub queued_bytes_total: usize,
    /// The database file's ceiling (SQLite's `max_page_count`): `507 STORAGE_FULL`.
    pub max_db_bytes: u64,
    /// Devices the relay remembers; past this, idle ones are forgotten (see
    /// `relay::registry`'s `forget_beyond`).
    pub max_known_devices: usize,
}

impl Default for StorageLimits {
    fn default() -> StorageLimits {
        StorageLimits {
            history_days: 30,
            history_messages: 10_000,
            history_bytes: 64 * 1024 * 1024,
            // 8 MiB is hundreds of long dictations; a full queue of 1,000 of the
            // longest texts (40 KB each) would be 40 MB.
            queued_bytes_per_device: 8 * 1024 * 1024,
            queued_bytes_total: 64 * 1024 * 1024,
            max_db_bytes: 512 * 1024 * 1024,
            max_known_devices: 256,
        }
    }
}

/// The async runtime's worker threads for `serve` and the tray app (the
/// `SAYTYPE_WORKER_THREADS` environment variable overrides it for `serve`).
///
/// One, because a phone's message crosses several tasks (the HTTP request, the
/// agent's WebSocket writer and reader, the answer): on one thread each hand-over is
/// a queue push, on two it is often a futex wake of a sleeping core. Measured on an
/// idle 2-core machine (`scripts/bench-versus-node.sh`, 2026-12-02): sequential
/// POST→ACK→200 p50 67 µs with one worker against 174–179 µs with two (Node: 200–216
/// µs), p99 288 against 322–565 µs, while throughput with 50 agents × 32 senders
/// drops from ~17,000 to ~11,500 msg/s — a hundred times more than a desktop's
/// phones send. SQLite work runs on the caller's thread in short group commits, and
/// nothing in the relay blocks a worker for long.
pub const RELAY_WORKER_THREADS: usize = 1;

/// How long a message may wait for its desktop before it is held (issue 13).
pub const DEFAULT_HOLD_AFTER: Duration = Duration::from_secs(60);

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
    /// Accept the desktop token from other machines too (`serve
    /// --allow-bearer-from-network`); by default only from loopback, since phones
    /// and remote agents pair with keys of their own.
    pub allow_bearer_from_network: bool,
    /// Connection caps and request timeouts.
    pub limits: ConnLimits,
    /// History retention and storage caps.
    pub storage: StorageLimits,
    /// A message that waited at least this long when its device comes back is
    /// held, not typed (`None`: never held).
    pub hold_after: Option<Duration>,
}

impl RelayConfig {
    /// Defaults for a relay on `data_dir`. Its token is `token_override` when given
    /// (`SAYTYPE_TOKEN`), else the data directory's, created on first start.
    pub fn new(
        data_dir: PathBuf,
        token_override: Option<String>,
    ) -> Result<RelayConfig, ConfigError> {
        let token = load_or_create_token(&data_dir, token_override)?;
        Ok(RelayConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), DEFAULT_PORT),
            data_dir,
            token,
            default_device: local_device_id(),
            heartbeat: DEFAULT_HEARTBEAT,
            ack_timeout: DEFAULT_ACK_TIMEOUT,
            registration_timeout: REGISTRATION_TIMEOUT,
            queue_cap: DEFAULT_QUEUE_CAP,
            allow_bearer_from_network: false,
            limits: ConnLimits::default(),
            storage: StorageLimits::default(),
            hold_after: Some(DEFAULT_HOLD_AFTER),
        })
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("saytype.db")
    }
}

/// The platform's data directory (`~/.local/share/saytype` on Linux): the default
/// when neither `--data-dir` nor `SAYTYPE_DATA_DIR` names one.
pub fn platform_data_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "saytype")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".saytype"))
}

/// Create the data directory, readable by its owner only (it holds the token and the
/// text history).
///
/// Only a directory SayType creates is made 0700: an existing one is the user's (a
/// `--data-dir /tmp` once made /tmp 0700 for everyone). An existing directory that
/// every user can write to (`o+w`, like /tmp) is refused: anyone could swap the
/// database or the token there. A group-writable one is accepted: Debian and Ubuntu
/// give each user a group of their own and a umask of 002, so `mkdir` makes 0775.
pub fn ensure_data_dir(dir: &Path) -> Result<(), ConfigError> {
    match fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => Err(ConfigError::NotADir {
            path: dir.to_owned(),
        }),
        Ok(meta) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if meta.permissions().mode() & 0o002 != 0 {
                    return Err(ConfigError::SharedDir {
                        path: dir.to_owned(),
                    });
                }
            }
            #[cfg(not(unix))]
            let _ = meta;
            Ok(())
        }
        Err(_) => {
            fs::create_dir_all(dir).map_err(|err| ConfigError::CreateDir {
                path: dir.to_owned(),
                err,
            })?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|err| {
                    ConfigError::Restrict {
                        path: dir.to_owned(),
                        err,
                    }
                })?;
            }
            Ok(())
        }
    }
}

/// Create `path` if it is missing, readable and writable by its owner only, and
/// take that mode from an older file. For the databases this is enough: SQLite
/// creates the `-wal` and `-shm` files beside one with the database file's mode.
pub fn private_file(path: &Path) -> Result<fs::File, ConfigError> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).map_err(|err| ConfigError::Write {
        path: path.to_owned(),
        err,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(|err| ConfigError::Restrict {
                path: path.to_owned(),
                err,
            })?;
    }
    Ok(file)
}

/// This machine's device id: its normalised host name, or `desktop` if the host name
/// cannot be used as one.
pub fn local_device_id() -> DeviceId {
    let host = gethostname::gethostname();
    DeviceId::parse(&host.to_string_lossy()).unwrap_or_else(DeviceId::fallback)
}

/// The pairing token: `token_override` if given (`SAYTYPE_TOKEN`), else the one in
/// the data directory, created on first start (256 random bits, URL-safe base64,
/// mode 0600).
pub fn load_or_create_token(
    data_dir: &Path,
    token_override: Option<String>,
) -> Result<String, ConfigError> {
    if let Some(token) = token_override.or_else(|| stored_token(data_dir)) {
        return Ok(token);
    }
    let token = new_token()?;
    store_token(data_dir, &token)?;
    Ok(token)
}

/// Save a token as the data directory's (a rotation, or the first start).
pub fn store_token(data_dir: &Path, token: &str) -> Result<(), ConfigError> {
    ensure_data_dir(data_dir)?;
    write_private(&data_dir.join(TOKEN_FILE), token)
}

/// The data directory's token, if it has one.
pub fn stored_token(data_dir: &Path) -> Option<String> {
    let stored = fs::read_to_string(data_dir.join(TOKEN_FILE)).ok()?;
    Some(stored.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A fresh random token.
pub fn new_token() -> Result<String, ConfigError> {
    use base64::Engine;
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(ConfigError::Random)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Write a file that only its owner can read, atomically (temp file + rename).
pub fn write_private(path: &Path, contents: &str) -> Result<(), ConfigError> {
    let tmp = path.with_extension("tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&tmp).and_then(|mut file| {
        file.write_all(contents.as_bytes())?;
        file.sync_all()
    });
    written.map_err(|err| ConfigError::Write {
        path: tmp.clone(),
        err,
    })?;
    fs::rename(&tmp, path).map_err(|err| ConfigError::Write {
        path: path.to_owned(),
        err,
    })
}

/// Write `value` as JSON with [`write_private`] (`pretty` for files people read).
pub fn write_private_json<T: serde::Serialize>(
    path: &Path,
    value: &T,
    pretty: bool,
) -> Result<(), ConfigError> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    let text = text.map_err(|err| ConfigError::Encode {
        path: path.to_owned(),
        err,
    })?;
    write_private(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_created_once_and_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let first = load_or_create_token(&data, None).expect("token");
        assert!(first.len() >= 22, "at least 128 bits");
        assert!(first
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(load_or_create_token(&data, None).expect("token"), first);
        assert_eq!(stored_token(&data).as_deref(), Some(first.as_str()));
        let given = load_or_create_token(&data, Some("given".into())).expect("token");
        assert_eq!(given, "given", "an override wins over the stored token");
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
