//! The command line: clap arguments, resolved once (routine, settings, saved position) and
//! dispatched. What a command does lives in its own module (`session`, `live`, `render`, `show`).

use std::ffi::{OsStr, OsString};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand};

use crate::config::{self, Config};
use crate::diag::Diagnostics;
use crate::error::{Error, code, exit};
use crate::live::{self, Ended, Trace, TranscriptMode, start_error};
use crate::plan::Timeline;
use crate::render::export::Format;
use crate::resume;
use crate::routine::{self, Routine, Side};
use crate::session::{Audience, Session, Settings, Shape};
use crate::show;
use crate::voice::EspeakSettings;
use crate::volume::Volume;

/// When `main` started, for `--verbose` timings.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

#[derive(Debug, Parser)]
#[command(
    name = "hipvoice",
    version,
    about = "Physiotherapy routines, played by ear.",
    long_about = "Physiotherapy routines, played by ear.\n\nType `hipvoice stretch`, lie down on the mat and listen: hipvoice says how to get into position, when to start each hold, counts the last seconds, says which rep of how many, when to switch sides, when to rest, and when you are done.",
    allow_external_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Say on stderr what happens and how long it takes.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play a routine: a built-in name (stretch, strengthen), one of yours, or a .toml file.
    Play {
        routine: OsString,
        #[command(flatten)]
        session: SessionArgs,
    },
    /// List the routines: built-in ones and yours.
    List,
    /// Print the whole session as plain text, one line per cue with its time.
    Show {
        routine: OsString,
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Check routine files and report every problem as file:line:col.
    Check {
        /// Routine files (or built-in names).
        #[arg(required = true)]
        files: Vec<OsString>,
        /// Treat warnings (what a listener would stumble on) as errors: exit 1.
        #[arg(long)]
        strict: bool,
    },
    /// Print the timeline: every cue at its exact frame.
    Plan {
        routine: OsString,
        /// JSON, the format other programs read (see README); without it, tab-separated values.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Write the session to an audio file (.wav, .ogg or .mp3) with captions (.vtt) and chapters.
    Render {
        routine: OsString,
        /// The audio file to write; its extension picks the format: .wav, .ogg or .mp3.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Print a shell completion script: `hipvoice completions bash > ~/.local/share/bash-completion/completions/hipvoice`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (`hipvoice man > ~/.local/share/man/man1/hipvoice.1`), or write it
    /// with a page for each command into a folder (`hipvoice man --dir ~/.local/share/man/man1`).
    Man {
        /// Write hipvoice.1 and hipvoice-COMMAND.1 for every command into this folder.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print the JSON Schema of routine files, for editors (also in routines/schema.json).
    Schema,
    /// Answer the pain check-in about your last session of ROUTINE: did the pain last longer
    /// than the routine's pain rule allows (an hour, in the shipped routines)? The next session's
    /// dose follows from it (see the README).
    Checkin {
        routine: OsString,
        /// yes: the pain lasted longer than that after the last session; no: it did not.
        #[arg(long, value_name = "ANSWER", value_parser = ["yes", "no"])]
        pain_after: String,
        /// How bad the pain was, 0 (none) to 10 (the worst you can imagine).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=10))]
        rating: Option<u8>,
    },
    /// Your sessions, newest first, one line each; or as JSON, or CSV for a spreadsheet or your
    /// physiotherapist. Kept on this machine only, in $XDG_DATA_HOME/hipvoice/history.sqlite3.
    History {
        /// Only this routine's sessions: stretch, strengthen, or the name of one of yours.
        routine: Option<String>,
        /// Every session with its exercises as JSON.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// One row per exercise per session, with start and end times, dose and reps done.
        #[arg(long)]
        csv: bool,
        /// Only sessions from this day on: YYYY-MM-DD, in local time.
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        since: Option<chrono::NaiveDate>,
        /// Delete ROUTINE's sessions (or, with --all, every session) and say how many.
        #[arg(long, conflicts_with_all = ["json", "csv", "since"])]
        forget: bool,
        /// With --forget: every routine's sessions.
        #[arg(long, requires = "forget", conflicts_with = "routine")]
        all: bool,
    },
    /// List the voices of both engines, grouped by language: the embedded one (--voice) and
    /// your speech-dispatcher's (--engine system --system-voice).
    Voices {
        /// Only the voices of this routine's language [default: the language of your voice].
        routine: Option<OsString>,
        /// Every language.
        #[arg(long, conflicts_with = "routine")]
        all: bool,
    },
    /// `hipvoice ROUTINE` plays it.
    #[command(external_subcommand)]
    External(Vec<OsString>),
}

#[derive(Debug, Clone, Args, Default)]
pub struct SessionArgs {
    /// Seconds to get into place after the command, before the first exercise [default: 10].
    #[arg(long, value_name = "SECS", value_parser = parse_lead_in)]
    pub lead_in: Option<f64>,
    /// The espeak-ng voice, e.g. en-us, en-gb, en+f3 [default: en-us].
    #[arg(long, value_name = "NAME")]
    pub voice: Option<String>,
    /// The language of the voice when --voice is not given, e.g. en-gb.
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
    /// Speaking rate in words per minute, 80 to 450 [default: 155].
    #[arg(long, value_name = "WPM", value_parser = clap::value_parser!(u32).range(i64::from(crate::voice::espeak::RATE_WPM.0)..=i64::from(crate::voice::espeak::RATE_WPM.1)))]
    pub rate: Option<u32>,
    /// Pitch of the voice, 0 to 100 [default: 50].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub pitch: Option<u32>,
    /// Volume in percent, 0 to 100 [default: 100].
    #[arg(long, value_parser = percent)]
    pub volume: Option<u32>,
    /// Go on from the exercise where the last session of this routine stopped.
    #[arg(long)]
    pub resume: bool,
    /// Your affected side (painful, operated), for exercises that start with it: left or right.
    #[arg(long, value_name = "SIDE", value_parser = clap::builder::PossibleValuesParser::new(["left", "right"]).map(|s| parse_side(&s)))]
    pub side: Option<Side>,
    /// What `play` prints: full (every line), lines (only what to do; for screen readers),
    /// none [default: full].
    #[arg(long, value_name = "WHAT", value_parser = clap::builder::PossibleValuesParser::new(TranscriptMode::NAMES).map(|s| TranscriptMode::parse(&s).unwrap_or_default()))]
    pub transcript: Option<TranscriptMode>,
    /// Today's reps, from your history and your pain check-ins: adapted (the rule in the
    /// README), last (the last session's), or start (the routine's) [default: adapted]. A
    /// render always plays the routine's own.
    #[arg(long, value_name = "WHICH", value_parser = clap::builder::PossibleValuesParser::new(crate::history::dose::Choice::NAMES).map(|s| crate::history::dose::Choice::parse(&s).unwrap_or_default()))]
    pub dose: Option<crate::history::dose::Choice>,
    /// Play even though your last check-in rated the pain 6 or more (ask a clinician first).
    #[arg(long)]
    pub despite_pain: bool,
    /// Which voice says the lines: embedded (espeak-ng inside hipvoice: exact, can render) or
    /// system (your speech-dispatcher voice, as your screen reader uses; play only)
    /// [default: embedded].
    #[arg(long, value_name = "ENGINE", value_parser = clap::builder::PossibleValuesParser::new(crate::session::Engine::NAMES).map(|s| crate::session::Engine::parse(&s).unwrap_or_default()))]
    pub engine: Option<crate::session::Engine>,
    /// A speech-dispatcher voice by name, case aside (`hipvoice voices` lists them); implies
    /// --engine system [default: speech-dispatcher's own].
    #[arg(long, value_name = "NAME")]
    pub system_voice: Option<String>,
}

impl SessionArgs {
    /// The engine asked for on the command line: `--engine`, or the system voice when only
    /// `--system-voice` names one (a voice of speech-dispatcher is only heard through it).
    pub fn engine_asked(&self) -> Option<crate::session::Engine> {
        self.engine.or(self
            .system_voice
            .as_ref()
            .map(|_| crate::session::Engine::System))
    }

    /// Flags win over the config file, the file over the defaults. Errors: the config file's
    /// problems.
    pub fn resolve(&self) -> Result<Settings, Diagnostics> {
        let config = match crate::dirs::config_file() {
            Some(p) => config::load(&p)?,
            None => Config::default(),
        };
        let d = EspeakSettings::default();
        let window = std::env::var("HIPVOICE_WINDOW_SECS").ok();
        let (window_secs, window_note) = live::window_ahead_secs(window.as_deref());
        let voice = self
            .voice
            .clone()
            .or(self.lang.clone())
            .or(config.voice)
            .or(config.lang)
            .unwrap_or(d.voice);
        Ok(Settings {
            espeak: EspeakSettings {
                voice,
                rate_wpm: self.rate.or(config.rate).unwrap_or(d.rate_wpm),
                pitch: self.pitch.or(config.pitch).unwrap_or(d.pitch),
            },
            volume: Volume::percent(self.volume.or(config.volume).unwrap_or(Volume::MAX)),
            lead_in: self.lead_in.or(config.lead_in_secs),
            affected_side: self.side.or(config.affected_side.map(|s| s.0)),
            transcript: self.transcript.or(config.transcript).unwrap_or_default(),
            sounds_dir: crate::dirs::sounds(),
            window_secs,
            history: config.history.unwrap_or(true),
            engine: self.engine_asked().or(config.engine).unwrap_or_default(),
            system_voice: self.system_voice.clone().or(config.system_voice),
            notes: window_note
                .into_iter()
                .chain(
                    (self.engine == Some(crate::session::Engine::Embedded)
                        && self.system_voice.is_some())
                    .then(|| {
                        "hipvoice: --system-voice is a voice of speech-dispatcher; with --engine embedded the built-in voice speaks (--voice chooses it).".to_owned()
                    }),
                )
                .collect(),
            left_out: None,
        })
    }
}

/// A side the parser has already checked to be "left" or "right".
fn parse_side(s: &str) -> Side {
    if s == "right" {
        Side::Right
    } else {
        Side::Left
    }
}

fn parse_lead_in(s: &str) -> Result<f64, String> {
    let x: f64 = s
        .parse()
        .map_err(|_| format!("\"{s}\" is not a number of seconds"))?;
    if !(0.0..=routine::limits::MAX_LEAD_IN_SECS).contains(&x) {
        return Err(format!(
            "must be from 0 to {} seconds",
            routine::limits::MAX_LEAD_IN_SECS
        ));
    }
    Ok(x)
}

/// The whole program: arguments in, exit code out. `main` only calls this.
pub fn main() -> ExitCode {
    STARTED.get_or_init(std::time::Instant::now);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                code::USAGE_OR_IO
            } else {
                code::OK
            };
            let _ = e.print();
            if e.use_stderr() && plays(std::env::args_os().skip(1)) {
                let voice = SessionArgs::default().resolve().ok().map(|s| s.espeak);
                let stop = crate::output::signals::stop_flag();
                start_error::say(&start_error::spoken_usage(&e), voice.as_ref(), &stop);
            }
            return exit(code);
        }
    };
    match run(cli) {
        Ok(c) => exit(c),
        Err(f) => {
            // `file:line:col: ...` diagnostics print as they are, so editors can jump to them;
            // every other message says it comes from hipvoice.
            for line in f.to_string().lines() {
                // Names and values from outside never reach the terminal raw.
                let line = &*crate::diag::escape(line);
                if line.contains(": ")
                    && line
                        .split(':')
                        .nth(1)
                        .is_some_and(|n| n.parse::<u32>().is_ok())
                {
                    eprintln!("{line}");
                } else {
                    eprintln!("hipvoice: {line}");
                }
            }
            // `play` stopped before its session: the person on the mat hears it too.
            if let Some(say) = SAY_ERRORS.get()
                && let Some(line) = say.line.clone().or_else(|| start_error::spoken(&f))
            {
                let stop = crate::output::signals::stop_flag();
                start_error::say(&line, say.voice.as_ref(), &stop);
            }
            exit(f.exit_code())
        }
    }
}

