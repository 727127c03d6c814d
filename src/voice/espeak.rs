//! The embedded voice: libespeak-ng in-process, synthesising into samples. No daemon.
//!
//! The engine is global state inside the library: one process-wide lock owns it, and each
//! [`Espeak`] applies its own settings under that lock before it speaks, so two voices with
//! different settings can never mix their parameters.

use std::ffi::{CString, c_int, c_short, c_void};
use std::sync::{Mutex, OnceLock};

use espeakng_sys as sys;

use super::{Voice, VoiceError};

/// The rate libespeak-ng synthesises at (its `espeak_Initialize` answer; checked at start).
pub const RATE: u32 = 22050;

/// Settings of the embedded voice.
/// The speaking rates hipvoice offers, words per minute: espeak-ng speaks clearly from about
/// 80 to 450 (its own documented range for `-s`). The flag, the config file, the keys and the
/// engine all take this one range.
pub const RATE_WPM: (u32, u32) = (80, 450);

#[derive(Debug, Clone, PartialEq)]
pub struct EspeakSettings {
    /// An espeak-ng voice name or language: "en-us", "en", "en+f3", "en-gb-x-rp".
    pub voice: String,
    /// Words per minute, 80 to 450.
    pub rate_wpm: u32,
    /// 0 to 100; 50 is the voice's normal pitch.
    pub pitch: u32,
}

impl Default for EspeakSettings {
    fn default() -> Self {
        // A little slower than espeak-ng's 175 wpm: the listener is moving, not reading.
        EspeakSettings {
            voice: "en-us".to_owned(),
            rate_wpm: 155,
            pitch: 50,
        }
    }
}

/// The engine, once per process: its sample rate, and the settings last applied.
struct Engine {
    rate: u32,
    applied: Option<EspeakSettings>,
    /// The language of the voice last applied, as espeak-ng names it ("en-gb", "de").
    language: String,
}

static ENGINE: OnceLock<Result<Mutex<Engine>, String>> = OnceLock::new();

fn engine() -> Result<&'static Mutex<Engine>, VoiceError> {
    ENGINE
        .get_or_init(|| {
            // SAFETY: called once, guarded by OnceLock; a null path uses the installed data.
            let rate = unsafe {
                sys::espeak_Initialize(sys::espeak_AUDIO_OUTPUT_AUDIO_OUTPUT_SYNCHRONOUS, 0, std::ptr::null(), 0)
            };
            if rate > 0 && rate as u32 != RATE {
                return Err(format!("espeak-ng speaks at {rate} Hz; hipvoice expects {RATE} Hz"));
            }
            if rate <= 0 {
                return Err("espeak-ng could not start: its voice data was not found. hint: install espeak-ng-data (scripts/install-deps)".to_owned());
            }
            // SAFETY: `collect` matches the callback type and only touches the user data we pass.
            unsafe { sys::espeak_SetSynthCallback(Some(collect)) };
            Ok(Mutex::new(Engine { rate: rate as u32, applied: None, language: String::new() }))
        })
        .as_ref()
        .map_err(|e| VoiceError::Init(e.clone()))
}

unsafe extern "C" {
    fn srand(seed: std::ffi::c_uint);
}

/// The synthesis callback: appends samples to the `Vec<i16>` passed as user data.
unsafe extern "C" fn collect(wav: *mut c_short, n: c_int, events: *mut sys::espeak_EVENT) -> c_int {
    if wav.is_null() || n <= 0 || events.is_null() {
        return 0;
    }
    // SAFETY: espeak passes the user data of the current `espeak_Synth` call in every event; we
    // always pass a live `Vec<i16>`, and the engine lock keeps calls from running at once.
    unsafe {
        let out = (*events).user_data as *mut Vec<i16>;
        if let Some(out) = out.as_mut() {
            out.extend_from_slice(std::slice::from_raw_parts(wav, n as usize));
        }
    }
    0
}

/// The embedded espeak-ng voice with its settings.
pub struct Espeak {
    settings: EspeakSettings,
    rate: u32,
}

impl Espeak {
    pub fn new(settings: EspeakSettings) -> Result<Espeak, VoiceError> {
        let rate = engine()?
            .lock()
            .map_err(|_| VoiceError::Init("the speech engine failed earlier".into()))?
            .rate;
        let mut v = Espeak { settings, rate };
        // Fail now, not mid-session, on an unknown voice.
        v.synthesize("ok")?;
        Ok(v)
    }

