//! `scripts/check-cycles`, which CI runs: the crate as it is has no import cycle, and a cycle
//! added at any depth (between top-level modules, sibling files of a folder, files of a folder
//! inside a folder) is reported with the file and line of each edge.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn check(root: &Path) -> (bool, String) {
    let o = Command::new(self::root().join("scripts/check-cycles"))
        .arg("--root")
        .arg(root)
        .output()
        .expect("python3 runs scripts/check-cycles");
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    (o.status.success(), text)
}

/// The crate's source in a temporary folder, each line of `edits` added at the end of its
/// file.
fn with_lines(edits: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join("src"), &dir.path().join("src"));
    for (file, line) in edits {
        let p = dir.path().join("src").join(file);
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str(line);
        text.push('\n');
        std::fs::write(&p, text).unwrap();
    }
    dir
}

#[test]
fn the_crate_has_no_import_cycle() {
    let (ok, text) = check(&root());
    assert!(ok, "{text}");
    assert!(text.starts_with("no import cycles between "), "{text}");
}

#[test]
fn a_cycle_at_any_depth_is_found_with_its_lines() {
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("phrases.rs", "use crate::live::Command;")],
            "phrases -> live",
        ),
        (
            &[("routine/raw.rs", "use super::validate::Checker;")],
            "routine::raw -> routine::validate",
        ),
        (
            &[
                ("live/conductor/events.rs", "use super::index::Index;"),
                ("live/conductor/index.rs", "use super::events::Event;"),
            ],
            "live::conductor::events -> live::conductor::index -> live::conductor::events",
        ),
    ];
    for (edits, want) in cases {
        let dir = with_lines(edits);
        let (ok, text) = check(dir.path());
        assert!(!ok, "{edits:?} made no cycle: {text}");
        assert!(text.contains(want), "{edits:?}: {text}");
        let (file, _) = edits[0];
        assert!(
            text.contains(&format!("src/{file}:")),
            "names the line: {text}"
        );
    }
}
