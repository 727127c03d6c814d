//! A deterministic stand-in voice: a quiet hum whose length grows with the text, at a plausible
//! speaking rate. For tests of pure logic and for planning without a speech engine.

use super::{Voice, VoiceError};

pub struct StandIn {
    rate: u32,
}

impl StandIn {
    /// About fifteen characters a second, like a calm speaker.
    pub const SECS_PER_CHAR: f64 = 0.065;
    pub const BASE_SECS: f64 = 0.15;

    pub fn new(rate: u32) -> Self {
        StandIn { rate }
    }

    pub fn frames_for(&self, text: &str) -> u64 {
        let secs = Self::BASE_SECS + Self::SECS_PER_CHAR * text.chars().count() as f64;
        (secs * f64::from(self.rate)).round() as u64
    }
}

impl Voice for StandIn {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn another(&self) -> Box<dyn Voice> {
        Box::new(StandIn::new(self.rate))
    }

    fn synthesize(&mut self, text: &str) -> Result<Vec<f32>, VoiceError> {
        let n = self.frames_for(text) as usize;
        let fade = (self.rate as usize / 200).max(1).min(n / 2).max(1);
        let w = 2.0 * std::f32::consts::PI * 220.0 / self.rate as f32;
        Ok((0..n)
            .map(|i| {
                let env = (i.min(n - 1 - i) as f32 / fade as f32).min(1.0);
                0.1 * env * (w * i as f32).sin()
            })
            .collect())
    }

    fn describe(&self) -> String {
        "stand-in voice".to_owned()
    }
}
