//! The dose rule: how many reps an exercise plays today, from the person's history and their
//! answers to the pain check-in (`hipvoice checkin`).
//!
//! The numbers, and where they come from:
//! - The article's pain rule (`[pain_rule]` in both shipped routines): pain that lasts more
//!   than `after_hours` (1 hour) after a session means fewer reps next time.
//! - The physiotherapists' traffic-light scale for pain during exercise, 0 to 10: 0-3 is fine,
//!   4-5 is "hold or ease off", 6-10 is "stop and ask a clinician".
//!
//! So, for an exercise with reps (a hold or a moving exercise; a timed one keeps its length):
//! - never played before, or `--dose start`: the routine's start;
//! - pain after the last session lasted over the rule's hours, or was rated 4 or 5: one step
//!   down from the last dose, never below the floor;
//! - rated 6 or more: one step down, and the session advises seeing a clinician first
//!   ([`Why::SeeClinician`]);
//! - the last two sessions both finished, at the same dose, each answered pain-free (no
//!   lasting pain, a rating of 3 or less): one step up, never above the range's top;
//! - otherwise the last dose again.
//!
//! A step is one rep within a range (`reps = { min = 5, max = 10, start = 8 }`): the floor is
//! its `min`, the top its `max`. A fixed dose (`reps = 10`) steps down by a fifth of it (at least
//! one rep) to a floor of half of it, and climbs back by the same step, never above it.

use rusqlite::{Connection, params};

use crate::routine::{Dose, DoseNote, Kind, Routine};

/// Which dose `--dose` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Choice {
    /// The routine's start, as if never played.
    Start,
    /// The last dose played, unchanged.
    Last,
    /// The rule above.
    #[default]
    Adapted,
}

impl Choice {
    pub const NAMES: [&'static str; 3] = ["start", "last", "adapted"];

    pub fn parse(s: &str) -> Option<Choice> {
        match s {
            "start" => Some(Choice::Start),
            "last" => Some(Choice::Last),
            "adapted" => Some(Choice::Adapted),
            _ => None,
        }
    }
}

/// The answer to the pain check-in about one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pain {
    /// The pain lasted longer than the routine's pain rule allows (1 hour in the article).
    pub lasted: bool,
    /// 0 to 10, when given.
    pub rating: Option<u8>,
}

impl Pain {
    /// No lasting pain and a rating (if any) of 3 or less: the green band.
    pub fn free(self) -> bool {
        !self.lasted && self.rating.is_none_or(|r| r <= 3)
    }
}

/// An earlier session that played the exercise, as the rule reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Past {
    /// The reps it played.
    pub reps: u32,
    /// The session ran to its end.
    pub finished: bool,
    /// The check-in answer about it, if one was given.
    pub pain: Option<Pain>,
}

/// Why a dose was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The routine's start: never played, or `--dose start`.
    Start,
    /// The last dose again (`last` is what the last session played: the dose may have been
    /// brought into today's range, when the routine changed).
    Kept { last: u32 },
    /// One step down from `from`: pain lasted too long, or was rated 4 or 5.
    Eased { from: u32, pain: Pain },
    /// One step down from `from`, and a clinician should be asked first: rated 6 or more.
    SeeClinician { from: u32, rating: u8 },
    /// One step up from `from`: two finished pain-free sessions in a row.
    Climbed { from: u32 },
}

/// The reps to play and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    pub reps: u32,
    pub why: Why,
}

/// The lowest the rule goes and the size of a step down, for a dose range.
fn floor_and_step(range: Dose<u32>) -> (u32, u32) {
    if range.min < range.max {
        (range.min, 1)
    } else {
        ((range.value / 2).max(1), (range.value / 5).max(1))
    }
}

