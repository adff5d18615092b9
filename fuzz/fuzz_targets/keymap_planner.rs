//! The X11 keymap planner against a model keyboard: any text the agent would type
//! plans into chunks whose bindings and strokes, played on a model X server (a
//! keycode's level 1 falls back to level 0 when it is empty, as in X), give back the
//! same text; a binding replaces a keycode used by an earlier chunk only after a
//! barrier (`rebind_after`); every chunk makes progress.
//!
//! Input: one byte for the number of spare keycodes (0-7), one for the newline key,
//! then the text (UTF-8, and only texts the agent's rules let through).
#![no_main]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use saytype::agent::inject::x11::keymap::{CoreKeymap, NO_SYMBOL, RETURN, SHIFT_L, TAB};
use saytype::agent::inject::x11::planner::{PlanError, Typist};
use saytype::agent::inject::NewlineKey;
use saytype::protocol::normalize_text;

const MIN_KEYCODE: u8 = 10;

/// A tiny US-like keyboard: Shift, Return, Tab, a-z/A-Z, digits with their shifted
/// symbols, space, then `spares` empty keycodes.
fn keyboard(spares: usize) -> CoreKeymap {
    let mut rows: Vec<[u32; 2]> = vec![[SHIFT_L, NO_SYMBOL], [RETURN, NO_SYMBOL], [TAB, NO_SYMBOL]];
    for (lower, upper) in ('a'..='z').zip('A'..='Z') {
        rows.push([u32::from(lower), u32::from(upper)]);
    }
    for (digit, shifted) in "1234567890".chars().zip("!@#$%^&*()".chars()) {
        rows.push([u32::from(digit), u32::from(shifted)]);
    }
    rows.push([u32::from(' '), NO_SYMBOL]);
    rows.extend(std::iter::repeat_n([NO_SYMBOL, NO_SYMBOL], spares));
    CoreKeymap {
        min_keycode: MIN_KEYCODE,
        keysyms_per_keycode: 2,
        keysyms: rows.into_iter().flatten().collect(),
    }
}

/// What a key press gives on the model server.
fn typed(map: &HashMap<u8, [u32; 2]>, keycode: u8, shift: bool) -> Option<char> {
    let pair = map.get(&keycode)?;
    let sym = if shift && pair[1] != NO_SYMBOL {
        pair[1]
    } else {
        pair[0]
    };
    match sym {
        NO_SYMBOL | SHIFT_L => None,
        RETURN => Some('\n'),
        TAB => Some('\t'),
        _ => xkeysym::Keysym::new(sym).key_char(),
    }
}

fuzz_target!(|data: &[u8]| {
    let [spares, newline, rest @ ..] = data else {
        return;
    };
    let Ok(raw) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(text) = normalize_text(raw) else {
        return;
    };
    let keymap = keyboard(usize::from(spares % 8));
    let mut server: HashMap<u8, [u32; 2]> = keymap
        .keycodes()
        .map(|(kc, syms)| (kc, [syms[0], syms[1]]))
        .collect();
    let mut typist = Typist::new(keymap).expect("the model keyboard has Shift and Return");
    typist.newline = if newline % 2 == 0 {
        NewlineKey::Return
    } else {
        NewlineKey::ShiftReturn
    };
    let start = Instant::now();
    let mut out = String::new();
    let mut last_used: HashMap<(u8, bool), Instant> = HashMap::new();
    let mut at = 0;
    let mut round = 0u64;
    while at < text.len() {
        let chunk = match typist.next_chunk(&text[at..]) {
            Ok(chunk) => chunk,
            Err(PlanError::Untypeable(c)) => {
                // Only when the keyboard lacks it and there is no spare keycode,
                // or it has no keysym at all.
                assert!(
                    spares % 8 == 0 || xkeysym::Keysym::from_char(c).raw() == NO_SYMBOL,
                    "{c:?} refused with spare keycodes"
                );
                return;
            }
            Err(e) => panic!("{e}"),
        };
        assert!(chunk.consumed > 0, "no progress at byte {at} of {text:?}");
        for (keycode, pair) in &chunk.bindings {
            // A level that gives another character now must not have been used
            // by events the target may not have read yet.
            for shift in [false, true] {
                let before = typed(&server, *keycode, shift);
                let after = typed(&HashMap::from([(*keycode, *pair)]), *keycode, shift);
                if before != after {
                    if let Some(&used) = last_used.get(&(*keycode, shift)) {
                        assert!(
                            chunk.rebind_after.is_some_and(|t| t >= used),
                            "keycode {keycode} (shift {shift}) rebound without a barrier"
                        );
                    }
                }
            }
            server.insert(*keycode, *pair);
        }
        for stroke in &chunk.strokes {
            let c = typed(&server, stroke.keycode, stroke.shift)
                .unwrap_or_else(|| panic!("keycode {} gives nothing", stroke.keycode));
            out.push(c);
        }
        round += 1;
        let now = start + Duration::from_millis(round);
        typist.mark_used(&chunk, now);
        for stroke in &chunk.strokes {
            last_used.insert((stroke.keycode, stroke.shift), now);
        }
        at += chunk.consumed;
    }
    assert_eq!(out, text);
});
