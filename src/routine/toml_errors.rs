//! How a TOML parser or type error is worded for the person: one diagnostic with a hint
//! (an example value, the nearest valid field name), shared by reading and checking.

use std::ops::Range;

use crate::diag::{Diagnostic, Diagnostics, SourceMap};

/// An example value for each field, used in "add `x = ...`" hints.
pub fn example(field: &str) -> &'static str {
    match field {
        "id" => "id = \"my-routine\"",
        "title" => "title = \"Morning hips\"",
        "name" => "name = \"Knee lifts\"",
        "cue" => "cue = \"Lift your {side} knee.\"",
        "reps" => "reps = 10",
        "hold_secs" => "hold_secs = 10",
        "duration_secs" => "duration_secs = 120",
        "tempo" => "tempo = [2, 2]",
        "exercises" => "exercises = [\"sit-to-stand\", \"calf-raises\"]",
        "rounds" => "rounds = 3",
        "after_hours" => "after_hours = 1",
        "advice" => "advice = \"Do fewer reps next time.\"",
        _ => "the field with a value",
    }
}

fn friendly_type(t: &str) -> String {
    t.replace("f64", "a number")
        .replace("i64", "a whole number")
        .replace("a boolean", "true or false")
        .replace("bool", "true or false")
        .replace("a string", "text in quotes")
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
    Diagnostics(vec![describe_toml_error(
        map,
        err.message(),
        err.span().unwrap_or(0..0),
        None,
    )])
}

/// One parser or type error as a diagnostic with a hint. `key` is the field being read, when
/// known; otherwise it is found on the line.
pub fn describe_toml_error(
    map: &SourceMap,
    message: &str,
    span: Range<usize>,
    key: Option<&str>,
) -> Diagnostic {
    let text = map.source();
    let loc = map.loc(span.start);
    let msg = message.trim().trim_end_matches('.').to_owned();
    if let Some(rest) = msg.strip_prefix("unknown field `") {
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
    } else if let Some(rest) = msg.strip_prefix("invalid type: ")
        && !msg.contains(" as i128")
    {
        let (got, want) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        let what = key
            .map(str::to_owned)
            .or_else(|| key_at(text, span.start))
            .map_or("this value".to_owned(), |k| format!("`{k}`"));
        Diagnostic::new(
            loc,
            format!(
                "{what} must be {}, not {}",
                friendly_type(want),
                friendly_type(got)
            ),
        )
        .hint(if key == Some("tempo") {
            "write the seconds of each phase in brackets: tempo = [3, 1, 3]"
        } else if want.contains("sequence") {
            "write a list in brackets: [\"first\", \"second\"]"
        } else if want.contains("bool") {
            "write true or false, without quotes"
        } else if want.contains("64") && got.starts_with("string") {
            "numbers are written without quotes: countdown = 3, hold_secs = 10"
        } else {
            "numbers are written without quotes (hold_secs = 10), text in quotes"
        })
    } else if msg.contains("as i128") || msg.contains("overflow") {
        let what = key
            .map(str::to_owned)
            .or_else(|| key_at(text, span.start))
            .map_or("this number".to_owned(), |k| format!("`{k}`"));
        Diagnostic::new(loc, format!("{what} is far too large a number")).hint("is this a typo?")
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
    } else if msg.contains("unclosed array table") || msg.contains("unclosed table") {
        Diagnostic::new(loc, "this table header is not closed")
            .hint("write it whole on its line: [[exercise]], [[circuit]] or [pain_rule]")
    } else {
        Diagnostic::new(
            loc,
            format!("this is not valid TOML: {}", msg.replace('\n', " ")),
        )
        .hint("see routines/README.md for the format")
    }
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
