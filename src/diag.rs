//! Diagnostics that point into a routine file: `file:line:col: message. hint: ...`.
//!
//! One problem is one line, gcc-style, so editors jump to it and a screen reader reads it whole.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// Whether a character may not appear in a routine's text, by class:
/// - control characters: escape sequences that move the cursor, set the title or write the
///   clipboard; NUL; line breaks (U+000A, U+000D, U+0085);
/// - the other line breaks: U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR (a list of
///   lines makes separate lines);
/// - direction controls, which make text read differently than it is stored: the overrides
///   and isolates (U+202A-U+202E, U+2066-U+2069) and the marks (U+200E, U+200F, U+061C);
/// - invisible characters that carry nothing a voice could say: U+200B ZERO WIDTH SPACE,
///   U+2060-U+2064 (word joiner, invisible operators), U+FEFF (a byte order mark inside text).
///
/// Allowed, because some scripts need them to be spelt right: U+200C and U+200D (zero width
/// non-joiner and joiner), and the soft hyphen U+00AD.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{200B}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FEFF}'
        )
}

/// Text from outside (a routine, a file name, an argument) made safe to print on a terminal:
/// every unsafe character (see [`is_unsafe_char`]) is written as `\u{1b}`, as fd and ripgrep do.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A position in a routine source, 1-based line and column (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", escape(&self.file), self.line, self.col)
    }
}

/// One problem found in a routine, with where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub loc: Loc,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            loc,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    /// One line: `file:line:col: message. hint: ...`, with anything taken from the file or its
    /// name escaped (see [`escape`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, escape(&self.message))?;
        if let Some(hint) = &self.hint {
            write!(f, ". hint: {}", escape(hint))?;
        }
        Ok(())
    }
}

/// All the problems found in one source, in the order they appear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Maps byte offsets of one source text to line and column.
#[derive(Debug, Clone)]
pub struct SourceMap {
    file: Arc<str>,
    text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceMap {
    pub fn new(file: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceMap {
            file: file.into(),
            text,
            line_starts,
        }
    }

    pub fn source(&self) -> &str {
        &self.text
    }

    pub fn file(&self) -> &Arc<str> {
        &self.file
    }

    /// The location of a byte offset (clamped to the text).
    pub fn loc(&self, offset: usize) -> Loc {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.text[start..end].chars().count() + 1;
        Loc {
            file: self.file.clone(),
            line: line + 1,
            col,
        }
    }

    pub fn span_loc(&self, span: &Range<usize>) -> Loc {
        self.loc(span.start)
    }

    /// The start of the file, for problems that belong to the whole routine.
    pub fn top(&self) -> Loc {
        Loc {
            file: self.file.clone(),
            line: 1,
            col: 1,
        }
    }
}

/// A number as the person would write it, for messages: a whole number in figures
/// (4294967297, not 4.294967297e9), a very large or very small one in exponent form (1e308,
/// 1e-300, not spelt out in 300 digits), any other to at most six decimals (0.95).
pub fn plain_number(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() || (a != 0.0 && !(1e-3..1e15).contains(&a)) {
        format!("{x:e}")
    } else if x.fract() == 0.0 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_lines_and_character_columns() {
        let map = SourceMap::new("r.toml", "a = 1\nname = \"é x\"\n");
        assert_eq!(map.loc(0).to_string(), "r.toml:1:1");
        assert_eq!(map.loc(6).to_string(), "r.toml:2:1");
        // 'x' sits after a two-byte character: byte 16, character column 11.
        let x = "a = 1\nname = \"é x\"\n".find('x').unwrap();
        assert_eq!(map.loc(x).to_string(), "r.toml:2:11");
    }

    #[test]
    fn text_from_outside_cannot_control_the_terminal() {
        assert_eq!(escape("Hip stretch"), "Hip stretch");
        assert_eq!(
            escape("Hip \u{1b}]52;c;aGk=\u{7}"),
            "Hip \\u{1b}]52;c;aGk=\\u{7}"
        );
        assert_eq!(escape("a\nb\u{0}\u{202e}c"), "a\\u{a}b\\u{0}\\u{202e}c");
        let map = SourceMap::new("r\u{1b}[2J.toml", "x");
        let d = Diagnostic::new(map.top(), "unknown sides \"\u{1b}[31m\"").hint("fix \u{7}");
        assert!(!d.to_string().chars().any(is_unsafe_char), "{d}");
    }

    #[test]
    fn a_diagnostic_is_one_plain_line() {
        let map = SourceMap::new("r.toml", "x");
        let d = Diagnostic::new(map.top(), "reps must be at least 1").hint("write reps = 10");
        assert_eq!(
            d.to_string(),
            "r.toml:1:1: reps must be at least 1. hint: write reps = 10"
        );
    }

    #[test]
    fn numbers_in_messages_read_as_written() {
        for (x, shown) in [
            (4294967297.0, "4294967297"),
            (1e300, "1e300"),
            (1e21, "1e21"),
            (1e-300, "1e-300"),
            (0.95, "0.95"),
            (0.1 + 0.2, "0.3"),
            (-5.0, "-5"),
            (0.0, "0"),
            (600.5, "600.5"),
        ] {
            assert_eq!(plain_number(x), shown);
        }
    }
}
