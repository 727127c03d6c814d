//! Checks a raw routine value by value and collects every problem as a diagnostic.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::raw::{Lines, RawCircuit, RawExercise, RawRoutine};
use super::toml_errors::nearest;
use super::{
    Circuit, Dose, Exercise, FirstSide, Kind, Origin, Pace, PainRule, Phase, Routine, Sides,
    SoundRef, Text, limits,
};
use crate::diag::{Diagnostic, Diagnostics, SourceMap, is_unsafe_char};
use crate::phrases;
use crate::sounds;

/// Defaults for what a routine leaves out. Chosen for people lying on a mat, listening.
pub mod defaults {
    pub const SETUP_SECS: f64 = 5.0;
    pub const TEMPO_SECS: f64 = 2.0;
    pub const REST_BETWEEN_REPS_SECS: f64 = 2.0;
    /// Moving reps follow each other: the rep number is the only pause.
    pub const REST_BETWEEN_MOVING_REPS_SECS: f64 = 0.0;
    pub const REST_BETWEEN_ROUNDS_SECS: f64 = 30.0;
    pub const BEAT_SOUND: &str = "tick";
    pub const REST_BETWEEN_SIDES_SECS: f64 = 5.0;
    pub const REST_BETWEEN_SETS_SECS: f64 = 30.0;
    pub const COUNTDOWN: u32 = 3;
    pub const START_SOUND: &str = "hold-start";
    pub const RELEASE_SOUND: &str = "release";

    /// The words of a moving rep's phases when the routine names none, by phase count.
    pub fn tempo_words(phases: usize) -> &'static [&'static str] {
        match phases {
            1 => &["Go."],
            2 => &["Up.", "Down."],
            3 => &["Up.", "Hold.", "Down."],
            _ => &["Up.", "Hold.", "Down.", "Rest."],
        }
    }
}

struct Checker<'a> {
    map: &'a SourceMap,
    problems: Vec<Diagnostic>,
    /// Things a listener would stumble on; `check` prints them, `check --strict` fails on them.
    warnings: Vec<Diagnostic>,
}

/// What the lint warns about in spoken text, and why. Documented in routines/README.md.
pub mod lint {
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
}

