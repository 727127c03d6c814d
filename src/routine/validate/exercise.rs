//! The checks of one exercise: its kind, sides, spoken lines, the dose its kind needs, rests,
//! count-down and sounds.

use toml::Spanned;

use super::{Checker, defaults};
use crate::routine::raw::RawExercise;
use crate::routine::{
    Dose, Exercise, FirstSide, Kind, Origin, Pace, Phase, Sides, SidesAre, Text, limits,
};

/// One exercise, checked field by field in the order a reader meets the problems.
pub(super) fn exercise(c: &mut Checker, e: &RawExercise, origin: &Origin, quiet: bool) -> Exercise {
    let id = e.id.as_ref().map(|v| c.id("id", v)).unwrap_or_default();
    let name = e
        .name
        .as_ref()
        .map(|v| {
            let n = c.text("name", v);
            c.lint("name", &v.span(), &n);
            n
        })
        .unwrap_or_default();
    // Other names for the author's reference (an article's headings): checked, never spoken.
    for a in &e.aliases {
        c.text("aliases", a);
    }
    let kind = kind_of(c, e);
    let (sides, first_side) = sides(c, e);
    let words = Words::check(c, e, sides);
    let work = Work::check(c, e, kind);
    let rest_default = match kind {
        Kind::Reps => defaults::REST_BETWEEN_MOVING_REPS_SECS,
        _ => defaults::REST_BETWEEN_REPS_SECS,
    };
    Exercise {
        dose_note: None,
        id,
        name,
        kind,
        caution: words.caution,
        setup: words.setup,
        setup_secs: c.secs(
            "setup_secs",
            e.setup_secs.as_ref(),
            defaults::SETUP_SECS,
            false,
            limits::MAX_SETUP_SECS,
        ),
        cue: words.cue,
        short_cue: words.short_cue,
        technique: words.technique,
        release: words.release,
        switch: words.switch,
        sides,
        sides_are: sides_are(c, e, sides, first_side),
        first_side,
        reps: work.reps,
        sets: c.whole_dose("sets", e.sets.as_ref(), 1, 1, limits::MAX_SETS),
        hold_secs: work.hold_secs,
        duration_secs: work.duration_secs,
        tempo: work.tempo,
        pace: work.pace,
        tempo_secs: c.secs(
            "tempo_secs",
            e.tempo_secs.as_ref(),
            if kind == Kind::Hold {
                defaults::TEMPO_SECS
            } else {
                0.0
            },
            false,
            limits::MAX_TEMPO_SECS,
        ),
        rest_between_reps_secs: c.rest(
            "rest_between_reps_secs",
            e.rest_between_reps_secs.as_ref(),
            rest_default,
        ),
        rest_between_sides_secs: c.rest(
            "rest_between_sides_secs",
            e.rest_between_sides_secs.as_ref(),
            defaults::REST_BETWEEN_SIDES_SECS,
        ),
        rest_between_sets_secs: c.rest(
            "rest_between_sets_secs",
            e.rest_between_sets_secs.as_ref(),
            defaults::REST_BETWEEN_SETS_SECS,
        ),
        rest_after_secs: c.rest("rest_after_secs", e.rest_after_secs.as_ref(), 0.0),
        countdown: c.count(
            "countdown",
            e.countdown.as_ref(),
            defaults::COUNTDOWN,
            0,
            limits::MAX_COUNTDOWN,
        ),
        start_sound: c.sound(
            "start_sound",
            e.start_sound.as_ref(),
            defaults::START_SOUND,
            origin,
        ),
        release_sound: c.sound(
            "release_sound",
            e.release_sound.as_ref(),
            defaults::RELEASE_SOUND,
            origin,
        ),
        beat_sound: c.sound(
            "beat_sound",
            e.beat_sound.as_ref(),
            defaults::BEAT_SOUND,
            origin,
        ),
        time_checks: !quiet && e.time_checks.as_ref().is_none_or(|t| *t.get_ref()),
    }
}

