//! The agent's socket to the relay: plain (`/ws`, the desktop token) or, for an
//! agent paired with `saytype agent --pair`, sealed (`/agent/v1/ws`): first the
//! handshake, in which the relay proves it holds this agent's key before the agent
//! sends anything but its id and a nonce, then every frame sealed and numbered.
//! A frame that does not open, or comes out of order, closes the connection.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::protocol::agent_link::{close as link_close, Handshake, SealedFrame};
use crate::protocol::sealed::{b64, b64_array, b64_vec, SEALED_VERSION};
use crate::sealed::{
    agent_proof, random, verify_proof, verify_revoked_proof, FrameChannel, FrameError,
    HANDSHAKE_NONCE_LEN, KEY_LEN, NONCE_LEN,
};

pub(super) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A paired agent's identity: the id the relay gave it and its key.
#[derive(Clone)]
pub struct PairedKey {
    pub agent_id: String,
    pub key: [u8; KEY_LEN],
}

impl std::fmt::Debug for PairedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        write!(f, "PairedKey({})", self.agent_id)
    }
}

/// Why the handshake failed. Only `Revoked` is final: every other refusal (a
/// close frame, even `4010 NOT_PAIRED`, is not authenticated) may come from
/// whoever took the relay's address, so the agent tries again later.
#[derive(Debug, thiserror::Error)]
pub(super) enum HandshakeError {
    /// The relay proved (with this agent's key, on its fresh nonce) that it
    /// revoked this agent.
    #[error("this agent is not paired with this desktop any more (the desktop revoked it): pair it again with saytype agent --pair LINK")]
    Revoked,
    #[error("the relay did not prove it holds this agent's key: it is not the desktop this agent was paired with (nothing was sent to it)")]
    Unproven,
    #[error("the handshake failed: {0}")]
    Failed(String),
}

/// Why reading failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum LinkError {
    #[error(transparent)]
    Ws(#[from] tungstenite::Error),
    #[error("{0} (connection closed)")]
    Refused(FrameError),
}

/// The socket; `sealed` once a paired agent's handshake is done.
pub(super) struct Link {
    ws: Socket,
    sealed: Option<Box<FrameChannel>>,
}

impl Link {
    pub(super) fn plain(ws: Socket) -> Link {
        Link { ws, sealed: None }
    }

    fn socket(&mut self) -> &mut Socket {
        &mut self.ws
    }

    pub(super) fn set_nodelay(&mut self) {
        if let MaybeTlsStream::Plain(tcp) = self.socket().get_mut() {
            // ACKs are tiny and latency-critical.
            let _ = tcp.set_nodelay(true);
        }
    }

    pub(super) async fn send_text(&mut self, text: String) -> Result<(), tungstenite::Error> {
        let text = match &mut self.sealed {
            None => text,
            Some(channel) => {
                let nonce = random::<NONCE_LEN>()
                    .map_err(|e| tungstenite::Error::Io(std::io::Error::other(e)))?;
                let (ctr, boxed) = channel.seal(&nonce, text.as_bytes());
                SealedFrame {
                    v: SEALED_VERSION,
                    ctr,
                    nonce: b64(&nonce),
                    sealed: b64(&boxed),
                }
                .to_json()
            }
        };
        self.socket().send(Message::Text(text.into())).await
    }

    /// The next message, text opened; a refused frame closes the connection.
    pub(super) async fn next(&mut self) -> Option<Result<Message, LinkError>> {
        let msg = match self.socket().next().await? {
            Ok(msg) => msg,
            Err(e) => return Some(Err(e.into())),
        };
        let Some(channel) = &mut self.sealed else {
            return Some(Ok(msg));
        };
        let opened = match msg {
            Message::Text(text) => SealedFrame::parse::<NONCE_LEN>(text.as_str())
                .ok_or(FrameError::Forged)
                .and_then(|(ctr, nonce, boxed)| channel.open(ctr, &nonce, &boxed))
                .and_then(|plain| String::from_utf8(plain).map_err(|_| FrameError::Forged)),
            Message::Binary(_) => Err(FrameError::Forged),
            other => return Some(Ok(other)),
        };
        match opened {
            Ok(text) => Some(Ok(Message::Text(text.into()))),
            Err(e) => {
                let (code, reason) = match e {
                    FrameError::Forged => (link_close::SEAL_INVALID, "SEAL_INVALID"),
                    FrameError::Replayed { .. } => (link_close::REPLAYED, "REPLAYED"),
                };
                tracing::warn!("refused a frame from the relay: {e}");
                self.close(code, reason).await;
                Some(Err(LinkError::Refused(e)))
            }
        }
    }

