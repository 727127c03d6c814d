//! Encoding a compressed file in parts and joining them: the one path Ogg and MP3 both take
//! ([`write`]), over what each format supplies ([`Codec`]: where it cuts, how it encodes a
//! part, how its parts join, how it encodes one stream).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::render::error::{ExportError, write_err};
use crate::render::parts::{self, EncodePart, Part, Pool};
use crate::render::program::Streamed;

/// Where a file is written, and the flag that asks the writing to stop.
#[derive(Clone, Copy)]
pub(crate) struct Out<'a> {
    pub path: &'a Path,
    pub stop: &'a Arc<AtomicBool>,
}

/// What a compressed format supplies to be encoded in parts at once and joined.
pub(crate) trait Codec {
    /// What a part's encoder gives the join besides its bytes.
    type Extra: Send + 'static;
    /// The longest part the join takes (frames); a session with a longer one is encoded as
    /// one stream.
    const LONGEST_PART: u64;
    /// Where the session is cut into parts.
    fn parts(program: &Streamed<'_>) -> Vec<Part>;
    /// What a thread of the pool runs on each part.
    fn part_encoder(&self, out: Out<'_>) -> Arc<EncodePart<Self::Extra>>;
    /// Joins the parts `pool` encodes, in order, into `file`. `Ok(Some(why))` when a part did
    /// not come out as planned (then `file` holds nothing useful).
    fn join(
        &self,
        program: &Streamed<'_>,
        parts: &[Part],
        pool: Pool<Self::Extra>,
        file: &File,
        out: Out<'_>,
    ) -> Result<Option<String>, ExportError>;
    /// Encodes the session from `mixer`'s first frame to its end as one stream into `file`.
    fn one_stream(
        &self,
        mixer: &mut Streamed<'_>,
        file: File,
        out: Out<'_>,
    ) -> Result<(), ExportError>;
}

/// Encodes `program` into `file` with `codec`: in parts at once where the session has
/// silences to cut at, joined; else, or when the parts did not join, as one stream. `early`
/// is a pool that began on the first parts while the session was planned
/// ([`crate::render::export::Target::early`]): used when its parts are the first of these.
pub(crate) fn write<C: Codec>(
    codec: &C,
    program: &mut Streamed<'_>,
    mut file: File,
    out: Out<'_>,
    early: Option<Pool<C::Extra>>,
) -> Result<Encoding, ExportError> {
    let parts = C::parts(program);
    let mut because = one_stream_because(&parts, program, C::LONGEST_PART);
    let mut fresh;
    let mut mixer = program;
    if because.is_none() {
        let (pool, early) = with_all_parts(early, &parts, mixer, || {
            Pool::start(out.path, codec.part_encoder(out))
        })?;
        match codec.join(mixer, &parts, pool, &file, out)? {
            None => return Ok(Encoding::joined(parts.len(), early)),
            Some(why) => {
                because = Some(why);
                fresh = start_over(&mut file, mixer, out.path)?;
                mixer = &mut fresh;
            }
        }
    }
    codec.one_stream(mixer, file, out)?;
    Ok(Encoding::one(because))
}

/// How a file was encoded: in how many parts, how many of them while the session was
/// planned, and why as one stream if it was.
pub(crate) struct Encoding {
    pub parts: usize,
    pub early: usize,
    pub because: Option<String>,
}

impl Encoding {
    pub(crate) fn joined(parts: usize, early: usize) -> Encoding {
        Encoding {
            parts,
            early,
            because: None,
        }
    }

    pub(crate) fn one(because: Option<String>) -> Encoding {
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
pub(crate) fn with_all_parts<T: Send + 'static>(
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

/// The shortest silence a compressed render cuts at (frames at 22050 Hz: 0.5 s): shorter
/// ones are encoded with the speech around them.
pub(crate) const MIN_SILENCE: u64 = 11025;

/// Why a session cut into `parts` is encoded as one stream instead, if it is: it has no
/// silence to cut at, a part is longer than `longest` frames, or its lines are not all held
/// (see [`Streamed::holds_every_line`]).
pub(crate) fn one_stream_because(
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
pub(crate) fn start_over<'a>(
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
