//! The embedded voice kept in a worker process, so that espeak-ng dying never takes hipvoice
//! with it. espeak-ng 1.51 aborts the whole process on some text (its own "buffer overflow
//! detected" on a run of `s'`, espeak-ng PR #2495) and on long voice variants (a fixed 40-byte
//! buffer, espeakup #9): in a worker, such a line is an error of that line.
//!
//! The worker is this same executable started with [`ARG`]; it speaks on its standard input
//! and output, one request and one reply at a time, and says [`HELLO`] first. One worker serves
//! the whole process, behind one lock (espeak-ng is one global engine either way), and sees
//! exactly the calls an in-process engine would, in the same order, so it gives the same
//! samples. When it dies mid-request, that request fails (naming the signal), and the next one
//! starts a new worker. A fork of the process (a fuzzer's fork server) never uses the worker
//! it inherited, whose pipes it shares with its parent: it starts its own. When no worker can
//! be started (a test binary is not hipvoice), the engine runs in-process, as before.
//!
//! Messages, little-endian: a request is an op byte ([`Op`]), the settings (voice as a string,
//! rate and pitch as `u32`), and for [`Op::Synth`] the text; a string is a `u32` byte length
//! and its UTF-8. A reply is a status byte (0 ok, 1 the voice could not start, 2 the line
//! could not be said) and then: for `New`, the sample rate (`u32`); for `Synth`, the count of
//! samples (`u32`) and each as `f32`; for `Language`, a string; for an error, its text.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::{Mutex, OnceLock};

use super::VoiceError;
use super::engine::{EspeakSettings, in_process};

/// The first argument that makes hipvoice a voice worker.
pub const ARG: &str = "__voice-worker";
/// What a worker writes before anything else: a process that does not is no worker.
pub const HELLO: &[u8; 16] = b"hipvoice-voice1\n";
/// The longest line or voice name a request may carry (bytes): far over any routine's limit.
const MAX_STRING: u32 = 1 << 20;
/// The most samples a reply may carry: ten minutes of speech at 22050 Hz.
const MAX_SAMPLES: u32 = 22050 * 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Op {
    /// Start a voice with these settings (synthesising a first word, as in-process).
    New = 1,
    /// Say a line.
    Synth = 2,
    /// The language the voice reads with.
    Language = 3,
}

impl Op {
    fn from_byte(b: u8) -> Option<Op> {
        [Op::New, Op::Synth, Op::Language]
            .into_iter()
            .find(|op| *op as u8 == b)
    }
}

struct Conn {
    /// The process that started this worker (`std::process::id`): a fork of it shares these
    /// pipes and must not use them.
    owner: u32,
    child: Child,
    to: BufWriter<ChildStdin>,
    from: BufReader<ChildStdout>,
}

/// The worker of this process, started on first use and again after it died.
pub(super) struct Worker {
    exe: PathBuf,
    conn: Mutex<Option<Conn>>,
}

static WORKER: OnceLock<Option<Worker>> = OnceLock::new();

/// The process's worker, if one can be started (checked once): this executable, or the one
/// `HIPVOICE_VOICE_WORKER_EXE` names.
pub(super) fn get() -> Option<&'static Worker> {
    WORKER
        .get_or_init(|| {
            let exe = match std::env::var_os("HIPVOICE_VOICE_WORKER_EXE") {
                Some(p) if !p.is_empty() => PathBuf::from(p),
                _ => std::env::current_exe().ok()?,
            };
            start(exe)
        })
        .as_ref()
}

fn start(exe: PathBuf) -> Option<Worker> {
    let w = Worker {
        exe,
        conn: Mutex::new(None),
    };
    let first = w.spawn().ok()?;
    *w.conn.lock().ok()? = Some(first);
    Some(w)
}

/// Makes `exe` (a hipvoice binary) this process's worker, before any voice is made: for test
/// and benchmark binaries, which cannot be workers themselves. True when the worker answered
/// (or one was already running).
pub fn start_with(exe: impl Into<PathBuf>) -> bool {
    let exe = exe.into();
    WORKER.get_or_init(|| start(exe)).is_some()
}

