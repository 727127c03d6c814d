//! Files: WAV (hound) and Ogg Vorbis (vorbis_rs), with WebVTT captions of every spoken line and
//! chapter marks per exercise (in the Ogg comments, and in a chapters file for WAV).

use std::fmt::Write as _;
use std::io::Write as _;
use std::num::{NonZeroU8, NonZeroU32};
use std::path::{Path, PathBuf};

use crate::plan::{CueKind, Timeline};
use crate::render::Program;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Wav,
    Ogg,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "wav" => Some(Format::Wav),
            "ogg" | "oga" => Some(Format::Ogg),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
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
            crate::diag::escape(c.text.as_deref().unwrap_or(""))
        );
    }
    out
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

/// Writes the audio and its captions (and a chapters file where the format has no chapters).
pub fn write(
    program: &Program,
    t: &Timeline,
    path: &Path,
    format: Format,
) -> Result<Written, ExportError> {
    match format {
        Format::Wav => write_wav(program, path)?,
        Format::Ogg => write_ogg(program, t, path)?,
    }
    let captions_path = path.with_extension("vtt");
    std::fs::write(&captions_path, captions(t)).map_err(|e| write_err(&captions_path, e))?;
    let chapters_path = match format {
        Format::Wav => {
            let p = path.with_extension("chapters.vtt");
            std::fs::write(&p, chapters(t)).map_err(|e| write_err(&p, e))?;
            Some(p)
        }
        Format::Ogg => None,
    };
    Ok(Written {
        audio: path.to_path_buf(),
        captions: captions_path,
        chapters: chapters_path,
    })
}

const CHUNK: usize = 16384;

fn write_wav(program: &Program, path: &Path) -> Result<(), ExportError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: program.rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(|e| write_err(path, e))?;
    let mut buf = vec![0f32; CHUNK];
    let mut at = 0u64;
    while at < program.frames {
        let n = (program.frames - at).min(CHUNK as u64) as usize;
        program.fill(at, &mut buf[..n]);
        let mut i16w = w.get_i16_writer(n as u32);
        for &s in &buf[..n] {
            i16w.write_sample((s * 32767.0).round() as i16);
        }
        i16w.flush().map_err(|e| write_err(path, e))?;
        at += n as u64;
    }
    w.finalize().map_err(|e| write_err(path, e))
}

fn write_ogg(program: &Program, t: &Timeline, path: &Path) -> Result<(), ExportError> {
    let file = std::fs::File::create(path).map_err(|e| write_err(path, e))?;
    let mut sink = std::io::BufWriter::new(file);
    let rate = NonZeroU32::new(program.rate).expect("a timeline has a rate");
    let mut builder =
        vorbis_rs::VorbisEncoderBuilder::new(rate, NonZeroU8::new(1).expect("one"), &mut sink)
            .map_err(|e| write_err(path, e))?;
    let mut tags = vec![
        ("TITLE".to_owned(), t.routine.clone()),
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
    while at < program.frames {
        let n = (program.frames - at).min(CHUNK as u64) as usize;
        program.fill(at, &mut buf[..n]);
        enc.encode_audio_block([&buf[..n]])
            .map_err(|e| write_err(path, e))?;
        at += n as u64;
    }
    enc.finish().map_err(|e| write_err(path, e))?;
    sink.flush().map_err(|e| write_err(path, e))
}
