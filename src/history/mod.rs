//! The person's history: every session played, finished or not, in a SQLite file of their own
//! (`$XDG_DATA_HOME/hipvoice/history.sqlite3`). It stays on the machine, only its owner can read
//! it (mode 0600, in a folder of mode 0700), and `history = false` in the config turns it off.
//!
//! - [`open_in`] opens the file: WAL, `synchronous = FULL` (a transaction committed is on the
//!   disk, so a killed process or a power cut keeps every earlier record and a readable file),
//!   `secure_delete` (what `--forget` deletes is overwritten, not left in free pages), the
//!   schema brought up to date ([`schema`]). A file that is not a database, or is damaged, is
//!   moved aside under a new name and a new one started: never emptied or overwritten.
//! - A [`Recorder`] writes one session on a thread of its own, one transaction per event (the
//!   session begun, a step reached, the session ended), so a write never delays a cue.
//! - [`report`] reads it back for `hipvoice history`: plain lines, JSON, CSV.

pub mod command;
pub mod dose;
pub mod pick;
pub mod report;
mod schema;

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, params};

use crate::plan::SideName;
use crate::plan::step::{Phase, Step};
use crate::routine::{Origin, Routine, Sides};

pub use schema::VERSION;

/// The history file's name in its folder.
pub const FILE: &str = "history.sqlite3";

/// The history folder, `$XDG_DATA_HOME/hipvoice`, if the platform has one.
pub fn dir() -> Option<PathBuf> {
    crate::dirs::data()
}

/// Why the history could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot make the folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} was written by a newer hipvoice; this one leaves it as it is")]
    Newer { path: String },
    #[error("{path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("{path}: its schema could not be brought up to date: {reason}")]
    Schema { path: String, reason: String },
    /// `hipvoice history NAME` where no routine is named NAME and no session was recorded
    /// under that name.
    #[error("no routine is named {name}, and no session of that name is recorded")]
    Unknown { name: String },
    #[error("{path} is damaged and could not be moved aside: {source}")]
    MoveAside {
        path: String,
        source: std::io::Error,
    },
}

/// An open history file.
pub struct History {
    pub conn: Connection,
    /// The file.
    pub path: PathBuf,
    /// Where a damaged file found at [`History::path`] was moved to, when one was.
    pub moved_aside: Option<PathBuf>,
}

impl History {
    /// Says on stderr, once, where a damaged file found in its place was moved.
    pub fn tell_moved_aside(&self) {
        if let Some(aside) = &self.moved_aside {
            eprintln!(
                "hipvoice: the history file was damaged; it was moved to {} and a new one started",
                aside.display()
            );
        }
    }
}

/// Opens (or creates) the history file in `dir`. Errors: the folder or the file cannot be made
/// or written (a read-only disk), a file of a newer hipvoice, SQLite's own.
pub fn open_in(dir: &Path) -> Result<History, HistoryError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| HistoryError::Folder {
            path: dir.display().to_string(),
            source,
        })?;
    let path = dir.join(FILE);
    match connect(&path) {
        Ok(conn) => Ok(History {
            conn,
            path,
            moved_aside: None,
        }),
        Err(Broken::Damaged(_)) => {
            let aside = move_aside(&path)?;
            let conn = connect(&path).map_err(|b| b.into_error(&path))?;
            Ok(History {
                conn,
                path,
                moved_aside: Some(aside),
            })
        }
        Err(b) => Err(b.into_error(&path)),
    }
}

/// Why [`connect`] failed: the file is not a sound database (move it aside), or another reason.
enum Broken {
    Damaged(rusqlite::Error),
    Io(std::io::Error),
    Newer,
    Schema(String),
    Other(rusqlite::Error),
}

impl Broken {
    fn into_error(self, path: &Path) -> HistoryError {
        let path = path.display().to_string();
        match self {
            Broken::Damaged(source) | Broken::Other(source) => {
                HistoryError::Sqlite { path, source }
            }
            Broken::Io(source) => HistoryError::File { path, source },
            Broken::Newer => HistoryError::Newer { path },
            Broken::Schema(reason) => HistoryError::Schema { path, reason },
        }
    }
}

fn sqlite(e: rusqlite::Error) -> Broken {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Broken::Damaged(e),
        _ => Broken::Other(e),
    }
}

