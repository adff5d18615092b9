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
        text.chars()
            .all(|c| self.keymap_stroke(c).is_some() || !self.slots.is_empty())
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
            _ => self
                .keymap
                .find(keysym_of(c))
                .map(|(keycode, shift)| Stroke { keycode, shift }),
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
mod tests {
    use super::*;

    /// A tiny US-like map: keycodes 10.. with (level0, level1) pairs, plus spares.
    fn keymap(spares: usize) -> CoreKeymap {
        let mut rows: Vec<[u32; 2]> = vec![
            [SHIFT_L, NO_SYMBOL],
            [RETURN, NO_SYMBOL],
            [TAB, NO_SYMBOL],
            [u32::from('a'), u32::from('A')],
            [u32::from('b'), u32::from('B')],
            [u32::from('1'), u32::from('!')],
            [u32::from(' '), NO_SYMBOL],
        ];
        rows.extend(std::iter::repeat_n([NO_SYMBOL, NO_SYMBOL], spares));
        CoreKeymap {
            min_keycode: 10,
            keysyms_per_keycode: 2,
            keysyms: rows.into_iter().flatten().collect(),
        }
    }

    const SHIFT: u8 = 10;
    const RET: u8 = 11;
    const TAB_KC: u8 = 12;
    const A: u8 = 13;
    const ONE: u8 = 15;
    const SPACE: u8 = 16;
    const FIRST_SPARE: u8 = 17;

    fn plain(keycode: u8) -> Stroke {
        Stroke {
            keycode,
            shift: false,
        }
    }

    fn shifted(keycode: u8) -> Stroke {
        Stroke {
            keycode,
            shift: true,
        }
    }

    #[test]
    fn keyboard_characters_use_their_own_keys_and_shift() {
        let mut t = Typist::new(keymap(2)).expect("typist");
        assert_eq!(t.shift_keycode(), SHIFT);
        let chunk = t.next_chunk("aA!1 \t\n").expect("plan");
        assert!(
            chunk.bindings.is_empty(),
            "no binding for keys the keyboard has"
        );
        assert_eq!(
            chunk.strokes,
            [
                plain(A),
                shifted(A),
                shifted(ONE),
                plain(ONE),
                plain(SPACE),
                plain(TAB_KC),
                shifted(RET)
            ]
        );
        assert_eq!(chunk.consumed, "aA!1 \t\n".len());
        t.newline = NewlineKey::Return;
        assert_eq!(t.next_chunk("\n").expect("plan").strokes, [plain(RET)]);
    }

    #[test]
    fn other_characters_get_spare_slots_two_per_keycode_that_stay_bound() {
        let mut t = Typist::new(keymap(3)).expect("typist");
        let now = Instant::now();
        let chunk = t.next_chunk("é€é😀").expect("plan");
        let emoji = 0x0100_0000 | 0x1f600;
        assert_eq!(
            chunk.bindings,
            [
                (FIRST_SPARE, [0xe9, 0x20ac]),
                (FIRST_SPARE + 1, [emoji, emoji])
            ],
            "é plain and € shifted share a keycode; a lone keysym fills both levels"
        );
        assert_eq!(
            chunk.strokes,
            [
                plain(FIRST_SPARE),
                shifted(FIRST_SPARE),
                plain(FIRST_SPARE),
                plain(FIRST_SPARE + 1)
            ]
        );
        assert_eq!(chunk.rebind_after, None, "fresh slots need no barrier");
        t.mark_used(&chunk, now);
        // The next message reuses the bindings: nothing to bind.
        let again = t.next_chunk("€é").expect("plan");
        assert!(again.bindings.is_empty());
        assert_eq!(t.bound_keycodes(), [FIRST_SPARE, FIRST_SPARE + 1]);
    }

