//! A test agent speaking the WebSocket protocol (PROTOCOL.md §4) by hand over a real
//! tokio-tungstenite connection: register, read frames, ACK, watch for the close.

use std::future::Future;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{TestRelay, SOON, TOKEN};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Open a WebSocket to the relay with the token in the header (or none).
pub async fn ws_connect(
    url: &str,
    token: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    ws_connect_from(url, token, None).await
}

/// [`ws_connect`] from the local address `from` (a loopback address such as
/// 127.0.0.7: the relay caps connections per client address).
pub async fn ws_connect_from(
    url: &str,
    token: Option<&str>,
    from: Option<std::net::IpAddr>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut request = url.into_client_request()?;
    if let Some(token) = token {
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
    }
    let Some(from) = from else {
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        return Ok(ws);
    };
    let host = request.uri().host().unwrap_or("127.0.0.1").to_owned();
    let port = request.uri().port_u16().unwrap_or(80);
    let to: std::net::SocketAddr = tokio::net::lookup_host((host.as_str(), port))
        .await?
        .next()
        .ok_or_else(|| std::io::Error::other("no address"))?;
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(std::net::SocketAddr::new(from, 0))?;
    let tcp = socket.connect(to).await?;
    let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp)).await?;
    Ok(ws)
}

pub struct Agent {
    pub ws: Ws,
    pub device: String,
}

impl Agent {
    /// Connect and register; panics unless `registered` comes back.
    pub async fn register(relay: &TestRelay, device: &str) -> (Agent, Value) {
        Agent::register_at(&relay.ws_url(), device).await
    }

    /// [`Agent::register`] on any relay's `ws://…/ws` address (e.g. the real binary).
    pub async fn register_at(ws_url: &str, device: &str) -> (Agent, Value) {
        let mut agent = Agent::connect_at(ws_url).await;
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
        Agent::connect_at(&relay.ws_url()).await
    }

    pub async fn connect_at(ws_url: &str) -> Agent {
        let ws = ws_connect(ws_url, Some(TOKEN)).await.expect("ws connect");
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

    /// Receive the next frame, which must be a transcription, and ACK it.
    pub async fn ack_next(&mut self) -> Value {
        let f = self.next_json().await;
        assert_eq!(f["type"], "transcription", "{f}");
        self.ack(f["id"].as_str().expect("id")).await;
        f
    }

    /// Run `post` (a POST to this agent's device) while taking and ACKing what it
    /// sends: the POST's answer and the frame received.
    pub async fn ack_while<F: Future>(&mut self, post: F) -> (F::Output, Value) {
        tokio::join!(post, self.ack_next())
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

    /// ACK every transcription as it comes until `quiet` passes without one (or
    /// the connection ends); the ids received, in order.
    pub async fn ack_all(&mut self, quiet: Duration) -> Vec<String> {
        let mut got = Vec::new();
        loop {
            match self.next_event(quiet).await {
                Event::Json(f) if f["type"] == "transcription" => {
                    let id = f["id"].as_str().expect("id").to_owned();
                    self.ack(&id).await;
                    got.push(id);
                }
                Event::Json(_) => {}
                _ => return got,
            }
        }
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
