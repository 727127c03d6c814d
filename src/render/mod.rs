//! Rendering: the timeline, the speech samples and the sounds become samples, a rodio `Source`
//! or a file. Never opens a device.

pub mod export;
pub mod program;
pub mod sounds;

pub use program::Program;
pub use sounds::{SoundBank, SoundError};
