//! The live session runtime: a session that plays exactly and listens.
//!
//! Three parts, as in game engines and kira:
//! - the [`conductor`]: a pure state machine over the timeline (`handle(event) -> actions`);
//! - the [`deck`]: the audio thread's source, steered without locks;
//! - [`run`]: one loop that turns keys, media buttons, signals, position reports and prepared
//!   plans into events, asks the conductor, and carries out its actions; it also makes the
//!   window of the session the deck holds samples for, and opens the output again when it is
//!   lost.
//!
//! Invariants of a live session (the conductor's and the deck's module docs say how each is
//! kept, and their tests check it):
//! - pacing is frame arithmetic on the audio thread; the loop's wake-ups never move a sound;
//! - two voices never speak at once, and a hold is never shortened;
//! - the audio thread never locks, allocates or frees;
//! - raw mode is restored on every way out; a stopped session's place is saved.

pub mod conductor;
pub mod deck;

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender, TryRecvError};
use std::time::{Duration, Instant};

pub use crate::session::TranscriptMode;
pub use conductor::{Action, Command, Conductor, Ended, Event, Playback};
pub use deck::{DeckCmd, DeckHandle};

use crate::error::Error;
use crate::output::media::Media;
use crate::output::{self, keys};
use crate::phrases;
use crate::render::{Program, SoundBank};
use crate::resume::{self, Saved};
use crate::routine::Routine;
use crate::session::SessionError;
use crate::session::{Session, Settings, Shape};
use crate::voice::{Espeak, PhraseCache, Samples};

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
}

/// The loop wakes at least this often to report the position: a transcript line is printed
/// within 20 ms of its first frame being mixed, and the session goes on within 20 ms of an
/// answer's end. A key wakes it at once. Each wake-up costs CPU while a hold plays
/// (BENCHMARKS.md: 5 ms cost 2.6% of a core, against 2% allowed).
const TICK: Duration = Duration::from_millis(20);
/// Silence after a spoken answer before the session goes on.
const AFTER_ANSWER_SECS: f64 = 0.3;
/// A device that has pulled no samples for this long is gone...
const STALL: Duration = Duration::from_millis(1500);
/// ... or for this long after its stream reported an error (PulseAudio disconnected)...
const STALL_AFTER_ERROR: Duration = Duration::from_millis(250);
/// ... or, for a stream just opened, this long without its first pull: a sound server that
/// was just restarted takes about 2 s to ask for samples from an idle null sink.
const FIRST_PULL: Duration = Duration::from_secs(5);
/// After the output is lost, the default output is opened again this often...
const REOPEN_EVERY: Duration = Duration::from_millis(500);
/// ... for this long (a restarted sound server, a headset plugged back in); then the session
/// ends with its place saved.
pub const REOPEN_FOR: Duration = Duration::from_secs(10);
/// After the last frame, the device's buffer still has to play out.
const DRAIN: Duration = Duration::from_millis(400);

/// A plan made by the preparing thread: the session's opening comes with its program (it is
/// short, and its lines were just synthesised); a whole session comes as a timeline only, and
/// the loop makes the part of it that plays ([`Windows`]).
struct Prepared {
    program: Option<Arc<Program>>,
    timeline: Arc<crate::plan::Timeline>,
    /// The session's sounds, loaded once by the preparer (user sounds resampled): windows are
    /// made from them.
    bank: SoundBank,
    complete: bool,
    rate_wpm: u32,
}

