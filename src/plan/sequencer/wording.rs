//! The sentences the sequencer says about an exercise's dose ("Ten on each side.", "Hold for
//! ten seconds.").

use super::Seq;
use crate::phrases;
use crate::routine::{Exercise, Kind, Sides};

impl Seq<'_> {
    /// "Ten on each side.", "Two minutes.", "Just once.", "Two sets of 10."
    pub(super) fn dose_line(&self, ex: &Exercise) -> String {
        let ph = self.ph;
        let sides = ex.sides != Sides::None;
        let each = if ex.kind == Kind::Timed {
            let d = ph.duration(ex.duration_secs.value);
            if sides {
                phrases::fill(ph.timed_sides, &[("duration", &d)])
            } else {
                format!("{d}.")
            }
        } else {
            let reps = ex.reps.value.to_string();
            match (sides, ex.reps.value) {
                (false, 1) => ph.dose_once.to_owned(),
                (false, _) => phrases::fill(ph.dose, &[("reps", &reps)]),
                (true, 1) => ph.dose_sides_once.to_owned(),
                (true, _) => phrases::fill(ph.dose_sides, &[("reps", &reps)]),
            }
        };
        let sets = ex.sets.value;
        if sets > 1 {
            // "Two sets of 10 on each side.", "Two sets: once on each side."
            let sets = phrases::capitalise(&ph.number(u64::from(sets)));
            let joined = phrases::fill(ph.sets_dose, &[("sets", &sets)]);
            let each = each.trim_end_matches('.');
            match (ex.kind, ex.reps.value, sides) {
                (Kind::Timed, _, _) | (_, 1, _) => format!("{joined}: {}.", each.to_lowercase()),
                (_, reps, false) => format!("{joined} of {reps}."),
                _ => format!("{joined} of {each}."),
            }
        } else {
            phrases::capitalise(&each)
        }
    }

    /// "Hold for ten seconds."
    pub(super) fn hold_for(&self, ex: &Exercise) -> String {
        phrases::fill(
            self.ph.hold_for,
            &[("duration", &self.ph.duration(ex.hold_secs.value))],
        )
    }
}
