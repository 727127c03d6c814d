//! Files: WAV (hound), Ogg Vorbis (vorbis_rs) and MP3 (LAME, through mp3lame-encoder), with
//! WebVTT captions of every spoken line and chapter marks per exercise (in the Ogg comments, and
//! in a chapters file for WAV and MP3). Ogg and MP3 are encoded in parts, the stretches of the
//! session that sound, on several threads at once ([`crate::render::parts`]), the first ones
//! while the rest is still being planned ([`Target::early`]), and joined into one stream with
//! the format's own silence between them ([`crate::render::ogg`], [`crate::render::mp3`]);
//! where that cannot be done, as one stream.

use std::fmt::Write as _;
use std::io::Write as _;
use std::num::{NonZeroU8, NonZeroU32};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::plan::{CueKind, Timeline};
use crate::render::SoundBank;
pub use crate::render::error::ExportError;
use crate::render::error::write_err;
use crate::render::ogg::{KEPT_SILENCE, Squeeze};
use crate::render::parts::{self, Pool};
use crate::render::program::{Snapshot, Streamed};
use crate::voice::PhraseCache;

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
    /// How many of them were encoded while the session was still being planned
    /// ([`Target::early`]).
    pub early: usize,
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

/// Where a file named `path` is really written: through symbolic links to the file they name
/// (up to 40 of them), so that rendering to a link writes its target and the link stays.
fn through_links(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        let Ok(to) = std::fs::read_link(&p) else {
            break;
        };
        p = match p.parent() {
            Some(dir) if to.is_relative() => dir.join(to),
            _ => to,
        };
    }
    p
}

fn temp_beside(path: &Path) -> Result<(PathBuf, tempfile::NamedTempFile), ExportError> {
    let path = &through_links(path);
    // A folder where a file will go would fail only at the last rename, after other files
    // were already in place: refuse it before anything is written. A device, a FIFO or a
    // socket would be replaced by the rename: refuse it too.
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => return Err(write_err(path, "it is a folder")),
        Ok(m) if !m.is_file() => {
            return Err(write_err(
                path,
                "it is not an ordinary file (a device, a FIFO or a socket), and render writes files. hint: choose a file name",
            ));
        }
        _ => {}
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

    /// For a compressed format, threads that begin encoding the session's first parts while
    /// the rest is still being planned: give them the session as planned so far with
    /// [`Early::planned`], then the whole to [`Target::write`]. `None` for WAV, which is
    /// written faster than it could be shared out. `gain` is the mix's
    /// ([`Streamed::with_gain`]).
    pub fn early(
        &self,
        title: &str,
        gain: f32,
        stop: &Arc<AtomicBool>,
    ) -> Result<Option<Early>, ExportError> {
        let path = &self.audio.0;
        let pool = match self.format {
            Format::Wav => return Ok(None),
            Format::Ogg => EarlyPool::Ogg(Pool::start(
                path,
                ogg_part_encoder(path, stop, KEPT_SILENCE),
            )?),
            Format::Mp3 => EarlyPool::Mp3(Pool::start(path, mp3_part_encoder(path, stop, title))?),
        };
        Ok(Some(Early {
            pool: Some(pool),
            gain,
        }))
    }

    /// Writes everything, then renames each file into place. `stop` is checked between
    /// chunks: when it is set the render ends with [`ExportError::Interrupted`] and the
    /// temporaries are removed.
    ///
    /// `early` is what [`Target::early`] began while the session was planned: its parts are
    /// used when they are the first parts of the whole session as planned, and sound as it
    /// does; otherwise they are encoded again.
    pub fn write(
        mut self,
        program: &mut Streamed<'_>,
        title: &str,
        stop: &Arc<AtomicBool>,
        early: Option<Early>,
    ) -> Result<Written, ExportError> {
        let t = program.timeline();
        let path = self.audio.0.clone();
        let file = self
            .audio
            .1
            .as_file()
            .try_clone()
            .map_err(|e| write_err(&path, e))?;
        let (ogg, mp3) = match early.and_then(|e| e.pool) {
            Some(EarlyPool::Ogg(p)) => (Some(p), None),
            Some(EarlyPool::Mp3(p)) => (None, Some(p)),
            None => (None, None),
        };
        let how = match self.format {
            Format::Wav => write_wav(program, file, &path, stop).map(|_| Encoding::one(None))?,
            Format::Ogg => write_ogg(program, t, title, file, &path, stop, ogg)?,
            Format::Mp3 => write_mp3(program, title, file, &path, stop, mp3)?,
        };
        let small = |(p, tmp): &mut (PathBuf, tempfile::NamedTempFile), text: String| {
            // Through the file itself: the temporary's own errors name its path.
            tmp.as_file_mut()
                .write_all(text.as_bytes())
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
            parts: how.parts,
            early: how.early,
            one_stream_because: how.because,
            captions: self.captions.0.clone(),
            chapters: self.chapters.as_ref().map(|c| c.0.clone()),
        };
        // The audio last: a reader who sees it sees its captions too.
        let parts = [Some(self.captions), self.chapters, Some(self.audio)];
        for (p, tmp) in parts.into_iter().flatten() {
            // A temporary file is private (0600); a rendered file is an ordinary one (0644),
            // or keeps the mode of the file it replaces (a private one stays private).
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).map_or(0o644, |m| m.permissions().mode() & 0o7777);
            let _ = tmp
                .as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode));
            tmp.persist(&p).map_err(|e| write_err(&p, e.error))?;
        }
        Ok(written)
    }
}

