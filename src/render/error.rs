//! What can go wrong writing a file: the one error type of `export` and `parts`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::voice::VoiceError;

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

pub(crate) fn write_err(path: &Path, e: impl std::fmt::Display) -> ExportError {
    ExportError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// [`ExportError::Interrupted`] once `stop` is set: checked between chunks of a render.
pub(crate) fn interrupted(stop: &AtomicBool, path: &Path) -> Result<(), ExportError> {
    if stop.load(Ordering::Relaxed) {
        Err(ExportError::Interrupted {
            path: path.display().to_string(),
        })
    } else {
        Ok(())
    }
}
