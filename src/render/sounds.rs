//! The sound bank: every sound a routine uses, decoded once to mono at the timeline rate.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use crate::routine::{Routine, SoundRef};
use crate::sounds;

/// The longest sound accepted from a user's file: cues are short.
pub const MAX_SOUND_SECS: f64 = 10.0;

#[derive(Debug, thiserror::Error)]
pub enum SoundError {
    #[error("{loc}: cannot use the sound file {path}: {reason}. hint: {hint}")]
    File {
        loc: String,
        path: String,
        reason: String,
        hint: String,
    },
    #[error("the built-in sound {0} is damaged: {1}")]
    Builtin(String, String),
    #[error(
        "{path}: cannot use it in place of the built-in sound \"{name}\": {reason}. hint: fix the file, or remove it to hear the built-in sound"
    )]
    Override {
        path: String,
        name: String,
        reason: String,
    },
}

/// Decoded sounds by name, mono, at one rate.
#[derive(Debug, Clone)]
pub struct SoundBank {
    sounds: HashMap<String, Arc<[f32]>>,
}

impl SoundBank {
    /// The built-in sounds (each replaced by `NAME.wav` in `overrides`, where there is one) and
    /// every sound file the routine names.
    pub fn load(
        routine: &Routine,
        rate: u32,
        overrides: Option<&Path>,
    ) -> Result<SoundBank, SoundError> {
        let mut bank = SoundBank::builtin(rate)?;
        if let Some(dir) = overrides {
            for name in sounds::names() {
                let path = dir.join(format!("{name}.wav"));
                if path.exists() {
                    let samples =
                        read_file(&path, rate).map_err(|(reason, _)| SoundError::Override {
                            path: path.display().to_string(),
                            name: name.to_owned(),
                            reason,
                        })?;
                    bank.sounds.insert(name.to_owned(), samples.into());
                }
            }
        }
        for ex in &routine.exercises {
            for s in [&ex.start_sound, &ex.release_sound, &ex.beat_sound] {
                if let SoundRef::File { path, loc } = s {
                    let key = s.name();
                    if bank.sounds.contains_key(&key) {
                        continue;
                    }
                    let samples =
                        read_file(path, rate).map_err(|(reason, hint)| SoundError::File {
                            loc: loc.to_string(),
                            path: path.display().to_string(),
                            reason,
                            hint,
                        })?;
                    bank.sounds.insert(key, samples.into());
                }
            }
        }
        Ok(bank)
    }

    pub fn builtin(rate: u32) -> Result<SoundBank, SoundError> {
        let mut sounds = HashMap::new();
        for (name, bytes) in sounds::BUILTIN {
            let samples =
                decode(bytes, rate).map_err(|e| SoundError::Builtin(name.to_owned(), e))?;
            sounds.insert(name.to_owned(), samples.into());
        }
        Ok(SoundBank { sounds })
    }

    pub fn get(&self, name: &str) -> Option<&Arc<[f32]>> {
        self.sounds.get(name)
    }

    /// The length of a sound in frames (0 for one not in the bank).
    pub fn frames(&self, sound: &SoundRef) -> u64 {
        self.sounds.get(&sound.name()).map_or(0, |s| s.len() as u64)
    }
}

/// The largest sound file read: ten seconds of 8 channels of 32-bit samples at 96 kHz, and more.
const MAX_SOUND_BYTES: u64 = 32 * 1024 * 1024;

fn read_file(path: &Path, rate: u32) -> Result<Vec<f32>, (String, String)> {
    let bytes = crate::files::read_limited(path, MAX_SOUND_BYTES).map_err(|e| {
        let hint = match e {
            crate::files::ReadError::Io(_) => {
                "check the path; it is relative to the routine's folder"
            }
            crate::files::ReadError::NotAFile(_) => "name a sound file (WAV, FLAC, Ogg, MP3)",
            crate::files::ReadError::TooBig { .. } => "cue sounds should be short; trim it",
        };
        (e.to_string(), hint.to_owned())
    })?;
    let samples = decode(&bytes, rate).map_err(|e| {
        let hint = if e.starts_with("it lasts") {
            "cue sounds should be short; trim it"
        } else {
            "use a WAV, FLAC, Ogg or MP3 file (1000 to 384000 Hz, 1 to 8 channels)"
        };
        (e, hint.to_owned())
    })?;
    if samples.len() as f64 > MAX_SOUND_SECS * f64::from(rate) {
        return Err((
            format!("it lasts more than {MAX_SOUND_SECS} seconds"),
            "cue sounds should be short; trim it".to_owned(),
        ));
    }
    if samples.is_empty() {
        return Err((
            "it has no samples".to_owned(),
            "use a WAV file with sound in it".to_owned(),
        ));
    }
    Ok(samples)
}

