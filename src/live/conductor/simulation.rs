//! The conductor driven against a simulated deck, block by block, with keys pressed at
//! chosen and at random moments: the answers (the overlay lane) and the planned lines and
//! sounds are never heard at once, and every session still reaches its end.
use super::*;
use crate::plan::{self, PlanOptions};
use crate::render::SoundBank;
use crate::routine::{self, Origin};
use crate::voice::{PhraseCache, StandIn};

const RATE: u32 = 22050;
const BLOCK: u64 = 128;
/// The loop's tick, in blocks (20 ms).
const TICK_BLOCKS: u64 = 3;

struct Sim {
    c: Conductor,
    t: Arc<Timeline>,
    pos: u64,
    gate: Option<u64>,
    paused: bool,
    overlay_left: u64,
    done: u32,
    mark: u16,
    bank: SoundBank,
    voice: StandIn,
    now: Duration,
    ended: Option<Ended>,
    /// Frames where an answer and a planned cue were mixed together.
    overlaps: Vec<(u64, String)>,
}

impl Sim {
    fn new(routine: &str) -> Sim {
        let r = routine::parse("t.toml", routine, Origin::Builtin).unwrap();
        let bank = SoundBank::builtin(RATE).unwrap();
        let mut voice = PhraseCache::new(Box::new(StandIn::new(RATE)));
        let t = Arc::new(
            plan::plan(&r, &mut voice, &|s| bank.frames(s), &PlanOptions::new(RATE)).unwrap(),
        );
        let mut sim = Sim {
            c: Conductor::new(&crate::phrases::EN, Volume::percent(100), 160),
            t: t.clone(),
            pos: 0,
            gate: None,
            paused: false,
            overlay_left: 0,
            done: 0,
            mark: 0,
            bank,
            voice: StandIn::new(RATE),
            now: Duration::ZERO,
            ended: None,
            overlaps: Vec::new(),
        };
        let a = sim.c.handle(
            Duration::ZERO,
            Event::Ready {
                generation: 1,
                timeline: t,
                complete: true,
                rate_wpm: 160,
            },
        );
        sim.apply(a);
        sim
    }

    fn apply(&mut self, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Seek(f) => self.pos = f.min(self.t.frames),
                Action::Mark(m) => self.mark = m,
                Action::Gate(g) => self.gate = g,
                Action::Pause(p) => self.paused = p,
                Action::Say(text) => {
                    self.overlay(self.voice.frames_for(&text) + (0.3 * RATE as f64) as u64)
                }
                Action::SayStopping => {
                    let text = crate::phrases::EN.controls.stopping;
                    self.overlay(self.voice.frames_for(text) + (0.3 * RATE as f64) as u64)
                }
                Action::Sound(name) => {
                    self.overlay(self.bank.get(name).map_or(1, |s| s.len() as u64))
                }
                Action::End(e) => self.ended = Some(e),
                // A rate change needs a voice that depends on the rate: not simulated.
                Action::Replan(_) => {}
                _ => {}
            }
        }
    }

    fn overlay(&mut self, len: u64) {
        if self.overlay_left > 0 {
            self.done += 1;
        }
        self.overlay_left = len;
    }

    /// One block of the deck, then (every tick) a position report.
    fn block(&mut self, n: u64) {
        let limit = self.gate.unwrap_or(u64::MAX).min(self.t.frames);
        if !self.paused && self.pos < limit {
            let k = (limit - self.pos).min(BLOCK);
            if self.overlay_left > 0
                && let Some(c) = self.t.cues.iter().find(|c| {
                    matches!(c.kind, CueKind::Speech | CueKind::Sound)
                        && c.start < self.pos + k
                        && self.pos < c.end
                })
            {
                self.overlaps.push((self.pos, format!("{c:?}")));
            }
            self.pos += k;
        }
        if self.overlay_left > 0 {
            self.overlay_left = self.overlay_left.saturating_sub(BLOCK);
            if self.overlay_left == 0 {
                self.done += 1;
            }
        }
        self.now += Duration::from_secs_f64(BLOCK as f64 / f64::from(RATE));
        if n.is_multiple_of(TICK_BLOCKS) {
            let finished = self.pos >= self.t.frames;
            let a = self.c.handle(
                self.now,
                Event::Tick {
                    frame: self.pos,
                    mark: self.mark,
                    overlays_done: self.done,
                    finished,
                },
            );
            self.apply(a);
        }
    }

    fn key(&mut self, c: Command) {
        let a = self.c.handle(self.now, Event::Command(c));
        self.apply(a);
    }

    /// Runs until the session ends (or a limit), pressing `keys` at their block numbers.
    fn run(&mut self, keys: &[(u64, Command)]) {
        let limit = self.t.frames / BLOCK * 4 + 100_000;
        let mut n = 0;
        while self.ended.is_none() && n < limit {
            for &(at, k) in keys.iter().filter(|(at, _)| *at == n) {
                let _ = at;
                self.key(k);
            }
            self.block(n);
            n += 1;
        }
    }
}