/// Set by `play`: an error it returns is said aloud too, in this voice (`None`: the default),
/// with this line (`None`: [`start_error::spoken`]'s).
static SAY_ERRORS: std::sync::OnceLock<SayErrors> = std::sync::OnceLock::new();

struct SayErrors {
    voice: Option<EspeakSettings>,
    line: Option<String>,
}

/// Whether a command line (without the program name) asks to play a routine: its first word
/// that is not an option is `play`, or a routine name (`hipvoice stretch`), not another
/// command.
fn plays(args: impl Iterator<Item = OsString>) -> bool {
    let command = <Cli as clap::CommandFactory>::command();
    let first = args
        .map(|a| a.to_string_lossy().into_owned())
        .find(|a| !a.starts_with('-'));
    match first {
        Some(word) => {
            word == "play"
                || (word != "help" && command.get_subcommands().all(|c| c.get_name() != word))
        }
        None => false,
    }
}

pub fn run(cli: Cli) -> Result<u8, Error> {
    let Some(command) = cli.command else {
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "hipvoice plays physiotherapy routines by ear.\nTry: hipvoice stretch, hipvoice strengthen, or hipvoice list.\nMore: hipvoice --help"
        );
        return Ok(code::OK);
    };
    match command {
        Command::List => list(),
        Command::Show { routine, session } => {
            let mut r = routine::catalog::find_os(&routine)?;
            let settings = session.resolve().map_err(Error::Config)?;
            todays_dose(&mut r, &settings, &session);
            let s = Session::prepare_shaped(
                &r,
                &settings,
                &Shape::for_place(
                    &r,
                    &routine.to_string_lossy(),
                    session.resume,
                    live_audience(),
                ),
            )?;
            let colour = show::use_colour(std::io::stdout().is_terminal());
            print(&show::show(&r, &s.timeline, &s.cache.describe(), colour))
        }
        Command::Plan {
            routine,
            json,
            session,
        } => {
            let mut r = routine::catalog::find_os(&routine)?;
            let settings = session.resolve().map_err(Error::Config)?;
            todays_dose(&mut r, &settings, &session);
            let t = Session::prepare_shaped(
                &r,
                &settings,
                &Shape::for_place(
                    &r,
                    &routine.to_string_lossy(),
                    session.resume,
                    live_audience(),
                ),
            )?
            .timeline;
            if json {
                print(&(t.to_json() + "\n"))
            } else {
                print(&show::tsv(&t))
            }
        }
        Command::Render {
            routine,
            output,
            session,
        } => render(&routine, &output, &session, cli.verbose),
        Command::Check { files, strict } => check(&files, strict),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "hipvoice",
                &mut out,
            );
            print(&String::from_utf8_lossy(&out))
        }
        Command::Man { dir } => man(dir.as_deref()),
        Command::Schema => print(&routine::schema::json()),
        Command::Checkin {
            routine,
            pain_after,
            rating,
        } => checkin(&routine, pain_after == "yes", rating),
        Command::History {
            routine,
            json,
            csv,
            since,
            forget,
            all,
        } => history(
            routine.as_deref(),
            crate::history::command::Query {
                routine: None,
                json,
                csv,
                since,
                forget,
                all,
            },
        ),
        Command::Voices { routine, all } => voices(routine.as_deref(), all),
        Command::Play { routine, session } => play(&routine, &session, cli.verbose),
        // `hipvoice stretch --lead-in 5` is `hipvoice play stretch --lead-in 5`.
        Command::External(args) => {
            let argv = [OsString::from("hipvoice"), OsString::from("play")]
                .into_iter()
                .chain(args);
            match Cli::try_parse_from(argv) {
                Ok(Cli {
                    command: Some(Command::Play { routine, session }),
                    verbose,
                }) => play(&routine, &session, verbose || cli.verbose),
                Ok(_) => Err(Error::usage("give one routine to play")),
                // `hipvoice stretch --help` is play's help, and a success.
                Err(e)
                    if matches!(
                        e.kind(),
                        clap::error::ErrorKind::DisplayHelp
                            | clap::error::ErrorKind::DisplayVersion
                    ) =>
                {
                    print(&e.render().to_string())
                }
                Err(e) => {
                    let _ = SAY_ERRORS.set(SayErrors {
                        voice: SessionArgs::default().resolve().ok().map(|s| s.espeak),
                        line: Some(start_error::spoken_usage(&e)),
                    });
                    let text = e.render().to_string();
                    let first = text
                        .lines()
                        .next()
                        .unwrap_or("")
                        .trim_start_matches("error: ");
                    Err(Error::usage(format!(
                        "{first}. hint: `hipvoice play --help` lists the options"
                    )))
                }
            }
        }
    }
}

