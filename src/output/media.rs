//! Media buttons: hipvoice registers as an MPRIS media player on the session D-Bus (souvlaki
//! with its pure-Rust zbus backend), so a Bluetooth headset's button, a keyboard's media keys or
//! `playerctl -p hipvoice play-pause` reach the session, and media clients show the exercise.
//!
//! The bus name is `org.mpris.MediaPlayer2.hipvoice.instance<pid>`: two sessions never fight
//! over one name, and `playerctl -p hipvoice` still finds it.

use std::path::PathBuf;
use std::sync::mpsc::Sender;

use souvlaki::{MediaControlEvent, MediaControls, MediaMetadata, MediaPlayback, PlatformConfig};

use crate::control::{Command, Playback};

/// A registered media player. Dropping it leaves the bus.
pub struct Media {
    controls: MediaControls,
    last: Option<(Playback, String)>,
}

/// Where the session bus should be, or None when there is none to try. zbus's `attach` returns
/// Ok without a bus and its thread panics later (DESIGN.md), so look first.
fn bus_reachable() -> Result<(), String> {
    let addr = match std::env::var("DBUS_SESSION_BUS_ADDRESS") {
        Ok(a) if !a.is_empty() => a,
        _ => {
            let rt = std::env::var_os("XDG_RUNTIME_DIR").ok_or("no session bus address")?;
            format!("unix:path={}", PathBuf::from(rt).join("bus").display())
        }
    };
    // Only the first address is tried, as zbus does for a unix path.
    let first = addr.split(';').next().unwrap_or("");
    let Some(rest) = first.strip_prefix("unix:") else {
        return Ok(());
    };
    for kv in rest.split(',') {
        if let Some(p) = kv.strip_prefix("path=") {
            return std::os::unix::net::UnixStream::connect(p)
                .map(drop)
                .map_err(|e| format!("session bus {p}: {e}"));
        }
        if let Some(name) = kv.strip_prefix("abstract=") {
            use std::os::linux::net::SocketAddrExt;
            let a = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                .map_err(|e| e.to_string())?;
            return std::os::unix::net::UnixStream::connect_addr(&a)
                .map(drop)
                .map_err(|e| format!("session bus @{name}: {e}"));
        }
    }
    Ok(())
}

fn command(e: MediaControlEvent) -> Option<Command> {
    Some(match e {
        MediaControlEvent::Toggle => Command::PlayPause,
        MediaControlEvent::Play => Command::Play,
        MediaControlEvent::Pause => Command::Pause,
        MediaControlEvent::Next => Command::Next,
        MediaControlEvent::Previous => Command::Back,
        MediaControlEvent::Stop | MediaControlEvent::Quit => Command::Quit,
        _ => return None,
    })
}

impl Media {
    /// Registers on the session bus; every button press becomes a command on `tx`.
    /// Errors say why there are no media buttons (no bus, a refused name).
    pub fn start(tx: Sender<Command>) -> Result<Media, String> {
        bus_reachable()?;
        let name = format!("hipvoice.instance{}", std::process::id());
        let mut controls = MediaControls::new(PlatformConfig {
            display_name: "hipvoice",
            dbus_name: &name,
            hwnd: None,
        })
        .map_err(|e| e.to_string())?;
        controls
            .attach(move |e| {
                if let Some(c) = command(e) {
                    let _ = tx.send(c);
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(Media {
            controls,
            last: None,
        })
    }

    /// Tells media clients the status and what is playing ("Knee lifts, left leg").
    pub fn set(&mut self, playback: Playback, title: &str) {
        let now = (playback, title.to_owned());
        if self.last.as_ref() == Some(&now) {
            return;
        }
        if self.last.as_ref().map(|l| &l.1) != Some(&now.1) {
            let _ = self.controls.set_metadata(MediaMetadata {
                title: Some(title),
                artist: Some("hipvoice"),
                ..Default::default()
            });
        }
        let _ = self.controls.set_playback(match playback {
            Playback::Playing => MediaPlayback::Playing { progress: None },
            Playback::Paused => MediaPlayback::Paused { progress: None },
            Playback::Stopped => MediaPlayback::Stopped,
        });
        self.last = Some(now);
    }
}
