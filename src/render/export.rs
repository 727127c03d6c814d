//! Files: WAV (hound), Ogg Vorbis (vorbis_rs) and MP3 (LAME, through mp3lame-encoder), with
//! WebVTT captions of every spoken line and chapter marks per exercise (in the Ogg comments, and
//! in a chapters file for WAV and MP3).

use std::fmt::Write as _;
use std::io::Write as _;
use std::num::{NonZeroU8, NonZeroU32};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::plan::{CueKind, Timeline};
use crate::render::program::Streamed;
use crate::voice::VoiceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Wav,
    Ogg,
    /// MPEG-1/2 Layer III, gapless: see [`MP3_KBPS`].
    Mp3,
}

/// The MP3's constant bit rate (kbit/s). At the timeline's 22050 Hz (MPEG-2 Layer III) a frame
/// of 64 kbit/s (208 bytes) is the smallest that holds the LAME tag (about 190 bytes for mono):
/// below it LAME leaves the tag out, and with it the encoder delay and padding that make the
/// file gapless (read from LAME 3.100's source). For one voice, 64 kbit/s is plenty.
pub const MP3_KBPS: u32 = 64;

impl Format {
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "wav" => Some(Format::Wav),
            "ogg" | "oga" => Some(Format::Ogg),
            "mp3" => Some(Format::Mp3),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
    #[error(transparent)]
    Voice(#[from] VoiceError),
    /// A signal asked to stop; nothing was written.
    #[error("stopped before {path} was written; nothing was left behind")]
    Interrupted { path: String },
}

fn write_err(path: &Path, e: impl std::fmt::Display) -> ExportError {
    ExportError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// `hh:mm:ss.mmm` for WebVTT and chapters.
pub fn timestamp(frames: u64, rate: u32) -> String {
    let ms = frames * 1000 / u64::from(rate);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        (ms / 60_000) % 60,
        (ms / 1000) % 60,
        ms % 1000
    )
}

/// A WebVTT file of the cues of one kind, each with its text; `prefix` names the cue ids.
fn vtt(t: &Timeline, kind: CueKind, prefix: &str) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for (i, c) in t.of_kind(kind).enumerate() {
        let _ = writeln!(
            out,
            "{prefix}{}\n{} --> {}\n{}\n",
            i + 1,
            timestamp(c.start, t.sample_rate),
            timestamp(c.end, t.sample_rate),
            vtt_text(c.text.as_deref().unwrap_or(""))
        );
    }
    out
}

