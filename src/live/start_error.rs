//! An error that stops `play` before the session starts, said aloud: someone already lying on
//! the mat hears why nothing plays and what to do, instead of silence. The full message is
//! printed as before; the spoken line is short and ends by pointing to it.
//!
//! Said only where an output opens, in the person's voice when their settings are good, else
//! in the default one; said at most for [`MAX_SPOKEN`], and cut short by Ctrl-C.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::plan::PlanError;
use crate::routine::LoadError;
use crate::session::SessionError;
use crate::voice::espeak::{Espeak, EspeakSettings};
use crate::voice::{Voice, VoiceError};

/// The longest a spoken error may play: a line is a few seconds even at 80 wpm.
const MAX_SPOKEN: Duration = Duration::from_secs(20);
/// Silence before the line, so a device that starts late does not cut its first syllable.
const LEAD: Duration = Duration::from_millis(150);
/// How long after the last sample is handed over it is still in the device's buffers.
const TAIL: Duration = Duration::from_millis(400);

/// The words for `e`, or `None` where nothing is said: no output (nothing to say it on), an
/// output lost during the session (already said), a file being written.
pub fn spoken(e: &Error) -> Option<String> {
    let printed = "The details are printed.";
    let line = match e {
        Error::Load(LoadError::Unknown { name, nearest }) => {
            let name = said_name(name);
            match nearest {
                Some(best) => format!("There is no routine called {name}. Did you mean {best}?"),
                None => format!(
                    "There is no routine called {name}. Type hipvoice list to hear the names."
                ),
            }
        }
        Error::Load(LoadError::Io { .. }) => {
            format!("hipvoice cannot read that routine file. {printed}")
        }
        Error::Load(LoadError::Invalid(d)) => problems("routine file", d),
        Error::Config(d) => problems("config file", d),
        Error::Session(SessionError::Plan {
            source: PlanError::NoAffectedSide(_),
            ..
        }) => "This routine starts with your affected side. Say which one. \
               Add dash dash side, then left or right."
            .to_owned(),
        Error::Session(SessionError::Plan {
            source: PlanError::TooLong { limit, .. },
            ..
        }) => format!(
            "This routine lasts more than {limit} minutes. That is too long. Use fewer reps or sets."
        ),
        Error::Session(SessionError::Voice(_)) => {
            format!(
                "The voice you chose cannot start. Choose another with dash dash voice. {printed}"
            )
        }
        Error::Session(SessionError::Language { .. }) => format!(
            "This voice reads another language than the routine. Choose a voice in the routine's language. {printed}"
        ),
        Error::Session(SessionError::Sounds(_)) => {
            format!("One of the routine's sounds cannot be played. {printed}")
        }
        Error::Session(SessionError::Unspeakable { .. }) => {
            format!("The voice cannot say one of the routine's lines. Reword it. {printed}")
        }
        Error::Session(_) => format!("This routine cannot be played. {printed}"),
        Error::Usage(_) => format!("hipvoice did not understand the command. {printed}"),
        Error::PainTooHigh { .. } => {
            "Last time, you rated the pain six or more. Do not exercise today. \
             Ask a clinician. To play anyway, add dash dash despite pain."
                .to_owned()
        }
        // `history` plays nothing: nothing is said.
        Error::Output { .. } | Error::OutputLost(_) | Error::Export(_) | Error::History(_) => {
            return None;
        }
    };
    Some(line)
}

/// The words for a command line `play` could not take (`--rate 900`, an unknown option).
pub fn spoken_usage(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let printed = "The details are printed.";
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.split_whitespace().next().unwrap_or("").to_owned(),
        _ => String::new(),
    };
    let rate = crate::voice::espeak::RATE_WPM;
    match e.kind() {
        ErrorKind::ValueValidation | ErrorKind::InvalidValue if arg == "--rate" => format!(
            "The speaking rate goes from {} to {} words a minute. {printed}",
            rate.0, rate.1
        ),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue if arg.starts_with("--") => {
            format!(
                "The value after {} is not one hipvoice takes. {printed}",
                dashes(&arg)
            )
        }
        ErrorKind::MissingRequiredArgument => {
            format!("Say which routine to play. For example, hipvoice stretch. {printed}")
        }
        ErrorKind::UnknownArgument if arg.starts_with('-') => {
            format!("hipvoice has no option {}. {printed}", dashes(&arg))
        }
        _ => format!("hipvoice did not understand the command. {printed}"),
    }
}

