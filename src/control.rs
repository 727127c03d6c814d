//! The words the person and the session share with the world: what the person asked for
//! ([`Command`], from a key, a media button or a signal) and the playback status media clients
//! are shown ([`Playback`]). `live` acts on them; its adapters in `output` make and show them.

/// What the person asked for, from a key, a media button or a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Space, the headset button: pause if playing, go on if paused.
    PlayPause,
    Play,
    Pause,
    Next,
    Back,
    Repeat,
    Where,
    Faster,
    Slower,
    Louder,
    Softer,
    Help,
    /// q, Esc, Ctrl-C in the terminal, Stop or Quit from a media client.
    Quit,
    /// SIGINT, SIGTERM or SIGHUP: end now, without a spoken answer.
    Signal,
    /// The audio output stopped pulling samples (the sound server died, the device went
    /// away): the place is saved and the session waits, silent, for `Event::DeviceBack`
    /// or [`Command::DeviceGone`].
    DeviceLost,
    /// The audio output could not be opened again in time: end now.
    DeviceGone,
    /// A key that means nothing: a soft sound says it was heard.
    Unknown,
    /// The system voice stopped answering (speech-dispatcher died or froze): the embedded
    /// voice says the rest of the session, and says so once.
    VoiceLost,
    /// The place to resume from could not be saved (the state folder cannot be written): said
    /// once, when it first fails, so that a person who later stops (or is stopped by a
    /// signal) knows before.
    PlaceNotSaved,
    /// The system voice asked for could not start (no daemon, no such voice): said once, at
    /// the start, so that a person who only listens knows why they hear the built-in voice.
    VoiceUnavailable,
    /// A line of the routine cannot be spoken (espeak-ng dies on it): it is left out, and said
    /// once that it was.
    LineLeftOut,
}

impl Command {
    /// A notice from the runtime rather than a person's command: said once, never inside a
    /// hold.
    pub fn is_notice(self) -> bool {
        matches!(
            self,
            Command::VoiceLost
                | Command::PlaceNotSaved
                | Command::VoiceUnavailable
                | Command::LineLeftOut
        )
    }
}

/// MPRIS playback status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Playback {
    Playing,
    Paused,
    Stopped,
}