const ROUTINE: &str = r#"
    id = "t"
    title = "Test"
    lead_in_secs = 2
    [[exercise]]
    id = "lifts"
    name = "Lifts"
    cue = "Lift your {side} leg."
    release = "Down."
    sides = "left-then-right"
    reps = 2
    hold_secs = 6
    countdown = 3
    [[exercise]]
    id = "bridge"
    name = "Bridge"
    cue = "Lift your hips."
    reps = 2
    hold_secs = 3
    [[exercise]]
    id = "slides"
    name = "Slides"
    kind = "reps"
    cue = "Slide your heel in."
    tempo = [1.5, 1]
    reps = 2
    [[exercise]]
    id = "march"
    name = "March"
    kind = "timed"
    cue = "March."
    duration_secs = 6
"#;

fn blocks(secs: f64) -> u64 {
    (secs * f64::from(RATE) / BLOCK as f64) as u64
}

#[test]
fn with_no_keys_the_session_plays_to_its_end() {
    let mut s = Sim::new(ROUTINE);
    s.run(&[]);
    assert_eq!(s.ended, Some(Ended::Finished));
    assert_eq!(s.pos, s.t.frames);
}

#[test]
fn answers_in_the_closing_lines_never_overlap_them() {
    // The tester's sequence: next to the closing, next again, then "where" twice during
    // the last line, 0.35 s apart.
    let probe = Sim::new(ROUTINE);
    let last = probe.t.of_kind(CueKind::Speech).last().unwrap().clone();
    let end = probe
        .t
        .cues
        .iter()
        .find(|c| c.step.as_ref().map(ToString::to_string).as_deref() == Some("end"))
        .unwrap()
        .start;
    // Without keys the closing's last line starts at a known block.
    let at = |f: u64| f / BLOCK;
    let mut s = Sim::new(ROUTINE);
    s.run(&[
        (at(end) + 20, Command::Next),
        (at(last.start) + blocks(0.22), Command::Where),
        (at(last.start) + blocks(0.57), Command::Where),
    ]);
    assert!(
        s.overlaps.is_empty(),
        "{:?}",
        &s.overlaps[..s.overlaps.len().min(3)]
    );
    assert_eq!(s.ended, Some(Ended::Finished));
}

#[test]
fn random_keys_never_make_two_voices() {
    let commands = [
        Command::PlayPause,
        Command::Next,
        Command::Back,
        Command::Repeat,
        Command::Where,
        Command::Louder,
        Command::Softer,
        Command::Help,
        Command::Unknown,
    ];
    let probe = Sim::new(ROUTINE);
    let total = probe.t.frames / BLOCK;
    // A small deterministic generator: the same cases every run.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for case in 0..60 {
        let mut keys: Vec<(u64, Command)> = (0..(next() % 12 + 1))
            .map(|_| {
                let at = next() % (total + blocks(5.0));
                (at, commands[(next() % commands.len() as u64) as usize])
            })
            .collect();
        keys.sort_by_key(|k| k.0);
        // Every pause is followed by a resume some seconds later, so sessions end.
        let mut all = Vec::new();
        for (at, k) in keys {
            all.push((at, k));
            if k == Command::PlayPause {
                all.push((at + blocks(3.0), Command::PlayPause));
            }
        }
        let mut s = Sim::new(ROUTINE);
        s.run(&all);
        assert!(
            s.overlaps.is_empty(),
            "case {case}, keys {all:?}: {:?}",
            &s.overlaps[..s.overlaps.len().min(3)]
        );
        assert!(s.ended.is_some(), "case {case}, keys {all:?}: never ended");
    }
}