fn print(s: &str) -> Result<u8, Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(code::OK),
        // A closed pipe (`hipvoice show stretch | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(code::OK),
        Err(e) => Err(Error::usage(format!("cannot write the output: {e}"))),
    }
}

/// `plan` and `show` describe what `play` run here and now would say: the key hint when it
/// would read keys (standard input is a terminal), the saved place.
fn live_audience() -> Audience {
    Audience::Live {
        keys: std::io::stdin().is_terminal(),
    }
}

/// Before a session of a routine with a pain rule, on a terminal: asks by voice about the
/// last session, when it has no answer yet, and records the answer. `None` when nothing was
/// asked.
fn ask_checkin(
    r: &Routine,
    settings: &Settings,
    stop: &std::sync::atomic::AtomicBool,
) -> Option<live::checkin::Answer> {
    use crate::history::dose::{self, Pain};
    use live::checkin::{self, Answer};
    let rule = r.pain_rule.as_ref()?;
    let dir = crate::history::dir()?;
    if !dir.join(crate::history::FILE).is_file() {
        return None;
    }
    let h = crate::history::open_in(&dir).ok()?;
    let (key, _) = crate::history::source_of(r);
    dose::unanswered(&h.conn, &key).ok()??;
    let ph = crate::phrases::for_language_or_english(&r.language);
    let question = crate::phrases::fill(
        ph.checkin_question,
        &[
            ("title", &r.title),
            ("duration", &ph.duration(rule.after_hours * 3600.0)),
        ],
    );
    let a = checkin::ask(
        &question,
        ph.checkin_thanks,
        ph.checkin_none,
        &settings.espeak,
        stop,
        checkin::wait(),
        &mut std::io::stdout(),
    );
    if let Answer::Lasted(lasted) = a {
        let pain = Pain {
            lasted,
            rating: None,
        };
        if let Err(e) = dose::check_in(&h.conn, &key, pain, "keys") {
            eprintln!("hipvoice: could not record the answer in the history: {e}");
        }
    }
    Some(a)
}

