//! The timeline's invariants, checked from the outside: used by the property tests and the
//! plan tests, and independent of how the sequencer builds a timeline.

use std::collections::BTreeMap;

use crate::plan::{CueKind, SideName, Timeline};

/// Every broken invariant, described; empty when the timeline is sound.
pub fn violations(t: &Timeline) -> Vec<String> {
    let mut v = Vec::new();
    if !t.cues.windows(2).all(|w| w[0].start <= w[1].start) {
        v.push("cues are not sorted by start".to_owned());
    }
    for c in &t.cues {
        if c.start > c.end || c.end > t.frames {
            v.push(format!(
                "{:?} cue {}..{} is outside 0..{}",
                c.kind, c.start, c.end, t.frames
            ));
        }
        if matches!(c.kind, CueKind::Speech | CueKind::Sound | CueKind::Hold) && c.is_empty() {
            v.push(format!("{:?} cue at {} is empty", c.kind, c.start));
        }
    }

    // Speech never overlaps speech nor a sound (sounds may touch each other only at hold edges).
    let audible: Vec<_> = t
        .cues
        .iter()
        .filter(|c| matches!(c.kind, CueKind::Speech | CueKind::Sound))
        .collect();
    for (i, a) in audible.iter().enumerate() {
        for b in audible[i + 1..].iter().take_while(|b| b.start < a.end) {
            if (a.kind == CueKind::Speech || b.kind == CueKind::Speech) && a.overlaps(b) {
                v.push(format!(
                    "{:?} {}..{} overlaps {:?} {}..{} ({:?})",
                    a.kind, a.start, a.end, b.kind, b.start, b.end, b.text
                ));
            }
        }
    }

    // Every hold is bracketed by a sound on its first frame and on its end frame.
    for h in t.of_kind(CueKind::Hold) {
        for edge in [h.start, h.end] {
            if !t.of_kind(CueKind::Sound).any(|s| s.start == edge) {
                v.push(format!(
                    "the hold {}..{} has no sound at frame {edge}",
                    h.start, h.end
                ));
            }
        }
    }

    // Steps tile the timeline: the session is the sum of its steps.
    let mut at = 0;
    for s in t.of_kind(CueKind::Step) {
        if s.start != at {
            v.push(format!(
                "step {:?} starts at {} instead of {at}",
                s.text, s.start
            ));
        }
        at = s.end;
    }
    if at != t.frames {
        v.push(format!(
            "the steps end at {at}, the timeline at {}",
            t.frames
        ));
    }

    // Both sides of an exercise get exactly the same hold time.
    // (exercise, set) -> [left, right] as (count, frames).
    type Tally = [(u64, u64); 2];
    let mut per_side: BTreeMap<(String, Option<u32>), Tally> = BTreeMap::new();
    for h in t.of_kind(CueKind::Hold) {
        if let (Some(ex), Some(side)) = (&h.exercise, &h.side) {
            let e = per_side.entry((ex.clone(), h.set)).or_default();
            let i = usize::from(*side == SideName::Right);
            e[i].0 += 1;
            e[i].1 += h.len();
        }
    }
    for ((ex, set), [l, r]) in per_side {
        if l != r {
            v.push(format!(
                "{ex} set {set:?}: left holds {l:?}, right holds {r:?} (count, frames)"
            ));
        }
    }
    v
}
