//! The voice of the spoken answers (pause, where am I, help) and the confirmation sounds, at
//! the session's current settings.

use super::Trace;
use crate::error::Error;
use crate::render::SoundBank;
use crate::session::{SessionError, Settings};
use crate::voice::{Espeak, PhraseCache, Samples};

/// Silence after a spoken answer before the session goes on.
const AFTER_ANSWER_SECS: f64 = 0.3;

/// The voice of the spoken answers, at the session's current settings. Its engine starts on
/// the first answer, not before: espeak-ng carries a little state from one line to the next, and
/// a line synthesised while the session is being prepared would shift the session's lines by a
/// pitch period against `plan` and `render` of the same routine.
pub struct Answers {
    settings: Settings,
    cache: Option<PhraseCache>,
    bank: SoundBank,
    trace: Trace,
}

impl Answers {
    pub fn new(settings: &Settings, trace: Trace) -> Result<Answers, Error> {
        let bank = SoundBank::builtin(crate::voice::espeak::RATE).map_err(SessionError::from)?;
        Ok(Answers {
            settings: settings.clone(),
            cache: None,
            bank,
            trace,
        })
    }

    pub fn set_rate(&mut self, rate_wpm: u32) {
        self.settings.espeak.rate_wpm = rate_wpm;
        self.cache = None;
    }

    /// A spoken answer with a short silence after it, so the session does not go on mid-breath.
    pub fn line(&mut self, text: &str) -> Option<Samples> {
        if self.cache.is_none() {
            match Espeak::new(self.settings.espeak.clone()) {
                Ok(v) => self.cache = Some(PhraseCache::new(Box::new(v))),
                Err(e) => {
                    self.trace
                        .say(format_args!("the answers' voice could not start: {e}"));
                    return None;
                }
            }
        }
        let cache = self.cache.as_mut()?;
        let said = cache.get(text).ok()?;
        let pad = crate::plan::frames(AFTER_ANSWER_SECS, cache.sample_rate()) as usize;
        let mut v = Vec::with_capacity(said.len() + pad);
        v.extend_from_slice(&said);
        v.resize(said.len() + pad, 0.0);
        Some(v.into())
    }

    pub fn sound(&self, name: &str) -> Option<Samples> {
        self.bank.get(name).cloned()
    }
}
