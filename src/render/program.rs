//! A timeline with its samples attached: what to play at every frame. Live playback and file
//! export both read frames from here, so they sound the same to the frame.

use std::sync::Arc;

use crate::plan::{Cue, CueKind, Timeline};
use crate::render::SoundBank;
use crate::voice::{PhraseCache, VoiceError};

/// Frames mixed at a time when a file is written (0.74 s at 22050 Hz).
pub const CHUNK: usize = 16384;

/// Samples placed at a frame; only the first `len` of them sound.
#[derive(Debug, Clone)]
struct Clip {
    start: u64,
    samples: Arc<[f32]>,
    len: u64,
}

/// Every audible cue of a timeline with its samples, sorted by start frame.
#[derive(Debug, Clone)]
pub struct Program {
    pub rate: u32,
    pub frames: u64,
    clips: Vec<Clip>,
    /// The longest clip, so a lookup knows how far back a clip may still sound.
    longest: u64,
    /// Gain for export, 0.0 to 1.0 (1.0 unless [`Program::with_gain`]); live playback keeps
    /// its volume on the deck instead, where it can change while playing.
    gain: f32,
}

/// Mixes the parts of `clips` inside frames `from..from + out.len()` (and before `frames`)
/// into `out`, at `gain`, clamped to -1.0..=1.0. Clips are added in the order given, so two
/// mixers that give the same clips in the same order give the same samples to the bit.
fn mix<'a>(
    clips: impl Iterator<Item = &'a Clip>,
    from: u64,
    frames: u64,
    gain: f32,
    out: &mut [f32],
) {
    out.fill(0.0);
    let to = from + out.len() as u64;
    for clip in clips {
        let clip_end = clip.start + clip.len;
        if clip_end <= from || clip.start >= to {
            continue;
        }
        let a = clip.start.max(from);
        let b = clip_end.min(to).min(frames);
        for f in a..b {
            out[(f - from) as usize] += clip.samples[(f - clip.start) as usize];
        }
    }
    if gain != 1.0 {
        for s in out.iter_mut() {
            *s *= gain;
        }
    }
    // Cues never overlap speech on speech, so this only guards against a user's loud sound.
    for s in out.iter_mut() {
        *s = s.clamp(-1.0, 1.0);
    }
}