/// Today's dose for `r` from the person's history (`--dose`, adapted unless it says so); the
/// pain rating of 6 or more that should stop the session, if any. Off with `history = false`.
fn todays_dose(r: &mut Routine, settings: &Settings, session: &SessionArgs) -> Option<u8> {
    let dir = crate::history::dir().filter(|_| settings.history)?;
    crate::history::dose::adapt(&dir, r, session.dose.unwrap_or_default())
}

/// A day written exactly YYYY-MM-DD (chrono alone also takes 2026-1-1).
fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| d.format("%Y-%m-%d").to_string() == s)
        .ok_or_else(|| format!("\"{s}\" is not a day written YYYY-MM-DD, e.g. 2026-12-01"))
}

/// The history folder, or the error `history` and `checkin` give without one.
fn history_dir() -> Result<std::path::PathBuf, Error> {
    crate::history::dir()
        .ok_or_else(|| Error::usage("this system has no data folder: there is no history"))
}

/// `hipvoice checkin`: records the answer about the routine's last session, and says what the
/// next session's dose will be.
fn checkin(routine: &OsStr, lasted: bool, rating: Option<u8>) -> Result<u8, Error> {
    use crate::history::dose::{self, Pain};
    let r = routine::catalog::find_os(routine)?;
    let dir = history_dir()?;
    let h = crate::history::open_in(&dir)?;
    let (key, _) = crate::history::source_of(&r);
    let pain = Pain { lasted, rating };
    let sqlite = |source| crate::history::HistoryError::Sqlite {
        path: h.path.display().to_string(),
        source,
    };
    let Some(_) = dose::check_in(&h.conn, &key, pain, "command").map_err(sqlite)? else {
        return Err(Error::usage(format!(
            "there is no session of {} to answer about yet. hint: play it first: `hipvoice play {}`",
            r.id,
            routine.to_string_lossy()
        )));
    };
    drop(h);
    let mut next = r.clone();
    let high = dose::adapt(&dir, &mut next, dose::Choice::Adapted);
    let mut out = format!("Recorded for your last {}.\n", r.title);
    for after in &next.exercises {
        // Only the doses the answer changes.
        if let Some(n) = &after.dose_note
            && let Some(from) = n.from
        {
            out.push_str(&format!(
                "Next time, {}: {} instead of {from} ({}).\n",
                after.name,
                crate::show::reps(after.reps.value),
                n.reason
            ));
        }
    }
    if let Some(rating) = high {
        out.push_str(&format!(
            "A pain of {rating} of 10 is high: do not exercise today, and ask a clinician. `hipvoice play` asks you to confirm with --despite-pain.\n"
        ));
    }
    print(&out)
}