impl Checker<'_> {
    fn at(&mut self, span: &Range<usize>, message: String, hint: impl Into<String>) {
        self.problems
            .push(Diagnostic::new(self.map.span_loc(span), message).hint(hint));
    }

    /// Reports a control character, NUL or direction override in a text value, at the place in
    /// the file that writes it. True when the text is plain.
    fn plain(&mut self, field: &str, span: &Range<usize>, text: &str) -> bool {
        let Some(c) = text.chars().find(|&c| is_unsafe_char(c)) else {
            return true;
        };
        let at = unsafe_offset(self.map.source(), span).unwrap_or(span.start);
        let what = match c {
            '\0' => "a NUL character".to_owned(),
            '\n' | '\r' => "a line break".to_owned(),
            '\u{1b}' => "an escape character (U+001B)".to_owned(),
            c if c.is_control() => format!("a control character (U+{:04X})", u32::from(c)),
            c => format!("a direction override (U+{:04X})", u32::from(c)),
        };
        self.problems.push(
            Diagnostic::new(self.map.loc(at), format!("`{field}` has {what}")).hint(
                "write plain words: control characters and direction overrides are not allowed (a list of lines makes separate lines)",
            ),
        );
        false
    }

    /// Warns about what a listener would stumble on in a spoken line: symbols, shorthand,
    /// wording that needs eyes, and lines too long to follow.
    fn lint(&mut self, field: &str, span: &Range<usize>, line: &str) {
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
        for (symbol, instead) in lint::SYMBOLS {
            if plain.contains(symbol) {
                let s = symbol.to_string();
                warn(
                    at(&s),
                    format!("`{field}` has \"{symbol}\", which a voice reads badly"),
                    instead.to_owned(),
                );
            }
        }
        for (short, long) in lint::SHORTHAND {
            let bare = short.trim_end_matches('.');
            if words.iter().any(|w| w == bare || w == short) {
                warn(
                    at(short),
                    format!("`{field}` has the shorthand \"{short}\""),
                    format!("write \"{long}\": a voice reads shorthand badly"),
                );
            }
        }
        for phrase in lint::VISUAL {
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
        if words.len() > lint::MAX_WORDS {
            warn(
                span.start,
                format!(
                    "a line of `{field}` has {} words; more than {} is hard to follow by ear",
                    words.len(),
                    lint::MAX_WORDS
                ),
                "split it into short sentences in a list, one action each".to_owned(),
            );
        }
    }

    fn text(&mut self, field: &str, v: &Spanned<String>) -> String {
        let s = v.get_ref().trim();
        let plain = self.plain(field, &v.span(), s);
        if plain
            && Text::PLACEHOLDERS
                .iter()
                .any(|p| s.contains(&format!("{{{p}}}")))
        {
            self.at(
                &v.span(),
                format!("`{field}` names a side with {{…}}, but it is said as written"),
                "write it without {side}; only an exercise's spoken lines can name a side",
            );
        }
        if plain && s.is_empty() {
            self.at(
                &v.span(),
                format!("`{field}` is empty"),
                "write the text in the quotes",
            );
        } else if plain && s.chars().count() > limits::MAX_TEXT_CHARS {
            self.at(
                &v.span(),
                format!(
                    "`{field}` is {} characters; the limit is {}",
                    s.chars().count(),
                    limits::MAX_TEXT_CHARS
                ),
                "keep it short",
            );
        }
        s.to_owned()
    }

    fn id(&mut self, field: &str, v: &Spanned<String>) -> String {
        let s = v.get_ref();
        let ok = !s.is_empty()
            && s.len() <= 40
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-');
        if !ok {
            self.at(
                &v.span(),
                format!(
                    "`{field}` must be 1 to 40 lower-case letters, digits or dashes (got \"{s}\")"
                ),
                format!("for example {field} = \"knee-lifts\""),
            );
        }
        s.clone()
    }

    /// Spoken lines: each non-empty, within the length limit, with known placeholders only.
    fn lines(&mut self, field: &str, v: &Spanned<Lines>, sides: Option<Sides>) -> Vec<Text> {
        let outer = v.span();
        if v.get_ref().0.is_empty() {
            self.at(
                &outer,
                format!("`{field}` has no lines"),
                "write at least one sentence",
            );
        }
        let mut out = Vec::new();
        for (span, line) in &v.get_ref().0 {
            let span = span.clone().unwrap_or_else(|| outer.clone());
            let trimmed = line.trim();
            if !self.plain(field, &span, trimmed) {
                continue;
            }
            if trimmed.is_empty() {
                self.at(
                    &span,
                    format!("a line of `{field}` is empty"),
                    "write a sentence, or remove it",
                );
                continue;
            }
            let chars = trimmed.chars().count();
            if chars > limits::MAX_TEXT_CHARS {
                self.at(
                    &span,
                    format!(
                        "a line of `{field}` is {chars} characters; the limit is {}",
                        limits::MAX_TEXT_CHARS
                    ),
                    "split it into short sentences: one action each",
                );
                continue;
            }
            self.placeholders(field, &span, trimmed, sides);
            self.lint(field, &span, trimmed);
            out.push(Text(trimmed.to_owned()));
        }
        out
    }

    fn placeholders(&mut self, field: &str, span: &Range<usize>, line: &str, sides: Option<Sides>) {
        let mut rest = line;
        while let Some(open) = rest.find(['{', '}']) {
            if rest.as_bytes()[open] == b'}' {
                self.at(
                    span,
                    format!("a line of `{field}` has a `}}` with no `{{`"),
                    "write {side} or {other_side}",
                );
                return;
            }
            let Some(close) = rest[open..].find('}') else {
                self.at(
                    span,
                    format!("a line of `{field}` has a `{{` with no `}}`"),
                    "write {side} or {other_side}",
                );
                return;
            };
            let name = &rest[open + 1..open + close];
            if !Text::PLACEHOLDERS.contains(&name) {
                let hint = match nearest(name, &Text::PLACEHOLDERS) {
                    Some(best) => format!("did you mean {{{best}}}?"),
                    None => "the names are {side} and {other_side}".to_owned(),
                };
                self.at(span, format!("unknown name {{{name}}} in `{field}`"), hint);
            } else if sides.is_none() {
                self.at(
                    span,
                    format!(
                        "`{field}` names {{{name}}}, but only an exercise's lines can name a side"
                    ),
                    "write the side out, or move the line into an exercise with sides",
                );
            } else if sides == Some(Sides::None) {
                self.at(
                    span,
                    format!("`{field}` names {{{name}}}, but this exercise has no sides"),
                    "set sides = \"both\" or \"alternating\", or write the side out",
                );
            }
            rest = &rest[open + close + 1..];
        }
    }

    fn secs(
        &mut self,
        field: &str,
        v: Option<&Spanned<f64>>,
        default: f64,
        min_exclusive: bool,
        max: f64,
    ) -> f64 {
        let Some(v) = v else { return default };
        let x = *v.get_ref();
        if !x.is_finite() || (min_exclusive && x <= 0.0) || x < 0.0 {
            let bound = if min_exclusive {
                "more than 0"
            } else {
                "0 or more"
            };
            self.at(
                &v.span(),
                format!("`{field}` must be {bound} (got {x})"),
                format!("for example {field} = 10"),
            );
            default
        } else if x > max {
            self.at(
                &v.span(),
                format!("`{field}` is {} seconds; the limit is {max}", plain(x)),
                "is this a typo? seconds, not milliseconds",
            );
            default
        } else {
            x
        }
    }

    fn count(
        &mut self,
        field: &str,
        v: Option<&Spanned<i64>>,
        default: u32,
        min: i64,
        max: i64,
    ) -> u32 {
        let Some(v) = v else { return default };
        let x = *v.get_ref();
        if x < min {
            self.at(
                &v.span(),
                format!("`{field}` must be at least {min} (got {x})"),
                format!("for example {field} = {}", min.max(1) * 5),
            );
            default
        } else if x > max {
            self.at(
                &v.span(),
                format!("`{field}` is {x}; the limit is {max}"),
                if field == "countdown" {
                    "count down only the last few seconds of a hold"
                } else {
                    "split the work over more sessions"
                },
            );
            default
        } else {
            x as u32
        }
    }

    fn sound(
        &mut self,
        field: &str,
        v: Option<&Spanned<String>>,
        default: &'static str,
        origin: &Origin,
    ) -> SoundRef {
        let Some(v) = v else {
            return SoundRef::Builtin(sounds::builtin_name(default).expect("default sound exists"));
        };
        let name = v.get_ref().trim();
        if !self.plain(field, &v.span(), name) {
            return SoundRef::Builtin(sounds::builtin_name(default).expect("default sound exists"));
        }
        if let Some(n) = sounds::builtin_name(name) {
            return SoundRef::Builtin(n);
        }
        if name.contains('/') || name.contains('.') {
            let path = Path::new(name);
            let path = match origin {
                Origin::File(file) if path.is_relative() => {
                    file.parent().unwrap_or(Path::new("")).join(path)
                }
                _ => path.to_path_buf(),
            };
            return SoundRef::File {
                path,
                loc: self.map.span_loc(&v.span()),
            };
        }
        let names = sounds::names();
        let hint = match nearest(name, &names) {
            Some(best) => format!("did you mean \"{best}\"?"),
            None => format!("use one of {}, or a path to a WAV file", names.join(", ")),
        };
        self.at(
            &v.span(),
            format!("unknown sound \"{name}\" in `{field}`"),
            hint,
        );
        SoundRef::Builtin(sounds::builtin_name(default).expect("default sound exists"))
    }
}

