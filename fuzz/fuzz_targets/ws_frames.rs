//! WebSocket frames: any text an agent or a relay sends parses or is refused (never
//! a panic), and every frame that parses survives its own JSON unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saytype::protocol::{AgentFrame, RelayFrame};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(frame) = AgentFrame::parse(text) {
        let again = AgentFrame::parse(&frame.to_json()).expect("its own JSON parses");
        assert_eq!(again, frame);
    }
    if let Ok(frame) = serde_json::from_str::<RelayFrame>(text) {
        let json = frame.to_json();
        let again: RelayFrame = serde_json::from_str(&json).expect("its own JSON parses");
        assert_eq!(again, frame);
    }
});
