use super::*;
use crate::plan::step::Phase;

fn begin() -> Begin {
    Begin {
        routine_key: "builtin:stretch".into(),
        routine_id: "stretch".into(),
        title: "Hip stretch, \"gentle\"".into(),
        content_crc64: "0123456789abcdef".into(),
        voice: "en-us".into(),
        rate_wpm: 155,
        resumed_from: None,
        doses: vec![Dose {
            exercise: "lifts".into(),
            name: "Knee lifts".into(),
            reps: 2,
            sets: 1,
            hold_secs: 5.0,
            sides: "both",
            reason: "the start of the routine's range, 2 to 4 reps".into(),
        }],
    }
}

fn rep(side: SideName, rep: u32) -> Step {
    Step::of(
        "lifts",
        None,
        Phase::Rep {
            set: 1,
            side: Some(side),
            rep,
        },
    )
}

fn exercises(dir: &Path) -> Vec<report::Exercise> {
    let h = open_in(dir).unwrap();
    let s = report::sessions(&h.conn, None, None).unwrap();
    s.into_iter().flat_map(|s| s.exercises).collect()
}

#[test]
fn a_session_records_its_exercises_reps_sides_and_ending() {
    let d = tempfile::tempdir().unwrap();
    let rec = Recorder::start(open_in(d.path()).unwrap(), begin()).unwrap();
    let left = SideName::Left;
    let right = SideName::Right;
    let steps = [
        (Step::start(), true),
        (Step::of("lifts", None, Phase::Setup), true),
        (rep(left, 1), true),
        (rep(left, 2), true),
        (
            Step::of(
                "lifts",
                None,
                Phase::Switch {
                    set: 1,
                    side: right,
                },
            ),
            true,
        ),
        (rep(right, 1), true),
        // `n`: the person skipped the rest of the first right rep.
        (rep(right, 2), false),
        (Step::end(), true),
    ];
    for (s, played) in &steps {
        rec.reached(s, *played);
    }
    rec.end(Ending::Finished);
    let h = open_in(d.path()).unwrap();
    let pick = super::command::Pick::Source {
        key: "builtin:stretch".into(),
        title: "Hip stretch".into(),
    };
    let s = report::sessions(&h.conn, Some(&pick), None).unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].ending.as_deref(), Some("finished"));
    let e = &s[0].exercises;
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        (e[0].reps_left, e[0].reps_right, e[0].reps_unsided),
        (2, 1, 0)
    );
    assert_eq!(e[0].reps, 2);
    assert!(e[0].dose_reason.contains("2 to 4"));
    assert!(e[0].ended.is_some());
    assert_eq!(
        report::line(&s[0])
            .split_once(", ")
            .unwrap()
            .1
            .split_once(", ")
            .unwrap()
            .1,
        "Hip stretch, \"gentle\", finished, under a minute: Knee lifts 2 left, 1 right."
    );
}

#[test]
fn a_stop_in_a_rep_does_not_count_it_and_each_round_has_a_row() {
    let d = tempfile::tempdir().unwrap();
    let rec = Recorder::start(open_in(d.path()).unwrap(), begin()).unwrap();
    let unsided = |round| {
        Step::of(
            "lifts",
            Some(round),
            Phase::Rep {
                set: 1,
                side: None,
                rep: 1,
            },
        )
    };
    rec.reached(&Step::of("lifts", Some(1), Phase::Setup), true);
    rec.reached(&unsided(1), true);
    rec.reached(&Step::of("circuit", Some(1), Phase::RoundRest), true);
    rec.reached(&Step::of("lifts", Some(2), Phase::Setup), true);
    rec.reached(&unsided(2), true);
    rec.end(Ending::Stopped);
    let e = exercises(d.path());
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!((e[0].round, e[0].reps_unsided), (Some(1), 1));
    // Stopped inside the second round's rep: not done.
    assert_eq!((e[1].round, e[1].reps_unsided), (Some(2), 0));
    assert!(e[1].ended.is_some(), "the exercise is closed at the stop");
}

#[test]
fn a_session_without_an_end_is_cut_off_and_keeps_what_was_written() {
    let d = tempfile::tempdir().unwrap();
    let rec = Recorder::start(open_in(d.path()).unwrap(), begin()).unwrap();
    rec.reached(&Step::of("lifts", None, Phase::Setup), true);
    rec.reached(&rep(SideName::Left, 1), true);
    rec.reached(&rep(SideName::Left, 2), true);
    // Dropped, as when the session ends in an error: nothing more is written.
    drop(rec);
    // The writer thread ends with the channel; wait for its last write by reading until the
    // rep is there (each write is its own transaction).
    let mut e = exercises(d.path());
    for _ in 0..200 {
        if e.first().is_some_and(|e| e.reps_left == 1) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
        e = exercises(d.path());
    }
    let h = open_in(d.path()).unwrap();
    let s = report::sessions(&h.conn, None, None).unwrap();
    assert_eq!(s[0].ending, None);
    assert!(
        report::line(&s[0]).contains("cut off"),
        "{}",
        report::line(&s[0])
    );
    assert_eq!(e[0].reps_left, 1);
}

