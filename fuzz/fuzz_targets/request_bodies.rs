//! Request bodies: whatever bytes a phone sends, parsing answers (never panics), and
//! what it accepts obeys the text rules exactly (the relay and the agent apply the
//! same ones, so an accepted text is never refused by the agent).
#![no_main]

use libfuzzer_sys::fuzz_target;
use saytype::protocol::{normalize_text, TranscriptionBody, TranscriptionRequest, MAX_TEXT_CHARS};

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = TranscriptionRequest::parse(data) {
        assert_eq!(normalize_text(&req.text).as_deref(), Ok(req.text.as_str()));
        assert!(req.text.chars().count() <= MAX_TEXT_CHARS);
        assert!(!req.text.trim().is_empty());
    }
    if let Ok(raw) = std::str::from_utf8(data) {
        if let Ok(text) = normalize_text(raw) {
            // Normal already: a second pass changes nothing.
            assert_eq!(normalize_text(&text).as_deref(), Ok(text.as_str()));
        }
    }
    let _ = serde_json::from_slice::<TranscriptionBody>(data);
    let _ = serde_json::from_slice::<saytype::settings::Settings>(data);
});
