//! The history read back, for `hipvoice history`: one plain line per session for a screen
//! reader, JSON (sessions with their exercises) and CSV (RFC 4180 by the `csv` crate: one row
//! per exercise per session, for a spreadsheet or a physiotherapist).

use chrono::{DateTime, Datelike, FixedOffset, TimeZone, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::pick::{Pick, picked};

/// A recorded session with its exercises. Times are RFC 3339 in the offset the session was
/// played in ("2026-12-03T18:05:00+01:00").
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub id: i64,
    pub started: String,
    pub routine_id: String,
    /// `builtin:ID` or `file:PATH`.
    pub routine_key: String,
    pub title: String,
    pub content_crc64: String,
    pub voice: String,
    pub rate_wpm: u32,
    pub resumed_from: Option<String>,
    pub ended: Option<String>,
    /// `finished`, `stopped`, `interrupted`, `device-lost`; `null` for a session still playing
    /// or whose process was killed.
    pub ending: Option<String>,
    /// Seconds from the start to the end, or to the last thing recorded when there is no end.
    pub length_secs: f64,
    pub exercises: Vec<Exercise>,
    /// The pain check-in answers about this session, oldest first (the newest is the one the
    /// dose rule reads).
    pub checkins: Vec<CheckIn>,
    #[serde(skip)]
    started_ms: i64,
    #[serde(skip)]
    offset: FixedOffset,
}

/// An answer to the pain check-in about a session.
#[derive(Debug, Clone, Serialize)]
pub struct CheckIn {
    /// When it was answered, RFC 3339.
    pub at: String,
    /// The pain lasted longer than the routine's pain rule allows.
    pub pain_lasted: bool,
    /// 0 to 10, when given.
    pub rating: Option<u8>,
    /// How it was answered: `command` (`hipvoice checkin`) or `keys` (asked by voice).
    pub source: String,
}

impl CheckIn {
    /// "no", "yes", "no, rated 2 of 10": the answer, for the ear and for a spreadsheet.
    pub fn words(&self) -> String {
        let lasted = if self.pain_lasted { "yes" } else { "no" };
        match self.rating {
            Some(r) => format!("{lasted}, rated {r} of 10"),
            None => lasted.to_owned(),
        }
    }
}

/// An exercise as played in a session.
#[derive(Debug, Clone, Serialize)]
pub struct Exercise {
    pub seq: i64,
    pub exercise: String,
    pub name: String,
    pub round: Option<u32>,
    pub reps: u32,
    pub sets: u32,
    pub hold_secs: f64,
    pub sides: String,
    pub dose_reason: String,
    pub started: String,
    pub ended: Option<String>,
    /// Reps played to their end on each side, and with no side.
    pub reps_left: u32,
    pub reps_right: u32,
    pub reps_unsided: u32,
}

fn at(ms: i64, offset: FixedOffset) -> DateTime<FixedOffset> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .with_timezone(&offset)
}

