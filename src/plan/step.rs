//! A step's stable id, typed: which exercise (or circuit), round, set, side and rep it is, and
//! its phase. The sequencer makes them, the conductor reads them; in JSON a step is the string
//! it always was (`EXERCISE/set-1/left/rep-2`), so `plan --json` readers see no change.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::SideName;

/// One step of a session: a part that next, back and repeat move between. The same step of the
/// same routine has the same value at any speech rate and in a resumed session, so a position
/// survives replanning by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Step {
    /// The exercise the step belongs to; for [`Phase::RoundRest`] the circuit; `None` for the
    /// session's [`Phase::Start`] and [`Phase::End`].
    pub owner: Option<String>,
    /// The round of a circuit, for the exercises of a circuit and its rests.
    pub round: Option<u32>,
    pub phase: Phase,
}

/// What a step is. Sets are numbered from 1 in every id, even where an exercise has one set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The opening, before the first exercise.
    Start,
    /// Getting into position for an exercise.
    Setup,
    /// The announcement of a set, where an exercise has more than one.
    Set { set: u32 },
    /// One rep, on one side or with none.
    Rep {
        set: u32,
        side: Option<SideName>,
        rep: u32,
    },
    /// Changing to `side` within a set.
    Switch { set: u32, side: SideName },
    /// The rest after set `set`.
    Rest { set: u32 },
    /// The rest after the exercise, before the next one.
    RestAfter,
    /// The rest after a round of a circuit (the owner is the circuit).
    RoundRest,
    /// The closing, after the last exercise.
    End,
}

impl Step {
    /// The session's opening step.
    pub fn start() -> Step {
        Step {
            owner: None,
            round: None,
            phase: Phase::Start,
        }
    }

    /// The session's closing step.
    pub fn end() -> Step {
        Step {
            owner: None,
            round: None,
            phase: Phase::End,
        }
    }

    /// A step of exercise (or circuit) `owner`, in `round` when it is in a circuit.
    pub fn of(owner: &str, round: Option<u32>, phase: Phase) -> Step {
        Step {
            owner: Some(owner.to_owned()),
            round,
            phase,
        }
    }

    /// Any of the rests: after a set, after an exercise, after a round.
    pub fn is_rest(&self) -> bool {
        matches!(
            self.phase,
            Phase::Rest { .. } | Phase::RestAfter | Phase::RoundRest
        )
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let owner = self.owner.as_deref().unwrap_or("");
        let round = |f: &mut fmt::Formatter<'_>| match self.round {
            Some(r) => write!(f, "{owner}/round-{r}"),
            None => write!(f, "{owner}"),
        };
        match self.phase {
            Phase::Start => f.write_str("start"),
            Phase::End => f.write_str("end"),
            Phase::Setup => {
                round(f)?;
                f.write_str("/setup")
            }
            Phase::Set { set } => {
                round(f)?;
                write!(f, "/set-{set}")
            }
            Phase::Rep { set, side, rep } => {
                round(f)?;
                write!(f, "/set-{set}")?;
                if let Some(s) = side {
                    write!(f, "/{}", s.as_str())?;
                }
                write!(f, "/rep-{rep}")
            }
            Phase::Switch { set, side } => {
                round(f)?;
                write!(f, "/set-{set}/switch-{}", side.as_str())
            }
            Phase::Rest { set } => {
                round(f)?;
                write!(f, "/set-{set}/rest")
            }
            Phase::RestAfter => {
                round(f)?;
                f.write_str("/rest-after")
            }
            // A circuit's rest between rounds is always in a round.
            Phase::RoundRest => {
                round(f)?;
                f.write_str("/rest")
            }
        }
    }
}

/// A string that is not a step id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a step id")]
pub struct BadStep(pub String);

fn side(s: &str) -> Option<SideName> {
    match s {
        "left" => Some(SideName::Left),
        "right" => Some(SideName::Right),
        _ => None,
    }
}

fn numbered(s: &str, prefix: &str) -> Option<u32> {
    s.strip_prefix(prefix)?.parse().ok()
}

