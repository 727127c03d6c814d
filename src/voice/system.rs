//! The system voice: the person's own speech-dispatcher voice (the one Orca speaks with),
//! through the `tts` crate. It cannot render into samples: a live session hands it each line
//! when the cursor reaches it and waits for the utterance's end (`live::spoken`).
//!
//! `tts` is not `Send` and its calls can block or crash on a daemon in trouble (measured, see
//! the design notes: a killed daemon never sends an utterance's end, a frozen one blocks
//! `speak` until it resumes, and the getters segfault inside libspeechd on a dead one). So one
//! thread of its own owns the `Tts` and does only what it is asked, never a getter; this side
//! sends requests and reads [`Heard`] events, and waits on nothing but with a timeout. A thread
//! stuck in a frozen daemon is left behind; the process does not wait for it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// How long the voice may take to connect (and pick a voice by name or language, which lists
/// every voice: about 2 s with 13,000 of them, measured) before the session goes on without it.
pub const START_TIMEOUT: Duration = Duration::from_secs(6);
/// How long `speak` may take to hand a line over before the daemon is taken as frozen.
pub const SPEAK_TIMEOUT: Duration = Duration::from_millis(1500);

/// The settings the system voice is given (never read back: the getters crash on a dead
/// daemon).
#[derive(Debug, Clone, PartialEq)]
pub struct SystemSettings {
    /// Words per minute, as for the embedded voice (80 to 450).
    pub rate_wpm: u32,
    /// 0 to 100, 50 normal, as for the embedded voice.
    pub pitch: u32,
    /// 0.0 to 1.0: the session's gain.
    pub gain: f32,
    /// A speech-dispatcher voice by name (`hipvoice voices`); `None`: the daemon's default.
    pub voice: Option<String>,
    /// The routine's language (BCP 47): when no voice is named and it is not English, the
    /// first voice of that language is taken.
    pub language: String,
}

/// speech-dispatcher's rate (-100 to 100, 0 normal) for words per minute. Its espeak-ng module
/// speaks 170 wpm at 0, 80 at -100 and 449 at 100 (`EspeakNormalRate`, `EspeakMinRate`,
/// `EspeakMaxRate` in Debian's modules/espeak-ng.conf), linearly on each side of 0: at the same
/// wpm the two voices are about equally fast. Other modules have scales of their own.
pub fn rate_of(wpm: u32) -> f32 {
    let w = wpm as f32;
    let r = if w >= 170.0 {
        (w - 170.0) / (449.0 - 170.0) * 100.0
    } else {
        (w - 170.0) / (170.0 - 80.0) * 100.0
    };
    r.clamp(-100.0, 100.0)
}

/// speech-dispatcher's pitch (-100 to 100) for the embedded voice's 0 to 100.
pub fn pitch_of(pitch: u32) -> f32 {
    ((pitch.min(100) as f32 - 50.0) * 2.0).clamp(-100.0, 100.0)
}

/// speech-dispatcher's volume (-100 to 100) for a gain: full gain is 0, not 100, because
/// speech-dispatcher's volume from 50 up clipped on these machines (measured), and 0 was clean.
pub fn volume_of(gain: f32) -> f32 {
    (-100.0 + 100.0 * gain.clamp(0.0, 1.0)).round()
}

/// What the voice's thread reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    /// The line of this token has been handed over.
    Queued(u64),
    /// The line of this token has been said to its end, or stopped.
    Ended(u64),
    /// A call failed: the daemon is gone (its text says what failed).
    Failed(String),
}

enum Request {
    Speak { token: u64, text: String },
    Stop,
    Rate(u32),
    Volume(f32),
}

/// The system voice, spoken through its own thread.
pub struct SystemVoice {
    requests: Sender<Request>,
    heard: Receiver<Heard>,
    next_token: u64,
    /// What the voice describes itself as ("speech-dispatcher, its default voice").
    pub description: String,
    /// The daemon, to see whether it is still there ([`Daemon::probe`]).
    daemon: Option<Daemon>,
}

