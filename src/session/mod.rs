//! A session prepared from a routine and the person's settings: the timeline, the voice with
//! the lines it has synthesised (every line's length, the recent lines' samples), and the
//! sounds. `play`, `render`, `show`, `plan`, `check` and `list` all start here.

pub mod render;

use crate::plan::{self, PlanOptions, Timeline};
use crate::render::program::Streamed;
use crate::render::{Program, SoundBank, SoundError};
use crate::routine::{Routine, Side};
use crate::voice::{
    DEFAULT_BUDGET_SAMPLES, Espeak, EspeakSettings, PhraseCache, VoiceError, primary_language,
};

/// Why a session could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The voice could not start, or could not say a line.
    #[error(transparent)]
    Voice(#[from] VoiceError),
    /// The voice reads another language than the routine's.
    #[error(
        "the voice \"{voice}\" reads text as language \"{spoken}\", but the routine \"{title}\" is in \"{language}\". hint: choose a voice of the routine's language, such as --voice {}",
        if primary_language(.language) == "en" { "en-gb or --voice en-us" } else { .language.as_str() }
    )]
    Language {
        voice: String,
        spoken: String,
        title: String,
        language: String,
    },
    /// A sound the routine names (or a replacement for a built-in one) cannot be used.
    #[error(transparent)]
    Sounds(#[from] SoundError),
    /// The routine cannot be planned; `source_name` is its file (or built-in name), or, for
    /// a routine too long with the exercise where it passed the limit, where that exercise's
    /// name is written (`file:line:col`).
    #[error("{}", plan_message(.source_name, .source))]
    Plan {
        source_name: String,
        source: plan::PlanError,
    },
    /// espeak-ng crashed on one of the routine's lines (in its worker: hipvoice goes on).
    /// `at` is where the line is written (`file:line:col`), or the routine's file.
    #[error(
        "{at}: espeak-ng cannot say the line \"{}\": it crashed on it ({how}). hint: reword the line; espeak-ng stops on some runs of letters and quote marks",
        crate::diag::escape(.text)
    )]
    Unspeakable {
        at: String,
        text: String,
        how: String,
    },
}

impl SessionError {
    /// Whether the routine file itself must change (a sound it names, a session too long):
    /// otherwise a setting or the machine is at fault.
    pub fn is_in_the_routine(&self) -> bool {
        match self {
            SessionError::Sounds(SoundError::Override { .. }) => false,
            SessionError::Sounds(_) => true,
            SessionError::Plan { source, .. } => matches!(
                source,
                plan::PlanError::TooLong { .. } | plan::PlanError::SoundTooLong { .. }
            ),
            SessionError::Unspeakable { .. } => true,
            SessionError::Voice(_) | SessionError::Language { .. } => false,
        }
    }
}

/// A plan error worded with what to do about it.
fn plan_message(source_name: &str, e: &plan::PlanError) -> String {
    match e {
        plan::PlanError::TooLong {
            minutes,
            limit,
            more,
            exercise,
        } => match exercise {
            // At the exercise's name: the one being planned when the limit was passed.
            Some(_) => format!(
                "{source_name}: the routine passes the {limit}-minute limit in this exercise; it lasts {}{minutes} minutes. hint: use fewer reps or sets here or before, or split the routine",
                if *more { "more than " } else { "" }
            ),
            None => format!(
                "{source_name}:1:1: {e}. hint: use fewer reps or sets, or split the routine"
            ),
        },
        plan::PlanError::NoAffectedSide(_) => format!(
            "{e}. hint: say which with --side left or --side right, or set affected_side = \"left\" in the config file"
        ),
        other => other.to_string(),
    }
}

