//! The sealed link (docs/sealed-link.md): whatever the network sends as an envelope,
//! parsing and opening answer and never panic; a box opens only under its key,
//! phone, counter and nonce, and a box with any byte flipped is refused; the replay
//! window accepts each counter at most once, whatever order they come in.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use saytype::protocol::sealed::SealedRequest;
use saytype::sealed::{open_request, seal_request, ReplayWindow, KEY_LEN, NONCE_LEN};

fuzz_target!(|data: &[u8]| {
    // An envelope as it arrives: parsed, then opened with a key it was not sealed
    // with (the fuzzer cannot forge a Poly1305 tag).
    if let Ok(req) = serde_json::from_slice::<SealedRequest>(data) {
        let opened = open_request(&[7; KEY_LEN], &req.phone, req.ctr, &[0; NONCE_LEN], req.sealed.as_bytes());
        assert!(opened.is_err(), "a box opened under a key nobody used");
    }

    // A box of the fuzzer's plaintext: it opens where it was sealed, and nowhere else.
    if let Some((&first, plain)) = data.split_first() {
        let key = [first; KEY_LEN];
        let nonce = [u8::try_from(data.len() % 256).unwrap_or(0); NONCE_LEN];
        let ctr = u64::from(first) + 1;
        let boxed = seal_request(&key, "phone", ctr, &nonce, plain);
        assert_eq!(open_request(&key, "phone", ctr, &nonce, &boxed).as_deref(), Ok(plain));
        let mut flipped = boxed.clone();
        let at = usize::from(first) % flipped.len();
        flipped[at] ^= 1 << (first % 8);
        assert!(open_request(&key, "phone", ctr, &nonce, &flipped).is_err(), "a flipped byte went unnoticed");
        assert!(open_request(&key, "phone", ctr + 1, &nonce, &boxed).is_err(), "moved to another counter");
        assert!(open_request(&key, "other", ctr, &nonce, &boxed).is_err(), "moved to another phone");
    }

    // Counters in any order (two bytes each): none is accepted twice, and one above
    // every counter seen so far is always accepted (the window counts requests, not
    // counter distance). Read back from its stored form, it refuses the same.
    let mut window = ReplayWindow::default();
    let mut accepted = HashSet::new();
    let mut highest = 0;
    for pair in data.chunks(2) {
        let counter = pair.iter().fold(0u64, |acc, b| acc * 256 + u64::from(*b));
        match window.accept(counter) {
            Ok(()) => assert!(accepted.insert(counter), "counter {counter} accepted twice"),
            Err(_) => assert!(counter == 0 || counter <= highest, "a new highest counter {counter} refused"),
        }
        highest = highest.max(counter);
    }
    let stored = ReplayWindow::from_stored(window.floor(), &window.to_bytes());
    assert_eq!(stored.as_ref(), Ok(&window), "the stored window reads back the same");
});