/// True when the embedded voice runs in a worker process in this process's session.
pub fn contained() -> bool {
    get().is_some()
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn get_u32(r: &mut impl Read) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn get_str(r: &mut impl Read) -> std::io::Result<String> {
    let n = get_u32(r)?;
    if n > MAX_STRING {
        return Err(std::io::Error::other("a string too long"));
    }
    let mut b = vec![0u8; n as usize];
    r.read_exact(&mut b)?;
    String::from_utf8(b).map_err(std::io::Error::other)
}

fn request(op: Op, s: &EspeakSettings, text: Option<&str>) -> Vec<u8> {
    let mut out = vec![op as u8];
    put_str(&mut out, &s.voice);
    out.extend_from_slice(&s.rate_wpm.to_le_bytes());
    out.extend_from_slice(&s.pitch.to_le_bytes());
    if let Some(t) = text {
        put_str(&mut out, t);
    }
    out
}

/// What a reply holds when its status is ok.
enum Reply {
    Rate(u32),
    Samples(Vec<f32>),
    Language(String),
}

/// How a worker ended: "killed by signal 6, SIGABRT", "ended with exit status: 1".
fn ending(child: &mut Child) -> String {
    use std::os::unix::process::ExitStatusExt;
    // It is dead or dying: a pipe closed. Make sure, then collect it.
    let _ = child.kill();
    match child.wait() {
        Ok(st) => match st.signal() {
            Some(6) => "killed by signal 6, SIGABRT".to_owned(),
            Some(11) => "killed by signal 11, SIGSEGV".to_owned(),
            Some(9) => "killed by signal 9, SIGKILL".to_owned(),
            Some(n) => format!("killed by signal {n}"),
            None => format!("ended with {st}"),
        },
        Err(e) => format!("lost ({e})"),
    }
}

impl Worker {
    fn spawn(&self) -> std::io::Result<Conn> {
        let mut child = Command::new(&self.exe)
            .arg(ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // espeak-ng's own last words ("*** buffer overflow detected ***") are not ours to
            // print: the error that names the line says what happened.
            .stderr(Stdio::null())
            .spawn()?;
        let to = BufWriter::new(child.stdin.take().expect("piped"));
        let mut from = BufReader::new(child.stdout.take().expect("piped"));
        let mut hello = [0u8; 16];
        if from.read_exact(&mut hello).is_err() || &hello != HELLO {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("not a voice worker"));
        }
        Ok(Conn {
            owner: std::process::id(),
            child,
            to,
            from,
        })
    }

    /// Sends one request and reads its reply. A worker that dies on it is collected and the
    /// request fails with [`VoiceError::Crashed`]; the next request starts a new one.
    fn call(&self, op: Op, s: &EspeakSettings, text: Option<&str>) -> Result<Reply, VoiceError> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| VoiceError::Init("the speech engine failed earlier".into()))?;
        if guard
            .as_ref()
            .is_some_and(|c| c.owner != std::process::id())
        {
            // This process is a fork of the one that started the worker (AFL's fork server
            // forks the fuzz target after it made its voice): the worker and its pipes are
            // shared with the parent and every other fork, so a reply read here could be the
            // answer to another's request (one killed mid-request leaves its reply in the
            // pipe). Leave that worker to its owner, unkilled, and start one of our own.
            drop(guard.take());
        }
        if guard.is_none() {
            let fresh = self.spawn().map_err(|e| {
                VoiceError::Init(format!("the speech worker could not start again: {e}"))
            })?;
            *guard = Some(fresh);
        }
        let conn = guard.as_mut().expect("started above");
        let msg = request(op, s, text);
        let got = conn
            .to
            .write_all(&msg)
            .and_then(|()| conn.to.flush())
            .and_then(|()| read_reply(op, &mut conn.from));
        match got {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(e)) => Err(match e {
                (1, m) => VoiceError::Init(m),
                (_, m) => VoiceError::Synth {
                    text: text.unwrap_or_default().to_owned(),
                    reason: m,
                },
            }),
            Err(_) => {
                let mut dead = guard.take().expect("held");
                let how = ending(&mut dead.child);
                Err(VoiceError::Crashed {
                    text: text.unwrap_or(&s.voice).to_owned(),
                    how,
                })
            }
        }
    }

    /// Starts a voice (see [`super::Espeak::new`]); its sample rate.
    pub(super) fn new_voice(&self, s: &EspeakSettings) -> Result<u32, VoiceError> {
        match self.call(Op::New, s, None)? {
            Reply::Rate(r) => Ok(r),
            _ => Err(VoiceError::Init(
                "the speech worker answered out of turn".into(),
            )),
        }
    }

    pub(super) fn synthesize(
        &self,
        s: &EspeakSettings,
        text: &str,
    ) -> Result<Vec<f32>, VoiceError> {
        match self.call(Op::Synth, s, Some(text))? {
            Reply::Samples(v) => Ok(v),
            _ => Err(VoiceError::Init(
                "the speech worker answered out of turn".into(),
            )),
        }
    }

    pub(super) fn language(&self, s: &EspeakSettings) -> Result<String, VoiceError> {
        match self.call(Op::Language, s, None)? {
            Reply::Language(l) => Ok(l),
            _ => Err(VoiceError::Init(
                "the speech worker answered out of turn".into(),
            )),
        }
    }
}