/// Voice and session settings after the command line, the config file and the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub espeak: EspeakSettings,
    /// Master volume (see [`crate::volume::Volume`] for the floor and the gain).
    pub volume: crate::volume::Volume,
    /// Seconds of lead-in; `None` takes the routine's, then the default.
    pub lead_in: Option<f64>,
    /// The person's affected side (see [`PlanOptions::affected_side`]).
    pub affected_side: Option<Side>,
    /// What `play` prints while it plays.
    pub transcript: TranscriptMode,
    /// The folder whose `NAME.wav` files replace built-in sounds (see [`crate::dirs::sounds`]).
    pub sounds_dir: Option<std::path::PathBuf>,
    /// How far ahead a live session prepares sound, seconds (`HIPVOICE_WINDOW_SECS`).
    pub window_secs: f64,
    /// Record the session in the history (the config's `history`, on unless it says false).
    pub history: bool,
    /// Which voice says the lines of a live session.
    pub engine: Engine,
    /// The system voice by name (speech-dispatcher's, `hipvoice voices`); `None`: its default.
    pub system_voice: Option<String>,
    /// What was not taken as written while resolving (an environment value out of range),
    /// one line each for stderr, printed by the command it matters to (`play`).
    pub notes: Vec<String>,
    /// Where a live session records the lines espeak-ng died on, which it plays as a pause
    /// and goes on ([`crate::voice::Forgiving`]); `None` (every other command): such a line
    /// is an error that names where it is written.
    pub left_out: Option<crate::voice::LeftOut>,
}

impl Settings {
    /// `voice` as these settings use it: for a live session, one that plays a line espeak-ng
    /// dies on as a pause and goes on ([`Settings::left_out`]).
    pub fn voice(&self, voice: Espeak) -> Box<dyn crate::voice::Voice> {
        match &self.left_out {
            Some(l) => Box::new(crate::voice::Forgiving::new(Box::new(voice), l.clone())),
            None => Box::new(voice),
        }
    }
}

/// Which voice says a live session's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// espeak-ng inside hipvoice: exact to the sample, renders to files, no daemon.
    #[default]
    Embedded,
    /// The person's own speech-dispatcher voice (through the `tts` crate): close, not exact;
    /// live only (it cannot render into samples).
    System,
}

impl Engine {
    pub const NAMES: [&'static str; 2] = ["embedded", "system"];

    pub fn parse(s: &str) -> Option<Engine> {
        match s {
            "embedded" => Some(Engine::Embedded),
            "system" => Some(Engine::System),
            _ => None,
        }
    }
}

/// What a playing session prints on stdout. A screen reader reads what is printed aloud, over
/// hipvoice's own voice: `Lines` or `None` keep it quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TranscriptMode {
    /// Every line said: the planned ones, the count-downs and the answers to keys.
    #[default]
    Full,
    /// Only the lines that tell what to do: no numbers counted, no "Hold.", no time checks, no
    /// answers to keys (they are heard).
    Lines,
    /// Nothing.
    None,
}

impl TranscriptMode {
    pub const NAMES: [&'static str; 3] = ["full", "lines", "none"];

    pub fn parse(s: &str) -> Option<TranscriptMode> {
        match s {
            "full" => Some(TranscriptMode::Full),
            "lines" => Some(TranscriptMode::Lines),
            "none" => Some(TranscriptMode::None),
            _ => None,
        }
    }
}

/// What else shapes a plan besides the settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    /// Plan only the opening (see [`PlanOptions::intro_only`]).
    pub intro_only: bool,
    /// Extra lines in the opening (see [`PlanOptions::notes`]).
    pub notes: Vec<String>,
    /// Start at this exercise id (see [`PlanOptions::resume_from`]).
    pub resume_from: Option<String>,
    /// What `play` says once on stderr about the saved place, if anything.
    pub notice: Option<String>,
}

/// What a session is shaped for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Played now: `play`, and `plan` and `show`, which describe what `play` would say. With
    /// `keys` (standard input is a terminal) the opening says which keys pause and help.
    Live { keys: bool },
    /// A file, for any time: no line that is true only now.
    File,
}