/// The daemon's local socket as libspeechd finds it: `SPEECHD_ADDRESS` of the form
/// `unix_socket:PATH`, else `$XDG_RUNTIME_DIR/speech-dispatcher/speechd.sock`. `None` for a
/// TCP address (`inet_socket:…`), which [`Daemon::probe`] cannot look behind.
pub fn daemon_socket() -> Option<PathBuf> {
    socket_of(
        std::env::var("SPEECHD_ADDRESS").ok().as_deref(),
        std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from),
    )
}

/// [`daemon_socket`] for an address and a runtime folder.
fn socket_of(address: Option<&str>, runtime_dir: Option<PathBuf>) -> Option<PathBuf> {
    let default = || Some(runtime_dir?.join("speech-dispatcher/speechd.sock"));
    match address.map(|a| a.strip_prefix("unix_socket")) {
        None | Some(Some("" | ":")) => default(),
        Some(Some(rest)) => rest.strip_prefix(':').map(PathBuf::from),
        Some(None) => None,
    }
}

/// The daemon behind a local socket, looked at to tell whether it can still speak
/// ([`Daemon::probe`]).
#[derive(Debug)]
pub struct Daemon {
    socket: PathBuf,
    /// The process listening on the socket, once found (`None` inside: looked for, not found).
    pid: Option<Option<i32>>,
}

impl Daemon {
    pub fn new(socket: PathBuf) -> Daemon {
        Daemon { socket, pid: None }
    }

    /// `Err` with why when nothing listens on the socket any more (the daemon was killed) or
    /// the listening process is stopped (SIGSTOP) or dead; `Ok` when it is there or that
    /// cannot be told. A connection to a listening socket is taken by the kernel even for a
    /// stopped process, so the process's state in `/proc` tells a frozen daemon. Costs one
    /// connect and close (the daemon sees a client come and go) and, the first time, a look
    /// through `/proc` for the listening process.
    pub fn probe(&mut self) -> Result<(), String> {
        let stream = match std::os::unix::net::UnixStream::connect(&self.socket) {
            Ok(s) => s,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
                ) =>
            {
                return Err("speech-dispatcher is gone".to_owned());
            }
            Err(_) => return Ok(()),
        };
        let pid = *self
            .pid
            .get_or_insert_with(|| listener_pid(&stream, &self.socket));
        let Some(pid) = pid else { return Ok(()) };
        match process_state(pid) {
            Some('T' | 't') => Err("speech-dispatcher is stopped".to_owned()),
            Some('Z' | 'X') | None => Err("speech-dispatcher is gone".to_owned()),
            Some(_) => Ok(()),
        }
    }
}

/// The state letter of process `pid` in `/proc` (`R`, `S`, `T` stopped, `Z`…), `None` when
/// there is no such process.
fn process_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "PID (COMMAND) STATE …": the command may hold spaces and parentheses.
    let (_, rest) = stat.rsplit_once(')')?;
    rest.trim_start().chars().next()
}

/// The process that listens on `socket` (`stream` is connected to it). `SO_PEERCRED` names
/// the process that called `listen`, but speech-dispatcher listens before it forks into the
/// background (measured: the PID it names is gone), so when that process is gone the listening
/// socket's inode is read from `/proc/net/unix` and the process holding it is found among
/// `/proc/*/fd`.
fn listener_pid(stream: &std::os::unix::net::UnixStream, socket: &Path) -> Option<i32> {
    use std::os::fd::AsRawFd;
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes of a `ucred`, the size given.
    let r = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast(),
            &raw mut len,
        )
    };
    if r == 0 && cred.pid > 0 && process_state(cred.pid).is_some() {
        return Some(cred.pid);
    }
    let inode = listening_inode(&std::fs::read_to_string("/proc/net/unix").ok()?, socket)?;
    let link = std::ffi::OsString::from(format!("socket:[{inode}]"));
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|p| {
        let pid: i32 = p.file_name().to_str()?.parse().ok()?;
        let holds = std::fs::read_dir(p.path().join("fd"))
            .ok()?
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == link));
        holds.then_some(pid)
    })
}

