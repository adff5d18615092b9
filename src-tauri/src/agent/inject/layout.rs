//! The user's keyboard layout as a compositor hands it out (the XKB keymap of
//! `wl_keyboard`), read for the routes that type with the user's own keys: KWin's
//! fake-input (keycodes) and mutter's RemoteDesktop (keysyms, which mutter maps to
//! keycodes of the same layout and drops when the layout has none). Neither can
//! type a character that is not on the layout, so a text with one is pasted
//! whole (see [`Layout::plan`]).
//!
//! Which key and modifiers type a character is read with xkbcommon (a keymap is a
//! program, not a table): for the active group, every level of every key, with the
//! modifier masks that select it; only levels reachable with Shift and AltGr
//! (`LevelThree`) are used.

use std::collections::HashMap;

use xkbcommon::xkb;

use super::NewlineKey;

/// XKB keycodes are evdev codes + 8; fake-input takes evdev codes.
const EVDEV_OFFSET: u32 = 8;
const RETURN: u32 = 0xff0d;
const TAB: u32 = 0xff09;
const SHIFT_L: u32 = 0xffe1;
const CONTROL_L: u32 = 0xffe3;
const ISO_LEVEL3_SHIFT: u32 = 0xfe03;

/// One key press with the modifiers it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stroke {
    /// evdev code.
    pub code: u32,
    pub keysym: u32,
    pub shift: bool,
    pub level3: bool,
}

/// The keys of one layout group.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    chars: HashMap<char, Stroke>,
    /// Keysyms without a character of their own (Return, Tab, the modifiers).
    keys: HashMap<u32, Stroke>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("the compositor's keymap does not compile")]
    Compile,
    #[error("the keyboard layout has no {0} key")]
    Missing(&'static str),
}

/// How a text goes in on this layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Every character is on the layout: these strokes.
    Type(Vec<Stroke>),
    /// This character (and maybe more) is not: the text is pasted.
    Paste(char),
}

impl Layout {
    /// Read an XKB keymap (text format v1): the keys that type the same in every
    /// group (layout) it has. A client is told the active group only while it
    /// has the keyboard focus, which SayType never has; a key that means
    /// different things in different layouts (`y` on US and German) is not
    /// relied on, and a text that needs it is pasted.
    pub fn from_keymap(keymap: &str) -> Result<Layout, LayoutError> {
        let context = xkb::Context::new(xkb::CONTEXT_NO_FLAGS);
        let keymap = xkb::Keymap::new_from_string(
            &context,
            keymap.to_owned(),
            xkb::KEYMAP_FORMAT_TEXT_V1,
            xkb::COMPILE_NO_FLAGS,
        )
        .ok_or(LayoutError::Compile)?;
        let mut groups = (0..keymap.num_layouts().max(1)).map(|g| read_group(&keymap, g));
        let mut layout = groups.next().unwrap_or_default();
        for other in groups {
            layout.chars.retain(|c, s| other.chars.get(c) == Some(s));
            layout.keys.retain(|k, s| other.keys.get(k) == Some(s));
        }
        Ok(layout)
    }

    /// Keep the first and simplest way to type each character and key.
    fn add(&mut self, stroke: Stroke) {
        let cost = |s: &Stroke| u8::from(s.shift) + 2 * u8::from(s.level3);
        let better = |old: Option<&Stroke>| old.is_none_or(|o| cost(&stroke) < cost(o));
        match char::from_u32(xkb::keysym_to_utf32(xkb::Keysym::new(stroke.keysym))) {
            Some(c) if c != '\0' && !c.is_control() => {
                if better(self.chars.get(&c)) {
                    self.chars.insert(c, stroke);
                }
            }
            _ => {
                if better(self.keys.get(&stroke.keysym)) {
                    self.keys.insert(stroke.keysym, stroke);
                }
            }
        }
    }

    /// The key that types `c`, if the layout has it.
    pub fn stroke(&self, c: char) -> Option<Stroke> {
        self.chars.get(&c).copied()
    }

    fn key(&self, keysym: u32, name: &'static str) -> Result<Stroke, LayoutError> {
        self.keys
            .get(&keysym)
            .copied()
            .ok_or(LayoutError::Missing(name))
    }

    pub fn shift_key(&self) -> Result<Stroke, LayoutError> {
        self.key(SHIFT_L, "Shift")
    }

    pub fn level3_key(&self) -> Result<Stroke, LayoutError> {
        self.key(ISO_LEVEL3_SHIFT, "AltGr")
    }

    pub fn control_key(&self) -> Result<Stroke, LayoutError> {
        self.key(CONTROL_L, "Control")
    }

    /// The paste shortcut's letter: wherever the layout has `v`.
    pub fn v_key(&self) -> Result<Stroke, LayoutError> {
        self.stroke('v').ok_or(LayoutError::Missing("v"))
    }

    /// Whether every character of `text` is on the layout.
    pub fn can_type(&self, text: &str) -> bool {
        matches!(self.plan(text, NewlineKey::Return), Plan::Type(_))
    }

    /// The strokes for `text`, or the first character that is not on the layout.
    pub fn plan(&self, text: &str, newline: NewlineKey) -> Plan {
        let mut strokes = Vec::with_capacity(text.len());
        for c in text.chars() {
            let stroke = match c {
                '\n' => self.keys.get(&RETURN).map(|s| Stroke {
                    shift: newline == NewlineKey::ShiftReturn,
                    ..*s
                }),
                '\t' => self.keys.get(&TAB).copied(),
                c => self.stroke(c),
            };
            match stroke {
                Some(s) => strokes.push(s),
                None => return Plan::Paste(c),
            }
        }
        Plan::Type(strokes)
    }
}