/// `hipvoice history`: a routine named as `play` takes it picks the sessions of its source
/// (a copy of a file is another routine); a name no routine has today (a file since deleted)
/// picks the sessions recorded under that id or that path, and is an error when there are none.
fn history(routine: Option<&str>, mut q: crate::history::command::Query) -> Result<u8, Error> {
    use crate::history::{HistoryError, command::Pick};
    if q.forget && routine.is_none() && !q.all {
        return Err(Error::usage(
            "--forget needs a routine, or --all for every session. hint: `hipvoice history --forget stretch`",
        ));
    }
    q.routine = routine.map(|name| match routine::catalog::find(name) {
        Ok(r) => Pick::Source {
            key: crate::history::source_of(&r).0,
            title: r.title,
        },
        Err(_) => Pick::Gone {
            id: name.to_owned(),
            key: format!(
                "file:{}",
                std::path::absolute(name)
                    .unwrap_or_else(|_| name.into())
                    .display()
            ),
        },
    });
    let dir = history_dir()?;
    let off = SessionArgs::default().resolve().is_ok_and(|s| !s.history);
    if off && !dir.join(crate::history::FILE).exists() {
        return print("The history is off (history = false in the config): nothing is recorded.\n");
    }
    let frequency = |id: &str| routine::catalog::find(id).ok().and_then(|r| r.frequency);
    match crate::history::command::run(&dir, &q, frequency) {
        Ok(mut text) => {
            if off && !q.json && !q.csv && !q.forget {
                text.push_str(
                    "Recording is off (history = false in the config): these are older sessions.\n",
                );
            }
            print(&text)
        }
        Err(HistoryError::Unknown { name }) => Err(Error::usage(format!(
            "no routine is named {name}, and no session of that name is recorded. hint: `hipvoice list` names the routines, `hipvoice history` lists every session"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The session's record in the history, begun; `None` (said once on stderr) when the history
/// cannot be written: the session plays all the same.
fn start_history(
    r: &Routine,
    settings: &Settings,
    resumed_from: Option<String>,
) -> Option<crate::history::Recorder> {
    use crate::history;
    let Some(dir) = history::dir() else {
        eprintln!("hipvoice: history is off: this system has no data folder");
        return None;
    };
    let off = |e: &dyn std::fmt::Display| {
        eprintln!("hipvoice: history is off for this session: {e}");
    };
    let h = match history::open_in(&dir) {
        Ok(h) => h,
        Err(e) => {
            off(&e);
            return None;
        }
    };
    h.tell_moved_aside();
    let begin = history::Begin::new(
        r,
        &settings.espeak.voice,
        settings.espeak.rate_wpm,
        resumed_from,
    );
    match history::Recorder::start(h, begin) {
        Ok(rec) => Some(rec),
        Err(e) => {
            off(&e);
            None
        }
    }
}

fn play(routine: &OsStr, session: &SessionArgs, verbose: bool) -> Result<u8, Error> {
    let name = &*routine.to_string_lossy();
    let settings = session.resolve();
    let _ = SAY_ERRORS.set(SayErrors {
        voice: settings.as_ref().ok().map(|s| s.espeak.clone()),
        line: None,
    });
    let stop = crate::output::signals::stop_flag();
    let trace = Trace {
        since: *STARTED.get_or_init(std::time::Instant::now),
        verbose,
    };
    let mut r = routine::catalog::find_os(routine)?;
    let settings = settings.map_err(Error::Config)?;
    let keys = std::io::stdin().is_terminal();
    if keys
        && settings.history
        && ask_checkin(&r, &settings, &stop) == Some(live::checkin::Answer::Quit)
    {
        eprintln!("hipvoice: stopped before the session.");
        let by_signal = stop.load(std::sync::atomic::Ordering::Acquire);
        return Ok(if by_signal {
            code::INTERRUPTED
        } else {
            code::OK
        });
    }
    if let Some(rating) = todays_dose(&mut r, &settings, session)
        && !session.despite_pain
    {
        return Err(Error::PainTooHigh {
            routine: r.title.clone(),
            rating,
        });
    }
    let shape = Shape::for_place(&r, name, session.resume, Audience::Live { keys });
    if let Some(notice) = &shape.notice {
        eprintln!("{notice}");
    }
    let history = settings
        .history
        .then(|| start_history(&r, &settings, shape.resume_from.clone()))
        .flatten();
    let request = live::Request {
        routine: r,
        name: name.to_owned(),
        settings,
        shape,
        keys,
        media: true,
        trace,
        history,
    };
    let mut out = std::io::stdout();
    let rate = crate::voice::espeak::RATE;
    let clock = |f: u64| show::clock(f, rate);
    let again = resume::command(name);
    let said = |at: u64, of: u64, saved: bool| {
        let how = if saved {
            format!(" `{again}` goes on from this exercise.")
        } else {
            String::new()
        };
        eprintln!("hipvoice: stopped at {} of {}.{how}", clock(at), clock(of));
    };
    for note in &request.settings.notes {
        eprintln!("{note}");
    }
    match live::run(request, stop, &mut out) {
        Ok(o) => match o.ended {
            Ended::Finished => Ok(code::OK),
            Ended::Stopped { at, of } => {
                said(at, of, o.place_saved);
                Ok(code::OK)
            }
            Ended::Interrupted { at, of } => {
                said(at, of, o.place_saved);
                Ok(code::INTERRUPTED)
            }
            Ended::DeviceLost { at, of } => {
                let how = if o.place_saved {
                    format!(" Your place is saved. hint: `{again}` goes on from this exercise")
                } else {
                    String::new()
                };
                Err(Error::OutputLost(format!(
                    "the sound output stopped at {} of {} and did not come back in {} seconds (the sound server went away or the device was removed).{how}",
                    clock(at),
                    clock(of),
                    crate::live::REOPEN_FOR.as_secs()
                )))
            }
        },
        Err(e) => Err(e),
    }
}

/// `--volume`: a whole percent, 0 to 100; a fraction such as 0.3 is answered with the percent
/// it likely means.
fn percent(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if n <= 100 => Ok(n),
        Ok(_) => Err("the volume is a percent, 0 to 100".to_owned()),
        Err(_) => Err(match s.trim().parse::<f64>() {
            Ok(f) if (0.0..=1.0).contains(&f) => format!(
                "the volume is a whole percent, 0 to 100. hint: --volume {:.0} for {s}",
                f * 100.0
            ),
            _ => "the volume is a whole percent, 0 to 100, such as 80".to_owned(),
        }),
    }
}

/// How long `voices` waits for speech-dispatcher's list (about 2 s for 13,000 voices, measured).
const SYSTEM_VOICES_WAIT: std::time::Duration = std::time::Duration::from_secs(8);

fn voices(routine: Option<&OsStr>, all: bool) -> Result<u8, Error> {
    use crate::voice::listing::{self, Listed};
    let settings = SessionArgs::default().resolve().map_err(Error::Config)?;
    let only = match (all, routine) {
        (true, _) => None,
        (false, Some(r)) => Some(crate::voice::primary_language(
            &routine::catalog::find_os(r)?.language,
        )),
        (false, None) => Some(crate::voice::primary_language(&settings.espeak.voice)),
    };
    let embedded: Vec<Listed> = crate::voice::espeak::voices()
        .map_err(crate::session::SessionError::from)?
        .into_iter()
        .map(|(name, language, _)| Listed { name, language })
        .collect();
    let system: Result<Vec<Listed>, String> =
        crate::voice::system::voices(SYSTEM_VOICES_WAIT).map(|v| {
            v.into_iter()
                .map(|(name, language)| Listed { name, language })
                .collect()
        });
    print(&listing::format(
        &embedded,
        system.as_deref().map_err(String::as_str),
        only.as_deref(),
        &settings.espeak.voice,
        settings.system_voice.as_deref(),
    ))
}

fn render(routine: &OsStr, path: &Path, session: &SessionArgs, verbose: bool) -> Result<u8, Error> {
    let name = &*routine.to_string_lossy();
    let Some(format) = Format::from_path(path) else {
        return Err(Error::usage(format!(
            "cannot tell the format of {} from its name. hint: end it in .wav, .ogg or .mp3",
            path.display()
        )));
    };
    if session.engine_asked() == Some(crate::session::Engine::System) {
        return Err(Error::usage(
            "the system voice cannot be rendered into a file: speech-dispatcher speaks to the sound card and gives hipvoice no samples. hint: leave out --engine system and --system-voice (or use --engine embedded) to render with the embedded voice",
        ));
    }
    let r = routine::catalog::find_os(routine)?;
    let settings = session.resolve().map_err(Error::Config)?;
    if settings.engine == crate::session::Engine::System {
        eprintln!(
            "hipvoice: the config's engine = \"system\" is for playing; a file is rendered with the embedded voice."
        );
    }
    let stop = crate::output::signals::stop_flag();
    // As in play: a file is never made silent by a volume under the floor.
    if let Some(note) = settings.volume.floor_note("rendering") {
        eprintln!("{note}");
    }
    let shape = Shape::for_place(&r, name, session.resume, Audience::File);
    if let Some(notice) = &shape.notice {
        eprintln!("{notice}");
    }
    // A signal ends it with ExportError::Interrupted: exit 130, nothing left behind.
    let done = crate::session::render::render(&r, &settings, &shape, path, format, &stop)?;
    let written = &done.written;
    if verbose {
        let started = *STARTED.get_or_init(std::time::Instant::now);
        let codec = match format {
            Format::Wav => "16-bit PCM",
            Format::Ogg => "Vorbis, quality 0.5",
            Format::Mp3 => "MP3, 64 kbit/s",
        };
        let how = match (format, &written.one_stream_because, written.parts) {
            (Format::Wav, _, _) => format!("mixed and written ({codec})"),
            (_, Some(why), _) => format!("encoded ({codec}) as one stream, because {why}"),
            (_, None, 1) => format!("encoded ({codec}) as one stream"),
            (_, None, n) => format!(
                "encoded ({codec}) in {n} parts on {} threads, {} of them while the rest was planned",
                crate::render::parts::workers(),
                written.early
            ),
        };
        eprintln!(
            "hipvoice: {how}; {} ms since start",
            started.elapsed().as_millis()
        );
    }
    let shown = |p: &Path| crate::diag::escape(&p.display().to_string()).into_owned();
    let mut also = vec![format!("captions {}", shown(&written.captions))];
    if let Some(c) = &written.chapters {
        also.push(format!("chapters {}", shown(c)));
    }
    eprintln!(
        "hipvoice: wrote {} ({}), {}.",
        crate::diag::escape(&written.audio.display().to_string()),
        show::length(done.frames, done.sample_rate),
        also.join(", ")
    );
    Ok(code::OK)
}

/// The manual page from the command-line definitions (clap_mangen): printed, or written with
/// one page per command into `dir`.
fn man(dir: Option<&Path>) -> Result<u8, Error> {
    // `hipvoice help` is clap's, with no page of its own: the pages do not name it.
    let cmd = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    let page = |c: clap::Command, extra: &str| -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        clap_mangen::Man::new(c)
            .render(&mut out)
            .map_err(|e| Error::usage(format!("cannot write the manual page: {e}")))?;
        out.extend_from_slice(extra.as_bytes());
        Ok(out)
    };
    let main_page = || page(cmd.clone(), &man_sections());
    let Some(dir) = dir else {
        return print(&String::from_utf8_lossy(&main_page()?));
    };
    let write = |name: String, bytes: Vec<u8>| {
        let path = dir.join(name);
        std::fs::write(&path, bytes)
            .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display())))
    };
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("hipvoice-{}", sub.get_name());
        let bin = format!("hipvoice {}", sub.get_name());
        let sub = sub.clone().display_name(name.clone()).bin_name(bin);
        write(format!("{name}.1"), page(sub, "")?)?;
    }
    write("hipvoice.1".to_owned(), main_page()?)?;
    Ok(code::OK)
}

