//! The live session runtime: a session that plays exactly and listens.
//!
//! Three parts, as in game engines and kira:
//! - the [`conductor`]: a pure state machine over the timeline (`handle(event) -> actions`);
//! - the [`deck`]: the audio thread's source, steered without locks;
//! - [`run`]: one loop that turns keys, media buttons, signals, position reports and prepared
//!   plans into events, asks the conductor, and carries out its actions.
//!
//! The loop's jobs each have a room with its own small state: `device` watches the output and
//! opens it again when it is lost; `prepare` makes the plans on their own thread and keeps
//! them by generation; `windows` makes the part of the session the deck holds samples for;
//! `answers` voices the spoken answers; `transcript` prints what is said. What is left here is
//! the turn of the loop and carrying out the conductor's actions.
//!
//! Invariants of a live session (the conductor's and the deck's module docs say how each is
//! kept, and their tests check it):
//! - pacing is frame arithmetic on the audio thread; the loop's wake-ups never move a sound;
//! - two voices never speak at once, and a hold is never shortened;
//! - the audio thread never locks, allocates or frees;
//! - raw mode is restored on every way out; a stopped session's place is saved.

mod answers;
pub mod checkin;
pub mod conductor;
pub mod deck;
mod device;
mod prepare;
mod spoken;
pub mod start_error;
mod transcript;
mod windows;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

pub use crate::session::TranscriptMode;
pub use conductor::{Action, Command, Conductor, Ended, Event, Playback};
pub use deck::{DeckCmd, DeckHandle};
pub use device::REOPEN_FOR;
pub use windows::{WINDOW_AHEAD_RANGE, WINDOW_AHEAD_SECS, window_ahead_secs};

use crate::error::Error;
use crate::output::keys;
use crate::output::media::Media;
use crate::phrases::{self, Phrases};
use crate::render::Program;
use crate::resume::{self, Saved};
use crate::routine::Routine;
use crate::session::{Settings, Shape};
use crate::voice::Samples;
use answers::Answers;
use device::{Change, Output};
use prepare::Plans;
use transcript::Transcript;
use windows::{Playing, Windows};

/// What to tell on stderr with `--verbose`, measured from `since`.
#[derive(Debug, Clone, Copy)]
pub struct Trace {
    pub since: Instant,
    pub verbose: bool,
}

impl Trace {
    fn say(&self, what: impl std::fmt::Display) {
        if self.verbose {
            eprintln!("hipvoice: {what}");
        }
    }
}

/// How a session ended, and whether a place to resume from is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub ended: Ended,
    pub place_saved: bool,
}

/// A live session to play.
pub struct Request {
    pub routine: Routine,
    /// The routine as the person named it (`stretch`, `./mine.toml`), for hints.
    pub name: String,
    pub settings: Settings,
    /// Opening notes and where to start (see [`Shape`]).
    pub shape: Shape,
    /// Read keys from the terminal (stdin is one).
    pub keys: bool,
    /// Offer media buttons on the session D-Bus.
    pub media: bool,
    pub trace: Trace,
    /// Where the session is recorded, when the history is on.
    pub history: Option<crate::history::Recorder>,
}

/// The loop wakes at least this often to report the position: a transcript line is printed
/// within 20 ms of its first frame being mixed, and the session goes on within 20 ms of an
/// answer's end. A key wakes it at once. Each wake-up costs CPU while a hold plays
/// (BENCHMARKS.md: 5 ms cost 2.6% of a core, against 2% allowed).
const TICK: Duration = Duration::from_millis(20);
/// After the last frame, the device's buffer still has to play out.
const DRAIN: Duration = Duration::from_millis(400);
/// How long the system voice may go on saying its last line after the session's end.
const SYSTEM_LAST_WORDS: Duration = Duration::from_secs(5);
/// How long the system voice is waited for after it is told to stop (its stop is reported
/// within tens of milliseconds when the daemon answers; a frozen one is not waited for).
const SYSTEM_CUT: Duration = Duration::from_millis(300);