    #[test]
    fn too_many_distinct_characters_split_into_chunks_with_a_barrier() {
        // One spare keycode: two slots.
        let mut t = Typist::new(keymap(1)).expect("typist");
        let text = "αβγa";
        assert!(t.needs_rebinding(text));
        assert!(!t.needs_rebinding("αβa"));
        let now = Instant::now();
        let first = t.next_chunk(text).expect("plan");
        assert_eq!(first.consumed, "αβ".len());
        assert_eq!(first.strokes, [plain(FIRST_SPARE), shifted(FIRST_SPARE)]);
        assert_eq!(first.rebind_after, None);
        t.mark_used(&first, now);
        let second = t.next_chunk(&text[first.consumed..]).expect("plan");
        // γ rebinds the least recently used slot: only after a barrier.
        let (alpha, beta, gamma) = (keysym_of('α'), keysym_of('β'), keysym_of('γ'));
        assert_ne!(alpha, beta);
        assert_eq!(second.bindings, [(FIRST_SPARE, [gamma, beta])]);
        assert_eq!(second.rebind_after, Some(now));
        assert_eq!(second.strokes, [plain(FIRST_SPARE), plain(A)]);
    }

    #[test]
    fn without_spare_keycodes_only_the_keyboard_characters_are_typeable() {
        let mut t = Typist::new(keymap(0)).expect("typist");
        assert!(t.can_type("ab AB 1!"));
        assert!(!t.can_type("é"));
        assert_eq!(t.next_chunk("é"), Err(PlanError::Untypeable('é')));
    }

    /// The server's map as it looks after we bound `pairs` (others stay empty).
    fn server_map(spares: usize, pairs: &[(u8, [u32; 2])]) -> CoreKeymap {
        let mut map = keymap(spares);
        for (kc, pair) in pairs {
            let idx = (usize::from(*kc) - 10) * 2;
            map.keysyms[idx] = pair[0];
            map.keysyms[idx + 1] = pair[1];
        }
        map
    }

    #[test]
    fn refresh_keeps_our_bindings_and_drops_taken_slots() {
        let mut t = Typist::new(keymap(2)).expect("typist");
        let chunk = t.next_chunk("é").expect("plan");
        assert_eq!(chunk.bindings, [(FIRST_SPARE, [0xe9, 0xe9])]);
        // The server shows our binding, and someone else bound the second keycode.
        t.refresh(server_map(
            2,
            &[(FIRST_SPARE, [0xe9, 0xe9]), (FIRST_SPARE + 1, [0x41, 0x41])],
        ))
        .expect("refresh");
        assert_eq!(t.bound_keycodes(), [FIRST_SPARE]);
        let again = t.next_chunk("é").expect("plan");
        assert!(again.bindings.is_empty());
        // Only our keycode's free level is left: ü fits, ö must wait for a rebind.
        let other = t.next_chunk("éüö").expect("plan");
        assert_eq!(other.consumed, "éü".len());
        assert_eq!(other.bindings, [(FIRST_SPARE, [0xe9, 0xfc])]);
    }

    #[test]
    fn our_own_bindings_seen_in_a_refreshed_map_are_never_used_stale() {
        // One spare keycode. Bind é and ü, then refresh from a map that shows them.
        let mut t = Typist::new(keymap(1)).expect("typist");
        let first = t.next_chunk("éü").expect("plan");
        t.mark_used(&first, Instant::now());
        t.refresh(server_map(1, &[(FIRST_SPARE, [0xe9, 0xfc])]))
            .expect("refresh");
        // "ö é": ö takes é's level; é then needs ü's level. Each é must be typed on
        // the binding made for it in this chunk, never on the refreshed map's stale
        // idea that é sits on the plain level.
        let chunk = t.next_chunk("öé").expect("plan");
        assert_eq!(chunk.bindings, [(FIRST_SPARE, [0xf6, 0xe9])]);
        assert_eq!(chunk.strokes, [plain(FIRST_SPARE), shifted(FIRST_SPARE)]);
        assert!(chunk.rebind_after.is_some());
    }

    #[test]
    fn a_keyboard_without_shift_is_refused() {
        let map = CoreKeymap {
            min_keycode: 8,
            keysyms_per_keycode: 1,
            keysyms: vec![u32::from('a')],
        };
        assert_eq!(Typist::new(map).err(), Some(PlanError::NoBasicKeys));
    }
}