impl Clip {
    /// The clip of an audible cue: a line from the cache (synthesised there if it is not
    /// held), or a sound from the bank; `None` for other cues and sounds the bank lacks. A line
    /// synthesised again may come out a few frames longer than when it was planned (espeak-ng
    /// carries some state from line to line): it sounds for its planned length only, so
    /// nothing sounds where the plan has silence.
    fn of(
        cue: &Cue,
        cache: &mut PhraseCache,
        bank: &SoundBank,
    ) -> Result<Option<Clip>, VoiceError> {
        let (samples, len) = match cue.kind {
            CueKind::Speech => {
                let s = cache.get(cue.text.as_deref().unwrap_or(""))?;
                let len = (s.len() as u64).min(cue.len());
                (s, len)
            }
            CueKind::Sound => match cue.sound.as_deref().and_then(|s| bank.get(s)) {
                Some(s) => (s.clone(), s.len() as u64),
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        Ok(Some(Clip {
            start: cue.start,
            samples,
            len,
        }))
    }
}

impl Program {
    /// Attaches samples to every speech and sound cue. Speech comes from the cache (synthesised
    /// there on first use), sounds from the bank.
    pub fn new(
        t: &Timeline,
        cache: &mut PhraseCache,
        bank: &SoundBank,
    ) -> Result<Program, VoiceError> {
        Program::window(t, cache, bank, 0..u64::MAX)
    }

    /// The part of a timeline that sounds in frames `span`: only the lines and sounds that
    /// overlap it carry samples; the rest of the session is silence, though its length is the
    /// whole session's. What live playback holds of a long session at a time, so its memory
    /// does not grow with the session's length.
    pub fn window(
        t: &Timeline,
        cache: &mut PhraseCache,
        bank: &SoundBank,
        span: std::ops::Range<u64>,
    ) -> Result<Program, VoiceError> {
        Program::window_of(t, cache, bank, span, true)
    }

    /// [`Program::window`] with the sounds only, and silence where speech is: what the deck
    /// plays while the system voice says the lines (`live::spoken`).
    pub fn sounds_window(
        t: &Timeline,
        bank: &SoundBank,
        span: std::ops::Range<u64>,
    ) -> Result<Program, VoiceError> {
        let mut none = PhraseCache::new(Box::new(crate::voice::StandIn::new(t.sample_rate)));
        Program::window_of(t, &mut none, bank, span, false)
    }

    fn window_of(
        t: &Timeline,
        cache: &mut PhraseCache,
        bank: &SoundBank,
        span: std::ops::Range<u64>,
        speech: bool,
    ) -> Result<Program, VoiceError> {
        let mut clips = Vec::new();
        for cue in t
            .cues
            .iter()
            .filter(|c| c.start < span.end && c.end > span.start)
            .filter(|c| speech || c.kind != CueKind::Speech)
        {
            clips.extend(Clip::of(cue, cache, bank)?);
        }
        clips.sort_by_key(|c| c.start);
        let longest = clips.iter().map(|c| c.len).max().unwrap_or(0);
        Ok(Program {
            rate: t.sample_rate,
            frames: t.frames,
            clips,
            longest,
            gain: 1.0,
        })
    }

    /// The same program mixed at `gain` (0.0 to 1.0): what `render --volume` writes.
    pub fn with_gain(mut self, gain: f32) -> Program {
        self.gain = gain.clamp(0.0, 1.0);
        self
    }

    /// No frames at all: what the device plays while a session is being prepared.
    pub fn silence(rate: u32) -> Program {
        Program {
            rate,
            frames: 0,
            clips: Vec::new(),
            longest: 0,
            gain: 1.0,
        }
    }

    /// Mixes frames `from..from + out.len()` into `out` (mono). Frames past the end are silence.
    pub fn fill(&self, from: u64, out: &mut [f32]) {
        let to = from + out.len() as u64;
        let earliest = from.saturating_sub(self.longest);
        let first = self.clips.partition_point(|c| c.start < earliest);
        let sounding = self.clips[first..].iter().take_while(|c| c.start < to);
        mix(sounding, from, self.frames, self.gain, out);
    }

    /// The whole session as one buffer.
    pub fn render_all(&self) -> Vec<f32> {
        let mut out = vec![0.0; self.frames as usize];
        for (i, chunk) in out.chunks_mut(8192).enumerate() {
            self.fill(i as u64 * 8192, chunk);
        }
        out
    }
}

/// A timeline mixed from its first frame to its last, a chunk at a time: each line is taken
/// from the cache (synthesised there if it is not held) when it starts, and let go of when it
/// ends. What `render` writes: with a bounded [`PhraseCache`] its memory does not grow with the
/// session. Gives the same samples as [`Program::fill`] to the bit.
pub struct Streamed<'a> {
    t: &'a Timeline,
    cache: CacheRef<'a>,
    bank: &'a SoundBank,
    gain: f32,
    /// The next cue to look at (cues are sorted by start).
    next: usize,
    /// Clips that may still sound, in cue order.
    sounding: Vec<Clip>,
    at: u64,
}

/// The session's own cache, or one of a mixer's own on another thread.
enum CacheRef<'a> {
    Borrowed(&'a mut PhraseCache),
    Owned(Box<PhraseCache>),
}

impl CacheRef<'_> {
    fn get(&mut self) -> &mut PhraseCache {
        match self {
            CacheRef::Borrowed(c) => c,
            CacheRef::Owned(c) => c,
        }
    }

