//! The routine file as written: serde structures that keep every value's span.
//!
//! Nothing here judges values; `validate` turns these into a checked `Routine`.

use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoutine {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub description: Option<Spanned<String>>,
    pub language: Option<Spanned<String>>,
    pub frequency: Option<Spanned<String>>,
    pub best_time: Option<Spanned<String>>,
    pub safety: Option<Spanned<Lines>>,
    pub lead_in_secs: Option<Spanned<f64>>,
    pub pain_rule: Option<Spanned<RawPainRule>>,
    #[serde(default)]
    pub exercise: Vec<Spanned<RawExercise>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPainRule {
    pub after_hours: Spanned<f64>,
    pub advice: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExercise {
    pub id: Spanned<String>,
    pub name: Spanned<String>,
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    pub setup: Option<Spanned<Lines>>,
    pub setup_secs: Option<Spanned<f64>>,
    pub cue: Spanned<Lines>,
    pub release: Option<Spanned<Lines>>,
    pub switch: Option<Spanned<Lines>>,
    pub sides: Option<Spanned<String>>,
    pub reps: Spanned<i64>,
    pub sets: Option<Spanned<i64>>,
    pub hold_secs: Spanned<f64>,
    pub tempo_secs: Option<Spanned<f64>>,
    pub rest_between_reps_secs: Option<Spanned<f64>>,
    pub rest_between_sides_secs: Option<Spanned<f64>>,
    pub rest_between_sets_secs: Option<Spanned<f64>>,
    pub countdown: Option<Spanned<i64>>,
    pub start_sound: Option<Spanned<String>>,
    pub release_sound: Option<Spanned<String>>,
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