/// A RIFF WAV's `fmt ` chunk and its data, found by walking its chunks (in the first 64 KiB
/// for the header), and what the header declares: the sample rate, and the data's length
/// (bytes), `None` when it is the "unknown" a streaming writer leaves (0 or 0xFFFFFFFF, as
/// ffmpeg writes to a pipe).
struct Wav<'a> {
    fmt: &'a [u8],
    data: &'a [u8],
    rate: u32,
    declared: Option<u64>,
}

fn is_chunk_id(b: &[u8]) -> bool {
    b.len() >= 4 && b[..4].iter().all(|c| (0x20..0x7f).contains(c))
}

fn wav(bytes: &[u8]) -> Option<Wav<'_>> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let mut fmt = None;
    let mut at = 12usize;
    while at + 8 <= bytes.len().min(64 * 1024) {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?);
        let body = at + 8;
        if id == b"data" {
            let f: &[u8] = fmt?;
            let declared = (len != 0 && len != u32::MAX).then_some(u64::from(len));
            let end = declared.map_or(bytes.len(), |n| {
                (body as u64 + n).min(bytes.len() as u64) as usize
            });
            return Some(Wav {
                fmt: f,
                data: &bytes[body..end],
                rate: u32::from_le_bytes(f.get(4..8)?.try_into().ok()?),
                declared,
            });
        }
        let Some(next) = body.checked_add(len as usize) else {
            break;
        };
        if id == b"fmt " {
            match bytes.get(body..next) {
                Some(f) => fmt = Some(f),
                None => break,
            }
        }
        // Chunks are padded to an even size; some writers leave the pad out, or count it in
        // an odd-sized list's length: take whichever leads to the next chunk.
        at = if len % 2 == 1
            && bytes.get(next) == Some(&0)
            && is_chunk_id(&bytes[(next + 1).min(bytes.len())..])
        {
            next + 1
        } else {
            next
        };
    }
    // No data chunk: the format alone, so its rate is still checked; it decodes to nothing.
    let f: &[u8] = fmt?;
    Some(Wav {
        fmt: f,
        data: &[],
        rate: u32::from_le_bytes(f.get(4..8)?.try_into().ok()?),
        declared: None,
    })
}

/// A `fmt ` chunk as the decoder reads it: PCM and IEEE float as their 16 bytes, an
/// extensible one (tag 0xFFFE) as its 40 bytes with `cbSize` 22, whatever extra bytes the
/// writer put after them (symphonia refuses an extension of any other size, which readers such
/// as ffmpeg and sox take; wavefile #37). Any other format is left as written.
fn fmt_for_decoder(fmt: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    let tag = fmt.get(0..2).map(|t| u16::from_le_bytes([t[0], t[1]]));
    match tag {
        Some(1 | 3) if fmt.len() > 16 => Cow::Borrowed(&fmt[..16]),
        Some(0xFFFE)
            if fmt.len() > 40 || (fmt.len() == 40 && fmt[16..18] != 22u16.to_le_bytes()) =>
        {
            let mut f = fmt[..40].to_vec();
            f[16..18].copy_from_slice(&22u16.to_le_bytes());
            Cow::Owned(f)
        }
        _ => Cow::Borrowed(fmt),
    }
}

impl Wav<'_> {
    /// The same sound as a plain RIFF WAV of two chunks, `fmt ` (as [`fmt_for_decoder`]) and
    /// `data`, with true sizes: what the decoder reads, whatever else the file held or left
    /// unknown.
    fn plain(&self) -> Vec<u8> {
        let fmt = fmt_for_decoder(self.fmt);
        let fmt: &[u8] = &fmt;
        let mut v = Vec::with_capacity(self.data.len() + fmt.len() + 28);
        v.extend_from_slice(b"RIFF");
        let fmt_len = fmt.len() + fmt.len() % 2;
        v.extend_from_slice(&((4 + 8 + fmt_len + 8 + self.data.len()) as u32).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
        v.extend_from_slice(fmt);
        if fmt.len() % 2 == 1 {
            v.push(0);
        }
        v.extend_from_slice(b"data");
        v.extend_from_slice(&(self.data.len() as u32).to_le_bytes());
        v.extend_from_slice(self.data);
        v
    }
}

