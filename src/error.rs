//! The one error type that ends the program, with its exit code. Stages have their own
//! `thiserror` errors; they become an [`Error`] at the edge, with one exit-code mapping here.

use std::process::ExitCode;

use crate::routine::LoadError;

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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A routine has problems.
    #[error("{0}")]
    Invalid(String),
    /// Bad arguments, a file that cannot be read or written, a voice that cannot start.
    #[error("{0}")]
    Usage(String),
    /// No audio output could be opened.
    #[error("{0}")]
    Device(String),
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Invalid(_) => code::INVALID_ROUTINE,
            Error::Usage(_) | Error::Device(_) => code::USAGE_OR_IO,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Error::Invalid(m) | Error::Usage(m) | Error::Device(m) => m,
        }
    }
}

impl From<LoadError> for Error {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Invalid(d) => Error::Invalid(d.to_string()),
            io @ LoadError::Io { .. } => Error::Usage(io.to_string()),
        }
    }
}

pub fn exit(c: u8) -> ExitCode {
    ExitCode::from(c)
}
