//! Adapters to the world: the audio device, the terminal's keys, media buttons over D-Bus,
//! signals.
//! They only turn the world into events or carry out actions; the live runtime (`live`)
//! decides what happens.

pub mod keys;
pub mod media;
pub mod signals;

use std::sync::mpsc;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("no audio output: {0}. Tried the default output device (PulseAudio, then ALSA)")]
    NoDevice(String),
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

/// Opens the default output at `rate`, mono, with a 1024-frame buffer (falling back to the
/// device's own format, which rodio converts). ALSA's probing noise is kept off the terminal.
/// When the stream reports an error, its text is sent to `error`: a channel, so the stream's
/// thread never waits on a lock the loop holds. Some errors pass (a stalled process, an
/// underrun); after others (the sound server died, the device went away) the stream stops
/// pulling samples: the caller tells them apart by watching the stream.
pub fn open_device(
    rate: u32,
    error: &mpsc::Sender<String>,
) -> Result<rodio::MixerDeviceSink, OutputError> {
    let on_error = || {
        let e = error.clone();
        move |err: rodio::cpal::Error| {
            // The loop gone (the session is ending) is not an error of the stream's.
            let _ = e.send(err.to_string());
        }
    };
    quiet_stderr(|| {
        // Ask for the timeline's own format first: the sound server converts it, and this
        // process does no resampling while a hold plays.
        let native = |b: rodio::DeviceSinkBuilder| {
            let b = match (std::num::NonZero::new(rate), std::num::NonZero::new(1)) {
                (Some(r), Some(c)) => b.with_sample_rate(r).with_channels(c),
                _ => b,
            };
            b.with_buffer_size(rodio::cpal::BufferSize::Fixed(DEVICE_BUFFER_FRAMES))
                .with_error_callback(on_error())
                .open_stream()
        };
        let opened = rodio::DeviceSinkBuilder::from_default_device()
            .and_then(native)
            .or_else(|_| {
                rodio::DeviceSinkBuilder::from_default_device()
                    .and_then(|b| b.with_error_callback(on_error()).open_stream())
            });
        opened.map(|mut sink| {
            sink.log_on_drop(false);
            sink
        })
    })
    .map_err(|e| OutputError::NoDevice(e.to_string()))
}
