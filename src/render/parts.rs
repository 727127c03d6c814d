//! Encoding a session in parts, on several threads at once.
//!
//! Most of a session is silence: holds, rests, the quiet between lines. A compressed render
//! cuts the session at its silences into the stretches that sound ([`Part`]), encodes each
//! stretch by itself on one of several threads, and joins them in order with the format's own
//! silence in between (ready-made silent MP3 frames or Vorbis packets): the encoders only see
//! the third to two thirds of a session that sounds, on every core. Each format knows how its
//! parts meet exactly (`mp3`, `ogg`); this module runs the encoders and keeps their bytes.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::render::export::ExportError;
use crate::render::program::Streamed;

/// A stretch of the session encoded by itself: frames `from..to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub from: u64,
    pub to: u64,
}

/// Where a part's encoded bytes are: `len` bytes at `offset` in worker `worker`'s file, and
/// what its encoder told besides.
#[derive(Debug)]
pub struct Placed<T> {
    pub worker: usize,
    pub offset: u64,
    pub len: u64,
    pub extra: T,
}

/// Every part encoded: each worker's file, and each part's place in them, in part order.
pub struct Encoded<T> {
    pub files: Vec<File>,
    pub parts: Vec<Placed<T>>,
}

impl<T> Encoded<T> {
    /// The bytes of part `k`, to read from the start.
    pub fn bytes(&self, k: usize) -> Range<'_> {
        let p = &self.parts[k];
        Range {
            file: &self.files[p.worker],
            start: p.offset,
            len: p.len,
            at: 0,
        }
    }
}

/// How many threads encode: one a core, at least two (so every machine takes, and tests, the
/// same path), at most four.
pub fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4)
}

/// A writer that counts what passes.
struct Counting<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The signature of a part's encoder: part number, a mixer already at the part's first frame,
/// the part, where its bytes go. Returns what the join needs to know besides the bytes.
pub type EncodePart<'f, T> =
    dyn Fn(usize, &mut Streamed<'_>, Part, &mut dyn Write) -> Result<T, ExportError> + Sync + 'f;

/// Encodes every part with `encode` on [`workers`] threads, each with a mixer of its own
/// forked from `program` (which must hold every line, see [`Streamed::holds_every_line`]) and a
/// temporary file of its own (unnamed, in the folder of `path`, the file being made). A part goes to the next free thread; the first error
/// (a signal's [`ExportError::Interrupted`] among them) stops every thread and is returned.
pub fn encode_all<T: Send>(
    program: &Streamed<'_>,
    parts: &[Part],
    path: &Path,
    encode: &EncodePart<'_, T>,
) -> Result<Encoded<T>, ExportError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let err = |e: std::io::Error| ExportError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let workers = workers().min(parts.len()).max(1);
    let mut mixers = Vec::with_capacity(workers);
    for _ in 0..workers {
        mixers.push((
            program.fork_at(0)?,
            tempfile::tempfile_in(dir).map_err(err)?,
        ));
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let placed: Mutex<Vec<Option<Placed<T>>>> =
        Mutex::new((0..parts.len()).map(|_| None).collect());
    let results: Vec<Result<File, ExportError>> = std::thread::scope(|s| {
        let handles: Vec<_> = mixers
            .into_iter()
            .enumerate()
            .map(|(worker, (mut mixer, file))| {
                let (next, failed, placed) = (&next, &failed, &placed);
                s.spawn(move || -> Result<File, ExportError> {
                    let mut out = Counting {
                        inner: std::io::BufWriter::new(file),
                        written: 0,
                    };
                    let run = (|| -> Result<(), ExportError> {
                        loop {
                            let k = next.fetch_add(1, Ordering::Relaxed);
                            if k >= parts.len() || failed.load(Ordering::Relaxed) {
                                return Ok(());
                            }
                            let offset = out.written;
                            mixer.seek(parts[k].from)?;
                            let extra = encode(k, &mut mixer, parts[k], &mut out)?;
                            let p = Placed {
                                worker,
                                offset,
                                len: out.written - offset,
                                extra,
                            };
                            placed.lock().expect("no encoder panics")[k] = Some(p);
                        }
                    })();
                    if run.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    run?;
                    out.inner.into_inner().map_err(|e| err(e.into_error()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no encoder panics"))
            .collect()
    });
    let mut files = Vec::with_capacity(results.len());
    for r in results {
        files.push(r?);
    }
    let parts = placed
        .into_inner()
        .expect("no encoder panics")
        .into_iter()
        .map(|p| p.expect("every part was encoded when no thread failed"))
        .collect();
    Ok(Encoded { files, parts })
}

/// Part of a file, read as a file of its own.
pub struct Range<'a> {
    file: &'a File,
    start: u64,
    len: u64,
    at: u64,
}

impl Read for Range<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = (self.len - self.at).min(buf.len() as u64) as usize;
        if n == 0 {
            return Ok(0);
        }
        let got = self.file.read_at(&mut buf[..n], self.start + self.at)?;
        self.at += got as u64;
        Ok(got)
    }
}

impl Seek for Range<'_> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let to = match pos {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.at.checked_add_signed(d),
        };
        match to {
            Some(n) => {
                self.at = n.min(self.len);
                Ok(self.at)
            }
            None => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a seek before the start",
            )),
        }
    }
}

/// Where a session is cut into parts.
#[derive(Debug, Clone, Copy)]
pub struct Cuts {
    /// The shortest silence cut at (frames).
    pub min: u64,
    /// A silence this long is always cut at: not encoding it saves more than starting an
    /// encoder costs. A shorter one is cut at only when the part before it is [`Cuts::share`]
    /// long, so the parts are few enough to cost little and many enough to share out.
    pub long: u64,
    pub share: u64,
    /// A part ends this many frames into a silence, rounded up to whole `quantum`s from the
    /// part's start.
    pub after: u64,
    pub quantum: u64,
}

/// The parts of a session cut at its silences as `cuts` says; the next part begins where
/// `place` puts it, given the previous part's end and the silence's end (`None`: this silence
/// is not cut). The last part ends with the session.
pub fn cut(
    program: &Streamed<'_>,
    cuts: Cuts,
    place: impl Fn(u64, u64) -> Option<u64>,
) -> Vec<Part> {
    let n = program.frames();
    let mut parts = Vec::new();
    let mut from = 0;
    for q in program.silences(cuts.min) {
        if q.start <= from || q.end >= n {
            continue;
        }
        if q.end - q.start < cuts.long && q.start - from < cuts.share {
            continue;
        }
        let to = from + (q.start + cuts.after - from).div_ceil(cuts.quantum) * cuts.quantum;
        if to >= q.end {
            continue;
        }
        if let Some(next) = place(to, q.end)
            && next > to
            && next < q.end
        {
            parts.push(Part { from, to });
            from = next;
        }
    }
    parts.push(Part { from, to: n });
    parts
}