pub fn routine(
    map: &SourceMap,
    raw: RawRoutine,
    problems: Vec<Diagnostic>,
    origin: Origin,
) -> Result<Routine, Diagnostics> {
    let mut c = Checker {
        map,
        problems,
        warnings: Vec::new(),
    };
    let id = raw.id.as_ref().map(|v| c.id("id", v)).unwrap_or_default();
    let title = raw
        .title
        .as_ref()
        .map(|v| {
            let t = c.text("title", v);
            c.lint("title", &v.span(), &t);
            t
        })
        .unwrap_or_default();
    let description = raw
        .description
        .as_ref()
        .map(|d| c.text("description", d))
        .unwrap_or_default();
    let language = match &raw.language {
        None => "en".to_owned(),
        Some(l) => {
            if phrases::for_language(l.get_ref()).is_none() {
                c.at(
                    &l.span(),
                    format!(
                        "there are no built-in phrases for language \"{}\"",
                        l.get_ref()
                    ),
                    format!("use one of: {}", phrases::LANGUAGES.join(", ")),
                );
            }
            l.get_ref().clone()
        }
    };
    let frequency = raw.frequency.as_ref().map(|v| c.text("frequency", v));
    let best_time = raw.best_time.as_ref().map(|v| c.text("best_time", v));
    let safety = raw
        .safety
        .as_ref()
        .map(|v| c.lines("safety", v, None))
        .unwrap_or_default();
    let lead_in = raw
        .lead_in
        .as_ref()
        .map(|v| c.lines("lead_in", v, None))
        .unwrap_or_default();
    let lead_in_secs = raw.lead_in_secs.as_ref().map(|v| {
        c.secs(
            "lead_in_secs",
            Some(v),
            0.0,
            false,
            limits::MAX_LEAD_IN_SECS,
        )
    });
    let pain_rule = raw.pain_rule.as_ref().map(|p| {
        let p = p.get_ref();
        PainRule {
            after_hours: c.secs("after_hours", p.after_hours.as_ref(), 1.0, true, 72.0),
            advice: p
                .advice
                .as_ref()
                .map(|v| c.text("advice", v))
                .unwrap_or_default(),
        }
    });
    let quiet = raw.quiet.as_ref().is_some_and(|q| *q.get_ref());

    if raw.exercise.is_empty() {
        if raw.exercise_span.is_none() || c.problems.is_empty() {
            c.problems.push(
                Diagnostic::new(map.top(), "this routine has no exercises")
                    .hint("add an [[exercise]] table; see routines/README.md"),
            );
        }
    } else if raw.exercise.len() > limits::MAX_EXERCISES {
        c.at(
            &raw.exercise[limits::MAX_EXERCISES].span(),
            format!(
                "this routine has {} exercises; the limit is {}",
                raw.exercise.len(),
                limits::MAX_EXERCISES
            ),
            "split it into several routines",
        );
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut exercises = Vec::new();
    for ex in &raw.exercise {
        let e = ex.get_ref();
        if let Some(eid) = &e.id {
            if let Some(first) = seen.get(eid.get_ref()) {
                let first_line = map.loc(*first).line;
                c.at(
                    &eid.span(),
                    format!("two exercises have the id \"{}\"", eid.get_ref()),
                    format!("the first is on line {first_line}; give each exercise its own id"),
                );
            } else {
                seen.insert(eid.get_ref().clone(), eid.span().start);
            }
        }
        exercises.push(exercise(&mut c, e, &origin, quiet));
    }
    let circuits = circuits(&mut c, &raw.circuit, &raw.exercise, &exercises);

    if c.problems.is_empty() {
        c.warnings.sort_by_key(|d| (d.loc.line, d.loc.col));
        Ok(Routine {
            warnings: c.warnings,
            id,
            title,
            description,
            language,
            frequency,
            best_time,
            safety,
            lead_in_secs,
            pain_rule,
            lead_in,
            quiet,
            exercises,
            circuits,
            origin,
            source_name: map.file().clone(),
        })
    } else {
        c.problems.sort_by_key(|d| (d.loc.line, d.loc.col));
        c.problems.dedup();
        Err(Diagnostics(c.problems))
    }
}

/// Where, in the source of a string value, the first unsafe character is written: a raw
/// character, or an escape (`\u001b`, `\U0000202E`, `\e`, `\n`, ...) that stands for one.
fn unsafe_offset(src: &str, span: &Range<usize>) -> Option<usize> {
    let raw = src.get(span.clone())?;
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            if is_unsafe_char(c) {
                return Some(span.start + i);
            }
            continue;
        }
        let Some((j, e)) = chars.next() else { break };
        let decoded = match e {
            'u' | 'U' => {
                let n = if e == 'u' { 4 } else { 8 };
                let hex = raw.get(j + 1..j + 1 + n).unwrap_or("");
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            }
            'e' => Some('\u{1b}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            _ => None,
        };
        if decoded.is_some_and(is_unsafe_char) {
            return Some(span.start + i);
        }
    }
    None
}

