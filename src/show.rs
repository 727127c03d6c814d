//! Plain-text views of a timeline: `show` (one line per cue, for people and screen readers),
//! the tab-separated `plan`, and the lines of `list` and `check`. Functions return strings;
//! the caller prints them.

use std::fmt::Write;

use crate::diag::escape;
use crate::phrases::Said;
use crate::plan::{Cue, CueKind, Timeline, secs};
use crate::routine::Routine;
use crate::routine::catalog::Whose;

/// `mm:ss`, or `h:mm:ss` from an hour on.
pub fn clock(frames: u64, rate: u32) -> String {
    let total = frames / u64::from(rate);
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// A length for reading, rounded as the voice says it ([`Said::of`]): "10 seconds", "1.5
/// seconds", "18 minutes 20 seconds", "2 hours 5 minutes".
pub fn length(frames: u64, rate: u32) -> String {
    let d = Said::of(secs(frames, rate));
    let unit = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if d.hours > 0 {
        let h = unit(d.hours, "hour", "hours");
        return match d.minutes {
            0 => h,
            m => format!("{h} {}", unit(m, "minute", "minutes")),
        };
    }
    if d.minutes > 0 {
        let m = unit(d.minutes, "minute", "minutes");
        return match d.seconds {
            0 => m,
            s => format!("{m} {}", unit(s, "second", "seconds")),
        };
    }
    match (d.seconds, d.half) {
        (n, true) => format!("{n}.5 seconds"),
        (n, false) => unit(n, "second", "seconds"),
    }
}

/// "1 exercise", "3 exercises".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Whether to colour: only for a terminal, and never with NO_COLOR set.
/// A line of `list`: the routine under the name that plays it, its title, how many
/// exercises, its `length` ("length unknown" when it could not be planned), and whose it is.
pub fn listed(name: &str, r: &Routine, length: Option<String>, whose: Whose) -> String {
    let whose = match whose {
        Whose::Builtin => "",
        Whose::Replaced => " Replaced by yours.",
        Whose::Yours => " Yours.",
        Whose::InPlaceOfBuiltin => " Yours, played in place of the built-in one.",
    };
    format!(
        "{}: {}. {}, {}.{whose}\n",
        crate::diag::escape(name),
        crate::diag::escape(&r.title),
        count(r.exercises.len(), "exercise", "exercises"),
        length.unwrap_or_else(|| "length unknown".to_owned())
    )
}

/// A line of `list` for one of the person's files that does not load.
pub fn unplayable(name: &str, file: &std::path::Path) -> String {
    format!(
        "{}: cannot be played: it has problems (below; `hipvoice check {}` lists them).\n",
        crate::diag::escape(name),
        crate::diag::escape(&file.display().to_string())
    )
}

/// The line of `check` for a routine that passed, planned as `t`, with `warnings` said above.
pub fn checked(r: &Routine, t: &Timeline, warnings: usize) -> String {
    let warned = match warnings {
        0 => String::new(),
        n => format!(" {} (above).", count(n, "warning", "warnings")),
    };
    format!(
        "{}: ok. {}, {}.{warned}\n",
        crate::diag::escape(&r.source_name),
        count(r.exercises.len(), "exercise", "exercises"),
        length(t.frames, t.sample_rate)
    )
}

pub fn use_colour(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn describe(cue: &Cue, rate: u32) -> String {
    let mut d = String::new();
    match cue.kind {
        CueKind::Speech => {
            d.push_str(cue.text.as_deref().unwrap_or(""));
            if cue.live_only {
                d.push_str(" (only when played, not in a file)");
            }
        }
        CueKind::Sound => d.push_str(cue.sound.as_deref().unwrap_or("")),
        CueKind::Exercise => d.push_str(cue.text.as_deref().unwrap_or("")),
        _ => d.push_str(&length(cue.len(), rate)),
    }
    if cue.kind == CueKind::Phase {
        return format!("{} ({d})", cue.text.as_deref().unwrap_or(""));
    }
    if matches!(cue.kind, CueKind::Hold | CueKind::Timed) {
        if let Some(side) = &cue.side {
            let _ = write!(d, ", {}", side.as_str());
        }
        if let Some(round) = cue.round {
            let _ = write!(d, ", round {round}");
        }
        if let Some(set) = cue.set {
            let _ = write!(d, ", set {set}");
        }
        if let Some(rep) = cue.rep.filter(|_| cue.kind == CueKind::Hold) {
            let _ = write!(d, ", rep {rep}");
        }
    }
    d
}

/// The whole session, one line per cue: `mm:ss kind: what`.
pub fn show(routine: &Routine, t: &Timeline, voice: &str, colour: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", escape(&routine.title), escape(&routine.id));
    if !routine.description.is_empty() {
        let _ = writeln!(out, "{}", escape(&routine.description));
    }
    let mut parts = vec![count(routine.exercises.len(), "exercise", "exercises")];
    let holds = t.of_kind(CueKind::Hold).count();
    // A moving rep is its run of phases: count the phases that open a rep.
    let mut reps = 0;
    let mut counted_step = None;
    let mut step = None;
    for (i, c) in t.cues.iter().enumerate() {
        if c.kind == CueKind::Step {
            step = c.rep.map(|_| i);
        } else if c.kind == CueKind::Phase && step.is_some() && counted_step != step {
            counted_step = step;
            reps += 1;
        }
    }
    let blocks = t.of_kind(CueKind::Timed).count();
    if holds > 0 {
        parts.push(count(holds, "hold", "holds"));
    }
    if reps > 0 {
        parts.push(count(reps, "moving rep", "moving reps"));
    }
    if blocks > 0 {
        parts.push(count(blocks, "timed block", "timed blocks"));
    }
    let _ = writeln!(
        out,
        "{}, {} in all, spoken by the {voice}.",
        parts.join(", "),
        length(t.frames, t.sample_rate)
    );
    // Today's dose where the person's history chose it.
    for e in &routine.exercises {
        if let Some(n) = &e.dose_note {
            let range = if e.reps.min < e.reps.max {
                format!(" (range {} to {})", e.reps.min, e.reps.max)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "Today's dose, {}: {}{range}, {}.",
                escape(&e.name),
                self::reps(e.reps.value),
                escape(&n.reason)
            );
        }
    }
    if let Some(f) = &routine.frequency {
        let _ = writeln!(out, "How often: {}", escape(f));
    }
    if let Some(b) = &routine.best_time {
        let _ = writeln!(out, "Best time: {}", escape(b));
    }
    let _ = writeln!(out);
    for cue in t
        .cues
        .iter()
        .filter(|c| !matches!(c.kind, CueKind::Step | CueKind::Move))
    {
        let time = clock(cue.start, t.sample_rate);
        let kind = cue.kind.as_str();
        let what = describe(cue, t.sample_rate);
        let what = escape(&what);
        if colour {
            let _ = writeln!(out, "\x1b[2m{time}\x1b[0m \x1b[1m{kind}\x1b[0m: {what}");
        } else {
            let _ = writeln!(out, "{time} {kind}: {what}");
        }
    }
    let _ = writeln!(out, "{} end", clock(t.frames, t.sample_rate));
    out
}

/// The cues as tab-separated values: kind, start, end, then text or sound.
pub fn tsv(t: &Timeline) -> String {
    let mut out = String::from("kind\tstart\tend\twhat\n");
    for c in &t.cues {
        let what = c.text.as_deref().or(c.sound.as_deref()).unwrap_or("");
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}",
            c.kind.as_str(),
            c.start,
            c.end,
            escape(what)
        );
    }
    out
}

