//! Files: WAV (hound), Ogg Vorbis (vorbis_rs) and MP3 (LAME, through mp3lame-encoder), with
//! WebVTT captions of every spoken line and chapter marks per exercise (in the Ogg comments, and
//! in a chapters file for WAV and MP3). MP3 is encoded in parts on several cores at once, cut
//! where the session is silent, and joined into one gapless stream ([`crate::render::mp3`]).

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
    /// How many parts the audio was encoded in at once (1: one stream).
    pub parts: usize,
    /// Why parts encoded at once were not joined, and one stream was encoded instead (a
    /// fault of ours: the parts did not come out as planned).
    pub one_stream_because: Option<String>,
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
        let (parts, one_stream_because) = match self.format {
            Format::Wav => write_wav(program, file, &path, stop).map(|_| (1, None))?,
            Format::Ogg => write_ogg(program, t, title, file, &path, stop).map(|_| (1, None))?,
            Format::Mp3 => write_mp3(program, title, file, &path, stop)?,
        };
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
            parts,
            one_stream_because,
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

/// How many parts a compressed render encodes at once: one a core, at least two (so every
/// machine takes, and tests, the same path), at most four.
fn parts() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4)
}

/// The shortest part worth its own encoder (frames at 22050 Hz: 30 s).
const MIN_PART: u64 = 30 * 22050;

/// Frames where a render cuts a session into at most `parts` parts: each a multiple of
/// `quantum`, with at least `before` silent frames before it and `after` after it, the nearest
/// such frame to an even share of the session. Fewer cuts where a session has too few
/// silences or is too short for parts of [`MIN_PART`].
fn cuts(program: &Streamed<'_>, parts: usize, quantum: u64, before: u64, after: u64) -> Vec<u64> {
    let n = program.frames();
    let regions: Vec<(u64, u64)> = program
        .silences(before + after)
        .into_iter()
        .filter_map(|q| {
            let lo = (q.start + before).div_ceil(quantum) * quantum;
            let hi = (q.end.saturating_sub(after) / quantum) * quantum;
            (lo <= hi).then_some((lo, hi))
        })
        .collect();
    let mut out: Vec<u64> = Vec::new();
    for k in 1..parts as u64 {
        let share = n * k / parts as u64;
        let best = regions
            .iter()
            .map(|&(lo, hi)| ((share / quantum) * quantum).clamp(lo, hi))
            .min_by_key(|p| p.abs_diff(share));
        if let Some(p) = best
            && p >= out.last().copied().unwrap_or(0) + MIN_PART
            && p + MIN_PART <= n
        {
            out.push(p);
        }
    }
    out
}

/// A LAME encoder for the session's rate at [`MP3_KBPS`]. With a title, the first part's:
/// an ID3v2 tag and a LAME tag; without, a part to be joined after it: frames only.
fn mp3_encoder(rate: u32, title: Option<&str>) -> Result<mp3lame_encoder::Encoder, String> {
    use mp3lame_encoder::{Bitrate, Builder, Id3Tag, Quality};
    let mut b = Builder::new().ok_or("it could not start")?;
    if let Some(title) = title {
        let comment = concat!("hipvoice ", env!("CARGO_PKG_VERSION"));
        b = b
            .with_id3_tag(Id3Tag {
                title: title.as_bytes(),
                artist: b"",
                album: b"",
                album_art: b"",
                year: b"",
                comment: comment.as_bytes(),
            })
            .map_err(|e| format!("{e:?}"))?;
    }
    b.with_num_channels(1)
        .and_then(|b| b.with_sample_rate(rate))
        .and_then(|b| b.with_output_sample_rate(NonZeroU32::new(rate)))
        .and_then(|b| b.with_brate(Bitrate::Kbps64))
        .and_then(|b| b.with_quality(Quality::Ok))
        .and_then(|b| b.with_to_write_vbr_tag(title.is_some()))
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())
}

fn mp3_refused(path: &Path, e: &dyn std::fmt::Display) -> ExportError {
    write_err(path, format!("the MP3 encoder: {e}"))
}