/// Prepares the session on its own thread: first the opening, then the whole session, then
/// the whole session again at every new speech rate asked for (only the latest of several).
fn spawn_preparer(
    routine: Routine,
    settings: Settings,
    shape: Shape,
    out: Sender<Result<Prepared, Error>>,
) -> Sender<u32> {
    let (tx, rx) = mpsc::channel::<u32>();
    std::thread::spawn(move || {
        let send = |p: Result<Prepared, Error>| out.send(p).is_ok();
        let first = || -> Result<(), Error> {
            let rate_wpm = settings.espeak.rate_wpm;
            let intro = Shape {
                intro_only: true,
                ..shape.clone()
            };
            let mut s = Session::prepare_shaped(&routine, &settings, &intro)?;
            let opening = Prepared {
                program: Some(Arc::new(s.program()?)),
                timeline: Arc::new(s.timeline.clone()),
                bank: s.bank.clone(),
                complete: false,
                rate_wpm,
            };
            if !send(Ok(opening)) {
                return Ok(());
            }
            let whole = s.complete(&routine)?;
            let _ = send(Ok(Prepared {
                program: None,
                timeline: Arc::new(whole.timeline),
                bank: whole.bank,
                complete: true,
                rate_wpm,
            }));
            Ok(())
        };
        let made = first();
        // The session's lines were let go of with it: give their memory back.
        give_back_memory();
        if let Err(e) = made {
            send(Err(e));
            return;
        }
        while let Ok(mut rate_wpm) = rx.recv() {
            while let Ok(newer) = rx.try_recv() {
                rate_wpm = newer;
            }
            let mut settings = settings.clone();
            settings.espeak.rate_wpm = rate_wpm;
            let made = Session::prepare_shaped(&routine, &settings, &shape).map(|s| Prepared {
                program: None,
                timeline: Arc::new(s.timeline),
                bank: s.bank,
                complete: true,
                rate_wpm,
            });
            give_back_memory();
            if !send(made.map_err(Error::from)) {
                return;
            }
        }
    });
    tx
}

/// The voice of the spoken answers, at the session's current settings. Its engine starts on
/// the first answer, not before: espeak-ng carries a little state from one line to the next, and
/// a line synthesised while the session is being prepared would shift the session's lines by a
/// pitch period against `plan` and `render` of the same routine.
struct Answers {
    settings: Settings,
    cache: Option<PhraseCache>,
    bank: SoundBank,
    trace: Trace,
}

impl Answers {
    fn new(settings: &Settings, trace: Trace) -> Result<Answers, Error> {
        let bank = SoundBank::builtin(crate::voice::espeak::RATE).map_err(SessionError::from)?;
        Ok(Answers {
            settings: settings.clone(),
            cache: None,
            bank,
            trace,
        })
    }

    fn set_rate(&mut self, rate_wpm: u32) {
        self.settings.espeak.rate_wpm = rate_wpm;
        self.cache = None;
    }

    /// A spoken answer with a short silence after it, so the session does not go on mid-breath.
    fn line(&mut self, text: &str) -> Option<Samples> {
        if self.cache.is_none() {
            match Espeak::new(self.settings.espeak.clone()) {
                Ok(v) => self.cache = Some(PhraseCache::new(Box::new(v))),
                Err(e) => {
                    self.trace
                        .say(format_args!("the answers' voice could not start: {e}"));
                    return None;
                }
            }
        }
        let cache = self.cache.as_mut()?;
        let said = cache.get(text).ok()?;
        let pad = crate::plan::frames(AFTER_ANSWER_SECS, cache.sample_rate()) as usize;
        let mut v = Vec::with_capacity(said.len() + pad);
        v.extend_from_slice(&said);
        v.resize(said.len() + pad, 0.0);
        Some(v.into())
    }

    fn sound(&self, name: &str) -> Option<Samples> {
        self.bank.get(name).cloned()
    }
}

/// How far a window of the session reaches ahead of the playing frame, and behind it (for
/// "back" and "repeat", which go to the start of a line or an exercise), in seconds; a new
/// window is made when less than half of the reach ahead is left. 80 s of speech are 7 MB of
/// samples: a session's memory does not grow with its length (BENCHMARKS.md).
/// `HIPVOICE_WINDOW_SECS` sets the reach ahead, within `WINDOW_AHEAD_RANGE` (read once with
/// the other settings: [`window_ahead_secs`]).
pub const WINDOW_AHEAD_SECS: f64 = 60.0;
pub const WINDOW_AHEAD_RANGE: (f64, f64) = (10.0, 600.0);

