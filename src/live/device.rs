//! The audio output as the live loop sees it: open, pulling samples or lost, and opened again
//! when it comes back. The deck plays in it; this module only watches.
//!
//! The device pulls a block every few milliseconds, paused or not. An error it survives
//! passes; a device that has pulled nothing for [`STALL`] is gone (a dead sound server, a
//! removed device, a stream the server dropped while this process was stopped). A wake-up long
//! after the last one means this process itself was stopped (SIGSTOP, a suspend): that time
//! does not count.

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

/// What changed with the output since the last [`Output::watch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It stopped pulling samples; it will be opened again every [`REOPEN_EVERY`].
    Lost,
    /// A new output is open, with a new, empty deck in it: load it with what was playing.
    Back,
    /// It did not come back within [`REOPEN_FOR`].
    Gone,
}

/// The open output (a rodio device sink with the deck in its mixer) and what is known of its
/// health.
pub struct Output {
    rate: u32,
    sink: rodio::MixerDeviceSink,
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
    /// Since when the output has been lost, and when to try opening it again.
    lost: Option<(Instant, Instant)>,
    /// When the output was first lost, until a reopened one plays: an output that opens but
    /// never plays does not get a new ten seconds at every try.
    lost_streak: Option<Instant>,
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
            sink,
            deck: handle,
            errors_out,
            errors,
            blocks_seen: 0,
            progress_at: now,
            last_watch: now,
            error_at: None,
            lost: None,
            lost_streak: None,
        })
    }

    /// True while the output is lost and not yet back.
    pub fn is_lost(&self) -> bool {
        self.lost.is_some()
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
            self.lost_streak = None;
        }
        // The first error of each stream is told; the rest only leave the channel.
        if let Some(e) = self.errors.try_iter().last()
            && self.error_at.is_none()
        {
            self.error_at = Some(here);
            trace.say(format_args!("the audio stream reported: {e}"));
        }
        let stall = if self.blocks_seen == 0 {
            FIRST_PULL
        } else if self.error_at.is_some_and(|t| t >= self.progress_at) {
            STALL_AFTER_ERROR
        } else {
            STALL
        };
        match self.lost {
            None if here.duration_since(self.progress_at) > stall => {
                trace.say("the audio output stopped pulling samples: opening it again");
                let since = *self.lost_streak.get_or_insert(here);
                self.lost = Some((since, here));
                Some(Change::Lost)
            }
            Some((since, next_try)) if here >= next_try => self.reopen(here, since, trace),
            _ => None,
        }
    }

    fn reopen(&mut self, here: Instant, since: Instant, trace: &Trace) -> Option<Change> {
        match output::open_device(self.rate, &self.errors_out) {
            Ok(new_sink) => {
                trace.say(format_args!(
                    "the audio output is back after {} ms",
                    here.duration_since(since).as_millis()
                ));
                let (new_deck, new_handle) = deck::deck(self.rate);
                new_sink.mixer().add(new_deck);
                // The old stream's server is gone: closing it must not hold up the session.
                let old = std::mem::replace(&mut self.sink, new_sink);
                std::thread::spawn(move || drop(old));
                self.deck = new_handle;
                self.blocks_seen = 0;
                self.progress_at = here;
                self.error_at = None;
                // The old stream's last words are not the new one's.
                self.errors.try_iter().for_each(drop);
                self.lost = None;
                Some(Change::Back)
            }
            Err(e) if here.duration_since(since) >= REOPEN_FOR => {
                trace.say(format_args!("the audio output did not come back: {e}"));
                Some(Change::Gone)
            }
            Err(_) => {
                self.lost = Some((since, here + REOPEN_EVERY));
                None
            }
        }
    }
}