/// A whole number or a number of seconds as written: a number, `"8-12"`, or
/// `{ min = 8, max = 12, start = 10 }`. Returns `(min, max, start)` unchecked.
fn range_parts(v: &toml::Value) -> Result<(f64, f64, Option<f64>), &'static str> {
    let num = |v: &toml::Value| match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    };
    match v {
        toml::Value::Integer(_) | toml::Value::Float(_) => {
            let x = num(v).unwrap_or(0.0);
            Ok((x, x, None))
        }
        toml::Value::String(s) => {
            let parts: Vec<&str> = s.split(['-', '\u{2013}']).map(str::trim).collect();
            match parts.as_slice() {
                [a, b] => match (a.parse::<f64>(), b.parse::<f64>()) {
                    (Ok(a), Ok(b)) => Ok((a, b, None)),
                    _ => Err("a range is two numbers with a dash between them"),
                },
                [a] if a.parse::<f64>().is_ok() => Err("numbers are written without quotes"),
                _ if !s.chars().any(|c| c.is_ascii_digit()) => {
                    Err("numbers are written in digits, without quotes")
                }
                _ => Err("a range is two numbers with a dash between them"),
            }
        }
        toml::Value::Table(t) => {
            for k in t.keys() {
                if !["min", "max", "start"].contains(&k.as_str()) {
                    return Err("a range table has only min, max and start");
                }
            }
            let (Some(min), Some(max)) = (t.get("min").and_then(num), t.get("max").and_then(num))
            else {
                return Err("a range table needs a number for min and for max");
            };
            match t.get("start") {
                None => Ok((min, max, None)),
                Some(s) => num(s)
                    .map(|s| (min, max, Some(s)))
                    .ok_or("start must be a number"),
            }
        }
        toml::Value::Boolean(_) => Err("true and false are not numbers"),
        _ => Err("a list or a date is not a number"),
    }
}