/// The keys of group `group`, with the modifier masks that select each level.
fn read_group(keymap: &xkb::Keymap, group: u32) -> Layout {
    let shift = mask_of(keymap, xkb::MOD_NAME_SHIFT);
    // AltGr: the virtual `LevelThree`, which the masks give as the real
    // modifier it is mapped to, Mod5 in the standard keymaps.
    let level3 = mask_of(keymap, "LevelThree") | mask_of(keymap, "Mod5");
    let mut layout = Layout::default();
    let (min, max) = (keymap.min_keycode().raw(), keymap.max_keycode().raw());
    for raw in min.max(EVDEV_OFFSET)..=max {
        let code = xkb::Keycode::new(raw);
        let groups = keymap.num_layouts_for_key(code);
        if groups == 0 {
            continue;
        }
        // A key with fewer groups wraps, as xkbcommon does by default.
        let group = group % groups;
        for level in 0..keymap.num_levels_for_key(code, group) {
            let mut masks = [0; 16];
            let n = keymap.key_get_mods_for_level(code, group, level, &mut masks);
            // The simplest mask we can produce: only Shift and AltGr.
            let Some(mask) = masks[..n.min(masks.len())]
                .iter()
                .copied()
                .filter(|m| m & !(shift | level3) == 0)
                .min_by_key(|m| m.count_ones())
            else {
                continue;
            };
            let [sym] = keymap.key_get_syms_by_level(code, group, level) else {
                continue;
            };
            layout.add(Stroke {
                code: raw - EVDEV_OFFSET,
                keysym: sym.raw(),
                shift: mask & shift != 0,
                level3: mask & level3 != 0,
            });
        }
    }
    layout
}

fn mask_of(keymap: &xkb::Keymap, name: &str) -> u32 {
    match keymap.mod_get_index(name) {
        xkb::MOD_INVALID => 0,
        i if i < 32 => 1 << i,
        _ => 0,
    }
}

/// A compiled keymap of the installed XKB data, by RMLVO names (tests, benches).
pub fn keymap_of(layout: &str, variant: &str) -> Option<String> {
    let context = xkb::Context::new(xkb::CONTEXT_NO_FLAGS);
    let keymap = xkb::Keymap::new_from_names(
        &context,
        "evdev",
        "pc105",
        layout,
        variant,
        None,
        xkb::COMPILE_NO_FLAGS,
    )?;
    Some(keymap.get_as_string(xkb::KEYMAP_FORMAT_TEXT_V1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(name: &str) -> Layout {
        let keymap = keymap_of(name, "").expect("xkb data (xkb-data)");
        Layout::from_keymap(&keymap).expect("layout")
    }

    #[test]
    fn us_layout_types_ascii_with_shift_and_nothing_else() {
        let us = layout("us");
        let a = us.stroke('a').expect("a");
        assert_eq!((a.code, a.shift, a.level3), (30, false, false), "KEY_A");
        let cap = us.stroke('A').expect("A");
        assert_eq!((cap.code, cap.shift), (30, true));
        assert_eq!(us.stroke('@').map(|s| (s.code, s.shift)), Some((3, true)));
        let all: String = (' '..='~').collect();
        assert!(us.can_type(&all), "all of printable ASCII");
        assert!(us.can_type("line\n\tnext"));
        assert_eq!(us.plan("café", NewlineKey::Return), Plan::Paste('é'));
        assert_eq!(us.shift_key().map(|s| s.code), Ok(42));
        assert_eq!(us.control_key().map(|s| s.code), Ok(29));
        assert_eq!(us.v_key().map(|s| s.code), Ok(47));
        let Plan::Type(keys) = us.plan("\n", NewlineKey::ShiftReturn) else {
            panic!("plan");
        };
        assert_eq!((keys[0].code, keys[0].shift), (28, true), "Shift+Return");
    }

    #[test]
    fn with_two_layouts_only_keys_that_agree_are_typed() {
        let both = layout("us,de");
        assert_eq!(both.stroke('a').map(|s| s.code), Some(30));
        assert_eq!(both.stroke('y'), None, "KEY_Y is z on the German layout");
        assert_eq!(both.stroke('@'), None, "Shift+2 on US, AltGr+Q on German");
        assert_eq!(both.plan("ä", NewlineKey::Return), Plan::Paste('ä'));
        assert!(both.can_type("Hallo, Welt 123\n\t"));
        assert!(both.shift_key().is_ok() && both.control_key().is_ok());
    }

    #[test]
    fn german_layout_uses_its_own_keys_and_altgr() {
        let de = layout("de");
        assert_eq!(de.stroke('z').map(|s| s.code), Some(21), "z is on KEY_Y");
        assert_eq!(de.stroke('y').map(|s| s.code), Some(44));
        let at = de.stroke('@').expect("@");
        assert_eq!((at.code, at.shift, at.level3), (16, false, true), "AltGr+Q");
        assert!(de.level3_key().is_ok());
        assert!(de.can_type("Grüße, Maß {x} € @ | ~ \\"));
        assert_eq!(de.plan("ça", NewlineKey::Return), Plan::Paste('ç'));
        assert_eq!(de.v_key().map(|s| s.code), Ok(47));
    }
}
