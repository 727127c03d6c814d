//! The live source: a rodio `Source` that yields the program's frames. Its cursor is a frame
//! index that other threads move through atomics (pause, resume, seek, stop), never a lock held
//! across a buffer, and it publishes how far it has played.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

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
    /// A longer program whose frames begin with the playing one's, to be taken up by the audio
    /// thread at its next block (with `try_lock`, so it never waits).
    pending: Mutex<Option<Arc<Program>>>,
    /// False while a longer program is still coming: at the end of the current one the source
    /// waits in silence instead of ending.
    complete: AtomicBool,
    /// When the first frame was handed to the device.
    first_frame: OnceLock<Instant>,
}

impl Transport {
    pub fn new() -> Arc<Transport> {
        Arc::new(Transport {
            seek_to: AtomicU64::new(NO_SEEK),
            complete: AtomicBool::new(true),
            ..Default::default()
        })
    }

    /// A transport whose program will be followed by a longer one (see [`Transport::offer`]).
    pub fn growing() -> Arc<Transport> {
        let t = Transport::new();
        t.complete.store(false, Ordering::Release);
        t
    }

    /// Hands the audio thread a longer program whose first frames are the playing ones;
    /// `complete` when no longer one will follow.
    pub fn offer(&self, program: Arc<Program>, complete: bool) {
        if let Ok(mut p) = self.pending.lock() {
            *p = Some(program);
        }
        self.complete.store(complete, Ordering::Release);
    }

    /// When the first frame went to the device, if it has.
    pub fn first_frame(&self) -> Option<Instant> {
        self.first_frame.get().copied()
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

/// How many frames are mixed at a time on the audio thread. Controls are read once a block,
/// so a command takes effect within 128 frames (6 ms at 22050 Hz) plus the device's buffer.
const BLOCK: usize = 128;

pub struct TimelineSource {
    program: Arc<Program>,
    transport: Arc<Transport>,
    block: [f32; BLOCK],
    /// How many samples of `block` are valid, and the next one to hand out.
    len: usize,
    idx: usize,
    /// The frame after the last one mixed into `block`.
    pos: u64,
}

impl TimelineSource {
    pub fn new(program: Arc<Program>, transport: Arc<Transport>) -> Self {
        let pos = transport.position();
        TimelineSource {
            program,
            transport,
            block: [0.0; BLOCK],
            len: 0,
            idx: 0,
            pos,
        }
    }

    /// Between blocks: reads the controls, takes up a longer program, and mixes the next block.
    /// Returns false when the source has ended.
    fn next_block(&mut self) -> bool {
        let t = &self.transport;
        if t.stopped.load(Ordering::Acquire) {
            t.finished.store(true, Ordering::Release);
            return false;
        }
        let seek = t.seek_to.swap(NO_SEEK, Ordering::AcqRel);
        if seek != NO_SEEK {
            self.pos = seek.min(self.program.frames);
        }
        t.position.store(self.pos, Ordering::Release);
        self.idx = 0;
        self.len = BLOCK;
        if t.paused.load(Ordering::Acquire) {
            // A paused source keeps the device fed with silence; ending it would close it.
            self.block.fill(0.0);
            return true;
        }
        // A longer program (the whole session after its opening) is taken up here; its first
        // frames are the playing ones. `try_lock` never makes the audio thread wait.
        if let Ok(mut pending) = t.pending.try_lock()
            && let Some(p) = pending.take()
        {
            self.program = p;
        }
        if self.pos >= self.program.frames {
            let more = t.pending.try_lock().map_or(true, |p| p.is_some());
            if t.complete.load(Ordering::Acquire) && !more {
                t.finished.store(true, Ordering::Release);
                return false;
            }
            // The rest of the session is still being prepared: wait in silence.
            self.block.fill(0.0);
            return true;
        }
        self.len = (self.program.frames - self.pos).min(BLOCK as u64) as usize;
        self.program.fill(self.pos, &mut self.block[..self.len]);
        self.pos += self.len as u64;
        t.first_frame.get_or_init(Instant::now);
        true
    }
}

impl Iterator for TimelineSource {
    type Item = rodio::Sample;

    #[inline]
    fn next(&mut self) -> Option<rodio::Sample> {
        if self.idx == self.len && !self.next_block() {
            return None;
        }
        let s = self.block[self.idx];
        self.idx += 1;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Cue, CueKind, Timeline};
    use crate::render::SoundBank;
    use crate::voice::{PhraseCache, StandIn};

    fn program(frames: u64, speech_at: &[u64]) -> Program {
        let cues = speech_at
            .iter()
            .map(|&s| Cue {
                kind: CueKind::Speech,
                start: s,
                end: s + 100,
                text: Some("Hi.".into()),
                sound: None,
                exercise: None,
                side: None,
                set: None,
                rep: None,
            })
            .collect();
        let t = Timeline {
            routine: "t".into(),
            sample_rate: 22050,
            frames,
            cues,
        };
        let mut cache = PhraseCache::new(Box::new(StandIn::new(22050)));
        Program::new(&t, &mut cache, &SoundBank::builtin(22050).unwrap(), 1.0).unwrap()
    }

    #[test]
    fn the_source_yields_the_programs_frames_then_ends() {
        let p = Arc::new(program(5000, &[10, 3000]));
        let t = Transport::new();
        let got: Vec<f32> = TimelineSource::new(p.clone(), t.clone()).collect();
        assert_eq!(got, p.render_all());
        assert!(t.is_finished());
    }

    #[test]
    fn pause_holds_the_cursor_and_seek_moves_it() {
        let p = Arc::new(program(5000, &[0, 3000]));
        let t = Transport::new();
        let mut src = TimelineSource::new(p.clone(), t.clone());
        // Controls are read between blocks: take whole blocks.
        let first: Vec<f32> = src.by_ref().take(8 * BLOCK).collect();
        t.pause(true);
        assert!(
            src.by_ref().take(4 * BLOCK).all(|s| s == 0.0),
            "paused: silence"
        );
        assert_eq!(
            t.position(),
            8 * BLOCK as u64,
            "paused: the cursor does not move"
        );
        t.pause(false);
        let next: Vec<f32> = src.by_ref().take(BLOCK).collect();
        assert_eq!(
            next,
            p.render_all()[8 * BLOCK..9 * BLOCK],
            "resumes where it was"
        );
        t.seek(3000);
        let at: Vec<f32> = src.by_ref().take(10).collect();
        assert_eq!(at, p.render_all()[3000..3010]);
        assert_eq!(first, p.render_all()[..8 * BLOCK]);
    }

    #[test]
    fn a_growing_source_waits_for_the_rest_and_then_plays_it() {
        let intro = Arc::new(program(2000, &[0]));
        let whole = Arc::new(program(6000, &[0, 4000]));
        let t = Transport::growing();
        let mut src = TimelineSource::new(intro, t.clone());
        let a: Vec<f32> = src.by_ref().take(2000).collect();
        assert!(
            src.by_ref().take(3 * BLOCK).all(|s| s == 0.0),
            "waits in silence at the opening's end"
        );
        assert!(!t.is_finished());
        assert_eq!(t.position(), 2000);
        t.offer(whole.clone(), true);
        let b: Vec<f32> = src.by_ref().collect();
        assert_eq!(
            [a, b].concat(),
            whole.render_all(),
            "no frame lost or repeated"
        );
        assert!(t.is_finished());
    }
}
