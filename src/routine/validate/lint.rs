//! What the lint warns about in spoken text, and why (documented in routines/README.md): the
//! warnings `check` prints and `check --strict` fails on.

use std::ops::Range;

use super::Checker;
use crate::diag::Diagnostic;
use crate::routine::Text;

/// Symbols a voice reads badly or not at all, with what to write instead. "Stop if pain
/// > 4/10" is read with a pause for `>` and "four slash ten".
pub const SYMBOLS: [(char, &str); 14] = [
    ('>', "write \"more than\""),
    ('<', "write \"less than\""),
    ('=', "write \"is\" or \"equals\""),
    ('/', "write \"out of\" or \"or\""),
    ('\\', "write the words"),
    ('|', "write the words"),
    ('*', "write the words; a voice does not read emphasis"),
    ('~', "write \"about\""),
    ('#', "write \"number\""),
    ('@', "write \"at\""),
    ('&', "write \"and\""),
    ('^', "write the words"),
    ('_', "write the words"),
    ('%', "write \"percent\""),
];

/// Shorthand a voice reads as letters or not at all, with the words to write.
pub const SHORTHAND: [(&str, &str); 10] = [
    ("secs", "seconds"),
    ("sec", "seconds"),
    ("mins", "minutes"),
    ("min", "minutes"),
    ("reps", "times, or repetitions"),
    ("e.g.", "for example"),
    ("i.e.", "that is"),
    ("etc.", "and so on"),
    ("approx", "about"),
    ("x10", "ten times"),
];

/// Wording that needs eyes. Nothing in a session may need the screen.
pub const VISUAL: [&str; 11] = [
    "as you can see",
    "as shown",
    "shown",
    "look at",
    "see the",
    "click",
    "the screen",
    "picture",
    "image",
    "diagram",
    "video",
];

/// A line longer than this many words is hard to follow by ear: split it.
pub const MAX_WORDS: usize = 20;

impl Checker<'_> {
    /// Warns about what a listener would stumble on in a spoken line: symbols, shorthand,
    /// wording that needs eyes, and lines too long to follow.
    pub(super) fn lint(&mut self, field: &str, span: &Range<usize>, line: &str) {
        // Every spoken text passes here: keep where it is written.
        self.spoken.push((line.to_owned(), self.map.span_loc(span)));
        let raw = self.map.source().get(span.clone()).unwrap_or("");
        let at = |needle: &str| span.start + raw.find(needle).unwrap_or(0);
        let lower = line.to_lowercase();
        let words: Vec<String> = lower
            .split(|c: char| {
                c.is_whitespace() || matches!(c, ',' | ';' | ':' | '!' | '?' | '(' | ')')
            })
            .filter(|w| !w.is_empty())
            .map(|w| w.trim_end_matches('.').to_owned())
            .collect();
        let mut warn = |offset: usize, message: String, hint: String| {
            self.warnings.push(
                Diagnostic::new(self.map.loc(offset), format!("warning: {message}")).hint(hint),
            );
        };
        // Placeholders are ours: {side} is not a symbol.
        let plain: String = Text::PLACEHOLDERS
            .iter()
            .fold(line.to_owned(), |l, p| l.replace(&format!("{{{p}}}"), ""));
        for (symbol, instead) in SYMBOLS {
            if plain.contains(symbol) {
                let s = symbol.to_string();
                warn(
                    at(&s),
                    format!("`{field}` has \"{symbol}\", which a voice reads badly"),
                    instead.to_owned(),
                );
            }
        }
        for (short, long) in SHORTHAND {
            let bare = short.trim_end_matches('.');
            if words.iter().any(|w| w == bare || w == short) {
                warn(
                    at(short),
                    format!("`{field}` has the shorthand \"{short}\""),
                    format!("write \"{long}\": a voice reads shorthand badly"),
                );
            }
        }
        for phrase in VISUAL {
            let found = if phrase.contains(' ') {
                lower.contains(phrase)
            } else {
                words.iter().any(|w| w == phrase)
            };
            if found {
                let off = raw
                    .to_lowercase()
                    .find(phrase)
                    .map_or(span.start, |i| span.start + i);
                warn(
                    off,
                    format!("`{field}` says \"{phrase}\", which needs eyes"),
                    "say it for the ear: what to do, with which body part".to_owned(),
                );
                break;
            }
        }
        if words.len() > MAX_WORDS {
            warn(
                span.start,
                format!(
                    "a line of `{field}` has {} words; more than {} is hard to follow by ear",
                    words.len(),
                    MAX_WORDS
                ),
                "split it into short sentences in a list, one action each".to_owned(),
            );
        }
    }
}
