//! The agent link (docs/sealed-link.md §7): a desktop agent paired like a phone
//! (same exchange, its own key) proves on each connection, and has the relay prove,
//! that both hold that key, before either says anything else; then every frame is
//! sealed with a key per direction and per connection, and numbered.
//!
//! The relay proves first, so the agent learns whether it talks to its relay before
//! it sends anything but its id and a random nonce. Both proofs and the frame keys
//! cover both nonces: nothing from one connection is any use in another.

use super::envelope::{open_with, seal_with, NONCE_LEN};
use super::kdf::{hkdf, hmac, hmac_verify, KEY_LEN};
use super::SealError;

/// Length of each side's handshake nonce.
pub const HANDSHAKE_NONCE_LEN: usize = 32;
type HandshakeNonce = [u8; HANDSHAKE_NONCE_LEN];

/// The key the proofs are made with: derived from the pairing key, so the proofs
/// never use the key itself.
fn auth_key(pair_key: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    hkdf(None, pair_key, &[b"saytype-agent-v1 auth"])
}

fn proof(
    pair_key: &[u8; KEY_LEN],
    who: &[u8],
    agent_id: &str,
    agent_nonce: &HandshakeNonce,
    relay_nonce: &HandshakeNonce,
) -> [u8; 32] {
    hmac(
        &auth_key(pair_key),
        &[who, agent_id.as_bytes(), b"\n", agent_nonce, relay_nonce],
    )
}

/// HMAC(authKey, "saytype-agent-v1 relay" ‖ agentId ‖ "\n" ‖ agentNonce ‖ relayNonce).
pub fn relay_proof(
    pair_key: &[u8; KEY_LEN],
    agent_id: &str,
    agent_nonce: &HandshakeNonce,
    relay_nonce: &HandshakeNonce,
) -> [u8; 32] {
    proof(pair_key, RELAY, agent_id, agent_nonce, relay_nonce)
}

/// HMAC(authKey, "saytype-agent-v1 agent" ‖ agentId ‖ "\n" ‖ agentNonce ‖ relayNonce).
pub fn agent_proof(
    pair_key: &[u8; KEY_LEN],
    agent_id: &str,
    agent_nonce: &HandshakeNonce,
    relay_nonce: &HandshakeNonce,
) -> [u8; 32] {
    proof(pair_key, AGENT, agent_id, agent_nonce, relay_nonce)
}

const RELAY: &[u8] = b"saytype-agent-v1 relay";
const AGENT: &[u8] = b"saytype-agent-v1 agent";
const REVOKED: &[u8] = b"saytype-agent-v1 revoked";

/// The relay's proof that it revoked this agent, on the agent's fresh nonce:
/// HMAC(authKey, "saytype-agent-v1 revoked" ‖ agentId ‖ "\n" ‖ agentNonce). Only a
/// relay that held the agent's key (and kept it when revoking) can make it, so a
/// machine that took the relay's address cannot stop the agent for good.
pub fn revoked_proof(
    pair_key: &[u8; KEY_LEN],
    agent_id: &str,
    agent_nonce: &HandshakeNonce,
) -> [u8; 32] {
    hmac(
        &auth_key(pair_key),
        &[REVOKED, agent_id.as_bytes(), b"\n", agent_nonce],
    )
}

/// Check [`revoked_proof`], in constant time.
pub fn verify_revoked_proof(
    pair_key: &[u8; KEY_LEN],
    agent_id: &str,
    agent_nonce: &HandshakeNonce,
    tag: &[u8],
) -> Result<(), SealError> {
    hmac_verify(
        &auth_key(pair_key),
        &[REVOKED, agent_id.as_bytes(), b"\n", agent_nonce],
        tag,
    )
}

/// Check the other side's proof, in constant time.
pub fn verify_proof(
    pair_key: &[u8; KEY_LEN],
    from_relay: bool,
    agent_id: &str,
    agent_nonce: &HandshakeNonce,
    relay_nonce: &HandshakeNonce,
    tag: &[u8],
) -> Result<(), SealError> {
    let who = if from_relay { RELAY } else { AGENT };
    hmac_verify(
        &auth_key(pair_key),
        &[who, agent_id.as_bytes(), b"\n", agent_nonce, relay_nonce],
        tag,
    )
}

