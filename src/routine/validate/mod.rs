//! Checks a raw routine value by value and collects every problem as a diagnostic.
//!
//! Its rooms: `values` (single values: text, lines, seconds, doses, sounds), `lint` (what a
//! listener would stumble on), `exercise` and `circuit` (the tables), `defaults` (what a
//! routine leaves out); this file checks the routine's own fields and puts it together.

mod circuit;
pub mod defaults;
mod exercise;
pub mod lint;
mod values;

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use super::raw::{RawExercise, RawRoutine};
use super::{Exercise, Origin, PainRule, Routine, limits};
use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::phrases;
use exercise::exercise;

/// The problems and warnings found so far, and the file they are in.
struct Checker<'a> {
    map: &'a SourceMap,
    problems: Vec<Diagnostic>,
    /// Things a listener would stumble on; `check` prints them, `check --strict` fails on them.
    warnings: Vec<Diagnostic>,
    /// Every text spoken as written, with where it is ([`Routine::spoken`]).
    spoken: Vec<(String, crate::diag::Loc)>,
}

impl Checker<'_> {
    /// A problem at `span` of the file, with a hint of what to do.
    fn at(&mut self, span: &Range<usize>, message: String, hint: impl Into<String>) {
        self.problems
            .push(Diagnostic::new(self.map.span_loc(span), message).hint(hint));
    }
}

/// Checks `raw` (read from the file `map` describes, with the `problems` reading found) and
/// makes the routine, with its lint warnings; or every problem, in file order.
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
        spoken: Vec::new(),
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

    let exercises = exercises(
        &mut c,
        &raw.exercise,
        raw.exercise_span.is_some(),
        &origin,
        quiet,
    );
    let circuits = circuit::circuits(&mut c, &raw.circuit, &raw.exercise, &exercises);

    if c.problems.is_empty() {
        c.warnings.sort_by_key(|d| (d.loc.line, d.loc.col));
        Ok(Routine {
            warnings: c.warnings,
            spoken: c.spoken,
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

/// The exercises of a routine (at least one, at most [`limits::MAX_EXERCISES`], each id once).
/// `written`: the file has an `exercise` key (a wrong one has been reported already).
fn exercises(
    c: &mut Checker,
    raw: &[Spanned<RawExercise>],
    written: bool,
    origin: &Origin,
    quiet: bool,
) -> Vec<Exercise> {
    if raw.is_empty() {
        if !written || c.problems.is_empty() {
            c.problems.push(
                Diagnostic::new(c.map.top(), "this routine has no exercises")
                    .hint("add an [[exercise]] table; see routines/README.md"),
            );
        }
    } else if raw.len() > limits::MAX_EXERCISES {
        c.at(
            &raw[limits::MAX_EXERCISES].span(),
            format!(
                "this routine has {} exercises; the limit is {}",
                raw.len(),
                limits::MAX_EXERCISES
            ),
            "split it into several routines",
        );
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut exercises = Vec::new();
    for ex in raw {
        let e = ex.get_ref();
        if let Some(eid) = &e.id {
            if let Some(first) = seen.get(eid.get_ref()) {
                let first_line = c.map.loc(*first).line;
                c.at(
                    &eid.span(),
                    format!("two exercises have the id \"{}\"", eid.get_ref()),
                    format!("the first is on line {first_line}; give each exercise its own id"),
                );
            } else {
                seen.insert(eid.get_ref().clone(), eid.span().start);
            }
        }
        exercises.push(exercise(c, e, origin, quiet));
    }
    exercises
}
