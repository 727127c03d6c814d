//! The JSON Schema of a routine file, generated from types that mirror the file (schemars), for
//! editors that validate and complete TOML against a schema (Taplo, Even Better TOML). Shipped
//! as `routines/schema.json`; `hipvoice schema` prints it. A test keeps the field names here
//! equal to the ones the reader accepts (`raw`), and validates every shipped and example
//! routine against the schema with an independent validator.
#![allow(dead_code)] // The types exist only to be described.

use schemars::JsonSchema;

/// One sentence, or a list of sentences each said as its own line.
#[derive(JsonSchema)]
#[schemars(untagged)]
enum Lines {
    One(#[schemars(length(min = 1, max = 1000))] String),
    Many(#[schemars(inner(length(min = 1, max = 1000)))] Vec<String>),
}

/// A whole number, a range such as "8-12", or a table { min, max, start }.
#[derive(JsonSchema)]
#[schemars(untagged)]
enum Count {
    Number(#[schemars(range(min = 0))] u32),
    Range(#[schemars(regex(pattern = r"^\s*\d+\s*[-\u2013]\s*\d+\s*$"))] String),
    Table(CountTable),
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct CountTable {
    min: u32,
    max: u32,
    /// The dose a session starts at; the range's minimum when left out.
    start: Option<u32>,
}

/// Seconds: a number, a range such as "5-10", or a table { min, max, start }.
#[derive(JsonSchema)]
#[schemars(untagged)]
enum Secs {
    Number(#[schemars(range(min = 0))] f64),
    Range(#[schemars(regex(pattern = r"^\s*\d+(\.\d+)?\s*[-\u2013]\s*\d+(\.\d+)?\s*$"))] String),
    Table(SecsTable),
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct SecsTable {
    min: f64,
    max: f64,
    start: Option<f64>,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "kebab-case")]
enum KindName {
    Hold,
    Reps,
    Timed,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "kebab-case")]
enum SidesName {
    None,
    Both,
    LeftThenRight,
    RightThenLeft,
    Alternating,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "kebab-case")]
enum SidesAreName {
    Legs,
    Directions,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "kebab-case")]
enum FirstSideName {
    Left,
    Right,
    Affected,
    Unaffected,
}

#[derive(JsonSchema)]
#[schemars(rename_all = "kebab-case")]
enum PaceName {
    Count,
    Beat,
}

/// A hipvoice routine: physiotherapy exercises played by ear. See routines/README.md.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "hipvoice routine")]
struct Routine {
    /// Lower-case letters, digits and dashes, 1 to 40.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,39}$"))]
    id: String,
    /// Said first, and in "... complete." at the end.
    #[schemars(length(min = 1, max = 1000))]
    title: String,
    description: Option<String>,
    /// A language with built-in phrases: "en".
    language: Option<String>,
    frequency: Option<String>,
    best_time: Option<String>,
    /// Lines said at the start.
    safety: Option<Lines>,
    /// Lines said before the lead-in: where to get.
    lead_in: Option<Lines>,
    /// Seconds to get into place before the first exercise (0 to 600).
    #[schemars(range(min = 0, max = 600))]
    lead_in_secs: Option<f64>,
    /// No spoken time checks anywhere.
    quiet: Option<bool>,
    pain_rule: Option<PainRule>,
    /// One table per exercise, in order.
    #[schemars(length(min = 1, max = 100))]
    exercise: Vec<Exercise>,
    /// Groups of exercises done in turn for a number of rounds.
    circuit: Option<Vec<Circuit>>,
}

/// The article's rule: pain lasting longer than this after a session means fewer reps.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct PainRule {
    #[schemars(range(min = 0, max = 72))]
    after_hours: f64,
    advice: String,
}

/// One exercise.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Exercise {
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,39}$"))]
    id: String,
    /// Said as "Exercise 1 of 3: NAME."
    #[schemars(length(min = 1, max = 1000))]
    name: String,
    /// Other names, for the author's reference; never spoken.
    aliases: Option<Vec<String>>,
    /// hold (default), reps (moving reps paced by a tempo) or timed (a block of time).
    kind: Option<KindName>,
    /// Said once, before the setup.
    caution: Option<Lines>,
    /// How to get into position.
    setup: Option<Lines>,
    #[schemars(range(min = 0, max = 600))]
    setup_secs: Option<f64>,
    /// The whole movement, said on the first rep.
    cue: Lines,
    /// One to three words said before later reps: "Lift."
    short_cue: Option<Lines>,
    /// Reminders said in holds and timed blocks, in turn.
    technique: Option<Lines>,
    /// Said after every hold or block.
    release: Option<Lines>,
    /// Said when the side changes.
    switch: Option<Lines>,
    sides: Option<SidesName>,
    first_side: Option<FirstSideName>,
    /// What a side is: a leg (the default) or, where both legs move together, a direction.
    sides_are: Option<SidesAreName>,
    /// Reps per side (1 to 100).
    reps: Option<Count>,
    /// 1 to 20.
    sets: Option<Count>,
    /// Seconds of each hold (0.5 to 600).
    hold_secs: Option<Secs>,
    /// Seconds of a timed block (5 to 3600).
    duration_secs: Option<Secs>,
    /// Seconds of each phase of a moving rep: [3, 1, 3].
    #[schemars(length(min = 1, max = 4), inner(range(min = 0.5, max = 30)))]
    tempo: Option<Vec<f64>>,
    /// One word for each tempo phase: ["Up.", "Down."]
    tempo_words: Option<Lines>,
    pace: Option<PaceName>,
    #[schemars(range(min = 0, max = 60))]
    tempo_secs: Option<f64>,
    #[schemars(range(min = 0, max = 600))]
    rest_between_reps_secs: Option<f64>,
    #[schemars(range(min = 0, max = 600))]
    rest_between_sides_secs: Option<f64>,
    #[schemars(range(min = 0, max = 600))]
    rest_between_sets_secs: Option<f64>,
    #[schemars(range(min = 0, max = 600))]
    rest_after_secs: Option<f64>,
    /// The last seconds of each hold or block counted aloud (0 to 10).
    #[schemars(range(min = 0, max = 10))]
    countdown: Option<u32>,
    /// A built-in sound (hold-start, release, switch, rest-over, session-end, tick) or the path of a sound file (WAV, FLAC, Ogg Vorbis, MP3).
    start_sound: Option<String>,
    release_sound: Option<String>,
    beat_sound: Option<String>,
    time_checks: Option<bool>,
}

/// A circuit: exercises done one after the other, for a number of rounds.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Circuit {
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,39}$"))]
    id: Option<String>,
    name: Option<String>,
    /// Exercise ids, at least two.
    #[schemars(length(min = 2))]
    exercises: Vec<String>,
    /// 1 to 20.
    rounds: Count,
    #[schemars(range(min = 0, max = 600))]
    rest_between_rounds_secs: Option<f64>,
}

