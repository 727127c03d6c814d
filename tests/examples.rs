//! The example routines in routines/examples: each checks clean, plays by the rules of the
//! timeline, has a golden `show`, and renders to a WAV of its planned length.

mod common;

use common::*;
use hipvoice::plan::{CueKind, Timeline, check};

fn examples() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("routines/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            format!(
                "routines/examples/{}",
                p.file_name().unwrap().to_string_lossy()
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn there_is_an_example_of_each_kind_of_routine() {
    let files = examples();
    assert!(files.len() >= 5, "{files:?}");
    let mut kinds = std::collections::BTreeSet::new();
    let mut circuit = false;
    let mut affected = false;
    for f in &files {
        let text = std::fs::read_to_string(root().join(f)).unwrap();
        for k in ["hold", "reps", "timed"] {
            if text.contains(&format!("kind = \"{k}\"")) {
                kinds.insert(k);
            }
        }
        circuit |= text.contains("[[circuit]]");
        affected |= text.contains("first_side = \"affected\"");
    }
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(circuit && affected);
}

#[test]
fn every_example_checks_and_keeps_the_timeline_rules() {
    let files = examples();
    let mut args = vec!["check", "--strict"];
    args.extend(files.iter().map(String::as_str));
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), files.len());
    for f in &files {
        let t: Timeline =
            serde_json::from_value(plan_json(&[f.as_str(), "--side", "right"])).unwrap();
        let v = check::violations(&t);
        assert!(v.is_empty(), "{f}: {v:#?}");
        let (silence, at) = check::longest_silence(&t);
        assert!(
            silence <= 30 * u64::from(t.sample_rate),
            "{f}: {silence} frames of silence at {at}"
        );
        assert!(!t.doses.is_empty());
    }
}

#[test]
fn every_example_has_a_golden_show() {
    for f in examples() {
        let o = run(&["show", &f, "--side", "right"]);
        assert!(o.status.success(), "{f}: {}", stderr(&o));
        let name = f
            .trim_start_matches("routines/examples/")
            .trim_end_matches(".toml");
        golden(
            std::path::Path::new(&format!("tests/golden/show-example-{name}.txt")),
            &stdout(&o),
        );
    }
}

#[test]
fn every_example_renders_to_its_planned_length() {
    for f in examples() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("x.wav");
        let o = run(&["render", &f, "--side", "left", "-o", wav.to_str().unwrap()]);
        assert!(o.status.success(), "{f}: {}", stderr(&o));
        let t: Timeline =
            serde_json::from_value(plan_json(&[f.as_str(), "--side", "left"])).unwrap();
        let (x, _) = read_wav(&wav);
        assert_eq!(x.len() as u64, t.frames, "{f}");
        for c in t.of_kind(CueKind::Speech).take(20) {
            assert!(
                rms(&x[c.start as usize..c.end as usize]) > 0.01,
                "{f}: {:?}",
                c.text
            );
        }
    }
}

/// The affected side decides which side comes first, from --side or the config file; without
/// one, playing says what to do.
#[test]
fn the_affected_side_comes_first() {
    let f = "routines/examples/affected-side-first.toml";
    let first_side = |args: &[&str]| -> String {
        let mut a = vec![f];
        a.extend_from_slice(args);
        let t: Timeline = serde_json::from_value(plan_json(&a)).unwrap();
        let first = t
            .of_kind(CueKind::Hold)
            .chain(t.of_kind(CueKind::Phase))
            .min_by_key(|c| c.start)
            .unwrap();
        first.side.unwrap().as_str().to_owned()
    };
    assert_eq!(first_side(&["--side", "right"]), "right");
    assert_eq!(first_side(&["--side", "left"]), "left");
    let o = run_with_config(&root().join("tests/fixtures/no-config"), &["show", f]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("hint: say which with --side left or --side right"),
        "{}",
        stderr(&o)
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("hipvoice")).unwrap();
    std::fs::write(
        dir.path().join("hipvoice/config.toml"),
        "affected_side = \"right\"\n",
    )
    .unwrap();
    let o = run_with_config(dir.path(), &["show", f]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("speech: Start with your right leg."),
        "{}",
        stdout(&o)
    );
}

/// A timed block says how long is left at each whole minute and at thirty seconds, even when it
/// has technique reminders to say too.
#[test]
fn a_timed_block_says_the_time_left() {
    let t: Timeline =
        serde_json::from_value(plan_json(&["routines/examples/march-timed.toml"])).unwrap();
    let rate = u64::from(t.sample_rate);
    let block = t.of_kind(CueKind::Timed).next().unwrap();
    let said_at = |frame: u64| {
        t.of_kind(CueKind::Speech)
            .find(|c| c.start == frame)
            .and_then(|c| c.text.clone())
    };
    assert_eq!(
        said_at(block.end - 60 * rate).as_deref(),
        Some("One minute left.")
    );
    assert_eq!(
        said_at(block.end - 30 * rate).as_deref(),
        Some("Thirty seconds left.")
    );
    let reminders = t
        .of_kind(CueKind::Speech)
        .filter(|c| c.start > block.start && c.end < block.end)
        .filter(|c| c.text.as_deref().is_some_and(|x| !x.ends_with("left.")))
        .count();
    assert!(
        reminders >= 4,
        "technique reminders fill the rest: {reminders}"
    );
}
