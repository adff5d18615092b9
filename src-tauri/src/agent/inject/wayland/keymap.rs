//! What the virtual keyboard types with: for a text, XKB keymaps of our own (one
//! keycode per distinct character, bound to its Unicode keysym `U+XXXX`) and the
//! key sequence, one key per character. Pure logic; [`super::typing`] uploads the
//! keymaps and sends the keys.
//!
//! Unlike X11 (see `x11::planner`), a keymap change on Wayland reaches the window
//! in order with the keys, on the same connection, so a new keymap between two
//! segments can never change a key still waiting in the window's queue: a text
//! with more distinct characters than keycodes is simply split into segments, each
//! with its own keymap. The user's layout plays no part (German or US, the keys
//! mean what our keymap says), and Caps Lock cannot interfere (our modifiers are
//! sent explicitly, Lock off).

use crate::agent::inject::NewlineKey;

/// XKB keycodes are evdev codes + 8 (the virtual keyboard sends evdev codes).
const EVDEV_OFFSET: u32 = 8;
/// Our fixed keys, then one keycode per character up to 255: clients that only
/// know X11's 8-bit keycodes (Xwayland) must still read the keymap.
const SHIFT: u32 = 9;
const RETURN: u32 = 10;
const TAB: u32 = 11;
const FIRST_CHAR: u32 = 12;
const LAST: u32 = 255;
/// Distinct characters one keymap carries (244).
pub const CHARS_PER_KEYMAP: usize = (LAST - FIRST_CHAR + 1) as usize;

/// Modifier masks as the standard XKB compat ("complete") numbers them.
pub const SHIFT_MASK: u32 = 1;
pub const CONTROL_MASK: u32 = 4;

/// One key press and release (evdev code), with Shift held or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: u32,
    pub shift: bool,
}

/// Keys to send after uploading `keymap`: one per character of the segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub keymap: String,
    pub keys: Vec<Key>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "cannot type the control character U+{code:04X} with a keyboard",
        code = u32::from(*.0)
    )]
    Control(char),
}

/// Whether every character of `text` can be typed (all but control characters
/// other than tab and newline).
pub fn can_type(text: &str) -> bool {
    text.chars()
        .all(|c| matches!(c, '\n' | '\t') || !c.is_control())
}

/// Plan `text`: segments of at most [`CHARS_PER_KEYMAP`] distinct characters.
pub fn plan(text: &str, newline: NewlineKey) -> Result<Vec<Segment>, PlanError> {
    let mut segments = Vec::new();
    let mut chars: Vec<char> = Vec::new();
    let mut keys = Vec::new();
    for c in text.chars() {
        let key = match c {
            '\n' => Key {
                code: RETURN - EVDEV_OFFSET,
                shift: newline == NewlineKey::ShiftReturn,
            },
            '\t' => Key {
                code: TAB - EVDEV_OFFSET,
                shift: false,
            },
            c if c.is_control() => return Err(PlanError::Control(c)),
            c => {
                let slot = match chars.iter().position(|&k| k == c) {
                    Some(i) => i,
                    None if chars.len() < CHARS_PER_KEYMAP => {
                        chars.push(c);
                        chars.len() - 1
                    }
                    None => {
                        segments.push(segment(&chars, std::mem::take(&mut keys)));
                        chars = vec![c];
                        0
                    }
                };
                Key {
                    code: FIRST_CHAR + slot as u32 - EVDEV_OFFSET,
                    shift: false,
                }
            }
        };
        keys.push(key);
    }
    if !keys.is_empty() {
        segments.push(segment(&chars, keys));
    }
    Ok(segments)
}

fn segment(chars: &[char], keys: Vec<Key>) -> Segment {
    use std::fmt::Write;
    let mut codes = String::new();
    let mut symbols = String::new();
    for (i, c) in chars.iter().enumerate() {
        let kc = FIRST_CHAR + i as u32;
        let _ = writeln!(codes, "  <C{kc}> = {kc};");
        // xkbcommon reads `U00E9` as the keysym of U+00E9 (Latin-1 and ASCII map to
        // their legacy keysyms, the rest to 0x1000000 + code point).
        let _ = writeln!(symbols, "  key <C{kc}> {{ [ U{:04X} ] }};", u32::from(*c));
    }
    let keymap = format!(
        "xkb_keymap {{\n\
         xkb_keycodes \"saytype\" {{\n  minimum = 8;\n  maximum = {LAST};\n  \
         <SHFT> = {SHIFT};\n  <RTRN> = {RETURN};\n  <TAB> = {TAB};\n{codes}}};\n\
         xkb_types \"saytype\" {{ include \"complete\" }};\n\
         xkb_compatibility \"saytype\" {{ include \"complete\" }};\n\
         xkb_symbols \"saytype\" {{\n  key <SHFT> {{ [ Shift_L ] }};\n  \
         modifier_map Shift {{ <SHFT> }};\n  key <RTRN> {{ [ Return ] }};\n  \
         key <TAB> {{ [ Tab ] }};\n{symbols}}};\n}};\n"
    );
    Segment { keymap, keys }
}

