//! `hipvoice history`: the sessions recorded, read back or forgotten.

use std::path::Path;

use chrono::{FixedOffset, Local, NaiveDate, TimeZone};

pub use super::pick::Pick;
use super::{FILE, HistoryError, report};

/// What `hipvoice history` was asked.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only this routine's sessions.
    pub routine: Option<Pick>,
    pub json: bool,
    pub csv: bool,
    /// Only the sessions from this local day on.
    pub since: Option<NaiveDate>,
    /// Delete the sessions of [`Query::routine`] (all of them with `all`).
    pub forget: bool,
    pub all: bool,
}

/// How the history command answers: its text, for stdout.
pub fn run(
    dir: &Path,
    q: &Query,
    frequency: impl Fn(&str) -> Option<String>,
) -> Result<String, HistoryError> {
    let path = dir.join(FILE);
    if !path.exists() {
        // Reading never makes a file: there is nothing to read or to forget.
        return Ok(if q.json {
            "[]\n".to_owned()
        } else if q.csv {
            report::csv(&[]).unwrap_or_default()
        } else if q.forget {
            "Nothing to forget: no session is recorded.\n".to_owned()
        } else {
            "No session is recorded yet. Play a routine, and it will be.\n".to_owned()
        });
    }
    let err = |source| HistoryError::Sqlite {
        path: path.display().to_string(),
        source,
    };
    // Reading needs no write: a file on a read-only disk is read as it is.
    let conn = match super::open_in(dir) {
        Ok(h) => {
            h.tell_moved_aside();
            h.conn
        }
        Err(e) if q.forget => return Err(e),
        Err(e) => super::read_only(dir).ok_or(e)?,
    };
    let mut out = String::new();
    let routine = if q.all { None } else { q.routine.as_ref() };
    if let Some(p @ Pick::Gone { .. }) = routine
        && super::report::count(&conn, p).map_err(err)? == 0
    {
        return Err(HistoryError::Unknown {
            name: p.label().to_owned(),
        });
    }
    if q.forget {
        let n = super::forget(&conn, routine).map_err(err)?;
        let what = match routine {
            Some(r) => format!(" of {}", r.label()),
            None => String::new(),
        };
        let sessions = if n == 1 { "session" } else { "sessions" };
        out.push_str(&format!("Deleted {n} {sessions}{what} from the history.\n"));
        return Ok(out);
    }
    let since_ms = q.since.and_then(|d| {
        Local
            .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
            .earliest()
            .map(|t| t.timestamp_millis())
    });
    let sessions = report::sessions(&conn, routine, since_ms).map_err(err)?;
    if q.json {
        out = serde_json::to_string_pretty(&sessions).unwrap_or_default();
        out.push('\n');
    } else if q.csv {
        out = report::csv(&sessions).map_err(|e| HistoryError::File {
            path: path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
    } else if sessions.is_empty() {
        out.push_str("No session recorded");
        if let Some(r) = routine {
            out.push_str(&format!(" of {}", r.label()));
        }
        if q.since.is_some() {
            out.push_str(" in that time");
        }
        out.push_str(".\n");
    } else {
        for s in &sessions {
            out.push_str(&report::line(s));
            out.push('\n');
        }
        let now = Local::now();
        let now = now.with_timezone(
            &FixedOffset::east_opt(now.offset().local_minus_utc())
                .unwrap_or(FixedOffset::east_opt(0).unwrap()),
        );
        for l in report::summary(&sessions, now, frequency) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    Ok(out)
}
