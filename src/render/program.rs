//! A timeline with its samples attached: what to play at every frame. Live playback and file
//! export both read frames from here, so they sound the same to the frame.

use std::sync::Arc;

use crate::plan::{CueKind, Timeline};
use crate::render::SoundBank;
use crate::voice::{PhraseCache, VoiceError};

/// Samples placed at a frame.
#[derive(Debug, Clone)]
struct Clip {
    start: u64,
    samples: Arc<[f32]>,
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

impl Program {
    /// Attaches samples to every speech and sound cue. Speech comes from the cache (synthesised
    /// there on first use), sounds from the bank.
    pub fn new(
        t: &Timeline,
        cache: &mut PhraseCache,
        bank: &SoundBank,
    ) -> Result<Program, VoiceError> {
        let mut clips = Vec::new();
        for cue in &t.cues {
            let samples = match cue.kind {
                CueKind::Speech => cache.get(cue.text.as_deref().unwrap_or(""))?,
                CueKind::Sound => match cue.sound.as_deref().and_then(|s| bank.get(s)) {
                    Some(s) => s.clone(),
                    None => continue,
                },
                _ => continue,
            };
            clips.push(Clip {
                start: cue.start,
                samples,
            });
        }
        clips.sort_by_key(|c| c.start);
        let longest = clips
            .iter()
            .map(|c| c.samples.len() as u64)
            .max()
            .unwrap_or(0);
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
        out.fill(0.0);
        let to = from + out.len() as u64;
        let earliest = from.saturating_sub(self.longest);
        let first = self.clips.partition_point(|c| c.start < earliest);
        for clip in &self.clips[first..] {
            if clip.start >= to {
                break;
            }
            let clip_end = clip.start + clip.samples.len() as u64;
            if clip_end <= from {
                continue;
            }
            let a = clip.start.max(from);
            let b = clip_end.min(to).min(self.frames);
            for f in a..b {
                out[(f - from) as usize] += clip.samples[(f - clip.start) as usize];
            }
        }
        if self.gain != 1.0 {
            for s in out.iter_mut() {
                *s *= self.gain;
            }
        }
        // Cues never overlap speech on speech, so this only guards against a user's loud sound.
        for s in out.iter_mut() {
            *s = s.clamp(-1.0, 1.0);
        }
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
