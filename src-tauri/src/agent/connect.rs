//! Connecting to the relay, for [`super::Session`]: each known address in turn (a
//! paired agent's relay may have moved: `agent::addresses`), the handshake of a
//! paired agent, and keeping the addresses the relay announces.

use std::time::Duration;

use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::{Closed, Session, SessionEnd, REGISTER_WAIT};
use crate::agent::link::{handshake, HandshakeError, Link};
use crate::agent::status::AgentError;

/// How long one address may take to answer when there are others to try.
const CONNECT_WAIT: Duration = Duration::from_secs(5);

impl Session {
    /// Connect at the first address that answers and passes the handshake.
    pub(super) async fn connect(&mut self, token: &str) -> Result<Link, SessionEnd> {
        let order = self.addresses.order();
        let several = order.len() > 1;
        let mut failures = Vec::new();
        for relay in order {
            match self.connect_to(&relay, token, several).await {
                Ok(link) => {
                    if several {
                        tracing::info!(%relay, "connected to the relay");
                    }
                    self.addresses.worked(&relay);
                    return Ok(link);
                }
                Err(SessionEnd::Closed(Closed::Retry(why))) if several => failures.push(why),
                Err(end) => return Err(end),
            }
        }
        Err(SessionEnd::retry(failures.join("; ")))
    }

    async fn connect_to(
        &self,
        relay: &str,
        token: &str,
        several: bool,
    ) -> Result<Link, SessionEnd> {
        let mut request = relay
            .into_client_request()
            .map_err(|e| SessionEnd::retry(format!("bad relay URL {relay:?}: {e}")))?;
        if self.opts.paired.is_none() {
            let bearer = format!("Bearer {token}")
                .parse()
                .map_err(|_| SessionEnd::fatal(AgentError::Unauthorized))?;
            request.headers_mut().insert("authorization", bearer);
        }
        let connecting = tokio_tungstenite::connect_async(request);
        let connected = if several {
            tokio::time::timeout(CONNECT_WAIT, connecting)
                .await
                .map_err(|_| SessionEnd::retry(format!("{relay}: no answer")))?
        } else {
            connecting.await
        };
        let ws = match connected {
            Ok((ws, _)) => ws,
            Err(tungstenite::Error::Http(resp)) if resp.status() == 401 => {
                return Err(SessionEnd::fatal(AgentError::Unauthorized))
            }
            Err(e) => return Err(SessionEnd::retry(format!("cannot connect to {relay}: {e}"))),
        };
        let mut link = match &self.opts.paired {
            None => Link::plain(ws),
            Some(paired) => {
                match tokio::time::timeout(REGISTER_WAIT, handshake(ws, paired)).await {
                    Ok(Ok(link)) => link,
                    Ok(Err(e @ HandshakeError::Revoked)) => {
                        return Err(SessionEnd::fatal(AgentError::NotPaired(e.to_string())))
                    }
                    Ok(Err(e)) => return Err(SessionEnd::retry(format!("{relay}: {e}"))),
                    Err(_) => return Err(SessionEnd::retry(format!("{relay}: no handshake"))),
                }
            }
        };
        link.set_nodelay();
        Ok(link)
    }

    /// A paired agent's relay said where else it can be reached: kept for the next
    /// connection, and with the pairing.
    pub(super) fn learn_addresses(&mut self, relays: &[String]) {
        if !self.addresses.learn(relays) {
            return;
        }
        tracing::info!(relays = ?self.addresses.announced(), "the relay can also be reached at");
        if let Some(dir) = &self.opts.pairing_dir {
            if let Err(e) = crate::agent::pairing::save_relays(dir, self.addresses.announced()) {
                tracing::warn!("keeping the relay's addresses failed: {e}");
            }
        }
    }
}
