//! Agents on other desktops, paired like phones (docs/sealed-link.md §7): each
//! holds a key of its own from a one-time code, proves it on every connection and
//! has the relay prove it too, then speaks `/ws`'s frames sealed. Paired agents are
//! listed with the paired phones (their ids start with [`AGENT_ID_PREFIX`], their
//! names with "Agent on"), and revoked the same way.
//!
//! - `pair`: `POST /agent/v1/pair`;
//! - `link`: `GET /agent/v1/ws`, the handshake, then `/ws`'s loop;
//! - `socket`: the socket that loop reads and writes, plain or sealed, and what
//!   each kind of connection was authenticated with.

mod link;
mod pair;
pub mod socket;

pub(super) use link::upgrade;
pub(super) use pair::pair;

/// Agent ids start with this; a phone id (base64url) never holds a `.`, so the
/// relay tells an agent from a phone by its id alone, and each key is usable only
/// where it was paired for.
pub const AGENT_ID_PREFIX: &str = "agent.";

pub fn is_agent_id(id: &str) -> bool {
    id.starts_with(AGENT_ID_PREFIX)
}
