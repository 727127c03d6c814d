//! The user's defaults: `$XDG_CONFIG_HOME/hipvoice/config.toml`. Every key is optional; a flag
//! on the command line wins over the file, and the file over the built-in default.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::routine::{Side, toml_error};

/// What the config file may set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// An espeak-ng voice: "en-us", "en-gb", "en+f3".
    pub voice: Option<String>,
    /// A language for the voice when no voice is named: "en-gb".
    pub lang: Option<String>,
    /// Words per minute, 80 to 450.
    pub rate: Option<u32>,
    /// 0 to 100; 50 is normal.
    pub pitch: Option<u32>,
    /// Master volume in percent, 0 to 100.
    pub volume: Option<u32>,
    /// Seconds to get into place before the first exercise.
    pub lead_in_secs: Option<f64>,
    /// The person's affected side, "left" or "right": exercises with first_side = "affected"
    /// start with it.
    pub affected_side: Option<AffectedSide>,
    /// What `play` prints: "full", "lines" or "none".
    pub transcript: Option<crate::session::TranscriptMode>,
    /// `false`: no session is recorded in the history (see [`crate::history`]).
    pub history: Option<bool>,
    /// Which voice says a live session's lines: "embedded" or "system".
    pub engine: Option<crate::session::Engine>,
    /// A speech-dispatcher voice by name, for `engine = "system"`.
    pub system_voice: Option<String>,
}

/// `affected_side` as written in the config file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AffectedSide(pub Side);

/// The config file as written, every value with its span.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    voice: Option<Spanned<String>>,
    lang: Option<Spanned<String>>,
    rate: Option<Spanned<i64>>,
    pitch: Option<Spanned<i64>>,
    volume: Option<Spanned<i64>>,
    lead_in_secs: Option<Spanned<f64>>,
    affected_side: Option<Spanned<String>>,
    transcript: Option<Spanned<String>>,
    history: Option<bool>,
    engine: Option<Spanned<String>>,
    system_voice: Option<Spanned<String>>,
}

/// The largest config file read.
const MAX_CONFIG_BYTES: u64 = 64 * 1024;

/// Reads the config file; a missing file is an empty config. Every value is checked like a
/// routine's, and every problem is reported at its `file:line:col`.
pub fn load(path: &Path) -> Result<Config, Diagnostics> {
    let shown = path.display().to_string();
    let bytes = match crate::files::read_limited(path, MAX_CONFIG_BYTES) {
        Ok(b) => b,
        Err(crate::files::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Config::default());
        }
        Err(e) => {
            let map = SourceMap::new(shown, "");
            return Err(Diagnostics(vec![
                Diagnostic::new(map.top(), format!("cannot read the config file: {e}"))
                    .hint("fix it, or remove it to use the defaults"),
            ]));
        }
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let map = SourceMap::new(shown, text.as_str());
    let raw: RawConfig = toml::from_str(&text).map_err(|e| toml_error(&map, &e))?;
    let mut c = Values {
        map: &map,
        problems: Vec::new(),
    };
    let (slowest, fastest) = crate::voice::espeak::RATE_WPM;
    let config = Config {
        voice: c.voice(raw.voice),
        lang: c.name("lang", raw.lang),
        rate: c.whole("rate", raw.rate, (slowest.into(), fastest.into()), 155),
        pitch: c.whole("pitch", raw.pitch, (0, 100), 50),
        volume: c.whole(
            "volume",
            raw.volume,
            (0, crate::volume::Volume::MAX.into()),
            80,
        ),
        lead_in_secs: c.lead_in(raw.lead_in_secs),
        affected_side: c.affected_side(raw.affected_side),
        transcript: c.transcript(raw.transcript),
        history: raw.history,
        engine: c.engine(raw.engine),
        system_voice: c.name("system_voice", raw.system_voice),
    };
    let mut problems = c.problems;
    if problems.is_empty() {
        Ok(config)
    } else {
        problems.sort_by_key(|d| (d.loc.line, d.loc.col));
        Err(Diagnostics(problems))
    }
}

/// The config file's values checked one by one, each problem kept with where it is.
struct Values<'m> {
    map: &'m SourceMap,
    problems: Vec<Diagnostic>,
}

