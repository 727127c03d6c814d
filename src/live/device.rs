//! The audio output as the live loop sees it: open, pulling samples or lost, and opened again
//! when it comes back. The deck plays in it; this module only watches.
//!
//! The device pulls a block every few milliseconds, paused or not. An error it survives
//! passes; a device that has pulled nothing for [`STALL`] is gone (a dead sound server, a
//! removed device, a stream the server dropped while this process was stopped). A wake-up long
//! after the last one means this process itself was stopped (SIGSTOP, a suspend): that time
//! does not count. An output opened again is back only once it has held for [`HOLDS_FOR`]: a
//! restarted server that drops the first connections is one loss, and one "the sound is back".

use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use super::Trace;
use super::deck::{self, DeckHandle};
use crate::output::{self, OutputError};

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
/// A wake-up this long after the one before means the process was stopped, not the device.
const ASLEEP: Duration = Duration::from_millis(200);
/// An output opened again is back once it has pulled samples this long without a fault: a
/// restarted sound server may drop the first connections it takes (about 300 ms apart), and
/// the person hears "the sound is back" once, when it holds.
pub const HOLDS_FOR: Duration = Duration::from_millis(1000);

/// What changed with the output since the last [`Output::watch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It stopped pulling samples; it will be opened again every [`REOPEN_EVERY`].
    Lost,
    /// A new output is open and has held for [`HOLDS_FOR`], with a new, empty deck in it:
    /// load it with what was playing.
    Back,
    /// It did not come back within [`REOPEN_FOR`].
    Gone,
}

/// The open output (a rodio device sink with the deck in its mixer) and what is known of its
/// health.
pub struct Output {
    rate: u32,
    /// The open stream: always `Some` until the output is dropped.
    sink: Option<rodio::MixerDeviceSink>,
    /// Steers the deck now playing in `sink`.
    pub deck: DeckHandle,
    /// Where the stream's error callback sends its text, in order.
    errors_out: Sender<String>,
    errors: Receiver<String>,
    /// Blocks the deck had played at the last watch.
    blocks_seen: u64,
    /// When the deck last pulled a block (or the process last woke from a stop).
    progress_at: Instant,
    last_watch: Instant,
    /// When the stream's first error was seen (the rest are not told).
    error_at: Option<Instant>,
    health: Health,
}

impl Drop for Output {
    /// A stream whose server dropped it, or is gone, can block in its close: a lost output is
    /// closed on a thread of its own, so the session ends at once (measured: a stream whose
    /// sink was unloaded blocked the end of the session for good).
    fn drop(&mut self) {
        if let Some(sink) = self.sink.take()
            && self.is_lost()
        {
            std::thread::spawn(move || drop(sink));
        }
    }
}

/// Whether the output plays, and since when it has not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Playing,
    /// Lost since `since` (the first loss: an output that opens but never holds does not get
    /// a new ten seconds at every try); opened again at `next_try`.
    Lost {
        since: Instant,
        next_try: Instant,
    },
    /// Opened again, not yet held for [`HOLDS_FOR`]: pulling since `pulling`, once it pulls.
    Trial {
        since: Instant,
        pulling: Option<Instant>,
    },
}

impl Output {
    /// Opens the default output at `rate` frames per second with a new deck in it.
    ///
    /// Errors: no device could be opened ([`output::open_device`]).
    pub fn open(rate: u32) -> Result<Output, OutputError> {
        let (errors_out, errors) = mpsc::channel::<String>();
        let sink = output::open_device(rate, &errors_out)?;
        let (d, handle) = deck::deck(rate);
        sink.mixer().add(d);
        let now = Instant::now();
        Ok(Output {
            rate,
            sink: Some(sink),
            deck: handle,
            errors_out,
            errors,
            blocks_seen: 0,
            progress_at: now,
            last_watch: now,
            error_at: None,
            health: Health::Playing,
        })
    }