/// Returns the memory freed since the last call to the system (glibc keeps freed memory in
/// each thread's arena otherwise, and a long session's peak would count the old windows and
/// the preparer's lines; BENCHMARKS.md). A no-op elsewhere.
fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Plays a session to its end, or until the person stops it or a signal (`stop`) arrives.
/// The device opens at once and plays silence while the session's opening is synthesised;
/// the rest is synthesised while the opening plays. Returns how the session ended.
///
/// Errors: no audio device; a session that cannot be prepared (a voice that cannot start).
pub fn run(mut req: Request, stop: Arc<AtomicBool>, out: &mut dyn Write) -> Result<Outcome, Error> {
    // A line espeak-ng dies on is played as a pause, and the session goes on and says so.
    let left_out = crate::voice::LeftOut::default();
    req.settings.left_out = Some(left_out.clone());
    let trace = req.trace;
    // Before the terminal goes raw: this may say on stderr that a setting was not taken.
    let mut windows = Windows::new(&req.settings);
    // Before the terminal goes raw too: a voice that cannot start is said on stderr.
    let system = (req.settings.engine == crate::session::Engine::System)
        .then(|| System::start(&req, &trace))
        .flatten();
    windows.set_speech(system.is_none());
    // Said at the start too: a person who only listens would not know why the voice differs.
    let unavailable = (req.settings.engine == crate::session::Engine::System && system.is_none())
        .then_some(Command::VoiceUnavailable);
    // Keys first: a key pressed while the device opens is read, not echoed.
    let (cmd_tx, commands) = mpsc::channel::<Command>();
    let raw = req.keys.then(|| start_keys(&cmd_tx, &trace)).flatten();
    let output = Output::open(RATE).map_err(|source| Error::Output {
        routine: req.name.clone(),
        source,
    })?;
    trace.say(format_args!(
        "audio device open {} ms after start",
        trace.since.elapsed().as_millis()
    ));
    let plans = Plans::start(req.routine.clone(), req.settings.clone(), req.shape.clone());
    let answers = Answers::new(&req.settings, trace)?;
    let media = req.media.then(|| start_media(&cmd_tx, &trace)).flatten();
    // Kept, so the channel is never disconnected: `recv_timeout` then always waits a tick
    // (with no keys and no media buttons it would otherwise return at once, a busy loop).
    let _keep_open = cmd_tx;

    let transcript = Transcript {
        out,
        raw: raw.is_some(),
        mode: req.settings.transcript,
    };
    // Never silent: the person would hear nothing and could not tell why.
    let volume = req.settings.volume;
    if let Some(note) = volume.floor_note("playing") {
        transcript.note(&note);
    }
    let ph = phrases::for_language_or_english(&req.routine.language);
    let conductor = Conductor::new(ph, volume, req.settings.espeak.rate_wpm)
        .with_title(&req.routine.title)
        .with_keys(raw.is_some());
    let mut live = Live {
        trace,
        ph,
        conductor,
        output,
        plans,
        windows,
        playing: None,
        answers,
        transcript,
        media,
        place: Place {
            routine: resume::key(&req.routine),
            saved: None,
        },
        trim_after_collect: false,
        told_first: false,
        left_out_lines: std::collections::HashSet::new(),
        history: req.history,
        system,
        notices: unavailable.into_iter().collect(),
        gates: Gates::default(),
        held_prints: Vec::new(),
        heard: Heard::default(),
    };
    let started = Instant::now();
    // The volume as the conductor holds it (never under the floor), sent with the first
    // command.
    let mut gain = Some(volume.gain());
    let ended = loop {
        let mut events = waiting_commands(&commands, &stop);
        let mut cmd = DeckCmd {
            gain: gain.take(),
            ..Default::default()
        };
        match live.output.watch(Instant::now(), &trace) {
            Some(Change::Lost) => events.push(Event::Command(Command::DeviceLost)),
            Some(Change::Back) => {
                // A new deck has no gate: whatever is held back is sent again.
                live.gates.sent = None;
                live.heard.new_deck();
                // The new deck is empty: it plays what the old one played.
                if let Some(p) = &live.playing {
                    cmd.load = Some(p.program.clone());
                    cmd.complete = Some(p.complete);
                }
                events.push(Event::DeviceBack);
            }
            Some(Change::Gone) => events.push(Event::Command(Command::DeviceGone)),
            None => {}
        }
        match live.plans.poll(&trace) {
            Ok(ready) => events.extend(ready),
            Err(e) => {
                let _ = live.output.deck.send(DeckCmd {
                    stop: true,
                    ..Default::default()
                });
                return Err(e);
            }
        }
        for (text, how) in left_out.take_new() {
            live.left_out(&req.routine, &req.name, &text, &how);
        }
        let deck = &live.output.deck;
        let pos = deck.position();
        events.push(Event::Tick {
            frame: pos.frame,
            mark: pos.mark,
            overlays_done: deck.overlays_done(),
            finished: deck.finished(),
        });
        if let Some(how) = live.turn(started.elapsed(), events, cmd) {
            break how;
        }
    };
    live.finish(ended, &stop, raw)
}

