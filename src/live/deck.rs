//! The deck: the audio side of a live session. A rodio `Source` that plays a [`Program`] from a
//! frame cursor, with pause, gain, a gate and an overlay lane, steered by a [`DeckHandle`].
//!
//! Invariants (tested below):
//! - The audio thread never locks, allocates or frees, from the first sample to the stream's
//!   teardown (`tests/deck_memory.rs` counts it under a global allocator through a whole
//!   session). Commands arrive through a lock-free single-producer ring buffer ([`rtrb`]); a
//!   program or clip it lets go of leaves through another ring buffer, to be freed by
//!   [`DeckHandle::collect`] on the control thread. That ring never fills: the handle sends
//!   no more loads and overlays than it has room for (each lets go of at most one thing).
//! - The deck never ends by itself, not even when stopped: an ended source would be dropped
//!   (freed) by rodio's mixer on the audio thread. A stopped deck lets go of its program and
//!   clip and plays silence until its owner drops the stream.
//! - One [`DeckCmd`] is applied whole at one block boundary: a new program, a seek and a gate
//!   sent together take effect on the same frame.
//! - The cursor never passes the gate frame; while it waits there the timeline is silent and
//!   the overlay lane still plays. Paused, the cursor stands still; the overlay still plays.
//! - Gain (0.0 to 1.0) scales everything the deck plays, the overlay included.
//! - An overlay clip counts as heard once [`HEARD_FRAMES`] of it (or all of a shorter one) have
//!   been mixed ([`DeckHandle::overlay_heard`]); one cut before that was not heard, and the
//!   transcript does not print it.
//! - The stream opens on [`PRE_ROLL_SECS`] (50 ms) of silence, which the opening's synthesis
//!   takes anyway: whatever a sound server or device does to the first samples of a new
//!   stream (a fade, a dropped fragment), it never does to the session's first word.
//! - At the program's end it plays silence and says so through [`DeckHandle::finished`];
//!   after [`DeckCmd::stop`] it plays silence and says so through [`DeckHandle::ended`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rodio::{ChannelCount, SampleRate, Source};

use crate::render::Program;
use crate::voice::Samples;

/// How many frames are mixed at a time. Commands are read once a block, so one takes effect
/// within 128 frames (5.8 ms at 22050 Hz) plus the device's buffer.
pub const BLOCK: usize = 128;

/// Frames of an overlay clip that make it heard: 0.2 s at 22,050 Hz, about a syllable. A clip
/// cut sooner (a key pressed right after another) was a click, not a word.
pub const HEARD_FRAMES: usize = 4410;

/// Frames of a clip of `len` frames that make it heard ([`HEARD_FRAMES`], or all of a shorter
/// one, at least 1): the one rule for an answer (this deck's overlays) and for a planned line
/// (the conductor's transcript).
pub fn heard_after(len: u64) -> u64 {
    (HEARD_FRAMES as u64).min(len).max(1)
}

/// Silence at the start of every stream, before the timeline may play (seconds).
pub const PRE_ROLL_SECS: f64 = 0.05;

/// Room for commands in flight: the control thread sends a few per key press.
const INBOX: usize = 64;
/// Room for programs and clips waiting to be freed; drained every few milliseconds.
pub const OUTBOX: usize = 256;

/// One group of changes, applied together at the next block boundary. Every field is
/// optional; what is `None` stays as it was.
#[derive(Debug, Default)]
pub struct DeckCmd {
    /// A new program. Its first frames need not match the old one.
    pub load: Option<Arc<Program>>,
    /// A mark the deck reports with its position from this command on, so the control
    /// thread can tell reports made before a load or seek from those after it.
    pub mark: Option<u16>,
    /// When a program is loaded: true if no other will follow, so its end is the session's end.
    pub complete: Option<bool>,
    /// Move the cursor to this frame (of the program after `load`).
    pub seek: Option<u64>,
    /// `Some(Some(f))`: the cursor will not pass frame `f`; `Some(None)`: release the gate.
    pub gate: Option<Option<u64>>,
    /// Play this clip on the overlay lane now, cutting any clip still playing there.
    pub overlay: Option<Samples>,
    pub pause: Option<bool>,
    /// 0.0 to 1.0.
    pub gain: Option<f32>,
    /// Let go of the program and any clip (to be collected) and play silence from now on.
    pub stop: bool,
}

