//! The paired agent's link (docs/sealed-link.md §7): `POST /agent/v1/pair` takes
//! the phone's pairing shapes ([`super::sealed::PairRequest`] and `PairResponse`);
//! `GET /agent/v1/ws` opens with a three-message handshake, then carries the
//! `/ws` frames of PROTOCOL.md, each one sealed in a [`SealedFrame`].

use serde::{Deserialize, Serialize};

use super::sealed::{b64_array, b64_vec};

/// The path a paired agent connects to.
pub const AGENT_WS_PATH: &str = "/agent/v1/ws";
/// The path an agent pairs at.
pub const AGENT_PAIR_PATH: &str = "/agent/v1/pair";

/// Close codes of the agent link (after PROTOCOL.md's 4000–4003).
pub mod close {
    /// No agent with this id: never paired with this relay, or revoked.
    pub const NOT_PAIRED: u16 = 4010;
    /// A proof or a sealed frame did not verify.
    pub const SEAL_INVALID: u16 = 4011;
    /// A sealed frame carried a counter out of order: replayed (or dropped).
    pub const REPLAYED: u16 = 4012;
    /// The handshake was not followed (wrong shape, wrong version, too slow).
    pub const HANDSHAKE: u16 = 4013;
}

/// The handshake, in order: the agent's hello, the relay's challenge (with its
/// proof), the agent's proof. Nothing else is accepted before it is done.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Handshake {
    /// Agent → relay: who it is (the id the relay gave it) and a fresh nonce.
    Hello { v: u8, agent: String, nonce: String },
    /// Relay → agent: its nonce and its proof that it holds the agent's key.
    Challenge { v: u8, nonce: String, proof: String },
    /// Agent → relay: its proof.
    Proof { v: u8, proof: String },
    /// Relay → agent, instead of the challenge: this agent was revoked, with the
    /// proof (`sealed::revoked_proof`) on the agent's nonce; then a close `4010`.
    /// The only refusal that makes a paired agent stop for good.
    Revoked { v: u8, proof: String },
}

impl Handshake {
    pub fn to_json(&self) -> String {
        // A plain enum of strings always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn parse(text: &str) -> Option<Handshake> {
        serde_json::from_str(text).ok()
    }
}

/// Relay → agent, the first sealed frame after the handshake: the addresses this
/// relay can be reached at now, best first (`netaddr`'s ranking), each a
/// `ws://HOST:PORT/agent/v1/ws`. The agent keeps them with its pairing and tries
/// them when the one it has fails (a new DHCP lease). Safe to follow: wherever it
/// connects, the relay must prove the key before the agent sends anything.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RelayAddresses {
    #[serde(rename = "type")]
    pub kind: String,
    pub relays: Vec<String>,
}

impl RelayAddresses {
    pub const TYPE: &'static str = "addresses";

    pub fn new(relays: Vec<String>) -> RelayAddresses {
        RelayAddresses {
            kind: Self::TYPE.into(),
            relays,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The addresses, if `text` is this frame.
    pub fn parse(text: &str) -> Option<Vec<String>> {
        let frame: RelayAddresses = serde_json::from_str(text).ok()?;
        (frame.kind == Self::TYPE).then_some(frame.relays)
    }
}

/// Every frame after the handshake, either way: a `/ws` frame's JSON, sealed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealedFrame {
    pub v: u8,
    pub ctr: u64,
    pub nonce: String,
    #[serde(rename = "box")]
    pub sealed: String,
}

impl SealedFrame {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The counter, nonce and box of a frame, or `None` if it is not one.
    pub fn parse<const N: usize>(text: &str) -> Option<(u64, [u8; N], Vec<u8>)> {
        let frame: SealedFrame = serde_json::from_str(text).ok()?;
        if frame.v != super::sealed::SEALED_VERSION {
            return None;
        }
        Some((frame.ctr, b64_array(&frame.nonce)?, b64_vec(&frame.sealed)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let hello = Handshake::Hello {
            v: 1,
            agent: "agent.x".into(),
            nonce: "AA".into(),
        };
        assert_eq!(
            hello.to_json(),
            r#"{"type":"hello","v":1,"agent":"agent.x","nonce":"AA"}"#
        );
        assert_eq!(Handshake::parse(&hello.to_json()), Some(hello));
        assert_eq!(Handshake::parse(r#"{"type":"register"}"#), None);
        let f = SealedFrame {
            v: 1,
            ctr: 3,
            nonce: super::super::sealed::b64(&[1, 2]),
            sealed: "AQ".into(),
        };
        assert_eq!(
            SealedFrame::parse::<2>(&f.to_json()),
            Some((3, [1, 2], vec![1]))
        );
        assert_eq!(SealedFrame::parse::<3>(&f.to_json()), None);
        let a = RelayAddresses::new(vec!["ws://10.0.0.2:7373/agent/v1/ws".into()]);
        assert_eq!(
            a.to_json(),
            r#"{"type":"addresses","relays":["ws://10.0.0.2:7373/agent/v1/ws"]}"#
        );
        assert_eq!(RelayAddresses::parse(&a.to_json()), Some(a.relays));
        assert_eq!(
            RelayAddresses::parse(r#"{"type":"registered","relays":[]}"#),
            None
        );
    }
}