/// The terminal's keys, read on their own thread into `tx` while the returned guard keeps the
/// terminal raw; `None` (said on the trace) when it will not go raw.
fn start_keys(tx: &Sender<Command>, trace: &Trace) -> Option<keys::RawMode> {
    match keys::start(tx.clone()) {
        Ok(g) => Some(g),
        Err(e) => {
            trace.say(format_args!("no keys: the terminal would not go raw: {e}"));
            None
        }
    }
}

/// Media buttons: an MPRIS player on the session bus whose commands go to `tx`; `None` (said
/// on the trace) when there is no session bus.
fn start_media(tx: &Sender<Command>, trace: &Trace) -> Option<Media> {
    match Media::start(tx.clone()) {
        Ok(m) => {
            trace.say("media buttons on: MPRIS player hipvoice on the session bus");
            Some(m)
        }
        Err(e) => {
            trace.say(format_args!("no media buttons: {e}"));
            None
        }
    }
}

/// The commands waiting (a tick's wait for the first), and a signal's stop.
fn waiting_commands(commands: &Receiver<Command>, stop: &AtomicBool) -> Vec<Event> {
    let mut events = Vec::new();
    match commands.recv_timeout(TICK) {
        Ok(c) => events.push(Event::Command(c)),
        Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
    }
    events.extend(commands.try_iter().map(Event::Command));
    if stop.load(Ordering::Acquire) {
        events.push(Event::Command(Command::Signal));
    }
    events
}

/// The sample rate of the live session, frames per second: the embedded voice's.
const RATE: u32 = crate::voice::espeak::RATE;

/// A live session's parts, each with its own small state; the loop in [`run`] feeds it.
struct Live<'o> {
    trace: Trace,
    ph: &'static Phrases,
    conductor: Conductor,
    output: Output,
    plans: Plans,
    windows: Windows,
    /// What the deck plays: loaded again into a new deck when the output comes back.
    playing: Option<Playing>,
    answers: Answers,
    transcript: Transcript<'o>,
    media: Option<Media>,
    place: Place,
    /// A new window was loaded: once the old one has left the deck, its memory goes back.
    trim_after_collect: bool,
    told_first: bool,
    history: Option<crate::history::Recorder>,
    /// The system voice and its pacing, while it speaks (`--engine system`).
    system: Option<System>,
    /// What the conductor is told in the next turn (the system voice lost, the place not
    /// saved), found while carrying out this turn.
    notices: Vec<Command>,
    /// The lines played as a pause ([`Live::left_out`]): never printed; the first is said.
    left_out_lines: std::collections::HashSet<String>,
    gates: Gates,
    /// Transcript lines (first frame, text, instruction) waiting for the system voice's
    /// pacing to hand them over ([`Live::print_held`]).
    held_prints: Vec<(u64, String, bool)>,
    /// The spoken answers sent to the deck, printed once heard.
    heard: Heard,
}