/// A compressed render's first parts, encoded while the rest of the session is planned
/// ([`Target::early`]).
pub struct Early {
    /// The threads, until a part cannot be added as it will be in the whole session: then
    /// they are stopped, and every part is encoded once the session is planned.
    pool: Option<EarlyPool>,
    gain: f32,
}

enum EarlyPool {
    Ogg(Pool<()>),
    Mp3(Pool<Option<FirstMp3>>),
}

impl Early {
    /// The session as planned so far, up to `t.frames`, with `cache`'s lines and `bank`'s
    /// sounds: each of its parts that what is planned later cannot change (every part but the
    /// last, which ends where the planning stopped rather than in a silence) starts being
    /// encoded.
    ///
    /// Once a line had to be let go of to keep memory flat (see
    /// [`PhraseCache::holds_every_line`]), the threads are stopped: a line synthesised again
    /// on another thread may not sound the same, and the whole session is encoded as one
    /// stream.
    ///
    /// While the threads have parts enough waiting, nothing is added (the next step adds
    /// them): each step's session is a copy of its timeline, and planning runs ahead of
    /// encoding, so memory stays flat.
    pub fn planned(&mut self, t: &Timeline, cache: &PhraseCache, bank: &SoundBank) {
        let waiting = match &self.pool {
            None => return,
            Some(EarlyPool::Ogg(p)) => p.waiting(),
            Some(EarlyPool::Mp3(p)) => p.waiting(),
        };
        if !cache.holds_every_line() {
            self.pool = None;
            return;
        }
        if waiting >= 2 * parts::workers() {
            return;
        }
        let session = Arc::new(Snapshot::new(t, cache, bank, self.gain));
        let Ok(mixer) = session.mixer(0) else {
            self.pool = None;
            return;
        };
        fn add<T: Send + 'static>(
            pool: &mut Pool<T>,
            mut parts: Vec<parts::Part>,
            session: &Arc<Snapshot>,
        ) -> bool {
            parts.pop();
            let done = pool.added().len();
            if parts.len() < done || parts[..done] != *pool.added() {
                return false;
            }
            pool.add(&parts[done..], session.clone());
            true
        }
        let added = match self.pool.as_mut() {
            Some(EarlyPool::Ogg(p)) => add(p, ogg_parts(&mixer), &session),
            Some(EarlyPool::Mp3(p)) => add(p, mp3_parts(&mixer), &session),
            None => false,
        };
        if !added {
            self.pool = None;
        }
    }
}

/// How a file was encoded: in how many parts, how many of them while the session was
/// planned, and why as one stream if it was.
struct Encoding {
    parts: usize,
    early: usize,
    because: Option<String>,
}

impl Encoding {
    fn joined(parts: usize, early: usize) -> Encoding {
        Encoding {
            parts,
            early,
            because: None,
        }
    }

    fn one(because: Option<String>) -> Encoding {
        Encoding {
            parts: 1,
            early: 0,
            because,
        }
    }
}

