//! Rendering: the timeline, the speech samples and the sounds become samples: a [`Program`]
//! (all of a session, or a window of it, for the live deck), a mix streamed in order
//! ([`program::Streamed`]) or a file ([`export`]: WAV in `wav`, captions in [`captions`]).
//! A compressed file is encoded in parts on several threads ([`parts`]) and joined into one
//! stream (`joined`), each format in its own folder with its encoder and its join rules
//! ([`ogg`], [`mp3`]). Never opens a device.

pub mod captions;
mod error;
pub mod export;
pub(crate) mod joined;
pub mod mp3;
pub mod ogg;
pub mod parts;
pub mod program;
pub mod sounds;
mod wav;

pub use program::Program;
pub use sounds::{SoundBank, SoundError};