/// The spoken answers, printed when they are heard ([`deck::HEARD_FRAMES`] of them played)
/// and never when cut before that: a key pressed right after another cuts the first answer,
/// and the transcript (which a screen reader reads) says only what was said.
#[derive(Default)]
struct Heard {
    /// Overlay clips sent to this deck (the deck numbers them the same way, from 1).
    sent: u32,
    /// Answers not yet heard or cut: the clip's number, and its text.
    waiting: std::collections::VecDeque<(u32, String)>,
}

impl Heard {
    /// One overlay clip sent: an answer's (with its text) or a sound's.
    fn sent(&mut self, text: Option<String>) {
        self.sent = self.sent.wrapping_add(1);
        if let Some(t) = text {
            // Bounded: the deck tells about its last 64 clips only.
            if self.waiting.len() >= 32 {
                self.waiting.pop_front();
            }
            self.waiting.push_back((self.sent, t));
        }
    }

    /// Prints the answers heard, in order; forgets those cut unheard.
    fn print(&mut self, deck: &DeckHandle, transcript: &mut Transcript) {
        // `done` before the heard bits: a clip counted done was marked heard before that.
        let done = deck.overlays_done();
        while let Some((k, _)) = self.waiting.front() {
            let k = *k;
            if deck.overlay_heard(k) {
                let (_, text) = self.waiting.pop_front().expect("looked at");
                transcript.said(&text, None);
            } else if done >= k {
                self.waiting.pop_front();
            } else {
                break;
            }
        }
    }

    /// A new deck numbers its clips from 1 again; what the old one had not played is gone.
    fn new_deck(&mut self) {
        *self = Heard::default();
    }
}

/// The cursor's gate has two owners: the conductor (spoken answers) and the system voice's
/// pacing. The deck gets the nearer of the two.
#[derive(Default)]
struct Gates {
    conductor: Option<u64>,
    system: Option<u64>,
    /// Sent to the deck last; `None` inside: released.
    sent: Option<Option<u64>>,
    /// The conductor asked this turn (a new deck has no gate: always send what it asks).
    asked: bool,
    /// The mark and frame of the conductor's last seek: a position report with another mark
    /// is from before it.
    mark: u16,
    seek: Option<u64>,
}

impl Gates {
    fn wanted(&self) -> Option<u64> {
        match (self.conductor, self.system) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// What to send the deck this turn, if anything.
    fn take_changed(&mut self) -> Option<Option<u64>> {
        let w = self.wanted();
        if self.asked || self.sent != Some(w) {
            self.asked = false;
            self.sent = Some(w);
            return Some(w);
        }
        None
    }
}

/// The system voice and where it is in the playing timeline ([`spoken`]).
struct System {
    voice: crate::voice::system::SystemVoice,
    pacer: Option<spoken::Pacer>,
    /// The timeline the pacer was made for.
    timeline: Option<Arc<crate::plan::Timeline>>,
}

impl System {
    /// Hands what the voice reported to the pacer. Errors: the voice failed.
    fn read_heard(&mut self) -> Result<(), spoken::Lost> {
        let now = Instant::now();
        for h in self.voice.heard() {
            if let crate::voice::system::Heard::Failed(why) = h {
                return Err(spoken::Lost(why));
            }
            if let Some(p) = self.pacer.as_mut() {
                p.heard(&h, now)?;
            }
        }
        Ok(())
    }