impl Shape {
    /// Where the session starts and what its opening says besides the routine's lines: with
    /// `resume`, the saved place (or a line that there is none); without, for a live audience,
    /// a hint that a place is saved, and the key hint; for a live audience, where the person
    /// stands with the routine (their history). One state, read once, gives `plan`,
    /// `show` and `play` the same lines, so the plan is what plays. `name` is what the person
    /// typed, for the command that resumes it in [`Shape::notice`].
    pub fn for_place(r: &Routine, name: &str, resume: bool, audience: Audience) -> Shape {
        let ctl = &crate::phrases::for_language_or_english(&r.language).controls;
        let mut shape = Shape::default();
        // Where the person stands with this routine, from their history: true now, so never
        // in a file.
        if audience != Audience::File
            && let Some(line) =
                crate::history::dir().and_then(|d| crate::history::report::opening_line(&d, r))
        {
            shape.notes.push(line);
        }
        if audience == (Audience::Live { keys: true }) {
            shape.notes.push(ctl.keys_hint.to_owned());
        }
        // The place is an exercise of this routine, named as the routine names it: the state
        // file's own copy of the name may be stale, or anything at all.
        let saved = crate::resume::load(&crate::resume::key(r)).and_then(|s| {
            let ex = r.exercises.iter().find(|e| e.id == s.exercise)?;
            Some(crate::resume::Saved {
                name: ex.name.clone(),
                ..s
            })
        });
        let live = audience != Audience::File;
        match (resume, saved) {
            (true, Some(s)) => shape.resume_from = Some(s.exercise),
            (true, None) => {
                shape.notice = Some(format!(
                    "hipvoice: there is no saved place for {}; starting from the beginning.",
                    r.id
                ));
                // True now, not of a file: a render says it on stderr only.
                if live {
                    shape.notes.push(ctl.nothing_saved.to_owned());
                }
            }
            (false, Some(s)) if live => {
                shape.notice = Some(format!(
                    "hipvoice: last time you stopped during {}. `{}` goes on from there.",
                    s.name,
                    crate::resume::command(name)
                ));
                let hint = if !crate::resume::names_a_file(name) {
                    crate::phrases::fill(ctl.saved_hint, &[("name", &s.name), ("routine", name)])
                } else {
                    crate::phrases::fill(ctl.saved_hint_file, &[("name", &s.name)])
                };
                shape.notes.push(hint);
            }
            _ => {}
        }
        shape
    }
}

/// A routine that could not be planned: a line espeak-ng crashed on is named where it is
/// written; anything else is the plan's error.
fn planning_failed(r: &Routine, source: plan::PlanError) -> SessionError {
    if let plan::PlanError::Voice { source: e, .. } = &source
        && let Some(VoiceError::Crashed { text, how }) = e.downcast_ref::<VoiceError>()
    {
        let at = r.where_said(text).map_or_else(
            || crate::diag::escape(&r.source_name).into_owned(),
            ToString::to_string,
        );
        return SessionError::Unspeakable {
            at,
            text: text.clone(),
            how: how.clone(),
        };
    }
    // An over-long routine is named at the exercise where it passed the limit (or at 1:1
    // when that exercise's name cannot be found in the file).
    let mut source = source;
    let mut source_name = r.source_name.to_string();
    if let plan::PlanError::TooLong { exercise, .. } = &mut source {
        match exercise
            .as_ref()
            .and_then(|id| r.exercises.iter().find(|e| &e.id == id))
            .and_then(|e| r.where_said(&e.name))
        {
            Some(at) => source_name = at.to_string(),
            None => *exercise = None,
        }
    }
    SessionError::Plan {
        source_name,
        source,
    }
}

/// A routine planned with a voice: the timeline, the synthesised lines, the sounds.
pub struct Session {
    pub timeline: Timeline,
    pub cache: PhraseCache,
    pub bank: SoundBank,
    options: PlanOptions,
}

impl Session {
    /// The whole session.
    pub fn prepare(r: &Routine, settings: &Settings) -> Result<Session, SessionError> {
        Session::prepare_shaped(r, settings, &Shape::default())
    }

    /// The whole session, or only its opening (see [`PlanOptions::intro_only`]).
    pub fn prepare_part(
        r: &Routine,
        settings: &Settings,
        intro_only: bool,
    ) -> Result<Session, SessionError> {
        Session::prepare_shaped(
            r,
            settings,
            &Shape {
                intro_only,
                ..Shape::default()
            },
        )
    }

