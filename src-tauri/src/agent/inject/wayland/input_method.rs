//! The input-method route: `commit_string` into the focused window's text input.
//! Instant and exact for any Unicode (2,031 mixed characters in about 11 ms,
//! WAYLAND.md), but only where the window has an active text input and no other
//! input method (fcitx5, ibus) holds the seat.

use super::session::WlrInjector;
use crate::agent::inject::progress::{checkpoint, Progress, REPORT_EVERY};
use crate::agent::inject::InjectError;

/// sway drops a client whose one `commit_string` is over ~4 KB; 3,000 bytes
/// worked (WAYLAND.md). Our commits are far smaller (see [`COMMIT_CHARS`]); the
/// byte bound still holds should that change.
pub const MAX_COMMIT_BYTES: usize = 3_000;
/// Characters per commit: one progress report each, so a stop or a crash is
/// never more than [`REPORT_EVERY`] characters off.
pub const COMMIT_CHARS: usize = REPORT_EVERY;
/// Commits between two round trips: the compositor has passed them on before we
/// send more (about 1,000 characters, which arrived whole in the measurements).
const COMMITS_PER_SYNC: usize = 16;

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

impl WlrInjector {
    /// Commit `text` into the focused text input, [`COMMIT_CHARS`] at a time.
    pub fn commit_text(
        &mut self,
        text: &str,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        let im = self
            .input_method
            .clone()
            .ok_or_else(|| InjectError::Failed("no input method".into()))?;
        let total = text.chars().count();
        let mut typed = 0;
        for (i, piece) in pieces(text, COMMIT_CHARS, MAX_COMMIT_BYTES)
            .into_iter()
            .enumerate()
        {
            self.dispatch_pending()?;
            if !self.state.im.usable() {
                return Err(InjectError::Failed(format!(
                    "the focused window stopped taking input-method text after {typed} of \
                     {total} characters (did the focus move?); the rest was not typed"
                )));
            }
            im.commit_string(piece.to_owned());
            im.commit(self.state.im.serial());
            if (i + 1) % COMMITS_PER_SYNC == 0 {
                self.sync()?;
            }
            typed += piece.chars().count();
            checkpoint(progress, typed, total)?;
        }
        self.sync()
    }
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