    /// The system voice for `req`, or `None` (said on stderr) when it will not start.
    fn start(req: &Request, trace: &Trace) -> Option<System> {
        let s = &req.settings;
        let settings = crate::voice::system::SystemSettings {
            rate_wpm: s.espeak.rate_wpm,
            pitch: s.espeak.pitch,
            gain: s.volume.gain(),
            voice: s.system_voice.clone(),
            language: req.routine.language.clone(),
        };
        match crate::voice::system::SystemVoice::start(&settings) {
            Ok(voice) => {
                trace.say(format_args!(
                    "the system voice speaks: {} ({} ms after start)",
                    voice.description,
                    trace.since.elapsed().as_millis()
                ));
                Some(System {
                    voice,
                    pacer: None,
                    timeline: None,
                })
            }
            Err(e) => {
                eprintln!(
                    "hipvoice: the system voice cannot speak ({}); the built-in voice says this session.",
                    crate::diag::escape(&e)
                );
                None
            }
        }
    }
}

/// The place to resume from, as saved in this session.
struct Place {
    /// The saved place's key ([`resume::key`]).
    routine: String,
    /// Whether it is saved: `None` until an exercise has been saved.
    saved: Option<bool>,
}

impl Live<'_> {
    /// One turn of the loop: the conductor's answers to `events` at `now` (time since the
    /// session started) carried out, together with `cmd`, as one deck command. Returns how
    /// the session ended, once it has.
    fn turn(&mut self, now: Duration, mut events: Vec<Event>, mut cmd: DeckCmd) -> Option<Ended> {
        let mut end = None;
        self.system_heard();
        events.extend(
            std::mem::take(&mut self.notices)
                .into_iter()
                .map(Event::Command),
        );
        for e in events {
            for a in self.conductor.handle(now, e) {
                if let Some(how) = self.carry_out(a, &mut cmd) {
                    end = Some(how);
                }
            }
        }
        if self.system.is_none() {
            // Kept from the voice's loss until the conductor has had the switch: the cursor
            // waits where it was, and the switch is said before what comes next.
            self.gates.system = None;
        }
        self.system_pace(&cmd);
        self.print_held();
        if let Some(g) = self.gates.take_changed() {
            cmd.gate = Some(g);
        }
        self.window(&mut cmd);
        send(&mut self.output.deck, cmd);
        self.output.deck.collect();
        self.heard.print(&self.output.deck, &mut self.transcript);
        if self.trim_after_collect {
            // The window before the last one has left the deck: give its memory back.
            give_back_memory();
            self.trim_after_collect = false;
        }
        if !self.told_first
            && let Some(at) = self.output.deck.first_frame()
        {
            self.told_first = true;
            self.trace.say(format_args!(
                "first audio frame handed to the device {} ms after start",
                at.saturating_duration_since(self.trace.since).as_millis()
            ));
        }
        end
    }

