//! Voices turn text into samples. A voice never schedules: the sequencer asks how long a line
//! is, the renderer asks for its samples, and both get them from one [`PhraseCache`], which
//! knows every line's length after synthesising it once and keeps the samples of the lines
//! used most recently (or of all, see [`PhraseCache::new`]).

mod engine;
pub mod espeak;
pub mod listing;
pub mod standin;
pub mod system;
pub mod worker;

use std::collections::HashMap;
use std::sync::Arc;

use crate::plan::SpeechTimer;

pub use espeak::{Espeak, EspeakSettings};
pub use standin::StandIn;

#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error("{0}")]
    Init(String),
    #[error("could not synthesise \"{text}\": {reason}")]
    Synth { text: String, reason: String },
    /// espeak-ng died (in its worker process) on `text`: a line, or a voice name.
    #[error("espeak-ng crashed on \"{text}\" ({how}); hipvoice goes on without it")]
    Crashed { text: String, how: String },
}

/// A language tag's primary subtag, lower-case: "en" for "en-GB" and "en_us" (BCP 47 and
/// espeak-ng's own names). Two voices or texts of one language share it.
pub fn primary_language(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Text to mono samples in -1.0..=1.0 at `sample_rate()`.
pub trait Voice: Send {
    fn sample_rate(&self) -> u32;
    fn synthesize(&mut self, text: &str) -> Result<Vec<f32>, VoiceError>;
    /// What a user would call it ("espeak-ng en-us, 160 wpm").
    fn describe(&self) -> String;
    /// The same voice with the same settings, to be used on another thread (a render mixes
    /// parts of a session at once). It gives the same samples for the same text.
    fn another(&self) -> Box<dyn Voice>;
}

/// The lines a live session could not speak (espeak-ng died on them in its worker), shared
/// by every voice of the session: the preparer's and the windows'. Each line is kept once,
/// with how espeak-ng ended, in the order they were met.
#[derive(Debug, Clone, Default)]
pub struct LeftOut(Arc<std::sync::Mutex<LeftOutLines>>);

#[derive(Debug, Default)]
struct LeftOutLines {
    lines: Vec<(String, String)>,
    told: usize,
}

impl PartialEq for LeftOut {
    /// The same record, not equal contents: two sessions' records are never one.
    fn eq(&self, other: &LeftOut) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl LeftOut {
    fn add(&self, text: &str, how: &str) {
        let mut l = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !l.lines.iter().any(|(t, _)| t == text) {
            l.lines.push((text.to_owned(), how.to_owned()));
        }
    }

    /// The lines left out since the last call: (text, how espeak-ng ended).
    pub fn take_new(&self) -> Vec<(String, String)> {
        let mut l = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let new = l.lines[l.told..].to_vec();
        l.told = l.lines.len();
        new
    }
}

/// A voice that goes on when espeak-ng dies on a line: the line becomes [`LEFT_OUT_SECS`] of
/// silence and is recorded in a [`LeftOut`], so a live session goes on with the next line
/// (and says why once) instead of ending. Every other error is passed on. Only for `play`:
/// `check`, `plan` and `render` name the line as an error at its `file:line:col`.
pub struct Forgiving {
    inner: Box<dyn Voice>,
    left_out: LeftOut,
}

/// How long a line left out by [`Forgiving`] is: a pause the length of a short line, the
/// same for every voice of the session, so the windows' samples fit the preparer's plan.
pub const LEFT_OUT_SECS: f64 = 0.5;

impl Forgiving {
    pub fn new(inner: Box<dyn Voice>, left_out: LeftOut) -> Forgiving {
        Forgiving { inner, left_out }
    }
}

impl Voice for Forgiving {
    fn sample_rate(&self) -> u32 {
        self.inner.sample_rate()
    }

    fn synthesize(&mut self, text: &str) -> Result<Vec<f32>, VoiceError> {
        match self.inner.synthesize(text) {
            Err(VoiceError::Crashed { text, how }) => {
                self.left_out.add(&text, &how);
                let frames = crate::plan::frames(LEFT_OUT_SECS, self.sample_rate());
                Ok(vec![0.0; frames as usize])
            }
            other => other,
        }
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn another(&self) -> Box<dyn Voice> {
        Box::new(Forgiving::new(self.inner.another(), self.left_out.clone()))
    }
}

/// Speech samples shared between the sequencer, the renderer and the audio thread.
pub type Samples = Arc<[f32]>;

/// Lines synthesised and shared. Every line's length (frames) is kept for the session;
/// its samples are kept for the whole session ([`PhraseCache::new`]) or only while they are
/// among the most recently used, within a budget ([`PhraseCache::bounded`]), and synthesised
/// again when asked for after that. A voice gives the same samples for the same text, so the
/// two only differ in memory and time: espeak-ng synthesises about 5,000 times faster than
/// real time here (BENCHMARKS.md), and a bounded cache keeps `check`, `plan` and `render`
/// within a flat memory whatever the session's length.
pub struct PhraseCache {
    voice: Box<dyn Voice>,
    lengths: HashMap<String, u64>,
    /// Samples, with the use count at which each was last asked for.
    lines: HashMap<String, (Samples, u64)>,
    /// Samples held in `lines`, and the most it may hold (`None`: no limit).
    held: usize,
    budget: Option<usize>,
    uses: u64,
    syntheses: u64,
}

/// The samples a bounded cache keeps by default: 4 M, 16 MB of f32, about 190 s of speech at
/// 22050 Hz, far more than the lines said between two uses of "Hold." or a count. The distinct
/// lines of each built-in routine (about 108 s) fit, so planning them never lets a line go and
/// a render can mix them on several threads without synthesising one again (see
/// [`PhraseCache::holds_every_line`]).
pub const DEFAULT_BUDGET_SAMPLES: usize = 4 << 20;

impl PhraseCache {
    /// A cache that keeps every line's samples for the session: what live playback needs,
    /// where one program holds every line anyway.
    pub fn new(voice: Box<dyn Voice>) -> Self {
        PhraseCache {
            voice,
            lengths: HashMap::new(),
            lines: HashMap::new(),
            held: 0,
            budget: None,
            uses: 0,
            syntheses: 0,
        }
    }

    /// A cache that keeps at most `budget` samples (see the type's doc); a line longer than
    /// the whole budget is synthesised for each use and not kept.
    pub fn bounded(voice: Box<dyn Voice>, budget: usize) -> Self {
        PhraseCache {
            budget: Some(budget),
            ..PhraseCache::new(voice)
        }
    }

    /// A cache of its own for another thread: the same voice ([`Voice::another`]), every
    /// line's length, and the samples this one holds (shared, not copied), within the same
    /// budget.
    pub fn fork(&self) -> PhraseCache {
        PhraseCache {
            voice: self.voice.another(),
            lengths: self.lengths.clone(),
            lines: self.lines.clone(),
            held: self.held,
            budget: self.budget,
            uses: self.uses,
            syntheses: 0,
        }
    }

    pub fn sample_rate(&self) -> u32 {
        self.voice.sample_rate()
    }

    pub fn describe(&self) -> String {
        self.voice.describe()
    }

    /// The samples of a line, synthesising it if it is not held.
    pub fn get(&mut self, text: &str) -> Result<Samples, VoiceError> {
        self.uses += 1;
        if let Some((s, used)) = self.lines.get_mut(text) {
            *used = self.uses;
            return Ok(s.clone());
        }
        let samples: Samples = self.voice.synthesize(text)?.into();
        self.syntheses += 1;
        self.lengths.insert(text.to_owned(), samples.len() as u64);
        self.keep(text, samples.clone());
        Ok(samples)
    }

    /// Holds `samples`, first letting go of the least recently used lines beyond the budget.
    fn keep(&mut self, text: &str, samples: Samples) {
        if let Some(budget) = self.budget {
            if samples.len() > budget {
                return;
            }
            while self.held + samples.len() > budget {
                let Some(oldest) = self
                    .lines
                    .iter()
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                if let Some((s, _)) = self.lines.remove(&oldest) {
                    self.held -= s.len();
                }
            }
        }
        self.held += samples.len();
        self.lines.insert(text.to_owned(), (samples, self.uses));
    }

    /// A line's length in frames, synthesising it only the first time.
    pub fn frames(&mut self, text: &str) -> Result<u64, VoiceError> {
        match self.lengths.get(text) {
            Some(&n) => Ok(n),
            None => Ok(self.get(text)?.len() as u64),
        }
    }

    /// Whether the samples of every line ever synthesised are held: then asking for any of them
    /// never synthesises again. espeak-ng carries a little state from line to line, so a line
    /// synthesised again, and above all on two threads at once, may differ in its samples.
    pub fn holds_every_line(&self) -> bool {
        self.lines.len() == self.lengths.len()
    }

    /// How many distinct lines have been synthesised.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// How many times the voice was asked to synthesise (a line let go of and asked for again
    /// counts again).
    pub fn syntheses(&self) -> u64 {
        self.syntheses
    }

    /// Samples held now.
    pub fn held_samples(&self) -> usize {
        self.held
    }
}

impl SpeechTimer for PhraseCache {
    fn speech_frames(
        &mut self,
        text: &str,
    ) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.frames(text)?)
    }
}

/// Fades the first and last `frames` samples of `clip` in and out on a raised cosine, from a
/// gain of 0 at the outer sample to 1; a clip shorter than two fades is faded over halves. The
/// length, and so every planned frame, is unchanged.
pub fn fade_edges(clip: &mut [f32], frames: usize) {
    let n = frames.min(clip.len() / 2);
    let len = clip.len();
    for i in 0..n {
        let g = 0.5 - 0.5 * (std::f32::consts::PI * i as f32 / n as f32).cos();
        clip[i] *= g;
        clip[len - 1 - i] *= g;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_cache_keeps_recent_lines_within_its_budget_and_every_length() {
        let rate = 22050;
        let mut c = PhraseCache::bounded(Box::new(StandIn::new(rate)), 100_000);
        let lines: Vec<String> = (0..40).map(|i| format!("Line number {i}.")).collect();
        let mut lengths = Vec::new();
        for l in &lines {
            lengths.push(c.frames(l).unwrap());
            // "Hold." is asked for between every two lines, so it is never let go of.
            c.get("Hold.").unwrap();
            assert!(c.held_samples() <= 100_000, "{}", c.held_samples());
        }
        assert_eq!(c.syntheses(), 41, "each line once, and Hold. once");
        // Lengths are known without synthesising again, even of lines no longer held.
        for (l, n) in lines.iter().zip(&lengths) {
            assert_eq!(c.frames(l).unwrap(), *n);
        }
        assert_eq!(c.syntheses(), 41);
        // A line let go of is synthesised again, the same samples.
        let mut all = PhraseCache::new(Box::new(StandIn::new(rate)));
        assert_eq!(c.get(&lines[0]).unwrap(), all.get(&lines[0]).unwrap());
        assert_eq!(c.syntheses(), 42);
        assert_eq!(c.len(), 41);
    }

    #[test]
    fn a_clip_is_faded_at_both_edges_and_keeps_its_length() {
        let mut x = vec![1.0f32; 200];
        fade_edges(&mut x, 66);
        assert_eq!(x.len(), 200);
        assert_eq!((x[0], x[199]), (0.0, 0.0));
        assert!(x[1] > 0.0 && x[1] < 0.01, "{}", x[1]);
        assert!(x.windows(2).take(66).all(|w| w[1] >= w[0]), "rises");
        assert_eq!(x[66..134], [1.0; 68], "the middle untouched");
        // Shorter than two fades: faded over halves.
        let mut y = vec![1.0f32; 10];
        fade_edges(&mut y, 66);
        assert_eq!((y[0], y[9]), (0.0, 0.0));
        assert!(y[4] > 0.5);
        fade_edges(&mut [], 66);
        fade_edges(&mut [1.0], 66);
    }
}
