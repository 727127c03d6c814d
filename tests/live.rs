//! Live playback on a real sound server: PulseAudio with a null sink, started by
//! scripts/with-audio-env (which `scripts/test` and `.ci/run` use). We record the sink's monitor
//! while `hipvoice play` runs and compare what was really played with the plan.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use hipvoice::plan::{CueKind, Timeline};

/// Planned onsets (seconds) of audible cues that follow at least `quiet` seconds of silence.
fn planned_onsets(t: &Timeline, quiet: f64) -> Vec<(f64, CueKind)> {
    let rate = f64::from(t.sample_rate);
    let mut audible: Vec<_> = t
        .cues
        .iter()
        .filter(|c| matches!(c.kind, CueKind::Speech | CueKind::Sound))
        .collect();
    audible.sort_by_key(|c| c.start);
    let mut out = Vec::new();
    let mut last_end = 0u64;
    for (i, c) in audible.iter().enumerate() {
        if i == 0 || c.start as f64 - last_end as f64 >= quiet * rate {
            out.push((c.start as f64 / rate, c.kind));
        }
        last_end = last_end.max(c.end);
    }
    out
}

#[test]
#[ignore = "needs a sound server: run scripts/test"]
fn a_live_session_plays_at_the_planned_frames() {
    plays_at_the_planned_frames("tests/fixtures/short.toml", 8, None, None);
}