impl DeckCmd {
    /// True when the command changes nothing.
    pub fn is_empty(&self) -> bool {
        self.load.is_none()
            && self.mark.is_none()
            && self.complete.is_none()
            && self.seek.is_none()
            && self.gate.is_none()
            && self.overlay.is_none()
            && self.pause.is_none()
            && self.gain.is_none()
            && !self.stop
    }

    /// How many things the deck may let go of because of this command: the program a load
    /// replaces, the clip an overlay will be once it ends or is cut, and the last program a
    /// stop lets go of.
    fn may_retire(&self) -> usize {
        usize::from(self.load.is_some())
            + usize::from(self.overlay.is_some())
            + usize::from(self.stop)
    }
}

/// What the audio thread lets go of, to be freed elsewhere.
enum Retired {
    // Held only to be dropped on the control thread.
    Program(#[allow(dead_code)] Arc<Program>),
    Clip(#[allow(dead_code)] Samples),
}

/// What the audio thread publishes.
#[derive(Debug, Default)]
struct Published {
    /// The next frame to mix (low 48 bits) and the last mark (high 16 bits), in one word so
    /// a reader never pairs a frame with the wrong load or seek.
    position: AtomicU64,
    /// How many overlay clips have played to their end (or been cut).
    overlays_done: AtomicU32,
    overlay_playing: AtomicBool,
    /// Bit `k % 64` set once overlay clip `k` (counted from 1 as received) was heard
    /// ([`HEARD_FRAMES`]); cleared when clip `k` arrives.
    overlays_heard: AtomicU64,
    /// At the end of a complete program.
    finished: AtomicBool,
    /// Blocks handed to the device so far: a stream that still pulls samples counts up,
    /// paused or not.
    blocks: AtomicU64,
    ended: AtomicBool,
    /// Nanoseconds after `epoch` when the first program frame was mixed; 0 before.
    first_frame_ns: AtomicU64,
}

const FRAME_BITS: u32 = 48;
const FRAME_MASK: u64 = (1 << FRAME_BITS) - 1;

fn pack(frame: u64, mark: u16) -> u64 {
    (u64::from(mark) << FRAME_BITS) | (frame & FRAME_MASK)
}

/// The control thread's side of a deck.
pub struct DeckHandle {
    inbox: rtrb::Producer<DeckCmd>,
    outbox: rtrb::Consumer<Retired>,
    /// Things the deck may still let go of for the commands sent so far (plus its first
    /// program and, when stopped, what it holds), minus those collected: kept at most
    /// [`OUTBOX`], so the deck's push into the outbox never fails.
    retiring: usize,
    published: Arc<Published>,
    epoch: Instant,
    /// Keeps the deck's empty program alive, so the deck never drops its last reference.
    _silence: Arc<Program>,
}

/// Where the deck's cursor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The next frame to be mixed.
    pub frame: u64,
    /// The mark of the last command that carried one.
    pub mark: u16,
}

impl DeckHandle {
    /// Sends one group of changes. Fails (giving the command back) only when the audio thread
    /// has stopped pulling samples: 64 commands are already waiting, or 256 programs and clips
    /// it let go of are still to be freed even after collecting them.
    pub fn send(&mut self, cmd: DeckCmd) -> Result<(), DeckCmd> {
        if cmd.is_empty() {
            return Ok(());
        }
        let n = cmd.may_retire();
        if self.retiring + n > OUTBOX {
            self.collect();
            if self.retiring + n > OUTBOX {
                return Err(cmd);
            }
        }
        self.inbox.push(cmd).map_err(|rtrb::PushError::Full(c)| c)?;
        self.retiring += n;
        Ok(())
    }

