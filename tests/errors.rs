//! The broken-routine corpus: every file in tests/broken gives its pinned `file:line:col` error
//! (tests/broken/NAME.err), exit code 1, and no panic.

mod common;

use common::*;

#[test]
fn every_broken_routine_gives_its_pinned_error() {
    let dir = root().join("tests/broken");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 25,
        "the corpus has only {} files",
        files.len()
    );
    for file in files {
        let name = format!(
            "tests/broken/{}",
            file.file_name().unwrap().to_string_lossy()
        );
        let o = run(&["check", &name]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: exit code, stderr: {err}");
        assert!(!err.contains("panicked"), "{name} panicked: {err}");
        assert!(stdout(&o).is_empty(), "{name} printed to stdout");
        for line in err.lines() {
            assert!(
                line.starts_with(&format!("{name}:")),
                "{name}: not a file:line:col line: {line}"
            );
            assert!(line.contains(". hint: "), "{name}: no hint in: {line}");
        }
        golden(
            file.with_extension("err").strip_prefix(root()).unwrap(),
            &err,
        );
    }
}

#[test]
fn the_shipped_routines_check_clean() {
    let o = run(&[
        "check",
        "routines/stretch.toml",
        "routines/strengthen.toml",
        "stretch",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(
        out.starts_with("routines/stretch.toml: ok. 3 exercises, "),
        "{out}"
    );
}

#[test]
fn check_reports_each_file_and_exits_with_the_worst_code() {
    let o = run(&[
        "check",
        "routines/stretch.toml",
        "tests/broken/reps-zero.toml",
        "tests/broken/hold-zero.toml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("routines/stretch.toml: ok."));
    assert_eq!(stderr(&o).lines().count(), 2, "{}", stderr(&o));
    let o = run(&["check", "tests/broken/does-not-exist.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("tests/broken/does-not-exist.toml: cannot read the routine: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_file_over_one_mebibyte_is_refused_before_it_is_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    std::fs::write(&big, format!("# {}\n", "x".repeat(1024 * 1024 + 10))).unwrap();
    let o = run(&["check", big.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("big.toml:1:1: the file is 1048589 bytes; a routine may be at most 1048576 bytes (1 MiB)"), "{}", stderr(&o));
}

#[test]
fn an_unknown_routine_name_suggests_the_nearest() {
    let o = run(&["show", "strech"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "hipvoice: there is no routine called \"strech\". hint: did you mean \"stretch\"? `hipvoice list` shows them all\n"
    );
}

#[test]
fn no_audio_device_is_one_clear_line_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = hipvoice()
        .args(["play", "stretch"])
        .env("XDG_RUNTIME_DIR", dir.path())
        .env(
            "PULSE_SERVER",
            format!("unix:{}/none", dir.path().display()),
        )
        .env("ALSA_CONFIG_PATH", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "one line, no ALSA noise: {err}");
    assert!(err.starts_with("hipvoice: no audio output: "), "{err}");
    assert!(
        err.contains("hint: `hipvoice render stretch -o session.wav`"),
        "{err}"
    );
    assert!(
        stdout(&o).is_empty(),
        "nothing is said before the device opens"
    );
}

#[test]
fn the_example_in_the_format_documentation_checks_clean() {
    let doc = std::fs::read_to_string(root().join("routines/README.md")).unwrap();
    let start = doc.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.toml");
    std::fs::write(&file, &doc[start..end]).unwrap();
    let o = run(&["check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&["show", file.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("speech: Now the other way."),
        "{}",
        stdout(&o)
    );
}