/// The window's reach ahead in seconds from `HIPVOICE_WINDOW_SECS` as written (`None` when
/// unset), with a line for stderr when the value is not taken as written: out of
/// `WINDOW_AHEAD_RANGE` (the nearest end is used) or not a number (the default).
pub fn window_ahead_secs(var: Option<&str>) -> (f64, Option<String>) {
    let (lo, hi) = WINDOW_AHEAD_RANGE;
    let Some(v) = var else {
        return (WINDOW_AHEAD_SECS, None);
    };
    match v.trim().parse::<f64>() {
        Ok(x) if (lo..=hi).contains(&x) => (x, None),
        Ok(x) if x.is_finite() => {
            let near = x.clamp(lo, hi);
            (
                near,
                Some(format!(
                    "hipvoice: HIPVOICE_WINDOW_SECS={} is outside {lo} to {hi}; using {near}.",
                    crate::diag::escape(v)
                )),
            )
        }
        _ => (
            WINDOW_AHEAD_SECS,
            Some(format!(
                "hipvoice: HIPVOICE_WINDOW_SECS={} is not a number of seconds; using {WINDOW_AHEAD_SECS}.",
                crate::diag::escape(v)
            )),
        ),
    }
}
const WINDOW_BEHIND_SECS: f64 = 20.0;
/// The samples the window's voice keeps between windows (1 M, 4 MB): the lines said again
/// and again ("Hold.", counts, reps) are not synthesised anew for every window.
const WINDOW_CACHE_SAMPLES: usize = 1 << 20;

/// The part of the playing timeline the deck holds samples for, made in this thread from the
/// preparer's timelines with a voice of its own at the timeline's speech rate.
struct Windows {
    settings: Settings,
    /// The voice, at the speech rate it was made for.
    voice: Option<(u32, PhraseCache)>,
    ahead: u64,
    behind: u64,
}

/// The program the deck plays: a generation's timeline and sounds, and the window of it made
/// last.
struct Playing {
    timeline: Arc<crate::plan::Timeline>,
    bank: SoundBank,
    rate_wpm: u32,
    complete: bool,
    program: Arc<Program>,
    span: std::ops::Range<u64>,
}

impl Windows {
    fn new(settings: &Settings) -> Windows {
        let rate = crate::voice::espeak::RATE;
        let ahead_secs = settings.window_secs;
        Windows {
            settings: settings.clone(),
            voice: None,
            ahead: crate::plan::frames(ahead_secs, rate),
            behind: crate::plan::frames(WINDOW_BEHIND_SECS.min(ahead_secs), rate),
        }
    }

    /// True when `p` needs a new window at frame `at` (see [`needs_window`]).
    fn needs(&self, p: &Playing, at: u64) -> bool {
        needs_window(&p.span, p.timeline.frames, self.ahead, at)
    }

    /// A window of `p`'s timeline around frame `at`.
    fn make(&mut self, p: &mut Playing, at: u64) -> Result<(), Error> {
        if self.voice.as_ref().is_none_or(|(r, _)| *r != p.rate_wpm) {
            let mut settings = self.settings.espeak.clone();
            settings.rate_wpm = p.rate_wpm;
            let v = Espeak::new(settings).map_err(SessionError::from)?;
            self.voice = Some((
                p.rate_wpm,
                PhraseCache::bounded(Box::new(v), WINDOW_CACHE_SAMPLES),
            ));
        }
        let (_, cache) = self.voice.as_mut().expect("made above");
        let span = at.saturating_sub(self.behind)..(at + self.ahead).min(p.timeline.frames);
        let program = Program::window(&p.timeline, cache, &p.bank, span.clone())
            .map_err(SessionError::from)?;
        p.program = Arc::new(program);
        p.span = span;
        Ok(())
    }
}

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

/// True when a deck holding the samples of `span` of a timeline of `frames` frames needs a new
/// window to play frame `at`: outside the span, or less than half of `ahead` before its end
/// (unless it reaches the timeline's end). Never at or past the timeline's end, where there is
/// nothing more to hold.
fn needs_window(span: &std::ops::Range<u64>, frames: u64, ahead: u64, at: u64) -> bool {
    if at >= frames {
        return false;
    }
    if at < span.start || at >= span.end {
        return true;
    }
    span.end < frames && at + ahead / 2 >= span.end
}