    fn apply(&self, engine: &mut Engine) -> Result<(), VoiceError> {
        if engine.applied.as_ref() == Some(&self.settings) {
            return Ok(());
        }
        let s = &self.settings;
        let name = CString::new(s.voice.clone()).map_err(|_| {
            VoiceError::Init(format!("the voice name \"{}\" has a NUL byte", s.voice))
        })?;
        // SAFETY: a valid C string; the engine lock is held.
        let mut err = unsafe { sys::espeak_SetVoiceByName(name.as_ptr()) };
        if err != sys::espeak_ERROR_EE_OK && !s.voice.contains('+') {
            // A language ("en-gb", "de") rather than a voice's name: the best voice for it.
            let mut spec = sys::espeak_VOICE {
                name: std::ptr::null(),
                languages: name.as_ptr(),
                identifier: std::ptr::null(),
                gender: 0,
                age: 0,
                variant: 0,
                xx1: 0,
                score: 0,
                spare: std::ptr::null_mut(),
            };
            // SAFETY: `spec` and the string it points to outlive the call; the lock is held.
            err = unsafe { sys::espeak_SetVoiceByProperties(&mut spec) };
            if err == sys::espeak_ERROR_EE_OK {
                let got = current_language();
                if super::primary_language(&got) != super::primary_language(&s.voice) {
                    err = sys::espeak_ERROR_EE_NOT_FOUND;
                }
            }
        }
        if err != sys::espeak_ERROR_EE_OK {
            engine.applied = None;
            return Err(VoiceError::Init(format!(
                "espeak-ng has no voice \"{}\". hint: `espeak-ng --voices` lists them; try en-us, en-gb or en+f3",
                s.voice
            )));
        }
        // SAFETY: plain parameter setters; the engine lock is held.
        unsafe {
            sys::espeak_SetParameter(
                sys::espeak_PARAMETER_espeakRATE,
                s.rate_wpm.clamp(RATE_WPM.0, RATE_WPM.1) as c_int,
                0,
            );
            sys::espeak_SetParameter(
                sys::espeak_PARAMETER_espeakPITCH,
                s.pitch.min(100) as c_int,
                0,
            );
            sys::espeak_SetParameter(sys::espeak_PARAMETER_espeakVOLUME, 100, 0);
        }
        engine.applied = Some(s.clone());
        engine.language = current_language();
        Ok(())
    }

    /// The language the voice speaks, as espeak-ng names it ("en-us", "de"): the rules it reads
    /// text with.
    pub fn language(&self) -> Result<String, VoiceError> {
        let mut engine = engine()?
            .lock()
            .map_err(|_| VoiceError::Init("the speech engine failed earlier".into()))?;
        self.apply(&mut engine)?;
        Ok(engine.language.clone())
    }
}

/// The first language of the current voice. espeak-ng keeps a voice's languages as a list of
/// entries, each a priority byte and a NUL-terminated name; the first is its own.
fn current_language() -> String {
    // SAFETY: the engine lock is held by the caller; the pointer is espeak-ng's own and valid
    // until the next voice change; a null voice or list reads as no language.
    unsafe {
        let v = sys::espeak_GetCurrentVoice();
        if v.is_null() || (*v).languages.is_null() {
            return String::new();
        }
        let first = (*v).languages.add(1);
        std::ffi::CStr::from_ptr(first)
            .to_string_lossy()
            .into_owned()
    }
}

/// Level of speech in the mix: a little under full scale, so nothing clips.
const SPEECH_GAIN: f32 = 0.8;
/// Below this a sample counts as silence when trimming (about -60 dBFS).
const SILENCE: i16 = 33;

impl Voice for Espeak {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn another(&self) -> Box<dyn Voice> {
        // One engine behind a lock serves every handle; a handle is its settings.
        Box::new(Espeak {
            settings: self.settings.clone(),
            rate: self.rate,
        })
    }

    fn synthesize(&mut self, text: &str) -> Result<Vec<f32>, VoiceError> {
        let fail = |reason: String| VoiceError::Synth {
            text: text.to_owned(),
            reason,
        };
        let c_text = CString::new(text).map_err(|_| fail("the text has a NUL byte".into()))?;
        let mut engine = engine()?
            .lock()
            .map_err(|_| fail("the speech engine failed earlier".into()))?;
        self.apply(&mut engine)?;
        let mut out: Vec<i16> = Vec::with_capacity(self.rate as usize * 2);
        // espeak-ng draws its breath and fricative noise from libc's rand(): a fixed seed makes a
        // run that says the same lines in the same order come out the same every time, so a plan
        // made in one run matches a render in another.
        // SAFETY: srand only sets libc's generator state; the engine lock is held.
        unsafe { srand(1) };
        // SAFETY: the text is a valid NUL-terminated UTF-8 string; `out` outlives the call, and
        // in synchronous mode every callback has run when `espeak_Synth` returns.
        let err = unsafe {
            sys::espeak_Synth(
                c_text.as_ptr() as *const c_void,
                c_text.as_bytes_with_nul().len(),
                0,
                sys::espeak_POSITION_TYPE_POS_CHARACTER,
                0,
                sys::espeakCHARS_UTF8,
                std::ptr::null_mut(),
                &mut out as *mut Vec<i16> as *mut c_void,
            )
        };
        if err != sys::espeak_ERROR_EE_OK {
            return Err(fail(format!("espeak-ng error {err}")));
        }
        drop(engine);
        // Trim the engine's leading and trailing silence so a line starts on its cue's frame.
        let first = out
            .iter()
            .position(|s| s.unsigned_abs() > SILENCE as u16)
            .unwrap_or(out.len());
        let last = out
            .iter()
            .rposition(|s| s.unsigned_abs() > SILENCE as u16)
            .map_or(first, |i| i + 1);
        Ok(out[first..last]
            .iter()
            .map(|&s| f32::from(s) / 32768.0 * SPEECH_GAIN)
            .collect())
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
        assert!(short[0].abs() > 0.0005, "leading silence was not trimmed");
        let peak = long.iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!(peak > 0.1 && peak <= SPEECH_GAIN, "peak {peak}");
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