/// The dose for an exercise of `range` given its past sessions, newest first.
pub fn choose(range: Dose<u32>, past: &[Past], choice: Choice) -> Chosen {
    let (floor, step) = floor_and_step(range);
    let start = Chosen {
        reps: range.value,
        why: Why::Start,
    };
    let Some(last) = past.first() else {
        return start;
    };
    if choice == Choice::Start {
        return start;
    }
    // The routine may have changed since: the last dose, kept within today's range.
    let from = last.reps.clamp(floor, range.max);
    let kept = Chosen {
        reps: from,
        why: Why::Kept { last: last.reps },
    };
    if choice == Choice::Last {
        return kept;
    }
    let down = from.saturating_sub(step).max(floor);
    match last.pain {
        Some(p) if p.rating.is_some_and(|r| r >= 6) => {
            return Chosen {
                reps: down,
                why: Why::SeeClinician {
                    from,
                    rating: p.rating.unwrap_or(6),
                },
            };
        }
        Some(p) if !p.free() => {
            return Chosen {
                reps: down,
                why: Why::Eased { from, pain: p },
            };
        }
        _ => {}
    }
    let good = |p: &Past| p.finished && p.pain.is_some_and(Pain::free);
    if let [a, b, ..] = past
        && good(a)
        && good(b)
        && a.reps == b.reps
        && from < range.max
    {
        return Chosen {
            reps: (from + step).min(range.max),
            why: Why::Climbed { from },
        };
    }
    kept
}

/// The past sessions of exercise `exercise` of the routine keyed `routine_key`, newest first
/// (at most 10): the reps each played, whether it finished, and the last check-in about it.
pub fn past(conn: &Connection, routine_key: &str, exercise: &str) -> rusqlite::Result<Vec<Past>> {
    let mut st = conn.prepare(
        "SELECT (SELECT e.reps FROM exercises e WHERE e.session_id = s.id AND e.exercise = ?2 \
                 ORDER BY e.seq LIMIT 1), \
                s.ending, \
                (SELECT c.pain_lasted FROM checkins c WHERE c.session_id = s.id \
                 ORDER BY c.at_ms DESC, c.id DESC LIMIT 1), \
                (SELECT c.rating FROM checkins c WHERE c.session_id = s.id \
                 ORDER BY c.at_ms DESC, c.id DESC LIMIT 1) \
         FROM sessions s \
         WHERE s.routine_key = ?1 \
           AND EXISTS (SELECT 1 FROM exercises e WHERE e.session_id = s.id AND e.exercise = ?2) \
         ORDER BY s.started_ms DESC, s.id DESC LIMIT 10",
    )?;
    st.query_map(params![routine_key, exercise], |r| {
        let lasted: Option<bool> = r.get(2)?;
        let rating: Option<u8> = r.get(3)?;
        Ok(Past {
            reps: r.get(0)?,
            finished: r.get::<_, Option<String>>(1)?.as_deref() == Some("finished"),
            pain: lasted.map(|lasted| Pain { lasted, rating }),
        })
    })?
    .collect()
}

/// Today's dose of every exercise of `r` with reps, from the history file in `dir` (read,
/// never written), by `choice`: each exercise's reps are set, with a [`DoseNote`] saying why.
/// Nothing changes for an exercise never played, or where there is no history. Returns the
/// rating of the routine's latest check-in when it is 6 or more (a clinician should be asked
/// first): whichever dose is asked for, and however many sessions were played since without
/// an answer (only a later answer lifts it).
pub fn adapt(dir: &std::path::Path, r: &mut Routine, choice: Choice) -> Option<u8> {
    let conn = super::read_only(dir)?;
    let (key, _) = super::source_of(r);
    let ph = crate::phrases::for_language_or_english(&r.language);
    let hours = r.pain_rule.as_ref().map_or(1.0, |p| p.after_hours);
    for e in r.exercises.iter_mut().filter(|e| e.kind != Kind::Timed) {
        let Ok(p) = past(&conn, &key, &e.id) else {
            continue;
        };
        if p.is_empty() {
            continue;
        }
        let c = choose(e.reps, &p, choice);
        e.reps.value = c.reps;
        e.dose_note = Some(note(ph, c, hours));
    }
    latest_rating(&conn, &key)
        .ok()
        .flatten()
        .filter(|&r| r >= 6)
}

