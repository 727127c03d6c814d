//! The embedded voice: libespeak-ng synthesising into samples. No daemon.
//!
//! The engine ([`super::engine`]) runs in a worker process of hipvoice's own
//! ([`super::worker`]), so that espeak-ng aborting on a line is an error of that line; where no
//! worker can start (a test binary), in this process.

use super::engine::in_process;
pub use super::engine::{EspeakSettings, MAX_VOICE_NAME, RATE, RATE_WPM, check_name, voices};
use super::{Voice, VoiceError};

/// The embedded espeak-ng voice with its settings.
pub struct Espeak {
    settings: EspeakSettings,
    rate: u32,
    /// The worker that speaks for it, or `None` in this process.
    worker: Option<&'static super::worker::Worker>,
}

impl Espeak {
    /// The voice with `settings`, checked by saying a first word. Errors: no such voice, no
    /// voice data, or espeak-ng crashing on the name ([`VoiceError::Crashed`]).
    pub fn new(settings: EspeakSettings) -> Result<Espeak, VoiceError> {
        check_name(&settings.voice)?;
        let worker = super::worker::get();
        let rate = match worker {
            Some(w) => w.new_voice(&settings)?,
            None => in_process::new(&settings)?,
        };
        Ok(Espeak {
            settings,
            rate,
            worker,
        })
    }

    /// The language the voice speaks, as espeak-ng names it ("en-us", "de"): the rules it reads
    /// text with.
    pub fn language(&self) -> Result<String, VoiceError> {
        match self.worker {
            Some(w) => w.language(&self.settings),
            None => in_process::language(&self.settings),
        }
    }
}

impl Voice for Espeak {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn another(&self) -> Box<dyn Voice> {
        // One engine behind a lock serves every handle; a handle is its settings.
        Box::new(Espeak {
            settings: self.settings.clone(),
            rate: self.rate,
            worker: self.worker,
        })
    }

    fn synthesize(&mut self, text: &str) -> Result<Vec<f32>, VoiceError> {
        match self.worker {
            Some(w) => w.synthesize(&self.settings, text),
            None => in_process::synthesize(&self.settings, text),
        }
    }

    fn describe(&self) -> String {
        format!(
            "espeak-ng voice {}, {} words a minute",
            self.settings.voice, self.settings.rate_wpm
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speech_has_energy_starts_at_once_and_scales_with_text() {
        let mut v = Espeak::new(EspeakSettings::default()).unwrap();
        assert_eq!(v.sample_rate(), 22050);
        let short = v.synthesize("Hold.").unwrap();
        let long = v
            .synthesize("Pull your left knee to your chest with both hands.")
            .unwrap();
        assert!(short.len() > 2205 && short.len() < 22050, "{}", short.len());
        assert!(long.len() > 3 * short.len());
        // The line starts at once: audible within its 3 ms edge fade, which begins at 0.
        assert_eq!(short[0], 0.0, "the edge is faded");
        assert!(
            short[..220].iter().any(|s| s.abs() > 0.0005),
            "leading silence was not trimmed"
        );
        let peak = long.iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!(
            peak > 0.1 && peak <= super::super::engine::SPEECH_GAIN,
            "peak {peak}"
        );
    }

    #[test]
    fn the_same_text_has_the_same_length_and_settings_do_not_leak() {
        let mut slow = Espeak::new(EspeakSettings {
            rate_wpm: 100,
            ..Default::default()
        })
        .unwrap();
        let mut fast = Espeak::new(EspeakSettings {
            rate_wpm: 300,
            ..Default::default()
        })
        .unwrap();
        let a = slow.synthesize("Rest for ten seconds.").unwrap();
        let b = fast.synthesize("Rest for ten seconds.").unwrap();
        let a2 = slow.synthesize("Rest for ten seconds.").unwrap();
        // The engine carries its pitch flutter from one line to the next, so a repeat may end a
        // pitch period sooner or later; a fresh process saying the same lines in the same order
        // gives the same samples (tests/render.rs checks that across runs).
        assert!(
            a.len().abs_diff(a2.len()) < 22050 / 50,
            "{} vs {}",
            a.len(),
            a2.len()
        );
        assert!(a.len() > b.len() * 2, "slow {} fast {}", a.len(), b.len());
    }

    #[test]
    fn an_unknown_voice_is_a_clear_error() {
        let err = Espeak::new(EspeakSettings {
            voice: "xx-nonsense".into(),
            ..Default::default()
        })
        .err()
        .expect("unknown voice must fail");
        assert!(
            err.to_string().contains("no voice \"xx-nonsense\""),
            "{err}"
        );
    }
}
