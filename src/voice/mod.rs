//! Voices turn text into samples. A voice never schedules: the sequencer asks how long a line
//! is, the renderer asks for its samples, and both get them from one [`PhraseCache`], so every
//! line is synthesised once per session however often it is said.

pub mod espeak;
pub mod standin;

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
}

/// Text to mono samples in -1.0..=1.0 at `sample_rate()`.
pub trait Voice: Send {
    fn sample_rate(&self) -> u32;
    fn synthesize(&mut self, text: &str) -> Result<Vec<f32>, VoiceError>;
    /// What a user would call it ("espeak-ng en-us, 160 wpm").
    fn describe(&self) -> String;
}

/// Speech samples shared between the sequencer, the renderer and the audio thread.
pub type Samples = Arc<[f32]>;

/// Every line synthesised once, kept for the session.
pub struct PhraseCache {
    voice: Box<dyn Voice>,
    lines: HashMap<String, Samples>,
}

impl PhraseCache {
    pub fn new(voice: Box<dyn Voice>) -> Self {
        PhraseCache {
            voice,
            lines: HashMap::new(),
        }
    }

    pub fn sample_rate(&self) -> u32 {
        self.voice.sample_rate()
    }

    pub fn describe(&self) -> String {
        self.voice.describe()
    }

    /// The samples of a line, synthesising it on first use.
    pub fn get(&mut self, text: &str) -> Result<Samples, VoiceError> {
        if let Some(s) = self.lines.get(text) {
            return Ok(s.clone());
        }
        let samples: Samples = self.voice.synthesize(text)?.into();
        self.lines.insert(text.to_owned(), samples.clone());
        Ok(samples)
    }

    /// How many distinct lines have been synthesised.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

impl SpeechTimer for PhraseCache {
    fn speech_frames(
        &mut self,
        text: &str,
    ) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.get(text)?.len() as u64)
    }
}
