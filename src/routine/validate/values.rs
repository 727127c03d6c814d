//! The checks of single values: text, ids, spoken lines and their placeholders, seconds,
//! counts, doses and ranges, sounds, and words from a list. Each reports at the value's place
//! in the file and returns what to use (the default, when the value is wrong).

use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::Checker;
use crate::diag::{Diagnostic, is_unsafe_char, plain_number};
use crate::routine::raw::Lines;
use crate::routine::toml_errors::nearest;
use crate::routine::{Dose, Kind, Origin, Sides, SoundRef, Text, limits};
use crate::sounds;

impl Checker<'_> {
    /// Reports a control character, NUL, line break, direction control or invisible character
    /// ([`is_unsafe_char`]) in a text value, at the place in
    /// the file that writes it. True when the text is plain.
    pub(super) fn plain(&mut self, field: &str, span: &Range<usize>, text: &str) -> bool {
        let Some(c) = text.chars().find(|&c| is_unsafe_char(c)) else {
            return true;
        };
        let at = unsafe_offset(self.map.source(), span).unwrap_or(span.start);
        let what = match c {
            '\0' => "a NUL character".to_owned(),
            '\n' | '\r' => "a line break".to_owned(),
            '\u{85}' | '\u{2028}' | '\u{2029}' => {
                format!("a line break (U+{:04X})", u32::from(c))
            }
            '\u{1b}' => "an escape character (U+001B)".to_owned(),
            c if c.is_control() => format!("a control character (U+{:04X})", u32::from(c)),
            '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' => {
                format!("an invisible character (U+{:04X})", u32::from(c))
            }
            '\u{200E}' | '\u{200F}' | '\u{061C}' => {
                format!("a direction mark (U+{:04X})", u32::from(c))
            }
            c => format!("a direction override (U+{:04X})", u32::from(c)),
        };
        self.problems.push(
            Diagnostic::new(self.map.loc(at), format!("`{field}` has {what}")).hint(
                "write plain words: control characters, line breaks, direction controls and invisible characters are not allowed (a list of lines makes separate lines)",
            ),
        );
        false
    }

    pub(super) fn text(&mut self, field: &str, v: &Spanned<String>) -> String {
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

    pub(super) fn id(&mut self, field: &str, v: &Spanned<String>) -> String {
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
    pub(super) fn lines(
        &mut self,
        field: &str,
        v: &Spanned<Lines>,
        sides: Option<Sides>,
    ) -> Vec<Text> {
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

    pub(super) fn placeholders(
        &mut self,
        field: &str,
        span: &Range<usize>,
        line: &str,
        sides: Option<Sides>,
    ) {
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

    pub(super) fn secs(
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
                format!("`{field}` must be {bound} (got {})", plain_number(x)),
                format!("for example {field} = 10"),
            );
            default
        } else if x > max {
            self.at(
                &v.span(),
                format!(
                    "`{field}` is {} seconds; the limit is {max}",
                    plain_number(x)
                ),
                "is this a typo? seconds, not milliseconds",
            );
            default
        } else {
            x
        }
    }

    pub(super) fn count(
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

    pub(super) fn sound(
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
            None => format!(
                "use one of {}, or a path to a sound file (WAV, FLAC, Ogg, MP3)",
                names.join(", ")
            ),
        };
        self.at(
            &v.span(),
            format!("unknown sound \"{name}\" in `{field}`"),
            hint,
        );
        SoundRef::Builtin(sounds::builtin_name(default).expect("default sound exists"))
    }

    /// Spoken lines of `field` when it is written, none when not (see [`Checker::lines`]).
    pub(super) fn lines_if(
        &mut self,
        field: &str,
        v: Option<&Spanned<Lines>>,
        sides: Option<Sides>,
    ) -> Vec<Text> {
        v.map(|v| self.lines(field, v, sides)).unwrap_or_default()
    }

    /// A rest of 0 up to [`limits::MAX_REST_SECS`] seconds, `default` when not written.
    pub(super) fn rest(&mut self, field: &str, v: Option<&Spanned<f64>>, default: f64) -> f64 {
        self.secs(field, v, default, false, limits::MAX_REST_SECS)
    }

    /// A dose that may be a range. `whole` asks for whole numbers. Bounds are inclusive.
    pub(super) fn dose(
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
                    format!(
                        "`{field}` must be from {lo} to {hi} seconds (got {})",
                        plain_number(x)
                    ),
                    format!("for example {example}"),
                );
                return None;
            }
            if !x.is_finite() || (whole && x.fract() != 0.0) {
                self.at(
                    &v.span(),
                    format!("`{field}` must be a whole number (got {})", plain_number(x)),
                    format!("for example {example}"),
                );
                return None;
            }
            if x < lo {
                self.at(
                    &v.span(),
                    format!(
                        "`{field}` must be at least {lo}{unit} (got {})",
                        plain_number(x)
                    ),
                    format!("for example {example}"),
                );
                return None;
            }
            if x > hi {
                self.at(
                    &v.span(),
                    format!("`{field}` is {}{unit}; the limit is {hi}", plain_number(x)),
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

    pub(super) fn whole_dose(
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

    pub(super) fn secs_dose(
        &mut self,
        field: &str,
        v: Option<&Spanned<toml::Value>>,
        lo: f64,
        hi: f64,
    ) -> Dose<f64> {
        v.and_then(|v| self.dose(field, v, false, lo, hi))
            .unwrap_or(Dose::fixed(lo.max(1.0)))
    }

    pub(super) fn word<T: Copy>(
        &mut self,
        field: &str,
        v: &Spanned<String>,
        names: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let got = v.get_ref();
        let out = parse(got);
        if out.is_none() {
            let first = ["affected", "unaffected", "left", "right"];
            let hint = match nearest(got, names) {
                // Which side comes first is another field: a natural mistake.
                _ if field == "sides" && first.contains(&got.as_str()) => format!(
                    "which side comes first is `first_side`: write sides = \"both\" and first_side = \"{got}\""
                ),
                Some(best) => format!("did you mean \"{best}\"?"),
                None => format!("use one of: {}", names.join(", ")),
            };
            self.at(&v.span(), format!("unknown {field} \"{got}\""), hint);
        }
        out
    }

    /// Reports a field that has no meaning for this exercise's kind.
    pub(super) fn not_for<T>(
        &mut self,
        field: &str,
        v: Option<&Spanned<T>>,
        kind: Kind,
        hint: &str,
    ) {
        if let Some(v) = v {
            self.at(
                &v.span(),
                format!("`{field}` is not used by a {} exercise", kind.as_str()),
                hint,
            );
        }
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
