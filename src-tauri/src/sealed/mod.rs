//! The sealed link (docs/sealed-link.md): how a phone (or an agent on another desktop) and the
//! relay agree on a key of their own from a one-time pairing code, and how each
//! request and answer is then encrypted, authenticated and bound to a counter.
//!
//! Pure functions over bytes, no IO and no JSON (the wire shapes are in
//! `protocol::sealed`), so the same code serves both ends and the shared test
//! vectors (`docs/sealed-link-vectors.json`) pin it. Only audited RustCrypto crates
//! do the cryptography: X25519 (`x25519-dalek`), HKDF and HMAC over SHA-256,
//! XChaCha20-Poly1305.
//!
//! - `kdf`: every key derived from the pairing code or the phone's key;
//! - `pair`: the pairing exchange, each side a function;
//! - `envelope`: sealing and opening requests and answers;
//! - `window`: the replay window over the request counters;
//! - `agent`: a paired agent's handshake and sealed frames on its WebSocket.

mod agent;
mod envelope;
mod kdf;
mod pair;
mod window;

pub use agent::{
    agent_proof, frame_aad, frame_key, relay_proof, revoked_proof, verify_proof,
    verify_revoked_proof, Direction, FrameChannel, FrameError, HANDSHAKE_NONCE_LEN,
};
pub use envelope::{
    open_request, open_response, request_aad, response_aad, seal_request, seal_response, NONCE_LEN,
};
pub use kdf::{CodeKeys, DirectionKeys, CODE_ID_LEN, KEY_LEN};
pub use pair::{phone_finish, phone_hello, relay_answer, PairAnswer, PhoneHello};
pub use window::{DamagedWindow, ReplayWindow, Replayed, WINDOW};

/// Why a sealed exchange failed. Deliberately coarse: an attacker learns nothing
/// from which check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// A proof (HMAC) or a box (AEAD tag) did not verify: altered, or another key.
    #[error("the message does not authenticate (altered, or made with another key)")]
    Forged,
    /// A public key that gives no shared secret (a low-order point).
    #[error("unusable public key")]
    BadKey,
    #[error("the system's random number generator failed")]
    Random,
}

/// Random bytes from the operating system.
pub fn random<const N: usize>() -> Result<[u8; N], SealError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| SealError::Random)?;
    Ok(bytes)
}

#[cfg(test)]
mod vectors;
