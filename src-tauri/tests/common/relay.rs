//! An in-process relay (`relay::Relay`) on a loopback port, with the tests' token.

use std::net::SocketAddr;
use std::time::Duration;

use saytype::client::{HttpClient, HttpResponse};
use saytype::config::RelayConfig;
use saytype::relay::Relay;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::{RelayClient, DEFAULT_DEVICE, TOKEN};

#[derive(Clone)]
pub struct Options {
    /// `127.0.0.1:0` unless a test needs the same port across a restart.
    pub bind: SocketAddr,
    pub heartbeat: Duration,
    pub ack_timeout: Duration,
    pub registration_timeout: Duration,
    pub queue_cap: usize,
    pub limits: saytype::config::ConnLimits,
    pub storage: saytype::config::StorageLimits,
    /// Messages that waited this long when their device comes back are held.
    pub hold_after: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            heartbeat: Duration::from_secs(30),
            ack_timeout: Duration::from_millis(2_000),
            registration_timeout: Duration::from_secs(10),
            queue_cap: 1_000,
            limits: saytype::config::ConnLimits::default(),
            storage: saytype::config::StorageLimits::default(),
            hold_after: Some(saytype::config::DEFAULT_HOLD_AFTER),
        }
    }
}

pub struct TestRelay {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    relay: Option<Relay>,
    pub dir: tempfile::TempDir,
}

impl TestRelay {
    pub async fn start() -> TestRelay {
        TestRelay::with(Options::default()).await
    }

    pub async fn with(opts: Options) -> TestRelay {
        let dir = tempfile::tempdir().expect("tempdir");
        TestRelay::on_dir(dir, opts).await
    }

    /// A relay on an existing data directory (to test restarts).
    pub async fn on_dir(dir: tempfile::TempDir, opts: Options) -> TestRelay {
        let mut config = RelayConfig::new(dir.path().to_path_buf(), None).expect("config");
        config.bind = opts.bind;
        config.token = TOKEN.into();
        config.default_device = saytype::protocol::DeviceId::parse(DEFAULT_DEVICE).expect("id");
        config.heartbeat = opts.heartbeat;
        config.ack_timeout = opts.ack_timeout;
        config.registration_timeout = opts.registration_timeout;
        config.queue_cap = opts.queue_cap;
        config.limits = opts.limits;
        config.storage = opts.storage;
        config.hold_after = opts.hold_after;
        let shutdown = CancellationToken::new();
        let relay = Relay::start(config, shutdown.clone())
            .await
            .expect("relay starts");
        TestRelay {
            addr: relay.local_addr(),
            shutdown,
            relay: Some(relay),
            dir,
        }
    }

    /// The running relay's state (store, registry).
    pub fn state(&self) -> &saytype::relay::RelayState {
        self.relay.as_ref().expect("running").state()
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub async fn client(&self) -> HttpClient {
        HttpClient::connect(&self.http_url())
            .await
            .expect("http connect")
    }

    /// A client with the token: post, read and wait for statuses.
    pub fn api(&self) -> RelayClient {
        RelayClient::new(&self.http_url(), TOKEN)
    }

    /// POST a transcription with the token.
    pub async fn post(&self, body: Value) -> HttpResponse {
        self.api().post(&body).await
    }

    pub async fn get(&self, path: &str) -> HttpResponse {
        self.api().get(path).await
    }

    pub async fn status_of(&self, id: &str) -> Value {
        self.api().status(id).await
    }

    /// Wait until message `id` has status `want` (or has settled otherwise).
    pub async fn wait_status(&self, id: &str, want: &str) -> Value {
        self.api().wait_status(id, want).await
    }

    pub async fn devices(&self) -> Value {
        self.get("/devices").await.json().expect("json")
    }

    /// Whether an agent is registered as `device`, asked of the relay itself (also
    /// while it is stopping and answers no HTTP any more).
    pub fn is_online(&self, device: &str) -> bool {
        self.relay.as_ref().is_some_and(|r| {
            r.state()
                .registry()
                .devices()
                .iter()
                .any(|d| d.device_id.as_str() == device && d.online)
        })
    }

    /// Start a graceful stop; [`TestRelay::stop`] waits for its end.
    pub fn begin_stop(&self) {
        self.shutdown.cancel();
    }

    /// Graceful stop; returns the data directory for a restart.
    pub async fn stop(mut self) -> tempfile::TempDir {
        self.shutdown.cancel();
        if let Some(relay) = self.relay.take() {
            tokio::time::timeout(Duration::from_secs(10), relay.wait())
                .await
                .expect("relay stops in time")
                .expect("relay stops cleanly");
        }
        self.dir
    }
}