/// Transcript lines, one per line; `\r\n` while the terminal is raw. A closed stdout never
/// stops the session: the person is listening, not reading.
struct Transcript<'a> {
    out: &'a mut dyn Write,
    raw: bool,
    mode: TranscriptMode,
}

impl Transcript<'_> {
    /// A planned line (`instruction` false for helper lines) or, with `None`, an answer.
    fn said(&mut self, text: &str, instruction: Option<bool>) {
        let print = match self.mode {
            TranscriptMode::Full => true,
            TranscriptMode::Lines => instruction == Some(true),
            TranscriptMode::None => false,
        };
        if print {
            self.line(text);
        }
    }

    fn line(&mut self, text: &str) {
        let end = if self.raw { "\r\n" } else { "\n" };
        let _ = write!(self.out, "{}{end}", crate::diag::escape(text));
        let _ = self.out.flush();
    }

    /// A line for stderr, whole even while the terminal is raw.
    fn note(&self, text: &str) {
        let end = if self.raw { "\r\n" } else { "\n" };
        eprint!("{text}{end}");
    }
}

/// Plays a session to its end, or until the person stops it or a signal (`stop`) arrives.
/// The device opens at once and plays silence while the session's opening is synthesised;
/// the rest is synthesised while the opening plays. Returns how the session ended.
///
/// Errors: no audio device; a session that cannot be prepared (a voice that cannot start).
pub fn run(req: Request, stop: Arc<AtomicBool>, out: &mut dyn Write) -> Result<Outcome, Error> {
    let trace = req.trace;
    let rate = crate::voice::espeak::RATE;
    let ph = phrases::for_language_or_english(&req.routine.language);
    let routine_id = req.routine.id.clone();

    // Before the terminal goes raw: this may say on stderr that a setting was not taken.
    let mut windows = Windows::new(&req.settings);
    let mut trim_after_collect = false;
    // Keys first: a key pressed while the device opens is read, not echoed.
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>();
    let raw = if req.keys {
        match keys::start(cmd_tx.clone()) {
            Ok(g) => Some(g),
            Err(e) => {
                trace.say(format_args!("no keys: the terminal would not go raw: {e}"));
                None
            }
        }
    } else {
        None
    };
    // What the stream's error callback reports, in order.
    let (device_errors, errors_in) = mpsc::channel::<String>();
    let mut sink = output::open_device(rate, &device_errors).map_err(|source| Error::Output {
        routine: req.name.clone(),
        source,
    })?;
    trace.say(format_args!(
        "audio device open {} ms after start",
        trace.since.elapsed().as_millis()
    ));
    let (deck, mut handle) = deck::deck(rate);
    sink.mixer().add(deck);

    let (ready_tx, ready_rx) = mpsc::channel();
    let replan = spawn_preparer(
        req.routine.clone(),
        req.settings.clone(),
        req.shape.clone(),
        ready_tx,
    );
    let mut answers = Answers::new(&req.settings, trace)?;

    let mut media = if req.media {
        match Media::start(cmd_tx.clone()) {
            Ok(m) => {
                trace.say("media buttons on: MPRIS player hipvoice on the session bus");
                Some(m)
            }
            Err(e) => {
                trace.say(format_args!("no media buttons: {e}"));
                None
            }
        }
    } else {
        None
    };
    // Kept, so the channel is never disconnected: `recv_timeout` then always waits a tick
    // (with no keys and no media buttons it would otherwise return at once, a busy loop).
    let _keep_open = cmd_tx;

    let mut transcript = Transcript {
        out,
        raw: raw.is_some(),
        mode: req.settings.transcript,
    };
    // Never silent: the person would hear nothing and could not tell why.
    let volume = req.settings.volume;
    if let Some(note) = volume.floor_note("playing") {
        transcript.note(&note);
    }
    let mut conductor = Conductor::new(ph, volume, req.settings.espeak.rate_wpm)
        .with_title(&req.routine.title)
        .with_keys(raw.is_some());
    // Whether the place to resume from is saved: None until an exercise has been saved.
    let mut place_saved: Option<bool> = None;
    let mut told_error = false;
    // When the stream's last error was seen.
    let mut error_at: Option<Instant> = None;
    let (mut blocks_seen, mut progress_at, mut prev_iter) = (0, Instant::now(), Instant::now());
    // Plans ready to load, by generation.
    let mut ready: HashMap<u16, Prepared> = HashMap::new();
    // What the deck plays: loaded again into a new deck when the output comes back.
    let mut current: Option<Playing> = None;
    // Since when the output has been lost, and when to try opening it again.
    let mut lost: Option<(Instant, Instant)> = None;
    // When the output was first lost, until a reopened one plays: an output that opens but
    // never plays does not get a new ten seconds at every try.
    let mut lost_streak: Option<Instant> = None;
    let mut generation: u16 = 0;
    let mut told_first = false;
    let mut gain_sent = false;
    let started = Instant::now();

    let ended = loop {
        let mut events = Vec::new();
        match cmd_rx.recv_timeout(TICK) {
            Ok(c) => events.push(Event::Command(c)),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
        }
        events.extend(cmd_rx.try_iter().map(Event::Command));
        if stop.load(Ordering::Acquire) {
            events.push(Event::Command(Command::Signal));
        }
        // The device pulls a block every few milliseconds, paused or not. An error it
        // survives passes; a device that has pulled nothing for STALL is gone (a dead sound
        // server, a removed device, a stream the server dropped while this process was
        // stopped). A wake-up long after the last one means this process itself was stopped
        // (SIGSTOP, a suspend): that time does not count.
        let here = Instant::now();
        if here.duration_since(prev_iter) > TICK * 10 {
            progress_at = here;
        }
        prev_iter = here;
        if handle.blocks() != blocks_seen {
            blocks_seen = handle.blocks();
            progress_at = here;
            lost_streak = None;
        }
        // The first error of each stream is told; the rest only leave the channel.
        if let Some(e) = errors_in.try_iter().last()
            && !told_error
        {
            told_error = true;
            error_at = Some(here);
            trace.say(format_args!("the audio stream reported: {e}"));
        }
        let stall = if blocks_seen == 0 {
            FIRST_PULL
        } else if error_at.is_some_and(|t| t >= progress_at) {
            STALL_AFTER_ERROR
        } else {
            STALL
        };
        let mut reload = None;
        match lost {
            None if here.duration_since(progress_at) > stall => {
                trace.say("the audio output stopped pulling samples: opening it again");
                events.push(Event::Command(Command::DeviceLost));
                let since = *lost_streak.get_or_insert(here);
                lost = Some((since, here));
            }
            Some((since, next_try)) if here >= next_try => {
                match output::open_device(rate, &device_errors) {
                    Ok(new_sink) => {
                        trace.say(format_args!(
                            "the audio output is back after {} ms",
                            here.duration_since(since).as_millis()
                        ));
                        let (new_deck, new_handle) = deck::deck(rate);
                        new_sink.mixer().add(new_deck);
                        // The old stream's server is gone: closing it must not hold up the session.
                        let old = std::mem::replace(&mut sink, new_sink);
                        std::thread::spawn(move || drop(old));
                        handle = new_handle;
                        blocks_seen = 0;
                        progress_at = here;
                        told_error = false;
                        error_at = None;
                        // The old stream's last words are not the new one's.
                        errors_in.try_iter().for_each(drop);
                        lost = None;
                        reload = current.as_ref().map(|p| (p.program.clone(), p.complete));
                        events.push(Event::DeviceBack);
                    }
                    Err(e) if here.duration_since(since) >= REOPEN_FOR => {
                        trace.say(format_args!("the audio output did not come back: {e}"));
                        events.push(Event::Command(Command::DeviceGone));
                    }
                    Err(_) => lost = Some((since, here + REOPEN_EVERY)),
                }
            }
            _ => {}
        }
        match ready_rx.try_recv() {
            Ok(Ok(p)) => {
                generation = generation.wrapping_add(1).max(1);
                let (timeline, complete, rate_wpm) = (p.timeline.clone(), p.complete, p.rate_wpm);
                ready.insert(generation, p);
                if complete {
                    trace.say(format_args!(
                        "the whole session was ready {} ms after start",
                        trace.since.elapsed().as_millis()
                    ));
                }
                events.push(Event::Ready {
                    generation,
                    timeline,
                    complete,
                    rate_wpm,
                });
            }
            Ok(Err(e)) => {
                let _ = handle.send(DeckCmd {
                    stop: true,
                    ..Default::default()
                });
                return Err(e);
            }
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => {}
        }
        let pos = handle.position();
        events.push(Event::Tick {
            frame: pos.frame,
            mark: pos.mark,
            overlays_done: handle.overlays_done(),
            finished: handle.finished(),
        });

        let now = started.elapsed();
        let mut cmd = DeckCmd::default();
        if let Some((program, complete)) = reload {
            cmd.load = Some(program);
            cmd.complete = Some(complete);
        }
        if !gain_sent {
            // The volume as the conductor holds it: never under the floor.
            cmd.gain = Some(volume.gain());
            gain_sent = true;
        }
        let mut end = None;
        for e in events {
            for a in conductor.handle(now, e) {
                match a {
                    Action::Load {
                        generation,
                        complete,
                    } => {
                        if let Some(p) = ready.remove(&generation) {
                            // The opening comes with its program; a whole session gets its
                            // first window below, where the deck will be.
                            let (program, span) = match p.program {
                                Some(program) => (program, 0..p.timeline.frames),
                                None => (Arc::new(Program::silence(rate)), 0..0),
                            };
                            current = Some(Playing {
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
                        // Plans older than this one will never play.
                        ready.retain(|g, _| *g > generation);
                    }
                    Action::Seek(f) => cmd.seek = Some(f),
                    Action::Mark(m) => cmd.mark = Some(m),
                    Action::Gate(g) => cmd.gate = Some(g),
                    Action::Pause(p) => cmd.pause = Some(p),
                    Action::Gain(g) => cmd.gain = Some(g),
                    // One overlay per deck command: the conductor counts every answer it
                    // asked for, and the deck counts each one that ends or is cut.
                    a @ (Action::Say(_) | Action::SayStopping) => {
                        let text = match &a {
                            Action::Say(text) => text.as_str(),
                            // "Your place is saved" only when it is: the save was carried
                            // out above, in this same batch.
                            _ => ph.controls.stopping_for(place_saved),
                        };
                        transcript.said(text, None);
                        let clip = answers.line(text);
                        overlay(&mut handle, &mut cmd, clip);
                    }
                    Action::Sound(name) => overlay(&mut handle, &mut cmd, answers.sound(name)),
                    Action::Print { text, instruction } => {
                        transcript.said(&text, Some(instruction))
                    }
                    Action::Status(playback, title) => {
                        if let Some(m) = media.as_mut() {
                            m.set(playback, &title);
                        }
                    }
                    Action::Save { exercise, name } => {
                        let s = Saved {
                            routine: routine_id.clone(),
                            exercise,
                            name,
                            saved_at: resume::now(),
                        };
                        match resume::save(&s) {
                            Ok(()) => place_saved = Some(true),
                            Err(e) => {
                                if place_saved != Some(false) {
                                    transcript.note(&format!(
                                        "hipvoice: could not save your place to resume from: {e}"
                                    ));
                                }
                                place_saved = Some(false);
                            }
                        }
                    }
                    Action::ClearSaved => {
                        place_saved = None;
                        if let Err(e) = resume::clear(&routine_id) {
                            trace.say(format_args!("could not clear the saved position: {e}"));
                        }
                    }
                    Action::Replan(wpm) => {
                        answers.set_rate(wpm);
                        let _ = replan.send(wpm);
                    }
                    Action::End(how) => end = Some(how),
                }
            }
        }
        // The deck holds samples only near where it plays: a new window where it goes (a
        // seek, a new plan) or when it nears the end of the one it has.
        if let Some(p) = current.as_mut()
            && lost.is_none()
        {
            let at = cmd.seek.unwrap_or(handle.position().frame);
            if windows.needs(p, at) {
                match windows.make(p, at) {
                    Ok(()) => {
                        trim_after_collect = true;
                        trace.say(format_args!(
                            "a window of the session: {:.1} s to {:.1} s",
                            p.span.start as f64 / f64::from(rate),
                            p.span.end as f64 / f64::from(rate)
                        ));
                        cmd.load = Some(p.program.clone());
                        cmd.complete = Some(p.complete);
                    }
                    Err(e) => trace.say(format_args!("could not prepare what comes next: {e}")),
                }
            }
        }
        send(&mut handle, cmd);
        handle.collect();
        if trim_after_collect {
            // The window before the last one has left the deck: give its memory back.
            give_back_memory();
            trim_after_collect = false;
        }
        if !told_first && let Some(at) = handle.first_frame() {
            told_first = true;
            trace.say(format_args!(
                "first audio frame handed to the device {} ms after start",
                at.saturating_duration_since(trace.since).as_millis()
            ));
        }
        if let Some(how) = end {
            break how;
        }
    };

    if ended == Ended::Finished {
        // The last frames are still in the device's buffer: let them play out.
        let drain = Instant::now();
        while drain.elapsed() < DRAIN && !stop.load(Ordering::Acquire) {
            std::thread::sleep(TICK);
        }
    }
    send(
        &mut handle,
        DeckCmd {
            stop: true,
            ..Default::default()
        },
    );
    if let Some(m) = media.as_mut() {
        m.set(Playback::Stopped, "");
    }
    drop(media);
    drop(raw);
    drop(sink);
    Ok(Outcome {
        ended,
        place_saved: place_saved == Some(true),
    })
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

#[cfg(test)]
mod tests {
    use super::{WINDOW_AHEAD_SECS, needs_window, window_ahead_secs};

    #[test]
    fn the_window_setting_is_taken_checked_or_said_why_not() {
        assert_eq!(window_ahead_secs(None), (WINDOW_AHEAD_SECS, None));
        assert_eq!(window_ahead_secs(Some(" 30 ")), (30.0, None));
        let (secs, note) = window_ahead_secs(Some("5"));
        assert_eq!(secs, 10.0);
        assert_eq!(
            note.as_deref(),
            Some("hipvoice: HIPVOICE_WINDOW_SECS=5 is outside 10 to 600; using 10.")
        );
        let (secs, note) = window_ahead_secs(Some("soon"));
        assert_eq!(secs, WINDOW_AHEAD_SECS);
        assert!(note.unwrap().contains("is not a number of seconds"));
    }

    #[test]
    fn a_new_window_is_made_outside_the_old_one_or_near_its_end_never_past_the_session() {
        let (frames, ahead) = (10_000, 1000);
        // Nothing held yet, or a jump outside: a new window.
        assert!(needs_window(&(0..0), frames, ahead, 0));
        assert!(needs_window(&(2000..3000), frames, ahead, 1999));
        assert!(needs_window(&(2000..3000), frames, ahead, 3000));
        // Inside, with more than half the reach left: none.
        assert!(!needs_window(&(2000..3000), frames, ahead, 2400));
        // Half the reach left: a new one.
        assert!(needs_window(&(2000..3000), frames, ahead, 2500));
        // A window that reaches the session's end is kept to the end...
        assert!(!needs_window(&(9000..10_000), frames, ahead, 9900));
        // ... and at the end (the opening waiting for the rest) none is made, again and again.
        assert!(!needs_window(&(0..2600), 2600, ahead, 2600));
        assert!(!needs_window(&(9000..10_000), frames, ahead, 10_000));
    }
}
