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

    // Windows of time (getting ready, moving, holding, a timed block, a tempo phase, resting)
    // follow each other: no two overlap.
    let mut windows: Vec<_> = t.cues.iter().filter(|c| c.kind.is_window()).collect();
    windows.sort_by_key(|c| c.start);
    for w in windows.windows(2) {
        if w[0].end > w[1].start {
            v.push(format!(
                "{:?} {}..{} overlaps {:?} {}..{}",
                w[0].kind, w[0].start, w[0].end, w[1].kind, w[1].start, w[1].end
            ));
        }
    }

    // Every hold and timed block is bracketed by a sound on its first frame and on its end frame.
    for h in t
        .cues
        .iter()
        .filter(|c| matches!(c.kind, CueKind::Hold | CueKind::Timed))
    {
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

    // Both sides of an exercise get exactly the same work: holds, timed blocks, tempo phases.
    // (exercise, round, set, kind) -> [left, right] as (count, frames).
    type Tally = [(u64, u64); 2];
    type Key = (String, Option<u32>, Option<u32>, CueKind);
    let mut per_side: BTreeMap<Key, Tally> = BTreeMap::new();
    for h in t
        .cues
        .iter()
        .filter(|c| matches!(c.kind, CueKind::Hold | CueKind::Timed | CueKind::Phase))
    {
        if let (Some(ex), Some(side)) = (&h.exercise, &h.side) {
            let e = per_side
                .entry((ex.clone(), h.round, h.set, h.kind))
                .or_default();
            let i = usize::from(*side == SideName::Right);
            e[i].0 += 1;
            e[i].1 += h.len();
        }
    }
    for ((ex, round, set, kind), [l, r]) in per_side {
        if l != r {
            v.push(format!(
                "{ex} round {round:?} set {set:?}: left {kind:?} {l:?}, right {r:?} (count, frames)"
            ));
        }
    }
    v
}

/// The longest stretch with nothing audible (no speech, no sound), in frames, and where it
/// starts. A session that does not ask for quiet keeps this at or under 30 s.
pub fn longest_silence(t: &Timeline) -> (u64, u64) {
    let mut audible: Vec<(u64, u64)> = t
        .cues
        .iter()
        .filter(|c| matches!(c.kind, CueKind::Speech | CueKind::Sound))
        .map(|c| (c.start, c.end))
        .collect();
    audible.sort_unstable();
    let mut heard_until = 0;
    let mut longest = (0, 0);
    for (start, end) in audible {
        if start > heard_until && start - heard_until > longest.0 {
            longest = (start - heard_until, heard_until);
        }
        heard_until = heard_until.max(end);
    }
    if t.frames > heard_until && t.frames - heard_until > longest.0 {
        longest = (t.frames - heard_until, heard_until);
    }
    longest
}
