//! The conductor's spoken and shown wording of where the session is: the answer to "where am
//! I" and the title media clients show.

use super::{Conductor, StepPhase};
use crate::phrases;
use crate::plan::CueKind;

impl Conductor {
    /// The title media clients show: the exercise and side, or the routine's part.
    pub(super) fn title(&self) -> String {
        let Some(step) = self.ix.step_at(self.pos) else {
            return String::new();
        };
        match (&step.exercise, &step.side) {
            (Some(ex), side) => {
                let name = self.ix.names.get(ex).cloned().unwrap_or_else(|| ex.clone());
                match side {
                    Some(s) => format!(
                        "{name}, {}",
                        phrases::fill(
                            self.ix.sides_are(ex).where_side(&self.ph.controls),
                            &[("side", crate::routine::Side::from(*s).word(self.ph))]
                        )
                    ),
                    None => name,
                }
            }
            (None, _) if !self.title.is_empty() => self.title.clone(),
            (None, _) => self.ix.t.routine.clone(),
        }
    }

    /// "Knee lifts, left leg, round 4 of 10. Six seconds left. About nine minutes to go."
    pub fn where_am_i(&self) -> String {
        let ctl = &self.ph.controls;
        let p = self.pos;
        let rate = f64::from(self.ix.t.sample_rate.max(1));
        let mut parts: Vec<String> = Vec::new();
        let step = self.ix.step_at(p);
        let id = step
            .and_then(|s| s.step.clone())
            .unwrap_or_else(crate::plan::Step::start);
        match (id.phase, step.and_then(|s| s.exercise.as_ref())) {
            (StepPhase::End, _) => parts.push(ctl.where_finishing.to_owned()),
            (StepPhase::Start, _) | (_, None) => parts.push(ctl.where_getting_ready.to_owned()),
            (_, Some(ex)) => {
                let step = step.expect("an exercise step");
                let mut head = vec![self.ix.names.get(ex).cloned().unwrap_or_else(|| ex.clone())];
                if let Some(s) = &step.side {
                    head.push(phrases::fill(
                        self.ix.sides_are(ex).where_side(ctl),
                        &[("side", crate::routine::Side::from(*s).word(self.ph))],
                    ));
                }
                // "Rep 1 of 1" says nothing: a single rep or a timed block is not counted.
                let k = (ex.clone(), step.set, step.side);
                if let Some(rep) = step.rep
                    && let total = self.ix.reps.get(&k).copied().unwrap_or(rep)
                    && total > 1
                {
                    let form = if self.ix.alternating.contains(ex) {
                        ctl.where_round
                    } else {
                        ctl.where_rep
                    };
                    head.push(phrases::fill(
                        form,
                        &[("n", &rep.to_string()), ("total", &total.to_string())],
                    ));
                }
                if let (Some(set), Some(&sets)) = (step.set, self.ix.sets.get(ex)) {
                    head.push(phrases::fill(
                        ctl.where_set,
                        &[("n", &set.to_string()), ("total", &sets.to_string())],
                    ));
                }
                if matches!(id.phase, StepPhase::Switch { .. }) {
                    head.push(ctl.where_switching.to_owned());
                } else if id.is_rest() {
                    head.push(ctl.where_resting.to_owned());
                }
                parts.push(format!("{}.", head.join(", ")));
            }
        }
        // Time left in the hold, timed block or rest the person is in.
        if let Some(w) = self
            .ix
            .windows
            .iter()
            .map(|&i| &self.ix.t.cues[i])
            .find(|c| c.kind != CueKind::Phase && c.start <= p && p < c.end)
        {
            // To the nearest second, as a coach says it (4.3 s is "four seconds"), and at
            // least one.
            let secs = ((w.end - p) as f64 / rate).round().max(1.0);
            let text = phrases::fill(ctl.where_left, &[("duration", &self.ph.duration(secs))]);
            parts.push(phrases::capitalise(&text));
        }
        let left = self.ix.t.frames.saturating_sub(p) as f64 / rate;
        if left < 60.0 {
            parts.push(ctl.where_under_a_minute.to_owned());
        } else {
            let minutes = (left / 60.0).round() * 60.0;
            parts.push(phrases::fill(
                ctl.where_to_go,
                &[("duration", &self.ph.duration(minutes))],
            ));
        }
        parts.join(" ")
    }
}