/// Decodes a sound file (WAV, FLAC, Ogg Vorbis or MP3, through symphonia) to mono f32 at
/// `rate`. Refused, each with a reason: a file it cannot read, a sample rate outside 1000 to
/// 384000 Hz, more than 8 channels, or more than [`MAX_SOUND_SECS`] of sound (by the header
/// when it says, else by counting as it decodes, so the work stays bounded). Channels are
/// averaged; NaN or infinite float samples are silence.
pub fn decode(bytes: &[u8], rate: u32) -> Result<Vec<f32>, String> {
    let wav = wav(bytes);
    // symphonia panics on a rate of 0: refuse it first, and contain anything else it might.
    if let Some(w) = &wav
        && !(1000..=384_000).contains(&w.rate)
    {
        return Err(format!(
            "its sample rate is {} Hz; a sound file's is 1000 to 384000 Hz",
            w.rate
        ));
    }
    // A WAV is read as its format and data alone: an odd-sized list, a size left unknown by
    // a writer to a pipe, a chunk the decoder does not know are no reason to refuse it.
    let declared = wav.as_ref().map(|w| w.declared);
    // The decoder reads from a buffer of its own: the plain WAV, or a copy of the file.
    let owned = wav.map_or_else(|| bytes.to_vec(), |w| w.plain());
    std::panic::catch_unwind(|| decode_checked(owned, declared, rate))
        .unwrap_or_else(|_| Err("the sound file is damaged (its header makes no sense)".to_owned()))
}

/// `declared`: for a WAV, the data length its header declared (`Some(None)`: unknown).
fn decode_checked(
    bytes: Vec<u8>,
    declared: Option<Option<u64>>,
    rate: u32,
) -> Result<Vec<f32>, String> {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::DecoderOptions;
    use symphonia::core::errors::Error;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let source = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let options = FormatOptions {
        // MP3 and Ogg: the encoder's delay and padding left out, so the sound starts on its
        // first frame.
        enable_gapless: true,
        ..Default::default()
    };
    let probed = symphonia::default::get_probe()
        .format(&Hint::new(), source, &options, &MetadataOptions::default())
        .map_err(|e| match e {
            Error::Unsupported(_) => {
                "not a sound file hipvoice can read (WAV, FLAC, Ogg Vorbis or MP3)".to_owned()
            }
            e => format!("not a sound file hipvoice can read ({e})"),
        })?;
    let mut format = probed.format;
    let track = format
        .default_track()
        .ok_or("it has no sound in it")?
        .clone();
    let params = &track.codec_params;
    let file_rate = params.sample_rate.unwrap_or(0);
    // The header is checked before anything is decoded: a rate of 0 or a claimed hour of audio
    // is refused here.
    if !(1000..=384_000).contains(&file_rate) {
        return Err(format!(
            "its sample rate is {file_rate} Hz; a sound file's is 1000 to 384000 Hz"
        ));
    }
    let max_frames = (MAX_SOUND_SECS * f64::from(file_rate)) as u64;
    let declared = match declared {
        Some(Some(len)) => {
            let per_frame = params.channels.map_or(1, |c| c.count() as u64).max(1)
                * u64::from(params.bits_per_sample.unwrap_or(16).div_ceil(8)).max(1);
            Some(len / per_frame)
        }
        Some(None) => None,
        None => params.n_frames,
    };
    if declared.is_some_and(|n| n > max_frames) {
        return Err(format!("it lasts more than {MAX_SOUND_SECS} seconds"));
    }
    let mut decoder = symphonia::default::get_codecs()
        .make(params, &DecoderOptions::default())
        .map_err(|e| format!("its kind of sound is not one hipvoice reads ({e})"))?;
    let mut mono: Vec<f32> = Vec::new();
    let mut buf: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(Error::ResetRequired) => break,
            Err(e) => return Err(format!("the sound data is damaged ({e})")),
        };
        if packet.track_id() != track.id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            // A damaged frame is left out, as players do.
            Err(Error::DecodeError(_)) => continue,
            Err(e) => return Err(format!("the sound data is damaged ({e})")),
        };
        let spec = *decoded.spec();
        let channels = spec.channels.count();
        if !(1..=8).contains(&channels) {
            return Err(format!("it has {channels} channels; 1 to 8 are read"));
        }
        let b = match &mut buf {
            Some(b) if b.capacity() >= decoded.capacity() * channels => b,
            _ => buf.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        b.copy_interleaved_ref(decoded);
        mono.extend(b.samples().chunks(channels).map(|c| {
            let v = c.iter().sum::<f32>() / channels as f32;
            if v.is_finite() {
                v.clamp(-1.0, 1.0)
            } else {
                0.0
            }
        }));
        if mono.len() as u64 > max_frames {
            return Err(format!("it lasts more than {MAX_SOUND_SECS} seconds"));
        }
    }
    Ok(resample(&mono, file_rate, rate))
}