/// The inode of the listening socket bound to `path` in `/proc/net/unix`'s text
/// ("Num RefCount Protocol Flags Type St Inode Path"; a listening socket has the
/// `__SO_ACCEPTCON` flag, 0x10000).
fn listening_inode(table: &str, path: &Path) -> Option<u64> {
    let path = path.to_str()?;
    table.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let flags = u32::from_str_radix(f.get(3)?, 16).ok()?;
        (f.get(7) == Some(&path) && flags & 0x10000 != 0).then(|| f.get(6)?.parse().ok())?
    })
}

impl SystemVoice {
    /// Connects to speech-dispatcher with `settings`, waiting at most [`START_TIMEOUT`].
    /// Errors (as a sentence for stderr): no daemon, a voice name it does not have, no answer
    /// in time.
    pub fn start(settings: &SystemSettings) -> Result<SystemVoice, String> {
        let (requests, inbox) = mpsc::channel::<Request>();
        let (events, heard) = mpsc::channel::<Heard>();
        let (ready_tx, ready) = mpsc::channel::<Result<String, String>>();
        let s = settings.clone();
        std::thread::Builder::new()
            .name("system-voice".into())
            .spawn(move || serve(s, inbox, events, ready_tx))
            .map_err(|e| format!("could not start its thread: {e}"))?;
        match ready.recv_timeout(START_TIMEOUT) {
            Ok(Ok(description)) => Ok(SystemVoice {
                requests,
                heard,
                next_token: 1,
                description,
                daemon: daemon_socket().map(Daemon::new),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!(
                "speech-dispatcher did not answer within {} s",
                START_TIMEOUT.as_secs()
            )),
        }
    }

    /// Hands `text` to the voice, cutting whatever it is saying. Returns the token its
    /// [`Heard`] events carry.
    pub fn speak(&mut self, text: &str) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        let _ = self.requests.send(Request::Speak {
            token,
            text: text.to_owned(),
        });
        token
    }

    pub fn stop(&self) {
        let _ = self.requests.send(Request::Stop);
    }

    pub fn set_rate(&self, wpm: u32) {
        let _ = self.requests.send(Request::Rate(wpm));
    }

    pub fn set_gain(&self, gain: f32) {
        let _ = self.requests.send(Request::Volume(gain));
    }

    /// Whether the daemon can still speak ([`Daemon::probe`]); `Ok` when that cannot be told.
    pub fn check(&mut self) -> Result<(), String> {
        self.daemon.as_mut().map_or(Ok(()), Daemon::probe)
    }

    /// The events reported since the last call, oldest first.
    pub fn heard(&self) -> Vec<Heard> {
        let mut v: Vec<Heard> = self.heard.try_iter().collect();
        if v.is_empty()
            && let Err(mpsc::TryRecvError::Disconnected) = self.heard.try_recv()
        {
            v.push(Heard::Failed("its thread ended".into()));
        }
        v
    }
}

