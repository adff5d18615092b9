//! The text rules of a transcription (PROTOCOL.md §3), one function that the relay
//! applies to what a phone sends and the agent applies again to what a relay sends,
//! so both refuse exactly the same texts.
//!
//! Besides the protocol's control characters, a text must not carry the Unicode
//! format characters that make what is typed differ from what the user saw: bidi
//! overrides, embeddings and isolates (the "Trojan Source" characters, which reorder
//! the text around them in the target window), the line and paragraph separators
//! (a line break in some applications, nothing in others) and the invisible
//! zero-width characters. Such a text is **refused, not cleaned**: removing
//! characters silently would type something other than what was sent, and a
//! refusal (`400 INVALID_TEXT` naming the character) tells the sender, who can
//! correct it. What real writing needs stays allowed: ZWJ and ZWNJ (emoji
//! sequences, Persian and Indic scripts), the bidi marks LRM, RLM and ALM (they
//! affect only the neutral characters next to them), variation selectors and
//! tag characters (emoji presentation, subdivision flags).

/// Most characters a transcription may have (after `\r\n` → `\n`).
pub const MAX_TEXT_CHARS: usize = 10_000;

/// Why a text is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("text must not be empty")]
    Empty,
    #[error("text must be at most 10000 characters")]
    TooLong,
    #[error(
        "text must not contain control characters other than tab and newline (found U+{0:04X})"
    )]
    Control(u32),
    #[error(
        "text must not contain invisible format characters (bidi overrides and isolates, \
         zero-width spaces, line or paragraph separators; found U+{0:04X})"
    )]
    Format(u32),
}

/// Whether `c` is one of the format characters the text rules refuse.
pub fn is_refused_format(c: char) -> bool {
    matches!(
        c,
        // Bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO), isolates (LRI,
        // RLI, FSI, PDI).
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        // Line and paragraph separators.
        | '\u{2028}' | '\u{2029}'
        // Zero-width space, word joiner, invisible operators, the deprecated
        // shaping controls, zero-width no-break space (BOM), Mongolian vowel
        // separator, interlinear annotation controls.
        | '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{206A}'..='\u{206F}'
        | '\u{FEFF}' | '\u{180E}' | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Normalise and validate transcription text: `\r\n` becomes `\n`; it must be
/// non-empty after trimming, at most [`MAX_TEXT_CHARS`] characters, free of control
/// characters other than tab and newline and of the format characters above. The
/// text itself is kept as sent (not trimmed): what the user dictated is what gets
/// typed.
pub fn normalize_text(raw: &str) -> Result<String, TextError> {
    let text = if raw.contains('\r') {
        raw.replace("\r\n", "\n")
    } else {
        raw.to_owned()
    };
    if text.trim().is_empty() {
        return Err(TextError::Empty);
    }
    let mut chars = 0usize;
    for c in text.chars() {
        chars += 1;
        if c.is_control() && c != '\t' && c != '\n' {
            return Err(TextError::Control(c.into()));
        }
        if is_refused_format(c) {
            return Err(TextError::Format(c.into()));
        }
    }
    if chars > MAX_TEXT_CHARS {
        return Err(TextError::TooLong);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert_eq!(normalize_text("a\r\nb").as_deref(), Ok("a\nb"));
        assert_eq!(
            normalize_text(" keep spaces ").as_deref(),
            Ok(" keep spaces ")
        );
        assert_eq!(normalize_text("tab\there").as_deref(), Ok("tab\there"));
        assert_eq!(normalize_text("   \n\t"), Err(TextError::Empty));
        assert_eq!(normalize_text("bell\u{7}"), Err(TextError::Control(7)));
        assert!(normalize_text("lone\rcr").is_err());
        assert!(normalize_text("c1\u{85}").is_err());
        assert!(normalize_text(&"é".repeat(10_000)).is_ok());
        assert_eq!(normalize_text(&"é".repeat(10_001)), Err(TextError::TooLong));
        // Ten thousand characters counted after CRLF folding.
        assert!(normalize_text(&"\r\n".repeat(10_000)).is_err()); // all white space
        assert!(normalize_text(&format!("x{}", "\r\n".repeat(9_999))).is_ok());
    }

    #[test]
    fn format_characters_that_change_what_is_seen_are_refused() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{2028}', '\u{2029}', '\u{200B}', '\u{2060}', '\u{2063}',
            '\u{206F}', '\u{FEFF}', '\u{180E}', '\u{FFF9}',
        ] {
            let text = format!("pay {c}100");
            assert_eq!(
                normalize_text(&text),
                Err(TextError::Format(c.into())),
                "U+{:04X}",
                u32::from(c)
            );
        }
        let why = TextError::Format(0x202E).to_string();
        assert!(why.contains("U+202E"), "{why}");
    }

    #[test]
    fn what_real_writing_needs_is_kept() {
        for text in [
            "👩\u{200D}💻",                                             // ZWJ emoji sequence
            "می\u{200C}خواهم",                                          // ZWNJ in Persian
            "क्\u{200D}ष",                                               // ZWJ in Devanagari
            "שלום\u{200F} (1)",                                         // RLM
            "a\u{200E}b\u{061C}c",                                      // LRM, ALM
            "❤\u{FE0F} 👍🏽", // variation selector, skin tone
            "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}", // tag flag
            "soft\u{00AD}hyphen",
        ] {
            assert_eq!(normalize_text(text).as_deref(), Ok(text));
        }
    }
}