/// Mixes from where `mixer` is to frame `to`, encodes it and flushes the encoder (padding the
/// last frame, see [`crate::render::mp3`]). The ID3v1 tag LAME ends a stream with (when it
/// has a title) is not written but returned, so a part joined after this one does not follow
/// it: it goes at the end of the joined file.
fn encode_mp3(
    mixer: &mut Streamed<'_>,
    to: u64,
    enc: &mut mp3lame_encoder::Encoder,
    sink: &mut impl std::io::Write,
    path: &Path,
    stop: &AtomicBool,
) -> Result<Vec<u8>, ExportError> {
    use mp3lame_encoder::{FlushGap, MonoPcm, max_required_buffer_size};
    let mut buf = vec![0f32; CHUNK];
    let mut out: Vec<u8> = Vec::with_capacity(max_required_buffer_size(CHUNK));
    while mixer.at() < to {
        interrupted(stop, path)?;
        let n = (to - mixer.at()).min(CHUNK as u64) as usize;
        mixer.next_chunk(&mut buf[..n])?;
        out.clear();
        out.reserve(max_required_buffer_size(n));
        enc.encode_to_vec(MonoPcm(&buf[..n]), &mut out)
            .map_err(|e| mp3_refused(path, &e))?;
        sink.write_all(&out).map_err(|e| write_err(path, e))?;
    }
    out.clear();
    out.reserve(7200);
    enc.flush_to_vec::<FlushGap>(&mut out)
        .map_err(|e| mp3_refused(path, &e))?;
    let v1 = match out.len().checked_sub(128) {
        Some(at) if out[at..].starts_with(b"TAG") => out.split_off(at),
        _ => Vec::new(),
    };
    sink.write_all(&out).map_err(|e| write_err(path, e))?;
    Ok(v1)
}

/// MP3 through LAME, constant [`MP3_KBPS`], with an ID3v2 title and the LAME tag: LAME
/// writes a placeholder frame first and, once everything is encoded, the real tag (encoder
/// delay, padding, frame count) is written over it, so a decoder that reads the tag (ffmpeg,
/// mpg123) gives the timeline's frame 0 as its first sample and exactly `program.frames`
/// samples. The session is encoded in parts at once where it has silences to cut at
/// ([`write_mp3_parts`]), else as one stream. Returns the number of parts, and why one stream
/// was encoded when parts did not join.
fn write_mp3(
    program: &mut Streamed<'_>,
    title: &str,
    mut file: std::fs::File,
    path: &Path,
    stop: &AtomicBool,
) -> Result<(usize, Option<String>), ExportError> {
    use crate::render::mp3::FRAME;
    use std::io::{Seek, SeekFrom};
    // Room for the padding and the next part's delay (2 frames), and a margin of silence on
    // each side for the filter banks' reach (8 frames, 0.2 s).
    let guard = 8 * FRAME;
    let cuts = cuts(program, parts(), FRAME, 2 * FRAME + guard, guard);
    let mut fresh;
    let mut mixer = program;
    let mut because = None;
    if !cuts.is_empty() && !mixer.holds_every_line() {
        because = Some(
            "its lines do not all fit in memory at once, and a line synthesised again on another thread may not sound the same".to_owned(),
        );
    } else if !cuts.is_empty() {
        match write_mp3_parts(mixer, title, &file, path, stop, &cuts)? {
            None => return Ok((cuts.len() + 1, None)),
            Some(why) => {
                because = Some(why);
                // The parts did not meet as planned: start again, as one stream.
                file.set_len(0)
                    .and_then(|_| file.seek(SeekFrom::Start(0)))
                    .map_err(|e| write_err(path, e))?;
                fresh = mixer.fork_at(0)?;
                mixer = &mut fresh;
            }
        }
    }
    let rate = mixer.rate();
    let mut enc = mp3_encoder(rate, Some(title)).map_err(|e| mp3_refused(path, &e))?;
    let mut sink = std::io::BufWriter::new(file);
    let frames = mixer.frames();
    let v1 = encode_mp3(mixer, frames, &mut enc, &mut sink, path, stop)?;
    sink.write_all(&v1).map_err(|e| write_err(path, e))?;
    let tag = lame_tag(&enc, path)?;
    let mut file = sink.into_inner().map_err(|e| write_err(path, e.error()))?;
    file.seek(SeekFrom::Start(enc.id3v2_tag_size() as u64))
        .and_then(|_| file.write_all(&tag))
        .map_err(|e| write_err(path, e))?;
    Ok((1, because))
}

