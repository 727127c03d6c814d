//! Encoding a session in parts, on several threads at once.
//!
//! Most of a session is silence: holds, rests, the quiet between lines. A compressed render
//! cuts the session at its silences into the stretches that sound ([`Part`]), encodes each
//! stretch by itself on one of several threads, and joins them in order with the format's own
//! silence in between (ready-made silent MP3 frames or Vorbis packets): the encoders only see
//! the third to two thirds of a session that sounds, on every core. Each format knows how its
//! parts meet exactly (`mp3`, `ogg`); this module runs the encoders, keeps their bytes, and
//! hands each part to the format's join in order as soon as it and the parts before it are
//! encoded, while the other threads go on encoding.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::render::export::ExportError;
use crate::render::program::Streamed;

/// A stretch of the session encoded by itself: frames `from..to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub from: u64,
    pub to: u64,
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

/// The signature of the join: part number, its bytes, what its encoder returned. Returns why
/// the parts do not join, if they do not (then the encoding stops).
pub type JoinPart<'f, T> =
    dyn FnMut(usize, Range<'_>, T) -> Result<Option<String>, ExportError> + 'f;

/// Where an encoded part's bytes are: `len` bytes at `offset` in worker `worker`'s file.
struct Placed<T> {
    worker: usize,
    offset: u64,
    len: u64,
    extra: T,
}

/// What the threads share: each part once encoded, taken by the join; how many threads still
/// run; whether one failed or the join refused (then they all stop).
struct Board<T> {
    placed: Vec<Option<Placed<T>>>,
    running: usize,
    failed: bool,
}

/// Ends a thread's turn on the board, however it ends (an error, or a panic): the join waits
/// for parts only while some thread runs.
struct Leaving<'a, T> {
    board: &'a Mutex<Board<T>>,
    ready: &'a Condvar,
    ok: bool,
}

impl<T> Drop for Leaving<'_, T> {
    fn drop(&mut self) {
        if let Ok(mut b) = self.board.lock() {
            b.running -= 1;
            b.failed |= !self.ok;
        }
        self.ready.notify_all();
    }
}

/// Encodes every part with `encode` on [`workers`] threads, each with a mixer of its own
/// forked from `program` (which must hold every line, see [`Streamed::holds_every_line`]) and a
/// temporary file of its own (unnamed, in the folder of `path`, the file being made), while
/// this thread hands each part to `join` in order as soon as it and every part before it are
/// encoded: its number, its bytes, and what its encoder returned. A part goes to the next free
/// thread. The first error (a signal's [`ExportError::Interrupted`] among them) stops every
/// thread and is returned; so is a refusal from `join` (`Ok(Some(why))`: the parts do not
/// join), which stops the encoding too.
pub fn encode_all<T: Send>(
    program: &Streamed<'_>,
    parts: &[Part],
    path: &Path,
    encode: &EncodePart<'_, T>,
    join: &mut JoinPart<'_, T>,
) -> Result<Option<String>, ExportError> {
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
    let mut readers = Vec::with_capacity(workers);
    for _ in 0..workers {
        let file = tempfile::tempfile_in(dir).map_err(err)?;
        readers.push(file.try_clone().map_err(err)?);
        mixers.push((program.fork_at(0)?, file));
    }
    let next = AtomicUsize::new(0);
    let board = Mutex::new(Board {
        placed: (0..parts.len()).map(|_| None).collect(),
        running: workers,
        failed: false,
    });
    let ready = Condvar::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = mixers
            .into_iter()
            .enumerate()
            .map(|(worker, (mut mixer, file))| {
                let (next, board, ready) = (&next, &board, &ready);
                s.spawn(move || -> Result<(), ExportError> {
                    let mut leaving = Leaving {
                        board,
                        ready,
                        ok: false,
                    };
                    let mut out = Counting {
                        inner: std::io::BufWriter::new(file),
                        written: 0,
                    };
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= parts.len() || board.lock().map_or(true, |b| b.failed) {
                            leaving.ok = true;
                            return Ok(());
                        }
                        let offset = out.written;
                        mixer.seek(parts[k].from)?;
                        let extra = encode(k, &mut mixer, parts[k], &mut out)?;
                        // The join reads the bytes from the file.
                        out.flush().map_err(err)?;
                        let p = Placed {
                            worker,
                            offset,
                            len: out.written - offset,
                            extra,
                        };
                        board.lock().expect("no encoder panics").placed[k] = Some(p);
                        ready.notify_all();
                    }
                })
            })
            .collect();
        let joined = (|| -> Result<Option<String>, ExportError> {
            for k in 0..parts.len() {
                let mut b = board.lock().expect("no encoder panics");
                while b.placed[k].is_none() && !b.failed && b.running > 0 {
                    b = ready.wait(b).expect("no encoder panics");
                }
                let Some(p) = b.placed[k].take() else {
                    // A thread failed: its error is returned below.
                    return Ok(None);
                };
                drop(b);
                let bytes = Range {
                    file: &readers[p.worker],
                    start: p.offset,
                    len: p.len,
                    at: 0,
                };
                if let Some(why) = join(k, bytes, p.extra)? {
                    return Ok(Some(why));
                }
            }
            Ok(None)
        })();
        if let Ok(mut b) = board.lock() {
            b.failed |= !matches!(joined, Ok(None));
        }
        let mut first_error = None;
        for h in handles {
            if let Err(e) = h.join().expect("no encoder panics") {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => joined,
        }
    })
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
