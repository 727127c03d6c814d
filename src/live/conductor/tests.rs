//! Every command at every kind of cue, with frames moved by hand and no audio.
use super::*;
use crate::live::deck::{HEARD_FRAMES, heard_after};
use crate::plan::{self, PlanOptions};
use crate::render::SoundBank;
use crate::routine::{self, Origin};
use crate::voice::{PhraseCache, StandIn};
use std::collections::HashSet;

const RATE: u32 = 22050;
/// Frames of a line longer than 0.2 s that make it heard, and printed.
const HEARD: u64 = HEARD_FRAMES as u64;
const ROUTINE: &str = r#"
    id = "t"
    title = "Test"
    lead_in_secs = 3
    [[exercise]]
    id = "lifts"
    name = "Lifts"
    setup = "Lie on your back."
    cue = "Lift your {side} leg."
    release = "Down."
    sides = "left-then-right"
    reps = 2
    hold_secs = 8
    tempo_secs = 1
    rest_between_reps_secs = 6
    countdown = 3
    [[exercise]]
    id = "bridge"
    name = "Bridge"
    cue = "Lift your hips."
    release = "Down."
    reps = 2
    sets = 2
    hold_secs = 3
    rest_between_sets_secs = 5
    [[exercise]]
    id = "squeeze"
    name = "Squeeze"
    cue = "Squeeze."
    reps = 1
    hold_secs = 2
"#;

fn timeline(text: &str, after_speech_secs: f64) -> Arc<Timeline> {
    let r = routine::parse("t.toml", text, Origin::Builtin).unwrap();
    let bank = SoundBank::builtin(RATE).unwrap();
    let mut voice = PhraseCache::new(Box::new(StandIn::new(RATE)));
    let mut o = PlanOptions::new(RATE);
    o.pacing.after_speech_secs = after_speech_secs;
    Arc::new(plan::plan(&r, &mut voice, &|s| bank.frames(s), &o).unwrap())
}

/// A conductor playing the whole test session, and the time it thinks it is.
struct T {
    c: Conductor,
    now: Duration,
    done: u32,
}

impl T {
    fn new() -> T {
        static PLAN: std::sync::OnceLock<Arc<Timeline>> = std::sync::OnceLock::new();
        T::over(PLAN.get_or_init(|| timeline(ROUTINE, 0.4)).clone())
    }

    /// A conductor waiting for its first plan.
    fn starting() -> T {
        T {
            c: Conductor::new(&crate::phrases::EN, Volume::percent(80), 160),
            now: Duration::ZERO,
            done: 0,
        }
    }

    /// A conductor playing `timeline` from its start.
    fn over(timeline: Arc<Timeline>) -> T {
        let mut s = T::starting();
        let acts = s.ready(1, timeline, 160);
        assert!(acts.contains(&Action::Load {
            generation: 1,
            complete: true
        }));
        assert!(acts.contains(&Action::Status(Playback::Playing, "t".into())));
        s
    }

    /// The conductor is handed the plan of `generation`, made at `rate_wpm`.
    fn ready(&mut self, generation: u16, timeline: Arc<Timeline>, rate_wpm: u32) -> Vec<Action> {
        self.c.handle(
            self.now,
            Event::Ready {
                generation,
                timeline,
                complete: true,
                rate_wpm,
            },
        )
    }

    fn t(&self) -> Arc<Timeline> {
        self.c.ix.t.clone()
    }

    /// The deck reports `frame`; every overlay sent so far has ended if `overlays_over`.
    fn tick_with(&mut self, frame: u64, overlays_over: bool, finished: bool) -> Vec<Action> {
        if overlays_over {
            self.done = self.c.overlays_sent;
        }
        self.c.handle(
            self.now,
            Event::Tick {
                frame,
                mark: self.c.mark,
                overlays_done: self.done,
                finished,
            },
        )
    }

    fn tick(&mut self, frame: u64) -> Vec<Action> {
        self.tick_with(frame, true, false)
    }

    fn cmd(&mut self, c: Command) -> Vec<Action> {
        self.c.handle(self.now, Event::Command(c))
    }

    fn cue(&self, kind: CueKind, n: usize) -> Cue {
        self.t().of_kind(kind).nth(n).unwrap().clone()
    }

    /// The first planned line that says `text`.
    fn line(&self, text: &str) -> Cue {
        let t = self.t();
        let found = t
            .of_kind(CueKind::Speech)
            .find(|c| c.text.as_deref() == Some(text));
        found.unwrap_or_else(|| panic!("no line {text:?}")).clone()
    }

    fn step(&self, id: &str) -> Cue {
        let t = self.t();
        let found = t.cues.iter().find(|c| {
            c.kind == CueKind::Step
                && c.step.as_ref().map(ToString::to_string).as_deref() == Some(id)
        });
        found.unwrap_or_else(|| panic!("no step {id}")).clone()
    }
}

fn seeks(a: &[Action]) -> Vec<u64> {
    a.iter()
        .filter_map(|x| match x {
            Action::Seek(f) => Some(*f),
            _ => None,
        })
        .collect()
}

fn gates(a: &[Action]) -> Vec<Option<u64>> {
    a.iter()
        .filter_map(|x| match x {
            Action::Gate(g) => Some(*g),
            _ => None,
        })
        .collect()
}

