//! The routine file as written: every value with its span, read field by field so that one
//! run reports every syntax error, every wrong type, every unknown and every missing field.
//!
//! Nothing here judges values; `validate` turns these into a checked `Routine`. A field that
//! could not be read is `None` here and its problem is already reported.

use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, SeqAccess, Visitor};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::toml_errors::{describe_toml_error, example, nearest};
use crate::diag::{Diagnostic, SourceMap};

/// The fields a routine may set at its top level.
pub const ROUTINE_FIELDS: [&str; 13] = [
    "id",
    "title",
    "description",
    "language",
    "frequency",
    "best_time",
    "safety",
    "lead_in",
    "lead_in_secs",
    "quiet",
    "pain_rule",
    "exercise",
    "circuit",
];

/// The fields of an `[[exercise]]` table.
pub const EXERCISE_FIELDS: [&str; 32] = [
    "id",
    "name",
    "aliases",
    "kind",
    "caution",
    "setup",
    "setup_secs",
    "cue",
    "short_cue",
    "technique",
    "release",
    "switch",
    "sides",
    "first_side",
    "sides_are",
    "reps",
    "sets",
    "hold_secs",
    "duration_secs",
    "tempo",
    "tempo_words",
    "pace",
    "tempo_secs",
    "rest_between_reps_secs",
    "rest_between_sides_secs",
    "rest_between_sets_secs",
    "rest_after_secs",
    "countdown",
    "start_sound",
    "release_sound",
    "beat_sound",
    "time_checks",
];

/// The fields of a `[[circuit]]` table.
pub const CIRCUIT_FIELDS: [&str; 5] = [
    "id",
    "name",
    "exercises",
    "rounds",
    "rest_between_rounds_secs",
];

const PAIN_RULE_FIELDS: [&str; 2] = ["after_hours", "advice"];

#[derive(Debug, Default)]
pub struct RawRoutine {
    pub id: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub language: Option<Spanned<String>>,
    pub frequency: Option<Spanned<String>>,
    pub best_time: Option<Spanned<String>>,
    pub safety: Option<Spanned<Lines>>,
    pub lead_in: Option<Spanned<Lines>>,
    pub lead_in_secs: Option<Spanned<f64>>,
    pub quiet: Option<Spanned<bool>>,
    pub pain_rule: Option<Spanned<RawPainRule>>,
    pub exercise: Vec<Spanned<RawExercise>>,
    pub circuit: Vec<Spanned<RawCircuit>>,
    /// Whether `exercise` was present at all (an empty list and a missing one read alike).
    pub exercise_span: Option<Range<usize>>,
}

#[derive(Debug, Default)]
pub struct RawPainRule {
    pub after_hours: Option<Spanned<f64>>,
    pub advice: Option<Spanned<String>>,
}

#[derive(Debug, Default)]
pub struct RawExercise {
    pub id: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub aliases: Vec<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    pub caution: Option<Spanned<Lines>>,
    pub setup: Option<Spanned<Lines>>,
    pub setup_secs: Option<Spanned<f64>>,
    pub cue: Option<Spanned<Lines>>,
    pub short_cue: Option<Spanned<Lines>>,
    pub technique: Option<Spanned<Lines>>,
    pub release: Option<Spanned<Lines>>,
    pub switch: Option<Spanned<Lines>>,
    pub sides: Option<Spanned<String>>,
    pub first_side: Option<Spanned<String>>,
    /// `"legs"` (the default) or `"directions"`.
    pub sides_are: Option<Spanned<String>>,
    /// A whole number, a range `"8-12"`, or `{ min = 8, max = 12, start = 10 }`.
    pub reps: Option<Spanned<toml::Value>>,
    pub sets: Option<Spanned<toml::Value>>,
    pub hold_secs: Option<Spanned<toml::Value>>,
    pub duration_secs: Option<Spanned<toml::Value>>,
    pub tempo: Option<Spanned<Vec<Spanned<f64>>>>,
    pub tempo_words: Option<Spanned<Lines>>,
    pub pace: Option<Spanned<String>>,
    pub tempo_secs: Option<Spanned<f64>>,
    pub rest_between_reps_secs: Option<Spanned<f64>>,
    pub rest_between_sides_secs: Option<Spanned<f64>>,
    pub rest_between_sets_secs: Option<Spanned<f64>>,
    pub rest_after_secs: Option<Spanned<f64>>,
    pub countdown: Option<Spanned<i64>>,
    pub start_sound: Option<Spanned<String>>,
    pub release_sound: Option<Spanned<String>>,
    pub beat_sound: Option<Spanned<String>>,
    pub time_checks: Option<Spanned<bool>>,
    /// Whether `tempo` was written at all (a wrong value is reported where it is).
    pub tempo_written: bool,
}

