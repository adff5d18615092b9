//! Voice commands: a table per language (data, `commands/<code>.txt`), and the
//! parser that turns what was said into what to type and which keys to press.
//! Pure logic: the injector wrapper ([`super::injector`]) does the typing.

use std::sync::OnceLock;

/// The languages with a table: code and file. Another language is one more file
/// and one more line here.
const LANGUAGES: &[(&str, &str)] = &[("en", include_str!("commands/en.txt"))];

/// What a command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A line break, typed by the usual rules (a paste in terminals).
    NewLine,
    /// Two line breaks.
    Paragraph,
    /// Press Return: the one way a dictated message presses it (also in terminals).
    Enter,
    /// The Tab key.
    Tab,
    /// Remove the previous message.
    Scratch,
}

/// One command of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Command {
    /// The phrase's words, lower case.
    words: Vec<String>,
    action: Action,
    /// Only as the whole message.
    alone: bool,
}

/// A language's commands.
#[derive(Debug, PartialEq, Eq)]
pub struct CommandTable {
    pub language: &'static str,
    /// Longest phrases first, so "new paragraph" is never read as "new" + ...
    commands: Vec<Command>,
}

/// Why a table line was not understood (a mistake in a data file; tests read
/// every table).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{language} line {line}: {why}")]
pub struct TableError {
    language: String,
    line: usize,
    why: String,
}

/// One part of a message after its commands are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text, line breaks and tabs included.
    Text(String),
    /// Press Return.
    Enter,
}

impl Piece {
    /// Its length in characters (a pressed Return is one), as progress counts.
    pub fn chars(&self) -> usize {
        match self {
            Piece::Text(t) => t.chars().count(),
            Piece::Enter => 1,
        }
    }
}

/// What a message asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Text to type, and keys to press, in order.
    Pieces(Vec<Piece>),
    /// "scratch that": remove the previous message.
    Scratch,
}

impl Parsed {
    /// The message typed as it is (voice commands off).
    pub fn literal(text: &str) -> Parsed {
        Parsed::Pieces(vec![Piece::Text(text.to_owned())])
    }
}

impl CommandTable {
    /// The table for a language code (`en`), if there is one.
    pub fn for_language(code: &str) -> Option<&'static CommandTable> {
        static TABLES: OnceLock<Vec<CommandTable>> = OnceLock::new();
        let tables = TABLES.get_or_init(|| {
            LANGUAGES
                .iter()
                .filter_map(|(code, text)| match CommandTable::parse_table(code, text) {
                    Ok(table) => Some(table),
                    Err(e) => {
                        tracing::error!("voice commands: {e}");
                        None
                    }
                })
                .collect()
        });
        tables
            .iter()
            .find(|t| t.language.eq_ignore_ascii_case(code))
    }

    /// The codes of the languages with a table.
    pub fn languages() -> impl Iterator<Item = &'static str> {
        LANGUAGES.iter().map(|(code, _)| *code)
    }

    fn parse_table(language: &'static str, text: &str) -> Result<CommandTable, TableError> {
        let mut commands = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |why: &str| TableError {
                language: language.to_owned(),
                line: i + 1,
                why: why.to_owned(),
            };
            let fields: Vec<&str> = line.split('|').map(str::trim).collect();
            let [phrase, action, place] = fields[..] else {
                return Err(err("expected: phrase | action | where"));
            };
            let action = match action {
                "newline" => Action::NewLine,
                "paragraph" => Action::Paragraph,
                "enter" => Action::Enter,
                "tab" => Action::Tab,
                "scratch" => Action::Scratch,
                _ => return Err(err("unknown action")),
            };
            let alone = match place {
                "anywhere" => false,
                "alone" => true,
                _ => return Err(err("where is `anywhere` or `alone`")),
            };
            if action == Action::Scratch && !alone {
                // Removing the previous message from inside a new one would leave
                // the message's own words either typed or lost: say it alone.
                return Err(err("scratch is a command alone"));
            }
            let words: Vec<String> = phrase.split_whitespace().map(str::to_lowercase).collect();
            if words.is_empty() {
                return Err(err("empty phrase"));
            }
            commands.push(Command {
                words,
                action,
                alone,
            });
        }
        commands.sort_by_key(|c| std::cmp::Reverse(c.words.iter().map(String::len).sum::<usize>()));
        Ok(CommandTable { language, commands })
    }

    /// Read the commands in `text`.
    pub fn parse(&self, text: &str) -> Parsed {
        let bare = text.trim_matches(|c: char| c.is_whitespace() || is_dictation_punctuation(c));
        for command in &self.commands {
            if let Some(end) = match_phrase(bare, 0, &command.words) {
                if end == bare.len() {
                    return match command.action {
                        Action::Scratch => Parsed::Scratch,
                        action => Parsed::Pieces(pieces_of(String::new(), action)),
                    };
                }
            }
        }
        let mut pieces = Vec::new();
        let mut out = String::new();
        let mut at = 0;
        let mut prev: Option<char> = None;
        while at < text.len() {
            let found =
                prev.is_none_or(|p| !p.is_alphanumeric())
                    .then(|| {
                        self.commands.iter().filter(|c| !c.alone).find_map(|c| {
                            match_phrase(text, at, &c.words).map(|end| (c.action, end))
                        })
                    })
                    .flatten();
            match found {
                Some((action, end)) => {
                    // The space before the command and the punctuation and
                    // space a dictation engine put after it go.
                    out.truncate(out.trim_end_matches(' ').len());
                    let rest = &text[end..];
                    let skipped = rest.len()
                        - rest
                            .trim_start_matches(is_dictation_punctuation)
                            .trim_start_matches(' ')
                            .len();
                    at = end + skipped;
                    prev = None;
                    match action {
                        Action::NewLine => out.push('\n'),
                        Action::Paragraph => out.push_str("\n\n"),
                        Action::Tab => out.push('\t'),
                        Action::Enter => {
                            if !out.is_empty() {
                                pieces.push(Piece::Text(std::mem::take(&mut out)));
                            }
                            pieces.push(Piece::Enter);
                        }
                        Action::Scratch => {}
                    }
                }
                None => {
                    let Some(c) = text[at..].chars().next() else {
                        break;
                    };
                    out.push(c);
                    at += c.len_utf8();
                    prev = Some(c);
                }
            }
        }
        if !out.is_empty() {
            pieces.push(Piece::Text(out));
        }
        Parsed::Pieces(pieces)
    }
}

