//! WebVTT for a rendered file: captions of every spoken line and chapters per exercise, with
//! the `hh:mm:ss.mmm` timestamps the chapters in an Ogg's comments use too.

use std::fmt::Write as _;

use crate::plan::{CueKind, Timeline};

/// `hh:mm:ss.mmm` for WebVTT and chapters.
pub fn timestamp(frames: u64, rate: u32) -> String {
    let ms = frames * 1000 / u64::from(rate);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        (ms / 60_000) % 60,
        (ms / 1000) % 60,
        ms % 1000
    )
}

/// A WebVTT file of the cues of one kind, each with its text; `prefix` names the cue ids.
fn vtt(t: &Timeline, kind: CueKind, prefix: &str) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for (i, c) in t.of_kind(kind).enumerate() {
        let _ = writeln!(
            out,
            "{prefix}{}\n{} --> {}\n{}\n",
            i + 1,
            timestamp(c.start, t.sample_rate),
            timestamp(c.end, t.sample_rate),
            vtt_text(c.text.as_deref().unwrap_or(""))
        );
    }
    out
}

/// Cue text for WebVTT: `&` and `<` are markup there, and `-->` would end the cue early;
/// control characters are escaped as everywhere.
fn vtt_text(text: &str) -> String {
    crate::diag::escape(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace("-->", "--&gt;")
}

/// WebVTT captions: one cue per spoken line, at its frames.
pub fn captions(t: &Timeline) -> String {
    vtt(t, CueKind::Speech, "")
}

/// WebVTT chapters: one per exercise.
pub fn chapters(t: &Timeline) -> String {
    vtt(t, CueKind::Exercise, "chapter-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caption_text_cannot_break_a_cue() {
        assert_eq!(vtt_text("Hold."), "Hold.");
        assert_eq!(
            vtt_text("Caps & <b>bold</b> --> two \u{1b}[2J"),
            "Caps &amp; &lt;b>bold&lt;/b> --&gt; two \\u{1b}[2J"
        );
    }
}
