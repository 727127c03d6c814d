//! hipvoice: physiotherapy routines played by ear.
//!
//! The core flows one way: `routine` (TOML to a checked routine; its `catalog` says which
//! routine a name means; `diag` words its problems, `files` reads with a bound, `sounds` holds
//! the embedded cue sounds) → `plan` (a timeline of cues at exact frames, each step typed;
//! every spoken word around the routine's own lines comes from `phrases`) → `voice` (text to
//! samples; planning asks it only for lengths) → `render` (a timeline with its samples: a
//! program, a mix streamed in order, a file, encoded in parts on several threads) → `session`
//! (a routine prepared with the person's settings; `session::render` is the render job).
//! No module uses one that uses it back; `scripts/check-cycles` checks it in CI.
//!
//! Around the core: `live` runs a session that listens (conductor, deck, loop) and `output`
//! holds its adapters to the world (the audio device, keys, media buttons, signals), which
//! speak `control`'s commands; `config` reads the config file and `dirs` says where the
//! person's files are; `volume` is the one volume type; `resume` keeps the places to go on
//! from; `show` holds the text views (a plan, the lines of `list` and `check`); `error` has
//! the one error type, into which every stage's error converts, and its exit codes; `cli`
//! parses the arguments, resolves them once with the config file and the environment into
//! settings, and dispatches.
//!
//! Planning a routine needs only a voice that tells how long each line is:
//!
//! ```
//! use hipvoice::plan::{self, CueKind, PlanOptions};
//! use hipvoice::render::SoundBank;
//! use hipvoice::routine::{self, Origin};
//! use hipvoice::voice::{PhraseCache, StandIn};
//!
//! let text = r#"
//!     id = "demo"
//!     title = "Demo"
//!     [[exercise]]
//!     id = "lift"
//!     name = "Leg lift"
//!     cue = "Lift your {side} leg."
//!     sides = "left-then-right"
//!     reps = 2
//!     hold_secs = 5
//! "#;
//! let r = routine::parse("demo.toml", text, Origin::Builtin).unwrap();
//! let bank = SoundBank::builtin(22050).unwrap();
//! let mut voice = PhraseCache::new(Box::new(StandIn::new(22050)));
//! let t = plan::plan(&r, &mut voice, &|s| bank.frames(s), &PlanOptions::new(22050)).unwrap();
//! let holds: Vec<_> = t.of_kind(CueKind::Hold).collect();
//! assert_eq!(holds.len(), 4);
//! assert!(holds.iter().all(|h| h.end - h.start == 5 * 22050));
//! assert!(plan::check::violations(&t).is_empty());
//! ```

pub mod cli;
pub mod config;
pub mod control;
pub mod diag;
pub mod dirs;
pub mod error;
pub mod files;
#[doc(hidden)]
pub mod fuzzing;
pub mod history;
pub mod live;
pub mod output;
pub mod phrases;
pub mod plan;
pub mod render;
pub mod resume;
pub mod routine;
pub mod session;
pub mod show;
pub mod sounds;
pub mod voice;
pub mod volume;
