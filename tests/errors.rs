//! Errors a person can meet: the broken-routine corpus (every file in tests/broken gives its
//! pinned `file:line:col` error, tests/broken/NAME.err, exit code 1, and no panic), files that
//! are too big, devices, FIFOs and lying sound files, no audio device, the wrong language.
//! The command line's own tests are in cli.rs.

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
    fails_with(
        &o,
        2,
        "tests/broken/does-not-exist.toml: cannot read the routine: ",
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
fn the_examples_in_the_format_documentation_check_clean() {
    let doc = std::fs::read_to_string(root().join("routines/README.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut whole = 0;
    for (i, block) in doc.split("```toml\n").skip(1).enumerate() {
        let body = &block[..block.find("```").unwrap()];
        // Whole routines, and exercises (with circuits) given a routine's first lines; the
        // other blocks are single fields.
        let text = if body.lines().any(|l| l.starts_with("title = ")) {
            body.to_owned()
        } else if body.starts_with("[[exercise]]") && !body.contains("# ...") {
            format!("id = \"doc\"\ntitle = \"Doc\"\n{body}")
        } else {
            continue;
        };
        whole += 1;
        let file = dir.path().join(format!("example-{i}.toml"));
        std::fs::write(&file, text).unwrap();
        let o = run(&["check", file.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "block {i}: {}", stderr(&o));
        let o = run(&["show", file.to_str().unwrap(), "--side", "left"]);
        assert!(o.status.success(), "block {i}: {}", stderr(&o));
        assert!(stdout(&o).contains("speech: Let's begin."));
    }
    assert!(
        whole >= 5,
        "the complete example, the three kinds and the circuit"
    );
}

/// Names from outside (a file name, a routine name typed on the command line) never reach the
/// terminal raw: every control character is printed escaped, in every output.
#[test]
fn escape_sequences_in_names_are_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let evil = dir.path().join("r\u{1b}]52;c;aGk=\u{7}.toml");
    std::fs::copy(root().join("tests/fixtures/short.toml"), &evil).unwrap();
    let bad = dir.path().join("b\u{1b}[2J.toml");
    std::fs::write(&bad, "id = \"x\"\ntitle = \"T\"\n").unwrap();
    let evil = evil.to_str().unwrap();
    let outputs = [
        run(&["check", evil, bad.to_str().unwrap()]),
        run(&["show", evil]),
        run(&["plan", evil]),
        run(&["show", bad.to_str().unwrap()]),
        run(&["play", "\u{1b}[2Jstretch"]),
        run(&["\u{202e}stretch"]),
    ];
    for o in &outputs {
        let all = format!("{}{}", stdout(o), stderr(o));
        assert!(
            !all.chars()
                .any(|c| c == '\u{1b}' || c == '\u{7}' || c == '\u{202e}'),
            "raw control character in: {all:?}"
        );
    }
    assert!(stdout(&outputs[0]).contains("\\u{1b}]52;c;aGk=\\u{7}.toml: ok."));
    assert!(stderr(&outputs[0]).contains("b\\u{1b}[2J.toml:1:1: this routine has no exercises"));
    assert!(
        stderr(&outputs[4]).contains("\\u{1b}[2Jstretch"),
        "{}",
        stderr(&outputs[4])
    );
}

fn mkfifo(path: &std::path::Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    unsafe extern "C" {
        fn mkfifo(path: *const std::ffi::c_char, mode: u32) -> i32;
    }
    assert_eq!(unsafe { mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// Nothing is read without a bound: a device, a FIFO with no writer or a pipe as a routine, as
/// the config file or as a sound is refused at once, with where and what to do.
#[test]
fn devices_fifos_and_pipes_are_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("routine.toml");
    mkfifo(&fifo);
    for name in ["/dev/zero", "/dev/urandom", fifo.to_str().unwrap()] {
        let mut child = hipvoice()
            .args(["check", name])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let status = wait_with_limit(&mut child, std::time::Duration::from_secs(20));
        let o = child.wait_with_output().unwrap();
        assert_eq!(status.code(), Some(2), "{name}");
        let err = stderr(&o);
        assert!(err.contains("not a regular file"), "{name}: {err}");
    }
    // Fed by a pipe: `yes | hipvoice check /dev/stdin`.
    let mut yes = std::process::Command::new("yes")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = hipvoice()
        .args(["check", "/dev/stdin"])
        .stdin(yes.stdout.take().unwrap())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_with_limit(&mut child, std::time::Duration::from_secs(20));
    let _ = yes.kill();
    let _ = yes.wait();
    assert_eq!(status.code(), Some(2));

    // A FIFO as the config file, and as a sound that replaces a built-in one (`list` reads
    // the config; `show` loads the sounds).
    let config = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(config.path().join("hipvoice/sounds")).unwrap();
    mkfifo(&config.path().join("hipvoice/sounds/release.wav"));
    let mut child = hipvoice()
        .args(["show", "stretch"])
        .env("XDG_CONFIG_HOME", config.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_with_limit(&mut child, std::time::Duration::from_secs(20));
    let o = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "release.wav: cannot use it in place of the built-in sound \"release\": it is a FIFO"
        ),
        "{}",
        stderr(&o)
    );
    mkfifo(&config.path().join("hipvoice/config.toml"));
    let mut child = hipvoice()
        .args(["show", "stretch"])
        .env("XDG_CONFIG_HOME", config.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_with_limit(&mut child, std::time::Duration::from_secs(20));
    let o = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(2));
    assert!(
        stderr(&o).contains("config.toml:1:1: cannot read the config file: it is a FIFO"),
        "{}",
        stderr(&o)
    );
}

/// A sound's header is checked before it is decoded: a rate of 0 or an hour of claimed audio is
/// an error on the routine line that names the file, never a panic or a long wait.
#[test]
fn a_sound_file_with_a_lying_header_is_refused_where_it_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A RIFF WAV header: 16-bit mono, the given rate, a data chunk that claims `data_len`.
    let wav = |rate: u32, data_len: u32, body: usize| -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&(36 + data_len).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        v.extend_from_slice(&(rate * 2).to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&16u16.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&data_len.to_le_bytes());
        v.extend(std::iter::repeat_n(0u8, body));
        v
    };
    std::fs::write(dir.path().join("zero.wav"), wav(0, 200, 200)).unwrap();
    std::fs::write(
        dir.path().join("hour.wav"),
        wav(22050, 22050 * 2 * 3600, 1000),
    )
    .unwrap();
    for (sound, why) in [
        ("zero.wav", "its sample rate is 0 Hz"),
        ("hour.wav", "it lasts more than 10 seconds"),
    ] {
        let routine = dir.path().join("r.toml");
        std::fs::write(
            &routine,
            format!("id = \"r\"\ntitle = \"R\"\n[[exercise]]\nid = \"a\"\nname = \"A\"\ncue = \"Go.\"\nreps = 1\nhold_secs = 3\nstart_sound = \"{sound}\"\n"),
        )
        .unwrap();
        let o = run(&["check", routine.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains("r.toml:9:15: cannot use the sound file"),
            "{err}"
        );
        assert!(err.contains(why), "{err}");
        assert!(!err.contains("panicked"));
    }
}

/// A start sound longer than the hold it opens would play over the release: an error on the
/// line that names it.
#[test]
fn a_start_sound_longer_than_its_hold_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(dir.path().join("long.wav"), spec).unwrap();
    for i in 0..22050 * 2 {
        w.write_sample(((i as f32 * 0.05).sin() * 8000.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    let routine = dir.path().join("r.toml");
    std::fs::write(
        &routine,
        "id = \"r\"\ntitle = \"R\"\n[[exercise]]\nid = \"a\"\nname = \"A\"\ncue = \"Go.\"\nreps = 1\nhold_secs = 1.5\nstart_sound = \"long.wav\"\n",
    )
    .unwrap();
    let o = run(&["check", routine.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("r.toml:9:15: the sound \"")
            && stderr(&o).contains("lasts 2.0 s, but the hold it starts lasts 1.5 s"),
        "{}",
        stderr(&o)
    );
}

/// A voice is named by its language too (`--voice en-gb`, the README's own example), and a voice
/// of another language than the routine's is refused before anything is said.
#[test]
fn the_voice_must_speak_the_routines_language() {
    for voice in ["en-gb", "en-us", "en+f3", "en-gb-x-rp"] {
        let o = run(&["show", "stretch", "--voice", voice]);
        assert!(o.status.success(), "{voice}: {}", stderr(&o));
        assert!(stdout(&o).contains(&format!("espeak-ng voice {voice},")));
    }
    for args in [["--voice", "de"], ["--lang", "de"]] {
        let o = run(&["show", "stretch", args[0], args[1]]);
        fails_with(
            &o,
            2,
            "hipvoice: the voice \"de\" reads text as language \"de\", but the routine \"Hip stretch\" is in \"en\". hint: ",
        );
    }
}

/// Text a voice mangles or a listener cannot follow is a warning at its place (exit 0), and an
/// error with --strict (exit 1).
#[test]
fn check_warns_about_text_written_for_the_eye() {
    let f = "tests/lint/voice-traps.toml";
    let o = run(&["check", f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("ok. 1 exercise, ") && stdout(&o).contains("warnings (above)."));
    let err = stderr(&o);
    for line in err.lines() {
        assert!(
            line.starts_with(&format!("{f}:")) && line.contains(": warning: "),
            "{line}"
        );
        assert!(line.contains(". hint: "), "{line}");
    }
    golden(
        std::path::Path::new("tests/lint/voice-traps.warnings"),
        &err,
    );
    let o = run(&["check", "--strict", f]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), err, "the same warnings");
    assert!(stdout(&o).is_empty());
    let o = run(&[
        "check",
        "--strict",
        "routines/stretch.toml",
        "routines/strengthen.toml",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the shipped routines have nothing to warn about: {}",
        stderr(&o)
    );
}

/// A number far too large is named as the person wrote it, at its place: an integer past
/// what TOML holds is "far too large" (not the parser's words), and seconds are shown in
/// scientific notation rather than hundreds of digits.
#[test]
fn a_huge_number_is_named_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let head = "id = \"b\"\ntitle = \"B\"\n[[exercise]]\nid = \"e\"\nname = \"E\"\ncue = \"Go.\"\n";
    let reps = dir.path().join("reps.toml");
    std::fs::write(&reps, format!("{head}reps = 99999999999999999999999\n")).unwrap();
    let o = run(&["check", reps.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("reps.toml:7:8: `reps` is far too large a number") && !err.contains("i128"),
        "{err}"
    );
    let hold = dir.path().join("hold.toml");
    std::fs::write(&hold, format!("{head}hold_secs = 1e308\n")).unwrap();
    let o = run(&["check", hold.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("hold.toml:7:13: `hold_secs` is 1e308 seconds; the limit is 600"),
        "{err}"
    );
    assert!(err.lines().all(|l| l.len() < 300), "{err}");
    // Neither a tiny number spelt out in 300 digits, nor a whole one in exponent form.
    for (line, want) in [
        (
            "hold_secs = 1e-300",
            "`hold_secs` must be at least 0.5 seconds (got 1e-300)",
        ),
        (
            "reps = 4294967297",
            "`reps` is 4294967297; the limit is 100",
        ),
        ("hold_secs = 0.0001", "(got 1e-4)"),
    ] {
        let f = dir.path().join("n.toml");
        std::fs::write(&f, format!("{head}{line}\n")).unwrap();
        let err = stderr(&run(&["check", f.to_str().unwrap()]));
        assert!(err.contains(want) && err.len() < 300, "{line}: {err}");
    }
}
