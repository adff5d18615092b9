//! The final check: every accepted id against the relay's last word on it and
//! the window's file. Typed exactly once (`injected`, one complete copy,
//! byte-exact), or `failed` with a reason (an interrupted one leaves at most one
//! partial copy, as long as the reason says, give or take one batch of keys).
//! Anything else is counted as lost, doubled, stuck or a disagreement.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::senders::{Ledger, Msg};
use crate::texts::message_id;
use crate::window::openings;

/// The agent records its progress every this many keys.
const REPORT_EVERY: usize = 16;

#[derive(Default, Debug)]
pub(crate) struct Figures {
    pub(crate) accepted: usize,
    pub(crate) typed_once: usize,
    pub(crate) failed_with_reason: usize,
    /// Of those: "interrupted after N of M", and how many left a partial copy.
    pub(crate) interrupted: usize,
    pub(crate) partial_copies: usize,
    /// Partial copies: typed prefix minus N, min and max.
    pub(crate) partial_excess: Option<(i64, i64)>,
    /// Interrupted ones whose copy is complete (N = M or the last batch went out).
    pub(crate) interrupted_complete: usize,
    pub(crate) other_failures: BTreeMap<String, usize>,
    pub(crate) lost: usize,
    pub(crate) doubled: usize,
    pub(crate) stuck: usize,
    /// A status the window contradicts (injected but partial or garbled; a
    /// partial copy longer or shorter than the reason says).
    pub(crate) disagree: usize,
    /// Bytes in the window that belong to no message.
    pub(crate) stray: Vec<String>,
}

/// One accepted message, as the check sees it.
struct Seen<'a> {
    n: u64,
    id: String,
    text: &'a str,
    total_chars: usize,
    /// The relay's last answer about it.
    s: Value,
    /// Its only copy in the window, if any.
    copy: Option<&'a str>,
}

/// The figures, and a line for each problem found.
pub(crate) fn check(
    accepted: &[u64],
    ledger: &Ledger,
    statuses: &HashMap<u64, Value>,
    window: &str,
) -> (Figures, Vec<String>) {
    let ledger = ledger.lock().expect("ledger");
    let mut f = Figures {
        accepted: accepted.len(),
        ..Figures::default()
    };
    let mut problems = Vec::new();
    let copies = copies_in(window, &ledger, &mut f.stray);
    for n in copies.keys() {
        if !accepted.contains(n) {
            let id = message_id(*n);
            problems.push(format!(
                "{id}: in the window but never accepted (POST never answered 200)"
            ));
        }
    }
    for &n in accepted {
        let text = &ledger[&n].text;
        let mine = copies.get(&n).cloned().unwrap_or_default();
        let seen = Seen {
            n,
            id: message_id(n),
            text,
            total_chars: text.chars().count(),
            s: statuses.get(&n).cloned().unwrap_or(Value::Null),
            copy: mine.first().copied(),
        };
        if mine.len() > 1 {
            f.doubled += 1;
            problems.push(format!(
                "{}: DOUBLED: {} copies in the window (status {}); lengths {:?}",
                seen.id,
                mine.len(),
                seen.s["status"].as_str().unwrap_or("missing"),
                mine.iter().map(|c| c.len()).collect::<Vec<_>>()
            ));
            continue;
        }
        judge(&seen, window, &mut f, &mut problems);
    }
    for s in &f.stray {
        problems.push(format!("stray bytes in the window: {s:?}"));
    }
    (f, problems)
}

/// Each message's copies in the window: segments from each opening marker to the
/// next. Bytes that belong to no message go to `stray`.
fn copies_in<'w>(
    window: &'w str,
    ledger: &BTreeMap<u64, Msg>,
    stray: &mut Vec<String>,
) -> HashMap<u64, Vec<&'w str>> {
    let opens = openings(window);
    if let Some(first) = opens.first() {
        if first.0 > 0 {
            stray.push(window[..first.0].to_owned());
        }
    } else if !window.is_empty() {
        stray.push(window.to_owned());
    }
    let mut copies: HashMap<u64, Vec<&str>> = HashMap::new();
    for (i, &(at, n)) in opens.iter().enumerate() {
        let end = opens.get(i + 1).map_or(window.len(), |o| o.0);
        let seg = &window[at..end];
        // A complete copy followed by a fragment of something else (a marker cut
        // short before its `>`): split the fragment off as stray.
        let seg = match ledger.get(&n) {
            Some(m) if seg.len() > m.text.len() && seg.starts_with(&m.text) => {
                stray.push(seg[m.text.len()..].to_owned());
                &seg[..m.text.len()]
            }
            _ => seg,
        };
        copies.entry(n).or_default().push(seg);
    }
    copies
}

