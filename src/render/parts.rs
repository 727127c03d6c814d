//! Encoding a session in parts, on several threads at once.
//!
//! Most of a session is silence: holds, rests, the quiet between lines. A compressed render
//! cuts the session at its silences into the stretches that sound ([`Part`]), encodes each
//! stretch by itself on one of several threads, and joins them in order with the format's own
//! silence in between (ready-made silent MP3 frames or Vorbis packets): the encoders only see
//! the third to two thirds of a session that sounds, on every core. Each format knows how its
//! parts meet exactly (`mp3`, `ogg`); this module cuts the session ([`cut`]) and runs the
//! encoders ([`Pool`]): parts can be added while the rest of the session is still being
//! planned, each with the session as planned so far ([`Snapshot`]), and each part goes to the
//! format's join in order as soon as it and the parts before it are encoded, while the other
//! threads go on encoding.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use crate::render::error::{ExportError, write_err};
use crate::render::program::{Snapshot, Streamed};

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
pub type EncodePart<T> =
    dyn Fn(usize, &mut Streamed<'_>, Part, &mut dyn Write) -> Result<T, ExportError> + Send + Sync;

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

/// What the threads share: the parts to encode, each with the session it is mixed from; each
/// part once encoded, until the join takes it; whether more parts may come; how many threads
/// still run; whether one failed or the join refused (then they all stop).
struct Board<T> {
    /// Each part, and the session it is mixed from until a thread takes it.
    jobs: Vec<(Part, Option<Arc<Snapshot>>)>,
    next: usize,
    closed: bool,
    placed: Vec<Option<Placed<T>>>,
    running: usize,
    failed: bool,
}

struct Shared<T> {
    board: Mutex<Board<T>>,
    /// Woken when a part is added or encoded, and when a thread ends.
    changed: Condvar,
}

impl<T> Shared<T> {
    fn board(&self) -> std::sync::MutexGuard<'_, Board<T>> {
        self.board
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Ends a thread's turn on the board, however it ends (an error, or a panic): the join waits
/// for parts only while some thread runs.
struct Leaving<T> {
    shared: Arc<Shared<T>>,
    ok: bool,
}

impl<T> Drop for Leaving<T> {
    fn drop(&mut self) {
        let mut b = self.shared.board();
        b.running -= 1;
        b.failed |= !self.ok;
        drop(b);
        self.shared.changed.notify_all();
    }
}

/// Threads that encode parts as they are added, each into an unnamed temporary file of its
/// own, while the caller goes on (planning the rest of the session, say); then
/// [`Pool::join`] hands every part to the format's join in order, as soon as it and the
/// parts before it are encoded. Parts are numbered in the order they are added. Dropping a
/// pool stops its threads.
pub struct Pool<T> {
    shared: Arc<Shared<T>>,
    threads: Vec<std::thread::JoinHandle<Result<(), ExportError>>>,
    readers: Vec<File>,
    added: Vec<Part>,
    /// The session the last parts added are mixed from, and whether each session parts were
    /// added from sounds as the next one does up to where it ends (so, as the last one does).
    last: Option<Arc<Snapshot>>,
    consistent: bool,
    path: std::path::PathBuf,
}

impl<T: Send + 'static> Pool<T> {
    /// Starts [`workers`] threads that encode with `encode`, their files in the folder of
    /// `path` (the file being made, named in errors).
    pub fn start(path: &Path, encode: Arc<EncodePart<T>>) -> Result<Pool<T>, ExportError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let err = |e: std::io::Error| write_err(path, e);
        let shared = Arc::new(Shared {
            board: Mutex::new(Board {
                jobs: Vec::new(),
                next: 0,
                closed: false,
                placed: Vec::new(),
                running: 0,
                failed: false,
            }),
            changed: Condvar::new(),
        });
        let mut pool = Pool {
            shared,
            threads: Vec::new(),
            readers: Vec::new(),
            added: Vec::new(),
            last: None,
            consistent: true,
            path: path.to_path_buf(),
        };
        for worker in 0..workers() {
            let file = tempfile::tempfile_in(dir).map_err(err)?;
            pool.readers.push(file.try_clone().map_err(err)?);
            pool.shared.board().running += 1;
            let leaving = Leaving {
                shared: pool.shared.clone(),
                ok: false,
            };
            let (encode, path) = (encode.clone(), pool.path.clone());
            pool.threads.push(std::thread::spawn(move || {
                encode_parts(worker, file, leaving, &*encode, &path)
            }));
        }
        Ok(pool)
    }

    /// The parts added so far, in order.
    pub fn added(&self) -> &[Part] {
        &self.added
    }

    /// How many parts added no thread has taken yet.
    pub fn waiting(&self) -> usize {
        let b = self.shared.board();
        b.jobs.len() - b.next
    }

    /// Whether the parts added so far are the first of `parts`, and were mixed from sessions
    /// that sound as `whole` does up to where each ends ([`Snapshot::is_start_of`]): then
    /// they are what encoding `whole` would have made of them.
    pub fn begins(&self, parts: &[Part], whole: &crate::plan::Timeline) -> bool {
        parts.starts_with(&self.added)
            && self.consistent
            && self.last.as_ref().is_none_or(|s| s.is_start_of(whole))
    }

    /// Adds parts to encode, each mixed from `session` (which must hold every line its part
    /// needs, see [`Streamed::holds_every_line`]).
    pub fn add(&mut self, parts: &[Part], session: Arc<Snapshot>) {
        if parts.is_empty() {
            return;
        }
        self.added.extend_from_slice(parts);
        match &self.last {
            Some(last) if Arc::ptr_eq(last, &session) => {}
            Some(last) => {
                self.consistent &= last.is_start_of(&session.timeline);
                self.last = Some(session.clone());
            }
            None => self.last = Some(session.clone()),
        }
        let mut b = self.shared.board();
        for &p in parts {
            b.jobs.push((p, Some(session.clone())));
            b.placed.push(None);
        }
        drop(b);
        self.shared.changed.notify_all();
    }

    /// Adds no more parts, and hands every part added to `join` in order, on this thread,
    /// as soon as it and every part before it are encoded: its number, its bytes, and what
    /// its encoder returned. The first error of a thread (a signal's
    /// [`ExportError::Interrupted`] among them) stops every thread and is returned; so is a
    /// refusal from `join` (`Ok(Some(why))`: the parts do not join), which stops the encoding
    /// too.
    pub fn join(mut self, join: &mut JoinPart<'_, T>) -> Result<Option<String>, ExportError> {
        self.shared.board().closed = true;
        self.shared.changed.notify_all();
        let joined = (|| -> Result<Option<String>, ExportError> {
            for k in 0..self.added.len() {
                let mut b = self.shared.board();
                while b.placed[k].is_none() && !b.failed && b.running > 0 {
                    b = self
                        .shared
                        .changed
                        .wait(b)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                }
                let Some(p) = b.placed[k].take() else {
                    // A thread failed: its error is returned below.
                    return Ok(None);
                };
                drop(b);
                let bytes = Range {
                    file: &self.readers[p.worker],
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
        if !matches!(joined, Ok(None)) {
            self.stop();
        }
        match self.wait() {
            Some(e) => Err(e),
            None => joined,
        }
    }

    fn stop(&self) {
        self.shared.board().failed = true;
        self.shared.changed.notify_all();
    }

    /// Waits for every thread to end; their first error.
    fn wait(&mut self) -> Option<ExportError> {
        let mut first = None;
        for h in self.threads.drain(..) {
            match h.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    first.get_or_insert(e);
                }
                Err(_) => {
                    first.get_or_insert(write_err(&self.path, "an encoder thread panicked"));
                }
            }
        }
        first
    }
}

impl<T> Drop for Pool<T> {
    fn drop(&mut self) {
        if self.threads.is_empty() {
            return;
        }
        self.shared.board().failed = true;
        self.shared.changed.notify_all();
        for h in self.threads.drain(..) {
            let _ = h.join();
        }
    }
}

/// A thread of a [`Pool`]: takes the next part added, encodes it from its session into
/// `file`, and says where its bytes are, until no more parts may come or one failed.
fn encode_parts<T>(
    worker: usize,
    file: File,
    mut leaving: Leaving<T>,
    encode: &EncodePart<T>,
    path: &Path,
) -> Result<(), ExportError> {
    let shared = leaving.shared.clone();
    let mut out = Counting {
        inner: std::io::BufWriter::new(file),
        written: 0,
    };
    loop {
        let (k, part, session) = {
            let mut b = shared.board();
            while b.next >= b.jobs.len() && !b.closed && !b.failed {
                b = shared
                    .changed
                    .wait(b)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if b.failed || b.next >= b.jobs.len() {
                leaving.ok = true;
                return Ok(());
            }
            let k = b.next;
            b.next += 1;
            let session = b.jobs[k].1.take().expect("a part is taken once");
            (k, b.jobs[k].0, session)
        };
        let offset = out.written;
        let mut mixer = session.mixer(part.from)?;
        let extra = encode(k, &mut mixer, part, &mut out)?;
        // The join reads the bytes from the file.
        out.flush().map_err(|e| write_err(path, e))?;
        let p = Placed {
            worker,
            offset,
            len: out.written - offset,
            extra,
        };
        shared.board().placed[k] = Some(p);
        shared.changed.notify_all();
    }
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
