//! The flow around a scripted route: what it is asked to type and press, and what
//! the result says went in.

use std::sync::{Arc, Mutex};

use super::*;
use crate::agent::flow::CommandTable;

/// What the scripted route saw and what it reports.
#[derive(Default)]
struct Route {
    calls: Vec<String>,
    window: u64,
    watched: Option<u64>,
    app: String,
    recording: bool,
    no_keys: bool,
}

struct Scripted(Arc<Mutex<Route>>);

impl Injector for Scripted {
    fn inject(&mut self, text: &str, _: &mut dyn Progress) -> Result<Method, InjectError> {
        let mut r = lock(&self.0);
        r.calls.push(format!("type {text:?}"));
        Ok(if r.recording {
            Method::Recorded
        } else {
            Method::Typed
        })
    }
    fn take_target(&mut self) -> Option<Target> {
        Some(Target {
            app: lock(&self.0).app.clone(),
            title: None,
            method: None,
        })
    }
    fn focus_now(&mut self) -> Option<FocusNow> {
        let r = lock(&self.0);
        Some(FocusNow {
            window: r.window,
            stayed: r.watched == Some(r.window),
        })
    }
    fn watch_focus(&mut self) {
        let mut r = lock(&self.0);
        r.watched = Some(r.window);
    }
    fn can_press(&mut self) -> bool {
        !lock(&self.0).no_keys
    }
    fn press(&mut self, key: Key, n: usize, _: &mut dyn Progress) -> Result<Method, InjectError> {
        lock(&self.0).calls.push(format!("{key:?} x{n}"));
        Ok(Method::Typed)
    }
    fn readiness(&mut self) -> Readiness {
        Readiness::Ready("scripted".into())
    }
}

struct NoProgress;

impl Progress for NoProgress {
    fn advanced(&mut self, _: usize) -> bool {
        true
    }
}

fn flow(app: &str, commands: bool) -> (FlowInjector, Arc<Mutex<Route>>) {
    let route = Arc::new(Mutex::new(Route {
        app: app.into(),
        window: 1,
        ..Route::default()
    }));
    let settings = FlowSettings {
        commands: commands.then(|| CommandTable::for_language("en")).flatten(),
        ..FlowSettings::default()
    };
    let flow = FlowInjector::new(
        Box::new(Scripted(route.clone())),
        Arc::new(Mutex::new(settings)),
    );
    (flow, route)
}

fn say(flow: &mut FlowInjector, text: &str) -> (Result<Method, InjectError>, Option<String>) {
    let result = flow.inject(text, &mut NoProgress);
    (result, flow.take_typed())
}

fn calls(route: &Arc<Mutex<Route>>) -> Vec<String> {
    std::mem::take(&mut lock(route).calls)
}

#[test]
fn a_joining_space_in_the_same_window_only() {
    let (mut flow, route) = flow("Gedit", false);
    assert_eq!(say(&mut flow, "Hello"), (Ok(Method::Typed), None));
    assert_eq!(say(&mut flow, "world").1.as_deref(), Some(" world"));
    lock(&route).window = 2;
    assert_eq!(say(&mut flow, "there"), (Ok(Method::Typed), None));
    assert_eq!(
        calls(&route),
        ["type \"Hello\"", "type \" world\"", "type \"there\""]
    );
}

#[test]
fn no_space_after_a_line_break_a_terminal_dropped() {
    let (mut flow, route) = flow("XTerm", true);
    assert_eq!(say(&mut flow, "ls new line").1.as_deref(), Some("ls"));
    assert_eq!(say(&mut flow, "pwd"), (Ok(Method::Typed), None));
    assert_eq!(calls(&route), ["type \"ls\\n\"", "type \"pwd\""]);
}

#[test]
fn press_enter_between_texts_and_what_a_terminal_dropped() {
    let (mut flow, route) = flow("XTerm", true);
    let (result, typed) = say(&mut flow, "ls press enter pwd new line");
    assert_eq!(result, Ok(Method::Typed));
    assert_eq!(
        typed.as_deref(),
        Some("ls\npwd"),
        "the terminal drops the last break"
    );
    assert_eq!(
        calls(&route),
        ["type \"ls\"", "Return x1", "type \"pwd\\n\""]
    );
    // Return was pressed: BackSpace cannot undo it.
    let (result, _) = say(&mut flow, "scratch that");
    let reason = result.expect_err("refused").to_string();
    assert!(reason.contains("pressed Return"), "{reason}");
    assert!(calls(&route).is_empty(), "nothing pressed");
}

#[test]
fn press_enter_where_no_key_can_be_pressed_types_nothing() {
    let (mut flow, route) = flow("foot", true);
    lock(&route).no_keys = true;
    let reason = say(&mut flow, "ls press enter")
        .0
        .expect_err("refused")
        .to_string();
    assert!(
        reason.starts_with("press enter: this desktop's route"),
        "{reason}"
    );
    assert!(calls(&route).is_empty(), "nothing typed");
    assert_eq!(say(&mut flow, "ls new line").0, Ok(Method::Typed));
}

#[test]
fn a_failure_part_way_counts_in_the_whole_message() {
    let e = InjectError::FocusMoved {
        app: "XTerm".into(),
        typed: 2,
        total: 3,
    };
    assert_eq!(
        counted(e, 4, 9).to_string(),
        InjectError::FocusMoved {
            app: "XTerm".into(),
            typed: 6,
            total: 9
        }
        .to_string()
    );
    let other = InjectError::Failed("no".into());
    assert_eq!(counted(other.clone(), 4, 9), other);
}

#[test]
fn scratch_presses_backspace_per_grapheme_and_reports_erased() {
    let (mut flow, route) = flow("Gedit", true);
    assert_eq!(say(&mut flow, "one").0, Ok(Method::Typed));
    assert_eq!(say(&mut flow, "e\u{301}👍🏽").0, Ok(Method::Typed));
    let (result, typed) = say(&mut flow, "Scratch that!");
    assert_eq!(result, Ok(Method::Typed));
    assert_eq!(typed.as_deref(), Some(""));
    assert_eq!(
        flow.take_target().and_then(|t| t.method).as_deref(),
        Some(ERASED)
    );
    assert_eq!(
        calls(&route)[2],
        "BackSpace x3",
        "the joining space and two clusters"
    );
    lock(&route).watched = None;
    let reason = say(&mut flow, "scratch that")
        .0
        .expect_err("refused")
        .to_string();
    assert!(
        reason.starts_with("scratch that: the focus left Gedit"),
        "{reason}"
    );
}

#[test]
fn record_only_reports_no_typed_text_and_presses_nothing_for_scratch() {
    let (mut flow, route) = flow("Gedit", true);
    lock(&route).recording = true;
    assert_eq!(say(&mut flow, "a new line b"), (Ok(Method::Recorded), None));
    let reason = say(&mut flow, "scratch that")
        .0
        .expect_err("nothing typed")
        .to_string();
    assert!(reason.contains("nothing to remove"), "{reason}");
}