/// The exercise's kind as written, or as its fields imply: `duration_secs` makes it timed,
/// a tempo without a hold makes it moving reps, anything else is a hold.
fn kind_of(c: &mut Checker, e: &RawExercise) -> Kind {
    e.kind
        .as_ref()
        .and_then(|k| c.word("kind", k, &Kind::NAMES, Kind::parse))
        .unwrap_or(if e.kind.is_none() && e.duration_secs.is_some() {
            Kind::Timed
        } else if e.kind.is_none() && e.tempo.is_some() && e.hold_secs.is_none() {
            Kind::Reps
        } else {
            Kind::Hold
        })
}

/// The sides and which comes first, as written; `first_side` checked against them.
fn sides(c: &mut Checker, e: &RawExercise) -> (Sides, Option<FirstSide>) {
    let (sides, implied_first) = match &e.sides {
        None => (Sides::None, None),
        // On a typo, check the lines as if the sides were right, so one typo is one problem.
        Some(s) => c
            .word("sides", s, &Sides::NAMES, Sides::parse)
            .unwrap_or((Sides::Both, None)),
    };
    let first_side = match &e.first_side {
        None => implied_first,
        Some(f) => {
            let parsed = c.word("first_side", f, &FirstSide::NAMES, FirstSide::parse);
            if sides == Sides::None {
                c.at(
                    &f.span(),
                    "`first_side` is set, but this exercise has no sides".to_owned(),
                    "set sides = \"both\" or \"alternating\", or remove first_side",
                );
            } else if implied_first.is_some() {
                c.at(
                    &f.span(),
                    "`first_side` and a sides order such as \"left-then-right\" both say which side is first".to_owned(),
                    "write sides = \"both\" with first_side, or remove first_side",
                );
            }
            parsed
        }
    };
    (sides, first_side)
}

/// What the sides are; directions have no affected side, and need sides to name.
fn sides_are(c: &mut Checker, e: &RawExercise, sides: Sides, first: Option<FirstSide>) -> SidesAre {
    let Some(v) = &e.sides_are else {
        return SidesAre::Legs;
    };
    let Some(are) = c.word("sides_are", v, &SidesAre::NAMES, SidesAre::parse) else {
        return SidesAre::Legs;
    };
    if are == SidesAre::Directions {
        if sides == Sides::None {
            c.at(
                &v.span(),
                "`sides_are` is set, but this exercise has no sides".to_owned(),
                "set sides = \"both\" or \"alternating\", or remove sides_are",
            );
        } else if first.is_some_and(|f| f.depends_on_affected()) {
            c.at(
                &v.span(),
                "a direction is not an affected or unaffected side".to_owned(),
                "write first_side = \"left\" or \"right\", or remove sides_are",
            );
        }
    }
    are
}

/// An exercise's spoken lines, each list checked with the exercise's sides.
struct Words {
    caution: Vec<Text>,
    setup: Vec<Text>,
    cue: Vec<Text>,
    short_cue: Option<Vec<Text>>,
    technique: Vec<Text>,
    release: Vec<Text>,
    switch: Option<Vec<Text>>,
}

impl Words {
    fn check(c: &mut Checker, e: &RawExercise, sides: Sides) -> Words {
        let known = Some(sides);
        let caution = c.lines_if("caution", e.caution.as_ref(), known);
        let setup = c.lines_if("setup", e.setup.as_ref(), known);
        let cue = c.lines_if("cue", e.cue.as_ref(), known);
        let short_cue = e.short_cue.as_ref().map(|v| {
            let lines = c.lines("short_cue", v, known);
            let words: usize = lines
                .iter()
                .map(|l| l.as_str().split_whitespace().count())
                .sum();
            if words > 4 {
                c.at(
                    &v.span(),
                    format!("`short_cue` has {words} words; it is said before every rep after the first, so keep it to one to three"),
                    "for example short_cue = \"Lift.\"; the whole movement goes in `cue`",
                );
            }
            lines
        });
        let technique = c.lines_if("technique", e.technique.as_ref(), known);
        let release = c.lines_if("release", e.release.as_ref(), known);
        let switch = e.switch.as_ref().map(|v| {
            if sides == Sides::Alternating {
                c.at(
                    &v.span(),
                    "`switch` is said when one side's reps are done, but this exercise alternates sides every rep".to_owned(),
                    "remove switch, or set sides = \"both\"",
                );
            }
            if sides == Sides::None {
                c.at(
                    &v.span(),
                    "`switch` is said when the side changes, but this exercise has no sides".to_owned(),
                    "set sides, or remove switch",
                );
            }
            c.lines("switch", v, known)
        });
        Words {
            caution,
            setup,
            cue,
            short_cue,
            technique,
            release,
            switch,
        }
    }
}