    pub(super) async fn close(&mut self, code: u16, reason: &str) {
        let frame = CloseFrame {
            code: code.into(),
            reason: reason.to_owned().into(),
        };
        let _ = self.socket().close(Some(frame)).await;
    }
}

async fn next_text(ws: &mut Socket) -> Result<String, HandshakeError> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text.to_string()),
            Some(Ok(Message::Close(Some(frame))))
                if u16::from(frame.code) == link_close::NOT_PAIRED =>
            {
                return Err(HandshakeError::Failed(format!(
                    "the relay says this agent is not paired ({}), without proof: \
                     trying again (if the desktop revoked it, pair again with saytype agent --pair LINK)",
                    frame.reason
                )))
            }
            Some(Ok(Message::Close(frame))) => {
                let why = frame.map_or("no reason".to_owned(), |f| {
                    format!("{} {}", f.code, f.reason)
                });
                return Err(HandshakeError::Failed(format!("the relay closed ({why})")));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Binary(_))) => return Err(HandshakeError::Unproven),
            Some(Err(e)) => return Err(HandshakeError::Failed(e.to_string())),
            None => return Err(HandshakeError::Failed("connection closed".into())),
        }
    }
}

/// The agent's side of the handshake; the sealed link once the relay has proven
/// itself and the agent has answered.
pub(super) async fn handshake(mut ws: Socket, paired: &PairedKey) -> Result<Link, HandshakeError> {
    let failed = |e: &dyn std::fmt::Display| HandshakeError::Failed(e.to_string());
    let agent_nonce = random::<HANDSHAKE_NONCE_LEN>().map_err(|e| failed(&e))?;
    let hello = Handshake::Hello {
        v: SEALED_VERSION,
        agent: paired.agent_id.clone(),
        nonce: b64(&agent_nonce),
    };
    ws.send(Message::Text(hello.to_json().into()))
        .await
        .map_err(|e| failed(&e))?;
    let text = next_text(&mut ws).await?;
    let (v, nonce, proof) = match Handshake::parse(&text) {
        Some(Handshake::Challenge { v, nonce, proof }) => (v, nonce, proof),
        Some(Handshake::Revoked { v, proof }) => {
            let _ = ws.close(None).await;
            let proven = v == SEALED_VERSION
                && b64_vec(&proof).is_some_and(|tag| {
                    verify_revoked_proof(&paired.key, &paired.agent_id, &agent_nonce, &tag).is_ok()
                });
            return Err(if proven {
                HandshakeError::Revoked
            } else {
                HandshakeError::Unproven
            });
        }
        _ => {
            let _ = ws.close(None).await;
            return Err(HandshakeError::Unproven);
        }
    };
    let relay_nonce: Option<[u8; HANDSHAKE_NONCE_LEN]> = b64_array(&nonce);
    let proven = match (v == SEALED_VERSION, relay_nonce, b64_vec(&proof)) {
        (true, Some(rn), Some(tag)) => {
            verify_proof(&paired.key, true, &paired.agent_id, &agent_nonce, &rn, &tag)
                .ok()
                .map(|()| rn)
        }
        _ => None,
    };
    let Some(relay_nonce) = proven else {
        let bye = CloseFrame {
            code: link_close::SEAL_INVALID.into(),
            reason: "SEAL_INVALID: the relay's proof does not match".into(),
        };
        let _ = ws.close(Some(bye)).await;
        return Err(HandshakeError::Unproven);
    };
    let answer = Handshake::Proof {
        v: SEALED_VERSION,
        proof: b64(&agent_proof(
            &paired.key,
            &paired.agent_id,
            &agent_nonce,
            &relay_nonce,
        )),
    };
    ws.send(Message::Text(answer.to_json().into()))
        .await
        .map_err(|e| failed(&e))?;
    let channel = FrameChannel::new(&paired.key, &agent_nonce, &relay_nonce, true);
    Ok(Link {
        ws,
        sealed: Some(Box::new(channel)),
    })
}