impl Checker<'_> {
    /// A dose that may be a range. `whole` asks for whole numbers. Bounds are inclusive.
    fn dose(
        &mut self,
        field: &str,
        v: &Spanned<toml::Value>,
        whole: bool,
        lo: f64,
        hi: f64,
    ) -> Option<Dose<f64>> {
        let example = match field {
            "sets" | "rounds" => format!("{field} = 2, or a range: {field} = \"2-3\""),
            "duration_secs" => format!("{field} = 120, or a range: {field} = \"60-120\""),
            _ if whole => format!("{field} = 10, or a range: {field} = \"8-12\""),
            _ => format!("{field} = 10, or a range: {field} = \"5-10\""),
        };
        let (min, max, start) = match range_parts(v.get_ref()) {
            Ok(p) => p,
            Err(why) => {
                let got = match v.get_ref() {
                    toml::Value::String(s) => format!(", not \"{s}\""),
                    _ => String::new(),
                };
                self.at(
                    &v.span(),
                    format!("`{field}` must be a number or a range{got}: {why}"),
                    format!("for example {example}"),
                );
                return None;
            }
        };
        let unit = if whole { "" } else { " seconds" };
        for x in [Some(min), Some(max), start].into_iter().flatten() {
            if !x.is_finite() && !whole {
                self.at(
                    &v.span(),
                    format!("`{field}` must be from {lo} to {hi} seconds (got {x})"),
                    format!("for example {example}"),
                );
                return None;
            }
            if !x.is_finite() || (whole && x.fract() != 0.0) {
                self.at(
                    &v.span(),
                    format!("`{field}` must be a whole number (got {x})"),
                    format!("for example {example}"),
                );
                return None;
            }
            if x < lo {
                self.at(
                    &v.span(),
                    format!("`{field}` must be at least {lo}{unit} (got {x})"),
                    format!("for example {example}"),
                );
                return None;
            }
            if x > hi {
                self.at(
                    &v.span(),
                    format!("`{field}` is {}{unit}; the limit is {hi}", plain(x)),
                    if whole {
                        "split the work over more sessions"
                    } else {
                        "is this a typo? seconds, not milliseconds"
                    },
                );
                return None;
            }
        }
        if min > max {
            self.at(
                &v.span(),
                format!("the range of `{field}` runs backwards ({min} to {max})"),
                "write the smaller number first",
            );
            return None;
        }
        let value = start.unwrap_or(min);
        if !(min..=max).contains(&value) {
            self.at(
                &v.span(),
                format!("`{field}` starts at {value}, outside its range {min} to {max}"),
                "choose a start within the range",
            );
            return None;
        }
        Some(Dose { value, min, max })
    }

    fn whole_dose(
        &mut self,
        field: &str,
        v: Option<&Spanned<toml::Value>>,
        default: u32,
        lo: i64,
        hi: i64,
    ) -> Dose<u32> {
        let Some(v) = v else {
            return Dose::fixed(default);
        };
        match self.dose(field, v, true, lo as f64, hi as f64) {
            Some(d) => Dose {
                value: d.value as u32,
                min: d.min as u32,
                max: d.max as u32,
            },
            None => Dose::fixed(default),
        }
    }

    fn secs_dose(
        &mut self,
        field: &str,
        v: Option<&Spanned<toml::Value>>,
        lo: f64,
        hi: f64,
    ) -> Dose<f64> {
        v.and_then(|v| self.dose(field, v, false, lo, hi))
            .unwrap_or(Dose::fixed(lo.max(1.0)))
    }

    fn word<T: Copy>(
        &mut self,
        field: &str,
        v: &Spanned<String>,
        names: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let got = v.get_ref();
        let out = parse(got);
        if out.is_none() {
            let hint = match nearest(got, names) {
                Some(best) => format!("did you mean \"{best}\"?"),
                None => format!("use one of: {}", names.join(", ")),
            };
            self.at(&v.span(), format!("unknown {field} \"{got}\""), hint);
        }
        out
    }

    /// Reports a field that has no meaning for this exercise's kind.
    fn not_for<T>(&mut self, field: &str, v: Option<&Spanned<T>>, kind: Kind, hint: &str) {
        if let Some(v) = v {
            self.at(
                &v.span(),
                format!("`{field}` is not used by a {} exercise", kind.as_str()),
                hint,
            );
        }
    }
}

