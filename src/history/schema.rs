//! The history file's schema and its migrations (`rusqlite_migration`, which keeps the
//! schema's version in SQLite's `user_version` and runs each migration in a transaction of its
//! own). A migration once released is never edited: a change is a new one at the end, so the
//! file of any earlier hipvoice is brought up to date, and a file written by a newer hipvoice
//! (a version past the last migration here) is refused, never written to.
//!
//! Times are milliseconds since the Unix epoch (UTC), with the local time's offset from UTC in
//! seconds beside each session's start, so a session is shown at the hour it was played.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

/// Version 1: sessions, and the exercises played in each.
const V1: &str = "
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    utc_offset_secs INTEGER NOT NULL,
    -- The routine's source: 'builtin:ID', or 'file:' and the file's canonical path.
    routine_key TEXT NOT NULL,
    routine_id TEXT NOT NULL,
    title TEXT NOT NULL,
    -- CRC-64 (ECMA-182) of the routine's text, in hex: an edited file has another.
    content_crc64 TEXT NOT NULL,
    voice TEXT NOT NULL,
    rate_wpm INTEGER NOT NULL,
    -- The exercise a resumed session went on from, else NULL.
    resumed_from TEXT,
    ended_ms INTEGER,
    -- 'finished', 'stopped', 'interrupted', 'device-lost'; NULL while it plays, and for a
    -- session whose process was killed.
    ending TEXT
) STRICT;
CREATE INDEX sessions_by_routine ON sessions (routine_id, started_ms);
CREATE TABLE exercises (
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    -- 1, 2, ... in the order played; an exercise played again (back, a circuit's next round)
    -- has a row of its own.
    seq INTEGER NOT NULL,
    exercise TEXT NOT NULL,
    name TEXT NOT NULL,
    round INTEGER,
    -- The dose played and why it was chosen.
    reps INTEGER NOT NULL,
    sets INTEGER NOT NULL,
    hold_secs REAL NOT NULL,
    -- 'none', 'both' or 'alternating'.
    sides TEXT NOT NULL,
    dose_reason TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    -- Reps played to their end (not skipped), on each side or with none.
    reps_left INTEGER NOT NULL DEFAULT 0,
    reps_right INTEGER NOT NULL DEFAULT 0,
    reps_unsided INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, seq)
) STRICT;
";

/// Version 2: the answers to the pain check-in, each about one session (the last one before it).
const V2: &str = "
CREATE TABLE checkins (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    at_ms INTEGER NOT NULL,
    -- 1: the pain lasted longer than the routine's pain rule allows (1 hour in the article).
    pain_lasted INTEGER NOT NULL CHECK (pain_lasted IN (0, 1)),
    -- 0 to 10, when given.
    rating INTEGER CHECK (rating BETWEEN 0 AND 10),
    -- How it was answered: 'command' (hipvoice checkin).
    source TEXT NOT NULL
) STRICT;
CREATE INDEX checkins_by_session ON checkins (session_id, at_ms);
";

const MIGRATIONS: &[M<'static>] = &[M::up(V1), M::up(V2)];

/// The newest schema version this hipvoice writes.
pub const VERSION: usize = MIGRATIONS.len();

/// Brings the file's schema up to [`VERSION`]. Errors: SQLite's, or a file of a newer hipvoice
/// (`MigrationDefinitionError::DatabaseTooFarAhead`).
pub fn migrate(c: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    Migrations::from_slice(MIGRATIONS).to_latest(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migrations_are_valid_and_run_once() {
        Migrations::from_slice(MIGRATIONS).validate().unwrap();
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        migrate(&mut c).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, VERSION as i64);
    }

    #[test]
    fn a_file_of_a_newer_hipvoice_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        c.pragma_update(None, "user_version", VERSION as i64 + 1)
            .unwrap();
        let e = migrate(&mut c).unwrap_err();
        assert!(
            matches!(
                e,
                rusqlite_migration::Error::MigrationDefinition(
                    rusqlite_migration::MigrationDefinitionError::DatabaseTooFarAhead
                )
            ),
            "{e:?}"
        );
    }
}
