//! A timeline with an index of where things are in it (steps, lines, audible cues, windows,
//! exercises), for the conductor's quick lookups by frame.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::plan::step::Phase as StepPhase;
use crate::plan::{Cue, CueKind, SideName, Timeline};
use crate::routine::SidesAre;

/// Where things are in one timeline, for quick lookups.
#[derive(Debug, Default)]
pub struct Index {
    /// The timeline indexed.
    pub t: Arc<Timeline>,
    /// Indices into `t.cues`, each list in start order: the steps, the spoken lines, and the
    /// cues that sound (lines and sounds).
    pub steps: Vec<usize>,
    pub speech: Vec<usize>,
    pub audible: Vec<usize>,
    /// Holds, timed blocks, tempo phases and rests: windows whose lines only help.
    pub windows: Vec<usize>,
    /// The first step of each exercise (its setup step): start frame and exercise id.
    pub exercises: Vec<(u64, String)>,
    /// Exercise id to its name, as spoken.
    pub names: HashMap<String, String>,
    /// Exercises whose sides are directions ("to the left"), not legs.
    pub directions: HashSet<String>,
    /// Exercises whose sides alternate every rep (their reps are called rounds).
    pub alternating: HashSet<String>,
    /// Reps per (exercise, set, side), the highest rep number seen.
    pub reps: HashMap<(String, Option<u32>, Option<SideName>), u32>,
    /// Sets per exercise, the highest set number seen.
    pub sets: HashMap<String, u32>,
}

impl Index {
    pub fn new(t: Arc<Timeline>) -> Index {
        let mut ix = Index {
            t: t.clone(),
            ..Index::default()
        };
        let mut last_rep: Option<&Cue> = None;
        for (i, c) in t.cues.iter().enumerate() {
            match c.kind {
                CueKind::Step => {
                    ix.steps.push(i);
                    if let (Some(ex), Some(id)) = (&c.exercise, &c.step) {
                        if id.phase == StepPhase::Setup {
                            ix.exercises.push((c.start, ex.clone()));
                        }
                        if let Some(rep) = c.rep {
                            let k = (ex.clone(), c.set, c.side);
                            let e = ix.reps.entry(k).or_default();
                            *e = (*e).max(rep);
                            if let Some(prev) = last_rep
                                && prev.exercise == c.exercise
                                && prev.rep == c.rep
                                && prev.set == c.set
                                && prev.side != c.side
                            {
                                ix.alternating.insert(ex.clone());
                            }
                            last_rep = Some(c);
                        }
                        if let Some(set) = c.set {
                            let e = ix.sets.entry(ex.clone()).or_default();
                            *e = (*e).max(set);
                        }
                    }
                }
                CueKind::Speech => {
                    ix.speech.push(i);
                    ix.audible.push(i);
                }
                CueKind::Sound => ix.audible.push(i),
                CueKind::Hold | CueKind::Timed | CueKind::Phase | CueKind::Rest => {
                    ix.windows.push(i)
                }
                CueKind::Exercise => {
                    if let (Some(ex), Some(name)) = (&c.exercise, &c.text) {
                        ix.names.insert(ex.clone(), name.clone());
                        if c.sides_are == SidesAre::Directions {
                            ix.directions.insert(ex.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        // Cues are sorted by start, so each list is too.
        ix
    }

    /// What the sides of exercise `ex` are.
    pub fn sides_are(&self, ex: &str) -> SidesAre {
        if self.directions.contains(ex) {
            SidesAre::Directions
        } else {
            SidesAre::Legs
        }
    }

    /// The audible cue sounding at `p`, if any.
    pub fn audible_at(&self, p: u64) -> Option<&Cue> {
        self.audible
            .iter()
            .map(|&i| &self.t.cues[i])
            .take_while(|c| c.start <= p)
            .filter(|c| p < c.end && c.start < p)
            .last()
    }

    /// The first frame at or after `p` where something audible starts (or the end).
    pub fn next_audible_from(&self, p: u64) -> u64 {
        let k = self.audible.partition_point(|&i| self.t.cues[i].start < p);
        self.audible
            .get(k)
            .map_or(self.t.frames, |&i| self.t.cues[i].start)
    }

    pub fn step_at(&self, p: u64) -> Option<&Cue> {
        let k = self.steps.partition_point(|&i| self.t.cues[i].start <= p);
        let i = *self.steps.get(k.checked_sub(1)?)?;
        Some(&self.t.cues[i])
    }

    pub fn end_step(&self) -> Option<u64> {
        self.steps
            .iter()
            .map(|&i| &self.t.cues[i])
            .find(|c| c.step.as_ref().is_some_and(|s| s.phase == StepPhase::End))
            .map(|c| c.start)
    }
}
