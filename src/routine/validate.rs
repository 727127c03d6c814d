//! Checks a raw routine value by value and collects every problem as a diagnostic.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::raw::{Lines, RawExercise, RawRoutine};
use super::{Exercise, Origin, PainRule, Routine, Sides, SoundRef, Text, limits};
use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::phrases;
use crate::sounds;

/// Defaults for what a routine leaves out. Chosen for people lying on a mat, listening.
pub mod defaults {
    pub const SETUP_SECS: f64 = 5.0;
    pub const TEMPO_SECS: f64 = 2.0;
    pub const REST_BETWEEN_REPS_SECS: f64 = 2.0;
    pub const REST_BETWEEN_SIDES_SECS: f64 = 5.0;
    pub const REST_BETWEEN_SETS_SECS: f64 = 30.0;
    pub const COUNTDOWN: u32 = 3;
    pub const START_SOUND: &str = "hold-start";
    pub const RELEASE_SOUND: &str = "release";
}

/// An example value for each field, used in "add `x = ...`" hints.
fn example(field: &str) -> &'static str {
    match field {
        "id" => "id = \"my-routine\"",
        "title" => "title = \"Morning hips\"",
        "name" => "name = \"Knee lifts\"",
        "cue" => "cue = \"Lift your {side} knee.\"",
        "reps" => "reps = 10",
        "hold_secs" => "hold_secs = 10",
        "after_hours" => "after_hours = 1",
        "advice" => "advice = \"Do fewer reps next time.\"",
        _ => "the field with a value",
    }
}

fn friendly_type(t: &str) -> String {
    t.replace("f64", "a number")
        .replace("i64", "a whole number")
        .replace("a sequence", "a list")
        .replace("a map", "a table")
        .replace("struct RawExercise", "an [[exercise]] table")
        .replace("struct RawPainRule", "a [pain_rule] table")
        .replace("struct RawRoutine", "a routine")
}

/// The key written before `=` on the line holding `offset`, if any.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = &text[start..];
    let eq = line.find('=')?;
    if start + eq < offset {
        let key = line[..eq].trim().trim_matches('"');
        (!key.is_empty()).then(|| key.to_owned())
    } else {
        None
    }
}

/// Turns a TOML or serde error into one diagnostic with a hint.
pub fn toml_error(map: &SourceMap, err: &toml::de::Error) -> Diagnostics {
    let text = map.source();
    let span = err.span().unwrap_or(0..0);
    let loc = map.loc(span.start);
    let msg = err.message().trim().trim_end_matches('.').to_owned();
    let d = if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (field, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let valid: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        let d = Diagnostic::new(loc, format!("unknown field `{field}`"));
        match nearest(field, &valid) {
            Some(best) => d.hint(format!("did you mean `{best}`?")),
            None => d.hint(format!("the fields here are {}", valid.join(", "))),
        }
    } else if let Some(rest) = msg.strip_prefix("missing field `") {
        let field = rest.trim_end_matches('`');
        Diagnostic::new(loc, format!("this table has no `{field}`"))
            .hint(format!("add {}", example(field)))
    } else if let Some(rest) = msg.strip_prefix("invalid type: ") {
        let (got, want) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        let what = key_at(text, span.start).map_or("this value".to_owned(), |k| format!("`{k}`"));
        Diagnostic::new(
            loc,
            format!(
                "{what} must be {}, not {}",
                friendly_type(want),
                friendly_type(got)
            ),
        )
        .hint(if want.contains("sequence") {
            "write a list in brackets, or [[exercise]] tables"
        } else {
            "numbers are written without quotes (hold_secs = 10), text in quotes"
        })
    } else if msg.starts_with("invalid value: ") {
        Diagnostic::new(loc, friendly_type(&msg))
            .hint("whole numbers here, without a decimal point (reps = 10)")
    } else if msg.contains("duplicate key") {
        let key: String = text[span.start.min(text.len())..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        Diagnostic::new(loc, format!("`{key}` is set twice"))
            .hint("each field may be set once; remove one")
    } else {
        Diagnostic::new(
            loc,
            format!("this is not valid TOML: {}", msg.replace('\n', " ")),
        )
        .hint("see routines/README.md for the format")
    };
    Diagnostics(vec![d])
}

/// The valid name closest to a misspelt one, if it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, valid: &[&'a str]) -> Option<&'a str> {
    valid
        .iter()
        .map(|v| (strsim::jaro_winkler(word, v), *v))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, v)| v)
}