fn said(a: &[Action]) -> Vec<String> {
    a.iter()
        .filter_map(|x| match x {
            Action::Say(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn printed(a: &[Action]) -> Vec<String> {
    a.iter()
        .filter_map(|x| match x {
            Action::Print { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn lines_between(t: &Timeline, from: u64, to: u64) -> Vec<String> {
    t.of_kind(CueKind::Speech)
        .filter(|c| c.start >= from && c.start < to)
        .map(|c| c.text.clone().unwrap())
        .collect()
}

#[test]
fn the_transcript_prints_each_line_once_as_it_is_reached() {
    let mut s = T::new();
    let t = s.t();
    let mut all = Vec::new();
    let mut f = 0;
    while f <= t.frames {
        all.extend(printed(&s.tick(f)));
        f += 1000;
    }
    all.extend(printed(&s.tick(t.frames)));
    assert_eq!(all, lines_between(&t, 0, t.frames + 1));
}

#[test]
fn entering_an_exercise_saves_it_and_names_it_for_media_clients() {
    let mut s = T::new();
    let setup = s.step("lifts/setup");
    let a = s.tick(setup.start + 1);
    assert!(a.contains(&Action::Save {
        exercise: "lifts".into(),
        name: "Lifts".into()
    }));
    assert!(a.contains(&Action::Status(Playback::Playing, "Lifts".into())));
    let rep = s.step("lifts/set-1/right/rep-1");
    let a = s.tick(rep.start + 1);
    assert!(a.contains(&Action::Status(
        Playback::Playing,
        "Lifts, right leg".into()
    )));
    assert!(!a.iter().any(|x| matches!(x, Action::Save { .. })));
}

#[test]
fn pause_inside_a_countdown_restarts_the_rep_from_its_cue() {
    let mut s = T::new();
    let hold = s.cue(CueKind::Hold, 1);
    // A count-down number of that hold.
    let three = s
        .t()
        .of_kind(CueKind::Speech)
        .find(|c| c.start > hold.start && c.end < hold.end && c.text.as_deref() == Some("Three."))
        .unwrap()
        .clone();
    s.tick(three.start + 10);
    let a = s.cmd(Command::PlayPause);
    assert!(a.contains(&Action::Pause(true)));
    assert_eq!(said(&a), ["Paused."]);
    assert!(gates(&a).is_empty(), "paused: nothing to hold back");
    assert!(a.contains(&Action::Status(Playback::Paused, "Lifts, left leg".into())));
    assert!(s.c.is_paused());
    s.now += Duration::from_secs(30);
    let a = s.cmd(Command::PlayPause);
    let rep = s.step("lifts/set-1/left/rep-2");
    assert!(rep.start < hold.start && hold.start < rep.end);
    assert_eq!(seeks(&a), [rep.start], "back to the rep's first line");
    assert!(a.contains(&Action::Pause(false)));
    assert_eq!(said(&a), ["Going on."]);
    // The answer plays before the rep's first line: the cursor waits there.
    assert_eq!(gates(&a), [Some(rep.start)]);
    // The rep's lines are printed again as they are said again.
    let a = s.tick_with(rep.start, false, false);
    assert!(
        printed(&a).is_empty() && gates(&a).is_empty(),
        "held: {a:?}"
    );
    let a = s.tick(rep.start);
    assert_eq!(gates(&a), [None], "the answer ended: the gate opens");
    let p = printed(&s.tick(hold.start));
    assert_eq!(p, lines_between(&s.t(), rep.start, hold.start));
}

#[test]
fn pause_inside_a_line_says_the_line_again_and_in_silence_goes_on_where_it_was() {
    let mut s = T::new();
    let line = s.line("Lie on your back.");
    s.tick(line.start + 100);
    s.cmd(Command::Pause);
    let a = s.cmd(Command::Play);
    assert_eq!(seeks(&a), [line.start]);
    // In a rest: no seek, the rest goes on (it is not a hold).
    let rest = s.cue(CueKind::Rest, 0);
    let quiet = rest.start + (rest.end - rest.start) / 2;
    assert!(s.c.ix.audible_at(quiet).is_none());
    s.tick(quiet);
    s.cmd(Command::PlayPause);
    let a = s.cmd(Command::PlayPause);
    assert!(seeks(&a).is_empty());
    assert!(a.contains(&Action::Pause(false)));
}

#[test]
fn a_long_pause_is_reminded() {
    let mut s = T::new();
    s.tick(1000);
    s.cmd(Command::PlayPause);
    s.now += PAUSE_REMINDER - Duration::from_secs(1);
    assert!(said(&s.tick(1000)).is_empty());
    s.now += Duration::from_secs(2);
    assert_eq!(said(&s.tick(1000)), ["Still paused. Press space to go on."]);
    assert!(said(&s.tick(1000)).is_empty(), "once per interval");
}

fn reached(a: &[Action]) -> Vec<(String, bool)> {
    a.iter()
        .filter_map(|x| match x {
            Action::Reached { step, played } => Some((step.to_string(), *played)),
            _ => None,
        })
        .collect()
}

/// The history hears of every step once, in playing order, as played into; a move (next)
/// is told as not played, so the rep before it is not counted as done.
#[test]
fn each_step_is_told_once_as_played_and_a_move_as_not_played() {
    let mut s = T::new();
    let t = s.t();
    let steps: Vec<String> = t
        .cues
        .iter()
        .filter(|c| c.kind == CueKind::Step)
        .map(|c| c.step.as_ref().unwrap().to_string())
        .collect();
    let mut told = Vec::new();
    let mut f = 0;
    while f <= t.frames {
        told.extend(reached(&s.tick(f)));
        f += 500;
    }
    told.extend(reached(&s.tick(t.frames)));
    let ids: Vec<&str> = told.iter().map(|(id, _)| id.as_str()).collect();
    let want: Vec<&str> = steps.iter().map(String::as_str).collect();
    assert_eq!(ids, want);
    assert!(told.iter().all(|(_, played)| *played));

    let mut s = T::new();
    let rep = s.step("lifts/set-1/left/rep-1");
    s.tick(rep.start + 10);
    let a = s.cmd(Command::Next);
    assert_eq!(reached(&a), [("bridge/setup".to_owned(), false)]);
    // Next goes to the next exercise; ticks in the step it moved to tell nothing more.
    assert!(reached(&s.tick(seeks(&a)[0] + 10)).is_empty());
}

#[test]
fn next_goes_to_each_exercise_then_the_end_and_never_dumps_skipped_lines() {
    let mut s = T::new();
    let (lifts, bridge, squeeze, end) = (
        s.step("lifts/setup").start,
        s.step("bridge/setup").start,
        s.step("squeeze/setup").start,
        s.step("end").start,
    );
    s.tick(100);
    let a = s.cmd(Command::Next);
    assert_eq!(seeks(&a), [lifts]);
    assert_eq!(said(&a), ["Next."]);
    // Only from where it went: the opening's lines after the key are never printed.
    let p = printed(&s.tick(lifts + HEARD));
    assert_eq!(p, ["Exercise 1 of 3: Lifts."]);
    s.tick(lifts + 50_000);
    assert_eq!(seeks(&s.cmd(Command::Next)), [bridge]);
    let p = printed(&s.tick(bridge + 80_000));
    // Printed: the lines heard by then (0.2 s of each played).
    let heard: Vec<String> = s
        .t()
        .of_kind(CueKind::Speech)
        .filter(|c| c.start >= bridge && c.start + heard_after(c.end - c.start) <= bridge + 80_000)
        .map(|c| c.text.clone().unwrap())
        .collect();
    assert!(heard.len() < lines_between(&s.t(), bridge, bridge + 80_000).len());
    assert_eq!(p, heard);
    assert_eq!(p[0], "Exercise 2 of 3: Bridge.");
    assert_eq!(seeks(&s.cmd(Command::Next)), [squeeze]);
    s.tick(squeeze + 10);
    assert_eq!(seeks(&s.cmd(Command::Next)), [end]);
    s.tick(end + 10);
    let a = s.cmd(Command::Next);
    assert!(
        seeks(&a).iter().all(|&f| f <= end + 10),
        "never forward: {a:?}"
    );
    assert!(a.contains(&Action::Sound(SOFT)));
}

#[test]
fn back_goes_to_this_exercise_then_quickly_again_to_the_one_before() {
    let mut s = T::new();
    let (lifts, bridge) = (s.step("lifts/setup").start, s.step("bridge/setup").start);
    let deep = s.step("bridge/set-2/rep-1").start + 100;
    s.tick(deep);
    s.now = Duration::from_secs(100);
    let a = s.cmd(Command::Back);
    assert_eq!(seeks(&a), [bridge]);
    assert_eq!(said(&a), ["Back."]);
    let p = printed(&s.tick(bridge + 60_000));
    assert_eq!(p[0], "Exercise 2 of 3: Bridge.", "going back prints again");
    s.now += Duration::from_secs(2);
    assert_eq!(seeks(&s.cmd(Command::Back)), [lifts]);
    s.tick(lifts + 10);
    // Slowly: the start of this exercise again, not the intro.
    s.now += BACK_AGAIN + Duration::from_secs(1);
    assert_eq!(seeks(&s.cmd(Command::Back)), [lifts]);
    // Quickly, at the first exercise: the start of the session.
    s.now += Duration::from_secs(1);
    assert_eq!(seeks(&s.cmd(Command::Back)), [0]);
    // In the opening, back is the start of the session.
    s.tick(500);
    s.now += Duration::from_secs(10);
    assert_eq!(seeks(&s.cmd(Command::Back)), [0]);
}

#[test]
fn an_answer_inside_a_hold_lengthens_it_only_up_to_the_next_sound() {
    let mut s = T::new();
    let hold = s.cue(CueKind::Hold, 0);
    let p = hold.start + (f64::from(RATE) * 2.5) as u64;
    assert!(s.c.ix.audible_at(p).is_none(), "a quiet moment of the hold");
    s.tick(p);
    let a = s.cmd(Command::Where);
    assert!(
        seeks(&a).is_empty(),
        "a hold is never restarted by a question"
    );
    let next = s.c.ix.next_audible_from(p);
    assert!(next > p && next < hold.end + 1);
    assert_eq!(gates(&a), [Some(next)]);
    let text = &said(&a)[0];
    assert_eq!(
        text,
        "Lifts, left leg, rep 1 of 2. Six seconds left. About three minutes to go."
    );
    assert_eq!(
        printed(&a),
        Vec::<String>::new(),
        "the loop prints what is said"
    );
    // A single rep is not counted: no "rep 1 of 1".
    let hold = s
        .t()
        .of_kind(CueKind::Hold)
        .find(|h| h.exercise.as_deref() == Some("squeeze"))
        .unwrap()
        .clone();
    s.tick(hold.start + 100);
    let a = s.cmd(Command::Where);
    assert!(said(&a)[0].starts_with("Squeeze. "), "{:?}", said(&a));
}

#[test]
fn an_answer_never_talks_over_a_planned_line() {
    let mut s = T::new();
    let line = s.line("Lift your left leg.");
    s.tick(line.start + 2000);
    let a = s.cmd(Command::Help);
    assert_eq!(
        seeks(&a),
        [line.start],
        "the line is said again after the answer"
    );
    assert_eq!(gates(&a), [Some(line.start)]);
    assert!(said(&a)[0].starts_with("Space: pause, or go on."));
    // A report from before the seek is stale and prints nothing.
    let old_mark = s.c.mark.wrapping_sub(1);
    let a = s.c.handle(
        s.now,
        Event::Tick {
            frame: line.start + 4000,
            mark: old_mark,
            overlays_done: 0,
            finished: false,
        },
    );
    assert!(printed(&a).is_empty());
    assert_eq!(s.c.position(), line.start);
    let p = printed(&s.tick(line.start + HEARD));
    assert_eq!(p, ["Lift your left leg."]);
}

#[test]
fn repeat_says_the_last_instruction_not_a_count() {
    let mut s = T::new();
    let hold = s.cue(CueKind::Hold, 0);
    // After the count-down's last number, before the release.
    s.tick(hold.end - 10);
    let a = s.cmd(Command::Repeat);
    assert_eq!(said(&a), ["Lift your left leg."]);
    // Inside a count-down number: the movement again, not the number.
    let two = s
        .t()
        .of_kind(CueKind::Speech)
        .find(|c| c.start > hold.start && c.text.as_deref() == Some("Two."))
        .unwrap()
        .clone();
    s.tick(two.start + 100);
    let a = s.cmd(Command::Repeat);
    assert_eq!(said(&a), ["Lift your left leg."]);
    // Inside a line: that line from its start, no second voice.
    let line = s.line("Down.");
    s.tick(line.start + 50);
    let a = s.cmd(Command::Repeat);
    assert_eq!(seeks(&a), [line.start]);
    assert!(said(&a).is_empty());
    // At the very start there is nothing yet.
    let mut fresh = T::new();
    assert_eq!(
        said(&fresh.cmd(Command::Repeat)),
        ["Nothing to repeat yet."]
    );
}

#[test]
fn where_am_i_at_the_start_in_a_rest_between_sets_and_at_the_end() {
    let mut s = T::new();
    s.tick(10);
    let w = said(&s.cmd(Command::Where))[0].clone();
    assert!(w.starts_with("Getting ready. About "), "{w}");
    assert!(w.ends_with(" to go."), "{w}");
    let step = s.step("bridge/set-1/rest");
    let rest = s
        .t()
        .of_kind(CueKind::Rest)
        .find(|c| c.start >= step.start && c.end <= step.end)
        .unwrap()
        .clone();
    s.tick(rest.end - RATE as u64 * 2 - 10);
    let w = said(&s.cmd(Command::Where))[0].clone();
    assert_eq!(
        w,
        "Bridge, set 1 of 2, resting. Two seconds left. Less than a minute to go."
    );
    // Time left is rounded to the nearest second, not up: 4.3 s is four.
    s.tick(rest.end - RATE as u64 * 43 / 10);
    let w = said(&s.cmd(Command::Where))[0].clone();
    assert!(w.contains(" Four seconds left. "), "{w}");
    // The last moments are one second, never zero.
    s.tick(rest.end - RATE as u64 / 5);
    let w = said(&s.cmd(Command::Where))[0].clone();
    assert!(w.contains(" One second left. "), "{w}");
    let rep = s.step("bridge/set-2/rep-2");
    s.tick(rep.start + 10);
    let w = said(&s.cmd(Command::Where))[0].clone();
    assert!(w.starts_with("Bridge, rep 2 of 2, set 2 of 2."), "{w}");
    let end = s.step("end");
    s.tick(end.start + 10);
    assert!(said(&s.cmd(Command::Where))[0].starts_with("Finishing."));
}

#[test]
fn where_am_i_in_the_rest_after_an_exercise_says_it_is_resting() {
    let text = r#"
        id = "t"
        title = "Test"
        [[exercise]]
        id = "lifts"
        name = "Lifts"
        cue = "Lift."
        reps = 1
        hold_secs = 2
        rest_after_secs = 20
        [[exercise]]
        id = "bridge"
        name = "Bridge"
        cue = "Lift your hips."
        reps = 1
        hold_secs = 2
    "#;
    let mut s = T::over(timeline(text, 0.4));
    let step = s.step("lifts/rest-after");
    s.tick(step.start + RATE as u64);
    let w = said(&s.cmd(Command::Where))[0].clone();
    assert!(w.starts_with("Lifts, resting. "), "{w}");
}

#[test]
fn volume_keys_change_the_gain_within_range_and_say_it() {
    let mut s = T::new();
    s.tick(10);
    let a = s.cmd(Command::Louder);
    assert!(a.contains(&Action::Gain(0.9)));
    assert_eq!(said(&a), ["Volume ninety percent."]);
    s.cmd(Command::Louder);
    let a = s.cmd(Command::Louder);
    assert!(a.contains(&Action::Gain(1.0)), "never above 100%");
    for _ in 0..12 {
        s.cmd(Command::Softer);
    }
    let a = s.cmd(Command::Softer);
    assert!(a.contains(&Action::Gain(0.1)), "never silent: {a:?}");
}

/// The step id of the step cue starting at `at` in `t`.
fn step_id_at(t: &Timeline, at: u64) -> String {
    t.cues
        .iter()
        .find(|c| c.kind == CueKind::Step && c.start == at)
        .and_then(|c| c.step.as_ref())
        .map(ToString::to_string)
        .unwrap()
}

/// The start of step `id` in `t`.
fn step_start(t: &Timeline, id: &str) -> u64 {
    t.cues
        .iter()
        .find(|c| c.step.as_ref().map(ToString::to_string).as_deref() == Some(id))
        .unwrap()
        .start
}

#[test]
fn a_new_rate_takes_over_at_the_next_step_never_replaying_the_one_done() {
    let mut s = T::new();
    let rep = s.step("lifts/set-1/right/rep-2");
    let t = s.t();
    let next = t
        .cues
        .iter()
        .find(|c| c.kind == CueKind::Step && c.start > rep.start)
        .unwrap()
        .clone();
    let next_id = next.step.as_ref().unwrap().to_string();
    // Just after the release: the rep is done; a new rate must not make it be done again.
    let release = t
        .cues
        .iter()
        .find(|c| {
            c.kind == CueKind::Sound
                && c.sound.as_deref() == Some("release")
                && c.start > rep.start
                && c.start < next.start
        })
        .unwrap()
        .clone();
    let p = release.end + 100;
    s.tick(p);
    let a = s.cmd(Command::Faster);
    assert!(a.contains(&Action::Replan(180)));
    assert_eq!(said(&a), ["Faster."]);
    // A plan made at the old rate arriving late is ignored.
    let stale = s.ready(2, timeline(ROUTINE, 0.4), 160);
    assert!(stale.is_empty());
    let new = timeline(ROUTINE, 0.2);
    let new_next = step_start(&new, &next_id);
    assert_ne!(new_next, next.start);
    let a = s.ready(3, new.clone(), 180);
    assert!(
        !a.iter().any(|x| matches!(x, Action::Load { .. })),
        "the rep done is not replayed: {a:?}"
    );
    assert!(seeks(&a).is_empty());
    // "Faster." is still playing: the cursor waits for it at the next sound, which is not
    // past the step's end; once it has ended, the gate moves to the step's end.
    let a = s.tick(p + 10);
    assert_eq!(gates(&a), [Some(next.start)]);
    assert_eq!(s.c.timeline().frames, t.frames, "the old plan plays on");
    // At the boundary the new plan takes over, at the same next step.
    let a = s.tick(next.start);
    assert!(a.contains(&Action::Load {
        generation: 3,
        complete: true
    }));
    assert_eq!(seeks(&a), [new_next]);
    assert_eq!(gates(&a), [None]);
    assert_eq!(s.c.timeline().frames, new.frames);
    assert_eq!(step_id_at(&new, new_next), next_id);
    for _ in 0..20 {
        s.cmd(Command::Faster);
    }
    assert_eq!(said(&s.cmd(Command::Faster)), ["This is the fastest."]);
}

#[test]
fn a_new_rate_takes_over_at_once_before_its_step_has_sounded_or_on_a_jump() {
    let mut s = T::new();
    let rep = s.step("lifts/set-1/right/rep-2");
    // At the very start of the step, before its first line: the new rate starts here.
    s.tick(rep.start);
    s.cmd(Command::Slower);
    let new = timeline(ROUTINE, 0.6);
    let a = s.ready(2, new.clone(), 140);
    assert!(a.contains(&Action::Load {
        generation: 2,
        complete: true
    }));
    assert_eq!(seeks(&a), [step_start(&new, "lifts/set-1/right/rep-2")]);
    // Inside a hold a new rate waits, but "next" is a boundary: it takes over there.
    let mut s = T::new();
    let hold = s.cue(CueKind::Hold, 0);
    s.tick(hold.start + 2000);
    s.cmd(Command::Faster);
    let new = timeline(ROUTINE, 0.2);
    let a = s.ready(2, new.clone(), 180);
    assert!(!a.iter().any(|x| matches!(x, Action::Load { .. })));
    let a = s.cmd(Command::Next);
    assert!(a.contains(&Action::Load {
        generation: 2,
        complete: true
    }));
    assert_eq!(seeks(&a), [step_start(&new, "bridge/setup")]);
    assert_eq!(said(&a), ["Next."]);
}

#[test]
fn quit_saves_answers_and_ends_when_the_answer_is_said() {
    let mut s = T::new();
    let p = s.step("bridge/set-1/rep-2").start + 10;
    s.tick(p);
    let a = s.cmd(Command::Quit);
    assert!(
        a.contains(&Action::Pause(true)),
        "the session is silent at once"
    );
    assert!(a.contains(&Action::Save {
        exercise: "bridge".into(),
        name: "Bridge".into()
    }));
    assert!(a.contains(&Action::SayStopping));
    assert!(said(&a).is_empty(), "one answer");
    assert!(a.contains(&Action::Status(Playback::Stopped, "Bridge".into())));
    assert!(
        s.cmd(Command::Next).is_empty(),
        "nothing else once stopping"
    );
    assert!(
        !s.tick_with(p, false, false)
            .iter()
            .any(|x| matches!(x, Action::End(_)))
    );
    let a = s.tick(p);
    let of = s.t().frames;
    assert_eq!(a, [Action::End(Ended::Stopped { at: p, of })]);
    assert!(s.cmd(Command::Play).is_empty(), "ended");
}

#[test]
fn a_signal_ends_at_once_and_saves() {
    let mut s = T::new();
    let p = s.step("lifts/set-1/left/rep-1").start + 10;
    s.tick(p);
    let a = s.cmd(Command::Signal);
    let of = s.t().frames;
    assert!(a.contains(&Action::End(Ended::Interrupted { at: p, of })));
    assert!(a.contains(&Action::Save {
        exercise: "lifts".into(),
        name: "Lifts".into()
    }));
    assert!(said(&a).is_empty());
    let mut s = T::new();
    s.tick(p);
    let a = s.cmd(Command::DeviceGone);
    assert!(a.contains(&Action::End(Ended::DeviceLost { at: p, of })));
    assert!(a.iter().any(|x| matches!(x, Action::Save { .. })));
}

fn ended(a: &[Action]) -> bool {
    a.iter().any(|x| matches!(x, Action::End(_)))
}

/// The output is lost inside a hold: the place is saved at once and the session waits;
/// when a new output plays, the rep starts again from its cue after a word that the sound
/// is back, and the gate holds the rep until that word has been said.
#[test]
fn a_lost_output_waits_and_the_part_starts_again_when_it_returns() {
    let mut s = T::new();
    let rep = s.step("lifts/set-1/left/rep-2");
    let hold = s
        .t()
        .of_kind(CueKind::Hold)
        .find(|h| h.start > rep.start)
        .unwrap()
        .clone();
    let p = hold.start + hold.len() / 2;
    s.tick(p);
    let a = s.cmd(Command::DeviceLost);
    assert!(a.contains(&Action::Save {
        exercise: "lifts".into(),
        name: "Lifts".into()
    }));
    assert!(a.contains(&Action::Pause(true)));
    assert!(!ended(&a) && said(&a).is_empty(), "{a:?}");
    // The dead deck's last report changes nothing; keys get no answer, nobody could hear it.
    assert!(s.tick(p).is_empty());
    for c in [
        Command::Next,
        Command::Where,
        Command::Louder,
        Command::DeviceLost,
    ] {
        assert!(s.cmd(c).is_empty(), "{c:?}");
    }
    let a = s.c.handle(s.now, Event::DeviceBack);
    assert_eq!(seeks(&a), [rep.start], "{a:?}");
    assert!(a.contains(&Action::Pause(false)));
    assert!(a.contains(&Action::Gain(0.8)));
    assert_eq!(said(&a), ["The sound is back. Starting this part again."]);
    assert_eq!(gates(&a), [Some(rep.start)]);
    // The new deck counts overlays from zero: its first answer's end opens the gate.
    s.done = 0;
    let a = s.tick_with(rep.start, false, false);
    assert!(gates(&a).is_empty());
    let a = s.tick_with(rep.start, true, false);
    assert_eq!(gates(&a), [None]);
    assert!(!ended(&s.tick(hold.end)));
}

#[test]
fn a_lost_output_that_never_returns_ends_the_session_with_the_place_saved() {
    let mut s = T::new();
    let p = s.step("lifts/set-1/left/rep-1").start + 10;
    s.tick(p);
    s.cmd(Command::DeviceLost);
    let a = s.cmd(Command::DeviceGone);
    let of = s.t().frames;
    assert!(a.contains(&Action::End(Ended::DeviceLost { at: p, of })));
    assert!(a.iter().any(|x| matches!(x, Action::Save { .. })));
    assert!(s.c.handle(s.now, Event::DeviceBack).is_empty(), "over");
}

#[test]
fn paused_before_or_while_the_output_is_lost_stays_paused_when_it_returns() {
    for pause_first in [true, false] {
        let mut s = T::new();
        let p = s.step("lifts/set-1/left/rep-1").start + 10;
        s.tick(p);
        if pause_first {
            s.cmd(Command::Pause);
            s.tick(p);
        }
        s.cmd(Command::DeviceLost);
        if !pause_first {
            assert!(s.cmd(Command::PlayPause).is_empty());
        }
        let a = s.c.handle(s.now, Event::DeviceBack);
        assert!(a.contains(&Action::Pause(true)), "{a:?}");
        assert!(seeks(&a).iter().all(|&f| f == p), "{a:?}");
        assert_eq!(
            said(&a),
            ["The sound is back. Still paused. Press space to go on."]
        );
        assert!(s.c.is_paused());
        // Going on works as after any pause.
        assert!(s.cmd(Command::PlayPause).contains(&Action::Pause(false)));
    }
    // Without a terminal the hint names the play button, not the space key.
    let mut s = T::new();
    s.c.keys = false;
    let p = s.step("lifts/set-1/left/rep-1").start + 10;
    s.tick(p);
    s.cmd(Command::Pause);
    s.cmd(Command::DeviceLost);
    let a = s.c.handle(s.now, Event::DeviceBack);
    assert_eq!(
        said(&a),
        ["The sound is back. Still paused. Press play to go on."]
    );
}

#[test]
fn stopping_while_the_output_is_lost_ends_at_once() {
    let mut s = T::new();
    let p = s.step("lifts/set-1/left/rep-1").start + 10;
    s.tick(p);
    s.cmd(Command::DeviceLost);
    let a = s.cmd(Command::Quit);
    let of = s.t().frames;
    assert!(
        a.contains(&Action::End(Ended::Stopped { at: p, of })),
        "{a:?}"
    );
    assert!(said(&a).is_empty());
    // Lost while "Stopping" is being said: it can no longer be heard.
    let mut s = T::new();
    s.tick(p);
    s.cmd(Command::Quit);
    let a = s.cmd(Command::DeviceLost);
    assert!(
        a.contains(&Action::End(Ended::Stopped { at: p, of })),
        "{a:?}"
    );
}

#[test]
fn an_output_lost_before_the_opening_was_ready_starts_from_the_top() {
    let mut c = Conductor::new(&crate::phrases::EN, Volume::percent(100), 160);
    c.handle(Duration::ZERO, Event::Command(Command::DeviceLost));
    let a = c.handle(
        Duration::ZERO,
        Event::Ready {
            generation: 1,
            timeline: timeline(ROUTINE, 0.4),
            complete: true,
            rate_wpm: 160,
        },
    );
    assert!(seeks(&a).is_empty(), "{a:?}");
    assert!(
        c.handle(Duration::ZERO, Event::DeviceBack)
            .contains(&Action::Seek(0))
    );
    assert!(!c.is_paused());
}

/// Every command at a frame inside every kind of cue, between exercises, at the very start
/// and at the very end: seeks land on a boundary, a gate never lets an answer overlap a
/// planned sound, only "next" moves forward, and every gate opens again.
#[test]
fn every_command_at_every_kind_of_cue_keeps_the_invariants() {
    let commands = [
        Command::PlayPause,
        Command::Play,
        Command::Pause,
        Command::Next,
        Command::Back,
        Command::Repeat,
        Command::Where,
        Command::Faster,
        Command::Slower,
        Command::Louder,
        Command::Softer,
        Command::Help,
        Command::Quit,
        Command::Signal,
        Command::DeviceLost,
        Command::DeviceGone,
        Command::Unknown,
    ];
    let probe = T::new();
    let t = probe.t();
    let mut frames: Vec<(String, u64)> = Vec::new();
    for kind in [
        CueKind::Speech,
        CueKind::Sound,
        CueKind::Hold,
        CueKind::Rest,
        CueKind::Prepare,
        CueKind::Move,
    ] {
        for c in t.of_kind(kind).filter(|c| c.len() > 4) {
            frames.push((format!("{kind:?} start"), c.start));
            frames.push((format!("{kind:?} middle"), c.start + c.len() / 2));
        }
    }
    let bridge = probe.step("bridge/setup");
    frames.push(("between exercises".into(), bridge.start + 100));
    frames.push(("very start".into(), 0));
    frames.push(("very end".into(), t.frames));
    let boundaries: HashSet<u64> = t
        .cues
        .iter()
        .filter(|c| matches!(c.kind, CueKind::Step | CueKind::Speech | CueKind::Sound))
        .map(|c| c.start)
        .chain([0])
        .collect();
    for (what, p) in &frames {
        for paused in [false, true] {
            for &cmd in &commands {
                let mut s = T::new();
                s.tick(*p);
                if paused {
                    s.cmd(Command::Pause);
                    s.tick(*p);
                }
                let a = s.cmd(cmd);
                let ctx = format!("{cmd:?} at {what} ({p}), paused {paused}: {a:?}");
                for to in seeks(&a) {
                    assert!(boundaries.contains(&to), "seek off a boundary: {ctx}");
                    assert!(to <= *p || cmd == Command::Next, "forward: {ctx}");
                }
                let here = s.c.position();
                for g in gates(&a).into_iter().flatten() {
                    assert!(!paused || cmd == Command::PlayPause || cmd == Command::Play);
                    assert!(g >= here, "gate behind the cursor: {ctx}");
                    assert!(
                        t.cues.iter().all(|c| !(matches!(
                            c.kind,
                            CueKind::Speech | CueKind::Sound
                        ) && ((c.start >= here && c.start < g)
                            || (c.start < here && here < c.end)))),
                        "an answer would overlap a planned cue: {ctx}"
                    );
                }
                if gates(&a).iter().any(Option::is_some) {
                    let after = s.tick(here);
                    assert_eq!(gates(&after), [None], "the gate opens: {ctx}");
                }
            }
        }
    }
}

#[test]
fn the_end_clears_the_saved_place() {
    let mut s = T::new();
    let end = s.t().frames;
    let a = s.tick_with(end, true, true);
    assert!(a.contains(&Action::ClearSaved));
    assert!(a.contains(&Action::End(Ended::Finished)));
    // Stopped in the closing lines: nothing left to resume.
    let mut s = T::new();
    s.tick(s.step("end").start + 10);
    assert!(s.cmd(Command::Quit).contains(&Action::ClearSaved));
}

#[test]
fn before_the_opening_is_ready_keys_get_a_soft_sound() {
    let mut c = Conductor::new(&crate::phrases::EN, Volume::percent(100), 160);
    assert_eq!(
        c.handle(Duration::ZERO, Event::Command(Command::Next)),
        [Action::Sound(SOFT)]
    );
    assert_eq!(
        c.handle(Duration::ZERO, Event::Command(Command::Unknown)),
        [Action::Sound(SOFT)]
    );
    let a = c.handle(Duration::ZERO, Event::Command(Command::Quit));
    assert!(a.contains(&Action::SayStopping));
    assert!(said(&a).is_empty(), "one answer");
}

#[test]
fn the_opening_grows_into_the_whole_session_without_a_seek() {
    let mut c = Conductor::new(&crate::phrases::EN, Volume::percent(100), 160);
    let whole = timeline(ROUTINE, 0.4);
    let r = routine::parse("t.toml", ROUTINE, Origin::Builtin).unwrap();
    let bank = SoundBank::builtin(RATE).unwrap();
    let mut voice = PhraseCache::new(Box::new(StandIn::new(RATE)));
    let mut o = PlanOptions::new(RATE);
    o.intro_only = true;
    let opening = Arc::new(plan::plan(&r, &mut voice, &|s| bank.frames(s), &o).unwrap());
    c.handle(
        Duration::ZERO,
        Event::Ready {
            generation: 1,
            timeline: opening,
            complete: false,
            rate_wpm: 160,
        },
    );
    let a = c.handle(
        Duration::ZERO,
        Event::Ready {
            generation: 2,
            timeline: whole,
            complete: true,
            rate_wpm: 160,
        },
    );
    assert!(seeks(&a).is_empty());
    assert!(a.contains(&Action::Load {
        generation: 2,
        complete: true
    }));
}

#[test]
fn where_am_i_and_the_title_name_a_direction_where_both_legs_move_together() {
    let text = r#"
        id = "t"
        title = "T"
        [[exercise]]
        id = "roll"
        name = "Roll"
        cue = "Let both knees roll to the {side}."
        sides = "left-then-right"
        sides_are = "directions"
        reps = 1
        hold_secs = 8
    "#;
    let mut s = T::over(timeline(text, 0.4));
    let hold = s.cue(CueKind::Hold, 0);
    let p = hold.start + u64::from(RATE);
    s.tick(p);
    let a = s.cmd(Command::Where);
    let answer = &said(&a)[0];
    assert!(answer.starts_with("Roll, to the left."), "{answer}");
    assert!(!answer.contains("leg"), "{answer}");
    let a = s.cmd(Command::Pause);
    assert!(a.contains(&Action::Status(
        Playback::Paused,
        "Roll, to the left".into()
    )));
}

/// The system voice lost: the switch is said once, as an answer (gated like any other), while
/// playing or paused; nothing is said once the session is ending.
#[test]
fn a_lost_system_voice_is_said_as_an_answer() {
    let mut s = T::new();
    s.tick(10);
    let a = s.cmd(Command::VoiceLost);
    assert_eq!(said(&a), ["Switching to the built-in voice."]);
    assert_eq!(gates(&a).len(), 1, "gated like an answer: {a:?}");
    s.tick(20);
    s.cmd(Command::Pause);
    let a = s.cmd(Command::VoiceLost);
    assert_eq!(said(&a), ["Switching to the built-in voice."]);
    s.cmd(Command::Quit);
    assert!(said(&s.cmd(Command::VoiceLost)).is_empty());
}

/// Lost inside a hold, the switch waits for the hold's release sound to end: an answer there
/// would hold the cursor and stretch the hold. It is said once, at the first tick outside.
#[test]
fn a_voice_lost_in_a_hold_is_said_after_the_hold() {
    let mut s = T::new();
    let hold = s.cue(CueKind::Hold, 0);
    s.tick(hold.start + 10);
    let a = s.cmd(Command::VoiceLost);
    assert!(said(&a).is_empty(), "nothing in the hold: {a:?}");
    assert!(gates(&a).is_empty(), "the hold is not held: {a:?}");
    let a = s.tick(hold.end - 1);
    assert!(said(&a).is_empty(), "{a:?}");
    let release = s
        .t()
        .of_kind(CueKind::Sound)
        .find(|c| c.start == hold.end)
        .map_or(hold.end, |c| c.end);
    let a = s.tick(release.max(hold.end + 1));
    assert_eq!(said(&a), ["Switching to the built-in voice."]);
    assert!(said(&s.tick(release + 100)).is_empty(), "said once");
}

/// A place that cannot be saved is said when it first fails (at an exercise's start, outside a
/// hold); one that fails inside a hold waits for its end, and two notices waiting are one
/// answer (one answer would cut the other).
#[test]
fn a_place_that_cannot_be_saved_is_said_and_waits_for_a_hold_with_other_notices() {
    let mut s = T::new();
    s.tick(10);
    let a = s.cmd(Command::PlaceNotSaved);
    assert_eq!(
        said(&a),
        ["Your place cannot be saved. If you stop, you start from the beginning."]
    );
    let hold = s.cue(CueKind::Hold, 0);
    s.tick(hold.start + 10);
    assert!(said(&s.cmd(Command::PlaceNotSaved)).is_empty());
    assert!(said(&s.cmd(Command::VoiceLost)).is_empty());
    let a = s.tick(hold.end + s.t().sample_rate as u64);
    assert_eq!(
        said(&a),
        [
            "Your place cannot be saved. If you stop, you start from the beginning. Switching to the built-in voice."
        ]
    );
}

/// A system voice that could not start is said when the opening is loaded, before its first
/// line (the cursor waits for it at frame 0), never over a silence before the session is ready.
#[test]
fn an_unavailable_system_voice_is_said_before_the_opening() {
    let mut s = T::starting();
    let a = s.cmd(Command::VoiceUnavailable);
    assert!(said(&a).is_empty(), "not before the opening: {a:?}");
    let a = s.ready(1, T::new().t(), 160);
    assert_eq!(
        said(&a),
        ["Your system voice is not available. The built-in voice speaks."]
    );
    // With the load, in the same deck command: the cursor waits at the first frame.
    let load = a.iter().position(|x| matches!(x, Action::Load { .. }));
    let gate = a.iter().position(|x| *x == Action::Gate(Some(0)));
    assert!(load.is_some() && gate > load, "{a:?}");
}

/// A planned line is printed once it is heard (its first 0.2 s played), as an answer is: one
/// cut sooner by a pause or a stop was not heard and is not printed (a screen reader would read
/// it as said); said again after the pause, it is printed then, once.
#[test]
fn a_planned_line_is_printed_when_heard_never_when_cut_before() {
    let heard = HEARD;
    let mut s = T::new();
    let line = s.line("Lift your left leg.");
    assert!(line.end - line.start > heard, "a line longer than 0.2 s");
    s.tick(line.start - 1);
    assert!(
        printed(&s.tick(line.start + 100)).is_empty(),
        "not yet heard"
    );
    s.cmd(Command::Pause);
    // The deck reports the block it had mixed before the pause took hold.
    assert!(printed(&s.tick(line.start + 228)).is_empty());
    let a = s.cmd(Command::Play);
    assert_eq!(seeks(&a), [line.start], "the line is said again");
    s.tick(line.start);
    assert!(printed(&s.tick(line.start + heard - 1)).is_empty());
    assert_eq!(
        printed(&s.tick(line.start + heard)),
        ["Lift your left leg."]
    );
    assert!(printed(&s.tick(line.end)).is_empty(), "once");

    // Stopped 100 frames into a line: "Stopping." is the last thing printed.
    let next = s
        .t()
        .of_kind(CueKind::Speech)
        .find(|c| c.start > line.end)
        .unwrap()
        .clone();
    s.tick(next.start - 1);
    assert!(printed(&s.tick(next.start + 100)).is_empty());
    s.cmd(Command::Quit);
    assert!(printed(&s.tick(next.start + 228)).is_empty());
}

/// `h` says the help (which says how to stop it and that `b` twice goes to the exercise
/// before); `h` again while it is said cuts it with the soft sound; once it has ended, `h`
/// says it again.
#[test]
fn h_again_cuts_the_help_and_after_it_ended_says_it_again() {
    let mut s = T::new();
    let hold = s.cue(CueKind::Hold, 0);
    s.tick(hold.start + 100);
    let a = s.cmd(Command::Help);
    let help = &said(&a)[0];
    assert!(
        help.contains("B twice: the one before.") && help.contains("H again: stop this help."),
        "{help}"
    );
    // Still playing (the deck has not ended it): cut.
    s.tick_with(hold.start + 200, false, false);
    let a = s.cmd(Command::Help);
    assert!(said(&a).is_empty(), "{a:?}");
    assert!(a.contains(&Action::Sound(SOFT)), "{a:?}");
    // Ended: said again.
    s.tick(hold.start + 300);
    assert_eq!(said(&s.cmd(Command::Help)).len(), 1);
    // Another answer after the help: h says the help, it does not cut that answer.
    s.tick_with(hold.start + 400, false, false);
    s.cmd(Command::Where);
    assert_eq!(said(&s.cmd(Command::Help)).len(), 1);
}