fn exercise(c: &mut Checker, e: &RawExercise, origin: &Origin, quiet: bool) -> Exercise {
    let id = e.id.as_ref().map(|v| c.id("id", v)).unwrap_or_default();
    let name = e
        .name
        .as_ref()
        .map(|v| {
            let n = c.text("name", v);
            c.lint("name", &v.span(), &n);
            n
        })
        .unwrap_or_default();
    // Other names for the author's reference (an article's headings): checked, never spoken.
    for a in &e.aliases {
        c.text("aliases", a);
    }
    let kind = e
        .kind
        .as_ref()
        .and_then(|k| c.word("kind", k, &Kind::NAMES, Kind::parse))
        .unwrap_or(if e.kind.is_none() && e.duration_secs.is_some() {
            Kind::Timed
        } else if e.kind.is_none() && e.tempo.is_some() && e.hold_secs.is_none() {
            Kind::Reps
        } else {
            Kind::Hold
        });
    let (sides, implied_first) = match &e.sides {
        None => (Sides::None, None),
        // On a typo, check the lines as if the sides were right, so one typo is one problem.
        Some(s) => c
            .word("sides", s, &Sides::NAMES, Sides::parse)
            .unwrap_or((Sides::Both, None)),
    };
    let first_side = match &e.first_side {
        None => implied_first,
        Some(f) => {
            let parsed = c.word("first_side", f, &FirstSide::NAMES, FirstSide::parse);
            if sides == Sides::None {
                c.at(
                    &f.span(),
                    "`first_side` is set, but this exercise has no sides".to_owned(),
                    "set sides = \"both\" or \"alternating\", or remove first_side",
                );
            } else if implied_first.is_some() {
                c.at(
                    &f.span(),
                    "`first_side` and a sides order such as \"left-then-right\" both say which side is first".to_owned(),
                    "write sides = \"both\" with first_side, or remove first_side",
                );
            }
            parsed
        }
    };
    let sides_known = Some(sides);
    let caution = e
        .caution
        .as_ref()
        .map(|v| c.lines("caution", v, sides_known))
        .unwrap_or_default();
    let setup = e
        .setup
        .as_ref()
        .map(|v| c.lines("setup", v, sides_known))
        .unwrap_or_default();
    let cue = e
        .cue
        .as_ref()
        .map(|v| c.lines("cue", v, sides_known))
        .unwrap_or_default();
    let short_cue = e.short_cue.as_ref().map(|v| {
        let lines = c.lines("short_cue", v, sides_known);
        let words: usize = lines
            .iter()
            .map(|l| l.as_str().split_whitespace().count())
            .sum();
        if words > 4 {
            c.at(
                &v.span(),
                format!("`short_cue` has {words} words; it is said before every rep after the first, so keep it to one to three"),
                "for example short_cue = \"Lift.\"; the whole movement goes in `cue`",
            );
        }
        lines
    });
    let technique = e
        .technique
        .as_ref()
        .map(|v| c.lines("technique", v, sides_known))
        .unwrap_or_default();
    let release = e
        .release
        .as_ref()
        .map(|v| c.lines("release", v, sides_known))
        .unwrap_or_default();
    let switch = e.switch.as_ref().map(|v| {
        if sides == Sides::Alternating {
            c.at(
                &v.span(),
                "`switch` is said when one side's reps are done, but this exercise alternates sides every rep".to_owned(),
                "remove switch, or set sides = \"both\"",
            );
        }
        if sides == Sides::None {
            c.at(
                &v.span(),
                "`switch` is said when the side changes, but this exercise has no sides".to_owned(),
                "set sides, or remove switch",
            );
        }
        c.lines("switch", v, sides_known)
    });

    // What each kind needs, and what it does not use.
    let hold_secs = match kind {
        Kind::Hold => {
            if e.hold_secs.is_none() && c.problems.is_empty() {
                let at = e.id.as_ref().map_or(0..0, Spanned::span);
                c.at(
                    &at,
                    "this exercise has no `hold_secs`".to_owned(),
                    "add hold_secs = 10; for moving reps write kind = \"reps\" and a tempo, for a timed block kind = \"timed\" and duration_secs",
                );
            }
            c.secs_dose(
                "hold_secs",
                e.hold_secs.as_ref(),
                limits::MIN_HOLD_SECS,
                limits::MAX_HOLD_SECS,
            )
        }
        _ => {
            c.not_for("hold_secs", e.hold_secs.as_ref(), kind, "a hold belongs to kind = \"hold\"; for a pause inside a moving rep, add it to tempo");
            Dose::fixed(0.0)
        }
    };
    let duration_secs = match kind {
        Kind::Timed => {
            if e.duration_secs.is_none() {
                let at = e.kind.as_ref().map_or(0..0, Spanned::span);
                c.at(
                    &at,
                    "a timed exercise needs `duration_secs`".to_owned(),
                    "add duration_secs = 120",
                );
            }
            c.secs_dose(
                "duration_secs",
                e.duration_secs.as_ref(),
                limits::MIN_DURATION_SECS,
                limits::MAX_DURATION_SECS,
            )
        }
        _ => {
            c.not_for(
                "duration_secs",
                e.duration_secs.as_ref(),
                kind,
                "duration_secs belongs to kind = \"timed\"",
            );
            Dose::fixed(0.0)
        }
    };
    if kind == Kind::Timed {
        c.not_for(
            "reps",
            e.reps.as_ref(),
            kind,
            "a timed block is done once per side and set; use sets to repeat it",
        );
        c.not_for(
            "short_cue",
            e.short_cue.as_ref(),
            kind,
            "remove it; the cue is said before each block",
        );
    }
    if kind != Kind::Hold {
        c.not_for(
            "tempo_secs",
            e.tempo_secs.as_ref(),
            kind,
            "tempo_secs is the time to move into a hold; moving reps use tempo",
        );
    }
    let (tempo, pace) = if kind == Kind::Reps {
        let tempo = tempo(c, e);
        let pace = e
            .pace
            .as_ref()
            .and_then(|p| {
                c.word("pace", p, &Pace::NAMES, |s| match s {
                    "count" => Some(Pace::Count),
                    "beat" => Some(Pace::Beat),
                    _ => None,
                })
            })
            .unwrap_or(Pace::Count);
        (tempo, pace)
    } else {
        c.not_for(
            "tempo",
            e.tempo.as_ref(),
            kind,
            "a tempo paces moving reps: write kind = \"reps\"",
        );
        c.not_for(
            "tempo_words",
            e.tempo_words.as_ref(),
            kind,
            "tempo words belong to kind = \"reps\"",
        );
        c.not_for(
            "pace",
            e.pace.as_ref(),
            kind,
            "pace belongs to kind = \"reps\"",
        );
        (Vec::new(), Pace::Count)
    };
    if kind != Kind::Reps {
        c.not_for(
            "beat_sound",
            e.beat_sound.as_ref(),
            kind,
            "beat_sound belongs to kind = \"reps\" with pace = \"beat\"",
        );
    }

    let reps = if kind == Kind::Timed {
        Dose::fixed(1)
    } else {
        if e.reps.is_none() && c.problems.is_empty() {
            let at = e.id.as_ref().map_or(0..0, Spanned::span);
            c.at(
                &at,
                "this exercise has no `reps`".to_owned(),
                "add reps = 10",
            );
        }
        c.whole_dose("reps", e.reps.as_ref(), 1, 1, limits::MAX_REPS)
    };
    let rest_default = match kind {
        Kind::Reps => defaults::REST_BETWEEN_MOVING_REPS_SECS,
        _ => defaults::REST_BETWEEN_REPS_SECS,
    };
    Exercise {
        id,
        name,
        kind,
        caution,
        setup,
        setup_secs: c.secs(
            "setup_secs",
            e.setup_secs.as_ref(),
            defaults::SETUP_SECS,
            false,
            limits::MAX_SETUP_SECS,
        ),
        cue,
        short_cue,
        technique,
        release,
        switch,
        sides,
        first_side,
        reps,
        sets: c.whole_dose("sets", e.sets.as_ref(), 1, 1, limits::MAX_SETS),
        hold_secs,
        duration_secs,
        tempo,
        pace,
        tempo_secs: c.secs(
            "tempo_secs",
            e.tempo_secs.as_ref(),
            if kind == Kind::Hold {
                defaults::TEMPO_SECS
            } else {
                0.0
            },
            false,
            limits::MAX_TEMPO_SECS,
        ),
        rest_between_reps_secs: c.secs(
            "rest_between_reps_secs",
            e.rest_between_reps_secs.as_ref(),
            rest_default,
            false,
            limits::MAX_REST_SECS,
        ),
        rest_between_sides_secs: c.secs(
            "rest_between_sides_secs",
            e.rest_between_sides_secs.as_ref(),
            defaults::REST_BETWEEN_SIDES_SECS,
            false,
            limits::MAX_REST_SECS,
        ),
        rest_between_sets_secs: c.secs(
            "rest_between_sets_secs",
            e.rest_between_sets_secs.as_ref(),
            defaults::REST_BETWEEN_SETS_SECS,
            false,
            limits::MAX_REST_SECS,
        ),
        rest_after_secs: c.secs(
            "rest_after_secs",
            e.rest_after_secs.as_ref(),
            0.0,
            false,
            limits::MAX_REST_SECS,
        ),
        countdown: c.count(
            "countdown",
            e.countdown.as_ref(),
            defaults::COUNTDOWN,
            0,
            limits::MAX_COUNTDOWN,
        ),
        start_sound: c.sound(
            "start_sound",
            e.start_sound.as_ref(),
            defaults::START_SOUND,
            origin,
        ),
        release_sound: c.sound(
            "release_sound",
            e.release_sound.as_ref(),
            defaults::RELEASE_SOUND,
            origin,
        ),
        beat_sound: c.sound(
            "beat_sound",
            e.beat_sound.as_ref(),
            defaults::BEAT_SOUND,
            origin,
        ),
        time_checks: !quiet && e.time_checks.as_ref().is_none_or(|t| *t.get_ref()),
    }
}