struct Checker<'a> {
    map: &'a SourceMap,
    problems: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn at(&mut self, span: &Range<usize>, message: String, hint: impl Into<String>) {
        self.problems
            .push(Diagnostic::new(self.map.span_loc(span), message).hint(hint));
    }

    fn text(&mut self, field: &str, v: &Spanned<String>) -> String {
        let s = v.get_ref().trim();
        if s.is_empty() {
            self.at(
                &v.span(),
                format!("`{field}` is empty"),
                "write the text in the quotes",
            );
        } else if s.chars().count() > limits::MAX_TEXT_CHARS {
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
            } else if sides.is_none_or(|s| s == Sides::None) {
                let hint = if sides.is_none() {
                    "only exercise lines can name a side"
                } else {
                    "set sides = \"left-then-right\", or write the side out"
                };
                self.at(
                    span,
                    format!("`{field}` names {{{name}}}, but this exercise has no sides"),
                    hint,
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
                format!("`{field}` is {x} seconds; the limit is {max}"),
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

pub fn routine(map: &SourceMap, raw: RawRoutine, origin: Origin) -> Result<Routine, Diagnostics> {
    let mut c = Checker {
        map,
        problems: Vec::new(),
    };
    let id = c.id("id", &raw.id);
    let title = c.text("title", &raw.title);
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
            after_hours: c.secs("after_hours", Some(&p.after_hours), 1.0, true, 72.0),
            advice: c.text("advice", &p.advice),
        }
    });

    if raw.exercise.is_empty() {
        c.problems.push(
            Diagnostic::new(map.top(), "this routine has no exercises")
                .hint("add an [[exercise]] table; see routines/README.md"),
        );
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
        if let Some(first) = seen.get(e.id.get_ref()) {
            let first_line = map.loc(*first).line;
            c.at(
                &e.id.span(),
                format!("two exercises have the id \"{}\"", e.id.get_ref()),
                format!("the first is on line {first_line}; give each exercise its own id"),
            );
        } else {
            seen.insert(e.id.get_ref().clone(), e.id.span().start);
        }
        exercises.push(exercise(&mut c, e, &origin));
    }

    if c.problems.is_empty() {
        Ok(Routine {
            id,
            title,
            description,
            language,
            frequency,
            best_time,
            safety,
            lead_in_secs,
            pain_rule,
            exercises,
            origin,
            source_name: map.file().clone(),
        })
    } else {
        c.problems.sort_by_key(|d| (d.loc.line, d.loc.col));
        Err(Diagnostics(c.problems))
    }
}

fn exercise(c: &mut Checker, e: &RawExercise, origin: &Origin) -> Exercise {
    let id = c.id("id", &e.id);
    let name = c.text("name", &e.name);
    let aliases = e.aliases.iter().map(|a| c.text("aliases", a)).collect();
    let sides = match &e.sides {
        None => Sides::None,
        Some(s) => Sides::parse(s.get_ref()).unwrap_or_else(|| {
            let hint = match nearest(s.get_ref(), &Sides::NAMES) {
                Some(best) => format!("did you mean \"{best}\"?"),
                None => format!("use one of: {}", Sides::NAMES.join(", ")),
            };
            c.at(
                &s.span(),
                format!("unknown sides \"{}\"", s.get_ref()),
                hint,
            );
            // Check the lines as if the sides were right, so one typo is one problem.
            Sides::LeftThenRight
        }),
    };
    let sides_known = Some(sides);
    let setup = e
        .setup
        .as_ref()
        .map(|v| c.lines("setup", v, sides_known))
        .unwrap_or_default();
    let cue = c.lines("cue", &e.cue, sides_known);
    let release = e
        .release
        .as_ref()
        .map(|v| c.lines("release", v, sides_known))
        .unwrap_or_default();
    let switch = e.switch.as_ref().map(|v| {
        if sides == Sides::None {
            c.at(
                &v.span(),
                "`switch` is said when the side changes, but this exercise has no sides".to_owned(),
                "set sides, or remove switch",
            );
        }
        c.lines("switch", v, sides_known)
    });
    Exercise {
        id,
        name,
        aliases,
        setup,
        setup_secs: c.secs(
            "setup_secs",
            e.setup_secs.as_ref(),
            defaults::SETUP_SECS,
            false,
            limits::MAX_SETUP_SECS,
        ),
        cue,
        release,
        switch,
        sides,
        reps: c.count("reps", Some(&e.reps), 1, 1, limits::MAX_REPS),
        sets: c.count("sets", e.sets.as_ref(), 1, 1, limits::MAX_SETS),
        hold_secs: c.secs(
            "hold_secs",
            Some(&e.hold_secs),
            1.0,
            true,
            limits::MAX_HOLD_SECS,
        ),
        tempo_secs: c.secs(
            "tempo_secs",
            e.tempo_secs.as_ref(),
            defaults::TEMPO_SECS,
            false,
            limits::MAX_TEMPO_SECS,
        ),
        rest_between_reps_secs: c.secs(
            "rest_between_reps_secs",
            e.rest_between_reps_secs.as_ref(),
            defaults::REST_BETWEEN_REPS_SECS,
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
    }
}