fn rfc3339(ms: i64, offset: FixedOffset) -> String {
    at(ms, offset).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// How many sessions `p` picks.
pub fn count(conn: &Connection, p: &Pick) -> rusqlite::Result<i64> {
    let (sql, args) = picked(p);
    conn.query_row(
        &format!("SELECT count(*) FROM sessions WHERE {sql}"),
        args,
        |r| r.get(0),
    )
}

/// The sessions recorded, newest first: those `routine` picks, when given, and started at or
/// after `since_ms` when given.
pub fn sessions(
    conn: &Connection,
    routine: Option<&Pick>,
    since_ms: Option<i64>,
) -> rusqlite::Result<Vec<Session>> {
    let (pick, [a, b]) = routine.map_or(("1", ["", ""]), picked);
    let mut st = conn.prepare(&format!(
        "SELECT id, started_ms, utc_offset_secs, routine_id, routine_key, title, content_crc64, \
         voice, rate_wpm, resumed_from, ended_ms, ending FROM sessions \
         WHERE {pick} AND (?3 IS NULL OR started_ms >= ?3) AND ?1 IS NOT NULL AND ?2 IS NOT NULL \
         ORDER BY started_ms DESC, id DESC",
    ))?;
    let rows = st.query_map(params![a, b, since_ms], |r| {
        let started_ms: i64 = r.get(1)?;
        let offset = FixedOffset::east_opt(r.get(2)?).unwrap_or(FixedOffset::east_opt(0).unwrap());
        let ended_ms: Option<i64> = r.get(10)?;
        Ok((
            Session {
                id: r.get(0)?,
                started: rfc3339(started_ms, offset),
                routine_id: r.get(3)?,
                routine_key: r.get(4)?,
                title: r.get(5)?,
                content_crc64: r.get(6)?,
                voice: r.get(7)?,
                rate_wpm: r.get(8)?,
                resumed_from: r.get(9)?,
                ended: ended_ms.map(|e| rfc3339(e, offset)),
                ending: r.get(11)?,
                length_secs: 0.0,
                exercises: Vec::new(),
                checkins: Vec::new(),
                started_ms,
                offset,
            },
            ended_ms,
        ))
    })?;
    let mut out = Vec::new();
    let mut ex = conn.prepare(
        "SELECT seq, exercise, name, round, reps, sets, hold_secs, sides, dose_reason, \
         started_ms, ended_ms, reps_left, reps_right, reps_unsided \
         FROM exercises WHERE session_id = ?1 ORDER BY seq",
    )?;
    let mut answers = conn.prepare(
        "SELECT at_ms, pain_lasted, rating, source FROM checkins WHERE session_id = ?1 \
         ORDER BY at_ms, id",
    )?;
    for row in rows {
        let (mut s, ended_ms) = row?;
        let offset = s.offset;
        s.checkins = answers
            .query_map([s.id], |r| {
                Ok(CheckIn {
                    at: rfc3339(r.get(0)?, offset),
                    pain_lasted: r.get(1)?,
                    rating: r.get(2)?,
                    source: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut last = ended_ms.unwrap_or(s.started_ms);
        s.exercises = ex
            .query_map([s.id], |r| {
                let started_ms: i64 = r.get(9)?;
                let ended_ms: Option<i64> = r.get(10)?;
                Ok((
                    Exercise {
                        seq: r.get(0)?,
                        exercise: r.get(1)?,
                        name: r.get(2)?,
                        round: r.get(3)?,
                        reps: r.get(4)?,
                        sets: r.get(5)?,
                        hold_secs: r.get(6)?,
                        sides: r.get(7)?,
                        dose_reason: r.get(8)?,
                        started: rfc3339(started_ms, offset),
                        ended: ended_ms.map(|e| rfc3339(e, offset)),
                        reps_left: r.get(11)?,
                        reps_right: r.get(12)?,
                        reps_unsided: r.get(13)?,
                    },
                    ended_ms.unwrap_or(started_ms),
                ))
            })?
            .map(|r| {
                r.map(|(e, end)| {
                    last = last.max(end);
                    e
                })
            })
            .collect::<rusqlite::Result<_>>()?;
        s.length_secs = (last - s.started_ms).max(0) as f64 / 1000.0;
        out.push(s);
    }
    Ok(out)
}

/// How a session ended, for the ear.
fn ending_words(e: Option<&str>) -> &'static str {
    match e {
        Some("finished") => "finished",
        Some("stopped") => "stopped",
        Some("interrupted") => "stopped by a signal",
        Some("device-lost") => "the sound went away",
        _ => "not ended (still playing, or cut off)",
    }
}

/// What was done of an exercise, for the ear: "10 a side", "6 left, 4 right", "8 reps".
fn done_words(e: &Exercise) -> String {
    let name = match e.round {
        Some(r) => format!("{}, round {r}", e.name),
        None => e.name.clone(),
    };
    let sided = e.reps_left + e.reps_right;
    let n = crate::show::reps;
    if sided == 0 {
        if e.reps_unsided == 0 {
            format!("{name} not done")
        } else {
            format!("{name} {}", n(e.reps_unsided))
        }
    } else if e.reps_left == e.reps_right {
        format!("{name} {} a side", e.reps_left)
    } else {
        format!("{name} {} left, {} right", e.reps_left, e.reps_right)
    }
}

/// One session as a plain line: "Thursday 3 December, 18:05, Hip stretch, finished, 12
/// minutes: Knee lifts 10 a side, Butterfly 3 reps."
pub fn line(s: &Session) -> String {
    let when = at(s.started_ms, s.offset).format("%A %-d %B, %H:%M");
    let minutes = (s.length_secs / 60.0).round() as u64;
    let length = match minutes {
        0 => "under a minute".to_owned(),
        1 => "1 minute".to_owned(),
        m => format!("{m} minutes"),
    };
    let done: Vec<String> = s.exercises.iter().map(done_words).collect();
    let resumed = if s.resumed_from.is_some() {
        ", resumed"
    } else {
        ""
    };
    let pain = s
        .checkins
        .last()
        .map(|c| format!(" Pain after: {}.", c.words()))
        .unwrap_or_default();
    if done.is_empty() {
        format!(
            "{when}, {}{resumed}, {}, {length}, before the first exercise.",
            s.title,
            ending_words(s.ending.as_deref())
        )
    } else {
        format!(
            "{when}, {}{resumed}, {}, {length}: {}.{pain}",
            s.title,
            ending_words(s.ending.as_deref()),
            done.join(", ")
        )
    }
}

/// "today", "yesterday", "3 days ago": how long ago `then` was, in calendar days of `now`'s
/// offset.
pub fn days_ago(then: DateTime<FixedOffset>, now: DateTime<FixedOffset>) -> String {
    let days = (now.date_naive() - then.with_timezone(&now.timezone()).date_naive()).num_days();
    match days {
        ..=0 => "today".to_owned(),
        1 => "yesterday".to_owned(),
        d => format!("{d} days ago"),
    }
}

/// Where the person stands with each routine in `sessions`, newest routine first: "Last Hip
/// stretch: 3 days ago. This week (since Monday): 2 sessions." and, where `frequency` knows the
/// routine's advice, "The routine says: a few times a week."
pub fn summary(
    sessions: &[Session],
    now: DateTime<FixedOffset>,
    frequency: impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    let monday =
        now.date_naive() - chrono::Days::new(u64::from(now.weekday().num_days_from_monday()));
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for s in sessions {
        if seen.contains(&s.routine_key.as_str()) {
            continue;
        }
        seen.push(&s.routine_key);
        let week = sessions
            .iter()
            .filter(|t| {
                t.routine_key == s.routine_key
                    && at(t.started_ms, now.timezone()).date_naive() >= monday
            })
            .count();
        let count = if week == 1 {
            "1 session".to_owned()
        } else {
            format!("{week} sessions")
        };
        let mut l = format!(
            "Last {}: {}. This week, since Monday: {count}.",
            s.title,
            days_ago(at(s.started_ms, s.offset), now)
        );
        if let Some(f) = frequency(&s.routine_id) {
            l.push_str(&format!(" The routine says: {f}."));
        }
        out.push(l);
    }
    out
}

/// A text cell as a spreadsheet should show it: one that starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return would be read as a formula (CSV injection, OWASP), so it gets a leading
/// `'`, which spreadsheets show as text and hide.
fn text_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The sessions as CSV: a header, then one row per exercise per session (a session with no
/// exercise yet has one row with the exercise's columns empty). The session's pain check-in
/// (the newest answer about it) is on each of its rows. Text from routines (titles, names,
/// reasons) is kept from being read as a formula ([`text_cell`]).
pub fn csv(sessions: &[Session]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "session",
        "session_started",
        "routine",
        "title",
        "voice",
        "rate_wpm",
        "session_ended",
        "ending",
        "pain_after",
        "pain_rating",
        "checkin_at",
        "seq",
        "exercise",
        "name",
        "round",
        "started",
        "ended",
        "reps",
        "sets",
        "hold_secs",
        "sides",
        "dose_reason",
        "reps_left",
        "reps_right",
        "reps_unsided",
    ])?;
    for s in sessions {
        let answer = s.checkins.last();
        let head = [
            s.id.to_string(),
            s.started.clone(),
            text_cell(&s.routine_id),
            text_cell(&s.title),
            text_cell(&s.voice),
            s.rate_wpm.to_string(),
            s.ended.clone().unwrap_or_default(),
            s.ending.clone().unwrap_or_default(),
            answer
                .map(|c| if c.pain_lasted { "yes" } else { "no" }.to_owned())
                .unwrap_or_default(),
            answer
                .and_then(|c| c.rating)
                .map(|r| r.to_string())
                .unwrap_or_default(),
            answer.map(|c| c.at.clone()).unwrap_or_default(),
        ];
        if s.exercises.is_empty() {
            let mut row = head.to_vec();
            row.extend(std::iter::repeat_n(String::new(), 14));
            w.write_record(&row)?;
        }
        for e in &s.exercises {
            let mut row = head.to_vec();
            row.extend([
                e.seq.to_string(),
                text_cell(&e.exercise),
                text_cell(&e.name),
                e.round.map(|r| r.to_string()).unwrap_or_default(),
                e.started.clone(),
                e.ended.clone().unwrap_or_default(),
                e.reps.to_string(),
                e.sets.to_string(),
                e.hold_secs.to_string(),
                e.sides.clone(),
                text_cell(&e.dose_reason),
                e.reps_left.to_string(),
                e.reps_right.to_string(),
                e.reps_unsided.to_string(),
            ]);
            w.write_record(&row)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Where the person stands with a routine before a session: how many sessions of it were
/// played this week (since Monday, local time) and when the last one was. Only sessions that
/// reached an exercise count (one stopped in its opening is not a session done).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    pub this_week: usize,
    pub last: Option<DateTime<FixedOffset>>,
}

/// The [`Standing`] of the routine keyed `routine_key` (see [`super::source_of`]) at `now`.
pub fn standing(
    conn: &Connection,
    routine_key: &str,
    now: DateTime<FixedOffset>,
) -> rusqlite::Result<Standing> {
    let monday =
        now.date_naive() - chrono::Days::new(u64::from(now.weekday().num_days_from_monday()));
    let mut st = conn.prepare(
        "SELECT s.started_ms FROM sessions s WHERE s.routine_key = ?1 AND s.started_ms <= ?2 \
         AND EXISTS (SELECT 1 FROM exercises e WHERE e.session_id = s.id) \
         ORDER BY s.started_ms DESC",
    )?;
    let times: Vec<i64> = st
        .query_map(params![routine_key, now.timestamp_millis()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let tz = now.timezone();
    Ok(Standing {
        this_week: times
            .iter()
            .filter(|&&t| at(t, tz).date_naive() >= monday)
            .count(),
        last: times.first().map(|&t| at(t, tz)),
    })
}

/// The opening line for `standing`, in `ph`'s words: nothing before the first session;
/// "This is your third Hip stretch this week."; "Your last Hip stretch was yesterday.";
/// "Welcome back. Your last Hip stretch was twelve days ago." (seven days or more).
pub fn standing_line(
    ph: &crate::phrases::Phrases,
    title: &str,
    s: Standing,
    now: DateTime<FixedOffset>,
) -> Option<String> {
    use crate::phrases::fill;
    let last = s.last?;
    if s.this_week > 0 {
        let nth = s.this_week + 1;
        return Some(match ph.ordinals.get(nth) {
            Some(word) => fill(ph.this_week, &[("nth", word), ("title", title)]),
            None => fill(
                ph.this_week_number,
                &[("title", title), ("n", &ph.number(nth as u64))],
            ),
        });
    }
    let days = (now.date_naive() - last.date_naive()).num_days().max(1) as u64;
    let when = if days == 1 {
        ph.yesterday.to_owned()
    } else {
        fill(ph.days_ago, &[("days", &ph.number(days))])
    };
    let line = fill(ph.last_was, &[("title", title), ("when", &when)]);
    Some(if days >= 7 {
        format!("{} {line}", ph.welcome_back)
    } else {
        line
    })
}

/// The opening line for routine `r` now, read from the history file in `dir` without
/// changing it; `None` where there is no file, no earlier session, or it cannot be read (the
/// session plays the same without it).
pub fn opening_line(dir: &std::path::Path, r: &crate::routine::Routine) -> Option<String> {
    let conn = super::read_only(dir)?;
    let (key, _) = super::source_of(r);
    let local = chrono::Local::now();
    let now = local.with_timezone(&FixedOffset::east_opt(local.offset().local_minus_utc())?);
    let s = standing(&conn, &key, now).ok()?;
    let ph = crate::phrases::for_language_or_english(&r.language);
    standing_line(ph, &r.title, s, now)
}

#[cfg(test)]
mod cell_tests {
    use super::text_cell;

    #[test]
    fn a_cell_a_spreadsheet_would_run_as_a_formula_is_kept_as_text() {
        for f in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(text_cell(f), format!("'{f}"));
        }
        for t in ["Hip stretch", "eased from 2: pain", "", "1-2"] {
            assert_eq!(text_cell(t), t);
        }
    }
}
