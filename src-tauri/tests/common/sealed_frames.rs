//! Sealed frames of the paired agent's link (docs/sealed-link.md §7), for tests that
//! play one end of it by hand.

use saytype::protocol::agent_link::SealedFrame;
use saytype::protocol::sealed::b64;
use saytype::sealed::{random, FrameChannel, NONCE_LEN};
use serde_json::Value;

/// `plain` sealed as the next frame of `channel`, as it goes on the wire.
pub fn seal_frame(channel: &mut FrameChannel, plain: &str) -> String {
    let nonce = random::<NONCE_LEN>().expect("random");
    let (ctr, boxed) = channel.seal(&nonce, plain.as_bytes());
    SealedFrame {
        v: 1,
        ctr,
        nonce: b64(&nonce),
        sealed: b64(&boxed),
    }
    .to_json()
}

/// The JSON inside the next frame `raw` of `channel` (which must open).
pub fn open_frame(channel: &mut FrameChannel, raw: &str) -> Value {
    let (ctr, nonce, boxed) = SealedFrame::parse::<NONCE_LEN>(raw).expect("sealed");
    let plain = channel.open(ctr, &nonce, &boxed).expect("opens");
    serde_json::from_slice(&plain).expect("json")
}
