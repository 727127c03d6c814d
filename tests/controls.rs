//! Live controls end to end, with real parts: keys typed into a real terminal (tmux), media
//! buttons pressed by a real MPRIS client (playerctl) over a real session D-Bus, and what was
//! really played recorded from PulseAudio's null sink. All started by scripts/with-audio-env;
//! `scripts/test` runs these ignored tests explicitly.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::tmux::Tmux;
use common::*;

const ROUTINE: &str = "tests/fixtures/controls.toml";

/// The recording's samples between two moments, given when the recording started.
fn window(x: &[f32], rate: u32, rec0: Instant, from: Instant, to: Instant) -> &[f32] {
    let at = |t: Instant| {
        ((t.saturating_duration_since(rec0).as_secs_f64() * f64::from(rate)) as usize).min(x.len())
    };
    &x[at(from)..at(to).max(at(from))]
}

#[test]
#[ignore = "needs a sound server, D-Bus and tmux: run scripts/test"]
fn keys_in_a_real_terminal_pause_skip_go_back_answer_change_volume_and_quit() {
    let Some(sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().unwrap();
    let rec = record(&sink);
    // `record` waits 300 ms after parecord starts: the recording began about then.
    let rec0 = Instant::now() - Duration::from_millis(300);
    let tm = Tmux::start(&format!("play {ROUTINE}"), state.path());

    tm.wait_line("Controls test.", 1);
    // The opening says once which key pauses and which gives help.
    tm.wait_line("Press space to pause. Press H for help.", 1);
    tm.wait_line("Exercise 1 of 2: Lifts.", 1);

    // Where am I: the status line is printed as it is said.
    tm.keys(&["w"]);
    tm.wait_for("the answer to w", Duration::from_secs(10), |s| {
        s.iter()
            .any(|l| l.starts_with("Lifts") && l.ends_with("to go."))
    });

    // Pause: the session is silent until space again; then "Going on.".
    std::thread::sleep(Duration::from_secs(2));
    let paused = Instant::now();
    tm.keys(&["Space"]);
    tm.wait_line("Paused.", 1);
    std::thread::sleep(Duration::from_secs(5));
    let resumed = Instant::now();
    tm.keys(&["Space"]);
    tm.wait_line("Going on.", 1);

    // Volume: down five times, from 100% to 50%, said aloud.
    std::thread::sleep(Duration::from_secs(6));
    let quieter = Instant::now();
    tm.keys(&["Down", "Down", "Down", "Down", "Down"]);
    tm.wait_line("Volume fifty percent.", 1);
    let quiet_from = Instant::now();
    std::thread::sleep(Duration::from_secs(7));

    // Next: straight to the next exercise, with none of the skipped lines printed.
    let before = tm.screen().len();
    tm.keys(&["n"]);
    tm.wait_line("Exercise 2 of 2: Bridge.", 1);
    let after: Vec<String> = tm.screen()[before..].to_vec();
    let skip = after.iter().position(|l| l == "Next.").expect("Next. said");
    let name = after
        .iter()
        .position(|l| l == "Exercise 2 of 2: Bridge.")
        .unwrap();
    assert!(
        name == skip + 1
            || after[skip + 1..name]
                .iter()
                .all(|l| l.starts_with("Volume")),
        "skipped lines were printed: {after:?}"
    );

    // Back: to the start of this exercise, said again.
    std::thread::sleep(Duration::from_secs(3));
    tm.keys(&["b"]);
    tm.wait_line("Back.", 1);
    tm.wait_line("Exercise 2 of 2: Bridge.", 2);

    // Quit: answered by voice, then the program ends, the terminal is as it was.
    tm.keys(&["q"]);
    tm.wait_line("Stopping. Your place is saved.", 1);
    let (code, stty) = tm.exit(Duration::from_secs(10));
    assert_eq!(code, "0", "{}", tm.screen().join("\n"));
    assert!(
        stty.contains(" icanon") && stty.contains(" echo ") && !stty.contains("-icanon"),
        "the terminal is back in cooked mode: {stty}"
    );
    let screen = tm.screen();
    assert!(
        screen
            .iter()
            .any(|l| l.starts_with("hipvoice: stopped at ") && l.contains("--resume")),
        "{screen:?}"
    );
    let saved = std::fs::read_to_string(place_file(state.path(), ROUTINE)).unwrap();
    assert!(saved.contains("\"bridge\""), "{saved}");

    let (x, rate, _dir) = rec.stop();
    // Silence while paused: from shortly after the key (the answer "Paused." is said first)
    // until space is pressed again.
    let held = window(
        &x,
        rate,
        rec0,
        paused + Duration::from_millis(1500),
        resumed - Duration::from_millis(100),
    );
    assert!(held.len() as f64 > 3.0 * f64::from(rate));
    assert!(
        peak(held) < 0.003,
        "sound while paused: peak {}",
        peak(held)
    );
    // And sound again after resuming.
    let again = window(&x, rate, rec0, resumed, resumed + Duration::from_secs(3));
    assert!(peak(again) > 0.05, "nothing after resuming");
    // The level: the same session's chimes and lines at half the gain.
    let loud = peak(window(
        &x,
        rate,
        rec0,
        quieter - Duration::from_secs(6),
        quieter,
    ));
    let soft = peak(window(
        &x,
        rate,
        rec0,
        quiet_from,
        quiet_from + Duration::from_secs(6),
    ));
    assert!(
        soft < 0.7 * loud && soft > 0.2 * loud,
        "volume 50%: peak {soft} after against {loud} before"
    );
}

/// A live session holds sound only for a window around where it plays. With 10 s windows,
/// "next" jumps from the first exercise to the second (a minute ahead) and "back" twice returns
/// to the first: each jump lands outside the window the deck had, and the line at its end is
/// heard at once all the same.
#[test]
#[ignore = "needs a sound server and D-Bus: run scripts/test"]
fn jumps_far_outside_the_window_are_heard_at_once() {
    let Some(sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().unwrap();
    let rec = record(&sink);
    let rec0 = Instant::now() - Duration::from_millis(300);
    let s = Background::start(
        &["play", ROUTINE],
        state.path(),
        &[("HIPVOICE_WINDOW_SECS", "10")],
    );
    s.wait_line("Exercise 1 of 2: Lifts.", 1);
    wait_playerctl(&["status"], "Playing");
    playerctl(&["next"]);
    s.wait_line("Exercise 2 of 2: Bridge.", 1);
    let bridge = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    playerctl(&["previous"]);
    s.wait_line("Back.", 1);
    playerctl(&["previous"]);
    s.wait_line("Exercise 1 of 2: Lifts.", 2);
    let lifts = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    let (_, err, lines) = s.signal_and_wait(2);
    let (x, rate, _dir) = rec.stop();
    let heard = |at: Instant| {
        peak(window(
            &x,
            rate,
            rec0,
            at + Duration::from_millis(100),
            at + Duration::from_millis(1000),
        ))
    };
    assert!(
        heard(bridge) > 0.05,
        "silence after the jump ahead: {lines:?} {err}"
    );
    assert!(
        heard(lifts) > 0.05,
        "silence after the jump back: {lines:?} {err}"
    );
}

/// A session run without a terminal, its transcript collected line by line.
struct Background {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for Background {
    fn drop(&mut self) {
        // A test that failed half-way must not leave a session playing into the next one.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Background {
    fn start(args: &[&str], state: &Path, env: &[(&str, &str)]) -> Background {
        let mut c = hipvoice();
        c.args(args)
            .env("XDG_STATE_HOME", state)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap();
        let out = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                l.lock().unwrap().push(line);
            }
        });
        Background { child, lines }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    fn wait_line(&self, line: &str, times: usize) {
        let start = Instant::now();
        while self.lines().iter().filter(|l| *l == line).count() < times {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "waited for {line:?}; got {:?}",
                self.lines()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal_and_wait(mut self, sig: i32) -> (Option<i32>, String, Vec<String>) {
        // SAFETY: signalling our own child process.
        unsafe { libc_kill(self.child.id() as i32, sig) };
        self.finish()
    }

    fn finish(&mut self) -> (Option<i32>, String, Vec<String>) {
        let status = wait_with_limit(&mut self.child, Duration::from_secs(10));
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        // The reader thread ends with stdout.
        std::thread::sleep(Duration::from_millis(100));
        (status.code(), err, self.lines())
    }
}

fn playerctl(args: &[&str]) -> String {
    let o = Command::new("playerctl")
        .args(["-p", "hipvoice"])
        .args(args)
        .output()
        .expect("playerctl runs");
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn wait_playerctl(args: &[&str], want: &str) {
    let start = Instant::now();
    loop {
        let got = playerctl(args);
        if got == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "playerctl {args:?}: {got:?}, not {want:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
#[ignore = "needs a sound server, D-Bus and tmux: run scripts/test"]
fn media_buttons_over_a_real_session_bus() {
    let Some(_sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().unwrap();
    let s = Background::start(&["play", ROUTINE], state.path(), &[]);
    s.wait_line("Exercise 1 of 2: Lifts.", 1);
    wait_playerctl(&["status"], "Playing");
    wait_playerctl(&["metadata", "title"], "Lifts");
    s.wait_line("Lift your left leg.", 1);
    wait_playerctl(&["metadata", "title"], "Lifts, left leg");

    playerctl(&["next"]);
    s.wait_line("Exercise 2 of 2: Bridge.", 1);
    wait_playerctl(&["metadata", "title"], "Bridge");
    assert!(s.lines().contains(&"Next.".to_owned()));

    playerctl(&["play-pause"]);
    wait_playerctl(&["status"], "Paused");
    s.wait_line("Paused.", 1);
    playerctl(&["play-pause"]);
    wait_playerctl(&["status"], "Playing");
    s.wait_line("Going on.", 1);

    s.wait_line("Lift your hips.", 1);
    playerctl(&["previous"]);
    s.wait_line("Back.", 1);
    s.wait_line("Exercise 2 of 2: Bridge.", 2);

    playerctl(&["stop"]);
    let (code, err, lines) = { s }.finish();
    assert_eq!(code, Some(0), "{err}");
    assert!(lines.contains(&"Stopping. Your place is saved.".to_owned()));
    assert!(err.contains("stopped at"), "{err}");
}

#[test]
#[ignore = "needs a sound server, D-Bus and tmux: run scripts/test"]
fn a_stopped_session_resumes_at_the_saved_exercise() {
    let Some(_sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().unwrap();
    let positions: PathBuf = place_file(state.path(), ROUTINE);

    // Interrupted during the second exercise (a media button's "next" gets there quickly).
    let s = Background::start(&["play", ROUTINE], state.path(), &[]);
    s.wait_line("Exercise 1 of 2: Lifts.", 1);
    wait_playerctl(&["status"], "Playing");
    playerctl(&["next"]);
    s.wait_line("Exercise 2 of 2: Bridge.", 1);
    let (code, err, _) = s.signal_and_wait(15);
    assert_eq!(code, Some(130));
    assert!(
        err.contains("`hipvoice play tests/fixtures/controls.toml --resume` goes on"),
        "the hint names the file as it was typed: {err}"
    );
    let saved = std::fs::read_to_string(&positions).unwrap();
    assert!(saved.contains("\"bridge\""), "{saved}");

    // The plan of --resume starts there.
    let o = hipvoice()
        .args(["plan", "--json", "--resume", ROUTINE])
        .env("XDG_STATE_HOME", state.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let exercises: Vec<&str> = cues(&plan, "exercise")
        .iter()
        .map(|c| c["exercise"].as_str().unwrap())
        .collect();
    assert_eq!(exercises, ["bridge"]);
    let said: Vec<&str> = cues(&plan, "speech")
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        said[..4],
        [
            "Controls test.",
            "Continuing with Bridge.",
            "Let's begin.",
            "Exercise 2 of 2: Bridge."
        ]
    );

    // And so does the session.
    let s = Background::start(&["play", "--resume", ROUTINE], state.path(), &[]);
    s.wait_line("Exercise 2 of 2: Bridge.", 1);
    let (code, _, lines) = s.signal_and_wait(15);
    assert_eq!(code, Some(130));
    assert_eq!(lines[..4], said[..4]);

    // Without --resume it starts from the top, and says once how to resume.
    let s = Background::start(&["play", ROUTINE], state.path(), &[]);
    s.wait_line("Exercise 1 of 2: Lifts.", 1);
    let (_, err, lines) = s.signal_and_wait(1);
    assert_eq!(
        lines[..2],
        [
            "Controls test.",
            "Last time, you stopped during Bridge. To go on from there, type the same command with dash dash resume at the end."
        ]
    );
    assert!(
        err.starts_with(
            "hipvoice: last time you stopped during Bridge. `hipvoice play tests/fixtures/controls.toml --resume`"
        ),
        "{err}"
    );
    // Stopped in the first exercise this time: that is the new place.
    let saved = std::fs::read_to_string(&positions).unwrap();
    assert!(saved.contains("\"lifts\""), "{saved}");
}

#[test]
#[ignore = "needs a sound server, D-Bus and tmux: run scripts/test"]
fn without_a_terminal_or_a_session_bus_the_session_still_plays() {
    let Some(_sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().unwrap();
    let s = Background::start(
        &["-v", "play", ROUTINE],
        state.path(),
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
    );
    s.wait_line("Exercise 1 of 2: Lifts.", 1);
    let (code, err, lines) = s.signal_and_wait(2);
    assert_eq!(code, Some(130));
    assert_eq!(
        err.lines()
            .filter(|l| l.contains("no media buttons"))
            .count(),
        1,
        "{err}"
    );
    assert!(
        !err.contains("raw"),
        "no raw-mode error without a terminal: {err}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("Press space")),
        "no key hint without keys"
    );
}

#[test]
#[ignore = "needs a sound server, D-Bus and tmux: run scripts/test"]
fn a_place_that_cannot_be_saved_is_not_promised_and_a_dropped_stream_is_opened_again() {
    let Some(_sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    // The state folder is a file: nothing can be saved there.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("not-a-folder");
    std::fs::write(&state, "").unwrap();
    let s = Background::start(&["play", ROUTINE], &state, &[]);
    s.wait_line("Exercise 1 of 2: Lifts.", 1);
    // Said when the first save fails, before anyone stops.
    let notice = "Your place cannot be saved. If you stop, you start from the beginning.";
    s.wait_line(notice, 1);
    wait_playerctl(&["status"], "Playing");
    playerctl(&["stop"]);
    let (code, err, lines) = { s }.finish();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        lines.iter().filter(|l| *l == notice).count(),
        1,
        "said once: {lines:?}"
    );
    assert!(
        lines.contains(&"Stopping. Your place could not be saved.".to_owned()),
        "{lines:?}"
    );
    assert!(err.contains("could not save your place"), "{err}");
    assert!(!err.contains("--resume"), "no promise of a place: {err}");

    // A process stopped for a second (SIGSTOP): the sound server drops its stream, which then
    // pulls nothing more. The session opens the output again, says so and goes on; it never
    // hangs.
    let s = Background::start(&["play", ROUTINE], dir.path(), &[]);
    s.wait_line("Exercise 1 of 2: Lifts.", 1);
    // SAFETY: signalling our own child process.
    unsafe { libc_kill(s.child.id() as i32, 19) };
    std::thread::sleep(Duration::from_secs(1));
    // SAFETY: as above.
    unsafe { libc_kill(s.child.id() as i32, 18) };
    s.wait_line("The sound is back. Starting this part again.", 1);
    wait_playerctl(&["status"], "Playing");
    let (code, err, _) = s.signal_and_wait(2);
    assert_eq!(code, Some(130), "{err}");
    assert!(err.starts_with("hipvoice: stopped at "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// The pain check-in before a session, in a real terminal: asked by voice about the last
/// session (here one at two reps a side, recorded as hipvoice records one), answered with `y`;
/// the session then plays one step down and says why. Asked again with no answer, it says so
/// and keeps the dose.
#[test]
#[ignore = "needs a sound server and tmux: run scripts/test"]
fn the_pain_check_in_is_asked_by_voice_and_answered_with_a_key() {
    use hipvoice::history::{self, Begin, Ending, Recorder};
    use hipvoice::plan::step::{Phase, Step};
    let Some(_sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let routine = "tests/fixtures/tiny-range.toml";
    let state = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let r = hipvoice::routine::catalog::find(routine).unwrap();
    let mut begin = Begin::new(&r, "en-us", 155, None);
    begin.doses[0].reps = 2;
    let rec = Recorder::start(
        history::open_in(&data.path().join("hipvoice")).unwrap(),
        begin,
    )
    .unwrap();
    rec.reached(&Step::of("lifts", None, Phase::Setup), true);
    rec.reached(&Step::end(), true);
    rec.end(Ending::Finished);

    let tm = Tmux::start_in(&format!("play {routine}"), state.path(), data.path(), "");
    tm.wait_line(
        "Before we start. After your last Tiny range, did the pain last more than one hour? Press y for yes, or n for no.",
        1,
    );
    tm.keys(&["y"]);
    tm.wait_line("Thank you.", 1);
    tm.wait_line(
        "Last time, the pain lasted over one hour. Today, one instead of two.",
        1,
    );
    tm.keys(&["q"]);
    let (code, _) = tm.exit(Duration::from_secs(20));
    assert_eq!(code, "0", "{}", tm.screen().join("\n"));
    drop(tm);

    // The session just stopped reached its exercise: the next one asks about it. No answer.
    let tm = Tmux::start_in(
        &format!("play {routine}"),
        state.path(),
        data.path(),
        "HIPVOICE_CHECKIN_SECS=2",
    );
    tm.wait_line("No answer. You keep the same dose as last time.", 1);
    tm.wait_line("Tiny range.", 1);
    tm.keys(&["q"]);
    let (code, _) = tm.exit(Duration::from_secs(20));
    assert_eq!(code, "0", "{}", tm.screen().join("\n"));
    let screen = tm.screen().join("\n");
    assert!(
        !screen.contains("Today, one instead of"),
        "no answer changes nothing: {screen}"
    );
}

/// The first frame and the last frame above `level` in `x`, in seconds from its start.
fn sounding_span(x: &[f32], rate: u32, level: f32) -> f64 {
    let first = x.iter().position(|s| s.abs() > level);
    let last = x.iter().rposition(|s| s.abs() > level);
    match (first, last) {
        (Some(a), Some(b)) => (b - a) as f64 / f64::from(rate),
        _ => 0.0,
    }
}

/// Keys 10 ms apart: the second cuts the first answer before it is heard, and the transcript
/// (which a screen reader reads as said) prints only what was heard. While paused (so nothing
/// else sounds): `w` then `x` leaves only x's tick in the recording and no "where am I" line;
/// `h` again while the help is said cuts it (only the soft sound is heard after), `h` once more
/// says it again; `w` alone (cutting the help) is printed and heard in full.
#[test]
#[ignore = "needs a sound server, D-Bus and tmux: run scripts/test"]
fn keys_pressed_at_once_leave_a_transcript_of_what_was_heard() {
    let Some(sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().unwrap();
    let rec = record(&sink);
    let rec0 = Instant::now() - Duration::from_millis(300);
    let tm = Tmux::start(&format!("play {ROUTINE}"), state.path());
    tm.wait_line("Exercise 1 of 2: Lifts.", 1);
    tm.keys(&["Space"]);
    tm.wait_line("Paused.", 1);
    std::thread::sleep(Duration::from_millis(2500));
    let is_where = |l: &String| l.starts_with("Lifts") && l.ends_with("to go.");
    let is_help = |l: &String| l.starts_with("Space: pause, or go on.");

    let cut_from = Instant::now();
    tm.keys(&["w"]);
    std::thread::sleep(Duration::from_millis(10));
    tm.keys(&["x"]);
    std::thread::sleep(Duration::from_millis(1500));
    let cut_to = Instant::now();
    assert!(
        !tm.screen().iter().any(is_where),
        "an answer cut unheard was printed: {:?}",
        tm.screen()
    );

    tm.keys(&["h"]);
    // Hang guards only (60 s): each waits for its line to appear.
    tm.wait_for("the help", Duration::from_secs(60), |s| {
        s.iter().any(is_help)
    });
    // `h` again while the help (about 11 s) is said cuts it: only the soft sound after.
    tm.keys(&["h"]);
    // From 300 ms on: the key's way to the deck, the device buffer and the soft sound.
    let help_cut = Instant::now() + Duration::from_millis(300);
    std::thread::sleep(Duration::from_millis(1500));
    let help_to = Instant::now();
    tm.keys(&["h"]);
    tm.wait_for("the help again", Duration::from_secs(60), |s| {
        s.iter().filter(|l| is_help(l)).count() == 2
    });
    std::thread::sleep(Duration::from_millis(500));

    // Where am I, alone (cutting the help, which was heard): printed and heard.
    let whole_from = Instant::now();
    tm.keys(&["w"]);
    tm.wait_for("the answer to w", Duration::from_secs(60), |s| {
        s.iter().any(is_where)
    });
    std::thread::sleep(Duration::from_millis(2500));
    let whole_to = Instant::now();
    tm.keys(&["q"]);
    tm.wait_line("Stopping. Your place is saved.", 1);
    let (code, _) = tm.exit(Duration::from_secs(10));
    let screen = tm.screen();
    assert_eq!(code, "0", "{}", screen.join("\n"));
    assert_eq!(
        screen.iter().filter(|l| is_help(l)).count(),
        2,
        "the help each time it was heard: {screen:?}"
    );
    assert_eq!(
        screen.iter().filter(|l| is_where(l)).count(),
        1,
        "{screen:?}"
    );

    let (x, rate, _dir) = rec.stop();
    let cut = sounding_span(window(&x, rate, rec0, cut_from, cut_to), rate, 0.01);
    let whole = sounding_span(window(&x, rate, rec0, whole_from, whole_to), rate, 0.01);
    let after_cut = sounding_span(window(&x, rate, rec0, help_cut, help_to), rate, 0.01);
    assert!(
        after_cut < 0.25,
        "h again cut the help: only the soft sound ({after_cut:.3} s sounding)"
    );
    assert!(
        cut < 0.25,
        "w then x: only a click of w and the tick ({cut:.3} s sounding)"
    );
    assert!(whole > 1.0, "w alone is said in full ({whole:.3} s)");
}
