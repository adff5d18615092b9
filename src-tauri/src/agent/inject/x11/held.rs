//! Modifier keys left held down by a previous run.
//!
//! Typing presses Shift through XTest for runs of shifted characters, and pasting
//! holds Control. An agent killed between the press and the release leaves the key
//! down in the X server: the next message came out shifted (`<c69>` as `>C^(>`)
//! and was still reported typed, and the user's own keyboard stayed shifted. The
//! chaos soak found it after 12 of 131 kills. So before typing or pasting, every
//! modifier key that is down is released through XTest. A key the user is really
//! holding is held by the physical keyboard's device, not by XTest's, so a release
//! sent through XTest leaves it alone. Caps Lock is a lock, not a held key, and is
//! left as it is.

use enigo::{Direction, Keyboard};
use x11rb::protocol::xproto::ConnectionExt;

use super::{x11_error, X11Injector};
use crate::agent::inject::{input_error, InjectError};

/// Index of Lock in the core modifier map (Shift, Lock, Control, Mod1..Mod5).
const LOCK: usize = 1;

/// The keycodes that are down (`keys`: the 32-byte bitmap of `QueryKeymap`) and
/// belong to a modifier other than Lock (`map`: `GetModifierMapping`'s keycodes,
/// `per_modifier` a modifier, 0 for none).
pub fn held_modifiers(keys: &[u8], map: &[u8], per_modifier: usize) -> Vec<u8> {
    let down = |k: u8| {
        keys.get(usize::from(k / 8))
            .is_some_and(|byte| byte & (1 << (k % 8)) != 0)
    };
    let mut held: Vec<u8> = map
        .chunks(per_modifier.max(1))
        .enumerate()
        .filter(|(modifier, _)| *modifier != LOCK)
        .flat_map(|(_, keycodes)| keycodes.iter().copied())
        .filter(|&k| k != 0 && down(k))
        .collect();
    held.sort_unstable();
    held.dedup();
    held
}

impl X11Injector {
    /// Release every modifier key that is down (see the module's doc).
    pub(super) fn release_held_modifiers(&mut self) -> Result<(), InjectError> {
        let keys = self
            .conn
            .query_keymap()
            .map_err(x11_error)?
            .reply()
            .map_err(x11_error)?
            .keys;
        let map = self
            .conn
            .get_modifier_mapping()
            .map_err(x11_error)?
            .reply()
            .map_err(x11_error)?;
        let per_modifier = map.keycodes.len() / 8;
        for keycode in held_modifiers(&keys, &map.keycodes, per_modifier) {
            tracing::info!(keycode, "releasing a modifier key left held down");
            self.enigo
                .raw(u16::from(keycode), Direction::Release)
                .map_err(input_error)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_down(codes: &[u8]) -> [u8; 32] {
        let mut keys = [0u8; 32];
        for &k in codes {
            keys[usize::from(k / 8)] |= 1 << (k % 8);
        }
        keys
    }

    #[test]
    fn held_modifiers_are_found_and_locks_and_other_keys_are_not() {
        // Two keycodes per modifier: Shift 50/62, Lock 66, Control 37/105, Mod1 64.
        let map = [50, 62, 66, 0, 37, 105, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(held_modifiers(&keys_down(&[]), &map, 2), Vec::<u8>::new());
        assert_eq!(held_modifiers(&keys_down(&[50]), &map, 2), [50]);
        assert_eq!(
            held_modifiers(&keys_down(&[66, 38, 37, 62]), &map, 2),
            [37, 62],
            "Caps Lock and the letter a are left alone"
        );
        assert_eq!(held_modifiers(&keys_down(&[64]), &map, 2), [64]);
        assert_eq!(held_modifiers(&keys_down(&[50]), &[], 0), Vec::<u8>::new());
    }
}