    /// Frees what the audio thread has let go of. Call it now and then on the control thread.
    pub fn collect(&mut self) {
        while self.outbox.pop().is_ok() {
            self.retiring = self.retiring.saturating_sub(1);
        }
    }

    pub fn position(&self) -> Position {
        let p = self.published.position.load(Ordering::Acquire);
        Position {
            frame: p & FRAME_MASK,
            mark: (p >> FRAME_BITS) as u16,
        }
    }

    /// How many overlay clips have ended so far.
    pub fn overlays_done(&self) -> u32 {
        self.published.overlays_done.load(Ordering::Acquire)
    }

    /// Whether overlay clip `k` (counted from 1 in the order sent to this deck, among the last
    /// 64) has been heard: [`HEARD_FRAMES`] of it mixed. Read [`Self::overlays_done`] first: a
    /// clip counted done and not heard here was cut before it was heard.
    pub fn overlay_heard(&self, k: u32) -> bool {
        self.published.overlays_heard.load(Ordering::Acquire) & (1u64 << (k % 64)) != 0
    }

    pub fn overlay_playing(&self) -> bool {
        self.published.overlay_playing.load(Ordering::Acquire)
    }

    /// True once the cursor is at the end of a complete program.
    pub fn finished(&self) -> bool {
        self.published.finished.load(Ordering::Acquire)
    }

    /// How many blocks the device has pulled: it stops counting only when the stream has.
    pub fn blocks(&self) -> u64 {
        self.published.blocks.load(Ordering::Acquire)
    }

    /// True once the deck has stopped: it has let go of everything and plays silence.
    pub fn ended(&self) -> bool {
        self.published.ended.load(Ordering::Acquire)
    }

    /// When the first frame of a program was mixed, if it has been.
    pub fn first_frame(&self) -> Option<Instant> {
        match self.published.first_frame_ns.load(Ordering::Acquire) {
            0 => None,
            ns => Some(self.epoch + Duration::from_nanos(ns)),
        }
    }
}

/// The audio thread's side: a rodio `Source` of mono samples at the program's rate.
pub struct Deck {
    program: Arc<Program>,
    /// An empty program the handle holds too: what a stopped deck plays, so that letting go
    /// of the last program never drops a last reference here.
    silence: Arc<Program>,
    mark: u16,
    complete: bool,
    inbox: rtrb::Consumer<DeckCmd>,
    outbox: rtrb::Producer<Retired>,
    published: Arc<Published>,
    epoch: Instant,
    rate: u32,
    pos: u64,
    gate: Option<u64>,
    paused: bool,
    gain: f32,
    stopped: bool,
    overlay: Option<(Samples, usize)>,
    /// Overlay clips received so far: the number of the one playing.
    overlays_received: u32,
    block: [f32; BLOCK],
    idx: usize,
    /// Blocks of the stream's opening silence still to play.
    pre_roll: u64,
}

/// A deck playing silence at `rate` until a program is loaded, and its handle.
pub fn deck(rate: u32) -> (Deck, DeckHandle) {
    let (in_tx, in_rx) = rtrb::RingBuffer::new(INBOX);
    let (out_tx, out_rx) = rtrb::RingBuffer::new(OUTBOX);
    let published = Arc::new(Published::default());
    let epoch = Instant::now();
    let silence = Arc::new(Program::silence(rate));
    let d = Deck {
        program: silence.clone(),
        silence: silence.clone(),
        mark: 0,
        complete: false,
        inbox: in_rx,
        outbox: out_tx,
        published: published.clone(),
        epoch,
        rate,
        pos: 0,
        gate: None,
        paused: false,
        gain: 1.0,
        stopped: false,
        overlay: None,
        overlays_received: 0,
        block: [0.0; BLOCK],
        idx: BLOCK,
        pre_roll: (PRE_ROLL_SECS * f64::from(rate) / BLOCK as f64).ceil() as u64,
    };
    let h = DeckHandle {
        inbox: in_tx,
        outbox: out_rx,
        retiring: 0,
        published,
        epoch,
        _silence: silence,
    };
    (d, h)
}

impl Deck {
    fn retire(&mut self, r: Retired) {
        // The handle sends no more than the outbox holds, so this never fails. If it did, the
        // thing would be kept (leaked) rather than freed on the audio thread.
        if let Err(rtrb::PushError::Full(r)) = self.outbox.push(r) {
            debug_assert!(false, "the deck's outbox is full");
            std::mem::forget(r);
        }
    }