/// "1 rep", "8 reps": a number of reps, for reading.
pub fn reps(n: u32) -> String {
    if n == 1 {
        "1 rep".to_owned()
    } else {
        format!("{n} reps")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_length_read_plainly() {
        assert_eq!(clock(0, 100), "00:00");
        assert_eq!(clock(6150, 100), "01:01");
        assert_eq!(clock(366_100, 100), "1:01:01");
        assert_eq!(length(150, 100), "1.5 seconds");
        assert_eq!(length(100, 100), "1 second");
        assert_eq!(length(110_000, 100), "18 minutes 20 seconds");
        assert_eq!(length(6000, 100), "1 minute");
        assert_eq!(length(6100, 100), "1 minute 1 second");
        assert_eq!(length(1_333_200, 100), "3 hours 42 minutes");
    }

    /// `show` prints a length rounded as the voice says it: the same table as
    /// `phrases::tests::durations_read_for_the_ear`, in figures.
    #[test]
    fn a_length_is_shown_as_it_is_said() {
        let en = crate::phrases::for_language_or_english("en");
        for (secs, shown) in [
            (0.1, "0.5 seconds"),
            (0.95, "1 second"),
            (1.25, "1.5 seconds"),
            (9.95, "10 seconds"),
            (53.6, "54 seconds"),
            (60.5, "1 minute 1 second"),
            (119.5, "2 minutes"),
            (3660.0, "1 hour 1 minute"),
        ] {
            let frames = (secs * 1000.0_f64).round() as u64;
            assert_eq!(length(frames, 1000), shown, "{secs} s");
            // The voice says the same length.
            let said = en.duration(secs);
            let first = shown.split(' ').next().unwrap();
            let words = match first {
                "0.5" => "half a second",
                "1" => "one",
                "1.5" => "one and a half",
                "10" => "ten",
                "54" => "fifty-four",
                "2" => "two",
                _ => unreachable!(),
            };
            assert!(
                said.starts_with(words),
                "{secs} s: said {said}, shown {shown}"
            );
        }
    }
}
