//! The live source: a rodio `Source` that yields the program's frames. Its cursor is a frame
//! index that other threads move through atomics (pause, resume, seek, stop), never a lock held
//! across a buffer, and it publishes how far it has played.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rodio::{ChannelCount, SampleRate, Source};

use crate::render::Program;

const NO_SEEK: u64 = u64::MAX;

/// Shared between the audio thread and the rest of the program.
#[derive(Debug, Default)]
pub struct Transport {
    /// The next frame the source will produce.
    position: AtomicU64,
    paused: AtomicBool,
    stopped: AtomicBool,
    finished: AtomicBool,
    seek_to: AtomicU64,
}

impl Transport {
    pub fn new() -> Arc<Transport> {
        Arc::new(Transport {
            seek_to: AtomicU64::new(NO_SEEK),
            ..Default::default()
        })
    }

    pub fn position(&self) -> u64 {
        self.position.load(Ordering::Acquire)
    }

    pub fn pause(&self, paused: bool) {
        self.paused.store(paused, Ordering::Release);
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Acquire)
    }

    /// Moves the cursor; the audio thread picks it up at its next sample.
    pub fn seek(&self, frame: u64) {
        self.seek_to.store(frame, Ordering::Release);
    }

    /// Ends the source at its next sample.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    /// True once the source has produced its last frame.
    pub fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }
}

/// How many frames are mixed at a time on the audio thread.
const BLOCK: usize = 256;

pub struct TimelineSource {
    program: Arc<Program>,
    transport: Arc<Transport>,
    block: [f32; BLOCK],
    /// The frame `block[0]` holds, or `NO_SEEK` when the block is stale.
    block_start: u64,
    pos: u64,
}

impl TimelineSource {
    pub fn new(program: Arc<Program>, transport: Arc<Transport>) -> Self {
        let pos = transport.position();
        TimelineSource {
            program,
            transport,
            block: [0.0; BLOCK],
            block_start: NO_SEEK,
            pos,
        }
    }
}

impl Iterator for TimelineSource {
    type Item = rodio::Sample;

    fn next(&mut self) -> Option<rodio::Sample> {
        let t = &self.transport;
        if t.stopped.load(Ordering::Acquire) {
            t.finished.store(true, Ordering::Release);
            return None;
        }
        let seek = t.seek_to.swap(NO_SEEK, Ordering::AcqRel);
        if seek != NO_SEEK {
            self.pos = seek.min(self.program.frames);
            self.block_start = NO_SEEK;
            t.position.store(self.pos, Ordering::Release);
        }
        if t.paused.load(Ordering::Acquire) {
            // A paused source keeps the device fed with silence; returning None would end it.
            return Some(0.0);
        }
        if self.pos >= self.program.frames {
            t.finished.store(true, Ordering::Release);
            return None;
        }
        if self.block_start == NO_SEEK
            || self.pos < self.block_start
            || self.pos >= self.block_start + BLOCK as u64
        {
            self.block_start = self.pos;
            self.program.fill(self.pos, &mut self.block);
        }
        let s = self.block[(self.pos - self.block_start) as usize];
        self.pos += 1;
        t.position.store(self.pos, Ordering::Release);
        Some(s)
    }
}

impl Source for TimelineSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }

    fn channels(&self) -> ChannelCount {
        ChannelCount::new(1).expect("one channel")
    }

    fn sample_rate(&self) -> SampleRate {
        SampleRate::new(self.program.rate).expect("a program has a rate")
    }

    fn total_duration(&self) -> Option<Duration> {
        Some(Duration::from_secs_f64(
            self.program.frames as f64 / f64::from(self.program.rate),
        ))
    }
}
