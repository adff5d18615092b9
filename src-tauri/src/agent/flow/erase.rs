//! How many BackSpaces remove a text that SayType typed, or why that cannot be told.
//!
//! One BackSpace removes one character as the user sees it (a grapheme cluster) in
//! GTK, Chromium and bash for the clusters that matter in dictation: single code
//! points, emoji sequences (a skin tone, a flag, a family joined with ZWJ) and a
//! Latin, Greek or Cyrillic letter with combining accents (checked under Xvfb in a
//! GTK view, `tests/flow.rs`). Letters built of several parts in other scripts are
//! erased differently by each application: GTK (Pango) and Chromium remove one part
//! per BackSpace in Devanagari or Thai ("कि" takes two), while bash's readline skips
//! zero-width marks (Thai "กิ" takes one). No count is right everywhere, and a count
//! too high would erase what the user wrote before, so "scratch that" refuses them.

use unicode_segmentation::UnicodeSegmentation;

/// Why a text's BackSpaces cannot be counted.
pub const PARTS: &str =
    "has letters built of several parts (as in Hindi or Thai), which applications erase part by part or whole, each its own way";

/// The BackSpaces that remove `text`, or why no count is safe.
pub fn backspaces(text: &str) -> Result<usize, &'static str> {
    let mut n = 0;
    for cluster in text.graphemes(true) {
        if !one_press(cluster) {
            return Err(PARTS);
        }
        n += 1;
    }
    Ok(n)
}

/// Whether every application removes `cluster` with one BackSpace.
fn one_press(cluster: &str) -> bool {
    let mut chars = cluster.chars();
    let Some(first) = chars.next() else {
        return true;
    };
    let mut rest = chars.peekable();
    if rest.peek().is_none() {
        return true;
    }
    if emoji(first) || keycap_base(first) {
        return rest.all(|c| emoji(c) || joins_emoji(c));
    }
    alphabet(first) && rest.all(|c| ('\u{300}'..='\u{36f}').contains(&c))
}

/// Pictographs, symbols and regional indicators that emoji sequences start with.
fn emoji(c: char) -> bool {
    matches!(c,
        '\u{1f000}'..='\u{1faff}' // pictographs, emoticons, flags' letters, skin tones
        | '\u{2300}'..='\u{23ff}' // watch, hourglass, ...
        | '\u{2600}'..='\u{27bf}' // sun, heart, check mark, ...
        | '\u{2b00}'..='\u{2bff}' // arrows, star, circle
        | '\u{00a9}' | '\u{00ae}' | '\u{203c}' | '\u{2049}' | '\u{2122}' | '\u{2139}'
        | '\u{3030}' | '\u{303d}' | '\u{3297}' | '\u{3299}')
}

/// What continues an emoji sequence: ZWJ, variation selectors, the keycap, tags.
fn joins_emoji(c: char) -> bool {
    matches!(
        c,
        '\u{200d}' | '\u{fe0e}' | '\u{fe0f}' | '\u{20e3}' | '\u{e0020}'..='\u{e007f}'
    )
}

/// 0-9, # and *: keycap emoji start with them.
fn keycap_base(c: char) -> bool {
    c.is_ascii_digit() || c == '#' || c == '*'
}

/// Latin, Greek and Cyrillic letters (where an accent typed apart joins the letter).
fn alphabet(c: char) -> bool {
    c.is_ascii_alphabetic()
        || matches!(c, '\u{c0}'..='\u{24f}' | '\u{370}'..='\u{3ff}' | '\u{400}'..='\u{4ff}' | '\u{1e00}'..='\u{1eff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_press_per_character_as_seen_for_accents_and_emoji() {
        assert_eq!(backspaces(""), Ok(0));
        assert_eq!(backspaces("café"), Ok(4));
        // e + combining acute, a thumbs up with a skin tone, a flag, a keycap, a
        // family joined with ZWJ, a heart with its emoji selector.
        assert_eq!(
            backspaces("e\u{301}👍🏽🇫🇷1\u{fe0f}\u{20e3}👨\u{200d}👩\u{200d}👧❤\u{fe0f}"),
            Ok(6)
        );
        assert_eq!(backspaces("Ω й\u{306} 中文 한국어\n\t"), Ok(12));
    }

    #[test]
    fn letters_of_several_parts_cannot_be_counted() {
        // Devanagari "ki" (consonant + vowel sign), Thai "ki" (+ a mark above),
        // Arabic with a vowel mark, Hangul written as jamo, a Latin letter with a
        // mark of another script.
        for text in ["नमस्ते", "कि", "กิน", "بِ", "\u{1100}\u{1161}", "a\u{93f}"]
        {
            assert_eq!(backspaces(text), Err(PARTS), "{text}");
        }
        // Single code points of those scripts are fine.
        assert_eq!(backspaces("क ก ب 가"), Ok(7));
    }
}