#[derive(Debug, Default)]
pub struct RawCircuit {
    pub id: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub exercises: Option<Spanned<Vec<Spanned<String>>>>,
    pub rounds: Option<Spanned<toml::Value>>,
    pub rest_between_rounds_secs: Option<Spanned<f64>>,
}

/// One sentence or a list of sentences; each is spoken as its own line.
/// Items keep their span when written as a list.
#[derive(Debug, Default)]
pub struct Lines(pub Vec<(Option<Range<usize>>, String)>);

impl<'de> Deserialize<'de> for Lines {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LinesVisitor;

        impl<'de> Visitor<'de> for LinesVisitor {
            type Value = Lines;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sentence in quotes, or a list of sentences")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Lines, E> {
                Ok(Lines(vec![(None, v.to_owned())]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lines, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<String>>()? {
                    let span = item.span();
                    out.push((Some(span), item.into_inner()));
                }
                Ok(Lines(out))
            }
        }

        deserializer.deserialize_any(LinesVisitor)
    }
}

/// The entries of one TOML table, taken field by field. Every problem goes to `problems`.
struct Fields<'m, 'i> {
    map: &'m SourceMap,
    entries: Vec<(Spanned<String>, Spanned<DeValue<'i>>)>,
    /// Where "this table has no `x`" points.
    at: Range<usize>,
    /// Missing fields are not reported when the file has syntax errors: the parser's recovery
    /// may have dropped the very line that sets them.
    report_missing: bool,
    /// Lines with a syntax error: values recovered there are not judged (they are guesses).
    broken_lines: &'m [usize],
    /// What the table is, for "this routine has no `id`".
    what: &'static str,
}

impl<'i> Fields<'_, 'i> {
    fn new<'m>(
        map: &'m SourceMap,
        table: DeTable<'i>,
        at: Range<usize>,
        report_missing: bool,
        broken_lines: &'m [usize],
    ) -> Fields<'m, 'i> {
        let entries = table
            .into_iter()
            .map(|(k, v)| {
                let span = k.span();
                (Spanned::new(span, k.into_inner().into_owned()), v)
            })
            .collect();
        Fields {
            map,
            entries,
            at,
            report_missing,
            broken_lines,
            what: "this table",
        }
    }

    fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.get_ref() == key)
    }

    fn take_value(&mut self, key: &str) -> Option<Spanned<DeValue<'i>>> {
        let i = self.entries.iter().position(|(k, _)| k.get_ref() == key)?;
        let (k, v) = self.entries.remove(i);
        let line = self.map.loc(k.span().start).line;
        (!self.broken_lines.contains(&line)).then_some(v)
    }

    fn opt<T: DeserializeOwned>(
        &mut self,
        key: &str,
        out: &mut Vec<Diagnostic>,
    ) -> Option<Spanned<T>> {
        let v = self.take_value(key)?;
        let span = v.span();
        match Spanned::<T>::deserialize(ValueDeserializer::from(v)) {
            Ok(x) => Some(x),
            Err(e) => {
                let span = e.span().unwrap_or(span);
                out.push(describe_toml_error(self.map, e.message(), span, Some(key)));
                None
            }
        }
    }

    fn req<T: DeserializeOwned>(
        &mut self,
        key: &str,
        out: &mut Vec<Diagnostic>,
    ) -> Option<Spanned<T>> {
        let present = self.entries.iter().any(|(k, _)| k.get_ref() == key);
        if !present {
            if self.report_missing {
                out.push(
                    Diagnostic::new(
                        self.map.span_loc(&self.at),
                        format!("{} has no `{key}`", self.what),
                    )
                    .hint(format!("add {}", example(key))),
                );
            }
            return None;
        }
        self.opt(key, out)
    }

    /// Reports every field left over as unknown, with the nearest known name.
    fn finish(self, known: &[&str], out: &mut Vec<Diagnostic>) {
        for (k, _) in self.entries {
            let d = Diagnostic::new(
                self.map.span_loc(&k.span()),
                format!("unknown field `{}`", k.get_ref()),
            );
            out.push(match nearest(k.get_ref(), known) {
                Some(best) => d.hint(format!("did you mean `{best}`?")),
                None => d.hint(format!("the fields here are {}", known.join(", "))),
            });
        }
    }

    /// A list of tables (`[[exercise]]`), each read by `read`.
    fn tables<T>(
        &mut self,
        key: &str,
        what: &str,
        out: &mut Vec<Diagnostic>,
        mut read: impl FnMut(Fields<'_, 'i>, &mut Vec<Diagnostic>) -> T,
    ) -> (Vec<Spanned<T>>, Option<Range<usize>>) {
        let Some(v) = self.take_value(key) else {
            return (Vec::new(), None);
        };
        let outer = v.span();
        let DeValue::Array(items) = v.into_inner() else {
            out.push(
                Diagnostic::new(
                    self.map.span_loc(&outer),
                    format!("`{key}` must be {what} tables"),
                )
                .hint(format!("write each one under its own [[{key}]] line")),
            );
            return (Vec::new(), Some(outer));
        };
        let mut tables = Vec::new();
        for item in items {
            let span = item.span();
            match item.into_inner() {
                DeValue::Table(t) => {
                    let f = Fields::new(
                        self.map,
                        t,
                        span.clone(),
                        self.report_missing,
                        self.broken_lines,
                    );
                    tables.push(Spanned::new(span, read(f, out)));
                }
                _ => out.push(
                    Diagnostic::new(
                        self.map.span_loc(&span),
                        format!("each `{key}` must be a table"),
                    )
                    .hint(format!("write each one under its own [[{key}]] line")),
                ),
            }
        }
        (tables, Some(outer))
    }
}