/// Which way a frame goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    AgentToRelay,
    RelayToAgent,
}

impl Direction {
    fn label(self) -> &'static [u8] {
        match self {
            Direction::AgentToRelay => b"agent-to-relay",
            Direction::RelayToAgent => b"relay-to-agent",
        }
    }
}

/// The key of one direction of one connection:
/// HKDF(agentNonce ‖ relayNonce, pairKey, "saytype-agent-v1 frames " ‖ direction).
pub fn frame_key(
    pair_key: &[u8; KEY_LEN],
    agent_nonce: &HandshakeNonce,
    relay_nonce: &HandshakeNonce,
    dir: Direction,
) -> [u8; KEY_LEN] {
    let salt = [&agent_nonce[..], &relay_nonce[..]].concat();
    hkdf(
        Some(&salt),
        pair_key,
        &[b"saytype-agent-v1 frames ", dir.label()],
    )
}

/// Associated data of a frame: "saytype-agent-v1 frame\n" ‖ direction ‖ "\n" ‖ ctr.
pub fn frame_aad(dir: Direction, counter: u64) -> Vec<u8> {
    let mut aad = b"saytype-agent-v1 frame\n".to_vec();
    aad.extend_from_slice(dir.label());
    aad.extend_from_slice(format!("\n{counter}").as_bytes());
    aad
}

/// Why a sealed frame was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("a sealed frame does not verify (altered, or sealed with another key)")]
    Forged,
    #[error("a sealed frame came out of order (replayed or dropped): counter {got}, expected {expected}")]
    Replayed { got: u64, expected: u64 },
}

/// One connection's sealed frames, one side's view: what it seals goes one way
/// with its counter, what it opens comes the other way and must carry exactly the
/// next counter (a WebSocket delivers in order, so anything else was replayed,
/// dropped or reordered on the way). Pure: the caller brings the nonces.
#[derive(Clone)]
pub struct FrameChannel {
    send_key: [u8; KEY_LEN],
    send_dir: Direction,
    sent: u64,
    recv_key: [u8; KEY_LEN],
    recv_dir: Direction,
    received: u64,
}

impl FrameChannel {
    /// The channel after a handshake; `agent_side` says which end this is.
    pub fn new(
        pair_key: &[u8; KEY_LEN],
        agent_nonce: &HandshakeNonce,
        relay_nonce: &HandshakeNonce,
        agent_side: bool,
    ) -> FrameChannel {
        let (send_dir, recv_dir) = if agent_side {
            (Direction::AgentToRelay, Direction::RelayToAgent)
        } else {
            (Direction::RelayToAgent, Direction::AgentToRelay)
        };
        FrameChannel {
            send_key: frame_key(pair_key, agent_nonce, relay_nonce, send_dir),
            send_dir,
            sent: 0,
            recv_key: frame_key(pair_key, agent_nonce, relay_nonce, recv_dir),
            recv_dir,
            received: 0,
        }
    }

    /// Seal the next frame: its counter and box.
    pub fn seal(&mut self, nonce: &[u8; NONCE_LEN], plain: &[u8]) -> (u64, Vec<u8>) {
        self.sent += 1;
        let boxed = seal_with(
            &self.send_key,
            nonce,
            &frame_aad(self.send_dir, self.sent),
            plain,
        );
        (self.sent, boxed)
    }

