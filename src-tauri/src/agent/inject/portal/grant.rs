//! The portal's grant as plain logic: when to call `Start` (it may show the
//! permission dialog), and what each answer means for the stored restore token
//! and for the user.

/// What to do when the route is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `Start` now: a stored token makes it silent, or the user asked for it.
    Start,
    /// Wait for the user to press "Allow typing": starting now would pop a dialog
    /// nobody asked for.
    AskUser,
}

/// Whether to `Start` now.
pub fn on_connect(token_stored: bool, user_asked: bool) -> Step {
    if token_stored || user_asked {
        Step::Start
    } else {
        Step::AskUser
    }
}

/// The answer of `Start` (the `Response` signal of its request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Code 0: granted, with the new restore token if the portal gave one.
    Granted { token: Option<String> },
    /// Code 1: the user declined (or closed the dialog).
    Refused,
    /// No answer in time (the dialog was left open): closed by SayType.
    NoAnswer,
    /// Code 2, or the request failed: why.
    Failed(String),
}

/// What becomes of the stored token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenAction {
    Store(String),
    Forget,
}

/// The state after an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    Granted,
    /// The grant is needed (again): this says what to do.
    NeedsGrant(String),
    /// Not now, for this reason (the token is kept for another try).
    Failed(String),
}

/// The line that says the grant is needed, and what to do.
pub const NEEDS_GRANT: &str = "SayType needs your permission to type through the desktop's \
    remote desktop portal: press \"Allow typing\" in the SayType window or tray menu and \
    allow it in the dialog that opens (asked once, then remembered)";

/// What an answer means.
pub fn after_start(answer: Answer) -> (Option<TokenAction>, After) {
    match answer {
        Answer::Granted { token: Some(token) } => (Some(TokenAction::Store(token)), After::Granted),
        // Granted for this run only: the old token is spent either way.
        Answer::Granted { token: None } => (Some(TokenAction::Forget), After::Granted),
        Answer::Refused => (
            Some(TokenAction::Forget),
            After::NeedsGrant(format!(
                "permission to type was declined in the portal's dialog. {NEEDS_GRANT}"
            )),
        ),
        // The token may still be good: kept for the next try.
        Answer::NoAnswer => (
            None,
            After::NeedsGrant(format!(
                "the desktop's permission dialog was not answered in time. {NEEDS_GRANT}"
            )),
        ),
        Answer::Failed(why) => (None, After::Failed(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_is_silent_or_asked_for() {
        assert_eq!(on_connect(true, false), Step::Start);
        assert_eq!(on_connect(false, true), Step::Start);
        assert_eq!(on_connect(false, false), Step::AskUser);
    }

    #[test]
    fn answers_renew_or_drop_the_token() {
        assert_eq!(
            after_start(Answer::Granted {
                token: Some("t2".into())
            }),
            (Some(TokenAction::Store("t2".into())), After::Granted)
        );
        assert_eq!(
            after_start(Answer::Granted { token: None }),
            (Some(TokenAction::Forget), After::Granted)
        );
        let (action, after) = after_start(Answer::Refused);
        assert_eq!(action, Some(TokenAction::Forget));
        assert!(matches!(after, After::NeedsGrant(w) if w.contains("Allow typing")));
        let (action, after) = after_start(Answer::NoAnswer);
        assert_eq!(action, None, "the token is kept");
        assert!(matches!(after, After::NeedsGrant(w) if w.contains("not answered")));
        assert_eq!(
            after_start(Answer::Failed("bus".into())),
            (None, After::Failed("bus".into()))
        );
    }
}
