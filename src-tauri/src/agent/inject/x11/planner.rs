//! How to type a text with the keyboard the X server has: which keycode, with or
//! without Shift, for every character, and which spare keycodes to bind first.
//! Pure logic, no X connection: [`super::typing`] executes the plans.
//!
//! Why this exists: enigo 0.6 looks characters up at shift level 0 only, so every
//! capital letter and shifted symbol gets bound to one of the few spare keycodes, and
//! when those run out it rebinds them all. X clients fetch the key mapping lazily,
//! after a `MappingNotify`, and a key event still waiting in (say) xterm's queue is
//! then read with the *newer* binding: a character is dropped or changed (about 1–4
//! in 1,000 here). So:
//!
//! - a character the keyboard has is typed with its own keycode, with Shift for
//!   level 1: no binding at all (all of ASCII on a US layout);
//! - any other character gets a spare slot of its own, bound before the chunk of
//!   text that uses it and left bound afterwards (so the next message needs no
//!   binding for it). A slot is one level of a spare keycode: plain, or with Shift,
//!   so every spare keycode carries two characters;
//! - a keycode is bound to another character only once the target window has
//!   processed every event that used it: the planner marks such a chunk
//!   ([`Chunk::rebind_after`]) and the executor waits for a barrier first (a

use std::collections::HashMap;
use std::time::Instant;

use super::keymap::{keysym_of, CoreKeymap, NO_SYMBOL, RETURN, SHIFT_L, SHIFT_R, TAB};
use crate::agent::inject::NewlineKey;

/// One key press and release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stroke {
    pub keycode: u8,
    pub shift: bool,
}

/// A run of strokes, with the bindings to make (and when) before it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Chunk {
    /// Bind these keycodes to these keysyms (plain, shifted) first.
    pub bindings: Vec<(u8, [u32; 2])>,
    /// Some binding replaces one that was last used at this instant: the target must
    /// have processed the events sent until then before the binding is made.
    pub rebind_after: Option<Instant>,
    pub strokes: Vec<Stroke>,
    /// Bytes of the text this chunk covers.
    pub consumed: usize,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the keyboard map has no Shift or Return key")]
    NoBasicKeys,
    #[error(
        "cannot type {0:?} (U+{code:04X}): not on this keyboard and no spare keycode to bind",
        code = u32::from(*.0)
    )]
    Untypeable(char),
}

/// One level (0 plain, 1 with Shift) of a spare keycode.
#[derive(Debug, Clone)]
struct Slot {
    keycode: u8,
    level: u8,
    bound: Option<u32>,
    last_used: Option<Instant>,
}

fn slots_of(keycode: u8) -> [Slot; 2] {
    [0, 1].map(|level| Slot {
        keycode,
        level,
        bound: None,
        last_used: None,
    })
}

/// The planner: the keymap plus what we have bound on spare keycodes.
#[derive(Debug)]
pub struct Typist {
    keymap: CoreKeymap,
    shift: u8,
    ret: u8,
    tab: Option<u8>,
    slots: Vec<Slot>,
    pub newline: NewlineKey,
}

impl Typist {
    pub fn new(keymap: CoreKeymap) -> Result<Typist, PlanError> {
        let slots = keymap
            .spare_keycodes()
            .into_iter()
            .flat_map(slots_of)
            .collect();
        let mut typist = Typist {
            shift: 0,
            ret: 0,
            tab: None,
            slots,
            keymap,
            newline: NewlineKey::default(),
        };
        typist.locate_basic_keys()?;
        Ok(typist)
    }

    fn locate_basic_keys(&mut self) -> Result<(), PlanError> {
        let plain = |sym| {
            self.keymap
                .find(sym)
                .filter(|(_, shift)| !shift)
                .map(|(kc, _)| kc)
        };
        self.shift = plain(SHIFT_L)
            .or_else(|| plain(SHIFT_R))
            .ok_or(PlanError::NoBasicKeys)?;
        self.ret = plain(RETURN).ok_or(PlanError::NoBasicKeys)?;
        self.tab = plain(TAB);
        Ok(())
    }

    /// The user changed layout (or another program bound keys): take the new map.
    /// A slot stays ours where the map still shows our binding; a free slot stays
    /// ours where its keycode is still empty or still carries our other level.
    pub fn refresh(&mut self, keymap: CoreKeymap) -> Result<(), PlanError> {
        let spare = keymap.spare_keycodes();
        let level_sym = |kc: u8, level: u8| {
            keymap
                .keycodes()
                .find(|(k, _)| *k == kc)
                .and_then(|(_, syms)| syms.get(usize::from(level)).copied())
        };
        for slot in &mut self.slots {
            if spare.contains(&slot.keycode) {
                slot.bound = None;
            } else if slot.bound.is_some() && level_sym(slot.keycode, slot.level) != slot.bound {
                // Someone else took this keycode.
                slot.keycode = 0;
            }
        }
        let owned: Vec<u8> = self
            .slots
            .iter()
            .filter(|s| s.keycode != 0 && (s.bound.is_some() || spare.contains(&s.keycode)))
            .map(|s| s.keycode)
            .collect();
        self.slots
            .retain(|s| s.keycode != 0 && owned.contains(&s.keycode));
        for kc in spare {
            if !self.slots.iter().any(|s| s.keycode == kc) {
                self.slots.extend(slots_of(kc));
            }
        }
        let ours: Vec<u8> = self.slots.iter().map(|s| s.keycode).collect();
        self.keymap = keymap.without(&ours);
        self.locate_basic_keys()
    }