/// Says `line` on the default output and returns once it has played (or `stop` was set).
/// `voice` is the person's voice settings, where they could be read; the default voice speaks
/// when they cannot, or when that voice does not start. Nothing happens where no output opens
/// or no voice starts: the printed message is there either way.
pub fn say(line: &str, voice: Option<&EspeakSettings>, stop: &AtomicBool) {
    let Some((samples, rate)) = voice
        .and_then(|s| synthesize(s, line).ok())
        .or_else(|| synthesize(&EspeakSettings::default(), line).ok())
    else {
        return;
    };
    let (tx, _errors) = std::sync::mpsc::channel();
    let (Some(sample_rate), Ok(sink)) = (
        std::num::NonZero::new(rate),
        crate::output::open_device(rate, &tx),
    ) else {
        return;
    };
    let lead = (LEAD.as_secs_f64() * f64::from(rate)) as usize;
    let mut all = vec![0.0; lead];
    all.extend_from_slice(&samples);
    let length = Duration::from_secs_f64(all.len() as f64 / f64::from(rate));
    sink.mixer().add(rodio::buffer::SamplesBuffer::new(
        rodio::nz!(1),
        sample_rate,
        all,
    ));
    let until = Instant::now() + (length + TAIL).min(MAX_SPOKEN);
    while Instant::now() < until && !stop.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(20));
    }
    // A server that stopped taking samples can block a stream's close; the process ends next.
    std::mem::forget(sink);
}

/// `line` in the voice with settings `s`: mono samples at the voice's own rate (Hz).
fn synthesize(s: &EspeakSettings, line: &str) -> Result<(Vec<f32>, u32), VoiceError> {
    let mut voice = Espeak::new(s.clone())?;
    Ok((voice.synthesize(line)?, voice.sample_rate()))
}

/// "The routine file has a problem on line 4. ..." or "... has 3 problems. The first is on
/// line 4. ...", then that each is printed.
fn problems(what: &str, d: &crate::diag::Diagnostics) -> String {
    let found = match (d.0.first(), d.0.len()) {
        (None, _) => format!("The {what} has a problem."),
        (Some(first), 1) => format!("The {what} has a problem on line {}.", first.loc.line),
        (Some(first), n) => format!(
            "The {what} has {n} problems. The first is on line {}.",
            first.loc.line
        ),
    };
    format!("{found} Each is printed, with what to fix.")
}

/// A routine name as said: a path by its file's stem (`./mine.toml` is "mine"), never a run
/// of slashes and dots.
fn said_name(name: &str) -> String {
    let stem = std::path::Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let clean: String = stem
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    if clean.is_empty() {
        "by that name".to_owned()
    } else {
        clean
    }
}

/// `--rate` as said: "dash dash rate".
fn dashes(arg: &str) -> String {
    let name = arg.trim_start_matches('-');
    let n = arg.len() - name.len();
    let mut out = "dash ".repeat(n);
    out.push_str(name);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Diagnostic, Diagnostics, Loc};

    fn diag(line: usize) -> Diagnostic {
        Diagnostic::new(
            Loc {
                file: "mine.toml".into(),
                line,
                col: 3,
            },
            "x",
        )
    }

    #[test]
    fn each_start_error_is_said_short_with_what_to_do() {
        let unknown = |name: &str, nearest: Option<&str>| {
            spoken(&Error::Load(LoadError::Unknown {
                name: name.to_owned(),
                nearest: nearest.map(str::to_owned),
            }))
            .unwrap()
        };
        assert_eq!(
            unknown("strech", Some("stretch")),
            "There is no routine called strech. Did you mean stretch?"
        );
        assert_eq!(
            unknown("./my_hips.toml", None),
            "There is no routine called my hips. Type hipvoice list to hear the names."
        );
        assert_eq!(
            unknown("./..", None),
            "There is no routine called by that name. Type hipvoice list to hear the names."
        );
        assert_eq!(
            spoken(&Error::Load(LoadError::Invalid(Diagnostics(vec![diag(7)])))).unwrap(),
            "The routine file has a problem on line 7. Each is printed, with what to fix."
        );
        assert_eq!(
            spoken(&Error::Config(Diagnostics(vec![diag(2), diag(9)]))).unwrap(),
            "The config file has 2 problems. The first is on line 2. Each is printed, with what to fix."
        );
        let side = spoken(&Error::Session(SessionError::Plan {
            source_name: "x".into(),
            source: PlanError::NoAffectedSide("lift".into()),
        }))
        .unwrap();
        assert!(
            side.contains("dash dash side, then left or right"),
            "{side}"
        );
        let pain = spoken(&Error::PainTooHigh {
            routine: "stretch".into(),
            rating: 7,
        })
        .unwrap();
        assert!(pain.contains("Ask a clinician"), "{pain}");
        assert!(pain.contains("dash dash despite pain"), "{pain}");
        assert!(spoken(&Error::OutputLost("x".into())).is_none());
        assert!(
            spoken(&Error::Output {
                routine: "x".into(),
                source: crate::output::OutputError::NoDevice("x".into())
            })
            .is_none()
        );
    }

    #[test]
    fn a_command_line_play_cannot_take_is_said_by_its_option() {
        use clap::Parser;
        #[derive(Parser, Debug)]
        struct Args {
            #[arg(long, value_parser = clap::value_parser!(u32).range(80..=450))]
            rate: Option<u32>,
        }
        let e = Args::try_parse_from(["x", "--rate", "900"]).unwrap_err();
        assert_eq!(
            spoken_usage(&e),
            "The speaking rate goes from 80 to 450 words a minute. The details are printed."
        );
        let e = Args::try_parse_from(["x", "--speed", "9"]).unwrap_err();
        assert_eq!(
            spoken_usage(&e),
            "hipvoice has no option dash dash speed. The details are printed."
        );
    }
}