/// What the exercise's kind needs (a hold's seconds, a timed block's duration, moving reps'
/// tempo and pace, the reps), with the fields the kind does not use reported.
struct Work {
    hold_secs: Dose<f64>,
    duration_secs: Dose<f64>,
    reps: Dose<u32>,
    tempo: Vec<Phase>,
    pace: Pace,
}

impl Work {
    fn check(c: &mut Checker, e: &RawExercise, kind: Kind) -> Work {
        // What each kind needs, and what it does not use.
        let hold_secs = match kind {
            Kind::Hold => {
                if e.hold_secs.is_none() && c.problems.is_empty() {
                    let at = e.id.as_ref().map_or(0..0, Spanned::span);
                    c.at(
                        &at,
                        "this exercise has no `hold_secs`".to_owned(),
                        "add hold_secs = 10; for moving reps write kind = \"reps\" and a tempo, for a timed block kind = \"timed\" and duration_secs",
                    );
                }
                c.secs_dose(
                    "hold_secs",
                    e.hold_secs.as_ref(),
                    limits::MIN_HOLD_SECS,
                    limits::MAX_HOLD_SECS,
                )
            }
            _ => {
                c.not_for("hold_secs", e.hold_secs.as_ref(), kind, "a hold belongs to kind = \"hold\"; for a pause inside a moving rep, add it to tempo");
                Dose::fixed(0.0)
            }
        };
        let duration_secs = match kind {
            Kind::Timed => {
                if e.duration_secs.is_none() {
                    let at = e.kind.as_ref().map_or(0..0, Spanned::span);
                    c.at(
                        &at,
                        "a timed exercise needs `duration_secs`".to_owned(),
                        "add duration_secs = 120",
                    );
                }
                c.secs_dose(
                    "duration_secs",
                    e.duration_secs.as_ref(),
                    limits::MIN_DURATION_SECS,
                    limits::MAX_DURATION_SECS,
                )
            }
            _ => {
                c.not_for(
                    "duration_secs",
                    e.duration_secs.as_ref(),
                    kind,
                    "duration_secs belongs to kind = \"timed\"",
                );
                Dose::fixed(0.0)
            }
        };
        if kind == Kind::Timed {
            c.not_for(
                "reps",
                e.reps.as_ref(),
                kind,
                "a timed block is done once per side and set; use sets to repeat it",
            );
            c.not_for(
                "short_cue",
                e.short_cue.as_ref(),
                kind,
                "remove it; the cue is said before each block",
            );
        }
        if kind != Kind::Hold {
            c.not_for(
                "tempo_secs",
                e.tempo_secs.as_ref(),
                kind,
                "tempo_secs is the time to move into a hold; moving reps use tempo",
            );
        }
        let (tempo, pace) = moving(c, e, kind);
        let reps = if kind == Kind::Timed {
            Dose::fixed(1)
        } else {
            if e.reps.is_none() && c.problems.is_empty() {
                let at = e.id.as_ref().map_or(0..0, Spanned::span);
                c.at(
                    &at,
                    "this exercise has no `reps`".to_owned(),
                    "add reps = 10",
                );
            }
            c.whole_dose("reps", e.reps.as_ref(), 1, 1, limits::MAX_REPS)
        };
        Work {
            hold_secs,
            duration_secs,
            reps,
            tempo,
            pace,
        }
    }
}