/// Cue text for WebVTT: `&` and `<` are markup there, and `-->` would end the cue early;
/// control characters are escaped as everywhere.
fn vtt_text(text: &str) -> String {
    crate::diag::escape(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace("-->", "--&gt;")
}

/// WebVTT captions: one cue per spoken line, at its frames.
pub fn captions(t: &Timeline) -> String {
    vtt(t, CueKind::Speech, "")
}

/// WebVTT chapters: one per exercise.
pub fn chapters(t: &Timeline) -> String {
    vtt(t, CueKind::Exercise, "chapter-")
}

/// What `write` made.
#[derive(Debug)]
pub struct Written {
    pub audio: PathBuf,
    pub captions: PathBuf,
    pub chapters: Option<PathBuf>,
}

/// Where a render goes: a temporary file beside each file it will make (the audio, its
/// captions, its chapters where the format has none inside). Creating a target checks that
/// every file can be written before the long work starts; [`Target::write`] renames them into
/// place only when all are complete. A failure, a signal or a dropped target removes the
/// temporaries, so an existing file is never replaced by a partial one.
pub struct Target {
    format: Format,
    audio: (PathBuf, tempfile::NamedTempFile),
    captions: (PathBuf, tempfile::NamedTempFile),
    chapters: Option<(PathBuf, tempfile::NamedTempFile)>,
}

fn temp_beside(path: &Path) -> Result<(PathBuf, tempfile::NamedTempFile), ExportError> {
    // A folder where a file will go would fail only at the last rename, after other files
    // were already in place: refuse it before anything is written.
    if path.is_dir() {
        return Err(write_err(path, "it is a folder"));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| {
            // The error names the temporary file, which the person never asked for: name
            // the cause only.
            let text = e.to_string();
            let cause = text
                .split(" at path ")
                .next()
                .unwrap_or_default()
                .to_owned();
            write_err(path, cause)
        })?;
    Ok((path.to_path_buf(), tmp))
}

impl Target {
    pub fn create(path: &Path, format: Format) -> Result<Target, ExportError> {
        Ok(Target {
            format,
            audio: temp_beside(path)?,
            captions: temp_beside(&path.with_extension("vtt"))?,
            chapters: match format {
                Format::Wav | Format::Mp3 => {
                    Some(temp_beside(&path.with_extension("chapters.vtt"))?)
                }
                Format::Ogg => None,
            },
        })
    }

    /// Writes everything, then renames each file into place. `stop` is checked between
    /// chunks: when it is set the render ends with [`ExportError::Interrupted`] and the
    /// temporaries are removed.
    pub fn write(
        mut self,
        program: &mut Streamed<'_>,
        title: &str,
        stop: &AtomicBool,
    ) -> Result<Written, ExportError> {
        let t = program.timeline();
        let path = self.audio.0.clone();
        let file = self
            .audio
            .1
            .as_file()
            .try_clone()
            .map_err(|e| write_err(&path, e))?;
        match self.format {
            Format::Wav => write_wav(program, file, &path, stop)?,
            Format::Ogg => write_ogg(program, t, title, file, &path, stop)?,
            Format::Mp3 => write_mp3(program, title, file, &path, stop)?,
        }
        let small = |(p, tmp): &mut (PathBuf, tempfile::NamedTempFile), text: String| {
            tmp.write_all(text.as_bytes())
                .and_then(|_| tmp.as_file().sync_all())
                .map_err(|e| write_err(p, e))
        };
        small(&mut self.captions, captions(t))?;
        if let Some(c) = self.chapters.as_mut() {
            small(c, chapters(t))?;
        }
        self.audio
            .1
            .as_file()
            .sync_all()
            .map_err(|e| write_err(&path, e))?;
        let written = Written {
            audio: self.audio.0.clone(),
            captions: self.captions.0.clone(),
            chapters: self.chapters.as_ref().map(|c| c.0.clone()),
        };
        // The audio last: a reader who sees it sees its captions too.
        let parts = [Some(self.captions), self.chapters, Some(self.audio)];
        for (p, tmp) in parts.into_iter().flatten() {
            // A temporary file is private (0600); a rendered file is an ordinary one.
            use std::os::unix::fs::PermissionsExt;
            let _ = tmp
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644));
            tmp.persist(&p).map_err(|e| write_err(&p, e.error))?;
        }
        Ok(written)
    }
}

fn interrupted(stop: &AtomicBool, path: &Path) -> Result<(), ExportError> {
    if stop.load(Ordering::Relaxed) {
        Err(ExportError::Interrupted {
            path: path.display().to_string(),
        })
    } else {
        Ok(())
    }
}

const CHUNK: usize = 16384;

fn write_wav(
    program: &mut Streamed<'_>,
    file: std::fs::File,
    path: &Path,
    stop: &AtomicBool,
) -> Result<(), ExportError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: program.rate(),
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::new(std::io::BufWriter::new(file), spec)
        .map_err(|e| write_err(path, e))?;
    let mut buf = vec![0f32; CHUNK];
    let mut at = 0u64;
    while at < program.frames() {
        interrupted(stop, path)?;
        let n = (program.frames() - at).min(CHUNK as u64) as usize;
        program.next_chunk(&mut buf[..n])?;
        let mut i16w = w.get_i16_writer(n as u32);
        for &s in &buf[..n] {
            i16w.write_sample((s * 32767.0).round() as i16);
        }
        i16w.flush().map_err(|e| write_err(path, e))?;
        at += n as u64;
    }
    w.finalize().map_err(|e| write_err(path, e))
}

fn write_ogg(
    program: &mut Streamed<'_>,
    t: &Timeline,
    title: &str,
    file: std::fs::File,
    path: &Path,
    stop: &AtomicBool,
) -> Result<(), ExportError> {
    let mut sink = std::io::BufWriter::new(file);
    let rate = NonZeroU32::new(program.rate()).expect("a timeline has a rate");
    let mut builder =
        vorbis_rs::VorbisEncoderBuilder::new(rate, NonZeroU8::new(1).expect("one"), &mut sink)
            .map_err(|e| write_err(path, e))?;
    let mut tags = vec![
        ("TITLE".to_owned(), title.to_owned()),
        (
            "ENCODER".to_owned(),
            concat!("hipvoice ", env!("CARGO_PKG_VERSION")).to_owned(),
        ),
    ];
    // Chapters as Vorbis comments (CHAPTERxxx / CHAPTERxxxNAME), which players such as VLC read.
    for (i, c) in t.of_kind(CueKind::Exercise).enumerate() {
        tags.push((
            format!("CHAPTER{:03}", i + 1),
            timestamp(c.start, t.sample_rate),
        ));
        tags.push((
            format!("CHAPTER{:03}NAME", i + 1),
            c.text.clone().unwrap_or_default(),
        ));
    }
    builder.comment_tags(tags).map_err(|e| write_err(path, e))?;
    let mut enc = builder.build().map_err(|e| write_err(path, e))?;
    let mut buf = vec![0f32; CHUNK];
    let mut at = 0u64;
    while at < program.frames() {
        interrupted(stop, path)?;
        let n = (program.frames() - at).min(CHUNK as u64) as usize;
        program.next_chunk(&mut buf[..n])?;
        enc.encode_audio_block([&buf[..n]])
            .map_err(|e| write_err(path, e))?;
        at += n as u64;
    }
    enc.finish().map_err(|e| write_err(path, e))?;
    sink.flush().map_err(|e| write_err(path, e))
}