/// The voice's thread: owns the `Tts`, carries out requests one at a time, reports.
fn serve(
    settings: SystemSettings,
    inbox: Receiver<Request>,
    events: Sender<Heard>,
    ready: Sender<Result<String, String>>,
) {
    let mut tts = match tts::Tts::new(tts::Backends::SpeechDispatcher) {
        Ok(t) => t,
        Err(e) => {
            let _ = ready.send(Err(format!("speech-dispatcher is not available: {e}")));
            return;
        }
    };
    // Message ids of speech-dispatcher to our tokens, filled as lines are queued; an end can
    // arrive (on libspeechd's thread) before `speak` has returned here.
    let (ends_tx, ends) = mpsc::channel::<u64>();
    for on_end in [true, false] {
        let tx = ends_tx.clone();
        let f: Box<dyn FnMut(tts::UtteranceId)> = Box::new(move |id| {
            let tts::UtteranceId::SpeechDispatcher(n) = id;
            let _ = tx.send(n);
        });
        let r = if on_end {
            tts.on_utterance_end(Some(f))
        } else {
            tts.on_utterance_stop(Some(f))
        };
        if let Err(e) = r {
            let _ = ready.send(Err(format!(
                "speech-dispatcher does not report when a line ends: {e}"
            )));
            return;
        }
    }
    let _ = tts.set_rate(rate_of(settings.rate_wpm));
    let _ = tts.set_pitch(pitch_of(settings.pitch));
    let _ = tts.set_volume(volume_of(settings.gain));
    let description = match choose_voice(&mut tts, &settings) {
        Ok(d) => d,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    if ready.send(Ok(description)).is_err() {
        return;
    }
    // Ends for messages whose token is not known yet, and tokens by message id.
    let mut early: Vec<u64> = Vec::new();
    let mut tokens: Vec<(u64, u64)> = Vec::new();
    loop {
        let req = match inbox.recv_timeout(Duration::from_millis(20)) {
            Ok(r) => Some(r),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        for msg in ends.try_iter() {
            match tokens.iter().position(|(m, _)| *m == msg) {
                Some(i) => {
                    let (_, token) = tokens.remove(i);
                    let _ = events.send(Heard::Ended(token));
                }
                None => early.push(msg),
            }
        }
        let result = match req {
            None => Ok(()),
            Some(Request::Speak { token, text }) => match tts.speak(text, true) {
                Ok(Some(tts::UtteranceId::SpeechDispatcher(msg))) => {
                    let _ = events.send(Heard::Queued(token));
                    if let Some(i) = early.iter().position(|m| *m == msg) {
                        early.remove(i);
                        let _ = events.send(Heard::Ended(token));
                    } else {
                        tokens.push((msg, token));
                    }
                    Ok(())
                }
                Ok(_) => Err("speaking a line gave no message id".to_owned()),
                Err(e) => Err(format!("speaking a line failed: {e}")),
            },
            Some(Request::Stop) => tts
                .stop()
                .map(|_| ())
                .map_err(|e| format!("stopping failed: {e}")),
            Some(Request::Rate(w)) => tts
                .set_rate(rate_of(w))
                .map(|_| ())
                .map_err(|e| format!("setting the rate failed: {e}")),
            Some(Request::Volume(g)) => tts
                .set_volume(volume_of(g))
                .map(|_| ())
                .map_err(|e| format!("setting the volume failed: {e}")),
        };
        if let Err(e) = result {
            let _ = events.send(Heard::Failed(e));
            return;
        }
        // Bounded: a message whose end never comes (a cut line) is forgotten after a while.
        if tokens.len() > 64 {
            tokens.drain(..32);
        }
        if early.len() > 64 {
            early.drain(..32);
        }
    }
}

/// Sets the voice named in `settings`, or one of the routine's language when that is not
/// English; says which voice speaks.
fn choose_voice(tts: &mut tts::Tts, settings: &SystemSettings) -> Result<String, String> {
    let primary = super::primary_language(&settings.language);
    if settings.voice.is_none() && (primary == "en" || primary.is_empty()) {
        return Ok("speech-dispatcher, its default voice".to_owned());
    }
    let voices = tts
        .voices()
        .map_err(|e| format!("speech-dispatcher could not list its voices: {e}"))?;
    let listed: Vec<(String, String)> = voices
        .iter()
        .map(|v| (v.name(), v.language().as_str().to_owned()))
        .collect();
    let found = &voices[pick(&listed, settings)?];
    tts.set_voice(found)
        .map_err(|e| format!("speech-dispatcher would not take the voice: {e}"))?;
    Ok(format!(
        "speech-dispatcher, voice {} ({})",
        found.name(),
        found.language()
    ))
}

/// Which of the `listed` voices (name, language tag) to speak with: the one named in
/// `settings` (written exactly as listed, else with case and outer spaces aside:
/// "english (america)+alex" finds "English (America)+Alex"; or a language tag as `voices`
/// shows them first, "en-us" finds that language's voice without a variant), or else the first
/// of the routine's primary language. Errors: no such name, no voice of the language.
fn pick(listed: &[(String, String)], settings: &SystemSettings) -> Result<usize, String> {
    if let Some(name) = &settings.voice {
        let exact = listed.iter().position(|(n, _)| n == name);
        let lower = name.trim().to_lowercase();
        let tagged = || {
            let of_tag = |(n, l): &(String, String)| l.to_lowercase() == lower && !n.contains('+');
            listed
                .iter()
                .position(of_tag)
                .or_else(|| listed.iter().position(|(_, l)| l.to_lowercase() == lower))
        };
        return exact
            .or_else(|| listed.iter().position(|(n, _)| n.to_lowercase() == lower))
            .or_else(tagged)
            .ok_or_else(|| {
                format!(
                    "speech-dispatcher has no voice named \"{}\"; `hipvoice voices` lists them",
                    crate::diag::escape(name)
                )
            });
    }
    let primary = super::primary_language(&settings.language);
    listed
        .iter()
        .position(|(_, l)| super::primary_language(l) == primary)
        .ok_or_else(|| {
            format!(
                "speech-dispatcher has no voice for the language \"{}\"",
                settings.language
            )
        })
}

/// Every voice speech-dispatcher offers: (name, language tag). Waits at most `limit` (the list
/// takes about 2 s with 13,000 voices, measured). Errors: no daemon, no answer in time.
pub fn voices(limit: Duration) -> Result<Vec<(String, String)>, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("system-voices".into())
        .spawn(move || {
            let r = tts::Tts::new(tts::Backends::SpeechDispatcher)
                .map_err(|e| format!("speech-dispatcher is not available: {e}"))
                .and_then(|t| {
                    t.voices()
                        .map_err(|e| format!("speech-dispatcher could not list its voices: {e}"))
                })
                .map(|vs| {
                    vs.iter()
                        .map(|v| (v.name(), v.language().as_str().to_owned()))
                        .collect::<Vec<_>>()
                });
            let _ = tx.send(r);
        })
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    rx.recv_timeout(limit).unwrap_or_else(|_| {
        Err(format!(
            "speech-dispatcher did not list its voices within {} s",
            started.elapsed().as_secs()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_map_onto_speech_dispatchers_scales() {
        assert_eq!(rate_of(170), 0.0);
        assert_eq!(rate_of(80), -100.0);
        assert_eq!(rate_of(449), 100.0);
        assert_eq!(rate_of(450), 100.0);
        assert!((rate_of(155) - -16.67).abs() < 0.01);
        assert!(rate_of(300) > 46.0 && rate_of(300) < 47.0);
        assert_eq!(pitch_of(50), 0.0);
        assert_eq!(pitch_of(0), -100.0);
        assert_eq!(pitch_of(100), 100.0);
        // Full gain is speech-dispatcher's 0 (50 and up clipped), silence is -100.
        assert_eq!(volume_of(1.0), 0.0);
        assert_eq!(volume_of(0.5), -50.0);
        assert_eq!(volume_of(0.0), -100.0);
    }

    #[test]
    fn a_voice_is_picked_by_its_name_with_case_aside_or_by_the_routines_language() {
        let listed: Vec<(String, String)> = [
            ("English (America)+Alex", "en-US"),
            ("english (america)+alex", "en-US"),
            ("English (America)", "en-US"),
            ("German", "de"),
            ("German+Max", "de"),
            ("Dansk", "da"),
        ]
        .map(|(n, l)| (n.to_owned(), l.to_owned()))
        .into();
        let with = |voice: Option<&str>, language: &str| SystemSettings {
            rate_wpm: 170,
            pitch: 50,
            gain: 1.0,
            voice: voice.map(str::to_owned),
            language: language.to_owned(),
        };
        let pick_of = |v, l| pick(&listed, &with(v, l));
        assert_eq!(pick_of(Some("english (america)+alex"), "en"), Ok(1));
        assert_eq!(pick_of(Some("ENGLISH (AMERICA)+ALEX"), "en"), Ok(0));
        assert_eq!(pick_of(Some(" English (America) "), "en"), Ok(2));
        assert_eq!(
            pick_of(Some("dansk"), "de"),
            Ok(5),
            "a name wins over the language"
        );
        // A language tag as `voices` shows it: its voice without a variant.
        assert_eq!(pick_of(Some("EN-US"), "de"), Ok(2));
        assert_eq!(pick_of(Some("da"), "en"), Ok(5));
        assert!(
            pick_of(Some("Dansk+"), "en")
                .unwrap_err()
                .contains("no voice named")
        );
        assert!(pick_of(Some(""), "en").is_err());
        // No name: the first voice of the routine's primary language.
        assert_eq!(pick_of(None, "de-AT"), Ok(3));
        assert_eq!(pick_of(None, "da"), Ok(5));
        assert!(
            pick_of(None, "fi")
                .unwrap_err()
                .contains("no voice for the language \"fi\"")
        );
    }

    #[test]
    fn the_daemons_socket_is_found_as_libspeechd_finds_it() {
        let rt = || Some(PathBuf::from("/run/user/7"));
        let default = Some(PathBuf::from("/run/user/7/speech-dispatcher/speechd.sock"));
        assert_eq!(socket_of(None, rt()), default);
        assert_eq!(socket_of(Some("unix_socket"), rt()), default);
        assert_eq!(
            socket_of(Some("unix_socket:/tmp/x/speechd.sock"), rt()),
            Some(PathBuf::from("/tmp/x/speechd.sock"))
        );
        assert_eq!(socket_of(Some("inet_socket:localhost:6560"), rt()), None);
        assert_eq!(socket_of(None, None), None);
    }

    /// A real listener: there, it answers; closed (its file left behind) or never there, the
    /// daemon is gone; a listening process that is stopped is told too. (A daemon that forks
    /// after listening, as speech-dispatcher does, is found through /proc: the system-voice
    /// tests freeze a real one.)
    #[test]
    fn the_probe_tells_a_listening_daemon_from_a_gone_or_stopped_one() {
        let dir = std::env::temp_dir().join(format!("hipvoice-probe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("s.sock");
        let _ = std::fs::remove_file(&sock);
        let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let mut here = Daemon::new(sock.clone());
        assert_eq!(here.probe(), Ok(()));
        assert_eq!(here.pid, Some(Some(std::process::id() as i32)));
        drop(listener);
        assert!(sock.exists());
        assert_eq!(here.probe(), Err("speech-dispatcher is gone".to_owned()));
        assert_eq!(
            Daemon::new(dir.join("none.sock")).probe(),
            Err("speech-dispatcher is gone".to_owned())
        );
        // Another process listens, then is stopped.
        let other = dir.join("other.sock");
        let _ = std::fs::remove_file(&other);
        let script = "import socket,sys,time\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen(8)\nprint('up',flush=True)\ntime.sleep(60)";
        let mut child = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&other)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut up = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut up,
        )
        .unwrap();
        assert_eq!(up.trim(), "up");
        let mut other = Daemon::new(other);
        assert_eq!(other.probe(), Ok(()));
        let pid = child.id() as libc::pid_t;
        // SAFETY: signals to our own child.
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        // The stop is asynchronous: wait (bounded) until /proc says so.
        let mut told = Ok(());
        for _ in 0..200 {
            told = other.probe();
            if told.is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(told, Err("speech-dispatcher is stopped".to_owned()));
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