/// An ordinary US keymap, for the paste shortcut: GTK ignored Ctrl+V sent with `v`
/// on a made-up keymap (WAYLAND.md), it takes it from a real layout.
pub const US_KEYMAP: &str = "xkb_keymap {\n\
    xkb_keycodes { include \"evdev+aliases(qwerty)\" };\n\
    xkb_types { include \"complete\" };\n\
    xkb_compatibility { include \"complete\" };\n\
    xkb_symbols { include \"pc+us+inet(evdev)\" };\n\
    };\n";
/// evdev codes of the US keymap's keys (linux/input-event-codes.h).
pub const US_LEFT_CTRL: u32 = 29;
pub const US_LEFT_SHIFT: u32 = 42;
pub const US_V: u32 = 47;
pub const US_ENTER: u32 = 28;
pub const US_BACKSPACE: u32 = 14;

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: u32, shift: bool) -> Key {
        Key { code, shift }
    }

    #[test]
    fn one_keycode_per_distinct_character_and_fixed_keys_for_tab_and_newline() {
        let text = "aé a\t👨‍👩‍👧\n🇩🇪";
        let segments = plan(text, NewlineKey::ShiftReturn).expect("plan");
        assert_eq!(segments.len(), 1);
        let s = &segments[0];
        // a é space 👨 ZWJ 👩 👧 🇩 🇪: nine distinct characters, one key each.
        assert_eq!(s.keys.len(), text.chars().count());
        let (a, e, space) = (FIRST_CHAR - 8, FIRST_CHAR - 7, FIRST_CHAR - 6);
        assert_eq!(
            s.keys[..6],
            [
                key(a, false),
                key(e, false),
                key(space, false),
                key(a, false),
                key(TAB - 8, false),
                key(FIRST_CHAR - 5, false)
            ]
        );
        assert_eq!(s.keys[6], key(FIRST_CHAR - 4, false), "the ZWJ is a key");
        assert_eq!(s.keys[10], key(RETURN - 8, true), "Shift+Return");
        for sym in [
            "U0061", "U00E9", "U0020", "U1F468", "U200D", "U1F1E9", "U1F1EA",
        ] {
            assert!(s.keymap.contains(&format!("[ {sym} ]")), "{sym}");
        }
        assert!(s.keymap.contains("modifier_map Shift { <SHFT> };"));
        assert_eq!(s.keymap.matches("key <C").count(), 9);
        let plain = plan("\n", NewlineKey::Return).expect("plan");
        assert_eq!(plain[0].keys, [key(RETURN - 8, false)]);
    }

    #[test]
    fn more_distinct_characters_than_keycodes_start_a_new_segment() {
        let text: String = (0..300u32)
            .filter_map(|i| char::from_u32(0x4e00 + i))
            .chain("一丁".chars())
            .collect();
        let segments = plan(&text, NewlineKey::Return).expect("plan");
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[0].keys.len(), CHARS_PER_KEYMAP);
        assert_eq!(segments[1].keys.len(), 302 - CHARS_PER_KEYMAP);
        assert_eq!(
            segments[0].keymap.matches("key <C").count(),
            CHARS_PER_KEYMAP
        );
        // The highest keycode is 255.
        assert!(segments[0].keymap.contains("<C255> = 255;"));
        assert!(!segments[0].keymap.contains("<C256>"));
        // 一 (U+4E00) is in the first keymap, not in the second: it gets a key of
        // the second segment again.
        assert!(segments[1].keymap.contains("[ U4E00 ]"));
        let keys: usize = segments.iter().map(|s| s.keys.len()).sum();
        assert_eq!(keys, text.chars().count());
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(
            plan("a\u{7}", NewlineKey::Return),
            Err(PlanError::Control('\u{7}'))
        );
        assert!(can_type("tab\tand\nnewline 😀"));
        assert!(!can_type("carriage\r"));
        assert_eq!(plan("", NewlineKey::Return), Ok(Vec::new()));
    }
}