/// MP3 through LAME, constant [`MP3_KBPS`], with an ID3v2 title and the LAME tag: LAME
/// writes a placeholder frame first and, once everything is encoded, the real tag (encoder
/// delay, padding, frame count) is written over it, so a decoder that reads the tag (ffmpeg,
/// mpg123) gives the timeline's frame 0 as its first sample and exactly `program.frames`
/// samples.
fn write_mp3(
    program: &mut Streamed<'_>,
    title: &str,
    file: std::fs::File,
    path: &Path,
    stop: &AtomicBool,
) -> Result<(), ExportError> {
    use mp3lame_encoder::{
        Bitrate, Builder, FlushGap, Id3Tag, MonoPcm, Quality, max_required_buffer_size,
    };
    use std::io::{Seek, SeekFrom};

    let refused = |e: &dyn std::fmt::Display| write_err(path, format!("the MP3 encoder: {e}"));
    let encoder = || -> Result<mp3lame_encoder::Encoder, String> {
        let b = Builder::new().ok_or("it could not start")?;
        let comment = concat!("hipvoice ", env!("CARGO_PKG_VERSION"));
        let b = b
            .with_id3_tag(Id3Tag {
                title: title.as_bytes(),
                artist: b"",
                album: b"",
                album_art: b"",
                year: b"",
                comment: comment.as_bytes(),
            })
            .map_err(|e| format!("{e:?}"))?;
        let rate = NonZeroU32::new(program.rate());
        b.with_num_channels(1)
            .and_then(|b| b.with_sample_rate(program.rate()))
            .and_then(|b| b.with_output_sample_rate(rate))
            .and_then(|b| b.with_brate(Bitrate::Kbps64))
            .and_then(|b| b.with_quality(Quality::Ok))
            .and_then(|b| b.with_to_write_vbr_tag(true))
            .and_then(|b| b.build())
            .map_err(|e| e.to_string())
    };
    let mut enc = encoder().map_err(|e| refused(&e))?;
    let mut sink = std::io::BufWriter::new(file);
    let mut buf = vec![0f32; CHUNK];
    let mut out: Vec<u8> = Vec::with_capacity(max_required_buffer_size(CHUNK));
    let mut at = 0u64;
    while at < program.frames() {
        interrupted(stop, path)?;
        let n = (program.frames() - at).min(CHUNK as u64) as usize;
        program.next_chunk(&mut buf[..n])?;
        out.clear();
        out.reserve(max_required_buffer_size(n));
        enc.encode_to_vec(MonoPcm(&buf[..n]), &mut out)
            .map_err(|e| refused(&e))?;
        sink.write_all(&out).map_err(|e| write_err(path, e))?;
        at += n as u64;
    }
    out.clear();
    out.reserve(7200);
    enc.flush_to_vec::<FlushGap>(&mut out)
        .map_err(|e| refused(&e))?;
    sink.write_all(&out).map_err(|e| write_err(path, e))?;
    // The LAME tag over its placeholder, the first frame after the ID3v2 tag.
    let mut tag = Vec::with_capacity(enc.lame_tag_size());
    if enc.lame_tag_encode_to_vec(&mut tag).is_none() {
        return Err(refused(
            &"it wrote no LAME tag, so the file would not be gapless",
        ));
    }
    let mut file = sink.into_inner().map_err(|e| write_err(path, e.error()))?;
    file.seek(SeekFrom::Start(enc.id3v2_tag_size() as u64))
        .and_then(|_| file.write_all(&tag))
        .map_err(|e| write_err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caption_text_cannot_break_a_cue() {
        assert_eq!(vtt_text("Hold."), "Hold.");
        assert_eq!(
            vtt_text("Caps & <b>bold</b> --> two \u{1b}[2J"),
            "Caps &amp; &lt;b>bold&lt;/b> --&gt; two \\u{1b}[2J"
        );
    }
}
