//! Exit codes, in one place.

use std::process::ExitCode;

pub const OK: u8 = 0;
/// A routine file has problems (`check` and anything that loads one).
pub const INVALID_ROUTINE: u8 = 1;
/// Bad arguments, a file that cannot be read or written, no audio device.
pub const USAGE_OR_IO: u8 = 2;
/// Ctrl-C or a termination signal.
pub const INTERRUPTED: u8 = 130;

pub fn code(c: u8) -> ExitCode {
    ExitCode::from(c)
}