/// Band-limited resampling of a mono clip from `from` Hz to `to` Hz (rubato's FFT resampler):
/// what lies above the lower Nyquist frequency is filtered out instead of folding back as an
/// alias. The resampler's delay is trimmed, so the first output frame is the first input frame
/// (a cue sound keeps its onset on its cue's frame). Output length: `ceil(len * to / from)`.
pub fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    use audioadapter_buffers::direct::InterleavedSlice;
    use rubato::{Fft, FixedSync, Resampler};
    if from == to || input.is_empty() {
        return input.to_vec();
    }
    let mut r = match Fft::<f32>::new(from as usize, to as usize, 1024, 1, FixedSync::Input) {
        Ok(r) => r,
        Err(_) => return input.to_vec(),
    };
    let mut out = vec![0f32; r.process_all_needed_output_len(input.len())];
    let capacity = out.len();
    let (Ok(src), Ok(mut dst)) = (
        InterleavedSlice::new(input, 1, input.len()),
        InterleavedSlice::new_mut(&mut out, 1, capacity),
    ) else {
        return input.to_vec();
    };
    match r.process_all_into_buffer(&src, &mut dst, input.len(), None) {
        Ok((_, n)) => {
            let want = (input.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
            out.truncate(n.min(want));
            out.resize(want, 0.0);
            out
        }
        Err(_) => input.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_sounds_decode_and_start_at_their_first_frames() {
        let bank = SoundBank::builtin(22050).unwrap();
        for name in sounds::names() {
            let s = bank.get(name).unwrap();
            assert!(s.len() > 22050 / 100, "{name} is too short");
            let peak = s.iter().fold(0f32, |m, x| m.max(x.abs()));
            assert!(peak < 0.5 && peak > 0.1, "{name} peak {peak}");
            // Audible within the first millisecond: onsets in a render land on their frames.
            let first_ms = s[..23].iter().fold(0f32, |m, x| m.max(x.abs()));
            assert!(first_ms > 0.001, "{name} starts late");
        }
    }

    #[test]
    fn a_users_sound_replaces_the_built_in_one_and_a_bad_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let r = crate::routine::BUILTIN[0].load().unwrap();
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(dir.path().join("release.wav"), spec).unwrap();
        for _ in 0..4410 * 2 {
            w.write_sample(8000i16).unwrap();
        }
        w.finalize().unwrap();
        let bank = SoundBank::load(&r, 22050, Some(dir.path())).unwrap();
        assert_eq!(
            bank.get("release").unwrap().len(),
            2205,
            "0.1 s at 44.1 kHz, stereo, is 2205 frames here"
        );
        assert_eq!(
            bank.get("hold-start").unwrap().len(),
            SoundBank::builtin(22050)
                .unwrap()
                .get("hold-start")
                .unwrap()
                .len()
        );
        std::fs::write(dir.path().join("switch.wav"), b"not a wav").unwrap();
        let e = SoundBank::load(&r, 22050, Some(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("switch.wav: cannot use it in place of the built-in sound \"switch\": not a sound file hipvoice can read (WAV, FLAC, Ogg Vorbis or MP3)"), "{e}");
    }

    #[test]
    fn resampling_keeps_duration() {
        let x = vec![0.5f32; 44100];
        assert_eq!(resample(&x, 44100, 22050).len(), 22050);
        assert_eq!(resample(&x, 22050, 48000).len(), 96000);
    }

    /// Amplitude of the `hz` component of `x` at `rate` (a single-bin DFT over whole cycles).
    fn amplitude(x: &[f32], rate: f64, hz: f64) -> f64 {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            let ph = 2.0 * std::f64::consts::PI * hz * i as f64 / rate;
            re += f64::from(v) * ph.cos();
            im += f64::from(v) * ph.sin();
        }
        2.0 * (re * re + im * im).sqrt() / x.len() as f64
    }

    /// A user's 48 kHz WAV with a 1 kHz tone and a 15 kHz tone, read at the timeline's
    /// 22050 Hz: the 1 kHz tone comes through whole; the 15 kHz tone, above the new Nyquist
    /// frequency, is filtered out instead of folding back as a loud 7.05 kHz alias.
    #[test]
    fn a_resampled_sound_has_no_alias() {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut bytes = Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut bytes, spec).unwrap();
        for i in 0..48000 {
            let t = f64::from(i) / 48000.0;
            let v = 0.3 * (2.0 * std::f64::consts::PI * 1000.0 * t).sin()
                + 0.3 * (2.0 * std::f64::consts::PI * 15000.0 * t).sin();
            w.write_sample(v as f32).unwrap();
        }
        w.finalize().unwrap();
        let y = decode(&bytes.into_inner(), 22050).unwrap();
        assert_eq!(y.len(), 22050);
        // The middle half second, away from the clip's edges.
        let mid = &y[5512..5512 + 11025];
        let tone = amplitude(mid, 22050.0, 1000.0);
        let alias = amplitude(mid, 22050.0, 22050.0 - 15000.0);
        assert!((tone - 0.3).abs() < 0.01, "1 kHz at {tone}");
        let db = 20.0 * (alias / tone).log10();
        assert!(
            db < -60.0,
            "the 7.05 kHz alias is only {db:.1} dB below the tone"
        );
    }
}
