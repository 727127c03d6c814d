//! Where hipvoice keeps the person's files, by the XDG base directories (`directories`): the
//! one place that asks the platform. Each is `None` where the platform has no such folder.

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "hipvoice")
}

/// `$XDG_CONFIG_HOME/hipvoice/config.toml`: the person's defaults.
pub fn config_file() -> Option<PathBuf> {
    project().map(|d| d.config_dir().join("config.toml"))
}

/// `$XDG_CONFIG_HOME/hipvoice/sounds`: `NAME.wav` there replaces built-in sound NAME.
pub fn sounds() -> Option<PathBuf> {
    project().map(|d| d.config_dir().join("sounds"))
}

/// `$XDG_CONFIG_HOME/hipvoice/routines`: the person's own routines, played by file name.
pub fn user_routines() -> Option<PathBuf> {
    project().map(|d| d.config_dir().join("routines"))
}

/// `$XDG_STATE_HOME/hipvoice/positions`: where each routine stopped, for `--resume`.
pub fn positions() -> Option<PathBuf> {
    Some(project()?.state_dir()?.join("positions"))
}

/// `$XDG_DATA_HOME/hipvoice`: the person's history (`history.sqlite3`).
pub fn data() -> Option<PathBuf> {
    project().map(|d| d.data_dir().to_path_buf())
}
