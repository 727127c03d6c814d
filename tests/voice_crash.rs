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