/// The main page's sections beyond the command-line definitions, in roff: the keys while
/// playing, the exit status, the environment and the files.
fn man_sections() -> String {
    let mut s = String::from(".SH KEYS\nWhile a session plays in a terminal:\n");
    for (key, what, _, _) in crate::output::keys::KEYS {
        s.push_str(&format!(".TP\n\\fB{key}\\fR\n{what}\n"));
    }
    s.push_str(
        ".PP\nA headset's or keyboard's play/pause, next and previous buttons work through \
         MPRIS on the session D-Bus.\n",
    );
    s.push_str(".SH \"EXIT STATUS\"\n");
    for (code, what) in [
        (
            code::OK,
            "the session finished, or was stopped with q, Esc or Ctrl-C in the terminal; a command did its work",
        ),
        (
            code::INVALID_ROUTINE,
            "a routine has problems (check prints each as file:line:col)",
        ),
        (
            code::USAGE_OR_IO,
            "a usage error, a file that cannot be read or written, no audio device, or a sound output that was lost and did not come back",
        ),
        (
            code::INTERRUPTED,
            "stopped by a signal (SIGINT, SIGTERM, SIGHUP); the place is saved",
        ),
    ] {
        s.push_str(&format!(".TP\n\\fB{code}\\fR\n{what}\n"));
    }
    s.push_str(concat!(
        ".SH ENVIRONMENT\n",
        ".TP\n\\fBXDG_CONFIG_HOME\\fR\nWhere config.toml, your routines and your sounds are (default ~/.config).\n",
        ".TP\n\\fBXDG_STATE_HOME\\fR\nWhere the places to resume from are saved (default ~/.local/state).\n",
        ".TP\n\\fBXDG_DATA_HOME\\fR\nWhere your history is kept (default ~/.local/share).\n",
        ".TP\n\\fBNO_COLOR\\fR\nWhen set, show prints no colour.\n",
        ".TP\n\\fBHIPVOICE_WINDOW_SECS\\fR\nHow far ahead play prepares sound, in seconds (default 60, from 10 to 600).\n",
        ".SH FILES\n",
        ".TP\n\\fI~/.config/hipvoice/config.toml\\fR\nVoice, rate, volume, lead-in, affected side and transcript defaults.\n",
        ".TP\n\\fI~/.config/hipvoice/routines/\\fR\nYour routines, played by the file's name.\n",
        ".TP\n\\fI~/.config/hipvoice/sounds/\\fR\nWAV files that replace the built-in cue sounds.\n",
        ".TP\n\\fI~/.local/state/hipvoice/positions/\\fR\nWhere each routine stopped, for --resume.\n",
        ".TP\n\\fI~/.local/share/hipvoice/history.sqlite3\\fR\nYour sessions and pain check-ins (SQLite, readable only by you); see hipvoice history.\n",
    ));
    s
}