/// The sides as written, for checking placeholders (an unknown value counts as sides).
fn e_sides(e: &RawExercise) -> Sides {
    match &e.sides {
        None => Sides::None,
        Some(s) => Sides::parse(s.get_ref()).map_or(Sides::Both, |(s, _)| s),
    }
}

/// The phases of a moving rep: `tempo` seconds with `tempo_words`, or the default words.
fn tempo(c: &mut Checker, e: &RawExercise) -> Vec<Phase> {
    let Some(t) = &e.tempo else {
        if e.tempo_written {
            return Vec::new();
        }
        let at = e.kind.as_ref().map_or(0..0, Spanned::span);
        c.at(
            &at,
            "moving reps need a `tempo`: the seconds of each phase".to_owned(),
            "add tempo = [2, 2] (two seconds up, two down) or tempo = [3, 1, 3]",
        );
        return Vec::new();
    };
    let secs = t.get_ref();
    if secs.is_empty() || secs.len() > limits::MAX_PHASES {
        c.at(
            &t.span(),
            format!(
                "`tempo` has {} phases; a rep has 1 to {}",
                secs.len(),
                limits::MAX_PHASES
            ),
            "for example tempo = [3, 1, 3]: three seconds up, one still, three down",
        );
        return Vec::new();
    }
    let words: Vec<Text> = match &e.tempo_words {
        Some(w) => {
            let lines = c.lines("tempo_words", w, Some(e_sides(e)));
            if lines.len() != secs.len() && lines.len() == w.get_ref().0.len() {
                c.at(
                    &w.span(),
                    format!(
                        "`tempo_words` has {} words for {} phases",
                        lines.len(),
                        secs.len()
                    ),
                    "give one word for each number in tempo",
                );
            }
            lines
        }
        None => defaults::tempo_words(secs.len())
            .iter()
            .map(|w| Text((*w).to_owned()))
            .collect(),
    };
    let mut out = Vec::new();
    for (i, s) in secs.iter().enumerate() {
        let x = *s.get_ref();
        if !x.is_finite() || !(limits::MIN_PHASE_SECS..=limits::MAX_PHASE_SECS).contains(&x) {
            c.at(
                &s.span(),
                format!(
                    "a phase of `tempo` must last {} to {} seconds (got {x})",
                    limits::MIN_PHASE_SECS,
                    limits::MAX_PHASE_SECS
                ),
                "for example tempo = [2, 2]",
            );
            continue;
        }
        let word = words
            .get(i)
            .cloned()
            .unwrap_or_else(|| Text("Go.".to_owned()));
        out.push(Phase { word, secs: x });
    }
    out
}

