//! The one error type that ends the program, with its exit code. Stages keep their own
//! `thiserror` errors (loading, the config file, the session's voice, sounds and plan, export,
//! output); each becomes an [`Error`] through `From`, with its source kept, and which exit code
//! it ends with is decided here alone ([`Error::exit_code`]).

use std::process::ExitCode;

use crate::diag::Diagnostics;
use crate::output::OutputError;
use crate::render::export::ExportError;
use crate::routine::LoadError;
use crate::session::SessionError;
use crate::session::render::RenderError;

/// Exit codes, in one place.
pub mod code {
    pub const OK: u8 = 0;
    /// A routine file has problems (`check` and anything that loads one).
    pub const INVALID_ROUTINE: u8 = 1;
    /// Bad arguments, a file that cannot be read or written, no audio device.
    pub const USAGE_OR_IO: u8 = 2;
    /// Ctrl-C or a termination signal.
    pub const INTERRUPTED: u8 = 130;
}

/// What went wrong, as the person should read it: one plain line each (a routine's problems are
/// `file:line:col: ...` lines, several at once).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A routine could not be read, or has problems.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The config file could not be read, or has problems.
    #[error("{0}")]
    Config(Diagnostics),
    /// A session could not be prepared: its voice, its sounds or its plan.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A file could not be written, or a signal stopped the writing.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// No audio output could be opened for the routine the person named `routine`.
    #[error(
        "{source}. hint: `hipvoice render {routine} -o session.wav` writes the session to a file instead"
    )]
    Output {
        routine: String,
        #[source]
        source: OutputError,
    },
    /// The sound output was lost during the session and did not come back.
    #[error("{0}")]
    OutputLost(String),
    /// The last pain check-in rated the pain 6 or more (of 10): the session does not start
    /// without `--despite-pain` (the physio traffic-light scale: 6-10 is stop and ask).
    #[error(
        "your last check-in rated the pain after {routine} {rating} of 10. At 6 or more, do not exercise today, and ask a clinician. hint: to play anyway, add --despite-pain"
    )]
    PainTooHigh { routine: String, rating: u8 },
    /// The history file could not be read or written (`hipvoice history`).
    #[error("{0}. hint: `history = false` in the config turns the history off")]
    History(#[from] crate::history::HistoryError),
    /// The command line itself: bad arguments, a routine that does not exist, output that
    /// cannot be written.
    #[error("{0}")]
    Usage(String),
}

impl From<RenderError> for Error {
    fn from(e: RenderError) -> Self {
        match e {
            RenderError::Export(e) => Error::Export(e),
            RenderError::Session(e) => Error::Session(e),
        }
    }
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    /// The process exit code for this error: 1 where the routine (or a sound it names) must be
    /// fixed, 130 where a signal stopped the work, 2 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Load(LoadError::Invalid(_)) => code::INVALID_ROUTINE,
            Error::Session(e) if e.is_in_the_routine() => code::INVALID_ROUTINE,
            Error::Export(ExportError::Interrupted { .. }) => code::INTERRUPTED,
            Error::Load(LoadError::Io { .. } | LoadError::Unknown { .. })
            | Error::Config(_)
            | Error::Session(_)
            | Error::Export(_)
            | Error::Output { .. }
            | Error::OutputLost(_)
            | Error::History(_)
            | Error::PainTooHigh { .. }
            | Error::Usage(_) => code::USAGE_OR_IO,
        }
    }
}

pub fn exit(c: u8) -> ExitCode {
    ExitCode::from(c)
}