/// The rating of the newest check-in about any session of the routine keyed `routine_key`
/// (`None` when it gave none, or there is none).
pub fn latest_rating(conn: &Connection, routine_key: &str) -> rusqlite::Result<Option<u8>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT c.rating FROM checkins c JOIN sessions s ON s.id = c.session_id \
             WHERE s.routine_key = ?1 ORDER BY c.at_ms DESC, c.id DESC LIMIT 1",
            [routine_key],
            |r| r.get::<_, Option<u8>>(0),
        )
        .optional()?
        .flatten())
}

/// The words for a choice: for reading, and for the ear when the dose changed.
fn note(ph: &crate::phrases::Phrases, c: Chosen, hours: f64) -> DoseNote {
    use crate::phrases::fill;
    let n = |k: u32| ph.number(u64::from(k));
    let said = |phrase: &str, from: u32, extra: &[(&str, &str)]| {
        let (reps, from) = (n(c.reps), n(from));
        let mut v = vec![("reps", reps.as_str()), ("from", from.as_str())];
        v.extend_from_slice(extra);
        Some(fill(phrase, &v))
    };
    // Eased or climbed to where it was (at the floor, or at the top): the dose is kept, and
    // the reason says why it could not move.
    let moved = |from: u32| from != c.reps;
    let eased = |from: u32, cause: String| {
        if moved(from) {
            format!("eased from {from}: {cause}")
        } else {
            format!("kept at the lowest dose the rule goes to: {cause}")
        }
    };
    let rated = |r: u8| format!("the pain after the last session was rated {r} of 10");
    let (reason, said) = match c.why {
        Why::Start => (
            "the routine's start, as asked (--dose start)".to_owned(),
            None,
        ),
        Why::Kept { last } if last != c.reps => (
            format!("the last session's dose, {last}, brought within the routine's range"),
            None,
        ),
        Why::Kept { .. } => ("kept: the last session's dose".to_owned(), None),
        Why::Eased { from, pain } if pain.lasted => (
            eased(
                from,
                format!("the pain lasted over {hours} h after the last session"),
            ),
            said(
                ph.eased_lasted,
                from,
                &[("duration", &ph.duration(hours * 3600.0))],
            ),
        ),
        Why::Eased { from, pain } => {
            let rating = pain.rating.unwrap_or(0);
            (
                eased(from, rated(rating)),
                said(ph.eased_rated, from, &[("rating", &n(u32::from(rating)))]),
            )
        }
        Why::SeeClinician { from, rating } => (
            eased(
                from,
                format!("{} (6 or more: ask a clinician)", rated(rating)),
            ),
            said(ph.see_clinician, from, &[("rating", &n(u32::from(rating)))]),
        ),
        Why::Climbed { from } => (
            format!("climbed from {from}: two finished sessions in a row without pain"),
            said(ph.climbed, from, &[]),
        ),
    };
    // A change of nothing (eased at the floor, say) is not said.
    let from = match c.why {
        Why::Eased { from, .. } | Why::SeeClinician { from, .. } | Why::Climbed { from } => {
            Some(from).filter(|&f| f != c.reps)
        }
        _ => None,
    };
    DoseNote {
        reason,
        from,
        said: said.filter(|_| from.is_some()),
    }
}

/// The last session of the routine keyed `routine_key` that reached an exercise: the one a
/// check-in answers about.
fn last_session(conn: &Connection, routine_key: &str) -> rusqlite::Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    conn.query_row(
        "SELECT id FROM sessions s WHERE routine_key = ?1 \
         AND EXISTS (SELECT 1 FROM exercises e WHERE e.session_id = s.id) \
         ORDER BY started_ms DESC, id DESC LIMIT 1",
        [routine_key],
        |r| r.get::<_, i64>(0),
    )
    .optional()
}

