//! What the flow remembers of the messages it typed: the window they went into,
//! when, and what went in, for as long as the focus stays in that window. It
//! answers the two questions of dictating in a row: does the next message get a
//! joining space, and may "scratch that" remove the previous one (and with how
//! many BackSpaces). Pure logic: the clock and the focus are passed in.

use std::time::{Duration, Instant};

use super::erase;
use super::spacing::needs_space;
use crate::agent::inject::FocusNow;

/// Most messages "scratch that" can remove one after the other.
const KEEP: usize = 50;

/// One message in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What went in (a pressed Return as a line break).
    pub typed: String,
    /// The message as meant ended in white space, also when the window did not
    /// get it (a terminal drops a trailing line break): no joining space after it.
    pub ends_in_space: bool,
    /// Why BackSpace cannot remove it, if it cannot.
    pub not_erasable: Option<&'static str>,
}

impl Entry {
    /// A message that went in as meant, and can be erased.
    pub fn plain(typed: &str) -> Entry {
        Entry {
            typed: typed.to_owned(),
            ends_in_space: typed.ends_with(char::is_whitespace),
            not_erasable: None,
        }
    }
}

/// The run of messages typed into one window while the focus stayed there.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    window: u64,
    /// The window's application, for the reasons given.
    app: Option<String>,
    at: Instant,
    entries: Vec<Entry>,
}

/// Why "scratch that" removed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("nothing to remove: no message was typed since SayType started or since the focus last moved")]
    Nothing,
    #[error("this desktop cannot tell which window has the focus, so nothing was removed")]
    Blind,
    #[error("the focus left {0} since the previous message went into it, so nothing was removed (the text there may have changed)")]
    FocusLeft(String),
    #[error("the previous message {0}, which BackSpace cannot undo, so nothing was removed")]
    NotErasable(&'static str),
}

/// What "scratch that" may remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scratch {
    /// BackSpaces to press: one per character as seen (see [`erase`]).
    pub backspaces: usize,
    /// What they remove.
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Memory {
    run: Option<Run>,
}

impl Memory {
    /// The run, if the focus is still in its window and never left it.
    fn current(&self, focus: Option<FocusNow>) -> Option<&Run> {
        let run = self.run.as_ref()?;
        let focus = focus?;
        (focus.stayed && focus.window == run.window).then_some(run)
    }

    /// Whether `next`, about to go into the focused window at `now`, gets a
    /// joining space: the previous message went into this same window, the focus
    /// never left it since, at most `within` ago, and the texts call for one.
    pub fn joins(
        &self,
        focus: Option<FocusNow>,
        now: Instant,
        within: Duration,
        next: &str,
    ) -> bool {
        let Some(run) = self.current(focus) else {
            return false;
        };
        let Some(prev) = run.entries.last() else {
            return false;
        };
        now.saturating_duration_since(run.at) <= within
            && !prev.ends_in_space
            && needs_space(&prev.typed, next)
    }

    /// A message went into `window` (of `app`) at `now`.
    pub fn typed(&mut self, window: u64, app: Option<String>, now: Instant, entry: Entry) {
        match &mut self.run {
            Some(run) if run.window == window => {
                run.at = now;
                if app.is_some() {
                    run.app = app;
                }
                run.entries.push(entry);
                if run.entries.len() > KEEP {
                    run.entries.remove(0);
                }
            }
            _ => {
                self.run = Some(Run {
                    window,
                    app,
                    at: now,
                    entries: vec![entry],
                })
            }
        }
    }

    /// Forget everything: what the window holds is not known any more (a
    /// message failed part way, or went where the route cannot see).
    pub fn forget(&mut self) {
        self.run = None;
    }

    /// What "scratch that" may remove from the focused window, or why not.
    pub fn scratch(&self, focus: Option<FocusNow>) -> Result<Scratch, Refused> {
        let Some(run) = &self.run else {
            return Err(Refused::Nothing);
        };
        let Some(focus) = focus else {
            return Err(Refused::Blind);
        };
        let Some(entry) = self.current(Some(focus)).and_then(|r| r.entries.last()) else {
            return match run.entries.is_empty() {
                true => Err(Refused::Nothing),
                false => Err(Refused::FocusLeft(
                    run.app.clone().unwrap_or_else(|| "its window".into()),
                )),
            };
        };
        if let Some(why) = entry.not_erasable {
            return Err(Refused::NotErasable(why));
        }
        Ok(Scratch {
            backspaces: erase::backspaces(&entry.typed).map_err(Refused::NotErasable)?,
            text: entry.typed.clone(),
        })
    }

