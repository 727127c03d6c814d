//! Property tests over random valid routines of every kind, planned with the stand-in voice:
//! cues sorted, no speech overlap, windows never overlap, holds and timed blocks exact and
//! bracketed, tempo phases exact, sides equal, ranges respected, no silence above 30 s unless the
//! routine asks for quiet, and the session is the sum of its steps.

use hipvoice::plan::{self, CueKind, PlanOptions, Timeline, check};
use hipvoice::render::SoundBank;
use hipvoice::routine::{self, Origin, Side};
use hipvoice::voice::{PhraseCache, StandIn};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Ex {
    kind: &'static str,
    sides: &'static str,
    /// Reps (min, max); max == min writes a plain number.
    reps: (u32, u32),
    sets: u32,
    hold_tenths: u32,
    tempo_tenths: u32,
    /// Tempo phases of a moving rep, tenths of a second.
    phases: Vec<u32>,
    beat: bool,
    duration_secs: u32,
    rest_reps: u32,
    rest_sides: u32,
    rest_sets: u32,
    rest_after: u32,
    countdown: u32,
    cue_words: usize,
    short_cue: bool,
    technique: bool,
    release: bool,
    setup: bool,
}

fn ex() -> impl Strategy<Value = Ex> {
    (
        (
            prop::sample::select(vec!["hold", "hold", "reps", "timed"]),
            prop::sample::select(vec![
                "none",
                "left-then-right",
                "right-then-left",
                "alternating",
                "both",
                "both-affected",
            ]),
            (1u32..6, 0u32..3),
            1u32..3,
            5u32..700,
            0u32..40,
        ),
        (
            prop::collection::vec(5u32..45, 1..5),
            any::<bool>(),
            5u32..200,
            (0u32..12, 0u32..12, 0u32..40, 0u32..50),
            0u32..6,
            1usize..12,
        ),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(
                (kind, sides, (reps, extra), sets, hold, tempo),
                (phases, beat, duration, (rr, rs, rsets, rafter), countdown, words),
                (short_cue, technique, release, setup),
            )| Ex {
                kind,
                sides,
                reps: (reps, reps + extra),
                sets,
                hold_tenths: hold,
                tempo_tenths: tempo,
                phases,
                beat,
                duration_secs: duration,
                rest_reps: rr,
                rest_sides: rs,
                rest_sets: rsets,
                rest_after: rafter,
                countdown,
                cue_words: words,
                short_cue,
                technique,
                release,
                setup,
            },
        )
}

fn secs(tenths: u32) -> f64 {
    f64::from(tenths) / 10.0
}

fn toml_of(exercises: &[Ex], lead_in: u32, circuit: Option<u32>, quiet: bool) -> String {
    let mut s = format!(
        "id = \"prop\"\ntitle = \"Property routine\"\nlead_in_secs = {lead_in}\nquiet = {quiet}\n"
    );
    for (i, e) in exercises.iter().enumerate() {
        let has_sides = e.sides != "none";
        let side = if has_sides { "{side} " } else { "" };
        let words = vec!["move"; e.cue_words].join(" ");
        s += &format!(
            "\n[[exercise]]\nid = \"ex-{i}\"\nname = \"Exercise {i}\"\nkind = \"{}\"\ncue = \"Lift your {side}leg and {words}.\"\nrest_between_reps_secs = {}\nrest_between_sides_secs = {}\nrest_between_sets_secs = {}\nrest_after_secs = {}\ncountdown = {}\n",
            e.kind, e.rest_reps, e.rest_sides, e.rest_sets, e.rest_after, e.countdown
        );
        match e.sides {
            "both-affected" => s += "sides = \"both\"\nfirst_side = \"affected\"\n",
            other => s += &format!("sides = \"{other}\"\n"),
        }
        if circuit.is_none() {
            s += &format!("sets = {}\n", e.sets);
        }
        match e.kind {
            "hold" => {
                s += &format!(
                    "hold_secs = {}\ntempo_secs = {}\n",
                    secs(e.hold_tenths),
                    secs(e.tempo_tenths)
                )
            }
            "reps" => {
                let t: Vec<String> = e.phases.iter().map(|p| secs(*p).to_string()).collect();
                s += &format!("tempo = [{}]\n", t.join(", "));
                if e.beat {
                    s += "pace = \"beat\"\n";
                }
            }
            _ => s += &format!("duration_secs = {}\n", e.duration_secs),
        }
        if e.kind != "timed" {
            s += &if e.reps.0 == e.reps.1 {
                format!("reps = {}\n", e.reps.0)
            } else {
                format!("reps = \"{}-{}\"\n", e.reps.0, e.reps.1)
            };
            if e.short_cue {
                s += if has_sides {
                    "short_cue = \"{Side}.\"\n"
                } else {
                    "short_cue = \"Go.\"\n"
                };
            }
        }
        if e.technique {
            s += "technique = [\"Breathe.\", \"Keep your back flat and your shoulders down.\"]\n";
        }
        if e.release {
            let other = if has_sides { "{other_side} " } else { "" };
            s += &format!("release = [\"Let go.\", \"Relax your {other}hip.\"]\n");
        }
        if e.setup {
            s += "setup = \"Lie down.\"\nsetup_secs = 2.5\n";
        }
    }
    if let Some(rounds) = circuit {
        let ids: Vec<String> = (0..exercises.len())
            .map(|i| format!("\"ex-{i}\""))
            .collect();
        s += &format!(
            "\n[[circuit]]\nname = \"Legs\"\nexercises = [{}]\nrounds = {rounds}\nrest_between_rounds_secs = 20\n",
            ids.join(", ")
        );
    }
    s
}