/// Plans with the user's default settings (for `list` and `check`). Both sides last the same,
/// so a routine that starts with the affected side is measured from the left when the person
/// has not said which side is affected.
fn timeline(r: &Routine, defaults: &Result<Settings, Diagnostics>) -> Result<Timeline, Error> {
    // The config file's problems are said for every routine.
    let mut settings = defaults.clone().map_err(Error::Config)?;
    settings.affected_side.get_or_insert(Side::Left);
    Ok(Session::prepare(r, &settings)?.timeline)
}

fn list() -> Result<u8, Error> {
    // The person's defaults, resolved once for every routine.
    let defaults = SessionArgs::default().resolve();
    let mut out = String::new();
    let mut problems = Vec::new();
    for l in routine::catalog::listing()? {
        match (l.routine, l.file) {
            (Ok(r), _) => {
                let length = timeline(&r, &defaults)
                    .ok()
                    .map(|t| show::length(t.frames, t.sample_rate));
                out.push_str(&show::listed(&l.name, &r, length, l.whose));
            }
            (Err(e), file) => {
                out.push_str(&show::unplayable(&l.name, &file.unwrap_or_default()));
                problems.push(e.to_string());
            }
        }
    }
    print(&out)?;
    for p in &problems {
        for line in p.lines() {
            eprintln!("{}", crate::diag::escape(line));
        }
    }
    Ok(if problems.is_empty() {
        code::OK
    } else {
        code::INVALID_ROUTINE
    })
}