    fn apply(&mut self, cmd: DeckCmd) {
        if let Some(program) = cmd.load {
            let old = std::mem::replace(&mut self.program, program);
            self.retire(Retired::Program(old));
        }
        if let Some(m) = cmd.mark {
            self.mark = m;
        }
        if let Some(c) = cmd.complete {
            self.complete = c;
        }
        if let Some(f) = cmd.seek {
            self.pos = f.min(self.program.frames);
        }
        if let Some(g) = cmd.gate {
            self.gate = g;
        }
        if let Some(clip) = cmd.overlay {
            self.overlays_received = self.overlays_received.wrapping_add(1);
            let bit = 1u64 << (self.overlays_received % 64);
            self.published
                .overlays_heard
                .fetch_and(!bit, Ordering::AcqRel);
            if let Some((old, _)) = self.overlay.replace((clip, 0)) {
                self.published.overlays_done.fetch_add(1, Ordering::AcqRel);
                self.retire(Retired::Clip(old));
            }
            self.published
                .overlay_playing
                .store(true, Ordering::Release);
        }
        if let Some(p) = cmd.pause {
            self.paused = p;
        }
        if let Some(g) = cmd.gain {
            self.gain = g.clamp(0.0, 1.0);
        }
        if cmd.stop && !self.stopped {
            self.stopped = true;
            let old = std::mem::replace(&mut self.program, self.silence.clone());
            self.retire(Retired::Program(old));
            if let Some((clip, _)) = self.overlay.take() {
                self.published.overlays_done.fetch_add(1, Ordering::AcqRel);
                self.published
                    .overlay_playing
                    .store(false, Ordering::Release);
                self.retire(Retired::Clip(clip));
            }
            self.published.ended.store(true, Ordering::Release);
        }
    }

    /// Reads the commands, then mixes the next block.
    fn next_block(&mut self) {
        while let Ok(cmd) = self.inbox.pop() {
            self.apply(cmd);
        }
        self.published.blocks.fetch_add(1, Ordering::Release);
        self.block.fill(0.0);
        self.idx = 0;
        if self.stopped {
            return;
        }

        // The timeline: up to the gate, the program's end, or not at all while paused.
        let limit = self.gate.unwrap_or(u64::MAX).min(self.program.frames);
        if self.pre_roll > 0 {
            self.pre_roll -= 1;
        } else if !self.paused && self.pos < limit {
            let n = (limit - self.pos).min(BLOCK as u64) as usize;
            self.program.fill(self.pos, &mut self.block[..n]);
            self.pos += n as u64;
            if self.published.first_frame_ns.load(Ordering::Relaxed) == 0 {
                let ns = self.epoch.elapsed().as_nanos().max(1) as u64;
                self.published.first_frame_ns.store(ns, Ordering::Release);
            }
        }
        self.published
            .position
            .store(pack(self.pos, self.mark), Ordering::Release);
        let at_end = self.complete && self.pos >= self.program.frames;
        self.published.finished.store(at_end, Ordering::Release);

        // The overlay lane, mixed over whatever the timeline gave.
        if let Some((clip, at)) = &mut self.overlay {
            let n = (clip.len() - *at).min(BLOCK);
            for (o, s) in self.block[..n].iter_mut().zip(&clip[*at..*at + n]) {
                *o += *s;
            }
            let heard = heard_after(clip.len() as u64) as usize;
            if *at < heard && *at + n >= heard {
                // Before the clip can count as done, so a reader of both sees this.
                let bit = 1u64 << (self.overlays_received % 64);
                self.published
                    .overlays_heard
                    .fetch_or(bit, Ordering::AcqRel);
            }
            *at += n;
            if *at >= clip.len()
                && let Some((done, _)) = self.overlay.take()
            {
                self.published.overlays_done.fetch_add(1, Ordering::AcqRel);
                self.published
                    .overlay_playing
                    .store(false, Ordering::Release);
                self.retire(Retired::Clip(done));
            }
        }
        let g = self.gain;
        for s in self.block.iter_mut() {
            *s = (*s * g).clamp(-1.0, 1.0);
        }
    }
}

impl Iterator for Deck {
    type Item = rodio::Sample;

