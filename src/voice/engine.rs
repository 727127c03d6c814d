//! libespeak-ng itself: the one engine of a process, behind one lock, with the settings last
//! applied. What a voice worker runs ([`super::worker`]), and what runs in hipvoice's own
//! process where no worker can start ([`in_process`]). Each caller applies its own settings
//! under the lock before it speaks, so two voices with different settings never mix.

use std::ffi::{CString, c_int, c_short, c_void};
use std::sync::{Mutex, OnceLock};

use espeakng_sys as sys;

use super::VoiceError;

/// The rate libespeak-ng synthesises at (its `espeak_Initialize` answer; checked at start).
pub const RATE: u32 = 22050;

/// The speaking rates hipvoice offers, words per minute: espeak-ng speaks clearly from about
/// 80 to 450 (its own documented range for `-s`). The flag, the config file, the keys and the
/// engine all take this one range.
pub const RATE_WPM: (u32, u32) = (80, 450);

/// Settings of the embedded voice.
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

/// The longest voice name espeak-ng takes whole: its variant buffer is 40 bytes (espeakup #9),
/// and a longer name aborts it. Its own names are far shorter ("en-gb-x-gbclan", "en+klatt2").
pub const MAX_VOICE_NAME: usize = 32;

/// A voice name espeak-ng can be given: 1 to [`MAX_VOICE_NAME`] ASCII letters, digits, `-`,
/// `_` and at most one `+` (before a variant). Checked before the name reaches the library.
pub fn check_name(name: &str) -> Result<(), VoiceError> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'));
    let pluses = name.matches('+').count();
    if name.is_empty()
        || name.len() > MAX_VOICE_NAME
        || !ok_chars
        || pluses > 1
        || name.starts_with('+')
        || name.ends_with('+')
    {
        return Err(VoiceError::Init(format!(
            "\"{}\" is not a voice name: a name is at most {MAX_VOICE_NAME} characters in all (letters, digits, dashes and underscores), with at most one variant after a + (en-us, en-gb, en+f3). hint: `espeak-ng --voices` lists them",
            crate::diag::escape(&name.chars().take(48).collect::<String>())
        )));
    }
    Ok(())
}

/// The engine in this process: what a worker runs, and what runs where no worker can start.
pub(crate) mod in_process {
    use super::*;

    /// Starts the engine if needed and checks `s` by saying a first word; the sample rate.
    pub fn new(s: &EspeakSettings) -> Result<u32, VoiceError> {
        let rate = engine()?
            .lock()
            .map_err(|_| VoiceError::Init("the speech engine failed earlier".into()))?
            .rate;
        // Fail now, not mid-session, on an unknown voice.
        synthesize(s, "ok")?;
        Ok(rate)
    }

    pub fn language(s: &EspeakSettings) -> Result<String, VoiceError> {
        let mut engine = engine()?
            .lock()
            .map_err(|_| VoiceError::Init("the speech engine failed earlier".into()))?;
        apply(s, &mut engine)?;
        Ok(engine.language.clone())
    }

    fn apply(s: &EspeakSettings, engine: &mut Engine) -> Result<(), VoiceError> {
        if engine.applied.as_ref() == Some(s) {
            return Ok(());
        }
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
                if crate::voice::primary_language(&got) != crate::voice::primary_language(&s.voice)
                {
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

    /// Says `text` with `s`: trimmed of the engine's leading and trailing silence, at
    /// [`SPEECH_GAIN`], its edges faded ([`fade_edges`]).
    pub fn synthesize(s: &EspeakSettings, text: &str) -> Result<Vec<f32>, VoiceError> {
        let fail = |reason: String| VoiceError::Synth {
            text: text.to_owned(),
            reason,
        };
        let c_text = CString::new(text).map_err(|_| fail("the text has a NUL byte".into()))?;
        let mut engine = engine()?
            .lock()
            .map_err(|_| fail("the speech engine failed earlier".into()))?;
        apply(s, &mut engine)?;
        let mut out: Vec<i16> = Vec::with_capacity(engine.rate as usize * 2);
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
        let mut clip: Vec<f32> = out[first..last]
            .iter()
            .map(|&s| f32::from(s) / 32768.0 * SPEECH_GAIN)
            .collect();
        crate::voice::fade_edges(&mut clip, EDGE_FADE_FRAMES);
        Ok(clip)
    }
}

/// Every voice espeak-ng has: (the name `--voice` takes, its language, what espeak-ng calls it),
/// sorted by language. The name is the voice file's (`gmw/en-US` → `en-us`), which
/// `espeak_SetVoiceByName` takes. Errors: the engine cannot start (no voice data).
pub fn voices() -> Result<Vec<(String, String, String)>, VoiceError> {
    let _engine = engine()?
        .lock()
        .map_err(|_| VoiceError::Init("the speech engine failed earlier".into()))?;
    let mut out = Vec::new();
    // SAFETY: the engine is initialised and its lock held; espeak-ng owns the returned
    // NULL-terminated array and its strings until the next call, and each is read before that.
    unsafe {
        let list = sys::espeak_ListVoices(std::ptr::null_mut());
        if list.is_null() {
            return Ok(out);
        }
        let mut i = 0;
        loop {
            let v = *list.add(i);
            if v.is_null() {
                break;
            }
            i += 1;
            let text = |p: *const std::ffi::c_char| {
                if p.is_null() {
                    String::new()
                } else {
                    std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
                }
            };
            let language = if (*v).languages.is_null() {
                String::new()
            } else {
                text((*v).languages.add(1))
            };
            let id = text((*v).identifier);
            let name = id.rsplit('/').next().unwrap_or(&id).to_ascii_lowercase();
            out.push((name, language, text((*v).name)));
        }
    }
    out.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    Ok(out)
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

/// The length of the fade at each edge of a line, in frames at [`RATE`]: 3 ms. The trim above
/// cuts at the first and last sample over -60 dBFS, which espeak-ng leaves mid-wave (steps of
/// up to -27 dBFS against silence were measured in a render of `stretch`, heard as clicks on
/// headphones); 3 ms is under a pitch period of most voices, too short to hear as a fade.
pub(crate) const EDGE_FADE_FRAMES: usize = 66;

/// Level of speech in the mix: a little under full scale, so nothing clips.
pub(crate) const SPEECH_GAIN: f32 = 0.8;
/// Below this a sample counts as silence when trimming (about -60 dBFS).
const SILENCE: i16 = 33;
