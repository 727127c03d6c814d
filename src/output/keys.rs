//! The terminal's keys: raw mode on a terminal, each key press turned into a [`Command`].
//!
//! Raw mode is restored on every way out: the [`RawMode`] guard's drop (a normal end, a
//! signal, which the live loop turns into an orderly end), and a panic hook. In raw mode the
//! terminal sends Ctrl-C as a key, not as SIGINT: it means quit.

use std::sync::mpsc::Sender;

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MediaKeyCode};

use crate::control::Command;

/// While alive, the terminal is in raw mode; dropping it restores the terminal.
pub struct RawMode(());

impl RawMode {
    /// Puts the terminal in raw mode, without reading its keys (the caller reads them).
    pub fn raw() -> std::io::Result<RawMode> {
        crossterm::terminal::enable_raw_mode()?;
        Ok(RawMode(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// The keys as the manual page lists them: the keys, what they do, and one key of each row
/// with the command it gives (checked by a test against [`command`]). The README's table says
/// the same at more length; the spoken help says it by ear.
pub const KEYS: [(&str, &str, KeyCode, Command); 9] = [
    (
        "space",
        "Pause, or go on. Going on inside a hold starts that rep again from its cue.",
        KeyCode::Char(' '),
        Command::PlayPause,
    ),
    (
        "n, right arrow",
        "The next exercise.",
        KeyCode::Right,
        Command::Next,
    ),
    (
        "b, left arrow",
        "Back to the start of this exercise; pressed again within 4 s, the one before.",
        KeyCode::Char('b'),
        Command::Back,
    ),
    (
        "r",
        "Repeat the last instruction.",
        KeyCode::Char('r'),
        Command::Repeat,
    ),
    (
        "w",
        "Where am I: the exercise, side, rep, time left in the hold and in the session.",
        KeyCode::Char('w'),
        Command::Where,
    ),
    (
        "+, -",
        "Speak faster or slower (20 words a minute a press, 80 to 450).",
        KeyCode::Char('+'),
        Command::Faster,
    ),
    (
        "up arrow, down arrow",
        "Volume, 10% a press, from 10% to 100%.",
        KeyCode::Down,
        Command::Softer,
    ),
    (
        "h, ?",
        "Spoken help: the keys. Pressed again while it is said, it stops.",
        KeyCode::Char('?'),
        Command::Help,
    ),
    (
        "q, Esc, Ctrl-C",
        "Stop, said aloud; the place is saved.",
        KeyCode::Esc,
        Command::Quit,
    ),
];

/// What a key means. Keys are listed in the README and [`KEYS`] and said by the spoken help.
pub fn command(k: &KeyEvent) -> Option<Command> {
    if k.kind != KeyEventKind::Press {
        return None;
    }
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    Some(match k.code {
        KeyCode::Char('c' | 'd') if ctrl => Command::Quit,
        KeyCode::Char(' ') => Command::PlayPause,
        KeyCode::Char('n' | 'N') | KeyCode::Right => Command::Next,
        KeyCode::Char('b' | 'B') | KeyCode::Left => Command::Back,
        KeyCode::Char('r' | 'R') => Command::Repeat,
        KeyCode::Char('w' | 'W') => Command::Where,
        KeyCode::Char('+' | '=') => Command::Faster,
        KeyCode::Char('-' | '_') => Command::Slower,
        KeyCode::Up => Command::Louder,
        KeyCode::Down => Command::Softer,
        KeyCode::Char('h' | 'H' | '?') => Command::Help,
        KeyCode::Char('q' | 'Q') | KeyCode::Esc => Command::Quit,
        KeyCode::Media(MediaKeyCode::PlayPause) => Command::PlayPause,
        KeyCode::Media(MediaKeyCode::Play) => Command::Play,
        KeyCode::Media(MediaKeyCode::Pause) => Command::Pause,
        KeyCode::Media(MediaKeyCode::TrackNext) => Command::Next,
        KeyCode::Media(MediaKeyCode::TrackPrevious) => Command::Back,
        KeyCode::Media(MediaKeyCode::Stop) => Command::Quit,
        KeyCode::Modifier(_) => return None,
        _ => Command::Unknown,
    })
}

/// Puts the terminal in raw mode and sends every key press's command to `tx` from a thread of
/// its own. Call it only when stdin is a terminal (crossterm would otherwise open /dev/tty).
pub fn start(tx: Sender<Command>) -> std::io::Result<RawMode> {
    crossterm::terminal::enable_raw_mode()?;
    let guard = RawMode(());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::terminal::disable_raw_mode();
        previous(info);
    }));
    std::thread::Builder::new()
        .name("hipvoice-keys".into())
        .spawn(move || {
            while let Ok(e) = event::read() {
                if let Event::Key(k) = e
                    && let Some(c) = command(&k)
                    && tx.send(c).is_err()
                {
                    break;
                }
            }
        })?;
    Ok(guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> Option<Command> {
        command(&KeyEvent::new(code, m))
    }

    #[test]
    fn keys_mean_what_the_readme_says() {
        let none = KeyModifiers::NONE;
        for (keys, _, code, cmd) in KEYS {
            assert_eq!(key(code, none), Some(cmd), "{keys}");
        }
        assert_eq!(key(KeyCode::Char(' '), none), Some(Command::PlayPause));
        assert_eq!(key(KeyCode::Right, none), Some(Command::Next));
        assert_eq!(key(KeyCode::Char('b'), none), Some(Command::Back));
        assert_eq!(key(KeyCode::Char('+'), none), Some(Command::Faster));
        assert_eq!(key(KeyCode::Char('-'), none), Some(Command::Slower));
        assert_eq!(key(KeyCode::Up, none), Some(Command::Louder));
        assert_eq!(key(KeyCode::Char('?'), none), Some(Command::Help));
        assert_eq!(key(KeyCode::Esc, none), Some(Command::Quit));
        assert_eq!(
            key(KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Command::Quit)
        );
        assert_eq!(key(KeyCode::Char('x'), none), Some(Command::Unknown));
        let release = KeyEvent::new_with_kind(KeyCode::Char(' '), none, KeyEventKind::Release);
        assert_eq!(command(&release), None);
    }
}