fn lame_tag(enc: &mp3lame_encoder::Encoder, path: &Path) -> Result<Vec<u8>, ExportError> {
    let mut tag = Vec::with_capacity(enc.lame_tag_size());
    if enc.lame_tag_encode_to_vec(&mut tag).is_none() {
        return Err(mp3_refused(
            path,
            &"it wrote no LAME tag, so the file would not be gapless",
        ));
    }
    Ok(tag)
}

/// The session cut at `cuts` and encoded in parts at once, one thread and one encoder each,
/// the parts after the first into temporary files, then joined after the first into `file`
/// with its LAME tag rewritten for the whole (see [`crate::render::mp3`]). Returns why not
/// when the parts did not come out as planned (then `file` holds nothing useful), so the
/// caller encodes one stream instead.
fn write_mp3_parts(
    program: &mut Streamed<'_>,
    title: &str,
    file: &std::fs::File,
    path: &Path,
    stop: &AtomicBool,
    cuts: &[u64],
) -> Result<Option<String>, ExportError> {
    use crate::render::mp3::{FRAME, Tally, read_tag, rewrite_tag};
    use std::io::{Seek, SeekFrom};
    let n = program.frames();
    let rate = program.rate();
    let starts: Vec<u64> = std::iter::once(0).chain(cuts.iter().copied()).collect();
    let ends: Vec<u64> = cuts
        .iter()
        .map(|c| c - 2 * FRAME)
        .chain(std::iter::once(n))
        .collect();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut others = Vec::new();
    for k in 1..starts.len() {
        let tmp = tempfile::tempfile_in(dir).map_err(|e| write_err(path, e))?;
        others.push((program.fork_at(starts[k])?, ends[k], tmp));
    }
    let (first, rest) = std::thread::scope(|s| {
        let handles: Vec<_> = others
            .into_iter()
            .map(|(mut mixer, to, tmp)| {
                s.spawn(move || -> Result<std::fs::File, ExportError> {
                    let mut enc = mp3_encoder(rate, None).map_err(|e| mp3_refused(path, &e))?;
                    let mut sink = std::io::BufWriter::new(tmp);
                    encode_mp3(&mut mixer, to, &mut enc, &mut sink, path, stop)?;
                    sink.into_inner().map_err(|e| write_err(path, e.error()))
                })
            })
            .collect();
        let first = (|| {
            let mut enc = mp3_encoder(rate, Some(title)).map_err(|e| mp3_refused(path, &e))?;
            let id3 = enc.id3v2_tag_size() as u64;
            let out = file.try_clone().map_err(|e| write_err(path, e))?;
            let mut tally = Tally::new(std::io::BufWriter::new(out), id3, true);
            let v1 = encode_mp3(program, ends[0], &mut enc, &mut tally, path, stop)?;
            Ok::<_, ExportError>((tally, lame_tag(&enc, path)?, id3, v1))
        })();
        let rest: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("an encoding thread does not panic"))
            .collect();
        (first, rest)
    });
    let (mut tally, mut tag, id3, v1) = first?;
    let rest = rest.into_iter().collect::<Result<Vec<_>, _>>()?;
    // LAME counted the frames this tally did, with the same CRC: the tag reads as we think.
    let Some(lame) = read_tag(&tag) else {
        return Ok(Some("the first part's tag is not a LAME tag".into()));
    };
    if !tally.whole()
        || u64::from(lame.frames) != tally.frames
        || lame.music_crc != tally.music_crc()
    {
        return Ok(Some(format!(
            "the first part's tag ({lame:?}) is not its frames ({} frames, CRC {:#06x})",
            tally.frames,
            tally.music_crc()
        )));
    }
    let mut frames = vec![tally.frames];
    let first_bytes = tally.bytes;
    for mut part in rest {
        let before = tally.frames;
        part.seek(SeekFrom::Start(0))
            .and_then(|_| std::io::copy(&mut part, &mut tally))
            .map_err(|e| write_err(path, e))?;
        frames.push(tally.frames - before);
    }
    // Each part but the last ends where the next begins: the plan's frames, to the sample.
    for k in 0..cuts.len() {
        if !tally.whole() || frames[k] * FRAME != starts[k + 1] - starts[k] {
            return Ok(Some(format!(
                "part {} came out as {} frames, not {}",
                k + 1,
                frames[k],
                (starts[k + 1] - starts[k]) / FRAME
            )));
        }
    }
    let padding = (tally.frames * FRAME).checked_sub(u64::from(lame.delay) + n);
    let (Some(padding), Ok(total), Ok(added)) = (
        padding.and_then(|p| u16::try_from(p).ok()),
        u32::try_from(tally.frames),
        u32::try_from(tally.bytes - first_bytes),
    ) else {
        return Ok(Some("the joined stream does not fit its tag".into()));
    };
    if let Err(why) = rewrite_tag(&mut tag, total, added, padding, tally.music_crc()) {
        return Ok(Some(why));
    }
    tally
        .get_mut()
        .write_all(&v1)
        .and_then(|_| tally.flush())
        .map_err(|e| write_err(path, e))?;
    let mut out = tally
        .into_inner()
        .into_inner()
        .map_err(|e| write_err(path, e.error()))?;
    out.seek(SeekFrom::Start(id3))
        .and_then(|_| out.write_all(&tag))
        .map_err(|e| write_err(path, e))?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::mp3::{FRAME, Tally, read_tag, tag_crc};

    /// An MP3 encoded in parts carries a LAME tag that tells the truth about the joined
    /// stream: every frame counted, the bytes, the music CRC of every audio frame, the tag's
    /// own CRC, and a padding that leaves exactly the plan's frames after the encoder delay.
    /// The tag of one stream, which LAME wrote itself, reads the same way.
    #[test]
    fn a_joined_mp3_tag_tells_the_truth_about_the_whole_stream() {
        let (t, mut cache, bank) = crate::render::program::strengthen_planned();
        let dir = tempfile::tempdir().unwrap();
        let stop = AtomicBool::new(false);
        for joined in [true, false] {
            let path = dir.path().join("s.mp3");
            let mut s = Streamed::new(&t, &mut cache, &bank);
            let file = std::fs::File::create(&path).unwrap();
            let (parts, why) = if joined {
                write_mp3(&mut s, "Title", file, &path, &stop).unwrap()
            } else {
                // One stream, as LAME alone writes it.
                let frames = s.frames();
                let mut enc = mp3_encoder(22050, Some("Title")).unwrap();
                let mut sink = std::io::BufWriter::new(file);
                let v1 = encode_mp3(&mut s, frames, &mut enc, &mut sink, &path, &stop).unwrap();
                sink.write_all(&v1).unwrap();
                let mut f = sink.into_inner().unwrap();
                use std::io::{Seek, SeekFrom};
                f.seek(SeekFrom::Start(enc.id3v2_tag_size() as u64))
                    .unwrap();
                f.write_all(&lame_tag(&enc, &path).unwrap()).unwrap();
                (1, None)
            };
            assert_eq!(why, None);
            assert_eq!(parts > 1, joined, "{parts} parts");
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(&bytes[..3], b"ID3");
            let id3 = 10
                + bytes[6..10]
                    .iter()
                    .fold(0usize, |n, b| n << 7 | usize::from(*b));
            let tag_len =
                crate::render::mp3::frame_len(bytes[id3..id3 + 4].try_into().unwrap()).unwrap();
            let tag = &bytes[id3..id3 + tag_len];
            let info = read_tag(tag).expect("a LAME tag");
            let (audio, v1) = bytes[id3 + tag_len..].split_at(bytes.len() - id3 - tag_len - 128);
            assert!(v1.starts_with(b"TAG"), "the ID3v1 tag is last");
            let mut tally = Tally::new(Vec::new(), 0, false);
            tally.write_all(audio).unwrap();
            assert!(tally.whole(), "only whole frames between the tags");
            assert_eq!(u64::from(info.frames), tally.frames);
            assert_eq!(u64::from(info.bytes), tally.bytes + tag_len as u64);
            assert_eq!(info.music_length, info.bytes);
            assert_eq!(info.music_crc, tally.music_crc());
            assert_eq!(Some(info.tag_crc), tag_crc(tag));
            assert_eq!(info.delay, 576);
            assert_eq!(
                tally.frames * FRAME,
                u64::from(info.delay) + t.frames + u64::from(info.padding),
                "padding leaves the plan's frames"
            );
        }
    }

    #[test]
    fn caption_text_cannot_break_a_cue() {
        assert_eq!(vtt_text("Hold."), "Hold.");
        assert_eq!(
            vtt_text("Caps & <b>bold</b> --> two \u{1b}[2J"),
            "Caps &amp; &lt;b>bold&lt;/b> --&gt; two \\u{1b}[2J"
        );
    }
}