fn circuits(
    c: &mut Checker,
    raw: &[Spanned<RawCircuit>],
    raw_exercises: &[Spanned<RawExercise>],
    exercises: &[Exercise],
) -> Vec<Circuit> {
    let mut out: Vec<Circuit> = Vec::new();
    let mut taken: HashMap<usize, usize> = HashMap::new();
    for (n, rc) in raw.iter().enumerate() {
        let span = rc.span();
        let r = rc.get_ref();
        let id =
            r.id.as_ref()
                .map(|v| c.id("id", v))
                .unwrap_or_else(|| format!("circuit-{}", n + 1));
        if let Some(v) = &r.id
            && out.iter().any(|o| o.id == *v.get_ref())
        {
            c.at(
                &v.span(),
                format!("two circuits have the id \"{}\"", v.get_ref()),
                "give each circuit its own id",
            );
        }
        let name = r.name.as_ref().map(|v| c.text("name", v));
        let mut members = Vec::new();
        if let Some(list) = &r.exercises {
            for item in list.get_ref() {
                let want = item.get_ref();
                match exercises.iter().position(|e| &e.id == want) {
                    None => {
                        let ids: Vec<&str> = exercises.iter().map(|e| e.id.as_str()).collect();
                        let hint = match nearest(want, &ids) {
                            Some(best) => format!("did you mean \"{best}\"?"),
                            None => "name exercises by their id".to_owned(),
                        };
                        c.at(
                            &item.span(),
                            format!("this circuit names \"{want}\", but there is no exercise with that id"),
                            hint,
                        );
                    }
                    Some(i) if members.contains(&i) => c.at(
                        &item.span(),
                        format!("\"{want}\" is named twice in this circuit"),
                        "name each exercise once; rounds repeat them",
                    ),
                    Some(i) if taken.contains_key(&i) => c.at(
                        &item.span(),
                        format!("\"{want}\" is already in circuit {}", taken[&i] + 1),
                        "an exercise belongs to one circuit at most",
                    ),
                    Some(i) => {
                        if exercises[i].sets.max > 1 {
                            let at = raw_exercises[i]
                                .get_ref()
                                .sets
                                .as_ref()
                                .map_or(item.span(), Spanned::span);
                            c.at(
                                &at,
                                format!("\"{want}\" is in a circuit, which does it once per round; it cannot also have sets"),
                                "remove sets here; set the circuit's rounds instead",
                            );
                        }
                        taken.insert(i, n);
                        members.push(i);
                    }
                }
            }
            if list.get_ref().len() < 2 {
                c.at(
                    &list.span(),
                    "a circuit needs at least two exercises".to_owned(),
                    "for one exercise, use its sets instead",
                );
            }
        }
        let rounds = c.whole_dose("rounds", r.rounds.as_ref(), 1, 1, limits::MAX_ROUNDS);
        let rest = c.secs(
            "rest_between_rounds_secs",
            r.rest_between_rounds_secs.as_ref(),
            defaults::REST_BETWEEN_ROUNDS_SECS,
            false,
            limits::MAX_REST_SECS,
        );
        if members.is_empty() && r.exercises.is_some() && c.problems.is_empty() {
            c.at(
                &span,
                "this circuit has no exercises".to_owned(),
                "list them in exercises",
            );
        }
        out.push(Circuit {
            id,
            name,
            exercises: members,
            rounds,
            rest_between_rounds_secs: rest,
        });
    }
    out
}

/// A number as the person would write it: 1e308 is not spelt out in 309 digits.
fn plain(x: f64) -> String {
    if x.abs() < 1e9 {
        x.to_string()
    } else {
        format!("{x:e}")
    }
}