fn plan_of(
    text: &str,
    options: PlanOptions,
) -> Result<(routine::Routine, Timeline), TestCaseError> {
    let r = routine::parse("prop.toml", text, Origin::Builtin)
        .map_err(|d| TestCaseError::fail(format!("{d}\n{text}")))?;
    let bank = SoundBank::builtin(options.sample_rate).unwrap();
    let mut cache = PhraseCache::new(Box::new(StandIn::new(options.sample_rate)));
    let t = plan::plan(&r, &mut cache, &|s| bank.frames(s), &options)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    Ok((r, t))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_routines_make_sound_timelines(
        exercises in prop::collection::vec(ex(), 1..4),
        lead_in in 0u32..15,
        rounds in prop::option::of(1u32..4),
        quiet in any::<bool>(),
        affected_left in any::<bool>(),
    ) {
        // A circuit needs two exercises.
        let circuit = rounds.filter(|_| exercises.len() >= 2);
        let text = toml_of(&exercises, lead_in, circuit, quiet);
        let rate = 22050;
        let affected = if affected_left { Side::Left } else { Side::Right };
        let options = PlanOptions { affected_side: Some(affected), ..PlanOptions::new(rate) };
        let (_, intro) = plan_of(&text, PlanOptions { intro_only: true, ..options.clone() })?;
        let (r, t) = plan_of(&text, options)?;

        // Playback starts on the opening alone: it must be exactly the whole plan's beginning.
        let head: Vec<_> = t.cues.iter().filter(|c| c.start < intro.frames).cloned().collect();
        prop_assert_eq!(&intro.cues, &head);
        prop_assert!(intro.cues.iter().all(|c| c.end <= intro.frames));

        let v = check::violations(&t);
        prop_assert!(v.is_empty(), "{:#?}\n{}", v, text);

        let times = circuit.unwrap_or(1);
        for (i, e) in exercises.iter().enumerate() {
            let id = format!("ex-{i}");
            let mine = |k: CueKind| -> Vec<&plan::Cue> {
                t.of_kind(k).filter(|h| h.exercise.as_deref() == Some(id.as_str())).collect()
            };
            let per_side = if e.sides == "none" { 1 } else { 2 };
            let sets = if circuit.is_some() { 1 } else { e.sets };
            // A range plays its minimum.
            let reps = if e.kind == "timed" { 1 } else { e.reps.0 };
            let work = times * sets * per_side * reps;
            match e.kind {
                "hold" => {
                    let holds = mine(CueKind::Hold);
                    prop_assert_eq!(holds.len() as u32, work);
                    let want = plan::frames(secs(e.hold_tenths), rate);
                    prop_assert!(holds.iter().all(|h| h.len() == want));
                }
                "timed" => {
                    let blocks = mine(CueKind::Timed);
                    prop_assert_eq!(blocks.len() as u32, work);
                    let want = u64::from(e.duration_secs) * u64::from(rate);
                    prop_assert!(blocks.iter().all(|b| b.len() == want));
                }
                _ => {
                    // Every rep is its phases, back to back, each exactly its tempo.
                    let phases = mine(CueKind::Phase);
                    prop_assert_eq!(phases.len() as u32, work * e.phases.len() as u32);
                    for rep in phases.chunks(e.phases.len()) {
                        for (k, p) in rep.iter().enumerate() {
                            prop_assert_eq!(p.len(), plan::frames(secs(e.phases[k]), rate), "{}", text);
                            if k > 0 {
                                prop_assert_eq!(p.start, rep[k - 1].end, "phases follow each other");
                            }
                        }
                    }
                }
            }
            // The dose in the plan is the range's start, within the range.
            let d = t.doses.iter().find(|d| d.exercise == id).unwrap();
            if let Some(rd) = d.reps {
                prop_assert_eq!((rd.value, rd.min, rd.max), (e.reps.0, e.reps.0, e.reps.1));
            }
            // With the affected side first, the first worked side is the person's.
            if e.sides == "both-affected" {
                let first = t.cues.iter().find(|c| c.exercise.as_deref() == Some(id.as_str()) && c.side.is_some()).unwrap();
                prop_assert_eq!(Side::from(first.side.unwrap()), affected);
            }
        }

        // Every tempo phase opens with its word, or with a beat where the word cannot fit.
        for p in t.of_kind(CueKind::Phase) {
            let opened = t.cues.iter().any(|c| {
                c.start == p.start
                    && (c.kind == CueKind::Sound
                        || (c.kind == CueKind::Speech && c.text == p.text))
            });
            prop_assert!(opened, "phase {:?} at {} opens silently\n{}", p.text, p.start, text);
        }

        // Moving reps keep an even rhythm: within a side's block, every rep after the first
        // starts the same time after the one before (the rep number takes a fixed slot).
        for (i, e) in exercises.iter().enumerate() {
            if e.kind != "reps" || e.sides == "alternating" || e.rest_reps >= 10 || e.reps.0 < 4 {
                continue;
            }
            let id = format!("ex-{i}");
            let firsts: Vec<&plan::Cue> = t
                .of_kind(CueKind::Phase)
                .filter(|p| p.exercise.as_deref() == Some(id.as_str()))
                .step_by(e.phases.len())
                .collect();
            for block in firsts.chunk_by(|a, b| (a.round, a.set, a.side) == (b.round, b.set, b.side)) {
                let gaps: Vec<u64> = block[1..].windows(2).map(|w| w[1].start - w[0].start).collect();
                prop_assert!(gaps.windows(2).all(|g| g[0] == g[1]), "uneven reps {:?}\n{}", gaps, text);
            }
        }

        // The whole is at least its parts: every window of the person's time is inside the
        // session and no two overlap (checked above), so their lengths cannot add up to more.
        let windows: u64 = t.cues.iter().filter(|c| c.kind.is_window()).map(|c| c.len()).sum();
        let expected_work: u64 = exercises.iter().map(|e| {
            let per_side = if e.sides == "none" { 1 } else { 2 };
            let sets = if circuit.is_some() { 1 } else { e.sets };
            let n = u64::from(times * sets * per_side);
            match e.kind {
                "hold" => n * u64::from(e.reps.0) * plan::frames(secs(e.hold_tenths), rate),
                "timed" => n * u64::from(e.duration_secs) * u64::from(rate),
                _ => n * u64::from(e.reps.0) * e.phases.iter().map(|p| plan::frames(secs(*p), rate)).sum::<u64>(),
            }
        }).sum();
        prop_assert!(windows >= expected_work);
        prop_assert!(t.frames > expected_work + u64::from(lead_in) * u64::from(rate));

        // Nothing is silent for more than 30 s unless the routine asks for quiet.
        if !quiet {
            let (longest, at) = check::longest_silence(&t);
            prop_assert!(longest <= 30 * u64::from(rate), "{} s of silence at frame {}\n{}", longest / u64::from(rate), at, text);
        }
        prop_assert_eq!(r.exercises.len(), exercises.len());
    }
}