    /// Carries out one of the conductor's actions: the deck's parts go into `cmd`.
    fn carry_out(&mut self, a: Action, cmd: &mut DeckCmd) -> Option<Ended> {
        match a {
            Action::Load {
                generation,
                complete,
            } => self.load(generation, complete, cmd),
            Action::Seek(f) => {
                cmd.seek = Some(f);
                self.gates.seek = Some(f);
                if let Some(s) = self.system.as_mut()
                    && let Some(p) = s.pacer.as_mut()
                {
                    p.moved(f, &mut s.voice);
                }
            }
            Action::Mark(m) => {
                cmd.mark = Some(m);
                self.gates.mark = m;
            }
            Action::Gate(g) => {
                self.gates.conductor = g;
                self.gates.asked = true;
            }
            Action::Pause(p) => cmd.pause = Some(p),
            Action::Gain(g) => {
                cmd.gain = Some(g);
                if let Some(s) = &self.system {
                    s.voice.set_gain(g);
                }
            }
            // One overlay per deck command: the conductor counts every answer it asked for,
            // and the deck counts each one that ends or is cut.
            a @ (Action::Say(_) | Action::SayStopping) => {
                let text = match &a {
                    Action::Say(text) => text.as_str(),
                    // "Your place is saved" only when it is: the save was carried out before,
                    // in this same batch.
                    _ => self.ph.controls.stopping_for(self.place.saved),
                };
                let mut clip = self.answers.line(text);
                if let Some(s) = self.system.as_mut()
                    && let Some(p) = s.pacer.as_mut()
                {
                    // The system voice says it; the overlay lane plays silence as long as the
                    // embedded voice's answer, so the conductor's count of answers still meets
                    // the deck's, and the pacing holds the cursor until the voice has ended.
                    let frames = clip.as_ref().map_or(0, |c| c.len());
                    let text = text.to_owned();
                    p.answer(&text, frames as u64, Instant::now(), &mut s.voice);
                    clip = Some(vec![0.0; frames.max(1)].into());
                }
                overlay(&mut self.output.deck, cmd, clip);
                self.heard.sent(Some(text.to_owned()));
            }
            Action::Sound(name) => {
                overlay(&mut self.output.deck, cmd, self.answers.sound(name));
                self.heard.sent(None);
            }
            Action::Print {
                text,
                instruction,
                at,
            } => {
                if self.left_out_lines.contains(&text) {
                    // Played as a pause: never heard, so never printed.
                } else if self.system.as_ref().is_some_and(|s| s.pacer.is_some()) {
                    // Printed once the system voice has said it, or not at all when it was
                    // left out (after the pacing's turn).
                    self.held_prints.push((at, text, instruction));
                } else {
                    self.transcript.said(&text, Some(instruction));
                }
            }
            Action::Status(playback, title) => {
                if let Some(m) = self.media.as_mut() {
                    m.set(playback, &title);
                }
            }
            Action::Save { exercise, name } => {
                if self.place.save(exercise, name, &self.transcript) {
                    self.notices.push(Command::PlaceNotSaved);
                }
            }
            Action::ClearSaved => self.place.clear(&self.trace),
            Action::Reached { step, played } => {
                if let Some(h) = &self.history {
                    h.reached(&step, played);
                }
            }
            Action::Replan(wpm) => {
                self.answers.set_rate(wpm);
                if let Some(s) = &self.system {
                    s.voice.set_rate(wpm);
                }
                self.plans.replan(wpm);
            }
            Action::End(how) => return Some(how),
        }
        None
    }

    /// Plays the plan of `generation`. The opening comes with its program; a whole session
    /// gets its first window in [`Live::window`], where the deck will be.
    fn load(&mut self, generation: u16, complete: bool, cmd: &mut DeckCmd) {
        let Some(p) = self.plans.take(generation) else {
            return;
        };
        // With the system voice, the opening's program (made with the lines' samples) is not
        // played: its first window, made at once, has the sounds only.
        let (program, span) = match p.program.filter(|_| self.system.is_none()) {
            Some(program) => (program, 0..p.timeline.frames),
            None => (Arc::new(Program::silence(RATE)), 0..0),
        };
        self.playing = Some(Playing {
            span,
            timeline: p.timeline,
            bank: p.bank,
            rate_wpm: p.rate_wpm,
            complete,
            program: program.clone(),
        });
        cmd.load = Some(program);
        cmd.complete = Some(complete);
    }

    /// The deck holds samples only near where it plays: a new window where it goes (a seek,
    /// a new plan) or when it nears the end of the one it has.
    fn window(&mut self, cmd: &mut DeckCmd) {
        let Some(p) = self.playing.as_mut() else {
            return;
        };
        if self.output.is_lost() {
            return;
        }
        let at = cmd.seek.unwrap_or(self.output.deck.position().frame);
        if !self.windows.needs(p, at) {
            return;
        }
        match self.windows.make(p, at) {
            Ok(()) => {
                self.trim_after_collect = true;
                self.trace.say(format_args!(
                    "a window of the session: {:.1} s to {:.1} s",
                    p.span.start as f64 / f64::from(RATE),
                    p.span.end as f64 / f64::from(RATE)
                ));
                cmd.load = Some(p.program.clone());
                cmd.complete = Some(p.complete);
            }
            Err(e) => self
                .trace
                .say(format_args!("could not prepare what comes next: {e}")),
        }
    }

    /// Reads what the system voice reported; a voice that failed is given up.
    fn system_heard(&mut self) {
        if let Some(Err(lost)) = self.system.as_mut().map(System::read_heard) {
            self.lose_system(lost);
        }
    }