    pub fn prepare_shaped(
        r: &Routine,
        settings: &Settings,
        shape: &Shape,
    ) -> Result<Session, SessionError> {
        let mut s = Session::load(r, settings, shape)?;
        s.plan(r)?;
        Ok(s)
    }

    /// Everything but the plan: the voice (checked against the routine's language), the
    /// sounds, the options. [`Session::plan_in_steps`] plans it.
    pub fn load(r: &Routine, settings: &Settings, shape: &Shape) -> Result<Session, SessionError> {
        let voice = Espeak::new(settings.espeak.clone())?;
        // A voice reads text with its own language's rules: an English routine read by a
        // German voice is nonsense ("Rep eins of zwei"). Refuse the mismatch before anything.
        let spoken = voice.language()?;
        if !spoken.is_empty() && primary_language(&spoken) != primary_language(&r.language) {
            return Err(SessionError::Language {
                voice: settings.espeak.voice.clone(),
                spoken,
                title: r.title.clone(),
                language: r.language.clone(),
            });
        }
        // Only recently used lines keep their samples: memory does not grow with the session.
        let cache = PhraseCache::bounded(settings.voice(voice), DEFAULT_BUDGET_SAMPLES);
        let bank = SoundBank::load(r, cache.sample_rate(), settings.sounds_dir.as_deref())?;
        let mut options = PlanOptions::new(cache.sample_rate());
        options.lead_in_secs = settings.lead_in;
        options.affected_side = settings.affected_side;
        options.intro_only = shape.intro_only;
        options.notes = shape.notes.clone();
        options.resume_from = shape.resume_from.clone();
        Ok(Session {
            timeline: Timeline::default(),
            cache,
            bank,
            options,
        })
    }

    /// Plans the session a few blocks at a time (see [`PlanOptions::blocks`]), calling
    /// `planned` with the timeline so far, the lines synthesised for it and the sounds after
    /// each step, then the whole. Each line is synthesised once, in the order a plan made at
    /// once synthesises them, so the whole is that plan.
    pub fn plan_in_steps(
        &mut self,
        r: &Routine,
        planned: &mut dyn FnMut(&Timeline, &PhraseCache, &SoundBank),
    ) -> Result<(), SessionError> {
        let blocks = r.blocks().len();
        // The opening, then every block while they are few; then twice as many each time, so
        // planning again from the start (without synthesising: the lines are held) stays
        // cheap.
        let mut n = 0;
        while n < blocks {
            self.options.blocks = Some(n);
            let planned_now = self.plan(r);
            self.options.blocks = None;
            planned_now?;
            planned(&self.timeline, &self.cache, &self.bank);
            n = if n < 32 { n + 1 } else { n * 2 };
        }
        self.plan(r)
    }

    /// Plans the whole session after its opening, with the lines already synthesised.
    pub fn complete(mut self, r: &Routine) -> Result<Session, SessionError> {
        self.options.intro_only = false;
        self.plan(r)?;
        Ok(self)
    }

    /// Plans the whole session at once.
    pub fn plan(&mut self, r: &Routine) -> Result<(), SessionError> {
        let bank = &self.bank;
        self.timeline = plan::plan(r, &mut self.cache, &|s| bank.frames(s), &self.options)
            .map_err(|source| planning_failed(r, source))?;
        Ok(())
    }

    /// The whole timeline mixed in order, a chunk at a time, at full gain: each line is
    /// synthesised when it starts (or taken from the cache), so memory stays flat.
    pub fn streamed(&mut self) -> Streamed<'_> {
        Streamed::new(&self.timeline, &mut self.cache, &self.bank)
    }

    /// The samples of the whole timeline, at full gain, all in memory (the opening of a live
    /// session; see [`Program::window`] for the rest).
    pub fn program(&mut self) -> Result<Program, SessionError> {
        Ok(Program::new(&self.timeline, &mut self.cache, &self.bank)?)
    }
}
