//! hipvoice: physiotherapy routines played by ear.
//!
//! Data flows left to right; a module uses only those to its left:
//! `routine` (TOML to a checked routine) → `plan` (a timeline of cues at exact frames) →
//! `voice` (text to samples) → `render` (timeline to samples or a file) → `output` (devices) →
//! `cli` (arguments to a resolved command).

pub mod cli;
pub mod config;
pub mod diag;
pub mod exit;
pub mod output;
pub mod phrases;
pub mod plan;
pub mod render;
pub mod routine;
pub mod show;
pub mod sounds;
pub mod voice;