fn connect(path: &Path) -> Result<Connection, Broken> {
    // The file is made 0600 before SQLite opens it (its -wal and -shm files take the same
    // mode), and an older file is made 0600 again.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .and_then(|f| f.set_permissions(std::fs::Permissions::from_mode(0o600)))
        .map_err(Broken::Io)?;
    let mut c = Connection::open(path).map_err(sqlite)?;
    c.busy_timeout(Duration::from_secs(5)).map_err(sqlite)?;
    let check: String = c
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(sqlite)?;
    if check != "ok" {
        return Err(Broken::Damaged(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(check),
        )));
    }
    let _: String = c
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(sqlite)?;
    c.pragma_update(None, "synchronous", "FULL")
        .map_err(sqlite)?;
    c.pragma_update(None, "foreign_keys", true)
        .map_err(sqlite)?;
    c.pragma_update(None, "secure_delete", true)
        .map_err(sqlite)?;
    match schema::migrate(&mut c) {
        Ok(()) => Ok(c),
        Err(rusqlite_migration::Error::MigrationDefinition(
            rusqlite_migration::MigrationDefinitionError::DatabaseTooFarAhead,
        )) => Err(Broken::Newer),
        Err(rusqlite_migration::Error::RusqliteError { err, .. }) => Err(sqlite(err)),
        Err(e) => Err(Broken::Schema(e.to_string())),
    }
}

/// Renames a damaged file (and its -wal and -shm) to `history.sqlite3.damaged-SECONDS`: kept
/// for the person (or a tool) to look at, never deleted.
fn move_aside(path: &Path) -> Result<PathBuf, HistoryError> {
    let stamp = crate::resume::now();
    let mut aside = path.with_extension(format!("sqlite3.damaged-{stamp}"));
    let mut n = 1;
    while aside.exists() {
        aside = path.with_extension(format!("sqlite3.damaged-{stamp}-{n}"));
        n += 1;
    }
    std::fs::rename(path, &aside).map_err(|source| HistoryError::MoveAside {
        path: path.display().to_string(),
        source,
    })?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        if side.exists() {
            let _ = std::fs::rename(&side, format!("{}{suffix}", aside.display()));
        }
    }
    Ok(aside)
}

/// The history file in `dir` opened for reading only, if there is one: nothing is created or
/// changed, and any problem is the same as no history. On a read-only disk, where SQLite
/// cannot make the WAL's shared-memory file, the file is read as immutable (what its last
/// checkpoint and WAL hold cannot change under us there).
fn read_only(dir: &Path) -> Option<Connection> {
    use rusqlite::OpenFlags;
    let path = dir.join(FILE);
    if !path.is_file() {
        return None;
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let readable = |c: Connection| {
        c.busy_timeout(Duration::from_secs(2)).ok()?;
        c.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .ok()?;
        Some(c)
    };
    Connection::open_with_flags(&path, flags)
        .ok()
        .and_then(readable)
        .or_else(|| {
            let mut uri = url_path(&path);
            uri.insert_str(0, "file:");
            uri.push_str("?immutable=1");
            Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
                .ok()
                .and_then(readable)
        })
}

/// `path` with the characters a SQLite URI gives a meaning to (`%`, `?`, `#`) escaped.
fn url_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

/// Milliseconds since the Unix epoch, now.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A routine's source as the history keys it: `builtin:ID`, or `file:` and the file's
/// canonical path (a copy of a built-in is another routine), and the CRC-64 of its text.
pub fn source_of(r: &Routine) -> (String, String) {
    let crc = crc::Crc::<u64>::new(&crc::CRC_64_ECMA_182);
    match &r.origin {
        Origin::Builtin => {
            let text = crate::routine::builtin_source(&r.id).map_or("", |b| b.text);
            (
                format!("builtin:{}", r.id),
                format!("{:016x}", crc.checksum(text.as_bytes())),
            )
        }
        Origin::File(p) => {
            let canon = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            let bytes = crate::files::read_limited(p, 16 << 20).unwrap_or_default();
            (
                format!("file:{}", canon.display()),
                format!("{:016x}", crc.checksum(&bytes)),
            )
        }
    }
}

/// What is recorded when a session begins.
#[derive(Debug, Clone)]
pub struct Begin {
    pub routine_key: String,
    pub routine_id: String,
    pub title: String,
    pub content_crc64: String,
    pub voice: String,
    pub rate_wpm: u32,
    /// The exercise a resumed session goes on from.
    pub resumed_from: Option<String>,
    /// The dose of each exercise, by id.
    pub doses: Vec<Dose>,
}

/// An exercise's dose as played, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Dose {
    pub exercise: String,
    pub name: String,
    pub reps: u32,
    pub sets: u32,
    pub hold_secs: f64,
    /// `none`, `both` or `alternating`.
    pub sides: &'static str,
    /// Why this dose: "the routine's dose", "the start of the routine's range, 8 to 12".
    pub reason: String,
}

