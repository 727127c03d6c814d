//! The cue sounds we ship (`sounds/*.wav`), compiled into the binary. Names only here; decoding
//! and resampling live in `render`.

/// Built-in sounds by name. Each file is 22050 Hz mono 16-bit and starts at its first sample.
pub const BUILTIN: [(&str, &[u8]); 6] = [
    ("hold-start", include_bytes!("../sounds/hold-start.wav")),
    ("release", include_bytes!("../sounds/release.wav")),
    ("switch", include_bytes!("../sounds/switch.wav")),
    ("rest-over", include_bytes!("../sounds/rest-over.wav")),
    ("session-end", include_bytes!("../sounds/session-end.wav")),
    ("tick", include_bytes!("../sounds/tick.wav")),
];

/// The canonical name of a built-in sound, if `name` is one.
pub fn builtin_name(name: &str) -> Option<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).find(|n| *n == name)
}

pub fn names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}
