//! The pain check-in asked by voice before a session, on a terminal: the question is said
//! (and printed), and the answer is a key, `y` or `n`. No answer within the time
//! ([`wait`], 20 s) keeps the dose, and says so; `q`, Esc or Ctrl-C stops before the session
//! starts. Headset and media buttons do not answer it yet.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind};

use crate::voice::EspeakSettings;

/// What the person answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The pain lasted longer than the rule allows (`true`), or did not.
    Lasted(bool),
    /// Nothing within the time.
    None,
    /// `q`, Esc, Ctrl-C or a signal: no session.
    Quit,
}

/// How long the question waits for its answer: `HIPVOICE_CHECKIN_SECS` (1 to 120), else 20 s.
pub fn wait() -> Duration {
    let secs = std::env::var("HIPVOICE_CHECKIN_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| (1..=120).contains(s))
        .unwrap_or(20);
    Duration::from_secs(secs)
}

/// What a key press answers, if anything: `y` or `n`, or a key that quits a session
/// ([`crate::output::keys::command`]: q, Esc, Ctrl-C, ...).
fn answer_of(k: &KeyEvent) -> Option<Answer> {
    use crate::control::Command;
    match k.code {
        _ if k.kind != KeyEventKind::Press => None,
        KeyCode::Char('y' | 'Y') => Some(Answer::Lasted(true)),
        KeyCode::Char('n' | 'N') => Some(Answer::Lasted(false)),
        _ => (crate::output::keys::command(k) == Some(Command::Quit)).then_some(Answer::Quit),
    }
}

/// Prints a line in raw mode.
fn print(out: &mut dyn Write, line: &str) {
    let _ = write!(out, "{line}\r\n");
    let _ = out.flush();
}

/// Says and prints `question`, then waits up to `wait` for `y` or `n`; says `thanks` after an
/// answer and `none` after no answer. The terminal is raw only while it waits. Errors (a
/// terminal that will not go raw) count as no answer, and nothing is said.
pub fn ask(
    question: &str,
    thanks: &str,
    none: &str,
    voice: &EspeakSettings,
    stop: &AtomicBool,
    wait: Duration,
    out: &mut dyn Write,
) -> Answer {
    let Ok(_raw) = crate::output::keys::RawMode::raw() else {
        return Answer::None;
    };
    print(out, question);
    super::start_error::say(question, Some(voice), stop);
    let until = Instant::now() + wait;
    let answer = loop {
        if stop.load(Ordering::Acquire) {
            break Answer::Quit;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Answer::None;
        }
        match event::poll(left.min(Duration::from_millis(100))) {
            Ok(true) => {
                if let Ok(Event::Key(k)) = event::read()
                    && let Some(a) = answer_of(&k)
                {
                    break a;
                }
            }
            Ok(false) => {}
            Err(_) => break Answer::None,
        }
    };
    match answer {
        Answer::Lasted(_) => {
            print(out, thanks);
            super::start_error::say(thanks, Some(voice), stop);
        }
        Answer::None => {
            print(out, none);
            super::start_error::say(none, Some(voice), stop);
        }
        Answer::Quit => {}
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    use crossterm::event::KeyModifiers;

    fn answer_of(code: KeyCode, m: KeyModifiers) -> Option<Answer> {
        super::answer_of(&KeyEvent::new(code, m))
    }

    #[test]
    fn y_and_n_answer_and_q_stops() {
        let none = KeyModifiers::NONE;
        assert_eq!(
            answer_of(KeyCode::Char('y'), none),
            Some(Answer::Lasted(true))
        );
        assert_eq!(
            answer_of(KeyCode::Char('N'), none),
            Some(Answer::Lasted(false))
        );
        assert_eq!(answer_of(KeyCode::Esc, none), Some(Answer::Quit));
        assert_eq!(
            answer_of(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Answer::Quit)
        );
        assert_eq!(answer_of(KeyCode::Char('c'), none), None);
        assert_eq!(answer_of(KeyCode::Char(' '), none), None);
    }
}
