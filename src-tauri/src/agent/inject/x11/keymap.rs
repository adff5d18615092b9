//! The X server's core key mapping as the planner sees it: which keycode (and
//! level) carries a keysym, which keycodes are spare, whether a binding was kept.
//! Pure data, read from the server by [`super::X11Injector`].

use xkeysym::Keysym;

pub const NO_SYMBOL: u32 = 0;
pub const RETURN: u32 = 0xff0d;
pub const TAB: u32 = 0xff09;
pub const SHIFT_L: u32 = 0xffe1;
pub const SHIFT_R: u32 = 0xffe2;
pub const CAPS_LOCK: u32 = 0xffe5;
pub const CONTROL_L: u32 = 0xffe3;
pub const INSERT: u32 = 0xff63;
pub const BACKSPACE: u32 = 0xff08;

/// The server's core key mapping (`GetKeyboardMapping`).
#[derive(Debug, Clone)]
pub struct CoreKeymap {
    pub min_keycode: u8,
    pub keysyms_per_keycode: u8,
    pub keysyms: Vec<u32>,
}

impl CoreKeymap {
    pub fn keycodes(&self) -> impl Iterator<Item = (u8, &[u32])> {
        let per = usize::from(self.keysyms_per_keycode).max(1);
        self.keysyms
            .chunks(per)
            .enumerate()
            .filter_map(move |(i, syms)| {
                u8::try_from(usize::from(self.min_keycode) + i)
                    .ok()
                    .map(|kc| (kc, syms))
            })
    }

    /// The keycode (and whether Shift is needed) that types `keysym` in group 1:
    /// level 0 anywhere first, then level 1.
    pub fn find(&self, keysym: u32) -> Option<(u8, bool)> {
        for level in 0..2 {
            for (kc, syms) in self.keycodes() {
                if syms.get(level) == Some(&keysym) {
                    return Some((kc, level == 1));
                }
            }
        }
        None
    }

    /// Keycodes with no symbol at all: free to bind.
    pub fn spare_keycodes(&self) -> Vec<u8> {
        self.keycodes()
            .filter(|(_, syms)| syms.iter().all(|&s| s == NO_SYMBOL))
            .map(|(kc, _)| kc)
            .collect()
    }

    /// Whether a keycode carries exactly these keysyms, plain and shifted.
    pub fn carries(&self, keycode: u8, pair: [u32; 2]) -> bool {
        self.keycodes().any(|(kc, syms)| {
            kc == keycode
                && syms.first() == Some(&pair[0])
                && syms.get(1).is_none_or(|s| *s == pair[1])
        })
    }

    /// The same map with these keycodes emptied. The typist's own view: a spare
    /// keycode's binding changes mid-text, so it must only ever be reached through
    /// the slot that tracks it, never through a stale copy of the server's map.
    pub fn without(mut self, keycodes: &[u8]) -> CoreKeymap {
        let per = usize::from(self.keysyms_per_keycode).max(1);
        for &kc in keycodes {
            let start = usize::from(kc.saturating_sub(self.min_keycode)) * per;
            if let Some(syms) = self.keysyms.get_mut(start..start + per) {
                syms.fill(NO_SYMBOL);
            }
        }
        self
    }
}

/// The keysym that produces `c` (tab and newline are keys, handled apart).
pub fn keysym_of(c: char) -> u32 {
    Keysym::from_char(c).raw()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_levels_spares_and_bindings() {
        let map = CoreKeymap {
            min_keycode: 8,
            keysyms_per_keycode: 2,
            keysyms: vec![
                u32::from('a'),
                u32::from('A'),
                NO_SYMBOL,
                NO_SYMBOL,
                u32::from('!'),
                u32::from('A'),
            ],
        };
        assert_eq!(map.find(u32::from('a')), Some((8, false)));
        assert_eq!(
            map.find(u32::from('A')),
            Some((8, true)),
            "level 0 wins, then the first"
        );
        assert_eq!(map.find(u32::from('!')), Some((10, false)));
        assert_eq!(map.spare_keycodes(), [9]);
        assert!(map.carries(8, [u32::from('a'), u32::from('A')]));
        assert!(!map.carries(9, [u32::from('a'), u32::from('A')]));
        let without = map.without(&[8]);
        assert_eq!(without.find(u32::from('a')), None);
        assert_eq!(without.spare_keycodes(), [8, 9]);
        assert_eq!(keysym_of('é'), 0xe9);
    }
}