#[test]
fn the_file_is_private_and_a_damaged_one_is_moved_aside_not_emptied() {
    let d = tempfile::tempdir().unwrap();
    let garbage = b"this is not a database, it is a note the person kept".repeat(100);
    std::fs::write(d.path().join(FILE), &garbage).unwrap();
    let h = open_in(d.path()).unwrap();
    let aside = h.moved_aside.clone().expect("moved aside");
    assert_eq!(std::fs::read(&aside).unwrap(), garbage, "kept as it was");
    assert!(
        aside
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("history.sqlite3.damaged-")
    );
    // The new file works, and only its owner can read it.
    Recorder::start(h, begin()).unwrap().end(Ending::Finished);
    let mode = std::fs::metadata(d.path().join(FILE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // A folder it makes is the owner's alone.
    let fresh = d.path().join("new").join("hipvoice");
    open_in(&fresh).unwrap();
    let dmode = std::fs::metadata(&fresh).unwrap().permissions().mode();
    assert_eq!(dmode & 0o077, 0, "the folder is the owner's");
    let h = open_in(d.path()).unwrap();
    assert_eq!(report::sessions(&h.conn, None, None).unwrap().len(), 1);
    assert!(h.moved_aside.is_none());
}

#[test]
fn a_file_of_a_newer_hipvoice_is_left_as_it_is() {
    let d = tempfile::tempdir().unwrap();
    let h = open_in(d.path()).unwrap();
    h.conn
        .pragma_update(None, "user_version", VERSION as i64 + 1)
        .unwrap();
    drop(h);
    let before = std::fs::read(d.path().join(FILE)).unwrap();
    let e = open_in(d.path()).err().expect("refused");
    assert!(matches!(e, HistoryError::Newer { .. }), "{e}");
    assert_eq!(std::fs::read(d.path().join(FILE)).unwrap(), before);
}

#[test]
fn forget_deletes_a_routines_sessions_with_their_exercises() {
    use super::command::Pick;
    let d = tempfile::tempdir().unwrap();
    // Two files with the same id (a copy), and another routine.
    for (id, key) in [
        ("stretch", "file:/a/stretch.toml"),
        ("strengthen", "builtin:strengthen"),
        ("stretch", "file:/b/stretch.toml"),
        ("stretch", "file:/a/stretch.toml"),
    ] {
        let b = Begin {
            routine_id: id.into(),
            routine_key: key.into(),
            ..begin()
        };
        let rec = Recorder::start(open_in(d.path()).unwrap(), b).unwrap();
        rec.reached(&Step::of("lifts", None, Phase::Setup), true);
        rec.end(Ending::Finished);
    }
    let h = open_in(d.path()).unwrap();
    let a = Pick::Source {
        key: "file:/a/stretch.toml".into(),
        title: "Hip stretch".into(),
    };
    assert_eq!(report::count(&h.conn, &a).unwrap(), 2);
    assert_eq!(forget(&h.conn, Some(&a)).unwrap(), 2);
    let left = report::sessions(&h.conn, None, None).unwrap();
    let keys: Vec<&str> = left.iter().map(|s| s.routine_key.as_str()).collect();
    assert_eq!(keys, ["file:/b/stretch.toml", "builtin:strengthen"]);
    // A routine gone from the disk is picked by its id (or its old path).
    let gone = Pick::Gone {
        id: "stretch".into(),
        key: "file:/nowhere".into(),
    };
    assert_eq!(forget(&h.conn, Some(&gone)).unwrap(), 1);
    let left = report::sessions(&h.conn, None, None).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].routine_id, "strengthen");
    let rows: i64 = h
        .conn
        .query_row("SELECT count(*) FROM exercises", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1, "the deleted sessions' exercises went with them");
    assert_eq!(forget(&h.conn, None).unwrap(), 1);
}

#[test]
fn days_ago_counts_calendar_days() {
    use chrono::TimeZone;
    let tz = chrono::FixedOffset::east_opt(3600).unwrap();
    let now = tz.with_ymd_and_hms(2026, 12, 3, 0, 30, 0).unwrap();
    let late = tz.with_ymd_and_hms(2026, 12, 2, 23, 50, 0).unwrap();
    assert_eq!(report::days_ago(late, now), "yesterday");
    assert_eq!(report::days_ago(now, now), "today");
    let before = tz.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    assert_eq!(report::days_ago(before, now), "13 days ago");
}