/// A reply: the value, or the worker's error (its status and text). An I/O error means the
/// worker is gone.
fn read_reply(op: Op, r: &mut impl Read) -> std::io::Result<Result<Reply, (u8, String)>> {
    let mut status = [0u8; 1];
    r.read_exact(&mut status)?;
    if status[0] != 0 {
        return Ok(Err((status[0], get_str(r)?)));
    }
    Ok(Ok(match op {
        Op::New => Reply::Rate(get_u32(r)?),
        Op::Language => Reply::Language(get_str(r)?),
        Op::Synth => {
            let n = get_u32(r)?;
            if n > MAX_SAMPLES {
                return Err(std::io::Error::other("a reply too long"));
            }
            let mut bytes = vec![0u8; n as usize * 4];
            r.read_exact(&mut bytes)?;
            Reply::Samples(
                bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
            )
        }
    }))
}

/// The worker's side: reads requests from standard input until it closes, answers each on
/// standard output with the in-process engine. What `hipvoice __voice-worker` runs.
pub fn serve() -> ExitCode {
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = BufWriter::new(std::io::stdout().lock());
    if output
        .write_all(HELLO)
        .and_then(|()| output.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    loop {
        let mut op = [0u8; 1];
        if input.read_exact(&mut op).is_err() {
            return ExitCode::SUCCESS; // the parent is done
        }
        let Ok(reply) = answer(op[0], &mut input) else {
            return ExitCode::FAILURE;
        };
        if output
            .write_all(&reply)
            .and_then(|()| output.flush())
            .is_err()
        {
            return ExitCode::FAILURE;
        }
    }
}

/// One request read and answered.
fn answer(op: u8, input: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let settings = EspeakSettings {
        voice: get_str(input)?,
        rate_wpm: get_u32(input)?,
        pitch: get_u32(input)?,
    };
    let mut out = Vec::new();
    let fail = |out: &mut Vec<u8>, e: VoiceError| {
        let (status, text) = match e {
            VoiceError::Init(m) => (1, m),
            VoiceError::Synth { reason, .. } => (2, reason),
            VoiceError::Crashed { how, .. } => (2, how),
        };
        out.push(status);
        put_str(out, &text);
    };
    match Op::from_byte(op) {
        Some(Op::New) => match in_process::new(&settings) {
            Ok(rate) => {
                out.push(0);
                out.extend_from_slice(&rate.to_le_bytes());
            }
            Err(e) => fail(&mut out, e),
        },
        Some(Op::Synth) => {
            let text = get_str(input)?;
            match in_process::synthesize(&settings, &text) {
                Ok(v) => {
                    out.push(0);
                    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
                    out.reserve(v.len() * 4);
                    for s in v {
                        out.extend_from_slice(&s.to_le_bytes());
                    }
                }
                Err(e) => fail(&mut out, e),
            }
        }
        Some(Op::Language) => match in_process::language(&settings) {
            Ok(l) => {
                out.push(0);
                put_str(&mut out, &l);
            }
            Err(e) => fail(&mut out, e),
        },
        None => return Err(std::io::Error::other("an unknown request")),
    }
    Ok(out)
}