impl Begin {
    /// The record of a session of `r` played with `voice` at `rate_wpm`.
    pub fn new(r: &Routine, voice: &str, rate_wpm: u32, resumed_from: Option<String>) -> Begin {
        let (routine_key, content_crc64) = source_of(r);
        let doses = r
            .exercises
            .iter()
            .map(|e| {
                let ranged = e.reps.min != e.reps.max;
                Dose {
                    exercise: e.id.clone(),
                    name: e.name.clone(),
                    reps: e.reps.value,
                    sets: e.sets.value,
                    hold_secs: e.hold_secs.value,
                    sides: match e.sides {
                        Sides::None => "none",
                        Sides::Both => "both",
                        Sides::Alternating => "alternating",
                    },
                    reason: if let Some(n) = &e.dose_note {
                        n.reason.clone()
                    } else if ranged {
                        format!(
                            "the start of the routine's range, {} to {} reps",
                            e.reps.min, e.reps.max
                        )
                    } else {
                        "the routine's dose".to_owned()
                    },
                }
            })
            .collect();
        Begin {
            routine_key,
            routine_id: r.id.clone(),
            title: r.title.clone(),
            content_crc64,
            voice: voice.to_owned(),
            rate_wpm,
            resumed_from,
            doses,
        }
    }
}

/// How a recorded session ended, as the history writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Finished,
    Stopped,
    Interrupted,
    DeviceLost,
}

impl Ending {
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::Finished => "finished",
            Ending::Stopped => "stopped",
            Ending::Interrupted => "interrupted",
            Ending::DeviceLost => "device-lost",
        }
    }
}

enum Msg {
    Reached { step: Step, played: bool, at: i64 },
    End { ending: Ending, at: i64 },
}

/// One session's record, written on a thread of its own. Dropped without [`Recorder::end`]
/// (an error ended the session), the session stays without an ending, as a killed one does.
pub struct Recorder {
    tx: Option<Sender<Msg>>,
    done: Receiver<()>,
    session: i64,
}

/// How long [`Recorder::end`] waits for the last writes (a disk that hangs never holds the
/// process).
const END_WAIT: Duration = Duration::from_secs(3);

impl Recorder {
    /// Records that a session begins (written before this returns, so an error is known at
    /// once) and starts the thread that writes the rest. Errors: SQLite's (a full disk).
    pub fn start(h: History, begin: Begin) -> Result<Recorder, HistoryError> {
        let History { mut conn, path, .. } = h;
        let err = |source| HistoryError::Sqlite {
            path: path.display().to_string(),
            source,
        };
        let offset = chrono::Local::now().offset().local_minus_utc();
        let session = {
            let tx = conn.transaction().map_err(err)?;
            tx.execute(
                "INSERT INTO sessions (started_ms, utc_offset_secs, routine_key, routine_id, \
                 title, content_crc64, voice, rate_wpm, resumed_from) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    now_ms(),
                    offset,
                    begin.routine_key,
                    begin.routine_id,
                    begin.title,
                    begin.content_crc64,
                    begin.voice,
                    begin.rate_wpm,
                    begin.resumed_from,
                ],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            tx.commit().map_err(err)?;
            id
        };
        let (tx, rx) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let mut w = Writer {
            conn,
            session,
            doses: begin.doses,
            seq: 0,
            current: None,
            last_rep: None,
            failed: false,
        };
        std::thread::Builder::new()
            .name("history".into())
            .spawn(move || {
                for m in rx {
                    w.apply(m);
                }
                let _ = done_tx.send(());
            })
            .map_err(|e| HistoryError::File {
                path: path.display().to_string(),
                source: e,
            })?;
        Ok(Recorder {
            tx: Some(tx),
            done,
            session,
        })
    }

    /// The session's row id.
    pub fn session(&self) -> i64 {
        self.session
    }