    #[inline]
    fn next(&mut self) -> Option<rodio::Sample> {
        if self.idx == BLOCK {
            self.next_block();
        }
        let s = self.block[self.idx];
        self.idx += 1;
        Some(s)
    }
}

impl Source for Deck {
    fn current_span_len(&self) -> Option<usize> {
        None
    }

    fn channels(&self) -> ChannelCount {
        ChannelCount::new(1).expect("one channel")
    }

    fn sample_rate(&self) -> SampleRate {
        SampleRate::new(self.rate).expect("a deck has a rate")
    }

    fn total_duration(&self) -> Option<Duration> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Cue, CueKind, Timeline};
    use crate::render::SoundBank;
    use crate::voice::{PhraseCache, StandIn};

    fn program(frames: u64, speech_at: &[u64]) -> Arc<Program> {
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
                round: None,
                step: None,
                live_only: false,
                sides_are: Default::default(),
            })
            .collect();
        let t = Timeline {
            routine: "t".into(),
            sample_rate: 22050,
            frames,
            cues,
            doses: Vec::new(),
        };
        let mut cache = PhraseCache::new(Box::new(StandIn::new(22050)));
        Arc::new(Program::new(&t, &mut cache, &SoundBank::builtin(22050).unwrap()).unwrap())
    }

    fn take(d: &mut Deck, n: usize) -> Vec<f32> {
        d.by_ref().take(n).collect()
    }

    /// A new deck with `p` loaded as the whole session, the stream's opening silence still to
    /// play.
    fn opening(p: &Arc<Program>) -> (Deck, DeckHandle) {
        let (d, mut h) = deck(22050);
        h.send(DeckCmd {
            load: Some(p.clone()),
            mark: Some(1),
            complete: Some(true),
            ..Default::default()
        })
        .unwrap();
        (d, h)
    }

    /// `opening`, past the opening silence: the next block is the program's first.
    fn loaded(p: &Arc<Program>) -> (Deck, DeckHandle) {
        let (mut d, h) = opening(p);
        // The first block is read before any command: start on a fresh block.
        d.idx = BLOCK;
        d.pre_roll = 0;
        (d, h)
    }

    #[test]
    fn a_stream_opens_on_silence_before_the_first_frame() {
        let p = program(5000, &[0, 3000]);
        let (mut d, h) = opening(&p);
        let pre = (PRE_ROLL_SECS * 22050.0 / BLOCK as f64).ceil() as usize * BLOCK;
        assert!(pre >= 1102, "at least 50 ms");
        let opening = take(&mut d, pre);
        assert!(opening.iter().all(|&s| s == 0.0), "silence first");
        assert_eq!(h.position().frame, 0, "the timeline waits");
        let got = take(&mut d, 5000);
        assert_eq!(got, p.render_all(), "then every frame, from the first");
    }

    #[test]
    fn plays_the_programs_frames_then_silence_and_says_it_finished() {
        let p = program(5000, &[10, 3000]);
        let (mut d, h) = loaded(&p);
        let got = take(&mut d, 5000);
        assert_eq!(got, p.render_all());
        assert!(take(&mut d, 3 * BLOCK).iter().all(|&s| s == 0.0));
        assert!(h.finished());
        assert_eq!(h.position().mark, 1);
    }

    #[test]
    fn pause_holds_the_cursor_and_seek_moves_it() {
        let p = program(5000, &[0, 3000]);
        let (mut d, mut h) = loaded(&p);
        let first = take(&mut d, 8 * BLOCK);
        assert_eq!(first, p.render_all()[..8 * BLOCK]);
        h.send(DeckCmd {
            pause: Some(true),
            ..Default::default()
        })
        .unwrap();
        assert!(take(&mut d, 4 * BLOCK).iter().all(|&s| s == 0.0));
        assert_eq!(h.position().frame, 8 * BLOCK as u64);
        h.send(DeckCmd {
            pause: Some(false),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(take(&mut d, BLOCK), p.render_all()[8 * BLOCK..9 * BLOCK]);
        h.send(DeckCmd {
            seek: Some(3000),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(take(&mut d, 10), p.render_all()[3000..3010]);
    }

    /// An answer counts as heard once HEARD_FRAMES of it have been mixed; one cut before that
    /// was not; a clip shorter than that is heard once it has all played.
    #[test]
    fn an_overlay_is_heard_after_its_first_fifth_of_a_second_and_not_when_cut_before() {
        let p = program(50_000, &[]);
        let (mut d, mut h) = loaded(&p);
        let long = |n: usize| -> Samples { vec![0.1f32; n].into() };
        h.send(DeckCmd {
            overlay: Some(long(20_000)),
            ..Default::default()
        })
        .unwrap();
        take(&mut d, HEARD_FRAMES - BLOCK);
        assert!(!h.overlay_heard(1), "not yet");
        take(&mut d, BLOCK);
        assert!(h.overlay_heard(1));
        assert_eq!(h.overlays_done(), 0, "heard before it is done");
        // The second is cut by the third after two blocks: done, never heard.
        h.send(DeckCmd {
            overlay: Some(long(20_000)),
            ..Default::default()
        })
        .unwrap();
        take(&mut d, 2 * BLOCK);
        h.send(DeckCmd {
            overlay: Some(long(300)),
            ..Default::default()
        })
        .unwrap();
        take(&mut d, BLOCK);
        assert_eq!(h.overlays_done(), 2);
        assert!(!h.overlay_heard(2), "cut after two blocks");
        assert!(!h.overlay_heard(3), "300 frames, not all played yet");
        take(&mut d, 2 * BLOCK);
        assert_eq!(h.overlays_done(), 3);
        assert!(h.overlay_heard(3), "a short clip played to its end");
        assert!(h.overlay_heard(1), "the first is still told");
    }

    #[test]
    fn the_cursor_waits_at_the_gate_while_the_overlay_plays() {
        let p = program(5000, &[0, 1000]);
        let (mut d, mut h) = loaded(&p);
        let clip: Samples = vec![0.25f32; 700].into();
        h.send(DeckCmd {
            gate: Some(Some(1000)),
            overlay: Some(clip),
            ..Default::default()
        })
        .unwrap();
        let out = take(&mut d, 8 * BLOCK);
        let want = p.render_all();
        // The first 700 frames: the program and the overlay mixed.
        for i in 0..700 {
            assert!((out[i] - (want[i] + 0.25).clamp(-1.0, 1.0)).abs() < 1e-6);
        }
        // Then the program up to the gate, then silence: the cursor does not pass frame 1000.
        assert_eq!(out[700..1000], want[700..1000]);
        assert!(out[1000..].iter().all(|&s| s == 0.0));
        assert_eq!(h.position().frame, 1000);
        assert_eq!(h.overlays_done(), 1);
        assert!(!h.overlay_playing());
        h.send(DeckCmd {
            gate: Some(None),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(take(&mut d, BLOCK), want[1000..1000 + BLOCK]);
    }

    #[test]
    fn a_load_and_a_seek_sent_together_take_effect_on_one_frame() {
        let a = program(5000, &[0, 128 * 4]);
        let b = program(9000, &[0, 4000]);
        let (mut d, mut h) = loaded(&a);
        take(&mut d, 2 * BLOCK);
        h.send(DeckCmd {
            load: Some(b.clone()),
            mark: Some(2),
            seek: Some(3990),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(take(&mut d, BLOCK), b.render_all()[3990..3990 + BLOCK]);
        assert_eq!(
            h.position(),
            Position {
                frame: 3990 + BLOCK as u64,
                mark: 2
            }
        );
        // The old program went out to be freed on this thread.
        let before = Arc::strong_count(&a);
        h.collect();
        assert_eq!(Arc::strong_count(&a), before - 1);
    }

    #[test]
    fn gain_scales_the_timeline_and_the_overlay() {
        let p = program(3000, &[0]);
        let (mut d, mut h) = loaded(&p);
        h.send(DeckCmd {
            gain: Some(0.5),
            overlay: Some(vec![0.4f32; 50].into()),
            ..Default::default()
        })
        .unwrap();
        let out = take(&mut d, BLOCK);
        let want = p.render_all();
        for i in 0..BLOCK {
            let o = if i < 50 { 0.4 } else { 0.0 };
            assert!((out[i] - (want[i] + o) * 0.5).abs() < 1e-6, "frame {i}");
        }
    }

    #[test]
    fn stop_lets_go_of_everything_and_plays_silence_without_ending() {
        let p = program(3000, &[0]);
        let (mut d, mut h) = loaded(&p);
        h.send(DeckCmd {
            overlay: Some(vec![0.3f32; 5000].into()),
            ..Default::default()
        })
        .unwrap();
        take(&mut d, BLOCK);
        assert!(h.overlay_playing());
        let held = Arc::strong_count(&p);
        h.send(DeckCmd {
            stop: true,
            ..Default::default()
        })
        .unwrap();
        // An ended source would be dropped on the audio thread: it plays silence instead.
        let after = take(&mut d, 4 * BLOCK);
        assert_eq!(after.len(), 4 * BLOCK);
        assert!(after.iter().all(|&s| s == 0.0));
        assert!(h.ended());
        assert!(!h.overlay_playing());
        // The program went out to be freed on this thread, not with the deck.
        h.collect();
        assert_eq!(Arc::strong_count(&p), held - 1);
        assert_eq!(h.retiring, 0, "the stop and the overlay were both counted");
    }

    #[test]
    fn the_handle_never_sends_more_than_the_outbox_can_take_back() {
        let p = program(3000, &[0]);
        let (mut d, mut h) = loaded(&p);
        // Ours, and the one in the load waiting in the inbox.
        let before = Arc::strong_count(&p);
        // Three outboxes' worth of loads and overlays, each letting go of the one before, and
        // nobody calls `collect`: the handle must make room itself, or the deck's push would
        // fail (a debug assertion; in a release build a leak, seen in the count below).
        for _ in 0..3 * OUTBOX {
            h.send(DeckCmd {
                load: Some(p.clone()),
                overlay: Some(vec![0.1f32; 10].into()),
                ..Default::default()
            })
            .unwrap();
            take(&mut d, BLOCK);
            assert!(h.outbox.slots() <= OUTBOX);
        }
        h.collect();
        // What is left: ours and the deck's current program; none was leaked.
        assert_eq!(Arc::strong_count(&p), before);
    }
}
