//! Property tests over random valid routines, planned with the stand-in voice: cues sorted, no
//! speech overlap, holds exact and bracketed, sides equal, and the session is the sum of its steps.

use hipvoice::plan::{self, CueKind, PlanOptions, check};
use hipvoice::render::SoundBank;
use hipvoice::routine::{self, Origin};
use hipvoice::voice::{PhraseCache, StandIn};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Ex {
    sides: &'static str,
    reps: u32,
    sets: u32,
    hold_tenths: u32,
    tempo_tenths: u32,
    rest_reps: u32,
    rest_sides: u32,
    rest_sets: u32,
    countdown: u32,
    cue_words: usize,
    release: bool,
    setup: bool,
}

fn ex() -> impl Strategy<Value = Ex> {
    (
        prop::sample::select(vec![
            "none",
            "left-then-right",
            "right-then-left",
            "alternating",
        ]),
        1u32..6,
        1u32..3,
        1u32..400,
        0u32..40,
        (0u32..12, 0u32..12, 0u32..40),
        0u32..6,
        1usize..12,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                sides,
                reps,
                sets,
                hold,
                tempo,
                (rr, rs, rsets),
                countdown,
                words,
                release,
                setup,
            )| Ex {
                sides,
                reps,
                sets,
                hold_tenths: hold,
                tempo_tenths: tempo,
                rest_reps: rr,
                rest_sides: rs,
                rest_sets: rsets,
                countdown,
                cue_words: words,
                release,
                setup,
            },
        )
}

fn toml_of(exercises: &[Ex], lead_in: u32) -> String {
    let mut s = format!("id = \"prop\"\ntitle = \"Property routine\"\nlead_in_secs = {lead_in}\n");
    for (i, e) in exercises.iter().enumerate() {
        let side = if e.sides == "none" { "" } else { "{side} " };
        let words = vec!["move"; e.cue_words].join(" ");
        s += &format!(
            "\n[[exercise]]\nid = \"ex-{i}\"\nname = \"Exercise {i}\"\ncue = \"Lift your {side}leg and {words}.\"\nsides = \"{}\"\nreps = {}\nsets = {}\nhold_secs = {}\ntempo_secs = {}\nrest_between_reps_secs = {}\nrest_between_sides_secs = {}\nrest_between_sets_secs = {}\ncountdown = {}\n",
            e.sides,
            e.reps,
            e.sets,
            f64::from(e.hold_tenths) / 10.0,
            f64::from(e.tempo_tenths) / 10.0,
            e.rest_reps,
            e.rest_sides,
            e.rest_sets,
            e.countdown
        );
        if e.release {
            s += "release = [\"Let go.\", \"Relax your {other_side} hip.\"]\n"
                .replace(
                    "{other_side} ",
                    if e.sides == "none" {
                        ""
                    } else {
                        "{other_side} "
                    },
                )
                .as_str();
        }
        if e.setup {
            s += "setup = \"Lie down.\"\nsetup_secs = 2.5\n";
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_routines_make_sound_timelines(exercises in prop::collection::vec(ex(), 1..4), lead_in in 0u32..15) {
        let text = toml_of(&exercises, lead_in);
        let r = routine::parse("prop.toml", &text, Origin::Builtin).map_err(|d| TestCaseError::fail(d.to_string()))?;
        let rate = 22050;
        let bank = SoundBank::builtin(rate).unwrap();
        let mut cache = PhraseCache::new(Box::new(StandIn::new(rate)));
        let intro = plan::plan(&r, &mut cache, &|s| bank.frames(s), &PlanOptions { intro_only: true, ..PlanOptions::new(rate) }).unwrap();
        let t = plan::plan(&r, &mut cache, &|s| bank.frames(s), &PlanOptions::new(rate)).unwrap();

        // Playback starts on the opening alone: it must be exactly the whole plan's beginning.
        let head: Vec<_> = t.cues.iter().filter(|c| c.start < intro.frames).cloned().collect();
        prop_assert_eq!(&intro.cues, &head);
        prop_assert!(intro.cues.iter().all(|c| c.end <= intro.frames));

        let v = check::violations(&t);
        prop_assert!(v.is_empty(), "{:#?}\n{}", v, text);

        // Holds exact, and as many as the routine asks for.
        for (i, e) in exercises.iter().enumerate() {
            let id = format!("ex-{i}");
            let holds: Vec<_> = t.of_kind(CueKind::Hold).filter(|h| h.exercise.as_deref() == Some(id.as_str())).collect();
            let per_side = if e.sides == "none" { 1 } else { 2 };
            prop_assert_eq!(holds.len() as u32, e.reps * e.sets * per_side);
            let want = plan::frames(f64::from(e.hold_tenths) / 10.0, rate);
            prop_assert!(holds.iter().all(|h| h.len() == want));
        }

        // The total is the sum of the parts: steps tile the session (checked above), and the
        // exercise spans plus what lies between them add up to the whole.
        let steps: u64 = t.of_kind(CueKind::Step).map(|s| s.len()).sum();
        prop_assert_eq!(steps, t.frames);
        let spans: Vec<_> = t.of_kind(CueKind::Exercise).collect();
        prop_assert_eq!(spans.len(), exercises.len());
        let between: u64 = spans.windows(2).map(|w| w[1].start - w[0].end).sum();
        let inside: u64 = spans.iter().map(|s| s.len()).sum();
        prop_assert_eq!(spans[0].start + inside + between + (t.frames - spans.last().unwrap().end), t.frames);

        // For sides worked one after the other, each side's block lasts exactly as long.
        for (i, e) in exercises.iter().enumerate() {
            if e.sides == "left-then-right" || e.sides == "right-then-left" {
                let id = format!("ex-{i}");
                let block = |side: &str| -> u64 {
                    t.of_kind(CueKind::Step)
                        .filter(|s| s.exercise.as_deref() == Some(id.as_str()) && s.side.as_ref().is_some_and(|x| x.as_str() == side))
                        .map(|s| s.len())
                        .sum()
                };
                prop_assert_eq!(block("left"), block("right"));
            }
        }
    }
}