    /// Hands the system voice the line the cursor has played into, and sets the pacing's
    /// gate. The pacer follows the timeline playing: a new plan gets a new one.
    fn system_pace(&mut self, cmd: &DeckCmd) {
        let Some(s) = self.system.as_mut() else {
            return;
        };
        let Some(playing) = &self.playing else {
            return;
        };
        let pos = self.output.deck.position();
        // A report from before the last seek is stale: the cursor is where the seek put it.
        let at = match (cmd.seek, pos.mark == self.gates.mark) {
            (Some(f), _) => f,
            (None, true) => pos.frame,
            (None, false) => self.gates.seek.unwrap_or(pos.frame),
        };
        if s.timeline
            .as_ref()
            .is_none_or(|t| !Arc::ptr_eq(t, &playing.timeline))
        {
            let mut pacer = spoken::Pacer::new(&playing.timeline);
            pacer.moved(at, &mut s.voice);
            s.pacer = Some(pacer);
            s.timeline = Some(playing.timeline.clone());
        }
        let pacer = s.pacer.as_mut().expect("made above");
        let left_out = pacer.left_out;
        match pacer.turn(at, Instant::now(), &mut s.voice) {
            Ok(g) => {
                if pacer.left_out > left_out {
                    self.trace
                        .say("the system voice was still speaking: a count was left out");
                }
                self.gates.system = g;
            }
            Err(e) => self.lose_system(e),
        }
    }

    /// The transcript lines held for the system voice: printed once the pacing has handed
    /// them over, dropped when it left them out (a count with no time for it is not heard, so
    /// it is not printed either). All of them once the system voice is gone.
    fn print_held(&mut self) {
        let pacer = self.system.as_ref().and_then(|s| s.pacer.as_ref());
        let decided = self
            .held_prints
            .iter()
            .take_while(|(at, ..)| pacer.is_none_or(|p| p.decided(*at)))
            .count();
        for (at, text, instruction) in self.held_prints.drain(..decided) {
            if !pacer.is_some_and(|p| p.was_left_out(at)) {
                self.transcript.said(&text, Some(instruction));
            }
        }
    }

    /// A line espeak-ng died on, played as a pause: named on stderr where it is written, and
    /// said once for the session (the next such line is only printed).
    fn left_out(&mut self, routine: &Routine, name: &str, text: &str, how: &str) {
        let at = routine.where_said(text).map_or_else(
            || crate::diag::escape(&routine.source_name).into_owned(),
            ToString::to_string,
        );
        self.transcript.note(&format!(
            "hipvoice: {at}: espeak-ng cannot speak this line ({}), so it is left out and the session goes on. `hipvoice check {}` names every such line.",
            crate::diag::escape(how),
            crate::diag::escape(name),
        ));
        self.left_out_lines.insert(text.to_owned());
        if self.left_out_lines.len() == 1 {
            self.notices.push(Command::LineLeftOut);
        }
    }

    /// The system voice stopped answering: the embedded voice says the rest, from the next
    /// window (made at once), and the conductor says so in the next turn.
    fn lose_system(&mut self, why: spoken::Lost) {
        // What the pacing left out is still known: not printed.
        self.print_held();
        self.system = None;
        self.notices.push(Command::VoiceLost);
        self.windows.set_speech(true);
        if let Some(p) = self.playing.as_mut() {
            p.renew();
        }
        self.transcript.note(&format!(
            "hipvoice: the system voice stopped answering ({}); the built-in voice goes on.",
            crate::diag::escape(&why.0)
        ));
    }

