//! The transcript of a live session: the lines said, printed as they are heard, and notes on
//! stderr that stay whole while the terminal is raw.

use std::io::Write;

use crate::session::TranscriptMode;

/// Transcript lines, one per line; `\r\n` while the terminal is raw. A closed stdout never
/// stops the session: the person is listening, not reading.
pub struct Transcript<'a> {
    pub out: &'a mut dyn Write,
    pub raw: bool,
    pub mode: TranscriptMode,
}

impl Transcript<'_> {
    /// A planned line (`instruction` false for helper lines) or, with `None`, an answer.
    pub fn said(&mut self, text: &str, instruction: Option<bool>) {
        let print = match self.mode {
            TranscriptMode::Full => true,
            TranscriptMode::Lines => instruction == Some(true),
            TranscriptMode::None => false,
        };
        if print {
            self.line(text);
        }
    }

    fn line(&mut self, text: &str) {
        let end = if self.raw { "\r\n" } else { "\n" };
        let _ = write!(self.out, "{}{end}", crate::diag::escape(text));
        let _ = self.out.flush();
    }

    /// A line for stderr, whole even while the terminal is raw.
    pub fn note(&self, text: &str) {
        let end = if self.raw { "\r\n" } else { "\n" };
        eprint!("{text}{end}");
    }
}
