//! The joining space between two messages dictated into the same window: the
//! rule on the two texts alone (whether it is the same window, and soon enough,
//! is [`super::memory`]'s). Pure logic.

/// Whether `next` needs a space in front of it after `prev` (what the previous
/// message put into the window, Return shown as a line break).
///
/// No space when `prev` ends in white space (a line break, a tab, a pressed
/// Return) or an opening bracket or quote; when `next` starts with white space,
/// punctuation that follows a word (`.,;:!?…`) or a closing bracket or quote;
/// and when either side is a script written without spaces between words
/// (Chinese, Japanese, Thai, ...). ASCII `"` could open or close a quote: taken
/// as opening (a space), as dictation engines seldom put a closing one first;
/// `'` starts contractions and possessives ("'s"): no space.
pub fn needs_space(prev: &str, next: &str) -> bool {
    let (Some(last), Some(first)) = (prev.chars().next_back(), next.chars().next()) else {
        return false;
    };
    !(last.is_whitespace()
        || first.is_whitespace()
        || OPENING.contains(last)
        || NO_SPACE_BEFORE.contains(first)
        || unspaced_script(last)
        || unspaced_script(first))
}

/// After these, the next word follows at once.
const OPENING: &str = "([{«“‘„¿¡‹";

/// Before these, no space.
const NO_SPACE_BEFORE: &str = ".,;:!?…)]}»”’›'%";

/// Scripts written without spaces between words (and their punctuation).
fn unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0x3000..=0x30FF    // CJK punctuation, Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0xFF00..=0xFFEF    // Fullwidth forms
        | 0x20000..=0x2FFFF) // CJK Extensions B and on
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_space_between_words() {
        assert!(needs_space("Hello", "world"));
        assert!(needs_space("Hello.", "How are you?"));
        assert!(needs_space("the end", "\"Quoted\""));
        assert!(needs_space("é", "Ñandú"));
        assert!(needs_space("ok", "😀"));
    }

    #[test]
    fn no_space_before_punctuation_and_closing_marks() {
        for next in [
            ".", ",", ";", ":", "!", "?", "…", ")", "]", "}", "»", "”", "’", "'s",
        ] {
            assert!(!needs_space("word", next), "{next:?}");
        }
    }

    #[test]
    fn no_space_after_white_space_or_an_opening_mark_or_before_white_space() {
        assert!(!needs_space("line\n", "next"));
        assert!(!needs_space("a\t", "b"));
        assert!(!needs_space("a ", "b"));
        assert!(!needs_space("a", " b"));
        assert!(!needs_space("a", "\nb"));
        assert!(!needs_space("(", "b"));
        assert!(!needs_space("“", "b"));
        assert!(!needs_space("", "b"));
        assert!(!needs_space("a", ""));
    }

    #[test]
    fn no_space_in_scripts_without_spaces() {
        assert!(!needs_space("漢字", "かな"));
        assert!(!needs_space("hello", "漢字"));
        assert!(!needs_space("สวัสดี", "ครับ"));
        assert!(needs_space("한국어", "문장"), "Korean uses spaces");
    }
}