/// The [`last_session`] of the routine keyed `routine_key`, when no check-in has answered
/// about it yet: the one the check-in before a session asks about.
pub fn unanswered(conn: &Connection, routine_key: &str) -> rusqlite::Result<Option<i64>> {
    let Some(id) = last_session(conn, routine_key)? else {
        return Ok(None);
    };
    let answered: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM checkins WHERE session_id = ?1)",
        [id],
        |r| r.get(0),
    )?;
    Ok((!answered).then_some(id))
}

/// Records a check-in answer about the [`last_session`] of the routine keyed `routine_key`.
/// Returns the session's row id, or `None` when the routine has no session to answer about.
pub fn check_in(
    conn: &Connection,
    routine_key: &str,
    pain: Pain,
    source: &str,
) -> rusqlite::Result<Option<i64>> {
    let Some(session) = last_session(conn, routine_key)? else {
        return Ok(None);
    };
    conn.execute(
        "INSERT INTO checkins (session_id, at_ms, pain_lasted, rating, source) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![session, super::now_ms(), pain.lasted, pain.rating, source],
    )?;
    Ok(Some(session))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(min: u32, start: u32, max: u32) -> Dose<u32> {
        Dose {
            value: start,
            min,
            max,
        }
    }
    const NO: Option<Pain> = Some(Pain {
        lasted: false,
        rating: None,
    });
    const LASTED: Option<Pain> = Some(Pain {
        lasted: true,
        rating: None,
    });
    fn rated(r: u8) -> Option<Pain> {
        Some(Pain {
            lasted: false,
            rating: Some(r),
        })
    }
    fn past(reps: u32, finished: bool, pain: Option<Pain>) -> Past {
        Past {
            reps,
            finished,
            pain,
        }
    }

    #[test]
    fn never_played_or_asked_for_it_is_the_start() {
        let r = range(5, 8, 10);
        assert_eq!(choose(r, &[], Choice::Adapted).reps, 8);
        let p = [past(6, true, LASTED)];
        assert_eq!(choose(r, &p, Choice::Start).why, Why::Start);
        assert_eq!(choose(r, &p, Choice::Start).reps, 8);
        assert_eq!(choose(r, &p, Choice::Last).reps, 6);
    }

    #[test]
    fn lasting_pain_or_a_middling_rating_goes_one_step_down_to_the_floor() {
        let r = range(5, 8, 10);
        let c = choose(r, &[past(8, true, LASTED)], Choice::Adapted);
        assert_eq!(c.reps, 7);
        assert!(matches!(c.why, Why::Eased { from: 8, .. }));
        assert_eq!(
            choose(r, &[past(8, true, rated(4))], Choice::Adapted).reps,
            7
        );
        assert_eq!(
            choose(r, &[past(8, true, rated(5))], Choice::Adapted).reps,
            7
        );
        // Never below the floor.
        assert_eq!(choose(r, &[past(5, true, LASTED)], Choice::Adapted).reps, 5);
        // A fixed dose of 10 steps by 2, to a floor of 5.
        let fixed = Dose::fixed(10);
        assert_eq!(
            choose(fixed, &[past(10, true, LASTED)], Choice::Adapted).reps,
            8
        );
        assert_eq!(
            choose(fixed, &[past(6, true, LASTED)], Choice::Adapted).reps,
            5
        );
        assert_eq!(
            choose(fixed, &[past(5, true, LASTED)], Choice::Adapted).reps,
            5
        );
    }

    #[test]
    fn a_rating_of_six_or_more_eases_and_sends_to_a_clinician() {
        let c = choose(range(5, 8, 10), &[past(8, true, rated(6))], Choice::Adapted);
        assert_eq!(c.reps, 7);
        assert_eq!(c.why, Why::SeeClinician { from: 8, rating: 6 });
        // Lasting pain with a high rating: the clinician still.
        let both = Some(Pain {
            lasted: true,
            rating: Some(9),
        });
        let c = choose(range(5, 8, 10), &[past(8, true, both)], Choice::Adapted);
        assert!(matches!(c.why, Why::SeeClinician { rating: 9, .. }));
    }

    #[test]
    fn two_finished_pain_free_sessions_at_one_dose_climb_one_step_to_the_top() {
        let r = range(5, 8, 10);
        let c = choose(
            r,
            &[past(8, true, NO), past(8, true, rated(2))],
            Choice::Adapted,
        );
        assert_eq!(
            c,
            Chosen {
                reps: 9,
                why: Why::Climbed { from: 8 }
            }
        );
        // Just climbed: the new dose needs two good sessions of its own.
        let c = choose(r, &[past(9, true, NO), past(8, true, NO)], Choice::Adapted);
        assert_eq!(c.why, Why::Kept { last: 9 });
        // Never above the top.
        let c = choose(
            r,
            &[past(10, true, NO), past(10, true, NO)],
            Choice::Adapted,
        );
        assert_eq!(
            c,
            Chosen {
                reps: 10,
                why: Why::Kept { last: 10 }
            }
        );
        // An unfinished session, or one with no answer, is not a good one.
        assert_eq!(
            choose(r, &[past(8, false, NO), past(8, true, NO)], Choice::Adapted).why,
            Why::Kept { last: 8 }
        );
        assert_eq!(
            choose(
                r,
                &[past(8, true, None), past(8, true, NO)],
                Choice::Adapted
            )
            .why,
            Why::Kept { last: 8 }
        );
        // A fixed dose eased after pain climbs back by the step it eased by (a fifth), but
        // not past it.
        let fixed = Dose::fixed(10);
        let back = |from| {
            choose(
                fixed,
                &[past(from, true, NO), past(from, true, NO)],
                Choice::Adapted,
            )
            .reps
        };
        assert_eq!(back(6), 8);
        assert_eq!(back(8), 10);
        assert_eq!(back(9), 10);
    }

    #[test]
    fn no_answer_keeps_the_last_dose_within_todays_range() {
        let r = range(5, 8, 10);
        assert_eq!(
            choose(r, &[past(9, true, None)], Choice::Adapted),
            Chosen {
                reps: 9,
                why: Why::Kept { last: 9 }
            }
        );
        // The routine now tops out at 7: the last dose is kept within it.
        assert_eq!(
            choose(range(5, 6, 7), &[past(9, true, None)], Choice::Adapted),
            Chosen {
                reps: 7,
                why: Why::Kept { last: 9 }
            }
        );
    }

    #[test]
    fn the_reason_says_kept_when_the_rule_could_not_move_the_dose() {
        let ph = crate::phrases::for_language_or_english("en");
        let at_floor = Chosen {
            reps: 5,
            why: Why::Eased {
                from: 5,
                pain: LASTED.unwrap(),
            },
        };
        let n = note(ph, at_floor, 1.0);
        assert!(
            n.reason
                .starts_with("kept at the lowest dose the rule goes to: the pain lasted"),
            "{}",
            n.reason
        );
        assert_eq!(
            (n.from, n.said),
            (None, None),
            "nothing changed, nothing said"
        );
        let clamped = Chosen {
            reps: 7,
            why: Why::Kept { last: 9 },
        };
        assert_eq!(
            note(ph, clamped, 1.0).reason,
            "the last session's dose, 9, brought within the routine's range"
        );
        let eased = Chosen {
            reps: 7,
            why: Why::Eased {
                from: 8,
                pain: rated(4).unwrap(),
            },
        };
        let n = note(ph, eased, 1.0);
        assert_eq!(
            n.reason,
            "eased from 8: the pain after the last session was rated 4 of 10"
        );
        assert_eq!(n.from, Some(8));
        assert!(n.said.is_some());
    }
}