impl FromStr for Step {
    type Err = BadStep;

    /// The inverse of [`Display`](fmt::Display). Exercise and circuit ids have no `/` (they
    /// are lower-case letters, digits and dashes), so the parts are split on it.
    fn from_str(s: &str) -> Result<Step, BadStep> {
        let bad = || BadStep(s.to_owned());
        match s {
            "start" => return Ok(Step::start()),
            "end" => return Ok(Step::end()),
            _ => {}
        }
        let mut parts: Vec<&str> = s.split('/').collect();
        if parts.len() < 2 || parts[0].is_empty() {
            return Err(bad());
        }
        let owner = parts.remove(0).to_owned();
        let round = match parts.first().and_then(|p| numbered(p, "round-")) {
            Some(r) => {
                parts.remove(0);
                Some(r)
            }
            None => None,
        };
        let phase = match parts.as_slice() {
            ["setup"] => Phase::Setup,
            ["rest-after"] => Phase::RestAfter,
            ["rest"] if round.is_some() => Phase::RoundRest,
            [set] => Phase::Set {
                set: numbered(set, "set-").ok_or_else(bad)?,
            },
            [set, last] => {
                let set = numbered(set, "set-").ok_or_else(bad)?;
                if *last == "rest" {
                    Phase::Rest { set }
                } else if let Some(to) = last.strip_prefix("switch-") {
                    Phase::Switch {
                        set,
                        side: side(to).ok_or_else(bad)?,
                    }
                } else {
                    Phase::Rep {
                        set,
                        side: None,
                        rep: numbered(last, "rep-").ok_or_else(bad)?,
                    }
                }
            }
            [set, s, rep] => Phase::Rep {
                set: numbered(set, "set-").ok_or_else(bad)?,
                side: Some(side(s).ok_or_else(bad)?),
                rep: numbered(rep, "rep-").ok_or_else(bad)?,
            },
            _ => return Err(bad()),
        };
        Ok(Step {
            owner: Some(owner),
            round,
            phase,
        })
    }
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Step, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_id_reads_back_as_written() {
        for id in [
            "start",
            "end",
            "lifts/setup",
            "lifts/set-2",
            "lifts/set-1/rep-3",
            "lifts/set-1/left/rep-3",
            "lifts/set-2/switch-right",
            "lifts/set-1/rest",
            "lifts/rest-after",
            "lifts/round-2/setup",
            "lifts/round-2/set-1/right/rep-1",
            "lifts/round-2/rest-after",
            "circuit-a/round-3/rest",
        ] {
            let step: Step = id.parse().unwrap();
            assert_eq!(step.to_string(), id);
        }
    }

    #[test]
    fn the_phases_are_told_apart() {
        let p = |s: &str| s.parse::<Step>().unwrap().phase;
        assert_eq!(p("a/set-1/rest"), Phase::Rest { set: 1 });
        assert_eq!(p("c/round-1/rest"), Phase::RoundRest);
        assert_eq!(p("a/round-1/rest-after"), Phase::RestAfter);
        assert_eq!(
            p("a/set-2/switch-left"),
            Phase::Switch {
                set: 2,
                side: SideName::Left
            }
        );
        assert!("a/rest-after".parse::<Step>().unwrap().is_rest());
        assert!(!"a/setup".parse::<Step>().unwrap().is_rest());
    }

    #[test]
    fn what_is_not_an_id_is_refused() {
        for bad in [
            "",
            "x",
            "/setup",
            "a/set-x",
            "a/set-1/middle/rep-1",
            "a/rest",
        ] {
            assert!(bad.parse::<Step>().is_err(), "{bad}");
        }
    }

    #[test]
    fn json_keeps_the_string() {
        let step: Step = "a/set-1/left/rep-2".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&step).unwrap(),
            "\"a/set-1/left/rep-2\""
        );
        let back: Step = serde_json::from_str("\"a/set-1/left/rep-2\"").unwrap();
        assert_eq!(back, step);
    }
}