    /// Open the next frame; only an authentic frame with the next counter moves on.
    pub fn open(
        &mut self,
        counter: u64,
        nonce: &[u8; NONCE_LEN],
        boxed: &[u8],
    ) -> Result<Vec<u8>, FrameError> {
        let plain = open_with(
            &self.recv_key,
            nonce,
            &frame_aad(self.recv_dir, counter),
            boxed,
        )
        .map_err(|_| FrameError::Forged)?;
        let expected = self.received + 1;
        if counter != expected {
            return Err(FrameError::Replayed {
                got: counter,
                expected,
            });
        }
        self.received = counter;
        Ok(plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_check_only_with_the_key_the_side_and_the_nonces() {
        let (key, an, rn) = ([7; KEY_LEN], [1; 32], [2; 32]);
        let relay = relay_proof(&key, "agent.x", &an, &rn);
        assert!(verify_proof(&key, true, "agent.x", &an, &rn, &relay).is_ok());
        // Reflected as the agent's proof, another key, other nonces, another id.
        assert!(verify_proof(&key, false, "agent.x", &an, &rn, &relay).is_err());
        assert!(verify_proof(&[8; KEY_LEN], true, "agent.x", &an, &rn, &relay).is_err());
        assert!(verify_proof(&key, true, "agent.x", &rn, &an, &relay).is_err());
        assert!(verify_proof(&key, true, "agent.y", &an, &rn, &relay).is_err());
        let agent = agent_proof(&key, "agent.x", &an, &rn);
        assert!(verify_proof(&key, false, "agent.x", &an, &rn, &agent).is_ok());
        // A revocation holds only for this agent's key, id and nonce.
        let revoked = revoked_proof(&key, "agent.x", &an);
        assert!(verify_revoked_proof(&key, "agent.x", &an, &revoked).is_ok());
        assert!(verify_revoked_proof(&[8; KEY_LEN], "agent.x", &an, &revoked).is_err());
        assert!(verify_revoked_proof(&key, "agent.x", &rn, &revoked).is_err());
        assert!(verify_revoked_proof(&key, "agent.y", &an, &revoked).is_err());
        assert!(verify_revoked_proof(&key, "agent.x", &an, &relay).is_err());
    }

    #[test]
    fn frames_open_once_in_order_and_only_on_their_connection() {
        let (key, an, rn) = ([7; KEY_LEN], [1; 32], [2; 32]);
        let mut agent = FrameChannel::new(&key, &an, &rn, true);
        let mut relay = FrameChannel::new(&key, &an, &rn, false);
        let (c1, b1) = relay.seal(&[3; NONCE_LEN], b"one");
        let (c2, b2) = relay.seal(&[4; NONCE_LEN], b"two");
        assert_eq!((c1, c2), (1, 2));
        // Out of order: refused, and the channel does not move.
        assert_eq!(
            agent.open(c2, &[4; NONCE_LEN], &b2),
            Err(FrameError::Replayed {
                got: 2,
                expected: 1
            })
        );
        assert_eq!(agent.open(c1, &[3; NONCE_LEN], &b1).expect("opens"), b"one");
        assert_eq!(
            agent.open(c1, &[3; NONCE_LEN], &b1),
            Err(FrameError::Replayed {
                got: 1,
                expected: 2
            })
        );
        // Altered, or moved to another counter: forged.
        let mut bad = b2.clone();
        bad[0] ^= 1;
        assert_eq!(
            agent.open(c2, &[4; NONCE_LEN], &bad),
            Err(FrameError::Forged)
        );
        assert_eq!(agent.open(3, &[4; NONCE_LEN], &b2), Err(FrameError::Forged));
        assert_eq!(agent.open(c2, &[4; NONCE_LEN], &b2).expect("opens"), b"two");
        // The agent's own frames do not open as the relay's (reflection), nor on
        // another connection.
        let (c, b) = agent.seal(&[5; NONCE_LEN], b"ack");
        let mut other = FrameChannel::new(&key, &an, &[9; 32], false);
        assert_eq!(other.open(c, &[5; NONCE_LEN], &b), Err(FrameError::Forged));
        let mut mirror = FrameChannel::new(&key, &an, &rn, true);
        assert_eq!(mirror.open(c, &[5; NONCE_LEN], &b), Err(FrameError::Forged));
        assert_eq!(relay.open(c, &[5; NONCE_LEN], &b).expect("opens"), b"ack");
    }
}
