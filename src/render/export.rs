//! A rendered file and its companions, written safely: WAV (`render::wav`), Ogg
//! Vorbis or MP3, with WebVTT captions of every spoken line and chapter marks per exercise (in
//! the Ogg comments, and in a chapters file for WAV and MP3; [`crate::render::captions`]).
//! Every file is written beside itself and renamed into place whole ([`Target`]). Ogg and MP3
//! are encoded in parts, the stretches of the session that sound, on several threads at once
//! (`render::joined`), the first ones while the rest is still being planned
//! ([`Target::early`]), and joined into one stream with the format's own silence between them
//! ([`crate::render::ogg`], [`crate::render::mp3`]); where that cannot be done, as one stream.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::plan::Timeline;
use crate::render::SoundBank;
use crate::render::captions::{captions, chapters};
pub use crate::render::error::ExportError;
use crate::render::error::write_err;
use crate::render::joined::{self, Codec, Encoding, Out};
use crate::render::mp3::encode::Mp3;
use crate::render::ogg::encode::Ogg;
use crate::render::parts::{self, Pool};
use crate::render::program::{Snapshot, Streamed};
use crate::render::wav;
use crate::voice::PhraseCache;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Wav,
    Ogg,
    /// MPEG-1/2 Layer III, gapless: see [`crate::render::mp3::MP3_KBPS`].
    Mp3,
}

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

/// Removes the temporaries a render of `name` in `dir` left when it was killed (SIGKILL, a
/// power cut): `.NAME.PID.XXXXXX.part` whose process is gone. Those of a render still running,
/// and every other file, are left alone.
fn remove_stale_parts(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(rest) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|f| f.strip_suffix(".part"))
        else {
            continue;
        };
        let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        // SAFETY: signal 0 only asks whether the process exists.
        let gone = pid > 0
            && pid as u32 != std::process::id()
            && unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
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
    remove_stale_parts(dir, &name);
    // The process's id in the name: a later render of this file can tell a temporary left by
    // a killed render from one that is still being written.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.{}.", std::process::id()))
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
        let out = Out { path, stop };
        let pool = match self.format {
            Format::Wav => return Ok(None),
            Format::Ogg => EarlyPool::Ogg(Pool::start(path, Ogg::new(title).part_encoder(out))?),
            Format::Mp3 => EarlyPool::Mp3(Pool::start(path, Mp3::new(title).part_encoder(out))?),
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
        let out = Out { path: &path, stop };
        let how = match self.format {
            Format::Wav => wav::write(program, file, &path, stop).map(|_| Encoding::one(None))?,
            Format::Ogg => joined::write(&Ogg::new(title), program, file, out, ogg)?,
            Format::Mp3 => joined::write(&Mp3::new(title), program, file, out, mp3)?,
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
    Ogg(Pool<<Ogg as Codec>::Extra>),
    Mp3(Pool<<Mp3 as Codec>::Extra>),
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
            Some(EarlyPool::Ogg(p)) => add(p, Ogg::parts(&mixer), &session),
            Some(EarlyPool::Mp3(p)) => add(p, Mp3::parts(&mixer), &session),
            None => false,
        };
        if !added {
            self.pool = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A render cleans up what a killed render of the same file left (its process is gone),
    /// and nothing else: not a render of it still running, not another file's.
    #[test]
    fn a_killed_renders_temporaries_are_removed_by_the_next_render_of_that_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut dead = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = dead.id();
        dead.wait().unwrap();
        let live_pid = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let files = [
            (format!(".x.wav.{dead_pid}.aB3dEf.part"), false),
            (format!(".x.wav.vtt.{dead_pid}.aB3dEf.part"), true),
            (format!(".x.wav.{}.Zz9Yy8.part", live_pid.id()), true),
            (format!(".y.wav.{dead_pid}.aB3dEf.part"), true),
            ("x.wav.part".to_owned(), true),
        ];
        for (f, _) in &files {
            std::fs::write(dir.path().join(f), b"partial").unwrap();
        }
        let target = Target::create(&dir.path().join("x.wav"), Format::Wav).unwrap();
        for (f, kept) in &files {
            assert_eq!(dir.path().join(f).exists(), *kept, "{f}");
        }
        drop(target);
        let mut live_pid = live_pid;
        let _ = live_pid.kill();
        let _ = live_pid.wait();
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
}
