//! Unit tests of the keymap planner (apart, to keep planner.rs one idea).

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

/// Found by the keymap fuzzer: a noncharacter (U+FDEC) has no keysym, and the
/// empty level of a key "had" it, so it was typed as nothing and lost.
#[test]
fn a_character_without_a_keysym_is_untypeable_not_typed_as_an_empty_key() {
    for spares in [0, 2] {
        let mut t = Typist::new(keymap(spares)).expect("typist");
        assert!(!t.can_type("\u{FDEC}"));
        assert_eq!(
            t.next_chunk("\u{FDEC}"),
            Err(PlanError::Untypeable('\u{FDEC}'))
        );
    }
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