/// A pool with every part of `parts` added: `early`, when the parts given to it while the
/// session was planned are the first of `parts` and were mixed from sessions that sound as
/// `program`'s does up to where they end; else a new one from `start`. Also returns how many
/// parts were added early.
fn with_all_parts<T: Send + 'static>(
    early: Option<Pool<T>>,
    parts: &[parts::Part],
    program: &Streamed<'_>,
    start: impl FnOnce() -> Result<Pool<T>, ExportError>,
) -> Result<(Pool<T>, usize), ExportError> {
    let mut pool = match early {
        Some(p) if p.begins(parts, program.timeline()) => p,
        _ => start()?,
    };
    let done = pool.added().len();
    pool.add(&parts[done..], Arc::new(program.snapshot()));
    Ok((pool, done))
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

/// The Vorbis comments: the title, the encoder, and chapters (CHAPTERxxx / CHAPTERxxxNAME,
/// which players such as VLC read).
fn ogg_tags(t: &Timeline, title: &str) -> Vec<(String, String)> {
    let mut tags = vec![
        ("TITLE".to_owned(), title.to_owned()),
        (
            "ENCODER".to_owned(),
            concat!("hipvoice ", env!("CARGO_PKG_VERSION")).to_owned(),
        ),
    ];
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
    tags
}

/// Mixes from where `mixer` is to frame `to` and encodes it as one Ogg Vorbis stream (mono,
/// quality 0.5 by default) with the comments `tags`, leaving out what `squeezes` (in order,
/// after the mixer's frame) cut from their silences.
fn encode_ogg(
    mixer: &mut Streamed<'_>,
    to: u64,
    squeezes: &[Squeeze],
    tags: &[(String, String)],
    sink: &mut (impl std::io::Write + ?Sized),
    path: &Path,
    stop: &AtomicBool,
) -> Result<(), ExportError> {
    let rate = NonZeroU32::new(mixer.rate()).expect("a timeline has a rate");
    let mut builder =
        vorbis_rs::VorbisEncoderBuilder::new(rate, NonZeroU8::new(1).expect("one"), sink)
            .map_err(|e| write_err(path, e))?;
    // A serial of our own rather than a random one, so a render made twice is the same file
    // byte for byte. A serial only has to differ between the streams of one file.
    builder
        .stream_serial(OGG_SERIAL)
        .comment_tags(tags.iter().cloned())
        .map_err(|e| write_err(path, e))?;
    let mut enc = builder.build().map_err(|e| write_err(path, e))?;
    let mut buf = vec![0f32; CHUNK];
    let mut squeezes = squeezes.iter().peekable();
    while mixer.at() < to {
        interrupted(stop, path)?;
        let upto = squeezes.peek().map_or(to, |s| s.from + s.kept);
        if mixer.at() == upto {
            let s = squeezes.next().expect("peeked");
            mixer.seek(s.to)?;
            continue;
        }
        let n = (upto - mixer.at()).min(CHUNK as u64) as usize;
        mixer.next_chunk(&mut buf[..n])?;
        enc.encode_audio_block([&buf[..n]])
            .map_err(|e| write_err(path, e))?;
    }
    enc.finish().map_err(|e| write_err(path, e))?;
    Ok(())
}

/// Ogg Vorbis, in parts at once where the session has silences to cut at
/// ([`write_ogg_parts`]), else as one stream. Returns the number of parts, and why one stream
/// was encoded when there were no parts or they did not join.
fn write_ogg(
    program: &mut Streamed<'_>,
    t: &Timeline,
    title: &str,
    mut file: std::fs::File,
    path: &Path,
    stop: &Arc<AtomicBool>,
    early: Option<Pool<()>>,
) -> Result<Encoding, ExportError> {
    let tags = ogg_tags(t, title);
    let parts = ogg_parts(program);
    let mut because = one_stream_because(&parts, program, MAX_OGG_PART);
    let mut fresh;
    let mut mixer = program;
    if because.is_none() {
        let kept = KEPT_SILENCE;
        match write_ogg_parts(mixer, &tags, &file, path, stop, &parts, kept, early)? {
            (None, early) => return Ok(Encoding::joined(parts.len(), early)),
            (Some(why), _) => {
                because = Some(why);
                fresh = start_over(&mut file, mixer, path)?;
                mixer = &mut fresh;
            }
        }
    }
    let mut sink = std::io::BufWriter::new(file);
    let frames = mixer.frames();
    encode_ogg(mixer, frames, &[], &tags, &mut sink, path, stop)?;
    sink.flush().map_err(|e| write_err(path, e))?;
    Ok(Encoding::one(because))
}

/// A part's Ogg encoder: its long silences squeezed to `kept` frames ([`Squeeze`]), and no
/// comments (the join writes the whole session's, [`ogg_comments`]).
fn ogg_part_encoder(path: &Path, stop: &Arc<AtomicBool>, kept: u64) -> Arc<parts::EncodePart<()>> {
    use crate::render::ogg::{SQUEEZE_STEP, squeezes};
    let (path, stop) = (path.to_path_buf(), stop.clone());
    Arc::new(move |_, mixer, part, out| {
        let silences = mixer.silences(kept.saturating_add(SQUEEZE_STEP));
        let squeezed = squeezes(&silences, part.from, part.to, kept);
        encode_ogg(mixer, part.to, &squeezed, &[], out, &path, &stop)
    })
}

/// The Vorbis comment header with `tags`, as libvorbis writes it (from a stream with no
/// audio).
fn ogg_comments(rate: u32, tags: &[(String, String)], path: &Path) -> Result<Vec<u8>, ExportError> {
    let rate = NonZeroU32::new(rate).expect("a timeline has a rate");
    let mut bytes = Vec::new();
    let mut builder =
        vorbis_rs::VorbisEncoderBuilder::new(rate, NonZeroU8::new(1).expect("one"), &mut bytes)
            .map_err(|e| write_err(path, e))?;
    builder
        .stream_serial(OGG_SERIAL)
        .comment_tags(tags.iter().cloned())
        .map_err(|e| write_err(path, e))?;
    let enc = builder.build().map_err(|e| write_err(path, e))?;
    enc.finish().map_err(|e| write_err(path, e))?;
    let mut r = ogg::PacketReader::new(std::io::Cursor::new(bytes));
    let mut header = || r.read_packet().ok().flatten().map(|p| p.data);
    match (header(), header()) {
        (Some(_), Some(comments)) => Ok(comments),
        _ => Err(write_err(path, "libvorbis wrote no comment header")),
    }
}

/// Where an Ogg render cuts the session into parts.
fn ogg_parts(program: &Streamed<'_>) -> Vec<parts::Part> {
    use crate::render::ogg::GRID;
    // A part ends 2048 frames (a long block) into a silence; the next starts on the grid, far
    // enough on for the last block of the one before and the silent packets between, and 2048
    // frames before the silence ends: see `render::ogg`.
    let guard = 2048;
    let cuts = parts::Cuts {
        min: MIN_SILENCE,
        // Starting a libvorbis encoder costs about 3 ms (its psychoacoustic tables), what
        // encoding 1-2 s of the session costs, and long silences are squeezed inside a part
        // (see `ogg::Squeeze`): parts are only there to share the work out.
        long: u64::MAX,
        share: OGG_PART_SECS * u64::from(program.rate()),
        after: guard,
        quantum: 1,
    };
    parts::cut(program, cuts, |to, end| {
        let start = (to + 2 * guard).div_ceil(GRID) * GRID;
        (start + guard <= end).then_some(start)
    })
}

/// The Ogg stream's serial number: "hipv".
const OGG_SERIAL: i32 = 0x6869_7076;

/// About how long an Ogg render's parts are (seconds, to the next silence): a session of 10
/// minutes or more makes enough of them to share out among four threads evenly, and few
/// enough that starting their encoders costs little. A fixed length, not a share of the
/// session, so the first parts are known before the rest is planned ([`Early`]).
const OGG_PART_SECS: u64 = 45;

/// The longest part an Ogg render joins (frames: 10 minutes): the join holds a part's packets
/// in memory.
const MAX_OGG_PART: u64 = 10 * 60 * 22050;

/// The session's parts encoded at once ([`parts::encode_all`]), each with its long silences
/// squeezed to `kept` frames ([`Squeeze`]), then joined in order into `file` as one logical
/// stream with silent packets between them and in place of what was squeezed (see
/// [`crate::render::ogg`]). A part whose encoder left no room to put a silence back is
/// encoded again without squeezing. Returns why not when a part did not come out as planned
/// (then `file` holds nothing useful), so the caller encodes one stream instead.
#[allow(clippy::too_many_arguments)]
fn write_ogg_parts(
    program: &mut Streamed<'_>,
    tags: &[(String, String)],
    file: &std::fs::File,
    path: &Path,
    stop: &Arc<AtomicBool>,
    parts: &[parts::Part],
    kept: u64,
    early: Option<Pool<()>>,
) -> Result<(Option<String>, usize), ExportError> {
    use crate::render::ogg::{Joiner, SQUEEZE_STEP, read_part, squeezes, widen};
    let n = program.frames();
    let silences = program.silences(kept.saturating_add(SQUEEZE_STEP));
    let squeezed: Vec<Vec<Squeeze>> = parts
        .iter()
        .map(|p| squeezes(&silences, p.from, p.to, kept))
        .collect();
    let (pool, early) = with_all_parts(early, parts, program, || {
        Pool::start(path, ogg_part_encoder(path, stop, kept))
    })?;
    let comments = ogg_comments(program.rate(), tags, path)?;
    let program = &*program;
    let out = file.try_clone().map_err(|e| write_err(path, e))?;
    let mut joiner = None;
    let mut join =
        |k: usize, bytes: parts::Range<'_>, (): ()| -> Result<Option<String>, ExportError> {
            let part = parts[k];
            let widened = read_part(bytes)
                .and_then(|mut s| widen(&mut s, &squeezed[k], part.from).map(|()| s));
            let widened = match widened {
                Err(_) if !squeezed[k].is_empty() => {
                    // A silence too short for libvorbis to write a silent block in: this part
                    // is encoded again, all of it.
                    let mut mixer = program.fork_at(part.from)?;
                    let mut bytes = Vec::new();
                    encode_ogg(&mut mixer, part.to, &[], &[], &mut bytes, path, stop)?;
                    read_part(std::io::Cursor::new(bytes))
                }
                w => w,
            };
            let stream = match widened {
                Ok(s) if s.length == part.to - part.from => s,
                Ok(s) => {
                    return Ok(Some(format!(
                        "part {} came out {} frames long, not {}",
                        k + 1,
                        s.length,
                        part.to - part.from
                    )));
                }
                Err(why) => return Ok(Some(format!("part {}: {why}", k + 1))),
            };
            let j = match joiner.as_mut() {
                Some(j) => j,
                None => match Joiner::new(
                    std::io::BufWriter::new(out.try_clone().map_err(|e| write_err(path, e))?),
                    stream.serial,
                    &stream,
                    comments.clone(),
                ) {
                    Ok(j) => joiner.insert(j),
                    Err(why) => return Ok(Some(why)),
                },
            };
            let end = (k + 1 == parts.len()).then_some(n);
            Ok(j.part(stream, part.from, end).err())
        };
    if let Some(why) = pool.join(&mut join)? {
        return Ok((Some(why), early));
    }
    let Some(j) = joiner else {
        return Ok((Some("no parts".into()), early));
    };
    j.finish().flush().map_err(|e| write_err(path, e))?;
    Ok((None, early))
}