/// With a place saved by a stopped session, `play` says so in its opening; `plan --json` made
/// with the same state folder has that line too (marked live-only), so every sound still lands
/// on the frame the plan gives it. Without the line in the plan, the later lines shift (and
/// espeak-ng, which carries state from line to line, shapes them differently).
#[test]
#[ignore = "needs a sound server: run scripts/test"]
fn with_a_saved_place_the_session_plays_at_the_frames_of_its_plan() {
    if sink().is_none() {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let place = place_file(state.path(), "tests/fixtures/short.toml");
    std::fs::create_dir_all(place.parent().unwrap()).unwrap();
    let key = place.file_stem().unwrap().to_string_lossy().into_owned();
    std::fs::write(
        &place,
        format!(r#"{{"routine": "{key}", "exercise": "lifts", "name": "Lifts", "saved_at": 1}}"#),
    )
    .unwrap();
    let t = plays_at_the_planned_frames("tests/fixtures/short.toml", 8, None, Some(state.path()));
    let live: Vec<&str> = t
        .cues
        .iter()
        .filter(|c| c.live_only)
        .filter_map(|c| c.text.as_deref())
        .collect();
    assert!(
        live.len() == 1 && live[0].contains("Lifts"),
        "the saved place is a live-only line of the plan: {live:?}"
    );
}

/// A live session holds samples only for a window around where it plays (60 s ahead by
/// default). With a 10 s window the 50 s session is played from six windows or more, made as
/// it goes: every sound and line still plays at its planned frame, none is missing.
#[test]
#[ignore = "needs a sound server: run scripts/test"]
fn a_session_played_window_by_window_plays_at_the_planned_frames() {
    plays_at_the_planned_frames("tests/fixtures/short.toml", 8, Some("10"), None);
}

/// Moving reps (a beat on every second) and a timed block (bracketed by its sounds) play at
/// their planned frames too.
#[test]
#[ignore = "needs a sound server: run scripts/test"]
fn moving_reps_and_timed_blocks_play_at_the_planned_frames() {
    plays_at_the_planned_frames("tests/fixtures/moving-short.toml", 6, None, None);
}

/// Plays `fixture` recorded from the null sink and checks every sound against `plan --json`
/// (within 5 ms) and every line (within 20 ms), with `state` as the state folder
/// (`XDG_STATE_HOME`) of both when given. Returns the plan.
fn plays_at_the_planned_frames(
    fixture: &str,
    min_sounds: usize,
    window_secs: Option<&str>,
    state: Option<&std::path::Path>,
) -> Timeline {
    let with_state = |mut c: Command| {
        if let Some(dir) = state {
            c.env("XDG_STATE_HOME", dir);
        }
        c
    };
    let Some(sink) = sink() else {
        return Timeline::default();
    };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let planned = with_state(hipvoice())
        .args(["plan", "--json", fixture])
        .output()
        .unwrap();
    assert!(
        planned.status.success(),
        "plan failed: {}",
        stderr(&planned)
    );
    let t: Timeline = serde_json::from_slice(&planned.stdout).unwrap();

    let rec = record(&sink);
    let mut play = with_state(hipvoice());
    play.args(["play", fixture]);
    if let Some(w) = window_secs {
        play.env("HIPVOICE_WINDOW_SECS", w).arg("-v");
    }
    let o = play.output().unwrap();
    let (x, rate, _dir) = rec.stop();
    assert!(o.status.success(), "play failed: {}", stderr(&o));
    if window_secs.is_some() {
        let made = stderr(&o).matches("a window of the session").count();
        assert!(made >= 6, "{made} windows: {}", stderr(&o));
    }

    // The transcript: every spoken line, in order, one per line.
    let said: Vec<&str> = t
        .of_kind(CueKind::Speech)
        .map(|c| c.text.as_deref().unwrap())
        .collect();
    assert_eq!(stdout(&o).lines().collect::<Vec<_>>(), said);

    // Onsets in the recording, matched to the plan's onsets after at least 150 ms of silence.
    let quiet = 0.15;
    let found: Vec<f64> = onsets(&x, 0.003, (0.1 * f64::from(rate)) as usize)
        .iter()
        .map(|&i| i as f64 / f64::from(rate))
        .collect();
    let want = planned_onsets(&t, quiet);
    assert!(!found.is_empty(), "nothing was played (peak {})", peak(&x));
    // A rough offset from the first onset (a spoken word rises slowly), then the exact one from
    // the first sound, whose attack is sharp: what is compared is the interval between sounds.
    let nearest_to = |at: f64, offset: f64| {
        found
            .iter()
            .map(|f| f - offset)
            .min_by(|a, b| (a - at).abs().total_cmp(&(b - at).abs()))
            .unwrap()
    };
    let rough = found[0] - want[0].0;
    let first_sound = want
        .iter()
        .find(|w| w.1 == CueKind::Sound)
        .expect("a planned sound")
        .0;
    let offset = rough + (nearest_to(first_sound, rough) - first_sound);
    let mut sounds = 0;
    for (at, kind) in &want {
        let nearest = nearest_to(*at, offset);
        if *kind == CueKind::Sound {
            sounds += 1;
            assert!(
                (nearest - at).abs() <= 0.005,
                "the {kind:?} planned at {at:.4} s played at {nearest:.4} s (after the first onset)"
            );
        } else {
            assert!(
                (nearest - at).abs() <= 0.02,
                "speech planned at {at:.4} s played at {nearest:.4} s"
            );
        }
    }
    assert!(
        sounds >= min_sounds,
        "{fixture}: the recording should hold the planned sounds, matched {sounds}"
    );
    // And the end: the last sound rang out before the program closed the device.
    let last_planned =
        t.cues.iter().map(|c| c.end).max().unwrap() as f64 / f64::from(t.sample_rate);
    let last_heard = x.iter().rposition(|s| s.abs() > 0.003).unwrap() as f64 / f64::from(rate);
    assert!(
        last_heard - offset > last_planned - 0.6,
        "the session was cut: heard until {last_heard:.2} s of {last_planned:.2} s"
    );
    t
}

#[test]
#[ignore = "needs a sound server: run scripts/test"]
fn ctrl_c_stops_a_session_cleanly() {
    let Some(_sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let mut child = hipvoice()
        .args(["play", "stretch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "Hip stretch.",
        "the first line is spoken and printed"
    );
    // SAFETY: signalling our own child process.
    unsafe { libc_kill(child.id() as i32, 2) };
    let status = wait_with_limit(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.starts_with("hipvoice: stopped at 00:0"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// An error that stops `play` before its session is said on the sound output, after the
/// printed message, which stays as it was (same text, same exit code); `check` says nothing.
#[test]
#[ignore = "needs a sound server: run scripts/test"]
fn an_error_at_the_start_of_play_is_heard_and_printed() {
    let Some(sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    // Seconds of the recording where something is heard: 20 ms windows above -40 dBFS.
    let heard = |args: &[&str]| {
        let rec = record(&sink);
        let o = run(args);
        let (x, rate, _dir) = rec.stop();
        let window = rate as usize / 50;
        let loud = x.chunks(window).filter(|w| rms(w) > 0.01).count();
        (o, loud as f64 / 50.0)
    };
    for (args, code, printed) in [
        (
            &["play", "nosuch"][..],
            2,
            "there is no routine called \"nosuch\"",
        ),
        (
            &["play", "routines/examples/affected-side-first.toml"][..],
            2,
            "--side left or --side right",
        ),
        (
            &["play", "tests/broken/bad-id.toml"][..],
            1,
            "tests/broken/bad-id.toml:",
        ),
        (
            &["stretch", "--rate", "900"][..],
            2,
            "900 is not in 80..=450",
        ),
        (
            &["play", "stretch", "--rate", "900"][..],
            2,
            "900 is not in 80..=450",
        ),
    ] {
        let (o, secs) = heard(args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(printed), "{args:?}: {}", stderr(&o));
        // A short spoken line: more than a second of speech, less than the 20 s bound.
        assert!((1.0..20.0).contains(&secs), "{args:?}: {secs} s heard");
    }
    let (o, secs) = heard(&["check", "nosuch"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(secs, 0.0, "check is not spoken");
}

#[test]
#[ignore = "needs a sound server: run scripts/test"]
fn a_dying_sound_server_ends_the_session_with_one_line_and_the_place_saved() {
    let Some(_sink) = sink() else { return };
    // A server of its own, but the same two cores: a session played beside it could miss
    // its deadlines.
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    // A sound server of its own (scripts/with-audio-env nests), killed while a session plays.
    let state = tempfile::tempdir().unwrap();
    let script = format!(
        "{bin} play tests/fixtures/short.toml >/dev/null & pid=$!; sleep 4; \
         {server} kill; wait $pid; echo \"exit=$?\" >&2",
        bin = env!("CARGO_BIN_EXE_hipvoice"),
        server = root().join("scripts/sound-server").display(),
    );
    let o = Command::new(root().join("scripts/with-audio-env"))
        .args(["bash", "-c", &script])
        .current_dir(root())
        .env("XDG_CONFIG_HOME", root().join("tests/fixtures/no-config"))
        .env("XDG_STATE_HOME", state.path())
        .env("XDG_DATA_HOME", fresh_data_home())
        .output()
        .unwrap();
    let err = stderr(&o);
    let ours: Vec<&str> = err.lines().filter(|l| l.starts_with("hipvoice:")).collect();
    assert_eq!(ours.len(), 1, "{err}");
    assert!(
        ours[0].starts_with("hipvoice: the sound output stopped at 00:0")
            && ours[0].contains("`hipvoice play tests/fixtures/short.toml --resume`"),
        "{err}"
    );
    assert!(err.contains("exit=2"), "{err}");
    let saved =
        std::fs::read_to_string(place_file(state.path(), "tests/fixtures/short.toml")).unwrap();
    assert!(saved.contains("\"lifts\""), "{saved}");
}

/// The sound server is killed while a session plays and a new one starts a moment later (a
/// crashed PulseAudio that its supervisor restarts), and the new server drops hipvoice's first
/// two streams 100 ms after each has begun to pull samples (`scripts/sound-server drop`), as
/// a restarted server does: hipvoice finds the new server, says once that the sound
/// is back when it holds (never for a stream that pulled and was dropped), plays the
/// interrupted part again from its start, and finishes the session.
#[test]
#[ignore = "needs a sound server: run scripts/test"]
fn a_restarted_sound_server_is_found_again_and_the_session_goes_on() {
    let Some(_sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    // The server is killed and the new one started by scripts/sound-server, as
    // scripts/with-audio-env starts its own (PulseAudio or PipeWire, with one null sink); the
    // environment stops it at its end.
    let script = format!(
        "{bin} -v play tests/fixtures/short.toml >\"$OUT/transcript\" 2>\"$OUT/err\" & pid=$!; \
         sleep 4; \
         {server} kill; sleep 1.5; {server} start \"$OUT/server.log\"; \
         pulls() {{ grep -c 'opened again pulls samples' \"$OUT/err\"; }}; \
         for kick in 1 2; do \
           for _ in $(seq 400); do [ \"$(pulls)\" -ge $kick ] && break; sleep 0.025; done; \
           sleep 0.1; \
           {server} drop $pid; \
         done; \
         parecord --device=hipvoice_test.monitor --file-format=wav \"$OUT/after.wav\" & rec=$!; \
         wait $pid; echo \"exit=$?\" >&2; kill $rec; wait $rec",
        bin = env!("CARGO_BIN_EXE_hipvoice"),
        server = root().join("scripts/sound-server").display(),
    );
    let o = Command::new(root().join("scripts/with-audio-env"))
        .args(["bash", "-c", &script])
        .current_dir(root())
        .env("OUT", out.path())
        .env("XDG_CONFIG_HOME", root().join("tests/fixtures/no-config"))
        .env("XDG_STATE_HOME", state.path())
        .env("XDG_DATA_HOME", fresh_data_home())
        .output()
        .unwrap();
    let err = stderr(&o);
    let log = std::fs::read_to_string(out.path().join("server.log")).unwrap_or_default();
    let trace = std::fs::read_to_string(out.path().join("err")).unwrap_or_default();
    assert!(
        err.contains("exit=0"),
        "the session finished: {err}\n{trace}\nnew server's log: {log}"
    );
    // Both dropped streams had pulled samples, were seen not to hold, and the third held.
    let count = |what: &str| trace.lines().filter(|l| l.contains(what)).count();
    assert_eq!(count("opened again pulls samples"), 3, "{trace}");
    assert_eq!(count("opened again did not hold"), 2, "{trace}");
    assert_eq!(count("output is back"), 1, "{trace}");
    assert!(
        !trace
            .lines()
            .any(|l| l.contains("stopped at") || l.contains("error")),
        "nothing went wrong for the person: {trace}"
    );
    let transcript = std::fs::read_to_string(out.path().join("transcript")).unwrap();
    let lines: Vec<&str> = transcript.lines().collect();
    let back = lines
        .iter()
        .position(|l| *l == "The sound is back. Starting this part again.")
        .unwrap_or_else(|| panic!("no word that the sound is back: {transcript}"));
    // Said once: a restarted server is slow to ask for its first samples, and that is not
    // taken for another loss; the connections it dropped were never back.
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("The sound is back"))
            .count(),
        1,
        "{transcript}"
    );
    // The part that was cut is said again: a line printed before the fault comes again after.
    assert!(
        lines[back + 1..]
            .iter()
            .any(|l| lines[..back].contains(l) && *l != "Hold." && *l != "Down."),
        "{transcript}"
    );
    assert_eq!(lines.last(), Some(&"Well done."), "{transcript}");
    // And it was heard on the new server.
    let (x, _) = read_wav(&out.path().join("after.wav"));
    assert!(
        peak(&x) > 0.05,
        "silence after the restart (peak {})",
        peak(&x)
    );
}

/// `--transcript lines` prints only what to do (for a screen reader, which would read every
/// printed line over hipvoice's voice); `none` prints nothing; the session plays the same.
#[test]
#[ignore = "needs a sound server: run scripts/test"]
fn the_transcript_can_be_only_the_instructions_or_nothing() {
    let Some(_sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let fixture = "tests/fixtures/short.toml";
    let t: Timeline = serde_json::from_value(plan_json(&[fixture])).unwrap();
    let planned: Vec<&str> = t
        .of_kind(CueKind::Speech)
        .map(|c| c.text.as_deref().unwrap())
        .collect();
    let o = hipvoice()
        .args(["play", fixture, "--transcript", "lines"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let printed: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert!(printed.len() >= 4, "{printed:?}");
    assert!(printed.len() < planned.len(), "helper lines are left out");
    for line in &printed {
        assert!(planned.contains(&line.as_str()), "{line} was not planned");
        assert!(line != "Hold." && !["One.", "Two.", "Three."].contains(&line.as_str()));
    }
    assert_eq!(printed[0], "Short test.");
    assert!(printed.iter().any(|l| l == "Lift your left leg."));
    let o = hipvoice()
        .args(["play", fixture, "--transcript", "none"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
}

/// A volume under 10% plays at 10%: a session is never silent.
#[test]
#[ignore = "needs a sound server: run scripts/test"]
fn a_live_session_is_never_silent() {
    let Some(sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let rec = record(&sink);
    let o = hipvoice()
        .args(["play", "tests/fixtures/short.toml", "--volume", "0"])
        .output()
        .unwrap();
    let (x, _, _dir) = rec.stop();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("playing at 10%"), "{}", stderr(&o));
    assert!(
        peak(&x) > 0.01,
        "the session was silent (peak {})",
        peak(&x)
    );
}