/// The sides as written, for checking placeholders (an unknown value counts as sides).
fn e_sides(e: &RawExercise) -> Sides {
    match &e.sides {
        None => Sides::None,
        Some(s) => Sides::parse(s.get_ref()).map_or(Sides::Both, |(s, _)| s),
    }
}

/// The phases of a moving rep: `tempo` seconds with `tempo_words`, or the default words.
fn tempo(c: &mut Checker, e: &RawExercise) -> Vec<Phase> {
    let Some(t) = &e.tempo else {
        if e.tempo_written {
            return Vec::new();
        }
        let at = e.kind.as_ref().map_or(0..0, Spanned::span);
        c.at(
            &at,
            "moving reps need a `tempo`: the seconds of each phase".to_owned(),
            "add tempo = [2, 2] (two seconds up, two down) or tempo = [3, 1, 3]",
        );
        return Vec::new();
    };
    let secs = t.get_ref();
    if secs.is_empty() || secs.len() > limits::MAX_PHASES {
        c.at(
            &t.span(),
            format!(
                "`tempo` has {} phases; a rep has 1 to {}",
                secs.len(),
                limits::MAX_PHASES
            ),
            "for example tempo = [3, 1, 3]: three seconds up, one still, three down",
        );
        return Vec::new();
    }
    let words: Vec<Text> = match &e.tempo_words {
        Some(w) => {
            let lines = c.lines("tempo_words", w, Some(e_sides(e)));
            if lines.len() != secs.len() && lines.len() == w.get_ref().0.len() {
                c.at(
                    &w.span(),
                    format!(
                        "`tempo_words` has {} words for {} phases",
                        lines.len(),
                        secs.len()
                    ),
                    "give one word for each number in tempo",
                );
            }
            lines
        }
        None => defaults::tempo_words(secs.len())
            .iter()
            .map(|w| Text((*w).to_owned()))
            .collect(),
    };
    let mut out = Vec::new();
    for (i, s) in secs.iter().enumerate() {
        let x = *s.get_ref();
        if !x.is_finite() || !(limits::MIN_PHASE_SECS..=limits::MAX_PHASE_SECS).contains(&x) {
            c.at(
                &s.span(),
                format!(
                    "a phase of `tempo` must last {} to {} seconds (got {})",
                    limits::MIN_PHASE_SECS,
                    limits::MAX_PHASE_SECS,
                    crate::diag::plain_number(x)
                ),
                "for example tempo = [2, 2]",
            );
            continue;
        }
        let word = words
            .get(i)
            .cloned()
            .unwrap_or_else(|| Text("Go.".to_owned()));
        out.push(Phase { word, secs: x });
    }
    out
}

/// A moving rep's tempo and pace; for other kinds, their fields reported as unused.
fn moving(c: &mut Checker, e: &RawExercise, kind: Kind) -> (Vec<Phase>, Pace) {
    let moving = if kind == Kind::Reps {
        let tempo = tempo(c, e);
        let pace = e
            .pace
            .as_ref()
            .and_then(|p| {
                c.word("pace", p, &Pace::NAMES, |s| match s {
                    "count" => Some(Pace::Count),
                    "beat" => Some(Pace::Beat),
                    _ => None,
                })
            })
            .unwrap_or(Pace::Count);
        (tempo, pace)
    } else {
        c.not_for(
            "tempo",
            e.tempo.as_ref(),
            kind,
            "a tempo paces moving reps: write kind = \"reps\"",
        );
        c.not_for(
            "tempo_words",
            e.tempo_words.as_ref(),
            kind,
            "tempo words belong to kind = \"reps\"",
        );
        c.not_for(
            "pace",
            e.pace.as_ref(),
            kind,
            "pace belongs to kind = \"reps\"",
        );
        (Vec::new(), Pace::Count)
    };
    if kind != Kind::Reps {
        c.not_for(
            "beat_sound",
            e.beat_sound.as_ref(),
            kind,
            "beat_sound belongs to kind = \"reps\" with pace = \"beat\"",
        );
    }
    moving
}