impl Values<'_> {
    fn problem(&mut self, at: std::ops::Range<usize>, text: String, hint: String) {
        self.problems
            .push(Diagnostic::new(self.map.span_loc(&at), text).hint(hint));
    }

    /// A whole number from `lo` to `hi`; `example` goes in the hint.
    fn whole(
        &mut self,
        key: &str,
        v: Option<Spanned<i64>>,
        (lo, hi): (i64, i64),
        example: i64,
    ) -> Option<u32> {
        let v = v?;
        let x = *v.get_ref();
        if (lo..=hi).contains(&x) {
            return Some(x as u32);
        }
        self.problem(
            v.span(),
            format!("`{key}` must be from {lo} to {hi} (got {x})"),
            format!("for example {key} = {example}"),
        );
        None
    }

    fn lead_in(&mut self, v: Option<Spanned<f64>>) -> Option<f64> {
        let v = v?;
        let max_lead = crate::routine::limits::MAX_LEAD_IN_SECS;
        let x = *v.get_ref();
        if x.is_finite() && (0.0..=max_lead).contains(&x) {
            return Some(x);
        }
        self.problem(
            v.span(),
            format!(
                "`lead_in_secs` must be from 0 to {max_lead} seconds (got {})",
                crate::diag::plain_number(x)
            ),
            "for example lead_in_secs = 15".into(),
        );
        None
    }

    fn affected_side(&mut self, v: Option<Spanned<String>>) -> Option<AffectedSide> {
        let v = v?;
        match v.get_ref().as_str() {
            "left" => Some(AffectedSide(Side::Left)),
            "right" => Some(AffectedSide(Side::Right)),
            other => {
                self.problem(
                    v.span(),
                    format!("`affected_side` must be \"left\" or \"right\" (got \"{other}\")"),
                    "for example affected_side = \"left\"".into(),
                );
                None
            }
        }
    }

    fn engine(&mut self, v: Option<Spanned<String>>) -> Option<crate::session::Engine> {
        let v = v?;
        let e = crate::session::Engine::parse(v.get_ref());
        if e.is_none() {
            self.problem(
                v.span(),
                format!(
                    "`engine` must be \"embedded\" or \"system\" (got \"{}\")",
                    crate::diag::escape(v.get_ref())
                ),
                "for example engine = \"system\" (your speech-dispatcher voice)".into(),
            );
        }
        e
    }

    fn transcript(&mut self, v: Option<Spanned<String>>) -> Option<crate::session::TranscriptMode> {
        let v = v?;
        let t = crate::session::TranscriptMode::parse(v.get_ref());
        if t.is_none() {
            self.problem(
                v.span(),
                format!(
                    "`transcript` must be \"full\", \"lines\" or \"none\" (got \"{}\")",
                    v.get_ref()
                ),
                "for example transcript = \"lines\"".into(),
            );
        }
        t
    }

    /// A voice name espeak-ng can take ([`crate::voice::espeak::check_name`]): a longer one
    /// would abort it.
    fn voice(&mut self, v: Option<Spanned<String>>) -> Option<String> {
        let v = v?;
        let span = v.span();
        let name = self.name("voice", Some(v))?;
        if let Err(e) = crate::voice::espeak::check_name(&name) {
            let text = e.to_string();
            let (what, hint) = text.split_once(". hint: ").unwrap_or((&text, ""));
            self.problem(span, format!("`voice`: {what}"), hint.to_owned());
            return None;
        }
        Some(name)
    }

    /// A voice or language name: not empty, at most 100 bytes, no control characters.
    fn name(&mut self, key: &str, v: Option<Spanned<String>>) -> Option<String> {
        let v = v?;
        let s = v.get_ref();
        if s.is_empty() || s.chars().any(crate::diag::is_unsafe_char) || s.len() > 100 {
            self.problem(
                v.span(),
                format!("`{key}` is not a usable name"),
                format!("for example {key} = \"en-gb\""),
            );
            return None;
        }
        Some(s.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_file_sets_defaults_and_reports_mistakes_where_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        assert_eq!(load(&p).unwrap(), Config::default());
        std::fs::write(&p, "voice = \"en-gb\"\nrate = 140\n").unwrap();
        let c = load(&p).unwrap();
        assert_eq!((c.voice.as_deref(), c.rate), (Some("en-gb"), Some(140)));
        std::fs::write(&p, "voice = \"en-gb\"\nrate = 900\n").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.ends_with("config.toml:2:8: `rate` must be from 80 to 450 (got 900). hint: for example rate = 155"), "{e}");
        // Each bad value at its own place, never a key's name found inside a comment.
        std::fs::write(
            &p,
            "# rate = the speed\nlead_in_secs = inf\nrate = 900\nvolume = -5\naffected_side = \"up\"\n",
        )
        .unwrap();
        let e = load(&p).unwrap_err().to_string();
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines.len(), 4, "{e}");
        assert!(
            lines[0].contains("config.toml:2:16: `lead_in_secs` must be from 0 to 600"),
            "{e}"
        );
        assert!(
            lines[1].contains("config.toml:3:8: `rate` must be from 80 to 450 (got 900)"),
            "{e}"
        );
        assert!(
            lines[2].contains("config.toml:4:10: `volume` must be from 0 to 100 (got -5)"),
            "{e}"
        );
        assert!(
            lines[3].contains("config.toml:5:17: `affected_side` must be"),
            "{e}"
        );
        std::fs::write(&p, "transcript = \"lines\"\n").unwrap();
        assert_eq!(
            load(&p).unwrap().transcript,
            Some(crate::session::TranscriptMode::Lines)
        );
        std::fs::write(&p, "transcript = \"some\"\n").unwrap();
        assert!(
            load(&p)
                .unwrap_err()
                .to_string()
                .contains("config.toml:1:14: `transcript` must be")
        );
        std::fs::write(
            &p,
            "engine = \"system\"\nsystem_voice = \"English (America)+Alex\"\n",
        )
        .unwrap();
        let c = load(&p).unwrap();
        assert_eq!(c.engine, Some(crate::session::Engine::System));
        assert_eq!(c.system_voice.as_deref(), Some("English (America)+Alex"));
        std::fs::write(&p, "engine = \"orca\"\n").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(
            e.contains(
                "config.toml:1:10: `engine` must be \"embedded\" or \"system\" (got \"orca\")"
            ),
            "{e}"
        );
        std::fs::write(&p, "lead_in_secs = 601\n").unwrap();
        assert!(load(&p).is_err(), "601 is over the 600 s limit");
        // A number is echoed as it was written, never in 300 digits.
        for (written, shown) in [
            ("1e300", "1e300"),
            ("-1e-300", "-1e-300"),
            ("600.5", "600.5"),
        ] {
            std::fs::write(&p, format!("lead_in_secs = {written}\n")).unwrap();
            let e = load(&p).unwrap_err().to_string();
            assert!(e.contains(&format!("seconds (got {shown})")), "{e}");
        }
        std::fs::write(&p, "volum = 50\n").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(
            e.contains("config.toml:1:1: unknown field `volum`. hint: did you mean `volume`?"),
            "{e}"
        );
    }
}
