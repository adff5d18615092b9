//! The accept loop: every connection is admitted against the caps of
//! [`super::limits`] (or closed at once), then served by hyper's HTTP/1 server with a
//! header-read timeout, a bounded read buffer and upgrades (the agents' `/ws`).
//!
//! axum's own `serve` offers none of these knobs, so this is the few lines of it we
//! need: the router is the same [`super::router::router`], each request gets the
//! client's address as `ConnectInfo`, and on shutdown each connection finishes the
//! request it is serving and closes.

use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;

use super::limits::{Admission, ConnLimits, Slot};
use super::{router, RelayState};

/// Most bytes hyper buffers while reading a request head (its default is 400 KB:
/// a half-sent head then costs that much memory until its timeout).
const MAX_READ_BUFFER: usize = 32 * 1024;

/// Connections the kernel queues before the accept loop takes them. Tokio's
/// default of 1,024 fills under a burst of connections, and then a phone's SYN is
/// dropped and retried only a second later; the kernel caps this at `somaxconn`.
const LISTEN_BACKLOG: u32 = 4_096;

/// Listen on `addr` (with `SO_REUSEADDR`, as tokio's `TcpListener::bind` does, so a
/// restarted relay gets its port back at once).
pub(super) fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serve until the relay's shutdown token fires, then let in-flight requests finish.
pub(super) async fn serve(listener: TcpListener, state: RelayState) -> std::io::Result<()> {
    let limits = state.config().limits;
    let admission = Admission::new(limits);
    let app = router::router(state.clone());
    let shutdown = state.shutdown().clone();
    let connections = TaskTracker::new();
    loop {
        let (tcp, peer) = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was
                    // accepted: wait a moment rather than spin, keep serving.
                    tracing::debug!("accept failed: {e}");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(Duration::from_millis(20)) => continue,
                    }
                }
            },
        };
        let slot = match admission.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(refusal) => {
                // Closed at once: it costs the relay nothing further.
                tracing::debug!(%peer, "connection refused: {refusal}");
                continue;
            }
        };
        // Small request/response pairs: Nagle's algorithm would only add latency.
        let _ = tcp.set_nodelay(true);
        let io = Admitted { tcp, _slot: slot };
        connections.spawn(serve_connection(
            io,
            peer,
            app.clone(),
            limits,
            shutdown.clone(),
        ));
    }
    connections.close();
    connections.wait().await;
    Ok(())
}

async fn serve_connection(
    io: Admitted,
    peer: SocketAddr,
    app: Router,
    limits: ConnLimits,
    shutdown: CancellationToken,
) {
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(peer));
        // A `Router` is always ready: no `poll_ready` needed before `call`.
        app.clone().call(req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_READ_BUFFER);
    let mut conn = pin!(builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades());
    let served = tokio::select! {
        served = conn.as_mut() => served,
        () = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = served {
        // Timeouts, resets and malformed requests: the client's business.
        tracing::debug!(%peer, "connection ended: {e}");
    }
}

/// A socket with its admission slot: the slot is freed when the socket is dropped,
/// also after an upgrade (hyper hands the socket to the WebSocket then).
struct Admitted {
    tcp: TcpStream,
    _slot: Slot,
}

impl AsyncRead for Admitted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Admitted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}