    /// After the session ended `how`: the last frames played out (when it finished), the deck
    /// stopped, media clients told, the terminal given back.
    fn finish(
        mut self,
        ended: Ended,
        stop: &AtomicBool,
        raw: Option<keys::RawMode>,
    ) -> Result<Outcome, Error> {
        if ended == Ended::Finished {
            // The last frames are still in the device's buffer: let them play out.
            let drain = Instant::now();
            while drain.elapsed() < DRAIN && !stop.load(Ordering::Acquire) {
                std::thread::sleep(TICK);
            }
        }
        // The system voice's last words ("Well done.", "Stopping.") are its own to finish,
        // within a limit. A signal (Ctrl-C) or a gone device cuts it: the daemon is told before
        // the process ends, or it would finish the line after hipvoice has gone.
        if let Some(s) = self.system.as_mut() {
            let mut cut = false;
            let mut until = Instant::now() + SYSTEM_LAST_WORDS;
            while s.pacer.as_ref().is_some_and(|p| p.is_speaking()) && Instant::now() < until {
                // A signal (now or during the last words) or a gone device cuts them.
                let cutting = matches!(ended, Ended::Interrupted { .. } | Ended::DeviceLost { .. })
                    || stop.load(Ordering::Acquire);
                if cutting && !cut {
                    cut = true;
                    s.voice.stop();
                    until = until.min(Instant::now() + SYSTEM_CUT);
                }
                if s.read_heard().is_err() {
                    break;
                }
                std::thread::sleep(TICK);
            }
        }
        // The last answer ("Stopping.") was heard before the session could end.
        self.heard.print(&self.output.deck, &mut self.transcript);
        send(
            &mut self.output.deck,
            DeckCmd {
                stop: true,
                ..Default::default()
            },
        );
        if let Some(m) = self.media.as_mut() {
            m.set(Playback::Stopped, "");
        }
        drop(self.media.take());
        drop(raw);
        if let Some(h) = self.history.take() {
            use crate::history::Ending;
            h.end(match ended {
                Ended::Finished => Ending::Finished,
                Ended::Stopped { .. } => Ending::Stopped,
                Ended::Interrupted { .. } => Ending::Interrupted,
                Ended::DeviceLost { .. } => Ending::DeviceLost,
            });
        }
        let place_saved = self.place.saved == Some(true);
        drop(self);
        Ok(Outcome { ended, place_saved })
    }
}

impl Place {
    /// Saves `exercise` as the place to resume from; a save that fails after none or a good
    /// one is told, on stderr here, and by voice when this returns true.
    fn save(&mut self, exercise: String, name: String, transcript: &Transcript<'_>) -> bool {
        let s = Saved {
            routine: self.routine.clone(),
            exercise,
            name,
            saved_at: resume::now(),
        };
        match resume::save(&s) {
            Ok(()) => {
                self.saved = Some(true);
                false
            }
            Err(e) => {
                let first = self.saved != Some(false);
                if first {
                    transcript.note(&format!(
                        "hipvoice: could not save your place to resume from: {e}"
                    ));
                }
                self.saved = Some(false);
                first
            }
        }
    }

    /// The session is done: nothing is left to resume.
    fn clear(&mut self, trace: &Trace) {
        self.saved = None;
        if let Err(e) = resume::clear(&self.routine) {
            trace.say(format_args!("could not clear the saved position: {e}"));
        }
    }
}

/// Puts a clip on the overlay lane with `cmd`; a clip already there goes to the deck first
/// (the new one cuts it). A clip that could not be made is a moment of silence, so the
/// conductor's count of answers still meets the deck's.
fn overlay(handle: &mut DeckHandle, cmd: &mut DeckCmd, clip: Option<Samples>) {
    if cmd.overlay.is_some() {
        send(handle, std::mem::take(cmd));
    }
    cmd.overlay = Some(clip.unwrap_or_else(|| vec![0.0; 1].into()));
}

/// Hands a command to the deck. The inbox holds 64; it is full only when the audio thread has
/// stopped pulling samples, and then waiting a little is all there is to do.
fn send(handle: &mut DeckHandle, cmd: DeckCmd) {
    let mut cmd = cmd;
    for _ in 0..20 {
        match handle.send(cmd) {
            Ok(()) => return,
            Err(back) => {
                cmd = back;
                std::thread::sleep(TICK);
            }
        }
    }
}