    /// The session reached `step`: by playing into it (`played`), or by a move (next, back,
    /// a resume), which leaves the rep before it not done. Never blocks.
    pub fn reached(&self, step: &Step, played: bool) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Reached {
                step: step.clone(),
                played,
                at: now_ms(),
            });
        }
    }

    /// Records how the session ended and waits (at most [`END_WAIT`]) for every write.
    pub fn end(mut self, ending: Ending) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::End {
                ending,
                at: now_ms(),
            });
        }
        let _ = self.done.recv_timeout(END_WAIT);
    }
}

/// The writer thread's state: which row is the exercise playing, and the rep that played last.
struct Writer {
    conn: Connection,
    session: i64,
    doses: Vec<Dose>,
    /// Rows of `exercises` made so far in this session.
    seq: i64,
    /// The exercise playing: its row, id and round.
    current: Option<(i64, String, Option<u32>)>,
    /// The rep that played last (its row and side): done when the step after it is played into.
    last_rep: Option<(i64, Option<SideName>)>,
    /// A write failed (a full disk): the rest of the session is not recorded, told once.
    failed: bool,
}

impl Writer {
    fn apply(&mut self, m: Msg) {
        if self.failed {
            return;
        }
        let r = match m {
            Msg::Reached { step, played, at } => self.reached(&step, played, at),
            Msg::End { ending, at } => self.end(ending, at),
        };
        if let Err(e) = r {
            self.failed = true;
            eprintln!(
                "hipvoice: could not write to the history (the rest of this session is not recorded): {e}"
            );
        }
    }

    fn reached(&mut self, step: &Step, played: bool, at: i64) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        if let Some((row, side)) = self.last_rep.take()
            && played
        {
            let column = match side {
                Some(SideName::Left) => "reps_left",
                Some(SideName::Right) => "reps_right",
                None => "reps_unsided",
            };
            tx.execute(
                &format!(
                    "UPDATE exercises SET {column} = {column} + 1 WHERE session_id = ?1 AND seq = ?2"
                ),
                params![self.session, row],
            )?;
        }
        let exercise = match step.phase {
            Phase::Start | Phase::End | Phase::RoundRest => None,
            _ => step.owner.clone(),
        };
        let same = |c: &(i64, String, Option<u32>)| {
            exercise.as_deref() == Some(c.1.as_str()) && c.2 == step.round
        };
        if !self.current.as_ref().is_some_and(same) {
            if let Some((row, ..)) = self.current.take() {
                close(&tx, self.session, row, at)?;
            }
            if let Some(ex) = exercise {
                self.seq += 1;
                let d = self.doses.iter().find(|d| d.exercise == ex);
                tx.execute(
                    "INSERT INTO exercises (session_id, seq, exercise, name, round, reps, sets, \
                     hold_secs, sides, dose_reason, started_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    params![
                        self.session,
                        self.seq,
                        ex,
                        d.map_or(ex.as_str(), |d| d.name.as_str()),
                        step.round,
                        d.map_or(0, |d| d.reps),
                        d.map_or(0, |d| d.sets),
                        d.map_or(0.0, |d| d.hold_secs),
                        d.map_or("none", |d| d.sides),
                        d.map_or("", |d| d.reason.as_str()),
                        at,
                    ],
                )?;
                self.current = Some((self.seq, ex, step.round));
            }
        }
        if let (Phase::Rep { side, .. }, Some((row, ..))) = (step.phase, &self.current) {
            self.last_rep = Some((*row, side));
        }
        tx.commit()
    }

    fn end(&mut self, ending: Ending, at: i64) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        if let Some((row, ..)) = self.current.take() {
            close(&tx, self.session, row, at)?;
        }
        tx.execute(
            "UPDATE sessions SET ended_ms = ?1, ending = ?2 WHERE id = ?3",
            params![at, ending.as_str(), self.session],
        )?;
        tx.commit()
    }
}

fn close(tx: &rusqlite::Transaction<'_>, session: i64, row: i64, at: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE exercises SET ended_ms = ?1 WHERE session_id = ?2 AND seq = ?3 AND ended_ms IS NULL",
        params![at, session, row],
    )?;
    Ok(())
}

/// Deletes the sessions `routine` picks (every session with `None`); how many.
pub fn forget(conn: &Connection, routine: Option<&pick::Pick>) -> rusqlite::Result<usize> {
    match routine {
        Some(p) => {
            let (sql, args) = pick::picked(p);
            conn.execute(&format!("DELETE FROM sessions WHERE {sql}"), args)
        }
        None => conn.execute("DELETE FROM sessions", []),
    }
}

#[cfg(test)]
mod tests;
