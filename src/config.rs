//! The user's defaults: `$XDG_CONFIG_HOME/hipvoice/config.toml`. Every key is optional; a flag
//! on the command line wins over the file, and the file over the built-in default.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::routine::{Side, toml_error};

/// What the config file may set.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
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
}

/// `affected_side` as written in the config file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AffectedSide(pub Side);

impl<'de> Deserialize<'de> for AffectedSide {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "left" => Ok(AffectedSide(Side::Left)),
            "right" => Ok(AffectedSide(Side::Right)),
            _ => Err(serde::de::Error::custom(format!(
                "`affected_side` must be \"left\" or \"right\" (got \"{s}\")"
            ))),
        }
    }
}

/// The config file's path, whether or not it exists.
pub fn path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "hipvoice").map(|d| d.config_dir().join("config.toml"))
}

/// Where the user's replacements for built-in sounds live: `NAME.wav` replaces sound NAME.
pub fn sounds_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "hipvoice").map(|d| d.config_dir().join("sounds"))
}

/// Reads the config file; a missing file is an empty config.
pub fn load(path: &Path) -> Result<Config, Diagnostics> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => {
            let map = SourceMap::new(path.display().to_string(), "");
            return Err(Diagnostics(vec![
                Diagnostic::new(map.top(), format!("cannot read the config file: {e}"))
                    .hint("fix its permissions, or remove it to use the defaults"),
            ]));
        }
    };
    let map = SourceMap::new(path.display().to_string(), text.as_str());
    let config: Config = toml::from_str(&text).map_err(|e| toml_error(&map, &e))?;
    let mut problems = Vec::new();
    let mut range = |key: &str, v: Option<u32>, lo: u32, hi: u32| {
        if let Some(v) = v.filter(|v| !(lo..=hi).contains(v)) {
            let at = text.find(key).unwrap_or(0);
            problems.push(
                Diagnostic::new(
                    map.loc(at),
                    format!("`{key}` must be from {lo} to {hi} (got {v})"),
                )
                .hint(format!("for example {key} = {}", (lo + hi) / 2)),
            );
        }
    };
    range("rate", config.rate, 80, 450);
    range("pitch", config.pitch, 0, 100);
    range("volume", config.volume, 0, 100);
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(Diagnostics(problems))
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
        assert!(e.ends_with("config.toml:2:1: `rate` must be from 80 to 450 (got 900). hint: for example rate = 265"), "{e}");
        std::fs::write(&p, "volum = 50\n").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(
            e.contains("config.toml:1:1: unknown field `volum`. hint: did you mean `volume`?"),
            "{e}"
        );
    }
}