/// Reads a routine document. Returns what could be read and every problem found on the way;
/// the routine is usable only when the list is empty. The flag is true when a table header is
/// broken: the problems are then the syntax errors alone, and nothing else should be judged.
pub fn read(map: &SourceMap) -> (RawRoutine, Vec<Diagnostic>, bool) {
    let text = map.source();
    let (doc, errors) = DeTable::parse_recoverable(text);
    let mut out: Vec<Diagnostic> = errors
        .iter()
        .map(|e| describe_toml_error(map, e.message(), e.span().unwrap_or(0..0), None))
        .collect();
    let clean = out.is_empty();
    let broken: Vec<usize> = errors
        .iter()
        .filter_map(|e| e.span())
        .map(|s| map.loc(s.start).line)
        .collect();
    // A broken table header (`[[exercise]`) loses its table: the parser files the lines under
    // it in the table before, so every other problem found would be a follow-on of that one
    // ("no exercises", "unknown field", "`id` is set twice"). Only the syntax errors are told.
    let header_broken = errors.iter().filter_map(|e| e.span()).any(|s| {
        let start = text[..s.start.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        text[start..].trim_start().starts_with('[')
    });
    if header_broken {
        return (RawRoutine::default(), out, true);
    }
    let mut f = Fields::new(map, doc.into_inner(), 0..0, clean, &broken);
    f.what = "this routine";
    let o = &mut out;
    let mut r = RawRoutine {
        id: f.req("id", o),
        title: f.req("title", o),
        description: f.opt("description", o),
        language: f.opt("language", o),
        frequency: f.opt("frequency", o),
        best_time: f.opt("best_time", o),
        safety: f.opt("safety", o),
        lead_in: f.opt("lead_in", o),
        lead_in_secs: f.opt("lead_in_secs", o),
        quiet: f.opt("quiet", o),
        ..RawRoutine::default()
    };
    if let Some(v) = f.take_value("pain_rule") {
        let span = v.span();
        match v.into_inner() {
            DeValue::Table(t) => {
                let mut p = Fields::new(map, t, span.clone(), clean, &broken);
                let rule = RawPainRule {
                    after_hours: p.req("after_hours", o),
                    advice: p.req("advice", o),
                };
                p.finish(&PAIN_RULE_FIELDS, o);
                r.pain_rule = Some(Spanned::new(span, rule));
            }
            _ => o.push(
                Diagnostic::new(map.span_loc(&span), "`pain_rule` must be a table")
                    .hint("write it under a [pain_rule] line"),
            ),
        }
    }
    let (exercise, exercise_span) = f.tables("exercise", "[[exercise]]", o, exercise);
    r.exercise = exercise;
    r.exercise_span = exercise_span;
    r.circuit = f.tables("circuit", "[[circuit]]", o, circuit).0;
    f.finish(&ROUTINE_FIELDS, o);
    (r, out, false)
}

fn exercise(mut f: Fields<'_, '_>, o: &mut Vec<Diagnostic>) -> RawExercise {
    f.what = "this exercise";
    let tempo_written = f.has("tempo");
    let e = RawExercise {
        tempo_written,
        id: f.req("id", o),
        name: f.req("name", o),
        aliases: f
            .opt::<Vec<Spanned<String>>>("aliases", o)
            .map(Spanned::into_inner)
            .unwrap_or_default(),
        kind: f.opt("kind", o),
        caution: f.opt("caution", o),
        setup: f.opt("setup", o),
        setup_secs: f.opt("setup_secs", o),
        cue: f.req("cue", o),
        short_cue: f.opt("short_cue", o),
        technique: f.opt("technique", o),
        release: f.opt("release", o),
        switch: f.opt("switch", o),
        sides: f.opt("sides", o),
        first_side: f.opt("first_side", o),
        sides_are: f.opt("sides_are", o),
        reps: f.opt("reps", o),
        sets: f.opt("sets", o),
        hold_secs: f.opt("hold_secs", o),
        duration_secs: f.opt("duration_secs", o),
        tempo: f.opt("tempo", o),
        tempo_words: f.opt("tempo_words", o),
        pace: f.opt("pace", o),
        tempo_secs: f.opt("tempo_secs", o),
        rest_between_reps_secs: f.opt("rest_between_reps_secs", o),
        rest_between_sides_secs: f.opt("rest_between_sides_secs", o),
        rest_between_sets_secs: f.opt("rest_between_sets_secs", o),
        rest_after_secs: f.opt("rest_after_secs", o),
        countdown: f.opt("countdown", o),
        start_sound: f.opt("start_sound", o),
        release_sound: f.opt("release_sound", o),
        beat_sound: f.opt("beat_sound", o),
        time_checks: f.opt("time_checks", o),
    };
    f.finish(&EXERCISE_FIELDS, o);
    e
}

fn circuit(mut f: Fields<'_, '_>, o: &mut Vec<Diagnostic>) -> RawCircuit {
    f.what = "this circuit";
    let c = RawCircuit {
        id: f.opt("id", o),
        name: f.opt("name", o),
        exercises: f.req("exercises", o),
        rounds: f.req("rounds", o),
        rest_between_rounds_secs: f.opt("rest_between_rounds_secs", o),
    };
    f.finish(&CIRCUIT_FIELDS, o);
    c
}
