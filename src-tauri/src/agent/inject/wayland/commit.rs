//! The input method's pure parts: its double-buffered state and the text cut
//! into commits. [`super::input_method`] does the IO.

/// sway drops a client whose one `commit_string` is over ~4 KB; 3,000 bytes
/// worked (WAYLAND.md). Our commits are far smaller (see `input_method::COMMIT_CHARS`); the
/// byte bound still holds should that change.
pub const MAX_COMMIT_BYTES: usize = 3_000;
/// The input method's double-buffered state: `activate` / `deactivate` take effect
/// at `done`, whose count is the serial a commit must name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImState {
    pending_active: bool,
    active: bool,
    unavailable: bool,
    serial: u32,
}

impl ImState {
    pub fn activate(&mut self) {
        self.pending_active = true;
    }
    pub fn deactivate(&mut self) {
        self.pending_active = false;
    }
    pub fn done(&mut self) {
        self.active = self.pending_active;
        self.serial = self.serial.wrapping_add(1);
    }
    /// Another input method holds the seat: this object is dead for good.
    pub fn unavailable(&mut self) {
        self.unavailable = true;
        self.active = false;
    }
    pub fn usable(&self) -> bool {
        self.active && !self.unavailable
    }
    pub fn serial(&self) -> u32 {
        self.serial
    }
}

/// `text` in pieces of at most `max_chars` characters and `max_bytes` bytes,
/// never splitting a character.
pub fn pieces(text: &str, max_chars: usize, max_bytes: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut chars) = (0, 0);
    for (at, c) in text.char_indices() {
        if chars == max_chars || at + c.len_utf8() - start > max_bytes {
            out.push(&text[start..at]);
            (start, chars) = (at, 0);
        }
        chars += 1;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activation_takes_effect_at_done_and_unavailable_is_final() {
        let mut im = ImState::default();
        im.activate();
        assert!(!im.usable(), "not before done");
        im.done();
        assert!(im.usable());
        assert_eq!(im.serial(), 1);
        im.deactivate();
        im.done();
        assert!(!im.usable());
        im.activate();
        im.done();
        im.unavailable();
        im.activate();
        im.done();
        assert!(!im.usable(), "another input method holds the seat");
        assert_eq!(im.serial(), 4);
    }

    #[test]
    fn pieces_respect_both_limits_and_never_split_a_character() {
        let text = "ab😀cd€";
        assert_eq!(pieces(text, 2, 100), ["ab", "😀c", "d€"]);
        // 😀 is 4 bytes: a 5-byte limit keeps it whole.
        assert_eq!(pieces(text, 10, 5), ["ab", "😀c", "d€"]);
        let long = "é".repeat(2_000);
        let p = pieces(&long, usize::MAX, MAX_COMMIT_BYTES);
        assert!(p.iter().all(|s| s.len() <= MAX_COMMIT_BYTES));
        assert_eq!(p.concat(), long);
        assert!(pieces("", 16, 10).is_empty());
        let family = "👨‍👩‍👧 🇩🇪";
        assert_eq!(pieces(family, 16, 3_000).concat(), family);
    }
}
