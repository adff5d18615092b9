//! Helpers for integration tests: a real relay on a loopback port, real WebSocket
//! agents (tokio-tungstenite) and a real HTTP client.
#![allow(dead_code, unreachable_pub)]

pub mod desktop;
pub mod served;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use saytype::client::{HttpClient, HttpResponse};
use saytype::config::RelayConfig;
use saytype::relay::Relay;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "test-token-0123456789abcdef";
pub const DEFAULT_DEVICE: &str = "desk";
/// Generous bound for things that should happen at once (CI machines can be slow).
pub const SOON: Duration = Duration::from_secs(5);

pub struct Options {
    /// `127.0.0.1:0` unless a test needs the same port across a restart.
    pub bind: SocketAddr,
    pub heartbeat: Duration,
    pub ack_timeout: Duration,
    pub registration_timeout: Duration,
    pub queue_cap: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            heartbeat: Duration::from_secs(30),
            ack_timeout: Duration::from_millis(2_000),
            registration_timeout: Duration::from_secs(10),
            queue_cap: 1_000,
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

    /// POST a transcription with the token.
    pub async fn post(&self, body: Value) -> HttpResponse {
        self.client()
            .await
            .post_json("/transcription", Some(TOKEN), &body)
            .await
            .expect("post")
    }

    pub async fn get(&self, path: &str) -> HttpResponse {
        self.client()
            .await
            .get(path, Some(TOKEN))
            .await
            .expect("get")
    }

    pub async fn status_of(&self, id: &str) -> Value {
        let r = self.get(&format!("/transcription/{id}")).await;
        assert_eq!(r.status, 200, "GET /transcription/{id}: {:?}", r.body);
        r.json().expect("json")
    }

    pub async fn devices(&self) -> Value {
        self.get("/devices").await.json().expect("json")
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

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Open a WebSocket to the relay with the token in the header (or none).
pub async fn ws_connect(
    url: &str,
    token: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut request = url.into_client_request()?;
    if let Some(token) = token {
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
    }
    let (ws, _) = tokio_tungstenite::connect_async(request).await?;
    Ok(ws)
}

/// A test agent speaking the protocol by hand.
pub struct Agent {
    pub ws: Ws,
    pub device: String,
}

impl Agent {
    /// Connect and register; panics unless `registered` comes back.
    pub async fn register(relay: &TestRelay, device: &str) -> (Agent, Value) {
        let mut agent = Agent::connect(relay).await;
        agent
            .send_json(json!({"type": "register", "deviceId": device}))
            .await;
        let registered = agent.next_json().await;
        assert_eq!(registered["type"], "registered", "{registered}");
        agent.device = registered["deviceId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (agent, registered)
    }

    pub async fn connect(relay: &TestRelay) -> Agent {
        let ws = ws_connect(&relay.ws_url(), Some(TOKEN))
            .await
            .expect("ws connect");
        Agent {
            ws,
            device: String::new(),
        }
    }

    pub async fn send_json(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("ws send");
    }

    pub async fn ack(&mut self, id: &str) {
        self.send_json(json!({"type": "ack", "id": id})).await;
    }

    /// Next JSON text frame (pings are answered by tungstenite along the way).
    pub async fn next_json(&mut self) -> Value {
        match self.next_event(SOON).await {
            Event::Json(v) => v,
            other => panic!("expected a JSON frame, got {other:?}"),
        }
    }

    pub async fn next_event(&mut self, within: Duration) -> Event {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next()).await;
            return match next {
                Err(_) => Event::Silence,
                Ok(None) => Event::Closed(None),
                Ok(Some(Err(_))) => Event::Closed(None),
                Ok(Some(Ok(Message::Text(t)))) => {
                    Event::Json(serde_json::from_str(t.as_str()).expect("relay sends JSON"))
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    Event::Closed(frame.map(|f| (u16::from(f.code), f.reason.to_string())))
                }
                Ok(Some(Ok(_))) => continue, // ping/pong
            };
        }
    }

    /// Receive `n` transcription frames and return their ids (no ACKs sent).
    pub async fn take_transcriptions(&mut self, n: usize) -> Vec<String> {
        let mut ids = Vec::with_capacity(n);
        while ids.len() < n {
            let f = self.next_json().await;
            assert_eq!(f["type"], "transcription", "{f}");
            ids.push(f["id"].as_str().expect("id").to_owned());
        }
        ids
    }

    /// Wait for the relay to close this connection; returns the close code.
    pub async fn closed_with(&mut self) -> Option<u16> {
        loop {
            match self.next_event(SOON).await {
                Event::Closed(c) => return c.map(|c| c.0),
                Event::Json(_) => continue,
                Event::Silence => panic!("the relay did not close the connection"),
            }
        }
    }

    /// Nothing arrives for a while (and the connection stays open).
    pub async fn expect_silence(&mut self, within: Duration) {
        match self.next_event(within).await {
            Event::Silence => {}
            other => panic!("expected silence, got {other:?}"),
        }
    }
}

#[derive(Debug)]
pub enum Event {
    Json(Value),
    Closed(Option<(u16, String)>),
    Silence,
}

pub fn close_code(code: CloseCode) -> u16 {
    u16::from(code)
}

/// Poll `check` until it holds or `SOON` passes.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + SOON;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}
