//! Rendering: the timeline, the speech samples and the sounds become samples: a [`Program`]
//! (all of a session, or a window of it, for the live deck), a mix streamed in order
//! ([`program::Streamed`]) or a file ([`export`]). A compressed file is encoded in parts on
//! several threads ([`parts`]) and joined into one stream by the format's own rules ([`ogg`],
//! [`mp3`]). Never opens a device.

mod error;
pub mod export;
pub mod mp3;
pub mod ogg;
pub mod parts;
pub mod program;
pub mod sounds;

pub use program::Program;
pub use sounds::{SoundBank, SoundError};