    fn holds_every_line(&self) -> bool {
        match self {
            CacheRef::Borrowed(c) => c.holds_every_line(),
            CacheRef::Owned(c) => c.holds_every_line(),
        }
    }

    fn fork(&self) -> PhraseCache {
        match self {
            CacheRef::Borrowed(c) => c.fork(),
            CacheRef::Owned(c) => c.fork(),
        }
    }
}

/// A session as planned so far, owned, for mixing parts of it on other threads while the rest
/// is planned ([`crate::render::parts::Pool`]): the timeline, the lines synthesised for it, the
/// sounds and the gain.
pub struct Snapshot {
    pub timeline: Timeline,
    cache: std::sync::Mutex<PhraseCache>,
    bank: SoundBank,
    gain: f32,
}

impl Snapshot {
    /// The session `t` planned so far, with `cache`'s lines (shared, not copied: see
    /// [`PhraseCache::fork`]).
    pub fn new(t: &Timeline, cache: &PhraseCache, bank: &SoundBank, gain: f32) -> Snapshot {
        Snapshot {
            timeline: t.clone(),
            cache: std::sync::Mutex::new(cache.fork()),
            bank: bank.clone(),
            gain,
        }
    }

    /// A mixer of this session from frame `from`, with a cache of its own.
    ///
    /// Errors: a line still sounding at `from` that the voice cannot synthesise.
    pub fn mixer(&self, from: u64) -> Result<Streamed<'_>, VoiceError> {
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .fork();
        Streamed::owning(&self.timeline, cache, &self.bank, self.gain, from)
    }

    /// Whether this session, planned up to its end (`timeline.frames`), sounds as `whole`
    /// does up to there: the same lines and sounds at the same frames.
    pub fn is_start_of(&self, whole: &Timeline) -> bool {
        let until = self.timeline.frames;
        let sounding = |t: &'_ Timeline| {
            t.cues
                .iter()
                .filter(|c| matches!(c.kind, CueKind::Speech | CueKind::Sound) && c.start < until)
                .map(|c| (c.kind, c.start, c.end, c.text.clone(), c.sound.clone()))
                .collect::<Vec<_>>()
        };
        whole.sample_rate == self.timeline.sample_rate
            && whole.frames >= until
            && sounding(&self.timeline) == sounding(whole)
    }
}

impl<'a> Streamed<'a> {
    pub fn new(t: &'a Timeline, cache: &'a mut PhraseCache, bank: &'a SoundBank) -> Self {
        Streamed {
            t,
            cache: CacheRef::Borrowed(cache),
            bank,
            gain: 1.0,
            next: 0,
            sounding: Vec::new(),
            at: 0,
        }
    }

