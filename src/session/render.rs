//! The render job: a routine and the person's settings to an audio file with its captions and
//! chapters. Every file is known to be writable before the long work starts, and none is in
//! place until all are complete; compressed formats start encoding the first parts on other
//! cores while the rest of the session is planned ([`crate::render::export::Target::early`]).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::{Session, SessionError, Settings, Shape};
use crate::render::export::{ExportError, Format, Target, Written};
use crate::routine::Routine;

/// Why a render did not complete.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A file could not be written, or a signal stopped the writing
    /// ([`ExportError::Interrupted`]: nothing was left behind).
    #[error(transparent)]
    Export(#[from] ExportError),
    /// The session could not be prepared.
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// What a render wrote, and the length of the session in it.
pub struct Rendered {
    pub written: Written,
    /// The session's length in frames at `sample_rate`.
    pub frames: u64,
    pub sample_rate: u32,
}

/// Renders routine `r` as `settings` and `shape` make it into `path` in `format`, at the
/// volume's gain (never under its floor). `stop` (a signal) ends it with
/// [`ExportError::Interrupted`] and nothing left behind.
pub fn render(
    r: &Routine,
    settings: &Settings,
    shape: &Shape,
    path: &Path,
    format: Format,
    stop: &Arc<AtomicBool>,
) -> Result<Rendered, RenderError> {
    let target = Target::create(path, format)?;
    let mut s = Session::load(r, settings, shape)?;
    let gain = settings.volume.gain();
    let mut early = target.early(&r.title, gain, stop)?;
    match early.as_mut() {
        Some(e) => s.plan_in_steps(r, &mut |t, cache, bank| e.planned(t, cache, bank))?,
        None => s.plan(r)?,
    }
    let mut frames = s.streamed().with_gain(gain);
    let written = target.write(&mut frames, &r.title, stop, early)?;
    Ok(Rendered {
        written,
        frames: s.timeline.frames,
        sample_rate: s.timeline.sample_rate,
    })
}
