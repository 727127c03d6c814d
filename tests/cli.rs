//! The command line: options after a routine's name, voice settings, the config file and
//! the person's own routines, completions and the manual page, values answered with what they
//! likely mean. Error wording for routines and files is in errors.rs.

mod common;

use common::*;

#[test]
fn options_after_a_routine_name_are_play_options() {
    let o = run(&["stretch", "--rate", "20"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "hipvoice: invalid value '20' for '--rate <WPM>': 20 is not in 80..=450. hint: `hipvoice play --help` lists the options\n"
    );
    let o = run(&["show", "stretch", "--voice", "xx-nonsense"]);
    fails_with(
        &o,
        2,
        "hipvoice: espeak-ng has no voice \"xx-nonsense\". hint: ",
    );
}

#[test]
fn voice_settings_change_the_plan() {
    let slow = plan_json(&["strengthen", "--rate", "100"]);
    let fast = plan_json(&["strengthen", "--rate", "300"]);
    assert!(
        frame(&slow, "frames") > frame(&fast, "frames") + 22050 * 60,
        "a slow voice makes a longer session"
    );
    let holds = |p: &serde_json::Value| {
        cues(p, "hold")
            .iter()
            .map(|c| frame(c, "end") - frame(c, "start"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        holds(&slow),
        holds(&fast),
        "holds never change with the voice"
    );
}

#[test]
fn the_config_file_sets_defaults_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("hipvoice")).unwrap();
    std::fs::write(
        dir.path().join("hipvoice/config.toml"),
        "rate = 100\nlead_in_secs = 4\n",
    )
    .unwrap();
    let with_config = |args: &[&str]| {
        let o = hipvoice()
            .env("XDG_CONFIG_HOME", dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let cfg = with_config(&["plan", "--json", "strengthen"]);
    let prepare = cues(&cfg, "prepare")[0];
    assert_eq!(
        frame(prepare, "end") - frame(prepare, "start"),
        4 * 22050,
        "lead_in_secs from the file"
    );
    assert_eq!(
        frame(&cfg, "frames"),
        frame(
            &plan_json(&["strengthen", "--rate", "100", "--lead-in", "4"]),
            "frames"
        )
    );
    let flag = with_config(&["plan", "--json", "strengthen", "--lead-in", "6"]);
    let prepare = cues(&flag, "prepare")[0];
    assert_eq!(
        frame(prepare, "end") - frame(prepare, "start"),
        6 * 22050,
        "the flag wins"
    );

    std::fs::write(dir.path().join("hipvoice/config.toml"), "rate = 1000\n").unwrap();
    let o = run_with_config(dir.path(), &["show", "stretch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("hipvoice/config.toml:1:8: `rate` must be from 80 to 450 (got 1000)"),
        "{}",
        stderr(&o)
    );
}

/// Routines in the config folder are found by their file's name; `list` names each routine as
/// it is played and says which ones cannot be played, with exit code 1.
#[test]
fn user_routines_in_the_config_folder_are_found_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let routines = dir.path().join("hipvoice/routines");
    std::fs::create_dir_all(&routines).unwrap();
    std::fs::copy(
        root().join("tests/fixtures/short.toml"),
        routines.join("quick.toml"),
    )
    .unwrap();
    std::fs::write(routines.join("broken.toml"), "id = \"x\"\n").unwrap();
    let o = run_with_config(dir.path(), &["list"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("quick: Short test. 1 exercise, "), "{out}");
    assert!(out.contains(" Yours.\n"), "{out}");
    assert!(out.contains("broken: cannot be played"), "{out}");
    assert!(
        stderr(&o).contains("broken.toml:1:1: this routine has no `title`"),
        "{}",
        stderr(&o)
    );
    let o = run_with_config(dir.path(), &["show", "quick"]);
    assert!(
        stdout(&o).starts_with("Short test (short)\n"),
        "{}",
        stdout(&o)
    );
}

/// A routine of the user's named like a built-in one is played in its place, and `list` says
/// so on both lines.
#[test]
fn a_users_routine_replaces_the_built_in_one_of_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let routines = dir.path().join("hipvoice/routines");
    std::fs::create_dir_all(&routines).unwrap();
    let mine = std::fs::read_to_string(root().join("tests/fixtures/short.toml"))
        .unwrap()
        .replace("id = \"short\"", "id = \"stretch\"")
        .replace("title = \"Short test\"", "title = \"My stretch\"");
    std::fs::write(routines.join("stretch.toml"), mine).unwrap();
    let o = run_with_config(dir.path(), &["list"]);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("stretch: Hip stretch.") && lines[0].ends_with(" Replaced by yours."),
        "{out}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("stretch: My stretch.")
            && l.ends_with(" Yours, played in place of the built-in one.")),
        "{out}"
    );
    let o = run_with_config(dir.path(), &["show", "stretch"]);
    assert!(
        stdout(&o).starts_with("My stretch (stretch)\n"),
        "{}",
        stdout(&o)
    );
}

/// Shell completions and the manual page come from the command-line definitions, and the
/// shells and `man` accept them: bash completes a command and an option; zsh and fish parse
/// their scripts; `man` renders the pages.
#[test]
fn completions_and_the_manual_page_work_in_real_shells() {
    let script = |shell: &str| {
        let o = run(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        stdout(&o)
    };
    let dir = tempfile::tempdir().unwrap();
    let bash = dir.path().join("hipvoice.bash");
    std::fs::write(&bash, script("bash")).unwrap();
    let complete = |words: &str, cword: usize| {
        let o = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source '{}'; COMP_WORDS=({words}); COMP_CWORD={cword}; _hipvoice hipvoice \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                bash.display()
            ))
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert_eq!(complete("hipvoice ch", 1).trim(), "check\ncheckin");
    assert_eq!(complete("hipvoice hi", 1).trim(), "history");
    assert_eq!(
        complete("hipvoice play stretch --trans", 3).trim(),
        "--transcript"
    );
    for (shell, flag) in [("zsh", "-n"), ("fish", "--no-execute")] {
        let file = dir.path().join(format!("hipvoice.{shell}"));
        std::fs::write(&file, script(shell)).unwrap();
        let o = std::process::Command::new(shell)
            .arg(flag)
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("{shell} is installed (scripts/install-deps): {e}"));
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
    }

    let pages = dir.path().join("man1");
    std::fs::create_dir(&pages).unwrap();
    let o = run(&["man", "--dir", pages.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let render = |page: &str| {
        let o = std::process::Command::new("man")
            .args(["-l", "-P", "cat"])
            .arg(pages.join(page))
            .env("MANWIDTH", "100")
            .output()
            .expect("man is installed (scripts/install-deps)");
        assert!(o.status.success(), "{page}: {}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let main = render("hipvoice.1");
    assert!(
        main.contains("hipvoice - Physiotherapy routines, played by ear."),
        "{main}"
    );
    assert!(main.contains("history.sqlite3"), "{main}");
    for section in ["KEYS", "EXIT STATUS", "ENVIRONMENT", "FILES"] {
        assert!(
            main.contains(&format!("\n{section}\n")),
            "{section}: {main}"
        );
    }
    assert!(
        main.contains("130") && main.contains("Where am I"),
        "{main}"
    );
    // Every page the main page names is there.
    for named in main.split("hipvoice-").skip(1) {
        let name = named.split('(').next().unwrap();
        assert!(
            pages.join(format!("hipvoice-{name}.1")).exists(),
            "hipvoice-{name}(1) is named but not written"
        );
    }
    // Completions offer the values of --side and --transcript.
    assert_eq!(
        complete("hipvoice play stretch --side ''", 4).trim(),
        "left\nright"
    );
    assert_eq!(
        complete("hipvoice play stretch --transcript l", 4).trim(),
        "lines"
    );
    let play = render("hipvoice-play.1");
    assert!(
        play.contains("hipvoice play [") && play.contains("--transcript"),
        "{play}"
    );
    assert_eq!(
        run(&["man"]).stdout,
        std::fs::read(pages.join("hipvoice.1")).unwrap()
    );
    // `hipvoice ROUTINE --help` is play's help, and not an error.
    let o = run(&["stretch", "--help"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("Usage: hipvoice play"));
}

/// `--volume` is a whole percent; a fraction (what many players use) is answered with the
/// percent it likely means.
#[test]
fn a_fractional_volume_gets_the_percent_it_means() {
    let o = run(&["plan", "stretch", "--volume", "0.3"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("hint: --volume 30 for 0.3"), "{err}");
    let o = run(&["plan", "stretch", "--volume", "101"]);
    assert!(stderr(&o).contains("the volume is a percent, 0 to 100"));
}

/// A routine file whose name is not UTF-8 (Latin-1, as older systems and archives make them)
/// is opened like any other: paths are taken as paths, not as text.
#[test]
fn a_routine_file_named_in_latin_1_can_be_opened() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    // "hüft.toml" in Latin-1: ü is the one byte 0xFC, which is not UTF-8.
    let name = std::ffi::OsStr::from_bytes(b"h\xfcft.toml");
    let file = dir.path().join(name);
    std::fs::copy(root().join("tests/fixtures/short.toml"), &file).unwrap();
    let wav = dir.path().join(std::ffi::OsStr::from_bytes(b"h\xfcft.wav"));
    let runs: [Vec<&std::ffi::OsStr>; 4] = [
        vec!["check".as_ref(), file.as_os_str()],
        vec!["show".as_ref(), file.as_os_str()],
        vec!["plan".as_ref(), "--json".as_ref(), file.as_os_str()],
        vec![
            "render".as_ref(),
            file.as_os_str(),
            "-o".as_ref(),
            wav.as_os_str(),
        ],
    ];
    for args in runs {
        let o = hipvoice().args(&args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("invalid UTF-8"), "{}", stderr(&o));
    }
    assert!(wav.exists());
    // Its name is printed readably, with the byte shown as the replacement character.
    let o = hipvoice()
        .args([std::ffi::OsStr::new("check"), file.as_os_str()])
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains("h\u{fffd}ft.toml: ok."),
        "{}",
        stdout(&o)
    );
}

/// A message that cannot be printed (stderr on a full disk) ends hipvoice with exit code 2,
/// as a failed write of its output does: never a panic (101).
#[test]
fn a_full_stderr_is_an_exit_code_not_a_panic() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = hipvoice()
        .args(["check", "tests/broken/sides-affected.toml"])
        .stderr(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_day_for_since_is_written_in_full() {
    for bad in ["2026-1-1", "2026-12-1", "1.12.2026", "2026-02-30"] {
        let o = hipvoice()
            .args(["history", "--since", bad])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(stderr(&o).contains("YYYY-MM-DD"), "{bad}: {}", stderr(&o));
    }
    let o = hipvoice()
        .args(["history", "--since", "2026-01-01"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
