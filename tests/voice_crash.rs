//! espeak-ng (1.51) aborts its whole process on some text ("buffer overflow detected" on a
//! run of `s'`, espeak-ng PR #2495) and on a long voice variant (a fixed 40-byte buffer,
//! espeakup #9). hipvoice runs it in a worker process: such a line is an error of the routine
//! at `file:line:col`, never a crash of hipvoice, and the voice goes on after it.

mod common;

use std::os::unix::process::ExitStatusExt;

use common::*;
use hipvoice::voice::{Espeak, EspeakSettings, Voice, VoiceError, worker};

/// The text espeak-ng 1.51 aborts on.
fn crashing_line() -> String {
    "s'".repeat(68)
}

/// A routine whose cue (on line 8, value at column 7) is the crashing text.
fn crashing_routine(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("crash.toml");
    std::fs::write(
        &p,
        format!(
            "id = \"crash\"\ntitle = \"Crash\"\nlead_in_secs = 0\n\n[[exercise]]\nid = \"lift\"\nname = \"Lift\"\ncue = \"{}\"\nreps = 1\nhold_secs = 2\n",
            crashing_line()
        ),
    )
    .unwrap();
    p
}

#[test]
fn a_line_espeak_ng_crashes_on_is_an_error_where_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = crashing_routine(dir.path());
    let f = file.to_str().unwrap();
    let wav = dir.path().join("x.wav");
    for args in [
        vec!["check", f],
        vec!["show", f],
        vec!["plan", "--json", f],
        vec!["render", f, "-o", wav.to_str().unwrap()],
    ] {
        let o = run(&args);
        assert_eq!(
            o.status.signal(),
            None,
            "{args:?} was killed: {}",
            stderr(&o)
        );
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("crash.toml:8:7: espeak-ng cannot say the line")
                && e.contains("SIGABRT")
                && e.contains("hint: reword the line"),
            "{args:?}: {e}"
        );
        assert_eq!(e.lines().count(), 1, "one line: {e}");
    }
    assert!(!wav.exists(), "no file from a routine that cannot be said");
}

#[test]
fn the_voice_goes_on_after_espeak_ng_crashes_on_a_line() {
    assert!(worker::start_with(env!("CARGO_BIN_EXE_hipvoice")));
    assert!(worker::contained());
    let mut v = Espeak::new(EspeakSettings::default()).unwrap();
    let before = v.synthesize("Hold.").unwrap();
    match v.synthesize(&crashing_line()) {
        Err(VoiceError::Crashed { text, how }) => {
            assert_eq!(text, crashing_line());
            assert!(how.contains("SIGABRT"), "{how}");
        }
        other => panic!("espeak-ng 1.51 aborts on this text; got {other:?}"),
    }
    // A new worker, the same voice: the next line is spoken, and alike.
    let after = v.synthesize("Hold.").unwrap();
    assert!(
        after.iter().any(|s| s.abs() > 0.1),
        "speech after the crash"
    );
    assert!(before.len().abs_diff(after.len()) < 22050 / 50);
    let mut other = v.another();
    assert!(!other.synthesize("Rest.").unwrap().is_empty());
}

#[test]
fn a_voice_name_too_long_for_espeak_ng_is_refused_before_it_reaches_it() {
    let long = format!("en+{}", "a".repeat(37));
    let o = run(&["plan", "--voice", &long, "stretch"]);
    assert_eq!(o.status.signal(), None, "{}", stderr(&o));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is not a voice name"), "{}", stderr(&o));

    // In the config file it is a problem of the file, where it is written, and `list` still
    // lists.
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(config.path().join("hipvoice")).unwrap();
    std::fs::write(
        config.path().join("hipvoice/config.toml"),
        format!("voice = \"{long}\"\n"),
    )
    .unwrap();
    let o = run_with_config(config.path(), &["check", "stretch"]);
    assert_eq!(o.status.signal(), None);
    assert!(
        stderr(&o).contains("config.toml:1:9: `voice`:")
            && stderr(&o).contains("is not a voice name"),
        "{}",
        stderr(&o)
    );
    let o = run_with_config(config.path(), &["list"]);
    assert_eq!(o.status.signal(), None, "{}", stderr(&o));
    assert!(stdout(&o).contains("stretch:"), "{}", stdout(&o));
}

/// A live session goes on past a line espeak-ng dies on: the line is a pause, named once on
/// stderr where it is written, said once ("cannot be spoken"), never printed as if heard; the
/// exercise after it is heard and the session ends as planned.
#[test]
#[ignore = "needs a sound server: run scripts/test"]
fn a_live_session_goes_on_past_a_line_espeak_ng_crashes_on() {
    let Some(sink) = sink() else { return };
    let _one = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("crash.toml");
    // The crashing cue is on line 16 (its value at column 7), in the second exercise: after
    // the opening, which plays before the rest is planned.
    std::fs::write(
        &p,
        format!(
            "id = \"crash\"\ntitle = \"Crash\"\nlead_in_secs = 0\n\n[[exercise]]\nid = \"first\"\nname = \"Lift\"\ncue = \"Lift your knee.\"\nreps = 1\nhold_secs = 2\n\n[[exercise]]\nid = \"second\"\nname = \"Squeeze\"\n\
             # the next line kills espeak-ng\ncue = \"{}\"\nreps = 1\nhold_secs = 2\n\n[[exercise]]\nid = \"third\"\nname = \"Bridge\"\ncue = \"Lift your hips.\"\nreps = 1\nhold_secs = 2\n",
            crashing_line()
        ),
    )
    .unwrap();
    let rec = record(&sink);
    let o = hipvoice()
        .args(["play", p.to_str().unwrap()])
        .output()
        .unwrap();
    let (x, rate, _keep) = rec.stop();
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.signal(), None, "{err}");
    assert_eq!(o.status.code(), Some(0), "{err}");
    let named: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("espeak-ng cannot speak this line"))
        .collect();
    assert_eq!(named.len(), 1, "{err}");
    assert!(
        named[0].contains("crash.toml:16:7:")
            && named[0].contains("SIGABRT")
            && named[0].contains("hipvoice check"),
        "{err}"
    );
    let lines: Vec<&str> = out.lines().collect();
    let told =
        "One line of this routine cannot be spoken, so it is left out. hipvoice check names it.";
    assert_eq!(lines.iter().filter(|l| **l == told).count(), 1, "{out}");
    assert!(
        !out.contains("s's'"),
        "the line left out is not printed: {out}"
    );
    let third = lines
        .iter()
        .position(|l| l.contains("Bridge"))
        .unwrap_or_else(|| panic!("the exercise after it is played: {out}"));
    assert!(lines[third..].contains(&"Well done."), "{out}");
    // Heard: the last seconds of the recording (the third exercise and the closing) sound.
    let tail = &x[x.len().saturating_sub(6 * rate as usize)..];
    assert!(rms(tail) > 0.01, "the end was heard (rms {})", rms(tail));
}
