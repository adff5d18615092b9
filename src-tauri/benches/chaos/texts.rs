//! The messages' texts: unique and self-delimiting (`<cN>` … `</cN>`), so that
//! every copy of every message can be found in the window again, whole or cut.

use crate::rng::Rng;

/// Messages at least this long are "long" (aimed kills land in them).
pub(crate) const LONG: usize = 300;

/// Words to build texts from: ASCII words and punctuation, and accented letters
/// (typed through spare keycodes), separated by spaces. Never `<`: markers are
/// found by it.
const WORDS: &str = r#"the quick brown fox jumps over lazy dog HELLO World! (42) a+b=c x_y "quoted" it's ~`#$%^&* [a]{b}|c 100% q? k:v; 1,234.56 a/b\c @home --> Grüße Köln ça naïve Ñandú déjà vu São Paulo smörgåsbord façade über niño crème brûlée €5"#;

fn open_marker(n: u64) -> String {
    format!("<c{n}>")
}

/// `<cN>` + about `len` characters of words + `</cN>` + newline.
pub(crate) fn make_text(n: u64, len: usize, rng: &mut Rng) -> String {
    let words: Vec<&str> = WORDS.split(' ').collect();
    let mut body = String::new();
    let mut count = 0;
    while count < len {
        let w = *rng.pick(&words);
        body.push_str(w);
        count += w.chars().count() + 1;
        body.push(match rng.next() % 40 {
            0 => '\t',
            1 => '\n',
            _ => ' ',
        });
    }
    format!("{}{}</c{n}>\n", open_marker(n), body.trim_end())
}

pub(crate) fn message_id(n: u64) -> String {
    format!("chaos-{n}")
}