/// The schema as pretty JSON, ending in a newline.
pub fn json() -> String {
    let schema = schemars::schema_for!(Routine);
    serde_json::to_string_pretty(&schema).expect("a schema always serialises") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routine::raw::{CIRCUIT_FIELDS, EXERCISE_FIELDS, ROUTINE_FIELDS};

    fn properties(v: &serde_json::Value) -> Vec<String> {
        let mut p: Vec<String> = v["properties"]
            .as_object()
            .expect("an object schema")
            .keys()
            .cloned()
            .collect();
        p.sort();
        p
    }

    fn sorted(f: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = f.iter().map(|s| (*s).to_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn the_schema_names_exactly_the_fields_the_reader_accepts() {
        let s: serde_json::Value = serde_json::from_str(&json()).unwrap();
        assert_eq!(properties(&s), sorted(&ROUTINE_FIELDS));
        assert_eq!(
            properties(&s["$defs"]["Exercise"]),
            sorted(&EXERCISE_FIELDS)
        );
        assert_eq!(properties(&s["$defs"]["Circuit"]), sorted(&CIRCUIT_FIELDS));
        assert_eq!(s["additionalProperties"], false);
    }

    #[test]
    fn the_shipped_schema_is_the_generated_one() {
        let shipped = include_str!("../../routines/schema.json");
        assert_eq!(
            shipped,
            json(),
            "run `hipvoice schema > routines/schema.json`"
        );
    }
}