    /// This mixer's session, owned, to mix on other threads ([`Snapshot`]).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            timeline: self.t.clone(),
            cache: std::sync::Mutex::new(self.cache.fork()),
            bank: self.bank.clone(),
            gain: self.gain,
        }
    }

    /// Mixed at `gain` (0.0 to 1.0), as [`Program::with_gain`].
    pub fn with_gain(mut self, gain: f32) -> Self {
        self.gain = gain.clamp(0.0, 1.0);
        self
    }

    pub fn rate(&self) -> u32 {
        self.t.sample_rate
    }

    pub fn timeline(&self) -> &'a Timeline {
        self.t
    }

    /// The session's length in frames.
    pub fn frames(&self) -> u64 {
        self.t.frames
    }

    /// The next frame [`Streamed::next_chunk`] mixes.
    pub fn at(&self) -> u64 {
        self.at
    }

    /// Another mixer of the same session, for another thread, that mixes from frame `from`
    /// on: with a cache of its own ([`PhraseCache::fork`]) and the lines and sounds that began
    /// before `from` and still sound at it. Its frames from `from` on are this mixer's to the
    /// bit.
    ///
    /// Errors: a line still sounding at `from` that the voice cannot synthesise.
    pub fn fork_at(&self, from: u64) -> Result<Streamed<'a>, VoiceError> {
        Streamed::owning(self.t, self.cache.fork(), self.bank, self.gain, from)
    }

    /// A mixer with a cache of its own, at frame `from`.
    fn owning(
        t: &'a Timeline,
        cache: PhraseCache,
        bank: &'a SoundBank,
        gain: f32,
        from: u64,
    ) -> Result<Streamed<'a>, VoiceError> {
        let mut s = Streamed {
            t,
            cache: CacheRef::Owned(Box::new(cache)),
            bank,
            gain,
            next: 0,
            sounding: Vec::new(),
            at: 0,
        };
        s.seek(from)?;
        Ok(s)
    }

    /// Moves to frame `from`, backwards or forwards: the next chunk is mixed from there, with
    /// the lines and sounds that began before it and still sound at it.
    ///
    /// Errors: such a line that the voice cannot synthesise.
    pub fn seek(&mut self, from: u64) -> Result<(), VoiceError> {
        let first = self.t.cues.partition_point(|c| c.start < from);
        let mut sounding = Vec::new();
        for cue in &self.t.cues[..first] {
            // A line sounds for its planned length at most: one that ended needs no samples.
            if cue.kind == CueKind::Speech && cue.end <= from {
                continue;
            }
            sounding.extend(
                Clip::of(cue, self.cache.get(), self.bank)?.filter(|c| c.start + c.len > from),
            );
        }
        self.next = first;
        self.sounding = sounding;
        self.at = from;
        Ok(())
    }

    /// Whether every line of the session is held (see [`PhraseCache::holds_every_line`]): then
    /// mixers forked from this one give the same samples as this one, whatever the threads do.
    pub fn holds_every_line(&self) -> bool {
        self.cache.holds_every_line()
    }

    /// The stretches of the session where nothing sounds (frames, in order, each at least
    /// `min` long): where a render may cut it into parts.
    pub fn silences(&self, min: u64) -> Vec<std::ops::Range<u64>> {
        let mut out = Vec::new();
        let mut quiet_from = 0u64;
        for cue in &self.t.cues {
            let len = match cue.kind {
                CueKind::Speech => cue.len(),
                CueKind::Sound => cue
                    .sound
                    .as_deref()
                    .and_then(|s| self.bank.get(s))
                    .map_or(0, |s| s.len() as u64),
                _ => 0,
            };
            if len == 0 {
                continue;
            }
            if cue.start >= quiet_from && cue.start - quiet_from >= min {
                out.push(quiet_from..cue.start);
            }
            quiet_from = quiet_from.max(cue.start + len);
        }
        if self.t.frames >= quiet_from && self.t.frames - quiet_from >= min {
            out.push(quiet_from..self.t.frames);
        }
        out
    }

    /// Mixes the next `out.len()` frames (silence past the end).
    ///
    /// Errors: a line the voice cannot synthesise.
    pub fn next_chunk(&mut self, out: &mut [f32]) -> Result<(), VoiceError> {
        let from = self.at;
        let to = from + out.len() as u64;
        while let Some(cue) = self.t.cues.get(self.next)
            && cue.start < to
        {
            self.next += 1;
            self.sounding
                .extend(Clip::of(cue, self.cache.get(), self.bank)?);
        }
        mix(self.sounding.iter(), from, self.t.frames, self.gain, out);
        self.sounding.retain(|c| c.start + c.len > to);
        self.at = to;
        Ok(())
    }
}

