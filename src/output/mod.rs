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

/// The rest of a session that started playing on its opening.
pub enum Update {
    /// The whole program and timeline; their first frames are the playing ones.
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

/// Frames the device buffer holds: ~23 ms at 44.1 kHz, short enough for pause to feel immediate.
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

fn open_device() -> Result<rodio::MixerDeviceSink, OutputError> {
    quiet_stderr(|| {
        let fixed = rodio::DeviceSinkBuilder::from_default_device().and_then(|b| {
            b.with_buffer_size(rodio::cpal::BufferSize::Fixed(DEVICE_BUFFER_FRAMES))
                .open_stream()
        });
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

/// Plays a program to the end (or until a signal), printing each spoken line to `transcript`
/// when its first frame is handed to the device. With `rest`, the program is a session's
/// opening and the whole session arrives there while the opening plays.
pub fn play(
    program: Arc<Program>,
    mut t: Timeline,
    rest: Option<Receiver<Update>>,
    stop: Arc<AtomicBool>,
    transcript: &mut dyn Write,
    trace: Trace,
) -> Result<Ended, OutputError> {
    let sink = open_device()?;
    let transport = if rest.is_some() {
        Transport::growing()
    } else {
        Transport::new()
    };
    let player = rodio::Player::connect_new(sink.mixer());
    player.append(TimelineSource::new(program, transport.clone()));

    let mut rest = rest;
    let mut next = 0;
    let mut told_first = false;
    loop {
        if let Some(rx) = &rest {
            match rx.try_recv() {
                Ok(Update::Whole(program, whole)) => {
                    transport.extend(program);
                    t = whole;
                    rest = None;
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
                        2,
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