#[test]
fn the_opening_says_where_the_person_stands() {
    use chrono::TimeZone;
    let ph = &crate::phrases::EN;
    let tz = chrono::FixedOffset::east_opt(0).unwrap();
    // Thursday 3 December 2026.
    let now = tz.with_ymd_and_hms(2026, 12, 3, 18, 0, 0).unwrap();
    let line = |this_week, last| {
        report::standing_line(ph, "Hip stretch", report::Standing { this_week, last }, now)
    };
    assert_eq!(line(0, None), None, "nothing before the first session");
    let tuesday = tz.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    assert_eq!(
        line(2, Some(tuesday)).unwrap(),
        "This is your third Hip stretch this week."
    );
    assert_eq!(
        line(11, Some(tuesday)).unwrap(),
        "This is Hip stretch number twelve this week."
    );
    let sunday = tz.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap();
    assert_eq!(
        line(0, Some(sunday)).unwrap(),
        "Your last Hip stretch was four days ago."
    );
    let long_ago = tz.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap();
    assert_eq!(
        line(0, Some(long_ago)).unwrap(),
        "Welcome back. Your last Hip stretch was twelve days ago."
    );
    let monday = tz.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap();
    assert_eq!(
        report::standing_line(
            ph,
            "Hip stretch",
            report::Standing {
                this_week: 0,
                last: Some(tz.with_ymd_and_hms(2026, 12, 6, 20, 0, 0).unwrap())
            },
            monday
        )
        .unwrap(),
        "Your last Hip stretch was yesterday."
    );
}

#[test]
fn only_sessions_that_reached_an_exercise_count_and_only_of_the_same_source() {
    use chrono::TimeZone;
    let d = tempfile::tempdir().unwrap();
    // One that reached an exercise, one stopped in its opening, one of a copied file.
    let rec = Recorder::start(open_in(d.path()).unwrap(), begin()).unwrap();
    rec.reached(&Step::start(), true);
    rec.reached(&Step::of("lifts", None, Phase::Setup), true);
    rec.end(Ending::Finished);
    let rec = Recorder::start(open_in(d.path()).unwrap(), begin()).unwrap();
    rec.reached(&Step::start(), true);
    rec.end(Ending::Stopped);
    let copy = Begin {
        routine_key: "file:/somewhere/stretch.toml".into(),
        ..begin()
    };
    let rec = Recorder::start(open_in(d.path()).unwrap(), copy).unwrap();
    rec.reached(&Step::of("lifts", None, Phase::Setup), true);
    rec.end(Ending::Finished);
    let h = open_in(d.path()).unwrap();
    let local = chrono::Local::now();
    let now = chrono::FixedOffset::east_opt(local.offset().local_minus_utc())
        .unwrap()
        .from_utc_datetime(&local.naive_utc());
    let s = report::standing(&h.conn, "builtin:stretch", now).unwrap();
    assert_eq!(s.this_week, 1);
    assert!(s.last.is_some());
}

#[test]
fn a_rating_of_six_or_more_stops_the_session_whichever_dose_is_asked_for() {
    use super::dose::{self, Choice, Pain};
    let d = tempfile::tempdir().unwrap();
    let r = crate::routine::builtin_source("stretch")
        .unwrap()
        .load()
        .unwrap();
    let first = r.exercises[0].id.clone();
    let rec = Recorder::start(
        open_in(d.path()).unwrap(),
        Begin::new(&r, "en-us", 155, None),
    )
    .unwrap();
    rec.reached(&Step::of(&first, None, Phase::Setup), true);
    rec.end(Ending::Finished);
    let h = open_in(d.path()).unwrap();
    let pain = Pain {
        lasted: false,
        rating: Some(7),
    };
    assert!(
        dose::check_in(&h.conn, "builtin:stretch", pain, "command")
            .unwrap()
            .is_some()
    );
    drop(h);
    for choice in [Choice::Adapted, Choice::Last, Choice::Start] {
        let mut today = r.clone();
        assert_eq!(
            dose::adapt(d.path(), &mut today, choice),
            Some(7),
            "{choice:?}"
        );
    }
    // Played anyway (--despite-pain), and stopped with no answer: the block stays.
    let session = || {
        let rec = Recorder::start(
            open_in(d.path()).unwrap(),
            Begin::new(&r, "en-us", 155, None),
        )
        .unwrap();
        rec.reached(&Step::of(&first, None, Phase::Setup), true);
        rec.end(Ending::Stopped);
    };
    session();
    session();
    assert_eq!(
        dose::adapt(d.path(), &mut r.clone(), Choice::Adapted),
        Some(7)
    );
    // Only a later answer lifts it.
    let h = open_in(d.path()).unwrap();
    let fine = Pain {
        lasted: false,
        rating: None,
    };
    dose::check_in(&h.conn, "builtin:stretch", fine, "keys").unwrap();
    drop(h);
    assert_eq!(dose::adapt(d.path(), &mut r.clone(), Choice::Adapted), None);
}