/// The shortest silence a compressed render cuts at (frames at 22050 Hz: 0.5 s): shorter
/// ones are encoded with the speech around them.
const MIN_SILENCE: u64 = 11025;

/// Why a session cut into `parts` is encoded as one stream instead, if it is: it has no
/// silence to cut at, a part is longer than `longest` frames, or its lines are not all held
/// (see [`Streamed::holds_every_line`]).
fn one_stream_because(
    parts: &[parts::Part],
    program: &Streamed<'_>,
    longest: u64,
) -> Option<String> {
    if parts.len() < 2 {
        Some("it is too short, or has no silence long enough, to cut into parts".to_owned())
    } else if !program.holds_every_line() {
        Some("its lines do not all fit in memory at once, and a line synthesised again on another thread may not sound the same".to_owned())
    } else if parts.iter().any(|p| p.to - p.from > longest) {
        Some(format!(
            "it sounds for more than {} minutes without a silence",
            longest / u64::from(program.rate()) / 60
        ))
    } else {
        None
    }
}

/// After parts that did not join: `file` emptied, and a mixer from the session's first frame,
/// to encode one stream instead.
fn start_over<'a>(
    file: &mut std::fs::File,
    program: &Streamed<'a>,
    path: &Path,
) -> Result<Streamed<'a>, ExportError> {
    use std::io::{Seek, SeekFrom};
    file.set_len(0)
        .and_then(|_| file.seek(SeekFrom::Start(0)))
        .map_err(|e| write_err(path, e))?;
    Ok(program.fork_at(0)?)
}