    /// True while the output is lost and not yet back.
    pub fn is_lost(&self) -> bool {
        self.health != Health::Playing
    }

    /// Looks at the output at `here` (called once a loop turn): tells its first stream error
    /// on the trace, notices a stall, and while lost opens it again when it is time.
    pub fn watch(&mut self, here: Instant, trace: &Trace) -> Option<Change> {
        if here.duration_since(self.last_watch) > ASLEEP {
            self.progress_at = here;
        }
        self.last_watch = here;
        if self.deck.blocks() != self.blocks_seen {
            self.blocks_seen = self.deck.blocks();
            self.progress_at = here;
        }
        // The first error of each stream is told; the rest only leave the channel.
        if let Some(e) = self.errors.try_iter().last()
            && self.error_at.is_none()
        {
            self.error_at = Some(here);
            trace.say(format_args!("the audio stream reported: {e}"));
        }
        // A stream that reported an error and pulled nothing since is taken for lost soon,
        // even one that never pulled at all (a server that drops a stream it just took).
        let stall = if self.error_at.is_some_and(|t| t >= self.progress_at) {
            STALL_AFTER_ERROR
        } else if self.blocks_seen == 0 {
            FIRST_PULL
        } else {
            STALL
        };
        let stalled = here.duration_since(self.progress_at) > stall;
        match self.health {
            Health::Playing if stalled => {
                trace.say("the audio output stopped pulling samples: opening it again");
                self.health = Health::Lost {
                    since: here,
                    next_try: here,
                };
                Some(Change::Lost)
            }
            Health::Playing => None,
            Health::Lost { since, next_try } if here >= next_try => self.reopen(here, since, trace),
            Health::Lost { .. } => None,
            Health::Trial { since, .. } if stalled => {
                trace.say("the audio output opened again did not hold");
                if here.duration_since(since) >= REOPEN_FOR {
                    return Some(Change::Gone);
                }
                self.health = Health::Lost {
                    since,
                    next_try: here + REOPEN_EVERY,
                };
                None
            }
            Health::Trial { since, pulling } => {
                if self.blocks_seen == 0 {
                    return None;
                }
                let from = pulling.unwrap_or_else(|| {
                    trace.say(format_args!(
                        "the audio output opened again pulls samples after {} ms",
                        here.duration_since(since).as_millis()
                    ));
                    here
                });
                if here.duration_since(from) < HOLDS_FOR {
                    self.health = Health::Trial {
                        since,
                        pulling: Some(from),
                    };
                    return None;
                }
                trace.say(format_args!(
                    "the audio output is back after {} ms",
                    here.duration_since(since).as_millis()
                ));
                self.health = Health::Playing;
                Some(Change::Back)
            }
        }
    }

    fn reopen(&mut self, here: Instant, since: Instant, trace: &Trace) -> Option<Change> {
        match output::open_device(self.rate, &self.errors_out) {
            Ok(new_sink) => {
                trace.say(format_args!(
                    "the audio output opened again after {} ms",
                    here.duration_since(since).as_millis()
                ));
                let (new_deck, new_handle) = deck::deck(self.rate);
                new_sink.mixer().add(new_deck);
                // The old stream's server is gone: closing it must not hold up the session.
                let old = self.sink.replace(new_sink);
                std::thread::spawn(move || drop(old));
                self.deck = new_handle;
                self.blocks_seen = 0;
                self.progress_at = here;
                self.error_at = None;
                // The old stream's last words are not the new one's.
                self.errors.try_iter().for_each(drop);
                self.health = Health::Trial {
                    since,
                    pulling: None,
                };
                None
            }
            Err(e) if here.duration_since(since) >= REOPEN_FOR => {
                trace.say(format_args!("the audio output did not come back: {e}"));
                Some(Change::Gone)
            }
            Err(_) => {
                self.health = Health::Lost {
                    since,
                    next_try: here + REOPEN_EVERY,
                };
                None
            }
        }
    }
}