/// The pieces of a message that is one command.
fn pieces_of(mut out: String, action: Action) -> Vec<Piece> {
    match action {
        Action::NewLine => out.push('\n'),
        Action::Paragraph => out.push_str("\n\n"),
        Action::Tab => out.push('\t'),
        Action::Enter => return vec![Piece::Enter],
        Action::Scratch => {}
    }
    vec![Piece::Text(out)]
}

/// What dictation engines put after a phrase ("New line." "new line,").
fn is_dictation_punctuation(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | ';' | ':' | '!' | '?' | '…' | '。' | '、' | '，'
    )
}

/// Where the phrase `words` ends if it starts at byte `at` of `text` (any run of
/// spaces between its words, a word boundary after it), compared
/// case-insensitively.
fn match_phrase(text: &str, at: usize, words: &[String]) -> Option<usize> {
    let mut pos = at;
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            let rest = &text[pos..];
            let spaced = rest.trim_start_matches([' ', '\u{a0}']);
            if spaced.len() == rest.len() {
                return None;
            }
            pos += rest.len() - spaced.len();
        }
        let mut chars = text[pos..].chars();
        for expected in word.chars() {
            let c = chars.next()?;
            if !c.to_lowercase().eq(expected.to_lowercase()) {
                return None;
            }
            pos += c.len_utf8();
        }
    }
    match text[pos..].chars().next() {
        Some(next) if next.is_alphanumeric() => None,
        _ => Some(pos),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn en() -> &'static CommandTable {
        CommandTable::for_language("en").expect("the English table")
    }

    fn text(t: &str) -> Parsed {
        Parsed::Pieces(vec![Piece::Text(t.into())])
    }

    #[test]
    fn every_table_reads() {
        for (code, file) in LANGUAGES {
            let table = CommandTable::parse_table(code, file).expect("table");
            assert!(!table.commands.is_empty(), "{code}");
        }
        assert!(CommandTable::for_language("EN").is_some());
        assert!(CommandTable::for_language("xx").is_none());
        assert!(CommandTable::parse_table("t", "a | jump | anywhere").is_err());
        assert!(CommandTable::parse_table("t", "a | tab").is_err());
        assert!(CommandTable::parse_table("t", "a | scratch | anywhere").is_err());
    }

    #[test]
    fn line_breaks_with_the_punctuation_engines_add() {
        let t = en();
        assert_eq!(t.parse("hello new line world"), text("hello\nworld"));
        assert_eq!(
            t.parse("Hello. New line. How are you?"),
            text("Hello.\nHow are you?")
        );
        assert_eq!(t.parse("one, new line, two"), text("one,\ntwo"));
        assert_eq!(t.parse("NEW LINE"), text("\n"));
        assert_eq!(t.parse("New line."), text("\n"));
        assert_eq!(t.parse("a new paragraph b"), text("a\n\nb"));
        assert_eq!(t.parse("a newline b"), text("a\nb"));
        assert_eq!(
            t.parse("new   line"),
            text("\n"),
            "any spacing between words"
        );
    }

    #[test]
    fn only_whole_words_match() {
        let t = en();
        assert_eq!(t.parse("renew lines"), text("renew lines"));
        assert_eq!(t.parse("a new liner"), text("a new liner"));
        assert_eq!(
            t.parse("open a new tab"),
            text("open a new tab"),
            "tab alone only"
        );
        assert_eq!(
            t.parse("say scratch that again"),
            text("say scratch that again")
        );
    }

    #[test]
    fn enter_tab_and_scratch() {
        let t = en();
        assert_eq!(
            t.parse("ls -la press enter"),
            Parsed::Pieces(vec![Piece::Text("ls -la".into()), Piece::Enter])
        );
        assert_eq!(
            t.parse("Press Enter. pwd, press enter."),
            Parsed::Pieces(vec![Piece::Enter, Piece::Text("pwd,".into()), Piece::Enter])
        );
        assert_eq!(t.parse("press enter"), Parsed::Pieces(vec![Piece::Enter]));
        assert_eq!(t.parse("Tab."), text("\t"));
        assert_eq!(t.parse("name press tab Ada"), text("name\tAda"));
        assert_eq!(t.parse("Scratch that."), Parsed::Scratch);
        assert_eq!(t.parse("  scratch   that! "), Parsed::Scratch);
        assert_eq!(t.parse("Grüße new line Köln"), text("Grüße\nKöln"));
    }
}