fn check(files: &[OsString], strict: bool) -> Result<u8, Error> {
    let defaults = SessionArgs::default().resolve();
    let mut worst = code::OK;
    for name in files {
        let loaded = routine::catalog::for_check(name).map_err(Error::from);
        match loaded.and_then(|r| timeline(&r, &defaults).map(|t| (r, t))) {
            Ok((r, t)) => {
                for w in &r.warnings {
                    eprintln!("{w}");
                }
                if strict && !r.warnings.is_empty() {
                    worst = worst.max(code::INVALID_ROUTINE);
                    continue;
                }
                print(&show::checked(&r, &t, r.warnings.len()))?;
            }
            Err(f) => {
                for line in f.to_string().lines() {
                    eprintln!("{}", crate::diag::escape(line));
                }
                worst = worst.max(f.exit_code());
            }
        }
    }
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Engine;

    /// A speech-dispatcher voice named alone asks for the system voice; `--engine` always wins.
    #[test]
    fn a_system_voice_alone_asks_for_the_system_engine() {
        let mut a = SessionArgs::default();
        assert_eq!(a.engine_asked(), None);
        a.system_voice = Some("English (America)".into());
        assert_eq!(a.engine_asked(), Some(Engine::System));
        a.engine = Some(Engine::Embedded);
        assert_eq!(a.engine_asked(), Some(Engine::Embedded));
        a.system_voice = None;
        a.engine = Some(Engine::System);
        assert_eq!(a.engine_asked(), Some(Engine::System));
    }
}
