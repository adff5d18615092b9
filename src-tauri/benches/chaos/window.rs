//! Reading the window's file: where each message's copy begins (its `<cN>`
//! marker), and whether a long message is being typed right now (the moment an
//! aimed kill waits for).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::senders::Ledger;
use crate::texts::LONG;

/// The last opening marker in the window's file, if its message is long, not
/// closed yet, and between 5% and 50% typed: `(n, typed bytes)`.
pub(crate) fn long_in_progress(out: &Path, ledger: &Ledger) -> Option<(u64, usize)> {
    let mut f = std::fs::File::open(out).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(4_096))).ok()?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).ok()?;
    let tail = String::from_utf8_lossy(&buf);
    let (at, n) = openings(&tail).last().copied()?;
    let typed = tail.len() - at;
    let ledger = ledger.lock().ok()?;
    let total = ledger.get(&n)?.text.len();
    (total >= LONG && typed * 20 >= total && typed * 2 <= total).then_some((n, typed))
}

/// Byte offsets and numbers of every `<cN>` in `s`.
pub(crate) fn openings(s: &str) -> Vec<(usize, u64)> {
    let b = s.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(p) = s[i..].find("<c") {
        let start = i + p;
        let mut j = start + 2;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > start + 2 && j < b.len() && b[j] == b'>' {
            if let Ok(n) = s[start + 2..j].parse() {
                found.push((start, n));
            }
            i = j + 1;
        } else {
            i = start + 2;
        }
    }
    found
}
