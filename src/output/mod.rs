//! The only code that touches an audio device and the wall clock: live playback of a program,
//! with a transcript of each spoken line printed as it is spoken.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use crate::plan::{CueKind, Timeline};
use crate::render::{Program, TimelineSource, Transport};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "no audio output: {0}. Tried the default output device (PulseAudio, then ALSA). hint: `hipvoice render ROUTINE -o session.wav` writes the session to a file instead"
    )]
    NoDevice(String),
}

/// How a live session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    Finished,
    /// Stopped by a signal (Ctrl-C, SIGTERM, SIGHUP) at `at`, of `of` frames.
    Interrupted {
        at: u64,
        of: u64,
    },
    /// The rest of the session could not be prepared: the exit code and why.
    Failed(u8, String),
}

/// What the thread preparing a session sends while the device is already open.
pub enum Update {
    /// The session's opening: playback starts on it.
    Opening(Arc<Program>, Timeline),
    /// The whole program and timeline; their first frames are the opening's.
    Whole(Arc<Program>, Timeline),
    /// The exit code and why.
    Failed(u8, String),
}

/// What to tell on stderr with `--verbose`, measured from `since`.
#[derive(Debug, Clone, Copy)]
pub struct Trace {
    pub since: Instant,
    pub verbose: bool,
}

/// Frames the device buffer holds: 46 ms at 22050 Hz. Each buffer costs the audio thread a
/// wake-up: 512 frames doubled the CPU while a hold plays (2.8% of a core against 1.6%,
/// BENCHMARKS.md), and 46 ms is still quick for pause.
const DEVICE_BUFFER_FRAMES: u32 = 1024;

/// Runs `f` with the process's stderr pointed at /dev/null, so ALSA's probing noise does not
/// reach the terminal; our own message about the failure follows.
fn quiet_stderr<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: plain descriptor calls; the saved descriptor is restored and closed.
    unsafe {
        let saved = libc::dup(2);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        if saved < 0 || null < 0 {
            return f();
        }
        libc::dup2(null, 2);
        libc::close(null);
        let out = f();
        libc::dup2(saved, 2);
        libc::close(saved);
        out
    }
}

fn open_device(rate: u32) -> Result<rodio::MixerDeviceSink, OutputError> {
    quiet_stderr(|| {
        // Ask for the timeline's own format first: the sound server converts it, and this
        // process does no resampling while a hold plays.
        let native = |b: rodio::DeviceSinkBuilder| {
            let b = match (std::num::NonZero::new(rate), std::num::NonZero::new(1)) {
                (Some(r), Some(c)) => b.with_sample_rate(r).with_channels(c),
                _ => b,
            };
            b.with_buffer_size(rodio::cpal::BufferSize::Fixed(DEVICE_BUFFER_FRAMES))
                .open_stream()
        };
        let fixed = rodio::DeviceSinkBuilder::from_default_device().and_then(native);
        match fixed {
            Ok(mut sink) => {
                sink.log_on_drop(false);
                Ok(sink)
            }
            Err(_) => rodio::DeviceSinkBuilder::open_default_sink().map(|mut s| {
                s.log_on_drop(false);
                s
            }),
        }
    })
    .map_err(|e| OutputError::NoDevice(e.to_string()))
}

/// Plays a session to the end (or until a signal), printing each spoken line to `transcript`
/// when its first frame is handed to the device. The device is opened at once, at `rate`, while
/// another thread prepares the session and sends its opening, then the whole of it, through
/// `updates`; until the opening arrives the device plays silence.
pub fn play(
    rate: u32,
    updates: Receiver<Update>,
    stop: Arc<AtomicBool>,
    transcript: &mut dyn Write,
    trace: Trace,
) -> Result<Ended, OutputError> {
    let sink = open_device(rate)?;
    if trace.verbose {
        eprintln!(
            "hipvoice: audio device open {} ms after start",
            trace.since.elapsed().as_millis()
        );
    }
    let transport = Transport::growing();
    let mut t = Timeline::default();
    let empty = Arc::new(Program::silence(rate));
    let player = rodio::Player::connect_new(sink.mixer());
    player.append(TimelineSource::new(empty, transport.clone()));

    let mut whole_arrived = false;
    let mut next = 0;
    let mut told_first = false;
    loop {
        if !whole_arrived {
            match updates.try_recv() {
                Ok(Update::Opening(program, opening)) => {
                    transport.offer(program, false);
                    t = opening;
                }
                Ok(Update::Whole(program, whole)) => {
                    transport.offer(program, true);
                    t = whole;
                    whole_arrived = true;
                    if trace.verbose {
                        eprintln!(
                            "hipvoice: the whole session was ready {} ms after start",
                            trace.since.elapsed().as_millis()
                        );
                    }
                }
                Ok(Update::Failed(code, why)) => {
                    transport.stop();
                    player.stop();
                    return Ok(Ended::Failed(code, why));
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    transport.stop();
                    return Ok(Ended::Failed(
                        crate::exit::USAGE_OR_IO,
                        "the session could not be prepared".to_owned(),
                    ));
                }
            }
        }
        if trace.verbose
            && !told_first
            && let Some(at) = transport.first_frame()
        {
            told_first = true;
            eprintln!(
                "hipvoice: first audio frame handed to the device {} ms after start",
                at.saturating_duration_since(trace.since).as_millis()
            );
        }
        let pos = transport.position();
        for cue in t.cues[next..].iter().take_while(|c| c.start <= pos) {
            next += 1;
            if cue.kind == CueKind::Speech {
                // A closed stdout must not stop the session: the person is listening, not reading.
                let _ = writeln!(transcript, "{}", cue.text.as_deref().unwrap_or(""));
                let _ = transcript.flush();
            }
        }
        if stop.load(Ordering::Acquire) {
            transport.stop();
            player.stop();
            return Ok(Ended::Interrupted {
                at: pos,
                of: t.frames,
            });
        }
        if transport.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // The last frames are still in the device's buffer: let them play out before closing it.
    let drain = Instant::now();
    while drain.elapsed() < Duration::from_millis(400) && !stop.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(player);
    drop(sink);
    Ok(Ended::Finished)
}