    /// The previous message was removed (at `now`): the one before it is now
    /// the previous one.
    pub fn scratched(&mut self, now: Instant) {
        if let Some(run) = &mut self.run {
            run.entries.pop();
            run.at = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u64 = 7;
    const LIMIT: Duration = Duration::from_secs(60);

    fn at(window: u64, stayed: bool) -> Option<FocusNow> {
        Some(FocusNow { window, stayed })
    }

    fn memory_with(typed: &str, t0: Instant) -> Memory {
        let mut m = Memory::default();
        m.typed(W, Some("XTerm".into()), t0, Entry::plain(typed));
        m
    }

    #[test]
    fn a_space_only_in_the_same_window_soon_after_with_the_focus_kept() {
        let t0 = Instant::now();
        let m = memory_with("Hello", t0);
        assert!(m.joins(at(W, true), t0 + Duration::from_secs(5), LIMIT, "world"));
        assert!(!m.joins(at(8, false), t0, LIMIT, "world"), "another window");
        assert!(
            !m.joins(at(W, false), t0, LIMIT, "world"),
            "focus left and came back"
        );
        assert!(!m.joins(None, t0, LIMIT, "world"), "the route cannot tell");
        assert!(!m.joins(at(W, true), t0 + Duration::from_secs(61), LIMIT, "world"));
        assert!(!m.joins(at(W, true), t0, LIMIT, "."), "the texts' rule");
        assert!(!Memory::default().joins(at(W, true), t0, LIMIT, "world"));
        let mut dropped = Memory::default();
        let ls = Entry {
            ends_in_space: true,
            ..Entry::plain("ls")
        };
        dropped.typed(W, None, t0, ls);
        assert!(
            !dropped.joins(at(W, true), t0, LIMIT, "pwd"),
            "a line break the terminal dropped still ends the line"
        );
    }

    #[test]
    fn scratch_counts_grapheme_clusters_and_goes_back_one_message_at_a_time() {
        let t0 = Instant::now();
        let mut m = memory_with("first", t0);
        // e + combining acute, a thumbs up with a skin tone, a flag: one each.
        m.typed(W, None, t0, Entry::plain(" cafe\u{301} 👍🏽🇫🇷"));
        let s = m.scratch(at(W, true)).expect("allowed");
        assert_eq!(s.backspaces, 8);
        m.scratched(t0);
        assert_eq!(
            m.scratch(at(W, true)).expect("the one before").backspaces,
            5
        );
        m.scratched(t0);
        assert_eq!(m.scratch(at(W, true)), Err(Refused::Nothing));
    }

    #[test]
    fn scratch_refuses_letters_that_applications_erase_differently() {
        let t0 = Instant::now();
        let m = memory_with("नमस्ते", t0);
        assert_eq!(
            m.scratch(at(W, true)),
            Err(Refused::NotErasable(erase::PARTS))
        );
    }

    #[test]
    fn scratch_refuses_when_the_focus_left_or_keys_were_pressed() {
        let t0 = Instant::now();
        let mut m = memory_with("hello", t0);
        assert_eq!(
            m.scratch(at(8, false)),
            Err(Refused::FocusLeft("XTerm".into()))
        );
        assert_eq!(
            m.scratch(at(W, false)),
            Err(Refused::FocusLeft("XTerm".into()))
        );
        assert_eq!(m.scratch(None), Err(Refused::Blind));
        let enter = Entry {
            not_erasable: Some("pressed Return"),
            ..Entry::plain("ls\n")
        };
        m.typed(W, None, t0, enter);
        assert_eq!(
            m.scratch(at(W, true)),
            Err(Refused::NotErasable("pressed Return"))
        );
        m.forget();
        assert_eq!(m.scratch(at(W, true)), Err(Refused::Nothing));
        let reason = Refused::FocusLeft("XTerm".into()).to_string();
        assert!(reason.starts_with("the focus left XTerm"), "{reason}");
    }

    #[test]
    fn another_window_starts_a_new_run() {
        let t0 = Instant::now();
        let mut m = memory_with("one", t0);
        m.typed(8, Some("Gedit".into()), t0, Entry::plain("two"));
        assert!(!m.joins(at(W, true), t0, LIMIT, "x"));
        assert_eq!(m.scratch(at(8, true)).expect("two").text, "two");
        m.scratched(t0);
        assert_eq!(
            m.scratch(at(8, true)),
            Err(Refused::Nothing),
            "one is not there"
        );
    }
}