/// A LAME encoder for the session's rate at [`MP3_KBPS`]. With a title, the first part's:
/// an ID3v2 tag and a LAME tag; without, a part to be joined after it: frames only.
fn mp3_encoder(rate: u32, title: Option<&str>) -> Result<mp3lame_encoder::Encoder, String> {
    use mp3lame_encoder::{Bitrate, Builder, Id3Tag, Quality};
    let mut b = Builder::new().ok_or("it could not start")?;
    if let Some(title) = title {
        let comment = concat!("hipvoice ", env!("CARGO_PKG_VERSION"));
        let title = latin1(title);
        b = b
            .with_id3_tag(Id3Tag {
                title: &title,
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

/// Text for LAME's ID3 tags, which it marks ISO-8859-1: characters of Latin-1 as they are
/// ("Hüft-Dehnung für Zoë"), common typographic ones as their plain forms (dashes, curly
/// quotes), anything else as "?". UTF-8 bytes there would read as "HÃ¼ft".
fn latin1(text: &str) -> Vec<u8> {
    text.replace('\u{2026}', "...")
        .chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => b'-',
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => b'\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => b'"',
            c if u32::from(c) <= 0xFF => u32::from(c) as u8,
            _ => b'?',
        })
        .collect()
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
    sink: &mut (impl std::io::Write + ?Sized),
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
/// was encoded when there were no parts or they did not join.
fn write_mp3(
    program: &mut Streamed<'_>,
    title: &str,
    mut file: std::fs::File,
    path: &Path,
    stop: &Arc<AtomicBool>,
    early: Option<Pool<Option<FirstMp3>>>,
) -> Result<Encoding, ExportError> {
    use std::io::{Seek, SeekFrom};
    let parts = mp3_parts(program);
    let mut because = one_stream_because(&parts, program, u64::MAX);
    let mut fresh;
    let mut mixer = program;
    if because.is_none() {
        match write_mp3_parts(mixer, title, &file, path, stop, &parts, early)? {
            (None, early) => return Ok(Encoding::joined(parts.len(), early)),
            (Some(why), _) => {
                because = Some(why);
                fresh = start_over(&mut file, mixer, path)?;
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
    Ok(Encoding::one(because))
}

/// Where an MP3 render cuts the session into parts.
fn mp3_parts(program: &Streamed<'_>) -> Vec<parts::Part> {
    use crate::render::mp3::FRAME;
    // A part ends 2 frames into a silence; the next begins a whole number of frames after it
    // (2 frames for its padding and the next one's delay, then silent frames), 2 frames before
    // the silence ends: see `render::mp3`.
    let guard = 2 * FRAME;
    let cuts = parts::Cuts {
        min: MIN_SILENCE,
        // Starting a LAME encoder costs little: every silence is worth cutting at.
        long: MIN_SILENCE,
        share: 0,
        after: guard,
        quantum: FRAME,
    };
    parts::cut(program, cuts, |to, end| {
        let room = end.checked_sub(to + 2 * FRAME + guard)?;
        Some(to + 2 * FRAME + room / FRAME * FRAME)
    })
}

/// A part's MP3 encoder; the first part's has the title, and returns its tags.
fn mp3_part_encoder(
    path: &Path,
    stop: &Arc<AtomicBool>,
    title: &str,
) -> Arc<parts::EncodePart<Option<FirstMp3>>> {
    let (path, stop, title) = (path.to_path_buf(), stop.clone(), title.to_owned());
    Arc::new(move |k, mixer, part, out| {
        let title = (k == 0).then_some(title.as_str());
        let mut enc = mp3_encoder(mixer.rate(), title).map_err(|e| mp3_refused(&path, &e))?;
        let v1 = encode_mp3(mixer, part.to, &mut enc, out, &path, &stop)?;
        if k > 0 {
            return Ok(None);
        }
        Ok(Some(FirstMp3 {
            tag: lame_tag(&enc, &path)?,
            id3: enc.id3v2_tag_size() as u64,
            v1,
        }))
    })
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

/// What the first part's encoder leaves besides its frames: its LAME tag, the length of the
/// ID3v2 tag before it, and the ID3v1 tag that goes at the end of the file.
struct FirstMp3 {
    tag: Vec<u8>,
    id3: u64,
    v1: Vec<u8>,
}

/// The session's parts encoded at once ([`parts::encode_all`]), then joined in order into
/// `file` with silent frames between them, and the first part's LAME tag rewritten for the
/// whole (see [`crate::render::mp3`]). Returns why not when a part did not come out as planned
/// (then `file` holds nothing useful), so the caller encodes one stream instead.
fn write_mp3_parts(
    program: &mut Streamed<'_>,
    title: &str,
    file: &std::fs::File,
    path: &Path,
    stop: &Arc<AtomicBool>,
    parts: &[parts::Part],
    early: Option<Pool<Option<FirstMp3>>>,
) -> Result<(Option<String>, usize), ExportError> {
    use crate::render::mp3::{FRAME, Tally, read_tag, rewrite_tag, silent_frame};
    use std::io::{Seek, SeekFrom};
    let n = program.frames();
    let (pool, early) = with_all_parts(early, parts, program, || {
        Pool::start(path, mp3_part_encoder(path, stop, title))
    })?;
    let out = file.try_clone().map_err(|e| write_err(path, e))?;
    // The first part's tag, ID3v2 length, ID3v1 tag and LAME tag as read; then the joined
    // stream counted as it is written.
    let mut first = None;
    let mut joined = None;
    let mut first_bytes = 0;
    let mut join = |k: usize,
                    mut bytes: parts::Range<'_>,
                    extra: Option<FirstMp3>|
     -> Result<Option<String>, ExportError> {
        if let Some(FirstMp3 { tag, id3, v1 }) = extra {
            let Some(lame) = read_tag(&tag) else {
                return Ok(Some("the first part's tag is not a LAME tag".into()));
            };
            first = Some((tag, id3, v1, lame));
            let out = out.try_clone().map_err(|e| write_err(path, e))?;
            joined = Some(Tally::new(std::io::BufWriter::new(out), id3, true));
        }
        let (Some((_, _, _, lame)), Some(tally)) = (first.as_ref(), joined.as_mut()) else {
            return Ok(Some("the first part came back without its tag".into()));
        };
        let part = parts[k];
        let before = tally.frames;
        std::io::copy(&mut bytes, tally).map_err(|e| write_err(path, e))?;
        if k == 0 {
            // LAME counted the frames this tally did, with the same CRC: the tag reads as we
            // think.
            if u64::from(lame.frames) != tally.frames || lame.music_crc != tally.music_crc() {
                return Ok(Some(format!(
                    "the first part's tag ({lame:?}) is not its frames ({} frames, CRC {:#06x})",
                    tally.frames,
                    tally.music_crc()
                )));
            }
            first_bytes = tally.bytes;
        }
        let got = tally.frames - before;
        let Some(next) = parts.get(k + 1) else {
            return Ok(None);
        };
        // A part of whole frames flushes to 2 frames more; silent frames fill the rest of the
        // way to the next part.
        let want = (part.to - part.from) / FRAME + 2;
        let span = (next.from - part.from) / FRAME;
        if !tally.whole() || got != want || span < got {
            return Ok(Some(format!(
                "part {} came out as {got} frames, not {want}",
                k + 1
            )));
        }
        for _ in got..span {
            let Some(frame) = tally.first_header.map(|h| silent_frame(h, tally.frames)) else {
                return Ok(Some("the first part has no frame".into()));
            };
            tally.write_all(&frame).map_err(|e| write_err(path, e))?;
        }
        Ok(None)
    };
    if let Some(why) = pool.join(&mut join)? {
        return Ok((Some(why), early));
    }
    let (Some((mut tag, id3, v1, lame)), Some(mut tally)) = (first, joined) else {
        return Ok((Some("no parts".into()), early));
    };
    if !tally.whole() {
        return Ok((Some("the last part does not end on a frame".into()), early));
    }
    let padding = (tally.frames * FRAME).checked_sub(u64::from(lame.delay) + n);
    let (Some(padding), Ok(total), Ok(added)) = (
        padding.and_then(|p| u16::try_from(p).ok()),
        u32::try_from(tally.frames),
        u32::try_from(tally.bytes - first_bytes),
    ) else {
        return Ok((Some("the joined stream does not fit its tag".into()), early));
    };
    if let Err(why) = rewrite_tag(&mut tag, total, added, padding, tally.music_crc()) {
        return Ok((Some(why), early));
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
    Ok((None, early))
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
        let stop = Arc::new(AtomicBool::new(false));
        for joined in [true, false] {
            let path = dir.path().join("s.mp3");
            let mut s = Streamed::new(&t, &mut cache, &bank);
            let file = std::fs::File::create(&path).unwrap();
            let (parts, why) = if joined {
                let how = write_mp3(&mut s, "Hüft — Zoë’s", file, &path, &stop, None).unwrap();
                (how.parts, how.because)
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
            if joined {
                // The title in Latin-1, as the tag's text encoding says, not UTF-8 bytes.
                let want: &[u8] = b"H\xfcft - Zo\xeb's";
                assert!(bytes.windows(want.len()).any(|w| w == want));
            }
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

    /// An Ogg encoded in parts is one logical stream: one serial, the first part's headers
    /// once, and every page's granule position the centre of the last block that ends on it
    /// (what `ogg::read_part` checks of a libvorbis stream), the last one the session's
    /// length.
    #[test]
    fn a_joined_ogg_is_one_stream_with_its_granules_at_block_centres() {
        let (t, mut cache, bank) = crate::render::program::strengthen_planned();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.ogg");
        let mut s = Streamed::new(&t, &mut cache, &bank);
        let file = std::fs::File::create(&path).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let how = write_ogg(&mut s, &t, "Title", file, &path, &stop, None).unwrap();
        assert_eq!(how.because, None);
        assert!(how.parts >= 8, "{} parts", how.parts);
        let mut r = ogg::PacketReader::new(std::fs::File::open(&path).unwrap());
        let mut serials = std::collections::HashSet::new();
        while let Some(p) = r.read_packet().unwrap() {
            serials.insert(p.stream_serial());
        }
        assert_eq!(serials.len(), 1, "one logical stream");
        let whole = crate::render::ogg::read_part(std::fs::File::open(&path).unwrap()).unwrap();
        assert_eq!(whole.length, t.frames);
        let tags = String::from_utf8_lossy(&whole.headers[1]).into_owned();
        assert!(tags.contains("TITLE=Title") && tags.contains("CHAPTER001NAME="));
        // Made again, it is the same file byte for byte (no random serial, parts joined in
        // order whichever thread finished first).
        let again = dir.path().join("again.ogg");
        let mut s = Streamed::new(&t, &mut cache, &bank);
        let file = std::fs::File::create(&again).unwrap();
        write_ogg(&mut s, &t, "Title", file, &again, &stop, None).unwrap();
        assert!(std::fs::read(&path).unwrap() == std::fs::read(&again).unwrap());
    }

    /// Long silences are squeezed before libvorbis hears them and put back by the join: the
    /// file differs from one made without squeezing and has the same length. A part whose
    /// encoder left no two silent blocks in a row where a silence was squeezed (here: nothing
    /// of any silence is kept) is encoded again whole, so it comes out as if never squeezed.
    #[test]
    fn an_ogg_part_that_cannot_be_widened_is_encoded_again_whole() {
        let (t, mut cache, bank) = crate::render::program::strengthen_planned();
        let dir = tempfile::tempdir().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let tags = ogg_tags(&t, "Title");
        let mut made = Vec::new();
        for kept in [u64::MAX, KEPT_SILENCE, 0] {
            let path = dir.path().join(format!("{kept}.ogg"));
            let file = std::fs::File::create(&path).unwrap();
            let mut s = Streamed::new(&t, &mut cache, &bank);
            let parts = ogg_parts(&s);
            assert!(parts.len() > 4, "{} parts", parts.len());
            let (why, _) =
                write_ogg_parts(&mut s, &tags, &file, &path, &stop, &parts, kept, None).unwrap();
            assert_eq!(why, None, "kept {kept}");
            let whole = crate::render::ogg::read_part(std::fs::File::open(&path).unwrap()).unwrap();
            assert_eq!(whole.length, t.frames);
            made.push(std::fs::read(&path).unwrap());
        }
        assert!(made[1] != made[0], "squeezing changed nothing");
        assert!(
            made[2] == made[0],
            "a part that could not be widened was not encoded whole"
        );
    }

    /// Parts encoded while the session is still being planned ([`Target::early`]) make the
    /// same file, byte for byte, as the whole session encoded once planned; parts planned
    /// differently from the whole (here with another lead-in) are not used.
    #[test]
    fn parts_encoded_while_planning_make_the_same_file() {
        use crate::voice::StandIn;
        let r = crate::routine::builtin_source("strengthen")
            .unwrap()
            .load()
            .unwrap();
        let bank = SoundBank::builtin(22050).unwrap();
        let plan = |blocks: Option<usize>, lead_in: f64, cache: &mut PhraseCache| {
            let mut o = crate::plan::PlanOptions::new(22050);
            o.lead_in_secs = Some(lead_in);
            o.blocks = blocks;
            crate::plan::plan(&r, cache, &|s| bank.frames(s), &o).unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        for (format, ext) in [(Format::Ogg, "ogg"), (Format::Mp3, "mp3")] {
            let mut cache = PhraseCache::new(Box::new(StandIn::new(22050)));
            let t = plan(None, 2.0, &mut cache);
            let at_once = dir.path().join(format!("once.{ext}"));
            Target::create(&at_once, format)
                .unwrap()
                .write(&mut Streamed::new(&t, &mut cache, &bank), "T", &stop, None)
                .unwrap();
            for (lead_in, used) in [(2.0, true), (3.0, false)] {
                let mut cache = PhraseCache::new(Box::new(StandIn::new(22050)));
                let path = dir.path().join(format!("steps.{ext}"));
                let target = Target::create(&path, format).unwrap();
                let mut early = target.early("T", 1.0, &stop).unwrap();
                for n in 0..3 {
                    let part = plan(Some(n), lead_in, &mut cache);
                    assert!(part.frames < t.frames);
                    early.as_mut().unwrap().planned(&part, &cache, &bank);
                }
                let t = plan(None, 2.0, &mut cache);
                let mut s = Streamed::new(&t, &mut cache, &bank);
                let written = target.write(&mut s, "T", &stop, early).unwrap();
                assert_eq!(written.one_stream_because, None);
                assert_eq!(written.early > 0, used, "{ext}: {} early", written.early);
                assert!(
                    std::fs::read(&path).unwrap() == std::fs::read(&at_once).unwrap(),
                    "{ext}, lead-in {lead_in}: not the same file"
                );
            }
        }
    }

    /// A target that is not an ordinary file (here a FIFO, named or through a link) is
    /// refused before anything is written, and stays what it was.
    #[test]
    fn a_device_or_fifo_target_is_refused_and_left_alone() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f.ogg");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let link = dir.path().join("link.mp3");
        std::os::unix::fs::symlink("f.ogg", &link).unwrap();
        for (path, format) in [(&fifo, Format::Ogg), (&link, Format::Mp3)] {
            let Err(e) = Target::create(path, format) else {
                panic!("{} was accepted", path.display());
            };
            assert!(e.to_string().contains("not an ordinary file"), "{e}");
        }
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 2, "nothing else was made");
    }

    /// Rendering over a file keeps its mode (a private file stays private), and rendering to
    /// a symbolic link writes the file it names: the link stays a link.
    #[test]
    fn rendering_over_a_file_keeps_its_mode_and_writes_through_a_link() {
        use std::os::unix::fs::PermissionsExt;
        let (t, mut cache, bank) = crate::render::program::strengthen_planned();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let real = dir.path().join("real/s.wav");
        std::fs::write(&real, b"old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.wav");
        std::os::unix::fs::symlink("real/s.wav", &link).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let mut s = Streamed::new(&t, &mut cache, &bank);
        let written = Target::create(&link, Format::Wav)
            .unwrap()
            .write(&mut s, "Title", &stop, None)
            .unwrap();
        assert_eq!(written.audio, real);
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert!(std::fs::read(&real).unwrap().starts_with(b"RIFF"));
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A new file is an ordinary one.
        let vtt = std::fs::metadata(dir.path().join("link.vtt")).unwrap();
        assert_eq!(vtt.permissions().mode() & 0o777, 0o644);
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