/// One message with at most one copy: does the window agree with its status?
fn judge(m: &Seen<'_>, window: &str, f: &mut Figures, problems: &mut Vec<String>) {
    let id = &m.id;
    let s = &m.s;
    let status = s["status"].as_str().unwrap_or("missing");
    let error = s["error"].as_str().unwrap_or("");
    match status {
        "injected" => judge_injected(m, window, f, problems),
        "failed" if error.is_empty() => {
            f.lost += 1;
            problems.push(format!("{id}: failed without a reason: {s}"));
        }
        "failed" => judge_failed(m, error, f, problems),
        "queued" | "delivered" => {
            f.stuck += 1;
            problems.push(format!(
                "{id}: STUCK {status} (window has {} chars of it): {s}",
                m.copy.map_or(0, |c| c.chars().count())
            ));
        }
        _ => {
            f.lost += 1;
            problems.push(format!("{id}: LOST: the relay says {s}"));
        }
    }
}

/// `injected`: one complete, byte-exact copy.
fn judge_injected(m: &Seen<'_>, window: &str, f: &mut Figures, problems: &mut Vec<String>) {
    let (id, n, text, total_chars) = (&m.id, m.n, m.text, m.total_chars);
    match m.copy {
        Some(c) if c == text => f.typed_once += 1,
        Some(c) => {
            f.disagree += 1;
            let same = c
                .chars()
                .zip(text.chars())
                .take_while(|(a, b)| a == b)
                .count();
            problems.push(format!(
                "{id}: injected, but the window's copy differs from char {same} \
                 ({} of {total_chars} chars): {:?} vs sent {:?}",
                c.chars().count(),
                c.chars().skip(same).take(30).collect::<String>(),
                text.chars().skip(same).take(30).collect::<String>()
            ));
        }
        None if window.contains(&format!("</c{n}>\n")) => {
            f.disagree += 1;
            problems.push(format!(
                "{id}: injected, its closing marker is in the window but not its opening one (garbled head)"
            ));
        }
        None => {
            f.lost += 1;
            problems.push(format!("{id}: LOST: injected, but not in the window"));
        }
    }
}

/// `failed` with a reason: at most a prefix of the text in the window; when
/// interrupted, as long as the reason says (give or take a batch of keys).
fn judge_failed(m: &Seen<'_>, error: &str, f: &mut Figures, problems: &mut Vec<String>) {
    let (id, text, total_chars, copy) = (&m.id, m.text, m.total_chars, m.copy);
    f.failed_with_reason += 1;
    let typed = copy.map_or(0, |c| c.chars().count());
    let prefix_ok = copy.is_none_or(|c| text.starts_with(c));
    if !prefix_ok {
        f.disagree += 1;
        problems.push(format!(
            "{id}: failed ({error}), and its copy in the window is not a prefix of the text"
        ));
        return;
    }
    let Some((done, of)) = interrupted_counts(error) else {
        let key: String = error.chars().take(60).collect();
        *f.other_failures.entry(key).or_default() += 1;
        if copy.is_some() {
            problems.push(format!(
                "{id}: failed ({error}) with {typed} of {total_chars} characters in the window"
            ));
        }
        return;
    };
    f.interrupted += 1;
    if of != total_chars {
        f.disagree += 1;
        problems.push(format!(
            "{id}: {error:?} but the text has {total_chars} characters"
        ));
    }
    if copy.is_some() && typed < total_chars {
        f.partial_copies += 1;
    }
    if typed == total_chars {
        f.interrupted_complete += 1;
    }
    let excess = typed as i64 - done as i64;
    let (lo, hi) = f.partial_excess.unwrap_or((excess, excess));
    f.partial_excess = Some((lo.min(excess), hi.max(excess)));
    if excess < 0 || excess > REPORT_EVERY as i64 {
        f.disagree += 1;
        problems.push(format!(
            "{id}: {error:?} but the window has {typed} of its {total_chars} characters"
        ));
    }
}

/// Parse "interrupted after N of M characters".
fn interrupted_counts(error: &str) -> Option<(usize, usize)> {
    let rest = error.strip_prefix("interrupted after ")?;
    let mut it = rest.split_whitespace();
    let n = it.next()?.parse().ok()?;
    (it.next()? == "of").then_some(())?;
    let m = it.next()?.parse().ok()?;
    Some((n, m))
}