/// The built-in strengthen routine planned with the stand-in voice (2 s lead-in), every line
/// held: for tests of mixing and export.
#[cfg(test)]
pub(crate) fn strengthen_planned() -> (Timeline, PhraseCache, SoundBank) {
    let r = crate::routine::builtin_source("strengthen")
        .unwrap()
        .load()
        .unwrap();
    let mut opts = crate::plan::PlanOptions::new(22050);
    opts.lead_in_secs = Some(2.0);
    let bank = SoundBank::builtin(22050).unwrap();
    let mut all = PhraseCache::new(Box::new(crate::voice::StandIn::new(22050)));
    let t = crate::plan::plan(&r, &mut all, &|s| bank.frames(s), &opts).unwrap();
    (t, all, bank)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::voice::StandIn;

    /// A streamed mix, with a cache too small to hold more than a few lines, gives the
    /// whole program's samples to the bit, whatever the chunk size.
    #[test]
    fn a_streamed_mix_is_the_program_to_the_bit() {
        let (t, mut all, bank) = strengthen_planned();
        let whole = Program::new(&t, &mut all, &bank)
            .unwrap()
            .with_gain(0.7)
            .render_all();
        for chunk in [1000, 16384] {
            let mut small = PhraseCache::bounded(Box::new(StandIn::new(22050)), 30_000);
            let mut s = Streamed::new(&t, &mut small, &bank).with_gain(0.7);
            let mut got = Vec::new();
            let mut buf = vec![0.0; chunk];
            while (got.len() as u64) < t.frames {
                let n = (t.frames - got.len() as u64).min(chunk as u64) as usize;
                s.next_chunk(&mut buf[..n]).unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got.len(), whole.len());
            assert!(got == whole, "chunks of {chunk}");
            assert!(small.held_samples() <= 30_000);
            assert!(
                small.syntheses() > small.len() as u64,
                "lines were let go of"
            );
        }
        // A mixer forked at any frame, with a cache of its own, mixes what follows to the bit;
        // every silence is silent in the whole program.
        let mut small = PhraseCache::bounded(Box::new(StandIn::new(22050)), 30_000);
        let mut s = Streamed::new(&t, &mut small, &bank).with_gain(0.7);
        let quiet = s.silences(100);
        assert!(quiet.len() > 10, "a routine of holds has silences");
        for q in &quiet {
            assert!(
                whole[q.start as usize..q.end as usize]
                    .iter()
                    .all(|x| *x == 0.0)
            );
        }
        let mut buf = vec![0.0; 5000];
        s.next_chunk(&mut buf).unwrap();
        // Inside a line (its start plus a little), and inside a silence.
        let line = t
            .cues
            .iter()
            .find(|c| c.kind == CueKind::Speech && c.start > 90_000)
            .unwrap();
        for from in [line.start + 300, quiet[3].start + 7] {
            let mut f = s.fork_at(from).unwrap();
            assert_eq!(f.at(), from);
            let mut got = vec![0.0; 40_000];
            f.next_chunk(&mut got).unwrap();
            assert!(
                got == whole[from as usize..from as usize + 40_000],
                "forked at {from}"
            );
            assert!(got.iter().any(|x| *x != 0.0));
        }
        // A window sounds like the whole program inside its span (lines that start before it
        // or end after it included), and is silent where nothing that overlaps it sounds.
        let (a, b) = (t.frames / 3, t.frames / 2);
        let mut small = PhraseCache::bounded(Box::new(StandIn::new(22050)), 30_000);
        let w = Program::window(&t, &mut small, &bank, a..b)
            .unwrap()
            .with_gain(0.7)
            .render_all();
        assert_eq!(w.len(), whole.len(), "a window is as long as the session");
        assert!(w[a as usize..b as usize] == whole[a as usize..b as usize]);
        let audible: Vec<_> = t
            .cues
            .iter()
            .filter(|c| matches!(c.kind, CueKind::Speech | CueKind::Sound))
            .filter(|c| c.start < b && c.end > a)
            .collect();
        for (f, s) in w.iter().enumerate() {
            let f = f as u64;
            if !audible.iter().any(|c| c.start <= f && f < c.end) {
                assert_eq!(*s, 0.0, "frame {f}, outside the window, sounds");
            }
        }
        assert!(w[..(a as usize / 2)].iter().all(|s| *s == 0.0));
    }
}
