//! hipvoice: physiotherapy routines played by ear.
//!
//! Data flows left to right; a module uses only those to its left:
//! `routine` (TOML to a checked routine) → `plan` (a timeline of cues at exact frames) →
//! `voice` (text to samples) → `render` (timeline to samples or a file) → `session` (a routine
//! prepared with the person's settings) → `live` (the session runtime: conductor, deck, loop) →
//! `output` (adapters: the audio device, keys, media buttons) → `cli` (parses the arguments,
//! resolves them once, dispatches). `error` has the one error type and its exit codes; `resume`
//! the saved positions; `files` reads files from outside with a bound.
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
pub mod diag;
pub mod error;
pub mod files;
#[doc(hidden)]
pub mod fuzzing;
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
