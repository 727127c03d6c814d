//! The only code that touches an audio device and the wall clock: live playback of a program,
//! with a transcript of each spoken line printed as it is spoken.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Finished,
    /// Stopped by a signal (Ctrl-C, SIGTERM, SIGHUP) at this frame.
    Interrupted(u64),
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
/// when its first frame is handed to the device.
pub fn play(
    program: Arc<Program>,
    t: &Timeline,
    stop: Arc<AtomicBool>,
    transcript: &mut dyn Write,
) -> Result<Ended, OutputError> {
    let sink = open_device()?;
    let transport = Transport::new();
    let player = rodio::Player::connect_new(sink.mixer());
    player.append(TimelineSource::new(program.clone(), transport.clone()));

    let lines: Vec<(u64, &str)> = t
        .of_kind(CueKind::Speech)
        .map(|c| (c.start, c.text.as_deref().unwrap_or("")))
        .collect();
    let mut next = 0;
    loop {
        let pos = transport.position();
        while next < lines.len() && lines[next].0 <= pos {
            // A closed stdout must not stop the session: the person is listening, not reading.
            let _ = writeln!(transcript, "{}", lines[next].1);
            let _ = transcript.flush();
            next += 1;
        }
        if stop.load(Ordering::Acquire) {
            transport.stop();
            player.stop();
            return Ok(Ended::Interrupted(pos));
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