    pub fn shift_keycode(&self) -> u8 {
        self.shift
    }

    /// The keyboard's own key for `keysym` (spare keycodes excluded), as of the last
    /// refresh.
    pub fn find(&self, keysym: u32) -> Option<(u8, bool)> {
        self.keymap.find(keysym)
    }

    pub fn keysyms_per_keycode(&self) -> u8 {
        self.keymap.keysyms_per_keycode.max(1)
    }

    /// Keycodes we have bound, to unbind when the injector goes away.
    pub fn bound_keycodes(&self) -> Vec<u8> {
        let mut list: Vec<u8> = self
            .slots
            .iter()
            .filter(|s| s.bound.is_some())
            .map(|s| s.keycode)
            .collect();
        list.dedup();
        list
    }

    /// Whether every character of `text` can be typed at all.
    pub fn can_type(&self, text: &str) -> bool {
        text.chars().all(|c| {
            self.keymap_stroke(c).is_some() || (!self.slots.is_empty() && keysym_of(c) != NO_SYMBOL)
        })
    }

    /// Whether typing `text` would need more slots than there are (then some slot
    /// must be rebound mid-text, which costs barriers).
    pub fn needs_rebinding(&self, text: &str) -> bool {
        let mut rare: Vec<u32> = text
            .chars()
            .filter(|&c| self.keymap_stroke(c).is_none())
            .map(keysym_of)
            .collect();
        rare.sort_unstable();
        rare.dedup();
        rare.len() > self.slots.len()
    }

    fn keymap_stroke(&self, c: char) -> Option<Stroke> {
        match c {
            '\n' => Some(Stroke {
                keycode: self.ret,
                shift: self.newline == NewlineKey::ShiftReturn,
            }),
            '\t' => self.tab.map(|keycode| Stroke {
                keycode,
                shift: false,
            }),
            // No keysym (a noncharacter, say): an empty level would "have" it.
            _ => match keysym_of(c) {
                NO_SYMBOL => None,
                sym => self
                    .keymap
                    .find(sym)
                    .map(|(keycode, shift)| Stroke { keycode, shift }),
            },
        }
    }

    /// What a keycode must carry, plain and shifted. An unbound level repeats the
    /// other one: a lone keysym would let the server "complete" it (a capital letter
    /// gets its small letter as the plain level).
    fn pair(&self, keycode: u8) -> [u32; 2] {
        let level = |l: u8| {
            self.slots
                .iter()
                .find(|s| s.keycode == keycode && s.level == l)
                .and_then(|s| s.bound)
        };
        let (plain, shifted) = (level(0), level(1));
        [
            plain.or(shifted).unwrap_or(NO_SYMBOL),
            shifted.or(plain).unwrap_or(NO_SYMBOL),
        ]
    }

    /// Plan the next chunk of `text`: as many characters as can be typed without
    /// rebinding a slot that this chunk itself uses.
    pub fn next_chunk(&mut self, text: &str) -> Result<Chunk, PlanError> {
        let mut chunk = Chunk::default();
        let mut in_chunk: HashMap<u32, (u8, u8)> = HashMap::new();
        for (at, c) in text.char_indices() {
            if let Some(stroke) = self.keymap_stroke(c) {
                chunk.strokes.push(stroke);
                chunk.consumed = at + c.len_utf8();
                continue;
            }
            let sym = keysym_of(c);
            if sym == NO_SYMBOL {
                return Err(PlanError::Untypeable(c));
            }
            let (keycode, level) = if let Some(&slot) = in_chunk.get(&sym) {
                slot
            } else if let Some(slot) = self.slots.iter().find(|s| s.bound == Some(sym)) {
                (slot.keycode, slot.level)
            } else {
                // Bind a slot: a free one, else the least recently used one that
                // this chunk does not use.
                let used: Vec<(u8, u8)> = in_chunk.values().copied().collect();
                let candidate = self
                    .slots
                    .iter_mut()
                    .filter(|s| !used.contains(&(s.keycode, s.level)))
                    .min_by_key(|s| (s.bound.is_some(), s.last_used));
                let Some(slot) = candidate else {
                    if chunk.strokes.is_empty() {
                        return Err(PlanError::Untypeable(c));
                    }
                    // Every slot serves this chunk: finish it, continue in the next.
                    return Ok(chunk);
                };
                if slot.bound.is_some() {
                    chunk.rebind_after = chunk.rebind_after.max(slot.last_used);
                }
                slot.bound = Some(sym);
                let (keycode, level) = (slot.keycode, slot.level);
                let pair = self.pair(keycode);
                match chunk.bindings.iter_mut().find(|(kc, _)| *kc == keycode) {
                    Some(binding) => binding.1 = pair,
                    None => chunk.bindings.push((keycode, pair)),
                }
                (keycode, level)
            };
            in_chunk.insert(sym, (keycode, level));
            chunk.strokes.push(Stroke {
                keycode,
                shift: level == 1,
            });
            chunk.consumed = at + c.len_utf8();
        }
        Ok(chunk)
    }

    /// The chunk's strokes were sent at `at`.
    pub fn mark_used(&mut self, chunk: &Chunk, at: Instant) {
        for slot in &mut self.slots {
            let stroke = Stroke {
                keycode: slot.keycode,
                shift: slot.level == 1,
            };
            if chunk.strokes.contains(&stroke) {
                slot.last_used = Some(at);
            }
        }
    }
}

#[cfg(test)]
#[path = "planner_tests.rs"]
mod tests;
