//! The socket `/ws`'s loop reads and writes: the agent's WebSocket as it is (the
//! bearer token's `/ws`), or sealed (a paired agent's `/agent/v1/ws`, after the
//! handshake): each text frame sealed on the way out and opened on the way in,
//! with a frame that does not open, or comes out of order, ending the connection
//! with its close code. And what the connection proved, to notice its revocation.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use futures_util::SinkExt;

use crate::protocol::agent_link::{close as link_close, SealedFrame};
use crate::protocol::close;
use crate::protocol::sealed::{b64, SEALED_VERSION};
use crate::protocol::ui::UiEvent;
use crate::relay::RelayState;
use crate::sealed::{random, FrameChannel, FrameError, NONCE_LEN};

/// A sealed frame refused: the connection ends with this close code and reason.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct LinkRefused {
    pub code: u16,
    pub reason: &'static str,
}

impl From<FrameError> for LinkRefused {
    fn from(e: FrameError) -> LinkRefused {
        match e {
            FrameError::Forged => LinkRefused {
                code: link_close::SEAL_INVALID,
                reason: "SEAL_INVALID: a sealed frame does not verify",
            },
            FrameError::Replayed { .. } => LinkRefused {
                code: link_close::REPLAYED,
                reason: "REPLAYED: a sealed frame came out of order",
            },
        }
    }
}

/// The socket; `sealed` for a paired agent's connection (boxed: idle plain
/// connections stay small).
pub struct AgentSocket {
    ws: WebSocket,
    sealed: Option<Box<FrameChannel>>,
}

impl AgentSocket {
    pub fn plain(ws: WebSocket) -> AgentSocket {
        AgentSocket { ws, sealed: None }
    }

    pub fn sealed(ws: WebSocket, channel: FrameChannel) -> AgentSocket {
        AgentSocket {
            ws,
            sealed: Some(Box::new(channel)),
        }
    }

    pub async fn recv(&mut self) -> Option<Result<Message, axum::Error>> {
        let msg = self.ws.recv().await?;
        Some(match &mut self.sealed {
            None => msg,
            Some(channel) => msg.and_then(|msg| open(channel, msg)),
        })
    }

    pub async fn send(&mut self, msg: Message) -> Result<(), axum::Error> {
        self.feed(msg).await?;
        self.flush().await
    }

    pub async fn feed(&mut self, msg: Message) -> Result<(), axum::Error> {
        let msg = match &mut self.sealed {
            None => msg,
            Some(channel) => seal(channel, msg)?,
        };
        self.ws.feed(msg).await
    }

    pub async fn flush(&mut self) -> Result<(), axum::Error> {
        self.ws.flush().await
    }
}

fn open(channel: &mut FrameChannel, msg: Message) -> Result<Message, axum::Error> {
    let forged = || axum::Error::new(LinkRefused::from(FrameError::Forged));
    match msg {
        Message::Text(text) => {
            let (ctr, nonce, boxed) =
                SealedFrame::parse::<NONCE_LEN>(text.as_str()).ok_or_else(forged)?;
            let plain = channel
                .open(ctr, &nonce, &boxed)
                .map_err(|e| axum::Error::new(LinkRefused::from(e)))?;
            let plain = String::from_utf8(plain).map_err(|_| forged())?;
            Ok(Message::Text(plain.into()))
        }
        Message::Binary(_) => Err(forged()),
        other => Ok(other),
    }
}

fn seal(channel: &mut FrameChannel, msg: Message) -> Result<Message, axum::Error> {
    let Message::Text(text) = msg else {
        return Ok(msg);
    };
    let nonce = random::<NONCE_LEN>().map_err(axum::Error::new)?;
    let (ctr, boxed) = channel.seal(&nonce, text.as_bytes());
    let frame = SealedFrame {
        v: SEALED_VERSION,
        ctr,
        nonce: b64(&nonce),
        sealed: b64(&boxed),
    };
    Ok(Message::Text(frame.to_json().into()))
}

/// What a connection was authenticated with.
pub enum Auth {
    /// The desktop token (`/ws`): ends when the token is rotated.
    Token(Arc<str>),
    /// A paired agent's key (`/agent/v1/ws`): ends when the agent is revoked.
    Agent(String),
}

/// Resolves (with the close code and reason) when what the connection proved is
/// revoked.
pub type Revoked = Pin<Box<dyn Future<Output = (u16, &'static str)> + Send>>;

impl Auth {
    /// Still valid now (checked again at registration).
    pub fn current(&self, state: &RelayState) -> bool {
        match self {
            Auth::Token(token) => state.current_token() == *token,
            Auth::Agent(_) => true,
        }
    }

    pub fn revoked(&self, state: &RelayState) -> Revoked {
        match self {
            Auth::Token(_) => {
                let mut tokens = state.token_watch();
                tokens.borrow_and_update();
                Box::pin(async move {
                    let _ = tokens.changed().await;
                    (close::UNAUTHORIZED, "UNAUTHORIZED")
                })
            }
            Auth::Agent(id) => {
                let (mut events, store, id) =
                    (state.subscribe_events(), state.store().clone(), id.clone());
                Box::pin(async move {
                    use tokio::sync::broadcast::error::RecvError;
                    loop {
                        match events.recv().await {
                            Ok(UiEvent::Phones) | Err(RecvError::Lagged(_)) => {}
                            Ok(_) => continue,
                            Err(RecvError::Closed) => std::future::pending::<()>().await,
                        }
                        if let Ok(None) = store.phone_key(&id).await {
                            return (link_close::NOT_PAIRED, NOT_PAIRED_REASON);
                        }
                    }
                })
            }
        }
    }
}

/// The close reason of a revoked (or never paired) agent: at most 123 bytes.
pub const NOT_PAIRED_REASON: &str =
    "NOT_PAIRED: this agent is not paired with this desktop (any more): pair it again with saytype agent --pair";
