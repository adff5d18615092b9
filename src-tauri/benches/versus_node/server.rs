//! The two servers under test (the real `saytype serve` and the seed's Node stack),
//! and an agent that connects to either.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use saytype::client::HttpClient;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::{served, Ws, TOKEN};

/// One of the two servers under test.
pub(crate) enum Server {
    SayType {
        served: served::Served,
        _dir: tempfile::TempDir,
    },
    Node {
        child: Child,
        url: String,
    },
}

impl Server {
    /// `saytype serve --no-agent` on a fresh data directory.
    pub(crate) fn saytype() -> Server {
        let (served, dir) = crate::load::spawn_relay();
        Server::SayType { served, _dir: dir }
    }

    /// `node server.js --port 0` from the peer-node directory.
    pub(crate) fn node(dir: &str) -> Server {
        let mut child = Command::new("node")
            .arg(format!("{dir}/server.js"))
            .args(["--port", "0", "--host", "127.0.0.1"])
            .env("SAYTYPE_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node (scripts/setup.sh installs it)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("node's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("node did not start: {line:?}"))
            .to_owned();
        Server::Node { child, url }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Server::SayType { .. } => "SayType",
            Server::Node { .. } => "Node",
        }
    }

    pub(crate) fn url(&self) -> &str {
        match self {
            Server::SayType { served, .. } => &served.url,
            Server::Node { url, .. } => url,
        }
    }

    pub(crate) fn ws_url(&self) -> String {
        format!("{}/ws", self.url().replacen("http://", "ws://", 1))
    }

    pub(crate) fn pid(&self) -> u32 {
        match self {
            Server::SayType { served, .. } => served.child.id(),
            Server::Node { child, .. } => child.id(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        match self {
            Server::Node { child, .. } => {
                let _ = child.kill();
                let _ = child.wait();
            }
            // A failed run shows the relay's log.
            Server::SayType { served, .. } if std::thread::panicking() => {
                eprintln!("the relay's log:\n{}", served.stderr());
            }
            Server::SayType { .. } => {}
        }
    }
}

/// A WebSocket agent with TCP_NODELAY, from loopback address `from` (SayType admits
/// at most 128 connections per client address; real agents come from many machines),
/// registered as `device`. Node answers a registration with nothing, so the caller
/// waits for [`wait_online`] rather than for a `registered` frame.
pub(crate) async fn connect_agent(ws_url: &str, device: &str, from: Ipv4Addr) -> Ws {
    let mut request = ws_url.into_client_request().expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("header"),
    );
    let to: std::net::SocketAddr = tokio::net::lookup_host(
        request
            .uri()
            .authority()
            .expect("authority")
            .as_str()
            .to_owned(),
    )
    .await
    .expect("lookup")
    .next()
    .expect("address");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(std::net::SocketAddr::new(IpAddr::V4(from), 0))
        .expect("bind");
    let tcp = socket.connect(to).await.expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let (mut ws, _) =
        tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
            .await
            .expect("handshake");
    crate::load::register(&mut ws, device).await;
    ws
}

/// Wait until the server lists `count` devices online.
pub(crate) async fn wait_online(server: &Server, count: usize) {
    let mut client = HttpClient::connect(server.url()).await.expect("connect");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let online = crate::load::online(&crate::load::devices(&mut client).await);
        if online >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{}: {online}/{count} agents online",
            server.name()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
